"""What the explorers share: labelled controls and the :class:`Explorer` base class.

An explorer is a ``VBox`` holding its controls and a few ``HTML`` display widgets. Every
control's ``value`` is observed; a change calls :meth:`Explorer.refresh`, which runs the
explorer's pure view-model function on the current control values and writes the rendered
HTML into the display widgets. Nothing is printed, and everything happens synchronously, so
setting ``explorer.controls["wbc"].value = 2.8`` from Python updates ``explorer.state`` and
the display before the next line runs.

The base owns the update cycle (#15): a single move first moves the controls that must follow
it (:func:`.consistency.follow_up`: the differential with the WBC, an age with the children's
intervals), several values set together are made consistent once
(:func:`.consistency.make_consistent`), so every state the controls show is a valid input and
the result always matches it. The key result sits in a strip above the two columns; the
controls scroll in their own column.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import ipywidgets as widgets

from ..errors import InvalidParameterError, unknown_name_message
from .consistency import follow_up, make_consistent

__all__ = [
    "STYLE",
    "Explorer",
    "button",
    "checkbox",
    "dropdown",
    "check_group",
    "fit_range",
    "float_text",
    "heading",
    "html_to_text",
    "note",
    "number_slider",
    "on_click",
]

#: Descriptions keep their full width (never truncated).
STYLE = {"description_width": "initial"}


def _layout(width: str = "96%") -> widgets.Layout:
    return widgets.Layout(width=width, max_width="420px")


def number_slider(description: str, tooltip: str, *, value: float, min: float, max: float,
                  step: float, page: float | None = None, unit: str = "", scale: str = "linear",
                  grow: bool = False, decimals: int | None = None, hint: str = "",
                  whole: bool = False):
    """A labelled slider with a number box (arrows: ``step``; PageUp/PageDown: ``page``).

    A native ``<input type="range">`` named by its ``<label>`` (see :mod:`.controls`);
    ``whole`` for whole numbers (an ``int`` value).
    """
    from .controls import NumberSlider, WholeNumberSlider

    return (WholeNumberSlider if whole else NumberSlider)(value=value, min=min, max=max, step=step, page=page, unit=unit,
                        scale=scale, grow=grow, decimals=decimals, description=description,
                        tooltip=tooltip, hint=hint)


def float_text(description: str, tooltip: str, *, value: float, min: float, max: float,
               step: float) -> widgets.BoundedFloatText:
    """A labelled number box (type a value; arrow keys step it)."""
    return widgets.BoundedFloatText(
        value=value, min=min, max=max, step=step, description=description, tooltip=tooltip,
        style=STYLE, layout=_layout("260px"),
    )


def dropdown(description: str, tooltip: str, options: list[tuple[str, Any]],
             value: Any) -> widgets.Dropdown:
    """A labelled drop-down list of (label, value) options."""
    return widgets.Dropdown(options=options, value=value, description=description,
                            tooltip=tooltip, style=STYLE, layout=_layout())


def checkbox(description: str, tooltip: str, value: bool) -> widgets.Checkbox:
    """A labelled check box (the label is clickable; space toggles it)."""
    return widgets.Checkbox(value=value, description=description, tooltip=tooltip,
                            indent=False, style=STYLE, layout=_layout())


def check_group(description: str, tooltip: str, options: list, *, value=(),
                filter_label: str = ""):
    """Tick boxes in groups (plain clicks); the value is a tuple of canonical terms."""
    from .controls import CheckGroup

    return CheckGroup(options=options, value=value, description=description, tooltip=tooltip,
                      filter_label=filter_label)


def button(description: str, tooltip: str, icon: str = "") -> widgets.Button:
    """A labelled button (Enter or space presses it when focused)."""
    return widgets.Button(description=description, tooltip=tooltip, icon=icon,
                          layout=widgets.Layout(width="auto"))


def heading(text: str) -> widgets.HTML:
    """A small bold heading between groups of controls."""
    return widgets.HTML(f'<b style="font-size:13px">{html.escape(text)}</b>')


def note(text: str) -> widgets.HTML:
    """A short explanation between controls (plain words)."""
    return widgets.HTML(f'<div class="cbct-note" style="font-size:12px;max-width:400px;'
                        f'line-height:1.35;margin:2px 0 6px">{html.escape(text)}</div>')


def fit_range(control: widgets.Widget, value: Any) -> None:
    """Widen a slider's or number box's range so that ``value`` is not silently clipped.

    (ipywidgets clips a value outside ``min``..``max``; a loaded case may hold a WBC of 80.)
    """
    if not hasattr(control, "max") or isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if value > control.max:
            control.max = value
        if value < control.min:
            control.min = value


_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_CELL = re.compile(r"</?(?:td|th)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</?(?:div|p|tr|li|ul|table|details|summary|pre|h\d)\b[^>]*>|<br\s*/?>")


def html_to_text(markup: str) -> str:
    """The readable text of the explorers' HTML (drawings left out), one line per block.

    >>> html_to_text("<div><b>WBC</b> 2.8 &amp; <i>low</i>.</div><tr><td>a</td><td>b</td></tr>")
    'WBC 2.8 & low.\\na b'
    """
    text = _SVG.sub("", markup)
    text = _BLOCK.sub("\n", text)
    text = _CELL.sub(" ", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


class Explorer(widgets.VBox):
    """Base of the explorers: controls, display areas, ``.state`` and synchronous updates.

    Subclasses provide ``_compute(values) -> view`` (a pure view-model function whose result
    has an ``error`` attribute and a ``with_error(message)`` method), ``_render(view) -> dict``
    (HTML per display area) and ``_empty_view(values, error)`` (the view shown when the very
    first values are already invalid), and may override ``_react(change)`` to adjust other
    controls when one changes (it runs even while updates are held). ``strip`` names the output
    shown above both columns. The base class itself is never displayed; ipywidgets' metaclass
    rules out ``abc.ABC`` here.
    """

    def __init__(self, *, title: str, intro: str, controls: Mapping[str, widgets.ValueWidget],
                 control_panel: widgets.Widget, outputs: Mapping[str, widgets.HTML],
                 output_panel: widgets.Widget | None = None, strip: str | None = None,
                 **kwargs: Any) -> None:
        self.controls: dict[str, widgets.ValueWidget] = dict(controls)
        self.outputs: dict[str, widgets.HTML] = dict(outputs)
        self.state: Any = None
        self._last_valid: Any = None
        self._holding = 0
        self._title = title
        self._given: set[str] = set()  # controls set together since the last update
        self._start = {name: w.value for name, w in self.controls.items()}
        self._start_ranges = {name: (w.min, w.max) for name, w in self.controls.items()
                              if hasattr(w, "max")}
        header = widgets.HTML(
            f'<div style="font-family:sans-serif"><b style="font-size:15px">{html.escape(title)}'
            f'</b><div style="font-size:12px">{html.escape(intro)}</div></div>'
        )
        # The key result sits in a strip above both columns, so that it stays in view next to
        # the controls (it sticks to the top of the notebook while the controls scroll).
        strip_widget = self.outputs[strip] if strip is not None else None
        rest = [w for name, w in self.outputs.items() if name != strip]
        display = output_panel or widgets.VBox(rest)
        display.layout = widgets.Layout(flex="1 1 380px", min_width="300px")
        # The controls scroll within their own column (at most about a screen high), so the
        # result strip above them stays in view while a student works down the controls.
        control_panel.layout = widgets.Layout(flex="0 1 400px", min_width="290px",
                                              padding="0 12px 0 0", max_height="62vh",
                                              overflow="auto")
        control_panel.add_class("cbct-controls")
        body = widgets.Box([control_panel, display],
                           layout=widgets.Layout(display="flex", flex_flow="row wrap",
                                                 align_items="flex-start", width="100%"))
        children = [header, body]
        if strip_widget is not None:
            strip_widget.add_class("cbct-strip")
            children = [header, strip_widget, body]
        super().__init__(children, **kwargs)
        self.add_class("cbct-explorer")
        for control in self.controls.values():
            control.observe(self._on_value_change, names="value")

    def _start_with(self, given: Iterable[str]) -> None:
        """The first update: make the starting values consistent; they are what reset restores."""
        self._given = set(given)
        self.refresh()
        self._start = self.control_values()

    # --- values ---------------------------------------------------------------------------
    def control_values(self) -> dict[str, Any]:
        """The current value of every control, by name."""
        return {name: w.value for name, w in self.controls.items()}

    @contextlib.contextmanager
    def hold_updates(self, *, refresh: bool = True) -> Iterator[None]:
        """Change several controls, then update once (at the end, if ``refresh``)."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
        if refresh and not self._holding:
            self.refresh()

    def set_values(self, **values: Any) -> None:
        """Set several controls at once and update once.

        >>> from cbc_teach.widgets import CBCExplorer
        >>> ex = CBCExplorer()
        >>> ex.set_values(wbc=2.8, neutrophils=0.9, lymphocytes=1.5, monocytes=0.3,
        ...               eosinophils=0.08, basophils=0.02)
        >>> ex.state.classification.anc_severity
        'moderate'
        """
        unknown = [name for name in values if name not in self.controls]
        if unknown:
            raise InvalidParameterError(unknown_name_message("control", unknown[0],
                                                             self.controls))
        self._given.update(values)
        with self.hold_updates():
            for name in self._set_order(values):
                control = self.controls[name]
                fit_range(control, values[name])
                control.value = values[name]

    def _set_order(self, values: Mapping[str, Any]) -> list[str]:
        return list(values)

    def reset(self, _button: object = None) -> None:
        """Bring every control back to its starting value (a healthy adult by default)."""
        with self.hold_updates():
            self.set_values(**self._start)
            for name, (low, high) in self._start_ranges.items():
                control = self.controls[name]
                if low <= control.value <= high:  # ranges widened for a loaded case
                    control.min, control.max = low, high

    # --- updating -------------------------------------------------------------------------
    def _on_value_change(self, change: dict) -> None:
        self._react(change)
        if not self._holding:
            with self._results_first(change["owner"]):
                self._follow(change)
                self.refresh()

    @contextlib.contextmanager
    def _results_first(self, moved: widgets.Widget) -> Iterator[None]:
        """Send the new results to the page before the other controls' new values.

        The controls that follow a moved one (the differential after the WBC, say) hold
        their messages until the results have gone: the page changes one round of messages
        sooner, and each control sends one message for all its changes (range and value).
        """
        with contextlib.ExitStack() as stack:
            for control in self.controls.values():
                if control is not moved:
                    stack.enter_context(control.hold_sync())
            yield

    def _follow(self, change: dict) -> None:
        """Move the controls that must follow this one, so the input stays valid."""
        name = next((n for n, w in self.controls.items() if w is change["owner"]), None)
        if name is None:
            return
        updates = follow_up(self.control_values(), name, change["old"])
        if updates:
            with self.hold_updates(refresh=False):
                for other, value in updates.items():
                    fit_range(self.controls[other], value)
                    self.controls[other].value = value

    def _make_consistent(self) -> None:
        """After several controls were set at once: move what must move to keep them valid."""
        updates = make_consistent(self.control_values(), self._given)
        self._given = set()
        if updates:
            with self.hold_updates(refresh=False):
                for name, value in updates.items():
                    fit_range(self.controls[name], value)
                    self.controls[name].value = value

    def _react(self, change: dict) -> None:
        """Adjust other controls when one changes (subclasses); runs even when held."""

    def refresh(self) -> None:
        """Recompute the view model from the controls and redraw the display.

        Never raises: a problem becomes a friendly message in the display and in
        ``.state.error``, and the last valid result stays shown.
        """
        self._make_consistent()
        values = self.control_values()
        try:
            view = self._compute(values)
        except Exception as exc:  # noqa: BLE001 - a widget callback must never raise
            view = None
            error = f"Something went wrong; please tell the course team ({exc})."
        else:
            error = view.error
        if error is None:
            self._last_valid = view
            state = view
        elif self._last_valid is not None:
            state = self._last_valid.with_error(error)
        else:
            state = view if view is not None else self._empty_view(values, error)
        self.state = state
        for name, markup in self._render(state).items():
            if self.outputs[name].value != markup:
                self.outputs[name].value = markup

    # --- reading --------------------------------------------------------------------------
    def displayed_text(self) -> str:
        """The text the display shows now (drawings left out): what a student reads."""
        return "\n".join(html_to_text(w.value) for w in self.outputs.values() if w.value)

    def _repr_summary(self) -> str:
        return ""

    def __repr__(self) -> str:
        # Deterministic (no model ids, no addresses): the current result in one line.
        return f"{type(self).__name__}({self._repr_summary()})"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        # The text/plain a notebook stores (and nbval compares) is fixed: it never depends on
        # the state, the data files or the model id. Front ends with ipywidgets show the
        # widget instead; static viewers (GitHub, nbconvert) show this line.
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = f"{self._title}: an interactive explorer (run this cell to use it)"
        return bundle


def on_click(widget: widgets.Button, callback: Callable[[], None]) -> None:
    """Run ``callback`` when the button is pressed (mouse, Enter or space)."""
    widget.on_click(lambda _b: callback())
