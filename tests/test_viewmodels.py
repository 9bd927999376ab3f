"""The explorers' view models: pure functions from control values to what is displayed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbc_teach import CBC, InvalidParameterError, _svg, classify, reference_interval
from cbc_teach.causes import likely_causes
from cbc_teach.history import History
from cbc_teach.simulate import chemo_course, cohort
from cbc_teach.triage import triage
from cbc_teach.widgets import _render
from cbc_teach.widgets.viewmodels import (
    CBC_DEFAULTS,
    DIFFERENTIAL_CONTROLS,
    POPULATION_SAMPLE,
    POPULATION_SEED,
    case_view,
    cbc_from_values,
    cbc_view,
    convert_differential,
    population_view,
    reference_low,
    severity_bands,
    status_symbol,
    timecourse_view,
)

LOW_COUNT = dict(wbc=2.8, neutrophils=0.9, bands=0.0, lymphocytes=1.5, monocytes=0.3,
                 eosinophils=0.08, basophils=0.02)


def test_viewmodels_import_neither_ipywidgets_nor_matplotlib():
    """The pure view-model and rendering modules work without ipywidgets or matplotlib."""
    code = (
        "import sys\n"
        "import cbc_teach.widgets.viewmodels, cbc_teach.widgets._render, cbc_teach._svg\n"
        "print(','.join(m for m in ('ipywidgets', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_defaults_are_a_healthy_adult():
    """With no values the view is a healthy adult: everything normal, no findings."""
    view = cbc_view()
    assert view.error is None
    c = view.classification
    assert (c.wbc_status, c.anc_severity, c.findings) == ("normal", "none", frozenset())
    assert all(bar.status == "normal" for bar in view.bars)
    assert all(grade == 0 for _, grade, _ in view.ctcae)
    assert view.population_text == "adults, age 40 years"
    parts = [CBC_DEFAULTS[name] for name in DIFFERENTIAL_CONTROLS]
    assert sum(parts) == pytest.approx(CBC_DEFAULTS["wbc"])


def test_view_matches_classify_for_the_same_count():
    """The view's classification is exactly what classify() gives for the same count."""
    view = cbc_view(LOW_COUNT, red_cells_and_platelets=False)
    expected = classify(CBC(**LOW_COUNT), population="adult", age_years=40.0)
    c = view.classification
    assert (c.wbc_status, c.anc_severity, c.ctcae, c.findings) == (
        expected.wbc_status, expected.anc_severity, expected.ctcae, expected.findings)
    assert view.wbc_badge.text == "WBC 2.8 x10^9/L: ▼ LOW (below 4)"
    assert view.wbc_badge.detail == "leukopenia"
    assert view.anc_badge.text == "ANC 0.9 x10^9/L: ▼▼ MODERATE neutropenia (0.5 ≤ ANC < 1)"
    assert [b.analyte for b in view.bars] == ["wbc", "neutrophils", "lymphocytes", "monocytes",
                                               "eosinophils", "basophils"]


@pytest.mark.parametrize(
    ("anc", "severity", "symbol"),
    [(1.5, "none", "✓"), (1.49, "mild", "▼"), (1.0, "mild", "▼"), (0.99, "moderate", "▼▼"),
     (0.5, "moderate", "▼▼"), (0.49, "severe", "▼▼▼"), (0.05, "severe", "▼▼▼")],
)
def test_anc_badge_at_the_severity_boundaries(anc, severity, symbol):
    """The ANC badge names the severity in words and symbols at each boundary (data file)."""
    view = cbc_view(wbc=6.5, neutrophils=anc)
    assert view.anc_badge.status == severity
    assert symbol in view.anc_badge.text
    word = "no neutropenia" if severity == "none" else f"{severity.upper()} neutropenia"
    assert word in view.anc_badge.text


def test_profound_neutropenia_is_named():
    """An ANC below 0.1 is called profound in the badge's detail."""
    assert "profound" in cbc_view(wbc=1.0, neutrophils=0.05, lymphocytes=0.8, monocytes=0.1,
                                  eosinophils=0.03, basophils=0.02).anc_badge.detail


def test_bands_count_towards_the_anc():
    """Neutrophils plus bands make the ANC shown."""
    view = cbc_view(neutrophils=1.0, bands=0.6, lymphocytes=2.0, wbc=4.5)
    assert view.classification.anc == 1.6
    assert view.anc_badge.status == "none"


def test_an_invalid_count_gives_an_error_view_not_an_exception():
    """A differential larger than the WBC gives a message naming the WBC, and no results."""
    view = cbc_view(wbc=2.0)
    assert view.classification is None and view.cbc is None
    assert "'wbc'" in view.error and "differential" in view.error


def test_a_child_needs_an_age_in_range():
    """Children's intervals with an adult age give a message about the age."""
    view = cbc_view(population="child", age_years=40)
    assert "age_years" in view.error
    ok = cbc_view(population="child", age_years=5)
    assert ok.error is None and ok.population_text == "children, age 5 years"
    baby = cbc_view(population="child", age_years=0.5)
    assert baby.population_text == "children, age 6.0 months"


def test_unknown_control_and_bad_choices_raise():
    """Programming mistakes (unknown control, mode or sex) raise with the allowed values."""
    with pytest.raises(InvalidParameterError, match="Unknown control 'wcb'. Did you mean 'wbc'"):
        cbc_view(wcb=3)
    with pytest.raises(InvalidParameterError, match="'mode' control must be one of"):
        cbc_view(mode="relative")
    with pytest.raises(InvalidParameterError, match="'sex' control"):
        cbc_view(sex="M")


def test_percent_mode_reads_percentages_and_keeps_absolute_intervals():
    """In percent mode the differential is in % of the WBC; the bars still use absolute limits."""
    view = cbc_view(mode="percent", wbc=2.0, neutrophils=40, bands=0, lymphocytes=50,
                    monocytes=8, eosinophils=1, basophils=1)
    assert view.classification.anc == 0.8
    neut = next(b for b in view.bars if b.analyte == "neutrophils")
    assert (neut.value, neut.percent, neut.low) == (0.8, 40.0, 2.0)
    assert any("absolute counts" in note for note in view.notes)


def test_percentages_that_do_not_add_up_give_a_message():
    """Percentages adding up to more than 102 are refused with their sum."""
    view = cbc_view(mode="percent", neutrophils=70, bands=0, lymphocytes=30.8, monocytes=6.9,
                    eosinophils=3.1, basophils=0.8)
    assert "111.6" in view.error


@settings(max_examples=60, deadline=None)
@given(
    wbc=st.floats(0.5, 40),
    shares=st.lists(st.floats(0, 1), min_size=6, max_size=6).filter(lambda s: sum(s) > 0),
)
def test_converting_the_differential_round_trips(wbc, shares):
    """Absolute -> percent -> absolute returns every count within the controls' rounding."""
    total = sum(shares)
    parts = {name: round(wbc * s / total * 0.99, 2) for name, s in zip(DIFFERENTIAL_CONTROLS, shares)}
    values = {**CBC_DEFAULTS, "wbc": wbc, **parts}
    percent = convert_differential(values, "percent")
    back = convert_differential({**values, "mode": "percent", **percent}, "absolute")
    for name in DIFFERENTIAL_CONTROLS:
        # percent rounded to 0.1 -> at most 0.05 % of the WBC; absolute rounded to 0.01
        assert back[name] == pytest.approx(parts[name], abs=wbc * 0.0005 + 0.005 + 1e-9)


@settings(max_examples=60, deadline=None)
@given(anc=st.floats(0, 7.5), lower=st.floats(0, 7.5))
def test_a_lower_anc_never_shows_a_milder_badge(anc, lower):
    """Moving the neutrophils down never makes the ANC badge milder."""
    order = ["none", "mild", "moderate", "severe"]
    hi, lo = max(anc, lower), min(anc, lower)
    a = cbc_view(wbc=12.0, neutrophils=round(hi, 2)).anc_badge.status
    b = cbc_view(wbc=12.0, neutrophils=round(lo, 2)).anc_badge.status
    assert order.index(b) >= order.index(a)


def test_range_bars_cover_value_and_interval():
    """Each bar's scale reaches past both the value and the interval's upper limit."""
    view = cbc_view(wbc=30.0, neutrophils=25.0)
    for bar in view.bars:
        assert bar.axis_max > bar.value
        if bar.high is not None:
            assert bar.axis_max >= bar.high
        iv = reference_interval(bar.analyte, "adult", 40.0)
        assert (bar.low, bar.high) == (iv.low, iv.high)
    wbc = view.bars[0]
    assert (wbc.status, wbc.symbol) == ("high", "▲")


def test_untick_red_cells_leaves_them_out():
    """Without red cells and platelets, no hemoglobin, MCV or platelet bar appears."""
    view = cbc_view(red_cells_and_platelets=False)
    assert {"hemoglobin", "mcv", "platelets"}.isdisjoint(b.analyte for b in view.bars)
    assert cbc_from_values({**CBC_DEFAULTS, "red_cells_and_platelets": False}).hemoglobin is None


def test_severity_bands_come_from_the_data_file():
    """The three bands, mildest first, each with a source."""
    bands = severity_bands()
    assert [b["grade"] for b in bands] == ["mild", "moderate", "severe"]
    assert all(b["source"] for b in bands)
    assert status_symbol("unheard-of") == "•"


# --- rendering -------------------------------------------------------------------------------

def test_rendered_status_uses_words_and_symbols_besides_colour():
    """Every coloured badge and status cell also carries a symbol and a word."""
    parts = _render.cbc_html(cbc_view(LOW_COUNT))
    assert "▼ LOW" in parts["status"] and "▼▼ MODERATE neutropenia" in parts["status"]
    assert "▼ LOW</td>" in parts["details"]
    assert "✓ normal</td>" in parts["details"]
    assert parts["details"].count('role="img"') == len(cbc_view(LOW_COUNT).bars)


def test_rendering_is_deterministic():
    """The same view renders to the same bytes (notebooks compared by nbval stay stable)."""
    assert _render.cbc_html(cbc_view(LOW_COUNT)) == _render.cbc_html(cbc_view(LOW_COUNT))


def test_error_banner_keeps_the_message():
    """The error banner shows the message, escaped, and says the last result is kept."""
    text = _render.error_banner("a < b")
    assert "a &lt; b" in text and "last valid result" in text
    assert _render.error_banner(None) == ""


def test_range_bar_svg_has_an_accessible_name_and_marker():
    """The SVG has role img, a title and a marker at the value's position."""
    svg = _svg.range_bar(5.0, 2.0, 8.0, 10.0, "normal", "X 5")
    assert 'role="img"' in svg and "<title>X 5</title>" in svg
    assert 'cx="90"' in svg  # 5 of 10 on a 6..174 px scale


def test_nice_ticks_are_round_numbers():
    """Axis ticks fall on round numbers covering the range."""
    assert _svg.nice_ticks(0, 1.0) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert _svg.nice_ticks(0, 21, 4) == [0.0, 10.0, 20.0]
    assert _svg.nice_ticks(3, 3) == [3]


def test_a_short_differential_is_allowed_with_a_note():
    """Parts adding up to less than the WBC are a valid count, with a note saying so."""
    view = cbc_view(neutrophils=1.0)
    assert view.error is None
    assert any("not accounted for" in note for note in view.notes)
    percent = cbc_view(mode="percent", neutrophils=30.0, bands=0, lymphocytes=30, monocytes=5,
                       eosinophils=3, basophils=1)
    assert percent.error is None and percent.classification.anc == pytest.approx(1.95)
    assert any("(69.0 %, not 100 %)" in note for note in percent.notes)


# --- PopulationExplorer ----------------------------------------------------------------------

def test_population_view_counts_people_below_the_cut_off():
    """Each share is the count of simulated healthy people below the limit, out of all."""
    view = population_view(population="duffy_null", lower_limit=1.5)
    people = cohort(POPULATION_SAMPLE, population="duffy_null", seed=POPULATION_SEED)
    expected = int((people["neutrophils"] < 1.5).sum())
    row = view.chosen
    assert (row.population, row.n, row.n_below) == ("duffy_null", POPULATION_SAMPLE, expected)
    assert view.shares["duffy_null"] == expected / POPULATION_SAMPLE
    assert sum(row.counts) == POPULATION_SAMPLE
    assert f"({expected:,} of {POPULATION_SAMPLE:,})" in view.headline


def test_population_view_defaults_to_the_chosen_populations_own_limit():
    """Without a lower limit the view uses the chosen population's reference limit."""
    assert population_view(population="duffy_null").lower_limit == reference_low(
        "neutrophils", "duffy_null") == 1.2
    assert population_view().lower_limit == 2.0  # the adult ANC interval 2.0-7.5
    assert population_view(analyte="wbc").lower_limit == 4.0


def test_an_adult_cut_off_calls_more_duffy_null_adults_low():
    """The teaching point: the adult threshold 1.5 calls several times more Duffy-null adults low
    (NHANES, Hsieh 2007: 0.79 % of white US adults below 1.5)."""
    shares = population_view(lower_limit=1.5).shares
    assert shares["duffy_null"] > 2 * shares["adult"]
    assert 0.004 < shares["adult"] < 0.012


@pytest.mark.parametrize(
    ("population", "limit", "neutropenic"),
    [("adult", 2.0, False), ("adult", 1.5, True), ("adult", 1.45, False),
     ("duffy_null", 1.5, False), ("duffy_null", 1.2, True), ("child", 1.5, True)],
)
def test_the_headline_says_neutropenic_only_at_the_neutropenia_threshold(population, limit,
                                                                          neutropenic):
    """Below a reference limit is not neutropenia: the headline calls people neutropenic only
    when the cut-off is the population's neutropenia threshold (data/neutropenia_thresholds.csv),
    and otherwise says how many are below the limit and names the threshold."""
    from cbc_teach.severity import neutropenia_threshold

    view = population_view(population=population, lower_limit=limit)
    assert ("neutropenic" in view.headline) is neutropenic
    if not neutropenic:
        age = 10 if population == "child" else None
        threshold = neutropenia_threshold(population, age).value
        assert "below it" in view.headline
        assert f"ANC below {threshold:g}" in view.headline
    assert "neutropenic" not in population_view(analyte="wbc", lower_limit=limit).headline


@settings(max_examples=25, deadline=None)
@given(a=st.floats(0, 4), b=st.floats(0, 4))
def test_a_higher_cut_off_never_calls_fewer_people_low(a, b):
    """Raising the limit never lowers any population's share."""
    low, high = sorted((a, b))
    lo_view, hi_view = population_view(lower_limit=low), population_view(lower_limit=high)
    for name, share in lo_view.shares.items():
        assert hi_view.shares[name] >= share


def test_population_view_refuses_bad_values():
    """A bad limit gives an error view; unknown populations or counts raise."""
    assert "lower_limit" in population_view(lower_limit=-1.0).error
    with pytest.raises(InvalidParameterError, match="'population' control"):
        population_view(population="martians")
    with pytest.raises(InvalidParameterError, match="'analyte' control"):
        population_view(analyte="platelets")


def test_population_html_draws_one_panel_per_population():
    """One histogram per population, with the cut-off labelled and the chosen row marked."""
    view = population_view(population="duffy_null", lower_limit=1.5)
    parts = _render.population_html(view)
    assert parts["plot"].count("<svg") == len(view.rows)
    assert parts["plot"].count(">cut-off 1.5<") == len(view.rows)
    assert "Adults with the Duffy-null phenotype ◀ chosen" in parts["summary"]


# --- TimeCourseExplorer ----------------------------------------------------------------------


def test_timecourse_view_is_the_simulated_course():
    """The view's course is chemo_course() with the same settings; the comparison flips G-CSF."""
    view = timecourse_view(dose_fraction=0.8, cycles=2, patient=3)
    expected = chemo_course("docetaxel", cycles=2, dose_fraction=0.8, seed=3)
    assert view.course.nadir_anc == expected.nadir_anc
    assert view.course.days_below(0.5) == expected.days_below(0.5)
    assert (view.course.gcsf, view.comparison.gcsf) == (False, True)
    without, with_gcsf = view.rows
    assert (without.label, with_gcsf.label) == ("without G-CSF", "with G-CSF")
    assert without.nadir_anc == expected.nadir_anc
    assert without.recovery_day == expected.recovery_day
    assert f"nadir {expected.nadir_anc:.2f} x10^9/L" in view.headline


def test_patient_zero_is_the_typical_patient():
    """Patient 0 is chemo_course() without a seed (the published typical values)."""
    view = timecourse_view(compare=False)
    assert view.comparison is None and len(view.rows) == 1
    assert view.course.patient == "typical patient"
    assert view.course.nadir_anc == chemo_course("docetaxel").nadir_anc


def test_gcsf_effect_is_stated_with_both_numbers():
    """The effect line gives the nadir and the time below 0.5 with and without G-CSF."""
    view = timecourse_view(dose_fraction=1.5)
    off, on = view.rows
    assert on.days_below_severe < off.days_below_severe
    assert f"from {off.nadir_anc:.2f} to {on.nadir_anc:.2f}" in view.effect
    assert f"{off.days_below_severe:.1f} days to {on.days_below_severe:.1f} day" in view.effect


def test_severity_at_the_nadir_uses_the_bands():
    """The nadir's severity word comes from the data file's bands."""
    rows = {r.label: r for r in timecourse_view(dose_fraction=1.5).rows}
    nadir = rows["without G-CSF"].nadir_anc
    assert nadir < 0.5 and rows["without G-CSF"].severity == "severe neutropenia"


def test_timecourse_view_refuses_bad_values():
    """Unknown regimens and non-boolean switches raise; a bad number gives an error view."""
    with pytest.raises(InvalidParameterError, match="'regimen' control"):
        timecourse_view(regimen="vincristine")
    with pytest.raises(InvalidParameterError, match="'gcsf' control must be True or False"):
        timecourse_view(gcsf="yes")
    assert "'patient'" in timecourse_view(patient=-1).error
    assert "'cycles'" in timecourse_view(cycles=0).error


def test_timecourse_chart_marks_nadir_recovery_and_days_below():
    """The drawing labels the nadir and recovery and draws a bar for each stretch below 0.5."""
    view = timecourse_view(dose_fraction=1.5)
    svg = _render.timecourse_chart(view)
    row = view.rows[0]
    assert f"nadir {row.nadir_anc:.2f}, day {row.nadir_day:.1f}" in svg
    assert f"back to 1.5: day {row.recovery_day:.1f}" in svg
    assert svg.count('height="5" fill="#8c1d18"') == 1  # one stretch below 0.5
    assert "(log scale)" in svg
    linear = _render.timecourse_chart(timecourse_view(dose_fraction=1.5, log_scale=False))
    assert "(log scale)" not in linear


# --- CaseExplorer ----------------------------------------------------------------------------

FEBRILE = dict(wbc=1.2, neutrophils=0.3, lymphocytes=0.7, monocytes=0.15, eosinophils=0.03,
               basophils=0.02, temperature_c=38.6)


def test_case_view_matches_the_engine():
    """Causes and triage are exactly likely_causes() and triage() on the same count and history."""
    values = dict(wbc=2.5, neutrophils=0.6, lymphocytes=1.5, monocytes=0.3, eosinophils=0.05,
                  basophils=0.05, hemoglobin=11.5, platelets=180,
                  conditions=("rheumatoid_arthritis", "splenomegaly"), sex="female")
    view = case_view(values)
    history = History(age_years=40.0, sex="female", conditions=["RA", "splenomegaly"])
    assert view.history == history
    expected = likely_causes(view.cbc, history)
    assert [c.id for c in view.causes] == [c.id for c in expected]
    assert [r.probability for r in view.rows] == [c.probability for c in expected]
    assert view.triage.level == triage(view.cbc, history).level
    tests = [t for t, _ in view.next_tests]
    assert tests == expected.next_tests(3)


def test_febrile_neutropenia_is_an_emergency():
    """A temperature of 38.6 with an ANC of 0.3 is febrile neutropenia."""
    view = case_view(FEBRILE)
    assert (view.triage.level, view.triage.febrile_neutropenia) == ("emergency", True)
    parts = _render.case_html(view)
    assert 'role="alert"' in parts["triage"] and "FEBRILE NEUTROPENIA" in parts["triage"]


def test_history_from_values_uses_days_only_with_chemotherapy():
    """The days since chemotherapy count only with chemotherapy; the temperature when measured."""
    from cbc_teach.widgets.viewmodels import CASE_DEFAULTS, history_from_values

    assert history_from_values(CASE_DEFAULTS).days_since_chemotherapy is None
    assert history_from_values(CASE_DEFAULTS).temperature_c is None
    assert history_from_values({**CASE_DEFAULTS, "temperature_measured": True}).temperature_c \
        == CASE_DEFAULTS["temperature_c"]
    assert case_view(temperature_c=37.2).history.temperature_c == 37.2
    h = history_from_values({**CASE_DEFAULTS, "exposures": ("chemotherapy",),
                             "days_since_chemotherapy": 9, "fever_hours": 2.0,
                             "duffy_null": "null"})
    assert (h.days_since_chemotherapy, h.fever_hours, h.duffy_null) == (9.0, 2.0, True)
    assert history_from_values({**CASE_DEFAULTS, "fever_hours": 0.0}).fever_hours is None


def test_case_view_accepts_synonyms_and_explains_unknown_terms():
    """Synonyms become canonical terms; an unknown term gives an error view naming close ones."""
    assert case_view(conditions=("RA",)).history.conditions == ("rheumatoid_arthritis",)
    view = case_view(conditions=("lupuss",))
    assert view.causes is None and "Did you mean" in view.error
    with pytest.raises(InvalidParameterError, match="'duffy_null' control"):
        case_view(duffy_null="maybe")


def test_case_html_shows_every_cause_with_its_reasons():
    """Bars for the likeliest causes, reasons for and against, the rest in a table."""
    view = case_view(wbc=2.5, neutrophils=0.6, lymphocytes=1.5, monocytes=0.3,
                     eosinophils=0.05, basophils=0.05, conditions=("rheumatoid_arthritis",))
    parts = _render.case_html(view)
    top = view.rows[0]
    assert f"1. {top.name}" in parts["causes"]
    assert f"{100 * top.probability:.1f} %" in parts["causes"]
    assert "✓ for: " in parts["causes"]
    shown = parts["causes"].count('class="cbct-cause"')
    assert f"The other {len(view.rows) - shown} causes" in parts["causes"]
