"""``gongkai label audit``: the stored labels most likely wrong, as a review round.

Confident learning, per label: out-of-fold probabilities from a model that never saw the
sentence (folds by document, so that an agency's repeated wording cannot vouch for itself);
a label is suspect when the probability of the other answer reaches the average probability
that sentences truly of that other answer get (the per-class threshold of confident
learning). Suspects are ranked by how little probability their stored answer keeps. Written
here from the method's description; cleanlab, which implements it, is AGPL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gongkai.annotations.labelstudio import prediction_result, task_of, write_round
from gongkai.annotations.pool import Candidate
from gongkai.inference.narrative.classify import LABELS, model_input
from gongkai.training.sentence_data import (
    LABELS_FILE,
    SYNTHETIC_FILE,
    LabelledSentence,
    document_sentences,
    in_shared,
    is_test_doc,
    load_hand_labels,
    load_split,
    load_synthetic,
)

FOLDS = 5


@dataclass
class Suspect:
    sentence: LabelledSentence
    probabilities: dict[str, float]  # out-of-fold probability of each label
    flagged: tuple[str, ...]  # labels whose stored answer is suspect
    severity: float  # 1 - the probability the stored answer keeps, at the most suspect label


def out_of_fold(items: Sequence[LabelledSentence], extra: Sequence[LabelledSentence] = (), folds: int = FOLDS,
                seed: int = 0) -> list[list[float]]:
    """P(label) for each item from a TF-IDF model trained on the other folds (grouped by document) + ``extra``."""
    import numpy
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    pairs = [model_input(s.text, s.heading) for s in items]
    extra_pairs = [model_input(s.text, s.heading) for s in extra]
    y = numpy.array([s.vector() for s in items])
    y_extra = numpy.array([s.vector() for s in extra]).reshape(len(extra), len(LABELS))
    out = numpy.zeros((len(items), len(LABELS)))
    groups = [s.doc for s in items]
    splitter = GroupKFold(n_splits=min(folds, len(set(groups))), shuffle=True, random_state=seed)
    for train_idx, held_idx in splitter.split(pairs, groups=groups):
        fit_pairs = [pairs[i] for i in train_idx] + extra_pairs
        vecs = [TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True),
                TfidfVectorizer(analyzer="char", ngram_range=(2, 4), sublinear_tf=True)]
        x_fit = hstack([v.fit_transform([p[k] for p in fit_pairs]) for k, v in enumerate(vecs)]).tocsr()
        x_held = hstack([v.transform([pairs[i][k] for i in held_idx]) for k, v in enumerate(vecs)]).tocsr()
        y_fit = numpy.vstack([y[train_idx], y_extra]) if len(extra) else y[train_idx]
        for j in range(len(LABELS)):
            if len(set(y_fit[:, j])) < 2:
                out[held_idx, j] = y_fit[:, j].mean()
                continue
            model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000).fit(x_fit, y_fit[:, j])
            out[held_idx, j] = model.predict_proba(x_held)[:, 1]
    return out.tolist()


def find_suspects(items: Sequence[LabelledSentence], probabilities: Sequence[Sequence[float]]) -> list[Suspect]:
    """Confident-learning suspects, most suspect first."""
    suspects = []
    thresholds = []
    for j in range(len(LABELS)):
        pos = [p[j] for p, s in zip(probabilities, items) if s.vector()[j]]
        neg = [1 - p[j] for p, s in zip(probabilities, items) if not s.vector()[j]]
        thresholds.append((sum(pos) / len(pos) if pos else 1.0, sum(neg) / len(neg) if neg else 1.0))
    for s, p in zip(items, probabilities):
        flagged, worst = [], 0.0
        for j, lab in enumerate(LABELS):
            t_pos, t_neg = thresholds[j]
            given = s.vector()[j]
            other = (1 - p[j]) if given else p[j]  # probability of the answer not stored
            if other >= (t_neg if given else t_pos):
                flagged.append(lab)
                worst = max(worst, other)
        if flagged:
            suspects.append(Suspect(s, dict(zip(LABELS, map(float, p))), tuple(flagged), worst))
    return sorted(suspects, key=lambda x: (-x.severity, x.sentence.doc, x.sentence.span))


def audit(shared: Path, labels: Path = LABELS_FILE, seed: int = 0) -> list[Suspect]:
    """Suspects among the hand labels outside the frozen test split (which no review changes)."""
    split = load_split()
    items = [s for s in load_hand_labels(shared, labels, missing=[]) if not is_test_doc(s.doc, split)]
    return find_suspects(items, out_of_fold(items, load_synthetic(SYNTHETIC_FILE), seed=seed))


def _candidate(shared: Path, s: LabelledSentence) -> Candidate:
    before = after = ""
    if in_shared(shared, s.doc):
        sentences = document_sentences(shared, s.doc)
        starts = [x.span[0] for x in sentences]
        if s.span[0] in starts:
            k = starts.index(s.span[0])
            before = sentences[k - 1].text if k else ""
            after = sentences[k + 1].text if k + 1 < len(sentences) else ""
    return Candidate(s.doc, "", s.span, s.text, s.heading, before, after)


def write_audit_round(shared: Path, suspects: Sequence[Suspect], out: Path, round_no: int) -> tuple[Path, Path]:
    """A review round: the stored labels pre-ticked (what the reviewer confirms or changes), the model's view second."""
    tasks = []
    for x in suspects:
        task = task_of(_candidate(shared, x.sentence), x.sentence.labels, "stored", x.severity, round_no, "audit")
        task["data"].update(stored_annotator=x.sentence.annotator, suspect_labels=list(x.flagged))
        model_labels = [lab for lab in LABELS if x.probabilities[lab] >= 0.5]
        task["predictions"].append({"model_version": "audit-out-of-fold-tfidf", "score": round(x.severity, 4),
                                    "result": prediction_result(model_labels)})
        tasks.append(task)
    return write_round(out, tasks)
