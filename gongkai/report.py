"""The one report model that every stage fills in; its ``to_dict`` is schema version 1.

Keys follow ``shared/spec/schema.md`` exactly: users' scripts read them, so a rename
is a breaking change and must bump ``SCHEMA_VERSION``.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "1"

Number = int | float


@dataclass
class Cell:
    """One value read from the source, with how sure we are and where it came from."""

    value: Any = None
    confidence: float = 0.0
    span: tuple[int, int] | None = None
    page: int | None = None
    raw: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    corrected: bool = False  # a reviewer's correction set the value (gongkai.annotations.corrections)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": self.value,
            "confidence": round(float(self.confidence), 4),
            "span": list(self.span) if self.span is not None else None,
            "page": self.page,
            "raw": self.raw,
        }
        if self.bbox is not None:
            out["bbox"] = list(self.bbox)
        if self.corrected:
            out["corrected"] = True
        return out


# A report-level field (agency, year) has exactly the shape of a cell.
Field = Cell


def _cells_to_dict(obj: Any) -> Any:
    if isinstance(obj, Cell):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj):
        return {f.name: _cells_to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: _cells_to_dict(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_cells_to_dict(v) for v in obj]
    return obj


class _CellGroup:
    """Mixin for table dataclasses: iterate cells by dotted path, fetch by path."""

    def cells(self, prefix: str = "") -> Iterator[tuple[str, Cell]]:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            path = f"{prefix}.{f.name}" if prefix else f.name
            if isinstance(value, Cell):
                yield path, value
            elif isinstance(value, _CellGroup):
                yield from value.cells(path)

    def get(self, path: str) -> Cell:
        obj: Any = self
        for part in path.split("."):
            obj = getattr(obj, part, None)
        if not isinstance(obj, Cell):
            raise KeyError(path)
        return obj

    def to_dict(self) -> dict[str, Any]:
        return _cells_to_dict(self)


# ---------------------------------------------------------------- 表二 (2021)
@dataclass
class DocumentCounts(_CellGroup):
    issued: Cell = field(default_factory=Cell)
    repealed: Cell = field(default_factory=Cell)
    in_force: Cell = field(default_factory=Cell)


@dataclass
class ProactiveTable(_CellGroup):
    regulations: DocumentCounts = field(default_factory=DocumentCounts)
    normative_documents: DocumentCounts = field(default_factory=DocumentCounts)
    licensing: Cell = field(default_factory=Cell)
    punishment: Cell = field(default_factory=Cell)
    coercion: Cell = field(default_factory=Cell)
    fees_wan_yuan: Cell = field(default_factory=Cell)


# ---------------------------------------------------------------- 表三
@dataclass
class ApplicantColumns(_CellGroup):
    natural_person: Cell = field(default_factory=Cell)
    commercial: Cell = field(default_factory=Cell)
    research: Cell = field(default_factory=Cell)
    social_welfare: Cell = field(default_factory=Cell)
    legal_service: Cell = field(default_factory=Cell)
    other: Cell = field(default_factory=Cell)
    total: Cell = field(default_factory=Cell)


def _row() -> ApplicantColumns:
    return ApplicantColumns()


@dataclass
class RequestsTable(_CellGroup):
    new_received: ApplicantColumns = field(default_factory=_row)
    carried_over: ApplicantColumns = field(default_factory=_row)
    granted: ApplicantColumns = field(default_factory=_row)
    partially_granted: ApplicantColumns = field(default_factory=_row)
    denied_state_secret: ApplicantColumns = field(default_factory=_row)
    denied_prohibited_by_law: ApplicantColumns = field(default_factory=_row)
    denied_three_safeties: ApplicantColumns = field(default_factory=_row)
    denied_third_party: ApplicantColumns = field(default_factory=_row)
    denied_internal_affairs: ApplicantColumns = field(default_factory=_row)
    denied_process_info: ApplicantColumns = field(default_factory=_row)
    denied_enforcement_files: ApplicantColumns = field(default_factory=_row)
    denied_administrative_query: ApplicantColumns = field(default_factory=_row)
    unable_not_held: ApplicantColumns = field(default_factory=_row)
    unable_needs_creation: ApplicantColumns = field(default_factory=_row)
    unable_unclear: ApplicantColumns = field(default_factory=_row)
    not_processed_petition: ApplicantColumns = field(default_factory=_row)
    not_processed_repeated: ApplicantColumns = field(default_factory=_row)
    not_processed_publications: ApplicantColumns = field(default_factory=_row)
    not_processed_massive: ApplicantColumns = field(default_factory=_row)
    not_processed_confirm: ApplicantColumns = field(default_factory=_row)
    other_overdue_correction: ApplicantColumns = field(default_factory=_row)
    other_overdue_fee: ApplicantColumns = field(default_factory=_row)
    other_other: ApplicantColumns = field(default_factory=_row)
    other_processing: ApplicantColumns = field(default_factory=_row)
    total: ApplicantColumns = field(default_factory=_row)
    carried_forward: ApplicantColumns = field(default_factory=_row)


# ---------------------------------------------------------------- 表四
@dataclass
class AppealOutcomes(_CellGroup):
    upheld: Cell = field(default_factory=Cell)
    corrected: Cell = field(default_factory=Cell)
    other: Cell = field(default_factory=Cell)
    pending: Cell = field(default_factory=Cell)
    total: Cell = field(default_factory=Cell)


@dataclass
class AppealsTable(_CellGroup):
    review: AppealOutcomes = field(default_factory=AppealOutcomes)
    litigation_direct: AppealOutcomes = field(default_factory=AppealOutcomes)
    litigation_after_review: AppealOutcomes = field(default_factory=AppealOutcomes)


# ---------------------------------------------------------------- report
@dataclass
class Source:
    path: str | None = None
    sha256: str = ""
    media_type: str = "text/plain"
    pages: int | None = None


@dataclass
class Section:
    """A numbered section heading (一、… or （四）…) and the text range it governs."""

    number: str
    heading: str
    span: tuple[int, int]
    level: int
    path: str


@dataclass
class Report:
    source: Source = field(default_factory=Source)
    format_version: str = "unknown"
    agency: Cell = field(default_factory=Cell)
    year: Cell = field(default_factory=Cell)
    text: str = ""
    proactive: ProactiveTable = field(default_factory=ProactiveTable)
    proactive_2019: dict[str, dict[str, Cell]] = field(default_factory=dict)
    requests: RequestsTable = field(default_factory=RequestsTable)
    appeals: AppealsTable = field(default_factory=AppealsTable)
    sections: list[Section] = field(default_factory=list)
    sentences: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    confidence: float = 0.0
    warnings: list[str] = field(default_factory=list)
    schema_version: str = SCHEMA_VERSION

    def table_cells(self) -> Iterator[tuple[str, Cell]]:
        """Every template cell of 表二/三/四 with its dotted schema path."""
        for path, get in _TABLE_PATHS:
            yield path, get(self)

    def cell(self, path: str) -> Cell:
        """The cell at a dotted schema path such as ``requests.total.research``."""
        head, _, rest = path.partition(".")
        table = {"proactive": self.proactive, "requests": self.requests, "appeals": self.appeals}
        if head not in table:
            raise KeyError(path)
        return table[head].get(rest)

    def to_dict(self, include_text: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema_version": self.schema_version,
            "source": dataclasses.asdict(self.source),
            "format_version": self.format_version,
            "agency": self.agency.to_dict(),
            "year": self.year.to_dict(),
        }
        if include_text:
            out["text"] = self.text
        out.update(
            {
                "proactive": self.proactive.to_dict(),
                "proactive_2019": _cells_to_dict(self.proactive_2019),
                "requests": self.requests.to_dict(),
                "appeals": self.appeals.to_dict(),
                "sections": [
                    {"number": s.number, "heading": s.heading, "span": list(s.span),
                     "level": s.level, "path": s.path}
                    for s in self.sections
                ],
                "sentences": self.sentences,
                "claims": self.claims,
                "findings": self.findings,
                "confidence": round(float(self.confidence), 4),
                "warnings": list(self.warnings),
            }
        )
        return out

    def to_json(self, include_text: bool = True, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(include_text=include_text), ensure_ascii=False, indent=indent)

    def frame(self, table: str, attribute: str = "value") -> Any:
        """表二/三/四 (``proactive``/``requests``/``appeals``) as a pandas DataFrame: template rows by columns.

        ``attribute``: any ``Cell`` field (``confidence``, ``page``, ``raw`` …). A one-value row
        (``proactive.licensing``) fills the column ``value``. Needs pandas (the ``ml`` extra has it).
        """
        if table not in FRAME_TABLES:
            raise KeyError(f"{table!r}: expected one of {', '.join(FRAME_TABLES)}")
        try:
            import pandas as pd
        except ImportError as exc:
            from gongkai.errors import MissingDependencyError

            raise MissingDependencyError("Report.frame needs pandas: pip install pandas") from exc
        rows: dict[str, dict[str, Any]] = {}
        for path, cell in getattr(self, table).cells():
            row, _, column = path.partition(".")
            rows.setdefault(row, {})[column or "value"] = getattr(cell, attribute)
        return pd.DataFrame.from_dict(rows, orient="index")


FRAME_TABLES = ("proactive", "requests", "appeals")


def _table_paths() -> tuple[tuple[str, operator.attrgetter[Any]], ...]:
    blank = Report()
    paths = [
        *blank.proactive.cells("proactive"), *blank.requests.cells("requests"), *blank.appeals.cells("appeals"),
    ]
    return tuple((path, operator.attrgetter(path)) for path, _ in paths)


# The template's cell paths never change: computed once (a dotted attrgetter each, the fastest
# walk: every extraction visits every cell several times), walked by ``Report.table_cells``.
_TABLE_PATHS = _table_paths()
