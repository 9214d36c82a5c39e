"""Gold values for the table cells of the seed reports.

Each JSON file under ``seeds/`` holds, for one source report, the correct value of every
table cell of 表二/表三/表四, keyed by the dotted paths of ``Report().table_cells()``.
Gold holds numbers (facts), never text copied from the report: the source is referred to
only by its file name (``doc``) and the SHA-256 of its bytes (``sha256``).  A value is
``None`` where the cell is blank or absent in the source; values are kept as printed,
even where the report's own sums disagree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from gongkai.report import Report

GOLD_DIR: Path = Path(__file__).resolve().parent


@dataclass(frozen=True)
class TableGold:
    doc: str
    sha256: str
    format_version: str
    agency: str
    year: int | None
    cells: dict[str, int | float | None]
    notes: str = ""


def load_gold(path: Path) -> TableGold:
    """Read one gold JSON file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return TableGold(
        doc=data["doc"],
        sha256=data["sha256"],
        format_version=data["format_version"],
        agency=data["agency"],
        year=data["year"],
        cells=dict(data["cells"]),
        notes=data.get("notes", ""),
    )


def seed_gold() -> list[TableGold]:
    """Gold for every seed report, sorted by file name."""
    return [load_gold(p) for p in sorted((GOLD_DIR / "seeds").glob("*.json"))]


def corpus_gold() -> list[TableGold]:
    """Gold for the real-corpus reports that have it (``corpus/``), sorted by file name."""
    return [load_gold(p) for p in sorted((GOLD_DIR / "corpus").glob("*.json"))]


def cells_read_wrong(report: Report, gold: TableGold) -> list[tuple[str, float | None, float | None]]:
    """(path, read, gold) of every template cell whose value differs from the gold (null = null)."""
    wrong: list[tuple[str, float | None, float | None]] = []
    for path, cell in report.table_cells():
        truth = gold.cells[path]
        same = cell.value == truth or (cell.value is not None and truth is not None
                                       and math.isclose(cell.value, truth))
        if not same:
            wrong.append((path, cell.value, truth))
    return wrong
