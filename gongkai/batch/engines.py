"""Where records are computed: in this process, a local process pool, or a Dask cluster.

Every engine takes a stream of jobs and yields records as they finish (in any order), with a
bounded number in flight, so memory stays flat however many inputs there are. Models are
loaded once per worker process (the classifier is cached per process on first use).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from gongkai.batch.worker import ERROR, Options, Record, process

# Jobs in flight per worker: enough to keep workers busy, few enough to bound memory.
IN_FLIGHT_PER_WORKER = 4


@dataclass
class Job:
    name: str
    data: bytes
    sha256: str


def _warm(options: Options, threads: int | None = None) -> None:
    """Load the classifier before the first job, so every worker starts ready.

    ``threads``: torch's share of the cores in this worker; left alone, each worker's torch
    takes every core and N workers fight over them.
    """
    if options.sentences and options.classify:
        from gongkai.inference.narrative.classify import load_classifier

        if threads:
            try:
                import torch

                torch.set_num_threads(threads)
            except ImportError:
                pass

        try:
            load_classifier(options.classifier)
        except Exception:  # a missing model shows up per report as a warning, not here
            pass


def _run(job: Job, options: Options) -> Record:
    return process(job.name, job.data, options, job.sha256)


class InlineEngine:
    """One worker, this process: no start-up cost, the right choice for one core."""

    def run(self, jobs: Iterable[Job], options: Options) -> Iterator[Record]:
        _warm(options)
        for job in jobs:
            yield _run(job, options)

    def close(self) -> None:
        pass


class LocalEngine:
    """A pool of worker processes on this machine."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self, options: Options, workers: int) -> ProcessPoolExecutor:
        threads = max(1, (os.cpu_count() or 1) // workers)
        return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_warm, initargs=(options, threads))

    def run(self, jobs: Iterable[Job], options: Options) -> Iterator[Record]:
        self._pool = self._new_pool(options, self.workers)
        limit = self.workers * IN_FLIGHT_PER_WORKER
        pending: dict[Future[Record], Job] = {}
        for job in jobs:
            pending[self._pool.submit(_run, job, options)] = job
            if len(pending) >= limit:
                yield from self._drain(pending, options)
        while pending:
            yield from self._drain(pending, options)

    def _drain(self, pending: dict[Future[Record], Job], options: Options) -> Iterator[Record]:
        """Yield what finished first; a broken pool's jobs are re-run one by one."""
        done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
        broken: list[Job] = []
        for future in done:
            job = pending.pop(future)
            try:
                yield future.result()
            except BrokenProcessPool:
                broken.append(job)
        if broken:
            # A worker died (a crash in native code, the OOM killer): every job in flight failed with it.
            broken.extend(pending.values())
            pending.clear()
            yield from self._isolate(broken, options)

    def _isolate(self, jobs: list[Job], options: Options) -> Iterator[Record]:
        """Re-run each job of a broken pool alone, so only the one that kills its worker is an error."""
        assert self._pool is not None
        self._pool.shutdown(wait=False, cancel_futures=True)
        for job in jobs:
            single = self._new_pool(options, 1)
            try:
                yield single.submit(_run, job, options).result()
            except BrokenProcessPool:
                yield Record(job.name, job.sha256, ERROR, reason="the worker process died reading this file "
                             "(a crash in native code or out of memory)", code="E998")
            finally:
                single.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool(options, self.workers)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskEngine:
    """Dask distributed: a scheduler's address, or a local cluster listening on loopback only."""

    def __init__(self, workers: int, scheduler: str | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            from gongkai.errors import MissingDependencyError

            raise MissingDependencyError("--engine dask needs the dask extra: pip install 'gongkai[dask]'") from exc
        self._cluster: Any = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=None, silence_logs=40)
            self.client = Client(self._cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)

    def run(self, jobs: Iterable[Job], options: Options) -> Iterator[Record]:
        from distributed import as_completed

        limit = self.workers * IN_FLIGHT_PER_WORKER
        futures = as_completed()
        in_flight = 0
        for job in jobs:
            futures.add(self.client.submit(_run, job, options, pure=False))
            in_flight += 1
            if in_flight >= limit:
                yield next(futures).result()
                in_flight -= 1
        for future in futures:
            yield future.result()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_engine(name: str, workers: int, scheduler: str | None = None) -> InlineEngine | LocalEngine | DaskEngine:
    if name == "dask":
        return DaskEngine(workers, scheduler)
    if name != "local":
        raise ValueError(f"unknown engine {name!r}: expected local or dask")
    return InlineEngine() if workers <= 1 else LocalEngine(workers)
