"""The fuzz harness: a fixed sample of hostile inputs through ``extract`` in a worker process.

Each case must end in a report or a coded GongkaiError: no other exception, no crash (a signal
from native code), no hang (no answer within the hang cap, far above the API's own time limit)
and a peak resident memory under the documented limit. ``benchmarks/fuzz.py --n 5000`` is the
longer run of the same thing.
"""

from __future__ import annotations

from collections import Counter

from gongkai.fuzz import hostile
from gongkai.fuzz.runner import MEMORY_LIMIT_MB, Options, Outcome, run_cases

# Fixed: the same cases on every run (every class at least twice; heavy classes drawn less often).
SAMPLE_SIZE = 200
SAMPLE_SEED = 16


def test_a_fixed_sample_of_hostile_inputs_gives_only_reports_and_coded_errors() -> None:
    options = Options(time_limit=30.0, classifier="tfidf", memory_limit_mb=MEMORY_LIMIT_MB, hang_cap_s=300.0)
    outcomes: list[Outcome] = list(run_cases(hostile.cases(SAMPLE_SIZE, seed=SAMPLE_SEED), options))
    assert len(outcomes) == SAMPLE_SIZE
    assert {o.case.split(" ")[0].split("/")[1] for o in outcomes} == set(hostile.CLASSES)
    failures = [f"{o.case}: {o.outcome} {o.detail}" for o in outcomes if not o.ok]
    assert not failures, "\n".join(failures)
    counts = Counter(o.outcome for o in outcomes)
    assert counts["report"] and counts["error"]  # both kinds of answer occur: the sample is not all refusals


def test_the_runner_sees_crashes_hangs_and_memory_and_goes_on() -> None:
    """Each failure the harness exists to catch is reported as such, and the next case gets a fresh worker."""
    ok = hostile.Case("plain", "test", hostile.TEXT, "政府信息公开工作年度报告\n".encode())
    crash = hostile.Case("segv", "test", hostile.SELF_TEST_SIGNAL, b"SIGSEGV")
    block = hostile.Case("block", "test", hostile.SELF_TEST_BLOCK, b"")
    hog = hostile.Case("hog", "test", hostile.SELF_TEST_ALLOCATE, b"700")
    options = Options(classifier="tfidf", sentences=False, memory_limit_mb=600, hang_cap_s=5.0)
    outcomes = list(run_cases([ok, crash, ok, block, ok, hog, ok], options))
    assert [o.outcome for o in outcomes] == ["report", "crash", "report", "hang", "report", "memory", "report"]
    assert "SIGSEGV" in outcomes[1].detail
    assert outcomes[5].peak_mb > 700
