"""Which sentences a person should label next: uncertain, diverse, spread over reports, plus a random share.

Multi-label uncertainty: a sentence is as uncertain as its closest call, the label whose
calibrated probability lies nearest its decision threshold (distance in log-odds, so that
0.02 vs 0.05 counts as much as 0.5 vs 0.73). The most uncertain sentences are many near-copies
of one kind of sentence, so the top of that ranking is clustered on the shipped encoder's
embeddings and each cluster gives its most uncertain member. A fixed random share is drawn
first from the whole eligible pool: the labels it gets estimate the model's accuracy on the
pool without the bias of uncertainty sampling.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gongkai.annotations.pool import Candidate
from gongkai.inference.narrative.classify import LABELS

Embedder = Callable[[Sequence[Candidate]], Any]  # -> array [n, d]

DEFAULT_PER_REPORT = 3
DEFAULT_RANDOM_SHARE = 0.1
# How many times more top-uncertain sentences than slots are clustered: wide enough to find
# distinct kinds of sentence, small enough that the encoder runs on hundreds, not the pool.
PREFILTER = 8
MIN_CHARS = 6  # shorter pieces are fragments, not sentences worth a person's time
# How uncertainty ranks (``rank``); per_label is the default: in the replay (benchmarks/labeling.py, README)
# it beat closest on every figure, mostly because the hardest label (measure) no longer fills the round.
RANKINGS = ("per_label", "closest")


@dataclass
class Selected:
    candidate: Candidate
    distance: float  # log-odds distance of the closest call to its threshold
    selected_by: str  # "uncertainty" or "random"

    @property
    def score(self) -> float:
        """Selection score in (0, 1]: 1 is a call exactly on a threshold."""
        return 1.0 / (1.0 + self.distance)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def closest_call(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> tuple[str, float]:
    """The label whose probability is nearest its threshold and that distance in log-odds."""
    return min(((lab, abs(_logit(scores[lab]) - _logit(thresholds[lab]))) for lab in LABELS if lab in scores),
               key=lambda t: t[1], default=("", math.inf))


def eligible(pool: Sequence[Candidate], exclude_hashes: Collection[str], frozen_docs: Collection[str]
             ) -> list[Candidate]:
    """Sentences a round may offer: not frozen (test split), not labelled before, each text once."""
    seen = set(exclude_hashes)
    out = []
    for c in pool:
        h = c.norm_sha256
        if c.doc in frozen_docs or h in seen or len(c.text.strip()) < MIN_CHARS or not c.scores:
            continue
        seen.add(h)
        out.append(c)
    return out


def _take(ranked: Sequence[Candidate], want: int, counts: Counter[str], per_report: int,
          taken: set[str]) -> list[Candidate]:
    out = []
    for c in ranked:
        if len(out) >= want:
            break
        if c.uid in taken or counts[c.doc] >= per_report:
            continue
        counts[c.doc] += 1
        taken.add(c.uid)
        out.append(c)
    return out


def _within_cap(ranked: Sequence[Candidate], counts: Counter[str], per_report: int) -> list[Candidate]:
    """The ranking cut to what the per-report cap still allows, so that no cluster's pick is lost to it."""
    room = Counter(counts)
    out = []
    for c in ranked:
        if room[c.doc] < per_report:
            room[c.doc] += 1
            out.append(c)
    return out


def _diverse(ranked: Sequence[Candidate], want: int, embed: Embedder, seed: int) -> list[Candidate]:
    """The top ``PREFILTER × want`` of a ranking reordered: each cluster's most uncertain member first."""
    import numpy
    from sklearn.cluster import KMeans

    head = list(ranked[: PREFILTER * want])
    if len(head) <= want:
        return list(ranked)
    vectors = numpy.asarray(embed(head), dtype="float64")
    vectors /= numpy.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-9)
    clusters = KMeans(n_clusters=want, random_state=seed, n_init=3).fit_predict(vectors)
    firsts: dict[int, int] = {}
    for i, k in enumerate(clusters):  # ``head`` is ranked: the first member met is the most uncertain
        firsts.setdefault(int(k), i)
    lead = sorted(firsts.values())
    rest = [i for i in range(len(head)) if i not in set(lead)]
    return [head[i] for i in lead + rest] + list(ranked[len(head):])


def rank(candidates: Sequence[Candidate], thresholds: Mapping[str, float], ranking: str = "per_label"
         ) -> list[Candidate]:
    """Most uncertain first. ``closest``: by each sentence's closest call. ``per_label``: the labels take
    turns, each offering its own closest call next, so that the hardest label cannot fill the round."""
    if ranking not in RANKINGS:
        raise ValueError(f"unknown ranking {ranking!r}; expected one of {RANKINGS}")
    if ranking == "closest":
        return sorted(candidates, key=lambda c: (closest_call(c.scores, thresholds)[1], c.doc, c.span))

    def gap(c: Candidate, lab: str) -> float:
        return abs(_logit(c.scores[lab]) - _logit(thresholds[lab])) if lab in c.scores else math.inf

    per_label = [sorted(candidates, key=lambda c, lab=lab: (gap(c, lab), c.doc, c.span)) for lab in LABELS]
    out: list[Candidate] = []
    seen: set[str] = set()
    for tier in zip(*per_label):
        for c in tier:
            if c.uid not in seen:
                seen.add(c.uid)
                out.append(c)
    return out


def select(pool: Sequence[Candidate], n: int, thresholds: Mapping[str, float], *,
           exclude_hashes: Collection[str] = (), frozen_docs: Collection[str] = (),
           per_report: int = DEFAULT_PER_REPORT, random_share: float = DEFAULT_RANDOM_SHARE, seed: int = 0,
           embed: Embedder | None = None, ranking: str = "per_label") -> list[Selected]:
    """``n`` sentences for a round; the same inputs and seed give the same round."""
    if n <= 0:
        return []
    if not 0.0 <= random_share <= 1.0:
        raise ValueError(f"random_share must lie in [0, 1], got {random_share}")
    candidates = sorted(eligible(pool, exclude_hashes, frozen_docs), key=lambda c: (c.doc, c.span))
    distance = {c.uid: closest_call(c.scores, thresholds)[1] for c in candidates}
    counts: Counter[str] = Counter()
    taken: set[str] = set()
    rng = random.Random(seed)
    shuffled = candidates[:]
    rng.shuffle(shuffled)
    n_random = min(n, round(n * random_share))
    randoms = _take(shuffled, n_random, counts, per_report, taken)
    ranked = rank([c for c in candidates if c.uid not in taken], thresholds, ranking)
    allowed = _within_cap(ranked, counts, per_report)
    want = n - len(randoms)
    if embed is not None and want > 1:
        allowed = _diverse(allowed, want, embed, seed)
    chosen = _take(allowed, want, counts, per_report, taken)
    out = [Selected(c, distance[c.uid], "uncertainty") for c in chosen]
    out += [Selected(c, distance[c.uid], "random") for c in randoms]
    return sorted(out, key=lambda s: (s.distance, s.candidate.doc, s.candidate.span))


def encoder_embedder(model_dir: str | Path | None = None) -> Embedder:
    """Mean-pooled last hidden states of an encoder (default: the shipped transformer's) over sentence + heading.

    Any transformers encoder folder works (a classifier folder gives its base model), so a
    benchmark can compare the shipped encoder with one that never saw our labels.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from gongkai.inference.narrative.classify import TRANSFORMER_DIR, batched_logits, model_input

    hf_logging.disable_progress_bar()
    folder = Path(model_dir or TRANSFORMER_DIR)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # a classifier folder's head is "unexpected" for its encoder: not news
    try:
        encoder = AutoModel.from_pretrained(folder, local_files_only=True, dtype=torch.float32).eval()
    finally:
        hf_logging.set_verbosity(verbosity)

    def forward(enc: Any) -> list[list[float]]:
        hidden = encoder(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).tolist()

    def embed(items: Sequence[Candidate]) -> list[list[float]]:
        with torch.inference_mode():
            return batched_logits(tokenizer, forward, [model_input(c.text, c.heading) for c in items])

    return embed
