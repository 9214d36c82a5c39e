"""Agency, year and sections from the title block, the 统计期限 sentence and the headings."""

from __future__ import annotations

import pytest

from gongkai.inference.fields import find_agency_and_year, find_sections, find_title


@pytest.mark.parametrize(
    ("head", "agency", "year"),
    [
        ("示范区测绘局2022年度政府信息公开\n工作年度报告\n", "示范区测绘局", 2022),
        ("2021年度某某市水务局\n政府信息公开工作年度报告\n", "某某市水务局", 2021),
        ("某某县档案局\n2020年政府信息公开工作年度报告\n", "某某县档案局", 2020),
        ("# 某某区统计局 2023 年政府信息公开工作年度报告\n", "某某区统计局", 2023),
        ("标题: 某某市人民政府2025年度政府信息公开工作年度报告\n", "某某市人民政府", 2025),
    ],
)
def test_title_gives_agency_and_year(head: str, agency: str, year: int) -> None:
    title = find_title(head + "正文。\n")
    assert (title.agency, title.year) == (agency, year)


def test_period_sentence_decides_the_year_over_the_publication_date() -> None:
    text = (
        "某某市水务局政府信息公开工作年度报告\n本报告所列数据统计期限自2023年1月1日至2023年12月31日。\n"
        "2024年1月20日\n"
    )
    agency, year = find_agency_and_year(text)
    assert year.value == 2023 and year.confidence > 0.9
    assert text[year.span[0]:year.span[1]] == "2023"


def test_no_title_means_no_confident_agency() -> None:
    agency, year = find_agency_and_year("2016年我厅认真贯彻落实条例，做好信息公开工作。\n")
    assert agency.value is None or agency.confidence <= 0.5
    assert year.value == 2016 and year.confidence < 0.9


def test_sections_cover_heading_styles_and_nest() -> None:
    text = (
        "一、总体情况\n正文。\n（一）主动公开情况\n正文。\n(二)依申请公开。正文内容。\n"
        "2、 主动公开政府信息情况\n表格\n## 三、收到和处理政府信息公开申请情况\n表格\n"
    )
    sections = find_sections(text)
    assert [(s.path, s.heading) for s in sections] == [
        ("一", "总体情况"), ("一（一）", "主动公开情况"), ("一（二）", "依申请公开"),
        ("二", "主动公开政府信息情况"), ("三", "收到和处理政府信息公开申请情况"),
    ]
    first = sections[0]
    assert text[first.span[0]:first.span[1]].startswith("一、总体情况") and "依申请公开" in text[
        first.span[0]:first.span[1]]
