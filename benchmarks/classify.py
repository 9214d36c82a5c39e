"""Sentence-classifier benchmark: sentences/s on CPU for the shipped models and the TF-IDF baseline.

    python benchmarks/classify.py [--threads 2] [--repeat 3] [--batch-size 64] [--model DIR] [--base DIR]
                                  [--device auto|cpu|cuda] [--only-default]

Sentences are every narrative sentence of the seeds and the real corpus (../shared), repeated
to at least 2,000. Printed per model: sentences/s (best of ``--repeat`` passes; this VM's CPU
speed varies between runs) and the ratio to the baseline measured in the same run. Besides the
default blend (the transformer and TF-IDF averaged), the same blend and the transformer in
bfloat16 (on CPUs with AMX or AVX-512 BF16 only), and the shipped transformer (float32, as
loaded) it times the same transformer with int8 dynamic quantisation (faster, but its scores
depend on the batch: not shipped, see the model card), and ``--base DIR`` times another
classifier folder (e.g. one fine-tuned from the converted multilingual-e5-small) for the
comparison in the model card.

Two rows time the default the two ways a batch can feed it: one report's sentences at a time
(each worker labelling its own reports: short batches, little to sort) and pooled across
reports, ``POOL_SENTENCES`` at a time, as ``gongkai batch``'s runner does
(``gongkai.batch.tagging``); the pooled row's ratio is to the per-report row of the same run.
``--device cuda`` runs the transformers on the GPU (``--only-default`` keeps to those two rows).

Two more rows say how far the 500 sentences/s goal is from reach without retraining: the
same model run by ONNX Runtime (exported in memory; needs ``pip install onnx onnxruntime``,
skipped otherwise), and the model cut to its first half of layers, the speed a student of
half the depth would have (its labels are meaningless: it is timed, not evaluated).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import sys
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gongkai.batch.tagging import POOL_SENTENCES  # noqa: E402
from gongkai.inference.narrative.classify import (  # noqa: E402
    BATCH_SIZE,
    BLEND_BF16_DIR,
    BLEND_DIR,
    DEVICES,
    TFIDF_DIR,
    TRANSFORMER_DIR,
    SentenceClassifier,
    TransformerClassifier,
    bfloat16_supported,
    load_classifier,
    open_classifier,
    resolve_device,
    set_device,
)
from gongkai.inference.narrative.sentences import segment  # noqa: E402
from gongkai.training.sentence_data import (  # noqa: E402
    LabelledSentence,
    document_names,
    document_text,
    shared_dir,
)

MIN_SENTENCES = 2000


def corpus_sentences(shared: Path) -> list[LabelledSentence]:
    out = []
    for doc in document_names(shared):
        out += [LabelledSentence(doc, s.span, s.text, s.heading, ()) for s in segment(document_text(shared, doc))]
    reps = -(-MIN_SENTENCES // max(1, len(out)))
    return out * reps


class OnnxRuntimeClassifier(TransformerClassifier):
    """The shipped model exported to ONNX in memory and run by ONNX Runtime: a second runtime's gain."""

    def __init__(self, directory: str | Path, threads: int) -> None:
        super().__init__(directory)
        import onnxruntime
        import torch

        sample = self.tokenizer(["样例句子"], ["标题"], return_tensors="pt")
        names = list(sample.keys())
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
            torch.onnx.export(self.model, tuple(sample[k] for k in names), buffer, input_names=names,
                              output_names=["logits"], opset_version=17, dynamo=False,
                              dynamic_axes={**{k: {0: "batch", 1: "tokens"} for k in names}, "logits": {0: "batch"}})
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])

    def forward(self, encoding: Any) -> list[list[float]]:
        return self.session.run(None, {k: v.numpy() for k, v in encoding.items()})[0].tolist()


def first_layers(directory: str | Path, share: float = 0.5) -> TransformerClassifier:
    """The model with only its first layers: the speed of a shallower student, not its accuracy."""
    clf = TransformerClassifier(directory)
    layers = clf.model.base_model.encoder.layer
    keep = max(1, round(len(layers) * share))
    clf.model.base_model.encoder.layer = layers[:keep]
    clf.model.config.num_hidden_layers = keep
    return clf


def best_rate(fn, items: list[LabelledSentence], repeat: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(items)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def per_report_vs_pooled(items: list[LabelledSentence], repeat: int) -> None:
    """The default classifier fed one report at a time, then pools of POOL_SENTENCES across reports."""
    clf = load_classifier(None)
    distinct = sorted({(s.doc, s.span): s for s in items}.values(), key=lambda s: (s.doc, s.span))
    reports: dict[str, list[LabelledSentence]] = {}
    for s in distinct:
        reports.setdefault(s.doc, []).append(s)

    def per_report(batch: list[LabelledSentence]) -> None:
        for sentences in reports.values():
            clf.predict([s.text for s in sentences], [s.heading for s in sentences])

    def pooled(batch: list[LabelledSentence]) -> None:
        for k in range(0, len(batch), POOL_SENTENCES):
            pool = batch[k:k + POOL_SENTENCES]
            clf.predict([s.text for s in pool], [s.heading for s in pool])

    per_report(items[:64])  # warm-up
    base = best_rate(per_report, distinct, repeat)
    rate = best_rate(pooled, distinct, repeat)
    mean = len(distinct) / len(reports)
    print(f"{'default, one report at a time':<44} {base:9.0f} sentences/s  ({mean:.0f} sentences a report)")
    print(f"{f'default, pooled {POOL_SENTENCES} across reports':<44} {rate:9.0f} sentences/s  "
          f"({rate / base:.2f}x one report at a time)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="sentences per transformer batch")
    parser.add_argument("--model", default=str(TRANSFORMER_DIR), help="transformer classifier folder")
    parser.add_argument("--baseline", default=str(TFIDF_DIR), help="TF-IDF classifier folder")
    parser.add_argument("--blend", default=str(BLEND_DIR), help="blend classifier folder")
    parser.add_argument("--base", help="another classifier folder to time")
    parser.add_argument("--device", default="auto", choices=DEVICES, help="where the transformers run")
    parser.add_argument("--only-default", action="store_true", help="only the default, per report and pooled")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    set_device(args.device)
    shared = shared_dir()
    items = corpus_sentences(shared)
    chars = sum(len(s.text) for s in items) / len(items)
    print(f"{len(items)} sentences (mean {chars:.0f} characters), {args.threads} threads, "
          f"transformer batches of {args.batch_size}, best of {args.repeat}, device {resolve_device()}")
    per_report_vs_pooled(items, args.repeat)
    if args.only_default:
        return 0

    baseline = open_classifier(args.baseline)

    def run_baseline(batch: list[LabelledSentence]) -> None:
        baseline.predict([s.text for s in batch], [s.heading for s in batch])

    base_rate = best_rate(run_baseline, items, args.repeat)
    print(f"{'TF-IDF + logistic regression (baseline)':<44} {base_rate:9.0f} sentences/s")

    def timed(name: str, clf: SentenceClassifier) -> None:
        for part in (clf, *getattr(clf, "members", ())):  # a blend's transformer batches too
            part.batch_size = args.batch_size  # type: ignore[attr-defined]

        def run(batch: list[LabelledSentence]) -> None:
            clf.predict([s.text for s in batch], [s.heading for s in batch])

        run(items[:64])  # warm-up
        rate = best_rate(run, items, args.repeat)
        print(f"{name:<44} {rate:9.0f} sentences/s  ({rate / base_rate:.2f}x baseline)")

    timed("shipped blend (transformer + TF-IDF), default", open_classifier(args.blend))
    if bfloat16_supported():
        timed("shipped blend, transformer in bfloat16", open_classifier(BLEND_BF16_DIR))
        timed("shipped transformer, bfloat16", TransformerClassifier(args.model, precision="bfloat16"))
    else:
        print(f"{'shipped blend / transformer, bfloat16':<44} skipped: this CPU has no AMX or AVX-512 BF16")
    timed("shipped transformer, float32 (as loaded)", TransformerClassifier(args.model))
    timed("shipped transformer, int8", TransformerClassifier(args.model, quantize=True))
    if importlib.util.find_spec("onnx") and importlib.util.find_spec("onnxruntime"):
        timed("shipped transformer, ONNX Runtime float32", OnnxRuntimeClassifier(args.model, args.threads))
    else:
        print(f"{'shipped transformer, ONNX Runtime float32':<44} skipped: pip install onnx onnxruntime")
    half = first_layers(args.model)
    timed(f"first {half.model.config.num_hidden_layers} layers only (speed, not labels)", half)
    if args.base:
        timed(f"{Path(args.base).name}, int8", TransformerClassifier(args.base, quantize=True))
        timed(f"{Path(args.base).name}, float32", TransformerClassifier(args.base, quantize=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
