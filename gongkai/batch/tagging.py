"""Sentence labels for a whole batch from one classifier in the runner, fed by the extraction workers.

Per report, the classifier ran on a few dozen sentences of every length in one padded batch, in
every worker, each holding its own copy of the model. Here the workers only segment; the runner
pools the sentences of the reports that have arrived (``POOL_SENTENCES`` at a time), sorts them
by length so that each batch pads little, scores each distinct (sentence, heading) once (a
bounded cache: agencies repeat boilerplate from year to year and across their offices), and
puts the scores back into each report. A background thread does it, so extraction in the
workers goes on while the model runs (torch leaves the interpreter lock while it computes).

Labels are the plain path's: the same model, inputs and thresholds (``tests/batch/test_tagging.py``).
With the bfloat16 default, scores move within bfloat16's rounding with the batch a sentence sits
in (see its model card); ``classifier="blend"`` gives scores that do not.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gongkai.batch.derived import SENTENCES, table_rows
from gongkai.batch.worker import REPORT, Options, Record
from gongkai.inference.narrative.classify import predict_with_fallback, scored

# Sentences gathered before the model runs: enough to sort into well-filled batches, few enough
# that reports do not wait long for their labels.
POOL_SENTENCES = 512
# How long the thread waits for more reports before it scores a pool that is not full (seconds).
POOL_WAIT_S = 0.05
# Reports waiting for labels before the runner stops handing out inputs: extraction outruns the
# model several times over, and an unbounded queue held a whole batch's JSON (1.5 GB for 2,000).
MAX_WAITING = 64
# Distinct (sentence, heading) pairs whose scores are kept (about 200 bytes each): Options.sentence_cache.
CACHE_SIZE = Options.sentence_cache

Prediction = tuple[dict[str, float] | None, list[str]]


@dataclass
class TaggingStats:
    sentences: int = 0
    cached: int = 0  # sentences the model did not run on: repeats of a sentence seen before in this batch
    scored: int = 0  # sentences the model ran on (distinct)
    pools: int = 0

    @property
    def hit_rate(self) -> float:
        return self.cached / self.sentences if self.sentences else 0.0


class ScoreCache:
    """Predictions by (sentence, heading), least recently used first out."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], Prediction] = OrderedDict()

    def get(self, key: tuple[str, str]) -> Prediction | None:
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
        return hit

    def put(self, key: tuple[str, str], value: Prediction) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def tag_reports(reports: list[dict[str, Any]], classifier: str | None, cache: ScoreCache | None = None,
                stats: TaggingStats | None = None) -> None:
    """Score the sentences of several report dicts at once, in place (what the thread does per pool)."""
    stats = stats if stats is not None else TaggingStats()
    cache = cache if cache is not None else ScoreCache()
    keys = [(str(s.get("text") or ""), str(s.get("heading") or ""))
            for r in reports for s in r.get("sentences") or []]
    stats.sentences += len(keys)
    todo = list(dict.fromkeys(k for k in keys if cache.get(k) is None))
    stats.cached += len(keys) - len(todo)
    warnings: list[str] = []
    if todo:
        predictions, warnings = predict_with_fallback([t for t, _ in todo], [h or None for _, h in todo], classifier)
        stats.scored += len(todo)
        stats.pools += 1
        if predictions is None:
            fresh: dict[tuple[str, str], Prediction] = {k: (None, []) for k in todo}
        else:
            fresh = {k: (scores, labels) for k, (scores, labels) in zip(todo, predictions)}
            for k, v in fresh.items():  # a failure is not remembered: the next pool may run
                cache.put(k, v)
    else:
        fresh = {}
    for report in reports:
        sentences = report.get("sentences") or []
        for i, s in enumerate(sentences):
            key = (str(s.get("text") or ""), str(s.get("heading") or ""))
            got = fresh.get(key) or cache.get(key) or (None, [])
            sentences[i] = scored(s, got[0], list(got[1]))
        if sentences and warnings:
            report.setdefault("warnings", []).extend(warnings)


class Tagger:
    """The runner's classifier thread: records in (sentences unscored), the same records out, labelled."""

    _DONE = object()

    def __init__(self, classifier: str | None, pool_sentences: int = POOL_SENTENCES,
                 cache_size: int = CACHE_SIZE) -> None:
        self.classifier = classifier
        self.pool_sentences = pool_sentences
        self.cache = ScoreCache(cache_size)
        self.stats = TaggingStats()
        self._in: queue.Queue[Any] = queue.Queue(maxsize=MAX_WAITING)
        self._out: queue.Queue[Record] = queue.Queue()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="gongkai-tagger", daemon=True)
        self._thread.start()

    def put(self, record: Record) -> None:
        """Hand over a record; waits while ``MAX_WAITING`` are queued (so the workers wait too)."""
        while True:
            try:
                self._in.put(record, timeout=1.0)
                return
            except queue.Full:
                self._raise_failure()  # a dead thread never takes the record: fail, do not wait forever

    def ready(self) -> Iterator[Record]:
        """The records labelled so far (never waits)."""
        while True:
            try:
                yield self._out.get_nowait()
            except queue.Empty:
                self._raise_failure()
                return

    def finish(self) -> Iterator[Record]:
        """Every record put, labelled: waits for the thread to score what it holds."""
        while self._thread.is_alive():
            try:
                self._in.put(self._DONE, timeout=1.0)
                break
            except queue.Full:
                continue
        self._thread.join()
        yield from self.ready()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise RuntimeError("the sentence tagger thread failed") from self._failure

    def _run(self) -> None:
        done = False
        try:
            while not done:
                pool: list[Record] = []
                size = 0
                item = self._in.get()
                while True:
                    if item is self._DONE:
                        done = True
                        break
                    pool.append(item)
                    size += _sentence_count(item)
                    if size >= self.pool_sentences:
                        break
                    try:
                        item = self._in.get(timeout=POOL_WAIT_S)
                    except queue.Empty:
                        break
                if pool:
                    self._tag(pool)
        except BaseException as exc:  # handed to the runner's thread on its next call
            self._failure = exc

    def _tag(self, pool: list[Record]) -> None:
        reports = [(r, json.loads(r.report_json)) for r in pool if r.status == REPORT and r.report_json]
        tag_reports([d for _, d in reports], self.classifier, self.cache, self.stats)
        for record, data in reports:
            record.report_json = json.dumps(data, ensure_ascii=False)
            if record.rows is not None:  # the worker's sentence rows were unscored
                record.rows.rows[SENTENCES] = table_rows(SENTENCES, data)
        for record in pool:
            self._out.put(record)
        release_freed_memory()


def _malloc_trim() -> Callable[[], object]:
    """glibc's ``malloc_trim``: hands freed heap pages back to the system.

    Every pool gives the model tensors of new shapes (rows × padded length); glibc keeps the freed
    blocks, and the runner grew from 830 to 1,060 MB over eight passes of the corpus with pools of
    random size. Trimmed after each pool it stayed at 630-690 MB (one call a pool, about 1 ms).
    Elsewhere (musl, macOS) nothing to do.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    return lambda: trim(0)


release_freed_memory = _malloc_trim()


def _sentence_count(record: Record) -> int:
    """Roughly how many sentences a record brings (without parsing it): its "labels" keys."""
    return record.report_json.count('"labels": ') if record.report_json else 0
