"""A worker subprocess the caller owns: messages in and out over pipes, killable at any moment.

Used where one input may make a process hang in native code, blow its memory or crash: the
batch runs every file in one (``gongkai.batch.engines``), the fuzz harness every hostile case
(``gongkai.fuzz.runner``). The caller keeps a deadline per request and kills a worker that has
not answered; a worker that dies shows as an end of file on its pipe.

A worker is ``python -m gongkai.sandbox HANDLER [INIT]`` (``module:function`` names): it calls
``INIT(*init_args)`` once, then for every request it reads ``HANDLER(request)`` is answered.
Workers die with their parent: on Linux the kernel kills them when the parent dies
(``PR_SET_PDEATHSIG``), and a thread in each also watches the parent's pid. They ignore SIGINT,
which a terminal sends to the whole process group, so Ctrl-C reaches the parent alone and it
stops them in order. A subprocess rather than ``multiprocessing``: Dask's worker processes are
daemonic and may not start multiprocessing children, and no resource tracker is left behind.
"""

from __future__ import annotations

import importlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

# How often a worker checks that its parent is still alive (seconds).
PARENT_POLL_S = 1.0
PR_SET_PDEATHSIG = 1
_HEADER = struct.Struct(">Q")


class WorkerGone(Exception):
    """The worker closed its pipe: it died (a signal, the OOM killer) or was killed."""


def _write(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)  # not header + data: that would copy a 200 MB input once more
    stream.flush()


def _read_exact(fd: int, n: int) -> bytes:
    chunks: list[bytes] = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise WorkerGone("end of file")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read(fd: int) -> Any:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    return pickle.loads(_read_exact(fd, size))


def _resolve(name: str) -> Callable[..., Any]:
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


# --- the worker side -----------------------------------------------------------------------

def die_with_parent(parent: int) -> None:
    """Kill this process when ``parent`` goes: the kernel's signal where it exists, a watching thread always."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the thread below still notices

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="gongkai-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def worker_main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to the worker's log, never into the answers
    requests = sys.stdin.fileno()
    parent, init_args = _read(requests)
    die_with_parent(parent)
    handler = _resolve(argv[0])
    if len(argv) > 1:
        _resolve(argv[1])(*init_args)
    while True:
        try:
            request = _read(requests)
        except WorkerGone:
            return
        _write(answers, handler(request))


# --- the caller side -----------------------------------------------------------------------

class Sandbox:
    """One worker process; ``request`` then ``answer`` (or ``kill``) for each message."""

    def __init__(self, handler: str, init: str | None = None, init_args: tuple[Any, ...] = (), *,
                 stderr: IO[bytes] | int | None = subprocess.DEVNULL, env: dict[str, str] | None = None) -> None:
        command = [sys.executable, "-m", "gongkai.sandbox", handler, *([init] if init else [])]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                        env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"})
        assert self.process.stdin is not None and self.process.stdout is not None
        self.fd = self.process.stdout.fileno()
        self.pending: Any = None  # what the caller is waiting on an answer for
        self.deadline = float("inf")
        _write(self.process.stdin, (os.getpid(), init_args))

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def busy(self) -> bool:
        return self.pending is not None

    def request(self, message: object, tag: Any, seconds: float | None = None) -> None:
        """Send ``message``; ``tag`` is kept until the answer (or the kill), ``seconds`` sets the deadline."""
        assert self.process.stdin is not None
        self.pending = tag
        self.deadline = time.monotonic() + seconds if seconds is not None else float("inf")
        try:
            _write(self.process.stdin, message)
        except (BrokenPipeError, OSError):
            pass  # dead already: the next read says so

    def ready(self, timeout: float) -> bool:
        """Whether an answer (or the worker's end) can be read now, waiting up to ``timeout`` seconds."""
        return bool(select.select([self.fd], [], [], max(0.0, timeout))[0])

    def answer(self) -> Any:
        """The answer to the pending request; ``WorkerGone`` when the worker died instead."""
        try:
            return _read(self.fd)
        finally:
            self.pending = None
            self.deadline = float("inf")

    def exit_description(self) -> str:
        code = self.process.wait(timeout=10)
        return signal.Signals(-code).name if code < 0 else f"exit code {code}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.close_pipes()
        self.pending = None

    def stop(self) -> None:
        """Close the request pipe (the worker's loop ends), then make sure the process is gone."""
        self.close_pipes()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()

    def close_pipes(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def wait_any(sandboxes: list[Sandbox], timeout: float) -> list[Sandbox]:
    """The busy sandboxes whose answer (or end) can be read now, waiting up to ``timeout`` seconds."""
    busy = {s.fd: s for s in sandboxes if s.busy}
    if not busy:
        return []
    ready, _, _ = select.select(list(busy), [], [], max(0.0, timeout))
    return [busy[fd] for fd in ready]


if __name__ == "__main__":
    worker_main(sys.argv[1:])
