"""Hand labels: anchored to ../shared by span and hash, enough of them, spread, and a fixed test split."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from gongkai.inference.narrative.classify import LABELS
from gongkai.training.sentence_data import (
    LABELS_FILE,
    SYNTHETIC_FILE,
    document_names,
    document_text,
    is_dev_doc,
    is_test_doc,
    load_hand_labels,
    load_split,
    load_synthetic,
    read_label_lines,
    split_sentences,
    text_hash,
    to_dataset_splits,
    training_texts,
)


@pytest.fixture(scope="module")
def hand_labels(seeds_dir: Path):  # noqa: ARG001 - the fixture fails clearly when ../shared is missing
    return load_hand_labels(seeds_dir.parent)


# What a label line may hold: the anchor, the labels and how they were made; never the sentence text.
REQUIRED_KEYS = {"doc", "span", "text_sha256", "labels", "annotator"}
LOOP_KEYS = {"norm_sha256", "round", "lead_time", "created_at", "model_version", "selected_by", "doc_sha256",
             "supersedes"}


def test_label_file_holds_no_report_text() -> None:
    for row in read_label_lines():
        assert REQUIRED_KEYS <= set(row) <= REQUIRED_KEYS | LOOP_KEYS
        assert len(row["text_sha256"]) == 16 and len(row.get("norm_sha256", "0" * 16)) == 16


def test_every_annotation_matches_its_document(hand_labels) -> None:
    assert len(hand_labels) >= 800
    for s in hand_labels:
        assert text_hash(s.text) == next(
            r["text_sha256"] for r in _rows_by_span() if (r["doc"], tuple(r["span"])) == (s.doc, s.span))
        assert set(s.labels) <= set(LABELS)


def _rows_by_span() -> list[dict]:
    return list(read_label_lines())


def test_labels_are_spread_over_agencies_and_sections(hand_labels) -> None:
    docs = Counter(s.doc for s in hand_labels)
    assert len(docs) >= 30
    assert max(docs.values()) / len(hand_labels) < 0.1
    headings = {s.heading for s in hand_labels if s.labels}
    assert len(headings) >= 20, "labels come from many sections, not only the obvious ones"
    for lab in LABELS:
        assert sum(lab in s.labels for s in hand_labels) >= 50


def test_a_changed_span_is_caught(tmp_path: Path, seeds_dir: Path) -> None:
    row = next(read_label_lines())
    row["span"] = [row["span"][0] + 1, row["span"][1]]
    bad = tmp_path / "labels.jsonl"
    bad.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no longer matches its hash"):
        load_hand_labels(seeds_dir.parent, bad)


def test_test_split_is_whole_documents_never_trained_on(hand_labels, seeds_dir: Path) -> None:
    split = load_split()
    parts = split_sentences(hand_labels)
    test_docs = {s.doc for s in parts.test}
    assert test_docs == set(split["test_docs"])
    assert not test_docs & {s.doc for s in parts.train + parts.dev}
    assert not any(is_dev_doc(d) for d in test_docs) or all(is_test_doc(d) for d in test_docs)
    assert len(parts.test) >= 300 and len(parts.dev) >= 100
    # Pre-training text excludes the test documents too.
    texts = training_texts(seeds_dir.parent)
    assert not any(next(s.text for s in parts.test if s.doc == d) in t for d in test_docs for t in texts)


def test_dataset_splits_have_one_column_per_label(hand_labels) -> None:
    parts = to_dataset_splits(hand_labels)
    assert sum(parts[n].num_rows for n in ("train", "dev", "test")) == len(hand_labels)
    assert set(LABELS) <= set(parts["test"].column_names)
    assert set(parts["test"]["doc"]) == set(load_split()["test_docs"])
    first = parts["train"][0]
    match = next(s for s in hand_labels if s.doc == first["doc"] and list(s.span) == first["span"])
    assert first["text"] == match.text and [first[lab] for lab in LABELS] == match.vector()


def test_label_file_is_the_shipped_one() -> None:
    assert LABELS_FILE.is_file() and LABELS_FILE.parent.name == "sentences"


def test_weak_labels_fill_only_unlabelled_train_documents(hand_labels, seeds_dir: Path) -> None:
    from gongkai.training.classifier import weak_sentences

    shared = seeds_dir.parent
    split = load_split()
    labelled: dict[str, list[tuple[int, int]]] = {}
    for s in hand_labels:
        labelled.setdefault(s.doc, []).append(s.span)
    # The corpus grows (reports nobody has labelled yet); their sentences are filled, nothing else.
    baseline = weak_sentences(shared, hand_labels)
    for s in baseline:
        assert not is_test_doc(s.doc, split) and not is_dev_doc(s.doc, split)
        assert not any(a < s.span[1] and s.span[0] < b for a, b in labelled.get(s.doc, ()))
    doc = split_sentences(hand_labels).train[0].doc
    filled = weak_sentences(shared, [s for s in hand_labels if s.doc != doc])
    assert filled and {s.doc for s in filled} - {s.doc for s in baseline} == {doc}
    assert all(s.weak and s.annotator == "weak" for s in filled)


# --- sentences the team wrote (synthetic.jsonl) ---------------------------------------------------

WINDOW = 16  # a shared run this long would mean report text was copied


def test_written_sentences_are_not_report_text(hand_labels, seeds_dir: Path) -> None:
    shared = seeds_dir.parent
    written = load_synthetic()
    assert len(written) >= 1000
    seen: set[str] = set()
    for doc in document_names(shared):
        text = "".join(document_text(shared, doc).split())
        seen.update(text[i: i + WINDOW] for i in range(len(text) - WINDOW + 1))
    copied = []
    for s in written:
        text = "".join(s.text.split())
        if any(text[i: i + WINDOW] in seen for i in range(len(text) - WINDOW + 1)):
            copied.append(s.doc)
    assert not copied, f"{len(copied)} written sentences share {WINDOW} characters with a report: {copied[:5]}"


def test_written_sentences_join_train_only(hand_labels, seeds_dir: Path) -> None:
    from gongkai.training.classifier import training_data

    shared = seeds_dir.parent
    plain = training_data(shared, LABELS_FILE, weak=False)
    mixed = training_data(shared, LABELS_FILE, weak=False, synthetic=SYNTHETIC_FILE)
    assert mixed.dev == plain.dev and mixed.test == plain.test
    assert len(mixed.train) == len(plain.train) + len(load_synthetic())
    for lab in LABELS:
        assert sum(lab in s.labels for s in load_synthetic()) >= 100


def test_a_written_sentence_with_an_unknown_label_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "synthetic.jsonl"
    path.write_text(json.dumps({"text": "全年召开培训会1次。", "heading": None, "labels": ["training"]}) + "\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r"synthetic.jsonl:1: unknown labels \['training'\]"):
        load_synthetic(path)
    assert load_synthetic(tmp_path / "absent.jsonl") == []
