"""Tidy tables derived from ``reports.jsonl``: cells, sentences and findings as parquet.

Streamed: reports are read one line at a time and written in row groups, so a batch of any
size derives its tables in bounded memory. A fresh batch does not read its log again: each
worker derives its report's rows (``report_rows``, in parallel) and the runner's ``Deriver``
appends them as records arrive; a resumed batch derives from the logs at the end (``derive``),
which gives the same tables. Cross-year findings (``year.carry_over``,
``year.in_force_change``, ``year.requests_jump``) need every report's year ends at once; those
(a few cells and one boolean per report, ``YearEnds``) are all that is kept.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
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


@dataclass
class ReportRows:
    """One report's rows of the three tables (tuples in ``COLUMNS`` order) and its year ends."""

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    year_end: YearEnds | None = None
    common: dict[str, Any] = field(default_factory=dict)


ROW_MAKERS = {"cells.parquet": cell_rows, "sentences.parquet": sentence_rows, "findings.parquet": finding_rows}


def table_rows(name: str, report: dict[str, Any]) -> list[tuple[Any, ...]]:
    take = _TAKE[name]  # every maker yields every column: itemgetter is 5x a generator of .get
    return [take(row) for row in ROW_MAKERS[name](report)]


def report_rows(report: dict[str, Any]) -> ReportRows:
    """What the tables take from one report (computed where the report is: in a worker)."""
    return ReportRows({name: table_rows(name, report) for name in ROW_MAKERS}, year_ends(report), _common(report))


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

    def add_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """Rows as tuples in the schema's column order."""
        if not rows:
            return
        for column, values in zip(self.columns.values(), zip(*rows)):
            column.extend(values)
        self.pending += len(rows)
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


COMMON = (("input", "string"), ("sha256", "string"), ("agency", "string"), ("year", "int64"))
# Each table's columns and their arrow types, in order: the worker's row tuples follow it.
TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    CELLS: (*COMMON, ("table", "string"), ("row", "string"), ("column", "string"), ("value", "float64"),
            ("confidence", "float64"), ("page", "int64"), ("raw", "string")),
    SENTENCES: (*COMMON, ("id", "int64"), ("section", "string"), ("heading", "string"), ("text", "string"),
                ("start", "int64"), ("end", "int64"), ("labels", "string"),
                *((f"score_{label}", "float64") for label in LABELS)),
    FINDINGS: (*COMMON, ("rule", "string"), ("severity", "string"), ("message", "string"), ("cells", "string"),
               ("suspect", "string"), ("expected", "float64"), ("observed", "float64")),
}
COLUMNS: dict[str, tuple[str, ...]] = {name: tuple(c for c, _ in cols) for name, cols in TYPES.items()}
_TAKE = {name: operator.itemgetter(*columns) for name, columns in COLUMNS.items()}


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    return {name: pa.schema([(c, getattr(pa, t)()) for c, t in cols]) for name, cols in TYPES.items()}


class Deriver:
    """The three tables written as reports arrive (``ReportRows`` from the workers), closed at the end."""

    def __init__(self, out: Path) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            from gongkai.errors import MissingDependencyError

            raise MissingDependencyError("parquet outputs need pyarrow: pip install pyarrow") from exc
        self.writers = {name: _ParquetOut(out / name, schema) for name, schema in _schemas().items()}
        self.ends: list[YearEnds] = []
        self.meta: dict[str, dict[str, Any]] = {}

    def add(self, rows: ReportRows) -> None:
        for name, table in rows.rows.items():
            self.writers[name].add_rows(table)
        if rows.year_end is not None:
            self.ends.append(rows.year_end)
            self.meta[rows.common["input"]] = rows.common

    def abandon(self) -> None:
        """A run stopped before its end: no table is put in place (the next run derives them from the logs)."""
        for writer in self.writers.values():
            writer.writer.close()
            writer.tmp.unlink(missing_ok=True)

    def close(self) -> dict[str, int]:
        """Add the batch's cross-year findings, put the files in place; returns row counts."""
        for finding in carry_over_findings_of(self.ends):
            common = self.meta[finding["reports"][0]]
            self.writers[FINDINGS].add({**common, "rule": finding["rule"], "severity": finding["severity"],
                                        "message": finding["message"], "cells": ",".join(finding["cells"]),
                                        "expected": finding["expected"], "observed": finding["observed"]})
        return {name: writer.close() for name, writer in self.writers.items()}


def derive(out: Path) -> dict[str, int]:
    """Write the three parquet tables from the logs (with the batch's cross-year findings); returns row counts."""
    deriver = Deriver(out)
    for report in iter_jsonl(out / REPORTS):
        deriver.add(report_rows(report))
    return deriver.close()


__all__ = ["CELLS", "FINDINGS", "SENTENCES", "Deriver", "ReportRows", "derive", "iter_cells", "report_rows"]
