"""CBCExplorer: move the white-cell count and differential, watch the classification change.

>>> from cbc_teach.widgets import CBCExplorer
>>> ex = CBCExplorer()
>>> ex.state.classification.wbc_status
'normal'
>>> ex.controls["wbc"].value = 3.25  # half the WBC: every cell type is halved with it
>>> ex.controls["neutrophils"].value, ex.state.classification.anc_severity
(1.9, 'none')
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

from ..reference import adult_age, populations
from . import _common as ui
from .cbc_model import (
    CBC_DEFAULTS,
    DIFFERENTIAL_CONTROLS,
    CBCView,
    cbc_html,
    cbc_view,
    convert_differential,
)
from .consistency import PERCENT_RULE, WBC_RULE

__all__ = ["CBCExplorer", "count_controls"]

# name: (label, scale, min, max, step, plain-language tooltip). Arrows move a count by its
# natural unit (``step``), PageUp/PageDown by ten of them. The WBC spans three orders of
# magnitude, so its slider is logarithmic; the differential's ranges grow with the value.
_COUNTS = {
    "wbc": ("WBC", "log", 0.1, 200.0, 0.1,
            "White blood cells: all the white cells in the blood, in billions per litre "
            "(6.5 here is 6,500 per microlitre)."),
    "neutrophils": ("Neutrophils, segmented", "linear", 0.0, 15.0, 0.1,
                    "Mature neutrophils, the cells that fight bacteria. "
                    "The ANC is these plus the bands."),
    "bands": ("Band neutrophils", "linear", 0.0, 3.0, 0.05,
              "Young neutrophils, usually few; they count towards the ANC."),
    "lymphocytes": ("Lymphocytes", "linear", 0.0, 10.0, 0.1,
                    "T, B and NK cells, which fight viruses and make antibodies."),
    "monocytes": ("Monocytes", "linear", 0.0, 3.0, 0.05,
                  "Cells that become macrophages in the tissues."),
    "eosinophils": ("Eosinophils", "linear", 0.0, 3.0, 0.05,
                    "Cells that rise with allergies and parasites."),
    "basophils": ("Basophils", "linear", 0.0, 1.0, 0.01,
                  "The rarest white cells, involved in allergic reactions."),
}
# name: (label, min, max, step, unit, tooltip)
_OTHER = {
    "hemoglobin": ("Hemoglobin", 3.0, 22.0, 0.1, "g/dL",
                   "The oxygen-carrying protein of red cells; low means anemia."),
    "mcv": ("MCV, red cell size", 50.0, 130.0, 1.0, "fL",
            "Mean corpuscular volume: the average size of the red cells."),
    "platelets": ("Platelets", 5.0, 1500.0, 5.0, "x10^9/L",
                  "Cell fragments that stop bleeding; counted in billions per litre."),
}
_ABSOLUTE_UNIT = "x10^9/L"
_PERCENT_UNIT = "% of WBC"
_POPULATION_NAMES = {
    "adult": "Adults",
    "duffy_null": "Adults, Duffy-null phenotype",
}


def population_name(population: str) -> str:
    """A population as the drop-down lists it; the children's upper age comes from the data.

    >>> population_name("child")
    'Children (under 18)'
    """
    if population == "child":
        return f"Children (under {adult_age():g})"
    return _POPULATION_NAMES.get(population, population.replace("_", " "))


def _unit(name: str, mode: str) -> str:
    return _ABSOLUTE_UNIT if name == "wbc" or mode == "absolute" else _PERCENT_UNIT


def _slider_spec(name: str, mode: str) -> dict[str, Any]:
    """The scale, range and steps of a count's slider in a mode."""
    _label, scale, low, top, step, _tip = _COUNTS[name]
    if mode == "percent" and name != "wbc":
        return {"scale": "linear", "min": 0.0, "max": 100.0, "step": 1.0, "decimals": 1,
                "grow": False}
    return {"scale": scale, "min": low, "max": top, "step": step, "decimals": 2,
            "grow": name != "wbc"}


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
    for name, (label, *_rest, tip) in _COUNTS.items():
        spec = _slider_spec(name, mode)
        hint = (f"Log scale: arrows ±{spec['step']:g}, PageUp/PageDown ±{10 * spec['step']:g}."
                if spec["scale"] == "log" else "")
        controls[name] = ui.number_slider(label, tip, value=values[name], unit=_unit(name, mode),
                                          hint=hint, **spec)
    controls["red_cells_and_platelets"] = ui.checkbox(
        "Include hemoglobin, MCV and platelets",
        "Untick to classify the white cells only.", values["red_cells_and_platelets"],
    )
    for name, (label, low, top, step, unit, tip) in _OTHER.items():
        controls[name] = ui.number_slider(label, tip, value=values[name], min=low,
                                          max=max(top, values[name]), step=step, unit=unit,
                                          scale="log" if name == "platelets" else "linear",
                                          decimals=1 if name == "hemoglobin" else 0)
    controls["population"] = ui.dropdown(
        "Reference population",
        "Whose normal ranges to compare with: healthy adults of Duffy-null phenotype and "
        "children have different ones.",
        [(population_name(p), p) for p in populations()],
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
    """Rescale the differential sliders for ``mode``; set ``new_values``."""
    for name in DIFFERENTIAL_CONTROLS:
        slider = controls[name]
        spec = _slider_spec(name, mode)
        value = slider.value if new_values is None else new_values[name]
        slider.max = max(spec["max"], slider.max, value)  # widen first: never clip the value
        slider.grow = spec["grow"]
        slider.step, slider.decimals, slider.unit = spec["step"], spec["decimals"], _unit(name, mode)
        slider.page = 10 * spec["step"]
        slider.value = value
        slider.max = max(spec["max"], value)


def count_panel(controls: dict[str, widgets.Widget], extra: list[widgets.Widget]) -> widgets.VBox:
    """The control column: white cells, red cells and platelets, the patient, then ``extra``."""
    white = [controls[n] for n in ("mode", *_COUNTS) if n in controls]
    rule = ui.note(_rule(controls["mode"].value if "mode" in controls else "absolute"))
    panel = widgets.VBox([
        ui.heading("White cells"), rule, *white,
        ui.heading("Red cells and platelets"), controls["red_cells_and_platelets"],
        *(controls[n] for n in _OTHER),
        ui.heading("Who is the patient?"),
        controls["population"], controls["age_years"], controls["sex"],
        *extra,
    ])
    panel.rule_note = rule  # re-worded when the mode changes
    return panel


def _rule(mode: str) -> str:
    return WBC_RULE if mode == "absolute" else PERCENT_RULE


class CBCExplorer(ui.Explorer):
    """Explore a white-cell count: WBC, differential, population and age, and what they mean.

    Shows a badge for the WBC status and for the ANC's severity (colour, symbol and words),
    the CTCAE v5.0 grades, each count on its reference interval, the findings and the full
    explanation with sources. Keyword arguments set the starting values (control names as
    in ``.controls``; see :data:`~cbc_teach.widgets.cbc_model.CBC_DEFAULTS`); "Reset" goes
    back to them.

    ``.controls``: ``mode`` ("absolute" or "percent"), ``wbc``, ``neutrophils``, ``bands``,
    ``lymphocytes``, ``monocytes``, ``eosinophils``, ``basophils`` (x10^9/L, or % of the WBC
    in percent mode), ``red_cells_and_platelets``, ``hemoglobin`` (g/dL), ``mcv`` (fL),
    ``platelets`` (x10^9/L), ``population``, ``age_years``, ``sex``.
    ``.state``: a :class:`~cbc_teach.widgets.cbc_model.CBCView` (``.classification``,
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
        panel = count_panel(controls, [reset])
        super().__init__(
            title="CBC explorer",
            intro="Move a slider (or focus it and use the arrow keys, or type a number in its "
                  "box and press Enter) and watch the classification change.",
            controls=controls,
            control_panel=panel,
            outputs=outputs,
            strip="status",
        )
        self._rule_note = panel.rule_note
        self.reset_button = reset
        ui.on_click(reset, self.reset)
        self._start_with(values)

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
            self._rule_note.value = ui.note(_rule(change["new"])).value
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
