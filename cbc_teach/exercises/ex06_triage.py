"""Exercise 6: triage: febrile neutropenia, the red flags and the warning signs.

Each student gets four patients with a count and a history (temperature, hours of fever, days
since chemotherapy, symptoms, sometimes a drug known for agranulocytosis), drawn so that the
levels differ; the right answers are those of :func:`cbc_teach.triage`, whose rule table is
``data/triage_rules.toml``. The hints take their numbers from that table too.

>>> v = EXERCISE.variant("s001")
>>> EXERCISE.answers(v)["q1"] in ("emergency", "urgent", "routine", "none")
True
"""

from __future__ import annotations

from ..cbc import CBC
from ..history import History
from ..triage import levels, thresholds, triage, warning_signs
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
    medications: list[str] = []
    temp = fever_hours = None
    if kind == "febrile":
        # up to 1.4 and up to day 20: some of them are "only" urgent (not expected to fall)
        anc = round(float(rng.uniform(0.1, 1.4)), 2)
        temp = round(float(rng.choice([38.1, 38.2, 38.4, 38.6, 39.0])), 1)
        fever_hours = float(rng.choice([0.5, 2.0])) if temp < thresholds()["fever"]["single_reading_c"] else None
        chemo = float(rng.integers(5, 21))
        story = "On chemotherapy for breast cancer; feels hot."
    elif kind == "warning":
        anc = round(float(rng.uniform(0.6, 1.4)), 2)
        symptoms = [str(rng.choice(list(warning_signs()[1:])))]
        story = "Known low count; calls the clinic."
    elif kind == "low":
        # a sore throat (the first sign of agranulocytosis) or bruising with no platelet count
        # makes a low count urgent; joint pain or a rash does not
        anc = round(float(rng.uniform(0.8, 1.45)), 2)
        symptoms = [str(rng.choice(["sore_throat", "bruising", "joint_pain", "rash"]))]
        story = "Low count found on a routine test."
        if rng.random() < 0.3:
            medications = [str(rng.choice(["clozapine", "methimazole"]))]
            story = f"Low count found on a routine test; takes {medications[0]}."
    else:
        anc = round(float(rng.uniform(0.2, 3.5)), 2)
        if rng.random() < 0.5:
            temp = round(float(rng.uniform(37.2, 38.9)), 1)
        if rng.random() < 0.5:
            chemo = float(rng.integers(3, 20))
        story = "Seen in the emergency department."
    wbc = round(anc + float(rng.uniform(1.0, 2.5)), 1)
    cbc = CBC(wbc, neutrophils=anc)
    history = History(symptoms=tuple(symptoms), medications=tuple(medications),
                      temperature_c=temp, fever_hours=fever_hours,
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


def level_hint() -> str:
    """The general hint for a triage level, with the numbers of the rule table."""
    th, meaning = thresholds(), levels()
    anc = th["neutropenia"]["anc_below"]
    return (
        f"Emergency ({meaning['emergency']}): febrile neutropenia, or a temperature of "
        f"{th['fever']['sustained_c']:.1f} C or more, even once (not yet the IDSA fever), within "
        f"{th['neutropenia']['chemotherapy_within_days']:g} days of chemotherapy with an ANC below "
        f"{anc:.1f}, or below {th['neutropenia']['expected_to_fall_anc_below']:.1f} (expected to "
        "fall); signs of sepsis or shock "
        "with a low count (low blood pressure, confusion, difficulty breathing, a temperature "
        f"below {th['hypothermia']['below_c']:.1f} C); an ANC below {anc:.1f} with a sore throat, "
        "mouth ulcers or fever outside a chemotherapy nadir; bleeding with platelets below "
        f"{th['platelets']['bleeding_below']:g}. Urgent ({meaning['urgent']}): an ANC below "
        f"{anc:g} not explained by chemotherapy in the last "
        f"{th['neutropenia']['chemotherapy_within_days']:g} days; a drug known for "
        f"agranulocytosis with an ANC below {th['agranulocytosis_drug']['anc_below']:.1f}; "
        f"platelets below {th['platelets']['severe_below']:g}; hemoglobin below "
        f"{th['hemoglobin']['severe_below_g_dl']:.1f} g/dL; a white count above "
        f"{th['hyperleukocytosis']['wbc_above']:g}; bruising or bleeding with a low count "
        "and no platelet count; any warning sign or sign of infection (sore throat, mouth sores, "
        "chills, cough, burning urine, a red line site) with a low count. Routine: a low count "
        "alone, or the expected nadir of a well, afebrile patient. None: a normal count."
    )


def idsa_hint() -> str:
    """The hint for febrile neutropenia, with the IDSA numbers of the rule table."""
    fever, neut = thresholds()["fever"], thresholds()["neutropenia"]
    return (
        f"IDSA: a temperature of {fever['single_reading_c']:.1f} C once, or "
        f"{fever['sustained_c']:.1f} C for {fever['sustained_hours']:g} h, with an ANC below "
        f"{neut['anc_below']:.1f} or expected to fall below {neut['anc_below']:.1f}; the toolkit "
        f"reads 'expected to fall' as an ANC below {neut['expected_to_fall_anc_below']:.1f} "
        f"within {neut['chemotherapy_within_days']:g} days of chemotherapy."
    )


EXERCISE = ExerciseDefinition(
    id="ex06_triage",
    title="Triage a low count",
    summary="Febrile neutropenia (IDSA), the red flags, the warning signs, and how urgent each "
            "patient is.",
    build=build,
    solve=solve,
    questions=(
        Question("q1", 2, LEVEL, "Patient A: the triage level.", hint=level_hint),
        Question("q2", 1, YES_NO, "Patient A: febrile neutropenia?",
                 hint=idsa_hint),
        Question("q3", 2, LEVEL, "Patient B: the triage level.", hint=level_hint),
        Question("q4", 1, LEVEL, "Patient C: the triage level.", hint=level_hint),
        Question("q5", 2, LEVEL, "Patient D: the triage level.", hidden=True, hint=level_hint),
    ),
)
