"""The explorers' own accessible controls (``anywidget``): a number slider and tick-box groups.

ipywidgets 8 slider handles have no accessible name, and its multiple-selection list needs
Ctrl-click. These two controls use native form elements instead, which browsers and screen
readers name from their ``<label>``/``<legend>``:

- :class:`NumberSlider`: a label, an ``<input type="range">`` (linear, or logarithmic for
  counts that span orders of magnitude) and a number box. Arrow keys step by ``step`` (the
  count's natural unit), PageUp/PageDown by ``page`` (ten steps), Home/End go to the ends.
- :class:`CheckGroup`: a ``<fieldset>`` of tick boxes in groups, each a plain click, with
  an optional filter box for long lists; warning signs carry an icon and the words.

Both keep the ipywidgets contract the explorers rely on: a ``.value`` trait (a float; a tuple
of canonical terms) that can be set from Python and observed.

>>> s = NumberSlider(value=6.5, min=0.1, max=200, step=0.1, scale="log", description="WBC")
>>> s.value = 3.4; s.value
3.4
>>> c = CheckGroup(options=[("Fever", "fever"), ("Cough", "cough")], description="Symptoms")
>>> c.value = ["fever"]; c.value
('fever',)
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Iterable
from typing import Any

import anywidget
import traitlets

from ..errors import InvalidParameterError, unknown_name_message

__all__ = ["CheckGroup", "NumberSlider", "WholeNumberSlider"]

_HERE = pathlib.Path(__file__).parent
_ESM = _HERE / "controls.js"
_CSS = _HERE / "controls.css"


class NumberSlider(anywidget.AnyWidget):
    """A labelled slider with a number box (see the module docstring).

    ``grow=True`` lets a value above ``max`` (typed, or set from Python) widen the range
    instead of being clipped; otherwise values are kept within ``min``..``max``.

    >>> s = NumberSlider(value=1.0, min=0, max=10, step=0.1, description="Neutrophils",
    ...                  grow=True)
    >>> s.value = 25.0; s.max
    25.0
    """

    _esm = _ESM
    _css = _CSS
    kind = traitlets.Unicode("slider").tag(sync=True)
    value = traitlets.Float(0.0).tag(sync=True)
    min = traitlets.Float(0.0).tag(sync=True)
    max = traitlets.Float(100.0).tag(sync=True)
    step = traitlets.Float(1.0).tag(sync=True)
    page = traitlets.Float(10.0).tag(sync=True)
    decimals = traitlets.Int(1).tag(sync=True)
    scale = traitlets.Unicode("linear").tag(sync=True)
    grow = traitlets.Bool(False).tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    unit = traitlets.Unicode("").tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)
    tooltip = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(self, *, value: float, min: float, max: float, step: float,
                 page: float | None = None, decimals: int | None = None, **kwargs: Any) -> None:
        if scale := kwargs.get("scale"):
            if scale not in ("linear", "log"):
                raise InvalidParameterError(f"The 'scale' must be 'linear' or 'log'; got {scale!r}.")
            if scale == "log" and min <= 0:
                raise InvalidParameterError(f"A log scale needs 'min' above 0; got {min!r}.")
        if decimals is None:
            decimals = -math.floor(math.log10(step) + 1e-9) if step < 1 else 0
        super().__init__(min=float(min), max=float(max), step=float(step),
                         page=float(page if page is not None else 10 * step),
                         decimals=decimals, **kwargs)
        self.value = value

    @traitlets.validate("value")
    def _keep_in_range(self, proposal: dict) -> float:
        value = float(proposal["value"])
        if not math.isfinite(value):
            raise InvalidParameterError(f"{self.description or 'The value'} must be a finite "
                                        f"number; got {proposal['value']!r}.")
        if value > self.max:
            if not self.grow:
                return self.max
            self.max = value
        if value < self.min:
            return self.min
        return round(value, 10)


class WholeNumberSlider(NumberSlider):
    """A :class:`NumberSlider` whose value is a whole number (cycles, days, a patient number).

    >>> WholeNumberSlider(value=3, min=1, max=6, step=1, description="Cycles").value
    3
    """

    value = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("decimals", 0)
        super().__init__(**kwargs)

    @traitlets.validate("value")
    def _keep_in_range(self, proposal: dict) -> int:
        return int(round(super()._keep_in_range(proposal)))


class CheckGroup(anywidget.AnyWidget):
    """Tick boxes in groups; ``.value`` is the tuple of ticked canonical terms.

    ``options`` are ``(label, term)`` pairs or dicts with ``label``, ``term``, optional
    ``group`` and ``warn`` (a warning sign: marked with an icon and words). A non-empty
    ``filter_label`` shows a filter box (for long lists). Setting ``.value`` to a term that
    is not an option raises an error that lists the close matches.

    >>> c = CheckGroup(options=[{"label": "Fever", "term": "fever", "warn": True}],
    ...                description="Symptoms")
    >>> c.value = ("fevr",)
    Traceback (most recent call last):
    ...
    cbc_teach.errors.InvalidParameterError: Unknown symptoms 'fevr'. Did you mean 'fever'? ...
    """

    _esm = _ESM
    _css = _CSS
    kind = traitlets.Unicode("checks").tag(sync=True)
    value = traitlets.Tuple().tag(sync=True)
    options = traitlets.List().tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    filter_label = traitlets.Unicode("").tag(sync=True)
    tooltip = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(self, *, options: Iterable[Any], value: Iterable[str] = (),
                 **kwargs: Any) -> None:
        super().__init__(options=[_option(o) for o in options], **kwargs)
        self.value = tuple(value)

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term offered, in display order."""
        return tuple(o["term"] for o in self.options)

    def add_options(self, options: Iterable[Any]) -> None:
        """Offer more terms (e.g. an unknown medication of a loaded case), keeping the ticks."""
        chosen = self.value
        self.options = [*self.options, *(_option(o) for o in options)]
        self.value = chosen

    @traitlets.validate("options")
    def _check_options(self, proposal: dict) -> list:
        return [_option(o) for o in proposal["value"]]

    @traitlets.validate("value")
    def _check_value(self, proposal: dict) -> tuple[str, ...]:
        value = proposal["value"]
        if isinstance(value, str):
            value = (value,)
        value = tuple(dict.fromkeys(value))
        known = self.terms
        for term in value:
            if term not in known:
                what = self.description.split(" (")[0].lower() or "term"
                raise InvalidParameterError(unknown_name_message(what, term, known))
        order = {term: i for i, term in enumerate(known)}
        return tuple(sorted(value, key=order.__getitem__))


def _option(option: Any) -> dict:
    if isinstance(option, dict):
        return {"label": str(option["label"]), "term": str(option["term"]),
                "group": str(option.get("group", "")), "warn": bool(option.get("warn", False))}
    label, term = option
    return {"label": str(label), "term": str(term), "group": "", "warn": False}
