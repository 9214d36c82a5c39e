"""A small round file of invented Chinese sentences, for the labeling-page tests (no report text in the repo)."""

from __future__ import annotations

from pathlib import Path

from gongkai.annotations.labelstudio import task_of, write_round
from gongkai.annotations.pool import Candidate, text_hash

# Invented sentences: (heading, text, model labels).
SENTENCES = [
    ("一、总体情况", "本单位不断完善政府信息公开工作机制，明确专人负责审核发布。", ("supervision",)),
    ("二、存在的问题", "部分栏目内容更新不够及时，公开形式还比较单一。", ("problem",)),
    ("三、改进措施", "下一步将优化门户网站专栏设置，丰富政策图解等解读形式。", ("measure", "platform")),
    ("四、其他事项", "本年度未收取信息处理费。", ()),
]


def make_round(folder: Path, sentences: list[tuple[str, str, tuple[str, ...]]] = SENTENCES) -> Path:
    """A round file of invented sentences, the way ``gongkai label next`` writes one."""
    body = "".join(text for _, text, _ in sentences)
    tasks, pos = [], 0
    for n, (heading, text, labels) in enumerate(sentences):
        before = sentences[n - 1][1] if n else ""
        after = sentences[n + 1][1] if n + 1 < len(sentences) else ""
        c = Candidate(doc="invented/demo-report.txt", doc_sha256=text_hash(body) * 4, span=(pos, pos + len(text)),
                      text=text, heading=heading, before=before, after=after)
        pos += len(text)
        tasks.append(task_of(c, labels, "test-model", 0.5 + n / 10, 1, "uncertainty"))
    path, _ = write_round(folder / "round-001.json", tasks)
    return path
