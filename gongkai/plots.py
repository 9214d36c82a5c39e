"""Matplotlib with Chinese labels (agency names, 予以公开 …) that render instead of empty boxes.

Matplotlib's default font has no CJK glyphs; a CJK font is a system package, not a wheel, so
it is looked up among the system's fonts (including ones installed after matplotlib built its
font cache) and a missing one is an error that names the package to install.
"""

from __future__ import annotations

from gongkai.errors import MissingDependencyError

# Tried in this order; the first is Debian's fonts-wqy-microhei, the one CI installs.
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
             "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC")
INSTALL_HINT = ("install a CJK font: Debian/Ubuntu `apt install fonts-wqy-microhei` (or fonts-noto-cjk); "
                "macOS and Windows ship one")


def _known_fonts() -> set[str]:
    from matplotlib import font_manager

    return {f.name for f in font_manager.fontManager.ttflist}


def _add_system_cjk_fonts() -> None:
    """Fonts installed after matplotlib cached its list are not in it: add the CJK ones by file."""
    from matplotlib import font_manager

    for path in font_manager.findSystemFonts():
        try:
            name = font_manager.FontProperties(fname=path).get_name()
        except Exception:  # an unreadable font file is not ours to report
            continue
        if name in CJK_FONTS:
            font_manager.fontManager.addfont(path)


def use_cjk_font() -> str:
    """Make matplotlib draw Chinese text; returns the font's name or raises ``MissingDependencyError``."""
    from matplotlib import rcParams

    known = _known_fonts()
    if not known.intersection(CJK_FONTS):
        _add_system_cjk_fonts()
        known = _known_fonts()
    for name in CJK_FONTS:
        if name in known:
            rcParams["font.family"] = "sans-serif"
            rcParams["font.sans-serif"] = [name, *(f for f in rcParams["font.sans-serif"] if f != name)]
            rcParams["axes.unicode_minus"] = False  # the CJK fonts' minus sign is missing or odd
            return name
    raise MissingDependencyError(f"no CJK font for matplotlib (looked for {', '.join(CJK_FONTS)}): {INSTALL_HINT}")
