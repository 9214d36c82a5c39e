"""Shipped model artefacts (small, loaded offline) and where to find them."""

from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent


def model_path(name: str) -> Path:
    """Path of a shipped artefact, e.g. ``model_path("confidence.json")``."""
    return MODELS_DIR / name
