"""Gold for real-corpus reports (r043–r045): tied to the exact bytes, consistent, and read right.

The gold holds numbers only, read by hand from ../shared/corpus/real; the reports' text stays there.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import gongkai
from gongkai.annotations.gold import TableGold, cells_read_wrong, corpus_gold
from gongkai.inference.tables import template as T
from gongkai.report import Report

PATHS = [p for p, _ in Report().table_cells()]
GOLD = corpus_gold()
IDS = [g.doc for g in GOLD]
APPLICANTS = T.REQUEST_COLUMNS[:-1]
# 三（一）…（六） rows of the 2021 template (the single 2019 （六） row is not applicable there).
OUTCOME_ROWS_2021 = tuple(
    r.key for r in T.REQUEST_ROWS
    if "2021" in r.versions and r.key not in ("new_received", "carried_over", "total", "carried_forward")
)


def _number(gold: TableGold, path: str) -> int | float:
    value = gold.cells[path]
    assert value is not None, f"{gold.doc}: {path} is null but takes part in an identity"
    return value


def test_corpus_gold_exists() -> None:
    assert {"r043.txt", "r044.txt", "r045.txt"} <= set(IDS)


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_paths_types_and_applicability(gold: TableGold) -> None:
    assert list(gold.cells) == PATHS
    assert gold.format_version in {"2021", "2019"}
    assert gold.agency and " " not in gold.agency
    assert gold.year is not None and 2000 <= gold.year <= 2100
    for path, value in gold.cells.items():
        assert value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)), path
        if isinstance(value, float):
            assert path == "proactive.fees_wan_yuan", path
        if not T.applicable(path, gold.format_version):
            assert value is None, f"{path} is not in the {gold.format_version} template"


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_sha256_matches_the_shared_file(gold: TableGold, corpus_dir: Path) -> None:
    source = corpus_dir / gold.doc
    assert source.is_file(), f"{source} is missing from ../shared"
    assert hashlib.sha256(source.read_bytes()).hexdigest() == gold.sha256


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_gold_satisfies_the_template_identities(gold: TableGold) -> None:
    """The gold itself is consistent: every identity printed with the 2021 template holds."""
    assert gold.format_version == "2021"  # the identities below are the 2021 template's
    rows = [r.key for r in T.REQUEST_ROWS if T.applicable(f"requests.{r.key}.total", gold.format_version)]
    for row in rows:  # 各类申请人之和等于总计
        parts = sum(_number(gold, f"requests.{row}.{c}") for c in APPLICANTS)
        assert parts == _number(gold, f"requests.{row}.total"), row
    for column in T.REQUEST_COLUMNS:
        cell = f"requests.{{}}.{column}".format
        # 第一项加第二项之和，等于第三项加第四项之和
        assert (_number(gold, cell("new_received")) + _number(gold, cell("carried_over"))
                == _number(gold, cell("total")) + _number(gold, cell("carried_forward"))), column
        # 三（一）至（六）之和等于三（七）总计
        assert sum(_number(gold, cell(r)) for r in OUTCOME_ROWS_2021) == _number(gold, cell("total")), column
    for group in T.APPEAL_GROUPS:  # 结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计
        parts = sum(_number(gold, f"appeals.{group}.{c}") for c in T.APPEAL_COLUMNS[:-1])
        assert parts == _number(gold, f"appeals.{group}.total"), group
    for kind in ("regulations", "normative_documents"):  # 现行有效 ≥ 本年制发
        assert _number(gold, f"proactive.{kind}.in_force") >= _number(gold, f"proactive.{kind}.issued"), kind


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_extract_reads_every_gold_cell(gold: TableGold, corpus_dir: Path) -> None:
    report = gongkai.extract(corpus_dir / gold.doc, sentences=False)
    wrong = cells_read_wrong(report, gold)
    assert wrong == [], f"{gold.doc}: {len(wrong)} cells read wrong (path, read, gold): {wrong[:12]}"
    assert (report.format_version, report.agency.value, report.year.value) == (
        gold.format_version, gold.agency, gold.year)
    assert report.source.sha256 == gold.sha256
