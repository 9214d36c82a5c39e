"""Locating the tables and filling the report: template versions, fallbacks, warnings."""

from __future__ import annotations

import random
import re

import gongkai
from gongkai.inference.tables import template as T
from gongkai.inference.tables.read import find_regions
from gongkai.training.synth import random_values, render


def test_regions_of_a_flattened_report_do_not_swallow_table_two() -> None:
    rng = random.Random(2)
    text = render(random_values(rng), "flattened", rng, 0.0).text or ""
    regions = find_regions(text)
    assert regions.t2 and regions.t3 and regions.t4
    assert regions.t2[1] <= regions.t3[0] < regions.t4[0]
    assert "规章" in text[regions.t2[0]:regions.t2[1]]


def test_numbers_without_labels_are_read_in_template_order_with_a_warning() -> None:
    values = [[i % 3, 0, 0, 0, 0, 0, i % 3] for i in range(25)]
    rows = "\n".join("\t".join(str(v) for v in row) for row in values)
    text = f"某某局2023年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n本年新收\n{rows}\n"
    report = gongkai.extract(text)
    assert report.format_version == "2021"
    assert any("template order" in w for w in report.warnings)
    assert report.requests.new_received.total.value == 0
    assert report.requests.carried_over.natural_person.value == 1
    assert report.requests.carried_forward.total.value == 24 % 3
    assert report.requests.carried_over.natural_person.confidence <= 0.6


def test_2019_template_keeps_its_own_table_two_and_single_other_row() -> None:
    rng = random.Random(5)
    values = random_values(rng, template="2019")
    item = render(values, "tsv", rng, 0.0)
    report = gongkai.extract(item.source_bytes)
    assert report.format_version == "2019"
    assert set(report.proactive_2019) == {label for label, _ in T.PROACTIVE_ROWS_2019}
    read = {(row, col): cell.value for row, cols in report.proactive_2019.items() for col, cell in cols.items()}
    assert read == {(row, col): v for row, cols in item.proactive_2019.items() for col, v in cols.items()}
    assert report.proactive.licensing.value is None
    assert report.requests.other_processing.total.value == item.gold["requests.other_processing.total"]
    assert report.requests.other_overdue_fee.total.value is None


def test_missing_table_four_is_warned_and_its_cells_have_no_confidence() -> None:
    rng = random.Random(8)
    text = render(random_values(rng), "tsv", rng, 0.0).text or ""
    cut = text[: re.search(r"\n四、[^\n]*行政复议", text).start()]  # type: ignore[union-attr]
    report = gongkai.extract(cut)
    assert any("表四" in w for w in report.warnings)
    assert report.appeals.review.total.value is None and report.appeals.review.total.confidence == 0.0
    assert report.requests.total.total.value is not None


def test_a_pipe_row_that_left_out_its_blank_keeps_its_numbers_whole_and_doubts_the_place() -> None:
    """Shredded Markdown (r006): "| 规章 | 22 | 235 |" under three columns, and prose before the table
    naming the row with another number. The prose is not the row; 22 and 235 are never cut."""
    text = ("二、主动公开政府信息情况\n\n全年主动公开市政府规章41件、行政规范性文件7件。\n\n"
            "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n|---|---|---|---|\n"
            "## 表二：主动公开政府信息情况\n| 规章 | 22 | 235 |\n|---|---|---|\n"
            "| 行政规范性文件 | 34 | 189 |\n|---|---|---|\n\n"
            "三、收到和处理政府信息公开申请情况\n\n本年新收政府信息公开申请 0 0 0 0 0 0 0\n")
    report = gongkai.extract(text, sentences=False)
    rows = report.proactive
    assert [c.value for c in (rows.regulations.issued, rows.regulations.repealed, rows.regulations.in_force)] == [
        22, None, 235]
    assert [rows.normative_documents.issued.value, rows.normative_documents.in_force.value] == [34, 189]
    # Where the blank was is a guess: its cells are doubted as much as such guesses are wrong, never sure.
    assert all(c.confidence < 0.9 for c in (rows.regulations.issued, rows.regulations.in_force))


def test_a_row_whose_blank_printed_nothing_keeps_its_total_last_and_doubts_where_the_blank_was() -> None:
    """"12 0 0 0 0 12" under seven cells: the sum says a blank hid among the applicants, not that 12
    is 1 | 2 or that the total is missing; where the blank stood is a guess the confidence admits."""
    text = ("三、收到和处理政府信息公开申请情况\n\n一、本年新收政府信息公开申请数量 12 0 0 0 0 12\n"
            "二、上年结转政府信息公开申请数量 3 0 0 0 0 0 3\n")
    report = gongkai.extract(text, sentences=False)
    row = [report.requests.get(f"new_received.{c}") for c in T.REQUEST_COLUMNS]
    assert row[0].value == 12 and row[-1].value == 12
    assert [c.value for c in row].count(None) == 1 and [c.value for c in row[1:-1]].count(0) == 4
    assert all(c.confidence < 0.9 for c in row)
    assert report.requests.get("carried_over.total").value == 3  # a full row is read as printed
