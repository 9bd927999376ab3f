"""Classify a count: WBC status, neutropenia severity, CTCAE grades and named findings.

>>> c = classify(CBC(2.8, neutrophils=0.9, lymphocytes=1.5, monocytes=0.3, eosinophils=0.08,
...                  basophils=0.02))
>>> c.wbc_status, c.anc_severity, c.ctcae["neutrophil_count_decreased"]
('low', 'moderate', 3)
>>> sorted(c.findings)
['leukopenia', 'neutropenia']
"""

from __future__ import annotations

import functools
import html
import math
from dataclasses import dataclass, field

import numpy as np

from ._data import read_csv
from .cbc import CBC, DIFFERENTIAL, DIFFERENTIAL_TOLERANCE
from .errors import InvalidCountError, InvalidDifferentialError, InvalidParameterError
from .reference import (
    ANALYTES,
    POPULATION_LABELS,
    Interval,
    adult_age,
    age_from_days,
    check_population,
    interval_arrays,
    reference_interval,
)
from .severity import (  # SEVERITIES is re-exported: older code imports it from here
    SEVERITIES,  # noqa: F401
    Threshold,
    anc_severity_array,
    neutropenia_threshold,
    severity_band,
    threshold_array,
)
from .severity import anc_severity as _anc_severity
from .units import plausible_range

__all__ = [
    "ANALYTE_LABELS",
    "CTCAE_LABELS",
    "CTCAE_TERMS",
    "FINDINGS",
    "Classification",
    "Comparison",
    "classify",
    "classify_many",
]

#: CTCAE v5.0 terms graded here, and the count each one grades.
CTCAE_TERMS = {
    "wbc_decreased": "wbc",
    "neutrophil_count_decreased": "neutrophils",
    "lymphocyte_count_decreased": "lymphocytes",
}
#: CTCAE v5.0 term names, as the criteria write them.
CTCAE_LABELS = {
    "wbc_decreased": "White blood cell decreased",
    "neutrophil_count_decreased": "Neutrophil count decreased",
    "lymphocyte_count_decreased": "Lymphocyte count decreased",
}
#: How a report names each analyte (the neutrophil row is the ANC).
ANALYTE_LABELS = {
    "wbc": "WBC",
    "neutrophils": "ANC (neutrophils + bands)",
    "lymphocytes": "Lymphocytes",
    "monocytes": "Monocytes",
    "eosinophils": "Eosinophils",
    "basophils": "Basophils",
    "hemoglobin": "Hemoglobin",
    "mcv": "MCV",
    "platelets": "Platelets",
}


@functools.cache
def _findings_table() -> tuple[dict, ...]:
    return read_csv("findings.csv")


FINDINGS = (
    "leukopenia", "leukocytosis", "neutropenia", "profound_neutropenia", "neutrophilia",
    "lymphopenia", "lymphocytosis", "monocytopenia", "monocytosis", "eosinophilia",
    "basophilia", "anemia", "macrocytosis", "microcytosis", "thrombocytopenia",
    "thrombocytosis", "bicytopenia", "pancytopenia",
)


@functools.cache
def _ctcae() -> dict[str, list[dict]]:
    table: dict[str, list[dict]] = {}
    for row in read_csv("ctcae.csv"):
        table.setdefault(row["term"], []).append(
            {
                "grade": int(row["grade"]),
                "lower": float(row["lower"]) if row["lower"] else -math.inf,
                "upper": None if row["upper"] == "LLN" else float(row["upper"]),
                "source": row["source"],
            }
        )
    for rows in table.values():
        rows.sort(key=lambda r: -r["grade"])  # grade 4 first
    return table


@dataclass(frozen=True)
class Comparison:
    """One value compared with its reference interval (a line of the explanation)."""

    analyte: str
    value: float
    interval: Interval | None
    status: str  # "low", "normal", "high" or "not assessed"

    @property
    def label(self) -> str:
        """The analyte's name as a report shows it."""
        return ANALYTE_LABELS[self.analyte]


@dataclass(frozen=True, eq=False)
class Classification:
    """The result of :func:`classify`. Read ``explain()`` for the reasoning."""

    cbc: CBC
    population: str
    age_years: float | None
    sex: str | None
    wbc_status: str
    anc_severity: str | None
    ctcae: dict[str, int]
    findings: frozenset[str]
    comparisons: tuple[Comparison, ...]
    remarks: tuple[str, ...] = field(default=())
    threshold: Threshold | None = None

    @property
    def anc(self) -> float | None:
        """The absolute neutrophil count that was classified."""
        return self.cbc.anc

    def _population_text(self) -> str:
        text = POPULATION_LABELS.get(self.population, self.population)
        if self.age_years is not None:
            text += f", age {_age_text(self.age_years)}"
        if self.sex:
            text += f", {self.sex}"
        return text

    def summary(self) -> str:
        """One line: WBC status, neutropenia severity and findings.

        >>> classify(CBC(2.8, neutrophils=1.2)).summary()
        'WBC 2.8 x10^9/L: low. ANC 1.2 x10^9/L: mild neutropenia. Findings: leukopenia, neutropenia.'
        """
        text = f"WBC {self.cbc.wbc:g} x10^9/L: {self.wbc_status}."
        if self.anc is not None:
            if self.anc_severity == "none":
                text += f" ANC {self.anc:g} x10^9/L: no neutropenia."
            else:
                text += f" ANC {self.anc:g} x10^9/L: {self.anc_severity} neutropenia."
        names = [f for f in FINDINGS if f in self.findings]
        text += " Findings: " + (", ".join(names) if names else "none") + "."
        return text

    def explain(self) -> str:
        """A plain-text explanation: each value, the limit it was compared with, and the source.

        >>> print(classify(CBC(3.2, neutrophils=1.4)).explain())  # doctest: +ELLIPSIS
        Classification against the reference intervals for adults.
        - WBC 3.2 x10^9/L is LOW: below the lower limit 4 (interval 4-11 x10^9/L) [1].
        - ANC (neutrophils + bands) 1.4 x10^9/L is LOW: below the lower limit 2 ...
        Neutropenia: MILD (1 <= ANC < 1.5): the ANC is below the neutropenia threshold 1.5 ...
        ...

        An adult ANC of 1.7 is below the reference interval but is not neutropenia:

        >>> print(classify(CBC(4.5, neutrophils=1.7)).explain())  # doctest: +ELLIPSIS
        Classification against the reference intervals for adults.
        ...
        Neutropenia: none. The ANC 1.7 is below the reference interval (a statistical limit, 2) but at or above the neutropenia threshold 1.5 (a clinical definition) [3].
        CTCAE v5.0: White blood cell decreased grade 0; Neutrophil count decreased grade 1 [4].
        ...
        """
        sources: list[str] = []

        def cite(source: str) -> str:
            if source not in sources:
                sources.append(source)
            return f"[{sources.index(source) + 1}]"

        lines = [f"Classification against the reference intervals for {self._population_text()}."]
        for comp in self.comparisons:
            value = f"{comp.label} {comp.value:g} {_unit(comp.analyte)}"
            iv = comp.interval
            if comp.status == "not assessed" or iv is None:
                lines.append(f"- {value}: not assessed (no reference limit for this group in the data file).")
                continue
            if comp.status == "low":
                lines.append(
                    f"- {value} is LOW: below the lower limit {iv.low:g} (interval {iv.text()}) {cite(iv.source)}."
                )
            elif comp.status == "high":
                lines.append(
                    f"- {value} is HIGH: above the upper limit {iv.high:g} (interval {iv.text()}) {cite(iv.source)}."
                )
            else:
                lines.append(f"- {value} is within the interval {iv.text()} {cite(iv.source)}.")
        if self.anc_severity is not None and self.threshold is not None:
            lines.append(self._neutropenia_line(cite))
        if self.ctcae:
            parts = []
            for term, grade in self.ctcae.items():
                parts.append(f"{CTCAE_LABELS[term]} grade {grade}")
            source = _ctcae()["wbc_decreased"][0]["source"].split(",")[0]
            lines.append("CTCAE v5.0: " + "; ".join(parts) + f" {cite(source)}.")
        names = [f for f in FINDINGS if f in self.findings]
        lines.append("Findings: " + (", ".join(names) if names else "none") + ".")
        for remark in self.remarks:
            lines.append(f"Note: {remark}")
        lines.append("Sources:")
        lines.extend(f"  [{i}] {s}" for i, s in enumerate(sources, 1))
        return "\n".join(lines)

    def _neutropenia_line(self, cite) -> str:
        """The neutropenia sentence of ``explain()``: threshold (definition) versus interval."""
        anc, limit = self.anc, self.threshold.value
        comp = next((c for c in self.comparisons if c.analyte == "neutrophils"), None)
        below_interval = comp is not None and comp.status == "low"
        if self.anc_severity == "none":
            if below_interval:
                return (
                    f"Neutropenia: none. The ANC {anc:g} is below the reference interval (a "
                    f"statistical limit, {comp.interval.low:g}) but at or above the neutropenia "
                    f"threshold {limit:g} (a clinical definition) {cite(self.threshold.source)}."
                )
            return (f"Neutropenia: none (the ANC is at or above the neutropenia threshold {limit:g}) "
                    f"{cite(self.threshold.source)}.")
        band = severity_band(self.anc_severity)
        rule = band.text() if band.lower <= anc < band.upper else f"ANC < {limit:g}"
        return (
            f"Neutropenia: {self.anc_severity.upper()} ({rule}): the ANC is below the "
            f"neutropenia threshold {limit:g} {cite(self.threshold.source)}."
        )

    def __str__(self) -> str:
        return self.explain()

    def __repr__(self) -> str:
        return (
            f"Classification(wbc_status={self.wbc_status!r}, anc_severity={self.anc_severity!r}, "
            f"ctcae={self.ctcae!r}, findings={sorted(self.findings)!r}, "
            f"population={self.population!r})"
        )

    def _repr_html_(self) -> str:
        symbol = {"low": "&#9660; low", "high": "&#9650; high", "normal": "&#10003; normal",
                  "not assessed": "&ndash; not assessed"}
        colour = {"low": "#b3261e", "high": "#8a4b00", "normal": "#1b6e20", "not assessed": "#555"}
        rows = []
        for comp in self.comparisons:
            iv = comp.interval.text() if comp.interval else "&ndash;"
            rows.append(
                f"<tr><td>{html.escape(comp.label)}</td><td style='text-align:right'>{comp.value:g}"
                f" {html.escape(_unit(comp.analyte))}</td><td>{html.escape(iv)}</td>"
                f"<td style='color:{colour[comp.status]};font-weight:bold'>{symbol[comp.status]}</td></tr>"
            )
        ctcae = ", ".join(f"{CTCAE_LABELS[t]}: grade {g}" for t, g in self.ctcae.items())
        findings = ", ".join(f for f in FINDINGS if f in self.findings) or "none"
        sev = self.anc_severity if self.anc_severity is not None else "unknown (no ANC)"
        return (
            "<div class='cbct-classification'>"
            f"<p><b>Classification</b> for {html.escape(self._population_text())}</p>"
            "<table><thead><tr><th>Count</th><th>Value</th><th>Reference interval</th>"
            "<th>Status</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            f"<p><b>Neutropenia severity:</b> {html.escape(sev)}<br>"
            f"<b>CTCAE v5.0:</b> {html.escape(ctcae or 'no graded counts')}<br>"
            f"<b>Findings:</b> {html.escape(findings)}</p>"
            + "".join(f"<p><i>Note:</i> {html.escape(r)}</p>" for r in self.remarks)
            + "</div>"
        )


def _unit(analyte: str) -> str:
    return {"hemoglobin": "g/dL", "mcv": "fL"}.get(analyte, "x10^9/L")


def _age_text(age: float) -> str:
    if age < 1:
        months = age * 12
        if months < 1:
            days = age * 365.25
            if days < 3:
                return f"{days * 24:.0f} hours"
            return f"{days:.0f} days"
        return f"{months:.0f} months"
    return f"{age:g} years"


def _status(value: float, iv: Interval | None) -> str:
    if iv is None or (iv.low is None and iv.high is None):
        return "not assessed"
    if iv.low is not None and value < iv.low:
        return "low"
    if iv.high is not None and value > iv.high:
        return "high"
    return "normal"


def _ctcae_grade(term: str, value: float, lln: float | None) -> int:
    for row in _ctcae()[term]:
        upper = lln if row["upper"] is None else row["upper"]
        if upper is None:
            continue
        if row["lower"] <= value < upper:
            return row["grade"]
    return 0


def _check_sex(sex: object) -> str | None:
    if sex is None:
        return None
    if isinstance(sex, str) and sex.strip().lower() in ("male", "female", "m", "f"):
        return {"m": "male", "f": "female"}.get(sex.strip().lower(), sex.strip().lower())
    raise InvalidParameterError(f"The 'sex' must be 'male', 'female' or None; got {sex!r}.")


def _age_of(age_years: object, age_days: object) -> object:
    """``age_years``, or ``age_days`` turned into years (for newborns, whose limits change by hour)."""
    if age_days is None:
        return age_years
    if age_years is not None:
        raise InvalidParameterError(
            f"Give the age once: 'age_years' ({age_years!r}) or 'age_days' ({age_days!r}), not both."
        )
    if isinstance(age_days, bool) or not isinstance(age_days, (int, float, np.number)) or not (
        0 <= float(age_days) < 7 * 365.25
    ):
        raise InvalidParameterError(
            f"The 'age_days' must be a number of days from 0 (0.5 is 12 hours of life); got {age_days!r}."
        )
    return age_from_days(float(age_days))


def classify(
    cbc: CBC,
    *,
    population: str = "adult",
    age_years: float | None = None,
    sex: str | None = None,
    age_days: float | None = None,
) -> Classification:
    """Classify a count against a population's reference intervals and neutropenia threshold.

    ``population`` is ``"adult"``, ``"duffy_null"`` (adults with the Duffy-null phenotype) or
    ``"child"`` (needs an age). ``sex`` only refines the hemoglobin limit. For newborns, whose
    neutrophil limits change by the hour in the first three days, give ``age_days`` instead of
    ``age_years`` (``age_days=0.75`` is 18 hours of life; ``age_days=21`` three weeks).

    The severity compares the ANC with the neutropenia *threshold* (a clinical definition: 1.5 in
    adults), not with the reference interval's lower limit (statistical: 2.0 in adults here):

    >>> c = classify(CBC(4.5, neutrophils=1.7))
    >>> c.anc_severity, c.ctcae["neutrophil_count_decreased"], "neutropenia" in c.findings
    ('none', 1, False)
    >>> classify(CBC(12.0, neutrophils=5.0), population="child", age_days=0.75).anc_severity
    'mild'
    >>> classify(CBC(7.0, neutrophils=2.0), population="child", age_days=21).wbc_status
    'normal'

    >>> classify(CBC(3.0, neutrophils=1.3), population="duffy_null").anc_severity
    'none'
    >>> classify(CBC(3.0, neutrophils=1.3)).anc_severity
    'mild'
    >>> classify(CBC(7.0), population="children")
    Traceback (most recent call last):
    ...
    cbc_teach.errors.UnknownPopulationError: Unknown population 'children'. Did you mean 'child'? Known: adult, child, duffy_null.
    """
    if not isinstance(cbc, CBC):
        raise InvalidParameterError(
            f"classify() needs a CBC, e.g. classify(CBC(3.2, neutrophils=1.1)); got {type(cbc).__name__}."
        )
    age = check_population(population, _age_of(age_years, age_days))
    sex = _check_sex(sex)
    values = {
        "wbc": cbc.wbc,
        "neutrophils": cbc.anc,
        "lymphocytes": cbc.lymphocytes,
        "monocytes": cbc.monocytes,
        "eosinophils": cbc.eosinophils,
        "basophils": cbc.basophils,
        "hemoglobin": cbc.hemoglobin,
        "mcv": cbc.mcv,
        "platelets": cbc.platelets,
    }
    intervals = {}
    comparisons = []
    status = {}
    for analyte in ANALYTES:
        value = values[analyte]
        if value is None:
            continue
        iv = reference_interval(analyte, population, age, sex)
        intervals[analyte] = iv
        status[analyte] = _status(value, iv)
        comparisons.append(Comparison(analyte, value, iv, status[analyte]))

    def lln(analyte: str) -> float | None:
        iv = intervals.get(analyte)
        return None if iv is None else iv.low

    threshold = neutropenia_threshold(population, age)
    anc_severity = None if cbc.anc is None else _anc_severity(cbc.anc, threshold.value)
    ctcae = {}
    for term, analyte in CTCAE_TERMS.items():
        if values[analyte] is not None:
            ctcae[term] = _ctcae_grade(term, values[analyte], lln(analyte))

    findings = set()
    for row in _findings_table():
        name, analyte, rule = row["finding"], row["analyte"], row["rule"]
        if analyte is None or values[analyte] is None:
            continue
        hit = (
            (rule == "below_low" and status[analyte] == "low")
            or (rule == "below_threshold" and anc_severity not in (None, "none"))
            or (rule == "above_high" and status[analyte] == "high")
            or (rule.startswith("below:") and values[analyte] < float(rule.split(":")[1]))
        )
        if hit:
            findings.add(name)
    low_lines = _low_lines(findings)
    for row in _findings_table():
        if row["rule"].startswith("lines:") and low_lines == int(row["rule"].split(":")[1]):
            findings.add(row["finding"])

    remarks = []
    if cbc.hemoglobin is not None and sex is None and "hemoglobin" in intervals:
        iv = intervals["hemoglobin"]
        if iv is not None and iv.low is not None:
            remarks.append(
                f"No sex was given, so anemia is judged at {iv.low:g} g/dL (the WHO cut-off for "
                "non-pregnant women); pass sex='male' to use 13.0 g/dL."
            )
    missing = [ANALYTE_LABELS[a] for a in ANALYTES if values[a] is not None and status.get(a) == "not assessed"]
    if missing:
        remarks.append(
            "The data file has no reference limits for " + ", ".join(missing)
            + f" in {POPULATION_LABELS.get(population, population)} of this age; they are shown but not classified."
        )
    if population == "adult" and age is not None and age < adult_age():
        remarks.append(
            f"Age {age:g} is under {adult_age():g}: population='child' uses children's intervals."
        )
    if population == "duffy_null":
        remarks.append(
            "CTCAE grades use fixed thresholds: a healthy Duffy-null adult with an ANC of 1.0-1.5 "
            "is graded 2 although the Duffy-null interval calls the count normal."
        )
    return Classification(
        cbc=cbc,
        population=population,
        age_years=age,
        sex=sex,
        wbc_status=status["wbc"] if status["wbc"] != "not assessed" else "normal",
        anc_severity=anc_severity,
        ctcae=ctcae,
        findings=frozenset(findings),
        comparisons=tuple(comparisons),
        remarks=tuple(remarks),
        threshold=threshold,
    )


def _low_lines(findings: set[str]) -> int:
    white = "leukopenia" in findings or "neutropenia" in findings
    return int(white) + int("anemia" in findings) + int("thrombocytopenia" in findings)


# --- vectorized -------------------------------------------------------------------------------


def _as_array(name: str, value: object, n: int | None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InvalidCountError(
            f"The {name!r} must be a number or an array of numbers; got {type(value).__name__}."
        ) from None
    if arr.ndim > 1:
        raise InvalidCountError(f"The {name!r} must be one-dimensional; got shape {arr.shape}.")
    if n is not None:
        if arr.ndim == 0:
            arr = np.full(n, float(arr))
        elif arr.shape[0] != n:
            raise InvalidCountError(
                f"The {name!r} array has {arr.shape[0]} rows but 'wbc' has {n}; give one value per row."
            )
    limits = plausible_range(name)
    bad = ~np.isfinite(arr) | (arr < limits["min"]) | (arr > limits["max"])
    if bad.any():
        i = int(np.flatnonzero(bad)[0]) if arr.ndim else 0
        v = float(arr.reshape(-1)[i])
        reason = (
            "is not a number (NaN)" if math.isnan(v)
            else "is infinite" if math.isinf(v)
            else "cannot be negative" if v < 0
            else f"must be between {limits['min']:g} and {limits['max']:g} {limits['unit']}"
        )
        text = f"The {name!r} value at row {i} {reason}; got {v:g}."
        if limits["alt_factor"] and v > limits["max"] and v / limits["alt_factor"] <= limits["max"]:
            text += (
                f" Did you enter {limits['alt_unit']}? {v:g} {limits['alt_unit']} is "
                f"{v / limits['alt_factor']:g} {limits['unit']}."
            )
        raise InvalidCountError(text + f" ({int(bad.sum())} row(s) are outside the limits.)")
    return arr


def classify_many(
    *,
    wbc,
    neutrophils=None,
    bands=None,
    lymphocytes=None,
    monocytes=None,
    eosinophils=None,
    basophils=None,
    hemoglobin=None,
    mcv=None,
    platelets=None,
    population: str = "adult",
    age_years=None,
    sex: str | None = None,
) -> dict:
    """Classify many counts at once (numpy arrays in x10^9/L); the same answers as :func:`classify`.

    Returns a dict: ``"wbc_status"`` (string array), ``"anc"`` and ``"anc_severity"`` (when
    neutrophils are given), ``"ctcae"`` (a dict of integer arrays keyed like
    ``Classification.ctcae``, also available at the top level), and ``"findings"`` (a dict of
    boolean arrays, one per finding name).

    >>> out = classify_many(wbc=[2.5, 6.0, 12.0], neutrophils=[0.4, 3.0, 9.0])
    >>> out["wbc_status"].tolist(), out["anc_severity"].tolist()
    (['low', 'normal', 'high'], ['severe', 'none', 'none'])
    >>> out["neutrophil_count_decreased"].tolist()
    [4, 0, 0]
    """
    if population == "child" and age_years is None:
        check_population(population, None)
    if age_years is not None and population != "child":
        check_population(population, None)
    wbc_arr = _as_array("wbc", wbc, None)
    if wbc_arr.ndim == 0:
        wbc_arr = wbc_arr.reshape(1)
    n = wbc_arr.shape[0]
    sex = _check_sex(sex)
    if age_years is not None:
        ages = _as_array("age_years", age_years, n)
        if population == "child":
            check_population(population, float(ages.min()))
            check_population(population, float(ages.max()))
    else:
        ages = None
    given = {
        "neutrophils": neutrophils, "bands": bands, "lymphocytes": lymphocytes,
        "monocytes": monocytes, "eosinophils": eosinophils, "basophils": basophils,
        "hemoglobin": hemoglobin, "mcv": mcv, "platelets": platelets,
    }
    arrays = {name: _as_array(name, value, n) for name, value in given.items() if value is not None}
    parts = [arrays[name] for name in DIFFERENTIAL if name in arrays]
    if parts:
        total = np.sum(parts, axis=0)
        over = total > wbc_arr * (1 + DIFFERENTIAL_TOLERANCE) + 1e-9
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise InvalidDifferentialError(
                f"At row {i} the differential adds up to {total[i]:g} x10^9/L, more than the "
                f"'wbc' of {wbc_arr[i]:g} x10^9/L (at most {DIFFERENTIAL_TOLERANCE:.0%} over is "
                f"allowed); {int(over.sum())} row(s) are affected."
            )
    values = {"wbc": wbc_arr}
    if "neutrophils" in arrays:
        values["neutrophils"] = np.round(arrays["neutrophils"] + arrays.get("bands", 0.0), 10)
    for name in ("lymphocytes", "monocytes", "eosinophils", "basophils", "hemoglobin", "mcv", "platelets"):
        if name in arrays:
            values[name] = arrays[name]

    limits = {}
    for analyte in values:
        lo, hi = interval_arrays(analyte, population, ages, n)
        if analyte == "hemoglobin" and sex is not None:
            lo_s, hi_s = _sex_interval_arrays(population, ages, n, sex)
            lo = np.where(np.isnan(lo_s), lo, lo_s)
            hi = np.where(np.isnan(hi_s), hi, hi_s)
        limits[analyte] = (lo, hi)
    low = {a: values[a] < limits[a][0] for a in values}  # NaN limits compare False
    high = {a: values[a] > limits[a][1] for a in values}

    out: dict = {}
    out["wbc_status"] = np.where(low["wbc"], "low", np.where(high["wbc"], "high", "normal"))
    if "neutrophils" in values:
        anc = values["neutrophils"]
        label = anc_severity_array(anc, threshold_array(population, ages, n))
        out["anc"] = anc
        out["anc_severity"] = label
    ctcae = {}
    for term, analyte in CTCAE_TERMS.items():
        if analyte not in values:
            continue
        v = values[analyte]
        lln = limits[analyte][0]
        grade = np.zeros(n, dtype=np.int8)
        for row in reversed(_ctcae()[term]):  # grade 1 first, so higher grades win
            upper = lln if row["upper"] is None else row["upper"]
            grade = np.where((v >= row["lower"]) & (v < upper), np.int8(row["grade"]), grade)
        ctcae[term] = grade
    out["ctcae"] = ctcae
    out.update(ctcae)
    findings = {}
    for row in _findings_table():
        name, analyte, rule = row["finding"], row["analyte"], row["rule"]
        if analyte is None or analyte not in values:
            continue
        if rule == "below_low":
            findings[name] = low[analyte]
        elif rule == "below_threshold":
            findings[name] = out["anc_severity"] != "none"
        elif rule == "above_high":
            findings[name] = high[analyte]
        elif rule.startswith("below:"):
            findings[name] = values[analyte] < float(rule.split(":")[1])
    false = np.zeros(n, bool)
    white = findings.get("leukopenia", false) | findings.get("neutropenia", false)
    lines = white.astype(np.int8) + findings.get("anemia", false) + findings.get("thrombocytopenia", false)
    for row in _findings_table():
        if row["rule"].startswith("lines:"):
            findings[row["finding"]] = lines == int(row["rule"].split(":")[1])
    out["findings"] = {name: findings.get(name, false.copy()) for name in FINDINGS}
    return out


def _sex_interval_arrays(population: str, ages, n: int, sex: str) -> tuple[np.ndarray, np.ndarray]:
    from .reference import _rows

    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    for row in _rows():
        if row["population"] != population or row["analyte"] != "hemoglobin" or row["sex"] != sex:
            continue
        if row["age_min"] is None:
            mask = np.ones(n, bool)
        else:
            mask = (ages >= row["age_min"]) & (ages < row["age_max"])
        low[mask] = np.nan if row["low"] is None else row["low"]
        high[mask] = np.nan if row["high"] is None else row["high"]
    return low, high
