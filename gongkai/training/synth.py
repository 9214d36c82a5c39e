"""Synthetic 政府信息公开工作年度报告 whose every table cell is known.

Real reports are few and unlabelled; the extractor's tests, its benchmark and its confidence
calibration need many reports with a known answer in every layout real reports use. This module
draws arithmetically consistent numbers (``random_values``), composes a small report around
them (title, 统计期限, bland narrative under the six standard headings, 表二/表三/表四) and prints
it in one of ``LAYOUTS``:

``tab_cells``
    Word export as text: every cell on its own line after one tab, rows separated by an empty
    line, an empty cell is a line holding only a tab, header labels split over lines
    ("商业\\n企业"). Cells hidden by a rowspan print as one empty cell; colspans print once.
``tsv``
    One row per line, cells separated by tabs; row-group labels in their own leading cell
    (sometimes with stray spaces: "三、本 年度办 理结果"), rows sometimes shifted to column 0,
    an optional trailing tab, 表四's data row sometimes behind extra empty cells.
``markdown``
    Pipe tables: ragged rows (collapsed colspans, extra trailing cells, a missing leading cell),
    ``<br>`` inside header cells, 表二 sometimes split in two tables; or (r007 style) one small
    table per clause / row group under ``###`` headings with generic column headers.
``blank_lines``
    Each cell followed by two blank lines, each row end by two more (four in all); an empty cell
    keeps its place as three more newlines. Cells hidden by a span are not printed at all.
``space_aligned``
    pdftotext/OCR style: columns padded with runs of two or more spaces, long row labels wrapped
    with the rest of the label alone on the next line, a page-number line and a repeated column
    header sometimes in the middle of 表三. A gap of spaces cannot be told from the column
    separator, so a blank cell is printed as a blank mark ("—", "-" or "/"), never as spaces:
    blanks stay unambiguous in this layout.
``flattened``
    r015 style: a whole table on one line, labels and numbers run together with no separator.
    This layout is inherently ambiguous ("1126" may be 11 and 26 or 1 and 126; a blank cell
    prints nothing); the gold still holds the true values.
``html``
    A government-site page (utf-8 or gbk bytes with a matching meta charset) with ``rowspan`` /
    ``colspan`` tables, ``<br>`` in header cells, blank cells as empty ``<td>``.
``docx``
    A Word document built with python-docx (a dev/test dependency only) with merged cells.

OCR-like noise (``add_ocr_noise``) swaps look-alike characters in labels and respells numbers
without changing their value. ``generate`` ties it together deterministically for a seed.
"""

from __future__ import annotations

import datetime as _dt
import html as html_lib
import io
import math
import random
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from gongkai.inference.tables.template import (
    APPEAL_COLUMN_LABELS,
    APPEAL_COLUMNS,
    APPEAL_GROUP_LABELS,
    APPEAL_GROUPS,
    PROACTIVE_ROWS_2019,
    PROACTIVE_ROWS_2021,
    REQUEST_COLUMN_LABELS,
    REQUEST_COLUMNS,
    REQUEST_GROUP_LABELS,
    REQUEST_ROWS,
    TemplateRow,
)
from gongkai.report import Report

Value = int | float | None
Values = dict[str, Value]

TEMPLATES: tuple[str, ...] = ("2021", "2019")
LAYOUTS: tuple[str, ...] = (
    "tab_cells", "tsv", "markdown", "blank_lines", "space_aligned", "flattened", "html", "docx",
)
TEXT_LAYOUTS: tuple[str, ...] = LAYOUTS[:6]
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA_TYPES: dict[str, str] = {
    "tab_cells": "text/plain", "tsv": "text/plain", "markdown": "text/markdown", "blank_lines": "text/plain",
    "space_aligned": "text/plain", "flattened": "text/plain", "html": "text/html", "docx": DOCX_MEDIA_TYPE,
}

# Every table cell path of the schema, in schema order; ``gold`` maps exactly these.
TABLE_PATHS: tuple[str, ...] = tuple(path for path, _ in Report().table_cells())
APPLICANT_COLUMNS: tuple[str, ...] = REQUEST_COLUMNS[:-1]
# 表三 rows that hold the balance (一 + 二 = 三（七）总计 + 四); the others are outcome rows.
BALANCE_ROWS: tuple[str, ...] = ("new_received", "carried_over", "total", "carried_forward")
# Values of the 2019 表二 travel in ``values`` under this prefix (never in ``gold``).
PROACTIVE_2019_PREFIX = "proactive_2019."

# ---------------------------------------------------------------- number profiles
# Most agencies receive next to nothing; a few receive thousands of requests.
PROFILE_WEIGHTS: dict[str, float] = {"empty": 0.35, "sparse": 0.45, "busy": 0.20}
# How often an outcome row is used, relative to 予以公开.
ROW_WEIGHTS: dict[str, float] = {
    "granted": 1.0, "partially_granted": 0.35, "denied_third_party": 0.1, "denied_process_info": 0.1,
    "denied_internal_affairs": 0.08, "denied_enforcement_files": 0.06, "denied_administrative_query": 0.1,
    "unable_not_held": 0.6, "unable_needs_creation": 0.2, "unable_unclear": 0.1,
    "not_processed_petition": 0.25, "not_processed_repeated": 0.15, "not_processed_confirm": 0.05,
    "other_overdue_correction": 0.15, "other_other": 0.2, "other_processing": 0.25,
}
DEFAULT_ROW_WEIGHT = 0.03
# How often each applicant type files requests, relative to 自然人.
COLUMN_WEIGHTS: dict[str, float] = {
    "natural_person": 1.0, "commercial": 0.35, "research": 0.03, "social_welfare": 0.04,
    "legal_service": 0.12, "other": 0.1,
}
BUSY_SCALES: tuple[int, ...] = (60, 300, 1500)
SPARSE_MAX = 3
APPEAL_ACTIVE: dict[str, float] = {"empty": 0.0, "sparse": 0.25, "busy": 0.8}
APPEAL_MAX: dict[str, int] = {"empty": 0, "sparse": 2, "busy": 60}
# 表二 decision counts: (key, chance of any, most in a busy report; a tenth of a percent otherwise).
PROACTIVE_COUNT_DRAWS: tuple[tuple[str, float, int], ...] = (
    ("licensing", 0.5, 600000), ("punishment", 0.5, 90000), ("coercion", 0.25, 3000),
)

# ---------------------------------------------------------------- agencies
PLACES: tuple[str, ...] = (
    "东湖", "青山", "临江", "北塘", "南溪", "西岭", "平川", "安宁", "河口", "松原", "清河", "白沙",
    "望江", "长乐", "永丰", "新桥", "云台", "石门",
)
PLACE_UNITS: tuple[str, ...] = ("区", "县", "市")
BUREAUS: tuple[str, ...] = (
    "教育局", "民政局", "财政局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局",
    "农业农村局", "水利局", "商务局", "文化和旅游局", "卫生健康委员会", "应急管理局",
    "市场监督管理局", "统计局", "医疗保障局", "司法局", "人力资源和社会保障局", "科学技术局",
    "人民政府办公室", "人民政府",
)
TOWN_UNITS: tuple[str, ...] = ("镇人民政府", "街道办事处", "乡人民政府")
TOWN_SHARE = 0.15

# ---------------------------------------------------------------- labels
CN_NUMERALS = "一二三四五六七八九十"
# Printed forms of template labels whose template spelling drops punctuation.
PUNCTUATED_LABELS: dict[str, str] = {
    "partially_granted": "部分公开（区分处理的，只计这一情形，不计其他情形）",
    "denied_three_safeties": "危及“三安全一稳定”",
    "other_overdue_correction": "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_overdue_fee": "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
}
SUB_NUMBER_STYLES: tuple[str, ...] = ("（{}）", "({}) ", "({})")
ITEM_NUMBER_STYLES: tuple[str, ...] = ("{}.", "{}. ", "{}、")
TABLE3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT_HEADING = "申请人情况"
LEGAL_PERSON_HEADING = "法人或其他组织"
APPEAL_LITIGATION = "行政诉讼"
# 表二 (2021): clause heading and column headings per printed block, with the rows in it.
PROACTIVE_2021_BLOCKS: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = (
    ("第二十条第（一）项", ("本年制发件数", "本年废止件数", "现行有效件数"), (0, 1)),
    ("第二十条第（五）项", ("本年处理决定数量",), (2,)),
    ("第二十条第（六）项", ("本年处理决定数量",), (3, 4)),
    ("第二十条第（八）项", ("本年收费金额（单位：万元）",), (5,)),
)
# 表二 (2019): clause heading per printed block, with indexes into PROACTIVE_ROWS_2019.
PROACTIVE_2019_BLOCKS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("第二十条第（一）项", (0, 1)),
    ("第二十条第（五）项", (2, 3)),
    ("第二十条第（六）项", (4, 5)),
    ("第二十条第（八）项", (6,)),
    ("第二十条第（九）项", (7,)),
)
CONTENT_HEADING = "信息内容"
# Column headers narrow enough that Word breaks them over two lines (商业 / 企业).
SPLIT_HEADERS: frozenset[str] = frozenset(
    [REQUEST_COLUMN_LABELS["commercial"], REQUEST_COLUMN_LABELS["research"]]
    + [APPEAL_COLUMN_LABELS[c] for c in APPEAL_COLUMNS[:-1]]
)

# ---------------------------------------------------------------- narrative
SECTION_TITLES: tuple[tuple[str, ...], ...] = (
    ("总体情况",),
    ("主动公开政府信息情况",),
    ("收到和处理政府信息公开申请情况",),
    ("政府信息公开行政复议、行政诉讼情况", "政府信息公开行政复议、行政诉讼情况",
     "因政府信息公开工作被申请行政复议、提起行政诉讼情况"),
    ("存在的主要问题及改进情况", "存在的主要问题及改进情况", "政府信息公开工作存在的主要问题及改进情况"),
    ("其他需要报告的事项",),
)
FORMAT_REFERENCES: dict[str, str] = {"2021": "国办公开办函〔2021〕30号", "2019": "国办公开办函〔2019〕60号"}
OVERVIEW_TOPICS: tuple[str, ...] = ("主动公开", "依申请公开", "政府信息管理", "平台建设", "监督保障")
TOPIC_SUFFIXES: tuple[str, ...] = ("", "情况", "方面", "工作")
TITLE_FORMS: tuple[str, ...] = (
    "{agency}{year}年政府信息公开工作年度报告",
    "{agency}{year}年政府信息公开工作年度报告",
    "{agency}{year}年度政府信息公开工作年度报告",
)
INTRO_SENTENCES: tuple[str, ...] = (
    "本报告依据《中华人民共和国政府信息公开条例》和政府信息公开工作年度报告格式（{format_ref}）的要求编制。",
    "根据《中华人民共和国政府信息公开条例》有关规定，参照年度报告格式（{format_ref}），编写本报告。",
    "为做好年度报告工作，{agency}按照《中华人民共和国政府信息公开条例》及相关格式要求（{format_ref}）编制本报告。",
)
PERIOD_SENTENCES: tuple[str, ...] = (
    "本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
    "本报告中所列数据统计期限为{year}年1月1日至{year}年12月31日。",
    "报告中所列数据的统计期限从{year}年1月1日到{year}年12月31日。",
)
CONTACT_SENTENCES: tuple[str, ...] = (
    "本报告电子版可在{agency}门户网站查阅下载，如有疑问请与本机关办公室联系。",
    "公众对本报告如有疑问，可通过门户网站留言栏目与本机关联系。",
    "",
)
OVERVIEW_SENTENCES: tuple[str, ...] = (
    "{year}年，{agency}坚持以公开为常态、不公开为例外，按照上级有关部署扎实做好政府信息公开各项工作。",
    "{year}年，{we}围绕年度重点任务，持续完善信息公开工作机制，稳步提升公开质量。",
    "本年度，{we}认真落实政府信息公开有关规定，不断规范公开流程，增强公开实效。",
    "{year}年以来，{we}把政府信息公开作为依法行政的重要内容，统筹推进各项公开任务。",
)
TOPIC_SENTENCES: dict[str, tuple[str, ...]] = {
    "主动公开": (
        "通过门户网站信息公开专栏及时发布机构职能、政策文件、财政预决算等信息。",
        "对照主动公开基本目录逐项梳理应公开事项，做到应公开尽公开。",
        "围绕群众关注的热点事项，及时发布工作动态和通知公告，方便公众查阅。",
        "加强政策解读工作，采用图文解读等方式帮助公众理解政策内容。",
        "本年度共主动公开各类政府信息{proactive_count}条。",
    ),
    "依申请公开": (
        "严格按照法定程序和时限办理依申请公开事项，做到依法答复、规范答复。",
        "本年度新收政府信息公开申请{new_received}件，上年结转{carried_over}件。",
        "进一步规范申请登记、审核、答复等环节，确保申请件件有回复。",
        "对办理中遇到的疑难问题及时会商研究，提高答复质量。",
    ),
    "政府信息管理": (
        "落实信息发布保密审查制度，坚持先审查后公开。",
        "定期对已公开信息进行检查，及时更新有关内容。",
        "明确专人负责信息公开日常工作，规范信息发布流程。",
        "按要求做好规范性文件的清理工作，并向社会公布清理结果。",
    ),
    "平台建设": (
        "持续优化门户网站栏目设置，提升信息检索和查阅的便利程度。",
        "发挥政务新媒体作用，拓宽信息发布渠道。",
        "加强网站日常维护，保障平台安全稳定运行。",
        "完善政府信息公开专栏内容，方便群众集中查阅。",
    ),
    "监督保障": (
        "将政府信息公开工作纳入年度工作考核，压实工作责任。",
        "组织工作人员参加业务培训，提高政务公开工作能力。",
        "主动接受社会监督，认真对待公众提出的意见建议。",
        "本年度因政府信息公开工作被申请行政复议{review_total}件。",
    ),
}
PROBLEM_SENTENCES: tuple[str, ...] = (
    "政府信息公开工作仍存在一些不足，主要是公开内容还不够丰富，解读形式较为单一。",
    "工作人员业务能力有待进一步提高，信息更新的及时性仍需加强。",
    "个别栏目信息更新不够及时，与公众需求相比还有一定差距。",
)
IMPROVEMENT_SENTENCES: tuple[str, ...] = (
    "下一步，将加强业务学习，完善工作机制，不断提升政府信息公开工作水平。",
    "今后将进一步丰富公开形式，积极回应社会关切，推动公开工作提质增效。",
    "下一步将持续规范依申请公开办理流程，提高答复的规范性和时效性。",
)
OTHER_SENTENCES: tuple[str, ...] = (
    "本年度未收取政府信息公开信息处理费。",
    "{year}年度本机关未收取信息处理费，无其他需要报告的事项。",
    "无其他需要报告的事项。",
    "无。",
)

# ---------------------------------------------------------------- OCR noise
# Look-alike characters that OCR confuses in labels (true character -> misread character).
OCR_CONFUSIONS: dict[str, str] = {
    "合": "台", "度": "废", "申": "甲", "政": "攻", "信": "言", "未": "末", "已": "己", "人": "入",
}
# Value-preserving spellings of digits: OCR letters for 0 and 1, and full-width digits.
DIGIT_LOOKALIKES: dict[str, str] = {"0": "O", "1": "l"}
FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
# A thousands separator is only printed in numbers this large.
THOUSANDS_MIN = 1000
# Characters after a number that make it a date or year (never given a thousands separator).
DATE_SUFFIXES = frozenset("年月日号期")
# Runs of at least this many CJK characters may get a stray space inside.
STRAY_SPACE_MIN_RUN = 6

_NUMBER_RE = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+)?")
_CONFUSABLE_RE = re.compile("[" + "".join(OCR_CONFUSIONS) + "]")
_CJK_RUN_RE = re.compile(rf"[\u4e00-\u9fff]{{{STRAY_SPACE_MIN_RUN},}}")


# ================================================================ public data shapes
@dataclass
class SynthReport:
    """One generated report and the answer every extractor should give for it."""

    text: str | None
    data: bytes | None
    media_type: str
    layout: str
    gold: dict[str, int | float | None]
    agency: str
    year: int
    format_version: str
    noise: float
    # The 2019 表二 as printed: {row label: {column label: value}} (empty for the 2021 template).
    proactive_2019: dict[str, dict[str, int | float | None]] = field(default_factory=dict)

    @property
    def source_bytes(self) -> bytes:
        """What a reader would be handed: ``data``, or ``text`` as UTF-8."""
        return self.data if self.data is not None else (self.text or "").encode("utf-8")


def request_rows(template: str = "2021") -> tuple[TemplateRow, ...]:
    """表三 rows of one template, in print order."""
    return tuple(row for row in REQUEST_ROWS if template in row.versions)


# ================================================================ values
def _path(row: str, column: str) -> str:
    return f"requests.{row}.{column}"


def _log_count(rng: random.Random, high: int) -> int:
    """A count spread evenly over orders of magnitude, 1..high."""
    return int(10 ** rng.uniform(0, math.log10(high)))


def _draw_count(rng: random.Random, profile: str, weight: float, scale: int) -> int:
    """One outcome cell: usually 0, a few units in sparse reports, hundreds in busy ones."""
    if profile == "empty":
        return 0
    if profile == "sparse":
        return rng.randint(1, SPARSE_MAX) if rng.random() < weight * 0.6 else 0
    if rng.random() > min(1.0, 0.15 + weight):
        return 0
    return max(1, int(scale * weight * rng.uniform(0.1, 1.2)))


def _fill_requests(values: Values, rng: random.Random, template: str, profile: str) -> None:
    """表三 by column: outcomes first, then 总计, 结转下年度, 上年结转 and 新收 balance them."""
    keys = [row.key for row in request_rows(template)]
    outcomes = [k for k in keys if k not in BALANCE_ROWS]
    scale = rng.choice(BUSY_SCALES)
    for col in APPLICANT_COLUMNS:
        for key in outcomes:
            weight = ROW_WEIGHTS.get(key, DEFAULT_ROW_WEIGHT) * COLUMN_WEIGHTS[col]
            values[_path(key, col)] = _draw_count(rng, profile, weight, scale)
        handled = sum(int(values[_path(k, col)] or 0) for k in outcomes)
        forward = 0
        if profile != "empty" and rng.random() < 0.4:
            forward = int(handled * rng.uniform(0.0, 0.3)) + rng.randint(0, 1)
        carried = 0
        if profile != "empty" and rng.random() < 0.4:
            carried = int((handled + forward) * rng.uniform(0.0, 0.3))
        values[_path("total", col)] = handled
        values[_path("carried_forward", col)] = forward
        values[_path("carried_over", col)] = carried
        values[_path("new_received", col)] = handled + forward - carried
    for key in keys:
        values[_path(key, "total")] = sum(int(values[_path(key, c)] or 0) for c in APPLICANT_COLUMNS)


def _fill_appeals(values: Values, rng: random.Random, profile: str) -> None:
    """表四: per group four results and their 总计."""
    for group in APPEAL_GROUPS:
        active = rng.random() < APPEAL_ACTIVE[profile]
        high = APPEAL_MAX[profile]
        parts = [rng.randint(0, high) if active and rng.random() < 0.6 else 0 for _ in APPEAL_COLUMNS[:-1]]
        for column, value in zip(APPEAL_COLUMNS[:-1], parts, strict=True):
            values[f"appeals.{group}.{column}"] = value
        values[f"appeals.{group}.total"] = sum(parts)


def _fees(rng: random.Random) -> int | float:
    """本年收费金额（万元）: mostly 0, sometimes whole, sometimes up to four decimals."""
    draw = rng.random()
    if draw < 0.55:
        return 0
    if draw < 0.7:
        return _log_count(rng, 5000)
    value = round(10 ** rng.uniform(-1, 3.6), rng.randint(1, 4))
    return int(value) if value == int(value) else value


def _fill_proactive_2021(values: Values, rng: random.Random, profile: str) -> None:
    """表二 (2021): 规章 rare, 规范性文件 a few, 许可/处罚 up to hundreds of thousands."""
    busy = profile == "busy"
    regs = (0, 0, 0)
    if rng.random() < 0.15:
        issued, repealed = rng.randint(0, 3), rng.randint(0, 2)
        regs = (issued, repealed, issued + rng.randint(0, 40))
    issued = rng.randint(0, 12 if busy else 3)
    docs = (issued, rng.randint(0, 4), issued + rng.randint(0, 150 if busy else 20))
    for name, triple in (("regulations", regs), ("normative_documents", docs)):
        for column, value in zip(("issued", "repealed", "in_force"), triple, strict=True):
            values[f"proactive.{name}.{column}"] = value
    for key, chance, high in PROACTIVE_COUNT_DRAWS:
        hit = rng.random() < chance
        values[f"proactive.{key}"] = _log_count(rng, high if busy else high // 100) if hit else 0
    values["proactive.fees_wan_yuan"] = _fees(rng)


def _draw_2019_cell(rng: random.Random, column: str) -> int | float:
    """One cell of the 2019 表二, by what its column counts."""
    if column == "本年增/减":
        return rng.randint(-5, 12) if rng.random() < 0.3 else 0
    if column == "处理决定数量":
        return _log_count(rng, 20000) if rng.random() < 0.5 else 0
    if column == "采购总金额":
        return _fees(rng)
    if column in ("上一年项目数量", "采购项目数量"):
        return rng.randint(0, 120) if rng.random() < 0.6 else 0
    return rng.randint(0, 15) if rng.random() < 0.5 else 0


def _fill_proactive_2019(values: Values, rng: random.Random) -> None:
    for row, columns in PROACTIVE_ROWS_2019:
        for column in columns:
            values[f"{PROACTIVE_2019_PREFIX}{row}.{column}"] = _draw_2019_cell(rng, column)


def _blank_cells(values: Values, rng: random.Random, rate: float) -> None:
    """Blank random cells, as reports that leave zeros (or illegible cells) empty."""
    for key, value in values.items():
        if value is not None and rng.random() < rate:
            values[key] = None


def random_values(rng: random.Random, *, template: str = "2021", blank_rate: float = 0.0) -> Values:
    """Consistent numbers for every table cell of one report (plus 2019 表二 keys when template is 2019).

    The identities of the national template hold before blanking: per 表三 row the six
    applicant columns add up to 总计; 三（七）总计 is the sum of the outcome rows per column;
    一 + 二 = 三（七）总计 + 四 per column; per 表四 group the four results add up to 总计.
    Cells the template lacks are None (2021: ``other_processing``; 2019: the three
    ``other_*`` rows and ``proactive.*``, whose 2019 table travels under ``proactive_2019.``).
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; expected one of {TEMPLATES}")
    values: Values = dict.fromkeys(TABLE_PATHS)
    profile = rng.choices(list(PROFILE_WEIGHTS), weights=list(PROFILE_WEIGHTS.values()))[0]
    _fill_requests(values, rng, template, profile)
    _fill_appeals(values, rng, profile)
    if template == "2021":
        _fill_proactive_2021(values, rng, profile)
    else:
        _fill_proactive_2019(values, rng)
    if blank_rate > 0:
        _blank_cells(values, rng, blank_rate)
    return values


def template_of(values: Values) -> str:
    """Which template a ``random_values`` dict was drawn for."""
    return "2019" if any(k.startswith(PROACTIVE_2019_PREFIX) for k in values) else "2021"


def format_value(value: Value) -> str:
    """A cell value as a report prints it (blank -> empty string, no float artefacts)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


# ================================================================ OCR noise
def _respell_number(match: re.Match[str], rng: random.Random, rate: float, thousands: bool) -> str:
    """A number spelt another way with the same value (full-width, O/l, thousands separators)."""
    number = match.group(0)
    if rng.random() >= rate:
        return number
    whole, dot, frac = number.partition(".")
    after = match.string[match.end():match.end() + 1]
    choices = ["fullwidth"]
    if any(d in DIGIT_LOOKALIKES for d in number):
        choices.append("lookalike")
    if thousands and whole[0] != "0" and int(whole) >= THOUSANDS_MIN and after not in DATE_SUFFIXES:
        choices.append("thousands")
    kind = rng.choice(choices)
    if kind == "fullwidth":
        return number.translate(FULLWIDTH_DIGITS)
    if kind == "lookalike":
        chars = [DIGIT_LOOKALIKES[c] if c in DIGIT_LOOKALIKES and rng.random() < 0.7 else c for c in number]
        return "".join(chars)
    head = len(whole) % 3 or 3
    groups = [whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)]
    return ",".join(groups) + dot + frac


def _confuse(match: re.Match[str], rng: random.Random, rate: float) -> str:
    char = match.group(0)
    return OCR_CONFUSIONS[char] if rng.random() < rate else char


def _stray_space(match: re.Match[str], rng: random.Random, rate: float) -> str:
    run = match.group(0)
    if rng.random() >= rate:
        return run
    cut = rng.randint(1, len(run) - 1)
    return run[:cut] + " " + run[cut:]


def add_ocr_noise(text: str, rng: random.Random, rate: float, *, thousands: bool = True) -> str:
    """OCR-like damage at ``rate`` per eligible character / number, never changing a number's value.

    Numbers may be respelt (full-width digits, ``O`` for 0, ``l`` for 1, ``1,234``); label
    characters may turn into their look-alikes (``OCR_CONFUSIONS``); long CJK runs may get a
    stray space. No digit is ever dropped or added. ``thousands=False`` keeps separators out
    (for layouts whose digit runs are several numbers run together).
    """
    if rate <= 0 or not text:
        return text
    text = _NUMBER_RE.sub(lambda m: _respell_number(m, rng, rate, thousands), text)
    text = _CONFUSABLE_RE.sub(lambda m: _confuse(m, rng, rate), text)
    return _CJK_RUN_RE.sub(lambda m: _stray_space(m, rng, rate), text)


# ================================================================ table model
CellKind = Literal["note", "clause", "header", "label", "value"]


@dataclass
class GridCell:
    """One printed cell at its top-left grid position, with the spans a web page would give it."""

    text: str
    col: int
    kind: CellKind
    rowspan: int = 1
    colspan: int = 1
    blank: bool = False


@dataclass
class Grid:
    """A table as a web page lays it out: rows of cells placed on an ``ncols``-wide grid."""

    name: str
    ncols: int
    rows: list[list[GridCell]]


@dataclass
class _Line:
    """One grid row as a text layout sees it: cell texts and what each cell is."""

    cells: list[str]
    kinds: list[str]

    @property
    def has_values(self) -> bool:
        return any(k in ("value", "blank") for k in self.kinds)

    @property
    def has_blank(self) -> bool:
        return "blank" in self.kinds


Policy = Literal["full", "collapse", "own"]


def grid_lines(grid: Grid, policy: Policy) -> list[_Line]:
    """Grid rows as cell lists.

    ``full``: every grid slot, slots hidden by a span as empty cells (Markdown, some TSV).
    ``collapse``: a rowspan leaves one empty cell per later row, a colspan nothing (Word text).
    ``own``: only the cells that start in the row (blank-line and run-together layouts).
    """
    slots: list[list[tuple[GridCell, int, int] | None]] = [[None] * grid.ncols for _ in grid.rows]
    for r, row in enumerate(grid.rows):
        for cell in row:
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    slots[r + dr][cell.col + dc] = (cell, dr, dc)
    lines: list[_Line] = []
    for row_slots in slots:
        cells: list[str] = []
        kinds: list[str] = []
        for slot in row_slots:
            if slot is None:
                if policy == "full":
                    cells.append("")
                    kinds.append("cover")
                continue
            cell, dr, dc = slot
            if dr == 0 and dc == 0:
                cells.append(cell.text)
                kinds.append("blank" if cell.blank else cell.kind)
            elif policy == "full" or (policy == "collapse" and dr > 0 and dc == 0):
                cells.append("")
                kinds.append("cover")
        lines.append(_Line(cells, kinds))
    return lines


def _value_cell(value: Value, col: int, colspan: int = 1) -> GridCell:
    return GridCell(format_value(value), col, "value", colspan=colspan, blank=value is None)


@dataclass(frozen=True)
class LabelStyle:
    """How one report numbers and punctuates its 表三 row labels."""

    sub: str = "（{}）"
    item: str = "{}."
    punctuated: bool = True
    ascii_punct: bool = False

    @staticmethod
    def random(rng: random.Random) -> LabelStyle:
        return LabelStyle(rng.choice(SUB_NUMBER_STYLES), rng.choice(ITEM_NUMBER_STYLES),
                          rng.random() < 0.85, rng.random() < 0.2)

    def label(self, row: TemplateRow) -> str:
        text = PUNCTUATED_LABELS.get(row.key, row.label) if self.punctuated else row.label
        if self.ascii_punct:
            text = text.replace("（", " (").replace("）", ")").replace("，", ", ")
        return text


def table3_grid(values: Values, template: str, style: LabelStyle) -> Grid:
    """表三 on a 10-column grid: three label columns (三、 / （三） / 1.) and the seven values."""
    rows: list[list[GridCell]] = [
        [GridCell(TABLE3_NOTE, 0, "note", rowspan=3, colspan=3),
         GridCell(APPLICANT_HEADING, 3, "header", colspan=7)],
        [GridCell(REQUEST_COLUMN_LABELS["natural_person"], 3, "header", rowspan=2),
         GridCell(LEGAL_PERSON_HEADING, 4, "header", colspan=5),
         GridCell(REQUEST_COLUMN_LABELS["total"], 9, "header", rowspan=2)],
        [GridCell(REQUEST_COLUMN_LABELS[c], 4 + i, "header") for i, c in enumerate(REQUEST_COLUMNS[1:6])],
    ]
    template_rows = request_rows(template)
    outcomes = [r for r in template_rows if r.key not in BALANCE_ROWS or r.key == "total"]
    top_numbers = iter(CN_NUMERALS)
    sub_number = 0
    item_number = 0
    previous_group = None
    for row in template_rows:
        labels: list[GridCell] = []
        if row.key in ("new_received", "carried_over", "carried_forward"):
            labels.append(GridCell(f"{next(top_numbers)}、{style.label(row)}", 0, "label", colspan=3))
        else:
            if row is outcomes[0]:
                labels.append(GridCell(f"{next(top_numbers)}、{REQUEST_GROUP_LABELS[0]}", 0, "label",
                                       rowspan=len(outcomes)))
            if row.group:
                if row.group != previous_group:
                    sub_number += 1
                    item_number = 0
                    size = sum(1 for r in outcomes if r.group == row.group)
                    sub = style.sub.format(CN_NUMERALS[sub_number - 1]) + row.group
                    labels.append(GridCell(sub, 1, "label", rowspan=size))
                item_number += 1
                labels.append(GridCell(style.item.format(item_number) + style.label(row), 2, "label"))
            else:
                sub_number += 1
                labels.append(GridCell(style.sub.format(CN_NUMERALS[sub_number - 1]) + style.label(row), 1,
                                       "label", colspan=2))
            previous_group = row.group
        rows.append(labels + [_value_cell(values.get(_path(row.key, c)), 3 + i)
                              for i, c in enumerate(REQUEST_COLUMNS)])
    return Grid("表三", 10, rows)


def table4_grid(values: Values) -> Grid:
    """表四 on a 15-column grid: two header levels over 行政复议 and the two 行政诉讼 groups."""
    columns = [APPEAL_COLUMN_LABELS[c] for c in APPEAL_COLUMNS]
    rows: list[list[GridCell]] = [
        [GridCell(APPEAL_GROUP_LABELS["review"][0], 0, "header", colspan=5),
         GridCell(APPEAL_LITIGATION, 5, "header", colspan=10)],
        [GridCell(label, i, "header", rowspan=2) for i, label in enumerate(columns)]
        + [GridCell(APPEAL_GROUP_LABELS["litigation_direct"][0], 5, "header", colspan=5),
           GridCell(APPEAL_GROUP_LABELS["litigation_after_review"][0], 10, "header", colspan=5)],
        [GridCell(label, 5 + i, "header") for i, label in enumerate(columns * 2)],
        [_value_cell(values.get(f"appeals.{g}.{c}"), 5 * gi + ci)
         for gi, g in enumerate(APPEAL_GROUPS) for ci, c in enumerate(APPEAL_COLUMNS)],
    ]
    return Grid("表四", 15, rows)


def _value_row(label: str, cells: Sequence[Value], width: int) -> list[GridCell]:
    """A 表二 row: label, then its values; the last value stretches over any spare columns."""
    row = [GridCell(label, 0, "label")]
    for i, value in enumerate(cells):
        span = width - 1 - i if i == len(cells) - 1 else 1
        row.append(_value_cell(value, 1 + i, span))
    return row


def _header_row(labels: Sequence[str], width: int) -> list[GridCell]:
    row = [GridCell(CONTENT_HEADING, 0, "header")]
    for i, label in enumerate(labels):
        span = width - 1 - i if i == len(labels) - 1 else 1
        row.append(GridCell(label, 1 + i, "header", colspan=span))
    return row


def table2_grid(values: Values, template: str) -> Grid:
    """表二 on a 4-column grid: per clause a heading row, a column-heading row and value rows."""
    rows: list[list[GridCell]] = []
    if template == "2021":
        for clause, headings, indexes in PROACTIVE_2021_BLOCKS:
            rows.append([GridCell(clause, 0, "clause", colspan=4)])
            rows.append(_header_row(headings, 4))
            for i in indexes:
                spec = PROACTIVE_ROWS_2021[i]
                rows.append(_value_row(spec.label, [values.get(f"proactive.{p}") for p in spec.paths], 4))
    else:
        for clause, indexes in PROACTIVE_2019_BLOCKS:
            rows.append([GridCell(clause, 0, "clause", colspan=4)])
            rows.append(_header_row(PROACTIVE_ROWS_2019[indexes[0]][1], 4))
            for i in indexes:
                label, columns = PROACTIVE_ROWS_2019[i]
                cells = [values.get(f"{PROACTIVE_2019_PREFIX}{label}.{c}") for c in columns]
                rows.append(_value_row(label, cells, 4))
    return Grid("表二", 4, rows)


# ================================================================ document model
@dataclass
class Heading:
    level: int  # 1: 一、总体情况; 2: （一）主动公开
    number: int
    title: str


@dataclass
class Para:
    text: str


@dataclass
class TableBlock:
    grid: Grid


Block = Heading | Para | TableBlock


@dataclass
class ReportSpec:
    """What a report says, before any layout prints it."""

    agency: str
    year: int
    template: str
    values: Values
    title: str
    blocks: list[Block]


def random_agency(rng: random.Random) -> str:
    """A plausible, made-up agency name: <place><区|县|市><bureau> or <place><镇人民政府…>."""
    place = rng.choice(PLACES)
    if rng.random() < TOWN_SHARE:
        return place + rng.choice(TOWN_UNITS)
    return place + rng.choice(PLACE_UNITS) + rng.choice(BUREAUS)


def _we(agency: str, rng: random.Random) -> str:
    """How the agency refers to itself in prose."""
    for suffix, word in (("局", "我局"), ("委员会", "我委"), ("办公室", "我办"), ("街道办事处", "本街道")):
        if agency.endswith(suffix):
            return rng.choice((word, "本机关"))
    return "本机关"


def _sentences(rng: random.Random, pool: Sequence[str], k: int, fields: dict[str, object]) -> str:
    """``k`` sentences from ``pool``, skipping any whose number is blank."""
    out = []
    for sentence in rng.sample(list(pool), min(k, len(pool))):
        text = sentence.format(**fields)
        if "None" not in text:
            out.append(text)
    return "".join(out)


def _narrative_fields(values: Values, agency: str, year: int, we: str,
                      rng: random.Random) -> dict[str, object]:
    """What the narrative sentences may name; numbers come from the tables, so prose agrees with them."""
    return {
        "agency": agency, "year": year, "we": we,
        "format_ref": FORMAT_REFERENCES[template_of(values)],
        "new_received": values.get("requests.new_received.total"),
        "carried_over": values.get("requests.carried_over.total"),
        "review_total": values.get("appeals.review.total"),
        "proactive_count": rng.randint(20, 3000),
    }


def make_spec(values: Values, rng: random.Random) -> ReportSpec:
    """Choose agency, year and wording, and build the report's blocks around ``values``."""
    template = template_of(values)
    agency = random_agency(rng)
    year = rng.randint(2019, 2020) if template == "2019" else rng.randint(2021, 2025)
    fields = _narrative_fields(values, agency, year, _we(agency, rng), rng)
    title = rng.choice(TITLE_FORMS).format(agency=agency, year=year)
    blocks: list[Block] = [
        Para(rng.choice(INTRO_SENTENCES).format(**fields) + rng.choice(PERIOD_SENTENCES).format(**fields)
             + rng.choice(CONTACT_SENTENCES).format(**fields)),
        Heading(1, 1, SECTION_TITLES[0][0]),
        Para(rng.choice(OVERVIEW_SENTENCES).format(**fields)),
    ]
    topics = [t for t in OVERVIEW_TOPICS if rng.random() < 0.85] or list(OVERVIEW_TOPICS[:1])
    for number, topic in enumerate(topics, 1):
        blocks.append(Heading(2, number, topic + rng.choice(TOPIC_SUFFIXES)))
        blocks.append(Para(_sentences(rng, TOPIC_SENTENCES[topic], rng.randint(1, 3), fields)))
    style = LabelStyle.random(rng)
    for number, grid in ((2, table2_grid(values, template)), (3, table3_grid(values, template, style)),
                         (4, table4_grid(values))):
        blocks.append(Heading(1, number, rng.choice(SECTION_TITLES[number - 1])))
        blocks.append(TableBlock(grid))
    blocks.append(Heading(1, 5, rng.choice(SECTION_TITLES[4])))
    blocks.append(Para(_sentences(rng, PROBLEM_SENTENCES, rng.randint(1, 2), fields)))
    blocks.append(Para(_sentences(rng, IMPROVEMENT_SENTENCES, rng.randint(1, 2), fields)))
    blocks.append(Heading(1, 6, SECTION_TITLES[5][0]))
    blocks.append(Para(rng.choice(OTHER_SENTENCES).format(**fields)))
    blocks.append(Para(agency))
    blocks.append(Para(f"{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日"))
    return ReportSpec(agency, year, template, values, title, blocks)


# ================================================================ shared text helpers
def display_width(text: str) -> int:
    """Columns a monospaced dump gives the text (CJK and full-width forms count double)."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def _split_header(text: str, sep: str) -> str:
    """A narrow column's header broken in two the way Word prints it ("商业\n企业")."""
    return text[:2] + sep + text[2:] if text in SPLIT_HEADERS else text


def _heading_text(block: Heading, style: int, markdown: bool = False) -> str:
    """A section heading in one of the numbering styles real reports use."""
    if block.level == 1:
        text = f"{CN_NUMERALS[block.number - 1]}、{block.title}"
        return ("## ", "### ", "#### ")[style % 3] + text if markdown else text
    numeral = CN_NUMERALS[block.number - 1]
    forms = (f"（{numeral}）{block.title}", f"({numeral}) {block.title}", f"{block.number}、{block.title}")
    text = forms[style % 3]
    return "### " + text if markdown and style % 2 else text


def _wrap(text: str, width: int) -> list[str]:
    """Break a paragraph into lines of about ``width`` columns, never inside a digit run."""
    lines: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        size = 2 if ord(ch) >= 0x2E80 else 1
        if used + size > width and current and not (current[-1].isdigit() and ch.isdigit()):
            lines.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    if current:
        lines.append("".join(current))
    return lines


LayoutFn = Callable[[ReportSpec, random.Random, float], str | bytes]


def _text_document(spec: ReportSpec, rng: random.Random, table_fn: Callable[[Grid], str], *,
                   markdown: bool = False, before_table: str = "\n", after_table: str = "\n\n",
                   wrap: int | None = None) -> str:
    """The blocks of a report as text, each table printed by ``table_fn``."""
    h1_style, h2_style = rng.randrange(3), rng.randrange(3)
    parts: list[str] = [("# " if markdown else "") + spec.title + "\n\n"]
    for block in spec.blocks:
        if isinstance(block, Heading):
            text = _heading_text(block, h1_style if block.level == 1 else h2_style, markdown)
            parts.append(text + ("\n\n" if markdown else "\n"))
        elif isinstance(block, Para):
            if not block.text:
                continue
            lines = _wrap(block.text, wrap) if wrap else [block.text]
            parts.append("\n".join(lines) + ("\n\n" if markdown else "\n"))
        else:
            parts.append(before_table + table_fn(block.grid) + after_table)
    return "".join(parts)


# ================================================================ layouts: text
def _tab_cells(spec: ReportSpec, rng: random.Random, noise: float) -> str:
    split = rng.random() < 0.7
    nbsp = rng.random() < 0.3

    def table(grid: Grid) -> str:
        out: list[str] = []
        for line in grid_lines(grid, "collapse"):
            for text, kind in zip(line.cells, line.kinds, strict=True):
                if kind == "header" and split:
                    text = _split_header(text, "\n")
                elif kind == "value" and nbsp:
                    text = rng.choice(("\xa0" + text, text + "\xa0", text))
                out.append("\t" + text)
            out.append("")
        return "\n".join(out)

    text = _text_document(spec, rng, table, before_table="", after_table="\n\n\n")
    return add_ocr_noise(text, rng, noise)


def _shift_row(cells: list[str]) -> list[str]:
    """Move a row's leading empty cells to its end (a row that starts at column 0)."""
    lead = 0
    while lead < len(cells) - 1 and cells[lead] == "":
        lead += 1
    return cells[lead:] + [""] * lead


def _tsv(spec: ReportSpec, rng: random.Random, noise: float) -> str:
    def table(grid: Grid) -> str:
        header_policy: Policy = rng.choice(("full", "collapse"))
        data_policy: Policy = rng.choice(("full", "collapse", "collapse"))
        full, collapsed = grid_lines(grid, header_policy), grid_lines(grid, data_policy)
        trailing = rng.random() < 0.4
        split_numbers = rng.random() < 0.3
        spaced_group = rng.random() < 0.3
        lead_empties = rng.randint(1, 5) if grid.name == "表四" and rng.random() < 0.3 else 0
        out: list[str] = []
        for head_line, data_line in zip(full, collapsed, strict=True):
            line = data_line if data_line.has_values else head_line
            cells = list(line.cells)
            if line.has_values and not line.has_blank:
                if rng.random() < 0.08:
                    cells = _shift_row(cells)
                if lead_empties and grid.name == "表四":
                    cells = [""] * lead_empties + cells
            if split_numbers and re.match(r"^[一二四]、", cells[0]):
                cells = [cells[0][:2], cells[0][2:]] + cells[1:]
            if spaced_group and cells[0].endswith(REQUEST_GROUP_LABELS[0]):
                cells[0] = cells[0][:3] + " " + cells[0][3:6] + " " + cells[0][6:]
            out.append("\t".join(cells) + ("\t" if trailing else ""))
        return "\n".join(out)

    text = _text_document(spec, rng, table, before_table="\n", after_table="\n\n")
    return add_ocr_noise(text, rng, noise)


def _md_table(rows: list[list[str]], padded: bool) -> str:
    """Pipe-table text: first row as header, then the separator, then the rest."""
    width = max(len(r) for r in rows)
    widths = [max((display_width(r[i]) for r in rows if i < len(r)), default=1) for i in range(width)]
    out = []
    for n, row in enumerate(rows):
        cells = [_pad(c, widths[i]) if padded else c for i, c in enumerate(row)]
        out.append("| " + " | ".join(cells) + " |")
        if n == 0:
            dashes = ["-" * (max(3, widths[i]) + 2 if padded else 3) for i in range(len(row))]
            out.append("|" + "|".join(dashes) + "|")
    return "\n".join(out)


def _md_ragged(lines: list[_Line], collapsed: list[_Line], rng: random.Random) -> list[list[str]]:
    """Full-grid rows with the raggedness real Markdown exports show (only on rows without blanks)."""
    trail = rng.random() < 0.4
    out: list[list[str]] = []
    for line, short in zip(lines, collapsed, strict=True):
        cells = list(line.cells)
        if line.has_values and not line.has_blank:
            draw = rng.random()
            if draw < 0.15:
                cells = short.cells + [""] * (len(cells) - len(short.cells))
            elif draw < 0.22 and cells[0] == "":
                cells = cells[1:]
            if trail:
                cells.append("")
        out.append(cells)
    return out


def _md_headers(rows: list[list[str]], kinds: list[list[str]], br: bool) -> list[list[str]]:
    if not br:
        return rows
    return [[_split_header(c, "<br>") if k == "header" else c for c, k in zip(r, ks, strict=True)]
            for r, ks in zip(rows, kinds, strict=True)]


def _last_used(cells: list[str], line: _Line) -> int:
    """Cells a row needs: up to its last printed text, or its last blank value cell."""
    printed = max((i + 1 for i, c in enumerate(cells) if c), default=1)
    blanks = max((i + 1 for i, k in enumerate(line.kinds) if k == "blank"), default=0)
    return max(printed, blanks)


def _md_single(grid: Grid, rng: random.Random) -> str:
    """One pipe table (or, for 表二, sometimes two) holding the whole grid."""
    full, collapsed = grid_lines(grid, "full"), grid_lines(grid, "collapse")
    rows = _md_headers([list(line.cells) for line in full], [line.kinds for line in full], rng.random() < 0.6)
    rows = _md_ragged([_Line(r, line.kinds) for r, line in zip(rows, full, strict=True)], collapsed, rng)
    padded = rng.random() < 0.5
    if grid.name == "表二" and rng.random() < 0.4:
        cut = rng.randint(3, len(rows) - 2)
        rest = rows[cut:]
        used = max(_last_used(r, line) for r, line in zip(rest, full[cut:], strict=True))
        rest = [r[:used] + [""] * (used - len(r[:used])) for r in rest]
        return _md_table(rows[:cut], padded) + "\n\n" + _md_table([[""] * used] + rest, padded)
    return _md_table(rows, padded)


_NUMBERING_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]\s*)")


def _md_sectioned(grid: Grid, rng: random.Random) -> str:
    """r007 style: one small table per clause / row group under ``###`` headings."""
    generic = rng.random() < 0.5
    lines = grid_lines(grid, "own")
    if grid.name == "表四":
        values = lines[3].cells
        titles = ("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）")
        header = [APPEAL_COLUMN_LABELS[c] for c in APPEAL_COLUMNS]
        return "\n\n".join(f"### {t}\n" + _md_table([header, values[5 * i:5 * i + 5]], False)
                           for i, t in enumerate(titles))
    if grid.name == "表二":
        chunks: list[str] = []
        body: list[list[str]] = []
        for line in lines:
            if line.kinds[0] == "clause":
                if body:
                    chunks.append(_md_table(body, False))
                chunks.append("### " + line.cells[0])
                body = []
            else:
                body.append(list(line.cells))
        chunks.append(_md_table(body, False))
        return "\n\n".join(chunks)
    columns = [REQUEST_COLUMN_LABELS[c] for c in REQUEST_COLUMNS]
    header = ["类别"] + ([f"数据{i}" for i in range(1, 7)] + ["总计"] if generic else columns)
    chunks = [TABLE3_NOTE]
    body = []
    for row, line in zip(grid.rows[3:], lines[3:], strict=True):
        labels = [c for c in row if c.kind == "label"]
        values = line.cells[len(labels):]
        for cell in labels[:-1]:
            if body:
                chunks.append(_md_table([header] + body, False))
                body = []
            chunks.append("### " + cell.text)
        last = labels[-1]
        if last.colspan > 1 and last.col < 2:
            if body:
                chunks.append(_md_table([header] + body, False))
                body = []
            chunks.append("### " + last.text)
            chunks.append(_md_table([header, [_NUMBERING_RE.sub("", last.text)] + values], False))
        else:
            body.append([last.text] + values)
    if body:
        chunks.append(_md_table([header] + body, False))
    return "\n\n".join(chunks)


def _markdown(spec: ReportSpec, rng: random.Random, noise: float) -> str:
    sectioned = rng.random() < 0.25
    text = _text_document(spec, rng, lambda g: _md_sectioned(g, rng) if sectioned else _md_single(g, rng),
                          markdown=True, before_table="", after_table="\n\n")
    return add_ocr_noise(text, rng, noise)


# Newlines after a cell, after a row (on top of the cell's), after a heading, after a table.
BLANK_LINES_CELL = "\n\n\n"
BLANK_LINES_ROW = "\n\n"


def _blank_lines(spec: ReportSpec, rng: random.Random, noise: float) -> str:
    split = rng.random() < 0.5

    def table(grid: Grid) -> str:
        rows = []
        for line in grid_lines(grid, "own"):
            pairs = zip(line.cells, line.kinds, strict=True)
            cells = [_split_header(c, "\n") if k == "header" and split else c for c, k in pairs]
            rows.append(BLANK_LINES_CELL.join(cells))
        return (BLANK_LINES_CELL + BLANK_LINES_ROW).join(rows)

    text = _text_document(spec, rng, table, before_table="\n\n\n\n\n", after_table="\n\n\n\n\n\n\n")
    return add_ocr_noise(text, rng, noise)


# Blank marks a PDF prints where a cell is empty (parse_number reads each as a blank).
SPACE_BLANK_MARKS: tuple[str, ...] = ("—", "-", "/")
PAGE_LINE_FORMS: tuple[str, ...] = ("- {} -", "第 {} 页", "— {} —")
CLOSING_MARKS = frozenset("）)”，、")


def _space_row(labels: list[str], values: list[str], label_width: int, cell_width: int,
               indent: str) -> list[str]:
    """One row: labels padded to the label column (the last one wrapped), values right-aligned.

    Every value is preceded by at least two spaces, whatever the widths, so a column gap is
    never mistaken for the single stray space OCR leaves inside a label.
    """
    lead = "  ".join(labels[:-1]) + "  " if len(labels) > 1 else ""
    last = labels[-1] if labels else ""
    room = max(4, label_width - display_width(lead))
    cut = len(last)
    while cut > 1 and display_width(last[:cut]) > room:
        cut -= 1
    while 0 < cut < len(last) and last[cut] in CLOSING_MARKS:
        cut += 1  # a closing mark stays with the text it closes
    first, rest = last[:cut], last[cut:]
    cells = "".join("  " + _pad(v, cell_width, right=True) for v in values)
    line = indent + _pad(lead + first, label_width) + cells
    prefix = indent + " " * display_width(lead)
    return [line.rstrip()] + [prefix + chunk for chunk in (_wrap(rest, room) if rest else [])]


def _space_aligned(spec: ReportSpec, rng: random.Random, noise: float) -> str:
    mark = rng.choice(SPACE_BLANK_MARKS)
    indent = " " * rng.randint(0, 4)
    own_line_groups = rng.random() < 0.4

    def table(grid: Grid) -> str:
        label_width = rng.randint(18, 30) if grid.name == "表三" else rng.randint(14, 24)
        cell_width = rng.randint(6, 10)
        out: list[str] = []
        data_rows = [i for i, row in enumerate(grid.rows) if any(c.kind == "value" for c in row)]
        page_at = rng.choice(data_rows[4:-4]) if grid.name == "表三" and rng.random() < 0.5 else -1
        for index, (row, line) in enumerate(zip(grid.rows, grid_lines(grid, "own"), strict=True)):
            if index == page_at:
                page = rng.choice(PAGE_LINE_FORMS).format(rng.randint(2, 9))
                out += ["", " " * rng.randint(20, 40) + page, ""]
                if rng.random() < 0.6:
                    columns = "  ".join(REQUEST_COLUMN_LABELS[c] for c in REQUEST_COLUMNS)
                    out.append(indent + " " * label_width + columns)
            pairs = list(zip(line.cells, line.kinds, strict=True))
            labels = [t for t, k in pairs if k not in ("value", "blank")]
            values = [mark if k == "blank" else t for t, k in pairs if k in ("value", "blank")]
            if not values:
                out.append(indent + "    ".join(labels))
                continue
            if own_line_groups:
                for cell in row:
                    if cell.kind == "label" and cell.rowspan > 1:
                        out.append(indent + cell.text)
                        labels.remove(cell.text)
            out += _space_row(labels, values, label_width, cell_width, indent)
        return "\n".join(out)

    wrap = rng.randint(30, 44) if rng.random() < 0.6 else None
    text = _text_document(spec, rng, table, before_table="\n", after_table="\n\n", wrap=wrap)
    return add_ocr_noise(text, rng, noise)


def _flattened(spec: ReportSpec, rng: random.Random, noise: float) -> str:
    """r015 style; inherently ambiguous (digit runs of several numbers, blanks print nothing)."""
    def table(grid: Grid) -> str:
        return "".join("".join(line.cells) for line in grid_lines(grid, "own"))

    if rng.random() < 0.5:
        pieces = [spec.title]
        for block in spec.blocks:
            if isinstance(block, Heading):
                pieces.append(_heading_text(block, 0))
            elif isinstance(block, Para):
                pieces.append(block.text)
            else:
                pieces.append(table(block.grid))
        text = "\u3000\u3000".join(p for p in pieces if p) + "\n"
    else:
        text = _text_document(spec, rng, table, before_table="", after_table="\n")
    return add_ocr_noise(text, rng, noise, thousands=False)


# ================================================================ layouts: html
HTML_CHARSETS: tuple[str, ...] = ("utf-8", "gbk")
HTML_META_FORMS: tuple[str, ...] = (
    '<meta charset="{}">', '<meta http-equiv="Content-Type" content="text/html; charset={}">',
)
HTML_CELL_WRAPS: tuple[str, ...] = (
    "{}", '<p style="text-align:center;">{}</p>', '<p align="center"><span>{}</span></p>',
)


def _html_table(grid: Grid, rng: random.Random, clean: Callable[[str], str]) -> str:
    br = rng.random() < 0.7
    wrap = rng.choice(HTML_CELL_WRAPS)
    rows = []
    for row in grid.rows:
        tds = []
        for cell in row:
            attrs = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + (
                f' colspan="{cell.colspan}"' if cell.colspan > 1 else "")
            text = clean(cell.text)
            if cell.kind == "header" and br:
                text = _split_header(text, "<br>")
            if cell.blank:
                text = rng.choice(("", "&nbsp;"))
            tds.append(f"<td{attrs}>{wrap.format(text) if text else ''}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return '<table border="1" cellspacing="0" cellpadding="0" width="100%">\n<tbody>\n' + "\n".join(rows) + \
        "\n</tbody>\n</table>"


def _html(spec: ReportSpec, rng: random.Random, noise: float) -> bytes:
    charset = rng.choice(HTML_CHARSETS)

    def clean(text: str) -> str:
        return html_lib.escape(add_ocr_noise(text, rng, noise), quote=False)

    h_style = rng.randrange(3)
    body = [f'<h1 class="title">{clean(spec.title)}</h1>']
    for block in spec.blocks:
        if isinstance(block, Heading):
            text = clean(_heading_text(block, h_style))
            plain = block.level == 2 or not h_style
            body.append(f"<p><strong>{text}</strong></p>" if plain else f"<h3>{text}</h3>")
        elif isinstance(block, Para):
            if block.text:
                body.append(f'<p style="text-indent:2em;">{clean(block.text)}</p>')
        else:
            body.append(_html_table(block.grid, rng, clean))
    meta = rng.choice(HTML_META_FORMS).format(charset)
    page = (f"<!DOCTYPE html>\n<html>\n<head>\n{meta}\n<title>{clean(spec.title)}</title>\n</head>\n<body>\n"
            '<div class="nav">首页 &gt; 政务公开 &gt; 政府信息公开年报</div>\n<div class="article">\n'
            + "\n".join(body) + "\n</div>\n</body>\n</html>\n")
    return page.encode(charset, errors="xmlcharrefreplace")


# ================================================================ layouts: docx
DOCX_TIMESTAMP = (2000, 1, 1, 0, 0, 0)


def _stable_zip(data: bytes) -> bytes:
    """The same zip with fixed member timestamps, so equal documents give equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=DOCX_TIMESTAMP)
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def _docx_cell(text: str, span: int, vmerge: str | None) -> str:
    """One ``w:tc``: the same gridSpan / vMerge markup ``_Cell.merge`` writes, made directly."""
    props = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    if vmerge:
        props += '<w:vMerge w:val="restart"/>' if vmerge == "restart" else "<w:vMerge/>"
    run = f'<w:r><w:t xml:space="preserve">{html_lib.escape(text, quote=False)}</w:t></w:r>' if text else ""
    return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p>{run}</w:p></w:tc>"


def _docx_table_xml(grid: Grid, clean: Callable[[str], str]) -> str:
    """A Word table with merged cells as WordprocessingML.

    Built as markup rather than with ``_Cell.merge``: python-docx re-walks the whole table on
    every merge (about 0.25 s per report), and the markup it would write is exactly this.
    """
    slots: list[list[tuple[GridCell, int, int] | None]] = [[None] * grid.ncols for _ in grid.rows]
    for r, row in enumerate(grid.rows):
        for cell in row:
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    slots[r + dr][cell.col + dc] = (cell, dr, dc)
    rows = []
    for row_slots in slots:
        tcs = []
        for slot in row_slots:
            if slot is None:
                tcs.append(_docx_cell("", 1, None))
                continue
            cell, dr, dc = slot
            if dc:
                continue
            vmerge = None if cell.rowspan == 1 else ("restart" if dr == 0 else "continue")
            tcs.append(_docx_cell(clean(cell.text) if dr == 0 else "", cell.colspan, vmerge))
        rows.append("<w:tr>" + "".join(tcs) + "</w:tr>")
    grid_cols = "".join(f'<w:gridCol w:w="{9000 // grid.ncols}"/>' for _ in range(grid.ncols))
    return ('<w:tbl {}><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr>'
            "<w:tblGrid>{}</w:tblGrid>{}</w:tbl>").format("{ns}", grid_cols, "".join(rows))


def _docx(spec: ReportSpec, rng: random.Random, noise: float) -> bytes:
    import docx  # dev/test dependency only
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    when = _dt.datetime(spec.year + 1, 1, 15, 9, 0, 0)
    props = document.core_properties
    props.author, props.last_modified_by, props.title = spec.agency, spec.agency, spec.title
    props.created, props.modified, props.revision = when, when, 1

    def clean(text: str) -> str:
        return add_ocr_noise(text, rng, noise)

    h_style = rng.randrange(3)
    document.add_paragraph(clean(spec.title), style="Title")
    for block in spec.blocks:
        if isinstance(block, Heading):
            document.add_paragraph().add_run(clean(_heading_text(block, h_style))).bold = True
        elif isinstance(block, Para):
            if block.text:
                document.add_paragraph(clean(block.text))
        else:
            xml = _docx_table_xml(block.grid, clean).replace("{ns}", nsdecls("w"), 1)
            document.element.body._insert_tbl(parse_xml(xml))
    buffer = io.BytesIO()
    document.save(buffer)
    return _stable_zip(buffer.getvalue())


# ================================================================ dispatch
_RENDERERS: dict[str, LayoutFn] = {
    "tab_cells": _tab_cells, "tsv": _tsv, "markdown": _markdown, "blank_lines": _blank_lines,
    "space_aligned": _space_aligned, "flattened": _flattened, "html": _html, "docx": _docx,
}


def render_tab_cells(values: Values, rng: random.Random, noise: float = 0.0) -> str:
    """Seed-000 style text (one cell per tabbed line)."""
    return _tab_cells(make_spec(values, rng), rng, noise)


def render_tsv(values: Values, rng: random.Random, noise: float = 0.0) -> str:
    """Seed-001 style text (tab-separated rows)."""
    return _tsv(make_spec(values, rng), rng, noise)


def render_markdown(values: Values, rng: random.Random, noise: float = 0.0) -> str:
    """Seed-004 / r007 style Markdown pipe tables."""
    return _markdown(make_spec(values, rng), rng, noise)


def render_blank_lines(values: Values, rng: random.Random, noise: float = 0.0) -> str:
    """r009 / r012 style text (cells and rows separated by blank lines)."""
    return _blank_lines(make_spec(values, rng), rng, noise)


def render_space_aligned(values: Values, rng: random.Random, noise: float = 0.0) -> str:
    """pdftotext / OCR style text; blank cells print as a blank mark, never as spaces."""
    return _space_aligned(make_spec(values, rng), rng, noise)


def render_flattened(values: Values, rng: random.Random, noise: float = 0.0) -> str:
    """r015 style run-together text; inherently ambiguous."""
    return _flattened(make_spec(values, rng), rng, noise)


def render_html(values: Values, rng: random.Random, noise: float = 0.0) -> bytes:
    """A government-site HTML page (utf-8 or gbk) with rowspan/colspan tables."""
    return _html(make_spec(values, rng), rng, noise)


def render_docx(values: Values, rng: random.Random, noise: float = 0.0) -> bytes:
    """A Word document with merged table cells (needs python-docx)."""
    return _docx(make_spec(values, rng), rng, noise)


def gold_of(values: Values) -> dict[str, int | float | None]:
    """Exactly the schema's table cells (the 2019 表二 keys left out)."""
    return {path: values.get(path) for path in TABLE_PATHS}


def proactive_2019_of(values: Values) -> dict[str, dict[str, int | float | None]]:
    out: dict[str, dict[str, int | float | None]] = {}
    for key, value in values.items():
        if key.startswith(PROACTIVE_2019_PREFIX):
            row, _, column = key[len(PROACTIVE_2019_PREFIX):].partition(".")
            out.setdefault(row, {})[column] = value
    return out


def render(values: Values, layout: str, rng: random.Random, noise: float = 0.0) -> SynthReport:
    """Print ``values`` as a whole report in ``layout``, with its gold."""
    if layout not in _RENDERERS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
    spec = make_spec(values, rng)
    out = _RENDERERS[layout](spec, rng, noise)
    text, data = (out, None) if isinstance(out, str) else (None, out)
    return SynthReport(text=text, data=data, media_type=MEDIA_TYPES[layout], layout=layout,
                       gold=gold_of(values), agency=spec.agency, year=spec.year, format_version=spec.template,
                       noise=noise, proactive_2019=proactive_2019_of(values))


def generate(n: int, seed: int = 0, *, layouts: Iterable[str] = LAYOUTS,
             noise: float | tuple[float, float] = 0.0, template_mix: float = 0.2,
             blank_rate: float = 0.0) -> Iterator[SynthReport]:
    """``n`` reports, the same ones for the same arguments.

    Each report draws from its own RNG seeded by ``(seed, index)``, so report ``i`` does not
    depend on how many came before it. ``noise`` is a rate or a (low, high) range drawn per
    report; ``template_mix`` is the share of 2019-template reports.
    """
    chosen = tuple(layouts)
    unknown = [name for name in chosen if name not in _RENDERERS]
    if unknown or not chosen:
        raise ValueError(f"unknown layouts {unknown}; expected some of {LAYOUTS}")
    for index in range(n):
        rng = random.Random(f"gongkai.synth:{seed}:{index}")
        layout = chosen[rng.randrange(len(chosen))]
        template = "2019" if rng.random() < template_mix else "2021"
        level = rng.uniform(*noise) if isinstance(noise, tuple) else float(noise)
        values = random_values(rng, template=template, blank_rate=blank_rate)
        yield render(values, layout, rng, level)
