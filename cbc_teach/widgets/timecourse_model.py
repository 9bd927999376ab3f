"""The time-course explorer's view model and HTML (pure; no ipywidgets, no matplotlib).

:func:`timecourse_view` turns the controls' values into a :class:`TimeCourseView`;
:func:`timecourse_html` and :func:`timecourse_chart` draw what
:class:`~cbc_teach.widgets.TimeCourseExplorer` shows.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..errors import CBCTeachError, InvalidParameterError
from ..render import banner, esc
from ..severity import anc_severity as _shared_anc_severity
from ..simulate.course_chart import CourseChart, course_chart
from ._shared import (
    _BOX,
    _TABLE,
    _TD,
    _TH,
    _band_upper,
    _check_choice,
    _merged,
    error_banner,
)

__all__ = [
    "CourseRow",
    "TIMECOURSE_DEFAULTS",
    "TimeCourseView",
    "timecourse_chart",
    "timecourse_html",
    "timecourse_view",
]


#: The TimeCourseExplorer's starting values: the typical patient (0) on one full-dose cycle of
#: docetaxel without G-CSF, drawn against the same course with G-CSF.
TIMECOURSE_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "regimen": "docetaxel",
    "dose_fraction": 1.0,
    "cycles": 1,
    "cycle_days": 21,
    "gcsf": False,
    "compare": True,
    "patient": 0,
    "log_scale": True,
})


@dataclass(frozen=True)
class CourseRow:
    """The numbers a student reads off one course."""

    label: str
    gcsf: bool
    nadir_anc: float
    nadir_day: float
    severity: str
    days_below_severe: float  # days with ANC below the severe band's upper limit (0.5)
    days_below_moderate: float  # days with ANC below the moderate band's upper limit (1.0)
    recovery_day: float | None


@dataclass(frozen=True, eq=False)
class TimeCourseView:
    """What the TimeCourseExplorer shows; ``course`` is the chosen :class:`TimeCourse`.

    ``comparison`` is the same course with G-CSF switched the other way (None when not asked).
    """

    values: Mapping[str, Any]
    course: Any = None
    comparison: Any = None
    error: str | None = None
    rows: tuple[CourseRow, ...] = ()
    headline: str = ""
    effect: str = ""
    recovery_level: float = 1.5
    severe_below: float = 0.5  # set from data/severity.csv by timecourse_view
    moderate_below: float = 1.0

    def with_error(self, message: str) -> TimeCourseView:
        """The same results with an error message added."""
        return dataclasses.replace(self, error=message)


@functools.lru_cache(maxsize=256)
def _chemo_course(regimen: str, cycles: int, cycle_days: float, dose_fraction: float,
                  gcsf: bool, patient: int) -> Any:
    from ..simulate import chemo_course

    return chemo_course(regimen, cycles=cycles, cycle_days=cycle_days,
                        dose_fraction=dose_fraction, gcsf=gcsf,
                        seed=None if patient == 0 else patient)


def _severity_word(anc: float, lower_limit: float) -> str:
    grade = _shared_anc_severity(anc, lower_limit)
    return "no neutropenia" if grade == "none" else f"{grade} neutropenia"


def _course_row(course: Any, lower_limit: float) -> CourseRow:
    return CourseRow(
        label="with G-CSF" if course.gcsf else "without G-CSF",
        gcsf=course.gcsf,
        nadir_anc=course.nadir_anc,
        nadir_day=course.nadir_day,
        severity=_severity_word(course.nadir_anc, lower_limit),
        days_below_severe=course.days_below(_band_upper("severe")),
        days_below_moderate=course.days_below(_band_upper("moderate")),
        recovery_day=course.recovery_day,
    )


def _days(x: float) -> str:
    return f"{x:.1f} day" + ("" if round(x, 1) == 1 else "s")


def timecourse_view(values: Mapping[str, Any] | None = None, /, **overrides: Any) -> TimeCourseView:
    """The TimeCourseExplorer's view model: the ANC through a course, with and without G-CSF.

    ``patient`` 0 is the typical patient (published typical values); 1, 2, ... are simulated
    patients drawn with that seed from the published between-patient variability.

    >>> v = timecourse_view(dose_fraction=1.5)
    >>> v.rows[0].label, v.rows[0].severity, v.rows[1].label
    ('without G-CSF', 'severe neutropenia', 'with G-CSF')
    >>> v.rows[1].days_below_severe < v.rows[0].days_below_severe
    True
    """
    values = _merged(TIMECOURSE_DEFAULTS, values, overrides)
    from ..simulate import regimens

    _check_choice("regimen", values["regimen"], regimens())
    for name in ("gcsf", "compare", "log_scale"):
        if not isinstance(values[name], bool):
            raise InvalidParameterError(f"The {name!r} control must be True or False; "
                                        f"got {values[name]!r}.")
    try:
        patient = int(values["patient"])
        if patient != values["patient"] or patient < 0:
            raise ValueError
    except (TypeError, ValueError):
        return TimeCourseView(values=MappingProxyType(values),
                              error=f"The 'patient' must be 0 (the typical patient) or a "
                                    f"positive whole number; got {values['patient']!r}.")
    key = (values["regimen"], values["cycles"], values["cycle_days"], values["dose_fraction"])
    try:
        course = _chemo_course(*key, values["gcsf"], patient)
        comparison = _chemo_course(*key, not values["gcsf"], patient) if values["compare"] \
            else None
    except (ValueError, CBCTeachError) as exc:
        return TimeCourseView(values=MappingProxyType(values), error=str(exc))
    limit = course.recovery_level
    rows = tuple(_course_row(c, limit) for c in (course, comparison) if c is not None)
    rows = tuple(sorted(rows, key=lambda r: r.gcsf))  # without G-CSF first
    main = _course_row(course, limit)
    recovery = (f"back to {limit:g} on day {main.recovery_day:.1f}"
                if main.recovery_day is not None
                else f"never below {limit:g}" if main.nadir_anc >= limit
                else f"not back to {limit:g} by day {course.days[-1]:.0f}")
    severe = _band_upper("severe")
    headline = (
        f"{main.label[0].upper()}{main.label[1:]}: nadir {main.nadir_anc:.2f} x10^9/L on day "
        f"{main.nadir_day:.1f} ({main.severity}); ANC below {severe:g} for "
        f"{_days(main.days_below_severe)}; {recovery}."
    )
    effect = ""
    if comparison is not None:
        off, on = rows[0], rows[1]
        effect = (
            f"G-CSF changes the nadir from {off.nadir_anc:.2f} to {on.nadir_anc:.2f} x10^9/L "
            f"and the time below {severe:g} from {_days(off.days_below_severe)} to "
            f"{_days(on.days_below_severe)}."
        )
    return TimeCourseView(values=MappingProxyType(values), course=course, comparison=comparison,
                          rows=rows, headline=headline, effect=effect, recovery_level=limit,
                          severe_below=severe, moderate_below=_band_upper("moderate"))


def _chart(view: TimeCourseView) -> CourseChart:
    return course_chart(view.course, view.comparison,
                        log_scale=bool(view.values.get("log_scale", True)))


def timecourse_chart(view: TimeCourseView) -> str:
    """The ANC over time on the severity bands, with nadir, days in severe neutropenia and
    recovery: the SVG of :func:`~cbc_teach.simulate.course_chart.course_chart`, the same
    chart ``TimeCourse.plot()`` gives."""
    return _chart(view).svg


def _course_table(view: TimeCourseView) -> str:
    chosen = view.course.gcsf
    rows = []
    for r in view.rows:
        mark = " ◀ chosen" if r.gcsf == chosen else ""
        recovery = "never below" if r.recovery_day is None and r.nadir_anc >= view.recovery_level \
            else "not yet" if r.recovery_day is None else f"day {r.recovery_day:.1f}"
        rows.append(
            f'<tr><td style="{_TD}">{esc(r.label)}{mark}</td>'
            f'<td style="{_TD};text-align:right">{r.nadir_anc:.2f}</td>'
            f'<td style="{_TD};text-align:right">{r.nadir_day:.1f}</td>'
            f'<td style="{_TD}">{esc(r.severity)}</td>'
            f'<td style="{_TD};text-align:right">{r.days_below_severe:.1f}</td>'
            f'<td style="{_TD};text-align:right">{r.days_below_moderate:.1f}</td>'
            f'<td style="{_TD};text-align:right">{esc(recovery)}</td></tr>'
        )
    return (
        f'<table style="{_TABLE}"><thead><tr><th style="{_TH}">Course</th>'
        f'<th style="{_TH}">Nadir ANC (x10^9/L)</th><th style="{_TH}">Nadir day</th>'
        f'<th style="{_TH}">Severity at the nadir</th>'
        f'<th style="{_TH}">Days ANC &lt; {view.severe_below:g}</th>'
        f'<th style="{_TH}">Days ANC &lt; {view.moderate_below:g}</th>'
        f'<th style="{_TH}">Back to {view.recovery_level:g}</th></tr></thead>'
        "<tbody>" + "".join(rows) + "</tbody></table>"
    )


def timecourse_html(view: TimeCourseView) -> dict[str, str]:
    """The TimeCourseExplorer's HTML: ``summary`` (headline and table) and ``plot``.

    >>> parts = timecourse_html(timecourse_view())
    >>> parts["plot"].count("<path") >= 3, "◀ chosen" in parts["summary"]
    (True, True)
    """
    if view.course is None:
        return {"strip": "", "summary": f'<div class="cbct-box" style="{_BOX}">{error_banner(view.error)}</div>',
                "plot": ""}
    course = view.course
    strip = (f'<div class="cbct-box cbct-strip-box" style="{_BOX}">'
             + banner("info", view.headline, [view.effect] if view.effect else []) + "</div>")
    summary = (
        f'<div class="cbct-box cbct-timecourse" style="{_BOX}">' + error_banner(view.error)
        + f"<div><b>{esc(course.label)}</b>, {esc(course.patient)}.</div>"
        + _course_table(view) + "</div>"
    )
    plot = (
        _chart(view).html()
        + f'<details class="cbct-box" style="{_BOX}"><summary style="cursor:pointer">Model and '
        f'sources</summary><p style="font-size:12px">{esc(course.source)}</p></details>'
    )
    return {"strip": strip, "summary": summary, "plot": plot}
