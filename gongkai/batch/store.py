"""The output folder of a batch: append-only JSONL logs that make a killed run resumable.

Exactly-once rests on one rule: a record is done when its line is complete in
``reports.jsonl`` or ``errors.jsonl``. The runner is the only writer; each line is written
whole and handed to the OS before the input is entered in ``manifest.jsonl``. After a kill
(even SIGKILL mid-write) ``open`` cuts every log back to its last complete line, enters in
the manifest any record that made it to a log but not to the manifest, and the run goes on
with the inputs the manifest does not name. Derived files (parquet tables, summary.html) are
rebuilt from the logs at the end and written atomically (temporary name, then rename).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from gongkai.batch.worker import REPORT, Record

REPORTS = "reports.jsonl"
ERRORS = "errors.jsonl"
MANIFEST = "manifest.jsonl"
# Logs are fsynced at most this often (seconds) and on close; every line is flushed at once.
FSYNC_INTERVAL_S = 2.0


def _cut_partial_line(path: Path) -> int:
    """Truncate ``path`` after its last newline; returns the bytes removed (a line cut by a kill)."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb+") as f:
        block = 1 << 16
        end = size
        while end > 0:
            start = max(0, end - block)
            f.seek(start)
            chunk = f.read(end - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
        if keep < size:
            f.truncate(keep)
        return size - keep


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The complete lines of a JSONL log (streamed: a log may be far bigger than memory)."""
    if not path.exists():
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.endswith("\n") and line.strip():
                yield json.loads(line)


def _logged(out: Path) -> Iterator[tuple[str, str, str]]:
    """(input, sha256, status) of every complete record in the two data logs."""
    for line in iter_jsonl(out / REPORTS):
        yield line["source"]["path"], line["source"]["sha256"], REPORT
    for line in iter_jsonl(out / ERRORS):
        yield line["file"], line["sha256"], line["status"]


@dataclass
class Store:
    out: Path
    # Inputs already done, by name, and the content hashes seen (for duplicates).
    done_names: set[str] = field(default_factory=set)
    done_hashes: dict[str, str] = field(default_factory=dict)
    recovered: int = 0
    _files: dict[str, IO[str]] = field(default_factory=dict)
    _synced: float = 0.0

    @classmethod
    def open(cls, out: Path) -> Store:
        """Open (or create) an output folder, repairing what a killed run left."""
        out.mkdir(parents=True, exist_ok=True)
        store = cls(out)
        for name in (REPORTS, ERRORS, MANIFEST):
            _cut_partial_line(out / name)
        for entry in iter_jsonl(out / MANIFEST):
            store._remember(entry["input"], entry["sha256"], entry.get("of") or entry["input"])
        missing: list[dict[str, Any]] = []
        for name, digest, status in _logged(out):
            if name not in store.done_names:
                missing.append({"input": name, "sha256": digest, "status": status})
                store._remember(name, digest, name)
        store._files = {name: open(out / name, "a", encoding="utf-8") for name in (REPORTS, ERRORS, MANIFEST)}
        for entry in missing:  # in a log but not in the manifest: killed between the two writes
            store._append(MANIFEST, entry)
        store.recovered = len(missing)
        return store

    def _remember(self, name: str, digest: str, first: str) -> None:
        self.done_names.add(name)
        self.done_hashes.setdefault(digest, first)

    def _append(self, log: str, obj: dict[str, Any] | str) -> None:
        """Write one whole line (an object, or JSON already serialised) and hand it to the OS (a
        killed process loses nothing handed over); fsync now and then, for a machine that loses power."""
        f = self._files[log]
        f.write((obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)) + "\n")
        f.flush()
        now = time.monotonic()
        if now - self._synced > FSYNC_INTERVAL_S:
            for handle in self._files.values():
                os.fsync(handle.fileno())
            self._synced = now

    def write(self, record: Record) -> None:
        """Log one finished input: its data line first, then its manifest entry."""
        if record.status == REPORT:
            assert record.report_json is not None
            self._append(REPORTS, record.report_json)
        else:
            self._append(ERRORS, record.error_line())
        self._append(MANIFEST, {"input": record.input, "sha256": record.sha256, "status": record.status})
        self._remember(record.input, record.sha256, record.input)

    def write_duplicate(self, name: str, digest: str) -> None:
        """An input whose bytes were already processed under another name: noted, not redone."""
        first = self.done_hashes[digest]
        self._append(MANIFEST, {"input": name, "sha256": digest, "status": "duplicate", "of": first})
        self.done_names.add(name)

    def close(self) -> None:
        for f in self._files.values():
            f.flush()
            os.fsync(f.fileno())
            f.close()
        self._files = {}


def forget(out: Path, names: set[str]) -> int:
    """Take inputs out of a closed output folder so that the next run does them again (e.g. once new
    corrections apply to them); returns the report lines removed.

    The manifest goes first: killed between the two rewrites, the report line is still in its log,
    ``Store.open`` enters it in the manifest again, and the run that asked for the redo asks again.
    Duplicates noted of a forgotten input are forgotten with it (they are noted again).
    """
    if not names:
        return 0
    _rewrite_jsonl(out / MANIFEST, lambda e: e["input"] not in names and e.get("of") not in names)
    return _rewrite_jsonl(out / REPORTS, lambda r: r["source"]["path"] not in names)


def _rewrite_jsonl(path: Path, keep: Callable[[dict[str, Any]], bool]) -> int:
    """Rewrite a log with the lines ``keep`` accepts (streamed to a temporary file, then renamed)."""
    if not path.exists():
        return 0
    tmp = path.with_name(f".{path.name}.tmp")
    dropped = 0
    with open(path, encoding="utf-8") as src, open(tmp, "w", encoding="utf-8") as dst:
        for line in src:
            if not line.strip():
                continue
            if keep(json.loads(line)):
                dst.write(line)
            else:
                dropped += 1
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, path)
    return dropped


def atomic_write(path: Path, data: bytes) -> None:
    """Write a whole file so that readers see either the old one or the new one, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
