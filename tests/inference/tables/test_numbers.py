"""Cell text → number, with repairs recorded, and label normalisation."""

from __future__ import annotations

import pytest

from gongkai.inference.tables.numbers import OCR_LABEL_CONFUSIONS, normalize_label, parse_number


@pytest.mark.parametrize(
    ("raw", "value", "repair"),
    [
        ("0", 0, None),
        (" 12 ", 12, None),
        ("１２３", 123, "fullwidth"),
        ("O", 0, "ocr_letter"),
        ("1O5", 105, "ocr_letter"),
        ("l2", 12, "ocr_letter"),
        ("1,234", 1234, "thousands"),
        ("1，234", 1234, "thousands"),
        ("670.376375", 670.376375, None),
        ("３．５", 3.5, "fullwidth"),
        ("12件", 12, "unit"),
        ("0.5万元", 0.5, "unit"),
        ("-5", -5, None),
        ("+3", 3, None),
    ],
)
def test_parse_number_values_and_repairs(raw: str, value: float, repair: str | None) -> None:
    parsed = parse_number(raw)
    assert parsed is not None
    assert parsed.value == value
    assert isinstance(parsed.value, type(value))
    if repair:
        assert repair in parsed.repairs
    else:
        assert parsed.repairs == ()


@pytest.mark.parametrize("raw", ["", "  ", "—", "-", "/", "无", "——"])
def test_blank_marks_are_none_never_zero(raw: str) -> None:
    parsed = parse_number(raw)
    assert parsed is not None and parsed.value is None and parsed.blank


@pytest.mark.parametrize("raw", ["自然人", "规章", "数据1", "I", "|", "1.属于国家秘密", "2024年"])
def test_labels_are_not_numbers(raw: str) -> None:
    assert parse_number(raw) is None


def test_normalize_label_strips_numbering_and_punctuation() -> None:
    assert normalize_label("三、（一）予以公开") == normalize_label("予以公开")
    assert normalize_label("（二）部分公开（区分处理的，只计这一情形，不计其他情形）") == normalize_label(
        "部分公开区分处理的只计这一情形不计其他情形"
    )
    assert normalize_label("3.危及“三安全一稳定”") == normalize_label("危及三安全一稳定")
    assert normalize_label("## 一、本年新收政府信息公开申请数量") == normalize_label("本年新收政府信息公开申请数量")


@pytest.mark.parametrize(("misread", "canonical"), OCR_LABEL_CONFUSIONS)
def test_each_ocr_confusion_folds_to_its_canonical_character(misread: str, canonical: str) -> None:
    assert normalize_label(f"报告{misread}内容") == normalize_label(f"报告{canonical}内容")


def test_a_speck_after_a_scanned_number_is_dropped_but_row_numbering_is_not_a_number() -> None:
    assert parse_number("0.").value == 0 and "ocr_letter" in parse_number("0.").repairs
    assert parse_number("12·").value == 12
    assert parse_number("1.5").value == 1.5
    assert parse_number("1.") is None  # 1. numbers a sub-row (1.属于国家秘密), it is not a count
