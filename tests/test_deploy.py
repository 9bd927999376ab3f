"""Where it runs: a Binder environment built only from binder/, and a shared (JupyterHub)
install that writes nothing inside the package folder at run time."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cbc_teach"

WORKLOAD = r"""
import numpy as np
import cbc_teach
from cbc_teach import CBC, History, classify, classify_many, likely_causes, triage
from cbc_teach import simulate
from cbc_teach import widgets

cbc = CBC(2.1, neutrophils=0.4, lymphocytes=1.2, monocytes=0.4, eosinophils=0.05, basophils=0.02)
print(classify(cbc).summary())
classify_many(wbc=np.array([2.0, 5.0]), neutrophils=np.array([0.4, 3.0]))
history = History(exposures=("chemotherapy",), symptoms=("fever",), temperature_c=38.6,
                  days_since_chemotherapy=9)
print(likely_causes(cbc, history)[0].id, triage(cbc, history).level)
simulate.cohort(1000, seed=1)
course = simulate.chemo_course("docetaxel", seed=1)
simulate.case("drug_induced", seed=3)
for cls in (widgets.CBCExplorer, widgets.CaseExplorer, widgets.TimeCourseExplorer,
            widgets.PopulationExplorer):
    cls()
import matplotlib
matplotlib.use("Agg")
course.plot()
"""


def _snapshot(folder: pathlib.Path) -> dict[str, str]:
    files = {}
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts or path.is_dir():
            continue
        files[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def test_running_the_toolkit_writes_nothing_inside_the_package(tmp_path):
    """A shared install stays read-only: using every part of cbc_teach adds or changes no file
    inside the package folder (caches and outputs go elsewhere)."""
    before = _snapshot(PACKAGE)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLCONFIGDIR=str(tmp_path / "mpl"),
               HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", WORKLOAD], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "WBC 2.1" in out.stdout
    assert _snapshot(PACKAGE) == before


BINDER = ROOT / "binder"
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^]]*\])?==([0-9][^ ;#]*)\s*(;.*)?$")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = REQUIREMENT.match(line)
        assert match, f"binder/requirements.txt: not an exact pin: {line!r}"
        pins[match.group(1).lower().replace("_", "-")] = match.group(3)
    return pins


def test_binder_names_a_python_the_package_supports():
    """binder/runtime.txt names Python 3.11 (repo2docker otherwise picks 3.10, which
    requires-python rejects), and that version satisfies requires-python."""
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime == "python-3.11"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"


def test_binder_environment_pins_every_dependency_exactly():
    """binder/requirements.txt is written by `make binder-pins` (uv pip compile) and pins, with
    ==, every runtime dependency and those of the lab and app extras."""
    text = (BINDER / "requirements.txt").read_text()
    assert "make binder-pins" in text
    pins = _pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = {_name(r) for r in [*project["dependencies"], *extras["lab"], *extras["app"]]}
    assert wanted <= set(pins), f"not pinned: {sorted(wanted - set(pins))}"
    assert "cbc-teach" not in pins  # the package itself comes from postBuild


def _uv() -> str:
    found = shutil.which("uv", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed: it is in the 'test' extra (make test installs it)")
    return found


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_binder_environment_from_the_pins_runs_a_notebook(tmp_path):
    """A fresh environment built only from binder/ (the pinned requirements.txt, then postBuild in
    a clean copy of the repository) imports the package it installed and passes strict nbval on a
    course notebook with widgets. (uv's cache keeps the rebuild to seconds.)"""
    from test_install import copy_repository

    repo = copy_repository(tmp_path / "repo")
    venv = tmp_path / "binder-venv"
    start = time.perf_counter()
    subprocess.run([_uv(), "venv", "--quiet", "--seed", "--python", sys.executable, str(venv)],
                   check=True, timeout=600)
    py = venv / "bin" / "python"
    subprocess.run([_uv(), "pip", "install", "--quiet", "--python", str(py), "-r",
                    "binder/requirements.txt"], cwd=repo, check=True, timeout=900)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHONPATH"))}
    env.update(PATH=f"{venv / 'bin'}:{os.environ['PATH']}", HOME=str(tmp_path),
               MPLCONFIGDIR=str(tmp_path / "mpl"))
    subprocess.run(["bash", "binder/postBuild"], cwd=repo, env=env, check=True, timeout=600)
    print(f"binder environment built in {time.perf_counter() - start:.0f} s")
    versions = subprocess.run([str(py), "-m", "pip", "list", "--format=freeze"], env=env,
                              capture_output=True, text=True, check=True).stdout
    installed = {_name(line): line.split("==")[1] for line in versions.splitlines() if "==" in line}
    for name, version in _pins().items():
        assert installed.get(name) == version, f"{name}: pinned {version}, got {installed.get(name)}"
    where = subprocess.run([str(py), "-c", "import cbc_teach; print(cbc_teach.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(venv))  # the copy, installed normally (not editable)
    notebook = "notebooks/03_leukopenia_and_neutropenia.ipynb"
    result = subprocess.run(
        [str(py), "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval", "--nbval-sanitize-with",
         "tests/nbval_sanitize.cfg", "--nbval-cell-timeout=300", notebook],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in result.stdout


def _lab_command() -> list[str]:
    """The command `make lab` runs (its last recipe line), as a list."""
    out = subprocess.run(["make", "-s", "-n", "lab", "LAB_FLAGS=--allow-root"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    (line,) = [x for x in out.splitlines() if " lab " in f"{x} " and "jupyter" in x]
    return shlex.split(line)


def test_make_lab_serves_the_repository_and_its_printed_url_opens_the_start_page(tmp_path):
    """`make lab` serves the repository's top folder (the start page's links to exercises/ and
    app/ resolve) and the URL it prints, for when no local browser opens, is the start page."""
    from browser_support import _isolated_env, free_port

    port = free_port()
    command = [*_lab_command(), "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               "--ServerApp.port_retries=0"]
    command[0] = str(ROOT / command[0])
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=_isolated_env(tmp_path), stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        found = None
        while found is None and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.5)
            found = re.search(rf"http://127\.0\.0\.1:{port}(/\S*)\?token=(\w+)\s", log.read_text())
        assert found, f"no URL printed:\n{log.read_text()[-3000:]}"
        path, token = found.groups()
        assert path == "/lab/tree/notebooks/00_start_here.ipynb"
        base = f"http://127.0.0.1:{port}"
        for name in ("notebooks/00_start_here.ipynb", "exercises", "app"):
            with urllib.request.urlopen(f"{base}/api/contents/{name}?content=0&token={token}",
                                        timeout=30) as response:
                assert response.status == 200, name
        with urllib.request.urlopen(f"{base}{path}?token={token}", timeout=30) as response:
            assert response.status == 200 and b"JupyterLab" in response.read()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
