"""The Python API: extract() from a path, bytes or text; the schema-v1 dict and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import gongkai
from gongkai.errors import EmptyInputError, GongkaiError, InputTooLargeError, UnsupportedFormatError
from gongkai.limits import Limits

SCHEMA_KEYS = {"schema_version", "source", "format_version", "agency", "year", "text", "proactive", "requests",
               "appeals", "sentences", "claims", "findings", "confidence", "warnings"}
CELL_KEYS = {"value", "confidence", "span", "page", "raw"}


def test_extract_accepts_path_bytes_and_text_alike(seeds_dir: Path) -> None:
    path = seeds_dir / "002_20e49bc070485a7c.txt"
    by_path = gongkai.extract(path)
    by_str_path = gongkai.extract(str(path))
    by_bytes = gongkai.extract(path.read_bytes(), path="seed-002")
    by_text = gongkai.extract(path.read_text(encoding="utf-8"))
    assert by_path.source.path == str(path) and by_bytes.source.path == "seed-002"
    for other in (by_str_path, by_bytes, by_text):
        assert other.to_dict(include_text=False)["requests"] == by_path.to_dict(include_text=False)["requests"]
    assert by_path.requests.new_received.total.value == 1


def test_to_dict_follows_schema_v1(seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / "000_311298fcf36e9c33.txt")
    data = json.loads(report.to_json())
    assert SCHEMA_KEYS <= set(data)
    assert data["schema_version"] == "1"
    assert set(data["source"]) == {"path", "sha256", "media_type", "pages"}
    assert data["source"]["media_type"] == "text/plain"
    assert set(data["agency"]) == CELL_KEYS and set(data["year"]) == CELL_KEYS
    assert set(data["requests"]) == {f.name for f in __import__("dataclasses").fields(gongkai.report.RequestsTable)}
    assert set(data["requests"]["total"]) == {"natural_person", "commercial", "research", "social_welfare",
                                              "legal_service", "other", "total"}
    assert set(data["appeals"]) == {"review", "litigation_direct", "litigation_after_review"}
    assert set(data["appeals"]["review"]) == {"upheld", "corrected", "other", "pending", "total"}
    assert set(data["proactive"]["regulations"]) == {"issued", "repealed", "in_force"}
    cell = data["requests"]["new_received"]["total"]
    assert set(cell) == CELL_KEYS and 0 <= cell["confidence"] <= 1
    assert "text" not in report.to_dict(include_text=False)


def test_cell_lookup_by_dotted_path(seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt")
    assert report.cell("proactive.licensing").value == 50
    with pytest.raises(KeyError):
        report.cell("requests.nonexistent.total")


@pytest.mark.parametrize(
    ("data", "error"),
    [(b"", EmptyInputError), (b"   \n\t ", EmptyInputError), (bytes(range(256)) * 40, UnsupportedFormatError)],
)
def test_unreadable_input_raises_a_coded_error(data: bytes, error: type[GongkaiError]) -> None:
    with pytest.raises(error) as info:
        gongkai.extract(data, path="bad")
    assert str(info.value).startswith("[E")


def test_huge_input_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes("政府信息公开".encode() * 400)
    with pytest.raises(InputTooLargeError, match="Limits.max_input_bytes"):
        gongkai.extract(big, limits=Limits(max_input_bytes=1000))
    with pytest.raises(InputTooLargeError):
        gongkai.extract(big.read_bytes(), limits=Limits(max_input_bytes=1000))
    assert gongkai.extract(big, sentences=False).source.path == str(big)  # the default limit is far above


def test_another_kind_of_document_gets_unknown_and_a_warning() -> None:
    budget = (
        "某某局2023年部门决算\n一、收入支出决算总表\n一般公共预算财政拨款收入 1,234.56 万元。\n"
        "支出合计 1,200.00 万元。\n"
    )
    report = gongkai.extract(budget)
    assert report.format_version == "unknown"
    assert report.confidence == 0.0
    assert any("not a 政府信息公开工作年度报告" in w for w in report.warnings)
    assert all(c.value is None for _, c in report.table_cells())


def test_old_report_without_tables_says_it_predates_the_template() -> None:
    text = (
        "某某厅2017年政府信息公开工作年度报告\n本报告统计期限自2017年1月1日至2017年12月31日。\n"
        "一、概述\n全年主动公开信息100条。\n"
    )
    report = gongkai.extract(text)
    assert report.format_version == "unknown"
    assert any("predates the 2019 template" in w for w in report.warnings)


def test_a_missing_path_is_an_error_not_an_empty_report(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        gongkai.extract(str(tmp_path / "typo.txt"))


def test_checks_can_be_skipped_for_tables_only(seeds_dir: Path) -> None:
    path = seeds_dir / "002_20e49bc070485a7c.txt"
    full = gongkai.extract(path)
    tables_only = gongkai.extract(path, checks=False)
    assert full.findings and full.claims
    assert tables_only.findings == [] and tables_only.claims == []
    assert tables_only.to_dict(include_text=False)["requests"] == full.to_dict(include_text=False)["requests"]


def test_tables_as_dataframes_match_the_cells(seeds_dir: Path) -> None:
    report = gongkai.extract(sorted(seeds_dir.glob("*.txt"))[0], classify=False)
    requests = report.frame("requests")
    assert requests.loc["new_received", "total"] == report.requests.new_received.total.value
    assert list(requests.columns) == ["natural_person", "commercial", "research", "social_welfare", "legal_service",
                                      "other", "total"]
    assert report.frame("appeals", "confidence").loc["review", "total"] == report.appeals.review.total.confidence
    proactive = report.frame("proactive")
    assert proactive.loc["licensing", "value"] == report.proactive.licensing.value
    assert proactive.loc["regulations", "issued"] == report.proactive.regulations.issued.value
    with pytest.raises(KeyError, match="expected one of"):
        report.frame("sentences")
