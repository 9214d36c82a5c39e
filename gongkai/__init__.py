"""gongkai: the standard tables, fields and findings of 政府信息公开工作年度报告, as data.

    >>> import gongkai
    >>> report = gongkai.extract("report.txt")
    >>> report.requests.new_received.total.value

``extract`` is imported on first use, so that ``import gongkai.report`` stays light.
"""

from __future__ import annotations

from typing import Any

from gongkai.errors import GongkaiError
from gongkai.limits import Limits
from gongkai.report import Cell, Report

__version__ = "0.1.0"

__all__ = ["Cell", "GongkaiError", "Limits", "Report", "__version__", "extract"]


def __getattr__(name: str) -> Any:
    if name == "extract":
        from gongkai.inference.pipeline import extract

        return extract
    raise AttributeError(f"module 'gongkai' has no attribute {name!r}")
