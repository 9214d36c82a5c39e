"""Hand-transcribed prose claims of the real reports: what the claim reader is measured on.

One JSON file per document under ``gold/claims/`` lists every number the document's prose
states about something its tables hold (a cell, or one of the group sums of
``gongkai.inference.checks.claims.CLAIM_TARGETS``), transcribed by a person who read the
whole text. Like all gold here it holds facts, not text: a claim is a character span into
the text gongkai reads from the file, the first 16 hex digits of the SHA-256 of that span
(checked at load time, so a reader change that moves spans is caught), the quantity, the
targets the wording admits, and the table's number for each target as the report prints it
(``table``; null where the report has no such table cell). A document whose prose states
nothing about its tables has a file with no claims: it counts for precision.

Scoring (``score``): a gold claim is *recalled* when a claim read overlaps its span, states
the same quantity and names one of its targets (as target or alternative); a claim read is
*precise* when it overlaps a gold claim's span with the same quantity.

``python -m gongkai.annotations.claims_gold locate DOC WORDS`` prints where words stand in
a document's text (offsets and hash, for writing an entry); ``check`` verifies every file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongkai.annotations.gold import GOLD_DIR
from gongkai.training.sentence_data import document_text, shared_dir, text_hash

CLAIMS_GOLD_DIR = GOLD_DIR / "claims"


@dataclass(frozen=True)
class GoldClaim:
    span: tuple[int, int]
    sha: str
    quantity: float
    targets: tuple[str, ...]
    table: dict[str, float | None] = field(default_factory=dict)
    kind: str = ""

    @property
    def contradicts(self) -> bool:
        """The table disagrees under every target the wording admits (and holds them all)."""
        values = [self.table.get(t) for t in self.targets]
        if not values or any(v is None for v in values):
            return False
        return not any(math.isclose(v, self.quantity) for v in values if v is not None)


@dataclass(frozen=True)
class ClaimsGold:
    doc: str  # relative to ../shared, e.g. corpus/real/r030.txt
    sha256: str
    claims: tuple[GoldClaim, ...]
    notes: str = ""


def load_claims_gold(path: Path) -> ClaimsGold:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    claims = tuple(
        GoldClaim((int(c["span"][0]), int(c["span"][1])), c["sha"], float(c["quantity"]), tuple(c["targets"]),
                  {k: (None if v is None else float(v)) for k, v in c.get("table", {}).items()}, c.get("kind", ""))
        for c in data["claims"]
    )
    return ClaimsGold(data["doc"], data["sha256"], claims, data.get("notes", ""))


def all_claims_gold() -> list[ClaimsGold]:
    return [load_claims_gold(p) for p in sorted(CLAIMS_GOLD_DIR.glob("*.json"))]


def span_problems(gold: ClaimsGold, text: str) -> list[str]:
    """Claims whose span no longer holds the text that was transcribed (hash mismatch)."""
    return [f"{gold.doc} {c.span}: hash {text_hash(text[c.span[0]:c.span[1]])} != {c.sha}"
            for c in gold.claims if text_hash(text[c.span[0]:c.span[1]]) != c.sha]


# ---------------------------------------------------------------- scoring
@dataclass
class ClaimsScore:
    gold: int = 0
    recalled: int = 0
    read: int = 0
    precise: int = 0
    missed: list[tuple[str, GoldClaim]] = field(default_factory=list)
    spurious: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.recalled / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.precise / self.read if self.read else 1.0

    def add(self, other: ClaimsScore) -> None:
        self.gold += other.gold
        self.recalled += other.recalled
        self.read += other.read
        self.precise += other.precise
        self.missed += other.missed
        self.spurious += other.spurious


def _overlaps(a: Sequence[int], b: Sequence[int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(read: Iterable[dict[str, Any]], gold: ClaimsGold) -> ClaimsScore:
    """Recall and precision of the claims read from one document (``Report.claims`` dicts)."""
    claims = list(read)
    out = ClaimsScore(gold=len(gold.claims), read=len(claims))
    for g in gold.claims:
        hit = any(_overlaps(c["span"], g.span) and math.isclose(c["quantity"], g.quantity)
                  and set(g.targets) & {c["target"], *c.get("alternatives", [])} for c in claims)
        out.recalled += hit
        if not hit:
            out.missed.append((gold.doc, g))
    for c in claims:
        real = any(_overlaps(c["span"], g.span) and math.isclose(c["quantity"], g.quantity) for g in gold.claims)
        out.precise += real
        if not real:
            out.spurious.append((gold.doc, c))
    return out


# ---------------------------------------------------------------- command line
def _locate(doc: str, words: str, context: int) -> None:
    text = document_text(shared_dir(), doc)
    start = text.find(words)
    if start < 0:
        print(f"not found in {doc} ({len(text)} characters)")
    while start >= 0:
        end = start + len(words)
        print(f"[{start}, {end}] sha={text_hash(text[start:end])}  …{text[max(0, start - context):end + context]!r}…")
        start = text.find(words, start + 1)


def _check() -> int:
    shared = shared_dir()
    problems = []
    for gold in all_claims_gold():
        problems += span_problems(gold, document_text(shared, gold.doc))
    print("\n".join(problems) or f"{len(all_claims_gold())} files, every span holds its text")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gongkai.annotations.claims_gold",
                                     description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    loc = sub.add_parser("locate", help="offsets and hash of words in a document's text")
    loc.add_argument("doc", help="path under ../shared, e.g. corpus/real/r030.txt")
    loc.add_argument("words")
    loc.add_argument("--context", type=int, default=20)
    sub.add_parser("check", help="verify that every gold span still holds its text")
    args = parser.parse_args(argv)
    if args.command == "locate":
        _locate(args.doc, args.words, args.context)
        return 0
    return _check()


if __name__ == "__main__":
    sys.exit(main())
