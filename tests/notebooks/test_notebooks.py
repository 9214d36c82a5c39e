"""The notebooks run top to bottom offline (shipped models, ../shared) and their committed outputs are current.

A notebook whose committed outputs no longer match what it does (cells added, a plot that stopped
drawing, an error) fails here with what changed; ``python notebooks/execute.py NAME`` rewrites it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from notebooks.execute import execute, is_plot_cell, notebook_paths, problems, structure
from tests.conftest import REPO, shared_path

NOTEBOOKS = notebook_paths()


def test_the_notebooks_the_readme_promises_exist() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {"quickstart", "archive_analysis", "models", "labeling_loop"} <= names
    linked = set(re.findall(r"\(notebooks/(\w+)\.ipynb\)", (REPO / "README.md").read_text(encoding="utf-8")))
    assert names <= linked, f"not linked from the README: {sorted(names - linked)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_keeps_its_outputs_and_plots(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("outputs") for c in code if c.source.strip()), "committed without outputs"
    plots = [c for c in code if is_plot_cell(c)]
    assert plots, "a notebook for researchers shows pictures"
    assert all(any("image/png" in o.get("data", {}) for o in c.outputs) for c in plots)
    assert not any(o["output_type"] == "error" for c in code for o in c.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_committed_outputs_are_current(path: Path) -> None:
    shared_path("corpus", "real")  # every notebook reads ../shared: say so when it is missing
    fresh = execute(path)
    assert problems(nbformat.read(path, as_version=4), fresh) == []


def test_staleness_is_caught(tmp_path: Path) -> None:
    """The check itself: a plot cell that stopped drawing and a changed cell count are both reported."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2])")]
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={"image/png": "", "text/plain": "<Figure>"})]
    fresh = nbformat.from_dict(nbformat.v4.new_notebook())
    fresh.cells = [nbformat.v4.new_code_cell(nb.cells[0].source)]
    fresh.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="no figure\n")]
    found = problems(nb, fresh)
    assert any("plots but produced no image" in p for p in found)
    assert any("committed outputs ('image',)" in p for p in found)
    fresh.cells.append(nbformat.v4.new_markdown_cell("new"))
    assert problems(nb, fresh) == ["1 cells committed, 2 now"]
    assert structure(nb) == [("code", ("image",))]
