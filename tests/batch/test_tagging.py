"""The runner's one classifier (gongkai.batch.tagging): pooled, sorted and cached, the plain path's labels."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import gongkai
from gongkai.batch import Options, run_batch
from gongkai.batch.store import iter_jsonl
from gongkai.batch.tagging import ScoreCache, TaggingStats, tag_reports
from tests.conftest import shared_path

# Seeds and real reports of several kinds (text, Markdown, HTML): their sentences pooled together.
DOCS = [("seeds", "000_311298fcf36e9c33.txt"), ("seeds", "002_20e49bc070485a7c.txt"),
        ("seeds", "004_76d1d7d14147d7ef.txt"), ("corpus", "real", "r005.md"), ("corpus", "real", "r002.html"),
        ("corpus", "real", "r031.txt")]


def paths() -> list[Path]:
    return [shared_path(*d) for d in DOCS]


def labels_of(report: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(s["text"], s["labels"]) for s in report["sentences"]]


def max_score_gap(a: dict[str, Any], b: dict[str, Any]) -> float:
    return max((abs(x["scores"][k] - y["scores"][k]) for x, y in zip(a["sentences"], b["sentences"])
                for k in x["scores"]), default=0.0)


@pytest.fixture(scope="module")
def unscored() -> list[dict[str, Any]]:
    return [gongkai.extract(p, classify=False).to_dict(include_text=False) for p in paths()]


@pytest.mark.parametrize("classifier, tolerance", [("blend", 1e-3), (None, 0.06)])
def test_pooled_sorted_cached_labels_equal_the_plain_path(unscored: list[dict[str, Any]], classifier: str | None,
                                                          tolerance: float) -> None:
    """float32 (``blend``): the same scores to rounding; the bfloat16 default: scores within bfloat16's
    batch-to-batch rounding (the model card's 0.047 on dev logits), the same labels."""
    plain = [gongkai.extract(p, classifier=classifier).to_dict(include_text=False) for p in paths()]
    pooled = json.loads(json.dumps(unscored))
    stats = TaggingStats()
    tag_reports(pooled, classifier, ScoreCache(), stats)
    assert stats.sentences == sum(len(r["sentences"]) for r in plain) > 150
    for a, b in zip(plain, pooled):
        assert labels_of(a) == labels_of(b), a["source"]["path"]
        assert max_score_gap(a, b) <= tolerance
        assert a["warnings"] == b["warnings"]


def test_repeats_are_scored_once_and_get_the_same_scores(unscored: list[dict[str, Any]]) -> None:
    cache, stats = ScoreCache(), TaggingStats()
    first = json.loads(json.dumps(unscored))
    tag_reports(first, "tfidf", cache, stats)
    assert stats.cached == stats.sentences - stats.scored  # repeats inside the pool only
    scored_once, seen = stats.scored, stats.sentences
    again = json.loads(json.dumps(unscored))
    tag_reports(again, "tfidf", cache, stats)
    assert stats.scored == scored_once and stats.cached == 2 * seen - scored_once  # the model ran on none
    assert again == first
    small = ScoreCache(size=3)
    tag_reports(json.loads(json.dumps(unscored[:1])), "tfidf", small)
    assert len(small._items) == 3  # bounded: the least recently used go first


def test_a_classifier_that_cannot_load_leaves_sentences_unscored_with_a_warning(unscored: list[dict[str, Any]],
                                                                                 tmp_path: Path) -> None:
    reports = json.loads(json.dumps(unscored[:2]))
    tag_reports(reports, str(tmp_path / "no-such-model"))
    for r in reports:
        assert r["sentences"] and all(s["scores"] is None and s["labels"] == [] for s in r["sentences"])
        assert any("sentences not classified" in w for w in r["warnings"])


def test_a_batch_labels_as_its_workers_did(tmp_path: Path) -> None:
    """The runner's classifier (default) and one model per worker (the way before): the same labels."""
    folder = tmp_path / "in"
    folder.mkdir()
    for p in paths():
        shutil.copy(p, folder / p.name)
    runs = {}
    for pooled in (True, False):
        out = tmp_path / f"out-{pooled}"
        result = run_batch([folder], out, workers=2, options=Options(classifier="blend", pooled=pooled),
                           progress=False)
        assert result.counts == {"report": len(DOCS)}
        assert (result.tagging is not None) is pooled
        runs[pooled] = {r["source"]["path"]: r for r in iter_jsonl(out / "reports.jsonl")}
    assert runs[True].keys() == runs[False].keys()
    for name, report in runs[True].items():
        assert labels_of(report) == labels_of(runs[False][name])
        assert max_score_gap(report, runs[False][name]) <= 1e-3


def test_the_runner_stops_taking_reports_while_the_classifier_is_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """Extraction outruns the model: at most MAX_WAITING reports wait (unbounded, 2,000 reports' JSON
    filled 1.5 GB), put() waits instead, and every report put comes out labelled, in order of arrival."""
    import threading

    from gongkai.batch import tagging
    from gongkai.batch.worker import REPORT, Record

    release = threading.Event()

    def slow(texts: list[str], headings: list[Any], classifier: Any) -> tuple[Any, list[str]]:
        release.wait()
        return [({"problem": 0.9}, ["problem"]) for _ in texts], []

    monkeypatch.setattr(tagging, "predict_with_fallback", slow)
    tagger = tagging.Tagger("any", pool_sentences=1)
    total = tagging.MAX_WAITING + 10
    put = []

    def feed() -> None:
        for k in range(total):
            sentence = {"text": f"第{k}句。", "heading": None, "scores": None, "labels": []}
            body = {"sentences": [sentence], "warnings": []}
            tagger.put(Record(f"r{k}", f"{k:064d}", REPORT, report_json=json.dumps(body, ensure_ascii=False)))
            put.append(k)

    feeder = threading.Thread(target=feed)
    feeder.start()
    while not tagger._in.full():  # the model holds the first report; the queue fills behind it
        assert feeder.is_alive()
    assert len(put) < total  # the feeder waits: nothing beyond MAX_WAITING (+ the one being scored) is taken
    release.set()
    feeder.join()
    out = list(tagger.finish())
    assert [r.input for r in out] == [f"r{k}" for k in range(total)]
    assert all(json.loads(r.report_json)["sentences"][0]["labels"] == ["problem"] for r in out)
