"""Reconciler benchmark: injected errors found and explained, false alarms, prose claims.

    python benchmarks/reconcile.py [--reports 40] [--seed 5]

For every layout but flattened (whose digit cuts are chosen to satisfy the identities, so an
injected error there is partly absorbed): consistent generated reports (false error findings),
the same reports with one 表三 cell changed (found; the suspect named), and with the number a
sentence states changed (claim.mismatch reported). Also: claims read with the right target and
value over the generated narratives, and the findings on the seeds and the real corpus.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import gongkai  # noqa: E402
from gongkai.errors import GongkaiError  # noqa: E402
from gongkai.inference.checks.reconcile import claim_value  # noqa: E402
from gongkai.inference.tables import template as T  # noqa: E402
from gongkai.training.synth import LAYOUTS, random_values, render  # noqa: E402

SHARED = REPO.parent / "shared"
CHECKED_LAYOUTS = tuple(layout for layout in LAYOUTS if layout != "flattened")
INJECT_ROWS = [r.key for r in T.REQUEST_ROWS if "2021" in r.versions and r.key != "other_processing"]


def errors(report: gongkai.Report) -> list[dict]:  # type: ignore[type-arg]
    return [f for f in report.findings if f["severity"] == "error"]


def arithmetic(reports: int, seed: int) -> None:
    rng = random.Random(seed)
    false_alarms = found = explained = trials = 0
    for layout in CHECKED_LAYOUTS:
        for _ in range(reports):
            s = rng.randrange(10**6)
            values = random_values(random.Random(s))
            clean = gongkai.extract(render(values, layout, random.Random(s), 0.05).source_bytes, sentences=False)
            false_alarms += bool(errors(clean))
            path = f"requests.{rng.choice(INJECT_ROWS)}.{rng.choice(T.REQUEST_COLUMNS)}"
            values[path] = (values[path] or 0) + rng.randint(1, 20)
            broken = gongkai.extract(render(values, layout, random.Random(s), 0.05).source_bytes, sentences=False)
            trials += 1
            found += any(path in f["cells"] for f in errors(broken))
            explained += any(f.get("suspect") == path for f in errors(broken))
    n = len(CHECKED_LAYOUTS) * reports
    print(f"consistent reports with an error finding: {false_alarms}/{n}")
    print(f"injected 表三 errors found: {found}/{trials} = {found / trials:.3f}; "
          f"suspect named: {explained}/{trials} = {explained / trials:.3f}")


def claims(reports: int, seed: int) -> None:
    rng = random.Random(seed + 1)
    stated = right = mismatches = injected = 0
    for layout in CHECKED_LAYOUTS:
        for _ in range(reports):
            s = rng.randrange(10**6)
            item = render(random_values(random.Random(s)), layout, random.Random(s), 0.0)
            report = gongkai.extract(item.source_bytes, sentences=False)
            for claim in report.claims:
                stated += 1
                targets = [claim["target"], *claim.get("alternatives", [])]
                right += any(claim_value(report, t) == claim["quantity"] for t in targets)
            if item.text is None or not report.claims:
                continue
            claim = rng.choice(report.claims)
            start, end = claim["span"]
            number = str(int(claim["quantity"]))
            at = report.text.find(number, start, end)
            if at < 0:
                continue  # a negation ("未收到…申请") prints no number to change
            altered = report.text[:at] + str(int(claim["quantity"]) + 7) + report.text[at + len(number):]
            changed = gongkai.extract(altered, sentences=False)
            injected += 1
            mismatches += any(f["rule"] == "claim.mismatch" for f in changed.findings)
    print(f"claims in generated narratives agreeing with their table: {right}/{stated} = {right / max(1, stated):.3f}")
    print(f"injected prose/table disagreements reported: {mismatches}/{injected}")


def real(folder: Path, pattern: str) -> None:
    rules: Counter[str] = Counter()
    flagged = []
    for path in sorted(folder.glob(pattern)):
        try:
            report = gongkai.extract(path, sentences=False)
        except GongkaiError:
            continue
        for f in report.findings:
            rules[f"{f['rule']}:{f['severity']}"] += 1
        if errors(report):
            flagged.append(path.name)
    print(f"{folder.name}: files with an error finding: {flagged}")
    print(f"{folder.name}: findings by rule and severity: {dict(sorted(rules.items()))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=40, help="generated reports per layout")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    arithmetic(args.reports, args.seed)
    claims(args.reports, args.seed)
    if SHARED.exists():
        real(SHARED / "seeds", "*.txt")
        real(SHARED / "corpus" / "real", "r*.*")
    else:
        print(f"warning: {SHARED} not found; seeds and corpus skipped", file=sys.stderr)
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
