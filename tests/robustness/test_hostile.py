"""Hostile inputs, class by class: each gets a coded GongkaiError or a report with a warning, in process.

The sample through the subprocess harness (crashes, hangs, memory) is in test_harness.py.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest

import gongkai
from gongkai.errors import (
    CorruptFileError,
    GongkaiError,
    InputNotFoundError,
    ResourceLimitError,
    TimeLimitError,
)
from gongkai.fuzz import hostile
from gongkai.inference.narrative import classify, sentences
from gongkai.limits import Limits


def _case(name: str, seed: int = 0) -> hostile.Case:
    return hostile.CLASSES[name][1](random.Random(seed))


def test_every_class_is_seeded_and_deterministic() -> None:
    for name, (family, make) in hostile.CLASSES.items():
        if name in hostile.HEAVY:
            continue
        a, b = make(random.Random(5)), make(random.Random(5))
        assert a == b and a.family == family and a.name == name
    drawn = [c.name for c in hostile.cases(len(hostile.CLASSES), seed=1)]
    assert sorted(drawn) == sorted(hostile.CLASSES)  # every class once before any repeats


def test_a_directory_or_a_path_with_nul_is_a_coded_error(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError) as info:
        gongkai.extract(tmp_path)
    assert info.value.code == "E007" and isinstance(info.value, FileNotFoundError)
    for name in ("report\x00.txt", "/tmp/a\x00b.pdf", str(tmp_path / "missing.pdf")):
        with pytest.raises(InputNotFoundError):
            gongkai.extract(name)


def test_lone_surrogates_in_text_are_replaced_with_a_warning() -> None:
    case = _case("lone_surrogates")
    text = case.payload.decode("utf-8", "surrogatepass")
    report = gongkai.extract(text, sentences=False)
    assert any("lone surrogate" in w for w in report.warnings)
    assert "\ufffd" in report.text


@pytest.mark.parametrize("name", ["docx_part_bomb", "pdf_stream_bomb", "image_huge_declared"])
def test_decompression_bombs_are_refused_before_inflating(name: str) -> None:
    refused = 0
    for seed in range(4):
        case = _case(name, seed)
        if name == "docx_part_bomb" and _bomb_member(case.payload) not in ("word/document.xml", "_rels/.rels"):
            report = gongkai.extract(case.payload, sentences=False)  # a part the reader never inflates
            assert report.format_version != "unknown"
            continue
        with pytest.raises((ResourceLimitError, CorruptFileError)) as info:
            gongkai.extract(case.payload, sentences=False)
        refused += 1
        if name != "image_huge_declared":  # a 30000² PNG is also Pillow's bomb error (E004)
            assert info.value.code == "E008"
    assert refused >= 2


def _bomb_member(docx: bytes) -> str:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        return max(zf.infolist(), key=lambda info: info.file_size).filename


def test_the_part_limit_is_a_setting() -> None:
    content = b"BT /F1 12 Tf 72 700 Td (zhengfu xinxi gongkai) Tj ET\n" + b" " * (20 * 1024 * 1024)
    pdf = hostile._pdf_pages([content])
    with pytest.raises(ResourceLimitError, match="max_part_bytes"):
        gongkai.extract(pdf, sentences=False, limits=Limits(max_part_bytes=10 * 1024 * 1024))
    with pytest.raises(ResourceLimitError, match="max_decompressed_bytes"):
        gongkai.extract(hostile._pdf_pages([content, content]), sentences=False,
                        limits=Limits(max_decompressed_bytes=30 * 1024 * 1024))
    assert "zhengfu" in gongkai.extract(pdf, sentences=False).text  # under the default limits: read


def test_spans_that_would_expand_a_table_past_the_cell_limit_are_ignored() -> None:
    rows = "".join(f'<tr><td colspan="1000">{i}</td><td rowspan="1000000000">1</td></tr>' for i in range(300))
    page = f"<html><body><p>政府信息公开</p><table>{rows}</table></body></html>".encode()
    report = gongkai.extract(page, sentences=False)
    assert any("spans ignored" in w for w in report.warnings)


def test_a_page_that_draws_too_many_objects_is_skipped() -> None:
    content = b"".join(f"{i % 500} {i % 800} 1 1 re ".encode() for i in range(150_000)) + b"S"
    text_page = b"BT /F1 12 Tf 72 700 Td (zhengfu xinxi gongkai) Tj ET"
    pdf = hostile._pdf_pages([content, text_page])
    report = gongkai.extract(pdf, sentences=False)
    assert any("page 1 skipped" in w and "max_page_objects" in w for w in report.warnings)
    assert "zhengfu" in report.text


def test_long_text_is_segmented_in_parts() -> None:
    parts = list(sentences.text_parts("甲。\n" * 10 + "乙" * 25, 12))
    assert "".join(p for _, p in parts) == "甲。\n" * 10 + "乙" * 25
    assert all(len(p) <= 12 for _, p in parts)
    assert [len(p) for _, p in parts] == [12, 12, 6, 12, 12, 1]  # after a newline while there is one, then hard cuts
    big = ("本机关全年共收到政府信息公开申请12件。" * 30 + "\n") * 2000  # 1.2 M characters, over spaCy's max_length
    found = sentences.segment(big)
    assert len(found) == 60_000
    assert found[-1].span[1] == len(big) - 1 and big[slice(*found[-1].span)] == found[-1].text


def test_characters_beyond_the_sentence_limit_are_not_segmented_with_a_warning(seeds_dir: Path) -> None:
    report = gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt", classify=False,
                             limits=Limits(max_sentence_chars=2000))
    assert any("max_sentence_chars" in w for w in report.warnings)
    assert report.sentences and all(s["span"][1] <= 2000 for s in report.sentences)
    assert report.requests.new_received.total.value is not None  # the tables are still read


def test_time_limit_stops_extraction_wherever_it_is(monkeypatch: pytest.MonkeyPatch, seeds_dir: Path) -> None:
    never = threading.Event()

    def stuck(*args: object, **kwargs: object) -> list[object]:
        never.wait()  # stands for a reader or model that never returns
        return []

    monkeypatch.setattr("gongkai.inference.pipeline.segment", stuck)
    with pytest.raises(TimeLimitError) as info:
        gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt", time_limit=0.5)
    assert info.value.code == "T001"


def test_a_classifier_that_fails_while_running_falls_back(monkeypatch: pytest.MonkeyPatch, seeds_dir: Path) -> None:
    def broken(self: object, pairs: object) -> list[list[float]]:
        raise RuntimeError("could not create a primitive")

    monkeypatch.setattr(classify.TransformerClassifier, "logits", broken)
    report = gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt")
    assert any("could not create a primitive" in w for w in report.warnings)
    assert any("fallback classifier 'tfidf'" in w for w in report.warnings)
    assert report.sentences and all(s["scores"] is not None for s in report.sentences)

    monkeypatch.setattr(classify.TfidfClassifier, "logits", broken)
    report = gongkai.extract(seeds_dir / "003_015671194d5bc82a.txt")
    assert "sentences not classified: no classifier could run" in report.warnings
    assert report.sentences and all(s["scores"] is None for s in report.sentences)
    assert report.requests.new_received.total.value is not None


@pytest.mark.parametrize("name", sorted(set(hostile.CLASSES) - hostile.HEAVY))
def test_light_classes_give_a_coded_error_or_a_report(name: str, tmp_path: Path) -> None:
    """Three seeds of every light class, in process: no other exception type escapes."""
    for seed in range(3):
        case = _case(name, seed)
        if case.kind == hostile.DIRECTORY:
            source: object = tmp_path / case.payload.decode()
            source.mkdir(exist_ok=True)  # type: ignore[attr-defined]
        elif case.kind in (hostile.TEXT, hostile.PATH_STR):
            source = case.payload.decode("utf-8", "surrogatepass")
        else:
            source = case.payload
        try:
            report = gongkai.extract(source, classifier="tfidf")  # type: ignore[arg-type]
        except GongkaiError:
            continue
        assert report.format_version in ("2019", "2021", "unknown")


@pytest.mark.parametrize("codec", hostile.NON_TEXT_CODECS)
def test_a_declared_charset_that_is_not_a_page_encoding_is_ignored(codec: str) -> None:
    """GBK bytes (so UTF-8 fails and the declaration is consulted) declaring rot13, punycode, undefined…"""
    page = f'<html><head><meta charset="{codec}"></head><body><p>政府信息公开工作年度报告</p>' \
           "<p>本机关全年共收到政府信息公开申请12件。</p></body></html>"
    report = gongkai.extract(page.encode("gbk"), sentences=False)
    assert "政府信息公开工作年度报告" in report.text


@pytest.mark.parametrize("depth", [5000, 50_000])
def test_html_nested_past_the_parser_depth_keeps_its_text(depth: int) -> None:
    body = "<div><span>" * depth + "政府信息公开工作年度报告。本机关全年共收到申请12件。" + "</span></div>" * depth
    report = gongkai.extract(f"<html><body>{body}</body></html>".encode(), sentences=False)
    assert "本机关全年共收到申请12件" in report.text
    assert any("nests deeper than the parser allows" in w for w in report.warnings)


def test_a_glyph_placed_absurdly_far_away_does_not_blow_up_the_plain_reading() -> None:
    """A damaged PDF put text at x = 10¹² and y = −10¹²: the plain-text rebuild once tried to make that many spaces."""
    content = (b"BT /F1 12 Tf 72 700 Td (zhengfu xinxi gongkai) Tj ET "
               b"BT /F1 12 Tf 1000000000000 690 Td (far right) Tj ET "
               b"BT /F1 12 Tf 72 -1000000000000 Td (far below) Tj ET")
    report = gongkai.extract(hostile._pdf_pages([content]), sentences=False)
    assert "zhengfu" in report.text


def test_a_multi_page_image_with_a_damaged_later_frame_keeps_its_first_pages() -> None:
    """Pillow raised TypeError("Missing dimensions") while seeking to frame 2 (fuzz run, seed 1, case 3121)."""
    case = hostile.image_damaged(random.Random("1:3121:image_damaged"))
    report = gongkai.extract(case.payload, sentences=False)
    assert any("page 2 and after could not be read" in w for w in report.warnings)
