"""The shipped sentence classifier: loads offline, tags the seeds' sentences, scores behave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import gongkai
from gongkai.inference.narrative.classify import (
    BLEND_BF16_DIR,
    BLEND_DIR,
    DEFAULT_MODEL_DIR,
    HEAD_FILE,
    LABELS,
    TFIDF_DIR,
    TRANSFORMER_DIR,
    BlendClassifier,
    Head,
    TfidfClassifier,
    TransformerClassifier,
    bfloat16_supported,
    load_classifier,
    member_log_odds,
    model_input,
    open_classifier,
    sigmoid,
)

MAX_MODEL_BYTES = 30 * 1024 * 1024


@pytest.mark.parametrize("folder", [TRANSFORMER_DIR, TFIDF_DIR])
def test_shipped_models_are_small_safetensors_with_cards(folder: Path) -> None:
    files = {p.name for p in folder.iterdir()}
    assert {HEAD_FILE, "MODEL_CARD.md", "evaluation.json"} <= files
    assert any(name.endswith(".safetensors") for name in files)
    assert sum(p.stat().st_size for p in folder.iterdir()) <= MAX_MODEL_BYTES
    head = Head.load(folder / HEAD_FILE)
    assert head.labels == LABELS
    assert all(0.0 < t < 1.0 for t in head.thresholds) and all(t > 0 for t in head.temperatures)


def test_transformer_folder_has_tokenizer_and_config() -> None:
    files = {p.name for p in TRANSFORMER_DIR.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= files
    assert isinstance(open_classifier(TRANSFORMER_DIR), TransformerClassifier)
    assert isinstance(open_classifier(TFIDF_DIR), TfidfClassifier)


def test_default_is_the_shipped_model_best_on_dev_and_reported_on_test() -> None:
    """The default is chosen on dev (the test split never chooses) and its card holds its test figures."""
    fast, exact = Head.load(BLEND_BF16_DIR / HEAD_FILE).meta, Head.load(BLEND_DIR / HEAD_FILE).meta
    # Weight 0.0 is the transformer alone, 1.0 TF-IDF alone (each recalibrated on dev).
    for blend in (fast, exact):
        by_weight = blend["dev_macro_f1_by_weight"]
        assert blend["dev_macro_f1"] == max(by_weight.values()) > max(by_weight["0.0"], by_weight["1.0"])
    assert exact["dev_macro_f1_by_weight"]["0.0"] == Head.load(TRANSFORMER_DIR / HEAD_FILE).meta["dev_macro_f1"]
    # The bfloat16 blend is the default because it ties the float32 one on dev and is faster.
    assert fast["dev_macro_f1"] >= exact["dev_macro_f1"] and DEFAULT_MODEL_DIR == BLEND_BF16_DIR
    results = json.loads((DEFAULT_MODEL_DIR / "evaluation.json").read_text(encoding="utf-8"))
    assert {"baseline", "transformer", "blend", "blend-bf16"} <= set(results["models"])
    # The rule: the default is not below the scikit-learn baseline on the held-out split.
    assert results["blend-bf16"]["macro"]["f1"] >= results["baseline"]["macro"]["f1"]


def test_shipped_blend_averages_the_shipped_transformer_and_tfidf() -> None:
    files = {p.name for p in BLEND_DIR.iterdir()}
    assert {HEAD_FILE, "MODEL_CARD.md", "evaluation.json"} <= files
    assert not any(name.endswith(".safetensors") for name in files)  # no second copy of any weights
    blend = open_classifier(BLEND_DIR)
    assert isinstance(blend, BlendClassifier) and load_classifier() is load_classifier("blend-bf16")
    assert blend.members == [load_classifier("transformer"), load_classifier("tfidf")]  # shared, loaded once
    assert sum(blend.weights) == pytest.approx(1.0) and all(w > 0 for w in blend.weights)
    assert blend.head.labels == LABELS and all(0.0 < t < 1.0 for t in blend.head.thresholds)


def test_blend_logits_are_the_weighted_calibrated_log_odds_of_its_members() -> None:
    transformer, tfidf = load_classifier("transformer"), load_classifier("tfidf")
    pairs = [model_input("加强政务新媒体建设，丰富政策解读形式。", "改进措施"), model_input("全年召开培训会1次。", "")]
    head = Head(LABELS, (1.0,) * 4, (0.5,) * 4, {})
    blended = BlendClassifier([transformer, tfidf], (0.7, 0.3), head).logits(pairs)
    zt, zf, raw = member_log_odds(transformer, pairs), member_log_odds(tfidf, pairs), transformer.logits(pairs)
    for i in range(len(pairs)):
        for j, t in enumerate(transformer.head.temperatures):
            assert zt[i][j] == pytest.approx(raw[i][j] / t)
            assert blended[i][j] == pytest.approx(0.7 * zt[i][j] + 0.3 * zf[i][j])
    # With all weight on one member and that member's head, the blend scores exactly as the member does.
    alone = BlendClassifier([tfidf], (1.0,), Head(LABELS, (1.0,) * 4, tfidf.head.thresholds, {}))
    texts, headings = [p[0] for p in pairs], [p[1] for p in pairs]
    for (a, la), (b, lb) in zip(alone.predict(texts, headings), tfidf.predict(texts, headings)):
        assert la == lb and all(a[k] == pytest.approx(b[k]) for k in LABELS)


def test_blend_with_a_missing_member_is_a_clear_error(tmp_path: Path) -> None:
    Head(LABELS, (1.0,) * 4, (0.5,) * 4, {"kind": "blend", "members": [
        {"path": "../gone", "weight": 1.0}]}).save(tmp_path / HEAD_FILE)
    with pytest.raises(FileNotFoundError, match="blend member"):
        open_classifier(tmp_path)


def test_tfidf_round_trip_keeps_scores(tmp_path: Path) -> None:
    shipped = open_classifier(TFIDF_DIR)
    assert isinstance(shipped, TfidfClassifier)
    copy = TfidfClassifier.load(shipped.save(tmp_path / "copy"))
    texts = ["加强政务新媒体建设，丰富政策解读形式。", "全年召开政务公开工作培训会1次。"]
    assert copy.predict(texts, ["改进措施", None]) == shipped.predict(texts, ["改进措施", None])


def test_head_turns_logits_into_calibrated_scores_and_labels() -> None:
    head = Head(LABELS, (2.0, 1.0, 1.0, 1.0), (0.5, 0.9, 0.5, 0.5), {})
    scores = head.scores([2.0, 2.0, -1.0, 0.0])
    assert scores["problem"] == pytest.approx(sigmoid(1.0))
    assert head.decide(scores) == ["problem", "supervision"]  # measure 0.88 < 0.9; supervision 0.5 ≥ 0.5


def test_seed_sentences_are_tagged_offline(seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    report = gongkai.extract(seeds_dir / "000_311298fcf36e9c33.txt")
    assert len(report.sentences) >= 15
    head = load_classifier().head
    for s in report.sentences:
        assert set(s["scores"]) == set(LABELS)
        assert all(0.0 <= v <= 1.0 for v in s["scores"].values())
        assert s["labels"] == [lab for lab, th in zip(head.labels, head.thresholds) if s["scores"][lab] >= th]
    by_section = {}
    for s in report.sentences:
        by_section.setdefault(s["section"], []).append(s)
    # The shortcoming section yields a problem, the remedies a measure, the platform section a platform.
    assert any("problem" in s["labels"] for s in by_section["五（一）"])
    assert any("measure" in s["labels"] for s in by_section["五（二）"])
    assert any("platform" in s["labels"] for s in by_section["一（四）"])
    # A period-of-statistics sentence carries no label.
    period = next(s for s in report.sentences if "统计期限" in s["text"])
    assert period["labels"] == []


def test_scores_are_deterministic_and_serialisable(seeds_dir: Path) -> None:
    a = gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt")
    b = gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt")
    assert a.sentences == b.sentences
    data = json.loads(a.to_json())
    assert data["sentences"][0]["scores"].keys() == set(LABELS)


def test_classify_false_keeps_unscored_sentences(seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt", classify=False)
    assert report.sentences and all(s["scores"] is None and s["labels"] == [] for s in report.sentences)


def test_missing_classifier_is_a_warning_not_a_crash(seeds_dir: Path, tmp_path: Path) -> None:
    report = gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt", classifier=str(tmp_path))
    assert any("sentences not classified" in w for w in report.warnings)
    assert report.requests.new_received.total.value is not None


def test_sentences_false_skips_segmentation(seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt", checks=False, sentences=False)
    assert report.sentences == [] and report.requests.new_received.total.value is not None


def test_empty_input_to_classifiers_is_an_empty_result() -> None:
    for folder in (TFIDF_DIR, TRANSFORMER_DIR, BLEND_DIR):
        assert open_classifier(folder).predict([], []) == []


def test_shipped_classifiers_can_be_named() -> None:
    assert isinstance(load_classifier("blend"), BlendClassifier)
    assert isinstance(load_classifier("blend-bf16"), BlendClassifier)
    assert isinstance(load_classifier("tfidf"), TfidfClassifier)
    assert isinstance(load_classifier("transformer"), TransformerClassifier)
    assert load_classifier("transformer") is load_classifier("transformer")  # loaded once per process


def test_half_precision_weights_compute_in_float32() -> None:
    """Weights ship as float16 to stay under 30 MB; CPU inference must not run in float16."""
    from safetensors import safe_open

    with safe_open(str(TRANSFORMER_DIR / "model.safetensors"), framework="pt") as f:
        assert {str(f.get_slice(k).get_dtype()) for k in f.keys()} == {"F16"}
    model = open_classifier(TRANSFORMER_DIR).model
    assert {p.dtype for p in model.parameters()} == {__import__("torch").float32}


def test_batching_and_padding_do_not_change_scores(seeds_dir: Path) -> None:
    """Sentences are batched by length and padded; a sentence's logits must not depend on its batch mates."""
    from gongkai.inference.narrative.sentences import segment

    sentences = segment((seeds_dir / "003_015671194d5bc82a.txt").read_text(encoding="utf-8"))[:40]
    pairs = [model_input(s.text, s.heading) for s in sentences]
    clf = load_classifier("transformer")  # the process's cached model: logits() leaves it unchanged
    assert isinstance(clf, TransformerClassifier)
    alone = clf.logits(pairs, batch_size=1)
    batched = clf.logits(pairs, batch_size=16)
    assert len({len(t) + len(h) for t, h in pairs}) > 5  # batches really mix lengths, so padding happens
    assert max(abs(a - b) for x, y in zip(alone, batched) for a, b in zip(x, y)) < 1e-4


def test_bfloat16_falls_back_to_float32_with_a_warning_where_the_cpu_lacks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    import gongkai.inference.narrative.classify as classify

    monkeypatch.setattr(classify, "bfloat16_supported", lambda: False)
    with pytest.warns(RuntimeWarning, match="no native bfloat16"):
        clf = TransformerClassifier(TRANSFORMER_DIR, precision="bfloat16")
    assert clf.precision == "float32" and {p.dtype for p in clf.model.parameters()} == {torch.float32}
    with pytest.raises(ValueError, match="unknown precision"):
        TransformerClassifier(TRANSFORMER_DIR, precision="float8")


def test_shipped_bfloat16_blend_differs_from_the_default_only_in_precision() -> None:
    fast, default = Head.load(BLEND_BF16_DIR / HEAD_FILE).meta, Head.load(BLEND_DIR / HEAD_FILE).meta
    assert fast["members"][0] == {**default["members"][0], "precision": "bfloat16"}
    assert fast["members"][1] == default["members"][1]  # TF-IDF has no precision to set
    assert (BLEND_BF16_DIR / "MODEL_CARD.md").is_file() and (BLEND_BF16_DIR / "evaluation.json").is_file()


@pytest.mark.skipif(not bfloat16_supported(), reason="this CPU has no AMX or AVX-512 BF16: bfloat16 runs in float32")
def test_bfloat16_blend_scores_stay_close_to_float32(seeds_dir: Path) -> None:
    """bfloat16 rounds differently per batch shape: scores move by hundredths, labels (almost) never."""
    from gongkai.inference.narrative.sentences import segment

    sentences = segment((seeds_dir / "002_20e49bc070485a7c.txt").read_text(encoding="utf-8"))
    texts, headings = [s.text for s in sentences], [s.heading for s in sentences]
    fast = load_classifier("blend-bf16")
    assert fast.members[0].precision == "bfloat16"  # type: ignore[attr-defined]
    assert fast.members[0] is not load_classifier("transformer")  # a float32 caller keeps its own model
    a, b = fast.predict(texts, headings), load_classifier("blend").predict(texts, headings)
    assert max(abs(x[k] - y[k]) for (x, _), (y, _) in zip(a, b) for k in LABELS) < 0.05
    assert sum(la != lb for (_, la), (_, lb) in zip(a, b)) <= 1


def test_the_device_is_chosen_once_and_cuda_without_a_gpu_is_refused_with_the_reason(
        capsys: pytest.CaptureFixture[str]) -> None:
    from gongkai.cli import main
    from gongkai.inference.narrative import classify

    try:
        with pytest.raises(ValueError, match="unknown device"):
            classify.set_device("tpu")
        classify.set_device("cpu")
        assert classify.resolve_device() == "cpu"
        assert classify.load_classifier("transformer").device == "cpu"  # type: ignore[attr-defined]
        if classify.cuda_available():
            pytest.skip("this machine has a CUDA GPU: the refusal below is for machines without one")
        classify.set_device("auto")
        assert classify.resolve_device() == "cpu"
        with pytest.raises(ValueError, match="no CUDA GPU"):
            classify.set_device("cuda")
        assert main(["extract", "--device", "cuda", "--no-classify", "report.txt"]) == 2  # before any file
        assert "no CUDA GPU" in capsys.readouterr().err
    finally:
        classify.set_device("auto")


def test_inference_tfidf_features_equal_scikit_learns(seeds_dir: Path) -> None:
    """CharTfidf stands in for TfidfVectorizer at inference: the same features, so the same scores."""
    import numpy
    from sklearn.feature_extraction.text import TfidfVectorizer

    from gongkai.inference.narrative.sentences import segment

    clf = TfidfClassifier.load(TFIDF_DIR)
    texts = [s.text for p in sorted(seeds_dir.glob("*.txt"))[:3] for s in segment(p.read_text(encoding="utf-8"))]
    texts += ["", "a", "AB  c\t\n d", "表三  一、本年新收\u3000 95 件", "ÄÖ 全角ＡＢＣ"]
    for ours in clf.vectorizers:
        theirs = TfidfVectorizer(analyzer="char", ngram_range=ours.ngram_range, sublinear_tf=True,
                                 vocabulary=ours.vocabulary_)
        theirs.idf_ = ours.idf_
        assert numpy.allclose(ours.transform(texts).toarray(), theirs.transform(texts).toarray(), rtol=0, atol=1e-12)


def test_the_tfidf_model_runs_without_importing_scikit_learn() -> None:
    """scikit-learn's import costs a process ~130 MB: the batch runner and every worker would pay it."""
    import subprocess
    import sys

    code = ("import sys; from gongkai.inference.narrative.classify import TFIDF_DIR, open_classifier; "
            "print(open_classifier(TFIDF_DIR).predict(['本机关加强政府信息公开平台建设'], [None])[0][1]); "
            "print('sklearn' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "False"
