"""Extraction benchmark: speed, memory, cell accuracy, calibration and false alarms, per set.

    python benchmarks/extract.py                      # full run: speed, baseline (if a ref is given), accuracy
    python benchmarks/extract.py --quick              # smoke run: 60 variants, one timed pass
    python benchmarks/extract.py --variants 300 --repeat 1 --baseline-ref 13f79e2
    python benchmarks/extract.py --only baseline accuracy --variants 300 --repeat 1 --baseline-ref 13f79e2
    (other options: --seed 123, --noise 0.1, --blank-rate 0.05; --only takes any of speed, baseline,
    accuracy: the full-pipeline speed section is slow, about a second per report with sentences)

Speed (one process, one core): for the seeds, the real corpus (../shared) and generated layout
variants, documents/s and p50/p95 latency of the full pipeline (tables, claims, findings,
sentences tagged by the default classifier), documents/s of extraction alone (tables and
fields) and of reading and decoding the bytes only (the floor any extractor pays); peak traced
memory of extraction. With ``--baseline-ref REF`` the tables-only extraction of the real text
corpus (``extract(..., checks=False, sentences=False)``) is timed in two fresh subprocesses, one
importing the package from a temporary ``git worktree`` of REF (removed at the end) and one from
this checkout: a warm-up pass each, then the best of max(5, ``--repeat``) passes, the two
processes taking turns so that both see the same load; the ratio current/baseline time is
printed next to its goal (≤ 1.5x).

Accuracy, one block per set:

- generated layouts: ``generate(n, seed, layouts=LAYOUTS, noise=(0, noise))``, once without and
  once with blank cells (``--blank-rate``, cells of any value: a blank may be an illegible
  number, so sums may break), and once with a share of the *zero* cells left empty
  (``--empty-zero-rate``, ``blanks="zeros"``: an HTML table's empty cells, the sums hold);
- scraped family: ``layouts=("scraped",)``, the same three ways (blanks printed as nothing are
  ambiguous by nature, so each is reported);
- shredded markdown: ``layouts=("markdown_shredded",)``, without and with blank cells (empty pipe
  cells, or cells left out of a 表二 row: ``blank_dropped``);
- seeds and real corpus with gold: ``gongkai/annotations/gold/{seeds,corpus}/*.json`` against the
  files in ../shared/seeds and ../shared/corpus/real (a gold path the template lacks is skipped).
  PDFs are benchmarked in benchmarks/pdf.py, not here.

For every set one line: reports, cells graded, share right, wrong cells at confidence ≥ 0.9 and
≥ 0.5, ECE (10 bins), and false alarms: reports whose gold satisfies the table identities (表三 row
sums, 一+二 = 三（七）总计+四 and 三（一）…（六） = 三（七）总计 per column, 表四 group sums; null
counts as 0) but that got an ``error``-severity finding from the reconciler (generated sets: any
error finding; gold sets: an error of a ``requests.*`` or ``appeals.*`` rule). Generated sets
add one line per layout, the scraped-family sets one line per trait (``SynthReport.traits``),
each sorted worst first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gongkai.annotations.gold import TableGold, corpus_gold, seed_gold  # noqa: E402
from gongkai.errors import GongkaiError  # noqa: E402
from gongkai.inference.pipeline import extract  # noqa: E402
from gongkai.inference.readers import read_bytes  # noqa: E402
from gongkai.inference.tables import template as T  # noqa: E402
from gongkai.inference.tables.confidence import expected_calibration_error  # noqa: E402
from gongkai.inference.tables.template import applicable  # noqa: E402
from gongkai.report import Report  # noqa: E402
from gongkai.training.calibrate import graded_cells, same_value  # noqa: E402
from gongkai.training.synth import LAYOUTS, SynthReport, generate  # noqa: E402

SHARED = REPO.parent / "shared"
QUICK_VARIANTS = 60
# Wrong cells at or above these confidences are the harmful ones (the CLI marks cells below 0.5 with "?").
HIGH_CONFIDENCE = 0.9
FLAG_BELOW = 0.5
PARTS = ("speed", "baseline", "accuracy")
# The baseline comparison takes at least this many interleaved passes (one pass is well under a second).
MIN_BASELINE_ROUNDS = 5
SPEED_GOAL = 1.5  # current tables-only time over the baseline's, at most
# Reconciler rules whose identities the gold helper below checks (gold sets count only these).
IDENTITY_RULE_PREFIXES = ("requests.", "appeals.")
OUTER_REQUEST_ROWS = ("new_received", "carried_over", "total", "carried_forward")

Value = int | float | None
Doc = tuple[str, bytes]


# ================================================================ speed
def timed_run(docs: list[Doc], fn: Callable[[bytes, str], object]) -> tuple[list[float], int]:
    times: list[float] = []
    errors = 0
    for name, data in docs:
        start = time.perf_counter()
        try:
            fn(data, name)
        except GongkaiError:
            errors += 1
        times.append(time.perf_counter() - start)
    return times, errors


def best_of(repeat: int, docs: list[Doc], fn: Callable[[bytes, str], object]) -> tuple[list[float], int]:
    """The fastest of ``repeat`` timed passes: this machine's CPU speed varies between runs."""
    runs = [timed_run(docs, fn) for _ in range(max(1, repeat))]
    return min(runs, key=lambda run: sum(run[0]))


def describe(label: str, times: list[float], errors: int) -> str:
    if not times:
        return f"{label:<28} (no documents)"
    total = sum(times)
    q = statistics.quantiles(times, n=20) if len(times) > 1 else [times[0]] * 19
    return (f"{label:<28} n={len(times):>5}  docs/s={len(times) / total:>8.1f}  "
            f"p50={statistics.median(times) * 1000:>7.2f} ms  p95={q[18] * 1000:>7.2f} ms  errors={errors}")


def peak_memory(docs: list[Doc]) -> float:
    tracemalloc.start()
    for name, data in docs:
        try:
            extract(data, path=name, sentences=False)
        except GongkaiError:
            pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def load_dir(folder: Path, pattern: str) -> list[Doc]:
    return [(p.name, p.read_bytes()) for p in sorted(folder.glob(pattern))] if folder.exists() else []


def speed(args: argparse.Namespace, seeds: list[Doc], corpus: list[Doc]) -> None:
    corpus_text = [(n, d) for n, d in corpus if not n.endswith(".pdf")]
    variants = list(generate(args.variants, seed=args.seed, layouts=LAYOUTS, noise=(0.0, args.noise),
                             blank_rate=args.blank_rate))
    variant_docs = [(f"synth-{v.layout}-{i}", v.source_bytes) for i, v in enumerate(variants)]
    text_variants = [d for d, v in zip(variant_docs, variants) if v.data is None]

    print("== speed (one process, one core; one warm-up pass per set)")
    for label, docs in (("seeds", seeds), ("real corpus, text formats", corpus_text), ("real corpus, all", corpus),
                        ("generated, text layouts", text_variants), ("generated, all layouts", variant_docs)):
        timed_run(docs, lambda d, n: extract(d, path=n))  # warm-up: lazy imports, models, caches
        base_times, _ = best_of(args.repeat, docs, lambda d, n: read_bytes(d, n))
        times, errors = best_of(args.repeat, docs, lambda d, n: extract(d, path=n))
        tables_only, _ = best_of(args.repeat, docs, lambda d, n: extract(d, path=n, checks=False, sentences=False))
        print(describe(label, times, errors))
        if tables_only:
            print(f"{'':<28} extraction alone (tables and fields; no claims, findings, sentences): "
                  f"docs/s={len(tables_only) / sum(tables_only):>8.1f}")
        if times and base_times:
            print(f"{'':<28} baseline (read+decode only): docs/s={len(base_times) / sum(base_times):>8.1f}  "
                  f"extraction costs {sum(times) / max(sum(base_times), 1e-9):.1f}x the baseline")
    print(f"peak traced memory over seeds+corpus: {peak_memory(seeds + corpus):.1f} MB")


# A timing worker, run in a fresh interpreter whose PYTHONPATH (and working directory) is the
# checkout to time: a warm-up pass, then one timed pass per line read from stdin (seconds out).
TIMING_SCRIPT = """
import json, sys, time
import gongkai
from gongkai.errors import GongkaiError
from gongkai.inference.pipeline import extract
docs = [(p, open(p, "rb").read()) for p in json.loads(sys.argv[1])]
def one_pass():
    total = 0.0
    for name, data in docs:
        start = time.perf_counter()
        try:
            extract(data, path=name, checks=False, sentences=False)
        except GongkaiError:
            pass
        total += time.perf_counter() - start
    return total
one_pass()
print(json.dumps({"package": gongkai.__file__}), flush=True)
for _ in sys.stdin:
    print(json.dumps(one_pass()), flush=True)
"""


class TimingWorker:
    """A subprocess that extracts ``paths`` (tables only) with the package of ``checkout``, one pass per call."""

    def __init__(self, checkout: Path, paths: list[Path]) -> None:
        self.checkout = checkout
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", TIMING_SCRIPT, json.dumps([str(p) for p in paths])],
            cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
        )
        package = Path(json.loads(self._line())["package"]).resolve()
        if checkout.resolve() not in package.parents:
            self.close()
            raise RuntimeError(f"timing in {checkout} imported gongkai from {package}")

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.stderr.seek(0)
            raise RuntimeError(f"timing in {self.checkout} failed:\n{self.stderr.read()[-2000:]}")
        return line

    def one_pass(self) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return float(json.loads(self._line()))

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


def time_both(baseline: Path, current: Path, paths: list[Path], rounds: int) -> tuple[float, float]:
    """Best pass of each checkout, passes interleaved so that both see the same load on a shared machine."""
    workers: list[TimingWorker] = []
    try:
        workers.append(TimingWorker(baseline, paths))
        workers.append(TimingWorker(current, paths))
        best = [math.inf, math.inf]
        for round_ in range(rounds):
            order = (0, 1) if round_ % 2 == 0 else (1, 0)
            for k in order:
                best[k] = min(best[k], workers[k].one_pass())
        return best[0], best[1]
    finally:
        for worker in workers:
            worker.close()


def compare_with_baseline(ref: str, paths: list[Path], repeat: int) -> None:
    rounds = max(MIN_BASELINE_ROUNDS, repeat)
    print(f"\n== speed against {ref}: tables-only extraction of the real text corpus (checks=False, sentences=False; "
          f"one subprocess per checkout, a warm-up pass, then the best of {rounds} interleaved passes)")
    if not paths:
        print("(no documents: ../shared/corpus/real not found)")
        return
    tmp = Path(tempfile.mkdtemp(prefix="gongkai-baseline-"))
    checkout = tmp / "checkout"
    try:
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(checkout), ref],
                       check=True, capture_output=True, text=True)
        base, current = time_both(checkout, REPO, paths, rounds)
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        detail = exc.stderr if isinstance(exc, subprocess.CalledProcessError) else str(exc)
        print(f"baseline comparison failed: {detail.strip()}")
        return
    finally:
        if checkout.exists():
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(checkout)],
                           check=False, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(paths)
    ratio = current / max(base, 1e-9)
    print(f"{'baseline ' + ref:<28} n={n:>5}  docs/s={n / max(base, 1e-9):>8.1f}")
    print(f"{'current (working tree)':<28} n={n:>5}  docs/s={n / max(current, 1e-9):>8.1f}")
    verdict = "met" if ratio <= SPEED_GOAL else "NOT met"
    print(f"current time / baseline time: {ratio:.2f}x  (goal ≤ {SPEED_GOAL}x: {verdict})")


# ================================================================ accuracy
@dataclass
class Tally:
    """Graded cells and false alarms of one set (or of one layout / trait within it)."""

    confs: list[float] = field(default_factory=list)
    right: list[bool] = field(default_factory=list)
    reports: int = 0
    failed: int = 0  # GongkaiError: no report at all
    consistent: int = 0  # reports whose gold satisfies the identities
    false_alarms: int = 0  # … that still got an error finding

    def add(self, confs: Iterable[float], right: Iterable[bool]) -> None:
        self.confs.extend(confs)
        self.right.extend(right)

    def wrong_at(self, threshold: float) -> int:
        return sum(1 for c, ok in zip(self.confs, self.right) if not ok and c >= threshold)

    @property
    def share_right(self) -> float:
        return sum(self.right) / max(1, len(self.right))

    def line(self, label: str) -> str:
        failed = f"  failed={self.failed}" if self.failed else ""
        return (f"{label:<34} reports={self.reports:>4}  cells={len(self.right):>6}  right={self.share_right:.4f}  "
                f"wrong≥{HIGH_CONFIDENCE}={self.wrong_at(HIGH_CONFIDENCE):>4}  "
                f"wrong≥{FLAG_BELOW}={self.wrong_at(FLAG_BELOW):>5}  "
                f"ECE={expected_calibration_error(self.confs, self.right):.4f}  "
                f"false alarms={self.false_alarms}/{self.consistent}{failed}")

    def short_line(self, label: str) -> str:
        return (f"  {label:<32} reports={self.reports:>4}  cells={len(self.right):>6}  right={self.share_right:.4f}  "
                f"wrong≥{HIGH_CONFIDENCE}={self.wrong_at(HIGH_CONFIDENCE):>4}")


def _single_other_row(cells: Mapping[str, Value], version: str) -> bool:
    """Whether 表三 has the one （六）其他处理 row (2019, and 2021 reports that kept it), as the reconciler decides."""
    return version == "2019" or any(cells.get(f"requests.other_processing.{c}") is not None
                                    for c in T.REQUEST_COLUMNS)


def gold_consistent(cells: Mapping[str, Value], version: str) -> bool:
    """Whether the gold satisfies the template identities the reconciler checks as errors (null counts as 0)."""
    single = _single_other_row(cells, version)

    def v(path: str) -> float:
        value = cells.get(path)
        return 0.0 if value is None else float(value)

    def same(a: float, b: float) -> bool:
        return abs(a - b) < 1e-6

    rows = [r.key for r in T.REQUEST_ROWS if applicable(f"requests.{r.key}.total", version, single)]
    outcomes = [r for r in rows if r not in OUTER_REQUEST_ROWS]
    applicants = T.REQUEST_COLUMNS[:-1]
    for row in rows:  # 各类申请人之和等于总计
        if not same(sum(v(f"requests.{row}.{c}") for c in applicants), v(f"requests.{row}.total")):
            return False
    for column in T.REQUEST_COLUMNS:  # 一 + 二 = 三（七）总计 + 四; 三（一）…（六）之和 = 三（七）总计
        first, second, total, fourth = (v(f"requests.{r}.{column}") for r in OUTER_REQUEST_ROWS)
        if not same(first + second, total + fourth):
            return False
        if not same(sum(v(f"requests.{r}.{column}") for r in outcomes), total):
            return False
    for group in T.APPEAL_GROUPS:  # 结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计
        if not same(sum(v(f"appeals.{group}.{c}") for c in T.APPEAL_COLUMNS[:-1]), v(f"appeals.{group}.total")):
            return False
    return True


def has_error(report: Report, prefixes: tuple[str, ...] | None = None) -> bool:
    return any(f.get("severity") == "error" and (prefixes is None or str(f.get("rule", "")).startswith(prefixes))
               for f in report.findings)


def grade_generated(items: Iterable[SynthReport], by_layout: bool,
                    by_trait: bool) -> tuple[Tally, dict[str, Tally], dict[str, Tally]]:
    """The set's tally, and tallies per layout and per trait (empty unless asked for)."""
    total = Tally()
    layouts: dict[str, Tally] = defaultdict(Tally)
    traits: dict[str, Tally] = defaultdict(Tally)
    for i, item in enumerate(items):
        groups = [total]
        if by_layout:
            groups.append(layouts[item.layout])
        if by_trait:
            groups.extend(traits[t] for t in item.traits)
        try:
            report = extract(item.source_bytes, path=f"synth-{item.layout}-{i}", checks=True, sentences=False)
        except GongkaiError:
            for g in groups:
                g.failed += 1
            continue
        graded = graded_cells(report, item)
        confs = [cell.confidence if cell is not None else 0.0 for _, cell, _ in graded]
        right = [ok for _, _, ok in graded]
        consistent = gold_consistent(item.gold, item.format_version)
        alarm = consistent and has_error(report)  # generated gold is consistent before blanking: any error is false
        for g in groups:
            g.reports += 1
            g.add(confs, right)
            g.consistent += consistent
            g.false_alarms += alarm
    return total, layouts, traits


def grade_gold(golds: list[TableGold], folder: Path) -> Tally:
    tally = Tally()
    for gold in golds:
        source = folder / gold.doc
        if not source.is_file() or source.suffix.lower() == ".pdf":
            continue  # PDFs: benchmarks/pdf.py
        data = source.read_bytes()
        try:
            report = extract(data, path=gold.doc, checks=True, sentences=False)
        except GongkaiError:
            tally.failed += 1
            continue
        if report.source.sha256 != gold.sha256:
            print(f"warning: {source} changed since its gold was written; skipped", file=sys.stderr)
            continue
        single = _single_other_row(gold.cells, gold.format_version)
        tally.reports += 1
        for path, truth in gold.cells.items():
            if not applicable(path, gold.format_version, single):
                continue
            cell = report.cell(path)
            tally.add([cell.confidence], [same_value(cell.value, truth)])
        if gold_consistent(gold.cells, gold.format_version):
            tally.consistent += 1
            tally.false_alarms += has_error(report, IDENTITY_RULE_PREFIXES)
    return tally


def print_breakdown(title: str, tallies: Mapping[str, Tally]) -> None:
    if len(tallies) < 2 and title == "per layout":
        return  # a one-layout set: the set's line says it all
    print(f" {title}, worst first:")
    for name, tally in sorted(tallies.items(), key=lambda kv: (kv[1].share_right, -len(kv[1].right), kv[0])):
        print(tally.short_line(name))


def accuracy(args: argparse.Namespace) -> None:
    noise = (0.0, args.noise)
    print(f"\n== accuracy, calibration and false alarms (generated: {args.variants} reports per run, seed {args.seed}, "
          f"noise up to {args.noise:.2f}; the confidence model was fitted on seed 7)")
    print("(wrong≥x: wrong cells with confidence ≥ x; false alarms: reports with an error finding / reports "
          "whose gold satisfies the identities)")
    empty = f"{args.empty_zero_rate:.0%} of zero cells empty"
    generated_sets: tuple[tuple[str, tuple[str, ...], float, bool, str], ...] = (
        ("generated layouts, noise only", LAYOUTS, 0.0, False, "any"),
        (f"generated layouts, {args.blank_rate:.0%} blanks", LAYOUTS, args.blank_rate, False, "any"),
        (f"generated layouts, {empty}", LAYOUTS, args.empty_zero_rate, False, "zeros"),
        ("scraped family, no blanks", ("scraped",), 0.0, True, "any"),
        (f"scraped family, {args.blank_rate:.0%} blanks", ("scraped",), args.blank_rate, True, "any"),
        (f"scraped family, {empty}", ("scraped",), args.empty_zero_rate, True, "zeros"),
        ("shredded markdown", ("markdown_shredded",), 0.0, True, "any"),
        (f"shredded markdown, {args.blank_rate:.0%} blanks", ("markdown_shredded",), args.blank_rate, True, "any"),
    )
    for label, layouts, blank_rate, by_trait, blanks in generated_sets:
        items = generate(args.variants, seed=args.seed, layouts=layouts, noise=noise, blank_rate=blank_rate,
                         blanks=blanks)
        total, per_layout, per_trait = grade_generated(items, by_layout=not by_trait, by_trait=by_trait)
        print()
        print(total.line(label))
        if per_layout:
            others = Tally()
            for name, tally in per_layout.items():
                if name != "flattened":
                    others.add(tally.confs, tally.right)
                    others.reports += tally.reports
            print(others.short_line("(all but flattened)"))
            print_breakdown("per layout", per_layout)
        if per_trait:
            print_breakdown("per trait", per_trait)
    print()
    for label, golds, folder in (("seeds (gold)", seed_gold(), SHARED / "seeds"),
                                 ("real corpus with gold", corpus_gold(), SHARED / "corpus" / "real")):
        if not folder.exists():
            print(f"{label:<34} (skipped: {folder} not found)")
            continue
        print(grade_gold(golds, folder).line(label))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", type=int, default=400, help="generated reports per run")
    parser.add_argument("--seed", type=int, default=123, help="generator seed (the model was fitted on 7)")
    parser.add_argument("--noise", type=float, default=0.1, help="maximum OCR-like noise rate")
    parser.add_argument("--blank-rate", type=float, default=0.05, help="share of cells left blank (second runs)")
    parser.add_argument("--empty-zero-rate", type=float, default=0.3,
                        help="share of zero cells left empty in the empty-cell runs (the sums still hold)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per set; the fastest is reported")
    parser.add_argument("--baseline-ref", default=None, metavar="REF",
                        help="git ref to time tables-only extraction against (e.g. 13f79e2); default: none")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_VARIANTS} variants, one timed pass")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), metavar="PART",
                        help=f"parts to run, any of {', '.join(PARTS)} (default: all; baseline needs --baseline-ref)")
    args = parser.parse_args()
    if args.quick:
        args.variants, args.repeat = QUICK_VARIANTS, 1

    seeds = load_dir(SHARED / "seeds", "*.txt")
    corpus = load_dir(SHARED / "corpus" / "real", "r*.*")
    if not seeds:
        print(f"warning: {SHARED} not found; seeds and corpus are skipped", file=sys.stderr)
    if "speed" in args.only:
        speed(args, seeds, corpus)
    if "baseline" in args.only and args.baseline_ref:
        text_paths = [SHARED / "corpus" / "real" / n for n, _ in corpus if not n.endswith(".pdf")]
        compare_with_baseline(args.baseline_ref, text_paths, args.repeat)
    if "accuracy" in args.only:
        accuracy(args)


if __name__ == "__main__":
    main()
