"""Chinese labels in plots: the notebooks' charts name agencies and outcomes in Chinese."""

from __future__ import annotations

import io
import warnings

import matplotlib
import pytest

from gongkai.errors import MissingDependencyError
from gongkai.plots import use_cjk_font

matplotlib.use("Agg")


def test_chinese_labels_render_without_missing_glyphs() -> None:
    import matplotlib.pyplot as plt

    name = use_cjk_font()
    fig, ax = plt.subplots()
    ax.bar(["予以公开", "不予公开"], [3, -1])
    ax.set_title("淮安市人民政府 申请办理结果")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)" for each box drawn
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    assert name in matplotlib.rcParams["font.sans-serif"][:1]


def test_no_cjk_font_is_an_error_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gongkai.plots._known_fonts", lambda: {"DejaVu Sans"})
    monkeypatch.setattr("gongkai.plots._add_system_cjk_fonts", lambda: None)
    with pytest.raises(MissingDependencyError, match="fonts-wqy-microhei"):
        use_cjk_font()
