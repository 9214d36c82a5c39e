"""Property tests (Hypothesis): any text or HTML built from a report's own pieces gets a report or a coded error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gongkai
from gongkai.errors import GongkaiError

# Pieces of the template's wording, numbers in many spellings and the separators scrapers leave.
PIECES = ["政府信息公开工作年度报告", "一、总体情况", "（一）", "表三", "本年新收政府信息公开申请数量", "总计",
          "自然人", "予以公开", "行政复议", "2023年", "12", "0", "1,234", "—", "/", "-", "５", "O", "l",
          "\t", " ", "\u3000", "\xa0", "\n", "\n\n", "|", "---", "#", "。", "：", "减", "万元"]
TAGS = ["table", "tr", "td", "th", "p", "div", "span", "br", "tbody", "font", "b"]
ATTRS = ['', ' rowspan="2"', ' colspan="3"', ' rowspan="0"', ' colspan="1000000000"', ' rowspan="-1"',
         ' colspan="x"']

texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=300).map("".join)


@st.composite
def html_trees(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attr = draw(st.sampled_from(ATTRS))
    children = [] if depth > 6 else draw(st.lists(html_trees(depth + 1) | st.sampled_from(PIECES), max_size=6))
    closed = draw(st.booleans())
    return f"<{tag}{attr}>" + "".join(children) + (f"</{tag}>" if closed else "")


def _extract(source: str | bytes) -> None:
    try:
        report = gongkai.extract(source, classify=False)
    except GongkaiError:
        return
    assert report.format_version in ("2019", "2021", "unknown")
    for path, cell in report.table_cells():
        assert 0.0 <= cell.confidence <= 1.0, path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_any_text_of_report_pieces(text: str) -> None:
    _extract(text)
    _extract(text.encode("gbk", "replace"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_trees())
def test_any_html_structure(tree: str) -> None:
    _extract(f"<html><body><p>政府信息公开工作年度报告</p>{tree}</body></html>".encode())
