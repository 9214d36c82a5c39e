"""Scanned pages as image files (PNG, JPEG, TIFF, …): OCR, then the same layout step as a PDF.

A multi-page TIFF is one report with a page per frame. Boxes are in PDF points computed from
the image's own resolution (200 dpi when the file does not say), so a cell's ``bbox`` reads
the same for a scan saved as PDF or as images.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from gongkai.errors import CorruptFileError, MissingDependencyError, ResourceLimitError
from gongkai.inference.document import Document
from gongkai.inference.readers.pagelayout import PageLayout, document_from_pages
from gongkai.inference.readers.timeout import PAGE_TIME_LIMIT_S, PageTimeout, time_limit
from gongkai.limits import current_limits

# Resolution assumed for an image that does not state one (what scanners default to).
DEFAULT_DPI = 200.0


def read_image_file(data: bytes, media_type: str, path: str | None = None) -> Document:
    """OCR every frame of an image file into one Document (raises MissingDependencyError without OCR)."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    from gongkai.inference import ocr

    if not ocr.available():
        raise MissingDependencyError(f"a scanned image needs OCR: {ocr.INSTALL_HINT}", path=path)
    limits = current_limits()
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only: the size is known before decoding
        if image.width * image.height > limits.max_pixels:
            raise ResourceLimitError(f"{image.width}x{image.height} pixels is more than Limits.max_pixels "
                                     f"({limits.max_pixels}): not a scanned page", path=path)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, EOFError) as exc:
        raise CorruptFileError(f"damaged or truncated image ({type(exc).__name__}: {exc})", path=path) from exc
    except Image.DecompressionBombError as exc:
        raise CorruptFileError(f"image too large to be a scanned page ({exc})", path=path) from exc
    warnings: list[str] = []
    layouts: list[PageLayout] = []
    for number, frame in enumerate(_frames(ImageSequence.Iterator(image), warnings), start=1):
        if number > limits.max_ocr_pages:
            warnings.append(f"read only the first {limits.max_ocr_pages} pages (Limits.max_ocr_pages)")
            break
        if frame.width * frame.height > limits.max_pixels:
            warnings.append(f"page {number} skipped: {frame.width}x{frame.height} pixels is not a scanned page")
            continue
        dpi = _dpi(frame)
        width, height = frame.width * 72.0 / dpi, frame.height * 72.0 / dpi
        try:
            with time_limit(PAGE_TIME_LIMIT_S):  # the second looks in the layout step are OCR too
                layouts.append(ocr.read_image(frame.convert("RGB"), dpi).layout(number, width, height))
        except PageTimeout:
            warnings.append(f"page {number} skipped: OCR took longer than {PAGE_TIME_LIMIT_S:g} s")
        except Exception as exc:  # onnxruntime/opencv errors: report the page, keep the others
            warnings.append(f"page {number}: OCR failed ({type(exc).__name__}: {exc})")
    if not layouts:
        raise CorruptFileError("no page of the image could be read: " + "; ".join(warnings), path=path)
    warnings.append(f"{len(layouts)} image pages read by OCR")
    return document_from_pages(layouts, media_type, warnings, ocr=True)


def _frames(frames: Iterator[Any], warnings: list[str]) -> Iterator[Any]:
    """The frames of a multi-page image; a damaged frame ends them with a warning (Pillow raises many kinds)."""
    number = 0
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except (OSError, SyntaxError, ValueError, TypeError, EOFError) as exc:
            warnings.append(f"page {number + 1} and after could not be read: damaged image "
                            f"({type(exc).__name__}: {exc})")
            return
        number += 1
        yield frame


def _dpi(frame: object) -> float:
    info = getattr(frame, "info", {}) or {}
    value = info.get("dpi")
    try:
        dpi = float(value[0]) if value else DEFAULT_DPI
    except (TypeError, ValueError, IndexError):
        dpi = DEFAULT_DPI
    return dpi if 50 <= dpi <= 1200 else DEFAULT_DPI
