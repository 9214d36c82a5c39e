"""``summary.html``: what a batch found, as one self-contained page a person can open.

Plots are inline SVG bar charts (no plotting library, nothing fetched): reports per year, per
province and per administrative level (``gongkai.inference.region``: the official 行政区划 table
read against the agency's name), applications received, findings per rule, report confidence,
and why files failed. Then the reports to look at first — errors, then low confidence, then
unread tables — as a table that sorts on a click (a few lines of inline script, allowed by the
page's Content-Security-Policy and nothing else; without script it stays in that order), each
row linked to its review page where ``gongkai batch --review`` wrote one.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gongkai.batch.derived import FINDINGS
from gongkai.batch.store import ERRORS, MANIFEST, REPORTS, atomic_write, iter_jsonl
from gongkai.inference.region import LEVELS, NATIONAL, UNKNOWN, Region, region_of

SUMMARY = "summary.html"
# A report's review page (``gongkai batch --review``), relative to summary.html.
REVIEW_DIR = "review"
REVIEW_HASH_CHARS = 16
# Rows of the "reports to look at first" table (the page stays small for a batch of any size).
TRIAGE_ROWS = 500
# Sorts for "unread cells" when no template table was read at all (format_version unknown).
NO_TABLES = 1_000_000
CHART_WIDTH, BAR_HEIGHT, LABEL_WIDTH = 640, 18, 170
# Sorting the table by a click on its header; the page works (pre-sorted) without it.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var body = table.tBodies[0];
  table.querySelectorAll("th button").forEach(function (button, column) {
    button.addEventListener("click", function () {
      var th = button.parentNode, ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      var key = function (row) { return row.cells[column].getAttribute("data-sort") || row.cells[column].textContent; };
      var numeric = rows.every(function (row) { return key(row) === "" || !isNaN(Number(key(row))); });
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var order = numeric ? Number(x) - Number(y) : x.localeCompare(y, "zh");
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""
# Nothing but the page's own script and styles; no request leaves the page (a <meta> CSP, the file being static).
CSP = ("default-src 'none'; script-src 'sha256-" + base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest())
       .decode() + "'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
TRIAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file", "the input; linked to its review page where the batch wrote one"),
    ("agency", "issuing agency as extracted"),
    ("province", "from the agency's name (行政区划 table)"),
    ("level", "administrative level from the agency's name"),
    ("year", "reporting year"),
    ("errors", "findings of severity error (sums that do not add up, claims the tables contradict)"),
    ("warnings", "findings of severity warning, and the report's warnings"),
    ("confidence", "overall confidence of the extraction"),
    ("unread cells", "template cells not found (cell.missing warnings); 'no tables' when no template table was read"),
)


def province_label(region: Region) -> str:
    """The province of the charts and the table: 国家级 agencies have none, and the rest is 未知."""
    return region.province or (NATIONAL if region.level == NATIONAL else UNKNOWN)


def bar_chart(title: str, counts: Sequence[tuple[str, int]]) -> str:
    """A horizontal bar chart as inline SVG."""
    if not counts:
        return f"<h2>{html.escape(title)}</h2><p>none</p>"
    top = max(n for _, n in counts) or 1
    height = BAR_HEIGHT * len(counts) + 10
    bars = []
    for i, (label, n) in enumerate(counts):
        y = 5 + i * BAR_HEIGHT
        width = (CHART_WIDTH - LABEL_WIDTH - 60) * n / top
        bars.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{html.escape(str(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{width:.1f}" height="{BAR_HEIGHT - 4}" fill="#4a7ab5"/>'
            f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + 13}">{n}</text>')
    return (f"<h2>{html.escape(title)}</h2><svg width=\"{CHART_WIDTH}\" height=\"{height}\" "
            f"font-size=\"12\" font-family=\"sans-serif\">{''.join(bars)}</svg>")


def _log_bin(value: float) -> str:
    """Applications received in decades: 0, 1–9, 10–99, …"""
    if value <= 0:
        return "0"
    low = 10 ** int(math.log10(value))
    return f"{low}–{low * 10 - 1}"


def _confidence_bin(value: float) -> str:
    low = min(9, int(value * 10)) / 10
    return f"{low:.1f}–{low + 0.1:.1f}"


@dataclass(frozen=True)
class TriageRow:
    """One report in the "reports to look at first" table."""

    file: str
    sha256: str
    agency: str | None
    province: str
    level: str
    place: str  # province / city / county as far as the name tells, for the province cell's tooltip
    year: int | None
    errors: int
    warnings: int
    confidence: float
    unread: int  # template cells not found; NO_TABLES when no template table was read

    def priority(self) -> tuple[int, float, int, str]:
        """Smaller first: more errors, then lower confidence, then more unread cells."""
        return (-self.errors, self.confidence, -self.unread, self.file)


def triage_row(report: dict[str, Any]) -> TriageRow:
    source = report.get("source") or {}
    findings = report.get("findings") or []
    agency = (report.get("agency") or {}).get("value")
    region = region_of(agency)
    place = " / ".join(p or "-" for p in (region.province, region.city, region.county))
    errors = sum(1 for f in findings if f.get("severity") == "error")
    warnings = sum(1 for f in findings if f.get("severity") == "warning" and f.get("rule") != "cell.missing")
    unread = sum(len(f.get("cells") or []) or 1 for f in findings
                 if f.get("rule") == "cell.missing" and f.get("severity") == "warning")
    if report.get("format_version") == "unknown":
        unread = NO_TABLES
    return TriageRow(str(source.get("path") or "?"), str(source.get("sha256") or ""), agency, province_label(region),
                     region.level, place,
                     (report.get("year") or {}).get("value"), errors, warnings + len(report.get("warnings") or []),
                     float(report.get("confidence") or 0.0), unread)


class _Worst:
    """The ``size`` rows of smallest priority seen so far, in bounded memory (a batch may be huge)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.seen = 0
        self._rows: list[TriageRow] = []

    def add(self, row: TriageRow) -> None:
        self.seen += 1
        self._rows.append(row)
        if len(self._rows) >= 2 * self.size + 100:
            self._rows = self.rows()

    def rows(self) -> list[TriageRow]:
        return sorted(self._rows, key=TriageRow.priority)[: self.size]


def gather(out: Path, triage_rows: int = TRIAGE_ROWS) -> dict[str, Any]:
    """One streaming pass over the logs: the counts the page shows, and the reports to look at first."""
    stats: dict[str, Any] = {k: Counter() for k in
                             ("status", "year", "province", "level", "received", "confidence", "errors",
                              "rules", "format")}
    worst = _Worst(triage_rows)
    for entry in iter_jsonl(out / MANIFEST):
        stats["status"][entry["status"]] += 1
    for report in iter_jsonl(out / REPORTS):
        row = triage_row(report)
        worst.add(row)
        stats["year"][str(row.year or "未知")] += 1
        stats["province"][row.province] += 1
        stats["level"][row.level] += 1
        stats["format"][str(report.get("format_version"))] += 1
        stats["confidence"][_confidence_bin(row.confidence)] += 1
        received = (((report.get("requests") or {}).get("new_received") or {}).get("total") or {}).get("value")
        if isinstance(received, int | float):
            stats["received"][_log_bin(float(received))] += 1
    for error in iter_jsonl(out / ERRORS):
        reason = str(error.get("reason") or "")
        stats["errors"][f"[{error.get('code')}] {reason.split(': ', 1)[-1][:60]}"] += 1
    if (out / FINDINGS).exists():
        import pyarrow.parquet as pq

        for rule in pq.read_table(out / FINDINGS, columns=["rule"]).column("rule").to_pylist():
            stats["rules"][rule] += 1
    stats["triage"] = worst.rows()
    stats["reports"] = worst.seen
    return stats


def _ordered(counter: Counter[str], by_key: bool = False, most: int = 30) -> list[tuple[str, int]]:
    if by_key:
        return sorted(counter.items(), key=lambda kv: (len(kv[0]), kv[0]))[:most]
    return counter.most_common(most)


def review_href(out: Path, sha256: str) -> str | None:
    """``review/<first 16 hex of the input's sha256>.html`` when that page exists in ``out``, else None."""
    name = f"{REVIEW_DIR}/{sha256[:REVIEW_HASH_CHARS]}.html"
    return name if len(sha256) >= REVIEW_HASH_CHARS and (out / name).is_file() else None


def triage_table(out: Path, rows: Sequence[TriageRow], total: int) -> str:
    """The reports to look at first, as a sortable table (in priority order without script)."""
    title = '<h2 id="look-first">Reports to look at first</h2>'
    if not rows:
        return title + "<p>none</p>"
    shown = f"all {total}" if len(rows) == total else f"the first {len(rows)} of {total}"
    intro = (f"<p>{shown} reports: those with errors first, then the least confident, then those with "
             "unread tables. Click a column's name to sort by it.</p>")
    head = "".join(f'<th scope="col" title="{html.escape(why)}"><button type="button">{html.escape(name)}</button></th>'
                   for name, why in TRIAGE_COLUMNS)
    body = []
    for row in rows:
        name = html.escape(Path(row.file).name or row.file)
        href = review_href(out, row.sha256)
        link = f'<a href="{html.escape(href)}">{name}</a>' if href else name
        unread = "no tables" if row.unread >= NO_TABLES else str(row.unread)
        cells = (
            f'<td data-sort="{html.escape(row.file)}" title="{html.escape(row.file)}">{link}</td>',
            f"<td>{html.escape(row.agency or '—')}</td>",
            f'<td title="{html.escape(row.place)}">{html.escape(row.province)}</td>',
            f"<td>{html.escape(row.level)}</td>",
            f'<td data-sort="{row.year or ""}">{row.year or "—"}</td>',
            f'<td class="n">{row.errors}</td>',
            f'<td class="n">{row.warnings}</td>',
            f'<td class="n" data-sort="{row.confidence:.4f}">{row.confidence:.2f}</td>',
            f'<td class="n" data-sort="{row.unread}">{unread}</td>',
        )
        css = ' class="bad"' if row.errors else ""
        body.append(f"<tr{css}>{''.join(cells)}</tr>")
    return (f'{title}{intro}<table class="sortable" id="triage"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


STYLE = ("body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em}"
         "h2{font-size:1.1em;margin-top:2em}table{border-collapse:collapse;font-size:.85em}"
         "th,td{border-bottom:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top;white-space:nowrap}"
         "td:nth-child(2){white-space:normal}td.n{text-align:right}tr.bad td{background:#fdf0ee}"
         "th button{font:inherit;font-weight:bold;border:0;background:none;padding:0;cursor:pointer}"
         "th[aria-sort=ascending] button::after{content:' ▲'}th[aria-sort=descending] button::after{content:' ▼'}")


def write_summary(out: Path, elapsed: float | None = None) -> Path:
    stats = gather(out)
    status = stats["status"]
    facts = "".join(f"<li>{html.escape(k)}: {v}</li>" for k, v in sorted(status.items()))
    took = f"<p>Last run took {elapsed:.1f} s.</p>" if elapsed is not None else ""
    charts = [
        bar_chart("Reports per year", _ordered(stats["year"], by_key=True)),
        bar_chart("Reports per province (from the agency's name)", _ordered(stats["province"])),
        bar_chart("Reports per administrative level (from the agency's name)",
                  sorted(stats["level"].items(), key=lambda kv: LEVELS.index(kv[0]))),
        bar_chart("Template version", _ordered(stats["format"])),
        bar_chart("Applications received (表三 本年新收 总计)", _ordered(stats["received"], by_key=True)),
        bar_chart("Findings per rule", _ordered(stats["rules"])),
        bar_chart("Report confidence", _ordered(stats["confidence"], by_key=True)),
        bar_chart("Errors and skipped files by reason", _ordered(stats["errors"])),
    ]
    page = ("<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            f"<title>gongkai batch summary</title><style>{STYLE}</style></head><body><h1>gongkai batch summary</h1>"
            f"<p>Inputs by outcome:</p><ul>{facts}</ul>{took}"
            "<p>Tables: cells.parquet, sentences.parquet, findings.parquet; every report: reports.jsonl; "
            "every failure with its reason: errors.jsonl. "
            '<a href="#look-first">The reports to look at first</a> are listed below the charts.</p>'
            + "".join(charts) + triage_table(out, stats["triage"], stats["reports"])
            + f"<script>{SORT_SCRIPT}</script></body></html>")
    path = out / SUMMARY
    atomic_write(path, page.encode("utf-8"))
    return path
