"""Neutropenia: the clinical threshold and the severity bands (one home for the rule).

Two ideas are kept apart. A laboratory's *reference interval* (``reference.py``) is statistical:
about the central 95 % of healthy people (adult ANC lower limit about 1.8-2.0 x10^9/L). The
*neutropenia threshold* is a clinical definition (1.5 in adults; by age in children; the
Duffy-null interval's lower limit for Duffy-null adults), read here from
``data/neutropenia_thresholds.csv``. Below the threshold, the *severity* is the deepest band of
``data/severity.csv`` the ANC falls in. So an adult ANC of 1.7 is below the interval and CTCAE
grade 1, but its severity is ``"none"``.

Every part of the toolkit that names a severity (``classify``, the simulated time courses, the
explorers and the exercises) calls :func:`anc_severity` or :func:`anc_severity_array`, and reads
the bands through :func:`severity_bands`: nothing else parses ``severity.csv``.

>>> anc_severity(1.7, neutropenia_threshold("adult").value)
'none'
>>> anc_severity(0.3, neutropenia_threshold("adult").value)
'severe'
>>> neutropenia_threshold("child", age_years=0.5).value
1.0
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ._data import read_csv
from .errors import UnknownPopulationError, unknown_name_message
from .reference import check_population, parse_age, populations

__all__ = [
    "SEVERITIES",
    "SeverityBand",
    "Threshold",
    "anc_severity",
    "anc_severity_array",
    "neutropenia_threshold",
    "profound_limit",
    "severity_band",
    "severity_bands",
    "threshold_array",
]

#: Severity labels, mildest first ("none": at or above the neutropenia threshold).
SEVERITIES = ("none", "mild", "moderate", "severe")


@dataclass(frozen=True)
class SeverityBand:
    """One band of ``severity.csv``: ``lower <= ANC < upper`` (``-inf``/``inf`` when open)."""

    grade: str
    lower: float
    upper: float
    source: str

    def text(self) -> str:
        """The band as a rule, e.g. ``'1 <= ANC < 1.5'`` or ``'ANC < 0.5'``."""
        if self.lower == -math.inf:
            return f"ANC < {self.upper:g}"
        return f"{self.lower:g} <= ANC < {self.upper:g}"


@dataclass(frozen=True)
class Threshold:
    """The neutropenia threshold that applies to a person, with its source."""

    value: float
    source: str
    population: str


@functools.cache
def _bands() -> dict[str, SeverityBand]:
    table = {}
    for row in read_csv("severity.csv"):
        table[row["grade"]] = SeverityBand(
            grade=row["grade"],
            lower=float(row["lower"]) if row["lower"] else -math.inf,
            upper=float(row["upper"]) if row["upper"] else math.inf,
            source=row["source"],
        )
    return table


def severity_bands() -> tuple[SeverityBand, ...]:
    """The bands mild, moderate, severe (mildest first); ``profound`` is a sub-band of severe.

    >>> [(b.grade, b.upper) for b in severity_bands()]
    [('mild', 1.5), ('moderate', 1.0), ('severe', 0.5)]
    """
    table = _bands()
    return tuple(table[g] for g in SEVERITIES[1:])


def severity_band(grade: str) -> SeverityBand:
    """One band by name: ``"mild"``, ``"moderate"``, ``"severe"`` or ``"profound"``.

    >>> severity_band("moderate").text()
    '0.5 <= ANC < 1'
    """
    return _bands()[grade]


def profound_limit() -> float:
    """The ANC below which neutropenia is called profound (x10^9/L).

    >>> profound_limit()
    0.1
    """
    return _bands()["profound"].upper


@functools.cache
def _threshold_rows() -> tuple[dict, ...]:
    rows = []
    for row in read_csv("neutropenia_thresholds.csv"):
        rows.append({
            "population": row["population"],
            "age_min": parse_age(row["age_min_years"]),
            "age_max": parse_age(row["age_max_years"]),
            "value": float(row["threshold"]),
            "source": row["source"],
        })
    return tuple(rows)


def neutropenia_threshold(population: str = "adult", age_years: float | None = None) -> Threshold:
    """The ANC below which a person of ``population`` (and age) is neutropenic.

    >>> neutropenia_threshold().value, neutropenia_threshold("duffy_null").value
    (1.5, 1.2)
    >>> neutropenia_threshold("child", age_years=5).value
    1.5
    """
    age = check_population(population, age_years)
    for row in _threshold_rows():
        if row["population"] != population:
            continue
        if row["age_min"] is None or (age is not None and row["age_min"] <= age < row["age_max"]):
            return Threshold(row["value"], row["source"], population)
    raise UnknownPopulationError(  # pragma: no cover - the data test covers every population
        f"neutropenia_thresholds.csv has no row for population {population!r} at age {age!r}."
    )


def threshold_array(population: str, age_years: np.ndarray | None, n: int) -> np.ndarray:
    """The neutropenia threshold of ``n`` people (one age each for children) as a float array."""
    if population not in populations():
        raise UnknownPopulationError(unknown_name_message("population", population, populations()))
    out = np.full(n, np.nan)
    ages = None if age_years is None else np.broadcast_to(np.asarray(age_years, float), (n,))
    for row in _threshold_rows():
        if row["population"] != population:
            continue
        if row["age_min"] is None:
            out[:] = row["value"]
        else:
            if ages is None:
                check_population(population, None)  # raises MissingAgeError
            out[(ages >= row["age_min"]) & (ages < row["age_max"])] = row["value"]
    return out


def anc_severity(anc: float, threshold: float) -> str:
    """The severity of an ANC for a person whose neutropenia threshold is ``threshold``.

    ``"none"`` at or above the threshold; below it, the deepest band the ANC falls in (at least
    ``"mild"``: a newborn below her hours-of-life limit is neutropenic even at an ANC of 5).

    >>> [anc_severity(x, 1.5) for x in (1.5, 1.49, 0.99, 0.49)]
    ['none', 'mild', 'moderate', 'severe']
    >>> anc_severity(1.3, 1.2)
    'none'
    """
    if anc >= threshold:
        return "none"
    for band in reversed(severity_bands()):  # severe first
        if anc < band.upper:
            return band.grade
    return "mild"


def anc_severity_array(anc: np.ndarray, threshold: np.ndarray | float) -> np.ndarray:
    """:func:`anc_severity` on arrays (string array of the same labels).

    >>> anc_severity_array(np.array([2.0, 1.2, 0.7, 0.2]), 1.5).tolist()
    ['none', 'mild', 'moderate', 'severe']
    """
    anc = np.asarray(anc, float)
    label = np.full(anc.shape, "mild", dtype="<U8")
    for band in severity_bands()[1:]:  # moderate, then severe overwrites
        label[anc < band.upper] = band.grade
    return np.where(anc >= threshold, "none", label)
