"""Exercise 2: compute an absolute neutrophil count (ANC) from the WBC and the differential.

The laboratory reports give the differential in percent; the WBC is written in x10^9/L for
patient A, in cells/uL for patient B and in K/uL for patient C (whose differential has many
bands). Numeric answers are right within 0.05 x10^9/L (50 cells/uL), which allows rounding of
the WBC and of the percentages as a report prints them.

>>> v = EXERCISE.variant("s001")
>>> a = v.patient("A")
>>> round(a.cbc.anc, 2) == round(a.cbc.wbc * (a.percentages["neutrophils"] + a.percentages["bands"]) / 100, 2)
True
"""

from __future__ import annotations

from ..cbc import CBC
from ..classify import classify
from ._hints import severity_rule
from .model import Choice, ExerciseDefinition, Number, Patient, Question, Variant

COUNT = Number(unit="x10^9/L", tolerance=0.05, example="1.2 or '1,200/uL'")
SEVERITY = Choice(("none", "mild", "moderate", "severe"), synonyms={"no": "none", "normal": "none"})
ANC_HINT = "ANC = WBC x (segmented neutrophils % + bands %) / 100, in x10^9/L."


def _percentages(rng, wbc: float, anc: float, bands_range: tuple[int, int]) -> dict[str, int]:
    """Whole-number percentages adding up to 100, with the ANC close to ``anc``."""
    neut = int(min(85, max(4, round(100 * anc / wbc))))
    bands = int(min(neut - 2, rng.integers(*bands_range)))
    mono = int(rng.integers(3, 11))
    eos = int(rng.integers(0, 5))
    baso = int(rng.integers(0, 2))
    lymph = 100 - neut - mono - eos - baso
    if lymph < 4:  # take the shortfall from the monocytes
        mono -= 4 - lymph
        lymph = 4
    return {"neutrophils": neut - bands, "bands": bands, "lymphocytes": lymph,
            "monocytes": mono, "eosinophils": eos, "basophils": baso}


def _patient(label: str, wbc: float, pct: dict[str, int], wbc_text: str, story: str) -> Patient:
    cbc = CBC.from_percentages(wbc, **pct)
    return Patient(label, cbc, percentages=pct, wbc_text=wbc_text, story=story)


def build(rng, student: str) -> Variant:
    """The three laboratory reports of one student."""
    wbc_a = float(round(rng.uniform(1.6, 6.5), 1))
    pa = _percentages(rng, wbc_a, rng.uniform(0.2, 2.6), (0, 7))
    a = _patient("A", wbc_a, pa, f"{wbc_a:g} x10^9/L", "Two weeks after a course of chemotherapy.")

    wbc_b = float(rng.integers(16, 60) * 100)  # cells/uL
    pb = _percentages(rng, wbc_b / 1000, rng.uniform(0.3, 3.0), (1, 8))
    b = _patient("B", wbc_b / 1000, pb, f"{wbc_b:,.0f}/uL", "A sore throat for three days.")

    wbc_c = float(round(rng.uniform(1.5, 5.0), 1))
    pc = _percentages(rng, wbc_c, rng.uniform(0.4, 2.4), (8, 21))
    c = _patient("C", wbc_c, pc, f"{wbc_c:g} K/uL", "Fever and shivering; the report notes a left shift.")
    return Variant("ex02_anc", student, (a, b, c))


def solve(v: Variant) -> dict:
    """The right answers for a variant."""
    a, b, c = (v.patient(x).cbc for x in "ABC")
    return {
        "q1": a.anc,
        "q2": classify(a).anc_severity,
        "q3": b.anc,
        "q4": b.lymphocytes,
        "q5": c.anc,
    }


def _anc_slips(label: str):
    def diagnose(given: float, expected: float, v) -> str | None:
        if v is None:
            return None
        p = v.patient(label)
        wbc, pct = p.cbc.wbc, p.percentages
        tol = COUNT.tolerance
        if pct["bands"] and abs(given - wbc * pct["neutrophils"] / 100) <= tol:
            return "You counted only the segmented neutrophils: the ANC also counts the bands."
        if abs(given - wbc * pct["lymphocytes"] / 100) <= tol:
            return "That is the lymphocyte count; the ANC counts neutrophils."
        if abs(given - (pct["neutrophils"] + pct["bands"])) <= tol:
            return "That is the percentage; multiply it by the WBC and divide by 100."
        return None

    return diagnose


def _severity_slip(given, expected, v) -> str | None:
    if v is None:
        return None
    a = v.patient("A")
    seg_only = classify(a.cbc.replace(bands=None)).anc_severity
    if a.cbc.bands and given == seg_only != expected:
        return "Did you leave out the bands? The severity follows the whole ANC."
    return None


EXERCISE = ExerciseDefinition(
    id="ex02_anc",
    title="Compute an ANC from percentages",
    summary="The ANC from a WBC and a differential in percent, with bands and with other units.",
    build=build,
    solve=solve,
    questions=(
        Question("q1", 2, COUNT, "Patient A: the ANC in x10^9/L.", hint=ANC_HINT,
                 diagnose=_anc_slips("A")),
        Question("q2", 1, SEVERITY, "Patient A: the severity of neutropenia.",
                 hint=lambda: f"Use the {severity_rule()}.", diagnose=_severity_slip),
        Question("q3", 2, COUNT, "Patient B: the ANC (the WBC is in cells/uL).",
                 hint=ANC_HINT + " 1,000 cells/uL is 1 x10^9/L.", diagnose=_anc_slips("B")),
        Question("q4", 1, COUNT, "Patient B: the absolute lymphocyte count.",
                 hint="Absolute count = WBC x percentage / 100."),
        Question("q5", 2, COUNT, "Patient C: the ANC (many bands; the WBC is in K/uL).",
                 hint=ANC_HINT + " K/uL is the same number as x10^9/L.", hidden=True,
                 diagnose=_anc_slips("C")),
    ),
)
