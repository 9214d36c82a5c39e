"""``gongkai extract``: readable summary by default, schema JSON on request, bad files reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gongkai.cli import main


def test_summary_shows_fields_tables_and_confidence(seeds_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(seeds_dir / "003_015671194d5bc82a.txt")]) == 0
    out = capsys.readouterr().out
    assert "广水市科技经信局" in out and "2024" in out and "template: 2021" in out
    assert "表二" in out and "许可 50" in out
    assert "（七）总计" in out and "表四" in out and "confidence:" in out


def test_json_format_is_one_schema_object_per_file(seeds_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(seeds_dir / "000_311298fcf36e9c33.txt"), str(seeds_dir / "002_20e49bc070485a7c.txt")]
    assert main(["extract", "--format", "json", "--no-text", *files]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["schema_version"] == "1" and "text" not in first
    assert second["requests"]["total"]["research"]["value"] == 1


def test_bad_file_is_reported_and_the_others_still_run(
    tmp_path: Path, seeds_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code = main(["extract", "--format", "json", "--no-text", str(empty), str(seeds_dir / "001_90d10d0810e34bee.txt"),
                 str(tmp_path / "missing.txt")])
    captured = capsys.readouterr()
    assert code == 2
    assert "empty.txt" in captured.err and "[E001]" in captured.err
    assert "missing.txt" in captured.err
    assert json.loads(captured.out.strip())["agency"]["value"] == "晋江市科学技术局"


def test_check_reports_unreadable_files_and_exits_2_without_errors(
    tmp_path: Path, seeds_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "junk.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    assert main(["check", str(binary), str(seeds_dir / "000_311298fcf36e9c33.txt")]) == 2
    captured = capsys.readouterr()
    assert "junk.bin" in captured.err and "no problems found" in captured.out


def test_summary_lists_tagged_sentences(seeds_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(seeds_dir / "000_311298fcf36e9c33.txt")]) == 0
    out = capsys.readouterr().out
    assert "sentences:" in out and "narrative" in out
    tagged = [line for line in out.splitlines() if line.startswith("     ") and any(
        lab in line for lab in ("problem", "measure", "platform", "supervision"))]
    assert len(tagged) >= 5
    assert any(line.lstrip().startswith("五（二）") and "measure" in line for line in tagged)


def test_no_classify_skips_the_model(seeds_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", "--format", "json", "--no-classify", str(seeds_dir / "000_311298fcf36e9c33.txt")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sentences"] and all(s["scores"] is None for s in data["sentences"])


def test_evaluate_classifier_compares_the_shipped_models(capsys: pytest.CaptureFixture[str], seeds_dir: Path) -> None:
    assert main(["evaluate", "classifier", "--shared", str(seeds_dir.parent)]) == 0
    out = capsys.readouterr().out
    for name in ("heuristic", "baseline", "transformer", "blend", "blend-bf16"):
        assert f"| {name} | macro |" in out
    assert "held-out test split" in out and "ECE" in out


def test_evaluate_agreement_scores_a_second_reading(capsys: pytest.CaptureFixture[str], seeds_dir: Path,
                                                    tmp_path: Path) -> None:
    assert main(["evaluate", "agreement", "--shared", str(seeds_dir.parent)]) == 0
    out = capsys.readouterr().out
    assert "260 sentences read twice" in out and "| macro |" in out
    # A second reading that flips every label of its first sentence must lose agreement on those labels.
    from gongkai.inference.narrative.classify import LABELS
    from gongkai.training.sentence_data import SECOND_READING_FILE, read_label_lines

    rows = list(read_label_lines(SECOND_READING_FILE))
    rows[0]["labels"] = [lab for lab in LABELS if lab not in rows[0]["labels"]]
    flipped = tmp_path / "second.jsonl"
    flipped.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["evaluate", "agreement", "--shared", str(seeds_dir.parent), "--second", str(flipped)]) == 0
    worse = capsys.readouterr().out
    macro = [line for line in (out, worse) for line in line.splitlines() if line.startswith("| macro |")]
    assert float(macro[1].split("|")[4]) < float(macro[0].split("|")[4])
