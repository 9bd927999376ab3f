"""Exercise 4: rank the likely causes from a history, and choose the next tests.

Each student gets two simulated patients (:func:`cbc_teach.simulate.case`) whose true cause
the engine ranks first (clear textbook cases, drawn from a list), and answers from the ranked
list that :func:`cbc_teach.likely_causes` gives: the most likely cause, the three most likely
ones, and the next tests it suggests.

>>> v = EXERCISE.variant("s001")
>>> EXERCISE.answers(v)["q1"] == v.extra["true_causes"][0]
True
"""

from __future__ import annotations

from ..causes import known_causes, likely_causes, test_catalogue
from ..simulate import case
from .model import Choice, ExerciseDefinition, Items, Patient, Question, Variant

#: Causes whose simulated cases the engine ranks first reliably (checked when a variant is built).
CLEAR = ("viral_infection", "chemotherapy", "drug_induced", "hypersplenism",
         "b12_folate_deficiency", "systemic_lupus_erythematosus", "rheumatoid_arthritis",
         "hiv_infection", "sepsis", "alcohol", "radiation_therapy", "cyclic_neutropenia")


def _cause_kind() -> Choice:
    return Choice(tuple(known_causes()))


class _Causes(Choice):
    """A cause id (the options are read from the causes data file when first needed)."""

    def __init__(self) -> None:
        super().__init__(options=())

    @property
    def _real(self) -> Choice:
        return _cause_kind()

    def describe(self) -> str:
        return "a cause id in quotes, e.g. 'viral_infection' (see known_causes())"

    def read(self, value):
        return self._real.read(value)


class _CauseList(Items):
    def __init__(self) -> None:
        super().__init__(options=("viral_infection",), what="cause ids")

    def describe(self) -> str:
        return "a list of cause ids in quotes, e.g. ['viral_infection', ...]"

    def read(self, value):
        return Items(tuple(known_causes()), what="cause ids").read(value)


class _TestList(Items):
    def __init__(self) -> None:
        super().__init__(options=("cbc_repeat",), what="test ids")

    def describe(self) -> str:
        return "a list of test ids in quotes, e.g. ['cbc_repeat', ...] (see test_catalogue())"

    def read(self, value):
        return Items(tuple(test_catalogue()), what="test ids").read(value)


def _patient(label: str, rng, story: str, exclude: tuple[str, ...]) -> tuple[Patient, str]:
    for _ in range(100):
        cause = str(rng.choice([c for c in CLEAR if c not in exclude]))
        cbc, history = case(cause, seed=int(rng.integers(2**31)))
        if likely_causes(cbc, history)[0].id == cause:
            return Patient(label, cbc, history=history, sex=history.sex,
                           age_years=history.age_years, story=story), cause
    raise RuntimeError("no clear case found")  # pragma: no cover - the engine ranks CLEAR first


def build(rng, student: str) -> Variant:
    """Two patients with different causes."""
    a, ca = _patient("A", rng, "Referred for a low white count.", ())
    b, cb = _patient("B", rng, "Seen in clinic; a count was done.", (ca,))
    return Variant("ex04_causes", student, (a, b), extra={"true_causes": (ca, cb)})


def solve(v: Variant) -> dict:
    """The right answers for a variant (from the engine's ranking)."""
    a, b = (v.patient(x) for x in "AB")
    ra = likely_causes(a.cbc, a.history)
    rb = likely_causes(b.cbc, b.history)
    return {
        "q1": ra[0].id,
        "q2": tuple(sorted(c.id for c in ra[:3])),
        "q3": tuple(sorted(ra[0].next_test_ids)),
        "q4": rb[0].id,
        "q5": tuple(sorted(c.id for c in rb[:3])),
    }


RANK_HINT = ("Run likely_causes(cbc, history) for the patient and read the ranking; each cause "
             "lists the findings for and against it.")

EXERCISE = ExerciseDefinition(
    id="ex04_causes",
    title="Rank causes from a history and choose next tests",
    summary="Likely causes of a low count from the count and the history, and the next tests.",
    build=build,
    solve=solve,
    questions=(
        Question("q1", 2, _Causes(), "Patient A: the most likely cause (its id).", hint=RANK_HINT),
        Question("q2", 2, _CauseList(), "Patient A: the three most likely causes, any order.",
                 hint=RANK_HINT),
        Question("q3", 2, _TestList(), "Patient A: the next tests for the most likely cause.",
                 hint="Each CauseScore has next_tests (names) and next_test_ids (ids)."),
        Question("q4", 2, _Causes(), "Patient B: the most likely cause.", hint=RANK_HINT),
        Question("q5", 2, _CauseList(), "Patient B: the three most likely causes, any order.",
                 hidden=True, hint=RANK_HINT),
    ),
)
