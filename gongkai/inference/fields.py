"""Report-level fields: issuing agency, reporting year, template version and the section tree."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gongkai.inference.tables import template as T
from gongkai.inference.tables.read import REQUEST_MATCHER
from gongkai.inference.tables.rowlabels import SUFFIX_SCORE
from gongkai.report import Cell, Section

# The title is looked for in this many leading characters.
TITLE_WINDOW = 600
TITLE_MAX_CHARS = 80
# Confidence of each way a field can be found (calibrated by hand on the seeds and corpus:
# a title-derived agency was right in every seed; a body guess less often).
AGENCY_FROM_TITLE = 0.95
AGENCY_FROM_PREVIOUS_LINE = 0.85
AGENCY_FROM_BODY = 0.5
YEAR_FROM_PERIOD = 0.97
YEAR_FROM_TITLE = 0.93
YEAR_FROM_BODY = 0.6

_TITLE_RE = re.compile(
    r"(?P<pre>[^\n。]{0,40}?)(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*(?P<post>[^\n。]{0,40}?)"
    r"(?:政府信息公开|政务公开|信息公开)"
)
_PERIOD_RE = re.compile(
    r"(?:统计期限|统计周期|统计时限|统计时间|数据统计)[^。\n]{0,20}?(?P<year>(?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日"
)
_YEAR_ANY_RE = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年")
_AGENCY_SUFFIX_RE = re.compile(
    r"(?:人民政府|政府办公室|政府办公厅|办公室|办公厅|委员会|管理委员会|管委会|局|厅|委|办|署|院|中心|集团|部|所|馆|会|队|站|区|县|市)$"
)
_TITLE_NOISE_RE = re.compile(r"^(?:标题[:：]|#+)\s*|\s+|[“”\"《》]")
_AGENCY_BODY_RE = re.compile(
    r"(?P<agency>[\u4e00-\u9fff]{2,20}?(?:人民政府|科学技术局|局|厅|委员会|办公室|办公厅|管委会))"
    r"(?:认真|坚持|严格|深入|全面|高度|积极|持续|进一步)"
)
# Headings: (regex, level). ``N、`` headings are level 1 only when they name a standard section.
_INDENT = r"^[ \t\u3000]*(?:#+[ \t]*)?"
_TITLE_REST = r"[ \t\u3000]*(?P<title>[^\n]*)"
_H1_RE = re.compile(_INDENT + r"(?P<num>[一二三四五六七八九十]{1,3})[、.．]" + _TITLE_REST)
_H2_RE = re.compile(_INDENT + r"[（(][ \t]*(?P<num>[一二三四五六七八九十]{1,3})[ \t]*[）)]" + _TITLE_REST)
# Only lines (or paragraphs that scrapers ran together on one line, after an indent or a full
# stop) that open like a heading are looked at (fast pre-filter over the whole text).
_HEADING_START_RE = re.compile(
    r"(?:^|(?<=\u3000\u3000)|(?<=[。；]))(?=[ \t\u3000]*(?:#+[ \t]*)?[一二三四五六七八九十（(1-9])", re.MULTILINE
)
PARAGRAPH_INDENT = "\u3000\u3000"
_HN_RE = re.compile(_INDENT + r"(?P<num>[1-9])[ \t]*[、.．]" + _TITLE_REST)
_STANDARD_SECTIONS = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况", "行政复议",
                      "存在的主要问题", "其他需要报告的事项")
# Standard headings as printed in full, for headings run into their paragraph.
_STANDARD_HEADINGS = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况", "存在的主要问题及改进情况",
                      "其他需要报告的事项")
_CN_NUMBERS = "一二三四五六七八九十"
# A title fragment holding these is a sentence, not an agency name ("2016年我厅…").
_NOT_AGENCY_WORDS = ("我", "本", "认真", "贯彻", "关于", "根据")
HEADING_MAX_CHARS = 40
# Headings after a full stop count only in lines longer than this (paragraphs run together).
RUN_TOGETHER_LINE = 400


@dataclass(frozen=True)
class Title:
    agency: str | None
    year: int | None
    span: tuple[int, int] | None


def find_title(text: str) -> Title:
    """The agency and year as the title prints them (the title may wrap over two lines)."""
    head = text[:TITLE_WINDOW]
    lines = [(m.start(), m.group()) for m in re.finditer(r"[^\n]+", head)]
    candidates = [(i, start, line) for i, (start, line) in enumerate(lines[:12])
                  if len(line.strip()) <= TITLE_MAX_CHARS and not any(p in line for p in "，。；")]
    for joined_pass in (False, True):
        for i, start, line in candidates:
            found = _title_from_line(lines, i, start, line, joined_pass)
            if found is not None:
                return found
    return Title(None, None, None)


def _title_from_line(lines: list[tuple[int, str]], i: int, start: int, line: str, joined: bool) -> Title | None:
    """The title on line ``i`` alone, or (second pass) wrapped onto the next line."""
    if joined:
        if i + 1 >= len(lines):
            return None
        line = line + lines[i + 1][1]
    m = _TITLE_RE.search(_TITLE_NOISE_RE.sub("", line))
    if m is None:
        return None
    agency = _clean_agency(m.group("pre")) or _clean_agency(m.group("post"))
    if not agency and i > 0:
        # "沂源县科学技术局\n2024年政府信息公开工作年度报告": the agency has a line of its own.
        agency = _clean_agency(lines[i - 1][1])
    return Title(agency or None, int(m.group("year")), (start, start + len(line)))


def _clean_agency(text: str) -> str:
    text = _TITLE_NOISE_RE.sub("", text)
    text = re.sub(r"(?:关于|的)$", "", text)
    text = re.sub(r"^(?:关于)", "", text)
    if text.startswith(("年", "度")) or any(w in text for w in _NOT_AGENCY_WORDS):
        return ""
    return text if len(text) >= 2 and _AGENCY_SUFFIX_RE.search(text) else ""


def find_agency_and_year(text: str) -> tuple[Cell, Cell]:
    """``agency`` and ``year`` fields with how sure we are; None values when not found."""
    title = find_title(text)
    agency = Cell()
    if title.agency:
        loc = text.find(title.agency)
        agency = Cell(title.agency, AGENCY_FROM_TITLE, (loc, loc + len(title.agency)) if loc >= 0 else None,
                      None, title.agency)
    else:
        for m in _AGENCY_BODY_RE.finditer(text[:3000]):
            name = _clean_agency(m.group("agency"))
            if name:
                start = m.start("agency") + m.group("agency").find(name)
                agency = Cell(name, AGENCY_FROM_BODY, (start, start + len(name)), None, name)
                break
    year = Cell()
    period = _PERIOD_RE.search(text)
    if period:
        year = Cell(int(period.group("year")), YEAR_FROM_PERIOD, period.span("year"), None, period.group("year"))
        if title.year and title.year != year.value:
            year.confidence = YEAR_FROM_BODY
    elif title.year:
        y = str(title.year)
        loc = text.find(y)
        year = Cell(title.year, YEAR_FROM_TITLE, (loc, loc + 4) if loc >= 0 else None, None, y)
    else:
        m = _YEAR_ANY_RE.search(text[:2000])
        if m:
            year = Cell(int(m.group("year")), YEAR_FROM_BODY, m.span("year"), None, m.group("year"))
    return agency, year


def find_sections(text: str) -> list[Section]:
    """Numbered headings (一、 / （一） / 1、 / ## 一、) and the text each governs."""
    found: list[tuple[int, int, str, str]] = []  # (start, level, number, heading)
    seen: set[int] = set()
    for candidate in _HEADING_START_RE.finditer(text):
        start = candidate.start()
        stop = text.find("\n", start)
        line = text[start: stop if stop >= 0 else len(text)]
        if start > 0 and text[start - 1] in "。；" and not _in_run_together_text(text, start, stop):
            continue  # an enumeration inside a paragraph, not a heading
        body = len(line) - len(line.lstrip(" \t\u3000"))
        if start + body in seen:
            continue  # an indented heading at a line start is found twice
        seen.add(start + body)
        indent = line.find(PARAGRAPH_INDENT, body)
        if indent > 0:
            line = line[:indent]
        if "\t" in line:
            continue  # a table cell
        for regex, level in ((_H1_RE, 1), (_H2_RE, 2), (_HN_RE, 0)):
            m = regex.match(line)
            if not m:
                continue
            title = _heading_text(m.group("title"))
            if not title or _is_table_label(title):
                break
            num = m.group("num")
            if level == 0:
                standard = next((k for k, s in enumerate(_STANDARD_SECTIONS) if s in title), None)
                if standard is not None:
                    level, num = 1, _CN_NUMBERS[standard]
                else:
                    level, num = 2, _CN_NUMBERS[int(num) - 1]
            found.append((start, level, num, title))
            break
    sections: list[Section] = []
    parent = ""
    for i, (start, level, num, title) in enumerate(found):
        end = next((s for s, lv, _, _ in found[i + 1:] if lv <= level), len(text))
        if level == 1:
            parent = num
            path = num
        else:
            path = f"{parent}（{num}）" if parent else f"（{num}）"
        sections.append(Section(num, title, (start, end), level, path))
    return sections


def _in_run_together_text(text: str, start: int, stop: int) -> bool:
    """A line this long holds many paragraphs: a scraper dropped the line breaks."""
    line_start = text.rfind("\n", 0, start) + 1
    return (stop if stop >= 0 else len(text)) - line_start > RUN_TOGETHER_LINE


def heading_span(text: str, section: Section) -> tuple[int, int]:
    """A heading's own words; a run-in heading (“（二）依申请公开。截至…”) keeps its sentence."""
    start = section.span[0]
    stop = text.find("\n", start)
    stop = len(text) if stop < 0 else stop
    at = text.find(section.heading, start, stop) if section.heading else -1
    return (start, at + len(section.heading) if at >= 0 else stop)


def _is_table_label(title: str) -> bool:
    """Row labels of 表三 (一、本年新收… / （三）不予公开) look like headings but are table cells."""
    if any(title.startswith(g) for g in T.REQUEST_GROUP_LABELS):
        return True
    match = REQUEST_MATCHER.match(title)
    return match is not None and match.how in ("exact", "suffix") and match.score >= SUFFIX_SCORE


def _heading_text(rest: str) -> str:
    """A heading is short; a run-in heading ends at its first full stop, colon or space.

    A standard heading run into its paragraph with nothing between (“一、总体情况2019年，…”)
    ends where the standard wording ends.
    """
    rest = rest.strip()
    cut = re.split(r"[。：:]|\s+(?=\S)", rest, maxsplit=1)[0].strip()
    if len(cut) > HEADING_MAX_CHARS:
        cut = next((h for h in _STANDARD_HEADINGS if cut.startswith(h)), cut)
    return cut if 0 < len(cut) <= HEADING_MAX_CHARS else ""
