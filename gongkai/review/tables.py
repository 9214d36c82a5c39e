"""表二/表三/表四 laid out as the national templates print them, as data, drawn to HTML tables.

The layout (which labels, which merged header cells, which rows a template version has) lives
here; what a value cell looks like is the caller's ``draw`` function, so the same layout serves
any way of showing a cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from gongkai.inference.tables import template as T

# draw(path, colspan) -> one <td>: a value cell of the report.
DrawCell = Callable[[str, int], str]

# ---------------------------------------------------------------- 表二
# (heading, column labels, rows of (label, cell paths)) in print order; 2021 template.
ProactiveSection = tuple[str, tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]
PROACTIVE_SECTIONS_2021: tuple[ProactiveSection, ...] = (
    ("第二十条第（一）项", ("本年制发件数", "本年废止件数", "现行有效件数"), (
        ("规章", ("proactive.regulations.issued", "proactive.regulations.repealed", "proactive.regulations.in_force")),
        ("行政规范性文件", ("proactive.normative_documents.issued", "proactive.normative_documents.repealed",
                     "proactive.normative_documents.in_force")),
    )),
    ("第二十条第（五）项", ("本年处理决定数量",), (("行政许可", ("proactive.licensing",)),)),
    ("第二十条第（六）项", ("本年处理决定数量",), (
        ("行政处罚", ("proactive.punishment",)),
        ("行政强制", ("proactive.coercion",)),
    )),
    ("第二十条第（八）项", ("本年收费金额（单位：万元）",), (("行政事业性收费", ("proactive.fees_wan_yuan",)),)),
)
# 2019 template: headings over the row labels of ``template.PROACTIVE_ROWS_2019``.
PROACTIVE_HEADINGS_2019: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("第二十条第（一）项", ("规章", "规范性文件")),
    ("第二十条第（五）项", ("行政许可", "其他对外管理服务事项")),
    ("第二十条第（六）项", ("行政处罚", "行政强制")),
    ("第二十条第（八）项", ("行政事业性收费",)),
    ("第二十条第（九）项", ("政府集中采购",)),
)
PROACTIVE_WIDTH = 3  # value columns of the widest 表二 section

# ---------------------------------------------------------------- 表三
OUTCOMES = "三、本年度办理结果"
# Each row's labels from the outside in, as printed; a row with fewer labels spans the label columns left.
REQUEST_ROW_LABELS: dict[str, tuple[str, ...]] = {
    "new_received": ("一、本年新收政府信息公开申请数量",),
    "carried_over": ("二、上年结转政府信息公开申请数量",),
    "granted": (OUTCOMES, "（一）予以公开"),
    "partially_granted": (OUTCOMES, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    "denied_state_secret": (OUTCOMES, "（三）不予公开", "1.属于国家秘密"),
    "denied_prohibited_by_law": (OUTCOMES, "（三）不予公开", "2.其他法律行政法规禁止公开"),
    "denied_three_safeties": (OUTCOMES, "（三）不予公开", "3.危及“三安全一稳定”"),
    "denied_third_party": (OUTCOMES, "（三）不予公开", "4.保护第三方合法权益"),
    "denied_internal_affairs": (OUTCOMES, "（三）不予公开", "5.属于三类内部事务信息"),
    "denied_process_info": (OUTCOMES, "（三）不予公开", "6.属于四类过程性信息"),
    "denied_enforcement_files": (OUTCOMES, "（三）不予公开", "7.属于行政执法案卷"),
    "denied_administrative_query": (OUTCOMES, "（三）不予公开", "8.属于行政查询事项"),
    "unable_not_held": (OUTCOMES, "（四）无法提供", "1.本机关不掌握相关政府信息"),
    "unable_needs_creation": (OUTCOMES, "（四）无法提供", "2.没有现成信息需要另行制作"),
    "unable_unclear": (OUTCOMES, "（四）无法提供", "3.补正后申请内容仍不明确"),
    "not_processed_petition": (OUTCOMES, "（五）不予处理", "1.信访举报投诉类申请"),
    "not_processed_repeated": (OUTCOMES, "（五）不予处理", "2.重复申请"),
    "not_processed_publications": (OUTCOMES, "（五）不予处理", "3.要求提供公开出版物"),
    "not_processed_massive": (OUTCOMES, "（五）不予处理", "4.无正当理由大量反复申请"),
    "not_processed_confirm": (OUTCOMES, "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    "other_overdue_correction": (OUTCOMES, "（六）其他处理",
                                 "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    "other_overdue_fee": (OUTCOMES, "（六）其他处理",
                          "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    "other_other": (OUTCOMES, "（六）其他处理", "3.其他"),
    "other_processing": (OUTCOMES, "（六）其他处理"),
    "total": (OUTCOMES, "（七）总计"),
    "carried_forward": ("四、结转下年度继续办理",),
}
REQUEST_LABEL_DEPTH = 3
REQUEST_IDENTITY_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
LEGAL_PERSON_COLUMNS = ("commercial", "research", "social_welfare", "legal_service", "other")

# ---------------------------------------------------------------- 表四
APPEAL_TOP: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("行政复议", ("review",)),
    ("行政诉讼", ("litigation_direct", "litigation_after_review")),
)
APPEAL_GROUP_PRINTED: dict[str, str] = {
    "review": "行政复议", "litigation_direct": "未经复议直接起诉", "litigation_after_review": "复议后起诉",
}


def _th(text: str, rowspan: int = 1, colspan: int = 1, cls: str = "") -> str:
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    attrs += f' class="{cls}"' if cls else ""
    return f"<th{attrs}>{escape(text)}</th>"


def _table(table_id: str, caption: str, rows: Sequence[str]) -> str:
    body = "\n".join(f"<tr>{row}</tr>" for row in rows)
    return (f'<div class="tw"><table class="tpl" id="{table_id}">'
            f"<caption>{escape(caption)}</caption>\n{body}\n</table></div>")


def proactive_2021_html(draw: DrawCell) -> str:
    """表二 of the 2021 template: four sections, each with its own header row."""
    rows: list[str] = []
    for heading, columns, items in PROACTIVE_SECTIONS_2021:
        rows.append(_th(heading, colspan=1 + PROACTIVE_WIDTH, cls="sec"))
        span = PROACTIVE_WIDTH // len(columns)
        rows.append(_th("信息内容") + "".join(_th(c, colspan=span) for c in columns))
        for label, paths in items:
            rows.append(_th(label, cls="rl") + "".join(draw(p, span) for p in paths))
    return _table("table-proactive", "表二 主动公开政府信息情况", rows)


def proactive_2019_sections() -> list[tuple[str, list[tuple[str, tuple[str, ...]]]]]:
    """The 2019 表二 as (heading, [(row label, column labels)]) in print order."""
    columns = dict(T.PROACTIVE_ROWS_2019)
    return [(heading, [(label, columns[label]) for label in labels]) for heading, labels in PROACTIVE_HEADINGS_2019]


def proactive_2019_html(extra_rows: dict[str, tuple[str, ...]], draw: DrawCell) -> str:
    """表二 of the 2019 template (``proactive_2019``): the printed rows and column labels, cell paths
    ``proactive_2019.<row label>.<column label>``; ``extra_rows`` are rows the report printed beyond them."""
    sections = proactive_2019_sections()
    if extra_rows:
        sections.append(("其他", list(extra_rows.items())))
    width = max(len(cols) for _, items in sections for _, cols in items)
    rows: list[str] = []
    for heading, items in sections:
        rows.append(_th(heading, colspan=1 + width, cls="sec"))
        previous: tuple[str, ...] | None = None
        for label, cols in items:
            if cols != previous:
                rows.append(_th("信息内容") + "".join(_th(c) for c in cols)
                            + (_th("", colspan=width - len(cols)) if width > len(cols) else ""))
                previous = cols
            cells = "".join(draw(f"proactive_2019.{label}.{c}", 1) for c in cols)
            filler = f'<td class="pad" colspan="{width - len(cols)}"></td>' if width > len(cols) else ""
            rows.append(_th(label, cls="rl") + cells + filler)
    return _table("table-proactive", "表二 主动公开政府信息情况（2019年模板）", rows)


def requests_html(row_keys: Sequence[str], draw: DrawCell) -> str:
    """表三: three header rows (申请人情况), then each row of ``row_keys`` under its merged labels."""
    cols = T.REQUEST_COLUMN_LABELS
    header = [
        _th(REQUEST_IDENTITY_NOTE, rowspan=3, colspan=REQUEST_LABEL_DEPTH, cls="note") + _th("申请人情况", colspan=7),
        _th(cols["natural_person"], rowspan=2) + _th("法人或其他组织", colspan=len(LEGAL_PERSON_COLUMNS))
        + _th(cols["total"], rowspan=2),
        "".join(_th(cols[c]) for c in LEGAL_PERSON_COLUMNS),
    ]
    labels = [REQUEST_ROW_LABELS[k] for k in row_keys]
    rows = list(header)
    for i, key in enumerate(row_keys):
        cells = []
        mine = labels[i]
        for level in range(len(mine)):
            if i > 0 and labels[i - 1][:level + 1] == mine[:level + 1]:
                continue  # covered by the merged label cell of a row above
            rowspan = 1
            while i + rowspan < len(labels) and labels[i + rowspan][:level + 1] == mine[:level + 1]:
                rowspan += 1
            last = level == len(mine) - 1
            colspan = REQUEST_LABEL_DEPTH - level if last else 1
            cells.append(_th(mine[level], rowspan=rowspan, colspan=colspan, cls="rl"))
        cells += [draw(f"requests.{key}.{c}", 1) for c in T.REQUEST_COLUMNS]
        rows.append("".join(cells))
    return _table("table-requests", "表三 收到和处理政府信息公开申请情况", rows)


def appeals_html(draw: DrawCell) -> str:
    """表四 as printed: 行政复议 and 行政诉讼 (two groups) side by side, one row of fifteen numbers."""
    width = len(T.APPEAL_COLUMNS)
    cols = T.APPEAL_COLUMN_LABELS
    top = "".join(_th(label, colspan=width * len(groups)) for label, groups in APPEAL_TOP)
    middle = "".join(_th(cols[c], rowspan=2) for c in T.APPEAL_COLUMNS)
    middle += "".join(_th(APPEAL_GROUP_PRINTED[g], colspan=width) for g in APPEAL_TOP[1][1])
    bottom = "".join(_th(cols[c]) for _ in APPEAL_TOP[1][1] for c in T.APPEAL_COLUMNS)
    values = "".join(draw(f"appeals.{g}.{c}", 1) for g in T.APPEAL_GROUPS for c in T.APPEAL_COLUMNS)
    return _table("table-appeals", "表四 政府信息公开行政复议、行政诉讼情况", [top, middle, bottom, values])


def printed_name(path: str) -> str:
    """A 表二 cell's name as printed (row and column); 表三/表四 names come from the reconciler."""
    parts = path.split(".")
    if parts[0] == "proactive_2019":
        return f"表二“{parts[1]}”“{'.'.join(parts[2:])}”"
    for _, columns, items in PROACTIVE_SECTIONS_2021:
        for label, paths in items:
            if path in paths:
                column = columns[paths.index(path)] if len(columns) == len(paths) else columns[0]
                return f"表二“{label}”“{column}”"
    return path
