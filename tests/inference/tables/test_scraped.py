"""The scraped family and shredded Markdown: read right whatever the traits, never confidently wrong.

Generated reports (``training/synth.py``, layouts ``scraped`` and ``markdown_shredded``) record
the traits they drew; each trait must be read on its own, so a regression names its class.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import pytest

from gongkai.inference.narrative.sentences import segment
from gongkai.inference.pipeline import extract
from gongkai.report import Report
from gongkai.training.calibrate import graded_cells
from gongkai.training.synth import SCRAPED_TRAITS, SHREDDED_TRAITS, SynthReport, generate

REPORTS = 240
BLANK_RATE = 0.05
# Share of cells each trait's reports must read right: the goal is 99.5 % (scraped) and
# 99 % (shredded). Traits still below it keep a floor just under what they reach today
# (measured with this test's sample), so that a regression fails while the gap stays visible.
SCRAPED_MIN_RIGHT = 0.99
SHREDDED_MIN_RIGHT = 0.98
BELOW_GOAL_FLOORS = {
    "sep_tab": 0.985, "sep_newline": 0.97, "signed_change": 0.985,
    "blank_nothing": 0.75, "blank_mark": 0.9,  # blanks printed as nothing cannot be told from spacing
    "header_lost": 0.97,
    # 2019 表二 in shredded Markdown: 902/1100 cells right in this sample (表三 and 表四 99.6-100 %),
    # with the reader before and after the dropped-blank change alike: a gap, kept visible.
    "template_2019": 0.975,
}
CONFIDENT = 0.9


@lru_cache(maxsize=4)
def read_set(layout: str, blank_rate: float, n: int = REPORTS) -> tuple[tuple[SynthReport, Report], ...]:
    items = generate(n, seed=2026, layouts=(layout,), noise=(0.0, 0.1), blank_rate=blank_rate)
    return tuple((item, extract(item.source_bytes, path=f"{layout}-{i}", sentences=False))
                 for i, item in enumerate(items))


# Traits that need blank cells in the gold: measured on the set with blanks.
BLANK_TRAITS = frozenset({"blank_nothing", "blank_mark", "blank_dropped"})


def right_by_trait(layout: str, blank_rate: float = 0.0) -> dict[str, list[bool]]:
    out: dict[str, list[bool]] = defaultdict(list)
    for item, report in read_set(layout, blank_rate):
        oks = [ok for _, _, ok in graded_cells(report, item)]
        for trait in (*item.traits, "all"):
            out[trait].extend(oks)
    return out


@pytest.mark.parametrize("trait", [*SCRAPED_TRAITS, "all"])
def test_scraped_reports_are_read_right_for_every_trait(trait: str) -> None:
    cells = right_by_trait("scraped", BLANK_RATE if trait in BLANK_TRAITS else 0.0).get(trait)
    assert cells, f"no generated report drew {trait}"
    floor = BELOW_GOAL_FLOORS.get(trait, SCRAPED_MIN_RIGHT)
    assert sum(cells) / len(cells) >= floor, f"{trait}: {sum(cells)}/{len(cells)} cells right"


@pytest.mark.parametrize("trait", [*(t for t in SHREDDED_TRAITS if t not in BLANK_TRAITS), "all"])
def test_shredded_markdown_is_read_right_for_every_trait(trait: str) -> None:
    cells = right_by_trait("markdown_shredded").get(trait)
    assert cells, f"no shredded report drew {trait}"
    floor = BELOW_GOAL_FLOORS.get(trait, SHREDDED_MIN_RIGHT)
    assert sum(cells) / len(cells) >= floor, f"{trait}: {sum(cells)}/{len(cells)} cells right"


# Shredded Markdown whose 表三 prints blanks as empty pipe cells, labels detached: the rows that
# print every column (seven cells, some empty) are read in template order. 0.9976 on the benchmark's
# seed 123 (0.8953 before); the floor stays just under what this test's sample reaches.
SHREDDED_WITH_BLANKS_MIN_RIGHT = 0.99


def test_shredded_markdown_with_blank_cells_is_read_right() -> None:
    cells = right_by_trait("markdown_shredded", BLANK_RATE)
    assert sum(cells["all"]) / len(cells["all"]) >= SHREDDED_WITH_BLANKS_MIN_RIGHT, (
        f"{sum(cells['all'])}/{len(cells['all'])} cells right")


# 表二 rows that left their blank cells out ("| 规章 | 22 | 235 |" under three columns): the numbers
# are certain, where the blank was is a guess (issued and in force printed, repealed left out: the
# commonest), so the goal is honesty: the confidence says how often such a guess is right, and no
# guess is sure. This sample (2026-12-04): 497/546 right (0.910), mean confidence 0.83, none wrong at
# >= 0.9; before the reader treated pipes as certain boundaries 411/546 and 18 wrong at >= 0.5.
DROPPED_BLANK_MIN_RIGHT = 0.88
DROPPED_BLANK_CALIBRATION_GAP = 0.1


def test_table_two_rows_that_left_out_their_blanks_are_read_as_a_guess_not_shifted() -> None:
    graded = [(cell, ok) for item, report in read_set("markdown_shredded", BLANK_RATE)
              if "blank_dropped" in item.traits
              for path, cell, ok in graded_cells(report, item) if path.startswith("proactive")]
    assert len(graded) >= 200
    right = sum(ok for _, ok in graded) / len(graded)
    assert right >= DROPPED_BLANK_MIN_RIGHT
    assert not [c for c, ok in graded if not ok and c is not None and c.confidence >= 0.9]
    mean_confidence = sum(c.confidence for c, _ in graded if c is not None) / len(graded)
    assert abs(mean_confidence - right) <= DROPPED_BLANK_CALIBRATION_GAP, (mean_confidence, right)


# Blank cells printed as *nothing* inside a run cannot be seen (the reading that fills every cell is
# as plausible as the true one): on such sets a few confident misreads remain, at most this share.
HIDDEN_BLANK_CONFIDENT_WRONG_SHARE = 1e-4


@pytest.mark.parametrize(("layout", "blank_rate"), [("scraped", 0.0), ("scraped", BLANK_RATE),
                                                      ("markdown_shredded", 0.0), ("markdown_shredded", BLANK_RATE)])
def test_no_wrong_cell_is_confident(layout: str, blank_rate: float) -> None:
    graded = [(item, path, cell, ok) for item, report in read_set(layout, blank_rate)
              for path, cell, ok in graded_cells(report, item)]
    wrong = [(item.layout, path, cell.value, round(cell.confidence, 3))
             for item, path, cell, ok in graded if not ok and cell and cell.confidence >= CONFIDENT]
    allowed = int(len(graded) * HIDDEN_BLANK_CONFIDENT_WRONG_SHARE) if blank_rate else 0
    assert len(wrong) <= allowed, wrong[:5]


def test_no_false_alarm_on_consistent_scraped_reports() -> None:
    """Generated gold always adds up: an error finding would be a false alarm."""
    errors = [(i, f["rule"]) for i, (_, report) in enumerate(read_set("scraped", 0.0))
              for f in report.findings if f["severity"] == "error" and f["rule"].startswith(("requests", "appeals"))]
    assert not errors, errors[:5]


# Share of reports whose first sentence after the tables must reach the segmenter (the goal is all;
# 179 of 181 reach it today)
# today's floor, measured on this sample, stays just under what is reached).
PROSE_AFTER_TABLES_MIN_SHARE = 0.97


def test_prose_straight_after_the_tables_reaches_the_sentence_segmenter() -> None:
    reached: list[bool] = []
    for item, report in read_set("scraped", 0.0):
        if "prose_after_table" not in item.traits or not item.after_tables_sentence:
            continue
        texts = "".join("".join(s.text for s in segment(report.text, report.sections)).split())
        reached.append("".join(item.after_tables_sentence.split())[:12] in texts)
    assert len(reached) >= 20
    assert sum(reached) / len(reached) >= PROSE_AFTER_TABLES_MIN_SHARE, f"{sum(reached)}/{len(reached)} reached"
