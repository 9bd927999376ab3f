"""A manual differential in progress: the tally counter of the film (pure, no widgets).

:class:`DifferentialCount` walks a :class:`~cbc_teach.film.Slide` cell by cell: each
:meth:`~DifferentialCount.count` records the kind the reader called the current cell and moves
on; :meth:`~DifferentialCount.undo` takes the last call back. :meth:`~DifferentialCount.state`
is a :class:`CountState`: the tally, percentages, absolute counts from the WBC and, once the
target is reached, the comparison with the analyser's differential. The FilmExplorer is a view
of this object; the exercises and tests use it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from ..errors import InvalidParameterError, unknown_name_message
from .catalogue import KINDS, key_map
from .slide import Cell, Comparison, Slide, compare_differential

__all__ = ["CountState", "DifferentialCount", "kind_for"]


def kind_for(name_or_key: str) -> str:
    """The kind meant by a kind name or its counting key (``"N"`` or ``"neutrophil"``).

    >>> kind_for("s"), kind_for("band")
    ('basophil', 'band')
    """
    if isinstance(name_or_key, str):
        if name_or_key in KINDS:
            return name_or_key
        keys = key_map()
        if name_or_key.upper() in keys:
            return keys[name_or_key.upper()]
    known = [*KINDS, *key_map()]
    raise InvalidParameterError(unknown_name_message("cell kind or key", name_or_key, known))


@dataclass(frozen=True)
class CountState:
    """Where a manual count stands.

    ``tally`` kind -> cells called that kind; ``total`` cells counted; ``percentages`` kind ->
    percent of the total; ``absolute`` kind -> x10^9/L (percent of the WBC; None without a
    WBC); ``target`` the cells to count; ``complete`` True once ``total == target``;
    ``current`` the next cell to count (None when complete); ``comparison`` the rows of
    :func:`~cbc_teach.film.compare_differential` once complete (None before); ``calls`` the
    kind called for each counted cell, in order; ``correct`` how many of those calls name the
    kind the cell really is (the slide knows it).
    """

    tally: MappingProxyType
    total: int
    percentages: MappingProxyType
    absolute: MappingProxyType
    target: int
    complete: bool
    current: Cell | None
    comparison: tuple[Comparison, ...] | None
    calls: tuple[str, ...]
    correct: int

    def __repr__(self) -> str:
        shown = ", ".join(f"{k} {v}" for k, v in self.tally.items() if v)
        return f"CountState({self.total}/{self.target} counted: {shown or 'nothing yet'})"


class DifferentialCount:
    """Count the cells of a slide in order, as with a laboratory tally counter.

    >>> from cbc_teach.film import make_slide
    >>> counter = DifferentialCount(make_slide(composition={"neutrophil": 2, "lymphocyte": 1},
    ...                                        seed=0))
    >>> for cell in counter.slide.cells:
    ...     _ = counter.count(cell.kind)
    >>> counter.state().complete, counter.state().percentages["lymphocyte"]
    (True, 33.3)
    """

    def __init__(self, slide: Slide, *, target: int | None = None) -> None:
        if not isinstance(slide, Slide):
            raise InvalidParameterError(
                f"A count needs a cbc_teach.film.Slide (from make_slide); got "
                f"{type(slide).__name__}."
            )
        self.slide = slide
        n = len(slide.cells)
        self.target = n if target is None else int(target)
        if not 1 <= self.target <= n:
            raise InvalidParameterError(
                f"The 'target' must be between 1 and the {n} cells on the slide; got {target!r}."
            )
        self._calls: list[str] = []

    @property
    def current(self) -> Cell | None:
        """The cell to count next, or None when the target is reached."""
        i = len(self._calls)
        return self.slide.cells[i] if i < self.target else None

    def count(self, kind: str) -> CountState:
        """Call the current cell ``kind`` (a kind name or its key) and move to the next one.

        Once the target is reached, further calls change nothing (undo first).
        """
        kind = kind_for(kind)
        if len(self._calls) < self.target:
            self._calls.append(kind)
        return self.state()

    def undo(self) -> CountState:
        """Take back the last call (nothing happens when nothing was counted)."""
        if self._calls:
            self._calls.pop()
        return self.state()

    def reset(self) -> CountState:
        """Start the count again from the first cell."""
        self._calls.clear()
        return self.state()

    def state(self) -> CountState:
        """The tally, percentages, absolute counts and (when complete) the comparison."""
        tally = dict.fromkeys(KINDS, 0)
        for kind in self._calls:
            tally[kind] += 1
        total = len(self._calls)
        pct = {k: round(100 * v / total, 1) if total else 0.0 for k, v in tally.items()}
        wbc = self.slide.wbc
        absolute = {k: (round(wbc * v / total, 2) if total and wbc is not None else None)
                    for k, v in tally.items()}
        complete = total >= self.target
        comparison = (tuple(compare_differential(tally, self.slide.automated))
                      if complete else None)
        right = sum(c == cell.kind for c, cell in zip(self._calls, self.slide.cells,
                                                       strict=False))
        return CountState(MappingProxyType(tally), total, MappingProxyType(pct),
                          MappingProxyType(absolute), self.target, complete, self.current,
                          comparison, tuple(self._calls), right)
