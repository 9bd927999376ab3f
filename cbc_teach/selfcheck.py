"""Ungraded self-check questions for the course notebooks, with immediate feedback.

A question is plain data: a prompt, the right answer, an explanation and hints for the usual
mistakes. Two ways to answer it:

- in a notebook, ``display(question)`` shows a small widget (an input, a **Check** button, a
  **Show answer** button and a feedback area); the feedback appears in an HTML widget, never
  printed, so a stored notebook stays the same when it is run again;
- in Python, :func:`check_answer` returns a :class:`Feedback` (``.correct`` and ``.message``).

Nothing is recorded or graded: the course's graded exercises live in ``cbc_teach.exercises``.

>>> q = number_question("WBC 2.0 x10^9/L with 60 % neutrophils and no bands: the ANC?",
...                     answer=1.2, tolerance=0.01, unit="x10^9/L",
...                     explanation="ANC = 2.0 x 60 / 100 = 1.2 x10^9/L.",
...                     mistakes=[(60, "60 is the percentage; multiply it by the WBC and "
...                                    "divide by 100.")])
>>> check_answer(q, 1.2).correct
True
>>> print(check_answer(q, "1,200/uL"))
Correct. ANC = 2.0 x 60 / 100 = 1.2 x10^9/L.
>>> print(check_answer(q, 60))
Not quite. 60 is the percentage; multiply it by the WBC and divide by 100. Try again.
>>> c = choice_question("Which cell does the ANC count?", ["Lymphocytes", "Neutrophils"],
...                     answer="Neutrophils", explanation="ANC: absolute neutrophil count.")
>>> check_answer(c, "Lymphocytes").correct
False
"""

from __future__ import annotations

import abc
import html
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidCountError, InvalidParameterError

__all__ = [
    "ChoiceQuestion",
    "Feedback",
    "NumberQuestion",
    "check_answer",
    "choice_question",
    "number_question",
]

#: The unit for which a typed answer may carry a count unit ("1,500/uL", "1.5 K/uL").
COUNT_UNIT = "x10^9/L"
_EPSILON = 1e-9  # floating-point slack added to every numeric tolerance


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: ``correct`` is True, False, or None (no readable answer)."""

    correct: bool | None
    message: str
    revealed: bool = False

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        # Plain words only (nbval compares this text when a cell ends with a Feedback).
        return self.message

    def _repr_html_(self) -> str:
        return _feedback_html(self)


def _feedback_html(feedback: Feedback | None) -> str:
    if feedback is None:
        return ""
    if feedback.revealed:
        symbol, words, colour = "&#9432;", "Answer", "#0b4f8a"
    elif feedback.correct is None:
        symbol, words, colour = "&#8230;", "Not checked", "#555555"
    elif feedback.correct:
        symbol, words, colour = "&#10003;", "Correct", "#1b6e20"
    else:
        symbol, words, colour = "&#10007;", "Not quite", "#b3261e"
    text = re.sub(r"^(Correct|Not quite)\.\s*", "", feedback.message)
    return (
        f'<div class="cbct-feedback" role="status" style="border-left:4px solid {colour};'
        f'padding:4px 8px;margin:4px 0;font-family:sans-serif">'
        f'<b style="color:{colour}">{symbol} {words}.</b> {html.escape(text)}</div>'
    )


class _Question(abc.ABC):
    """What both kinds of question share: the prompt, explanation, title and display."""

    kind = "question"
    prompt: str
    explanation: str
    title: str

    @abc.abstractmethod
    def check(self, response: Any) -> Feedback:
        """Judge a response: right or wrong, with feedback."""

    @abc.abstractmethod
    def answer_text(self) -> str:
        """The right answer in words."""

    def reveal(self) -> Feedback:
        """The answer and its explanation (what **Show answer** displays)."""
        return Feedback(None, f"The answer: {self.answer_text()}. {self.explanation}".strip(),
                        revealed=True)

    def widget(self) -> Any:
        """A new interactive widget for this question (a :class:`QuestionWidget`)."""
        from .widgets.selfcheck import QuestionWidget

        return QuestionWidget(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        return self.widget()._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        prompt = self.prompt if len(self.prompt) <= 60 else self.prompt[:57] + "..."
        return f"{type(self).__name__}({self.title}: {prompt})"


class ChoiceQuestion(_Question):
    """A multiple-choice question: one right option, or several ("tick all that apply").

    Build it with :func:`choice_question`.
    """

    kind = "choice"

    def __init__(self, prompt: str, options: Sequence[str], answer: str | Iterable[str], *,
                 explanation: str = "", why_not: Mapping[str, str] | None = None,
                 title: str = "Self-check") -> None:
        self.prompt = _text("prompt", prompt)
        self.explanation = str(explanation)
        self.title = str(title)
        if isinstance(options, str) or not isinstance(options, Sequence) or len(options) < 2:
            raise InvalidParameterError(
                f"The 'options' must be a list of at least two strings; got {options!r}."
            )
        self.options = tuple(_text("option", o) for o in options)
        if len(set(self.options)) != len(self.options):
            raise InvalidParameterError(f"The 'options' must differ; got {list(self.options)}.")
        self.multiple = not isinstance(answer, str)
        answers = (answer,) if isinstance(answer, str) else tuple(answer)
        unknown = [a for a in answers if a not in self.options]
        if not answers or unknown:
            raise InvalidParameterError(
                f"The 'answer' must be one of the options {list(self.options)}"
                f" (or a list of them); got {answer!r}."
            )
        self.answers = frozenset(answers)
        self.why_not = dict(why_not or {})
        stray = [k for k in self.why_not if k not in self.options]
        if stray:
            raise InvalidParameterError(
                f"'why_not' names an option that does not exist: {stray[0]!r}; "
                f"options: {list(self.options)}."
            )

    def answer_text(self) -> str:
        return "; ".join(o for o in self.options if o in self.answers)

    def _selection(self, response: Any) -> tuple[str, ...] | str:
        """The options chosen, in the options' order; a message when it cannot be read."""
        if response is None or response == "" or response == ():
            return ()
        if isinstance(response, (str, numbers.Real)):
            items = [response]
        elif isinstance(response, Iterable):
            items = list(response)
        else:
            return f"{response!r} is not one of the options."
        chosen = []
        for item in items:
            text = f"{item:g}" if isinstance(item, numbers.Real) and not isinstance(item, bool) \
                else item
            if isinstance(text, str) and text.strip() in self.options:
                chosen.append(text.strip())
            elif isinstance(item, numbers.Integral) and not isinstance(item, bool):
                if not 0 <= item < len(self.options):
                    return f"There is no option number {item}; choose 0 to {len(self.options) - 1}."
                chosen.append(self.options[item])
            elif isinstance(item, str) and len(item.strip()) == 1 and item.strip().isalpha():
                index = ord(item.strip().upper()) - ord("A")
                if not 0 <= index < len(self.options):
                    return f"There is no option {item.strip()!r}."
                chosen.append(self.options[index])
            else:
                return f"{item!r} is not one of the options."
        return tuple(o for o in self.options if o in chosen)

    def check(self, response: Any) -> Feedback:
        """Judge a response: an option's text, its letter ("A") or index, or a list of them."""
        chosen = self._selection(response)
        if isinstance(chosen, str):
            return Feedback(None, chosen + " Choose from: " + "; ".join(self.options) + ".")
        if not chosen:
            return Feedback(None, "No answer yet: choose an option, then check.")
        if not self.multiple and len(chosen) > 1:
            return Feedback(None, "Choose just one option.")
        if set(chosen) == self.answers:
            return Feedback(True, f"Correct. {self.explanation}".strip())
        hints = [self.why_not[o] for o in chosen if o not in self.answers and o in self.why_not]
        if self.multiple:
            wrong = [o for o in chosen if o not in self.answers]
            missing = len(self.answers - set(chosen))
            parts = []
            if wrong:
                parts.append(f"{len(wrong)} of your choices {'is' if len(wrong) == 1 else 'are'} wrong.")
            if missing:
                parts.append(f"{missing} right option{' is' if missing == 1 else 's are'} not ticked.")
            hints = parts + hints
        message = " ".join(["Not quite.", *hints, "Try again."])
        return Feedback(False, message)


class NumberQuestion(_Question):
    """A question whose answer is a number, right within ``tolerance``.

    Build it with :func:`number_question`.
    """

    kind = "number"

    def __init__(self, prompt: str, answer: float, *, tolerance: float, unit: str = "",
                 explanation: str = "", too_low: str = "", too_high: str = "",
                 mistakes: Iterable[tuple[float, str]] = (), title: str = "Self-check") -> None:
        self.prompt = _text("prompt", prompt)
        self.answer = _finite("answer", answer)
        self.tolerance = _finite("tolerance", tolerance)
        if self.tolerance < 0:
            raise InvalidParameterError(f"The 'tolerance' must be 0 or more; got {tolerance!r}.")
        self.unit = str(unit)
        self.explanation = str(explanation)
        self.too_low = str(too_low)
        self.too_high = str(too_high)
        self.mistakes = tuple((_finite("mistake value", v), str(h)) for v, h in mistakes)
        self.title = str(title)

    def answer_text(self) -> str:
        return f"{self.answer:g} {self.unit}".strip()

    def _read(self, response: Any) -> float | str | None:
        if response is None or (isinstance(response, str) and not response.strip()):
            return None
        if isinstance(response, bool):
            return f"{response!r} is not a number."
        if isinstance(response, numbers.Real):
            value = float(response)
        elif isinstance(response, str):
            value = _parse_number(response, count=self.unit == COUNT_UNIT)
            if value is None:
                example = "1.5 or 1,500/uL" if self.unit == COUNT_UNIT else "1.5"
                return f"Could not read {response.strip()!r} as a number; type one such as {example}."
        else:
            return f"{response!r} is not a number."
        if not math.isfinite(value):
            return f"{response!r} is not a finite number."
        return value

    def _close(self, value: float, target: float) -> bool:
        return abs(value - target) <= self.tolerance + _EPSILON * max(1.0, abs(target))

    def check(self, response: Any) -> Feedback:
        """Judge a response: a number, or text such as "1.5" (or "1,500/uL" for counts)."""
        value = self._read(response)
        if value is None:
            return Feedback(None, "No answer yet: type a number, then check.")
        if isinstance(value, str):
            return Feedback(None, value)
        if self._close(value, self.answer):
            return Feedback(True, f"Correct. {self.explanation}".strip())
        for target, hint in self.mistakes:
            if self._close(value, target):
                return Feedback(False, f"Not quite. {hint} Try again.")
        if self.unit == COUNT_UNIT and self.answer and self._close(value / 1000.0, self.answer):
            return Feedback(False, f"Not quite. {value:g} looks like cells/uL; the question asks "
                                   f"for x10^9/L (divide by 1,000). Try again.")
        hint = self.too_low if value < self.answer else self.too_high
        direction = "too low" if value < self.answer else "too high"
        parts = ["Not quite.", f"{value:g} is {direction}.", hint, "Try again."]
        return Feedback(False, " ".join(p for p in parts if p))


def choice_question(prompt: str, options: Sequence[str], answer: str | Iterable[str], *,
                    explanation: str = "", why_not: Mapping[str, str] | None = None,
                    title: str = "Self-check") -> ChoiceQuestion:
    """A multiple-choice self-check. A list of answers makes it "tick all that apply".

    ``why_not`` maps a wrong option to the hint shown when it is chosen.

    >>> q = choice_question("Steroids make the WBC...", ["fall", "rise"], answer="rise",
    ...                     explanation="Neutrophils leave the vessel walls and the marrow.",
    ...                     why_not={"fall": "They lower lymphocytes, not the total."})
    >>> print(check_answer(q, "fall"))
    Not quite. They lower lymphocytes, not the total. Try again.
    >>> check_answer(q, "B").correct  # options can be named by letter
    True
    """
    return ChoiceQuestion(prompt, options, answer, explanation=explanation, why_not=why_not,
                          title=title)


def number_question(prompt: str, answer: float, *, tolerance: float, unit: str = "",
                    explanation: str = "", too_low: str = "", too_high: str = "",
                    mistakes: Iterable[tuple[float, str]] = (),
                    title: str = "Self-check") -> NumberQuestion:
    """A numeric self-check, right within ``tolerance`` (absolute, in the answer's unit).

    ``mistakes`` lists ``(value, hint)`` pairs for answers that come from a known slip;
    ``too_low``/``too_high`` are hints for other wrong answers. With ``unit="x10^9/L"`` a typed
    answer may carry a count unit (``"1,500/uL"``), and an answer 1,000 times too big is
    recognised as cells/uL.

    >>> q = number_question("The ANC for WBC 4.0, 30 % neutrophils, 5 % bands?", answer=1.4,
    ...                     tolerance=0.05, unit="x10^9/L",
    ...                     mistakes=[(1.2, "Bands count towards the ANC.")])
    >>> print(check_answer(q, 1.2))
    Not quite. Bands count towards the ANC. Try again.
    >>> print(check_answer(q, 1400))
    Not quite. 1400 looks like cells/uL; the question asks for x10^9/L (divide by 1,000). Try again.
    >>> check_answer(q, "1.42").correct
    True
    """
    return NumberQuestion(prompt, answer, tolerance=tolerance, unit=unit,
                          explanation=explanation, too_low=too_low, too_high=too_high,
                          mistakes=mistakes, title=title)


def check_answer(question: ChoiceQuestion | NumberQuestion, response: Any) -> Feedback:
    """Check a typed answer to a self-check question; returns a :class:`Feedback`.

    ``None`` (or an empty string) means "not answered yet".

    >>> q = choice_question("Severe neutropenia starts below...", ["1.5", "1.0", "0.5"],
    ...                     answer="0.5")
    >>> check_answer(q, None)
    No answer yet: choose an option, then check.
    >>> check_answer(q, "0.5").correct
    True
    """
    if not isinstance(question, _Question):
        raise InvalidParameterError(
            "check_answer() needs a question made by choice_question() or number_question(); "
            f"got {type(question).__name__}."
        )
    return question.check(response)


def __getattr__(name: str) -> Any:
    # The widget lives in cbc_teach.widgets (ipywidgets is imported only when it is used).
    if name == "QuestionWidget":
        from .widgets.selfcheck import QuestionWidget

        return QuestionWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(f"The '{name}' must be non-empty text; got {value!r}.")
    return value.strip()


def _finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InvalidParameterError(f"The '{name}' must be a finite number; got {value!r}.")
    return float(value)


_PLAIN = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)(e[+-]?\d+)?$", re.IGNORECASE)


def _parse_number(text: str, *, count: bool) -> float | None:
    """A typed number ("1.5", "1,5", "15 %"); with ``count``, also counts with units."""
    text = text.strip()
    if count:
        from .units import parse_count

        try:
            return parse_count(text)
        except (InvalidCountError, ValueError):
            return None
    text = text.rstrip("%").strip().replace(" ", "")
    if _PLAIN.match(text):
        return float(text.replace(",", "."))
    return None
