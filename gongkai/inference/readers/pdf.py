"""PDF reports, layout-aware: characters and ruling lines from pdfplumber, OCR for scanned pages.

Every page becomes positioned tokens and rules (the text layer's characters, or the boxes
OCR read off the rendered page) and goes through the one layout step (``pagelayout``):
ruled tables become grids, unruled ones are aligned on their columns, running headers,
footers and page numbers are dropped, and every cell keeps its page and box. A table that
runs on to the next page simply continues as rows after the page break is removed.

The same characters (or OCR boxes) are also written out as plain text in reading order, with
no grid step (``Document.plain``, see ``pagelayout.plain_document``): a report whose tables
were typed as text and then printed reads right that way, and the pipeline reads the tables
both ways and keeps, per table, the reading their numbers support (``gongkai.inference.readings``).
"""

from __future__ import annotations

import io
import re
from typing import Any

from gongkai.errors import CorruptFileError, MissingDependencyError
from gongkai.inference.document import Document
from gongkai.inference.readers.pagelayout import Edge, PageLayout, Token, document_from_pages, layout_page
from gongkai.inference.readers.sniff import PDF
from gongkai.inference.readers.timeout import PAGE_TIME_LIMIT_S, PageTimeout, time_limit

# Pages read per file; beyond this a file is not an annual report and would only cost time.
MAX_PDF_PAGES = 200
# Unmapped glyphs print as "(cid:123)"; more of them than this share of the text is worth a warning.
MAX_CID_SHARE = 0.05
# Resolution scanned pages are rendered at for OCR (200 dpi reads 10.5 pt text reliably).
OCR_DPI = 200
# A page with fewer characters than this in its text layer is taken as scanned.
MIN_TEXT_LAYER_CHARS = 5

NO_TEXT_LAYER_WARNING = "no text layer (scanned?) and OCR is not installed: pip install 'gongkai[ocr]'"
_CID_RE = re.compile(r"\(cid:\d+\)")
_PASSWORD_HINTS = ("password", "encrypt")


class OcrFailed(Exception):
    """The OCR engine failed on a page (the PDF itself may be fine)."""


def _describe(exc: BaseException) -> str:
    """pdfplumber wraps pdfminer's error; name the cause a user can act on."""
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    detail = f"{type(cause).__name__}: {cause}".rstrip(": ")
    if any(hint in detail.lower() for hint in _PASSWORD_HINTS):
        return f"encrypted PDF that needs a password ({detail})"
    return f"damaged or truncated PDF ({detail})"


def _text_layer(page: Any) -> tuple[list[Token], list[Edge]]:
    tokens = [Token(c["text"], c["x0"], c["top"], c["x1"], c["bottom"])
              for c in page.chars if c["text"].strip()]
    edges = [Edge(e["x0"], e["top"], e["x1"], e["bottom"]) for e in page.edges]
    return tokens, edges


def _read_page(page: Any, number: int, use_ocr: bool) -> tuple[PageLayout, str]:
    """The page's layout and how it was read: "text", "ocr", or "scan" (no text layer, no OCR)."""
    tokens, edges = _text_layer(page)
    width, height = float(page.width), float(page.height)
    if len(tokens) >= MIN_TEXT_LAYER_CHARS:
        return layout_page(number, width, height, tokens, edges), "text"
    if not use_ocr:
        return layout_page(number, width, height, tokens, edges), "scan"
    from gongkai.inference import ocr

    image = page.to_image(resolution=OCR_DPI).original
    try:
        scan = ocr.read_image(image, OCR_DPI)
    except MissingDependencyError:
        raise
    except Exception as exc:  # onnxruntime/opencv errors: report the page, keep the others
        raise OcrFailed(f"{type(exc).__name__}: {exc}") from exc
    return scan.layout(number, width, height), "ocr"


def read_pdf(data: bytes, path: str | None = None, *, ocr: bool | None = None,
             page_time_limit: float = PAGE_TIME_LIMIT_S) -> Document:
    """Text of the pages (tables as tab-joined rows) with page starts and a box per cell.

    ``ocr``: None reads scanned pages when the OCR extra is installed, True requires it
    (MissingDependencyError if absent), False never OCRs.
    """
    try:
        import pdfplumber
    except ImportError as exc:
        message = "reading PDF files needs pdfplumber: pip install pdfplumber"
        raise MissingDependencyError(message, path=path) from exc
    use_ocr = ocr is not False

    warnings: list[str] = []
    layouts: list[PageLayout] = []
    failed: list[str] = []
    how: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = pdf.pages
            if not pages:
                raise CorruptFileError("the PDF has no pages", path=path)
            total_pages = len(pages)
            if total_pages > MAX_PDF_PAGES:
                warnings.append(f"read only the first {MAX_PDF_PAGES} of {total_pages} pages")
            for number, page in enumerate(pages[:MAX_PDF_PAGES], start=1):
                try:
                    with time_limit(page_time_limit):
                        try:
                            layout, read_as = _read_page(page, number, use_ocr)
                        except MissingDependencyError:
                            if ocr:
                                raise
                            use_ocr = False
                            layout, read_as = _read_page(page, number, use_ocr)
                    layouts.append(layout)
                    how.append(read_as)
                except PageTimeout:
                    failed.append(f"page {number} skipped: it took longer than {page_time_limit:g} s to read")
                    layouts.append(PageLayout(number, float(page.width), float(page.height)))
                except MissingDependencyError:
                    raise
                except OcrFailed as exc:
                    failed.append(f"page {number}: OCR failed ({exc})")
                    layouts.append(PageLayout(number, float(page.width), float(page.height)))
                except Exception as exc:  # pdfminer raises many kinds on a bad page
                    failed.append(f"page {number} could not be read: {_describe(exc)}")
                    layouts.append(PageLayout(number, float(page.width), float(page.height)))
                finally:
                    page.close()
    except CorruptFileError:
        raise
    except MissingDependencyError as exc:
        from gongkai.inference.ocr import INSTALL_HINT

        raise MissingDependencyError(INSTALL_HINT, path=path) from exc
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        raise CorruptFileError(_describe(exc), path=path) from exc

    if len(failed) == len(layouts):
        raise CorruptFileError("no page of the PDF could be read: " + "; ".join(failed), path=path)
    warnings.extend(failed)
    ocr_pages, scans = how.count("ocr"), how.count("scan")
    if ocr_pages:
        warnings.append(f"{ocr_pages} of {len(layouts)} pages had no text layer and were read by OCR")
    if scans:
        reason = NO_TEXT_LAYER_WARNING if ocr is None else "no text layer (OCR switched off)"
        warnings.append(f"{scans} of {len(layouts)} pages: {reason}")
    doc = document_from_pages(layouts, PDF, warnings, ocr=ocr_pages > 0)
    doc.pages = total_pages
    if doc.text.strip() and len(_CID_RE.findall(doc.text)) * len("(cid:0)") > MAX_CID_SHARE * len(doc.text):
        doc.warnings.append("the text layer has glyphs without Unicode mapping, printed as (cid:N)")
    return doc
