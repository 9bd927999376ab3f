"""Graded exercises, the instructor's side: release, grade, report.

- :func:`release`: one notebook per student (solutions replaced by placeholders, outputs
  cleared, the variant recorded), or one class copy for nbgitpuller.
- :func:`grade`: builds each graded notebook from the instructor's cells plus the student's
  answer cells with the instructor's reference outputs, runs nbval in a sandboxed kernel
  (timeout per cell, memory limit, scrubbed environment, temporary folder), decides each answer
  again outside the kernel, and writes ``gradebook.csv``, a result JSON and a feedback page per
  student. Tasks run in parallel on any ``concurrent.futures.Executor`` (a Dask client's
  too); a re-run reuses the signed results of unchanged submissions; a dead worker is
  replaced; Ctrl-C writes the finished rows (:class:`GradingInterrupted`).
- :func:`grade_submission`: one submission, paths in and a record out (the unit of work).
- :func:`report`: per-question difficulty and discrimination, commonest wrong answers, a score
  histogram.

The ``cbc-teach`` command (:mod:`cbc_teach.cli`) is a thin layer over these functions.
"""

from .api import GradeRun, GradingInterrupted, grade, read_roster, release
from .exercise import LoadedExercise, load_exercise
from .report import Report, report
from .task import grade_submission, reference_task

__all__ = [
    "GradeRun",
    "GradingInterrupted",
    "LoadedExercise",
    "Report",
    "grade",
    "grade_submission",
    "load_exercise",
    "read_roster",
    "reference_task",
    "release",
    "report",
]
