"""Simulated healthy people: correlated, positive counts whose percentiles match the data file.

The model (parameters in ``data/simulation.toml``, section ``[cohort]``):

- **Adults and Duffy-null adults.** Each of the five white cells is log-normal, fitted through
  the 2.5th and 97.5th percentiles of the population's reference interval in
  ``reference_intervals.csv`` (eosinophils and basophils, whose file limits start at 0, through
  published percentiles named in the TOML). The five are correlated: the Pearson correlations
  measured between counts in healthy people are converted to the log scale exactly. The WBC is the
  sum of the five, so its interval is a *result* of the model (the tests check that it falls
  within 10 % of the file's WBC interval). Hemoglobin is normal, by sex; platelets log-normal.
- **The adult ANC's lower tail.** Real neutrophil counts have a heavier lower tail than a
  log-normal: in NHANES 0.79 % of white US adults had an ANC below 1.5 although the 2.5th
  percentile is near 2.0 (Hsieh MM et al., Ann Intern Med 2007;146:486-492). So below its
  2.5th percentile the adult ANC's log falls along a steeper straight line (in the normal score)
  that passes through that published share (``lower_tail`` in the TOML).
- **Children.** The WBC is log-normal, fitted to the age band's interval in
  ``reference_intervals.csv``; it is split into the five cells by a differential drawn from
  *Davis's* absolute counts for the child's age group (so infants have more lymphocytes than
  neutrophils). The simulated neutrophils follow from the WBC and the differential (they are not
  fitted to the child "neutrophils" rows), and only a few per cent of healthy children fall below
  the neutropenia threshold (``neutropenia_thresholds.csv``). Hemoglobin follows Dallman's table
  of mean and mean - 2 SD by age.

>>> c = cohort(5, seed=1)
>>> sorted(c)
['basophils', 'eosinophils', 'hemoglobin', 'lymphocytes', 'monocytes', 'neutrophils', 'platelets', 'wbc']
>>> bool((c["wbc"] > 0).all())
True
"""

from __future__ import annotations

import functools
import math
import numbers
from statistics import NormalDist

import numpy as np

from ..errors import InvalidParameterError, UnknownPopulationError, unknown_name_message
from ..reference import interval_arrays, populations, reference_interval
from ._common import Z_95, check_int, make_rng, params

__all__ = ["COHORT_KEYS", "PARTS", "cohort"]

#: The five white cells of the differential, in report order.
PARTS = ("neutrophils", "lymphocytes", "monocytes", "eosinophils", "basophils")
#: The keys of the dict :func:`cohort` returns (children also get ``age_years``).
COHORT_KEYS = ("wbc", *PARTS, "hemoglobin", "platelets")
_MAX_ROWS = 20_000_000
_SEXES = (None, "male", "female")


def _lognormal(low: float, high: float) -> tuple[float, float]:
    """(mu, sigma) of the log-normal whose 2.5th and 97.5th percentiles are ``low``, ``high``."""
    return (math.log(low) + math.log(high)) / 2, (math.log(high) - math.log(low)) / Z_95


def _percentiles(spec: dict, population: str, analyte: str, sex: str | None = None) -> tuple:
    if spec.get("from") == "reference_intervals.csv":
        interval = reference_interval(analyte, population, sex=sex)
        return interval.low, interval.high
    return spec["p2_5"], spec["p97_5"]


def _fitted(spec: dict, population: str, analyte: str) -> tuple[float, float]:
    """(mu, sigma) of a white cell; cells fitted to the CSV are narrowed by ``width_factor``."""
    mu, sigma = _lognormal(*_percentiles(spec, population, analyte))
    if spec.get("from") == "reference_intervals.csv":
        sigma *= params()["cohort"]["width_factor"]
    return mu, sigma


def _lower_tail(spec: dict, mu: float, sigma: float) -> tuple[float, float] | None:
    """(z_knee, slope) of a steeper log-scale line below the 2.5th percentile, or None.

    The line joins the fitted 2.5th percentile (z = -1.96) to the published share below
    ``lower_tail.below`` (e.g. 0.79 % under 1.5), so the simulated share matches it exactly.
    """
    tail = spec.get("lower_tail")
    if tail is None:
        return None
    z_knee = -Z_95 / 2
    z_share = NormalDist().inv_cdf(tail["share"])
    slope = (mu + sigma * z_knee - math.log(tail["below"])) / (z_knee - z_share)
    return z_knee, slope


@functools.cache
def _log_correlation(sigmas: tuple[float, ...]) -> np.ndarray:
    """Cholesky factor of the log-scale correlation matching the TOML's Pearson correlations."""
    table = params()["cohort"]["correlation"]
    corr = np.eye(len(PARTS))
    for i, a in enumerate(PARTS):
        for j, b in enumerate(PARTS):
            if i < j:
                r = table.get(a, {}).get(b, table.get(b, {}).get(a, 0.0))
                s1, s2 = sigmas[i], sigmas[j]
                # For log-normals X, Y: corr(X, Y) = (exp(rho s1 s2) - 1) / sqrt((e^s1^2-1)(e^s2^2-1)).
                scale = math.sqrt(math.expm1(s1 * s1) * math.expm1(s2 * s2))
                rho = math.log1p(r * scale) / (s1 * s2)
                corr[i, j] = corr[j, i] = max(-0.99, min(0.99, rho))
    return np.linalg.cholesky(corr)


@functools.cache
def _adult_model(population: str) -> dict:
    spec = params()["cohort"][population]
    mus, sigmas, tails = [], [], []
    for analyte in PARTS:
        mu, sigma = _fitted(spec[analyte], population, analyte)
        mus.append(mu)
        sigmas.append(sigma)
        tails.append(_lower_tail(spec[analyte], mu, sigma))
    hb = {}
    for sex in ("male", "female"):
        low, high = _percentiles(spec["hemoglobin"], population, "hemoglobin", sex)
        hb[sex] = ((low + high) / 2, (high - low) / Z_95)
    plt = _lognormal(*_percentiles(spec["platelets"], population, "platelets"))
    return {
        "mu": np.array(mus)[:, None],
        "sigma": np.array(sigmas)[:, None],
        "chol": _log_correlation(tuple(sigmas)),
        "tails": tuple(tails),
        "hemoglobin": hb,
        "platelets": plt,
    }


def _check_sex(sex: object) -> str | None:
    if sex not in _SEXES:
        raise InvalidParameterError(
            f"The 'sex' must be 'male', 'female' or None (half of each); got {sex!r}."
        )
    return sex  # type: ignore[return-value]


def _draw_sex(sex: str | None, n: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean array, True for male (half and half when ``sex`` is None)."""
    if sex is None:
        return rng.random(n) < 0.5
    return np.full(n, sex == "male")


def _adults(n: int, population: str, sex: str | None, rng: np.random.Generator) -> dict:
    model = _adult_model(population)
    z = model["chol"] @ rng.standard_normal((len(PARTS), n))
    logs = model["mu"] + model["sigma"] * z
    for i, tail in enumerate(model["tails"]):
        if tail is not None:
            z_knee, slope = tail
            knee = model["mu"][i, 0] + model["sigma"][i, 0] * z_knee
            low = z[i] < z_knee
            logs[i, low] = knee + slope * (z[i, low] - z_knee)
    parts = np.exp(logs)
    out = {"wbc": parts.sum(axis=0)}
    out.update({name: parts[i] for i, name in enumerate(PARTS)})
    male = _draw_sex(sex, n, rng)
    (m_mean, m_sd), (f_mean, f_sd) = model["hemoglobin"]["male"], model["hemoglobin"]["female"]
    out["hemoglobin"] = np.where(male, m_mean, f_mean) + np.where(male, m_sd, f_sd) * rng.standard_normal(n)
    mu, sigma = model["platelets"]
    out["platelets"] = np.exp(mu + sigma * rng.standard_normal(n))
    return out


def _child_ages(age_years: object, n: int, rng: np.random.Generator) -> np.ndarray:
    spec = params()["cohort"]["child"]
    lo_all, hi_all = spec["default_age_years"]
    if age_years is None:
        age_years = (lo_all, hi_all)
    message = (
        "The 'age_years' of a child cohort must be a number of years from "
        f"{lo_all:g} to under {hi_all:g}, or a (youngest, oldest) pair in that range; got {age_years!r}."
    )
    if isinstance(age_years, numbers.Real) and not isinstance(age_years, bool):
        age = float(age_years)
        if not lo_all <= age < hi_all:
            raise InvalidParameterError(message)
        return np.full(n, age)
    if isinstance(age_years, (tuple, list)) and len(age_years) == 2:
        lo, hi = age_years
        ok = all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in (lo, hi))
        if ok and lo_all <= lo < hi <= hi_all:
            return rng.uniform(float(lo), float(hi), n)
    raise InvalidParameterError(message)


@functools.cache
def _child_tables() -> dict:
    spec = params()["cohort"]["child"]
    groups = spec["differential"]
    edges = np.array([g["age_min_years"] for g in groups[1:]])
    mus = np.empty((len(PARTS), len(groups)))
    sigmas = np.empty_like(mus)
    for j, group in enumerate(groups):
        for i, name in enumerate(PARTS):
            mus[i, j], sigmas[i, j] = _lognormal(*group[name])
    # One correlation matrix for all ages, converted with the cells' average log-SDs.
    chol = _log_correlation(tuple(float(s) for s in sigmas.mean(axis=1)))
    hb = spec["hemoglobin"]
    bands = np.array(hb["bands"], float)
    return {"edges": edges, "mu": mus, "sigma": sigmas, "chol": chol, "hb_bands": bands,
            "hb_female": hb["female_12_18"], "hb_male": hb["male_12_18"]}


def _children(n: int, age_years: object, sex: str | None, rng: np.random.Generator) -> dict:
    tables = _child_tables()
    ages = _child_ages(age_years, n, rng)
    group = np.searchsorted(tables["edges"], ages, side="right")
    z = tables["chol"] @ rng.standard_normal((len(PARTS), n))
    shape = np.exp(tables["mu"][:, group] + tables["sigma"][:, group] * z)
    fractions = shape / shape.sum(axis=0)
    low, high = interval_arrays("wbc", "child", ages, n)
    mu = (np.log(low) + np.log(high)) / 2
    sigma = (np.log(high) - np.log(low)) / Z_95
    wbc = np.exp(mu + sigma * rng.standard_normal(n))
    parts = wbc * fractions
    out = {"wbc": parts.sum(axis=0)}
    out.update({name: parts[i] for i, name in enumerate(PARTS)})
    # Hemoglobin: Dallman's mean and mean - 2 SD by age; by sex from 12 years.
    bands = tables["hb_bands"]
    idx = np.clip(np.searchsorted(bands[:, 0], ages, side="right") - 1, 0, len(bands) - 1)
    mean, sd = bands[idx, 2], (bands[idx, 2] - bands[idx, 3]) / 2
    teen = ages >= tables["hb_female"][0]
    male = _draw_sex(sex, n, rng)
    f, m = tables["hb_female"], tables["hb_male"]
    mean = np.where(teen, np.where(male, m[2], f[2]), mean)
    sd = np.where(teen, np.where(male, (m[2] - m[3]) / 2, (f[2] - f[3]) / 2), sd)
    out["hemoglobin"] = mean + sd * rng.standard_normal(n)
    low, high = interval_arrays("platelets", "child", ages, n)
    mu = (np.log(low) + np.log(high)) / 2
    sigma = (np.log(high) - np.log(low)) / Z_95
    out["platelets"] = np.exp(mu + sigma * rng.standard_normal(n))
    out["age_years"] = ages
    return out


def cohort(
    n: int,
    *,
    population: str = "adult",
    seed: int | np.random.Generator | None = None,
    age_years: float | tuple[float, float] | None = None,
    sex: str | None = None,
) -> dict[str, np.ndarray]:
    """Simulate ``n`` healthy people of a population; return a dict of numpy arrays.

    Keys: ``wbc``, ``neutrophils``, ``lymphocytes``, ``monocytes``, ``eosinophils``,
    ``basophils`` (x10^9/L; the WBC is exactly the sum of the five), ``hemoglobin`` (g/dL) and
    ``platelets`` (x10^9/L); children also get ``age_years``. The dict can be passed straight to
    :func:`cbc_teach.classify_many` (``classify_many(**c, population="child")``).

    ``population`` is one of :func:`cbc_teach.populations`. For ``"child"``, ``age_years`` is
    one age or a ``(youngest, oldest)`` range drawn uniformly (default: 0 to 18 years).
    ``sex`` (``"male"``, ``"female"`` or None for half of each) only changes hemoglobin.
    The same ``seed`` always gives the same people.

    >>> from cbc_teach.simulate import estimate_interval
    >>> c = cohort(100_000, population="duffy_null", seed=7)
    >>> low, high = estimate_interval(c["neutrophils"])
    >>> round(low, 1), round(high, 1)
    (1.2, 5.2)
    >>> kids = cohort(3, population="child", age_years=0.5, seed=1)
    >>> kids["age_years"].tolist()
    [0.5, 0.5, 0.5]
    """
    n = check_int("n", n, low=0, high=_MAX_ROWS)
    if not isinstance(population, str) or population not in populations():
        raise UnknownPopulationError(unknown_name_message("population", population, populations()))
    sex = _check_sex(sex)
    rng = make_rng(seed)
    if population == "child":
        return _children(n, age_years, sex, rng)
    if age_years is not None:
        raise InvalidParameterError(
            f"The 'age_years' only applies to population='child' (the {population!r} intervals "
            f"do not depend on age); got age_years={age_years!r}."
        )
    return _adults(n, population, sex, rng)

