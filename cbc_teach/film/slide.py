"""A virtual slide: leukocytes spread over fields of view, with red cells and platelets.

:func:`make_slide` decides which cells the slide holds (from a composition, or drawn from a
CBC's differential), which of them carry the features of the requested findings, and where
each lies; :meth:`Slide.render_field` draws one field on demand (nothing is drawn in advance).
:func:`compare_differential` sets a manual count beside the analyser's differential, judging
each difference against the exact binomial interval (:func:`~cbc_teach.film.differential_ci`).
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..cbc import CBC
from ..errors import InvalidParameterError, unknown_name_message
from ._draw import BACKGROUND, draw_platelet, draw_red_cell
from .catalogue import KINDS, check_finding, film_data, kind_info
from .render import _rng, draw, px_per_um
from .stats import differential_ci

__all__ = ["ANALYSER_GROUPS", "Cell", "Comparison", "Slide", "compare_differential",
           "make_slide"]

#: What an analyser reports (a five-part differential) and the counted kinds each holds.
#: Analysers do not report bands or blasts: bands fall among the neutrophils; blasts are
#: flagged, not counted, so a manual count is the only count of them.
ANALYSER_GROUPS = MappingProxyType({
    "neutrophils": ("neutrophil", "band"),
    "lymphocytes": ("lymphocyte",),
    "monocytes": ("monocyte",),
    "eosinophils": ("eosinophil",),
    "basophils": ("basophil",),
})

_CBC_FIELDS = {"neutrophil": "neutrophils", "band": "bands", "lymphocyte": "lymphocytes",
               "monocyte": "monocytes", "eosinophil": "eosinophils", "basophil": "basophils"}


@dataclass(frozen=True)
class Cell:
    """One leukocyte on the slide: its kind, features, field, centre (pixels) and seed."""

    kind: str
    features: frozenset[str]
    field: int
    x: float
    y: float
    radius: float
    seed: int

    @property
    def label(self) -> str:
        """Plain words: the kind and any features (``'Segmented neutrophil (clump)'``)."""
        text = kind_info(self.kind)["label"]
        if self.features:
            text += " (" + ", ".join(sorted(f.replace("_", " ") for f in self.features)) + ")"
        return text


@dataclass(frozen=True)
class Comparison:
    """One row of a manual count set beside the analyser's differential."""

    group: str
    count: int
    n: int
    manual_percent: float
    analyser_percent: float | None
    low: float
    high: float

    @property
    def within(self) -> bool | None:
        """Whether the analyser's percentage lies inside the manual count's interval."""
        if self.analyser_percent is None:
            return None
        return self.low <= self.analyser_percent <= self.high


class Slide:
    """A virtual blood film. Make one with :func:`make_slide`.

    ``cells`` in counting order (field by field, left to right); ``composition`` the true
    number of cells of each kind; ``findings`` the film findings drawn; ``automated`` the
    analyser's differential in percent (five groups, see :data:`ANALYSER_GROUPS`); ``wbc``
    the white count (x10^9/L) when the slide was made from a CBC.
    """

    def __init__(self, *, cells, composition, findings, automated, wbc, platelets, seed,
                 n_fields):
        self.cells: tuple[Cell, ...] = tuple(cells)
        self.composition = MappingProxyType(dict(composition))
        self.findings: tuple[str, ...] = tuple(findings)
        self.automated = MappingProxyType(dict(automated))
        self.wbc: float | None = wbc
        self.platelets: float | None = platelets
        self.seed = seed
        self.n_fields = n_fields
        scale = film_data()["scale"]
        self.field_size = (int(scale["field_width_um"] * px_per_um()),
                           int(scale["field_height_um"] * px_per_um()))

    def __repr__(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in self.composition.items() if v)
        found = ", ".join(self.findings) or "none"
        return (f"Slide({len(self.cells)} cells in {self.n_fields} fields: {parts}; "
                f"findings: {found})")

    def field_cells(self, field: int) -> tuple[Cell, ...]:
        """The cells of one field, in counting order."""
        return tuple(c for c in self.cells if c.field == field)

    def render_field(self, field: int) -> np.ndarray:
        """Draw field ``field`` (0-based): an RGB uint8 image, the same every time.

        >>> slide = make_slide(composition={"neutrophil": 3, "lymphocyte": 2}, seed=1)
        >>> slide.render_field(0).shape
        (360, 480, 3)
        """
        if isinstance(field, bool) or not isinstance(field, numbers.Integral) \
                or not 0 <= field < self.n_fields:
            raise InvalidParameterError(
                f"The 'field' must be a whole number from 0 to {self.n_fields - 1}; "
                f"got {field!r}."
            )
        w, h = self.field_size
        canvas = np.empty((h, w, 3), dtype=np.float32)
        rng = np.random.default_rng([int(self.seed or 0), 7919, int(field)])
        scale = film_data()["scale"]
        um = px_per_um()
        # the red-cell monolayer: a window of a cached carpet of red cells, turned at random
        carpet = _red_cell_carpet()
        y0 = int(rng.integers(0, carpet.shape[0] - h + 1))
        x0 = int(rng.integers(0, carpet.shape[1] - w + 1))
        layer = carpet[y0:y0 + h, x0:x0 + w]
        if rng.random() < 0.5:
            layer = layer[::-1]
        if rng.random() < 0.5:
            layer = layer[:, ::-1]
        canvas[:] = layer
        n_red = layer.shape[0] * layer.shape[1] / (float(np.mean(
            scale["red_cell_diameter_um"])) * um * 1.06) ** 2 / 0.87 * 0.82
        plates = [draw_platelet(rng, tuple(scale["platelet_diameter_um"]), um) for _ in range(6)]
        per_red = (self.platelets if self.platelets is not None else 250.0) / float(
            scale["red_cells_x10_9_per_l"])
        for _ in range(int(rng.poisson(n_red * per_red))):
            _paste(canvas, plates[int(rng.integers(len(plates)))], rng.uniform(0, w),
                   rng.uniform(0, h), k=int(rng.integers(4)))
        for cell in self.field_cells(field):
            _paste(canvas, draw(cell.kind, cell.features, cell.seed), cell.x, cell.y)
        return (np.clip(canvas, 0, 1) * 255 + 0.5).astype(np.uint8)


@functools.cache
def _red_cell_carpet() -> np.ndarray:
    """A large monolayer of red cells (drawn once per process; fields are windows of it).

    Red cells lie on a jittered hexagonal grid about one diameter apart, nearly touching, with
    a few gaps: the thin part of a film where cells are counted.
    """
    scale = film_data()["scale"]
    um = px_per_um()
    w = int(2 * scale["field_width_um"] * um)
    h = int(2 * scale["field_height_um"] * um)
    rng = np.random.default_rng(20151)
    canvas = np.empty((h, w, 3), dtype=np.float32)
    canvas[:] = BACKGROUND
    reds = [draw_red_cell(rng, tuple(scale["red_cell_diameter_um"]), um) for _ in range(24)]
    spacing = float(np.mean(scale["red_cell_diameter_um"])) * um * 1.06
    for row, gy in enumerate(np.arange(-spacing / 2, h + spacing, spacing * 0.87)):
        shift = spacing / 2 if row % 2 else 0.0
        for gx in np.arange(-spacing / 2 + shift, w + spacing, spacing):
            if rng.random() < 0.18:
                continue
            sprite = reds[int(rng.integers(len(reds)))]
            _paste(canvas, sprite, gx + rng.normal(0, spacing * 0.12),
                   gy + rng.normal(0, spacing * 0.12), k=int(rng.integers(4)))
    canvas.flags.writeable = False
    return canvas


def _paste(canvas: np.ndarray, drawn, cx: float, cy: float, k: int = 0) -> None:
    """Composite a drawn sprite centred on (cx, cy), rotated by k quarter turns, clipped."""
    rgb, alpha = drawn.rgb, drawn.alpha
    if k:
        rgb, alpha = np.rot90(rgb, k), np.rot90(alpha, k)
    sh, sw = alpha.shape
    h, w = canvas.shape[:2]
    x0, y0 = int(round(cx - sw / 2)), int(round(cy - sh / 2))
    ax0, ay0 = max(x0, 0), max(y0, 0)
    ax1, ay1 = min(x0 + sw, w), min(y0 + sh, h)
    if ax0 >= ax1 or ay0 >= ay1:
        return
    a = alpha[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0, None]
    region = canvas[ay0:ay1, ax0:ax1]
    region *= 1 - a
    region += a * rgb[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0]


def _radius_px(kind: str, features: frozenset[str]) -> float:
    """The largest radius a cell can be drawn with (for placing cells without overlap)."""
    hi = float(kind_info(kind)["diameter_um"][1])
    if "reactive" in features:
        hi = 16.0
    elif "large_granular" in features:
        hi = 13.0
    elif "hypersegmented" in features:
        hi = 13.5
    r = hi * px_per_um() / 2 * 1.08 + 3
    if "clump" in features:  # a ring of up to five cells (see _draw._draw_clump)
        r = 0.62 * r / math.sin(math.pi / 5) + 1.1 * r
    return r


def _check_composition(composition: Mapping) -> dict[str, int]:
    if not isinstance(composition, Mapping):
        raise InvalidParameterError(
            "The 'composition' must be a mapping from cell kind to a number of cells, e.g. "
            f"{{'neutrophil': 60, 'lymphocyte': 40}}; got {composition!r}."
        )
    out = dict.fromkeys(KINDS, 0)
    for kind, n in composition.items():
        if kind not in KINDS:
            raise InvalidParameterError(unknown_name_message("cell kind in 'composition'",
                                                             kind, KINDS))
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise InvalidParameterError(
                f"The 'composition' count of {kind!r} must be a whole number of cells, 0 or "
                f"more; got {n!r}."
            )
        out[kind] = int(n)
    if sum(out.values()) < 1 or sum(out.values()) > 2000:
        raise InvalidParameterError(
            f"The 'composition' must hold between 1 and 2000 cells; got {sum(out.values())}."
        )
    return out


def _fractions(cbc: CBC | None) -> dict[str, float]:
    """The share of each kind: the CBC's differential, unknown parts from the default one."""
    default = {k: float(film_data()["default_differential"][k]) / 100 for k in KINDS}
    if cbc is None:
        total = sum(default.values())
        return {k: v / total for k, v in default.items()}
    known = {k: getattr(cbc, f) / cbc.wbc for k, f in _CBC_FIELDS.items()
             if getattr(cbc, f) is not None and cbc.wbc > 0}
    rest = max(0.0, 1.0 - sum(known.values()))
    unknown = [k for k in _CBC_FIELDS if k not in known]
    weight = sum(default[k] for k in unknown)
    out = dict.fromkeys(KINDS, 0.0)
    out.update(known)
    for k in unknown:
        out[k] = rest * default[k] / weight if weight else 0.0
    total = sum(out.values())
    if total <= 0:
        raise InvalidParameterError(
            "The CBC's differential is all zero, so no leukocytes can be drawn; give a "
            "'composition' instead."
        )
    return {k: v / total for k, v in out.items()}


def make_slide(cbc: CBC | None = None, *, composition: Mapping[str, int] | None = None,
               findings: Iterable[str] = (), n_cells: int = 100, seed=None) -> Slide:
    """A virtual blood film with ``n_cells`` leukocytes to count.

    With ``composition`` (kind -> number of cells) the slide holds exactly those cells and
    ``n_cells`` is not used; otherwise the kinds are drawn at random from the CBC's
    differential (a healthy adult's without a CBC), as a real 100-cell count samples the
    blood. ``findings`` (names in ``film.toml``: ``hypersegmented_neutrophils``,
    ``toxic_granulation``, ``dohle_bodies``, ``blasts``, ``auer_rods``,
    ``large_granular_lymphocytes``, ``reactive_lymphocytes``, ``pseudo_pelger``,
    ``neutrophil_clumps``) put their feature on a share of the cells they concern.

    >>> slide = make_slide(composition={"neutrophil": 6, "band": 1, "lymphocyte": 3},
    ...                    findings=["toxic_granulation"], seed=4)
    >>> slide.composition["neutrophil"], len(slide.cells)
    (6, 10)
    >>> any("toxic_granulation" in c.features for c in slide.cells)
    True
    """
    if cbc is not None and not isinstance(cbc, CBC):
        raise InvalidParameterError(
            f"The 'cbc' must be a cbc_teach.CBC or None; got {type(cbc).__name__}."
        )
    if isinstance(findings, str):
        findings = (findings,)
    found = tuple(dict.fromkeys(check_finding(f) for f in findings))
    if "auer_rods" in found and "blasts" not in found:
        found = ("blasts", *found)  # Auer rods are seen in blasts
    rng = _rng(seed)
    if composition is not None:
        counts = _check_composition(composition)
        if "blasts" in found and counts["blast"] == 0:
            raise InvalidParameterError(
                "The finding 'blasts' needs blasts on the slide, but 'composition' has "
                "'blast': 0."
            )
    else:
        if isinstance(n_cells, bool) or not isinstance(n_cells, numbers.Integral) \
                or not 1 <= n_cells <= 2000:
            raise InvalidParameterError(
                f"The number of cells 'n_cells' must be a whole number from 1 to 2000; "
                f"got {n_cells!r}."
            )
        frac = _fractions(cbc)
        if "blasts" in found:
            share = float(film_data()["findings"]["blasts"]["blast_share"])
            frac = {k: v * (1 - share) for k, v in frac.items()}
            frac["blast"] = share
        p = np.array([frac[k] for k in KINDS])
        counts = dict(zip(KINDS, (int(v) for v in rng.multinomial(int(n_cells), p / p.sum())),
                          strict=True))
    kinds = [k for k in KINDS for _ in range(counts[k])]
    order = rng.permutation(len(kinds))
    kinds = [kinds[i] for i in order]
    features: list[set[str]] = [set() for _ in kinds]
    for name in found:
        info = film_data()["findings"][name]
        targets = [i for i, k in enumerate(kinds) if k in info["kinds"]]
        if not targets:
            raise InvalidParameterError(
                f"The finding {name!r} is drawn on {', '.join(info['kinds'])} cells, but the "
                "slide has none; add some to 'composition' or choose another finding."
            )
        if info["feature"]:
            chosen = rng.choice(targets, max(1, round(info["share"] * len(targets))),
                                replace=False)
            for i in chosen:
                features[i].add(info["feature"])
        if info.get("also"):
            for i in rng.choice(targets, max(1, round(info["also_share"] * len(targets))),
                                replace=False):
                features[i].add(info["also"])
    seeds = rng.integers(0, 2**31 - 1, len(kinds))
    cells = _place(kinds, features, seeds, rng)
    n_fields = (cells[-1].field + 1) if cells else 0
    if cbc is not None:
        analyser = {
            g: 100 * sum(getattr(cbc, _CBC_FIELDS[k]) or 0.0 for k in ks) / cbc.wbc
            if cbc.wbc > 0 and any(getattr(cbc, _CBC_FIELDS[k]) is not None for k in ks)
            else None
            for g, ks in ANALYSER_GROUPS.items()
        }
    else:
        total = sum(counts.values())
        analyser = {g: 100 * sum(counts[k] for k in ks) / total
                    for g, ks in ANALYSER_GROUPS.items()}
    return Slide(cells=cells, composition=counts, findings=found, automated=analyser,
                 wbc=cbc.wbc if cbc is not None else None,
                 platelets=cbc.platelets if cbc is not None else None,
                 seed=int(rng.integers(0, 2**31 - 1)), n_fields=n_fields)


def _place(kinds, features, seeds, rng) -> list[Cell]:
    """Spread the cells over fields (one to three a field), without overlap, in reading order."""
    scale = film_data()["scale"]
    w = scale["field_width_um"] * px_per_um()
    h = scale["field_height_um"] * px_per_um()
    cells: list[Cell] = []
    i, field = 0, 0
    while i < len(kinds):
        per_field = int(rng.choice([1, 2, 2, 3]))
        placed: list[tuple[float, float, float, int]] = []
        for j in range(i, min(i + per_field, len(kinds))):
            feats = frozenset(features[j])
            r = _radius_px(kinds[j], feats)
            for _attempt in range(200):
                x = rng.uniform(r, w - r)
                y = rng.uniform(r, h - r)
                if all(math.hypot(x - px, y - py) > r + pr + 4 for px, py, pr, _ in placed):
                    placed.append((x, y, r, j))
                    break
            else:  # no room left in this field: the cell goes to the next one
                break
        for x, y, r, j in sorted(placed):
            cells.append(Cell(kinds[j], frozenset(features[j]), field, float(x), float(y),
                              float(r), int(seeds[j])))
        i += len(placed)
        field += 1
    return cells


def compare_differential(tally: Mapping[str, int], automated: Mapping[str, float | None],
                         level: float = 0.95) -> list[Comparison]:
    """Set a manual count beside the analyser's differential, group by group.

    ``tally`` maps counted kinds to cells; ``automated`` maps the analyser's groups
    (``neutrophils``, ``lymphocytes``...) to percentages. Each row holds the manual
    percentage, its exact binomial interval, and whether the analyser's value lies inside.

    >>> rows = compare_differential({"neutrophil": 50, "band": 5, "lymphocyte": 45},
    ...                             {"neutrophils": 60.0, "lymphocytes": 30.0})
    >>> [(r.group, r.manual_percent, r.within) for r in rows[:2]]
    [('neutrophils', 55.0, True), ('lymphocytes', 45.0, False)]
    """
    n = sum(int(v) for v in tally.values())
    if n < 1:
        raise InvalidParameterError("The 'tally' holds no counted cells; count some first.")
    rows = []
    for group, kinds in ANALYSER_GROUPS.items():
        count = sum(int(tally.get(k, 0)) for k in kinds)
        low, high = differential_ci(count, n, level)
        rows.append(Comparison(group, count, n, 100 * count / n, automated.get(group),
                               low, high))
    return rows
