"""The report generator: consistent numbers, every layout printing them exactly, value-safe noise."""

from __future__ import annotations

import functools
import io
import random
import re
import time
from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai.inference.tables.template import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    PROACTIVE_ROWS_2019,
    REQUEST_COLUMNS,
    REQUEST_GROUP_LABELS,
    REQUEST_ROWS,
)
from gongkai.training.synth import (
    ALL_LAYOUTS,
    ALL_TEXT_LAYOUTS,
    EXTRA_TABLES,
    LAYOUT_TRAITS,
    LAYOUTS,
    LOSABLE_ROWS,
    MEDIA_TYPES,
    OCR_CONFUSIONS,
    SCRAPED_LAYOUTS,
    SCRAPED_TRAIT_RATES,
    SCRAPED_TRAITS,
    SEPARATOR_TRAITS,
    SHORT_LABELS,
    SHREDDED_TRAIT_RATES,
    SHREDDED_TRAITS,
    SPACE_BLANK_MARKS,
    TABLE_PATHS,
    TEXT_LAYOUTS,
    SynthReport,
    add_ocr_noise,
    format_value,
    generate,
    random_values,
    render,
    render_blank_lines,
    render_flattened,
    render_markdown,
    render_space_aligned,
    render_tab_cells,
    render_tsv,
    request_rows,
)

APPLICANTS = REQUEST_COLUMNS[:-1]
ONLY_2021 = ("other_overdue_correction", "other_overdue_fee", "other_other")
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
TEMPLATE = st.sampled_from(("2021", "2019"))
# Layouts whose printed 表三 keeps every number as its own token.
SEPARATED_TEXT_LAYOUTS = tuple(name for name in TEXT_LAYOUTS if name != "flattened")
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_PAGE_LINE = re.compile(r"^\s*(?:[-—]\s*\d+\s*[-—]|第\s*\d+\s*页)\s*$", re.MULTILINE)
# A value token: not glued to a CJK character ("数据1") and not a label number ("1.属于", "2、").
_VALUE_TOKEN = re.compile(r"(?<![\u4e00-\u9fff\d.])\d+(?:\.\d+)?(?![\d.．、])")
_LABEL_PUNCT = re.compile(r"[\s（）()，,、“”\"：:.．|#]|<br>")


# ---------------------------------------------------------------- helpers
def identity_violations(gold: dict[str, int | float | None], template: str) -> list[str]:
    """Every template identity that does not hold (independent of the generator's own code)."""
    rows = [r.key for r in request_rows(template)]
    outcomes = [k for k in rows if k not in ("new_received", "carried_over", "total", "carried_forward")]

    def cell(row: str, col: str) -> int | float:
        value = gold[f"requests.{row}.{col}"]
        assert value is not None, f"requests.{row}.{col} is blank"
        return value

    bad = []
    for row in rows:
        if sum(cell(row, c) for c in APPLICANTS) != cell(row, "total"):
            bad.append(f"row_sum {row}")
    for col in REQUEST_COLUMNS:
        if sum(cell(k, col) for k in outcomes) != cell("total", col):
            bad.append(f"outcome_sum {col}")
        received = cell("new_received", col) + cell("carried_over", col)
        if received != cell("total", col) + cell("carried_forward", col):
            bad.append(f"balance {col}")
        if any(cell(k, col) < 0 for k in rows):
            bad.append(f"negative {col}")
    for group in APPEAL_GROUPS:
        parts = [gold[f"appeals.{group}.{c}"] for c in APPEAL_COLUMNS]
        assert None not in parts
        if sum(parts[:-1]) != parts[-1]:  # type: ignore[arg-type]
            bad.append(f"appeals {group}")
    return bad


def table3_region(text: str) -> str:
    start = text.index("收到和处理政府信息公开申请情况")
    return text[start:text.index("行政复议", start)]


def expected_table3(gold: dict[str, int | float | None], template: str) -> list[str]:
    rows = request_rows(template)
    return [format_value(gold[f"requests.{r.key}.{c}"]) for r in rows for c in REQUEST_COLUMNS]


def value_tokens(region: str) -> list[str]:
    return _VALUE_TOKEN.findall(_PAGE_LINE.sub("", region))


def normalised_numbers(text: str) -> Counter[str]:
    """Numbers in the text read back with a tiny local normaliser (full-width, O, l, commas)."""
    plain = text.translate(_FULLWIDTH).replace("O", "0").replace("l", "1").replace(",", "")
    return Counter(re.findall(r"\d+(?:\.\d+)?", plain))


def label_text(text: str, layout: str) -> str:
    """The text with whitespace and punctuation gone (and, for space columns, the value cells)."""
    if layout == "space_aligned":
        cells = [c for line in text.splitlines() for c in re.split(r"\s{2,}", line.strip())]
        text = "".join(c for c in cells if not re.fullmatch(r"[\d.,—/-]*", c))
    return _LABEL_PUNCT.sub("", text)


def one(layout: str, seed: int, *, template: str = "2021", blank_rate: float = 0.0,
        noise: float = 0.0) -> SynthReport:
    rng = random.Random(seed)
    return render(random_values(rng, template=template, blank_rate=blank_rate), layout, rng, noise)


# ---------------------------------------------------------------- values
@given(seed=SEEDS, template=TEMPLATE)
@settings(max_examples=150, deadline=None)
def test_random_values_satisfy_every_identity(seed: int, template: str) -> None:
    values = random_values(random.Random(seed), template=template)
    assert identity_violations(values, template) == []


@given(seed=SEEDS, template=TEMPLATE)
@settings(max_examples=60, deadline=None)
def test_template_cells_are_present_or_absent(seed: int, template: str) -> None:
    values = random_values(random.Random(seed), template=template)
    for path in TABLE_PATHS:
        if template == "2021":
            absent = path.startswith("requests.other_processing.")
        else:
            absent = path.startswith("proactive.") or path.split(".")[1] in ONLY_2021
        assert (values[path] is None) == absent, path
    extra = {k for k in values if k not in TABLE_PATHS}
    if template == "2019":
        assert extra == {f"proactive_2019.{row}.{col}" for row, cols in PROACTIVE_ROWS_2019 for col in cols}
    else:
        assert extra == set()


def test_values_mix_sparse_and_busy_reports() -> None:
    totals = [random_values(random.Random(s))["requests.new_received.total"] for s in range(300)]
    assert sum(1 for t in totals if t == 0) > 60
    assert max(t for t in totals if t is not None) >= 1000
    fees = [random_values(random.Random(s))["proactive.fees_wan_yuan"] for s in range(300)]
    decimals = [f for f in fees if isinstance(f, float)]
    assert decimals and all(len(format_value(f).split(".")[1]) <= 4 for f in decimals)


def test_blank_rate_blanks_cells_after_drawing() -> None:
    assert all(v is None for v in random_values(random.Random(1), blank_rate=1.0).values())
    values = random_values(random.Random(1), blank_rate=0.3)
    filled = sum(v is not None for v in values.values())
    assert 0 < filled < len(values)


def test_empty_zero_cells_leave_every_sum_holding() -> None:
    """``blanks="zeros"``: an HTML table's empty cells stand for 0, so the identities still hold."""
    for seed in range(20):
        full = random_values(random.Random(seed))
        blanked = random_values(random.Random(seed), blank_rate=0.5, blanks="zeros")
        emptied = [k for k in full if full[k] is not None and blanked[k] is None]
        assert all(full[k] == 0 for k in emptied)
        assert all(blanked[k] == full[k] for k in full if k not in emptied)
        for row in REQUEST_ROWS:  # each 表三 row still adds up, an empty cell read as 0
            cells = [blanked.get(f"requests.{row.key}.{c}") for c in REQUEST_COLUMNS]
            if any(v is not None for v in cells):
                assert sum(v or 0 for v in cells[:-1]) == (cells[-1] or 0)
    assert sum(1 for seed in range(20) for k, v in random_values(random.Random(seed), blank_rate=0.5,
                                                                 blanks="zeros").items()
               if v is None and random_values(random.Random(seed))[k] is not None) > 100
    with pytest.raises(ValueError, match="blanks"):
        random_values(random.Random(1), blank_rate=0.1, blanks="some")


# ---------------------------------------------------------------- reports
@pytest.mark.parametrize("layout", LAYOUTS)
@given(seed=SEEDS)
@settings(max_examples=8, deadline=None)
def test_every_layout_carries_consistent_gold(layout: str, seed: int) -> None:
    for report in generate(3, seed=seed, layouts=(layout,), template_mix=0.5):
        assert report.layout == layout and report.media_type == MEDIA_TYPES[layout]
        assert list(report.gold) == list(TABLE_PATHS)
        assert identity_violations(report.gold, report.format_version) == []
        assert (report.text is None) == (layout in ("html", "docx")) != (report.data is None)
        assert (report.format_version == "2019") == bool(report.proactive_2019)
        assert 2019 <= report.year <= 2025 and report.agency


@pytest.mark.parametrize("layout", TEXT_LAYOUTS)
@pytest.mark.parametrize("template", ["2021", "2019"])
def test_text_has_title_period_and_every_row_label(layout: str, template: str) -> None:
    for seed in range(12):
        report = one(layout, seed, template=template)
        text = report.text or ""
        assert f"{report.agency}{report.year}年" in text
        assert f"{report.year}年1月1日" in text.replace("\n", "")  # space_aligned wraps prose
        assert "三、收到和处理政府信息公开申请情况" in text
        flat = label_text(text, layout)
        for row in request_rows(template):
            assert _LABEL_PUNCT.sub("", row.label) in flat, (seed, row.key)


@pytest.mark.parametrize("layout", SEPARATED_TEXT_LAYOUTS)
@pytest.mark.parametrize("template", ["2021", "2019"])
def test_table3_prints_exactly_the_gold_in_order(layout: str, template: str) -> None:
    for seed in range(25):
        report = one(layout, seed, template=template)
        assert value_tokens(table3_region(report.text or "")) == expected_table3(report.gold, template), seed


def test_flattened_table3_is_the_gold_run_together() -> None:
    for seed in range(25):
        report = one("flattened", seed)
        region = re.sub(r"\d(?=[.．、]\s?[\u4e00-\u9fff“])", "", table3_region(report.text or ""))
        assert "".join(re.findall(r"\d", region)) == "".join(expected_table3(report.gold, "2021"))


def test_space_aligned_blanks_are_marks_not_gaps() -> None:
    for seed in range(25):
        report = one("space_aligned", seed, blank_rate=0.3)
        region = _PAGE_LINE.sub("", table3_region(report.text or ""))
        cells = [c for line in region.splitlines() for c in re.split(r"\s{2,}", line.strip())]
        tokens = [c for c in cells if re.fullmatch(r"\d+|[—/-]", c)]
        expected = expected_table3(report.gold, "2021")
        assert len(tokens) == len(expected)
        for token, value in zip(tokens, expected, strict=True):
            assert token == value or (value == "" and token in SPACE_BLANK_MARKS)


def read_blank_lines_row(chunk: str) -> list[str]:
    """The 7 cells after a label: each cell is its text and three newlines; an empty cell is just those."""
    assert chunk.startswith("\n\n\n"), repr(chunk[:10])
    rest, cells = chunk[3:], []
    for i in range(len(REQUEST_COLUMNS)):
        digits = re.match(r"\d*", rest)
        assert digits is not None
        cells.append(digits.group())
        rest = rest[digits.end():]
        if i < len(REQUEST_COLUMNS) - 1:
            assert rest.startswith("\n\n\n"), repr(rest[:10])
            rest = rest[3:]
    assert re.fullmatch(r"\n*", rest), repr(rest[:10])
    return cells


def test_blank_lines_keep_an_empty_cells_place() -> None:
    blanks = 0
    for seed in range(30):
        report = one("blank_lines", seed, blank_rate=0.2)
        text = report.text or ""
        region = table3_region(text)
        region = region[:region.rfind("\n") + 1]
        labels = list(re.finditer(r"(?m)^(?=[^\n]*[^\d\n]).+$", region))
        rows = []
        for label, after in zip(labels, labels[1:] + [None], strict=True):
            chunk = region[label.end():after.start() if after else len(region)]
            if re.search(r"\d", chunk) or len(chunk) >= 21:
                rows += read_blank_lines_row(chunk)
        assert rows == expected_table3(report.gold, "2021"), seed
        blanks += rows.count("")
    assert blanks > 0


def test_html_table3_cells_and_charset() -> None:
    import lxml.html

    charsets = set()
    for seed in range(20):
        report = one("html", seed)
        data = report.data or b""
        match = re.search(rb'charset="?([A-Za-z0-9_-]+)', data)
        assert match, "no declared charset"
        charset = match.group(1).decode()
        charsets.add(charset)
        page = data.decode(charset)  # strict: the bytes really are in the declared charset
        assert 'rowspan="8"' in page and 'colspan="5"' in page and 'colspan="10"' in page
        tree = lxml.html.fromstring(page)
        tables = tree.findall(".//table")
        assert len(tables) >= 3
        table3 = next(t for t in tables if "勾稽" in t.text_content())
        numbers = [td.text_content().strip() for td in table3.iter("td")]
        numbers = [n for n in numbers if re.fullmatch(r"\d+", n)]
        assert numbers == expected_table3(report.gold, report.format_version)
    assert charsets == {"utf-8", "gbk"}


def test_docx_opens_with_merged_tables() -> None:
    docx = pytest.importorskip("docx")
    for seed in range(4):
        report = one("docx", seed, template=("2021", "2019")[seed % 2])
        document = docx.Document(io.BytesIO(report.data or b""))
        assert len(document.tables) >= 3
        table3 = document.tables[1]
        seen: set[object] = set()  # lxml elements, kept alive so identity means the same cell
        numbers = []
        for row in table3.rows:
            for cell in row.cells:
                if cell._tc not in seen:
                    seen.add(cell._tc)
                    if re.fullmatch(r"\d+", cell.text):
                        numbers.append(cell.text)
        assert numbers == expected_table3(report.gold, report.format_version)
        assert table3.cell(3, 0).text == table3.cell(3, 2).text  # 一、… spans three label columns


def test_public_renderers_return_text() -> None:
    for fn in (render_tab_cells, render_tsv, render_markdown, render_blank_lines, render_space_aligned,
               render_flattened):
        rng = random.Random(4)
        assert "行政复议" in fn(random_values(rng), rng, 0.0)


# ---------------------------------------------------------------- noise
@pytest.mark.parametrize("layout", TEXT_LAYOUTS)
def test_noise_never_changes_a_number(layout: str) -> None:
    for seed in range(10):
        text = one(layout, seed, blank_rate=0.05).text or ""
        for region in (table3_region(text), text):
            noisy = add_ocr_noise(region, random.Random(seed), 0.5, thousands=layout != "flattened")
            assert noisy != region
            assert normalised_numbers(noisy) == normalised_numbers(region)


NOISE_ALPHABET = "0123456789.,，年月日 \t\n|" + "".join(OCR_CONFUSIONS) + "公开申请数量"


@given(text=st.text(alphabet=NOISE_ALPHABET, max_size=80),
       seed=SEEDS, rate=st.floats(min_value=0.0, max_value=1.0))
@settings(max_examples=300, deadline=None)
def test_noise_preserves_values_on_any_text(text: str, seed: int, rate: float) -> None:
    noisy = add_ocr_noise(text, random.Random(seed), rate)
    assert normalised_numbers(noisy) == normalised_numbers(text)


def test_noise_uses_every_kind_of_damage() -> None:
    text = one("tsv", 11).text or ""
    reports = (one("tsv", s) for s in range(100))
    busy = next(r.text or "" for r in reports if (r.gold["requests.total.total"] or 0) > 999)
    noisy = add_ocr_noise(text + busy, random.Random(0), 0.6)
    assert any(c in noisy for c in "０１２３４５６７８９")
    assert "O" in noisy and "l" in noisy
    assert re.search(r"\d,\d{3}", noisy)
    assert any(c in noisy for c in set(OCR_CONFUSIONS.values()))
    assert add_ocr_noise(text, random.Random(0), 0.0) == text


def test_generated_noise_level_is_recorded() -> None:
    levels = [r.noise for r in generate(20, seed=2, layouts=TEXT_LAYOUTS, noise=(0.0, 0.2))]
    assert all(0.0 <= n <= 0.2 for n in levels) and len(set(levels)) > 1


# ---------------------------------------------------------------- generate
def test_generate_is_deterministic_per_seed() -> None:
    kwargs = {"layouts": LAYOUTS, "noise": (0.0, 0.2), "blank_rate": 0.05}
    first = list(generate(16, seed=5, **kwargs))  # type: ignore[arg-type]
    assert first == list(generate(16, seed=5, **kwargs))  # type: ignore[arg-type]
    assert [r.source_bytes for r in first] != [r.source_bytes for r in generate(16, seed=6, **kwargs)]  # type: ignore[arg-type]
    assert first[:4] == list(generate(4, seed=5, **kwargs))  # type: ignore[arg-type]


def test_generate_mixes_layouts_and_templates() -> None:
    reports = list(generate(200, seed=1, layouts=TEXT_LAYOUTS, template_mix=0.3))
    assert {r.layout for r in reports} == set(TEXT_LAYOUTS)
    share = sum(r.format_version == "2019" for r in reports) / len(reports)
    assert 0.15 < share < 0.45


def test_generate_rejects_unknown_layouts() -> None:
    with pytest.raises(ValueError):
        list(generate(1, layouts=("pdf",)))
    with pytest.raises(ValueError):
        render(random_values(random.Random(0)), "pdf", random.Random(0))


def test_text_layouts_are_fast() -> None:
    start = time.perf_counter()
    list(generate(100, seed=9, layouts=TEXT_LAYOUTS, noise=0.1, blank_rate=0.05))
    assert time.perf_counter() - start < 5.0  # ~0.3 s on a laptop core; generous for CI


# ---------------------------------------------------------------- the scraped family
# One pool per layout, generated once: 300 reports, some 2019-template, a few blank cells.
POOL_SIZE = 300
POOL_BLANK_RATE = 0.01
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Sub-row numbering ("2." / "2、" / "（2）") whose digit is not a value.
_NUMBERING_DIGIT = re.compile(r"\d(?=[.、]\s?[\u4e00-\u9fff“])|（\d）")
_BLANK_MARK_CHARS = "—/-"
_WS_CLASS = "[ \xa0\u3000\t\n]"
# A value after a separator: optional sign and a digit, not a bare sub-row number ("2." / "2、").
_NEXT_VALUE = r"(?=[+\-增减]?\d)(?!\d[.、]\s?[\u4e00-\u9fff“])"
_SEPARATOR_PATTERNS: dict[str, str] = {
    "sep_space": " ", "sep_multi_space": " {2,}", "sep_nbsp": "\xa0", "sep_fullwidth": "\u3000",
    "sep_tab": "\t", "sep_newline": "\n",
}
_NUMBERED_LINE = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d[.、])")


@functools.cache
def scraped_pool(layout: str) -> tuple[SynthReport, ...]:
    return tuple(generate(POOL_SIZE, seed=0, layouts=(layout,), template_mix=0.3, blank_rate=POOL_BLANK_RATE))


def with_trait(layout: str, trait: str) -> list[SynthReport]:
    reports = [r for r in scraped_pool(layout) if trait in r.traits]
    assert reports, f"no {layout} report with {trait}"
    return reports


def tables_region(report: SynthReport) -> str:
    """表二 to the end of 表四 (before any extra table and before 五、)."""
    text = report.text or ""
    start = text.index("主动公开政府信息情况", text.index("一、"))
    ends = [text.find(title, start) for title, _, _ in EXTRA_TABLES] + [text.find("五、", start)]
    return text[start:min(e for e in ends if e >= 0)]


def table4_region(report: SynthReport) -> str:
    region = tables_region(report)
    return region[region.index("行政复议", region.index("收到和处理政府信息公开申请情况")):]


def body_of(report: SynthReport) -> str:
    """The text after an archive header (the whole text when there is none)."""
    text = report.text or ""
    marker = re.search(r"^=+ 正文 =+\n", text, re.MULTILINE)
    return text[marker.end():] if marker else text


def stripped_digits(region: str) -> str:
    """The digits of a table region, page lines and sub-row numbers removed."""
    return "".join(re.findall(r"\d", _NUMBERING_DIGIT.sub("", _PAGE_LINE.sub("", region))))


def printed_cells(report: SynthReport) -> list[int | float | None]:
    """Every cell the report prints in 表二, 表三 and 表四 (None: a blank)."""
    template = report.format_version
    if template == "2019":
        cells = [v for row in report.proactive_2019.values() for v in row.values()]
    else:
        cells = [v for k, v in report.gold.items() if k.startswith("proactive.")]
    cells += [report.gold[f"requests.{r.key}.{c}"] for r in request_rows(template) for c in REQUEST_COLUMNS]
    return cells + [report.gold[f"appeals.{g}.{c}"] for g in APPEAL_GROUPS for c in APPEAL_COLUMNS]


def change_values(report: SynthReport) -> set[int]:
    return {int(v) for row in report.proactive_2019.values() for c, v in row.items()
            if c == "本年增/减" and v is not None}


def table4_expected(report: SynthReport) -> list[str]:
    return [format_value(report.gold[f"appeals.{g}.{c}"]) for g in APPEAL_GROUPS for c in APPEAL_COLUMNS]


def short_label_shown(region: str) -> bool:
    flat = _LABEL_PUNCT.sub("", region)
    rows = {r.key: r for r in REQUEST_ROWS}
    return any(short in region and _LABEL_PUNCT.sub("", rows[key].label) not in flat
               for key, short in SHORT_LABELS.items())


def lost_label_shown(report: SynthReport, region: str) -> bool:
    flat = _LABEL_PUNCT.sub("", region)
    for row in request_rows(report.format_version):
        if row.key in LOSABLE_ROWS:
            forms = [_LABEL_PUNCT.sub("", row.label), SHORT_LABELS.get(row.key, "\0")]
            if not any(form in flat for form in forms):
                return True
    return False


def blank_marks(report: SynthReport) -> int:
    region = tables_region(report).replace("增/减", "")
    if report.format_version == "2019":
        return sum(region.count(c) for c in "—/")
    return sum(region.count(c) for c in _BLANK_MARK_CHARS)


def signed_tokens(report: SynthReport) -> list[tuple[str, str]]:
    """(sign, digit run) pairs in 表二; the run may go on into the next, glued value ("-5" "0" -> "-50")."""
    region = tables_region(report)
    region = region[:region.index("收到和处理政府信息公开申请情况")].replace("增/减", "")
    return re.findall(r"([+\-增减])(\d+)", region)


def signs_match_gold(report: SynthReport) -> bool:
    """Every signed change starts with a 本年增/减 gold value of that sign."""
    changes = change_values(report)
    tokens = signed_tokens(report)
    return bool(tokens) and all(
        any(run.startswith(str(abs(v))) and (v < 0) == (sign in "-减") for v in changes if v)
        for sign, run in tokens)


def sep_shown(report: SynthReport, trait: str) -> bool:
    region = tables_region(report)
    if trait == "sep_none":  # two values run together: fewer digit runs than printed values
        runs = re.findall(r"\d+(?:\.\d+)?", _NUMBERING_DIGIT.sub("", region))
        return len(runs) < sum(v is not None for v in printed_cells(report))
    return re.search(r"\d" + _SEPARATOR_PATTERNS[trait] + _NEXT_VALUE, region) is not None


def total_apart_shown(report: SynthReport) -> bool:
    region = table3_region(report.text or "")
    for row in request_rows(report.format_version):
        cells = [format_value(report.gold[f"requests.{row.key}.{c}"]) for c in REQUEST_COLUMNS]
        if "" not in cells:
            pattern = re.escape("".join(cells[:-1])) + _WS_CLASS + "+" + re.escape(cells[-1]) + r"(?!\d)"
            if re.search(pattern, region):
                return True
    return False


def blank_nothing_shown(report: SynthReport) -> bool:
    table3 = expected_table3(report.gold, report.format_version)
    digits_match = stripped_digits(table3_region(report.text or "")) == "".join(table3)
    return None in printed_cells(report) and blank_marks(report) == 0 and digits_match


def prose_after_shown(report: SynthReport) -> bool:
    sentence = report.after_tables_sentence or "\0"
    return re.search(r"\d ?五、[^\n]*?" + re.escape(sentence), report.text or "") is not None


def cover_letter_shown(report: SynthReport) -> bool:
    body = body_of(report)
    title = re.search(re.escape(report.agency) + r" ?" + str(report.year) + "年", body)
    return title is not None and 0 <= body.find("现将") < title.start()


def extra_table_shown(report: SynthReport) -> bool:
    text = report.text or ""
    start = text.index("结果维持")
    end = text.index("五、", start)
    return any(start < text.find(title, start) < end for title, _, _ in EXTRA_TABLES)


SCRAPED_CHECKS: dict[str, Callable[[SynthReport], bool]] = {
    **{name: functools.partial(sep_shown, trait=name) for name in SEPARATOR_TRAITS},
    "total_apart": total_apart_shown,
    "label_short": lambda r: short_label_shown(table3_region(r.text or "")),
    "label_lost": lambda r: lost_label_shown(r, table3_region(r.text or "")),
    "numbering_glued": lambda r: re.search(r"\d(?:[1-9][.、]|（[1-9]）)\s?[\u4e00-\u9fff“]",
                                           table3_region(r.text or "")) is not None,
    "blank_nothing": blank_nothing_shown,
    "blank_mark": lambda r: 0 < blank_marks(r) == sum(v is None for v in printed_cells(r)),
    "all_zero": lambda r: set(stripped_digits(table3_region(r.text or "") + table4_region(r))) == {"0"},
    "template_2019": lambda r: r.format_version == "2019" and "第二十条第（九）项" in (r.text or ""),
    "signed_change": signs_match_gold,
    "extra_table": extra_table_shown,
    "cover_letter": cover_letter_shown,
    "archive_header": lambda r: (r.text or "").startswith("标题: ") and f"发布机构: {r.agency}\n" in (r.text or "")
    and body_of(r) != r.text,
    "one_line": lambda r: "\n" not in body_of(r).rstrip("\n"),
    "prose_after_table": prose_after_shown,
}


def pipe_lines(region: str) -> list[str]:
    return [line for line in region.splitlines() if line.startswith("|") and not re.fullmatch(r"[|\-]+", line)]


def values_only(line: str) -> bool:
    return line.startswith("|") and not _CJK.search(line) and re.search(r"\d", line) is not None


def first_index(lines: list[str], test: Callable[[str], bool]) -> int:
    return next((i for i, line in enumerate(lines) if test(line)), len(lines))


def label_line(line: str) -> bool:
    return not line.startswith("|") and _NUMBERED_LINE.match(line) is not None


def label_wrapped_shown(region: str) -> bool:
    lines = [_LABEL_PUNCT.sub("", line) for line in region.splitlines() if not line.startswith("|")]
    joined = "".join(lines)
    labels = [_LABEL_PUNCT.sub("", r.label) for r in REQUEST_ROWS] + list(REQUEST_GROUP_LABELS)
    return any(len(lab) >= 4 and lab in joined and not any(lab in line for line in lines) for lab in labels)


def table2_region(text: str) -> str:
    start = text.index("主动公开政府信息情况", text.index("一、"))
    return text[start:text.index("收到和处理政府信息公开申请情况", start)]


def dropped_blanks_shown(report: SynthReport) -> bool:
    """表二 has blank cells, and no 表二 pipe row prints an empty cell for them: they were left out."""
    if report.format_version == "2019":
        gold = [v for row in report.proactive_2019.values() for v in row.values()]
    else:
        gold = [v for k, v in report.gold.items() if k.startswith("proactive.")]
    split = [line.strip().strip("|").split("|") for line in pipe_lines(table2_region(report.text or ""))]
    rows = [cells for cells in split if any(c.strip() for c in cells)]  # all-empty rows are another trait
    # (an empty last cell is the trailing_cell trait, printed only on rows that dropped nothing)
    return None in gold and bool(rows) and not any(not c.strip() for cells in rows for c in cells[:-1])


SHREDDED_CHECKS: dict[str, Callable[[SynthReport], bool]] = {
    "label_detached": lambda r: any(values_only(x) for x in table3_region(r.text or "").splitlines())
    and any(label_line(x) for x in table3_region(r.text or "").splitlines()),
    "label_after_values": lambda r: first_index(table3_region(r.text or "").splitlines(), values_only)
    < first_index(table3_region(r.text or "").splitlines(), label_line),
    "label_wrapped": lambda r: label_wrapped_shown(table3_region(r.text or "")),
    "header_repeated": lambda r: sum("自然人" in x for x in pipe_lines(table3_region(r.text or ""))) >= 2,
    "header_lost": lambda r: "自然人" not in table3_region(r.text or "")
    and "申请人情况" not in table3_region(r.text or ""),
    "header_as_text": lambda r: any("自然人" in x and not x.startswith("|")
                                    for x in table3_region(r.text or "").splitlines()),
    "empty_rows": lambda r: re.search(r"(?m)^\|(?:\s*\|){2,}\s*$", tables_region(r)) is not None,
    "page_numbers": lambda r: _PAGE_LINE.search(tables_region(r)) is not None,
    "trailing_cell": lambda r: re.search(r"(?m)\d\s*\|\s*\|\s*$", tables_region(r)) is not None,
    "caption": lambda r: re.search(r"(?m)^## 表[二三四]：", r.text or "") is not None,
    "blank_nothing": lambda r: None in printed_cells(r) and stripped_digits(table3_region(r.text or ""))
    == "".join(expected_table3(r.gold, r.format_version)),
    "all_zero": SCRAPED_CHECKS["all_zero"],
    "template_2019": SCRAPED_CHECKS["template_2019"],
    "blank_dropped": dropped_blanks_shown,
    "prose_before_table": lambda r: re.search(r"规章\d+件", tables_region(r).split("\n|")[0]) is not None,
}
FAMILY_CHECKS: dict[str, dict[str, Callable[[SynthReport], bool]]] = {
    "scraped": SCRAPED_CHECKS, "markdown_shredded": SHREDDED_CHECKS,
}


def test_trait_names_are_declared_and_checked() -> None:
    assert set(LAYOUT_TRAITS) == set(SCRAPED_LAYOUTS) and set(SCRAPED_LAYOUTS) <= set(MEDIA_TYPES)
    for layout, names in LAYOUT_TRAITS.items():
        assert len(set(names)) == len(names) and set(FAMILY_CHECKS[layout]) == set(names)
    assert set(SCRAPED_TRAIT_RATES) <= set(SCRAPED_TRAITS) and set(SHREDDED_TRAIT_RATES) <= set(SHREDDED_TRAITS)
    assert ALL_LAYOUTS == LAYOUTS + SCRAPED_LAYOUTS and not set(SCRAPED_LAYOUTS) & set(LAYOUTS)


@pytest.mark.parametrize(("layout", "trait"),
                         [(layout, trait) for layout, names in LAYOUT_TRAITS.items() for trait in names])
def test_each_trait_shows_in_the_text(layout: str, trait: str) -> None:
    check = FAMILY_CHECKS[layout][trait]
    for report in with_trait(layout, trait)[:25]:
        assert check(report), (trait, report.traits, (report.text or "")[:200])


@pytest.mark.parametrize("layout", SCRAPED_LAYOUTS)
def test_every_trait_occurs_in_300_reports(layout: str) -> None:
    names = LAYOUT_TRAITS[layout]
    seen = Counter(t for r in scraped_pool(layout) for t in r.traits)
    assert set(names) - set(seen) == set()
    assert all(list(r.traits) == [t for t in names if t in r.traits] for r in scraped_pool(layout))


def test_signed_changes_include_negatives() -> None:
    spelled = Counter(sign for r in with_trait("scraped", "signed_change") for sign, _ in signed_tokens(r))
    assert spelled["-"] and spelled["减"] and spelled["+"] and spelled["增"]
    negatives = [r for r in with_trait("scraped", "signed_change") if any(s in "-减" for s, _ in signed_tokens(r))]
    assert negatives and all(min(change_values(r)) < 0 for r in negatives)  # the gold keeps the sign


@pytest.mark.parametrize("layout", SCRAPED_LAYOUTS)
def test_scraped_gold_satisfies_the_template_identities(layout: str) -> None:
    clean = list(generate(120, seed=1, layouts=(layout,), template_mix=0.3))
    assert {r.format_version for r in clean} == {"2021", "2019"}
    for report in clean:
        assert identity_violations(report.gold, report.format_version) == []
        assert list(report.gold) == list(TABLE_PATHS)
        assert report.media_type == MEDIA_TYPES[layout] and report.text and report.data is None


@pytest.mark.parametrize("layout", SCRAPED_LAYOUTS)
def test_scraped_tables_print_the_gold_in_order(layout: str) -> None:
    for report in scraped_pool(layout)[:80]:
        table3 = expected_table3(report.gold, report.format_version)
        assert stripped_digits(table3_region(report.text or "")) == "".join(table3), report.traits
        assert stripped_digits(table4_region(report)) == "".join(table4_expected(report))


@pytest.mark.parametrize("layout", SCRAPED_LAYOUTS)
def test_narrative_after_the_tables_is_recorded(layout: str) -> None:
    for report in scraped_pool(layout)[:60]:
        text, sentence = report.text or "", report.after_tables_sentence
        assert sentence and sentence.endswith("。")
        assert text.index(sentence) > text.index("五、") > text.index("收到和处理政府信息公开申请情况")


@pytest.mark.parametrize("layout", SCRAPED_LAYOUTS)
def test_scraped_noise_keeps_every_number_and_the_layout(layout: str) -> None:
    for seed in range(6):
        template = ("2021", "2019")[seed % 2]
        clean, noisy = one(layout, seed, template=template), one(layout, seed, template=template, noise=0.3)
        assert noisy.text != clean.text and noisy.traits == clean.traits
        assert normalised_numbers(noisy.text or "") == normalised_numbers(clean.text or "")
        assert noisy.after_tables_sentence and noisy.after_tables_sentence in (noisy.text or "")


@pytest.mark.parametrize("layout", SCRAPED_LAYOUTS)
def test_scraped_generation_is_deterministic(layout: str) -> None:
    kwargs = {"layouts": (layout,), "noise": (0.0, 0.2), "blank_rate": 0.02, "template_mix": 0.3}
    first = list(generate(12, seed=3, **kwargs))  # type: ignore[arg-type]
    assert first == list(generate(12, seed=3, **kwargs))  # type: ignore[arg-type]
    assert first[:5] == list(generate(5, seed=3, **kwargs))  # type: ignore[arg-type]
    assert [r.text for r in first] != [r.text for r in generate(12, seed=4, **kwargs)]  # type: ignore[arg-type]
    assert len({r.traits for r in first}) > 3


def test_scraped_family_mixes_with_the_other_layouts() -> None:
    reports = list(generate(40, seed=2, layouts=ALL_TEXT_LAYOUTS))
    assert {r.layout for r in reports} >= set(SCRAPED_LAYOUTS)
    assert all(bool(r.traits) == (r.layout in SCRAPED_LAYOUTS) for r in reports)
    assert all((r.after_tables_sentence is None) == (r.layout not in SCRAPED_LAYOUTS) for r in reports)
