"""The self-check questions' widget: an input, **Check**, **Show answer** and feedback.

The questions themselves are plain data in :mod:`cbc_teach.selfcheck` (no ipywidgets); this
module is their view, imported when a question is displayed.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from ..errors import InvalidParameterError
from ..selfcheck import ChoiceQuestion, Feedback, NumberQuestion

__all__ = ["QuestionWidget"]


class QuestionWidget:
    """The interactive form of a question: an input, **Check**, **Show answer**, feedback.

    ``.box`` is the ipywidgets ``VBox`` shown in the notebook; ``.controls`` holds the input
    (``"answer"``: radio buttons, tick boxes in a ``VBox`` or a text box) and the buttons
    (``"check"``, ``"show"``); ``.feedback`` is the HTML widget with the verdict and ``.state``
    the latest :class:`Feedback` (None before the first check). Callbacks never print.

    >>> from cbc_teach.selfcheck import number_question
    >>> w = number_question("2 + 2?", 4, tolerance=0).widget()
    >>> w.set_answer("5"); w.check().correct
    False
    >>> "Not quite" in w.feedback.value
    True
    >>> w.set_answer(4); w.controls["check"].click(); w.state.correct
    True
    """

    def __init__(self, question: ChoiceQuestion | NumberQuestion) -> None:
        self.question = question
        self._quiet = False
        self.state: Feedback | None = None
        prompt = widgets.HTML(
            '<div style="font-family:sans-serif"><b>' + html.escape(question.title) + "</b><br>"
            + html.escape(question.prompt) + "</div>"
        )
        layout = widgets.Layout(width="auto")
        if isinstance(question, NumberQuestion):
            placeholder = "type a number" + (f" ({question.unit})" if question.unit else "")
            # Sent on Enter (or when the box loses focus): Enter checks the answer.
            answer: Any = widgets.Text(value="", placeholder=placeholder, description="Answer:",
                                       continuous_update=False,
                                       layout=widgets.Layout(width="320px"))
            answer.observe(self._on_enter, names="value")
            self._boxes: list = []
        elif question.multiple:
            self._boxes = [widgets.Checkbox(value=False, description=o, indent=False,
                                            layout=layout) for o in question.options]
            answer = widgets.VBox(self._boxes)
        else:
            answer = widgets.RadioButtons(options=list(question.options), value=None,
                                          layout=layout)
            self._boxes = []
        check = widgets.Button(description="Check", button_style="primary",
                               tooltip="Check your answer", icon="check")
        show = widgets.Button(description="Show answer", tooltip="Show the answer and why",
                              icon="eye")
        self.feedback = widgets.HTML(value="")
        self.controls = {"answer": answer, "check": check, "show": show}
        check.on_click(lambda _b: self.check())
        show.on_click(lambda _b: self.show_answer())
        self.box = widgets.VBox([prompt, answer, widgets.HBox([check, show]), self.feedback])
        self.box.add_class("cbct-selfcheck")

    def response(self) -> Any:
        """The answer as currently entered (None when nothing is entered)."""
        q = self.question
        if isinstance(q, NumberQuestion):
            return self.controls["answer"].value
        if q.multiple:
            return tuple(o for o, b in zip(q.options, self._boxes) if b.value)
        return self.controls["answer"].value

    def set_answer(self, value: Any) -> None:
        """Enter an answer (as a student would), without checking it."""
        q = self.question
        if isinstance(q, NumberQuestion):
            self._quiet = True
            try:
                self.controls["answer"].value = "" if value is None else str(value)
            finally:
                self._quiet = False
        elif q.multiple:
            chosen = q._selection(value)
            if isinstance(chosen, str):
                raise InvalidParameterError(chosen)
            for option, box in zip(q.options, self._boxes):
                box.value = option in chosen
        else:
            chosen = q._selection(value)
            if isinstance(chosen, str) or len(chosen) > 1:
                raise InvalidParameterError(
                    f"Choose one of {list(q.options)}; got {value!r}.")
            self.controls["answer"].value = chosen[0] if chosen else None

    def _on_enter(self, change: dict) -> None:
        if not self._quiet and change["new"].strip():
            self.check()

    def _show(self, feedback: Feedback) -> Feedback:
        self.state = feedback
        self.feedback.value = feedback._repr_html_()
        return feedback

    def check(self) -> Feedback:
        """Check the entered answer and show the feedback (what **Check** does)."""
        try:
            feedback = self.question.check(self.response())
        except Exception as exc:  # noqa: BLE001 - a button callback must never raise or print
            feedback = Feedback(None, f"Could not check this answer: {exc}")
        return self._show(feedback)

    def show_answer(self) -> Feedback:
        """Show the answer and its explanation (what **Show answer** does)."""
        return self._show(self.question.reveal())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.box._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)  # deterministic words, not the widget tree
        return bundle

    def __repr__(self) -> str:
        # What a static view (or a notebook before its cells run) shows: plain words.
        return f"{self.question.title}: {self.question.prompt} (run this cell to answer)"
