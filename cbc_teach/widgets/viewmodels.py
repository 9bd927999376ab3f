"""View models: pure functions from the explorers' control values to what they display.

Each explorer's view model lives beside its HTML in its own pure module
(:mod:`~cbc_teach.widgets.cbc_model`, :mod:`~cbc_teach.widgets.case_model`,
:mod:`~cbc_teach.widgets.timecourse_model`, :mod:`~cbc_teach.widgets.population_model`; what
they share in :mod:`~cbc_teach.widgets._shared`); this module gathers their names in one place.
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

from ._shared import (
    Badge,
    population_label,
    severity_bands,
    status_symbol,
)
from .case_model import (
    CASE_DEFAULTS,
    CAUSES_SHOWN,
    HISTORY_FIELDS,
    CaseView,
    case_view,
    history_from_values,
    simulated_case_values,
)
from .cbc_model import (
    CBC_DEFAULTS,
    DIFFERENTIAL_CONTROLS,
    CBCView,
    RangeBar,
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
