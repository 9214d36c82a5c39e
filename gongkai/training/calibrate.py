"""Fitting the cell-confidence model on generated reports whose true values are known.

Run ``gongkai train confidence`` (or ``python -m gongkai.training.calibrate``): it generates
layout variants with OCR-like noise over the blank regimes of ``BLANK_REGIMES``, extracts them,
labels each cell right or wrong against the truth, fits a logistic model on the cells' evidence,
corrects it with isotonic regression on a separate split, prints accuracy and expected
calibration error on a held-out split, and writes ``gongkai/models/confidence.json``.
"""

from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from gongkai.errors import GongkaiError
from gongkai.inference.pipeline import extract_with_evidence
from gongkai.inference.tables.confidence import (
    MODEL_PATH,
    ConfidenceModel,
    capped,
    expected_calibration_error,
    features,
    fit_caps,
)
from gongkai.inference.tables.read import Evidence
from gongkai.inference.tables.template import applicable
from gongkai.report import Cell, Report
from gongkai.training.synth import ALL_LAYOUTS, SynthReport, generate

# Noise range of the generated reports the model is fitted on (share of eligible characters).
NOISE_RANGE = (0.0, 0.15)


@dataclass(frozen=True)
class BlankRegime:
    """How a share of the fitting reports leave cells blank (``synth.generate``'s blank_rate/blanks)."""

    share: float
    blank_rate: float
    blanks: str = "any"


# The fitting reports mix the blank regimes the benchmark measures: reports without blanks, 5 % of
# cells blank whatever their value (an illegible or unfilled cell: sums break), and 30 % of the
# zero cells left empty (an HTML table's empty cells: sums hold). Fitted on one regime alone, the
# caps learn that regime's error rates and misstate the others.
BLANK_REGIMES: tuple[BlankRegime, ...] = (
    BlankRegime(0.25, 0.0),
    BlankRegime(0.5, 0.05, "any"),
    BlankRegime(0.25, 0.3, "zeros"),
)
# Generated reports the model is fitted on (``gongkai train confidence --reports``): 1,600 left the
# rarer cap situations (Markdown rows with a blank, say) with too few cells to tell apart.
FIT_REPORTS = 3200
# Split of the generated reports: fit the logistic model / fit isotonic / report ECE.
SPLIT = (0.6, 0.2, 0.2)
LOGISTIC_C = 1.0


@dataclass
class CellSample:
    vector: list[float]
    correct: bool
    layout: str
    evidence: Evidence | None = None


def same_value(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-6)  # type: ignore[arg-type]


def graded_cells(report: Report, item: SynthReport) -> list[tuple[str, Cell | None, bool]]:
    """Every cell the generated report printed (2019 表二 as printed included), and whether it was read right."""
    single = item.format_version == "2019"
    out: list[tuple[str, Cell | None, bool]] = []
    for path, cell in report.table_cells():
        if applicable(path, item.format_version, single):
            out.append((path, cell, same_value(cell.value, item.gold.get(path))))
    for row, columns in item.proactive_2019.items():
        for column, truth in columns.items():
            got = report.proactive_2019.get(row, {}).get(column)
            out.append((f"proactive_2019.{row}.{column}", got, same_value(got.value if got else None, truth)))
    return out


def cell_samples(item: SynthReport) -> list[CellSample]:
    """Every applicable cell of one generated report, with its features and whether it is right."""
    try:
        report, read, _ = extract_with_evidence(item.source_bytes, f"synth-{item.layout}")
    except GongkaiError:
        return []
    layouts = sorted(read.layouts)
    out: list[CellSample] = []
    for path, cell in report.table_cells():
        if not applicable(path, item.format_version):
            continue
        ev = read.evidence.get(path)
        if ev is None:
            continue
        out.append(CellSample(features(ev, cell.value is None, layouts),
                              same_value(cell.value, item.gold.get(path)), item.layout, ev))
    return out


def collect(n_reports: int, seed: int) -> list[list[CellSample]]:
    """Cell samples per generated report (kept per report so splits never share a report), the
    reports split over ``BLANK_REGIMES`` (each regime its own seed, so no report repeats)."""
    out: list[list[CellSample]] = []
    left = n_reports
    for k, regime in enumerate(BLANK_REGIMES):
        n = left if k == len(BLANK_REGIMES) - 1 else round(n_reports * regime.share)
        left -= n
        reports = generate(n, seed=seed * len(BLANK_REGIMES) + k, layouts=ALL_LAYOUTS, noise=NOISE_RANGE,
                           blank_rate=regime.blank_rate, blanks=regime.blanks)
        out.extend(cell_samples(item) for item in reports)
    return out


def fit(per_report: list[list[CellSample]], seed: int) -> tuple[ConfidenceModel, dict[str, float]]:
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(seed)
    order = list(range(len(per_report)))
    rng.shuffle(order)
    a = int(len(order) * SPLIT[0])
    b = a + int(len(order) * SPLIT[1])
    parts = [[s for i in order[lo:hi] for s in per_report[i]] for lo, hi in ((0, a), (a, b), (b, len(order)))]
    train, iso, test = parts
    labels = {s.correct for s in train}
    if len(labels) < 2:
        # Every training cell right (or wrong): nothing to separate; a constant model is honest.
        rate = sum(s.correct for s in train) / max(1, len(train))
        logit = math.log(max(rate, 1e-4) / max(1 - rate, 1e-4))
        model = ConfidenceModel(logit, tuple(0.0 for _ in train[0].vector) if train else ())
    else:
        lr = LogisticRegression(C=LOGISTIC_C, max_iter=2000)
        lr.fit([s.vector for s in train], [s.correct for s in train])
        base = ConfidenceModel(float(lr.intercept_[0]), tuple(float(w) for w in lr.coef_[0]))
        raw = [base.predict(s.vector) for s in iso]
        ir = IsotonicRegression(y_min=0.001, y_max=0.999, out_of_bounds="clip")
        ir.fit(raw, [float(s.correct) for s in iso])
        model = ConfidenceModel(base.intercept, base.weights,
                                tuple(float(x) for x in ir.X_thresholds_), tuple(float(y) for y in ir.y_thresholds_))
    # Caps: each situation's share of right cells, measured on the fit and isotonic splits.
    caps = fit_caps([(s.evidence, s.correct) for s in train + iso if s.evidence is not None])
    model = replace(model, caps=tuple(sorted(caps.items())))
    confs = [capped(model.predict(s.vector), s.evidence, caps) if s.evidence else model.predict(s.vector)
             for s in test]
    right = [s.correct for s in test]
    metrics = {
        "cells_test": float(len(test)),
        "accuracy_test": sum(right) / max(1, len(right)),
        "ece_test": expected_calibration_error(confs, right),
        "wrong_cells_mean_confidence": (
            sum(c for c, ok in zip(confs, right) if not ok) / max(1, sum(1 for ok in right if not ok))
        ),
    }
    return model, metrics


def main(n_reports: int = FIT_REPORTS, seed: int = 7, out: Path | None = None) -> int:
    out = out or MODEL_PATH
    per_report = collect(n_reports, seed)
    model, metrics = fit(per_report, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(model.to_json() + "\n", encoding="utf-8")
    for key, value in metrics.items():
        sys.stdout.write(f"{key}: {value:.4f}\n")
    sys.stdout.write(f"wrote {out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
