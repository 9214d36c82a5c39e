"""Cross-year checks beyond carry-over: 表二 stock (year.in_force_change), 表三 jumps (year.requests_jump)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import gongkai
from gongkai.batch.derived import year_ends
from gongkai.inference.checks.reconcile import (
    EXPLANATION_WORDS,
    YEAR_RULES,
    YearEnds,
    carry_over_findings,
    carry_over_findings_of,
    cross_year_findings,
    explains_change,
)
from gongkai.report import Report
from gongkai.training.synth import random_values, render

AGENCY = "泉港区科学技术局"
NORMATIVE = "proactive.normative_documents"
FINDING_KEYS = {"rule", "severity", "message", "cells", "expected", "observed", "spans", "reports"}


def year(agency: str = AGENCY, year: int = 2022, *, stock: tuple[int | None, int | None, int | None] | None = None,
         new: int | None = None, text: str = "", version: str = "2021", confidence: float = 0.99) -> Report:
    """A report with only what the cross-year rules read: 规范性文件 (issued, repealed, in_force) and 新收 total."""
    report = Report(format_version=version, text=text)
    report.source.path = f"{agency}-{year}.txt"
    report.agency.value, report.year.value = agency, year
    if stock is not None:
        for key, value in zip(("issued", "repealed", "in_force"), stock):
            cell = report.cell(f"{NORMATIVE}.{key}")
            cell.value, cell.confidence = value, confidence
    cell = report.requests.new_received.total
    cell.value, cell.confidence = new, confidence
    return report


def rules(findings: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [f["rule"] for f in findings]


def test_the_year_rules_are_declared_once_each() -> None:
    assert [rule for rule, _ in YEAR_RULES] == ["year.carry_over", "year.in_force_change", "year.requests_jump"]
    assert carry_over_findings_of is not None and carry_over_findings is cross_year_findings


# ---------------------------------------------------------------- year.in_force_change
def test_in_force_that_follows_issued_and_repealed_is_no_finding() -> None:
    y1 = year(year=2022, stock=(3, 1, 16))
    y2 = year(year=2023, stock=(4, 2, 18))  # 16 + 4 − 2
    assert cross_year_findings([y1, y2]) == []


def test_in_force_that_does_not_follow_is_one_warning_naming_both_years_and_reports() -> None:
    y1 = year(year=2022, stock=(3, 1, 16))
    y2 = year("泉港区科技局", 2023, stock=(4, 2, 25))
    findings = cross_year_findings([y2, y1])
    assert rules(findings) == ["year.in_force_change"]
    f = findings[0]
    assert set(f) == FINDING_KEYS and f["severity"] == "warning"
    assert (f["expected"], f["observed"]) == (18.0, 25.0)
    assert f["cells"] == [f"{NORMATIVE}.in_force", f"{NORMATIVE}.issued", f"{NORMATIVE}.repealed"]
    assert f["reports"] == [y2.source.path, y1.source.path]
    for part in ("2022", "2023", "25", "16", "18", "行政规范性文件", y1.source.path, y2.source.path):
        assert part in f["message"], part
    assert "置信度" not in f["message"]


def test_regulations_are_checked_like_normative_documents() -> None:
    y1, y2 = year(year=2022), year(year=2023)
    for report, values in ((y1, (0, 0, 2)), (y2, (1, 0, 2))):
        for key, value in zip(("issued", "repealed", "in_force"), values):
            report.cell(f"proactive.regulations.{key}").value = value
    [finding] = cross_year_findings([y1, y2])
    assert finding["rule"] == "year.in_force_change" and "规章" in finding["message"]
    assert finding["cells"][0] == "proactive.regulations.in_force"


@pytest.mark.parametrize("unknown", [0, 1, 2])
def test_in_force_with_an_unknown_cell_is_not_checked(unknown: int) -> None:
    stock: list[int | None] = [4, 2, 25]
    stock[unknown] = None
    assert cross_year_findings([year(year=2022, stock=(3, 1, 16)), year(year=2023, stock=tuple(stock))]) == []
    assert cross_year_findings([year(year=2022, stock=(3, 1, None)), year(year=2023, stock=(4, 2, 25))]) == []


def test_in_force_is_only_checked_between_two_2021_template_reports() -> None:
    y1 = year(year=2022, stock=(3, 1, 16), version="2019")
    assert cross_year_findings([y1, year(year=2023, stock=(4, 2, 25))]) == []


def test_a_doubtful_read_still_warns_and_says_which_cell_may_be_misread() -> None:
    """Documented choice: doubtful reads do not silence the rule; the message names the doubtful cell."""
    y1 = year(year=2022, stock=(3, 1, 16))
    y2 = year(year=2023, stock=(4, 2, 25))
    y2.cell(f"{NORMATIVE}.in_force").confidence = 0.3
    [finding] = cross_year_findings([y1, y2])
    assert finding["severity"] == "warning"
    assert "识别置信度较低（0.30）" in finding["message"]
    assert "2023年表二行政规范性文件“现行有效件数”识别置信度" in finding["message"]


# ---------------------------------------------------------------- year.requests_jump
def test_new_applications_jumping_without_explanation_is_a_warning() -> None:
    y1, y2 = year(year=2022, new=5), year(year=2023, new=80, text="2023年，我局扎实做好政府信息公开工作。")
    findings = cross_year_findings([y1, y2])
    assert rules(findings) == ["year.requests_jump"]
    f = findings[0]
    assert set(f) == FINDING_KEYS and f["severity"] == "warning"
    assert (f["expected"], f["observed"], f["cells"]) == (5.0, 80.0, ["requests.new_received.total"])
    assert f["reports"] == [y2.source.path, y1.source.path]
    for part in ("2022年的5件", "2023年的80件", "增至", "未说明原因", AGENCY.replace("科学技术", "科技")):
        assert part in f["message"], part


def test_a_fall_is_a_jump_too() -> None:
    [finding] = cross_year_findings([year(year=2022, new=300), year(year=2023, new=12, text="正文。")])
    assert finding["rule"] == "year.requests_jump" and "降至" in finding["message"]


@pytest.mark.parametrize("text", ["本年度依申请公开数量较上年增加，主要是征地拆迁项目增多。",
                                  "受理申请同比增长较快。", "因机构改革，原区国土局职能划入本局。"])
def test_an_explained_jump_is_no_finding(text: str) -> None:
    assert explains_change(text)
    assert cross_year_findings([year(year=2022, new=5), year(year=2023, new=80, text=text)]) == []


@pytest.mark.parametrize(("before", "after"), [(3, 25), (25, 3), (0, 3), (1, 12), (0, 19), (10, 100), (0, 0)])
def test_small_or_moderate_changes_are_no_jump(before: int, after: int) -> None:
    assert cross_year_findings([year(year=2022, new=before), year(year=2023, new=after, text="正文。")]) == []


@pytest.mark.parametrize(("before", "after"), [(0, 20), (20, 0), (1, 20), (10, 101)])
def test_from_or_to_zero_and_just_over_ten_times_are_jumps(before: int, after: int) -> None:
    findings = cross_year_findings([year(year=2022, new=before), year(year=2023, new=after, text="正文。")])
    assert rules(findings) == ["year.requests_jump"]


def test_a_blank_total_is_not_a_zero_for_the_jump() -> None:
    assert cross_year_findings([year(year=2022, new=None), year(year=2023, new=80, text="正文。")]) == []


def test_a_jump_whose_prose_was_not_available_says_so() -> None:
    ends = [YearEnds.of(year(year=2022, new=5)), YearEnds.of(year(year=2023, new=80))]
    assert ends[1] is not None and ends[1].explains_change is None
    [finding] = carry_over_findings_of([e for e in ends if e is not None])
    assert "未能查看2023年报告正文" in finding["message"] and "未说明原因" not in finding["message"]


def test_bare_everyday_words_are_not_explanations() -> None:
    assert not explains_change("投诉率下降，合并办理相关申请。")
    assert all(w for w in EXPLANATION_WORDS) and len(set(EXPLANATION_WORDS)) == len(EXPLANATION_WORDS)


# ---------------------------------------------------------------- which pairs are compared
def test_other_agencies_and_years_apart_are_not_compared() -> None:
    y1 = year(year=2021, stock=(3, 1, 16), new=5)
    assert cross_year_findings([y1, year(year=2023, stock=(4, 2, 25), new=80, text="正文。")]) == []
    assert cross_year_findings([y1, year("乙县统计局", 2022, stock=(4, 2, 25), new=80, text="正文。")]) == []
    assert rules(cross_year_findings([y1, year(year=2022, stock=(4, 2, 25), new=80, text="正文。")])) == [
        "year.in_force_change", "year.requests_jump"]


def test_batch_year_ends_read_the_same_from_a_schema_dict_without_text() -> None:
    report = year(year=2023, stock=(4, 2, 25), new=80, text="申请数量同比增长。")
    report.sentences = [{"id": 0, "text": "申请数量同比增长。", "span": [0, 9]}]
    direct = YearEnds.of(report)
    from_dict = year_ends(report.to_dict(include_text=False))
    assert direct is not None and from_dict is not None
    assert from_dict.explains_change is direct.explains_change is True
    assert from_dict.new_received.value == 80 and from_dict.stock["normative_documents.in_force"].value == 25
    assert from_dict.format_version == "2021"
    report.sentences = []
    bare = year_ends(report.to_dict(include_text=False))
    assert bare is not None and bare.explains_change is None


# ---------------------------------------------------------------- extracted reports and the batch
def _two_years(tmp: Path, text_after: str = "") -> tuple[Path, Path]:
    """One generated agency's two consecutive years: 新收 5 → 80 and 规范性文件 16 → 25 (4 issued, 2 repealed)."""
    rng = random.Random(5)
    first_values, second_values = random_values(rng), random_values(rng)
    for values, new, stock in ((first_values, 5, (3, 1, 16)), (second_values, 80, (4, 2, 25))):
        values["requests.new_received.total"] = new
        for key, value in zip(("issued", "repealed", "in_force"), stock):
            values[f"{NORMATIVE}.{key}"] = value
    first = render(first_values, "tsv", rng, 0.0)
    second = render(second_values, "tsv", rng, 0.0)
    text = (second.text or "").replace(second.agency, first.agency).replace(f"{second.year}年", f"{first.year + 1}年")
    if text_after:
        title, _, rest = text.partition("\n")
        text = f"{title}\n{text_after}\n{rest}"
    a, b = tmp / "agency-y1.txt", tmp / "agency-y2.txt"
    a.write_text(first.text or "", encoding="utf-8")
    b.write_text(text, encoding="utf-8")
    return a, b


def test_extracted_reports_raise_both_new_rules(tmp_path: Path) -> None:
    a, b = _two_years(tmp_path)
    reports = [gongkai.extract(p.read_bytes(), path=str(p), sentences=False) for p in (a, b)]
    assert reports[1].requests.new_received.total.value == 80
    found = {f["rule"]: f for f in cross_year_findings(reports)}
    assert {"year.in_force_change", "year.requests_jump"} <= set(found)
    assert found["year.requests_jump"]["reports"] == [str(b), str(a)]


def test_extracted_reports_with_an_explanation_raise_no_jump(tmp_path: Path) -> None:
    a, b = _two_years(tmp_path, "本年度收到政府信息公开申请较上年大幅增加，主要涉及征地补偿。")
    reports = [gongkai.extract(p.read_bytes(), path=str(p), sentences=False) for p in (a, b)]
    assert reports[1].requests.new_received.total.value == 80
    found = rules(cross_year_findings(reports))
    assert "year.in_force_change" in found and "year.requests_jump" not in found


def test_the_batch_emits_the_new_rules(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from gongkai.batch import Options, run_batch

    inputs = tmp_path / "in"
    inputs.mkdir()
    _two_years(inputs)
    out = tmp_path / "out"
    run_batch([inputs], out, workers=1, options=Options(classify=False), progress=False)
    findings = pq.read_table(out / "findings.parquet").to_pylist()
    across = {f["rule"]: f for f in findings if f["rule"] in ("year.in_force_change", "year.requests_jump")}
    assert set(across) == {"year.in_force_change", "year.requests_jump"}
    assert all(f["input"].endswith("agency-y2.txt") and f["severity"] == "warning" for f in across.values())
    # The batch keeps no text by default: the sentences stood in for it, so the prose was checked.
    assert "未能查看" not in across["year.requests_jump"]["message"]
