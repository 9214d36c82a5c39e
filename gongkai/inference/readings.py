"""A PDF's tables read two ways, and per table the reading the numbers themselves support.

The layout-aware reading (``pagelayout``: rules, column bands, cells as tab-joined rows) is
right for tables that were drawn: ruled grids, aligned columns. A report whose tables were
*typed as text* (one cell per line, tab- or space-separated, blank-line separated, run
together…) and then printed has no grid to find, and the layout step cuts its lines into the
wrong cells; read as the plain text it was typed as (``Document.plain``, built from the same
characters with no grid step), the same table reader gets it right. Neither reading is right
for every document, and one report can hold both kinds of table, so both are run and the
choice is made table by table (表二 proactive / 表三 requests / 表四 appeals) on what each
reading's own numbers show, in this order (the first difference decides):

1. the template identities that hold (表三: per row the six applicant columns sum to 总计, per
   column 一 + 二 = 三（七）总计 + 四 and the outcome rows sum to 三（七）总计; 表四: per group the
   four results sum to 总计; 表二 has none). An identity counts only when every cell in it was
   read as a number: a reading that lost a row, or read numbers as blanks, gains nothing by
   the zeros it did not see;
2. coverage: the table's applicable cells read (with evidence), then those with a value;
3. mean cell confidence (the calibrated model on each reading's evidence), by more than
   ``CONFIDENCE_MARGIN``.

Ties go to the layout reading, and so does a table both readings give the same values; the
layout reading is also all that non-PDF inputs get (they have no ``plain`` document and pay
nothing for this). Where the two readings disagree on a table the kept one is recorded in the
report's warnings, with the figure that decided, e.g.
``表三 read from the PDF text layer as plain text (identities hold: 39/39 vs 21/39)``; the
reader's own warnings about a table come from the reading kept for it, all others from the
layout reading.

Spans. For a PDF or scan, spans are trimmed of the blanks around the number (``trim_spans``:
only printed characters have boxes). ``report.text`` stays the layout text (sections, claims
and sentences index it). A cell kept from the plain reading is mapped to the characters of
the same glyphs there: the plain text knows each character's page and box, and each layout
box holding the cell's glyphs holds the same characters as the plain text does inside it, in
the same order; the glyphs are the k-th occurrence of their text among those, so the k-th
occurrence in the layout box's text is the span (when both count as many; else the number's
only occurrence in those boxes; else the span is None). The layout box holding a mapped span
is split so that the span's own piece carries the glyphs' box: ``box_at`` then gives every
cell its exact box and page, and a cell with no span gets them from its glyphs directly. A
layout cell whose box holds more than its number (a whole printed line of a typed table)
gets the same treatment the other way round (``tighten``); OCR boxes stay whole, as their
full text is what the pipeline doubts a scanned number by. Known limit: cells kept from the
plain reading are scored by the pipeline with the document's ``structured`` flag (true when
it has ruled tables), which the confidence model was fitted on for layout cells.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from gongkai.inference.document import BBox, Document, TextBox
from gongkai.inference.tables import template as T
from gongkai.inference.tables.confidence import cell_confidence
from gongkai.inference.tables.read import TableRead, read_tables
from gongkai.inference.tables.template import applicable
from gongkai.report import Cell, Report

TABLES: tuple[str, ...] = ("proactive", "requests", "appeals")
TABLE_NAMES: dict[str, str] = {"proactive": "表二", "requests": "表三", "appeals": "表四"}
LAYOUT, PLAIN = "layout", "plain"
# Mean confidence the plain reading must beat the layout reading by when nothing else differs.
CONFIDENCE_MARGIN = 0.01
# 2019 表二 cells as printed (kept under ``proactive_2019``).
PROACTIVE_2019_CELLS = sum(len(columns) for _, columns in T.PROACTIVE_ROWS_2019)
BALANCE_ROWS: tuple[str, ...] = ("new_received", "carried_over", "total", "carried_forward")
# Slack (points) when matching a cell's glyphs to the layout text's boxes.
BOX_SLACK = 0.5


@dataclass(frozen=True)
class TableScore:
    """What one reading of one table shows about itself."""

    held: int  # identities that hold, every cell in them read
    identities: int  # identities the template has for this table
    read: int  # applicable cells read (with evidence)
    valued: int  # applicable cells with a value
    cells: int  # applicable cells
    confidence: float  # mean confidence over applicable cells (0 for a cell not read)


@dataclass
class Reading:
    """One reading of the whole document: its cells (in ``report``), evidence and text."""

    name: str
    report: Report
    read: TableRead
    doc: Document
    structured: bool

    @property
    def version(self) -> str:
        if self.read.format_version != "unknown":
            return self.read.format_version
        return "2019" if self.read.single_other_row else "2021"


@dataclass(frozen=True)
class Choice:
    table: str
    kept: str  # LAYOUT or PLAIN
    measure: str  # what decided: "identities hold", "cells read", "cells with a value", "mean confidence"
    kept_figure: str
    other_figure: str
    differ: bool  # whether the readings disagree on any cell of the table


def read_tables_both_ways(doc: Document, report: Report) -> TableRead:
    """``read_tables`` on the layout text and, for a PDF or scan, on its plain text too.

    Fills ``report`` with each table from the reading kept for it and returns the merged
    evidence; ``doc.boxes`` gain the exact boxes of the cells' numbers (see the module docstring).
    """
    structured = doc.structured_tables > 0
    read = read_tables(doc.text, report, grid=structured)
    plain = doc.plain
    if plain is None or not plain.text.strip():
        return read
    trim_spans(report, doc.text)
    scratch = dataclasses.replace(
        report, text=plain.text, proactive=type(report.proactive)(), proactive_2019={},
        requests=type(report.requests)(), appeals=type(report.appeals)(), warnings=[],
    )
    try:
        plain_read = read_tables(plain.text, scratch, grid=False)
    except Exception as exc:  # the second reading is a bonus: a reader bug there must not cost the report
        read.warnings.append(f"tables not read as plain text ({type(exc).__name__}: {exc})")
        return read
    layout = Reading(LAYOUT, report, read, doc, structured)
    other = Reading(PLAIN, scratch, plain_read, plain, False)
    choices = [choose(table, layout, other) for table in TABLES]
    source = "OCR text" if doc.ocr else "PDF text layer"
    notes = [_note(c, source) for c in choices if c.differ]
    taken = [c.table for c in choices if c.kept == PLAIN]
    merged = _merge(layout, other, taken) if taken else read
    refinements = [r for table in taken for r in _take_table(table, other, report, doc)]
    if not doc.ocr:  # an OCR box stays whole: its full text is what tells a misread ("3E")
        done = {(r.start, r.end) for r in refinements}
        refinements += [r for r in tighten(report, doc) if (r.start, r.end) not in done]
    doc.boxes = refine_boxes(doc.boxes, refinements)
    merged.warnings.extend(notes)
    return merged


def trim_spans(report: Report, text: str) -> None:
    """Spans without the blanks around the number (a paragraph indent read into a one-cell line):
    a page's boxes hold the characters printed, and a span must start on one to find its box."""
    cells = [c for _, c in report.table_cells()] + [c for row in report.proactive_2019.values() for c in row.values()]
    for cell in cells:
        if cell.span is None:
            continue
        start, end = cell.span
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            cell.span = (start, end)


# ---------------------------------------------------------------- the choice
def choose(table: str, layout: Reading, plain: Reading) -> Choice:
    """Which reading of ``table`` to keep (see the module docstring for the order)."""
    if _values(table, layout) == _values(table, plain):
        return Choice(table, LAYOUT, "same values", "", "", False)  # nothing to choose: today's reading
    a, b = score(table, layout), score(table, plain)
    decisive = (
        ("identities hold", b.held, a.held, b.identities, a.identities),
        ("cells read", b.read, a.read, b.cells, a.cells),
        ("cells with a value", b.valued, a.valued, b.cells, a.cells),
    )
    for label, plain_n, layout_n, plain_of, layout_of in decisive:
        if plain_n != layout_n:
            plain_figure, layout_figure = f"{plain_n}/{plain_of}", f"{layout_n}/{layout_of}"
            if plain_n > layout_n:
                return Choice(table, PLAIN, label, plain_figure, layout_figure, True)
            return Choice(table, LAYOUT, label, layout_figure, plain_figure, True)
    plain_figure, layout_figure = f"{b.confidence:.2f}", f"{a.confidence:.2f}"
    if b.confidence > a.confidence + CONFIDENCE_MARGIN:
        return Choice(table, PLAIN, "mean confidence", plain_figure, layout_figure, True)
    return Choice(table, LAYOUT, "mean confidence", layout_figure, plain_figure, True)


def score(table: str, reading: Reading) -> TableScore:
    """Identities, coverage and mean confidence of one reading of one table."""
    cells = dict(_applicable_cells(table, reading))
    evidence = reading.read.evidence
    layouts = tuple(sorted(reading.read.layouts))
    read = valued = 0
    total = 0.0
    for path, cell in cells.items():
        ev = evidence.get(path)
        if ev is None:
            continue
        read += 1
        valued += cell.value is not None
        ev = dataclasses.replace(ev, structured=reading.structured, ocr=reading.doc.ocr)
        total += cell_confidence(ev, cell.value is None, layouts)
    held = checked = 0
    for left, right in identities(table, reading.version, reading.read.single_other_row):
        checked += 1
        values = [_number(cells, evidence, p) for p in (*left, *right)]
        if None not in values:
            lhs = sum(v for v in values[:len(left)] if v is not None)
            rhs = sum(v for v in values[len(left):] if v is not None)
            held += abs(lhs - rhs) < 1e-9
    size = PROACTIVE_2019_CELLS if table == "proactive" and reading.version == "2019" else len(cells)
    return TableScore(held, checked, read, valued, size, total / size if size else 0.0)


def identities(table: str, version: str, single: bool) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The template's identities over ``table`` as (left paths, right paths): sum(left) == sum(right)."""
    if table == "requests":
        rows = [r.key for r in T.REQUEST_ROWS if applicable(f"requests.{r.key}.total", version, single)]
        applicants = T.REQUEST_COLUMNS[:-1]
        for row in rows:
            yield tuple(f"requests.{row}.{c}" for c in applicants), (f"requests.{row}.total",)
        outcomes = [r for r in rows if r not in BALANCE_ROWS]
        for c in T.REQUEST_COLUMNS:
            yield (f"requests.new_received.{c}", f"requests.carried_over.{c}"), (
                f"requests.total.{c}", f"requests.carried_forward.{c}")
            yield tuple(f"requests.{r}.{c}" for r in outcomes), (f"requests.total.{c}",)
    elif table == "appeals":
        parts = T.APPEAL_COLUMNS[:-1]
        for group in T.APPEAL_GROUPS:
            yield tuple(f"appeals.{group}.{c}" for c in parts), (f"appeals.{group}.total",)


def _number(cells: dict[str, Cell], evidence: dict[str, object], path: str) -> float | None:
    """A cell's number; None when the cell was not read, or read as a blank."""
    if path not in evidence or path not in cells:
        return None
    value = cells[path].value
    return float(value) if isinstance(value, int | float) else None


def _applicable_cells(table: str, reading: Reading) -> Iterator[tuple[str, Cell]]:
    version, single = reading.version, reading.read.single_other_row
    if table == "proactive" and version == "2019":
        for label, row in reading.report.proactive_2019.items():
            for column, cell in row.items():
                yield f"proactive_2019.{label}.{column}", cell
        return
    for path, cell in reading.report.table_cells():
        if path.startswith(table + ".") and applicable(path, version, single):
            yield path, cell


def _values(table: str, reading: Reading) -> list[object]:
    extra: list[object] = []
    if table == "proactive":
        extra = [(label, column, cell.value) for label, row in sorted(reading.report.proactive_2019.items())
                 for column, cell in row.items()]
    return [c.value for p, c in reading.report.table_cells() if p.startswith(table + ".")] + extra


def _note(choice: Choice, source: str) -> str:
    """The warning that records a choice: kept reading first, the figure that decided it."""
    name, figures = TABLE_NAMES[choice.table], f"{choice.measure}: {choice.kept_figure} vs {choice.other_figure}"
    if choice.kept == PLAIN:
        return f"{name} read from the {source} as plain text ({figures})"
    return f"{name} read from the page layout ({figures} as plain text)"


# ---------------------------------------------------------------- taking a table from the plain reading
def _table_of(key: str) -> str:
    head = key.split(".", 1)[0]
    return "proactive" if head == "proactive_2019" else head


def _merge(layout: Reading, plain: Reading, taken: list[str]) -> TableRead:
    """The layout reading's evidence and warnings with the taken tables' replaced by the plain reading's."""
    a, b = layout.read, plain.read
    names = {TABLE_NAMES[t] for t in taken}

    def own(warning: str) -> str | None:
        return next((n for n in TABLE_NAMES.values() if warning.startswith(n)), None)

    merged = dataclasses.replace(
        a,
        evidence={k: v for k, v in a.evidence.items() if _table_of(k) not in taken},
        warnings=[w for w in a.warnings if own(w) not in names] + [w for w in b.warnings if own(w) in names],
        layouts=set(a.layouts) | set(b.layouts),
        found={t: (b if t in taken else a).found.get(t, False) for t in TABLES if t in a.found or t in b.found},
        format_version=_version(a, b, "proactive" in taken),
        single_other_row=(b if "requests" in taken else a).single_other_row,
    )
    merged.evidence.update({k: v for k, v in b.evidence.items() if _table_of(k) in taken})
    return merged


def _version(a: TableRead, b: TableRead, proactive_from_b: bool) -> str:
    """The template version 表二 showed in the reading kept for it (else in the other one)."""
    first, second = (b, a) if proactive_from_b else (a, b)
    return first.format_version if first.format_version != "unknown" else second.format_version


def _take_table(table: str, plain: Reading, report: Report, doc: Document) -> list[TextBox]:
    """Copy ``table``'s cells from the plain reading into ``report``, spans mapped into ``doc.text``;
    returns the boxes (one per mapped span) that refine ``doc.boxes``."""
    locator = _Locator(doc, plain.doc)
    refinements: list[TextBox] = []

    def copy(source: Cell, target: Cell) -> None:
        target.value, target.raw, target.confidence = source.value, source.raw, source.confidence
        target.span = target.page = target.bbox = None
        if source.span is None:
            return
        place = locator.place(source.span)
        if place is None:
            return
        target.page, target.bbox = place.page, place.bbox
        if place.span is not None:
            target.span = place.span
            refinements.append(TextBox(place.span[0], place.span[1], place.page, place.bbox, place.confidence))

    sources = dict(plain.report.table_cells())
    for path, cell in report.table_cells():
        if path.startswith(table + "."):
            copy(sources[path], cell)
    if table == "proactive":
        report.proactive_2019 = {}
        for label, row in plain.report.proactive_2019.items():
            report.proactive_2019[label] = {}
            for column, source in row.items():
                target = Cell()
                copy(source, target)
                report.proactive_2019[label][column] = target
    return refinements


@dataclass(frozen=True)
class Place:
    page: int
    bbox: BBox
    confidence: float
    span: tuple[int, int] | None  # into the layout text; None when not found unambiguously


class _Locator:
    """Finds where the glyphs of a plain-text span stand in the layout text.

    Each layout box the glyphs fall in holds the same characters as the plain text does inside
    that box, in the same order: the glyphs are the k-th occurrence of their text among those,
    so the span is the k-th occurrence in the layout box's text (when both count as many).
    Blanks may differ between the two (a layout gap read as a space), so the text is matched
    whole, then inside a digit run, then with optional blanks between its characters.
    """

    def __init__(self, doc: Document, plain: Document) -> None:
        self.doc, self.plain = doc, plain
        self.glyphs = _GlyphIndex(plain)
        self.by_page: dict[int, list[TextBox]] = {}
        for box in doc.boxes:
            self.by_page.setdefault(box.page, []).append(box)

    def place(self, span: tuple[int, int]) -> Place | None:
        a, b = span
        glyphs = [box for box in (self.plain.box_at(i) for i in range(a, b)) if box is not None]
        if not glyphs:
            return None
        page = glyphs[0].page
        glyphs = [g for g in glyphs if g.page == page]
        bbox = _union(g.bbox for g in glyphs)
        confidence = min(g.confidence for g in glyphs)
        found = self._find(glyphs, page, bbox)
        if found is not None:
            confidence = min(confidence, found[1])
        return Place(page, bbox, confidence, found[0] if found else None)

    def _find(self, glyphs: list[TextBox], page: int, bbox: BBox) -> tuple[tuple[int, int], float] | None:
        needle = "".join(self.plain.text[g.start:g.end] for g in glyphs)
        first = glyphs[0].start
        x, y = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
        holding = [box for box in self.by_page.get(page, ())
                   if box.bbox[0] - BOX_SLACK <= x <= box.bbox[2] + BOX_SLACK
                   and box.bbox[1] - BOX_SLACK <= y <= box.bbox[3] + BOX_SLACK]
        for box in holding:
            segment = self.doc.text[box.start:box.end]
            text, boxes = self.glyphs.inside(page, box.bbox)
            for pattern in _patterns(needle):
                theirs = [m.start() for m in pattern.finditer(text)]
                k = next((i for i, at in enumerate(theirs) if (g := boxes[at]) is not None and g.start == first), None)
                if k is None:
                    continue
                ours = list(pattern.finditer(segment))
                if len(ours) == len(theirs):
                    return (box.start + ours[k].start(), box.start + ours[k].end()), box.confidence
                break
        # The boxes disagree on what they hold: the number's only occurrence in them will do.
        pattern = _number_pattern(needle)
        only = [(box, m) for box in holding for m in pattern.finditer(self.doc.text, box.start, box.end)]
        if len(only) == 1:
            box, m = only[0]
            return (m.start(), m.end()), box.confidence
        return None


def _patterns(needle: str) -> list[re.Pattern[str]]:
    """``needle`` not inside a longer number; anywhere (a cell cut out of a run of digits); with
    blanks allowed between its characters."""
    bare = re.sub(r"\s+", "", needle)
    return [_number_pattern(needle), re.compile(re.escape(needle)),
            re.compile(r"\s?".join(re.escape(ch) for ch in bare))]


def tighten(report: Report, doc: Document) -> list[TextBox]:
    """Boxes of just the number for cells whose layout box holds more (a whole printed line of a
    typed table, "0 |" of a Markdown row), from the glyphs of the same characters in the plain text.

    The k-th occurrence of the number in the layout box is the k-th among the plain text's
    characters inside that box (both in reading order); where the counts differ nothing changes.
    """
    plain = doc.plain
    if plain is None:
        return []
    glyphs = _GlyphIndex(plain)
    out: list[TextBox] = []
    cells = [c for _, c in report.table_cells()] + [c for row in report.proactive_2019.values() for c in row.values()]
    for cell in cells:
        if cell.span is None:
            continue
        start, end = cell.span
        box = doc.box_at(start)
        if box is None or end > box.end:
            continue
        segment, needle = doc.text[box.start:box.end], doc.text[start:end]
        if segment.strip() == needle:
            continue
        text, boxes = glyphs.inside(box.page, box.bbox)
        for pattern in _patterns(needle):
            ours = [m.start() for m in pattern.finditer(segment)]
            if start - box.start not in ours:
                continue
            theirs = [(m.start(), m.end()) for m in pattern.finditer(text)]
            if len(theirs) == len(ours):
                a, b = theirs[ours.index(start - box.start)]
                found = [g for g in boxes[a:b] if g is not None]
                if found:
                    out.append(TextBox(start, end, box.page, _union(g.bbox for g in found), box.confidence))
            break
    return out


class _GlyphIndex:
    """The plain text's character boxes by page, for the characters standing inside a box."""

    def __init__(self, plain: Document) -> None:
        self.plain = plain
        self.by_page: dict[int, list[tuple[float, TextBox]]] = {}
        for box in plain.boxes:
            self.by_page.setdefault(box.page, []).append(((box.bbox[1] + box.bbox[3]) / 2, box))
        for entries in self.by_page.values():
            entries.sort(key=lambda e: e[0])

    def inside(self, page: int, bbox: BBox) -> tuple[str, list[TextBox | None]]:
        """Those characters in plain-text order, a space (no box) wherever the plain text skips."""
        entries = self.by_page.get(page, [])
        lo = bisect.bisect_left(entries, bbox[1] - BOX_SLACK, key=lambda e: e[0])
        hi = bisect.bisect_right(entries, bbox[3] + BOX_SLACK, key=lambda e: e[0])
        chosen = sorted((e[1] for e in entries[lo:hi]
                         if bbox[0] - BOX_SLACK <= (e[1].bbox[0] + e[1].bbox[2]) / 2 <= bbox[2] + BOX_SLACK),
                        key=lambda b: b.start)
        text: list[str] = []
        boxes: list[TextBox | None] = []
        for k, box in enumerate(chosen):
            if k and box.start != chosen[k - 1].end:
                text.append(" ")
                boxes.append(None)
            text.append(self.plain.text[box.start:box.end])
            boxes.extend([box] * (box.end - box.start))
        return "".join(text), boxes


def _number_pattern(needle: str) -> re.Pattern[str]:
    """``needle`` where it is not part of a longer number."""
    return re.compile(("(?<![0-9０-９.．])" if needle[:1].isdigit() else "") + re.escape(needle)
                      + ("(?![0-9０-９.．])" if needle[-1:].isdigit() else ""))


def _union(boxes: Iterable[BBox]) -> BBox:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def refine_boxes(boxes: list[TextBox], refinements: list[TextBox]) -> list[TextBox]:
    """``boxes`` with each refinement cut out of the box holding it (the rest keeps that box)."""
    if not refinements:
        return boxes
    pending = sorted({(r.start, r.end): r for r in refinements}.values(), key=lambda r: r.start)
    out: list[TextBox] = []
    k = 0
    for box in boxes:
        inside: list[TextBox] = []
        while k < len(pending) and pending[k].start < box.end:
            r = pending[k]
            if r.start >= box.start and r.end <= box.end and (not inside or r.start >= inside[-1].end):
                inside.append(r)
            k += 1
        pos = box.start
        for r in inside:
            if r.start > pos:
                out.append(dataclasses.replace(box, start=pos, end=r.start))
            out.append(r)
            pos = r.end
        if pos < box.end:
            out.append(dataclasses.replace(box, start=pos))
    return out


__all__ = ["CONFIDENCE_MARGIN", "Choice", "Reading", "TableScore", "choose", "identities",
           "read_tables_both_ways", "refine_boxes", "score", "trim_spans"]
