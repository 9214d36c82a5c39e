"""The seed gold files are complete, well-typed and tied to the exact seed bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gongkai.annotations.gold import TableGold, seed_gold
from gongkai.report import Report

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEEDS = SHARED / "seeds"
PATHS = [p for p, _ in Report().table_cells()]
GOLD = seed_gold()


def _require_shared() -> None:
    if not SEEDS.is_dir():
        pytest.fail(f"../shared is required for this test (looked for {SEEDS})")


def test_one_gold_file_per_seed() -> None:
    _require_shared()
    assert sorted(g.doc for g in GOLD) == sorted(p.name for p in SEEDS.glob("*.txt"))


@pytest.mark.parametrize("gold", GOLD, ids=lambda g: g.doc)
def test_paths_and_types(gold: TableGold) -> None:
    assert isinstance(gold, TableGold)
    assert list(gold.cells) == PATHS
    for path, value in gold.cells.items():
        assert value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)), path
        if isinstance(value, float):
            assert path == "proactive.fees_wan_yuan", path
    assert gold.format_version in {"2021", "2019"}
    assert gold.agency and " " not in gold.agency
    assert gold.year is None or 2000 <= gold.year <= 2100


@pytest.mark.parametrize("gold", GOLD, ids=lambda g: g.doc)
def test_sha256_matches_seed(gold: TableGold) -> None:
    _require_shared()
    source = SEEDS / gold.doc
    assert source.is_file(), source
    assert hashlib.sha256(source.read_bytes()).hexdigest() == gold.sha256


@pytest.mark.parametrize("gold", GOLD, ids=lambda g: g.doc)
def test_template_rows(gold: TableGold) -> None:
    other_processing = [v for p, v in gold.cells.items() if p.startswith("requests.other_processing.")]
    if gold.format_version == "2021":
        assert other_processing == [None] * 7


@pytest.mark.parametrize("gold", GOLD, ids=lambda g: g.doc)
def test_requests_balance(gold: TableGold) -> None:
    def total(row: str) -> int | float:
        value = gold.cells[f"requests.{row}.total"]
        assert value is not None, row
        return value

    assert total("new_received") + total("carried_over") == total("total") + total("carried_forward")
