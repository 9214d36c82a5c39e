"""From positioned text on a page to lines of text, the layout-aware half of the PDF and OCR readers.

Both a PDF's text layer and an OCR engine give the same thing: runs of text with a box
(``Token``) and, where the page is ruled, line segments (``Edge``). This module turns them
into the one form every reader hands on (see ``Document``): prose as lines in reading order,
every table row as one line with its cells joined by ``\\t``. Ruled tables become grids from
the rules (merged cells leave empty cells, so numbers keep their column); unruled tables
become grids from the columns their value rows share. Each cell and line keeps its page,
box and the confidence of what was read, so a number can be traced back to where it stood.

``plain_document`` writes the same tokens out a second way, as the plain text they were
typed as (no grid step), for a second reading of the tables (``gongkai.inference.readings``).
"""

from __future__ import annotations

import difflib
import math
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from gongkai.inference.document import PAGE_NUMBER_RE, BBox, Document, TextBox
from gongkai.inference.readers.grid import MIN_DATA_TABLE_COLUMNS, join_segments

# Rules: a segment shorter than this (points) is decoration, not a table border.
MIN_EDGE_LENGTH = 8.0
# Rules this close (points) are one rule; ends this close are joined (pdfplumber's defaults).
SNAP_TOLERANCE = 3.0
JOIN_TOLERANCE = 3.0
INTERSECTION_TOLERANCE = 3.0
# Gaps between two tokens on a line, in multiples of the line's text height.
WORD_GAP = 0.2  # wider than this between Latin letters or digits: a space
COLUMN_GAP = 1.0  # wider than this: a new cell (an unruled table's column gap)
# Between a word and a number, a gap wider than this is a column gap too: prose runs "共10件"
# together, while a table's first value column can sit close to a label that fills its column.
NUMBER_GAP = 0.5
# A line starting this far (text heights) right of the page's left text margin opens a paragraph.
INDENT = 1.5
PARAGRAPH_INDENT = "\u3000\u3000"
# Between two pieces of a prose line a column gap apart ("联系电话：      12345").
TEXT_GAP = "\u3000"
# Margins (share of the page height) where running headers, footers and page numbers live.
RUNNING_MARGIN = 0.1
# Margin (points) around an unruled table read again as a whole.
REGION_PAD = 6.0
# Lines above a table that may be repeated with it on the next page (a caption, a clause row).
CAPTION_LINES = 1
# Two rows read by OCR are the same row when their texts are this similar.
REPEAT_SIMILARITY = 0.85
# An unruled table: at least this many consecutive lines with this many cells, one with a number
# (two: a table that breaks after its header and first row still is one).
MIN_TABLE_LINES = 2
MIN_TABLE_CELLS = 2
# A cell's text wrapped when its line reached this share of its column's width.
WRAPPED_SHARE = 0.8

_NOT_WORD_RE = re.compile(r"[\W_]+")
_NUMBER_CELL_RE = re.compile(r"^[0-9０-９.,，．]+$")
_DIGITS_RE = re.compile(r"[0-9０-９]+")
_LATIN_END_RE = re.compile(r"[0-9A-Za-z.,:%@/_\-]$")
_LATIN_START_RE = re.compile(r"^[0-9A-Za-z(@/_\-]")


@dataclass(frozen=True)
class Token:
    """A run of text on a page: a character of a text layer, or a box an OCR engine read."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float = 1.0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def x_mid(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def y_mid(self) -> float:
        return (self.top + self.bottom) / 2


# Reads the text inside a box again (OCR of just that crop); None when nothing is there.
Reread = Callable[[BBox], "Token | None"]
# Reads a whole region again (OCR of the enlarged crop): every text box found there.
RegionReader = Callable[[BBox], "list[Token]"]


@dataclass(frozen=True)
class Edge:
    """A ruling line segment: horizontal when ``top == bottom``, vertical when ``x0 == x1``."""

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def orientation(self) -> str:
        return "h" if (self.x1 - self.x0) >= (self.bottom - self.top) else "v"


@dataclass
class Segment:
    """One piece of a line: a table cell or a run of prose, with where it stood and how sure the read is."""

    text: str
    bbox: BBox
    confidence: float = 1.0


@dataclass
class PageLine:
    segments: list[Segment]
    top: float
    bottom: float
    # "row" for a table row (its segments are cells), "text" for prose and headings.
    kind: str = "text"
    indent: bool = False

    @property
    def separator(self) -> str:
        """Cells of a row are tab-joined; pieces of a prose line far apart keep a visible gap."""
        return "\t" if self.kind == "row" else TEXT_GAP

    @property
    def text(self) -> str:
        return self.separator.join(s.text for s in self.segments)


@dataclass
class PageLayout:
    number: int
    width: float
    height: float
    lines: list[PageLine] = field(default_factory=list)
    ruled_tables: int = 0
    # What the page's lines were built from (text-layer characters or OCR boxes), kept for the
    # page's second reading as plain text (``plain_document``).
    tokens: list[Token] = field(default_factory=list)


# ---------------------------------------------------------------- lines of tokens
def _union(boxes: Iterable[BBox]) -> BBox:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _token_box(t: Token) -> BBox:
    return (t.x0, t.top, t.x1, t.bottom)


def group_lines(tokens: Sequence[Token]) -> list[list[Token]]:
    """Tokens in lines, top to bottom, each line left to right.

    A token joins a line when its vertical middle falls inside the line's band, so a line of
    mixed font sizes (or an OCR box a few pixels off) stays one line.
    """
    lines: list[list[Token]] = []
    bands: list[tuple[float, float]] = []
    for token in sorted(tokens, key=lambda t: (t.top, t.x0)):
        if bands and bands[-1][0] <= token.y_mid <= bands[-1][1]:
            lines[-1].append(token)
            top, bottom = bands[-1]
            bands[-1] = (min(top, token.top), max(bottom, token.bottom)) if token.height < 2 * (bottom - top) else (
                top, bottom)
            continue
        lines.append([token])
        bands.append((token.top, token.bottom))
    return [sorted(line, key=lambda t: t.x0) for line in lines]


def _line_height(tokens: Sequence[Token]) -> float:
    return max(1.0, statistics.median(t.height for t in tokens))


def split_runs(line: Sequence[Token]) -> list[list[Token]]:
    """A line cut where the gap between two tokens is a column gap (an unruled table's cells)."""
    height = _line_height(line)
    runs: list[list[Token]] = [[line[0]]]
    for prev, token in zip(line, line[1:]):
        gap = token.x0 - prev.x1
        if gap > COLUMN_GAP * height or (gap > NUMBER_GAP * height and _starts_number(prev, token)):
            runs.append([token])
        else:
            runs[-1].append(token)
    return runs


def _starts_number(prev: Token, token: Token) -> bool:
    return token.text[:1].isdigit() and not prev.text[-1:].isdigit()


def join_run(run: Sequence[Token]) -> str:
    """The text of tokens on one line: CJK runs together, Latin words and numbers keep a space."""
    height = _line_height(run)
    parts = [run[0].text]
    for prev, token in zip(run, run[1:]):
        gap = token.x0 - prev.x1
        if gap > WORD_GAP * height and _LATIN_END_RE.search(parts[-1]) and _LATIN_START_RE.match(token.text):
            parts.append(" ")
        parts.append(token.text)
    return "".join(parts)


def _segment(run: Sequence[Token]) -> Segment:
    return Segment(join_run(run), _union(_token_box(t) for t in run), min(t.confidence for t in run))


# ---------------------------------------------------------------- ruled tables
@dataclass
class GridCell:
    bbox: BBox
    row: int
    col: int
    rowspan: int
    colspan: int


@dataclass
class RuledGrid:
    bbox: BBox
    n_rows: int
    n_cols: int
    cells: list[GridCell]


def _edge_dicts(edges: Iterable[Edge]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for e in edges:
        orientation = e.orientation
        length = (e.x1 - e.x0) if orientation == "h" else (e.bottom - e.top)
        if length < MIN_EDGE_LENGTH:
            continue
        if orientation == "h":
            y = (e.top + e.bottom) / 2
            out.append({"x0": e.x0, "x1": e.x1, "top": y, "bottom": y, "width": e.x1 - e.x0, "height": 0.0,
                        "orientation": "h", "object_type": "line"})
        else:
            x = (e.x0 + e.x1) / 2
            out.append({"x0": x, "x1": x, "top": e.top, "bottom": e.bottom, "width": 0.0,
                        "height": e.bottom - e.top, "orientation": "v", "object_type": "line"})
    return out


def _positions(values: Iterable[float]) -> list[float]:
    """Distinct coordinates, values within the snap tolerance taken as one."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > SNAP_TOLERANCE:
            out.append(v)
    return out


def _index(positions: Sequence[float], value: float) -> int:
    return min(range(len(positions)), key=lambda i: abs(positions[i] - value))


def find_grids(edges: Iterable[Edge]) -> list[RuledGrid]:
    """Tables drawn with rules, as grids of cells that know their row and column spans.

    pdfplumber's own edge-to-cell steps do the geometry (snapping, joining, intersections);
    a grid one column wide is a frame around text, not a table, and is left out.
    """
    from pdfplumber.table import cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges

    dicts = _edge_dicts(edges)
    if not dicts:
        return []
    merged = merge_edges(dicts, SNAP_TOLERANCE, SNAP_TOLERANCE, JOIN_TOLERANCE, JOIN_TOLERANCE)
    intersections = edges_to_intersections(merged, INTERSECTION_TOLERANCE, INTERSECTION_TOLERANCE)
    grids: list[RuledGrid] = []
    for table_cells in cells_to_tables(intersections_to_cells(intersections)):
        xs = _positions([c[0] for c in table_cells] + [c[2] for c in table_cells])
        ys = _positions([c[1] for c in table_cells] + [c[3] for c in table_cells])
        cells = []
        for x0, top, x1, bottom in table_cells:
            col, row = _index(xs, x0), _index(ys, top)
            cells.append(GridCell((x0, top, x1, bottom), row, col,
                                  max(1, _index(ys, bottom) - row), max(1, _index(xs, x1) - col)))
        n_cols, n_rows = len(xs) - 1, len(ys) - 1
        if n_cols < MIN_DATA_TABLE_COLUMNS or n_rows < 1:
            continue
        grids.append(RuledGrid(_union(c.bbox for c in cells), n_rows, n_cols, cells))
    return grids


def _inside(token: Token, bbox: BBox) -> bool:
    return bbox[0] <= token.x_mid < bbox[2] and bbox[1] <= token.y_mid < bbox[3]


def _cell_text(tokens: Sequence[Token]) -> str:
    """A cell's lines joined the way a wrapped label reads: CJK without a space."""
    return join_segments([join_run(line) for line in group_lines(tokens)])


def _char_width(char: str) -> int:
    """Display width: CJK and full-width forms are twice as wide as ASCII."""
    return 2 if ord(char) >= 0x2E80 else 1


def split_across_cells(token: Token, grid: RuledGrid) -> list[Token]:
    """A token that runs over a column rule, cut at the rule.

    OCR sometimes reads the texts of adjacent cells as one box ("本年新制作数量本年新公开数量");
    the characters are placed by their display widths and each goes to the cell it stands in.
    A text layer's tokens are single characters and never need this.
    """
    row_cells = [c for c in grid.cells if c.bbox[1] <= token.y_mid < c.bbox[3]
                 and c.bbox[0] < token.x1 and c.bbox[2] > token.x0]
    if len(row_cells) < 2 or len(token.text) < 2:
        return [token]
    widths = [_char_width(ch) for ch in token.text]
    unit = (token.x1 - token.x0) / sum(widths)
    pieces: list[Token] = []
    x = token.x0
    current: list[str] = []
    start = x
    cell_of_current = None
    for ch, w in zip(token.text, widths):
        mid = x + w * unit / 2
        cell = next((c for c in row_cells if c.bbox[0] <= mid < c.bbox[2]), None)
        if current and cell is not cell_of_current:
            pieces.append(Token("".join(current), start, token.top, x, token.bottom, token.confidence))
            current, start = [], x
        current.append(ch)
        cell_of_current = cell
        x += w * unit
    pieces.append(Token("".join(current), start, token.top, x, token.bottom, token.confidence))
    return pieces


def _reread_pieces(pieces: list[Token], grid: RuledGrid, reread: Reread) -> list[Token]:
    """Each cell a merged OCR box ran over, read on its own ("0" | "116", not "01" | "16")."""
    out: list[Token] = []
    for piece in pieces:
        cell = next((c for c in grid.cells if _inside(piece, c.bbox)), None)
        token = reread(cell.bbox) if cell is not None else None
        out.append(token if token is not None else piece)
    return out


def grid_lines(grid: RuledGrid, tokens: Sequence[Token], reread: Reread | None = None) -> list[PageLine]:
    """One ``row`` line per grid row with any text; a position a merged cell covers is an empty cell.

    ``reread`` gets a second look at every cell nothing was found in (OCR misses lone marks).
    """
    by_cell: dict[int, list[Token]] = {i: [] for i in range(len(grid.cells))}
    for token in tokens:
        pieces = split_across_cells(token, grid)
        if len(pieces) > 1 and reread is not None:
            pieces = _reread_pieces(pieces, grid, reread)
        for piece in pieces:
            for i, cell in enumerate(grid.cells):
                if _inside(piece, cell.bbox):
                    by_cell[i].append(piece)
                    break
    slots: list[list[Segment | None]] = [[None] * grid.n_cols for _ in range(grid.n_rows)]
    for i, cell in enumerate(grid.cells):
        found = by_cell[i]
        if not found and reread is not None:
            token = reread(cell.bbox)
            found = [token] if token is not None else []
        text = _cell_text(found) if found else ""
        confidence = min((t.confidence for t in found), default=1.0)
        slots[cell.row][cell.col] = Segment(text, cell.bbox, confidence)
    lines: list[PageLine] = []
    for row in slots:
        if not any(s is not None and s.text for s in row):
            continue
        boxes = [s.bbox for s in row if s is not None]
        segments = [s if s is not None else Segment("", boxes[0]) for s in row]
        top = min(b[1] for b in boxes)
        lines.append(PageLine(segments, top, max(b[3] for b in boxes), kind="row"))
    return lines


# ---------------------------------------------------------------- unruled tables
def _merge_into(bands: list[tuple[float, float]], x0: float, x1: float) -> None:
    """Widen the band ``[x0, x1]`` overlaps, or add it; leave a span bridging two bands out (a merged read)."""
    hits = [i for i, (b0, b1) in enumerate(bands) if x0 <= b1 and x1 >= b0]
    if len(hits) > 1:
        return
    if hits:
        b0, b1 = bands[hits[0]]
        bands[hits[0]] = (min(b0, x0), max(b1, x1))
    else:
        bands.append((x0, x1))


def _column_bands(rows: Sequence[Sequence[Segment]]) -> list[tuple[float, float]]:
    """Column extents: value columns from the numbers, label columns from the labels of value rows.

    Header cells are left out (one spanning several columns would merge them), and so is a
    number that bridges two columns (OCR reading "0  0" as one box); narrow numbers go first.
    """
    numbers = sorted((seg for row in rows for seg in row if _NUMBER_CELL_RE.match(seg.text)),
                     key=lambda seg: seg.bbox[2] - seg.bbox[0])
    if not numbers:
        most = max(len(r) for r in rows)
        bands: list[tuple[float, float]] = []
        for row in rows:
            if len(row) == most:
                for seg in row:
                    _merge_into(bands, seg.bbox[0], seg.bbox[2])
        return sorted(bands)
    values: list[tuple[float, float]] = []
    for seg in numbers:
        _merge_into(values, seg.bbox[0], seg.bbox[2])
    first_value = min(b0 for b0, _ in values)
    # A column whose numbers were all missed (OCR) still has its header above it.
    for row in rows:
        for seg in row:
            x0, x1 = seg.bbox[0], seg.bbox[2]
            if x0 >= first_value and not any(x0 <= b1 and x1 >= b0 for b0, b1 in values):
                values.append((x0, x1))
    labels: list[tuple[float, float]] = []
    for row in rows:
        if any(_NUMBER_CELL_RE.match(seg.text) for seg in row):
            for seg in row:
                if seg.bbox[2] < first_value and not _NUMBER_CELL_RE.match(seg.text):
                    _merge_into(labels, seg.bbox[0], seg.bbox[2])
    return sorted(labels) + sorted(values)


def _column_of(seg: Segment, bands: Sequence[tuple[float, float]]) -> int:
    x0, x1 = seg.bbox[0], seg.bbox[2]
    overlaps = [min(x1, b1) - max(x0, b0) for b0, b1 in bands]
    best = max(range(len(bands)), key=lambda i: overlaps[i])
    if overlaps[best] > 0:
        return best
    mid = (x0 + x1) / 2
    return min(range(len(bands)), key=lambda i: abs((bands[i][0] + bands[i][1]) / 2 - mid))


def _table_end(lines: Sequence[PageLine], i: int) -> int | None:
    """Where an unruled table starting at line ``i`` ends, or None if none starts there.

    A table is a run of lines with several column-gapped cells (or, inside it, number-free
    lines right under the one before: wrapped labels), two of them at least, one with a number.
    """
    j = i
    while j < len(lines) and (len(lines[j].segments) >= MIN_TABLE_CELLS
                               or (j > i and not _has_number(lines[j]) and _continues(lines[j - 1], lines[j]))):
        j += 1
    multi = [line for line in lines[i:j] if len(line.segments) >= MIN_TABLE_CELLS]
    if len(multi) < MIN_TABLE_LINES or not any(_has_number(line) for line in multi):
        return None
    return j


def table_regions(lines: Sequence[PageLine]) -> list[BBox]:
    """The boxes of the unruled tables among ``lines``."""
    regions: list[BBox] = []
    i = 0
    while i < len(lines):
        j = _table_end(lines, i)
        if j is None:
            i += 1
            continue
        regions.append(_union(seg.bbox for line in lines[i:j] for seg in line.segments))
        i = j
    return regions


def align_unruled(lines: list[PageLine], reread: Reread | None = None) -> list[PageLine]:
    """Runs of lines with several column-gapped cells become rows on shared columns.

    A blank cell of a space-aligned table prints nothing; without placing each cell under its
    column the numbers after it would shift left. A line holding only first-column text right
    under a row is the rest of that row's wrapped label. ``reread`` looks again at the empty
    value cells of each row (OCR misses lone digits); only a number found there is kept.
    """
    out: list[PageLine] = []
    i = 0
    while i < len(lines):
        j = _table_end(lines, i)
        if j is None:
            out.append(lines[i])
            i += 1
            continue
        block = lines[i:j]
        bands = _column_bands([line.segments for line in block if len(line.segments) >= MIN_TABLE_CELLS])
        first_row = len(out)
        for line in block:
            line.segments = [piece for seg in line.segments for piece in _split_over_bands(seg, bands)]
            cols = [_column_of(seg, bands) for seg in line.segments]
            if not _has_number(line) and out and out[-1].kind == "row" and \
                    _wraps_on(out[-1], cols, bands):
                row = out[-1]
                for seg, col in zip(line.segments, cols):
                    head = row.segments[col]
                    row.segments[col] = Segment(join_segments([head.text, seg.text]), _union([head.bbox, seg.bbox]),
                                                min(head.confidence, seg.confidence))
                row.bottom = max(row.bottom, line.bottom)
                continue
            slots: list[Segment | None] = [None] * len(bands)
            for seg, col in zip(line.segments, cols):
                current = slots[col]
                slots[col] = seg if current is None else Segment(
                    join_segments([current.text, seg.text]), _union([current.bbox, seg.bbox]),
                    min(current.confidence, seg.confidence))
            segments = [s if s is not None else Segment("", (bands[c][0], line.top, bands[c][1], line.bottom))
                        for c, s in enumerate(slots)]
            out.append(PageLine(segments, line.top, line.bottom, kind="row"))
        if reread is not None:
            _reread_values(out[first_row:], bands, reread)
        i = j
    return out


def _reread_values(rows: Sequence[PageLine], bands: Sequence[tuple[float, float]], reread: Reread) -> None:
    """Fill the empty cells of value columns with what a second look finds, if it is a number."""
    value_cols = {c for row in rows for c, seg in enumerate(row.segments) if _NUMBER_CELL_RE.match(seg.text)}
    for row in rows:
        height = row.bottom - row.top
        for c in value_cols:
            if row.segments[c].text:
                continue
            pad = height / 2
            left = max(bands[c - 1][1] if c else bands[c][0] - pad, bands[c][0] - pad)
            right = min(bands[c + 1][0] if c + 1 < len(bands) else bands[c][1] + pad, bands[c][1] + pad)
            token = reread((left, row.top - pad / 2, right, row.bottom + pad / 2))
            if token is not None and _NUMBER_CELL_RE.match(token.text):
                row.segments[c] = Segment(token.text, _token_box(token), token.confidence)


def _split_over_bands(seg: Segment, bands: Sequence[tuple[float, float]]) -> list[Segment]:
    """A run of digits OCR read as one box over several columns ("002"), cut column by column."""
    if not _NUMBER_CELL_RE.match(seg.text) or len(seg.text) < 2:
        return [seg]
    unit = (seg.bbox[2] - seg.bbox[0]) / len(seg.text)
    owners = []
    for k in range(len(seg.text)):
        mid = seg.bbox[0] + (k + 0.5) * unit
        inside = [c for c, (b0, b1) in enumerate(bands) if b0 <= mid <= b1]
        owners.append(inside[0] if inside else None)
    if None in owners or len(set(owners)) < 2:
        return [seg]
    pieces: list[Segment] = []
    start = 0
    for k in range(1, len(seg.text) + 1):
        if k == len(seg.text) or owners[k] != owners[start]:
            x0 = seg.bbox[0] + start * unit
            pieces.append(Segment(seg.text[start:k], (x0, seg.bbox[1], seg.bbox[0] + k * unit, seg.bbox[3]),
                                  seg.confidence))
            start = k
    return pieces


def _wraps_on(row: PageLine, cols: Sequence[int], bands: Sequence[tuple[float, float]]) -> bool:
    """Whether a line of cells in ``cols`` is the rest of ``row``'s wrapped text in those columns.

    Text wraps only when it fills its column: each cell the line continues must be non-empty
    in ``row`` and reach (nearly) to where the next column's text begins. A short label above
    ("规章") means the line is a row of its own (a clause heading such as 第二十条第（五）项).
    """
    for col in cols:
        head = row.segments[col]
        left = bands[col][0]
        right = bands[col + 1][0] if col + 1 < len(bands) else bands[col][1]
        if not head.text or (head.bbox[2] - left) < WRAPPED_SHARE * (right - left):
            return False
    return True


def _has_number(line: PageLine) -> bool:
    return any(_NUMBER_CELL_RE.match(seg.text) for seg in line.segments)


def _continues(prev: PageLine, line: PageLine) -> bool:
    """``line`` sits right under ``prev`` (less than a line's height between them)."""
    return line.top - prev.bottom < (prev.bottom - prev.top)


# ---------------------------------------------------------------- a page
def _text_lines(tokens: Sequence[Token]) -> list[PageLine]:
    lines = []
    for line in group_lines(tokens):
        segments = [_segment(run) for run in split_runs(line)]
        lines.append(PageLine(segments, min(t.top for t in line), max(t.bottom for t in line)))
    return lines


def _numbers(tokens: Iterable[Token]) -> int:
    return sum(1 for t in tokens if _NUMBER_CELL_RE.match(t.text))


def reread_tables(free: list[Token], read_region: RegionReader, width: float, height: float) -> list[Token]:
    """Unruled tables read again as a whole (OCR, enlarged), kept where that finds more numbers."""
    for x0, top, x1, bottom in table_regions(_text_lines(free)):
        pad = REGION_PAD
        box = (max(0.0, x0 - pad), max(0.0, top - pad), min(width, x1 + pad), min(height, bottom + pad))
        inside = [t for t in free if _inside(t, box)]
        again = read_region(box)
        if _numbers(again) > _numbers(inside):
            free = [t for t in free if not _inside(t, box)] + again
    return free


def layout_page(number: int, width: float, height: float, tokens: Sequence[Token],
                edges: Iterable[Edge] = (), reread: Reread | None = None,
                read_region: RegionReader | None = None) -> PageLayout:
    """Lines of one page in reading order (top to bottom), tables as rows of cells.

    OCR pages pass second looks: ``reread`` reads one box again (table cells found empty get
    it), ``read_region`` reads an unruled table again as a whole.
    """
    grids = find_grids(edges)
    in_grid: list[list[Token]] = [[] for _ in grids]
    free: list[Token] = []
    for token in tokens:
        for g, grid in enumerate(grids):
            if _inside(token, grid.bbox):
                in_grid[g].append(token)
                break
        else:
            free.append(token)
    if read_region is not None:
        free = reread_tables(free, read_region, width, height)
    text_lines = _text_lines(free)
    _mark_indents(text_lines)
    lines = align_unruled(text_lines, reread)
    for grid, grid_tokens in zip(grids, in_grid):
        lines.extend(grid_lines(grid, grid_tokens, reread))
    lines.sort(key=lambda line: line.top)
    kept = [*free, *(t for grid_tokens in in_grid for t in grid_tokens)]
    return PageLayout(number, width, height, lines, ruled_tables=len(grids), tokens=kept)


def _mark_indents(lines: Sequence[PageLine]) -> None:
    """A prose line starting well right of the page's text margin opens a paragraph."""
    starts = [line.segments[0].bbox[0] for line in lines if len(line.segments) == 1]
    if not starts:
        return
    margin = statistics.median_low(sorted(starts)[: max(1, len(starts) // 2)])
    for line in lines:
        if len(line.segments) != 1:
            continue
        box = line.segments[0].bbox
        if box[0] - margin >= INDENT * max(1.0, box[3] - box[1]):
            line.indent = True


# ---------------------------------------------------------------- across pages
def running_key(text: str) -> str:
    """What a running header or footer keeps from page to page (page numbers vary)."""
    return _DIGITS_RE.sub("#", re.sub(r"\s+", "", text))


def drop_running_lines(pages: Sequence[PageLayout]) -> int:
    """Remove page numbers, running headers and footers (lines in the margins that repeat); returns how many."""
    def in_margin(page: PageLayout, line: PageLine) -> bool:
        return line.bottom < RUNNING_MARGIN * page.height or line.top > (1 - RUNNING_MARGIN) * page.height

    counts: dict[str, int] = {}
    for page in pages:
        for key in {running_key(line.text) for line in page.lines if in_margin(page, line) and line.kind == "text"}:
            counts[key] = counts.get(key, 0) + 1
    repeated = {key for key, n in counts.items() if n >= 2 and n >= len(pages) / 2 and key}
    dropped = 0
    for page in pages:
        kept = []
        for line in page.lines:
            if line.kind == "text" and in_margin(page, line) and (
                    PAGE_NUMBER_RE.match(line.text) or running_key(line.text) in repeated):
                dropped += 1
                continue
            kept.append(line)
        page.lines = kept
    return dropped


def drop_repeated_headers(pages: Sequence[PageLayout]) -> int:
    """Rows a table repeats at the top of its continuation page are read once; returns how many dropped.

    When a page ended inside a table, the next page's first lines that repeat the opening
    lines of that table (its header rows, or the caption line right above them) are its
    repeated header. Texts are compared without empty cells: a continuation may split merged
    cells differently.
    """
    dropped = 0
    for previous, page in zip(pages, pages[1:]):
        if not page.lines or not previous.lines or previous.lines[-1].kind != "row":
            continue
        start = len(previous.lines) - 1
        while start > 0 and previous.lines[start - 1].kind == "row":
            start -= 1
        best = 0
        for opening in range(max(0, start - CAPTION_LINES), start + 1):
            n = 0
            while n < len(page.lines) - 1 and opening + n < len(previous.lines) - 1 and \
                    _same_row(page.lines[n], previous.lines[opening + n]):
                n += 1
            best = max(best, n)
        del page.lines[:best]
        dropped += best
    return dropped


def _row_key(line: PageLine) -> str:
    """A row's text without empty cells, spaces and punctuation: a continuation may split merged
    cells differently, and OCR may read （一） as (一)."""
    return _NOT_WORD_RE.sub("", "".join(s.text for s in line.segments))


def _same_row(a: PageLine, b: PageLine) -> bool:
    """Equal rows, allowing OCR a character wrong in ten."""
    ka, kb = _row_key(a), _row_key(b)
    if ka == kb:
        return bool(ka)
    return bool(ka and kb) and difflib.SequenceMatcher(None, ka, kb, autojunk=False).ratio() >= REPEAT_SIMILARITY


def assemble(pages: Sequence[PageLayout]) -> tuple[str, list[int], list[TextBox]]:
    """The document text, where each page starts, and the box of every non-empty segment."""
    parts: list[str] = []
    page_starts: list[int] = []
    boxes: list[TextBox] = []
    offset = 0
    for page in pages:
        page_starts.append(offset)
        for line in page.lines:
            pos = offset
            if line.indent and line.kind == "text":
                parts.append(PARAGRAPH_INDENT)
                pos += len(PARAGRAPH_INDENT)
            for k, seg in enumerate(line.segments):
                if k:
                    parts.append(line.separator)
                    pos += len(line.separator)
                if seg.text:
                    boxes.append(TextBox(pos, pos + len(seg.text), page.number, _rounded_out(seg.bbox), seg.confidence))
                parts.append(seg.text)
                pos += len(seg.text)
            parts.append("\n")
            offset = pos + 1
        if not page.lines:
            parts.append("\n")
            offset += 1
    return "".join(parts), page_starts, boxes


def document_from_pages(pages: list[PageLayout], media_type: str, warnings: list[str], *, ocr: bool) -> Document:
    """The reader's result from laid-out pages: running lines and repeated headers gone, boxes kept."""
    drop_running_lines(pages)
    drop_repeated_headers(pages)
    text, page_starts, boxes = assemble(pages)
    if not text.strip():
        warnings.append("no text found on any page" + (", OCR included" if ocr else ""))
    return Document(text=text, media_type=media_type, pages=len(pages), page_starts=page_starts,
                    structured_tables=sum(page.ruled_tables for page in pages), warnings=warnings, ocr=ocr,
                    boxes=boxes, plain=plain_document(pages, media_type, ocr=ocr))


# ---------------------------------------------------------------- the same pages as plain text
# A report typed as text (tables as tab- or space-separated cells, one cell per line, blank
# lines between cells, everything run together) and printed to PDF has no spatial grid to find:
# its text layer reads best as the text that was typed. ``plain_document`` rebuilds that text
# from the same tokens, with no grid step: lines top to bottom, gaps as the spaces (or tabs)
# that printed them, vertical gaps as blank lines, lines a word processor wrapped joined again.
# Columns are half an em wide (a CJK character takes two, as in a monospaced dump).
#
# Tab stops tried (columns), widest first: text typed with tabs prints every gap up to a stop.
TAB_STOPS = (8, 4)
# Gaps of two columns or more needed before tab stops are believed, and the share of them that
# must end on a stop (text aligned with spaces ends them anywhere).
MIN_TAB_EVIDENCE = 12
TAB_STOP_SHARE = 0.9
# Two numbers a wrap separated were a column gap apart when the text was aligned with spaces.
WRAPPED_NUMBER_GAP = "  "
# A Markdown separator row (|---|:--:|), possibly cut over lines: it tells a table's pipe count.
_PIPE_SEPARATOR_RE = re.compile(r"^\|?[\s|:]*-{3,}[-\s|:]*$")
# A filled line ending a sentence, followed by a numbered heading, was not wrapped.
SENTENCE_ENDS = frozenset("。；：！？")
_HEADING_START_RE = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|[0-9]+[、．])")
# Line pitch: the shortest step may hold up to this many pitches (blank lines between all lines);
# the pitch found must divide this share of the steps to within this share of itself.
MAX_PITCH_DIVISOR = 4
PITCH_SHARE = 0.9
PITCH_TOLERANCE = 0.15


@dataclass
class _Glyph:
    """One token on a plain line: its start column, text, box and read confidence."""

    col: int
    text: str
    bbox: BBox
    confidence: float
    # Columns of blank space before it on its line (its indent for the first glyph).
    gap: int = 0


@dataclass
class _PlainLine:
    page: int
    top: float
    bottom: float
    glyphs: list[_Glyph]
    # Columns the typed line had before this printed line starts (a wrapped line's continuation).
    shift: int = 0
    # Whether the typed line this printed line belongs to is a Markdown pipe row, and its pipes so far.
    pipe_row: bool = False
    row_pipes: int = 0
    # Blank lines between this line and the one before it.
    blank: int = 0

    @property
    def end(self) -> int:
        last = self.glyphs[-1]
        return last.col + _display_width(last.text)


def _display_width(text: str) -> int:
    return sum(_char_width(ch) for ch in text)


def _column_unit(tokens: Sequence[Token]) -> float:
    """Half an em: half the width of a CJK character (OCR boxes: their width per column)."""
    wide = [(t.x1 - t.x0) / _display_width(t.text) for t in tokens
            if t.text and any(_char_width(ch) == 2 for ch in t.text) and t.x1 > t.x0]
    if wide:
        return max(0.5, statistics.median(wide))
    return max(0.5, _line_height(tokens) / 2) if tokens else 1.0


# Columns of blank one gap may take in the plain text: a real page is a few hundred columns wide;
# a damaged PDF can place a glyph at x = 10¹², which would be that many spaces.
MAX_PLAIN_GAP = 1000
# Blank lines between two lines of the plain text, likewise (a page holds about 60 lines).
MAX_PLAIN_BLANK_LINES = 200


def _plain_lines(page: PageLayout, margin: float, unit: float) -> list[_PlainLine]:
    lines: list[_PlainLine] = []
    for line in group_lines(page.tokens):
        height = _line_height(line)
        glyphs: list[_Glyph] = []
        for token in line:
            col = max(0, round((token.x0 - margin) / unit))
            glyph = _Glyph(col, token.text, _token_box(token), token.confidence)
            if glyphs:
                prev_token = line[len(glyphs) - 1]
                prev = glyphs[-1]
                if len(prev.text) == 1:  # a text layer's character: its advance, not its ink
                    gap = round((token.x0 - prev_token.x0) / unit) - _display_width(prev.text)
                else:
                    gap = round((token.x0 - prev_token.x1) / unit)
                if token.x0 - prev_token.x1 <= WORD_GAP * height:
                    gap = 0
                elif gap <= 0 and len(prev.text) > 1 and _LATIN_END_RE.search(prev.text) and \
                        _LATIN_START_RE.match(token.text):
                    gap = 1  # two OCR boxes of Latin words: a space at least
                glyph.gap = min(MAX_PLAIN_GAP, max(0, gap))
                glyph.col = prev.col + _display_width(prev.text) + glyph.gap
            else:
                glyph.gap = min(MAX_PLAIN_GAP, col)
                glyph.col = glyph.gap
            glyphs.append(glyph)
        lines.append(_PlainLine(page.number, min(t.top for t in line), max(t.bottom for t in line), glyphs))
    return lines


def _drop_running(pages: Sequence[PageLayout], lines: list[list[_PlainLine]]) -> list[list[_PlainLine]]:
    """The same running headers, footers and page numbers the layout reading drops."""
    proxies = [[PageLine([Segment("".join(g.text for g in line.glyphs),
                                  _union(g.bbox for g in line.glyphs))], line.top, line.bottom)
                for line in page_lines] for page_lines in lines]
    views = [PageLayout(page.number, page.width, page.height, list(page_proxies))
             for page, page_proxies in zip(pages, proxies)]
    drop_running_lines(views)
    out = []
    for view, page_proxies, page_lines in zip(views, proxies, lines):
        kept = {id(p) for p in view.lines}
        out.append([line for proxy, line in zip(page_proxies, page_lines) if id(proxy) in kept])
    return out


def _tab_stop(lines: Iterable[_PlainLine]) -> int | None:
    """The tab stop every wide gap ends on, if the text was typed with tabs."""
    ends = [g.col for line in lines for g in line.glyphs if g.gap >= 2]
    if len(ends) < MIN_TAB_EVIDENCE:
        return None
    for stop in TAB_STOPS:
        if sum(1 for c in ends if c % stop == 0) >= TAB_STOP_SHARE * len(ends):
            return stop
    return None


def _gap_text(glyph: _Glyph, stop: int | None, shift: int = 0) -> str:
    """The blank before a glyph as typed: tabs when it ends on a tab stop of tab-typed text."""
    if not glyph.gap:
        return ""
    col = glyph.col + shift
    if stop is not None and col % stop == 0:
        start = col - glyph.gap
        tabs = 1 + (col - (start // stop + 1) * stop) // stop
        if tabs >= 1:
            return "\t" * tabs
    return " " * glyph.gap


def _first_word_width(line: _PlainLine) -> int:
    """Columns of what starts a line: a CJK character, or a Latin word (number) as a whole."""
    width = 0
    for k, glyph in enumerate(line.glyphs):
        if k and glyph.gap:
            break
        for ch in glyph.text:
            if _char_width(ch) == 2:
                return width or 2
            width += 1
    return width


def _last_gap(line: _PlainLine) -> int:
    """The blank before a line's last word (a spaced row's column gap)."""
    return next((g.gap for g in reversed(line.glyphs[1:]) if g.gap), 1)


def _line_text(line: _PlainLine) -> str:
    return "".join(" " * g.gap + g.text for g in line.glyphs)


def _table_pipes(lines: Sequence[_PlainLine]) -> list[int | None]:
    """Per line, the pipe count of its Markdown table's separator row (None: not in such a table).

    A table is a run of lines holding pipes with no blank line between them. Only separators
    that open with a pipe count: their rows open and close with one, which is what tells a row
    a word processor wrapped from the next row.
    """
    out: list[int | None] = [None] * len(lines)
    start = 0
    while start < len(lines):
        end = start + 1
        while end < len(lines) and not lines[end].blank and "|" in _line_text(lines[end]):
            end += 1
        pipes = _separator_pipes(lines[start:end]) if "|" in _line_text(lines[start]) else None
        out[start:end] = [pipes] * (end - start)
        start = end
    return out


def _separator_pipes(lines: Sequence[_PlainLine]) -> int | None:
    """The pipes of the first separator row among ``lines``, with the pieces it was cut into."""
    for i, line in enumerate(lines):
        text = _line_text(line).strip()
        if text.startswith("|") and _PIPE_SEPARATOR_RE.match(text):
            count = text.count("|")
            for nxt in lines[i + 1:]:
                piece = _line_text(nxt).strip()
                if nxt.glyphs[0].col or piece.startswith("|-") or not _PIPE_SEPARATOR_RE.match(piece):
                    break
                count += piece.count("|")  # the rest of a separator cut where the line ended
            return count
    return None


def _wrapped(line: _PlainLine, nxt: _PlainLine, right: int, stop: int | None, pipes: int | None = None) -> bool:
    """Whether a word processor broke one typed line here.

    In a Markdown table (``pipes``: its separator's pipe count) a row opens and closes with a
    pipe: an unclosed row continues, and a row closed early continues only while the two lines
    hold no more pipes than one row. Elsewhere: the next line's first word, after the blank the
    line's own last word had before it, would not have fitted at the end of this one.
    """
    if nxt.glyphs[0].col > 0:
        return False
    if pipes is not None and line.pipe_row:
        if line.glyphs[-1].text[-1] != "|":
            return True
        head_pipes = _line_text(nxt).count("|")
        return line.row_pipes + head_pipes <= pipes if nxt.glyphs[0].text[0] == "|" else line.row_pipes < pipes
    if line.glyphs[-1].text[-1] in SENTENCE_ENDS and _HEADING_START_RE.match(
            "".join(g.text for g in nxt.glyphs[:4])):
        return False  # a heading after a paragraph that happened to fill its last line
    tail, head = line.glyphs[-1].text[-1], nxt.glyphs[0].text[0]
    if _char_width(tail) == 2 and _char_width(head) == 2:
        blank = 0
    elif _char_width(tail) == 2 or _char_width(head) == 2:
        blank = 1  # a space may have stood between a CJK character and a Latin word
    elif stop is not None:
        typed_end = line.end + line.shift
        blank = (typed_end // stop + 1) * stop - typed_end
    elif tail.isdigit() and head.isdigit():
        blank = _last_gap(line)  # a spaced row's numbers stand a column gap apart
    else:
        blank = 1
    return line.end + blank + _first_word_width(nxt) > right


def _join_text(line: _PlainLine, nxt: _PlainLine, stop: int | None, right: int) -> str:
    """What a wrap swallowed. Where the next word would have fitted straight after the line, the
    break was at a blank (a tab in tab-typed text; between numbers a column gap); else nothing
    next to CJK (a break between characters) or in a word cut for being wider than the line."""
    tail, head = line.glyphs[-1].text[-1], nxt.glyphs[0].text[0]
    fitted = line.end + _first_word_width(nxt) <= right
    if stop is not None and _char_width(tail) == 2 and head.isdigit():
        return "\t"  # tab-typed text: a label's numbers are a tab away from it
    if not fitted and (_char_width(tail) == 2 or _char_width(head) == 2):
        return ""
    if not fitted and all(g.gap == 0 for g in line.glyphs[1:]) and line.glyphs[0].col == 0:
        return ""  # one word wider than the line, cut where the line ended
    if stop is not None:
        return "\t"
    return WRAPPED_NUMBER_GAP if tail.isdigit() and head.isdigit() else " "


def _typed_width(text: str, start: int, stop: int | None) -> int:
    """Columns ``text`` (spaces, tabs) takes in the typed line from column ``start``."""
    col = start
    for ch in text:
        col = (col // stop + 1) * stop if ch == "\t" and stop else col + 1
    return col - start


def plain_document(pages: Sequence[PageLayout], media_type: str, *, ocr: bool = False) -> Document:
    """The pages' tokens as plain text in reading order, every character with its page and box.

    No grid step: what a text reader would have got had the report been handed over as the
    text it was typed as (see the comment above). ``boxes`` hold one box per character.
    """
    tokens = [t for page in pages for t in page.tokens]
    lines = _drop_running(pages, [_plain_lines(page, min((t.x0 for t in tokens), default=0.0),
                                               _column_unit(tokens)) for page in pages]) if tokens else []
    body = [line for page_lines in lines for line in page_lines]
    if not body:
        return Document(text="", media_type=media_type, pages=len(pages), ocr=ocr)
    margin_cols = min(line.glyphs[0].col for line in body)
    for line in body:  # columns from the text's own left edge, not the first token's
        line.glyphs[0].gap -= margin_cols
        for g in line.glyphs:
            g.col -= margin_cols
    _count_blank_lines(lines, statistics.median(t.height for t in tokens))
    stop = _tab_stop(body)
    right = max(line.end for line in body)
    table_pipes = _table_pipes(body)

    parts: list[str] = []
    boxes: list[TextBox] = []
    page_starts: list[int] = []
    offset = 0
    k = 0
    for page, page_lines in zip(pages, lines):
        page_starts.append(offset)
        for line in page_lines:
            joined = False
            line.pipe_row = line.glyphs[0].text[0] == "|"
            line.row_pipes = _line_text(line).count("|")
            if k:
                previous = body[k - 1]
                joined = not line.blank and _wrapped(previous, line, right, stop, table_pipes[k - 1])
                sep = _join_text(previous, line, stop, right) if joined else "\n" * (line.blank + 1)
                if joined:
                    line.pipe_row = previous.pipe_row
                    line.row_pipes += previous.row_pipes
                    typed_end = previous.end + previous.shift
                    line.shift = typed_end + _typed_width(sep, typed_end, stop)
                parts.append(sep)
                offset += len(sep)
                if line is page_lines[0]:
                    page_starts[-1] = offset
            for i, glyph in enumerate(line.glyphs):
                gap = "" if i == 0 and joined else _gap_text(glyph, stop, line.shift)
                parts.append(gap)
                offset += len(gap)
                boxes.extend(_char_boxes(glyph, offset, page.number))
                parts.append(glyph.text)
                offset += len(glyph.text)
            k += 1
    return Document(text="".join(parts) + "\n", media_type=media_type, pages=len(pages), page_starts=page_starts,
                    ocr=ocr, boxes=boxes)


def _count_blank_lines(lines: Sequence[Sequence[_PlainLine]], text_height: float) -> None:
    """Blank lines before each line, from the vertical gaps in line pitches; across a page break,
    the room under the last line of a page and above the first line of the next one."""
    steps = [b.top - a.top for page_lines in lines for a, b in zip(page_lines, page_lines[1:])
             if b.top - a.top > 0.5 * (a.bottom - a.top)]
    pitch = _line_pitch(steps, text_height)
    top_limit = min(page_lines[0].top for page_lines in lines if page_lines)
    bottom_limit = max(page_lines[-1].top for page_lines in lines if page_lines)
    under = 0  # blank lines under the last line of the previous page
    for page_lines in lines:
        for k, line in enumerate(page_lines):
            if k:
                line.blank = max(0, round((line.top - page_lines[k - 1].top) / pitch) - 1)
            else:
                line.blank = under + max(0, round((line.top - top_limit) / pitch))
            line.blank = min(MAX_PLAIN_BLANK_LINES, line.blank)
        if page_lines:
            under = min(MAX_PLAIN_BLANK_LINES, max(0, round((bottom_limit - page_lines[-1].top) / pitch)))


def _line_pitch(steps: Sequence[float], text_height: float) -> float:
    """The distance from one typed line to the next: the largest step every step is a multiple
    of (text with blank lines between all its lines has no single step to measure)."""
    if not steps:
        return max(1.0, text_height * 1.5)
    ordered = sorted(steps)
    shortest = ordered[len(ordered) // 20]
    for divisor in range(1, MAX_PITCH_DIVISOR + 1):
        pitch = shortest / divisor
        if pitch < text_height:
            break
        fits = sum(1 for s in steps if abs(s / pitch - round(s / pitch)) <= PITCH_TOLERANCE)
        if fits >= PITCH_SHARE * len(steps):
            return pitch
    return shortest


def _char_boxes(glyph: _Glyph, start: int, page: int) -> list[TextBox]:
    """One box per character; an OCR box's characters share its width by their display widths."""
    if len(glyph.text) == 1:
        return [TextBox(start, start + 1, page, _rounded_out(glyph.bbox), glyph.confidence)]
    x0, top, x1, bottom = glyph.bbox
    total = max(1, _display_width(glyph.text))
    out: list[TextBox] = []
    used = 0
    for k, ch in enumerate(glyph.text):
        w = _char_width(ch)
        a = x0 + (x1 - x0) * used / total
        used += w
        b = x0 + (x1 - x0) * used / total
        out.append(TextBox(start + k, start + k + 1, page, _rounded_out((a, top, b, bottom)), glyph.confidence))
    return out


def _rounded_out(bbox: BBox) -> BBox:
    """To a tenth of a point, outwards: the box still holds the whole character."""
    return (math.floor(bbox[0] * 10) / 10, math.floor(bbox[1] * 10) / 10,
            math.ceil(bbox[2] * 10) / 10, math.ceil(bbox[3] * 10) / 10)
