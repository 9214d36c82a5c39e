"""Review pages in a real headless browser (Debian's chromium driven by playwright), opened from disk.

Nothing is downloaded: playwright drives the system chromium (``apt-get install chromium
fonts-wqy-microhei``; .ci/run installs both). A missing browser or playwright fails these tests
rather than skipping them. Every request a page makes is recorded and must stay on file:/data:.
Screenshots go to the test's tmp folder (and ``GONGKAI_TEST_ARTIFACTS`` when set);
``GONGKAI_UPDATE_DOCS=1`` also rewrites the README's ``docs/review-page.png``.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gongkai.review import render_review
from tests.review.cells import expected_cells, shown

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1440, "height": 900}
DEADLINE_MS = 30_000
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "review-page.png"
DOCS_SCREENSHOT_MAX_BYTES = 400_000


def _chromium() -> str:
    found = os.environ.get("GONGKAI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.fail(f"chromium is required for the review-page browser tests and was not found (looked for "
                    f"{found}): apt-get install chromium fonts-wqy-microhei (or set GONGKAI_CHROMIUM)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium under playwright; missing either fails (not skips) with what to install."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("python playwright is required for the review-page browser tests: pip install "
                    "'playwright>=1.40' (the dev extra has it); no browser download is needed")
    executable = _chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, broken_seed, real_pdf, scan) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The review pages of a seed, a real PDF and a scan, written to disk, with their reports."""
    folder = tmp_path_factory.mktemp("review-pages")
    out = {}
    for key, source in (("seed", broken_seed), ("pdf", real_pdf), ("scan", scan)):
        path = folder / f"{key}.html"
        path.write_text(render_review(source.report, source.data), encoding="utf-8")
        out[key] = (path, source.report)
    return out


@dataclass
class Opened:
    context: Any
    page: Any
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def close(self) -> None:
        """Check what the page did, then close it: no request off the disk, no script error, no CSP refusal."""
        try:
            assert all(url.startswith(("file:", "data:")) for url in self.requests), self.requests
            assert not self.problems, self.problems
        finally:
            self.context.close()


def _open(browser: Any, path: Path, *, javascript: bool = True) -> Opened:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(DEADLINE_MS)
    opened = Opened(context, page)
    context.on("request", lambda req: opened.requests.append(req.url))
    page.on("pageerror", lambda exc: opened.problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: opened.problems.append(f"console: {msg.text}") if msg.type in ("error", "warning")
            else None)
    page.goto(path.as_uri())
    if javascript:
        page.wait_for_function("document.body.dataset.ready === '1'")  # the script ran: CSP let its hash through
    return opened


def _artifact(page: Any, tmp_path: Path, name: str) -> Path:
    """A screenshot in the test's folder, copied where CI collects artifacts (``GONGKAI_TEST_ARTIFACTS``)."""
    shot = tmp_path / name
    page.screenshot(path=str(shot))
    folder = os.environ.get("GONGKAI_TEST_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(folder) / name)
    return shot


_IN_VIEW = """id => {
  const el = document.getElementById(id);
  if (!el) return false;
  const r = el.getBoundingClientRect();
  const pane = el.closest("#source");
  const p = pane ? pane.getBoundingClientRect() : {top: 0, bottom: innerHeight, left: 0, right: innerWidth};
  const top = Math.max(0, p.top), bottom = Math.min(innerHeight, p.bottom);
  return r.height > 0 && r.top >= top - 1 && r.bottom <= bottom + 1 && r.left >= p.left - 1
         && r.right <= Math.min(innerWidth, p.right) + 1;
}"""


def _in_view(page: Any, element_id: str) -> bool | str:
    return page.evaluate(_IN_VIEW, element_id)  # type: ignore[no-any-return]


def _classes(page: Any, selector: str) -> list[set[str]]:
    return [set(c.split()) for c in page.eval_on_selector_all(selector, "els => els.map(e => e.className)")]


# ---------------------------------------------------------------- every cell, drawn and visible


@pytest.mark.parametrize("key", ["seed", "pdf", "scan"])
def test_every_table_cell_is_drawn_with_its_value(browser, pages, key: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, report = pages[key]
    opened = _open(browser, path)
    drawn = opened.page.eval_on_selector_all("td[data-path]", """tds => tds.map(td => {
        const r = td.getBoundingClientRect();
        return [td.dataset.path, td.querySelector(".cv").textContent, r.width > 4 && r.height > 4];
    })""")
    expected = expected_cells(report)
    assert {p for p, _, _ in drawn} == set(expected) and len(drawn) == len(expected)
    for p, value, visible in drawn:
        cell = expected[p]
        assert visible, p
        want = None if cell is None else cell.value
        assert (float(value) == pytest.approx(want)) if isinstance(want, float) else value == shown(want), p
    images = opened.page.eval_on_selector_all("figure img", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
    assert all(images) and (len(images) > 0) == (key != "seed")
    _artifact(opened.page, tmp_path, f"review-{key}.png")
    opened.close()


# ---------------------------------------------------------------- clicking


CLICKED = {"seed": "requests.carried_forward.total", "pdf": "appeals.litigation_after_review.total"}


def _clicked(key: str, report: Any) -> str:
    """The cell to click: a chosen one far from the top of the source, or the scan's last cell with a box."""
    if key in CLICKED:
        return CLICKED[key]
    return [p for p, c in report.table_cells() if c.bbox is not None][-1]


@pytest.mark.parametrize("key", ["seed", "pdf", "scan"])
def test_clicking_a_cell_scrolls_its_source_into_view_and_back(browser, pages, key: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, report = pages[key]
    cell_path = _clicked(key, report)
    cell = report.cell(cell_path)
    target = f"b-{cell_path}" if cell.bbox is not None and key != "seed" else f"t-{cell_path}"
    opened = _open(browser, path)
    page = opened.page
    assert page.query_selector(f'[id="{target}"]') is not None
    if key != "scan":  # the scan is one page: its table may already show
        assert _in_view(page, target) is False, "the source should start elsewhere"
    page.click(f'[id="c-{cell_path}"]')
    page.wait_for_function(_IN_VIEW, arg=target)
    assert "hl" in _classes(page, f'[id="{target}"]')[0]
    assert "hl" in _classes(page, f'td[data-path="{cell_path}"]')[0]
    _artifact(page, tmp_path, f"review-{key}-clicked.png")
    # And back: the page scrolled away, a click on the source brings the table cell into view.
    page.evaluate("window.scrollTo(0, 0)")
    assert _in_view(page, f"c-{cell_path}") is False
    page.click(f'[id="{target}"]')
    page.wait_for_function(_IN_VIEW, arg=f"c-{cell_path}")
    opened.close()


def test_clicking_a_finding_highlights_its_cells_in_the_tables_and_the_source(browser, pages, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, report = pages["seed"]
    opened = _open(browser, path)
    page = opened.page
    assert not page.query_selector_all(".hl")
    finding = page.query_selector(".finding")
    rule = finding.query_selector("code").inner_text()
    cells = next(f["cells"] for f in report.findings if f["rule"] == rule)
    finding.query_selector(".msg").click()
    assert "on" in set(finding.get_attribute("class").split())
    for cell_path in cells:
        assert "hl" in _classes(page, f'td[data-path="{cell_path}"]')[0], cell_path
        marks = _classes(page, f'#source [data-k~="{cell_path}"]')
        assert marks and all("hl" in m for m in marks), cell_path
    lit = {c for td in page.query_selector_all("td.v.hl") for c in [td.get_attribute("data-path")]}
    assert lit == set(cells)
    suspect = next((f.get("suspect") for f in report.findings if f["rule"] == rule), None) or cells[0]
    page.wait_for_function(_IN_VIEW, arg=f"c-{suspect}")
    _artifact(page, tmp_path, "review-seed-finding.png")
    finding.query_selector(".msg").click()  # a second click clears it
    assert not page.query_selector_all(".hl")
    opened.close()


def test_sentences_fold_and_sort_by_label(browser, pages) -> None:  # type: ignore[no-untyped-def]
    path, report = pages["seed"]
    labelled = [s for s in report.sentences if "platform" in s["labels"]]
    assert labelled
    opened = _open(browser, path)
    page = opened.page
    assert not page.is_visible("table.sentences")
    page.click("#sentences summary")
    assert page.is_visible("table.sentences")
    page.click('button[data-sort="platform"]')
    order = page.eval_on_selector_all("table.sentences tbody tr", "rows => rows.map(r => Number(r.dataset.n))")
    first = [report.sentences[n] for n in order[:len(labelled)]]
    assert all("platform" in s["labels"] for s in first)
    scores = [s["scores"]["platform"] for s in first]
    assert scores == sorted(scores, reverse=True)
    page.click('button[data-sort="n"]')
    assert page.eval_on_selector_all("table.sentences tbody tr", "rows => rows.map(r => Number(r.dataset.n))") == \
        list(range(len(report.sentences)))
    opened.close()


# ---------------------------------------------------------------- without JavaScript


def test_without_javascript_links_still_jump_and_focus_shows_a_cells_details(browser, pages, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, report = pages["seed"]
    opened = _open(browser, path, javascript=False)
    page = opened.page
    cell_path = CLICKED["seed"]
    page.click(f'[id="c-{cell_path}"]')
    page.wait_for_function(_IN_VIEW, arg=f"t-{cell_path}")
    assert page.evaluate("location.hash") == f"#t-{cell_path}"
    page.focus('[id="c-requests.total.research"]')
    tip = page.query_selector('td[data-path="requests.total.research"] .tip')
    assert tip.is_visible()
    assert "科研机构" in tip.inner_text() and "confidence" in tip.inner_text()
    _artifact(page, tmp_path, "review-seed-nojs.png")
    opened.close()


# ---------------------------------------------------------------- the README's picture


def test_readme_screenshot_of_a_real_report(browser, pages, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real PDF's page with a cell clicked; ``GONGKAI_UPDATE_DOCS=1`` writes it to docs/review-page.png."""
    from PIL import Image

    path, _ = pages["pdf"]
    opened = _open(browser, path)
    page = opened.page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.evaluate("document.getElementById('tables').scrollIntoView()")
    page.click('[id="c-requests.new_received.total"]')
    shot = _artifact(page, tmp_path, "review-page.png")
    with Image.open(shot) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        buffer = io.BytesIO()
        small.save(buffer, format="PNG", optimize=True)
    assert len(buffer.getvalue()) < DOCS_SCREENSHOT_MAX_BYTES
    if os.environ.get("GONGKAI_UPDATE_DOCS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        DOCS_SCREENSHOT.write_bytes(buffer.getvalue())
    opened.close()
    assert DOCS_SCREENSHOT.exists(), "docs/review-page.png is missing: run with GONGKAI_UPDATE_DOCS=1"
    assert DOCS_SCREENSHOT.stat().st_size < DOCS_SCREENSHOT_MAX_BYTES
