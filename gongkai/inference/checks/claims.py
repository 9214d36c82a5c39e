"""Numbers the narrative states about cells that the tables also hold (the schema's ``claims``).

A report's prose often repeats a table number (“共受理政府信息公开申请12件”, “行政复议案件0起”)
or denies there were any (“未收到…政府信息公开申请” → 0). The reconciler compares each claim
with its cell, so a claim must name a schema path (or one of the two sums the schema allows:
``requests.received.total`` = 新收 + 上年结转, ``appeals.litigation.total`` = 直接起诉 + 复议后起诉)
and say how sure the reading is. Wording that allows several cells lists the others in
``alternatives``; the reconciler accepts any of them.

How it works: table regions, table-like lines and headings are masked; what remains is
compacted (whitespace inside a paragraph removed, so “1 9件”, a stray OCR space or a PDF line
break inside a word do not break a pattern) into one string with an offset map back to ``text``.
The sentences of it that hold a trigger word and a number or a negation form the “focus”, and
every pattern in ``CLAIM_PATTERNS`` runs once over that. The patterns are data: each has an id,
a regex built from shared fragments (OCR look-alike characters widened into classes), its
targets, a base confidence, whether it is a negation (quantity 0), the topic words it needs and
the exclusions that veto it (``EXCLUSIONS``: published items, fees, proposals, channels …).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gongkai.inference.fields import find_sections, heading_span
from gongkai.inference.tables.numbers import FULLWIDTH_DIGITS, OCR_LABEL_CONFUSIONS, parse_number
from gongkai.inference.tables.read import find_regions
from gongkai.report import Section

# ---------------------------------------------------------------- confidence
# Base confidence of each kind of statement (hand-set on the seeds and the real corpus; the
# reconciler raises an error only for claims at 0.9 or more with a single possible target).
EXPLICIT = 0.95  # a number with wording that names exactly one cell (本年新收 / 上年结转 / 行政复议 N 起)
NEGATION = 0.9  # “未收到…申请”, “没有发生…行政复议”: 0, but the scope of a denial is sometimes narrower
BOTH_STATED = 0.9  # “行政复议和行政诉讼各N起 / 均为N”: one number for two cells
INCLUDES_CARRIED = 0.9  # “共受理…N件（含上年结转M件）”: the sum 新收 + 上年结转
AMBIGUOUS_SCOPE = 0.8  # “共受理/收到…申请N件”: 新收 only, or 新收 + 上年结转
LITIGATION = 0.85  # “行政诉讼N起”: both 行政诉讼 groups, or only 直接起诉
# Below CLAIM_ERROR_CONFIDENCE (0.75) a disagreement stays a warning: the sentence may not be a
# statement about the table at all. Ambiguity of target is not doubt: it is carried by alternatives.
HANDLED = 0.8  # “办理…申请N件”: received, new or handled — the wording does not say (alternatives)
OUTCOME = 0.8  # “予以公开N件”: one outcome row (merged rows, “予以公开和部分公开N件”, are no claim)
COMPLETED = 0.8  # “办结N件”: 三（七）总计, or loosely the received total (alternatives)
APPEAL_OUTCOME = 0.85  # “行政复议N件，其中结果维持M件”: one outcome column of the group named before it
APPLICANT = 0.85  # “其中自然人N件、法人或其他组织M件”: a column of the requests counted just before
DOCUMENTS = 0.9  # “制发/废止/现行有效规范性文件N件”: one 表二 cell named by its own words
DOCUMENTS_LOOSE = 0.7  # “保留规范性文件N件”, “主动公开规章N件”: the figure, in words a table does not print
DECISIONS = 0.85  # “作出行政许可决定N件”, “行政处罚N起”: 表二's decision counts (catalogues say 事项)
FEES = 0.9  # “收取行政事业性收费N万元”
# A claim whose topic words (信息公开 / 依申请 …) stand not in its own sentence but in the sentence
# before it (same paragraph) or in its section heading.
CONTEXT_PENALTY = 0.1
# How far back in its paragraph a claim's topic may stand (“…申请81件，其中予以公开42件；
# 不予公开5件；无法提供31件…”: the outcomes are clauses of one list).
CONTEXT_SEGMENTS = 4
# A negation whose topic is nowhere stated (“未发生行政复议”).
UNQUALIFIED_PENALTY = 0.15

# ---------------------------------------------------------------- targets
NEW = "requests.new_received.total"
CARRIED_OVER = "requests.carried_over.total"
CARRIED_FORWARD = "requests.carried_forward.total"
HANDLED_TOTAL = "requests.total.total"
RECEIVED = "requests.received.total"  # sum: 新收 + 上年结转
GRANTED = "requests.granted.total"
PARTIALLY_GRANTED = "requests.partially_granted.total"
REVIEW = "appeals.review.total"
LITIGATION_SUM = "appeals.litigation.total"  # sum: 直接起诉 + 复议后起诉
LITIGATION_DIRECT = "appeals.litigation_direct.total"
LITIGATION_AFTER_REVIEW = "appeals.litigation_after_review.total"
DENIED = "requests.denied.total"  # sum: 三（三）不予公开
NOT_HELD = "requests.unable_not_held.total"
UNABLE = "requests.unable.total"  # sum: 三（四）无法提供
NOT_PROCESSED = "requests.not_processed.total"  # sum: 三（五）不予处理
OTHER_HANDLING = "requests.other_handling.total"  # sum: 三（六）其他处理

# Every target a claim may name: a cell path of the schema, or a sum the template prints as a
# group (三（三）不予公开, 法人或其他组织 …) that prose states as one number. The sums are
# defined in ``reconcile.CLAIM_SUMS``; the Chinese says what the prose calls it.
CLAIM_TARGETS: dict[str, str] = {
    "requests.new_received.total": "本年新收申请",
    "requests.new_received.natural_person": "本年新收·自然人",
    "requests.new_received.legal_person": "本年新收·法人或其他组织（五列之和）",
    "requests.new_received.commercial": "本年新收·商业企业",
    "requests.new_received.research": "本年新收·科研机构",
    "requests.new_received.social_welfare": "本年新收·社会公益组织",
    "requests.new_received.legal_service": "本年新收·法律服务机构",
    "requests.received.natural_person": "新收 + 上年结转·自然人",
    "requests.received.legal_person": "新收 + 上年结转·法人或其他组织",
    "requests.received.commercial": "新收 + 上年结转·商业企业",
    "requests.received.research": "新收 + 上年结转·科研机构",
    "requests.received.social_welfare": "新收 + 上年结转·社会公益组织",
    "requests.received.legal_service": "新收 + 上年结转·法律服务机构",
    "requests.carried_over.total": "上年结转",
    "requests.received.total": "新收 + 上年结转",
    "requests.granted.total": "予以公开",
    "requests.partially_granted.total": "部分公开",
    "requests.denied.total": "不予公开（八行之和）",
    "requests.unable_not_held.total": "本机关不掌握相关政府信息",
    "requests.unable.total": "无法提供（三行之和）",
    "requests.not_processed.total": "不予处理（五行之和）",
    "requests.not_processed_repeated.total": "重复申请",
    "requests.other_handling.total": "其他处理（各行之和）",
    "requests.total.total": "办结 / 答复（三（七）总计）",
    "requests.carried_forward.total": "结转下年度继续办理",
    "appeals.review.total": "行政复议",
    "appeals.review.upheld": "行政复议·结果维持",
    "appeals.review.corrected": "行政复议·结果纠正",
    "appeals.review.other": "行政复议·其他结果",
    "appeals.review.pending": "行政复议·尚未审结",
    "appeals.litigation.total": "行政诉讼（直接起诉 + 复议后起诉）",
    "appeals.litigation.upheld": "行政诉讼·结果维持",
    "appeals.litigation.corrected": "行政诉讼·结果纠正",
    "appeals.litigation.other": "行政诉讼·其他结果",
    "appeals.litigation.pending": "行政诉讼·尚未审结",
    "appeals.litigation_direct.total": "未经复议直接起诉",
    "appeals.litigation_after_review.total": "复议后起诉",
    "proactive.regulations.issued": "规章·本年制发",
    "proactive.regulations.repealed": "规章·本年废止",
    "proactive.regulations.in_force": "规章·现行有效",
    "proactive.normative_documents.issued": "规范性文件·本年制发",
    "proactive.normative_documents.repealed": "规范性文件·本年废止",
    "proactive.normative_documents.in_force": "规范性文件·现行有效",
    "proactive.licensing": "行政许可·本年处理决定数量",
    "proactive.punishment": "行政处罚·本年处理决定数量",
    "proactive.coercion": "行政强制·本年处理决定数量",
    "proactive.fees_wan_yuan": "行政事业性收费（万元）",
}


@dataclass(frozen=True)
class Claim:
    """One number the narrative states; ``span`` indexes into the report text."""

    text: str
    span: tuple[int, int]
    quantity: int | float
    target: str
    confidence: float
    alternatives: tuple[str, ...] = ()
    pattern: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "span": list(self.span),
            "quantity": self.quantity,
            "target": self.target,
            "confidence": round(float(self.confidence), 4),
        }
        if self.alternatives:
            out["alternatives"] = list(self.alternatives)
        return out


# ---------------------------------------------------------------- regex fragments
# Every fragment runs on the compacted narrative: no whitespace, full-width digits folded.
FRAGMENTS: dict[str, str] = {
    # A number: Arabic (OCR letters O/l inside, thousands separators) or Chinese numerals; never
    # part of a longer run, a date, a percentage or a decimal that goes on.
    # (Written to start with one character class, so that the regex engine can skip ahead to it.)
    "NUM": (r"(?P<num>[0-9OolI〇零一二两三四五六七八九十百千万]"
            r"(?:(?<=[0-9OolI〇])(?<![0-9A-Za-z.,\-].)[0-9OolI〇]*(?:,[0-9]{3})*(?:\.[0-9]+)?(?![0-9%％‰.年月日号时])"
            r"|(?<=[零〇一二两三四五六七八九十百千万])[零〇一二两三四五六七八九十百千万]*(?![年月日号时])))"),
    "ANY_NUM": r"(?:[0-9OolI〇]+(?:,[0-9]{3})*|[零〇一二两三四五六七八九十百千万]+)",  # a number not read
    "UR": r"(?:件|宗|份)",  # unit of a request count
    "UC": r"(?:起|件|宗|个|例|次)",  # unit of an appeal count
    # Between a verb and its object: no clause break, no number.
    "GAP": r"[^\n。；;！!？?，,0-9]{0,30}?",
    # Between a negator and what it denies: also no second negation (“未…不再处理…申请”).
    "NGAP": r"[^\n。；;！!？?，,0-9不未无没]{0,26}?",
    # Between the number and its unit's noun: “有N起与信息公开有关的行政复议”.
    "NFGAP": r"[^\n。；;！!？?，,0-9]{0,20}?",
    # What may stand between a noun and its number: “申请数量为”, “案件共计”, “的有”.
    "PRE": r"(?:数量|总数|件数|数|件)?(?:共计|合计|总计|累计|总共|共|计|为|是|达|有|的){0,3}",
    # A request for disclosure, spelt out.
    "REQ": (r"(?:(?:政府)?信息公开(?:的)?申请|申请公开(?:政府)?信息|依申请(?:政府)?(?:信息)?公开(?:政府信息|信息)?"
            r"(?:的)?(?:信件|申请|事项|文件数?)?|公开申请|依申请)"),
    "VERB": r"(?:收到|受理|接收|接到|收悉)(?:了)?",
    # (\未 is 未 kept out of OCR widening: a branch of plain characters lets the engine skip ahead.)
    "NEG": r"(?:无(?<!有无)(?!论|法|需|须|效|关|疑|偿)|没有?|尚未|并未|从未|\未|\末)(?:曾)?",
    # How a denial of appeals goes on (“未发生…”, “没有因…”, “无行政复议…”); “未经复议” is no denial.
    "NEG_OPEN": (r"(?:发生|出现|产生|收到|接到|受理|有|因|被|涉及|引起|引发|提起|遇到|存在|针对|"
                 r"(?=行政复议|行政诉讼|政府信息公开|信息公开|依申请))"),
    # What the year after a carry-forward is called: 下年度, 下一年, 次年, 2026年.
    "NEXT_YEAR": r"(?:结转|转入?|顺延)(?:至|到|入)?(?:下一?个?年度?|次年度?|明年|[0-9]{4}年度?)",
    # A denial does not deny the count when it goes on about fees, appeals or corrections.
    "REQ_TAIL": r"(?!人|书|表|(?:的)?(?:收费|费|引发|引起|导致|而|被|行政复议|行政诉讼|复议|诉讼|纠错|败诉))",
    "APPEAL_TAIL": r"(?![^\n。；;，,]{0,8}?(?:纠错|败诉|被纠正|纠正|被撤销|撤销|确认违法|违法))",
    "AND": r"(?:和|、|及|与|或|以及|或者)",
    # 表二: the documents and the unit they are counted in; 规章制度 are internal rules.
    "DOC": r"(?:行政)?规范性文件",
    "REG": r"(?:政府)?规章(?!制度)",
    "UD": r"(?:件|份|个|部|篇)",
    "UX": r"(?:件|项|起|宗|个|次|例)",  # unit of a decision count
    # Between a verb and the documents it acts on: no clause break, number or other verb.
    "DGAP": r"[^\n。；;！!？?，,0-9制废保现]{0,14}?",
    "ISSUE": r"(?:制发|出台|印发|制定|新制定|新出台|新制发)(?:了|的)?",
}

def _ocr_classes() -> dict[str, str]:
    """Each confusable character → all characters OCR mixes it up with (已 / 己 / 巳 are one group)."""
    groups: dict[str, set[str]] = {}
    for misread, canonical in OCR_LABEL_CONFUSIONS:
        group = groups.get(misread, set()) | groups.get(canonical, set()) | {misread, canonical}
        for ch in group:
            groups[ch] = group
    return {ch: "".join(sorted(group)) for ch, group in groups.items()}


_OCR_CLASSES = _ocr_classes()


def widen(template: str) -> str:
    """Let every OCR-confusable character of a regex also match its look-alikes (申 → [申甲])."""
    out: list[str] = []
    in_class = escaped = False
    for ch in template:
        if escaped:
            out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        alike = _OCR_CLASSES.get(ch)
        if alike is None:
            out.append(ch)
        else:
            out.append(alike if in_class else f"[{alike}]")
    return "".join(out)


_HOLE_RE = re.compile(r"\{([A-Z_]+)\}")


def build_regex(template: str) -> re.Pattern[str]:
    """A pattern template with ``{FRAGMENT}`` holes, filled, OCR-widened and compiled."""
    return re.compile(widen(_HOLE_RE.sub(lambda m: FRAGMENTS[m.group(1)], template)))


# ---------------------------------------------------------------- exclusions
@dataclass(frozen=True)
class Exclusion:
    """Wording inside a match that makes its number something no table holds."""

    id: str
    regex: re.Pattern[str]
    before: int = 0  # characters before the match (same clause) that the wording may stand in


EXCLUSIONS: dict[str, Exclusion] = {
    e.id: e
    for e in (
        Exclusion("proactive", build_regex(r"主动公开|发布")),  # items published, not requests
        Exclusion("fees", build_regex(r"信息处理费|收费|费用")),
        Exclusion("proposals", build_regex(r"建议|提案")),
        Exclusion("petitions", build_regex(r"诉求|信访|举报|投诉|热线|12345|来电")),
        # An application for review or a lawsuit is not a disclosure request.
        Exclusion("appeals", build_regex(r"复议|诉讼")),
        # “网上申请N件”: a breakdown of the requests by channel.
        Exclusion("channel", build_regex(
            r"(?:网络|网上|在线|信函|来信|当面|现场|邮寄|传真|电子邮件|邮件|电话)(?:提交的?|提出的?)?申请")),
        # A count of catalogue items or services offered online, not decisions made.
        Exclusion("catalogue", build_regex(r"网上|在线|实现|清单|目录|权责|审批服务"), before=4),
        # A clean-up's tally of documents to revise, or kept under review.
        Exclusion("cleanup", build_regex(r"拟|列入|修改|修订|清理出|评估")),
        Exclusion("processing_fee", build_regex(r"信息处理费|处理费")),
    )
}
REQUEST_EXCLUSIONS = ("proactive", "fees", "proposals", "petitions", "appeals", "channel")
OUTCOME_EXCLUSIONS = ("proactive", "fees", "proposals", "appeals", "channel")  # 不予处理 names 信访 itself
APPEAL_EXCLUSIONS = ("fees", "proposals", "petitions")
DOCUMENT_EXCLUSIONS = ("proposals", "cleanup")
DECISION_EXCLUSIONS = ("proposals", "catalogue", "fees")

# Topic words that make a number in a sentence (or under a heading) a number about disclosure.
QUALIFIERS: dict[str, re.Pattern[str]] = {
    "request": build_regex(r"信息公开|依申请|申请"),
    "appeal": build_regex(r"信息公开|依申请|公开申请|政务公开"),
    "self": re.compile(""),  # the pattern's own words name the table (规范性文件, 行政许可 …)
    "documents": build_regex(r"规范性文件|规章(?!制度)"),
    "fee": build_regex(r"行政事业性收费"),
}
SECTION_QUALIFIERS: dict[str, re.Pattern[str]] = {
    "request": build_regex(r"申请"),
    "appeal": build_regex(r"复议|诉讼"),
}


# ---------------------------------------------------------------- patterns
@dataclass(frozen=True)
class ClaimPattern:
    """One way the narrative states a table number.

    ``targets`` pairs a regex group that must have matched ("" = always) with the target it
    gives, so “没有发生…行政复议、行政诉讼” yields two claims. ``qualifier`` names the topic
    words that must precede the number in its sentence (or stand in its section heading);
    ``required`` drops an unqualified match, otherwise it only loses confidence.
    """

    id: str
    regex: re.Pattern[str]
    targets: tuple[tuple[str, str], ...]
    confidence: float
    alternatives: tuple[str, ...] = ()
    negation: bool = False
    qualifier: str = ""
    required: bool = True
    exclude: tuple[str, ...] = ()


def _p(pattern_id: str, template: str, target: str | tuple[tuple[str, str], ...], confidence: float, *,
       alternatives: tuple[str, ...] = (), negation: bool = False, qualifier: str = "request",
       required: bool = True, exclude: tuple[str, ...] | None = None) -> ClaimPattern:
    targets = ((("", target),) if isinstance(target, str) else target)
    if exclude is None:
        exclude = REQUEST_EXCLUSIONS if qualifier == "request" else APPEAL_EXCLUSIONS
    return ClaimPattern(pattern_id, build_regex(template), targets, confidence, alternatives, negation, qualifier,
                        required, exclude)


# An outcome count (“其中结果维持N件”) belongs to the group last named before it in its sentence;
# a target holding ``{group}`` is completed with it.
APPEAL_GROUP_WORDS: tuple[tuple[str, str], ...] = (
    ("复议后起诉", "litigation_after_review"), ("直接起诉", "litigation_direct"), ("行政复议", "review"),
    ("行政诉讼", "litigation"),
)
_APPEAL_GROUP_RE = build_regex("|".join(f"(?P<{group}>{word})" for word, group in APPEAL_GROUP_WORDS))
_BOTH = (("", REVIEW), ("", LITIGATION_SUM))
_NEG_APPEAL_TARGETS = (("review", REVIEW), ("lit", LITIGATION_SUM))

CLAIM_PATTERNS: tuple[ClaimPattern, ...] = (
    # ---- 表三: requests
    # “本年度新收政府信息公开申请N件”: the table's own words.
    _p("requests.new", r"新收(?:到)?(?:{GAP}{REQ})?{PRE}{NUM}{UR}", NEW, EXPLICIT),
    # “共受理/收到…申请N件（含上年结转M件）”: 新收 + 上年结转.
    _p("requests.received_incl_carried",
       r"(?:收到|受理|接收|接到|收悉|办理|处理)(?:了)?{GAP}(?:{REQ}|申请){PRE}{NUM}{UR}"
       r"(?=[（(]含上一?年度?结转)",
       RECEIVED, INCLUDES_CARRIED, alternatives=(NEW,)),
    # “共收到政府信息公开申请N件”: new only, or new + carried over.
    _p("requests.received", r"{VERB}{GAP}(?:{REQ}|申请){PRE}{NUM}{UR}(?![（(]含)",
       NEW, AMBIGUOUS_SCOPE, alternatives=(RECEIVED,)),
    # “共收到N件申请”.
    _p("requests.received_number_first",
       r"{VERB}(?:各类|各项)?{PRE}{NUM}{UR}{NFGAP}(?:政府信息公开|信息公开|依申请公开)?(?:申请|信件)",
       NEW, AMBIGUOUS_SCOPE, alternatives=(RECEIVED,)),
    # “办理政府信息公开申请N件”: received, new or handled.
    _p("requests.handled", r"(?:办理|处理)(?:了)?{GAP}{REQ}{PRE}{NUM}{UR}(?![（(]含)",
       RECEIVED, HANDLED, alternatives=(NEW, HANDLED_TOTAL)),
    # “共办理N件，结转下年度M件”: handled this year.
    _p("requests.handled_bare", r"(?:共|全年|累计|全部)办理(?:完成|完毕|答复)?{NUM}{UR}",
       HANDLED_TOTAL, COMPLETED, alternatives=(RECEIVED,)),
    # “办结N件”: 三（七）总计 (办结率 is a rate, not a count; “予以公开答复N件” an outcome).
    _p("requests.completed",
       r"(?:办结|(?<![度年])办理答复|答复(?<![开理处予供]答复)|办理完成|办理完毕)(?:了)?(?:{REQ}|申请)?{PRE}{NUM}{UR}",
       HANDLED_TOTAL, COMPLETED, alternatives=(RECEIVED, NEW)),
    _p("requests.carried_over",
       r"上一?年度?(?:结转|转入|遗留)(?:的)?(?:{REQ}|申请)?(?:数量|数)?{PRE}{NUM}{UR}",
       CARRIED_OVER, EXPLICIT),
    # “结转下年度继续办理N件”, “转下一年度办理的有N件”, “结转至2030年N件”.
    _p("requests.carried_forward",
       r"{NEXT_YEAR}(?:继续)?(?:办理|处理)?(?:答复)?(?:的)?(?:{REQ}|申请)?{PRE}{NUM}{UR}",
       CARRIED_FORWARD, EXPLICIT),
    # “N件结转下年度”, “另有N件申请依规顺延至下年度”.
    _p("requests.carried_forward_number_first", r"{NUM}{UR}(?:申请)?{NFGAP}{NEXT_YEAR}",
       CARRIED_FORWARD, EXPLICIT),
    # One outcome row; “予以公开和部分公开N件” merges two rows and is no claim.
    _p("requests.granted",
       r"(?:予以公开|同意公开|公开答复(?<!不予公开答复)(?<!部分公开答复))(?<![不及和与、]....)(?:答复)?(?:的)?(?:申请)?{PRE}{NUM}{UR}",
       GRANTED, OUTCOME),
    _p("requests.partially_granted", r"部分公开(?<![及和与、]....)(?:答复)?(?:的)?(?:申请)?{PRE}{NUM}{UR}",
       PARTIALLY_GRANTED, OUTCOME),
    # “未收到…提出的政府信息公开申请”, “尚未收到依申请公开信件”.
    _p("requests.none_received",
       r"{NEG}(?:收到|受理|接到|接收|收悉)(?:过|到)?(?:任何)?{NGAP}(?:{REQ}|申请){REQ_TAIL}",
       NEW, NEGATION, negation=True, required=False),
    # “无依申请公开事项”, “没有政府信息公开申请”.
    _p("requests.none", r"(?:没有|无(?<!有无))(?:任何|相关|有关)?{REQ}{REQ_TAIL}",
       NEW, NEGATION, negation=True, required=False),
    # “予以公开N件，部分公开M件，不予公开K件，无法提供…”: the outcome rows and groups of 三.
    _p("requests.denied", r"不予公开(?:答复)?(?:的)?(?:申请)?{PRE}{NUM}{UR}", DENIED, OUTCOME,
       exclude=OUTCOME_EXCLUSIONS),
    _p("requests.not_held",
       r"(?:本机关)?(?:不掌握|信息不存在)(?:相关)?(?:政府)?(?:信息)?(?:的)?(?:申请)?{PRE}{NUM}{UR}",
       NOT_HELD, OUTCOME, alternatives=(UNABLE,), exclude=OUTCOME_EXCLUSIONS),
    _p("requests.unable", r"无法提供(?:答复)?(?:的)?(?:申请)?{PRE}{NUM}{UR}", UNABLE, OUTCOME, alternatives=(NOT_HELD,),
       exclude=OUTCOME_EXCLUSIONS),
    _p("requests.not_processed", r"不予处理(?:答复)?(?:的)?(?:申请)?{PRE}{NUM}{UR}", NOT_PROCESSED, OUTCOME,
       exclude=OUTCOME_EXCLUSIONS),
    _p("requests.other_handling", r"其他处理(?:的)?(?:申请)?{PRE}{NUM}{UR}", OTHER_HANDLING, OUTCOME,
       exclude=OUTCOME_EXCLUSIONS),
    # “其中自然人申请N件、法人或其他组织M件”: one column (or the five 法人 columns) of the count
    # stated just before, which is 本年新收 or 新收 + 上年结转.
    *(_p(f"requests.applicant.{column}",
         rf"(?<!非)(?:{words})(?:申请人?|提出|提交)?(?:的)?(?:申请)?{{PRE}}{{NUM}}{{UR}}",
         f"requests.new_received.{column}", APPLICANT, alternatives=(f"requests.received.{column}",))
      for column, words in (
          ("natural_person", "自然人|公民(?!、)"), ("legal_person", "法人(?:或|和|及)?其他组织|法人"),
          ("commercial", "商业企业"), ("research", "科研机构"), ("social_welfare", "社会公益组织"),
          ("legal_service", "法律服务机构"))),
    # ---- 表四: appeals
    _p("appeals.review", r"行政复议(?:案件?|申请|事项)?(?:数量|总数|数)?{PRE}{NUM}{UC}(?!被|纠错|败诉)",
       REVIEW, EXPLICIT, qualifier="appeal"),
    # “发生N起因信息公开引起的行政复议”.
    _p("appeals.review_number_first", r"(?:有|发生了?|收到|受理|涉及|共){NUM}{UC}{NFGAP}行政复议(?!申请人|机关)",
       REVIEW, EXPLICIT, qualifier="appeal"),
    # “被提起行政诉讼N起”; not the 直接起诉 / 复议后起诉 groups alone.
    _p("appeals.litigation",
       r"行政诉讼(?<!直接行政诉讼)(?<!直接提起行政诉讼)(?<!复议后行政诉讼)(?<!复议后提起行政诉讼)"
       r"(?:案件?|事项)?(?:数量|总数|数)?{PRE}{NUM}{UC}(?!被|纠错|败诉)",
       LITIGATION_SUM, LITIGATION, alternatives=(LITIGATION_DIRECT,), qualifier="appeal"),
    _p("appeals.litigation_number_first", r"(?:有|发生了?|收到|涉及|共){NUM}{UC}{NFGAP}(?<!复议后)行政诉讼",
       LITIGATION_SUM, LITIGATION, alternatives=(LITIGATION_DIRECT,), qualifier="appeal"),
    # “行政复议N件，诉讼M件”: 诉讼 alone, right after a review count.
    _p("appeals.litigation_after_review_count",
       r"行政复议(?:案件?)?{PRE}{ANY_NUM}{UC}[，,、](?:被)?(?:提起)?(?:的)?诉讼(?:案件?)?{PRE}{NUM}{UC}",
       LITIGATION_SUM, LITIGATION, alternatives=(LITIGATION_DIRECT,), qualifier="appeal"),
    _p("appeals.litigation_direct", r"直接(?:提起)?(?:行政)?(?:起诉|诉讼)(?:案件?)?{PRE}{NUM}{UC}",
       LITIGATION_DIRECT, EXPLICIT, qualifier="appeal"),
    _p("appeals.litigation_after_review", r"复议后(?:提起)?(?:行政)?(?:起诉|诉讼)(?:案件?)?{PRE}{NUM}{UC}",
       LITIGATION_AFTER_REVIEW, EXPLICIT, qualifier="appeal"),
    # “行政复议和行政诉讼各2起”, “行政复议、行政诉讼数量均为0”.
    _p("appeals.both",
       r"行政复议(?:案件?)?{AND}(?:被)?(?:提起)?(?:行政)?诉讼(?:案件?)?(?:数量|总数|数)?"
       r"(?:各|均|都)(?:为|是|有)?{NUM}{UC}?",
       _BOTH, BOTH_STATED, qualifier="appeal"),
    # “行政复议N件，其中结果维持…件，结果纠正…件，其他结果…件，尚未审结…件”.
    _p("appeals.upheld", r"(?:结果维持|维持(?<![不未]维持))(?:原(?:行政)?(?:决定|行为))?{PRE}{NUM}{UC}",
       "appeals.{group}.upheld", APPEAL_OUTCOME, qualifier="appeal"),
    _p("appeals.corrected",
       r"(?:结果纠正|结果纠错|被纠正|被纠错|纠正(?<![不未]纠正)|纠错(?<![不未]纠错)){PRE}{NUM}{UC}",
       "appeals.{group}.corrected", APPEAL_OUTCOME, qualifier="appeal"),
    _p("appeals.other", r"其他结果{PRE}{NUM}{UC}",
       "appeals.{group}.other", APPEAL_OUTCOME, qualifier="appeal"),
    _p("appeals.pending", r"(?:尚未审结|\未审结|\末审结|尚在审理中?|正在审理中?){PRE}{NUM}{UC}",
       "appeals.{group}.pending", APPEAL_OUTCOME, qualifier="appeal"),
    # “没有发生…的行政复议、行政诉讼”, “无因信息公开而引起的行政复议”, “未涉及行政复议、诉讼”.
    _p("appeals.none",
       r"{NEG}{NEG_OPEN}{NGAP}(?P<review>行政复议)(?:案件?|事项|情况)?"
       r"(?:{AND}(?:被)?(?:提起)?(?P<lit>(?:行政)?诉讼))?{APPEAL_TAIL}",
       _NEG_APPEAL_TARGETS, NEGATION, negation=True, qualifier="appeal", required=False),
    # “未被提起行政诉讼”.
    _p("appeals.none_litigation", r"{NEG}{NEG_OPEN}{NGAP}(?:被)?(?:提起)?行政诉讼{APPEAL_TAIL}",
       LITIGATION_SUM, NEGATION, negation=True, qualifier="appeal", required=False),
)

DOCUMENT_KINDS: tuple[tuple[str, str], ...] = (("normative", "{DOC}"), ("regulation", "{REG}"))
_DOCUMENT_FIELDS = {"normative": "normative_documents", "regulation": "regulations"}


def _document_patterns(kind: str, noun: str) -> tuple[ClaimPattern, ...]:
    """表二 rows (一): 本年制发 / 本年废止 / 现行有效 of 规章 or 规范性文件, in the ways prose puts them."""
    field = f"proactive.{_DOCUMENT_FIELDS[kind]}"
    doc = {"qualifier": "self", "exclude": DOCUMENT_EXCLUSIONS}
    return (
        _p(f"t2.{kind}.issued", rf"{{ISSUE}}{{DGAP}}{noun}{{PRE}}{{NUM}}{{UD}}", f"{field}.issued", DOCUMENTS, **doc),
        # “印发的16个规范性文件”.
        _p(f"t2.{kind}.issued_number_first", rf"{{ISSUE}}{{PRE}}{{NUM}}{{UD}}{{DGAP}}{noun}", f"{field}.issued",
           DOCUMENTS, **doc),
        _p(f"t2.{kind}.repealed", rf"(?:宣布)?废止(?:了|的)?{{DGAP}}{noun}{{PRE}}{{NUM}}{{UD}}", f"{field}.repealed",
           DOCUMENTS, **doc),
        # “制发规范性文件N件、废止M件”, “保留…规范性文件N件，废止M件”: the noun said once.
        _p(f"t2.{kind}.repealed_elided",
           rf"{noun}{{PRE}}{{ANY_NUM}}{{UD}}(?:[、，,]|[；;]\n?)(?:本年度?)?(?:宣布)?废止(?:了)?{{PRE}}{{NUM}}{{UD}}",
           f"{field}.repealed", DOCUMENTS, **doc),
        _p(f"t2.{kind}.in_force", rf"现行有效(?:的)?{{DGAP}}{noun}{{PRE}}{{NUM}}{{UD}}", f"{field}.in_force",
           DOCUMENTS, **doc),
        _p(f"t2.{kind}.in_force_after", rf"{noun}(?:中)?(?:的)?现行有效(?:的)?(?:件数|数量)?{{PRE}}{{NUM}}{{UD}}",
           f"{field}.in_force", DOCUMENTS, **doc),
        # “清理后保留规范性文件N件”: what stays in force after this year's clean-up.
        _p(f"t2.{kind}.kept", rf"保留(?:了|的)?{{DGAP}}{noun}{{PRE}}{{NUM}}{{UD}}", f"{field}.in_force",
           DOCUMENTS_LOOSE, **doc),
        _p(f"t2.{kind}.none_issued", rf"{{NEG}}{{ISSUE}}(?:过|任何|新的)?{{NGAP}}{noun}", f"{field}.issued",
           NEGATION, negation=True, **doc),
    )


CLAIM_PATTERNS += (
    *(p for kind, noun in DOCUMENT_KINDS for p in _document_patterns(kind, noun)),
    # “N件予以废止或宣布失效”, in a sentence about the documents' clean-up.
    _p("t2.normative.repealed_number_first", r"{NUM}{UD}(?:文件)?(?:予以|宣布)废止",
       "proactive.normative_documents.repealed", DOCUMENTS_LOOSE, qualifier="documents", exclude=DOCUMENT_EXCLUSIONS),
    # “主动公开市政府规章22件、行政规范性文件34件”: 表二 (一) is what was issued and published.
    _p("t2.regulation.published", r"(?:主动|新增)公开(?:了)?{DGAP}{REG}{PRE}{NUM}{UD}",
       "proactive.regulations.issued", DOCUMENTS_LOOSE, qualifier="self", exclude=DOCUMENT_EXCLUSIONS),
    _p("t2.normative.published",
       r"(?:主动|新增)公开(?:了)?{DGAP}{REG}{PRE}{ANY_NUM}{UD}[、，,及和]{DGAP}{DOC}{PRE}{NUM}{UD}",
       "proactive.normative_documents.issued", DOCUMENTS_LOOSE, qualifier="self", exclude=DOCUMENT_EXCLUSIONS),
    # 表二 (五)(六): decisions. A bare “行政许可事项N项” is a catalogue; a verb of deciding makes it decisions.
    _p("t2.licensing",
       r"(?:作出|办理|办结|完成|受理|审批|核发|准予)(?:了)?{DGAP}行政许可(?:决定|审批事项|审批|事项|案件|申请)?{PRE}{NUM}{UX}",
       "proactive.licensing", DECISIONS, qualifier="self", exclude=DECISION_EXCLUSIONS),
    _p("t2.licensing_decisions", r"行政许可(?:处理)?决定(?:数量|数)?{PRE}{NUM}{UX}", "proactive.licensing", DECISIONS,
       qualifier="self", exclude=DECISION_EXCLUSIONS),
    _p("t2.punishment", r"行政处罚(?!事项)(?:处理)?(?:决定|案件|案)?(?:数量|数)?{PRE}{NUM}{UX}", "proactive.punishment",
       DECISIONS, qualifier="self", exclude=DECISION_EXCLUSIONS),
    _p("t2.coercion", r"行政强制(?!事项)(?:措施|决定|执行|案件)?(?:数量|数)?{PRE}{NUM}{UX}", "proactive.coercion",
       DECISIONS, qualifier="self", exclude=DECISION_EXCLUSIONS),
    _p("t2.fees", r"行政事业性收费(?!项目){GAP}{PRE}{NUM}万元", "proactive.fees_wan_yuan", FEES, qualifier="self",
       exclude=("proposals",)),
    _p("t2.fees_amount", r"收费(?:金额|总额|总计)?{PRE}{NUM}万元", "proactive.fees_wan_yuan", FEES, qualifier="fee",
       exclude=("processing_fee",)),
    _p("t2.none_fees", r"{NEG}(?:收取|产生|发生){NGAP}行政事业性收费", "proactive.fees_wan_yuan", NEGATION,
       negation=True, qualifier="self", exclude=()),
    # “（无行政许可、行政处罚和行政强制等行为）”: each decision kind the denial lists is 0.
    _p("t2.none_decisions",
       r"(?:无|没有|未(?:发生|作出|实施|办理))(?:任何)?"
       r"(?=(?:[^\n。；;，,0-9]{0,16}?(?P<lic>行政许可))?)(?=(?:[^\n。；;，,0-9]{0,16}?(?P<pun>行政处罚))?)"
       r"(?=(?:[^\n。；;，,0-9]{0,16}?(?P<coe>行政强制))?)"
       r"[^\n。；;，,0-9]{0,6}?(?:行政许可|行政处罚|行政强制)[^\n。；;，,0-9]{0,12}?(?:行为|决定|事项|案件|情况|情形)",
       (("lic", "proactive.licensing"), ("pun", "proactive.punishment"), ("coe", "proactive.coercion")),
       NEGATION, negation=True, qualifier="self", exclude=()),
    # “该行政复议件未被复议机关纠错”.
    _p("appeals.review_not_corrected", r"行政复议(?:件|案件?)?{NEG}(?:被)?{NGAP}(?:纠错|纠正|撤销)",
       "appeals.review.corrected", NEGATION, negation=True, qualifier="appeal", required=False),
    # “未发生因依申请公开被行政复议纠错或行政诉讼败诉情形”: the corrected column, not the totals.
    _p("appeals.none_corrected",
       r"{NEG}{NEG_OPEN}{NGAP}(?:被)?(?P<review>(?:行政)?复议(?:被)?纠错|复议(?:被)?纠正)"
       r"(?:{AND}(?:被)?(?P<lit>(?:行政)?诉讼(?:被)?败诉))?",
       (("review", "appeals.review.corrected"), ("lit", "appeals.litigation.corrected")), NEGATION, negation=True,
       qualifier="appeal", required=False),
)

PATTERNS_BY_ID: dict[str, ClaimPattern] = {p.id: p for p in CLAIM_PATTERNS}

# ---------------------------------------------------------------- narrative
# Lines of a table: a pipe anywhere, or a tab in a line that is not a sentence.
_TABLE_LINE = r"(?:[^\n]*\|[^\n]*|[^\n。]*\t[^\n。]*)"
_TABLE_LINES_RE = re.compile(rf"^{_TABLE_LINE}(?:\n(?:[ \t\u3000\xa0\r]*\n)*{_TABLE_LINE})*", re.MULTILINE)
# A line inside a table region that holds these (and no tab or pipe) is prose the region swept in.
_SENTENCE_MARK_RE = re.compile(r"[。，；]")
_PARAGRAPH_RE = re.compile(r"[^\n]+(?:\n[ \t\u3000\xa0\r]*[^\s][^\n]*)*")  # lines up to a blank line
_SPACED_ROW_RE = re.compile(r"(?:^|[ \u3000\xa0])[0-9]+(?:[ \u3000\xa0]+[0-9]+){2,}(?=[ \u3000\xa0]|$)", re.MULTILINE)
_MARKDOWN_HEADING_RE = re.compile(r"^[ \t\u3000]*#+[^\n]*", re.MULTILINE)
_WHITESPACE_RE = re.compile(r"[ \t\n\r\f\v\u3000\xa0\u2002\u2003\u200b]+")
# A line that opens like a numbered item starts a new statement even after a single line break.
_ITEM_START_RE = re.compile(
    r"[ \t\u3000]*(?:[0-9０-９]{1,2}[.、．]|[（(][一二三四五六七八九十0-9]{1,3}[)）]"
    r"|[一二三四五六七八九十]{1,3}[、.．]|#)"
)
_BOUNDARY_RE = re.compile(r"[\n。；;！!？?]")
# Template labels; a segment holding several, with unit-less numbers, is a flattened table.
_TABLE_MARKER_RE = build_regex(
    r"本年新收|上年结转政府信息公开申请数量|结转下年度继续办理|结果维持|结果纠正|尚未审结|本年制发件数|现行有效件数|"
    r"本年处理决定数量|勾稽关系|未经复议直接起诉|复议后起诉|第二十条第|信息内容|申请人情况|商业企业|科研机构|"
    r"社会公益组织|法律服务机构|予以公开|不予公开|无法提供|不予处理|其他处理|总计"
)
_BARE_NUMBER_RE = re.compile(r"[0-9]+(?![0-9.,]*[件起条个项次人户年月日号时分秒%％‰万元亿篇期家])")
# A sentence with at least this many distinct template labels and this many digits not followed by
# a unit is a flattened table, not prose (set on the corpus's flattened reports, r015–r034).
TABLE_SEGMENT_MARKERS = 2
TABLE_SEGMENT_BARE_DIGITS = 3
_DIGITS_ONLY = {k: v for k, v in FULLWIDTH_DIGITS.items() if chr(v).isdigit()}
_FULLWIDTH_DIGIT_RE = re.compile("[" + "".join(chr(k) for k in _DIGITS_ONLY) + "]")
# Every pattern needs one of these words in its sentence; other sentences are never scanned.
_TRIGGER_RE = build_regex(r"申请|复议|诉讼|结转|顺延|办结|答复|办理|维持|纠正|纠错|结果|审结|审理|起诉|规范性文件|规章|"
                          r"行政许可|行政处罚|行政强制|行政事业性收费|不予公开|无法提供|不予处理|其他处理|不掌握|予以公开|同意公开|"
                          r"部分公开|公开答复|自然人|法人|商业企业|科研机构|社会公益组织|法律服务机构|废止|现行有效")
# ... and a number or a negation: a digit (or OCR letter for one), a Chinese numeral before a unit, 零, 无/未/没.
_CLAIMABLE_RE = re.compile(r"[0-9OolI〇零无未末没]|[一二两三四五六七八九十百千万][件起宗份个例次项部篇]")


@dataclass(frozen=True)
class Narrative:
    """The report's prose as one compact string, with the way back to ``text`` offsets."""

    compact: str
    starts: list[int]  # compact offset where each piece starts
    origins: list[int]  # text offset of the same piece
    boundaries: list[int]  # compact offsets of segment breaks (sentence ends, paragraph breaks)

    def to_text(self, pos: int) -> int:
        i = bisect_right(self.starts, pos) - 1
        return self.origins[i] + (pos - self.starts[i])

    def text_span(self, start: int, end: int) -> tuple[int, int]:
        return self.to_text(start), self.to_text(end - 1) + 1

    def previous_segments(self, start: int, n: int) -> list[tuple[int, int]]:
        """Up to ``n`` sentences (or clauses between ；) before ``start`` in the same paragraph."""
        out: list[tuple[int, int]] = []
        while len(out) < n and start >= 2 and self.compact[start - 1] != "\n":
            out.append(self.segment(start - 2))
            start = out[-1][0]
        return out

    def segment(self, pos: int) -> tuple[int, int]:
        """The compact range of the sentence (or clause between ；) holding ``pos``."""
        i = bisect_right(self.boundaries, pos)
        start = self.boundaries[i - 1] + 1 if i > 0 else 0
        end = self.boundaries[i] if i < len(self.boundaries) else len(self.compact)
        return start, end


def masked_ranges(text: str, sections: Sequence[Section]) -> list[tuple[int, int]]:
    """Text ranges that are not narrative: table lines, table regions, headings (sorted, merged)."""
    ranges = [m.span() for m in _TABLE_LINES_RE.finditer(text)] if "\t" in text or "|" in text else []
    if "#" in text:
        ranges += [m.span() for m in _MARKDOWN_HEADING_RE.finditer(text)]
    regions = find_regions(text)
    for region in (regions.t2, regions.t3, regions.t4):
        if region is not None:
            ranges += _region_without_prose(text, region)
    ranges += [heading_span(text, s) for s in sections]
    return _merge(ranges)


def _region_without_prose(text: str, region: tuple[int, int]) -> list[tuple[int, int]]:
    """A table region minus the prose paragraphs inside it (a flattened report is one such paragraph).

    A paragraph (lines between blank lines) is prose when it holds a sentence mark, no tab or
    pipe and no line of three spaced numbers: a region found too early or ending too late
    must not swallow the sentences around the table, wrapped over several lines or not.
    """
    start, end = region
    out: list[tuple[int, int]] = []
    cursor = start
    for m in _PARAGRAPH_RE.finditer(text, start, end):
        block = m.group()
        if (_SENTENCE_MARK_RE.search(block) and "\t" not in block and "|" not in block
                and not _SPACED_ROW_RE.search(block)):
            if m.start() > cursor:
                out.append((cursor, m.start()))
            cursor = m.end()
    if cursor < end:
        out.append((cursor, end))
    return out


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(r for r in ranges if r[1] > r[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def build_narrative(text: str, masked: Sequence[tuple[int, int]]) -> Narrative:
    """Compact the unmasked text: whitespace within a paragraph dropped, breaks kept as ``\\n``."""
    pieces: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    size = 0
    broken = True  # the last piece is a break (no break at the start, none twice)
    cursor = 0
    for a, b in [*masked, (len(text), len(text))]:
        pos = cursor
        for m in _WHITESPACE_RE.finditer(text, cursor, a):
            ws_start, ws_end = m.span()
            if ws_start > pos:
                pieces.append(text[pos:ws_start])
                starts.append(size)
                origins.append(pos)
                size += ws_start - pos
                broken = False
            if not broken and _is_break(text, m):
                pieces.append("\n")
                starts.append(size)
                origins.append(ws_start)
                size += 1
                broken = True
            pos = ws_end
        if a > pos:
            pieces.append(text[pos:a])
            starts.append(size)
            origins.append(pos)
            size += a - pos
            broken = False
        if not broken:
            pieces.append("\n")
            starts.append(size)
            origins.append(a)
            size += 1
            broken = True
        cursor = max(cursor, b)
    compact = "".join(pieces)
    if _FULLWIDTH_DIGIT_RE.search(compact):
        compact = compact.translate(_DIGITS_ONLY)
    boundaries = [m.start() for m in _BOUNDARY_RE.finditer(compact)]
    return Narrative(compact, starts or [0], origins or [0], boundaries)


@dataclass(frozen=True)
class Focus:
    """The sentences that hold a trigger word, joined by ``\n``, with their compact offsets."""

    text: str
    starts: list[int]  # focus offset of each sentence
    origins: list[int]  # compact offset of the same sentence

    def to_compact(self, pos: int) -> int:
        i = bisect_right(self.starts, pos) - 1
        return self.origins[i] + (pos - self.starts[i])


def build_focus(narrative: Narrative) -> Focus:
    """Only sentences with a trigger word can hold a claim: the patterns scan just those."""
    parts: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    size = 0
    compact = narrative.compact
    m = _TRIGGER_RE.search(compact)
    while m is not None:
        seg_start, seg_end = narrative.segment(m.start())
        seg_end = min(seg_end + 1, len(compact))  # keep the full stop: lookaheads see the sentence end
        if _CLAIMABLE_RE.search(compact, seg_start, seg_end):
            parts.append(compact[seg_start:seg_end] + "\n")
            starts.append(size)
            origins.append(seg_start)
            size += seg_end - seg_start + 1
        m = _TRIGGER_RE.search(compact, seg_end)
    return Focus("".join(parts), starts or [0], origins or [0])


def _is_break(text: str, ws: re.Match[str]) -> bool:
    """A paragraph break (blank line, “　　” indent, tab) or a line break before a numbered item.

    Runs of ASCII spaces are joined: PDF text layers justify prose with them (“申请      N 件”).
    """
    run = ws.group()
    if "\n" not in run:
        return "\t" in run or "\u3000\u3000" in run
    if run.count("\n") >= 2 or "\t" in run or "\u3000\u3000" in run:
        return True
    return _ITEM_START_RE.match(text, ws.end()) is not None


# ---------------------------------------------------------------- numbers
_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def parse_chinese_number(raw: str) -> int | None:
    """十二 → 12, 一百零五 → 105, 两 → 2; None for digit strings read digit by digit (二〇二四)."""
    total = section = 0
    digit: int | None = None
    for ch in raw:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        elif ch == "万":
            total = (total + section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def read_quantity(raw: str) -> int | float | None:
    """The value of a matched number, Arabic (with OCR letters) or Chinese."""
    if raw and raw[0] in "零〇一二两三四五六七八九十百千万" and not any(c.isdigit() for c in raw):
        return parse_chinese_number(raw)
    parsed = parse_number(raw)
    return None if parsed is None else parsed.value


# ---------------------------------------------------------------- matching
@dataclass(frozen=True)
class _Found:
    claim: Claim
    segment: int
    qualified_in_sentence: bool
    negation: bool
    next_segment: int = -1  # start of the sentence after this one in its paragraph (-1: none)


def find_claims(text: str, sections: Sequence[Section] = (), year: int | None = None) -> list[Claim]:
    """Every claim in the narrative of ``text``, in text order; table cells and headings are skipped.

    With the reporting ``year``, a figure whose clause is dated another year (“2023年…N件” in a
    2024 report: last year's comparison) is not a claim about this report's tables.
    """
    if not sections:
        sections = find_sections(text)
    narrative = build_narrative(text, masked_ranges(text, sections))
    focus = build_focus(narrative)
    section_topics = _section_topics(sections)
    found: list[_Found] = []
    for pattern in CLAIM_PATTERNS:
        for m in pattern.regex.finditer(focus.text):
            found.extend(_claims_of(pattern, m, focus, narrative, section_topics, text, year))
    return _resolve(found)


def _section_topics(sections: Sequence[Section]) -> list[tuple[int, int, frozenset[str]]]:
    """Each section's range and the topics (request / appeal) its heading names."""
    out = []
    for s in sections:
        topics = frozenset(kind for kind, regex in SECTION_QUALIFIERS.items() if regex.search(s.heading))
        if topics:
            out.append((s.span[0], s.span[1], topics))
    return out


def _claims_of(pattern: ClaimPattern, m: re.Match[str], focus: Focus, narrative: Narrative,
               section_topics: list[tuple[int, int, frozenset[str]]], text: str, year: int | None) -> list[_Found]:
    start, end = focus.to_compact(m.start()), focus.to_compact(m.end() - 1) + 1
    seg_start, seg_end = narrative.segment(start)
    sentence = seg_start
    following = seg_end + 1 if seg_end < len(narrative.compact) and narrative.compact[seg_end] != "\n" else -1
    segment = narrative.compact[seg_start:seg_end]
    if _is_table_segment(segment):
        # A sentence glued to the end of a flattened table (“…总计11四、…未发生…行政复议”) keeps
        # what follows the table's last label or number.
        if start - seg_start < _table_tail(segment):
            return []
        seg_start += _table_tail(segment)
    if year is not None and _dated_year(narrative.compact, seg_start, start) not in (None, year):
        return []
    if any(EXCLUSIONS[e].regex.search(narrative.compact, max(seg_start, start - EXCLUSIONS[e].before), end)
           for e in pattern.exclude):
        return []
    quantity: int | float | None = 0
    if not pattern.negation:
        quantity = read_quantity(m.group("num"))
        if quantity is None:
            return []
    span = narrative.text_span(start, end)
    qualifier = QUALIFIERS[pattern.qualifier]
    in_sentence = qualifier.search(narrative.compact, seg_start, end) is not None
    confidence = pattern.confidence
    if not in_sentence:
        previous = narrative.previous_segments(seg_start, CONTEXT_SEGMENTS)
        # Clauses parted by ；are one sentence: a topic named there is no mere context.
        same_sentence = _until_sentence_end(narrative.compact, previous)
        if any(qualifier.search(narrative.compact, *p) for p in same_sentence):
            in_sentence = True
        elif any(qualifier.search(narrative.compact, *p) for p in previous):
            confidence -= CONTEXT_PENALTY
        elif any(a <= span[0] < b and pattern.qualifier in topics for a, b, topics in section_topics):
            confidence -= CONTEXT_PENALTY
        elif pattern.required:
            return []
        else:
            confidence -= UNQUALIFIED_PENALTY
    out = []
    for group, target in pattern.targets:
        if group and m.group(group) is None:
            continue
        if "{group}" in target:
            named = _last_appeal_group(narrative.compact, seg_start, start)
            if named is None:
                continue
            target = target.replace("{group}", named)
        claim = Claim(text[span[0]:span[1]], span, quantity, target, round(confidence, 4), pattern.alternatives,
                      pattern.id)
        out.append(_Found(claim, sentence, in_sentence, pattern.negation, following))
    return out


def _until_sentence_end(compact: str, segments: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The leading ``segments`` (walking back) that are clauses of the same sentence (parted by ；)."""
    out = []
    for start, end in segments:
        if compact[end] not in "；;":
            break
        out.append((start, end))
    return out


def _last_appeal_group(compact: str, start: int, end: int) -> str | None:
    """The 表四 group (review / litigation …) named last in ``compact[start:end]``."""
    last = None
    for m in _APPEAL_GROUP_RE.finditer(compact, start, end):
        last = m.lastgroup
    return last


_YEAR_RE = re.compile(r"(?<![0-9])(20[0-9]{2}|19[89][0-9])年")


def _dated_year(compact: str, start: int, end: int) -> int | None:
    """The last year named (“2023年”) in ``compact[start:end]``, the clause before a claim."""
    last = None
    for m in _YEAR_RE.finditer(compact, start, end):
        last = int(m.group(1))
    return last


def _table_tail(segment: str) -> int:
    """Where the last template label or unit-less number of a flattened-table segment ends."""
    ends = [m.end() for m in _TABLE_MARKER_RE.finditer(segment)] + [m.end() for m in _BARE_NUMBER_RE.finditer(segment)]
    return max(ends, default=0)


def _is_table_segment(segment: str) -> bool:
    """A flattened table: several template labels and numbers without units."""
    if len({m.group() for m in _TABLE_MARKER_RE.finditer(segment)}) < TABLE_SEGMENT_MARKERS:
        return False
    return sum(len(n) for n in _BARE_NUMBER_RE.findall(segment)) >= TABLE_SEGMENT_BARE_DIGITS


def _resolve(found: list[_Found]) -> list[Claim]:
    """One claim per stretch of wording and target; a denial overrules unqualified appeal counts.

    Patterns overlap (“共受理…申请N件” is also “受理…申请N件”): of claims on overlapping spans
    with the same target and quantity, the surest is kept; the same figure stated twice in
    one sentence, in two places, is two claims. “全局办理行政复议N起、行政诉讼M起，没有因信息
    公开被申请复议或起诉的”: the counts are the agency's whole caseload, the denial (in the same
    sentence or the next) is what the disclosure tables hold.
    """
    denied = {f.segment for f in found if f.negation and f.claim.target.startswith("appeals.")}
    kept: list[_Found] = []
    for f in sorted(found, key=lambda f: (-f.claim.confidence, f.claim.span[0], f.claim.pattern)):
        c = f.claim
        if (c.target.startswith("appeals.") and not f.negation and not f.qualified_in_sentence
                and (f.segment in denied or f.next_segment in denied)):
            continue
        if any(k.claim.target == c.target and (k.claim.span == c.span or (
                k.claim.quantity == c.quantity and _overlap(k.claim.span, c.span))) for k in kept):
            continue
        kept.append(f)
    return [f.claim for f in sorted(kept, key=lambda f: (f.claim.span, f.claim.target, f.claim.pattern))]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
