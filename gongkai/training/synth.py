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

The scraped family (``SCRAPED_LAYOUTS``, kept out of ``LAYOUTS`` so the sets that benchmarks,
calibration and round-trip tests draw from stay the same; ``ALL_LAYOUTS`` holds every layout)
is a generator of variants rather than one style. Each report draws its own variant and records
what it drew in ``SynthReport.traits`` (names in ``LAYOUT_TRAITS``, rates in
``SCRAPED_TRAIT_RATES`` / ``SHREDDED_TRAIT_RATES``); a trait is recorded only when the text
shows it. Both record ``after_tables_sentence``, the first sentence of 五、存在的主要问题… as
printed, so a reader can be checked for not swallowing the narrative after the tables.

``scraped``
    r043–r045 style web-archiver text export: an optional 标题/发布时间/… header block and
    正文 marker, the body on one line (paragraphs joined by nothing or \u3000\u3000) or on
    lines; table cells separated by nothing, spaces, NBSP, full-width spaces, tabs or newlines
    (per report, per row, per boundary), the 总计 sometimes set apart (``5800000 58``),
    row labels shortened or lost, sub-row numbering glued to the previous digit
    (``0000002.其他…``), blanks as nothing or a mark, 2019 本年增/减 spelt ``-1``/``+3``/
    ``减12``/``增3``, an extra fee table after 表四, a cover letter, and 五、… glued to the
    last table digit. Ambiguous by nature, like ``flattened``; the gold holds the true values.
``markdown_shredded``
    r005 style PDF-to-Markdown conversion: each table cut into small pipe tables, 表三 row
    labels detached from their values (printed before or after them, maybe wrapped), header
    rows repeated, lost or printed as text, empty rows, page-number lines between fragments.
    Values stay in template order.

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
from typing import Literal, NamedTuple

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
# The scraped family is kept out of LAYOUTS: appending to LAYOUTS would change which layout
# ``generate(layouts=LAYOUTS)`` picks per index (benchmarks, calibration and round-trip tests
# rely on those sets), and the table reader does not read these layouts yet.
SCRAPED_LAYOUTS: tuple[str, ...] = ("scraped", "markdown_shredded")
ALL_LAYOUTS: tuple[str, ...] = LAYOUTS + SCRAPED_LAYOUTS
ALL_TEXT_LAYOUTS: tuple[str, ...] = TEXT_LAYOUTS + SCRAPED_LAYOUTS
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA_TYPES: dict[str, str] = {
    "tab_cells": "text/plain", "tsv": "text/plain", "markdown": "text/markdown", "blank_lines": "text/plain",
    "space_aligned": "text/plain", "flattened": "text/plain", "html": "text/html", "docx": DOCX_MEDIA_TYPE,
    "scraped": "text/plain", "markdown_shredded": "text/markdown",
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
    # What the scraped-family layouts drew for this report (names from LAYOUT_TRAITS); empty otherwise.
    traits: tuple[str, ...] = ()
    # The first sentence of 五、存在的主要问题… as printed (scraped family only), so a test can
    # check that the narrative after the tables is not swallowed by a table reader.
    after_tables_sentence: str | None = None

    @property
    def source_bytes(self) -> bytes:
        """What a reader would be handed: ``data``, or ``text`` as UTF-8."""
        return self.data if self.data is not None else (self.text or "").encode("utf-8")


class Printed(NamedTuple):
    """A layout's text with what it drew: layouts of the scraped family report their traits."""

    text: str
    traits: tuple[str, ...]
    after_tables_sentence: str | None


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


# What a blank cell stands for: "any" cell (a zero left empty, or an illegible number: the sums
# may break), or "zeros" only (an HTML table's empty cells: the sums hold with blanks read as 0).
BLANK_KINDS = ("any", "zeros")


def _blank_cells(values: Values, rng: random.Random, rate: float, kind: str = "any") -> None:
    """Blank random cells, as reports that leave zeros (or illegible cells) empty."""
    for key, value in values.items():
        if value is not None and (kind == "any" or value == 0) and rng.random() < rate:
            values[key] = None


def random_values(rng: random.Random, *, template: str = "2021", blank_rate: float = 0.0,
                  blanks: str = "any") -> Values:
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
    if blanks not in BLANK_KINDS:
        raise ValueError(f"unknown blanks {blanks!r}; expected one of {BLANK_KINDS}")
    if blank_rate > 0:
        _blank_cells(values, rng, blank_rate, blanks)
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


LayoutFn = Callable[[ReportSpec, random.Random, float], str | bytes | Printed]


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


# ================================================================ layouts: the scraped family
# Trait names each scraped-family report may record (``SynthReport.traits``), as data so tests and
# benchmarks can slice results by trait. A trait is recorded only when the text really shows it.
SEPARATOR_TRAITS: tuple[str, ...] = (
    "sep_none", "sep_space", "sep_multi_space", "sep_nbsp", "sep_fullwidth", "sep_tab", "sep_newline",
)
SCRAPED_TRAITS: tuple[str, ...] = SEPARATOR_TRAITS + (
    "total_apart", "label_short", "label_lost", "numbering_glued", "blank_nothing", "blank_mark", "all_zero",
    "template_2019", "signed_change", "extra_table", "cover_letter", "archive_header", "one_line",
    "prose_after_table",
)
SHREDDED_TRAITS: tuple[str, ...] = (
    "label_detached", "label_after_values", "label_wrapped", "header_repeated", "header_lost", "header_as_text",
    "empty_rows", "page_numbers", "trailing_cell", "caption", "blank_nothing", "all_zero", "template_2019",
    "blank_dropped", "prose_before_table",
)
LAYOUT_TRAITS: dict[str, tuple[str, ...]] = {"scraped": SCRAPED_TRAITS, "markdown_shredded": SHREDDED_TRAITS}

# What each separator trait prints between two cells.
SEPARATORS: dict[str, tuple[str, ...]] = {
    "sep_none": ("",), "sep_space": (" ",), "sep_multi_space": ("  ", "   ", "    "), "sep_nbsp": ("\xa0",),
    "sep_fullwidth": ("\u3000",), "sep_tab": ("\t",), "sep_newline": ("\n",),
}
# Per-report chance of each drawn trait of the scraped layout (the other traits follow from the
# numbers: blanks come from ``blank_rate``, all-zero tables from the "empty" number profile,
# which gives about a third of reports; template_2019 from ``template_mix``).
SCRAPED_TRAIT_RATES: dict[str, float] = {
    "archive_header": 0.5,     # the archiver's 标题/发布时间/… block and 正文 marker before the body
    "one_line": 0.7,           # the whole body on one line (else one line per paragraph / table row)
    "cover_letter": 0.15,      # the report inside a short cover letter
    "extra_table": 0.25,       # a fee table after 表四 whose numbers are not in the gold
    "prose_after_table": 0.5,  # 五、存在的主要问题… glued to the last digit of the tables
    "label_short": 0.3,        # some row labels shortened (本年新收, 部分公开)
    "label_lost": 0.15,        # some 表三 sub-row labels lost (values follow the previous values)
    "numbering_glued": 0.5,    # sub-row numbering glued to the previous row's last digit
    "total_apart": 0.3,        # some 表三 rows run together with the 总计 set apart
    "signed_change": 0.7,      # 2019 表二 本年增/减 spelt with explicit signs (+3, 增3, 减12)
    "blank_mark": 0.5,         # blank cells print as a mark (else as nothing)
}
# Whitespace separator kinds a report uses (a primary one, sometimes a second one).
SCRAPED_WHITESPACE_WEIGHTS: dict[str, float] = {
    "sep_space": 0.55, "sep_multi_space": 0.12, "sep_nbsp": 0.1, "sep_fullwidth": 0.1, "sep_tab": 0.06,
    "sep_newline": 0.07,
}
SECOND_WHITESPACE_RATE = 0.35
# Per-row separator profiles, one mix drawn per report: r043-like (run together), r044-like
# (spaced, now and then glued), and in between.
ROW_PROFILE_MIXES: tuple[dict[str, float], ...] = (
    {"glued": 0.85, "mixed": 0.15},
    {"spaced": 0.55, "mixed": 0.45},
    {"spaced": 0.2, "glued": 0.3, "mixed": 0.5},
    {"spaced": 1.0},
)
MIXED_GLUE_RATE = 0.4          # a boundary in a "mixed" row prints nothing
TOTAL_APART_ROW_SHARE = 0.6    # of eligible 表三 rows in a total_apart report
LABEL_SHORT_ROW_SHARE = 0.7    # of shortenable rows in a label_short report
LABEL_LOST_ROW_SHARE = 0.3     # of losable rows in a label_lost report (at least one)
SIGNED_POSITIVE_RATE = 0.6     # a positive 本年增/减 spelt with its sign in a signed_change report
LABEL_SPACE_RATES: tuple[float, ...] = (0.0, 0.2, 0.8)  # space between labels / label and value
# Row boundaries (last value -> next row's label): one mix per report, by body style.
ROW_BREAK_MIXES: dict[bool, tuple[dict[str, float], ...]] = {
    True: ({"": 0.8, " ": 0.2}, {"": 0.4, " ": 0.6}),
    False: ({"": 0.6, " ": 0.2, "\n": 0.2}, {"\n": 0.8, "": 0.2}, {" ": 0.5, "\n": 0.5}),
}
ONE_LINE_JOINERS: tuple[str, ...] = ("", "\u3000\u3000", " ")
ONE_LINE_JOINER_SWAP = 0.2     # a paragraph boundary uses another joiner than the report's own
ARCHIVE_BODY_TITLE_RATE = 0.5  # with an archive header, the body repeats the title
TITLE_SPACE_RATE = 0.5         # a repeated title has a space between agency and year (r045)
SCRAPED_BLANK_MARKS: tuple[str, ...] = ("-", "—", "/")
# "-" would read as a sign next to a 2019 本年增/减 value, so 2019 reports use only these.
SCRAPED_BLANK_MARKS_2019: tuple[str, ...] = ("—", "/")
SCRAPED_ITEM_STYLES: tuple[str, ...] = ("{}.", "{}、", "（{}）")
# 本年增/减 spellings: (positive, negative).
SIGNED_FORMS: tuple[tuple[str, str], ...] = (("+{}", "-{}"), ("增{}", "减{}"), ("+{}", "减{}"))
CHANGE_COLUMN = "本年增/减"
SIGN_CHARS = "+-增减"
# Shortened row labels that real scraped reports print (the label without its tail or parenthesis).
SHORT_LABELS: dict[str, str] = {
    "new_received": "本年新收", "carried_over": "上年结转", "partially_granted": "部分公开",
    "carried_forward": "结转下年度", "other_overdue_correction": "逾期不补正",
    "other_overdue_fee": "逾期未按收费通知要求缴纳费用",
}
# 表三 sub-rows whose label may be lost ("其他" is left out: it is also a column header).
LOSABLE_ROWS: frozenset[str] = frozenset(
    row.key for row in REQUEST_ROWS if row.group and row.key != "other_other"
)
# Extra tables printed after 表四: (title, header cells, row labels); the last column is the sum.
EXTRA_TABLES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("收取信息处理费情况", ("项目", "按件计收", "按量计收", "合计"), ("收费件数（件）", "收费金额（元）")),
    ("政府信息公开专栏发布情况", ("栏目", "法定主动公开内容", "其他公开内容", "合计"),
     ("发布信息数（条）", "更新栏目数（个）")),
)
EXTRA_TABLE_NONZERO_RATE = 0.3
EXTRA_TABLE_MAX = 400
# Cover letter: addressee, one sentence, and a signature before the title or at the very end.
COVER_ADDRESSEES: tuple[str, ...] = (
    "{place}{unit}人民政府办公室", "{place}{unit}政务公开工作领导小组办公室", "{place}{unit}政务服务数据管理局",
)
COVER_SENTENCES: tuple[str, ...] = (
    "现将我单位{year}年政府信息公开工作年度报告报送如下，请审阅。",
    "根据有关工作要求，现将本机关{year}年度政府信息公开工作年度报告报送如下。",
    "按照年度报告编制工作安排，现将我单位{year}年政府信息公开工作情况报告呈报如下，请予审核。",
)
COVER_CLOSINGS: tuple[str, ...] = ("特此报告。", "")
COVER_SIGNATURE_BEFORE_TITLE = 0.5
# The web archiver's header block (field names as such exports print them; values made up).
ARCHIVE_COLUMNS: tuple[str, ...] = ("政府信息公开年报", "年度报告", "政务公开")
ARCHIVE_URL = "https://www.example.gov.cn/zwgk/zfxxgknb/{y}{m:02d}/t{y}{m:02d}{d:02d}_{n}.html"
ARCHIVE_MARKER = "{} 正文 {}"
ARCHIVE_MARKER_WIDTHS: tuple[int, ...] = (19, 20)
ARCHIVE_OPTIONAL_FIELD_RATE = 0.7

_PREFIX_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]\s*|(\d+)(?:\.\s?|、))")
_SIGNED_START_RE = re.compile(r"^[+\-增减]?\d")


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    """One key of ``weights`` drawn in proportion to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _first_sentence(text: str) -> str:
    """Up to and including the first 。 (the whole text when there is none)."""
    end = text.find("。")
    return text if end < 0 else text[:end + 1]


def _all_zero(values: Values, template: str) -> bool:
    """Whether every 表三 and 表四 cell the template has is a printed 0 (no blanks)."""
    cells = [values.get(_path(row.key, c)) for row in request_rows(template) for c in REQUEST_COLUMNS]
    cells += [values.get(f"appeals.{g}.{c}") for g in APPEAL_GROUPS for c in APPEAL_COLUMNS]
    return all(v == 0 for v in cells)


def _restyle_label(text: str, key: str, short: bool, item_style: str | None) -> str:
    """A 表三 row label with its numbering kept (or respelt for items) and its text maybe shortened."""
    match = _PREFIX_RE.match(text)
    prefix, rest = (match.group(0), text[match.end():]) if match else ("", text)
    if match and match.group(1) and item_style:
        prefix = item_style.format(match.group(1))
    return prefix + (SHORT_LABELS[key] if short else rest)


@dataclass
class _Item:
    """One printed cell of a scraped table, in reading order."""

    text: str
    kind: Literal["header", "label", "value", "blank"]
    row: int
    numbered: bool = False  # a label that starts with an item number (1. / 1、 / （1）)
    total: bool = False     # 表三's 总计 column


@dataclass
class _ScrapedStyle:
    """Per-report draws of the scraped layout; rows and boundaries draw from these."""

    rng: random.Random
    template: str
    one_line: bool
    palette: tuple[str, ...]
    row_mix: dict[str, float]
    row_break: dict[str, float]
    label_space: float
    total_apart: bool
    numbering_glued: bool
    item_style: str
    short_labels: bool
    lost_rows: frozenset[str]
    blank_mark: str | None
    signs: tuple[str, str]
    traits: set[str] = field(default_factory=set)

    @staticmethod
    def draw(rng: random.Random, template: str, one_line: bool) -> _ScrapedStyle:
        rates = SCRAPED_TRAIT_RATES
        kinds = {k: w for k, w in SCRAPED_WHITESPACE_WEIGHTS.items() if not (one_line and k == "sep_newline")}
        palette = [_weighted(rng, kinds)]
        if rng.random() < SECOND_WHITESPACE_RATE:
            palette.append(_weighted(rng, kinds))
        lost: frozenset[str] = frozenset()
        if rng.random() < rates["label_lost"]:
            keys = [r.key for r in request_rows(template) if r.key in LOSABLE_ROWS]
            chosen = {k for k in keys if rng.random() < LABEL_LOST_ROW_SHARE}
            lost = frozenset(chosen or {rng.choice(keys)})
        marks = SCRAPED_BLANK_MARKS_2019 if template == "2019" else SCRAPED_BLANK_MARKS
        blank_mark = rng.choice(marks) if rng.random() < rates["blank_mark"] else None
        signs = rng.choice(SIGNED_FORMS) if rng.random() < rates["signed_change"] else ("{}", "-{}")
        return _ScrapedStyle(
            rng=rng, template=template, one_line=one_line, palette=tuple(dict.fromkeys(palette)),
            row_mix=rng.choice(ROW_PROFILE_MIXES), row_break=rng.choice(ROW_BREAK_MIXES[one_line]),
            label_space=rng.choice(LABEL_SPACE_RATES), total_apart=rng.random() < rates["total_apart"],
            numbering_glued=rng.random() < rates["numbering_glued"], item_style=rng.choice(SCRAPED_ITEM_STYLES),
            short_labels=rng.random() < rates["label_short"], lost_rows=lost, blank_mark=blank_mark, signs=signs,
        )

    def whitespace(self) -> tuple[str, str]:
        kind = self.rng.choice(self.palette)
        return kind, self.rng.choice(SEPARATORS[kind])

    def small_gap(self) -> str:
        """Between two labels, two header cells, or a label and its first value."""
        return " " if self.rng.random() < self.label_space else ""

    def row_plan(self, table: str, values: list[_Item]) -> tuple[str, str]:
        """A row's separator profile and the whitespace kind of its spaced boundaries."""
        eligible = (table == "表三" and self.total_apart and len(values) == len(REQUEST_COLUMNS)
                    and all(v.kind == "value" for v in values))
        if eligible and self.rng.random() < TOTAL_APART_ROW_SHARE:
            profile = "total_apart"
        else:
            profile = _weighted(self.rng, self.row_mix)
        return profile, self.rng.choice(self.palette)

    def value_sep(self, profile: str, spaced_kind: str, nxt: _Item) -> tuple[str, str]:
        """The separator between two value cells of one row, by the row's profile."""
        if profile == "glued" or (profile == "total_apart" and not nxt.total):
            return "sep_none", ""
        if profile == "spaced" or profile == "total_apart":
            return spaced_kind, self.rng.choice(SEPARATORS[spaced_kind])
        if self.rng.random() < MIXED_GLUE_RATE:
            return "sep_none", ""
        return self.whitespace()

    def row_sep(self, prev: _Item, nxt: _Item) -> tuple[str, str]:
        """Between the last cell of a row and the first of the next."""
        if self.numbering_glued and prev.kind in ("value", "blank") and nxt.numbered:
            return "sep_none", ""
        sep = _weighted(self.rng, self.row_break)
        return {"": "sep_none", " ": "sep_space", "\n": "sep_newline"}[sep], sep

    def value_text(self, value: str, column: str) -> str:
        """A value as printed; 2019 本年增/减 changes may carry a sign or 增/减."""
        if column != CHANGE_COLUMN or not re.fullmatch(r"-?\d+", value) or int(value) == 0:
            return value
        number = int(value)
        if number < 0:
            return self.signs[1].format(-number)
        return self.signs[0].format(number) if self.rng.random() < SIGNED_POSITIVE_RATE else value


def _scraped_items(grid: Grid, style: _ScrapedStyle) -> list[_Item]:
    """The cells of ``grid`` in reading order, labels restyled, blanks and signs spelt per report."""
    items: list[_Item] = []
    keys = [row.key for row in request_rows(style.template)] if grid.name == "表三" else []
    columns_2019 = dict(PROACTIVE_ROWS_2019) if style.template == "2019" and grid.name == "表二" else {}
    data_row = 0
    for r, (row, line) in enumerate(zip(grid.rows, grid_lines(grid, "own"), strict=True)):
        if not line.has_values:
            items += [_Item(text, "header", r) for text in line.cells if text]
            continue
        labels = [cell for cell in row if cell.kind != "value"]
        values = [cell for cell in row if cell.kind == "value"]
        key = keys[data_row] if keys else ""
        data_row += 1
        for cell in labels:
            text, own, item = cell.text, cell is labels[-1], cell.col == 2
            if keys and own:
                if item and key in style.lost_rows:
                    style.traits.add("label_lost")
                    continue
                short = (style.short_labels and key in SHORT_LABELS
                         and style.rng.random() < LABEL_SHORT_ROW_SHARE)
                if short:
                    style.traits.add("label_short")
                text = _restyle_label(text, key, short, style.item_style if item else None)
            items.append(_Item(text, "label", r, numbered=bool(keys) and own and item))
        columns = columns_2019.get(labels[0].text, ()) if labels else ()
        for i, cell in enumerate(values):
            total = bool(keys) and i == len(REQUEST_COLUMNS) - 1
            if cell.blank:
                style.traits.add("blank_mark" if style.blank_mark else "blank_nothing")
                items.append(_Item(style.blank_mark or "", "blank", r, total=total))
                continue
            text = style.value_text(cell.text, columns[i] if i < len(columns) else "")
            if text and text[0] in SIGN_CHARS:
                style.traits.add("signed_change")
            items.append(_Item(text, "value", r, total=total))
    return items


def _scraped_join(items: list[_Item], style: _ScrapedStyle, table: str) -> str:
    """The cells run together with per-row, per-boundary separators; records what shows."""
    plans: dict[int, tuple[str, str]] = {}
    for row in dict.fromkeys(item.row for item in items):
        values = [item for item in items if item.row == row and item.kind in ("value", "blank")]
        if values:
            plans[row] = style.row_plan(table, values)
    out = [items[0].text] if items else []
    for prev, nxt in zip(items, items[1:]):
        if nxt.row != prev.row:
            kind, sep = style.row_sep(prev, nxt)
        elif nxt.kind in ("value", "blank") and prev.kind in ("value", "blank"):
            profile, spaced = plans[nxt.row]
            kind, sep = style.value_sep(profile, spaced, nxt)
            if profile == "total_apart" and nxt.total:
                style.traits.add("total_apart")
        else:
            sep = style.small_gap()
            kind = "sep_space" if sep else "sep_none"
        digit_before = prev.kind == "value" and prev.text[-1:].isdigit()
        if digit_before and nxt.kind == "value" and _SIGNED_START_RE.match(nxt.text):
            if kind != "sep_none" or nxt.text[0].isdigit():
                style.traits.add(kind)
        if digit_before and nxt.numbered and sep == "":
            style.traits.add("numbering_glued")
        out += [sep, nxt.text]
    return "".join(out)


def _extra_grid(rng: random.Random) -> Grid:
    """A small table of numbers that belong to no template cell (a fee table or the like)."""
    title, headers, labels = rng.choice(EXTRA_TABLES)
    rows = [[GridCell(title, 0, "clause", colspan=len(headers))],
            [GridCell(h, i, "header") for i, h in enumerate(headers)]]
    for label in labels:
        parts = [rng.randint(1, EXTRA_TABLE_MAX) if rng.random() < EXTRA_TABLE_NONZERO_RATE else 0
                 for _ in headers[1:-1]]
        rows.append([GridCell(label, 0, "label")]
                    + [_value_cell(v, 1 + i) for i, v in enumerate([*parts, sum(parts)])])
    return Grid("附表", len(headers), rows)


def _archive_header(spec: ReportSpec, rng: random.Random) -> str:
    """The header block a web archiver writes before the page text (made-up values)."""
    y, m, d = spec.year + 1, rng.randint(1, 3), rng.randint(1, 28)
    fields = [f"标题: {spec.title}", f"发布时间: {y}-{m:02d}-{d:02d} {rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}"]
    if rng.random() < ARCHIVE_OPTIONAL_FIELD_RATE:
        fields.append("文号: ")
    fields.append(f"发布机构: {spec.agency}")
    if rng.random() < ARCHIVE_OPTIONAL_FIELD_RATE:
        fields.append(f"栏目: {rng.choice(ARCHIVE_COLUMNS)}")
    fields.append("原文链接: " + ARCHIVE_URL.format(y=y, m=m, d=d, n=rng.randint(10000, 99999)))
    width = rng.choice(ARCHIVE_MARKER_WIDTHS)
    fields.append(ARCHIVE_MARKER.format("=" * 20, "=" * width))
    return "\n".join(fields) + "\n"


def _cover_letter(spec: ReportSpec, rng: random.Random) -> tuple[list[str], list[str]]:
    """A short cover letter: the pieces before the title and those after the report."""
    addressee = rng.choice(COVER_ADDRESSEES).format(place=rng.choice(PLACES), unit=rng.choice(PLACE_UNITS))
    before = [addressee + "：", rng.choice(COVER_SENTENCES).format(year=spec.year)]
    signature = [spec.agency, f"{spec.year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日"]
    closing = [c for c in (rng.choice(COVER_CLOSINGS),) if c]
    if rng.random() < COVER_SIGNATURE_BEFORE_TITLE:
        return before + closing + signature, []
    return before, closing + signature


@dataclass
class _Piece:
    """A paragraph-level piece of a scraped body and the joiner printed before it."""

    text: str
    table: bool = False
    joiner: str | None = None


def _scraped(spec: ReportSpec, rng: random.Random, noise: float) -> Printed:
    """A web archiver's text export of a report page (r043–r045 and kin), drawn as a family.

    Separators between cells vary per report, per row and per boundary; labels may be shortened
    or lost; the body may be one line; a cover letter, an archive header, an extra table and
    prose glued to the last table digit may appear. ``traits`` says which of these show.
    """
    rates = SCRAPED_TRAIT_RATES
    one_line = rng.random() < rates["one_line"]
    style = _ScrapedStyle.draw(rng, spec.template, one_line)
    traits = style.traits
    header = _archive_header(spec, rng) if rng.random() < rates["archive_header"] else ""
    letter_before, letter_after = _cover_letter(spec, rng) if rng.random() < rates["cover_letter"] else ([], [])
    extra = _extra_grid(rng) if rng.random() < rates["extra_table"] else None
    glue_prose = rng.random() < rates["prose_after_table"]
    joiner = rng.choice(ONE_LINE_JOINERS) if one_line else rng.choice(("\n", "\n", "\n\n"))
    h2_style = rng.randrange(3)

    pieces = [_Piece(text) for text in letter_before]
    if not header or letter_before or rng.random() < ARCHIVE_BODY_TITLE_RATE:
        title = spec.title
        if header and rng.random() < TITLE_SPACE_RATE:
            title = title.replace(spec.agency, spec.agency + " ", 1)
        pieces.append(_Piece(title))
    last_table = after_index = -1
    after_sentence: str | None = None
    for block in spec.blocks:
        if isinstance(block, Heading):
            glued = block.level == 1 and block.number == 5 and glue_prose
            pieces.append(_Piece(_heading_text(block, 0 if block.level == 1 else h2_style),
                                 joiner=rng.choice(("", " ")) if glued else None))
            if block.level == 1 and block.number == 5:
                after_index = len(pieces)
        elif isinstance(block, Para):
            if block.text:
                glued = len(pieces) == after_index and glue_prose
                pieces.append(_Piece(block.text, joiner="" if glued else None))
        else:
            pieces.append(_Piece(_scraped_join(_scraped_items(block.grid, style), style, block.grid.name), True))
            last_table = len(pieces) - 1
            if block.grid.name == "表四" and extra is not None:
                traits.add("extra_table")
                pieces.append(_Piece(_scraped_join(_scraped_items(extra, style), style, extra.name), True))
                last_table = len(pieces) - 1
    pieces += [_Piece(text) for text in letter_after]
    if letter_before:
        traits.add("cover_letter")

    # Joiners are drawn before any noise, so a report's layout does not depend on its noise level.
    joiners = [""]
    for index, piece in enumerate(pieces[1:], 1):
        sep = piece.joiner
        if sep is None:
            swap = one_line and rng.random() < ONE_LINE_JOINER_SWAP
            sep = rng.choice(ONE_LINE_JOINERS) if swap else joiner
        if index == last_table + 1 and re.search(r"\d$", pieces[last_table].text) and sep in ("", " "):
            traits.add("prose_after_table")
        joiners.append(sep)
    body: list[str] = []
    for index, (piece, sep) in enumerate(zip(pieces, joiners, strict=True)):
        body.append(sep)
        text = add_ocr_noise(piece.text, rng, noise, thousands=not piece.table)
        if index == after_index:
            after_sentence = _first_sentence(text)
        body.append(text)
    text = "".join(body) + "\n"
    if one_line:
        assert "\n" not in text[:-1], "a one-line body holds no line break"
        traits.add("one_line")
    if header:
        traits.add("archive_header")
    if spec.template == "2019":
        traits.add("template_2019")
    if _all_zero(spec.values, spec.template):
        traits.add("all_zero")
    return Printed(header + text, tuple(t for t in SCRAPED_TRAITS if t in traits), after_sentence)


# ---------------------------------------------------------------- markdown_shredded (r005 style)
# Per-report chance of each drawn trait of the shredded layout.
SHREDDED_TRAIT_RATES: dict[str, float] = {
    "label_detached": 0.7,      # some 表三 row labels printed apart from their values
    "label_after_values": 0.5,  # of those reports: the labels come after the values' fragment
    "label_wrapped": 0.5,       # detached labels broken over lines
    "empty_rows": 0.3,          # rows of empty cells inside fragments
    "page_numbers": 0.4,        # page-number lines between fragments
    "trailing_cell": 0.3,       # rows with an extra empty last cell
    "caption": 0.5,             # a "## 表三：…" line before a table's first fragment
    "blank_dropped": 0.4,       # a blank cell left out of its row (fewer cells than the header: r006)
    "prose_before_table": 0.3,  # a paragraph between 二、主动公开… and 表二 naming its rows and counts,
                                # and 表二's clause lines (第二十条第（一）项 …) lost
}
# What that paragraph says (2021 template): the table's own 本年制发 and 现行有效 counts, in prose
# that names the rows, so a reader that takes the first mention of 规章 reads the prose as the row.
PROSE_BEFORE_T2_FORMS: tuple[str, ...] = (
    "全年主动公开市政府规章{a}件、行政规范性文件{b}件。",
    "本年度新制发规章{a}件，规范性文件{b}件，均已在门户网站集中公开。",
    "现行有效规章{c}件、行政规范性文件{d}件，本年新制发规章{a}件。",
)
# How a report prints table header rows (one mode per report).
SHREDDED_HEADER_MODES: dict[str, float] = {
    "header_as_text": 0.35, "header_repeated": 0.25, "header_lost": 0.2, "header_once": 0.2,
}
SHREDDED_FRAGMENT_ROWS: tuple[int, int] = (1, 4)
DETACHED_ROW_SHARE = 0.5
LABEL_WRAP_WIDTHS: tuple[int, int] = (12, 24)   # display columns of a wrapped detached label
PROSE_WRAP_WIDTHS: tuple[int, int] = (28, 44)
PROSE_WRAP_RATE = 0.6
EMPTY_ROW_SHARE = 0.35      # of fragments in an empty_rows report
PAGE_LINE_SHARE = 0.3       # of fragment boundaries in a page_numbers report
TRAILING_ROW_SHARE = 0.6    # of rows in a trailing_cell report
FIRST_TABLE_PAGE: tuple[int, int] = (2, 4)  # page number of the first page line
TABLE_CAPTIONS: dict[str, str] = {
    "表二": "表二：主动公开政府信息情况", "表三": "表三：收到和处理政府信息公开申请情况",
    "表四": "表四：政府信息公开行政复议、行政诉讼情况",
}


@dataclass
class _ShredStyle:
    """Per-report draws of the shredded layout."""

    rng: random.Random
    header_mode: str
    detach: bool
    labels_after: bool
    wrap: int | None
    empty_rows: bool
    page_numbers: bool
    trailing: bool
    caption: bool
    blank_dropped: bool = False
    clauses_lost: bool = False  # 表二's 第二十条第（…）项 lines not printed (set with prose_before_table)
    page: int = 1
    traits: set[str] = field(default_factory=set)

    @staticmethod
    def draw(rng: random.Random) -> _ShredStyle:
        rates = SHREDDED_TRAIT_RATES
        detach = rng.random() < rates["label_detached"]
        return _ShredStyle(
            rng=rng, header_mode=_weighted(rng, SHREDDED_HEADER_MODES), detach=detach,
            labels_after=detach and rng.random() < rates["label_after_values"],
            wrap=rng.randint(*LABEL_WRAP_WIDTHS) if rng.random() < rates["label_wrapped"] else None,
            empty_rows=rng.random() < rates["empty_rows"], page_numbers=rng.random() < rates["page_numbers"],
            trailing=rng.random() < rates["trailing_cell"], caption=rng.random() < rates["caption"],
            blank_dropped=rng.random() < rates["blank_dropped"], page=rng.randint(*FIRST_TABLE_PAGE),
        )


def _column_header(grid: Grid, header_rows: list[_Line]) -> list[str]:
    """The one pipe header row a fragment repeats: the columns of the table (or of a 表二 block)."""
    if grid.name == "表三":
        return [APPLICANT_HEADING] + [REQUEST_COLUMN_LABELS[c] for c in REQUEST_COLUMNS]
    if grid.name == "表四":
        return [APPEAL_COLUMN_LABELS[c] for c in APPEAL_COLUMNS] * len(APPEAL_GROUPS)
    return list(header_rows[-1].cells)


def _shred_table(grid: Grid, style: _ShredStyle) -> str:
    """One table as r005 prints it: small pipe tables, labels apart from values, page lines between."""
    rng = style.rng
    out: list[str] = [f"## {TABLE_CAPTIONS[grid.name]}"] if style.caption else []
    if style.caption:
        style.traits.add("caption")
    header_rows: list[_Line] = []
    column_header: list[str] | None = None
    fragment: list[tuple[list[str], list[str], bool, bool]] = []
    target = rng.randint(*SHREDDED_FRAGMENT_ROWS)
    fragments_done = 0

    def flush() -> None:
        nonlocal fragment, target, fragments_done
        if not fragment:
            return
        rows: list[list[str]] = []
        label_lines: list[str] = []
        for labels, values, detachable, dropped in fragment:
            cells = list(values)
            if detachable and style.detach and rng.random() < DETACHED_ROW_SHARE:
                style.traits.add("label_detached")
                for label in labels:
                    lines = _wrap(label, style.wrap) if style.wrap else [label]
                    if len(lines) > 1:
                        style.traits.add("label_wrapped")
                    label_lines += lines
            else:
                cells = labels + cells
            # A converter that leaves empty cells out does not add one at the end of that row.
            if style.trailing and not dropped and rng.random() < TRAILING_ROW_SHARE and values and values[-1]:
                style.traits.add("trailing_cell")
                cells.append("")
            rows.append(cells)
        if column_header and (style.header_mode == "header_repeated" or fragments_done == 0):
            rows.insert(0, list(column_header))
        if style.empty_rows and len(rows) > 1 and rng.random() < EMPTY_ROW_SHARE:
            style.traits.add("empty_rows")
            rows.insert(rng.randint(1, len(rows)), [""] * len(rows[-1]))
        if label_lines and style.labels_after:
            style.traits.add("label_after_values")
        table = _md_table(rows, False)
        block = [table, "\n".join(label_lines)] if style.labels_after else ["\n".join(label_lines), table]
        out.extend(b for b in block if b)
        if style.page_numbers and rng.random() < PAGE_LINE_SHARE:
            style.traits.add("page_numbers")
            out.append(rng.choice(PAGE_LINE_FORMS).format(style.page))
            style.page += 1
        fragment, target = [], rng.randint(*SHREDDED_FRAGMENT_ROWS)
        fragments_done += 1

    for row, line in zip(grid.rows, grid_lines(grid, "own"), strict=True):
        if not line.has_values:
            flush()
            if line.kinds[0] == "clause":
                if not (style.clauses_lost and grid.name == "表二"):
                    out.append(line.cells[0])
                continue
            header_rows.append(line)
            if style.header_mode == "header_as_text":
                style.traits.add("header_as_text")
                glue = rng.choice(("", " "))
                out.append(glue.join(line.cells))
            elif style.header_mode in ("header_repeated", "header_once"):
                column_header = _column_header(grid, header_rows)
                if style.header_mode == "header_repeated":
                    style.traits.add("header_repeated")
                fragments_done = 0
            else:
                style.traits.add("header_lost")
            continue
        labels = [cell.text for cell in row if cell.kind != "value"]
        values = [cell.text for cell in row if cell.kind == "value"]
        dropped = False
        if any(cell.blank for cell in row):
            if style.blank_dropped and grid.name == "表二":
                dropped = True  # the row prints fewer cells than its header
                values = [cell.text for cell in row if cell.kind == "value" and not cell.blank]
                style.traits.add("blank_dropped")
            else:
                style.traits.add("blank_nothing")
        fragment.append((labels, values, grid.name == "表三" and bool(labels), dropped))
        if len(fragment) >= target:
            flush()
    flush()
    return "\n\n".join(out)


def _markdown_shredded(spec: ReportSpec, rng: random.Random, noise: float) -> Printed:
    """r005 style: a PDF-to-Markdown conversion that cut the tables into fragments.

    Values stay in template order; labels, headers, page lines and empty rows are what moves.
    """
    style = _ShredStyle.draw(rng)
    prose_wrap = rng.randint(*PROSE_WRAP_WIDTHS) if rng.random() < PROSE_WRAP_RATE else None
    h1_style, h2_style = rng.randrange(3), rng.randrange(3)
    hashes = rng.random() < 0.5
    # (text, kind): only paragraphs are wrapped, so headings stay findable on one line.
    pieces: list[tuple[str, str]] = [(("# " if hashes else "") + spec.title, "title")]
    after_index = -1
    for block in spec.blocks:
        if isinstance(block, Heading):
            pieces.append((_heading_text(block, h1_style if block.level == 1 else h2_style), "heading"))
            if block.level == 1 and block.number == 5:
                after_index = len(pieces)
        elif isinstance(block, Para):
            if block.text:
                pieces.append((block.text, "para"))
        else:
            counts = [spec.values.get(f"proactive.{row}.{column}") for column in ("issued", "in_force")
                      for row in ("regulations", "normative_documents")]
            if (block.grid.name == "表二" and spec.template == "2021" and None not in counts
                    and rng.random() < SHREDDED_TRAIT_RATES["prose_before_table"]):
                a, b, c, d = counts
                pieces.append((rng.choice(PROSE_BEFORE_T2_FORMS).format(a=a, b=b, c=c, d=d), "para"))
                style.traits.add("prose_before_table")
                # Its clause lines lost too (r006 prints them apart from the rows): the table's region
                # then starts at the section heading, and the prose is inside it.
                style.clauses_lost = True
            pieces.append((_shred_table(block.grid, style), "table"))
    out: list[str] = []
    after_sentence: str | None = None
    for index, (text, kind) in enumerate(pieces):
        text = add_ocr_noise(text, rng, noise)
        if kind == "para" and prose_wrap:
            text = "\n".join(_wrap(text, prose_wrap))
        if index == after_index:
            after_sentence = _first_sentence(text)
        out.append(text)
    traits = style.traits
    if spec.template == "2019":
        traits.add("template_2019")
    if _all_zero(spec.values, spec.template):
        traits.add("all_zero")
    return Printed("\n\n".join(out) + "\n", tuple(t for t in SHREDDED_TRAITS if t in traits), after_sentence)


# ================================================================ dispatch
_RENDERERS: dict[str, LayoutFn] = {
    "tab_cells": _tab_cells, "tsv": _tsv, "markdown": _markdown, "blank_lines": _blank_lines,
    "space_aligned": _space_aligned, "flattened": _flattened, "html": _html, "docx": _docx,
    "scraped": _scraped, "markdown_shredded": _markdown_shredded,
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
        raise ValueError(f"unknown layout {layout!r}; expected one of {ALL_LAYOUTS}")
    spec = make_spec(values, rng)
    out = _RENDERERS[layout](spec, rng, noise)
    traits: tuple[str, ...] = ()
    after_tables_sentence = None
    if isinstance(out, Printed):
        out, traits, after_tables_sentence = out
    text, data = (out, None) if isinstance(out, str) else (None, out)
    return SynthReport(text=text, data=data, media_type=MEDIA_TYPES[layout], layout=layout,
                       gold=gold_of(values), agency=spec.agency, year=spec.year, format_version=spec.template,
                       noise=noise, proactive_2019=proactive_2019_of(values), traits=traits,
                       after_tables_sentence=after_tables_sentence)


def generate(n: int, seed: int = 0, *, layouts: Iterable[str] = LAYOUTS,
             noise: float | tuple[float, float] = 0.0, template_mix: float = 0.2,
             blank_rate: float = 0.0, blanks: str = "any") -> Iterator[SynthReport]:
    """``n`` reports, the same ones for the same arguments.

    Each report draws from its own RNG seeded by ``(seed, index)``, so report ``i`` does not
    depend on how many came before it. ``noise`` is a rate or a (low, high) range drawn per
    report; ``template_mix`` is the share of 2019-template reports; ``blank_rate`` the share of
    cells left blank, of any value or of zeros only (``blanks``: see ``BLANK_KINDS``).
    """
    chosen = tuple(layouts)
    unknown = [name for name in chosen if name not in _RENDERERS]
    if unknown or not chosen:
        raise ValueError(f"unknown layouts {unknown}; expected some of {ALL_LAYOUTS}")
    for index in range(n):
        rng = random.Random(f"gongkai.synth:{seed}:{index}")
        layout = chosen[rng.randrange(len(chosen))]
        template = "2019" if rng.random() < template_mix else "2021"
        level = rng.uniform(*noise) if isinstance(noise, tuple) else float(noise)
        values = random_values(rng, template=template, blank_rate=blank_rate, blanks=blanks)
        yield render(values, layout, rng, level)
