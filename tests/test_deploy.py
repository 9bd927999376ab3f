"""Where it runs: a Binder environment built only from binder/, and a shared (JupyterHub)
install that writes nothing inside the package folder at run time."""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import time

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


def _tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [name for name in out.stdout.decode().split("\0") if name]


@pytest.mark.slow
def test_binder_environment_runs_every_notebook(tmp_path):
    """A fresh environment built only from binder/ (requirements.txt, then postBuild in a clean
    copy of the repository) executes every course notebook without error."""
    repo = tmp_path / "repo"
    for name in _tracked_files():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, target)
    venv = tmp_path / "binder-venv"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"],
                   cwd=repo, check=True, timeout=900)
    env = dict(os.environ, PATH=f"{venv / 'bin'}:{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)
    subprocess.run(["bash", "binder/postBuild"], cwd=repo, env=env, check=True, timeout=600)
    install_seconds = time.perf_counter() - start
    size = subprocess.run(["du", "-sm", str(venv)], capture_output=True, text=True, check=True)
    print(f"binder environment: {size.stdout.split()[0]} MB, built in {install_seconds:.0f} s")
    notebooks = sorted((repo / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 9
    outdir = tmp_path / "executed"
    for notebook in notebooks:
        result = subprocess.run(
            [str(venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
             "--output-dir", str(outdir), "--ExecutePreprocessor.timeout=300", str(notebook)],
            cwd=repo / "notebooks", env=env, capture_output=True, text=True, timeout=900,
        )
        assert result.returncode == 0, f"{notebook.name}:\n{result.stderr[-3000:]}"
    # The package came from the copy, installed normally (not the developer's editable one).
    where = subprocess.run([str(py), "-c", "import cbc_teach; print(cbc_teach.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True)
    assert str(venv) in where.stdout
