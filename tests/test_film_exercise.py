"""Exercise 7 (the blood film): variants, answers from the slide, hints that teach."""

from __future__ import annotations

import pytest

from cbc_teach.exercises import definition, judge, start
from cbc_teach.film import compare_differential, differential_ci

EX = definition("ex07_blood_film")
STUDENTS = [f"s{i:03d}" for i in range(24)]


def test_each_student_has_their_own_slide_and_it_repeats():
    """Slides differ between students and are the same for one student."""
    a, b = EX.variant("s001"), EX.variant("s002")
    assert a.extra["slide"].cells != b.extra["slide"].cells
    assert EX.variant("s001").extra["slide"].cells == a.extra["slide"].cells


@pytest.mark.parametrize("student", STUDENTS[:8])
def test_right_answers_follow_the_slide(student):
    """q1 and q2 come from the slide's 100 cells; q5 from the exact interval."""
    v = EX.variant(student)
    answers = EX.answers(v)
    count = v.extra["slide"].composition
    assert sum(count.values()) == 100
    neut = count["neutrophil"] + count["band"]
    assert answers["q1"] == pytest.approx(neut)  # of 100 cells: the count is the percentage
    assert answers["q2"] == pytest.approx(v.patient("A").cbc.wbc * neut / 100)
    group = v.extra["group"]
    cells = neut if group == "neutrophils" else count["lymphocyte"]
    low, high = differential_ci(cells, 100)
    assert answers["q5"] == ("yes" if low <= v.extra["analyser"][group] <= high else "no")
    for q in EX.questions:
        assert judge(q, answers[q.id], answers[q.id], variant=v).points == q.points


def test_the_finding_is_on_the_slide_and_points_to_its_cause():
    """Every scenario's finding is drawn; the cause fits (written from the textbook pairs)."""
    pairs = {"hypersegmented_neutrophils": "vitamin B12 or folate deficiency",
             "toxic_granulation": "sepsis", "blasts": "acute leukaemia",
             "large_granular_lymphocytes": "LGL leukaemia",
             "pseudo_pelger": "myelodysplastic syndrome",
             "reactive_lymphocytes": "viral infection",
             "neutrophil_clumps": "pseudo-neutropenia (EDTA clumping)"}
    seen = set()
    for student in STUDENTS:
        v = EX.variant(student)
        answers = EX.answers(v)
        assert answers["q4"] == pairs[answers["q3"]]
        slide = v.extra["slide"]
        assert answers["q3"] in slide.findings
        seen.add(answers["q3"])
    assert len(seen) >= 5  # the class meets several findings


def test_both_verdicts_occur_for_q5():
    """Some students' analyser value lies inside their interval, some outside."""
    verdicts = {EX.answers(EX.variant(s))["q5"] for s in STUDENTS}
    assert verdicts == {"yes", "no"}


def test_companion_findings_count_as_right():
    """Auer rods for a film with blasts, Doehle bodies for one with toxic granulation."""
    q3 = EX.question("q3")
    assert judge(q3, "blasts", "auer_rods").points == 1
    assert judge(q3, "toxic_granulation", "dohle_bodies").points == 1
    assert judge(q3, "blasts", "pseudo_pelger").points == 0


def _variant_with_bands():
    for student in STUDENTS:
        v = EX.variant(student)
        if v.extra["slide"].composition["band"] >= 4:
            return v
    raise AssertionError("no variant with bands")


def test_hints_name_the_slips():
    """Leaving out the bands, or giving the percentage as the ANC, gets a teaching hint."""
    v = _variant_with_bands()
    count = v.extra["slide"].composition
    answers = EX.answers(v)
    seg_only = float(count["neutrophil"])
    verdict = judge(EX.question("q1"), answers["q1"], seg_only, variant=v)
    assert verdict.points == 0 and "bands" in verdict.line
    wbc = v.patient("A").cbc.wbc
    verdict = judge(EX.question("q2"), answers["q2"], wbc * seg_only / 100, variant=v)
    assert verdict.points == 0 and "bands" in verdict.line
    verdict = judge(EX.question("q2"), answers["q2"], answers["q1"], variant=v)
    assert verdict.points == 0 and "percentage" in verdict.line


def test_a_few_counting_slips_cost_nothing():
    """Two cells called the wrong kind keep q1 within its tolerance."""
    v = EX.variant("s003")
    answers = EX.answers(v)
    assert judge(EX.question("q1"), answers["q1"], answers["q1"] - 2, variant=v).points == 2


def test_the_explorers_comparison_agrees_with_q5():
    """A perfect count in the explorer leads to the same q5 verdict as the answer key."""
    ex = start("ex07_blood_film", student="s005")
    v = ex.variant
    rows = {r.group: r for r in compare_differential(dict(v.extra["slide"].composition),
                                                     v.extra["analyser"])}
    within = rows[v.extra["group"]].within
    assert EX.answers(v)["q5"] == ("yes" if within else "no")
