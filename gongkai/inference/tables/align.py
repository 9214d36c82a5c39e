"""Aligning a token stream to the national template: which printed row is which template row,
and which printed value is which column.

Rows are matched by a monotone alignment (template order is fixed), scoring each pairing by
how well the label matches and how well the values fit; rows that lost their label (shredded
Markdown) can still take the template row their position implies. Values go to columns by
count, by position where empty cells are printed, or, when a layout ran the digits together,
by the splits that make the row's arithmetic hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from gongkai.inference.tables.numbers import digits_of
from gongkai.inference.tables.rowlabels import LabelMatch, LabelMatcher
from gongkai.inference.tables.tokens import Token

# Full rows that must agree on their value columns before those place the others (``value_columns``).
MIN_COLUMN_ROWS = 3
# Share of the rows printing every cell that must end in the same cell for that to be the grid's end.
END_AGREEMENT = 0.9
# How an unlabelled row of values scores against any template row (it fits by position only).
UNLABELLED_SCORE = 0.35
# A pairing must score more than this to be used at all.
MIN_PAIR_SCORE = 0.2


@dataclass
class RowObservation:
    """A printed row: the label cells before it and the value cells after."""

    labels: list[Token] = field(default_factory=list)
    values: list[Token] = field(default_factory=list)

    @property
    def label_texts(self) -> list[str]:
        return [t.text for t in self.labels]

    @property
    def numbers(self) -> int:
        return sum(1 for t in self.values if t.kind == "number")

    @property
    def runs(self) -> int:
        return sum(1 for t in self.values if t.kind == "run")


@dataclass
class SlotValue:
    """One column's value in a row and how it was assigned."""

    token: Token | None
    value: int | float | None
    method: str  # count | position | padded | grid | run_unique | run_ambiguous | run_short | order
    # How many readings of a run of digits were possible (1: the printed cells leave no doubt).
    alternatives: int = 1
    # Decoded from a run whose chosen cuts are exactly its printed separators (see ``Reading.plain``).
    plain: bool = False


def group_rows(tokens: Sequence[Token], width: int = 2, labels_after: bool = False) -> list[RowObservation]:
    """Cut the stream into rows: a row's labels are the label cells since the previous values.

    ``width``: cells a full row holds; a line break inside fewer values than that (a scraper's
    newline between cells) does not end the row. ``labels_after``: labels are printed after
    their values (shredded Markdown: a fragment of values, then the labels), so a row's labels
    are the label cells up to the next values.
    """
    rows: list[RowObservation] = []
    current = RowObservation()
    for tok in tokens:
        if tok.kind == "label":
            if current.values and not labels_after:
                rows.append(current)
                current = RowObservation()
            current.labels.append(tok)
            continue
        values = current.values
        # Line-structured layouts (tabs, pipes, spaced columns) print a row per line: values on a
        # new line after a full line of values are the next row, even if its label was lost.
        full_line = (len(values) > 1 and tok.line != values[-1].line and _cells(values) >= width
                     and all(v.gap == 0 and not v.inferred for v in values[1:]))
        if full_line or (labels_after and current.labels and values):
            rows.append(current)
            current = RowObservation()
        current.values.append(tok)
    if current.values or current.labels:
        rows.append(current)
    return rows


def _cells(values: Sequence[Token]) -> int:
    """Cells the values print at least: a run of digits counts each digit."""
    return sum(len(digits_of(t.text)) or 1 if t.kind == "run" else 1 for t in values)


def value_fit(row: RowObservation, width: int) -> float:
    """How plausible the row's values are as one template row of ``width`` columns."""
    if row.runs:
        return 0.8
    n = row.numbers
    slots = len(row.values)
    if n == width:
        return 1.0
    if n and slots >= width:
        return 0.85
    if n == 0 and slots >= width - 1:
        return 0.6  # a printed row of blank cells (the last one may have gone with the line's end)
    if n:
        return 0.5
    return 0.0


def align_rows(
    rows: Sequence[RowObservation], matcher: LabelMatcher, n_template: int, width: int
) -> dict[int, tuple[RowObservation, LabelMatch | None]]:
    """Monotone best alignment of printed rows to template rows (Needleman–Wunsch, no gap cost)."""
    n = len(rows)
    matches = [matcher.match_parts(r.label_texts) if r.labels else None for r in rows]
    fits = [value_fit(r, width) for r in rows]
    # scores[i][j]: pairing printed row i with template row j (0 where it may not pair).
    scores: list[list[float]] = []
    for m, fit in zip(matches, fits):
        row = [0.0] * n_template
        if fit > 0.0:
            if m is None:
                row = [UNLABELLED_SCORE * fit] * n_template
            else:
                row[m.index] = m.score * fit
                for index, score in m.others:
                    row[index] = max(row[index], score * fit)
        scores.append([v if v > MIN_PAIR_SCORE else 0.0 for v in row])

    # dp[i][j] = max(dp[i-1][j], dp[i][j-1], dp[i-1][j-1] + s): a running maximum of each
    # column's own best (itertools.accumulate runs it in C; the DP is most of a table's alignment).
    dp = [[0.0] * (n_template + 1)]
    for row_scores in scores:
        prev_dp = dp[-1]
        if not any(row_scores):
            dp.append(prev_dp[:])
            continue
        own = [0.0] + [max(prev_dp[j], prev_dp[j - 1] + s) if s else prev_dp[j]
                       for j, s in enumerate(row_scores, start=1)]
        dp.append(list(accumulate(own, max)))
    out: dict[int, tuple[RowObservation, LabelMatch | None]] = {}
    i, j = n, n_template
    while i > 0 and j > 0:
        s = scores[i - 1][j - 1]
        if s and abs(dp[i][j] - (dp[i - 1][j - 1] + s)) < 1e-9:
            out[j - 1] = (rows[i - 1], matches[i - 1])
            i, j = i - 1, j - 1
        elif dp[i][j] == dp[i - 1][j]:
            i -= 1
        else:
            j -= 1
    return out


# ---------------------------------------------------------------- values → columns
def token_value(tok: Token | None) -> int | float | None:
    """The number a value cell printed; None for an empty cell or none at all."""
    return tok.number.value if tok is not None and tok.kind == "number" and tok.number else None


def _under_columns(tokens: Sequence[Token], columns: Sequence[int], method: str) -> list[SlotValue]:
    """One slot per column: the token printed in that cell, or a blank."""
    by_col = {t.col: t for t in tokens}
    return [SlotValue(tok, token_value(tok), method) for tok in (by_col.get(col) for col in columns)]


def value_columns(rows: Sequence[RowObservation], width: int) -> list[int] | None:
    """The cell indices that a table's values are printed in, from its rows that print every cell.

    A Markdown or tab-separated row whose label spans several cells has empty cells before its
    values, and one whose last cell is blank an empty cell after them: only the columns the full
    rows use tell the two apart (a blank 总计 read as an empty 自然人 shifts the row by one).
    """
    seen: Counter[tuple[int, ...]] = Counter()
    ends: Counter[int] = Counter()  # the last cell of rows printing a cell per column, some blank
    for row in rows:
        numbers = [t for t in row.values if t.kind == "number"]
        cells = [t for t in row.values if t.kind != "run"]
        if not numbers or len(cells) < width or cells[0].line != cells[-1].line:
            continue
        if len(numbers) < width:
            ends[cells[-1].col] += 1
        cols = tuple(t.col for t in numbers)
        if len(numbers) == width and all(a < b for a, b in zip(cols, cols[1:])):
            seen[cols] += 1
    if seen:
        (cols, count), = seen.most_common(1)
        if count >= MIN_COLUMN_ROWS and count * 2 > sum(seen.values()):
            return list(cols)
    if not ends:
        return None
    # Full rows that disagree (Markdown exports print them ragged): the values are the last cells
    # of the rows that print every cell with some blank (printed on the grid).
    (end, count), = ends.most_common(1)
    if count < MIN_COLUMN_ROWS or count < END_AGREEMENT * sum(ends.values()) or end + 1 < width:
        return None  # rows of several lengths (shredded tables add an empty cell to some): no grid
    return list(range(end - width + 1, end + 1))


def assign_slots(row: RowObservation, width: int, columns: Sequence[int] | None = None) -> list[SlotValue]:
    """Values of a printed row in column order, by count, or by position where blanks are printed.

    ``columns``: the cell indices of the values (``value_columns``), which place a row printing
    more cells than values (empty label cells before, blank cells after). Not a row with as many
    cells as values: tab-separated rows print their labels in one cell or two, so a row's empty
    first cell may be a label's or a blank value's, and the full rows' columns do not say which.
    Rows whose digits ran together are not read here but by ``gongkai.inference.tables.decode``.
    """
    values = row.values
    numbers = [t for t in values if t.kind == "number"]
    if len(numbers) == width:
        return [SlotValue(t, token_value(t), "count") for t in numbers]
    slots = [t for t in values if t.kind != "run"]
    if len(numbers) > width:
        return [SlotValue(t, token_value(t), "padded") for t in numbers[:width]]
    method = "position"
    if len(slots) > width and numbers and len({t.line for t in numbers}) == 1:
        # Empty cells of another printed line (a row of empty cells above the values) are not this
        # row's, where the values' own line prints a cell per column (one cell a line has none).
        own_line = [t for t in slots if t.line == numbers[0].line]
        if len(own_line) >= width:
            slots = own_line
    if (columns is not None and numbers and len(slots) > width and slots[0].line == slots[-1].line
            and all(t.col in columns for t in numbers)):
        return _under_columns(slots, columns, method)
    # Too many slots: drop blank cells at the ends (row ends, ragged tables) first.
    while len(slots) > width and slots[-1].kind == "empty":
        slots.pop()
    while len(slots) > width and slots[0].kind == "empty":
        slots.pop(0)
    if len(slots) != width:
        method = "padded"
        slots = slots[:width]
    out = [SlotValue(t, token_value(t), method) for t in slots]
    out.extend(SlotValue(None, None, "padded") for _ in range(width - len(out)))
    return out


def assign_by_columns(row: RowObservation, columns: Sequence[int]) -> list[SlotValue] | None:
    """A row of a markup grid (HTML, .docx): each value sits under its header's column."""
    if not row.values or row.values[0].line != row.values[-1].line:
        return None
    # A row that prints its group's label in a cell of its own ("| （三）不予公开 | 1.属于国家秘密 | 0 |")
    # has its values a cell to the right of the header's columns.
    label_cols = [t.col for t in row.labels if t.line == row.values[0].line]
    if label_cols and max(label_cols) >= columns[0]:
        shift = max(label_cols) - columns[0] + 1
        columns = [col + shift for col in columns]
    if any(t.col not in columns for t in row.values if t.kind == "number"):
        return None
    return _under_columns(row.values, columns, "grid")
