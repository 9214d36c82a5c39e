"""How many of the real agencies ``region_of`` places in a province, and at which level.

    python benchmarks/regions.py [--shared ../shared] [--names]

Two sets of names: the agency column of ``corpus/real/MANIFEST.tsv`` (what a person wrote down),
and the agencies gongkai itself extracts from the seeds and the corpus reports (what a batch's
summary.html sees: a name may be shortened — 省教育厅 — or misread — 沐阳县 — or missing).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gongkai.inference.region import Region, region_of  # noqa: E402


def manifest_agencies(shared: Path) -> list[str]:
    with open(shared / "corpus" / "real" / "MANIFEST.tsv", encoding="utf-8") as f:
        return [row["agency"] for row in csv.DictReader(f, delimiter="\t")]


def extracted_agencies(shared: Path) -> list[str | None]:
    from gongkai.inference.pipeline import extract

    files = sorted((shared / "seeds").iterdir()) + sorted((shared / "corpus" / "real").glob("r*"))
    return [extract(str(path), sentences=False, checks=False).agency.value for path in files]


def describe(title: str, names: list[str | None], show: bool) -> str:
    regions: list[Region] = [region_of(name) for name in names]
    placed = sum(1 for r in regions if r.province)
    levels = Counter(r.level for r in regions)
    lines = [f"{title}: {placed}/{len(names)} ({placed / len(names):.0%}) get a province; distinct names "
             f"{len(set(names))}, of which {len({n for n, r in zip(names, regions) if r.province})} placed; "
             "levels " + ", ".join(f"{k} {v}" for k, v in levels.most_common())]
    if show:
        for name in sorted(set(names), key=lambda n: n or ""):
            r = region_of(name)
            lines.append(f"  {name or '(none)'}\t{r.province or '-'}\t{r.city or '-'}\t{r.county or '-'}\t{r.level}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--names", action="store_true", help="list every distinct name with its region")
    args = parser.parse_args()
    print(describe("MANIFEST.tsv agency column", list(manifest_agencies(args.shared)), args.names))
    print(describe("agencies extracted from seeds + corpus", extracted_agencies(args.shared), args.names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
