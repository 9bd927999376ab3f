"""Simulated healthy cohorts and the reference-interval helpers (cbc_teach.simulate)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbc_teach import classify_many, populations, reference_interval
from cbc_teach.errors import InvalidParameterError, UnknownNameError, UnknownPopulationError
from cbc_teach.severity import neutropenia_threshold
from cbc_teach.simulate import cohort, cohort_interval, estimate_interval, share_called_low
from cbc_teach.simulate._common import params
from cbc_teach.simulate.cohorts import COHORT_KEYS, PARTS

N = 200_000  # percentiles of 200,000 draws move by well under 1 % between seeds

# Analytes whose 2.5th/97.5th percentiles must reproduce the data file (within 10 %). Lower
# limits of 0 (eosinophils, basophils) cannot be matched by a percentile of positive counts,
# so only their upper limit is checked.
BOTH_LIMITS = ["wbc", "neutrophils", "lymphocytes", "monocytes", "hemoglobin", "platelets"]
UPPER_ONLY = ["eosinophils", "basophils"]


@pytest.fixture(scope="module")
def adults():
    return {pop: cohort(N, population=pop, seed=11) for pop in ("adult", "duffy_null")}


def test_same_seed_same_people_different_seed_different_people():
    """A seed reproduces the cohort exactly; another seed gives other people."""
    a, b, c = cohort(1000, seed=5), cohort(1000, seed=5), cohort(1000, seed=6)
    assert all(np.array_equal(a[k], b[k]) for k in COHORT_KEYS)
    assert not np.array_equal(a["wbc"], c["wbc"])
    gen = cohort(1000, seed=np.random.default_rng(5))
    assert np.array_equal(gen["wbc"], a["wbc"])


@pytest.mark.parametrize("population", ["adult", "duffy_null", "child"])
def test_counts_are_positive_and_the_wbc_is_the_sum_of_its_parts(population):
    """Every count is finite and positive; WBC equals the five white cells added up."""
    c = cohort(50_000, population=population, seed=2)
    for key in COHORT_KEYS:
        assert c[key].shape == (50_000,)
        assert np.isfinite(c[key]).all() and (c[key] > 0).all(), key
    np.testing.assert_allclose(c["wbc"], sum(c[p] for p in PARTS), rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 300),
       population=st.sampled_from(["adult", "duffy_null", "child"]))
def test_property_parts_add_up_for_any_seed(seed, n, population):
    """For any seed and size, counts are positive and parts add up to the WBC."""
    c = cohort(n, population=population, seed=seed)
    assert (c["neutrophils"] > 0).all() and (c["basophils"] > 0).all()
    np.testing.assert_allclose(c["wbc"], sum(c[p] for p in PARTS), rtol=1e-12)


@pytest.mark.parametrize("population", ["adult", "duffy_null"])
@pytest.mark.parametrize("analyte", BOTH_LIMITS + UPPER_ONLY)
def test_percentiles_reproduce_the_data_file_within_10_percent(adults, population, analyte):
    """2.5th and 97.5th percentiles are within 10 % of the population's reference interval.

    Tolerance 10 % (the issue's target). Hemoglobin is compared with the 'any sex' row, which
    spans both sexes as the mixed cohort does. The WBC is the sum of the simulated cells, so
    this checks the model, not a fitted number.
    """
    low, high = estimate_interval(adults[population][analyte])
    iv = reference_interval(analyte, population)
    assert high == pytest.approx(iv.high, rel=0.10)
    if analyte in BOTH_LIMITS:
        assert low == pytest.approx(iv.low, rel=0.10)


@pytest.mark.parametrize("sex", ["male", "female"])
def test_hemoglobin_follows_the_sex_specific_interval(sex):
    """With a sex given, hemoglobin matches that sex's interval (within 2 %)."""
    low, high = estimate_interval(cohort(N, sex=sex, seed=3)["hemoglobin"])
    iv = reference_interval("hemoglobin", "adult", sex=sex)
    assert (low, high) == (pytest.approx(iv.low, rel=0.02), pytest.approx(iv.high, rel=0.02))


def test_correlation_between_cells_matches_the_published_one(adults):
    """The Pearson correlations of the simulated counts match the source's (within 0.05)."""
    table = params()["cohort"]["correlation"]
    c = adults["adult"]
    for a, others in ((k, v) for k, v in table.items() if isinstance(v, dict)):
        for b, r in others.items():
            assert np.corrcoef(c[a], c[b])[0, 1] == pytest.approx(r, abs=0.05), (a, b)


def test_duffy_null_adults_have_a_lower_anc(adults):
    """Duffy-null adults: lower median ANC, and a 1.5 cut-off flags many more of them."""
    adult, duffy = adults["adult"], adults["duffy_null"]
    assert np.median(duffy["neutrophils"]) < 0.8 * np.median(adult["neutrophils"])
    assert np.mean(duffy["neutrophils"] < 1.5) > 2.5 * np.mean(adult["neutrophils"] < 1.5)
    # Other cells are not lowered by the Duffy-null phenotype.
    assert np.median(duffy["lymphocytes"]) == pytest.approx(np.median(adult["lymphocytes"]), rel=0.02)


CHILD_BANDS = [(0.0, 7 / 365.25), (7 / 365.25, 1 / 12), (1 / 12, 0.25), (0.25, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 11.0),
               (11.0, 18.0)]


@pytest.mark.parametrize("band", CHILD_BANDS)
def test_children_reproduce_the_wbc_interval_of_their_age_band(band):
    """Children of one age band: WBC percentiles within 10 % of the band's interval.

    The model makes neutrophils from the WBC and an age-specific differential, so only a few
    per cent of healthy children fall under the neutropenia threshold (checked: under 5 %).
    """
    c = cohort(100_000, population="child", age_years=band, seed=4)
    assert ((c["age_years"] >= band[0]) & (c["age_years"] < band[1])).all()
    mid = (band[0] + band[1]) / 2
    iv = reference_interval("wbc", "child", age_years=mid)
    low, high = estimate_interval(c["wbc"])
    assert (low, high) == (pytest.approx(iv.low, rel=0.10), pytest.approx(iv.high, rel=0.10))
    threshold = neutropenia_threshold("child", age_years=mid).value
    assert np.mean(c["neutrophils"] < threshold) < 0.05


def test_infants_have_more_lymphocytes_than_neutrophils_and_teenagers_the_reverse():
    """The differential changes with age: lymphocytes dominate in infancy, neutrophils later."""
    infants = cohort(20_000, population="child", age_years=(0.5, 1.5), seed=1)
    teens = cohort(20_000, population="child", age_years=(14, 17), seed=1)
    assert np.median(infants["lymphocytes"]) > np.median(infants["neutrophils"])
    assert np.median(teens["neutrophils"]) > np.median(teens["lymphocytes"])


def test_a_cohort_can_be_classified_directly():
    """The dict goes straight into classify_many (children with their ages)."""
    out = classify_many(**cohort(1000, seed=1))
    assert set(out["wbc_status"]) <= {"low", "normal", "high"}
    kids = classify_many(**cohort(1000, population="child", seed=1), population="child")
    assert len(kids["wbc_status"]) == 1000


def test_one_million_rows_are_produced():
    """A million rows come back with every key (the speed is reported by the benchmark)."""
    c = cohort(1_000_000, seed=1)
    assert all(c[k].size == 1_000_000 for k in COHORT_KEYS)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"population": "martian"}, UnknownPopulationError, "Known: adult, child, duffy_null"),
        ({"n": -1}, InvalidParameterError, "'n' must be a whole number"),
        ({"n": 2.5}, InvalidParameterError, "got 2.5"),
        ({"seed": "abc"}, InvalidParameterError, "'seed'"),
        ({"sex": "x"}, InvalidParameterError, "'sex'"),
        ({"age_years": 30}, InvalidParameterError, "only applies to population='child'"),
        ({"population": "child", "age_years": 19}, InvalidParameterError, "from 0 to under 18"),
        ({"population": "child", "age_years": (5, 2)}, InvalidParameterError, "(youngest, oldest)"),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, error, message):
    """Bad arguments raise errors naming the argument, the value and what is allowed."""
    args = {"n": 10, **kwargs}
    n = args.pop("n")
    with pytest.raises(error, match=None) as info:
        cohort(n, **args)
    assert message in str(info.value)


# --- reference-interval helpers ---------------------------------------------------------------

def test_estimate_interval_takes_the_central_95_percent():
    """2.5th and 97.5th percentiles; a coverage of 0.9 gives the 5th and 95th."""
    values = np.arange(0, 1001)
    assert estimate_interval(values) == pytest.approx((25.0, 975.0))
    assert estimate_interval(values, coverage=0.9) == pytest.approx((50.0, 950.0))


@pytest.mark.parametrize("values", [[], [1.0, float("nan")], "abc"])
def test_estimate_interval_rejects_empty_or_non_finite_values(values):
    """Empty, NaN or non-numeric input raises a clear error."""
    with pytest.raises(InvalidParameterError, match="'values'"):
        estimate_interval(values)


def test_cohort_interval_recovers_the_duffy_null_anc_interval():
    """An interval estimated from simulated Duffy-null adults is close to Hibbs 2025's."""
    low, high = cohort_interval("neutrophils", population="duffy_null", n=100_000, seed=1)
    assert (low, high) == (pytest.approx(1.2, rel=0.1), pytest.approx(5.4, rel=0.1))


def test_share_called_low_per_population():
    """At the adult neutropenia threshold 1.5 about 0.8 % of adults (Hsieh 2007, white US adults)
    and several times more Duffy-null adults are called low; a higher cut-off never calls fewer."""
    shares = share_called_low(1.5, n=100_000, seed=1)
    assert set(shares) == set(populations())
    assert 0.005 < shares["adult"] < 0.012
    assert shares["duffy_null"] > 2.5 * shares["adult"]
    higher = share_called_low(2.0, n=100_000, seed=1)
    assert all(higher[p] >= shares[p] for p in shares)


def test_share_called_low_errors():
    """Unknown analyte or population names are listed with the known ones."""
    with pytest.raises(InvalidParameterError, match="Unknown analyte 'anc'"):
        share_called_low(1.5, analyte="anc")
    with pytest.raises(UnknownNameError, match="Known: adult, child, duffy_null"):
        share_called_low(1.5, populations=["elderly"])


def test_adult_cohort_reproduces_nhanes_share_below_the_neutropenia_threshold():
    """Hsieh 2007 (NHANES): ANC < 1.5 in 0.79 % of white US adults, though the LLN is about 2.0.

    Tolerance: 0.6-1.0 % (a sampling error of about 0.01 % at this size, plus model slack).
    The 2.5th percentile stays within 10 % of the file's lower limit (SPEC's cohort promise).
    """
    c = cohort(400_000, seed=11)
    share = float(np.mean(c["neutrophils"] < 1.5))
    assert 0.006 <= share <= 0.010
    assert abs(np.percentile(c["neutrophils"], 2.5) - 2.0) <= 0.2


def test_black_us_adults_as_a_duffy_mixture_match_nhanes():
    """Two thirds Duffy-null (Merz 2023) plus one third as adults: about 4.5 % below 1.5 (Hsieh 2007).

    Tolerance 3.5-6.0 %: the Duffy-null interval comes from other cohorts (Hibbs 2025).
    """
    duffy = cohort(300_000, population="duffy_null", seed=12)["neutrophils"]
    adult = cohort(150_000, seed=13)["neutrophils"]
    share = float(np.mean(np.concatenate([duffy, adult]) < 1.5))
    assert 0.035 <= share <= 0.060
