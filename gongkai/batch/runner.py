"""``gongkai batch``: inputs in, one output folder out, resumable after any kill.

The runner reads inputs as a stream, skips what the output folder already holds (by input
name), notes duplicates (same bytes as an input already processed) without redoing them,
hands the rest to an engine, and logs every record the moment it arrives (see ``store``).
At the end it derives the parquet tables and summary.html from the logs.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gongkai.batch.derived import derive
from gongkai.batch.engines import Job, make_engine
from gongkai.batch.inputs import iter_inputs
from gongkai.batch.store import Store
from gongkai.batch.summary import write_summary
from gongkai.batch.worker import DUPLICATE, ERROR, REPORT, SKIPPED, Options, Record, sha256_of


@dataclass
class BatchResult:
    out: Path
    counts: dict[str, int] = field(default_factory=dict)
    already_done: int = 0
    recovered: int = 0
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        done = ", ".join(f"{self.counts.get(k, 0)} {k}" for k in (REPORT, SKIPPED, ERROR, DUPLICATE))
        rate = sum(self.counts.values()) / self.seconds if self.seconds else 0.0
        lines = [f"processed {sum(self.counts.values())} inputs in {self.seconds:.1f} s ({rate:.1f}/s): {done}"]
        if self.already_done:
            lines.append(f"{self.already_done} inputs were already done in {self.out} (resumed)")
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


def run_batch(paths: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
              options: Options | None = None, workers: int | None = None, engine: str = "local",
              scheduler: str | None = None, progress: bool = True) -> BatchResult:
    """Process every input under ``paths`` into ``out``; run it again to resume after a kill."""
    options = options or Options()
    workers = workers or os.cpu_count() or 1
    started = time.monotonic()
    store = Store.open(Path(out))
    result = BatchResult(Path(out), recovered=store.recovered)
    counts: dict[str, int] = {}
    waiting: dict[str, list[str]] = {}  # bytes in flight → later inputs with the same bytes
    bar = _Progress(progress, count_inputs(paths))

    def note(record: Record) -> None:
        store.write(record)
        counts[record.status] = counts.get(record.status, 0) + 1
        bar.update(record)
        for name in waiting.pop(record.sha256, []):
            duplicate(name, record.sha256)

    def duplicate(name: str, digest: str) -> None:
        store.write_duplicate(name, digest)
        counts[DUPLICATE] = counts.get(DUPLICATE, 0) + 1
        bar.update(Record(name, digest, DUPLICATE))

    def jobs() -> Iterator[Job]:
        for item in iter_inputs(paths):
            if item.name in store.done_names:
                result.already_done += 1
                continue
            if item.data is None:
                note(Record(item.name, sha256_of(item.name.encode()), ERROR, reason=item.problem, code="I001"))
                continue
            digest = sha256_of(item.data)
            if digest in store.done_hashes:
                duplicate(item.name, digest)
            elif digest in waiting:
                waiting[digest].append(item.name)
            else:
                waiting[digest] = []
                yield Job(item.name, item.data, digest)

    runner = make_engine(engine, workers, scheduler)
    try:
        for record in runner.run(jobs(), options):
            note(record)
    finally:
        runner.close()
        bar.close()
        store.close()
    result.tables = derive(Path(out))
    result.seconds = time.monotonic() - started
    write_summary(Path(out), result.seconds)
    result.counts = counts
    return result
