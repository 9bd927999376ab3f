"""HTML for the explorers' displays, built from the view models (pure; no ipywidgets).

Every status is written in words and symbols as well as coloured; styles are inline so the
HTML looks the same in JupyterLab, Notebook 7 and Voila; the text is deterministic.
"""

from __future__ import annotations

import numpy as np

from ..render import COLOURS, TRIAGE_TITLES, badge, banner, cause_html, esc, triage_html
from ._shared import (
    _BOX,
    _TABLE,
    _TD,
    _TH,
    error_banner,
    plain_words,
    section,
)
from ._svg import Series, chart, range_bar
from .population_model import population_html
from .viewmodels import (
    CAUSES_SHOWN,
    CaseView,
    CBCView,
    TimeCourseView,
    severity_bands,
)

__all__ = [
    "badge",
    "banner",
    "case_html",
    "cbc_html",
    "error_banner",
    "plain_words",
    "population_html",
    "section",
    "timecourse_html",
]


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
    parts = [f'<div class="cbct-status" style="{_BOX}">', error_banner(view.error)]
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
        f'<div class="cbct-details" style="{_BOX}">'
        + counts_table(view)
        + ctcae_table(view)
        + notes
        + '<details><summary style="cursor:pointer">Full explanation with sources</summary>'
        f'<pre style="white-space:pre-wrap;font-size:12px">{esc(plain_words(view.explanation))}</pre>'
        "</details></div>"
    )


def cbc_html(view: CBCView) -> dict[str, str]:
    """The CBC explorer's HTML, by display area (``status`` and ``details``).

    >>> from cbc_teach.widgets.viewmodels import cbc_view
    >>> parts = cbc_html(cbc_view(wbc=2.8, neutrophils=0.9, lymphocytes=1.5, monocytes=0.3,
    ...                           eosinophils=0.08, basophils=0.02))
    >>> "▼ LOW" in parts["status"], "MODERATE neutropenia" in parts["status"]
    (True, True)
    """
    return {"status": cbc_status_html(view), "details": cbc_details_html(view)}


#: Fills of the severity bands on the time-course chart (light, so the lines stay readable).
_BAND_FILLS = {"mild": "#fdf0c2", "moderate": "#fbd3b0", "severe": "#f4b4b4"}
_COURSE_COLOURS = {False: "#1f4e99", True: "#b35900"}  # without / with G-CSF
_GCSF_FILL = "#cfe3f7"
_LOG_FLOOR = 0.05


def _runs_below(days: np.ndarray, anc: np.ndarray, level: float) -> list[tuple[float, float]]:
    """The (start, end) days of each stretch with ANC < level."""
    below = np.asarray(anc) < level
    if not below.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], below.astype(int), [0]])))
    return [(float(days[a]), float(days[min(b, len(days) - 1)]))
            for a, b in zip(edges[::2], edges[1::2])]


def _swatch(fill: str, *, line: str = "", dash: str = "") -> str:
    if line:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        return (f'<svg width="26" height="10" aria-hidden="true"><line x1="1" y1="5" x2="25" '
                f'y2="5" stroke="{line}" stroke-width="2.5"{d}/></svg>')
    return (f'<svg width="14" height="10" aria-hidden="true"><rect width="14" height="10" '
            f'fill="{fill}" stroke="#888"/></svg>')


def _y_top(peak: float, log_y: bool) -> float:
    for top in (2, 5, 10, 20, 50, 100) if log_y else (2, 4, 6, 8, 10, 15, 20, 30, 40, 50, 100):
        if peak * 1.05 <= top:
            return float(top)
    return float(peak * 1.1)


def timecourse_chart(view: TimeCourseView) -> str:
    """The ANC over time on the severity bands, with nadir, days in severe neutropenia and
    recovery."""
    course, other = view.course, view.comparison
    log_y = bool(view.values.get("log_scale", True))
    courses = [c for c in (course, other) if c is not None]
    peak = max(float(np.max(c.anc)) for c in courses)
    y_max = _y_top(peak, log_y)
    y_min = _LOG_FLOOR if log_y else 0.0
    bands = [(max(b["lower"], y_min), b["upper"], _BAND_FILLS[b["grade"]])
             for b in severity_bands()]
    spans = [(a, b, _GCSF_FILL) for c in courses if c.gcsf for a, b in c.gcsf_periods]
    series = []
    if other is not None:
        series.append(Series(other.days, other.anc, _COURSE_COLOURS[other.gcsf], dash="6 4",
                             width=1.8))
    series.append(Series(course.days, course.anc, _COURSE_COLOURS[course.gcsf], width=2.6))
    vlines = [(d, "#777777", "") for d in course.dose_days]
    row = next(r for r in view.rows if r.gcsf == course.gcsf)
    if row.recovery_day is not None:
        vlines.append((row.recovery_day, "#1b5e20",
                       f"back to {view.recovery_level:g}: day {row.recovery_day:.1f}"))
    markers = [(row.nadir_day, max(row.nadir_anc, y_min), "#8c1d18",
                f"nadir {row.nadir_anc:.2f}, day {row.nadir_day:.1f}")]
    runs = [(a, b, "#8c1d18")
            for a, b in _runs_below(course.days, course.anc, view.severe_below)]
    label = (f"ANC over {course.days[-1]:g} days, {row.label}: {view.headline} "
             + view.effect)
    return chart(
        series, x_max=float(course.days[-1]), y_min=y_min, y_max=y_max, log_y=log_y,
        label=label, x_label="days after the first dose",
        y_label="ANC, x10^9/L" + (" (log scale)" if log_y else ""),
        bands=bands, spans=spans, vlines=vlines, markers=markers, runs=runs,
    )


def _legend(view: TimeCourseView) -> str:
    course, other = view.course, view.comparison
    items = [
        _swatch("", line=_COURSE_COLOURS[course.gcsf])
        + f" {esc(('with' if course.gcsf else 'without') + ' G-CSF')} (chosen, solid)"
    ]
    if other is not None:
        items.append(_swatch("", line=_COURSE_COLOURS[other.gcsf], dash="6 4")
                     + f" {'with' if other.gcsf else 'without'} G-CSF (for comparison, dashed)")
    for band in reversed(severity_bands()):
        lo = "" if band["lower"] <= 0 or band["lower"] == float("-inf") else f"{band['lower']:g}-"
        rule = f"ANC {lo}{band['upper']:g}" if lo else f"ANC < {band['upper']:g}"
        items.append(_swatch(_BAND_FILLS[band["grade"]]) + f" {esc(band['grade'])} ({rule})")
    if any(c.gcsf and c.gcsf_periods for c in (course, other) if c is not None):
        items.append(_swatch(_GCSF_FILL) + " G-CSF given")
    items.append(_swatch("#8c1d18")
                 + f" days with ANC &lt; {view.severe_below:g} (chosen course)")
    items.append("▼ nadir; green dotted line: recovery; grey dotted lines: doses")
    return ('<div style="display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px">'
            + "".join(f"<span>{item}</span>" for item in items) + "</div>")


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

    >>> from cbc_teach.widgets.viewmodels import timecourse_view
    >>> parts = timecourse_html(timecourse_view())
    >>> parts["plot"].count("<path") >= 3, "◀ chosen" in parts["summary"]
    (True, True)
    """
    if view.course is None:
        return {"strip": "", "summary": f'<div style="{_BOX}">{error_banner(view.error)}</div>',
                "plot": ""}
    course = view.course
    notes = list(course.notes)
    if view.values.get("log_scale", True) and course.nadir_anc < _LOG_FLOOR:
        notes.append(f"The nadir ({course.nadir_anc:.3f}) is below {_LOG_FLOOR:g}, the bottom "
                     "of the log scale; it is drawn at the bottom edge.")
    strip = (f'<div class="cbct-strip-box" style="{_BOX}">'
             + banner("info", view.headline, [view.effect] if view.effect else []) + "</div>")
    summary = (
        f'<div class="cbct-timecourse" style="{_BOX}">' + error_banner(view.error)
        + f"<div><b>{esc(course.label)}</b>, {esc(course.patient)}.</div>"
        + _course_table(view) + "</div>"
    )
    plot = (
        f'<div style="{_BOX}">' + timecourse_chart(view) + _legend(view)
        + "".join(f"<p><i>Note:</i> {esc(n)}</p>" for n in notes)
        + f'<details><summary style="cursor:pointer">Model and sources</summary>'
        f'<p style="font-size:12px">{esc(course.source)}</p></details></div>'
    )
    return {"strip": strip, "summary": summary, "plot": plot}


#: Triage level -> (colour key, title with its symbol).
def case_strip_html(view: CaseView) -> str:
    """The CaseExplorer's result strip: triage, the three likeliest causes and the ANC."""
    if view.classification is None:
        return f'<div style="{_BOX}">{error_banner(view.error)}</div>'
    key, title = TRIAGE_TITLES.get(view.triage.level, ("info", view.triage.level.upper()))
    if view.triage.febrile_neutropenia:
        key, title = "emergency", "⚠ EMERGENCY: FEBRILE NEUTROPENIA"
    top = "; ".join(f"{rank}. {esc(c.name)} <b>{100 * c.probability:.0f} %</b>"
                    for rank, c in enumerate(view.causes[:3], 1))
    return (
        f'<div class="cbct-strip-box" style="{_BOX};padding:4px 0;border-bottom:1px solid #999">'
        f"{error_banner(view.error)}"
        f"<div>{badge(key, 'Triage: ' + title)} {badge(view.anc_badge.status, view.anc_badge.text)}"
        f"</div><div><b>Most likely:</b> {top}</div></div>"
    )


def case_html(view: CaseView, *, loaded: str = "") -> dict[str, str]:
    """The CaseExplorer's HTML: ``triage`` (banner and count), ``causes`` and ``details``.

    ``loaded`` is a line about a loaded simulated case, shown above the triage.

    >>> from cbc_teach.widgets.viewmodels import case_view
    >>> parts = case_html(case_view(neutrophils=0.3, temperature_c=38.6))
    >>> "FEBRILE NEUTROPENIA" in parts["triage"], "1." in parts["causes"]
    (True, True)
    """
    loaded_html = banner("info", loaded) if loaded else ""
    if view.classification is None:
        box = f'<div style="{_BOX}">{loaded_html}{error_banner(view.error)}</div>'
        return {"strip": case_strip_html(view), "triage": box, "causes": "", "details": ""}
    status = [f'<div class="cbct-case" style="{_BOX}">', loaded_html,
              triage_html(view.triage)]
    for b in (view.wbc_badge, view.anc_badge):
        extra = f" <span>{esc(b.detail)}</span>" if b.detail else ""
        status.append(f"<div>{badge(b.status, b.text)}{extra}</div>")
    findings = ", ".join(f.replace("_", " ") for f in sorted(view.classification.findings))
    status.append(f"<div><b>Findings:</b> {esc(findings or 'none')}</div></div>")

    ranked = list(enumerate(view.causes, 1))
    shown = [(rank, c) for rank, c in ranked[:CAUSES_SHOWN]
             if rank <= 3 or c.probability >= 0.005]
    rest = ranked[len(shown):]
    blocks = "".join(cause_html(rank, c, open_=rank <= 3) for rank, c in shown)
    others = ""
    if rest:
        cells = "".join(
            f'<tr><td style="{_TD}">{rank}</td><td style="{_TD}">{esc(c.name)}</td>'
            f'<td style="{_TD};text-align:right">{100 * c.probability:.2f} %</td></tr>'
            for rank, c in rest
        )
        others = (f'<details><summary style="cursor:pointer">The other {len(rest)} causes'
                  f'</summary><table style="{_TABLE}">{cells}</table></details>')
    causes = (
        f'<div class="cbct-causes" style="{_BOX}"><div style="font-weight:bold;font-size:14px">'
        "Likely causes, most likely first</div>" + blocks + others + "</div>"
    )
    tests = "".join(
        f"<li>{esc(test)} <span style=\"color:#555\">(for: {esc(', '.join(names))})</span></li>"
        for test, names in view.next_tests
    )
    history = view.history.lines() if view.history is not None else []
    details = (
        f'<div class="cbct-case-details" style="{_BOX}">'
        + section("Next tests (for the three likeliest causes)",
                  f'<ol style="margin:2px 0;padding-left:22px">{tests}</ol>' if tests
                  else "<p>None.</p>")
        + section("The history as entered",
                  "".join(f"<div>{esc(line)}</div>" for line in history) or "<div>None.</div>")
        + "".join(f"<p><i>Note:</i> {esc(plain_words(r))}</p>" for r in view.remarks)
        + "<p style=\"font-size:11px;color:#555\">A teaching model (naive Bayes over a "
        "knowledge base with sources), not medical advice.</p></div>"
    )
    return {"strip": case_strip_html(view), "triage": "".join(status), "causes": causes,
            "details": details}
