"""Command line: ``gongkai extract FILE...``, ``gongkai check FILE...``, training and the labeling loop."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from gongkai.annotations.cli import add_label_parser
from gongkai.errors import GongkaiError
from gongkai.inference.checks.reconcile import carry_over_findings, cell_name
from gongkai.inference.narrative.classify import BLEND_BF16_DIR, BLEND_DIR, DEVICES, LABELS, TFIDF_DIR, TRANSFORMER_DIR
from gongkai.inference.pipeline import extract
from gongkai.inference.tables import template as T
from gongkai.report import Cell, Report
from gongkai.training.calibrate import FIT_REPORTS
from gongkai.training.sentence_model import FineTuneSettings, PretrainSettings

# Cells below this confidence are flagged with "?" in the readable summary.
LOW_CONFIDENCE = 0.5
EXIT_FINDINGS = 1
EXIT_INPUT_ERROR = 2
SOURCE_LINES_SHOWN = 4
SOURCE_LINE_MAX_CHARS = 160
CONTEXT_CHARS = 90
SENTENCE_CHARS_SHOWN = 48

_ROW_LABELS_SHORT: dict[str, str] = {
    "new_received": "一、本年新收", "carried_over": "二、上年结转", "granted": "（一）予以公开",
    "partially_granted": "（二）部分公开", "denied_state_secret": "（三）1.国家秘密",
    "denied_prohibited_by_law": "（三）2.法律禁止", "denied_three_safeties": "（三）3.三安全一稳定",
    "denied_third_party": "（三）4.第三方权益", "denied_internal_affairs": "（三）5.内部事务",
    "denied_process_info": "（三）6.过程性信息", "denied_enforcement_files": "（三）7.执法案卷",
    "denied_administrative_query": "（三）8.行政查询", "unable_not_held": "（四）1.不掌握",
    "unable_needs_creation": "（四）2.需另行制作", "unable_unclear": "（四）3.仍不明确",
    "not_processed_petition": "（五）1.信访举报", "not_processed_repeated": "（五）2.重复申请",
    "not_processed_publications": "（五）3.公开出版物", "not_processed_massive": "（五）4.大量反复",
    "not_processed_confirm": "（五）5.确认或重新出具", "other_overdue_correction": "（六）1.逾期不补正",
    "other_overdue_fee": "（六）2.逾期未缴费", "other_other": "（六）3.其他",
    "other_processing": "（六）其他处理", "total": "（七）总计", "carried_forward": "四、结转下年度",
}


DEVICE_HELP = ("where the transformer classifier runs: auto (a CUDA GPU when torch sees one, else the CPU; "
               "the default), cpu or cuda")


def _fmt(cell: Cell) -> str:
    if cell.value is None:
        text = "·"
    elif isinstance(cell.value, float):
        text = f"{cell.value:g}"
    else:
        text = str(cell.value)
    return text + ("?" if cell.confidence < LOW_CONFIDENCE else "")


def _pad(text: str, width: int) -> str:
    """Pad for a terminal: CJK characters take two columns."""
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(0, width - shown)


def summarize(report: Report, out: TextIO) -> None:
    """A readable account of one report: fields, the three tables, confidence and warnings."""
    name = report.source.path or "<input>"
    out.write(f"== {name}\n")
    out.write(f"   agency: {report.agency.value or '?'}   year: {report.year.value or '?'}   "
              f"template: {report.format_version}   confidence: {report.confidence:.2f}\n")
    if report.format_version != "unknown":
        p = report.proactive
        if report.format_version == "2021":
            out.write("   表二  规章 {}/{}/{}  规范性文件 {}/{}/{}  许可 {}  处罚 {}  强制 {}  收费(万元) {}\n".format(
                *(_fmt(c) for c in (p.regulations.issued, p.regulations.repealed, p.regulations.in_force,
                                    p.normative_documents.issued, p.normative_documents.repealed,
                                    p.normative_documents.in_force, p.licensing, p.punishment, p.coercion,
                                    p.fees_wan_yuan))))
        else:
            for label, row in report.proactive_2019.items():
                out.write(f"   表二  {label}: " + "  ".join(f"{k} {_fmt(c)}" for k, c in row.items()) + "\n")
        out.write("   表三  " + _pad("", 22) + "".join(
            _pad(T.REQUEST_COLUMN_LABELS[c][:4], 9) for c in T.REQUEST_COLUMNS) + "\n")
        for row in T.REQUEST_ROWS:
            if report.format_version not in row.versions:
                continue
            cells = getattr(report.requests, row.key)
            out.write("         " + _pad(_ROW_LABELS_SHORT[row.key], 22) + "".join(
                _pad(_fmt(getattr(cells, c)), 9) for c in T.REQUEST_COLUMNS) + "\n")
        for group, label in zip(T.APPEAL_GROUPS, ("行政复议", "诉讼·直接起诉", "诉讼·复议后起诉")):
            g = getattr(report.appeals, group)
            out.write(f"   表四  {_pad(label, 16)}" + "  ".join(
                f"{T.APPEAL_COLUMN_LABELS[c]} {_fmt(getattr(g, c))}" for c in T.APPEAL_COLUMNS) + "\n")
    summarize_sentences(report, out)
    for warning in report.warnings:
        out.write(f"   warning: {warning}\n")
    out.write("\n")


def summarize_sentences(report: Report, out: TextIO) -> None:
    """Counts per label, then each labelled sentence with its section and highest score."""
    sentences = report.sentences
    if not sentences:
        return
    counts = {lab: sum(lab in s["labels"] for s in sentences) for lab in LABELS}
    out.write(f"   sentences: {len(sentences)} narrative; " + ", ".join(f"{k} {v}" for k, v in counts.items()) + "\n")
    for s in sentences:
        if not s["labels"]:
            continue
        top = max(s["scores"][lab] for lab in s["labels"])
        text = " ".join(s["text"].split())
        text = text if len(text) <= SENTENCE_CHARS_SHOWN else text[:SENTENCE_CHARS_SHOWN] + "…"
        out.write(f"     {_pad(s['section'] or '', 10)} {_pad(','.join(s['labels']), 22)} {top:.2f}  {text}\n")


def read_reports(files: Sequence[str], failed: list[str], **options: Any) -> Iterator[Report]:
    """Reports of ``files`` one by one (``options`` go to ``extract``); a file that cannot be read
    is named on stderr and skipped."""
    for name in files:
        try:
            yield extract(Path(name), **options)
        except (GongkaiError, OSError) as exc:
            sys.stderr.write(f"gongkai: {name}: {exc}\n")
            failed.append(name)


def reviewed(args: argparse.Namespace) -> Any:
    """The ``--corrections`` file loaded once (a malformed file stops the command with its line number)."""
    from gongkai.annotations.corrections import load_corrections

    return load_corrections(args.corrections) if getattr(args, "corrections", None) else None


def use_device(args: argparse.Namespace, command: str) -> bool:
    """Apply ``--device``; False (after saying why) when the machine cannot run it."""
    from gongkai.inference.narrative.classify import set_device

    try:
        set_device(args.device)
    except ValueError as exc:
        print(f"gongkai {command}: {exc}", file=sys.stderr)
        return False
    return True


def cmd_extract(args: argparse.Namespace) -> int:
    if not use_device(args, "extract"):
        return 2
    failed: list[str] = []
    for report in read_reports(args.files, failed, classify=not args.no_classify, classifier=args.classifier,
                               corrections=reviewed(args)):
        if args.format == "json":
            sys.stdout.write(report.to_json(include_text=not args.no_text) + "\n")
        else:
            summarize(report, sys.stdout)
    return EXIT_INPUT_ERROR if failed else 0


def source_lines(report: Report, spans: list[list[int]], most: int = SOURCE_LINES_SHOWN) -> list[str]:
    """The source lines holding ``spans``, each cell bracketed 【like this】."""
    text = report.text
    by_line: dict[int, list[tuple[int, int]]] = {}
    for start, end in spans:
        if 0 <= start <= end <= len(text):
            line_start = text.rfind("\n", 0, start) + 1
            by_line.setdefault(line_start, []).append((start, end))
    out: list[str] = []
    for line_start in sorted(by_line)[:most]:
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        pieces, pos = [], line_start
        for start, end in sorted(set(by_line[line_start])):
            if start < pos:
                continue
            pieces += [text[pos:start], "【", text[start:end], "】"]
            pos = end
        pieces.append(text[pos:line_end])
        line = "".join(pieces).replace("\t", " | ").strip()
        out.append(line if len(line) <= SOURCE_LINE_MAX_CHARS else line[:SOURCE_LINE_MAX_CHARS] + "…")
    if len(by_line) > most:
        out.append(f"… {len(by_line) - most} more lines")
    return out


def print_findings(report: Report, findings: list[dict[str, Any]], out: TextIO) -> None:
    out.write(f"== {report.source.path or '<input>'}  {report.agency.value or '?'} {report.year.value or '?'}  "
              f"({report.format_version})\n")
    shown = [f for f in findings if f["severity"] != "info"]
    if not shown:
        out.write("   no problems found\n\n")
        return
    for f in shown:
        out.write(f"   [{f['severity']}] {f['rule']}: {f['message']}\n")
        if f["rule"] == "cell.missing":
            continue
        paths = [p for p in f["cells"] if _is_cell_path(p)]
        shown_cells = [p for p in paths if report.cell(p).value not in (0, 0.0)]
        zeros = len(paths) - len(shown_cells)
        values = ", ".join(f"{cell_name(p)}={_fmt(report.cell(p))}" for p in shown_cells)
        if values or zeros:
            out.write(f"       cells: {values}{f' (and {zeros} cells = 0)' if zeros else ''}\n")
        suspect = f.get("suspect")
        if suspect and report.cell(suspect).span:
            out.write(f"       source: {context(report, report.cell(suspect).span)}\n")  # type: ignore[arg-type]
        else:
            for line in source_lines(report, f["spans"]):
                out.write(f"       {line}\n")
    out.write("\n")


def _is_cell_path(path: str) -> bool:
    return path.split(".")[0] in ("proactive", "requests", "appeals") and path.count(".") >= 1


def context(report: Report, span: tuple[int, int]) -> str:
    """The text around a cell, newlines shown as ⏎, the cell bracketed 【like this】."""
    start, end = span
    before = report.text[max(0, start - CONTEXT_CHARS):start]
    after = report.text[end:end + CONTEXT_CHARS // 3]
    flat = before + "【" + report.text[start:end].strip() + "】" + after
    return " ".join(flat.replace("\t", " ").replace("\n", " ⏎ ").split())


def cmd_check(args: argparse.Namespace) -> int:
    """Findings per report, then across years; exit 1 when any finding is an error."""
    reports: list[Report] = []
    failed: list[str] = []
    for report in read_reports(args.files, failed, sentences=False, corrections=reviewed(args)):
        reports.append(report)
        print_findings(report, report.findings, sys.stdout)
    across = carry_over_findings(reports)
    for f in across:
        sys.stdout.write(f"== across years: [{f['severity']}] {f['rule']}: {f['message']}\n")
    errors = [f for r in reports for f in r.findings if f["severity"] == "error"]
    errors += [f for f in across if f["severity"] == "error"]
    if errors:
        return EXIT_FINDINGS
    return EXIT_INPUT_ERROR if failed else 0


def cmd_review(args: argparse.Namespace) -> int:
    """One report's review page: its tables beside the source, findings, claims and sentences."""
    from gongkai.review import write_review

    try:
        out = write_review(Path(args.file), args.out, corrections=args.corrections, sentences=not args.no_sentences,
                           classify=not args.no_classify)
    except GongkaiError as exc:
        sys.stderr.write(f"gongkai: {args.file}: {exc}\n")
        return EXIT_INPUT_ERROR
    except OSError as exc:
        sys.stderr.write(f"gongkai: review: {exc}\n")
        return EXIT_INPUT_ERROR
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0


def cmd_train_confidence(args: argparse.Namespace) -> int:
    if args.reviewed:
        from gongkai.training.calibrate_reviewed import main as reviewed_main
        from gongkai.training.sentence_data import DEFAULT_SHARED, DOCUMENT_DIRS

        shared = Path(os.environ.get("GONGKAI_SHARED") or DEFAULT_SHARED)
        docs = [Path(d) for d in args.docs] if args.docs else [shared / d for d in DOCUMENT_DIRS]
        try:
            return reviewed_main(Path(args.reviewed), docs, n_reports=args.reports, seed=args.seed,
                                 out=Path(args.out) if args.out else None, weight=args.reviewed_weight)
        except (OSError, ValueError) as exc:
            sys.stderr.write(f"gongkai train confidence: {exc}\n")
            return EXIT_INPUT_ERROR
    from gongkai.training.calibrate import main as calibrate_main

    return calibrate_main(n_reports=args.reports, seed=args.seed, out=Path(args.out) if args.out else None)


def cmd_train_classifier(args: argparse.Namespace) -> int:
    from gongkai.training.classifier import TrainOptions, train_classifier
    from gongkai.training.sentence_data import LABELS_FILE, SYNTHETIC_FILE, shared_dir

    options = TrainOptions(
        shared=shared_dir(args.shared), kind=args.kind, out=Path(args.out) if args.out else None,
        data=Path(args.data or LABELS_FILE), base_model=args.base_model, extra_text=args.extra_text or (),
        weak=not args.no_weak, synthetic=None if args.no_synthetic else SYNTHETIC_FILE,
        shrink_layers=args.shrink_layers, members=tuple(Path(m) for m in args.members), precision=args.precision,
        save_base=Path(args.save_base) if args.save_base else None,
        pretrain=PretrainSettings(steps=args.pretrain_steps),
        finetune=FineTuneSettings(epochs=args.epochs, learning_rate=args.learning_rate))
    out = train_classifier(options)
    print(f"saved the classifier to {out}; `gongkai evaluate classifier` compares it on the test split")
    return 0


def cmd_evaluate_classifier(args: argparse.Namespace) -> int:
    from gongkai.training.classifier import evaluate_classifiers, results_table, write_card
    from gongkai.training.sentence_data import LABELS_FILE, shared_dir

    blends = {} if args.no_blend else {"blend": Path(args.blend), "blend-bf16": Path(args.blend_bf16)}
    results = evaluate_classifiers(shared_dir(args.shared), Path(args.transformer), Path(args.baseline),
                                   Path(args.data or LABELS_FILE), blends)
    print(f"held-out test split: {results['test_sentences']} sentences from {results['test_docs']} documents\n")
    print(results_table(results))
    for name in results["models"]:
        print(f"{name} ECE per label: " + ", ".join(f"{k} {v:.3f}" for k, v in results[f"{name}_ece"].items()))
    if args.write_card:
        for folder in {Path(p) for p in results["models"].values()}:
            print(f"wrote {write_card(folder, results)}")
    return 0


def cmd_evaluate_agreement(args: argparse.Namespace) -> int:
    from gongkai.training.classifier import agreement, agreement_table
    from gongkai.training.sentence_data import SECOND_READING_FILE, shared_dir

    second = Path(args.second or SECOND_READING_FILE)
    scores = agreement(shared_dir(args.shared), second)
    print(f"{int(scores['macro']['support'])} sentences read twice ({second.name}); the first labels as reference\n")
    print(agreement_table(scores))
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from gongkai.annotations.corrections import load_corrections
    from gongkai.batch import Options, run_batch
    from gongkai.batch.runner import BatchStopped
    from gongkai.batch.worker import FILE_TIME_LIMIT_S

    if not use_device(args, "batch"):
        return 2
    corrections = Path(args.corrections or Path(args.out) / "corrections.jsonl").resolve()
    load_corrections(corrections)  # a malformed file stops the batch before it starts, with its line number
    options = Options(classify=not args.no_classify, classifier=args.classifier, sentences=not args.no_sentences,
                      include_text=args.with_text, time_limit=args.time_limit or FILE_TIME_LIMIT_S,
                      corrections=str(corrections) if corrections.exists() else None, review=args.review,
                      device=args.device)
    try:
        result = run_batch(args.inputs, args.out, options=options, workers=args.workers, engine=args.engine,
                           scheduler=args.scheduler, progress=not args.quiet, follow_symlinks=args.follow_symlinks)
    except BatchStopped as stopped:
        print(f"gongkai batch: {stopped}; files in flight were abandoned. Run the same command again to resume "
              f"(outputs so far are in {args.out})", file=sys.stderr)
        return stopped.exit_code
    except GongkaiError as exc:
        print(f"gongkai batch: {exc}", file=sys.stderr)
        return 2
    print(result.describe())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gongkai", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("extract", help="read reports and print their tables (summary) or the schema JSON")
    ex.add_argument("files", nargs="+", help="report files: .txt, .md, .html, .docx, .pdf")
    ex.add_argument("--format", choices=("summary", "json"), default="summary",
                    help="summary: readable tables and warnings; json: one schema-v1 object per line")
    ex.add_argument("--no-text", action="store_true", help="leave the full text out of the JSON")
    ex.add_argument("--no-classify", action="store_true", help="do not load the sentence classifier (faster; "
                    "sentences come without scores)")
    ex.add_argument("--classifier", help="a shipped classifier by name, `blend-bf16` (the default), `blend` "
                    "(float32: slower, scores independent of batch and CPU), `transformer` or `tfidf` (fastest), "
                    "or a classifier folder")
    ex.add_argument("--corrections", help="reviewers' cell corrections (corrections.jsonl) to apply")
    ex.add_argument("--device", choices=DEVICES, default="auto", help=DEVICE_HELP)
    ex.set_defaults(func=cmd_extract)
    check = sub.add_parser("check", help="reconcile reports: arithmetic, prose claims, years; exit 1 on errors")
    check.add_argument("files", nargs="+", help="report files; reports of one agency for consecutive years "
                       "are also checked against each other")
    check.add_argument("--corrections", help="reviewers' cell corrections (corrections.jsonl) to apply first")
    check.set_defaults(func=cmd_check)
    review = sub.add_parser("review", help="write one report's review page: its tables beside the source, "
                            "findings and sentences (one HTML file, no network)")
    review.add_argument("file", help="a report file: .txt, .md, .html, .docx, .pdf or a scanned image")
    review.add_argument("--out", required=True, help="the HTML file to write")
    review.add_argument("--corrections", help="reviewers' cell corrections (corrections.jsonl) to apply first")
    review.add_argument("--no-sentences", action="store_true", help="leave the narrative sentences out (faster)")
    review.add_argument("--no-classify", action="store_true", help="sentences without scores (no classifier)")
    review.set_defaults(func=cmd_review)
    batch = sub.add_parser("batch", help="process files, folders, zip/tar archives and WARC crawls into parquet "
                           "tables and a summary; run again to resume")
    batch.add_argument("inputs", nargs="+", help="files, folders (recursive), .zip/.tar(.gz) archives, .warc(.gz)")
    batch.add_argument("--out", required=True, help="output folder (created; an existing one is resumed)")
    batch.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    batch.add_argument("--engine", choices=("local", "dask"), default="local",
                       help="local: a process pool on this machine; dask: Dask distributed")
    batch.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 (default with --engine "
                       "dask: a local cluster on 127.0.0.1)")
    batch.add_argument("--no-classify", action="store_true", help="sentences without scores (no classifier)")
    batch.add_argument("--no-sentences", action="store_true", help="tables, fields and findings only (fastest)")
    batch.add_argument("--classifier", help="a shipped classifier by name, `blend-bf16` (the default), `blend` "
                       "(float32: slower, scores independent of batch and CPU), `transformer` or `tfidf` "
                       "(fastest), or a classifier folder")
    batch.add_argument("--device", choices=DEVICES, default="auto", help=DEVICE_HELP)
    batch.add_argument("--with-text", action="store_true", help="keep each report's full text in reports.jsonl")
    batch.add_argument("--time-limit", type=float, help="seconds one file may take before it becomes an error "
                       "(default 300)")
    batch.add_argument("--follow-symlinks", action="store_true", help="follow symbolic links in input folders "
                       "that lead outside the inputs (by default they are skipped with a reason)")
    batch.add_argument("--corrections", help="reviewers' cell corrections to apply (default: corrections.jsonl in "
                       "the --out folder, when it exists)")
    batch.add_argument("--review", action="store_true", help="also write each report's review page to "
                       "OUT/review/<first 16 hex digits of its sha256>.html (see `gongkai review`)")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.set_defaults(func=cmd_batch)
    train = sub.add_parser("train", help="fit a model")
    train_sub = train.add_subparsers(dest="what", required=True)
    conf = train_sub.add_parser("confidence", help="fit the cell-confidence model on generated reports")
    conf.add_argument("--reports", type=int, default=FIT_REPORTS, help="generated reports to fit on")
    conf.add_argument("--seed", type=int, default=7)
    conf.add_argument("--out", help="where to write the model (default: the shipped one; with --reviewed: "
                      "confidence.reviewed.json beside the corrections file, the shipped one only when named here)")
    conf.add_argument("--reviewed", metavar="CORRECTIONS", help="also fit on reviewers' corrected cells "
                      "(corrections.jsonl) and report ECE on them before and after")
    conf.add_argument("--docs", action="append", help="--reviewed: folder (or file) holding the corrected reports, "
                      "found by sha256; may be repeated (default: ../shared/seeds and ../shared/corpus/real)")
    conf.add_argument("--reviewed-weight", type=int, default=20, help="--reviewed: each reviewed cell counts as "
                      "this many generated cells (default 20)")
    conf.set_defaults(func=cmd_train_confidence)
    clf = train_sub.add_parser("classifier", help="train the sentence classifier (pre-train a base unless given one)")
    clf.add_argument("--base-model", help="Hugging Face model id or local path to fine-tune (default: pre-train a "
                     "small character BERT on the corpus first)")
    clf.add_argument("--data", help="hand labels, JSON Lines (default: gongkai/annotations/sentences/labels.jsonl)")
    clf.add_argument("--shared", help="folder with seeds/ and corpus/real/ (default: ../shared or $GONGKAI_SHARED)")
    clf.add_argument("--kind", choices=("transformer", "tfidf", "blend"), default="transformer",
                     help="transformer (fine-tuned encoder), tfidf (character n-grams + logistic regression) or "
                     "blend (average two trained classifiers, weight chosen on dev: seconds)")
    clf.add_argument("--members", nargs=2, default=[str(TRANSFORMER_DIR), str(TFIDF_DIR)], metavar="DIR",
                     help="--kind blend: the two classifier folders to average (default: the shipped transformer "
                     "and TF-IDF)")
    clf.add_argument("--precision", choices=("float32", "bfloat16"), help="--kind blend: what the transformer "
                     "member computes in (bfloat16: 2-3x faster on CPUs with AMX or AVX-512 BF16; saved by default "
                     "to the shipped blend of that precision)")
    clf.add_argument("--out", help="where to save the classifier (default: the shipped folder of the kind)")
    clf.add_argument("--extra-text", nargs="*", help="files or folders of extra Chinese text for pre-training "
                     "(e.g. Debian's manpages-zh and fortunes-zh)")
    clf.add_argument("--save-base", help="keep the pre-trained base model in this folder")
    clf.add_argument("--pretrain-steps", type=int, default=PretrainSettings.steps)
    clf.add_argument("--epochs", type=int, default=FineTuneSettings.epochs)
    clf.add_argument("--learning-rate", type=float, default=FineTuneSettings.learning_rate)
    clf.add_argument("--no-weak", action="store_true", help="no weak labels for unlabelled corpus sentences")
    clf.add_argument("--no-synthetic", action="store_true", help="leave out the sentences written by the team "
                     "(gongkai/annotations/sentences/synthetic.jsonl)")
    clf.add_argument("--shrink-layers", type=int, help="first cut --base-model to its bottom N layers and the "
                     "vocabulary pieces report text uses (how the shipped transformer was made from e5-small)")
    clf.set_defaults(func=cmd_train_classifier)
    evaluate = sub.add_parser("evaluate", help="measure a model on held-out data")
    evaluate_sub = evaluate.add_subparsers(dest="what", required=True)
    ev = evaluate_sub.add_parser("classifier", help="per-label P/R/F1 on the test split: heuristic, TF-IDF "
                                 "baseline, transformer, blend")
    ev.add_argument("--transformer", default=str(TRANSFORMER_DIR), help="transformer classifier folder "
                    "(default: the shipped one)")
    ev.add_argument("--baseline", default=str(TFIDF_DIR), help="TF-IDF classifier folder (default: the shipped one)")
    ev.add_argument("--blend", default=str(BLEND_DIR), help="float32 blend folder (default: the shipped one)")
    ev.add_argument("--blend-bf16", default=str(BLEND_BF16_DIR), help="bfloat16 blend folder (default: the "
                    "shipped one, the default classifier)")
    ev.add_argument("--no-blend", action="store_true", help="compare heuristic, baseline and transformer only")
    ev.add_argument("--data", help="hand labels, JSON Lines (default: the shipped ones)")
    ev.add_argument("--shared", help="folder with seeds/ and corpus/real/ (default: ../shared or $GONGKAI_SHARED)")
    ev.add_argument("--write-card", action="store_true", help="write the figures into the compared models' "
                    "MODEL_CARD.md")
    ev.set_defaults(func=cmd_evaluate_classifier)
    ag = evaluate_sub.add_parser("agreement", help="inter-annotator agreement: a blind second reading of sampled "
                                 "sentences against their hand labels")
    ag.add_argument("--second", help="second reading, JSON Lines like labels.jsonl (default: the shipped one)")
    ag.add_argument("--shared", help="folder with seeds/ and corpus/real/ (default: ../shared or $GONGKAI_SHARED)")
    ag.set_defaults(func=cmd_evaluate_agreement)
    add_label_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "run", None):
            return int(args.run(args.func, args))
        return int(args.func(args))
    except GongkaiError as exc:  # e.g. a malformed --corrections file: one line, no traceback
        sys.stderr.write(f"gongkai: {exc}\n")
        return 2
    except BrokenPipeError:
        # The reader went away (`gongkai extract … | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

