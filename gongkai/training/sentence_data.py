"""Sentence training data: hand labels referring to ../shared documents, weak labels, fixed splits.

Hand labels (``gongkai/annotations/sentences/labels.jsonl``) hold no report text: each line
names a document under ../shared, a character span into the text gongkai reads from it, the
first 16 hex digits of the SHA-256 of that span's text, the labels and the annotator. The
text is rebuilt at load time and checked against the hash, so a reader change that moves
spans is caught instead of training on the wrong sentence.

Loading and splitting go through ``datasets`` (``to_dataset_splits``); splits are fixed by
document (``split.json``): the test documents are whole agencies that
no training, pre-training, threshold tuning or calibration ever reads; the dev split
(threshold tuning, calibration) is drawn from the rest by a hash of the document name.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from gongkai.inference.narrative.classify import LABELS
from gongkai.inference.narrative.sentences import Sentence, segment
from gongkai.inference.readers import read_bytes

ANNOTATIONS_DIR = Path(__file__).resolve().parents[1] / "annotations" / "sentences"
LABELS_FILE = ANNOTATIONS_DIR / "labels.jsonl"
# A blind second reading of a sample of the hand-labelled sentences (inter-annotator agreement).
SECOND_READING_FILE = ANNOTATIONS_DIR / "second_reading.jsonl"
# Sentences the team wrote (not report text), for training only: see DATASHEET.md.
SYNTHETIC_FILE = ANNOTATIONS_DIR / "synthetic.jsonl"
SPLIT_FILE = ANNOTATIONS_DIR / "split.json"
HASH_CHARS = 16
# Where the real documents live unless told otherwise: ../shared beside the repository.
DEFAULT_SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DOCUMENT_DIRS = ("seeds", "corpus/real")
DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_CHARS]


def shared_dir(path: str | Path | None = None) -> Path:
    """The ../shared folder: an explicit path, $GONGKAI_SHARED, or the one beside the repository."""
    found = Path(path or os.environ.get("GONGKAI_SHARED") or DEFAULT_SHARED)
    if not found.is_dir():
        raise FileNotFoundError(f"the real documents are read from ../shared, which was not found at {found}; "
                                "pass --shared DIR or set GONGKAI_SHARED")
    return found


@dataclass
class LabelledSentence:
    doc: str
    span: tuple[int, int]
    text: str
    heading: str | None
    labels: tuple[str, ...]
    annotator: str = ""
    weak: bool = False
    written: bool = False  # written by the team for training (synthetic.jsonl), not report text

    def vector(self) -> list[int]:
        return [int(lab in self.labels) for lab in LABELS]


@dataclass
class SentenceSplits:
    train: list[LabelledSentence] = field(default_factory=list)
    dev: list[LabelledSentence] = field(default_factory=list)
    test: list[LabelledSentence] = field(default_factory=list)


def document_names(shared: Path) -> list[str]:
    """Every report under the shared document folders, as paths relative to ``shared``."""
    names = []
    for sub in DOCUMENT_DIRS:
        folder = shared / sub
        if folder.is_dir():
            names += [f"{sub}/{p.name}" for p in sorted(folder.iterdir())
                      if p.suffix.lower() in DOCUMENT_SUFFIXES and not p.name.upper().startswith("README")]
    return names


def in_shared(shared: Path | None, doc: str) -> bool:
    """Whether a label's ``doc`` names a report under ``shared`` (a relative path there), not a file elsewhere."""
    return shared is not None and not Path(doc).is_absolute() and (shared / doc).is_file()


@lru_cache(maxsize=256)
def document_text(shared: Path, doc: str) -> str:
    path = shared / doc
    return read_bytes(path.read_bytes(), str(path)).text


@lru_cache(maxsize=256)
def document_sentences(shared: Path, doc: str) -> tuple[Sentence, ...]:
    return tuple(segment(document_text(shared, doc)))


def load_split() -> dict[str, object]:
    return json.loads(SPLIT_FILE.read_text(encoding="utf-8"))


def is_test_doc(doc: str, split: dict[str, object] | None = None) -> bool:
    split = split or load_split()
    return doc in set(split["test_docs"])  # type: ignore[arg-type]


def is_dev_doc(doc: str, split: dict[str, object] | None = None) -> bool:
    split = split or load_split()
    share = float(split["dev_share"])  # type: ignore[arg-type]
    return int(hashlib.sha256(doc.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def read_label_lines(path: Path = LABELS_FILE) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc})") from exc


def load_synthetic(path: Path = SYNTHETIC_FILE) -> list[LabelledSentence]:
    """Written-by-us labelled sentences; they join the train split only, never dev or test."""
    if not path.is_file():
        return []
    out = []
    for n, row in enumerate(read_label_lines(path), 1):
        text, labels = str(row.get("text", "")).strip(), row.get("labels", [])
        unknown = set(labels) - set(LABELS)
        if not text or unknown:
            raise ValueError(f"{path}:{n}: " + (f"unknown labels {sorted(unknown)}" if text else "no text"))
        out.append(LabelledSentence(f"{path.name}:{n}", (0, len(text)), text, row.get("heading") or None,
                                    tuple(lab for lab in LABELS if lab in labels), row.get("annotator", ""),
                                    written=True))
    return out


Anchor = tuple[str, tuple[int, int]]


def anchor_of(row: dict) -> Anchor:
    return str(row["doc"]), (int(row["span"][0]), int(row["span"][1]))


def latest(rows: Iterable[dict]) -> dict[Anchor, dict]:
    """The label of each sentence, its last line: the store is append-only and a review round appends."""
    out: dict[Anchor, dict] = {}
    for row in rows:
        out[anchor_of(row)] = row
    return out


def latest_lines(path: Path = LABELS_FILE) -> list[dict]:
    """One line per sentence, its last."""
    return list(latest(read_label_lines(path)).values())


def load_hand_labels(shared: Path, path: Path = LABELS_FILE, documents: Path | None = None,
                     missing: list[str] | None = None) -> list[LabelledSentence]:
    """Hand-labelled sentences with their text rebuilt and checked against the hash.

    Sentences of reports under ``shared`` are read from there; those of other reports (labelled
    through ``gongkai label``) from ``documents``, found by the file's sha256. A sentence whose
    report is in neither place is left out and named in ``missing`` (an error when no list is given).
    """
    out = []
    finder = None
    for row in latest_lines(path):
        if in_shared(shared, row["doc"]):
            out.append(resolve(shared, row, str(path)))
            continue
        if finder is None:
            from gongkai.annotations.store import Documents

            finder = Documents(None, documents)
        text = finder.text(row["doc"], row.get("doc_sha256"))
        if text is None:
            where = f"{row['doc']} {row['span'][0]}-{row['span'][1]}"
            if missing is None:
                raise FileNotFoundError(f"{path}: the report of {where} is neither under {shared} nor in the "
                                        "documents folder (--documents DIR)")
            missing.append(where)
            continue
        out.append(resolve(shared, row, str(path), text))
    return out


def resolve(shared: Path, row: dict, where: str = "labels", full_text: str | None = None) -> LabelledSentence:
    """One annotation line → the sentence it names (text from ``shared``, heading from segmentation)."""
    doc, (start, end) = row["doc"], row["span"]
    full_text = document_text(shared, doc) if full_text is None else full_text
    text = full_text[start:end]
    if text_hash(text) != row["text_sha256"]:
        raise ValueError(f"{where}: {doc} {start}-{end}: the text there no longer matches its hash "
                         "(the reader or the document changed); re-anchor the annotation")
    unknown = set(row["labels"]) - set(LABELS)
    if unknown:
        raise ValueError(f"{where}: {doc} {start}-{end}: unknown labels {sorted(unknown)}")
    sentences = document_sentences(shared, doc) if in_shared(shared, doc) else _segmented(full_text)
    return LabelledSentence(doc, (start, end), text, _heading_at(sentences, start),
                            tuple(lab for lab in LABELS if lab in row["labels"]), row.get("annotator", ""))


@lru_cache(maxsize=64)
def _segmented(text: str) -> tuple[Sentence, ...]:
    """A report outside ``shared`` segmented once, not once per labelled sentence of it."""
    return tuple(segment(text))


def _heading_at(sentences: Sequence[Sentence], start: int) -> str | None:
    """The heading a span sits under, from the same segmentation the pipeline uses."""
    for s in sentences:
        if s.span[0] <= start < s.span[1] or s.span[0] >= start:
            return s.heading
    return None


def split_of(doc: str, split: dict[str, object] | None = None) -> str:
    split = split or load_split()
    return "test" if is_test_doc(doc, split) else "dev" if is_dev_doc(doc, split) else "train"


def split_sentences(items: Sequence[LabelledSentence]) -> SentenceSplits:
    """Lists per split (what the model code iterates), via the ``datasets`` split of :func:`to_dataset_splits`."""
    parts = to_dataset_splits(items)
    by_key = {(s.doc, s.span): s for s in items}
    out = SentenceSplits()
    for name in ("train", "dev", "test"):
        getattr(out, name).extend(by_key[(d, (a, b))] for d, (a, b) in zip(parts[name]["doc"], parts[name]["span"]))
    return out


def to_dataset_splits(items: Sequence[LabelledSentence]):  # -> datasets.DatasetDict
    """``DatasetDict`` with train/dev/test: text, heading, doc, span, weak and one 0/1 column per label."""
    import datasets
    from datasets import Dataset, DatasetDict

    split = load_split()
    rows = [{"text": s.text, "heading": s.heading or "", "doc": s.doc, "span": list(s.span), "weak": s.weak,
             "split": split_of(s.doc, split), **dict(zip(LABELS, s.vector()))} for s in items]
    columns = ["text", "heading", "doc", "span", "weak", "split", *LABELS]
    ds = Dataset.from_dict({c: [r[c] for r in rows] for c in columns})
    shown = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # a bar per split for a 1-second filter is noise in CLI output
    try:
        return DatasetDict({name: ds.filter(lambda r, n=name: r["split"] == n, keep_in_memory=True)
                            for name in ("train", "dev", "test")})
    finally:
        if shown:
            datasets.enable_progress_bars()


def training_texts(shared: Path) -> list[str]:
    """Whole texts of every non-test document (for masked-language-model pre-training)."""
    split = load_split()
    return [document_text(shared, d) for d in document_names(shared) if not is_test_doc(d, split)]
