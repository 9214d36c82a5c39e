"""Batch hygiene: time limits that hold, workers that die with the batch, clean stops, symlinks.

Interruptions are driven by progress (after k records in the manifest), never by a sleep;
waits on the outcome have generous caps that only a failure reaches.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from gongkai.batch import Options, run_batch
from gongkai.batch.engines import Job, LocalEngine
from gongkai.batch.inputs import iter_inputs
from gongkai.batch.store import iter_jsonl
from gongkai.batch.worker import process, sha256_of
from gongkai.fuzz.hostile import raw_pdf
from gongkai.training.synth import generate

REPO = Path(__file__).resolve().parents[2]
# Caps on waiting for something that must happen; only a failure reaches them.
EXIT_CAP_S = 120.0
ORPHAN_CAP_S = 15.0

STUCK_WORKER = '''
import signal, threading
def handle(job):
    """A worker stuck in native code: no signal gets it out, it never answers."""
    if job.name.endswith("stuck.txt"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        threading.Event().wait()
    from gongkai.batch.engines import handle_job
    return handle_job(job)
'''


def _reports(folder: Path, n: int, seed: int = 3) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, item in enumerate(generate(n, seed=seed, layouts=("tsv", "tab_cells", "markdown"))):
        path = folder / f"r{i:03d}.txt"
        path.write_bytes(item.source_bytes)
        out.append(path)
    return out


def _looping_pdf() -> bytes:
    """A stream whose /Length is an object that is a reference to itself: pdfminer loops on it forever."""
    content = b"BT /F1 12 Tf 72 700 Td (a) Tj ET"
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents 5 0 R >>")
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
                    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", page,
                    b"<< /Length 6 0 R >>\nstream\n" + content + b"\nendstream", b"6 0 R"])


def test_a_looping_pdf_is_refused_at_once() -> None:
    record = process("loop.pdf", _looping_pdf(), Options(time_limit=30, classify=False))
    assert record.code == "E004" and "leads back to itself" in (record.reason or "")


def test_a_worker_that_never_returns_is_killed_and_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "stuck_worker.py").write_text(STUCK_WORKER)
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setattr("gongkai.batch.engines.KILL_GRACE_S", 1.0)
    files = _reports(tmp_path / "in", 3)
    jobs = [Job(p.name, p.read_bytes(), sha256_of(p.read_bytes())) for p in files]
    jobs.insert(1, Job("stuck.txt", b"x", "0" * 64))
    # The limit is far above what a report takes even on a loaded machine; only the stuck job reaches it.
    engine = LocalEngine(2, handler="stuck_worker:handle")
    try:
        records = {r.input: r for r in engine.run(jobs, Options(time_limit=60.0, classify=False))}
        pids = [s.pid for s in engine.sandboxes]
    finally:
        engine.close()
    assert records["stuck.txt"].code == "T001" and "was killed" in (records["stuck.txt"].reason or "")
    assert all(records[p.name].status == "report" for p in files)  # the batch went on with a fresh worker
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in pids)


def test_a_worker_that_dies_costs_only_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "dying_worker.py").write_text(
        "import os, signal\n"
        "def handle(job):\n"
        "    if job.name == 'segv.txt':\n"
        "        os.kill(os.getpid(), signal.SIGSEGV)\n"
        "    from gongkai.batch.engines import handle_job\n"
        "    return handle_job(job)\n")
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    files = _reports(tmp_path / "in", 2)
    jobs = [Job("segv.txt", b"x", "1" * 64)] + [Job(p.name, p.read_bytes(), sha256_of(p.read_bytes())) for p in files]
    engine = LocalEngine(1, handler="dying_worker:handle")
    try:
        records = {r.input: r for r in engine.run(jobs, Options(classify=False))}
    finally:
        engine.close()
    assert records["segv.txt"].code == "E998" and "SIGSEGV" in (records["segv.txt"].reason or "")
    assert all(records[p.name].status == "report" for p in files)


def test_a_freed_worker_has_its_next_file_before_the_caller_handles_the_record(tmp_path: Path) -> None:
    """The runner writes logs and tags sentences between records; a worker must not idle through that."""
    files = _reports(tmp_path / "in", 3)
    jobs = [Job(p.name, p.read_bytes(), sha256_of(p.read_bytes())) for p in files]
    engine = LocalEngine(1)
    seen: list[tuple[str, str | None]] = []
    try:
        for record in engine.run(jobs, Options(classify=False)):
            sandbox = engine.sandboxes[0]
            seen.append((record.input, sandbox.pending.name if sandbox.busy else None))
    finally:
        engine.close()
    names = [p.name for p in files]
    assert seen == [(names[0], names[1]), (names[1], names[2]), (names[2], None)]


def _records(out: Path) -> int:
    manifest = out / "manifest.jsonl"
    return manifest.read_text(encoding="utf-8").count("\n") if manifest.exists() else 0


def _batch(inputs: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "gongkai.cli", "batch", str(inputs), "--out", str(out), "--quiet",
                             "--no-classify", "--workers", "2", *extra], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _run_until(proc: subprocess.Popen[bytes], out: Path, k: int) -> list[psutil.Process]:
    """Wait for k records (progress, not time), then return the batch's process tree below the main process."""
    main = psutil.Process(proc.pid)
    while _records(out) < k:
        assert proc.poll() is None, "the batch ended before k records"
        time.sleep(0.05)
    return main.children(recursive=True)


def _gone(processes: list[psutil.Process]) -> bool:
    deadline = time.monotonic() + ORPHAN_CAP_S
    while time.monotonic() < deadline:
        alive = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_workers_die_with_a_killed_batch(tmp_path: Path, engine: str) -> None:
    if engine == "dask":
        pytest.importorskip("distributed")
    _reports(tmp_path / "in", 40)
    out = tmp_path / "out"
    proc = _batch(tmp_path / "in", out, "--engine", engine)
    children = _run_until(proc, out, 3)
    assert children, "the batch runs its files in worker processes"
    proc.kill()
    proc.wait(timeout=EXIT_CAP_S)
    assert _gone(children), [p.pid for p in children if p.is_running()]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_cleanly_and_resume(tmp_path: Path, sig: signal.Signals) -> None:
    files = _reports(tmp_path / "in", 30)
    out = tmp_path / "out"
    proc = _batch(tmp_path / "in", out)
    children = _run_until(proc, out, 4)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=EXIT_CAP_S)
    message = err.decode()
    assert proc.returncode == 128 + sig, message
    assert "Traceback" not in message and "Run the same command again to resume" in message
    assert _gone(children)
    done = _records(out)
    assert 4 <= done < len(files)
    again = _batch(tmp_path / "in", out)
    again.communicate(timeout=EXIT_CAP_S * 5)
    assert again.returncode == 0
    names = [m["input"] for m in iter_jsonl(out / "manifest.jsonl")]
    assert sorted(names) == sorted(str(p) for p in files)  # every input exactly once


def test_symlinks_leaving_the_inputs_are_skipped_with_a_reason(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    [inside] = _reports(inputs / "sub", 1)
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("政府信息公开 secret", encoding="utf-8")
    (inputs / "passwd").symlink_to("/etc/passwd")
    (inputs / "secret.txt").symlink_to(secret)
    (inputs / "again.txt").symlink_to(inside)
    (inputs / "outdir").symlink_to(secret.parent, target_is_directory=True)
    items = {Path(i.name).name: i for i in iter_inputs([inputs])}
    for name in ("passwd", "secret.txt", "outdir"):
        assert items[name].data is None and items[name].skipped and "not followed" in (items[name].problem or "")
    assert items["again.txt"].data == inside.read_bytes()  # a link inside the inputs is read
    assert "secret.txt" in {Path(i.name).name for i in iter_inputs([inputs], follow_symlinks=True) if i.data}
    out = tmp_path / "out"
    run_batch([inputs], out, workers=1, options=Options(classify=False), progress=False)
    skipped = {Path(e["file"]).name: e for e in iter_jsonl(out / "errors.jsonl") if e["status"] == "skipped"}
    assert {"passwd", "secret.txt", "outdir"} <= set(skipped) and skipped["passwd"]["code"] == "I002"


def test_dask_enforces_the_time_limit_in_its_workers(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    files = _reports(tmp_path / "in", 2)
    out = tmp_path / "out"
    result = run_batch([tmp_path / "in"], out, workers=1, engine="dask", progress=False,
                       options=Options(classify=False, time_limit=0.001))
    errors = list(iter_jsonl(out / "errors.jsonl"))
    assert result.counts.get("error") == len(files) and {e["code"] for e in errors} == {"T001"}


def _warc_bytes(n: int, gzip: bool, seed: int) -> tuple[bytes, list[int]]:
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzip)
    starts = []
    for i, item in enumerate(generate(n, seed=seed, layouts=("tsv",))):
        starts.append(buffer.tell())
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/plain; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"https://example.gov.cn/{i}.txt", "response",
                                                      payload=io.BytesIO(item.source_bytes), http_headers=headers))
    return buffer.getvalue(), starts


def test_a_damaged_warc_record_is_one_line_and_reading_resumes(tmp_path: Path) -> None:
    plain, starts = _warc_bytes(4, gzip=False, seed=11)
    at = plain.index(b"Content-Length: ", plain.index(b"WARC/1.", starts[1]))
    plain = plain[:at] + b"Content-Length: 99" + plain[plain.index(b"\r\n", at):]  # record 1 claims 99 bytes
    zipped, zstarts = _warc_bytes(4, gzip=True, seed=12)
    zipped = zipped[:zstarts[2] + 30] + b"\x00" * 40 + zipped[zstarts[2] + 70:]  # record 2's gzip member broken
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "plain.warc").write_bytes(plain)
    (inputs / "zipped.warc.gz").write_bytes(zipped)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "gongkai.cli", "batch", str(inputs), "--out", str(out), "--quiet",
                           "--no-sentences", "--workers", "1"], cwd=REPO, capture_output=True, timeout=EXIT_CAP_S * 5)
    assert proc.returncode == 0 and proc.stderr == b""  # the WARC library's warnings do not reach the terminal
    errors = {e["file"].replace(f"{inputs}/", ""): e for e in iter_jsonl(out / "errors.jsonl")}
    assert "Content-Length" in errors["plain.warc#https://example.gov.cn/1.txt"]["reason"]
    lost = [e for name, e in errors.items() if name.startswith("zipped.warc.gz@")]
    assert len(lost) == 1 and "reading resumed at the next record" in lost[0]["reason"]
    reports = {r["source"]["path"].replace(f"{inputs}/", "") for r in iter_jsonl(out / "reports.jsonl")}
    assert reports == {"plain.warc#https://example.gov.cn/0.txt", "plain.warc#https://example.gov.cn/2.txt",
                       "plain.warc#https://example.gov.cn/3.txt", "zipped.warc.gz#https://example.gov.cn/0.txt",
                       "zipped.warc.gz#https://example.gov.cn/1.txt", "zipped.warc.gz#https://example.gov.cn/3.txt"}


def test_a_dask_task_that_fails_becomes_a_coded_line() -> None:
    """KilledWorker (the Dask worker died, e.g. for memory) is the file's E998 line, not the batch's end."""
    distributed = pytest.importorskip("distributed")
    from gongkai.batch.engines import DaskEngine

    class Lost:
        def result(self) -> object:
            raise distributed.KilledWorker("task-1", SimpleNamespace(address="tcp://127.0.0.1:1"), 3)

        def release(self) -> None:
            pass

    future = Lost()
    job = Job("big.pdf", b"", "2" * 64)
    record = DaskEngine._result(future, {future: job})
    assert record.code == "E998" and record.input == "big.pdf" and "KilledWorker" in (record.reason or "")
