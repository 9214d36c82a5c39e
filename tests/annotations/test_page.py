"""The labeling page in a real headless browser (Debian's chromium driven by playwright): keys in, labels out.

Nothing is downloaded: playwright drives /usr/bin/chromium (``apt-get install chromium
fonts-wqy-microhei``). A missing browser or playwright fails the test rather than skipping it,
so that CI cannot pass without having looked at the page. Waits are on events (the page's
progress count, the saved file), with generous deadlines; no sleep decides an outcome.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gongkai.annotations.labelstudio import read_export
from gongkai.annotations.page import LabelSession, default_out, serve
from tests.annotations.invented_round import SENTENCES, make_round

CHROMIUM = Path(os.environ.get("GONGKAI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DEADLINE_S = 60.0


def _wait_until(what: str, check: Callable[[], bool], deadline_s: float = DEADLINE_S) -> None:
    end = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > end:
            pytest.fail(f"timed out after {deadline_s:.0f}s waiting for {what}")
        time.sleep(0.05)


def _saved(out: Path) -> int:
    """Annotations in the output file now (0 while it does not exist)."""
    if not out.exists():
        return 0
    return sum(len(t.get("annotations") or []) for t in json.loads(out.read_text(encoding="utf-8")))


def _artifact(src: Path) -> Path:
    """Keep a screenshot where CI collects artifacts (``GONGKAI_TEST_ARTIFACTS``), else beside the test's files."""
    folder = os.environ.get("GONGKAI_TEST_ARTIFACTS")
    if not folder:
        return src
    dest = Path(folder) / src.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest


def _rendered_fonts(page: Any, selector: str) -> list[str]:
    """The font families chromium actually drew the element's text with (DevTools' platform fonts)."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    # Platform fonts are reported per text node: the element's first child.
    cdp.send("CSS.enable")
    child = cdp.send("DOM.describeNode", {"nodeId": node, "depth": 1})["node"]["children"][0]["backendNodeId"]
    text_node = cdp.send("DOM.pushNodesByBackendIdsToFrontend", {"backendNodeIds": [child]})["nodeIds"][0]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": text_node})["fonts"]
    return [f["familyName"] for f in fonts if f.get("glyphCount")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium under playwright; missing either fails (not skips) with what to install."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("python playwright is required for the labeling-page test: pip install 'playwright>=1.40' "
                    "(the dev extra has it); no browser download is needed")
    if not CHROMIUM.exists():
        pytest.fail(f"chromium is required for the labeling-page test and is not at {CHROMIUM}: "
                    "apt-get install chromium fonts-wqy-microhei (or set GONGKAI_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _serve_in_thread(round_file: Path, out: Path | None = None) -> tuple[str, threading.Thread, list[Any]]:
    """``serve`` (stop_when_done) in a thread; gives its URL, the thread and [its result or its error]."""
    urls: list[str] = []
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(serve(round_file, out, annotator="browser", on_ready=urls.append, stop_when_done=True))
        except BaseException as exc:  # reported by the test, not lost in the thread
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    _wait_until("the server's URL", lambda: bool(urls or outcome), 30)
    assert not outcome, outcome
    assert urls[0].startswith("http://127.0.0.1:")
    return urls[0], thread, outcome


def _open(browser: Any, url: str) -> tuple[Any, Any, list[str], list[str]]:
    context = browser.new_context(viewport={"width": 1100, "height": 760}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(DEADLINE_S * 1000)
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto(url)
    return context, page, page_errors, requests


def _progress(page: Any, text: str) -> None:
    page.wait_for_function("t => document.getElementById('progress').textContent === t", arg=text)


def _on_sentence(page: Any, n: int) -> None:
    page.wait_for_function("n => document.body.dataset.ready === '1' && "
                           "document.getElementById('sentence').dataset.index === String(n)", arg=n)


def _ticked(page: Any) -> list[str]:
    return page.eval_on_selector_all("#labels input:checked", "els => els.map(e => e.value)")


def test_label_round_in_browser(browser: Any, tmp_path: Path) -> None:
    round_file = make_round(tmp_path)
    out = default_out(round_file)
    url, server, outcome = _serve_in_thread(round_file)
    context, page, page_errors, requests = _open(browser, url)
    try:
        _on_sentence(page, 0)
        _progress(page, "0 / 4")
        assert page.inner_text("#sentence") == SENTENCES[0][1]
        assert page.inner_text("#heading") == SENTENCES[0][0]
        assert page.inner_text("#after") == SENTENCES[1][1]
        assert _ticked(page) == ["supervision"]  # the model's label, pre-ticked
        assert "oversight and safeguards" in page.inner_text("#labels")

        # Task 1: add measure (2) and platform (3) to the model's supervision.
        page.keyboard.press("2")
        page.keyboard.press("3")
        page.keyboard.press("Enter")
        _progress(page, "1 / 4")
        _on_sentence(page, 1)
        _wait_until("the first saved annotation", lambda: _saved(out) == 1)
        # Task 2: accept the model's labels as they are.
        assert _ticked(page) == ["problem"]
        page.keyboard.press("Enter")
        _progress(page, "2 / 4")
        _on_sentence(page, 2)
        # Task 3: add problem (1), save, then undo and relabel differently.
        assert _ticked(page) == ["measure", "platform"]
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        _progress(page, "3 / 4")
        _on_sentence(page, 3)
        _wait_until("three saved annotations", lambda: _saved(out) == 3)
        page.keyboard.press("u")
        _progress(page, "2 / 4")
        _on_sentence(page, 2)
        _wait_until("the undo reaching the file", lambda: _saved(out) == 2)
        assert _ticked(page) == ["problem", "measure", "platform"]  # what had been saved, to correct
        page.keyboard.press("1")
        page.keyboard.press("3")
        page.wait_for_function("() => document.querySelectorAll('#labels input:checked').length === 1")
        assert _ticked(page) == ["measure"]
        assert page.inner_text("#sentence") == SENTENCES[2][1]
        shot = tmp_path / "labeling-page.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"labeling page screenshot: {_artifact(shot)}")
        fonts = _rendered_fonts(page, "#sentence")
        print(f"the sentence was drawn with: {fonts}")
        assert any(name.startswith(("WenQuanYi", "Noto Sans CJK", "文泉")) for name in fonts), (
            f"the Chinese sentence was drawn with {fonts}, not a CJK font of the page's stack: "
            "apt-get install fonts-wqy-microhei")
        page.keyboard.press("Enter")
        _progress(page, "3 / 4")
        _on_sentence(page, 3)
        # Task 4 (the model ticks nothing): tick supervision with the mouse, accept with the button.
        assert _ticked(page) == []
        page.click("#lab-supervision input")
        page.wait_for_function("() => document.querySelector('#lab-supervision input').checked")
        page.click("#accept")
        _progress(page, "4 / 4")
        page.wait_for_function("() => document.body.dataset.done === '1' && "
                               "!document.getElementById('done-stopped').hidden")
        assert "All sentences are labelled" in page.inner_text("#done")
        done_shot = tmp_path / "labeling-page-done.png"
        page.screenshot(path=str(done_shot))
        print(f"labeling page (done) screenshot: {_artifact(done_shot)}")
        assert page_errors == []
        assert all(u.startswith(url) for u in requests), f"the page asked outside its server: {requests}"
    finally:
        context.close()

    server.join(timeout=DEADLINE_S)
    assert not server.is_alive(), "serve() did not return after the last sentence (stop_when_done)"
    assert outcome == [out]
    got = {a.uid: a for a in read_export(out)}
    uids = [t["data"]["uid"] for t in json.loads(round_file.read_text(encoding="utf-8"))]
    assert {u: got[u].labels for u in got} == {
        uids[0]: ("measure", "platform", "supervision"),
        uids[1]: ("problem",),
        uids[2]: ("measure",),
        uids[3]: ("supervision",),
    }
    assert all(a.annotator == "browser" and not a.cancelled and a.lead_time and a.lead_time > 0
               for a in got.values())


def test_resume_backspace_and_type_ahead(browser: Any, tmp_path: Path) -> None:
    """A second sitting starts at the first unlabelled sentence; keys typed ahead of a save apply in order."""
    round_file = make_round(tmp_path)
    out = tmp_path / "labels" / "sitting.json"
    earlier = LabelSession(round_file, out, "browser")
    uids = [t["uid"] for t in earlier.tasks_payload()["tasks"]]
    earlier.save({"index": 0, "uid": uids[0], "labels": ["problem"], "lead_time": 2.0})
    earlier.save({"index": 1, "uid": uids[1], "labels": ["platform", "measure"], "lead_time": 4.0})
    url, server, outcome = _serve_in_thread(round_file, out)
    context, page, page_errors, _ = _open(browser, url)
    try:
        _on_sentence(page, 2)
        _progress(page, "2 / 4")
        assert "Resuming" in page.inner_text("#message")
        page.keyboard.press("Backspace")  # undo reaches back into the earlier sitting
        _progress(page, "1 / 4")
        _on_sentence(page, 1)
        assert _ticked(page) == ["measure", "platform"]
        assert page.inner_text("#sentence") == SENTENCES[1][1]
        page.keyboard.press("Enter")
        _on_sentence(page, 2)
        # Skip sentence 3, tick supervision on sentence 4 and accept: typed at once, no waiting.
        page.keyboard.press("s")
        page.keyboard.press("4")
        page.keyboard.press("Enter")
        _progress(page, "4 / 4")
        page.wait_for_function("() => document.body.dataset.done === '1'")
        assert page_errors == []
    finally:
        context.close()
    server.join(timeout=DEADLINE_S)
    assert not server.is_alive() and outcome == [out]
    got = {a.uid: (a.labels, a.cancelled) for a in read_export(out)}
    assert got == {uids[0]: (("problem",), False), uids[1]: (("measure", "platform"), False),
                   uids[2]: ((), True), uids[3]: (("supervision",), False)}
    lead = {a.uid: a.lead_time for a in read_export(out)}
    assert lead[uids[1]] is not None and lead[uids[1]] > 4.0  # the undone sitting's time is kept
