"""Exercise 5: read a chemotherapy time course (nadir, time below 0.5, recovery, G-CSF).

Each student gets one simulated patient on docetaxel (:func:`cbc_teach.simulate.chemo_course`
with the published between-patient variability, seeded by the variant), chosen so that the ANC
does fall below 0.5 x10^9/L, and the same patient again with G-CSF. The ANC is shown day by
day; answers read from that table are accepted (tolerances of one day and 0.1 x10^9/L).

>>> v = EXERCISE.variant("s001")
>>> EXERCISE.answers(v)["q3"] > 0
True
"""

from __future__ import annotations

import numpy as np

from ..simulate import chemo_course
from .model import Choice, ExerciseDefinition, Number, Question, Variant

DAYS = Number(unit="days", tolerance=1.0, example="7")
COUNT = Number(unit="x10^9/L", tolerance=0.1, example="0.4")
YES_NO = Choice(("yes", "no"), synonyms={"y": "yes", "n": "no", "true": "yes", "false": "no"})


def _table(course) -> str:
    days = np.arange(0, int(course.days[-1]) + 1)
    anc = np.interp(days, course.days, course.anc)
    return ", ".join(f"day {d}: {a:.2f}" for d, a in zip(days, anc))


def build(rng, student: str) -> Variant:
    """One patient's course, without and with G-CSF."""
    for _ in range(200):
        seed = int(rng.integers(2**31))
        course = chemo_course("docetaxel", seed=seed)
        if course.days_below(0.5) >= 1.0 and course.recovery_day is not None:
            break
    gcsf = chemo_course("docetaxel", seed=seed, gcsf=True)
    notes = (
        "Patient A: one cycle of docetaxel 100 mg/m2 on day 0. ANC (x10^9/L) by day: "
        + _table(course) + ".",
        "The same patient with G-CSF (filgrastim) from day 3: ANC by day: " + _table(gcsf) + ".",
    )
    return Variant("ex05_time_course", student, (), extra={"course": course, "course_gcsf": gcsf},
                   notes=notes)


def solve(v: Variant) -> dict:
    """The right answers for a variant."""
    c, g = v.extra["course"], v.extra["course_gcsf"]
    return {
        "q1": c.nadir_day,
        "q2": c.nadir_anc,
        "q3": c.days_below(0.5),
        "q4": c.recovery_day,
        "q5": g.days_below(0.5),
        "q6": "yes" if g.days_below(0.5) < c.days_below(0.5) else "no",
    }


EXERCISE = ExerciseDefinition(
    id="ex05_time_course",
    title="Read a chemotherapy time course",
    summary="Nadir, time below 0.5, recovery, and the effect of G-CSF on a simulated course.",
    build=build,
    solve=solve,
    questions=(
        Question("q1", 1, DAYS, "The day of the nadir (lowest ANC).",
                 hint="The nadir is the lowest point of the curve: find the smallest ANC in the table."),
        Question("q2", 1, COUNT, "The ANC at the nadir, in x10^9/L.",
                 hint="Read the lowest ANC in the table."),
        Question("q3", 2, DAYS, "How many days is the ANC below 0.5 x10^9/L (severe neutropenia)?",
                 hint="Count the days from the first day below 0.5 to the first day back at or above it."),
        Question("q4", 1, DAYS, "The day of recovery (the course's recovery_day).",
                 hint="course.recovery_day: when the ANC climbs back after the nadir; see its docstring."),
        Question("q5", 2, DAYS, "With G-CSF: how many days below 0.5?", hidden=True,
                 hint="The same count of days, on the course with G-CSF."),
        Question("q6", 1, YES_NO, "Does G-CSF shorten the time below 0.5 for this patient?",
                 hint="Compare your answers to q3 and q5."),
    ),
)
