"""Hostile inputs by class and a runner that proves ``extract`` survives them (see benchmarks/fuzz.py)."""
