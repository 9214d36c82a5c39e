"""Every text layout reduces to the same token stream (labels, numbers, empty cells, digit runs)."""

from __future__ import annotations

from gongkai.inference.tables.tokens import tokenize


def kinds_and_texts(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text).tokens]


def test_tab_separated_row_keeps_empty_cells_and_drops_trailing_tab() -> None:
    toks = kinds_and_texts("\t\t\t0\t5\t\n")
    assert toks == [("empty", ""), ("empty", ""), ("empty", ""), ("number", "0"), ("number", "5")]


def test_tab_cells_layout_drops_leading_tab_and_joins_wrapped_header() -> None:
    text = "\t信息内容\n\t商业\n企业\n\t科研\n机构\n\n\t规章\n\t 0\n\t0 \n\t\n"
    toks = kinds_and_texts(text)
    assert ("label", "商业企业") in toks and ("label", "科研机构") in toks
    assert toks[-3:] == [("number", "0"), ("number", "0"), ("empty", "")]


def test_markdown_pipes_skip_separator_rows_and_keep_blank_cells() -> None:
    text = "| 规章 | 0 |  | 3 |\n|---|---|---|---|\n| 行政许可 | 12 |\n"
    toks = kinds_and_texts(text)
    assert toks == [("label", "规章"), ("number", "0"), ("empty", ""), ("number", "3"),
                    ("label", "行政许可"), ("number", "12")]


def test_spaced_columns_split_on_runs_of_spaces() -> None:
    toks = kinds_and_texts("一、本年新收政府信息公开申请数量    3   0  1,234\n")
    assert toks == [("label", "一、本年新收政府信息公开申请数量"), ("number", "3"), ("number", "0"),
                    ("number", "1,234")]


def test_flattened_text_splits_labels_and_runs_keeping_label_numbering() -> None:
    toks = kinds_and_texts("（三）不予公开1.属于国家秘密00000002.其他法律行政法规禁止公开0000000")
    assert toks == [("label", "（三）不予公开1.属于国家秘密"), ("run", "0000000"),
                    ("label", "2.其他法律行政法规禁止公开"), ("run", "0000000")]


def test_blank_line_layout_infers_empty_cells_from_extra_newlines() -> None:
    # r009/r012 style: a cell ends with 3 newlines, a row with 5; an empty cell adds 3.
    rows = [
        "甲行\n\n\n1\n\n\n2\n\n\n3\n\n\n\n\n",
        "乙行\n\n\n4\n\n\n\n\n\n6\n\n\n\n\n",
        "丙行\n\n\n7\n\n\n8\n\n\n9\n\n\n\n\n",
    ]
    toks = kinds_and_texts("".join(rows))
    assert toks[4:9] == [("label", "乙行"), ("number", "4"), ("empty", ""), ("number", "6"), ("label", "丙行")]


def test_prose_lines_are_one_label_even_with_digits() -> None:
    toks = kinds_and_texts("2024年度没有发生针对我局的有关政府信息公开事务的行政复议、行政诉讼案。\n")
    assert [k for k, _ in toks] == ["label"]


def test_spans_index_the_source_text() -> None:
    text = "前言\n| 规章 | 1 | 22 | 333 |\n"
    for tok in tokenize(text).tokens:
        assert text[tok.start:tok.end].strip() == tok.text


def test_a_whole_document_on_one_line_is_cut_at_sentences_so_its_tables_are_read() -> None:
    text = ("三、收到和处理政府信息公开申请情况。全年未收到政府信息公开申请，也没有发生行政复议。" * 3
            + "第二十条第（五）项信息内容本年处理决定数量行政许可201956\u3000\u3000四、其他情况")
    toks = kinds_and_texts(text)
    assert ("run", "201956") in toks
    assert all(k == "label" for k, t in toks if "。" in t)
