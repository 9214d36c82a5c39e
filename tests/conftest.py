"""Shared fixtures. Tests that read real reports need ../shared beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_MISSING = (
    f"../shared is required for this test (looked for {SHARED}): CI and developers have it beside the "
    "repository; it holds the seed reports and the real corpus, which must not be copied into the repo"
)


def shared_path(*parts: str) -> Path:
    """A path under ../shared; fails the calling test with a clear message when it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(SHARED_MISSING + f" (missing: {path})")
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return shared_path("seeds")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return shared_path("corpus", "real")
