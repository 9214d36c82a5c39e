"""PDF and scanned reports end to end: generated PDFs of every table layout, scans, images, real PDFs,
and reports typed as text and printed to PDF (read both ways: page layout and plain text).

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
from gongkai.inference import ocr, readings
from gongkai.inference.readers import pdf as pdf_reader
from gongkai.inference.readers import read_bytes
from gongkai.inference.readers.timeout import PageTimeout, time_limit
from gongkai.report import Cell, Report
from gongkai.training import synth
from gongkai.training.calibrate import graded_cells
from gongkai.training.synth import random_values
from gongkai.training.synth_pdf import (
    PdfOptions,
    TextPdfOptions,
    expand_tabs,
    generate_pdfs,
    generate_text_pdfs,
    has_cjk_font,
    page_images,
    render_pdf,
    render_text_pdf,
    scan_pdf,
    text_layouts,
    wrap_typed_line,
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
    assert len(_cells_in_their_boxes(report, item.data)) > 50


def _cells_in_their_boxes(report: Report, data: bytes) -> list[tuple[str, Cell]]:
    """Every cell read: its box lies on its page and holds exactly the characters it was read from."""
    checked: list[tuple[str, Cell]] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for path, cell in report.table_cells():
            if cell.value is None or cell.raw is None:
                continue
            assert cell.page is not None and cell.bbox is not None, path
            page = pdf.pages[cell.page - 1]
            x0, top, x1, bottom = cell.bbox
            assert 0 <= x0 < x1 <= page.width and 0 <= top < bottom <= page.height
            printed = page.within_bbox(cell.bbox).extract_text().replace("\n", "").replace(" ", "")
            assert printed == cell.raw.replace(" ", ""), (path, printed, cell.raw)
            checked.append((path, cell))
    return checked


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


# ---------------------------------------------------------------- reports typed as text, printed to PDF
TABLE_NAMES = readings.TABLE_NAMES


def _forced(monkeypatch: pytest.MonkeyPatch, kept: str | None) -> None:
    """Make the pipeline keep one reading for every table (None: its own choice)."""
    if kept is None:
        monkeypatch.setattr(readings, "choose", _REAL_CHOOSE)
        return

    def forced(table: str, layout: readings.Reading, plain: readings.Reading) -> readings.Choice:
        return readings.Choice(table, kept, "forced", "", "", False)

    monkeypatch.setattr(readings, "choose", forced)


_REAL_CHOOSE = readings.choose


def _three_ways(monkeypatch: pytest.MonkeyPatch, data: bytes) -> dict[str, Report]:
    out = {}
    for name, kept in (("layout", readings.LAYOUT), ("plain", readings.PLAIN), ("kept", None)):
        _forced(monkeypatch, kept)
        out[name] = gongkai.extract(data, path="typed.pdf", sentences=False, checks=False)
    _forced(monkeypatch, None)
    return out


def _right(report: Report, item) -> int:  # type: ignore[no-untyped-def]
    return sum(ok for _, _, ok in graded_cells(report, item))


def _table_values(report: Report, table: str) -> list[object]:
    return [c.value for p, c in report.table_cells() if p.startswith(table + ".")]


def test_wrapping_and_tabs_print_the_way_a_word_processor_does() -> None:
    assert expand_tabs("规章\t0\t12", 4) == "规章    0   12"
    assert expand_tabs("\t商业", 8) == " " * 8 + "商业"
    # Never inside a number or Latin word; spaces at the break are swallowed; CJK breaks anywhere.
    assert wrap_typed_line("申请数量   1234   5678", 15) == ["申请数量   1234", "5678"]
    assert wrap_typed_line("一二三四五六七八", 6) == ["一二三", "四五六", "七八"]
    assert wrap_typed_line("1234567", 3) == ["123", "456", "7"]  # a word wider than the line is cut


@pytest.mark.parametrize("layout", ["blank_lines", "flattened"])
def test_the_plain_reading_of_a_typed_pdf_is_the_typed_text(layout: str) -> None:
    # Blank lines (cell separators in blank_lines), lines a word processor wrapped (a whole table
    # on one line in flattened) and page breaks come back as they were typed.
    rng = random.Random(4)
    typed = synth.render(random_values(rng), layout, rng)
    assert typed.text is not None
    pdf = render_text_pdf(typed.text, TextPdfOptions(font_size=10.5, tab_stop=8))
    doc = read_bytes(pdf, "typed.pdf")
    assert doc.plain is not None and doc.pages is not None and doc.pages > 1
    lines = [line.rstrip() for line in typed.text.rstrip("\n").split("\n")]
    assert doc.plain.text.rstrip("\n").split("\n") == lines


@pytest.mark.parametrize("layout", text_layouts())
def test_text_typed_pdfs_read_at_least_what_the_plain_reading_gets(monkeypatch: pytest.MonkeyPatch,
                                                                   layout: str) -> None:
    item = next(generate_text_pdfs(1, seed=7, layouts=(layout,)))
    assert item.layout == f"pdf-text-{layout}" and item.data is not None
    reports = _three_ways(monkeypatch, item.data)
    right = {name: _right(report, item) for name, report in reports.items()}
    assert right["kept"] >= right["plain"], right
    assert right["kept"] >= right["layout"], right
    kept = reports["kept"]
    for table, name in TABLE_NAMES.items():
        layout_values, plain_values = (_table_values(reports[r], table) for r in ("layout", "plain"))
        notes = [w for w in kept.warnings if w.startswith(f"{name} read from")]
        if layout_values == plain_values:
            assert notes == [], (table, notes)
            continue
        # The readings disagree: the report says which one it kept, and kept that one.
        assert len(notes) == 1, (table, kept.warnings)
        from_plain = "as plain text (" in notes[0] and "read from the PDF text layer" in notes[0]
        assert _table_values(kept, table) == (plain_values if from_plain else layout_values), notes[0]


def test_text_typed_pdfs_read_better_than_the_layout_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tab- and space-separated tables typed as text have no spatial grid: the layout step cuts
    # their printed lines into the wrong cells; the plain reading gets them right.
    right = {"layout": 0, "kept": 0}
    total = plain_kept = 0
    for item in generate_text_pdfs(2, seed=3, layouts=("tsv", "space_aligned")):
        assert item.data is not None
        reports = _three_ways(monkeypatch, item.data)
        for name in right:
            right[name] += _right(reports[name], item)
        total += len(graded_cells(reports["kept"], item))
        plain_kept += sum("read from the PDF text layer as plain text" in w for w in reports["kept"].warnings)
    assert right["kept"] == total, right
    assert right["layout"] < total
    assert plain_kept >= 2


def test_a_ruled_grid_pdf_keeps_the_layout_reading() -> None:
    for seed in range(3):
        item = _pdf(seed, PdfOptions("ruled", table_offset=100.0 * seed))
        assert item.data is not None
        report = gongkai.extract(item.data, sentences=False)
        assert not any("as plain text (" in w and "PDF text layer" in w for w in report.warnings), report.warnings
        assert _wrong(item) == []


def test_cells_of_either_reading_know_their_page_box_and_span(monkeypatch: pytest.MonkeyPatch) -> None:
    # 表三 of a typed TSV is kept from the plain reading, 表二 of a ruled PDF from the layout one.
    typed = next(generate_text_pdfs(1, seed=2, layouts=("tsv",)))
    ruled = _pdf(3, PdfOptions("ruled"))
    checked = 0
    for item in (typed, ruled):
        assert item.data is not None
        report = gongkai.extract(item.data, sentences=False)
        if item is typed:
            assert any(w.startswith("表三 read from the PDF text layer as plain text") for w in report.warnings)
        spans = 0
        for _, cell in (cells := _cells_in_their_boxes(report, item.data)):
            if cell.span is not None and cell.raw is not None:
                spans += 1
                assert report.text[cell.span[0]:cell.span[1]].replace(" ", "") == cell.raw.replace(" ", "")
        checked += len(cells)
        values = sum(1 for _, c in report.table_cells() if c.value is not None)
        assert spans >= 0.95 * values, (item.layout, spans, values)
    assert checked > 300


def _identities_held(report: Report) -> int:
    cells = dict(report.table_cells())
    held = 0
    single = report.format_version == "2019" or any(
        c.value is not None for _, c in report.requests.other_processing.cells())
    for table in ("requests", "appeals"):
        for left, right in readings.identities(table, report.format_version, single):
            values = [cells[p].value for p in (*left, *right)]
            if None not in values and sum(values[:len(left)]) == sum(values[len(left):]):
                held += 1
    return held


@pytest.mark.parametrize("name", ["r001.pdf", "r003.pdf", "r004.pdf"])
def test_real_pdfs_are_not_read_worse_than_by_the_layout_alone(monkeypatch: pytest.MonkeyPatch, corpus_dir,
                                                              name: str) -> None:  # type: ignore[no-untyped-def]
    reports = _three_ways(monkeypatch, (corpus_dir / name).read_bytes())
    layout, kept = reports["layout"], reports["kept"]

    def found(report: Report) -> set[str]:
        return {t for t in TABLE_NAMES if any(v is not None for v in _table_values(report, t))}

    assert found(layout) == {"proactive", "requests", "appeals"}
    assert found(kept) >= found(layout)
    assert _identities_held(kept) >= _identities_held(layout)
    for table, table_name in TABLE_NAMES.items():
        if _table_values(kept, table) != _table_values(layout, table):
            assert any(w.startswith(f"{table_name} read from") for w in kept.warnings), table
    assert all(c.page is not None and c.bbox is not None for _, c in kept.table_cells() if c.value is not None)
