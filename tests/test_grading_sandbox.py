"""Grading integrity (issue 13): the sandbox, the static reading, the caps, the contract.

Every attack here is bounded and non-destructive: it runs in a kernel of the bubblewrap sandbox
started by this test, against its own temporary folders and processes only. The kernel-level
attacks talk to a sandboxed kernel directly (:func:`run_cells`); the submission-level ones grade
fixture notebooks (tests/data/make_submissions.py) or notebooks built in a temporary folder.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import importlib.util
import json
import os
import pathlib
import secrets
import socket
import tempfile
import time

import pytest

from cbc_teach.errors import GradingError
from cbc_teach.exercises import definition, start
from cbc_teach.exercises.contract import (
    AnswerRecord,
    GradingResult,
    GradingTask,
    full_marks_line,
    is_student_id,
    read_records,
)
from cbc_teach.exercises.model import judge
from cbc_teach.grading import grade
from cbc_teach.grading.answers import MAX_ANSWER_CHARS, ipython_python, read_answer
from cbc_teach.grading.kernel import start_kernel
from cbc_teach.grading.runner import _collect
from cbc_teach.grading.sandbox import Sandbox, privileged, sandbox_problem

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "data" / "submissions"
FULL = {"q1": 2, "q2": 1, "q3": 2, "q4": 1, "q5": 2}

_spec = importlib.util.spec_from_file_location("make_submissions", ROOT / "tests" / "data" / "make_submissions.py")
make_submissions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_submissions)


# --- a sandboxed kernel, driven directly ---------------------------------------------------------


def run_cells(*codes: str, timeout: float = 60, **limits) -> list[str]:
    """Run each code in one sandboxed kernel; return what each printed (and its error)."""
    with tempfile.TemporaryDirectory() as tmp:
        box = Sandbox(pathlib.Path(tmp), **limits)
        km, kc = start_kernel(box)
        try:
            texts = []
            for code in codes:
                outputs, error = _collect(km, kc, code, timeout)
                texts.append("".join(o.get("text", "") for o in outputs) + (error or ""))
            return texts
        finally:
            kc.stop_channels()
            km.shutdown_kernel()


@pytest.fixture(params=["root", "userns"])
def mode(request, monkeypatch):
    """Both ways the sandbox runs: a root grader (kernels become uid 65534) and a grader in a
    user namespace (how it runs for any other user; a root grader can be asked to use it)."""
    if request.param == "root" and os.geteuid() != 0:
        pytest.skip("the root mode needs a root grader; this run tests the user-namespace mode")
    if request.param == "userns":
        monkeypatch.setenv("CBC_TEACH_SANDBOX_USERNS", "1")
    return request.param


def test_sandbox_is_available_here():
    """The machine that runs the tests can run the sandbox (the Makefile installs bubblewrap)."""
    assert sandbox_problem() == ""


def test_kernel_cannot_read_the_graders_environment_or_processes(mode, monkeypatch):
    """No /proc/<ancestor>/environ or cmdline: the kernel sees only its own PID namespace,
    and its environment holds nothing of the grader's."""
    secret = secrets.token_hex(16)
    monkeypatch.setenv("CBC_TEACH_TEST_SECRET", secret)
    [out] = run_cells(f"""
import os
found = []
for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
    for name in ('environ', 'cmdline'):
        try:
            data = open(f'/proc/{{pid}}/{{name}}', 'rb').read()
        except OSError:
            continue
        if b'{secret}' in data:
            found.append((pid, name))
print('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
print('found', found)
print('secret in env', '{secret}' in repr(dict(os.environ)))
print('token in env', any('TOKEN' in k or 'KEY' in k for k in os.environ))
""")
    assert "found []" in out
    assert "secret in env False" in out and "token in env False" in out
    pids = out.split("pids ")[1].split("\n")[0]
    assert pids in ("[1]", "[]"), out  # only the kernel itself (or no /proc at all)


def test_kernel_sees_no_grader_files(mode, tmp_path):
    """The instructor's notebooks, the output folder, other submissions, the tests and the
    grader's task folder are not visible; the package is, read-only."""
    out_folder = tmp_path / "graded"
    out_folder.mkdir()
    (out_folder / "gradebook.csv").write_text("student_id,total\n")
    hidden = [ROOT / "exercises" / "ex02_anc.ipynb", ROOT / "exercises", out_folder,
              out_folder / "gradebook.csv", SUBMISSIONS / "correct.ipynb", ROOT / "tests",
              ROOT / "README.md", pathlib.Path("/etc/passwd"), pathlib.Path("/var")]
    package = ROOT / "cbc_teach" / "exercises" / "ex02_anc.py"
    [out] = run_cells(f"""
import os
for p in {[str(p) for p in hidden]!r}:
    print(os.path.exists(p), p)
print('package', os.path.exists({str(package)!r}))
try:
    open({str(ROOT / "cbc_teach" / "planted.txt")!r}, 'w')
    print('wrote into the package')
except OSError as exc:
    print('read-only', type(exc).__name__)
""")
    assert "True /" not in out, out
    assert out.count("False /") == len(hidden)
    assert "package True" in out and "read-only" in out
    assert not (ROOT / "cbc_teach" / "planted.txt").exists()


def test_no_network_not_even_loopback(mode):
    """Neither the grader's 127.0.0.1 nor a loopback inside the sandbox can be reached."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        [out] = run_cells(f"""
import socket
for target in [('127.0.0.1', {port})]:
    try:
        socket.create_connection(target, timeout=2)
        print('reached', target)
    except OSError as exc:
        print('refused', type(exc).__name__)
try:
    s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
    socket.create_connection(s.getsockname(), timeout=2)
    print('loopback works')
except OSError as exc:
    print('no loopback', type(exc).__name__)
""")
    finally:
        server.close()
    assert "reached" not in out and "refused" in out
    assert "no loopback" in out and "loopback works" not in out


def test_kernel_is_unprivileged(mode):
    """The kernel is not root, holds no capabilities and cannot become root."""
    [out] = run_cells("""
import os
print('uid', os.getuid())
try:
    os.setuid(0)
    print('became root')
except OSError:
    print('setuid refused')
try:
    caps = [ln for ln in open('/proc/self/status') if ln.startswith('CapEff')][0].split()[1]
    print('caps', caps)
except OSError:
    print('caps', '0000000000000000')
""")
    assert "uid 0\n" not in out and "setuid refused" in out
    assert "caps 0000000000000000" in out


def test_process_count_is_limited():
    """A fork loop stops at the limit (the children die with the kernel)."""
    [out] = run_cells("""
import os, time
made = 0
for _ in range(300):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    made += 1
print('made', made)
""", processes=32)
    made = int(out.split("made ")[1].split()[0])
    assert 0 < made < 32


def test_disk_quota_is_total(mode):
    """Files written by the kernel share one quota (not a per-file limit)."""
    [out] = run_cells("""
import os
written = 0
try:
    for i in range(10):
        with open(f'/tmp/f{i}', 'wb') as fh:
            fh.write(b'x' * 3_000_000)
        written += 1
except OSError as exc:
    print('stopped', type(exc).__name__)
print('files', written)
""", disk_mb=8)
    assert "stopped OSError" in out
    assert int(out.split("files ")[1].split()[0]) <= 2


def _pid_namespace_members(ns: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == ns:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def test_daemons_die_with_the_kernel(mode, tmp_path):
    """setsid daemons and double forks started by student code end when the task ends."""
    box = Sandbox(tmp_path)
    km, kc = start_kernel(box)
    try:
        outputs, error = _collect(km, kc, """
import os, subprocess, time
subprocess.Popen(['sleep', '300'], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(300)
    os._exit(0)
time.sleep(0.3)
print('started')
""", 30)
        assert error is None and "started" in outputs[0]["text"]
        ns = os.readlink(f"/proc/{km.pid}/ns/pid")
        assert ns != os.readlink("/proc/self/ns/pid")
        assert len(_pid_namespace_members(ns)) >= 3  # the kernel, sleep, the daemon
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
    deadline = time.monotonic() + 10
    while _pid_namespace_members(ns) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _pid_namespace_members(ns) == []


def test_one_kernel_cannot_kill_another(mode, tmp_path):
    """kill(-1) in one kernel reaches only its own namespace: another kernel keeps running."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a_km, a_kc = start_kernel(Sandbox(tmp_path / "a"))
    b_km, b_kc = start_kernel(Sandbox(tmp_path / "b"))
    try:
        # guarded: only where the kernel is PID 1 of its own namespace and not root
        outputs, _ = _collect(a_km, a_kc, """
import os, signal
if os.getpid() == 1 and os.getuid() != 0:
    os.kill(-1, signal.SIGKILL)
    print('killed all I could')
else:
    print('not sandboxed: refused to try')
""", 30)
        assert "killed all I could" in "".join(o.get("text", str(o)) for o in outputs)
        outputs, error = _collect(b_km, b_kc, "print('still here')", 30)
        assert error is None and outputs[0]["text"] == "still here\n"
    finally:
        for km, kc in ((a_km, a_kc), (b_km, b_kc)):
            kc.stop_channels()
            km.shutdown_kernel()


@pytest.mark.skipif(not privileged(), reason="socket ownership is taken only by a root grader")
def test_kernel_cannot_swap_its_sockets_or_records_for_links(tmp_path):
    """The sockets and the answer records cannot be replaced (a link would make the grader
    connect to, or read, a file of its own)."""
    [out] = run_cells("""
import os
for name in ('k-1', 'answers.jsonl', 'kernel.json'):
    try:
        os.unlink('/tmp/.cbc-teach/' + name)
        print('removed', name)
    except OSError:
        print('kept', name)
""")
    assert "removed" not in out and out.count("kept") == 3


# --- the run: no sandbox, a missing bwrap -------------------------------------------------------


def test_missing_bwrap_stops_grading_with_a_clear_message(monkeypatch, tmp_path, capsys):
    """Without bwrap, grade() and the CLI stop, naming the package and --no-sandbox."""
    import shutil

    from cbc_teach.cli import main

    sandbox_problem.cache_clear()
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    try:
        with pytest.raises(GradingError, match=r"bubblewrap.*--no-sandbox"):
            grade("ex02_anc", [SUBMISSIONS / "correct.ipynb"], out=tmp_path / "out", progress=False)
        assert main(["grade", "ex02_anc", str(SUBMISSIONS / "correct.ipynb"), "--out",
                     str(tmp_path / "out2"), "--quiet"]) == 1
        assert "bubblewrap" in capsys.readouterr().err
    finally:
        sandbox_problem.cache_clear()


def test_an_environment_under_tmp_is_named_not_a_namespace_failure(monkeypatch):
    """The sandbox gives each kernel a private /tmp, so an environment installed under /tmp
    cannot run there: the reason says so (not "bwrap cannot create the namespaces")."""
    from cbc_teach.grading import sandbox

    sandbox_problem.cache_clear()
    monkeypatch.setattr(sandbox, "_python_folders", lambda: ["/tmp/course/venv"])
    try:
        problem = sandbox_problem()
        assert "/tmp/course/venv" in problem and "namespaces" not in problem
    finally:
        sandbox_problem.cache_clear()


def test_no_sandbox_grades_and_says_so(tmp_path):
    """--no-sandbox grades as before, and the run summary and the record say so."""
    with cf.ThreadPoolExecutor(1) as pool:
        run = grade("ex02_anc", [SUBMISSIONS / "correct.ipynb"], out=tmp_path, executor=pool,
                    timeout=20, progress=False, sandbox=False)
    assert run.row("correct")["total"] == 8 and run.row("correct")["sandbox"] is False
    assert "WITHOUT the sandbox" in run.summary()


def test_two_tasks_in_threads_of_one_process(tmp_path):
    """A Dask-like worker with two threads grades two submissions at once without pytest
    errors (nbval runs in-process, serialised)."""
    with cf.ThreadPoolExecutor(2) as pool:
        run = grade("ex02_anc", [SUBMISSIONS / "correct.ipynb", SUBMISSIONS / "wrong.ipynb"],
                    out=tmp_path, executor=pool, timeout=20, progress=False)
    assert (run.row("correct")["total"], run.row("wrong")["total"]) == (8, 0)
    for r in run.records:
        assert r["status"] == "graded" and "INTERNALERROR" not in r["reason"], r["reason"]


# --- submissions: attacks and honest formatting --------------------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """Submissions too big to keep in the repository, built from the fixture generator."""
    folder = tmp_path_factory.mktemp("big")
    ms = make_submissions
    notebooks = {
        "huge-literal": ms.huge_literal("huge-literal"),
        "huge-computed": ms.answered("huge-computed", {"q2": "q2 = str('moderate') * 3_000_000"}),
        "long-line": ms.answered("long-line", {"q2": "q2 = '" + "y" * 15_000 + "'"}),
        "prints-a-lot": ms.answered("prints-a-lot", {
            "q1": ms.literal("q1", ms.right_answers("prints-a-lot")["q1"])
            + "\nprint('x' * 20_000_000)\nfor _ in range(30):\n    print('y' * 1_000_000)"}),
    }
    for name, nb in notebooks.items():
        (folder / f"{name}.ipynb").write_text(json.dumps(nb))
    return folder


@pytest.fixture(scope="module")
def graded(pool, big, tmp_path_factory):
    out = tmp_path_factory.mktemp("graded")
    names = ["autocall-forges-records", "shell-escape-answer", "magic-answer",
             "indented-answer-cells", "comment-with-question-mark"]
    run = grade("ex02_anc", [SUBMISSIONS / f"{n}.ipynb" for n in names] + [big], out=out,
                executor=pool, timeout=20, memory_mb=1024, progress=False)
    return run, out


def test_autocall_exec_cannot_forge_recorded_answers(graded):
    """';exec ...' (IPython auto-call) rewriting the answer records earns nothing: its cell
    uses IPython syntax, so no computed answer of the notebook is trusted."""
    run, _ = graded
    r = run.row("autocall-forges-records")
    assert r["total"] == 0 and r["status"] == "graded"
    assert "IPython syntax" in r["reason"]
    assert all(q["status"] == "unverified" for q in r["questions"])


@pytest.mark.parametrize("student", ["shell-escape-answer", "magic-answer"])
def test_shell_escape_or_magic_answer_is_not_pure_calculation(graded, student):
    """'q4 = !cmd' or 'q4 = %magic' gets no point and the notebook is not pure calculation."""
    run, _ = graded
    r = run.row(student)
    assert r["scores"] == {**{q: float(v) for q, v in FULL.items()}, "q4": 0.0}
    assert "IPython syntax" in r["reason"]


@pytest.mark.parametrize("student", ["indented-answer-cells", "comment-with-question-mark"])
def test_honest_formatting_gets_full_marks_without_a_flag(graded, student):
    """Indented answer cells, or a '?' inside a comment: full marks, no note."""
    run, _ = graded
    r = run.row(student)
    assert (r["status"], r["total"], r["reason"]) == ("graded", 8, "")


def test_huge_answer_cell_is_neither_read_nor_run(graded):
    """A 20 MB answer cell scores 0 for its question with a reason; the result stays small."""
    run, out = graded
    r = run.row("huge-literal")
    q2 = next(q for q in r["questions"] if q["id"] == "q2")
    assert r["scores"]["q2"] == 0 and "characters long" in q2["line"]
    assert r["total"] == 7 and "too long" in r["reason"]
    assert (out / "results" / "huge-literal.json").stat().st_size < 100_000
    assert (out / "feedback" / "huge-literal.html").stat().st_size < 100_000


def test_huge_computed_answer_is_not_copied_around(graded):
    """A computed 24 MB answer is recorded as too long: 0 points and a small result."""
    run, out = graded
    r = run.row("huge-computed")
    assert r["scores"]["q2"] == 0
    assert (out / "results" / "huge-computed.json").stat().st_size < 100_000


def test_long_verdict_line_is_cut_with_a_note(graded):
    """A verdict line over the limit is cut, saying so."""
    run, _ = graded
    q2 = next(q for q in run.row("long-line")["questions"] if q["id"] == "q2")
    assert len(q2["line"]) < 700 and len(q2["answer"]) < 300
    assert "cut by the grader" in q2["line"] or len(q2["line"]) <= 500


def test_printing_a_lot_is_capped(graded):
    """Printing 50 MB in an answer cell does not reach the result; the answers still count."""
    run, out = graded
    r = run.row("prints-a-lot")
    assert r["scores"]["q1"] == 2
    assert (out / "results" / "prints-a-lot.json").stat().st_size < 200_000


# --- static reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "ipython"), [
    ("q1 = 1.2", False),
    ("  q1 = 1.2\n  q2 = 3", False),
    ("q2 = 'moderate'  # is that right?", False),
    ("q1 = classify(x)  # ok?", False),
    (";exec 'q1 = 1'", True),
    (",f a", True),
    ("/f a", True),
    ("q4 = !cmd", True),
    ("q4 = %pwd", True),
    ("%time q1 = 1.2", True),
    ("x?", True),
])
def test_ipython_syntax_is_recognised(source, ipython):
    """The static reading sees what IPython runs; honest formatting is not IPython syntax."""
    assert ipython_python(source)[1] is ipython


@pytest.mark.parametrize("source", [";exec 'import os'\nq1 = 1.2", "q0 = !ls\nq1 = 1.2",
                                    "%time x = 1\nq1 = 1.2", "q1 = 1.2\n  x = 2"])
def test_untrusted_cells_count_only_as_plain_data(source):
    """A cell using IPython syntax (or not parsing) is never pure calculation."""
    r = read_answer(source, "q1")
    assert not r.safe
    if r.kind == "value":
        assert r.value == 1.2


def test_honest_cells_are_read_exactly():
    """Indentation, trailing comments and '?' in comments change nothing."""
    for source in ("  q2 = 'moderate'", "q2 = 'moderate'  # is that right?",
                   "\tq2 = 'moderate'\n\t# sure?"):
        r = read_answer(source, "q2")
        assert (r.kind, r.value, r.safe, r.problems) == ("value", "moderate", True, ())


def test_answer_cell_over_the_cap_is_not_read():
    """An answer cell over the cap is 'too_long' and not trusted."""
    r = read_answer("q1 = '" + "x" * MAX_ANSWER_CHARS + "'", "q1")
    assert r.kind == "too_long" and not r.safe and str(MAX_ANSWER_CHARS) in r.detail


# --- the contract ----------------------------------------------------------------------------------


def test_full_marks_line_is_what_a_check_prints():
    """The grader's full-marks line is the line the student's check prints."""
    d = definition("ex02_anc")
    variant = d.variant("s001")
    expected = d.answers(variant)
    for q in d.questions:
        assert judge(q, expected[q.id], expected[q.id], variant=variant).line == full_marks_line(q.id, q.points)


def test_answer_records_round_trip(tmp_path, monkeypatch):
    """What a check writes in grading mode is what the grader reads; huge answers are cut."""
    path = tmp_path / "answers.jsonl"
    monkeypatch.setenv("CBC_TEACH_GRADING", "1")
    monkeypatch.setenv("CBC_TEACH_ANSWERS", str(path))
    ex = start("ex02_anc", student="s001")
    ex.check("q1", 1.25)
    ex.check("q2", ...)
    ex.check("q3", object())
    ex.check("q4", "x" * 50_000)
    got = read_records(path.read_text())
    assert got["q1"] == AnswerRecord("q1", 1.25)
    assert got["q2"].unanswered and got["q3"].not_plain == "object"
    assert got["q4"].not_plain.startswith("an answer of")
    assert len(path.read_text()) < 2_000


def test_task_and_result_are_json_dataclasses():
    """Tasks and results travel as plain JSON and come back equal."""
    task = GradingTask("a.ipynb", "s001", "ex.ipynb", reference=[[]], timeout=5)
    assert GradingTask.from_dict(json.loads(json.dumps(task.to_dict()))) == task
    result = GradingResult("s001", "a.ipynb", "ex02_anc", "k", 8, scores={"q1": 2.0})
    assert GradingResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    assert is_student_id("s001") and not is_student_id("_s")


def _imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names.add((node.module or "").split(".")[0])
    return names


def test_grading_modules_have_no_import_cycle():
    """sandbox.py and forkserver.py (and every grading module) import without a cycle."""
    folder = ROOT / "cbc_teach" / "grading"
    graph = {p.stem: _imports(p) & {q.stem for q in folder.glob("*.py")} for p in folder.glob("*.py")}
    assert "forkserver" not in graph["sandbox"] and "kernel" not in graph["sandbox"]

    def reach(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            n = todo.pop()
            if n not in seen and n != "__init__":
                seen.add(n)
                todo += graph.get(n, ())
        return seen

    for module in graph:
        if module != "__init__":
            assert module not in reach(module), f"{module} imports itself through a cycle"


def test_grading_imports_no_private_name_of_the_student_side():
    """The grader uses the contract module, not private names of exercises/session.py."""
    for path in (ROOT / "cbc_teach" / "grading").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and "exercises" in node.module:
                assert all(not a.name.startswith("_") for a in node.names), path.name


def test_own_exercise_definition_reaches_the_kernel_alone(tmp_path):
    """An instructor's own exercise (a definition file beside the notebook) is graded in the
    sandbox: the kernel sees the definition file, never the folder with the solutions."""
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "myanc.py").write_text(
        "import dataclasses\nfrom cbc_teach.exercises.ex02_anc import EXERCISE as _BASE\n"
        "EXERCISE = dataclasses.replace(_BASE, id='myanc')\n")
    nb = json.loads((ROOT / "exercises" / "ex02_anc.ipynb").read_text())
    nb["metadata"]["cbc_teach"]["exercise"] = "myanc"
    for cell in nb["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell["source"] = text.replace('start("ex02_anc")', 'start("myanc")')
    source = folder / "myanc.ipynb"
    source.write_text(json.dumps(nb))
    nb["metadata"]["cbc_teach"]["student"] = "s001"
    submission = tmp_path / "s001.ipynb"
    submission.write_text(json.dumps(nb))
    with cf.ThreadPoolExecutor(1) as pool:
        run = grade(source, [submission], out=tmp_path / "out", executor=pool, timeout=30,
                    progress=False)
    assert run.problems == []
    r = run.row("s001")
    assert (r["status"], r["total"], r["reason"]) == ("graded", 8, ""), r["reason"]
    [out] = run_cells(f"import os\nprint(os.path.exists({str(source)!r}), os.path.exists({str(folder)!r}),"
                      " os.listdir('/opt/cbc-teach-exercises'))",
                      definitions=(str(folder / "myanc.py"),))
    assert out == "False False ['myanc.py']\n"


def test_a_fork_server_outlives_the_thread_that_started_it():
    """bwrap's --die-with-parent kills a child when the thread that started it ends: a fork
    server first needed by a short-lived thread (a Dask task, a thread pool) must not die with
    it (this was the 'the kernel fork server ended' seen in long runs)."""
    import threading

    from cbc_teach.grading import forkserver

    for key in list(forkserver._SERVERS):
        forkserver._SERVERS.pop(key).close()
    thread = threading.Thread(target=run_cells, args=("1",))
    thread.start()
    thread.join()
    servers = list(forkserver._SERVERS.values())
    time.sleep(0.5)  # a killed server is gone by now
    assert servers and all(s.proc.poll() is None for s in servers)
    assert run_cells("print(3 + 3)") == ["6\n"]
    assert [s for s in forkserver._SERVERS.values()] == servers  # the same server, not a new one


def test_a_fork_server_that_died_is_replaced():
    """A fork server that exits between two kernels (killed, or crashed) costs nothing: the
    next kernel starts from a fresh server."""
    from cbc_teach.grading import forkserver

    assert run_cells("print(1 + 1)") == ["2\n"]
    servers = [s for s in forkserver._SERVERS.values() if s.alive()]
    assert servers
    for server in servers:
        server.proc.kill()
        server.proc.wait()
        server.alive = lambda: True  # as if it died after the liveness check
    assert run_cells("print(2 + 2)") == ["4\n"]
