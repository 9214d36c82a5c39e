"""Report-level fields: issuing agency, reporting year, template version and the section tree."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
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
# A yearless title ("某某局政府信息公开工作年度报告") names the agency as surely as one with a year,
# but is looked for only when no title with a year was found.
AGENCY_FROM_YEARLESS_TITLE = 0.9

_TITLE_RE = re.compile(
    r"(?P<pre>[^\n。]{0,40}?)(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*(?P<post>[^\n。]{0,40}?)"
    r"(?:政府信息公开|政务公开|信息公开)"
)
_PERIOD_RE = re.compile(
    r"(?:统计期限|统计周期|统计时限|统计时间|数据统计)[^。\n]{0,20}?(?P<year>(?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日"
)
_YEAR_ANY_RE = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年")
_AGENCY_SUFFIX_RE = re.compile(
    r"(?:人民政府|政府办公室|政府办公厅|办公室|办公厅|委员会|管理委员会|管委会|办事处|局|厅|委|办|处|署|院|中心|集团|部|所|馆|会|队|站|区|县|市)$"
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
# Indentation before a heading is bounded: an unbounded run in the lookahead rescans a long line of
# ideographic spaces at every position (80,000 of them took ~80 s), and no heading is indented further.
MAX_HEADING_INDENT = 40
_BOUNDED_INDENT = r"[ \t\u3000]{0," + str(MAX_HEADING_INDENT) + "}"
_HEADING_AHEAD = _BOUNDED_INDENT + r"(?:#+[ \t]*)?[一二三四五六七八九十（(1-9]"
_HEADING_AHEAD_RE = re.compile(_HEADING_AHEAD)
# The character before a heading (a line break, an ideographic space, a full stop), consumed: a
# pattern led by a character class is scanned ~4x faster than one led by lookbehinds.
_HEADING_AFTER_RE = re.compile(r"[\n\u3000。；](?=" + _HEADING_AHEAD + ")")
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
    return _title_of_flattened_text(lines)


def _title_of_flattened_text(lines: list[tuple[int, str]]) -> Title:
    """A scraper that dropped the line breaks leaves the title at the head of one long line."""
    for start, line in lines[:2]:
        if len(line.strip()) <= TITLE_MAX_CHARS:
            continue
        head = re.split(r"[，。；]", line, maxsplit=1)[0][:TITLE_MAX_CHARS]
        found = _title_from_line([(start, head)], 0, start, head, False)
        if found is not None and found.agency:
            return found
    return Title(None, None, None)


def _title_from_line(lines: list[tuple[int, str]], i: int, start: int, line: str, joined: bool) -> Title | None:
    """The title on line ``i`` alone, or (second pass) wrapped onto the next line."""
    if joined:
        # A title wraps onto a line of its own words, never onto a sentence of the body.
        if i + 1 >= len(lines) or any(p in lines[i + 1][1] for p in "，。；"):
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


# ---------------------------------------------------------------- template version from wording
@dataclass(frozen=True)
class TemplateMarker:
    """Wording that only one national template prints, and how much it alone says."""

    version: str  # "2021" | "2019"
    pattern: re.Pattern[str]
    weight: float  # probability that the text follows ``version`` given this marker alone
    # Words of which the pattern needs one: a plain substring test skips the regex's scan of the
    # whole text when none is there (most markers are absent from any one report).
    needs: tuple[str, ...] = ()

    def found_in(self, compact: str) -> bool:
        if self.needs and not any(word in compact for word in self.needs):
            return False
        return self.pattern.search(compact) is not None


def _literal(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in words))


# Matched against the text with all whitespace removed (PDF and scraped tables break words).
TEMPLATE_MARKERS: tuple[TemplateMarker, ...] = (
    # 表二 column headers: the strongest sign, each template prints its own.
    TemplateMarker("2021", _literal(T.MARKERS_2021), 0.95, T.MARKERS_2021),
    TemplateMarker("2019", _literal(T.MARKERS_2019), 0.95, T.MARKERS_2019),
    # 表三 （六）其他处理 split into sub-rows exists only in the 2021 template.
    TemplateMarker("2021", re.compile(r"申请人无正当理由逾期不补正|逾期未按收费通知要求缴纳费用"), 0.9, ("逾期",)),
    TemplateMarker("2021", re.compile(r"[（(]六[）)]其他处理[^0-9０-９]{0,6}(?:1|１)[.．、]"), 0.85, ("其他处理",)),
    # 2019: the single （六）其他处理 row holding numbers; some 2021 reports keep it too (hybrids).
    TemplateMarker("2019", re.compile(r"[（(]六[）)]其他处理[0-9０-９]{1,40}[（(]七[）)]总计"), 0.6, ("其他处理",)),
    # The notices that issued each template; 2021-template reports often still cite 〔2019〕60号.
    TemplateMarker("2021", re.compile(r"[〔\[【（(]2021[〕\]】）)]30号"), 0.8, ("30号",)),
    TemplateMarker("2019", re.compile(r"[〔\[【（(]2019[〕\]】）)]60号"), 0.3, ("60号",)),
)
# When both templates' markers are present the loser's evidence discounts the winner's this much.
TEMPLATE_CONFLICT_WEIGHT = 0.3
# The reporting years each template was issued for (2019 template: the 2019 and 2020 reports).
TEMPLATE_YEARS: dict[str, tuple[int, int | None]] = {"2019": (2019, 2020), "2021": (2021, None)}
# A weak year reading outside the years of the template the tables follow is this much less sure.
TEMPLATE_YEAR_PENALTY = 0.5
# Template evidence below this confidence does not constrain the year.
TEMPLATE_FOR_YEAR_MIN = 0.8


def template_from_wording(text: str) -> tuple[str, float]:
    """Which national template the tables follow, told from their wording alone.

    Returns ``("2021" | "2019", confidence)``, or ``("unknown", 0.0)`` when no marker is
    found or both templates are equally evidenced. Independent markers combine as a noisy-OR
    per template; the other template's evidence then discounts the winner.
    """
    compact = "".join(text.split())  # every Unicode whitespace, as r"\s+" (str.split is ~4x faster)
    doubt = {"2021": 1.0, "2019": 1.0}
    for marker in TEMPLATE_MARKERS:
        if marker.found_in(compact):
            doubt[marker.version] *= 1.0 - marker.weight
    support = {version: 1.0 - d for version, d in doubt.items()}
    winner, loser = sorted(support, key=lambda v: support[v], reverse=True)
    if support[winner] <= 0.0 or abs(support[winner] - support[loser]) < 1e-9:
        return "unknown", 0.0
    return winner, round(support[winner] * (1.0 - TEMPLATE_CONFLICT_WEIGHT * support[loser]), 4)


# ---------------------------------------------------------------- reporting year
_Y = r"(?P<year>(?:19|20)\d{2})"
_EARLY_MONTH = r"0?[1-6]"  # reports for year N are published in the first half of N+1


@dataclass(frozen=True)
class YearEvidence:
    """One way the reporting year shows in a text: where to look, how sure, how the year follows.

    ``offset`` is added to the printed year (a publication date is a year after the report's year).
    ``where``: ``"all"``, ``"head"`` (first ``YEAR_HEAD_WINDOW`` chars) or ``"tail"`` (last
    ``YEAR_TAIL_WINDOW`` chars, the signature). ``corroborates``: whether agreeing with another
    kind of evidence makes the year surer (a bare year in the prose does not). ``heading``: the
    year must open a line or follow an ideographic space, after at most ``MAX_HEADING_INDENT``
    spaces or ``#`` (checked after the match: a regex anchored that way scans ~4x slower).
    """

    name: str
    pattern: re.Pattern[str]
    confidence: float
    offset: int = 0
    where: str = "all"
    corroborates: bool = True
    heading: bool = False


def _opens_line(text: str, pos: int) -> bool:
    """Whether ``pos`` starts a line or follows an ideographic space, past a bounded indent."""
    i = pos
    while True:
        if i == 0 or text[i - 1] in "\n\u3000":
            return True
        if pos - i >= MAX_HEADING_INDENT or text[i - 1] not in " \t#":
            return False
        i -= 1


YEAR_HEAD_WINDOW = 2000
YEAR_TAIL_WINDOW = 200
# Confidences are set by hand, not fitted: checked on the 45 real reports (year right in all;
# 44/45 with every title year, 统计期限 and full-year range removed), on 280 generated reports of
# every text layout (synth.render, both templates) and on tests/inference/test_fields.py.
YEAR_EVIDENCE: tuple[YearEvidence, ...] = (
    YearEvidence("period", _PERIOD_RE, YEAR_FROM_PERIOD),
    # “2024年1月1日至2024年12月31日” without the word 统计期限 (“内容涵盖…期间”).
    YearEvidence("full_year_range", re.compile(
        _Y + r"\s*年\s*0?1\s*月\s*0?1\s*日\s*(?:起)?\s*(?:至|到|—|-|～|~)\s*(?P=year)\s*年\s*12\s*月\s*31\s*日"), 0.9),
    # The report's own name in the body (a title the title finder missed, or “编制了2019年…年度报告”).
    YearEvidence("report_name", re.compile(
        _Y + r"\s*年\s*度?\s*(?:政府信息公开|政务公开|信息公开)(?:工作)?年度?报告"), 0.85),
    YearEvidence("as_of_year_end",
                 re.compile(r"截[至止](?:到)?\s*" + _Y + r"\s*年\s*(?:12\s*月\s*31\s*日|年?底)"), 0.8),
    # “2024年度政府信息公开工作…”, “2024年度” at a heading.
    YearEvidence("year_du_heading", re.compile(
        _Y + r"\s*年度(?=[^\n。，]{0,30}(?:政府信息公开|政务公开|信息公开))"), 0.75, heading=True),
    YearEvidence("year_du", re.compile(_Y + r"\s*年度(?!\s*(?:计划|预算))"), 0.62, where="head"),
    # Archive headers: “发布时间: 2025-01-22 20:18” — the report covers the year before (weak).
    YearEvidence("publication_date", re.compile(
        r"(?:发布时间|发布日期|发文日期|成文日期|公开日期|发布于)\s*[:：]?\s*" + _Y + r"\s*[-/.年]\s*" + _EARLY_MONTH
        + r"(?!\d)"), 0.6, offset=-1),
    # The date under the signature at the end (the cover-letter date): report year + 1.
    YearEvidence("signature_date", re.compile(_Y + r"\s*年\s*" + _EARLY_MONTH + r"\s*月\s*\d{1,2}\s*日"), 0.55,
                 offset=-1, where="tail"),
    YearEvidence("body_year", _YEAR_ANY_RE, YEAR_FROM_BODY, where="head", corroborates=False),
)
# Evidence at least this sure that names another year makes the chosen year doubtful.
YEAR_CONFLICT_STRONG = 0.9
YEAR_CONFLICT_CONFIDENCE = YEAR_FROM_BODY
# Agreeing evidence of different kinds combines (noisy-OR) up to this, never above the best single kind.
YEAR_AGREEMENT_CAP = 0.95


@dataclass(frozen=True)
class YearHit:
    """One reading of the reporting year: which evidence, the year it implies, where it stands."""

    kind: str
    year: int
    confidence: float
    span: tuple[int, int]
    raw: str
    corroborates: bool = True


def year_hits(text: str, title: Title | None = None) -> list[YearHit]:
    """Every reading of the reporting year the text offers: the title's, then ``YEAR_EVIDENCE``'s."""
    title = title if title is not None else find_title(text)
    hits: list[YearHit] = []
    if title.year:
        y = str(title.year)
        loc = text.find(y, title.span[0]) if title.span else text.find(y)
        loc = loc if loc >= 0 else text.find(y)
        hits.append(YearHit("title", title.year, YEAR_FROM_TITLE, (loc, loc + 4) if loc >= 0 else (0, 0), y))
    tail_start = max(0, len(text) - YEAR_TAIL_WINDOW)
    for ev in YEAR_EVIDENCE:
        start, stop = {"all": (0, len(text)), "head": (0, YEAR_HEAD_WINDOW), "tail": (tail_start, len(text))}[ev.where]
        matches = list(ev.pattern.finditer(text, start, stop))
        if ev.where == "tail":
            matches = matches[-1:]  # the signature date is the last date
        elif not ev.corroborates:
            matches = matches[:1]  # a bare year: only the first, as the report opens with its own year
        for m in matches:
            if ev.heading and not _opens_line(text, m.start()):
                continue
            hits.append(YearHit(ev.name, int(m.group("year")) + ev.offset, ev.confidence, m.span("year"),
                                m.group("year"), ev.corroborates))
    return hits


def decide_year(hits: list[YearHit], template: tuple[str, float] | None = None) -> Cell:
    """The year of the strongest evidence; contradicted by strong evidence it is doubtful.

    Strong evidence (title, 统计期限) decides alone. Without it, the weak readings vote: each
    year scores the noisy-OR of its distinct kinds, since a stray year in the prose is common
    and two weak kinds agreeing are rarely both wrong. Weak readings outside the years of the
    tables' template count less. Kinds that agree with the winner make it surer (capped), so a
    yearless title with a year-end date and a publication date is placed fairly surely.
    """
    if not hits:
        return Cell()
    version, sure = template if template is not None else ("unknown", 0.0)
    years = TEMPLATE_YEARS.get(version) if sure >= TEMPLATE_FOR_YEAR_MIN else None

    def weight(hit: YearHit) -> float:
        if years and hit.confidence < YEAR_CONFLICT_STRONG:
            low, high = years
            if hit.year < low or (high is not None and hit.year > high):
                return hit.confidence * TEMPLATE_YEAR_PENALTY
        return hit.confidence

    strong = [h for h in hits if weight(h) >= YEAR_CONFLICT_STRONG]
    if strong:
        best = max(strong, key=lambda h: (weight(h), -h.span[0]))
    else:
        score = {y: _support([h for h in hits if h.year == y], weight) for y in {h.year for h in hits}}
        first = {y: min(h.span[0] for h in hits if h.year == y) for y in score}
        year = max(score, key=lambda y: (score[y], -first[y]))
        best = max((h for h in hits if h.year == year), key=lambda h: (weight(h), -h.span[0]))
    confidence = weight(best)
    if any(h.year != best.year and h.confidence >= YEAR_CONFLICT_STRONG for h in hits):
        confidence = min(confidence, YEAR_CONFLICT_CONFIDENCE)
    else:
        agreeing = [h for h in hits if h.year == best.year and h.corroborates]
        kinds = {h.kind for h in agreeing}
        if len(kinds) > 1 and confidence < YEAR_AGREEMENT_CAP:
            confidence = max(confidence, min(YEAR_AGREEMENT_CAP, _support(agreeing, weight)))
    return Cell(best.year, round(confidence, 4), best.span if best.span != (0, 0) else None, None, best.raw)


def _support(hits: list[YearHit], weight: Callable[[YearHit], float]) -> float:
    """Noisy-OR over distinct kinds; the same printed year matched by two patterns counts once."""
    best_of_kind: dict[str, float] = {}
    counted: list[tuple[int, int]] = []
    for h in sorted(hits, key=weight, reverse=True):
        if any(_overlap(h.span, s) for s in counted):
            continue
        counted.append(h.span)
        best_of_kind[h.kind] = max(best_of_kind.get(h.kind, 0.0), weight(h))
    doubt = 1.0
    for c in best_of_kind.values():
        doubt *= 1.0 - c
    return 1.0 - doubt


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def find_agency_and_year(text: str, template: tuple[str, float] | None = None) -> tuple[Cell, Cell]:
    """``agency`` and ``year`` fields with how sure we are; None values when not found.

    The year is placed from the title, the 统计期限 sentence, the tables' template and the
    dates around the report (see ``YEAR_EVIDENCE``), so a title without a year still places it.
    ``template``: ``template_from_wording(text)`` when the caller has it already.
    """
    title = find_title(text)
    agency = Cell()
    name = title.agency or _yearless_title_agency(text)
    if name:
        loc = text.find(name)
        sure = AGENCY_FROM_TITLE if title.agency else AGENCY_FROM_YEARLESS_TITLE
        agency = Cell(name, sure, (loc, loc + len(name)) if loc >= 0 else None, None, name)
    else:
        for m in _AGENCY_BODY_RE.finditer(text[:3000]):
            name = _clean_agency(m.group("agency"))
            if name:
                start = m.start("agency") + m.group("agency").find(name)
                agency = Cell(name, AGENCY_FROM_BODY, (start, start + len(name)), None, name)
                break
    year = decide_year(year_hits(text, title), template if template is not None else template_from_wording(text))
    return agency, year


_YEARLESS_TITLE_RE = re.compile(r"(?P<pre>[^\n。]{2,40}?)(?:政府信息公开|政务公开|信息公开)(?:工作)?年度报告")


def _yearless_title_agency(text: str) -> str:
    """The agency of a title that prints no year (“标题: 某某局政府信息公开工作年度报告”)."""
    head = text[:TITLE_WINDOW]
    for line in re.findall(r"[^\n]+", head)[:12]:
        if len(line.strip()) > TITLE_MAX_CHARS or any(p in line for p in "，。；"):
            continue
        m = _YEARLESS_TITLE_RE.search(_TITLE_NOISE_RE.sub("", line))
        if m and not re.search(r"(?:19|20)\d{2}", m.group("pre")):
            name = _clean_agency(m.group("pre"))
            if name:
                return name
    return ""


def find_sections(text: str) -> list[Section]:
    """Numbered headings (一、 / （一） / 1、 / ## 一、) and the text each governs."""
    found: list[tuple[int, int, str, str]] = []  # (start, level, number, heading)
    seen: set[int] = set()
    for start in _heading_starts(text):
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
    # A section ends where the next heading of its level or above starts (one backward pass:
    # a search forward from every heading is quadratic in a text of 10⁵ headings).
    ends: list[int] = []
    next_at: dict[int, int] = {}
    for start, level, _, _ in reversed(found):
        ends.append(min((at for lv, at in next_at.items() if lv <= level), default=len(text)))
        next_at[level] = start
    ends.reverse()
    sections: list[Section] = []
    parent = ""
    for (start, level, num, title), end in zip(found, ends):
        if level == 1:
            parent = num
            path = num
        else:
            path = f"{parent}（{num}）" if parent else f"（{num}）"
        sections.append(Section(num, title, (start, end), level, path))
    return sections


def _heading_starts(text: str) -> Iterator[int]:
    """Where a heading may start: a line start, after two ideographic spaces, or after 。/；."""
    if _HEADING_AHEAD_RE.match(text):
        yield 0
    for m in _HEADING_AFTER_RE.finditer(text):
        start = m.end()
        if text[start - 1] != "\u3000" or text[start - 2:start] == PARAGRAPH_INDENT:
            yield start


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
