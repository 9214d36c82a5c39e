"""The source's pages as small WebP images, for drawing each cell's box over the page it was read from.

Cell boxes are in PDF points from the page's top left (``gongkai.inference.document.BBox``), on
1-based page ``cell.page``; a scanned image's points come from its own resolution, as the image
reader computed them. A page here keeps its size in points, so a box is placed over the image in
percentages of the page and stays put at any zoom.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gongkai.limits import current_limits

# Pages that hold table cells are drawn sharp enough to read every digit when zoomed in
# (144 dpi: a 9 pt digit is 18 px tall); the other pages only need their prose legible. With WebP
# at IMAGE_QUALITY, r001.pdf (6 pages, 2 of them tables) takes about 0.4 MB (README, "Review pages").
TABLE_PAGE_DPI = 144.0
OTHER_PAGE_DPI = 96.0
IMAGE_QUALITY = 60
IMAGE_FORMAT = "WEBP"
IMAGE_MEDIA_TYPE = "image/webp"
# A page larger than this many pixels on its longer side is drawn smaller (posters, odd page sizes).
MAX_SIDE_PX = 2400
# Pages past this many are left out unless they hold a cell: the page stays around a megabyte or two.
MAX_PAGES_SHOWN = 40


@dataclass(frozen=True)
class PageImage:
    """One drawn page: its 1-based number, its size in points and its encoded image (or why none)."""

    number: int
    width_pt: float
    height_pt: float
    data: bytes = b""
    media_type: str = IMAGE_MEDIA_TYPE
    problem: str | None = None

    def data_uri(self) -> str:
        return f"data:{self.media_type};base64," + base64.b64encode(self.data).decode("ascii")


def _encode(image: Any) -> bytes:
    buffer = io.BytesIO()
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    image.save(buffer, IMAGE_FORMAT, quality=IMAGE_QUALITY, method=4)
    return buffer.getvalue()


def _dpi_for(number: int, width_pt: float, height_pt: float, table_pages: set[int]) -> float:
    dpi = TABLE_PAGE_DPI if number in table_pages else OTHER_PAGE_DPI
    longest = max(width_pt, height_pt, 1.0) * dpi / 72.0
    return dpi * min(1.0, MAX_SIDE_PX / longest)


def _shown(number: int, table_pages: set[int]) -> bool:
    return number <= MAX_PAGES_SHOWN or number in table_pages


def pdf_page_images(data: bytes, table_pages: Iterable[int] = ()) -> list[PageImage]:
    """Every page of a PDF (up to ``MAX_PAGES_SHOWN`` and any page holding a cell), drawn by pdfium.

    The media box is drawn, which is the box pdfplumber measures cell boxes in. A page pdfium cannot
    draw becomes a ``PageImage`` with a ``problem`` instead of failing the page.
    """
    import pypdfium2 as pdfium

    wanted = set(table_pages)
    out: list[PageImage] = []
    pdf = pdfium.PdfDocument(data)
    try:
        count = min(len(pdf), current_limits().max_pages)
        for index in range(count):
            number = index + 1
            if not _shown(number, wanted):
                continue
            page = pdf[index]
            try:
                page.set_cropbox(*page.get_mediabox())
                width_pt, height_pt = page.get_size()
                try:
                    scale = _dpi_for(number, width_pt, height_pt, wanted) / 72.0
                    bitmap = page.render(scale=scale, grayscale=number not in wanted)
                    out.append(PageImage(number, width_pt, height_pt, _encode(bitmap.to_pil())))
                except Exception as exc:  # pdfium raises its own errors for damaged content streams
                    out.append(PageImage(number, width_pt, height_pt, problem=f"{type(exc).__name__}: {exc}"))
            finally:
                page.close()
    finally:
        pdf.close()
    return out


def _frames(image: Any) -> Iterator[Any]:
    """The frames of a (multi-page) image; a damaged frame ends them, as in the image reader."""
    from PIL import ImageSequence

    frames = ImageSequence.Iterator(image)
    while True:
        try:
            yield next(frames)
        except StopIteration:
            return
        except (OSError, SyntaxError, ValueError, TypeError, EOFError):
            return


def scan_page_images(data: bytes, table_pages: Iterable[int] = ()) -> list[PageImage]:
    """Every frame of a scanned image file, scaled down to the dpi a page is drawn at here.

    The size in points uses the resolution the image reader assumed (the file's own, else
    200 dpi), so boxes land where OCR found the characters.
    """
    from PIL import Image

    from gongkai.inference.readers.image import _dpi  # the reader's own rule: boxes must agree with it

    wanted = set(table_pages)
    limits = current_limits()
    out: list[PageImage] = []
    with Image.open(io.BytesIO(data)) as image:
        for number, frame in enumerate(_frames(image), start=1):
            if number > limits.max_ocr_pages:
                break
            if not _shown(number, wanted):
                continue
            dpi = _dpi(frame)
            width_pt, height_pt = frame.width * 72.0 / dpi, frame.height * 72.0 / dpi
            if frame.width * frame.height > limits.max_pixels:
                out.append(PageImage(number, width_pt, height_pt, problem="too many pixels to draw"))
                continue
            target = _dpi_for(number, width_pt, height_pt, wanted)
            size = (max(1, round(width_pt * target / 72.0)), max(1, round(height_pt * target / 72.0)))
            picture = frame.convert("L" if frame.mode in ("1", "L", "LA", "I;16", "I") else "RGB")
            if size[0] < picture.width:
                picture = picture.resize(size, Image.Resampling.LANCZOS)
            out.append(PageImage(number, width_pt, height_pt, _encode(picture)))
    return out


def shows_pages(media_type: str) -> bool:
    """Whether a source of this media type is shown as page images (PDFs and scanned images)."""
    return media_type == "application/pdf" or media_type.startswith("image/")


def page_images(data: bytes, media_type: str, table_pages: Iterable[int] = ()) -> list[PageImage]:
    """The pages of a PDF or scanned image; nothing for other sources."""
    if media_type == "application/pdf":
        return pdf_page_images(data, table_pages)
    if media_type.startswith("image/"):
        return scan_page_images(data, table_pages)
    return []
