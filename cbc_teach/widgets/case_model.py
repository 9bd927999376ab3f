"""The case explorer's view model and HTML (pure; no ipywidgets, no matplotlib).

:func:`case_view` turns the controls' values (a count and a history) into a :class:`CaseView`;
:func:`case_html` turns that into the HTML that :class:`~cbc_teach.widgets.CaseExplorer` shows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..cbc import CBC
from ..classify import Classification, classify
from ..errors import CBCTeachError, InvalidParameterError
from ..reference import adult_age
from ..render import TRIAGE_TITLES, badge, banner, cause_html, esc, triage_html
from ._shared import (
    _BOX,
    _TABLE,
    _TD,
    Badge,
    _check_choice,
    _merged,
    error_banner,
    plain_words,
    section,
)
from .cbc_model import (
    _SEXES,
    CBC_DEFAULTS,
    DIFFERENTIAL_CONTROLS,
    _anc_badge,
    _wbc_badge,
    cbc_from_values,
)

__all__ = [
    "CASE_DEFAULTS",
    "CAUSES_SHOWN",
    "CaseView",
    "HISTORY_FIELDS",
    "case_html",
    "case_strip_html",
    "case_view",
    "history_from_values",
    "simulated_case_values",
]


#: The CaseExplorer's starting values: the healthy adult of :data:`CBC_DEFAULTS` with an empty
#: history. ``temperature_c`` is used only when ``temperature_measured`` is True (an
#: unmeasured temperature is not the same evidence as a normal one);
#: ``days_since_chemotherapy`` only when "chemotherapy" is among the exposures;
#: ``fever_hours`` 0 means "not known".
CASE_DEFAULTS: Mapping[str, Any] = MappingProxyType({
    **{name: value for name, value in CBC_DEFAULTS.items() if name != "mode"},
    "conditions": (),
    "medications": (),
    "exposures": (),
    "symptoms": (),
    "temperature_measured": False,
    "temperature_c": 36.8,
    "fever_hours": 0.0,
    "days_since_chemotherapy": 10,
    "duffy_null": "not_tested",
})
HISTORY_FIELDS = ("conditions", "medications", "exposures", "symptoms")
_DUFFY = {"not_tested": None, "null": True, "positive": False}
#: How many causes are drawn as bars (the rest are listed in a table underneath).
CAUSES_SHOWN = 8


@dataclass(frozen=True, eq=False)
class CaseView:
    """What the CaseExplorer shows; ``causes`` is the ``likely_causes`` list and ``triage``
    the :class:`~cbc_teach.triage.Triage`."""

    values: Mapping[str, Any]
    cbc: CBC | None = None
    history: Any = None
    classification: Classification | None = None
    causes: Any = None
    triage: Any = None
    error: str | None = None
    wbc_badge: Badge | None = None
    anc_badge: Badge | None = None
    rows: tuple[Any, ...] = ()  # the ranked CauseScore objects (the same as ``causes``)
    next_tests: tuple[tuple[str, tuple[str, ...]], ...] = ()
    remarks: tuple[str, ...] = ()

    def with_error(self, message: str) -> CaseView:
        """The same results with an error message added."""
        return dataclasses.replace(self, error=message)


def history_from_values(values: Mapping[str, Any]) -> Any:
    """The :class:`~cbc_teach.History` that the CaseExplorer's control values describe.

    >>> h = history_from_values({**CASE_DEFAULTS, "exposures": ("chemotherapy",),
    ...                          "days_since_chemotherapy": 9, "temperature_measured": True,
    ...                          "temperature_c": 38.5})
    >>> h.days_since_chemotherapy, h.temperature_c, h.fever_hours
    (9.0, 38.5, None)
    """
    from ..history import History

    _check_choice("duffy_null", values["duffy_null"], tuple(_DUFFY))
    _check_choice("sex", values["sex"], _SEXES)
    exposures = tuple(values["exposures"])
    chemo = "chemotherapy" in exposures
    return History(
        age_years=values["age_years"],
        sex=None if values["sex"] == "not_given" else values["sex"],
        conditions=tuple(values["conditions"]),
        medications=tuple(values["medications"]),
        exposures=exposures,
        symptoms=tuple(values["symptoms"]),
        temperature_c=values["temperature_c"] if values["temperature_measured"] else None,
        fever_hours=values["fever_hours"] or None,
        days_since_chemotherapy=values["days_since_chemotherapy"] if chemo else None,
        duffy_null=_DUFFY[values["duffy_null"]],
    )


def simulated_case_values(cause_id: str, seed: int | None = None) -> dict[str, Any]:
    """The CaseExplorer's control values for ``cbc_teach.simulate.case(cause_id, seed=seed)``.

    The inverse of :func:`history_from_values`: what "Load the case" puts in the controls.

    >>> v = simulated_case_values("chemotherapy", 1)
    >>> "chemotherapy" in v["exposures"], v["red_cells_and_platelets"]
    (True, True)
    """
    from ..simulate import case

    cbc, history = case(cause_id, seed=seed)
    values: dict[str, Any] = {name: getattr(cbc, name) or 0.0
                              for name in ("wbc", *DIFFERENTIAL_CONTROLS)}
    other = {name: getattr(cbc, name) for name in ("hemoglobin", "mcv", "platelets")}
    values["red_cells_and_platelets"] = any(v is not None for v in other.values())
    values.update({name: v for name, v in other.items() if v is not None})
    if history.age_years is not None:
        values["age_years"] = history.age_years
        values["population"] = "child" if history.age_years < adult_age() else "adult"
    values["sex"] = "not_given" if history.sex is None else history.sex
    for name in HISTORY_FIELDS:
        values[name] = tuple(getattr(history, name))
    values["temperature_measured"] = history.temperature_c is not None
    values["temperature_c"] = (history.temperature_c if history.temperature_c is not None
                               else CASE_DEFAULTS["temperature_c"])
    values["fever_hours"] = history.fever_hours or 0.0
    if history.days_since_chemotherapy is not None:
        values["days_since_chemotherapy"] = round(history.days_since_chemotherapy)
    values["duffy_null"] = {value: key for key, value in _DUFFY.items()}[history.duffy_null]
    return values


def _next_tests(causes: Any, top: int = 3) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The next tests of the ``top`` likeliest causes, each with the causes it helps settle."""
    order: dict[str, list[str]] = {}
    for cause in causes[:top]:
        if cause.probability < 0.01:
            continue
        for test in cause.next_tests:
            order.setdefault(test, []).append(cause.name)
    return tuple((test, tuple(names)) for test, names in order.items())


def case_view(values: Mapping[str, Any] | None = None, /, **overrides: Any) -> CaseView:
    """The CaseExplorer's view model: the count and history, ranked causes, tests, triage.

    History terms are canonical (see :func:`cbc_teach.vocabulary`); synonyms are accepted.
    Giving ``temperature_c`` implies ``temperature_measured=True`` unless that is given too.

    >>> v = case_view(wbc=1.2, neutrophils=0.3, lymphocytes=0.7, monocytes=0.15,
    ...               eosinophils=0.03, basophils=0.02, temperature_c=38.6,
    ...               exposures=("chemotherapy",), days_since_chemotherapy=9)
    >>> v.triage.level, v.triage.febrile_neutropenia, v.rows[0].id
    ('emergency', True, 'chemotherapy')
    """
    from ..causes import likely_causes
    from ..triage import triage

    given = {*(values or {}), *overrides}
    values = _merged(CASE_DEFAULTS, values, overrides)
    if "temperature_c" in given and "temperature_measured" not in given:
        values["temperature_measured"] = True  # a temperature given is a temperature measured
    if not isinstance(values["temperature_measured"], bool):
        raise InvalidParameterError("The 'temperature_measured' control must be True or False; "
                                    f"got {values['temperature_measured']!r}.")
    for name in HISTORY_FIELDS:
        if isinstance(values[name], str):
            values[name] = (values[name],)
        values[name] = tuple(values[name])
    _check_choice("duffy_null", values["duffy_null"], tuple(_DUFFY))
    _check_choice("sex", values["sex"], _SEXES)
    try:
        cbc = cbc_from_values({**values, "mode": "absolute"})
        history = history_from_values(values)
        population = values["population"]
        sex = None if values["sex"] == "not_given" else values["sex"]
        classification = classify(cbc, population=population, age_years=values["age_years"],
                                  sex=sex)
        causes = likely_causes(cbc, history, population=population)
        result = triage(cbc, history, population=population)
    except (ValueError, CBCTeachError) as exc:
        return CaseView(values=MappingProxyType(values), error=str(exc))
    rows = tuple(causes)
    remarks = tuple(dict.fromkeys((*getattr(causes, "remarks", ()), *classification.remarks)))
    return CaseView(
        values=MappingProxyType(values), cbc=cbc, history=history,
        classification=classification, causes=causes, triage=result,
        wbc_badge=_wbc_badge(classification), anc_badge=_anc_badge(classification),
        rows=rows, next_tests=_next_tests(causes), remarks=remarks,
    )


#: Triage level -> (colour key, title with its symbol).
def case_strip_html(view: CaseView) -> str:
    """The CaseExplorer's result strip: triage, the three likeliest causes and the ANC."""
    if view.classification is None:
        return f'<div class="cbct-box" style="{_BOX}">{error_banner(view.error)}</div>'
    key, title = TRIAGE_TITLES.get(view.triage.level, ("info", view.triage.level.upper()))
    if view.triage.febrile_neutropenia:
        key, title = "emergency", "⚠ EMERGENCY: FEBRILE NEUTROPENIA"
    top = "; ".join(f"{rank}. {esc(c.name)} <b>{100 * c.probability:.0f} %</b>"
                    for rank, c in enumerate(view.causes[:3], 1))
    return (
        f'<div class="cbct-box cbct-strip-box" style="{_BOX};padding:4px 0;border-bottom:1px solid #999">'
        f"{error_banner(view.error)}"
        f"<div>{badge(key, 'Triage: ' + title)} {badge(view.anc_badge.status, view.anc_badge.text)}"
        f"</div><div><b>Most likely:</b> {top}</div></div>"
    )


def case_html(view: CaseView, *, loaded: str = "") -> dict[str, str]:
    """The CaseExplorer's HTML: ``triage`` (banner and count), ``causes`` and ``details``.

    ``loaded`` is a line about a loaded simulated case, shown above the triage.

    >>> parts = case_html(case_view(neutrophils=0.3, temperature_c=38.6))
    >>> "FEBRILE NEUTROPENIA" in parts["triage"], "1." in parts["causes"]
    (True, True)
    """
    loaded_html = banner("info", loaded) if loaded else ""
    if view.classification is None:
        box = f'<div class="cbct-box" style="{_BOX}">{loaded_html}{error_banner(view.error)}</div>'
        return {"strip": case_strip_html(view), "triage": box, "causes": "", "details": ""}
    status = [f'<div class="cbct-box cbct-case" style="{_BOX}">', loaded_html,
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
        f'<div class="cbct-box cbct-causes" style="{_BOX}"><div style="font-weight:bold;font-size:14px">'
        "Likely causes, most likely first</div>" + blocks + others + "</div>"
    )
    tests = "".join(
        f"<li>{esc(test)} <span style=\"color:#555\">(for: {esc(', '.join(names))})</span></li>"
        for test, names in view.next_tests
    )
    history = view.history.lines() if view.history is not None else []
    details = (
        f'<div class="cbct-box cbct-case-details" style="{_BOX}">'
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
