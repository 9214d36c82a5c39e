"""The reconciler: where a report's numbers do not add up, or do not match what its prose says.

Rules are data (``RULES``): each names the identity printed with the template and how it
repeats (per 表三 column, per 表三 row, per 表四 group). A broken identity becomes a finding that
names every cell in it, the expected and observed sums and the source spans; when several
identities break, the one cell whose correction would mend them all is named as the suspect.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gongkai.inference.tables import template as T
from gongkai.report import Cell, Report

Finding = dict[str, Any]

SEVERITIES = ("error", "warning", "info")
# Claims at least this sure to be statements about the table raise an error when no reading of
# their wording agrees with it (below: the claim reader doubts the sentence states a table figure).
CLAIM_ERROR_CONFIDENCE = 0.75
# Below this confidence a null cell was not found at all (rather than printed blank).
FOUND_CONFIDENCE = 1e-6
# A broken identity or a prose mismatch whose (suspect) cell was read with less confidence than
# this is more likely our misread than the report's own error: it is a warning, not an error.
# Clean layouts read at 0.99+ (the seeds and generated reports of tests/inference/checks/test_reconcile.py),
# doubted OCR cells at 0.3 (OCR_DOUBTFUL_CONFIDENCE) and template-order fallbacks at 0.6
# (pipeline.ORDER_FALLBACK_CONFIDENCE): 0.9 separates them with room on both sides.
DOUBTFUL_READ_BELOW = 0.9
DOUBTFUL_READ_NOTE = "（{cell}识别置信度较低（{confidence:.2f}），可能是读取错误而非报告本身的错误。）"

OUTCOME_ROWS: tuple[str, ...] = tuple(
    r.key for r in T.REQUEST_ROWS if r.key not in ("new_received", "carried_over", "total", "carried_forward")
)
APPLICANT_COLUMNS: tuple[str, ...] = T.REQUEST_COLUMNS[:-1]
APPEAL_PARTS: tuple[str, ...] = T.APPEAL_COLUMNS[:-1]

ROW_NAMES: dict[str, str] = {
    "new_received": "一、本年新收", "carried_over": "二、上年结转", "total": "三（七）总计",
    "carried_forward": "四、结转下年度继续办理", "granted": "三（一）予以公开", "partially_granted": "三（二）部分公开",
    "other_processing": "三（六）其他处理",
}
GROUP_NAMES: dict[str, str] = {
    "review": "行政复议", "litigation_direct": "行政诉讼（未经复议直接起诉）",
    "litigation_after_review": "行政诉讼（复议后起诉）",
}


@dataclass(frozen=True)
class Rule:
    """An identity ``sum(left) == sum(right)`` and the axis it repeats along."""

    id: str
    severity: str
    per: str  # "request_column" | "request_row" | "appeal_group"
    left: tuple[str, ...]
    right: tuple[str, ...]
    summary: str  # Chinese, the identity in the words of the template


RULES: tuple[Rule, ...] = (
    Rule("requests.balance", "error", "request_column", ("new_received", "carried_over"),
         ("total", "carried_forward"), "第一项加第二项之和，等于第三项加第四项之和"),
    Rule("requests.row_sum", "error", "request_row", APPLICANT_COLUMNS, ("total",),
         "各类申请人数量之和等于总计"),
    Rule("requests.outcome_sum", "error", "request_column", OUTCOME_ROWS, ("total",),
         "三（一）至（六）各项之和等于三（七）总计"),
    Rule("appeals.sum", "error", "appeal_group", APPEAL_PARTS, ("total",),
         "结果维持、结果纠正、其他结果、尚未审结之和等于总计"),
)


@dataclass(frozen=True)
class Identity:
    rule: Rule
    where: str  # Chinese: which column / row / group
    left: tuple[str, ...]  # dotted paths
    right: tuple[str, ...]


def identities(rule: Rule, report: Report) -> list[Identity]:
    """The instances of ``rule`` in this report's template (2019 keeps its single （六） row)."""
    single = _single_other_row(report)
    rows = [r.key for r in T.REQUEST_ROWS if _row_applies(r.key, single)]
    if rule.per == "request_column":
        out = []
        for column in T.REQUEST_COLUMNS:
            left = tuple(f"requests.{r}.{column}" for r in rule.left if r in rows)
            right = tuple(f"requests.{r}.{column}" for r in rule.right)
            out.append(Identity(rule, f"“{T.REQUEST_COLUMN_LABELS[column]}”列", left, right))
        return out
    if rule.per == "request_row":
        return [
            Identity(rule, f"“{ROW_NAMES.get(row, _row_label(row))}”行",
                     tuple(f"requests.{row}.{c}" for c in rule.left), tuple(f"requests.{row}.{c}" for c in rule.right))
            for row in rows
        ]
    if rule.per == "appeal_group":
        return [
            Identity(rule, f"“{GROUP_NAMES[g]}”", tuple(f"appeals.{g}.{c}" for c in rule.left),
                     tuple(f"appeals.{g}.{c}" for c in rule.right))
            for g in T.APPEAL_GROUPS
        ]
    raise ValueError(f"rule {rule.id}: unknown axis {rule.per!r}")


def _row_label(key: str) -> str:
    row = next(r for r in T.REQUEST_ROWS if r.key == key)
    return row.label[:12]


def _single_other_row(report: Report) -> bool:
    """Whether 表三 prints the one （六）其他处理 row (2019, and some 2021 reports)."""
    return report.format_version == "2019" or any(
        c.value is not None for _, c in report.requests.other_processing.cells()
    )


def _row_applies(key: str, single: bool) -> bool:
    if key == "other_processing":
        return single
    if key in ("other_overdue_correction", "other_overdue_fee", "other_other"):
        return not single
    return True


def _number(cell: Cell) -> float | None:
    """A cell's value for arithmetic: a printed blank counts as 0; a cell never found, as unknown."""
    if cell.value is not None:
        return float(cell.value)
    return 0.0 if cell.confidence > FOUND_CONFIDENCE else None


@dataclass
class Broken:
    identity: Identity
    expected: float  # sum of the parts (left)
    observed: float  # what the report prints for the whole (right)


def cell_numbers(report: Report) -> dict[str, float | None]:
    """Every template cell's value for arithmetic, by dotted path (computed once per report)."""
    return {path: _number(cell) for path, cell in report.table_cells()}


def all_identities(report: Report) -> list[Identity]:
    return [i for rule in RULES for i in identities(rule, report)]


def check_identities(
    report: Report, numbers: dict[str, float | None] | None = None, idents: Sequence[Identity] | None = None
) -> list[Broken]:
    numbers = numbers if numbers is not None else cell_numbers(report)
    broken: list[Broken] = []
    for ident in idents if idents is not None else all_identities(report):
        left = [numbers[p] for p in ident.left]
        right = [numbers[p] for p in ident.right]
        if any(v is None for v in left) or any(v is None for v in right):
            continue
        lsum, rsum = sum(left), sum(right)  # type: ignore[arg-type]
        if abs(lsum - rsum) > 1e-6:
            broken.append(Broken(ident, lsum, rsum))
    return broken


def explain(report: Report, broken: Sequence[Broken], numbers: dict[str, float | None] | None = None,
            idents: Sequence[Identity] | None = None) -> tuple[str, float] | None:
    """The one cell whose correction would mend every broken identity, and its mended value.

    A cell in an identity moves its residual by +d (left side) or −d (right side); it explains
    all breaks when one d zeroes every residual it takes part in, it takes part in all of them,
    and it would not break an identity that holds now.
    """
    if not broken:
        return None
    candidates: dict[str, list[float]] = defaultdict(list)
    for b in broken:
        residual = b.expected - b.observed
        for sign, paths in ((1.0, b.identity.left), (-1.0, b.identity.right)):
            for path in paths:
                candidates[path].append(-residual / sign)
    numbers = numbers if numbers is not None else cell_numbers(report)
    broken_identities = {b.identity for b in broken}
    holding = [i for i in (idents if idents is not None else all_identities(report)) if i not in broken_identities]
    fits: list[tuple[str, float]] = []
    for path, deltas in candidates.items():
        if len(deltas) != len(broken) or max(deltas) - min(deltas) > 1e-6:
            continue
        if any(path in (*i.left, *i.right) for i in holding if _all_known(numbers, i)):
            continue
        value = numbers[path]
        if value is None or value + deltas[0] < 0:
            continue
        fits.append((path, value + deltas[0]))
    # One break alone (a 表四 group) fits every cell in it: naming one would be a guess.
    return fits[0] if len(fits) == 1 else None


def _all_known(numbers: dict[str, float | None], ident: Identity) -> bool:
    return all(numbers[p] is not None for p in (*ident.left, *ident.right))


def _spans(report: Report, paths: Iterable[str]) -> list[list[int]]:
    return [list(c.span) for c in (report.cell(p) for p in paths) if c.span is not None]


def _fmt(x: float | None) -> str:
    if x is None:
        return "空白"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def arithmetic_findings(report: Report) -> list[Finding]:
    numbers = cell_numbers(report)
    idents = all_identities(report)
    broken = check_identities(report, numbers, idents)
    suspect = explain(report, broken, numbers, idents)
    findings: list[Finding] = []
    for b in broken:
        ident = b.identity
        paths = [*ident.left, *ident.right]
        table = "三" if ident.left[0].startswith("requests") else "四"
        message = (f"表{table}{ident.where}：按“{ident.rule.summary}”，"
                   f"应为{_fmt(b.expected)}，报告为{_fmt(b.observed)}。")
        blanks = [p for p in paths if report.cell(p).value is None]
        severity = ident.rule.severity
        if blanks:
            # A blank cell was read as 0; the report may mean "not filled in" rather than 0.
            severity = "warning"
            message += f"（其中{len(blanks)}个空白单元格按0计算。）"
        finding: Finding = {
            "rule": ident.rule.id, "severity": severity, "message": message, "cells": paths,
            "expected": b.expected, "observed": b.observed, "spans": _spans(report, paths),
        }
        named = suspect[0] if suspect and suspect[0] in paths else None
        if named:
            cell = report.cell(named)
            finding["suspect"] = named
            finding["message"] += (f"最可能出错的单元格是{cell_name(named)}"
                                   f"（印为{cell.raw or _fmt(cell.value)}，按其他数字应为{_fmt(suspect[1])}）。")
        _doubt_the_read(report, finding, [named] if named else paths)
        findings.append(finding)
    return findings


def doubtful_cell(report: Report, paths: Iterable[str]) -> tuple[str, float] | None:
    """The least surely read of ``paths`` when it is below ``DOUBTFUL_READ_BELOW``, else None.

    Cells never found (confidence ~0) are left out: they are not in the arithmetic at all.
    """
    read = [(p, report.cell(p).confidence) for p in paths if _is_cell(report, p)]
    read = [(p, c) for p, c in read if c > FOUND_CONFIDENCE]
    if not read:
        return None
    path, confidence = min(read, key=lambda pc: pc[1])
    return (path, confidence) if confidence < DOUBTFUL_READ_BELOW else None


def _doubt_the_read(report: Report, finding: Finding, paths: Sequence[str]) -> None:
    """A finding on a doubtful read is a warning that says the cell may have been misread."""
    doubt = doubtful_cell(report, paths)
    if doubt is None:
        return
    if finding["severity"] == "error":
        finding["severity"] = "warning"
    finding["message"] += DOUBTFUL_READ_NOTE.format(cell=cell_name(doubt[0]), confidence=doubt[1])


def cell_name(path: str) -> str:
    """A cell's name as a 政务公开 officer would say it: 表三“（七）总计”行“科研机构”列."""
    parts = path.split(".")
    if parts[0] == "requests":
        return f"表三“{ROW_NAMES.get(parts[1], _row_label(parts[1]))}”行“{T.REQUEST_COLUMN_LABELS[parts[2]]}”列"
    if parts[0] == "appeals":
        return f"表四“{GROUP_NAMES[parts[1]]}”“{T.APPEAL_COLUMN_LABELS[parts[2]]}”"
    return "表二" + ".".join(parts[1:])


def missing_findings(report: Report) -> list[Finding]:
    """One ``cell.missing`` finding per table: cells not found (warning) or printed blank (info)."""
    if report.format_version == "unknown":
        return []
    single = _single_other_row(report)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path, cell in report.table_cells():
        if cell.value is not None or not T.applicable(path, report.format_version, single):
            continue
        kind = "blank" if cell.confidence > FOUND_CONFIDENCE else "absent"
        groups[(path.split(".")[0], kind)].append(path)
    names = {"proactive": "表二", "requests": "表三", "appeals": "表四"}
    out: list[Finding] = []
    for (table, kind), paths in sorted(groups.items()):
        if kind == "absent":
            message = f"{names[table]}有{len(paths)}个单元格未能读取（表格缺失或无法识别）。"
        else:
            message = f"{names[table]}有{len(paths)}个单元格为空白（未填写数字，既不按0也不按缺失处理）。"
        out.append({
            "rule": "cell.missing", "severity": "warning" if kind == "absent" else "info", "message": message,
            "cells": paths, "expected": None, "observed": None, "spans": _spans(report, paths),
        })
    return out


# ---------------------------------------------------------------- prose claims
# Sums that prose states as one number. A row group sums the template's rows of that version
# (三（六）其他处理 is three rows in 2021, one in 2019); a column group sums columns.
REQUEST_ROW_GROUPS: dict[str, tuple[str, ...]] = {
    "received": ("new_received", "carried_over"),
    "denied": tuple(r.key for r in T.REQUEST_ROWS if r.group == "不予公开"),
    "unable": tuple(r.key for r in T.REQUEST_ROWS if r.group == "无法提供"),
    "not_processed": tuple(r.key for r in T.REQUEST_ROWS if r.group == "不予处理"),
    "other_handling": (*(r.key for r in T.REQUEST_ROWS if r.group == "其他处理"), "other_processing"),
}
REQUEST_COLUMN_GROUPS: dict[str, tuple[str, ...]] = {
    "legal_person": tuple(c for c in APPLICANT_COLUMNS if c != "natural_person"),  # 法人或其他组织
}
APPEAL_GROUP_SUMS: dict[str, tuple[str, ...]] = {"litigation": ("litigation_direct", "litigation_after_review")}
_ROW_VERSIONS: dict[str, tuple[str, ...]] = {r.key: r.versions for r in T.REQUEST_ROWS}


def claim_cells(target: str, version: str = "2021") -> tuple[str, ...]:
    """The table cells a claim target stands for (a group target stands for several)."""
    table, *rest = target.split(".")
    if table == "proactive" and version == "2019":
        return ()  # the 2019 表二 has other rows (``proactive_2019``): nothing to compare with
    if table == "requests" and len(rest) == 2:
        row, column = rest
        rows = tuple(r for r in REQUEST_ROW_GROUPS.get(row, (row,)) if version in _ROW_VERSIONS.get(r, (version,)))
        columns = REQUEST_COLUMN_GROUPS.get(column, (column,))
        return tuple(f"requests.{r}.{c}" for r in rows for c in columns)
    if table == "appeals" and len(rest) == 2:
        group, column = rest
        return tuple(f"appeals.{g}.{column}" for g in APPEAL_GROUP_SUMS.get(group, (group,)))
    return (target,)


def claim_value(report: Report, target: str) -> float | None:
    """The table's number for a claim target (a printed blank counts 0, an unread cell: unknown)."""
    values = []
    for p in claim_cells(target, report.format_version):
        try:
            values.append(_number(report.cell(p)))
        except KeyError:
            return None
    if not values or any(v is None for v in values):
        return None
    return sum(values)  # type: ignore[arg-type]


# Amounts prose may round (“收费670.38万元” for 670.376375 in the table): compared at the claim's precision.
ROUNDED_TARGETS = ("proactive.fees_wan_yuan",)


def _agrees(target: str, quantity: float, value: float) -> bool:
    if abs(value - quantity) < 1e-6:
        return True
    if target not in ROUNDED_TARGETS:
        return False
    decimals = len(repr(float(quantity)).split(".")[1].rstrip("0")) if quantity != int(quantity) else 0
    return abs(value - quantity) <= 0.5 * 10 ** -decimals + 1e-9


def claim_findings(report: Report) -> list[Finding]:
    """``claim.mismatch``: an error when no reading the wording admits agrees with the table.

    A claim whose wording admits several cells agrees when any of them does. It is an error
    only when every admissible reading is known and disagrees, the claim is surely a
    statement about the table (``CLAIM_ERROR_CONFIDENCE``) and the cells compared were read
    surely (else a warning that says which read is doubtful).
    """
    findings: list[Finding] = []
    for claim in report.claims:
        targets = [claim["target"], *claim.get("alternatives", [])]
        values = {t: claim_value(report, t) for t in targets}
        known = {t: v for t, v in values.items() if v is not None}
        if not known or any(_agrees(t, claim["quantity"], v) for t, v in known.items()):
            continue
        every_reading = len(known) == len(targets)
        sure = claim.get("confidence", 0.0) >= CLAIM_ERROR_CONFIDENCE and every_reading
        compared = claim["target"] if claim["target"] in known else next(iter(known))
        main_value = known[compared]
        others = "、".join(_fmt(v) for t, v in known.items() if t != compared)
        message = f"正文称“{claim['text']}”（{_fmt(claim['quantity'])}），但表格中对应数字为{_fmt(main_value)}"
        if others:
            message += f"（按其他理解为{others}，均不一致）"
        if not every_reading:
            message += "（另一种理解对应的单元格未能读取，无法确认）"
        cells = list(claim_cells(compared, report.format_version))
        finding: Finding = {
            "rule": "claim.mismatch", "severity": "error" if sure else "warning", "message": message + "。",
            "cells": cells,
            "expected": claim["quantity"], "observed": main_value,
            "spans": [list(claim["span"]), *_spans(report, [c for c in cells if _is_cell(report, c)])],
        }
        _doubt_the_read(report, finding, [c for t in known for c in claim_cells(t, report.format_version)])
        findings.append(finding)
    return findings


def _is_cell(report: Report, path: str) -> bool:
    try:
        report.cell(path)
    except KeyError:
        return False
    return True


def reconcile(report: Report) -> list[Finding]:
    """Every finding for one report: arithmetic, prose claims, unread cells."""
    if report.format_version == "unknown":
        return []
    return [*arithmetic_findings(report), *claim_findings(report), *missing_findings(report)]


# ---------------------------------------------------------------- across years
# Long and short spellings of the same agency word, used only where the mapping is one-to-one.
AGENCY_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("科学技术局", "科技局"), ("科学技术厅", "科技厅"), ("人力资源和社会保障", "人社"),
    ("发展和改革", "发改"), ("工业和信息化", "工信"), ("生态环境", "环境"), ("市场监督管理", "市场监管"),
)


def normalize_agency(name: str) -> str:
    """One spelling per agency: full/half width, spaces and known long forms folded."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(text.split())
    for long, short in AGENCY_SYNONYMS:
        text = text.replace(long, short)
    return text


# 表二's stock identity: 现行有效 of year N = 现行有效 of year N−1 + 本年制发 − 本年废止 (2021 template only).
STOCK_KINDS: dict[str, str] = {"regulations": "规章", "normative_documents": "行政规范性文件"}
STOCK_CELLS: dict[str, str] = {"issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数"}
# 表三 本年新收 total jumps when the larger of two consecutive years is this many times the smaller
# (or the smaller is 0) and at least JUMP_MIN_LARGER: 0→3 or 1→12 are ordinary small-office noise.
JUMP_RATIO = 10.0
JUMP_MIN_LARGER = 20.0
# Wording with which a report explains a change from the year before. Comparisons are built from a
# "compared with" word and a direction so that 同比下降、较上年增加、有所减少 all count, while bare 下降 or
# 合并 (投诉率下降、合并办理) do not: they say nothing about a change in the year's figures.
CHANGE_COMPARED: tuple[str, ...] = ("同比", "同期", "较上年", "较去年", "比上年", "比去年", "大幅", "明显", "有所")
CHANGE_DIRECTIONS: tuple[str, ...] = ("增加", "增长", "上升", "减少", "下降")
EXPLANATION_WORDS: tuple[str, ...] = (
    *(a + b for a in CHANGE_COMPARED for b in CHANGE_DIRECTIONS),
    "激增", "增幅", "降幅", "机构改革", "职能调整", "职能划转", "机构合并", "合并组建", "撤并",
)
CANNOT_SEE_PROSE_NOTE = "（未能查看{year}年报告正文，无法确认是否已说明原因。）"


def explains_change(text: str) -> bool:
    """Whether a report's prose says why a figure moved from the year before (``EXPLANATION_WORDS``)."""
    return any(word in text for word in EXPLANATION_WORDS)


@dataclass
class YearEnds:
    """What the cross-year checks need of one report: who, which year, the two carry rows, 表二's
    document stock, 表三's new-application total and whether the prose explains a change.

    Small on purpose: a batch keeps one per report of a whole archive in memory (hence a boolean
    ``explains_change`` rather than the text; None when the text was not available).
    """

    agency: str
    year: int
    path: str | None
    carried_over: dict[str, Cell]
    carried_forward: dict[str, Cell]
    format_version: str = "unknown"
    stock: dict[str, Cell] = field(default_factory=dict)  # "normative_documents.in_force" → 表二 cell
    new_received: Cell = field(default_factory=Cell)  # requests.new_received.total
    explains_change: bool | None = None

    @classmethod
    def of(cls, report: Report) -> YearEnds | None:
        if not (report.agency.value and isinstance(report.year.value, int) and report.format_version != "unknown"):
            return None
        prose = report.text or " ".join(str(s.get("text", "")) for s in report.sentences)
        return cls(str(report.agency.value), report.year.value, report.source.path,
                   {c: report.requests.carried_over.get(c) for c in T.REQUEST_COLUMNS},
                   {c: report.requests.carried_forward.get(c) for c in T.REQUEST_COLUMNS},
                   report.format_version,
                   {f"{k}.{c}": report.proactive.get(f"{k}.{c}") for k in STOCK_KINDS for c in STOCK_CELLS},
                   report.requests.new_received.total,
                   explains_change(prose) if prose else None)


def _value(cell: Cell | None) -> float | None:
    """A cell's printed number; None when absent or blank (the cross-year rules never guess a 0)."""
    value = None if cell is None else cell.value
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _report_name(e: YearEnds) -> str:
    return f"{e.year}年报告（{e.path}）" if e.path else f"{e.year}年报告"


def _cross_spans(cells: Iterable[Cell]) -> list[list[int]]:
    """Spans of cells from two reports (the order of ``reports``: this year's first), as carry_over gives them."""
    return [list(c.span) for c in cells if c.span is not None]


def _doubt_note(reads: Iterable[tuple[str, Cell]]) -> str:
    """The least surely read cell among ``reads`` (label, cell) when below ``DOUBTFUL_READ_BELOW``, as a note."""
    found = [(label, c.confidence) for label, c in reads if c.confidence > FOUND_CONFIDENCE]
    if not found:
        return ""
    label, confidence = min(found, key=lambda lc: lc[1])
    return DOUBTFUL_READ_NOTE.format(cell=label, confidence=confidence) if confidence < DOUBTFUL_READ_BELOW else ""


def _carry_over(agency: str, prev: YearEnds, cur: YearEnds) -> list[Finding]:
    """``year.carry_over``: 上年结转 of year N must equal 结转下年度 of year N−1, per column."""
    findings: list[Finding] = []
    year = cur.year
    for column in T.REQUEST_COLUMNS:
        now = _number(cur.carried_over[column])
        before = _number(prev.carried_forward[column])
        if now is None or before is None or abs(now - before) < 1e-6:
            continue
        findings.append({
            "rule": "year.carry_over", "severity": "warning",
            "message": (f"{agency}{year}年表三“二、上年结转”{T.REQUEST_COLUMN_LABELS[column]}为{_fmt(now)}，"
                        f"但{year - 1}年报告“四、结转下年度继续办理”为{_fmt(before)}。"),
            "cells": [f"requests.carried_over.{column}", f"requests.carried_forward.{column}"],
            "expected": before, "observed": now,
            "spans": [s for s in (cur.carried_over[column].span, prev.carried_forward[column].span) if s],
            "reports": [cur.path, prev.path],
        })
    return findings


def _in_force_change(agency: str, prev: YearEnds, cur: YearEnds) -> list[Finding]:
    """``year.in_force_change``: 现行有效(N) = 现行有效(N−1) + 本年制发(N) − 本年废止(N), per document kind.

    Only on two 2021-template reports whose four cells all print a number (a blank is not a 0 here:
    a stock is rarely left blank on purpose). Any difference is flagged, as a warning: agencies do
    clean up their stocks without saying so. A doubtful read (below ``DOUBTFUL_READ_BELOW``) does not
    silence the finding; the message says which cell may have been misread instead.
    """
    if cur.format_version != "2021" or prev.format_version != "2021":
        return []
    findings: list[Finding] = []
    for kind, kind_name in STOCK_KINDS.items():
        before_cell = prev.stock.get(f"{kind}.in_force", Cell())
        cells = {c: cur.stock.get(f"{kind}.{c}", Cell()) for c in STOCK_CELLS}
        before, now = _value(before_cell), _value(cells["in_force"])
        issued, repealed = _value(cells["issued"]), _value(cells["repealed"])
        if before is None or now is None or issued is None or repealed is None:
            continue
        expected = before + issued - repealed
        if abs(now - expected) < 1e-6:
            continue
        message = (f"{agency}表二{kind_name}：{cur.year}年“现行有效件数”为{_fmt(now)}，"
                   f"但按{prev.year}年现行有效{_fmt(before)}件加{cur.year}年本年制发{_fmt(issued)}件、"
                   f"减本年废止{_fmt(repealed)}件，应为{_fmt(expected)}（相差{_fmt(abs(now - expected))}）。"
                   f"见{_report_name(cur)}与{_report_name(prev)}。")
        reads = [(f"{cur.year}年表二{kind_name}“{STOCK_CELLS[c]}”", cell) for c, cell in cells.items()]
        reads.append((f"{prev.year}年表二{kind_name}“现行有效件数”", before_cell))
        message += _doubt_note(reads)
        findings.append({
            "rule": "year.in_force_change", "severity": "warning", "message": message,
            "cells": [f"proactive.{kind}.{c}" for c in ("in_force", "issued", "repealed")],
            "expected": expected, "observed": now,
            "spans": _cross_spans([*cells.values(), before_cell]),
            "reports": [cur.path, prev.path],
        })
    return findings


def _requests_jump(agency: str, prev: YearEnds, cur: YearEnds) -> list[Finding]:
    """``year.requests_jump``: 表三 本年新收 total moving by more than ``JUMP_RATIO`` times either way
    (from 0: to at least ``JUMP_MIN_LARGER``) while the later report's prose gives no reason.

    Such jumps are mostly a misplaced table (another year's, another agency's) or a typo; a real one
    is usually explained in the text. When the later report's text was not available the finding
    is still made and says so.
    """
    before, now = _value(prev.new_received), _value(cur.new_received)
    if before is None or now is None or cur.explains_change:
        return []
    small, large = sorted((before, now))
    if large < JUMP_MIN_LARGER or (small > 0 and large / small <= JUMP_RATIO):
        return []
    direction = "增至" if now > before else "降至"
    prose = "" if cur.explains_change is None else f"{cur.year}年报告正文未说明原因。"
    message = (f"{agency}表三“一、本年新收政府信息公开申请数量”总计由{prev.year}年的{_fmt(before)}件"
               f"{direction}{cur.year}年的{_fmt(now)}件，变化超过{_fmt(JUMP_RATIO)}倍，{prose}"
               f"见{_report_name(cur)}与{_report_name(prev)}。")
    if cur.explains_change is None:
        message += CANNOT_SEE_PROSE_NOTE.format(year=cur.year)
    message += _doubt_note([(f"{cur.year}年本年新收总计", cur.new_received),
                            (f"{prev.year}年本年新收总计", prev.new_received)])
    return [{
        "rule": "year.requests_jump", "severity": "warning", "message": message,
        "cells": ["requests.new_received.total"], "expected": before, "observed": now,
        "spans": _cross_spans([cur.new_received, prev.new_received]), "reports": [cur.path, prev.path],
    }]


# The cross-year rules, each over one agency's report of year N (cur) and of year N−1 (prev).
YEAR_RULES: tuple[tuple[str, Callable[[str, YearEnds, YearEnds], list[Finding]]], ...] = (
    ("year.carry_over", _carry_over),
    ("year.in_force_change", _in_force_change),
    ("year.requests_jump", _requests_jump),
)


def cross_year_findings(reports: Sequence[Report]) -> list[Finding]:
    """Every ``YEAR_RULES`` finding across the consecutive years of each agency among ``reports``."""
    return cross_year_findings_of([e for e in (YearEnds.of(r) for r in reports) if e is not None])


def cross_year_findings_of(ends: Sequence[YearEnds]) -> list[Finding]:
    """``YEAR_RULES`` over the year ends of many reports (see ``cross_year_findings``)."""
    by_agency: dict[str, dict[int, YearEnds]] = defaultdict(dict)
    for e in ends:
        by_agency[normalize_agency(e.agency)][e.year] = e
    findings: list[Finding] = []
    for agency, years in sorted(by_agency.items()):
        for year in sorted(years):
            prev = years.get(year - 1)
            if prev is None:
                continue
            for _, rule in YEAR_RULES:
                findings.extend(rule(agency, prev, years[year]))
    return findings


# The names the CLI and batch have always called: they now return every cross-year rule's findings.
carry_over_findings = cross_year_findings
carry_over_findings_of = cross_year_findings_of
