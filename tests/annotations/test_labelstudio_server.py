"""A round through a real Label Studio server and back: project, tasks with predictions, annotations, exports.

Label Studio (1.23) runs from its own environment, ``.venv-labelstudio`` at the repository root
(or the executable named by ``$GONGKAI_LABEL_STUDIO``), on 127.0.0.1 only, with a throw-away data
folder, telemetry, Sentry and the version check off. The round is made from two real reports read
from ../shared at run time; the exports (JSON, JSON_MIN and a snapshot with full predictions) are
read back with ``read_export`` and imported with ``gongkai label import``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from gongkai.annotations.labelstudio import Annotation, labeling_config, read_export, task_of
from gongkai.annotations.pool import pool_from_files
from gongkai.annotations.store import import_export, latest, read_lines
from gongkai.inference.narrative.classify import LABELS
from tests.conftest import REPO, shared_path

VERSION = "1.23."
INSTALL = "python3 -m venv .venv-labelstudio && .venv-labelstudio/bin/pip install 'label-studio==1.23.*'"
START_DEADLINE_S = 300  # first start ~30-70 s; generous for a loaded CI machine
REPORTS = ("r043.txt", "r045.txt")
ADMIN, SECOND = "annotator1@example.org", "annotator2@example.org"
# What each of the eight tasks gets: (person, labels, cancelled); labels in posting order, not ours.
ANSWERS: list[list[tuple[str, list[str], bool]]] = [
    [(ADMIN, ["problem"], False)],
    [(ADMIN, ["platform", "measure"], False)],                        # several choices
    [(ADMIN, [], False)],                                             # none ticked: a label too
    [(ADMIN, ["supervision"], True)],                                 # skipped: reported, never stored
    [(ADMIN, ["problem"], False), (SECOND, ["measure"], False)],      # disagreement: a conflict
    [(ADMIN, ["supervision", "problem", "platform"], False)],
    [(ADMIN, list(LABELS), False), (SECOND, list(reversed(LABELS)), False)],  # two who agree
    [],                                                               # nobody annotated it
]
CONFLICT, CANCELLED = 4, 3
STORED = [n for n, people in enumerate(ANSWERS) if people and n not in (CONFLICT, CANCELLED)]


def canonical(labels: list[str]) -> tuple[str, ...]:
    return tuple(lab for lab in LABELS if lab in labels)


def label_studio_executable() -> Path:
    named = os.environ.get("GONGKAI_LABEL_STUDIO")
    path = Path(named) if named else REPO / ".venv-labelstudio" / "bin" / "label-studio"
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"Label Studio {VERSION}x is needed for this test and was not found at {path}"
                    f"{' ($GONGKAI_LABEL_STUDIO)' if named else ''}. Install it in its own environment at the "
                    f"repository root: {INSTALL} (CI does this in .ci/run), or set GONGKAI_LABEL_STUDIO to a "
                    "label-studio executable")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path
    start_s: float
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.session.trust_env = False  # no proxy: 127.0.0.1 only
        self.session.headers["Authorization"] = f"Token {self.token}"

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> requests.Response:
        r = self.session.request(method, self.url + path, timeout=60, **kwargs)
        assert r.status_code == expect, (f"{method} {path}: HTTP {r.status_code}: {r.text[:800]}\n"
                                         f"server log:\n{self.log_tail(2000)}")
        return r

    def export_all(self, project: int, folder: Path, title: str) -> dict[str, Path]:
        """The project in every export form the importers read: the plain JSON and JSON_MIN exports, and a
        snapshot (full predictions, annotators by email) downloaded as JSON and JSON_MIN."""
        exports: dict[str, Path] = {}
        for form in ("JSON", "JSON_MIN"):
            r = self.call("GET", f"/api/projects/{project}/export",
                          params={"exportType": form, "download_all_tasks": "true"})
            exports[form] = folder / f"export-{form}.json"
            exports[form].write_bytes(r.content)
        snapshot = self.call("POST", f"/api/projects/{project}/exports/", expect=201, json={
            "title": title, "serialization_options": {
                "predictions": {"only_id": False}, "annotations__completed_by": {"only_id": False},
                "drafts": {"only_id": True}}}).json()
        # The snapshot is built in the background: poll its status (the deadline only bounds a broken server).
        deadline = time.monotonic() + 120
        while snapshot["status"] not in ("completed", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
            snapshot = self.call("GET", f"/api/projects/{project}/exports/{snapshot['id']}").json()
        assert snapshot["status"] == "completed", snapshot
        for form, name in (("JSON", "snapshot"), ("JSON_MIN", "snapshot-JSON_MIN")):
            r = self.call("GET", f"/api/projects/{project}/exports/{snapshot['id']}/download",
                          params={"exportType": form})
            exports[name] = folder / f"export-{name}.json"
            exports[name].write_bytes(r.content)
        return exports

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill; anything the server started in its own session goes with it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # its session (start_new_session): stragglers, if any
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    exe = label_studio_executable()
    root = tmp_path_factory.mktemp("label-studio")
    (root / "home").mkdir()
    token = secrets.token_hex(20)
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(root / "home"), "LANG": "C.UTF-8",
           "PYTHONUNBUFFERED": "1", "LABEL_STUDIO_BASE_DATA_DIR": str(root / "data"),
           "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
           "COLLECT_ANALYTICS": "false", "LATEST_VERSION_CHECK": "false"}
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    cmd = [str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(free_port()),
           "--username", ADMIN, "--password", secrets.token_hex(12), "--user-token", token,
           "--enable-legacy-api-token"]
    log = root / "server.log"
    t0 = time.monotonic()
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   cwd=root, start_new_session=True)
    try:
        url = _wait_ready(process, log, t0)
        srv = Server(url, token, process, log, time.monotonic() - t0)
        print(f"\nLabel Studio ready at {url} after {srv.start_s:.1f} s")
        yield srv
        status = Path(f"/proc/{process.pid}/status")
        if status.is_file():  # Linux: what the server took, for the record (pytest -s shows it)
            peak = re.search(r"VmHWM:\s*(\d+) kB", status.read_text())
            print(f"\nLabel Studio peak RSS {int(peak.group(1)) / 1024:.0f} MiB" if peak else "")
    finally:
        _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], log: Path, t0: float) -> str:
    """The server's URL once /health/ answers; fails with the log's tail if it exits or the deadline passes."""
    url = None
    with requests.Session() as s:
        s.trust_env = False
        while time.monotonic() - t0 < START_DEADLINE_S:
            if process.poll() is not None:
                pytest.fail(f"Label Studio exited with code {process.returncode} while starting:\n"
                            + log.read_text(encoding="utf-8", errors="replace")[-4000:])
            if url is None:  # the port it really took (it moves on when the one asked for is busy)
                m = re.search(r"Starting development server at (http://[\d.]+:\d+)/",
                              log.read_text(encoding="utf-8", errors="replace"))
                url = m.group(1) if m else None
                assert url is None or url.startswith("http://127.0.0.1:"), url
            if url is not None:
                try:
                    if s.get(url + "/health/", timeout=2).json().get("status") == "UP":
                        return url
                except (requests.RequestException, ValueError):
                    pass
            time.sleep(0.2)
    pytest.fail(f"Label Studio did not answer on /health/ within {START_DEADLINE_S:.0f} s:\n"
                + log.read_text(encoding="utf-8", errors="replace")[-4000:])


@dataclass
class Round:
    tasks: list[dict[str, Any]]  # as written by task_of, in ANSWERS order
    users: dict[str, int]  # email -> Label Studio user id
    exports: dict[str, Path]  # form -> downloaded file

    def uid(self, n: int) -> str:
        return self.tasks[n]["data"]["uid"]


@pytest.fixture(scope="module")
def shared() -> Path:
    return shared_path()  # checked before the server starts


@pytest.fixture(scope="module")
def labelled(shared: Path, server: Server, tmp_path_factory: pytest.TempPathFactory) -> Round:
    """A round of eight real sentences labelled through the API, and its exports."""
    pool = pool_from_files([shared_path("corpus", "real", r) for r in REPORTS], shared=shared, classifier="tfidf")
    picked = pool[:: max(1, len(pool) // len(ANSWERS))][: len(ANSWERS)]
    assert len(picked) == len(ANSWERS), f"{len(pool)} sentences in {REPORTS}"
    tasks = [task_of(c, [lab for lab in LABELS if c.scores[lab] >= 0.5], "tfidf@test", max(c.scores.values()), 1,
                     "uncertainty") for c in picked]

    version = server.call("GET", "/api/version/").json()
    found = version.get("label-studio-os-package", {}).get("version") or version.get("release")
    assert str(found).startswith(VERSION), f"Label Studio {found}; this test is written against {VERSION}x: {INSTALL}"

    users = {ADMIN: server.call("GET", "/api/current-user/whoami").json()["id"]}
    users[SECOND] = server.call("POST", "/api/users/", expect=201, json={"email": SECOND, "username": "second"}
                                ).json()["id"]
    project = server.call("POST", "/api/projects", expect=201,
                          json={"title": "gongkai round 1", "label_config": labeling_config()}).json()["id"]
    imported = server.call("POST", f"/api/projects/{project}/import", expect=201, json=tasks).json()
    assert (imported["task_count"], imported["prediction_count"]) == (len(tasks), len(tasks))

    listed = server.call("GET", "/api/tasks", params={"project": project, "page_size": 100}).json()["tasks"]
    by_uid = {t["data"]["uid"]: t["id"] for t in listed}
    assert len(by_uid) == len(tasks)
    for task, people in zip(tasks, ANSWERS):
        for who, labels, cancelled in people:
            body = {"result": [{"from_name": "labels", "to_name": "text", "type": "choices",
                                "value": {"choices": labels}}] if labels else [],
                    "lead_time": 4.5, "was_cancelled": cancelled, "completed_by": users[who]}
            made = server.call("POST", f"/api/tasks/{by_uid[task['data']['uid']]}/annotations/", expect=201,
                               json=body).json()
            assert made["completed_by"] == users[who]

    exports = server.export_all(project, tmp_path_factory.mktemp("exports"), "round 1")
    return Round(tasks, users, exports)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_export_forms_are_as_read_export_expects(labelled: Round) -> None:
    """What 1.23 writes: checked here so that a new Label Studio that writes otherwise fails loudly."""
    uid = {t["data"]["uid"]: n for n, t in enumerate(labelled.tasks)}
    full = _json(labelled.exports["JSON"])
    assert len(full) == len(ANSWERS)
    for task in full:
        n = uid[task["data"]["uid"]]
        assert task["data"] == labelled.tasks[n]["data"]
        assert all(isinstance(p, int) for p in task["predictions"])  # ids only
        assert sorted((a["completed_by"], a["was_cancelled"]) for a in task["annotations"]) == sorted(
            (labelled.users[w], c) for w, _, c in ANSWERS[n])  # completed_by: the user's id
    snapshot = _json(labelled.exports["snapshot"])
    for task in snapshot:
        n = uid[task["data"]["uid"]]
        assert [p["result"] for p in task["predictions"]] == [p["result"] for p in labelled.tasks[n]["predictions"]]
        assert sorted(a["completed_by"]["email"] for a in task["annotations"]) == sorted(w for w, _, _ in ANSWERS[n])
    for form, annotator in (("JSON_MIN", labelled.users), ("snapshot-JSON_MIN", {e: e for e in labelled.users})):
        rows = _json(labelled.exports[form])
        seen = []
        for row in rows:
            n = uid[row["uid"]]
            if row["annotation_id"] is None:  # a task nobody annotated still has its row
                assert not ANSWERS[n] and row["annotator"] is None and "labels" not in row
                continue
            seen.append(n)
            person = [p for p in ANSWERS[n] if annotator[p[0]] == row["annotator"]]
            assert len(person) == 1, (form, row["annotator"])
            labels = person[0][1]
            if not labels:
                assert "labels" not in row  # nothing ticked: no key at all
            elif len(labels) == 1:
                assert row["labels"] == labels[0]  # one choice: a plain string
            else:
                assert row["labels"] == {"choices": labels}  # several: as posted
        # cancelled annotations are left out of JSON_MIN altogether
        assert sorted(seen) == sorted(n for n, people in enumerate(ANSWERS) for _, _, c in people if not c)


def expected_annotations(labelled: Round, by_email: bool, with_cancelled: bool) -> list[tuple[Any, ...]]:
    return sorted((labelled.uid(n), canonical(labels), who if by_email else str(labelled.users[who]), cancelled)
                  for n, people in enumerate(ANSWERS) for who, labels, cancelled in people
                  if with_cancelled or not cancelled)


@pytest.mark.parametrize(("form", "by_email", "with_cancelled"), [
    ("JSON", False, True), ("snapshot", True, True), ("JSON_MIN", False, False), ("snapshot-JSON_MIN", True, False)])
def test_read_export_gives_every_annotation_once(labelled: Round, form: str, by_email: bool,
                                                 with_cancelled: bool) -> None:
    anns: list[Annotation] = read_export(labelled.exports[form])
    got = sorted((a.uid, a.labels, a.annotator, a.cancelled) for a in anns)
    assert got == expected_annotations(labelled, by_email, with_cancelled)
    for a in anns:
        n = [t["data"]["uid"] for t in labelled.tasks].index(a.uid)
        assert a.data == labelled.tasks[n]["data"]
        assert a.lead_time == 4.5 and a.created_at


def _gongkai(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("gongkai")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300, cwd=REPO)


@pytest.mark.parametrize("form", ["JSON", "snapshot", "JSON_MIN", "snapshot-JSON_MIN"])
def test_import_stores_each_label_once_and_reports_the_conflict(labelled: Round, shared: Path, tmp_path: Path,
                                                                form: str) -> None:
    labels = tmp_path / "labels.jsonl"
    done = _gongkai("label", "import", str(labelled.exports[form]), "--labels", str(labels), "--shared", str(shared))
    assert done.returncode == 0, done.stdout + done.stderr
    assert labelled.uid(CONFLICT) in done.stdout, done.stdout
    lines = read_lines(labels)
    assert len(lines) == len(STORED)
    stored = latest(lines)
    for n in STORED:
        d = labelled.tasks[n]["data"]
        line = stored[(d["doc"], tuple(d["span"]))]
        assert tuple(line["labels"]) == canonical(ANSWERS[n][0][1])
        assert (line["text_sha256"], line["round"], line["model_version"]) == (d["text_sha256"], 1, "tfidf@test")
    assert {d["uid"] for d in (labelled.tasks[n]["data"] for n in (CONFLICT, CANCELLED))}.isdisjoint(
        f"{ln['doc']}#{ln['span'][0]}-{ln['span'][1]}" for ln in lines)

    before = labels.read_bytes()
    again = import_export(labelled.exports[form], labels, shared)
    assert (again.added, again.superseded, again.unchanged) == (0, 0, len(STORED))
    assert again.cancelled == (1 if "MIN" not in form else 0)  # JSON_MIN leaves skipped annotations out
    assert [c.uid for c in again.conflicts] == [labelled.uid(CONFLICT)]
    assert sorted(again.conflicts[0].labels.values()) == [("measure",), ("problem",)]
    assert labels.read_bytes() == before


def test_the_forms_agree(labelled: Round, shared: Path, tmp_path: Path) -> None:
    """One store fed every form: the first adds the labels, the others find them all unchanged."""
    labels = tmp_path / "labels.jsonl"
    first = import_export(labelled.exports["snapshot"], labels, shared)
    assert (first.added, first.unchanged, first.cancelled) == (len(STORED), 0, 1)
    before = labels.read_bytes()
    for form in ("JSON", "JSON_MIN", "snapshot-JSON_MIN"):
        result = import_export(labelled.exports[form], labels, shared)
        assert (result.added, result.superseded, result.unchanged) == (0, 0, len(STORED)), form
    assert labels.read_bytes() == before
    two = latest(read_lines(labels))[(labelled.tasks[6]["data"]["doc"], tuple(labelled.tasks[6]["data"]["span"]))]
    assert two["annotator"] == f"{ADMIN}; {SECOND}" and tuple(two["labels"]) == tuple(LABELS)

