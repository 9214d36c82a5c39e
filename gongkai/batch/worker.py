"""One input in, one record out: what a batch worker does, the same in a process pool or on Dask.

A record is plain data (picklable, JSON-ready): the report's schema dict, or an error with a
reason a person can act on and a digest of the traceback (so that thousands of identical
failures group together in ``errors.jsonl``). Nothing a bad input does escapes as an
exception: a batch never stops for one file.
"""

from __future__ import annotations

import hashlib
import json
import os
import traceback
from dataclasses import dataclass, field
from typing import Any

from gongkai.annotations.corrections import Corrections, apply_corrections, load_corrections
from gongkai.errors import GongkaiError
from gongkai.inference.readers.timeout import FileTimeout, time_limit

# One file may take this long (seconds) before it becomes an error line.
FILE_TIME_LIMIT_S = 300.0
NOT_A_REPORT = "not a 政府信息公开工作年度报告"

REPORT, ERROR, SKIPPED, DUPLICATE = "report", "error", "skipped", "duplicate"


@dataclass
class Options:
    """How each input is processed; the same for every worker of a run."""

    classify: bool = True
    classifier: str | None = None
    sentences: bool = True
    include_text: bool = False
    time_limit: float = FILE_TIME_LIMIT_S
    corrections: str | None = None  # a corrections.jsonl applied to every report (by its sha256)
    review: bool = False  # also draw each report's review page (gongkai.review); the runner writes it
    # Label sentences with one classifier in the runner, pooled across reports (gongkai.batch.tagging);
    # False: each worker labels its own reports' sentences (the way before; a benchmark's baseline).
    pooled: bool = True
    # Distinct sentences whose scores the runner keeps for repeats within the batch (0: none kept).
    sentence_cache: int = 200_000
    # Derive the report's parquet rows here (gongkai.batch.derived.report_rows), in parallel; the runner
    # sets it on a fresh batch, whose tables it writes as records arrive.
    rows: bool = False
    device: str = "auto"  # where the transformer classifier runs (gongkai.inference.narrative.classify.DEVICES)


@dataclass
class Record:
    input: str
    sha256: str
    status: str  # report / error / skipped / duplicate
    # The report as one schema-v1 JSON line (without a newline).
    report_json: str | None = None
    reason: str | None = None
    code: str | None = None
    traceback_digest: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The report's review page (Options.review), written by the runner to <out>/review/ before the record.
    review_html: str | None = None
    rows: Any = None  # the report's table rows (gongkai.batch.derived.ReportRows) when Options.rows

    def error_line(self) -> dict[str, Any]:
        return {"file": self.input, "sha256": self.sha256, "status": self.status, "code": self.code,
                "reason": self.reason, "traceback_digest": self.traceback_digest}


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest(exc: BaseException) -> str:
    """Where it failed, not what it said: the same bug in many files shares one digest."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = "|".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.name}:{f.lineno}" for f in frames[-6:])
    return hashlib.sha256(f"{type(exc).__name__}|{where}".encode()).hexdigest()[:12]


def _corrections(path: str) -> Corrections:
    """The corrections file, read once per worker and again only when it changes on disk."""
    try:
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = (path, 0, 0)
    if _CORRECTIONS_CACHE.get("key") != key:
        _CORRECTIONS_CACHE.update(key=key, value=load_corrections(path))
    return _CORRECTIONS_CACHE["value"]  # type: ignore[no-any-return]


_CORRECTIONS_CACHE: dict[str, object] = {}


def _review_page(report: Any, data: bytes) -> str | None:
    """The report's review page; a page that cannot be drawn costs a warning in the report, never the report."""
    from gongkai.review import render_review

    try:
        return render_review(report, data)
    except Exception as exc:  # a bug of ours or a drawing library's error: the extraction stands
        report.warnings.append(f"review page not written ({type(exc).__name__}: {exc})")
        return None


def process(name: str, data: bytes, options: Options, sha256: str | None = None) -> Record:
    """Extract one input; every failure becomes a record with a reason."""
    from gongkai.inference.pipeline import add_sentences, extract

    digest = sha256 or sha256_of(data)
    try:
        with time_limit(options.time_limit, FileTimeout):
            report = extract(data, path=name, sentences=False)
            if report.format_version == "unknown" and any(NOT_A_REPORT in w for w in report.warnings):
                return Record(name, digest, SKIPPED, reason=f"{NOT_A_REPORT}: no template table and no disclosure "
                              "wording (a budget, a notice, another kind of page?)", code="S001")
            if options.sentences:
                add_sentences(report, options.classify, options.classifier)
            if options.corrections:
                apply_corrections(report, _corrections(options.corrections))
            page = _review_page(report, data) if options.review else None
        # Serialised (and the table rows derived) here, in the worker: the runner only appends them.
        data = report.to_dict(include_text=options.include_text)
        rows = None
        if options.rows:
            from gongkai.batch.derived import report_rows

            rows = report_rows(data)
        return Record(name, digest, REPORT, report_json=json.dumps(data, ensure_ascii=False), review_html=page,
                      rows=rows)
    except FileTimeout:
        return Record(name, digest, ERROR, reason=f"took longer than {options.time_limit:g} s (per-file time limit)",
                      code="T001")
    except GongkaiError as exc:
        return Record(name, digest, ERROR, reason=str(exc), code=exc.code)
    except MemoryError as exc:
        return Record(name, digest, ERROR, reason="ran out of memory", code="E999", traceback_digest=_digest(exc))
    except Exception as exc:  # a bug of ours on some input: recorded, never fatal to the batch
        return Record(name, digest, ERROR, reason=f"internal error: {type(exc).__name__}: {exc}", code="E999",
                      traceback_digest=_digest(exc))
