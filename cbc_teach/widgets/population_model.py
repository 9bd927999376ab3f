"""The population explorer's view model and HTML (pure; no ipywidgets, no matplotlib).

:func:`population_view` turns the controls' values into a :class:`PopulationView`;
:func:`population_html` turns that into the HTML that
:class:`~cbc_teach.widgets.PopulationExplorer` shows.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .._svg import histogram
from ..reference import populations, reference_interval
from ..render import banner, esc
from ..severity import neutropenia_threshold
from ._shared import (
    _BOX,
    _TABLE,
    _TD,
    _TH,
    _check_choice,
    _merged,
    _sentence_case,
    error_banner,
    population_label,
)

__all__ = [
    "CHILD_REFERENCE_AGE",
    "POPULATION_ANALYTES",
    "POPULATION_DEFAULTS",
    "POPULATION_SAMPLE",
    "POPULATION_SEED",
    "PopulationRow",
    "PopulationView",
    "population_html",
    "population_view",
    "neutropenia_limit",
    "reference_low",
]


#: How many healthy people are simulated per population, and with which seed (fixed, so the
#: explorer shows the same people every time).
POPULATION_SAMPLE = 20_000
POPULATION_SEED = 2024
#: Age used for the children's reference limit when a single limit is needed (children's
#: neutrophil thresholds change in the first year; 10 years is in the widest band).
CHILD_REFERENCE_AGE = 10.0

#: The PopulationExplorer's starting values. ``lower_limit`` None means "the chosen
#: population's own lower reference limit" (read from the data file when needed).
POPULATION_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "population": "adult",
    "analyte": "neutrophils",
    "lower_limit": None,
})

#: Analytes the PopulationExplorer can show: (label, histogram upper end, bin width).
POPULATION_ANALYTES = {
    "neutrophils": ("ANC (neutrophils)", 10.0, 0.2),
    "wbc": ("WBC", 16.0, 0.25),
}


@dataclass(frozen=True, eq=False)
class PopulationRow:
    """One simulated healthy population against the cut-off."""

    population: str
    label: str
    n: int
    n_below: int
    reference_low: float | None
    counts: tuple[int, ...]
    edges: tuple[float, ...]
    clipped: int

    @property
    def share(self) -> float:
        """The share of these healthy people below the cut-off (0 to 1)."""
        return self.n_below / self.n if self.n else 0.0


@dataclass(frozen=True, eq=False)
class PopulationView:
    """What the PopulationExplorer shows; ``shares`` maps each population to its share low."""

    values: Mapping[str, Any]
    rows: tuple[PopulationRow, ...] = ()
    error: str | None = None
    analyte: str = "neutrophils"
    lower_limit: float | None = None
    headline: str = ""

    @property
    def shares(self) -> dict[str, float]:
        """Population -> share of its healthy people called low by the cut-off."""
        return {row.population: row.share for row in self.rows}

    @property
    def chosen(self) -> PopulationRow | None:
        """The row of the chosen population."""
        wanted = self.values.get("population")
        return next((row for row in self.rows if row.population == wanted), None)

    def with_error(self, message: str) -> PopulationView:
        """The same results with an error message added."""
        return dataclasses.replace(self, error=message)


def reference_low(analyte: str, population: str) -> float | None:
    """A population's lower reference limit for ``analyte`` (children: at age 10).

    >>> reference_low("neutrophils", "duffy_null")
    1.2
    """
    age = CHILD_REFERENCE_AGE if population == "child" else None
    iv = reference_interval(analyte, population, age)
    return None if iv is None else iv.low


@functools.cache
def _healthy(population: str, analyte: str) -> tuple[Any, tuple[int, ...], tuple[float, ...], int]:
    """Sorted simulated values, histogram counts and edges, and how many lie past the top."""
    from ..simulate import cohort

    people = cohort(POPULATION_SAMPLE, population=population, seed=POPULATION_SEED)
    values = np.sort(people[analyte])
    _label, top, width = POPULATION_ANALYTES[analyte]
    edges = np.linspace(0.0, top, round(top / width) + 1)
    counts, _ = np.histogram(np.minimum(values, top - width / 2), bins=edges)
    clipped = int(np.sum(values >= top))
    return values, tuple(int(c) for c in counts), tuple(round(float(e), 10) for e in edges), clipped


def population_view(values: Mapping[str, Any] | None = None, /, **overrides: Any) -> PopulationView:
    """The PopulationExplorer's view model: each healthy population against one cut-off.

    Every simulated person is healthy, so each share below the cut-off is a share of false
    alarms. The people are simulated once per population (``POPULATION_SAMPLE`` of them, seed
    ``POPULATION_SEED``) and reused.

    >>> v = population_view(lower_limit=1.5)
    >>> v.shares["adult"] < 0.05 < v.shares["duffy_null"]
    True
    >>> print(v.headline)  # doctest: +ELLIPSIS
    A lower limit of 1.5 x10^9/L, the neutropenia threshold for adults, calls ... % of healthy adults neutropenic (... of 20,000)...
    >>> print(population_view().headline)  # doctest: +ELLIPSIS
    A lower limit of 2 x10^9/L puts ... % of healthy adults below it (... of 20,000). Below the limit is not the same as neutropenia: for adults that means an ANC below 1.5...
    """
    values = _merged(POPULATION_DEFAULTS, values, overrides)
    _check_choice("analyte", values["analyte"], tuple(POPULATION_ANALYTES))
    _check_choice("population", values["population"], populations())
    limit = values["lower_limit"]
    if limit is None:
        limit = reference_low(values["analyte"], values["population"])
        values["lower_limit"] = limit
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 0 <= limit < 1000:
        return PopulationView(values=MappingProxyType(values), analyte=values["analyte"],
                              error=f"The 'lower_limit' must be a number of x10^9/L, at least "
                                    f"0; got {limit!r}.")
    rows = []
    for name in populations():
        sorted_values, counts, edges, clipped = _healthy(name, values["analyte"])
        below = int(np.searchsorted(sorted_values, limit, side="left"))
        rows.append(PopulationRow(
            population=name, label=population_label(name), n=len(sorted_values),
            n_below=below, reference_low=reference_low(values["analyte"], name),
            counts=counts, edges=edges, clipped=clipped,
        ))
    chosen = next(row for row in rows if row.population == values["population"])
    headline = _headline(values["analyte"], chosen, float(limit)) + (
        " A reference interval is built to call 2.5 % of its own healthy population low."
    )
    return PopulationView(values=MappingProxyType(values), rows=tuple(rows),
                          analyte=values["analyte"], lower_limit=float(limit), headline=headline)


def neutropenia_limit(population: str) -> float:
    """The ANC below which ``population`` is called neutropenic (children: at age 10).

    Not the same as the lower reference limit: an adult's ANC of 1.8 is below the adults'
    interval (2.0) but is not neutropenia (below 1.5).

    >>> neutropenia_limit("adult"), reference_low("neutrophils", "adult")
    (1.5, 2.0)
    """
    age = CHILD_REFERENCE_AGE if population == "child" else None
    return neutropenia_threshold(population, age).value


def _headline(analyte: str, chosen: PopulationRow, limit: float) -> str:
    """What the cut-off does to the chosen population, in words that fit the cut-off.

    Below the limit is "neutropenic" only when the limit is the population's neutropenia
    threshold (``data/neutropenia_thresholds.csv``); any other limit just puts people below it.
    """
    counted = f"({chosen.n_below:,} of {chosen.n:,})"
    share = f"{100 * chosen.share:.1f} % of healthy {chosen.label}"
    if analyte == "neutrophils":
        threshold = neutropenia_limit(chosen.population)
        if math.isclose(limit, threshold, abs_tol=1e-9):
            return (f"A lower limit of {limit:g} x10^9/L, the neutropenia threshold for "
                    f"{chosen.label}, calls {share} neutropenic {counted}.")
        return (f"A lower limit of {limit:g} x10^9/L puts {share} below it {counted}. Below "
                f"the limit is not the same as neutropenia: for {chosen.label} that means an "
                f"ANC below {threshold:g}.")
    return f"A lower limit of {limit:g} x10^9/L puts {share} below it {counted}."


def population_html(view: PopulationView) -> dict[str, str]:
    """The PopulationExplorer's HTML: ``summary`` (headline and table) and ``plot``.

    >>> parts = population_html(population_view(population="duffy_null", lower_limit=1.5))
    >>> "◀ chosen" in parts["summary"], parts["plot"].count("<svg")
    (True, 3)
    """
    if not view.rows:
        return {"strip": "", "summary": f'<div class="cbct-box" style="{_BOX}">{error_banner(view.error)}</div>',
                "plot": ""}
    label = POPULATION_ANALYTES[view.analyte][0]
    rows = []
    for row in view.rows:
        chosen = row.population == view.values["population"]
        mark = " ◀ chosen" if chosen else ""
        weight = "font-weight:bold;" if chosen else ""
        own = "none in the data file" if row.reference_low is None else f"{row.reference_low:g}"
        rows.append(
            f'<tr style="{weight}"><td style="{_TD}">{esc(_sentence_case(row.label))}{mark}</td>'
            f'<td style="{_TD};text-align:right">{row.n_below:,} of {row.n:,}</td>'
            f'<td style="{_TD};text-align:right">{100 * row.share:.1f} %</td>'
            f'<td style="{_TD};text-align:right">{esc(own)}</td></tr>'
        )
    table = (
        f'<table style="{_TABLE}"><thead><tr><th style="{_TH}">Healthy population</th>'
        f'<th style="{_TH}">Below the cut-off</th><th style="{_TH}">Share</th>'
        f'<th style="{_TH}">Its own lower limit (x10^9/L)</th></tr></thead>'
        "<tbody>" + "".join(rows) + "</tbody></table>"
    )
    strip = f'<div class="cbct-box cbct-strip-box" style="{_BOX}">{banner("info", view.headline)}</div>'
    summary = (
        f'<div class="cbct-box cbct-population" style="{_BOX}">' + error_banner(view.error)
        + table + "</div>"
    )
    panels = []
    notes = []
    for row in view.rows:
        note = f"{100 * row.share:.1f} % below"
        title = (f"{label} of {row.n:,} healthy {row.label}: {row.n_below:,} "
                 f"({100 * row.share:.1f} %) below the cut-off {view.lower_limit:g} x10^9/L")
        panels.append(
            f'<div style="margin-top:6px"><div><b>{esc(_sentence_case(row.label))}</b></div>'
            + histogram(row.counts, row.edges, view.lower_limit, title, note=note) + "</div>"
        )
        if row.clipped:
            verb = "lies" if row.clipped == 1 else "lie"
            notes.append(f"{_sentence_case(row.label)}: {row.clipped:,} of {row.n:,} {verb} "
                         f"above {row.edges[-1]:g} x10^9/L, drawn in the last bar.")
    child = next((r for r in view.rows if r.population == "child"), None)
    if view.analyte == "neutrophils" and child is not None and child.reference_low is not None:
        notes.append(f"Children's neutrophil limit ({child.reference_low:g} x10^9/L at age "
                     f"{CHILD_REFERENCE_AGE:g}) "
                     "is a threshold that defines neutropenia, not a percentile of healthy "
                     "children, so few healthy children fall below it.")
    plot = (
        f'<div class="cbct-box" style="{_BOX}">'
        f"<div>{esc(label)} (x10^9/L) of simulated healthy people. Bars left of the dashed "
        "cut-off (dark red, hatched) are healthy people the cut-off calls low; each panel is "
        "scaled to its tallest bar.</div>"
        + "".join(panels)
        + "".join(f"<p><i>Note:</i> {esc(n)}</p>" for n in notes)
        + "</div>"
    )
    return {"strip": strip, "summary": summary, "plot": plot}
