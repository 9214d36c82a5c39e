"""``region_of``: province, city, county and level of an agency from its name, against the 行政区划 table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gongkai.inference.region import (
    COUNTY,
    NATIONAL,
    PREFECTURAL,
    PROVINCIAL,
    TOWN,
    UNKNOWN,
    Region,
    region_of,
)

# Real agency names: the MANIFEST.tsv agency column and the seeds' agencies as gongkai extracts them.
REAL = [
    ("泉港区科学技术局", "福建省", "泉州市", "泉港区", COUNTY),
    ("晋江市科学技术局", "福建省", "泉州市", "晋江市", COUNTY),
    ("沂源县科学技术局", "山东省", "淄博市", "沂源县", COUNTY),
    ("广水市科技经信局", "湖北省", "随州市", "广水市", COUNTY),
    ("偃师区科学技术局", "河南省", "洛阳市", "偃师区", COUNTY),
    ("淮安市人民政府", "江苏省", "淮安市", None, PREFECTURAL),
    ("洪泽区人民政府", "江苏省", "淮安市", "洪泽区", COUNTY),
    ("淮安市洪泽区人民政府", "江苏省", "淮安市", "洪泽区", COUNTY),
    ("上海市人民政府办公厅", "上海市", None, None, PROVINCIAL),
    ("上海市科委", "上海市", None, None, PROVINCIAL),
    ("沭阳县人民政府", "江苏省", "宿迁市", "沭阳县", COUNTY),
    ("沭阳县发展和改革局", "江苏省", "宿迁市", "沭阳县", COUNTY),
    ("河北省教育厅", "河北省", None, None, PROVINCIAL),
    ("河北省人力资源和社会保障厅", "河北省", None, None, PROVINCIAL),
    ("平潭综合实验区", "福建省", "平潭综合实验区", None, PREFECTURAL),
    ("平潭综合实验区交通与建设局", "福建省", "平潭综合实验区", None, PREFECTURAL),
]


@pytest.mark.parametrize(("agency", "province", "city", "county", "level"), REAL)
def test_real_agency_names(agency: str, province: str, city: str | None, county: str | None, level: str) -> None:
    region = region_of(agency)
    assert (region.province, region.city, region.county, region.level) == (province, city, county, level)


def test_official_codes_of_resolved_units() -> None:
    assert region_of("淮安市洪泽区人民政府").code == "320813"
    assert region_of("河北省教育厅").code == "130000"
    assert region_of("淮安市人民政府").code == "320800"
    assert region_of("平潭综合实验区").code is None  # a zone, not a division of the table


@pytest.mark.parametrize(("agency", "expected"), [
    # The same district name in several provinces: kept as a county, placed only when the name says where.
    ("朝阳区教育局", Region(None, None, "朝阳区", COUNTY)),
    ("鼓楼区人民政府", Region(None, None, "鼓楼区", COUNTY)),
    ("北京市朝阳区人民政府", Region("北京市", None, "朝阳区", COUNTY, "110105")),
    ("长春市朝阳区人民政府", Region("吉林省", "长春市", "朝阳区", COUNTY, "220104")),
    ("福州市鼓楼区人民政府", Region("福建省", "福州市", "鼓楼区", COUNTY, "350102")),
    # 南京 and 徐州 both have a 鼓楼区: the province is shared, the city is not.
    ("江苏省鼓楼区", Region("江苏省", None, "鼓楼区", COUNTY)),
])
def test_ambiguous_county_names(agency: str, expected: Region) -> None:
    assert region_of(agency) == expected


@pytest.mark.parametrize(("agency", "province", "county"), [
    ("泉港区山腰街道办事处", "福建省", "泉港区"),
    ("沭阳县钱集镇人民政府", "江苏省", "沭阳县"),
    ("淮安市洪泽区老子山镇人民政府", "江苏省", "洪泽区"),
    ("东莞市虎门镇人民政府", "广东省", None),  # a prefecture city without counties
])
def test_towns_under_a_known_place(agency: str, province: str, county: str | None) -> None:
    region = region_of(agency)
    assert (region.province, region.county, region.level) == (province, county, TOWN)


def test_words_with_township_characters_are_not_towns() -> None:
    assert region_of("沭阳县乡村振兴局").level == COUNTY
    assert region_of("淮安市住房和城乡建设局").level == PREFECTURAL


@pytest.mark.parametrize(("agency", "expected"), [
    ("某某镇人民政府", Region(None, None, None, TOWN)),
    ("省教育厅", Region(None, None, None, PROVINCIAL)),  # says the level, not the province
    ("县教育局", Region(None, None, None, COUNTY)),
    ("沐阳县人民政府", Region(None, None, None, COUNTY)),  # an OCR misreading of 沭阳县: not guessed
    ("教育部", Region(None, None, None, NATIONAL)),
    ("国务院办公厅", Region(None, None, None, NATIONAL)),
    ("国家发展和改革委员会", Region(None, None, None, NATIONAL)),
    ("审计署", Region(None, None, None, NATIONAL)),
    ("办公室", Region(None, None, None, UNKNOWN)),
    ("", Region(None, None, None, UNKNOWN)),
    (None, Region(None, None, None, UNKNOWN)),
])
def test_names_without_a_place(agency: str | None, expected: Region) -> None:
    assert region_of(agency) == expected


@pytest.mark.parametrize(("agency", "province", "city", "level"), [
    ("广西壮族自治区人民政府", "广西壮族自治区", None, PROVINCIAL),
    ("广西教育厅", "广西壮族自治区", None, PROVINCIAL),  # the usual short name
    ("内蒙古自治区人民政府", "内蒙古自治区", None, PROVINCIAL),
    ("吉林市人民政府", "吉林省", "吉林市", PREFECTURAL),  # not 吉林省 + 市
    ("延边州教育局", "吉林省", "延边朝鲜族自治州", PREFECTURAL),
    ("国家税务总局淮安市税务局", "江苏省", "淮安市", PREFECTURAL),
    ("中共淮安市委", "江苏省", "淮安市", PREFECTURAL),
    ("雄安新区管理委员会", "河北省", "雄安新区", PREFECTURAL),
    ("苏州工业园区管理委员会", "江苏省", "苏州市", COUNTY),
    ("淮安经济技术开发区管理委员会", "江苏省", "淮安市", COUNTY),
    ("长阳县人民政府", "湖北省", "宜昌市", COUNTY),  # 长阳土家族自治县 by its usual name
    ("重庆市城口县人民政府", "重庆市", None, COUNTY),
])
def test_names_and_short_names(agency: str, province: str, city: str | None, level: str) -> None:
    region = region_of(agency)
    assert (region.province, region.city, region.level) == (province, city, level)


def test_a_word_after_the_city_is_not_a_district_elsewhere() -> None:
    # 城区 is a district of 阳泉/长治/晋城 (山西): after 淮安市 it is a word, not that district.
    assert region_of("淮安市城区管理局") == Region("江苏省", "淮安市", None, PREFECTURAL, "320800")


def test_the_table_holds_every_province_and_no_foreign_districts() -> None:
    table = Path(__file__).resolve().parents[2] / "gongkai" / "inference" / "data" / "regions.csv"
    with open(table, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    provinces = [r["name"] for r in rows if r["code"].endswith("0000")]
    assert len(provinces) == 34 and "河北省" in provinces and "台湾省" in provinces
    assert 3000 < len(rows) < 4000
    assert not [r for r in rows if r["code"][:2] in ("71", "81", "82") and not r["code"].endswith("0000")]


def test_corpus_manifest_agencies_all_get_a_province(corpus_dir: Path) -> None:
    with open(corpus_dir / "MANIFEST.tsv", encoding="utf-8") as f:
        agencies = [row["agency"] for row in csv.DictReader(f, delimiter="\t")]
    placed = [a for a in agencies if region_of(a).province]
    print(f"MANIFEST.tsv agencies with a province: {len(placed)}/{len(agencies)}")
    assert len(placed) == len(agencies), sorted(set(agencies) - set(placed))
