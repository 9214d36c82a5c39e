"""Generated reports as PDFs and scans, with their gold: test and benchmark data for the PDF reader.

A ``ReportSpec`` from ``synth`` is typeset with reportlab's built-in ``STSong-Light`` CJK
font (no font file needed to write it) the way Word or WPS exports look: a running header,
page numbers in the footer, paragraphs with a two-character indent, and the tables

- ``ruled``: every cell bordered, merged cells, labels wrapped in their column;
- ``unruled``: the same tables with no rules at all (columns only by position);
- either one breaking across pages, with or without the header rows repeated.

A scan is such a PDF rendered to page images (pypdfium2, which needs a CJK font installed
on the system to draw STSong-Light: Debian's fonts-wqy-microhei), turned a little, blurred
and speckled, and saved as an image-only PDF or PNG pages. reportlab and Pillow are dev
dependencies; nothing here runs in the extraction pipeline.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from gongkai.training.synth import (
    Grid,
    Heading,
    Para,
    ReportSpec,
    SynthReport,
    TableBlock,
    _heading_text,
    gold_of,
    make_spec,
    proactive_2019_of,
    random_values,
)

FONT = "STSong-Light"
PDF_MEDIA_TYPE = "application/pdf"
PdfStyle = Literal["ruled", "unruled"]
PDF_STYLES: tuple[PdfStyle, ...] = ("ruled", "unruled")
# Scans: rendering resolution and the noise a flatbed scanner adds.
SCAN_DPI = 200
MAX_TILT_DEGREES = 1.2
SPECKLE_SHARE = 0.002
BLUR_RADIUS = 0.6
JPEG_QUALITY = 70
BODY_SIZE = 10.5  # 五号
TABLE_SIZE = 9.0  # 小五


@dataclass
class PdfOptions:
    style: PdfStyle = "ruled"
    # Rows repeated at the top of a table's continuation on the next page (0: none).
    repeat_header: int = 0
    # Space (points) before each table, so tables break across pages at varied rows.
    table_offset: float = 0.0


def _styles() -> dict[str, Any]:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = {"fontName": FONT, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("title", fontSize=16, leading=24, alignment=TA_CENTER, spaceAfter=12, **base),
        "heading": ParagraphStyle("heading", fontSize=12, leading=20, spaceBefore=6, **base),
        "body": ParagraphStyle("body", fontSize=BODY_SIZE, leading=18, firstLineIndent=2 * BODY_SIZE, **base),
        "cell": ParagraphStyle("cell", fontSize=TABLE_SIZE, leading=11, **base),
        "header": ParagraphStyle("header", fontSize=TABLE_SIZE, leading=11, alignment=TA_CENTER, **base),
    }


def _table(grid: Grid, styles: dict[str, Any], options: PdfOptions, width: float) -> Any:
    """A reportlab Table of the grid: anchors hold the text, spans declared as SPAN commands."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    data: list[list[Any]] = [[""] * grid.ncols for _ in grid.rows]
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, TABLE_SIZE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE" if options.style == "ruled" else "TOP"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    for r, row in enumerate(grid.rows):
        for cell in row:
            text = "" if cell.blank else cell.text
            # Everything but numbers wraps inside its cell, as in Word; a number never does.
            data[r][cell.col] = text if cell.kind == "value" else Paragraph(
                text, styles["cell"] if cell.kind in ("label", "clause", "note") else styles["header"])
            if cell.rowspan > 1 or cell.colspan > 1:
                commands.append(("SPAN", (cell.col, r), (cell.col + cell.colspan - 1, r + cell.rowspan - 1)))
    if options.style == "ruled":
        commands.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
    label_cols = _label_columns(grid)
    value_width = (width * 0.45) / max(1, grid.ncols - label_cols)
    label_width = (width - value_width * (grid.ncols - label_cols)) / max(1, label_cols)
    widths = [label_width] * label_cols + [value_width] * (grid.ncols - label_cols)
    return Table(data, colWidths=widths, style=TableStyle(commands), repeatRows=options.repeat_header,
                 splitByRow=1)


def _label_columns(grid: Grid) -> int:
    """How many leading grid columns hold labels (the value columns follow them)."""
    first_value = [cell.col for row in grid.rows for cell in row if cell.kind == "value"]
    return max(1, min(first_value)) if first_value else 1


def render_pdf_spec(spec: ReportSpec, options: PdfOptions) -> bytes:
    """Typeset one report as a text-layer PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=72, rightMargin=72, topMargin=72, bottomMargin=72,
                            title=spec.title, author=spec.agency, creator="gongkai.synth_pdf",
                            invariant=1)

    def running(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 40, f"{spec.agency}{spec.year}年政府信息公开工作年度报告")
        canvas.drawCentredString(A4[0] / 2, 36, f"— {document.page} —")
        canvas.restoreState()

    story: list[Any] = [Paragraph(spec.title, styles["title"])]
    for block in spec.blocks:
        if isinstance(block, Heading):
            story.append(Paragraph(_heading_text(block, 0), styles["heading"]))
        elif isinstance(block, Para):
            if block.text:
                story.append(Paragraph(block.text, styles["body"]))
        elif isinstance(block, TableBlock):
            if options.table_offset:
                story.append(Spacer(1, options.table_offset))
            story.append(_table(block.grid, styles, options, doc.width))
    doc.build(story, onFirstPage=running, onLaterPages=running)
    return buffer.getvalue()


def render_pdf(values: dict[str, Any], rng: random.Random, options: PdfOptions | None = None) -> SynthReport:
    """A whole generated report as a text-layer PDF, with its gold."""
    spec = make_spec(values, rng)
    options = options or PdfOptions(rng.choice(PDF_STYLES), rng.choice((0, 0, 1, 2)), rng.uniform(0, 300))
    data = render_pdf_spec(spec, options)
    return SynthReport(text=None, data=data, media_type=PDF_MEDIA_TYPE, layout=f"pdf_{options.style}",
                       gold=gold_of(values), agency=spec.agency, year=spec.year, format_version=spec.template,
                       noise=0.0, proactive_2019=proactive_2019_of(values))


def page_images(pdf: bytes, dpi: int = SCAN_DPI) -> list[Any]:
    """Each page of a PDF as a PIL image (pypdfium2 via pdfplumber)."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.to_image(resolution=dpi).original.convert("L") for page in doc.pages]


def scanner_noise(image: Any, rng: random.Random) -> Any:
    """What a flatbed does to a page: a small tilt, blur, speckles, JPEG artefacts."""
    from PIL import Image, ImageFilter

    angle = rng.uniform(-MAX_TILT_DEGREES, MAX_TILT_DEGREES)
    image = image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
    pixels = image.load()
    width, height = image.size
    for _ in range(int(width * height * SPECKLE_SHARE)):
        pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 96, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def scan_pdf(pdf: bytes, rng: random.Random, dpi: int = SCAN_DPI) -> bytes:
    """An image-only PDF, as a scanner would make it from a printout of ``pdf``."""
    images = [scanner_noise(image, rng) for image in page_images(pdf, dpi)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return buffer.getvalue()


def has_cjk_font() -> bool:
    """Whether pypdfium2 can draw STSong-Light here (it needs a CJK font installed on the system)."""
    from PIL import ImageOps

    pdf = _probe_pdf()
    image = page_images(pdf, 72)[0]
    return ImageOps.invert(image).getbbox() is not None


def _probe_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    _styles()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(200, 60))
    c.setFont(FONT, 20)
    c.drawString(10, 20, "政府信息")
    c.save()
    return buffer.getvalue()


def generate_pdfs(n: int, seed: int = 0, *, scanned: bool = False, template_mix: float = 0.2,
                  styles: tuple[PdfStyle, ...] = PDF_STYLES) -> Iterator[SynthReport]:
    """``n`` generated PDF reports (scans when ``scanned``), the same ones for the same arguments."""
    for index in range(n):
        rng = random.Random(f"gongkai.synth_pdf:{seed}:{index}")
        template = "2019" if rng.random() < template_mix else "2021"
        values = random_values(rng, template=template)
        options = PdfOptions(styles[index % len(styles)], rng.choice((0, 0, 1, 2)), rng.uniform(0, 300))
        report = render_pdf(values, rng, options)
        if scanned:
            assert report.data is not None
            report.data = scan_pdf(report.data, rng)
            report.layout = f"scan_{options.style}"
        yield report


__all__ = ["PDF_STYLES", "PdfOptions", "generate_pdfs", "has_cjk_font", "page_images",
           "render_pdf", "render_pdf_spec", "scan_pdf", "scanner_noise"]
