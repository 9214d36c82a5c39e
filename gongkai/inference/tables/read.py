"""Locating 表二, 表三 and 表四 in the text and reading them into the report's cells.

Each cell records ``Evidence`` — how its label was matched, how its value was placed, what
repairs its number needed, whether its row's arithmetic holds — from which
``gongkai.inference.tables.confidence`` derives a calibrated confidence.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from gongkai.inference.tables import template as T
from gongkai.inference.tables.align import (
    RowObservation,
    SlotValue,
    align_rows,
    assign_by_columns,
    assign_slots,
    group_rows,
    token_value,
    value_columns,
)
from gongkai.inference.tables.decode import (
    MAX_HIDDEN_BLANKS,
    ColumnIdentity,
    Piece,
    RowCheck,
    RowDecode,
    Value,
    choose_rows,
    decode_row,
    identities_broken,
    pieces_of,
)
from gongkai.inference.tables.numbers import digits_of, normalize_label
from gongkai.inference.tables.rowlabels import LabelMatch, LabelMatcher
from gongkai.inference.tables.tokens import GapStats, Token, TokenStream, tokenize
from gongkai.report import Cell, Report

# How far before a table's first row its heading may stand (characters).
HEADING_LOOKBACK = 600
# A table starts at its heading's line, unless that line runs this far back (flattened text).
LINE_START_MAX_BACK = 80
# 表四 values: how many value cells the data row holds.
APPEAL_WIDTH = len(T.APPEAL_GROUPS) * len(T.APPEAL_COLUMNS)
REQUEST_WIDTH = len(T.REQUEST_COLUMNS)
# A run short of cells is read as printed (padded) only when at most 1 in this many cells is missing.
PADDED_MISSING_SHARE = 5
# Labels after their values must explain this many more rows than labels before them to be believed.
LABELS_AFTER_MARGIN = 2
# A run read as several rows means their labels were lost: this much cost per extra row.
LOST_LABEL_COST = 2.0

_T3_ANCHOR_RE = re.compile(r"本\s*年\s*新\s*[收牧]")
_T4_ANCHOR_RE = re.compile(r"结\s*果(?:\s|<br\s*/?>)*维\s*持")
_T2_ANCHOR_RE = re.compile(r"第二十条第\s*[（(]\s*一\s*[）)]\s*项|主动\s*公开\s*政府\s*信息\s*情况")
# 表二 rows the 2019 template has and the 2021 one does not.
ROWS_ONLY_2019 = ("其他对外管理服务事项", "政府集中采购")
# Every marker of 表二 lost (no heading, caption, clause or header): its first row, 规章, starts it.
_T2_FIRST_ROW_RE = re.compile(r"(?m)^[ \t\u3000|]*规\s*章[ \t\u3000]*\|?[ \t\u3000]*[0-9０-９]")
_AFTER_TABLES_RE = re.compile(
    r"(?:^|\n|\s)(?:#+\s*)?(?:五|5)\s*[、.．]?\s*(?:政府信息公开工作)?存在的主要问题|存在的主要问题及改进"
)
# (行.: one character of 行政 may be OCR-damaged, "行攻复议": the rest of the heading still says which.)
_T4_HEADING_RE = re.compile(r"行.复议[、和及]\s*(?:提起)?行.诉讼情况|行.复议、行.诉讼")
# 表二's first clause heading followed by its first rows (规章 / 规范性文件).
_T2_FIRST_CLAUSE_RE = re.compile(r"第二十条第\s*[（(]\s*一\s*[）)]\s*项(?=[^。]{0,200}?(?:规章|规范性文件))", re.S)
# The last row label of 表二 (2021 / 2019) and the last column header of 表四, after which only values follow.
_T2_LAST_ROW_RE = re.compile(r"行政事业性收费|政府集中采购")
_T4_LAST_HEADER_RE = re.compile(r"总\s*计")
# 表四's header (three groups of five columns) fits in this many characters after its anchor.
T4_HEADER_CHARS = 400
_VALUES_AFTER_RE = re.compile(r"[\s0-9０-９.．,，\-—－/／|%]*")
_CJK_START_RE = re.compile(r"[\u4e00-\u9fff（(【“]")
# 表三's heading or, if OCR garbled it, the first words of its header.
_T3_HEADING_RE = re.compile(r"收\s*到\s*和\s*处\s*理|申\s*请\s*[人入]\s*情\s*况|勾\s*稽\s*关\s*系")

REQUEST_MATCHER = LabelMatcher(
    [row.spellings for row in T.REQUEST_ROWS],
    groups={g: [i for i, r in enumerate(T.REQUEST_ROWS) if r.group == g] for g in T.REQUEST_GROUP_LABELS[1:]},
)
PROACTIVE_MATCHER = LabelMatcher([row.spellings for row in T.PROACTIVE_ROWS_2021])
PROACTIVE_2019_MATCHER = LabelMatcher([(label,) for label, _ in T.PROACTIVE_ROWS_2019])


@dataclass(slots=True)
class Evidence:
    """How one cell was found; the confidence model reads these fields."""

    label_how: str = "none"  # exact | suffix | fuzzy | order | none
    label_score: float = 0.0
    slot_method: str = "none"
    repairs: tuple[str, ...] = ()
    row_ok: int = -1  # 1 the row's sum holds, 0 it does not, -1 no such check
    col_ok: int = -1  # 1 the column identities hold, 0 they do not, -1 unknown
    structured: bool = False
    ocr: bool = False
    inferred_empty: bool = False
    alternatives: int = 1
    # The decoder read a printed separator as inside a number ("1 234"): rare, so doubtful.
    sep_merged: bool = False
    # The cell's row has a blank cell, and whether its sum holds with blanks read as 0 (-1: no sum).
    row_blank: bool = False
    row_ok_blank_zero: int = -1
    # Some row of the document printed fewer digits than cells: blanks print as nothing there,
    # so any run may hide one.
    hidden_blanks: bool = False
    zero_or_blank: bool = False
    blank: bool = False  # the cell was read as blank (null)
    # Decoded from a run of several cells that no sum checks (表二): only the digit count supports it.
    unchecked_run: bool = False
    # Some template row of the cell's table was not read at all: rows may have shifted.
    table_incomplete: bool = False
    # Decoded from a run read exactly at its printed separators (no number cut, none joined).
    run_plain: bool = False
    # 表三: the cell's row adds up and every column identity through the row holds (a misread
    # would have to be matched by another in every column it moved a number out of or into).
    row_cols_ok: bool = False
    # The text layouts the document's tables were read in (tsv, pipe, spaced, …; set with the
    # confidence): whether a blank's place was printed depends on them.
    layouts: tuple[str, ...] = ()


@dataclass
class TableRead:
    """Everything the table stage found, beside the cells it wrote into the report."""

    evidence: dict[str, Evidence] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    layouts: set[str] = field(default_factory=set)
    found: dict[str, bool] = field(default_factory=dict)
    format_version: str = "unknown"
    # 表三 prints the single （六）其他处理 row of 2019 (some 2021-template reports do too).
    single_other_row: bool = False
    # 表三's rows were placed by the template's order (labels detached): which template it is was a guess.
    requests_by_order: bool = False


@dataclass
class Regions:
    t2: tuple[int, int] | None
    t3: tuple[int, int] | None
    t4: tuple[int, int] | None


def find_regions(text: str) -> Regions:
    """Character ranges of the three tables; a table not printed gets None."""
    t3_anchor = _first_followed_by_digit(_T3_ANCHOR_RE, text, 0)
    t4_match = _T4_ANCHOR_RE.search(text, t3_anchor if t3_anchor is not None else 0)
    if t4_match is None:
        # Header shredded (结果 / 维持 in separate cells): the table's heading anchors it instead.
        t4_match = _T4_HEADING_RE.search(text, t3_anchor if t3_anchor is not None else 0)
    after = _AFTER_TABLES_RE.search(text, t4_match.end() if t4_match else (t3_anchor or 0))
    end_all = after.start() if after else len(text)

    t3: tuple[int, int] | None = None
    t4: tuple[int, int] | None = None
    if t4_match is not None:
        head = _T4_HEADING_RE.search(text, max(0, t4_match.start() - HEADING_LOOKBACK), t4_match.start())
        t4_start = head.start() if head else t4_match.start()
        t4 = (t4_match.start(), max(end_all, t4_match.end()))
    else:
        t4_start = end_all
    if t3_anchor is not None:
        head3 = _T3_HEADING_RE.search(text, max(0, t3_anchor - HEADING_LOOKBACK), t3_anchor)
        t3_start = _near_line_start(text, head3.start() if head3 else t3_anchor)
        t3 = (t3_start, max(t4_start, t3_anchor))
    t2_end = t3[0] if t3 else t4_start
    t2_match = _T2_ANCHOR_RE.search(text, 0, t2_end) or _T2_FIRST_ROW_RE.search(text, 0, t2_end)
    t2 = (t2_match.start(), t2_end) if t2_match else None
    if t2 is not None:
        # The anchor may be the prose heading 二、主动公开…; the table starts at its last mention.
        # (An OCR'd "（六）" read as "（一）" is a later mention too: only one before 规章 counts.)
        later = _last_match(_T2_FIRST_CLAUSE_RE, text, t2[0], t2_end)
        if later is not None:
            t2 = (later, t2_end)
        t2 = (t2[0], _end_after_last_row(text, t2, _T2_LAST_ROW_RE))
    if t4 is not None:
        t4 = (t4[0], _end_after_last_row(text, t4, _T4_LAST_HEADER_RE, T4_HEADER_CHARS))
    return Regions(t2, t3, t4)


def _end_after_last_row(text: str, region: tuple[int, int], last_label: re.Pattern[str],
                        within: int | None = None) -> int:
    """Where the values after the table's last label end, when prose follows them directly.

    Archive text runs a table straight into the next section ("…0 0 00五、存在的主要问题…" or
    a clause heading without 五、): the region must stop at the last value so that the prose
    after it is read as prose. A region that ends at a line break or a heading keeps its end.
    """
    start, end = region
    stop = min(end, start + within) if within else end
    last = None
    for found in last_label.finditer(text, start, stop):
        last = found
    if last is None:
        return end
    values = _VALUES_AFTER_RE.match(text, last.end(), end)
    if values is None or not re.search(r"[0-9０-９]", values.group()):
        return end
    after = values.end()
    follow = text[after:end].lstrip(" \t\xa0\u3000")
    if follow[:1] and _CJK_START_RE.match(follow) and "\n" not in text[values.start():after]:
        return after
    return end


def _first_followed_by_digit(pattern: re.Pattern[str], text: str, start: int) -> int | None:
    for m in pattern.finditer(text, start):
        if re.search(r"[0-9０-９]", text[m.end(): m.end() + 400]):
            return m.start()
    return None


def _last_match(pattern: re.Pattern[str], text: str, start: int, end: int) -> int | None:
    last = None
    for m in pattern.finditer(text, start, end):
        last = m.start()
    return last


def _near_line_start(text: str, pos: int) -> int:
    """The start of ``pos``'s line, unless the line is a whole flattened document."""
    start = text.rfind("\n", 0, pos) + 1
    return start if pos - start <= LINE_START_MAX_BACK else pos


# ---------------------------------------------------------------- cells
@lru_cache(maxsize=1024)
def _cell_getter(path: str) -> operator.attrgetter[Cell]:
    """The report's cell at a dotted path ("requests.total.research"): one C-level lookup per cell."""
    return operator.attrgetter(path)


def _set(report: Report, read: TableRead, path: str, slot: SlotValue, how: LabelMatch | None,
         label_how: str | None = None, sep_merged: bool = False) -> None:
    cell = _cell_getter(path)(report)
    tok = slot.token
    cell.value = slot.value
    if tok is not None:
        cell.span = (tok.start, tok.end)
        cell.raw = tok.text
    repairs = tok.number.repairs if tok is not None and tok.number is not None else ()
    read.evidence[path] = Evidence(
        label_how=label_how or (how.how if how else "order"),
        label_score=how.score if how else 0.0,
        slot_method=slot.method,
        repairs=repairs,
        inferred_empty=bool(tok is not None and tok.inferred),
        alternatives=slot.alternatives,
        sep_merged=sep_merged,
        zero_or_blank=not slot.value,
        blank=slot.value is None,
        run_plain=slot.plain,
    )


def _request_row_ok(values: list[int]) -> bool:
    return sum(values[:6]) == values[6]


def _request_prefix_ok(values: list[int], digits_left: int) -> bool:
    """Applicants so far must stay below any 总计 that the digits still unread can print."""
    applicants = len(T.REQUEST_COLUMNS) - 1
    if len(values) > applicants:
        return True
    total_digits = digits_left - (applicants - len(values))
    return total_digits > 0 and sum(values) < 10 ** total_digits


def _appeal_group_ok(values: Sequence[int | float | None]) -> bool:
    return all(v is not None for v in values) and sum(values[:4]) == values[4]  # type: ignore[arg-type]


def header_columns(tokens: Sequence[Token], labels: dict[str, str], keys: Sequence[str]) -> list[int] | None:
    """Cell index of each column header (自然人 … 总计), when every one is printed left to right."""
    wanted = {normalize_label(label): key for key, label in labels.items()}
    found: dict[str, int] = {}
    for tok in tokens:
        if tok.kind != "label":
            continue
        key = wanted.get(normalize_label(tok.text))
        if key is not None and key not in found:
            found[key] = tok.col
        if len(found) == len(keys):
            break
    cols = [found.get(k, -1) for k in keys]
    if -1 in cols or any(a >= b for a, b in zip(cols, cols[1:])):
        return None
    return cols


def decoded_slots(d: RowDecode, text: str) -> list[SlotValue]:
    """The chosen reading of a decoded row as slots, each with the span of the digits it read."""
    r = d.best
    alternatives = d.alternatives or [1] * len(r.values)
    plain = r.plain and not d.short
    out: list[SlotValue] = []
    for value, span, alt in zip(r.values, r.spans, alternatives):
        method = "run_short" if d.short else ("run_unique" if alt == 1 else "run_ambiguous")
        if span is None:
            out.append(SlotValue(None, value, method, alt, plain))
            continue
        raw = text[span[0]:span[1]]
        tok = Token("number" if value is not None else "empty", raw, span[0], span[1])
        out.append(SlotValue(tok, value, method, alt, plain))
    return out


def read_requests(text: str, stream: TokenStream, report: Report, read: TableRead, grid: bool = False) -> None:
    read.layouts.update(stream.layouts)
    rows = group_rows(stream.tokens, REQUEST_WIDTH)
    aligned = align_rows(rows, REQUEST_MATCHER, len(T.REQUEST_ROWS), REQUEST_WIDTH)
    labelled = sum(1 for _, m in aligned.values() if m is not None)
    if not grid and labelled < len(aligned):
        # Some value rows have no label before them: shredded text may print labels after values.
        after = group_rows(stream.tokens, REQUEST_WIDTH, labels_after=True)
        aligned_after = align_rows(after, REQUEST_MATCHER, len(T.REQUEST_ROWS), REQUEST_WIDTH)
        labelled_after = sum(1 for _, m in aligned_after.values() if m is not None)
        if labelled_after > labelled + LABELS_AFTER_MARGIN:
            rows, aligned, labelled = after, aligned_after, labelled_after
    if labelled < len(T.REQUEST_ROWS) // 3 and _fill_requests_in_order(stream, report, read):
        return
    if not grid and _read_full_rows_in_order(rows, aligned, report, read):
        return
    if not aligned:
        read.warnings.append("表三: no row of the table could be read")
        return
    read.found["requests"] = True
    slots_by_row: dict[str, list[SlotValue]] = {}
    decoded: dict[str, RowDecode] = {}
    matches: dict[str, LabelMatch | None] = {}
    columns = header_columns(stream.tokens, T.REQUEST_COLUMN_LABELS, T.REQUEST_COLUMNS)
    printed_columns = columns or value_columns(rows, REQUEST_WIDTH)
    indices = sorted(aligned)
    for n, index in enumerate(indices):
        row, match = aligned[index]
        key = T.REQUEST_ROWS[index].key
        matches[key] = match
        # Markup grids place every value under its header; text tables only when blank cells
        # leave the count short (ragged text tables shift whole rows, so counts come first there).
        by_column = (
            assign_by_columns(row, columns)
            if columns and (grid or (row.numbers < REQUEST_WIDTH and not row.runs))
            else None
        )
        if by_column is not None:
            slots_by_row[key] = by_column
            continue
        if _needs_decoding(row, REQUEST_WIDTH, grid, MAX_HIDDEN_BLANKS):
            # A row that lost its label may be any of the rows between its labelled neighbours.
            first = index if match is not None else (indices[n - 1] + 1 if n else 0)
            span = _lost_label_span(first, indices[n + 1] if n + 1 < len(indices) else len(T.REQUEST_ROWS))
            found = _decode_request_rows(pieces_of(row.values), span)
            if found is not None:
                keys, d = found
                decoded["|".join(keys)] = d
                for k in keys:
                    if k != key:
                        matches[k] = None
                continue
        slots_by_row[key] = _printed_slots(row, REQUEST_WIDTH, text, printed_columns)
    fixed = {k: [s.value for s in v] for k, v in slots_by_row.items()}
    choose_rows(decoded, fixed, _requests_broken, (REQUEST_IDENTITIES, REQUEST_WIDTH))
    for joined, d in decoded.items():
        slots = decoded_slots(d, text)
        for i, key in enumerate(joined.split("|")):
            slots_by_row[key] = slots[i * REQUEST_WIDTH:(i + 1) * REQUEST_WIDTH]
    merged_rows = {k for joined, d in decoded.items() if d.best.merges > 0 for k in joined.split("|")}
    if ("other_processing" in slots_by_row and "other_overdue_correction" not in slots_by_row
            and any(k in slots_by_row for k in ("other_overdue_fee", "other_other"))):
        # "（六）其他处理 0 0 …" before its 2. and 3. sub-rows: the 2021 first sub-row, label lost.
        slots_by_row["other_overdue_correction"] = slots_by_row.pop("other_processing")
        matches["other_overdue_correction"] = None
    for key, slots in slots_by_row.items():
        for column, slot in zip(T.REQUEST_COLUMNS, slots):
            _set(report, read, f"requests.{key}.{column}", slot, matches.get(key),
                 label_how=None if matches.get(key) else "order", sep_merged=key in merged_rows)
    uses_single_row = "other_processing" in slots_by_row
    uses_2021_rows = any(k in slots_by_row for k in ("other_overdue_correction", "other_overdue_fee"))
    read.single_other_row = uses_single_row and not uses_2021_rows


def _read_full_rows_in_order(rows: list[RowObservation], aligned: dict[int, tuple[RowObservation, LabelMatch | None]],
                             report: Report, read: TableRead) -> bool:
    """Shredded tables: labels detached from their values, but every row printed whole and in order.

    When the rows that print exactly one value per column are as many as a template has rows,
    and the labels placed fewer of them, the template's order places them all.
    """
    cells_of = {id(row): cells for row in rows if (cells := _full_row_cells(row)) is not None}
    full = [row for row in rows if id(row) in cells_of]
    for version in ("2021", "2019"):
        if read.format_version not in ("unknown", version):
            continue  # 表二's header named the other template
        keys = [r.key for r in T.REQUEST_ROWS if version in r.versions]
        placed = sum(1 for index, (row, _) in aligned.items() if row in full)
        if len(full) != len(keys) or placed == len(keys):
            continue
        if any(_inline_label(row) not in (None, key) for key, row in zip(keys, full)):
            continue  # a label printed on a row's own line disagrees with the order
        by_row = {id(row): m for row, m in aligned.values()}
        for key, row in zip(keys, full):
            match = by_row.get(id(row))
            agrees = match is not None and T.REQUEST_ROWS[match.index].key == key
            for column, tok in zip(T.REQUEST_COLUMNS, cells_of[id(row)]):
                _set(report, read, f"requests.{key}.{column}", SlotValue(tok, token_value(tok), "count"),
                     match if agrees else None, None if agrees else "order")
        read.found["requests"] = True
        read.single_other_row = version == "2019"
        read.requests_by_order = True
        read.warnings.append("表三: rows detached from their labels; read in template order")
        return True
    return False


def _full_row_cells(row: RowObservation) -> list[Token] | None:
    """The cells of a row that prints every 表三 column: seven numbers (an extra empty cell after them
    is the converter's), or seven cells of which some are empty (blanks printed as empty cells)."""
    if not row.values or not all(t.kind in ("number", "empty") for t in row.values):
        return None
    numbers = [t for t in row.values if t.kind == "number"]
    if len(numbers) == REQUEST_WIDTH:
        return numbers
    cells = list(row.values)
    if len(cells) == REQUEST_WIDTH + 1 and cells[-1].kind == "empty" and not cells[-1].text:
        cells.pop()  # the converter's empty cell after the row
    if len(cells) == REQUEST_WIDTH and numbers and not any(t.inferred for t in cells):
        return cells
    return None


def _inline_label(row: RowObservation) -> str | None:
    """The template row named by a label printed on the same line as the row's values, if any."""
    line = row.values[0].line
    inline = [t.text for t in row.labels if t.line == line]
    match = REQUEST_MATCHER.match_parts(inline) if inline else None
    return T.REQUEST_ROWS[match.index].key if match is not None and match.how in ("exact", "suffix") else None


def _fill_requests_in_order(stream: TokenStream, report: Report, read: TableRead) -> bool:
    """Structure lost: if the region holds exactly one template's worth of numbers, read them in order."""
    numbers = [t for t in stream.tokens if t.kind == "number"]
    for version in ("2021", "2019"):
        keys = [r.key for r in T.REQUEST_ROWS if version in r.versions]
        if len(numbers) == len(keys) * REQUEST_WIDTH:
            for i, key in enumerate(keys):
                for j, column in enumerate(T.REQUEST_COLUMNS):
                    tok = numbers[i * REQUEST_WIDTH + j]
                    _set(report, read, f"requests.{key}.{column}",
                         SlotValue(tok, tok.number.value if tok.number else None, "order"), None, "order")
            read.found["requests"] = True
            read.single_other_row = version == "2019"
            read.warnings.append("表三: row labels could not be matched; numbers read in template order")
            return True
    return False


def _printed_slots(row: RowObservation, width: int, text: str,
                   columns: Sequence[int] | None = None) -> list[SlotValue]:
    """By count or position (``columns``: see ``assign_slots``); a run no cut could read (fewer
    digits than cells: a scan's missed "0") gives its printed numbers in order, padded, which the
    confidence caps hold low."""
    if not row.runs:
        return assign_slots(row, width, columns)
    pieces = [p for p in pieces_of(row.values) if not p.blank]
    if len(pieces) > width or len(pieces) < width - max(1, width // PADDED_MISSING_SHARE):
        return assign_slots(row, width, columns)  # not a row that lost a cell or two: nothing to place
    out = [SlotValue(Token("number", text[p.start:p.end], p.start, p.end),
                     p.sign * (float(p.text) if "." in p.text else int(p.text)), "padded") for p in pieces]
    return out + [SlotValue(None, None, "padded") for _ in range(width - len(out))]


def _needs_decoding(row: RowObservation, width: int, grid: bool = False, hidden: int = 0) -> bool:
    """Digits ran together (a run), or fewer numbers than cells with no blank printed and enough
    digits for every cell: the printed separators are not the cells' boundaries ("5800000  58").

    ``hidden``: blanks printed as nothing the row's decoding may read in (a checked row), so that
    many digits fewer than cells will do ("3 0 0 0 0 3" under seven cells).
    """
    if row.runs or grid:
        return bool(row.runs)
    numbers = [t for t in row.values if t.kind == "number"]
    return (0 < len(numbers) < width and len(numbers) == len(row.values)
            and sum(len(digits_of(t.text)) for t in numbers) + hidden >= width
            and all(t.number is not None and isinstance(t.number.value, int) for t in numbers))


def _lost_label_span(index: int, next_index: int) -> list[str]:
    """Template rows a printed row may hold: its own and those up to the next printed label."""
    keys = [T.REQUEST_ROWS[k].key for k in range(index, next_index)]
    return [keys[0], *(k for k in keys[1:] if k != "other_processing")]


def _decode_request_rows(pieces: list[Piece], span: Sequence[str]) -> tuple[list[str], RowDecode] | None:
    """Read a run as its own row, or as it and the rows after it whose labels were lost.

    Each extra row costs ``LOST_LABEL_COST``; all rows' sums must hold for more than one row.
    """
    best: tuple[list[str], RowDecode] | None = None
    best_cost = 0.0
    digits = sum(p.marks if p.blank else 1 if p.whole else len(p.text) for p in pieces)  # cells at most
    for k in range(1, len(span) + 1):
        if k > 1 and digits + k * MAX_HIDDEN_BLANKS < k * REQUEST_WIDTH:
            break
        width = k * REQUEST_WIDTH
        d = decode_row(pieces, width, _rows_ok, _rows_prefix_ok, hidden_blanks=k * MAX_HIDDEN_BLANKS) if k > 1 \
            else decode_row(pieces, width, _request_row_ok, _request_prefix_ok, hidden_blanks=MAX_HIDDEN_BLANKS)
        if d is None or (k > 1 and (d.placed or not d.best.row_ok)):
            continue
        cost = d.best.cost + LOST_LABEL_COST * (k - 1) + (0.0 if d.best.row_ok else LOST_LABEL_COST * len(span))
        if best is None or cost < best_cost:
            best, best_cost = (list(span[:k]), d), cost
    return best


def _rows_ok(values: list[int]) -> bool:
    return all(_request_row_ok(values[i:i + REQUEST_WIDTH]) for i in range(0, len(values), REQUEST_WIDTH))


def _rows_prefix_ok(values: list[int], digits_left: int) -> bool:
    done = len(values) - len(values) % REQUEST_WIDTH
    return _rows_ok(values[:done]) if done and len(values) % REQUEST_WIDTH == 0 else True


def _requests_broken(table: dict[str, list[Value]]) -> int:
    return identities_broken(REQUEST_IDENTITIES, _split_joined(table), REQUEST_WIDTH)


def _split_joined(table: dict[str, list[Value]]) -> dict[str, list[Value]]:
    """Rows decoded together ("a|b") as one entry per template row, for the identities."""
    out: dict[str, list[Value]] = {}
    for joined, values in table.items():
        if "|" not in joined:
            out[joined] = values
            continue
        for i, key in enumerate(joined.split("|")):
            out[key] = values[i * REQUEST_WIDTH:(i + 1) * REQUEST_WIDTH]
    return out


_OUTCOME_KEYS = tuple(r.key for r in T.REQUEST_ROWS
                      if r.key not in ("new_received", "carried_over", "total", "carried_forward"))


# 表三's column identities: the outcome rows add up to （七）总计, and 一 + 二 = （七） + 四.
REQUEST_IDENTITIES: tuple[ColumnIdentity, ...] = (
    ColumnIdentity((*((k, 1) for k in _OUTCOME_KEYS), ("total", -1)), "total", ("total",)),
    ColumnIdentity((("new_received", 1), ("carried_over", 1), ("total", -1), ("carried_forward", -1)), "total",
                   ("new_received", "carried_over", "carried_forward", "total")),
)


def read_appeals(text: str, region: tuple[int, int], report: Report, read: TableRead, grid: bool = False,
                 gaps: GapStats | None = None) -> None:
    stream = tokenize(text, *region, gaps)
    read.layouts.update(stream.layouts)
    tokens = stream.tokens
    first_number = next((i for i, t in enumerate(tokens) if t.kind in ("number", "run")), None)
    if first_number is None:
        read.warnings.append("表四: the table has no numbers")
        return
    last_label = max((i for i in range(first_number) if tokens[i].kind == "label"), default=-1)
    data: list[Token] = []
    for tok in tokens[last_label + 1:]:
        if tok.kind == "label":
            if _is_appeal_header(tok.text):
                continue  # group headings of a table split per group (行政复议 / 复议后起诉 …)
            break
        data.append(tok)
    row = RowObservation(values=data)
    merged = False
    if _needs_decoding(row, APPEAL_WIDTH, grid, MAX_HIDDEN_BLANKS) and (
            d := decode_row(pieces_of(data), APPEAL_WIDTH, _appeal_runs_ok, _appeal_groups_so_far_ok,
                            hidden_blanks=MAX_HIDDEN_BLANKS)):
        choose_rows({"appeals": d}, {}, None)
        slots = decoded_slots(d, text)
        merged = d.best.merges > 0
    else:
        slots = _printed_slots(row, APPEAL_WIDTH, text)
        if grid and data and len(data) <= APPEAL_WIDTH and data[0].line == data[-1].line:
            # A markup grid prints the data row cell by cell; missing cells at its end are blank ones.
            for slot in slots:
                slot.method = "grid"
    read.found["appeals"] = True
    for g, group in enumerate(T.APPEAL_GROUPS):
        for c, column in enumerate(T.APPEAL_COLUMNS):
            _set(report, read, f"appeals.{group}.{column}", slots[g * len(T.APPEAL_COLUMNS) + c], None, "order",
                 sep_merged=merged)


def _appeal_groups_so_far_ok(values: list[int], digits_left: int) -> bool:
    """Prune a partial cut of a flattened 表四 as soon as a finished group does not add up."""
    w = len(T.APPEAL_COLUMNS)
    return len(values) % w != 0 or sum(values[-w:-1]) == values[-1]


def _appeal_runs_ok(values: list[int]) -> bool:
    w = len(T.APPEAL_COLUMNS)
    return all(_appeal_group_ok(values[g * w:(g + 1) * w]) for g in range(len(T.APPEAL_GROUPS)))


_APPEAL_HEADER_WORDS = ("行政复议", "行政诉讼", "复议后起诉", "直接起诉", "结果", "维持", "纠正", "审结", "总计")


def _is_appeal_header(text: str) -> bool:
    norm = normalize_label(text)  # OCR-folded, spaces and markup gone
    return len(norm) <= 20 and any(w in norm for w in _APPEAL_HEADER_WORDS)


def read_proactive(text: str, region: tuple[int, int], report: Report, read: TableRead,
                   gaps: GapStats | None = None) -> None:
    stream = tokenize(text, *region, gaps)
    read.layouts.update(stream.layouts)
    # Column headers are compared without spaces and with 本年度 read as 本年 (both are printed).
    segment = re.sub(r"\s+", "", text[region[0]:region[1]]).replace("本年度", "本年")
    headed_2021 = any(m in segment for m in ("本年制发件数", "本年废止件数"))
    # Its column headers tell the 2019 table; with them lost, the rows only it has do.
    is_2019 = not headed_2021 and (any(m in segment for m in T.MARKERS_2019)
                                   or any(m in segment for m in ROWS_ONLY_2019))
    read.format_version = "2019" if is_2019 else ("2021" if any(m in segment for m in T.MARKERS_2021) else "unknown")
    rows = group_rows(stream.tokens)
    if is_2019:
        _read_proactive_2019(text, rows, report, read)
        return
    matched = _best_rows(rows, PROACTIVE_MATCHER, lambda i: len(T.PROACTIVE_ROWS_2021[i].paths))
    for row, match in matched:
        spec = T.PROACTIVE_ROWS_2021[match.index]
        slots = _row_slots(text, row, len(spec.paths), _proactive_plausible if len(spec.paths) == 3 else None)
        for path, slot in zip(spec.paths, slots):
            _set(report, read, f"proactive.{path}", slot, match)
            read.evidence[f"proactive.{path}"].unchecked_run = len(slots) > 1 and slot.method.startswith("run")
    if matched:
        read.found["proactive"] = True


def _best_rows(rows: list[RowObservation], matcher: LabelMatcher, width: Callable[[int], int]
               ) -> list[tuple[RowObservation, LabelMatch]]:
    """Per template row, the printed row that reads as it, in reading order. When several match
    (a 表二 region may start in the prose: "全年主动公开市政府规章22件" before the row "规章 22 235"),
    the one printing as many values as the row has cells wins, then the first."""
    best: dict[int, tuple[int, int, RowObservation, LabelMatch]] = {}
    for n, row in enumerate(rows):
        match = matcher.match_parts(row.label_texts[-1:]) if row.labels else None
        if match is None or not row.values:
            continue
        misfit = abs(width(match.index) - len(row.values))
        if match.index not in best or misfit < best[match.index][0]:
            best[match.index] = (misfit, n, row, match)
    return [(row, match) for _, _, row, match in sorted(best.values(), key=lambda b: b[1])]


def _own_pipe_cells(text: str, row: RowObservation) -> bool:
    """Every value of the row is a number alone in its own Markdown pipe cell."""
    if not row.values or any(t.kind != "number" for t in row.values):
        return False
    first, last = row.values[0], row.values[-1]
    line_start = text.rfind("\n", 0, first.start) + 1
    return ("|" in text[line_start:first.start] and _CELL_END_RE.match(text, last.end) is not None
            and all("|" in text[a.end:b.start] for a, b in zip(row.values, row.values[1:])))


_CELL_END_RE = re.compile(r"[ \t\u3000]*\|")


def _proactive_plausible(values: list[int]) -> bool:
    """Flattened 表二 counts: 现行有效件数 is normally the largest of the three."""
    return values[2] >= max(values[0], values[1])


def _change_within(change: int) -> RowCheck:
    """2019 表二: a year's change (本年增/减) is no larger than last year's count (上一年项目数量): a
    count cannot fall by more than it had, and item lists grow slowly (a preference: a row no
    reading of which satisfies it is read without it)."""
    return lambda values: abs(values[change]) <= values[change - 1]


def _row_slots(text: str, row: RowObservation, width: int, check: RowCheck | None = None,
               signed: bool = False) -> list[SlotValue]:
    """A row's slots: decoded when its digits ran together (or a sign is glued to a number in a
    row of signed changes: "0-4 0" is 0, -4, 0), else by count or position."""
    if len(row.values) < width and _own_pipe_cells(text, row):
        # Markdown cells are certain boundaries: a row printing fewer cells than it has dropped its
        # blanks ("| 规章 | 22 | 235 |" under three columns). No number is cut; where the blanks
        # were is a prior (run_short: a guess the confidence says is one), never "by position".
        whole = [replace(p, whole=True) for p in pieces_of(row.values, signed)]
        if whole and (d := decode_row(whole, width, check)) is not None and d.short:
            choose_rows({"row": d}, {}, None)
            return decoded_slots(d, text)
    glued_sign = signed and any(a.kind == "empty" and a.text != "" and a.text in "-−－" and a.end == b.start
                                and b.kind != "empty"
                                for a, b in zip(row.values, row.values[1:]))
    if (glued_sign or _needs_decoding(row, width)) and (
            d := decode_row(pieces_of(row.values, signed), width, check)):
        choose_rows({"row": d}, {}, None)
        return decoded_slots(d, text)
    return _printed_slots(row, width, text)


def _read_proactive_2019(text: str, rows: list[RowObservation], report: Report, read: TableRead) -> None:
    matched = _best_rows(rows, PROACTIVE_2019_MATCHER, lambda i: len(T.PROACTIVE_ROWS_2019[i][1]))
    for row, match in matched:
        label, columns = T.PROACTIVE_ROWS_2019[match.index]
        change = next((i for i, c in enumerate(columns) if "增" in c), None)
        slots = _row_slots(text, row, len(columns), _change_within(change) if change else None,
                           signed=change is not None)
        report.proactive_2019[label] = {
            column: Cell(slot.value, 0.0, (slot.token.start, slot.token.end) if slot.token else None,
                         None, slot.token.text if slot.token else None)
            for column, slot in zip(columns, slots)
        }
        for column, slot in zip(columns, slots):
            read.evidence[f"proactive_2019.{label}.{column}"] = Evidence(
                label_how=match.how, label_score=match.score, slot_method=slot.method,
                repairs=slot.token.number.repairs if slot.token and slot.token.number else (),
                alternatives=slot.alternatives, unchecked_run=len(slots) > 1 and slot.method.startswith("run"),
                zero_or_blank=not slot.value, blank=slot.value is None, run_plain=slot.plain,
            )
    if matched:
        read.found["proactive"] = True


# ---------------------------------------------------------------- arithmetic evidence
# 表三's cell paths by row and column (mark_arithmetic visits each for every report).
_REQUEST_PATHS: dict[str, dict[str, str]] = {
    r.key: {c: f"requests.{r.key}.{c}" for c in T.REQUEST_COLUMNS} for r in T.REQUEST_ROWS
}
_COLUMN_IDENTITY_KEYS = (*_OUTCOME_KEYS, "total", "new_received", "carried_over", "carried_forward")


def mark_arithmetic(report: Report, read: TableRead) -> None:
    """Record, per cell, whether the identities its value takes part in hold."""
    req = report.requests
    evidence = read.evidence
    values: dict[str, list[Value]] = {}
    for row_key, paths in _REQUEST_PATHS.items():
        row = getattr(req, row_key)
        vals = values[row_key] = [getattr(row, c).value for c in T.REQUEST_COLUMNS]
        blank = None in vals
        zeroed = [v or 0 for v in vals]
        ok_zero = int(abs(sum(zeroed[:6]) - zeroed[6]) < 1e-9) if not blank or any(v is not None for v in vals) else -1
        for path in paths.values():
            ev = evidence.get(path)
            if ev is not None:
                ev.row_blank, ev.row_ok_blank_zero = blank, ok_zero
                if not blank:
                    ev.row_ok = ok_zero
    columns_hold = True
    for i, c in enumerate(T.REQUEST_COLUMNS):
        parts = [v for k in _OUTCOME_KEYS if (v := values[k][i]) is not None]
        tot, a, b, d = (values[k][i] for k in ("total", "new_received", "carried_over", "carried_forward"))
        checks: list[bool] = []
        if tot is not None and parts:
            checks.append(abs(sum(parts) - tot) < 1e-9)  # type: ignore[arg-type]
        if None not in (a, b, d, tot):
            checks.append(abs(a + b - tot - d) < 1e-9)  # type: ignore[operator]
        columns_hold = columns_hold and bool(checks) and all(checks)
        if checks:
            ok = int(all(checks))
            for key in _COLUMN_IDENTITY_KEYS:
                ev = evidence.get(_REQUEST_PATHS[key][c])
                if ev is not None:
                    ev.col_ok = ok
    if columns_hold:
        # Every row has a cell in every column: only where all columns hold can a row be checked whole.
        for paths in _REQUEST_PATHS.values():
            row = [evidence.get(path) for path in paths.values()]
            if all(ev is not None and ev.row_ok == 1 for ev in row):
                for ev in row:
                    ev.row_cols_ok = True  # type: ignore[union-attr]
    for group in T.APPEAL_GROUPS:
        vals = [getattr(getattr(report.appeals, group), c).value for c in T.APPEAL_COLUMNS]
        if all(x is not None for x in vals):
            ok = int(_appeal_group_ok(vals))
            for c in T.APPEAL_COLUMNS:
                ev = read.evidence.get(f"appeals.{group}.{c}")
                if ev is not None:
                    ev.row_ok = ok


def _shows_hidden_blanks(ev: Evidence) -> bool:
    """A document whose runs may hide blank cells: a run shorter than its row, or a decoded row
    whose own sum no cut could make hold (a blank printed as nothing shifts the digits)."""
    return ev.slot_method == "run_short" or (ev.slot_method.startswith("run") and ev.row_ok == 0)


def read_tables(text: str, report: Report, grid: bool = False) -> TableRead:
    """Fill ``report``'s 表二/三/四 cells from ``text``; return the evidence for confidence.

    ``grid``: the tables came from markup (HTML, .docx), so a cell's index in its line is its
    column and blank cells can be placed under their headers exactly.
    """
    read = TableRead()
    regions = find_regions(text)
    # 表三 is the largest table: its blank-line spacing (if any) holds for the other two.
    requests_stream = tokenize(text, *regions.t3) if regions.t3 else None
    gaps = requests_stream.gaps if requests_stream else None
    if regions.t2:
        read_proactive(text, regions.t2, report, read, gaps)
    else:
        read.warnings.append("表二 (主动公开政府信息情况) not found")
    if requests_stream is not None:
        read_requests(text, requests_stream, report, read, grid)
    else:
        read.warnings.append("表三 (收到和处理政府信息公开申请情况) not found")
    if regions.t4:
        read_appeals(text, regions.t4, report, read, grid, gaps)
    else:
        read.warnings.append("表四 (行政复议、行政诉讼情况) not found")
    mark_arithmetic(report, read)
    if any(_shows_hidden_blanks(ev) for ev in read.evidence.values()):
        for ev in read.evidence.values():
            ev.hidden_blanks = ev.slot_method.startswith("run")
    return read
