"""Label Studio interchange: tasks with pre-annotations out, exports (JSON, JSON_MIN, snapshot) back in.

A round file is a Label Studio task list, importable as it is: ``data`` holds the sentence,
its heading and neighbours for the annotator and, for the way back, the anchor of the
sentence (doc, span, hashes); ``predictions`` holds the model's labels pre-ticked. Everything
the import needs is in ``data`` (Label Studio copies it into every export form), so that the
plain JSON export, which carries prediction ids only, loses nothing. The built-in labeling
page writes the same JSON export form.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from gongkai.annotations.pool import Candidate
from gongkai.errors import LabelFileError
from gongkai.inference.narrative.classify import LABELS

FROM_NAME, TO_NAME = "labels", "text"
# The labeling guide's one-line definitions (../shared/spec/labeling-guide.md), shown as hints.
LABEL_HINTS: dict[str, str] = {
    "problem": "a shortcoming, difficulty or gap in the agency's own disclosure work (not one reported as fixed)",
    "measure": "an action taken or planned to fix a problem or improve disclosure work; a concrete change "
               "reported as done (not routine work reported as done)",
    "platform": "the channels of disclosure: website and its 专栏, 政务新媒体, 公开栏, 查阅点, hotlines, 政府公报",
    "supervision": "oversight and safeguards: leadership and responsibility, assessment, inspection, "
                   "confidentiality review, staff training, work mechanisms and rules",
}
# Keys of ``data``: JSON_MIN puts them beside its own keys (id, annotator, ...), so none may collide, and
# every key a round writes must be listed: a JSON_MIN row's other keys are taken for another labeling
# config's controls and refused (the last two are the audit round's).
DATA_KEYS = ("text", "heading", "before", "after", "doc", "doc_sha256", "span", "text_sha256", "uid", "round",
             "selected_by", "model_version", "selection_score", "stored_annotator", "suspect_labels")
_EXPORT_KEYS = {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", FROM_NAME}


def labeling_config() -> str:
    """The Label Studio labeling config matching the round files (multi-choice over the four labels)."""
    choices = "\n".join(f"    <Choice value={quoteattr(lab)} hint={quoteattr(LABEL_HINTS[lab])}/>" for lab in LABELS)
    return f"""<View>
  <Header value="$heading"/>
  <Text name="before" value="$before" granularity="symbol"/>
  <View style="border-left: 4px solid #d33; padding-left: 8px; font-size: 1.2em">
    <Text name="{TO_NAME}" value="$text"/>
  </View>
  <Text name="after" value="$after"/>
  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="multiple" showInline="true">
{choices}
  </Choices>
</View>
"""


def prediction_result(labels: Sequence[str]) -> list[dict[str, Any]]:
    """A Label Studio result ticking ``labels`` (empty: the model ticks nothing)."""
    if not labels:
        return []
    return [{"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices",
             "value": {"choices": [lab for lab in LABELS if lab in labels]}}]


def task_of(c: Candidate, labels: Sequence[str], model_version: str, score: float, round_no: int,
            selected_by: str) -> dict[str, Any]:
    data = {"text": c.text, "heading": c.heading or "", "before": c.before, "after": c.after, "doc": c.doc,
            "doc_sha256": c.doc_sha256, "span": list(c.span), "text_sha256": c.text_sha256, "uid": c.uid,
            "round": round_no, "selected_by": selected_by, "model_version": model_version,
            "selection_score": round(float(score), 4)}
    return {"data": data, "predictions": [{"model_version": model_version, "score": round(float(score), 4),
                                           "result": prediction_result(labels)}]}


def write_round(path: Path, tasks: Sequence[dict[str, Any]], config_xml: str | None = None) -> tuple[Path, Path]:
    """The task file and, beside it, the labeling config (sentences' unless given) to create the project with."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(list(tasks), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    config = path.with_name(path.stem + ".config.xml")
    config.write_text(labeling_config() if config_xml is None else config_xml, encoding="utf-8")
    return path, config


# --- exports back in -------------------------------------------------------------------------------


@dataclass
class Annotation:
    """One person's labels for one sentence, as an export gives them."""

    data: dict[str, Any]  # the task's data (anchor, round, model version)
    labels: tuple[str, ...]
    annotator: str
    lead_time: float | None = None
    created_at: str | None = None
    task_id: Any = None
    cancelled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def uid(self) -> str:
        return str(self.data.get("uid") or f"{self.data.get('doc')}#{self.data.get('span')}")


def _annotator(value: Any) -> str:
    """``completed_by`` is an id, an email or a user dict, depending on version and export form."""
    if isinstance(value, dict):
        return str(value.get("email") or value.get("username") or value.get("id") or "unknown")
    return "unknown" if value in (None, "") else str(value)


def choices_of(result: Any, where: str) -> tuple[str, ...]:
    """The ticked labels of a result list; a result of another config is an error, not an empty label."""
    ticked: list[str] = []
    for r in result or []:
        if not isinstance(r, dict) or r.get("type") not in (None, "choices"):
            continue
        if r.get("from_name") not in (None, FROM_NAME):
            raise LabelFileError(f"{where}: a result for {r.get('from_name')!r}, not {FROM_NAME!r}: "
                                 "this export is from another project's labeling config")
        ticked += (r.get("value") or {}).get("choices") or []
    return _known(ticked, where)


def _known(ticked: Sequence[Any], where: str) -> tuple[str, ...]:
    unknown = sorted({str(t) for t in ticked} - set(LABELS))
    if unknown:
        raise LabelFileError(f"{where}: unknown label(s) {unknown}; expected some of {list(LABELS)} "
                             "(is this another project's export?)")
    return tuple(lab for lab in LABELS if lab in ticked)


def _check_data(data: Any, where: str) -> dict[str, Any]:
    missing = [k for k in ("doc", "span", "text_sha256") if not isinstance(data, dict) or k not in data]
    if missing:
        raise LabelFileError(f"{where}: task data lacks {missing}: not a gongkai round "
                             "(make rounds with `gongkai label next`)")
    return data


def _from_full(tasks: list[Any], where: str) -> list[Annotation]:
    """JSON and snapshot exports: tasks with ``annotations`` (and predictions as ids or objects)."""
    out = []
    for n, task in enumerate(tasks):
        here = f"{where}: task {task.get('id', n)}"
        data = _check_data(task.get("data"), here)
        for a in task.get("annotations") or []:
            out.append(Annotation(
                data=data, labels=choices_of(a.get("result"), here), annotator=_annotator(a.get("completed_by")),
                lead_time=a.get("lead_time"), created_at=a.get("created_at"), task_id=task.get("id"),
                cancelled=bool(a.get("was_cancelled"))))
    return out


def _minchoices_of(value: Any, where: str) -> list[Any]:
    """JSON_MIN's label value: absent when nothing is ticked, one choice as a string, several as
    ``{"choices": [...]}`` (a list of those when one annotation has several results)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and isinstance(value.get("choices"), list):
        return list(value["choices"])
    if isinstance(value, list):
        return [c for v in value for c in _minchoices_of(v, where)]
    raise LabelFileError(f"{where}: {FROM_NAME!r} holds {json.dumps(value, ensure_ascii=False)[:80]}, not choices: "
                         "this export is from another project's labeling config")


def _from_min(rows: list[Any], where: str) -> list[Annotation]:
    """JSON_MIN: one flat row per annotation, data keys beside the label key.

    Label Studio (1.23) writes a row for a task nobody annotated too (``annotation_id`` null, no
    label key), leaves the label key out when an annotation ticks nothing, and leaves cancelled
    (skipped) annotations out altogether, so this form cannot say how many were skipped.
    """
    out = []
    known = set(DATA_KEYS) | _EXPORT_KEYS | {"agreement"}
    for n, row in enumerate(rows):
        here = f"{where}: row {n + 1}"
        data = _check_data({k: row[k] for k in DATA_KEYS if k in row}, here)
        other = sorted(set(row) - known)
        if other:
            raise LabelFileError(f"{here}: key(s) {other} are neither round data nor the {FROM_NAME!r} choices: this "
                                 "export is from another project's labeling config (create the project with the "
                                 "round's .config.xml)")
        if "annotation_id" in row and row["annotation_id"] is None:
            continue  # a task nobody annotated
        out.append(Annotation(data=data, labels=_known(_minchoices_of(row.get(FROM_NAME), here), here),
                              annotator=_annotator(row.get("annotator")), lead_time=row.get("lead_time"),
                              created_at=row.get("created_at"), task_id=row.get("id")))
    return out


def read_export(path: Path) -> list[Annotation]:
    """Annotations of a Label Studio export (JSON, JSON_MIN or snapshot) or of the built-in page's file.

    A task nobody annotated gives nothing; a cancelled (skipped) annotation is kept and marked, so
    that the import can say how many were skipped.
    """
    items = load_export(path)
    if is_full_export(items):
        return _from_full(items, str(path))
    return _from_min(items, str(path))


def is_full_export(items: list[dict[str, Any]]) -> bool:
    """JSON and snapshot exports (and round files) hold tasks with ``data``; JSON_MIN holds flat rows."""
    return all("data" in t for t in items)


def load_export(path: Path) -> list[dict[str, Any]]:
    """The tasks (JSON, snapshot) or rows (JSON_MIN) of an export file, checked to be a non-empty list of objects."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelFileError(f"{path}: cannot be read as UTF-8 text ({exc})") from exc
    if not raw.strip():
        raise LabelFileError(f"{path}: the file is empty")
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LabelFileError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}); expected a Label Studio export "
                             "(JSON, JSON_MIN or snapshot) or the labeling page's file") from exc
    if isinstance(items, dict) and isinstance(items.get("tasks"), list):
        items = items["tasks"]  # a snapshot wrapped with its metadata
    if not isinstance(items, list):
        raise LabelFileError(f"{path}: expected a list of tasks, got a JSON {type(items).__name__}")
    if not items:
        raise LabelFileError(f"{path}: the export holds no tasks")
    if not all(isinstance(t, dict) for t in items):
        raise LabelFileError(f"{path}: expected a list of task objects")
    return items


def read_round(path: Path) -> list[dict[str, Any]]:
    """A round file written by ``write_round`` (what the labeling page serves)."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelFileError(f"{path}: not a round file ({exc})") from exc
    if not isinstance(tasks, list) or not tasks:
        raise LabelFileError(f"{path}: a round file is a non-empty list of tasks")
    for n, t in enumerate(tasks):
        _check_data(t.get("data") if isinstance(t, dict) else None, f"{path}: task {n + 1}")
    return tasks
