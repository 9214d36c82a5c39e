"""Tidy tables derived from ``reports.jsonl``: cells, sentences and findings as parquet.

Streamed: reports are read one line at a time and written in row groups, so a batch of any
size derives its tables in bounded memory. Cross-year findings (``year.carry_over``,
``year.in_force_change``, ``year.requests_jump``) need every report's year ends at once; those
(a few cells and one boolean per report, ``YearEnds``) are all that is kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gongkai.batch.store import REPORTS, iter_jsonl
from gongkai.inference.checks.reconcile import (
    STOCK_CELLS,
    STOCK_KINDS,
    YearEnds,
    carry_over_findings_of,
    explains_change,
)
from gongkai.inference.narrative.classify import LABELS
from gongkai.inference.tables.template import REQUEST_COLUMNS
from gongkai.report import Cell

CELLS, SENTENCES, FINDINGS = "cells.parquet", "sentences.parquet", "findings.parquet"
ROW_GROUP = 20_000
TABLES = ("proactive", "proactive_2019", "requests", "appeals")


def _is_cell(obj: Any) -> bool:
    return isinstance(obj, dict) and "value" in obj and "confidence" in obj


def iter_cells(report: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(table, row, column, cell) for every cell of a report's tables; a one-value row has column ""."""
    for table in TABLES:
        for row, content in (report.get(table) or {}).items():
            if _is_cell(content):
                yield table, row, "", content
            elif isinstance(content, dict):
                for column, cell in content.items():
                    if _is_cell(cell):
                        yield table, row, column, cell


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _common(report: dict[str, Any]) -> dict[str, Any]:
    return {"input": report["source"]["path"], "sha256": report["source"]["sha256"],
            "agency": report["agency"]["value"], "year": report["year"]["value"]}


def cell_rows(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    common = _common(report)
    for table, row, column, cell in iter_cells(report):
        yield {**common, "table": table, "row": row, "column": column, "value": _number(cell["value"]),
               "confidence": float(cell["confidence"]), "page": cell.get("page"), "raw": cell.get("raw")}


def sentence_rows(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    common = _common(report)
    for s in report.get("sentences") or []:
        scores = s.get("scores") or {}
        yield {**common, "id": s["id"], "section": s.get("section"), "heading": s.get("heading"), "text": s["text"],
               "start": s["span"][0], "end": s["span"][1], "labels": ",".join(s.get("labels") or []),
               **{f"score_{label}": scores.get(label) for label in LABELS}}


def finding_rows(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    common = _common(report)
    for f in report.get("findings") or []:
        yield {**common, "rule": f["rule"], "severity": f["severity"], "message": f["message"],
               "cells": ",".join(f.get("cells") or []), "suspect": f.get("suspect"),
               "expected": _number(f.get("expected")), "observed": _number(f.get("observed"))}


def _cell(cell: Any) -> Cell:
    """A schema cell dict back as a ``Cell`` (value, confidence, span: what the cross-year rules read)."""
    cell = cell if isinstance(cell, dict) else {}
    span = tuple(cell["span"]) if cell.get("span") else None
    return Cell(cell.get("value"), float(cell.get("confidence", 0.0)), span)


def year_ends(report: dict[str, Any]) -> YearEnds | None:
    """``YearEnds.of`` for a report's schema dict; without ``text`` (the batch default) the prose is its sentences."""
    agency, year = report["agency"]["value"], report["year"]["value"]
    if not agency or not isinstance(year, int) or report["format_version"] == "unknown":
        return None
    requests, proactive = report.get("requests") or {}, report.get("proactive") or {}

    def row(name: str) -> dict[str, Cell]:
        cells = requests.get(name) or {}
        return {c: _cell(cells.get(c)) for c in REQUEST_COLUMNS}

    stock = {f"{k}.{c}": _cell((proactive.get(k) or {}).get(c)) for k in STOCK_KINDS for c in STOCK_CELLS}
    prose = report.get("text") or " ".join(str(s.get("text", "")) for s in report.get("sentences") or [])
    return YearEnds(str(agency), year, report["source"]["path"], row("carried_over"), row("carried_forward"),
                    report["format_version"], stock, _cell((requests.get("new_received") or {}).get("total")),
                    explains_change(prose) if prose else None)


class _ParquetOut:
    """Rows in, row groups out, the file renamed into place when complete."""

    def __init__(self, path: Path, schema: Any) -> None:
        import pyarrow.parquet as pq

        self.path, self.tmp, self.schema = path, path.with_name(f".{path.name}.tmp"), schema
        self.writer = pq.ParquetWriter(self.tmp, schema)
        # Kept by column: building a table from lists is about 3x faster than from row dicts.
        self.columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        self.pending = 0
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        for name, column in self.columns.items():
            column.append(row.get(name))
        self.pending += 1
        if self.pending >= ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.pending:
            self.writer.write_table(pa.table(self.columns, schema=self.schema))
            self.count += self.pending
            self.pending = 0
            self.columns = {name: [] for name in self.columns}

    def close(self) -> int:
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.path)
        return self.count


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    common = [("input", pa.string()), ("sha256", pa.string()), ("agency", pa.string()), ("year", pa.int64())]
    return {
        CELLS: pa.schema(common + [("table", pa.string()), ("row", pa.string()), ("column", pa.string()),
                                   ("value", pa.float64()), ("confidence", pa.float64()), ("page", pa.int64()),
                                   ("raw", pa.string())]),
        SENTENCES: pa.schema(common + [("id", pa.int64()), ("section", pa.string()), ("heading", pa.string()),
                                       ("text", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                                       ("labels", pa.string())]
                             + [(f"score_{label}", pa.float64()) for label in LABELS]),
        FINDINGS: pa.schema(common + [("rule", pa.string()), ("severity", pa.string()), ("message", pa.string()),
                                      ("cells", pa.string()), ("suspect", pa.string()),
                                      ("expected", pa.float64()),
                                      ("observed", pa.float64())]),
    }


def derive(out: Path) -> dict[str, int]:
    """Write the three parquet tables (with the batch's cross-year findings); returns row counts."""
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        from gongkai.errors import MissingDependencyError

        raise MissingDependencyError("parquet outputs need pyarrow: pip install pyarrow") from exc
    schemas = _schemas()
    writers = {name: _ParquetOut(out / name, schema) for name, schema in schemas.items()}
    ends: list[YearEnds] = []
    meta: dict[str, dict[str, Any]] = {}
    for report in iter_jsonl(out / REPORTS):
        for row in cell_rows(report):
            writers[CELLS].add(row)
        for row in sentence_rows(report):
            writers[SENTENCES].add(row)
        for row in finding_rows(report):
            writers[FINDINGS].add(row)
        end = year_ends(report)
        if end is not None:
            ends.append(end)
            meta[report["source"]["path"]] = _common(report)
    for finding in carry_over_findings_of(ends):
        common = meta[finding["reports"][0]]
        writers[FINDINGS].add({**common, "rule": finding["rule"], "severity": finding["severity"],
                               "message": finding["message"], "cells": ",".join(finding["cells"]),
                               "expected": finding["expected"], "observed": finding["observed"]})
    return {name: writer.close() for name, writer in writers.items()}


__all__ = ["CELLS", "FINDINGS", "SENTENCES", "derive", "iter_cells"]
