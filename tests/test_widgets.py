"""Every explorer, driven headlessly: labelled controls, nothing printed, synchronous updates.

ipywidgets works without a front end: setting a control's ``value`` runs the explorer's
observers at once, so each test sets values and reads ``.state`` and the displayed text.
"""

from __future__ import annotations

import re
import warnings

import ipywidgets as widgets
import pytest

from cbc_teach.widgets import CaseExplorer, CBCExplorer, PopulationExplorer, TimeCourseExplorer
from cbc_teach.widgets.consistency import DIFFERENTIAL
from cbc_teach.widgets.controls import CheckGroup, NumberSlider

EXPLORERS = {
    "cbc": CBCExplorer,
    "case": CaseExplorer,
    "timecourse": TimeCourseExplorer,
    "population": PopulationExplorer,
}

#: Standard ipywidgets controls: each can be reached with Tab and operated from the keyboard.
KEYBOARD_WIDGETS = (
    widgets.FloatSlider, widgets.IntSlider, widgets.BoundedFloatText, widgets.BoundedIntText,
    widgets.Dropdown, widgets.Checkbox, widgets.ToggleButtons, widgets.RadioButtons,
    widgets.IntText, NumberSlider, CheckGroup,
)
NUMERIC = (NumberSlider, widgets.BoundedFloatText, widgets.BoundedIntText, widgets.IntText)
UNIT = re.compile(r"\((x10\^9/L|% of WBC|g/dL|fL|years|°C|hours|days|× full dose|"
                  r"number[^)]*)\)")


@pytest.fixture(params=sorted(EXPLORERS))
def explorer(request):
    return EXPLORERS[request.param]()


def _trial_values(control):
    """A few values to drive a control through: its ends, a middle and every option."""
    if isinstance(control, widgets.Checkbox):
        return [not control.value, control.value]
    if isinstance(control, CheckGroup):
        options = control.terms
        return [tuple(options[:2]), tuple(options[-1:]), ()]
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons)):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return [*options, control.value]
    if isinstance(control, NUMERIC):
        lo = getattr(control, "min", 0)
        hi = getattr(control, "max", 100)
        middle = (lo + hi) / 2 if isinstance(control.value, float) else (lo + hi) // 2
        return [lo, hi, middle, control.value]
    raise AssertionError(f"no trial values for {type(control).__name__}")


def test_explorer_is_a_container_that_displays_as_itself(explorer):
    """Each explorer is an ipywidgets Box with a widget view, .controls and .state."""
    assert isinstance(explorer, widgets.Box)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert explorer.controls and explorer.state is not None
    assert explorer.state.error is None


def test_every_control_has_a_visible_label_unit_and_tooltip(explorer):
    """Each control has a description (with its unit for numbers) and a plain tooltip."""
    for name, control in explorer.controls.items():
        assert isinstance(control, KEYBOARD_WIDGETS), f"{name}: {type(control).__name__}"
        assert control.description.strip(), f"{name} has no label"
        assert len(control.tooltip or "") > 15, f"{name} has no tooltip"
        if isinstance(control, NumberSlider):
            assert control.unit or "number" in control.description, f"{name}: no unit"
        elif isinstance(control, NUMERIC):
            assert UNIT.search(control.description), f"{name}: no unit in {control.description!r}"
        style = getattr(control, "style", None)
        if style is not None and hasattr(style, "description_width"):
            assert style.description_width == "initial", f"{name}: label may be truncated"


def test_driving_every_control_prints_nothing_and_never_raises(explorer, capfd):
    """Setting each control to its ends and options writes nothing to stdout or stderr, and
    every state is a valid result for exactly what the controls show (#15)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, control in explorer.controls.items():
            for value in _trial_values(control):
                control.value = value
                state = explorer.state
                assert state is not None
                assert state.error is None, (name, value, state.error)
                assert dict(state.values) == {**state.values, **explorer.control_values()}, name
        explorer.reset()
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_each_change_updates_state_and_display_at_once(explorer):
    """A control change gives a new .state and the display is rewritten before returning."""
    for name, control in explorer.controls.items():
        for value in _trial_values(control)[:2]:
            before = explorer.state
            old_text = explorer.displayed_text()
            control.value = value
            if control.value != before.values.get(name):
                assert explorer.state is not before, name
            if explorer.state.error is not None:
                assert "Not updated" in explorer.displayed_text()
            elif explorer.state.values == before.values:
                assert explorer.displayed_text() == old_text
        explorer.reset()


def test_reset_restores_the_starting_values(explorer):
    """After moving every control, reset brings back the starting values and result."""
    start = explorer.control_values()
    start_text = explorer.displayed_text()
    for control in explorer.controls.values():
        control.value = _trial_values(control)[0]
    explorer.reset_button.click()
    assert explorer.control_values() == start
    assert explorer.state.error is None
    assert explorer.displayed_text() == start_text


def test_notebook_text_is_fixed_and_repr_is_deterministic(explorer):
    """The stored text/plain never changes (nbval-safe); repr() is the state, without ids."""
    name = type(explorer).__name__
    text = explorer._repr_mimebundle_()["text/plain"]
    # Plain words a student reads before the cell runs (#15): the title, no Python name.
    assert text.endswith(": an interactive explorer (run this cell to use it)")
    assert name not in text and "ipywidgets" not in text
    for control in explorer.controls.values():
        control.value = _trial_values(control)[0]
    assert explorer._repr_mimebundle_()["text/plain"] == text
    explorer.reset()
    assert repr(explorer) == repr(type(explorer)())
    assert repr(explorer).startswith(name + "(")
    assert not re.search(r"0x[0-9a-f]+|model_id|[0-9a-f]{32}", repr(explorer))


def test_set_values_refuses_unknown_controls(explorer):
    """An unknown control name raises an error naming it and listing the known ones."""
    with pytest.raises(ValueError, match="Unknown control 'no_such_control'"):
        explorer.set_values(no_such_control=1)


# --- CBCExplorer ------------------------------------------------------------------------------

LOW = dict(wbc=2.8, neutrophils=0.9, lymphocytes=1.5, monocytes=0.3, eosinophils=0.08,
           basophils=0.02)


def test_cbc_explorer_starts_as_a_healthy_adult():
    """The default explorer shows a normal WBC, no neutropenia, and every bar normal."""
    ex = CBCExplorer()
    c = ex.state.classification
    assert (c.wbc_status, c.anc_severity, c.population, c.age_years) == (
        "normal", "none", "adult", 40.0)
    text = ex.displayed_text()
    assert "WBC 6.5 x10^9/L: ✓ NORMAL" in text
    assert "ANC 3.8 x10^9/L: ✓ no neutropenia" in text
    assert "adults, age 40 years" in text
    assert "▼" not in text and "▲" not in text


@pytest.mark.parametrize(
    ("neutrophils", "severity", "shown", "grade"),
    [(2.1, "none", "✓ no neutropenia", 0), (1.6, "none", "✓ no neutropenia", 1), (1.2, "mild", "▼ MILD neutropenia", 2),
     (0.7, "moderate", "▼▼ MODERATE neutropenia", 3), (0.3, "severe", "▼▼▼ SEVERE neutropenia", 4)],
)
def test_moving_the_neutrophils_changes_severity_and_grade(neutrophils, severity, shown, grade):
    """Setting the neutrophil slider updates the severity badge and the CTCAE grade at once."""
    ex = CBCExplorer()
    ex.controls["neutrophils"].value = neutrophils
    c = ex.state.classification
    assert c.anc_severity == severity
    assert c.ctcae["neutrophil_count_decreased"] == grade
    text = ex.displayed_text()
    assert shown in text
    assert f"Neutrophil count decreased grade {grade}" in text


def test_low_count_shows_low_badges_findings_and_bars():
    """A low count shows LOW with a symbol, the findings, and LOW in the bars' status column."""
    ex = CBCExplorer(**LOW)
    text = ex.displayed_text()
    assert "WBC 2.8 x10^9/L: ▼ LOW (below 4) leukopenia" in text
    assert "Findings: leukopenia, neutropenia" in text
    assert "WBC 2.8 x10^9/L ▼ LOW 4-11 x10^9/L" in text
    assert ex.outputs["details"].value.count("<svg") == len(ex.state.bars)


def test_lowering_the_wbc_scales_the_differential_and_always_updates():
    """Issue #15: lowering the WBC below the differential once froze the explorer on the last
    result ("Not updated"); now every cell type scales with the WBC and the result updates."""
    ex = CBCExplorer()
    ex.controls["wbc"].value = 2.0
    assert ex.state.error is None
    assert ex.controls["neutrophils"].value == pytest.approx(3.8 * 2.0 / 6.5, abs=0.01)
    parts = sum(ex.controls[n].value for n in DIFFERENTIAL)
    assert parts <= 2.0 + 1e-9
    assert "WBC 2 x10^9/L: ▼ LOW" in ex.displayed_text()
    assert "Not updated" not in ex.displayed_text()


def test_the_teaching_move_neutrophils_then_wbc_shows_severe_neutropenia():
    """Issue #15: neutrophils to 0.4 then the WBC to 2.0 showed "normal"; now it shows what the
    controls show: a low WBC and severe neutropenia, with no message."""
    ex = CBCExplorer()
    ex.controls["neutrophils"].value = 0.4
    assert ex.controls["wbc"].value == pytest.approx(3.1)  # 6.5 - (3.8 - 0.4)
    ex.controls["wbc"].value = 2.0
    values = ex.control_values()
    assert ex.state.error is None
    assert ex.state.cbc.wbc == 2.0 and ex.state.cbc.neutrophils == values["neutrophils"]
    assert ex.state.classification.wbc_status == "low"
    assert ex.state.classification.anc_severity == "severe"
    assert "moving the WBC scales every cell type" in ex.displayed_text() or \
        "moving the WBC scales every cell type" in ex.children[2].children[0].children[1].value


def test_percent_mode_converts_and_relabels_the_differential():
    """Switching to percent converts the values, relabels the sliders and keeps the ANC."""
    ex = CBCExplorer(**LOW)
    anc = ex.state.classification.anc
    ex.controls["mode"].value = "percent"
    assert ex.controls["neutrophils"].value == pytest.approx(32.1)
    assert ex.controls["neutrophils"].unit == "% of WBC"
    assert ex.controls["neutrophils"].max == 100
    assert ex.controls["wbc"].unit == "x10^9/L"
    assert ex.state.classification.anc == pytest.approx(anc, abs=0.01)
    assert "0.899 x10^9/L (32.1 %) ▼ LOW" in ex.displayed_text()
    # Same percentages, smaller WBC: the absolute counts fall with it.
    ex.controls["wbc"].value = 1.4
    assert ex.state.classification.anc == pytest.approx(0.45, abs=0.01)
    assert ex.state.classification.anc_severity == "severe"
    ex.controls["mode"].value = "absolute"
    assert ex.controls["neutrophils"].value == pytest.approx(0.45, abs=0.01)
    assert ex.controls["neutrophils"].unit == "x10^9/L"
    assert ex.state.error is None


def test_percentages_cannot_rise_past_100():
    """In percent mode a percentage rises only as far as the others leave room for."""
    ex = CBCExplorer(mode="percent", neutrophils=58.5, lymphocytes=30.8, monocytes=6.9,
                     eosinophils=3.1, basophils=0.8)
    assert ex.state.error is None
    ex.controls["neutrophils"].value = 70.0
    assert ex.controls["neutrophils"].value == pytest.approx(58.4)  # 100 - 41.6
    assert ex.state.error is None
    assert "at most 100 %" in ex.children[2].children[0].children[1].value


def test_population_and_age_change_the_intervals():
    """Duffy-null intervals call an ANC of 1.3 normal; children need an age under 18."""
    ex = CBCExplorer(wbc=3.2, neutrophils=1.3, lymphocytes=1.5, monocytes=0.3, eosinophils=0.05,
                     basophils=0.05)
    assert ex.state.classification.anc_severity == "mild"
    ex.controls["population"].value = "duffy_null"
    assert ex.state.classification.anc_severity == "none"
    assert ex.state.classification.ctcae["neutrophil_count_decreased"] == 2
    assert "Duffy-null" in ex.displayed_text()
    ex.controls["population"].value = "child"  # issue #15: this gave an error in Python words
    assert ex.state.error is None
    assert ex.controls["age_years"].value == 10.0  # a school-age child by default
    ex.controls["age_years"].value = 1.5
    assert ex.state.error is None
    assert "children, age 1.5 years" in ex.displayed_text()
    assert ex.state.classification.wbc_status == "low"  # 6.0-17.0 at 1-2 years


def test_red_cells_and_platelets_can_be_left_out():
    """Unticking the box disables the three sliders and drops their bars."""
    ex = CBCExplorer()
    ex.controls["red_cells_and_platelets"].value = False
    assert ex.controls["hemoglobin"].disabled and ex.controls["platelets"].disabled
    assert "Hemoglobin" not in ex.displayed_text()
    ex.controls["hemoglobin"].value = 9.0
    assert "anemia" not in ex.state.classification.findings
    ex.controls["red_cells_and_platelets"].value = True
    assert "anemia" in ex.state.classification.findings


def test_sex_refines_the_hemoglobin_limit():
    """A hemoglobin of 12.5 is anemia for a man, not for a woman."""
    ex = CBCExplorer(hemoglobin=12.5, sex="female")
    assert "anemia" not in ex.state.classification.findings
    ex.controls["sex"].value = "male"
    assert "anemia" in ex.state.classification.findings


def test_starting_values_and_unknown_names():
    """Keyword arguments set the start (and reset target); unknown names raise at once."""
    ex = CBCExplorer(**LOW)
    ex.controls["neutrophils"].value = 2.0
    ex.reset()
    assert ex.controls["neutrophils"].value == 0.9
    with pytest.raises(ValueError, match="Unknown control 'neutrophil'"):
        CBCExplorer(neutrophil=1.0)


def test_reset_from_percent_mode_restores_absolute_sliders():
    """Reset after switching to percent brings back absolute labels and values."""
    ex = CBCExplorer()
    ex.controls["mode"].value = "percent"
    ex.controls["neutrophils"].value = 40.0
    ex.reset()
    assert ex.controls["mode"].value == "absolute"
    assert ex.controls["neutrophils"].unit == "x10^9/L"
    assert ex.controls["neutrophils"].value == 3.8
    assert ex.state.error is None


# --- PopulationExplorer -----------------------------------------------------------------------


def test_population_explorer_starts_at_the_adult_limit():
    """By default: adults chosen, the ANC, and the adult lower limit 2.0 as the cut-off."""
    ex = PopulationExplorer()
    assert ex.control_values() == {"population": "adult", "analyte": "neutrophils",
                                   "lower_limit": 2.0}
    assert set(ex.state.shares) == {"adult", "child", "duffy_null"}
    assert "A lower limit of 2 x10^9/L puts" in ex.displayed_text()
    assert ex.outputs["plot"].value.count("<svg") == 3


def test_moving_the_cut_off_changes_every_share_and_the_text():
    """Raising the cut-off raises each population's share, in the state and on screen."""
    ex = PopulationExplorer(population="duffy_null")
    before = ex.state.shares
    ex.controls["lower_limit"].value = 2.0
    after = ex.state.shares
    assert all(after[p] > before[p] for p in before)
    share = 100 * after["duffy_null"]
    assert f"puts {share:.1f} % of healthy adults with the Duffy-null phenotype below it" in \
        ex.displayed_text()
    assert ">cut-off 2<" in ex.outputs["plot"].value


def test_switching_to_the_wbc_moves_the_cut_off_to_its_limit():
    """Choosing the WBC sets the cut-off to the chosen population's WBC limit."""
    ex = PopulationExplorer(population="duffy_null")
    ex.controls["analyte"].value = "wbc"
    assert ex.controls["lower_limit"].value == 3.0
    assert ex.state.analyte == "wbc" and ex.state.lower_limit == 3.0
    assert "WBC (x10^9/L) of simulated healthy people" in ex.displayed_text()


def test_own_limit_button_uses_the_chosen_populations_limit():
    """The button puts the cut-off at the chosen population's own lower reference limit."""
    ex = PopulationExplorer(lower_limit=2.5)
    ex.controls["population"].value = "duffy_null"
    ex.own_limit_button.click()
    assert ex.controls["lower_limit"].value == 1.2
    # About 2.5 % by construction; the simulated cohorts match the interval's percentiles
    # within 10 % of the limit, which moves the share by about half a point either way.
    assert 0.015 <= ex.state.shares["duffy_null"] <= 0.035


# --- TimeCourseExplorer -----------------------------------------------------------------------


def _severe_patient() -> int:
    """A simulated patient whose ANC falls below 0.5 without G-CSF (found, not assumed)."""
    from cbc_teach.simulate import chemo_course

    return next(p for p in range(1, 21) if chemo_course("docetaxel", seed=p).days_below(0.5) > 1)


def test_timecourse_explorer_starts_with_the_typical_patient():
    """One full-dose docetaxel cycle, typical patient, without G-CSF, compared with G-CSF."""
    ex = TimeCourseExplorer()
    course = ex.state.course
    assert (course.regimen, course.cycles, course.gcsf, course.patient) == (
        "docetaxel", 1, False, "typical patient")
    assert ex.state.comparison.gcsf is True
    text = ex.displayed_text()
    assert f"Without G-CSF: nadir {course.nadir_anc:.2f} x10^9/L on day {course.nadir_day:.1f}" \
        in text
    assert "without G-CSF ◀ chosen" in text
    assert ex.outputs["plot"].value.count("<svg") >= 1


def test_gcsf_switch_swaps_the_chosen_course_and_shortens_severe_neutropenia():
    """Ticking G-CSF makes the G-CSF course the chosen one; its time below 0.5 is shorter."""
    ex = TimeCourseExplorer(patient=_severe_patient())
    without = ex.state.course.days_below(0.5)
    ex.controls["gcsf"].value = True
    assert ex.state.course.gcsf and not ex.state.comparison.gcsf
    assert ex.state.course.days_below(0.5) < without
    assert "with G-CSF ◀ chosen" in ex.displayed_text()
    assert "G-CSF given" in ex.displayed_text()


def test_lower_dose_raises_the_nadir():
    """Moving the dose slider down raises the nadir, in the state and in the headline."""
    ex = TimeCourseExplorer()
    full = ex.state.course.nadir_anc
    ex.controls["dose_fraction"].value = 0.6
    assert ex.state.course.nadir_anc > full
    assert f"nadir {ex.state.course.nadir_anc:.2f}" in ex.displayed_text()


def test_more_cycles_draw_each_dose():
    """Three cycles give three doses, each drawn as a dotted line."""
    ex = TimeCourseExplorer()
    ex.controls["cycles"].value = 3
    assert ex.state.course.dose_days == (0.0, 21.0, 42.0)
    assert ex.outputs["plot"].value.count('stroke="#777777"') == 3


def test_days_below_half_and_recovery_are_marked():
    """The plot marks each stretch with ANC < 0.5 and the recovery day; the table lists them."""
    ex = TimeCourseExplorer(patient=_severe_patient())
    row = ex.state.rows[0]
    plot = ex.outputs["plot"].value
    assert 'height="5" fill="#8c1d18"' in plot
    assert f"back to 1.5: day {row.recovery_day:.1f}" in plot
    assert re.search(rf"without G-CSF ◀ chosen {row.nadir_anc:.2f} {row.nadir_day:.1f} "
                     rf"severe neutropenia {row.days_below_severe:.1f}", ex.displayed_text())


def test_comparison_can_be_switched_off():
    """Without the comparison only the chosen course is computed and listed."""
    ex = TimeCourseExplorer()
    ex.controls["compare"].value = False
    assert ex.state.comparison is None and len(ex.state.rows) == 1
    assert "with G-CSF" not in ex.displayed_text()


# --- CaseExplorer -----------------------------------------------------------------------------

FEBRILE = dict(wbc=1.2, neutrophils=0.3, lymphocytes=0.7, monocytes=0.15, eosinophils=0.03,
               basophils=0.02)


def test_case_explorer_starts_healthy_with_no_action_needed():
    """A healthy adult with no history: triage none, no low count to explain."""
    ex = CaseExplorer()
    assert ex.state.triage.level == "none"
    assert ex.state.history.conditions == () and ex.state.error is None
    assert "Triage: ✓ NONE: NO ACTION NEEDED" in ex.displayed_text()
    assert ex.state.causes[0].probability == max(c.probability for c in ex.state.causes)


def test_fever_with_severe_neutropenia_shows_the_febrile_neutropenia_banner():
    """Raising the temperature on a severe neutropenia turns the triage into an emergency."""
    ex = CaseExplorer(**FEBRILE)
    assert ex.state.triage.level in ("routine", "urgent")
    ex.controls["temperature_c"].value = 38.6
    assert ex.state.triage.febrile_neutropenia is True
    assert ex.state.triage.level == "emergency"
    assert "⚠ EMERGENCY: FEBRILE NEUTROPENIA" in ex.displayed_text()
    assert 'role="alert"' in ex.outputs["triage"].value
    ex.controls["temperature_c"].value = 37.0
    assert "FEBRILE NEUTROPENIA" not in ex.displayed_text()


def test_a_warning_symptom_makes_a_low_count_urgent():
    """A low count with severe diarrhoea is urgent, shown with its symbol."""
    ex = CaseExplorer(wbc=2.8, neutrophils=1.2, lymphocytes=1.2, monocytes=0.3,
                      eosinophils=0.05, basophils=0.05)
    assert ex.state.triage.level == "routine"
    ex.controls["symptoms"].value = ("severe_diarrhea",)
    assert ex.state.triage.level == "urgent"
    assert "Triage: ! URGENT" in ex.displayed_text()


def test_conditions_accept_a_tuple_of_canonical_terms():
    """Setting the conditions re-ranks the causes and shows the top one with its reasons."""
    ex = CaseExplorer(wbc=2.5, neutrophils=0.6, lymphocytes=1.5, monocytes=0.3,
                      eosinophils=0.05, basophils=0.05, hemoglobin=11.5, platelets=180)
    ex.controls["conditions"].value = ("rheumatoid_arthritis", "splenomegaly")
    assert ex.state.history.conditions == ("rheumatoid_arthritis", "splenomegaly")
    top = ex.state.causes[0]
    assert top.id == "rheumatoid_arthritis"
    text = ex.displayed_text()
    assert f"1. {top.name}" in text and f"{100 * top.probability:.1f} %" in text
    assert f"✓ for: {top.why[0]}" in text
    for test in ex.state.causes.next_tests(1):
        assert test in text


def test_chemotherapy_timing_applies_only_with_the_exposure():
    """The days-since-chemotherapy slider is disabled until chemotherapy is selected."""
    ex = CaseExplorer(**FEBRILE)
    days = ex.controls["days_since_chemotherapy"]
    assert days.disabled and ex.state.history.days_since_chemotherapy is None
    ex.controls["exposures"].value = ("chemotherapy",)
    assert not days.disabled
    days.value = 9
    assert ex.state.history.days_since_chemotherapy == 9
    assert ex.state.causes[0].id == "chemotherapy"


def test_warning_signs_come_first_and_are_marked():
    """The symptom list starts with the seven warning signs, each marked ⚠."""
    from cbc_teach.triage import warning_signs

    options = CaseExplorer().controls["symptoms"].options
    first = options[:len(warning_signs())]
    assert {o["term"] for o in first} == set(warning_signs())
    assert all(o["warn"] and o["group"] == "Warning signs" for o in first)
    assert not any(o["warn"] for o in options[len(warning_signs()):])


def test_case_explorer_keeps_synonyms_and_unknown_medications():
    """Synonyms become canonical values; an unknown medication is kept with a remark."""
    ex = CaseExplorer(conditions=("RA",), medications=("zyprexa",))
    assert ex.controls["conditions"].value == ("rheumatoid_arthritis",)
    assert ex.controls["medications"].value == ("zyprexa",)
    assert "knows nothing about the medication 'zyprexa'" in ex.displayed_text()


def test_lowering_the_wbc_in_the_case_explorer_updates_the_causes():
    """Issue #15: a WBC below its differential froze the ranking; now the differential
    scales with it and the causes are ranked for the count the controls show."""
    ex = CaseExplorer()
    causes = ex.state.causes
    ex.controls["wbc"].value = 1.0
    assert ex.state.error is None and ex.state.causes is not causes
    assert ex.state.cbc.wbc == 1.0
    assert ex.state.cbc.neutrophils == ex.controls["neutrophils"].value < 1.0
    assert "Not updated" not in ex.displayed_text()


def test_case_loading_controls_are_labelled():
    """The load-a-case controls have labels and tooltips too."""
    ex = CaseExplorer()
    for name, control in ex.case_controls.items():
        assert control.description.strip() and len(control.tooltip or "") > 15, name
    assert UNIT.search(ex.case_controls["seed"].description)


def test_every_simulated_case_loads_exactly():
    """Loading case(cause, seed) puts its count and history into the controls unchanged."""
    from cbc_teach.simulate import case, case_ids

    ex = CaseExplorer()
    for cause_id in case_ids():
        cbc, history = case(cause_id, seed=1)
        ex.load_case(cause_id, seed=1)
        assert ex.state.error is None, cause_id
        assert ex.state.history == history, cause_id
        assert ex.state.cbc == cbc.replace(bands=cbc.bands or 0.0), cause_id
        assert ex.loaded_case == (cause_id, 1)


def test_load_button_hides_then_reveals_the_true_cause():
    """The load button fills the case; the cause is hidden until 'Show the true cause'."""
    from cbc_teach.causes import known_causes

    ex = CaseExplorer()
    ex.case_controls["cause"].value = "drug_induced"
    ex.case_controls["seed"].value = 3
    ex.case_controls["load"].click()
    name = known_causes()["drug_induced"]
    text = ex.displayed_text()
    assert "Simulated case number 3. Its true cause is hidden" in text
    assert "True cause" not in text
    ex.case_controls["reveal"].value = True
    rank = ex.state.causes.rank("drug_induced")
    assert f"True cause: {name}. Ranked {rank} here" in ex.displayed_text()
    ex.reset()
    assert ex.loaded_case is None and "Simulated case" not in ex.displayed_text()


def test_temperature_counts_only_when_measured():
    """An untouched temperature is 'not measured'; moving the slider marks it measured."""
    ex = CaseExplorer()
    assert ex.state.history.temperature_c is None
    ex.controls["temperature_c"].value = 37.5
    assert ex.controls["temperature_measured"].value is True
    assert ex.state.history.temperature_c == 37.5
    ex.controls["temperature_measured"].value = False
    assert ex.state.history.temperature_c is None


def test_starting_values_that_disagree_are_made_consistent():
    """An explorer opened with a WBC alone scales the differential to it; opened with a
    differential larger than its WBC, the WBC becomes the differential's sum (#15)."""
    ex = CBCExplorer(wbc=2.0)
    assert ex.state.error is None and ex.state.cbc.wbc == 2.0
    assert ex.controls["neutrophils"].value == pytest.approx(1.16)
    ex = CBCExplorer(wbc=2.0, neutrophils=3.0)
    assert ex.state.error is None and ex.controls["wbc"].value == pytest.approx(5.7)
    ex.controls["wbc"].value = 8.0
    ex.reset()
    assert ex.controls["wbc"].value == pytest.approx(5.7)


def test_slider_ranges_widen_for_values_outside_them():
    """A value beyond a slider's end (a loaded case with a WBC of 80) is kept, not clipped."""
    ex = CBCExplorer()
    ex.set_values(wbc=80.0, neutrophils=70.0)
    assert ex.controls["wbc"].value == 80.0 and ex.state.cbc.wbc == 80.0
    assert "leukocytosis" in ex.state.classification.findings
    ex.reset()
    assert ex.controls["wbc"].max == 200.0


def test_case_verdict_can_wait_behind_a_button():
    """Issue #15: a case's verdict can be hidden until the student presses the button; the
    explorer keeps computing (so the verdict is current when shown)."""
    ex = CaseExplorer()
    assert not ex.verdict_hidden
    ex.hide_verdict()
    assert ex.verdict_hidden
    assert all(o.layout.display == "none" for o in ex.outputs.values())
    ex.controls["neutrophils"].value = 0.3
    assert ex.state.classification.anc_severity == "severe"
    ex.verdict_button.click()
    assert not ex.verdict_hidden and ex.outputs["strip"].layout.display is None


@pytest.mark.parametrize("factory", [CBCExplorer, CaseExplorer])
def test_no_python_words_in_what_a_student_reads(factory):
    """Issue #15: the notes said "pass sex='male'"; an explorer names settings in words."""
    ex = factory(hemoglobin=12.5, age_years=10.0)
    text = ex.displayed_text()
    assert "choose male as the sex" in text
    assert not re.search(r"\w+=['\"]|\b(age_years|population)=", text), text


class _RecordingComm:
    """Stands in for a kernel comm: records, in order, what each widget sends to the page."""

    kernel = "a kernel"

    def __init__(self, log: list, name: str) -> None:
        self.log, self.name, self.comm_id = log, name, f"comm-{name}"

    def on_msg(self, *args, **kwargs) -> None:
        pass

    def send(self, data=None, buffers=None, **kwargs) -> None:
        self.log.append((self.name, data["method"], tuple(data.get("state", {}))))

    def close(self, *args, **kwargs) -> None:
        pass


def test_a_key_press_sends_the_results_before_the_controls_that_follow():
    """Moving the WBC (as a key press in the page does) sends the new result strip first;
    the differential sliders that follow send one message each, afterwards: the page shows
    the result one round of messages sooner."""
    ex = CBCExplorer()
    log: list = []
    for name, widget in [*ex.controls.items(), *ex.outputs.items()]:
        widget.comm = _RecordingComm(log, name)
    ex.controls["wbc"].set_state({"value": 3.2})  # what the page's message does
    sent = [name for name, method, _state in log if method == "update"]
    followers = ("neutrophils", "lymphocytes", "monocytes", "eosinophils", "basophils")
    assert sent[0] == "status", sent
    assert all(sent.count(name) == 1 for name in followers), sent
    assert max(sent.index(name) for name in ex.outputs) < min(sent.index(n) for n in followers)
    assert ex.controls["neutrophils"].value == pytest.approx(3.8 * 3.2 / 6.5, abs=0.01)
