"""PDF benchmark: pages/s and cells right for text-layer PDFs, text-typed PDFs and scans.

    python benchmarks/pdf.py [--text 40] [--typed 6] [--scans 6] [--seed 11]

Generates reports with ``gongkai.training.synth_pdf`` (ruled and unruled tables, tables
breaking across pages, running headers and page numbers; scans rendered at 200 dpi with a
tilt, blur, speckles and JPEG artefacts), extracts them, and prints per layout: pages/s, the
share of cells right, how many wrong cells have confidence >= 0.5 (the CLI flags cells below),
and the expected calibration error. Baseline in the same run: pdfplumber's plain
``extract_text`` over the same pages (the floor any text-layer reader pays). The real PDFs in
../shared/corpus/real are timed too, with the tables each yields.

Text-typed PDFs (``--typed`` per text layout, ``synth_pdf.generate_text_pdfs``: a report typed
in one of synth's text layouts and printed as it stands) are read three times: the layout
reading alone, the plain-text reading alone, and the reading the pipeline keeps per table
(``gongkai.inference.readings``); per layout and reading: cells right, wrong cells at
confidence >= 0.9 and >= 0.5, and the ECE.

Scans need the ocr extra and a CJK system font to render the generated pages
(fonts-wqy-microhei).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gongkai.inference import readings  # noqa: E402
from gongkai.inference.pipeline import extract  # noqa: E402
from gongkai.inference.tables.confidence import expected_calibration_error  # noqa: E402
from gongkai.training.calibrate import graded_cells  # noqa: E402
from gongkai.training.synth import SynthReport  # noqa: E402
from gongkai.training.synth_pdf import (  # noqa: E402
    TEXT_PDF_LAYOUT_PREFIX,
    generate_pdfs,
    generate_text_pdfs,
    has_cjk_font,
    text_layouts,
)

SHARED = REPO.parent / "shared"
FLAG_BELOW = 0.5
SURE = 0.9
READINGS = ("layout", "plain", "kept")


def page_count(data: bytes) -> int:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def plain_text_seconds(docs: list[bytes]) -> float:
    """Baseline: pdfplumber's plain text of every page, no layout, no tables."""
    import pdfplumber

    start = time.perf_counter()
    for data in docs:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                page.extract_text()
    return time.perf_counter() - start


def measure(title: str, items: list[SynthReport]) -> None:
    per_layout: dict[str, list[bool]] = defaultdict(list)
    confidences: list[float] = []
    right: list[bool] = []
    wrong_sure: list[str] = []
    pages = sum(page_count(item.data or b"") for item in items)
    start = time.perf_counter()
    for i, item in enumerate(items):
        report = extract(item.data or b"", path=f"{item.layout}-{i}.pdf", sentences=False)
        for path, cell, ok in graded_cells(report, item):
            per_layout[item.layout].append(ok)
            confidence = cell.confidence if cell is not None else 0.0
            confidences.append(confidence)
            right.append(ok)
            if not ok and confidence >= FLAG_BELOW:
                wrong_sure.append(f"{item.layout}-{i} {path}")
    seconds = time.perf_counter() - start
    print(f"\n== {title}: {len(items)} reports, {pages} pages, {seconds:.1f} s, {pages / seconds:.2f} pages/s")
    for layout in sorted(per_layout):
        cells = per_layout[layout]
        print(f"{layout:<14} cells={len(cells):>6}  right={sum(cells) / len(cells):.4f}")
    print(f"{'all':<14} cells={len(right):>6}  right={sum(right) / max(1, len(right)):.4f}  "
          f"ECE={expected_calibration_error(confidences, right):.4f}")
    wrong = [c for c, ok in zip(confidences, right) if not ok]
    if wrong:
        print(f"wrong cells: {len(wrong)}, mean confidence {statistics.mean(wrong):.3f}, "
              f"with confidence >= {FLAG_BELOW}: {len(wrong_sure)} {wrong_sure[:5]}")
    else:
        print("wrong cells: 0")


@contextmanager
def only_reading(name: str) -> Iterator[None]:
    """Make the pipeline keep one reading for every table ("kept": its own choice)."""
    if name == "kept":
        yield
        return
    real = readings.choose

    def forced(table: str, layout: readings.Reading, plain: readings.Reading) -> readings.Choice:
        return readings.Choice(table, name, "forced by the benchmark", "", "", False)

    readings.choose = forced  # type: ignore[assignment]
    try:
        yield
    finally:
        readings.choose = real  # type: ignore[assignment]


def typed_pdfs(per_layout: int, seed: int) -> None:
    """Text-typed PDFs per layout: cells right, sure wrong cells and ECE for each reading."""
    layouts = text_layouts()
    items = list(generate_text_pdfs(per_layout * len(layouts), seed=seed, layouts=layouts))
    print(f"\n== text-typed PDFs: {per_layout} per layout, {len(items)} reports "
          f"(right = share of cells right; wrong>=0.9 / wrong>=0.5 = wrong cells at that confidence)")
    print(f"{'layout':<28} {'reading':<7} {'cells':>6} {'right':>7} {'wrong>=0.9':>10} {'wrong>=0.5':>10} "
          f"{'ECE':>7} {'s/report':>8}")
    totals: dict[str, tuple[list[float], list[bool]]] = {name: ([], []) for name in READINGS}
    for layout in layouts:
        group = [item for item in items if item.layout == TEXT_PDF_LAYOUT_PREFIX + layout]
        for name in READINGS:
            confidences: list[float] = []
            right: list[bool] = []
            start = time.perf_counter()
            with only_reading(name):
                for i, item in enumerate(group):
                    report = extract(item.data or b"", path=f"{item.layout}-{i}.pdf", sentences=False, checks=False)
                    for _, cell, ok in graded_cells(report, item):
                        confidences.append(cell.confidence if cell is not None else 0.0)
                        right.append(ok)
            seconds = (time.perf_counter() - start) / max(1, len(group))
            totals[name][0].extend(confidences)
            totals[name][1].extend(right)
            print(_reading_row(TEXT_PDF_LAYOUT_PREFIX + layout, name, confidences, right) + f" {seconds:>8.2f}")
    for name in READINGS:
        print(_reading_row("all", name, *totals[name]))


def _reading_row(title: str, name: str, confidences: list[float], right: list[bool]) -> str:
    wrong = [c for c, ok in zip(confidences, right) if not ok]
    share = sum(right) / max(1, len(right))
    return (f"{title:<28} {name:<7} {len(right):>6} {share:>7.4f} {sum(c >= SURE for c in wrong):>10} "
            f"{sum(c >= FLAG_BELOW for c in wrong):>10} {expected_calibration_error(confidences, right):>7.4f}")


def real_pdfs() -> None:
    folder = SHARED / "corpus" / "real"
    files = sorted(folder.glob("*.pdf")) if folder.is_dir() else []
    if not files:
        print(f"\n== real PDFs: none found in {folder}")
        return
    print(f"\n== real PDFs in {folder}")
    for path in files:
        start = time.perf_counter()
        report = extract(path, sentences=False)
        seconds = time.perf_counter() - start
        found = [t for t in ("proactive", "requests", "appeals")
                 if any(c.value is not None for p, c in report.table_cells() if p.startswith(t))]
        print(f"{path.name}: {report.source.pages} pages in {seconds:.2f} s "
              f"({report.source.pages / seconds:.1f} pages/s), tables {found}, warnings {report.warnings}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--text", type=int, default=40, help="generated text-layer PDFs")
    parser.add_argument("--typed", type=int, default=6, help="text-typed PDFs per text layout")
    parser.add_argument("--scans", type=int, default=6, help="generated scanned PDFs (about 15 s each)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    text_items = list(generate_pdfs(args.text, seed=args.seed))
    data = [item.data or b"" for item in text_items]
    baseline = plain_text_seconds(data)
    pages = sum(page_count(d) for d in data)
    print(f"baseline (pdfplumber extract_text, same PDFs): {pages} pages in {baseline:.2f} s, "
          f"{pages / baseline:.1f} pages/s")
    measure("text-layer PDFs", text_items)
    if args.typed:
        typed_pdfs(args.typed, args.seed + 2)
    if args.scans:
        if not has_cjk_font():
            print("\n== scans skipped: no CJK system font to render the generated pages (apt install "
                  "fonts-wqy-microhei)")
        else:
            measure("scanned PDFs (200 dpi, tilt, blur, speckles, JPEG)",
                    list(generate_pdfs(args.scans, seed=args.seed + 1, scanned=True)))
    real_pdfs()


if __name__ == "__main__":
    main()
