"""Film findings as evidence for likely_causes (likely_causes(..., film=...))."""

from __future__ import annotations

import pytest

from cbc_teach import CBC, History, likely_causes, make_slide
from cbc_teach.causes import known_causes
from cbc_teach.errors import InvalidParameterError, UnknownNameError
from cbc_teach.film.catalogue import film_data


def prob(result, cause_id):
    return next(c.probability for c in result if c.id == cause_id)


def test_clumps_point_to_pseudo_neutropenia_and_a_count_in_citrate():
    """A well adult with an isolated low count and clumps on the film: pseudo-neutropenia
    first, and the next test is a count in citrate (Hillyer 1990)."""
    cbc = CBC(1.9, neutrophils=0.7, lymphocytes=0.9, monocytes=0.2, hemoglobin=14.0,
              platelets=250)
    result = likely_causes(cbc, History(age_years=41), film=["neutrophil_clumps"])
    assert result[0].id == "pseudo_neutropenia"
    assert "citrate" in result[0].next_tests[0]
    assert any("citrate" in w for w in result[0].why)
    assert prob(likely_causes(cbc, History(age_years=41)), "pseudo_neutropenia") < 0.05


def test_hypersegmentation_points_to_b12_or_folate():
    """A vegan with macrocytosis: the film's hypersegmented neutrophils raise B12/folate."""
    cbc = CBC(2.8, neutrophils=1.2, lymphocytes=1.2, hemoglobin=9.8, mcv=113, platelets=140)
    history = History(age_years=66, exposures=["vegan_diet"])
    without = prob(likely_causes(cbc, history), "b12_folate_deficiency")
    with_film = likely_causes(cbc, history, film=["hypersegmented_neutrophils"])
    assert with_film[0].id == "b12_folate_deficiency"
    assert prob(with_film, "b12_folate_deficiency") > without
    read_nothing = prob(likely_causes(cbc, history, film=[]), "b12_folate_deficiency")
    assert read_nothing < without  # a film was read and shows no hypersegmentation


def test_toxic_changes_raise_sepsis():
    """Fever and low blood pressure with toxic granulation and Doehle bodies: sepsis rises."""
    cbc = CBC(2.2, neutrophils=1.2, bands=0.4, lymphocytes=0.5, hemoglobin=12.5, platelets=150)
    history = History(age_years=58, symptoms=["fever", "hypotension"], temperature_c=39.4)
    without = prob(likely_causes(cbc, history), "sepsis")
    result = likely_causes(cbc, history, film=["toxic_granulation", "dohle_bodies"])
    assert prob(result, "sepsis") > without
    assert result[0].id == "sepsis"


def test_blasts_and_auer_rods_point_to_leukaemia():
    """Pancytopenia with blasts and Auer rods: leukaemia first."""
    cbc = CBC(1.8, neutrophils=0.5, lymphocytes=1.0, hemoglobin=8.0, platelets=40)
    result = likely_causes(cbc, History(age_years=45, symptoms=["bruising"]),
                           film=["blasts", "auer_rods"])
    assert result[0].id == "leukemia"
    assert any("myeloid" in w for w in result[0].why)


def test_pseudo_pelger_points_to_myelodysplasia():
    """An older adult with macrocytosis and pseudo-Pelger cells: myelodysplasia first."""
    cbc = CBC(2.4, neutrophils=1.0, lymphocytes=1.1, hemoglobin=9.5, mcv=104, platelets=95)
    result = likely_causes(cbc, History(age_years=79), film=["pseudo_pelger"])
    assert result[0].id == "myelodysplastic_syndrome"


def test_large_granular_lymphocytes_with_rheumatoid_arthritis():
    """Neutropenia in RA with LGLs on the film: LGL leukaemia moves to the top (Lamy 2017)."""
    cbc = CBC(3.0, neutrophils=0.6, lymphocytes=2.1, hemoglobin=12.0, platelets=200)
    history = History(age_years=63, conditions=["rheumatoid_arthritis"])
    before = likely_causes(cbc, history)
    after = likely_causes(cbc, history, film=["large_granular_lymphocytes"])
    assert before[0].id != "lgl_leukemia"
    assert after[0].id == "lgl_leukemia"
    assert prob(after, "lgl_leukemia") > prob(before, "lgl_leukemia")


def test_a_slide_can_be_given_as_the_film():
    """likely_causes reads the findings of a Slide."""
    cbc = CBC(1.9, neutrophils=0.7, lymphocytes=0.9)
    slide = make_slide(cbc, findings=["neutrophil_clumps"], seed=1)
    by_slide = likely_causes(cbc, film=slide)
    by_names = likely_causes(cbc, film=["neutrophil_clumps"])
    assert by_slide.ids == by_names.ids


def test_no_film_changes_nothing():
    """Without a film the ranking is the one the engine gave before films existed."""
    cbc = CBC(2.5, neutrophils=0.6, lymphocytes=1.5, hemoglobin=11.5, platelets=180)
    assert likely_causes(cbc, History(conditions=["RA"])).ids == \
        likely_causes(cbc, History(conditions=["RA"]), film=None).ids


def test_bad_film_arguments_are_explained():
    """An unknown finding lists the known ones; a number is not a film."""
    cbc = CBC(2.5, neutrophils=0.6)
    with pytest.raises(UnknownNameError, match="toxic_granulation"):
        likely_causes(cbc, film=["toxic_granulations"])
    with pytest.raises(InvalidParameterError, match="film"):
        likely_causes(cbc, film=3)


def test_every_film_evidence_row_has_a_source_and_a_known_finding():
    """Each [[evidence]] row in film.toml names a finding, a cause, an LR and its source."""
    data = film_data()
    for row in data["evidence"]:
        assert row["finding"] in data["findings"]
        assert row["lr"] > 0 and (row.get("source") or row.get("rationale"))
        assert row["cause"] in known_causes()
