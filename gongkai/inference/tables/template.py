"""The national templates (国办公开办函〔2021〕30号 and 〔2019〕60号) declared as data.

Every row the aligner can recognise is one ``TemplateRow``: its schema key, the label the
template prints, and the other spellings seen in real reports. Tests check each row on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# ---------------------------------------------------------------- 表三
REQUEST_COLUMNS: tuple[str, ...] = (
    "natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total",
)
REQUEST_COLUMN_LABELS: dict[str, str] = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_welfare": "社会公益组织",
    "legal_service": "法律服务机构",
    "other": "其他",
    "total": "总计",
}


@dataclass(frozen=True)
class TemplateRow:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    group: str = ""
    versions: tuple[str, ...] = ("2021", "2019")

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


# In template order. ``group`` is the parent heading (三（三）不予公开 …) printed on its own.
REQUEST_ROWS: tuple[TemplateRow, ...] = (
    TemplateRow("new_received", "本年新收政府信息公开申请数量", ("本年新收",)),
    TemplateRow("carried_over", "上年结转政府信息公开申请数量", ("上年结转",)),
    TemplateRow("granted", "予以公开"),
    TemplateRow("partially_granted", "部分公开区分处理的只计这一情形不计其他情形", ("部分公开",)),
    TemplateRow("denied_state_secret", "属于国家秘密", group="不予公开"),
    TemplateRow("denied_prohibited_by_law", "其他法律行政法规禁止公开",
                ("其他法律行政止公开", "其他法律法规禁止公开"), group="不予公开"),
    TemplateRow("denied_three_safeties", "危及三安全一稳定", group="不予公开"),
    TemplateRow("denied_third_party", "保护第三方合法权益", group="不予公开"),
    TemplateRow("denied_internal_affairs", "属于三类内部事务信息", group="不予公开"),
    TemplateRow("denied_process_info", "属于四类过程性信息", group="不予公开"),
    TemplateRow("denied_enforcement_files", "属于行政执法案卷", group="不予公开"),
    TemplateRow("denied_administrative_query", "属于行政查询事项", group="不予公开"),
    TemplateRow("unable_not_held", "本机关不掌握相关政府信息", group="无法提供"),
    TemplateRow("unable_needs_creation", "没有现成信息需要另行制作", group="无法提供"),
    TemplateRow("unable_unclear", "补正后申请内容仍不明确", group="无法提供"),
    TemplateRow("not_processed_petition", "信访举报投诉类申请", group="不予处理"),
    TemplateRow("not_processed_repeated", "重复申请", group="不予处理"),
    TemplateRow("not_processed_publications", "要求提供公开出版物", group="不予处理"),
    TemplateRow("not_processed_massive", "无正当理由大量反复申请", group="不予处理"),
    TemplateRow("not_processed_confirm", "要求行政机关确认或重新出具已获取信息", group="不予处理"),
    TemplateRow("other_overdue_correction",
                "申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请",
                ("逾期不补正",), group="其他处理", versions=("2021",)),
    TemplateRow("other_overdue_fee",
                "申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请",
                ("逾期未按收费通知要求缴纳费用",), group="其他处理", versions=("2021",)),
    TemplateRow("other_other", "其他", group="其他处理", versions=("2021",)),
    TemplateRow("other_processing", "其他处理", versions=("2019",)),
    TemplateRow("total", "总计"),
    TemplateRow("carried_forward", "结转下年度继续办理", ("结转下年度",)),
)

# Group headings that print no numbers of their own (三（三）不予公开 …) and table headers.
REQUEST_GROUP_LABELS: tuple[str, ...] = ("本年度办理结果", "不予公开", "无法提供", "不予处理", "其他处理")

# ---------------------------------------------------------------- 表四
APPEAL_GROUPS: tuple[str, ...] = ("review", "litigation_direct", "litigation_after_review")
APPEAL_COLUMNS: tuple[str, ...] = ("upheld", "corrected", "other", "pending", "total")
APPEAL_GROUP_LABELS: dict[str, tuple[str, ...]] = {
    "review": ("行政复议",),
    "litigation_direct": ("未经复议直接起诉", "直接起诉"),
    "litigation_after_review": ("复议后起诉",),
}
APPEAL_COLUMN_LABELS: dict[str, str] = {
    "upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结", "total": "总计",
}

# ---------------------------------------------------------------- 表二 (2021)


@dataclass(frozen=True)
class ProactiveRow:
    """A 表二 row: schema paths of its value columns in print order, and its label spellings."""

    label: str
    paths: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


PROACTIVE_ROWS_2021: tuple[ProactiveRow, ...] = (
    ProactiveRow("规章", ("regulations.issued", "regulations.repealed", "regulations.in_force")),
    ProactiveRow(
        "行政规范性文件",
        ("normative_documents.issued", "normative_documents.repealed", "normative_documents.in_force"),
        ("规范性文件",),
    ),
    ProactiveRow("行政许可", ("licensing",)),
    ProactiveRow("行政处罚", ("punishment",)),
    ProactiveRow("行政强制", ("coercion",)),
    ProactiveRow("行政事业性收费", ("fees_wan_yuan",)),
)

# 2019 表二: row label -> column labels as printed (kept under ``proactive_2019``).
PROACTIVE_ROWS_2019: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("规章", ("本年新制作数量", "本年新公开数量", "对外公开总数量")),
    ("规范性文件", ("本年新制作数量", "本年新公开数量", "对外公开总数量")),
    ("行政许可", ("上一年项目数量", "本年增/减", "处理决定数量")),
    ("其他对外管理服务事项", ("上一年项目数量", "本年增/减", "处理决定数量")),
    ("行政处罚", ("上一年项目数量", "本年增/减", "处理决定数量")),
    ("行政强制", ("上一年项目数量", "本年增/减", "处理决定数量")),
    ("行政事业性收费", ("上一年项目数量", "本年增/减")),
    ("政府集中采购", ("采购项目数量", "采购总金额")),
)

# Words that only the 2019 表二 prints; their presence decides the template version.
MARKERS_2019: tuple[str, ...] = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量")
MARKERS_2021: tuple[str, ...] = ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量")

# Section headings that bound the tables in the text.
TABLE2_HEADINGS: tuple[str, ...] = ("主动公开政府信息情况", "第二十条第（一）项", "第二十条第(一)项")
TABLE3_HEADINGS: tuple[str, ...] = ("收到和处理政府信息公开申请情况",)
TABLE4_HEADINGS: tuple[str, ...] = ("行政复议、行政诉讼情况", "行政复议和行政诉讼情况", "行政复议、提起行政诉讼情况",
                                    "被申请行政复议、提起行政诉讼情况")
AFTER_TABLES_HEADINGS: tuple[str, ...] = ("存在的主要问题", "主要问题及改进情况")


# ---------------------------------------------------------------- which cells a template has
SINGLE_OTHER_ROW_KEYS = ("other_overdue_correction", "other_overdue_fee", "other_other")


@lru_cache(maxsize=4096)
def applicable(path: str, version: str, single_other_row: bool | None = None) -> bool:
    """Whether the report's template has this cell at all.

    ``single_other_row``: 表三 prints the one （六）其他处理 row of 2019 (some 2021-template
    reports keep it too); by default it follows ``version``.
    """
    if version == "2019" and path.startswith("proactive."):
        return False
    single = version == "2019" if single_other_row is None else single_other_row
    if single:
        return not any(path.startswith(f"requests.{k}.") for k in SINGLE_OTHER_ROW_KEYS)
    return not path.startswith("requests.other_processing.")
