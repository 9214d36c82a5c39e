"""``extract``: source → Document → Report, each stage adding to the one report model."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from gongkai.annotations.corrections import Corrections, apply_corrections, as_corrections
from gongkai.errors import (
    GongkaiError,
    InputNotFoundError,
    InputTooLargeError,
    TimeLimitError,
)
from gongkai.inference.checks.claims import find_claims
from gongkai.inference.checks.reconcile import reconcile
from gongkai.inference.document import Document
from gongkai.inference.fields import find_agency_and_year, find_sections, template_from_wording
from gongkai.inference.narrative.classify import tag_with_fallback
from gongkai.inference.narrative.sentences import segment
from gongkai.inference.readers import read_bytes
from gongkai.inference.readers.timeout import FileTimeout
from gongkai.inference.readers.timeout import time_limit as file_time_limit
from gongkai.inference.readings import read_tables_both_ways
from gongkai.inference.tables.confidence import OCR_DOUBTFUL_CONFIDENCE, cell_confidence, with_read_score
from gongkai.inference.tables.read import Evidence, TableRead
from gongkai.inference.tables.template import applicable
from gongkai.limits import Limits, current_limits, limits_in_force
from gongkai.report import Cell, Report, Source

# Confidence of a cell that the template version does not have (its null is certain).
NOT_APPLICABLE_CONFIDENCE = 0.99
# A str shorter than this, on one line, with one of these suffixes, is taken for a path.
PATH_MAX_CHARS = 1024
DOCUMENT_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".docx", ".doc", ".pdf", ".png", ".jpg", ".tif"})
# Confidence that a cell the template lacks is empty, when the table lost rows (its version was a guess).
INCOMPLETE_NOT_APPLICABLE = 0.5
# Cells read in template order because no row label matched (structure lost).
ORDER_FALLBACK_CONFIDENCE = 0.6
# template_from_wording's confidence from which it names the template when 表二's header was not read.
WORDING_DECIDES_TEMPLATE = 0.8
# Words every disclosure report prints somewhere; without any of them it is another kind of document.
REPORT_MARKERS = ("政府信息公开", "政务公开", "信息公开")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")

Source_ = str | bytes | os.PathLike[str]


def extract(source: Source_, *, path: str | None = None, checks: bool = True, sentences: bool = True,
            classify: bool = True, classifier: str | None = None, time_limit: float | None = None,
            limits: Limits | None = None, corrections: Corrections | str | os.PathLike[str] | None = None) -> Report:
    """Read one report and return its tables, fields and warnings.

    ``source`` is a file path (``str`` or ``Path``), the file's ``bytes``, or the report's
    text as ``str`` (a ``str`` naming an existing file is read as that file). ``path`` names
    the source in ``Report.source.path`` when bytes or text are given. ``checks=False`` skips
    the prose claims and the reconciler. ``sentences=False`` skips the narrative sentences
    altogether (with ``checks=False``: tables and fields only, fastest); ``classify=False``
    keeps them but leaves their ``scores`` null (no model is loaded); ``classifier`` names a
    shipped classifier (``"blend-bf16"``, the default; ``"blend"``, its float32 twin;
    ``"transformer"``; ``"tfidf"``: fastest) or a classifier directory.
    ``time_limit`` (seconds; off by default, on in ``gongkai batch``) stops the whole extraction
    with ``TimeLimitError`` [T001] however the time is spent (reading, OCR, the classifier).
    ``limits`` overrides the resource limits (``gongkai.limits.Limits``: input and inflated
    bytes, pixels, pages, OCR pages, characters segmented, table cells) for this call.
    ``corrections`` (a ``corrections.jsonl`` path or loaded ``Corrections``) applies reviewers'
    decisions for this document (matched by the sha256 of its bytes): corrected cells take the
    reviewed value at confidence 1.0 with ``corrected: true`` and the reconciler re-runs;
    a correction matching no cell is reported in ``warnings``.
    Raises ``GongkaiError`` subclasses for input that cannot be read at all (empty, binary,
    corrupt); anything readable yields a report, with warnings where it is incomplete.
    """
    reviewed = as_corrections(corrections)  # a malformed file fails before any work
    try:
        with limits_in_force(limits):
            if time_limit is None:
                report = _extract(source, path, checks, sentences, classify, classifier)
            else:
                with file_time_limit(time_limit, FileTimeout):
                    report = _extract(source, path, checks, sentences, classify, classifier)
        if reviewed is not None:
            apply_corrections(report, reviewed, checks)
        return report
    except FileTimeout as exc:
        if time_limit is None:
            raise  # a caller's own limit (the batch worker's): theirs to report
        raise TimeLimitError(f"took longer than {time_limit:g} s (time_limit)", path=path or _name(source)) from exc


def _extract(source: Source_, path: str | None, checks: bool, sentences: bool, classify: bool,
             classifier: str | None) -> Report:
    data, where, warnings = _load(source, path)
    report = extract_with_evidence(data, where, checks)[0]
    report.warnings[:0] = warnings
    if sentences:
        add_sentences(report, classify, classifier)
    return report


def _name(source: Source_) -> str | None:
    return str(source) if isinstance(source, os.PathLike) else None


def add_sentences(report: Report, classify: bool = True, classifier: str | None = None) -> None:
    """Narrative sentences with their labels; a classifier that cannot run leaves them unscored, with a warning."""
    text, limit = report.text, current_limits().max_sentence_chars
    if len(text) > limit:
        report.warnings.append(f"only the first {limit} of {len(text)} characters were split into sentences "
                               "(Limits.max_sentence_chars)")
        text = text[:limit]
    found = segment(text, report.sections)
    if not classify:
        report.sentences = [{**s.to_dict(), "scores": None, "labels": []} for s in found]
        return
    report.sentences, warnings = tag_with_fallback(found, classifier)
    report.warnings.extend(warnings)


def _year_of(report: Report) -> int | None:
    return report.year.value if isinstance(report.year.value, int) else None


def extract_with_evidence(data: bytes, where: str | None, checks: bool = True) -> tuple[Report, TableRead, Document]:
    """The pipeline itself; the evidence behind each cell is what confidence training fits on.

    ``checks=False`` stops after the tables and fields: no prose claims, no findings.
    """
    doc = read_bytes(data, where)
    report = Report(
        source=Source(where, hashlib.sha256(data).hexdigest(), doc.media_type, doc.pages),
        text=doc.text,
    )
    report.warnings.extend(doc.warnings)
    if doc.ocr:
        report.warnings.append("OCR used")
    wording = template_from_wording(doc.text)
    report.agency, report.year = find_agency_and_year(doc.text, wording)
    report.sections = find_sections(doc.text)
    read = read_tables_both_ways(doc, report)  # PDFs and scans: layout and plain-text readings, per table
    report.warnings.extend(read.warnings)
    _decide_version(report, read, doc, wording)
    _apply_confidence(report, read, doc)
    _add_pages(report, doc, read)
    if checks:
        report.claims = [claim.to_dict() for claim in find_claims(doc.text, report.sections, _year_of(report))]
        report.findings = reconcile(report)
    return report, read, doc


def _load(source: Source_, path: str | None) -> tuple[bytes, str | None, list[str]]:
    """The input's bytes, its name, and warnings about what had to be repaired to read it."""
    warnings: list[str] = []
    if isinstance(source, bytes):
        data, where = source, path
    elif isinstance(source, os.PathLike) or (isinstance(source, str) and _is_existing_path(source)):
        data, where = _read_file(Path(source), path)
    elif isinstance(source, str):
        if _looks_like_path(source):
            raise InputNotFoundError(f"no such file: {source!r} (to extract text, pass the report's text itself)",
                                     path=path)
        if _SURROGATE_RE.search(source):
            source, count = _SURROGATE_RE.subn("\ufffd", source)
            warnings.append(f"{count} lone surrogate code points in the text replaced by U+FFFD")
        data, where = source.encode("utf-8"), path
    else:
        raise TypeError(f"extract() takes a path, bytes or text, not {type(source).__name__}")
    limit = current_limits().max_input_bytes
    if len(data) > limit:
        raise InputTooLargeError(f"input is {len(data)} bytes; the limit is {limit} (Limits.max_input_bytes)",
                                 path=where)
    return data, where, warnings


def _is_existing_path(text: str) -> bool:
    return "\n" not in text and "\x00" not in text and len(text) < PATH_MAX_CHARS and Path(text).is_file()


def _read_file(file: Path, path: str | None) -> tuple[bytes, str]:
    where = path or str(file)
    try:
        is_file = "\x00" not in str(file) and file.is_file()
    except OSError:
        is_file = False
    if not is_file:
        raise InputNotFoundError("not a file (missing, a directory or a device)", path=where)
    try:
        size, limit = file.stat().st_size, current_limits().max_input_bytes
        if size > limit:
            raise InputTooLargeError(f"file is {size} bytes; the limit is {limit} (Limits.max_input_bytes)",
                                     path=where)
        return file.read_bytes(), where
    except OSError as exc:  # permissions, a file gone between the check and the read
        raise InputNotFoundError(f"cannot read the file ({type(exc).__name__}: {exc.strerror or exc})",
                                 path=where) from exc


def _looks_like_path(text: str) -> bool:
    """A short one-line string ending in a document extension is a file name, not a report."""
    if "\n" in text or len(text) >= PATH_MAX_CHARS:
        return False
    return "\x00" in text or Path(text.replace("\x00", "")).suffix.lower() in DOCUMENT_SUFFIXES


def _decide_version(report: Report, read: TableRead, doc: Document, wording: tuple[str, float]) -> None:
    """The template from 表二's header; else from the tables' wording; else from 表三's rows."""
    any_table = any(read.found.get(k) for k in ("proactive", "requests", "appeals"))
    if not any_table:
        report.format_version = "unknown"
        if not any(m in doc.text for m in REPORT_MARKERS):
            report.warnings.append(
                "not a 政府信息公开工作年度报告: no template table and no disclosure wording found"
            )
        elif report.year.value is not None and report.year.value < 2019:
            report.warnings.append(
                f"no template tables: a {report.year.value} report predates the 2019 template (〔2019〕60号)"
            )
        else:
            report.warnings.append("no template tables found in the text (tables missing or replaced by prose)")
        return
    version = read.format_version
    if version == "unknown":
        if wording[1] >= WORDING_DECIDES_TEMPLATE:
            version = wording[0]
        elif read.single_other_row:
            version = "2019"
        elif read.found.get("requests"):
            version = "2021"
    report.format_version = version
    if version == "2019" and not any(k.startswith(("requests.other_overdue", "requests.other_other"))
                                     for k in read.evidence):
        read.single_other_row = True  # the 2019 template's one （六）其他处理 row, even when it was not read
    if version == "2021" and read.single_other_row:
        report.warnings.append("表三 prints the single （六）其他处理 row of the 2019 template")


def _apply_confidence(report: Report, read: TableRead, doc: Document) -> None:
    layouts = tuple(sorted(read.layouts))
    structured = doc.structured_tables > 0
    scores: list[float] = []
    missing: list[str] = []
    cells = list(report.table_cells())
    incomplete = _incomplete_tables(cells, report, read)
    # 表三 placed by the template's order: which rows the template has was itself a guess.
    guessed = incomplete | ({"requests"} if read.requests_by_order else set())
    for path, cell in cells:
        table = path.split(".", 1)[0]
        if not applicable(path, report.format_version, read.single_other_row):
            if cell.value is None:
                # Certain only when the table was read whole: with rows lost, the template's
                # version (which rows it has) was itself a guess.
                cell.confidence = INCOMPLETE_NOT_APPLICABLE if table in guessed else NOT_APPLICABLE_CONFIDENCE
            continue
        ev = read.evidence.get(path)
        if ev is None:
            cell.confidence = 0.0
            missing.append(path)
            scores.append(0.0)
            continue
        ev.structured = structured
        ev.ocr = doc.ocr
        ev.layouts = layouts
        ev.table_incomplete = table in incomplete
        cell.confidence = cell_confidence(ev, cell.value is None, layouts)
        if doc.ocr and _ocr_doubt(ev):
            cell.confidence = min(cell.confidence, OCR_DOUBTFUL_CONFIDENCE)
        if ev.slot_method == "order":
            # Template-order fallback: generated reports never need it, so the fitted model has not
            # seen it; its cells get a fixed prior instead of an extrapolation.
            cell.confidence = min(cell.confidence, ORDER_FALLBACK_CONFIDENCE)
        scores.append(cell.confidence)
    for label, row in report.proactive_2019.items():
        for column, cell in row.items():
            ev = read.evidence.get(f"proactive_2019.{label}.{column}")
            if ev is not None:
                cell.confidence = cell_confidence(ev, cell.value is None, layouts)
                if doc.ocr and _ocr_doubt(ev):
                    cell.confidence = min(cell.confidence, OCR_DOUBTFUL_CONFIDENCE)
    if missing and report.format_version != "unknown":
        tables = sorted({p.split(".")[0] for p in missing})
        report.warnings.append(f"{len(missing)} template cells not found ({', '.join(tables)})")
    if report.format_version == "unknown":
        report.confidence = 0.0
    else:
        fields = [report.agency.confidence, report.year.confidence]
        report.confidence = round((sum(scores) / len(scores) if scores else 0.0) * 0.9 + 0.05 * sum(fields), 4)


def _incomplete_tables(cells: list[tuple[str, Cell]], report: Report, read: TableRead) -> set[str]:
    """Tables some of whose template rows were not read at all (labels lost, rows shifted)."""
    out: set[str] = set()
    for path, _ in cells:
        if path not in read.evidence and applicable(path, report.format_version, read.single_other_row):
            out.add(path.split(".", 1)[0])
    return out


def _ocr_doubt(ev: Evidence) -> bool:
    """In a scan, a sum that does not hold, or a row with more numbers than columns, is far more
    often a misread than the report's own error."""
    return ev.row_ok == 0 or ev.col_ok == 0 or ev.slot_method == "padded"


def _add_pages(report: Report, doc: Document, read: TableRead) -> None:
    """Page and box of each cell; a cell read by OCR is no surer than the engine was of its text.

    Only cells the template has are doubted (a cell the report's template lacks is known empty),
    and only numbers need their box to read as a clean number (an agency's name never does).
    """
    if not doc.page_starts:
        return
    version, single = report.format_version, read.single_other_row
    # (cell, doubted in a scan, must have been read, is a number)
    cells = [(cell, ok, ok, True) for cell, ok in
             ((cell, applicable(path, version, single)) for path, cell in report.table_cells())]
    cells += [(cell, True, False, True) for row in report.proactive_2019.values() for cell in row.values()]
    cells += [(report.agency, True, False, False), (report.year, True, False, False)]
    for cell, doubted, must_be_read, is_number in cells:
        box = None
        if cell.span is not None:
            cell.page = doc.page_at(cell.span[0])
            box = doc.box_at(cell.span[0])
            if box is not None:
                cell.bbox = box.bbox
        if doc.ocr and doubted and (box.confidence < 1.0 if box is not None else must_be_read):
            text = doc.text[box.start:box.end] if box and is_number else None  # the whole box: "3E", not "3"
            cell.confidence = with_read_score(cell.confidence, box.confidence if box else None, cell.value, text)
    if doc.ocr:
        _doubt_rows_with_gaps(report)


def _doubt_rows_with_gaps(report: Report) -> None:
    """In a scan, a row with a cell OCR did not read may have the others shifted into wrong columns."""
    rows: dict[str, list[Cell]] = {}
    for path, cell in report.table_cells():
        if applicable(path, report.format_version):
            rows.setdefault(path.rsplit(".", 1)[0], []).append(cell)
    for cells in rows.values():
        if len(cells) > 1 and any(c.value is None for c in cells):
            for c in cells:
                c.confidence = min(c.confidence, OCR_DOUBTFUL_CONFIDENCE)


__all__ = ["GongkaiError", "applicable", "extract"]
