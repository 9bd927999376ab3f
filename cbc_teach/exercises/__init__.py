"""Graded exercises, the student's side: ``ex = start("ex02_anc")`` and ``ex.check("q1", q1)``.

- :func:`start` builds this student's variant (the student id comes from the released
  notebook's setup cell, else ``JUPYTERHUB_USER``, else ``"default"``).
- ``Exercise.check(question, answer)`` prints one deterministic line, ``q1: correct (2/2)`` or a
  hint that teaches without giving the answer; a hidden question only confirms the recording.
- :func:`definition` and :func:`exercise_ids`: the exercise definitions (questions, points,
  tolerances, hints, and the right answer for any variant), which the grader uses outside the
  student's kernel. The instructor's side is :mod:`cbc_teach.grading`.

>>> ex = start("ex03_severity_ctcae", student="s001")
>>> ex.check("q7", "No")
q7: correct (1/1)
"""

from .model import (
    Choice,
    ExerciseDefinition,
    Items,
    Number,
    Patient,
    Question,
    Variant,
    Verdict,
    judge,
    variant_seed,
)
from .registry import definition, exercise_ids
from .session import Exercise, start, student_id

__all__ = [
    "Choice",
    "Exercise",
    "ExerciseDefinition",
    "Items",
    "Number",
    "Patient",
    "Question",
    "Variant",
    "Verdict",
    "definition",
    "exercise_ids",
    "judge",
    "start",
    "student_id",
    "variant_seed",
]
