"""The review page's HTML: every template cell with its value, colours, marks, links, and nothing fetched.

Expected cells are computed from the template module and the report, not from the page's code.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from typing import Any

import lxml.html
import pdfplumber
import pytest

import gongkai
from gongkai.inference.tables import template as T
from gongkai.report import Report
from gongkai.review import render_review
from tests.conftest import shared_path
from tests.review.cells import bucket, expected_cells, shown

MAX_PAGE_BYTES = 2_000_000  # a typical report's page with its page images (the budget)


def parse(html: str) -> Any:
    return lxml.html.fromstring(html)


def cells_of(doc: Any) -> dict[str, Any]:
    return {td.get("data-path"): td for td in doc.xpath("//td[@data-path]")}


def value_text(td: Any) -> str:
    return td.xpath('./*[contains(concat(" ", @class, " "), " cv ")]')[0].text_content()


def classes(el: Any) -> set[str]:
    return set((el.get("class") or "").split())


def check_every_cell(report: Report, html: str) -> dict[str, Any]:
    """Every template cell drawn once, with its value (blank as blank) and one confidence colour."""
    doc = parse(html)
    tds = cells_of(doc)
    expected = expected_cells(report)
    assert set(tds) == set(expected)
    assert len(doc.xpath("//td[@data-path]")) == len(expected)  # none drawn twice
    for path, cell in expected.items():
        td = tds[path]
        value = None if cell is None else cell.value
        if isinstance(value, float):
            assert float(value_text(td)) == pytest.approx(value), path
        else:
            assert value_text(td) == shown(value), path
        confidence = 0.0 if cell is None else cell.confidence
        assert {c for c in classes(td) if c.startswith("q-")} == {bucket(confidence)}, (path, confidence)
    return tds


def check_self_contained(html: str) -> None:
    """No URL, no external resource; a CSP that forbids fetching and allows exactly the inline script."""
    assert not re.search(r"https?:|ftp:|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I)
    doc = parse(html)
    csp = doc.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert len(csp) == 1
    policy = dict((part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in csp[0].split(";")) if part)
    assert policy["default-src"] == "'none'" and policy["img-src"] == "data:"
    assert policy["connect-src"] == "'none'" and policy["base-uri"] == "'none'"
    scripts = doc.xpath("//script")
    assert len(scripts) == 1 and scripts[0].get("src") is None
    digest = base64.b64encode(hashlib.sha256(scripts[0].text.encode("utf-8")).digest()).decode()
    assert policy["script-src"] == f"'sha256-{digest}'"
    assert not doc.xpath("//link | //iframe | //object | //embed | //form | //base")
    assert all(src.startswith("data:image/") for src in doc.xpath("//img/@src"))
    assert all(href.startswith("#") for href in doc.xpath("//a/@href"))
    assert "@import" not in html and not re.search(r"url\((?!data:)", html)


# ---------------------------------------------------------------- a text seed


def test_every_cell_of_a_seed_is_drawn_with_its_value_and_colour(broken_seed) -> None:  # type: ignore[no-untyped-def]
    html = render_review(broken_seed.report)
    tds = check_every_cell(broken_seed.report, html)
    assert len(tds) == 10 + 25 * 7 + 15  # 表二, 表三 (2021: 三（六） in three rows), 表四
    check_self_contained(html)


def test_colours_follow_the_confidence_buckets_and_the_legend_names_them(broken_seed) -> None:  # type: ignore[no-untyped-def]
    report = copy.deepcopy(broken_seed.report)
    set_to = {"requests.granted.total": 0.995, "requests.granted.other": 0.95, "requests.granted.research": 0.7,
              "requests.granted.commercial": 0.2, "requests.granted.natural_person": 0.99,
              "requests.granted.legal_service": 0.5, "requests.granted.social_welfare": 0.9}
    for path, confidence in set_to.items():
        report.cell(path).confidence = confidence
    doc = parse(render_review(report))
    tds = cells_of(doc)
    got = {path: {c for c in classes(tds[path]) if c.startswith("q-")} for path in set_to}
    assert got == {"requests.granted.total": {"q-sure"}, "requests.granted.other": {"q-high"},
                   "requests.granted.research": {"q-mid"}, "requests.granted.commercial": {"q-low"},
                   "requests.granted.natural_person": {"q-sure"}, "requests.granted.legal_service": {"q-mid"},
                   "requests.granted.social_welfare": {"q-high"}}
    legend = doc.get_element_by_id("legend").text_content()
    for label in ("≥ 0.99", "0.90–0.99", "0.50–0.90", "< 0.50", "blank", "not read", "corrected", "error", "warning"):
        assert label in legend


def test_cells_of_broken_identities_are_outlined_and_the_suspect_marked(broken_seed) -> None:  # type: ignore[no-untyped-def]
    report = broken_seed.report
    tds = cells_of(parse(render_review(report)))
    named = {p for f in report.findings if f["severity"] in ("error", "warning") for p in f["cells"]}
    assert named and "requests.total.research" in named
    for path, td in tds.items():
        outlined = {"broken-error", "broken-warning"} & classes(td)
        assert bool(outlined) == (path in named), path
    assert "suspect" in classes(tds["requests.total.research"])
    assert "broken-error" in classes(tds["requests.new_received.research"])


def test_hover_and_focus_details_name_value_confidence_read_and_page(broken_seed) -> None:  # type: ignore[no-untyped-def]
    report = broken_seed.report
    tds = cells_of(parse(render_review(report)))
    cell = report.cell("requests.total.research")
    td = tds["requests.total.research"]
    link = td.xpath('./*[contains(@class, "cv")]')[0]
    title = link.get("title")
    assert "“三（七）总计”行“科研机构”列" in title and f"value {cell.value}" in title
    assert f"confidence {cell.confidence:.3f}" in title and f"read “{cell.raw}”" in title
    assert "requests.balance (error)" in title
    assert link.tag == "a" or link.get("tabindex") == "0"  # focusable without script
    assert td.xpath('./span[@class="tip"]')[0].text_content() == title  # shown on focus by CSS alone


def test_each_cell_links_to_its_span_in_the_text_and_back(broken_seed) -> None:  # type: ignore[no-untyped-def]
    report = broken_seed.report
    doc = parse(render_review(report))
    tds = cells_of(doc)
    linked = 0
    for path, cell in report.table_cells():
        if cell.span is None or path not in tds:
            continue
        link = tds[path].xpath('./a[contains(@class, "cv")]')[0]
        assert link.get("href") == f"#t-{path}"
        mark = doc.get_element_by_id(f"t-{path}")
        start, end = cell.span
        if mark.tag == "a":
            assert mark.get("href") == f"#c-{path}" and path in mark.get("data-k").split()
            assert report.text[start:end].startswith(mark.text_content())
        linked += 1
    assert linked == len(tds)


def test_findings_are_listed_with_rule_message_severity_and_their_cells(broken_seed) -> None:  # type: ignore[no-untyped-def]
    report = broken_seed.report
    doc = parse(render_review(report))
    items = doc.xpath('//li[contains(@class, "finding")]')
    assert len(items) == len(report.findings) == 3
    by_rule = {item.xpath(".//code")[0].text_content(): item for item in items}
    for f in report.findings:
        item = by_rule[f["rule"]]
        assert f"sev-{f['severity']}" in classes(item)
        assert item.xpath('.//*[@class="msg"]')[0].text_content() == f["message"]
        assert set(f["cells"]) <= set(item.get("data-k").split())


def test_claims_are_marked_in_the_text_with_the_cell_they_were_compared_to(broken_seed) -> None:  # type: ignore[no-untyped-def]
    report = broken_seed.report
    doc = parse(render_review(report))
    assert report.claims
    for i, claim in enumerate(report.claims):
        mark = doc.get_element_by_id(f"claim-{i}")
        target = claim["target"]
        if target.split(".")[0] in ("requests", "appeals", "proactive") and target.count(".") == 2:
            try:
                report.cell(target)
            except KeyError:
                continue
            holder = mark if mark.tag == "a" else mark.getnext()
            assert target in holder.get("data-k").split()
            assert report.cell(target) is not None
    rows = doc.xpath('//tr[contains(@class, "claim-row")]')
    assert len(rows) == len(report.claims)


def test_sentences_are_listed_with_labels_and_scores_in_a_collapsible_section(broken_seed) -> None:  # type: ignore[no-untyped-def]
    report = broken_seed.report
    doc = parse(render_review(report))
    rows = doc.xpath('//table[contains(@class, "sentences")]/tbody/tr')
    assert len(rows) == len(report.sentences) > 10
    assert doc.xpath('//section[@id="sentences"]/details/summary')
    labelled = [(row, s) for row, s in zip(rows, report.sentences) if s["labels"]]
    assert labelled
    for row, s in labelled:
        assert row.get("data-labels").split() == s["labels"]
        for label in s["labels"]:
            assert float(row.get(f"data-{label}")) == pytest.approx(s["scores"][label], abs=1e-4)
    assert {b.get("data-sort") for b in doc.xpath("//button[@data-sort]")} == {"n", "problem", "measure", "platform",
                                                                              "supervision"}


def test_a_web_address_in_the_report_is_shown_but_no_url_is_in_the_page(url_seed) -> None:  # type: ignore[no-untyped-def]
    assert "http://www.jinjiang.gov.cn" in url_seed.report.text
    html = render_review(url_seed.report)
    check_self_contained(html)
    assert "http://www.jinjiang.gov.cn" in parse(html).get_element_by_id("source").text_content()


# ---------------------------------------------------------------- blanks, corrections, templates


def test_blank_and_unread_cells_are_drawn_blank() -> None:
    report = gongkai.extract(shared_path("corpus", "real", "r002.html"), sentences=False)
    tds = check_every_cell(report, render_review(report))
    blank = [p for p, c in expected_cells(report).items() if c is not None and c.value is None and c.confidence > 1e-6]
    unread = [p for p, c in expected_cells(report).items() if c is None or (c.value is None and c.confidence <= 1e-6)]
    assert blank, "r002.html prints blank cells"
    for path in blank:
        assert value_text(tds[path]) == "" and "blank" in classes(tds[path])
    for path in unread:
        assert value_text(tds[path]) == "" and "absent" in classes(tds[path])


def test_the_2019_proactive_table_is_drawn_as_printed() -> None:
    report = gongkai.extract(shared_path("corpus", "real", "r002.html"), sentences=False)
    assert report.format_version == "2019" and report.proactive_2019
    doc = parse(render_review(report))
    table = doc.get_element_by_id("table-proactive")
    headers = [th.text_content() for th in table.xpath(".//th")]
    for label, columns in T.PROACTIVE_ROWS_2019:
        assert label in headers and all(c in headers for c in columns)
    assert "requests.other_processing.total" in cells_of(doc)
    assert "requests.other_other.total" not in cells_of(doc)


def test_corrected_cells_are_marked_and_their_identities_no_longer_outlined(broken_seed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = "requests.total.research"
    corrections = tmp_path / "corrections.jsonl"
    corrections.write_text(json.dumps({"doc_sha256": broken_seed.report.source.sha256, "cell": path, "value": 0,
                                       "verdict": "fixed", "by": "test"}) + "\n", encoding="utf-8")
    for html in (render_review(broken_seed.report, corrections=corrections),
                 render_review(gongkai.extract(shared_path("seeds", "002_20e49bc070485a7c.txt"), sentences=False,
                                               corrections=corrections))):
        tds = cells_of(parse(html))
        assert "corrected" in classes(tds[path]) and value_text(tds[path]) == "0"
        assert "q-sure" in classes(tds[path])
        assert "corrected by a reviewer" in tds[path].xpath('./*[contains(@class, "cv")]')[0].get("title")
        assert sum("corrected" in classes(td) for td in tds.values()) == 1
        assert not any({"broken-error", "broken-warning"} & classes(td) for td in tds.values())
    assert broken_seed.report.cell(path).value == 1  # the caller's report is left as it was


def test_a_document_without_template_tables_gets_a_page_of_empty_tables() -> None:
    report = gongkai.extract(shared_path("corpus", "real", "r013.txt"), sentences=False)
    assert report.format_version == "unknown"
    html = render_review(report)
    tds = check_every_cell(report, html)
    assert all(value_text(td) == "" for td in tds.values())
    assert "No template table was found" in html


# ---------------------------------------------------------------- pages: a real PDF and a scan


def box_percentages(el: Any) -> dict[str, float]:
    return {k.strip(): float(v.strip().rstrip("%")) for k, v in
            (part.split(":") for part in el.get("style").split(";") if part.strip())}


def test_a_real_pdf_shows_its_pages_with_each_cell_box_where_pdfplumber_measures_it(real_pdf) -> None:  # type: ignore[no-untyped-def]
    report = real_pdf.report
    html = render_review(report, real_pdf.data)
    assert len(html.encode("utf-8")) <= MAX_PAGE_BYTES
    check_self_contained(html)
    tds = check_every_cell(report, html)
    doc = parse(html)
    images = doc.xpath('//figure[contains(@class, "pg")]//img')
    assert len(images) == report.source.pages == 6
    assert all(src.startswith("data:image/webp;base64,") for src in doc.xpath("//figure//img/@src"))
    boxed = 0
    with pdfplumber.open(shared_path("corpus", "real", "r001.pdf")) as pdf:
        for path, cell in report.table_cells():
            if cell.bbox is None:
                continue
            box = doc.get_element_by_id(f"b-{path}")
            assert box.xpath("ancestor::figure")[0].get("id") == f"page-{cell.page}"
            page = pdf.pages[cell.page - 1]
            x0, top, x1, bottom = cell.bbox
            got = box_percentages(box)
            assert got["left"] == pytest.approx(100 * x0 / page.width, abs=0.01)
            assert got["top"] == pytest.approx(100 * top / page.height, abs=0.01)
            assert got["width"] == pytest.approx(100 * (x1 - x0) / page.width, abs=0.01)
            assert got["height"] == pytest.approx(100 * (bottom - top) / page.height, abs=0.01)
            assert tds[path].xpath('./a[contains(@class, "cv")]')[0].get("href") == f"#b-{path}"
            assert box.get("href") == f"#c-{path}"
            boxed += 1
    assert boxed == 200
    # The text read is there too (folded), with the cells and the prose claims marked.
    assert doc.xpath('//details[contains(@class, "srctext")]//a[@id="t-requests.total.total"]')
    assert doc.xpath('//details[contains(@class, "srctext")]//a[@id="claim-0"]')


def test_a_pdf_without_its_bytes_shows_the_text_and_says_why() -> None:
    report = gongkai.extract(shared_path("corpus", "real", "r001.pdf"), sentences=False)
    html = render_review(report)
    assert "page images need the source file" in html
    assert not parse(html).xpath("//img")
    check_every_cell(report, html)


def test_a_scan_shows_its_image_with_each_cell_box_where_ocr_found_it(scan) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    report = scan.report
    html = render_review(report, scan.data)
    check_self_contained(html)
    tds = check_every_cell(report, html)
    doc = parse(html)
    assert len(doc.xpath("//figure//img")) == 1
    with Image.open(__import__("io").BytesIO(scan.data)) as image:
        dpi = image.info["dpi"][0]
        width_pt, height_pt = image.width * 72 / dpi, image.height * 72 / dpi
    boxed = 0
    for path, cell in report.table_cells():
        if cell.bbox is None or path not in tds:
            continue
        got = box_percentages(doc.get_element_by_id(f"b-{path}"))
        assert got["left"] == pytest.approx(100 * cell.bbox[0] / width_pt, abs=0.01)
        assert got["top"] == pytest.approx(100 * cell.bbox[1] / height_pt, abs=0.01)
        boxed += 1
    assert boxed > 100  # 表三 of the seed is on this page
