"""The built-in labeling page: a round file labelled in a browser, for annotators without Label Studio.

A small stdlib HTTP server on the loopback interface serves one self-contained page (no network:
its Content-Security-Policy forbids any request but its own API) and a JSON API. Every save
rewrites the whole output file atomically in Label Studio's JSON export form, so that
``read_export`` reads it like any export, a crash loses at most the sentence on screen, and a
later ``serve`` on the same files resumes at the first unlabelled sentence.

API (JSON in and out; errors are ``{"error": ...}`` with 400/403/404/409/413/500, never a traceback):

- ``GET /api/tasks``: the round (sentence, context, predicted labels per task), the labels and their
  hints, and the state below.
- ``GET /api/state``: ``{"done", "total", "next", "annotations": [{"labels", "skipped"} | null, ...]}``.
- ``POST /api/save`` ``{"index", "uid", "labels", "lead_time", "skipped"}``: saves (or replaces) the
  annotator's annotation of one task; ``skipped`` writes a cancelled annotation, as Label Studio's skip does.
- ``POST /api/undo`` ``{}``: removes the annotator's most recent annotation and says which task it was.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
import os
import socket
import socketserver
import stat
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from gongkai.annotations.labelstudio import LABEL_HINTS, choices_of, prediction_result, read_export, read_round
from gongkai.errors import LabelFileError
from gongkai.inference.narrative.classify import LABELS

MAX_BODY = 64 * 1024  # a save is a few hundred bytes; anything larger is not from the page
_LOOPBACK_NAMES = ("localhost",)
# The page may talk to its own origin and nothing else: no fonts, scripts or beacons from the network.
_CSP = ("default-src 'none'; connect-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def default_out(round_file: Path) -> Path:
    """``<round stem>.labels.json`` beside the round file, so that a round and its labels travel together."""
    return round_file.with_name(round_file.stem + ".labels.json")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_of(hostport: str) -> str:
    """The host of ``host[:port]`` or ``[v6]:port``."""
    if hostport.startswith("["):
        return hostport[1:].split("]", 1)[0]
    return hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport


def _now() -> str:
    """Label Studio's ``created_at`` form (UTC, microseconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _uid(data: dict[str, Any]) -> str:
    return str(data.get("uid") or f"{data.get('doc')}#{data.get('span')}")


class RequestError(Exception):
    """A request the page should not have sent: answered with ``status`` and a message, never a traceback."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class LabelSession:
    """The round, the annotator's annotations and the output file; every change is written at once.

    Annotations by other annotators found in ``out`` are kept as they are; the page only edits its
    own (``completed_by == annotator``), one per task.
    """

    def __init__(self, round_file: Path, out: Path, annotator: str) -> None:
        self.round_file, self.out, self.annotator = round_file, out, annotator
        if out.resolve() == round_file.resolve():
            raise LabelFileError(f"{out}: the output file would overwrite the round file")
        self.tasks = read_round(round_file)
        self.predicted: list[tuple[str, ...]] = []
        self._index: dict[str, int] = {}
        for n, task in enumerate(self.tasks):
            where = f"{round_file}: task {n + 1}"
            data = task["data"]
            if not isinstance(data.get("text"), str) or not data["text"].strip():
                raise LabelFileError(f"{where}: the task has no sentence text")
            preds = task.get("predictions") or []
            if not isinstance(preds, list) or not all(isinstance(p, dict) for p in preds):
                raise LabelFileError(f"{where}: predictions must be a list of objects")
            self.predicted.append(choices_of(preds[-1].get("result"), where) if preds else ())
            uid = _uid(data)
            if uid in self._index:
                raise LabelFileError(f"{where}: uid {uid!r} repeats task {self._index[uid] + 1}; a round "
                                     "names each sentence once")
            self._index[uid] = n
        self.mine: list[dict[str, Any] | None] = [None] * len(self.tasks)
        self.others: list[list[dict[str, Any]]] = [[] for _ in self.tasks]
        self._order: list[int] = []  # tasks in the order they were saved: what undo takes back
        self._lock = threading.Lock()
        if out.exists():
            self._load()

    def _load(self) -> None:
        """Resume from an earlier output file (validated by ``read_export`` first)."""
        read_export(self.out)
        items = json.loads(self.out.read_text(encoding="utf-8"))
        if isinstance(items, dict):
            items = items.get("tasks")
        if not all(isinstance(t.get("data"), dict) and isinstance(t.get("annotations", []), list) for t in items):
            raise LabelFileError(f"{self.out}: not the labeling page's file (expected tasks with annotations)")
        for t in items:
            data = t["data"]
            n = self._index.get(_uid(data))
            if n is None or self.tasks[n]["data"].get("text_sha256") != data.get("text_sha256"):
                raise LabelFileError(f"{self.out}: task {_uid(data)!r} is not in {self.round_file}; this output "
                                     "belongs to another round (pass another output file)")
            for a in t.get("annotations") or []:
                if not isinstance(a, dict):
                    raise LabelFileError(f"{self.out}: task {_uid(data)!r}: an annotation is not an object")
                if str(a.get("completed_by")) == self.annotator:
                    self.mine[n] = a  # the last one wins, as in the page's own files there is one
                else:
                    self.others[n].append(a)
        saved = {n: str(a.get("created_at") or "") for n, a in enumerate(self.mine) if a is not None}
        self._order = sorted(saved, key=lambda n: (saved[n], n))

    # --- state ------------------------------------------------------------------------------------------

    def _labels_of(self, a: dict[str, Any]) -> list[str]:
        return list(choices_of(a.get("result"), str(self.out)))

    def state(self) -> dict[str, Any]:
        with self._lock:
            return self._state()

    def _state(self) -> dict[str, Any]:
        ann = [None if a is None else {"labels": self._labels_of(a), "skipped": bool(a.get("was_cancelled"))}
               for a in self.mine]
        done = sum(a is not None for a in ann)
        nxt = next((n for n, a in enumerate(ann) if a is None), None)
        return {"done": done, "total": len(ann), "next": nxt, "annotations": ann}

    def tasks_payload(self) -> dict[str, Any]:
        """What the page shows: the sentence and its context, never the anchors it does not need."""
        tasks = []
        for n, task in enumerate(self.tasks):
            d = task["data"]
            tasks.append({"index": n, "uid": _uid(d), "text": d.get("text", ""), "heading": d.get("heading") or "",
                          "before": d.get("before") or "", "after": d.get("after") or "",
                          "doc": str(d.get("doc", "")), "predicted": list(self.predicted[n])})
        return {"labels": list(LABELS), "hints": LABEL_HINTS, "annotator": self.annotator,
                "round": self.round_file.name, "out": str(self.out), "tasks": tasks, "state": self.state()}

    # --- changes ----------------------------------------------------------------------------------------

    def _task_of(self, body: dict[str, Any]) -> int:
        n = body.get("index")
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < len(self.tasks):
            raise RequestError(HTTPStatus.BAD_REQUEST, f"index must be a task number 0..{len(self.tasks) - 1}")
        uid = _uid(self.tasks[n]["data"])
        if body.get("uid") != uid:
            raise RequestError(HTTPStatus.CONFLICT, f"task {n} is {uid!r}, not {body.get('uid')!r}: "
                                                    "the round changed under the page; reload it")
        return n

    def save(self, body: dict[str, Any]) -> dict[str, Any]:
        labels, lead, skipped = body.get("labels", []), body.get("lead_time", 0), body.get("skipped", False)
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise RequestError(HTTPStatus.BAD_REQUEST, "labels must be a list of label names")
        unknown = sorted(set(labels) - set(LABELS))
        if unknown:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"unknown label(s) {unknown}; expected some of {list(LABELS)}")
        if not isinstance(lead, int | float) or isinstance(lead, bool) or not math.isfinite(lead) or lead < 0:
            raise RequestError(HTTPStatus.BAD_REQUEST, "lead_time must be a number of seconds >= 0")
        if not isinstance(skipped, bool):
            raise RequestError(HTTPStatus.BAD_REQUEST, "skipped must be true or false")
        with self._lock:
            n = self._task_of(body)
            self.mine[n] = {"completed_by": self.annotator, "result": [] if skipped else prediction_result(labels),
                            "lead_time": round(float(lead), 3), "created_at": _now(), "was_cancelled": skipped}
            if n in self._order:
                self._order.remove(n)
            self._order.append(n)
            self._write()
            return self._state()

    def undo(self) -> dict[str, Any]:
        """Take back the latest annotation; the page shows that task again with what had been saved."""
        with self._lock:
            if not self._order:
                raise RequestError(HTTPStatus.CONFLICT, "nothing to undo")
            n = self._order.pop()
            a = self.mine[n]
            self.mine[n] = None
            self._write()
            assert a is not None
            return {"index": n, "labels": [] if a.get("was_cancelled") else self._labels_of(a),
                    "skipped": bool(a.get("was_cancelled")), "lead_time": a.get("lead_time") or 0,
                    "state": self._state()}

    def _write(self) -> None:
        """The whole export, atomically: a reader never sees half a file, a crash never leaves one."""
        items = []
        for n, task in enumerate(self.tasks):
            mine = [self.mine[n]] if self.mine[n] is not None else []
            items.append({**task, "annotations": self.others[n] + mine})
        self.out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.out.name}.", suffix=".tmp", dir=self.out.parent)
        try:
            # mkstemp makes the file private (0600); keep the old file's mode, or the usual 0644.
            os.chmod(tmp, stat.S_IMODE(self.out.stat().st_mode) if self.out.exists() else 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(items, f, ensure_ascii=False, indent=1)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.out)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def page_html() -> str:
    """The page, a package data file (``gongkai/annotations/page.html``)."""
    return resources.files("gongkai.annotations").joinpath("page.html").read_text(encoding="utf-8")


class _Handler(BaseHTTPRequestHandler):
    server: LabelServer
    server_version = "gongkai-label"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: HTTPStatus, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", _CSP)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: HTTPStatus, obj: Any) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _guard(self) -> None:
        """Loopback only, also by name: a foreign Host or Origin (DNS rebinding, another site) is refused."""
        if not _is_loopback(_host_of(self.headers.get("Host") or "")):
            raise RequestError(HTTPStatus.FORBIDDEN, "the labeling page answers on the loopback address only")
        origin = self.headers.get("Origin")
        if origin and origin != "null":
            if not _is_loopback(_host_of(origin.split("://", 1)[-1])):
                raise RequestError(HTTPStatus.FORBIDDEN, "cross-origin requests are refused")

    def _body(self) -> dict[str, Any]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise RequestError(HTTPStatus.BAD_REQUEST, "bad Content-Length") from None
        if length > MAX_BODY:
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a request body is at most {MAX_BODY} bytes")
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"the body is not JSON ({exc})") from None
        if not isinstance(body, dict):
            raise RequestError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        return body

    def _dispatch(self, route: Callable[[], None]) -> None:
        try:
            self._guard()
            route()
        except RequestError as exc:
            self._json(exc.status, {"error": str(exc)})
        except (LabelFileError, OSError) as exc:  # the output file cannot be written: say so, keep serving
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"cannot save: {exc}"})
        except Exception as exc:  # a bug must not show a traceback to the annotator
            self.server.log_error(f"{type(exc).__name__}: {exc}")
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error ({type(exc).__name__})"})

    def do_GET(self) -> None:
        self._dispatch(self._get)

    do_HEAD = do_GET

    def do_POST(self) -> None:
        self._dispatch(self._post)

    def _get(self) -> None:
        path = self.path.split("?", 1)[0]
        session = self.server.session
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, self.server.html, "text/html; charset=utf-8")
        elif path == "/api/tasks":
            self._json(HTTPStatus.OK, session.tasks_payload())
        elif path == "/api/state":
            self._json(HTTPStatus.OK, session.state())
        elif path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        else:
            raise RequestError(HTTPStatus.NOT_FOUND, f"no such page: {path}")

    def _post(self) -> None:
        path = self.path.split("?", 1)[0]
        if path not in ("/api/save", "/api/undo"):
            raise RequestError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")
        body = self._body()
        session = self.server.session
        if path == "/api/save":
            state = session.save(body)
            stopping = self.server.stop_when_done and state["next"] is None
            self._json(HTTPStatus.OK, {**state, "stopping": stopping})
            if stopping:
                self.wfile.flush()
                self.server.stop()
        else:
            self._json(HTTPStatus.OK, session.undo())


class LabelServer(ThreadingHTTPServer):
    """The page's server; ``serve`` runs one to the end, tests may drive one themselves."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, session: LabelSession, host: str = "127.0.0.1", port: int = 0, *,
                 stop_when_done: bool = False, verbose: bool = False) -> None:
        if not _is_loopback(host):
            raise ValueError(f"host {host!r} is not a loopback address: the labeling page writes files on "
                             "request and has no login, so it listens on this machine only")
        self.session, self.stop_when_done, self.verbose = session, stop_when_done, verbose
        self.html = page_html().encode("utf-8")
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host.strip("[]"), port), _Handler)

    def server_bind(self) -> None:
        """As HTTPServer's, without its reverse-DNS lookup of the host (slow or hanging on machines offline)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}/"

    def stop(self) -> None:
        """Stop ``serve_forever`` from a request thread (``shutdown`` waits for the loop, so not inline)."""
        threading.Thread(target=self.shutdown, daemon=True).start()

    def log_error(self, format: str, *args: Any) -> None:
        print("labeling page: " + (format % args if args else format), flush=True)


def serve(round_file: Path, out: Path | None = None, *, host: str = "127.0.0.1", port: int = 0,
          annotator: str = "page", on_ready: Callable[[str], None] | None = None,
          stop_when_done: bool = False) -> Path:
    """Serve the labeling page for ``round_file`` until Ctrl-C (or, with ``stop_when_done``, the last save).

    The round and any earlier output are checked before the port opens (``LabelFileError``), so
    that a bad file is reported at once rather than as a broken page. ``on_ready`` gets the URL
    (default: print it); with ``stop_when_done`` and nothing left to label, nothing is served. Returns
    the output file, ``<round stem>.labels.json`` unless given.
    """
    round_file = Path(round_file)
    out = default_out(round_file) if out is None else Path(out)
    session = LabelSession(round_file, out, annotator)
    if stop_when_done and session.state()["next"] is None:
        print(f"All {len(session.tasks)} sentences of {round_file.name} are already labelled in {out}.", flush=True)
        return out
    with LabelServer(session, host, port, stop_when_done=stop_when_done) as server:
        state = session.state()
        if on_ready is None:
            print(f"Labeling page for {round_file.name} ({state['done']} / {state['total']} done): {server.url}\n"
                  f"Labels are saved to {out} at every sentence; press Ctrl-C to stop.", flush=True)
        else:
            on_ready(server.url)
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
    return out
