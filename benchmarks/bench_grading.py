"""Grading benchmark: 40 submissions of one exercise: cbc-teach grade, nbgrader autograde and
otter-grader's otter run.

The three graders get the same exercise (ex02_anc: a setup cell, five answers, five checks) and
the same 40 students' answers (a mix of right, wrong and missing), on this machine, one after the
other. cbc-teach runs as its command line (``cbc-teach grade ... --jobs 2``, a fresh output
folder, so nothing is reused) with its bubblewrap sandbox on (the default). nbgrader 0.9.6 runs
``nbgrader autograde`` and otter-grader 7.0.0 runs ``otter run`` (local, no Docker: one
submission per call, two calls at a time like cbc-teach's two jobs), each in its own virtual
environment created on first use in ``benchmarks/.nbgrader-venv`` and
``benchmarks/.otter-venv`` (pip, about a minute each; kept for later runs). The peers have no
per-student variants, so their assignment uses one variant for everyone and their tests assert
the same right answers (with the same tolerances) that cbc-teach's checks use; everything else
(the setup, the answers) is identical.

Prints ``name: value unit (target: ...)`` lines; never fails on the target.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = ROOT / "benchmarks" / ".nbgrader-venv"
OTTER_VENV = ROOT / "benchmarks" / ".otter-venv"
EXERCISE = "ex02_anc"
N = 40
JOBS = 2


def _bin(name: str) -> str:
    return str(pathlib.Path(sys.executable).parent / name)


def _answers(student_index: int, right: dict) -> dict[str, str]:
    """Student i's answer cells: right, wrong or left empty, in a fixed pattern."""
    out = {}
    for k, (q, value) in enumerate(right.items()):
        pick = (student_index + 2 * k) % 5
        if pick == 4:
            out[q] = f"{q} = ..."
        elif pick == 3:
            wrong = value + 0.5 if isinstance(value, float) else ("none" if value != "none" else "mild")
            out[q] = f"{q} = {wrong!r}"
        else:
            out[q] = f"{q} = {round(value, 3) if isinstance(value, float) else value!r}"
    return out


def _cbc_teach_submissions(folder: pathlib.Path) -> list[str]:
    from cbc_teach.exercises import definition
    from cbc_teach.grading import release
    from cbc_teach.grading.notebook import cell_role

    d = definition(EXERCISE)
    students = [f"s{i:03d}" for i in range(1, N + 1)]
    paths = release(EXERCISE, out=folder, students=students)
    for i, (sid, path) in enumerate(zip(students, paths)):
        nb = json.loads(path.read_text())
        answers = _answers(i, d.answers(d.variant(sid)))
        for cell in nb["cells"]:
            role, q = cell_role(cell)
            if role == "answer":
                cell["source"] = answers[q]
        path.write_text(json.dumps(nb, indent=1))
    return students


def time_cbc_teach(work: pathlib.Path) -> float:
    subs = work / "cbc-submissions"
    _cbc_teach_submissions(subs)
    out = work / "cbc-graded"
    start = time.perf_counter()
    subprocess.run([_bin("cbc-teach"), "grade", EXERCISE, str(subs), "--out", str(out),
                    "--jobs", str(JOBS), "--quiet"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert len(rows) == N + 1, rows
    return seconds


# --- nbgrader --------------------------------------------------------------------------------------


def _ensure_peer(venv: pathlib.Path, command: str, *requirements: str) -> pathlib.Path:
    """A virtual environment holding one peer grader (created once), able to import cbc_teach
    and to start a Python kernel (ipykernel)."""
    python = venv / "bin" / "python"
    wanted = [*requirements, "ipykernel", "numpy"]
    if not (venv / "bin" / command).exists() or subprocess.run(
            [str(python), "-c", "import ipykernel"], capture_output=True).returncode:
        print(f"creating {venv.relative_to(ROOT)} (pip install {' '.join(wanted)})...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *wanted],
                       check=True, stderr=subprocess.DEVNULL)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (pathlib.Path(site) / "cbc_teach_source.pth").write_text(str(ROOT) + "\n")  # import cbc_teach
    return venv / "bin" / command


def _ensure_nbgrader() -> pathlib.Path:
    return _ensure_peer(VENV, "nbgrader", "nbgrader==0.9.6")


def _nb_cell(kind: str, source: str, meta: dict | None = None, n: int = 0) -> dict:
    cell = {"cell_type": kind, "id": f"c{n}", "metadata": {"nbgrader": meta} if meta else {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _nbgrader_source() -> dict:
    """The same exercise as an nbgrader assignment: solution cells and autograder test cells."""
    from cbc_teach.exercises import definition
    from cbc_teach.grading import load_exercise
    from cbc_teach.grading.notebook import cell_role, cell_source, code_cells

    ex = load_exercise(EXERCISE)
    d = definition(EXERCISE)
    base = {"schema_version": 3, "task": False}
    cells = []
    for n, cell in enumerate(code_cells(ex.source.nb), start=1):
        role, q = cell_role(cell)
        src = cell_source(cell)
        if role == "setup":
            src = src.replace(f'start("{EXERCISE}")', f'start("{EXERCISE}", student="default")')
            cells.append(_nb_cell("code", src, {**base, "grade": False, "grade_id": "setup",
                                                "locked": True, "solution": False}, n))
        elif role == "answer":
            body = f"### BEGIN SOLUTION\n{src}\n### END SOLUTION"
            cells.append(_nb_cell("code", body, {**base, "grade": False, "grade_id": f"answer_{q}",
                                                 "locked": False, "solution": True}, n))
        elif role == "check":
            question = d.question(q)
            test = (f"from cbc_teach.exercises import judge\n"
                    f"_q = ex._definition.question({q!r})\n"
                    f"assert judge(_q, ex._expected[{q!r}], {q}).correct, {q!r}")
            cells.append(_nb_cell("code", test, {**base, "grade": True, "grade_id": f"test_{q}",
                                                 "locked": True, "points": question.points,
                                                 "solution": False}, n))
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def time_nbgrader(work: pathlib.Path) -> float:
    from cbc_teach.exercises import definition

    nbgrader = _ensure_nbgrader()
    course = work / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
        "c.CourseDirectory.db_assignments = [dict(name='ps1')]\n"
        f"c.CourseDirectory.db_students = [{', '.join(f'dict(id={s!r})' for s in _student_ids())}]\n")
    (course / "source" / "ps1" / "ex02.ipynb").write_text(json.dumps(_nbgrader_source(), indent=1))
    env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           "HOME": str(work / "home")}
    env.pop("VIRTUAL_ENV", None)
    run = {"cwd": course, "env": env, "check": True, "stdout": subprocess.DEVNULL,
           "stderr": subprocess.DEVNULL}
    subprocess.run([str(nbgrader), "generate_assignment", "ps1", "--force"], **run)
    released = json.loads((course / "release" / "ps1" / "ex02.ipynb").read_text())
    d = definition(EXERCISE)
    right = d.answers(d.variant("default"))
    for i, sid in enumerate(_student_ids()):
        nb = json.loads(json.dumps(released))
        answers = _answers(i, right)
        for cell in nb["cells"]:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            if gid.startswith("answer_"):
                cell["source"] = answers[gid.removeprefix("answer_")]
        target = course / "submitted" / sid / "ps1"
        target.mkdir(parents=True)
        (target / "ex02.ipynb").write_text(json.dumps(nb, indent=1))
    start = time.perf_counter()
    subprocess.run([str(nbgrader), "autograde", "ps1", "--force"], **run)
    seconds = time.perf_counter() - start
    graded = list((course / "autograded").glob("*/ps1/ex02.ipynb"))
    assert len(graded) == N, f"nbgrader autograded {len(graded)} of {N}"
    return seconds


# --- otter-grader ----------------------------------------------------------------------------------


def _otter_tests(folder: pathlib.Path) -> None:
    """One OK-format test per question: the same judgement as cbc-teach's check."""
    from cbc_teach.exercises import definition

    folder.mkdir(parents=True)
    for q in definition(EXERCISE).questions:
        code = (">>> from cbc_teach.exercises import judge\n"
                f">>> judge(ex._definition.question({q.id!r}), ex._expected[{q.id!r}], {q.id}).correct\n"
                "True")
        test = {"name": q.id, "points": q.points, "suites": [{
            "cases": [{"code": code, "hidden": False, "locked": False}],
            "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}
        (folder / f"{q.id}.py").write_text(f"OK_FORMAT = True\n\ntest = {test!r}\n")


def time_otter(work: pathlib.Path) -> float:
    from cbc_teach.exercises import definition
    from cbc_teach.grading import load_exercise
    from cbc_teach.grading.notebook import cell_role, cell_source, code_cells

    otter = _ensure_peer(OTTER_VENV, "otter", "otter-grader==7.0.0")
    folder = work / "otter"
    _otter_tests(folder / "tests")
    env = {**os.environ, "PATH": f"{OTTER_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           "HOME": str(work / "home")}
    env.pop("VIRTUAL_ENV", None)
    quiet = {"env": env, "check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([str(otter), "generate", "-t", "tests", "-o", "autograder.zip", "--no-config",
                    "--no-requirements", "--no-environment"], cwd=folder, **quiet)
    d = definition(EXERCISE)
    right = d.answers(d.variant("default"))
    ex = load_exercise(EXERCISE)
    subs = folder / "submissions"
    subs.mkdir()
    for i, sid in enumerate(_student_ids()):
        answers = _answers(i, right)
        cells = []
        for n, cell in enumerate(code_cells(ex.source.nb)):
            role, q = cell_role(cell)
            if role == "setup":
                src = cell_source(cell).replace(f'start("{EXERCISE}")', f'start("{EXERCISE}", student="default")')
            elif role == "answer":
                src = answers[q]
            else:
                continue  # otter checks with its own tests after running the notebook
            cells.append({"cell_type": "code", "id": f"c{n}", "metadata": {}, "execution_count": None,
                          "outputs": [], "source": src})
        nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                          "language": "python"}},
              "nbformat": 4, "nbformat_minor": 5}
        (subs / f"{sid}.ipynb").write_text(json.dumps(nb, indent=1))

    def one(sid: str) -> None:
        out = folder / "out" / sid
        out.mkdir(parents=True)
        subprocess.run([str(otter), "run", "-a", "autograder.zip", "-o", str(out), "--no-logo",
                        str(subs / f"{sid}.ipynb")], cwd=folder, **quiet)

    start = time.perf_counter()
    with cf.ThreadPoolExecutor(JOBS) as pool:
        list(pool.map(one, _student_ids()))
    seconds = time.perf_counter() - start
    graded = list((folder / "out").glob("*/results.json"))
    assert len(graded) == N, f"otter graded {len(graded)} of {N}"
    failed = [p for p in graded if "Autograder Failed" in p.read_text()]
    assert not failed, f"otter could not grade {failed[0]}: {failed[0].read_text()[:500]}"
    return seconds


def _student_ids() -> list[str]:
    return [f"s{i:03d}" for i in range(1, N + 1)]


def main() -> None:
    """Time both graders and print the figures."""
    work = pathlib.Path(tempfile.mkdtemp(prefix="cbc-bench-grading-"))
    try:
        from cbc_teach.grading.sandbox import sandbox_problem

        sandboxed = "sandbox on" if not sandbox_problem() else f"NO SANDBOX: {sandbox_problem()}"
        ours = time_cbc_teach(work)
        print(f"cbc-teach grade, {N} submissions of {EXERCISE}, --jobs {JOBS} ({sandboxed}): "
              f"{ours:.1f} s", flush=True)
        theirs = time_nbgrader(work)
        print(f"nbgrader autograde, the same {N} submissions: {theirs:.1f} s", flush=True)
        otter = time_otter(work)
        print(f"otter run (local, no Docker, {JOBS} at a time), the same {N} submissions: "
              f"{otter:.1f} s", flush=True)
        print(f"speed-up of cbc-teach over nbgrader: {theirs / ours:.2f} x (target: >= 4 x)")
        print(f"speed-up of cbc-teach over otter-grader: {otter / ours:.2f} x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
