"""Selection: uncertainty, diversity, the per-report cap, the random share, what is never offered."""

from __future__ import annotations

import math

import pytest

from gongkai.annotations.pool import Candidate, norm_hash, normalise
from gongkai.annotations.select import closest_call, select
from gongkai.inference.narrative.classify import LABELS

THRESHOLDS = dict.fromkeys(LABELS, 0.5)
# Distinct words, so that no two invented sentences normalise alike (figures are ignored there).
WORDS = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉春夏秋冬东南西北上下左右前后内外"


def pool(n_docs: int = 10, per_doc: int = 10) -> list[Candidate]:
    """Invented sentences whose measure score walks from 0.01 to 0.99: uncertainty known by construction."""
    out = []
    for d in range(n_docs):
        for k in range(per_doc):
            p = 0.01 + 0.98 * ((d * per_doc + k) % 97) / 96
            out.append(Candidate(f"doc{d:02d}.txt", "0" * 64, (k * 40, k * 40 + 30),
                                 f"{WORDS[d]}单位{WORDS[k + 20]}项工作：进一步加强政务公开平台建设。", "一、总体情况",
                                 scores={"problem": 0.02, "measure": p, "platform": 0.97, "supervision": 0.03}))
    return out


def test_closest_call_is_the_label_nearest_its_threshold_in_log_odds() -> None:
    label, distance = closest_call({"problem": 0.1, "measure": 0.45, "platform": 0.9, "supervision": 0.7},
                                   {"problem": 0.3, "measure": 0.5, "platform": 0.5, "supervision": 0.5})
    assert label == "measure"
    assert distance == pytest.approx(abs(math.log(0.45 / 0.55)))


def test_same_seed_same_round_and_another_seed_another_random_share() -> None:
    a = select(pool(), 20, THRESHOLDS, seed=3)
    b = select(pool(), 20, THRESHOLDS, seed=3)
    c = select(pool(), 20, THRESHOLDS, seed=4)
    assert [s.candidate.uid for s in a] == [s.candidate.uid for s in b]
    randoms = {s.candidate.uid for s in a if s.selected_by == "random"}
    assert randoms != {s.candidate.uid for s in c if s.selected_by == "random"}


def test_random_share_per_report_cap_and_most_uncertain_first() -> None:
    chosen = select(pool(), 20, THRESHOLDS, per_report=3, random_share=0.1, seed=0, ranking="closest")
    assert len(chosen) == 20
    assert sum(s.selected_by == "random" for s in chosen) == 2
    per_doc: dict[str, int] = {}
    for s in chosen:
        per_doc[s.candidate.doc] = per_doc.get(s.candidate.doc, 0) + 1
    assert max(per_doc.values()) <= 3
    # The uncertainty picks are the closest calls the cap allows: none of them is a sure 0.01 or 0.99.
    picks = [s for s in chosen if s.selected_by == "uncertainty"]
    assert all(0.2 < s.candidate.scores["measure"] < 0.8 for s in picks)
    assert [s.distance for s in chosen] == sorted(s.distance for s in chosen)


def test_never_offers_frozen_documents_labelled_sentences_or_their_repeats() -> None:
    cands = pool()
    labelled = cands[0]
    # The same sentence in another year's report: other figures, full-width digits and spacing.
    repeat = Candidate("doc99.txt", "1" * 64, (0, 40), labelled.text.replace("0", "０") + " ", labelled.heading,
                       scores={lab: 0.5 for lab in LABELS})
    assert norm_hash(repeat.text) == norm_hash(labelled.text)
    chosen = select([*cands, repeat], 60, THRESHOLDS, exclude_hashes={labelled.norm_sha256},
                    frozen_docs={"doc01.txt"}, per_report=10, seed=1)
    docs = {s.candidate.doc for s in chosen}
    assert "doc01.txt" not in docs and "doc99.txt" not in docs
    assert labelled.uid not in {s.candidate.uid for s in chosen}


def test_normalisation_ignores_width_space_and_figures_but_not_words() -> None:
    assert normalise("2023年共受理 12 件") == normalise("２０２４年共受理３件")
    assert normalise("共受理申请") != normalise("共办结申请")


def test_diversity_takes_each_cluster_not_only_the_most_uncertain_kind() -> None:
    cands = pool(n_docs=20, per_doc=5)
    # Two kinds of sentence: the 20 most uncertain ones are all of kind A, the next ones of kind B.
    for k, c in enumerate(cands):
        kind_a = k % 5 == 0
        c.text = ("A" if kind_a else "B") + c.text
        c.scores["measure"] = 0.5 + (0.001 if kind_a else 0.02) * (1 + k / 100)

    def embed(items: list[Candidate]) -> list[list[float]]:
        return [[1.0, 0.01 * (k % 3)] if c.text.startswith("A") else [0.01 * (k % 3), 1.0]
                for k, c in enumerate(items)]

    plain = select(cands, 5, THRESHOLDS, random_share=0.0, per_report=5, seed=0, ranking="closest")
    diverse = select(cands, 5, THRESHOLDS, random_share=0.0, per_report=5, seed=0, embed=embed, ranking="closest")
    assert all(s.candidate.text.startswith("A") for s in plain)
    assert {s.candidate.text[0] for s in diverse} == {"A", "B"}


def test_no_round_of_nothing_and_bad_share_refused() -> None:
    assert select(pool(), 0, THRESHOLDS) == []
    with pytest.raises(ValueError, match="random_share"):
        select(pool(), 5, THRESHOLDS, random_share=1.5)


def test_per_label_ranking_lets_every_label_offer_its_closest_calls() -> None:
    """The hardest label must not fill the round: with closest calls all on measure, platform still gets turns."""
    cands = pool(n_docs=10, per_doc=10)
    for k, c in enumerate(cands):
        c.scores = {"problem": 0.01, "measure": 0.49 + k / 10_000, "platform": 0.3 + 0.6 * ((k * 37) % 100) / 100,
                    "supervision": 0.01}
    closest = select(cands, 8, THRESHOLDS, random_share=0.0, per_report=10, ranking="closest")
    turns = select(cands, 8, THRESHOLDS, random_share=0.0, per_report=10, ranking="per_label")
    assert all(closest_call(s.candidate.scores, THRESHOLDS)[0] == "measure" for s in closest)
    near_platform = sorted(cands, key=lambda c: abs(c.scores["platform"] - 0.5))[:2]
    assert {c.uid for c in near_platform} <= {s.candidate.uid for s in turns}
    with pytest.raises(ValueError, match="unknown ranking"):
        select(cands, 3, THRESHOLDS, ranking="entropy")
