"""Turning a table region of the normalised text into a stream of cells.

Reports print their tables in many text layouts: one cell per line (with or without a leading
tab, blank lines between cells), tab-separated rows, Markdown pipes, columns padded with
spaces, or everything run together on one line. Each layout is reduced to the same thing: a
sequence of ``Token`` (a label, a number, an empty cell, or a digit run whose split is not
printed), each with its span, in reading order. Rows are found later, from the labels.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from gongkai.inference.tables.numbers import BLANK_MARKS, ParsedNumber, parse_number

TokenKind = Literal["label", "number", "empty", "run"]

# A line counts as "tab cells" (Word export: each cell on its own line after one tab) when at
# least this share of the tab lines in a region look like that.
TAB_CELLS_MIN_SHARE = 0.8
# Blank-line layouts: most empty cells one gap can stand for (guards against section breaks).
MAX_INFERRED_EMPTIES = 20
# A gap is "common" when it occurs at least this share as often as the commonest one.
COMMON_GAP_SHARE = 0.25
# Number→number gaps needed before their commonest value is trusted as the layout's.
MIN_GAP_EVIDENCE = 3
# A cell with sentence punctuation and at least this many characters is prose, not a label.
PROSE_MIN_CHARS = 25
# Lines longer than this are whole documents run together (scraped CSV cells).
LONG_LINE_CHARS = 120

_PIPE_SEPARATOR_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SPACE_COLUMNS_RE = re.compile(r"(?:[ \xa0]{2,}|\u3000+)")
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Digits (possibly a decimal, possibly space-separated numbers) inside a mixed cell.
# OCR letters for digits (O, l, 〇) count inside an area only next to a real digit.
_AREA_CHAR = r"[0-9０-９OolI〇,，.．]"
_AREA_START = (r"(?:[0-9０-９]|(?<![A-Za-z])[OolI〇]"
               r"(?=[0-9０-９OolI〇.．,，]*(?:[0-9０-９]|[ \xa0\u3000]+[0-9０-９])))")
# After a value and a space, an OCR letter not followed by a Latin letter is a digit ("0 0 l(二)").
_AREA_NEXT = r"(?:[0-9０-９]|[OolI〇](?=[0-9０-９OolI〇]*(?![A-Za-z])))"
_NUMBER_AREA_RE = re.compile(
    r"(?:" + _AREA_START + _AREA_CHAR + r"*(?:[ \xa0\u3000]+" + _AREA_NEXT + _AREA_CHAR + r"*)*"
    # a lone O / l read for 0 / 1 right after a label or alone between separators
    + r"|(?<=[\u4e00-\u9fff])[O〇](?![A-Za-z0-9])|(?:(?<=\s)|^)[Ool〇](?![A-Za-z0-9]))"
)
# "2.其他…" / "3、要求…": a digit that numbers the label after it, not a value.
_LABEL_NUMBERING_AFTER_RE = re.compile(r"[.．、][ \u3000]*(?:[\u4e00-\u9fff“\"]|$)")
_PROSE_MARKS = ("。", "；", "！", "？")
# Blank-cell marks at the start or end of a label chunk in a flattened row.
_MARK_CHARS = frozenset("-—－–/／")
# A page-number line inside a table: decorated on both sides, or 第…页 (a bare "4" or "-1" is a cell).
_PAGE_LINE_RE = re.compile(
    r"^\s*(?:[-—–－·•]+\s*[0-9０-９]{1,4}\s*[-—–－·•]+|第\s*[0-9０-９]{1,4}\s*页(?:\s*[/／，,]?\s*共\s*[0-9０-９]{1,4}\s*页)?)\s*$"
)
_LEADING_MARKS_RE = re.compile(r"^(?:[-—－–/／]+\s*)+")
_TRAILING_MARKS_RE = re.compile(r"(?:\s*[-—－–/／]+)+$")
# A sign printed between two values ("5减12", "3-1") belongs to the second one.
_SIGNS = frozenset({"减", "增", "-", "+", "－", "＋", "−"})
_ANY_DIGIT_RE = re.compile(r"\d")
_ZERO_LED_RE = re.compile(r"^[0０][0-9０-９]+$")
# More digits than any one cell prints (decode.MAX_NUMBER_DIGITS).
_LONGER_THAN_A_CELL_RE = re.compile(r"^[0-9０-９]{8,}$")
# Where a long flattened line may be cut: after a sentence, or at a paragraph indent.
_SENTENCE_END_RE = re.compile(r"[。；！？]|\u3000{2,}")
# A section or clause heading after a value ("…4166.2146(二)主动公开…") starts a new cell too,
# so that a table running straight into prose does not turn its last row into prose.
_HEADING_AFTER_VALUE_RE = re.compile(
    r"(?<=[0-9０-９])\s*(?=[（(][一二三四五六七八九十]{1,2}[）)]|[一二三四五六七八九十]、)"
)


@dataclass(slots=True)
class Token:
    kind: TokenKind
    text: str
    start: int
    end: int
    # Newlines between the previous token and this one (0: same line).
    gap: int = 0
    number: ParsedNumber | None = None
    # Empty cell inferred from blank-line spacing rather than printed.
    inferred: bool = False
    line: int = 0
    # Index of the cell within its printed line (tabs, pipes, spaced columns); 0 otherwise.
    col: int = 0


@dataclass
class TokenStream:
    tokens: list[Token] = field(default_factory=list)
    # Which layouts produced the cells (for confidence and warnings).
    layouts: Counter[str] = field(default_factory=Counter)
    # Blank-line spacing, when the layout separates cells by blank lines.
    gaps: GapStats | None = None


def _iter_lines(text: str, start: int, end: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        out.append((pos, text[pos:stop]))
        pos = stop + 1
    return out


def _is_tab_cells_region(lines: list[tuple[int, str]]) -> bool:
    tab_lines = [s for _, s in lines if "\t" in s]
    if not tab_lines:
        return False
    single = sum(1 for s in tab_lines if s.count("\t") == 1 and s.lstrip(" ").startswith("\t"))
    return single / len(tab_lines) >= TAB_CELLS_MIN_SHARE


def _split_cells(line: str, style: str) -> list[tuple[int, int]]:
    """Cell boundaries (relative offsets) of one line in the given layout style."""
    if style == "pipe":
        bars = [i for i, ch in enumerate(line) if ch == "|"]
        stripped = line.strip()
        if stripped.startswith("|"):
            first = bars[0]
            bars = bars[1:]
        else:
            first = -1
        if stripped.endswith("|") and bars:
            edges = [first, *bars]
        else:
            edges = [first, *bars, len(line)]
        return [(edges[i] + 1, edges[i + 1]) for i in range(len(edges) - 1)]
    if style in ("tsv", "tab_cells"):
        cells: list[tuple[int, int]] = []
        pos = 0
        for part in line.split("\t"):
            cells.append((pos, pos + len(part)))
            pos += len(part) + 1
        if style == "tab_cells" and cells and not line[: cells[0][1]].strip():
            cells = cells[1:]
        # A trailing tab ends the row (Word text export); it is not an empty last cell.
        if len(cells) > 1 and not line[cells[-1][0]: cells[-1][1]].strip():
            cells.pop()
        return cells
    if style == "spaced":
        cells = []
        pos = 0
        for m in _SPACE_COLUMNS_RE.finditer(line):
            if m.start() > pos:
                cells.append((pos, m.start()))
            pos = m.end()
        if pos < len(line):
            cells.append((pos, len(line)))
        return cells
    if len(line) > LONG_LINE_CHARS:
        # A whole flattened document on one line: cut it into sentences and paragraphs so that
        # prose stays prose and the tables between them are read.
        cuts = sorted({m.end() for m in _SENTENCE_END_RE.finditer(line)}
                      | {m.end() for m in _HEADING_AFTER_VALUE_RE.finditer(line)})
        edges = [0, *[c for c in cuts if 0 < c < len(line)], len(line)]
        return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]
    return [(0, len(line))]


def _line_style(line: str, tab_cells: bool) -> str:
    stripped = line.strip()
    if stripped.startswith("|") or stripped.count("|") >= 2:
        return "pipe"
    if "\t" in line:
        return "tab_cells" if tab_cells else "tsv"
    if _SPACE_COLUMNS_RE.search(stripped) and any(
        parse_number(field) is not None for field in _SPACE_COLUMNS_RE.split(stripped)[1:]
    ):
        return "spaced"
    return "line"


def _is_prose(text: str) -> bool:
    return len(text) >= PROSE_MIN_CHARS and any(mark in text for mark in _PROSE_MARKS)


def _cell_tokens(text: str, start: int, end: int, gap: int, line_no: int) -> list[Token]:
    """Tokens of one cell: a number, an empty cell, a label, or label and number areas mixed."""
    raw = text[start:end]
    content = (_BR_RE.sub("", raw) if "<" in raw else raw).strip()
    if not content:
        return [Token("empty", "", start, end, gap, line=line_no)]
    parsed = parse_number(content)
    if parsed is not None:
        if "<" not in raw:
            # The span is the number's, not its cell's padding ("| 22 |"): a decoder's cuts index into it.
            start, end = start + len(raw) - len(raw.lstrip()), end - (len(raw) - len(raw.rstrip()))
        kind: TokenKind = "empty" if parsed.blank else "number"
        if _ZERO_LED_RE.match(content) or _LONGER_THAN_A_CELL_RE.match(content):
            kind = "run"  # "00000", "258210540000000": several cells run together, not one number
        return [Token(kind, content, start, end, gap, parsed, line=line_no)]
    if _is_prose(content) or not _ANY_DIGIT_RE.search(content):
        return [Token("label", content, start, end, gap, line=line_no)]
    # Mixed cell: flattened text, or "行政许可 97". Split into label and number areas.
    tokens: list[Token] = []
    pos = 0
    for m in _NUMBER_AREA_RE.finditer(raw):
        a, b = m.start(), m.end()
        area = m.group()
        if a and raw[a - 1] in "（(" and raw[b:b + 1] in ("）", ")") and len(area) <= 2:
            continue  # "（6）属于…": a sub-row's number, part of its label
        while area and area[-1] in ".．,，":
            b -= 1
            area = area[:-1]
        if _LABEL_NUMBERING_AFTER_RE.match(raw, b):
            # The last digit numbers the next label ("00000002.其他…").
            b -= 1
            area = area[:-1]
            if not area.strip():
                continue
        between = raw[pos:a].strip()
        has_marks = not _MARK_CHARS.isdisjoint(between)
        lead = (_LEADING_MARKS_RE.match(between)
                if has_marks and tokens and tokens[-1].kind in ("number", "run", "empty") else None)
        if lead and lead.end() < len(between):
            # "0 0 -（6）属于…": blank cells that end the previous row, then the next label.
            pos = _add_marks(tokens, raw, pos, pos + _indent(raw[pos:a]) + lead.end(), start, line_no)
            between = raw[pos:a].strip()
        trail = _TRAILING_MARKS_RE.search(between) if has_marks else None
        if trail and trail.start() > 0:
            # "属于三类内部事务信息- 0 - 0": a blank cell right after the label.
            label_end = pos + raw[pos:a].find(between) + trail.start()
            tokens.append(Token("label", raw[pos:label_end].strip(), start + pos, start + label_end, 0, line=line_no))
            pos = label_end
            between = raw[pos:a].strip()
        marks = between.split()
        after_value = bool(tokens) and tokens[-1].kind in ("number", "run", "empty")
        if marks and all(m in BLANK_MARKS or set(m) <= _MARK_CHARS for m in marks) and (after_value or trail):
            # "3—5", "0 / 0": blank cells printed as marks between values (flattened rows).
            _add_marks(tokens, raw, pos, a, start, line_no)
        elif between in _SIGNS and tokens and tokens[-1].kind in ("number", "run", "empty"):
            # "5减12": a signed change (2019 表二 本年增/减) glued between two values, not a label.
            a -= len(raw[pos:a]) - len(raw[pos:a].rstrip()) + len(between)
            area = raw[a:b]
        elif a > pos and between:
            tokens.append(Token("label", between, start + pos, start + a, 0, line=line_no))
        parts = [(p.start(), p.group()) for p in re.finditer(r"\S+", area)]
        if len(parts) > 1:
            # "5800000 58", "20 0 0 0 02": a scraper's spacing is not the cells' boundaries;
            # one run, its separators kept, for the decoder to cut (gongkai.inference.tables.decode).
            s = start + a + parts[0][0]
            run = area.strip()
            tokens.append(Token("run", run, s, s + len(run), 0, parse_number(run), line=line_no))
            pos = b
            continue
        for off, part in parts:
            parsed = parse_number(part)
            s = start + a + off
            if parsed is None and part[0] in _SIGNS:
                tokens.append(Token("run", part, s, s + len(part), 0, None, line=line_no))  # "减12"
            elif parsed is None:
                tokens.append(Token("label", part, s, s + len(part), 0, line=line_no))
            elif len(parts) == 1 and "." not in part and "," not in part and len(part) > 1:
                tokens.append(Token("run", part, s, s + len(part), 0, parsed, line=line_no))
            else:
                tokens.append(Token("number", part, s, s + len(part), 0, parsed, line=line_no))
        pos = b
    rest = raw[pos:]
    lead = (_LEADING_MARKS_RE.match(rest.strip()) if not _MARK_CHARS.isdisjoint(rest)
            and tokens and tokens[-1].kind in ("number", "run", "empty") else None)
    if lead:
        # "…0000—" / "…0 /": blank cells that end the row.
        pos = _add_marks(tokens, raw, pos, pos + _indent(rest) + lead.end(), start, line_no)
    if pos < len(raw) and raw[pos:].strip():
        tokens.append(Token("label", raw[pos:].strip(), start + pos, end, 0, line=line_no))
    if tokens:
        tokens[0].gap = gap
    return tokens


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _add_marks(tokens: list[Token], raw: str, lo: int, hi: int, start: int, line_no: int) -> int:
    """One empty token per blank-cell mark printed in ``raw[lo:hi]`` ("—", "/", "- -"); returns
    where the last mark ends (``lo`` when there is none)."""
    end = lo
    for m in re.finditer(r"\S+", raw[lo:hi]):
        end = lo + m.end()
        tokens.append(Token("empty", m.group(), start + lo + m.start(), start + end, 0, parse_number(m.group()),
                            line=line_no))
    return end


def tokenize(text: str, start: int = 0, end: int | None = None, gaps: GapStats | None = None) -> TokenStream:
    """Cells of ``text[start:end]`` in reading order, whatever the table layout.

    ``gaps``: blank-line spacing measured on another table of the same document.
    """
    end = len(text) if end is None else end
    lines = _iter_lines(text, start, end)
    tab_cells = _is_tab_cells_region(lines)
    stream = TokenStream()
    tokens = stream.tokens
    newlines = 0
    prev_style = ""
    for line_no, (offset, line) in enumerate(lines):
        if not line.strip():
            if tab_cells and "\t" in line:
                # Word export: a line holding only its tab is an empty cell, not a blank line.
                tokens.append(Token("empty", "", offset, offset + len(line), newlines + 1 if tokens else 0,
                                    line=line_no))
                newlines = 0
                prev_style = "tab_cells"
                continue
            newlines += 1
            continue
        if line.strip().startswith("|") and _PIPE_SEPARATOR_RE.match(line):
            continue  # a Markdown separator row is not a line of the table
        if _PAGE_LINE_RE.match(line):
            continue  # "— 4 —", "第 5 页": a page break inside the table, not its cells ("4", "-1" are cells)
        gap = newlines + 1 if tokens else 0
        newlines = 0
        if tab_cells and line[:1] == "\t" and line.count("\t") == 1:
            # Fast path for the commonest line of Word exports: one cell after its tab.
            prev_style = "tab_cells"
            stream.layouts["tab_cells"] += 1
            tokens.extend(_cell_tokens(text, offset + 1, offset + len(line), gap, line_no))
            continue
        style = _line_style(line, tab_cells)
        # Word export: a header label broken over two lines ("商业\n企业") continues its cell.
        if style == "line" and prev_style == "tab_cells" and gap == 1 and tokens and tokens[-1].kind == "label":
            last = tokens[-1]
            last.text += line.strip()
            last.end = offset + len(line)
            continue
        prev_style = style
        stream.layouts[style] += 1
        for i, (a, b) in enumerate(_split_cells(line, style)):
            for tok in _cell_tokens(text, offset + a, offset + b, gap if i == 0 else 0, line_no):
                tok.col = i
                tokens.append(tok)
    _infer_blank_line_empties(stream, gaps)
    return stream


@dataclass(frozen=True)
class GapStats:
    """Blank-line layout spacing: newlines after a cell (``unit``) and extra ones after a row."""

    unit: int
    row_extra: int


def gap_stats(tokens: list[Token]) -> GapStats | None:
    """The spacing of a blank-line layout, or None when blank lines do not separate cells."""
    value_gaps = Counter(t.gap for p, t in zip(tokens, tokens[1:]) if p.kind == t.kind == "number" and t.gap > 0)
    if value_gaps and value_gaps.most_common(1)[0][1] >= MIN_GAP_EVIDENCE and value_gaps.most_common(1)[0][0] < 2:
        return None  # values on consecutive lines: blank lines separate rows, not cells
    # The cell separator is the smallest common gap between consecutive cells (header rows count
    # too); gaps of one newline are cells wrapped inside (结果\n维持), not separators.
    cell_gaps = Counter(t.gap for t in tokens[1:] if t.gap > 1)
    if not cell_gaps:
        return None
    top = cell_gaps.most_common(1)[0][1]
    unit = min(g for g, n in cell_gaps.items() if n >= COMMON_GAP_SHARE * top)
    row_gaps = Counter(t.gap for p, t in zip(tokens, tokens[1:]) if p.kind == "number" and t.kind == "label")
    row_extra = max(0, row_gaps.most_common(1)[0][0] - unit) if row_gaps else 0
    return GapStats(unit, row_extra)


def _infer_blank_line_empties(stream: TokenStream, stats: GapStats | None) -> None:
    """Insert the empty cells that a blank-line layout prints only as extra blank lines.

    In that layout each cell ends with ``u`` newlines and a row with ``u + r``; a gap longer
    than that stands for empty cells, one per extra ``u`` newlines. ``stats`` may come from a
    larger table of the same document (表三), since a short one (表四) shows too few gaps.
    """
    tokens = stream.tokens
    stats = stats or gap_stats(tokens)
    stream.gaps = stats
    if stats is None or stats.unit < 2:
        return
    unit, row_extra = stats.unit, stats.row_extra
    out: list[Token] = []
    for i, tok in enumerate(tokens):
        if i > 0 and tok.gap > unit:
            prev = tokens[i - 1]
            if row_extra % unit:
                # Row ends add a remainder that cell gaps never have: the gap's remainder tells.
                boundary = (tok.gap - unit) % unit == row_extra % unit
            else:
                boundary = tok.kind == "label"  # the gap ends a row (a row's label opens it)
            extra = tok.gap - unit - (row_extra if boundary else 0)
            count = min(MAX_INFERRED_EMPTIES, max(0, round(extra / unit)))
            for _ in range(count):
                out.append(Token("empty", "", prev.end, prev.end, unit, inferred=True, line=prev.line))
        out.append(tok)
    if len(out) != len(tokens):
        stream.layouts["blank_lines"] += 1
    stream.tokens = out
