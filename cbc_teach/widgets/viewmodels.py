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
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..cbc import CBC
from ..classify import Classification, classify
from ..errors import CBCTeachError, InvalidParameterError
from ..reference import adult_age
from ._shared import (
    Badge,
    _check_choice,
    _merged,
    population_label,
    severity_bands,
    status_symbol,
)
from .cbc_model import (
    _SEXES,
    CBC_DEFAULTS,
    DIFFERENTIAL_CONTROLS,
    CBCView,
    RangeBar,
    _anc_badge,
    _wbc_badge,
    cbc_from_values,
    cbc_view,
    convert_differential,
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
