"""CaseExplorer: a count and a history; the likely causes, the next tests and the triage.

>>> from cbc_teach.widgets import CaseExplorer
>>> ex = CaseExplorer()
>>> ex.state.triage.level
'none'
>>> ex.set_values(wbc=2.5, neutrophils=0.6, lymphocytes=1.5, monocytes=0.3, eosinophils=0.05,
...               basophils=0.05)
>>> ex.controls["conditions"].value = ("rheumatoid_arthritis", "splenomegaly")
>>> ex.state.causes[0].id, ex.state.triage.level
('rheumatoid_arthritis', 'routine')
>>> ex.controls["temperature_c"].value = 38.6
>>> ex.state.triage.level  # a fever with a low count: febrile neutropenia is not met (ANC 0.6)
'urgent'
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..causes import known_causes
from ..history import History, medication_classes, term_label, vocabulary
from ..triage import warning_signs
from . import _common as ui
from .case_model import (
    CASE_DEFAULTS,
    HISTORY_FIELDS,
    CaseView,
    case_html,
    case_view,
    simulated_case_values,
)
from .cbc_explorer import count_controls, count_panel

__all__ = ["CaseExplorer"]

_FIELD_TEXT = {
    "conditions": ("Conditions (known illnesses)",
                   "Illnesses the patient is known to have: tick all that apply."),
    "medications": ("Medications",
                    "Medicines the patient takes: tick all that apply. Type in the filter box "
                    "to find one."),
    "exposures": ("Exposures and treatments",
                  "Past treatments, diet and habits: tick all that apply."),
    "symptoms": ("Symptoms",
                 "What the patient feels or shows. Those marked ⚠ warning sign need a doctor "
                 "at once when the count is low."),
}
# Plain-language groups for the longer lists (terms not listed here go under "Other").
_CONDITION_GROUPS = {
    "Infections": ("influenza", "covid19", "dengue", "infectious_mononucleosis", "hiv",
                   "hepatitis_c"),
    "Autoimmune and inflammatory": ("rheumatoid_arthritis", "felty_syndrome",
                                    "systemic_lupus_erythematosus", "sarcoidosis",
                                    "graves_disease", "multiple_sclerosis"),
    "Liver and spleen": ("cirrhosis", "portal_hypertension", "splenomegaly"),
    "Cancer": ("lymphoma", "solid_tumor"),
    "Nutrition and absorption": ("pernicious_anemia", "celiac_disease", "malabsorption"),
}
_MEDICATION_GROUPS = {
    "chemotherapy": "Cancer drugs (chemotherapy)",
    "idiosyncratic": "Rare, unpredictable reactions",
    "dose_dependent": "Lower counts at higher doses",
    "glucocorticoid": "Steroids (glucocorticoids)",
    "antibiotic": "Antibiotics",
    "interferon": "Interferons",
}


def _group(field: str, term: str) -> str:
    if field == "conditions":
        return next((g for g, terms in _CONDITION_GROUPS.items() if term in terms), "Other")
    if field == "medications":
        classes = medication_classes(term)
        return _MEDICATION_GROUPS.get(classes[0] if classes else "", "Other medicines")
    if field == "symptoms":
        return "Warning signs" if term in set(warning_signs()) else "Other symptoms"
    return ""


def _options(field: str) -> list[dict]:
    """The tick boxes of a history field: plain labels, in groups, warning signs marked."""
    warn = set(warning_signs()) if field == "symptoms" else set()
    out = []
    for term in vocabulary()[field]:
        label = term_label(field, term)
        label = label[:1].upper() + label[1:] if field != "medications" else label
        out.append({"label": label, "term": term, "group": _group(field, term),
                    "warn": term in warn})
    groups = list(dict.fromkeys(o["group"] for o in out))
    if field == "symptoms":
        groups.sort(key=lambda g: g != "Warning signs")
    elif field == "conditions":
        groups = [*_CONDITION_GROUPS, "Other"]
    return sorted(out, key=lambda o: (groups.index(o["group"]) if o["group"] in groups else 99,
                                      o["label"].lower()))


class CaseExplorer(ui.Explorer):
    """Explore a patient: the count and the history, and what they suggest.

    Shows the triage (febrile neutropenia stands out), the WBC and ANC badges, the likely
    causes as bars with their reasons for and against, and the next tests. "Load a simulated
    case" fills every control from :func:`cbc_teach.simulate.case`, with the true cause hidden
    until revealed. Keyword arguments set the starting values.

    ``.controls``: the count (``wbc``, ``neutrophils``, ``bands``, ``lymphocytes``,
    ``monocytes``, ``eosinophils``, ``basophils`` in x10^9/L, ``red_cells_and_platelets``,
    ``hemoglobin``, ``mcv``, ``platelets``), the patient (``population``, ``age_years``,
    ``sex``, ``duffy_null``), the history (``conditions``, ``medications``, ``exposures``,
    ``symptoms``: tuples of canonical terms), ``temperature_measured`` and ``temperature_c``
    (degrees C; setting it ticks ``temperature_measured``), ``fever_hours``,
    ``days_since_chemotherapy`` (used when "chemotherapy" is among the exposures).
    ``.case_controls``: ``cause``, ``seed``, ``load``, ``reveal``.
    ``.state``: a :class:`~cbc_teach.widgets.case_model.CaseView` (``.causes``, ``.triage``,
    ``.history``, ``.classification``, ``.error``).

    >>> CaseExplorer(symptoms=("fever",)).state.history.symptoms
    ('fever',)
    """

    def __init__(self, **values: Any) -> None:
        start = dict(CASE_DEFAULTS)
        start.update(_with_measured(values))
        for name in HISTORY_FIELDS:
            start[name] = tuple(start[name])
        case_view(start)  # unknown control names and choices raise here
        terms = History(**{name: start[name] for name in HISTORY_FIELDS})  # synonyms -> terms
        for name in HISTORY_FIELDS:
            start[name] = tuple(getattr(terms, name))
        controls = count_controls({**start, "mode": "absolute"}, with_mode=False)
        for name in HISTORY_FIELDS:
            label, tip = _FIELD_TEXT[name]
            controls[name] = ui.check_group(
                label, tip, _options(name),
                filter_label="Filter medications:" if name == "medications" else "")
            _add_missing_options(controls[name], start[name])
            controls[name].value = start[name]
        controls["temperature_measured"] = ui.checkbox(
            "Temperature measured",
            "Untick if nobody took the temperature: not knowing is different from a normal "
            "temperature. Moving the temperature slider ticks it.",
            start["temperature_measured"],
        )
        controls["temperature_c"] = ui.number_slider(
            "Temperature", "Body temperature in degrees Celsius, as measured.",
            value=start["temperature_c"], min=min(34.0, start["temperature_c"]),
            max=max(42.0, start["temperature_c"]), step=0.1, unit="°C", decimals=1,
        )
        controls["fever_hours"] = ui.number_slider(
            "Fever lasting",
            "How long the temperature has been at fever level (0: not known).",
            value=start["fever_hours"], min=0.0, max=max(72.0, start["fever_hours"]), step=1.0,
            unit="hours", decimals=1, hint="0 means not known.",
        )
        controls["days_since_chemotherapy"] = ui.number_slider(
            "Days since the last chemotherapy",
            "Used when chemotherapy is ticked among the exposures: the count is lowest "
            "one to two weeks after a dose.",
            value=start["days_since_chemotherapy"], min=0,
            max=max(60, start["days_since_chemotherapy"]), step=1, unit="days", whole=True,
        )
        controls["duffy_null"] = ui.dropdown(
            "Duffy phenotype (blood test)",
            "Duffy-null people (common with African ancestry) have lower neutrophil counts "
            "and are healthy.",
            [("Not tested", "not_tested"), ("Duffy-null", "null"),
             ("Duffy-positive", "positive")],
            start["duffy_null"],
        )
        controls["days_since_chemotherapy"].disabled = "chemotherapy" not in start["exposures"]

        # Load a simulated case (kept out of .controls: these do not describe the patient).
        from ..simulate import case_ids

        names = known_causes()
        ids = case_ids()
        self.case_controls = {
            "cause": ui.dropdown(
                "Simulated case of", "The true cause of the simulated patient to load.",
                sorted(((names.get(cid, cid), cid) for cid in ids),
                       key=lambda item: item[0].lower()),
                "viral_infection" if "viral_infection" in ids else ids[0],
            ),
            "seed": widgets.BoundedIntText(
                value=1, min=0, max=9999, description="Case (number)",
                tooltip="Each number gives a different patient with the same cause.",
                style=ui.STYLE, layout=widgets.Layout(width="200px"),
            ),
            "load": ui.button("Load the case", "Fill in the count and history of a simulated "
                              "patient.", icon="download"),
            "reveal": ui.checkbox("Show the true cause", "Tick after you have made your guess.",
                                  False),
        }
        reset = ui.button("Reset", "Go back to the starting values (a healthy adult with no "
                          "history unless opened with other values).", icon="undo")
        history_box = [
            ui.heading("History"),
            *(controls[name] for name in HISTORY_FIELDS),
            controls["temperature_measured"], controls["temperature_c"], controls["fever_hours"],
            controls["days_since_chemotherapy"], controls["duffy_null"],
            ui.heading("Load a simulated case"),
            self.case_controls["cause"],
            widgets.HBox([self.case_controls["seed"], self.case_controls["load"]]),
            self.case_controls["reveal"],
            reset,
        ]
        panel = count_panel(controls, history_box)
        outputs = {"strip": widgets.HTML(), "triage": widgets.HTML(), "causes": widgets.HTML(),
                   "details": widgets.HTML()}
        self._loaded: tuple[str, int] | None = None
        super().__init__(
            title="Case explorer",
            intro="Enter a count and a history (or load a simulated case) and read the likely "
                  "causes, the next tests and how urgent it is.",
            controls=controls, control_panel=panel, outputs=outputs, strip="strip",
        )
        self.reset_button = reset
        self.verdict_button = ui.button(
            "Show the explorer's verdict",
            "Make up your own mind first (triage, pattern, likely causes, next tests), then "
            "press to compare with the explorer.", icon="eye")
        self.verdict_button.layout.display = "none"
        self.children = (self.children[0], self.verdict_button, *self.children[1:])
        ui.on_click(self.verdict_button, self.show_verdict)
        ui.on_click(reset, self.reset)
        ui.on_click(self.case_controls["load"], self._load_clicked)
        self.case_controls["reveal"].observe(self._on_reveal, names="value")
        self._start_with(values)

    # --- the verdict behind a button -----------------------------------------------------------
    def hide_verdict(self) -> None:
        """Hide the triage, causes and tests behind "Show the explorer's verdict" (the
        controls stay usable), so that students commit to their own verdict first."""
        for output in self.outputs.values():
            output.layout.display = "none"
        self.verdict_button.layout.display = None

    def show_verdict(self) -> None:
        """Show the triage, causes and tests again (what the verdict button does)."""
        for output in self.outputs.values():
            output.layout.display = None
        self.verdict_button.layout.display = "none"

    @property
    def verdict_hidden(self) -> bool:
        """True while the results are hidden behind the verdict button."""
        return self.verdict_button.layout.display != "none"

    # --- loading a simulated case ------------------------------------------------------------
    def load_case(self, cause_id: str, seed: int | None = None) -> None:
        """Fill every control from ``cbc_teach.simulate.case(cause_id, seed=seed)``.

        The true cause stays hidden in the display until "Show the true cause" is ticked
        (it is in ``.loaded_case``).
        """
        values = simulated_case_values(cause_id, seed)
        self._loaded = (cause_id, seed)
        with self.hold_updates():
            self.case_controls["reveal"].value = False
            for name in HISTORY_FIELDS:
                _add_missing_options(self.controls[name], values[name])
            self.set_values(**values)

    def _on_reveal(self, _change: dict) -> None:
        if not self._holding:
            self.refresh()

    @property
    def loaded_case(self) -> tuple[str, int | None] | None:
        """(cause id, seed) of the loaded simulated case, or None."""
        return self._loaded

    def _load_clicked(self) -> None:
        try:
            self.load_case(self.case_controls["cause"].value, self.case_controls["seed"].value)
        except Exception as exc:  # noqa: BLE001 - a button callback must never raise
            self.state = self.state.with_error(f"Could not load the case: {exc}")
            self._draw(self.state)

    def set_values(self, **values: Any) -> None:
        """Set several controls at once (a ``temperature_c`` given means it was measured)."""
        super().set_values(**_with_measured(values))

    def reset(self, _button: object = None) -> None:
        """Back to the starting values; forget any loaded case."""
        self._loaded = None
        super().reset()

    # --- updating ----------------------------------------------------------------------------
    def _react(self, change: dict) -> None:
        owner = change["owner"]
        if owner is self.controls["temperature_c"] and not self._holding:
            # Moving the temperature means it was measured.
            with self.hold_updates(refresh=False):
                self.controls["temperature_measured"].value = True
        elif owner is self.controls["exposures"]:
            self.controls["days_since_chemotherapy"].disabled = \
                "chemotherapy" not in change["new"]
        elif owner is self.controls["red_cells_and_platelets"]:
            for name in ("hemoglobin", "mcv", "platelets"):
                self.controls[name].disabled = not change["new"]

    def _compute(self, values: dict[str, Any]) -> CaseView:
        return case_view(values)

    def _loaded_text(self) -> str:
        if self._loaded is None:
            return ""
        cause_id, seed = self._loaded
        text = f"Simulated case number {seed}."
        if self.case_controls["reveal"].value:
            name = known_causes().get(cause_id, cause_id)
            text += f" True cause: {name}."
            causes = getattr(self.state, "causes", None)
            if causes is not None and cause_id in [c.id for c in causes]:
                rank = [c.id for c in causes].index(cause_id) + 1
                text += f" Ranked {rank} here ({100 * causes[rank - 1].probability:.1f} %)."
        else:
            text += " Its true cause is hidden: what do you think it is? Then tick 'Show the " \
                    "true cause'."
        return text

    def _render(self, view: CaseView) -> dict[str, str]:
        return case_html(view, loaded=self._loaded_text())

    def _draw(self, view: CaseView) -> None:
        for name, markup in self._render(view).items():
            self.outputs[name].value = markup

    def _empty_view(self, values: dict[str, Any], error: str) -> CaseView:
        return CaseView(values=values, error=error)

    def _repr_summary(self) -> str:
        view = self.state
        if view is None or view.causes is None:
            return "no valid case yet"
        top = view.causes[0]
        return (f"triage {view.triage.level}; most likely {top.id} "
                f"{100 * top.probability:.0f}%")


def _with_measured(values: dict[str, Any]) -> dict[str, Any]:
    if "temperature_c" in values and "temperature_measured" not in values:
        return {**values, "temperature_measured": True}
    return values


def _add_missing_options(control, terms: tuple[str, ...]) -> None:
    """Add terms the list does not offer (an unknown medication from a loaded case)."""
    missing = [t for t in terms if t not in control.terms]
    if missing:
        control.add_options({"label": f"{t.replace('_', ' ')} (not in the course's list)",
                             "term": t, "group": "Not in the course's list"} for t in missing)
