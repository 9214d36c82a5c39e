"""``gongkai label ...``: the labeling loop's commands (next, serve, import, retrain, report, audit)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gongkai.errors import GongkaiError
from gongkai.training.sentence_data import DEFAULT_SHARED, LABELS_FILE, SYNTHETIC_FILE

EXIT_ERROR = 2


def _shared(args: argparse.Namespace, required: bool = False) -> Path | None:
    """--shared, $GONGKAI_SHARED or ../shared beside the repository; None when absent and not required."""
    import os

    path = Path(args.shared or os.environ.get("GONGKAI_SHARED") or DEFAULT_SHARED)
    if path.is_dir():
        return path
    if required or args.shared:
        raise FileNotFoundError(f"the shared documents folder was not found at {path}: pass --shared DIR or set "
                                "GONGKAI_SHARED")
    return None


def _bar(items: Any) -> Any:
    from tqdm import tqdm

    return tqdm(items, desc="extracting", unit="report", file=sys.stderr)


def cmd_next(args: argparse.Namespace) -> int:
    from gongkai.annotations.rounds import RoundSpec, make_round

    sources = [*args.batch, *args.sources]
    if not sources:
        raise ValueError("name a batch output folder (--from DIR) or report files/folders to choose from")
    if args.cells:
        return cmd_next_cells(args, sources)
    spec = RoundSpec(sources=sources, n=args.n, labels=Path(args.labels), shared=_shared(args),
                     model=args.classifier, seed=args.seed, per_report=args.per_report, random_share=args.random_share,
                     diversity=not args.no_diversity, ranking=args.ranking)
    task_file, config, chosen = make_round(spec, Path(args.out), _bar)
    n_random = sum(s.selected_by == "random" for s in chosen)
    print(f"wrote {len(chosen)} tasks ({len(chosen) - n_random} by uncertainty and diversity, {n_random} at random) "
          f"from {len({s.candidate.doc for s in chosen})} reports to {task_file}\n"
          f"Label Studio: create a project with the labeling config {config}, import {task_file}, label, export "
          f"(JSON, JSON_MIN or snapshot); or label here: gongkai label serve {task_file}")
    return 0


def cmd_next_cells(args: argparse.Namespace, sources: list[str]) -> int:
    from gongkai.annotations.cell_queue import DEFAULT_THRESHOLD
    from gongkai.annotations.cell_review import CellRoundSpec, is_batch, make_cell_round

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    batches = [Path(b) for b in args.batch if is_batch(Path(b))]
    corrections = Path(args.corrections) if args.corrections else (
        batches[0] / "corrections.jsonl" if batches else Path("corrections.jsonl"))
    spec = CellRoundSpec(sources=sources, out=Path(args.out), n=args.n, threshold=threshold,
                         corrections=corrections)
    task_file, config, queue = make_cell_round(spec, _bar)
    why = {w: sum(1 for c in queue.chosen if c.why.startswith(w)) for w in ("suspect", "in a broken", "low")}
    print(f"wrote {len(queue.chosen)} cells ({why['suspect']} suspects, {why['in a broken']} in broken identities, "
          f"{why['low']} below confidence {threshold}) of {queue.offered} offered, from {queue.cells} template "
          f"cells of {queue.reports} reports, to {task_file} ({queue.skipped_decided} already decided in "
          f"{corrections})\nLabel Studio: create a project with the labeling config {config}, import {task_file}, "
          f"review, export (JSON, JSON_MIN or snapshot); then: gongkai label import EXPORT --corrections {corrections}")
    if queue.unread:
        print(queue.unread_summary())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from gongkai.annotations.cell_review import is_cell_export
    from gongkai.annotations.labelstudio import load_export
    from gongkai.annotations.page import serve

    if is_cell_export(load_export(Path(args.round))):
        raise ValueError(f"{args.round} is a cell review round: review it in Label Studio (a project with "
                         f"{Path(args.round).with_suffix('.config.xml').name}); the built-in page labels sentences")
    out = serve(Path(args.round), Path(args.out) if args.out else None, host=args.host, port=args.port,
                annotator=args.annotator, on_ready=lambda url: print(f"labeling page: {url}  (Ctrl+C to stop)",
                                                                     flush=True))
    print(f"labels saved in {out}; import them with: gongkai label import {out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from gongkai.annotations.cell_review import import_cell_export, is_cell_export
    from gongkai.annotations.labelstudio import load_export
    from gongkai.annotations.store import import_export

    if is_cell_export(load_export(Path(args.export))):
        out = Path(args.corrections or "corrections.jsonl")
        cells = import_cell_export(Path(args.export), out, args.by)
        print(cells.summary())
        for doc, cell, answers in cells.conflicts:
            print(f"  conflict: {cell} of {doc[:12]}: {'; '.join(answers)}")
        for note in cells.notes:
            print(f"  note: {note}")
        print(f"apply them with: gongkai batch ... --corrections {out} (or extract/check --corrections {out})")
        return 0
    result = import_export(Path(args.export), Path(args.labels), _shared(args),
                           Path(args.documents) if args.documents else None)
    print(result.summary())
    for c in result.conflicts:
        print(f"  conflict: {c.describe()}")
    return 0


def cmd_retrain(args: argparse.Namespace) -> int:
    from gongkai.annotations.retrain import RetrainOptions, retrain

    options = RetrainOptions(shared=_shared(args, required=True), out=Path(args.out), labels=Path(args.labels),  # type: ignore[arg-type]
                             documents=Path(args.documents) if args.documents else None, kinds=args.kinds,
                             epochs=args.epochs, learning_rate=args.learning_rate, install=args.install,
                             weak=not args.no_weak, synthetic=None if args.no_synthetic else SYNTHETIC_FILE)
    entry = retrain(options)
    figures = ", ".join(f"{k} {v['macro']:.3f}" for k, v in entry["test"].items())
    print(f"models in {args.out}; test macro-F1: {figures}\n`gongkai label report` shows the learning curve"
          + ("" if args.install else "; --install makes them the shipped default"))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from gongkai.annotations.retrain import write_report

    labels = Path(args.labels)
    text, md, js = write_report(labels, Path(args.out) if args.out else labels.parent)
    print(text)
    print(f"written: {md}, {js}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from gongkai.annotations.audit import audit, write_audit_round
    from gongkai.annotations.store import next_round, read_lines

    shared = _shared(args, required=True)
    assert shared is not None
    suspects = audit(shared, Path(args.labels), seed=args.seed)
    top = suspects[: args.n]
    task_file, config = write_audit_round(shared, top, Path(args.out), next_round(read_lines(Path(args.labels))))
    print(f"{len(suspects)} labels look suspect; the {len(top)} most suspect are a review round in {task_file} "
          f"(config {config}); re-labelled sentences replace their stored label on import")
    return 0


def add_label_parser(sub: Any) -> None:
    label = sub.add_parser("label", help="the labeling loop: choose sentences, label them (Label Studio or a "
                           "built-in page), import, retrain, report")
    lsub = label.add_subparsers(dest="what", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--labels", default=str(LABELS_FILE), help="the label store, JSON Lines (default: "
                       "gongkai/annotations/sentences/labels.jsonl)")
        p.add_argument("--shared", help="folder with seeds/ and corpus/real/ (default: ../shared or $GONGKAI_SHARED)")

    nx = lsub.add_parser("next", help="write a round: the sentences most worth labelling, as Label Studio tasks")
    nx.add_argument("sources", nargs="*", help="report files or folders (extracted first)")
    nx.add_argument("--from", dest="batch", action="append", default=[], help="a `gongkai batch` output folder "
                    "(its sentences.parquet); may be repeated")
    nx.add_argument("--n", type=int, default=100, help="sentences (or cells) in the round (default 100)")
    nx.add_argument("--out", required=True, help="round file to write (Label Studio task JSON)")
    nx.add_argument("--seed", type=int, default=0)
    nx.add_argument("--per-report", type=int, default=3, help="at most this many sentences of one report (default 3)")
    nx.add_argument("--random-share", type=float, default=0.1, help="share drawn at random (default 0.1)")
    nx.add_argument("--classifier", help="classifier whose scores and thresholds rank sentences when reports are "
                    "given (default: the shipped default)")
    nx.add_argument("--no-diversity", action="store_true", help="rank by uncertainty only (no encoder clustering)")
    nx.add_argument("--ranking", choices=("per_label", "closest"), default="per_label",
                    help="per_label (default): the labels take turns offering their closest calls; closest: each "
                    "sentence's single closest call")
    nx.add_argument("--cells", action="store_true", help="a cell review round instead: table cells below the "
                    "confidence threshold and the cells of broken identities, suspects first")
    nx.add_argument("--threshold", type=float, default=None, help="--cells: offer cells read below this confidence "
                    "(default 0.7, tuned on generated reports)")
    nx.add_argument("--corrections", help="--cells: cells decided here are not offered again (default: "
                    "corrections.jsonl in the --from folder, else in the current folder)")
    common(nx)
    nx.set_defaults(func=cmd_next)
    sv = lsub.add_parser("serve", help="label a round in a built-in page on 127.0.0.1")
    sv.add_argument("round", help="round file from `gongkai label next`")
    sv.add_argument("--out", help="labels file (default: ROUND.labels.json beside the round; resumed if present)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    sv.add_argument("--annotator", default="page", help="your name or id, recorded with every label")
    sv.set_defaults(func=cmd_serve)
    im = lsub.add_parser("import", help="add a Label Studio export (JSON, JSON_MIN, snapshot) or the page's file "
                         "to the label store")
    im.add_argument("export")
    im.add_argument("--documents", help="folder holding the reports outside ../shared that the round came from")
    im.add_argument("--corrections", help="cell rounds: the corrections file to append to (default: "
                    "corrections.jsonl in the current folder)")
    im.add_argument("--by", help="cell rounds: record NAME as the reviewer (default: the annotator the export names)")
    common(im)
    im.set_defaults(func=cmd_import)
    rt = lsub.add_parser("retrain", help="refit TF-IDF, warm-start the transformer, refit the blend on all labels")
    rt.add_argument("--out", required=True, help="new model folder (the shipped default is left alone)")
    rt.add_argument("--kinds", nargs="+", default=["tfidf", "transformer", "blend"],
                    choices=("tfidf", "transformer", "blend"))
    rt.add_argument("--epochs", type=int, default=3, help="transformer warm-start epochs (default 3)")
    rt.add_argument("--learning-rate", type=float, default=5e-5)
    rt.add_argument("--documents", help="folder holding the labelled reports outside ../shared")
    rt.add_argument("--install", action="store_true", help="also make the new models the shipped default")
    rt.add_argument("--no-weak", action="store_true", help="no weak labels for unlabelled corpus sentences")
    rt.add_argument("--no-synthetic", action="store_true", help="leave out the sentences written by the team")
    common(rt)
    rt.set_defaults(func=cmd_retrain)
    rp = lsub.add_parser("report", help="learning curve: per-label F1 on the frozen test split after each retrain")
    rp.add_argument("--out", help="folder for labeling-report.md/.json (default: beside the labels)")
    common(rp)
    rp.set_defaults(func=cmd_report)
    au = lsub.add_parser("audit", help="rank stored labels by how strongly out-of-fold predictions disagree; "
                         "write the top N as a review round")
    au.add_argument("--n", type=int, default=50)
    au.add_argument("--out", required=True)
    au.add_argument("--seed", type=int, default=0)
    common(au)
    au.set_defaults(func=cmd_audit)
    for p in (nx, sv, im, rt, rp, au):
        p.set_defaults(run=run)


def run(func: Any, args: argparse.Namespace) -> int:
    """Label commands report GongkaiError and bad input as one line and exit 2, never a traceback."""
    try:
        return int(func(args))
    except (GongkaiError, OSError, ValueError) as exc:
        print(f"gongkai label {args.what}: {exc}", file=sys.stderr)
        return EXIT_ERROR
