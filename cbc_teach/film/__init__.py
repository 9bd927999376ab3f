"""The virtual blood film: drawn leukocytes, slides to count, and the precision of a count.

- :func:`render_cell`: one leukocyte as it looks on a Romanowsky-stained film (numpy RGB).
- :func:`make_slide` -> :class:`Slide`: fields of view with red cells, platelets and the
  leukocytes to count (:class:`Cell`), from a composition or a CBC, with film findings.
- :func:`differential_ci`: the exact binomial interval of a manual differential (Ruemke 1979;
  CLSI H20-A2); :func:`compare_differential` judges a manual count against the analyser's.
- :class:`DifferentialCount`: a manual count in progress (tally, undo, comparison).
- :func:`kinds`, :func:`findings`, :func:`key_map`: what can be drawn and how it is counted,
  from ``cbc_teach/data/film.toml`` (definitions and sources).

Pure numpy; no widget imports. Everything is deterministic for a seed.

>>> from cbc_teach.film import make_slide
>>> slide = make_slide(composition={"neutrophil": 2, "blast": 1}, findings=["auer_rods"],
...                    seed=3)
>>> sorted(c.kind for c in slide.cells)
['blast', 'neutrophil', 'neutrophil']
"""

from __future__ import annotations

from .catalogue import KINDS, finding_info, key_map, kind_info, source_text
from .catalogue import film_data as _film_data
from .count import CountState, DifferentialCount, kind_for
from .render import render_cell, to_png
from .slide import ANALYSER_GROUPS, Cell, Comparison, Slide, compare_differential, make_slide
from .stats import differential_ci

__all__ = [
    "ANALYSER_GROUPS",
    "KINDS",
    "Cell",
    "Comparison",
    "CountState",
    "DifferentialCount",
    "Slide",
    "compare_differential",
    "differential_ci",
    "features",
    "finding_info",
    "findings",
    "key_map",
    "kind_for",
    "kind_info",
    "kinds",
    "make_slide",
    "render_cell",
    "source_text",
    "to_png",
]


def kinds() -> tuple[str, ...]:
    """The leukocyte kinds that can be drawn and counted, in counting order.

    >>> kinds()[:3]
    ('neutrophil', 'band', 'lymphocyte')
    """
    return KINDS


def features() -> tuple[str, ...]:
    """The features that can be drawn on a cell (``render_cell(..., features=...)``).

    >>> "auer_rod" in features()
    True
    """
    return tuple(_film_data()["features"])


def findings() -> tuple[str, ...]:
    """The film findings :func:`make_slide` can show (defined, with sources, in film.toml).

    >>> "neutrophil_clumps" in findings()
    True
    """
    return tuple(_film_data()["findings"])
