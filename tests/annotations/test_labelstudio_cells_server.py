"""A cell review round through a real Label Studio server and back: project, tasks, answers, exports, corrections.

The same set-up as ``test_labelstudio_server.py`` (its ``server`` fixture: Label Studio 1.23 from
``.venv-labelstudio`` on 127.0.0.1, a throw-away data folder, telemetry off; a server of its own for
this module). The round holds the three first cells of seed 002's queue (its suspect first) and a
cell of a generated PDF with its page crop; the exports (JSON, JSON_MIN, snapshot) are read back with
``read_cell_export`` and imported as corrections, which ``gongkai.extract`` then applies.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import gongkai
from gongkai.annotations.cell_review import CellRoundSpec, import_cell_export, labeling_config, make_cell_round
from tests.annotations.test_labelstudio_server import ADMIN, INSTALL, VERSION, Server, server  # noqa: F401
from tests.conftest import shared_path

SUSPECT = "requests.total.research"
# What each task gets: (text area, verdict, cancelled); None: no annotation at all.
ANSWERS: list[tuple[str | None, str, bool] | None] = [
    ("0", "fixed", False),   # the suspect, corrected
    (None, "ok", False),     # ok, the text area as predicted (value read)
    ("7", "fixed", True),    # skipped: never a correction
    ("", "structure", False),  # the PDF cell: misaligned, blank
]


@dataclass
class CellRound:
    tasks: list[dict[str, Any]]
    exports: dict[str, Path]
    user: int  # the annotator's Label Studio id


def _pdf(folder: Path) -> Path:
    from gongkai.training.synth import random_values
    from gongkai.training.synth_pdf import PdfOptions, render_pdf

    rng = random.Random(3)
    path = folder / "generated.pdf"
    path.write_bytes(render_pdf(random_values(rng, template="2021"), rng, PdfOptions("ruled")).data or b"")
    return path


@pytest.fixture(scope="module")
def reviewed(server: Server, tmp_path_factory: pytest.TempPathFactory) -> CellRound:  # noqa: F811
    folder = tmp_path_factory.mktemp("cells")
    seed = make_cell_round(CellRoundSpec([str(shared_path("seeds", "002_20e49bc070485a7c.txt"))],
                                         folder / "seed.json", n=3))[0]
    pdf = make_cell_round(CellRoundSpec([str(_pdf(folder))], folder / "pdf.json", n=1, threshold=1.01))[0]
    tasks = json.loads(seed.read_text(encoding="utf-8")) + json.loads(pdf.read_text(encoding="utf-8"))
    assert tasks[0]["data"]["cell"] == SUSPECT and tasks[3]["data"]["image"].startswith("data:image/png")

    version = server.call("GET", "/api/version/").json()
    found = version.get("label-studio-os-package", {}).get("version") or version.get("release")
    assert str(found).startswith(VERSION), f"Label Studio {found}; this test is written against {VERSION}x: {INSTALL}"
    user = server.call("GET", "/api/current-user/whoami").json()["id"]
    project = server.call("POST", "/api/projects", expect=201,
                          json={"title": "gongkai cells", "label_config": labeling_config()}).json()["id"]
    imported = server.call("POST", f"/api/projects/{project}/import", expect=201, json=tasks).json()
    assert (imported["task_count"], imported["prediction_count"]) == (len(tasks), len(tasks))
    listed = server.call("GET", "/api/tasks", params={"project": project, "page_size": 100}).json()["tasks"]
    by_cell = {(t["data"]["doc_sha256"], t["data"]["cell"]): t["id"] for t in listed}
    for task, given in zip(tasks, ANSWERS):
        if given is None:
            continue
        text, verdict, cancelled = given
        result = [{"from_name": "verdict", "to_name": "source", "type": "choices", "value": {"choices": [verdict]}}]
        if text is not None:
            result.insert(0, {"from_name": "corrected_value", "to_name": "source", "type": "textarea",
                              "value": {"text": [text]}})
        else:  # as predicted: Label Studio copies the prediction into the annotation
            result = task["predictions"][0]["result"] + result
        server.call("POST", f"/api/tasks/{by_cell[(task['data']['doc_sha256'], task['data']['cell'])]}/annotations/",
                    expect=201, json={"result": result, "lead_time": 2.5, "was_cancelled": cancelled,
                                      "completed_by": user})
    exports = server.export_all(project, folder, "cells")
    return CellRound(tasks, exports, user)


def test_label_studio_keeps_the_task_data_whole(reviewed: CellRound) -> None:
    """The crop, the HTML view and the way back come out of every full export as they went in."""
    key = {(t["data"]["doc_sha256"], t["data"]["cell"]): t for t in reviewed.tasks}
    for form in ("JSON", "snapshot"):
        out = json.loads(reviewed.exports[form].read_text(encoding="utf-8"))
        assert len(out) == len(reviewed.tasks)
        for task in out:
            assert task["data"] == key[(task["data"]["doc_sha256"], task["data"]["cell"])]["data"]


@pytest.mark.parametrize("form", ["JSON", "snapshot", "JSON_MIN", "snapshot-JSON_MIN"])
def test_each_export_form_gives_the_same_corrections(reviewed: CellRound, form: str, tmp_path: Path) -> None:
    corrections = tmp_path / "corrections.jsonl"
    result = import_cell_export(reviewed.exports[form], corrections)
    got = {(c.cell, c.value, c.verdict) for c in result.added}
    second = reviewed.tasks[1]["data"]
    pdf_cell = reviewed.tasks[3]["data"]["cell"]
    assert got == {(SUSPECT, 0, "fixed"), (second["cell"], second["value_read"], "ok"), (pdf_cell, None, "structure")}
    assert result.cancelled == (1 if "MIN" not in form else 0)  # JSON_MIN leaves skipped annotations out
    # The snapshot names the annotator by email; the plain forms by the user's id.
    assert {c.by for c in result.added} == ({ADMIN} if form.startswith("snapshot") else {str(reviewed.user)})
    assert import_cell_export(reviewed.exports[form], corrections).added == []  # twice: nothing new
    report = gongkai.extract(shared_path("seeds", "002_20e49bc070485a7c.txt"), sentences=False,
                             corrections=corrections)
    assert report.cell(SUSPECT).corrected and not [f for f in report.findings if f["severity"] == "error"]
