"""``gongkai review`` on every seed and every real report: each page is written, whole and self-contained.

The fast path (no sentences, checks on) keeps this to seconds per PDF; the page's own parts are
tested in test_review_page.py and, in a browser, in test_review_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest

from gongkai.cli import main
from gongkai.review import write_review
from tests.conftest import shared_path
from tests.review.cells import expected_cells

MAX_PAGE_BYTES = 2_000_000


def _reports() -> list[Path]:
    seeds = sorted(shared_path("seeds").glob("*.txt"))
    corpus = sorted(p for p in shared_path("corpus", "real").iterdir() if re.fullmatch(r"r\d{3}\.\w+", p.name))
    return seeds + corpus


def test_every_seed_and_real_report_gets_its_page(tmp_path: Path) -> None:
    import gongkai

    files = _reports()
    assert len(files) >= 50  # 5 seeds and r001–r045
    for source in files:
        out = write_review(source, tmp_path / f"{source.name}.html", sentences=False)
        html = out.read_text(encoding="utf-8")
        assert html.rstrip().endswith("</html>"), source.name
        assert len(html.encode("utf-8")) <= MAX_PAGE_BYTES, source.name
        assert not re.search(r"https?:", html, re.I), source.name
        doc = lxml.html.fromstring(html)
        assert doc.xpath('//meta[@http-equiv="Content-Security-Policy"]'), source.name
        report = gongkai.extract(source, sentences=False)
        assert {td.get("data-path") for td in doc.xpath("//td[@data-path]")} == set(expected_cells(report)), source.name
        if report.source.media_type == "application/pdf":
            assert len(doc.xpath("//figure//img")) == report.source.pages, source.name


def test_the_command_writes_a_page_and_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = shared_path("seeds", "000_311298fcf36e9c33.txt")
    out = tmp_path / "nested" / "seed.html"
    assert main(["review", str(seed), "--out", str(out), "--no-sentences"]) == 0
    assert out.exists() and "wrote" in capsys.readouterr().out
    assert main(["review", str(tmp_path / "missing.pdf"), "--out", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert "missing.pdf" in err and "E007" in err
    bad = tmp_path / "corrections.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    assert main(["review", str(seed), "--out", str(tmp_path / "y.html"), "--corrections", str(bad)]) == 2
    assert "line 1" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "y.html").exists()


def test_the_command_applies_corrections(tmp_path: Path) -> None:
    import hashlib
    import json

    seed = shared_path("seeds", "002_20e49bc070485a7c.txt")
    corrections = tmp_path / "corrections.jsonl"
    corrections.write_text(json.dumps({"doc_sha256": hashlib.sha256(seed.read_bytes()).hexdigest(),
                                       "cell": "requests.total.research", "value": 0, "verdict": "fixed"}) + "\n",
                           encoding="utf-8")
    out = tmp_path / "seed.html"
    assert main(["review", str(seed), "--out", str(out), "--no-sentences", "--corrections", str(corrections)]) == 0
    doc = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    td = doc.xpath('//td[@data-path="requests.total.research"]')[0]
    assert "corrected" in td.get("class").split() and td.text_content().startswith("0")
