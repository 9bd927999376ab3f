"""Shared helpers of ``cbc_teach.simulate``: seeds, parameter files and argument checks."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._data import read_toml
from ..errors import InvalidParameterError

__all__ = [
    "check_choice",
    "check_int",
    "check_number",
    "make_rng",
    "params",
]

#: The 2.5th-97.5th percentile span of a normal distribution in standard deviations (2 x 1.95996).
Z_95 = 2 * 1.959963984540054


def params() -> dict:
    """The parsed ``data/simulation.toml`` (cached by ``_data.read_toml``)."""
    return read_toml("simulation.toml")


def make_rng(seed: object) -> np.random.Generator:
    """A numpy Generator from ``seed`` (an int >= 0, a Generator, a SeedSequence or None).

    >>> int(make_rng(1).integers(100)) == int(make_rng(1).integers(100))
    True
    >>> make_rng(-1)
    Traceback (most recent call last):
    ...
    cbc_teach.errors.InvalidParameterError: The 'seed' must be a whole number >= 0, a numpy.random.Generator or None; got -1.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and int(seed) >= 0:
        return np.random.default_rng(int(seed))
    raise InvalidParameterError(
        "The 'seed' must be a whole number >= 0, a numpy.random.Generator or None; "
        f"got {seed!r}."
    )


def check_number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    unit: str = "",
) -> float:
    """Return ``value`` as a float, or raise an error naming the argument and the allowed range.

    >>> check_number("mtt_hours", 88.7, low=0, low_open=True)
    88.7
    >>> check_number("mtt_hours", -5, low=0, low_open=True, unit="hours")
    Traceback (most recent call last):
    ...
    cbc_teach.errors.InvalidParameterError: The 'mtt_hours' must be a number greater than 0 hours; got -5.
    """
    unit_text = f" {unit}" if unit else ""
    if low is not None and high is not None:
        allowed = f"from {low:g} to {high:g}{unit_text}"
        if low_open:
            allowed = f"greater than {low:g} and at most {high:g}{unit_text}"
    elif low is not None:
        allowed = (f"greater than {low:g}" if low_open else f"at least {low:g}") + unit_text
    elif high is not None:
        allowed = f"at most {high:g}{unit_text}"
    else:
        allowed = "finite"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"The {name!r} must be a number {allowed}; got {value!r}.")
    number = float(value)
    bad = math.isnan(number) or math.isinf(number)
    if not bad and low is not None:
        bad = number <= low if low_open else number < low
    if not bad and high is not None:
        bad = number > high
    if bad:
        raise InvalidParameterError(f"The {name!r} must be a number {allowed}; got {value!r}.")
    return number


def check_int(name: str, value: object, *, low: int, high: int) -> int:
    """Return ``value`` as an int within [low, high], or raise a clear error.

    >>> check_int("cycles", 0, low=1, high=12)
    Traceback (most recent call last):
    ...
    cbc_teach.errors.InvalidParameterError: The 'cycles' must be a whole number from 1 to 12; got 0.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise InvalidParameterError(
            f"The {name!r} must be a whole number from {low} to {high}; got {value!r}."
        )
    return int(value)


def check_choice(kind: str, value: object, known: list[str] | tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``known``; otherwise raise UnknownNameError listing them."""
    from ..errors import UnknownNameError, unknown_name_message

    if not isinstance(value, str) or value not in known:
        raise UnknownNameError(unknown_name_message(kind, value, known))
    return value
