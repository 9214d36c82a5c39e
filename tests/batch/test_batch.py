"""gongkai batch: mixed inputs and bad files, duplicates, outputs, kill-and-resume, Dask = local."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gongkai.batch import Options, run_batch
from gongkai.batch.inputs import iter_inputs
from gongkai.batch.store import Store, iter_jsonl
from gongkai.batch.worker import process
from gongkai.inference.readers import MAX_INPUT_BYTES
from gongkai.training.synth import random_values, render

REPO = Path(__file__).resolve().parents[2]
NOTICE = "关于做好春节期间值班工作的通知\n各科室：\n请按排班表做好值班工作，确保通讯畅通。\n特此通知。\n"


def _report(seed: int, layout: str = "tsv") -> bytes:
    rng = random.Random(seed)
    return render(random_values(rng), layout, rng).source_bytes


def _two_years(seed: int) -> tuple[bytes, bytes]:
    """The same (generated) agency reporting two consecutive years, carry rows not matching."""
    rng = random.Random(seed)
    first = render(random_values(rng), "tsv", rng)
    second = render(random_values(rng), "tsv", rng)
    text = (second.text or "").replace(second.agency, first.agency).replace(f"{second.year}年", f"{first.year + 1}年")
    return (first.text or "").encode(), text.encode()


def _warc(records: list[tuple[str, bytes]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for uri, body in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.0")
        writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body),
                                                      http_headers=headers))
    return buffer.getvalue()


@pytest.fixture()
def archive(tmp_path: Path) -> Path:
    """A scraped folder: reports in several formats and containers, plus everything that goes wrong."""
    root = tmp_path / "scraped"
    (root / "site" / "2023").mkdir(parents=True)
    for i, layout in enumerate(("tsv", "markdown", "tab_cells", "html")):
        suffix = ".html" if layout == "html" else ".txt"
        (root / "site" / "2023" / f"r{i}{suffix}").write_bytes(_report(i, layout))
    (root / "site" / "copy-of-r0.txt").write_bytes(_report(0, "tsv"))  # same bytes, other name
    older, newer = _two_years(40)
    (root / "site" / "agency-2021.txt").write_bytes(older)
    (root / "site" / "agency-2022.txt").write_bytes(newer)
    with zipfile.ZipFile(root / "bundle.zip", "w") as z:
        z.writestr("a/report-a.txt", _report(11))
        z.writestr("a/report-b.md", _report(12, "markdown"))
    with tarfile.open(root / "bundle.tar.gz", "w:gz") as t:
        data = _report(13)
        info = tarfile.TarInfo("t/report-c.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    (root / "crawl.warc.gz").write_bytes(_warc([("https://example.gov.cn/gk/2023.html", _report(14, "html"))]))
    (root / "notice.txt").write_text(NOTICE, encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    noise = random.Random(1)
    (root / "binary.bin").write_bytes(bytes(noise.randrange(256) for _ in range(4096)))
    (root / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <</Type /Catalog" + b"\x00" * 64)
    with open(root / "huge.txt", "wb") as f:  # sparse: costs no disk
        f.truncate(MAX_INPUT_BYTES + 1)
    return root


def test_inputs_are_walked_through_folders_and_containers(archive: Path) -> None:
    names = [item.name for item in iter_inputs([archive])]
    assert any(n.endswith("bundle.zip!a/report-a.txt") for n in names)
    assert any(n.endswith("bundle.tar.gz!t/report-c.txt") for n in names)
    assert any(n.endswith("crawl.warc.gz#https://example.gov.cn/gk/2023.html") for n in names)
    huge = next(item for item in iter_inputs([archive]) if item.name.endswith("huge.txt"))
    assert huge.data is None and "allowed" in (huge.problem or "")


def test_a_mixed_archive_runs_to_the_end_with_every_bad_file_explained(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_batch([archive], out, workers=1, options=Options(classify=False), progress=False)
    errors = {Path(e["file"]).name: e for e in iter_jsonl(out / "errors.jsonl")}
    assert set(errors) == {"notice.txt", "empty.txt", "binary.bin", "broken.pdf", "huge.txt"}
    assert errors["notice.txt"]["status"] == "skipped" and "政府信息公开工作年度报告" in errors["notice.txt"]["reason"]
    assert errors["empty.txt"]["code"] == "E001"
    assert errors["broken.pdf"]["code"] == "E004"
    assert "allowed" in errors["huge.txt"]["reason"]
    reports = list(iter_jsonl(out / "reports.jsonl"))
    assert len(reports) == 10  # 4 + 2 years + 2 in the zip + 1 in the tar + 1 in the crawl; r0 once
    manifest = list(iter_jsonl(out / "manifest.jsonl"))
    duplicate = next(m for m in manifest if m["status"] == "duplicate")
    assert duplicate["input"].endswith("copy-of-r0.txt") and duplicate["of"].endswith("r0.txt")
    assert result.counts == {"report": 10, "skipped": 1, "error": 4, "duplicate": 1}

    cells = pq.read_table(out / "cells.parquet").to_pylist()
    assert len(cells) == sum(1 for _ in cells if _["table"]) and len({c["input"] for c in cells}) == 10
    row = next(c for c in cells if c["table"] == "requests" and c["row"] == "new_received" and c["column"] == "total")
    assert isinstance(row["value"], float) and 0 <= row["confidence"] <= 1
    findings = pq.read_table(out / "findings.parquet").to_pylist()
    assert any(f["rule"] == "year.carry_over" and f["input"].endswith("agency-2022.txt") for f in findings)
    assert pq.read_table(out / "sentences.parquet").num_rows > 0
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 5 and "year.carry_over" in page


def test_running_again_redoes_nothing(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch([archive], out, workers=1, options=Options(sentences=False), progress=False)
    before = (out / "reports.jsonl").read_bytes()
    again = run_batch([archive], out, workers=1, options=Options(sentences=False), progress=False)
    assert again.counts == {} and again.already_done == 16
    assert (out / "reports.jsonl").read_bytes() == before


def test_tables_written_as_records_arrive_equal_tables_derived_from_the_logs(archive: Path, tmp_path: Path) -> None:
    """A fresh batch writes its parquet from the workers' rows; a resumed one derives it from reports.jsonl."""
    from gongkai.batch.derived import derive

    out = tmp_path / "out"
    result = run_batch([archive], out, workers=2, options=Options(classify=False), progress=False)
    names = ("cells.parquet", "sentences.parquet", "findings.parquet")
    fresh = {name: pq.read_table(out / name) for name in names}
    assert fresh["sentences.parquet"].num_rows > 0 and result.tables["cells.parquet"] == fresh["cells.parquet"].num_rows
    assert any(f["rule"] == "year.carry_over" for f in fresh["findings.parquet"].to_pylist())
    counts = derive(out)
    for name in names:
        again = pq.read_table(out / name)
        assert again.schema == fresh[name].schema and again.to_pylist() == fresh[name].to_pylist(), name
        assert counts[name] == again.num_rows
    assert not list(out.glob(".*.tmp"))


def test_a_line_cut_by_a_kill_is_dropped_and_its_input_redone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    whole = json.dumps({"input": "a.txt", "sha256": "1", "status": "error"}) + "\n"
    (out / "manifest.jsonl").write_text(whole + '{"input": "b.t', encoding="utf-8")
    (out / "errors.jsonl").write_text(json.dumps({"file": "c.txt", "sha256": "3", "status": "error"}) + "\n",
                                      encoding="utf-8")
    store = Store.open(out)
    store.close()
    assert store.done_names == {"a.txt", "c.txt"}  # b.txt was being written: not done
    assert store.recovered == 1  # c.txt reached its log but not the manifest
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["input"] for line in lines] == ["a.txt", "c.txt"]


def test_per_file_time_limit_makes_an_error_not_a_hang() -> None:
    record = process("slow.txt", _report(3), Options(time_limit=0.001, classify=False))
    assert record.status == "error" and record.code == "T001" and "time limit" in (record.reason or "")


def _cli(inputs: list[Path], out: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "gongkai.cli", "batch", *map(str, inputs), "--out", str(out),
                             "--quiet", *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _outputs(out: Path) -> tuple[list[str], list[tuple[str, str, str]], list[dict[str, object]]]:
    reports = sorted((out / "reports.jsonl").read_text(encoding="utf-8").splitlines())
    manifest = sorted((m["input"], m["sha256"], m["status"]) for m in iter_jsonl(out / "manifest.jsonl"))
    cells = sorted(pq.read_table(out / "cells.parquet").to_pylist(),
                   key=lambda c: (c["input"], c["table"], c["row"], c["column"]))
    return reports, manifest, cells


def _records(out: Path) -> int:
    manifest = out / "manifest.jsonl"
    return manifest.read_bytes().count(b"\n") if manifest.is_file() else 0


def test_killed_at_random_moments_and_resumed_equals_an_uninterrupted_run(
        archive: Path, seeds_dir: Path, corpus_dir: Path, tmp_path: Path) -> None:
    inputs = [archive, seeds_dir, corpus_dir]
    reference = tmp_path / "reference"
    run_batch(inputs, reference, workers=2, options=Options(classify=False), progress=False)
    out = tmp_path / "killed"
    rng = random.Random(5)
    kills = 0
    for _ in range(4):
        # Killed after a random number of new records, whatever the machine's speed: the moment is
        # an event in the output (manifest lines are flushed one by one), not a time.
        target = _records(out) + rng.randint(2, 9)
        proc = _cli(inputs, out, "--workers", "2", "--no-classify")
        deadline = time.monotonic() + 300
        while proc.poll() is None and _records(out) < target:
            assert time.monotonic() < deadline, "the batch wrote no new record for 300 s"
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 2  # the run was really interrupted, more than once
    final = _cli(inputs, out, "--workers", "2", "--no-classify")
    assert final.wait(timeout=300) == 0, final.stderr.read().decode() if final.stderr else ""
    assert _outputs(out) == _outputs(reference)


def test_dask_engine_gives_the_same_outputs_as_the_local_engine(seeds_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed: pip install 'gongkai[dask]'")
    inputs = [seeds_dir]
    local, dask = tmp_path / "local", tmp_path / "dask"
    run_batch(inputs, local, workers=2, options=Options(classify=False), progress=False)
    run_batch(inputs, dask, workers=2, engine="dask", options=Options(classify=False), progress=False)
    assert _outputs(dask) == _outputs(local)


def test_hostile_archive_entries_are_recorded_and_nothing_leaves_out(tmp_path: Path) -> None:
    """Links, ../ and absolute names, nested archives: each a line in errors.jsonl, no file outside --out."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        for name, data in (("../escape.txt", _report(1)), ("/abs/path.txt", _report(2))):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, kind, target in (("passwd", tarfile.SYMTYPE, "/etc/passwd"), ("hard", tarfile.LNKTYPE, "passwd"),
                                   ("dev", tarfile.CHRTYPE, "")):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            tar.addfile(info)
    (inputs / "crafted.tar").write_bytes(tar_bytes.getvalue())
    zip_bytes = io.BytesIO()
    with zipfile.ZipFile(zip_bytes, "w") as zf:
        link = zipfile.ZipInfo("link-to-etc")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
        zf.writestr("../../zip-escape.txt", _report(3))
        zf.writestr("inner.zip", _zip_of({"r.txt": _report(4)}))
    (inputs / "crafted.zip").write_bytes(zip_bytes.getvalue())
    out = tmp_path / "work" / "out"
    before = {p for p in tmp_path.rglob("*")}
    result = run_batch([inputs], out, workers=1, options=Options(classify=False), progress=False)
    errors = {e["file"].rsplit("!", 1)[-1]: e for e in iter_jsonl(out / "errors.jsonl")}
    assert {"passwd", "hard", "dev", "link-to-etc", "inner.zip"} <= set(errors)
    assert "links are not followed" in errors["passwd"]["reason"] and errors["passwd"]["code"] == "I002"
    assert all(errors[k]["status"] == "skipped" for k in ("passwd", "hard", "dev", "link-to-etc"))
    assert "hard link" in errors["hard"]["reason"] and "special" in errors["dev"]["reason"]
    assert errors["inner.zip"]["code"] == "E002"
    reports = {r["source"]["path"].rsplit("!", 1)[-1] for r in iter_jsonl(out / "reports.jsonl")}
    assert reports == {"../escape.txt", "/abs/path.txt", "../../zip-escape.txt"}  # read in memory, never unpacked
    assert result.counts["report"] == 3
    created = {p for p in tmp_path.rglob("*")} - before
    assert all(p == out.parent or out in p.parents or p == out for p in created)


def _zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()
