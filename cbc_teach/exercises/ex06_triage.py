"""Exercise 6: triage: febrile neutropenia and warning signs, from emergency to none.

Each student gets four patients with a count and a history (temperature, hours of fever, days
since chemotherapy, symptoms), drawn so that the levels differ; the right answers are those of
:func:`cbc_teach.triage` (IDSA's febrile neutropenia, the seven warning signs).

>>> v = EXERCISE.variant("s001")
>>> EXERCISE.answers(v)["q1"] in ("emergency", "urgent", "routine", "none")
True
"""

from __future__ import annotations

from ..cbc import CBC
from ..history import History
from ..triage import triage, warning_signs
from .model import Choice, ExerciseDefinition, Patient, Question, Variant

LEVEL = Choice(("emergency", "urgent", "routine", "none"))
YES_NO = Choice(("yes", "no"), synonyms={"y": "yes", "n": "no", "true": "yes", "false": "no"})

_PLAN = {  # what each patient is drawn to be (the answer always comes from triage())
    "A": "febrile",
    "B": "warning",
    "C": "low",
    "D": "mixed",
}


def _draw(rng, kind: str) -> tuple[CBC, History, str]:
    chemo = None
    symptoms: list[str] = []
    temp = fever_hours = None
    if kind == "febrile":
        anc = round(float(rng.uniform(0.1, 0.95)), 2)
        temp = round(float(rng.choice([38.1, 38.2, 38.4, 38.6, 39.0])), 1)
        fever_hours = float(rng.choice([0.5, 2.0])) if temp < 38.3 else None
        chemo = float(rng.integers(5, 13))
        story = "On chemotherapy for breast cancer; feels shivery."
    elif kind == "warning":
        anc = round(float(rng.uniform(0.6, 1.4)), 2)
        symptoms = [str(rng.choice(list(warning_signs()[1:])))]
        story = "Known low count; calls the clinic."
    elif kind == "low":
        anc = round(float(rng.uniform(0.8, 1.45)), 2)
        symptoms = [str(rng.choice(["sore_throat", "bruising", "joint_pain", "rash"]))]
        story = "Low count found on a routine test."
    else:
        anc = round(float(rng.uniform(0.2, 3.5)), 2)
        if rng.random() < 0.5:
            temp = round(float(rng.uniform(37.2, 38.9)), 1)
        if rng.random() < 0.5:
            chemo = float(rng.integers(3, 20))
        story = "Seen in the emergency department."
    wbc = round(anc + float(rng.uniform(1.0, 2.5)), 1)
    cbc = CBC(wbc, neutrophils=anc)
    history = History(symptoms=tuple(symptoms), temperature_c=temp, fever_hours=fever_hours,
                      days_since_chemotherapy=chemo,
                      exposures=("chemotherapy",) if chemo is not None else ())
    return cbc, history, story


def build(rng, student: str) -> Variant:
    """Four patients of one student."""
    patients = []
    for label, kind in _PLAN.items():
        cbc, history, story = _draw(rng, kind)
        patients.append(Patient(label, cbc, history=history, story=story))
    return Variant("ex06_triage", student, tuple(patients))


def solve(v: Variant) -> dict:
    """The right answers for a variant."""
    t = {p.label: triage(p.cbc, p.history) for p in v.patients}
    return {
        "q1": t["A"].level,
        "q2": "yes" if t["A"].febrile_neutropenia else "no",
        "q3": t["B"].level,
        "q4": t["C"].level,
        "q5": t["D"].level,
    }


LEVEL_HINT = ("Febrile neutropenia is an emergency; a low count with any of the seven warning "
              "signs is at least urgent; a low count alone is routine; a normal count without "
              "warning signs is none.")

EXERCISE = ExerciseDefinition(
    id="ex06_triage",
    title="Triage a low count",
    summary="Febrile neutropenia (IDSA), the warning signs, and how urgent each patient is.",
    build=build,
    solve=solve,
    questions=(
        Question("q1", 2, LEVEL, "Patient A: the triage level.", hint=LEVEL_HINT),
        Question("q2", 1, YES_NO, "Patient A: febrile neutropenia?",
                 hint="IDSA: a temperature of 38.3 C once, or 38.0 C for an hour, with an ANC "
                      "below 0.5 or expected to fall below 0.5; the toolkit reads 'expected to "
                      "fall' as an ANC below 1.0 within 14 days of chemotherapy."),
        Question("q3", 2, LEVEL, "Patient B: the triage level.", hint=LEVEL_HINT),
        Question("q4", 1, LEVEL, "Patient C: the triage level.", hint=LEVEL_HINT),
        Question("q5", 2, LEVEL, "Patient D: the triage level.", hidden=True, hint=LEVEL_HINT),
    ),
)
