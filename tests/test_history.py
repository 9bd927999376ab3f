"""Tests for cbc_teach.history: the patient's history and its vocabulary."""

from __future__ import annotations

import dataclasses

import pytest

from cbc_teach import History, vocabulary
from cbc_teach.errors import (
    CBCTeachError,
    InvalidCountError,
    InvalidParameterError,
    UnknownTermError,
)
from cbc_teach.history import canonical_term, medication_classes, normalise

# Every term SPEC.md lists, written out here (not read from the data file).
SPEC_TERMS = {
    "conditions": [
        "influenza", "covid19", "hiv", "hepatitis_c", "rheumatoid_arthritis",
        "systemic_lupus_erythematosus", "sarcoidosis", "cirrhosis", "splenomegaly",
        "graves_disease", "multiple_sclerosis", "schizophrenia", "lymphoma", "solid_tumor",
        "pernicious_anemia", "celiac_disease", "family_history_neutropenia",
    ],
    "exposures": [
        "recent_viral_illness", "chemotherapy", "radiation_therapy", "bone_marrow_transplant",
        "bariatric_surgery", "alcohol_use_disorder", "vegan_diet", "zinc_supplements", "hiv_risk",
    ],
    "symptoms": [
        "fever", "difficulty_breathing", "extreme_fatigue", "severe_diarrhea", "nausea_vomiting",
        "abdominal_pain", "confusion", "sore_throat", "mouth_ulcers", "bruising", "bleeding",
        "bone_pain", "weight_loss", "night_sweats", "lymphadenopathy", "joint_pain", "rash",
        "numbness_tingling", "recurrent_infections", "periodic_fevers", "warts", "hypotension",
        "oral_thrush", "cough",
    ],
    "medications": [
        "docetaxel", "paclitaxel", "cyclophosphamide", "doxorubicin", "carboplatin", "etoposide",
        "clozapine", "methimazole", "propylthiouracil", "trimethoprim-sulfamethoxazole",
        "methotrexate", "azathioprine", "mycophenolate", "interferon alfa", "interferon beta",
        "carbamazepine", "valproate", "sulfasalazine", "dapsone", "deferiprone", "rituximab",
        "ganciclovir", "zidovudine", "linezolid", "prednisone", "dexamethasone",
    ],
}


@pytest.mark.parametrize(
    ("field", "term"), [(f, t) for f, terms in SPEC_TERMS.items() for t in terms]
)
def test_every_spec_term_is_known_and_canonical(field, term):
    """Every vocabulary term SPEC lists is known, and maps to itself."""
    assert term in vocabulary()[field]
    assert canonical_term(field, term) == term


# Synonyms a student will type, with the canonical term each must give.
SYNONYMS = [
    ("conditions", "RA", "rheumatoid_arthritis"),
    ("conditions", "SLE", "systemic_lupus_erythematosus"),
    ("conditions", "lupus", "systemic_lupus_erythematosus"),
    ("conditions", "Lupus", "systemic_lupus_erythematosus"),
    ("conditions", "AIDS", "hiv"),
    ("conditions", "HIV infection", "hiv"),
    ("conditions", "flu", "influenza"),
    ("conditions", "COVID-19", "covid19"),
    ("conditions", "SARS-CoV-2", "covid19"),
    ("conditions", "HCV", "hepatitis_c"),
    ("conditions", "Graves' disease", "graves_disease"),
    ("conditions", "Graves disease", "graves_disease"),
    ("conditions", "MS", "multiple_sclerosis"),
    ("conditions", "solid tumour", "solid_tumor"),
    ("conditions", "pernicious anaemia", "pernicious_anemia"),
    ("conditions", "coeliac disease", "celiac_disease"),
    ("conditions", "enlarged spleen", "splenomegaly"),
    ("conditions", "family history of neutropenia", "family_history_neutropenia"),
    ("exposures", "chemo", "chemotherapy"),
    ("exposures", "radiotherapy", "radiation_therapy"),
    ("exposures", "BMT", "bone_marrow_transplant"),
    ("exposures", "stem cell transplant", "bone_marrow_transplant"),
    ("exposures", "gastric bypass", "bariatric_surgery"),
    ("exposures", "alcoholism", "alcohol_use_disorder"),
    ("exposures", "vegan", "vegan_diet"),
    ("exposures", "zinc denture cream", "zinc_supplements"),
    ("exposures", "injection drug use", "hiv_risk"),
    ("exposures", "viral illness", "recent_viral_illness"),
    ("symptoms", "shortness of breath", "difficulty_breathing"),
    ("symptoms", "extreme sluggishness", "extreme_fatigue"),
    ("symptoms", "severe diarrhoea", "severe_diarrhea"),
    ("symptoms", "vomiting", "nausea_vomiting"),
    ("symptoms", "nausea and vomiting", "nausea_vomiting"),
    ("symptoms", "stomach pain", "abdominal_pain"),
    ("symptoms", "delirium", "confusion"),
    ("symptoms", "thrush", "oral_thrush"),
    ("symptoms", "swollen lymph nodes", "lymphadenopathy"),
    ("symptoms", "pins and needles", "numbness_tingling"),
    ("symptoms", "low blood pressure", "hypotension"),
    ("symptoms", "pyrexia", "fever"),
    ("medications", "Bactrim", "trimethoprim-sulfamethoxazole"),
    ("medications", "co-trimoxazole", "trimethoprim-sulfamethoxazole"),
    ("medications", "TMP-SMX", "trimethoprim-sulfamethoxazole"),
    ("medications", "Taxotere", "docetaxel"),
    ("medications", "PTU", "propylthiouracil"),
    ("medications", "thiamazole", "methimazole"),
    ("medications", "MTX", "methotrexate"),
    ("medications", "Imuran", "azathioprine"),
    ("medications", "mycophenolate mofetil", "mycophenolate"),
    ("medications", "AZT", "zidovudine"),
    ("medications", "valproic acid", "valproate"),
    ("medications", "interferon alpha", "interferon alfa"),
    ("medications", "interferon-alfa", "interferon alfa"),
    ("medications", "Interferon_Beta", "interferon beta"),
    ("medications", "Rituxan", "rituximab"),
    ("medications", "steroids", "corticosteroids"),
]


@pytest.mark.parametrize(("field", "text", "term"), SYNONYMS)
def test_synonyms_map_to_canonical_terms(field, text, term):
    """Common synonyms, abbreviations and brand names give the canonical term."""
    assert canonical_term(field, text) == term
    assert getattr(History(**{field: [text]}), field) == (term,)


@pytest.mark.parametrize(
    "spelling",
    ["rheumatoid arthritis", "Rheumatoid-Arthritis", "RHEUMATOID_ARTHRITIS",
     "  rheumatoid   arthritis ", "rheumatoid - arthritis"],
)
def test_case_spaces_hyphens_and_underscores_are_alike(spelling):
    """Matching ignores case and treats spaces, hyphens and underscores alike."""
    assert History(conditions=[spelling]).conditions == ("rheumatoid_arthritis",)


def test_every_listed_synonym_resolves_to_its_own_term():
    """Each synonym in the vocabulary resolves to the term that lists it."""
    for field, terms in vocabulary().items():
        for term, synonyms in terms.items():
            for synonym in synonyms:
                assert canonical_term(field, synonym) == term, (field, synonym)


def test_no_spelling_is_claimed_by_two_terms_of_a_field():
    """No two terms of one field share a spelling (after normalising)."""
    for field, terms in vocabulary().items():
        seen: dict[str, str] = {}
        for term, synonyms in terms.items():
            for spelling in (term, *synonyms):
                key = normalise(spelling)
                assert seen.setdefault(key, term) == term, (field, spelling, seen[key], term)


@pytest.mark.parametrize(
    ("field", "text", "hint"),
    [
        ("conditions", "rheumatoid arthritus", "rheumatoid_arthritis"),
        ("conditions", "lupus nephritis", "systemic_lupus_erythematosus"),
        ("exposures", "chemotherapie", "chemotherapy"),
        ("symptoms", "feverish", "fever"),
        ("symptoms", "diarrhea", "severe_diarrhea"),
    ],
)
def test_unknown_term_raises_with_closest_matches(field, text, hint):
    """An unknown condition, exposure or symptom raises an error naming the closest terms."""
    with pytest.raises(UnknownTermError) as info:
        History(**{field: [text]})
    message = str(info.value)
    assert repr(text) in message
    assert "Did you mean" in message and hint in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, CBCTeachError)


def test_unknown_term_message_lists_the_known_terms():
    """The error lists the known terms of the field and points to vocabulary()."""
    with pytest.raises(UnknownTermError, match=r"Known exposures: .*chemotherapy.*vocabulary\(\)"):
        History(exposures=["space travel"])


def test_unknown_medication_is_kept_with_a_remark():
    """An unknown medication is kept, with a remark that the toolkit knows nothing of it."""
    h = History(medications=["Metotrexate", "herbal tea"])
    assert "herbal tea" in h.medications
    assert "metotrexate" in h.medications
    assert len(h.remarks) == 2
    typo = next(r for r in h.remarks if "metotrexate" in r)
    assert "knows nothing" in typo and "methotrexate" in typo  # the close match is offered
    assert h.known_medications == ()


def test_known_medication_has_no_remark():
    """A known medication gives no remark."""
    assert History(medications=["methotrexate"]).remarks == ()


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"temperature_c": 101.3}, InvalidCountError, "Fahrenheit|degrees F"),
        ({"temperature_c": "hot"}, InvalidCountError, "temperature_c"),
        ({"age_years": -2}, InvalidCountError, "age_years"),
        ({"age_years": 250}, InvalidCountError, "age_years"),
        ({"fever_hours": -1}, InvalidParameterError, "fever_hours"),
        ({"fever_hours": "two"}, InvalidParameterError, "fever_hours"),
        ({"days_since_chemotherapy": -3}, InvalidParameterError, "days_since_chemotherapy"),
        ({"days_since_chemotherapy": float("nan")}, InvalidParameterError, "days_since"),
        ({"sex": "x"}, InvalidParameterError, "'sex'"),
        ({"duffy_null": "yes"}, InvalidParameterError, "duffy_null"),
        ({"conditions": [3]}, InvalidParameterError, "condition"),
        ({"medications": [None]}, InvalidParameterError, "medication"),
        ({"symptoms": 5}, InvalidParameterError, "symptoms"),
    ],
)
def test_bad_values_raise_clear_errors(kwargs, error, text):
    """Bad numbers and types raise an error naming the argument."""
    with pytest.raises(error, match=text):
        History(**kwargs)


def test_positional_arguments_are_refused():
    """All fields are keyword-only."""
    with pytest.raises(TypeError):
        History(40)  # type: ignore[misc]


def test_history_is_immutable_and_hashable():
    """A History cannot be changed in place, stores tuples, and is hashable."""
    h = History(conditions=["RA"], symptoms=["fever"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.conditions = ("hiv",)  # type: ignore[misc]
    assert isinstance(h.conditions, tuple) and isinstance(h.medications, tuple)
    assert hash(h) == hash(History(conditions=["rheumatoid arthritis"], symptoms=["Fever"]))


def test_order_and_duplicates_do_not_matter():
    """Terms are stored sorted and once, so equal histories compare equal."""
    a = History(conditions=["SLE", "RA", "lupus"])
    b = History(conditions=["rheumatoid arthritis", "systemic lupus erythematosus"])
    assert a == b
    assert a.conditions == ("rheumatoid_arthritis", "systemic_lupus_erythematosus")


def test_a_single_string_is_one_term():
    """A single string is read as one term, not as letters."""
    assert History(symptoms="sore throat").symptoms == ("sore_throat",)


def test_days_since_chemotherapy_implies_the_exposure():
    """Giving days_since_chemotherapy records chemotherapy as an exposure."""
    assert History(days_since_chemotherapy=9).exposures == ("chemotherapy",)


def test_sex_is_normalised():
    """'F' and 'M' are read as female and male."""
    assert History(sex="F").sex == "female" and History(sex="male").sex == "male"


def test_replace_and_add_return_checked_copies():
    """replace() and add() return new, checked histories and leave the original alone."""
    h = History(conditions=["RA"])
    h2 = h.add(conditions=["big spleen"], symptoms=["fever"])
    assert h.conditions == ("rheumatoid_arthritis",)
    assert h2.conditions == ("rheumatoid_arthritis", "splenomegaly")
    assert h2.symptoms == ("fever",)
    assert h.replace(age_years=50).age_years == 50
    with pytest.raises(UnknownTermError):
        h.add(conditions=["nonsense disease"])
    with pytest.raises(InvalidParameterError):
        h.add(age_years=3)


def test_vocabulary_is_a_fresh_copy():
    """Changing the dict vocabulary() returns does not change the toolkit."""
    v = vocabulary()
    v["conditions"].clear()
    assert "influenza" in vocabulary()["conditions"]


def test_vocabulary_lists_synonyms_per_term():
    """vocabulary() maps each field to terms and each term to a tuple of synonyms."""
    v = vocabulary()
    assert set(v) == {"conditions", "exposures", "symptoms", "medications"}
    assert "co-trimoxazole" in v["medications"]["trimethoprim-sulfamethoxazole"]
    assert "AIDS" in v["conditions"]["hiv"]
    assert all(isinstance(s, tuple) for terms in v.values() for s in terms.values())


@pytest.mark.parametrize(
    ("medication", "klass"),
    [
        ("docetaxel", "chemotherapy"), ("etoposide", "chemotherapy"),
        ("clozapine", "idiosyncratic"), ("methimazole", "idiosyncratic"),
        ("Bactrim", "idiosyncratic"), ("carbamazepine", "idiosyncratic"),
        ("methotrexate", "dose_dependent"), ("azathioprine", "dose_dependent"),
        ("zidovudine", "dose_dependent"), ("linezolid", "dose_dependent"),
        ("interferon alfa", "interferon"), ("interferon beta", "interferon"),
        ("prednisone", "glucocorticoid"), ("dexamethasone", "glucocorticoid"),
        ("rituximab", "anti_cd20"),
    ],
)
def test_medication_classes(medication, klass):
    """Medications belong to the classes pharmacology gives them."""
    assert klass in medication_classes(medication)


@pytest.mark.parametrize("steroid", ["prednisone", "dexamethasone", "steroids"])
def test_glucocorticoids_are_only_glucocorticoids(steroid):
    """Steroids are in no myelotoxic class: they do not cause leukopenia."""
    assert medication_classes(steroid) == ("glucocorticoid",)


def test_unknown_medication_has_no_class():
    """An unknown medication belongs to no class."""
    assert medication_classes("herbal tea") == ()


def test_text_and_html_forms():
    """A history reads as plain words and as HTML."""
    h = History(age_years=40, sex="female", conditions=["SLE"], medications=["foo"],
                temperature_c=38.2, fever_hours=2, duffy_null=False)
    text = str(h)
    assert "systemic lupus erythematosus" in text and "38.2 C for 2 h" in text
    assert "Duffy-positive" in text
    assert "<li>" in h._repr_html_() and "knows nothing" in h._repr_html_()
    assert repr(h).startswith("History(") and "age_years=40" in repr(h)
    assert str(History()) == "No history recorded."
