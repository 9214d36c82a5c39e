"""Readers turn every supported format into one text, with tables as tab-separated rows."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from gongkai.errors import CorruptFileError, EmptyInputError, MissingDependencyError, UnsupportedFormatError
from gongkai.inference import ocr
from gongkai.inference.readers import decode_text, read_bytes, read_path, sniff_media_type
from gongkai.inference.readers import pdf as pdf_reader
from gongkai.inference.readers.docx import read_docx
from gongkai.inference.readers.grid import SpanCell, expand_spans, join_segments
from gongkai.inference.readers.sniff import DOCX, MSWORD, OCTET_STREAM, ZIP
from gongkai.limits import Limits, limits_in_force

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REAL = SHARED / "corpus" / "real"
ROW_LABEL = "本年新收政府信息公开申请数量"
CJK_FONT = "STSong-Light"
# A 10 KB text must read in well under a millisecond; the best of a few runs is compared.


def _real(name: str) -> Path:
    """A file of the shared real corpus; these tests need ../shared next to the repository."""
    path = REAL / name
    if not path.is_file():
        pytest.fail(f"../shared is required for the real-file reader tests (missing {path})")
    return path


def _html(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def _lines(text: str) -> list[str]:
    return text.split("\n")


# --- text and encodings -------------------------------------------------------------------


def test_plain_utf8_keeps_characters_and_normalises_newlines() -> None:
    source = "一、总体情况\r\n\u3000\u3000共收到申请\u00a012件。\r其他事项\n"
    doc = read_bytes(source.encode("utf-8"), "report.txt")
    assert doc.media_type == "text/plain"
    assert doc.encoding == "utf-8"
    assert doc.text == "一、总体情况\n\u3000\u3000共收到申请\u00a012件。\n其他事项\n"
    assert doc.pages is None and doc.page_starts == [] and doc.structured_tables == 0


def test_stray_nul_characters_are_removed() -> None:
    prose = "本年度共收到政府信息公开申请12件，均已按时答复。\n" * 10
    doc = read_bytes(f"{prose}其他\x00事项".encode())
    assert doc.text == f"{prose}其他事项"


def test_utf8_bom_is_removed() -> None:
    doc = read_bytes("\ufeff政府信息公开".encode("utf-8-sig"))
    assert (doc.text, doc.encoding) == ("政府信息公开", "utf-8-sig")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
    doc = read_bytes(bom + "政府信息公开 2024\r\n第二行".encode(codec))
    assert doc.text == "政府信息公开 2024\n第二行"
    assert doc.encoding == codec


def test_gbk_text_without_declaration() -> None:
    source = "泉港区科学技术局2024年度政府信息公开工作年度报告\n本年新收申请3件。"
    doc = read_bytes(source.encode("gbk"), "report.txt")
    assert doc.text == source
    assert doc.encoding == "gb18030"


def test_decode_text_returns_text_and_encoding() -> None:
    assert decode_text("申请".encode("gbk")) == ("申请", "gb18030")
    assert decode_text("申请".encode()) == ("申请", "utf-8")


def test_markdown_detected_from_content_not_extension() -> None:
    table = "## 三、收到和处理申请\n\n| 项目 | 总计 |\n|---|---|\n| 本年新收 | 5 |\n"
    doc = read_bytes(table.encode(), "report.txt")
    assert doc.media_type == "text/markdown"
    assert doc.text == table
    assert read_bytes("# 标题\n正文".encode()).media_type == "text/markdown"
    assert read_bytes("甲|乙|丙\n正文".encode()).media_type == "text/plain"
    assert read_bytes("正文".encode(), "r.md").media_type == "text/markdown"


# --- errors and sniffing ------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b" \r\n\t ", "\u3000\n".encode(), b"\xef\xbb\xbf", b"\xff\xfe \x00"])
def test_empty_input(data: bytes) -> None:
    with pytest.raises(EmptyInputError):
        read_bytes(data)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_binary_is_unsupported(seed: int) -> None:
    data = random.Random(seed).randbytes(4096)
    with pytest.raises(UnsupportedFormatError, match="binary"):
        read_bytes(data, "report.txt")
    assert sniff_media_type(data) == OCTET_STREAM


def test_nul_bytes_are_binary() -> None:
    with pytest.raises(UnsupportedFormatError, match="NUL"):
        read_bytes(b"abc\x00\x00\x00def\x00" * 20)


@pytest.mark.parametrize(
    ("header", "media_type"),
    [
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
    ],
)
def test_images_are_sniffed_and_a_damaged_one_is_a_clear_error(header: bytes, media_type: str) -> None:
    data = header + bytes(range(256))
    assert sniff_media_type(data, "scan.pdf") == media_type
    with pytest.raises(CorruptFileError, match="damaged or truncated image"):
        read_bytes(data)


def test_images_without_the_ocr_extra_say_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise MissingDependencyError(ocr.INSTALL_HINT)

    monkeypatch.setattr(ocr, "_engine", missing)
    with pytest.raises(MissingDependencyError, match=r"pip install 'gongkai\[ocr\]'"):
        read_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))


def test_old_doc_is_unsupported_with_advice() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
    assert sniff_media_type(data, "report.doc") == MSWORD
    with pytest.raises(UnsupportedFormatError, match=r"\.docx or PDF"):
        read_bytes(data, "report.doc")


def test_zip_that_is_not_docx() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    assert sniff_media_type(buffer.getvalue()) == ZIP
    with pytest.raises(UnsupportedFormatError, match=r"not a Word \.docx"):
        read_bytes(buffer.getvalue(), "report.docx")


def test_content_beats_extension() -> None:
    assert sniff_media_type(_pdf_bytes(["政府信息公开"]), "report.html") == "application/pdf"
    assert sniff_media_type(_html("<p>正文</p>").encode(), "report.txt") == "text/html"
    assert sniff_media_type("<b>加粗</b>说明".encode(), "page.htm") == "text/html"
    assert sniff_media_type("<b>加粗</b>说明".encode(), "note.txt") == "text/plain"


# --- HTML ---------------------------------------------------------------------------------


def test_html_meta_charset_gbk() -> None:
    page = _html("<p>政府信息公开工作年度报告</p>", '<meta charset="gbk">')
    doc = read_bytes(page.encode("gbk"))
    assert doc.media_type == "text/html"
    assert doc.text == "政府信息公开工作年度报告"
    assert doc.encoding == "gb18030"


def test_html_http_equiv_gb2312() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    doc = read_bytes(_html("<p>行政复议</p><p>结果维持</p>", head).encode("gb2312"))
    assert doc.text == "行政复议\n结果维持"


def test_html_gbk_without_declaration() -> None:
    doc = read_bytes(_html("<p>收到和处理政府信息公开申请情况</p>").encode("gbk"))
    assert doc.text == "收到和处理政府信息公开申请情况"
    assert doc.encoding == "gb18030"


@pytest.mark.parametrize(
    ("declared", "codec"),
    [("gbk", "utf-8"), ("utf-8", "gbk"), ("big5", "utf-8"), ("utf-16", "gbk")],
)
def test_wrong_meta_charset_does_not_make_mojibake(declared: str, codec: str) -> None:
    body = "<p>本年新收政府信息公开申请数量，上年结转政府信息公开申请数量。</p>"
    doc = read_bytes(_html(body, f'<meta charset="{declared}">').encode(codec))
    assert doc.text == "本年新收政府信息公开申请数量，上年结转政府信息公开申请数量。"


def test_html_rowspan_colspan_expand_to_empty_cells() -> None:
    table = """
    <table>
      <tr><td rowspan="2">甲</td><td colspan="2">乙</td><td>丙</td></tr>
      <tr><td>丁</td><td>戊</td><td rowspan="2">己</td></tr>
      <tr><td colspan="3">庚</td></tr>
    </table>"""
    doc = read_bytes(_html(table).encode())
    assert _lines(doc.text) == ["甲\t乙\t\t丙", "\t丁\t戊\t己", "庚\t\t\t"]
    assert doc.structured_tables == 1


def test_html_cell_line_breaks_join_cjk_without_space() -> None:
    table = """
    <table><tr>
      <th>结果<br>维持</th><th><p>商业</p><p>企业</p></th><th>Total<br/>2019</th>
      <td>  12 &nbsp;</td><td>总计<br>(件)</td>
    </tr></table>"""
    doc = read_bytes(_html(table).encode())
    assert doc.text == "结果维持\t商业企业\tTotal 2019\t12\t总计 (件)"


def test_html_nested_table_rows_are_own_lines() -> None:
    table = """
    <table>
      <tr><td>申请人情况</td><td>
        <table><tr><td>商业企业</td><td>科研机构</td></tr><tr><td>3</td><td>4</td></tr></table>
      </td></tr>
      <tr><td>总计</td><td>7</td></tr>
    </table>"""
    doc = read_bytes(_html(table).encode())
    assert _lines(doc.text) == ["申请人情况\t", "商业企业\t科研机构", "3\t4", "总计\t7"]
    assert doc.structured_tables == 2


def test_html_single_column_layout_table_keeps_paragraphs() -> None:
    page = """
    <table><tr><td>
      <p>一、总体情况</p><p>正文第一段。</p>
      <table><tr><td>规章</td><td>1</td></tr></table>
    </td></tr></table>"""
    doc = read_bytes(_html(page).encode())
    assert _lines(doc.text) == ["一、总体情况", "正文第一段。", "规章\t1"]
    assert doc.structured_tables == 1


def test_html_word_markup_and_chrome() -> None:
    page = _html(
        """
        <script>var x = "脚本";</script><style>p {color: red}</style><noscript>请启用</noscript>
        <p class=MsoNormal><span style='mso-bidi-font-size:10.5pt'>一、</span><span>总体
        情况</span><o:p></o:p></p>
        <div>第一行&nbsp;&nbsp;&nbsp;with   spaces<br>第二行</div>
        <!-- 注释 -->
        <table><tr><td><p><span>自然</span><span>人</span><o:p>&nbsp;</o:p></p></td>
        <td><p><o:p>&nbsp;</o:p></p></td><td><span lang=EN-US>26<o:p></o:p></span></td></tr></table>
        <ul><li>甲</li><li>乙</li></ul>
        """,
        "<title>年度报告</title>",
    )
    doc = read_bytes(page.encode())
    assert _lines(doc.text) == [
        "年度报告", "一、总体情况", "第一行 with spaces", "第二行", "自然人\t\t26", "甲", "乙",
    ]


def test_html_broken_markup() -> None:
    page = "<html><body><p>标题<table><tr><td>规章<td>1<tr><td>规范性文件<td>2</table><p>结尾"
    doc = read_bytes(page.encode())
    assert _lines(doc.text) == ["标题", "规章\t1", "规范性文件\t2", "结尾"]


def test_html_deeply_nested_markup_is_read_whole() -> None:
    depth = 300  # beyond libxml2's default nesting limit of 256
    page = _html("<p>首</p>" + "<div><span>" * depth + "深" + "</span></div>" * depth + "<p>尾</p>")
    doc = read_bytes(page.encode())
    assert _lines(doc.text) == ["首", "深", "尾"]
    assert doc.warnings == []


def test_html_pre_keeps_spacing_and_stray_table_text_comes_first() -> None:
    page = _html(
        "<pre>规章      1    0\n规范性文件  8    0</pre>"
        "<table><caption>表二</caption>说明<tr><td>行政许可</td><td>3</td></tr></table>"
    )
    doc = read_bytes(page.encode())
    assert _lines(doc.text) == ["规章      1    0", "规范性文件  8    0", "表二", "说明", "行政许可\t3"]


def test_html_without_text_is_empty() -> None:
    with pytest.raises(EmptyInputError):
        read_bytes(_html("<script>var a = 1;</script><div> </div>").encode())


def test_expand_spans_clamps_and_covers() -> None:
    rows = [[SpanCell("a", rowspan=0), SpanCell("b", colspan=2)], [SpanCell("c")], [SpanCell("d")]]
    assert expand_spans(rows) == [["a", "b", None], [None, "c", None], [None, "d", None]]
    assert join_segments(["  结果 ", "", "维持", "2019", "年"]) == "结果维持 2019 年"


# --- docx ---------------------------------------------------------------------------------


def _docx_bytes(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _sample_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(0, 0).text = "申请人情况"
    table.cell(0, 2).text = "总计"
    label = table.cell(1, 0).paragraphs[0]
    label.add_run("结果")
    label.add_run().add_break()
    label.add_run("维持")
    table.cell(1, 1).text = "5"
    table.cell(1, 2).text = "5"
    table.cell(2, 1).paragraphs[0].add_run("自然")
    table.cell(2, 1).add_paragraph("人")
    table.cell(2, 2).text = "0"
    document.add_paragraph("四、结转下年度继续办理")
    return _docx_bytes(document)


def test_docx_paragraphs_and_merged_table() -> None:
    doc = read_bytes(_sample_docx(), "report.docx")
    assert doc.media_type == DOCX
    assert _lines(doc.text) == [
        "三、收到和处理政府信息公开申请情况",
        "申请人情况\t\t总计",
        "结果维持\t5\t5",
        "\t自然人\t0",
        "四、结转下年度继续办理",
    ]
    assert doc.structured_tables == 1


def test_docx_nested_table() -> None:
    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "行政复议"
    inner = table.cell(0, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "维持"
    inner.cell(0, 1).text = "3"
    doc = read_bytes(_docx_bytes(document))
    assert _lines(doc.text) == ["行政复议\t", "维持\t3"]
    assert doc.structured_tables == 2


def test_spreadsheet_is_not_read_as_docx() -> None:
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("_rels/.rels", rels)
        archive.writestr("xl/workbook.xml", '<workbook xmlns="urn:x"><sheets/></workbook>')
    with pytest.raises(UnsupportedFormatError, match="not a Word"):
        read_docx(buffer.getvalue(), "book.docx")


def test_truncated_docx_is_corrupt() -> None:
    data = _sample_docx()
    with pytest.raises(CorruptFileError):
        read_bytes(data[: len(data) // 2], "report.docx")
    with pytest.raises(CorruptFileError):
        read_bytes(data[: len(data) // 2])


def test_empty_docx() -> None:
    with pytest.raises(EmptyInputError):
        read_bytes(_docx_bytes(docx.Document()))


# --- PDF ----------------------------------------------------------------------------------


def _pdf_bytes(pages: list[str], encrypt: StandardEncryption | None = None) -> bytes:
    """One line of text per page (empty string: a page with only a drawing), plus a number row."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    buffer = io.BytesIO()
    pdf_canvas = canvas.Canvas(buffer, encrypt=encrypt)
    for title in pages:
        if title:
            pdf_canvas.setFont(CJK_FONT, 12)
            pdf_canvas.drawString(72, 750, title)
            pdf_canvas.drawString(72, 700, ROW_LABEL)
            for x, value in ((330, "21"), (400, "0"), (460, "21")):
                pdf_canvas.drawString(x, 700, value)
        else:
            pdf_canvas.rect(100, 100, 200, 200, fill=1)
        pdf_canvas.showPage()
    pdf_canvas.save()
    return buffer.getvalue()


def test_pdf_text_pages_and_columns() -> None:
    doc = read_bytes(_pdf_bytes(["政府信息公开工作年度报告", "第二页"]), "report.pdf")
    assert doc.media_type == "application/pdf"
    assert doc.pages == 2
    assert len(doc.page_starts) == 2 and doc.page_starts[0] == 0
    second = doc.page_starts[1]
    assert doc.text[second:].lstrip().startswith("第二页")
    assert doc.page_at(doc.text.index("政府信息公开")) == 1
    assert doc.page_at(second) == 2
    row = next(line for line in _lines(doc.text) if ROW_LABEL in line)
    # Pieces of a line a column gap apart stay apart (a lone line is not a table: no tabs).
    assert row.split("\u3000") == [ROW_LABEL, "21", "0", "21"]
    assert all(line == line.rstrip() for line in _lines(doc.text))
    assert doc.warnings == []


def test_truncated_pdf_is_corrupt() -> None:
    data = _pdf_bytes(["政府信息公开工作年度报告"])
    with pytest.raises(CorruptFileError, match="damaged or truncated PDF"):
        read_bytes(data[: len(data) // 2])


def test_encrypted_pdf_is_corrupt() -> None:
    data = _pdf_bytes(["政府信息公开"], encrypt=StandardEncryption("secret", ownerPassword="owner"))
    with pytest.raises(CorruptFileError, match="password"):
        read_bytes(data)


def test_pdf_without_text_layer_and_without_ocr_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise MissingDependencyError(ocr.INSTALL_HINT)

    monkeypatch.setattr(ocr, "_engine", missing)
    doc = read_bytes(_pdf_bytes(["", ""]))
    assert doc.pages == 2
    assert not doc.text.strip()
    assert any(pdf_reader.NO_TEXT_LAYER_WARNING in w for w in doc.warnings)
    assert not doc.ocr
    with pytest.raises(MissingDependencyError, match=r"gongkai\[ocr\]"):
        pdf_reader.read_pdf(_pdf_bytes([""]), ocr=True)


def test_pdf_without_text_layer_with_ocr_switched_off() -> None:
    doc = pdf_reader.read_pdf(_pdf_bytes(["", "政府信息公开"]), ocr=False)
    assert "政府信息公开" in doc.text
    assert "1 of 2 pages: no text layer (OCR switched off)" in doc.warnings


def test_pdf_page_limit() -> None:
    with limits_in_force(Limits(max_pages=1)):
        doc = read_bytes(_pdf_bytes(["第一页", "第二页"]))
    assert doc.pages == 2
    assert doc.page_starts == [0]
    assert "第二页" not in doc.text
    assert any("first 1 of 2 pages" in warning for warning in doc.warnings)


# --- real files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["r002.html", "r008.html"])
def test_real_html_table_rows(name: str) -> None:
    doc = read_path(_real(name))
    assert doc.media_type == "text/html"
    assert doc.structured_tables >= 1
    rows = [line for line in _lines(doc.text) if ROW_LABEL in line]
    assert rows, f"{name}: no line holds {ROW_LABEL}"
    cells = rows[0].split("\t")
    assert len(cells) > 2
    assert any(cell.strip().isdigit() for cell in cells)
    assert "\n\n\n" not in doc.text


@pytest.mark.parametrize("name", ["r001.pdf", "r003.pdf", "r004.pdf"])
def test_real_pdfs(name: str) -> None:
    doc = read_path(_real(name))
    assert doc.media_type == "application/pdf"
    assert doc.pages is not None and doc.pages >= 1
    assert len(doc.page_starts) == doc.pages
    assert "政府信息公开" in doc.text
    assert doc.warnings == []


@pytest.mark.parametrize("name", ["r005.md", "r007.txt", "r009.txt"])
def test_real_text_files_round_trip(name: str) -> None:
    path = _real(name)
    doc = read_path(path)
    expected = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    assert doc.text == expected.removeprefix("\ufeff")
    assert doc.media_type in ("text/plain", "text/markdown")


def test_random_bytes_are_binary_even_though_gb18030_decodes_anything() -> None:
    rng = random.Random(3)
    data = bytes(rng.randrange(1, 256) for _ in range(4096))  # no NUL bytes at all
    with pytest.raises(UnsupportedFormatError, match="binary data"):
        read_bytes(data, "junk.txt")
