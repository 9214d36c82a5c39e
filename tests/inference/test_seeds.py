"""Regression tests on the five real seed reports: every cell against the hand-written gold."""

from __future__ import annotations

from pathlib import Path

import pytest

import gongkai
from gongkai.annotations.gold import TableGold, cells_read_wrong, seed_gold

GOLD = seed_gold()


def test_every_seed_has_gold(seeds_dir: Path) -> None:
    assert sorted(g.doc for g in GOLD) == sorted(p.name for p in seeds_dir.glob("*.txt"))


@pytest.mark.parametrize("gold", GOLD, ids=[g.doc[:3] for g in GOLD])
def test_seed_every_cell_right(gold: TableGold, seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / gold.doc)
    wrong = cells_read_wrong(report, gold)
    assert wrong == []
    assert report.format_version == gold.format_version
    assert report.agency.value == gold.agency
    assert report.year.value == gold.year
    assert report.source.sha256 == gold.sha256


@pytest.mark.parametrize("gold", GOLD, ids=[g.doc[:3] for g in GOLD])
def test_seed_cells_point_at_their_source_text(gold: TableGold, seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / gold.doc)
    for path, cell in report.table_cells():
        if cell.value is not None:
            assert cell.span is not None, path
            source = report.text[cell.span[0]:cell.span[1]]
            assert cell.raw is not None and cell.raw in source, (path, source)


def test_seed_001_blank_review_cells_are_null_not_zero(seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / "001_90d10d0810e34bee.txt")
    review = report.appeals.review
    assert [review.upheld.value, review.corrected.value, review.other.value, review.pending.value,
            review.total.value] == [None] * 5
    assert report.appeals.litigation_direct.total.value == 0


def test_seed_002_research_total_is_read_as_printed(seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / "002_20e49bc070485a7c.txt")
    assert report.requests.total.research.value == 1
    assert report.requests.granted.research.value == 0
    assert report.requests.total.research.raw == "1"


def test_seed_004_split_markdown_table_two_is_joined(seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / "004_76d1d7d14147d7ef.txt")
    assert report.proactive.coercion.value == 0 and report.proactive.coercion.raw == "0"
    assert report.proactive.fees_wan_yuan.value == 0


def test_seed_sections_follow_the_six_part_structure(seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt")
    top = [s.number for s in report.sections if s.level == 1]
    assert top[:6] == ["一", "二", "三", "四", "五", "六"]
    platform = next(s for s in report.sections if s.path == "一（四）")
    assert platform.heading.startswith("平台建设")
