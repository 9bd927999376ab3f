"""The instructor's workflow as functions: :func:`release`, :func:`grade` (and
:func:`~cbc_teach.grading.report.report`). The ``cbc-teach`` command only parses arguments and
calls these.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import hashlib
import json
import multiprocessing
import os
import pathlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import GradingError
from ..exercises.contract import is_student_id
from .exercise import LoadedExercise, load_exercise
from .gradebook import file_name, write_gradebook, write_result
from .notebook import NotebookProblem, exercise_of, read_notebook, released_notebook
from .progress import Progress
from .sandbox import DEFAULT_MEMORY_MB, require_sandbox
from .task import grade_submission, reference_task

__all__ = ["GradeRun", "grade", "read_roster", "release"]


def read_roster(path: str | os.PathLike) -> list[str]:
    """Student ids from a roster CSV with a ``student_id`` column (other columns are ignored).

    Ids must be unique and made of letters, digits and ``. _ @ + -``; an error names the row.
    """
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise GradingError(f"The roster {str(path)!r} cannot be read ({exc.strerror}).") from None
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "student_id" not in [f.strip() for f in reader.fieldnames]:
        raise GradingError(f"The roster {path} needs a 'student_id' column; its columns are "
                           f"{reader.fieldnames}.")
    ids: list[str] = []
    for n, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        sid = row.get("student_id", "")
        if not sid:
            continue
        if not is_student_id(sid):
            raise GradingError(f"{path}, line {n}: the student id {sid!r} may only hold letters, "
                               "digits and . _ @ + - (and must start with a letter or digit).")
        if sid in ids:
            raise GradingError(f"{path}, line {n}: the student id {sid!r} appears twice.")
        ids.append(sid)
    if not ids:
        raise GradingError(f"The roster {path} lists no students.")
    return ids


def release(exercise: str | os.PathLike, *, out: str | os.PathLike,
            roster: str | os.PathLike | None = None,
            students: Sequence[str] | None = None) -> list[pathlib.Path]:
    """Write one notebook per student: ``OUT/<student>/<exercise>.ipynb``.

    Solutions become placeholders, outputs are cleared, and the student's id is written into
    the setup cell (``start("ex02_anc", student="s001")``) and the notebook's metadata. With no
    roster and no students, writes one class copy ``OUT/<exercise>.ipynb`` whose variant follows
    the JupyterHub user (for nbgitpuller). Returns the paths written.
    """
    ex = load_exercise(exercise)
    out = pathlib.Path(out)
    ids = list(students or []) + (read_roster(roster) if roster is not None else [])
    for sid in ids:
        if not is_student_id(sid):
            raise GradingError(f"The student id {sid!r} may only hold letters, digits and . _ @ + -.")
    placeholders = {q.id: q.placeholder() for q in ex.definition.questions}
    written = []
    targets = [(sid, out / file_name(sid) / f"{ex.id}.ipynb") for sid in ids] or \
        [(None, out / f"{ex.id}.ipynb")]
    for sid, path in targets:
        nb = released_notebook(ex.source, sid, placeholders, ex.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


# --- grading -------------------------------------------------------------------------------------


@dataclass
class GradeRun:
    """What :func:`grade` did: the records (one per gradebook row) and where it wrote them."""

    exercise: str
    out: pathlib.Path
    records: list[dict]
    questions: list[str]
    graded: int = 0
    reused: int = 0
    errors: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    sandbox: bool = True

    @property
    def gradebook(self) -> pathlib.Path:
        """The path of ``gradebook.csv``."""
        return self.out / "gradebook.csv"

    def row(self, student: str) -> dict:
        """The record of one student (the first, if they handed in twice)."""
        for r in self.records:
            if r["student_id"] == student:
                return r
        raise KeyError(student)

    def summary(self) -> str:
        """One line for the terminal."""
        return (f"{self.exercise}: {len(self.records)} rows ({self.graded} graded now, "
                f"{self.reused} unchanged and reused, {self.errors} errors) in "
                f"{self.seconds:.1f} s; gradebook: {self.gradebook}"
                + ("" if self.sandbox else "; graded WITHOUT the sandbox (--no-sandbox)"))


def _notebooks(paths: Iterable[str | os.PathLike]) -> list[pathlib.Path]:
    found: list[pathlib.Path] = []
    for item in paths:
        p = pathlib.Path(item)
        if p.is_dir():
            found += sorted(x for x in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in x.parts)
        elif p.exists():
            found.append(p)
        else:
            raise GradingError(f"The submission {str(p)!r} does not exist.")
    return found


def _student_from_path(path: pathlib.Path, exercise_id: str) -> str:
    stem = path.stem
    rest = stem.replace(exercise_id, "").strip("_-. ") if exercise_id in stem else stem
    name = rest or path.parent.name or stem
    return file_name(name)


def _survey(path: pathlib.Path, ex: LoadedExercise) -> dict:
    data = path.read_bytes()
    info = {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "readable": False,
            "student": None}
    try:
        nb = read_notebook(path, data)
    except NotebookProblem:
        nb = None
    if nb is not None:
        found, student = exercise_of(nb)
        info["readable"] = found == ex.id
        if is_student_id(student):
            info["student"] = student
    if info["student"] is None:
        info["student"] = _student_from_path(path, ex.id)
    return info


def _default_executor(jobs: int) -> cf.Executor:
    return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_warm_up)


def _warm_up() -> None:
    """Start the kernel fork server and import what every task needs, before the first task."""
    from . import forkserver

    forkserver.warm_up()
    import jupyter_client.manager  # noqa: F401
    import nbval.plugin  # noqa: F401
    import pytest  # noqa: F401


def _options_key(ex: LoadedExercise, timeout: float, memory_mb: int) -> str:
    return f"{ex.key}/{timeout:g}/{memory_mb}"


def grade(exercise: str | os.PathLike, submissions: Iterable[str | os.PathLike], *,
          out: str | os.PathLike, jobs: int | None = None, timeout: float = 30.0,
          memory_mb: int = DEFAULT_MEMORY_MB, roster: str | os.PathLike | None = None,
          executor: cf.Executor | None = None, progress: bool | None = None,
          force: bool = False, sandbox: bool = True) -> GradeRun:
    """Grade submissions of one exercise; write ``OUT/gradebook.csv``, ``OUT/results/*.json``
    and ``OUT/feedback/*.html``. Submissions are files or folders (searched for ``.ipynb``).

    ``jobs``: worker processes (default: the number of CPUs); ``executor``: any
    ``concurrent.futures.Executor`` to run the tasks instead (e.g. a Dask client's); ``timeout``:
    seconds per cell; ``memory_mb``: the kernel's address-space limit; ``roster``: a CSV whose
    students without a submission get a row too; ``force``: regrade unchanged submissions
    (otherwise a re-run reuses the result of a submission whose bytes, exercise and options
    have not changed). Submissions are only read, never written. ``sandbox=False`` runs the
    kernels without the bubblewrap sandbox (:mod:`cbc_teach.grading.sandbox`); with it (the
    default) a machine where bwrap cannot run raises :class:`GradingError` saying so.
    """
    started = time.perf_counter()
    if sandbox:
        require_sandbox()
    ex = load_exercise(exercise)
    out = pathlib.Path(out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    options = _options_key(ex, timeout, memory_mb) + ("" if sandbox else "/no-sandbox")
    surveyed = [_survey(p, ex) for p in _notebooks(submissions)]

    # names for result files; a student id claimed twice is an error on every copy
    claims: dict[str, list[dict]] = {}
    for s in surveyed:
        claims.setdefault(s["student"], []).append(s)
    for sid, group in claims.items():
        for n, s in enumerate(group, start=1):
            s["name"] = file_name(sid) if n == 1 else f"{file_name(sid)}~{n}"
            s["duplicate"] = [str(o["path"]) for o in group if o is not s] if len(group) > 1 else []

    records: dict[str, dict] = {}
    todo = []
    for s in surveyed:
        old = out / "results" / f"{s['name']}.json"
        if not force and old.exists():
            try:
                prev = json.loads(old.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                prev = {}
            if prev.get("sha256") == s["sha256"] and prev.get("options") == options \
                    and prev.get("submission") == str(s["path"]):
                records[s["name"]] = prev
                continue
        todo.append(s)

    run = GradeRun(ex.id, out, [], ex.questions, reused=len(records), sandbox=sandbox)
    own = executor is None and bool(todo)
    jobs = max(1, jobs or os.cpu_count() or 1)
    pool = _default_executor(min(jobs, max(1, len(todo)))) if own else executor
    try:
        refs = _references(ex, [s["student"] for s in todo if s["readable"]], out, pool, jobs,
                           timeout, memory_mb, run, sandbox)
        bar = Progress(len(todo), f"grading {ex.id}", enabled=progress)
        futures = {}
        for s in todo:
            task = {"submission": str(s["path"]), "student": s["student"], "source": str(ex.source.path),
                    "reference": refs.get(s["student"]), "timeout": timeout, "memory_mb": memory_mb,
                    "sha256": s["sha256"], "sandbox": sandbox}
            if s["readable"] and task["reference"] is None:
                records[s["name"]] = _error(ex, s, "the instructor's reference could not be built "
                                            "for this variant (see the problems printed)", options)
                bar.step(s["student"])
                continue
            futures[pool.submit(grade_submission, task)] = s
        for future in cf.as_completed(futures):
            s = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # a grader bug must not lose the other students' rows
                record = _error(ex, s, f"the grader failed on this submission ({type(exc).__name__}: {exc})", options)
            record["options"] = options
            if s["duplicate"]:
                record["status"] = "error"
                record["reason"] = ("the same student id is claimed by another submission too ("
                                    + ", ".join(s["duplicate"]) + ")" + ("; " + record["reason"] if record["reason"] else ""))
            records[s["name"]] = record
            run.graded += 1
            bar.step(s["student"])
        bar.close()
    finally:
        if own:
            pool.shutdown()
    for s in todo:
        write_result(out, s["name"], records[s["name"]], f"{ex.definition.title} ({ex.id})")

    rows = list(records.values())
    if roster is not None:
        ids = read_roster(roster)
        have = {r["student_id"] for r in rows}
        for sid in ids:
            if sid not in have:
                rows.append({"student_id": sid, "status": "error", "reason": "no submission",
                             "total": 0.0, "max": ex.definition.max_points, "scores": {}})
        order = {sid: i for i, sid in enumerate(ids)}
        for r in rows:
            if r["student_id"] not in order and "not on the roster" not in r["reason"]:
                r["reason"] = "not on the roster" + ("; " + r["reason"] if r["reason"] else "")
        rows.sort(key=lambda r: (order.get(r["student_id"], len(order)), r["student_id"]))
    else:
        rows.sort(key=lambda r: (r["student_id"], r.get("submission", "")))
    write_gradebook(out / "gradebook.csv", rows, ex.questions)
    run.records = rows
    run.errors = sum(r["status"] == "error" for r in rows)
    run.seconds = time.perf_counter() - started
    return run


def _error(ex: LoadedExercise, s: dict, reason: str, options: str) -> dict:
    return {"student_id": s["student"], "submission": str(s["path"]), "sha256": s["sha256"],
            "exercise": ex.id, "key": ex.key, "options": options, "status": "error",
            "reason": reason, "total": 0.0, "max": ex.definition.max_points, "scores": {},
            "questions": [], "notes": [], "cells": []}


def _references(ex: LoadedExercise, students: list[str], out: pathlib.Path, pool: cf.Executor,
                jobs: int, timeout: float, memory_mb: int, run: GradeRun,
                sandbox: bool = True) -> dict[str, list]:
    """Reference outputs per student: from the cache, else by running the instructor's source."""
    cache = out / ".cache" / ex.key
    cache.mkdir(parents=True, exist_ok=True)
    refs: dict[str, list] = {}
    missing = []
    for sid in dict.fromkeys(students):
        path = cache / f"{file_name(sid)}.json"
        if path.exists():
            try:
                refs[sid] = json.loads(path.read_text(encoding="utf-8"))
                continue
            except (OSError, json.JSONDecodeError):
                pass
        missing.append(sid)
    if not missing:
        return refs
    chunks = [missing[i::jobs] for i in range(min(jobs, len(missing)))]
    futures = [pool.submit(reference_task, {"source": str(ex.source.path), "students": chunk,
                                            "timeout": timeout, "memory_mb": memory_mb,
                                            "sandbox": sandbox})
               for chunk in chunks]
    for future in futures:
        got = future.result()
        for sid, text in got["problems"].items():
            run.problems.append(f"{sid}: {text}")
        for sid, outputs in got["outputs"].items():
            if sid in got["problems"]:
                continue
            refs[sid] = outputs
            (cache / f"{file_name(sid)}.json").write_text(json.dumps(outputs), encoding="utf-8")
    return refs
