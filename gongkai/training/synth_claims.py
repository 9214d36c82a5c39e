"""Generated narratives that state table figures the ways real reports do, among traps.

The claims fixture of the real corpus (``annotations/gold/claims``) has ~180 claims, and the
claim reader was written while reading it: a figure on it alone says little about the next
archive. This module writes, around a generated report's own numbers, a paragraph of claims
in the forms seen in real reports (received / carried / outcome / applicant / appeal counts,
表二 documents, decisions and fees, denials, Chinese numerals, spaced or full-width digits,
counts split over clauses) mixed with traps that must not become claims (published items,
channel splits, hotline volumes, phone and document numbers, rates, another year's figures),
and records where each claim is, its quantity and the targets its wording admits.

``benchmarks/reconcile.py`` measures on it: claims recall and precision, false errors on
consistent reports, and whether a contradiction injected into one claim is reported.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from gongkai.inference.checks.reconcile import claim_cells
from gongkai.training.synth import TOPIC_SENTENCES, SynthReport, Values, render

NEW = "requests.new_received.total"
RECEIVED = "requests.received.total"
NOT_HELD = "requests.unable_not_held.total"
UNABLE = "requests.unable.total"


@dataclass(frozen=True)
class ClaimForm:
    """One wording of a table figure; ``{n}`` is where the number goes (no ``{n}``: a denial of 0)."""

    kind: str
    template: str
    targets: tuple[str, ...]  # every target the wording admits; the number is drawn from the first
    templates: tuple[str, ...] = ("2021", "2019")


def _f(kind: str, template: str, *targets: str, only_2021: bool = False) -> ClaimForm:
    return ClaimForm(kind, template, targets, ("2021",) if only_2021 else ("2021", "2019"))


# A sentence opens with one lead clause (it names the topic: 申请, 行政复议 …) and goes on with
# follow-up clauses about the same topic; each list is data, each row a form seen in real reports.
REQUEST_LEADS: tuple[ClaimForm, ...] = (
    _f("t3.received", "本年度共收到政府信息公开申请{n}件", NEW, RECEIVED),
    _f("t3.received", "全年共受理政府信息公开申请{n}件", NEW, RECEIVED),
    _f("t3.received", "{we}收到公民、法人和其他组织提出的政府信息公开申请共{n}件", NEW, RECEIVED),
    _f("t3.received", "全年受理依申请公开事项{n}件", NEW, RECEIVED),
    _f("t3.received", "本年度共收到{n}件政府信息公开申请", NEW, RECEIVED),
    _f("t3.received", "本年度接收通过网络、信函提交的各类政府信息公开申请共计{n}件", NEW, RECEIVED),
    _f("t3.new", "本年度新收政府信息公开申请{n}件", NEW),
    _f("t3.none", "本年度未收到政府信息公开申请", NEW),
    _f("t3.none", "本年度{we}没有收到公民、法人和其他组织提出的政府信息公开申请", NEW),
)
REQUEST_FOLLOWS: tuple[ClaimForm, ...] = (
    _f("t3.carried_over", "上年结转政府信息公开申请{n}件", "requests.carried_over.total"),
    _f("t3.carried_over", "另有上年度结转申请{n}件", "requests.carried_over.total"),
    _f("t3.completed", "当年办结{n}件", "requests.total.total"),
    _f("t3.completed", "已依法办结{n}件", "requests.total.total"),
    _f("t3.carried_forward", "结转下年度继续办理{n}件", "requests.carried_forward.total"),
    _f("t3.carried_forward", "转下一年度办理{n}件", "requests.carried_forward.total"),
    _f("t3.granted", "其中予以公开{n}件", "requests.granted.total"),
    _f("t3.granted", "同意公开{n}件", "requests.granted.total"),
    _f("t3.partially", "部分公开{n}件", "requests.partially_granted.total"),
    _f("t3.denied", "不予公开{n}件", "requests.denied.total"),
    _f("t3.unable", "因本机关不掌握等原因无法提供{n}件", UNABLE, NOT_HELD),
    _f("t3.not_held", "本机关不掌握相关政府信息{n}件", NOT_HELD, UNABLE),
    _f("t3.not_processed", "不予处理{n}件", "requests.not_processed.total"),
    _f("t3.other_handling", "其他处理{n}件", "requests.other_handling.total"),
    _f("t3.natural", "其中自然人申请{n}件", "requests.new_received.natural_person", "requests.received.natural_person"),
    _f("t3.legal", "法人或其他组织申请{n}件", "requests.new_received.legal_person", "requests.received.legal_person"),
    _f("t3.commercial", "涉及商业企业{n}件", "requests.new_received.commercial", "requests.received.commercial"),
)
APPEAL_LEADS: tuple[ClaimForm, ...] = (
    _f("t4.review", "本年度因政府信息公开被申请行政复议{n}起", "appeals.review.total"),
    _f("t4.review", "涉及政府信息公开的行政复议案件{n}件", "appeals.review.total"),
    _f("t4.review", "本年度有{n}件涉及政府信息公开工作的行政复议", "appeals.review.total"),
    _f("t4.none", "本年度未发生因政府信息公开引起的行政复议", "appeals.review.total"),
)
APPEAL_FOLLOWS: tuple[ClaimForm, ...] = (
    _f("t4.litigation", "被提起行政诉讼{n}起", "appeals.litigation.total", "appeals.litigation_direct.total"),
    _f("t4.litigation", "行政诉讼案件{n}件", "appeals.litigation.total", "appeals.litigation_direct.total"),
)
DOCUMENT_LEADS: tuple[ClaimForm, ...] = (
    _f("t2.issued", "本年度制发行政规范性文件{n}件", "proactive.normative_documents.issued", only_2021=True),
    _f("t2.issued", "动态更新本年度制发的规范性文件{n}件", "proactive.normative_documents.issued", only_2021=True),
    _f("t2.none_issued", "本年度未制发行政规范性文件", "proactive.normative_documents.issued", only_2021=True),
    _f("t2.in_force", "集中公开现行有效行政规范性文件{n}件", "proactive.normative_documents.in_force", only_2021=True),
)
DOCUMENT_FOLLOWS: tuple[ClaimForm, ...] = (
    _f("t2.repealed", "废止{n}件", "proactive.normative_documents.repealed", only_2021=True),
    _f("t2.repealed", "经清理宣布废止规范性文件{n}件", "proactive.normative_documents.repealed", only_2021=True),
)
# “出台规章N件，废止M件”: the elided noun is the lead's, so 规章 get their own sentence.
REGULATION_LEADS: tuple[ClaimForm, ...] = (
    _f("t2.reg_issued", "全年出台政府规章{n}件", "proactive.regulations.issued", only_2021=True),
)
REGULATION_FOLLOWS: tuple[ClaimForm, ...] = (
    _f("t2.reg_repealed", "废止{n}件", "proactive.regulations.repealed", only_2021=True),
)
DECISION_LEADS: tuple[ClaimForm, ...] = (
    _f("t2.licensing", "全年作出行政许可决定{n}件", "proactive.licensing", only_2021=True),
    _f("t2.punishment", "全年作出行政处罚决定{n}件", "proactive.punishment", only_2021=True),
    _f("t2.coercion", "本年度实施行政强制措施{n}次", "proactive.coercion", only_2021=True),
    _f("t2.fees", "本年度收取行政事业性收费{n}万元", "proactive.fees_wan_yuan", only_2021=True),
    _f("t2.none_fees", "本年度未收取行政事业性收费", "proactive.fees_wan_yuan", only_2021=True),
)
TOPICS: tuple[tuple[tuple[ClaimForm, ...], tuple[ClaimForm, ...]], ...] = (
    (REQUEST_LEADS, REQUEST_FOLLOWS), (APPEAL_LEADS, APPEAL_FOLLOWS), (DOCUMENT_LEADS, DOCUMENT_FOLLOWS),
    (REGULATION_LEADS, REGULATION_FOLLOWS), (DECISION_LEADS, ()),
)

# Numbers no table holds, in sentences that look like claims. ``{n}``/``{m}``: counts, ``{year}``:
# the reporting year, ``{other}``: another year.
TRAPS: tuple[str, ...] = (
    "本年度主动公开政府信息{n}条，其中政策文件{m}件。",
    "依申请公开信息{n}条。",
    "其中网上申请{n}件，信函申请{m}件。",
    "12345热线转办群众诉求{n}件，办结率100%。",
    "政务咨询电话：0591-8{m}{m}{n}。",
    "依据国办公开办函〔{other}〕{m}号要求，规范年报格式。",
    "{other}年共收到政府信息公开申请{n}件，{other}年办结率为100%。",
    "全年发布政策解读{m}篇，召开新闻发布会{m}场。",
    "办理人大代表建议和政协提案{n}件，均已按期办结。",
    "本年度未收取信息处理费。",
    "开展政务公开培训{m}次，参训人员{n}人次。",
    "向档案馆移交规范性文件{m}份。",
)


@dataclass(frozen=True)
class Planted:
    """A claim written into the narrative: where, how much, and which targets the wording admits."""

    span: tuple[int, int]  # into the paragraph (``narrative``) or the whole text (``with_narrative``)
    quantity: float
    targets: tuple[str, ...]
    kind: str


def target_value(values: Values, target: str, template: str) -> float | None:
    """A target's number in the generated tables (a blank cell counts 0, as in a sum)."""
    cells = claim_cells(target, template)
    if not cells:
        return None
    got = [values.get(c) for c in cells]
    if any(c not in values for c in cells):
        return None
    return float(sum(v or 0 for v in got))


_CN = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """12 → 十二, 40 → 四十, 2 → 两 (sometimes): the numerals prose uses for small counts."""
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")


def spell(quantity: float, rng: random.Random, money: bool = False) -> str:
    """The number as prose prints it: Arabic, spaced, full-width, or Chinese for small counts."""
    if quantity != int(quantity):
        return repr(quantity) if not money or rng.random() < 0.7 else f"{quantity:.2f}"  # prose rounds 万元
    if money:
        return str(int(quantity))
    n = int(quantity)
    roll = rng.random()
    if n < 100 and roll < 0.2:
        return "两" if n == 2 and rng.random() < 0.5 else chinese(n)
    if roll < 0.3:
        return f" {n} "
    if roll < 0.35:
        return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return str(n)


def _usable(form: ClaimForm, values: Values, template: str) -> float | None:
    """The number a form states for these tables; None when it cannot be stated (or a denial of non-zero)."""
    if template not in form.templates:
        return None
    value = target_value(values, form.targets[0], template)
    if value is None:
        return None
    if "{n}" not in form.template:
        return 0.0 if value == 0 else None
    if any(target_value(values, t, template) is None for t in form.targets):
        return None
    return value


def narrative(values: Values, template: str, year: int, rng: random.Random, *, we: str = "本机关",
              traps: int = 3, contradict: bool = False) -> tuple[str, list[Planted]]:
    """A paragraph of claim sentences (one per topic, in random order) and traps.

    ``contradict``: one stated number is changed so that no reading of its wording agrees with
    the tables (that claim's ``quantity`` is the number printed, its ``kind`` ends in ``!``).
    """
    sentences = [c for leads, follows in rng.sample(TOPICS, len(TOPICS))
                 if (c := _clauses(values, template, leads, follows, rng))]
    if contradict:
        numbered = [(i, j) for i, clauses in enumerate(sentences) for j, (form, _) in enumerate(clauses)
                    if "{n}" in form.template and "万元" not in form.template]
        if numbered:
            i, j = rng.choice(numbered)
            form, quantity = sentences[i][j]
            held = {target_value(values, t, template) for t in form.targets}
            sentences[i][j] = (ClaimForm(form.kind + "!", form.template, form.targets, form.templates),
                               contradicted(quantity, held, rng))
    parts = [_render(clauses, rng, we) for clauses in sentences]
    for trap in rng.sample(TRAPS, min(traps, len(TRAPS))):
        text = trap.format(n=rng.randint(10, 5000), m=rng.randint(2, 60), other=year - 1, year=year)
        parts.insert(rng.randint(0, len(parts)), (text, []))
    out, planted_all = "", []
    for text, planted in parts:
        planted_all += [Planted((p.span[0] + len(out), p.span[1] + len(out)), p.quantity, p.targets, p.kind)
                        for p in planted]
        out += text
    return out, planted_all


Clauses = list[tuple[ClaimForm, float]]


def _clauses(values: Values, template: str, leads: Sequence[ClaimForm], follows: Sequence[ClaimForm],
             rng: random.Random) -> Clauses:
    """A lead clause and up to three follow-ups, each stating a different target."""
    lead_choices = [(f, v) for f in leads if (v := _usable(f, values, template)) is not None]
    if not lead_choices:
        return []
    clauses = [rng.choice(lead_choices)]
    if "{n}" in clauses[0][0].template:  # a denial ends its sentence
        follow_choices = [(f, v) for f in follows if (v := _usable(f, values, template)) is not None]
        for form, v in rng.sample(follow_choices, len(follow_choices)):
            if len(clauses) <= rng.randint(0, 3) and all(form.targets[0] != c.targets[0] for c, _ in clauses):
                clauses.append((form, v))
    return clauses


def _render(clauses: Clauses, rng: random.Random, we: str) -> tuple[str, list[Planted]]:
    text, planted = "", []
    for i, (form, quantity) in enumerate(clauses):
        if i:
            text += rng.choice("，，；")
        head, _, tail = form.template.partition("{n}")
        head = head.format(we=we)
        start = len(text) + _words_start(head)
        if "{n}" in form.template:
            number = spell(quantity, rng, money="万元" in tail)
            if "万元" in tail:
                quantity = float(number)  # the amount as printed (prose rounds to 2 decimals)
            text += head + number + tail
        else:
            text += head
        planted.append(Planted((start, len(text)), quantity, form.targets, form.kind))
    return text + "。", planted


def _words_start(head: str) -> int:
    """Skip the time and subject words a clause opens with (本年度, 全年 …): the span starts at the claim."""
    for opener in ("本年度", "全年", "其中", "另有", "当年", "已"):
        if head.startswith(opener):
            return len(opener)
    return 0


def with_narrative(report: SynthReport, paragraph: str, planted: Sequence[Planted]) -> tuple[str, list[Planted]]:
    """The report's text with ``paragraph`` as the first paragraph after 一、总体情况 (or the title)."""
    text = report.text or ""
    anchor = text.find("一、总体情况")
    at = text.find("\n", anchor if anchor >= 0 else 0)
    at = len(text) if at < 0 else at + 1
    block = paragraph + "\n"
    return text[:at] + block + text[at:], [Planted((s + at, e + at), p.quantity, p.targets, p.kind)
                                           for p in planted for s, e in (p.span,)]


def contradicted(quantity: float, held: set[float | None], rng: random.Random) -> float:
    """A number near ``quantity`` that none of the tables' readings ``held`` equals."""
    candidate = quantity + rng.randint(3, 30)
    while candidate in held:
        candidate += 1
    return candidate


# The base generator's own narrative states three table numbers (synth.TOPIC_SENTENCES).
GENERATOR_FIELDS: dict[str, str] = {
    "new_received": NEW, "carried_over": "requests.carried_over.total", "review_total": "appeals.review.total",
}


@cache
def _generator_sentences() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """Each base-generator sentence that states numbers, as a regex that allows wrapped lines."""
    out = []
    for pool in TOPIC_SENTENCES.values():
        for sentence in pool:
            names = re.findall(r"\{(\w+)\}", sentence)
            if not names or not all(n in GENERATOR_FIELDS for n in names):
                continue
            pieces = re.split(r"\{\w+\}", sentence)
            parts = [r"\s*".join(re.escape(ch) for ch in piece) for piece in pieces]
            out.append((re.compile(r"\s*([0-9]+)\s*".join(parts)), tuple(GENERATOR_FIELDS[n] for n in names)))
    return tuple(out)


def stated_by_generator(text: str) -> list[Planted]:
    """The claims the base generator's narrative put into ``text`` (its two stating sentences)."""
    out = []
    for regex, targets in _generator_sentences():
        for m in regex.finditer(text):
            for i, target in enumerate(targets, 1):
                out.append(Planted((m.start(i), m.end(i) + 1), float(m.group(i)), (target,), "generator"))
    return out


def report_with_claims(values: Values, layout: str, seed: int, *, traps: int = 3,
                       contradict: bool = False) -> tuple[str, list[Planted], int]:
    """A generated report (text layouts) with a claims paragraph; returns text, claims, year."""
    rng = random.Random(seed)
    report = render(values, layout, rng, 0.0)
    paragraph, planted = narrative(values, report.format_version, report.year, rng, traps=traps,
                                   contradict=contradict)
    text, placed = with_narrative(report, paragraph, planted)
    return text, placed + stated_by_generator(text), report.year
