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
import zlib
from typing import Any

from gongkai.errors import CorruptFileError, MissingDependencyError, ResourceLimitError
from gongkai.inference.document import Document
from gongkai.inference.readers.pagelayout import Edge, PageLayout, Token, document_from_pages, layout_page
from gongkai.inference.readers.sniff import PDF
from gongkai.inference.readers.timeout import PAGE_TIME_LIMIT_S, PageTimeout, time_limit
from gongkai.limits import current_limits

# Unmapped glyphs print as "(cid:123)"; more of them than this share of the text is worth a warning.
MAX_CID_SHARE = 0.05
# Resolution scanned pages are rendered at for OCR (200 dpi reads 10.5 pt text reliably).
OCR_DPI = 200
# A page with fewer characters than this in its text layer is taken as scanned.
MIN_TEXT_LAYER_CHARS = 5

# Where a stream's data starts ("stream" then CRLF or LF); inflated in steps of this many bytes.
_STREAM_RE = re.compile(rb"stream\r?\n")
INFLATE_STEP = 1 << 20
# An indirect object whose whole body is a reference to another ("6 0 obj 7 0 R endobj").
_REF_ONLY_OBJECT_RE = re.compile(rb"(?<![0-9])(\d+)\s+\d+\s+obj\s*(\d+)\s+\d+\s+R\s*endobj")
# Path-construction operators and string operands of a content stream (see ``page_objects``).
_PATH_OP_RE = re.compile(rb"(?<![A-Za-z])(?:re|l|c|v|y|m)(?![A-Za-z])")
_STRING_RE = re.compile(rb"\((?:[^()\\]|\\.)*\)|<[0-9A-Fa-f\s]*>")

NO_TEXT_LAYER_WARNING = "no text layer (scanned?) and OCR is not installed: pip install 'gongkai[ocr]'"
_CID_RE = re.compile(r"\(cid:\d+\)")
_PASSWORD_HINTS = ("password", "encrypt")


class PageTooBig(Exception):
    """A page that draws more objects than the limits allow (skipped, the others read)."""


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


def page_objects(page: Any) -> int:
    """About how many glyphs and path segments the page's content draws, counted before layout.

    pdfplumber keeps a dict per glyph, rectangle and edge (about 10 KB per rectangle with its
    edges): a page of 10⁶ glyphs or 2×10⁵ rectangles takes gigabytes. Counting operators and
    string bytes in the inflated content (bounded by ``check_streams``) costs a regex pass.
    """
    from pdfminer.pdftypes import resolve1, stream_value

    total = 0
    for ref in page.page_obj.contents:
        try:
            data = stream_value(resolve1(ref)).get_data()
        except Exception:  # a damaged stream: pdfminer reports it when it lays the page out
            continue
        total += len(_PATH_OP_RE.findall(data)) + sum(len(s) for s in _STRING_RE.findall(data))
    return total


def _read_page(page: Any, number: int, use_ocr: bool) -> tuple[PageLayout, str]:
    """The page's layout and how it was read: "text", "ocr", or "scan" (no text layer, no OCR)."""
    objects, limit = page_objects(page), current_limits().max_page_objects
    if objects > limit:
        raise PageTooBig(f"page {number} skipped: it draws about {objects} objects, more than "
                         f"Limits.max_page_objects ({limit})")
    tokens, edges = _text_layer(page)
    width, height = float(page.width), float(page.height)
    if len(tokens) >= MIN_TEXT_LAYER_CHARS:
        return layout_page(number, width, height, tokens, edges), "text"
    if not use_ocr:
        return layout_page(number, width, height, tokens, edges), "scan"
    from gongkai.inference import ocr

    pixels = width * height * (OCR_DPI / 72.0) ** 2
    if pixels > current_limits().max_pixels:
        raise OcrFailed(f"the page would render to {pixels:.0f} pixels, more than Limits.max_pixels")
    image = page.to_image(resolution=OCR_DPI).original
    try:
        scan = ocr.read_image(image, OCR_DPI)
    except MissingDependencyError:
        raise
    except Exception as exc:  # onnxruntime/opencv errors: report the page, keep the others
        raise OcrFailed(f"{type(exc).__name__}: {exc}") from exc
    return scan.layout(number, width, height), "ocr"


def check_references(data: bytes, path: str | None = None) -> None:
    """Refuse a PDF whose objects are references that lead back to themselves (``6 0 obj 6 0 R endobj``).

    pdfminer resolves a reference to a reference in a loop with no end: a stream whose
    ``/Length`` is such an object hangs it for good, and a signal does not reliably get it out.
    """
    points_to = {int(m.group(1)): int(m.group(2)) for m in _REF_ONLY_OBJECT_RE.finditer(data)}
    for start in points_to:
        seen = {start}
        at = points_to[start]
        while at in points_to:
            if at in seen:
                raise CorruptFileError(f"object {start} is a reference that leads back to itself: a damaged or "
                                       "hostile PDF", path=path)
            seen.add(at)
            at = points_to[at]


def check_streams(data: bytes, path: str | None = None) -> None:
    """Refuse a PDF whose compressed streams inflate past the limits, before the PDF library inflates them.

    pdfminer inflates each stream whole in memory: a few KB of zlib that expand to 1 GB take
    the process with them. Every stream that starts like zlib data is inflated here in bounded
    steps and only counted.
    """
    limits = current_limits()
    total = 0
    for match in _STREAM_RE.finditer(data):
        inflated = _inflated_size(data, match.end(), limits.max_part_bytes + 1)
        total += inflated
        if inflated > limits.max_part_bytes:
            raise ResourceLimitError(f"a PDF stream inflates to more than {limits.max_part_bytes} bytes "
                                     "(Limits.max_part_bytes): a decompression bomb, not a report", path=path)
        if total > limits.max_decompressed_bytes:
            raise ResourceLimitError(f"the PDF's streams inflate to more than {limits.max_decompressed_bytes} "
                                     "bytes (Limits.max_decompressed_bytes)", path=path)


def _inflated_size(data: bytes, start: int, cap: int) -> int:
    """Bytes the zlib data at ``start`` inflates to, counted up to ``cap`` (0 when it is not zlib data)."""
    if data[start:start + 1] != b"\x78":
        return 0
    inflater = zlib.decompressobj()
    pending = memoryview(data)[start:]
    total = 0
    try:
        while pending and total <= cap and not inflater.eof:
            total += len(inflater.decompress(pending, INFLATE_STEP))
            pending = inflater.unconsumed_tail
            if not pending and not inflater.eof:
                break
    except zlib.error:
        pass  # pdfminer reports what it cannot inflate; only the size matters here
    return total


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
    ocr_stopped = False
    check_references(data, path)
    check_streams(data, path)
    limits = current_limits()

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
            if total_pages > limits.max_pages:
                warnings.append(f"read only the first {limits.max_pages} of {total_pages} pages (Limits.max_pages)")
            for number, page in enumerate(pages[:limits.max_pages], start=1):
                if use_ocr and how.count("ocr") >= limits.max_ocr_pages:
                    use_ocr, ocr_stopped = False, True
                    warnings.append(f"OCR stopped after {limits.max_ocr_pages} pages (Limits.max_ocr_pages)")
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
                except PageTooBig as exc:
                    failed.append(str(exc))
                    layouts.append(PageLayout(number, float(page.width), float(page.height)))
                except OcrFailed as exc:
                    failed.append(f"page {number}: OCR failed ({exc})")
                    layouts.append(PageLayout(number, float(page.width), float(page.height)))
                except Exception as exc:  # pdfminer raises many kinds on a bad page
                    failed.append(f"page {number} could not be read: {_describe(exc)}")
                    layouts.append(PageLayout(number, float(page.width), float(page.height)))
                finally:
                    page.close()
    except (CorruptFileError, ResourceLimitError):
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
        if ocr_stopped:
            reason = "no text layer, not OCRed (past Limits.max_ocr_pages)"
        else:
            reason = NO_TEXT_LAYER_WARNING if ocr is None else "no text layer (OCR switched off)"
        warnings.append(f"{scans} of {len(layouts)} pages: {reason}")
    doc = document_from_pages(layouts, PDF, warnings, ocr=ocr_pages > 0)
    doc.pages = total_pages
    if doc.text.strip() and len(_CID_RE.findall(doc.text)) * len("(cid:0)") > MAX_CID_SHARE * len(doc.text):
        doc.warnings.append("the text layer has glyphs without Unicode mapping, printed as (cid:N)")
    return doc
