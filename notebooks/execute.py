"""Execute the notebooks with their outputs kept (plots visible where the files are shown), or check them.

    python notebooks/execute.py                      # every notebook, outputs written back in place
    python notebooks/execute.py quickstart models    # only these
    python notebooks/execute.py --check              # run each and compare with the committed outputs

Each notebook runs in a fresh kernel of this interpreter (ipykernel), from ``notebooks/``, offline
on the shipped models and ``../shared``. ``--check`` (what ``tests/notebooks`` does) fails when a
cell errors or when the committed outputs are stale: a different cell structure, or a plot cell
whose image is missing on either side.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parent
# Longest one cell may run (a whole batch over the corpus is one cell); only a hang reaches it.
CELL_TIMEOUT_S = 600
PLOT_CALLS = ("plt.", ".plot(", ".plot.", "ax.", "axes[")


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if names:
        wanted = {n.removesuffix(".ipynb") for n in names}
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            have = ", ".join(p.stem for p in paths)
            raise SystemExit(f"no such notebook: {', '.join(sorted(unknown))} (have {have})")
        paths = [p for p in paths if p.stem in wanted]
    return paths


def execute(path: Path) -> Any:
    """The notebook run top to bottom in a fresh kernel; raises ``CellExecutionError`` on an error."""
    import tempfile

    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="gongkai-kernel-") as sockets:
        # The kernel talks over Unix sockets in a private folder, not TCP ports (even on loopback).
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel"))
        try:
            NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, record_timing=False,
                           resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=True)
    return nb


def _kind(output: dict[str, Any]) -> str | None:
    if output["output_type"] == "error":
        return "error"
    if output["output_type"] == "stream":
        return "text" if output.get("name") == "stdout" else None  # stderr (warnings, bars) varies by machine
    data = output.get("data", {})
    if "image/png" in data or "image/svg+xml" in data:
        return "image"
    return "html" if "text/html" in data else "text"


def structure(nb: Any) -> list[tuple[str, tuple[str, ...]]]:
    """Per cell: its type and the kinds of output it produced (what must not change between runs)."""
    return [(cell.cell_type, tuple(sorted({k for o in cell.get("outputs", []) if (k := _kind(o))})))
            for cell in nb.cells]


def is_plot_cell(cell: Any) -> bool:
    return cell.cell_type == "code" and any(call in cell.source for call in PLOT_CALLS)


def problems(committed: Any, fresh: Any) -> list[str]:
    """Why the committed outputs are stale; empty when they are current."""
    out: list[str] = []
    old, new = structure(committed), structure(fresh)
    if len(old) != len(new):
        return [f"{len(old)} cells committed, {len(new)} now"]
    for i, (cell, (old_type, old_kinds), (_, new_kinds)) in enumerate(zip(fresh.cells, old, new)):
        if old_type != "code":
            continue
        if "error" in new_kinds:
            out.append(f"cell {i} raised an error")
        if old_kinds != new_kinds:
            out.append(f"cell {i}: committed outputs {old_kinds or '(none)'}, re-executed {new_kinds or '(none)'}")
        if is_plot_cell(cell) and "image" not in new_kinds:
            out.append(f"cell {i} plots but produced no image")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="notebook names (default: all in notebooks/)")
    parser.add_argument("--check", action="store_true", help="do not write; fail when outputs are stale")
    args = parser.parse_args(argv)
    import nbformat

    failed = 0
    for path in notebook_paths(args.names):
        start = time.perf_counter()
        fresh = execute(path)
        took = time.perf_counter() - start
        if args.check:
            found = problems(nbformat.read(path, as_version=4), fresh)
            failed += bool(found)
            print(f"{path.name}: {took:.0f} s, " + ("; ".join(found) if found else "outputs current"))
        else:
            nbformat.write(fresh, path)
            print(f"{path.name}: {took:.0f} s, outputs written")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
