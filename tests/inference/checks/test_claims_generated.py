"""Prose claims over generated narratives (training/synth_claims.py): every form, every trap, at scale."""

from __future__ import annotations

import random

import pytest

import gongkai
from gongkai.annotations.claims_gold import ClaimsGold, ClaimsScore, GoldClaim, score
from gongkai.inference.checks.claims import CLAIM_TARGETS, find_claims
from gongkai.training.synth import TEXT_LAYOUTS, random_values
from gongkai.training.synth_claims import TOPICS, TRAPS, ClaimForm, report_with_claims

FORMS: list[ClaimForm] = [form for leads, follows in TOPICS for form in (*leads, *follows)]
LAYOUTS = [layout for layout in TEXT_LAYOUTS if layout != "flattened"]
# A sentence that names the topic, for follow-up clauses that lean on it (“…，其中予以公开N件”).
TOPIC_OPENERS = {"t3": "本年度共收到政府信息公开申请60件，", "t4": "本年度因政府信息公开被申请行政复议5起，",
                 "t2": "本年度制发行政规范性文件7件，"}


def test_every_target_the_generator_states_is_a_claim_target() -> None:
    assert {t for form in FORMS for t in form.targets} <= set(CLAIM_TARGETS)


@pytest.mark.parametrize("form", FORMS, ids=[f"{f.kind}:{f.template}" for f in FORMS])
def test_each_form_is_read_with_an_admissible_target(form: ClaimForm) -> None:
    quantity = 0 if "{n}" not in form.template else 7
    clause = form.template.format(n=quantity, we="本机关")
    lead = not any(form in follows for _, follows in TOPICS)
    text = clause + "。" if lead else TOPIC_OPENERS[form.kind[:2]] + clause + "。"
    if form.targets[0].startswith("proactive.regulations.repealed"):
        text = "全年出台政府规章3件，" + clause + "。"
    hits = [c for c in find_claims(text) if c.quantity == quantity and {c.target, *c.alternatives} & set(form.targets)]
    assert hits, (text, find_claims(text))


@pytest.mark.parametrize("trap", TRAPS)
def test_traps_are_not_claims(trap: str) -> None:
    text = trap.format(n=123, m=17, other=2023, year=2024)
    assert find_claims(text, year=2024) == []


def test_generated_claims_recall_precision_and_no_false_error() -> None:
    total = ClaimsScore()
    rng = random.Random(31)
    for i in range(40):
        seed = rng.randrange(10**6)
        values = random_values(random.Random(seed), template="2019" if i % 5 == 0 else "2021")
        text, planted, _ = report_with_claims(values, LAYOUTS[i % len(LAYOUTS)], seed)
        report = gongkai.extract(text, sentences=False)
        total.add(score(report.claims, ClaimsGold("g", "", tuple(GoldClaim(p.span, "", p.quantity, p.targets)
                                                                  for p in planted))))
        errors = [f for f in report.findings if f["rule"] == "claim.mismatch" and f["severity"] == "error"]
        assert not errors, (seed, errors)
    assert total.recall >= 0.99 and total.precision >= 0.99, (total.missed, total.spurious)


def test_an_injected_contradiction_is_an_error_on_its_claim() -> None:
    rng = random.Random(32)
    checked = 0
    for i in range(20):
        seed = rng.randrange(10**6)
        values = random_values(random.Random(seed))
        text, planted, _ = report_with_claims(values, LAYOUTS[i % len(LAYOUTS)], seed, contradict=True)
        changed = [p for p in planted if p.kind.endswith("!")]
        if not changed:
            continue
        report = gongkai.extract(text, sentences=False)
        (s, e), checked = changed[0].span, checked + 1
        hits = [f for f in report.findings if f["rule"] == "claim.mismatch" and f["spans"][0][0] < e
                and s < f["spans"][0][1]]
        assert [f["severity"] for f in hits] == ["error"], (seed, changed[0], report.claims, hits)
    assert checked >= 15
