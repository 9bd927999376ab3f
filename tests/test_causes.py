"""Tests for cbc_teach.causes: the likely-causes engine and its knowledge base.

Expectations come from clinical stories (tests/data/vignettes*.toml) and from properties of
the method; no test reads an expected weight from the knowledge base.
"""

from __future__ import annotations

import math
import pathlib
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cbc_teach import (
    CBC,
    CauseScore,
    History,
    LikelyCauses,
    known_causes,
    likely_causes,
    next_tests,
    test_catalogue,
    vocabulary,
)
from cbc_teach._data import read_toml
from cbc_teach.causes import NO_CAUSE
from cbc_teach.errors import (
    InvalidParameterError,
    MissingAgeError,
    UnknownNameError,
    UnknownPopulationError,
)

DATA = pathlib.Path(__file__).parent / "data"

SPEC_CAUSES = (
    "viral_infection", "chemotherapy", "radiation_therapy", "bone_marrow_transplant",
    "drug_induced", "hypersplenism", "myelodysplastic_syndrome", "aplastic_anemia", "leukemia",
    "marrow_infiltration", "systemic_lupus_erythematosus", "rheumatoid_arthritis",
    "congenital_neutropenia", "myelokathexis", "cyclic_neutropenia", "sarcoidosis",
    "b12_folate_deficiency", "copper_deficiency", "hiv_infection", "sepsis", "alcohol",
    "duffy_null", "chronic_idiopathic_neutropenia",
)

#: The causes issue 12 added after a hematologist's review.
ISSUE12_CAUSES = (
    "autoimmune_neutropenia", "lgl_leukemia", "non_viral_infection", "glucocorticoid_effect",
)
#: Causes whose clear case may rank second: aplastic anaemia and acute leukaemia present with
#: the same severe pancytopenia and only the marrow tells them apart (issue 12: the Camitta
#: criteria grade aplastic anaemia once the marrow shows it; leukaemia is commoner).
SHARE_FIRST_PLACE = ("aplastic_anemia",)

# The tests SPEC requires in the catalogue, by plain name.
SPEC_TESTS = {
    "CBC repeat": "cbc_repeat",
    "peripheral blood smear": "blood_smear",
    "urine tests": "urine_tests",
    "chest X-ray": "chest_xray",
    "blood cultures": "blood_cultures",
    "vitamin B12 and folate": "b12_folate",
    "copper and ceruloplasmin": "copper_ceruloplasmin",
    "HIV test": "hiv_test",
    "ANA": "ana",
    "bone marrow biopsy": "bone_marrow_biopsy",
    "Duffy phenotype": "duffy_phenotype",
}


def _load(name: str) -> list[dict]:
    with open(DATA / name, "rb") as fh:
        return tomllib.load(fh)["vignette"]


VIGNETTES = _load("vignettes.toml")
HELDOUT = _load("vignettes_heldout.toml")


def _run(v: dict) -> LikelyCauses:
    return likely_causes(CBC(**v["cbc"]), History(**v.get("history", {})),
                         population=v.get("population", "adult"))


# --- textbook cases ---------------------------------------------------------------------------


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_textbook_vignette_ranks_its_cause(vignette):
    """Each development vignette ranks its true cause first (or within its stated rank)."""
    causes = _run(vignette)
    rank = causes.rank(vignette["expected"])
    assert rank <= vignette.get("max_rank", 1), causes.explain()
    top = causes.get(vignette["expected"])
    assert top.why, "the true cause must come with reasons"


def test_vignettes_cover_every_cause_with_a_clear_case():
    """At least 25 vignettes, and every cause has one that must rank it first (or second, for
    the causes that share a presentation with a commoner one)."""
    assert len(VIGNETTES) >= 25
    clear = {v["expected"] for v in VIGNETTES if v.get("max_rank", 1) == 1}
    assert set(SPEC_CAUSES + ISSUE12_CAUSES) - set(SHARE_FIRST_PLACE) <= clear
    near = {v["expected"] for v in VIGNETTES if v.get("max_rank", 1) <= 2}
    assert set(SHARE_FIRST_PLACE) <= near


ISSUE12 = [v for v in HELDOUT if {"not_first", "in_top", "max_probability",
                                  "min_probability", "max_rank"} & set(v)]


@pytest.mark.parametrize("vignette", ISSUE12, ids=[v["id"] for v in ISSUE12])
def test_issue12_rankings_as_the_review_requires(vignette):
    """The rankings issue 12's review found wrong now read as the held-out vignettes (written
    before any weight) say: the cause in its place, the wrong leaders not first, the causes a
    reader must keep in view within the first few, the impossible ones near zero."""
    causes = _run(vignette)
    report = causes.explain()
    assert causes.rank(vignette["expected"]) <= vignette.get("max_rank", 1), report
    for cid in vignette.get("not_first", ()):
        assert causes[0].id != cid, report
    if "in_top" in vignette:
        for cid in vignette["in_top"]["causes"]:
            assert causes.rank(cid) <= vignette["in_top"]["n"], (cid, report)
    for cid, p in vignette.get("max_probability", {}).items():
        assert causes.probability(cid) <= p, (cid, report)
    for cid, p in vignette.get("min_probability", {}).items():
        assert causes.probability(cid) >= p, (cid, report)


def test_heldout_accuracy_is_reported_and_above_a_floor(capsys):
    """On the held-out vignettes (written before any weight) top-1 and top-3 accuracy stay high.

    The floors are well below the measured values (see the report) so that the test guards
    against a broken engine without inviting tuning to these cases.
    """
    ranks = [_run(v).rank(v["expected"]) for v in HELDOUT]
    top1 = sum(r == 1 for r in ranks) / len(ranks)
    top3 = sum(r <= 3 for r in ranks) / len(ranks)
    with capsys.disabled():
        print(f"\nheld-out vignettes: n={len(ranks)} top-1 {top1:.0%} top-3 {top3:.0%}")
    assert len(HELDOUT) >= 25
    assert top1 >= 0.75 and top3 >= 0.9


def test_simulated_cases_accuracy(capsys):
    """On patients from cbc_teach.simulate.case (written by another author) top-3 stays high."""
    from cbc_teach.simulate import case

    ranks = []
    for cause_id in SPEC_CAUSES + ISSUE12_CAUSES:
        for seed in range(8):
            cbc, history = case(cause_id, seed=seed)
            ranks.append(likely_causes(cbc, history).rank(cause_id))
    top1 = sum(r == 1 for r in ranks) / len(ranks)
    top3 = sum(r <= 3 for r in ranks) / len(ranks)
    with capsys.disabled():
        print(f"\nsimulated cases: n={len(ranks)} top-1 {top1:.0%} top-3 {top3:.0%}")
    assert top1 >= 0.7 and top3 >= 0.9


# --- the catalogue of causes and tests --------------------------------------------------------


def test_every_spec_cause_is_known():
    """Every cause id of SPEC, and the four of issue 12, is in the knowledge base."""
    assert set(SPEC_CAUSES + ISSUE12_CAUSES) <= set(known_causes())
    assert NO_CAUSE not in known_causes()


def test_every_result_lists_every_cause():
    """likely_causes considers every cause (plus the 'nothing to explain' outcome)."""
    causes = likely_causes(CBC(2.8, neutrophils=0.9))
    assert set(causes.ids) == set(known_causes()) | {NO_CAUSE}


@pytest.mark.parametrize(("name", "test_id"), SPEC_TESTS.items())
def test_spec_tests_are_in_the_catalogue(name, test_id):
    """The test catalogue holds every test SPEC names."""
    assert test_id in test_catalogue()
    assert name.split()[0].lower() in test_catalogue()[test_id].lower()


@pytest.mark.parametrize("cause_id", SPEC_CAUSES)
def test_each_cause_has_next_tests_from_the_catalogue(cause_id):
    """Each cause names next tests, all from the catalogue."""
    tests = next_tests(cause_id)
    assert tests and set(tests) <= set(test_catalogue().values())


@pytest.mark.parametrize(
    ("cause_id", "test_name"),
    [
        ("duffy_null", "Duffy phenotype (Fy a/b)"),
        ("hiv_infection", "HIV test"),
        ("systemic_lupus_erythematosus", "ANA (antinuclear antibodies)"),
        ("copper_deficiency", "Copper and ceruloplasmin"),
        ("b12_folate_deficiency", "Vitamin B12 and folate"),
        ("sepsis", "Blood cultures"),
        ("sepsis", "Urine tests (urinalysis and culture)"),
        ("sepsis", "Chest X-ray"),
        ("myelodysplastic_syndrome", "Bone-marrow aspirate and biopsy"),
        ("viral_infection", "Repeat CBC with differential"),
        ("leukemia", "Peripheral blood smear"),
    ],
)
def test_next_tests_follow_the_references_table(cause_id, test_name):
    """The next tests of a cause are those the clinical references give."""
    assert test_name in next_tests(cause_id)


def test_unknown_cause_id_lists_close_matches():
    """next_tests() on an unknown cause names the closest ids."""
    with pytest.raises(UnknownNameError, match="duffy_null"):
        next_tests("dufy_null")


# --- provenance of the knowledge base ---------------------------------------------------------


def test_every_row_of_the_knowledge_base_has_a_source_or_rationale():
    """Every evidence row, prior, medication class and cause note says where it comes from (triage: test_triage)."""
    kb = read_toml("knowledge_base.toml")
    for cid, cause in kb["causes"].items():
        assert cause["prior"].get("rationale"), cid
        assert cause.get("next_tests_source"), cid
        assert set(cause["prior"]) == {"adult", "child", "rationale"}, cid
        for i, row in enumerate(cause.get("evidence", ())):
            assert row.get("source") or row.get("rationale"), (cid, i)
            assert row.get("reason") or row.get("reason_absent"), (cid, i)
            assert row.get("lr", 1) > 0 and row.get("lr_absent", 1) > 0, (cid, i)
            if "lr_absent" in row:
                assert row.get("reason_absent"), (cid, i)
    for name, klass in kb["medication_classes"].items():
        assert klass.get("source") and klass.get("effect"), name
    for section in ("signs", "timing", "patterns", "age_bands"):
        for name, entry in kb[section].items():
            assert entry.get("source") or entry.get("rationale"), (section, name)
    for remark in kb["remarks"]:
        assert remark.get("source"), remark["id"]
    for name, limit in kb["history_limits"].items():
        assert limit.get("rationale"), name


def _texts(node, path=""):
    """Every string in a parsed TOML tree, with its dotted path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _texts(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


@pytest.mark.parametrize("name", ["knowledge_base.toml", "cases.toml"])
def test_sources_point_to_what_a_reader_can_find(name):
    """No source, rationale or note points to the planning file outside the repository or to
    'the seed page' (issue 12): each names a primary reference or a written teaching estimate.
    The triage thresholds are checked where they live."""
    data = read_toml(name)
    data.pop("triage", None)
    bad = [(where, text) for where, text in _texts(data)
           if any(p in text.lower() for p in ("references.md", "references table", "seed page",
                                                "clinical/"))]
    assert not bad, bad


def test_glucocorticoids_are_evidence_only_for_their_own_lymphopenia():
    """Steroids support no cause of a low WBC or ANC (Shoenfeld 1981: they raise both); only the
    glucocorticoid_effect cause names them, to explain a low lymphocyte count."""
    kb = read_toml("knowledge_base.toml")
    steroids = {"medication_class:glucocorticoid"} | {
        f"medication:{m}" for m, e in kb["vocabulary"]["medications"].items()
        if "glucocorticoid" in e["classes"]
    }
    for cid, cause in kb["causes"].items():
        if cid == "glucocorticoid_effect":
            continue
        for row in cause.get("evidence", ()):
            when = [row["when"]] if isinstance(row["when"], str) else row["when"]
            assert not steroids & set(when), cid


@pytest.mark.parametrize("anc", [0.3, 0.9, 1.3])
def test_steroids_never_explain_a_low_anc(anc):
    """On prednisone, a low ANC gets another cause: the steroid effect stays below 1 %."""
    causes = likely_causes(CBC(anc + 1.4, neutrophils=anc, lymphocytes=0.6, monocytes=0.5,
                               eosinophils=0.0, hemoglobin=13.5, platelets=240),
                           History(age_years=50, medications=["prednisone"]))
    assert causes.probability("glucocorticoid_effect") < 0.01
    assert causes[0].id != "glucocorticoid_effect"


def test_steroid_lymphopenia_is_explained_by_the_steroid():
    """Notebook 03's teaching: an isolated lymphopenia on prednisone is the steroid's effect."""
    causes = likely_causes(CBC(11.8, neutrophils=10.2, lymphocytes=0.7, monocytes=0.8,
                               eosinophils=0.01, hemoglobin=13.8, platelets=300),
                           History(age_years=60, medications=["prednisolone"]))
    assert causes[0].id == "glucocorticoid_effect"
    assert any("Eosinophils below 0.04" in w for w in causes[0].why)


@pytest.mark.parametrize(("anc", "near_zero"), [(14.0, True), (6.0, True), (1.3, False)])
def test_duffy_null_explains_only_a_low_anc(anc, near_zero):
    """Duffy-null lowers the ANC only (Merz 2023; Hibbs 2025: interval about 1.2-5.4): above its
    interval it is all but excluded, even in a known Duffy-null patient; at 1.3 it leads."""
    causes = likely_causes(CBC(anc + 1.5, neutrophils=anc, lymphocytes=1.2, monocytes=0.3,
                               hemoglobin=13.5, platelets=250),
                           History(age_years=40, duffy_null=True, medications=["prednisone"]))
    if near_zero:
        assert causes.probability("duffy_null") < 0.005
    else:
        assert causes[0].id == "duffy_null"


@pytest.mark.parametrize("anc", [0.3, 0.49])
def test_duffy_null_does_not_explain_a_severe_neutropenia(anc):
    """Second reading of #12: the Duffy-null intervals start at about 0.8-1.2 (their 2.5th
    centiles: Hibbs 2025), so a known Duffy-null adult with ANC below 0.5 must not be told
    that the phenotype is the likeliest explanation; it stays a minor possibility."""
    causes = likely_causes(CBC(anc + 2.0, neutrophils=anc, lymphocytes=1.4, monocytes=0.3,
                               hemoglobin=13.8, platelets=260),
                           History(age_years=30, sex="female", duffy_null=True))
    assert causes[0].id != "duffy_null"
    assert causes.probability("duffy_null") < 0.15


def test_lgl_leukemia_stays_low_in_a_young_adult_with_a_mononucleosis_picture():
    """Second reading of #12: T-LGL leukaemia is a disease of older adults (median age about
    60: Lamy 2017). A febrile 19-year-old with sore throat, lymph nodes, a lymphocytosis and a
    mild neutropenia has the picture of infectious mononucleosis; the neutropenia-with-
    lymphocytosis ratio must not make LGL leukaemia a leading cause (it held about 11 %)."""
    causes = likely_causes(CBC(9.0, neutrophils=0.9, lymphocytes=7.4, monocytes=0.6,
                               hemoglobin=13.5, platelets=140),
                           History(age_years=19, symptoms=["sore throat", "lymphadenopathy"],
                                   temperature_c=38.2))
    assert causes.rank("lgl_leukemia") > 3
    assert causes.probability("lgl_leukemia") < 0.06
    older = likely_causes(CBC(6.2, neutrophils=0.4, lymphocytes=5.2, monocytes=0.45,
                              hemoglobin=12.6, platelets=170),
                          History(age_years=66, sex="male", conditions=["splenomegaly"]))
    assert older.rank("lgl_leukemia") <= 2
    # MDS lowers, it does not raise, the lymphocytes: with a lymphocytosis it must not tie
    # with LGL leukaemia (it did, 41 % each, before the second reading).
    no_spleen = likely_causes(CBC(6.0, neutrophils=0.3, lymphocytes=5.2, monocytes=0.3,
                                  hemoglobin=12.5, platelets=200),
                              History(age_years=68, sex="male",
                                      symptoms=["recurrent infections"]))
    assert no_spleen[0].id == "lgl_leukemia"
    assert no_spleen.probability("lgl_leukemia") > 2 * no_spleen.probability(
        "myelodysplastic_syndrome")


@pytest.mark.parametrize(("anc", "profound"), [(0.19, True), (0.2, False), (0.45, False)])
def test_profound_neutropenia_weighs_against_idiopathic_and_viral(anc, profound):
    """Chronic idiopathic neutropenia is mild to moderate by definition (Dale & Bolyard 2017);
    below 0.2 it and a post-viral dip fall sharply, on both sides of the 0.2 boundary."""
    def run(a):
        return likely_causes(CBC(1.8 + a, neutrophils=a, lymphocytes=1.4, monocytes=0.3,
                                 hemoglobin=13.5, platelets=250),
                             History(age_years=45, sex="female", exposures=["cold"]))
    base, here = run(0.45), run(anc)
    # Odds against a cause the 0.2 boundary does not touch (HIV), so normalisation cancels.
    for cid in ("chronic_idiopathic_neutropenia", "viral_infection"):
        ratio = (here.probability(cid) / here.probability("hiv_infection")) / (
            base.probability(cid) / base.probability("hiv_infection"))
        assert (ratio < 0.5) == profound, (cid, ratio)


def test_thiopurine_tests_only_for_thiopurines():
    """TPMT/NUDT15 are for azathioprine and mercaptopurine (CPIC 2018), never for clozapine."""
    cbc = CBC(1.5, neutrophils=0.2, lymphocytes=1.0, hemoglobin=13.0, platelets=230)
    tpmt = test_catalogue()["tpmt_nudt15"]
    clozapine = likely_causes(cbc, History(medications=["clozapine"])).get("drug_induced")
    azathioprine = likely_causes(cbc, History(medications=["azathioprine"])).get("drug_induced")
    assert tpmt not in clozapine.next_tests
    assert tpmt in azathioprine.next_tests
    assert "tpmt_nudt15" in azathioprine.next_test_ids


@pytest.mark.parametrize(("temperature", "cultures"), [(37.9, False), (38.0, True), (None, False)])
def test_blood_cultures_only_with_fever(temperature, cultures):
    """Blood cultures are a next test of a drug cause only in a febrile patient (38.0 C: IDSA)."""
    causes = likely_causes(CBC(1.5, neutrophils=0.2, lymphocytes=1.0, hemoglobin=13.0,
                               platelets=230),
                           History(medications=["clozapine"], temperature_c=temperature))
    assert ("Blood cultures" in causes.get("drug_induced").next_tests) is cultures


def test_untreated_hyperthyroidism_asks_for_a_baseline_count():
    """Untreated Graves' disease can lower the ANC (Aggarwal 2016): the remark asks for a
    baseline count before an antithyroid drug (ATA 2016); on the drug, compare with it."""
    cbc = CBC(3.4, neutrophils=1.2, lymphocytes=1.7, hemoglobin=13.0, platelets=240)
    untreated = likely_causes(cbc, History(conditions=["Graves disease"]))
    assert any("baseline" in r for r in untreated.remarks)
    treated = likely_causes(cbc, History(conditions=["Graves"], medications=["carbimazole"]))
    assert any("before the antithyroid drug" in r for r in treated.remarks)


def test_conditional_next_test_needs_known_features():
    """A conditional next test naming an unknown feature is an error for the data's author."""
    from cbc_teach.causes import _read_test

    raw = read_toml("knowledge_base.toml")
    with pytest.raises(ValueError, match="unknown"):
        _read_test({"test": "blood_cultures", "when": "symptom:no_such_symptom"}, raw, "x")
    with pytest.raises(ValueError, match="exactly"):
        _read_test({"test": "blood_cultures"}, raw, "x")


def test_every_medication_class_is_used_by_the_vocabulary():
    """Each medication class has members, and each medication names known classes."""
    kb = read_toml("knowledge_base.toml")
    used = {c for e in kb["vocabulary"]["medications"].values() for c in e["classes"]}
    assert used == set(kb["medication_classes"])


# --- behaviour --------------------------------------------------------------------------------


def test_normal_count_without_history_says_so():
    """A normal count with no relevant history gets no invented cause, and says why."""
    causes = likely_causes(CBC(6.8, neutrophils=4.0, lymphocytes=2.0, monocytes=0.5,
                               hemoglobin=14.0, platelets=250))
    assert causes[0].id == NO_CAUSE and causes[0].probability > 0.95
    assert causes.normal
    assert any("no low white count to explain" in r for r in causes.remarks)
    assert "No low white count to explain" in causes.explain()


def test_normal_count_with_relevant_history_keeps_it_in_view():
    """A normal count during chemotherapy still says 'nothing to explain', and names the risk."""
    causes = likely_causes(CBC(6.0, neutrophils=3.4), History(days_since_chemotherapy=9))
    assert causes[0].id == NO_CAUSE
    assert causes.rank("chemotherapy") == 2
    assert any("Chemotherapy" in r for r in causes.remarks)


def test_low_count_is_never_given_the_nothing_to_explain_outcome():
    """A low WBC or ANC makes 'nothing to explain' negligible."""
    causes = likely_causes(CBC(2.9, neutrophils=1.3))
    assert causes.probability(NO_CAUSE) < 0.01
    assert not causes.normal


@pytest.mark.parametrize("steroid", ["prednisone", "dexamethasone", "steroids"])
def test_steroids_do_not_change_the_ranking_but_add_a_remark(steroid):
    """Adding a glucocorticoid to a low ANC leaves the ranking of the other causes as it was
    (their probabilities move by well under 1 %), keeps the steroid effect negligible, and adds
    the correction."""
    cbc = CBC(2.6, neutrophils=1.0, lymphocytes=0.8, hemoglobin=12.5, platelets=200)
    base = History(age_years=50, sex="female", conditions=["SLE"])
    before = likely_causes(cbc, base)
    after = likely_causes(cbc, base.add(medications=[steroid]))
    others = [c.id for c in after if c.id != "glucocorticoid_effect"]
    assert others == [c.id for c in before if c.id != "glucocorticoid_effect"]
    for c in before:
        assert after.probability(c.id) == pytest.approx(c.probability, abs=0.005)
    assert after.probability("glucocorticoid_effect") < 0.005
    assert any("RAISE the WBC" in r for r in after.remarks)
    assert any("lymphocytes" in r for r in after.remarks)


def test_steroids_with_a_high_count_explain_it():
    """A high WBC on steroids is expected, and the remark says so."""
    causes = likely_causes(CBC(14.0, neutrophils=12.0, lymphocytes=1.2),
                           History(medications=["prednisone"]))
    assert causes.normal
    assert any("high count on steroids is expected" in r for r in causes.remarks)


def test_zinc_points_to_copper_deficiency_with_the_correction():
    """Zinc supplements point to copper deficiency, and the remark says zinc EXCESS is the cause."""
    cbc = CBC(2.4, neutrophils=0.8, lymphocytes=1.2, hemoglobin=9.8, mcv=96, platelets=220)
    causes = likely_causes(cbc, History(exposures=["zinc supplements"]))
    assert causes[0].id == "copper_deficiency"
    assert any("Zinc EXCESS" in r for r in causes.remarks)


def test_sarcoidosis_remark_corrects_the_seed_page():
    """With sarcoidosis, a remark says its cause is unknown, not bacterial."""
    causes = likely_causes(CBC(3.4, neutrophils=2.4, lymphocytes=0.6),
                           History(conditions=["sarcoidosis"]))
    assert any("unknown cause" in r and "not a bacterial" in r for r in causes.remarks)


def test_antibiotic_remark_gives_the_duration():
    """With an antibiotic, a remark says the neutropenia usually needs two weeks of treatment."""
    causes = likely_causes(CBC(2.9, neutrophils=1.1), History(medications=["vancomycin"]))
    assert any("two or more weeks" in r for r in causes.remarks)


def test_unknown_medication_remark_is_carried():
    """The history's remark about an unknown medication reaches the result."""
    causes = likely_causes(CBC(2.9, neutrophils=1.1), History(medications=["zyprexa"]))
    assert any("zyprexa" in r for r in causes.remarks)


def test_duffy_positive_excludes_the_duffy_null_cause():
    """A Duffy-positive patient's low ANC is not put down to the Duffy-null phenotype."""
    cbc = CBC(3.1, neutrophils=1.3, lymphocytes=1.5, hemoglobin=13.0, platelets=230)
    assert likely_causes(cbc, History(duffy_null=False)).probability("duffy_null") < 0.001
    assert likely_causes(cbc, History(duffy_null=True))[0].id == "duffy_null"


def test_duffy_null_population_equals_the_phenotype():
    """population='duffy_null' weighs the count like History(duffy_null=True)."""
    cbc = CBC(3.1, neutrophils=1.3, lymphocytes=1.5, hemoglobin=13.0, platelets=230)
    a = likely_causes(cbc, History(age_years=30), population="duffy_null")
    b = likely_causes(cbc, History(age_years=30, duffy_null=True))
    assert [(c.id, round(c.probability, 12)) for c in a] == [
        (c.id, round(c.probability, 12)) for c in b]


def test_ambiguous_case_is_honest():
    """When no cause stands out, the result says so and keeps several causes in view."""
    causes = likely_causes(CBC(3.2, neutrophils=1.3, lymphocytes=1.5, hemoglobin=13.0,
                               platelets=230), History(age_years=35, sex="female"))
    assert causes[0].probability < 0.6
    assert sum(c.probability for c in causes[:3]) > 0.8
    assert any("No single cause stands out" in r for r in causes.remarks)


def test_chemotherapy_nadir_timing_matters():
    """The same fall is more likely chemotherapy in the nadir window than two months later."""
    cbc = CBC(1.5, neutrophils=0.6, lymphocytes=0.7, hemoglobin=11, platelets=140)
    in_window = likely_causes(cbc, History(days_since_chemotherapy=10))
    late = likely_causes(cbc, History(days_since_chemotherapy=60))
    assert in_window.probability("chemotherapy") > late.probability("chemotherapy")
    assert any("nadir" in w for w in in_window.get("chemotherapy").why)
    assert any("28 days" in a for a in late.get("chemotherapy").against)


def test_macrocytosis_above_110_favours_b12_over_mds():
    """A very high MCV shifts the balance from MDS towards B12/folate deficiency."""
    def run(mcv):
        return likely_causes(CBC(2.8, neutrophils=1.2, lymphocytes=1.2, hemoglobin=9.5,
                                 mcv=mcv, platelets=120), History(age_years=70))
    moderate, marked = run(104), run(118)
    ratio = lambda r: r.probability("b12_folate_deficiency") / r.probability(  # noqa: E731
        "myelodysplastic_syndrome")
    assert ratio(marked) > ratio(moderate)


def test_every_reason_is_tied_to_a_finding_and_shows_its_weight():
    """Each 'why' and 'against' line names what it rests on and its likelihood ratio."""
    causes = _run(VIGNETTES[0])
    for c in causes:
        for line in c.why + c.against:
            assert line.endswith(")") and "(LR " in line
        assert len(c.evidence) == len(c.why) + len(c.against)
        for e in c.evidence:
            assert e.source


def test_explanations_in_text_and_html():
    """The ranking explains itself in plain text and as an HTML table with bars."""
    causes = _run(VIGNETTES[0])
    text = causes.explain()
    assert text == str(causes)
    assert "1. Viral infection" in text and "for:" in text and "next tests:" in text
    assert "How:" in text
    page = causes._repr_html_()
    assert page.count("<tr>") == len(causes) + 1
    assert "width:" in page and "%" in page and "<table>" in page
    one = causes[0]
    assert one.name in one.explain() and "<table>" in one._repr_html_()
    assert repr(causes).startswith("LikelyCauses(viral_infection=")


def test_top_keeps_the_first_causes_with_unchanged_probabilities():
    """top=N returns the N most likely causes, probabilities as in the full list."""
    cbc = CBC(2.5, neutrophils=0.6)
    full = likely_causes(cbc)
    three = likely_causes(cbc, top=3)
    assert isinstance(three, LikelyCauses) and isinstance(three, list)
    assert three.ids == full.ids[:3]
    assert [c.probability for c in three] == [c.probability for c in full[:3]]


def test_next_tests_of_the_list():
    """The list gathers the next tests of its top causes without repeats."""
    causes = likely_causes(CBC(1.4, neutrophils=0.05), History(medications=["clozapine"]))
    tests = causes.next_tests(top=2)
    assert tests[0] == "Medication review: stop the suspect drug"
    assert len(tests) == len(set(tests))


def test_cause_scores_are_frozen_dataclasses():
    """A CauseScore carries id, name, category, probability, why, against and next_tests."""
    c = likely_causes(CBC(2.5, neutrophils=0.6))[0]
    assert isinstance(c, CauseScore)
    for attr in ("id", "name", "category", "probability", "why", "against", "next_tests"):
        assert hasattr(c, attr)
    assert isinstance(c.why, tuple) and isinstance(c.next_tests, tuple)
    with pytest.raises(AttributeError):
        c.probability = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "text"),
    [
        ((2.8,), {}, InvalidParameterError, "needs a CBC"),
        ((CBC(2.8), {"conditions": ["RA"]}), {}, InvalidParameterError, "'history'"),
        ((CBC(2.8),), {"top": 0}, InvalidParameterError, "'top'"),
        ((CBC(2.8),), {"top": "3"}, InvalidParameterError, "'top'"),
        ((CBC(2.8),), {"population": "children"}, UnknownPopulationError, "child"),
        ((CBC(2.8),), {"population": "child"}, MissingAgeError, "age_years"),
    ],
)
def test_bad_arguments_raise_clear_errors(args, kwargs, error, text):
    """Bad arguments raise errors that name the argument."""
    with pytest.raises(error, match=text):
        likely_causes(*args, **kwargs)


def test_results_are_deterministic():
    """The same input gives the same ranking, with or without the cache."""
    from cbc_teach.causes import _rank

    v = VIGNETTES[5]
    first = [(c.id, c.probability) for c in _run(v)]
    _rank.cache_clear()
    assert [(c.id, c.probability) for c in _run(v)] == first


# --- properties -------------------------------------------------------------------------------

_vocab = vocabulary()


@st.composite
def counts(draw):
    wbc = draw(st.floats(0.2, 25.0))
    parts = [draw(st.floats(0.0, 1.0)) for _ in range(5)]
    total = sum(parts) or 1.0
    n, ly, mo, eo, ba = (round(wbc * p / total * 0.98, 3) for p in parts)
    extra = {}
    if draw(st.booleans()):
        extra["hemoglobin"] = draw(st.floats(5.0, 17.0))
        extra["platelets"] = draw(st.floats(5.0, 450.0))
    if draw(st.booleans()):
        extra["mcv"] = draw(st.floats(70.0, 125.0))
    return CBC(wbc, neutrophils=n, lymphocytes=ly, monocytes=mo, eosinophils=eo, basophils=ba,
               **extra)


@st.composite
def histories(draw):
    def some(field):
        return draw(st.lists(st.sampled_from(sorted(_vocab[field])), max_size=3, unique=True))

    return History(
        age_years=draw(st.none() | st.floats(18, 95)),
        sex=draw(st.sampled_from([None, "female", "male"])),
        conditions=some("conditions"),
        exposures=some("exposures"),
        symptoms=some("symptoms"),
        medications=some("medications"),
        temperature_c=draw(st.none() | st.floats(35.0, 40.5)),
        days_since_chemotherapy=draw(st.none() | st.integers(0, 60)),
        duffy_null=draw(st.sampled_from([None, True, False])),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts(), histories())
def test_probabilities_sum_to_one(cbc, history):
    """Over all causes the probabilities are in [0, 1] and sum to 1, in decreasing order."""
    causes = likely_causes(cbc, history)
    probs = [c.probability for c in causes]
    assert math.isclose(sum(probs), 1.0, abs_tol=1e-9)
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert probs == sorted(probs, reverse=True)


# A history term and the cause it is evidence for (clinical knowledge, not read from the data).
EVIDENCE_FOR = [
    ("conditions", "influenza", "viral_infection"),
    ("conditions", "covid19", "viral_infection"),
    ("exposures", "recent_viral_illness", "viral_infection"),
    ("exposures", "chemotherapy", "chemotherapy"),
    ("exposures", "radiation_therapy", "radiation_therapy"),
    ("exposures", "bone_marrow_transplant", "bone_marrow_transplant"),
    ("medications", "clozapine", "drug_induced"),
    ("medications", "methimazole", "drug_induced"),
    ("medications", "methotrexate", "drug_induced"),
    ("medications", "interferon beta", "drug_induced"),
    ("conditions", "cirrhosis", "hypersplenism"),
    ("conditions", "splenomegaly", "hypersplenism"),
    ("conditions", "systemic_lupus_erythematosus", "systemic_lupus_erythematosus"),
    ("conditions", "rheumatoid_arthritis", "rheumatoid_arthritis"),
    ("conditions", "family_history_neutropenia", "congenital_neutropenia"),
    ("symptoms", "warts", "myelokathexis"),
    ("symptoms", "periodic_fevers", "cyclic_neutropenia"),
    ("conditions", "sarcoidosis", "sarcoidosis"),
    ("conditions", "pernicious_anemia", "b12_folate_deficiency"),
    ("exposures", "vegan_diet", "b12_folate_deficiency"),
    ("exposures", "zinc_supplements", "copper_deficiency"),
    ("exposures", "bariatric_surgery", "copper_deficiency"),
    ("conditions", "hiv", "hiv_infection"),
    ("exposures", "hiv_risk", "hiv_infection"),
    ("symptoms", "oral_thrush", "hiv_infection"),
    ("symptoms", "hypotension", "sepsis"),
    ("exposures", "alcohol_use_disorder", "alcohol"),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts(), histories(), st.sampled_from(EVIDENCE_FOR))
def test_adding_evidence_for_a_cause_never_lowers_its_probability(cbc, history, item):
    """Adding a history term that is evidence for a cause never lowers that cause's probability."""
    field, term, cause = item
    before = likely_causes(cbc, history).probability(cause)
    after = likely_causes(cbc, history.add(**{field: [term]})).probability(cause)
    assert after >= before - 1e-12


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts(), histories())
def test_knowing_the_duffy_null_phenotype_never_lowers_that_cause(cbc, history):
    """Learning that a patient is Duffy-null never lowers the Duffy-null cause."""
    unknown = likely_causes(cbc, history.replace(duffy_null=None)).probability("duffy_null")
    known = likely_causes(cbc, history.replace(duffy_null=True)).probability("duffy_null")
    assert known >= unknown - 1e-12
