"""The CBC explorer's view model and HTML (pure; no ipywidgets, no matplotlib).

:func:`cbc_view` turns the controls' values into a :class:`CBCView`; :func:`cbc_html` turns
that into the HTML that :class:`~cbc_teach.widgets.CBCExplorer` shows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .._svg import range_bar
from ..cbc import CBC, PERCENT_TOLERANCE
from ..classify import ANALYTE_LABELS, CTCAE_LABELS, FINDINGS, Classification, classify
from ..errors import CBCTeachError
from ..render import COLOURS, badge, esc
from ._shared import (
    _BOX,
    _TABLE,
    _TD,
    _TH,
    Badge,
    _check_choice,
    _merged,
    _profound_limit,
    error_banner,
    plain_words,
    population_label,
    severity_bands,
    status_symbol,
)

__all__ = [
    "CBCView",
    "CBC_DEFAULTS",
    "DIFFERENTIAL_CONTROLS",
    "RangeBar",
    "cbc_details_html",
    "cbc_from_values",
    "cbc_html",
    "cbc_status_html",
    "cbc_view",
    "convert_differential",
    "counts_table",
    "ctcae_table",
]


#: The differential's controls, in the order a laboratory report lists them.
DIFFERENTIAL_CONTROLS = ("neutrophils", "bands", "lymphocytes", "monocytes", "eosinophils",
                         "basophils")

#: A healthy adult: what the explorers start from and what "reset" brings back. The
#: differential adds up to the WBC (3.8 + 0 + 2.0 + 0.45 + 0.2 + 0.05 = 6.5), every value well
#: inside the adult reference intervals of ``data/reference_intervals.csv``.
CBC_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    "mode": "absolute",
    "wbc": 6.5,
    "neutrophils": 3.8,
    "bands": 0.0,
    "lymphocytes": 2.0,
    "monocytes": 0.45,
    "eosinophils": 0.2,
    "basophils": 0.05,
    "red_cells_and_platelets": True,
    "hemoglobin": 14.0,
    "mcv": 90.0,
    "platelets": 250.0,
    "population": "adult",
    "age_years": 40.0,
    "sex": "not_given",
})

_MODES = ("absolute", "percent")
_SEXES = ("not_given", "female", "male")

_GRADE_WORDS = {0: "not decreased", 1: "mild", 2: "moderate", 3: "severe", 4: "life-threatening"}


@dataclass(frozen=True)
class RangeBar:
    """One count drawn against its reference interval.

    ``axis_max`` is the right end of the drawn scale (the left end is 0); ``low``/``high`` are
    None where the data file has no limit on that side.
    """

    analyte: str
    label: str
    value: float
    unit: str
    low: float | None
    high: float | None
    status: str
    axis_max: float
    interval_text: str
    source: str
    percent: float | None = None

    @property
    def symbol(self) -> str:
        """The status symbol (▼, ✓, ▲ or –)."""
        return status_symbol(self.status)


@dataclass(frozen=True, eq=False)
class CBCView:
    """What the CBC explorer shows; ``classification`` is the :class:`Classification`.

    When the control values are not a valid count, ``error`` holds a message and the result
    fields are None (see :meth:`with_error` for keeping the last valid result on screen).
    """

    values: Mapping[str, Any]
    cbc: CBC | None = None
    classification: Classification | None = None
    error: str | None = None
    wbc_badge: Badge | None = None
    anc_badge: Badge | None = None
    ctcae: tuple[tuple[str, int, str], ...] = ()
    bars: tuple[RangeBar, ...] = ()
    findings: tuple[str, ...] = ()
    remarks: tuple[str, ...] = ()
    population_text: str = ""
    summary: str = ""
    explanation: str = ""
    mode: str = "absolute"
    notes: tuple[str, ...] = field(default=())

    def with_error(self, message: str) -> CBCView:
        """The same results with an error message added (the last valid result stays shown).

        >>> cbc_view().with_error("Try again.").classification.wbc_status
        'normal'
        """
        return dataclasses.replace(self, error=message)


def cbc_from_values(values: Mapping[str, Any]) -> CBC:
    """Build the :class:`CBC` that a set of control values describes.

    In ``"percent"`` mode the differential controls hold percentages of the WBC.

    >>> cbc_from_values({**CBC_DEFAULTS, "mode": "percent", "wbc": 4.0, "neutrophils": 25,
    ...                  "bands": 0, "lymphocytes": 60, "monocytes": 10, "eosinophils": 4,
    ...                  "basophils": 1}).anc
    1.0
    """
    _check_choice("mode", values["mode"], _MODES)
    other = {}
    if values.get("red_cells_and_platelets", True):
        other = {name: values[name] for name in ("hemoglobin", "mcv", "platelets")}
    parts = {name: values[name] for name in DIFFERENTIAL_CONTROLS}
    if values["mode"] == "percent":
        checked = CBC(values["wbc"])  # checks the WBC itself first
        if sum(float(p) for p in parts.values()) > 100 + PERCENT_TOLERANCE:
            # from_percentages explains in percentages why this cannot be a differential
            return CBC.from_percentages(values["wbc"], **parts, **other)
        # Like absolute mode, a differential that does not add up to the whole WBC is allowed
        # while the student moves one slider at a time; the view says what is missing.
        parts = {name: round(checked.wbc * float(p) / 100, 10) for name, p in parts.items()}
    return CBC(values["wbc"], **parts, **other)


def convert_differential(values: Mapping[str, Any], to_mode: str) -> dict[str, float]:
    """The differential controls' values in the other mode (absolute x10^9/L or percent).

    Percentages are rounded to 0.1 and absolute counts to 0.01, the precision of the controls.

    >>> convert_differential(CBC_DEFAULTS, "percent")["neutrophils"]
    58.5
    >>> convert_differential({**CBC_DEFAULTS, "mode": "percent", "neutrophils": 50.0},
    ...                      "absolute")["neutrophils"]
    3.25
    """
    _check_choice("mode", to_mode, _MODES)
    wbc = float(values["wbc"])
    parts = {name: float(values[name]) for name in DIFFERENTIAL_CONTROLS}
    if values["mode"] == to_mode:
        return parts
    if to_mode == "percent":
        return {name: round(100 * x / wbc, 1) if wbc > 0 else 0.0 for name, x in parts.items()}
    return {name: round(wbc * x / 100, 2) for name, x in parts.items()}


def _population_text(classification: Classification) -> str:
    text = population_label(classification.population)
    if classification.age_years is not None:
        age = classification.age_years
        text += f", age {age:g} years" if age >= 1 else f", age {age * 12:.1f} months"
    if classification.sex:
        text += f", {classification.sex}"
    return text


def _wbc_badge(c: Classification) -> Badge:
    comp = next(comp for comp in c.comparisons if comp.analyte == "wbc")
    iv = comp.interval
    word = {"low": "LOW", "high": "HIGH", "normal": "NORMAL"}[c.wbc_status]
    limit = ""
    if iv is not None and c.wbc_status == "low":
        limit = f" (below {iv.low:g})"
    elif iv is not None and c.wbc_status == "high":
        limit = f" (above {iv.high:g})"
    elif iv is not None:
        limit = f" (within {iv.text()})"
    name = {"low": "leukopenia", "high": "leukocytosis", "normal": ""}[c.wbc_status]
    return Badge(
        status=c.wbc_status,
        text=f"WBC {c.cbc.wbc:g} x10^9/L: {status_symbol(c.wbc_status)} {word}{limit}",
        detail=name,
    )


def _anc_badge(c: Classification) -> Badge:
    if c.anc is None:
        return Badge(status="unknown", text="ANC unknown: enter the neutrophils")
    severity = c.anc_severity
    symbol = status_symbol(severity)
    if severity == "none":
        return Badge(status="none", text=f"ANC {c.anc:g} x10^9/L: {symbol} no neutropenia")
    band = next(b for b in severity_bands() if b["grade"] == severity)
    if band["lower"] == -math.inf:
        rule = f"ANC < {band['upper']:g}"
    else:
        rule = f"{band['lower']:g} ≤ ANC < {band['upper']:g}"
    detail = ""
    if "profound_neutropenia" in c.findings:
        detail = f"profound neutropenia (ANC < {_profound_limit():g})"
    return Badge(
        status=severity,
        text=f"ANC {c.anc:g} x10^9/L: {symbol} {severity.upper()} neutropenia ({rule})",
        detail=detail,
    )


def _axis_max(value: float, low: float | None, high: float | None) -> float:
    top = max(value, high if high is not None else 0.0, (low or 0.0) * 2, 1e-9)
    top *= 1.25
    # A round number keeps the drawing steady while a slider moves within the interval.
    magnitude = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        if top <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _bars(c: Classification, mode: str) -> tuple[RangeBar, ...]:
    percents = c.cbc.percentages() if mode == "percent" else {}
    if mode == "percent" and c.cbc.bands:
        percents["neutrophils"] = round(percents["neutrophils"] + percents["bands"], 1)
    bars = []
    for comp in c.comparisons:
        iv = comp.interval
        low = iv.low if iv is not None else None
        high = iv.high if iv is not None else None
        unit = iv.unit if iv is not None else ("g/dL" if comp.analyte == "hemoglobin"
                                               else "fL" if comp.analyte == "mcv" else "x10^9/L")
        bars.append(RangeBar(
            analyte=comp.analyte,
            label=ANALYTE_LABELS[comp.analyte],
            value=comp.value,
            unit=unit,
            low=low,
            high=high,
            status=comp.status,
            axis_max=_axis_max(comp.value, low, high),
            interval_text=iv.text() if iv is not None else "no interval in the data file",
            source=iv.source if iv is not None else "",
            percent=percents.get(comp.analyte),
        ))
    return tuple(bars)


def cbc_view(values: Mapping[str, Any] | None = None, /, **overrides: Any) -> CBCView:
    """The CBC explorer's view model for a set of control values.

    Control names are those of :data:`CBC_DEFAULTS`; missing ones take their default (a
    healthy adult). An invalid count gives a view whose ``error`` explains it; an unknown
    control name raises :class:`~cbc_teach.errors.InvalidParameterError`.

    >>> v = cbc_view(population="duffy_null", wbc=3.2, neutrophils=1.3, lymphocytes=1.4,
    ...              monocytes=0.3, eosinophils=0.15, basophils=0.05)
    >>> v.anc_badge.text
    'ANC 1.3 x10^9/L: ✓ no neutropenia'
    >>> v.ctcae[1]
    ('Neutrophil count decreased', 2, 'moderate')
    >>> [(b.analyte, b.status, b.symbol) for b in v.bars][:2]
    [('wbc', 'normal', '✓'), ('neutrophils', 'normal', '✓')]
    """
    values = _merged(CBC_DEFAULTS, values, overrides)
    _check_choice("sex", values["sex"], _SEXES)
    _check_choice("mode", values["mode"], _MODES)
    try:
        cbc = cbc_from_values(values)
        classification = classify(
            cbc,
            population=values["population"],
            age_years=values["age_years"],
            sex=None if values["sex"] == "not_given" else values["sex"],
        )
    except (ValueError, CBCTeachError) as exc:
        return CBCView(values=MappingProxyType(values), error=str(exc), mode=values["mode"])
    c = classification
    ctcae = tuple((CTCAE_LABELS[term], grade, _GRADE_WORDS[grade])
                  for term, grade in c.ctcae.items())
    notes = []
    accounted = sum(getattr(cbc, name) or 0.0 for name in DIFFERENTIAL_CONTROLS)
    if cbc.wbc > 0 and accounted < cbc.wbc * (1 - PERCENT_TOLERANCE / 100) - 1e-9:
        share = 100 * accounted / cbc.wbc
        notes.append(
            f"The differential adds up to {accounted:.2f} of the {cbc.wbc:g} x10^9/L WBC "
            f"({share:.1f} %, not 100 %): some white cells are not accounted for."
        )
    if values["mode"] == "percent":
        notes.append(
            "Reference intervals apply to absolute counts: the same percentage can be normal "
            "with one WBC and low with another (absolute = WBC x percent / 100)."
        )
    return CBCView(
        values=MappingProxyType(values),
        cbc=cbc,
        classification=c,
        wbc_badge=_wbc_badge(c),
        anc_badge=_anc_badge(c),
        ctcae=ctcae,
        bars=_bars(c, values["mode"]),
        findings=tuple(sorted(c.findings, key=_finding_order)),
        remarks=c.remarks,
        population_text=_population_text(c),
        summary=c.summary(),
        explanation=c.explain(),
        mode=values["mode"],
        notes=tuple(notes),
    )


def _finding_order(name: str) -> int:
    return FINDINGS.index(name) if name in FINDINGS else len(FINDINGS)


def _value_text(bar) -> str:
    text = f"{bar.value:.3g} {bar.unit}"
    if bar.percent is not None:
        text += f" ({bar.percent:.3g} %)"
    return text


def _status_word(status: str) -> str:
    return {"low": "LOW", "high": "HIGH", "normal": "normal",
            "not assessed": "not assessed"}.get(status, status)


def counts_table(view: CBCView) -> str:
    """Each count against its reference interval: value, status, and a picture of both."""
    rows = []
    for bar in view.bars:
        fg, _ = COLOURS.get(bar.status, COLOURS["unknown"])
        label = (f"{bar.label} {bar.value:g} {bar.unit}: {_status_word(bar.status)}; "
                 f"reference interval {bar.interval_text}")
        picture = range_bar(bar.value, bar.low, bar.high, bar.axis_max, bar.status, label)
        rows.append(
            f'<tr><td style="{_TD}">{esc(bar.label)}</td>'
            f'<td style="{_TD};text-align:right;white-space:nowrap">{esc(_value_text(bar))}</td>'
            f'<td style="{_TD};color:{fg};font-weight:bold;white-space:nowrap">'
            f"{esc(bar.symbol)} {esc(_status_word(bar.status))}</td>"
            f'<td style="{_TD};line-height:1.1">{picture}'
            f'<span style="display:block;font-size:11px">{esc(bar.interval_text)}</span>'
            "</td></tr>"
        )
    percent = " (% of WBC)" if view.mode == "percent" else ""
    return (
        f'<div style="overflow-x:auto"><table style="{_TABLE}"><thead><tr>'
        f'<th style="{_TH}">Count</th><th style="{_TH}">Value{percent}</th>'
        f'<th style="{_TH}">Status</th>'
        f'<th style="{_TH}">Reference interval (green band)</th></tr></thead>'
        "<tbody>" + "".join(rows) + "</tbody></table></div>"
    )


def ctcae_table(view: CBCView) -> str:
    """The CTCAE v5.0 grades as a small table."""
    if not view.ctcae:
        return "<p>No graded counts.</p>"
    rows = "".join(
        f'<tr><td style="{_TD}">{esc(term)}</td><td style="{_TD};text-align:center">'
        f"<b>grade {grade}</b></td><td style=\"{_TD}\">{esc(word)}</td></tr>"
        for term, grade, word in view.ctcae
    )
    return (
        f'<table style="{_TABLE}"><thead><tr><th style="{_TH}">CTCAE v5.0 term</th>'
        f'<th style="{_TH}">Grade</th><th style="{_TH}">Meaning</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def cbc_status_html(view: CBCView) -> str:
    """The top of the CBC explorer: error (if any), population, the WBC and ANC badges."""
    parts = [f'<div class="cbct-box cbct-status" style="{_BOX}">', error_banner(view.error)]
    if view.classification is not None:
        parts.append(f"<div>Compared with the reference intervals for "
                     f"<b>{esc(view.population_text)}</b>.</div>")
        for b in (view.wbc_badge, view.anc_badge):
            extra = f" <span>{esc(b.detail)}</span>" if b.detail else ""
            parts.append(f"<div>{badge(b.status, b.text)}{extra}</div>")
        findings = ", ".join(f.replace("_", " ") for f in view.findings) or "none"
        parts.append(f"<div><b>Findings:</b> {esc(findings)}</div>")
    parts.append("</div>")
    return "".join(parts)


def cbc_details_html(view: CBCView) -> str:
    """The counts table, the CTCAE grades, remarks and the full explanation."""
    if view.classification is None:
        return ""
    notes = "".join(f"<p><i>Note:</i> {esc(plain_words(n))}</p>"
                    for n in (*view.notes, *view.remarks))
    return (
        f'<div class="cbct-box cbct-details" style="{_BOX}">'
        + counts_table(view)
        + ctcae_table(view)
        + notes
        + '<details><summary style="cursor:pointer">Full explanation with sources</summary>'
        f'<pre style="white-space:pre-wrap;font-size:12px">{esc(plain_words(view.explanation))}</pre>'
        "</details></div>"
    )


def cbc_html(view: CBCView) -> dict[str, str]:
    """The CBC explorer's HTML, by display area (``status`` and ``details``).

    >>> parts = cbc_html(cbc_view(wbc=2.8, neutrophils=0.9, lymphocytes=1.5, monocytes=0.3,
    ...                           eosinophils=0.08, basophils=0.02))
    >>> "▼ LOW" in parts["status"], "MODERATE neutropenia" in parts["status"]
    (True, True)
    """
    return {"status": cbc_status_html(view), "details": cbc_details_html(view)}
