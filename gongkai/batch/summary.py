"""``summary.html``: what a batch found, as one self-contained page a person can open.

Plots are inline SVG bar charts (no plotting library, no scripts, nothing fetched): reports
per year, per province and per administrative level (as far as the agency's name tells),
applications received, findings per rule, report confidence, and why files failed.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gongkai.batch.derived import FINDINGS
from gongkai.batch.store import ERRORS, MANIFEST, REPORTS, atomic_write, iter_jsonl

SUMMARY = "summary.html"
# Province-level units by the names agencies start with (the "省/市/自治区" suffix may be left off).
PROVINCES: tuple[str, ...] = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西",
    "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾",
    "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)
# Administrative level by how the agency's name ends (first match wins); departments fall through.
LEVELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("乡镇/街道", ("镇人民政府", "乡人民政府", "街道办事处", "镇政府", "乡政府")),
    ("县/区", ("县人民政府", "区人民政府", "旗人民政府", "县政府", "区政府")),
    ("市/州", ("市人民政府", "州人民政府", "盟行政公署", "市政府")),
    ("省", ("省人民政府", "自治区人民政府")),
)
DEPARTMENT = "部门"
CHART_WIDTH, BAR_HEIGHT, LABEL_WIDTH = 640, 18, 170


def province_of(agency: str | None) -> str:
    if not agency:
        return "未知"
    return next((p for p in PROVINCES if agency.startswith(p)), "未知")


def level_of(agency: str | None) -> str:
    if not agency:
        return "未知"
    return next((level for level, endings in LEVELS if agency.endswith(endings)), DEPARTMENT)


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


def gather(out: Path) -> dict[str, Any]:
    """One streaming pass over the logs: the counts the page shows."""
    stats: dict[str, Counter[str]] = {k: Counter() for k in
                                      ("status", "year", "province", "level", "received", "confidence", "errors",
                                       "rules", "format")}
    for entry in iter_jsonl(out / MANIFEST):
        stats["status"][entry["status"]] += 1
    for report in iter_jsonl(out / REPORTS):
        agency = report["agency"]["value"]
        stats["year"][str(report["year"]["value"] or "未知")] += 1
        stats["province"][province_of(agency)] += 1
        stats["level"][level_of(agency)] += 1
        stats["format"][report["format_version"]] += 1
        stats["confidence"][_confidence_bin(float(report["confidence"]))] += 1
        received = report["requests"]["new_received"]["total"]["value"]
        if isinstance(received, int | float):
            stats["received"][_log_bin(float(received))] += 1
    for error in iter_jsonl(out / ERRORS):
        reason = str(error.get("reason") or "")
        stats["errors"][f"[{error.get('code')}] {reason.split(': ', 1)[-1][:60]}"] += 1
    if (out / FINDINGS).exists():
        import pyarrow.parquet as pq

        for rule in pq.read_table(out / FINDINGS, columns=["rule"]).column("rule").to_pylist():
            stats["rules"][rule] += 1
    return stats


def _ordered(counter: Counter[str], by_key: bool = False, most: int = 30) -> list[tuple[str, int]]:
    if by_key:
        return sorted(counter.items(), key=lambda kv: (len(kv[0]), kv[0]))[:most]
    return counter.most_common(most)


def write_summary(out: Path, elapsed: float | None = None) -> Path:
    stats = gather(out)
    status = stats["status"]
    facts = "".join(f"<li>{html.escape(k)}: {v}</li>" for k, v in sorted(status.items()))
    took = f"<p>Last run took {elapsed:.1f} s.</p>" if elapsed is not None else ""
    charts = [
        bar_chart("Reports per year", _ordered(stats["year"], by_key=True)),
        bar_chart("Reports per province (from the agency's name)", _ordered(stats["province"])),
        bar_chart("Reports per administrative level (from the agency's name)", _ordered(stats["level"])),
        bar_chart("Template version", _ordered(stats["format"])),
        bar_chart("Applications received (表三 本年新收 总计)", _ordered(stats["received"], by_key=True)),
        bar_chart("Findings per rule", _ordered(stats["rules"])),
        bar_chart("Report confidence", _ordered(stats["confidence"], by_key=True)),
        bar_chart("Errors and skipped files by reason", _ordered(stats["errors"])),
    ]
    page = ("<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>gongkai batch summary</title>"
            "<style>body{font-family:sans-serif;max-width:760px;margin:2em auto}h2{font-size:1.1em;margin-top:2em}"
            "</style></head><body><h1>gongkai batch summary</h1>"
            f"<p>Inputs by outcome:</p><ul>{facts}</ul>{took}"
            "<p>Tables: cells.parquet, sentences.parquet, findings.parquet; every report: reports.jsonl; "
            "every failure with its reason: errors.jsonl.</p>" + "".join(charts) + "</body></html>")
    path = out / SUMMARY
    atomic_write(path, page.encode("utf-8"))
    return path
