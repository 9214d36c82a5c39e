"""summary.html: region charts from the division table, and the sortable "reports to look at first" table."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gongkai.batch.summary import SORT_SCRIPT, gather, write_summary

CHROMIUM = Path(os.environ.get("GONGKAI_CHROMIUM", "/usr/bin/chromium"))


def _report(name: str, agency: str | None, *, confidence: float = 0.99, errors: int = 0, unread: int = 0,
            format_version: str = "2021", year: int | None = 2023) -> dict[str, Any]:
    """A report line as reports.jsonl holds it (only the keys the summary reads)."""
    findings = [{"rule": "requests.balance", "severity": "error", "message": "", "cells": []}] * errors
    if unread:
        findings.append({"rule": "cell.missing", "severity": "warning", "message": "",
                         "cells": [f"requests.c{i}" for i in range(unread)]})
    findings.append({"rule": "cell.missing", "severity": "info", "message": "", "cells": ["appeals.x"] * 7})
    sha = hashlib.sha256(name.encode()).hexdigest()
    return {"schema_version": "1", "source": {"path": f"in/{name}", "sha256": sha},
            "format_version": format_version, "agency": {"value": agency}, "year": {"value": year},
            "confidence": confidence, "findings": findings, "warnings": [],
            "requests": {"new_received": {"total": {"value": 12}}}}


REPORTS = [
    _report("fine.txt", "泉港区科学技术局"),
    _report("shaky.txt", "河北省教育厅", confidence=0.4),
    _report("broken-sums.txt", "淮安市洪泽区人民政府", errors=2),
    _report("one-error.txt", "平潭综合实验区交通与建设局", errors=1, confidence=0.9),
    _report("unread.txt", "沭阳县发展和改革局", confidence=0.4, unread=28),
    _report("no-tables.txt", "上海市科委", confidence=0.0, format_version="unknown"),
    _report("ministry.txt", "教育部", confidence=0.8),
    _report("nameless.txt", None, confidence=0.95),
]
# errors first (more first), then lowest confidence, then most unread cells.
EXPECTED_ORDER = ["broken-sums.txt", "one-error.txt", "no-tables.txt", "unread.txt", "shaky.txt", "ministry.txt",
                  "nameless.txt", "fine.txt"]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    with open(folder / "reports.jsonl", "w", encoding="utf-8") as f:
        for report in REPORTS:
            f.write(json.dumps(report, ensure_ascii=False) + "\n")
    (folder / "errors.jsonl").write_text(json.dumps({"file": "in/bad.pdf", "sha256": "0" * 64, "status": "error",
                                                     "code": "E004", "reason": "broken"}) + "\n", encoding="utf-8")
    with open(folder / "manifest.jsonl", "w", encoding="utf-8") as f:
        for report in REPORTS:
            f.write(json.dumps({"input": report["source"]["path"], "sha256": report["source"]["sha256"],
                                "status": "report"}) + "\n")
    return folder


def _review_page(out: Path, file_name: str) -> str:
    sha = next(r["source"]["sha256"] for r in REPORTS if r["source"]["path"].endswith(file_name))
    (out / "review").mkdir(exist_ok=True)
    (out / "review" / f"{sha[:16]}.html").write_text("<p>review</p>", encoding="utf-8")
    return f"review/{sha[:16]}.html"


def _row(page: str, file_name: str) -> str:
    """The table row of one input, as HTML."""
    at = page.index(f'data-sort="in/{file_name}"')
    start = page.rindex("<tr", 0, at)
    return page[start: page.index("</tr>", at)]


def _table_files(page: str) -> list[str]:
    table = page[page.index('id="triage"'):]
    return re.findall(r'<tr(?: class="bad")?><td data-sort="in/([^"]+)"', table)


def test_charts_use_the_division_table(out: Path) -> None:
    stats = gather(out)
    assert stats["province"] == {"福建省": 2, "河北省": 1, "江苏省": 2, "上海市": 1, "国家级": 1, "未知": 1}
    assert stats["level"] == {"县区级": 3, "市级": 1, "省级": 2, "国家级": 1, "未知": 1}
    page = write_summary(out).read_text(encoding="utf-8")
    assert page.count("<svg") == 7 and "Findings per rule</h2><p>none" in page  # no findings.parquet here
    assert "Reports per province" in page and "江苏省" in page


def test_the_table_lists_reports_errors_first(out: Path) -> None:
    page = write_summary(out).read_text(encoding="utf-8")
    assert "Reports to look at first" in page and '<table class="sortable" id="triage">' in page
    heads = re.findall(r"<button type=\"button\">([^<]+)</button>", page)
    assert heads == ["file", "agency", "province", "level", "year", "errors", "warnings", "confidence", "unread cells"]
    assert _table_files(page) == EXPECTED_ORDER
    row = _row(page, "broken-sums.txt")
    assert row.startswith('<tr class="bad">')
    assert re.findall(r"<td[^>]*>(.*?)</td>", row)[1:] == ["淮安市洪泽区人民政府", "江苏省", "县区级", "2023", "2", "0",
                                                       "0.99", "0"]
    assert 'title="江苏省 / 淮安市 / 洪泽区"' in row
    assert _row(page, "no-tables.txt").endswith(">no tables</td>")
    assert _row(page, "unread.txt").endswith('data-sort="28">28</td>')  # blank (info) cells are not unread
    assert _row(page, "fine.txt").startswith("<tr><td")


def test_links_only_to_review_pages_that_exist(out: Path) -> None:
    page = write_summary(out).read_text(encoding="utf-8")
    assert "review/" not in page
    href = _review_page(out, "shaky.txt")
    page = write_summary(out).read_text(encoding="utf-8")
    assert re.findall(r'href="(review/[^"]*)"', page) == [href]
    assert f'<a href="{href}">shaky.txt</a>' in page


def test_the_page_is_self_contained(out: Path) -> None:
    page = write_summary(out).read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and "//" not in re.sub(r"<script>.*?</script>", "", page)
    assert not re.search(r"<(?:script|img|link|iframe)[^>]*\bsrc=", page) and "<link" not in page
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp and "default-src 'none'" in csp.group(1)
    digest = base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp.group(1) and f"<script>{SORT_SCRIPT}</script>" in page


def test_the_table_is_bounded(out: Path) -> None:
    stats = gather(out, triage_rows=3)
    assert [Path(r.file).name for r in stats["triage"]] == EXPECTED_ORDER[:3] and stats["reports"] == len(REPORTS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium under playwright; missing either fails (not skips) with what to install."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("python playwright is required for the summary-page test: pip install 'playwright>=1.40'")
    if not CHROMIUM.exists():
        pytest.fail(f"chromium is required for the summary-page test and is not at {CHROMIUM}: "
                    "apt-get install chromium (or set GONGKAI_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


def test_sorting_in_a_browser_without_network(out: Path, browser: Any) -> None:
    path = write_summary(out)
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())

    def column(i: int) -> list[str]:
        return page.eval_on_selector_all("#triage tbody tr", f"rows => rows.map(r => r.cells[{i}].textContent)")

    assert column(0) == EXPECTED_ORDER
    page.click("#triage th:nth-child(8) button")  # confidence, ascending
    assert [float(c) for c in column(7)] == sorted(float(c) for c in column(7))
    page.click("#triage th:nth-child(8) button")  # and descending
    assert [float(c) for c in column(7)] == sorted((float(c) for c in column(7)), reverse=True)
    page.click("#triage th:nth-child(1) button")
    assert column(0) == sorted(EXPECTED_ORDER)
    assert page.get_attribute("#triage th:nth-child(1)", "aria-sort") == "ascending"
    assert requests == [path.as_uri()] and problems == []
    context.close()
