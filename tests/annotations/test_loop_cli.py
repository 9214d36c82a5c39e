"""The loop through its commands: next → (labels) → import → retrain → report, and audit, on real seed reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gongkai.annotations.audit import find_suspects, out_of_fold
from gongkai.annotations.labelstudio import prediction_result
from gongkai.annotations.retrain import history_file, learning_curve
from gongkai.cli import main
from gongkai.inference.narrative.classify import LABELS, open_classifier
from gongkai.training.sentence_data import LABELS_FILE, load_hand_labels, split_sentences
from tests.conftest import shared_path

FROZEN = ("seeds/001_90d10d0810e34bee.txt", "seeds/004_76d1d7d14147d7ef.txt")


@pytest.fixture()
def shared() -> Path:
    return shared_path()


def test_next_writes_a_round_that_respects_cap_split_and_share(tmp_path: Path, shared: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text("", encoding="utf-8")
    out = tmp_path / "round1.json"
    args = ["label", "next", str(shared / "seeds"), "--n", "20", "--per-report", "5", "--out", str(out),
            "--labels", str(labels), "--classifier", "tfidf", "--shared", str(shared), "--seed", "7"]
    assert main(args) == 0
    assert "wrote 15 tasks" in capsys.readouterr().out  # three seeds outside the test split, five each
    tasks = json.loads(out.read_text(encoding="utf-8"))
    docs = [t["data"]["doc"] for t in tasks]
    assert not set(docs) & set(FROZEN)
    assert max(docs.count(d) for d in set(docs)) <= 5
    assert sum(t["data"]["selected_by"] == "random" for t in tasks) == 2  # 10 % of 20
    assert (tmp_path / "round1.config.xml").is_file()
    first = tasks[0]
    assert first["predictions"][0]["model_version"].startswith("sentence-tfidf@")
    assert first["data"]["text"] == (shared / first["data"]["doc"]).read_text(encoding="utf-8")[
        slice(*first["data"]["span"])]
    # Deterministic: the same command gives the same round.
    assert main([*args[:-4], "--out", str(tmp_path / "again.json"), *args[-2:]]) == 0
    assert json.loads((tmp_path / "again.json").read_text(encoding="utf-8")) == tasks

    # Label the round (as the page or Label Studio would), import it, and ask for the next round.
    for t in tasks:
        t["annotations"] = [{"completed_by": "tester", "result": prediction_result(["measure"]), "lead_time": 2.0,
                             "was_cancelled": False}]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    assert main(["label", "import", str(export), "--labels", str(labels), "--shared", str(shared)]) == 0
    assert "15 labels added" in capsys.readouterr().out
    assert main([*args[:-4], "--out", str(tmp_path / "round2.json"), *args[-2:]]) == 0
    second = json.loads((tmp_path / "round2.json").read_text(encoding="utf-8"))
    assert not {t["data"]["uid"] for t in second} & {t["data"]["uid"] for t in tasks}  # labelled: never again
    assert {t["data"]["round"] for t in second} == {2}


def test_label_commands_fail_in_one_line_on_bad_input(tmp_path: Path, shared: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    assert main(["label", "import", str(bad), "--labels", str(tmp_path / "l.jsonl"), "--shared", str(shared)]) == 2
    err = capsys.readouterr().err
    assert "[L001]" in err and "not JSON" in err and "Traceback" not in err
    assert main(["label", "next", "--out", str(tmp_path / "r.json")]) == 2
    assert "name a batch output folder" in capsys.readouterr().err


def test_retrain_writes_a_new_model_and_report_shows_the_curve(tmp_path: Path, shared: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_bytes(LABELS_FILE.read_bytes())
    out = tmp_path / "models"
    assert main(["label", "retrain", "--out", str(out), "--kinds", "tfidf", "--labels", str(labels),
                 "--shared", str(shared)]) == 0
    assert (out / "sentence-tfidf" / "MODEL_CARD.md").is_file()
    clf = open_classifier(out / "sentence-tfidf")
    test = split_sentences(load_hand_labels(shared, labels)).test
    assert len(clf.predict([s.text for s in test[:5]])) == 5
    entry = json.loads(history_file(labels).read_text(encoding="utf-8").splitlines()[-1])
    assert entry["test_sentences"] == len(test) and 0.6 < entry["test"]["tfidf"]["macro"] < 1.0
    assert main(["label", "report", "--labels", str(labels), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "| 0 (shipped) | 0 | shipped | blend |" in text and "| tfidf |" in text
    assert len(learning_curve(labels)) == 2
    assert json.loads((tmp_path / "labeling-report.json").read_text(encoding="utf-8"))[1]["out"] == str(out)


def test_audit_ranks_deliberately_flipped_labels_first(shared: Path) -> None:
    items = split_sentences(load_hand_labels(shared)).train
    platform = [k for k, s in enumerate(items) if s.labels == ("platform",)][:10]
    flipped = list(items)
    for k in platform:  # ten clear platform sentences stored as "no label": label errors by construction
        flipped[k] = type(items[k])(**{**items[k].__dict__, "labels": ()})
    suspects = find_suspects(flipped, out_of_fold(flipped, seed=0))
    top = {(x.sentence.doc, x.sentence.span) for x in suspects[:100]}
    caught = sum((items[k].doc, items[k].span) in top for k in platform)
    assert caught >= 7, f"only {caught} of 10 flipped labels among the 100 most suspect of {len(items)}"
    assert all("platform" in x.flagged for x in suspects[:100] if (x.sentence.doc, x.sentence.span) in
               {(items[k].doc, items[k].span) for k in platform})
    assert set(LABELS) >= {lab for x in suspects for lab in x.flagged}


def test_audit_command_writes_a_review_round(tmp_path: Path, shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "audit.json"
    assert main(["label", "audit", "--n", "10", "--out", str(out), "--shared", str(shared)]) == 0
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert len(tasks) == 10 and {t["data"]["selected_by"] for t in tasks} == {"audit"}
    assert not {t["data"]["doc"] for t in tasks} & set(FROZEN)
    scores = [t["data"]["selection_score"] for t in tasks]
    assert scores == sorted(scores, reverse=True)
    assert "look suspect" in capsys.readouterr().out


def test_retrain_warm_starts_the_transformer_from_the_shipped_one(tmp_path: Path, shared: Path) -> None:
    """A small label file (hand labels only, one epoch): the real fine-tuning path, in seconds."""
    from safetensors.numpy import load_file

    from gongkai.annotations.retrain import RetrainOptions, retrain
    from gongkai.inference.narrative.classify import HEAD_FILE, TFIDF_DIR, TRANSFORMER_DIR, Head
    from gongkai.training.sentence_data import read_label_lines

    keep = {"corpus/real/r038.txt", "corpus/real/r023.txt", "corpus/real/r022.txt", "corpus/real/r019.txt",
            "corpus/real/r004.pdf"}  # two train, two dev and one test document
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in read_label_lines(LABELS_FILE)
                              if r["doc"] in keep), encoding="utf-8")
    out = tmp_path / "models"
    entry = retrain(RetrainOptions(shared=shared, out=out, labels=labels, kinds=("transformer", "blend"), epochs=1,
                                   weak=False, synthetic=None), progress=lambda _: None)
    head = Head.load(out / "sentence-transformer" / HEAD_FILE)
    assert head.meta["warm_start"] == str(TRANSFORMER_DIR) and head.meta["fine_tuning"]["epochs"] == 1
    new = load_file(str(out / "sentence-transformer" / "model.safetensors"))
    old = load_file(str(TRANSFORMER_DIR / "model.safetensors"))
    assert new.keys() == old.keys()
    assert any((new[k] != old[k]).any() for k in new)  # trained, not copied
    members = Head.load(out / "sentence-blend" / HEAD_FILE).meta["members"]
    assert [(out / "sentence-blend" / m["path"]).resolve() for m in members] == [
        (out / "sentence-transformer").resolve(), TFIDF_DIR.resolve()]
    assert set(entry["test"]) == {"transformer", "blend"} and entry["test_sentences"] == 18
    assert open_classifier(out / "sentence-blend").predict(["依托门户网站及时发布政府信息。"])[0][0]
