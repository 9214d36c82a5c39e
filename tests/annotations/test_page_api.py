"""The labeling page's HTTP API without a browser: saves, undo, resume, and bad requests answered, not crashed.

The sentences are invented for these tests (no report text in the repository).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gongkai.annotations.labelstudio import read_export
from gongkai.annotations.page import LabelServer, LabelSession, default_out, serve
from gongkai.errors import LabelFileError
from tests.annotations.invented_round import SENTENCES, make_round


class Running:
    """A ``LabelServer`` on a free loopback port, run in a thread for the duration of a test."""

    def __init__(self, round_file: Path, out: Path, annotator: str = "tester") -> None:
        self.server = LabelServer(LabelSession(round_file, out, annotator))
        self.url = self.server.url
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def call(self, path: str, body: Any = None, *, raw: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url.rstrip("/") + path, data=data, headers={
            "Content-Type": "application/json", **(headers or {})}, method="GET" if data is None else "POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture
def round_file(tmp_path: Path) -> Path:
    return make_round(tmp_path)


@pytest.fixture
def running(round_file: Path) -> Iterator[Running]:
    r = Running(round_file, default_out(round_file))
    yield r
    r.close()


def _uid(tasks: dict[str, Any], n: int) -> str:
    return tasks["tasks"][n]["uid"]


def test_tasks_show_sentence_context_and_model_labels(running: Running) -> None:
    status, tasks = running.call("/api/tasks")
    assert status == 200
    assert [t["text"] for t in tasks["tasks"]] == [s[1] for s in SENTENCES]
    assert tasks["tasks"][2]["predicted"] == ["measure", "platform"]
    assert tasks["tasks"][1]["before"] == SENTENCES[0][1] and tasks["tasks"][1]["heading"] == "二、存在的问题"
    assert tasks["labels"] == ["problem", "measure", "platform", "supervision"]
    assert tasks["state"] == {"done": 0, "total": 4, "next": 0, "annotations": [None] * 4}
    status, html = 0, ""
    with urllib.request.urlopen(running.url, timeout=10) as resp:
        status, html = resp.status, resp.read().decode("utf-8")
        csp = resp.headers["Content-Security-Policy"]
    assert status == 200 and "WenQuanYi Micro Hei" in html and "Noto Sans CJK SC" in html
    assert "default-src 'none'" in csp and "http://" not in html and "https://" not in html


def test_save_undo_and_export_form(running: Running, round_file: Path) -> None:
    out = default_out(round_file)
    _, tasks = running.call("/api/tasks")
    status, state = running.call("/api/save", {"index": 1, "uid": _uid(tasks, 1), "labels": ["measure", "problem"],
                                               "lead_time": 3.25})
    assert status == 200 and state["done"] == 1 and state["next"] == 0
    assert state["annotations"][1] == {"labels": ["problem", "measure"], "skipped": False}
    items = json.loads(out.read_text(encoding="utf-8"))
    assert [t["data"]["uid"] for t in items] == [t["uid"] for t in tasks["tasks"]]
    assert items[1]["predictions"][0]["result"][0]["value"]["choices"] == ["problem"]
    (a,) = items[1]["annotations"]
    assert a["completed_by"] == "tester" and a["lead_time"] == 3.25 and a["was_cancelled"] is False
    assert a["created_at"].endswith("Z")
    assert a["result"] == [{"from_name": "labels", "to_name": "text", "type": "choices",
                            "value": {"choices": ["problem", "measure"]}}]
    # An empty label set is an answer ("none of these"), a skip is a cancelled annotation.
    running.call("/api/save", {"index": 0, "uid": _uid(tasks, 0), "labels": [], "lead_time": 1})
    status, state = running.call("/api/save", {"index": 3, "uid": _uid(tasks, 3), "labels": [], "skipped": True})
    assert status == 200 and state["done"] == 3 and state["next"] == 2
    got = {a.uid: (a.labels, a.cancelled, a.annotator) for a in read_export(out)}
    assert got == {_uid(tasks, 0): ((), False, "tester"), _uid(tasks, 1): (("problem", "measure"), False, "tester"),
                   _uid(tasks, 3): ((), True, "tester")}
    # Undo takes back the latest save and says what it held, so the page can show it again.
    status, undone = running.call("/api/undo", {})
    assert status == 200 and undone["index"] == 3 and undone["skipped"] is True and undone["state"]["done"] == 2
    status, undone = running.call("/api/undo", {})
    assert undone["index"] == 0 and undone["labels"] == []
    assert {a.uid for a in read_export(out)} == {_uid(tasks, 1)}
    running.call("/api/undo", {})
    assert read_export(out) == []
    status, err = running.call("/api/undo", {})
    assert status == 409 and "nothing to undo" in err["error"]


def test_resume_starts_at_first_unlabelled(round_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels" / "mine.json"
    first = Running(round_file, out)
    try:
        _, tasks = first.call("/api/tasks")
        for n, labels in [(0, ["supervision"]), (1, ["problem"]), (3, [])]:
            assert first.call("/api/save", {"index": n, "uid": _uid(tasks, n), "labels": labels})[0] == 200
    finally:
        first.close()
    second = Running(round_file, out)
    try:
        _, tasks = second.call("/api/tasks")
        assert tasks["state"]["done"] == 3 and tasks["state"]["next"] == 2
        assert tasks["state"]["annotations"][0] == {"labels": ["supervision"], "skipped": False}
        status, state = second.call("/api/save", {"index": 2, "uid": _uid(tasks, 2), "labels": ["platform"]})
        assert status == 200 and state["next"] is None and state["done"] == 4
        # Undo after a resume still knows the order of the saves.
        assert second.call("/api/undo", {})[1]["index"] == 2
        assert second.call("/api/undo", {})[1]["index"] == 3
    finally:
        second.close()
    assert {a.uid: a.labels for a in read_export(out)} == {_uid(tasks, 0): ("supervision",),
                                                           _uid(tasks, 1): ("problem",)}


def test_other_annotators_are_kept(round_file: Path) -> None:
    out = default_out(round_file)
    r = Running(round_file, out, annotator="alice")
    try:
        _, tasks = r.call("/api/tasks")
        r.call("/api/save", {"index": 0, "uid": _uid(tasks, 0), "labels": ["problem"]})
    finally:
        r.close()
    r = Running(round_file, out, annotator="bob")
    try:
        _, tasks = r.call("/api/tasks")
        assert tasks["state"]["next"] == 0  # bob's own labels start from the beginning
        r.call("/api/save", {"index": 0, "uid": _uid(tasks, 0), "labels": ["measure"]})
    finally:
        r.close()
    assert sorted((a.annotator, a.labels) for a in read_export(out)) == [("alice", ("problem",)),
                                                                         ("bob", ("measure",))]


@pytest.mark.parametrize(("raw", "status", "words"), [
    (b"{not json", 400, "not JSON"),
    (b"\xff\xfe", 400, "not JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (b"", 400, "not JSON"),
    (json.dumps({"index": 99, "uid": "x", "labels": []}).encode(), 400, "index"),
    (json.dumps({"index": "0", "uid": "x", "labels": []}).encode(), 400, "index"),
    (json.dumps({"index": 0, "uid": "x", "labels": "problem"}).encode(), 400, "labels"),
    (json.dumps({"index": 0, "uid": "x", "labels": ["politics"]}).encode(), 400, "unknown label"),
    (json.dumps({"index": 0, "uid": "x", "labels": [], "lead_time": -1}).encode(), 400, "lead_time"),
    (b'{"index": 0, "uid": "x", "labels": [], "lead_time": NaN}', 400, "lead_time"),
    (json.dumps({"index": 0, "uid": "someone-else#0-1", "labels": []}).encode(), 409, "reload"),
])
def test_bad_requests_are_answered(running: Running, round_file: Path, raw: bytes, status: int, words: str) -> None:
    got, body = running.call("/api/save", raw=raw)
    assert got == status and words in body["error"]
    assert "Traceback" not in body["error"]
    assert not default_out(round_file).exists()  # nothing was written
    assert running.call("/api/state")[0] == 200  # and the server still answers


def test_foreign_host_size_and_paths_refused(running: Running) -> None:
    assert running.call("/api/tasks", headers={"Host": "evil.example:80"})[0] == 403
    assert running.call("/api/save", {}, headers={"Origin": "http://evil.example"})[0] == 403
    assert running.call("/api/tasks", headers={"Host": "localhost:1"})[0] == 200
    assert running.call("/api/save", raw=b"{" + b" " * 70000 + b"}")[0] == 413
    assert running.call("/etc/passwd")[0] == 404
    assert running.call("/api/delete", {})[0] == 404


def test_bad_round_file_raises_before_serving(tmp_path: Path) -> None:
    ready: list[str] = []
    bad = tmp_path / "bad.json"
    for text in ["", "{not json", "[]", '[{"data": {"text": "x"}}]', '{"data": 1}']:
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(LabelFileError):
            serve(bad, on_ready=ready.append)
    good = make_round(tmp_path)
    tasks = json.loads(good.read_text(encoding="utf-8"))
    tasks[0]["predictions"][0]["result"][0]["value"]["choices"] = ["politics"]
    bad.write_text(json.dumps(tasks), encoding="utf-8")
    with pytest.raises(LabelFileError, match="unknown label"):
        serve(bad, on_ready=ready.append)
    tasks = json.loads(good.read_text(encoding="utf-8"))
    bad.write_text(json.dumps(tasks + tasks[:1]), encoding="utf-8")
    with pytest.raises(LabelFileError, match="repeats"):
        serve(bad, on_ready=ready.append)
    # An output file of another round, or a broken one, is refused too (rather than overwritten).
    other = make_round(tmp_path / "other", [("标题", "另一轮中的一个虚构句子。", ())])
    r = Running(other, tmp_path / "other.labels.json")
    try:
        _, t = r.call("/api/tasks")
        r.call("/api/save", {"index": 0, "uid": _uid(t, 0), "labels": []})
    finally:
        r.close()
    with pytest.raises(LabelFileError, match="another round"):
        serve(good, tmp_path / "other.labels.json", on_ready=ready.append)
    minimal = [{"doc": "invented/demo-report.txt", "span": [0, 5], "text_sha256": "0" * 16, "labels": "problem"}]
    (tmp_path / "min.json").write_text(json.dumps(minimal), encoding="utf-8")  # a JSON_MIN export, not ours
    with pytest.raises(LabelFileError, match="not the labeling page's file"):
        serve(good, tmp_path / "min.json", on_ready=ready.append)
    (tmp_path / "broken.json").write_text("[{", encoding="utf-8")
    with pytest.raises(LabelFileError):
        serve(good, tmp_path / "broken.json", on_ready=ready.append)
    with pytest.raises(LabelFileError, match="overwrite"):
        serve(good, good, on_ready=ready.append)
    assert ready == []


def test_only_loopback(round_file: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        serve(round_file, host="0.0.0.0", on_ready=lambda url: None)


def test_serve_stops_when_done(round_file: Path) -> None:
    urls: list[str] = []
    result: list[Path] = []
    thread = threading.Thread(target=lambda: result.append(serve(round_file, annotator="tester", on_ready=urls.append,
                                                                 stop_when_done=True)), daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not urls and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert urls and urls[0].startswith("http://127.0.0.1:")
    with urllib.request.urlopen(urls[0] + "api/tasks", timeout=10) as resp:
        tasks = json.loads(resp.read())
    last: dict[str, Any] = {}
    for n in range(4):
        req = urllib.request.Request(urls[0] + "api/save", method="POST", data=json.dumps(
            {"index": n, "uid": _uid(tasks, n), "labels": list(SENTENCES[n][2])}).encode())
        with urllib.request.urlopen(req, timeout=10) as resp:
            last = json.loads(resp.read())
    assert last["stopping"] is True
    thread.join(timeout=20)
    assert not thread.is_alive() and result == [default_out(round_file)]
    assert {a.uid: a.labels for a in read_export(result[0])} == {
        _uid(tasks, n): SENTENCES[n][2] for n in range(4)}
    # Everything labelled already: nothing to serve, returns at once.
    assert serve(round_file, annotator="tester", stop_when_done=True, on_ready=urls.append) == result[0]
