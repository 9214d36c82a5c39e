"""The cell review queue and its round trip: queue → Label Studio tasks → export → corrections → extract."""

from __future__ import annotations

import base64
import copy
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

import gongkai
from gongkai.annotations.cell_queue import build_queue, review_cells
from gongkai.annotations.cell_review import (
    CellRoundSpec,
    DocSource,
    import_cell_export,
    is_cell_export,
    labeling_config,
    load_source,
    make_cell_round,
    parse_value,
    read_cell_export,
    source_view,
    with_corrections,
)
from gongkai.annotations.corrections import Correction, CorrectionsError, append_corrections, load_corrections
from gongkai.cli import main
from gongkai.errors import LabelFileError
from gongkai.inference.tables.confidence import MODEL_PATH
from tests.conftest import shared_path

SEED_002 = ("seeds", "002_20e49bc070485a7c.txt")
SUSPECT = "requests.total.research"  # the cell whose misprint breaks three identities of seed 002
THREE_ERRORS = ["requests.balance", "requests.outcome_sum", "requests.row_sum"]
LOW = "requests.granted.natural_person"


def seed_002() -> Path:
    return shared_path(*SEED_002)


def errors(report: gongkai.Report) -> list[str]:
    return sorted(f["rule"] for f in report.findings if f["severity"] == "error")


@pytest.fixture(scope="module")
def seed_report() -> dict[str, Any]:
    return gongkai.extract(seed_002(), sentences=False).to_dict()


@pytest.fixture(scope="module")
def round_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("round") / "cells.json"
    make_cell_round(CellRoundSpec(sources=[str(seed_002())], out=out, n=50))
    return out


def tasks_of(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


def answer(task: dict[str, Any], text: str | None, verdict: str | None, who: Any = 7,
           at: str = "2026-01-05T10:11:12.345678Z") -> dict[str, Any]:
    """A task as Label Studio's JSON export gives it back, with one annotation."""
    result = []
    if text is not None:
        result.append({"from_name": "corrected_value", "to_name": "source", "type": "textarea",
                       "value": {"text": [text]}})
    if verdict is not None:
        result.append({"from_name": "verdict", "to_name": "source", "type": "choices",
                       "value": {"choices": [verdict]}})
    done = copy.deepcopy(task)
    done["annotations"] = [*done.get("annotations", []), {"completed_by": who, "result": result, "created_at": at,
                                                          "was_cancelled": False, "lead_time": 3.0}]
    return done


# ---------------------------------------------------------------- the queue


def test_the_queue_puts_the_suspect_first_then_low_confidence_then_skips_decided(seed_report: dict[str, Any]) -> None:
    report = copy.deepcopy(seed_report)
    report["requests"]["granted"]["natural_person"]["confidence"] = 0.3  # a doubtful read elsewhere
    queue = build_queue([report], n=100)
    paths = [c.cell for c in queue.chosen]
    assert paths[0] == SUSPECT and queue.chosen[0].suspect and queue.chosen[0].why.startswith("suspect")
    assert paths[1] == LOW and queue.chosen[1].why == "low confidence"
    # The other cells of the three broken identities follow, each once.
    assert len(paths) == len(set(paths)) and "requests.total.total" in paths and "requests.total.other" in paths
    assert all(c.rules for c in queue.chosen[2:])
    # Decided cells are never offered again.
    again = build_queue([report], n=100, decided=lambda sha: {SUSPECT, LOW})
    assert SUSPECT not in [c.cell for c in again.chosen] and LOW not in [c.cell for c in again.chosen]
    assert again.skipped_decided == 2
    assert build_queue([report], n=3).chosen == queue.chosen[:3]


def test_a_correction_clears_the_identity_cells_from_the_queue(seed_report: dict[str, Any]) -> None:
    sha = seed_report["source"]["sha256"]
    corrections = load_corrections_of([Correction(sha, SUSPECT, 0, "fixed")])
    refreshed = with_corrections(seed_report, corrections)
    assert refreshed["requests"]["total"]["research"]["corrected"] is True
    assert not [f for f in refreshed["findings"] if f["severity"] == "error"]
    assert review_cells(refreshed) == []  # nothing left to doubt in seed 002
    assert with_corrections(seed_report, load_corrections_of([])) is seed_report


def load_corrections_of(items: list[Correction]) -> Any:
    from gongkai.annotations.corrections import Corrections

    return Corrections(items)


def test_a_clean_report_offers_nothing_and_the_command_says_so(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    clean = shared_path("seeds", "000_311298fcf36e9c33.txt")
    code = main(["label", "next", "--cells", str(clean), "--n", "10", "--out", str(tmp_path / "c.json"),
                 "--corrections", str(tmp_path / "c.jsonl")])
    assert code == 2 and "no cell to review" in capsys.readouterr().err


def test_a_table_never_read_is_named_not_queued_cell_by_cell(seed_report: dict[str, Any]) -> None:
    """A table the reader did not find (replaced by a sentence, cut off) would fill the queue with
    blanks nobody read; it is named once for a look at the whole report, and a table read with
    blanks is still queued cell by cell."""
    lost = copy.deepcopy(seed_report)
    for cells in lost["appeals"].values():
        for cell in cells.values():
            cell.update(value=None, confidence=0.0, raw=None, span=None)
    lost["source"]["sha256"] = "f" * 64
    queue = build_queue([seed_report, lost], n=10_000)
    assert queue.unread == [(lost["source"]["path"], "f" * 64, "appeals")]
    assert not [c for c in queue.chosen if c.doc_sha256 == "f" * 64 and c.cell.startswith("appeals.")]
    assert [c.cell for c in queue.chosen if c.doc_sha256 == "f" * 64][0] == SUSPECT  # the rest as before
    assert "表四" in queue.unread_summary() and "1 tables of 1 reports" in queue.unread_summary()
    # A fifth of its cells read (even as doubtful blanks) and the table is queued cell by cell.
    for column in ("corrected", "total", "other"):
        lost["appeals"]["review"][column].update(confidence=0.3)
    again = build_queue([lost], n=10_000)
    assert not again.unread and any(c.cell.startswith("appeals.") for c in again.chosen)
    lost["appeals"]["review"]["other"].update(confidence=0.0)  # two of 15: a table not found
    assert [t for _, _, t in build_queue([lost], n=10_000).unread] == ["appeals"]


def test_real_reports_whose_tables_were_replaced_by_sentences_do_not_flood_the_queue() -> None:
    """r022: its 表三/表四 are a sentence each; r018: 表三 flattened with its zeros left out, 21 of its
    161 cells picked up. Before, their blanks were the whole queue of the corpus."""
    for name in ("r022.txt", "r018.txt"):
        report = gongkai.extract(shared_path("corpus", "real", name), sentences=False).to_dict(include_text=False)
        queue = build_queue([report], n=1000)
        assert {t for _, _, t in queue.unread} == {"requests", "appeals"}, name
        assert not [c for c in queue.chosen if not c.cell.startswith("proactive")], name


# ---------------------------------------------------------------- the tasks


def test_tasks_carry_context_value_confidence_source_line_and_the_way_back(round_file: Path,
                                                                           seed_report: dict[str, Any]) -> None:
    tasks = tasks_of(round_file)
    first = tasks[0]
    data = first["data"]
    assert data["cell"] == SUSPECT and data["doc_sha256"] == seed_report["source"]["sha256"]
    assert "表三“三（七）总计”行“科研机构”列" in data["context"] and "沂源县" in data["context"]
    assert data["value_read"] == 1 and data["confidence"] == pytest.approx(
        seed_report["requests"]["total"]["research"]["confidence"], abs=1e-4)
    assert "【" in data["source_line"] and "总计" in data["source_line"]
    assert "<mark" in data["html"] and data["image"] == ""  # text: the source line, no crop
    assert data["why"].startswith("suspect") and "读取值：1" in data["summary"]
    (pred,) = first["predictions"]
    assert pred["score"] == data["confidence"]
    assert pred["result"] == [{"from_name": "corrected_value", "to_name": "source", "type": "textarea",
                               "value": {"text": ["1"]}}]
    config = round_file.with_name("cells.config.xml").read_text(encoding="utf-8")
    assert config == labeling_config()
    for name in ('name="corrected_value"', 'name="verdict"', 'value="ok"', 'value="fixed"', 'value="structure"',
                 'value="$html"'):
        assert name in config
    # Nothing in data collides with the controls (JSON_MIN puts both side by side).
    assert not {"corrected_value", "verdict", "id", "annotator"} & set(data)


def _pdf_report(tmp_path: Path) -> Path:
    from gongkai.training.synth import random_values
    from gongkai.training.synth_pdf import PdfOptions, render_pdf

    rng = random.Random(3)
    item = render_pdf(random_values(rng, template="2021"), rng, PdfOptions("ruled"))
    path = tmp_path / "report.pdf"
    path.write_bytes(item.data or b"")
    return path


def test_pdf_tasks_carry_a_crop_of_the_page_around_the_cell(tmp_path: Path) -> None:
    from PIL import Image

    pdf = _pdf_report(tmp_path)
    out = tmp_path / "pdf.json"
    # Every cell (threshold above 1): a clean generated PDF has none to doubt.
    make_cell_round(CellRoundSpec(sources=[str(pdf)], out=out, n=3, threshold=1.01))
    for task in tasks_of(out):
        data = task["data"]
        assert data["page"] and data["image"].startswith("data:image/png;base64,")
        png = base64.b64decode(data["image"].split(",", 1)[1])
        image = Image.open(io.BytesIO(png))
        assert image.width > image.height > 40 and len(png) < 60_000
        assert f'<img src="{data["image"]}"' in data["html"]


def test_an_unreachable_file_falls_back_to_the_source_line_or_says_why(seed_report: dict[str, Any],
                                                                       tmp_path: Path) -> None:
    cell = build_queue([seed_report], n=1).chosen[0]
    cell.media_type, cell.page, cell.bbox = "application/pdf", 2, (10.0, 10.0, 30.0, 20.0)
    gone = load_source(str(tmp_path / "moved.pdf"), cell.doc_sha256, cell.media_type, seed_report["text"])
    view, marked = source_view(cell, gone)
    assert view.image == "" and "【" in view.line and "<mark" in marked and "未找到" in gone.note
    view, _ = source_view(cell, DocSource(None, None, gone.note))
    assert view.line == "" and "未找到" in view.to_html()
    changed = tmp_path / "changed.txt"
    changed.write_text("另一份文件", encoding="utf-8")
    assert "已改动" in load_source(str(changed), cell.doc_sha256, "text/plain", None).note


def test_the_text_of_a_batch_without_text_is_read_again_from_the_source(seed_report: dict[str, Any]) -> None:
    src = load_source(str(seed_002()), seed_report["source"]["sha256"], "text/plain", None)
    assert src.data is not None and src.text == seed_report["text"]


# ---------------------------------------------------------------- the way back


def test_round_trip_export_import_extract_clears_the_three_findings(round_file: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    before = gongkai.extract(seed_002(), sentences=False)
    assert errors(before) == THREE_ERRORS
    assert {f.get("suspect") for f in before.findings if f["severity"] == "error"} == {SUSPECT}
    tasks = tasks_of(round_file)
    assert tasks[0]["data"]["cell"] == SUSPECT
    export = [answer(tasks[0], "0", "fixed", who={"id": 1, "email": "reviewer@example.org"}),
              answer(tasks[1], str(tasks[1]["data"]["value_read"]), "ok", who=7), *tasks[2:]]
    for k, t in enumerate(export):
        t["id"] = k + 1
    path = tmp_path / "cells-export.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    corrections = tmp_path / "corrections.jsonl"
    assert main(["label", "import", str(path), "--corrections", str(corrections)]) == 0
    assert "2 corrections appended" in capsys.readouterr().out
    lines = [json.loads(x) for x in corrections.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == {"doc_sha256": before.source.sha256, "cell": SUSPECT, "value": 0, "verdict": "fixed",
                        "by": "reviewer@example.org", "at": "2026-01-05T10:11:12Z", "note": ""}
    assert (lines[1]["cell"], lines[1]["verdict"], lines[1]["by"]) == (tasks[1]["data"]["cell"], "ok", "7")
    after = gongkai.extract(seed_002(), sentences=False, corrections=corrections)
    cell = after.cell(SUSPECT)
    assert (cell.value, cell.confidence, cell.corrected) == (0, 1.0, True)
    assert errors(after) == [] and not [f for f in after.findings if f["rule"] in THREE_ERRORS]
    assert after.cell(tasks[1]["data"]["cell"]).corrected
    # Importing the same export again writes nothing.
    assert import_cell_export(path, corrections).added == []
    assert len(corrections.read_text(encoding="utf-8").splitlines()) == 2


def test_json_min_rows_and_the_full_form_give_the_same_corrections(round_file: Path, tmp_path: Path) -> None:
    task = tasks_of(round_file)[0]
    rows = [{**task["data"], "id": 11, "annotator": "reviewer@example.org", "annotation_id": 5,
             "created_at": "2026-01-05T10:11:12Z", "updated_at": "2026-01-05T10:11:12Z", "lead_time": 2.0,
             "corrected_value": "0", "verdict": "fixed"},
            {**tasks_of(round_file)[1]["data"], "id": 12, "annotator": None, "annotation_id": None}]
    mini = tmp_path / "min.json"
    mini.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    full = tmp_path / "full.json"
    full.write_text(json.dumps([answer(task, "0", "fixed", who="reviewer@example.org",
                                       at="2026-01-05T10:11:12Z")], ensure_ascii=False), encoding="utf-8")
    a = import_cell_export(mini, tmp_path / "a.jsonl").added
    b = import_cell_export(full, tmp_path / "b.jsonl").added
    assert a == b and len(a) == 1 and (a[0].value, a[0].verdict) == (0, "fixed")


def test_answers_are_read_generously_and_disagreements_are_not_written(round_file: Path, tmp_path: Path) -> None:
    tasks = tasks_of(round_file)
    export = [
        answer(tasks[0], "１,２0", "fixed"),          # full-width digits and a separator: 120
        answer(tasks[1], "", "fixed"),                # empty: a blank cell (null)
        answer(tasks[2], None, "ok"),                 # ok without the text area: the value read
        answer(tasks[3], "5", "ok"),                  # ok but changed: taken as fixed, with a note
        answer(answer(tasks[4], "1", "fixed", who=1), "2", "fixed", who=2),  # reviewers disagree
        answer(answer(tasks[5], "0", "ok", who=1), "0", "ok", who=2),        # reviewers agree: one line
    ]
    path = tmp_path / "e.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    result = import_cell_export(path, tmp_path / "c.jsonl", by=None)
    got = {c.cell: c for c in result.added}
    assert got[tasks[0]["data"]["cell"]].value == 120
    assert got[tasks[1]["data"]["cell"]].value is None
    assert (got[tasks[2]["data"]["cell"]].value, got[tasks[2]["data"]["cell"]].verdict) == (
        tasks[2]["data"]["value_read"], "ok")
    changed = got[tasks[3]["data"]["cell"]]
    assert (changed.value, changed.verdict) == (5, "fixed") and "verdict ok" in changed.note
    assert tasks[4]["data"]["cell"] not in got and [c[1] for c in result.conflicts] == [tasks[4]["data"]["cell"]]
    assert got[tasks[5]["data"]["cell"]].by == "1; 2"
    named = import_cell_export(path, tmp_path / "d.jsonl", by="王审核").added
    assert {c.by for c in named} == {"王审核"}


@pytest.mark.parametrize(("text", "value"), [("12", 12), (" 3.50 ", 3.5), ("1,234", 1234), ("０", 0), ("", None),
                                             ("—", None), ("2.0", 2)])
def test_parse_value(text: str, value: Any) -> None:
    assert parse_value(text, "here") == value


def test_a_value_that_is_no_number_is_refused_naming_the_task(round_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps([answer(tasks_of(round_file)[0], "十二", "fixed")], ensure_ascii=False),
                    encoding="utf-8")
    with pytest.raises(LabelFileError, match="not a number"):
        import_cell_export(path, tmp_path / "c.jsonl")
    assert not (tmp_path / "c.jsonl").exists()  # all or nothing


def test_an_orphan_correction_is_reported_in_warnings(round_file: Path, tmp_path: Path) -> None:
    task = copy.deepcopy(tasks_of(round_file)[0])
    task["data"]["cell"] = "requests.no_such_row.total"
    path = tmp_path / "e.json"
    path.write_text(json.dumps([answer(task, "3", "fixed", who="ann")], ensure_ascii=False), encoding="utf-8")
    corrections = tmp_path / "c.jsonl"
    import_cell_export(path, corrections)
    report = gongkai.extract(seed_002(), sentences=False, corrections=corrections)
    assert any("requests.no_such_row.total" in w and "not applied" in w for w in report.warnings)


def test_a_malformed_corrections_file_gives_its_line_number(round_file: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    corrections = tmp_path / "c.jsonl"
    good = Correction("0" * 64, SUSPECT, 0, "fixed")
    append_corrections(corrections, [good])
    with corrections.open("a", encoding="utf-8") as fh:
        fh.write('{"doc_sha256": "' + "0" * 64 + '", "cell": "requests.total.total", "value": "x", "verdict": "ok"}\n')
    with pytest.raises(CorrectionsError, match=r"c\.jsonl:2") as err:
        load_corrections(corrections)
    assert err.value.code == "C001"
    path = tmp_path / "e.json"
    path.write_text(json.dumps([answer(tasks_of(round_file)[0], "0", "fixed")], ensure_ascii=False), encoding="utf-8")
    before = corrections.read_bytes()
    assert main(["label", "import", str(path), "--corrections", str(corrections)]) == 2
    assert "c.jsonl:2" in capsys.readouterr().err and corrections.read_bytes() == before
    assert main(["label", "next", "--cells", str(seed_002()), "--out", str(tmp_path / "r.json"),
                 "--corrections", str(corrections)]) == 2


def test_sentence_exports_are_not_taken_for_cell_exports(round_file: Path) -> None:
    sentence_task = {"data": {"text": "…", "doc": "seeds/x.txt", "span": [0, 1], "text_sha256": "0" * 64},
                     "annotations": []}
    assert not is_cell_export([sentence_task]) and not is_cell_export([{"text": "…", "doc": "x", "span": [0, 1]}])
    assert is_cell_export(tasks_of(round_file))
    assert read_cell_export(round_file) == []  # a round nobody answered yet


def test_queue_from_a_batch_folder_skips_what_its_corrections_decided(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(seed_002().read_bytes())
    results = tmp_path / "results"
    assert main(["batch", str(folder), "--out", str(results), "--workers", "1", "--no-sentences", "--quiet"]) == 0
    capsys.readouterr()
    out = tmp_path / "cells.json"
    assert main(["label", "next", "--cells", "--from", str(results), "--n", "5", "--out", str(out)]) == 0
    tasks = tasks_of(out)
    assert [t["data"]["cell"] for t in tasks][0] == SUSPECT and len(tasks) == 5
    assert tasks[0]["data"]["doc"].endswith("a.txt") and "【" in tasks[0]["data"]["source_line"]  # read again
    # The default corrections file is the batch's own: once the suspect is decided there, its
    # identities hold again and nothing is left to offer (although reports.jsonl still lists them).
    sha = tasks[0]["data"]["doc_sha256"]
    append_corrections(results / "corrections.jsonl", [Correction(sha, SUSPECT, 0, "fixed")])
    assert main(["label", "next", "--cells", "--from", str(results), "--out", str(out)]) == 2
    assert "1 already decided" in capsys.readouterr().err


def test_train_confidence_with_reviewed_cells_reports_ece_and_keeps_the_shipped_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    reviewed = []
    for name in ("002_20e49bc070485a7c.txt", "000_311298fcf36e9c33.txt", "001_90d10d0810e34bee.txt"):
        copy_of = docs / name
        copy_of.write_bytes(shared_path("seeds", name).read_bytes())
        report = gongkai.extract(copy_of, sentences=False)
        reviewed += [Correction(report.source.sha256, path, cell.value, "ok", "t")
                     for path, cell in list(report.table_cells())[:20]]
    reviewed.append(Correction("f" * 64, SUSPECT, 1, "fixed"))  # a document that is nowhere
    corrections = tmp_path / "corrections.jsonl"
    append_corrections(corrections, reviewed)
    shipped = MODEL_PATH.read_bytes()
    code = main(["train", "confidence", "--reviewed", str(corrections), "--docs", str(docs), "--reports", "60"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "reviewed cells: 60 from 3 documents" in out and "1 corrected documents not found" in out
    assert "ECE on the reviewed cells: before" in out and "held out by document" in out
    written = tmp_path / "confidence.reviewed.json"
    assert json.loads(written.read_text(encoding="utf-8"))["weights"]
    assert MODEL_PATH.read_bytes() == shipped


def test_loaded_corrections_round_trip_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    c = Correction("a" * 64, SUSPECT, None, "structure", "x", "2026-01-01T00:00:00Z", "rows shifted")
    append_corrections(path, [c])
    assert load_corrections(path).for_doc("a" * 64) == {SUSPECT: c}


def test_the_labeling_page_refuses_a_cell_round_with_a_pointer_to_label_studio(
        round_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["label", "serve", str(round_file), "--port", "0"]) == 2
    assert "cell review round" in capsys.readouterr().err
