"""Where an agency sits: province, prefecture city, county and administrative level, from its name.

The places come from the official division table (行政区划代码, shipped as ``data/regions.csv``;
see ``data/README.md`` for its source, licence and date). ``region_of`` reads the agency's name
from the left as a chain of place names — ``淮安市`` ``洪泽区`` 人民政府, ``河北省`` 教育厅 — where each
name must lie inside the one before it, and the last place named decides the level:

* a province (or municipality, 上海市) → 省级; a prefecture (淮安市, 自治州, 地区, 盟, 雄安新区) → 市级,
  unless what follows names a county-like unit (a "…县" the table lacks, 开发区, 高新区 …) → 县区级;
  a county, district, county-level city or banner → 县区级;
* a town, township or subdistrict after the places (``…镇人民政府``, ``…街道办事处``) → 乡镇级;
* no place at all: 国务院 and ministries (国家…, 中华人民共和国…, ``…部``, ``…署``) → 国家级; a name that
  says only ``省…`` / ``自治区…`` → 省级, ``县…`` / ``区…`` / ``…县…`` → 县区级, ``…镇…`` → 乡镇级; else 未知.

A county name that several provinces share (朝阳区, 鼓楼区) resolves only when the name also names
the city or province; otherwise the county is kept and the province is given only when all the
candidates share it. Places are matched by their full names; provinces and prefectures also by
their usual short names (河北, 广西, 淮安, 延边州) at the start of the name or after another place.
Names that are no division of the table but run like one (平潭综合实验区, a prefecture-level zone the
province administers over the territory of 平潭县 350128) are listed in ``SPECIAL_ZONES``.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# Administrative levels, from the top.
NATIONAL, PROVINCIAL, PREFECTURAL, COUNTY, TOWN, UNKNOWN = "国家级", "省级", "市级", "县区级", "乡镇级", "未知"
LEVELS: tuple[str, ...] = (NATIONAL, PROVINCIAL, PREFECTURAL, COUNTY, TOWN, UNKNOWN)
_LEVEL_OF_KIND = {"province": PROVINCIAL, "city": PREFECTURAL, "county": COUNTY}

# Units run like a division but absent from the table: name → (province code, kind).
SPECIAL_ZONES: dict[str, tuple[str, str]] = {
    # 福建省人民政府派出机构 (正厅级), administering the territory of 平潭县 (350128, formally in 福州市).
    "平潭综合实验区": ("350000", "city"),
}
# Organisations whose local offices put their own name before the place (国家税务总局淮安市税务局).
LEADING_ORGANISATIONS: tuple[str, ...] = (
    "中国共产党", "中共", "共青团", "国家税务总局", "国家统计局", "国家金融监督管理总局", "国家外汇管理局",
    "中国人民银行", "中华人民共和国",
)
# Minorities named in autonomous units (longest first); a one-character name is stripped only with 族.
_PEOPLES = sorted((
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克",
    "傣", "黎", "傈僳", "佤", "畲", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌",
    "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂",
    "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺", "各",
), key=len, reverse=True)
# Full county names too generic to start a place chain in the middle of a name.
_GENERIC_COUNTIES = frozenset({"城区", "郊区", "矿区", "东区", "西区", "南区", "北区", "市中区", "城关区", "城中区",
                               "城东区", "城西区", "城北区", "新城区", "新市区", "新区"})
_HAN = "[\u4e00-\u9fff]"
# A town, township or subdistrict right after the places, followed by what such a body calls itself.
_TOWN = re.compile(rf"^{_HAN}{{1,6}}?(?:镇|乡|街道)(?=人民政府|政府|办事处|办|党委|党工委|人大|纪委|便民服务|综合|$)")
# A county-like unit right after a prefecture (or alone) that the table does not name: an OCR-misread
# county (沐阳县), a development zone (淮安经济技术开发区).
_COUNTY_LIKE = re.compile(rf"^{_HAN}{{1,4}}?(?:自治县|县|旗)(?!级|域|城|乡|委员会)|^{_HAN}{{0,8}}?"
                          r"(?:经济技术开发区|经济开发区|高新技术产业开发区|高新技术产业园区|高新区|开发区|工业园区|新区)")
# Names that say the level without a place.
_PROVINCE_WORD = re.compile(r"^(?:省|自治区)(?!级|内|外)")
_COUNTY_WORD = re.compile(r"^(?:县|区)(?!级|域|内|外)")
_NATIONAL = re.compile(rf"^(?:国务院|中华人民共和国|国家|中国)|^{_HAN}{{1,8}}(?:部|署)$")
_LOCAL_WORD = re.compile(r"省|市|县|区|州|镇|乡|分行|支行|分局|分署")


@dataclass(frozen=True)
class Region:
    """Where an agency sits; None where its name does not say (``code``: the most specific official code)."""

    province: str | None
    city: str | None
    county: str | None
    level: str
    code: str | None = None


@dataclass(frozen=True)
class _Unit:
    key: str  # the 6-digit code, or the name of a special zone
    name: str
    kind: str  # province / city / county
    province: str  # key of the province
    city: str | None  # key of the prefecture, if any

    def within(self, other: _Unit) -> bool:
        return other.key in (self.key, self.province, self.city)


@dataclass(frozen=True)
class _Index:
    units: dict[str, _Unit]
    aliases: dict[str, tuple[frozenset[str], bool]]  # name → (unit keys, may start a chain anywhere)
    longest: int


def _strip_peoples(base: str) -> str:
    """``延边朝鲜族`` → ``延边``; ``海西蒙古族藏族`` → ``海西``; ``巴里坤哈萨克`` → ``巴里坤``."""
    changed = True
    while changed and base:
        changed = False
        for people in _PEOPLES:
            for ending in (people + "族", people) if len(people) > 1 else (people + "族",):
                if base.endswith(ending) and len(base) > len(ending):
                    base, changed = base[: -len(ending)], True
                    break
            if changed:
                break
    return base


def _short_names(name: str, kind: str) -> list[str]:
    """The usual short names of a province or prefecture (and the 县/旗 form of an autonomous county)."""
    if kind == "province":
        base = re.sub(r"(?:省|市|特别行政区|自治区)$", "", name)
        return [_strip_peoples(base)] if name.endswith("自治区") else [base]
    if kind == "city":
        for ending in ("自治州", "地区", "新区", "盟", "市"):
            if name.endswith(ending):
                base = _strip_peoples(name[: -len(ending)])
                return [base, base + "州"] if ending == "自治州" else [base]
        return []
    match = re.search(r"自治(县|旗)$", name)
    if match:
        base = _strip_peoples(name[: match.start()])
        return [base + match.group(1)] if base != name[: match.start()] else []
    return []


@lru_cache(maxsize=1)
def _index() -> _Index:
    units: dict[str, _Unit] = {}
    text = resources.files("gongkai.inference").joinpath("data", "regions.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        code, name = row["code"], row["name"]
        province = code[:2] + "0000"
        if code == province:
            units[code] = _Unit(code, name, "province", province, None)
        elif code[4:] == "00":
            units[code] = _Unit(code, name, "city", province, code)
        else:
            city = code[:4] + "00"
            units[code] = _Unit(code, name, "county", province, city if city in units else None)
    for name, (province, kind) in SPECIAL_ZONES.items():
        units[name] = _Unit(name, name, kind, province, name if kind == "city" else None)
    full: dict[str, set[str]] = {}
    short: dict[str, set[str]] = {}
    for unit in units.values():
        full.setdefault(unit.name, set()).add(unit.key)
        for alias in _short_names(unit.name, unit.kind):
            if len(alias) >= 2:
                short.setdefault(alias, set()).add(unit.key)
    aliases: dict[str, tuple[frozenset[str], bool]] = {}
    for alias, keys in short.items():
        if alias not in full:
            # A short name that is also a province's (海南: 海南省 or 海南藏族自治州) means the province.
            provinces = {k for k in keys if units[k].kind == "province"}
            aliases[alias] = (frozenset(provinces or keys), False)
    for name, keys in full.items():
        strong = len(name) >= 3 and name not in _GENERIC_COUNTIES
        aliases[name] = (frozenset(keys), strong)
    return _Index(units, aliases, max(map(len, aliases)))


def _match_at(name: str, pos: int, index: _Index) -> tuple[str, frozenset[str], bool] | None:
    """The longest place name starting at ``pos``: (text, unit keys, may start a chain anywhere)."""
    for size in range(min(index.longest, len(name) - pos), 1, -1):
        found = index.aliases.get(name[pos: pos + size])
        if found is not None:
            return name[pos: pos + size], found[0], found[1]
    return None


def _chain(name: str, pos: int, index: _Index) -> tuple[set[str], int]:
    """Unit keys consistent with the places named from ``pos`` on, and where the places end."""
    current: set[str] = set()
    while (found := _match_at(name, pos, index)) is not None:
        text, keys, _ = found
        units = index.units
        if current:
            inside = {k for k in keys if any(units[k].within(units[c]) for c in current)}
            if not inside:
                break  # not inside the place before it: a word, not a place (淮安市城区…)
            keys = frozenset(inside)
        # A name standing for a place and its own parent (吉林 = 吉林省 or 吉林市) means the parent.
        keys = frozenset(k for k in keys if not any(k != o and units[k].within(units[o]) for o in keys))
        current = set(keys)
        pos += len(text)
    return current, pos


def _places(name: str, index: _Index) -> tuple[set[str], int]:
    """The place chain of a name: at its start (after a leading organisation) or from the first full name."""
    start = next((len(org) for org in LEADING_ORGANISATIONS if name.startswith(org)), 0)
    found, end = _chain(name, start, index)
    if found:
        return found, end
    for pos in range(start + 1, len(name) - 1):
        match = _match_at(name, pos, index)
        if match is not None and match[2]:
            found, end = _chain(name, pos, index)
            if found:
                return found, end
    return set(), start


def _common(keys: set[str], index: _Index) -> tuple[str | None, str | None, str | None, str | None]:
    """Province, city and county names (and kind) that every candidate unit shares."""
    units = [index.units[k] for k in keys]

    def shared(values: list[str | None]) -> str | None:
        return values[0] if values and all(v == values[0] for v in values) else None

    province = shared([u.province for u in units])
    city = shared([u.city for u in units])
    county = shared([u.name for u in units if u.kind == "county"]) if all(u.kind == "county" for u in units) else None
    kind = shared([u.kind for u in units])
    return (index.units[province].name if province else None, index.units[city].name if city else None, county, kind)


def normalise(agency: str) -> str:
    """NFKC, without whitespace, and without the quotes, brackets and punctuation around the name."""
    text = unicodedata.normalize("NFKC", agency)
    return re.sub(r"\s+", "", text).strip("“”\"'《》()（）[]【】:：,，。.")


@lru_cache(maxsize=65536)
def region_of(agency: str | None) -> Region:
    """Province, prefecture city, county and level of an agency, from its name alone."""
    name = normalise(agency or "")
    if not name:
        return Region(None, None, None, UNKNOWN)
    index = _index()
    keys, end = _places(name, index)
    rest = name[end:]
    if not keys:
        if _TOWN.match(rest):
            return Region(None, None, None, TOWN)
        if _NATIONAL.search(name) and not _LOCAL_WORD.search(re.sub(r"^(?:中华人民共和国|国务院)", "", name)):
            return Region(None, None, None, NATIONAL)
        if _PROVINCE_WORD.match(rest):
            return Region(None, None, None, PROVINCIAL)
        if _COUNTY_WORD.match(rest) or _COUNTY_LIKE.match(rest):
            return Region(None, None, None, COUNTY)
        return Region(None, None, None, UNKNOWN)
    province, city, county, kind = _common(keys, index)
    code = next(iter(keys)) if len(keys) == 1 and next(iter(keys)).isdigit() else None
    level = _LEVEL_OF_KIND[kind] if kind else UNKNOWN
    if _TOWN.match(rest):
        level = TOWN
    elif kind == "city" and _COUNTY_LIKE.match(rest):
        level = COUNTY
    return Region(province, city, county, level, code)
