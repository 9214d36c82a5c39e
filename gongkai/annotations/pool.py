"""The pool a labeling round chooses from: narrative sentences with the model's scores and their context.

A pool comes from a batch's ``sentences.parquet`` (scores already computed) or from report
files and folders (extracted here first). Every sentence keeps where it came from in the form
the label store uses: a path under ``../shared`` when the report lives there, otherwise the
path as given plus the file's sha256, so that a label can be re-anchored later whatever the
file is called.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongkai.inference.narrative.classify import LABELS
from gongkai.training.sentence_data import text_hash

_SPACE_RE = re.compile(r"\s+")
_DIGITS_RE = re.compile(r"\d+")
REPORT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".png", ".jpg", ".jpeg", ".tif",
                   ".tiff")


def normalise(text: str) -> str:
    """What two sentences share when an agency repeats one year to year: width, spacing and figures aside."""
    text = unicodedata.normalize("NFKC", text)
    return _DIGITS_RE.sub("#", _SPACE_RE.sub("", text)).lower()


def norm_hash(text: str) -> str:
    return text_hash(normalise(text))


@dataclass
class Candidate:
    """One sentence a round may offer: where it is, its text and context, and the model's scores."""

    doc: str  # path under ../shared ("corpus/real/r043.txt") or the input path of a file elsewhere
    doc_sha256: str
    span: tuple[int, int]
    text: str
    heading: str | None
    before: str = ""
    after: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    agency: str | None = None

    @property
    def uid(self) -> str:
        return f"{self.doc}#{self.span[0]}-{self.span[1]}"

    @property
    def text_sha256(self) -> str:
        return text_hash(self.text)

    @property
    def norm_sha256(self) -> str:
        return norm_hash(self.text)


def doc_name(path: str | Path, shared: Path | None) -> str:
    """A report's name in the label store: relative to ``shared`` when it lies there, else as given."""
    if shared is not None:
        try:
            return Path(path).resolve().relative_to(shared.resolve()).as_posix()
        except (ValueError, OSError):
            pass
    return str(path)


def _with_context(rows: Sequence[dict[str, Any]]) -> list[Candidate]:
    """Candidates of one document, in reading order, each with its neighbours as context."""
    rows = sorted(rows, key=lambda r: r["span"][0])
    out = []
    for k, r in enumerate(rows):
        out.append(Candidate(
            doc=r["doc"], doc_sha256=r["doc_sha256"], span=(int(r["span"][0]), int(r["span"][1])), text=r["text"],
            heading=r.get("heading") or None, before=rows[k - 1]["text"] if k else "",
            after=rows[k + 1]["text"] if k + 1 < len(rows) else "",
            scores={lab: float(r["scores"][lab]) for lab in LABELS if r["scores"].get(lab) is not None},
            agency=r.get("agency")))
    return out


def pool_from_batch(results: Path, shared: Path | None = None) -> list[Candidate]:
    """Sentences of a ``gongkai batch`` output folder (its ``sentences.parquet`` holds the scores)."""
    import pyarrow.parquet as pq

    path = results / "sentences.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{results}: no sentences.parquet; run `gongkai batch ... --out {results}` first "
                                "(with sentences), or pass report files or folders instead")
    table = pq.read_table(path).to_pylist()
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for r in table:
        if any(r.get(f"score_{lab}") is None for lab in LABELS):
            continue  # sentences of a batch run without a classifier cannot be ranked
        by_doc.setdefault(r["input"], []).append({
            "doc": doc_name(r["input"], shared), "doc_sha256": r["sha256"], "span": (r["start"], r["end"]),
            "text": r["text"], "heading": r.get("heading"), "agency": r.get("agency"),
            "scores": {lab: r[f"score_{lab}"] for lab in LABELS}})
    return [c for rows in by_doc.values() for c in _with_context(rows)]


def report_files(paths: Iterable[str | Path]) -> list[Path]:
    """Report files named directly or found in folders (sorted, so that a pool is reproducible)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in REPORT_SUFFIXES
                          and not f.name.upper().startswith(("README", "MANIFEST")))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return out


def pool_from_files(paths: Iterable[str | Path], shared: Path | None = None, classifier: str | None = None,
                    progress: Callable[[Iterable[Any]], Iterable[Any]] = iter) -> list[Candidate]:
    """Sentences of report files, extracted and scored here (``next`` without a batch first)."""
    from gongkai.errors import GongkaiError
    from gongkai.inference.pipeline import extract

    out: list[Candidate] = []
    for path in progress(report_files(paths)):
        data = path.read_bytes()
        try:
            report = extract(data, path=str(path), checks=False, classifier=classifier)
        except GongkaiError:
            continue  # an unreadable file has no sentences to offer; the batch reports why
        digest = hashlib.sha256(data).hexdigest()
        rows = [{"doc": doc_name(path, shared), "doc_sha256": digest, "span": tuple(s["span"]), "text": s["text"],
                 "heading": s.get("heading"), "scores": s.get("scores") or {}, "agency": report.agency.value}
                for s in report.sentences if s.get("scores")]
        out += _with_context(rows)
    return out
