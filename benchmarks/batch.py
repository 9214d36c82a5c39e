"""Batch benchmark: docs/s and peak memory of ``gongkai batch`` on 1 and 2 workers.

    python benchmarks/batch.py [--files 2000] [--modes tables,full,full-cold] [--workers 1,2] [--text-only]

Replicates the real corpus (../shared/corpus/real and the seeds) into a temporary folder until
it holds ``--files`` files, each copy made distinct (a trailing blank line, comment or PDF
trailer byte, so that duplicate detection does not skip it), then runs a fresh batch per
mode and worker count, each in a fresh process (no model an earlier run loaded counts), and
prints documents/s, peak resident memory of the runner, of the
largest worker and of the whole process tree (sampled), and the scaling efficiency (rate on
N workers / (N x rate on 1)). Modes:
``tables`` (--no-sentences: tables, fields, claims, findings), ``unscored`` (sentences
segmented, no classifier), ``full`` (sentences tagged by the default classifier, the bfloat16
blend, run once in the runner on sentences pooled across reports, repeats scored once:
``gongkai.batch.tagging``), ``full-cold`` (the same with no cache of repeats: the figure for an
archive whose sentences are all distinct, which a replicated corpus is not), ``full-per-worker``
(each worker labels its own reports, one model per worker: the way before, the baseline), ``tfidf``
(tagged by the fast TF-IDF classifier, ``--classifier tfidf``).
Baseline in the same run: reading and hashing every file (the floor of any batch).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gongkai.batch import Options, run_batch  # noqa: E402

SHARED = REPO.parent / "shared"
MODES = {
    "tables": Options(sentences=False),
    "unscored": Options(classify=False),
    "full": Options(),
    "full-cold": Options(sentence_cache=0),
    "full-per-worker": Options(pooled=False),
    "tfidf": Options(classifier="tfidf"),
}


def _variant(data: bytes, suffix: str, k: int) -> bytes:
    """The same document with different bytes: whitespace, a comment, or bytes after %%EOF."""
    if suffix == ".html":
        return data + f"\n<!-- copy {k} -->\n".encode()
    if suffix == ".pdf":
        return data + b"\n%" + str(k).encode() + b"\n"
    return data + b"\n" * (1 + k % 3) + b" " * (k // 3)


def replicate(target: Path, files: int, text_only: bool = False) -> int:
    sources = sorted(p for folder in (SHARED / "corpus" / "real", SHARED / "seeds") if folder.is_dir()
                     for p in folder.iterdir() if p.is_file() and p.name.lower() != "readme.md"
                     and not (text_only and p.suffix.lower() == ".pdf"))
    if not sources:
        raise SystemExit(f"no real reports found under {SHARED}: the benchmark replicates them")
    written = 0
    k = 0
    while written < files:
        for src in sources:
            if written >= files:
                break
            data = _variant(src.read_bytes(), src.suffix.lower(), k)
            (target / f"{k:04d}-{src.name}").write_bytes(data)
            written += 1
        k += 1
    return written


class TreeSampler:
    """Peak memory of this process (the runner), of its largest descendant (a worker) and of the whole
    tree, sampled every 0.2 s. The tree's figure is the sum of proportional set sizes (PSS: a page
    shared by k processes counts 1/k in each), what the batch holds in RAM; the sum of resident sets
    counts shared library pages once per process and is printed beside it."""

    def __init__(self) -> None:
        import psutil

        self.me = psutil.Process()
        self.runner = self.worker = self.tree_rss = self.tree_pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(0.2):
            rss = pss = 0.0
            largest = 0.0
            for proc in [self.me, *self.me.children(recursive=True)]:
                try:
                    info = proc.memory_full_info()
                except psutil.Error:
                    continue
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
                if proc.pid == self.me.pid:
                    self.runner = max(self.runner, info.rss / 2**20)
                else:
                    largest = max(largest, info.rss)
            self.worker = max(self.worker, largest / 2**20)
            self.tree_rss = max(self.tree_rss, rss / 2**20)
            self.tree_pss = max(self.tree_pss, pss / 2**20)

    def stop(self) -> TreeSampler:
        self._stop.set()
        self._thread.join()
        return self


def baseline(folder: Path) -> float:
    start = time.perf_counter()
    n = 0
    for path in folder.iterdir():
        hashlib.sha256(path.read_bytes()).hexdigest()
        n += 1
    return n / (time.perf_counter() - start)


def single_process(folder: Path, options: Options) -> float:
    """Docs/s of what a worker does per file (``process``: extract, serialise, derive rows), in this process."""
    from dataclasses import replace

    from gongkai.batch.worker import process

    options = replace(options, rows=True)
    paths = sorted(folder.iterdir())
    for path in paths[:20]:  # imports and first-call costs out of the figure
        process(path.name, path.read_bytes(), options)
    start = time.perf_counter()
    for path in paths:
        process(path.name, path.read_bytes(), options)
    return len(paths) / (time.perf_counter() - start)


def one_run(mode: str, workers: int, corpus: Path) -> dict[str, float]:
    """One fresh batch of ``mode`` over ``corpus``: rate, memory and tagging figures (a JSON line)."""
    with tempfile.TemporaryDirectory(prefix="gongkai-batch-out-") as tmp:
        start = time.perf_counter()
        sampler = TreeSampler()
        result = run_batch([corpus], Path(tmp) / "out", options=MODES[mode], workers=workers, progress=False)
        seconds = time.perf_counter() - start
        mem = sampler.stop()
    t = result.tagging
    return {"docs": sum(result.counts.values()), "seconds": seconds, "errors": result.counts.get("error", 0),
            "runner": mem.runner, "worker": mem.worker, "pss": mem.tree_pss, "rss": mem.tree_rss,
            "sentences": t.sentences if t else 0, "scored": t.scored if t else 0, "cached": t.cached if t else 0,
            "hit_rate": t.hit_rate if t else 0.0, "pools": t.pools if t else 0}


def main() -> None:
    if sys.argv[1:2] == ["--one"]:  # a child run (see main's loop)
        print(json.dumps(one_run(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--modes", default="tables,unscored,full,full-cold,full-per-worker,tfidf")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--text-only", action="store_true", help="leave the PDFs out (the goal is for text documents)")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="gongkai-batch-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        n = replicate(corpus, args.files, args.text_only)
        kinds = "text, HTML and Markdown files" if args.text_only else "files, PDFs included"
        print(f"{n} {kinds} (the real corpus and seeds, replicated with distinct bytes)")
        print(f"baseline: read + sha256 every file: {baseline(corpus):,.0f} files/s")
        single = single_process(corpus, MODES["tables"]) if "tables" in args.modes.split(",") else None
        if single:
            print(f"single process, no batch machinery (--no-sentences): {single:.1f} docs/s")
        by_mode: dict[str, dict[int, float]] = {}
        for mode in args.modes.split(","):
            rates = by_mode[mode] = {}
            for w in workers:
                # Each run in a fresh process: a runner's memory must not include models an earlier mode loaded.
                done = subprocess.run([sys.executable, __file__, "--one", mode, str(w), str(corpus)],
                                      capture_output=True, text=True, check=True)
                run = json.loads(done.stdout.splitlines()[-1])
                rates[w] = run["docs"] / run["seconds"]
                print(f"{mode:<9} workers={w}: {run['docs']} docs in {run['seconds']:6.1f} s = {rates[w]:7.1f} docs/s; "
                      f"errors {run['errors']}; peak memory: runner {run['runner']:,.0f} MB, largest "
                      f"worker {run['worker']:,.0f} MB, whole batch {run['pss']:,.0f} MB PSS "
                      f"({run['rss']:,.0f} MB as a sum of resident sets)")
                if run["sentences"]:
                    print(f"{'':<9} sentences {run['sentences']:,}: {run['scored']:,} scored by the runner's "
                          f"classifier, {run['cached']:,} repeats ({run['hit_rate']:.1%} cache hit rate), "
                          f"{run['pools']} pools")
            if 1 in rates:
                for w, rate in rates.items():
                    if w > 1:
                        print(f"{mode:<9} scaling 1 -> {w} workers: efficiency {rate / (w * rates[1]):.2f}")
            if mode == "tables" and single:
                for w, rate in rates.items():
                    print(f"tables    workers={w}: {rate / (w * single):.2f} of {w} x single-process throughput")
        base = by_mode.get("full-per-worker", {})
        for mode in ("full", "full-cold"):
            for w, rate in by_mode.get(mode, {}).items():
                if base.get(w):
                    print(f"{mode:<9} workers={w}: {rate / base[w]:.2f}x full-per-worker (the baseline, same run)")


if __name__ == "__main__":
    main()
