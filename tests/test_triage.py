"""Tests for cbc_teach.triage: the rule table and its engine (issue 12).

Expected levels and thresholds are written here from the published sources, not read from
data/triage_rules.toml:
- Freifeld AG et al., Clin Infect Dis 2011;52(4):e56-e93 (IDSA febrile neutropenia: 38.3 C once
  or 38.0 C for an hour; ANC < 0.5 or expected to fall below 0.5);
- Bone RC et al., Chest 1992;101:1644-1655 (SIRS: temperature below 36 C) and Taplitz RA et al.,
  J Clin Oncol 2018;36(30):3043-3054 (neutropenic patients may be afebrile or hypothermic);
- Singer M et al., JAMA 2016;315:801-810 (qSOFA: hypotension, altered mentation, tachypnoea);
- clozapine US prescribing information (interrupt below ANC 1.0; 0.5 in benign ethnic neutropenia);
- Neunert C et al., Blood Adv 2019;3:3829-3866 (platelets < 20: admission) and Estcourt LJ et al.,
  Br J Haematol 2017;176:365-394 (severe bleeding: platelets kept above 50);
- Carson JL et al., JAMA 2023;330:1892-1902 (transfusion considered below Hb 7 g/dL).
"""

from __future__ import annotations

import re
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbc_teach import CBC, History, Triage, triage
from cbc_teach.errors import CBCTeachError, InvalidParameterError, MissingAgeError
from cbc_teach.triage import LEVELS, _make_rule, infection_signs, levels, rules, warning_signs

SEVEN = ("fever", "difficulty_breathing", "extreme_fatigue", "severe_diarrhea",
         "nausea_vomiting", "abdominal_pain", "confusion")
SEPSIS = ("hypotension", "confusion", "difficulty_breathing")
INFECTION = ("chills", "sore_throat", "mouth_ulcers", "cough", "dysuria", "line_site_infection")

LOW_ANC = CBC(1.0, neutrophils=0.3)      # ANC < 0.5
MID_ANC = CBC(1.6, neutrophils=0.8)      # 0.5 <= ANC < 1.0
MILD = CBC(2.8, neutrophils=1.2)         # leukopenia, mild neutropenia
NORMAL = CBC(6.0, neutrophils=3.5, lymphocytes=1.8)
NADIR = dict(days_since_chemotherapy=10)


def test_the_seven_warning_signs_and_the_infection_signs():
    """The seven warning signs, and the six infection signs the patient-education lists add."""
    assert warning_signs() == SEVEN
    assert infection_signs() == INFECTION


def test_levels_are_defined_in_the_data_most_urgent_first():
    """The data file defines the four levels with their meaning, in the order of LEVELS."""
    assert LEVELS == ("emergency", "urgent", "routine", "none")
    meaning = levels()
    assert tuple(meaning) == LEVELS
    assert "emergency department" in meaning["emergency"] and "same day" in meaning["urgent"]


# --- the measured failures of issue 12 ---------------------------------------------------------

@pytest.mark.parametrize(
    ("cbc", "history", "expected"),
    [
        pytest.param(CBC(0.9, neutrophils=0.05), None, "urgent", id="new ANC 0.05, no history"),
        pytest.param(CBC(2.0, neutrophils=0.1), History(medications=["clozapine"]), "urgent",
                     id="clozapine ANC 0.1"),
        pytest.param(CBC(2.0, neutrophils=0.1),
                     History(medications=["methimazole"], symptoms=["sore throat"]), "emergency",
                     id="methimazole ANC 0.1 sore throat"),
        pytest.param(CBC(1.2, neutrophils=0.3, hemoglobin=7.0, platelets=12),
                     History(age_years=22, sex="female", symptoms=["bruising"]), "emergency",
                     id="22-year-old pancytopenia with bruising"),
        pytest.param(CBC(6.0, neutrophils=3.5, hemoglobin=13.5, platelets=9),
                     History(symptoms=["bleeding"]), "emergency", id="platelets 9 bleeding"),
        pytest.param(CBC(1.0, neutrophils=0.2), History(days_since_chemotherapy=9,
                                                       temperature_c=35.4), "emergency",
                     id="day 9 ANC 0.2 at 35.4 C"),
        pytest.param(CBC(2.0), History(temperature_c=39.3, symptoms=["hypotension", "confusion"]),
                     "emergency", id="septic shock WBC 2.0"),
    ],
)
def test_the_counts_the_review_found_called_routine(cbc, history, expected):
    """Every vignette the hematologist's review measured gets the level the sources call for."""
    assert triage(cbc, history).level == expected


def test_clozapine_advice_says_stop_it_and_check_the_count_today():
    """On clozapine with a very low ANC the advice says stop the drug and check the count today."""
    t = triage(CBC(2.0, neutrophils=0.1), History(medications=["Clozaril"]))
    assert "agranulocytosis_drug" in t.rule_ids
    assert "do not take the next dose" in t.patient_advice and "same day" in t.patient_advice
    assert any("clozapine" in s.lower() for s in t.sources)


def test_the_22_year_old_lists_every_red_flag():
    """Pancytopenia with bruising lists the neutropenia, the platelets and the bleeding rules."""
    t = triage(CBC(1.2, neutrophils=0.3, hemoglobin=7.0, platelets=12),
               History(age_years=22, sex="female", symptoms=["bruising"]))
    assert {"pancytopenia_with_bleeding", "severe_neutropenia",
            "severe_thrombocytopenia"} <= set(t.rule_ids)
    assert "severe_anemia" not in t.rule_ids  # 7.0 is not below 7


# --- the IDSA rule at its boundaries (in the chemotherapy nadir) -----------------------------

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
    """IDSA fever: one reading >= 38.3 C, or >= 38.0 C for at least an hour. Below it, 38.0 C or
    more with an ANC below 0.5 is still an emergency (NICE CG151: above 38 C with an ANC of 0.5
    or lower is neutropenic sepsis), under its own rule; below 38.0 C the well nadir is routine."""
    t = triage(LOW_ANC, History(temperature_c=temperature, fever_hours=hours, **NADIR))
    assert t.febrile_neutropenia is expected
    assert t.level == ("emergency" if temperature >= 38.0 else "routine")
    assert ("temperature_38_neutropenic" in t.rule_ids) is (temperature >= 38.0 and not expected)


@pytest.mark.parametrize(
    ("cbc", "days", "level"),
    [
        (CBC(1.0, neutrophils=0.3), 10, "emergency"),    # ANC below 0.5, nadir
        (CBC(1.0, neutrophils=0.3), None, "emergency"),  # ANC below 0.5, no chemotherapy
        (CBC(1.6, neutrophils=0.8), 10, "emergency"),    # expected to fall below 0.5
        (CBC(1.6, neutrophils=0.8), 20, "urgent"),       # not expected to fall: a warning sign
        (CBC(2.8, neutrophils=1.2), 10, "urgent"),       # 1.2 is not expected to fall below 0.5
        (CBC(1.5), 10, "emergency"),                     # low WBC at the nadir, ANC unknown
        (CBC(5.0), 10, "urgent"),                        # normal WBC at the nadir: a differential today
    ],
)
def test_a_temperature_of_38_before_the_idsa_hour_with_neutropenia_is_an_emergency(cbc, days, level):
    """38.1 C once is not yet the IDSA fever, but with an ANC below 0.5 (or expected to fall
    below it, or a low white count at the nadir with no differential) the patient is not told
    to wait the hour at home: the level agrees with the nadir advice ('38 C or more: the
    emergency department at once')."""
    t = triage(cbc, History(temperature_c=38.1, fever_hours=0.5, days_since_chemotherapy=days))
    assert t.level == level and not t.febrile_neutropenia
    well = triage(cbc, History(temperature_c=37.9, days_since_chemotherapy=days))
    assert well.level != "emergency"


def test_the_38_rule_is_for_chemotherapy_and_a_neutropenia_without_it_has_its_own_reason():
    """NICE CG151 covers neutropenia from anticancer treatment: without chemotherapy the
    38-degree rule does not fire; a severe neutropenia with a temperature of 38.1 C is an
    emergency through the agranulocytosis rule, whose reason names the chemotherapy window."""
    t = triage(LOW_ANC, History(temperature_c=38.1))
    assert t.level == "emergency" and "temperature_38_neutropenic" not in t.rule_ids
    assert t.rule_ids[0] == "agranulocytosis_with_symptoms"
    assert "no chemotherapy in the last 14 days" in t.reasons[1]
    late = triage(LOW_ANC, History(temperature_c=38.1, days_since_chemotherapy=20))
    assert late.level == "emergency" and "no chemotherapy in the last 14 days" in late.reasons[1]


@pytest.mark.parametrize(("cbc", "days", "level"), [
    (CBC(1.0, neutrophils=0.3), 10, "emergency"),   # rigors at the nadir, no fever
    (CBC(1.5), 10, "emergency"),                    # low WBC at the nadir, ANC unknown
    (CBC(1.0, neutrophils=0.3), None, "urgent"),    # no chemotherapy: an infection sign
    (CBC(1.0, neutrophils=0.3), 20, "urgent"),      # after the nadir window
])
def test_rigors_at_the_nadir_are_an_emergency(cbc, days, level):
    """The nadir advice says shivering means the emergency department at once; the triage of a
    shivering patient at the nadir, afebrile, says the same."""
    t = triage(cbc, History(temperature_c=37.2, symptoms=["chills"], days_since_chemotherapy=days))
    assert t.level == level
    assert ("rigors_at_the_nadir" in t.rule_ids) is (level == "emergency")
    calm = triage(cbc, History(temperature_c=37.2, days_since_chemotherapy=days))
    assert calm.level != "emergency"


def test_the_nadir_advice_and_the_level_at_38_agree():
    """The routine advice of the expected nadir sends a patient with 38 C or more to the
    emergency department; the triage of that patient at 38.0 C says the same."""
    calm = triage(LOW_ANC, History(temperature_c=37.0, **NADIR))
    assert calm.level == "routine" and "38 C or more" in calm.patient_advice
    assert "emergency department" in calm.patient_advice
    assert triage(LOW_ANC, History(temperature_c=38.0, **NADIR)).level == "emergency"


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
    """The reasons give the temperature, the ANC, the rule, its source and the one-hour antibiotics."""
    t = triage(MID_ANC, History(temperature_c=38.0, fever_hours=2, days_since_chemotherapy=9))
    assert t.level == "emergency" and t.febrile_neutropenia
    text = " ".join(t.reasons)
    assert "38 C for 2 h" in text and "ANC 0.8" in text and "9 days after chemotherapy" in text
    assert "within an hour" in text and "[rule febrile_neutropenia; Freifeld 2011]" in text
    assert any("Freifeld" in s for s in t.sources)
    assert "emergency department" in t.patient_advice


# --- sepsis and shock, with or without fever -------------------------------------------------

@pytest.mark.parametrize(("temperature", "expected"), [(35.9, "emergency"), (36.0, "routine")])
def test_a_temperature_below_36_with_a_low_count_is_an_emergency(temperature, expected):
    """Below 36 C (SIRS) a neutropenic patient may be septic without fever (Taplitz 2018)."""
    t = triage(LOW_ANC, History(temperature_c=temperature, **NADIR))
    assert t.level == expected
    assert not t.febrile_neutropenia


@pytest.mark.parametrize("sign", SEPSIS)
def test_a_sign_of_sepsis_with_a_low_count_is_an_emergency(sign):
    """Hypotension, confusion or difficulty breathing with any low count is an emergency."""
    assert triage(MILD, History(symptoms=[sign])).level == "emergency"
    assert triage(CBC(6.0, neutrophils=3.5, platelets=60), History(symptoms=[sign])).level == "emergency"


def test_signs_of_sepsis_with_a_normal_count():
    """With a normal count one sign of sepsis is urgent, two (qSOFA >= 2) an emergency."""
    assert triage(NORMAL, History(symptoms=["confusion"])).level == "urgent"
    assert triage(NORMAL, History(symptoms=["confusion", "hypotension"])).level == "emergency"
    assert triage(NORMAL, History(symptoms=["confusion"], temperature_c=35.5)).level == "emergency"


# --- a new severe neutropenia, and drugs known for agranulocytosis -----------------------------

@pytest.mark.parametrize(("anc", "expected"), [(0.49, "urgent"), (0.5, "routine")])
def test_a_new_severe_neutropenia_is_urgent(anc, expected):
    """ANC < 0.5 with no chemotherapy to explain it is at least urgent."""
    assert triage(CBC(1.5, neutrophils=anc)).level == expected


@pytest.mark.parametrize(("days", "expected"), [(14, "routine"), (14.5, "urgent"), (None, "urgent")])
def test_the_expected_nadir_is_routine_only_within_14_days(days, expected):
    """ANC 0.2 in a well, afebrile patient is routine within 14 days of chemotherapy, else urgent."""
    t = triage(CBC(1.0, neutrophils=0.2), History(days_since_chemotherapy=days, temperature_c=36.8))
    assert t.level == expected


def test_the_expected_nadir_advice_gives_the_fever_precautions():
    """The nadir advice: measure the temperature before paracetamol, never rectally."""
    t = triage(CBC(1.0, neutrophils=0.2), History(days_since_chemotherapy=8))
    assert t.level == "routine" and "expected_nadir" in t.rule_ids
    assert "before any paracetamol" in t.patient_advice
    assert "never in the back passage" in t.patient_advice


@pytest.mark.parametrize("symptom", ["sore throat", "mouth ulcers", "fever"])
def test_severe_neutropenia_with_signs_of_agranulocytosis_is_an_emergency(symptom):
    """ANC < 0.5 outside a chemotherapy nadir with sore throat, mouth ulcers or fever: emergency."""
    assert triage(LOW_ANC, History(symptoms=[symptom])).level == "emergency"


def test_a_sore_throat_at_the_nadir_is_urgent():
    """At the expected nadir a sore throat is an infection sign: urgent, not agranulocytosis."""
    t = triage(LOW_ANC, History(symptoms=["sore throat"], **NADIR))
    assert t.level == "urgent" and "agranulocytosis_with_symptoms" not in t.rule_ids


@pytest.mark.parametrize(
    ("anc", "duffy_null", "expected"),
    [
        (0.99, None, "urgent"),     # below 1.0: the label interrupts clozapine
        (1.0, None, "routine"),     # mild neutropenia: monitoring continues
        (0.49, True, "urgent"),     # benign ethnic neutropenia: interrupt below 0.5
        (0.6, True, "routine"),
    ],
)
def test_clozapine_thresholds_follow_the_label(anc, duffy_null, expected):
    """The drug rule uses the clozapine label's interruption thresholds."""
    t = triage(CBC(2.5, neutrophils=anc), History(medications=["clozapine"], duffy_null=duffy_null))
    assert t.level == expected
    assert ("agranulocytosis_drug" in t.rule_ids) is (expected == "urgent")


@pytest.mark.parametrize("drug", ["methimazole", "sulfasalazine", "carbamazepine"])
def test_the_duffy_null_relaxation_is_clozapine_s_only(drug):
    """The label's lower interruption limit for benign ethnic (Duffy-null) neutropenia is a
    clozapine rule: on another drug known for agranulocytosis an ANC of 0.8 in a Duffy-null
    patient still means stop the drug and check the count today."""
    on_drug = History(medications=[drug], duffy_null=True)
    assert "agranulocytosis_drug" in triage(CBC(2.5, neutrophils=0.8), on_drug).rule_ids
    both = History(medications=["clozapine", drug], duffy_null=True)
    assert "agranulocytosis_drug" in triage(CBC(2.5, neutrophils=0.8), both).rule_ids
    alone = History(medications=["clozapine"], duffy_null=True)
    assert "agranulocytosis_drug" not in triage(CBC(2.5, neutrophils=0.8), alone).rule_ids


def test_a_drug_with_a_low_wbc_and_no_differential_asks_for_the_count_today():
    """On an antithyroid drug a low WBC with no differential is urgent (the ANC may be very low)."""
    t = triage(CBC(2.1), History(medications=["carbimazole"]))
    assert t.level == "urgent" and "agranulocytosis_drug" in t.rule_ids
    assert triage(CBC(2.1), History(medications=["carbimazole"], symptoms=["fever"])).level == "emergency"


@pytest.mark.parametrize("drug", ["clozapine", "methimazole", "carbimazole", "propylthiouracil",
                                  "metamizole", "sulfasalazine", "deferiprone", "dapsone"])
def test_every_listed_drug_raises_the_alarm(drug):
    """Each drug known for agranulocytosis triggers the stop-and-check advice."""
    t = triage(CBC(2.0, neutrophils=0.7), History(medications=[drug]))
    assert "agranulocytosis_drug" in t.rule_ids and t.level == "urgent"


# --- platelets and hemoglobin ------------------------------------------------------------------

NORMAL_WHITE = dict(neutrophils=3.5, hemoglobin=13.5)


@pytest.mark.parametrize(("platelets", "expected"), [(19.9, "urgent"), (20, "routine")])
def test_platelets_below_20_are_urgent(platelets, expected):
    """Platelets < 20 x10^9/L: a doctor today (ASH 2019: admission for a new count below 20)."""
    assert triage(CBC(6.0, platelets=platelets, **NORMAL_WHITE)).level == expected


@pytest.mark.parametrize(("platelets", "expected"), [(49, "emergency"), (50, "urgent")])
def test_platelets_below_50_with_bleeding_are_an_emergency(platelets, expected):
    """Bleeding with platelets < 50 is an emergency (BSH 2017); above, bleeding is still urgent."""
    t = triage(CBC(6.0, platelets=platelets, **NORMAL_WHITE), History(symptoms=["nosebleeds"]))
    assert t.level == expected


@pytest.mark.parametrize(("platelets", "expected"), [(49, "urgent"), (50, "routine")])
def test_platelets_below_50_with_bruising_are_urgent(platelets, expected):
    """Bruising or petechiae with platelets < 50: a doctor today."""
    t = triage(CBC(6.0, platelets=platelets, **NORMAL_WHITE), History(symptoms=["petechiae"]))
    assert t.level == expected


@pytest.mark.parametrize(("hemoglobin", "expected"), [(6.9, "urgent"), (7.0, "routine")])
def test_hemoglobin_below_7_is_urgent(hemoglobin, expected):
    """Hb < 7 g/dL (the AABB 2023 transfusion threshold) is urgent; 7.0 is not below 7."""
    assert triage(CBC(6.0, neutrophils=3.5, hemoglobin=hemoglobin, platelets=250)).level == expected


def test_hemoglobin_below_7_with_bleeding_is_an_emergency():
    """Severe anemia with bleeding is an emergency."""
    cbc = CBC(6.0, neutrophils=3.5, hemoglobin=6.5, platelets=250)
    assert triage(cbc, History(symptoms=["bleeding"])).level == "emergency"


def test_pancytopenia_is_urgent_and_with_bleeding_an_emergency():
    """Neutropenia with a low Hb and low platelets is pancytopenia: urgent; with bleeding, emergency."""
    cbc = CBC(2.5, neutrophils=1.2, hemoglobin=10.5, platelets=90)
    t = triage(cbc, History(sex="female"))
    assert t.level == "urgent" and "pancytopenia" in t.rule_ids
    assert triage(cbc, History(sex="female", symptoms=["bleeding gums"])).level == "emergency"
    assert triage(cbc, History(sex="female", **NADIR)).level == "routine"  # the expected nadir


@pytest.mark.parametrize("symptom", ["bruising", "bleeding"])
def test_bleeding_with_a_low_white_count_and_no_platelet_count_is_urgent(symptom):
    """Bruising or bleeding with a low white count and no platelet count: count them today."""
    t = triage(MILD, History(symptoms=[symptom]))
    assert t.level == "urgent" and "bleeding_platelets_unknown" in t.rule_ids


@pytest.mark.parametrize(("wbc", "expected"), [(100.1, "urgent"), (100, "none")])
def test_a_white_count_above_100_is_urgent(wbc, expected):
    """Hyperleukocytosis (WBC > 100, CTCAE leukocytosis grade 3; Rollig 2015): the same day."""
    assert triage(CBC(wbc, neutrophils=80)).level == expected


def test_hyperleukocytosis_with_breathlessness_is_an_emergency():
    """A WBC above 100 with breathlessness or confusion may be leukostasis: an emergency."""
    t = triage(CBC(150, neutrophils=20), History(symptoms=["shortness of breath"]))
    assert t.level == "emergency" and "hyperleukocytosis_with_symptoms" in t.rule_ids


# --- warning signs -----------------------------------------------------------------------------

@pytest.mark.parametrize("sign", [s for s in SEVEN if s not in SEPSIS])
def test_low_count_with_a_warning_sign_is_urgent(sign):
    """A low count with any of the seven warning signs (not a sign of sepsis) is urgent."""
    t = triage(MILD, History(symptoms=[sign]))
    assert t.level == "urgent"
    assert sign in t.warning_signs


@pytest.mark.parametrize(
    "text",
    ["chills", "sore throat", "mouth sores", "cough", "burning on urination",
     "red line site"],
)
def test_low_count_with_an_infection_sign_is_urgent(text):
    """The six infection signs of the patient-education lists make a low count urgent."""
    t = triage(MILD, History(symptoms=[text]))
    assert t.level == "urgent"
    assert set(t.warning_signs) & set(INFECTION)


def test_warning_signs_concern_a_low_white_count():
    """Vomiting with a mild anemia alone is not the infection warning of a low white count."""
    t = triage(CBC(6.0, neutrophils=3.5, hemoglobin=10.5, platelets=250),
               History(sex="female", symptoms=["vomiting"]))
    assert t.level == "routine" and "warning_sign_low_count" not in t.rule_ids


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
    """Symptoms outside every list (a rash, joint pain) leave a low count routine."""
    assert triage(MILD, History(symptoms=["rash", "joint pain"])).level == "routine"


def test_normal_count_with_other_symptoms_is_none():
    """A normal count with symptoms that are no sign of sepsis is 'none', with a note."""
    assert triage(NORMAL).level == "none"
    t = triage(NORMAL, History(symptoms=["severe diarrhoea"], temperature_c=39.0))
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
    """At the nadir a reported fever with no temperature is urgent and asks for a measurement."""
    t = triage(LOW_ANC, History(symptoms=["fever"], **NADIR))
    assert t.level == "urgent" and not t.febrile_neutropenia
    assert any("measure it" in r for r in t.reasons)


def test_fever_below_the_sustained_time_says_recheck():
    """38.0 C for under an hour is not yet IDSA fever, and the reasons say to measure again (in
    hospital: with an ANC below 0.5 it is an emergency all the same)."""
    t = triage(LOW_ANC, History(temperature_c=38.1, fever_hours=0.5, **NADIR))
    assert not t.febrile_neutropenia and t.level == "emergency"
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


def test_a_healthy_duffy_null_adult_inside_her_interval_needs_no_action():
    """A healthy Duffy-null woman with ANC 1.25 and WBC 3.1 (inside her interval) is 'none'."""
    t = triage(CBC(3.1, neutrophils=1.25, hemoglobin=13.0, platelets=230),
               History(age_years=30, sex="female", duffy_null=True))
    assert t.level == "none" and not t.low_count


def test_child_population_takes_the_age_from_the_history():
    """population='child' uses the history's age, and asks for it when missing."""
    cbc = CBC(7.0, neutrophils=1.2, lymphocytes=4.5)
    assert triage(cbc, History(age_years=0.5), population="child").level == "none"
    assert triage(cbc, History(age_years=6), population="child").level == "routine"
    with pytest.raises(MissingAgeError):
        triage(cbc, population="child")


# --- the engine and the table -----------------------------------------------------------------

_HISTORIES = st.builds(
    History,
    symptoms=st.lists(st.sampled_from(SEVEN + INFECTION + ("hypotension", "bleeding", "bruising",
                                                           "rash")), max_size=3),
    temperature_c=st.one_of(st.none(), st.sampled_from([35.4, 36.0, 37.0, 38.1, 38.4, 39.5])),
    fever_hours=st.one_of(st.none(), st.sampled_from([0.5, 2.0])),
    days_since_chemotherapy=st.one_of(st.none(), st.sampled_from([3.0, 9.0, 14.0, 20.0])),
    medications=st.lists(st.sampled_from(["clozapine", "methimazole", "docetaxel"]), max_size=1),
    duffy_null=st.sampled_from([None, True]),
)
_CBCS = st.builds(
    lambda wbc, anc, hb, plt: CBC(wbc, neutrophils=None if anc is None else min(anc, wbc),
                                  hemoglobin=hb, platelets=plt),
    st.sampled_from([0.8, 2.0, 3.2, 6.0, 150.0]),
    st.one_of(st.none(), st.sampled_from([0.05, 0.3, 0.5, 0.8, 1.2, 3.0])),
    st.one_of(st.none(), st.sampled_from([6.5, 7.0, 10.0, 14.0])),
    st.one_of(st.none(), st.sampled_from([9.0, 20.0, 45.0, 120.0, 250.0])),
)


@given(_CBCS, _HISTORIES)
def test_the_highest_matched_level_wins_and_every_text_is_filled(cbc, history):
    """The level is the most urgent of the matched rules; every text is filled and cited."""
    t = triage(cbc, history)
    assert t.rules and t.level == min((r.level for r in t.rules), key=LEVELS.index)
    assert all("{" not in r and "}" not in r for r in t.reasons)
    assert "{" not in t.patient_advice
    assert all(f"[rule {r.id}; {r.cite}]" in " ".join(t.reasons)
               for r in t.rules if r.id != "normal_count")
    if t.febrile_neutropenia:
        assert t.level == "emergency"


@given(_CBCS, _HISTORIES, st.sampled_from(["bleeding", "confusion", "sore_throat", "fever"]))
def test_adding_a_symptom_never_lowers_the_level(cbc, history, symptom):
    """A further symptom can only keep or raise the level."""
    before = triage(cbc, history).level
    after = triage(cbc, history.add(symptoms=[symptom])).level
    assert LEVELS.index(after) <= LEVELS.index(before)


def test_every_rule_has_a_level_a_reason_and_a_followable_source():
    """Each rule names a level, a reason, a short citation and a full source with a year."""
    for rule in rules():
        assert rule.level in LEVELS and rule.reason and rule.cite, rule.id
        assert rule.sources and all(re.search(r"(19|20)\d\d", s) for s in rule.sources), rule.id


def test_the_rule_table_cites_no_file_outside_the_repository():
    """No citation points to planning material a reader cannot follow."""
    text = resources.files("cbc_teach").joinpath("data", "triage_rules.toml").read_text("utf-8")
    assert not re.search(r"REFERENCES|[Ss]eed page|correction \d", text)


def test_the_triage_thresholds_have_one_home():
    """The thresholds live in triage_rules.toml only: the knowledge base has no triage block."""
    from cbc_teach._data import read_toml

    assert "triage" not in read_toml("knowledge_base.toml")
    assert {"fever", "neutropenia", "hypothermia", "platelets", "hemoglobin"} <= set(
        read_toml("triage_rules.toml")["thresholds"])


def test_a_rule_on_an_unknown_fact_is_refused():
    """A rule that tests a fact the engine does not compute is a clear error."""
    refs = {"r": {"cite": "R 2020", "text": "R. J 2020;1:1"}}
    row = {"id": "x", "all": ["fevr"], "level": "urgent", "reason": "r", "sources": ["r"]}
    with pytest.raises(CBCTeachError, match="fevr"):
        _make_rule(row, note=False, references=refs)
    with pytest.raises(CBCTeachError, match="unknown: \\['nobody'\\]"):
        _make_rule({**row, "all": [], "sources": ["nobody"]}, note=False, references=refs)


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
    assert t.advice and " ".join(t.advice) == t.patient_advice
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


# --- second reading (rev-triage): a low temperature alone, a fever with a sign of sepsis ---------
# Geneva II et al., Open Forum Infect Dis 2019;6(4):ofz032: in healthy adults the normal range
# (mean +/- 2 SD) reaches down to 35.7 C by mouth and 35.0 C under the arm, so a reading just
# below 36 C is not by itself a sign of sepsis; SIRS (Bone 1992) needs two criteria, and the
# "afebrile or hypothermic" warning of Taplitz 2018 is about neutropenic patients.

@pytest.mark.parametrize(("cbc", "history", "expected"), [
    pytest.param(NORMAL, History(temperature_c=35.8), "none", id="normal count, 35.8 C"),
    pytest.param(CBC(6.0, neutrophils=3.5, hemoglobin=11.5, platelets=250),
                 History(sex="female", temperature_c=35.8), "routine", id="mild anemia, 35.8 C"),
    pytest.param(CBC(3.8, neutrophils=2.1), History(temperature_c=35.7), "routine",
                 id="WBC 3.8 ANC 2.1, 35.7 C"),
])
def test_a_low_temperature_alone_without_neutropenia_is_not_an_emergency(cbc, history, expected):
    t = triage(cbc, history)
    assert t.level == expected
    assert "healthy adults often read below 36 C" in t.explain()


@pytest.mark.parametrize(("cbc", "history"), [
    pytest.param(CBC(0.8), History(temperature_c=35.4, **NADIR), id="nadir, no differential"),
    pytest.param(CBC(1.2, neutrophils=0.4), History(temperature_c=35.5), id="ANC 0.4, no chemo"),
    pytest.param(CBC(3.0, neutrophils=1.2), History(temperature_c=35.5), id="ANC 1.2"),
    pytest.param(CBC(6.0, neutrophils=3.5, hemoglobin=11.0), History(
        sex="female", temperature_c=35.5, symptoms=["confusion"]), id="with confusion"),
])
def test_a_low_temperature_with_neutropenia_or_another_sign_stays_an_emergency(cbc, history):
    assert triage(cbc, history).level == "emergency"


@pytest.mark.parametrize("sign", SEPSIS)
@pytest.mark.parametrize("cbc", [NORMAL, CBC(18.0, neutrophils=16.0)])
def test_a_fever_with_one_sign_of_sepsis_is_an_emergency_whatever_the_count(sign, cbc):
    """Sepsis-3 (Singer 2016): an infection with organ dysfunction is sepsis; fever with low
    blood pressure, confusion or breathlessness is not a "see a doctor today"."""
    assert triage(cbc, History(temperature_c=39.0, symptoms=[sign])).level == "emergency"
    assert triage(cbc, History(symptoms=["fever", sign])).level == "emergency"
    assert triage(cbc, History(symptoms=[sign])).level == "urgent"


def test_a_drug_for_agranulocytosis_with_a_sore_throat_and_no_differential_is_urgent():
    """Clozapine label section 17 and ATA 2016: fever or sore throat on the drug needs an ANC
    now; a normal total white count without a differential does not make it 'none'."""
    t = triage(CBC(6.0), History(medications=["clozapine"], symptoms=["sore_throat"]))
    assert t.level == "urgent"
    assert "differential" in t.patient_advice and "next dose" in t.patient_advice
    assert triage(CBC(6.0, neutrophils=3.5), History(medications=["clozapine"],
                                                    symptoms=["sore_throat"])).level == "none"


def test_bruising_at_the_nadir_is_urgent_not_a_suspected_leukaemia():
    """After chemotherapy a fall in all three lines is expected (Crawford 2004): bruising is a
    reason to count the platelets today, not the new-leukaemia emergency (NICE NG12 is about
    unexplained bruising); bleeding with platelets below 50 stays an emergency (Estcourt 2017)."""
    pancytopenic = CBC(1.0, neutrophils=0.3, hemoglobin=9.5, platelets=60)
    t = triage(pancytopenic, History(sex="female", symptoms=["bruising"], **NADIR))
    assert t.level == "urgent" and "pancytopenia_with_bleeding" not in t.rule_ids
    assert triage(LOW_ANC, History(symptoms=["bruising"], **NADIR)).level == "urgent"
    assert triage(CBC(1.0, neutrophils=0.3, hemoglobin=9.5, platelets=30),
                  History(sex="female", symptoms=["bleeding"], **NADIR)).level == "emergency"
    assert triage(pancytopenic, History(sex="female", symptoms=["bruising"])).level == "emergency"


def test_a_warning_sign_with_a_low_count_says_call_now():
    """Patient guides (CDC; American Cancer Society) tell a patient with a low count and a sign
    of infection to call at once, not later the same day."""
    advice = triage(LOW_ANC, History(temperature_c=38.0, **NADIR)).patient_advice
    assert "now" in advice and "call today" not in advice


@pytest.mark.parametrize("wbc", [0.8, 1.5, 2.9])
def test_a_fever_after_chemotherapy_with_a_low_white_count_and_no_differential_is_an_emergency(
        wbc):
    """Freifeld 2011: neutropenia includes an ANC expected to fall below 0.5, and empirical
    antibiotics are not delayed for results; a low WBC with no differential at the nadir with
    38.3 C (once) or 38.0 C for an hour is febrile neutropenia until the ANC is known."""
    assert triage(CBC(wbc), History(temperature_c=38.5, **NADIR)).level == "emergency"
    assert triage(CBC(wbc), History(temperature_c=38.0, fever_hours=1.0,
                                    **NADIR)).level == "emergency"
    assert triage(CBC(wbc), History(temperature_c=38.0, fever_hours=0.5,
                                    **NADIR)).level == "emergency"  # not waited out at home
    assert not triage(CBC(wbc), History(temperature_c=38.0, fever_hours=0.5,
                                        **NADIR)).febrile_neutropenia
    assert triage(CBC(wbc), History(temperature_c=38.5,
                                    days_since_chemotherapy=20)).level == "urgent"


def test_two_signs_of_sepsis_cite_sirs_as_well_as_qsofa():
    """A temperature below 36 C is a SIRS criterion (Bone 1992), not a qSOFA item (Singer 2016):
    the rule that counts it among two signs cites both."""
    t = triage(NORMAL, History(symptoms=["confusion"], temperature_c=35.5))
    assert "[rule sepsis_signs_any_count; Singer 2016; Bone 1992]" in t.explain()


def test_a_fever_after_chemotherapy_with_a_normal_white_count_and_no_differential_is_urgent():
    """Freifeld 2011: only the ANC decides febrile neutropenia; a fever in the nadir window is
    never 'nothing needs action' while the differential is missing."""
    assert triage(CBC(6.0), History(temperature_c=38.5, **NADIR)).level == "urgent"
    known = triage(CBC(6.0, neutrophils=4.0), History(temperature_c=38.5, **NADIR))
    assert "fever_after_chemotherapy_no_differential" not in known.rule_ids
