"""The checks: numbers the prose claims, and the reconciler that compares them with the tables."""
