"""Reviewers' cell corrections: applied by the document's sha256 everywhere, never lost, never silent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import gongkai
from gongkai.annotations.corrections import (
    Correction,
    CorrectionsError,
    append_corrections,
    load_corrections,
)
from gongkai.cli import main
from tests.conftest import shared_path

SEED_002 = ("seeds", "002_20e49bc070485a7c.txt")
SUSPECT = "requests.total.research"  # the one cell whose misprint breaks three identities of seed 002


def seed_002() -> Path:
    return shared_path(*SEED_002)


def sha_of(path: Path) -> str:
    return gongkai.extract(path, sentences=False, checks=False).source.sha256


def errors(report: gongkai.Report) -> list[str]:
    return sorted(f["rule"] for f in report.findings if f["severity"] == "error")


def test_a_corrected_suspect_cell_clears_its_three_findings(tmp_path: Path) -> None:
    before = gongkai.extract(seed_002(), sentences=False)
    assert errors(before) == ["requests.balance", "requests.outcome_sum", "requests.row_sum"]
    assert {f.get("suspect") for f in before.findings if f["severity"] == "error"} == {SUSPECT}
    path = tmp_path / "corrections.jsonl"
    append_corrections(path, [Correction(before.source.sha256, SUSPECT, 0, "fixed", "tester", "2026-12-03T00:00:00Z")])
    after = gongkai.extract(seed_002(), sentences=False, corrections=path)
    cell = after.cell(SUSPECT)
    assert (cell.value, cell.confidence, cell.corrected) == (0, 1.0, True)
    assert cell.to_dict()["corrected"] is True and "corrected" not in after.cell("requests.total.total").to_dict()
    assert errors(after) == []
    # Every re-run applies them again (the file is the decision, not the run).
    assert gongkai.extract(seed_002(), sentences=False, corrections=path).cell(SUSPECT).value == 0


def test_corrections_apply_by_sha256_not_by_name(tmp_path: Path) -> None:
    copy = tmp_path / "renamed.txt"
    copy.write_bytes(seed_002().read_bytes())
    other = shared_path("seeds", "000_311298fcf36e9c33.txt")
    path = tmp_path / "c.jsonl"
    append_corrections(path, [Correction(sha_of(copy), SUSPECT, 0, "fixed")])
    assert gongkai.extract(copy, sentences=False, corrections=path).cell(SUSPECT).corrected
    untouched = gongkai.extract(other, sentences=False, corrections=path)
    assert not any(c.corrected for _, c in untouched.table_cells())


def test_the_last_decision_for_a_cell_is_in_force(tmp_path: Path) -> None:
    sha = sha_of(seed_002())
    path = tmp_path / "c.jsonl"
    append_corrections(path, [Correction(sha, SUSPECT, 5, "fixed"), Correction(sha, SUSPECT, None, "fixed")])
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2  # history kept
    assert gongkai.extract(seed_002(), sentences=False, corrections=path).cell(SUSPECT).value is None


def test_a_correction_whose_cell_does_not_exist_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    append_corrections(path, [Correction(sha_of(seed_002()), "requests.no_such_row.total", 3, "fixed", "ann")])
    report = gongkai.extract(seed_002(), sentences=False, corrections=path)
    assert any("requests.no_such_row.total" in w and "not applied" in w for w in report.warnings)


@pytest.mark.parametrize(("line", "reason"), [
    ("not json", "line 2 is not JSON"),
    ('{"doc_sha256": "abc", "cell": "requests.total.total", "value": 1, "verdict": "ok"}', "64 hex"),
    ('{"cell": "requests.total.total", "value": 1, "verdict": "ok"}', "missing doc_sha256"),
    ('{"doc_sha256": "' + "0" * 64 + '", "cell": "requests.total.total", "value": "7", "verdict": "ok"}',
     "number or null"),
    ('{"doc_sha256": "' + "0" * 64 + '", "cell": "requests.total.total", "value": 1, "verdict": "maybe"}',
     "verdict must be one of"),
])
def test_a_malformed_file_names_its_line_and_reason(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "c.jsonl"
    good = json.dumps(Correction("0" * 64, "requests.total.total", 1, "ok").to_dict())
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(CorrectionsError, match=reason) as info:
        load_corrections(path)
    assert info.value.code == "C001"


def test_cli_extract_and_check_apply_corrections(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.jsonl"
    append_corrections(path, [Correction(sha_of(seed_002()), SUSPECT, 0, "fixed")])
    assert main(["check", str(seed_002())]) == 1
    assert main(["check", str(seed_002()), "--corrections", str(path)]) == 0
    capsys.readouterr()
    assert main(["extract", str(seed_002()), "--format", "json", "--no-text", "--no-classify",
                 "--corrections", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["requests"]["total"]["research"] == {**out["requests"]["total"]["research"], "value": 0,
                                                     "confidence": 1.0, "corrected": True}
    path.write_text("{broken\n", encoding="utf-8")
    assert main(["check", str(seed_002()), "--corrections", str(path)]) == 2
    assert "C001" in capsys.readouterr().err


def test_batch_applies_the_corrections_beside_its_outputs(tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    append_corrections(out / "corrections.jsonl", [Correction(sha_of(seed_002()), SUSPECT, 0, "fixed")])
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(seed_002().read_bytes())
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--no-sentences", "--quiet"]) == 0
    (line,) = (out / "reports.jsonl").read_text(encoding="utf-8").splitlines()
    report = json.loads(line)
    assert report["requests"]["total"]["research"]["corrected"] is True
    assert not [f for f in report["findings"] if f["severity"] == "error"]


def test_a_resumed_batch_redoes_the_reports_that_new_corrections_apply_to(tmp_path: Path) -> None:
    """Corrections made after a batch ran reach its outputs on the next run, and only once."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(seed_002().read_bytes())
    (folder / "b.txt").write_bytes(shared_path("seeds", "000_311298fcf36e9c33.txt").read_bytes())
    (folder / "copy-of-a.txt").write_bytes(seed_002().read_bytes())
    out = tmp_path / "results"
    run = ["batch", str(folder), "--out", str(out), "--workers", "1", "--no-sentences", "--quiet"]
    assert main(run) == 0

    def stored() -> dict[str, dict]:
        lines = (out / "reports.jsonl").read_text(encoding="utf-8").splitlines()
        return {r["source"]["path"]: r for r in map(json.loads, lines)}

    def manifest() -> list[dict]:
        return [json.loads(x) for x in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]

    before = stored()
    import pyarrow.parquet as pq

    suspects = {f["suspect"] for f in pq.read_table(out / "findings.parquet").to_pylist() if f["severity"] == "error"}
    assert suspects == {SUSPECT}  # the findings table names the cell to look at
    assert len(before) == 2 and any(f["severity"] == "error" for r in before.values() for f in r["findings"])
    append_corrections(out / "corrections.jsonl", [Correction(sha_of(seed_002()), SUSPECT, 0, "fixed")])
    assert main(run) == 0
    after = stored()
    assert set(after) == set(before)  # one line per input: the stale line was replaced, not duplicated
    a = next(r for r in after.values() if r["source"]["sha256"] == sha_of(seed_002()))
    assert a["requests"]["total"]["research"] == {**a["requests"]["total"]["research"], "value": 0, "corrected": True}
    assert not [f for f in a["findings"] if f["severity"] == "error"]
    other = next(r for r in after.values() if r is not a)
    assert other == next(r for r in before.values() if r["source"]["path"] == other["source"]["path"])
    entries = manifest()
    assert sorted(e["status"] for e in entries) == ["duplicate", "report", "report"]
    assert len({e["input"] for e in entries}) == 3

    lines = (out / "reports.jsonl").read_text(encoding="utf-8")
    assert main(run) == 0  # nothing new decided: nothing redone
    assert (out / "reports.jsonl").read_text(encoding="utf-8") == lines
