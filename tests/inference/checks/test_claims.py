"""Prose claims: numbers the narrative states about cells the tables also hold.

Every sentence below is invented for the test; real reports are read from ../shared, never copied.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai.inference.checks.claims import (
    CLAIM_PATTERNS,
    EXCLUSIONS,
    PATTERNS_BY_ID,
    Claim,
    build_narrative,
    find_claims,
    parse_chinese_number,
    read_quantity,
    widen,
)
from gongkai.training.synth import TEXT_LAYOUTS, TOPIC_SENTENCES, generate
from tests.conftest import shared_path

NEW = "requests.new_received.total"
RECEIVED = "requests.received.total"
CARRIED_OVER = "requests.carried_over.total"
CARRIED_FORWARD = "requests.carried_forward.total"
TOTAL = "requests.total.total"
REVIEW = "appeals.review.total"
LITIGATION = "appeals.litigation.total"
NORM_ISSUED = "proactive.normative_documents.issued"
NORM_REPEALED = "proactive.normative_documents.repealed"
NORM_IN_FORCE = "proactive.normative_documents.in_force"


def pairs(text: str) -> set[tuple[str, int | float]]:
    return {(c.target, c.quantity) for c in find_claims(text)}


def by_target(text: str) -> dict[str, Claim]:
    return {c.target: c for c in find_claims(text)}


# ---------------------------------------------------------------- each pattern on its own
# (pattern id, invented sentence, target, quantity). Every pattern has at least one row.
PATTERN_EXAMPLES: list[tuple[str, str, str, int | float]] = [
    ("requests.new", "本年度新收政府信息公开申请12件，上年结转3件。", NEW, 12),
    ("requests.new", "其中本年新收政府信息公开申请7件。", NEW, 7),
    ("requests.received", "本年度共收到政府信息公开申请12件。", NEW, 12),
    ("requests.received", "本机关全年收到群众、企业提交的信息公开申请共计27件。", NEW, 27),
    ("requests.received", "全年受理依申请公开事项5件。", NEW, 5),
    ("requests.received_incl_carried", "共受理政府信息公开申请20件（含上年结转2件）。", RECEIVED, 20),
    ("requests.received_number_first", "全年共收到8件申请，均已按时答复。", NEW, 8),
    ("requests.handled", "本年度办理政府信息公开申请35件。", RECEIVED, 35),
    ("requests.handled_bare", "全年受理政府信息公开申请40件。共办理38件，结转下年度2件。", TOTAL, 38),
    ("requests.completed", "收到政府信息公开申请9件，当年办结9件。", TOTAL, 9),
    ("requests.completed", "受理政府信息公开申请30件，答复28件。", TOTAL, 28),
    ("requests.carried_over", "本年度上年结转政府信息公开申请4件。", CARRIED_OVER, 4),
    ("requests.carried_over", "收到申请11件，上年度结转申请1件。", CARRIED_OVER, 1),
    ("requests.carried_forward", "本年度收到申请10件，结转下年度继续办理1件。", CARRIED_FORWARD, 1),
    ("requests.carried_forward", "收到申请10件，结转至下一年度5件。", CARRIED_FORWARD, 5),
    ("requests.carried_forward", "收到申请10件，转下一年度办理3件。", CARRIED_FORWARD, 3),
    ("requests.carried_forward_number_first", "收到申请10件，办结9件，另有1件结转下一年度办理。", CARRIED_FORWARD, 1),
    ("requests.granted", "在办理的政府信息公开申请中，予以公开6件，部分公开2件。", "requests.granted.total", 6),
    ("requests.partially_granted", "在办理的政府信息公开申请中，予以公开6件，部分公开2件。",
     "requests.partially_granted.total", 2),
    ("requests.none_received", "本年度未收到政府信息公开申请。", NEW, 0),
    ("requests.none_received", "全年没有收到公民或企业提出的信息公开申请。", NEW, 0),
    ("requests.none_received", "本局全年尚未收到依申请公开信件。", NEW, 0),
    ("requests.none", "本年度无政府信息公开申请。", NEW, 0),
    ("requests.none", "本单位无依申请公开事项。", NEW, 0),
    ("appeals.review", "因政府信息公开被申请行政复议3起。", REVIEW, 3),
    ("appeals.review", "本年度涉及政府信息公开的行政复议案件0件。", REVIEW, 0),
    ("appeals.review_number_first", "本年度发生2起因政府信息公开引起的行政复议。", REVIEW, 2),
    ("appeals.litigation", "因政府信息公开被提起行政诉讼1起。", LITIGATION, 1),
    ("appeals.litigation_number_first", "本年度有1件涉及政府信息公开的行政诉讼。", LITIGATION, 1),
    ("appeals.litigation_after_review_count", "本年度政府信息公开类行政复议3件，诉讼2件。", LITIGATION, 2),
    ("appeals.litigation_direct", "涉及政府信息公开的未经复议直接起诉案件2件。", "appeals.litigation_direct.total", 2),
    ("appeals.litigation_after_review", "涉及政府信息公开的复议后起诉案件1件。",
     "appeals.litigation_after_review.total", 1),
    ("appeals.both", "因政府信息公开引起的行政复议和行政诉讼各1起。", REVIEW, 1),
    ("appeals.both", "因政府信息公开引起的行政复议和行政诉讼各1起。", LITIGATION, 1),
    ("appeals.both", "政府信息公开行政复议、行政诉讼数量均为0。", REVIEW, 0),
    ("appeals.both", "政府信息公开行政复议、行政诉讼数量均为0。", LITIGATION, 0),
    ("appeals.upheld", "政府信息公开行政复议5件，其中结果维持2件，结果纠正1件，其他结果1件，尚未审结1件。",
     "appeals.review.upheld", 2),
    ("appeals.corrected", "政府信息公开行政复议5件，其中结果维持2件，结果纠正1件，其他结果1件，尚未审结1件。",
     "appeals.review.corrected", 1),
    ("appeals.other", "政府信息公开行政复议5件，其中结果维持2件，结果纠正1件，其他结果1件，尚未审结1件。",
     "appeals.review.other", 1),
    ("appeals.pending", "政府信息公开行政诉讼3件，其中维持2件，尚未审结1件。", "appeals.litigation.pending", 1),
    ("appeals.none", "本年度未发生因政府信息公开引起的行政复议。", REVIEW, 0),
    ("appeals.none", "没有发生涉及政府信息公开的行政复议、行政诉讼案件。", REVIEW, 0),
    ("appeals.none", "没有发生涉及政府信息公开的行政复议、行政诉讼案件。", LITIGATION, 0),
    ("appeals.none", "本年度无因依申请公开而引起的行政复议案件。", REVIEW, 0),
    ("appeals.none", "本局全年未因信息公开工作被申请行政复议或被提起行政诉讼。", LITIGATION, 0),
    ("appeals.none", "依申请公开工作未涉及行政复议、诉讼。", LITIGATION, 0),
    ("appeals.none_litigation", "本年度未被提起政府信息公开行政诉讼。", LITIGATION, 0),
    ("appeals.review_not_corrected", "本年度有1件涉及信息公开的行政复议，该行政复议案件未被复议机关纠错。",
     "appeals.review.corrected", 0),
    ("appeals.none_corrected", "全年未发生因依申请公开被行政复议纠错或行政诉讼败诉的情形。",
     "appeals.litigation.corrected", 0),
    # 表三 outcomes and applicants
    ("requests.denied", "收到政府信息公开申请40件，其中予以公开30件，不予公开3件。", "requests.denied.total", 3),
    ("requests.denied", "办理的申请中不予公开答复 2 件。", "requests.denied.total", 2),
    ("requests.not_held", "收到申请15件，其中本机关不掌握相关政府信息4件。", "requests.unable_not_held.total", 4),
    ("requests.unable", "收到申请15件；予以公开10件；因本机关不掌握等原因无法提供5件。", "requests.unable.total", 5),
    ("requests.not_processed", "收到申请15件；属信访、重复申请等不予处理2件。", "requests.not_processed.total", 2),
    ("requests.other_handling", "收到申请15件，予以公开13件，其他处理两件。", "requests.other_handling.total", 2),
    ("requests.applicant.natural_person", "共受理政府信息公开申请9件，其中自然人申请8件。",
     "requests.new_received.natural_person", 8),
    ("requests.applicant.legal_person", "共受理政府信息公开申请9件，其中法人或其他组织申请一件。",
     "requests.new_received.legal_person", 1),
    ("requests.applicant.commercial", "共收到政府信息公开申请9件，涉及自然人7件、商业企业2件。",
     "requests.new_received.commercial", 2),
    ("requests.applicant.research", "共收到政府信息公开申请9件，其中科研机构1件。",
     "requests.new_received.research", 1),
    ("requests.applicant.social_welfare", "共收到政府信息公开申请9件，其中社会公益组织1件。",
     "requests.new_received.social_welfare", 1),
    ("requests.applicant.legal_service", "共收到政府信息公开申请9件，其中法律服务机构3件。",
     "requests.new_received.legal_service", 3),
    # 表二
    ("t2.normative.issued", "本年度制发行政规范性文件6件。", NORM_ISSUED, 6),
    ("t2.normative.issued", "动态更新本年度制发的规范性文件十二件。", NORM_ISSUED, 12),
    ("t2.normative.issued_number_first", "全年印发的3个规范性文件均已公开。", NORM_ISSUED, 3),
    ("t2.normative.repealed", "经清理，宣布废止规范性文件4件。", NORM_REPEALED, 4),
    ("t2.normative.repealed_elided", "全年制发规范性文件5件、废止2件。", NORM_REPEALED, 2),
    ("t2.normative.in_force", "集中公开现行有效行政规范性文件88件。", NORM_IN_FORCE, 88),
    ("t2.normative.in_force_after", "本机关规范性文件现行有效件数为31件。", NORM_IN_FORCE, 31),
    ("t2.normative.kept", "完成规范性文件清理，保留部门规范性文件40件。", NORM_IN_FORCE, 40),
    ("t2.normative.none_issued", "本年度未制发行政规范性文件。", NORM_ISSUED, 0),
    ("t2.normative.repealed_number_first", "对规范性文件开展清理，其中3件予以废止。",
     NORM_REPEALED, 3),
    ("t2.normative.published", "全年主动公开区政府规章2件、行政规范性文件9件。", NORM_ISSUED, 9),
    ("t2.regulation.issued", "本年度出台政府规章1件。", "proactive.regulations.issued", 1),
    ("t2.regulation.issued_number_first", "年内制定了2部政府规章。", "proactive.regulations.issued", 2),
    ("t2.regulation.repealed", "本年度废止政府规章两件。", "proactive.regulations.repealed", 2),
    ("t2.regulation.repealed_elided", "全年出台规章3件，废止1件。", "proactive.regulations.repealed", 1),
    ("t2.regulation.in_force", "现行有效的政府规章共计45件。", "proactive.regulations.in_force", 45),
    ("t2.regulation.in_force_after", "市政府规章现行有效45件。", "proactive.regulations.in_force", 45),
    ("t2.regulation.kept", "清理后保留政府规章30件。", "proactive.regulations.in_force", 30),
    ("t2.regulation.none_issued", "本年度没有制定政府规章。", "proactive.regulations.issued", 0),
    ("t2.regulation.published", "全年新增公开市政府规章3件。", "proactive.regulations.issued", 3),
    ("t2.licensing", "全年办理行政许可事项1200件。", "proactive.licensing", 1200),
    ("t2.licensing_decisions", "本年度行政许可决定数量为56件。", "proactive.licensing", 56),
    ("t2.punishment", "全年作出行政处罚决定17件。", "proactive.punishment", 17),
    ("t2.coercion", "本年度实施行政强制措施3次。", "proactive.coercion", 3),
    ("t2.fees", "本年度收取行政事业性收费共计120.5万元。", "proactive.fees_wan_yuan", 120.5),
    ("t2.fees_amount", "本机关行政事业性收费项目2项，收费金额36万元。", "proactive.fees_wan_yuan", 36),
    ("t2.none_fees", "本年度未收取行政事业性收费。", "proactive.fees_wan_yuan", 0),
    ("t2.none_decisions", "本机关无行政许可、行政处罚和行政强制等行为。", "proactive.punishment", 0),
    ("t2.none_decisions", "本机关无行政许可、行政处罚和行政强制等行为。", "proactive.coercion", 0),
]


@pytest.mark.parametrize(("pattern_id", "sentence", "target", "quantity"), PATTERN_EXAMPLES)
def test_pattern_reads_its_sentence(pattern_id: str, sentence: str, target: str, quantity: float) -> None:
    claims = [c for c in find_claims(sentence) if c.target == target]
    assert [c.quantity for c in claims] == [quantity], find_claims(sentence)
    # The pattern alone matches the sentence (patterns are data, testable one by one).
    compact = build_narrative(sentence, []).compact
    assert PATTERNS_BY_ID[pattern_id].regex.search(compact)


def test_every_pattern_has_an_example() -> None:
    assert {p.id for p in CLAIM_PATTERNS} == {row[0] for row in PATTERN_EXAMPLES}
    assert len(PATTERNS_BY_ID) == len(CLAIM_PATTERNS)


def test_ambiguous_received_wording_allows_the_sum() -> None:
    claim = by_target("本年度共收到政府信息公开申请12件。")[NEW]
    assert claim.alternatives == (RECEIVED,)
    assert claim.confidence < by_target("本年度新收政府信息公开申请12件。")[NEW].confidence


def test_received_including_carried_over_is_the_sum() -> None:
    claims = by_target("共受理政府信息公开申请20件（含上年结转2件）。")
    assert claims[RECEIVED].quantity == 20 and NEW in claims[RECEIVED].alternatives
    assert claims[CARRIED_OVER].quantity == 2
    assert NEW not in claims


def test_new_received_wording_is_unambiguous() -> None:
    claims = find_claims("本年度新收政府信息公开申请12件，上年结转3件。")
    assert {(c.target, c.quantity, c.alternatives) for c in claims} == {(NEW, 12, ()), (CARRIED_OVER, 3, ())}
    assert all(c.confidence >= 0.9 for c in claims)


def test_completed_count_is_the_total_or_loosely_the_received_count() -> None:
    claim = by_target("收到政府信息公开申请9件，当年办结9件。")[TOTAL]
    assert set(claim.alternatives) == {RECEIVED, NEW}
    assert claim.confidence < by_target("本年度新收政府信息公开申请12件。")[NEW].confidence


def test_litigation_may_mean_direct_only() -> None:
    claim = by_target("因政府信息公开被提起行政诉讼1起。")[LITIGATION]
    assert "appeals.litigation_direct.total" in claim.alternatives


def test_direct_litigation_is_not_also_the_sum() -> None:
    assert pairs("涉及政府信息公开的未经复议直接提起行政诉讼案件2件。") == {("appeals.litigation_direct.total", 2)}


def test_outcomes_belong_to_the_group_named_before_them() -> None:
    text = "政府信息公开行政复议4件，其中结果维持3件，尚未审结1件；政府信息公开行政诉讼2件，其中结果维持2件。"
    assert pairs(text) == {
        (REVIEW, 4), ("appeals.review.upheld", 3), ("appeals.review.pending", 1),
        (LITIGATION, 2), ("appeals.litigation.upheld", 2),
    }


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("number", "value"),
    [("两", 2), ("十二", 12), ("二十", 20), ("一百零五", 105), ("零", 0), ("一千二百", 1200), ("三万", 30000)],
)
def test_chinese_numerals(number: str, value: int) -> None:
    assert parse_chinese_number(number) == value
    assert pairs(f"本年度共收到政府信息公开申请{number}件。") == {(NEW, value)}


def test_digit_by_digit_chinese_is_not_a_count() -> None:
    assert parse_chinese_number("二〇二四") is None


@pytest.mark.parametrize(
    ("written", "value"),
    [("1 9", 19), ("l9", 19), ("O", 0), ("１２", 12), ("1,234", 1234), (" 7 ", 7), ("1\u30009", 19)],
)
def test_numbers_with_spaces_ocr_letters_and_separators(written: str, value: int) -> None:
    assert pairs(f"本年度共收到政府信息公开申请{written}件。") == {(NEW, value)}


def test_read_quantity_reuses_the_cell_parser() -> None:
    assert read_quantity("l0") == 10 and read_quantity("O") == 0 and read_quantity("一百零五") == 105


def test_pdf_line_break_inside_a_word() -> None:
    assert pairs("全年共收到政府信息公开申\n请 7 件，均已答复。") == {(NEW, 7)}


def test_ocr_lookalikes_in_words() -> None:
    assert re.fullmatch(widen("申请"), "甲请")
    assert pairs("本年度新收攻府信息公开甲请6件，上年结转1件。") == {(NEW, 6), (CARRIED_OVER, 1)}
    assert pairs("本年度末收到政府信息公开申请。") == {(NEW, 0)}


# ---------------------------------------------------------------- negations
@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("本年度未收到政府信息公开申请。", {(NEW, 0)}),
        ("本年度没有收到信息公开申请。", {(NEW, 0)}),
        ("本年度没收到申请公开政府信息的情况。", {(NEW, 0)}),
        ("全年并未受理依申请公开事项。", {(NEW, 0)}),
        ("本年度无政府信息公开申请。", {(NEW, 0)}),
        ("本年度未发生政府信息公开行政复议。", {(REVIEW, 0)}),
        ("本年度没有发生因政府信息公开引起的行政复议案件。", {(REVIEW, 0)}),
        ("本年度无涉及政府信息公开的行政复议。", {(REVIEW, 0)}),
        ("本局全年未因信息公开工作被申请行政复议，也未被提起行政诉讼。", {(REVIEW, 0), (LITIGATION, 0)}),
        ("本年度未发生因政府信息公开引起的行政诉讼。", {(LITIGATION, 0)}),
        ("本年度没有发生因政府信息公开引起的行政复议、行政诉讼案。", {(REVIEW, 0), (LITIGATION, 0)}),
        ("本年度未发生因政府信息公开引起的行政复议和行政诉讼。", {(REVIEW, 0), (LITIGATION, 0)}),
        ("本年度没有因信息公开工作被提起行政复议或者行政诉讼。", {(REVIEW, 0), (LITIGATION, 0)}),
        ("本年度政府信息公开行政复议、行政诉讼数量均为0。", {(REVIEW, 0), (LITIGATION, 0)}),
    ],
)
def test_negations_give_zero(sentence: str, expected: set[tuple[str, int]]) -> None:
    claims = find_claims(sentence)
    assert pairs(sentence) == expected
    assert all(c.quantity == 0 and c.confidence >= 0.75 for c in claims)


@pytest.mark.parametrize(
    "sentence",
    [
        "本年度未收取政府信息公开信息处理费。",
        "申请人逾期未按收费通知要求缴纳费用的，不再处理其政府信息公开申请。",
        "无论是否涉及政府信息公开，行政复议均依法办理。",
        "未经复议直接提起行政诉讼的，依法应诉。",
        "本年度没有收到涉及信息公开工作的申诉。",
    ],
)
def test_denials_of_something_else_are_not_claims(sentence: str) -> None:
    assert find_claims(sentence) == []


def test_a_denial_of_corrections_denies_the_corrected_column_not_the_total() -> None:
    assert pairs("本年度没有出现信息公开行政复议被纠错的情形。") == {("appeals.review.corrected", 0)}


def test_a_denial_in_the_next_sentence_overrules_caseload_counts() -> None:
    text = ("五、政府信息公开行政复议、行政诉讼情况\n"
            "本年度全局共受理行政复议3起，行政诉讼5起，举报投诉15起。没有因政府信息公开被申请行政复议或提起行政诉讼的情况。\n")
    assert pairs(text) == {(REVIEW, 0), (LITIGATION, 0)}


def test_a_denial_overrules_unqualified_caseload_counts_in_its_sentence() -> None:
    text = (
        "五、政府信息公开行政复议、行政诉讼情况\n"
        "本年度全局共办理行政复议4起、行政诉讼2起，没有因政府信息公开被申请行政复议或提起行政诉讼的情况。\n"
    )
    assert pairs(text) == {(REVIEW, 0), (LITIGATION, 0)}


# ---------------------------------------------------------------- non-claims
@pytest.mark.parametrize(
    "sentence",
    [
        "本年度主动公开政府信息235条。",
        "通过门户网站发布信息1200条。",
        "本年度收取信息处理费共计380元。",
        "共承办人大建议和政协提案15件，办结率100%。",
        "按提交渠道分，网上申请9件，占60%，来信申请6件，占40%。",
        "本年度收到网络申请15件。",
        "本报告统计期限自2024年1月1日至2024年12月31日。",
        "如有疑问请联系，电话：0595-12345678。",
        "通过热线受理群众诉求46件。",
        "本机关作为复议机关共受理行政复议申请3件。",
        "申请人中自然人占79%。",
        "予以公开和部分公开共13件，占65%。",
    ],
)
def test_statements_without_a_table_cell_are_not_claims(sentence: str) -> None:
    assert find_claims(sentence) == []


def test_exclusions_are_data() -> None:
    assert {"proactive", "fees", "proposals", "petitions", "appeals", "channel"} <= set(EXCLUSIONS)
    assert EXCLUSIONS["channel"].regex.search("网络申请")


# ---------------------------------------------------------------- tables and headings
TSV_TABLE3 = (
    "三、收到和处理政府信息公开申请情况\n"
    "\t\t申请人情况\n"
    "一、本年新收政府信息公开申请数量\t3\t0\t0\t0\t0\t0\t3\n"
    "二、上年结转政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1\n"
    "三、本年度办理结果\t（一）予以公开\t2\t0\t0\t0\t0\t0\t2\n"
    "\t（七）总计\t3\t0\t0\t0\t0\t0\t3\n"
    "四、结转下年度继续办理\t1\t0\t0\t0\t0\t0\t1\n"
)


def test_tsv_table_yields_no_claims() -> None:
    assert find_claims(TSV_TABLE3) == []


def test_one_cell_per_line_table_yields_no_claims() -> None:
    cells = ["一、本年新收政府信息公开申请数量", "3件", "0", "二、上年结转政府信息公开申请数量", "1件", "0",
             "四、结转下年度继续办理", "1件", "0"]
    text = "三、收到和处理政府信息公开申请情况\n" + "".join(f"\t{c}\n" for c in cells)
    assert find_claims(text) == []


def test_markdown_table_yields_no_claims() -> None:
    text = (
        "| 一、本年新收政府信息公开申请数量 | 3 | 0 | 3 |\n|---|---|---|---|\n"
        "| 四、结转下年度继续办理 | 1件 | 0 | 1 |\n"
    )
    assert find_claims(text) == []


def test_flattened_table_yields_no_claims_but_prose_beside_it_does() -> None:
    text = (
        "三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
        "申请人情况自然人法人或其他组织商业企业科研机构总计一、本年新收政府信息公开申请数量2000002"
        "二、上年结转政府信息公开申请数量0000000四、结转下年度继续办理1件\u3000\u3000"
        "四、政府信息公开行政复议、行政诉讼情况\u3000\u3000本年度未发生涉及政府信息公开的行政复议。\n"
    )
    assert pairs(text) == {(REVIEW, 0)}


def test_prose_before_the_table_is_read_and_the_table_is_not() -> None:
    text = "（二）依申请公开情况\n本年度新收政府信息公开申请3件，上年结转1件。\n" + TSV_TABLE3
    assert pairs(text) == {(NEW, 3), (CARRIED_OVER, 1)}


def test_headings_are_skipped_and_run_in_headings_keep_their_sentence() -> None:
    assert find_claims("（一）收到政府信息公开申请12件的办理情况\n正文从略。\n") == []
    assert pairs("（二）依申请公开。截至年底，本机关未收到政府信息公开申请。\n") == {(NEW, 0)}


def test_topic_from_the_sentence_before_or_the_heading() -> None:
    text = "本年度共有2起与政府信息公开有关的行政复议，均已结案。相关行政诉讼为0起。"
    claims = by_target(text)
    assert claims[REVIEW].quantity == 2 and claims[LITIGATION].quantity == 0
    assert claims[LITIGATION].confidence < claims[REVIEW].confidence
    # Without any topic word an appeal count is someone else's caseload.
    assert find_claims("全局共办理行政复议4起。") == []


# ---------------------------------------------------------------- claim shape
def test_spans_index_into_the_text_and_claims_are_unique() -> None:
    text = (
        "一、总体情况\n本年度共收到政府信息公开申请 1 2 件，办结12件，结转下年度继续办理0件。\n"
        "因政府信息公开被申请行政复议2起。\n"
    )
    claims = find_claims(text)
    assert claims
    for c in claims:
        assert text[c.span[0]:c.span[1]] == c.text
    assert len({(c.span, c.target) for c in claims}) == len(claims)
    assert claims == find_claims(text)  # deterministic
    assert [c.span for c in claims] == sorted(c.span for c in claims)


def test_to_dict_has_the_schema_keys() -> None:
    plain = by_target("本年度新收政府信息公开申请12件。")[NEW].to_dict()
    assert set(plain) == {"text", "span", "quantity", "target", "confidence"}
    assert isinstance(plain["span"], list)
    ambiguous = by_target("本年度共收到政府信息公开申请12件。")[NEW].to_dict()
    assert ambiguous["alternatives"] == [RECEIVED]


ALPHABET = "收到受理申请政府信息公开行政复议诉讼未无没有结转下年度件起共12０l O，。；\n\t|#、（）含上"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=80))
def test_any_text_gives_well_formed_claims(text: str) -> None:
    claims = find_claims(text)
    for c in claims:
        assert 0 <= c.span[0] < c.span[1] <= len(text)
        assert text[c.span[0]:c.span[1]] == c.text
        assert 0 < c.confidence <= 1
    assert claims == find_claims(text)


# ---------------------------------------------------------------- seeds (../shared)
def seed_text(prefix: str) -> str:
    paths = sorted(shared_path("seeds").glob(f"{prefix}_*.txt"))
    assert paths, f"../shared is required for this test (seed {prefix} missing)"
    return paths[0].read_text(encoding="utf-8")


def seed_claims(prefix: str) -> dict[str, list[Claim]]:
    out: dict[str, list[Claim]] = {}
    for c in find_claims(seed_text(prefix)):
        out.setdefault(c.target, []).append(c)
    return out


def test_seed_000_stated_zero_requests_and_zero_reviews() -> None:
    claims = seed_claims("000")
    assert [c.quantity for c in claims[NEW]] == [0]
    assert claims[NEW][0].pattern == "requests.received"
    assert [c.quantity for c in claims[REVIEW]] == [0]
    assert set(claims) == {NEW, REVIEW}


def test_seed_001_no_requests_by_negation() -> None:
    claims = seed_claims("001")
    assert set(claims) == {NEW}
    assert all(c.quantity == 0 and c.pattern.startswith("requests.none") for c in claims[NEW])


def test_seed_002_one_request_and_no_review() -> None:
    claims = seed_claims("002")
    assert [c.quantity for c in claims[NEW]] == [1]
    assert [(c.quantity, c.pattern) for c in claims[REVIEW]] == [(0, "appeals.none")]
    # “（无…行政许可、行政处罚和行政强制等行为…）”: three 表二 cells denied at once.
    decisions = {"proactive.licensing", "proactive.punishment", "proactive.coercion"}
    assert all([c.quantity for c in claims[t]] == [0] for t in decisions)
    assert set(claims) == {NEW, REVIEW} | decisions


def test_seed_003_letters_count_as_requests_and_both_appeals_denied() -> None:
    claims = seed_claims("003")
    assert [c.quantity for c in claims[NEW]] == [0]
    assert [c.quantity for c in claims[REVIEW]] == [0]
    assert [c.quantity for c in claims[LITIGATION]] == [0]
    assert set(claims) == {NEW, REVIEW, LITIGATION}


def test_seed_004_no_requests_by_negation() -> None:
    claims = seed_claims("004")
    assert set(claims) == {NEW}
    assert [(c.quantity, c.pattern) for c in claims[NEW]] == [(0, "requests.none_received")]


# ---------------------------------------------------------------- real corpus (../shared)
def corpus_text(name: str) -> str:
    return shared_path("corpus", "real", name).read_text(encoding="utf-8")


def corpus_files() -> list[Path]:
    root = shared_path("corpus", "real")
    return sorted([*root.glob("r0*.txt"), *root.glob("r0*.md")])


def test_corpus_claims_are_well_formed() -> None:
    files = corpus_files()
    assert files
    total = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        claims = find_claims(text)
        total += len(claims)
        for c in claims:
            assert text[c.span[0]:c.span[1]] == c.text
            assert "\t" not in c.text and "|" not in c.text, (path.name, c)
    assert total >= 60


def test_r013_caseload_counts_are_not_disclosure_appeals() -> None:
    claims = find_claims(corpus_text("r013.txt"))
    assert {(c.target, c.quantity) for c in claims if c.target.startswith("appeals.")} == {(REVIEW, 0), (LITIGATION, 0)}


def test_r009_channel_breakdown_is_not_a_claim() -> None:
    assert {(c.target, c.quantity) for c in find_claims(corpus_text("r009.txt"))} == {(NEW, 19), (TOTAL, 19)}


def test_r032_number_first_counts() -> None:
    assert {(NEW, 70), (TOTAL, 69), (CARRIED_FORWARD, 1)} <= pairs(corpus_text("r032.txt"))


def test_r028_carried_forward_to_a_named_year() -> None:
    assert (CARRIED_FORWARD, 6) in pairs(corpus_text("r028.txt"))


def test_r005_pdf_line_breaks_and_number_first_review() -> None:
    found = pairs(corpus_text("r005.md"))
    assert {(REVIEW, 1), (LITIGATION, 0), (CARRIED_OVER, 2), (NEW, 34)} <= found
    assert not any(target == TOTAL for target, _ in found)  # “…答复N件” after an outcome is not 办结


def test_r006_merged_outcomes_are_not_one_row() -> None:
    found = pairs(corpus_text("r006.md"))
    assert {(NEW, 1295), (TOTAL, 1191), (CARRIED_OVER, 189)} <= found
    assert not any(target == "requests.granted.total" for target, _ in found)
    # A denial of corrections denies the corrected columns, not the totals.
    corrected = {"appeals.review.corrected", "appeals.litigation.corrected"}
    assert {t for t, _ in found if t.startswith("appeals.")} == corrected


# ---------------------------------------------------------------- generated reports
# Which table number each narrative placeholder of the generator holds.
SYNTH_FIELDS = {"new_received": NEW, "carried_over": CARRIED_OVER, "review_total": REVIEW}


def stated_sentences() -> list[tuple[re.Pattern[str], list[str]]]:
    """The generator's narrative sentences that state table numbers, as regexes over clean text."""
    out = []
    for pool in TOPIC_SENTENCES.values():
        for sentence in pool:
            names = re.findall(r"\{(\w+)\}", sentence)
            if names and all(n in SYNTH_FIELDS for n in names):
                pattern = re.escape(sentence)
                for n in names:
                    pattern = pattern.replace(re.escape("{" + n + "}"), r"([0-9]+)")
                out.append((re.compile(pattern), [SYNTH_FIELDS[n] for n in names]))
    return out


def gold_value(gold: dict[str, int | float | None], target: str) -> int | float | None:
    sums = {RECEIVED: (NEW, CARRIED_OVER),
            LITIGATION: ("appeals.litigation_direct.total", "appeals.litigation_after_review.total")}
    parts = [gold.get(p) for p in sums.get(target, (target,))]
    return None if any(p is None for p in parts) else sum(parts)  # type: ignore[arg-type]


@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_generated_reports_stated_numbers_are_found(noise: float) -> None:
    sentences = stated_sentences()
    assert sentences, "the generator no longer states table numbers in its narrative"
    # The narrative is drawn before any noise: the clean twin says which numbers were stated.
    clean = generate(200, seed=11, layouts=TEXT_LAYOUTS, noise=0.0)
    noisy = generate(200, seed=11, layouts=TEXT_LAYOUTS, noise=noise)
    stated = found = claimed = agreeing = 0
    for twin, report in zip(clean, noisy):
        assert report.text is not None and twin.text is not None
        claims = find_claims(report.text)
        for regex, targets in sentences:
            for m in regex.finditer(twin.text):
                for target, value in zip(targets, map(int, m.groups())):
                    stated += 1
                    found += any(c.quantity == value and target in (c.target, *c.alternatives) for c in claims)
        claimed += len(claims)
        agreeing += sum(any(gold_value(report.gold, t) == c.quantity for t in (c.target, *c.alternatives))
                        for c in claims)
    assert stated >= 100
    assert found / stated >= 0.95
    assert agreeing / claimed >= 0.95
