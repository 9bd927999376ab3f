"""The instructor's workflow as functions: :func:`release`, :func:`grade` (and
:func:`~cbc_teach.grading.report.report`). The ``cbc-teach`` command only parses arguments and
calls these.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import hashlib
import json
import multiprocessing
import os
import pathlib
import re
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import GradingError
from ..exercises.contract import is_student_id
from .exercise import LoadedExercise, load_exercise
from .gradebook import (
    OddOutput,
    file_name,
    kind_of,
    output_folder,
    read_regular,
    read_signed,
    sign,
    write_file,
    write_gradebook,
    write_result,
)
from .notebook import (
    NotebookProblem,
    cell_role,
    code_cells,
    exercise_of,
    read_notebook,
    released_notebook,
)
from .progress import Progress
from .sandbox import DEFAULT_MEMORY_MB, require_sandbox
from .task import grade_submission, reference_task

__all__ = ["GradeRun", "GradingInterrupted", "grade", "read_roster", "release"]


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
    """What :func:`grade` did: the records (one per gradebook row) and where it wrote them.

    ``notices``: what the run had to work around (records that failed the signature check and
    were regraded, links replaced, grading workers restarted, an interruption), also written to
    ``OUT/summary.txt``; ``problems``: variants for which the instructor's solution failed.
    """

    exercise: str
    out: pathlib.Path
    records: list[dict]
    questions: list[str]
    graded: int = 0
    reused: int = 0
    errors: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    regraded: int = 0
    interrupted: bool = False
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
        line = (f"{self.exercise}: {len(self.records)} rows ({self.graded} graded now, "
                f"{self.reused} unchanged and reused, {self.errors} errors) in "
                f"{self.seconds:.1f} s; gradebook: {self.gradebook}")
        if self.regraded:
            line += (f"; {self.regraded} earlier result(s) failed the signature check (not "
                     "written by this grader, or altered) and were regraded")
        if self.interrupted:
            line += "; INTERRUPTED: the gradebook holds only the rows finished before the stop"
        if not self.sandbox:
            line += "; graded WITHOUT the sandbox (--no-sandbox)"
        return line


class GradingInterrupted(KeyboardInterrupt):
    """:func:`grade` was stopped (Ctrl-C, SIGTERM); ``run`` is what was finished and written
    (a partial gradebook of the finished rows)."""

    def __init__(self, run: GradeRun) -> None:
        super().__init__(run.summary())
        self.run = run


# --- finding and surveying submissions -------------------------------------------------------------

_SKIP_FOLDERS = {".ipynb_checkpoints"}
_EXCHANGE = re.compile(r"^(?P<student>.+?)\+(?P<assignment>[^+]+)\+(?P<stamp>\d{4}-\d\d-\d\d[^+]*)"
                       r"(?:\+[^+]*)?$")
_NBGRADER_STEPS = ("submitted", "autograded")


@dataclass
class _Entry:
    """One submission found, and what the survey learnt about it."""

    path: pathlib.Path
    problem: str = ""  # not graded: an error row with this reason
    sha256: str = ""
    readable: bool = False  # a notebook of this exercise
    student: str = ""  # the row's student id
    variant: str = ""  # whose variant it is graded against
    path_id: str = ""
    layout: str = "file name"
    from_folder: bool = False
    stamp: str = ""
    recorded: str = ""
    recorded_from: str = ""
    errors: list[str] = field(default_factory=list)  # make the row an error, still graded
    notes: list[str] = field(default_factory=list)
    name: str = ""

    @property
    def shown(self) -> str:
        return _printable(str(self.path))


def _printable(text: str) -> str:
    """Text safe to print and write (a file name that is not UTF-8 has its bad bytes replaced)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _odd(path: pathlib.Path, mode: int | None, link_target: os.stat_result | None = None) -> _Entry:
    if mode is not None and stat.S_ISLNK(mode):
        what = ("a symbolic link to a missing file" if link_target is None
                else f"a symbolic link (to {kind_of(link_target.st_mode)})")
        return _Entry(path, problem=f"{_printable(path.name)} is {what}: links are not followed, "
                      "hand in the notebook file itself")
    what = "not readable" if mode is None else kind_of(mode)
    return _Entry(path, problem=f"{_printable(path.name)} is {what}, not a notebook file")


def _walk(top: pathlib.Path) -> list[_Entry]:
    found: list[_Entry] = []

    def unreadable(exc: OSError) -> None:
        found.append(_Entry(pathlib.Path(exc.filename or top), problem=f"the folder "
                            f"{_printable(str(exc.filename))} cannot be read ({exc.strerror})"))

    for folder, dirs, files in os.walk(top, onerror=unreadable):  # links are never followed
        dirs[:] = [d for d in dirs if d not in _SKIP_FOLDERS]
        for name in sorted(dirs + files):
            if name.endswith(".ipynb"):
                found.append(_entry(pathlib.Path(folder, name)))
        dirs[:] = sorted(d for d in dirs if not d.endswith(".ipynb"))
    return found


def _entry(path: pathlib.Path) -> _Entry:
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return _Entry(path, problem=f"{_printable(path.name)} cannot be read ({exc.strerror})")
    if stat.S_ISREG(mode):
        return _Entry(path)
    target = None
    if stat.S_ISLNK(mode):
        try:
            target = os.stat(path)
        except OSError:
            target = None
    return _odd(path, mode, target)


def _find(paths: Iterable[str | os.PathLike]) -> list[_Entry]:
    """Every ``.ipynb`` entry under the paths given: regular files to grade, anything else
    (folders, links, pipes, devices) an entry with its problem. Folders given are searched
    without following links; a link given on the command line is followed only to a folder."""
    found: list[_Entry] = []
    for item in paths:
        path = pathlib.Path(os.path.abspath(os.fspath(item)))
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            raise GradingError(f"The submission {_printable(str(item))!r} does not exist.") from None
        except OSError as exc:
            found.append(_Entry(path, problem=f"{_printable(path.name)} cannot be read "
                                f"({exc.strerror})"))
            continue
        if stat.S_ISLNK(mode) and os.path.isdir(path) or stat.S_ISDIR(mode):
            found += _walk(path)
        else:
            found.append(_entry(path))
    return sorted(found, key=lambda e: str(e.path))


def _path_id(path: pathlib.Path, exercise_id: str) -> tuple[str, str, bool, str]:
    """``(student id, where it came from, from a folder?, exchange time stamp)`` from a path."""
    parts, parent = path.parts, path.parent.name
    if len(parts) >= 4 and parts[-4] in _NBGRADER_STEPS:
        return parts[-3], f"nbgrader's {parts[-4]}/<student>/<assignment>/ folder", True, ""
    marker = f"+{exercise_id}+"
    match = _EXCHANGE.match(parent)
    if marker in parent or match:
        student = parent.split(marker)[0] if marker in parent else match["student"]
        stamp = parent.split(marker, 1)[1] if marker in parent else match["stamp"]
        return student, "the exchange's <student>+<assignment>+<timestamp> folder", True, stamp
    if len(parts) >= 3 and parts[-3] == "collected":
        return parent, "collected/<student>/ folder", True, ""
    stem = path.name[: -len(".ipynb")] if path.name.endswith(".ipynb") else path.name
    rest = stem.replace(exercise_id, "").strip("_-. ") if exercise_id in stem else stem
    if rest:
        return rest, "file name", False, ""
    return parent, "folder name", True, ""


_VARIANT_LINE = r"\({}\), variant for (\S+)"


def _setup_student(nb: dict, exercise_id: str) -> str:
    """The student whose variant the setup cell's stored output shows ('' if none)."""
    pattern = re.compile(_VARIANT_LINE.format(re.escape(exercise_id)))
    for cell in code_cells(nb):
        if cell_role(cell)[0] != "setup" or not isinstance(cell.get("outputs"), list):
            continue
        for out in cell["outputs"]:
            if not isinstance(out, dict):
                continue
            data = out.get("data") if isinstance(out.get("data"), dict) else {}
            for text in (data.get("text/plain"), out.get("text")):
                text = "".join(t for t in text if isinstance(t, str)) if isinstance(text, list) \
                    else text
                if isinstance(text, str) and (m := pattern.search(text)):
                    return m.group(1)
    return ""


def _survey(e: _Entry, ex: LoadedExercise) -> None:
    """Read one entry (never following a link, never blocking on a pipe) and decide its ids."""
    raw, e.layout, e.from_folder, e.stamp = _path_id(e.path, ex.id)
    try:
        raw.encode("utf-8")
        e.path_id = raw
    except UnicodeEncodeError:
        e.path_id = ""
        e.problem = e.problem or (f"the {e.layout} of {e.shown} is not UTF-8 text, so no student "
                                  "id can be taken from it: rename it to the student's id")
    if not e.problem:
        try:
            data = read_regular(e.path)
        except OddOutput as exc:
            e.problem = str(exc)
        except OSError as exc:
            e.problem = f"the file cannot be read ({exc.strerror})"
        else:
            e.sha256 = hashlib.sha256(data).hexdigest()
            _recorded(e, data, ex)
    e.student = e.recorded if e.recorded_from == "its metadata" else e.path_id
    if not e.problem and not is_student_id(e.student):
        e.problem = (f"the student id {e.student!r} taken from the {e.layout} ({e.shown}) is not "
                     "a valid student id (letters, digits and . _ @ + -, starting with a letter "
                     "or digit): rename the file or folder to the student's id")
    if not e.student or not is_student_id(e.student):
        e.student = file_name(_printable(e.student or e.path.name))
    e.variant = e.recorded or e.student
    if e.recorded and e.path_id and e.recorded != e.path_id and not e.problem \
            and (e.from_folder or e.recorded_from != "its metadata"):
        e.errors.append(f"this notebook records the variant of {e.recorded!r} ({e.recorded_from}) "
                        f"but was handed in as {e.path_id!r} (from the {e.layout}); its points "
                        f"are for {e.recorded!r}'s variant: check who handed it in")


def _recorded(e: _Entry, data: bytes, ex: LoadedExercise) -> None:
    """Whose variant the notebook records: its metadata (a released copy), else its setup
    output (a class copy run on a hub; ``default`` is the variant outside a hub, not a name)."""
    try:
        nb = read_notebook(e.path, data)
    except NotebookProblem:
        return
    found, student = exercise_of(nb)
    e.readable = found == ex.id
    if student and is_student_id(student):
        e.recorded, e.recorded_from = student, "its metadata"
    elif (shown := _setup_student(nb, ex.id)) and shown != "default" and is_student_id(shown):
        e.recorded, e.recorded_from = shown, f"its setup output says 'variant for {shown}'"


def _claims(entries: list[_Entry], notices: list[str]) -> list[_Entry]:
    """Resolve the exchange's resubmissions and ids claimed twice; name each result file."""
    latest: dict[str, _Entry] = {}
    for e in entries:
        if e.stamp and not e.problem and (e.student not in latest
                                          or e.stamp > latest[e.student].stamp):
            latest[e.student] = e
    kept = []
    for e in entries:
        if e.stamp and not e.problem and latest[e.student] is not e:
            notices.append(f"an earlier exchange submission of {e.student} was ignored: {e.shown}")
            continue
        kept.append(e)
    groups: dict[str, list[_Entry]] = {}
    for e in kept:
        groups.setdefault(e.student, []).append(e)
    for sid, group in groups.items():
        if len(group) == 1:
            group[0].name = file_name(sid)
            continue
        own = [e for e in group if e.from_folder and e.path_id == sid and not e.problem]
        keeper = own[0] if len(own) == 1 else None
        if keeper is not None:
            group.remove(keeper)
            group.insert(0, keeper)
        for n, e in enumerate(group, start=1):
            e.name = file_name(sid) if n == 1 else f"{file_name(sid)}~{n}"
            others = ", ".join(o.shown for o in group if o is not e)
            if e is keeper:
                e.notes.append(f"the student id {sid!r} is also claimed by {others}; this file, "
                               "in the student's own folder, is the one graded")
            elif keeper is not None:
                how = e.recorded_from if e.recorded == sid else f"from the {e.layout}"
                e.errors.append(f"this file ({e.shown}) claims the student id {sid!r} ({how}), "
                                f"whose own submission is {keeper.shown}")
            else:
                e.errors.append(f"the same student id is claimed by another submission too "
                                f"({others})")
    return kept


# --- running tasks: restart a broken pool, stop everything on an interrupt -----------------------

def _call(task: Callable[[dict], dict], spec: dict, mark: str | None = None) -> dict:
    """Run one task in a worker; first touch ``mark`` (if given) so that the runner knows the
    task started. (Tasks of one process may run at once in threads, as in a Dask worker: the
    part that is not thread-safe, the in-process nbval run, takes turns in
    :func:`cbc_teach.grading.runner.run_nbval`.)"""
    if mark:
        with contextlib.suppress(OSError):
            pathlib.Path(mark).touch()
    return task(spec)


def _default_executor(jobs: int) -> cf.Executor:
    return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_warm_up)


def _warm_up() -> None:
    """Start the kernel fork server and import what every task needs, before the first task;
    watch the grader's main process (if it is killed outright, this worker stops its kernels
    and exits, leaving no orphan)."""
    from . import forkserver

    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True,
                     name="cbc-teach-watch-parent").start()

    forkserver.warm_up()
    # nbval imports nbformat, which imports jsonschema, which imports rfc3987_syntax when it is
    # installed (JupyterLab's jupyter-events brings it): it builds a Lark grammar at import,
    # 1.2 s of every worker's start, for IRI format checks the grader never makes.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    import jupyter_client.manager  # noqa: F401
    import nbval.plugin  # noqa: F401
    import pytest  # noqa: F401


def _watch_parent(parent: int, every: float = 0.5) -> None:
    """In a grading worker: once ``parent`` is gone (killed with SIGKILL, nothing could clean up),
    kill what this worker started (fork server, kernels) and exit."""
    while os.getppid() == parent:
        time.sleep(every)
    me = os.getpid()
    kill_tree(pid for pid, (ppid, _) in _proc_table().items() if ppid == me)
    os._exit(1)


class WorkerDied(RuntimeError):
    """A grading worker process died on this task, and again when it was retried alone."""


def _proc_table() -> dict[int, tuple[int, int]]:
    """``{pid: (parent pid, session id)}`` of every process (Linux ``/proc``; empty elsewhere)."""
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                # after "(comm)": state, ppid, pgrp, session, tty_nr, ...
                fields = fh.read().rsplit(b")", 1)[1].split()
            table[int(name)] = (int(fields[1]), int(fields[3]))
        except (OSError, IndexError, ValueError):
            continue
    return table


def process_tree(roots: Iterable[int]) -> set[int]:
    """The processes started from ``roots`` (and the roots still running): their descendants,
    and the members of any session one of them leads (a kernel is a session leader; a
    double-forked daemon stays in its session after its parent is gone). Never process 1, the
    caller or its ancestors, nor a session they belong to.

    >>> process_tree([os.getpid()]) == set()
    True
    """
    table = _proc_table()
    spared = {0, 1}
    pid = os.getpid()
    while pid > 1 and pid not in spared:
        spared.add(pid)
        pid = table.get(pid, (0, 0))[0]
    spared_sessions = {0} | {table[p][1] for p in spared if p in table}
    found = {p for p in roots if p in table and p not in spared}
    changed = True
    while changed:
        changed = False
        led = {p for p in found if table[p][1] == p} - spared_sessions
        for pid, (ppid, sid) in table.items():
            if pid not in found and pid not in spared and (ppid in found or sid in led):
                found.add(pid)
                changed = True
    return found


def kill_tree(roots: Iterable[int]) -> None:
    """SIGKILL :func:`process_tree` of ``roots`` (twice, for children forked meanwhile)."""
    roots = list(roots)
    for _ in range(2):
        for pid in process_tree(roots):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


class _Runner:
    """Runs tasks on the executor given, or on a process pool of its own.

    A pool broken by a dead worker is replaced. The tasks that had not started are run again
    as before; each task that had started (and so may have killed its worker) is retried alone,
    and one that kills its worker again, alone, becomes an error.
    """

    def __init__(self, executor: cf.Executor | None, jobs: int) -> None:
        self.given, self.jobs = executor, jobs
        self.own: cf.Executor | None = None
        self.futures: set[cf.Future] = set()
        self.restarts = 0
        self.marks: str | None = None

    def _executor(self, size: int) -> cf.Executor:
        if self.given is not None:
            return self.given
        if self.own is None:
            self.own = _default_executor(max(1, min(self.jobs, size)))
        return self.own

    def _replace(self) -> None:
        self.restarts += 1
        self.given = None  # a broken executor of the caller's is not used again
        if self.own is not None:
            self.stop()

    def run(self, tasks: dict, done: Callable[[object, dict | None, BaseException | None], None]) -> None:
        """Run ``tasks`` (``{key: (function, spec)}``); call ``done(key, result, exception)``."""
        import shutil
        import tempfile

        self.marks = tempfile.mkdtemp(prefix="cbc-teach-started-")
        try:
            self._run(tasks, done)
        finally:
            shutil.rmtree(self.marks, ignore_errors=True)

    def _run(self, tasks: dict, done: Callable) -> None:
        suspect: set = set()  # started when a worker died
        pending = list(tasks)
        for _ in range(4 * len(tasks) + 2):  # a bound, in case a pool breaks before any start
            if not pending:
                return
            together = [k for k in pending if k not in suspect]
            alone = [k for k in pending if k in suspect]
            pending = []
            if together:
                broken, started = self._round({k: tasks[k] for k in together}, done)
                if broken:
                    self._replace()
                    suspect.update(started or broken)  # nothing started: count them all
                    pending += broken
            for key in alone:
                broken, _ = self._round({key: tasks[key]}, done)
                if broken:
                    self._replace()
                    done(key, None, WorkerDied("the grading worker process died while grading "
                                               "this submission, and again when it was retried "
                                               "alone"))
        for key in pending:
            done(key, None, WorkerDied("the grading workers kept dying; not graded"))

    def _round(self, todo: dict, done: Callable) -> tuple[list, list]:
        """Run ``todo`` once; return the keys the broken pool did not finish, and those of them
        that had started."""
        broken: list = []
        futures: dict[cf.Future, object] = {}
        marks: dict[object, str] = {}
        executor = self._executor(len(todo))
        for key, (task, spec) in todo.items():
            marks[key] = os.path.join(self.marks or "", f"{len(marks)}-{time.monotonic_ns()}")
            try:
                futures[executor.submit(_call, task, spec, marks[key] if self.marks else None)] = key
            except cf.BrokenExecutor:
                broken.append(key)
        self.futures = set(futures)
        for future in cf.as_completed(futures):
            key = futures[future]
            try:
                result = future.result()
            except cf.BrokenExecutor:
                broken.append(key)
                continue
            except Exception as exc:  # a grader bug must not lose the other students' rows
                done(key, None, exc)
                continue
            done(key, result, None)
        self.futures = set()
        started = [k for k in broken if os.path.exists(marks[k])]
        return broken, started

    def stop(self) -> None:
        """Cancel what is queued; kill the own pool's workers with their kernels (no orphans)."""
        for future in self.futures:
            future.cancel()
        if self.own is not None:
            pool, self.own = self.own, None
            workers = [p.pid for p in (getattr(pool, "_processes", None) or {}).values() if p.pid]
            kill_tree(workers)
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Shut the own pool down (after the work is done)."""
        if self.own is not None:
            self.own.shutdown()
            self.own = None


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# --- grading ---------------------------------------------------------------------------------------


def _options_key(ex: LoadedExercise, timeout: float, memory_mb: int) -> str:
    return f"{ex.key}/{timeout:g}/{memory_mb}"


def grade(exercise: str | os.PathLike, submissions: Iterable[str | os.PathLike], *,
          out: str | os.PathLike, jobs: int | None = None, timeout: float = 30.0,
          memory_mb: int = DEFAULT_MEMORY_MB, roster: str | os.PathLike | None = None,
          executor: cf.Executor | None = None, progress: bool | None = None,
          force: bool = False, sandbox: bool = True) -> GradeRun:
    """Grade submissions of one exercise; write ``OUT/gradebook.csv``, ``OUT/results/*.json``,
    ``OUT/feedback/*.html`` and ``OUT/summary.txt``. Submissions are files or folders (searched
    for ``.ipynb``; links are not followed, and an entry that is not a regular file is an error
    row). Submissions are only read, never written.

    ``jobs``: worker processes (default: the number of CPUs); ``executor``: any
    ``concurrent.futures.Executor`` to run the tasks instead (e.g. a Dask client's: paths are
    sent absolute); ``timeout``: seconds per cell; ``memory_mb``: the kernel's address-space
    limit; ``roster``: a CSV whose students without a submission get a row too; ``force``:
    regrade unchanged submissions (otherwise a re-run reuses a result the grader signed, of a
    submission whose bytes, exercise and options have not changed).

    A worker that dies is replaced and its unfinished tasks retried. On Ctrl-C or SIGTERM the
    workers and kernels are stopped, the finished rows written as a partial gradebook, and
    :class:`GradingInterrupted` (a ``KeyboardInterrupt``) raised.

    ``sandbox=False`` runs the kernels without the bubblewrap sandbox
    (:mod:`cbc_teach.grading.sandbox`); with it (the default) a machine where bwrap cannot run
    raises :class:`GradingError` saying so.
    """
    started = time.perf_counter()
    if sandbox:
        require_sandbox()
    ex = load_exercise(exercise)
    out = pathlib.Path(os.path.abspath(os.fspath(out)))
    run = GradeRun(ex.id, out, [], ex.questions, sandbox=sandbox)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("results", "feedback"):
        run.notices += output_folder(out / sub)
    options = _options_key(ex, timeout, memory_mb) + ("" if sandbox else "/no-sandbox")
    entries = _find(submissions)
    for e in entries:
        _survey(e, ex)
    entries = _claims(entries, run.notices)
    title = f"{ex.definition.title} ({ex.id})"
    records: dict[str, dict] = {}

    def keep(e: _Entry, record: dict) -> None:
        try:
            write_result(out, e.name, record, title)
        except OSError as exc:  # e.g. a folder planted at results/<name>.json
            record = {**record, "status": "error",
                      "reason": f"the result cannot be written ({exc}); " + record["reason"]}
        records[e.name] = record

    todo: list[_Entry] = []
    for e in entries:
        if e.problem:
            keep(e, _error(ex, e, e.problem, options))
            continue
        if os.path.isdir(out / "results" / f"{e.name}.json") and \
                not os.path.islink(out / "results" / f"{e.name}.json"):
            records[e.name] = _error(ex, e, f"results/{e.name}.json in the output folder is a "
                                     "folder, not a file: remove it and grade again", options)
            continue
        if not force and not e.errors and not e.notes:
            prev, status = read_signed(out / "results" / f"{e.name}.json")
            if status == "forged":
                run.regraded += 1
                run.notices.append(f"results/{e.name}.json failed the signature check (not "
                                   "written by this grader, or altered since): regraded")
            if prev is not None and prev.get("sha256") == e.sha256 \
                    and prev.get("options") == options and prev.get("submission") == str(e.path):
                prev.pop("signature", None)
                records[e.name] = prev
                run.reused += 1
                continue
        todo.append(e)

    runner = _Runner(executor, max(1, jobs or os.cpu_count() or 1))
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    bar = Progress(len(todo), f"grading {ex.id}", enabled=progress)
    try:
        refs = _references(ex, [e.variant for e in todo if e.readable], out, runner, timeout,
                           memory_mb, run, sandbox)
        tasks = {}
        for e in todo:
            reference = refs.get(e.variant)
            if e.readable and reference is None:
                keep(e, _finish(_error(ex, e, "the instructor's reference could not be built for "
                                       "this variant (see the problems printed)", options), e))
                bar.step(e.student)
                continue
            tasks[e.name] = (_GRADE_TASK, {
                "submission": str(e.path), "student": e.variant,
                "source": os.path.abspath(ex.source.path), "reference": reference,
                "timeout": timeout, "memory_mb": memory_mb, "sha256": e.sha256,
                "sandbox": sandbox})
        by_name = {e.name: e for e in todo}

        def done(name: str, record: dict | None, exc: BaseException | None) -> None:
            e = by_name[name]
            if record is None:
                record = _error(ex, e, f"the grader failed on this submission "
                                f"({type(exc).__name__}: {exc})", options)
            elif record.get("sha256") != e.sha256:
                record["status"] = "error"
                record["reason"] = ("the file changed while it was being graded: grade again"
                                    + ("; " + record["reason"] if record.get("reason") else ""))
            record["options"] = options
            keep(e, _finish(record, e))
            run.graded += 1
            bar.step(e.student)

        runner.run(tasks, done)
        runner.close()
    except KeyboardInterrupt:
        run.interrupted = True
        runner.stop()
        run.notices.append(f"interrupted: {len(records)} of {len(entries)} rows finished; the "
                           "workers and their kernels were stopped; run the same command again "
                           "to grade the rest (finished results are reused)")
    finally:
        bar.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if runner.restarts:
        run.notices.append(f"the grading worker pool broke {runner.restarts} time(s) (a worker "
                           "process died) and was restarted; unfinished submissions were retried")

    rows = list(records.values())
    order: dict[str, int] = {}
    if roster is not None:
        ids = read_roster(roster)
        order = {sid: i for i, sid in enumerate(ids)}
        have = {r["student_id"] for r in rows}
        if not run.interrupted:
            rows += [{"student_id": sid, "status": "error", "reason": "no submission", "total": 0.0,
                      "max": ex.definition.max_points, "scores": {}}
                     for sid in ids if sid not in have]
        for r in rows:
            if r["student_id"] not in order and "not on the roster" not in r["reason"]:
                r["reason"] = "not on the roster" + ("; " + r["reason"] if r["reason"] else "")
    rows.sort(key=lambda r: (order.get(r["student_id"], len(order)), r["student_id"],
                             r.get("submission", "")))
    write_gradebook(out / "gradebook.csv", rows, ex.questions)
    run.records = rows
    run.errors = sum(r["status"] == "error" for r in rows)
    run.seconds = time.perf_counter() - started
    lines = [run.summary(), *run.notices,
             *(f"problem with the instructor's solution: {p}" for p in run.problems)]
    write_file(out, "summary.txt", ("\n".join(lines) + "\n").encode("utf-8", "replace"))
    if run.interrupted:
        raise GradingInterrupted(run)
    return run


_GRADE_TASK = grade_submission
_REFERENCE_TASK = reference_task


def _finish(record: dict, e: _Entry) -> dict:
    """The row as the survey sees it: the student id of the row, and what the survey found
    (ids claimed twice, a variant other than the id handed in)."""
    record["student_id"] = e.student
    if e.errors:
        record["status"] = "error"
    extra = e.errors + e.notes
    if extra:
        record["reason"] = "; ".join(extra + ([record["reason"]] if record.get("reason") else []))
    return record


def _error(ex: LoadedExercise, e: _Entry, reason: str, options: str) -> dict:
    return {"student_id": e.student, "submission": _printable(str(e.path)), "sha256": e.sha256,
            "exercise": ex.id, "key": ex.key, "options": options, "status": "error",
            "reason": reason, "total": 0.0, "max": ex.definition.max_points, "scores": {},
            "questions": [], "notes": [], "cells": []}


def _references(ex: LoadedExercise, students: list[str], out: pathlib.Path, runner: _Runner,
                timeout: float, memory_mb: int, run: GradeRun,
                sandbox: bool = True) -> dict[str, list]:
    """Reference outputs per variant: from the signed cache, else by running the instructor's
    source (in as many tasks as there are workers)."""
    cache = out / ".cache" / ex.key
    run.notices += output_folder(out / ".cache")
    run.notices += output_folder(cache)
    refs: dict[str, list] = {}
    missing = []
    for sid in dict.fromkeys(students):
        stored, status = read_signed(cache / f"{file_name(sid)}.json")
        if stored is not None and stored.get("student") == sid \
                and isinstance(stored.get("outputs"), list):
            refs[sid] = stored["outputs"]
            continue
        if status == "forged":
            run.notices.append(f"the cached reference of {sid} failed the signature check: rebuilt")
        missing.append(sid)
    if not missing:
        return refs
    jobs = runner.jobs
    chunks = [missing[i::jobs] for i in range(min(jobs, len(missing)))]
    source = os.path.abspath(ex.source.path)
    tasks = {n: (_REFERENCE_TASK, {"source": source, "students": chunk, "timeout": timeout,
                                   "memory_mb": memory_mb, "sandbox": sandbox})
             for n, chunk in enumerate(chunks)}

    def done(n: int, got: dict | None, exc: BaseException | None) -> None:
        if got is None:
            for sid in chunks[n]:
                run.problems.append(f"{sid}: the reference run failed ({type(exc).__name__}: {exc})")
            return
        for sid, text in got["problems"].items():
            run.problems.append(f"{sid}: {text}")
        for sid, outputs in got["outputs"].items():
            if sid in got["problems"]:
                continue
            refs[sid] = outputs
            payload = sign({"student": sid, "key": ex.key, "outputs": outputs})
            write_file(cache, f"{file_name(sid)}.json", json.dumps(payload).encode("utf-8"))

    runner.run(tasks, done)
    return refs
