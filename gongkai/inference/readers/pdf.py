"""A basic reader for PDFs with a text layer (a layout-aware extractor comes later).

pdfplumber's layout mode keeps table columns apart as runs of spaces, which the table reader
splits on. Scanned PDFs have no text layer: they come back as an (almost) empty Document with
a warning rather than an error, so a batch can report them.
"""

from __future__ import annotations

import io
import re
from typing import Any

from gongkai.errors import CorruptFileError, MissingDependencyError
from gongkai.inference.document import Document
from gongkai.inference.readers.sniff import PDF

# Pages read per file; beyond this a file is not an annual report and would only cost time.
MAX_PDF_PAGES = 200
# Unmapped glyphs print as "(cid:123)"; more of them than this share of the text is worth a warning.
MAX_CID_SHARE = 0.05

NO_TEXT_LAYER_WARNING = "no text layer (scanned PDF?): OCR is not available in this version"
_CID_RE = re.compile(r"\(cid:\d+\)")
_PASSWORD_HINTS = ("password", "encrypt")


def _page_text(page: Any) -> str:
    """Layout-mode text (columns kept as spaces), else plain text; trailing spaces stripped.

    Layout mode pads vertical gaps (even ordinary line spacing) with empty lines; they say
    nothing about the content and would read as empty table cells, so they are dropped.
    """
    text = page.extract_text(layout=True) or ""
    if not text.strip():
        text = page.extract_text() or ""
    return "\n".join(line.rstrip() for line in text.split("\n") if line.strip())


def _describe(exc: BaseException) -> str:
    """pdfplumber wraps pdfminer's error; name the cause a user can act on."""
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    detail = f"{type(cause).__name__}: {cause}".rstrip(": ")
    if any(hint in detail.lower() for hint in _PASSWORD_HINTS):
        return f"encrypted PDF that needs a password ({detail})"
    return f"damaged or truncated PDF ({detail})"


def read_pdf(data: bytes, path: str | None = None) -> Document:
    """Text of each page joined by newlines, with ``page_starts`` and ``pages`` filled in."""
    try:
        import pdfplumber
    except ImportError as exc:
        message = "reading PDF files needs pdfplumber: pip install pdfplumber"
        raise MissingDependencyError(message, path=path) from exc

    warnings: list[str] = []
    texts: list[str] = []
    failed: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = pdf.pages
            if not pages:
                raise CorruptFileError("the PDF has no pages", path=path)
            if len(pages) > MAX_PDF_PAGES:
                warnings.append(f"read only the first {MAX_PDF_PAGES} of {len(pages)} pages")
            for number, page in enumerate(pages[:MAX_PDF_PAGES], start=1):
                try:
                    texts.append(_page_text(page))
                except Exception as exc:  # pdfminer raises many kinds on a bad page
                    failed.append(f"page {number} could not be read: {_describe(exc)}")
                    texts.append("")
                finally:
                    page.close()
            total_pages = len(pages)
    except CorruptFileError:
        raise
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        raise CorruptFileError(_describe(exc), path=path) from exc

    if len(failed) == len(texts):
        raise CorruptFileError("no page of the PDF could be read: " + "; ".join(failed), path=path)
    warnings.extend(failed)
    page_starts: list[int] = []
    offset = 0
    for text in texts:
        page_starts.append(offset)
        offset += len(text) + 1
    text = "\n".join(texts)
    if not text.strip():
        warnings.append(NO_TEXT_LAYER_WARNING)
    elif len(_CID_RE.findall(text)) * len("(cid:0)") > MAX_CID_SHARE * len(text):
        warnings.append("the text layer has glyphs without Unicode mapping, printed as (cid:N)")
    return Document(
        text=text,
        media_type=PDF,
        pages=total_pages,
        page_starts=page_starts,
        warnings=warnings,
    )
