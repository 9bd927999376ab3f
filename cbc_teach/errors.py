"""One hierarchy of errors, so a caller can catch ``CBCTeachError`` or the usual ``ValueError``.

Every message names the argument, the value received and what is allowed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "CBCTeachError",
    "GradingError",
    "InvalidCountError",
    "InvalidDifferentialError",
    "InvalidParameterError",
    "MissingAgeError",
    "UnknownNameError",
    "UnknownPopulationError",
    "UnknownTermError",
    "close_matches",
]


class CBCTeachError(Exception):
    """Base class of every error cbc_teach raises on purpose."""


class InvalidCountError(ValueError, CBCTeachError):
    """A count (or another measured value) is negative, not a number, or implausible."""


class InvalidDifferentialError(InvalidCountError):
    """The parts of a differential do not fit the total (sum too large, percentages not 100)."""


class InvalidParameterError(ValueError, CBCTeachError):
    """A parameter of a model, a simulation or a command is outside what is allowed."""


class UnknownNameError(ValueError, CBCTeachError):
    """A name (population, regimen, cause, exercise...) is not one the toolkit knows."""


class UnknownPopulationError(UnknownNameError):
    """The population name is not in the reference-interval data file."""


class UnknownTermError(UnknownNameError):
    """A history term (condition, exposure, symptom) is not in the vocabulary."""


class MissingAgeError(ValueError, CBCTeachError):
    """A population that depends on age (children) was used without an age."""


class GradingError(CBCTeachError):
    """The grader could not do what it was asked (bad exercise, bad roster, bad folder)."""


def close_matches(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` of ``choices`` that look like ``word`` (for "did you mean" hints).

    >>> close_matches("dufy_null", ["adult", "child", "duffy_null"])
    ['duffy_null']
    """
    choices = list(choices)
    found = difflib.get_close_matches(word, choices, n=n, cutoff=0.6)
    if not found:
        lowered = word.lower()
        found = [c for c in choices if lowered and (lowered in c.lower() or c.lower() in lowered)]
    return found[:n]


def unknown_name_message(kind: str, value: object, known: Iterable[str]) -> str:
    """Build the message for an unknown name: the value, close matches and every known name."""
    known = sorted(known)
    text = f"Unknown {kind} {value!r}."
    near = close_matches(str(value), known)
    if near:
        text += " Did you mean " + " or ".join(repr(k) for k in near) + "?"
    text += " Known: " + ", ".join(known) + "."
    return text
