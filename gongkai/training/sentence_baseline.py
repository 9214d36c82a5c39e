"""The scikit-learn classifier: character n-gram TF-IDF and one logistic regression per label.

It reads the same input as the transformer (sentence and heading) and gets its thresholds
and calibration the same way (temperature on the dev split), so the comparison in
``gongkai evaluate classifier`` is between models, not between tuning procedures.
"""

from __future__ import annotations

from collections.abc import Sequence

from gongkai.inference.narrative.classify import LABELS, Head, TfidfClassifier, model_input
from gongkai.training.sentence_data import LabelledSentence
from gongkai.training.sentence_model import fit_head

SENTENCE_NGRAMS = (1, 3)
HEADING_NGRAMS = (2, 4)
C = 4.0


def _pairs(items: Sequence[LabelledSentence]) -> list[tuple[str, str]]:
    return [model_input(s.text, s.heading) for s in items]


def train_baseline(train: Sequence[LabelledSentence], dev: Sequence[LabelledSentence]) -> TfidfClassifier:
    import numpy
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizers = [TfidfVectorizer(analyzer="char", ngram_range=SENTENCE_NGRAMS, min_df=2, sublinear_tf=True),
                   TfidfVectorizer(analyzer="char", ngram_range=HEADING_NGRAMS, min_df=1, sublinear_tf=True)]
    pairs = _pairs(train)
    for k, v in enumerate(vectorizers):
        v.fit([p[k] for p in pairs])
    model = TfidfClassifier(vectorizers, numpy.zeros((len(LABELS), 1)), numpy.zeros(len(LABELS)),
                            Head(LABELS, (1.0,) * len(LABELS), (0.5,) * len(LABELS), {}))
    x = model.features(pairs)
    fits = [LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(x, [s.vector()[j] for s in train])
            for j in range(len(LABELS))]
    model.coef = numpy.vstack([f.coef_[0] for f in fits])
    model.intercept = numpy.array([f.intercept_[0] for f in fits])
    model.head = fit_head(model.logits(_pairs(dev)), [s.vector() for s in dev],
                          {"kind": "tfidf", "model": f"char {SENTENCE_NGRAMS} + heading {HEADING_NGRAMS} TF-IDF, "
                           f"logistic regression C={C} per label"})
    return model

