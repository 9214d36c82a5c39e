"""Weak labeling functions: structure and wording votes, vetoes, and agreement with hand labels."""

from __future__ import annotations

from pathlib import Path

from gongkai.inference.narrative.classify import LABELS
from gongkai.training.metrics import per_label_scores
from gongkai.training.sentence_data import load_hand_labels
from gongkai.training.weak_labels import LABELING_FUNCTIONS, coverage, weak_label


def test_headings_vote_for_their_topic() -> None:
    assert "platform" in weak_label("持续加强门户网站管理。", "平台建设情况")
    assert "supervision" in weak_label("建立健全工作机制。", "监督保障情况")
    assert "problem" in weak_label("部分信息公开时效性不强。", "工作中存在的主要问题和困难")
    assert "measure" in weak_label("一是优化信息公开制度。", "解决办法和改进措施")


def test_wording_votes_and_vetoes() -> None:
    assert weak_label("本报告所列数据统计期限自2024年1月1日至2024年12月31日。", None) == ()
    assert "problem" in weak_label("政策解读形式较为单一，有待加强。", None)
    assert "problem" not in weak_label("上年度存在的问题已得到解决。", None)
    assert "platform" not in weak_label("网址：http://www.example.gov.cn", None)


def test_every_function_has_a_known_label_and_fires_somewhere() -> None:
    texts = [("依托门户网站发布信息，加强培训考核，针对存在的问题，下一步将整改。", "监督保障"),
             ("政策解读有待加强，存在不足。", "存在的主要问题"), ("改进措施", "改进措施"), ("网址：x", "平台建设"),
             ("上年问题已整改到位。", None)]
    cov = coverage(texts)
    assert {f.label for f in LABELING_FUNCTIONS} == set(LABELS)
    assert [name for name, share in cov.items() if share == 0] == []


def test_heuristic_is_a_useful_but_imperfect_labeller(seeds_dir: Path) -> None:
    items = load_hand_labels(seeds_dir.parent)
    scores = per_label_scores([s.vector() for s in items],
                              [[int(lab in weak_label(s.text, s.heading)) for lab in LABELS] for s in items])
    assert 0.5 < scores["macro"]["f1"] < 0.95
