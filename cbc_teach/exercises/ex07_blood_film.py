"""Exercise 7: the blood film. Count 100 cells, compute from the count, read the morphology.

Each student gets a patient with a low count, a story, and their own virtual slide of 100
leukocytes (seeded from the exercise and the student) showing one film finding. The student
counts the slide in a FilmExplorer, then answers from the count: the neutrophil percentage
(segmented plus bands), the ANC, the finding, the cause it points to given the story, and
whether the analyser's percentage of one group lies inside the 95 % interval of the count.

The right answers come from the slide's own cells (what a careful count gives). Percentages are
accepted within 3 points and the ANC within 0.15 x10^9/L, which allows two or three slips in
100 cells (a band called a segmented neutrophil costs nothing: both are neutrophils).

>>> v = EXERCISE.variant("s001")
>>> slide = v.extra["slide"]
>>> sum(slide.composition.values())
100
>>> EXERCISE.answers(v)["q3"] in v.extra["finding_options"]
True
"""

from __future__ import annotations

from ..cbc import CBC
from ..film import compare_differential, finding_info, findings, make_slide
from ..history import History
from .model import Choice, ExerciseDefinition, Number, Patient, Question, Variant

PERCENT = Number(unit="%", tolerance=3.0, example="58")
COUNT = Number(unit="x10^9/L", tolerance=0.15, example="1.2 or '1,200/uL'")
YES_NO = Choice(("yes", "no"), synonyms={"y": "yes", "n": "no", "inside": "yes",
                                          "within": "yes", "outside": "no"})


def _finding_options() -> tuple[str, ...]:
    return tuple(findings())


#: Findings that come together on these slides: either name is right.
FINDING_SYNONYMS = {"auer_rods": "blasts", "dohle_bodies": "toxic_granulation",
                    "doehle_bodies": "toxic_granulation"}


def _cause_options() -> tuple[str, ...]:
    return tuple(dict.fromkeys(finding_info(f)["points_to"] for f in findings()))


#: The scenarios: the film finding(s) drawn, the story, the history, and the count's ranges.
SCENARIOS = (
    {"findings": ("hypersegmented_neutrophils",), "age": 67,
     "story": "Tired and breathless for months, with numb feet; follows a vegan diet.",
     "history": {"exposures": ("vegan_diet",), "symptoms": ("numbness_tingling",)},
     "wbc": (2.4, 3.4), "neut": (40, 52), "bands": (0, 3), "mcv": (108, 120), "hb": (8.5, 10.5),
     "plt": (110, 160)},
    {"findings": ("toxic_granulation", "dohle_bodies"), "age": 58,
     "story": "Two days of cough and fever, now confused with a low blood pressure.",
     "history": {"symptoms": ("fever", "cough", "hypotension", "confusion"),
                 "temperature_c": 39.4},
     "wbc": (1.6, 3.0), "neut": (45, 60), "bands": (10, 18), "mcv": (85, 95), "hb": (11, 13.5),
     "plt": (90, 160)},
    {"findings": ("blasts", "auer_rods"), "age": 45,
     "story": "Three weeks of tiredness, bruises and bone pain.",
     "history": {"symptoms": ("bruising", "bone_pain", "extreme_fatigue")},
     "wbc": (1.4, 3.0), "neut": (20, 35), "bands": (0, 3), "mcv": (88, 98), "hb": (7.0, 9.0),
     "plt": (20, 60)},
    {"findings": ("large_granular_lymphocytes",), "age": 63,
     "story": "Rheumatoid arthritis for fifteen years; three chest infections this year.",
     "history": {"conditions": ("rheumatoid_arthritis",), "symptoms": ("recurrent_infections",)},
     "wbc": (2.6, 4.0), "neut": (14, 24), "bands": (0, 2), "mcv": (86, 96), "hb": (11, 13),
     "plt": (150, 250)},
    {"findings": ("pseudo_pelger",), "age": 79,
     "story": "Increasingly tired over a year; no medicines, no alcohol.",
     "history": {"symptoms": ("extreme_fatigue",)},
     "wbc": (1.8, 3.0), "neut": (35, 50), "bands": (0, 3), "mcv": (101, 108), "hb": (8.5, 10),
     "plt": (70, 120)},
    {"findings": ("reactive_lymphocytes",), "age": 19,
     "story": "A week of sore throat, fever and swollen glands in the neck.",
     "history": {"symptoms": ("sore_throat", "lymphadenopathy", "fever"),
                 "exposures": ("recent_viral_illness",), "temperature_c": 38.2},
     "wbc": (2.8, 3.8), "neut": (28, 38), "bands": (0, 3), "mcv": (85, 95), "hb": (13, 15),
     "plt": (140, 220)},
    {"findings": ("neutrophil_clumps",), "age": 41,
     "story": "Well; a routine count before a knee operation. Last year's WBC was 6.8.",
     "history": {},
     "wbc": (1.5, 2.4), "neut": (45, 60), "bands": (0, 3), "mcv": (86, 95), "hb": (13, 15),
     "plt": (180, 300)},
)


def _differential(rng, scenario) -> dict[str, int]:
    """Whole-number percentages adding up to 100 within the scenario's ranges."""
    neut = int(rng.integers(*scenario["neut"]))
    bands = int(rng.integers(*scenario["bands"])) if scenario["bands"][1] > 0 else 0
    mono = int(rng.integers(3, 10))
    eos = int(rng.integers(0, 5))
    baso = int(rng.integers(0, 2))
    lymph = 100 - neut - bands - mono - eos - baso
    return {"neutrophils": neut, "bands": bands, "lymphocytes": lymph, "monocytes": mono,
            "eosinophils": eos, "basophils": baso}


def build(rng, student: str) -> Variant:
    """One student's patient, slide and analyser report."""
    scenario = SCENARIOS[int(rng.integers(len(SCENARIOS)))]
    wbc = float(round(rng.uniform(*scenario["wbc"]), 1))
    pct = _differential(rng, scenario)
    cbc = CBC.from_percentages(wbc, **pct, mcv=float(round(rng.uniform(*scenario["mcv"]))),
                               hemoglobin=float(round(rng.uniform(*scenario["hb"]), 1)),
                               platelets=float(round(rng.uniform(*scenario["plt"]))))
    slide = make_slide(cbc, findings=scenario["findings"], n_cells=100,
                       seed=int(rng.integers(2**31 - 1)))
    group = str(rng.choice(["neutrophils", "lymphocytes"]))
    analyser = {g: (round(v, 1) if v is not None else None) for g, v in slide.automated.items()}
    if rng.random() < 0.5:  # an analyser that reads this group quite differently
        other = "lymphocytes" if group == "neutrophils" else "neutrophils"
        shift = float(rng.uniform(14, 22))
        if analyser[group] - shift < 2 or (rng.random() < 0.5 and analyser[other] - shift >= 2):
            group_sign = 1  # the other group gives up what this one gains
        else:
            group_sign = -1
        shift = min(shift, (analyser[other] - 2) if group_sign > 0 else (analyser[group] - 2))
        analyser[group] = round(analyser[group] + group_sign * shift, 1)
        analyser[other] = round(analyser[other] - group_sign * shift, 1)
    history = History(age_years=scenario["age"], **scenario["history"])
    report = ", ".join(f"{g} {v:g} %" for g, v in analyser.items() if v is not None)
    patient = Patient("A", cbc, age_years=scenario["age"], history=history,
                      story=scenario["story"], percentages={})
    notes = (
        "Count the 100 cells of your slide in the FilmExplorer below (keys N, B, L, M, E, S, X).",
        f"The analyser's automated differential: {report}.",
        f"Question 5 is about the {group}.",
    )
    return Variant("ex07_blood_film", student, (patient,),
                   extra={"slide": slide, "analyser": analyser, "group": group,
                          "findings": scenario["findings"],
                          "finding_options": _finding_options(),
                          "cause_options": _cause_options()},
                   notes=notes)


def _count(v: Variant) -> dict[str, int]:
    return dict(v.extra["slide"].composition)


def solve(v: Variant) -> dict:
    """The right answers: from the slide's cells, as a careful count gives them."""
    tally = _count(v)
    n = sum(tally.values())
    neut_pct = 100 * (tally["neutrophil"] + tally["band"]) / n
    row = {r.group: r for r in compare_differential(tally, v.extra["analyser"])}[v.extra["group"]]
    main = v.extra["findings"][0]
    return {
        "q1": neut_pct,
        "q2": v.patient("A").cbc.wbc * neut_pct / 100,
        "q3": main,
        "q4": finding_info(main)["points_to"],
        "q5": "yes" if row.within else "no",
    }


def _percent_slip(given: float, expected: float, v) -> str | None:
    if v is None:
        return None
    tally = _count(v)
    n = sum(tally.values())
    if tally["band"] and abs(given - 100 * tally["neutrophil"] / n) <= PERCENT.tolerance / 2:
        return "Did you leave out the bands? Band neutrophils are neutrophils too."
    if abs(given - 100 * tally["lymphocyte"] / n) <= PERCENT.tolerance:
        return "That looks like the lymphocytes. The question asks for the neutrophils."
    return None


def _anc_slip(given: float, expected: float, v) -> str | None:
    if v is None:
        return None
    tally = _count(v)
    n = sum(tally.values())
    wbc = v.patient("A").cbc.wbc
    if tally["band"] and abs(given - wbc * tally["neutrophil"] / n) <= COUNT.tolerance / 2:
        return "You counted only the segmented neutrophils: the ANC includes the bands."
    if abs(given - 100 * expected / wbc) <= 3:
        return "That is the percentage; multiply it by the WBC and divide by 100."
    return None


def _finding_slip(given: str, expected: str, v) -> str | None:
    if v is not None and given in v.extra["findings"]:
        return None
    pairs = {
        ("toxic_granulation", "hypersegmented_neutrophils"): "Count the lobes: toxic "
        "neutrophils have the usual 2-4 lobes but dark, coarse granules.",
        ("reactive_lymphocytes", "large_granular_lymphocytes"): "Look at the granules: LGLs have "
        "a few coarse red-purple granules; reactive lymphocytes have none but deep blue edges.",
        ("large_granular_lymphocytes", "reactive_lymphocytes"): "Look at the cytoplasm: reactive "
        "lymphocytes are large, with blue deepening towards the edge, hugging red cells.",
    }
    return pairs.get((given, expected))


EXERCISE = ExerciseDefinition(
    id="ex07_blood_film",
    title="Count a blood film and read its morphology",
    summary="A 100-cell differential on a virtual film: percentages, ANC, the finding, the "
            "cause it points to, and the precision of a manual count.",
    build=build,
    solve=solve,
    questions=(
        Question("q1", 2, PERCENT,
                 "From your count: the neutrophils (segmented plus bands) as a percentage of "
                 "the cells counted.",
                 hint="Percentage = cells of that kind / cells counted x 100. Add the bands "
                      "(B) to the segmented neutrophils (N). Write the number itself.",
                 diagnose=_percent_slip),
        Question("q2", 2, COUNT,
                 "The ANC from the WBC and your differential, in x10^9/L.",
                 hint="ANC = WBC x (segmented neutrophils % + bands %) / 100.",
                 diagnose=_anc_slip),
        Question("q3", 1, Choice(_finding_options(), synonyms=FINDING_SYNONYMS),
                 "The morphological finding on the slide (one of the finding names; where "
                 "blasts come with Auer rods, or toxic granulation with Doehle bodies, either "
                 "name is right).",
                 hint="Use the gallery (Mode: Gallery of cells) to compare the cells you met "
                      "with each finding: look at lobes, granules, cytoplasm and clumps.",
                 diagnose=_finding_slip),
        Question("q4", 2, Choice(_cause_options()),
                 "The most likely cause, given the finding and the story.",
                 hint="Each finding points to a cause: hypersegmentation to B12 or folate, "
                      "toxic changes to sepsis, blasts and Auer rods to acute leukaemia, LGLs "
                      "to LGL leukaemia, pseudo-Pelger cells to myelodysplasia, reactive "
                      "lymphocytes to a virus, clumps to pseudo-neutropenia. Check it fits "
                      "the story."),
        Question("q5", 1, YES_NO,
                 "Does the analyser's percentage for the group named in the notes lie inside "
                 "the 95 % interval of your count? (\"yes\" or \"no\")",
                 hint="Compute differential_ci(cells of that group, cells counted) and see "
                      "whether the analyser's percentage lies between the two limits. For the "
                      "neutrophils, count segmented cells and bands together.",
                 hidden=True),
    ),
)
