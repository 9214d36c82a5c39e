"""Matching a printed row label to a template row, exactly or fuzzily, fast."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from gongkai.inference.tables.numbers import normalize_label

MatchHow = Literal["exact", "suffix", "prefix", "group", "fuzzy"]

# Score of each way a label can match (before calibration; see gongkai.inference.tables.confidence).
EXACT_SCORE = 1.0
SUFFIX_SCORE = 0.95
SHORT_SUFFIX_SCORE = 0.8  # the label ends with a 2-character spelling such as 总计 / 其他
# A label wrapped onto the next line: its first line is a prefix of the template label.
PREFIX_MIN_CHARS = 4
PREFIX_BASE_SCORE = 0.75
PREFIX_LENGTH_WEIGHT = 0.2
# "（三）不予公开 | 1." — a bare sub-row number after its group's label.
GROUP_NUMBER_SCORE = 0.9
# A group heading alone before values ("（三）不予公开 0 0 0"): its first sub-row, label lost.
GROUP_FIRST_ROW_SCORE = 0.7
# Characters a group heading may carry beyond its name (三、本年度办理结果（三）不予公开).
GROUP_HEADING_SLACK = 8
# Fuzzy: Dice coefficient of character bigrams; below this it is no match.
FUZZY_MIN_DICE = 0.62
FUZZY_SCALE = 0.9
# Labels are joined with up to this many preceding label cells (wrapped or split labels).
MAX_LABEL_PARTS = 3
SHORT_SPELLING = 3


@dataclass(frozen=True)
class LabelMatch:
    index: int
    score: float
    how: MatchHow
    # Other rows the label may name, with their scores: "其他处理" is the 2019 row and the heading
    # of the 2021 group whose first sub-row lost its label; the alignment's neighbours decide.
    others: tuple[tuple[int, float], ...] = ()


# A sub-row number, possibly with the first characters of its label ("1." / "1.申").
_NUMBERED_RE = re.compile(r"^([0-9]{1,2})\s*[.．、]?\s*(.{0,3})$")


def _bigrams(s: str) -> frozenset[str]:
    return frozenset(s[i: i + 2] for i in range(len(s) - 1)) if len(s) > 1 else frozenset({s})


class LabelMatcher:
    """Finds which of a list of template rows a label names.

    ``spellings[i]`` are the accepted spellings of row ``i``; all are normalised the same way
    as the printed label (numbering, punctuation, spaces and OCR confusions removed).
    """

    def __init__(self, spellings: Sequence[Sequence[str]], groups: dict[str, Sequence[int]] | None = None) -> None:
        # Group label (normalised) -> its sub-rows in order, for labels printed as "group | N.".
        self._groups = {normalize_label(g): list(rows) for g, rows in (groups or {}).items()}
        self._exact: dict[str, int] = {}
        self._spellings = [[normalize_label(name) for name in names] for names in spellings]
        suffixes: list[tuple[str, int]] = []
        self._grams: list[tuple[frozenset[str], int, int]] = []
        for index, names in enumerate(spellings):
            for name in names:
                norm = normalize_label(name)
                self._exact.setdefault(norm, index)
                suffixes.append((norm, index))
                self._grams.append((_bigrams(norm), index, len(norm)))
        # Longest first, so that 本年新收政府信息公开申请数量 wins over a shorter tail.
        self._suffixes = sorted(suffixes, key=lambda p: -len(p[0]))
        self.match = lru_cache(maxsize=4096)(self._match)  # type: ignore[method-assign]

    def _match(self, label: str) -> LabelMatch | None:
        norm = normalize_label(label)
        if not norm:
            return None
        hit = self._exact.get(norm)
        if hit is not None:
            return LabelMatch(hit, EXACT_SCORE, "exact")
        for spelling, index in self._suffixes:
            if norm.endswith(spelling):
                score = SHORT_SUFFIX_SCORE if len(spelling) < SHORT_SPELLING else SUFFIX_SCORE
                return LabelMatch(index, score, "suffix")
        if len(norm) >= PREFIX_MIN_CHARS:
            for spelling, index in self._suffixes:
                if len(spelling) > len(norm) and spelling.startswith(norm):
                    score = PREFIX_BASE_SCORE + PREFIX_LENGTH_WEIGHT * len(norm) / len(spelling)
                    return LabelMatch(index, score, "prefix")
        if len(norm) < 3 or len(norm) > 80:
            return None
        grams = _bigrams(norm)
        best: LabelMatch | None = None
        for ref, index, length in self._grams:
            if length < 3:
                continue
            dice = 2 * len(grams & ref) / (len(grams) + len(ref))
            if dice >= FUZZY_MIN_DICE and (best is None or dice * FUZZY_SCALE > best.score):
                best = LabelMatch(index, dice * FUZZY_SCALE, "fuzzy")
        return best

    def match_parts(self, parts: Sequence[str]) -> LabelMatch | None:
        """Best match over the last one, two or three label cells joined (wrapped labels)."""
        if len(parts) >= 2 and self._groups:
            numbered = _NUMBERED_RE.match(parts[-1].strip())
            if numbered:
                group = normalize_label(parts[-2])
                n = int(numbered.group(1))
                rest = normalize_label(numbered.group(2))
                for name, rows in self._groups.items():
                    if group.endswith(name) and 1 <= n <= len(rows):
                        row = rows[n - 1]
                        if any(spelling.startswith(rest) for spelling in self._spellings[row]):
                            return LabelMatch(row, GROUP_NUMBER_SCORE, "group")
        best: LabelMatch | None = None
        for k in range(1, min(MAX_LABEL_PARTS, len(parts)) + 1):
            hit = self.match("".join(parts[-k:]))
            if hit is not None and (best is None or hit.score > best.score):
                best = hit
                if hit.how == "exact":
                    break
        if self._groups:
            # "（三）不予公开 0 0 …": the first sub-row lost its label and its values follow the group's.
            last = normalize_label(parts[-1])
            for name, rows in self._groups.items():
                if rows and last.endswith(name) and len(last) <= len(name) + GROUP_HEADING_SLACK:
                    if best is None or best.how != "exact":
                        return LabelMatch(rows[0], GROUP_FIRST_ROW_SCORE, "group")
                    if best.index != rows[0]:
                        return replace(best, others=((rows[0], GROUP_FIRST_ROW_SCORE),))
        return best
