"""HTML for the toolkit's results, one renderer per domain object (pure; no ipywidgets).

Both the results' own ``_repr_html_`` (what a notebook shows for ``triage(...)``) and the
explorers use these functions, so a triage or a cause looks the same wherever it appears.
Every status is written in words and a symbol as well as coloured; styles are inline (the same
in JupyterLab, Notebook 7 and Voila); classes share one prefix, ``cbct-``; the text is
deterministic.

>>> from cbc_teach import CBC, History, triage
>>> "URGENT" in triage_html(triage(CBC(2.0, neutrophils=0.3), History()))
True
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

__all__ = ["BOX_STYLE", "COLOURS", "TRIAGE_TITLES", "badge", "banner", "box", "cause_html", "esc",
           "figure_html",
           "triage_html"]

#: Colours by status. Each pairs a dark text/marker colour with a light fill; every pair has a
#: contrast ratio above 4.5:1 (WCAG AA). Colour is always doubled by a word or a symbol.
COLOURS = {
    "low": ("#8c1d18", "#fde7e9"),
    "severe": ("#ffffff", "#8c1d18"),
    "moderate": ("#8c1d18", "#fbd0d3"),
    "mild": ("#7a4100", "#fff1d6"),
    "high": ("#7a4100", "#fff1d6"),
    "normal": ("#1b5e20", "#e6f4ea"),
    "none": ("#1b5e20", "#e6f4ea"),
    "not assessed": ("#424242", "#eeeeee"),
    "unknown": ("#424242", "#eeeeee"),
    "emergency": ("#ffffff", "#8c1d18"),
    "urgent": ("#5c2a00", "#ffd8a8"),
    "routine": ("#0d3c61", "#e3f0fb"),
    "info": ("#0d3c61", "#e3f0fb"),
    "error": ("#5c2a00", "#fff4e5"),
}
#: The text style of every block the toolkit draws (explorers, self-checks, exercise variants):
#: inline, so it is the same in JupyterLab, Notebook 7, Voila and a static HTML export.
BOX_STYLE = "font-family:sans-serif;font-size:13px;line-height:1.45;max-width:760px"
#: The triage levels as shown: (colour key, symbol and word).
TRIAGE_TITLES = {
    "emergency": ("emergency", "⚠ EMERGENCY"),
    "urgent": ("urgent", "! URGENT"),
    "routine": ("routine", "● ROUTINE"),
    "none": ("none", "✓ NONE: NO ACTION NEEDED"),
}


def esc(text: object) -> str:
    """HTML-escape any value's text.

    >>> esc("<b> & 'x'")
    '&lt;b&gt; &amp; &#x27;x&#x27;'
    """
    return html.escape(str(text), quote=True)


def box(body: str, kind: str) -> str:
    """A block of the toolkit's HTML: the shared ``cbct-box`` class and style, plus
    ``cbct-<kind>`` to name what it holds.

    >>> box("<p>Hi</p>", "exercise")  # doctest: +ELLIPSIS
    '<div class="cbct-box cbct-exercise" style="font-family:sans-serif;...<p>Hi</p></div>'
    """
    return f'<div class="cbct-box cbct-{esc(kind)}" style="{BOX_STYLE}">{body}</div>'


def badge(status: str, text: str) -> str:
    """A status badge: the text (with its symbol) on the status colour, with a border."""
    fg, bg = COLOURS.get(status, COLOURS["unknown"])
    border = bg if fg == "#ffffff" else fg
    return (
        f'<span class="cbct-badge cbct-{esc(status.replace(" ", "-"))}" style="display:inline-block;'
        f"padding:2px 8px;margin:2px 0;border-radius:4px;border:2px solid {border};"
        f'background:{bg};color:{fg};font-weight:bold">{esc(text)}</span>'
    )


def banner(status: str, title: str, lines: Iterable[str] = (), *, alert: bool = False) -> str:
    """A full-width box with a bold title and a list of lines (``alert`` for screen readers)."""
    fg, bg = COLOURS.get(status, COLOURS["info"])
    border = bg if fg == "#ffffff" else fg
    role = ' role="alert"' if alert else ""
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    listed = f'<ul style="margin:4px 0 0 0;padding-left:20px">{items}</ul>' if items else ""
    return (
        f'<div class="cbct-banner cbct-{esc(status)}"{role} style="padding:6px 10px;margin:4px 0;'
        f"border:3px solid {border};border-radius:6px;background:{bg};color:{fg}\">"
        f"<b>{esc(title)}</b>{listed}</div>"
    )


def triage_html(result: Any, *, sources: bool = False) -> str:
    """A :class:`~cbc_teach.triage.Triage` as a banner; febrile neutropenia is big and bold.

    The reasons and the advice for the patient are listed; ``sources`` adds the sources.
    """
    key, title = TRIAGE_TITLES.get(result.level, ("info", result.level.upper()))
    lines = list(result.reasons)
    advice = getattr(result, "patient_advice", "")
    if advice:
        lines.append(f"For the patient: {advice}")
    source_html = ""
    if sources and getattr(result, "sources", ()):
        source_html = (f'<div style="font-size:smaller">Sources: '
                       f'{esc("; ".join(result.sources))}</div>')
    if result.febrile_neutropenia:
        fg, bg = COLOURS["emergency"]
        items = "".join(f"<li>{esc(line)}</li>" for line in lines)
        return (
            f'<div class="cbct-banner cbct-febrile-neutropenia" role="alert" '
            f'style="padding:8px 12px;margin:4px 0;border:5px double {fg};border-radius:6px;'
            f'background:{bg};color:{fg}"><div style="font-size:17px;font-weight:bold">'
            "⚠ EMERGENCY: FEBRILE NEUTROPENIA</div>"
            f'<ul style="margin:4px 0 0 0;padding-left:20px">{items}</ul>{source_html}</div>'
        )
    return banner(key, f"Triage: {title}", lines, alert=result.level == "emergency") + source_html


def cause_html(rank: int, cause: Any, *, open_: bool = False) -> str:
    """One ranked :class:`~cbc_teach.causes.CauseScore`: name, a bar with its probability,
    and (behind a disclosure) the reasons for and against and the next tests."""
    width = max(0.0, min(100.0, 100 * cause.probability))
    reasons = "".join(f"<li>✓ for: {esc(w)}</li>" for w in cause.why)
    reasons += "".join(f"<li>✗ against: {esc(a)}</li>" for a in cause.against)
    if not reasons:
        reasons = "<li>No finding for or against: its share comes from the prior alone.</li>"
    tests = "; ".join(cause.next_tests) or "none listed"
    note = f"<div><i>{esc(cause.note)}</i></div>" if getattr(cause, "note", "") else ""
    opened = " open" if open_ else ""
    return (
        '<div class="cbct-cause" style="margin:6px 0;padding:2px 8px;'
        'border-left:4px solid #2f5d9e">'
        f"<div><b>{rank}. {esc(cause.name)}</b> "
        f'<span style="color:#555">({esc(cause.category)})</span></div>'
        '<div style="display:flex;align-items:center;gap:8px">'
        '<div aria-hidden="true" style="background:#e8eef7;width:240px;height:12px;'
        f'border:1px solid #9fb3d1"><div style="background:#2f5d9e;width:{width:.1f}%;'
        f'height:100%"></div></div><b>{100 * cause.probability:.1f} %</b></div>'
        f'<details{opened}><summary style="cursor:pointer">Reasons '
        f"({len(cause.why)} for, {len(cause.against)} against) and next tests</summary>"
        f'<ul style="margin:2px 0;padding-left:20px">{reasons}</ul>'
        f"<div><b>Next tests:</b> {esc(tests)}</div>{note}</details></div>"
    )


def image_html(png: bytes, alt: str, *, css_class: str = "cbct-figure") -> str:
    """PNG bytes as an ``<img>`` with a text alternative (read by screen readers).

    >>> image_html(b"PNG", "A segmented neutrophil")
    '<img class="cbct-figure" alt="A segmented neutrophil" style="max-width:100%" src="data:image/png;base64,UE5H">'
    """
    import base64

    if not isinstance(alt, str) or not alt.strip():
        from .errors import InvalidParameterError

        raise InvalidParameterError(f"A picture needs a text alternative ('alt'); got {alt!r}.")
    data = base64.b64encode(png).decode("ascii")
    return (f'<img class="{esc(css_class)}" alt="{esc(alt.strip())}" style="max-width:100%" '
            f'src="data:image/png;base64,{data}">')


def figure_html(fig: Any, alt: str) -> str:
    """A matplotlib figure as an ``<img>`` with a text alternative (see :func:`image_html`).

    ``alt`` says what the figure shows in words. The PNG carries no software stamp, so the
    same figure gives the same bytes.

    >>> class Fake:  # anything with matplotlib's savefig
    ...     def savefig(self, buffer, **kwargs): buffer.write(b"PNG")
    >>> figure_html(Fake(), "Two bars")
    '<img class="cbct-figure" alt="Two bars" style="max-width:100%" src="data:image/png;base64,UE5H">'
    """
    import io

    if not isinstance(alt, str) or not alt.strip():
        from .errors import InvalidParameterError

        raise InvalidParameterError(f"A figure needs a text alternative ('alt'); got {alt!r}.")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return image_html(buffer.getvalue(), alt)
