"""Tests for cbc_teach.triage: febrile neutropenia (IDSA) and the warning signs of a low count."""

from __future__ import annotations

import pytest

from cbc_teach import CBC, History, Triage, triage
from cbc_teach.errors import InvalidParameterError, MissingAgeError
from cbc_teach.triage import LEVELS, warning_signs

SEVEN = ("fever", "difficulty_breathing", "extreme_fatigue", "severe_diarrhea",
         "nausea_vomiting", "abdominal_pain", "confusion")

LOW_ANC = CBC(1.0, neutrophils=0.3)      # ANC < 0.5
MID_ANC = CBC(1.6, neutrophils=0.8)      # 0.5 <= ANC < 1.0
MILD = CBC(2.8, neutrophils=1.2)         # leukopenia, mild neutropenia
NORMAL = CBC(6.0, neutrophils=3.5, lymphocytes=1.8)


def test_the_seven_warning_signs_are_the_seed_pages():
    """The warning signs are the seven of the seed page."""
    assert warning_signs() == SEVEN


# --- the IDSA rule at its boundaries ----------------------------------------------------------

@pytest.mark.parametrize(
    ("temperature", "hours", "expected"),
    [
        (38.3, None, True),    # a single reading of 38.3 qualifies
        (38.29, None, False),
        (38.2, 5, True),       # >= 38.0 sustained for an hour or more
        (38.0, 1, True),       # exactly 38.0 for exactly one hour
        (38.0, 0.99, False),   # less than an hour
        (38.0, None, False),   # duration unknown
        (37.99, 3, False),     # below 38.0, however long
        (40.1, 0, True),
    ],
)
def test_fever_boundaries(temperature, hours, expected):
    """IDSA fever: one reading >= 38.3 C, or >= 38.0 C for at least an hour."""
    t = triage(LOW_ANC, History(temperature_c=temperature, fever_hours=hours))
    assert t.febrile_neutropenia is expected
    assert (t.level == "emergency") is expected


@pytest.mark.parametrize(
    ("anc", "days", "expected"),
    [
        (0.49, None, True),    # ANC < 0.5
        (0.5, None, False),    # exactly 0.5 is not below 0.5
        (0.5, 10, True),       # ... but below 1.0 within 14 days of chemotherapy
        (0.99, 14, True),      # day 14 is within the last 14 days
        (0.99, 14.5, False),
        (0.99, 15, False),
        (0.99, 0, True),
        (1.0, 7, False),       # exactly 1.0 is not below 1.0
        (0.8, None, False),    # no chemotherapy: not expected to fall
    ],
)
def test_neutropenia_boundaries(anc, days, expected):
    """IDSA neutropenia: ANC < 0.5, or ANC < 1.0 within 14 days of chemotherapy."""
    cbc = CBC(2.0, neutrophils=anc)
    t = triage(cbc, History(temperature_c=38.5, days_since_chemotherapy=days))
    assert t.febrile_neutropenia is expected
    assert t.level == ("emergency" if expected else "urgent")  # still fever with a low count


def test_febrile_neutropenia_reasons_name_the_rule_and_the_numbers():
    """The reasons give the temperature, the ANC, the rule and the one-hour antibiotics."""
    t = triage(MID_ANC, History(temperature_c=38.0, fever_hours=2, days_since_chemotherapy=9))
    assert t.level == "emergency" and t.febrile_neutropenia
    text = " ".join(t.reasons)
    assert "38 C for 2 h" in text and "ANC 0.8" in text and "9 days after chemotherapy" in text
    assert "within an hour" in text
    assert any("Freifeld" in s for s in t.sources)
    assert "emergency department" in t.patient_advice


# --- levels -----------------------------------------------------------------------------------

@pytest.mark.parametrize("sign", SEVEN)
def test_low_count_with_any_warning_sign_is_urgent(sign):
    """A low count with any of the seven warning signs is at least urgent."""
    t = triage(MILD, History(symptoms=[sign]))
    assert t.level == "urgent"
    assert sign in t.warning_signs


def test_a_measured_fever_is_a_warning_sign():
    """A temperature of 38.0 C or more counts as the fever warning sign."""
    t = triage(MILD, History(temperature_c=38.1))
    assert t.level == "urgent" and "fever" in t.warning_signs


def test_low_count_alone_is_routine():
    """A low count without warning signs is routine."""
    t = triage(MILD)
    assert t.level == "routine" and not t.febrile_neutropenia
    assert "appointment" in t.patient_advice


def test_other_symptoms_do_not_raise_the_level():
    """Symptoms outside the warning list (a rash, a cough) leave a low count routine."""
    assert triage(MILD, History(symptoms=["rash", "cough"])).level == "routine"


def test_low_blood_pressure_with_a_low_count_is_urgent():
    """Low blood pressure with a low count is urgent (a sign of sepsis)."""
    assert triage(MILD, History(symptoms=["hypotension"])).level == "urgent"


def test_normal_count_is_none_even_with_symptoms():
    """A normal count is 'none'; symptoms are acknowledged but outside this triage."""
    assert triage(NORMAL).level == "none"
    t = triage(NORMAL, History(symptoms=["confusion"], temperature_c=39.0))
    assert t.level == "none" and not t.febrile_neutropenia
    assert any("ordinary medical judgement" in r for r in t.reasons)


def test_leukopenia_without_neutropenia_is_a_low_count():
    """A low WBC with a normal ANC is still a low count."""
    t = triage(CBC(3.2, neutrophils=2.0, lymphocytes=0.8))
    assert t.low_count and t.level == "routine"


def test_unknown_anc_cannot_be_febrile_neutropenia():
    """Without a differential febrile neutropenia cannot be judged; fever makes it urgent."""
    t = triage(CBC(1.1), History(temperature_c=39.0))
    assert not t.febrile_neutropenia and t.level == "urgent"
    assert any("ANC is unknown" in r for r in t.reasons)


def test_reported_fever_without_temperature_asks_for_a_measurement():
    """A reported fever with no temperature is urgent and asks for a measurement."""
    t = triage(LOW_ANC, History(symptoms=["fever"]))
    assert t.level == "urgent" and not t.febrile_neutropenia
    assert any("measure it" in r for r in t.reasons)


def test_fever_below_the_sustained_time_says_recheck():
    """38.0 C for under an hour is not yet IDSA fever, and the reasons say to measure again."""
    t = triage(LOW_ANC, History(temperature_c=38.1, fever_hours=0.5))
    assert not t.febrile_neutropenia
    assert any("measure again within the hour" in r for r in t.reasons)


def test_fever_with_mild_neutropenia_is_not_febrile_neutropenia():
    """Fever with ANC 1.2 and no chemotherapy is urgent, not febrile neutropenia."""
    t = triage(MILD, History(temperature_c=38.6))
    assert t.level == "urgent" and not t.febrile_neutropenia
    assert any("not febrile neutropenia" in r for r in t.reasons)


# --- populations ------------------------------------------------------------------------------

def test_population_changes_what_counts_as_low():
    """An ANC of 1.3 is low for the adult interval but normal for a Duffy-null adult."""
    cbc = CBC(3.2, neutrophils=1.3, lymphocytes=1.5)
    assert triage(cbc).level == "routine"
    assert triage(cbc, population="duffy_null").level == "none"
    assert triage(cbc, History(duffy_null=True)).level == "none"
    assert triage(cbc, History(duffy_null=False)).level == "routine"


def test_child_population_takes_the_age_from_the_history():
    """population='child' uses the history's age, and asks for it when missing."""
    cbc = CBC(7.0, neutrophils=1.2, lymphocytes=4.5)
    assert triage(cbc, History(age_years=0.5), population="child").level == "none"
    assert triage(cbc, History(age_years=6), population="child").level == "routine"
    with pytest.raises(MissingAgeError):
        triage(cbc, population="child")


# --- forms and errors -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "history",
    [None, History(symptoms=["confusion"]), History(temperature_c=38.5)],
)
@pytest.mark.parametrize("cbc", [LOW_ANC, MILD, NORMAL])
def test_every_result_explains_itself(cbc, history):
    """Every result has a level, reasons for a student and advice for a patient."""
    t = triage(cbc, history)
    assert isinstance(t, Triage) and t.level in LEVELS
    assert isinstance(t.reasons, list) and t.reasons and all(isinstance(r, str) for r in t.reasons)
    assert t.patient_advice.endswith("This is education, not medical advice.")
    text = t.explain()
    assert text.startswith(f"Triage: {t.level.upper()}") and text == str(t)
    assert t.level.upper() in t._repr_html_()


def test_bad_arguments_raise_clear_errors():
    """A missing CBC or a wrong history type names the argument."""
    with pytest.raises(InvalidParameterError, match="needs a CBC"):
        triage(1.0)
    with pytest.raises(InvalidParameterError, match="'history'"):
        triage(MILD, {"symptoms": ["fever"]})


def test_triage_is_deterministic():
    """The same input gives the same output."""
    h = History(temperature_c=38.4, symptoms=["confusion"])
    a, b = triage(LOW_ANC, h), triage(LOW_ANC, h)
    assert (a.level, a.reasons, a.patient_advice) == (b.level, b.reasons, b.patient_advice)
