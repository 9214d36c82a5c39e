"""What a review page must draw for a report, computed from the template module (not from the page's code)."""

from __future__ import annotations

from typing import Any

from gongkai.inference.tables import template as T
from gongkai.report import Cell, Report

# The colour buckets the README's legend promises: lowest confidence in the bucket, CSS class.
BUCKETS = ((0.99, "q-sure"), (0.9, "q-high"), (0.5, "q-mid"), (0.0, "q-low"))


def expected_cells(report: Report) -> dict[str, Cell | None]:
    """Every cell the report's template prints, by dotted path (2019 表二: ``proactive_2019.<row>.<column>``)."""
    version = report.format_version if report.format_version in ("2021", "2019") else "2021"
    single = version == "2019" or any(c.value is not None for _, c in report.requests.other_processing.cells())
    cells: dict[str, Cell | None] = {p: c for p, c in report.table_cells() if T.applicable(p, version, single)}
    if version == "2019":
        rows = dict(T.PROACTIVE_ROWS_2019)
        rows.update({label: tuple(cols) for label, cols in report.proactive_2019.items() if label not in rows})
        for row, cols in rows.items():
            for col in cols:
                cells[f"proactive_2019.{row}.{col}"] = report.proactive_2019.get(row, {}).get(col)
    return cells


def shown(value: Any) -> str:
    return "" if value is None else str(value)


def bucket(confidence: float) -> str:
    return next(css for lowest, css in BUCKETS if confidence >= lowest)
