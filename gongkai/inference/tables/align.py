"""Aligning a token stream to the national template: which printed row is which template row,
and which printed value is which column.

Rows are matched by a monotone alignment (template order is fixed), scoring each pairing by
how well the label matches and how well the values fit; rows that lost their label (shredded
Markdown) can still take the template row their position implies. Values go to columns by
count, by position where empty cells are printed, or, when a layout ran the digits together,
by the splits that make the row's arithmetic hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gongkai.inference.tables.numbers import digits_of
from gongkai.inference.tables.rowlabels import LabelMatch, LabelMatcher
from gongkai.inference.tables.tokens import Token

# How an unlabelled row of values scores against any template row (it fits by position only).
UNLABELLED_SCORE = 0.35
# A pairing must score more than this to be used at all.
MIN_PAIR_SCORE = 0.2
# Digit runs: the longest single number we accept, and how many splits we enumerate at most.
MAX_NUMBER_DIGITS = 7
MAX_RUN_CANDIDATES = 500
MAX_SPLIT_STEPS = 20000
# Joint choice among ambiguous rows of a table: at most this many combinations are tried.
MAX_JOINT_COMBINATIONS = 2000
# Flattened rows whose zeros were left blank keep only these columns (first applicant and total).
SHORT_RUN_PLACEMENTS: tuple[tuple[int, ...], ...] = ((0, -1), (-1,))


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


def group_rows(tokens: Sequence[Token]) -> list[RowObservation]:
    """Cut the stream into rows: a row's labels are the label cells since the previous values."""
    rows: list[RowObservation] = []
    current = RowObservation()
    for tok in tokens:
        if tok.kind == "label":
            if current.values:
                rows.append(current)
                current = RowObservation()
            current.labels.append(tok)
            continue
        values = current.values
        # Line-structured layouts (tabs, pipes, spaced columns) print a row per line: values on a
        # new line after a full line of values are the next row, even if its label was lost.
        if (len(values) > 1 and tok.line != values[-1].line
                and all(v.gap == 0 and not v.inferred for v in values[1:])):
            rows.append(current)
            current = RowObservation()
        current.values.append(tok)
    if current.values or current.labels:
        rows.append(current)
    return rows


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
        scores.append([v if v > MIN_PAIR_SCORE else 0.0 for v in row])

    dp = [[0.0] * (n_template + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        row_dp, prev_dp, row_scores = dp[i], dp[i - 1], scores[i - 1]
        if not any(row_scores):
            dp[i] = prev_dp[:]
            continue
        for j in range(1, n_template + 1):
            best = prev_dp[j] if prev_dp[j] > row_dp[j - 1] else row_dp[j - 1]
            s = row_scores[j - 1]
            if s and prev_dp[j - 1] + s > best:
                best = prev_dp[j - 1] + s
            row_dp[j] = best
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
def split_run(digits: str, parts: int, check: Callable[[list[int]], bool] | None = None) -> list[list[int]]:
    """All ways to cut a digit string into ``parts`` numbers (no leading zeros) passing ``check``."""
    return cut_run(digits, parts, check)[0]


def cut_run(
    digits: str,
    parts: int,
    check: Callable[[list[int]], bool] | None = None,
    prefix_ok: Callable[[list[int], int], bool] | None = None,
) -> tuple[list[list[int]], bool]:
    """The cuts of a digit run, and whether the search saw them all (it stops at a budget).

    ``prefix_ok(cut, digits_left)`` prunes a partial cut early (a 表四 group of five whose sum
    is already wrong, applicants that already outgrow any 总计 the remaining digits can print),
    which keeps long runs within the budget.
    """
    out: list[list[int]] = []
    cut: list[int] = []
    steps = [0]

    def walk(pos: int, left: int) -> None:
        steps[0] += 1
        if len(out) >= MAX_RUN_CANDIDATES or steps[0] > MAX_SPLIT_STEPS:
            return
        remaining = len(digits) - pos
        if left == 1:
            piece = digits[pos:]
            if 0 < len(piece) <= MAX_NUMBER_DIGITS and (piece == "0" or piece[0] != "0"):
                values = [*cut, int(piece)]
                if check is None or check(values):
                    out.append(values)
            return
        if remaining < left or remaining > left * MAX_NUMBER_DIGITS:
            return
        longest = 1 if digits[pos] == "0" else min(MAX_NUMBER_DIGITS, remaining - left + 1)
        for length in range(1, longest + 1):
            cut.append(int(digits[pos: pos + length]))
            if prefix_ok is None or prefix_ok(cut, remaining - length):
                walk(pos + length, left - 1)
            cut.pop()

    walk(0, parts)
    complete = len(out) < MAX_RUN_CANDIDATES and steps[0] <= MAX_SPLIT_STEPS
    return out, complete


def assign_slots(
    row: RowObservation,
    width: int,
    check: Callable[[list[int]], bool] | None = None,
    prefix_ok: Callable[[list[int], int], bool] | None = None,
) -> tuple[list[SlotValue], list[list[int]]]:
    """Values of a printed row in column order; also the candidate splits if digits ran together.

    ``check`` is the row's arithmetic (e.g. six applicant columns add up to 总计); it picks
    among the ways a run of digits can be cut, never overrides printed separators.
    """
    values = row.values
    numbers = [t for t in values if t.kind == "number"]
    if row.runs:
        return _assign_runs(values, width, check, prefix_ok)
    if len(numbers) == width:
        return [SlotValue(t, t.number.value if t.number else None, "count") for t in numbers], []
    slots = list(values)
    if len(numbers) > width:
        return [SlotValue(t, t.number.value if t.number else None, "padded") for t in numbers[:width]], []
    method = "position"
    # Too many slots: drop blank cells at the ends (row ends, ragged tables) first.
    while len(slots) > width and slots[-1].kind == "empty":
        slots.pop()
    while len(slots) > width and slots[0].kind == "empty":
        slots.pop(0)
    if len(slots) != width:
        method = "padded"
        slots = slots[:width]
    out = [
        SlotValue(t, t.number.value if t.kind == "number" and t.number else None, method) for t in slots
    ]
    out.extend(SlotValue(None, None, "padded") for _ in range(width - len(out)))
    return out, []


def assign_by_columns(row: RowObservation, columns: Sequence[int]) -> list[SlotValue] | None:
    """A row of a markup grid (HTML, .docx): each value sits under its header's column."""
    if not row.values or row.values[0].line != row.values[-1].line:
        return None
    by_col = {t.col: t for t in row.values}
    if any(t.col not in columns for t in row.values if t.kind == "number"):
        return None
    out: list[SlotValue] = []
    for col in columns:
        tok = by_col.get(col)
        value = tok.number.value if tok is not None and tok.kind == "number" and tok.number else None
        out.append(SlotValue(tok, value, "grid"))
    return out


def _assign_runs(
    values: Sequence[Token],
    width: int,
    check: Callable[[list[int]], bool] | None,
    prefix_ok: Callable[[list[int], int], bool] | None = None,
) -> tuple[list[SlotValue], list[list[int]]]:
    """A row whose digits ran together: enumerate the cuts that make the arithmetic hold."""
    fixed = [t for t in values if t.kind in ("number", "run")]
    digits = digits_of("".join(t.text for t in fixed if t.number is not None and t.number.value is not None))
    # Separately printed numbers are kept whole; only the runs are cut.
    complete = True
    if len(fixed) == 1:
        candidates, complete = cut_run(digits, width, check, prefix_ok)
        if not candidates and check is not None:
            candidates, complete = cut_run(digits, width, None)
            method = "run_ambiguous"
        else:
            method = "run_unique" if len(candidates) == 1 and complete else "run_ambiguous"
    else:
        candidates = _split_mixed(fixed, width, check)
        method = "run_unique" if len(candidates) == 1 else "run_ambiguous"
    if not candidates and len(fixed) == 1 and len(digits) < width:
        candidates = _short_run(digits, width, check)
        method = "run_short"
    if not candidates:
        return [SlotValue(None, None, "padded") for _ in range(width)], []
    token = fixed[0]
    # An unfinished search may have missed the true cut: count it as many readings.
    alternatives = len(candidates) if complete else max(len(candidates), MAX_RUN_CANDIDATES)
    return [SlotValue(token, v, method, alternatives) for v in candidates[0]], candidates


def _short_run(digits: str, width: int, check: Callable[[list[int]], bool] | None) -> list[list[int | None]]:
    """Fewer digits than columns: the zeros were left blank. Try the columns reports fill most."""
    out: list[list[int | None]] = []
    for placement in SHORT_RUN_PLACEMENTS:
        if len(placement) > len(digits):
            continue
        for cut in split_run(digits, len(placement)):
            values: list[int | None] = [None] * width
            for column, value in zip(placement, cut):
                values[column] = value
            if check is None or check([v or 0 for v in values]):
                out.append(values)
        if out:
            break
    return out


def _split_mixed(
    fixed: Sequence[Token], width: int, check: Callable[[list[int]], bool] | None
) -> list[list[int]]:
    pieces: list[list[list[int]]] = []
    for t in fixed:
        text = digits_of(t.text)
        if t.kind == "number" and t.number is not None and isinstance(t.number.value, int):
            pieces.append([[t.number.value]])
        else:
            pieces.append([c for k in range(1, width + 1) for c in split_run(text, k)])
    out: list[list[int]] = []
    for combo in itertools.islice(itertools.product(*pieces), MAX_RUN_CANDIDATES):
        flat = [v for part in combo for v in part]
        if len(flat) == width and (check is None or check(flat)):
            out.append(flat)
    return out


def run_prior(values: Sequence[int | None]) -> float:
    """Prefer cuts with fewer multi-digit numbers: reports are mostly small counts."""
    present = [v for v in values if v is not None]
    return -sum(len(str(v)) for v in present) - 0.001 * max(present, default=0)


def choose_joint(
    candidates: dict[str, list[list[int]]],
    fixed: dict[str, list[int | float | None]],
    constraints: Callable[[dict[str, list[int | float | None]]], int],
) -> dict[str, list[int]] | None:
    """Pick one cut per ambiguous row so that the table's identities hold best.

    ``constraints`` counts broken identities for a full assignment. Returns None when the
    search is too large; the caller keeps each row's most plausible cut then.
    """
    keys = list(candidates)
    sizes = [len(candidates[k]) for k in keys]
    total = 1
    for s in sizes:
        total *= s
    if total > MAX_JOINT_COMBINATIONS:
        return None
    best: tuple[int, float] | None = None
    chosen: dict[str, list[int]] | None = None
    for combo in itertools.product(*(candidates[k] for k in keys)):
        table = dict(fixed)
        table.update(zip(keys, combo))
        broken = constraints(table)
        prior = sum(run_prior(v) for v in combo)
        key = (broken, -prior)
        if best is None or key < best:
            best = key
            chosen = dict(zip(keys, combo))
    return chosen
