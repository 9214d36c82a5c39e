"""``gongkai batch``: inputs in, one output folder out, resumable after any kill.

The runner reads inputs as a stream, skips what the output folder already holds (by input
name), notes duplicates (same bytes as an input already processed) without redoing them,
hands the rest to an engine, and logs every record the moment it arrives (see ``store``).
At the end it derives the parquet tables and summary.html from the logs.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from gongkai.batch.derived import Deriver, derive
from gongkai.batch.engines import Job, make_engine
from gongkai.batch.inputs import iter_inputs
from gongkai.batch.store import REPORTS, Store, forget, iter_jsonl
from gongkai.batch.summary import write_summary
from gongkai.batch.tagging import Tagger, TaggingStats
from gongkai.batch.worker import DUPLICATE, ERROR, REPORT, SKIPPED, Options, Record, sha256_of

# What the workers print (library warnings, a native library's complaints), in the output folder.
WORKER_LOG = "worker.log"


@dataclass
class BatchResult:
    out: Path
    counts: dict[str, int] = field(default_factory=dict)
    already_done: int = 0
    redone: int = 0  # done before, redone because corrections made since apply to them
    recovered: int = 0
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)
    tagging: TaggingStats | None = None  # the runner's classifier: sentences scored, cache hits

    def describe(self) -> str:
        done = ", ".join(f"{self.counts.get(k, 0)} {k}" for k in (REPORT, SKIPPED, ERROR, DUPLICATE))
        rate = sum(self.counts.values()) / self.seconds if self.seconds else 0.0
        lines = [f"processed {sum(self.counts.values())} inputs in {self.seconds:.1f} s ({rate:.1f}/s): {done}"]
        if self.already_done:
            lines.append(f"{self.already_done} inputs were already done in {self.out} (resumed)")
        if self.tagging and self.tagging.sentences:
            t = self.tagging
            lines.append(f"sentences: {t.sentences} labelled by the runner's classifier, {t.scored} scored, "
                         f"{t.cached} ({t.hit_rate:.1%}) repeats of sentences already scored in this batch")
        if self.redone:
            lines.append(f"{self.redone} reports were done again: corrections made since apply to them")
        if self.recovered:
            lines.append(f"{self.recovered} records written by an interrupted run were entered in the manifest")
        lines.append(f"outputs in {self.out}: reports.jsonl, cells.parquet ({self.tables.get('cells.parquet', 0)} "
                     f"rows), sentences.parquet, findings.parquet, errors.jsonl, summary.html")
        return "\n".join(lines)


class _Progress:
    """A progress bar with rate, ETA and errors so far (tqdm), or nothing."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="doc", dynamic_ncols=True, file=sys.stderr)
            except ImportError:
                self.bar = None
        self.errors = 0

    def update(self, record: Record) -> None:
        if record.status == ERROR:
            self.errors += 1
        if self.bar is not None:
            if self.bar.total is not None and self.bar.n >= self.bar.total:
                self.bar.total = self.bar.n + 1
            self.bar.update(1)
            self.bar.set_postfix(errors=self.errors, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def count_inputs(paths: Sequence[str | os.PathLike[str]]) -> int:
    """Files under ``paths`` (an archive counts once): the progress bar's first estimate of the total."""
    total = 0
    for given in paths:
        root = Path(given)
        total += sum(1 for p in root.rglob("*") if p.is_file()) if root.is_dir() else 1
    return total


class BatchStopped(Exception):
    """SIGTERM or SIGINT stopped the batch: what was written is kept, the rest is done on resume."""

    def __init__(self, signum: int, done: int) -> None:
        self.signal = signal.Signals(signum).name
        self.exit_code = 128 + signum
        self.done = done
        super().__init__(f"stopped by {self.signal} after {done} records")


@contextmanager
def _stop_on_signals(counter: Callable[[], int]) -> Iterator[None]:
    """SIGTERM and SIGINT become ``BatchStopped`` in the main thread (elsewhere signals are left alone)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise BatchStopped(signum, counter())

    saved = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def run_batch(paths: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
              options: Options | None = None, workers: int | None = None, engine: str = "local",
              scheduler: str | None = None, progress: bool = True, follow_symlinks: bool = False) -> BatchResult:
    """Process every input under ``paths`` into ``out``; run it again to resume after a kill.

    SIGTERM or SIGINT stop it cleanly: files in flight are abandoned (done on resume), the
    logs are flushed, and ``BatchStopped`` is raised. Workers' own output (library warnings)
    goes to ``out/worker.log``.
    """
    options = options or Options()
    workers = workers or os.cpu_count() or 1
    started = time.monotonic()
    store = Store.open(Path(out))
    redone = _outdated_by_corrections(store, options.corrections)
    if redone:  # reports done before corrections that now apply to them are done again
        store.close()
        forget(Path(out), redone)
        store = Store.open(Path(out))
    result = BatchResult(Path(out), recovered=store.recovered, redone=len(redone))
    counts: dict[str, int] = {}
    waiting: dict[str, list[str]] = {}  # bytes in flight → later inputs with the same bytes
    bar = _Progress(progress, count_inputs(paths))

    # A fresh batch writes its tables as records arrive, from rows the workers derived; a resumed one
    # derives them from the logs at the end.
    deriver = Deriver(Path(out)) if not store.done_names else None
    options = replace(options, rows=deriver is not None)

    def note(record: Record) -> None:
        if record.review_html is not None:  # the page first: a record in the logs always has its page
            from gongkai.review import review_path, save_review

            save_review(review_path(out, record.sha256), record.review_html)
            record.review_html = None
        store.write(record)
        if deriver is not None and record.rows is not None:
            deriver.add(record.rows)
        record.rows = None
        counts[record.status] = counts.get(record.status, 0) + 1
        bar.update(record)
        for name in waiting.pop(record.sha256, []):
            duplicate(name, record.sha256)

    def duplicate(name: str, digest: str) -> None:
        store.write_duplicate(name, digest)
        counts[DUPLICATE] = counts.get(DUPLICATE, 0) + 1
        bar.update(Record(name, digest, DUPLICATE))

    def jobs() -> Iterator[Job]:
        for item in iter_inputs(paths, follow_symlinks=follow_symlinks):
            if item.name in store.done_names:
                result.already_done += 1
                continue
            if item.data is None:
                status, code = (SKIPPED, "I002") if item.skipped else (ERROR, "I001")
                note(Record(item.name, sha256_of(item.name.encode()), status, reason=item.problem, code=code))
                continue
            digest = sha256_of(item.data)
            if digest in store.done_hashes:
                duplicate(item.name, digest)
            elif digest in waiting:
                waiting[digest].append(item.name)
            else:
                waiting[digest] = []
                job = Job(item.name, item.data, digest)
                del item  # hold no input's bytes while the next one is read
                yield job
                del job

    log = open(Path(out) / WORKER_LOG, "ab")  # noqa: SIM115 - closed in the finally below
    runner = None
    finished = False
    try:
        with _stop_on_signals(lambda: sum(counts.values())):
            runner = make_engine(engine, workers, scheduler, log)
            pooled = tag_in_runner(options, engine)
            if pooled:
                from gongkai.inference.narrative.classify import set_device

                set_device(options.device)  # the runner's classifier: on the GPU when there is one
            tagger = Tagger(options.classifier, cache_size=options.sentence_cache) if pooled else None
            # With the tagger, workers segment sentences and the runner's one classifier labels them.
            for record in runner.run(jobs(), replace(options, classify=False) if tagger else options):
                if tagger is None or record.status != REPORT:
                    note(record)
                    continue
                tagger.put(record)
                for tagged in tagger.ready():
                    note(tagged)
            for tagged in tagger.finish() if tagger else ():
                note(tagged)
            result.tagging = tagger.stats if tagger else None
            finished = True
    finally:
        with _ignoring_signals():  # the clean-up itself is not interrupted by a second Ctrl-C
            if runner is not None:
                runner.close()
            bar.close()
            store.close()
            log.close()
            if deriver is not None and not finished:
                deriver.abandon()
    result.tables = deriver.close() if deriver is not None else derive(Path(out))
    result.seconds = time.monotonic() - started
    write_summary(Path(out), result.seconds)
    result.counts = counts
    return result


def tag_in_runner(options: Options, engine: str) -> bool:
    """Whether the runner's one classifier labels the sentences (``gongkai.batch.tagging``).

    Not on Dask (its workers may be other machines: they label their own), and not with review
    pages, which a worker draws with the labels in them.
    """
    return options.sentences and options.classify and options.pooled and engine == "local" and not options.review


def _outdated_by_corrections(store: Store, corrections: str | None) -> set[str]:
    """Inputs whose stored report predates the corrections now in force for its document."""
    if not corrections or not store.done_names:
        return set()
    from gongkai.annotations.corrections import load_corrections, outdated

    decided = load_corrections(corrections)
    if not len(decided):
        return set()
    return {r["source"]["path"] for r in iter_jsonl(store.out / REPORTS) if outdated(r, decided)}


@contextmanager
def _ignoring_signals() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
