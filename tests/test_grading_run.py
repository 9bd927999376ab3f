"""A grading run that no submission can stop or corrupt: outputs only the grader writes,
a defensive survey of the inputs, restarted workers, interruptions, clearer rows, the layouts
instructors already have (nbgrader, its exchange, collected/), and grading on a real Dask cluster.

Every attack here is bounded and non-destructive: it only touches this test's temporary folders
and processes. The signing key lives in a temporary folder too (``CBC_TEACH_KEY_FILE``).
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from cbc_teach.errors import GradingError
from cbc_teach.exercises import definition
from cbc_teach.grading import api, grade, release, report
from cbc_teach.grading.api import grade_submission, process_tree
from cbc_teach.grading.notebook import cell_role

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXERCISE = "ex02_anc"
FULL = definition(EXERCISE).max_points


@pytest.fixture(autouse=True)
def _key_file(tmp_path_factory, monkeypatch):
    """The signing key of this module's runs, outside every output folder."""
    monkeypatch.setenv("CBC_TEACH_KEY_FILE", str(tmp_path_factory.getbasetemp() / "grading.key"))


# --- submissions made here ---------------------------------------------------------------------


def _literal(q: str, value) -> str:
    return f"{q} = {round(value, 3)!r}" if isinstance(value, float) else f"{q} = {value!r}"


def notebook(worked_by: str, *, released_to: str | None = None, right: bool = True,
             setup_output: bool = False) -> dict:
    """A submission answered (rightly, or wrongly) for the variant of ``worked_by``: a personal
    copy released to ``released_to``, or a class copy (no student in its metadata) whose setup
    output, if stored, shows ``worked_by``'s variant, as on a hub."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        [path] = release(EXERCISE, out=tmp, students=[released_to] if released_to else None)
        nb = json.loads(path.read_text(encoding="utf-8"))
    d = definition(EXERCISE)
    answers = d.answers(d.variant(worked_by))
    for cell in nb["cells"]:
        role, q = cell_role(cell)
        if role == "answer":
            value = answers[q]
            if not right:
                value = value + 1.0 if isinstance(value, float) else "wrong"
            cell["source"] = _literal(q, value)
        elif role == "setup" and setup_output:
            cell["outputs"] = [{"output_type": "execute_result", "execution_count": 1,
                                "metadata": {}, "data": {"text/plain": [
                                    f"{d.title} ({EXERCISE}), variant for {worked_by}\n",
                                    "Patient A ..."]}}]
    return nb


def put(path: pathlib.Path, nb: dict) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def gradebook(out: pathlib.Path) -> dict[str, list[str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    found: dict[str, list] = {}
    for r in rows:
        found.setdefault(r["student_id"], []).append(r)
    return found


def rows_of(run) -> dict[str, dict]:
    return {r["student_id"]: r for r in run.records}


# --- outputs only the grader writes --------------------------------------------------------------


def test_rewritten_results_are_regraded_not_reused(pool, tmp_path):
    """A kernel (or a daemon left behind) that rewrites results/*.json keeping their sha256 (a
    classmate's 8 -> 0, its own 0 -> 8) changes nothing: the records fail the signature check,
    are regraded, and the run summary says so."""
    subs = tmp_path / "in"
    put(subs / "ann.ipynb", notebook("ann", released_to="ann"))
    put(subs / "bob.ipynb", notebook("bob", released_to="bob", right=False))
    out = tmp_path / "out"
    first = rows_of(grade(EXERCISE, [subs], out=out, executor=pool, timeout=20, progress=False))
    assert (first["ann"]["total"], first["bob"]["total"]) == (FULL, 0)
    for name, total in (("ann", 0.0), ("bob", float(FULL))):
        path = out / "results" / f"{name}.json"
        record = json.loads(path.read_text())
        record.update(total=total, scores={q: (total and v["max"]) for q, v in
                                           zip(record["scores"], record["questions"])})
        record.pop("signature", None)
        path.write_text(json.dumps(record))
    (out / "gradebook.csv").write_text("student_id,total\nbob,8\n")  # the daemon's own row
    with pytest.raises(GradingError, match="carries this grader's signature"):
        report(out, png=False)  # the report does not read them either
    again = grade(EXERCISE, [subs], out=out, executor=pool, timeout=20, progress=False)
    assert again.regraded == 2 and again.reused == 0 and again.graded == 2
    assert (rows_of(again)["ann"]["total"], rows_of(again)["bob"]["total"]) == (FULL, 0)
    assert gradebook(out)["bob"][0]["total"] == "0"
    summary = (out / "summary.txt").read_text()
    assert "2 earlier result(s) failed the signature check" in summary
    assert "results/bob.json failed the signature check" in summary
    third = grade(EXERCISE, [subs], out=out, executor=pool, timeout=20, progress=False)
    assert third.reused == 2 and third.regraded == 0  # what the grader signed is reused


def test_a_signature_needs_the_key_outside_the_output_folder(pool, tmp_path, monkeypatch):
    """A record copied with its signature but signed by another key (another grader, or one
    forged with a key of the attacker's) is not reused."""
    subs = put(tmp_path / "in" / "ann.ipynb", notebook("ann", released_to="ann"))
    out = tmp_path / "out"
    grade(EXERCISE, [subs], out=out, executor=pool, timeout=20, progress=False)
    monkeypatch.setenv("CBC_TEACH_KEY_FILE", str(tmp_path / "another.key"))
    again = grade(EXERCISE, [subs], out=out, executor=pool, timeout=20, progress=False)
    assert again.regraded == 1 and again.reused == 0
    assert not str(tmp_path / "another.key").startswith(str(out))


def test_planted_links_are_replaced_never_followed(pool, tmp_path):
    """Links planted under the output folder neither overwrite a classmate's submission nor
    redirect the gradebook, a result, a feedback page or the reference cache."""
    subs = tmp_path / "in"
    victim = put(subs / "victim.ipynb", notebook("victim", released_to="victim"))
    put(subs / "ann.ipynb", notebook("ann", released_to="ann"))
    before = victim.read_bytes()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "results" / "victim.json").symlink_to(victim)
    (out / "results" / "ann.json").symlink_to(elsewhere / "ann.json")
    (out / "feedback").symlink_to(elsewhere, target_is_directory=True)
    (out / "gradebook.csv").symlink_to(elsewhere / "gradebook.csv")
    (out / "summary.txt").symlink_to(victim)
    (out / ".cache").symlink_to(elsewhere, target_is_directory=True)
    run = grade(EXERCISE, [subs], out=out, executor=pool, timeout=20, progress=False)
    assert victim.read_bytes() == before
    assert list(elsewhere.iterdir()) == []
    assert [r["total"] for r in run.records] == [FULL, FULL]
    for path in (out / "gradebook.csv", out / "summary.txt", out / "results" / "victim.json",
                 out / "feedback" / "ann.html"):
        assert path.is_file() and not path.is_symlink()
    assert not (out / "feedback").is_symlink() and not (out / ".cache").is_symlink()
    assert any("was a symbolic link" in n for n in run.notices)
    for name in ("report.txt", "questions.csv", "histogram.png"):
        (out / name).symlink_to(victim)
    (out / "results" / "forged.json").write_text(json.dumps({**run.records[0], "total": 99}))
    rep = report(out)
    assert victim.read_bytes() == before and not (out / "report.txt").is_symlink()
    assert rep.students == 2 and "Left out: 1 result file(s)" in rep.text


def test_a_folder_at_my_result_is_one_error_row(pool, tmp_path):
    """A folder planted at results/<me>.json makes that row an error, not the run a traceback."""
    subs = tmp_path / "in"
    put(subs / "ann.ipynb", notebook("ann", released_to="ann"))
    put(subs / "bob.ipynb", notebook("bob", released_to="bob"))
    out = tmp_path / "out"
    (out / "results" / "bob.json").mkdir(parents=True)
    run = grade(EXERCISE, [subs], out=out, executor=pool, timeout=20, progress=False)
    rows = rows_of(run)
    assert rows["ann"]["status"] == "graded" and rows["ann"]["total"] == FULL
    assert rows["bob"]["status"] == "error"
    assert "results/bob.json in the output folder is a folder" in rows["bob"]["reason"]
    assert set(gradebook(out)) == {"ann", "bob"}


# --- a defensive survey --------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_odd_entries_are_error_rows_and_never_hang(pool, tmp_path):
    """A folder named x.ipynb, a dangling link, a link to a classmate's notebook and a FIFO
    named .ipynb each give one error row with its reason; the real submission is graded and the
    run neither crashes nor hangs on the FIFO."""
    subs = tmp_path / "in"
    real = put(subs / "ann.ipynb", notebook("ann", released_to="ann"))
    (subs / "x.ipynb").mkdir()
    (subs / "x.ipynb" / "inside.ipynb").write_text("{}")  # not searched: x.ipynb is an entry
    (subs / "dangling.ipynb").symlink_to(subs / "gone.ipynb")
    (subs / "copycat.ipynb").symlink_to(real)
    os.mkfifo(subs / ".ipynb")
    os.mkfifo(subs / "pipe.ipynb")
    run = grade(EXERCISE, [subs], out=tmp_path / "out", executor=pool, timeout=20,
                progress=False)
    reasons = {pathlib.Path(r["submission"]).name: r["reason"] for r in run.records}
    assert reasons == {
        "ann.ipynb": "",
        "x.ipynb": "x.ipynb is a folder, not a notebook file",
        "dangling.ipynb": "dangling.ipynb is a symbolic link to a missing file: links are not "
                          "followed, hand in the notebook file itself",
        "copycat.ipynb": "copycat.ipynb is a symbolic link (to a regular file): links are not "
                         "followed, hand in the notebook file itself",
        ".ipynb": ".ipynb is a named pipe (FIFO), not a notebook file",
        "pipe.ipynb": "pipe.ipynb is a named pipe (FIFO), not a notebook file",
    }
    assert [r["status"] for r in run.records].count("error") == 5
    assert run.problems == []


@pytest.mark.timeout(300)
def test_a_fifo_given_by_name_does_not_hang(pool, tmp_path):
    """A FIFO named on the command line is an error row too (it is opened without blocking)."""
    os.mkfifo(tmp_path / "s001.ipynb")
    run = grade(EXERCISE, [tmp_path / "s001.ipynb"], out=tmp_path / "out", executor=pool,
                timeout=20, progress=False)
    assert run.records[0]["reason"] == "s001.ipynb is a named pipe (FIFO), not a notebook file"


# --- clearer rows ------------------------------------------------------------------------------------


def test_ids_from_bad_file_names_say_so(pool, tmp_path):
    """A file name starting with _ or ., or not UTF-8, gives an error row about the student id,
    not a problem with the instructor's solution."""
    subs = tmp_path / "in"
    put(subs / "ann.ipynb", notebook("ann"))
    put(subs / "_s001.ipynb", notebook("s001"))
    put(subs / ".s002.ipynb", notebook("s002"))
    bad = os.fsdecode(b"\xffs003\xfe.ipynb")
    put(subs / bad, notebook("s003"))
    run = grade(EXERCISE, [subs], out=tmp_path / "out", executor=pool, timeout=20,
                progress=False)
    assert run.problems == []
    rows = {pathlib.Path(r["submission"]).name: r for r in run.records}
    assert rows["ann.ipynb"]["status"] == "graded" and rows["ann.ipynb"]["total"] == FULL
    for name in ("_s001.ipynb", ".s002.ipynb"):
        assert rows[name]["status"] == "error"
        assert "is not a valid student id" in rows[name]["reason"]
        assert "instructor" not in rows[name]["reason"]
    [odd] = [r for n, r in rows.items() if "s003" in n]
    assert odd["status"] == "error" and "not UTF-8 text" in odd["reason"]
    text = (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8")
    assert text.count("\n") == 5


def test_an_id_claimed_twice_keeps_the_one_in_its_own_folder(pool, tmp_path):
    """Two files claim s001 (bob handed in s001's copy): the file in collected/s001/ stays
    graded and says which file claimed the id too; the other is an error naming the first."""
    col = tmp_path / "collected"
    mine = put(col / "s001" / "ex02_anc.ipynb", notebook("s001", released_to="s001"))
    theirs = put(col / "bob" / "ex02_anc.ipynb", notebook("s001", released_to="s001"))
    run = grade(EXERCISE, [col], out=tmp_path / "out", executor=pool, timeout=20,
                progress=False)
    by_file = {r["submission"]: r for r in run.records}
    kept, flagged = by_file[str(mine)], by_file[str(theirs)]
    assert (kept["student_id"], kept["status"], kept["total"]) == ("s001", "graded", FULL)
    assert f"also claimed by {theirs}" in kept["reason"]
    assert flagged["status"] == "error"
    assert f"claims the student id 's001' (its metadata), whose own submission is {mine}" \
        in flagged["reason"]
    assert "handed in as 'bob'" in flagged["reason"]


def test_edited_setup_cell_is_reported(pool, tmp_path):
    """An edited setup cell is reported like an edited check cell (the instructor's runs)."""
    nb = notebook("ann", released_to="ann")
    for cell in nb["cells"]:
        if cell_role(cell)[0] == "setup":
            cell["source"] = cell["source"] + "\nprint('I changed the setup')"
    sub = put(tmp_path / "ann.ipynb", nb)
    run = grade(EXERCISE, [sub], out=tmp_path / "out", executor=pool, timeout=20, progress=False)
    row = run.records[0]
    assert (row["status"], row["total"]) == ("graded", FULL)
    assert "protected cells edited (ignored, the instructor's were run): setup" in row["reason"]


# --- layouts -----------------------------------------------------------------------------------------


def test_layouts_give_the_student_id(pool, tmp_path):
    """nbgrader's submitted/<student>/<assignment>/, the exchange's <student>+<assignment>+<time>/
    (the latest kept) and collected/<student>/ give each class copy its student's id."""
    root = tmp_path / "course"
    put(root / "submitted" / "s001" / "ex02_anc" / "ex02_anc.ipynb", notebook("s001"))
    put(root / "submitted" / "s002" / "ex02_anc" / "ex02_anc.ipynb", notebook("s002", right=False))
    inbound = root / "exchange" / "inbound"
    put(inbound / "s003+ex02_anc+2026-11-30 09:00:00.000000 UTC" / "ex02_anc.ipynb",
        notebook("s003", right=False))
    put(inbound / "s003+ex02_anc+2026-11-30 10:00:00.000000 UTC+a1b2" / "ex02_anc.ipynb",
        notebook("s003"))
    put(inbound / "ann.lee+ex02_anc+2026-11-30 11:00:00.000000 UTC" / "ex02_anc.ipynb",
        notebook("ann.lee"))
    put(root / "collected" / "s004" / "my answers.ipynb", notebook("s004"))
    run = grade(EXERCISE, [root], out=tmp_path / "out", executor=pool, timeout=20,
                progress=False)
    got = {r["student_id"]: (r["status"], r["total"], r["reason"]) for r in run.records}
    assert got == {"s001": ("graded", FULL, ""), "s002": ("graded", 0, ""),
                   "s003": ("graded", FULL, ""), "ann.lee": ("graded", FULL, ""),
                   "s004": ("graded", FULL, "")}
    assert any("earlier exchange submission of s003" in n for n in run.notices)


def test_a_copy_worked_as_another_variant_says_so(pool, tmp_path):
    """A class copy whose setup output shows alice's variant, filed under collected/bob/, gets
    a row saying so (graded against the variant it was worked on), never a silent 0/8."""
    put(tmp_path / "collected" / "bob" / "ex02_anc.ipynb", notebook("alice", setup_output=True))
    put(tmp_path / "collected" / "carl" / "ex02_anc.ipynb", notebook("carl", setup_output=True))
    run = grade(EXERCISE, [tmp_path / "collected"], out=tmp_path / "out", executor=pool,
                timeout=20, progress=False)
    rows = rows_of(run)
    assert (rows["carl"]["status"], rows["carl"]["total"], rows["carl"]["reason"]) == \
        ("graded", FULL, "")
    bob = rows["bob"]
    assert bob["status"] == "error" and bob["total"] == FULL
    assert ("records the variant of 'alice' (its setup output says 'variant for alice') but was "
            "handed in as 'bob'") in bob["reason"]


# --- workers that die, runs that are stopped --------------------------------------------------------


def kills_its_worker(task: dict) -> dict:
    """A grading task that kills its own worker process (SIGKILL), as a submission that reaches
    its worker would: every time for a file named ``breaker*``, once for ``once*``."""
    path = pathlib.Path(task["submission"])
    if path.name.startswith("breaker"):
        os.kill(os.getpid(), signal.SIGKILL)
    if path.name.startswith("once"):
        try:
            os.close(os.open(path.with_suffix(".killed"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            pass
        else:
            os.kill(os.getpid(), signal.SIGKILL)
    return grade_submission(task)


@pytest.mark.timeout(600)
def test_a_killed_worker_costs_only_its_own_row(tmp_path, monkeypatch):
    """A worker killed under one submission breaks the process pool: the pool is restarted, the
    submissions not yet started run as before, those that had started are retried alone; a
    worker killed once costs nothing, and the submission that kills its worker every time is
    the only error row."""
    monkeypatch.setattr(api, "_GRADE_TASK", kills_its_worker)
    subs = tmp_path / "in"
    put(subs / "breaker.ipynb", notebook("breaker", released_to="breaker"))
    put(subs / "once.ipynb", notebook("once", released_to="once"))
    for sid in ("ann", "bob", "cat"):
        put(subs / f"{sid}.ipynb", notebook(sid, released_to=sid, right=sid != "bob"))
    run = grade(EXERCISE, [subs], out=tmp_path / "out", jobs=2, timeout=20, progress=False)
    got = {r["student_id"]: (r["status"], r["total"]) for r in run.records}
    assert got == {"ann": ("graded", FULL), "bob": ("graded", 0), "cat": ("graded", FULL),
                   "once": ("graded", FULL), "breaker": ("error", 0)}
    assert "died while grading this submission, and again when it was retried alone" in \
        run.row("breaker")["reason"]
    assert any("pool broke" in n for n in run.notices)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except OSError:
        return False


def _endless(student: str) -> dict:
    nb = notebook(student, released_to=student)
    for cell in nb["cells"]:
        if cell_role(cell) == ("answer", "q2"):
            cell["source"] = "while True:\n    pass\nq2 = 'mild'"
    return nb


def _start_run(tmp_path: pathlib.Path) -> tuple[subprocess.Popen, pathlib.Path, set[int]]:
    """`cbc-teach grade` on two quick and two endless submissions, in a session of its own;
    returns once the quick rows are written and the endless kernels run: the process, the output
    folder and every process it started."""
    subs = tmp_path / "in"
    for sid in ("ann", "bob"):
        put(subs / f"{sid}.ipynb", notebook(sid, released_to=sid))
    for sid in ("zz1", "zz2"):
        put(subs / f"{sid}.ipynb", _endless(sid))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cbc_teach.cli", "grade", EXERCISE, str(subs), "--out", str(out),
         "--jobs", "2", "--timeout", "120", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while len(list((out / "results").glob("*.json"))) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.5)
    time.sleep(2)  # both endless kernels are running by now
    tree = process_tree([proc.pid]) - {proc.pid}
    assert len(tree) >= 4  # two workers, their fork servers and kernels
    return proc, out, tree


def _no_orphans(tree: set[int]) -> list[int]:
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [p for p in tree if _alive(p)]
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    return left


@pytest.mark.timeout(600)
@pytest.mark.parametrize("how", ["SIGTERM to the grader", "Ctrl-C (SIGINT to its process group)"])
def test_a_stopped_run_writes_the_finished_rows_and_leaves_no_process(tmp_path, how):
    """Stopping `cbc-teach grade` mid-run stops its workers and kernels (no orphans) and writes a
    partial gradebook of the finished rows, saying it was interrupted."""
    proc, out, tree = _start_run(tmp_path)
    try:
        if how.startswith("SIGTERM"):
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "INTERRUPTED" in stdout
    rows = gradebook(out)
    assert set(rows) == {"ann", "bob"} and rows["ann"][0]["total"] == str(FULL)
    assert "INTERRUPTED" in (out / "summary.txt").read_text()
    assert _no_orphans(tree) == []


@pytest.mark.timeout(600)
def test_a_grader_killed_outright_leaves_no_process(tmp_path):
    """Even a grader killed with SIGKILL (nothing can clean up) leaves no worker, fork server or
    kernel behind: each worker watches it and stops what it started; the finished results stay."""
    proc, out, tree = _start_run(tmp_path)
    proc.kill()
    proc.communicate(timeout=60)
    assert _no_orphans(tree) == []
    assert {p.name for p in (out / "results").glob("*.json")} == {"ann.json", "bob.json"}


# --- Dask ----------------------------------------------------------------------------------------------


@pytest.mark.timeout(900)
def test_grading_on_a_dask_cluster_matches_a_local_run(pool, tmp_path):
    """A class graded on a real distributed.LocalCluster (2 worker processes x 2 threads, started
    in another folder, relative paths given) gives the gradebook of a local run."""
    pytest.importorskip("distributed", reason="the test extra installs distributed")
    subs = tmp_path / "class" / "submissions"
    for n, sid in enumerate(["s001", "s002", "s003", "s004", "s005", "s006"]):
        put(subs / f"{sid}.ipynb", notebook(sid, released_to=sid, right=n % 3 != 1))
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "grade_on_dask.py"),
                           str(tmp_path / "class"), str(tmp_path / "dask")],
                          capture_output=True, text=True, timeout=800)
    assert done.returncode == 0, done.stderr[-3000:]
    local = grade(EXERCISE, [subs], out=tmp_path / "local", executor=pool, timeout=20,
                  progress=False)
    assert local.errors == 0
    assert (tmp_path / "dask" / "gradebook.csv").read_text() == \
        (tmp_path / "local" / "gradebook.csv").read_text()


def test_process_tree_is_only_what_we_started():
    """What an interrupted run kills is exactly what it started: a child, its session-leading
    grandchild and the daemon that one double-forked (now a child of process 1), and nothing
    else: never process 1, this process, its ancestors or their sessions."""
    script = ("import os, subprocess, sys, time\n"
              "subprocess.Popen([sys.executable, '-c', 'import os, time\\nos.setsid()\\n"
              "if os.fork() == 0:\\n    if os.fork() == 0:\\n        time.sleep(60)\\n"
              "    os._exit(0)\\ntime.sleep(60)'])\n"
              "time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        tree: set[int] = set()
        while time.monotonic() < deadline:
            tree = {p for p in process_tree([child.pid]) if _alive(p)}
            if len(tree) == 3:
                break
            time.sleep(0.2)
        assert len(tree) == 3 and child.pid in tree
        assert 1 not in tree and os.getpid() not in tree and os.getppid() not in tree
        assert [p for p in tree if p != child.pid and os.getsid(p) == os.getsid(0)] == []
        assert process_tree([os.getpid()]) == set()
    finally:
        for pid in process_tree([child.pid]):
            os.kill(pid, signal.SIGKILL)
        child.wait()


def test_nbval_runs_of_one_worker_process_take_turns(monkeypatch, tmp_path):
    """Threads of one worker process (a Dask worker has several) never run two nbval sessions at
    once: pytest and nbval inside one process are not thread-safe. (The rest of a task, kernel
    starts included, may overlap.)"""
    import pytest as pytest_module

    from cbc_teach.grading import runner
    from cbc_teach.grading.sandbox import Sandbox

    running, most = [], []

    def fake_main(args, plugins):
        running.append(args[0])
        most.append(len(running))
        time.sleep(0.05)
        running.remove(args[0])
        return 0

    monkeypatch.setattr(pytest_module, "main", fake_main)

    def one(n: int):
        folder = tmp_path / f"t{n}"
        folder.mkdir()
        return runner.run_nbval(folder / "graded.ipynb", Sandbox(folder, isolated=False), timeout=5)

    with cf.ThreadPoolExecutor(4) as threads:
        got = list(threads.map(one, range(8)))
    assert got == [({}, "")] * 8 and len(most) == 8 and max(most) == 1
