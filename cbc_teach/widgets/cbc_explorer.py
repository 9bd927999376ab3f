"""CBCExplorer: move the white-cell count and differential, watch the classification change.

>>> from cbc_teach.widgets import CBCExplorer
>>> ex = CBCExplorer()
>>> ex.state.classification.wbc_status
'normal'
>>> ex.controls["wbc"].value = 3.0
>>> ex.state.error is not None  # the differential (6.5) no longer fits in a WBC of 3.0
True
>>> ex.set_values(wbc=3.0, neutrophils=1.2, lymphocytes=1.4, monocytes=0.25, eosinophils=0.1,
...               basophils=0.05)
>>> ex.state.classification.anc_severity, ex.state.error
('mild', None)
>>> ex
CBCExplorer(WBC 3 x10^9/L: low. ANC 1.2 x10^9/L: mild neutropenia. Findings: leukopenia, neutropenia.)
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..reference import populations
from . import _common as ui
from ._render import cbc_html
from .viewmodels import CBC_DEFAULTS, DIFFERENTIAL_CONTROLS, CBCView, cbc_view, convert_differential

__all__ = ["CBCExplorer", "count_controls"]

# name: (label, absolute max, absolute step, readout format, plain-language tooltip).
# Steps match the precision of a lab report (and of convert_differential's rounding): a browser
# slider snaps its value to the step, so a coarser step would change a loaded case's counts.
_COUNTS = {
    "wbc": ("WBC", 50.0, 0.01, ".2f",
            "White blood cells: all the white cells in the blood, in billions per litre "
            "(6.5 here is 6,500 per microlitre)."),
    "neutrophils": ("Neutrophils, segmented", 40.0, 0.01, ".2f",
                    "Mature neutrophils, the cells that fight bacteria. "
                    "The ANC is these plus the bands."),
    "bands": ("Band neutrophils", 10.0, 0.01, ".2f",
              "Young neutrophils, usually few; they count towards the ANC."),
    "lymphocytes": ("Lymphocytes", 40.0, 0.01, ".2f",
                    "T, B and NK cells, which fight viruses and make antibodies."),
    "monocytes": ("Monocytes", 5.0, 0.01, ".2f",
                  "Cells that become macrophages in the tissues."),
    "eosinophils": ("Eosinophils", 5.0, 0.01, ".2f",
                    "Cells that rise with allergies and parasites."),
    "basophils": ("Basophils", 1.0, 0.01, ".2f",
                  "The rarest white cells, involved in allergic reactions."),
}
_OTHER = {
    "hemoglobin": ("Hemoglobin (g/dL)", 3.0, 22.0, 0.1, ".1f",
                   "The oxygen-carrying protein of red cells; low means anemia."),
    "mcv": ("MCV, red cell size (fL)", 50.0, 130.0, 1.0, ".0f",
            "Mean corpuscular volume: the average size of the red cells."),
    "platelets": ("Platelets (x10^9/L)", 0.0, 1000.0, 1.0, ".0f",
                  "Cell fragments that stop bleeding; counted in billions per litre."),
}
_ABSOLUTE_UNIT = "x10^9/L"
_PERCENT_UNIT = "% of WBC"
_POPULATION_NAMES = {
    "adult": "Adults",
    "duffy_null": "Adults, Duffy-null phenotype",
    "child": "Children (under 18)",
}


def _count_description(name: str, mode: str) -> str:
    label = _COUNTS[name][0]
    unit = _ABSOLUTE_UNIT if name == "wbc" or mode == "absolute" else _PERCENT_UNIT
    return f"{label} ({unit})"


def _slider_spec(name: str, mode: str) -> tuple[float, float, str]:
    """(max, step, readout format) of a count slider in a mode."""
    _label, top, step, fmt, _tip = _COUNTS[name]
    if mode == "percent" and name != "wbc":
        return 100.0, 0.1, ".1f"
    return top, step, fmt


def count_controls(values: dict[str, Any], *, with_mode: bool = True) -> dict[str, widgets.Widget]:
    """Labelled controls for the count, the population and the patient (by control name)."""
    controls: dict[str, widgets.Widget] = {}
    if with_mode:
        controls["mode"] = widgets.ToggleButtons(
            options=[("Absolute (x10^9/L)", "absolute"), ("Percent (% of WBC)", "percent")],
            value=values["mode"],
            description="Differential as",
            tooltip="Enter the differential as absolute counts or as percentages of the WBC; "
                    "lab reports print both.",
            tooltips=["Each cell type in billions per litre (x10^9/L)",
                      "Each cell type as a percentage of the WBC"],
            style={**ui.STYLE, "button_width": "auto"},
        )
    mode = values.get("mode", "absolute")
    for name, (_label, _top, _step, _fmt, tip) in _COUNTS.items():
        top, step, fmt = _slider_spec(name, mode)
        controls[name] = ui.float_slider(
            _count_description(name, mode), tip,
            value=values[name], min=0.0, max=max(top, values[name]), step=step,
            readout_format=fmt,
        )
    controls["red_cells_and_platelets"] = ui.checkbox(
        "Include hemoglobin, MCV and platelets",
        "Untick to classify the white cells only.", values["red_cells_and_platelets"],
    )
    for name, (label, low, top, step, fmt, tip) in _OTHER.items():
        controls[name] = ui.float_slider(label, tip, value=values[name],
                                         min=min(low, values[name]), max=max(top, values[name]),
                                         step=step, readout_format=fmt)
    controls["population"] = ui.dropdown(
        "Reference population",
        "Whose normal ranges to compare with: healthy adults of Duffy-null phenotype and "
        "children have different ones.",
        [(_POPULATION_NAMES.get(p, p.replace("_", " ")), p) for p in populations()],
        values["population"],
    )
    controls["age_years"] = ui.float_text(
        "Age (years)",
        "Age in years; use decimals for babies (0.5 is six months, 0.02 about one week).",
        value=values["age_years"], min=0.0, max=120.0, step=0.5,
    )
    controls["sex"] = ui.dropdown(
        "Sex (for the hemoglobin limit)",
        "Men and women have different lower limits for hemoglobin.",
        [("Not given", "not_given"), ("Female", "female"), ("Male", "male")], values["sex"],
    )
    for name in _OTHER:
        controls[name].disabled = not values["red_cells_and_platelets"]
    return controls


def _configure_differential(controls: dict[str, widgets.Widget], mode: str,
                            new_values: dict[str, float] | None = None) -> None:
    """Relabel and rescale the differential sliders for ``mode``; set ``new_values``."""
    for name in DIFFERENTIAL_CONTROLS:
        slider = controls[name]
        top, step, fmt = _slider_spec(name, mode)
        slider.description = _count_description(name, mode)
        slider.readout_format = fmt
        slider.step = step
        value = slider.value if new_values is None else new_values[name]
        slider.max = max(top, slider.max)  # widen first so the new value is never clipped
        slider.value = value
        slider.max = top


def count_panel(controls: dict[str, widgets.Widget], extra: list[widgets.Widget]) -> widgets.VBox:
    """The control column: white cells, red cells and platelets, the patient, then ``extra``."""
    white = [controls[n] for n in ("mode", *_COUNTS) if n in controls]
    return widgets.VBox([
        ui.heading("White cells"), *white,
        ui.heading("Red cells and platelets"), controls["red_cells_and_platelets"],
        *(controls[n] for n in _OTHER),
        ui.heading("Who is the patient?"),
        controls["population"], controls["age_years"], controls["sex"],
        *extra,
    ])


class CBCExplorer(ui.Explorer):
    """Explore a white-cell count: WBC, differential, population and age, and what they mean.

    Shows a badge for the WBC status and for the ANC's severity (colour, symbol and words),
    the CTCAE v5.0 grades, each count on its reference interval, the findings and the full
    explanation with sources. Keyword arguments set the starting values (control names as
    in ``.controls``; see :data:`~cbc_teach.widgets.viewmodels.CBC_DEFAULTS`); "Reset" goes
    back to them.

    ``.controls``: ``mode`` ("absolute" or "percent"), ``wbc``, ``neutrophils``, ``bands``,
    ``lymphocytes``, ``monocytes``, ``eosinophils``, ``basophils`` (x10^9/L, or % of the WBC
    in percent mode), ``red_cells_and_platelets``, ``hemoglobin`` (g/dL), ``mcv`` (fL),
    ``platelets`` (x10^9/L), ``population``, ``age_years``, ``sex``.
    ``.state``: a :class:`~cbc_teach.widgets.viewmodels.CBCView` (``.classification``,
    ``.cbc``, ``.error``, ``.bars``...).

    >>> ex = CBCExplorer(population="duffy_null", wbc=3.2, neutrophils=1.3, lymphocytes=1.5,
    ...                  monocytes=0.3, eosinophils=0.05, basophils=0.05)
    >>> ex.state.classification.anc_severity
    'none'
    >>> ex.controls["population"].value = "adult"
    >>> ex.state.classification.anc_severity
    'mild'
    """

    def __init__(self, **values: Any) -> None:
        start = dict(CBC_DEFAULTS)
        start.update(values)
        cbc_view(start)  # unknown control names and choices raise here, before any widget
        controls = count_controls(start)
        reset = ui.button("Reset", "Go back to the starting values (a healthy adult unless "
                          "this explorer was opened with other values).", icon="undo")
        outputs = {"status": widgets.HTML(), "details": widgets.HTML()}
        super().__init__(
            title="CBC explorer",
            intro="Move a slider (or focus it and use the arrow keys, or type over its number) "
                  "and watch the classification change.",
            controls=controls,
            control_panel=count_panel(controls, [reset]),
            outputs=outputs,
        )
        self.reset_button = reset
        ui.on_click(reset, self.reset)
        self.refresh()

    def _set_order(self, values: dict[str, Any]) -> list[str]:
        # The mode first: the differential values that follow are read in the new mode.
        return sorted(values, key=lambda name: name != "mode")

    def _react(self, change: dict) -> None:
        owner = change["owner"]
        if owner is self.controls["mode"]:
            values = self.control_values()
            values["mode"] = change["old"]
            converted = convert_differential(values, change["new"])
            with self.hold_updates(refresh=False):
                _configure_differential(self.controls, change["new"], converted)
        elif owner is self.controls["red_cells_and_platelets"]:
            for name in _OTHER:
                self.controls[name].disabled = not change["new"]

    def _compute(self, values: dict[str, Any]) -> CBCView:
        return cbc_view(values)

    def _render(self, view: CBCView) -> dict[str, str]:
        return cbc_html(view)

    def _empty_view(self, values: dict[str, Any], error: str) -> CBCView:
        return CBCView(values=values, error=error)

    def _repr_summary(self) -> str:
        if self.state is None or self.state.classification is None:
            return "no valid count yet"
        return self.state.summary
