"""Fuzz run: hostile inputs by class through ``extract`` in a worker process; counts by outcome and class.

    python benchmarks/fuzz.py --n 5000                 # the issue's run (hours on 2 cores: heavy classes
                                                       # such as 1,000 blank PDF pages run to their time limit)
    python benchmarks/fuzz.py --n 300 --seed 1         # a quicker look
    python benchmarks/fuzz.py --classes pdf_self_reference pdf_damaged --n 200
    python benchmarks/fuzz.py --classifier default     # score sentences with the shipped default model

Outcomes: ``report`` and ``error`` (a coded GongkaiError) are what every input must get;
``exception`` (another exception type), ``crash`` (the worker died from a signal), ``hang`` (no
answer within --hang-cap) and ``memory`` (peak resident memory of the case over --memory-mb)
are failures, each listed with its case. Results are also written as JSON (--out).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from gongkai.fuzz import hostile
from gongkai.fuzz.runner import GOOD_OUTCOMES, MEMORY_LIMIT_MB, Options, Outcome, run_cases

OUTCOMES = ("report", "error", "exception", "crash", "hang", "memory")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500, help="cases to run (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classes", nargs="+", choices=sorted(hostile.CLASSES), help="only these classes")
    parser.add_argument("--time-limit", type=float, default=60.0, help="extract(time_limit=…) per case, seconds")
    parser.add_argument("--hang-cap", type=float, default=300.0, help="seconds without an answer that make a hang")
    parser.add_argument("--memory-mb", type=int, default=MEMORY_LIMIT_MB, help="peak resident memory allowed per case")
    parser.add_argument("--classifier", default="tfidf", help='sentence classifier ("default" for the shipped one)')
    parser.add_argument("--out", type=Path, help="write every outcome here as JSON (and, as they end, to .jsonl)")
    args = parser.parse_args()
    options = Options(time_limit=args.time_limit, classifier=None if args.classifier == "default" else args.classifier,
                      memory_limit_mb=args.memory_mb, hang_cap_s=args.hang_cap)
    by_class: dict[str, Counter[str]] = defaultdict(Counter)
    outcomes: list[Outcome] = []
    peaks: dict[str, float] = defaultdict(float)
    growth: dict[str, float] = defaultdict(float)
    start = time.monotonic()
    log = args.out.with_suffix(".jsonl").open("w", encoding="utf-8") if args.out else None
    cases = hostile.cases(args.n, seed=args.seed, classes=tuple(args.classes) if args.classes else None)
    for i, outcome in enumerate(run_cases(cases, options), start=1):
        name = outcome.case.split(" ")[0]
        by_class[name][outcome.outcome] += 1
        peaks[name] = max(peaks[name], outcome.peak_mb)
        growth[name] = max(growth[name], outcome.grew_mb)
        outcomes.append(outcome)
        if log:  # one line per case as it ends: a long run that is stopped still tells what it saw
            log.write(json.dumps(outcome.to_dict(), ensure_ascii=False) + "\n")
            log.flush()
        if not outcome.ok:
            print(f"  FAIL {outcome.outcome}: {outcome.case}: {outcome.detail}", file=sys.stderr, flush=True)
        if i % 25 == 0:
            print(f"  {i}/{args.n} cases, {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - start
    total = Counter(o.outcome for o in outcomes)
    print(f"fuzz: {len(outcomes)} cases, seed {args.seed}, {elapsed:.0f} s; time limit {args.time_limit:g} s, "
          f"hang cap {args.hang_cap:g} s, memory limit {args.memory_mb} MB, classifier {args.classifier}")
    print("(peak MB: the worker process's peak during the class's cases; grew MB: the most one case added "
          "to the memory the worker held before it)")
    print(f"{'class':<34}" + "".join(f"{o:>10}" for o in OUTCOMES) + f"{'peak MB':>10}{'grew MB':>10}")
    for name in sorted(by_class):
        print(f"{name:<34}" + "".join(f"{by_class[name][o]:>10}" for o in OUTCOMES)
              + f"{peaks[name]:>10.0f}{growth[name]:>10.0f}")
    print(f"{'all':<34}" + "".join(f"{total[o]:>10}" for o in OUTCOMES)
          + f"{max(peaks.values(), default=0):>10.0f}{max(growth.values(), default=0):>10.0f}")
    failures = [o for o in outcomes if o.outcome not in GOOD_OUTCOMES]
    print(f"failures: {len(failures)} (crashes {total['crash']}, hangs {total['hang']}, memory overruns "
          f"{total['memory']}, other exceptions {total['exception']})")
    for o in failures:
        print(f"  {o.outcome}: {o.case}: {o.detail}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "seconds": elapsed,
                                        "outcomes": [o.to_dict() for o in outcomes]}, ensure_ascii=False, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
