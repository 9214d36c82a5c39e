"""Reconciler benchmark: injected errors found and explained, false alarms, prose claims.

    python benchmarks/reconcile.py [--reports 40] [--seed 5]

For every layout but flattened (whose digit cuts are chosen to satisfy the identities, so an
injected error there is partly absorbed): consistent generated reports (false error findings),
the same reports with one 表三 cell changed (found; the suspect named), and with the number a
sentence states changed (claim.mismatch reported). Also: claims read with the right target and
value over the generated narratives, and the findings on the seeds and the real corpus.

Prose claims (issue 18): over generated reports carrying a paragraph of claims in the forms
real reports use, among traps (``training/synth_claims.py``): claims recall and precision,
consistent reports with a claim error, and contradictions injected into one claim reported as
errors; over the real documents, recall and precision against the hand-transcribed fixture
(``annotations/gold/claims``) and how each contradiction it records is reported.
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
from gongkai.annotations.claims_gold import (  # noqa: E402
    ClaimsGold,
    ClaimsScore,
    GoldClaim,
    all_claims_gold,
    score,
)
from gongkai.errors import GongkaiError  # noqa: E402
from gongkai.inference.checks.reconcile import claim_value  # noqa: E402
from gongkai.inference.tables import template as T  # noqa: E402
from gongkai.training.synth import LAYOUTS, TEXT_LAYOUTS, random_values, render  # noqa: E402
from gongkai.training.synth_claims import report_with_claims  # noqa: E402

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


CLAIM_LAYOUTS = tuple(layout for layout in TEXT_LAYOUTS if layout != "flattened")


def generated_claims(reports: int, seed: int) -> None:
    """Claims paragraphs in generated reports: recall, precision, false errors, injected contradictions."""
    rng = random.Random(seed + 2)
    total = ClaimsScore()
    false_errors = injected = as_error = as_finding = 0
    kinds: Counter[str] = Counter()
    for i in range(reports * len(CLAIM_LAYOUTS)):
        layout = CLAIM_LAYOUTS[i % len(CLAIM_LAYOUTS)]
        s = rng.randrange(10**6)
        values = random_values(random.Random(s), template="2019" if i % 5 == 0 else "2021")
        text, planted, _ = report_with_claims(values, layout, s)
        report = gongkai.extract(text, sentences=False)
        gold = ClaimsGold("generated", "", tuple(GoldClaim(p.span, "", p.quantity, p.targets) for p in planted))
        total.add(score(report.claims, gold))
        kinds.update(p.kind for p in planted)
        false_errors += any(f["rule"] == "claim.mismatch" and f["severity"] == "error" for f in report.findings)
        text, planted, _ = report_with_claims(values, layout, s, contradict=True)
        changed = [p for p in planted if p.kind.endswith("!")]
        if not changed:
            continue
        report = gongkai.extract(text, sentences=False)
        injected += 1
        hits = [f for f in report.findings if f["rule"] == "claim.mismatch"
                and f["spans"][0][0] < changed[0].span[1] and changed[0].span[0] < f["spans"][0][1]]
        as_finding += bool(hits)
        as_error += any(f["severity"] == "error" for f in hits)
    n = reports * len(CLAIM_LAYOUTS)
    print(f"generated claims ({n} reports, {len(kinds)} claim kinds): recall {total.recalled}/{total.gold} = "
          f"{total.recall:.4f}, precision {total.precise}/{total.read} = {total.precision:.4f}")
    print(f"consistent reports with a claim.mismatch error: {false_errors}/{n}")
    print(f"injected prose contradictions reported: {as_finding}/{injected}; as errors: {as_error}/{injected}")


def corpus_claims() -> None:
    """The real documents against the hand-transcribed claims fixture."""
    total = ClaimsScore()
    contradictions = errors = warned = 0
    for gold in all_claims_gold():
        report = gongkai.extract(SHARED / gold.doc, sentences=False)
        total.add(score(report.claims, gold))
        for claim in gold.claims:
            if not claim.contradicts:
                continue
            contradictions += 1
            hits = [f for f in report.findings if f["rule"] == "claim.mismatch"
                    and f["spans"][0][0] < claim.span[1] and claim.span[0] < f["spans"][0][1]]
            errors += any(f["severity"] == "error" for f in hits)
            warned += any(f["severity"] == "warning" for f in hits)
    print(f"real documents ({len(all_claims_gold())}): claims recall {total.recalled}/{total.gold} = "
          f"{total.recall:.3f}, precision {total.precise}/{total.read} = {total.precision:.3f}")
    print(f"real contradictions recorded in the fixture: {contradictions}; reported as errors: {errors}, "
          f"as warnings (doubtful table read): {warned}")


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
    generated_claims(args.reports, args.seed)
    if SHARED.exists():
        corpus_claims()
        real(SHARED / "seeds", "*.txt")
        real(SHARED / "corpus" / "real", "r*.*")
    else:
        print(f"warning: {SHARED} not found; seeds and corpus skipped", file=sys.stderr)
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
