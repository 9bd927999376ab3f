"""The ``cbc-teach`` command: a thin layer over :mod:`cbc_teach.grading`.

    cbc-teach list [--exercises DIR]
    cbc-teach release EXERCISE --roster roster.csv --out DIR [--exercises DIR]
    cbc-teach grade EXERCISE SUBMISSIONS... --out DIR [--jobs N] [--timeout S] [--exercises DIR]
    cbc-teach report DIR

EXERCISE is an exercise id (``ex02_anc``: the built-in ones ship with the package, so an id
works from any folder) or the path of an instructor's notebook. An instructor's own exercises
(``<id>.ipynb`` with its definition ``<id>.py``) are found in ``--exercises DIR`` (repeatable),
in the folders of ``CBC_TEACH_EXERCISE_PATH`` and in ``exercises/`` of the current folder. Exit status: 0 on
success, 1 when the command could not do its work (the message says why), 2 for bad arguments,
130 when grading was interrupted (Ctrl-C, SIGTERM: the finished rows are in the gradebook).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _list(args: argparse.Namespace) -> int:
    from .exercises import definition
    from .grading.exercise import exercise_folders, known_exercises

    for ex_id in known_exercises():
        d = definition(ex_id, search=exercise_folders())
        hidden = sum(q.hidden for q in d.questions)
        print(f"{ex_id:<22} {d.title} ({len(d.questions)} questions, {d.max_points} points, "
              f"{hidden} hidden)")
    return 0


def _release(args: argparse.Namespace) -> int:
    from .grading import release

    paths = release(args.exercise, out=args.out, roster=args.roster, students=args.student)
    for path in paths:
        print(path)
    print(f"released {len(paths)} notebook(s) to {args.out}", file=sys.stderr)
    return 0


def _grade(args: argparse.Namespace) -> int:
    from .grading import grade
    from .grading.api import GradingInterrupted

    progress = not args.quiet
    try:
        run = grade(args.exercise, args.submissions, out=args.out, jobs=args.jobs,
                    timeout=args.timeout, memory_mb=args.memory, roster=args.roster,
                    progress=progress, force=args.force, sandbox=not args.no_sandbox)
    except GradingInterrupted as stop:
        run = stop.run
    for problem in run.problems:
        print(f"problem with the instructor's solution: {problem}", file=sys.stderr)
    for notice in run.notices:
        print(f"note: {notice}", file=sys.stderr)
    print(run.summary())
    return 130 if run.interrupted else 0


def _report(args: argparse.Namespace) -> int:
    from .grading import report

    result = report(args.folder, png=not args.no_png)
    print(result.text, end="")
    print("wrote " + ", ".join(str(p) for p in result.files), file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser (all sub-commands, with their help texts)."""
    top = argparse.ArgumentParser(
        prog="cbc-teach",
        description="Release, grade and report the graded exercises of cbc_teach.",
        epilog="Workflow: cbc-teach release ... -> students answer -> cbc-teach grade ... -> "
               "cbc-teach report DIR. See docs/instructors.md.",
    )
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    folders = argparse.ArgumentParser(add_help=False)
    folders.add_argument("--exercises", action="append", metavar="DIR", default=[],
                         help="a folder of your own exercises (<id>.ipynb and <id>.py); "
                              "repeatable; also CBC_TEACH_EXERCISE_PATH")

    p = sub.add_parser("list", parents=[folders], help="list the exercises", description="List the exercises that "
                       "have a definition and an instructor's notebook.")
    p.set_defaults(run=_list)

    p = sub.add_parser("release", parents=[folders], help="one notebook per student, solutions removed",
                       description="Write OUT/<student>/<exercise>.ipynb for every student: "
                       "solutions replaced by placeholders, outputs cleared, the student's "
                       "variant recorded. Without --roster or --student, write one class copy "
                       "OUT/<exercise>.ipynb whose variant follows the JupyterHub user.")
    p.add_argument("exercise", metavar="EXERCISE", help="exercise id or instructor's notebook")
    p.add_argument("--roster", metavar="CSV", help="roster CSV with a student_id column")
    p.add_argument("--student", action="append", metavar="ID", help="a student id (repeatable)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write to")
    p.set_defaults(run=_release)

    p = sub.add_parser("grade", parents=[folders], help="grade submissions with nbval; write the gradebook",
                       description="Grade submitted notebooks: the instructor's cells and "
                       "reference outputs plus the student's answer cells, run by nbval in a "
                       "sandboxed kernel and checked again outside it. Writes OUT/gradebook.csv, "
                       "OUT/results/<student>.json, OUT/feedback/<student>.html and "
                       "OUT/summary.txt. A re-run reuses the signed results of unchanged "
                       "submissions. Submissions are never modified; links among them are not "
                       "followed. Ctrl-C writes the finished rows and stops every worker.")
    p.add_argument("exercise", metavar="EXERCISE", help="exercise id or instructor's notebook")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                   help="submitted notebooks, or folders to search for them")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the gradebook")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="submissions graded in parallel (default: number of CPUs)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S",
                   help="seconds a cell may run (default 30)")
    p.add_argument("--memory", type=int, default=2048, metavar="MB",
                   help="memory limit of each student's kernel (default 2048)")
    p.add_argument("--roster", metavar="CSV", help="roster: students without a submission get a row")
    p.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run kernels without the bubblewrap sandbox (where bwrap cannot run); "
                        "the run summary says so")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_grade)

    p = sub.add_parser("report", help="question statistics and a score histogram",
                       description="Per-question difficulty and discrimination, the commonest "
                       "wrong answers and a score histogram, from a folder written by 'grade'. "
                       "Writes DIR/report.txt, DIR/questions.csv and DIR/histogram.png.")
    p.add_argument("folder", metavar="DIR", help="the --out folder of 'cbc-teach grade'")
    p.add_argument("--no-png", action="store_true", help="skip the PNG histogram")
    p.set_defaults(run=_report)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    >>> main(["list"])  # doctest: +ELLIPSIS
    ex01_classify          Classify counts (6 questions, 9 points, 1 hidden)
    ...
    0
    """
    from .errors import CBCTeachError

    args = parser().parse_args(argv)
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        parser().error(f"--jobs must be at least 1; got {args.jobs}")
    if getattr(args, "timeout", 1) <= 0:
        parser().error(f"--timeout must be more than 0 seconds; got {args.timeout:g}")
    for folder in getattr(args, "exercises", None) or []:
        if not os.path.isdir(folder):
            parser().error(f"--exercises must name a folder; {folder!r} is not one")
    old_path = os.environ.get("CBC_TEACH_EXERCISE_PATH")
    if getattr(args, "exercises", None):
        # Through the environment, so that grading's worker processes search the same folders.
        found = [os.path.abspath(d) for d in args.exercises]
        os.environ["CBC_TEACH_EXERCISE_PATH"] = os.pathsep.join(found + [old_path or ""]).rstrip(os.pathsep)
    try:
        return args.run(args)
    except CBCTeachError as exc:
        print(f"cbc-teach {args.command}: {exc}", file=sys.stderr)
        return 1
    finally:
        if old_path is None:
            os.environ.pop("CBC_TEACH_EXERCISE_PATH", None)
        else:
            os.environ["CBC_TEACH_EXERCISE_PATH"] = old_path


if __name__ == "__main__":
    sys.exit(main())
