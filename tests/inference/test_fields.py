"""Agency, year and sections from the title block, the 统计期限 sentence and the headings."""

from __future__ import annotations

import pytest

from gongkai.inference.fields import (
    TEMPLATE_MARKERS,
    find_agency_and_year,
    find_sections,
    find_title,
    template_from_wording,
    year_hits,
)
from gongkai.training.synth import generate


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


# ---------------------------------------------------------------- year from more than the title
def test_yearless_title_is_placed_by_the_period_sentence() -> None:
    text = ("某某县水利局政府信息公开工作年度报告\n本报告所列数据的统计期限自2023年1月1日起至2023年12月31日止。\n"
            "一、总体情况\n正文。\n")
    agency, year = find_agency_and_year(text)
    assert (agency.value, year.value) == ("某某县水利局", 2023)
    assert agency.confidence >= 0.85 and year.confidence >= 0.95
    assert text[year.span[0]:year.span[1]] == "2023"


def test_yearless_title_without_period_uses_year_end_and_signature_date() -> None:
    text = ("某某县统计局政府信息公开工作年度报告\n一、总体情况\n截至2022年12月31日，现行有效规范性文件若干件。\n"
            "正文。\n某某县统计局\n2023年1月18日\n")
    _, year = find_agency_and_year(text)
    assert year.value == 2022
    assert 0.8 <= year.confidence < 0.97  # two weaker kinds agreeing, below a 统计期限 sentence


def test_flattened_one_line_text_keeps_title_and_period() -> None:
    text = ("某某市档案局2021年度政府信息公开工作年度报告 根据条例要求编制本报告，"
            "统计期限自2021年1月1日至2021年12月31日。一、总体情况 正文正文正文。二、主动公开政府信息情况 "
            "第二十条第（一）项 信息内容 本年制发件数 本年废止件数 "
            "现行有效件数 规章 0 0 0 " + "正文。" * 40 + "\n")
    agency, year = find_agency_and_year(text)
    assert (agency.value, year.value) == ("某某市档案局", 2021)
    assert year.confidence >= 0.95 and agency.confidence >= 0.9


def test_archive_header_publication_date_is_weak_evidence_of_the_year_before() -> None:
    text = ("标题: 某某区财政局政府信息公开工作年度报告\n发布时间: 2025-01-22 20:18\n文号: \n"
            "==================== 正文 ====================\n一、总体情况正文。\n")
    agency, year = find_agency_and_year(text)
    assert agency.value == "某某区财政局"
    assert year.value == 2024 and year.confidence <= 0.6
    assert text[year.span[0]:year.span[1]] == "2025"  # the printed year; the value is derived from it


def test_publication_date_agreeing_with_a_heading_year_makes_it_surer() -> None:
    head = "标题: 某某区财政局政府信息公开工作年度报告\n发布时间: 2025-01-22 20:18\n"
    alone = find_agency_and_year(head + "一、总体情况正文。\n")[1]
    both = find_agency_and_year(head + "2024年度政府信息公开工作情况\n正文。\n")[1]
    assert alone.value == both.value == 2024
    assert both.confidence > alone.confidence


def test_title_year_is_kept_when_weak_evidence_disagrees() -> None:
    text = ("某某市水务局2022年政府信息公开工作年度报告\n发布时间: 2024-03-02 10:00\n正文。\n"
            "某某市水务局\n2024年3月1日\n")
    _, year = find_agency_and_year(text)
    assert year.value == 2022 and year.confidence >= 0.93


def test_template_wording_bounds_a_weakly_placed_year() -> None:
    header = "发布时间: 2022-01-20 09:00\n2020年，我局做好信息公开工作。\n二、主动公开政府信息情况\n"
    _, year = find_agency_and_year(header + "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n")
    assert year.value == 2020  # the 2019 template served the 2019 and 2020 reports only
    _, year = find_agency_and_year(header + "信息内容\t甲\t乙\t丙\n")
    assert year.value == 2021  # without the template's wording the (earlier) header date decides


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t0\t0\t0\n", "2021"),
        ("信息内容 本年\n制发件数 本年废止\n件数\n", "2021"),  # header words broken over lines
        ("信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n行政许可\t上一年项目数量\n", "2019"),
        ("（六）其他处理\n1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t0\n", "2021"),
        ("（六）其他处理 1.\t0 0 0\n2.\t0\n", "2021"),
        ("（六）其他处理0000000（七）总计0000000\n", "2019"),
        ("按照国办公开办函〔2021〕30号要求编制。\n", "2021"),
        ("按照国办公开办函[2021]30号要求编制。\n", "2021"),
        ("一、总体情况\n正文。\n", "unknown"),
    ],
)
def test_template_from_wording(text: str, version: str) -> None:
    found, confidence = template_from_wording(text)
    assert found == version
    assert (confidence == 0.0) if version == "unknown" else (0.5 <= confidence <= 1.0)


def test_template_markers_words_never_hide_a_marker() -> None:
    """``TemplateMarker.needs`` only skips a scan: on reports of both templates and every layout
    (and the wordings above), each marker is found exactly where its pattern matches."""
    texts = [v.text for v in generate(60, seed=11, template_mix=0.5) if v.text]
    texts += ["（六）其他处理\n1.申请人无正当理由逾期不补正\t0\n", "（六）其他处理0000000（七）总计0000000\n",
              "按照国办公开办函〔2021〕30号要求。依据〔2019〕60号。\n"]
    found = [0] * len(TEMPLATE_MARKERS)
    for text in texts:
        compact = "".join(text.split())
        for k, marker in enumerate(TEMPLATE_MARKERS):
            matched = marker.pattern.search(compact) is not None
            assert marker.found_in(compact) == matched, (marker.pattern.pattern, text[:80])
            found[k] += matched
    assert all(found), found  # every marker was met at least once: the comparison above means something


@pytest.mark.parametrize(
    ("before", "is_heading"),
    [("\n", True), ("", True), ("\u3000", True), ("\n  ## ", True), ("\n" + " " * 41, False),
     ("正文，", False), ("\n某某", False)],
)
def test_a_year_du_heading_opens_a_line(before: str, is_heading: bool) -> None:
    text = "前言。" + before + "2023年度政府信息公开工作报告\n" if before != "" else "2023年度政府信息公开工作报告\n"
    kinds = {h.kind for h in year_hits(text)}
    assert ("year_du_heading" in kinds) == is_heading


def test_template_wording_of_both_templates_lowers_confidence() -> None:
    clean = template_from_wording("本年制发件数 本年废止件数 现行有效件数\n")
    hybrid = template_from_wording("本年制发件数 本年废止件数 现行有效件数\n（六）其他处理0000000（七）总计0000000\n")
    assert clean[0] == hybrid[0] == "2021"
    assert hybrid[1] < clean[1]
    cites_old_notice = template_from_wording("依据〔2019〕60号。本年制发件数 本年废止件数\n")
    assert cites_old_notice[0] == "2021" and cites_old_notice[1] > 0.85


def test_long_runs_of_ideographic_spaces_do_not_hide_headings_or_hang() -> None:
    """80,000 U+3000 in one line once took ~80 s (a lookahead rescanning the run at every position).

    Run in a subprocess with a cap far above the fixed cost (well under a second), so that a
    return of the quadratic scan shows as a hang instead of stalling the suite.
    """
    import subprocess
    import sys

    code = ("from gongkai.inference.fields import find_sections, year_hits\n"
            "run = '\\u3000' * 80000\n"
            "text = run + '\\n\\u3000\\u3000一、总体情况\\n2024年度政府信息公开工作。\\n' + run\n"
            "print([s.heading for s in find_sections(text)], [h.year for h in year_hits(text)][:1])\n")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    except subprocess.TimeoutExpired:
        raise AssertionError("find_sections/year_hits hung on a long run of ideographic spaces") from None
    assert done.stdout.strip() == "['总体情况'] [2024]"
