"""A time limit per page, so that one pathological page (or a stuck OCR run) cannot hang a batch."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# One page may take this long (seconds, OCR included) before it is given up with a warning.
PAGE_TIME_LIMIT_S = 60.0


class PageTimeout(Exception):
    """A page ran past its time limit."""



@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM; only where that exists, in the main thread).

    Elsewhere the page is timed and reported afterwards; a batch runner kills a stuck worker.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        start = time.monotonic()
        yield
        if time.monotonic() - start > seconds:
            raise PageTimeout
        return

    def expire(signum: int, frame: Any) -> None:
        raise PageTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
