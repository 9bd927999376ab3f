"""FilmExplorer: count a 100-cell differential on a virtual blood film with the keyboard.

The student looks at one field at a time; the cell to classify is circled. A key press calls it
(the lab-style key map is shown on screen and is also a row of buttons):

====  ===================  ====  ===================
N     segmented neutrophil  E     eosinophil
B     band neutrophil       S     basophil
L     lymphocyte            X     blast
M     monocyte              Backspace  undo the last call
====  ===================  ====  ===================

The explorer moves to the next cell and field, keeps the tally (counts, percentages and
absolute counts from the WBC), signals when the target (100 cells) is reached, and then sets
the count beside the analyser's differential, judging each difference against the exact
binomial interval (:func:`cbc_teach.differential_ci`). A gallery mode shows labelled examples of
each kind and each finding.

The film field is a small ``anywidget`` (:class:`FilmView`): an image with alt text, a circle
over the current cell, and a keyboard listener that sends each key to Python, where it takes
the same path as :meth:`FilmExplorer.count`. The counting logic is
:class:`cbc_teach.film.DifferentialCount` (pure, no widgets).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import html
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets

from ..film import (
    KINDS,
    CountState,
    DifferentialCount,
    Slide,
    finding_info,
    findings,
    key_map,
    kind_for,
    kind_info,
    make_slide,
    render_cell,
    source_text,
    to_png,
)
from ._common import html_to_text

__all__ = ["FilmExplorer", "FilmView"]

_ESM = r"""
function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "cbct-film";
  box.tabIndex = 0;
  // JupyterLab and Notebook 7 must not treat N, B, M, X... as notebook shortcuts here.
  box.setAttribute("data-lm-suppress-shortcuts", "true");
  box.setAttribute("role", "application");
  box.style.cssText = "position:relative;display:inline-block;max-width:100%;outline-offset:3px;";
  const img = document.createElement("img");
  img.style.cssText = "display:block;width:720px;max-width:100%;height:auto;image-rendering:auto;";
  const ring = document.createElement("div");
  ring.className = "cbct-film-marker";
  ring.setAttribute("aria-hidden", "true");
  ring.style.cssText = "position:absolute;border:3px solid #0a7d2c;border-radius:50%;" +
    "box-shadow:0 0 0 2px rgba(255,255,255,.8);pointer-events:none;";
  const hint = document.createElement("div");
  hint.className = "cbct-film-hint";
  hint.style.cssText = "font:12px sans-serif;margin-top:4px;";
  box.append(img, ring);
  el.append(box, hint);
  function place(m) {
    if (m && m.length === 3) {
      ring.style.display = "block";
      ring.style.left = (m[0] - m[2]) + "%";
      ring.style.width = (2 * m[2]) + "%";
      const aspect = model.get("aspect");
      ring.style.top = (m[1] - m[2] / aspect) + "%";
      ring.style.height = (2 * m[2] / aspect) + "%";
    } else {
      ring.style.display = "none";
    }
  }
  function update() {
    if (img.src !== model.get("image")) img.src = model.get("image");
    img.alt = model.get("alt");
    box.setAttribute("aria-label", model.get("label"));
    place(model.get("marker"));
    box.dataset.cell = String(model.get("cell"));
    box.dataset.confirmed = String(model.get("cell"));
    hint.textContent = model.get("hint");
  }
  // Move to the next cell at once when its place (and, for a new field, its picture) is
  // known; the kernel's reply then confirms it (and always has the last word).
  function advance() {
    const next = model.get("next_marker");
    if (!next || next.length !== 3) return;
    const same = model.get("next_same_field");
    const picture = model.get("next_image");
    if (!same && !picture) return;
    if (!same) img.src = picture;
    place(next);
    box.dataset.cell = String(model.get("cell") + 1);
  }
  for (const name of ["image", "alt", "label", "marker", "cell", "hint"])
    model.on("change:" + name, update);
  update();
  box.addEventListener("click", () => box.focus());
  box.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const keys = model.get("count_keys");
    let message = null;
    if (event.key === "Backspace") message = { type: "undo" };
    else if (event.key.length === 1 && keys.includes(event.key.toUpperCase()))
      message = { type: "key", key: event.key.toUpperCase() };
    if (message) {
      event.preventDefault();
      event.stopPropagation();
      if (message.type === "key") advance();
      model.send(message);
    }
  });
}
export default { render };
"""


class FilmView(anywidget.AnyWidget):
    """The film field: image (PNG data URL) with alt text, the marker, and key events."""

    _esm = _ESM
    image = traitlets.Unicode("").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)
    #: centre x, centre y and radius of the circle, in percent of the image width/height
    marker = traitlets.List([]).tag(sync=True)
    aspect = traitlets.Float(4 / 3).tag(sync=True)
    cell = traitlets.Int(0).tag(sync=True)
    #: the cell after the current one, so the page can move there before the kernel replies
    next_marker = traitlets.List([]).tag(sync=True)
    next_same_field = traitlets.Bool(True).tag(sync=True)
    next_image = traitlets.Unicode("").tag(sync=True)
    count_keys = traitlets.List([]).tag(sync=True)


def _data_url(image) -> str:
    return "data:image/png;base64," + base64.b64encode(to_png(image)).decode("ascii")


@dataclass(frozen=True)
class GalleryEntry:
    """One subject of the gallery: a kind, or a finding drawn on its kind."""

    title: str
    kind: str
    features: tuple[str, ...]
    text: str
    sources: tuple[str, ...]


def gallery_entries() -> dict[str, GalleryEntry]:
    """The gallery's subjects, keyed ``kind:<kind>`` or ``finding:<finding>``."""
    out: dict[str, GalleryEntry] = {}
    for kind in KINDS:
        info = kind_info(kind)
        out[f"kind:{kind}"] = GalleryEntry(info["label"], kind, (), info["description"],
                                           (info["source"],))
    for name in findings():
        info = finding_info(name)
        feats = tuple(f for f in (info["feature"], info.get("also", "")) if f)
        out[f"finding:{name}"] = GalleryEntry(info["label"], info["kinds"][0], feats,
                                              info["definition"], tuple(info["sources"]))
    return out


def _key_help() -> str:
    rows = "".join(
        f'<tr><td><kbd style="font-weight:bold">{key}</kbd></td>'
        f"<td>{html.escape(kind_info(kind)['label'])}</td></tr>"
        for key, kind in key_map().items()
    )
    rows += '<tr><td><kbd style="font-weight:bold">Backspace</kbd></td><td>Undo the last call</td></tr>'
    return ('<div class="cbct-film-keys" style="font:12px sans-serif"><b>Keys</b> (click the '
            'field first, or use the buttons)<table>' + rows + "</table></div>")


class FilmExplorer(widgets.VBox):
    """Count a manual differential on a virtual blood film, with the keyboard or buttons.

    ``slide`` is a :class:`cbc_teach.film.Slide` (a healthy adult's 100 cells when None, from
    ``seed``). Press the key of the circled cell's kind (N, B, L, M, E, S, X; Backspace to
    undo), or call :meth:`count` from Python: both take the same path.

    >>> from cbc_teach.film import make_slide
    >>> explorer = FilmExplorer(make_slide(composition={"neutrophil": 3, "lymphocyte": 1},
    ...                                    seed=2))
    >>> for cell in explorer.slide.cells:
    ...     explorer.count(cell.kind)
    >>> explorer.state.total, explorer.state.percentages["neutrophil"]
    (4, 75.0)
    >>> explorer.undo()
    >>> explorer.state.total
    3
    """

    def __init__(self, slide: Slide | None = None, *, seed: int | None = None,
                 target: int | None = None) -> None:
        if slide is None:
            from ..cbc import CBC
            from ..film.catalogue import film_data
            default = film_data()["default_differential"]
            cbc = CBC.from_percentages(
                7.0, neutrophils=default["neutrophil"], bands=default["band"],
                lymphocytes=default["lymphocyte"], monocytes=default["monocyte"],
                eosinophils=default["eosinophil"], basophils=default["basophil"])
            slide = make_slide(cbc, seed=0 if seed is None else seed)
        self.slide = slide
        self._counter = DifferentialCount(slide, target=target)
        self._fields: OrderedDict[int, str] = OrderedDict()
        self.view = FilmView(count_keys=list(key_map()))
        w, h = slide.field_size
        self.view.aspect = w / h
        self.view.on_msg(self._on_message)
        self.buttons: dict[str, widgets.Button] = {}
        for key, kind in key_map().items():
            b = widgets.Button(description=f"{key} {kind_info(kind)['label']}",
                               tooltip=f"Count the circled cell as {kind_info(kind)['label']}"
                                       f" (key {key})",
                               layout=widgets.Layout(width="auto"))
            b.on_click(lambda _b, k=kind: self.count(k))
            self.buttons[kind] = b
        undo = widgets.Button(description="Undo (Backspace)", tooltip="Take back the last call",
                              layout=widgets.Layout(width="auto"))
        undo.on_click(lambda _b: self.undo())
        self.buttons["undo"] = undo
        mode = widgets.ToggleButtons(options=[("Count 100 cells", "count"),
                                              ("Gallery of cells", "gallery")],
                                     value="count", description="Mode",
                                     tooltip="Count the slide, or browse labelled examples")
        entries = gallery_entries()
        self._gallery = entries
        subject = widgets.Dropdown(options=[(e.title, k) for k, e in entries.items()],
                                   value="kind:neutrophil", description="Show",
                                   tooltip="The kind or finding to show in the gallery",
                                   layout=widgets.Layout(width="360px"))
        self.controls: dict[str, widgets.ValueWidget] = {"mode": mode, "gallery": subject}
        self.tally_html = widgets.HTML()
        self.status_html = widgets.HTML()
        self.gallery_html = widgets.HTML()
        self.keys_html = widgets.HTML(_key_help())
        title = widgets.HTML(
            '<div style="font-family:sans-serif"><b style="font-size:15px">The blood film: a '
            'manual differential</b><div style="font-size:12px">Classify the circled cell '
            "with a key; the film moves on. Count 100 cells, then compare with the analyser."
            "</div></div>")
        self._count_box = widgets.VBox([
            self.status_html,
            widgets.Box([self.view, widgets.VBox([self.keys_html, self.tally_html])],
                        layout=widgets.Layout(display="flex", flex_flow="row wrap",
                                              align_items="flex-start")),
            widgets.HBox(list(self.buttons.values()),
                         layout=widgets.Layout(flex_flow="row wrap")),
        ])
        self._gallery_box = widgets.VBox([subject, self.gallery_html])
        self._gallery_box.layout.display = "none"
        super().__init__([title, mode, self._count_box, self._gallery_box])
        self.add_class("cbct-explorer")
        self.add_class("cbct-film-explorer")
        mode.observe(self._on_mode, names="value")
        subject.observe(lambda _c: self._show_gallery(), names="value")
        self.state: CountState = self._counter.state()
        self._show()

    # --- counting -------------------------------------------------------------------------
    def count(self, kind: str) -> None:
        """Call the circled cell ``kind`` (name or key) and move on: what a key press does."""
        self.state = self._counter.count(kind_for(kind))
        self._show()

    def undo(self) -> None:
        """Take back the last call (Backspace)."""
        self.state = self._counter.undo()
        self._show()

    def reset(self) -> None:
        """Start the count again."""
        self.state = self._counter.reset()
        self._show()

    def _on_message(self, _widget: Any, content: dict, _buffers: Any) -> None:
        try:
            if content.get("type") == "undo":
                self.undo()
            elif content.get("type") == "key":
                self.count(content.get("key", ""))
        except ValueError:  # an unknown key: ignore it, a callback must never raise
            pass
        # Draw the next field once this reply has gone out (the kernel's event loop runs it
        # after the handler returns), so that the next key press finds it ready.
        # Without an event loop (plain Python) the field is simply drawn when needed.
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().call_later(0.01, self._prefetch)

    # --- display --------------------------------------------------------------------------
    def _field_url(self, field: int) -> str:
        if field not in self._fields:
            self._fields[field] = _data_url(self.slide.render_field(field))
            while len(self._fields) > 8:
                self._fields.popitem(last=False)
        return self._fields[field]

    def _next_cell(self):
        i = self.state.total + 1
        return self.slide.cells[i] if i < self.state.target else None

    def _prefetch(self) -> None:
        """Draw the next field ahead and hand it to the page, so the move to it is immediate."""
        cell, nxt = self.state.current, self._next_cell()
        if cell is not None and nxt is not None and nxt.field != cell.field:
            self.view.next_image = self._field_url(nxt.field)

    def _show(self) -> None:
        state = self.state
        cell = state.current
        w, h = self.slide.field_size
        with self.view.hold_sync():
            if cell is not None:
                self.view.image = self._field_url(cell.field)
                self.view.marker = [100 * cell.x / w, 100 * cell.y / h,
                                    100 * (cell.radius + 3) / w]
                others = len(self.slide.field_cells(cell.field))
                where = ("upper" if cell.y < h / 2 else "lower") + " " + \
                        ("left" if cell.x < w / 2 else "right")
                self.view.alt = (f"Blood film, field {cell.field + 1} of {self.slide.n_fields}: "
                                 f"red cells, platelets and {others} white "
                                 f"cell{'s' if others > 1 else ''}; the cell to classify is "
                                 f"circled ({where}).")
                self.view.label = (f"Blood film field. Cell {state.total + 1} of {state.target}."
                                   " Press N, B, L, M, E, S or X to count it, Backspace to undo.")
                self.view.hint = (f"Cell {state.total + 1} of {state.target} - field "
                                  f"{cell.field + 1} of {self.slide.n_fields}")
            else:
                self.view.marker = []
                self.view.hint = f"{state.total} cells counted: the count is complete."
                self.view.label = "Count complete. Backspace undoes the last call."
            self.view.cell = state.total
            nxt = self._next_cell() if cell is not None else None
            if nxt is None:
                self.view.next_marker = []
            else:
                self.view.next_marker = [100 * nxt.x / w, 100 * nxt.y / h,
                                         100 * (nxt.radius + 3) / w]
                self.view.next_same_field = nxt.field == cell.field
                self.view.next_image = ("" if nxt.field == cell.field
                                        else self._fields.get(nxt.field, ""))
        self.tally_html.value = self._tally_markup(state)
        self.status_html.value = self._status_markup(state)

    def _tally_markup(self, state: CountState) -> str:
        wbc = self.slide.wbc
        head = ("<tr><th style='text-align:left'>Kind</th><th>Cells</th><th>%</th>"
                + ("<th>x10^9/L</th>" if wbc is not None else "") + "</tr>")
        rows = []
        for kind in KINDS:
            absolute = state.absolute[kind]
            rows.append(
                f"<tr><td>{html.escape(kind_info(kind)['label'])}</td>"
                f"<td style='text-align:right'>{state.tally[kind]}</td>"
                f"<td style='text-align:right'>{state.percentages[kind]:.1f}</td>"
                + (f"<td style='text-align:right'>{absolute:.2f}</td>"
                   if absolute is not None else ("<td></td>" if wbc is not None else ""))
                + "</tr>")
        total = (f"<tr><td><b>Total</b></td><td style='text-align:right'><b>{state.total}</b>"
                 f"</td><td></td>{'<td></td>' if wbc is not None else ''}</tr>")
        wbc_line = (f"WBC {wbc:g} x10^9/L" if wbc is not None
                    else "No WBC: absolute counts need one")
        return (f"<div class='cbct-film-tally' style='font:12px sans-serif'><b>Tally</b> "
                f"({wbc_line})<table>{head}{''.join(rows)}{total}</table></div>")

    def _status_markup(self, state: CountState) -> str:
        if not state.complete:
            text = (f"Counted {state.total} of {state.target} cells. Click the field, then "
                    "press the key of the circled cell.")
            return (f"<div class='cbct-film-status' role='status' aria-live='polite' "
                    f"style='font:13px sans-serif'>{html.escape(text)}</div>")
        rows = []
        for row in state.comparison or ():
            if row.analyser_percent is None:
                verdict, analyser = "no analyser value", "-"
            else:
                analyser = f"{row.analyser_percent:.1f}"
                verdict = ("within the interval: the difference can be chance"
                           if row.within else "OUTSIDE the interval: look again")
            rows.append(f"<tr><td>{row.group}</td><td style='text-align:right'>"
                        f"{row.manual_percent:.1f}</td><td style='text-align:right'>"
                        f"{row.low:.1f}-{row.high:.1f}</td><td style='text-align:right'>"
                        f"{analyser}</td><td>{verdict}</td></tr>")
        return (
            "<div class='cbct-film-status cbct-film-done' role='status' aria-live='polite' "
            "style='font:13px sans-serif;border:2px solid #0a7d2c;padding:6px'>"
            f"<b>Done: {state.total} cells counted.</b> You called {state.correct} of them "
            "as the slide's key has them. Your count beside the analyser's differential "
            "(95 % exact binomial interval of your percentage; bands counted with the "
            "neutrophils):<table><tr><th>Group</th><th>Your %</th><th>95 % interval</th>"
            f"<th>Analyser %</th><th>Verdict</th></tr>{''.join(rows)}</table></div>")

    def _on_mode(self, change: dict) -> None:
        gallery = change["new"] == "gallery"
        self._count_box.layout.display = "none" if gallery else ""
        self._gallery_box.layout.display = "" if gallery else "none"
        if gallery:
            self._show_gallery()

    def _show_gallery(self) -> None:
        entry = self._gallery[self.controls["gallery"].value]
        label = kind_info(entry.kind)["label"]
        pictures = []
        for seed in range(4):
            image = render_cell(entry.kind, features=entry.features, seed=seed)
            url = _data_url(image)
            alt = f"{entry.title}: example {seed + 1} ({label}). {entry.text}"
            pictures.append(
                f"<figure style='margin:4px;display:inline-block;text-align:center'>"
                f"<img src='{url}' alt='{html.escape(alt, quote=True)}' "
                f"style='width:{2 * image.shape[1]}px;height:auto'>"
                f"<figcaption style='font:11px sans-serif'>{html.escape(entry.title)} "
                f"{seed + 1}</figcaption></figure>")
        sources = "; ".join(html.escape(source_text(s)) for s in entry.sources)
        self.gallery_html.value = (
            f"<div class='cbct-film-gallery' style='font:13px sans-serif'>"
            f"<b>{html.escape(entry.title)}</b><div>{''.join(pictures)}</div>"
            f"<p>{html.escape(entry.text)}</p><p style='font-size:11px'>Sources: {sources}</p>"
            "</div>")

    # --- reading --------------------------------------------------------------------------
    def displayed_text(self) -> str:
        """The text the explorer shows now (the tally and the status), as a student reads it."""
        parts = [self.status_html.value, self.tally_html.value]
        if self.controls["mode"].value == "gallery":
            parts = [self.gallery_html.value]
        return "\n".join(html_to_text(p) for p in parts if p)

    def __repr__(self) -> str:
        return f"FilmExplorer({self.state.total}/{self.state.target} cells counted)"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = ("FilmExplorer: an interactive explorer "
                                    "(run the notebook with ipywidgets to use it)")
        return bundle
