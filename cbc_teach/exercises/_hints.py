"""Hint texts built from the data files, so no clinical number is typed into an exercise.

>>> severity_rule()  # doctest: +NORMALIZE_WHITESPACE
"severity from the ANC: mild 1 to under 1.5, moderate 0.5 to under 1, severe under 0.5 (x10^9/L);
none when the ANC is at or above the neutropenia threshold (1.5 in adults), which lies below the
laboratory's reference interval"
"""

from __future__ import annotations

import functools

from .._data import read_csv
from ..reference import reference_interval
from ..severity import neutropenia_threshold, severity_bands

__all__ = ["ctcae_rule", "interval_rule", "severity_rule"]


def _num(text: str | None) -> str:
    return f"{float(text):g}" if text not in (None, "") else ""


@functools.cache
def severity_rule() -> str:
    """The severity bands of neutropenia, from ``severity.csv``."""
    parts = []
    for band in severity_bands():
        lo, hi = f"{band.lower:g}", f"{band.upper:g}"
        parts.append(f"{band.grade} {lo} to under {hi}" if band.lower > 0 else f"{band.grade} under {hi}")
    return ("severity from the ANC: " + ", ".join(parts) + " (x10^9/L); none when the ANC is at or "
            f"above the neutropenia threshold ({neutropenia_threshold('adult').value:g} in adults), "
            "which lies below the laboratory's reference interval")


_TERMS = {
    "wbc_decreased": "White blood cell decreased",
    "neutrophil_count_decreased": "Neutrophil count decreased",
    "lymphocyte_count_decreased": "Lymphocyte count decreased",
}


@functools.cache
def ctcae_rule(term: str) -> str:
    """The CTCAE v5.0 grades of one term, from ``ctcae.csv``, in CTCAE's '<a - b' wording."""
    rows = sorted((r for r in read_csv("ctcae.csv") if r["term"] == term), key=lambda r: r["grade"])
    parts = []
    for row in rows:
        upper = "LLN" if row["upper"] == "LLN" else _num(row["upper"])
        lower = _num(row["lower"])
        parts.append(f"grade {row['grade']} <{upper}" + (f" - {lower}" if lower else ""))
    return (f"CTCAE v5.0 '{_TERMS[term]}': " + "; ".join(parts)
            + " ('<a - b' means below a and at least b; LLN is the lower limit of normal)")


def interval_rule(analyte: str, population: str = "adult", age_years: float | None = None,
                  sex: str | None = None) -> str:
    """A reference interval as words, e.g. 'the adult interval for wbc is 3.5-11 x10^9/L'."""
    iv = reference_interval(analyte, population, age_years, sex)
    who = {"adult": "adult", "duffy_null": "Duffy-null", "child": "children's"}[population]
    if iv is None:
        return f"the data file has no {who} interval for {analyte}"
    return f"the {who} interval for {analyte} is {iv.text()}"
