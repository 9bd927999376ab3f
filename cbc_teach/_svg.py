"""Small, deterministic SVG drawings for the explorers (no plotting library needed).

Inline SVG inside an ipywidgets ``HTML`` widget renders in JupyterLab, Notebook 7 and Voila,
updates in well under a millisecond, carries its own text (axis labels, a ``<title>`` for
screen readers) and gives the same bytes for the same input, which keeps notebooks stable.
Coordinates are rounded to 0.1 px.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .render import COLOURS, esc

__all__ = [
    "COLOURS", "LogScale", "Scale", "Series", "chart", "histogram", "log_ticks", "nice_ticks",
    "range_bar", "svg_document",
]

def _n(x: float) -> str:
    """A coordinate rounded to 0.1 px, without a trailing .0."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Scale:
    """A linear map from data values [lo, hi] to pixels [start, end] (end < start flips)."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, x: float) -> float:
        span = self.hi - self.lo or 1.0
        x = min(max(x, self.lo), self.hi)
        return self.start + (x - self.lo) / span * (self.end - self.start)

    def many(self, x: np.ndarray) -> np.ndarray:
        """The pixel of every value of an array at once."""
        span = self.hi - self.lo or 1.0
        return self.start + (np.clip(x, self.lo, self.hi) - self.lo) / span * (self.end - self.start)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (about ``count`` of them).

    >>> nice_ticks(0, 8)
    [0.0, 2.0, 4.0, 6.0, 8.0]
    """
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    x = first
    while x <= hi + 1e-9 * step:
        ticks.append(round(x, 10) + 0.0)
        x += step
    return ticks


def svg_document(width: int, height: int, label: str, body: Sequence[str], *,
                 fluid: bool = True) -> str:
    """Wrap drawing elements in an ``<svg>`` with an accessible name (role img, title).

    A ``fluid`` drawing shrinks with a narrow output area; a fixed one keeps its size.
    """
    size = "max-width:100%;height:auto" if fluid else f"min-width:{width}px"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}" '
        f'style="font-family:sans-serif;font-size:11px;{size}">'
        f"<title>{esc(label)}</title>" + "".join(body) + "</svg>"
    )


def range_bar(value: float, low: float | None, high: float | None, axis_max: float,
              status: str, label: str, *, width: int = 180, height: int = 30) -> str:
    """A count on its reference interval: a grey scale from 0, the interval as a green band,
    the value as a marker in the status colour, and the scale's ends written underneath.

    >>> svg = range_bar(2.8, 3.5, 11.0, 20.0, "low", "WBC 2.8, interval 3.5-11")
    >>> svg.startswith("<svg") and "WBC 2.8, interval 3.5-11" in svg
    True
    """
    pad = 6
    x = Scale(0.0, axis_max, pad, width - pad)
    y = 9
    dark, _ = COLOURS.get(status, COLOURS["unknown"])
    body = [
        f'<rect x="{pad}" y="{y - 3}" width="{width - 2 * pad}" height="6" rx="3" '
        'fill="#d9d9d9"/>'
    ]
    if low is not None or high is not None:
        x0 = x(low if low is not None else 0.0)
        x1 = x(high) if high is not None else width - pad
        body.append(
            f'<rect x="{_n(x0)}" y="{y - 5}" width="{_n(max(x1 - x0, 1.5))}" height="10" '
            'fill="#a5d6a7" stroke="#1b5e20" stroke-width="1"/>'
        )
        if high is None:  # open-ended interval: an arrow at the right end
            body.append(
                f'<path d="M{width - pad} {y - 5} l5 5 l-5 5 z" fill="#1b5e20"/>'
            )
    xv = x(value)
    body.append(f'<line x1="{_n(xv)}" y1="{y - 8}" x2="{_n(xv)}" y2="{y + 8}" '
                f'stroke="{dark}" stroke-width="2.5"/>')
    body.append(f'<circle cx="{_n(xv)}" cy="{y}" r="4" fill="{dark}" stroke="#ffffff"/>')
    body.append(f'<text x="{pad}" y="{height - 2}" fill="#555">0</text>')
    body.append(
        f'<text x="{width - pad}" y="{height - 2}" text-anchor="end" fill="#555">'
        f"{axis_max:g}</text>"
    )
    return svg_document(width, height, label, body, fluid=False)


def histogram(counts: Sequence[int], edges: Sequence[float], cut: float, label: str, *,
              width: int = 520, height: int = 92, note: str = "") -> str:
    """A histogram with a vertical cut-off line; bars left of the cut-off are dark and hatched.

    ``counts[i]`` people lie between ``edges[i]`` and ``edges[i + 1]``; the tallest bar fills
    the panel. The cut-off is labelled with its value, and ``note`` is written at the top right.

    >>> svg = histogram([1, 4, 2], [0, 1, 2, 3], 1.5, "ANC of 7 people", note="3 below")
    >>> "cut-off 1.5" in svg and svg.count("<rect") == 4
    True
    """
    left, right, top, bottom = 8, 8, 16, 18
    x = Scale(edges[0], edges[-1], left, width - right)
    peak = max(max(counts), 1)
    y = Scale(0, peak, height - bottom, top)
    body = [
        '<defs><pattern id="cbct-hatch" width="4" height="4" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="4" height="4" fill="#c62828"/>'
        '<line x1="0" y1="0" x2="0" y2="4" stroke="#5d0f0b" stroke-width="2"/></pattern></defs>'
    ]
    for count, lo, hi in zip(counts, edges[:-1], edges[1:]):
        if count <= 0:
            continue
        below = (lo + hi) / 2 < cut
        fill = "url(#cbct-hatch)" if below else "#90a4ae"
        x0, x1 = x(lo), x(hi)
        body.append(
            f'<rect x="{_n(x0)}" y="{_n(y(count))}" width="{_n(max(x1 - x0 - 0.6, 0.6))}" '
            f'height="{_n(y(0) - y(count))}" fill="{fill}"/>'
        )
    base = y(0)
    body.append(f'<line x1="{left}" y1="{_n(base)}" x2="{width - right}" y2="{_n(base)}" '
                'stroke="#555"/>')
    for tick in nice_ticks(edges[0], edges[-1], 9):
        xt = x(tick)
        body.append(f'<line x1="{_n(xt)}" y1="{_n(base)}" x2="{_n(xt)}" y2="{_n(base + 3)}" '
                    'stroke="#555"/>')
        body.append(f'<text x="{_n(xt)}" y="{height - 4}" text-anchor="middle" fill="#333">'
                    f"{tick:g}</text>")
    xc = x(cut)
    body.append(f'<line x1="{_n(xc)}" y1="{top - 4}" x2="{_n(xc)}" y2="{_n(base)}" '
                'stroke="#000" stroke-width="2" stroke-dasharray="5 3"/>')
    anchor = "end" if xc > width * 0.6 else "start"
    dx = -4 if anchor == "end" else 4
    body.append(f'<text x="{_n(xc + dx)}" y="{top - 4}" text-anchor="{anchor}" '
                f'font-weight="bold" fill="#000">cut-off {cut:g}</text>')
    if note:
        body.append(f'<text x="{width - right}" y="{top - 4}" text-anchor="end" fill="#000">'
                    f"{esc(note)}</text>")
    return svg_document(width, height, label, body)


@dataclass(frozen=True)
class LogScale:
    """A log10 map from data values [lo, hi] to pixels [start, end]; values below lo sit at lo."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, x: float) -> float:
        x = min(max(x, self.lo), self.hi)
        frac = (math.log10(x) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        return self.start + frac * (self.end - self.start)

    def many(self, x: np.ndarray) -> np.ndarray:
        """The pixel of every value of an array at once."""
        lo, hi = math.log10(self.lo), math.log10(self.hi)
        frac = (np.log10(np.clip(x, self.lo, self.hi)) - lo) / (hi - lo)
        return self.start + frac * (self.end - self.start)


def log_ticks(lo: float, hi: float, extra: Sequence[float] = ()) -> list[float]:
    """Ticks 1-2-5 per decade between lo and hi, plus the ``extra`` values (e.g. thresholds).

    >>> log_ticks(0.05, 30, extra=(1.5,))
    [0.05, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 5.0, 10.0, 20.0]
    """
    ticks = {round(x, 10) for x in extra if lo - 1e-12 <= x <= hi + 1e-12}
    for exponent in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            t = round(m * 10 ** exponent, 10)
            if lo - 1e-12 <= t <= hi + 1e-12:
                ticks.add(t)
    return sorted(float(t) for t in ticks)


@dataclass(frozen=True)
class Series:
    """A line on a chart: x and y values, colour, dash pattern ("" for solid), width, name."""

    x: Sequence[float]
    y: Sequence[float]
    colour: str
    dash: str = ""
    width: float = 2.0
    name: str = ""


def _decimate(x: np.ndarray, y: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ~2 points per bucket (the lowest and highest, in order): the same drawing.

    >>> xs, ys = _decimate(np.arange(10.0), np.array([5, 1, 4, 9, 2, 3, 8, 0, 7, 6.0]), 2)
    >>> xs.tolist(), ys.tolist()
    ([1.0, 3.0, 6.0, 7.0, 9.0], [1.0, 9.0, 8.0, 0.0, 6.0])
    """
    n = len(x)
    if n <= 2 * buckets:
        return x, y
    bucket = (np.arange(n) * buckets) // n
    order = np.lexsort((y, bucket))  # by bucket, then by value: each bucket's min first, max last
    firsts = np.flatnonzero(np.diff(bucket[order], prepend=-1))
    lasts = np.append(firsts[1:], n) - 1
    keep = np.unique(np.concatenate([order[firsts], order[lasts], [n - 1]]))
    return x[keep], y[keep]


def _path(xs: np.ndarray, ys: np.ndarray) -> str:
    """An SVG path through pixel coordinates, each rounded to 0.1 px (no trailing .0)."""
    cx, cy = np.round(xs, 1) + 0.0, np.round(ys, 1) + 0.0
    return "M" + " L".join(f"{a:g} {b:g}" for a, b in zip(cx.tolist(), cy.tolist()))


def chart(series: Sequence[Series], *, x_max: float, y_min: float, y_max: float, log_y: bool,
          label: str, x_label: str, y_label: str,
          bands: Sequence[tuple[float, float, str]] = (),
          spans: Sequence[tuple[float, float, str]] = (),
          vlines: Sequence[tuple[float, str, str]] = (),
          markers: Sequence[tuple[float, float, str, str]] = (),
          runs: Sequence[tuple[float, float, str]] = (),
          y_ticks: Sequence[float] = (),
          width: int = 640, height: int = 300) -> str:
    """A line chart over time with horizontal bands, shaded x-spans, vertical lines and markers.

    ``bands``: (y0, y1, fill); ``spans``: (x0, x1, fill); ``vlines``: (x, colour, text);
    ``markers``: (x, y, colour, text) drawn as a downward triangle; ``runs``: (x0, x1, colour)
    drawn as a thick bar just under the x axis (e.g. the days with ANC < 0.5); ``y_ticks``:
    values to tick on the y axis besides the round ones (e.g. thresholds). A series with a
    ``name`` is labelled at its right end, so that colour is not the only way to tell the
    lines apart.

    >>> svg = chart([Series([0, 1, 2], [5, 1, 4], "#000")], x_max=2, y_min=0.1, y_max=10,
    ...             log_y=True, label="ANC", x_label="day", y_label="ANC")
    >>> svg.count("<path") == 1 and 'role="img"' in svg
    True
    """
    named = [s for s in series if s.name]
    left, right, top, bottom = 48, 12 + (7 * max((len(s.name) for s in named), default=0)), 12, 46
    x = Scale(0.0, x_max, left, width - right)
    y = (LogScale if log_y else Scale)(y_min, y_max, height - bottom, top)
    plot_bottom = height - bottom
    body = []
    for y0, y1, fill in bands:
        a, b = y(max(y0, y_min)), y(min(y1, y_max))
        body.append(f'<rect x="{left}" y="{_n(b)}" width="{width - left - right}" '
                    f'height="{_n(max(a - b, 0))}" fill="{fill}"/>')
    for x0, x1, fill in spans:
        body.append(f'<rect x="{_n(x(x0))}" y="{top}" width="{_n(max(x(x1) - x(x0), 1))}" '
                    f'height="{plot_bottom - top}" fill="{fill}" fill-opacity="0.55"/>')
    ticks = log_ticks(y_min, y_max, y_ticks) if log_y else nice_ticks(y_min, y_max, 6)
    for t in ticks:
        yt = y(t)
        body.append(f'<line x1="{left}" y1="{_n(yt)}" x2="{width - right}" y2="{_n(yt)}" '
                    'stroke="#000" stroke-opacity="0.12"/>')
        if t not in y_ticks and any(abs(y(e) - yt) < 11 for e in y_ticks if e in ticks):
            continue  # a round tick's number would overlap a threshold's: the threshold wins
        body.append(f'<text x="{left - 4}" y="{_n(yt + 4)}" text-anchor="end" fill="#333">'
                    f"{t:g}</text>")
    for t in nice_ticks(0, x_max, 8):
        xt = x(t)
        body.append(f'<line x1="{_n(xt)}" y1="{plot_bottom}" x2="{_n(xt)}" '
                    f'y2="{plot_bottom + 4}" stroke="#333"/>')
        body.append(f'<text x="{_n(xt)}" y="{plot_bottom + 16}" text-anchor="middle" '
                    f'fill="#333">{t:g}</text>')
    body.append(f'<rect x="{left}" y="{top}" width="{width - left - right}" '
                f'height="{plot_bottom - top}" fill="none" stroke="#555"/>')
    for x0, x1, colour in runs:
        body.append(f'<rect x="{_n(x(x0))}" y="{plot_bottom + 1}" '
                    f'width="{_n(max(x(x1) - x(x0), 2))}" height="5" fill="{colour}"/>')
    for xv, colour, text in vlines:
        xp = x(xv)
        body.append(f'<line x1="{_n(xp)}" y1="{top}" x2="{_n(xp)}" y2="{plot_bottom}" '
                    f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="2 3"/>')
        if text:
            anchor = "end" if xp > width * 0.7 else "start"
            dx = -3 if anchor == "end" else 3
            body.append(f'<text x="{_n(xp + dx)}" y="{top + 11}" text-anchor="{anchor}" '
                        f'fill="{colour}" font-weight="bold">{esc(text)}</text>')
    buckets = (width - left - right) // 2
    for s in series:
        xs, ys = _decimate(np.asarray(s.x, float), np.asarray(s.y, float), buckets)
        d = _path(x.many(xs), y.many(ys))
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        body.append(f'<path d="{d}" fill="none" stroke="{s.colour}" stroke-width="{s.width}"'
                    f'{dash} stroke-linejoin="round"/>')
    placed: list[float] = []
    for s in sorted(named, key=lambda s: y(s.y[-1])):
        yl = max(y(s.y[-1]) + 4, top + 8)
        for other in placed:  # keep the end labels at least one line apart
            yl = max(yl, other + 12)
        placed.append(yl)
        body.append(f'<text x="{width - right + 4}" y="{_n(yl)}" fill="{s.colour}" '
                    f'font-weight="bold">{esc(s.name)}</text>')
    for xv, yv, colour, text in markers:
        xp, yp = x(xv), y(yv)
        body.append(f'<path d="M{_n(xp - 6)} {_n(yp - 11)} h12 l-6 10 z" fill="{colour}" '
                    'stroke="#fff"/>')
        if text:
            anchor = "end" if xp > width * 0.7 else "start"
            dx = -8 if anchor == "end" else 8
            # Under the marker, or above it when that would fall off the bottom of the plot.
            yt = yp + 14 if yp + 14 <= plot_bottom - 8 else yp - 14
            body.append(f'<text x="{_n(xp + dx)}" y="{_n(yt)}" text-anchor="{anchor}" '
                        f'fill="{colour}" font-weight="bold">{esc(text)}</text>')
    body.append(f'<text x="{(left + width - right) // 2}" y="{height - 6}" '
                f'text-anchor="middle" fill="#000">{esc(x_label)}</text>')
    body.append(f'<text transform="translate(12 {(top + plot_bottom) // 2}) rotate(-90)" '
                f'text-anchor="middle" fill="#000">{esc(y_label)}</text>')
    return svg_document(width, height, label, body)
