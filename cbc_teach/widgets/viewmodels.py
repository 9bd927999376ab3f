"""View models: pure functions from the explorers' control values to what they display.

Nothing here imports ipywidgets or matplotlib; each explorer is a thin view that collects its
controls' values, calls one of these functions and puts the result into HTML widgets. That
makes the logic testable without a notebook:

>>> view = cbc_view(wbc=2.8, neutrophils=0.9, lymphocytes=1.5, monocytes=0.3,
...                 eosinophils=0.08, basophils=0.02)
>>> view.classification.anc_severity
'moderate'
>>> view.wbc_badge.text
'WBC 2.8 x10^9/L: ▼ LOW (below 4)'

A combination that cannot be a blood count gives a view with an ``error`` and no results (an
explorer then keeps showing its last valid result, with the message):

>>> print(cbc_view(wbc=2.0).error)  # the default differential adds up to 6.5
The differential adds up to 6.5 x10^9/L (...), more than the 'wbc' of 2 x10^9/L (...).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..cbc import CBC, PERCENT_TOLERANCE
from ..classify import ANALYTE_LABELS, CTCAE_LABELS, FINDINGS, Classification, classify
from ..errors import CBCTeachError, InvalidParameterError
from ..reference import adult_age
from ._shared import (
    Badge,
    _check_choice,
    _merged,
    _profound_limit,
    population_label,
    severity_bands,
    status_symbol,
)
from .population_model import (
    CHILD_REFERENCE_AGE,
    POPULATION_ANALYTES,
    POPULATION_DEFAULTS,
    POPULATION_SAMPLE,
    POPULATION_SEED,
    PopulationRow,
    PopulationView,
    population_view,
    reference_low,
)
from .timecourse_model import (
    TIMECOURSE_DEFAULTS,
    CourseRow,
    TimeCourseView,
    timecourse_view,
)

__all__ = [
    "Badge",
    "CASE_DEFAULTS",
    "CAUSES_SHOWN",
    "CBCView",
    "CBC_DEFAULTS",
    "CHILD_REFERENCE_AGE",
    "CaseView",
    "CourseRow",
    "DIFFERENTIAL_CONTROLS",
    "HISTORY_FIELDS",
    "POPULATION_ANALYTES",
    "POPULATION_DEFAULTS",
    "POPULATION_SAMPLE",
    "POPULATION_SEED",
    "PopulationRow",
    "PopulationView",
    "RangeBar",
    "TIMECOURSE_DEFAULTS",
    "TimeCourseView",
    "case_view",
    "cbc_from_values",
    "cbc_view",
    "convert_differential",
    "history_from_values",
    "population_label",
    "population_view",
    "reference_low",
    "severity_bands",
    "simulated_case_values",
    "status_symbol",
    "timecourse_view",
]

#: The differential's controls, in the order a laboratory report lists them.
DIFFERENTIAL_CONTROLS = ("neutrophils", "bands", "lymphocytes", "monocytes", "eosinophils",
                         "basophils")

#: A healthy adult: what the explorers start from and what "reset" brings back. The
#: differential adds up to the WBC (3.8 + 0 + 2.0 + 0.45 + 0.2 + 0.05 = 6.5), every value well
#: inside the adult reference intervals of ``data/reference_intervals.csv``.
CBC_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "mode": "absolute",
    "wbc": 6.5,
    "neutrophils": 3.8,
    "bands": 0.0,
    "lymphocytes": 2.0,
    "monocytes": 0.45,
    "eosinophils": 0.2,
    "basophils": 0.05,
    "red_cells_and_platelets": True,
    "hemoglobin": 14.0,
    "mcv": 90.0,
    "platelets": 250.0,
    "population": "adult",
    "age_years": 40.0,
    "sex": "not_given",
})

_MODES = ("absolute", "percent")
_SEXES = ("not_given", "female", "male")

_GRADE_WORDS = {0: "not decreased", 1: "mild", 2: "moderate", 3: "severe", 4: "life-threatening"}


@dataclass(frozen=True)
class RangeBar:
    """One count drawn against its reference interval.

    ``axis_max`` is the right end of the drawn scale (the left end is 0); ``low``/``high`` are
    None where the data file has no limit on that side.
    """

    analyte: str
    label: str
    value: float
    unit: str
    low: float | None
    high: float | None
    status: str
    axis_max: float
    interval_text: str
    source: str
    percent: float | None = None

    @property
    def symbol(self) -> str:
        """The status symbol (▼, ✓, ▲ or –)."""
        return status_symbol(self.status)


@dataclass(frozen=True, eq=False)
class CBCView:
    """What the CBC explorer shows; ``classification`` is the :class:`Classification`.

    When the control values are not a valid count, ``error`` holds a message and the result
    fields are None (see :meth:`with_error` for keeping the last valid result on screen).
    """

    values: Mapping[str, Any]
    cbc: CBC | None = None
    classification: Classification | None = None
    error: str | None = None
    wbc_badge: Badge | None = None
    anc_badge: Badge | None = None
    ctcae: tuple[tuple[str, int, str], ...] = ()
    bars: tuple[RangeBar, ...] = ()
    findings: tuple[str, ...] = ()
    remarks: tuple[str, ...] = ()
    population_text: str = ""
    summary: str = ""
    explanation: str = ""
    mode: str = "absolute"
    notes: tuple[str, ...] = field(default=())

    def with_error(self, message: str) -> CBCView:
        """The same results with an error message added (the last valid result stays shown).

        >>> cbc_view().with_error("Try again.").classification.wbc_status
        'normal'
        """
        return dataclasses.replace(self, error=message)


def cbc_from_values(values: Mapping[str, Any]) -> CBC:
    """Build the :class:`CBC` that a set of control values describes.

    In ``"percent"`` mode the differential controls hold percentages of the WBC.

    >>> cbc_from_values({**CBC_DEFAULTS, "mode": "percent", "wbc": 4.0, "neutrophils": 25,
    ...                  "bands": 0, "lymphocytes": 60, "monocytes": 10, "eosinophils": 4,
    ...                  "basophils": 1}).anc
    1.0
    """
    _check_choice("mode", values["mode"], _MODES)
    other = {}
    if values.get("red_cells_and_platelets", True):
        other = {name: values[name] for name in ("hemoglobin", "mcv", "platelets")}
    parts = {name: values[name] for name in DIFFERENTIAL_CONTROLS}
    if values["mode"] == "percent":
        checked = CBC(values["wbc"])  # checks the WBC itself first
        if sum(float(p) for p in parts.values()) > 100 + PERCENT_TOLERANCE:
            # from_percentages explains in percentages why this cannot be a differential
            return CBC.from_percentages(values["wbc"], **parts, **other)
        # Like absolute mode, a differential that does not add up to the whole WBC is allowed
        # while the student moves one slider at a time; the view says what is missing.
        parts = {name: round(checked.wbc * float(p) / 100, 10) for name, p in parts.items()}
    return CBC(values["wbc"], **parts, **other)


def convert_differential(values: Mapping[str, Any], to_mode: str) -> dict[str, float]:
    """The differential controls' values in the other mode (absolute x10^9/L or percent).

    Percentages are rounded to 0.1 and absolute counts to 0.01, the precision of the controls.

    >>> convert_differential(CBC_DEFAULTS, "percent")["neutrophils"]
    58.5
    >>> convert_differential({**CBC_DEFAULTS, "mode": "percent", "neutrophils": 50.0},
    ...                      "absolute")["neutrophils"]
    3.25
    """
    _check_choice("mode", to_mode, _MODES)
    wbc = float(values["wbc"])
    parts = {name: float(values[name]) for name in DIFFERENTIAL_CONTROLS}
    if values["mode"] == to_mode:
        return parts
    if to_mode == "percent":
        return {name: round(100 * x / wbc, 1) if wbc > 0 else 0.0 for name, x in parts.items()}
    return {name: round(wbc * x / 100, 2) for name, x in parts.items()}


def _population_text(classification: Classification) -> str:
    text = population_label(classification.population)
    if classification.age_years is not None:
        age = classification.age_years
        text += f", age {age:g} years" if age >= 1 else f", age {age * 12:.1f} months"
    if classification.sex:
        text += f", {classification.sex}"
    return text


def _wbc_badge(c: Classification) -> Badge:
    comp = next(comp for comp in c.comparisons if comp.analyte == "wbc")
    iv = comp.interval
    word = {"low": "LOW", "high": "HIGH", "normal": "NORMAL"}[c.wbc_status]
    limit = ""
    if iv is not None and c.wbc_status == "low":
        limit = f" (below {iv.low:g})"
    elif iv is not None and c.wbc_status == "high":
        limit = f" (above {iv.high:g})"
    elif iv is not None:
        limit = f" (within {iv.text()})"
    name = {"low": "leukopenia", "high": "leukocytosis", "normal": ""}[c.wbc_status]
    return Badge(
        status=c.wbc_status,
        text=f"WBC {c.cbc.wbc:g} x10^9/L: {status_symbol(c.wbc_status)} {word}{limit}",
        detail=name,
    )


def _anc_badge(c: Classification) -> Badge:
    if c.anc is None:
        return Badge(status="unknown", text="ANC unknown: enter the neutrophils")
    severity = c.anc_severity
    symbol = status_symbol(severity)
    if severity == "none":
        return Badge(status="none", text=f"ANC {c.anc:g} x10^9/L: {symbol} no neutropenia")
    band = next(b for b in severity_bands() if b["grade"] == severity)
    if band["lower"] == -math.inf:
        rule = f"ANC < {band['upper']:g}"
    else:
        rule = f"{band['lower']:g} ≤ ANC < {band['upper']:g}"
    detail = ""
    if "profound_neutropenia" in c.findings:
        detail = f"profound neutropenia (ANC < {_profound_limit():g})"
    return Badge(
        status=severity,
        text=f"ANC {c.anc:g} x10^9/L: {symbol} {severity.upper()} neutropenia ({rule})",
        detail=detail,
    )


def _axis_max(value: float, low: float | None, high: float | None) -> float:
    top = max(value, high if high is not None else 0.0, (low or 0.0) * 2, 1e-9)
    top *= 1.25
    # A round number keeps the drawing steady while a slider moves within the interval.
    magnitude = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        if top <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _bars(c: Classification, mode: str) -> tuple[RangeBar, ...]:
    percents = c.cbc.percentages() if mode == "percent" else {}
    if mode == "percent" and c.cbc.bands:
        percents["neutrophils"] = round(percents["neutrophils"] + percents["bands"], 1)
    bars = []
    for comp in c.comparisons:
        iv = comp.interval
        low = iv.low if iv is not None else None
        high = iv.high if iv is not None else None
        unit = iv.unit if iv is not None else ("g/dL" if comp.analyte == "hemoglobin"
                                               else "fL" if comp.analyte == "mcv" else "x10^9/L")
        bars.append(RangeBar(
            analyte=comp.analyte,
            label=ANALYTE_LABELS[comp.analyte],
            value=comp.value,
            unit=unit,
            low=low,
            high=high,
            status=comp.status,
            axis_max=_axis_max(comp.value, low, high),
            interval_text=iv.text() if iv is not None else "no interval in the data file",
            source=iv.source if iv is not None else "",
            percent=percents.get(comp.analyte),
        ))
    return tuple(bars)


def cbc_view(values: Mapping[str, Any] | None = None, /, **overrides: Any) -> CBCView:
    """The CBC explorer's view model for a set of control values.

    Control names are those of :data:`CBC_DEFAULTS`; missing ones take their default (a
    healthy adult). An invalid count gives a view whose ``error`` explains it; an unknown
    control name raises :class:`~cbc_teach.errors.InvalidParameterError`.

    >>> v = cbc_view(population="duffy_null", wbc=3.2, neutrophils=1.3, lymphocytes=1.4,
    ...              monocytes=0.3, eosinophils=0.15, basophils=0.05)
    >>> v.anc_badge.text
    'ANC 1.3 x10^9/L: ✓ no neutropenia'
    >>> v.ctcae[1]
    ('Neutrophil count decreased', 2, 'moderate')
    >>> [(b.analyte, b.status, b.symbol) for b in v.bars][:2]
    [('wbc', 'normal', '✓'), ('neutrophils', 'normal', '✓')]
    """
    values = _merged(CBC_DEFAULTS, values, overrides)
    _check_choice("sex", values["sex"], _SEXES)
    _check_choice("mode", values["mode"], _MODES)
    try:
        cbc = cbc_from_values(values)
        classification = classify(
            cbc,
            population=values["population"],
            age_years=values["age_years"],
            sex=None if values["sex"] == "not_given" else values["sex"],
        )
    except (ValueError, CBCTeachError) as exc:
        return CBCView(values=MappingProxyType(values), error=str(exc), mode=values["mode"])
    c = classification
    ctcae = tuple((CTCAE_LABELS[term], grade, _GRADE_WORDS[grade])
                  for term, grade in c.ctcae.items())
    notes = []
    accounted = sum(getattr(cbc, name) or 0.0 for name in DIFFERENTIAL_CONTROLS)
    if cbc.wbc > 0 and accounted < cbc.wbc * (1 - PERCENT_TOLERANCE / 100) - 1e-9:
        share = 100 * accounted / cbc.wbc
        notes.append(
            f"The differential adds up to {accounted:.2f} of the {cbc.wbc:g} x10^9/L WBC "
            f"({share:.1f} %, not 100 %): some white cells are not accounted for."
        )
    if values["mode"] == "percent":
        notes.append(
            "Reference intervals apply to absolute counts: the same percentage can be normal "
            "with one WBC and low with another (absolute = WBC x percent / 100)."
        )
    return CBCView(
        values=MappingProxyType(values),
        cbc=cbc,
        classification=c,
        wbc_badge=_wbc_badge(c),
        anc_badge=_anc_badge(c),
        ctcae=ctcae,
        bars=_bars(c, values["mode"]),
        findings=tuple(sorted(c.findings, key=_finding_order)),
        remarks=c.remarks,
        population_text=_population_text(c),
        summary=c.summary(),
        explanation=c.explain(),
        mode=values["mode"],
        notes=tuple(notes),
    )


def _finding_order(name: str) -> int:
    return FINDINGS.index(name) if name in FINDINGS else len(FINDINGS)


#: The CaseExplorer's starting values: the healthy adult of :data:`CBC_DEFAULTS` with an empty
#: history. ``temperature_c`` is used only when ``temperature_measured`` is True (an
#: unmeasured temperature is not the same evidence as a normal one);
#: ``days_since_chemotherapy`` only when "chemotherapy" is among the exposures;
#: ``fever_hours`` 0 means "not known".
CASE_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    **{name: value for name, value in CBC_DEFAULTS.items() if name != "mode"},
    "conditions": (),
    "medications": (),
    "exposures": (),
    "symptoms": (),
    "temperature_measured": False,
    "temperature_c": 36.8,
    "fever_hours": 0.0,
    "days_since_chemotherapy": 10,
    "duffy_null": "not_tested",
})
HISTORY_FIELDS = ("conditions", "medications", "exposures", "symptoms")
_DUFFY = {"not_tested": None, "null": True, "positive": False}
#: How many causes are drawn as bars (the rest are listed in a table underneath).
CAUSES_SHOWN = 8


@dataclass(frozen=True, eq=False)
class CaseView:
    """What the CaseExplorer shows; ``causes`` is the ``likely_causes`` list and ``triage``
    the :class:`~cbc_teach.triage.Triage`."""

    values: Mapping[str, Any]
    cbc: CBC | None = None
    history: Any = None
    classification: Classification | None = None
    causes: Any = None
    triage: Any = None
    error: str | None = None
    wbc_badge: Badge | None = None
    anc_badge: Badge | None = None
    rows: tuple[Any, ...] = ()  # the ranked CauseScore objects (the same as ``causes``)
    next_tests: tuple[tuple[str, tuple[str, ...]], ...] = ()
    remarks: tuple[str, ...] = ()

    def with_error(self, message: str) -> CaseView:
        """The same results with an error message added."""
        return dataclasses.replace(self, error=message)


def history_from_values(values: Mapping[str, Any]) -> Any:
    """The :class:`~cbc_teach.History` that the CaseExplorer's control values describe.

    >>> h = history_from_values({**CASE_DEFAULTS, "exposures": ("chemotherapy",),
    ...                          "days_since_chemotherapy": 9, "temperature_measured": True,
    ...                          "temperature_c": 38.5})
    >>> h.days_since_chemotherapy, h.temperature_c, h.fever_hours
    (9.0, 38.5, None)
    """
    from ..history import History

    _check_choice("duffy_null", values["duffy_null"], tuple(_DUFFY))
    _check_choice("sex", values["sex"], _SEXES)
    exposures = tuple(values["exposures"])
    chemo = "chemotherapy" in exposures
    return History(
        age_years=values["age_years"],
        sex=None if values["sex"] == "not_given" else values["sex"],
        conditions=tuple(values["conditions"]),
        medications=tuple(values["medications"]),
        exposures=exposures,
        symptoms=tuple(values["symptoms"]),
        temperature_c=values["temperature_c"] if values["temperature_measured"] else None,
        fever_hours=values["fever_hours"] or None,
        days_since_chemotherapy=values["days_since_chemotherapy"] if chemo else None,
        duffy_null=_DUFFY[values["duffy_null"]],
    )


def simulated_case_values(cause_id: str, seed: int | None = None) -> dict[str, Any]:
    """The CaseExplorer's control values for ``cbc_teach.simulate.case(cause_id, seed=seed)``.

    The inverse of :func:`history_from_values`: what "Load the case" puts in the controls.

    >>> v = simulated_case_values("chemotherapy", 1)
    >>> "chemotherapy" in v["exposures"], v["red_cells_and_platelets"]
    (True, True)
    """
    from ..simulate import case

    cbc, history = case(cause_id, seed=seed)
    values: dict[str, Any] = {name: getattr(cbc, name) or 0.0
                              for name in ("wbc", *DIFFERENTIAL_CONTROLS)}
    other = {name: getattr(cbc, name) for name in ("hemoglobin", "mcv", "platelets")}
    values["red_cells_and_platelets"] = any(v is not None for v in other.values())
    values.update({name: v for name, v in other.items() if v is not None})
    if history.age_years is not None:
        values["age_years"] = history.age_years
        values["population"] = "child" if history.age_years < adult_age() else "adult"
    values["sex"] = "not_given" if history.sex is None else history.sex
    for name in HISTORY_FIELDS:
        values[name] = tuple(getattr(history, name))
    values["temperature_measured"] = history.temperature_c is not None
    values["temperature_c"] = (history.temperature_c if history.temperature_c is not None
                               else CASE_DEFAULTS["temperature_c"])
    values["fever_hours"] = history.fever_hours or 0.0
    if history.days_since_chemotherapy is not None:
        values["days_since_chemotherapy"] = round(history.days_since_chemotherapy)
    values["duffy_null"] = {value: key for key, value in _DUFFY.items()}[history.duffy_null]
    return values


def _next_tests(causes: Any, top: int = 3) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The next tests of the ``top`` likeliest causes, each with the causes it helps settle."""
    order: dict[str, list[str]] = {}
    for cause in causes[:top]:
        if cause.probability < 0.01:
            continue
        for test in cause.next_tests:
            order.setdefault(test, []).append(cause.name)
    return tuple((test, tuple(names)) for test, names in order.items())


def case_view(values: Mapping[str, Any] | None = None, /, **overrides: Any) -> CaseView:
    """The CaseExplorer's view model: the count and history, ranked causes, tests, triage.

    History terms are canonical (see :func:`cbc_teach.vocabulary`); synonyms are accepted.
    Giving ``temperature_c`` implies ``temperature_measured=True`` unless that is given too.

    >>> v = case_view(wbc=1.2, neutrophils=0.3, lymphocytes=0.7, monocytes=0.15,
    ...               eosinophils=0.03, basophils=0.02, temperature_c=38.6,
    ...               exposures=("chemotherapy",), days_since_chemotherapy=9)
    >>> v.triage.level, v.triage.febrile_neutropenia, v.rows[0].id
    ('emergency', True, 'chemotherapy')
    """
    from ..causes import likely_causes
    from ..triage import triage

    given = {*(values or {}), *overrides}
    values = _merged(CASE_DEFAULTS, values, overrides)
    if "temperature_c" in given and "temperature_measured" not in given:
        values["temperature_measured"] = True  # a temperature given is a temperature measured
    if not isinstance(values["temperature_measured"], bool):
        raise InvalidParameterError("The 'temperature_measured' control must be True or False; "
                                    f"got {values['temperature_measured']!r}.")
    for name in HISTORY_FIELDS:
        if isinstance(values[name], str):
            values[name] = (values[name],)
        values[name] = tuple(values[name])
    _check_choice("duffy_null", values["duffy_null"], tuple(_DUFFY))
    _check_choice("sex", values["sex"], _SEXES)
    try:
        cbc = cbc_from_values({**values, "mode": "absolute"})
        history = history_from_values(values)
        population = values["population"]
        sex = None if values["sex"] == "not_given" else values["sex"]
        classification = classify(cbc, population=population, age_years=values["age_years"],
                                  sex=sex)
        causes = likely_causes(cbc, history, population=population)
        result = triage(cbc, history, population=population)
    except (ValueError, CBCTeachError) as exc:
        return CaseView(values=MappingProxyType(values), error=str(exc))
    rows = tuple(causes)
    remarks = tuple(dict.fromkeys((*getattr(causes, "remarks", ()), *classification.remarks)))
    return CaseView(
        values=MappingProxyType(values), cbc=cbc, history=history,
        classification=classification, causes=causes, triage=result,
        wbc_badge=_wbc_badge(classification), anc_badge=_anc_badge(classification),
        rows=rows, next_tests=_next_tests(causes), remarks=remarks,
    )
