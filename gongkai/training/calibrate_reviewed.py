"""Refitting the cell-confidence model with reviewed real cells alongside the generated ones.

``gongkai train confidence --reviewed corrections.jsonl`` finds each corrected document by the
sha256 of its bytes among the ``--docs`` folders (default: ../shared/seeds and
../shared/corpus/real), extracts it again with its evidence (as ``calibrate.cell_samples`` does
for generated reports) and labels each reviewed cell right or wrong: right when the value read
now equals the reviewed value. The reviewed cells join the fitting and isotonic splits of the
generated reports, each counting as ``weight`` generated cells (they are few, and they are the
real thing), and the caps are refitted on the same cells.

It reports the expected calibration error on the reviewed cells before (the model in force)
and after: after both in-sample and held out by document (each fold's documents scored by a
model fitted without them), since reviewed cells that a model was fitted on say little about
its calibration. Confidences here are the model's part of a cell's confidence, its caps and the
pipeline's fixed ceilings (template-order fallback, doubted OCR); the OCR engine's own score is
not replayed.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from gongkai.annotations.corrections import Corrections, load_corrections
from gongkai.errors import GongkaiError
from gongkai.inference.pipeline import ORDER_FALLBACK_CONFIDENCE, _ocr_doubt, extract_with_evidence
from gongkai.inference.tables.confidence import (
    MODEL_PATH,
    OCR_DOUBTFUL_CONFIDENCE,
    ConfidenceModel,
    capped,
    expected_calibration_error,
    features,
    fit_caps,
    load_model,
)
from gongkai.training.calibrate import FIT_REPORTS, LOGISTIC_C, SPLIT, CellSample, collect, same_value

# Each reviewed cell counts as this many generated cells in the fit.
REVIEWED_WEIGHT = 20
FOLDS = 5
DOC_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".png", ".jpg", ".jpeg", ".tif",
                ".tiff")


@dataclass
class Reviewed:
    """The reviewed cells that could be used, per document, and what could not."""

    per_doc: dict[str, list[CellSample]] = field(default_factory=dict)
    missing_docs: list[str] = field(default_factory=list)  # sha256 of documents not found in --docs
    no_cell: list[str] = field(default_factory=list)  # corrections naming no cell of their document
    no_evidence: int = 0  # cells the table reader never found (nothing to learn from)

    @property
    def samples(self) -> list[CellSample]:
        return [s for samples in self.per_doc.values() for s in samples]


def find_documents(folders: Iterable[Path], wanted: set[str]) -> dict[str, Path]:
    """sha256 → file, for the files under ``folders`` whose bytes hash to one of ``wanted``."""
    out: dict[str, Path] = {}
    for folder in folders:
        files = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file()
                                                         and p.suffix.lower() in DOC_SUFFIXES)
        for path in files:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in wanted and digest not in out:
                out[digest] = path
    return out


def reviewed_samples(corrections: Corrections, shas: Iterable[str], docs: dict[str, Path]) -> Reviewed:
    out = Reviewed()
    for sha in sorted(shas):
        path = docs.get(sha)
        if path is None:
            out.missing_docs.append(sha)
            continue
        try:
            report, read, _ = extract_with_evidence(path.read_bytes(), str(path))
        except GongkaiError:
            out.missing_docs.append(sha)
            continue
        layouts = sorted(read.layouts)
        samples = []
        for cell_path, c in sorted(corrections.for_doc(sha).items()):
            try:
                cell = report.cell(cell_path)
            except (KeyError, AttributeError):
                out.no_cell.append(f"{path.name}: {cell_path}")
                continue
            ev = read.evidence.get(cell_path)
            if ev is None:
                out.no_evidence += 1
                continue
            samples.append(CellSample(features(ev, cell.value is None, layouts), same_value(cell.value, c.value),
                                      f"reviewed:{sha}", ev))
        if samples:
            out.per_doc[sha] = samples
    return out


def score(model: ConfidenceModel, s: CellSample) -> float:
    """A cell's confidence under ``model``: the model, its caps, the pipeline's fixed ceilings."""
    conf = model.predict(s.vector)
    if s.evidence is None:
        return conf
    ev = s.evidence
    conf = capped(conf, ev, dict(model.caps))
    if ev.ocr and _ocr_doubt(ev):
        conf = min(conf, OCR_DOUBTFUL_CONFIDENCE)
    if ev.slot_method == "order":
        conf = min(conf, ORDER_FALLBACK_CONFIDENCE)
    return conf


def ece(model: ConfidenceModel, samples: Sequence[CellSample]) -> float:
    return expected_calibration_error([score(model, s) for s in samples], [s.correct for s in samples])


def fit_with_reviewed(per_report: list[list[CellSample]], reviewed: Sequence[CellSample], seed: int,
                      weight: int = REVIEWED_WEIGHT) -> tuple[ConfidenceModel, dict[str, float]]:
    """``calibrate.fit`` with the reviewed cells added (``weight`` times each) to its fitting and isotonic splits."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(seed)
    order = list(range(len(per_report)))
    rng.shuffle(order)
    a = int(len(order) * SPLIT[0])
    b = a + int(len(order) * SPLIT[1])
    train, iso, test = ([s for i in order[lo:hi] for s in per_report[i]] for lo, hi in ((0, a), (a, b),
                                                                                          (b, len(order))))
    extra = [s for s in reviewed for _ in range(weight)]
    train, iso = train + extra, iso + extra
    if len({s.correct for s in train}) < 2:
        raise ValueError("every training cell is right (or wrong): nothing to fit")
    lr = LogisticRegression(C=LOGISTIC_C, max_iter=2000)
    lr.fit([s.vector for s in train], [s.correct for s in train])
    base = ConfidenceModel(float(lr.intercept_[0]), tuple(float(w) for w in lr.coef_[0]))
    ir = IsotonicRegression(y_min=0.001, y_max=0.999, out_of_bounds="clip")
    ir.fit([base.predict(s.vector) for s in iso], [float(s.correct) for s in iso])
    model = ConfidenceModel(base.intercept, base.weights, tuple(float(x) for x in ir.X_thresholds_),
                            tuple(float(y) for y in ir.y_thresholds_))
    caps = fit_caps([(s.evidence, s.correct) for s in train + iso if s.evidence is not None])
    model = replace(model, caps=tuple(sorted(caps.items())))
    return model, {"cells_test": float(len(test)), "ece_test": ece(model, test),
                   "accuracy_test": sum(s.correct for s in test) / max(1, len(test))}


def held_out_ece(per_report: list[list[CellSample]], reviewed: Reviewed, seed: int, weight: int,
                 folds: int = FOLDS) -> float | None:
    """ECE on the reviewed cells, each document's cells scored by a model fitted without that document's fold."""
    docs = sorted(reviewed.per_doc)
    if len(docs) < 2:
        return None
    k = min(folds, len(docs))
    confs: list[float] = []
    right: list[bool] = []
    for fold in range(k):
        held = set(docs[fold::k])
        kept = [s for d in docs if d not in held for s in reviewed.per_doc[d]]
        model, _ = fit_with_reviewed(per_report, kept, seed, weight)
        for d in held:
            confs += [score(model, s) for s in reviewed.per_doc[d]]
            right += [s.correct for s in reviewed.per_doc[d]]
    return expected_calibration_error(confs, right)


def main(reviewed_path: Path, docs: Sequence[Path], n_reports: int = FIT_REPORTS, seed: int = 7,
         out: Path | None = None,
         weight: int = REVIEWED_WEIGHT) -> int:
    if not reviewed_path.is_file():
        raise FileNotFoundError(f"{reviewed_path}: no such corrections file")
    corrections = load_corrections(reviewed_path)
    shas = corrected_docs(reviewed_path)
    if not shas:
        raise ValueError(f"{reviewed_path}: no corrections to learn from")
    found = find_documents([d for d in docs if d.exists()], shas)
    reviewed = reviewed_samples(corrections, shas, found)
    w = sys.stdout.write
    w(f"reviewed cells: {len(reviewed.samples)} from {len(reviewed.per_doc)} documents "
      f"({sum(not s.correct for s in reviewed.samples)} read wrong now)\n")
    if reviewed.missing_docs:
        w(f"  {len(reviewed.missing_docs)} corrected documents not found by sha256 under "
          f"{', '.join(map(str, docs))}: their corrections are left out (--docs DIR names more folders)\n")
    if reviewed.no_cell:
        w(f"  {len(reviewed.no_cell)} corrections name no cell of their document: {', '.join(reviewed.no_cell[:5])}\n")
    if reviewed.no_evidence:
        w(f"  {reviewed.no_evidence} reviewed cells were never found by the table reader (nothing to learn from)\n")
    if not reviewed.samples:
        raise ValueError("none of the reviewed cells could be used: nothing to refit")
    shipped = load_model(MODEL_PATH)
    before = ece(shipped, reviewed.samples)
    per_report = collect(n_reports, seed)
    model, metrics = fit_with_reviewed(per_report, reviewed.samples, seed, weight)
    held = held_out_ece(per_report, reviewed, seed, weight)
    target = out or reviewed_path.with_name("confidence.reviewed.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(model.to_json() + "\n", encoding="utf-8")
    w(f"ECE on the reviewed cells: before {before:.4f} (the model in force)  after {ece(model, reviewed.samples):.4f}"
      f" (in-sample)" + (f"  after {held:.4f} (held out by document, {min(FOLDS, len(reviewed.per_doc))} folds)"
                         if held is not None else "  (held-out figure needs reviewed cells of 2+ documents)") + "\n")
    w(f"generated test split: ECE {metrics['ece_test']:.4f} (model in force: "
      f"{_generated_ece(shipped, per_report, seed):.4f}), accuracy {metrics['accuracy_test']:.4f}, "
      f"{int(metrics['cells_test'])} cells\n")
    same = target.resolve() == MODEL_PATH.resolve()
    w(f"wrote {target}" + ("" if same else f"; the shipped model ({MODEL_PATH}) is unchanged: pass --out "
                                           f"{MODEL_PATH} to ship this one") + "\n")
    return 0


def corrected_docs(path: Path) -> set[str]:
    """The sha256 of every document a (checked) corrections file names."""
    return {json.loads(line)["doc_sha256"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def _generated_ece(model: ConfidenceModel, per_report: list[list[CellSample]], seed: int) -> float:
    """The model's ECE on the same generated test split ``fit_with_reviewed`` reports."""
    rng = random.Random(seed)
    order = list(range(len(per_report)))
    rng.shuffle(order)
    b = int(len(order) * SPLIT[0]) + int(len(order) * SPLIT[1])
    return ece(model, [s for i in order[b:] for s in per_report[i]])


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]))

