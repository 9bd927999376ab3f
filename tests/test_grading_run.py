"""A grading run that no submission can stop or corrupt: outputs only the grader writes,
a defensive survey of the inputs, restarted workers, interruptions, clearer rows, the layouts
instructors already have (nbgrader, its exchange, collected/), and grading on a real Dask cluster.

Every attack here is bounded and non-destructive: it only touches this test's temporary folders
and processes. The signing key lives in a temporary folder too (``CBC_TEACH_KEY_FILE``).
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import json
import multiprocessing
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from cbc_teach.exercises import definition
from cbc_teach.grading import api, grade, release
from cbc_teach.grading.api import _warm_up, grade_submission, process_tree
from cbc_teach.grading.notebook import cell_role

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXERCISE = "ex02_anc"
FULL = definition(EXERCISE).max_points


@pytest.fixture(autouse=True)
def _key_file(tmp_path_factory, monkeypatch):
    """The signing key of this module's runs, outside every output folder."""
    monkeypatch.setenv("CBC_TEACH_KEY_FILE", str(tmp_path_factory.getbasetemp() / "grading.key"))


@pytest.fixture(scope="module")
def pool():
    """Two worker processes shared by this module's grade() calls."""
    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"),
                                initializer=_warm_up) as executor:
        yield executor


# --- submissions made here ---------------------------------------------------------------------


def _literal(q: str, value) -> str:
    return f"{q} = {round(value, 3)!r}" if isinstance(value, float) else f"{q} = {value!r}"


def notebook(worked_by: str, *, released_to: str | None = None, right: bool = True,
             setup_output: bool = False) -> dict:
    """A submission answered (rightly, or wrongly) for the variant of ``worked_by``: a personal
    copy released to ``released_to``, or a class copy (no student in its metadata) whose setup
    output, if stored, shows ``worked_by``'s variant, as on a hub."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        [path] = release(EXERCISE, out=tmp, students=[released_to] if released_to else None)
        nb = json.loads(path.read_text(encoding="utf-8"))
    d = definition(EXERCISE)
    answers = d.answers(d.variant(worked_by))
    for cell in nb["cells"]:
        role, q = cell_role(cell)
        if role == "answer":
            value = answers[q]
            if not right:
                value = value + 1.0 if isinstance(value, float) else "wrong"
            cell["source"] = _literal(q, value)
        elif role == "setup" and setup_output:
            cell["outputs"] = [{"output_type": "execute_result", "execution_count": 1,
                                "metadata": {}, "data": {"text/plain": [
                                    f"{d.title} ({EXERCISE}), variant for {worked_by}\n",
                                    "Patient A ..."]}}]
    return nb


def put(path: pathlib.Path, nb: dict) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def gradebook(out: pathlib.Path) -> dict[str, list[str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    found: dict[str, list] = {}
    for r in rows:
        found.setdefault(r["student_id"], []).append(r)
    return found
