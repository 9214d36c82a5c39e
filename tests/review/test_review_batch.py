"""``gongkai batch --review``: a review page per report, named by the input's content, written before its record."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import lxml.html

from gongkai.batch import Options, run_batch
from gongkai.batch.store import iter_jsonl
from gongkai.cli import main
from gongkai.review import review_path
from tests.conftest import shared_path


def test_a_batch_with_review_writes_one_page_per_report(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for source in (shared_path("seeds", "002_20e49bc070485a7c.txt"), shared_path("corpus", "real", "r001.pdf")):
        shutil.copyfile(source, inputs / source.name)
    shutil.copyfile(inputs / "r001.pdf", inputs / "same-bytes.pdf")  # a duplicate shares the page
    (inputs / "notice.txt").write_text("关于召开会议的通知\n请各单位准时参加。\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_batch([inputs], out, workers=1, options=Options(sentences=False, review=True), progress=False)
    assert result.counts.get("report") == 2
    reports = list(iter_jsonl(out / "reports.jsonl"))
    pages = sorted((out / "review").iterdir())
    assert len(pages) == 2
    for line in reports:
        page = review_path(out, line["source"]["sha256"])
        assert page.name == line["source"]["sha256"][:16] + ".html" and page.exists()
        doc = lxml.html.fromstring(page.read_text(encoding="utf-8"))
        assert len(doc.xpath("//td[@data-path]")) == 200
        if line["source"]["media_type"] == "application/pdf":
            assert len(doc.xpath("//figure//img")) == 6  # the worker passed the PDF's bytes
    digest = hashlib.sha256((inputs / "r001.pdf").read_bytes()).hexdigest()
    assert review_path(out, digest).exists()


def test_the_batch_command_takes_review(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["batch", str(shared_path("seeds", "000_311298fcf36e9c33.txt")), "--out", str(out), "--review",
                 "--no-sentences", "--workers", "1", "--quiet"])
    assert code == 0
    assert len(list((out / "review").glob("*.html"))) == 1
    without = tmp_path / "plain"
    assert main(["batch", str(shared_path("seeds", "000_311298fcf36e9c33.txt")), "--out", str(without),
                 "--no-sentences", "--workers", "1", "--quiet"]) == 0
    assert not (without / "review").exists()
