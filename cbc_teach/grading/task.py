"""Grading one submission: an independent task, plain data in, a plain result record out.

:func:`grade_submission` reads the submission (never writing to it), builds the graded
notebook from the instructor's cells and the student's answer cells with the instructor's
reference outputs, runs nbval on it in a sandboxed kernel, then decides every answer again
outside the kernel from the answers as written (:mod:`cbc_teach.grading.answers`). The outside
decision is the score; nbval is the cross-check, and a check that passed in the kernel for an
answer the grader finds wrong is flagged as possible tampering.

Tasks are top-level functions taking and returning JSON-able dicts, so any
``concurrent.futures.Executor`` (a local process pool, or Dask's) can run them.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
import tempfile
import time
from typing import Any

from ..errors import GradingError
from ..exercises.model import Verdict, judge
from .answers import AnswerReading, read_answer
from .exercise import LoadedExercise, load_exercise
from .notebook import (
    NotebookProblem,
    cell_role,
    cell_source,
    code_cells,
    exercise_of,
    graded_notebook,
    read_notebook,
    set_student,
)
from .sandbox import Sandbox

__all__ = ["grade_submission", "reference_task"]

_LOADED: dict[str, LoadedExercise] = {}
_RUN_PROBLEMS = ("timeout", "memory", "died", "kernel", "internal")


def _exercise(source: str) -> LoadedExercise:
    if source not in _LOADED:
        _LOADED[source] = load_exercise(source)
    return _LOADED[source]


def _new_sandbox(task: dict) -> Sandbox:
    folder = pathlib.Path(tempfile.mkdtemp(prefix="cbc-teach-grade-"))
    return Sandbox(folder, memory_mb=task.get("memory_mb", 2048),
                   cpu_seconds=int(task.get("cpu_seconds", 600)),
                   exercise_path=task.get("exercise_path", []))


# --- reference runs ------------------------------------------------------------------------------


def reference_task(spec: dict) -> dict:
    """Run the instructor's source for some students in grading mode (one kernel).

    ``spec``: ``source`` (path), ``students`` (ids), ``timeout``, ``memory_mb``.
    Returns ``{"outputs": {student: [outputs per code cell]}, "problems": {student: text}}``;
    a problem means the instructor's solution did not run cleanly or was not right.
    """
    from .runner import run_reference

    ex = _exercise(spec["source"])
    sandbox = _new_sandbox({**spec, "exercise_path": ex.search})
    try:
        sources = {s: ex.source.code_sources(s) for s in spec["students"]}
        got = run_reference(sources, sandbox, float(spec.get("timeout", 30)))
    finally:
        shutil.rmtree(sandbox.folder, ignore_errors=True)
    problems = dict(got["errors"])
    for student, outputs in got["outputs"].items():
        for q in ex.questions:
            cell = outputs[ex.source.checks[q]]
            want = f"{q}: correct ({ex.source.points[q]}/{ex.source.points[q]})\n"
            text = "".join(o.get("text", "") for o in cell if o.get("output_type") == "stream")
            if text != want and student not in problems:
                problems[student] = (f"the instructor's solution for {q} prints {text.strip()!r} "
                                     f"for this variant, not {want.strip()!r}")
    return {"outputs": got["outputs"], "problems": problems}


# --- grading one submission ----------------------------------------------------------------------


def _record(task: dict, ex: LoadedExercise, **fields: Any) -> dict:
    record = {
        "student_id": task["student"],
        "submission": task["submission"],
        "sha256": task.get("sha256", ""),
        "exercise": ex.id,
        "key": ex.key,
        "status": "error",
        "reason": "",
        "total": 0.0,
        "max": ex.definition.max_points,
        "scores": {},
        "questions": [],
        "notes": [],
        "cells": [],
        "seconds": 0.0,
    }
    record.update(fields)
    return record


def _answer_cells(nb: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for cell in code_cells(nb):
        role, q = cell_role(cell)
        if role == "answer" and q:
            found.setdefault(q, []).append(cell_source(cell))
    return found


def _edited_protected(nb: dict, ex: LoadedExercise) -> list[str]:
    """Which of the student's setup and check cells differ from the instructor's."""
    original = {}
    for cell in code_cells(ex.source.nb):
        role, q = cell_role(cell)
        if role == "check":
            original[("check", q)] = cell_source(cell).strip()
    edited = []
    for cell in code_cells(nb):
        role, q = cell_role(cell)
        if role == "check" and ("check", q) in original and cell_source(cell).strip() != original[("check", q)]:
            edited.append(f"check {q}")
        elif role == "setup" and _setup_form(cell_source(cell), ex) != _setup_form(
                cell_source(code_cells(ex.source.nb)[ex.source.setup_index]), ex):
            edited.append("setup")
    return edited


def _setup_form(source: str, ex: LoadedExercise) -> str | None:
    """A setup cell with its ``start()`` call naming one fixed student (release names each
    student there), to compare a student's copy with the instructor's."""
    try:
        return set_student(source, ex.source.exercise, "_").strip()
    except GradingError:
        return None


def _cell_label(ex: LoadedExercise, index: int) -> str:
    role, q = cell_role(code_cells(ex.source.nb)[index])
    if role == "answer":
        return f"the answer cell of {q}"
    if role == "check":
        return f"the check cell of {q}"
    if role == "setup":
        return "the setup cell"
    return f"code cell {index}"


def _records(path: pathlib.Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("question"), str):
            out[entry["question"]] = entry
    return out


def _decide(q, expected, reading: AnswerReading, all_safe: bool, unsafe_cells: list[str],
            recorded: dict[str, dict], variant) -> tuple[Verdict, str]:
    """The outside decision for one question; returns (verdict, how the answer was read)."""
    most = q.points

    def zero(status: str, text: str) -> Verdict:
        return Verdict(q.id, 0.0, most, status, f"{q.id}: {text} (0/{most})", "")

    if reading.kind == "value":
        return judge(q, expected, reading.value, variant=variant), "plain data"
    if reading.kind == "unanswered":
        return judge(q, expected, ..., variant=variant), "plain data"
    if reading.kind == "missing":
        return zero("missing", "the answer cell is missing from the notebook"), "missing"
    if reading.kind == "syntax_error":
        return zero("unreadable", f"the answer cell has a {reading.detail}"), "syntax error"
    if reading.kind == "no_assignment":
        return zero("unreadable", f"the answer cell does not set {q.id} = ..."), "no answer"
    # computed by code: trust the kernel's record only if no answer cell can tamper
    if not all_safe:
        return zero("unverified", "the answer is computed, and other code in the answer cells "
                    f"({', '.join(unsafe_cells)}) could change what the check records; "
                    "write the answer as plain data"), "code, not accepted"
    entry = recorded.get(q.id)
    if entry is None:
        return zero("unreadable", "the answer is computed and its check did not run"), "code"
    if entry.get("unanswered"):
        return judge(q, expected, ..., variant=variant), "code (recorded)"
    if "not_plain" in entry:
        return zero("unreadable", f"the answer is an object of type {entry['not_plain']}, not "
                    "plain data"), "code (recorded)"
    return judge(q, expected, entry.get("value"), variant=variant), "code (recorded)"


def grade_submission(task: dict) -> dict:
    """Grade one submission (see the module docstring). ``task`` keys:

    ``submission`` (path), ``student`` (id), ``source`` (the instructor's notebook),
    ``reference`` (outputs per code cell for this student's variant, from
    :func:`reference_task`), ``timeout`` (seconds per cell), ``memory_mb``; optional
    ``sha256``. Returns the result record (a JSON-able dict); never raises for a bad submission.
    """
    started = time.perf_counter()
    ex = _exercise(task["source"])
    path = pathlib.Path(task["submission"])
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _record(task, ex, reason=f"the file cannot be read ({exc.strerror})")
    task = {**task, "sha256": hashlib.sha256(data).hexdigest()}
    try:
        nb = read_notebook(path, data)
    except NotebookProblem as exc:
        return _record(task, ex, reason=str(exc), seconds=time.perf_counter() - started)
    found, _ = exercise_of(nb)
    if found != ex.id:
        reason = (f"this notebook is exercise {found!r}, not {ex.id!r} (the wrong file was handed in?)"
                  if found else "this notebook has no cbc_teach exercise in its metadata: it is "
                  "not a copy released by cbc-teach (the wrong file was handed in?)")
        return _record(task, ex, reason=reason, seconds=time.perf_counter() - started)
    if task.get("reference") is None:
        raise GradingError(f"No reference outputs for {task['student']}.")

    student = task["student"]
    cells = _answer_cells(nb)
    notes: list[str] = []
    errors: list[str] = []
    missing = [q for q in ex.questions if q not in cells]
    if missing:
        errors.append("answer cell missing for " + ", ".join(missing)
                      + " (deleted, or its metadata removed); the other questions were graded")
    doubled = [q for q in ex.questions if len(cells.get(q, [])) > 1]
    if doubled:
        notes.append("more than one answer cell for " + ", ".join(doubled) + "; the last was used")
    edited = _edited_protected(nb, ex)
    if edited:
        notes.append("protected cells edited (ignored, the instructor's were run): " + ", ".join(edited))
    answers = {q: cells[q][-1] if q in cells else f"{q} = ..." for q in ex.questions}

    # --- the nbval run, in a sandbox -----------------------------------------------------------
    from .runner import run_nbval

    sandbox = _new_sandbox({**task, "exercise_path": ex.search})
    try:
        graded = graded_notebook(ex.source, student, answers, task["reference"])
        nb_path = sandbox.work / "graded.ipynb"
        nb_path.write_text(json.dumps(graded), encoding="utf-8")
        results, problem = run_nbval(nb_path, sandbox, timeout=float(task.get("timeout", 30)))
        recorded = _records(sandbox.answers)
    finally:
        shutil.rmtree(sandbox.folder, ignore_errors=True)
    if problem:
        errors.append(problem)
    for index in sorted(results):
        res = results[index]
        if res.kind in _RUN_PROBLEMS:
            where = _cell_label(ex, index)
            errors.append({
                "timeout": f"{where} ran longer than {float(task.get('timeout', 30)):g} s (an endless loop?) and was stopped",
                "memory": f"{where} ran out of memory (limit {task.get('memory_mb', 2048)} MB)",
                "died": f"the kernel died while running {where} ({res.message})",
                "kernel": f"the kernel did not start ({res.message})",
                "internal": f"nbval failed on {where} ({res.message})",
            }[res.kind])

    # --- the outside decision --------------------------------------------------------------------
    variant = ex.definition.variant(student)
    expected = ex.definition.answers(variant)
    readings = {q: read_answer(answers[q], q) if q in cells else AnswerReading(q, "missing")
                for q in ex.questions}
    for q, reading in readings.items():
        if reading.kind == "no_assignment":  # answered in another answer cell?
            for other in ex.questions:
                if other != q and other in cells:
                    alt = read_answer(answers[other], q)
                    if alt.kind in ("value", "code"):
                        readings[q] = AnswerReading(q, alt.kind, alt.value, reading.safe and alt.safe,
                                                    reading.problems + alt.problems)
                        notes.append(f"{q} was answered in the answer cell of {other}")
    unsafe = {q: r for q, r in readings.items() if not r.safe and r.kind != "syntax_error"}
    all_safe = not unsafe
    unsafe_cells = [f"{q}: {', '.join(r.problems)}" for q, r in unsafe.items()]
    questions, tampered, disagree = [], [], []
    for q_def in ex.definition.questions:
        q = q_def.id
        verdict, how = _decide(q_def, expected[q], readings[q], all_safe, list(unsafe), recorded, variant)
        check = results.get(ex.source.checks[q])
        kernel = "not run" if check is None else check.outcome
        if check is not None and check.outcome == "passed" and not verdict.correct:
            tampered.append(q)
        elif check is not None and check.kind == "differs" and verdict.correct:
            disagree.append(q)
        questions.append({
            "id": q, "points": verdict.points, "max": verdict.max_points, "status": verdict.status,
            "answer": verdict.answer, "line": verdict.line, "read_as": how, "kernel": kernel,
            "prompt": q_def.prompt,
        })
    if unsafe_cells:
        notes.append("answer cells run code, not only plain data (" + "; ".join(unsafe_cells)
                     + "); only answers written as plain data count")
    if tampered:
        notes.insert(0, "possible tampering: the kernel printed the full-marks line for "
                     + ", ".join(tampered) + " but the recorded answers are not right")
    if disagree:
        notes.append("the kernel's check failed but the recorded answer is right for "
                     + ", ".join(disagree))
    unanswered = [x["id"] for x in questions if x["status"] == "unanswered"]
    if unanswered and len(unanswered) == len(questions):
        notes.append("no question answered")
    elif unanswered:
        notes.append("not answered: " + ", ".join(unanswered))
    total = sum(x["points"] for x in questions)
    return _record(
        task, ex,
        status="error" if errors else "graded",
        reason="; ".join(errors + notes),
        total=total,
        scores={x["id"]: x["points"] for x in questions},
        questions=questions,
        notes=notes,
        errors=errors,
        cells=[{"cell": r.cell, "label": _cell_label(ex, r.cell), "outcome": r.outcome,
                "kind": r.kind, "message": r.message} for r in sorted(results.values(), key=lambda r: r.cell)],
        seconds=round(time.perf_counter() - started, 3),
    )
