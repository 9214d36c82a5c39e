"""The review queue: which table cells are most worth a reviewer's look, most likely wrong first.

A cell is offered when it was read with a confidence below ``threshold`` or when a broken
identity (a ``requests.*`` / ``appeals.*`` sum, or a prose claim that disagrees with the table,
as an ``error`` or ``warning`` finding) names it. The queue is ranked by ``priority``: the
cell's confidence, lowered for the cell the reconciler names as the ``suspect`` (the one whose
correction would mend every broken identity) and for the other cells of a broken identity.
Cells already decided in the corrections file (or carrying ``corrected: true``) are never offered
again. A table of which (almost) no cell was read (not found, or replaced by a sentence) is not
offered cell by cell: its cells are blanks the reader never saw, and a reviewer judges the table
whole on the report's review page; the queue names such tables in ``Queue.unread``.

Everything here works on schema-v1 report dicts (a ``reports.jsonl`` line of ``gongkai batch`` or
``Report.to_dict()``), so a batch's results need no re-extraction. The bonuses and the threshold
were chosen on generated reports only (``benchmarks/review_queue.py``), then measured on the real
reports with gold.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gongkai.inference.checks.reconcile import RULES
from gongkai.inference.tables.template import applicable
from gongkai.report import Report

# Rules whose findings implicate the cells they name: the table identities and prose claims.
IDENTITY_RULES: frozenset[str] = frozenset({*(r.id for r in RULES), "claim.mismatch"})
IMPLICATING_SEVERITIES = ("error", "warning")
# Tuned on generated reports (benchmarks/review_queue.py --tune): see the README's labeling loop.
# Last tuned 2026-12-04 (evening) after the caps were fitted per placement: capped cells now sit at
# up to the 0.89 ceiling, so the threshold that takes them in is 0.9 (0.8 left 3.4 % of the cells
# offered and 74 % of the wrong ones); ranking by confidence alone then does best.
DEFAULT_THRESHOLD = 0.9
SUSPECT_BONUS = 2.0  # the suspect comes before every other cell (priorities lie within -0.75..1.3)
IDENTITY_BONUS = 0.0  # the other cells of a broken identity: ranked by their confidence (0.1 cost recall)
# A report whose tables were read badly elsewhere is doubtful everywhere: a cell may rank as if read
# DOC_BONUS × (the report's share of template cells below DOUBT_BELOW) less surely. The refitted
# confidences carry that doubt themselves (the tuning found no gain: 0 is kept).
DOC_BONUS = 0.0
DOUBT_BELOW = 0.5
# A doubtful cell read as 0 may rank as if read ZERO_PENALTY more surely. With the caps fitted per
# value kind (blank, zero, other number) the confidence already says it: 0 is kept.
ZERO_PENALTY = 0.0
# A cell the report's template does not have (the other （六） row, 2019's 表二) ranks behind the
# cells it has: it is null and right unless the template itself was misjudged.
NOT_APPLICABLE_PENALTY = 0.3

# A table of which fewer cells than this share were read is named for a whole look, not queued.
MIN_READ_SHARE = 0.2

TABLE_PATHS: tuple[str, ...] = tuple(path for path, _ in Report().table_cells())


@dataclass
class ReviewCell:
    """One cell offered for review, with what a reviewer needs to judge it and the way back."""

    doc_sha256: str
    doc: str | None  # the source path as the report names it
    cell: str  # dotted schema path
    value: Any
    raw: str | None
    confidence: float
    span: tuple[int, int] | None = None
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    media_type: str = "text/plain"
    agency: str | None = None
    year: int | None = None
    suspect: bool = False
    rules: tuple[str, ...] = ()  # rules of the findings that name this cell
    applicable: bool = True
    doc_doubt: float = 0.0  # share of the report's template cells read below DOUBT_BELOW
    order: int = 0  # position of the report in the input, then of the cell in the template (ties)

    def priority(self, suspect_bonus: float = SUSPECT_BONUS, identity_bonus: float = IDENTITY_BONUS,
                 not_applicable_penalty: float = NOT_APPLICABLE_PENALTY, doc_bonus: float = DOC_BONUS,
                 zero_penalty: float = ZERO_PENALTY) -> float:
        """Lower comes first."""
        p = self.confidence - doc_bonus * self.doc_doubt
        if self.value == 0 and not isinstance(self.value, bool):
            p += zero_penalty
        if self.suspect:
            p -= suspect_bonus
        elif self.rules:
            p -= identity_bonus
        if not self.applicable:
            p += not_applicable_penalty
        return p

    @property
    def why(self) -> str:
        if self.suspect:
            return "suspect: " + ", ".join(self.rules)
        if self.rules:
            return "in a broken identity: " + ", ".join(self.rules)
        return "low confidence"


def table_cells(report: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(dotted path, cell dict) of every template cell of 表二/三/四 in a schema dict."""
    for path in TABLE_PATHS:
        obj: Any = report
        for part in path.split("."):
            obj = obj.get(part) if isinstance(obj, Mapping) else None
        if isinstance(obj, Mapping) and "confidence" in obj:
            yield path, obj


def table_of(path: str) -> str:
    """The table a dotted cell path belongs to: ``proactive`` (表二), ``requests`` (表三) or ``appeals`` (表四)."""
    head = path.split(".", 1)[0]
    return "proactive" if head.startswith("proactive") else head


def never_read(cell: Mapping[str, Any]) -> bool:
    return not cell.get("corrected") and cell.get("raw") is None and not float(cell.get("confidence") or 0.0)


def unread_tables(report: Mapping[str, Any]) -> list[str]:
    """The tables (``proactive`` / ``requests`` / ``appeals``) of which the reader read (almost) no cell.

    Fewer than ``MIN_READ_SHARE`` of a table's cells read is a table not found, with a few numbers
    picked up around it (r018: 21 of 表三's 161 cells): a reviewer looks at it whole.
    """
    if report.get("format_version") not in ("2021", "2019"):
        return []
    version, single = report["format_version"], _single_other_row(report)
    read: dict[str, list[bool]] = {}
    for path, cell in table_cells(report):
        if applicable(path, version, single):  # a cell the template lacks is never read
            read.setdefault(table_of(path), []).append(not never_read(cell))
    return [t for t, flags in read.items() if sum(flags) < MIN_READ_SHARE * len(flags)]


def _single_other_row(report: Mapping[str, Any]) -> bool:
    """As the reconciler decides it: the 2019 template, or a 2021 report printing the one （六） row."""
    row = (report.get("requests") or {}).get("other_processing") or {}
    return report.get("format_version") == "2019" or any(
        isinstance(c, Mapping) and c.get("value") is not None for c in row.values())


def implicated(report: Mapping[str, Any]) -> tuple[set[str], dict[str, set[str]]]:
    """The suspect cells and, per cell, the rules of the error/warning identity findings naming it.

    A broken identity that holds blank cells (counted as 0) names only its blanks: on generated
    reports the other cells of such an identity are almost never misread (8 of 6,706 read at 0.7
    or more; benchmarks/review_queue.py), while a blank is the likely cause, misread or not.
    """
    values = {path: cell.get("value") for path, cell in table_cells(report)}
    suspects: set[str] = set()
    rules: dict[str, set[str]] = {}
    for f in report.get("findings") or []:
        if f.get("rule") not in IDENTITY_RULES or f.get("severity") not in IMPLICATING_SEVERITIES:
            continue
        cells = [p for p in f.get("cells") or [] if p in values]
        blanks = [p for p in cells if values[p] is None]
        for path in blanks or cells:
            rules.setdefault(path, set()).add(f["rule"])
        if f.get("suspect"):
            suspects.add(f["suspect"])
            rules.setdefault(f["suspect"], set()).add(f["rule"])
    return suspects, rules


def offered(confidence: float, implicated: bool, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """Whether the queue offers a cell at all: read below the threshold, or named by a broken identity."""
    return confidence < threshold or implicated


def review_cells(report: Mapping[str, Any], threshold: float = DEFAULT_THRESHOLD,
                 decided: Collection[str] = (), order: int = 0) -> list[ReviewCell]:
    """The cells of one report that the queue may offer (unranked); ``decided``: cell paths to skip."""
    version = report.get("format_version")
    if version not in ("2021", "2019"):
        return []  # not a report on a known template: nothing cell by cell to review
    source = report.get("source") or {}
    suspects, rules = implicated(report)
    single = _single_other_row(report)
    agency, year = (report.get("agency") or {}).get("value"), (report.get("year") or {}).get("value")
    cells = list(table_cells(report))
    unread = set(unread_tables(report))
    mine = [c for p, c in cells if applicable(p, version, single) and table_of(p) not in unread]
    doubt = sum(1 for c in mine if float(c.get("confidence") or 0.0) < DOUBT_BELOW) / max(1, len(mine))
    out: list[ReviewCell] = []
    for k, (path, cell) in enumerate(cells):
        if path in decided or cell.get("corrected") or table_of(path) in unread:
            continue
        confidence = float(cell.get("confidence") or 0.0)
        if not offered(confidence, path in rules or path in suspects, threshold):
            continue
        span = cell.get("span")
        bbox = cell.get("bbox")
        out.append(ReviewCell(
            doc_sha256=str(source.get("sha256") or ""), doc=source.get("path"), cell=path, value=cell.get("value"),
            raw=cell.get("raw"), confidence=confidence, span=(int(span[0]), int(span[1])) if span else None,
            page=cell.get("page"), bbox=tuple(float(x) for x in bbox) if bbox else None,  # type: ignore[arg-type]
            media_type=str(source.get("media_type") or "text/plain"), agency=agency,
            year=year if isinstance(year, int) else None, suspect=path in suspects,
            rules=tuple(sorted(rules.get(path, ()))), applicable=applicable(path, version, single),
            doc_doubt=doubt, order=order * len(TABLE_PATHS) + k))
    return out


def rank(cells: Iterable[ReviewCell], suspect_bonus: float = SUSPECT_BONUS, identity_bonus: float = IDENTITY_BONUS,
         not_applicable_penalty: float = NOT_APPLICABLE_PENALTY, doc_bonus: float = DOC_BONUS,
         zero_penalty: float = ZERO_PENALTY) -> list[ReviewCell]:
    """Most worth reviewing first; ties in input order (the same inputs give the same queue)."""
    return sorted(cells, key=lambda c: (
        round(c.priority(suspect_bonus, identity_bonus, not_applicable_penalty, doc_bonus, zero_penalty), 6),
        c.order))


@dataclass
class Queue:
    chosen: list[ReviewCell]
    offered: int  # cells that passed the selection (before the cut to n)
    cells: int  # template cells of the reports seen
    reports: int
    skipped_decided: int
    unread: list[tuple[str | None, str, str]] = field(default_factory=list)  # (doc path, sha256, table) not read

    def unread_summary(self) -> str:
        """One line naming the reports whose tables were not read (reviewed whole, not cell by cell)."""
        if not self.unread:
            return ""
        names = {"proactive": "表二", "requests": "表三", "appeals": "表四"}
        docs: dict[str, list[str]] = {}
        for doc, sha, table in self.unread:
            docs.setdefault(doc or sha[:16], []).append(names.get(table, table))
        shown = "; ".join(f"{d} ({'、'.join(t)})" for d, t in list(docs.items())[:10])
        more = f"; and {len(docs) - 10} more" if len(docs) > 10 else ""
        return (f"{len(self.unread)} tables of {len(docs)} reports were not read (or barely) and are not queued "
                f"cell by cell (look at them whole, e.g. gongkai review FILE): {shown}{more}")


def build_queue(reports: Iterable[Mapping[str, Any]], n: int, threshold: float = DEFAULT_THRESHOLD,
                decided: Callable[[str], Collection[str]] | None = None, **bonuses: float) -> Queue:
    """The ``n`` cells most worth reviewing across ``reports``; ``decided``: sha256 → cell paths to skip."""
    pool: list[ReviewCell] = []
    unread: list[tuple[str | None, str, str]] = []
    cells = skipped = count = 0
    for k, report in enumerate(reports):
        count += 1
        sha = str((report.get("source") or {}).get("sha256") or "")
        done = decided(sha) if decided else ()
        paths = [p for p, c in table_cells(report)] if report.get("format_version") in ("2021", "2019") else []
        cells += len(paths)
        skipped += sum(1 for p, c in table_cells(report) if p in done or c.get("corrected")) if paths else 0
        pool += review_cells(report, threshold, done, k)
        unread += [((report.get("source") or {}).get("path"), sha, t) for t in unread_tables(report)]
    ranked = rank(pool, **bonuses)
    return Queue(ranked[:max(0, n)], len(pool), cells, count, skipped, unread)
