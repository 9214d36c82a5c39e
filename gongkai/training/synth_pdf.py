"""Generated reports as PDFs and scans, with their gold: test and benchmark data for the PDF reader.

A ``ReportSpec`` from ``synth`` is typeset with reportlab's built-in ``STSong-Light`` CJK
font (no font file needed to write it) the way Word or WPS exports look: a running header,
page numbers in the footer, paragraphs with a two-character indent, and the tables

- ``ruled``: every cell bordered, merged cells, labels wrapped in their column;
- ``unruled``: the same tables with no rules at all (columns only by position);
- either one breaking across pages, with or without the header rows repeated.

A report typed as text (any of ``synth``'s text layouts: one cell per line, TSV, Markdown,
blank-line separated, space-aligned, run together …) can also be printed as it stands
(``render_text_pdf``, ``generate_text_pdfs``): line by line in STSong-Light on a monospaced
grid (a CJK character two columns, anything else one), tabs expanded to the next tab stop,
long lines wrapped as a word processor wraps them (at spaces and next to CJK characters, never
inside a Latin word or a number), pages broken when full, a page number in the footer. Its
text layer reads as the typed text; the tables have no rules and no spatial grid to find.

A scan is such a PDF rendered to page images (pypdfium2, which needs a CJK font installed
on the system to draw STSong-Light: Debian's fonts-wqy-microhei), turned a little, blurred
and speckled, and saved as an image-only PDF or PNG pages. reportlab and Pillow are dev
dependencies; nothing here runs in the extraction pipeline.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from gongkai.training import synth
from gongkai.training.synth import (
    Grid,
    Heading,
    Para,
    ReportSpec,
    SynthReport,
    TableBlock,
    _heading_text,
    display_width,
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
# Text typed and printed as it stands: font sizes, tab stops (columns), line spacing, margins.
TEXT_PDF_SIZES: tuple[float, ...] = (10.5, 12.0)
TEXT_PDF_TAB_STOPS: tuple[int, ...] = (4, 8)
TEXT_PDF_LEADING = 1.5
TEXT_PDF_MARGIN = 72.0
TEXT_PDF_LAYOUT_PREFIX = "pdf-text-"


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


# ---------------------------------------------------------------- text typed and printed as it stands
@dataclass
class TextPdfOptions:
    """How a text report is printed: every character on a monospaced grid of half-em columns."""

    font_size: float = BODY_SIZE
    # Columns between tab stops: a tab prints as the gap to the next one (editors and Word alike).
    tab_stop: int = 8
    leading: float = TEXT_PDF_LEADING
    page_numbers: bool = True
    margin: float = TEXT_PDF_MARGIN


def expand_tabs(line: str, tab_stop: int) -> str:
    """A typed line with each tab replaced by the spaces up to the next tab stop (CJK counts two)."""
    out: list[str] = []
    column = 0
    for ch in line:
        if ch == "\t":
            gap = tab_stop - column % tab_stop
            out.append(" " * gap)
            column += gap
        else:
            out.append(ch)
            column += display_width(ch)
    return "".join(out)


def _is_wide(ch: str) -> bool:
    return display_width(ch) == 2


def _units(line: str) -> list[str]:
    """Where a word processor may break: after a run of spaces, on either side of a CJK character;
    a run of other characters (a Latin word, a number) is never broken."""
    units: list[str] = []
    for m in re.finditer(r"[ \t\xa0]+|\s+|.", line):
        piece = m.group()
        if units and not piece.isspace() and not _is_wide(piece) and units[-1] and \
                not units[-1].isspace() and not _is_wide(units[-1][-1]):
            units[-1] += piece
        else:
            units.append(piece)
    return units


def wrap_typed_line(line: str, columns: int) -> list[str]:
    """A long typed line broken into printed lines of at most ``columns`` columns.

    Spaces at a break are swallowed (they hang past the margin), so a continuation line starts
    with its first character; a word longer than a whole line is cut where it has to be.
    """
    lines: list[str] = []
    current: list[str] = []
    used = 0
    for unit in _units(line):
        width = display_width(unit)
        if unit.isspace():
            if used + width <= columns:
                current.append(unit)
                used += width
            else:
                lines.append("".join(current).rstrip())
                current, used = [], 0
            continue
        if used + width > columns and current:
            lines.append("".join(current).rstrip())
            current, used = [], 0
        while width > columns:  # a word wider than the page
            head = ""
            while display_width(head + unit[len(head)]) <= columns:
                head += unit[len(head)]
            lines.append(head)
            unit = unit[len(head):]
            width = display_width(unit)
        current.append(unit)
        used += width
    lines.append("".join(current).rstrip())
    return lines


def render_text_pdf(text: str, options: TextPdfOptions | None = None, *, title: str = "") -> bytes:
    """A report typed as ``text`` and printed to PDF as it stands (see the module docstring)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas as pdf_canvas

    options = options or TextPdfOptions()
    _styles()  # registers the CJK font
    width, height = A4
    unit = options.font_size / 2
    pitch = options.font_size * options.leading
    columns = int((width - 2 * options.margin) / unit)
    per_page = int((height - 2 * options.margin) / pitch)
    printed = [piece for line in text.split("\n")
               for piece in wrap_typed_line(expand_tabs(line, options.tab_stop), columns)]
    buffer = io.BytesIO()
    c = pdf_canvas.Canvas(buffer, pagesize=A4, invariant=1)
    c.setTitle(title)
    c.setCreator("gongkai.synth_pdf")
    pages = [printed[i:i + per_page] for i in range(0, len(printed), per_page)] or [[]]
    for number, lines in enumerate(pages, start=1):
        c.setFont(FONT, options.font_size)
        for row, line in enumerate(lines):
            y = height - options.margin - (row + 1) * pitch + (pitch - options.font_size) / 2
            column = 0
            for ch in line:
                if not ch.isspace():
                    c.drawString(options.margin + column * unit, y, ch)
                column += display_width(ch)
        if options.page_numbers:
            c.setFont(FONT, 9)
            c.drawCentredString(width / 2, 36, f"- {number} -")
        c.showPage()
    c.save()
    return buffer.getvalue()


def text_layouts() -> tuple[str, ...]:
    """synth's layouts that print a report as text, looked up now (others add layouts to synth):
    ``TEXT_LAYOUTS`` and any other layout (the scraped family …) whose media type is text."""
    names = list(getattr(synth, "TEXT_LAYOUTS", ()))
    media = getattr(synth, "MEDIA_TYPES", {})
    candidates = [*getattr(synth, "LAYOUTS", ()), *getattr(synth, "SCRAPED_LAYOUTS", ()),
                  *getattr(synth, "ALL_LAYOUTS", ())]
    for name in candidates:
        kind = str(media.get(name, ""))
        if name not in names and kind.startswith("text/") and kind != "text/html":  # HTML is markup, not typed
            names.append(name)
    return tuple(names)


def render_text_pdf_report(values: dict[str, Any], layout: str, rng: random.Random,
                           options: TextPdfOptions | None = None) -> SynthReport:
    """``values`` printed in a text ``layout`` by synth, then that text printed to PDF; gold unchanged."""
    typed = synth.render(values, layout, rng)
    if typed.text is None:
        raise ValueError(f"layout {layout!r} does not print text")
    options = options or TextPdfOptions(rng.choice(TEXT_PDF_SIZES), rng.choice(TEXT_PDF_TAB_STOPS),
                                        page_numbers=rng.random() < 0.7)
    data = render_text_pdf(typed.text, options, title=f"{typed.agency}{typed.year}")
    return replace(typed, text=None, data=data, media_type=PDF_MEDIA_TYPE,
                   layout=TEXT_PDF_LAYOUT_PREFIX + layout)


def generate_text_pdfs(n: int, seed: int = 0, *, layouts: tuple[str, ...] | None = None,
                       template_mix: float = 0.2) -> Iterator[SynthReport]:
    """``n`` reports typed in text layouts and printed to PDF, layouts taken in turn; deterministic.

    ``layouts`` defaults to every text layout synth has now (``text_layouts``); each report's
    ``layout`` is ``pdf-text-<layout>`` and its gold is the typed report's.
    """
    chosen = layouts if layouts is not None else text_layouts()
    if not chosen:
        raise ValueError("no text layouts to print")
    for index in range(n):
        rng = random.Random(f"gongkai.synth_pdf.text:{seed}:{index}")
        template = "2019" if rng.random() < template_mix else "2021"
        values = random_values(rng, template=template)
        yield render_text_pdf_report(values, chosen[index % len(chosen)], rng)


__all__ = ["PDF_STYLES", "TEXT_PDF_LAYOUT_PREFIX", "PdfOptions", "TextPdfOptions", "expand_tabs",
           "generate_pdfs", "generate_text_pdfs", "has_cjk_font", "page_images", "render_pdf",
           "render_pdf_spec", "render_text_pdf", "render_text_pdf_report", "scan_pdf", "scanner_noise",
           "text_layouts", "wrap_typed_line"]
