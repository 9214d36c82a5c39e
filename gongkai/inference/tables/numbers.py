"""Reading one table cell's text as a number, remembering every repair made on the way.

Cells are printed with full-width digits, OCR letters for digits (``O`` for 0, ``l`` for 1),
thousands separators, units, or a dash / 无 for "nothing". A blank stays ``None``: it is never
turned into a guessed 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
# OCR letter → digit, only applied inside a cell that is otherwise numeric.
OCR_DIGIT_LETTERS = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1", "|": "1"})
# Cell texts that mean "nothing here" rather than zero.
BLANK_MARKS = frozenset({"", "—", "——", "-", "－", "--", "/", "／", "无", "\\", "–", "─"})
UNIT_SUFFIXES = ("万元", "件", "条", "起", "个", "项", "元")
SIGNS = "-−－+＋"

_NUMBER_RE = re.compile(r"^[0-9OolI〇|]+(?:,[0-9OolI〇]{3})*(?:\.[0-9OolI〇]+)?$")
_HAS_DIGIT_RE = re.compile(r"[0-9]")
_STRAY_END_RE = re.compile(r"(?<=[0-9])[.·,'`、]+$")
_ROW_NUMBERING_RE = re.compile(r"^[1-9][.、]$")
_INNER_SPACE_RE = re.compile(r"[0-9０-９][ \xa0\u3000]+[0-9０-９]")


@dataclass(frozen=True)
class ParsedNumber:
    value: int | float | None
    raw: str
    repairs: tuple[str, ...] = ()

    @property
    def blank(self) -> bool:
        return self.value is None


@lru_cache(maxsize=16384)
def parse_number(raw: str) -> ParsedNumber | None:
    """Parse a cell's text; None when the text is not a number or blank mark at all."""
    text = raw.strip()
    if _INNER_SPACE_RE.search(text):
        return None  # "3001 53": two cells that a narrow column ran together, not one number
    text = text.replace("\u3000", "").replace(" ", "").replace("\xa0", "")
    if text in BLANK_MARKS:
        return ParsedNumber(None, raw, ("blank_mark",) if text else ())
    repairs: list[str] = []
    translated = text.translate(FULLWIDTH_DIGITS)
    if translated != text:
        repairs.append("fullwidth")
        text = translated
    for unit in UNIT_SUFFIXES:
        if text.endswith(unit) and len(text) > len(unit):
            text = text[: -len(unit)]
            repairs.append("unit")
            break
    stripped = _STRAY_END_RE.sub("", text)
    # "1." to "8." number the template's sub-rows; elsewhere a trailing mark is a speck.
    if stripped != text and _HAS_DIGIT_RE.search(stripped) and not _ROW_NUMBERING_RE.match(text):
        repairs.append("ocr_letter")  # a speck after a scanned number read as a mark: "0." → 0
        text = stripped
    sign = 1
    if len(text) > 1 and text[0] in SIGNS:
        # 2019 表二 prints 本年增/减 as a signed change ("-5", "+3").
        sign = -1 if text[0] in "-−－" else 1
        text = text[1:]
    if not _NUMBER_RE.match(text):
        return None
    letters = text.translate(OCR_DIGIT_LETTERS)
    if letters != text:
        # A lone "I" or "|" is more often a table rule than a 1.
        if text in {"I", "|"}:
            return None
        repairs.append("ocr_letter")
        text = letters
    if not _HAS_DIGIT_RE.search(text):
        return None
    if "," in text:
        repairs.append("thousands")
        text = text.replace(",", "")
    value: int | float = float(text) if "." in text else int(text)
    return ParsedNumber(sign * value, raw, tuple(repairs))


def digits_of(text: str) -> str:
    """The digit string a run prints, leading zeros kept (``O0l`` → ``001``): for cutting runs."""
    return "".join(ch for ch in text.translate(FULLWIDTH_DIGITS).translate(OCR_DIGIT_LETTERS) if ch.isdigit())


# ---------------------------------------------------------------- labels
# Characters OCR confuses in template labels, mapped to one canonical character so that a
# label compares equal however it was misread. Each pair is (misread, canonical).
OCR_LABEL_CONFUSIONS: tuple[tuple[str, str], ...] = (
    ("台", "合"), ("废", "度"), ("甲", "申"), ("攻", "政"), ("言", "信"), ("末", "未"), ("已", "己"),
    ("巳", "己"), ("兔", "免"), ("枳", "积"), ("杈", "权"), ("裁", "载"), ("入", "人"),
)
_CONFUSION_TABLE = str.maketrans({a: b for a, b in OCR_LABEL_CONFUSIONS})
_LABEL_NUMBERING_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十0-9]+[）)]|[0-9０-９lI]{1,2}[.．、]"
    r"|第[一二三四五六七八九十]+[、.])"
)
_LABEL_DROP_RE = re.compile(r"[\s\u3000\xa0#*|:：,，、;；。.．“”\"'‘’（）()《》<>\[\]【】_\-—/]+|<br\s*/?>")


@lru_cache(maxsize=16384)
def normalize_label(text: str) -> str:
    """Reduce a row label to the characters that identify it: no numbering, punctuation or spaces.

    OCR confusions are folded so that ``本年新收政府信息公开甲请数量`` equals the template label.
    """
    text = text.strip().lstrip("#").strip()
    # A row label may carry several numbering prefixes: "三、（一）予以公开".
    for _ in range(3):
        stripped = _LABEL_NUMBERING_RE.sub("", text.lstrip(" \t\u3000")).strip()
        if stripped == text:
            break
        text = stripped
    text = _LABEL_DROP_RE.sub("", text)
    return text.translate(_CONFUSION_TABLE)
