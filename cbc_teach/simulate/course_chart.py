"""The one chart of a time course: what ``TimeCourse.plot()`` and the TimeCourseExplorer show.

An accessible SVG (pure; no matplotlib, no ipywidgets): the ANC on the severity bands of
``data/severity.csv``, the nadir, the days below the severe limit, the recovery, the doses and
the G-CSF given; a comparison course dashed; viral courses add the WBC and the lymphocytes.
Every line differs by its dash as well as its colour and is named in the legend (or at its
end); the picture carries a text alternative built from the same numbers.

>>> from cbc_teach.simulate import chemo_course
>>> chart = course_chart(chemo_course("docetaxel"))
>>> chart.svg.startswith("<svg") and 'role="img"' in chart.svg
True
>>> print(chart.alt)  # doctest: +ELLIPSIS
Chart of the ANC (x10^9/L) over 21 days after the first dose, log scale: ... ANC nadir 0.90 x10^9/L on day 7.6 ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._svg import Series, chart
from ..render import box, esc
from ..severity import severity_bands

__all__ = ["CourseChart", "course_chart"]

#: Fills of the severity bands (light, so the lines stay readable).
BAND_FILLS = {"mild": "#fdf0c2", "moderate": "#fbd3b0", "severe": "#f4b4b4"}
#: The ANC line without / with G-CSF (the comparison is the same colour, dashed).
COURSE_COLOURS = {False: "#1f4e99", True: "#b35900"}
GCSF_FILL = "#cfe3f7"
NADIR_COLOUR = "#8c1d18"
RECOVERY_COLOUR = "#1b5e20"
DOSE_COLOUR = "#777777"
MARK_COLOUR = "#000000"
#: Viral courses: the other counts drawn beside the ANC, each with its own dash.
OTHER_LINES = {"wbc": ("WBC", "#555555", "2 3"), "lymphocytes": ("lymphocytes", "#2e7d32", "8 3 2 3")}
#: The bottom of the log scale (x10^9/L): lower values are drawn at the bottom edge.
LOG_FLOOR = 0.05


@dataclass(frozen=True)
class CourseChart:
    """A drawn time course: ``svg`` (with its ``alt`` text inside), the ``legend`` (HTML) and
    ``notes``. Displays itself in a notebook; its plain-text form is the text alternative."""

    svg: str
    legend: str
    alt: str
    notes: tuple[str, ...] = ()

    def html(self) -> str:
        """The chart, its legend and its notes as one block of HTML."""
        notes = "".join(f"<p><i>Note:</i> {esc(n)}</p>" for n in self.notes)
        return box(self.svg + self.legend + notes, "course-chart")

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return self.alt


def _bands() -> list[tuple[str, float, float]]:
    """(grade, lower, upper) of the severity bands, mildest first."""
    return [(b.grade, b.lower, b.upper) for b in severity_bands()]


def _runs_below(days: np.ndarray, values: np.ndarray, level: float) -> list[tuple[float, float]]:
    """The (start, end) days of each stretch with values < level."""
    below = np.asarray(values) < level
    if not below.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], below.astype(int), [0]])))
    return [(float(days[a]), float(days[min(b, len(days) - 1)]))
            for a, b in zip(edges[::2], edges[1::2])]


def _y_top(peak: float, log_y: bool) -> float:
    for top in (2, 5, 10, 20, 50, 100) if log_y else (2, 4, 6, 8, 10, 15, 20, 30, 40, 50, 100):
        if peak * 1.05 <= top:
            return float(top)
    return float(peak * 1.1)


def _days(x: float) -> str:
    return f"{x:.1f} day" + ("" if round(x, 1) == 1 else "s")


def _gcsf_words(course: Any) -> str:
    return "with G-CSF" if course.gcsf else "without G-CSF"


def _swatch(fill: str = "", *, line: str = "", dash: str = "") -> str:
    if line:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        return (f'<svg width="26" height="10" aria-hidden="true"><line x1="1" y1="5" x2="25" '
                f'y2="5" stroke="{line}" stroke-width="2.5"{d}/></svg>')
    return (f'<svg width="14" height="10" aria-hidden="true"><rect width="14" height="10" '
            f'fill="{fill}" stroke="#888"/></svg>')


def _marks(marks: Mapping[float, str] | Iterable[tuple[float, str]] | None) -> list[tuple[float, str]]:
    if marks is None:
        return []
    items = marks.items() if isinstance(marks, Mapping) else marks
    return [(float(day), str(text)) for day, text in items]


def course_chart(course: Any, comparison: Any = None, *, log_scale: bool = True,
                 marks: Mapping[float, str] | Sequence[tuple[float, str]] | None = None,
                 width: int = 640, height: int = 300) -> CourseChart:
    """Draw ``course`` (a :class:`~cbc_teach.simulate.TimeCourse`), with ``comparison``
    dashed (e.g. the same course with G-CSF switched the other way) and ``marks`` (day ->
    words) as labelled vertical lines.

    >>> from cbc_teach.simulate import chemo_course
    >>> c = course_chart(chemo_course("docetaxel", seed=4), chemo_course("docetaxel", seed=4,
    ...                  gcsf=True), marks={8: "seen on day 8"})
    >>> "seen on day 8" in c.svg and "(for comparison, dashed)" in c.legend
    True
    """
    bands = _bands()
    severe_below = next(high for grade, _low, high in bands if grade == "severe")
    band_uppers = [high for _grade, _low, high in bands]
    others = [(OTHER_LINES[name], getattr(course, name)) for name in OTHER_LINES
              if getattr(course, name, None) is not None]
    lines = [c.anc for c in (course, comparison) if c is not None] + [v for _s, v in others]
    peak = max(float(np.max(v)) for v in lines)
    y_max = _y_top(peak, log_scale)
    y_min = LOG_FLOOR if log_scale else 0.0
    chemo = course.kind == "chemotherapy"
    series = []
    for (name, colour, dash), values in others:
        series.append(Series(course.days, values, colour, dash=dash, width=1.6, name=name))
    if comparison is not None:
        series.append(Series(comparison.days, comparison.anc, COURSE_COLOURS[comparison.gcsf],
                             dash="6 4", width=1.8))
    series.append(Series(course.days, course.anc, COURSE_COLOURS[course.gcsf], width=2.6,
                         name="ANC" if others else ""))
    spans = [(a, b, GCSF_FILL) for c in (course, comparison) if c is not None and c.gcsf
             for a, b in c.gcsf_periods]
    vlines = [(d, DOSE_COLOUR, "") for d in course.dose_days]
    rec = course.recovery_day
    if rec is not None:
        vlines.append((rec, RECOVERY_COLOUR, f"back to {course.recovery_level:.3g}: day {rec:.1f}"))
    for day, text in _marks(marks):
        vlines.append((day, MARK_COLOUR, text))
    markers = [(course.nadir_day, max(course.nadir_anc, y_min), NADIR_COLOUR,
                f"nadir {course.nadir_anc:.2f}, day {course.nadir_day:.1f}")]
    runs = [(a, b, NADIR_COLOUR) for a, b in _runs_below(course.days, course.anc, severe_below)]
    end = float(course.days[-1])
    start = "after the first dose" if chemo else "from the start of the illness"
    alt = (f"Chart of the {'ANC' if not others else 'WBC, ANC and lymphocytes'} (x10^9/L) over "
           f"{end:g} days {start}{', log scale' if log_scale else ''}: {course.summary()}")
    if comparison is not None:
        alt += (f" Dashed: the same course {_gcsf_words(comparison)}, nadir "
                f"{comparison.nadir_anc:.2f} on day {comparison.nadir_day:.1f}, "
                f"{_days(comparison.days_below(severe_below))} with ANC below {severe_below:g}.")
    for day, text in _marks(marks):
        alt += f" Marked: {text} (day {day:g})."
    svg = chart(
        series, x_max=end, y_min=y_min, y_max=y_max, log_y=log_scale, label=alt,
        x_label=f"days {start}",
        y_label=("ANC" if not others else "count") + ", x10^9/L"
        + (" (log scale)" if log_scale else ""),
        bands=[(max(low, y_min), high, BAND_FILLS[grade]) for grade, low, high in bands],
        spans=spans, vlines=vlines, markers=markers, runs=runs, y_ticks=band_uppers,
        width=width, height=height,
    )
    notes = list(course.notes)
    if log_scale and course.nadir_anc < LOG_FLOOR:
        notes.append(f"The nadir ({course.nadir_anc:.3f}) is below {LOG_FLOOR:g}, the bottom "
                     "of the log scale; it is drawn at the bottom edge.")
    return CourseChart(svg=svg, legend=_legend(course, comparison, others, severe_below,
                                               bool(_marks(marks))),
                       alt=alt, notes=tuple(notes))


def _legend(course: Any, comparison: Any, others: list, severe_below: float,
            marked: bool) -> str:
    if course.kind == "chemotherapy":
        chosen = " (chosen, solid)" if comparison is not None else " (solid)"
        items = [_swatch(line=COURSE_COLOURS[course.gcsf]) + f" ANC {_gcsf_words(course)}{chosen}"]
    else:
        items = [_swatch(line=COURSE_COLOURS[course.gcsf]) + " ANC (solid)"]
    if comparison is not None:
        items.append(_swatch(line=COURSE_COLOURS[comparison.gcsf], dash="6 4")
                     + f" ANC {_gcsf_words(comparison)} (for comparison, dashed)")
    for (name, colour, dash), _values in others:
        items.append(_swatch(line=colour, dash=dash) + f" {esc(name)} (dashed, named at its end)")
    for grade, low, high in reversed(_bands()):
        rule = f"ANC {low:g}-{high:g}" if low > 0 and low != float("-inf") else f"ANC < {high:g}"
        items.append(_swatch(BAND_FILLS[grade]) + f" {esc(grade)} ({esc(rule)})")
    if any(c is not None and c.gcsf and c.gcsf_periods for c in (course, comparison)):
        items.append(_swatch(GCSF_FILL) + " G-CSF given")
    items.append(_swatch(NADIR_COLOUR) + f" days with ANC &lt; {severe_below:g}"
                 + (" (solid line)" if comparison is not None else ""))
    key = "▼ nadir; green dotted line: recovery"
    if course.dose_days:
        key += "; grey dotted lines: doses"
    if marked:
        key += "; black dotted lines: marked days"
    items.append(key)
    return ('<div style="display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px">'
            + "".join(f"<span>{item}</span>" for item in items) + "</div>")
