"""Sentence segmentation: boundaries, non-narrative spans, sections; on seeds and small generated texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongkai.inference.narrative.sentences import boundary_offsets, segment
from gongkai.inference.readers import read_bytes

SEEDS = ("000_311298fcf36e9c33.txt", "001_90d10d0810e34bee.txt", "002_20e49bc070485a7c.txt",
         "003_015671194d5bc82a.txt", "004_76d1d7d14147d7ef.txt")


def seed_text(seeds_dir: Path, name: str) -> str:
    path = seeds_dir / name
    return read_bytes(path.read_bytes(), str(path)).text


def test_full_stops_semicolons_and_enumerations_end_sentences() -> None:
    text = "一、总体情况\n我局加强领导，完善制度。一是优化平台；二是加强培训，三是强化考核。\n"
    got = [s.text for s in segment(text)]
    assert got == ["我局加强领导，完善制度。", "一是优化平台；", "二是加强培训，", "三是强化考核。"]


def test_closing_quote_stays_with_its_sentence() -> None:
    text = "坚持“先审查、后公开。”严格落实保密审查制度，确保信息安全。"
    starts = boundary_offsets(text)
    assert text.index("严格") in starts
    assert text.index("”") + 1 in starts


def test_wrapped_lines_are_joined_but_paragraph_ends_are_not() -> None:
    # A PDF-like text layer: every prose line filled to one width, sentences wrapping over lines.
    line = "政府信息公开工作坚持以公开为常态不公开为例外的原则进一"
    text = ("一、总体情况\n" + line + "\n步规范主动公开内容，完善公开目录。\n" + line
            + "\n步加强平台建设，提升服务水平。\n") * 3 + "（一）主动公开\n全年主动公开政府信息共计十余条。\n"
    sentences = segment(text)
    wrapped = [s.text for s in sentences if "\n" in s.text]
    assert wrapped and all(s.startswith("政府信息公开") for s in wrapped)
    assert sentences[-1].text == "全年主动公开政府信息共计十余条。"
    assert sentences[-1].section == "一（一）"


def test_unwrapped_lines_each_end_a_sentence() -> None:
    text = "一、总体情况\n我局高度重视政府信息公开工作，成立工作专班\n成立了以局长为组长的领导小组，负责统筹推进\n"
    assert [s.text for s in segment(text)] == ["我局高度重视政府信息公开工作，成立工作专班",
                                               "成立了以局长为组长的领导小组，负责统筹推进"]


def test_table_cells_headings_titles_and_contact_lines_are_not_sentences() -> None:
    text = (
        "某某县科学技术局2024年政府信息公开工作年度报告\n"
        "一、总体情况\n"
        "本机关认真贯彻落实《条例》，持续推进政务公开工作。\n"
        "（一）主动公开\n"
        "信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n"
        "规章\t0\t0\t0\n"
        "如对本报告有疑问，请联系：电话：0595-12345678，地址：某某路1号。\n"
        "某某县科学技术局\n2025年1月20日\n"
    )
    assert [s.text for s in segment(text)] == ["本机关认真贯彻落实《条例》，持续推进政务公开工作。"]


def test_scraper_metadata_is_not_narrative_and_narrow_scans_are_joined() -> None:
    text = ("标题: 某某区2024年度政府信息公开工作年度报告\n发布时间: 2025-01-20 09:00\n"
            "==================== 正文 ====================\n"
            + "本机关坚持以公开为常态、不公开为\n例外，扎实做好政府信息公开工作。\n" * 6)
    got = [s.text for s in segment(text)]
    assert got and all(t.startswith("本机关") and t.endswith("工作。") and "\n" in t for t in got)


def test_run_together_paragraphs_get_their_sections() -> None:
    # Scrapers that drop line breaks: headings after a full stop, on one long line.
    body = "我厅坚持以人民为中心，持续深化政务公开，丰富公开形式，提高公开质量。" * 6
    text = (f"一、总体情况{body}（一）主动公开情况。全年通过门户网站发布信息四百条。"
            f"（二）依申请公开情况。全年收到申请十件，均按期答复。{body}")
    by_text = {s.text: s for s in segment(text)}
    assert by_text["全年通过门户网站发布信息四百条。"].section == "一（一）"
    assert by_text["全年收到申请十件，均按期答复。"].heading == "依申请公开情况"
    assert not any(t.startswith("（二）") for t in by_text)


@pytest.mark.parametrize("name", SEEDS)
def test_seed_sentences_are_narrative_and_index_the_text(seeds_dir: Path, name: str) -> None:
    text = seed_text(seeds_dir, name)
    sentences = segment(text)
    assert len(sentences) >= 15
    for s in sentences:
        assert text[s.span[0]: s.span[1]] == s.text
        assert "\t" not in s.text
        assert s.text == s.text.strip()
    ids = [s.id for s in sentences]
    assert ids == list(range(len(sentences)))
    assert [s.span for s in sentences] == sorted(s.span for s in sentences)


def test_seed_000_sections_and_enumerated_measures(seeds_dir: Path) -> None:
    sentences = segment(seed_text(seeds_dir, SEEDS[0]))
    by_section: dict[str | None, list[str]] = {}
    for s in sentences:
        by_section.setdefault(s.section, []).append(s.text)
    assert any(t.startswith("一是") for t in by_section["五（二）"])
    assert any(t.startswith("二是") for t in by_section["五（二）"])
    assert by_section["一（四）"], "the 平台建设 section has sentences"
    # Table 表三's cells are never sentences.
    assert not any("本年新收" in t and len(t) < 40 for ts in by_section.values() for t in ts)


def test_seed_003_run_in_headings_are_cut_off(seeds_dir: Path) -> None:
    text = seed_text(seeds_dir, SEEDS[3])
    sentences = segment(text)
    platform = [s for s in sentences if s.section == "一（四）"]
    assert platform and platform[0].heading.startswith("平台建设")
    assert not platform[0].text.startswith(("(四)", "（四）", "平台建设"))
