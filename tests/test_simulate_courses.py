"""Chemotherapy courses (with and without G-CSF), cohorts of patients, viral courses."""

from __future__ import annotations

import numpy as np
import pytest

from cbc_teach.errors import InvalidParameterError, UnknownNameError
from cbc_teach.simulate import (
    TimeCourse,
    chemo_cohort,
    chemo_course,
    cohort,
    friberg,
    regimen,
    regimens,
    viral_course,
    viral_kinds,
)
from cbc_teach.simulate._common import params
from cbc_teach.simulate.cohorts import PARTS
from cbc_teach.simulate.courses import viral_profiles


@pytest.fixture(scope="module")
def typical():
    return chemo_course("docetaxel")


@pytest.fixture(scope="module")
def classes():
    """The same 1,000 simulated docetaxel patients without and with G-CSF."""
    return (chemo_cohort("docetaxel", 1000, seed=7),
            chemo_cohort("docetaxel", 1000, seed=7, gcsf=True))


# --- docetaxel: nadir and recovery --------------------------------------------------------------

def test_docetaxel_nadir_falls_on_day_7_to_8_and_recovers_before_day_21(typical):
    """Typical patient: nadir day 7-8 (about 0.9 x10^9/L), back to >= 1.5 before day 21."""
    assert 7.0 <= typical.nadir_day <= 8.0
    assert typical.nadir_anc == pytest.approx(0.90, abs=0.02)
    assert typical.recovery_day is not None and typical.recovery_day < 21
    assert 10 <= typical.recovery_day <= 11  # REFERENCES.md: back above 1.5 by day 10-11
    assert typical.days_below(0.5) == 0  # the typical patient never reaches grade 4


def test_the_course_agrees_with_friberg_on_a_fine_grid(typical):
    """chemo_course's grid reproduces friberg() with a very fine concentration grid (0.5 %)."""
    pk = regimen("docetaxel").pk
    t = np.concatenate([np.arange(0, 12, 0.002), np.arange(12, 21 * 24 + 1, 0.25)])
    fine = friberg(t, pk.concentration(t, doses=[(0, 180, 1)]), circ0=5.05, mtt_hours=88.7,
                   gamma=0.161, slope=8.58)
    at = np.searchsorted(t, typical.days * 24)
    assert np.abs(typical.anc / fine[at] - 1).max() < 0.005


def test_about_30_percent_of_a_class_reach_severe_neutropenia(classes):
    """With the published between-patient variability, ~30 % reach ANC < 0.5 (REFERENCES.md:
    'about 30 %'; 1,000 patients, so +/- 4 points)."""
    without, _ = classes
    assert 0.25 <= without.share_below(0.5) <= 0.36
    assert 7.0 <= np.median(without.nadir_day()) <= 8.5


def test_gcsf_shortens_the_time_below_0_5_like_crawford_1991(classes):
    """Among patients who reach ANC < 0.5 without G-CSF, G-CSF cuts the median time below 0.5
    by 70-95 % (Crawford 1991: 6 -> 1 day, 83 %), and fewer patients reach it at all."""
    without, with_gcsf = classes
    before, after = without.days_below(0.5), with_gcsf.days_below(0.5)
    affected = before > 0
    reduction = 1 - np.median(after[affected]) / np.median(before[affected])
    assert 0.70 <= reduction <= 0.95
    assert with_gcsf.share_below(0.5) < without.share_below(0.5)
    assert (after <= before + 1e-9).mean() > 0.95  # patient by patient, almost never longer


def test_gcsf_helps_a_sensitive_patient_and_stops_by_the_label_rule():
    """At 150 % of the dose the typical patient reaches grade 4; G-CSF shortens it, and stops
    once the ANC passes 10 after the expected nadir (filgrastim label)."""
    off = chemo_course("docetaxel", dose_fraction=1.5)
    on = chemo_course("docetaxel", dose_fraction=1.5, gcsf=True)
    assert off.days_below(0.5) > 1.0
    assert on.days_below(0.5) < 0.5 * off.days_below(0.5)
    (start, end), = on.gcsf_periods
    assert start == params()["gcsf"]["start_day"]
    assert end <= start + params()["gcsf"]["max_days"]
    stop_day = np.flatnonzero(on.days >= end)[0]
    assert end == start + params()["gcsf"]["max_days"] or on.anc[stop_day] >= 10.0


@pytest.mark.parametrize("fractions", [(0.5, 0.75, 1.0, 1.25, 1.5)])
def test_a_lower_dose_gives_a_milder_nadir(fractions):
    """The nadir rises as the dose falls (dose reduction to 75 mg/m2 after grade 4)."""
    nadirs = [chemo_course("docetaxel", dose_fraction=f).nadir_anc for f in fractions]
    assert nadirs == sorted(nadirs, reverse=True)
    assert len(set(nadirs)) == len(nadirs)


def test_no_dose_is_flat_at_baseline():
    """dose_fraction=0: the ANC stays at circ0; nothing to recover from."""
    flat = chemo_course("docetaxel", dose_fraction=0.0)
    assert np.all(flat.anc == regimen("docetaxel").circ0)
    assert flat.recovery_day is None and flat.days_below(1.5) == 0


def test_three_cycles_cover_63_days_with_a_nadir_in_each(typical):
    """Three cycles: doses on days 0, 21, 42; hourly samples; a nadir near day 7.6 of each."""
    course = chemo_course("docetaxel", cycles=3)
    assert course.dose_days == (0.0, 21.0, 42.0)
    assert course.days[0] == 0 and course.days[-1] == 63
    assert np.allclose(np.diff(course.days), 1 / 24)
    for (day, anc), start in zip(course.cycle_nadirs(), course.dose_days):
        assert day - start == pytest.approx(7.6, abs=0.3)
        assert anc == pytest.approx(typical.nadir_anc, abs=0.1)


def test_studies_differ_kloft_2006_gives_a_deeper_nadir(typical):
    """The Kloft 2006 fit (same PK) predicts a deeper nadir than Friberg 2002's."""
    kloft = chemo_course("docetaxel_kloft2006")
    assert kloft.nadir_anc < 0.5 < typical.nadir_anc
    assert set(regimens()) == {"docetaxel", "docetaxel_kloft2006"}


def test_patients_vary_with_the_seed_and_repeat_with_it(typical):
    """A seed is a reproducible patient; seeds differ; no seed is the typical patient."""
    a, b, c = (chemo_course("docetaxel", seed=s) for s in (1, 1, 2))
    assert np.array_equal(a.anc, b.anc) and not np.array_equal(a.anc, c.anc)
    assert np.array_equal(chemo_course("docetaxel", seed=5, variability=False).anc, typical.anc)
    assert a.patient == "patient drawn with seed 1" and typical.patient == "typical patient"
    assert a.parameters["circ0"] != typical.parameters["circ0"]


def test_cohort_patients_repeat_with_the_seed():
    """chemo_cohort with the same seed gives the same patients."""
    a, b = chemo_cohort("docetaxel", 5, seed=3), chemo_cohort("docetaxel", 5, seed=3)
    assert np.array_equal(a.anc, b.anc) and a.n == 5
    assert chemo_cohort("docetaxel", 1, seed=3).anc.shape[0] == 1


# --- the TimeCourse result --------------------------------------------------------------------

def _triangle() -> TimeCourse:
    days = np.arange(0.0, 11.0)
    anc = np.array([2.0, 2.0, 1.0, 0.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]) + 0.2
    return TimeCourse(days=days, anc=anc, label="test", kind="chemotherapy",
                      recovery_level=1.5, recovery_rule="ANC >= 1.5")


def test_days_below_and_recovery_interpolate_between_samples():
    """Time below x and the recovery day follow the straight lines between samples."""
    course = _triangle()  # V from 2.2 on day 1 to 0.2 on day 3 and back to 2.2 on day 5
    assert course.days_below(1.2) == pytest.approx(2.0)
    assert course.days_below(0.7) == pytest.approx(1.0)
    assert course.days_below(0.1) == 0
    assert course.nadir_day == 3 and course.nadir_anc == pytest.approx(0.2)
    assert course.recovery_day == pytest.approx(4.3)  # 1.2 on day 4, 2.2 on day 5


def test_recovery_is_none_when_not_recovered_or_never_low():
    """None when the ANC never fell below the level, or is still below at the end."""
    never = TimeCourse(days=np.arange(3.0), anc=np.array([2.0, 1.8, 2.0]), label="x",
                       kind="chemotherapy", recovery_level=1.5, recovery_rule="ANC >= 1.5")
    stuck = TimeCourse(days=np.arange(3.0), anc=np.array([2.0, 1.0, 0.8]), label="x",
                       kind="chemotherapy", recovery_level=1.5, recovery_rule="ANC >= 1.5")
    assert never.recovery_day is None and stuck.recovery_day is None
    assert "Never below 1.5" in never.summary()
    assert "Not back to ANC >= 1.5 by day 2" in stuck.summary()


def test_arrays_are_read_only(typical):
    """The course cannot be changed by accident."""
    with pytest.raises(ValueError):
        typical.anc[0] = 0


def test_summary_and_html_are_deterministic_and_name_the_numbers(typical):
    """The text states the nadir, the time below each level and the recovery."""
    text = typical.summary()
    assert text == chemo_course("docetaxel").summary() == str(typical)
    assert "ANC nadir 0.90 x10^9/L on day 7.6 (moderate neutropenia)" in text
    assert "Back to ANC >= 1.5 on day 10.3" in text
    html = typical._repr_html_()
    assert html == chemo_course("docetaxel")._repr_html_() and "<li>" in html
    with_gcsf = chemo_course("docetaxel", gcsf=True)._repr_html_()
    assert "teaching approximation" in with_gcsf


def test_plot_is_the_explorers_chart(typical):
    """plot() gives the explorer's own SVG chart (one chart, one home): bands, nadir, recovery
    and a text alternative made from the course's own numbers."""
    from cbc_teach.widgets.timecourse_model import timecourse_chart, timecourse_view

    chart = typical.plot(compare=chemo_course("docetaxel", gcsf=True))
    assert chart.svg == timecourse_chart(timecourse_view())
    assert f"nadir {typical.nadir_anc:.2f}, day {typical.nadir_day:.1f}" in chart.svg
    assert f"back to 1.5: day {typical.recovery_day:.1f}" in chart.svg
    assert typical.summary() in chart.alt and 'aria-label="' in chart.svg
    assert "severe (ANC &lt; 0.5)" in chart.legend
    assert repr(chart) == chart.alt and chart.svg in chart._repr_html_()
    assert "G-CSF given" in chemo_course("docetaxel", gcsf=True, cycles=2).plot().legend


def test_plot_of_a_viral_course_names_each_line():
    """A viral course draws the WBC, the ANC and the lymphocytes, each named at its end and in
    the legend with its own dash (colour is not the only cue)."""
    chart = viral_course("influenza").plot(log_scale=False)
    for name in ("WBC", "ANC", "lymphocytes"):
        assert f'font-weight="bold">{name}</text>' in chart.svg
    assert chart.svg.count("stroke-dasharray=\"2 3\"") >= 1
    assert "lymphocytes (dashed" in chart.legend and "(log scale)" not in chart.svg


def test_plot_marks_days_and_explains_what_it_cannot_do(typical):
    """marks= adds labelled days (in the picture and its text); matplotlib axes are refused
    with a message that says what to do instead."""
    chart = typical.plot(marks={8: "Mrs Dlamini: day 8"})
    assert "Mrs Dlamini: day 8" in chart.svg and "Marked: Mrs Dlamini: day 8 (day 8)." in chart.alt
    with pytest.raises(InvalidParameterError, match=r"ax.plot\(course.days, course.anc\)"):
        typical.plot(ax=object())
    with pytest.raises(InvalidParameterError, match="'compare' must be another TimeCourse"):
        typical.plot(compare="gcsf")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"regimen": "paclitaxel"}, UnknownNameError, "Known: docetaxel, docetaxel_kloft2006"),
        ({"cycles": 0}, InvalidParameterError, "'cycles' must be a whole number from 1 to 12; got 0"),
        ({"cycle_days": 3}, InvalidParameterError, "'cycle_days' must be a number from 7 to 56 days; got 3"),
        ({"dose_fraction": -0.5}, InvalidParameterError, "'dose_fraction' must be a number from 0 to 2"),
        ({"gcsf": "yes"}, InvalidParameterError, "'gcsf' must be True or False"),
        ({"days": 0}, InvalidParameterError, "'days'"),
        ({"seed": -3}, InvalidParameterError, "'seed'"),
        ({"variability": "yes"}, InvalidParameterError, "'variability'"),
    ],
)
def test_bad_course_arguments_get_clear_errors(kwargs, error, message):
    """Each bad argument is named with its value and what is allowed."""
    with pytest.raises(error) as info:
        chemo_course(**kwargs)
    assert message in str(info.value)


def test_days_below_rejects_a_negative_level(typical):
    """days_below(-1) is an error, not zero."""
    with pytest.raises(InvalidParameterError, match="'x'"):
        typical.days_below(-1)


# --- viral illness ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["influenza", "covid19", "dengue"])
def test_viral_courses_dip_and_recover(kind):
    """A transient dip: the lowest counts come on the data file's nadir day, and the WBC is back
    within 5 % of its start by the recovery day; the WBC is always the sum of its parts."""
    spec = params()["viral"][kind]
    course = viral_course(kind, days=30)
    assert course.nadir_day == pytest.approx(spec["nadir_day"], abs=0.05)
    assert course.wbc.min() < 0.8 * course.wbc[0]
    after = course.days >= spec["recovery_day"]
    assert np.all(np.abs(course.wbc[after] / course.wbc[0] - 1) < 0.05)
    assert course.recovery_day is not None and course.recovery_day < spec["recovery_day"]
    assert np.all(course.wbc > course.anc + course.lymphocytes)


def test_viral_timing_follows_the_sources():
    """Influenza dips within days of the symptoms; dengue's leukopenia falls in days 2-6;
    everything is back by about two weeks (COVID-19 by three)."""
    flu, dengue, covid = (viral_course(k) for k in ("influenza", "dengue", "covid19"))
    assert flu.nadir_day < 4 and flu.recovery_day < 14
    leukopenic = dengue.days[dengue.wbc < 4.0]  # the cut-off of Metkar 2019
    assert 2 <= leukopenic.min() <= 3 and 6 <= leukopenic.max() <= 7
    assert covid.recovery_day < 21


@pytest.mark.parametrize(
    ("kind", "measure", "target"),
    [
        ("influenza", lambda c: c["wbc"].min(axis=1) < 3.5, 1 / 3),  # Cunha 2005
        ("covid19", lambda c: c["lymphocytes"].min(axis=1) < 1.5, 0.832),  # Guan 2020
        ("covid19", lambda c: c["wbc"].min(axis=1) < 4.0, 0.337),  # Guan 2020
        ("dengue", lambda c: c["wbc"].min(axis=1) < 4.0, 0.717),  # Metkar 2019
    ],
)
def test_viral_magnitudes_match_the_reported_shares(kind, measure, target):
    """Across 4,000 simulated healthy adults falling ill, the share below the study's cut-off
    at the nadir matches the study within 5 points."""
    people = cohort(4000, seed=21)
    baseline = {cell: people[cell] for cell in PARTS}
    days = np.arange(0, 21.01, 1 / 24)
    counts = viral_profiles(kind, days, baseline, np.random.default_rng(3), 4000)
    assert np.mean(measure(counts)) == pytest.approx(target, abs=0.05)


def test_viral_patients_vary_with_the_seed():
    """With a seed the baseline, depth and timing vary; the same seed repeats."""
    a, b, c = (viral_course("dengue", seed=s) for s in (1, 1, 2))
    assert np.array_equal(a.wbc, b.wbc) and not np.array_equal(a.wbc, c.wbc)
    assert viral_kinds() == ("covid19", "dengue", "influenza")


def test_viral_errors():
    """Unknown illness names list the known ones."""
    with pytest.raises(UnknownNameError, match="Known: covid19, dengue, influenza"):
        viral_course("measles")
    with pytest.raises(InvalidParameterError, match="'days'"):
        viral_course("influenza", days=0)


def test_severe_neutropenia_is_the_norm_after_docetaxel_100():
    """Docetaxel 100 mg/m2: about 75 % of patients fall below 0.5 (Taxotere prescribing information).

    The Kloft 2006 fit, with its own published variability, reproduces the label within 10 points;
    the Friberg 2002 fit does not (its typical nadir is about 0.9), which the course says openly.
    """
    kloft = chemo_cohort("docetaxel_kloft2006", 500, seed=1).share_below(0.5)
    friberg = chemo_cohort("docetaxel", 500, seed=1).share_below(0.5)
    assert kloft == pytest.approx(0.75, abs=0.10)
    assert friberg < 0.5
