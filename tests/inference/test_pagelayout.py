"""Page layout from positioned text: lines, ruled grids, unruled columns, running lines, repeated headers."""

from __future__ import annotations

from gongkai.inference.readers.pagelayout import (
    Edge,
    PageLayout,
    PageLine,
    Segment,
    Token,
    assemble,
    drop_repeated_headers,
    drop_running_lines,
    find_grids,
    group_lines,
    join_run,
    layout_page,
    split_runs,
)

H = 10.0  # text height of the fixtures, in points


def chars(text: str, x: float, top: float, width: float = H, gap: float = 0.0) -> list[Token]:
    """One token per character, laid left to right like a text layer."""
    out = []
    for ch in text:
        w = width if ord(ch) > 0x2E80 else width / 2
        out.append(Token(ch, x, top, x + w, top + H))
        x += w + gap
    return out


def box(x0: float, top: float, x1: float, bottom: float) -> list[Edge]:
    return [Edge(x0, top, x1, top), Edge(x0, bottom, x1, bottom), Edge(x0, top, x0, bottom), Edge(x1, top, x1, bottom)]


def test_lines_group_by_height_and_keep_latin_spaces() -> None:
    tokens = chars("电话", 100, 100) + chars("0517", 125, 101) + chars("下一行", 100, 120)
    lines = group_lines(tokens)
    assert [len(line) for line in lines] == [6, 3]
    assert join_run(chars("ab", 0, 0) + chars("cd", 14, 0)) == "ab cd"  # a word gap between Latin letters
    assert join_run(chars("共", 0, 0) + chars("10", 12, 0) + chars("件", 22, 0)) == "共10件"


def test_a_column_gap_splits_a_line_into_cells() -> None:
    line = chars("行政许可", 72, 100) + chars("288", 300, 100) + chars("12", 360, 100)
    runs = split_runs(sorted(line, key=lambda t: t.x0))
    assert ["".join(t.text for t in run) for run in runs] == ["行政许可", "288", "12"]
    # A number close after a label that fills its column is still its own cell.
    close = chars("合法权益", 72, 100) + chars("10", 72 + 4 * H + 6, 100)
    assert len(split_runs(close)) == 2


def test_ruled_grid_with_merged_cells_keeps_columns() -> None:
    # Row 0: a header spanning two value columns; rows 1-2: a label spanning both rows, then values.
    edges = box(0, 0, 300, 60)
    edges += [Edge(100, 0, 100, 60), Edge(200, 20, 200, 60), Edge(100, 20, 300, 20), Edge(100, 40, 300, 40)]
    grids = find_grids(edges)
    assert len(grids) == 1
    grid = grids[0]
    assert (grid.n_rows, grid.n_cols) == (3, 3)
    spans = sorted((c.row, c.col, c.rowspan, c.colspan) for c in grid.cells)
    assert (0, 0, 3, 1) in spans and (0, 1, 1, 2) in spans
    tokens = chars("不予公开", 10, 25) + chars("申请人", 150, 5) + chars("3", 140, 25) + chars("4", 240, 45)
    page = layout_page(1, 595, 842, tokens, edges)
    rows = [line.text for line in page.lines]
    assert rows == ["不予公开\t申请人\t", "\t3\t", "\t\t4"]
    assert page.ruled_tables == 1


def test_ocr_box_running_over_a_rule_is_cut_at_the_rule() -> None:
    edges = box(0, 0, 200, 20) + [Edge(100, 0, 100, 20)]
    token = Token("本年新制作本年新公开", 5, 5, 195, 15, 0.9)
    page = layout_page(1, 595, 842, [token], edges)
    assert page.lines[0].text == "本年新制作\t本年新公开"
    assert page.lines[0].segments[1].confidence == 0.9


def test_unruled_table_keeps_blank_cells_in_their_column_and_wrapped_labels_together() -> None:
    tokens: list[Token] = []
    tokens += chars("一、本年新收申请", 72, 100) + chars("5", 300, 100) + chars("7", 350, 100) + chars("12", 400, 100)
    tokens += chars("二、上年结转申请", 72, 115) + chars("1", 300, 115) + chars("1", 400, 115)  # blank middle cell
    tokens += chars("三、很长很长的标签文字一直写到了列的尽头", 72, 130) + chars("0", 300, 130) + chars("0", 350, 130)
    tokens += chars("0", 400, 130)
    tokens += chars("换行", 72, 141)  # the rest of the label above, which filled its column
    page = layout_page(1, 595, 842, tokens)
    rows = [line.text for line in page.lines]
    assert rows[1] == "二、上年结转申请\t1\t\t1"
    assert rows[2] == "三、很长很长的标签文字一直写到了列的尽头换行\t0\t0\t0"
    assert all(line.kind == "row" for line in page.lines)


def test_reread_fills_a_cell_the_first_read_missed() -> None:
    edges = box(0, 0, 200, 20) + [Edge(100, 0, 100, 20)]
    asked: list[tuple[float, ...]] = []

    def reread(bbox: tuple[float, float, float, float]) -> Token | None:
        asked.append(bbox)
        return Token("0", bbox[0] + 40, 5, bbox[0] + 45, 15, 0.8)

    page = layout_page(1, 595, 842, chars("规章", 10, 5), edges, reread)
    assert page.lines[0].text == "规章\t0"
    assert len(asked) == 1 and asked[0][0] == 100


def _page(number: int, lines: list[tuple[str, float, str]]) -> PageLayout:
    out = []
    for text, top, kind in lines:
        cells = text.split("\t")
        out.append(PageLine([Segment(c, (72, top, 300, top + H)) for c in cells], top, top + H, kind=kind))
    return PageLayout(number, 595, 842, out)


def test_running_headers_footers_and_page_numbers_are_dropped() -> None:
    pages = [_page(n, [("某局2023年政府信息公开工作年度报告", 40, "text"), (f"正文第{n}页", 300, "text"),
                       (f"— {n} —", 800, "text")]) for n in (1, 2, 3)]
    assert drop_running_lines(pages) == 6
    assert [[line.text for line in p.lines] for p in pages] == [["正文第1页"], ["正文第2页"], ["正文第3页"]]


def test_a_table_header_repeated_on_the_next_page_is_read_once() -> None:
    first = _page(1, [("三、收到和处理政府信息公开申请情况", 600, "text"), ("\t申请人情况", 620, "row"),
                      ("\t自然人\t总计", 640, "row"), ("一、本年新收\t3\t3", 660, "row")])
    second = _page(2, [("\t申请人情况", 80, "row"), ("\t自然人\t总计", 100, "row"), ("二、上年结转\t0\t0", 120, "row")])
    assert drop_repeated_headers([first, second]) == 2
    assert [line.text for line in second.lines] == ["二、上年结转\t0\t0"]
    # OCR may read the repeat slightly differently: （一） for (一) is still the same row.
    third = _page(1, [("第二十条第（一）项", 600, "row"), ("规章\t1\t2\t3", 620, "row")])
    fourth = _page(2, [("第二十条第(一)项", 80, "row"), ("行政许可\t5", 100, "row")])
    assert drop_repeated_headers([third, fourth]) == 1


def test_assemble_records_a_box_for_every_cell() -> None:
    page = _page(1, [("规章\t1\t\t3", 100, "row")])
    page.lines[0].segments[2].text = ""
    text, starts, boxes = assemble([page])
    assert text == "规章\t1\t\t3\n" and starts == [0]
    assert [text[b.start:b.end] for b in boxes] == ["规章", "1", "3"]
    assert all(b.page == 1 for b in boxes)


def test_an_unruled_table_is_read_again_when_that_finds_more_numbers() -> None:
    tokens = chars("一、本年新收申请", 72, 100) + chars("5", 300, 100) + chars("12", 400, 100)
    tokens += chars("二、上年结转申请", 72, 115) + chars("1", 300, 115) + chars("1", 400, 115)
    asked: list[tuple[float, ...]] = []

    def read_region(bbox: tuple[float, float, float, float]) -> list[Token]:
        asked.append(bbox)
        again = [t for t in tokens if t.text not in "512"] + chars("5", 300, 100) + chars("7", 350, 100)
        return again + chars("12", 400, 100) + chars("1", 300, 115) + chars("0", 350, 115) + chars("1", 400, 115)

    page = layout_page(1, 595, 842, tokens, read_region=read_region)
    assert len(asked) == 1 and asked[0][0] < 72 and asked[0][2] > 400
    assert [line.text for line in page.lines] == ["一、本年新收申请\t5\t7\t12", "二、上年结转申请\t1\t0\t1"]
    # Nothing better found: the first reading stays.
    page = layout_page(1, 595, 842, tokens, read_region=lambda bbox: [])
    assert [line.text for line in page.lines] == ["一、本年新收申请\t5\t12", "二、上年结转申请\t1\t1"]
