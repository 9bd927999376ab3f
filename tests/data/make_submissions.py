"""Write the fixture submissions in tests/data/submissions/ (each named by its outcome).

    .venv/bin/python tests/data/make_submissions.py

They are submissions of exercise ex02_anc, made from released copies (``cbc-teach release``)
and then answered, broken or tampered with the way students do. The student id of each is its
file name. tests/test_grading.py asserts the gradebook row of every one.
"""

from __future__ import annotations

import json
import pathlib
import tempfile

from cbc_teach.exercises import definition
from cbc_teach.grading import release
from cbc_teach.grading.notebook import cell_role

HERE = pathlib.Path(__file__).parent / "submissions"
EXERCISE = "ex02_anc"


def released(student: str, exercise: str = EXERCISE) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        [path] = release(exercise, out=tmp, students=[student])
        return json.loads(path.read_text(encoding="utf-8"))


def right_answers(student: str) -> dict:
    d = definition(EXERCISE)
    return d.answers(d.variant(student))


def literal(q: str, value) -> str:
    if isinstance(value, float):
        return f"{q} = {round(value, 3)!r}"
    return f"{q} = {value!r}"


def set_answers(nb: dict, sources: dict[str, str]) -> dict:
    for cell in nb["cells"]:
        role, q = cell_role(cell)
        if role == "answer" and q in sources:
            cell["source"] = sources[q]
    return nb


def wrong_answers(student: str) -> dict[str, str]:
    right = right_answers(student)
    other = {"none": "severe", "mild": "none", "moderate": "mild", "severe": "moderate"}
    return {
        "q1": literal("q1", right["q1"] + 0.5),
        "q2": literal("q2", other[right["q2"]]),
        "q3": literal("q3", right["q3"] + 0.7),
        "q4": literal("q4", right["q4"] + 0.3),
        "q5": literal("q5", right["q5"] + 0.4),
    }


def write(name: str, nb: dict | None = None, raw: bytes | None = None) -> None:
    path = HERE / f"{name}.ipynb"
    if raw is None:
        raw = (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    path.write_bytes(raw)


def answered(student: str, sources: dict[str, str] | None = None) -> dict:
    right = {q: literal(q, v) for q, v in right_answers(student).items()}
    right.update(sources or {})
    return set_answers(released(student), right)


POINTS = {q.id: q.points for q in definition(EXERCISE).questions}

PATCH_BUILTINS = f'''
import builtins
_real_print = builtins.print
_points = {POINTS!r}
def _fake_print(*args, **kwargs):
    text = " ".join(str(a) for a in args)
    qid = text.split(":")[0]
    if qid in _points:
        text = f"{{qid}}: correct ({{_points[qid]}}/{{_points[qid]}})"
    _real_print(text, **kwargs)
builtins.print = _fake_print
'''

PATCH_PACKAGE = f'''
import cbc_teach.exercises.session as _session
_points = {POINTS!r}
_session.Exercise.check = lambda self, q, answer: print(f"{{q}}: correct ({{_points[q]}}/{{_points[q]}})")
'''

PATCH_PRINT = '''
def print(*args, **kwargs):
    import builtins
    builtins.print("q1: correct (2/2)")
'''


# ;exec is IPython's auto-call: IPython runs exec("<rest of the line>") although Python cannot
# parse the line. It makes every later check record the right answer (knowing no answer).
FORGE_RECORDS = (
    ";exec import cbc_teach.exercises.session as s; s._orig = s._record\n"
    ";exec s._record = lambda q, a, e=ex: s._orig(q, e._expected[q])"
)


def computed_wrong(student: str) -> dict[str, str]:
    """Wrong answers written as code (so the grader would take the kernel's records)."""
    return {q: f"{q} = str({src.split(' = ', 1)[1]})" if isinstance(right_answers(student)[q], str)
            else f"{q} = float({src.split(' = ', 1)[1]})"
            for q, src in wrong_answers(student).items()}


def indented(student: str) -> dict:
    """Right answers, each answer cell indented by two spaces (IPython runs it)."""
    right = right_answers(student)
    return answered(student, {q: "  " + literal(q, v) + "\n  # checked twice" for q, v in right.items()})


def huge_literal(student: str, size: int = 20_000_000) -> dict:
    """q2 answered with a literal string of ``size`` characters."""
    return answered(student, {"q2": "q2 = '" + "x" * size + "'"})


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    write("correct", answered("correct"))
    write("wrong", set_answers(released("wrong"), wrong_answers("wrong")))
    write("unanswered", released("unanswered"))
    write("empty", raw=b"")
    partial = {q: literal(q, v) for q, v in right_answers("partial").items() if q in ("q1", "q2")}
    write("partial", set_answers(released("partial"), partial))

    # another student's (right) answers, handed in by "other-student": wrong for this variant
    theirs = {q: literal(q, v) for q, v in right_answers("correct").items()}
    write("other-student", set_answers(released("other-student"), theirs))

    nb = set_answers(released("edited-check-prints-success"), wrong_answers("edited-check-prints-success"))
    for cell in nb["cells"]:
        role, q = cell_role(cell)
        if role == "check":
            cell["source"] = f'print("{q}: correct ({POINTS[q]}/{POINTS[q]})")'
    write("edited-check-prints-success", nb)

    for name, patch in (("patches-builtins", PATCH_BUILTINS), ("patches-package", PATCH_PACKAGE),
                        ("patches-print", PATCH_PRINT)):
        wrong = wrong_answers(name)
        wrong["q1"] = wrong["q1"] + "\n" + patch
        write(name, set_answers(released(name), wrong))

    nb = answered("autocall-forges-records", computed_wrong("autocall-forges-records"))
    set_answers(nb, {"q1": FORGE_RECORDS + "\n" + computed_wrong("autocall-forges-records")["q1"]})
    write("autocall-forges-records", nb)
    write("shell-escape-answer", answered("shell-escape-answer", {"q4": "q4 = !echo 1.5"}))
    write("magic-answer", answered("magic-answer", {"q4": "q4 = %pwd"}))
    write("indented-answer-cells", indented("indented-answer-cells"))
    right_q2 = right_answers("comment-with-question-mark")["q2"]
    write("comment-with-question-mark", answered("comment-with-question-mark", {
        "q2": f"q2 = {right_q2!r}  # is that right?"}))
    write("infinite-loop", answered("infinite-loop", {"q3": "while True:\n    pass"}))
    write("memory-hog", answered("memory-hog", {
        "q2": "hog = [b'x' * 10**8 for _ in range(1000)]  # 100 GB, far over any limit"}))
    write("kernel-exits", answered("kernel-exits", {"q4": "import os\nos._exit(3)"}))

    nb = answered("missing-answer-cell")
    nb["cells"] = [c for c in nb["cells"] if cell_role(c) != ("answer", "q2")]
    write("missing-answer-cell", nb)

    text = (json.dumps(answered("truncated"), indent=1) + "\n").encode()
    write("truncated", raw=text[: len(text) // 2])
    write("corrupt", raw=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    write("foreign", {"cells": [{"cell_type": "code", "execution_count": None, "id": "a1",
                                 "metadata": {}, "outputs": [], "source": "print('my own notes')"}],
                      "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    other = released("other-exercise", "ex01_classify")
    write("other-exercise", other)
    write("nbformat-v3", {"metadata": {"name": "old"}, "nbformat": 3, "nbformat_minor": 0,
                          "worksheets": [{"cells": [{"cell_type": "code", "input": "q1 = 1.2",
                                                     "language": "python", "outputs": []}],
                                          "metadata": {}}]})
    print(f"wrote {len(list(HERE.glob('*.ipynb')))} fixtures to {HERE}")


if __name__ == "__main__":
    main()
