"""Per-label precision, recall and F1 for multi-label predictions (the numbers every comparison prints)."""

from __future__ import annotations

from collections.abc import Sequence

from gongkai.inference.narrative.classify import LABELS


def per_label_scores(gold: Sequence[Sequence[int]], predicted: Sequence[Sequence[int]],
                     labels: Sequence[str] = LABELS) -> dict[str, dict[str, float]]:
    """``{label: {precision, recall, f1, support}}`` plus ``macro`` (unweighted mean over labels)."""
    out: dict[str, dict[str, float]] = {}
    for j, lab in enumerate(labels):
        tp = sum(1 for g, p in zip(gold, predicted) if g[j] and p[j])
        fp = sum(1 for g, p in zip(gold, predicted) if not g[j] and p[j])
        fn = sum(1 for g, p in zip(gold, predicted) if g[j] and not p[j])
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[lab] = {"precision": precision, "recall": recall, "f1": f1, "support": float(tp + fn)}
    out["macro"] = {k: sum(out[lab][k] for lab in labels) / len(labels) for k in ("precision", "recall", "f1")}
    out["macro"]["support"] = float(len(gold))
    return out
