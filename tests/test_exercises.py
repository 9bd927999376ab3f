"""The student's side of the exercises: variants, checks, hints, hidden questions, recording."""

from __future__ import annotations

import hashlib
import json

import pytest

from cbc_teach.errors import InvalidParameterError, UnknownNameError
from cbc_teach.exercises import (
    Choice,
    Items,
    Number,
    Question,
    definition,
    exercise_ids,
    judge,
    start,
    student_id,
    variant_seed,
)
from cbc_teach.grading.answers import read_answer

IDS = exercise_ids()


def test_at_least_five_exercises_with_five_questions():
    """The course ships six exercises, each with at least five checked questions."""
    assert {"ex01_classify", "ex02_anc", "ex03_severity_ctcae", "ex04_causes",
            "ex05_time_course", "ex06_triage"} <= set(IDS)
    for ex_id in IDS:
        assert len(definition(ex_id).questions) >= 5


def test_seed_is_a_stable_hash():
    """The seed depends on (exercise, student) only, through SHA-256 (fixed across runs)."""
    digest = hashlib.sha256(b"cbc_teach/ex02_anc/s001").digest()
    assert variant_seed("ex02_anc", "s001") == int.from_bytes(digest[:8], "big")
    assert variant_seed("ex02_anc", "s001") == variant_seed("ex02_anc", "s001")
    assert variant_seed("ex02_anc", "s001") != variant_seed("ex01_classify", "s001")


@pytest.mark.parametrize("ex_id", IDS)
def test_variants_differ_between_students_and_repeat_for_one(ex_id):
    """Different students get different patients; the same student always the same ones."""
    d = definition(ex_id)
    first = d.variant("s001").lines()
    assert first == d.variant("s001").lines()
    assert first != d.variant("s002").lines()


@pytest.mark.parametrize("ex_id", IDS)
def test_right_answers_score_full_and_lines_are_deterministic(ex_id, capsys):
    """For many variants, the right answer prints exactly 'qN: correct (p/p)'."""
    d = definition(ex_id)
    for n in range(30):
        ex = start(ex_id, student=f"student{n}")
        for q in d.questions:
            expected = d.answers(ex.variant)[q.id]
            v = judge(q, expected, expected, variant=ex.variant)
            assert v.line == f"{q.id}: correct ({q.points}/{q.points})"


def test_student_id_sources(monkeypatch):
    """Explicit id, else JUPYTERHUB_USER, else 'default'; bad ids are refused."""
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert student_id() == "default"
    monkeypatch.setenv("JUPYTERHUB_USER", "ann.lee")
    assert student_id() == "ann.lee"
    assert student_id("s9") == "s9"
    assert start("ex02_anc").student == "ann.lee"
    with pytest.raises(InvalidParameterError, match="'student'"):
        student_id("../x")


def test_unknown_exercise_lists_known():
    """An unknown exercise id names the close ones."""
    with pytest.raises(UnknownNameError, match="ex02_anc"):
        start("ex02_ancc")


def test_hints_teach_without_giving_the_answer():
    """A wrong numeric answer gets the method and the recognised slip, never the value."""
    d = definition("ex02_anc")
    for n in range(40):
        v = d.variant(f"h{n}")
        right = d.answers(v)
        for q in d.questions:
            if isinstance(q.answer, Number):
                line = judge(q, right[q.id], right[q.id] + 0.9, variant=v).line
                assert line.startswith(f"{q.id}: not yet (0/{q.points}).")
                for shown in {f"{right[q.id]:g}", f"{round(right[q.id], 2):g}"}:
                    if len(shown) > 2:  # a lone digit like "1" appears in any unit text
                        assert shown not in line


def test_recognised_slips():
    """Forgetting the bands, cells/uL written as x10^9/L, percentages not divided by 100."""
    d = definition("ex02_anc")
    q1 = d.question("q1")
    for n in range(60):
        v = d.variant(f"slip{n}")
        a = v.patient("A")
        if not a.percentages["bands"]:
            continue
        segs_only = a.cbc.wbc * a.percentages["neutrophils"] / 100
        if abs(segs_only - a.cbc.anc) <= 0.05:
            continue
        assert "also counts the bands" in judge(q1, a.cbc.anc, segs_only, variant=v).line
        assert "cells/uL" in judge(q1, a.cbc.anc, a.cbc.anc * 1000, variant=v).line
        break
    else:
        pytest.fail("no variant with bands found")


def test_units_and_kinds():
    """Counts accept units; choices ignore case; items earn part of the points."""
    count = Question("q", 2, Number(unit="x10^9/L", tolerance=0.05), "ANC")
    assert judge(count, 1.2, "1,230/uL").correct
    assert judge(count, 1.2, "1.2 K/uL").correct
    assert judge(count, 1.2, "1.3 x10^9/L").status == "wrong"
    assert judge(count, 1.2, "lots").status == "unreadable"
    assert judge(count, 1.2, True).status == "unreadable"
    grade = Question("g", 1, Choice((0, 1, 2, 3, 4)), "grade")
    assert judge(grade, 2, "Grade 2").correct and judge(grade, 2, 2.0).correct
    items = Question("f", 2, Items(("anemia", "leukopenia", "neutropenia")), "findings")
    assert judge(items, ("leukopenia", "neutropenia"), ["Leukopenia"]).points == 1.0
    assert judge(items, ("leukopenia", "neutropenia"), ["leukopenia", "anemia"]).points == 0.0
    assert "Did you mean 'anemia'" in judge(items, ("anemia",), ["anaemia"]).line


def test_hidden_question_only_confirms_recording(monkeypatch, capsys):
    """In a student's run a hidden question says 'recorded', in grading mode its verdict."""
    monkeypatch.delenv("CBC_TEACH_GRADING", raising=False)
    ex = start("ex02_anc", student="s001")
    ex.check("q5", 0.0)
    assert capsys.readouterr().out.startswith("q5: answer recorded (hidden question")
    monkeypatch.setenv("CBC_TEACH_GRADING", "1")
    start("ex02_anc", student="s001").check("q5", 0.0)
    assert capsys.readouterr().out.startswith("q5: not yet (0/2)")


def test_grading_mode_records_plain_data(monkeypatch, tmp_path, capsys):
    """In grading mode each check appends the answer as JSON for the grader."""
    path = tmp_path / "answers.jsonl"
    monkeypatch.setenv("CBC_TEACH_GRADING", "1")
    monkeypatch.setenv("CBC_TEACH_ANSWERS", str(path))
    ex = start("ex01_classify", student="s001")
    ex.check("q3", ("anemia", "neutropenia"))
    ex.check("q1", ...)
    ex.check("q2", object())
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert lines == [{"question": "q3", "value": ["anemia", "neutropenia"]},
                     {"question": "q1", "unanswered": True},
                     {"question": "q2", "not_plain": "object"}]


@pytest.mark.parametrize(
    ("source", "kind", "value", "safe"),
    [
        ("q1 = 'low'", "value", "low", True),
        ("q1 = 3.4 * (28 + 4) / 100", "value", 1.088, True),
        ("q1 = ['a', 'b']  # list", "value", ["a", "b"], True),
        ("q1 = ...  # a number", "unanswered", None, True),
        ("q1 = classify(ex.patient('A').cbc).wbc_status", "code", None, True),
        ("import builtins\nq1 = 'low'", "value", "low", False),
        ("q1 = 'low'\nex.check = print", "value", "low", False),
        ("q1 = ex.__class__", "code", None, False),
        ("q1 = getattr(ex, 'x')", "code", None, False),
        ("q1 = (x for x in [1])", "code", None, False),
        ("%time q1 = 3", "no_assignment", None, False),
        ("q1 = 1 +", "syntax_error", None, False),
        ("while True:\n    pass", "no_assignment", None, False),
    ],
)
def test_reading_answer_cells(source, kind, value, safe):
    """The grader reads plain data itself and refuses code that could tamper."""
    got = read_answer(source, "q1")
    assert (got.kind, got.safe) == (kind, safe)
    if kind == "value":
        assert got.value == pytest.approx(value) if isinstance(value, float) else got.value == value


# --- ex06: triage (issue 12) ---------------------------------------------------------------------


def test_ex06_never_marks_an_unsafe_answer_right():
    """Patient C with a sore throat, or with bruising and no platelet count, is never 'routine'."""
    d = definition("ex06_triage")
    seen = set()
    for n in range(150):
        v = d.variant(f"t{n}")
        c = next(p for p in v.patients if p.label == "C")
        flags = set(c.history.symptoms) & {"sore_throat", "bruising"}
        if flags and c.cbc.platelets is None:
            seen |= flags
            assert d.answers(v)["q4"] in ("emergency", "urgent"), (v.student, c.history)
    assert seen == {"sore_throat", "bruising"}


def test_ex06_hints_take_their_numbers_from_the_triage_data(monkeypatch):
    """The IDSA and level hints follow the rule table: change a number there and the hint follows."""
    from cbc_teach.exercises import ex06_triage

    d = definition("ex06_triage")
    q1, q2 = d.questions[0], d.questions[1]
    assert "38.3 C once" in q2.hint_text() and "below 0.5" in q2.hint_text()
    assert "below 36.0 C" in q1.hint_text() and "platelets below 20" in q1.hint_text()
    real = ex06_triage.thresholds()
    changed = {**real, "fever": {**real["fever"], "single_reading_c": 38.5}}
    monkeypatch.setattr(ex06_triage, "thresholds", lambda: changed)
    assert "38.5 C once" in q2.hint_text()
