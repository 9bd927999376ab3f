"""Course notebooks are stored exactly as JupyterLab writes them.

Opening a notebook in JupyterLab and saving it (or letting it autosave) without running anything
must change nothing in the file; otherwise every student's nbgitpuller clone carries changes the
student never made (it used to rewrite the saved widget state, ``50.0`` -> ``50``). The storing
is done by tools/execute_notebooks.py (``store``), which tools/build_course.py runs.

The browser test opens every course notebook in a real JupyterLab through Debian's Chromium,
saves it and compares the bytes. The other tests check the writer's rules without a browser.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import pathlib
import shutil

import pytest
from browser_support import TIMEOUT, open_notebook, served

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _runner():
    spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_integral_numbers_are_stored_as_javascript_writes_them():
    """A float with an integral value is stored without '.0' (a browser's JSON has one number
    type, so JupyterLab saves 50.0 as 50); other floats and strings are kept."""
    store = _runner().as_javascript_numbers
    data = {"a": 50.0, "b": [1.5, -0.0, 2.0, 1e21, 3], "c": {"d": "50.0", "e": True, "f": None}}
    assert store(data) == {"a": 50, "b": [1.5, 0, 2, 1e21, 3], "c": {"d": "50.0", "e": True, "f": None}}
    assert json.dumps(store(data)["b"]) == "[1.5, 0, 2, 1e+21, 3]"


def test_split_stream_outputs_are_stored_merged():
    """Two consecutive pieces of one stream are stored as one output, as JupyterLab holds them."""
    runner = _runner()
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {},
                     "source": "print('a')", "outputs": [
                         {"output_type": "stream", "name": "stdout", "text": ["a"]},
                         {"output_type": "stream", "name": "stdout", "text": ["\n"]},
                         {"output_type": "stream", "name": "stderr", "text": ["w\n"]}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    outputs = json.loads(runner.store(nb))["cells"][0]["outputs"]
    assert [(o["name"], o["text"]) for o in outputs] == [("stdout", ["a\n"]), ("stderr", ["w\n"])]


def test_every_stored_notebook_is_stored_as_jupyterlab_writes_it():
    """No stored notebook (course, exercises, app) has a number or a split stream that
    JupyterLab would rewrite: storing it again gives the same bytes."""
    runner = _runner()
    for path in [*NOTEBOOKS, *sorted((ROOT / "exercises").glob("*.ipynb")), ROOT / "app" / "explorers.ipynb"]:
        text = path.read_text(encoding="utf-8")
        same = runner.store(json.loads(text)) == text  # (no pytest diff of two whole notebooks)
        assert same, f"{path.name}: not stored as JupyterLab writes it; run make notebooks"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a copy of the course (the real files are never saved over)."""
    root = tmp_path_factory.mktemp("course")
    for notebook in NOTEBOOKS:
        shutil.copy2(notebook, root / notebook.name)
    for server in served("lab", root, tmp_path_factory):
        yield server, root


@pytest.mark.browser
@pytest.mark.parametrize("notebook", [p.name for p in NOTEBOOKS])
def test_opening_and_saving_in_jupyterlab_changes_nothing(page, lab, notebook):
    """Open the notebook in JupyterLab, wait for its kernel, save it without running anything:
    the file on disk is byte for byte the stored one."""
    server, root = lab
    path = root / notebook
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    panel = open_notebook(page, server, notebook)
    panel.locator(".jp-Notebook").click()
    page.keyboard.press("Control+s")
    deadline_ms = TIMEOUT
    while path.stat().st_mtime_ns == mtime and deadline_ms > 0:
        page.wait_for_timeout(200)
        deadline_ms -= 200
    assert path.stat().st_mtime_ns != mtime, "JupyterLab did not save the notebook"
    server.delete_sessions({c["name"]: c["value"] for c in page.context.cookies()})
    after = path.read_bytes()
    if after != before:
        diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(),
                                    "stored", "saved by JupyterLab", n=1, lineterm="")
        pytest.fail(f"saving {notebook} in JupyterLab changed it:\n" + "\n".join(list(diff)[:40]))
