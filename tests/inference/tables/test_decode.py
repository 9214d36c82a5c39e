"""The digit-run decoder: cuts chosen from unreliable spacing under the template's sums."""

from __future__ import annotations

from gongkai.inference.tables.decode import (
    MAX_JOINT_COMBINATIONS,
    ColumnIdentity,
    choose_rows,
    decode_row,
    enumerate_readings,
    identities_broken,
    pieces_of,
)
from gongkai.inference.tables.tokens import Token, tokenize


def _row_sum(values: list[int]) -> bool:
    return sum(values[:6]) == values[6]


def run(text: str) -> list[Token]:
    return [Token("run", text, 0, len(text))]


def test_cuts_have_no_leading_zeros_and_the_row_sum_picks_one() -> None:
    readings, complete = enumerate_readings(pieces_of(run("81010010")), 7)
    assert complete and all(len(r.values) == 7 for r in readings)
    assert all(not (str(v).startswith("0") and v != 0) for r in readings for v in r.values)
    d = decode_row(pieces_of(run("81010010")), 7, _row_sum)
    assert d is not None and d.best.values == [8, 1, 0, 1, 0, 0, 10]


def test_a_total_set_apart_is_read_with_its_row_not_as_a_seven_digit_number() -> None:
    d = decode_row(pieces_of(run("5800000 58")), 7, _row_sum)
    assert d is not None and d.best.values == [58, 0, 0, 0, 0, 0, 58]


def test_spaces_that_are_not_cell_boundaries_are_still_cut_correctly() -> None:
    d = decode_row(pieces_of(run("20 0 0 0 02")), 7, _row_sum)
    assert d is not None and d.best.values == [2, 0, 0, 0, 0, 0, 2] and d.best.merges == 0


def test_a_separator_inside_a_number_costs_and_is_used_only_when_the_sum_needs_it() -> None:
    plain = decode_row(pieces_of(run("1 2 0 0 0 0 3")), 7, _row_sum)
    assert plain is not None and plain.best.values == [1, 2, 0, 0, 0, 0, 3] and plain.best.merges == 0
    merged = decode_row(pieces_of(run("1 2 0 0 0 0 0 12")), 7, _row_sum)
    assert merged is not None and merged.best.values == [12, 0, 0, 0, 0, 0, 12] and merged.best.merges == 1


def test_blank_marks_are_blank_cells_and_signs_belong_to_their_number_only_when_signed() -> None:
    d = decode_row(pieces_of(run("3—0—3")), 3)  # noqa: RUF001
    assert d is not None
    assert pieces_of([Token("run", "5减12", 0, 4)], signed=True)[1].sign == -1
    assert [p.blank for p in pieces_of([Token("run", "5 - 12", 0, 6)])] == [False, True, False]


def test_all_zero_rows_with_irregular_spacing_are_zeros() -> None:
    for text in ("0 0 0 0 0 00", "00 0 0 0 00", "0000000", "0\xa00\u30000 0  0 00"):
        d = decode_row(pieces_of(run(text)), 7, _row_sum)
        assert d is not None and d.best.values == [0] * 7, text


def test_the_joint_choice_uses_column_identities_and_reports_remaining_ambiguity() -> None:
    # "1126" alone may be 1|126, 11|26 or 112|6 (width 2); the other row and a column sum decide.
    rows = {"a": decode_row(pieces_of(run("1126")), 2), "b": decode_row(pieces_of(run("4 4")), 2)}
    assert all(rows.values())

    def broken(table: dict[str, list[int | float | None]]) -> int:
        a, b = table["a"], table["b"]
        return int((a[0] or 0) + (b[0] or 0) != 15)

    assert choose_rows(rows, {}, broken) == 0  # type: ignore[arg-type]
    assert rows["a"].best.values == [11, 26]  # type: ignore[union-attr]
    assert rows["a"].alternatives[0] == 1  # type: ignore[union-attr]


def test_a_reading_at_exactly_the_printed_separators_is_plain_and_a_cut_one_is_not() -> None:
    plain = decode_row(pieces_of(run("3 2 0 0 0 1 6")), 7, _row_sum)
    assert plain is not None and plain.best.plain
    cut = decode_row(pieces_of(run("32 0 0 0 1 6")), 7, _row_sum)
    assert cut is not None and cut.best.values == [3, 2, 0, 0, 0, 1, 6] and not cut.best.plain
    merged = decode_row(pieces_of(run("1 2 0 0 0 0 0 12")), 7, _row_sum)
    assert merged is not None and not merged.best.plain


def test_a_blank_printed_as_nothing_is_read_in_where_the_row_sum_needs_it() -> None:
    # "12 0 0 0 0 12" under seven cells: cutting 12 in two breaks the sum; a hidden blank does not.
    pieces = pieces_of(run("12 0 0 0 0 12"))
    without = decode_row(pieces, 7, _row_sum)
    assert without is not None and not without.best.row_ok
    d = decode_row(pieces, 7, _row_sum, hidden_blanks=2)
    assert d is not None and d.short and d.best.row_ok
    assert all(r.values.count(None) == 1 and r.values.count(12) == 2 and r.values[6] == 12 for r in d.readings)
    assert d.best.values == [12, 0, 0, 0, 0, None, 12]  # equal readings: the blank stands late
    # Where the blank stood is a choice among the readings: the decoder says so.
    choose_rows({"row": d}, {}, None)
    assert d.alternatives[6] == 1 and max(d.alternatives[:6]) > 1
    # Digits fewer than cells (the zeros' row lost a cell) read with the blank, the total kept last.
    short = decode_row(pieces_of(run("3 0 0 0 0 3")), 7, _row_sum, hidden_blanks=2)
    assert short is not None and short.best.values[6] == 3 and short.best.values.count(None) == 1
    # A row whose sum holds as printed needs no hidden blank, however many are allowed.
    full = decode_row(pieces_of(run("2 1 0 0 0 0 3")), 7, _row_sum, hidden_blanks=2)
    assert full is not None and not full.short and None not in full.best.values


def test_the_column_identities_place_a_hidden_blank_that_hid_a_shifted_number() -> None:
    # Row a printed "5 4 9" for three cells (x + y = total) with its blank unseen; row b and the
    # column sums (a + b per column) say the blank is the first cell.
    def sums(values: list[int]) -> bool:
        return values[0] + values[1] == values[2]

    rows = {"a": decode_row(pieces_of(run("5 5")), 3, sums, hidden_blanks=1),
            "b": decode_row(pieces_of(run("2 3 5")), 3, sums)}
    assert all(rows.values())

    def broken(table: dict[str, list[int | float | None]]) -> int:
        a, b = table["a"], table["b"]
        return int((a[0] or 0) + (b[0] or 0) != 2) + int((a[1] or 0) + (b[1] or 0) != 8)

    assert choose_rows(rows, {}, broken) == 0  # type: ignore[arg-type]
    assert rows["a"].best.values == [None, 5, 5]  # type: ignore[union-attr]


def test_identities_count_each_broken_column_where_the_anchor_cell_is_printed() -> None:
    sums = (ColumnIdentity((("a", 1), ("b", 1), ("total", -1)), "total", ("total",)),)
    table: dict[str, list[int | float | None]] = {"a": [1, 2, None], "b": [0, None, 4], "total": [1, 3, None]}
    assert identities_broken(sums, table, 3) == 1  # column 1 breaks; column 2's total is blank: unchecked
    assert identities_broken(sums, {"a": [1, 2, 3]}, 3) == 0  # no total row: nothing to check


def test_a_table_too_large_to_try_whole_is_solved_exactly_under_its_identities() -> None:
    # Thirteen rows "k k" of three cells (x + y = total), each hiding one blank: before or after its
    # first number. The prior puts it late in every row; the column totals say the rows of 8 and 512
    # hid it first (each k a power of two: no other rows add up the same). Changing one row alone
    # breaks as many columns as before, so a descent stalls; the identities solved exactly do not.
    def row_sum(values: list[int]) -> bool:
        return values[0] + values[1] == values[2]

    ks = [2 ** n for n in range(13)]
    early = {8, 512}
    identities = (ColumnIdentity((*((f"r{k}", 1) for k in ks), ("total", -1)), "total", ("total",)),)
    total: list[int | float | None] = [sum(k for k in ks if k not in early), sum(early), sum(ks)]

    def decoded() -> dict:  # type: ignore[type-arg]
        rows = {f"r{k}": decode_row(pieces_of(run(f"{k} {k}")), 3, row_sum, hidden_blanks=1) for k in ks}
        assert all(d is not None and len(d.readings) == 2 for d in rows.values())
        return rows

    def broken(table: dict[str, list[int | float | None]]) -> int:
        return identities_broken(identities, table, 3)

    assert 2 ** len(ks) > MAX_JOINT_COMBINATIONS
    descended = decoded()
    assert choose_rows(descended, {"total": total}, broken) > 0  # the search without the identities stalls
    rows = decoded()
    assert choose_rows(rows, {"total": total}, broken, (identities, 3)) == 0
    for k in ks:
        assert rows[f"r{k}"].best.values == ([None, k, k] if k in early else [k, None, k])


def test_tokenizer_keeps_a_spaced_run_whole_for_the_decoder() -> None:
    tokens = tokenize("本年新收政府信息公开申请数量5800000 58 二、上年结转").tokens
    assert [t.kind for t in tokens] == ["label", "run", "label"]
    assert tokens[1].text == "5800000 58"


def test_blank_marks_next_to_labels_and_at_the_row_end_are_blank_cells() -> None:
    tokens = tokenize("属于三类内部事务信息- 0 - 0 0 0 0（6）属于四类过程性信息0 0 0 0 0 0 —（7）").tokens
    assert [t.kind for t in tokens] == ["label", "empty", "number", "empty", "run", "label", "run", "empty", "label"]
    d = decode_row(pieces_of(tokens[1:5]), 7)
    assert d is not None and d.best.values == [None, 0, None, 0, 0, 0, 0]
    assert tokens[7].text == "—"


def test_a_double_dash_is_one_blank_or_two_as_the_row_needs() -> None:
    assert decode_row(pieces_of(run("3——0")), 3).best.values == [3, None, 0]  # type: ignore[union-attr]
    assert decode_row(pieces_of(run("3——0")), 4).best.values == [3, None, None, 0]  # type: ignore[union-attr]


def test_ocr_letters_between_spaced_digits_are_digits() -> None:
    tokens = tokenize("属于国家秘密 O 0 0 OO 00（2）其他法律行政法规禁止公开").tokens
    values = [t for t in tokens if t.kind != "label"]
    d = decode_row(pieces_of(values), 7, _row_sum)
    assert d is not None and d.best.values == [0] * 7


def test_a_run_with_two_rows_of_digits_is_read_as_both_rows_when_a_label_was_lost() -> None:
    from gongkai.inference.tables.read import _decode_request_rows

    keys, d = _decode_request_rows(pieces_of(run("0 0 0 0 0 0 00 0 0 0 3 0 3")),  # type: ignore[misc]
                                   ["denied_three_safeties", "denied_third_party"])
    assert keys == ["denied_three_safeties", "denied_third_party"]
    assert d.best.values == [0] * 7 + [0, 0, 0, 0, 3, 0, 3]
    alone, single = _decode_request_rows(pieces_of(run("5800000 58")),  # type: ignore[misc]
                                         ["new_received", "carried_over"])
    assert alone == ["new_received"] and single.best.values == [58, 0, 0, 0, 0, 0, 58]


def test_rows_whose_labels_were_lost_are_read_with_their_blank_cells() -> None:
    """Blank marks run together ("——": two cells) and blanks printed as nothing are cells of the
    rows a lost label joined; counted as one mark each, or not at all, the rows were left unread."""
    from gongkai.inference.tables.read import _decode_request_rows

    three = ["denied_state_secret", "denied_prohibited_by_law", "denied_three_safeties"]
    keys, d = _decode_request_rows(pieces_of(run("0— — 0 00 —00—0000000——0—")), three)  # type: ignore[misc]
    assert keys == three
    assert d.best.values == [0, None, None, 0, 0, 0, None, 0, 0, None, *[0] * 7, None, None, 0, None]
    two = three[:2]
    keys, d = _decode_request_rows(pieces_of(run("1 0 0 0 0 1 0 0 2 0 0 2")), two)  # type: ignore[misc]
    assert keys == two
    values = d.best.values
    assert values.count(None) == 2 and [v for v in values if v is not None] == [1, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 2]
    assert all(_row_sum([v or 0 for v in values[i:i + 7]]) for i in (0, 7))  # type: ignore[misc]


def test_a_group_heading_before_values_names_its_first_sub_row() -> None:
    from gongkai.inference.tables.read import REQUEST_MATCHER
    from gongkai.inference.tables.template import REQUEST_ROWS

    keys = [r.key for r in REQUEST_ROWS]
    hit = REQUEST_MATCHER.match_parts(["（三）不予公开"])
    assert hit is not None and keys[hit.index] == "denied_state_secret" and hit.how == "group"
    other = REQUEST_MATCHER.match_parts(["（六）其他处理"])
    assert other is not None and keys[other.index] == "other_processing"
    assert [keys[i] for i, _ in other.others] == ["other_overdue_correction"]


def test_a_sign_glued_to_a_2019_change_is_its_sign_not_a_blank() -> None:
    from gongkai.inference.tables.read import read_tables
    from gongkai.report import Report

    text = ("二、主动公开政府信息情况第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量"
            "规章000规范性文件101077第二十条第（五）项信息内容上一年项目数量本年增/减处理决定数量"
            "行政许可 0-4   0其他对外管理服务事项990第二十条第（六）项")
    report = Report(text=text)
    read_tables(text, report)
    assert [c.value for c in report.proactive_2019["行政许可"].values()] == [0, -4, 0]
