"""Reviewers' cell corrections: decided once, applied on every run after.

A correction is one JSON line: ``{"doc_sha256", "cell" (dotted schema path), "value" (number,
or null for a blank), "verdict" ("ok" | "fixed" | "structure"), "by", "at", "note"}``. The file
is append-only, like the label store: the last line for a document's cell is the decision in
force, earlier lines are its history. Corrections are keyed by the sha256 of the input bytes,
not by file name, so a renamed or re-scraped copy of the same report keeps them, and a changed
report (new bytes) does not silently inherit them.

``apply_corrections`` gives each corrected cell its value with confidence 1.0 and
``corrected: true``, then re-runs the reconciler on the corrected numbers. A correction whose
cell does not exist in the report (a mistyped path, a cell of the other template) is returned
and reported in ``Report.warnings``: never dropped silently.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gongkai.errors import GongkaiError
from gongkai.inference.checks.reconcile import reconcile
from gongkai.report import Report

VERDICTS: dict[str, str] = {
    "ok": "the value read was right (it is kept, now sure)",
    "fixed": "the value read was wrong; ``value`` is the right one",
    "structure": "the table was misaligned around this cell; ``value`` is the right one",
}
REQUIRED = ("doc_sha256", "cell", "value", "verdict")


class CorrectionsError(GongkaiError):
    """A corrections file that cannot be read: which line, and why."""

    code = "C001"


@dataclass(frozen=True)
class Correction:
    doc_sha256: str
    cell: str
    value: int | float | None
    verdict: str
    by: str = ""
    at: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_correction(data: Any, where: str = "") -> Correction:
    """One correction from its JSON object, checked field by field."""
    if not isinstance(data, Mapping):
        raise CorrectionsError("a correction must be a JSON object", path=where or None)
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise CorrectionsError(f"missing {', '.join(missing)}", path=where or None)
    sha, cell, value, verdict = (data[k] for k in REQUIRED)
    if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
        raise CorrectionsError("doc_sha256 must be the 64 hex digits of the input's sha256", path=where or None)
    if not (isinstance(cell, str) and cell.count(".") >= 1):
        raise CorrectionsError(f"cell must be a dotted schema path, got {cell!r}", path=where or None)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if value is not None and not (number and math.isfinite(value)):
        raise CorrectionsError(f"value must be a number or null, got {value!r}", path=where or None)
    if verdict not in VERDICTS:
        raise CorrectionsError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}", path=where or None)
    extra = {k: str(data.get(k) or "") for k in ("by", "at", "note")}
    return Correction(sha, cell, value, verdict, **extra)


class Corrections:
    """The decisions in force (last line wins), by document."""

    def __init__(self, items: Iterable[Correction] = (), source: str | None = None) -> None:
        self.source = source
        self._by_doc: dict[str, dict[str, Correction]] = {}
        for c in items:
            self._by_doc.setdefault(c.doc_sha256, {})[c.cell] = c

    def for_doc(self, sha256: str) -> dict[str, Correction]:
        return dict(self._by_doc.get(sha256, {}))

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_doc.values())


def load_corrections(path: str | os.PathLike[str]) -> Corrections:
    """Read a corrections file; a missing file is no corrections, a malformed line an error."""
    p = Path(path)
    if not p.exists():
        return Corrections(source=str(p))
    if p.is_dir():
        raise CorrectionsError("is a directory, not a corrections file", path=str(p))
    items = []
    with p.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                raise CorrectionsError(f"line {n} is not JSON ({e.msg})", path=str(p)) from None
            items.append(parse_correction(data, f"{p}:{n}"))
    return Corrections(items, str(p))


def append_corrections(path: str | os.PathLike[str], items: Iterable[Correction]) -> int:
    """Append decisions (never rewrite history); returns how many lines were written."""
    lines = [json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in items]
    if lines:
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.writelines(lines)
            fh.flush()
            os.fsync(fh.fileno())
    return len(lines)


def as_corrections(corrections: Corrections | str | os.PathLike[str] | None) -> Corrections | None:
    if corrections is None or isinstance(corrections, Corrections):
        return corrections
    return load_corrections(corrections)


def outdated(report: Mapping[str, Any], corrections: Corrections) -> bool:
    """Whether a stored report dict (a batch's ``reports.jsonl`` line) predates the corrections in force
    for its document: a cell corrected since, a correction changed or withdrawn."""
    from gongkai.annotations.cell_queue import table_cells

    sha = str((report.get("source") or {}).get("sha256") or "")
    cells = dict(table_cells(report))
    stored = {path: cell.get("value") for path, cell in cells.items() if cell.get("corrected")}
    wanted = {path: c.value for path, c in corrections.for_doc(sha).items() if path in cells}
    return wanted != stored


def apply_corrections(report: Report, corrections: Corrections, checks: bool = True) -> list[Correction]:
    """Set the corrected cells, re-run the reconciler; returns the corrections whose cell does not exist."""
    mine = corrections.for_doc(report.source.sha256)
    orphans = []
    for path, c in sorted(mine.items()):
        try:
            cell = report.cell(path)
        except (KeyError, AttributeError):
            orphans.append(c)
            continue
        cell.value, cell.confidence, cell.corrected = c.value, 1.0, True
        if c.verdict == "structure":
            report.warnings.append(f"reviewer: the table around {path} was misread ({c.note or 'structure'})")
    for c in orphans:
        report.warnings.append(f"correction for {c.cell} ({c.verdict}, by {c.by or 'unknown'}) matches no cell "
                               "of this report: not applied")
    if mine and checks and report.format_version != "unknown":
        report.findings = reconcile(report)
    return orphans
