"""Run hostile cases through ``extract`` in a worker process and classify what happened.

The worker is a separate process so that a crash (a signal from native code), a hang or a
memory blow-up is observed rather than suffered: the parent waits for each answer with a hang
cap, watches the worker's resident memory and kills it past a hard cap, and starts a fresh
worker after any of these. Inside the worker each case's peak resident memory is measured
from ``VmHWM`` after resetting it (``/proc/self/clear_refs``), so a bomb is charged to the case
that set it off.

Outcomes: ``report`` and ``error`` (a coded ``GongkaiError``) are the acceptable ones;
``exception`` (any other exception type), ``crash``, ``hang`` and ``memory`` (peak over the
limit) are failures.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
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

    @property
    def ok(self) -> bool:
        return self.outcome in GOOD_OUTCOMES

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


# --- the worker ----------------------------------------------------------------------------

def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


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


def worker_main() -> None:
    """Read length-prefixed pickled (index, kind, payload, options) from stdin; answer one line each."""
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the answers
    requests = sys.stdin.buffer
    with tempfile.TemporaryDirectory(prefix="gongkai-fuzz-") as tmp:
        while True:
            head = requests.read(4)
            if len(head) < 4:
                return
            index, kind, payload, options = pickle.loads(requests.read(struct.unpack(">I", head)[0]))
            _reset_peak()
            start = time.perf_counter()
            outcome, detail, warns = _run_one(kind, payload, options, Path(tmp))
            message = pickle.dumps((index, outcome, detail, warns, _peak_mb(), time.perf_counter() - start))
            answer.write(struct.pack(">I", len(message)) + message)
            answer.flush()


# --- the parent ----------------------------------------------------------------------------

class Worker:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "gongkai.fuzz.runner", "--worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, start_new_session=True)

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def _read_exact(self, n: int, deadline: float, options: Options) -> bytes | str:
        """``n`` bytes of answer, or why none came: "crash", "hang" or "memory"."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = b""
        while len(buf) < n:
            if self.rss_mb() > HARD_MEMORY_MB:
                return "memory"
            left = deadline - time.monotonic()
            if left <= 0:
                return "hang"
            ready, _, _ = select.select([fd], [], [], min(POLL_S, left))
            if not ready:
                continue
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                return "crash"
            buf += chunk
        return buf

    def run(self, index: int, case: Case, options: Options) -> Outcome:
        assert self.proc.stdin is not None
        request = pickle.dumps((index, case.kind, case.payload, options))
        try:
            self.proc.stdin.write(struct.pack(">I", len(request)) + request)
            self.proc.stdin.flush()
        except BrokenPipeError:
            return Outcome(case.describe(), index, "crash", "worker gone before the case was sent")
        start = time.monotonic()
        deadline = start + options.hang_cap_s
        head = self._read_exact(4, deadline, options)
        body = head if isinstance(head, str) else self._read_exact(struct.unpack(">I", head)[0], deadline, options)
        if isinstance(body, str):
            detail = self._why(body, options)
            return Outcome(case.describe(), index, body, detail, seconds=time.monotonic() - start)
        _, outcome, detail, warns, peak, seconds = pickle.loads(body)
        result = Outcome(case.describe(), index, outcome, detail, peak, seconds, warns)
        if outcome in GOOD_OUTCOMES and peak > options.memory_limit_mb:
            result.detail = f"peak {peak:.0f} MB > {options.memory_limit_mb} MB ({outcome}: {detail})"
            result.outcome = "memory"
        return result

    def _why(self, what: str, options: Options) -> str:
        if what == "hang":
            self.kill()
            return f"no answer in {options.hang_cap_s:g} s"
        if what == "memory":
            self.kill()
            return f"resident memory over {HARD_MEMORY_MB} MB"
        code = self.proc.wait()
        name = signal.Signals(-code).name if code < 0 else f"exit {code}"
        return f"worker died ({name})"


def run_cases(cases: Iterable[Case], options: Options | None = None) -> Iterator[Outcome]:
    """Each case's outcome, in order; a fresh worker after any crash, hang or memory kill."""
    options = options or Options()
    worker: Worker | None = None
    try:
        for index, case in enumerate(cases):
            if worker is None or worker.proc.poll() is not None:
                worker = Worker()
            result = worker.run(index, case, options)
            if result.outcome in ("crash", "hang", "memory") and worker.proc.poll() is None:
                worker.kill()
            yield result
    finally:
        if worker is not None:
            worker.kill()


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker_main()
    else:
        sys.exit("usage: python -m gongkai.fuzz.runner --worker (started by run_cases; see benchmarks/fuzz.py)")
