"""Run hostile cases through ``extract`` in a worker process and classify what happened.

The worker is a separate process (``gongkai.sandbox``) so that a crash (a signal from native
code), a hang or a memory blow-up is observed rather than suffered: the parent waits for each
answer with a hang cap, watches the worker's resident memory and kills it past a hard cap, and
starts a fresh worker after any of these. Inside the worker each case's peak resident memory is measured
from ``VmHWM`` after resetting it (``/proc/self/clear_refs``), so a bomb is charged to the case
that set it off.

Outcomes: ``report`` and ``error`` (a coded ``GongkaiError``) are the acceptable ones;
``exception`` (any other exception type), ``crash``, ``hang`` and ``memory`` (peak over the
limit) are failures.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gongkai.fuzz.hostile import (
    BYTES,
    DIRECTORY,
    PATH_STR,
    SELF_TEST_BLOCK,
    SELF_TEST_SIGNAL,
    TEXT,
    Case,
)
from gongkai.sandbox import Sandbox, WorkerGone

GOOD_OUTCOMES = frozenset({"report", "error"})
# What one extraction may hold at its peak (worker process, classifier loaded), as documented in the README.
MEMORY_LIMIT_MB = 2048
# Past this the parent kills the worker at once rather than wait for the peak to be reported.
HARD_MEMORY_MB = 6144
# Seconds a case may go without an answer before it counts as a hang (the API's own limit is lower).
HANG_CAP_S = 300.0
POLL_S = 0.2


@dataclass
class Options:
    """How the worker calls ``extract``."""

    time_limit: float | None = 60.0
    sentences: bool = True
    classifier: str | None = "tfidf"
    memory_limit_mb: int = MEMORY_LIMIT_MB
    hang_cap_s: float = HANG_CAP_S


@dataclass
class Outcome:
    case: str  # "family/name"
    index: int
    outcome: str  # report, error, exception, crash, hang, memory
    detail: str = ""
    peak_mb: float = 0.0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    grew_mb: float = 0.0  # the case's own share of the peak (peak minus the worker's memory before it)

    @property
    def ok(self) -> bool:
        return self.outcome in GOOD_OUTCOMES

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


# --- the worker ----------------------------------------------------------------------------

def _status_mb(pid: int | str, field: str) -> float:
    """A memory field of /proc/PID/status ("VmHWM", "VmRSS") in MB; 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _peak_mb() -> float:
    return _status_mb("self", "VmHWM")


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # not Linux, or not allowed: the peak is then the worker's so far


def _self_test(case_kind: str, payload: bytes) -> tuple[str, str, list[str]]:
    """What the runner must observe: a crash, a hang or a memory peak (see ``hostile.SELF_TEST_*``)."""
    if case_kind == SELF_TEST_SIGNAL:
        os.kill(os.getpid(), getattr(signal, payload.decode()))
    elif case_kind == SELF_TEST_BLOCK:
        threading.Event().wait()
    held = bytearray(int(payload.decode()) * 1024 * 1024)
    held[::4096] = b"x" * len(held[::4096])  # touch every page so that it is resident
    return "report", f"held {len(held)} bytes", []


def _run_one(case_kind: str, payload: bytes, options: Options, scratch: Path) -> tuple[str, str, list[str]]:
    from gongkai import extract
    from gongkai.errors import GongkaiError

    if case_kind.startswith("self_test"):
        return _self_test(case_kind, payload)
    kwargs = {"sentences": options.sentences, "classifier": options.classifier, "time_limit": options.time_limit}
    try:
        if case_kind == BYTES:
            report = extract(payload, path="fuzz-input", **kwargs)
        elif case_kind == TEXT:
            report = extract(payload.decode("utf-8", "surrogatepass"), **kwargs)
        elif case_kind == PATH_STR:
            report = extract(payload.decode("utf-8"), **kwargs)
        elif case_kind == DIRECTORY:
            folder = scratch / payload.decode("utf-8")
            folder.mkdir(exist_ok=True)
            report = extract(folder, **kwargs)
        else:
            raise ValueError(f"unknown case kind {case_kind!r}")
    except GongkaiError as exc:
        return "error", f"{exc.code}: {str(exc)[:300]}", []
    except Exception as exc:  # the failure this harness exists to find
        return "exception", f"{type(exc).__name__}: {str(exc)[:300]}", []
    return "report", report.format_version, list(report.warnings)[:20]


_scratch: list[Path] = []


def handle_case(request: tuple[str, bytes, Options]) -> tuple[str, str, list[str], float, float, float]:
    """In the worker: one case's outcome, detail, warnings, peak memory (MB), seconds, and memory before (MB).

    The worker keeps memory earlier cases freed (the allocator rarely gives it back), so the peak
    is the process's; the growth over the memory before is the case's own share.
    """
    kind, payload, options = request
    if not _scratch:
        _scratch.append(Path(tempfile.mkdtemp(prefix="gongkai-fuzz-")))
        atexit.register(shutil.rmtree, _scratch[0], ignore_errors=True)
    _reset_peak()
    before = _peak_mb()  # just after the reset: the resident memory now
    start = time.perf_counter()
    outcome, detail, warns = _run_one(kind, payload, options, _scratch[0])
    return outcome, detail, warns, _peak_mb(), time.perf_counter() - start, before


# --- the parent ----------------------------------------------------------------------------

def _rss_mb(pid: int) -> float:
    return _status_mb(pid, "VmRSS")


def _run_case(worker: Sandbox, index: int, case: Case, options: Options) -> Outcome:
    """One case through ``worker``; the worker is killed on a hang or a memory overrun."""
    worker.request((case.kind, case.payload, options), index, options.hang_cap_s)
    start = time.monotonic()
    while not worker.ready(min(POLL_S, worker.deadline - time.monotonic())):
        if _rss_mb(worker.pid) > HARD_MEMORY_MB:
            worker.kill()
            return Outcome(case.describe(), index, "memory", f"resident memory over {HARD_MEMORY_MB} MB",
                           seconds=time.monotonic() - start)
        if time.monotonic() >= worker.deadline:
            worker.kill()
            return Outcome(case.describe(), index, "hang", f"no answer in {options.hang_cap_s:g} s",
                           seconds=time.monotonic() - start)
    try:
        outcome, detail, warns, peak, seconds, before = worker.answer()
    except WorkerGone:
        return Outcome(case.describe(), index, "crash", f"worker died ({worker.exit_description()})",
                       seconds=time.monotonic() - start)
    result = Outcome(case.describe(), index, outcome, detail, peak, seconds, warns, max(0.0, peak - before))
    if outcome in GOOD_OUTCOMES and peak > options.memory_limit_mb:
        result.detail = f"peak {peak:.0f} MB > {options.memory_limit_mb} MB ({outcome}: {detail})"
        result.outcome = "memory"
    return result


def run_cases(cases: Iterable[Case], options: Options | None = None) -> Iterator[Outcome]:
    """Each case's outcome, in order; a fresh worker after any crash, hang or memory kill."""
    options = options or Options()
    worker: Sandbox | None = None
    try:
        for index, case in enumerate(cases):
            if worker is None or not worker.alive():
                worker = Sandbox("gongkai.fuzz.runner:handle_case")
            result = _run_case(worker, index, case, options)
            if result.outcome in ("crash", "hang", "memory"):
                worker.kill()
                worker = None
            yield result
    finally:
        if worker is not None:
            worker.kill()


