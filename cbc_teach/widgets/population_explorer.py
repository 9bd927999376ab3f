"""PopulationExplorer: one cut-off against several healthy populations.

>>> from cbc_teach.widgets import PopulationExplorer
>>> ex = PopulationExplorer()
>>> ex.controls["lower_limit"].value
2.0
>>> ex.controls["population"].value = "duffy_null"
>>> round(ex.state.shares["duffy_null"], 2)
0.25
>>> ex.use_own_limit()
>>> ex.controls["lower_limit"].value
1.2
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from . import _common as ui
from ._shared import _sentence_case, population_label
from .population_model import (
    CHILD_REFERENCE_AGE,
    POPULATION_ANALYTES,
    POPULATION_DEFAULTS,
    PopulationView,
    population_html,
    population_view,
    reference_low,
)

__all__ = ["PopulationExplorer"]

# analyte: (slider max, step)
_LIMIT_RANGE = {"neutrophils": (4.0, 0.05), "wbc": (8.0, 0.1)}


class PopulationExplorer(ui.Explorer):
    """Simulated healthy populations against one lower limit: how many does it call low?

    Draws the distribution of the ANC (or the WBC) in healthy adults, Duffy-null adults and
    children, marks the cut-off, and counts the healthy people below it in each population.
    Keyword arguments set the starting values.

    ``.controls``: ``population`` (the one the headline speaks of), ``analyte``
    ("neutrophils" or "wbc"), ``lower_limit`` (x10^9/L; starts at the chosen population's own
    lower reference limit). ``.state``: a
    :class:`~cbc_teach.widgets.population_model.PopulationView` (``.shares``, ``.rows``,
    ``.headline``, ``.error``).

    >>> ex = PopulationExplorer(population="duffy_null", lower_limit=1.5)
    >>> ex.state.chosen.share > 0.05
    True
    """

    def __init__(self, **values: Any) -> None:
        start = dict(POPULATION_DEFAULTS)
        start.update(values)
        first = population_view(start)  # checks names and choices; resolves the limit
        start["lower_limit"] = first.values["lower_limit"]
        top, step = _LIMIT_RANGE[start["analyte"]]
        controls = {
            "population": ui.dropdown(
                "Chosen population",
                "The population the headline talks about; all of them are drawn below.",
                [(_sentence_case(population_label(p)), p) for p in first.shares],
                start["population"],
            ),
            "analyte": ui.dropdown(
                "Count",
                "Which count to cut: the ANC (neutrophils) or the total white-cell count.",
                [(label, name) for name, (label, _top, _w) in POPULATION_ANALYTES.items()],
                start["analyte"],
            ),
            "lower_limit": ui.number_slider(
                "Lower limit, the cut-off",
                "Anyone below this count is called low. Move it and watch how many healthy "
                "people in each population are called low.",
                value=start["lower_limit"], min=0.0, max=max(top, start["lower_limit"]),
                step=step, decimals=2, unit="x10^9/L",
            ),
        }
        own = ui.button("Use the chosen population's own limit",
                        "Set the cut-off to the lower reference limit of the chosen "
                        f"population (children: at age {CHILD_REFERENCE_AGE:g}).", icon="crosshairs")
        reset = ui.button("Reset", "Go back to the starting values.", icon="undo")
        panel = widgets.VBox([
            ui.heading("Healthy people, one cut-off"),
            *controls.values(),
            widgets.HBox([own, reset]),
        ])
        outputs = {"strip": widgets.HTML(), "summary": widgets.HTML(), "plot": widgets.HTML()}
        super().__init__(
            title="Population explorer",
            intro="Every person drawn here is healthy. A single lower limit calls some of them "
                  "low; how many depends on the population.",
            controls=controls, control_panel=panel, outputs=outputs, strip="strip",
        )
        self.reset_button = reset
        self.own_limit_button = own
        ui.on_click(reset, self.reset)
        ui.on_click(own, self.use_own_limit)
        self._start_with(values)

    def use_own_limit(self) -> None:
        """Set the cut-off to the chosen population's own lower reference limit."""
        low = reference_low(self.controls["analyte"].value, self.controls["population"].value)
        if low is not None:
            self.set_values(lower_limit=low)

    def _set_order(self, values: dict[str, Any]) -> list[str]:
        # The count first: its change rescales the cut-off slider before the limit is set.
        return sorted(values, key=lambda name: name != "analyte")

    def _react(self, change: dict) -> None:
        if change["owner"] is self.controls["analyte"]:
            slider = self.controls["lower_limit"]
            top, step = _LIMIT_RANGE[change["new"]]
            low = reference_low(change["new"], self.controls["population"].value)
            with self.hold_updates(refresh=False):
                slider.max = max(top, slider.max)
                slider.step = step
                if low is not None:
                    slider.value = low
                slider.max = max(top, slider.value)

    def _compute(self, values: dict[str, Any]) -> PopulationView:
        return population_view(values)

    def _render(self, view: PopulationView) -> dict[str, str]:
        return population_html(view)

    def _empty_view(self, values: dict[str, Any], error: str) -> PopulationView:
        return PopulationView(values=values, error=error)

    def _repr_summary(self) -> str:
        view = self.state
        if view is None or not view.rows:
            return "no result yet"
        shares = ", ".join(f"{p} {100 * s:.1f}%" for p, s in view.shares.items())
        return f"{view.analyte} below {view.lower_limit:g}: {shares}"
