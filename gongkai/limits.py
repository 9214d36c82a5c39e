"""Resource limits: how much one input may make gongkai read, inflate, render, OCR and segment.

Every limit is checked *before* the work it bounds (a declared image size before decoding, a
stream's inflated size while inflating, a span before a table is expanded), so a bomb is
refused with a coded error, or cut short with a warning, instead of taking the process down.
The defaults are far above any real annual report (a long one is ~60 pages, ~100,000
characters, a few MB) and low enough that one extraction stays under about 2 GB.

Override per call with ``extract(..., limits=Limits(max_pages=50))`` or for a whole process with
``set_default_limits``; the readers read the limits in force through ``current_limits()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    """One input's resource limits (see the README's "Limits" table for what exceeding each does)."""

    # Bytes of the input file itself: [E005] beyond.
    max_input_bytes: int = 200 * 1024 * 1024
    # Inflated bytes of one compressed part: a .docx XML part, one PDF stream. [E008] beyond.
    max_part_bytes: int = 256 * 1024 * 1024
    # Inflated bytes of all of a PDF's compressed streams together. [E008] beyond.
    max_decompressed_bytes: int = 512 * 1024 * 1024
    # Pixels of one image frame or one rendered page (A4 at 600 dpi is 35 million). [E008] / page skipped.
    max_pixels: int = 60_000_000
    # PDF pages read; the rest are left out with a warning.
    max_pages: int = 200
    # Drawing objects (glyphs, path segments) estimated from one PDF page's content before it is
    # laid out; a page over it is skipped with a warning. The densest page of the real corpus
    # draws about 4,100; pdfplumber holds about 30 KB per rectangle (50,000 took 2 GB).
    max_page_objects: int = 25_000
    # Pages or image frames read by OCR (about 5 s each); the rest are left out with a warning.
    max_ocr_pages: int = 60
    # Characters of text split into sentences; the rest is not segmented (warning), tables still read.
    max_sentence_chars: int = 2_000_000
    # Cells one HTML/.docx table may expand to through rowspan/colspan; larger spans are clipped (warning).
    max_table_cells: int = 200_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{f.name} must be a positive integer, not {value!r}")


DEFAULT_LIMITS = Limits()
_current: ContextVar[Limits] = ContextVar("gongkai_limits", default=DEFAULT_LIMITS)


def current_limits() -> Limits:
    """The limits in force for the extraction running in this context."""
    return _current.get()


def set_default_limits(limits: Limits) -> None:
    """Limits for every later extraction in this context that does not pass its own."""
    _current.set(limits)


@contextmanager
def limits_in_force(limits: Limits | None) -> Iterator[Limits]:
    """``limits`` (or the current ones, when None) for the duration of the block."""
    if limits is None:
        yield current_limits()
        return
    token = _current.set(limits)
    try:
        yield limits
    finally:
        _current.reset(token)
