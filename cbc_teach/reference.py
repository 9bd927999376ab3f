"""Reference intervals by population, age and sex, read from ``data/reference_intervals.csv``.

>>> populations()
('adult', 'child', 'duffy_null')
>>> reference_interval("wbc").low
4.0
>>> reference_interval("neutrophils", population="duffy_null").low
1.2
>>> reference_interval("wbc", population="child", age_years=0.5).text()
'6-17.5 x10^9/L'
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ._data import read_csv
from .errors import (
    InvalidParameterError,
    MissingAgeError,
    UnknownPopulationError,
    unknown_name_message,
)

__all__ = [
    "ANALYTES",
    "HOURS_PER_YEAR",
    "Interval",
    "adult_age",
    "age_from_days",
    "check_population",
    "interval_arrays",
    "populations",
    "reference_interval",
]

ANALYTES = (
    "wbc", "neutrophils", "lymphocytes", "monocytes", "eosinophils", "basophils",
    "hemoglobin", "mcv", "platelets",
)

POPULATION_LABELS = {
    "adult": "adults",
    "duffy_null": "adults with the Duffy-null phenotype",
    "child": "children",
}


@dataclass(frozen=True)
class Interval:
    """A reference interval: values below ``low`` are low, above ``high`` high (None: no limit)."""

    analyte: str
    low: float | None
    high: float | None
    unit: str
    source: str
    population: str

    def text(self) -> str:
        """The interval as a short string, e.g. ``'3.5-11 x10^9/L'``."""
        lo = "" if self.low is None else f"{self.low:g}"
        hi = "" if self.high is None else f"{self.high:g}"
        if self.high is None:
            return f"at least {lo} {self.unit}"
        if self.low is None:
            return f"at most {hi} {self.unit}"
        return f"{lo}-{hi} {self.unit}"


#: Hours in a year of 365.25 days: ages in hours or days become years through this one number.
HOURS_PER_YEAR = 24 * 365.25


def _num(text: str | None) -> float | None:
    return None if text is None else float(text)


def parse_age(text: str | None) -> float | None:
    """An age cell of a data file in years: ``"2.5"`` (years), ``"12h"`` (hours), ``"7d"`` (days).

    >>> parse_age("2"), parse_age("7d") == age_from_days(7), parse_age("12h") == age_from_days(0.5)
    (2.0, True, True)
    """
    if text is None:
        return None
    text = text.strip()
    if text.endswith("h"):
        return float(text[:-1]) / HOURS_PER_YEAR
    if text.endswith("d"):
        return age_from_days(float(text[:-1]))
    return float(text)


def age_from_days(days: float) -> float:
    """An age in days (``0.5`` is 12 hours of life) as years, as the data files count them.

    >>> round(age_from_days(21), 4)
    0.0575
    """
    return days * 24 / HOURS_PER_YEAR


@functools.cache
def _rows() -> tuple[dict, ...]:
    rows = []
    for row in read_csv("reference_intervals.csv"):
        rows.append(
            {
                "population": row["population"],
                "analyte": row["analyte"],
                "sex": row["sex"],
                "age_min": parse_age(row["age_min_years"]),
                "age_max": parse_age(row["age_max_years"]),
                "low": _num(row["low"]),
                "high": _num(row["high"]),
                "unit": row["unit"],
                "source": row["source"],
            }
        )
    return tuple(rows)


@functools.cache
def populations() -> tuple[str, ...]:
    """The population names in the data file, sorted.

    >>> "duffy_null" in populations()
    True
    """
    return tuple(sorted({row["population"] for row in _rows()}))


@functools.cache
def adult_age() -> float:
    """The age from which a person is read as an adult: where the 'child' rows of the data stop.

    >>> adult_age()
    18.0
    """
    return _age_range("child")[1]


def _age_range(population: str) -> tuple[float, float] | None:
    ages = [(r["age_min"], r["age_max"]) for r in _rows() if r["population"] == population]
    if all(lo is None for lo, _ in ages):
        return None
    return min(lo for lo, _ in ages), max(hi for _, hi in ages)


def check_population(population: object, age_years: object = None) -> float | None:
    """Check a population name (and the age it needs); return the age as a float or None.

    >>> check_population("child")
    Traceback (most recent call last):
    ...
    cbc_teach.errors.MissingAgeError: The 'child' population needs 'age_years' ...
    """
    if population not in populations():
        raise UnknownPopulationError(unknown_name_message("population", population, populations()))
    age_range = _age_range(population)
    if age_years is not None:
        if isinstance(age_years, bool) or not isinstance(age_years, (int, float, np.number)):
            raise InvalidParameterError(
                f"The 'age_years' must be a number of years (e.g. 0.5 for six months); got {age_years!r}."
            )
        age = float(age_years)
        if math.isnan(age) or age < 0 or age > 120:
            raise InvalidParameterError(
                f"The 'age_years' must be between 0 and 120 years; got {age_years!r}."
            )
    else:
        age = None
    if age_range is not None:
        lo, hi = age_range
        if age is None:
            raise MissingAgeError(
                f"The {population!r} population needs 'age_years' (its reference intervals "
                f"depend on age, from {lo:g} to under {hi:g} years); got None. Pass "
                "age_years=..., e.g. age_years=0.5 for a six-month-old."
            )
        if not lo <= age < hi:
            hint = f" Use population='adult' from {hi:g} years." if age >= hi else ""
            raise InvalidParameterError(
                f"The 'age_years' for the {population!r} population must be from {lo:g} to under "
                f"{hi:g} years; got {age:g}.{hint}"
            )
    return age


def _matches(row: dict, population: str, analyte: str, age: float | None, sex: str) -> bool:
    if row["population"] != population or row["analyte"] != analyte or row["sex"] != sex:
        return False
    if row["age_min"] is None:
        return True
    return age is not None and row["age_min"] <= age < row["age_max"]


def reference_interval(
    analyte: str, population: str = "adult", age_years: float | None = None, sex: str | None = None
) -> Interval | None:
    """The reference interval of ``analyte`` for a population (None when the file has none).

    ``sex`` ("male" or "female") matters for hemoglobin; without it the rows marked "any" apply.

    >>> reference_interval("hemoglobin", sex="male").low
    13.0
    >>> reference_interval("hemoglobin").low
    12.0
    """
    if analyte not in ANALYTES:
        raise InvalidParameterError(unknown_name_message("analyte", analyte, ANALYTES))
    age = check_population(population, age_years)
    sexes = [sex, "any"] if sex in ("male", "female") else ["any"]
    for wanted in sexes:
        for row in _rows():
            if _matches(row, population, analyte, age, wanted):
                return Interval(
                    analyte, row["low"], row["high"], row["unit"], row["source"], population
                )
    return None


def interval_arrays(
    analyte: str, population: str, age_years: np.ndarray | float | None, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits for ``n`` rows as float arrays (NaN where there is no limit).

    ``age_years`` may be one number or an array (children of different ages).
    """
    if population not in populations():
        raise UnknownPopulationError(unknown_name_message("population", population, populations()))
    ages = None if age_years is None else np.broadcast_to(np.asarray(age_years, float), (n,))
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    rows = [r for r in _rows() if r["population"] == population and r["analyte"] == analyte]
    rows = [r for r in rows if r["sex"] == "any"]
    for row in rows:
        if row["age_min"] is None:
            mask = np.ones(n, bool)
        else:
            if ages is None:
                check_population(population, None)  # raises MissingAgeError
            mask = (ages >= row["age_min"]) & (ages < row["age_max"])
        low[mask] = np.nan if row["low"] is None else row["low"]
        high[mask] = np.nan if row["high"] is None else row["high"]
    return low, high
