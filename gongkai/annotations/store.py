"""The label store (``sentences/labels.jsonl``) and imports into it.

Lines only ever get appended, so the file is its own history: the last line of a sentence
(``doc`` + ``span``) is its label. An import is all or nothing: a sentence whose text no longer
matches its hash, or one of the frozen test split, stops it before anything is written. Two
annotators who disagree are reported, not resolved by picking one; a review round (``label
audit``, conflict rounds) is the one way a stored label changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongkai.annotations.labelstudio import Annotation, prediction_result, read_export, write_round
from gongkai.annotations.pool import norm_hash, text_hash
from gongkai.errors import AnchorError, FrozenSplitError
from gongkai.training.sentence_data import (
    LABELS_FILE,
    anchor_of,
    document_text,
    in_shared,
    is_test_doc,
    latest,
    load_split,
    read_label_lines,
)

# Rounds whose labels may replace a stored one: the reviewer saw the stored label and decided again.
REVIEW_KINDS = ("audit", "review")


def read_lines(path: Path = LABELS_FILE) -> list[dict[str, Any]]:
    return list(read_label_lines(path)) if path.is_file() else []


def next_round(lines: Iterable[dict[str, Any]]) -> int:
    """Labels made before the loop count as round 0."""
    return 1 + max((int(line.get("round") or 0) for line in lines), default=0)


def _fill_norm_hashes(lines: Sequence[dict[str, Any]], shared: Path | None) -> int:
    """Give lines made before ``norm_sha256`` existed their normalised hash, from ../shared; how many got one."""
    filled = 0
    for ln in lines:
        doc, (s, e) = anchor_of(ln)
        if not ln.get("norm_sha256") and in_shared(shared, doc):
            ln["norm_sha256"] = norm_hash(document_text(shared, doc)[s:e])  # type: ignore[arg-type]
            filled += 1
    return filled


def labelled_hashes(path: Path, shared: Path | None) -> set[str]:
    """Normalised hashes of every labelled sentence (what ``next`` must not offer again)."""
    lines = read_lines(path)
    _fill_norm_hashes(lines, shared)
    return {ln["norm_sha256"] for ln in lines if ln.get("norm_sha256")}


def add_norm_hashes(path: Path, shared: Path) -> int:
    """Write the normalised hash into lines that lack it (older lines); returns how many were filled."""
    lines = read_lines(path)
    filled = _fill_norm_hashes(lines, shared)
    if filled:
        _write_lines(path, lines)
    return filled


def _write_lines(path: Path, lines: Sequence[dict[str, Any]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(json.dumps(ln, ensure_ascii=False) + "\n" for ln in lines), encoding="utf-8")
    os.replace(tmp, path)


# --- documents ---------------------------------------------------------------------------------------


class Documents:
    """Finds a labelled sentence's text: under ../shared by path, elsewhere by the file's sha256."""

    def __init__(self, shared: Path | None, folder: Path | None = None) -> None:
        self.shared, self.folder = shared, folder
        self._by_digest: dict[str, Path] | None = None
        self._texts: dict[tuple[str, str | None], str | None] = {}

    def _index(self) -> dict[str, Path]:
        if self._by_digest is None:
            self._by_digest = {}
            if self.folder is not None and self.folder.is_dir():
                for p in sorted(self.folder.rglob("*")):
                    if p.is_file():
                        self._by_digest.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(), p)
        return self._by_digest

    def text(self, doc: str, doc_sha256: str | None) -> str | None:
        """The reader's text of the document, or None when it cannot be found (read once per document)."""
        if in_shared(self.shared, doc):
            return document_text(self.shared, doc)  # type: ignore[arg-type]
        key = (doc, doc_sha256)
        if key not in self._texts:
            self._texts[key] = self._read_elsewhere(doc, doc_sha256)
        return self._texts[key]

    def _read_elsewhere(self, doc: str, doc_sha256: str | None) -> str | None:
        path = Path(doc)
        if doc_sha256 and not (path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == doc_sha256):
            path = self._index().get(doc_sha256)  # type: ignore[assignment]
        if path is None or not path.is_file():
            return None
        from gongkai.inference.readers import read_bytes

        return read_bytes(path.read_bytes(), str(path)).text


# --- import ------------------------------------------------------------------------------------------


@dataclass
class Conflict:
    uid: str
    labels: dict[str, tuple[str, ...]]  # annotator -> labels
    data: dict[str, Any]

    def describe(self) -> str:
        return f"{self.uid}: " + "; ".join(f"{who}: {', '.join(labs) or '(none)'}" for who, labs in self.labels.items())


@dataclass
class ImportResult:
    added: int = 0
    unchanged: int = 0
    superseded: int = 0
    cancelled: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    conflicts_file: Path | None = None

    def summary(self) -> str:
        out = (f"{self.added} labels added, {self.superseded} replaced by review, {self.unchanged} unchanged, "
               f"{self.cancelled} skipped by the annotator, {len(self.conflicts)} conflicts")
        if self.conflicts_file:
            out += f" (written as a review round: {self.conflicts_file})"
        return out


def _line(a: Annotation, text: str, annotators: Sequence[str], round_no: int, shared_doc: bool) -> dict[str, Any]:
    d = a.data
    line: dict[str, Any] = {"doc": d["doc"], "span": [int(d["span"][0]), int(d["span"][1])],
                            "text_sha256": d["text_sha256"], "norm_sha256": norm_hash(text),
                            "labels": list(a.labels), "annotator": "; ".join(annotators), "round": round_no}
    if not shared_doc:
        line["doc_sha256"] = d.get("doc_sha256")
    for key, value in (("lead_time", a.lead_time), ("created_at", a.created_at),
                       ("model_version", d.get("model_version")), ("selected_by", d.get("selected_by"))):
        if value is not None:
            line[key] = round(value, 2) if isinstance(value, float) else value
    return line


def _check_anchors(groups: dict[str, list[Annotation]], docs: Documents, split: dict[str, object]) -> dict[str, str]:
    """Each task's sentence text; raises before anything is written if one is frozen, lost or moved."""
    frozen, lost, moved = [], [], []
    texts: dict[str, str] = {}
    for uid, anns in groups.items():
        d = anns[0].data
        doc, (s, e) = str(d["doc"]), (int(d["span"][0]), int(d["span"][1]))
        if is_test_doc(doc, split):
            frozen.append(uid)
            continue
        full = docs.text(doc, d.get("doc_sha256"))
        if full is None:
            lost.append(uid)
        elif text_hash(full[s:e]) != d["text_sha256"]:
            moved.append(uid)
        else:
            texts[uid] = full[s:e]
    if frozen:
        raise FrozenSplitError(f"{len(frozen)} task(s) belong to the frozen test split, which imports never change "
                               f"(e.g. {frozen[0]}); nothing was written")
    if moved:
        raise AnchorError(f"{len(moved)} task(s) no longer match their document: the text at the span differs from "
                          f"the hash the round recorded (e.g. {moved[0]}); the document or the reader changed since "
                          "the round was made. Make a new round; nothing was written")
    if lost:
        raise AnchorError(f"{len(lost)} task(s) name a document that was not found (e.g. {lost[0]}): pass "
                          "--documents DIR holding the reports the round was made from; nothing was written")
    return texts


def import_annotations(anns: Sequence[Annotation], labels: Path = LABELS_FILE, shared: Path | None = None,
                       documents: Path | None = None, source: Path | None = None) -> ImportResult:
    """Add annotations to the store: idempotent, all-or-nothing, conflicts reported (see module doc)."""
    result = ImportResult(cancelled=sum(a.cancelled for a in anns))
    groups: dict[str, list[Annotation]] = {}
    for a in anns:
        if not a.cancelled:
            groups.setdefault(a.uid, []).append(a)
    docs = Documents(shared, documents)
    texts = _check_anchors(groups, docs, load_split())
    lines = read_lines(labels)
    stored = latest(lines)
    round_no = next_round(lines)
    new: list[dict[str, Any]] = []
    for uid, group in groups.items():
        by_person: dict[str, tuple[str, ...]] = {}
        for a in group:
            by_person[a.annotator] = a.labels  # a person's later annotation of a task is their answer
        if len(set(by_person.values())) > 1:
            result.conflicts.append(Conflict(uid, by_person, group[0].data))
            continue
        a, people = group[-1], sorted(by_person)
        d = a.data
        shared_doc = in_shared(shared, str(d["doc"]))
        before = stored.get((str(d["doc"]), (int(d["span"][0]), int(d["span"][1]))))
        if before is not None and tuple(before["labels"]) == a.labels:
            result.unchanged += 1
            continue
        line = _line(a, texts[uid], people, int(d.get("round") or round_no), shared_doc)
        if before is not None:
            if d.get("selected_by") not in REVIEW_KINDS:
                result.conflicts.append(Conflict(uid, {f"stored ({before.get('annotator', '?')})":
                                                       tuple(before["labels"]), **by_person}, d))
                continue
            line["supersedes"] = before.get("annotator", "")
            result.superseded += 1
        else:
            result.added += 1
        new.append(line)
    if new:
        labels.parent.mkdir(parents=True, exist_ok=True)
        _write_lines(labels, lines + new)
    if result.conflicts and source is not None:
        result.conflicts_file = write_conflicts(result.conflicts, source.with_name(source.stem + ".conflicts.json"))
    return result


def import_export(export: Path, labels: Path = LABELS_FILE, shared: Path | None = None,
                  documents: Path | None = None) -> ImportResult:
    """``gongkai label import``: a Label Studio export or the labeling page's file into the store."""
    return import_annotations(read_export(export), labels, shared, documents, source=export)


def write_conflicts(conflicts: Sequence[Conflict], path: Path) -> Path:
    """Conflicting sentences as a review round, each person's labels listed as a prediction."""
    tasks = []
    for c in conflicts:
        data = {**c.data, "selected_by": "review"}
        preds = [{"model_version": f"annotator:{who}", "score": 1.0, "result": prediction_result(labs)}
                 for who, labs in c.labels.items()]
        tasks.append({"data": data, "predictions": preds})
    write_round(path, tasks)
    return path
