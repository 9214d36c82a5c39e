"""A time limit per page, so that one pathological page (or a stuck OCR run) cannot hang a batch."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# One page may take this long (seconds, OCR included) before it is given up with a warning.
PAGE_TIME_LIMIT_S = 60.0


class PageTimeout(Exception):
    """A page ran past its time limit (the reader skips it and goes on)."""


class FileTimeout(BaseException):
    """A whole file ran past its limit. A BaseException, so that readers' broad ``except
    Exception`` around a page cannot swallow it on its way to the batch runner."""


@dataclass
class _Limit:
    deadline: float
    error: type[BaseException]


# Limits in force in this (main) thread, innermost last: a file limit around page limits.
_active: list[_Limit] = []
_saved_handler: Any = None


def _expire(signum: int, frame: Any) -> None:
    due = min(_active, key=lambda limit: limit.deadline)
    raise due.error(f"time limit reached ({due.error.__name__})")


def _arm() -> None:
    remaining = min(limit.deadline for limit in _active) - time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-4))


@contextmanager
def time_limit(seconds: float, error: type[BaseException] = PageTimeout) -> Iterator[None]:
    """Raise ``error`` in the block after ``seconds``; limits nest (the earliest deadline fires).

    Uses SIGALRM, which only the main thread of a process receives; elsewhere (threads of a
    Dask worker) the block is timed and ``error`` raised after it if it ran over.
    """
    global _saved_handler
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        start = time.monotonic()
        yield
        if time.monotonic() - start > seconds:
            raise error(f"took longer than {seconds:g} s")
        return
    limit = _Limit(time.monotonic() + seconds, error)
    if not _active:
        _saved_handler = signal.signal(signal.SIGALRM, _expire)
    _active.append(limit)
    _arm()
    try:
        yield
    finally:
        _active.remove(limit)
        if _active:
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _saved_handler)
