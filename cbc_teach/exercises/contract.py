"""The contract between a student's kernel and the grader: what both sides must spell the same.

The student's side (:mod:`cbc_teach.exercises.session`) and the grader
(:mod:`cbc_teach.grading`) import these names from here and nowhere else:

- the environment variables a grading kernel gets (:data:`GRADING_ENV`, :data:`ANSWERS_ENV`,
  :data:`EXERCISE_PATH_ENV`);
- what a student id may be (:func:`is_student_id`);
- the line a check prints for full marks (:func:`full_marks_line`);
- the answer record a check writes in grading mode, one JSON line per check
  (:class:`AnswerRecord`), and how the grader reads a file of them (:func:`read_records`);
- one grading task and its result (:class:`GradingTask`, :class:`GradingResult`): dataclasses
  that turn into and from plain JSON-able dicts, so any ``concurrent.futures.Executor`` (a
  process pool, Dask) can carry them.

This module imports nothing heavy and nothing else of cbc_teach.

>>> full_marks_line("q1", 2)
'q1: correct (2/2)'
>>> AnswerRecord.of("q2", 1.5).to_line()
'{"question": "q2", "value": 1.5}'
>>> read_records('{"question": "q2", "value": 1.5}\\nnot json\\n')["q2"].value
1.5
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ANSWERS_ENV",
    "EXERCISE_PATH_ENV",
    "GRADING_ENV",
    "MAX_RECORD_CHARS",
    "MAX_RECORDS_BYTES",
    "AnswerRecord",
    "GradingResult",
    "GradingTask",
    "full_marks_line",
    "is_student_id",
    "read_records",
]

#: Set to ``"1"`` in every grading kernel: hidden questions then show their verdict.
GRADING_ENV = "CBC_TEACH_GRADING"
#: The file a grading kernel appends its answer records to.
ANSWERS_ENV = "CBC_TEACH_ANSWERS"
#: Folders (separated by ``os.pathsep``) holding an instructor's own exercise definitions.
EXERCISE_PATH_ENV = "CBC_TEACH_EXERCISE_PATH"

#: An answer record longer than this is written as "not plain data" (an answer is short).
MAX_RECORD_CHARS = 10_000
#: The grader reads at most this much of a kernel's answer records.
MAX_RECORDS_BYTES = 1_000_000

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


def is_student_id(text: object) -> bool:
    """Whether ``text`` is a valid student id: letters, digits and ``. _ @ + -``, at most 128
    characters, starting with a letter or digit (a JupyterHub user name fits).

    >>> is_student_id("ann.lee@uni"), is_student_id("../etc"), is_student_id("_x")
    (True, False, False)
    """
    return isinstance(text, str) and _STUDENT_ID.match(text) is not None


def full_marks_line(question: str, points: int) -> str:
    """The line a check cell prints for a fully right answer (and nbval compares)."""
    return f"{question}: correct ({points:g}/{points})"


@dataclass(frozen=True)
class AnswerRecord:
    """What one check recorded in a grading kernel: the answer as plain data, or why not.

    ``value`` is plain JSON data; ``unanswered`` means ``...`` was left in place;
    ``not_plain`` names the type of an answer that is not plain data (or says it is too long).
    """

    question: str
    value: Any = None
    unanswered: bool = False
    not_plain: str = ""

    @classmethod
    def of(cls, question: str, plain: Any) -> AnswerRecord:
        """The record of an answer already turned into plain data (``...`` for unanswered)."""
        if plain is Ellipsis:
            return cls(question, unanswered=True)
        return cls(question, plain)

    def to_line(self) -> str:
        """One JSON line (without the newline); a value JSON cannot hold, or a very long one,
        becomes a ``not_plain`` record."""
        if self.unanswered:
            entry: dict[str, Any] = {"question": self.question, "unanswered": True}
        elif self.not_plain:
            entry = {"question": self.question, "not_plain": self.not_plain[:100]}
        else:
            entry = {"question": self.question, "value": self.value}
        try:
            text = json.dumps(entry, allow_nan=False)
        except (TypeError, ValueError):
            text = json.dumps({"question": self.question, "not_plain": "float"})
        if len(text) > MAX_RECORD_CHARS:
            text = json.dumps({"question": self.question,
                               "not_plain": f"an answer of {len(text)} characters"})
        return text

    @classmethod
    def from_line(cls, line: str) -> AnswerRecord | None:
        """The record on one line, or None for a line that is not one."""
        if len(line) > MAX_RECORD_CHARS + 200:
            return None
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("question"), str):
            return None
        if entry.get("unanswered") is True:
            return cls(entry["question"], unanswered=True)
        if "not_plain" in entry:
            return cls(entry["question"], not_plain=str(entry["not_plain"])[:100])
        return cls(entry["question"], entry.get("value"))


def read_records(text: str) -> dict[str, AnswerRecord]:
    """The last record of each question in a file's text (at most
    :data:`MAX_RECORDS_BYTES` of it is read; broken lines are skipped)."""
    out: dict[str, AnswerRecord] = {}
    for line in text[:MAX_RECORDS_BYTES].splitlines():
        record = AnswerRecord.from_line(line)
        if record is not None:
            out[record.question] = record
    return out


def _from_dict(cls, data: dict):
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class GradingTask:
    """One submission to grade (what :func:`cbc_teach.grading.grade_submission` takes).

    ``submission``: the notebook's path; ``student``: the id whose variant it answers;
    ``source``: the instructor's notebook; ``reference``: that notebook's outputs for this
    variant, per code cell; ``timeout``: seconds per cell; ``memory_mb``: the kernel's
    address-space limit; ``sandbox``: run the kernel in the bubblewrap sandbox.
    """

    submission: str
    student: str
    source: str
    reference: list | None = None
    timeout: float = 30.0
    memory_mb: int = 2048
    cpu_seconds: int = 600
    sha256: str = ""
    sandbox: bool = True

    @classmethod
    def from_dict(cls, data: dict) -> GradingTask:
        """From its plain form (keys it does not know are ignored)."""
        return _from_dict(cls, data)

    def to_dict(self) -> dict:
        """Its plain, JSON-able form."""
        return dataclasses.asdict(self)


@dataclass
class GradingResult:
    """The result of grading one submission (one gradebook row and its details)."""

    student_id: str
    submission: str
    exercise: str
    key: str
    max: int
    sha256: str = ""
    status: str = "error"  # graded or error
    reason: str = ""
    total: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    questions: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    sandbox: bool = True

    @classmethod
    def from_dict(cls, data: dict) -> GradingResult:
        """From its plain form (keys it does not know are ignored)."""
        return _from_dict(cls, data)

    def to_dict(self) -> dict:
        """Its plain, JSON-able form (the record written to ``results/<student>.json``)."""
        return dataclasses.asdict(self)
