"""Where records are computed: worker subprocesses on this machine, or a Dask cluster.

Every file is read in a worker subprocess the batch owns (``gongkai.sandbox``), one file per
worker at a time, so that whatever a file does to its worker — loop in native code past the
time limit, crash, run out of memory — costs that one file a coded record and the batch goes
on with a fresh worker. The parent holds a deadline per file (the time limit plus
``KILL_GRACE_S``) besides the worker's own signal-based limit, which code that never returns
to the interpreter does not see. The parent pulls the next input only when a worker is free,
so it holds at most one input per worker. Models are loaded once per worker.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import IO, Any

from gongkai.batch.worker import ERROR, Options, Record, process
from gongkai.sandbox import Sandbox, WorkerGone, wait_any

# Seconds past the per-file time limit before the parent kills a worker that has not answered.
KILL_GRACE_S = 15.0
# Longest the parent waits in one select when no deadline is near (seconds).
MAX_WAIT_S = 60.0


@dataclass
class Job:
    name: str
    data: bytes
    sha256: str


# --- inside a worker -----------------------------------------------------------------------

_options = Options()


def init_worker(options: Options, threads: int | None = None) -> None:
    """Load the classifier before the first job, so every worker starts ready.

    ``threads``: torch's share of the cores in this worker; left alone, each worker's torch
    takes every core and N workers fight over them.
    """
    global _options
    _options = options
    if options.sentences and options.classify:
        from gongkai.inference.narrative.classify import load_classifier, set_device

        set_device(options.device)

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


def handle_job(job: Job) -> Record:
    return process(job.name, job.data, _options, job.sha256)


# --- in the parent -------------------------------------------------------------------------

def _died(job: Job, how: str) -> Record:
    return Record(job.name, job.sha256, ERROR, reason=f"the worker process died reading this file ({how}: "
                  "a crash in native code or out of memory)", code="E998")


def _killed(job: Job, options: Options) -> Record:
    return Record(job.name, job.sha256, ERROR, reason=f"took longer than {options.time_limit:g} s (per-file "
                  f"time limit; the worker did not return and was killed after "
                  f"{options.time_limit + KILL_GRACE_S:g} s)", code="T001")


# What a worker runs per job ("module:function"); tests put a worker that never returns here.
JOB_HANDLER = "gongkai.batch.engines:handle_job"


def new_sandbox(options: Options, threads: int | None, log: IO[bytes] | int | None = None,
                handler: str = JOB_HANDLER) -> Sandbox:
    return Sandbox(handler, "gongkai.batch.engines:init_worker", (options, threads),
                   stderr=log if log is not None else sys.stderr)


class LocalEngine:
    """Worker subprocesses on this machine, one file each in flight."""

    def __init__(self, workers: int, log: IO[bytes] | None = None, handler: str = JOB_HANDLER) -> None:
        self.workers = max(1, workers)
        self.log = log
        self.handler = handler
        self.sandboxes: list[Sandbox] = []
        self.threads = max(1, (os.cpu_count() or 1) // self.workers)

    def _replace(self, i: int, options: Options) -> None:
        self.sandboxes[i].kill()
        self.sandboxes[i] = new_sandbox(options, self.threads, self.log, self.handler)

    def run(self, jobs: Iterable[Job], options: Options) -> Iterator[Record]:
        self.sandboxes = [new_sandbox(options, self.threads, self.log, self.handler) for _ in range(self.workers)]
        stream = iter(jobs)
        limit = options.time_limit + KILL_GRACE_S
        exhausted = self._feed(stream, limit)
        while True:
            busy = [s for s in self.sandboxes if s.busy]
            if not busy:
                return
            soonest = min(s.deadline for s in busy)
            ready = wait_any(busy, min(MAX_WAIT_S, soonest - time.monotonic()))
            records = []
            for i, sandbox in enumerate(self.sandboxes):
                if not sandbox.busy:
                    continue
                job = sandbox.pending
                if sandbox in ready:
                    try:
                        records.append(sandbox.answer())
                    except WorkerGone:
                        how = sandbox.exit_description()
                        self._replace(i, options)
                        records.append(_died(job, how))
                elif time.monotonic() >= sandbox.deadline:
                    self._replace(i, options)
                    records.append(_killed(job, options))
            # Free workers get their next file before the caller handles these records (writes the logs,
            # tags sentences): otherwise each worker would idle for that time on every file.
            if not exhausted:
                exhausted = self._feed(stream, limit)
            yield from records

    def _feed(self, stream: Iterator[Job], limit: float) -> bool:
        """One job to every free worker; True when the stream has run out."""
        for sandbox in self.sandboxes:
            if sandbox.busy:
                continue
            job = next(stream, None)
            if job is None:
                return True
            # The tag keeps what a record needs, not the bytes: the parent lets go of them once sent.
            sandbox.request(job, replace(job, data=b""), limit)
            del job
        return False

    def close(self) -> None:
        for sandbox in self.sandboxes:
            if sandbox.busy:
                sandbox.kill()  # abandoned: the file is redone on resume
            else:
                sandbox.stop()
        self.sandboxes = []


# One sandbox per Dask worker process, made on its first task.
_dask_sandbox: dict[str, Sandbox] = {}


def run_in_sandbox(job: Job, options: Options) -> Record:
    """A Dask task: the file read in this Dask worker's own sandbox, under the same kill deadline."""
    sandbox = _dask_sandbox.get("sandbox")
    if sandbox is None or not sandbox.alive():
        sandbox = _dask_sandbox["sandbox"] = new_sandbox(options, 1)
    sandbox.request(job, replace(job, data=b""), options.time_limit + KILL_GRACE_S)
    if not sandbox.ready(sandbox.deadline - time.monotonic()):
        _dask_sandbox.pop("sandbox").kill()
        return _killed(job, options)
    try:
        return sandbox.answer()  # type: ignore[no-any-return]
    except WorkerGone:
        how = sandbox.exit_description()
        _dask_sandbox.pop("sandbox").kill()
        return _died(job, how)


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
            # death_timeout: a worker whose scheduler (in this process) is gone exits instead of waiting.
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=None, silence_logs=40,
                                         death_timeout=DASK_DEATH_TIMEOUT_S)
            self.client = Client(self._cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)

    def run(self, jobs: Iterable[Job], options: Options) -> Iterator[Record]:
        from distributed import as_completed

        limit = self.workers  # one file per worker in flight: the parent holds no more than that
        futures = as_completed()
        held: dict[Any, Job] = {}
        for job in jobs:
            future = self.client.submit(run_in_sandbox, job, options, pure=False, retries=0)
            held[future] = job
            futures.add(future)
            if len(held) >= limit:
                yield self._result(next(futures), held)
        for future in futures:
            yield self._result(future, held)

    @staticmethod
    def _result(future: Any, held: dict[Any, Job]) -> Record:
        job = held.pop(future)
        try:
            return future.result()  # type: ignore[no-any-return]
        except Exception as exc:  # KilledWorker (its worker died, e.g. for memory), a lost scheduler …
            return Record(job.name, job.sha256, ERROR, reason=f"the Dask worker died or failed reading this file "
                          f"({type(exc).__name__}: {str(exc)[:200]})", code="E998")
        finally:
            future.release()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


# Seconds a local Dask worker survives the loss of its scheduler (the batch's process).
DASK_DEATH_TIMEOUT_S = 5


def make_engine(name: str, workers: int, scheduler: str | None = None,
                log: IO[bytes] | None = None) -> LocalEngine | DaskEngine:
    if name == "dask":
        return DaskEngine(workers, scheduler)
    if name != "local":
        raise ValueError(f"unknown engine {name!r}: expected local or dask")
    return LocalEngine(workers, log)
