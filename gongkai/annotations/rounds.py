"""``gongkai label next``: a round file of the sentences most worth a person's time.

Glue between the pool (a batch's output or report files), the label store (what must not be
offered again) and the selection; the round is a Label Studio task file with the model's
labels pre-ticked, and its labeling config beside it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gongkai.annotations.labelstudio import task_of, write_round
from gongkai.annotations.pool import Candidate, pool_from_batch, pool_from_files
from gongkai.annotations.select import (
    DEFAULT_PER_REPORT,
    DEFAULT_RANDOM_SHARE,
    Selected,
    encoder_embedder,
    select,
)
from gongkai.annotations.store import labelled_hashes, next_round, read_lines
from gongkai.inference.narrative.classify import DEFAULT_MODEL_DIR, HEAD_FILE, SHIPPED, Head
from gongkai.training.sentence_data import LABELS_FILE, load_split


def model_version(folder: Path) -> str:
    """A classifier's id for Label Studio: its folder name and a hash of its head (thresholds, calibration)."""
    head = (folder / HEAD_FILE).read_bytes()
    return f"{folder.name}@{hashlib.sha256(head).hexdigest()[:10]}"


@dataclass
class RoundSpec:
    sources: Sequence[str]  # a batch output folder, or report files / folders
    n: int = 100
    labels: Path = LABELS_FILE
    shared: Path | None = None
    model: str | None = None  # classifier name or folder whose thresholds rank the scores
    seed: int = 0
    per_report: int = DEFAULT_PER_REPORT
    random_share: float = DEFAULT_RANDOM_SHARE
    diversity: bool = True
    ranking: str = "per_label"  # or "closest" (select.rank)


def build_pool(spec: RoundSpec, progress: Callable[[Iterable[Any]], Iterable[Any]] = iter) -> list[Candidate]:
    """A batch folder (has ``sentences.parquet``) gives its scored sentences; anything else is extracted."""
    batches = [Path(s) for s in spec.sources if (Path(s) / "sentences.parquet").is_file()]
    files = [s for s in spec.sources if Path(s) not in batches]
    pool: list[Candidate] = []
    for b in batches:
        pool += pool_from_batch(b, spec.shared)
    if files:
        pool += pool_from_files(files, spec.shared, spec.model, progress)
    return pool


def choose(spec: RoundSpec, pool: Sequence[Candidate]) -> tuple[list[Selected], str, Head]:
    folder = Path(SHIPPED.get(spec.model or "", spec.model or DEFAULT_MODEL_DIR))
    head = Head.load(folder / HEAD_FILE)
    thresholds = dict(zip(head.labels, head.thresholds))
    frozen = set(load_split()["test_docs"])  # type: ignore[arg-type]
    exclude = labelled_hashes(spec.labels, spec.shared)
    embed = encoder_embedder() if spec.diversity else None
    chosen = select(pool, spec.n, thresholds, exclude_hashes=exclude, frozen_docs=frozen, per_report=spec.per_report,
                    random_share=spec.random_share, seed=spec.seed, embed=embed, ranking=spec.ranking)
    return chosen, model_version(folder), head


def make_round(spec: RoundSpec, out: Path, progress: Callable[[Iterable[Any]], Iterable[Any]] = iter
               ) -> tuple[Path, Path, list[Selected]]:
    """Write the round's task file and labeling config; returns both paths and what was chosen."""
    pool = build_pool(spec, progress)
    if not pool:
        raise ValueError("no scored narrative sentences in the given sources (a batch run with --no-sentences or "
                         "--no-classify has none; unreadable files have none)")
    chosen, version, head = choose(spec, pool)
    if not chosen:
        raise ValueError(f"all {len(pool)} sentences of the pool are labelled already, in the frozen test split, "
                         "or too short: nothing to offer")
    round_no = next_round(read_lines(spec.labels))
    tasks = [task_of(s.candidate, head.decide(s.candidate.scores), version, s.score, round_no, s.selected_by)
             for s in chosen]
    task_file, config = write_round(out, tasks)
    return task_file, config, chosen
