"""Procedural drawing of blood cells as they look on a Romanowsky (May-Gruenwald-Giemsa) film.

Pure numpy, no image library. Every shape is a signed distance field on a small pixel grid
(negative inside), turned into a soft-edged coverage by :func:`_cover`; textures are value
noise (chromatin) and jittered-grid "Worley" granules. A cell is drawn into float RGB plus an
alpha (coverage) so that it can be composited onto a plain background (:func:`render_cell`) or
into a field of view with red cells and platelets (:mod:`cbc_teach.film.slide`).

The colours are RGB triples in 0..1 chosen to look like a well-stained film: purple nuclei,
pink-lilac neutrophil cytoplasm, sky-blue lymphocyte cytoplasm, grey-blue monocyte cytoplasm,
orange eosinophil granules, purple-black basophil granules.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Drawn", "draw_cell", "draw_platelet", "draw_red_cell"]

# Colours (RGB, 0..1) of a Romanowsky-stained film.
BACKGROUND = np.array([0.955, 0.935, 0.925], dtype=np.float32)
_RBC_RIM = np.array([0.89, 0.60, 0.60], dtype=np.float32)
_RBC_PALLOR = np.array([0.94, 0.80, 0.78], dtype=np.float32)
_NUC_DARK = np.array([0.26, 0.10, 0.38], dtype=np.float32)
_NUC_MID = np.array([0.45, 0.26, 0.58], dtype=np.float32)
_NEUT_CYTO = np.array([0.90, 0.80, 0.84], dtype=np.float32)
_NEUT_GRAN = np.array([0.72, 0.55, 0.72], dtype=np.float32)
_HYPO_CYTO = np.array([0.88, 0.86, 0.88], dtype=np.float32)
_TOXIC_GRAN = np.array([0.34, 0.14, 0.42], dtype=np.float32)
_DOHLE = np.array([0.62, 0.72, 0.86], dtype=np.float32)
_LYMPH_CYTO = np.array([0.66, 0.78, 0.93], dtype=np.float32)
_REACTIVE_EDGE = np.array([0.33, 0.48, 0.78], dtype=np.float32)
_AZURO_GRAN = np.array([0.62, 0.18, 0.42], dtype=np.float32)
_MONO_CYTO = np.array([0.74, 0.74, 0.84], dtype=np.float32)
_MONO_NUC = np.array([0.50, 0.34, 0.62], dtype=np.float32)
_EOS_CYTO = np.array([0.92, 0.72, 0.62], dtype=np.float32)
_EOS_GRAN = np.array([0.90, 0.42, 0.24], dtype=np.float32)
_BASO_GRAN = np.array([0.20, 0.06, 0.30], dtype=np.float32)
_BLAST_CYTO = np.array([0.45, 0.58, 0.86], dtype=np.float32)
_BLAST_NUC = np.array([0.58, 0.38, 0.66], dtype=np.float32)
_NUCLEOLUS = np.array([0.70, 0.62, 0.82], dtype=np.float32)
_AUER = np.array([0.62, 0.10, 0.36], dtype=np.float32)
_VACUOLE = np.array([0.96, 0.95, 0.96], dtype=np.float32)
_PLATELET = np.array([0.58, 0.40, 0.66], dtype=np.float32)
_PLATELET_GRAN = np.array([0.36, 0.16, 0.46], dtype=np.float32)


@dataclass(frozen=True)
class Drawn:
    """A drawn object: float RGB (H x W x 3, 0..1) and coverage alpha (H x W, 0..1)."""

    rgb: np.ndarray
    alpha: np.ndarray


# --- geometry ---------------------------------------------------------------------------------

def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates relative to the centre of a size x size square."""
    c = (size - 1) / 2.0
    ax = np.arange(size, dtype=np.float32) - c
    return ax[None, :].repeat(size, 0), ax[:, None].repeat(size, 1)


def _cover(d: np.ndarray, soft: float = 0.8) -> np.ndarray:
    """Coverage (0..1) of a signed distance field, with an edge ``soft`` pixels wide."""
    return np.clip(0.5 - d / soft, 0.0, 1.0)


def _blob(x, y, cx, cy, r, rng, wobble=0.05, aspect=1.0, angle=0.0):
    """Signed distance (approximate) to an irregular ellipse centred on (cx, cy).

    The outline is a circle of radius ``r`` squashed by ``aspect``, turned by ``angle`` and
    wobbled by three harmonics (2, 3 and 5 waves round the edge). Only a window round the blob
    is computed; pixels farther away get a large distance.
    """
    phases = rng.uniform(0, 6.283, 3)
    amps = rng.uniform(-1, 1, 3) * r * wobble
    reach = r * (1 + 3 * abs(wobble)) * max(aspect, 1.0) + 2
    size = x.shape[1]
    c = (size - 1) / 2.0
    x0, x1 = max(int(cx + c - reach), 0), min(int(cx + c + reach) + 2, size)
    y0, y1 = max(int(cy + c - reach), 0), min(int(cy + c + reach) + 2, size)
    out = np.full(x.shape, 1e3, dtype=np.float32)
    if x0 >= x1 or y0 >= y1:
        return out
    dx, dy = x[y0:y1, x0:x1] - cx, y[y0:y1, x0:x1] - cy
    ca, sa = math.cos(angle), math.sin(angle)
    u = dx * ca + dy * sa
    v = (-dx * sa + dy * ca) * aspect
    rho = np.hypot(u, v)
    z = (u + 1j * v) / np.maximum(rho, 1e-3)  # e^(i theta), without arctan2 and cos
    z2 = z * z
    z3 = z2 * z
    radius = r
    for zk, a, ph in ((z2, amps[0], phases[0]), (z3, amps[1], phases[1]),
                      (z3 * z2, amps[2], phases[2])):
        radius = radius + a * (zk.real * math.cos(ph) - zk.imag * math.sin(ph))
    out[y0:y1, x0:x1] = rho - radius
    return out


def _capsules(x, y, points, radii):
    """Signed distance to a chain of capsules through ``points`` with radii varying along it."""
    d = None
    for (ax_, ay), (bx, by), ra, rb in zip(points[:-1], points[1:], radii[:-1], radii[1:],
                                           strict=True):
        ex, ey = bx - ax_, by - ay
        length2 = ex * ex + ey * ey or 1e-6
        t = np.clip(((x - ax_) * ex + (y - ay) * ey) / length2, 0.0, 1.0)
        dd = np.hypot(x - ax_ - t * ex, y - ay - t * ey) - (ra + t * (rb - ra))
        d = dd if d is None else np.minimum(d, dd)
    return d


# --- textures ---------------------------------------------------------------------------------

_TILE = 256  # textures are cut from cached tiles of this size (larger than any cell image)


def _crop(tile: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """A random size x size window of a cached texture tile, randomly turned and flipped."""
    if size > tile.shape[0]:
        reps = -(-size // tile.shape[0])
        tile = np.tile(tile, (reps, reps))
    y0, x0 = rng.integers(0, tile.shape[0] - size + 1, 2)
    out = tile[y0:y0 + size, x0:x0 + size]
    k = int(rng.integers(8))
    out = np.rot90(out, k % 4)
    return out.T if k >= 4 else out


@functools.cache
def _noise_tile(scale: float) -> np.ndarray:
    rng = np.random.default_rng([1, int(scale * 100)])
    n = int(_TILE / scale) + 3
    g = rng.random((n, n), dtype=np.float32)
    t = np.arange(_TILE, dtype=np.float32) / scale
    i = t.astype(np.int64)
    f = t - i
    f = f * f * (3 - 2 * f)
    fx, fy = f[None, :], f[:, None]
    top = g[i][:, i] * (1 - fx) + g[i][:, i + 1] * fx
    bottom = g[i + 1][:, i] * (1 - fx) + g[i + 1][:, i + 1] * fx
    out = top * (1 - fy) + bottom * fy
    out.flags.writeable = False
    return out


def _noise(rng: np.random.Generator, size: int, scale: float) -> np.ndarray:
    """Smooth value noise (0..1) with features about ``scale`` pixels across."""
    return _crop(_noise_tile(round(float(scale), 2)), rng, size)


@functools.cache
def _granule_tile(spacing: float, radius: float, presence: float) -> np.ndarray:
    """Coverage (0..1) of round granules on a jittered grid (``spacing`` px apart).

    Each grid square holds at most one granule (with probability ``presence``), of radius
    ``radius`` times a random factor 0.7-1.2; the nearest of the 3 x 3 neighbouring granules
    decides each pixel ("Worley" distance), so this costs nine array lookups.
    """
    size = _TILE
    rng = np.random.default_rng([2, int(spacing * 100), int(radius * 100), int(presence * 100)])
    n = int(size / spacing) + 3
    cx = (np.arange(n, dtype=np.float32)[None, :] + rng.random((n, n), dtype=np.float32)) * spacing
    cy = (np.arange(n, dtype=np.float32)[:, None] + rng.random((n, n), dtype=np.float32)) * spacing
    rad = radius * (0.7 + 0.5 * rng.random((n, n), dtype=np.float32))
    rad[rng.random((n, n)) >= presence] = -10.0
    p = np.arange(size, dtype=np.float32) + spacing  # offset: index 0 is a margin
    ix = (p / spacing).astype(np.int64)
    best = np.full((size, size), 1e6, dtype=np.float32)
    px, py = p[None, :], p[:, None]
    for dy in (-1, 0, 1):
        rows = np.clip(ix + dy, 0, n - 1)[:, None]
        for dx in (-1, 0, 1):
            cols = np.clip(ix + dx, 0, n - 1)[None, :]
            d = np.hypot(px - cx[rows, cols], py - cy[rows, cols]) - rad[rows, cols]
            np.minimum(best, d, out=best)
    out = _cover(best, 0.9)
    out.flags.writeable = False
    return out


def _granules(rng: np.random.Generator, size: int, spacing: float, radius: float,
              presence: float = 1.0) -> np.ndarray:
    """Granule coverage for one cell: a random window of a cached granule tile."""
    return _crop(_granule_tile(round(float(spacing), 2), round(float(radius), 2),
                               round(float(presence), 2)), rng, size)


def _paint(rgb: np.ndarray, colour: np.ndarray, amount: np.ndarray) -> None:
    """Blend ``colour`` into ``rgb`` in place with per-pixel ``amount`` (0..1)."""
    a = amount[..., None]
    rgb *= 1 - a
    rgb += a * colour


def _shade(light: np.ndarray, dark: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-pixel mix of two colours (t = 0: light, 1: dark)."""
    t = t[..., None]
    return light * (1 - t) + dark * t


# --- nuclei -----------------------------------------------------------------------------------

def _lobed_nucleus(x, y, rng, cell_r, n_lobes, lobe_r, spread=0.42):
    """Lobes on an arc round the centre, joined by thin chromatin strands."""
    arc_r = cell_r * spread * (0.85 + 0.2 * rng.random())
    span = min(2 * math.pi * 0.82,
               (1.0 + 0.25 * rng.random()) * (n_lobes - 1) * 2.5 * lobe_r / arc_r)
    start = rng.uniform(0, 2 * math.pi)
    angles = start + np.linspace(0, span, n_lobes) + rng.normal(0, 0.12, n_lobes)
    centres = [(arc_r * math.cos(a) * (0.8 + 0.3 * rng.random()),
                arc_r * math.sin(a) * (0.8 + 0.3 * rng.random())) for a in angles]
    d = None
    for cx, cy in centres:
        lobe = _blob(x, y, cx, cy, lobe_r * rng.uniform(0.85, 1.1), rng, wobble=0.06,
                     aspect=rng.uniform(1.0, 1.35), angle=rng.uniform(0, math.pi))
        d = lobe if d is None else np.minimum(d, lobe)
    strand = _capsules(x, y, centres, [0.7] * len(centres))
    return np.minimum(d, strand)


def _band_nucleus(x, y, rng, cell_r):
    """A curved band (C, U or S) of nearly even width."""
    arc_r = cell_r * rng.uniform(0.4, 0.5)
    width = cell_r * rng.uniform(0.18, 0.23)
    start = rng.uniform(0, 2 * math.pi)
    span = rng.uniform(3.0, 4.0)
    t = np.linspace(0, 1, 9)
    if rng.random() < 0.3:  # an S shape: a sine wave along a turned axis
        length, depth = 1.9 * arc_r, 0.38 * arc_r
        ca, sa = math.cos(start), math.sin(start)
        pts = []
        for tt in t:
            u, v = length * (tt - 0.5), depth * math.sin(2 * math.pi * (tt - 0.5))
            pts.append((u * ca - v * sa, u * sa + v * ca))
    else:
        angles = start + span * t
        pts = [(arc_r * math.cos(a), arc_r * math.sin(a)) for a in angles]
    radii = list(width * (0.93 + 0.14 * rng.random(len(pts))))  # nearly even width
    radii[0] *= 0.9
    radii[-1] *= 0.9
    return _capsules(x, y, pts, radii)


def _kidney_nucleus(x, y, rng, cell_r):
    """A monocyte's folded nucleus: a thick curved lobe with an indentation."""
    arc_r = cell_r * rng.uniform(0.22, 0.32)
    start = rng.uniform(0, 2 * math.pi)
    span = rng.uniform(1.8, 3.2)
    angles = start + span * np.linspace(0, 1, 6)
    off = cell_r * 0.08
    pts = [(off * math.cos(start) + arc_r * math.cos(a), off * math.sin(start) + arc_r * math.sin(a))
           for a in angles]
    width = cell_r * rng.uniform(0.34, 0.42)
    radii = list(width * (0.85 + 0.3 * rng.random(len(pts))))
    d = _capsules(x, y, pts, radii)
    # a fold: a paler band across the nucleus is drawn by the caller from this noise
    return d


# --- cells ------------------------------------------------------------------------------------

def _size_px(diameter_um: float, px_per_um: float, extra: float = 1.0) -> int:
    return int(math.ceil(diameter_um * px_per_um * extra)) + 6


def draw_cell(kind: str, features: frozenset[str], rng: np.random.Generator,
              diameter_um: tuple[float, float], px_per_um: float) -> Drawn:
    """Draw one leukocyte of ``kind`` with ``features``; sizes in micrometres."""
    if "clump" in features:
        return _draw_clump(features, rng, diameter_um, px_per_um)
    lo, hi = diameter_um
    diameter = rng.uniform(lo, hi)
    if kind == "lymphocyte" and "reactive" in features:
        diameter = rng.uniform(12.0, 16.0)
    elif kind == "lymphocyte" and "large_granular" in features:
        diameter = rng.uniform(10.0, 13.0)
    elif kind == "neutrophil" and "hypersegmented" in features:
        diameter = rng.uniform(11.5, 13.5)  # hypersegmented neutrophils are often large
    size = _size_px(diameter, px_per_um, 1.08)
    x, y = _grid(size)
    r = diameter * px_per_um / 2
    painter = _PAINTERS[kind]
    return painter(x, y, size, r, features, rng, px_per_um)


def _body(x, y, r, rng, wobble=0.03):
    return _blob(x, y, rng.normal(0, 0.3), rng.normal(0, 0.3), r, rng, wobble=wobble,
                 aspect=rng.uniform(1.0, 1.08), angle=rng.uniform(0, math.pi))


def _add_vacuoles(rgb, cyto, x, y, r, rng, n, nucleus_cover, um):
    for _ in range(n):
        for _attempt in range(6):
            a = rng.uniform(0, 2 * math.pi)
            rr = r * rng.uniform(0.45, 0.8)
            cx, cy = rr * math.cos(a), rr * math.sin(a)
            size = um * rng.uniform(0.45, 1.0)
            d = np.hypot(x - cx, y - cy) - size
            cov = _cover(d) * cyto
            if float((cov * nucleus_cover).sum()) < 0.2 * float(cov.sum()) + 1:
                ring = _cover(np.abs(d) - 0.5) * cyto * 0.35
                _paint(rgb, _VACUOLE * 0.8, ring)
                _paint(rgb, _VACUOLE, cov * (1 - nucleus_cover))
                break


def _finish(rgb, body_cover, size):
    return Drawn(np.clip(rgb, 0, 1), body_cover.astype(np.float32))


def _granulocyte(x, y, size, r, features, rng, um, kind):
    body = _body(x, y, r, rng)
    cyto = _cover(body)
    hypo = "hypogranular" in features
    if kind == "eosinophil":
        base = _EOS_CYTO
    elif hypo:
        base = _HYPO_CYTO
    else:
        base = _NEUT_CYTO
    rgb = np.empty((size, size, 3), dtype=np.float32)
    rgb[:] = base
    _paint(rgb, base * 0.97, _noise(rng, size, 2.0 * um) * 0.5)
    # nucleus
    lobe_r = r * rng.uniform(0.27, 0.32)
    if kind == "band":
        nd = _band_nucleus(x, y, rng, r)
    elif kind == "eosinophil" or kind == "basophil":
        nd = _lobed_nucleus(x, y, rng, r, 2, lobe_r * 1.15, spread=0.38)
    elif "pseudo_pelger" in features:
        if rng.random() < 0.7:  # spectacle: two round lobes and a thin bridge
            nd = _lobed_nucleus(x, y, rng, r, 2, r * 0.33, spread=0.52)
        else:  # unlobed, peanut-shaped
            nd = _blob(x, y, 0, 0, r * 0.48, rng, wobble=0.07, aspect=1.3,
                       angle=rng.uniform(0, math.pi))
    elif "hypersegmented" in features:
        lobes = int(rng.choice([5, 6, 6, 7]))
        nd = _lobed_nucleus(x, y, rng, r, lobes, lobe_r * 0.78, spread=0.5)
    else:
        lobes = int(rng.choice([2, 3, 3, 3, 4, 4]))
        nd = _lobed_nucleus(x, y, rng, r, lobes, lobe_r * 0.95, spread=0.45)
    nuc = _cover(nd) * cyto
    # cytoplasmic granules (drawn before the nucleus except for basophils)
    if kind == "eosinophil":
        g = _granules(rng, size, 0.85 * um, 0.42 * um)
        shade = 0.75 + 0.25 * _noise(rng, size, 1.5 * um)
        _paint(rgb, _EOS_GRAN, g * cyto * shade)
        hi = _granules(rng, size, 0.85 * um, 0.14 * um, 0.5)
        _paint(rgb, np.array([0.98, 0.72, 0.55], dtype=np.float32), hi * cyto * 0.6)
    elif kind in ("neutrophil", "band"):
        if not hypo:
            g = _granules(rng, size, 0.45 * um, 0.16 * um, 0.6)
            _paint(rgb, _NEUT_GRAN, g * cyto * 0.7)
        else:
            g = _granules(rng, size, 0.6 * um, 0.12 * um, 0.1)
            _paint(rgb, _NEUT_GRAN, g * cyto * 0.5)
        if "toxic_granulation" in features:
            g = _granules(rng, size, 0.55 * um, 0.2 * um, 0.75)
            _paint(rgb, _TOXIC_GRAN, g * cyto * 0.9)
        if "dohle_bodies" in features:
            for _ in range(int(rng.integers(1, 4))):
                a = rng.uniform(0, 2 * math.pi)
                cx, cy = 0.78 * r * math.cos(a), 0.78 * r * math.sin(a)
                d = _blob(x, y, cx, cy, um * rng.uniform(0.6, 1.0), rng, wobble=0.15,
                          aspect=rng.uniform(1.3, 2.0), angle=a + math.pi / 2)
                _paint(rgb, _DOHLE, _cover(d, 1.4) * cyto * 0.85)
    # the nucleus with coarse, clumped chromatin
    clumps = _noise(rng, size, 0.7 * um)
    fine = _noise(rng, size, 0.35 * um)
    t = np.clip(0.25 + 0.9 * (clumps - 0.5) + 0.4 * (fine - 0.5) + 0.35, 0, 1)
    _paint(rgb, _shade(_NUC_MID, _NUC_DARK, t), nuc)
    if kind == "basophil":
        g = _granules(rng, size, 1.0 * um, 0.45 * um, 0.75)
        shade = 0.8 + 0.2 * _noise(rng, size, 1.0 * um)
        _paint(rgb, _BASO_GRAN, g * cyto * shade)
        _paint(rgb, np.array([0.62, 0.52, 0.70], dtype=np.float32), (1 - nuc) * cyto * 0.35)
    if "vacuolation" in features:
        _add_vacuoles(rgb, cyto, x, y, r, rng, int(rng.integers(3, 7)), nuc, um)
    return _finish(rgb, cyto, size)


def _lymphocyte(x, y, size, r, features, rng, um):
    reactive = "reactive" in features
    lgl = "large_granular" in features
    body = _body(x, y, r, rng, wobble=0.07 if reactive else 0.02)
    if reactive:  # scalloped edge where it hugs red cells
        for _ in range(int(rng.integers(2, 4))):
            a = rng.uniform(0, 2 * math.pi)
            rc = 3.8 * um
            dist = r + rc * 0.7
            dent = rc - np.hypot(x - dist * math.cos(a), y - dist * math.sin(a))
            body = np.maximum(body, dent)
    cyto = _cover(body)
    rgb = np.empty((size, size, 3), dtype=np.float32)
    if reactive:
        edge = np.clip(1 + body / (0.45 * r), 0, 1) ** 2  # 0 at the centre, 1 at the edge
        rgb[:] = _shade(np.array([0.78, 0.84, 0.94], dtype=np.float32), _REACTIVE_EDGE, edge)
    elif lgl:
        rgb[:] = np.array([0.76, 0.84, 0.95], dtype=np.float32)
    else:
        rgb[:] = _LYMPH_CYTO
    _paint(rgb, rgb[0, 0] * 0.96, _noise(rng, size, 1.5 * um) * 0.6)
    # nucleus: round, dense; eccentric and smaller relative to the cell in LGL and reactive
    if reactive:
        nr, off = r * rng.uniform(0.45, 0.55), r * rng.uniform(0.1, 0.3)
    elif lgl:
        nr, off = r * rng.uniform(0.5, 0.6), r * rng.uniform(0.15, 0.3)
    else:
        nr, off = r * rng.uniform(0.76, 0.86), r * rng.uniform(0.05, 0.14)
    a = rng.uniform(0, 2 * math.pi)
    ncx, ncy = off * math.cos(a), off * math.sin(a)
    nd = _blob(x, y, ncx, ncy, nr, rng, wobble=0.05, aspect=rng.uniform(1.0, 1.15),
               angle=rng.uniform(0, math.pi))
    if not reactive and not lgl and rng.random() < 0.4:  # a small notch (cleft)
        notch = 0.25 * nr - np.hypot(x - ncx - nr * math.cos(a + 2.5),
                                     y - ncy - nr * math.sin(a + 2.5))
        nd = np.maximum(nd, notch)
    nuc = _cover(nd) * cyto
    if lgl:  # a few coarse azurophilic granules, often clustered on one side
        g = _granules(rng, size, 1.2 * um, 0.3 * um, 0.45)
        side = np.clip(((x - ncx) * -math.cos(a) + (y - ncy) * -math.sin(a)) / r + 0.3, 0, 1)
        _paint(rgb, _AZURO_GRAN, g * cyto * (1 - nuc) * side)
    clumps = _noise(rng, size, 0.9 * um)
    fine = _noise(rng, size, 0.4 * um)
    dense = 0.55 if reactive else 0.85
    t = np.clip(dense + 0.6 * (clumps - 0.5) + 0.3 * (fine - 0.5), 0, 1)
    _paint(rgb, _shade(_NUC_MID, _NUC_DARK, t), nuc)
    if "vacuolation" in features:
        _add_vacuoles(rgb, cyto, x, y, r, rng, int(rng.integers(2, 4)), nuc, um)
    return _finish(rgb, cyto, size)


def _monocyte(x, y, size, r, features, rng, um):
    body = _body(x, y, r, rng, wobble=0.06)
    cyto = _cover(body)
    rgb = np.empty((size, size, 3), dtype=np.float32)
    rgb[:] = _MONO_CYTO
    _paint(rgb, np.array([0.80, 0.76, 0.84], dtype=np.float32), _noise(rng, size, 0.5 * um) * 0.5)
    dust = _granules(rng, size, 0.4 * um, 0.1 * um, 0.5)  # fine "ground glass" granules
    _paint(rgb, np.array([0.62, 0.50, 0.68], dtype=np.float32), dust * cyto * 0.4)
    nd = _kidney_nucleus(x, y, rng, r)
    nuc = _cover(nd) * cyto
    # lacy chromatin: a fine network (ridges of noise), paler than a lymphocyte's
    n1 = 0.5 * (_noise(rng, size, 0.8 * um) + _noise(rng, size, 1.1 * um))
    lace = 1 - np.abs(4 * n1 - 2).clip(0, 1)
    t = np.clip(0.3 + 0.3 * lace ** 4 + 0.25 * _noise(rng, size, 1.5 * um), 0, 1)
    _paint(rgb, _shade(np.array([0.66, 0.52, 0.74], dtype=np.float32), _NUC_DARK, t), nuc)
    n_vac = int(rng.integers(2, 6)) if "vacuolation" in features else int(rng.random() < 0.35)
    if n_vac:
        _add_vacuoles(rgb, cyto, x, y, r, rng, n_vac, nuc, um * 0.8)
    return _finish(rgb, cyto, size)


def _blast(x, y, size, r, features, rng, um):
    body = _body(x, y, r, rng, wobble=0.03)
    cyto = _cover(body)
    rgb = np.empty((size, size, 3), dtype=np.float32)
    rgb[:] = _BLAST_CYTO
    _paint(rgb, np.array([0.55, 0.66, 0.90], dtype=np.float32), _noise(rng, size, 1.5 * um) * 0.5)
    nr = r * rng.uniform(0.72, 0.82)
    a = rng.uniform(0, 2 * math.pi)
    off = r * rng.uniform(0.08, 0.18)
    ncx, ncy = off * math.cos(a), off * math.sin(a)
    nd = _blob(x, y, ncx, ncy, nr, rng, wobble=0.04, aspect=rng.uniform(1.0, 1.2),
               angle=rng.uniform(0, math.pi))
    nuc = _cover(nd) * cyto
    if "auer_rod" in features:  # in the widest part of the cytoplasm, opposite the offset
        cx, cy = -(r * 0.86) * math.cos(a), -(r * 0.86) * math.sin(a)
        tang = a + math.pi / 2 + rng.normal(0, 0.3)
        half = um * rng.uniform(1.4, 2.2)
        pts = [(cx - half * math.cos(tang), cy - half * math.sin(tang)),
               (cx + half * math.cos(tang), cy + half * math.sin(tang))]
        rod = _cover(_capsules(x, y, pts, [0.18 * um, 0.18 * um]), 0.7)
        _paint(rgb, _AUER, rod * cyto)
    # fine, even (open) chromatin with a few nucleoli
    t = np.clip(0.35 + 0.35 * (_noise(rng, size, 0.3 * um) - 0.5) +
                0.25 * (_noise(rng, size, 1.2 * um) - 0.5), 0, 1)
    _paint(rgb, _shade(np.array([0.70, 0.52, 0.76], dtype=np.float32), _BLAST_NUC * 0.7, t),
           nuc)
    for _ in range(int(rng.integers(1, 4))):
        rr = nr * rng.uniform(0, 0.55)
        b = rng.uniform(0, 2 * math.pi)
        d = _blob(x, y, ncx + rr * math.cos(b), ncy + rr * math.sin(b),
                  um * rng.uniform(0.6, 1.0), rng, wobble=0.1)
        _paint(rgb, _NUCLEOLUS, _cover(d, 1.5) * nuc * 0.85)
        _paint(rgb, _NUC_MID, _cover(np.abs(d) - 0.4, 0.8) * nuc * 0.35)
    if "vacuolation" in features:
        _add_vacuoles(rgb, cyto, x, y, r, rng, int(rng.integers(2, 5)), nuc, um * 0.7)
    return _finish(rgb, cyto, size)


def _draw_clump(features, rng, diameter_um, px_per_um):
    """Three to five neutrophils stuck together, with platelets among them."""
    n = int(rng.integers(3, 6))
    lo, hi = diameter_um
    r_px = hi * px_per_um / 2
    ring = 0.62 * r_px / math.sin(math.pi / n)
    size = int(2 * (ring + r_px * 1.1)) + 12
    rgb = np.empty((size, size, 3), dtype=np.float32)
    rgb[:] = BACKGROUND
    alpha = np.zeros((size, size), dtype=np.float32)
    single = frozenset(features - {"clump"})
    for i in range(n):
        cell = draw_cell("neutrophil", single, rng, diameter_um, px_per_um)
        h = cell.alpha.shape[0]
        a = 2 * math.pi * i / n + rng.normal(0, 0.2)
        dist = 0.0 if (i == 0 and n == 5) else ring * rng.uniform(0.9, 1.0)
        cx = size / 2 + dist * math.cos(a) - h / 2
        cy = size / 2 + dist * math.sin(a) - h / 2
        x0, y0 = int(np.clip(cx, 0, size - h)), int(np.clip(cy, 0, size - h))
        sl = (slice(y0, y0 + h), slice(x0, x0 + h))
        rgb[sl] = rgb[sl] * (1 - cell.alpha[..., None]) + cell.rgb * cell.alpha[..., None]
        alpha[sl] = np.maximum(alpha[sl], cell.alpha)
    for _ in range(int(rng.integers(4, 9))):
        p = draw_platelet(rng, (1.5, 3.0), px_per_um)
        h = p.alpha.shape[0]
        a = rng.uniform(0, 2 * math.pi)
        dist = rng.uniform(0.3, 1.6) * r_px
        x0 = int(np.clip(size / 2 + dist * math.cos(a) - h / 2, 0, size - h))
        y0 = int(np.clip(size / 2 + dist * math.sin(a) - h / 2, 0, size - h))
        sl = (slice(y0, y0 + h), slice(x0, x0 + h))
        rgb[sl] = rgb[sl] * (1 - p.alpha[..., None]) + p.rgb * p.alpha[..., None]
        alpha[sl] = np.maximum(alpha[sl], p.alpha)
    return Drawn(np.clip(rgb, 0, 1), alpha)


_PAINTERS = {
    "neutrophil": lambda *a: _granulocyte(*a, kind="neutrophil"),
    "band": lambda *a: _granulocyte(*a, kind="band"),
    "eosinophil": lambda *a: _granulocyte(*a, kind="eosinophil"),
    "basophil": lambda *a: _granulocyte(*a, kind="basophil"),
    "lymphocyte": _lymphocyte,
    "monocyte": _monocyte,
    "blast": _blast,
}


# --- the background ---------------------------------------------------------------------------

def draw_red_cell(rng: np.random.Generator, diameter_um: tuple[float, float],
                  px_per_um: float) -> Drawn:
    """A red cell: a pink disc with a paler centre (central pallor about a third across)."""
    diameter = rng.uniform(*diameter_um)
    size = _size_px(diameter, px_per_um)
    x, y = _grid(size)
    r = diameter * px_per_um / 2
    d = _blob(x, y, rng.normal(0, 0.3), rng.normal(0, 0.3), r, rng, wobble=0.02,
              aspect=rng.uniform(1.0, 1.1), angle=rng.uniform(0, math.pi))
    cover = _cover(d, 1.0)
    rho = np.clip(1 + d / r, 0, 1)  # 0 at the centre, 1 at the edge
    pallor = np.clip(1 - rho / 0.55, 0, 1) ** 1.5
    rgb = _shade(_RBC_RIM, _RBC_PALLOR, pallor)
    rim = _cover(np.abs(d + 0.8) - 0.6, 1.0) * 0.25
    _paint(rgb, _RBC_RIM * 0.9, rim)
    return Drawn(rgb.astype(np.float32), cover.astype(np.float32) * 0.93)


def draw_platelet(rng: np.random.Generator, diameter_um: tuple[float, float],
                  px_per_um: float) -> Drawn:
    """A platelet: a small lilac fragment with a few purple granules."""
    diameter = rng.uniform(*diameter_um)
    size = _size_px(diameter, px_per_um)
    x, y = _grid(size)
    r = diameter * px_per_um / 2
    d = _blob(x, y, 0, 0, r, rng, wobble=0.15, aspect=rng.uniform(1.0, 1.5),
              angle=rng.uniform(0, math.pi))
    cover = _cover(d, 0.9)
    rgb = np.empty((size, size, 3), dtype=np.float32)
    rgb[:] = _PLATELET
    g = _granules(rng, size, 0.5 * px_per_um, 0.18 * px_per_um, 0.7)
    _paint(rgb, _PLATELET_GRAN, g * 0.9)
    return Drawn(rgb, cover.astype(np.float32) * 0.9)
