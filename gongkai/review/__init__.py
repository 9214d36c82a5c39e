"""Review pages: one self-contained HTML file per report, its tables beside the source they were read from.

    >>> from gongkai.review import write_review
    >>> write_review("report.pdf", "report.html")

``render_review(report, source_bytes)`` gives the page of a report already extracted;
``gongkai review FILE --out page.html`` and ``gongkai batch … --review`` write them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gongkai.review.page import render_review
from gongkai.review.pages import shows_pages

__all__ = ["REVIEW_DIR", "render_review", "review_path", "save_review", "write_review"]

# A batch writes its pages to <out>/review/<first 16 hex digits of the input's sha256>.html.
REVIEW_DIR = "review"
REVIEW_NAME_HEX = 16


def review_path(out: str | os.PathLike[str], sha256: str) -> Path:
    """Where a batch keeps the review page of the input with this sha256 (named by content, as
    duplicates are: the same bytes under two names share one page)."""
    return Path(out) / REVIEW_DIR / f"{sha256[:REVIEW_NAME_HEX]}.html"


def save_review(path: str | os.PathLike[str], html: str) -> Path:
    """Write a page whole (temporary name, then rename), so a killed run never leaves half a page."""
    from gongkai.batch.store import atomic_write

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, html.encode("utf-8"))
    return target


def write_review(source: str | os.PathLike[str] | bytes, out: str | os.PathLike[str], *,
                 corrections: Any = None, sentences: bool = True, classify: bool = True) -> Path:
    """Extract ``source`` (a path, the file's bytes or the text itself) and write its review page to ``out``.

    ``corrections``: a corrections.jsonl path (or loaded ``Corrections``) applied while extracting.
    Errors are ``extract``'s (``GongkaiError`` subclasses).
    """
    from gongkai.inference.pipeline import extract

    report = extract(source, sentences=sentences, classify=classify, corrections=corrections)
    data: bytes | None = None
    if isinstance(source, bytes):
        data = source
    elif report.source.path is not None and shows_pages(report.source.media_type):
        data = Path(source).read_bytes()  # only a path sets source.path; the page images need its bytes
    return save_review(out, render_review(report, data))
