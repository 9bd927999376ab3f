"""Interactive explorers for notebooks (ipywidgets).

Each explorer is an ipywidgets ``VBox``: display it (make it the last expression of a cell, or
``display(explorer)``), move its controls, and read what it shows. From Python, set a
control's value and read ``.state``; both update at once:

>>> from cbc_teach.widgets import CBCExplorer
>>> explorer = CBCExplorer()
>>> explorer.controls["neutrophils"].value = 1.2
>>> explorer.state.classification.anc_severity
'mild'

- :class:`CBCExplorer`: the count, the differential (absolute or percent), population and age.
- :class:`CaseExplorer`: the count plus the history; likely causes, next tests and triage.
- :class:`TimeCourseExplorer`: the ANC after chemotherapy, with and without G-CSF.
- :class:`PopulationExplorer`: healthy populations against one cut-off.
- :class:`FilmExplorer`: a virtual blood film; count a 100-cell differential with the keyboard.

The widgets are organised by explorer: ``cbc_explorer.py`` (the view) beside ``cbc_model.py``
(its view model and HTML: pure functions, no ipywidgets needed), and likewise ``case_``,
``timecourse_`` and ``population_``; :mod:`cbc_teach.widgets.viewmodels` gathers the view
models' names. The explorers import ipywidgets only when first used. Their sliders
and tick boxes are the accessible controls of :mod:`cbc_teach.widgets.controls` (anywidget);
:mod:`cbc_teach.widgets.consistency` keeps every state of the controls a valid input.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CBCExplorer", "CaseExplorer", "FilmExplorer", "PopulationExplorer",
           "TimeCourseExplorer"]

# Explorer name -> module: each is imported on first use, so that importing the pure
# view models (``cbc_teach.widgets.viewmodels``, ``*_model``) does not import ipywidgets.
_MODULES = {
    "CBCExplorer": "cbc_explorer",
    "CaseExplorer": "case_explorer",
    "FilmExplorer": "film_explorer",
    "PopulationExplorer": "population_explorer",
    "TimeCourseExplorer": "timecourse_explorer",
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
