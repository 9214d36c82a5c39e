"""Cell review rounds: the queue's cells as Label Studio tasks, and the reviewers' answers back as corrections.

``gongkai label next --cells`` writes a round file (Label Studio task JSON) and its labeling config
beside it, like the sentence rounds. Each task's ``data`` holds what a reviewer needs (the cell's
name in Chinese, the value read and its confidence, why it was queued, a crop of the page around
the cell for PDFs and scans, or the source text around it) and what the way back needs (the
document's sha256 and the cell's dotted path: key ``cell`` marks a cell task). Its prediction fills
the text area with the value read (``score`` = the confidence); the reviewer keeps or edits it and
chooses a verdict: ``ok`` (the value read is right), ``fixed`` (the right value is in the text area),
``structure`` (the table was misaligned around the cell; the right value is in the text area).

``gongkai label import`` recognises a cell export by that ``cell`` key in any export form
``read_export`` reads (JSON, JSON_MIN, snapshot) and appends one correction per answered task to
the corrections file (``gongkai.annotations.corrections``): the value parsed as a number (an empty
text area is a blank: null), the verdict, the annotator and the time the answer was given.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from gongkai.annotations.cell_queue import DEFAULT_THRESHOLD, Queue, ReviewCell, build_queue, table_cells
from gongkai.annotations.corrections import (
    VERDICTS,
    Correction,
    Corrections,
    append_corrections,
    apply_corrections,
    load_corrections,
    now,
)
from gongkai.annotations.labelstudio import _annotator, is_full_export, load_export
from gongkai.errors import LabelFileError
from gongkai.inference.checks.reconcile import cell_name
from gongkai.report import Report

# Label Studio control names (and the object they point at): never keys of ``data``.
VALUE_NAME, VERDICT_NAME, TO_NAME = "corrected_value", "verdict", "source"
MARKER_KEY = "cell"  # a task whose data has it is a cell task
CELL_DATA_KEYS = ("cell", "doc", "doc_sha256", "context", "report", "value_read", "raw", "confidence", "why",
                  "summary", "page", "span", "image", "source_line", "html", "queue_rank", "model_version")
_EXPORT_KEYS = {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement",
                VALUE_NAME, VERDICT_NAME}
VERDICT_HINTS = {
    "ok": "读取值正确 (the value read is right)",
    "fixed": "读取值有误，正确值已填入 (wrong; the right value is in the box)",
    "structure": "表格错位，正确值已填入 (the table was misaligned here; the right value is in the box)",
}
WHY_CN = {"suspect": "核对发现等式不成立，此格最可能出错", "in a broken identity": "所在等式不成立",
          "low confidence": "识别置信度低"}
# Page crop: the band of the page from this far above the cell to this far below it (PDF points),
# the page's whole width (so the row label shows), drawn at this scale (2 = 144 dpi).
CROP_ABOVE_PT, CROP_BELOW_PT, CROP_SCALE = 60.0, 30.0, 2.0
CROP_COLORS = 16  # a small palette keeps a crop around 10-30 KB
# Source text shown around a cell: this many characters before it and after it, whole lines where they fit.
SOURCE_BEFORE, SOURCE_AFTER = 160, 60
PDF_TYPES = ("application/pdf",)
IMAGE_PREFIX = "image/"


def labeling_config() -> str:
    """The Label Studio labeling config of cell rounds: the view, a text area and the verdict."""
    choices = "\n".join(f"    <Choice value={quoteattr(v)} hint={quoteattr(VERDICT_HINTS[v])}/>" for v in VERDICTS)
    return f"""<View>
  <Header value="$context"/>
  <Text name="summary" value="$summary"/>
  <HyperText name="{TO_NAME}" value="$html" inline="true"/>
  <Header value="正确的数值（空白单元格留空）" size="5"/>
  <TextArea name="{VALUE_NAME}" toName="{TO_NAME}" rows="1" maxSubmissions="1" editable="true"
            placeholder="例如 12；空白单元格留空"/>
  <Choices name="{VERDICT_NAME}" toName="{TO_NAME}" choice="single" showInline="true" required="true">
{choices}
  </Choices>
</View>
"""


# ---------------------------------------------------------------- what the reviewer sees


@dataclass
class SourceView:
    image: str = ""  # data: URI of the page crop, or ""
    line: str = ""  # the source text around the cell, the cell bracketed 【like this】, or ""
    note: str = ""  # why neither is there

    def to_html(self, text_html: str = "") -> str:
        parts = []
        if self.image:
            parts.append(f'<img src="{self.image}" alt="page crop" style="max-width:100%;border:1px solid #ccc"/>')
        if text_html:
            parts.append(f'<pre style="white-space:pre-wrap;font-size:1.1em">{text_html}</pre>')
        if not parts:
            parts.append(f"<p>（原文不可用：{html.escape(self.note or '未找到源文件')}）</p>")
        return "<div>" + "".join(parts) + "</div>"


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return str(value)


def source_text(text: str, span: tuple[int, int]) -> tuple[str, str]:
    """The text around ``span``, whole lines where they fit: plain (the cell in 【】) and HTML (in <mark>)."""
    start, end = max(0, span[0]), min(len(text), span[1])
    lo = max(0, start - SOURCE_BEFORE)
    if lo > 0:
        newline = text.find("\n", lo, start)
        lo = newline + 1 if newline >= 0 else lo
    hi = min(len(text), end + SOURCE_AFTER)
    newline = text.find("\n", end, hi)
    hi = newline if newline >= 0 else hi
    before, cell, after = text[lo:start], text[start:end], text[end:hi]
    head, tail = ("…" if lo > 0 else ""), ("…" if hi < len(text) else "")
    plain = f"{head}{before}【{cell}】{after}{tail}"
    marked = (f"{head}{html.escape(before)}<mark style=\"background:#fd6\">{html.escape(cell)}</mark>"
              f"{html.escape(after)}{tail}")
    return plain, marked


def _png_uri(image: Any) -> str:
    out = io.BytesIO()
    image.convert("RGB").quantize(colors=CROP_COLORS).save(out, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _crop_band(image: Any, bbox: Sequence[float], px_per_unit: float, above: float, below: float) -> Any:
    """The page's full-width band around ``bbox`` (page units; image pixels = units × px_per_unit), cell boxed red."""
    from PIL import ImageDraw

    x0, top, x1, bottom = (v * px_per_unit for v in bbox)
    band_top = max(0, int(top - above))
    band_bottom = min(image.height, int(math.ceil(bottom + below)))
    image = image.convert("RGB")
    draw = ImageDraw.Draw(image)
    pad = 2
    draw.rectangle((x0 - pad, top - pad, x1 + pad, bottom + pad), outline=(220, 0, 0), width=3)
    return image.crop((0, band_top, image.width, max(band_bottom, band_top + 1)))


def pdf_crop(data: bytes, page: int, bbox: Sequence[float]) -> str:
    """A PNG data: URI of the band of PDF page ``page`` (1-based) around ``bbox`` (points from the top left)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        image = pdf[page - 1].render(scale=CROP_SCALE).to_pil()
    finally:
        pdf.close()
    return _png_uri(_crop_band(image, bbox, CROP_SCALE, CROP_ABOVE_PT * CROP_SCALE, CROP_BELOW_PT * CROP_SCALE))


def image_crop(data: bytes, page: int, bbox: Sequence[float]) -> str:
    """The same for an image file (``bbox`` in pixels; ``page`` the frame of a multi-page TIFF)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.seek(max(0, page - 1))
        dpi = float((img.info.get("dpi") or (200, 200))[0]) or 200.0
        px_per_pt = dpi / 72.0
        band = _crop_band(img.copy(), bbox, 1.0, CROP_ABOVE_PT * px_per_pt, CROP_BELOW_PT * px_per_pt)
    if band.width > 1600:
        band = band.resize((1600, max(1, round(band.height * 1600 / band.width))))
    return _png_uri(band)


@dataclass
class DocSource:
    """One document's bytes (when its file is reachable and unchanged) and text (when known)."""

    data: bytes | None
    text: str | None
    note: str = ""


def load_source(path: str | None, sha256: str, media_type: str, text: str | None,
                read_text: bool = True) -> DocSource:
    """The file ``path`` if it still holds the bytes the report was read from; its text from the
    report (``--with-text`` batches) or, for text formats, read again (``gongkai.inference.readers``)."""
    data, note = None, ""
    if path:
        p = Path(path)
        try:
            raw = p.read_bytes() if p.is_file() else None
        except OSError:
            raw = None
        if raw is None:
            note = f"{path} 未找到"
        elif hashlib.sha256(raw).hexdigest() != sha256:
            note = f"{path} 已改动（与读取时的 sha256 不同）"
        else:
            data = raw
    else:
        note = "报告未记录源文件路径"
    visual = media_type in PDF_TYPES or media_type.startswith(IMAGE_PREFIX)
    if text is None and data is not None and read_text and not visual:
        from gongkai.errors import GongkaiError
        from gongkai.inference.readers import read_bytes

        try:
            text = read_bytes(data, path).text
        except GongkaiError as exc:
            note = f"无法重新读取：{exc}"
    return DocSource(data, text, note)


def source_view(cell: ReviewCell, src: DocSource) -> tuple[SourceView, str]:
    """What the reviewer sees of the source: the page crop (PDFs, scans) and/or the text around the cell."""
    view = SourceView(note=src.note)
    marked = ""
    if src.data is not None and cell.page and cell.bbox:
        try:
            if cell.media_type in PDF_TYPES:
                view.image = pdf_crop(src.data, cell.page, cell.bbox)
            elif cell.media_type.startswith(IMAGE_PREFIX):
                view.image = image_crop(src.data, cell.page, cell.bbox)
        except Exception as exc:  # a crop is a convenience: a page that will not render leaves the text
            view.note = f"页面无法渲染：{type(exc).__name__}"
    if src.text is not None and cell.span is not None and cell.span[1] <= len(src.text):
        view.line, marked = source_text(src.text, cell.span)
    elif not view.image and not view.note:
        view.note = "此单元格未在原文中定位" if cell.span is None else "原文未保留（batch 未用 --with-text）"
    return view, marked


# ---------------------------------------------------------------- tasks


def model_version() -> str:
    from gongkai import __version__
    from gongkai.inference.tables.confidence import MODEL_PATH

    try:
        digest = hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()[:10]
    except OSError:
        digest = "fallback"
    return f"gongkai-{__version__}-confidence@{digest}"


def summary_of(cell: ReviewCell) -> str:
    value = _fmt(cell.value) or "空白"
    raw = f"（原文“{cell.raw}”）" if cell.raw not in (None, "", _fmt(cell.value)) else ""
    where = f"　第{cell.page}页" if cell.page else ""
    reason = WHY_CN[cell.why.split(":")[0]]
    rules = f"（{'、'.join(cell.rules)}）" if cell.rules else ""
    return (f"读取值：{value}{raw}　置信度：{cell.confidence:.2f}　原因：{reason}{rules}{where}　"
            f"文件：{cell.doc or '?'}")


def cell_task(cell: ReviewCell, view: SourceView, marked: str, rank: int, version: str) -> dict[str, Any]:
    report = " ".join(str(x) for x in (cell.agency, f"{cell.year}年" if cell.year else None) if x)
    data = {
        "cell": cell.cell, "doc": cell.doc or "", "doc_sha256": cell.doc_sha256, "context": cell_name(cell.cell),
        "report": report, "value_read": cell.value, "raw": cell.raw, "confidence": round(cell.confidence, 4),
        "why": cell.why, "summary": summary_of(cell), "page": cell.page,
        "span": list(cell.span) if cell.span else None, "image": view.image, "source_line": view.line,
        "html": view.to_html(marked), "queue_rank": rank, "model_version": version,
    }
    if report:
        data["context"] = f"{report}　{data['context']}"
    result: list[dict[str, Any]] = []
    if cell.value is not None:
        result.append({"from_name": VALUE_NAME, "to_name": TO_NAME, "type": "textarea",
                       "value": {"text": [_fmt(cell.value)]}})
    return {"data": data, "predictions": [{"model_version": version, "score": round(cell.confidence, 4),
                                           "result": result}]}


def write_cell_round(path: Path, tasks: Sequence[dict[str, Any]]) -> tuple[Path, Path]:
    from gongkai.annotations.labelstudio import write_round

    return write_round(path, tasks, labeling_config())


# ---------------------------------------------------------------- the queue's inputs


def batch_reports(folder: Path) -> Iterator[dict[str, Any]]:
    from gongkai.batch.store import REPORTS, iter_jsonl

    yield from iter_jsonl(folder / REPORTS)


def is_batch(folder: Path) -> bool:
    return (folder / "reports.jsonl").is_file()


def extracted_reports(paths: Iterable[str | Path],
                      progress: Callable[[Iterable[Any]], Iterable[Any]] = iter) -> Iterator[dict[str, Any]]:
    """Report files and folders extracted here (tables and findings; no sentences)."""
    from gongkai.annotations.pool import report_files
    from gongkai.errors import GongkaiError
    from gongkai.inference.pipeline import extract

    for path in progress(report_files(paths)):
        try:
            yield extract(path, sentences=False).to_dict(include_text=True)
        except GongkaiError:
            continue  # unreadable: nothing to review cell by cell


def with_corrections(report: dict[str, Any], corrections: Corrections) -> dict[str, Any]:
    """A report dict as it stands once the reviewers' corrections for it are applied and the reconciler re-ran.

    A batch run before the corrections were made still lists the findings they clear; the queue
    must not offer the cells of an identity a correction already mended.
    """
    sha = str((report.get("source") or {}).get("sha256") or "")
    if not corrections.for_doc(sha) or report.get("format_version") not in ("2021", "2019"):
        return report
    rebuilt = Report(format_version=report["format_version"], claims=list(report.get("claims") or []))
    rebuilt.source.sha256 = sha
    for path, cell in table_cells(report):
        target = rebuilt.cell(path)
        span, bbox = cell.get("span"), cell.get("bbox")
        target.value, target.confidence, target.raw, target.page = (
            cell.get("value"), float(cell.get("confidence") or 0.0), cell.get("raw"), cell.get("page"))
        target.span = (int(span[0]), int(span[1])) if span else None
        target.bbox = tuple(bbox) if bbox else None  # type: ignore[assignment]
        target.corrected = bool(cell.get("corrected"))
    apply_corrections(rebuilt, corrections)
    tables = rebuilt.to_dict(include_text=False)
    return {**report, **{k: tables[k] for k in ("proactive", "requests", "appeals")}, "findings": rebuilt.findings}


@dataclass
class CellRoundSpec:
    sources: Sequence[str]  # batch output folders (reports.jsonl) and/or report files and folders
    out: Path
    n: int = 100
    threshold: float = DEFAULT_THRESHOLD
    corrections: Path | None = None


def make_cell_round(spec: CellRoundSpec, progress: Callable[[Iterable[Any]], Iterable[Any]] = iter
                    ) -> tuple[Path, Path, Queue]:
    """Rank the cells of the sources, write the best ``n`` as a round file and its labeling config."""
    batches = [Path(s) for s in spec.sources if Path(s).is_dir() and is_batch(Path(s))]
    files = [s for s in spec.sources if Path(s) not in batches]
    corrections = load_corrections(spec.corrections) if spec.corrections else Corrections()
    texts: dict[str, str] = {}
    kept_text = False

    def reports() -> Iterator[dict[str, Any]]:
        nonlocal kept_text
        for b in batches:
            for r in batch_reports(b):
                kept_text = kept_text or bool(r.get("text"))
                yield with_corrections(r, corrections)
        for r in extracted_reports(files, progress):
            if r.get("text"):
                texts[r["source"]["sha256"]] = r["text"]  # extracted here: the text is at hand
            yield with_corrections(r, corrections)

    queue = build_queue(reports(), spec.n, spec.threshold, lambda sha: set(corrections.for_doc(sha)))
    if not queue.chosen:
        raise ValueError(f"no cell to review among {queue.cells} template cells of {queue.reports} reports "
                         f"(threshold {spec.threshold}; {queue.skipped_decided} already decided)"
                         + (f". {queue.unread_summary()}" if queue.unread else ""))
    wanted = {c.doc_sha256 for c in queue.chosen}
    for b in batches if kept_text else ():  # a --with-text batch keeps the text: the spans index into it
        for r in batch_reports(b):
            sha = r["source"]["sha256"]
            if sha in wanted and r.get("text") and sha not in texts:
                texts[sha] = r["text"]
    sources: dict[str, DocSource] = {}
    version = model_version()
    tasks = []
    for rank, cell in enumerate(queue.chosen, 1):
        if cell.doc_sha256 not in sources:
            sources[cell.doc_sha256] = load_source(cell.doc, cell.doc_sha256, cell.media_type,
                                                   texts.get(cell.doc_sha256))
        view, marked = source_view(cell, sources[cell.doc_sha256])
        tasks.append(cell_task(cell, view, marked, rank, version))
    task_file, config = write_cell_round(spec.out, tasks)
    return task_file, config, queue


# ---------------------------------------------------------------- answers back


_BLANK_MARKS = {"", "-", "—", "–", "－", "/", "／", "无", "空", "空白", "null", "none"}


def parse_value(text: str | None, where: str) -> int | float | None:
    """A reviewer's number: full-width digits and thousands separators allowed; empty or a blank mark is null."""
    if text is None:
        return None
    t = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "").replace(" ", "")
    if t.lower() in _BLANK_MARKS:
        return None
    if re.fullmatch(r"-?\d+", t):
        return int(t)
    if re.fullmatch(r"-?\d+\.\d+|-?\.\d+", t):
        value = float(t)
        return int(value) if value.is_integer() else value
    raise LabelFileError(f"{where}: {text!r} is not a number (write digits, or leave the box empty for a blank cell)")


@dataclass
class CellAnswer:
    data: dict[str, Any]
    text: str | None  # the text area's content; None when the annotation has none
    verdict: str | None
    annotator: str
    at: str | None
    cancelled: bool = False
    task_id: Any = None


def _texts(value: Any) -> list[str]:
    """A text area's content in any export form: ``{"text": [...]}``, a list, or a plain string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _texts(value.get("text"))
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [str(value)]


def _verdicts(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        found = [value]
    elif isinstance(value, dict):
        found = [str(c) for c in value.get("choices") or []]
    elif isinstance(value, list):
        found = [c for v in value for c in _verdicts(v, where)]
    else:
        found = [str(value)]
    unknown = sorted(set(found) - set(VERDICTS))
    if unknown:
        raise LabelFileError(f"{where}: unknown verdict(s) {unknown}; expected one of {list(VERDICTS)}")
    return found


def _one(values: list[str], what: str, where: str) -> str | None:
    values = [v for v in values if v is not None]
    if len(set(values)) > 1:
        raise LabelFileError(f"{where}: several {what}s in one answer: {values}")
    return values[0] if values else None


def _check_cell_data(data: Any, where: str) -> dict[str, Any]:
    missing = [k for k in ("cell", "doc_sha256") if not isinstance(data, dict) or k not in data]
    if missing:
        raise LabelFileError(f"{where}: task data lacks {missing}: not a gongkai cell round "
                             "(make one with `gongkai label next --cells`)")
    return data


def _answers_full(tasks: list[dict[str, Any]], where: str) -> list[CellAnswer]:
    out = []
    for n, task in enumerate(tasks):
        here = f"{where}: task {task.get('id', n + 1)}"
        data = _check_cell_data(task.get("data"), here)
        for a in task.get("annotations") or []:
            texts: list[str] = []
            verdicts: list[str] = []
            for r in a.get("result") or []:
                if not isinstance(r, dict):
                    continue
                name = r.get("from_name")
                if name == VALUE_NAME:
                    texts += _texts(r.get("value"))
                elif name == VERDICT_NAME:
                    verdicts += _verdicts(r.get("value"), here)
                else:
                    raise LabelFileError(f"{here}: a result for {name!r}: this export is from another project's "
                                         "labeling config (create the project with the round's .config.xml)")
            has_text = any(isinstance(r, dict) and r.get("from_name") == VALUE_NAME for r in a.get("result") or [])
            out.append(CellAnswer(data, _one(texts, "value", here) if has_text else None,
                                  _one(verdicts, "verdict", here), _annotator(a.get("completed_by")),
                                  a.get("updated_at") or a.get("created_at"), bool(a.get("was_cancelled")),
                                  task.get("id")))
    return out


def _answers_min(rows: list[dict[str, Any]], where: str) -> list[CellAnswer]:
    out = []
    known = set(CELL_DATA_KEYS) | _EXPORT_KEYS
    for n, row in enumerate(rows):
        here = f"{where}: row {n + 1}"
        data = _check_cell_data({k: row[k] for k in CELL_DATA_KEYS if k in row}, here)
        other = sorted(set(row) - known)
        if other:
            raise LabelFileError(f"{here}: key(s) {other} are neither cell round data nor its controls: this export "
                                 "is from another project's labeling config")
        if "annotation_id" in row and row["annotation_id"] is None:
            continue  # a task nobody annotated
        text = _one(_texts(row.get(VALUE_NAME)), "value", here) if VALUE_NAME in row else None
        out.append(CellAnswer(data, text, _one(_verdicts(row.get(VERDICT_NAME), here), "verdict", here),
                              _annotator(row.get("annotator")), row.get("updated_at") or row.get("created_at"),
                              False, row.get("id")))
    return out


def is_cell_export(items: list[dict[str, Any]]) -> bool:
    """Whether an export (any form) is of a cell round: its tasks' data hold the ``cell`` key."""
    if is_full_export(items):
        return any(isinstance(t.get("data"), dict) and MARKER_KEY in t["data"] for t in items)
    return any(MARKER_KEY in t for t in items)


def read_cell_export(path: Path) -> list[CellAnswer]:
    items = load_export(path)
    if not is_cell_export(items):
        raise LabelFileError(f"{path}: not a cell round's export (no task data holds {MARKER_KEY!r})")
    return _answers_full(items, str(path)) if is_full_export(items) else _answers_min(items, str(path))


def _time(value: Any) -> str:
    """Label Studio's ISO time (``2026-01-05T10:11:12.345678Z``) as the corrections file writes it."""
    if not value:
        return now()
    text = str(value)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class CellImportResult:
    path: Path  # the corrections file written to
    added: list[Correction] = field(default_factory=list)
    unchanged: int = 0
    cancelled: int = 0
    conflicts: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (doc, cell, answers)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verdicts = {v: sum(c.verdict == v for c in self.added) for v in VERDICTS}
        line = (f"{len(self.added)} corrections appended to {self.path} ("
                + ", ".join(f"{v} {k}" for v, k in verdicts.items()) + f"); {self.unchanged} already in force")
        if self.cancelled:
            line += f"; {self.cancelled} skipped in Label Studio"
        if self.conflicts:
            line += f"; {len(self.conflicts)} cells where reviewers disagree (not written)"
        return line


def correction_of(answer: CellAnswer, where: str, by: str | None = None) -> tuple[Correction, str]:
    """One answer as a correction, and a note when the answer had to be read generously."""
    data = answer.data
    read = data.get("value_read")
    value = parse_value(answer.text, where)
    verdict, note = answer.verdict, ""
    if verdict == "ok":
        if answer.text is not None and value != read and not (value is None and read is None):
            if isinstance(value, int | float) and isinstance(read, int | float) and math.isclose(value, read):
                value = read
            else:
                verdict, note = "fixed", f"verdict ok but the value was changed from {_fmt(read) or 'blank'}"
        if verdict == "ok":
            value = read  # ok keeps the value read (a text area left unloaded in Label Studio is no blank)
    elif verdict is None:
        verdict = "ok" if (answer.text is None or value == read) else "fixed"
        if answer.text is None:
            value = read
        note = "no verdict chosen: taken from the value"
    sha = str(data.get("doc_sha256") or "")
    return Correction(sha, str(data["cell"]), value, verdict, by or answer.annotator, _time(answer.at),
                      note), note


def import_cell_export(path: Path, corrections_path: Path, by: str | None = None) -> CellImportResult:
    """Append the answered tasks of a cell round's export to ``corrections_path`` (all or nothing).

    One answer per cell is written; several reviewers who agree make one line (``by`` names them
    all), reviewers who disagree are reported and nothing is written for that cell. A decision
    already in force (same value and verdict) is not written again, so importing twice changes nothing.
    """
    answers = read_cell_export(path)
    current = load_corrections(corrections_path)  # a malformed file stops the import before anything is written
    result = CellImportResult(corrections_path)
    by_cell: dict[tuple[str, str], list[tuple[Correction, str]]] = {}
    for k, a in enumerate(answers):
        if a.cancelled:
            result.cancelled += 1
            continue
        where = f"{path}: task {a.task_id if a.task_id is not None else k + 1} ({a.data.get('cell')})"
        c, note = correction_of(a, where, by)
        by_cell.setdefault((c.doc_sha256, c.cell), []).append((c, note))
    out: list[Correction] = []
    for (sha, cell), items in by_cell.items():
        decisions = {(repr(c.value), c.verdict) for c, _ in items}
        if len(decisions) > 1:
            result.conflicts.append((sha, cell, [f"{c.by}: {c.verdict} {_fmt(c.value) or 'blank'}" for c, _ in items]))
            continue
        first = items[0][0]
        names = "; ".join(dict.fromkeys(c.by for c, _ in items))
        at = max(c.at for c, _ in items)
        note = "; ".join(dict.fromkeys(n for _, n in items if n))
        c = Correction(first.doc_sha256, first.cell, first.value, first.verdict, names, at, note)
        in_force = current.for_doc(sha).get(cell)
        if in_force is not None and in_force.verdict == c.verdict and repr(in_force.value) == repr(c.value):
            result.unchanged += 1
            continue
        if note:
            result.notes.append(f"{cell} ({sha[:12]}): {note}")
        out.append(c)
    append_corrections(corrections_path, out)
    result.added = out
    return result
