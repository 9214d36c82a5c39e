"""Sentence labels (problem / measure / platform / supervision) with calibrated scores.

Three kinds of classifier share one interface and one folder layout: ``head.json`` names the
kind and holds the label order, one temperature per label (calibration) and one threshold
per label (tuned on the dev split). A ``transformer`` folder adds a transformers model
(safetensors + config) and its tokenizer; a ``tfidf`` folder adds character n-gram
vocabularies and linear weights; a ``blend`` folder holds no weights, only which classifier
folders it averages, with what weight and in what precision. All ship in ``gongkai/models``;
``DEFAULT_MODEL_DIR`` is the one with the best dev macro-F1, the faster of a tie (see its
MODEL_CARD.md), loaded lazily, offline.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from gongkai.errors import MissingDependencyError
from gongkai.models import model_path

# The label set of ../shared/spec/labeling-guide.md, in the order of every score vector.
LABELS: tuple[str, ...] = ("problem", "measure", "platform", "supervision")
TRANSFORMER_DIR = model_path("sentence-transformer")
TFIDF_DIR = model_path("sentence-tfidf")
BLEND_DIR = model_path("sentence-blend")
# The same blend with the transformer computed in bfloat16: 2-3x faster where the CPU has AMX or
# AVX-512 BF16 (float32 elsewhere), with scores that move by hundredths between batch sizes.
BLEND_BF16_DIR = model_path("sentence-blend-bf16")
# The shipped default: the best dev macro-F1 (the two blends tie), then the faster (model cards).
DEFAULT_MODEL_DIR = BLEND_BF16_DIR
# Shipped classifiers by name: ``classifier="tfidf"`` picks the fast one without knowing its folder.
SHIPPED = {"blend": BLEND_DIR, "blend-bf16": BLEND_BF16_DIR, "transformer": TRANSFORMER_DIR, "tfidf": TFIDF_DIR}
PRECISIONS = ("float32", "bfloat16")
# Where transformer members run: "auto" (a CUDA GPU when torch sees one, else the CPU), "cpu" or "cuda".
DEVICES = ("auto", "cpu", "cuda")
_device = {"setting": "auto"}
# What a classifier that fails while running falls back to, in order: the float32 blend, then TF-IDF
# (oneDNN's "could not create a primitive" under a capped address space, bfloat16 unsupported, …).
FALLBACK_CLASSIFIERS = ("blend", "tfidf")
HEAD_FILE = "head.json"
# Longer inputs are cut: a sentence of these reports is rarely over 150 characters.
MAX_TOKENS = 128
BATCH_SIZE = 64
# Batches are padded to a multiple of this many tokens: fewer distinct shapes for oneDNN to build
# kernels for (pooled corpus sentences, one run: 290 → 325 sentences/s); the attention mask keeps
# the padding out of the scores.
PAD_TO = 8
# Most tokens in one batch (sentences x padded length): activations grow with it, speed does not
# (the corpus's sentences pooled, 2 threads: peak +276 MB over the loaded model at 64 sentences a
# batch, +136 MB at 24, the same sentences/s within this machine's noise).
TOKEN_BUDGET = 2048


def model_input(sentence: str, heading: str | None) -> tuple[str, str]:
    """What a model reads: the sentence and, as context, the heading it sits under."""
    return sentence, heading or ""


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


@dataclass
class Head:
    """Label order, calibration temperatures and decision thresholds of a trained classifier."""

    labels: tuple[str, ...]
    temperatures: tuple[float, ...]
    thresholds: tuple[float, ...]
    meta: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Head:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple(data["labels"]), tuple(data["temperatures"]), tuple(data["thresholds"]),
                   data.get("meta", {}))

    def save(self, path: Path) -> None:
        data = {"labels": list(self.labels), "temperatures": list(self.temperatures),
                "thresholds": list(self.thresholds), "meta": self.meta}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    def scores(self, logits: Sequence[float]) -> dict[str, float]:
        return {lab: sigmoid(z / t) for lab, z, t in zip(self.labels, logits, self.temperatures)}

    def decide(self, scores: dict[str, float]) -> list[str]:
        return [lab for lab, th in zip(self.labels, self.thresholds) if scores[lab] >= th]


def set_device(device: str) -> None:
    """Choose where transformer classifiers run from now on in this process (``DEVICES``).

    "cuda" without a GPU torch can use is refused here, with the reason, rather than at the
    first sentence; classifiers loaded before the change are dropped so that the next use loads
    them on the new device.
    """
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; expected one of {', '.join(DEVICES)}")
    if device == "cuda" and not cuda_available():
        raise ValueError("--device cuda: torch sees no CUDA GPU here (a CPU build of torch, or no driver)")
    if device != _device["setting"]:
        _device["setting"] = device
        _load_once.cache_clear()


def cuda_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


def resolve_device() -> str:
    """The device a transformer loaded now runs on: "cuda" or "cpu"."""
    setting = _device["setting"]
    if setting == "auto":
        return "cuda" if cuda_available() else "cpu"
    return setting


def bfloat16_supported() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); elsewhere it is emulated and slow."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):
        return False


def batched_logits(tokenizer: Any, forward: Callable[[Any], list[list[float]]],
                   pairs: Sequence[tuple[str, str]], batch_size: int = BATCH_SIZE,
                   token_budget: int = TOKEN_BUDGET) -> list[list[float]]:
    """Raw logits in input order. Tokenised once, then batched by length (little padding computed)
    and under a token budget (long sentences come in smaller batches: bounded activations)."""
    if not pairs:
        return []
    enc = tokenizer([p[0] for p in pairs], [p[1] for p in pairs], truncation=True, max_length=MAX_TOKENS)
    lengths = [len(ids) for ids in enc["input_ids"]]
    order = sorted(range(len(pairs)), key=lengths.__getitem__)
    out: list[list[float]] = [[] for _ in pairs]
    for idx in length_batches(order, lengths, batch_size, token_budget):
        for i, row in zip(idx, forward(_padded(tokenizer, enc, idx, lengths))):
            out[i] = row
    return out


def _padded_width(tokens: int) -> int:
    return -(-tokens // PAD_TO) * PAD_TO


def length_batches(order: Sequence[int], lengths: Sequence[int], batch_size: int,
                   token_budget: int) -> Iterator[list[int]]:
    """Consecutive runs of ``order`` (ascending length) of at most ``batch_size`` items and, once
    padded, ``token_budget`` tokens (a single longer item still makes a batch)."""
    batch: list[int] = []
    for i in order:
        if batch and (len(batch) >= batch_size or (len(batch) + 1) * _padded_width(lengths[i]) > token_budget):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


def _padded(tokenizer: Any, enc: Any, idx: Sequence[int], lengths: Sequence[int]) -> Any:
    """One batch's tensors, padded to a multiple of ``PAD_TO`` on the tokenizer's padding side."""
    import torch
    from transformers import BatchEncoding

    width = _padded_width(max(lengths[i] for i in idx))
    left = getattr(tokenizer, "padding_side", "right") == "left"
    tensors = {}
    for key in enc.keys():
        fill = tokenizer.pad_token_id if key == "input_ids" else 0
        tensor = torch.full((len(idx), width), fill, dtype=torch.long)
        for r, i in enumerate(idx):
            row = torch.tensor(enc[key][i], dtype=torch.long)
            if left:
                tensor[r, width - len(row):] = row
            else:
                tensor[r, :len(row)] = row
        tensors[key] = tensor
    return BatchEncoding(tensors)


class SentenceClassifier:
    """What every classifier kind shares: calibrated scores and decisions from raw logits."""

    head: Head

    def logits(self, pairs: Sequence[tuple[str, str]]) -> list[list[float]]:
        raise NotImplementedError

    def predict(self, sentences: Sequence[str], headings: Sequence[str | None] | None = None
                ) -> list[tuple[dict[str, float], list[str]]]:
        """Calibrated scores per label and the labels over their thresholds, for each sentence."""
        headings = headings if headings is not None else [None] * len(sentences)
        pairs = [model_input(s, h) for s, h in zip(sentences, headings)]
        results = []
        for row in self.logits(pairs):
            scores = self.head.scores(row)
            results.append((scores, self.head.decide(scores)))
        return results


class TransformerClassifier(SentenceClassifier):
    """A fine-tuned transformer; batched, deterministic CPU inference."""

    def __init__(self, directory: str | Path, quantize: bool | None = None, precision: str | None = None) -> None:
        """``quantize`` and ``precision`` override the model's own settings (float32 unless it asks otherwise)."""
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise MissingDependencyError("the transformer classifier needs torch and transformers: "
                                         "pip install 'gongkai[ml]'") from exc
        directory = Path(directory)
        self.directory = directory
        self.head = Head.load(directory / HEAD_FILE)
        hf_logging.disable_progress_bar()  # a bar for loading the model is noise in a report's output
        self.tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        # Weights may be stored as float16 (to stay small in git); CPU inference is float32.
        model = AutoModelForSequenceClassification.from_pretrained(directory, local_files_only=True,
                                                                   dtype=torch.float32)
        model.eval()
        precision = precision or self.head.meta.get("precision", "float32")
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}; expected one of {PRECISIONS}")
        self.device = resolve_device()
        if self.device == "cuda":
            model = model.to("cuda")
            if precision == "bfloat16" and not torch.cuda.is_bf16_supported():
                precision = "float32"
        elif precision == "bfloat16" and not bfloat16_supported():
            warnings.warn("this CPU has no native bfloat16 (AMX or AVX-512 BF16), where it would be slower than "
                          "float32: the transformer runs in float32 (same labels, 2-3x slower than with it)",
                          RuntimeWarning, stacklevel=2)
            precision = "float32"
        self.precision = precision
        if precision == "bfloat16":
            model = model.to(torch.bfloat16)
        elif self.device == "cpu" and (self.head.meta.get("quantize", False) if quantize is None else quantize):
            # int8 linear layers: 1.2-1.7x faster on CPU, but activations get one scale per batch, so a
            # sentence's scores depend on its batch mates (model card), and torch deprecates the API;
            # so off unless a model asks for it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.model = model
        self.batch_size = BATCH_SIZE
        self._torch = torch

    def logits(self, pairs: Sequence[tuple[str, str]], batch_size: int | None = None) -> list[list[float]]:
        with self._torch.inference_mode():
            return batched_logits(self.tokenizer, self.forward, pairs, batch_size or self.batch_size)

    def forward(self, encoding: Any) -> list[list[float]]:
        """Logits of one padded batch (a seam for other runtimes, e.g. the benchmark's ONNX Runtime)."""
        if self.device != "cpu":
            encoding = encoding.to(self.device)
        return self.model(**encoding).logits.float().cpu().tolist()


class CharTfidf:
    """scikit-learn's ``TfidfVectorizer(analyzer="char", sublinear_tf=True)`` (lower-cased, l2 rows)
    with a fixed vocabulary, for inference without scikit-learn: its import alone costs a process
    about 130 MB of memory, more than the rest of the TF-IDF model. Same features (a test holds it)."""

    _spaces = re.compile(r"\s\s+")  # scikit-learn's whitespace normalisation before n-grams

    def __init__(self, grams: Sequence[str], ngram_range: tuple[int, int], idf: Any) -> None:
        self.vocabulary_ = {g: i for i, g in enumerate(grams)}
        self.ngram_range = ngram_range
        self.idf_ = idf  # numpy float64 [features]

    def _grams(self, text: str) -> Iterator[str]:
        text = self._spaces.sub(" ", text.lower())
        low, high = self.ngram_range
        for n in range(low, min(high, len(text)) + 1):
            for i in range(len(text) - n + 1):
                yield text[i:i + n]

    def transform(self, texts: Sequence[str]) -> Any:
        import numpy
        from scipy.sparse import csr_matrix

        vocabulary = self.vocabulary_
        indptr, indices, data = [0], [], []
        for text in texts:
            counts: dict[int, int] = {}
            for gram in self._grams(text):
                j = vocabulary.get(gram)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            columns = numpy.array(sorted(counts), dtype=numpy.int64)
            values = numpy.array([counts[j] for j in columns], dtype=numpy.float64)
            values = (numpy.log(values) + 1.0) * self.idf_[columns]
            norm = numpy.sqrt(numpy.dot(values, values))
            if norm > 0:
                values /= norm
            indices.append(columns)
            data.append(values)
            indptr.append(indptr[-1] + len(columns))
        flat = numpy.concatenate(indices) if indices else numpy.zeros(0, dtype=numpy.int64)
        return csr_matrix((numpy.concatenate(data) if data else numpy.zeros(0), flat, indptr),
                          shape=(len(texts), len(vocabulary)))


class TfidfClassifier(SentenceClassifier):
    """Character n-gram TF-IDF of the sentence and of its heading, one linear model per label.

    Stored without pickles: n-gram vocabularies as JSON, IDF weights and coefficients as
    safetensors; at inference the vectorizers are ``CharTfidf`` (no scikit-learn import),
    in training scikit-learn's.
    """

    WEIGHTS = "tfidf.safetensors"
    VOCABULARY = "tfidf_vocabulary.json"

    def __init__(self, vectorizers: Sequence[Any], coef: Any, intercept: Any, head: Head) -> None:
        self.vectorizers = list(vectorizers)  # [sentence, heading]
        self.coef = coef  # numpy [labels, features]
        self.intercept = intercept  # numpy [labels]
        self.head = head

    def features(self, pairs: Sequence[tuple[str, str]]) -> Any:
        from scipy.sparse import hstack

        return hstack([v.transform([p[k] for p in pairs]) for k, v in enumerate(self.vectorizers)]).tocsr()

    def logits(self, pairs: Sequence[tuple[str, str]]) -> list[list[float]]:
        if not pairs:
            return []
        return (self.features(pairs) @ self.coef.T + self.intercept).tolist()

    def save(self, directory: Path) -> Path:
        import numpy
        from safetensors.numpy import save_file

        directory.mkdir(parents=True, exist_ok=True)
        vocab = []
        tensors = {"coef": numpy.ascontiguousarray(self.coef, dtype="float32"),
                   "intercept": numpy.asarray(self.intercept, dtype="float32")}
        for k, v in enumerate(self.vectorizers):
            grams = sorted(v.vocabulary_, key=v.vocabulary_.get)
            vocab.append({"ngram_range": list(v.ngram_range), "grams": grams})
            tensors[f"idf_{k}"] = numpy.asarray(v.idf_, dtype="float32")
        save_file(tensors, str(directory / self.WEIGHTS))
        (directory / self.VOCABULARY).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        self.head.meta["kind"] = "tfidf"
        self.head.save(directory / HEAD_FILE)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> TfidfClassifier:
        try:
            from safetensors.numpy import load_file
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise MissingDependencyError("the TF-IDF classifier needs scipy and safetensors: "
                                         "pip install 'gongkai[ml]'") from exc
        directory = Path(directory)
        tensors = load_file(str(directory / cls.WEIGHTS))
        vocab = json.loads((directory / cls.VOCABULARY).read_text(encoding="utf-8"))
        vectorizers = [CharTfidf(part["grams"], tuple(part["ngram_range"]), tensors[f"idf_{k}"].astype("float64"))
                       for k, part in enumerate(vocab)]
        return cls(vectorizers, tensors["coef"].astype("float64"), tensors["intercept"].astype("float64"),
                   Head.load(directory / HEAD_FILE))


class BlendClassifier(SentenceClassifier):
    """A weighted average of other classifiers' calibrated log-odds, with its own calibration and thresholds.

    Why: the transformer and the TF-IDF model err on different sentences (TF-IDF is precise on
    ``measure``, the transformer recalls it), so their average scores better on dev than either;
    the TF-IDF member runs some 50x faster than the transformer, so it costs little. Members are
    classifier folders named relative to the blend's folder and loaded once per process
    (``load_classifier``).
    """

    def __init__(self, members: Sequence[SentenceClassifier], weights: Sequence[float], head: Head) -> None:
        if len(members) != len(weights) or not members:
            raise ValueError("a blend needs one weight per member and at least one member")
        self.members = list(members)
        self.weights = tuple(weights)
        self.head = head

    def logits(self, pairs: Sequence[tuple[str, str]]) -> list[list[float]]:
        return blend_log_odds([member_log_odds(m, pairs) for m in self.members], self.weights)

    @classmethod
    def load(cls, directory: str | Path, precision: str | None = None) -> BlendClassifier:
        """``precision`` applies to transformer members whose entry in ``head.json`` names none."""
        directory = Path(directory)
        head = Head.load(directory / HEAD_FILE)
        members = head.meta.get("members") or []
        found = [(directory / m["path"]).resolve() for m in members]
        missing = [str(p) for p in found if not (p / HEAD_FILE).is_file()]
        if missing:
            raise FileNotFoundError(f"{directory}: blend member(s) not found: {', '.join(missing)}")
        loaded = [load_classifier(str(p), m.get("precision") or precision) for p, m in zip(found, members)]
        return cls(loaded, [float(m["weight"]) for m in members], head)


def member_log_odds(classifier: SentenceClassifier, pairs: Sequence[tuple[str, str]]) -> list[list[float]]:
    """A classifier's calibrated log-odds (logit / temperature): on one scale whatever its kind."""
    temps = classifier.head.temperatures
    return [[z / t for z, t in zip(row, temps)] for row in classifier.logits(pairs)]


def blend_log_odds(rows: Sequence[Sequence[Sequence[float]]], weights: Sequence[float]) -> list[list[float]]:
    """Per sentence and label, the weighted sum of the members' log-odds (``rows[member][sentence][label]``)."""
    if not rows or not rows[0]:
        return []
    return [[sum(w * member[i][j] for w, member in zip(weights, rows)) for j in range(len(rows[0][i]))]
            for i in range(len(rows[0]))]


def open_classifier(directory: str | Path, quantize: bool | None = None, precision: str | None = None
                    ) -> SentenceClassifier:
    """The classifier saved in ``directory``, of whichever kind its ``head.json`` names."""
    directory = Path(directory)
    if not (directory / HEAD_FILE).is_file():
        raise FileNotFoundError(f"no classifier in {directory} (missing {HEAD_FILE})")
    kind = Head.load(directory / HEAD_FILE).meta.get("kind", "transformer")
    if kind == "tfidf":
        return TfidfClassifier.load(directory)
    if kind == "transformer":
        return TransformerClassifier(directory, quantize, precision)
    if kind == "blend":
        return BlendClassifier.load(directory, precision)
    raise ValueError(f"{directory}: unknown classifier kind {kind!r}")


def load_classifier(directory: str | None = None, precision: str | None = None) -> SentenceClassifier:
    """The classifier in ``directory`` or a shipped one by name (default: the shipped default), loaded once."""
    return _load_once(classifier_folder(directory), precision)


def classifier_folder(directory: str | None) -> str:
    """The resolved folder a classifier name or folder stands for (None: the shipped default)."""
    return str(Path(SHIPPED.get(directory, directory) if directory else DEFAULT_MODEL_DIR).resolve())


@lru_cache(maxsize=8)
def _load_once(folder: str, precision: str | None) -> SentenceClassifier:
    # Keyed by resolved path, so "transformer", its folder and a blend's member are one model in memory.
    return open_classifier(folder, precision=precision)


def tag_sentences(sentences: Sequence[Any], classifier: SentenceClassifier) -> list[dict[str, Any]]:
    """Schema dicts for ``Sentence`` objects: their fields plus ``scores`` and ``labels``."""
    predictions = classifier.predict([s.text for s in sentences], [s.heading for s in sentences])
    return [scored(s.to_dict(), scores, labels) for s, (scores, labels) in zip(sentences, predictions)]


def scored(sentence: dict[str, Any], scores: dict[str, float] | None, labels: list[str]) -> dict[str, Any]:
    """A sentence's schema dict with its scores (rounded as the schema prints them) and labels."""
    return {**sentence, "scores": {k: round(v, 4) for k, v in scores.items()} if scores is not None else None,
            "labels": labels}


def predict_with_fallback(texts: Sequence[str], headings: Sequence[str | None], classifier: str | None = None
                          ) -> tuple[list[tuple[dict[str, float], list[str]]] | None, list[str]]:
    """Predictions (None: no classifier could run) and warnings; a classifier that fails while running never
    takes extraction down.

    A classifier that cannot be found or needs a missing extra is the user's setting to fix: no
    predictions, with a warning. One that loads but fails to run is replaced by the next of
    ``FALLBACK_CLASSIFIERS`` (with a warning saying so).
    """
    warnings: list[str] = []
    tried: set[str] = set()
    for name in (classifier, *FALLBACK_CLASSIFIERS):
        folder = classifier_folder(name)
        if folder in tried:
            continue
        tried.add(folder)
        try:
            predictions = load_classifier(name).predict(texts, headings)
        except (MissingDependencyError, FileNotFoundError) as exc:
            if name != classifier:
                continue
            warnings.append(f"sentences not classified: {exc}")
            return None, warnings
        except Exception as exc:  # the model itself failed: the next one may run
            warnings.append(f"classifier {name or 'default'} failed ({type(exc).__name__}: {str(exc)[:200]}); "
                            "trying the next fallback")
            continue
        if warnings:
            warnings.append(f"sentences scored by the fallback classifier {name!r}")
        return predictions, warnings
    warnings.append("sentences not classified: no classifier could run")
    return None, warnings


def tag_with_fallback(sentences: Sequence[Any], classifier: str | None = None
                      ) -> tuple[list[dict[str, Any]], list[str]]:
    """Tagged sentences and warnings (``predict_with_fallback``); unscored when no classifier could run."""
    predictions, warnings = predict_with_fallback([s.text for s in sentences], [s.heading for s in sentences],
                                                  classifier)
    if predictions is None:
        return [scored(s.to_dict(), None, []) for s in sentences], warnings
    return [scored(s.to_dict(), sc, labels) for s, (sc, labels) in zip(sentences, predictions)], warnings
