"""Reading notebooks as plain JSON (never trusting them) and building released and graded copies.

The notebook format the grader relies on (see ``docs/instructors.md``): a cell's
``metadata["cbc_teach"]`` says its role: ``{"role": "setup"}``, ``{"role": "answer",
"question": "q1"}`` or ``{"role": "check", "question": "q1", "points": 2}``; the notebook's
``metadata["cbc_teach"]`` holds ``exercise`` and, in a released copy, ``student``.

Nothing here imports nbformat (slow to import); notebooks are read with :mod:`json`.
"""

from __future__ import annotations

import ast
import copy
import json
import pathlib
from dataclasses import dataclass
from typing import Any

from ..errors import GradingError

__all__ = [
    "NotebookProblem",
    "SourceNotebook",
    "cell_role",
    "cell_source",
    "graded_notebook",
    "read_notebook",
    "released_notebook",
    "set_student",
]

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


class NotebookProblem(Exception):
    """A submission that cannot be graded as it is; the message is the gradebook's reason."""


def cell_source(cell: dict) -> str:
    """A cell's source as one string (the JSON may hold a string or a list of lines)."""
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def cell_role(cell: Any) -> tuple[str | None, str | None]:
    """``(role, question)`` from a cell's ``metadata["cbc_teach"]`` (None where absent)."""
    if not isinstance(cell, dict):
        return None, None
    meta = cell.get("metadata")
    info = meta.get("cbc_teach") if isinstance(meta, dict) else None
    if not isinstance(info, dict):
        return None, None
    role, question = info.get("role"), info.get("question")
    return (role if isinstance(role, str) else None,
            question if isinstance(question, str) else None)


def _json_error(text: str, exc: json.JSONDecodeError) -> str:
    if not text.rstrip().endswith("}"):
        return (f"the notebook is cut off (the JSON stops at line {text.count(chr(10)) + 1}); "
                "the upload or the save was probably interrupted: ask for the file again")
    return f"the file is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"


def read_notebook(path: str | pathlib.Path, data: bytes | None = None) -> dict:
    """A notebook (nbformat 4) as a dict, or :class:`NotebookProblem` saying what is wrong."""
    path = pathlib.Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise NotebookProblem(f"the file cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise NotebookProblem(f"the file is empty ({len(data)} bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotebookProblem("the file is not a notebook (not UTF-8 text: a binary file?)") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookProblem(_json_error(text, exc)) from None
    except RecursionError:
        raise NotebookProblem("the file is not a notebook (JSON nested too deeply)") from None
    if not isinstance(nb, dict):
        raise NotebookProblem(f"the file is JSON but not a notebook (a {type(nb).__name__}, not an object)")
    major = nb.get("nbformat")
    if major == 3 or "worksheets" in nb:
        raise NotebookProblem(
            "the notebook is in the old nbformat 3; it was not saved from the released copy "
            "(open the released notebook in a current Jupyter and resubmit)"
        )
    if major != 4:
        raise NotebookProblem(f"the file is not a Jupyter notebook of nbformat 4 (nbformat {major!r})")
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise NotebookProblem("the notebook is damaged (its 'cells' are not a list of cells)")
    return nb


def exercise_of(nb: dict) -> tuple[str | None, str | None]:
    """``(exercise id, student id)`` from a notebook's metadata (None where absent)."""
    meta = nb.get("metadata")
    info = meta.get("cbc_teach") if isinstance(meta, dict) else None
    if not isinstance(info, dict):
        return None, None
    ex, st = info.get("exercise"), info.get("student")
    return (ex if isinstance(ex, str) else None, st if isinstance(st, str) else None)


# --- the instructor's source ---------------------------------------------------------------------


@dataclass(frozen=True)
class SourceNotebook:
    """The instructor's source notebook of an exercise, checked against the format."""

    path: pathlib.Path
    nb: dict
    exercise: str
    setup_index: int
    answers: dict[str, int]  # question -> code-cell position
    checks: dict[str, int]
    points: dict[str, int]

    @classmethod
    def load(cls, path: str | pathlib.Path) -> SourceNotebook:
        """Read and check an instructor's source (:class:`GradingError` if it breaks the format)."""
        path = pathlib.Path(path)
        try:
            nb = read_notebook(path)
        except NotebookProblem as exc:
            raise GradingError(f"The exercise source {path} cannot be used: {exc}.") from None
        exercise, _ = exercise_of(nb)
        if not exercise:
            raise GradingError(f"{path}: the notebook's metadata has no cbc_teach.exercise.")
        setup, answers, checks, points = None, {}, {}, {}
        for i, cell in enumerate(code_cells(nb)):
            role, q = cell_role(cell)
            if role == "setup":
                if setup is not None:
                    raise GradingError(f"{path}: more than one setup cell.")
                setup = i
            elif role in ("answer", "check"):
                if not q:
                    raise GradingError(f"{path}: code cell {i} is an {role} cell without a question.")
                table = answers if role == "answer" else checks
                if q in table:
                    raise GradingError(f"{path}: two {role} cells for {q}.")
                table[q] = i
                if role == "check":
                    pts = cell["metadata"]["cbc_teach"].get("points")
                    if isinstance(pts, bool) or not isinstance(pts, int) or pts < 0:
                        raise GradingError(f"{path}: the check cell of {q} needs integer 'points'.")
                    points[q] = pts
        if setup is None:
            raise GradingError(f"{path}: no setup cell (metadata cbc_teach.role = 'setup').")
        if set(answers) != set(checks):
            raise GradingError(
                f"{path}: every question needs one answer cell and one check cell; answers for "
                f"{sorted(answers)}, checks for {sorted(checks)}."
            )
        set_student(cell_source(code_cells(nb)[setup]), exercise, "probe")  # raises if no start()
        return cls(path, nb, exercise, setup, answers, checks, points)

    @property
    def questions(self) -> list[str]:
        """Question ids in the order of their check cells."""
        return sorted(self.checks, key=self.checks.get)

    def code_sources(self, student: str | None) -> list[str]:
        """The code cells' sources, the setup cell written for ``student``."""
        out = []
        for i, cell in enumerate(code_cells(self.nb)):
            src = cell_source(cell)
            if i == self.setup_index and student is not None:
                src = set_student(src, self.exercise, student)
            out.append(src)
        return out


def code_cells(nb: dict) -> list[dict]:
    """The code cells of a notebook, in order."""
    return [c for c in nb.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "code"]


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """Character offset of an ast position (col is in UTF-8 bytes)."""
    before = sum(len(line) for line in lines[: lineno - 1])
    line = lines[lineno - 1] if lineno - 1 < len(lines) else ""
    return before + len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def set_student(source: str, exercise: str, student: str) -> str:
    """Rewrite the setup cell's ``start("<exercise>")`` call to name the student.

    >>> set_student('from cbc_teach.exercises import start\\nex = start("ex02_anc")', "ex02_anc", "s001")
    'from cbc_teach.exercises import start\\nex = start("ex02_anc", student="s001")'
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        raise GradingError(f"The setup cell is not valid Python: {source!r}") from None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "start"
                and node.args and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == exercise):
            lines = source.splitlines(keepends=True)
            a = _offset(lines, node.lineno, node.col_offset)
            b = _offset(lines, node.end_lineno, node.end_col_offset)
            func = ast.get_source_segment(source, node.func) or "start"
            call = f"{func}({json.dumps(exercise)}, student={json.dumps(student)})"
            return source[:a] + call + source[b:]
    raise GradingError(
        f"The setup cell has no call start({exercise!r}); the grader needs it to build each "
        "student's variant."
    )


# --- released and graded copies ----------------------------------------------------------------


def _protect(cell: dict) -> None:
    cell.setdefault("metadata", {})
    cell["metadata"]["editable"] = False
    cell["metadata"]["deletable"] = False


def released_notebook(src: SourceNotebook, student: str | None, placeholders: dict[str, str],
                      version: str) -> dict:
    """A student's copy: solutions replaced by placeholders, outputs cleared, variant recorded.

    ``student=None`` makes a class copy whose variant follows ``JUPYTERHUB_USER``.
    """
    nb = copy.deepcopy(src.nb)
    meta = nb.setdefault("metadata", {})
    info = {"exercise": src.exercise, "version": version}
    if student is not None:
        info["student"] = student
    meta["cbc_teach"] = info
    meta["kernelspec"] = dict(KERNELSPEC)
    i = -1
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
        if cell.get("cell_type") != "code":
            continue
        i += 1
        cell["outputs"], cell["execution_count"] = [], None
        role, q = cell_role(cell)
        if role == "setup":
            if student is not None:
                cell["source"] = set_student(cell_source(cell), src.exercise, student)
            _protect(cell)
        elif role == "answer":
            custom = cell["metadata"]["cbc_teach"].get("placeholder")
            cell["source"] = custom if isinstance(custom, str) else placeholders[q]
            cell["metadata"].pop("editable", None)
            cell["metadata"].pop("deletable", None)
        elif role == "check":
            _protect(cell)
    return nb


def graded_notebook(src: SourceNotebook, student: str, answers: dict[str, str],
                    reference: list[list[dict]]) -> dict:
    """What nbval runs: the instructor's code cells (setup written for ``student``), the
    student's answer cells, and the instructor's reference outputs for this variant.

    Answer cells are tagged ``nbval-ignore-output`` (run, not compared): only errors count there.
    """
    cells = []
    for i, source in enumerate(src.code_sources(student)):
        original = code_cells(src.nb)[i]
        role, q = cell_role(original)
        meta: dict[str, Any] = {"cbc_teach": copy.deepcopy(original["metadata"]["cbc_teach"])} \
            if role else {}
        if role == "answer":
            source = answers[q]
            meta["tags"] = ["nbval-ignore-output"]
        cells.append({
            "cell_type": "code",
            "id": f"cell-{i}",
            "execution_count": i + 1,
            "metadata": meta,
            "outputs": reference[i],
            "source": source,
        })
    return {
        "cells": cells,
        "metadata": {"kernelspec": dict(KERNELSPEC),
                     "cbc_teach": {"exercise": src.exercise, "student": student}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
