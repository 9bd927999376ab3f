"""classify and classify_many against published limits and definitions.

The expected values in these tables are written from the published sources named beside them
(and SPEC.md), not read from the data files the code uses, so a wrong data row fails a test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbc_teach import (
    CBC,
    MissingAgeError,
    UnknownPopulationError,
    classify,
    classify_many,
)
from cbc_teach.errors import InvalidCountError, InvalidParameterError

SEVERITY_ORDER = {"none": 0, "mild": 1, "moderate": 2, "severe": 3}


# --- WBC status ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("population", "age", "wbc", "status"),
    [
        ("adult", None, 3.99, "low"),
        ("adult", None, 4.0, "normal"),  # Hoffbrand & Moss, Bain, Oxford: 4.0-11.0
        ("adult", None, 3.5, "low"),  # a patient-education page's 3.5 is not the textbook limit
        ("adult", None, 11.0, "normal"),
        ("adult", None, 11.01, "high"),
        ("duffy_null", None, 2.99, "low"),  # Hibbs 2025: WBC about 3.0-9.7
        ("duffy_null", None, 3.0, "normal"),
        ("duffy_null", None, 9.7, "normal"),
        ("duffy_null", None, 9.8, "high"),
        ("child", 0.01, 8.9, "low"),  # Iowa: 0-1 month 9.0-30.0, used for the first week
        ("child", 0.01, 9.0, "normal"),
        ("child", 0.01, 30.1, "high"),
        ("child", 21 / 365.25, 7.0, "normal"),  # a healthy 3-week-old with WBC 7 is not low
        ("child", 21 / 365.25, 4.9, "low"),
        ("child", 0.1, 4.9, "low"),  # Iowa: 1-3 months 5.0-19.5
        ("child", 0.1, 19.6, "high"),
        ("child", 0.5, 5.9, "low"),  # Iowa: 3-12 months 6.0-17.5
        ("child", 0.5, 17.5, "normal"),
        ("child", 1.5, 17.1, "high"),  # Iowa: 1-2 years 6.0-17.0
        ("child", 3, 5.4, "low"),  # Iowa: 2-4 years 5.5-15.5
        ("child", 3, 5.5, "normal"),
        ("child", 7, 4.4, "low"),  # Davis: 2-10 years 4.5-13.5
        ("child", 7, 13.6, "high"),
        ("child", 14, 11.1, "normal"),  # Davis: 11 years and over 4.5-11.1
        ("child", 14, 11.2, "high"),
    ],
)
def test_wbc_status_both_sides_of_each_limit(population, age, wbc, status):
    """The WBC is low below the lower limit and high above the upper one, per population."""
    assert classify(CBC(wbc), population=population, age_years=age).wbc_status == status


# --- neutropenia severity --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("population", "age", "anc", "severity"),
    [
        ("adult", None, 1.7, "none"),  # below the interval (about 1.8-2.0), not neutropenia
        ("adult", None, 1.5, "none"),  # Gibson & Berliner 2014: neutropenia ANC < 1.5
        ("adult", None, 1.49, "mild"),
        ("adult", None, 1.0, "mild"),  # mild 1.0 <= ANC < 1.5
        ("adult", None, 0.99, "moderate"),
        ("adult", None, 0.5, "moderate"),  # moderate 0.5 <= ANC < 1.0
        ("adult", None, 0.49, "severe"),  # severe < 0.5
        ("adult", None, 0.0, "severe"),
        ("duffy_null", None, 1.2, "none"),  # Hibbs 2025: Duffy-null ANC about 1.2-5.4
        ("duffy_null", None, 1.19, "mild"),
        ("child", 0.5, 1.0, "none"),  # ANC < 1.0 from 2 weeks to 1 year (Nathan and Oski)
        ("child", 0.5, 0.99, "moderate"),
        ("child", 3, 1.49, "mild"),  # ANC < 1.5 after one year
        ("child", 3, 1.5, "none"),
    ],
)
def test_anc_severity_both_sides_of_each_cut_off(population, age, anc, severity):
    """Severity: none at or above the population's neutropenia threshold, else its band."""
    wbc = max(anc, 1.0) + 3.0
    result = classify(CBC(wbc, neutrophils=anc), population=population, age_years=age)
    assert result.anc_severity == severity


def test_bands_count_toward_the_anc():
    """Neutrophils 1.3 + bands 0.3 = ANC 1.6: not neutropenic."""
    result = classify(CBC(4.0, neutrophils=1.3, bands=0.3))
    assert result.anc_severity == "none"
    assert "neutropenia" not in result.findings


def test_unknown_anc_gives_no_severity_and_no_neutrophil_grade():
    """Without neutrophils the severity is None and CTCAE has no neutrophil key."""
    result = classify(CBC(2.0))
    assert result.anc_severity is None
    assert result.ctcae == {"wbc_decreased": 2}


# --- CTCAE v5.0 ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("wbc", "grade"),
    [(4.0, 0), (3.99, 1), (3.0, 1), (2.99, 2), (2.0, 2), (1.99, 3), (1.0, 3), (0.99, 4), (0.1, 4)],
)
def test_ctcae_wbc_decreased(wbc, grade):
    """WBC decreased: <LLN-3.0 g1, <3.0-2.0 g2, <2.0-1.0 g3, <1.0 g4 (adult LLN 4.0)."""
    assert classify(CBC(wbc)).ctcae["wbc_decreased"] == grade


@pytest.mark.parametrize(
    ("anc", "grade"),
    [(2.0, 0), (1.99, 1), (1.7, 1), (1.5, 1), (1.49, 2), (1.0, 2), (0.99, 3), (0.5, 3), (0.49, 4),
     (0.0, 4)],
)
def test_ctcae_neutrophil_count_decreased(anc, grade):
    """Neutrophils: <LLN-1.5 g1 (adult LLN 2.0), <1.5-1.0 g2, <1.0-0.5 g3, <0.5 g4."""
    grades = classify(CBC(6.0, neutrophils=anc)).ctcae
    assert grades["neutrophil_count_decreased"] == grade


@pytest.mark.parametrize(
    ("lymphocytes", "grade"),
    [(1.0, 0), (0.99, 1), (0.8, 1), (0.79, 2), (0.5, 2), (0.49, 3), (0.2, 3), (0.19, 4)],
)
def test_ctcae_lymphocyte_count_decreased(lymphocytes, grade):
    """Lymphocytes: <LLN-0.8 g1, <0.8-0.5 g2, <0.5-0.2 g3, <0.2 g4 (adult LLN 1.0)."""
    grades = classify(CBC(6.0, lymphocytes=lymphocytes)).ctcae
    assert grades["lymphocyte_count_decreased"] == grade


def test_ctcae_grades_a_healthy_duffy_null_adult_by_fixed_thresholds():
    """REFERENCES.md: a Duffy-null ANC of 1.3 is normal for her population yet CTCAE grade 2."""
    result = classify(CBC(3.5, neutrophils=1.3), population="duffy_null")
    assert result.anc_severity == "none"
    assert result.ctcae["neutrophil_count_decreased"] == 2
    assert any("Duffy-null" in r for r in result.remarks)


def test_child_ctcae_grade_1_uses_the_childs_lower_limit():
    """For an infant the WBC LLN is 6.0, so a WBC of 5.0 is grade 1."""
    assert classify(CBC(5.0), population="child", age_years=0.5).ctcae["wbc_decreased"] == 1


# --- findings --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "present", "absent"),
    [
        ({"wbc": 6, "neutrophils": 0.09}, "profound_neutropenia", None),  # IDSA: < 0.1
        ({"wbc": 6, "neutrophils": 0.1}, None, "profound_neutropenia"),
        ({"wbc": 12, "neutrophils": 7.6}, "neutrophilia", None),  # Hoffbrand upper 7.5
        ({"wbc": 12, "neutrophils": 7.5}, None, "neutrophilia"),
        ({"wbc": 6, "lymphocytes": 0.99}, "lymphopenia", None),  # MSD: < 1.0
        ({"wbc": 6, "lymphocytes": 4.9}, "lymphocytosis", None),  # MSD: 1.0-4.8
        ({"wbc": 6, "monocytes": 0.19}, "monocytopenia", None),  # Oxford 0.2-1.0
        ({"wbc": 6, "monocytes": 1.01}, "monocytosis", None),
        ({"wbc": 6, "eosinophils": 0.51}, "eosinophilia", None),  # > 0.5
        ({"wbc": 6, "eosinophils": 0.5}, None, "eosinophilia"),
        ({"wbc": 6, "basophils": 0.11}, "basophilia", None),  # > 0.1
        ({"wbc": 6, "mcv": 100.1}, "macrocytosis", None),  # > 100 fL
        ({"wbc": 6, "mcv": 100}, None, "macrocytosis"),
        ({"wbc": 6, "mcv": 79.9}, "microcytosis", None),  # < 80 fL
        ({"wbc": 6, "platelets": 149}, "thrombocytopenia", None),  # < 150
        ({"wbc": 6, "platelets": 150}, None, "thrombocytopenia"),
        ({"wbc": 6, "platelets": 401}, "thrombocytosis", None),  # > 400
        ({"wbc": 6, "hemoglobin": 11.9}, "anemia", None),  # WHO: 12.0 without a sex
        ({"wbc": 6, "hemoglobin": 12.0}, None, "anemia"),
    ],
)
def test_findings_on_both_sides(kwargs, present, absent):
    """Each finding appears just past its limit and not at it."""
    wbc = kwargs.pop("wbc")
    findings = classify(CBC(wbc, **kwargs)).findings
    if present:
        assert present in findings
    if absent:
        assert absent not in findings


def test_hemoglobin_limit_depends_on_sex():
    """WHO: anemia below 13.0 g/dL in men, 12.0 in non-pregnant women."""
    cbc = CBC(6.0, hemoglobin=12.5)
    assert "anemia" in classify(cbc, sex="male").findings
    assert "anemia" not in classify(cbc, sex="female").findings
    assert any("No sex was given" in r for r in classify(cbc).remarks)


def test_pancytopenia_and_bicytopenia():
    """Three low lines are pancytopenia; two are bicytopenia (not both)."""
    pan = classify(CBC(2.0, neutrophils=0.8, hemoglobin=9.0, platelets=60)).findings
    assert {"pancytopenia", "leukopenia", "neutropenia", "anemia", "thrombocytopenia"} <= pan
    assert "bicytopenia" not in pan
    bi = classify(CBC(6.0, neutrophils=3.0, hemoglobin=9.0, platelets=60)).findings
    assert "bicytopenia" in bi and "pancytopenia" not in bi
    one = classify(CBC(2.0, neutrophils=0.8, hemoglobin=14, platelets=250)).findings
    assert not {"bicytopenia", "pancytopenia"} & one


def test_steroid_pattern_is_not_leukopenia():
    """Neutrophilia with lymphopenia and eosinopenia (as on prednisone) is a high WBC."""
    result = classify(CBC(14.0, neutrophils=12.5, lymphocytes=0.8, monocytes=0.6, eosinophils=0.0, basophils=0.05))
    assert result.wbc_status == "high"
    assert {"leukocytosis", "neutrophilia", "lymphopenia"} <= result.findings
    assert "leukopenia" not in result.findings


# --- errors ----------------------------------------------------------------------------------
def test_unknown_population_lists_known_ones():
    """An unknown population names the close match and every known population."""
    with pytest.raises(UnknownPopulationError, match=r"'duffy'.*Known: adult, child, duffy_null"):
        classify(CBC(5.0), population="duffy")
    assert issubclass(UnknownPopulationError, ValueError)


def test_child_needs_an_age():
    """The child population without age_years raises MissingAgeError with an example."""
    with pytest.raises(MissingAgeError, match="age_years=0.5"):
        classify(CBC(8.0), population="child")


@pytest.mark.parametrize("age", [18, 40, -1, "two"])
def test_child_age_out_of_range(age):
    """A child's age must be under 18 (the message suggests the adult population)."""
    with pytest.raises(InvalidParameterError, match="age_years"):
        classify(CBC(8.0), population="child", age_years=age)


def test_classify_needs_a_cbc():
    """Passing a number instead of a CBC explains what to pass."""
    with pytest.raises(InvalidParameterError, match=r"classify\(CBC"):
        classify(3.2)


# --- explanation -----------------------------------------------------------------------------
def test_explain_names_value_limit_and_source():
    """The explanation gives the value, the limit it crossed, and the source."""
    text = classify(CBC(3.2, neutrophils=0.9)).explain()
    assert "WBC 3.2 x10^9/L is LOW: below the lower limit 4" in text
    assert "MODERATE (0.5 <= ANC < 1)" in text
    assert "Gibson C, Berliner N" in text and "3043-3054" in text
    assert "1443" not in text  # the outpatient FN guideline does not define the bands
    assert "White blood cell decreased grade 1" in text  # 3.0 <= 3.2 < LLN 4.0
    assert "Neutrophil count decreased grade 3" in text  # 0.5 <= 0.9 < 1.0


def test_html_form_uses_text_not_only_colour():
    """The HTML form shows statuses as words and symbols."""
    page = classify(CBC(3.2, neutrophils=0.9))._repr_html_()
    assert "low" in page and "&#9660;" in page and "<table>" in page


# --- properties ------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(
    a=st.floats(0, 10, allow_nan=False),
    b=st.floats(0, 10, allow_nan=False),
    population=st.sampled_from(["adult", "duffy_null", "child"]),
    age=st.floats(0, 17.99),
)
def test_lower_anc_is_never_milder(a, b, population, age):
    """A lower ANC never gives a milder severity or a lower CTCAE grade."""
    lo, hi = sorted((a, b))
    kw = {"population": population, "age_years": age if population == "child" else None}
    r_lo = classify(CBC(20.0, neutrophils=lo), **kw)
    r_hi = classify(CBC(20.0, neutrophils=hi), **kw)
    assert SEVERITY_ORDER[r_lo.anc_severity] >= SEVERITY_ORDER[r_hi.anc_severity]
    assert r_lo.ctcae["neutrophil_count_decreased"] >= r_hi.ctcae["neutrophil_count_decreased"]


def _rows(draw_n, rng):
    wbc = rng.uniform(0.2, 30, draw_n).round(2)
    frac = rng.dirichlet([6, 3, 1, 0.5, 0.2], draw_n)
    parts = {
        name: (wbc * frac[:, i]).round(3)
        for i, name in enumerate(["neutrophils", "lymphocytes", "monocytes", "eosinophils", "basophils"])
    }
    return wbc, parts


@pytest.mark.parametrize("population", ["adult", "duffy_null", "child"])
@pytest.mark.parametrize("sex", [None, "male", "female"])
def test_classify_many_agrees_with_classify(population, sex):
    """The vectorized classifier gives the same labels, grades and findings row by row."""
    rng = np.random.default_rng(7)
    n = 400
    wbc, parts = _rows(n, rng)
    bands = (parts["neutrophils"] * rng.uniform(0, 0.1, n)).round(3)
    parts["neutrophils"] = parts["neutrophils"] - bands
    hb = rng.uniform(6, 19, n).round(1)
    mcv = rng.uniform(65, 125, n).round(1)
    plt = rng.uniform(20, 700, n).round(0)
    age = rng.uniform(0, 17.99, n) if population == "child" else None
    out = classify_many(wbc=wbc, bands=bands, hemoglobin=hb, mcv=mcv, platelets=plt,
                        population=population, age_years=age, sex=sex, **parts)
    for i in range(n):
        cbc = CBC(wbc[i], bands=bands[i], hemoglobin=hb[i], mcv=mcv[i], platelets=plt[i],
                  **{k: v[i] for k, v in parts.items()})
        one = classify(cbc, population=population, age_years=None if age is None else age[i], sex=sex)
        assert out["wbc_status"][i] == one.wbc_status
        assert out["anc_severity"][i] == one.anc_severity
        for term, grade in one.ctcae.items():
            assert out["ctcae"][term][i] == grade
            assert out[term][i] == grade
        got = {name for name, flags in out["findings"].items() if flags[i]}
        assert got == set(one.findings), (i, cbc)


def test_classify_many_without_neutrophils_omits_anc_keys():
    """Like classify, unknown counts give no severity and no grade."""
    out = classify_many(wbc=[2.0, 5.0])
    assert "anc_severity" not in out
    assert set(out["ctcae"]) == {"wbc_decreased"}


def test_classify_many_errors_name_the_row():
    """A bad element is reported with its field, row and value."""
    with pytest.raises(InvalidCountError, match=r"'wbc' value at row 1 .*got 7500.*7.5 x10\^9/L"):
        classify_many(wbc=[5.0, 7500.0])
    with pytest.raises(InvalidCountError, match=r"'neutrophils' value at row 0 is not a number"):
        classify_many(wbc=[5.0], neutrophils=[float("nan")])
    with pytest.raises(InvalidCountError, match="3 rows but 'wbc' has 2"):
        classify_many(wbc=[5.0, 6.0], neutrophils=[1, 2, 3])
    with pytest.raises(MissingAgeError):
        classify_many(wbc=[5.0], population="child")
    with pytest.raises(UnknownPopulationError):
        classify_many(wbc=[5.0], population="martian")


# --- reference interval versus neutropenia threshold (issue 12) -------------------------------
def test_adult_anc_of_1_7_is_below_the_interval_but_not_neutropenia():
    """ANC 1.7: below the interval (LLN 2.0), CTCAE grade 1, severity none, explained in words."""
    result = classify(CBC(4.5, neutrophils=1.7))
    assert result.anc_severity == "none"
    assert result.ctcae["neutrophil_count_decreased"] == 1
    assert "neutropenia" not in result.findings
    anc_row = next(c for c in result.comparisons if c.analyte == "neutrophils")
    assert anc_row.status == "low"
    text = result.explain()
    assert "below the reference interval" in text
    assert "neutropenia threshold 1.5" in text and "Neutropenia: none" in text


def test_classify_many_agrees_on_the_gap_between_interval_and_threshold():
    """The vectorized form gives the same labels for ANC 1.5-2.0."""
    out = classify_many(wbc=[5.0] * 4, neutrophils=[1.49, 1.5, 1.7, 2.0])
    assert out["anc_severity"].tolist() == ["mild", "none", "none", "none"]
    assert out["neutrophil_count_decreased"].tolist() == [2, 1, 1, 0]
    assert out["findings"]["neutropenia"].tolist() == [True, False, False, False]


@pytest.mark.parametrize(
    ("age_days", "anc", "severity"),
    [
        (0.25, 1.8, "none"),  # Manroe 1979: lower limit 1.8 at birth
        (0.25, 1.7, "mild"),
        (0.75, 7.8, "none"),  # 12-24 h: lower limit 7.8 at the peak
        (0.75, 5.0, "mild"),  # an ANC of 5 at 18 hours is low for the hour
        (4, 1.75, "none"),  # from 72 h: 1.75
        (4, 1.6, "mild"),
        (21, 1.0, "none"),  # from 2 weeks: ANC < 1.0 (Nathan and Oski)
        (21, 0.99, "moderate"),
    ],
)
def test_newborn_thresholds_follow_the_hours_of_life(age_days, anc, severity):
    """Newborn limits change by the hour (Manroe 1979), not one '< 5.0' for the first week."""
    result = classify(CBC(anc + 8.0, neutrophils=anc), population="child", age_days=age_days)
    assert result.anc_severity == severity
    many = classify_many(wbc=[anc + 8.0], neutrophils=[anc], population="child",
                         age_years=[age_days / 365.25])
    assert many["anc_severity"].tolist() == [severity]


def test_newborn_explanation_names_hours_and_the_threshold():
    """The explanation of an 18-hour-old gives the age in hours and the threshold it used."""
    text = classify(CBC(12.0, neutrophils=5.0), population="child", age_days=0.75).explain()
    assert "18 hours" in text and "threshold 7.8" in text and "Manroe" in text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"age_years": 0.1, "age_days": 3}, "not both"),
        ({"age_days": -1}, "age_days"),
        ({"age_days": "3"}, "age_days"),
    ],
)
def test_age_days_errors_name_the_argument(kwargs, match):
    """A wrong newborn age is a clear error naming 'age_days'."""
    with pytest.raises(InvalidParameterError, match=match):
        classify(CBC(10.0), population="child", **kwargs)


@pytest.mark.parametrize(
    ("age", "sex", "hb", "anemia"),
    [
        (1.0, None, 10.5, False),  # WHO 2024: 6-23 months < 10.5 g/dL
        (1.0, None, 10.4, True),
        (3.0, None, 10.9, True),  # 24-59 months < 11.0
        (3.0, None, 11.0, False),
        (8.0, None, 11.4, True),  # 5-11 years < 11.5
        (13.0, None, 11.9, True),  # 12-14 years < 12.0
        (16.0, "male", 12.9, True),  # men from 15 years < 13.0
        (16.0, "female", 12.9, False),  # non-pregnant women from 15 years < 12.0
    ],
)
def test_child_anemia_follows_the_2024_who_cut_offs(age, sex, hb, anemia):
    """Anaemia in children and adolescents uses the WHO 2024 haemoglobin cut-offs."""
    result = classify(CBC(8.0, hemoglobin=hb), population="child", age_years=age, sex=sex)
    assert ("anemia" in result.findings) is anemia
