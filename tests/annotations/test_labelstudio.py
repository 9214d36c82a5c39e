"""Label Studio exports read back (``read_export``), on hand-written exports of invented sentences.

The shapes follow what Label Studio 1.23 really writes (see test_labelstudio_server.py, which
checks them against a running server): JSON with prediction ids and ``completed_by`` as a user
id, the snapshot with full predictions and ``completed_by`` as a user dict, JSON_MIN with one
flat row per annotation.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from gongkai.annotations.labelstudio import (
    DATA_KEYS,
    FROM_NAME,
    TO_NAME,
    labeling_config,
    read_export,
    task_of,
)
from gongkai.annotations.pool import Candidate
from gongkai.errors import LabelFileError
from gongkai.inference.narrative.classify import LABELS

# Invented sentences (no report text in the repository).
TEXTS = ("本机关进一步规范依申请公开办理流程，统一答复文书格式。",
         "个别栏目信息发布不够及时，解读形式较为单一。",
         "年内组织业务培训两次，参训人员八十余人次。")


def tasks() -> list[dict[str, Any]]:
    out, pos = [], 0
    for n, text in enumerate(TEXTS):
        c = Candidate(doc="invented/report.txt", doc_sha256="0" * 64, span=(pos, pos + len(text)), text=text,
                      heading="一、总体情况", before=TEXTS[n - 1] if n else "",
                      after=TEXTS[n + 1] if n + 1 < len(TEXTS) else "")
        pos += len(text)
        out.append(task_of(c, ["measure"], "test-model@1", 0.25 * (n + 1), 3, "uncertainty"))
    return out


def annotation(labels: list[str], who: Any = 1, cancelled: bool = False, from_name: str = FROM_NAME) -> dict[str, Any]:
    result = [{"from_name": from_name, "to_name": TO_NAME, "type": "choices", "value": {"choices": labels}}] \
        if labels else []  # as posted: any order, any value
    return {"id": 100, "completed_by": who, "result": result, "was_cancelled": cancelled, "ground_truth": False,
            "created_at": "2026-12-01T08:00:00.000000Z", "updated_at": "2026-12-01T08:00:00.000000Z",
            "lead_time": 6.25, "prediction": {}, "result_count": len(result), "task": 1, "project": 1}


def full_export(answers: list[list[dict[str, Any]]], snapshot: bool = False) -> list[dict[str, Any]]:
    """JSON (predictions as ids) or, with ``snapshot``, the snapshot form (predictions in full)."""
    out = []
    for n, (task, anns) in enumerate(zip(tasks(), answers)):
        preds = [{"id": n + 1, "result": p["result"], "model_version": p["model_version"], "score": p["score"]}
                 for p in task["predictions"]] if snapshot else [n + 1]
        out.append({"id": n + 1, "annotations": anns, "drafts": [], "predictions": preds, "data": task["data"],
                    "meta": {}, "created_at": "2026-12-01T07:00:00.000000Z", "inner_id": n + 1,
                    "total_annotations": len(anns), "cancelled_annotations": 0, "project": 1})
    return out


def min_row(n: int, value: Any = None, who: Any = 1, annotation_id: int | None = 100, **extra: Any) -> dict[str, Any]:
    """A JSON_MIN row: the task's data beside the export's keys; ``value`` absent when None."""
    row = {**tasks()[n]["data"], "id": n + 1, "annotator": who, "annotation_id": annotation_id,
           "created_at": "2026-12-01T08:00:00.000000Z", "updated_at": "2026-12-01T08:00:00.000000Z",
           "lead_time": 6.25 if annotation_id is not None else None, **extra}
    if value is not None:
        row[FROM_NAME] = value
    return row


def write(tmp_path: Path, content: Any, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False),
                    encoding="utf-8")
    return path


def summary(anns: list[Any]) -> list[tuple[str, tuple[str, ...], str, bool]]:
    return [(a.data["text"], a.labels, a.annotator, a.cancelled) for a in anns]


def test_labeling_config_names_the_four_labels() -> None:
    root = ET.fromstring(labeling_config())
    choices = root.find(".//Choices")
    assert choices is not None
    assert (choices.get("name"), choices.get("toName"), choices.get("choice")) == (FROM_NAME, TO_NAME, "multiple")
    assert [c.get("value") for c in choices.findall("Choice")] == list(LABELS)
    assert {t.get("name") for t in root.iter("Text")} >= {TO_NAME}


def test_every_data_key_of_a_round_is_listed_for_json_min() -> None:
    assert set(tasks()[0]["data"]) <= set(DATA_KEYS)


def test_json_export_with_user_ids_prediction_ids_and_an_unannotated_task(tmp_path: Path) -> None:
    answers = [[annotation(["platform", "measure"], who=1), annotation([], who=2)],
               [annotation(["problem"], who=1)],
               []]
    anns = read_export(write(tmp_path, full_export(answers)))
    assert summary(anns) == [(TEXTS[0], ("measure", "platform"), "1", False), (TEXTS[0], (), "2", False),
                             (TEXTS[1], ("problem",), "1", False)]
    first = anns[0]
    assert first.uid == tasks()[0]["data"]["uid"] and first.data["span"] == tasks()[0]["data"]["span"]
    assert (first.lead_time, first.created_at, first.task_id) == (6.25, "2026-12-01T08:00:00.000000Z", 1)


def test_snapshot_with_user_dicts_full_predictions_and_a_cancelled_annotation(tmp_path: Path) -> None:
    alice = {"id": 1, "email": "alice@example.org", "first_name": "", "last_name": ""}
    answers = [[annotation(["supervision"], who=alice)],
               [annotation(["problem"], who=alice, cancelled=True), annotation(["problem"], who={"id": 9})],
               [annotation(list(LABELS), who="bob@example.org")]]
    anns = read_export(write(tmp_path, full_export(answers, snapshot=True)))
    assert summary(anns) == [(TEXTS[0], ("supervision",), "alice@example.org", False),
                             (TEXTS[1], ("problem",), "alice@example.org", True),
                             (TEXTS[1], ("problem",), "9", False),
                             (TEXTS[2], tuple(LABELS), "bob@example.org", False)]


def test_snapshot_wrapped_with_its_metadata(tmp_path: Path) -> None:
    body = {"id": 1, "title": "snapshot", "tasks": full_export([[annotation(["measure"])], [], []], snapshot=True)}
    assert summary(read_export(write(tmp_path, body))) == [(TEXTS[0], ("measure",), "1", False)]


def test_json_min_single_choice_several_choices_none_and_unannotated_rows(tmp_path: Path) -> None:
    rows = [min_row(0, "problem", who=1),                                   # one choice: a plain string
            min_row(1, {"choices": ["supervision", "measure"]}, who="bob@example.org"),  # several: a dict
            min_row(1, None, who=2),                                        # nothing ticked: no label key
            min_row(2, None, who=None, annotation_id=None)]                 # nobody annotated the task
    anns = read_export(write(tmp_path, rows))
    assert summary(anns) == [(TEXTS[0], ("problem",), "1", False),
                             (TEXTS[1], ("measure", "supervision"), "bob@example.org", False),
                             (TEXTS[1], (), "2", False)]
    assert anns[0].data == tasks()[0]["data"]
    assert (anns[0].lead_time, anns[0].task_id) == (6.25, 1)


def test_json_min_of_several_results_is_flattened(tmp_path: Path) -> None:
    rows = [min_row(0, ["platform", {"choices": ["problem", "measure"]}])]
    assert read_export(write(tmp_path, rows))[0].labels == ("problem", "measure", "platform")


@pytest.mark.parametrize(("content", "message"), [
    ("", "the file is empty"),
    ("  \n", "the file is empty"),
    ("annotator,labels\n1,problem\n", "not JSON"),
    ("[{\"id\": 1,", "not JSON"),
    ("{\"id\": 1}", "expected a list of tasks, got a JSON dict"),
    ("[]", "holds no tasks"),
    ("[1, 2]", "expected a list of task objects"),
])
def test_unusable_files_are_refused_clearly(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(LabelFileError, match=message) as err:
        read_export(write(tmp_path, content))
    assert "[L001]" in str(err.value) and "export.json" in str(err.value)


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes("[{\"标签\": 1}]".encode("gbk"))
    with pytest.raises(LabelFileError, match="UTF-8"):
        read_export(path)


def test_unknown_label_is_refused_not_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, full_export([[annotation(["problem"])], [annotation(["positive"])], []]))
    with pytest.raises(LabelFileError, match=r"task 2: unknown label\(s\) \['positive'\].*another project"):
        read_export(path)
    with pytest.raises(LabelFileError, match=r"row 1: unknown label\(s\) \['Problem'\]"):
        read_export(write(tmp_path, [min_row(0, "Problem")]))


def test_another_control_name_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, full_export([[annotation(["problem"], from_name="sentiment")], [], []]))
    with pytest.raises(LabelFileError, match="'sentiment', not 'labels'.*another project's labeling config"):
        read_export(path)
    # JSON_MIN names the control by its key: one that is neither round data nor ours is another config's
    rows = [min_row(0, None, sentiment="positive")]
    with pytest.raises(LabelFileError, match=r"row 1: key\(s\) \['sentiment'\].*another project's labeling config"):
        read_export(write(tmp_path, rows))
    rows = [min_row(0, {"text": ["备注"]})]  # our key, but a text area's value
    with pytest.raises(LabelFileError, match="not choices"):
        read_export(write(tmp_path, rows))


def test_tasks_of_another_project_lack_the_anchor(tmp_path: Path) -> None:
    other = [{"id": 1, "data": {"text": "示例句子。"}, "annotations": [annotation(["problem"])]}]
    with pytest.raises(LabelFileError, match=r"task 1: task data lacks \['doc', 'span', 'text_sha256'\]"):
        read_export(write(tmp_path, other))
    rows = [{"text": "示例句子。", "id": 1, "annotator": 1, "annotation_id": 5, FROM_NAME: "problem"}]
    with pytest.raises(LabelFileError, match="row 1: task data lacks"):
        read_export(write(tmp_path, rows))

