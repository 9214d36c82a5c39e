"""What a reader hands to the layout stage: one normalised text and where its pages begin."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

# A line that is only a page number: "- 3 -", "— 3 —", "第3页", "3/12", "第3页/共12页", "3".
PAGE_NUMBER_RE = re.compile(
    r"^[\s\-—–－·•]*(?:第\s*)?[0-9０-９]{1,4}(?:\s*页)?"
    r"(?:\s*[/／]\s*[0-9０-９]{1,4}(?:\s*页)?|\s*[/／，,]?\s*共\s*[0-9０-９]{1,4}\s*页)?[\s\-—–－·•]*$"
)

# x0, top, x1, bottom: PDF points from the page's top left (pixels for an image).
BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class TextBox:
    """Where the characters ``start:end`` of the text stood on a page, and how sure their read is."""

    start: int
    end: int
    page: int
    bbox: BBox
    # The OCR engine's score for what it read; 1.0 for a text layer.
    confidence: float = 1.0


@dataclass
class Document:
    """A source decoded into text.

    Tables that the source holds as structure (HTML ``<table>``, .docx tables) are written
    into ``text`` as one line per row with cells separated by ``\\t`` (a cell covered by a
    ``rowspan``/``colspan`` is written as an empty cell), so that one table reader serves
    every format and every span indexes into the same string. ``structured_tables`` counts
    them, which tells the aligner that the grid came from markup rather than from guessing.
    """

    text: str
    media_type: str
    encoding: str | None = None
    pages: int | None = None
    # Character offset at which each page starts (PDF); empty when the source has no pages.
    page_starts: list[int] = field(default_factory=list)
    structured_tables: int = 0
    warnings: list[str] = field(default_factory=list)
    # True when the text came from OCR rather than a text layer.
    ocr: bool = False
    # Boxes of table cells and text runs (PDF and images), sorted by ``start``.
    boxes: list[TextBox] = field(default_factory=list)
    # PDF and images: the same pages read again as plain text in reading order, with no grid
    # step (one box per character), for a second reading of the tables: a report typed as text
    # and printed reads better that way (see ``gongkai.inference.readings``). None elsewhere.
    plain: Document | None = None

    def page_at(self, offset: int) -> int | None:
        """1-based page number holding character ``offset``, or None for unpaged sources."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)

    def box_at(self, offset: int) -> TextBox | None:
        """The box holding character ``offset``, or None where the source has no geometry."""
        i = bisect.bisect_right(self.boxes, offset, key=lambda b: b.start) - 1
        if i >= 0 and self.boxes[i].start <= offset < self.boxes[i].end:
            return self.boxes[i]
        return None
