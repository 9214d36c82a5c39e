"""One report's review page: the tables as printed, beside the source they were read from.

The page is one HTML file that opens from disk and makes no request at all: styles and the
script are inline, page images are ``data:`` URIs, and a Content-Security-Policy forbids any
fetch. Everything is readable without JavaScript (links jump between a cell and its source,
hover or focus shows a cell's details); the script only adds highlighting and sorting.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from typing import Any

from gongkai import __version__
from gongkai.annotations.corrections import Corrections, apply_corrections, as_corrections
from gongkai.inference.checks.reconcile import FOUND_CONFIDENCE, cell_name, claim_cells, claim_value
from gongkai.inference.narrative.classify import LABELS
from gongkai.inference.tables import template as T
from gongkai.report import Cell, Report
from gongkai.review import tables
from gongkai.review.pages import PageImage, page_images, shows_pages

# Colour buckets of cell confidence, highest first: (lowest confidence in the bucket, CSS class, legend).
CONFIDENCE_BUCKETS: tuple[tuple[float, str, str], ...] = (
    (0.99, "q-sure", "≥ 0.99"),
    (0.9, "q-high", "0.90–0.99"),
    (0.5, "q-mid", "0.50–0.90"),
    (0.0, "q-low", "< 0.50"),
)
# Findings of these severities outline their cells (an info finding only notes printed blanks).
OUTLINED_SEVERITIES = ("error", "warning")
_SEVERITY_RANK = {"error": 2, "warning": 1, "info": 0}
_URL_SCHEME_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=&#47;&#47;)")


def confidence_class(confidence: float) -> str:
    """The colour bucket of a confidence (``CONFIDENCE_BUCKETS``)."""
    for lowest, css, _ in CONFIDENCE_BUCKETS:
        if confidence >= lowest:
            return css
    return CONFIDENCE_BUCKETS[-1][1]


def text(s: object) -> str:
    """Escaped text for HTML, with ``scheme://`` written ``scheme&#58;&#47;&#47;``: a report's own web
    addresses show as they are printed, yet no URL stands anywhere in the page's source."""
    return _URL_SCHEME_RE.sub(r"\1&#58;", escape(str(s)).replace("//", "&#47;&#47;"))


def format_value(value: Any) -> str:
    """A cell value as the page shows it: blank for null, integers plainly, amounts without float noise."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


@dataclass
class CellMark:
    """A table cell as the page shows it: where it is drawn, what findings say about it."""

    path: str  # dotted schema path (``proactive_2019.<row>.<column>`` for the 2019 表二)
    key: str  # the ASCII name used in element ids and ``data-k``
    name: str  # the Chinese name a reader knows it by
    cell: Cell | None  # None: the template has the cell, the report does not hold it
    severity: str | None = None  # the worst error/warning finding naming it
    suspect: bool = False  # the one cell a finding blames
    rules: list[str] = field(default_factory=list)
    box: bool = False  # its bbox is drawn over a page image
    span: bool = False  # its span is marked in the text

    @property
    def value(self) -> Any:
        return None if self.cell is None else self.cell.value

    @property
    def confidence(self) -> float:
        return 0.0 if self.cell is None else float(self.cell.confidence)

    @property
    def found(self) -> bool:
        return self.cell is not None and (self.cell.value is not None or self.cell.confidence > FOUND_CONFIDENCE)

    @property
    def target(self) -> str | None:
        """The id of the source element a click on the cell goes to: its box, else its text."""
        return f"b-{self.key}" if self.box else f"t-{self.key}" if self.span else None

    def details(self) -> str:
        """One line for the title attribute and the focus tooltip."""
        if not self.found:
            what = "not read"
        elif self.value is None:
            what = "blank (printed empty)"
        else:
            what = f"value {format_value(self.value)}"
        parts = [self.name, what, f"confidence {self.confidence:.3f}"]
        if self.cell is not None and self.cell.raw is not None:
            parts.append(f"read “{self.cell.raw}”")
        if self.cell is not None and self.cell.page is not None:
            parts.append(f"page {self.cell.page}")
        if self.cell is not None and self.cell.corrected:
            parts.append("corrected by a reviewer")
        parts += self.rules
        return " · ".join(parts)


@dataclass
class Review:
    """What the page is drawn from: the report, its cells as marks, its page images."""

    report: Report
    marks: dict[str, CellMark]
    pages: list[PageImage]
    notes: list[str]
    claim_keys: dict[int, list[str]]
    mismatched_claims: set[int]


# ---------------------------------------------------------------- the cells


def _single_other_row(report: Report) -> bool:
    """Whether 表三 prints the one （六）其他处理 row (2019, and some 2021 reports); as the reconciler decides."""
    other = report.requests.other_processing.cells()
    return report.format_version == "2019" or any(c.value is not None for _, c in other)


def _version(report: Report) -> str:
    return report.format_version if report.format_version in ("2021", "2019") else "2021"


def request_rows(report: Report) -> list[str]:
    """The 表三 rows this report's template prints."""
    version, single = _version(report), _single_other_row(report)
    return [r.key for r in T.REQUEST_ROWS if T.applicable(f"requests.{r.key}.total", version, single)]


def proactive_2019_layout(report: Report) -> tuple[list[tuple[str, str]], dict[str, tuple[str, ...]]]:
    """(row, column) of every 2019 表二 cell drawn, and the rows the report holds beyond the template."""
    drawn = [(label, col) for _, items in tables.proactive_2019_sections() for label, cols in items for col in cols]
    known = {label for label, _ in drawn}
    extra = {label: tuple(cells) for label, cells in report.proactive_2019.items() if label not in known}
    drawn += [(label, col) for label, cols in extra.items() for col in cols]
    return drawn, extra


def cell_marks(report: Report) -> dict[str, CellMark]:
    """Every cell the page draws, in table order, with its findings."""
    marks: dict[str, CellMark] = {}
    version = _version(report)
    if version == "2019":
        drawn, _ = proactive_2019_layout(report)
        for i, (row, col) in enumerate(drawn):
            path = f"proactive_2019.{row}.{col}"
            cell = report.proactive_2019.get(row, {}).get(col)
            marks[path] = CellMark(path, f"p19.{i}", tables.printed_name(path), cell)
    else:
        for path, cell in report.proactive.cells("proactive"):
            marks[path] = CellMark(path, path, tables.printed_name(path), cell)
    for row in request_rows(report):
        for col in T.REQUEST_COLUMNS:
            path = f"requests.{row}.{col}"
            marks[path] = CellMark(path, path, cell_name(path), report.cell(path))
    for path, cell in report.appeals.cells("appeals"):
        marks[path] = CellMark(path, path, cell_name(path), cell)
    for f in report.findings:
        severity = f.get("severity", "info")
        for path in f.get("cells", []):
            mark = marks.get(path)
            if mark is None:
                continue
            mark.rules.append(f"{f.get('rule')} ({severity})")
            worse = _SEVERITY_RANK.get(severity, 0) > _SEVERITY_RANK.get(mark.severity or "", -1)
            if severity in OUTLINED_SEVERITIES and worse:
                mark.severity = severity
        suspect = marks.get(f.get("suspect") or "")
        if suspect is not None and severity in OUTLINED_SEVERITIES:
            suspect.suspect = True
    return marks


def _valid_span(span: Any, length: int) -> tuple[int, int] | None:
    if not span or len(span) != 2:
        return None
    start, end = int(span[0]), int(span[1])
    return (start, end) if 0 <= start < end <= length else None


def build_review(report: Report, source_bytes: bytes | None = None) -> Review:
    """Marks, page images and claim links for one report (no HTML yet)."""
    marks = cell_marks(report)
    notes: list[str] = []
    pages: list[PageImage] = []
    media = report.source.media_type
    paged = shows_pages(media)
    if paged and source_bytes:
        cells = [m.cell for m in marks.values() if m.cell is not None]
        try:
            pages = page_images(source_bytes, media, {c.page for c in cells if c.page is not None})
        except Exception as exc:  # a source the reader got through but the drawing library refuses
            notes.append(f"the pages could not be drawn ({type(exc).__name__}: {exc}); the text read is shown")
    elif paged:
        notes.append("page images need the source file's bytes; the text read from it is shown")
    drawn = {p.number for p in pages if p.problem is None}
    for mark in marks.values():
        cell = mark.cell
        if cell is None:
            continue
        mark.box = cell.bbox is not None and cell.page in drawn
        mark.span = _valid_span(cell.span, len(report.text)) is not None
    claim_keys: dict[int, list[str]] = {}
    for i, claim in enumerate(report.claims):
        paths = claim_cells(str(claim.get("target", "")), _version(report))
        claim_keys[i] = [marks[p].key for p in paths if p in marks]
    mismatch_spans = {tuple(f["spans"][0]) for f in report.findings
                      if f.get("rule") == "claim.mismatch" and f.get("spans")}
    mismatched = {i for i, c in enumerate(report.claims) if tuple(c.get("span") or ()) in mismatch_spans}
    return Review(report, marks, pages, notes, claim_keys, mismatched)


# ---------------------------------------------------------------- drawing


def _cell_classes(mark: CellMark) -> list[str]:
    classes = ["v", confidence_class(mark.confidence)]
    if not mark.found:
        classes.append("absent")
    elif mark.value is None:
        classes.append("blank")
    if mark.cell is not None and mark.cell.corrected:
        classes.append("corrected")
    if mark.severity:
        classes.append(f"broken-{mark.severity}")
    if mark.suspect:
        classes.append("suspect")
    return classes


def draw_cell(mark: CellMark | None, colspan: int = 1) -> str:
    """One value cell of a table: coloured by confidence, linked to its source, details on hover and focus."""
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    if mark is None:
        return f'<td class="pad"{span}></td>'
    details = text(mark.details())
    value = text(format_value(mark.value))
    if mark.target:
        inner = f'<a class="cv" id="c-{mark.key}" href="#{mark.target}" title="{details}">{value}</a>'
    else:
        inner = f'<span class="cv" id="c-{mark.key}" tabindex="0" title="{details}">{value}</span>'
    tip = f'<span class="tip" role="tooltip">{details}</span>'
    return (f'<td class="{" ".join(_cell_classes(mark))}" data-k="{mark.key}" data-path="{text(mark.path)}"{span}>'
            f"{inner}{tip}</td>")


def tables_html(review: Review) -> str:
    report, marks = review.report, review.marks

    def draw(path: str, colspan: int) -> str:
        return draw_cell(marks.get(path), colspan)

    parts = []
    if _version(report) == "2019":
        _, extra = proactive_2019_layout(report)
        parts.append(tables.proactive_2019_html(extra, draw))
    else:
        parts.append(tables.proactive_2021_html(draw))
    parts.append(tables.requests_html(request_rows(report), draw))
    parts.append(tables.appeals_html(draw))
    if report.format_version == "unknown":
        parts.insert(0, '<p class="note">No template table was found in this document (format_version '
                        '“unknown”): the 2021 tables are drawn empty.</p>')
    return "\n".join(parts)


def legend_html() -> str:
    swatches = [f'<span class="sw v {css}">{text(label)}</span>' for _, css, label in CONFIDENCE_BUCKETS]
    swatches += [
        '<span class="sw v q-sure blank">blank</span>',
        '<span class="sw v q-low absent">not read</span>',
        '<span class="sw v q-sure corrected">corrected</span>',
        '<span class="sw v q-sure broken-error">error</span>',
        '<span class="sw v q-sure broken-warning">warning</span>',
    ]
    return ('<div class="legend" id="legend"><span class="lg-title">Confidence</span> ' + " ".join(swatches)
            + '<span class="lg-hint">Hover or focus a cell for what was read; click it to see it in the source.'
              "</span></div>")


def findings_html(review: Review) -> str:
    findings = review.report.findings
    if not findings:
        return '<section id="findings"><h2>Findings</h2><p class="ok">No findings: every identity holds.</p></section>'
    by_path = review.marks
    items = []
    order = sorted(range(len(findings)), key=lambda i: -_SEVERITY_RANK.get(findings[i].get("severity", "info"), 0))
    for n in order:
        f = findings[n]
        severity = f.get("severity", "info")
        keys = [by_path[p].key for p in f.get("cells", []) if p in by_path]
        spans = {tuple(s) for s in f.get("spans", [])}
        keys += [f"claim-{i}" for i, c in enumerate(review.report.claims) if tuple(c.get("span") or ()) in spans
                 and f.get("rule") == "claim.mismatch"]
        suspect = by_path.get(f.get("suspect") or "")
        first = suspect or next((by_path[p] for p in f.get("cells", []) if p in by_path), None)
        links = ", ".join(f'<a href="#c-{by_path[p].key}">{text(by_path[p].name)}</a>'
                          for p in f.get("cells", [])[:12] if p in by_path)
        more = len(f.get("cells", [])) - 12
        links += f" … and {more} more" if more > 0 else ""
        go = f'<a class="go" href="#c-{first.key}">show</a> ' if first is not None else ""
        items.append(
            f'<li class="finding sev-{text(severity)}" id="f-{n}" data-k="{" ".join(keys)}" tabindex="0">'
            f'{go}<span class="sev">{text(severity)}</span> <code>{text(f.get("rule", ""))}</code> '
            f'<span class="msg" lang="zh-CN">{text(f.get("message", ""))}</span>'
            + (f'<div class="cells">cells: {links}</div>' if links else "") + "</li>")
    counts = " · ".join(f"{sum(f.get('severity') == s for f in findings)} {s}" for s in ("error", "warning", "info"))
    return (f'<section id="findings"><h2>Findings <small>{counts}</small></h2>'
            '<p class="hint">Click a finding to highlight its cells in the tables and in the source.</p>'
            f'<ol class="findings">{"".join(items)}</ol></section>')


def claims_html(review: Review) -> str:
    claims = review.report.claims
    if not claims:
        return ""
    by_key = {m.key: m for m in review.marks.values()}
    rows = []
    for i, claim in enumerate(claims):
        keys = review.claim_keys.get(i, [])
        value = claim_value(review.report, str(claim.get("target", ""))) if keys else None
        if i in review.mismatched_claims:
            verdict, css = "disagrees", "mismatch"
        elif value is not None:
            verdict, css = "agrees", "agree"
        else:
            verdict, css = "not compared", "unknown"
        cells = ", ".join(f'<a href="#c-{k}">{text(by_key[k].name)}</a>' for k in keys) or text(claim.get("target", ""))
        rows.append(
            f'<tr class="claim-row {css}" data-k="claim-{i} {" ".join(keys)}">'
            f'<td lang="zh-CN"><a href="#claim-{i}">{text(claim.get("text", ""))}</a></td>'
            f'<td class="num">{text(format_value(claim.get("quantity")))}</td><td lang="zh-CN">{cells}</td>'
            f'<td class="num">{text(format_value(value))}</td><td>{verdict}</td></tr>')
    return ('<section id="claims"><h2>Prose claims <small>numbers the text states that a table also states</small>'
            '</h2><div class="tw scroll"><table class="list"><tr><th>text</th><th>stated</th><th>compared with</th>'
            f'<th>table</th><th></th></tr>{"".join(rows)}</table></div></section>')


def sentences_html(report: Report) -> str:
    sentences = report.sentences
    if not sentences:
        return ('<section id="sentences"><h2>Narrative sentences</h2><p class="hint">Not tagged in this run '
                "(extract with sentences=True).</p></section>")
    labels = [lab for lab in LABELS if any(lab in (s.get("scores") or {}) for s in sentences)] or list(LABELS)
    counts = " · ".join(f"{lab} {sum(lab in (s.get('labels') or []) for s in sentences)}" for lab in labels)
    head = "".join(f'<th><button type="button" data-sort="{lab}" title="labelled first, by score">{lab}</button></th>'
                   for lab in labels)
    rows = []
    for n, s in enumerate(sentences):
        scores = s.get("scores") or {}
        chips = "".join(f'<span class="chip l-{text(lab)}">{text(lab)}</span>' for lab in s.get("labels") or [])
        data = " ".join(f'data-{lab}="{float(scores.get(lab, 0.0)):.4f}"' for lab in labels)
        has = " ".join(s.get("labels") or [])
        cells = "".join(f'<td class="num{" on" if lab in (s.get("labels") or []) else ""}">'
                        f'{float(scores.get(lab, 0.0)):.2f}</td>' for lab in labels)
        rows.append(f'<tr data-n="{n}" data-labels="{text(has)}" {data}><td class="num">{n + 1}</td>'
                    f'<td lang="zh-CN">{text(s.get("section") or "")}</td>'
                    f'<td lang="zh-CN">{text(s.get("text", ""))}</td><td>{chips}</td>{cells}</tr>')
    return (f'<section id="sentences"><details><summary><h2>Narrative sentences <small>{len(sentences)} · {counts}'
            '</small></h2></summary><p class="hint">Sort by a label: sentences with that label first, highest score '
            'first. <button type="button" data-sort="n">document order</button></p>'
            '<div class="tw scroll"><table class="list sentences"><thead><tr><th>#</th><th>section</th>'
            f'<th>sentence</th><th>labels</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div></details></section>')


# ---------------------------------------------------------------- the source


@dataclass(frozen=True)
class TextMark:
    """A marked stretch of the text: a cell read there, or a claim the prose makes."""

    start: int
    end: int
    id: str
    keys: tuple[str, ...]
    href: str | None
    title: str
    css: str


def text_marks(review: Review) -> list[TextMark]:
    report = review.report
    out = []
    for mark in review.marks.values():
        span = _valid_span(mark.cell.span if mark.cell is not None else None, len(report.text))
        if span is not None:
            out.append(TextMark(span[0], span[1], f"t-{mark.key}", (mark.key,), f"c-{mark.key}", mark.details(),
                                f"sc {confidence_class(mark.confidence)}"))
    by_key = {m.key: m for m in review.marks.values()}
    for i, claim in enumerate(report.claims):
        span = _valid_span(claim.get("span"), len(report.text))
        if span is None:
            continue
        keys = review.claim_keys.get(i, [])
        compared = "; ".join(f"{by_key[k].name} = {format_value(by_key[k].value) or '(blank)'}" for k in keys)
        title = f"claim: {claim.get('quantity')} → {compared or claim.get('target')}"
        css = "cl mismatch" if i in review.mismatched_claims else "cl"
        out.append(TextMark(span[0], span[1], f"claim-{i}", (f"claim-{i}", *keys),
                            f"c-{keys[0]}" if keys else None, title, css))
    return out


def marked_text(source: str, marks: Sequence[TextMark]) -> str:
    """The text, escaped, with each mark a link; overlapping marks split into pieces that carry all of them."""
    cuts = sorted({0, len(source), *(m.start for m in marks), *(m.end for m in marks)})
    starting: dict[int, list[TextMark]] = {}
    for m in marks:
        starting.setdefault(m.start, []).append(m)
    out: list[str] = []
    for a, b in zip(cuts, cuts[1:]):
        piece = text(source[a:b])
        here = [m for m in marks if m.start <= a and b <= m.end]
        if not here:
            out.append(piece)
            continue
        cells = [m for m in here if m.css.startswith("sc")]
        main = cells[0] if cells else here[0]
        new = starting.get(a, [])
        anchors = "".join(f'<span class="anchor" id="{m.id}"></span>' for m in new[1:])
        own_id = f' id="{new[0].id}"' if new else ""
        keys = " ".join(dict.fromkeys(k for m in here for k in m.keys))
        css = " ".join(dict.fromkeys(c for m in ([main] + [m for m in here if m is not main]) for c in m.css.split()))
        href = f' href="#{main.href}"' if main.href else ""
        title = text(" | ".join(m.title for m in here))
        out.append(f'{anchors}<a class="m {css}"{own_id}{href} data-k="{keys}" title="{title}">{piece}</a>')
    return "".join(out)


def _box_html(mark: CellMark, page: PageImage) -> str:
    assert mark.cell is not None and mark.cell.bbox is not None
    x0, top, x1, bottom = mark.cell.bbox
    w, h = page.width_pt or 1.0, page.height_pt or 1.0
    style = (f"left:{100 * x0 / w:.3f}%;top:{100 * top / h:.3f}%;"
             f"width:{100 * max(x1 - x0, 1.0) / w:.3f}%;height:{100 * max(bottom - top, 1.0) / h:.3f}%")
    css = " ".join(["box", confidence_class(mark.confidence)] + [c for c in _cell_classes(mark)[2:]])
    return (f'<a class="{css}" id="b-{mark.key}" href="#c-{mark.key}" data-k="{mark.key}" style="{style}" '
            f'title="{text(mark.details())}"></a>')


def pages_html(review: Review) -> str:
    by_page: dict[int, list[CellMark]] = {}
    for mark in review.marks.values():
        if mark.box and mark.cell is not None and mark.cell.page is not None:
            by_page.setdefault(mark.cell.page, []).append(mark)
    figures = []
    for page in review.pages:
        if page.problem is not None:
            figures.append(f'<figure class="pg" id="page-{page.number}"><figcaption>page {page.number}: could not be '
                           f"drawn ({text(page.problem)})</figcaption></figure>")
            continue
        boxes = "".join(_box_html(m, page) for m in by_page.get(page.number, []))
        figures.append(f'<figure class="pg" id="page-{page.number}"><figcaption>page {page.number}</figcaption>'
                       f'<div class="sheet"><img src="{page.data_uri()}" alt="page {page.number}" '
                       f'width="{page.width_pt:.0f}" height="{page.height_pt:.0f}">{boxes}</div></figure>')
    return "".join(figures)


def source_html(review: Review) -> str:
    report = review.report
    body = marked_text(report.text, text_marks(review))
    notes = "".join(f'<p class="note">{text(n)}</p>' for n in review.notes)
    name = report.source.path or "the input"
    if review.pages:
        return (f'<h2>Source <small>{text(name)} · {len(review.pages)} pages drawn</small></h2>{notes}'
                f"{pages_html(review)}"
                '<details class="srctext"><summary>Text read from the pages (cells and claims marked)</summary>'
                f'<pre class="text" lang="zh-CN">{body}</pre></details>')
    return (f'<h2>Source <small>{text(name)} · text as read, cells and claims marked</small></h2>{notes}'
            f'<pre class="text" lang="zh-CN">{body}</pre>')


# ---------------------------------------------------------------- the page


def _asset(name: str) -> str:
    return resources.files("gongkai.review").joinpath(name).read_text(encoding="utf-8")


def content_security_policy(script: str) -> str:
    """Nothing may be fetched: images only from data: URIs, the one inline script by its hash."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
            "connect-src 'none'; font-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; "
            "base-uri 'none'; form-action 'none'")


def header_html(report: Report) -> str:
    agency = report.agency.value or "agency not found"
    year = report.year.value or "year not found"
    src = report.source
    pages = f" · {src.pages} pages" if src.pages else ""
    warnings = "".join(f"<li>{text(w)}</li>" for w in report.warnings)
    warned = (f'<details class="warnings"><summary>{len(report.warnings)} warnings</summary><ul>{warnings}</ul>'
              "</details>") if report.warnings else ""
    return (f'<header><h1 lang="zh-CN">{text(agency)} · {text(year)}</h1>'
            f'<p class="meta">{text(src.path or "input")} · {text(src.media_type)}{pages} · template '
            f"{text(report.format_version)} · report confidence {report.confidence:.2f} · sha256 "
            f"{text(src.sha256[:16])} · gongkai {text(__version__)}</p>{warned}</header>")


def render(review: Review) -> str:
    report = review.report
    script = _asset("review.js")
    title = f"review · {report.agency.value or ''} {report.year.value or ''} · {report.source.path or ''}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(script)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{text(title)}</title>\n<style>\n{_asset('review.css')}</style>\n</head>\n<body>\n"
        f"{header_html(report)}\n"
        '<div class="wrap">\n<main id="left">\n'
        f"{findings_html(review)}\n"
        f'<section id="tables"><h2>Tables</h2>{legend_html()}\n{tables_html(review)}</section>\n'
        f"{claims_html(review)}\n{sentences_html(report)}\n"
        '</main>\n<aside id="source">\n'
        f"{source_html(review)}\n"
        "</aside>\n</div>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


def render_review(report: Report, source_bytes: bytes | None = None, *,
                  corrections: Corrections | str | os.PathLike[str] | None = None) -> str:
    """The review page of ``report`` as one HTML string.

    ``source_bytes`` (the input file's bytes) lets a PDF or scan show its pages with each cell's
    box; without them the text read is shown. ``corrections`` (a corrections.jsonl path or loaded
    ``Corrections``) are applied to a copy of the report first, as ``extract(..., corrections=)`` does.
    """
    reviewed = as_corrections(corrections)
    if reviewed is not None:
        report = copy.deepcopy(report)
        apply_corrections(report, reviewed)
    return render(build_review(report, source_bytes))
