"""Exercise 1: classify counts (WBC status, neutropenia severity, findings, populations).

Each student gets four patients: an adult whose WBC may be low, normal or high (A); an adult
with a full count (B); a healthy adult with the Duffy-null phenotype (C); a child (D).

>>> v = EXERCISE.variant("s001")
>>> [p.label for p in v.patients]
['A', 'B', 'C', 'D']
>>> sorted(EXERCISE.answers(v)) == [q.id for q in EXERCISE.questions]
True
"""

from __future__ import annotations

from ..cbc import CBC
from ..classify import FINDINGS, classify
from ._hints import interval_rule, severity_rule
from .model import Choice, ExerciseDefinition, Items, Patient, Question, Variant

STATUS = Choice(("low", "normal", "high"))
SEVERITY = Choice(("none", "mild", "moderate", "severe"), synonyms={"no": "none", "normal": "none"})
YES_NO = Choice(("yes", "no"), synonyms={"y": "yes", "n": "no", "true": "yes", "false": "no"})

_CHILD_AGES = (0.5, 1.5, 3.0, 6.0, 9.0, 14.0)


def _r(x: float, digits: int = 1) -> float:
    return float(round(x, digits))


def build(rng, student: str) -> Variant:
    """The four patients of one student."""
    band = int(rng.integers(3))
    low, high = ((1.6, 3.3), (3.8, 10.5), (11.5, 19.0))[band]
    a = Patient("A", CBC(_r(rng.uniform(low, high))), story="Routine check before surgery.")

    wbc = _r(rng.uniform(1.8, 4.8))
    anc = rng.uniform(0.25, min(2.6, 0.8 * wbc))
    bands = anc * rng.choice([0.0, 0.0, rng.uniform(0.05, 0.2)])
    rest = {
        "lymphocytes": rng.uniform(0.55, 0.85),
        "monocytes": rng.uniform(0.05, 0.25),
        "eosinophils": rng.uniform(0.0, 0.08),
        "basophils": rng.uniform(0.0, 0.02),
    }
    scale = (wbc - anc) / sum(rest.values())
    diff = {"neutrophils": _r(anc - bands, 2), "bands": _r(bands, 2) or None}
    diff.update({k: _r(v * scale, 2) for k, v in rest.items()})
    sex = str(rng.choice(["female", "male"]))
    b = Patient(
        "B",
        CBC(wbc, **diff, hemoglobin=_r(rng.uniform(8.5, 15.5)), mcv=float(rng.integers(78, 112)),
            platelets=float(rng.integers(45, 360))),
        sex=sex,
        story="Tired for a month.",
    )

    anc = _r(rng.uniform(1.0, 1.9), 2)
    c_wbc = _r(anc + rng.uniform(1.8, 3.0))
    c = Patient("C", CBC(c_wbc, neutrophils=anc), population="duffy_null",
                story="Healthy blood donor; West African ancestry; Duffy phenotype Fy(a-b-).")

    age = float(rng.choice(_CHILD_AGES))
    d_low = {0.5: (4.0, 19.0), 1.5: (4.0, 18.5), 3.0: (4.0, 17.0), 6.0: (3.0, 15.0),
             9.0: (3.0, 15.0), 14.0: (3.0, 12.5)}[age]
    d = Patient("D", CBC(_r(rng.uniform(*d_low))), population="child", age_years=age,
                story="Seen for a cold.")
    return Variant("ex01_classify", student, (a, b, c, d))


def solve(v: Variant) -> dict:
    """The right answers for a variant."""
    a, b, c, d = (v.patient(x) for x in "ABCD")
    cb = classify(b.cbc, sex=b.sex)
    return {
        "q1": classify(a.cbc).wbc_status,
        "q2": cb.anc_severity,
        "q3": tuple(sorted(cb.findings)),
        "q4": "yes" if classify(c.cbc, population="duffy_null").anc_severity != "none" else "no",
        "q5": classify(d.cbc, population="child", age_years=d.age_years).wbc_status,
        "q6": "yes" if classify(c.cbc).anc_severity != "none" else "no",
    }


def _bands_left_out(given, expected, v) -> str | None:
    b = v.patient("B").cbc if v is not None else None
    if b is None or not b.bands:
        return None
    without = classify(b.replace(bands=None), sex=v.patient("B").sex).anc_severity
    if given == without != expected:
        return "Did you count the bands? The ANC is segmented neutrophils plus bands."
    return None


EXERCISE = ExerciseDefinition(
    id="ex01_classify",
    title="Classify counts",
    summary="WBC status, neutropenia severity and named findings, in adults, a Duffy-null adult and a child.",
    build=build,
    solve=solve,
    questions=(
        Question("q1", 1, STATUS, "Patient A: is the WBC low, normal or high?",
                 hint=lambda: f"Compare the WBC with the reference interval: {interval_rule('wbc')}."),
        Question("q2", 2, SEVERITY, "Patient B: how severe is the neutropenia?",
                 hint=lambda: f"Work out the ANC (segmented neutrophils + bands), then use the {severity_rule()}.",
                 diagnose=_bands_left_out),
        Question("q3", 2, Items(FINDINGS, what="findings"),
                 "Patient B: list every finding (names as classify() uses them).",
                 hint="Check each line against its interval (white cells one by one, hemoglobin for "
                      "the patient's sex, MCV, platelets), then count the low cell lines "
                      "(two: bicytopenia, three: pancytopenia)."),
        Question("q4", 1, YES_NO, "Patient C: against her own population's interval, is the ANC low?",
                 hint=lambda: f"Use the Duffy-null interval: {interval_rule('neutrophils', 'duffy_null')}."),
        Question("q5", 2, STATUS, "Patient D: is the WBC low, normal or high for the child's age?",
                 hidden=True,
                 hint="Children's intervals depend on age: use reference_interval('wbc', 'child', age)."),
        Question("q6", 1, YES_NO, "Patient C: would the adult interval call her ANC low?",
                 hint=lambda: f"Use the adult interval this time: {interval_rule('neutrophils')}."),
    ),
)
