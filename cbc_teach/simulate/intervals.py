"""Reference intervals from simulated healthy people, and what a single cut-off does to them.

A reference interval is the central 95 % of healthy people: from the 2.5th to the 97.5th
percentile. So, by construction, 2.5 % of healthy people fall below the lower limit. A cut-off
taken from one population and applied to another can call far more healthy people "low": the
teaching point of the populations notebook (Duffy-null adults against the adult neutropenia
threshold of 1.5, or against the adult reference limit of 2.0).

>>> shares = share_called_low(1.5, n=50_000, seed=1)
>>> shares["adult"] < 0.05 < shares["duffy_null"]
True
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameterError, UnknownPopulationError, unknown_name_message
from ..reference import populations as _populations
from ._common import check_int, check_number, make_rng
from .cohorts import COHORT_KEYS, cohort

__all__ = ["cohort_interval", "estimate_interval", "share_called_low"]


def estimate_interval(values, *, coverage: float = 0.95) -> tuple[float, float]:
    """The central ``coverage`` share of ``values``: by default the 2.5th and 97.5th percentiles.

    This is how a laboratory sets a reference interval from healthy people (non-parametric
    percentiles, as in CLSI EP28-A3c).

    >>> [round(x, 6) for x in estimate_interval(np.arange(1, 1002))]
    [26.0, 976.0]
    >>> estimate_interval([])
    Traceback (most recent call last):
    ...
    cbc_teach.errors.InvalidParameterError: The 'values' must be a non-empty sequence of finite numbers; got an empty sequence.
    """
    coverage = check_number("coverage", coverage, low=0, high=1, low_open=True)
    try:
        array = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"The 'values' must be a non-empty sequence of finite numbers; got {values!r}."
        ) from None
    if array.size == 0:
        raise InvalidParameterError(
            "The 'values' must be a non-empty sequence of finite numbers; got an empty sequence."
        )
    if not np.isfinite(array).all():
        raise InvalidParameterError(
            "The 'values' must be a non-empty sequence of finite numbers; it holds NaN or "
            "infinite values."
        )
    tail = (1 - coverage) / 2 * 100
    low, high = np.percentile(array, [tail, 100 - tail])
    return float(low), float(high)


def _check_analyte(analyte: object) -> str:
    known = [k for k in COHORT_KEYS]
    if analyte not in known:
        raise InvalidParameterError(unknown_name_message("analyte", analyte, known))
    return analyte  # type: ignore[return-value]


def cohort_interval(
    analyte: str,
    *,
    population: str = "adult",
    n: int = 100_000,
    seed: int | np.random.Generator | None = None,
    age_years: float | tuple[float, float] | None = None,
) -> tuple[float, float]:
    """Estimate a reference interval for ``analyte`` from ``n`` simulated healthy people.

    >>> low, high = cohort_interval("wbc", population="duffy_null", seed=3)
    >>> round(low, 1), round(high, 1)
    (3.0, 9.9)
    """
    analyte = _check_analyte(analyte)
    n = check_int("n", n, low=40, high=10_000_000)
    people = cohort(n, population=population, seed=seed, age_years=age_years)
    return estimate_interval(people[analyte])


def share_called_low(
    cutoff: float,
    *,
    analyte: str = "neutrophils",
    populations: tuple[str, ...] | list[str] | None = None,
    n: int = 100_000,
    seed: int | np.random.Generator | None = None,
    age_years: float | tuple[float, float] | None = None,
) -> dict[str, float]:
    """The share of healthy people of each population whose ``analyte`` is below ``cutoff``.

    Every one of them is healthy, so each share is the rate of false alarms the cut-off gives
    in that population. ``populations`` defaults to all of :func:`cbc_teach.populations`;
    ``age_years`` applies to children (default: 0 to 18 years, evenly).

    At the adult neutropenia threshold 1.5, about 0.8 % of healthy adults (NHANES: 0.79 % of
    white US adults, Hsieh 2007) and about 7 % of healthy Duffy-null adults are called low:

    >>> shares = share_called_low(1.5, populations=["adult", "duffy_null"], n=100_000, seed=2)
    >>> {k: round(v, 3) for k, v in shares.items()}
    {'adult': 0.008, 'duffy_null': 0.074}
    """
    analyte = _check_analyte(analyte)
    cutoff = check_number("cutoff", cutoff, low=0)
    n = check_int("n", n, low=1, high=10_000_000)
    chosen = list(_populations()) if populations is None else list(populations)
    if isinstance(populations, str):
        chosen = [populations]
    for name in chosen:
        if name not in _populations():
            raise UnknownPopulationError(unknown_name_message("population", name, _populations()))
    rngs = make_rng(seed).spawn(len(chosen))
    shares = {}
    for name, rng in zip(chosen, rngs):
        ages = age_years if name == "child" else None
        people = cohort(n, population=name, seed=rng, age_years=ages)
        shares[name] = float(np.mean(people[analyte] < cutoff))
    return shares
