"""Narrative sentences of a report, segmented by a spaCy pipeline tuned to how these reports are written.

The pipeline is a blank Chinese spaCy ``Language`` (no model download: it works offline)
with clause-sized tokens. Sentence boundaries come from one component, ``gongkai_sentence_boundaries``, which
knows what general-purpose sentencizers do not: ``；`` ends a clause worth its own label,
enumerations (“一是……，二是……”) start a new sentence even after a comma, and a line break
ends a sentence only where it ends a paragraph (PDF text wraps lines mid-sentence). Which
spans are narrative at all (not a table cell, heading, title, signature or contact line) is
decided afterwards by the rules in ``NON_NARRATIVE``.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gongkai.inference.document import PAGE_NUMBER_RE
from gongkai.inference.fields import find_sections, heading_span
from gongkai.inference.tables.read import find_regions
from gongkai.report import Section

SENTENCE_END = "。！？；!?;"
# Closing quotes/brackets after a full stop belong to the sentence they close.
CLOSERS = "”’）)」』】》"
_SENTENCE_END_RE = re.compile(f"[{re.escape(SENTENCE_END)}][{re.escape(CLOSERS)}]*")
# A comma before these starts a new enumerated clause (一是……，二是……).
_ENUM_AFTER_COMMA_RE = re.compile(r"[，,]\s*(?=(?:其?[二三四五六七八九十]是|[（(][2-9][）)]|[②③④⑤⑥⑦⑧⑨]))")
# A line opening like this starts a new paragraph even if the previous line looked wrapped.
_PARAGRAPH_START_RE = re.compile(
    r"^[ \t\u3000]*(?:#+|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．]"
    r"|[一二三四五六七八九十]是|第[一二三四五六七八九十]+[，、]|[①②③④⑤⑥⑦⑧⑨]|[-*•●]\s)"
)
# A wrapped line is at least this share of the document's typical full line.
WRAP_WIDTH_SHARE = 0.85
# Documents whose prose lines are narrower than this (half-width units) are not line-wrapped.
MIN_WRAP_WIDTH = 24
MIN_CJK_CHARS = 6
# A line longer than this is a run-together document, not a table row, even if it holds a tab.
TABLE_LINE_MAX_CHARS = 400
# Characters spaCy segments at once (its max_length is 1,000,000); longer texts go in parts.
PART_CHARS = 500_000
# A sentence this much inside a table region must look like clear prose to be kept.
TABLE_OVERLAP = 0.5
# A line with fewer Chinese characters than this (a separator, a date, a number) never wraps on.
MIN_WRAPPED_CJK = 8
# Line widths within this many half-width units count as one width (punctuation compression).
WRAP_MODE_SLACK = 2
# Text is wrapped when at least this share of its prose lines have the full width.
WRAPPED_SHARE = 0.3
# A span without any of these is a heading, a title, a table label or a signature, not prose.
PROSE_PUNCTUATION = "，。；！？,;：:、"
_SPACE_RE = re.compile(r"\s+")
_WIDE_RE = re.compile("[\u2e80-\U0010ffff]")
# Whitespace runs, single punctuation marks, or the text between them.
_CLAUSE_MARKS = SENTENCE_END + CLOSERS + "，,、：:“‘（(《「『【①②③④⑤⑥⑦⑧⑨"
_CLAUSE_TOKEN_RE = re.compile(r"\s+|[^\s" + re.escape(_CLAUSE_MARKS) + r"]+|\S")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_DIGIT_RE = re.compile(r"\d")
_CONTACT_RE = re.compile(
    r"(?:联系电话|电话|传真|邮编|邮政编码|通讯地址|联系地址|地址|电子邮箱|邮箱|E-?mail|网址)\s*[:：为是]?\s*[\w（(]*[\d@]",
    re.IGNORECASE,
)
# Scrapers that drop line breaks keep the paragraph indent: it starts a new paragraph.
_PARAGRAPH_INDENT_RE = re.compile(r"\u3000{2,}")
_ATTACHMENT_RE = re.compile(r"\.(?:docx?|pdf|wps|xlsx?|zip|rar)\b", re.IGNORECASE)
# Fields that scrapers and web archivers put above the report (标题: … / 发布时间: …).
_METADATA_RE = re.compile(r"^[=#*\-]*(?:标题|发布时间|发布日期|发布机构|来源|栏目|原文链接|本地目录|索引号|文号"
                          r"|发文日期|成文日期|主题分类|浏览次数|字号)[:：]")
_URL_RE = re.compile(r"https?://|www\.", re.IGNORECASE)


@dataclass
class Sentence:
    """One narrative sentence; ``span`` indexes into the report text."""

    id: int
    text: str
    span: tuple[int, int]
    section: str | None
    heading: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "span": list(self.span), "section": self.section,
                "heading": self.heading}


@dataclass(frozen=True)
class SpanContext:
    """What the non-narrative rules look at besides the sentence (given without whitespace)."""

    line: str
    # Share of the sentence's characters inside a table region.
    in_table: float


def _is_table_line(s: str, ctx: SpanContext) -> bool:
    # A whole document on one line (archive text) may hold a tab somewhere in a table: there the
    # table regions decide, not the line.
    tabbed = "\t" in ctx.line and len(ctx.line) <= TABLE_LINE_MAX_CHARS
    return tabbed or ctx.line.lstrip().startswith("|") or s.count("|") >= 2


def _is_label_like(s: str, ctx: SpanContext) -> bool:
    return not any(p in s for p in PROSE_PUNCTUATION)


def _is_inside_table(s: str, ctx: SpanContext) -> bool:
    """Inside a table region only clear prose survives (flattened tables have few full stops)."""
    if ctx.in_table < TABLE_OVERLAP:
        return False
    cjk = len(_CJK_RE.findall(s))
    return not (s.rstrip(CLOSERS)[-1:] in SENTENCE_END and len(_DIGIT_RE.findall(s)) <= cjk * 0.15)


def _is_contact(s: str, ctx: SpanContext) -> bool:
    return (bool(_CONTACT_RE.search(s)) or bool(_ATTACHMENT_RE.search(s))
            or (bool(_URL_RE.search(s)) and len(_CJK_RE.findall(s)) < 20))


def _is_page_metadata(s: str, ctx: SpanContext) -> bool:
    return bool(_METADATA_RE.match(s))


def _is_too_short(s: str, ctx: SpanContext) -> bool:
    return len(_CJK_RE.findall(s)) < MIN_CJK_CHARS


# (reason, rule): a span matching any rule is not a narrative sentence. Order is only for reporting.
NON_NARRATIVE: tuple[tuple[str, Callable[[str, SpanContext], bool]], ...] = (
    ("table cell", _is_table_line),
    ("inside a table", _is_inside_table),
    ("heading, title or label", _is_label_like),
    ("contact line", _is_contact),
    ("page metadata", _is_page_metadata),
    ("too short", _is_too_short),
)


def non_narrative_reason(sentence: str, ctx: SpanContext) -> str | None:
    return next((reason for reason, rule in NON_NARRATIVE if rule(sentence, ctx)), None)


# --- boundaries ---------------------------------------------------------------------------------


def boundary_offsets(text: str) -> list[int]:
    """Character offsets at which a new sentence starts (sorted, without 0)."""
    cuts = {m.end() for m in _SENTENCE_END_RE.finditer(text)}
    n = len(text)
    for m in _ENUM_AFTER_COMMA_RE.finditer(text):
        cuts.add(m.end())
    for m in _PARAGRAPH_INDENT_RE.finditer(text):
        cuts.add(m.end())
    cuts.update(_hard_line_breaks(text))
    return sorted(c for c in cuts if 0 < c < n)


def _hard_line_breaks(text: str) -> list[int]:
    """Offsets just after each newline that ends a paragraph (not a soft wrap)."""
    lines = text.split("\n")
    width = _wrap_width(lines)
    out: list[int] = []
    pos = 0
    wrapping = False  # the last line with text wrapped onto the next one
    is_page_number = [PAGE_NUMBER_RE.match(line) is not None for line in lines]
    # The next line after each that is not a page number (one backward pass, not a search per line).
    following = [""] * len(lines)
    nearest = ""
    for i in range(len(lines) - 1, -1, -1):
        following[i] = nearest
        if not is_page_number[i]:
            nearest = lines[i]
    for i, line in enumerate(lines[:-1]):
        pos += len(line) + 1
        if is_page_number[i]:
            if not wrapping:
                out.append(pos)
            continue  # a page number between two halves of a sentence is skipped over
        nxt = following[i]
        stripped = line.strip()
        wrapping = (
            width >= MIN_WRAP_WIDTH
            and len(_CJK_RE.findall(line)) >= MIN_WRAPPED_CJK
            and visual_width(stripped) >= WRAP_WIDTH_SHARE * width
            and stripped[-1:] not in SENTENCE_END + CLOSERS + "：:"
            and nxt.strip() != ""
            and not _PARAGRAPH_START_RE.match(nxt)
            and "\t" not in line and "\t" not in nxt
        )
        if not wrapping:
            out.append(pos)
    return out


def _wrap_width(lines: Sequence[str]) -> int:
    """The width of a full line of prose when the text is wrapped at a fixed width, else 0.

    Wrapped text has many prose lines of one width (the mode); lines justified around numbers
    are wider, so the mode rather than the maximum is the full width.
    """
    widths = [visual_width(s.strip()) for s in lines if len(_CJK_RE.findall(s)) >= 10 and "\t" not in s]
    if len(widths) < 5:
        return 0
    counts = Counter(widths)
    mode = max(counts, key=lambda w: (sum(counts[x] for x in range(w - WRAP_MODE_SLACK, w + 1)), w))
    near = sum(1 for w in widths if mode - 2 * WRAP_MODE_SLACK <= w <= mode + WRAP_MODE_SLACK)
    return mode if near >= len(widths) * WRAPPED_SHARE else 0


def visual_width(line: str) -> int:
    """Printed width in half-width units: a PDF line justified with spaces is as wide as a full one."""
    return len(line) + len(_WIDE_RE.findall(line))


class ClauseTokenizer:
    """Tokens that end wherever a sentence may: runs of text between punctuation and whitespace.

    spaCy's Chinese ``char`` tokenizer makes one token per character (10 ms for a report, most
    of segmentation); every boundary this module draws falls at punctuation or whitespace, so
    clause-sized tokens give the same sentences at a tenth of the cost.
    """

    def __init__(self, vocab: Any) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Any:
        from spacy.tokens import Doc

        words = _CLAUSE_TOKEN_RE.findall(text)
        return Doc(self.vocab, words=words, spaces=[False] * len(words))


@contextmanager
def _torch_hidden() -> Iterator[None]:
    """spaCy's thinc imports torch when it can (+180 MB resident) though a blank pipeline never uses it:
    hidden while spaCy is first imported, a batch worker that only segments never loads torch. Where
    torch is already loaded (the classifier ran first) nothing changes; the classifier imports torch
    itself whenever it needs it."""
    if "torch" in sys.modules or "thinc" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # import torch → ImportError, for thinc only
    try:
        yield
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


@lru_cache(maxsize=1)
def nlp() -> Any:
    """The spaCy pipeline: blank Chinese (no model download), clause tokens, our boundary component."""
    with _torch_hidden():
        import spacy
        from spacy.language import Language

    if not Language.has_factory("gongkai_sentence_boundaries"):
        Language.component("gongkai_sentence_boundaries", func=_set_boundaries)
    pipeline = spacy.blank("zh")
    pipeline.tokenizer = ClauseTokenizer(pipeline.vocab)
    pipeline.add_pipe("gongkai_sentence_boundaries")
    return pipeline


def _set_boundaries(doc: Any) -> Any:
    import numpy
    from spacy.attrs import IDX, SENT_START

    if not len(doc):
        return doc
    token_starts = doc.to_array(IDX)
    # A cut can fall inside a whitespace token (a run of newlines): the token after it starts.
    first = numpy.searchsorted(token_starts, numpy.array(boundary_offsets(doc.text), dtype=token_starts.dtype))
    flags = numpy.full((len(doc), 1), -1, dtype="int64")
    flags[first[first < len(doc)], 0] = 1
    flags[0, 0] = 1
    return doc.from_array([SENT_START], flags.view("uint64"))


# --- narrative sentences ------------------------------------------------------------------------


def segment(text: str, sections: Sequence[Section] | None = None) -> list[Sentence]:
    """The narrative sentences of ``text`` with their section path and heading."""
    if not text.strip():
        return []
    sections = list(sections) if sections is not None else find_sections(text)
    headings = sorted(_heading_end(text, s) for s in sections)
    heading_starts = [h[0] for h in headings]
    index = SectionIndex(sections)
    found = find_regions(text)
    regions = [r for r in (found.t2, found.t3, found.t4) if r is not None]
    out: list[Sentence] = []
    for sent_start, sent_end in _sentence_spans(text):
        start, end = _trim(text, sent_start, sent_end)
        for _, table_end in regions:
            if start < table_end < end:
                # Archive text runs a table straight into prose with no full stop between them:
                # the sentence starts where the table's last value ends.
                start = _trim(text, table_end, end)[0]
        start = _after_headings(text, start, end, headings, heading_starts)
        if start >= end:
            continue
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        line = text[line_start: line_end if line_end >= 0 else len(text)]
        inside = sum(max(0, min(end, b) - max(start, a)) for a, b in regions) / (end - start)
        compact = _SPACE_RE.sub("", text[start:end])
        if non_narrative_reason(compact, SpanContext(line, inside)) is not None:
            continue
        section = index.at(start)
        out.append(Sentence(len(out), text[start:end], (start, end), section.path if section else None,
                            section.heading if section else None))
    return out


def _sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """Sentence spans over the whole text, segmented in parts of at most PART_CHARS.

    spaCy refuses a text over its ``max_length``, and one long part costs memory for nothing:
    a part ends at the last paragraph break before the limit (a hard cut only in a text with no
    line break that long, where a sentence may then be split in two).
    """
    for offset, part in text_parts(text, PART_CHARS):
        for sent in nlp()(part).sents:
            yield offset + sent.start_char, offset + sent.end_char


def text_parts(text: str, size: int) -> Iterator[tuple[int, str]]:
    """(offset, part) pieces of ``text`` of at most ``size`` characters, cut after a newline where one is."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            newline = text.rfind("\n", start, end)
            if newline > start:
                end = newline + 1
        yield start, text[start:end]
        start = end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\n\r\u3000\u00a0#>*-=":
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _heading_end(text: str, section: Section) -> tuple[int, int]:
    """The heading's words and a run-in full stop or colon after them."""
    start, end = heading_span(text, section)
    while end < len(text) and text[end] in "。：:.． \t\u3000":
        end += 1
    return start, end


def _after_headings(text: str, start: int, end: int, headings: Sequence[tuple[int, int]],
                    starts: Sequence[int]) -> int:
    """``start`` moved past a heading it falls in (``starts``: the headings' starts, ascending)."""
    i = bisect.bisect_right(starts, start) - 1
    if i >= 0 and headings[i][0] <= start < headings[i][1]:
        start = headings[i][1]
    return _trim(text, start, end)[0]


class SectionIndex:
    """The innermost section around an offset, by binary search per level (a text may hold 10⁵ headings)."""

    def __init__(self, sections: Sequence[Section]) -> None:
        by_level: dict[int, list[Section]] = {}
        for section in sorted(sections, key=lambda s: s.span[0]):
            by_level.setdefault(section.level, []).append(section)
        self.levels = sorted(by_level.items(), reverse=True)  # deepest level first
        self.starts = {level: [s.span[0] for s in group] for level, group in self.levels}

    def at(self, offset: int) -> Section | None:
        for level, group in self.levels:
            i = bisect.bisect_right(self.starts[level], offset) - 1
            if i >= 0 and offset < group[i].span[1]:
                return group[i]
        return None
