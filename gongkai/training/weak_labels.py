"""Weak labels from report structure and wording: labeling functions declared as data.

The national template puts each topic under a known heading (（四）平台建设 → platform,
（五）监督保障 → supervision, 五、存在的主要问题 → problem, 改进措施/改进情况 → measure), and
the guide names typical wording for each label. Each ``LabelingFunction`` votes for (+1) or
against (-1) one label when its pattern matches the heading or the sentence; a label is
given when at least one function votes for it and none against. This heuristic is both the
first baseline of ``gongkai evaluate classifier`` and the source of training labels for
sentences nobody has labelled by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gongkai.inference.narrative.classify import LABELS


@dataclass(frozen=True)
class LabelingFunction:
    name: str
    label: str
    where: Literal["heading", "text"]
    pattern: re.Pattern[str]
    vote: Literal[1, -1] = 1

    def fires(self, text: str, heading: str) -> bool:
        return bool(self.pattern.search(heading if self.where == "heading" else text))


def _lf(name: str, label: str, where: Literal["heading", "text"], pattern: str, vote: Literal[1, -1] = 1
        ) -> LabelingFunction:
    return LabelingFunction(name, label, where, re.compile(pattern), vote)


# A problem section that holds only problems, and one that holds only remedies.
_PROBLEM_HEADING = r"(?:存在的?主要)?问题(?!及|和|与|、)|不足|困难(?!及|和)"
_MEASURE_HEADING = r"改进措施|改进情况|整改|下一步|工作打算|工作计划|努力方向|解决办法"

LABELING_FUNCTIONS: tuple[LabelingFunction, ...] = (
    # --- structure: the heading a sentence sits under ---
    _lf("heading_platform", "platform", "heading", r"平台建设|平台和载体|载体建设|网站建设|新媒体建设"),
    _lf("heading_supervision", "supervision", "heading", r"监督保障|保障措施|组织保障|组织领导|监督考核"),
    _lf("heading_problem", "problem", "heading", _PROBLEM_HEADING),
    _lf("heading_measure", "measure", "heading", _MEASURE_HEADING),
    # --- wording: the guide's typical expressions ---
    _lf("problem_words", "problem", "text",
        r"存在[^。；]{0,20}(?:问题|不足|短板|差距)|不足之处|有待(?:加强|提升|提高|完善|改进)|不够(?:及时|全面|深入|完善|规范|丰富|多样)"
        r"|较为单一|仍有差距|还有差距|仍需(?:加强|提升|提高|进一步)|还需(?:加强|提升|提高|进一步)|重视度?不足|精力不够|不到位|薄弱"),
    _lf("problem_fixed", "problem", "text", r"已(?:得到)?(?:解决|整改到位|完成整改)", vote=-1),
    _lf("measure_plan", "measure", "text",
        r"下一步|^[\s“]*(?:一|二|三|四|五|六|七|八|九|十)是(?:要|将|进一步|继续|持续|加强|强化|完善|优化|提升|提高|推进|深化|健全|规范|拓展|丰富|加大)"
        r"|将(?:进一步|继续|持续|着力|切实|加强|强化|完善|优化|不断)|拟采取|针对[^。；]{0,20}问题|整改"),
    _lf("platform_words", "platform", "text",
        r"门户网站|政府网站|网站|公开专栏|专栏|栏目|政务新媒体|新媒体|微信|公众号|微博|客户端|抖音|视频号|公开栏|查阅点|阅览点|查阅场所"
        r"|热线|12345|融公开|政府公报|公报|平台|链接|电子屏|政务服务网"),
    _lf("platform_contact_only", "platform", "text", r"^(?:[^，。；]{0,12})(?:网址|网站地址)[:：]", vote=-1),
    _lf("supervision_words", "supervision", "text",
        r"监督|保障|领导小组|领导责任|负总责|主要负责|分管领导|责任(?:分工|落实|追究|制)|联络员|考核|评议|评估|督查|督促|督导|检查"
        r"|保密审查|审查|审核|先审查、?后公开|三审三校|培训|工作机制|制度|规范化|问责|纳入"),
)


def weak_label(text: str, heading: str | None, functions: Sequence[LabelingFunction] = LABELING_FUNCTIONS
               ) -> tuple[str, ...]:
    """The labels the functions agree on (at least one vote for, none against)."""
    heading = heading or ""
    votes: dict[str, list[int]] = {lab: [] for lab in LABELS}
    for f in functions:
        if f.fires(text, heading):
            votes[f.label].append(f.vote)
    return tuple(lab for lab in LABELS if 1 in votes[lab] and -1 not in votes[lab])


def coverage(texts: Sequence[tuple[str, str | None]], functions: Sequence[LabelingFunction] = LABELING_FUNCTIONS
             ) -> dict[str, float]:
    """Share of sentences each function fires on (for the datasheet)."""
    n = max(1, len(texts))
    return {f.name: sum(f.fires(t, h or "") for t, h in texts) / n for f in functions}
