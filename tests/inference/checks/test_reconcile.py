"""The reconciler: each rule passing and failing, injected errors, seed 002, claims, years."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import gongkai
from gongkai.cli import main
from gongkai.inference.checks.reconcile import (
    DOUBTFUL_READ_BELOW,
    RULES,
    arithmetic_findings,
    carry_over_findings,
    claim_findings,
    claim_value,
    normalize_agency,
    reconcile,
)
from gongkai.inference.tables import template as T
from gongkai.report import Report
from gongkai.training.synth import LAYOUTS, random_values, render

CHECKED_LAYOUTS = tuple(layout for layout in LAYOUTS if layout != "flattened")
OUTCOME_ROWS = [r.key for r in T.REQUEST_ROWS
                if "2021" in r.versions and r.key not in ("new_received", "carried_over", "total", "carried_forward")]


def report_of(values: dict, layout: str = "tsv", seed: int = 0):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    return gongkai.extract(render(values, layout, rng, 0.0).source_bytes)


def consistent(seed: int) -> dict:  # type: ignore[type-arg]
    return random_values(random.Random(seed))


def errors(report) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [f for f in report.findings if f["severity"] == "error"]


def test_rules_are_declared_once_each_with_a_known_severity() -> None:
    assert [r.id for r in RULES] == ["requests.balance", "requests.row_sum", "requests.outcome_sum", "appeals.sum"]
    assert all(r.severity in ("error", "warning", "info") for r in RULES)


@pytest.mark.parametrize("layout", CHECKED_LAYOUTS)
def test_consistent_reports_have_no_error_finding(layout: str) -> None:
    for seed in range(6):
        report = report_of(consistent(seed), layout, seed)
        assert errors(report) == [], (layout, seed)


@pytest.mark.parametrize(
    ("path", "rules"),
    [
        ("requests.granted.commercial", {"requests.row_sum", "requests.outcome_sum"}),
        ("requests.new_received.research", {"requests.row_sum", "requests.balance"}),
        ("requests.carried_forward.natural_person", {"requests.row_sum", "requests.balance"}),
        ("requests.total.other", {"requests.row_sum", "requests.outcome_sum", "requests.balance"}),
        ("appeals.litigation_direct.pending", {"appeals.sum"}),
    ],
)
def test_each_rule_fires_on_an_injected_error_and_names_the_cell(path: str, rules: set[str]) -> None:
    values = consistent(4)
    values[path] = (values[path] or 0) + 3
    report = report_of(values)
    fired = {f["rule"] for f in errors(report)}
    assert fired == rules
    assert all(path in f["cells"] for f in errors(report))
    if len(rules) > 1:
        assert {f.get("suspect") for f in errors(report)} == {path}
        assert "最可能出错" in errors(report)[0]["message"]


def test_injected_single_cell_errors_in_every_layout_are_found_and_explained() -> None:
    rng = random.Random(17)
    found = explained = trials = 0
    for layout in CHECKED_LAYOUTS:
        for _ in range(12):
            seed = rng.randrange(10**6)
            values = consistent(seed)
            path = f"requests.{rng.choice(OUTCOME_ROWS + ['new_received', 'total'])}.{rng.choice(T.REQUEST_COLUMNS)}"
            values[path] = (values[path] or 0) + rng.randint(1, 9)
            report = report_of(values, layout, seed)
            trials += 1
            found += any(path in f["cells"] for f in errors(report))
            explained += any(f.get("suspect") == path for f in errors(report))
    assert found == trials
    assert explained >= 0.9 * trials


def test_seed_002_research_total_is_the_one_suspect(seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / "002_20e49bc070485a7c.txt")
    errs = errors(report)
    assert {f["rule"] for f in errs} == {"requests.balance", "requests.row_sum", "requests.outcome_sum"}
    assert all(f["suspect"] == "requests.total.research" for f in errs)
    balance = next(f for f in errs if f["rule"] == "requests.balance")
    assert (balance["expected"], balance["observed"]) == (0, 1)
    assert balance["spans"] and all(report.text[s:e].strip().isdigit() for s, e in balance["spans"])


def test_blank_cells_lower_an_arithmetic_error_to_a_warning() -> None:
    values = consistent(4)
    values["requests.granted.total"] = None
    values["requests.granted.natural_person"] = (values["requests.granted.natural_person"] or 0) + 2
    report = report_of(values, "html")
    row_sum = [f for f in report.findings if f["rule"] == "requests.row_sum"]
    assert row_sum and all(f["severity"] == "warning" for f in row_sum)
    assert any(f["rule"] == "cell.missing" and f["severity"] == "info" for f in report.findings)


def test_missing_table_is_reported_as_cell_missing() -> None:
    rng = random.Random(3)
    text = render(consistent(3), "tsv", rng, 0.0).text or ""
    cut = text[: text.index("四、", text.index("结转下年度继续办理") + 10)]
    report = gongkai.extract(cut)
    missing = [f for f in report.findings if f["rule"] == "cell.missing" and f["severity"] == "warning"]
    assert missing and all(p.startswith("appeals.") for p in missing[0]["cells"])


def test_check_cli_flags_seed_002_and_only_seed_002(seeds_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = sorted(seeds_dir.glob("*.txt"))
    assert main(["check", *(str(p) for p in seeds if not p.name.startswith("002"))]) == 0
    assert main(["check", *(str(p) for p in seeds)]) == 1
    out = capsys.readouterr().out
    assert out.count("[error]") == 3 and "【1】" in out and "科研机构" in out


# ---------------------------------------------------------------- across years
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("泉港区科学技术局", "泉港区科技局"),
        ("河北省 教育厅", "河北省教育厅"),
        ("ＸＸ市发展和改革委员会", "XX市发改委员会"),
    ],
)
def test_agency_spellings_fold_together(a: str, b: str) -> None:
    assert normalize_agency(a) == normalize_agency(b)


def year_report(agency: str, year: int, carried_over: list[int], carried_forward: list[int]) -> Report:
    report = Report(format_version="2021")
    report.agency.value, report.year.value = agency, year
    for column, before, after in zip(T.REQUEST_COLUMNS, carried_over, carried_forward):
        report.requests.carried_over.get(column).value = before
        report.requests.carried_forward.get(column).value = after
    return report


def test_carry_over_matches_across_consecutive_years_of_one_agency() -> None:
    y1 = year_report("泉港区科学技术局", 2022, [0] * 7, [2, 0, 1, 0, 0, 0, 3])
    y2 = year_report("泉港区科技局", 2023, [2, 0, 1, 0, 0, 0, 3], [0] * 7)
    assert carry_over_findings([y2, y1]) == []
    y2.requests.carried_over.research.value = 0
    findings = carry_over_findings([y1, y2])
    assert [(f["rule"], f["cells"], f["expected"], f["observed"]) for f in findings] == [
        ("year.carry_over", ["requests.carried_over.research", "requests.carried_forward.research"], 1.0, 0.0)
    ]
    assert "2022" in findings[0]["message"] and "2023" in findings[0]["message"]


def test_carry_over_ignores_gaps_between_years_and_other_agencies() -> None:
    y1 = year_report("甲县统计局", 2020, [0] * 7, [5] * 7)
    assert carry_over_findings([y1, year_report("甲县统计局", 2022, [0] * 7, [0] * 7)]) == []
    assert carry_over_findings([y1, year_report("乙县统计局", 2021, [0] * 7, [0] * 7)]) == []


# ---------------------------------------------------------------- prose claims vs tables
def with_prose(values: dict, sentence: str) -> gongkai.Report:  # type: ignore[type-arg]
    rng = random.Random(9)
    text = render(values, "tsv", rng, 0.0).text or ""
    at = text.index("一、总体情况")
    return gongkai.extract(text[:at] + f"一、总体情况\n{sentence}\n" + text[at + len("一、总体情况"):])


def test_ambiguous_total_is_accepted_under_either_reading() -> None:
    values = consistent(4)
    new = values["requests.new_received.total"] or 0
    both = new + (values["requests.carried_over.total"] or 0)
    for number in (new, both):
        report = with_prose(values, f"本年度共受理政府信息公开申请{number}件。")
        assert not [f for f in report.findings if f["rule"] == "claim.mismatch"], number


def test_a_disagreement_under_every_reading_is_an_error() -> None:
    values = consistent(4)
    values["appeals.review.total"] = 2
    values["appeals.review.upheld"] = 2
    for key in ("corrected", "other", "pending"):
        values[f"appeals.review.{key}"] = 0
    report = with_prose(values, "全年因政府信息公开被申请行政复议5起。")
    mismatch = [f for f in report.findings if f["rule"] == "claim.mismatch"]
    assert [(f["severity"], f["expected"], f["observed"]) for f in mismatch] == [("error", 5, 2)]
    assert mismatch[0]["cells"] == ["appeals.review.total"]
    new = values["requests.new_received.total"] or 0
    both = new + (values["requests.carried_over.total"] or 0)
    # “共受理…N件” admits 新收 or 新收 + 上年结转: when neither agrees, the prose contradicts the table.
    report = with_prose(values, f"本年度共受理政府信息公开申请{both + new + 7}件。")
    mismatch = [f for f in report.findings if f["rule"] == "claim.mismatch"]
    assert [f["severity"] for f in mismatch] == ["error"]
    assert "均不一致" in mismatch[0]["message"]


def test_a_claim_whose_other_reading_is_unread_stays_a_warning() -> None:
    report = with_prose(consistent(4), "本年度共受理政府信息公开申请999件。")
    assert [f["severity"] for f in report.findings if f["rule"] == "claim.mismatch"] == ["error"]
    cell = report.requests.carried_over.total
    cell.value, cell.confidence = None, 0.0  # never found: the reading 新收 + 上年结转 cannot be checked
    report.findings = reconcile(report)
    mismatch = [f for f in report.findings if f["rule"] == "claim.mismatch"]
    assert [f["severity"] for f in mismatch] == ["warning"] and "无法确认" in mismatch[0]["message"]


@pytest.mark.parametrize("layout", ["tsv", "markdown", "html", "blank_lines"])
def test_every_injected_prose_disagreement_is_reported(layout: str) -> None:
    rng = random.Random(layout)
    reported = injected = 0
    for _ in range(20):
        seed = rng.randrange(10**6)
        item = render(random_values(random.Random(seed)), layout, random.Random(seed), 0.0)
        report = gongkai.extract(item.source_bytes)
        numbered = [c for c in report.claims if str(int(c["quantity"])) in report.text[c["span"][0]:c["span"][1]]]
        if not numbered:
            continue
        claim = rng.choice(numbered)
        start, end = claim["span"]
        at = report.text.index(str(int(claim["quantity"])), start, end)
        text = report.text[:at] + str(int(claim["quantity"]) + 7) + report.text[at + len(str(int(claim["quantity"]))):]
        injected += 1
        reported += any(f["rule"] == "claim.mismatch" for f in gongkai.extract(text).findings)
    assert injected >= 4 and reported == injected


# ---------------------------------------------------------------- doubtful reads
CONFIDENT = 0.99
DOUBTFUL = 0.42


def built_report(values: dict, confidence: float = CONFIDENT) -> Report:  # type: ignore[type-arg]
    """A report as the reader would leave it (values and confidences), without reading any text."""
    report = Report(format_version="2021")
    for path, cell in report.table_cells():
        cell.value = values.get(path)
        cell.confidence = confidence
    return report


def test_built_consistent_report_has_no_error() -> None:
    report = built_report(consistent(4))
    assert [f for f in reconcile(report) if f["severity"] == "error"] == []


def test_confident_suspect_keeps_the_error() -> None:
    values = consistent(4)
    values["requests.granted.commercial"] = (values["requests.granted.commercial"] or 0) + 3
    findings = arithmetic_findings(built_report(values))
    assert {f["rule"] for f in findings} == {"requests.row_sum", "requests.outcome_sum"}
    assert all(f["severity"] == "error" and f["suspect"] == "requests.granted.commercial" for f in findings)
    assert not any("识别置信度较低" in f["message"] for f in findings)


def test_doubtful_suspect_turns_the_error_into_a_warning_that_says_so() -> None:
    values = consistent(4)
    values["requests.granted.commercial"] = (values["requests.granted.commercial"] or 0) + 3
    report = built_report(values)
    report.cell("requests.granted.commercial").confidence = DOUBTFUL
    findings = arithmetic_findings(report)
    assert {f["rule"] for f in findings} == {"requests.row_sum", "requests.outcome_sum"}
    for f in findings:
        assert f["severity"] == "warning"
        assert f["suspect"] == "requests.granted.commercial"
        assert f"识别置信度较低（{DOUBTFUL:.2f}）" in f["message"] and "可能是读取错误" in f["message"]
        assert "商业企业" in f["message"].rsplit("最可能出错", 1)[1]


def test_only_the_suspect_cell_decides_when_there_is_one() -> None:
    values = consistent(4)
    values["requests.granted.commercial"] = (values["requests.granted.commercial"] or 0) + 3
    report = built_report(values)
    report.cell("requests.granted.total").confidence = DOUBTFUL  # in the row, but not the suspect
    assert all(f["severity"] == "error" for f in arithmetic_findings(report))


def test_without_a_suspect_any_doubtful_cell_of_the_identity_makes_a_warning() -> None:
    values = consistent(4)
    values["appeals.review.pending"] = (values["appeals.review.pending"] or 0) + 1
    report = built_report(values)
    (finding,) = arithmetic_findings(report)
    assert (finding["rule"], finding["severity"], finding.get("suspect")) == ("appeals.sum", "error", None)
    report.cell("appeals.litigation_direct.upheld").confidence = DOUBTFUL  # another identity: no effect
    assert arithmetic_findings(report)[0]["severity"] == "error"
    report.cell("appeals.review.upheld").confidence = DOUBTFUL
    (finding,) = arithmetic_findings(report)
    assert finding["severity"] == "warning"
    assert "行政复议" in finding["message"] and "结果维持" in finding["message"] and "0.42" in finding["message"]


def test_the_threshold_itself_is_not_doubtful() -> None:
    values = consistent(4)
    values["requests.granted.commercial"] = (values["requests.granted.commercial"] or 0) + 3
    report = built_report(values)
    report.cell("requests.granted.commercial").confidence = DOUBTFUL_READ_BELOW
    assert all(f["severity"] == "error" for f in arithmetic_findings(report))


def _review_claim(report: Report, quantity: int, target: str = "appeals.review.total") -> None:
    report.claims = [{"text": "被申请行政复议5起", "span": [0, 9], "quantity": quantity, "target": target,
                      "confidence": 0.95}]


@pytest.mark.parametrize(
    ("target", "doubted"),
    [("appeals.review.total", "appeals.review.total"),
     ("appeals.litigation.total", "appeals.litigation_after_review.total")],
)
def test_claim_mismatch_on_a_doubtful_cell_is_a_warning_that_says_so(target: str, doubted: str) -> None:
    report = built_report(consistent(4))
    _review_claim(report, int(claim_value(report, target) or 0) + 5, target)
    (finding,) = claim_findings(report)
    assert finding["severity"] == "error" and "识别置信度较低" not in finding["message"]
    report.cell(doubted).confidence = DOUBTFUL
    (finding,) = claim_findings(report)
    assert finding["rule"] == "claim.mismatch" and finding["severity"] == "warning"
    assert "识别置信度较低（0.42）" in finding["message"] and "可能是读取错误" in finding["message"]
