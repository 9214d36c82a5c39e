"""Digit runs whose spacing is unreliable → cells, chosen jointly under the template's identities.

Scrapers and archivers print a table row as a stream of digits in which the boundaries between
cells are not to be trusted: nothing between two cells, one space or several, NBSP, a full-width
space, a newline — and sometimes a space inside a number or a total set apart ("5800000 58" is
58 | 0 | 0 | 0 | 0 | 0 | 58). The template fixes how many cells each row has and which sums must
hold, so a row is decoded by enumerating the ways to cut its digits into that many numbers,
scoring each by how plainly it reads the printed separators (a separator left uncut costs
``SEPARATOR_MERGE_COST``) and by a prior that keeps the largest number short (counts are small),
and keeping the readings whose row sum holds; a row whose sum holds no other way is read with a
blank cell printed as nothing (up to ``MAX_HIDDEN_BLANKS``, wherever the sum allows). A table's
rows are then chosen together
(``choose_rows``) so that its column identities hold as well, and every cell learns how many
values it could have taken among the readings that are as good as the chosen one: that is its
ambiguity, which the confidence model reads.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gongkai.inference.tables.numbers import BLANK_MARKS, FULLWIDTH_DIGITS, OCR_DIGIT_LETTERS, parse_number
from gongkai.inference.tables.tokens import Token

# Longest number a cell holds (a 表二 fee in 元 can reach 7 digits; counts stay far below).
MAX_NUMBER_DIGITS = 7
# Enumeration budget per row: candidates kept and search steps.
MAX_READINGS = 400
MAX_SEARCH_STEPS = 40000
# A printed separator inside a number is rare (OCR or a stray space); leaving one uncut costs this
# much, against ``SIZE_COST`` per digit of a reading's largest number: counts are small and a cut
# that leaves one huge number is the implausible one ("77132470" is 77|132|470, not 1|13|2470 or
# 7|7|132470). Chosen on the generated scraped family and the corpus's flattened 表二 rows
# (benchmarks/extract.py, set "scraped"); ``SIZE_TIE`` breaks ties between equal lengths.
SEPARATOR_MERGE_COST = 3.0
SIZE_COST = 0.35
SIZE_TIE = 0.01
# Readings whose cost is within this of the chosen one count as equally admissible (ambiguity).
ADMISSIBLE_MARGIN = 1.0
# Joint choice: exhaustive below this many combinations, coordinate descent above.
MAX_JOINT_COMBINATIONS = 4000
MAX_DESCENT_ROUNDS = 6
# Flattened rows with fewer digits than cells left their zeros blank: the columns reports fill most.
SHORT_ROW_PLACEMENTS: tuple[tuple[int, ...], ...] = ((0, -1), (-1,))
# A blank cell printed as nothing leaves no mark in the run: where a row's sum holds no other way,
# up to this many blanks are read in, anywhere, each costing ``HIDDEN_BLANK_COST`` (so the reading
# with fewest wins); the column identities then choose among their places (``choose_rows``).
MAX_HIDDEN_BLANKS = 2
HIDDEN_BLANK_COST = 1.0
# Between equal readings, a hidden blank stands later in its row: the first columns (自然人) are the
# ones reports fill, the last ones (法律服务机构, 其他) the ones they leave empty.
HIDDEN_BLANK_EARLY_COST = 0.01

_PIECE_RE = re.compile(r"[0-9０-９OolI〇.．,，]+|[^\s0-9０-９]+")
_SIGN_CHARS = "-−－+＋减增"
_BLANK_CHARS = frozenset("-—－–─/／\\")

Value = int | float | None
RowCheck = Callable[[list[int]], bool]
PrefixCheck = Callable[[list[int], int], bool]


@dataclass(frozen=True)
class Piece:
    """A separator-free stretch of a row's digits (or one blank mark), with where it was printed."""

    text: str  # digits only, or a decimal / thousands number kept whole
    start: int
    end: int
    blank: bool = False
    whole: bool = False  # a decimal or 1,234: one cell, never cut
    marks: int = 1  # dash characters of a blank piece: "——" is one blank cell or two
    sign: int = 1


@dataclass
class Reading:
    """One way to read a row: its values, the source span of each, and what it cost."""

    values: list[Value]
    spans: list[tuple[int, int] | None]
    cost: float
    merges: int = 0
    row_ok: bool = True
    # Every cut falls on a printed separator and none is left uncut: the reading a reader would see.
    plain: bool = False


@dataclass
class RowDecode:
    """All admissible readings of one row, best first; the chosen one is ``readings[chosen]``."""

    readings: list[Reading]
    complete: bool = True  # the enumeration saw every cut (it stops at a budget)
    short: bool = False  # fewer digits than cells: blanks were placed by the prior
    # ... by SHORT_ROW_PLACEMENTS alone, with no hidden blank's place found by the row's sum.
    placed: bool = False
    chosen: int = 0
    # Per cell: how many distinct values the admissible readings give it (1: certain).
    alternatives: list[int] = field(default_factory=list)

    @property
    def best(self) -> Reading:
        return self.readings[self.chosen]


def pieces_of(tokens: Sequence[Token], signed: bool = False) -> list[Piece]:
    """The row's printed values cut at every separator; blank marks become blank pieces.

    ``signed``: the row prints signed changes (2019 表二 本年增/减: "-1", "减12"), so a sign
    glued to a number is its sign rather than a blank mark before it.
    """
    chunks: list[tuple[str, int]] = []
    for tok in tokens:
        if tok.kind == "empty" and not tok.text.strip():
            chunks.append(("", tok.start))
            continue
        chunks.extend((m.group(), tok.start + m.start()) for m in _PIECE_RE.finditer(tok.text))
    out: list[Piece] = []
    sign = 1
    for n, (chunk, s) in enumerate(chunks):
        nxt = chunks[n + 1] if n + 1 < len(chunks) else None
        glued = nxt is not None and nxt[1] == s + len(chunk) and nxt[0][:1].translate(OCR_DIGIT_LETTERS).isdigit()
        if chunk in _SIGN_CHARS and glued and (signed or chunk in "减增"):
            sign = -1 if chunk in "-−－减" else 1  # read with the number it is glued to
            continue
        if signed and glued and len(chunk) > 1 and chunk[-1] in "-−－" and set(chunk[:-1]) <= _BLANK_CHARS:
            # "—-2": a blank cell, then a change of -2.
            out.append(Piece("", s, s + len(chunk) - 1, blank=True, marks=len(chunk) - 1))
            sign = -1
            continue
        if chunk.isascii() and chunk.isdigit():  # the common case: plain digits need no parsing
            out.append(Piece(chunk, s, s + len(chunk), sign=sign))
            sign = 1
            continue
        if not chunk or chunk in BLANK_MARKS or set(chunk) <= _BLANK_CHARS:
            out.append(Piece("", s, s + len(chunk), blank=True, marks=max(1, len(chunk))))
            sign = 1
            continue
        parsed = parse_number(chunk)
        if parsed is None or parsed.value is None:
            sign = 1
            continue
        digits = chunk.translate(FULLWIDTH_DIGITS)
        if "." in digits or "," in digits:
            out.append(Piece(str(parsed.value), s, s + len(chunk), whole=True, sign=sign))
        else:
            out.append(Piece(digits.translate(OCR_DIGIT_LETTERS), s, s + len(chunk), sign=sign))
        sign = 1
    return out


def _size_cost(values: Sequence[Value]) -> float:
    largest = max((abs(v) for v in values if v is not None), default=0)
    return SIZE_COST * len(str(int(largest))) + SIZE_TIE * math.log10(1 + largest)


def enumerate_readings(
    pieces: Sequence[Piece], width: int, check: RowCheck | None = None, prefix_ok: PrefixCheck | None = None,
    hidden: int = 0,
) -> tuple[list[Reading], bool]:
    """Every way to read ``pieces`` as ``width`` cells, cheapest first, and whether the search was complete.

    A cell is a stretch of digits inside one piece, or the digits of several adjacent pieces read
    as one number (each separator left uncut costs ``SEPARATOR_MERGE_COST``), or a blank piece.
    Numbers other than 0 have no leading zero. ``check`` filters finished rows, ``prefix_ok``
    prunes partial ones (a 表四 group that does not add up); both see blanks as 0. ``hidden``: up to
    this many blank cells printed as nothing may be read in anywhere, between pieces or inside one
    (no separator is then left uncut); ``prefix_ok`` is told the digits left plus the blanks still
    allowed, an upper bound on the cells the rest can fill.
    """
    if hidden == 0 and all(not p.blank and not p.whole for p in pieces) and sum(len(p.text) for p in pieces) == width:
        # One digit a cell (all-zero rows, small counts): the only cut, found without a search.
        values = [p.sign * int(d) if k == 0 else int(d) for p in pieces for k, d in enumerate(p.text)]
        spans = [(p.start + k, p.start + k + 1) for p in pieces for k in range(len(p.text))]
        if check is not None and not check(values):  # type: ignore[arg-type]
            return [], True
        plain = len(pieces) == width
        return [Reading(list(values), spans, _size_cost(values), plain=plain)], True
    digit_pieces = sum(1 for p in pieces if not p.blank)
    digits_after = [0] * (len(pieces) + 1)
    for i in range(len(pieces) - 1, -1, -1):
        p = pieces[i]
        digits_after[i] = digits_after[i + 1] + (p.marks if p.blank else 1 if p.whole else len(p.text))
    out: list[Reading] = []
    values: list[Value] = []
    spans: list[tuple[int, int] | None] = []
    steps = 0
    complete = True

    def walk(i: int, pos: int, merges: int, blanks: int = 0, early: float = 0.0) -> None:
        nonlocal steps, complete
        steps += 1
        if steps > MAX_SEARCH_STEPS or len(out) >= MAX_READINGS:
            complete = False
            return
        left = width - len(values)
        spare = hidden - blanks  # blanks that may still be read in
        if 0 < left and spare:
            # A blank printed as nothing here: before piece i, inside it (digits run together), or at the end.
            values.append(None)
            spans.append(None)
            if prefix_ok is None or prefix_ok([v or 0 for v in values],  # type: ignore[misc]
                                              digits_after[i] - pos + spare - 1):
                walk(i, pos, merges, blanks + 1, early + (left - 1) / width)
            values.pop()
            spans.pop()
        if i == len(pieces):
            if left == 0:
                ints = [v or 0 for v in values]  # type: ignore[misc]
                if check is None or check(ints):  # type: ignore[arg-type]
                    cost = (merges * SEPARATOR_MERGE_COST + _size_cost(values) + blanks * HIDDEN_BLANK_COST
                            + early * HIDDEN_BLANK_EARLY_COST)
                    plain = merges == 0 and blanks == 0 and (
                        sum(1 for v in values if v is not None) == digit_pieces)
                    out.append(Reading(list(values), list(spans), cost, merges, plain=plain))
            return
        remaining = digits_after[i] - pos
        if left <= 0 or remaining + spare < left or remaining > left * MAX_NUMBER_DIGITS:
            return
        piece = pieces[i]
        if piece.blank:
            for count in sorted({1, piece.marks}):
                if count > left:
                    break
                values.extend([None] * count)
                spans.extend([(piece.start, piece.end)] * count)
                if prefix_ok is None or prefix_ok([v or 0 for v in values], remaining - 1 + spare):  # type: ignore[misc]
                    walk(i + 1, 0, merges, blanks, early)
                del values[-count:]
                del spans[-count:]
            return
        if piece.whole:
            values.append(piece.sign * float(piece.text) if "." in piece.text else piece.sign * int(piece.text))
            spans.append((piece.start, piece.end))
            if prefix_ok is None or prefix_ok([v or 0 for v in values], remaining - 1 + spare):  # type: ignore[misc]
                walk(i + 1, 0, merges, blanks, early)
            values.pop()
            spans.pop()
            return
        # Grow one number from (i, pos), possibly across separators into later pieces.
        digits = ""
        j, k, crossed = i, pos, 0
        start = piece.start + pos
        while j < len(pieces) and not pieces[j].blank and not pieces[j].whole:
            text = pieces[j].text
            while k < len(text):
                digits += text[k]
                k += 1
                if len(digits) > MAX_NUMBER_DIGITS or (len(digits) > 1 and digits[0] == "0"):
                    return
                values.append((pieces[i].sign if pos == 0 else 1) * int(digits))  # a sign leads its piece only
                spans.append((start, pieces[j].start + k))
                next_i, next_pos = (j + 1, 0) if k == len(text) else (j, k)
                if prefix_ok is None or prefix_ok([v or 0 for v in values],  # type: ignore[misc]
                                                  digits_after[next_i] - next_pos + spare):
                    walk(next_i, next_pos, merges + crossed, blanks, early)
                values.pop()
                spans.pop()
            if hidden:
                return  # blanks read in, separators kept: no number crosses one
            j, k = j + 1, 0
            crossed += 1

    walk(0, 0, 0)
    out.sort(key=lambda r: r.cost)
    return out, complete


def decode_row(
    pieces: Sequence[Piece], width: int, check: RowCheck | None = None, prefix_ok: PrefixCheck | None = None,
    hidden_blanks: int = 0,
) -> RowDecode | None:
    """The admissible readings of one row: those whose sum holds, then those whose sum holds once
    up to ``hidden_blanks`` blanks printed as nothing are read in (flagged ``short``: their places
    are a choice), else (flagged) any reading at all.

    ``hidden_blanks`` only with a ``check`` that is an identity of the template (a row sum), never a
    preference: the sum is what tells a hidden blank from a number cut in two.
    """
    if not pieces:
        return None
    readings, complete = enumerate_readings(pieces, width, check, prefix_ok)
    if readings:
        return RowDecode(readings, complete)
    if check is not None and hidden_blanks:
        readings, complete = enumerate_readings(pieces, width, check, prefix_ok, hidden=hidden_blanks)
        if readings:
            return RowDecode(readings, complete, short=True)
    if check is not None:
        readings, complete = enumerate_readings(pieces, width, None, None)
        for r in readings:
            r.row_ok = False
        if readings:
            return RowDecode(readings, complete)
    short = _short_readings(pieces, width, check)
    return RowDecode(short, True, short=True, placed=True) if short else None


def _short_readings(pieces: Sequence[Piece], width: int, check: RowCheck | None) -> list[Reading]:
    """Fewer digits than cells: the zeros were left blank; try the columns reports fill most."""
    digit_pieces = [p for p in pieces if not p.blank]
    if not digit_pieces:
        return []
    for placement in SHORT_ROW_PLACEMENTS:
        found = enumerate_readings(digit_pieces, len(placement))[0]
        out: list[Reading] = []
        for r in found:
            values: list[Value] = [None] * width
            spans: list[tuple[int, int] | None] = [None] * width
            for column, value, span in zip(placement, r.values, r.spans):
                values[column] = value
                spans[column] = span
            r2 = Reading(values, spans, r.cost, r.merges)
            r2.row_ok = check is None or check([v or 0 for v in values])  # type: ignore[misc]
            out.append(r2)
        good = [r for r in out if r.row_ok]
        if good:
            return good
    return []


# ---------------------------------------------------------------- the table, jointly
TableCheck = Callable[[dict[str, list[Value]]], int]
# Exact solving of column identities (``ColumnIdentity``): states kept per row folded in; beyond
# this many the coordinate descent is used.
MAX_IDENTITY_STATES = 20000


@dataclass(frozen=True)
class ColumnIdentity:
    """In every column the rows' values times their coefficients add up to 0 (blanks as 0).

    Checked in the columns where ``anchor``'s cell is not blank, when every row of ``requires``
    is in the table (a missing part row counts as nothing). Declared as data so that the count of
    broken identities (``identities_broken``) and the exact joint choice (``choose_rows``) read
    the same rules.
    """

    terms: tuple[tuple[str, int], ...]
    anchor: str
    requires: tuple[str, ...]


def identities_broken(identities: Sequence[ColumnIdentity], table: dict[str, list[Value]], width: int) -> int:
    """How many (identity, column) checks ``table`` breaks (called for every combination: kept lean)."""
    count = 0
    for identity in identities:
        if any(not table.get(r) for r in identity.requires):
            continue
        anchor = table[identity.anchor]
        rows = [(values, coef) for key, coef in identity.terms if (values := table.get(key))]
        for c in range(width):
            if anchor[c] is not None and sum(coef * (values[c] or 0) for values, coef in rows) != 0:
                count += 1
    return count


def choose_rows(decoded: dict[str, RowDecode], fixed: dict[str, list[Value]], broken: TableCheck | None,
                identities: tuple[Sequence[ColumnIdentity], int] | None = None) -> int:
    """Pick one reading per decoded row so that the table's identities break least, then cheapest.

    ``broken`` counts the identities a whole table breaks (rows in ``fixed`` were printed
    unambiguously); ``identities`` (with the row width), when ``broken`` counts exactly those, lets
    a table with too many combinations to try them all be solved exactly (``_solve_identities``): a
    coordinate descent changes one row at a time and stalls where two rows misread one column. Rows
    decoded together are keyed ``"a|b"``. Sets each row's ``chosen`` and ``alternatives``; returns
    the broken count.
    """
    keys = [k for k, d in decoded.items() if d.readings]
    if broken is None or not keys or all(len(decoded[k].readings) == 1 for k in keys):
        # Nothing to choose: each row reads one way (the usual case), so no identity is evaluated.
        for d in decoded.values():
            _set_alternatives(d, [r for r in d.readings if r.cost <= d.readings[0].cost + ADMISSIBLE_MARGIN])
        return 0

    seen: dict[tuple[int, ...], tuple[int, float]] = {}

    def score(choice: dict[str, int]) -> tuple[int, float]:
        # Memoised: the admissibility pass below revisits combinations the search already scored.
        combo = tuple(choice[k] for k in keys)
        if combo not in seen:
            table = dict(fixed)
            table.update({k: decoded[k].readings[i].values for k, i in choice.items()})
            seen[combo] = broken(table), sum(decoded[k].readings[i].cost for k, i in choice.items())
        return seen[combo]

    sizes = [len(decoded[k].readings) for k in keys]
    if math.prod(sizes) <= MAX_JOINT_COMBINATIONS:
        best = min((dict(zip(keys, combo)) for combo in itertools.product(*(range(s) for s in sizes))), key=score)
    elif identities is not None and (solved := _solve_identities(keys, decoded, fixed, *identities)) is not None:
        best = solved
    else:
        best = {k: 0 for k in keys}
        current = score(best)
        for _ in range(MAX_DESCENT_ROUNDS):
            changed = False
            for k in keys:
                for i in range(len(decoded[k].readings)):
                    trial = {**best, k: i}
                    s = score(trial)
                    if s < current:
                        best, current, changed = trial, s, True
            if not changed:
                break
    final = score(best)
    for k in keys:
        d = decoded[k]
        d.chosen = best[k]
        if len(d.readings) == 1:
            _set_alternatives(d, d.readings)
            continue
        admissible = []
        for i, r in enumerate(d.readings):
            s = score({**best, k: i})
            if s[0] == final[0] and r.row_ok == d.best.row_ok and r.cost <= d.best.cost + ADMISSIBLE_MARGIN:
                admissible.append(r)
        _set_alternatives(d, admissible or [d.best])
    return final[0]


def _solve_identities(keys: list[str], decoded: dict[str, RowDecode], fixed: dict[str, list[Value]],
                      identities: Sequence[ColumnIdentity], width: int) -> dict[str, int] | None:
    """The choice breaking fewest identities, then cheapest, by dynamic programming over the rows.

    Every identity is linear in the rows, so a partial choice is summed up by each identity's
    running value per column (and which columns' anchor cells are blank): rows are folded in one
    at a time, keeping the cheapest way to each such state. Exact; None when the states outgrow
    ``MAX_IDENTITY_STATES``.
    """
    present = set(fixed) | {row for key in keys for row in key.split("|")}
    active = [i for i in identities if all(r in present for r in i.requires)]
    anchors = sorted({i.anchor for i in active})
    coefs = [dict(i.terms) for i in active]
    n_forms = len(active) * width

    def add(state: tuple[float, ...], key: str, values: Sequence[Value]) -> tuple[float, ...]:
        out = list(state)
        for n, row in enumerate(key.split("|")):
            cells = values[n * width:(n + 1) * width]
            for j, coef in enumerate(coefs):
                if row in coef:
                    for c in range(width):
                        out[j * width + c] += coef[row] * (cells[c] or 0)
            if row in anchors:
                at = n_forms + anchors.index(row) * width
                for c in range(width):
                    out[at + c] = float(cells[c] is None)
        return tuple(out)

    start: tuple[float, ...] = (0.0,) * (n_forms + len(anchors) * width)
    for key, values in fixed.items():
        start = add(start, key, values)
    states: dict[tuple[float, ...], tuple[float, tuple[object, int] | None]] = {start: (0.0, None)}
    for key in keys:
        grown: dict[tuple[float, ...], tuple[float, tuple[object, int] | None]] = {}
        for state, (cost, back) in states.items():
            for i, reading in enumerate(decoded[key].readings):
                nxt = add(state, key, reading.values)
                total = cost + reading.cost
                if nxt not in grown or total < grown[nxt][0]:
                    grown[nxt] = (total, (back, i))
        states = grown
        if len(states) > MAX_IDENTITY_STATES:
            return None

    def breaks(state: tuple[float, ...]) -> int:
        count = 0
        for j, identity in enumerate(active):
            at = n_forms + anchors.index(identity.anchor) * width
            count += sum(1 for c in range(width) if not state[at + c] and state[j * width + c] != 0)
        return count

    best = min(states, key=lambda st: (breaks(st), states[st][0]))
    back = states[best][1]
    chosen: list[int] = []
    while back is not None:
        back, i = back  # type: ignore[misc]
        chosen.append(i)
    return dict(zip(keys, reversed(chosen)))


def _set_alternatives(d: RowDecode, admissible: Sequence[Reading]) -> None:
    width = len(d.best.values)
    d.alternatives = [len({r.values[c] for r in admissible}) for c in range(width)]
    if not d.complete:
        d.alternatives = [max(a, 2) for a in d.alternatives]
