"""PDF and scanned reports end to end: generated PDFs of every table layout, scans, images, real PDFs.

The PDFs are typeset at test time (reportlab, STSong-Light); scans are those pages rendered at
200 dpi with a tilt, blur and speckles. Rendering needs a CJK system font (Debian's
fonts-wqy-microhei, which ``.ci/run`` installs) and OCR needs the ``ocr`` extra: tests that need
them fail with a message saying so rather than skipping.
"""

from __future__ import annotations

import io
import random
import time

import pdfplumber
import pytest

import gongkai
from gongkai.errors import CorruptFileError
from gongkai.inference import ocr
from gongkai.inference.readers import pdf as pdf_reader
from gongkai.inference.readers import read_bytes
from gongkai.inference.readers.timeout import PageTimeout, time_limit
from gongkai.training.calibrate import graded_cells
from gongkai.training.synth import random_values
from gongkai.training.synth_pdf import (
    PdfOptions,
    generate_pdfs,
    has_cjk_font,
    page_images,
    render_pdf,
    scan_pdf,
)


def _wrong(item) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    report = gongkai.extract(item.data, path=f"{item.layout}.pdf", sentences=False)
    return [(path, cell.value if cell else None) for path, cell, ok in graded_cells(report, item) if not ok]


def _pdf(seed: int, options: PdfOptions, template: str = "2021"):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    return render_pdf(random_values(rng, template=template), rng, options)


@pytest.mark.parametrize("style", ["ruled", "unruled"])
@pytest.mark.parametrize("repeat_header", [0, 2])
@pytest.mark.parametrize("template", ["2021", "2019"])
def test_generated_text_layer_pdfs_read_back_every_cell(style: str, repeat_header: int, template: str) -> None:
    for seed in range(3):
        item = _pdf(seed, PdfOptions(style, repeat_header, table_offset=120.0 * seed), template)  # type: ignore[arg-type]
        assert _wrong(item) == [], f"{style} seed {seed}"


def test_many_generated_pdfs_are_at_least_995_per_cent_right() -> None:
    right = total = 0
    for item in generate_pdfs(16, seed=3):
        report = gongkai.extract(item.data, sentences=False)
        graded = graded_cells(report, item)
        right += sum(ok for _, _, ok in graded)
        total += len(graded)
    assert right / total >= 0.995


def test_a_table_split_across_pages_has_cells_on_both_pages_and_no_running_lines() -> None:
    item = _pdf(7, PdfOptions("ruled", repeat_header=1, table_offset=380.0))
    assert item.data is not None
    report = gongkai.extract(item.data, sentences=False)
    pages = {cell.page for path, cell in report.table_cells() if path.startswith("requests.")}
    assert len(pages) >= 2  # 表三 breaks across a page
    assert _wrong(item) == []
    assert "年度报告\n" not in report.text.split("\n", 3)[-1]  # the running header is gone after page 1
    assert "— 2 —" not in report.text
    assert report.text.count("申请人情况") == 1  # the repeated header row is read once


def test_each_cell_knows_its_page_and_box() -> None:
    item = _pdf(11, PdfOptions("ruled"))
    assert item.data is not None
    report = gongkai.extract(item.data, sentences=False)
    with pdfplumber.open(io.BytesIO(item.data)) as pdf:
        checked = 0
        for path, cell in report.table_cells():
            if cell.value is None or cell.raw is None:
                continue
            assert cell.page is not None and cell.bbox is not None, path
            page = pdf.pages[cell.page - 1]
            x0, top, x1, bottom = cell.bbox
            assert 0 <= x0 < x1 <= page.width and 0 <= top < bottom <= page.height
            printed = page.within_bbox((x0, top, x1, bottom)).extract_text().replace("\n", "")
            assert printed == cell.raw, path
            checked += 1
    assert checked > 50


def _need_scans() -> None:
    if not ocr.available():
        pytest.fail(f"this test needs OCR: {ocr.INSTALL_HINT}")
    if not has_cjk_font():
        pytest.fail("rendering the generated PDFs as scans needs a CJK system font: apt install fonts-wqy-microhei "
                    "(.ci/run installs it)")


# One scan per table style (the benchmark's 12 give the aggregate: ruled 98.6%, unruled 97.7%).
@pytest.mark.parametrize(("style", "least"), [("ruled", 0.97), ("unruled", 0.95)])
def test_scanned_pdf_cells_are_right_or_flagged(style: str, least: float) -> None:
    _need_scans()
    item = next(generate_pdfs(1, seed=21, scanned=True, styles=(style,)))  # type: ignore[arg-type]
    report = gongkai.extract(item.data, sentences=False)
    assert "OCR used" in report.warnings
    graded = graded_cells(report, item)
    right = sum(ok for _, _, ok in graded)
    assert right / len(graded) >= least
    assert all(cell is None or cell.confidence < 0.5 for _, cell, ok in graded if not ok)
    assert all(cell is None or cell.bbox is not None for _, cell, ok in graded if ok and cell and cell.value)


def test_a_png_scan_of_a_page_is_read_by_ocr() -> None:
    _need_scans()
    item = _pdf(5, PdfOptions("ruled"))
    assert item.data is not None
    rng = random.Random(5)
    scanned = scan_pdf(item.data, rng)
    first_table_page = next(i for i, image in enumerate(page_images(scanned)) if i > 0)
    buffer = io.BytesIO()
    page_images(scanned)[first_table_page].save(buffer, format="PNG", dpi=(200, 200))
    doc = read_bytes(buffer.getvalue(), "page.png")
    assert doc.ocr and doc.media_type == "image/png"
    assert doc.boxes and all(b.page == 1 for b in doc.boxes)
    assert "\t" in doc.text  # table rows rebuilt from the OCR boxes


@pytest.mark.parametrize("name", ["r001.pdf", "r003.pdf", "r004.pdf"])
def test_real_pdfs_yield_their_three_tables_with_places(corpus_dir, name: str) -> None:  # type: ignore[no-untyped-def]
    report = gongkai.extract(corpus_dir / name, sentences=False)
    assert report.format_version == "2021"
    for table in ("proactive", "requests", "appeals"):
        values = [c for p, c in report.table_cells() if p.startswith(table) and c.value is not None]
        assert values, table
        assert all(c.page is not None and c.bbox is not None for c in values)


def test_real_pdf_merged_label_cells_no_longer_shift_rows(corpus_dir) -> None:  # type: ignore[no-untyped-def]
    # r003 prints （四）无法提供 as a label spanning three rows; read as text columns, the first
    # of its rows took the value of the second (3 instead of 10).
    report = gongkai.extract(corpus_dir / "r003.pdf", sentences=False)
    assert report.requests.get("unable_not_held.natural_person").value == 10
    assert report.requests.get("unable_needs_creation.natural_person").value == 3


def test_time_limit_interrupts_a_slow_page() -> None:
    start = time.monotonic()
    with pytest.raises(PageTimeout), time_limit(0.05):
        while True:
            time.sleep(0.01)
    assert time.monotonic() - start < 2


def test_pages_over_the_time_limit_are_reported_not_hung(monkeypatch: pytest.MonkeyPatch) -> None:
    item = _pdf(1, PdfOptions("ruled"))
    real_read_page = pdf_reader._read_page

    def slow_first_page(page, number, use_ocr):  # type: ignore[no-untyped-def]
        if number == 1:
            time.sleep(5)
        return real_read_page(page, number, use_ocr)

    monkeypatch.setattr(pdf_reader, "_read_page", slow_first_page)
    doc = pdf_reader.read_pdf(item.data or b"", page_time_limit=0.2)
    assert any("page 1 skipped" in w and "longer than 0.2 s" in w for w in doc.warnings)
    assert doc.text.strip()  # the other pages were read


def test_zero_page_and_truncated_pdfs_are_clear_errors() -> None:
    item = _pdf(2, PdfOptions("ruled"))
    data = item.data or b""
    with pytest.raises(CorruptFileError):
        read_bytes(data[: len(data) // 3], "cut.pdf")
    with pytest.raises(CorruptFileError):
        read_bytes(b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
                   b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF", "empty.pdf")


def test_time_limits_nest_and_the_outer_one_is_not_swallowed() -> None:
    from gongkai.inference.readers.timeout import FileTimeout

    start = time.monotonic()
    with pytest.raises(FileTimeout), time_limit(0.2, FileTimeout):
        for _ in range(100):
            try:
                with time_limit(10):  # a page limit longer than what is left of the file's
                    time.sleep(0.05)
            except Exception:  # a reader's broad handler around a page
                pass
    assert time.monotonic() - start < 2
    with pytest.raises(PageTimeout), time_limit(10, FileTimeout), time_limit(0.05):
        time.sleep(1)
