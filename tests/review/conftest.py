"""Reports the review-page tests share: a seed with broken identities, a real PDF and a scan.

Each is extracted once per session; the scan (OCR of one page) takes the longest.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest

import gongkai
from gongkai.inference import ocr
from gongkai.report import Report
from tests.conftest import shared_path

# The seed whose 表三 prints 1 under 科研机构 in 三（七）总计: three identities break on one cell.
BROKEN_SEED = "002_20e49bc070485a7c.txt"
# A seed whose text holds a web address (the page must not).
URL_SEED = "001_90d10d0810e34bee.txt"
SCAN_SEED = URL_SEED  # its 表三 fits one printed page
# 150 dpi reads the same 147 cells as 200 dpi in about 70 % of the OCR time (the page limit is 60 s).
SCAN_DPI = 150


@dataclass
class Source:
    """A report and the bytes it was read from."""

    name: str
    data: bytes
    report: Report


def _source(path: Path, **options: object) -> Source:
    data = path.read_bytes()
    return Source(path.name, data, gongkai.extract(path, **options))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def broken_seed() -> Source:
    """Seed 002 with tagged sentences (the TF-IDF classifier: fast) and its three errors."""
    return _source(shared_path("seeds", BROKEN_SEED), classifier="tfidf")


@pytest.fixture(scope="session")
def url_seed() -> Source:
    return _source(shared_path("seeds", URL_SEED), sentences=False)


@pytest.fixture(scope="session")
def real_pdf() -> Source:
    return _source(shared_path("corpus", "real", "r001.pdf"), sentences=False)


def scan_png() -> bytes:
    """The page of seed 001 that holds 表三, typed, printed and scanned at SCAN_DPI as a PNG."""
    from gongkai.training.synth_pdf import has_cjk_font, page_images, render_text_pdf

    if not ocr.available():
        pytest.fail(f"the scan tests need OCR: {ocr.INSTALL_HINT}")
    if not has_cjk_font():
        pytest.fail("drawing the seed as a scan needs a CJK system font: apt install fonts-wqy-microhei "
                    "(.ci/run installs it)")
    text = shared_path("seeds", SCAN_SEED).read_text(encoding="utf-8")
    pdf = render_text_pdf(text)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        index = next(i for i, p in enumerate(doc.pages) if "本年新收" in (p.extract_text() or ""))
    buffer = io.BytesIO()
    page_images(pdf, SCAN_DPI)[index].save(buffer, format="PNG", dpi=(SCAN_DPI, SCAN_DPI))
    return buffer.getvalue()


@pytest.fixture(scope="session")
def scan() -> Source:
    data = scan_png()
    report = gongkai.extract(data, path="seed-001-page.png", sentences=False)
    assert report.source.media_type == "image/png"
    return Source("seed-001-page.png", data, report)
