"""Cell confidence: a logistic model over how each cell was found, fitted on generated reports.

The features say how a cell's label matched, how its value was placed, what repairs its
number needed and whether the arithmetic around it holds. The weights are fitted by
``gongkai.training.calibrate`` on generated layout variants with noise (where the truth is
known) and shipped as ``gongkai/models/confidence.json``; the benchmark reports the
expected calibration error they reach.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gongkai.inference.tables.read import Evidence
from gongkai.models import model_path

MODEL_PATH = model_path("confidence.json")

LABEL_KINDS = ("exact", "suffix", "prefix", "group", "fuzzy", "order")
SLOT_METHODS = ("count", "position", "padded", "grid", "run_unique", "run_ambiguous", "run_short", "order")
REPAIRS = ("fullwidth", "ocr_letter", "thousands", "unit", "blank_mark")
LAYOUT_FLAGS = ("tsv", "tab_cells", "pipe", "spaced", "line", "blank_lines")

FEATURE_NAMES: tuple[str, ...] = (
    *(f"label_{k}" for k in LABEL_KINDS),
    "label_score",
    *(f"slot_{m}" for m in SLOT_METHODS),
    *(f"repair_{r}" for r in REPAIRS),
    "row_ok", "row_broken", "col_ok", "col_broken",
    "structured", "ocr", "inferred_empty", "value_null", "log_alternatives", "run_plain",
    *(f"layout_{f}" for f in LAYOUT_FLAGS),
)
# log2 of the number of readings of a digit run, capped: 1 reading → 0, 1024+ → 1.
MAX_LOG_ALTERNATIVES = 10.0

# How an OCR score maps onto a cell's confidence (see ``with_read_score``); set on generated scans.
OCR_SCORE_FLOOR = 0.5
OCR_SCORE_POWER = 1.0
# Ceiling for an OCR'd cell that came out empty or needed repairs beyond spaces to parse.
OCR_DOUBTFUL_CONFIDENCE = 0.3
_CLEAN_NUMBER_RE = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")

# Used only when no fitted model ships (a fresh checkout before `gongkai train confidence`).
FALLBACK_INTERCEPT = 1.5
FALLBACK_WEIGHTS = {
    "label_exact": 1.0, "label_fuzzy": -0.8, "label_order": -1.0, "slot_padded": -2.5,
    "slot_run_ambiguous": -1.5, "row_ok": 1.0, "row_broken": -1.5, "col_ok": 0.8, "col_broken": -1.0,
    "repair_ocr_letter": -0.3,
}


# Placements where each value was printed in a cell of its own, counted or under its header.
PRINTED_PLACEMENTS = frozenset({"count", "grid"})
# Placements that guess a value's column from its position among printed cells.
GUESSED_PLACEMENTS = frozenset({"position", "padded", "grid"})
DECODED_PLACEMENTS = frozenset({"run_unique", "run_ambiguous", "run_short"})


def with_read_score(confidence: float, read_score: float | None, value: object, read: str | None) -> float:
    """A cell's confidence once OCR's part in it is known.

    The layout model sees only that a page was OCR'd. The engine's own score says how sure it
    was of these very characters (below OCR_SCORE_FLOOR no better than a guess). A cell that
    came out empty, or whose text needed more than spaces removed to read as a number ("3E",
    "ε3"), is a misread far more often than a blank or a typo in the report.
    """
    if value is None or read_score is None:
        return min(confidence, OCR_DOUBTFUL_CONFIDENCE)
    scaled = max(0.0, (read_score - OCR_SCORE_FLOOR) / (1.0 - OCR_SCORE_FLOOR))
    confidence *= scaled ** OCR_SCORE_POWER
    if read is not None and not _CLEAN_NUMBER_RE.match(read.replace(" ", "")):
        confidence = min(confidence, OCR_DOUBTFUL_CONFIDENCE)
    return confidence


def features(ev: Evidence, value_null: bool, layouts: Sequence[str]) -> list[float]:
    """The feature vector of one cell, in ``FEATURE_NAMES`` order."""
    vec: list[float] = [float(ev.label_how == k) for k in LABEL_KINDS]
    vec.append(ev.label_score)
    vec.extend(float(ev.slot_method == m) for m in SLOT_METHODS)
    vec.extend(float(ev.repairs.count(r)) for r in REPAIRS)
    # A broken sum is evidence of a misread only where the placement had freedom (positions guessed,
    # digits cut); a value printed in its own cell (or a run read exactly at its printed separators)
    # is what the report says, and a sum it breaks is the report's own error for the reconciler to
    # report, not a reason to doubt the reading.
    free = ev.slot_method not in PRINTED_PLACEMENTS and not ev.run_plain
    vec.extend([float(ev.row_ok == 1), float(ev.row_ok == 0 and free), float(ev.col_ok == 1),
                float(ev.col_ok == 0 and free)])
    vec.extend([float(ev.structured), float(ev.ocr), float(ev.inferred_empty), float(value_null),
                min(math.log2(max(1, ev.alternatives)), MAX_LOG_ALTERNATIVES) / MAX_LOG_ALTERNATIVES,
                float(ev.run_plain)])
    vec.extend(float(f in layouts) for f in LAYOUT_FLAGS)
    return vec


@dataclass(frozen=True)
class ConfidenceCap:
    """A situation in which a cell may be wrong however ordinary its features look.

    The fitted model sees each feature on its own; these are the combinations that make a
    misread likely (a false error raised on a misread is the worst outcome for an auditor), so
    the cell's confidence is held below ``cap``. Chosen on the generated sets of
    benchmarks/extract.py (wrong cells at ≥ 0.9 must be none).
    """

    name: str
    applies: Callable[[Evidence], bool]
    cap: float
    # Whether a finer situation never wrong on the fitting reports may be released from the cap
    # (``CAP_RELEASE_MIN_CELLS``): only where the risk is the layout's (a blank's place that some
    # layouts print), not where it is arithmetic (cuts whose sums agree by coincidence), which no
    # count of right cells rules out: released at 4,000 cells, cut runs put a wrong cell at ≥ 0.9.
    releasable: bool = False


CONFIDENCE_CAPS: tuple[ConfidenceCap, ...] = (
    ConfidenceCap("placed by position in a row with a blank cell, and a sum breaks",
                  lambda ev: ev.slot_method in GUESSED_PLACEMENTS and ev.row_blank
                  and (ev.col_ok == 0 or ev.row_ok_blank_zero == 0), 0.5),
    ConfidenceCap("decoded from a digit run with cuts of its own, and a sum breaks",
                  lambda ev: ev.slot_method in DECODED_PLACEMENTS and not ev.run_plain
                  and (ev.row_ok == 0 or ev.col_ok == 0 or ev.row_ok_blank_zero == 0), 0.5),
    ConfidenceCap("decoded from a digit run that reads more than one way",
                  lambda ev: ev.slot_method == "run_ambiguous", 0.5),
    ConfidenceCap("blanks placed by the prior in a run shorter than its row",
                  lambda ev: ev.slot_method == "run_short", 0.5),
    ConfidenceCap("a printed separator read as inside a number", lambda ev: ev.sep_merged, 0.7),
    ConfidenceCap("padded: the row printed fewer or more values than the template has",
                  lambda ev: ev.slot_method == "padded", 0.5),
    ConfidenceCap("a blank or zero placed by position in a text row with a blank: the two may have swapped",
                  lambda ev: ev.slot_method in GUESSED_PLACEMENTS and ev.row_blank and not ev.structured
                  and ev.zero_or_blank, 0.85, releasable=True),
    # A run read exactly at its printed separators hides no blank: a blank printed as nothing
    # leaves one number fewer than cells, so some printed number would have to be cut. A cut run
    # may, even where its sum holds: "0 0 0 22" with its total blank adds up as 0 0 0 2 2. Not
    # where the column identities through its whole row hold as well (表三): on 1,200 generated
    # reports with hidden blanks (seed 11) 8,834 such cells, none wrong, against 86 wrong of
    # 13,138 where only the row's own sum held.
    ConfidenceCap("decoded with cuts of its own from a run in a document whose runs may hide blank cells",
                  lambda ev: ev.hidden_blanks and not ev.run_plain and not ev.row_cols_ok, 0.8),
    ConfidenceCap("decoded with cuts of its own from a run of several cells that no sum checks",
                  lambda ev: ev.unchecked_run and not ev.run_plain, 0.85),
    ConfidenceCap("a sum breaks in a table that lost rows: the rows may have shifted",
                  lambda ev: ev.table_incomplete and (ev.col_ok == 0 or ev.row_ok == 0), 0.5),
    ConfidenceCap("a text table that lost rows: its rows' labels may have shifted onto others' values",
                  lambda ev: ev.table_incomplete and not ev.structured, 0.85),
)


# A fitted cap never reaches this: a situation that can be misread never gets ≥ 0.9 (the issue's
# "never confidently wrong"), however rarely it is wrong on generated reports.
CAP_CEILING = 0.89
# Cells a situation needs on the generated reports before its cap is fitted rather than declared.
CAP_MIN_CELLS = 50
# A finer situation's share is drawn towards its coarser situation's as if by this many cells of
# it (see ``fit_caps``); one seen in fewer than ``CAP_MIN_FINE_CELLS`` takes the coarser value.
CAP_PRIOR_CELLS = 10
CAP_MIN_FINE_CELLS = 10
# A finer situation (``cap_group``, joint situations) of ``releasable`` rules with at least this
# many cells on the fitting reports and not one of them wrong is not capped at all (fitted value
# 1.0): the rule names a risk that this situation does not carry (a blank's place printed by
# tab-per-cell lines, say). With none wrong in 4,000 cells the error rate is below 0.075 % (rule of
# three, 95 %). Hidden-blank situations are not releasable: at 2,000 cells (1,600 fitting reports)
# and again at 4,000 (3,200 reports) one was released and put one wrong cell at ≥ 0.9 on the
# benchmark's 300 scraped reports with blanks.
CAP_RELEASE_MIN_CELLS = 4000
CAP_RELEASED = 1.0


def cap_group(rule: ConfidenceCap, ev: Evidence) -> str:
    """The finer situation a cap is also fitted for: the same rule is wrong far more often in some.

    A row padded by position is right most of the time in a text table whose column sums hold and
    rarely where nothing checks it; one value for the whole rule under-states the first and
    over-states the second.
    """
    return _keys([rule], ev)[1][1]


def _detail(ev: Evidence) -> str:
    value = "blank" if ev.blank else "zero" if ev.zero_or_blank else "number"
    return f"row {ev.row_ok} col {ev.col_ok} {'cells' if ev.structured else 'text'} {value}"


def _by_layout(key: str, ev: Evidence) -> str:
    """A fine situation split once more by the document's text layouts: kept in the model only
    where it is released (``CAP_RELEASED``), since splitting every cap that finely leaves too few
    cells to fit the others."""
    return f"{key} | layouts {'+'.join(ev.layouts) or 'none'}"


def _by_slot(key: str, ev: Evidence) -> str:
    """A fine situation split by how the value was placed: the hidden-blank rule holds digit runs
    cut into as many numbers as cells (right nearly always) and runs short of their row (a blank
    placed by the prior: right four times in five) alike, and one value misstates both."""
    return f"{key} | {ev.slot_method}"


def _keys(rules: Sequence[ConfidenceCap], ev: Evidence) -> tuple[list[str], list[str]]:
    """The keys fitted for caps that apply together (one rule, or the joint of several): the
    layout-split keys (kept only where released), then the others, finest first."""
    name = " + ".join(rule.name for rule in rules)
    fine = f"{name} | {_detail(ev)}"
    finer = [_by_slot(fine, ev), fine]
    # Not the rule as a whole in a layout: released so, shredded Markdown's rows that took an empty
    # line's cells (never wrong on the fitting reports) came out wrong 16 at a time on another seed
    # at 0.999. Misreads come a row at a time: cells are not independent draws.
    return [_by_layout(key, ev) for key in finer], [*finer, name]


def _fitted(fitted: dict[str, float], rules: Sequence[ConfidenceCap], ev: Evidence) -> float | None:
    split, keys = _keys(rules, ev)
    return next((fitted[key] for key in (*split, *keys) if key in fitted), None)


def capped(confidence: float, ev: Evidence, fitted: dict[str, float] | None = None) -> float:
    """``confidence`` held below the caps whose situations apply to the cell.

    ``fitted``: cap values measured on generated reports (the share of such cells read right,
    at most ``CAP_CEILING``), by rule name and by finer situation (``_keys``), and for caps that
    apply together by their joint situation. Where several apply, their joint value is used when
    it was fitted (the lowest of the single caps under-states such cells: a padded row whose blank
    sits among zeros is right more often than padded rows in general); otherwise each cap holds
    the cell below its own value, the finest fitted situation winning, a rule without any using
    its declared ``cap``.
    """
    rules = [rule for rule in CONFIDENCE_CAPS if rule.applies(ev)]
    if not rules:
        return confidence
    if fitted and len(rules) > 1:
        joint = _fitted(fitted, rules, ev)
        if joint is not None:
            return min(confidence, joint)
    for rule in rules:
        cap = _fitted(fitted, [rule], ev) if fitted else None
        confidence = min(confidence, rule.cap if cap is None else cap)
    return confidence


def fit_caps(samples: Sequence[tuple[Evidence, bool]]) -> dict[str, float]:
    """Each cap's value, per rule, per finer situation and per joint situation of several caps: the
    share of its cells read right, ≤ CAP_CEILING; ``CAP_RELEASED`` for a finer situation never
    wrong in ``CAP_RELEASE_MIN_CELLS`` cells.

    A finer situation's share is drawn towards the coarser one's by ``CAP_PRIOR_CELLS`` cells of
    it: a fine situation seen in a few dozen cells says little on its own, and left out it would
    take the coarse value, which is far off for the few that differ most (blanks in runs cut
    exactly, right nearly always, under a rule fitted mostly on runs short of their row).
    """
    hits: dict[str, list[bool]] = {}
    parent: dict[str, str] = {}
    split: dict[str, list[bool]] = {}  # the fine situations by layout: only released ones are kept
    releasable: set[str] = set()  # finer situations whose rules are all ``releasable``
    for ev, ok in samples:
        rules = [rule for rule in CONFIDENCE_CAPS if rule.applies(ev)]
        if not rules:
            continue
        # Each rule alone, then all of them together; the last is the cell's situation.
        situations = [[rule] for rule in rules] + ([rules] if len(rules) > 1 else [])
        for situation in situations:
            split_keys, keys = _keys(situation, ev)
            parent.update(zip(keys, keys[1:]))
            for key in keys:
                hits.setdefault(key, []).append(ok)
            if all(rule.releasable for rule in situation):
                releasable.update(keys[:-1])
        for key in split_keys:  # the layout split of the cell's situation only
            split.setdefault(key, []).append(ok)
        if all(rule.releasable for rule in rules):
            releasable.update(split_keys)

    def released(key: str, oks: list[bool]) -> bool:
        return key in releasable and len(oks) >= CAP_RELEASE_MIN_CELLS and all(oks)

    shares: dict[str, float | None] = {}

    def share(key: str) -> float | None:
        """The key's share of right cells, drawn towards its parent's; None where too few cells."""
        if key not in shares:
            oks = hits[key]
            above = share(parent[key]) if key in parent else None
            if above is None:
                shares[key] = sum(oks) / len(oks) if len(oks) >= CAP_MIN_CELLS else None
            else:
                shares[key] = (sum(oks) + CAP_PRIOR_CELLS * above) / (len(oks) + CAP_PRIOR_CELLS)
        return shares[key]

    out: dict[str, float] = {}
    for key, oks in hits.items():
        value = share(key)
        if released(key, oks):
            out[key] = CAP_RELEASED
        elif value is not None and (key not in parent or len(oks) >= CAP_MIN_FINE_CELLS):
            out[key] = round(min(CAP_CEILING, value), 4)
    out.update({key: CAP_RELEASED for key, oks in split.items() if released(key, oks)})
    return dict(sorted(out.items()))


def cell_confidence(ev: Evidence, value_null: bool, layouts: tuple[str, ...]) -> float:
    """Calibrated confidence of one cell (cells with the same evidence share one computation), capped."""
    key = (ev.label_how, round(ev.label_score, 3), ev.slot_method, ev.repairs, ev.row_ok, ev.col_ok,
           ev.structured, ev.ocr, ev.inferred_empty, ev.alternatives, ev.run_plain, value_null, layouts)
    cap_values = (ev.sep_merged, ev.row_blank, ev.row_ok_blank_zero, ev.hidden_blanks, ev.zero_or_blank,
                  ev.blank, ev.unchecked_run, ev.table_incomplete, ev.row_cols_ok)  # in CAP_FIELDS order
    return _capped_by_key(key, cap_values)  # the caps read ``layouts`` from the key (the document's)


# Evidence the caps read beyond the model's features (part of the cache key).
CAP_FIELDS = ("sep_merged", "row_blank", "row_ok_blank_zero", "hidden_blanks", "zero_or_blank", "blank",
              "unchecked_run", "table_incomplete", "row_cols_ok")


@lru_cache(maxsize=65536)
def _capped_by_key(key: tuple, cap_values: tuple) -> float:  # type: ignore[type-arg]
    how, score, slot, repairs, row_ok, col_ok, structured, ocr, inferred, alternatives, plain, _, layouts = key
    ev = Evidence(how, score, slot, repairs, row_ok, col_ok, structured, ocr, inferred, alternatives,
                  run_plain=plain, layouts=layouts, **dict(zip(CAP_FIELDS, cap_values)))
    model = load_model()
    return capped(_confidence_by_key(key), ev, dict(model.caps))


@lru_cache(maxsize=65536)
def _confidence_by_key(key: tuple) -> float:  # type: ignore[type-arg]
    how, score, slot, repairs, row_ok, col_ok, structured, ocr, inferred, alternatives, plain, null, layouts = key
    ev = Evidence(how, score, slot, repairs, row_ok, col_ok, structured, ocr, inferred, alternatives,
                  run_plain=plain)
    return load_model().predict(features(ev, null, layouts))


@dataclass(frozen=True)
class ConfidenceModel:
    intercept: float
    weights: tuple[float, ...]
    # Isotonic correction of the logistic output: (x, y) knots, or empty for none.
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()
    # Fitted cap values by ConfidenceCap name (see ``fit_caps``).
    caps: tuple[tuple[str, float], ...] = ()

    def predict(self, vec: Sequence[float]) -> float:
        """Probability that a cell with these features is right."""
        z = self.intercept + sum(w * x for w, x in zip(self.weights, vec))
        p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        return _interpolate(p, self.knots_x, self.knots_y) if self.knots_x else p

    def to_json(self) -> str:
        return json.dumps(
            {"features": list(FEATURE_NAMES), "intercept": self.intercept, "weights": list(self.weights),
             "isotonic_x": list(self.knots_x), "isotonic_y": list(self.knots_y), "caps": dict(self.caps)},
            indent=1,
        )


def _interpolate(x: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    lo, hi = 0, len(xs) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xs[mid] <= x:
            lo = mid
        else:
            hi = mid
    span = xs[hi] - xs[lo]
    t = (x - xs[lo]) / span if span else 0.0
    return ys[lo] + t * (ys[hi] - ys[lo])


def fallback_model() -> ConfidenceModel:
    return ConfidenceModel(FALLBACK_INTERCEPT, tuple(FALLBACK_WEIGHTS.get(name, 0.0) for name in FEATURE_NAMES))


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> ConfidenceModel:
    """The shipped model; the hand-set fallback (with a warning) when it is absent or stale."""
    if not path.exists():
        return fallback_model()
    data = json.loads(path.read_text(encoding="utf-8"))
    if list(data["features"]) != list(FEATURE_NAMES):
        warnings.warn(
            f"{path} was fitted on other features than this version computes; using uncalibrated fallback "
            "weights until `gongkai train confidence` is run",
            RuntimeWarning,
            stacklevel=2,
        )
        return fallback_model()
    return ConfidenceModel(
        float(data["intercept"]), tuple(float(w) for w in data["weights"]),
        tuple(data.get("isotonic_x", ())), tuple(data.get("isotonic_y", ())),
        tuple((str(k), float(v)) for k, v in data.get("caps", {}).items()),
    )


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """ECE: mean |accuracy − confidence| over equal-width confidence bins, weighted by bin size."""
    if not confidences:
        return 0.0
    totals = [0] * bins
    conf_sum = [0.0] * bins
    right = [0] * bins
    for c, ok in zip(confidences, correct):
        b = min(bins - 1, int(c * bins))
        totals[b] += 1
        conf_sum[b] += c
        right[b] += int(ok)
    n = len(confidences)
    return sum(abs(right[b] / totals[b] - conf_sum[b] / totals[b]) * totals[b] / n for b in range(bins) if totals[b])
