"""Import into the label store: idempotent, all or nothing, conflicts reported, the test split frozen.

Rounds are built from real seed sentences read from ../shared at run time (never stored here).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gongkai.annotations.labelstudio import prediction_result, read_round, task_of, write_round
from gongkai.annotations.pool import Candidate
from gongkai.annotations.store import import_export, latest, read_lines
from gongkai.errors import AnchorError, FrozenSplitError, LabelFileError
from gongkai.training.sentence_data import document_sentences, latest_lines, load_hand_labels
from tests.conftest import shared_path

TRAIN_SEED = "seeds/000_311298fcf36e9c33.txt"  # not in the frozen test split
TEST_SEED = "seeds/001_90d10d0810e34bee.txt"  # in it (split.json)


def candidates(shared: Path, doc: str, n: int) -> list[Candidate]:
    sentences = [s for s in document_sentences(shared, doc) if len(s.text) > 10][:n]
    return [Candidate(doc, "", s.span, s.text, s.heading) for s in sentences]


def export(tasks: list[dict[str, Any]], answers: list[dict[str, tuple[str, ...]]], path: Path) -> Path:
    """A Label Studio JSON export: each task annotated by the people in its answers dict."""
    out = []
    for n, (task, people) in enumerate(zip(tasks, answers)):
        out.append({**task, "id": n + 1, "annotations": [
            {"completed_by": who, "result": prediction_result(labs), "lead_time": 4.5,
             "created_at": "2026-12-01T10:00:00Z", "was_cancelled": False} for who, labs in people.items()]})
    path.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture()
def shared() -> Path:
    return shared_path()


@pytest.fixture()
def round_tasks(shared: Path) -> list[dict[str, Any]]:
    return [task_of(c, ["platform"], "test-model@0", 0.5, 1, "uncertainty") for c in candidates(shared, TRAIN_SEED, 4)]


def test_import_adds_each_label_once_and_reimport_changes_nothing(tmp_path: Path, shared: Path,
                                                                  round_tasks: list[dict[str, Any]]) -> None:
    labels = tmp_path / "labels.jsonl"
    answers = [{"ann-1": ("measure",)}, {"ann-1": ()}, {"ann-1": ("platform", "supervision")}, {"ann-1": ("problem",)}]
    path = export(round_tasks, answers, tmp_path / "export.json")
    first = import_export(path, labels, shared)
    assert (first.added, first.unchanged, first.conflicts) == (4, 0, [])
    stored = latest(read_lines(labels))
    for task, people in zip(round_tasks, answers):
        d = task["data"]
        line = stored[(d["doc"], tuple(d["span"]))]
        assert tuple(line["labels"]) == people["ann-1"]
        assert (line["text_sha256"], line["annotator"], line["round"], line["lead_time"]) == (d["text_sha256"], "ann-1",
                                                                                              1, 4.5)
        assert line["model_version"] == "test-model@0" and "text" not in line  # no report text in the store
    before = labels.read_bytes()
    again = import_export(path, labels, shared)
    assert (again.added, again.unchanged) == (0, 4)
    assert labels.read_bytes() == before
    # The training loader reads the new labels back from ../shared, checked against their hashes.
    loaded = {(s.doc, s.span): s.labels for s in load_hand_labels(shared, labels)}
    assert loaded[(TRAIN_SEED, tuple(round_tasks[2]["data"]["span"]))] == ("platform", "supervision")


def test_a_moved_sentence_or_a_frozen_one_stops_the_whole_import(tmp_path: Path, shared: Path,
                                                                 round_tasks: list[dict[str, Any]]) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text("", encoding="utf-8")
    moved = [dict(t, data=dict(t["data"])) for t in round_tasks]
    moved[2]["data"]["span"] = [moved[2]["data"]["span"][0] + 1, moved[2]["data"]["span"][1] + 1]
    with pytest.raises(AnchorError, match="no longer match"):
        import_export(export(moved, [{"a": ("measure",)}] * 4, tmp_path / "moved.json"), labels, shared)
    frozen = round_tasks + [task_of(candidates(shared, TEST_SEED, 1)[0], [], "m", 0.5, 1, "uncertainty")]
    with pytest.raises(FrozenSplitError, match="frozen test split"):
        import_export(export(frozen, [{"a": ("measure",)}] * 5, tmp_path / "frozen.json"), labels, shared)
    lost = [dict(t, data={**t["data"], "doc": "archive/elsewhere.txt", "doc_sha256": "0" * 64}) for t in round_tasks]
    with pytest.raises(AnchorError, match="--documents"):
        import_export(export(lost, [{"a": ()}] * 4, tmp_path / "lost.json"), labels, shared)
    assert labels.read_text(encoding="utf-8") == ""  # nothing written by any of them


def test_disagreements_are_reported_and_a_review_round_settles_them(tmp_path: Path, shared: Path,
                                                                    round_tasks: list[dict[str, Any]]) -> None:
    labels = tmp_path / "labels.jsonl"
    answers = [{"ann-1": ("measure",), "ann-2": ("measure",)}, {"ann-1": ("platform",), "ann-2": ()},
               {"ann-1": ()}, {"ann-1": ("problem",)}]
    result = import_export(export(round_tasks, answers, tmp_path / "r1.json"), labels, shared)
    assert result.added == 3 and [c.uid for c in result.conflicts] == [round_tasks[1]["data"]["uid"]]
    assert result.conflicts[0].labels == {"ann-1": ("platform",), "ann-2": ()}
    stored = latest(read_lines(labels))
    assert (TRAIN_SEED, tuple(round_tasks[1]["data"]["span"])) not in stored
    assert stored[(TRAIN_SEED, tuple(round_tasks[0]["data"]["span"]))]["annotator"] == "ann-1; ann-2"
    # The conflicts came out as a review round; a reviewer's answer is stored.
    review = read_round(result.conflicts_file)
    assert [t["data"]["selected_by"] for t in review] == ["review"]
    assert import_export(export(review, [{"lead": ("platform",)}], tmp_path / "r2.json"), labels, shared).added == 1
    # An ordinary round that disagrees with a stored label is a conflict too, not an overwrite ...
    later = import_export(export(round_tasks[3:], [{"ann-3": ("measure",)}], tmp_path / "r3.json"), labels, shared)
    assert later.added == 0 and len(later.conflicts) == 1
    assert "stored (ann-1)" in later.conflicts[0].describe()
    # ... while an audit round replaces it, and the loader then reads the new label.
    audit_task = {**round_tasks[3], "data": {**round_tasks[3]["data"], "selected_by": "audit"}}
    fixed = import_export(export([audit_task], [{"ann-3": ("measure",)}], tmp_path / "r4.json"), labels, shared)
    assert fixed.superseded == 1
    rows = {(r["doc"], tuple(r["span"])): r for r in latest_lines(labels)}
    assert rows[(TRAIN_SEED, tuple(audit_task["data"]["span"]))]["labels"] == ["measure"]
    assert rows[(TRAIN_SEED, tuple(audit_task["data"]["span"]))]["supersedes"] == "ann-1"


def test_reports_outside_shared_are_found_again_by_their_sha256(tmp_path: Path, shared: Path) -> None:
    import hashlib

    archive = tmp_path / "archive"
    archive.mkdir()
    copy = archive / "agency-2024.txt"
    shutil.copy(shared / TRAIN_SEED, copy)
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    tasks = [task_of(Candidate(str(copy), digest, c.span, c.text, c.heading), [], "m", 0.5, 1, "random")
             for c in candidates(shared, TRAIN_SEED, 2)]
    labels = tmp_path / "labels.jsonl"
    path = export(tasks, [{"a": ("measure",)}, {"a": ()}], tmp_path / "e.json")
    assert import_export(path, labels, shared).added == 2
    assert read_lines(labels)[0]["doc_sha256"] == digest
    # The user renames the file: the loader finds it in the documents folder by its content.
    copy.rename(archive / "renamed.txt")
    found = load_hand_labels(shared, labels, documents=archive)
    assert [s.labels for s in found] == [("measure",), ()]
    (archive / "renamed.txt").unlink()
    missing: list[str] = []
    assert load_hand_labels(shared, labels, documents=archive, missing=missing) == []
    assert len(missing) == 2


@pytest.mark.parametrize("content, message", [
    ("", "empty"),
    ("{not json", "not JSON"),
    ("[]", "no tasks"),
    ('[{"data": {"text": "x"}, "annotations": []}]', "not a gongkai round"),
])
def test_bad_files_give_a_clear_error_and_write_nothing(tmp_path: Path, shared: Path, content: str,
                                                        message: str) -> None:
    labels = tmp_path / "labels.jsonl"
    bad = tmp_path / "export.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(LabelFileError, match=message):
        import_export(bad, labels, shared)
    assert not labels.exists()


def test_another_projects_export_is_refused(tmp_path: Path, shared: Path, round_tasks: list[dict[str, Any]]) -> None:
    path = export(round_tasks[:1], [{"a": ("measure",)}], tmp_path / "e.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data[0]["annotations"][0]["result"][0]["value"]["choices"] = ["Positive"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LabelFileError, match="unknown label"):
        import_export(path, tmp_path / "labels.jsonl", shared)


def test_round_files_write_their_labeling_config_beside_them(tmp_path: Path, round_tasks: list[dict[str, Any]]) -> None:
    task_file, config = write_round(tmp_path / "round.json", round_tasks)
    xml = config.read_text(encoding="utf-8")
    assert config.name == "round.config.xml"
    for label in ("problem", "measure", "platform", "supervision"):
        assert f'value="{label}"' in xml
    assert 'choice="multiple"' in xml and read_round(task_file) == round_tasks
