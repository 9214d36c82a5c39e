"""``gongkai train classifier`` and ``gongkai evaluate classifier``: data → model → held-out comparison.

Training reads the hand labels (train split; dev split for calibration and thresholds), adds
weak labels for corpus sentences nobody labelled by hand and the sentences the team wrote
(train only), pre-trains a character encoder unless a base model is given (which may first be
cut down: ``shrink_layers``), fine-tunes, and saves the classifier directory. A blend averages
two trained classifiers with a weight chosen on dev. Evaluation compares the weak-label
heuristic, the TF-IDF baseline, the transformer and the blends on the fixed test split and can
write the figures into the model cards.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gongkai.inference.narrative.classify import (
    BLEND_BF16_DIR,
    BLEND_DIR,
    HEAD_FILE,
    LABELS,
    SHIPPED,
    TFIDF_DIR,
    TRANSFORMER_DIR,
    TransformerClassifier,
    blend_log_odds,
    member_log_odds,
    model_input,
    open_classifier,
)
from gongkai.inference.tables.confidence import expected_calibration_error
from gongkai.training.metrics import per_label_scores
from gongkai.training.sentence_baseline import train_baseline
from gongkai.training.sentence_data import (
    LABELS_FILE,
    SECOND_READING_FILE,
    SYNTHETIC_FILE,
    LabelledSentence,
    SentenceSplits,
    document_names,
    document_sentences,
    is_dev_doc,
    is_test_doc,
    load_hand_labels,
    load_split,
    load_synthetic,
    split_sentences,
    training_texts,
)
from gongkai.training.sentence_model import (
    EncoderShape,
    FineTuneSettings,
    PretrainSettings,
    fine_tune,
    fit_head,
    macro_f1_at,
    pretrain,
    pretraining_record,
    read_extra_text,
    save_classifier,
)
from gongkai.training.shrink_base import shrink, shrink_record
from gongkai.training.weak_labels import weak_label

CARD_FILE = "MODEL_CARD.md"
RESULTS_FILE = "evaluation.json"


KINDS = ("transformer", "tfidf", "blend")
# Weights tried for the second member of a blend (the first gets the rest): a coarse grid, so that
# 265 dev sentences choose among few candidates.
BLEND_WEIGHTS = tuple(round(0.1 * k, 1) for k in range(11))


@dataclass
class TrainOptions:
    shared: Path
    kind: str = "transformer"
    out: Path | None = None  # default: the shipped folder of the kind
    data: Path = LABELS_FILE
    base_model: str | None = None
    extra_text: Sequence[str] = ()
    save_base: Path | None = None
    weak: bool = True
    synthetic: Path | None = SYNTHETIC_FILE  # None: hand (and weak) labels only
    shrink_layers: int | None = None  # cut ``base_model`` to its bottom N layers and report vocabulary first
    members: Sequence[Path] = (TRANSFORMER_DIR, TFIDF_DIR)  # the two classifiers a blend averages
    precision: str | None = None  # a blend's transformer members: float32 (default) or bfloat16
    shape: EncoderShape = field(default_factory=EncoderShape)
    pretrain: PretrainSettings = field(default_factory=PretrainSettings)
    finetune: FineTuneSettings = field(default_factory=FineTuneSettings)


def weak_sentences(shared: Path, labelled: Sequence[LabelledSentence]) -> list[LabelledSentence]:
    """Weakly labelled sentences of train-split documents that no hand-labelled span overlaps."""
    split = load_split()
    spans: dict[str, list[tuple[int, int]]] = {}
    for s in labelled:
        spans.setdefault(s.doc, []).append(s.span)
    out = []
    for doc in document_names(shared):
        if is_test_doc(doc, split) or is_dev_doc(doc, split):
            continue
        for s in document_sentences(shared, doc):
            if not any(a < s.span[1] and s.span[0] < b for a, b in spans.get(doc, ())):
                out.append(LabelledSentence(doc, s.span, s.text, s.heading, weak_label(s.text, s.heading),
                                            "weak", weak=True))
    return out


def training_data(shared: Path, data: Path, weak: bool, synthetic: Path | None = None,
                  documents: Path | None = None, missing: list[str] | None = None) -> SentenceSplits:
    """Hand labels split by document; weak and written-by-us sentences join train only.

    ``documents`` holds the reports outside ``shared`` that the labeling loop labelled; sentences
    whose report is in neither place are named in ``missing`` (an error when no list is given).
    """
    splits = split_sentences(load_hand_labels(shared, data, documents, missing))
    if weak:
        splits.train += weak_sentences(shared, splits.train + splits.dev + splits.test)
    if synthetic is not None:
        splits.train += load_synthetic(synthetic)
    return splits


def train_classifier(options: TrainOptions, progress: Callable[[str], None] = print) -> Path:
    if options.kind not in KINDS:
        raise ValueError(f"unknown classifier kind {options.kind!r}; expected one of {KINDS}")
    if options.kind == "blend":
        shipped = BLEND_BF16_DIR if options.precision == "bfloat16" else BLEND_DIR
        return train_blend(options.shared, options.members, options.out or shipped, options.data, progress,
                           options.precision)
    splits = training_data(options.shared, options.data, options.weak, options.synthetic)
    n_weak = sum(s.weak for s in splits.train)
    n_synthetic = sum(s.written for s in splits.train)
    n_hand = len(splits.train) - n_weak - n_synthetic
    progress(f"training data: {n_hand} hand-labelled + {n_weak} weakly labelled + {n_synthetic} written "
             f"train sentences, {len(splits.dev)} dev (test split untouched)")
    meta = {"trained": datetime.date.today().isoformat(), "train_sentences": n_hand,
            "weak_sentences": n_weak, "synthetic_sentences": n_synthetic, "dev_sentences": len(splits.dev)}
    if options.kind == "tfidf":
        model = train_baseline(splits.train, splits.dev)
        model.head.meta.update(meta)
        return model.save(options.out or TFIDF_DIR)
    with tempfile.TemporaryDirectory(prefix="gongkai-base-") as tmp:
        base = options.base_model
        if base is None:
            extra = read_extra_text(options.extra_text)
            base_dir = options.save_base or Path(tmp) / "base"
            pretrain(training_texts(options.shared), extra, base_dir, options.shape, options.pretrain, progress)
            base = str(base_dir)
        elif options.shrink_layers:
            progress(f"shrinking {base} to {options.shrink_layers} layers and the pieces report text uses")
            base = str(shrink(base, Path(tmp) / "shrunk", options.shrink_layers, training_texts(options.shared),
                              read_extra_text(options.extra_text)))
        progress(f"fine-tuning {base}")
        model, tokenizer, head = fine_tune(base, splits.train, splits.dev, options.finetune, progress)
        head.meta.update(meta)
        head.meta.update({
            "kind": "transformer",
            "base_model": options.base_model or "self-built character BERT (masked-LM pre-trained by gongkai)",
            "pretraining": pretraining_record(base),
            "shrunk": shrink_record(base),
            "fine_tuning": asdict(options.finetune),
            "quantize": False,
        })
    return save_classifier(model, tokenizer, head, options.out or TRANSFORMER_DIR)


def train_blend(shared: Path, members: Sequence[Path], out: Path, data: Path = LABELS_FILE,
                progress: Callable[[str], None] = print, precision: str | None = None,
                dev: Sequence[LabelledSentence] | None = None) -> Path:
    """Average two trained classifiers: the weight, calibration and thresholds are all chosen on dev.

    ``precision`` is the one transformer members compute in (recorded with them, so that the
    thresholds fitted here meet the same scores at inference). ``dev`` defaults to the dev split
    of ``data``."""
    if len(members) != 2:
        raise ValueError(f"a blend is fitted for two classifiers, got {len(members)}")
    if dev is None:
        dev = split_sentences(load_hand_labels(shared, data)).dev
    pairs, gold = [model_input(s.text, s.heading) for s in dev], _vectors(dev)
    loaded = [open_classifier(m, precision=precision) for m in members]
    rows = [member_log_odds(clf, pairs) for clf in loaded]
    tried: dict[str, float] = {}
    best = None
    for w in BLEND_WEIGHTS:
        logits = blend_log_odds(rows, (1 - w, w))
        head = fit_head(logits, gold)
        tried[f"{w:.1f}"] = f1 = round(macro_f1_at(head, logits, gold), 4)
        progress(f"  weight of {Path(members[1]).name} {w:.1f}: dev macro-F1 {f1:.3f}")
        if best is None or f1 > best[0]:  # ties keep the smaller weight of the second member
            best = (f1, w, head)
    assert best is not None
    f1, w, head = best
    out.mkdir(parents=True, exist_ok=True)
    head.meta = {
        "kind": "blend", "trained": datetime.date.today().isoformat(), "dev_sentences": len(dev),
        "dev_macro_f1": f1, "dev_macro_f1_by_weight": tried,
        "members": [{"path": os.path.relpath(Path(m).resolve(), out.resolve()), "weight": round(k, 1)}
                    for m, k in zip(members, (1 - w, w))],
    }
    for spec, clf in zip(head.meta["members"], loaded):
        if isinstance(clf, TransformerClassifier) and clf.precision != "float32":
            spec["precision"] = clf.precision
    head.save(out / HEAD_FILE)
    progress(f"blend: weights {1 - w:.1f} / {w:.1f}, dev macro-F1 {f1:.3f}")
    return out


# --- evaluation -----------------------------------------------------------------------------------


def _vectors(items: Sequence[LabelledSentence]) -> list[list[int]]:
    return [s.vector() for s in items]


SHIPPED_BLENDS = {name: SHIPPED[name] for name in ("blend", "blend-bf16")}


def evaluate_classifiers(shared: Path, transformer: Path = TRANSFORMER_DIR, tfidf: Path = TFIDF_DIR,
                         data: Path = LABELS_FILE, blends: Mapping[str, Path] = SHIPPED_BLENDS) -> dict[str, Any]:
    """Per-label precision/recall/F1 on the test split: heuristic, TF-IDF baseline, transformer, blends."""
    splits = split_sentences(load_hand_labels(shared, data))
    test, gold = splits.test, _vectors(splits.test)
    models = {"baseline": tfidf, "transformer": transformer, **blends}
    results: dict[str, Any] = {"test_sentences": len(test), "test_docs": len({s.doc for s in test}),
                               "models": {name: str(folder) for name, folder in models.items()}}
    heuristic = [[int(lab in weak_label(s.text, s.heading)) for lab in LABELS] for s in test]
    results["heuristic"] = per_label_scores(gold, heuristic)
    for name, folder in models.items():
        predicted = open_classifier(folder).predict([s.text for s in test], [s.heading for s in test])
        results[name] = per_label_scores(gold, [[int(lab in labels) for lab in LABELS] for _, labels in predicted])
        results[f"{name}_ece"] = {
            lab: expected_calibration_error([scores[lab] for scores, _ in predicted], [bool(g[j]) for g in gold])
            for j, lab in enumerate(LABELS)}
    return results


def agreement(shared: Path, second: Path = SECOND_READING_FILE, first: Path = LABELS_FILE) -> dict[str, Any]:
    """How often a second reader's labels match the first labels of the same sentences (P/R/F1 per label)."""
    firsts = {(s.doc, s.span): s for s in load_hand_labels(shared, first)}
    seconds = load_hand_labels(shared, second)
    missing = [f"{s.doc} {s.span}" for s in seconds if (s.doc, s.span) not in firsts]
    if missing:
        raise ValueError(f"{second}: {len(missing)} sentences have no first label, e.g. {missing[0]}")
    return per_label_scores([firsts[(s.doc, s.span)].vector() for s in seconds], _vectors(seconds))


def _score_row(*names: str, r: dict[str, float]) -> str:
    return f"| {' | '.join(names)} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {int(r['support'])} |"


def results_table(results: dict[str, Any]) -> str:
    """The comparison as a Markdown table (what the CLI prints and the model card holds)."""
    lines = ["| model | label | precision | recall | F1 | support |", "|---|---|---|---|---|---|"]
    for name in ("heuristic", *results["models"]):
        lines += [_score_row(name, lab, r=results[name][lab]) for lab in (*LABELS, "macro")]
    return "\n".join(lines)


def agreement_table(scores: dict[str, Any]) -> str:
    """Agreement per label as a Markdown table."""
    lines = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    return "\n".join(lines + [_score_row(lab, r=r) for lab, r in scores.items()])


def write_card(model_dir: Path, results: dict[str, Any]) -> Path:
    """Replace the evaluation section of a model card (and save the raw figures beside it)."""
    (model_dir / RESULTS_FILE).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    card = model_dir / CARD_FILE
    text = card.read_text(encoding="utf-8") if card.is_file() else "# gongkai sentence classifier\n"
    marker = "## Evaluation on the held-out test split"
    text = text.split(marker)[0].rstrip() + "\n\n"
    ece = "; ".join(f"{name}: " + ", ".join(f"{k} {v:.3f}" for k, v in results[f"{name}_ece"].items())
                    for name in results["models"])
    text += (f"{marker}\n\nMeasured {datetime.date.today().isoformat()} by `gongkai evaluate classifier "
             f"--write-card` on {results['test_sentences']} hand-labelled sentences from "
             f"{results['test_docs']} documents of agencies that no training step saw.\n\n"
             f"{results_table(results)}\n\nExpected calibration error of the scores on the test split ({ece}).\n")
    card.write_text(text, encoding="utf-8")
    return card
