"""Sentence-classifier throughput on the CPU and on a GPU, from generated sentences (no ../shared).

    python benchmarks/classify_gpu.py [N] [cpu,cuda]

benchmarks/classify.py measures the shipped classifiers on the real corpus's sentences; a GPU
machine often has no copy of ../shared, so this one classifies N distinct sentences of generated
reports (``training.synth``; each made distinct by a number, as pooled batches never repeat
one) with the shipped blend in float32 and with its transformer in bfloat16, best of three
passes, per device (``--device`` of ``gongkai batch``). CI never runs it.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gongkai.inference.narrative.classify import (  # noqa: E402
    BLEND_BF16_DIR,
    BLEND_DIR,
    open_classifier,
    resolve_device,
    set_device,
)
from gongkai.training.synth import generate  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
devices = sys.argv[2].split(",") if len(sys.argv) > 2 else ["cpu", "cuda"]
texts: list[str] = []
for item in generate(400, seed=5, layouts=("tab_cells", "markdown", "scraped")):  # text: no python-docx needed
    t = item.source_bytes.decode("utf-8", "replace")
    for s in re.split(r"(?<=[。！？])", t):
        s = s.strip()
        if 8 <= len(s) <= 200 and not re.search(r"\d{5,}", s):
            texts.append(f"{s[:-1]}（第{len(texts)}条）{s[-1]}")  # every sentence distinct
    if len(texts) >= n:
        break
texts = texts[:n]
print(f"{len(texts)} distinct generated sentences, mean {sum(map(len, texts)) / len(texts):.0f} chars", flush=True)
import torch  # noqa: E402

print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "", flush=True)
for device in devices:
    set_device(device)
    print("device", device, "->", resolve_device(), flush=True)
    for name, folder in (("blend (fp32)", BLEND_DIR), ("blend, transformer bf16", BLEND_BF16_DIR)):
        clf = open_classifier(folder)
        clf.predict(texts[:64], [None] * 64)  # warm-up: weights loaded, kernels chosen
        best = 1e9
        for _ in range(3):
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = clf.predict(texts, [None] * len(texts))
            if device == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t0)
        print(f"  {name:<26} {len(texts) / best:9.1f} sentences/s  (best of 3, {len(texts)} sentences)", flush=True)
