"""The whole real corpus runs: each report yields tables or a warning that says why not."""

from __future__ import annotations

from pathlib import Path

import pytest

import gongkai
from gongkai.errors import GongkaiError
from tests.conftest import SHARED

CORPUS = sorted((SHARED / "corpus" / "real").glob("r*.*"))


def test_corpus_is_present(corpus_dir: Path) -> None:
    assert len(list(corpus_dir.glob("r*.*"))) >= 40


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_report_yields_tables_or_says_why_not(path: Path) -> None:
    try:
        report = gongkai.extract(path)
    except GongkaiError as exc:  # a clear, coded error is an acceptable outcome
        assert str(exc).startswith("[E")
        return
    found = [c for _, c in report.table_cells() if c.value is not None]
    found += [c for row in report.proactive_2019.values() for c in row.values() if c.value is not None]
    if report.format_version == "unknown":
        assert report.warnings, "no tables and no warning"
    else:
        assert found, f"{path.name}: template {report.format_version} but no cell read"
    assert 0.0 <= report.confidence <= 1.0
    assert report.year.value is None or 2000 <= report.year.value <= 2030
