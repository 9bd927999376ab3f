"""HTML for the explorers' displays, built from the view models (pure; no ipywidgets).

Every status is written in words and symbols as well as coloured; styles are inline so the
HTML looks the same in JupyterLab, Notebook 7 and Voila; the text is deterministic.
"""

from __future__ import annotations

from ..render import TRIAGE_TITLES, badge, banner, cause_html, esc, triage_html
from ._shared import (
    _BOX,
    _TABLE,
    _TD,
    error_banner,
    plain_words,
    section,
)
from .cbc_model import (
    cbc_details_html,
    cbc_html,
    cbc_status_html,
    counts_table,
    ctcae_table,
)
from .population_model import population_html
from .timecourse_model import (
    timecourse_chart,
    timecourse_html,
)
from .viewmodels import (
    CAUSES_SHOWN,
    CaseView,
)

__all__ = [
    "badge",
    "banner",
    "case_html",
    "cbc_details_html",
    "cbc_html",
    "cbc_status_html",
    "counts_table",
    "ctcae_table",
    "error_banner",
    "plain_words",
    "population_html",
    "section",
    "timecourse_chart",
    "timecourse_html",
]


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
