"""Table grids shared by the HTML and .docx readers, so that both write a table the same way.

A table becomes one line per row with cells joined by ``\\t``; a position covered by a
``rowspan``/``colspan`` (or a Word ``gridSpan``/``vMerge``) is an empty cell, so every row of
a table has the same number of cells and a number keeps its column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

# HTML caps colspan at 1000; a larger value is a typo, not a table that wide.
MAX_COLSPAN = 1000
# rowspan="0" (or anything larger than what is left) means "to the end of the table".
SPAN_TO_END = 0
# A table one grid column wide lays out a page (a frame around the report): its cells are
# read as ordinary blocks, not written as one-cell rows.
MIN_DATA_TABLE_COLUMNS = 2

# Characters that CJK text runs together without spaces: ideographs, kana, CJK punctuation
# and full-width forms. Two segments of a cell are joined without a space between these.
CJK_CLASS = r"\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_CJK_CHAR_RE = re.compile(f"[{CJK_CLASS}]")
# A line break in the source between two CJK characters is not a space (CSS Text 3 rule
# for segment breaks); elsewhere whitespace runs become one space. U+3000 is kept: the
# layout stage reads it as a column gap.
_CJK_SEGMENT_BREAK_RE = re.compile(
    f"(?<=[{CJK_CLASS}])[ \\t\\r\\f\\v\\xa0]*\\n[ \\t\\n\\r\\f\\v\\xa0]*(?=[{CJK_CLASS}])"
)
_SPACE_RUN_RE = re.compile(r"[ \t\n\r\f\v\xa0\u200b]+")
# Cell text must not contain the row and cell separators, nor invisible padding.
_CELL_STRIP = " \t\n\r\f\v\xa0\u3000\u200b\ufeff"

T = TypeVar("T")


def collapse_spaces(text: str) -> str:
    """One line of flowing text: source line breaks and runs of spaces become one space."""
    text = _CJK_SEGMENT_BREAK_RE.sub("", text)
    return _SPACE_RUN_RE.sub(" ", text)


def _is_cjk(char: str) -> bool:
    return _CJK_CHAR_RE.match(char) is not None


def join_segments(segments: Sequence[str]) -> str:
    """Join the lines of one cell (``<br>``, paragraphs) into the single-line cell text.

    Two CJK sides are joined without a separator ("结果" + "维持" → "结果维持"); anything
    else gets one space, so "2019" + "年" stays readable as two words.
    """
    parts = [collapse_spaces(s).strip(_CELL_STRIP) for s in segments]
    parts = [p for p in parts if p]
    if not parts:
        return ""
    out = [parts[0]]
    for part in parts[1:]:
        if not (_is_cjk(out[-1][-1]) and _is_cjk(part[0])):
            out.append(" ")
        out.append(part)
    return "".join(out)


def parse_span(value: str | None) -> int:
    """A rowspan/colspan attribute as an int; missing or malformed → 1, "0" → SPAN_TO_END."""
    if not value:
        return 1
    match = re.match(r"\s*(\d+)", value)
    if match is None:
        return 1
    return int(match.group(1))


@dataclass
class SpanCell(Generic[T]):
    """A cell as the markup states it: its payload and how many rows/columns it covers."""

    payload: T
    rowspan: int = 1
    colspan: int = 1


def spanned_cells(rows: Sequence[Sequence[SpanCell[T]]]) -> int:
    """How many grid positions ``expand_spans`` would fill (at most), counted before any is made."""
    n_rows = len(rows)
    total = 0
    for r, row in enumerate(rows):
        for cell in row:
            rowspan = n_rows - r if cell.rowspan == SPAN_TO_END else min(max(cell.rowspan, 1), n_rows - r)
            total += rowspan * min(max(cell.colspan, 1), MAX_COLSPAN)
    return total


def expand_spans(rows: Sequence[Sequence[SpanCell[T]]]) -> list[list[T | None]]:
    """Lay cells out on a grid; each anchor sits at its top-left, covered positions are None.

    Every returned row has the width of the widest row (short rows are padded with None).
    """
    n_rows = len(rows)
    grid: list[dict[int, T | None]] = [{} for _ in range(n_rows)]
    for r, row in enumerate(rows):
        col = 0
        for cell in row:
            while col in grid[r]:
                col += 1
            rowspan = n_rows - r if cell.rowspan == SPAN_TO_END else min(cell.rowspan, n_rows - r)
            colspan = min(max(cell.colspan, 1), MAX_COLSPAN)
            for dr in range(rowspan):
                covered = grid[r + dr]
                for dc in range(colspan):
                    covered.setdefault(col + dc, None)
            grid[r][col] = cell.payload
            col += colspan
    width = max((max(row) + 1 for row in grid if row), default=0)
    return [[row.get(c) for c in range(width)] for row in grid]


def write_grid(
    grid: Sequence[Sequence[T | None]],
    cell_text: Callable[[T, list[T]], str],
    render_block: Callable[[T], None],
    render_table: Callable[[T], None],
    lines: list[str],
) -> bool:
    """Write a table grid as tab-joined lines (both readers' one way of doing it).

    A grid one column wide is a page frame: its cells go to ``render_block`` as ordinary
    content. Otherwise each row with any text becomes a line, and tables nested in a cell
    (which ``cell_text`` collects) follow that row through ``render_table``. Returns whether
    a data table was written.
    """
    width = max((len(row) for row in grid), default=0)
    if width < MIN_DATA_TABLE_COLUMNS:
        for row in grid:
            for cell in row:
                if cell is not None:
                    render_block(cell)
        return False
    written = 0
    for row in grid:
        nested: list[T] = []
        texts = ["" if cell is None else cell_text(cell, nested) for cell in row]
        texts.extend([""] * (width - len(texts)))
        if any(texts):
            lines.append("\t".join(texts))
            written += 1
        for inner in nested:
            render_table(inner)
    return written > 0
