"""Row alignment to the template and value-to-column assignment."""

from __future__ import annotations

from gongkai.inference.tables.align import assign_by_columns, assign_slots, group_rows, value_columns
from gongkai.inference.tables.read import REQUEST_MATCHER, align_rows
from gongkai.inference.tables.template import REQUEST_ROWS
from gongkai.inference.tables.tokens import tokenize


def test_assign_slots_positions_blank_cells_in_a_tab_row() -> None:
    row = group_rows(tokenize("表头\n\t\t\t\t\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t\n").tokens)[-1]
    slots = assign_slots(row, 15)
    assert [s.value for s in slots] == [None] * 5 + [0] * 10


def test_a_markdown_row_whose_last_cell_is_blank_keeps_its_values_in_their_columns() -> None:
    """Labels spanning three pipe cells leave empty cells before the values; a blank 总计 leaves one
    after them. Dropping the trailing empty first put the blank under 自然人 and shifted the row."""
    full = "| 一、本年新收 | | | 3 | 1 | 0 | 0 | 0 | 0 | 4 |\n"
    rows_text = full * 3 + "| | （七）总计 | | 7 | 0 | 0 | 0 | 0 | 0 | |\n"
    rows = group_rows(tokenize(rows_text).tokens, 7)
    columns = value_columns(rows, 7)
    assert columns is not None and len(columns) == 7
    last = rows[-1]
    assert [s.value for s in assign_slots(last, 7, columns)] == [7, 0, 0, 0, 0, 0, None]
    assert [s.value for s in assign_slots(last, 7)] == [None, 7, 0, 0, 0, 0, 0]  # by position alone
    assert value_columns(rows[-1:], 7) is None  # no full row agrees on columns: none are assumed


def test_ragged_full_rows_leave_the_columns_to_the_rows_that_print_every_cell() -> None:
    """Markdown exports print full rows ragged (values from the second cell, empties after) and
    rows with blanks on the grid: the grid's last cells are the value columns."""
    ragged = "| 一、本年新收 | 4 | 4 | 1 | 0 | 3 | 1 | 13 | | |\n"
    blanks = "| | | | 0 | | 0 | 0 | 0 | 0 | 0 |\n" * 3
    last = "| | 二、上年结转 | | 0 | 0 | 0 | 0 | 0 | 0 | |\n"
    rows = group_rows(tokenize(ragged + blanks + last).tokens, 7)
    columns = value_columns(rows, 7)
    assert columns == [3, 4, 5, 6, 7, 8, 9]
    assert [s.value for s in assign_slots(rows[-1], 7, columns)] == [0, 0, 0, 0, 0, 0, None]


def test_assign_slots_pads_a_short_row_and_says_so() -> None:
    row = group_rows(tokenize("规章\t1\t2\n").tokens)[0]
    slots = assign_slots(row, 3)
    assert [s.value for s in slots] == [1, 2, None]
    assert slots[2].method == "padded"


def test_alignment_gives_unlabelled_rows_the_template_row_their_position_implies() -> None:
    text = (
        "一、本年新收政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1\n"
        "二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0\n"
        "（一）予以公开\t1\t0\t0\t0\t0\t0\t1\n"
        "\t2\t0\t0\t0\t0\t0\t2\n"  # label lost: must be 部分公开
        "1.属于国家秘密\t0\t0\t0\t0\t0\t0\t0\n"
    )
    rows = group_rows(tokenize(text).tokens)
    aligned = align_rows(rows, REQUEST_MATCHER, len(REQUEST_ROWS), 7)
    keys = {REQUEST_ROWS[i].key: row for i, (row, _) in aligned.items()}
    assert [t.text for t in keys["partially_granted"].values if t.kind == "number"][0] == "2"
    assert set(keys) == {"new_received", "carried_over", "granted", "partially_granted", "denied_state_secret"}


def test_header_total_without_values_does_not_take_the_total_row() -> None:
    text = "自然人\t总计\n\t\n（七）总计\t5\t0\t0\t0\t0\t0\t5\n"
    rows = group_rows(tokenize(text).tokens)
    aligned = align_rows(rows, REQUEST_MATCHER, len(REQUEST_ROWS), 7)
    total_index = [r.key for r in REQUEST_ROWS].index("total")
    assert aligned[total_index][0].values[0].text == "5"


def test_a_group_label_in_a_cell_of_its_own_moves_the_row_under_its_header() -> None:
    """Shredded Markdown prints "（三）不予公开" in a cell before the row's own label: its values sit a
    cell to the right of the header's columns (read under them, 0 | blank | blank … became blank | 0 …)."""
    header = "| 申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n"
    row_text = "| （三）不予公开 | 1.属于国家秘密 | 0 |  |  | 0 | 0 | 0 |  |\n"
    rows = group_rows(tokenize(header + row_text).tokens, 7)
    row = rows[-1]
    assert [s.value for s in assign_by_columns(row, [1, 2, 3, 4, 5, 6, 7]) or []] == [0, None, None, 0, 0, 0, None]


def test_a_line_of_empty_cells_above_the_values_is_not_part_of_their_row() -> None:
    """Shredded Markdown prints 表四's empty sub-header row, then the values with a blank last cell:
    counting the empty line's cells as the row's shifted every value one column right."""
    from gongkai.inference.tables.read import read_tables
    from gongkai.report import Report

    text = ("四、政府信息公开行政复议、行政诉讼情况\n\n"
            "|" + " 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |" * 3 + "\n"
            "|" + "---|" * 15 + "\n"
            "|" + "  |" * 15 + "\n"
            "| 5 | 0 | 0 | 31 | 36 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |  |\n\n五、存在的主要问题及改进情况\n")
    report = Report(text=text)
    read_tables(text, report)
    values = [c.value for p, c in report.table_cells() if p.startswith("appeals.")]
    assert values == [5, 0, 0, 31, 36, *[0] * 9, None]
