"""The student's side of an exercise: ``ex = start("ex02_anc")`` and ``ex.check("q1", q1)``.

Who the student is: the ``student=`` written into the setup cell by ``cbc-teach release``;
else the JupyterHub user (``JUPYTERHUB_USER``); else ``"default"``.

In grading mode (the grader's kernels set ``CBC_TEACH_GRADING=1``) hidden questions show their
verdict, and every checked answer is also written as plain JSON to the file named by
``CBC_TEACH_ANSWERS`` (names and record format: :mod:`cbc_teach.exercises.contract`).

>>> ex = start("ex02_anc", student="s001")
>>> ex.student, ex.id
('s001', 'ex02_anc')
>>> ex.check("q2", ...)
q2: no answer yet (0/1). Replace the ... in the answer cell with one of 'none', 'mild', 'moderate' or 'severe'.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import InvalidParameterError
from .contract import ANSWERS_ENV, GRADING_ENV, AnswerRecord, is_student_id
from .model import (
    AnswerFormatError,
    ExerciseDefinition,
    Patient,
    Variant,
    judge,
    to_plain,
    variant_html,
)
from .registry import definition

__all__ = ["Exercise", "start", "student_id"]

def student_id(student: str | None = None) -> str:
    """The student id to use: the argument, else ``JUPYTERHUB_USER``, else ``"default"``.

    >>> student_id("s001")
    's001'
    """
    if student is None:
        student = os.environ.get("JUPYTERHUB_USER") or "default"
    if not isinstance(student, str) or not is_student_id(student):
        raise InvalidParameterError(
            "The 'student' id must be text of letters, digits and . _ @ + - (at most 128, "
            f"starting with a letter or digit); got {student!r}."
        )
    return student


def _grading() -> bool:
    return os.environ.get(GRADING_ENV) == "1"


class Exercise:
    """One student's variant of an exercise, with its checks. Make it with :func:`start`."""

    def __init__(self, exercise: ExerciseDefinition, student: str) -> None:
        self._definition = exercise
        self._variant = exercise.variant(student)
        self._expected = exercise.answers(self._variant)

    @property
    def id(self) -> str:
        """The exercise id."""
        return self._definition.id

    @property
    def title(self) -> str:
        """The exercise title."""
        return self._definition.title

    @property
    def student(self) -> str:
        """Whose variant this is."""
        return self._variant.student

    @property
    def variant(self) -> Variant:
        """The data of this variant (patients and any other values)."""
        return self._variant

    @property
    def patients(self) -> tuple[Patient, ...]:
        """The patients of this variant."""
        return self._variant.patients

    def patient(self, label: str) -> Patient:
        """The patient with this label, e.g. ``ex.patient("A").cbc``."""
        return self._variant.patient(label)

    @property
    def questions(self) -> tuple[str, ...]:
        """The question ids, in order."""
        return tuple(q.id for q in self._definition.questions)

    def check(self, question: str, answer: Any) -> None:
        """Check one answer and print one line: ``q1: correct (2/2)``, or a hint.

        A hidden question only confirms that the answer was recorded.
        """
        try:
            q = self._definition.question(question)
        except KeyError as exc:
            raise InvalidParameterError(str(exc.args[0])) from None
        verdict = judge(q, self._expected[q.id], answer, variant=self._variant,
                        reveal=_grading())
        if _grading():
            _record(q.id, answer)
        print(verdict.line)

    def __repr__(self) -> str:
        lines = [f"{self.title} ({self.id}), variant for {self.student}"]
        lines += self._variant.lines()
        hidden = [q.id for q in self._definition.questions if q.hidden]
        qs = ", ".join(f"{q.id} ({q.points})" for q in self._definition.questions)
        lines.append(f"Questions (points): {qs}." + (f" Hidden: {', '.join(hidden)}." if hidden else ""))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return variant_html(self._variant, f"{self.title} ({self.id})")


def _record(question: str, answer: Any) -> None:
    """Grading mode: append the answer as plain JSON for the grader."""
    path = os.environ.get(ANSWERS_ENV)
    if not path:
        return
    try:
        record = AnswerRecord.of(question, to_plain(answer))
    except AnswerFormatError:
        record = AnswerRecord(question, not_plain=type(answer).__name__)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(record.to_line() + "\n")


def start(exercise: str, *, student: str | None = None) -> Exercise:
    """Build this student's variant of an exercise (the setup cell of every exercise notebook).

    >>> start("ex01_classify", student="s002").questions[:2]
    ('q1', 'q2')
    """
    return Exercise(definition(exercise), student_id(student))
