"""End to end on a tiny scale: pre-train, fine-tune, calibrate, save, load, predict (seconds, not minutes)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gongkai.inference.narrative.classify import HEAD_FILE, LABELS, TFIDF_DIR, BlendClassifier, open_classifier
from gongkai.inference.narrative.sentences import segment
from gongkai.inference.readers import read_bytes
from gongkai.training.classifier import BLEND_WEIGHTS, train_blend
from gongkai.training.metrics import per_label_scores
from gongkai.training.sentence_data import LabelledSentence, load_hand_labels, split_sentences
from gongkai.training.sentence_model import (
    EncoderShape,
    FineTuneSettings,
    PretrainSettings,
    best_threshold,
    build_vocab,
    fine_tune,
    fit_temperature,
    make_tokenizer,
    pretrain,
    save_classifier,
)
from gongkai.training.weak_labels import weak_label

TINY = EncoderShape(layers=1, hidden=32, heads=2, intermediate=64, max_positions=160)


@pytest.fixture(scope="module")
def seed_sentences(seeds_dir: Path) -> list[LabelledSentence]:
    out = []
    for path in sorted(seeds_dir.glob("*.txt"))[:3]:
        text = read_bytes(path.read_bytes(), str(path)).text
        out += [LabelledSentence(path.name, s.span, s.text, s.heading, weak_label(s.text, s.heading))
                for s in segment(text)]
    return out


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, seed_sentences: list[LabelledSentence]) -> Path:
    work = tmp_path_factory.mktemp("tiny")
    texts = [s.text for s in seed_sentences]
    base = pretrain(texts, [], work / "base", TINY, PretrainSettings(steps=3, batch_size=4), progress=lambda _: None)
    train, dev = seed_sentences[::2], seed_sentences[1::2]
    model, tokenizer, head = fine_tune(str(base), train, dev, FineTuneSettings(epochs=2, batch_size=8),
                                       progress=lambda _: None)
    head.meta["quantize"] = False
    return save_classifier(model, tokenizer, head, work / "classifier")


def test_tokenizer_reads_chinese_by_character_and_numbers_by_pieces() -> None:
    tok = make_tokenizer(build_vocab(["加强政务新媒体建设2024年"]))
    pieces = tok.tokenize("加强政务新媒体建设2024年")
    assert pieces[:4] == ["加", "强", "政", "务"]
    assert "[UNK]" not in pieces
    assert tok.tokenize("龘") == ["[UNK]"]


def test_tiny_model_round_trip(tiny_model: Path, seed_sentences: list[LabelledSentence]) -> None:
    assert (tiny_model / "model.safetensors").is_file() and (tiny_model / HEAD_FILE).is_file()
    clf = open_classifier(tiny_model)
    texts = [s.text for s in seed_sentences[:10]]
    first = clf.predict(texts, [s.heading for s in seed_sentences[:10]])
    again = clf.predict(list(reversed(texts)), [s.heading for s in reversed(seed_sentences[:10])])
    for (scores, labels), (scores2, _) in zip(first, reversed(again)):
        assert set(scores) == set(LABELS)
        assert all(0.0 <= v <= 1.0 for v in scores.values())
        assert labels == [lab for lab, th in zip(clf.head.labels, clf.head.thresholds) if scores[lab] >= th]
        # Deterministic, and independent of batch composition and order.
        assert all(math.isclose(scores[k], scores2[k], abs_tol=1e-5) for k in scores)


def test_temperature_recovers_a_known_scale() -> None:
    # Logits twice as confident as the truth: the fitted temperature is near 2.
    import random

    rng = random.Random(3)
    logits, targets = [], []
    for _ in range(4000):
        z = rng.uniform(-4, 4)
        targets.append(int(rng.random() < 1 / (1 + math.exp(-z))))
        logits.append(2 * z)
    assert 1.7 < fit_temperature(logits, targets) < 2.3


def test_threshold_separates_perfectly_separable_scores() -> None:
    t = best_threshold([0.9, 0.8, 0.7, 0.3, 0.2], [1, 1, 1, 0, 0])
    assert 0.3 < t < 0.7
    assert best_threshold([0.4, 0.2], [0, 0]) == 0.5


def test_blend_weight_is_the_best_on_dev_and_reloads_to_the_same_score(tiny_model: Path, seeds_dir: Path,
                                                                         tmp_path: Path) -> None:
    shared = seeds_dir.parent
    out = train_blend(shared, [tiny_model, TFIDF_DIR], tmp_path / "models" / "blend", progress=lambda _: None)
    meta = open_classifier(out).head.meta
    tried = meta["dev_macro_f1_by_weight"]
    assert len(tried) == len(BLEND_WEIGHTS) and meta["dev_macro_f1"] == max(tried.values())
    # Members are recorded relative to the blend's folder, so a copied models folder still works.
    assert not Path(meta["members"][1]["path"]).is_absolute()
    assert (out / meta["members"][1]["path"]).resolve() == TFIDF_DIR.resolve()
    assert sum(m["weight"] for m in meta["members"]) == pytest.approx(1.0)
    # Saved and loaded again (members found by relative path), the blend scores dev as recorded.
    blend = open_classifier(out)
    assert isinstance(blend, BlendClassifier)
    dev = split_sentences(load_hand_labels(shared)).dev
    predicted = blend.predict([s.text for s in dev], [s.heading for s in dev])
    scores = per_label_scores([s.vector() for s in dev], [[int(lab in labels) for lab in LABELS]
                                                           for _, labels in predicted])
    assert scores["macro"]["f1"] == pytest.approx(meta["dev_macro_f1"], abs=1e-4)


def test_blend_records_the_precision_of_its_transformer_member(tiny_model: Path, seeds_dir: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import gongkai.inference.narrative.classify as classify

    monkeypatch.setattr(classify, "bfloat16_supported", lambda: True)  # emulated where the CPU lacks it: slower
    out = train_blend(seeds_dir.parent, [tiny_model, TFIDF_DIR], tmp_path / "blend", progress=lambda _: None,
                      precision="bfloat16")
    members = open_classifier(out).head.meta["members"]
    assert members[0]["precision"] == "bfloat16" and "precision" not in members[1]
