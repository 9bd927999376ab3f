"""Exercise 3: grade severity and CTCAE v5.0 (neutrophils, WBC, lymphocytes), boundaries included.

Patient D's ANC sits exactly on a CTCAE boundary (read from ``ctcae.csv``), to practise the
"<a - b" convention; patient E is a healthy Duffy-null adult, whom CTCAE's fixed thresholds
grade although her own population's interval calls her count normal.

Patient A's ANC may fall between the neutropenia threshold (1.5, a definition) and the
laboratory's lower limit (2.0, a statistical limit): then the severity is "none" but CTCAE grades
it 1, and the feedback explains the difference to a student who answers "mild" or grade 0.

>>> ex = EXERCISE.variant("s003")
>>> print(_gap_slip_severity("mild", "none", _with_anc(ex, 1.7)))
Below the reference interval is not neutropenia: an adult ANC of 1.7 is under the laboratory's lower limit (2) but at or above the neutropenia threshold 1.5, so the severity is none.

>>> v = EXERCISE.variant("s003")
>>> EXERCISE.answers(v)["q7"] in ("yes", "no")
True
"""

from __future__ import annotations

import dataclasses

from .._data import read_csv
from ..cbc import CBC
from ..classify import classify
from ..reference import reference_interval
from ..severity import neutropenia_threshold
from ._hints import ctcae_rule, interval_rule, severity_rule
from .model import Choice, ExerciseDefinition, Patient, Question, Variant

GRADE = Choice((0, 1, 2, 3, 4))
SEVERITY = Choice(("none", "mild", "moderate", "severe"), synonyms={"no": "none", "normal": "none"})
YES_NO = Choice(("yes", "no"), synonyms={"y": "yes", "n": "no", "true": "yes", "false": "no"})


def _r(x: float, digits: int = 2) -> float:
    return float(round(x, digits))


def _boundaries(term: str) -> list[float]:
    """The numeric grade boundaries of a CTCAE term, from the data file."""
    found = set()
    for row in read_csv("ctcae.csv"):
        if row["term"] == term:
            for key in ("lower", "upper"):
                if row[key] not in (None, "LLN"):
                    found.add(float(row[key]))
    return sorted(found)


def build(rng, student: str) -> Variant:
    """Five patients of one student."""
    anc = _r(rng.uniform(0.08, 1.95))
    a = Patient("A", CBC(_r(anc + rng.uniform(1.0, 2.5), 1), neutrophils=anc),
                story="Day 10 after chemotherapy.")
    wbc = _r(rng.uniform(0.6, 3.45))
    b = Patient("B", CBC(wbc), story="Routine count during radiotherapy.")
    lymph = _r(rng.uniform(0.12, 1.1))
    c = Patient("C", CBC(_r(lymph + rng.uniform(2.0, 4.0), 1), lymphocytes=lymph),
                story="Treated with fludarabine last year.")
    edge = float(rng.choice(_boundaries("neutrophil_count_decreased")))
    d = Patient("D", CBC(_r(edge + rng.uniform(1.0, 2.0), 1), neutrophils=edge),
                story="A count exactly on a boundary.")
    e_anc = _r(rng.uniform(1.0, 1.6))
    e = Patient("E", CBC(_r(e_anc + rng.uniform(1.8, 2.8), 1), neutrophils=e_anc),
                population="duffy_null", story="Healthy; Duffy phenotype Fy(a-b-); starting a clinical trial.")
    return Variant("ex03_severity_ctcae", student, (a, b, c, d, e))


def solve(v: Variant) -> dict:
    """The right answers for a variant."""
    a, b, c, d, e = (v.patient(x) for x in "ABCDE")
    ca = classify(a.cbc)
    return {
        "q1": ca.anc_severity,
        "q2": ca.ctcae["neutrophil_count_decreased"],
        "q3": classify(b.cbc).ctcae["wbc_decreased"],
        "q4": classify(c.cbc).ctcae["lymphocyte_count_decreased"],
        "q5": classify(d.cbc).ctcae["neutrophil_count_decreased"],
        "q6": classify(e.cbc, population="duffy_null").ctcae["neutrophil_count_decreased"],
        "q7": "yes" if classify(e.cbc, population="duffy_null").anc_severity != "none" else "no",
    }


def _with_anc(v: Variant, anc: float) -> Variant:
    """A copy of a variant whose patient A has another ANC (for the doctest of the feedback)."""
    a = v.patient("A")
    new_a = dataclasses.replace(a, cbc=CBC(a.cbc.wbc, neutrophils=anc))
    return dataclasses.replace(v, patients=(new_a, *v.patients[1:]))


def _in_the_gap(v: Variant) -> tuple[float, float, float] | None:
    """(ANC, threshold, LLN) when patient A's ANC lies between the threshold and the LLN."""
    anc = v.patient("A").cbc.anc
    threshold = neutropenia_threshold("adult").value
    lln = reference_interval("neutrophils", "adult").low
    return (anc, threshold, lln) if threshold <= anc < lln else None


def _gap_slip_severity(given, expected, v) -> str | None:
    gap = _in_the_gap(v)
    if gap and given != "none":
        anc, threshold, lln = gap
        return (f"Below the reference interval is not neutropenia: an adult ANC of {anc:g} is "
                f"under the laboratory's lower limit ({lln:g}) but at or above the neutropenia "
                f"threshold {threshold:g}, so the severity is none.")
    return None


def _gap_slip_grade(given, expected, v) -> str | None:
    gap = _in_the_gap(v)
    if gap and given == 0:
        anc, threshold, lln = gap
        return (f"CTCAE grade 1 runs from below the lower limit of normal ({lln:g}) down to "
                f"{threshold:g}: an ANC of {anc:g} is grade 1 although it is not neutropenia.")
    return _off_by_one(given, expected, v)


def _edge_slip(given, expected, v) -> str | None:
    if abs(given - expected) == 1:
        return ("A count exactly on a boundary belongs to the milder grade: '<1.0 - 0.5' means "
                "below 1.0 and at least 0.5, so 1.0 itself is not in it.")
    return None


def _off_by_one(given, expected, v) -> str | None:
    if abs(given - expected) == 1:
        return "Close: check which side of the boundary the count falls on."
    return None


EXERCISE = ExerciseDefinition(
    id="ex03_severity_ctcae",
    title="Grade severity and CTCAE",
    summary="Severity of neutropenia and CTCAE v5.0 grades, with boundary cases and a Duffy-null adult.",
    build=build,
    solve=solve,
    questions=(
        Question("q1", 1, SEVERITY, "Patient A: the severity of neutropenia.",
                 hint=lambda: f"Use the {severity_rule()}.", diagnose=_gap_slip_severity),
        Question("q2", 2, GRADE, "Patient A: the CTCAE grade of 'Neutrophil count decreased'.",
                 hint=lambda: ctcae_rule("neutrophil_count_decreased") + ".",
                 diagnose=_gap_slip_grade),
        Question("q3", 1, GRADE, "Patient B: the CTCAE grade of 'White blood cell decreased'.",
                 hint=lambda: ctcae_rule("wbc_decreased") + ".", diagnose=_off_by_one),
        Question("q4", 1, GRADE, "Patient C: the CTCAE grade of 'Lymphocyte count decreased'.",
                 hint=lambda: ctcae_rule("lymphocyte_count_decreased") + ".",
                 diagnose=_off_by_one),
        Question("q5", 2, GRADE, "Patient D: the CTCAE neutrophil grade of a count on a boundary.",
                 hidden=True, hint=lambda: ctcae_rule("neutrophil_count_decreased") + ".",
                 diagnose=_edge_slip),
        Question("q6", 1, GRADE, "Patient E: the CTCAE neutrophil grade.",
                 hint="CTCAE's grades 2 to 4 use fixed thresholds, whatever the population.",
                 diagnose=_off_by_one),
        Question("q7", 1, YES_NO, "Patient E: is she neutropenic by her own population's interval?",
                 hint=lambda: f"Compare with {interval_rule('neutrophils', 'duffy_null')}."),
    ),
)
