"""Review-queue benchmark: how many wrong cells the queue holds, and how many of its cells are wrong.

    python benchmarks/review_queue.py                    # generated sets (seed 123) and the real reports with gold
    python benchmarks/review_queue.py --tune             # first choose threshold and bonuses on seed 11
    python benchmarks/review_queue.py --variants 200 --pdfs 0

The queue (``gongkai.annotations.cell_queue``, what ``gongkai label next --cells`` writes) is
built over a whole set of reports at once, as over a batch's results, and cut to 5 % of the set's
template cells (every cell of 表二/三/四 each report has, 207 per report). Per set one line:

- cells: template cells of the set; wrong: cells whose value differs from the gold (null = null);
- queue: the cells the queue holds (≤ 5 % of all cells; fewer when fewer pass the selection);
- recall: the share of the wrong cells the queue holds (goal ≥ 90 %);
- precision: the share of the queued cells that are wrong (goal ≥ 40 %);
- the wrong cells of the tables the queue names for a whole look instead (tables not read:
  ``Queue.unread``), and the recall counting them as shown to a reviewer;
- the same two for the selection before the cut (every cell below the threshold or in a broken
  identity), and the most recall any queue of that size could have (queue size / wrong cells).

Sets: generated reports (``gongkai.training.synth.generate``) over every layout with OCR-like
noise up to 10 % and 5 % blank cells, the hard layouts alone (``flattened``, ``scraped``,
``markdown_shredded``, where most misreads are), generated text-layer PDFs
(``synth_pdf.generate_pdfs``), and the real reports with table gold (the seeds and corpus
r043–r045 under ``gongkai/annotations/gold``; the files are read from ../shared).

``--tune`` grid-searches the threshold and the bonuses on generated reports of another seed
(11; the confidence model was fitted on seed 7, the reported sets use 123): the best setting
is the one with the highest recall at 5 %, then the highest precision. The shipped defaults
were chosen that way; the real reports were never used to choose them.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gongkai.annotations import cell_queue as Q  # noqa: E402
from gongkai.annotations.gold import corpus_gold, seed_gold  # noqa: E402
from gongkai.errors import GongkaiError  # noqa: E402
from gongkai.inference.pipeline import extract  # noqa: E402
from gongkai.training.calibrate import same_value  # noqa: E402
from gongkai.training.synth import ALL_LAYOUTS, generate  # noqa: E402

SHARED = REPO.parent / "shared"
QUEUE_SHARE = 0.05
RECALL_GOAL, PRECISION_GOAL = 0.90, 0.40
HARD_LAYOUTS = ("flattened", "scraped", "markdown_shredded")
OTHER_LAYOUTS = tuple(lay for lay in ALL_LAYOUTS if lay not in HARD_LAYOUTS)
NOISE = (0.0, 0.1)
BLANK_RATE = 0.05
TUNE_SEED = 11
SUSPECTS_FIRST_TOLERANCE = 0.005
GRID = {
    "threshold": (0.5, 0.7, 0.8, 0.9),
    "suspect_bonus": (0.0, 2.0),
    "identity_bonus": (0.0, 0.05, 0.1, 0.2),
    "not_applicable_penalty": (0.0, 0.3),
    "doc_bonus": (0.0, 0.25, 0.5, 0.75, 1.0),
    "zero_penalty": (0.0, 0.1, 0.2, 0.3, 0.5),
}


@dataclass
class Graded:
    """The reports of one set as schema dicts, and the wrong cells of each (by sha256)."""

    reports: list[dict[str, Any]] = field(default_factory=list)
    wrong: dict[str, set[str]] = field(default_factory=dict)
    pool: list[Q.ReviewCell] = field(default_factory=list)  # every template cell, for any threshold
    cells: int = 0
    failed: int = 0
    seconds: float = 0.0

    def add(self, report: dict[str, Any], gold: Mapping[str, Any]) -> None:
        sha = report["source"]["sha256"]
        bad = {p for p, c in Q.table_cells(report) if not same_value(c.get("value"), gold.get(p))}
        self.pool += Q.review_cells(report, threshold=math.inf, order=len(self.reports))
        self.reports.append(report)
        self.wrong[sha] = self.wrong.get(sha, set()) | bad
        self.cells += len(Q.TABLE_PATHS)

    @property
    def n_wrong(self) -> int:
        return sum(len(v) for v in self.wrong.values())


def grade_generated(items: Iterable[Any]) -> Graded:
    out = Graded()
    start = time.perf_counter()
    for k, item in enumerate(items):
        try:
            report = extract(item.source_bytes, path=f"synth-{k}-{item.layout}", sentences=False)
        except GongkaiError:
            out.failed += 1
            out.cells += len(Q.TABLE_PATHS)
            continue
        # Two generated reports may have the same bytes: key by sha256 plus index to keep them apart.
        d = report.to_dict(include_text=False)
        d["source"]["sha256"] = f"{d['source']['sha256']}:{k}"
        out.add(d, item.gold)
    out.seconds = time.perf_counter() - start
    return out


def grade_real() -> Graded | None:
    out = Graded()
    start = time.perf_counter()
    for gold, folder in [*((g, SHARED / "seeds") for g in seed_gold()),
                         *((g, SHARED / "corpus" / "real") for g in corpus_gold())]:
        path = folder / gold.doc
        if not path.exists():
            return None
        out.add(extract(path, sentences=False).to_dict(include_text=False), gold.cells)
    out.seconds = time.perf_counter() - start
    return out


@dataclass
class Figures:
    queue: int
    hits: int
    wrong: int
    cells: int
    offered: int
    offered_hits: int
    share_for_goal: float  # the smallest queue (share of all cells) that holds RECALL_GOAL of the wrong cells
    named_wrong: int = 0  # wrong cells in tables named whole (not read: ``Queue.unread``), not queued

    @property
    def recall(self) -> float:
        return self.hits / self.wrong if self.wrong else math.nan

    @property
    def precision(self) -> float:
        return self.hits / self.queue if self.queue else math.nan


def measure(graded: Graded, threshold: float = Q.DEFAULT_THRESHOLD, **bonuses: float) -> Figures:
    """The queue over the whole set (what ``build_queue`` gives), cut at 5 % of the set's cells."""
    budget = int(QUEUE_SHARE * graded.cells)
    ranked = Q.rank([c for c in graded.pool if Q.offered(c.confidence, bool(c.rules), threshold)], **bonuses)
    chosen = ranked[:budget]
    hits = sum(c.cell in graded.wrong.get(c.doc_sha256, ()) for c in chosen)
    offered_hits = sum(c.cell in graded.wrong.get(c.doc_sha256, ()) for c in ranked)
    need, running = math.nan, 0
    for k, c in enumerate(ranked):
        running += c.cell in graded.wrong.get(c.doc_sha256, ())
        if graded.n_wrong and running >= RECALL_GOAL * graded.n_wrong:
            need = (k + 1) / graded.cells
            break
    named_wrong = 0
    for report in graded.reports:
        unread = set(Q.unread_tables(report))
        named_wrong += sum(Q.table_of(p) in unread for p in graded.wrong.get(report["source"]["sha256"], ()))
    return Figures(len(chosen), hits, graded.n_wrong, graded.cells, len(ranked), offered_hits, need, named_wrong)


def pct(x: float) -> str:
    return "   n/a" if math.isnan(x) else f"{100 * x:5.1f}%"


def line(label: str, f: Figures) -> str:
    best = min(1.0, f.queue / f.wrong) if f.wrong else math.nan
    offered_recall = f.offered_hits / f.wrong if f.wrong else math.nan
    offered_precision = f.offered_hits / f.offered if f.offered else math.nan
    with_named = (f.hits + f.named_wrong) / f.wrong if f.wrong else math.nan
    return (f"{label:<34} cells={f.cells:>6}  wrong={f.wrong:>5}  queue={f.queue:>5} ({pct(f.queue / f.cells)})  "
            f"recall={pct(f.recall)}  precision={pct(f.precision)}  | with the {f.named_wrong} wrong cells of tables "
            f"named whole (not read): recall {pct(with_named)}; selection before the cut: {f.offered} cells, "
            f"recall {pct(offered_recall)}, precision {pct(offered_precision)}; best possible recall at 5 % "
            f"{pct(best)}; {RECALL_GOAL:.0%} recall needs a queue of {pct(f.share_for_goal).strip()} of the cells")


def generated_sets(n: int, seed: int, pdfs: int) -> list[tuple[str, Graded]]:
    sets = [
        ("generated, all layouts", grade_generated(generate(n, seed=seed, layouts=ALL_LAYOUTS, noise=NOISE,
                                                            blank_rate=BLANK_RATE))),
        ("generated, hard layouts", grade_generated(generate(n, seed=seed, layouts=HARD_LAYOUTS, noise=NOISE,
                                                             blank_rate=BLANK_RATE))),
        ("generated, the other layouts", grade_generated(generate(n, seed=seed, layouts=OTHER_LAYOUTS, noise=NOISE,
                                                                  blank_rate=BLANK_RATE))),
    ]
    if pdfs:
        from gongkai.training.synth_pdf import generate_pdfs

        sets.append(("generated text-layer PDFs", grade_generated(generate_pdfs(pdfs, seed=seed))))
    return sets


def tune(n: int) -> dict[str, float]:
    """The setting with the best recall at 5 % (then precision) on the generated all-layouts set of the tuning seed.

    The hard layouts alone are not the objective: with a quarter of their cells wrong, no queue of
    5 % can hold 90 % of them, and the setting that serves them is not the one that serves a mix.
    """
    sets = [generated_sets(n, TUNE_SEED, 0)[0][1]]
    for g in sets:  # lower thresholds offer subsets of what the highest offers
        g.pool = [c for c in g.pool if Q.offered(c.confidence, bool(c.rules), max(GRID["threshold"]))]
    results = []
    keys = list(GRID)
    for values in itertools.product(*GRID.values()):
        setting = dict(zip(keys, values))
        figures = [measure(g, **setting) for g in sets]
        hits = sum(f.hits for f in figures)
        wrong = sum(f.wrong for f in figures)
        queued = sum(f.queue for f in figures)
        results.append((hits / wrong, hits / max(1, queued), setting))
    results.sort(key=lambda r: (-round(r[0], 4), -round(r[1], 4)))
    print(f"tuning on {n} generated reports of seed {TUNE_SEED} (all layouts); top settings by recall at 5 %, "
          "then precision:")
    for recall, precision, setting in results[:8]:
        print(f"  recall {pct(recall)}  precision {pct(precision)}  {setting}")
    best = results[0]
    # Suspects first is kept when it costs little: a suspect's correction clears every finding it explains.
    first = next(r for r in results if r[2]["suspect_bonus"] > 0)
    if first[0] >= best[0] - SUSPECTS_FIRST_TOLERANCE:
        best = first
    print(f"chosen (suspects first when within {SUSPECTS_FIRST_TOLERANCE:.1%} of the best recall): "
          f"recall {pct(best[0])}  precision {pct(best[1])}  {best[2]}")
    return best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", type=int, default=400, help="generated reports per set (default 400)")
    parser.add_argument("--pdfs", type=int, default=40, help="generated text-layer PDFs (default 40; 0: none)")
    parser.add_argument("--seed", type=int, default=123, help="generator seed of the reported sets")
    parser.add_argument("--tune", action="store_true", help=f"grid-search the setting on seed {TUNE_SEED} first "
                        "and report with the best one (default: the shipped setting)")
    args = parser.parse_args()
    setting: dict[str, float] = {"threshold": Q.DEFAULT_THRESHOLD, "suspect_bonus": Q.SUSPECT_BONUS,
                                 "identity_bonus": Q.IDENTITY_BONUS,
                                 "not_applicable_penalty": Q.NOT_APPLICABLE_PENALTY, "doc_bonus": Q.DOC_BONUS,
                                 "zero_penalty": Q.ZERO_PENALTY}
    if args.tune:
        setting = tune(args.variants)
        print()
    print(f"queue cut at {QUEUE_SHARE:.0%} of each set's template cells; setting {setting}")
    print(f"goals: recall ≥ {RECALL_GOAL:.0%}, precision ≥ {PRECISION_GOAL:.0%}\n")
    sets = generated_sets(args.variants, args.seed, args.pdfs)
    real = grade_real()
    if real is None:
        print(f"warning: {SHARED} not found; the real reports are skipped", file=sys.stderr)
    else:
        sets.append(("real reports with gold (seeds, r043-5)", real))
    for label, graded in sets:
        print(line(f"{label} ({len(graded.reports)})", measure(graded, **setting)))
    if real is not None:
        q = Q.build_queue(real.reports, int(QUEUE_SHARE * real.cells), **setting)
        print("\nreal reports with gold: what the queue holds, by reason: " + reasons(q.chosen))
        whole = corpus_queue(setting)
        print(f"the whole real corpus (seeds and corpus/real, no gold): {whole}")


def reasons(chosen: list[Q.ReviewCell]) -> str:
    return ", ".join(f"{why} {sum(1 for c in chosen if c.why.split(':')[0] == why)}"
                     for why in ("suspect", "in a broken identity", "low confidence"))


def corpus_queue(setting: dict[str, float]) -> str:
    """The queue over every real report (no gold: its size and make-up only)."""
    from gongkai.annotations.pool import report_files

    reports = []
    for path in report_files([SHARED / "seeds", SHARED / "corpus" / "real"]):
        try:
            reports.append(extract(path, sentences=False).to_dict(include_text=False))
        except GongkaiError:
            continue
    known = [r for r in reports if r["format_version"] != "unknown"]
    start = time.perf_counter()
    q = Q.build_queue(known, int(QUEUE_SHARE * len(Q.TABLE_PATHS) * len(known)), **setting)
    took = time.perf_counter() - start
    docs = len({c.doc_sha256 for c in q.chosen})
    return (f"{len(known)} reports on a known template ({len(reports) - len(known)} others), "
            f"{len(known) * len(Q.TABLE_PATHS)} cells; {q.offered} offered, the queue holds {len(q.chosen)} "
            f"from {docs} reports ({reasons(q.chosen)}); ranking took {took:.2f} s")

if __name__ == "__main__":
    main()
