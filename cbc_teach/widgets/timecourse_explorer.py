"""TimeCourseExplorer: the ANC through chemotherapy, with and without G-CSF.

>>> from cbc_teach.widgets import TimeCourseExplorer
>>> ex = TimeCourseExplorer(patient=4)
>>> round(ex.state.course.days_below(0.5), 1) > round(ex.state.comparison.days_below(0.5), 1)
True
>>> ex.controls["gcsf"].value = True
>>> ex.state.course.gcsf, ex.state.comparison.gcsf
(True, False)
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..simulate import gcsf_start_day, regimen, regimens
from . import _common as ui
from .timecourse_model import (
    TIMECOURSE_DEFAULTS,
    TimeCourseView,
    timecourse_html,
    timecourse_view,
)

__all__ = ["TimeCourseExplorer"]


class TimeCourseExplorer(ui.Explorer):
    """The ANC over a course of chemotherapy (Friberg model), on the severity bands.

    Marks the nadir, the days with ANC < 0.5 and the day the ANC is back at 1.5, and draws
    the same course with G-CSF switched the other way for comparison. Keyword arguments set
    the starting values.

    ``.controls``: ``regimen``, ``dose_fraction`` (x the standard dose), ``cycles``,
    ``cycle_days`` (days), ``gcsf``, ``compare`` (draw the other G-CSF choice), ``patient``
    (0 the typical patient; 1-20 simulated patients), ``log_scale``. ``.state``: a
    :class:`~cbc_teach.widgets.timecourse_model.TimeCourseView` (``.course`` the
    :class:`~cbc_teach.simulate.TimeCourse`, ``.comparison``, ``.rows``, ``.error``).

    >>> TimeCourseExplorer().state.course.regimen
    'docetaxel'
    """

    def __init__(self, **values: Any) -> None:
        start = dict(TIMECOURSE_DEFAULTS)
        start.update(values)
        timecourse_view(start)  # unknown control names and choices raise here
        controls = {
            # Radio buttons whose labels wrap: the whole text of each regimen stays readable
            # (the model named at the end is what tells two docetaxel regimens apart).
            "regimen": widgets.RadioButtons(
                options=[(regimen(name).label, name) for name in regimens()],
                value=start["regimen"], description="Regimen",
                tooltip="The chemotherapy and the published model parameters used to simulate it.",
                style=ui.STYLE, layout=widgets.Layout(width="100%", max_width="400px"),
            ),
            "dose_fraction": ui.number_slider(
                "Dose",
                "1.0 is the standard dose; 0.75 is a 25 % dose reduction.",
                value=start["dose_fraction"], min=min(0.25, start["dose_fraction"]),
                max=max(1.5, start["dose_fraction"]), step=0.05, unit="× full dose", decimals=2,
            ),
            "cycles": ui.number_slider(
                "Cycles", "How many doses are given, one per cycle.",
                value=start["cycles"], min=1, max=max(6, start["cycles"]), step=1, page=5,
                unit="doses", whole=True,
            ),
            "cycle_days": ui.number_slider(
                "Days between doses",
                "The length of one cycle, from one dose to the next.",
                value=start["cycle_days"], min=min(14, start["cycle_days"]),
                max=max(28, start["cycle_days"]), step=1, unit="days", whole=True,
            ),
            "gcsf": ui.checkbox(
                f"Give G-CSF (filgrastim) from day {gcsf_start_day():g} after each dose",
                "G-CSF makes the marrow produce and release neutrophils faster.",
                start["gcsf"],
            ),
            "compare": ui.checkbox(
                "Also draw the other choice (dashed), to compare",
                "Draws the same course with G-CSF switched the other way.",
                start["compare"],
            ),
            "patient": ui.number_slider(
                "Patient number",
                "0 is the typical patient; 1 to 20 are other simulated patients, who differ "
                "in baseline count and sensitivity to the drug.",
                value=start["patient"], min=0, max=max(20, start["patient"]), step=1,
                whole=True, hint="0 is the typical patient.",
            ),
            "log_scale": ui.checkbox(
                "Log scale for the ANC (shows the low counts clearly)",
                "On a log scale each step up multiplies the count; the low range, where the "
                "severity bands lie, gets more room.",
                start["log_scale"],
            ),
        }
        reset = ui.button("Reset", "Go back to the starting values.", icon="undo")
        panel = widgets.VBox([
            ui.heading("The course"),
            controls["regimen"], controls["dose_fraction"], controls["cycles"],
            controls["cycle_days"],
            ui.heading("G-CSF"), controls["gcsf"], controls["compare"],
            ui.heading("Patient and drawing"), controls["patient"], controls["log_scale"],
            reset,
        ])
        outputs = {"strip": widgets.HTML(), "summary": widgets.HTML(), "plot": widgets.HTML()}
        super().__init__(
            title="Time-course explorer",
            intro="Change the dose, the number of cycles or G-CSF and watch the nadir, the days "
                  "with a severely low ANC and the recovery move.",
            controls=controls, control_panel=panel, outputs=outputs, strip="strip",
        )
        self.reset_button = reset
        ui.on_click(reset, self.reset)
        self._start_with(values)

    def _compute(self, values: dict[str, Any]) -> TimeCourseView:
        return timecourse_view(values)

    def _render(self, view: TimeCourseView) -> dict[str, str]:
        return timecourse_html(view)

    def _empty_view(self, values: dict[str, Any], error: str) -> TimeCourseView:
        return TimeCourseView(values=values, error=error)

    def _repr_summary(self) -> str:
        if self.state is None or self.state.course is None:
            return "no course yet"
        return self.state.headline
