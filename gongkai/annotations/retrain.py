"""``gongkai label retrain`` and ``gongkai label report``: models from all labels so far, and what each round bought.

Retraining refits the TF-IDF classifier, fine-tunes the transformer from the shipped one (a
warm start: a few epochs, minutes on two cores, not the hours of the first training), refits
the blend and every threshold on dev, and scores all three on the frozen test split. Each
run writes a new model folder (the shipped default is replaced only with ``install=True``)
and appends one line to the history beside the label file, which ``report`` turns into the
learning curve.
"""

from __future__ import annotations

import datetime
import json
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gongkai.inference.narrative.classify import (
    BLEND_BF16_DIR,
    BLEND_DIR,
    LABELS,
    TFIDF_DIR,
    TRANSFORMER_DIR,
    open_classifier,
)
from gongkai.training.sentence_data import (
    LABELS_FILE,
    SYNTHETIC_FILE,
    LabelledSentence,
    latest_lines,
)

KINDS = ("tfidf", "transformer", "blend")
MEMBER_DIRS = {"tfidf": "sentence-tfidf", "transformer": "sentence-transformer", "blend": "sentence-blend"}
# Warm start: the shipped transformer has converged on the old labels; a few epochs at a small rate
# teach it the new ones without forgetting (measured in the model card's loop section).
WARM_EPOCHS = 3
WARM_LEARNING_RATE = 5e-5


def history_file(labels: Path) -> Path:
    return labels.with_name(labels.stem + ".history.jsonl")


@dataclass
class RetrainOptions:
    shared: Path
    out: Path
    labels: Path = LABELS_FILE
    documents: Path | None = None
    kinds: Sequence[str] = KINDS
    epochs: int = WARM_EPOCHS
    learning_rate: float = WARM_LEARNING_RATE
    base: Path = TRANSFORMER_DIR
    install: bool = False
    seed: int = 13
    weak: bool = True  # weak labels for corpus sentences nobody labelled, as the shipped models had
    synthetic: Path | None = SYNTHETIC_FILE  # the team's written sentences (None: hand labels only)


def _test_scores(folder: Path, test: Sequence[LabelledSentence]) -> dict[str, Any]:
    from gongkai.training.metrics import per_label_scores

    predicted = open_classifier(folder).predict([s.text for s in test], [s.heading for s in test])
    return per_label_scores([s.vector() for s in test], [[int(lab in labs) for lab in LABELS] for _, labs in predicted])


def label_counts(labels: Path) -> dict[str, Any]:
    """How many hand labels the store holds, by round and by label."""
    lines = latest_lines(labels)
    rounds = Counter(int(ln.get("round") or 0) for ln in lines)
    return {"sentences": len(lines), "by_round": dict(sorted(rounds.items())),
            "by_label": {lab: sum(lab in ln["labels"] for ln in lines) for lab in LABELS}}


def _card(folder: Path, kind: str, options: RetrainOptions, counts: dict[str, Any], scores: dict[str, Any],
          missing: Sequence[str]) -> None:
    rows = "\n".join(f"| {lab} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {int(r['support'])} |"
                     for lab, r in ((lab, scores[lab]) for lab in (*LABELS, "macro")))
    warm = (f"fine-tuned from `{options.base}` for {options.epochs} epochs at learning rate {options.learning_rate}"
            if kind == "transformer" else "refitted from scratch" if kind == "tfidf"
            else "weights, calibration and thresholds refitted on dev")
    text = (f"# gongkai sentence classifier — {kind}, retrained by the labeling loop\n\n"
            f"Made {datetime.date.today().isoformat()} by `gongkai label retrain` from `{options.labels}` "
            f"({counts['sentences']} hand-labelled sentences; by round {counts['by_round']}), plus the weak and "
            f"written sentences the shipped models train on; {warm}.\n"
            + (f"\n{len(missing)} labelled sentences were left out: their reports were not found "
               f"(e.g. {missing[0]}).\n" if missing else "")
            + "\n## Frozen test split\n\n| label | precision | recall | F1 | support |\n|---|---|---|---|---|\n"
            + rows + "\n")
    (folder / "MODEL_CARD.md").write_text(text, encoding="utf-8")
    (folder / "evaluation.json").write_text(json.dumps({"test": scores, "labels": counts}, indent=1) + "\n",
                                            encoding="utf-8")


def retrain(options: RetrainOptions, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Train the asked kinds into ``options.out``; returns (and appends to the history) the test scores."""
    from gongkai.training.classifier import train_blend, training_data
    from gongkai.training.sentence_baseline import train_baseline
    from gongkai.training.sentence_model import FineTuneSettings, fine_tune, save_classifier

    unknown = set(options.kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; expected some of {KINDS}")
    missing: list[str] = []
    splits = training_data(options.shared, options.labels, weak=options.weak, synthetic=options.synthetic,
                           documents=options.documents, missing=missing)
    if missing:
        progress(f"warning: {len(missing)} labelled sentences left out, their reports were not found "
                 f"(e.g. {missing[0]}); pass --documents DIR")
    counts = label_counts(options.labels)
    progress(f"{counts['sentences']} hand labels (by round {counts['by_round']}); train {len(splits.train)} "
             f"sentences with weak and written ones, dev {len(splits.dev)}, frozen test {len(splits.test)}")
    out = options.out
    folders = {kind: out / MEMBER_DIRS[kind] for kind in KINDS}
    if "tfidf" in options.kinds:
        progress("TF-IDF: fitting")
        train_baseline(splits.train, splits.dev).save(folders["tfidf"])
    if "transformer" in options.kinds:
        progress(f"transformer: warm start from {options.base}, {options.epochs} epochs")
        settings = FineTuneSettings(epochs=options.epochs, learning_rate=options.learning_rate, warmup_share=0.0,
                                    seed=options.seed)
        model, tokenizer, head = fine_tune(options.base, splits.train, splits.dev, settings, progress)
        head.meta.update({"kind": "transformer", "warm_start": str(options.base), "fine_tuning": asdict(settings),
                          "quantize": False, "trained": datetime.date.today().isoformat()})
        save_classifier(model, tokenizer, head, folders["transformer"])
    if "blend" in options.kinds:
        members = [folders[k] if k in options.kinds else default for k, default in
                   (("transformer", TRANSFORMER_DIR), ("tfidf", TFIDF_DIR))]
        train_blend(options.shared, members, folders["blend"], options.labels, progress, dev=splits.dev)
    scores = {}
    for kind in options.kinds:
        scores[kind] = _test_scores(folders[kind], splits.test)
        _card(folders[kind], kind, options, counts, scores[kind], missing)
        progress(f"{kind}: test macro-F1 {scores[kind]['macro']['f1']:.3f}")
    entry = {"trained": datetime.datetime.now().isoformat(timespec="seconds"), "out": str(out),
             "round": max(counts["by_round"], default=0), "labels": counts, "test_sentences": len(splits.test),
             "test": {k: {lab: round(v[lab]["f1"], 4) for lab in (*LABELS, "macro")} for k, v in scores.items()},
             "left_out": len(missing), "installed": options.install}
    with open(history_file(options.labels), "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    if options.install:
        install(out, options, progress)
    return entry


def install(out: Path, options: RetrainOptions, progress: Callable[[str], None] = print) -> None:
    """Make the retrained members the shipped ones and refit both shipped blends on them."""
    from gongkai.training.classifier import train_blend

    for kind, shipped in (("tfidf", TFIDF_DIR), ("transformer", TRANSFORMER_DIR)):
        if kind in options.kinds:
            shutil.rmtree(shipped)
            shutil.copytree(out / MEMBER_DIRS[kind], shipped)
    for blend, precision in ((BLEND_DIR, None), (BLEND_BF16_DIR, "bfloat16")):
        train_blend(options.shared, (TRANSFORMER_DIR, TFIDF_DIR), blend, options.labels, progress, precision)
    progress(f"installed as the shipped default in {TRANSFORMER_DIR.parent}")


# --- report ---------------------------------------------------------------------------------------


def shipped_entry() -> dict[str, Any] | None:
    """The shipped models' own test figures (round 0 of every curve), from their evaluation.json."""
    path = BLEND_BF16_DIR / "evaluation.json"
    if not path.is_file():
        return None
    results = json.loads(path.read_text(encoding="utf-8"))
    test = {kind: {lab: round(results[name][lab]["f1"], 4) for lab in (*LABELS, "macro")}
            for kind, name in (("tfidf", "baseline"), ("transformer", "transformer"), ("blend", "blend-bf16"))
            if name in results}
    return {"trained": "shipped", "out": str(BLEND_BF16_DIR.parent), "round": 0, "labels": {"sentences": None},
            "test_sentences": results.get("test_sentences"), "test": test}


def learning_curve(labels: Path) -> list[dict[str, Any]]:
    path = history_file(labels)
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if path.is_file() else []
    first = shipped_entry()
    return ([first] if first else []) + entries


def report_markdown(entries: Sequence[dict[str, Any]]) -> str:
    lines = ["| run | round | hand labels | model | " + " | ".join(LABELS) + " | macro-F1 |",
             "|---|---|---|---|" + "---|" * (len(LABELS) + 1)]
    for n, e in enumerate(entries):
        for kind, f1 in e["test"].items():
            used = e["labels"].get("sentences")
            lines.append(f"| {n} ({e['trained'][:10]}) | {e['round']} | {used if used is not None else 'shipped'} | "
                         f"{kind} | " + " | ".join(f"{f1[lab]:.3f}" for lab in LABELS) + f" | {f1['macro']:.3f} |")
    return "\n".join(lines)


def write_report(labels: Path, out_dir: Path) -> tuple[str, Path, Path]:
    """The learning curve as Markdown (printed and written) and JSON."""
    entries = learning_curve(labels)
    if len(entries) <= 1:
        note = "\n\nNo retraining recorded yet: run `gongkai label retrain` after an import."
    else:
        note = ""
    text = ("# Labeling loop: frozen test split, round by round\n\nF1 per label on the frozen test split; run 0 is "
            "the shipped model.\n\n" + report_markdown(entries) + note + "\n")
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "labeling-report.md", out_dir / "labeling-report.json"
    md.write_text(text, encoding="utf-8")
    js.write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return text, md, js
