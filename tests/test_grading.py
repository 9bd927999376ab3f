"""The instructor's side: release, grade (every fixture submission's gradebook row), report, CLI.

The fixtures in tests/data/submissions/ are submissions of ex02_anc named by their outcome
(regenerate them with ``python tests/data/make_submissions.py``). They are all graded in one
``grade()`` call with two worker processes (a module-scoped fixture), with a 5 s cell timeout
and a 1 GB memory limit so that the endless loop and the memory hog end quickly.
"""

from __future__ import annotations

import csv
import hashlib
import json
import pathlib

import pytest

from cbc_teach.errors import GradingError
from cbc_teach.exercises import definition
from cbc_teach.grading import grade, load_exercise, read_roster, release, report
from cbc_teach.grading.notebook import cell_role, cell_source, code_cells

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "data" / "submissions"
EXERCISES = ROOT / "exercises"
BUILT = ["ex01_classify", "ex02_anc", "ex03_severity_ctcae", "ex04_causes", "ex05_time_course",
         "ex06_triage", "ex07_blood_film"]
AVAILABLE = [e for e in BUILT if (EXERCISES / f"{e}.ipynb").exists()]


def _digests() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(SUBMISSIONS.iterdir())}


@pytest.fixture(scope="module")
def graded(pool, tmp_path_factory):
    """All fixtures plus the instructor's source, graded once; and the files' hashes around it."""
    out = tmp_path_factory.mktemp("graded")
    before = _digests()
    run = grade("ex02_anc", [SUBMISSIONS, EXERCISES / "ex02_anc.ipynb"], out=out, executor=pool,
                timeout=5, memory_mb=1024, progress=False)
    return run, out, before, _digests()


def row(run, student: str) -> dict:
    r = run.row(student)
    return {"scores": r.get("scores", {}), "total": r["total"], "status": r["status"],
            "reason": r["reason"]}


FULL = {"q1": 2, "q2": 1, "q3": 2, "q4": 1, "q5": 2}
ZERO = dict.fromkeys(FULL, 0)


def test_fixture_points_match_definition():
    """The expected rows below assume ex02_anc's points."""
    assert {q.id: q.points for q in definition("ex02_anc").questions} == FULL


@pytest.mark.parametrize(
    ("student", "scores", "status", "reason"),
    [
        ("correct", FULL, "graded", ""),
        ("wrong", ZERO, "graded", ""),
        ("unanswered", ZERO, "graded", "no question answered"),
        ("partial", {**ZERO, "q1": 2, "q2": 1}, "graded", "not answered: q3, q4, q5"),
        ("other-student", None, "graded", ""),
        ("edited-check-prints-success", ZERO, "graded", "protected cells edited"),
        ("patches-builtins", ZERO, "graded", "possible tampering"),
        ("patches-package", ZERO, "graded", "possible tampering"),
        ("patches-print", ZERO, "graded", "answer cells run code"),
        ("infinite-loop", {**FULL, "q3": 0}, "error", "the answer cell of q3 ran longer than 5 s"),
        ("memory-hog", {**FULL, "q2": 0}, "error", "the answer cell of q2 ran out of memory"),
        ("kernel-exits", {**FULL, "q4": 0}, "error", "the kernel died while running the answer cell of q4"),
        ("missing-answer-cell", {**FULL, "q2": 0}, "error", "answer cell missing for q2"),
        ("empty", {}, "error", "the file is empty"),
        ("truncated", {}, "error", "the notebook is cut off"),
        ("corrupt", {}, "error", "the file is not a notebook"),
        ("foreign", {}, "error", "no cbc_teach exercise in its metadata"),
        ("other-exercise", {}, "error", "this notebook is exercise 'ex01_classify', not 'ex02_anc'"),
        ("nbformat-v3", {}, "error", "old nbformat 3"),
    ],
)
def test_fixture_row(graded, student, scores, status, reason):
    """Each fixture submission gets its gradebook row: points, status and a clear reason."""
    run, *_ = graded
    got = row(run, student)
    assert got["status"] == status
    assert reason in got["reason"] if reason else got["reason"] == ""
    if scores is not None:
        assert got["scores"] == {q: float(v) for q, v in scores.items()}
        assert got["total"] == sum(scores.values())


def test_another_students_answers_score_low(graded):
    """A copy of another student's right answers is wrong for this student's variant."""
    run, *_ = graded
    got = row(run, "other-student")
    d = definition("ex02_anc")
    mine, theirs = d.answers(d.variant("other-student")), d.answers(d.variant("correct"))
    differ = [q for q in FULL if mine[q] != theirs[q]]
    assert differ and all(got["scores"][q] == 0 for q in differ)
    assert got["total"] < sum(FULL.values())


def test_tampering_never_raises_the_score(graded):
    """Patched print, builtins or package: the kernel's lines do not count, the answers do."""
    run, *_ = graded
    for name in ("patches-builtins", "patches-package", "patches-print", "edited-check-prints-success"):
        assert run.row(name)["total"] == 0
        kernel = {q["id"]: q["kernel"] for q in run.row(name)["questions"]}
        if name in ("patches-builtins", "patches-package"):
            assert set(kernel.values()) == {"passed"}  # the tampering fooled nbval...
    # ...but not the decision taken outside the kernel


def test_instructor_source_gets_full_marks(graded):
    """The instructor's notebook, graded as a submission, gets every point."""
    run, *_ = graded
    got = row(run, "exercises")
    assert got["status"] == "graded" and got["total"] == sum(FULL.values())


def test_submissions_are_never_modified(graded):
    """Grading only reads the submitted files."""
    _, _, before, after = graded
    assert before == after


def test_gradebook_columns_and_files(graded):
    """gradebook.csv has SPEC's columns; every student has a result JSON and a feedback page."""
    run, out, *_ = graded
    with open(out / "gradebook.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["student_id", "q1", "q2", "q3", "q4", "q5", "total", "max", "status", "reason"]
    assert len(rows) == len(list(SUBMISSIONS.glob("*.ipynb"))) + 1 + 1
    for r in rows[1:]:
        assert r[8] in ("graded", "error") and r[7] == "8"
        assert (out / "results" / f"{r[0]}.json").exists()
        page = (out / "feedback" / f"{r[0]}.html").read_text()
        assert page.startswith("<!DOCTYPE html>") and r[0] in page


def test_feedback_escapes_student_content(graded):
    """A student's code never reaches a feedback page unescaped."""
    _, out, *_ = graded
    page = (out / "feedback" / "patches-builtins.html").read_text()
    assert "<script" not in page and "q1: not yet" in page


def test_rerun_skips_unchanged_submissions(graded, pool, tmp_path):
    """A second run reuses every result whose submission and options have not changed."""
    run, out, *_ = graded
    again = grade("ex02_anc", [SUBMISSIONS / "correct.ipynb", SUBMISSIONS / "wrong.ipynb"],
                  out=out, executor=pool, timeout=5, memory_mb=1024, progress=False)
    assert again.reused == 2 and again.graded == 0
    assert again.row("correct")["total"] == 8


def test_roster_adds_missing_students(pool, tmp_path):
    """With a roster, a student without a submission gets an error row saying so."""
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\ncorrect,A\nnobody,B\n")
    run = grade("ex02_anc", [SUBMISSIONS / "correct.ipynb"], out=tmp_path / "out", executor=pool,
                roster=roster, timeout=10, progress=False)
    assert [r["student_id"] for r in run.records] == ["correct", "nobody"]
    assert run.row("nobody")["status"] == "error" and run.row("nobody")["reason"] == "no submission"


def test_duplicate_student_ids_are_flagged(pool, tmp_path):
    """Two files claiming the same student both get error rows naming the other file."""
    a = tmp_path / "a.ipynb"
    b = tmp_path / "b.ipynb"
    a.write_bytes((SUBMISSIONS / "correct.ipynb").read_bytes())
    b.write_bytes((SUBMISSIONS / "correct.ipynb").read_bytes())
    run = grade("ex02_anc", [a, b], out=tmp_path / "out", executor=pool, timeout=10, progress=False)
    assert [r["status"] for r in run.records] == ["error", "error"]
    assert "claimed by another submission" in run.records[0]["reason"]


# --- release ---------------------------------------------------------------------------------------


def test_release_one_notebook_per_student(tmp_path):
    """Release: solutions become placeholders, outputs cleared, the variant recorded."""
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,email\ns001,a@x\ns002,b@x\n")
    paths = release("ex02_anc", roster=roster, out=tmp_path / "rel")
    assert [p.relative_to(tmp_path / "rel").as_posix() for p in paths] == [
        "s001/ex02_anc.ipynb", "s002/ex02_anc.ipynb"]
    nb = json.loads(paths[0].read_text())
    assert nb["metadata"]["cbc_teach"]["student"] == "s001"
    cells = code_cells(nb)
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in cells)
    setup = next(c for c in cells if cell_role(c)[0] == "setup")
    assert 'start("ex02_anc", student="s001")' in cell_source(setup)
    answers = [cell_source(c) for c in cells if cell_role(c)[0] == "answer"]
    assert answers and all(a.split("=")[1].strip().startswith("...") for a in answers)
    assert all(c["metadata"].get("editable") is False for c in cells if cell_role(c)[0] == "check")


def test_release_class_copy_follows_jupyterhub_user(tmp_path):
    """Without a roster, one class copy whose setup cell names no student."""
    [path] = release("ex01_classify", out=tmp_path)
    nb = json.loads(path.read_text())
    assert "student" not in nb["metadata"]["cbc_teach"]
    assert 'start("ex01_classify")' in "".join(cell_source(c) for c in code_cells(nb))


def test_roster_errors_name_the_row(tmp_path):
    """A bad roster is refused with the line and the value."""
    bad = tmp_path / "r.csv"
    bad.write_text("student_id\ns001\ns 002\n")
    with pytest.raises(GradingError, match="line 3.*'s 002'"):
        read_roster(bad)
    bad.write_text("name\nann\n")
    with pytest.raises(GradingError, match="student_id"):
        read_roster(bad)


# --- every exercise ------------------------------------------------------------------------------


@pytest.mark.parametrize("exercise", AVAILABLE)
def test_every_instructor_source_gets_full_marks(pool, tmp_path, exercise):
    """Each exercise's instructor notebook, graded as a submission for two students, gets
    full marks (its solutions work for any variant)."""
    src = EXERCISES / f"{exercise}.ipynb"
    subs = []
    for student in ("s001", "s002"):
        nb = json.loads(src.read_text())
        nb["metadata"]["cbc_teach"]["student"] = student
        path = tmp_path / f"{student}.ipynb"
        path.write_text(json.dumps(nb))
        subs.append(path)
    run = grade(exercise, subs, out=tmp_path / "out", executor=pool, timeout=60, progress=False)
    assert run.problems == []
    most = definition(exercise).max_points
    for r in run.records:
        assert (r["status"], r["total"], r["reason"]) == ("graded", most, "")


@pytest.mark.parametrize("exercise", AVAILABLE)
def test_exercise_notebook_format(exercise):
    """Each instructor notebook follows the format and agrees with its definition."""
    ex = load_exercise(exercise)
    d = definition(exercise)
    assert len(d.questions) >= 5
    assert ex.questions == [q.id for q in d.questions]
    cells = code_cells(ex.source.nb)
    assert all(c["execution_count"] is not None for c in cells), "store it executed"


# --- report and command line -------------------------------------------------------------------------


def test_report_statistics(graded):
    """The report: difficulty and discrimination per question, wrong answers, a histogram."""
    _, out, *_ = graded
    rep = report(out)
    assert [q.id for q in rep.questions] == list(FULL)
    for q in rep.questions:
        assert q.difficulty is None or 0 <= q.difficulty <= 1
        assert q.discrimination is None or -1 <= q.discrimination <= 1
    assert rep.errors >= 1 and rep.students >= 5
    assert (out / "histogram.png").read_bytes()[:4] == b"\x89PNG"
    assert "Score histogram" in (out / "report.txt").read_text()


def test_cli_help_and_errors(capsys):
    """The command line has help for each command and reports errors without a traceback."""
    from cbc_teach.cli import main

    for command in ("release", "grade", "report", "list"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        assert "usage: cbc-teach" in capsys.readouterr().out
    assert main(["release", "ex99_nothing", "--out", "/tmp/never"]) == 1
    assert "No exercise 'ex99_nothing'" in capsys.readouterr().err
