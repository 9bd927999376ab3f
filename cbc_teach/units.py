"""Reading counts written with units, and checking that values are plausible.

Counts are held in x10^9/L, which is the same number as x10^3/uL, "K/uL" and thousands per
mm^3. :func:`parse_count` accepts these spellings (case, spaces and the micro sign do not
matter):

========================================  ==========================  ==============
written as                                example                     factor to x10^9/L
========================================  ==========================  ==============
a bare number                             ``2.8`` or ``"2.8"``          1 (already x10^9/L)
``x10^9/L``, ``x 10^9/L``, ``10*9/L``,    ``"2.8 x10^9/L"``            1
``x10e9/L``, ``10^9/L``, ``G/L``, ``/nL``
``x10^3/uL``, ``10^3/uL``, ``10*3/uL``,   ``"2.8 K/uL"``               1
``K/uL``, ``K/mcL``, ``thou/uL``, ``/nL``
``/uL``, ``cells/uL``, ``/mcL``,          ``"2,800/uL"``               1/1000
``/mm3``, ``cells/mm3``, ``/cmm``
``/L``, ``cells/L``                       ``"2.8e9/L"``                1e-9
========================================  ==========================  ==============

A comma followed by groups of three digits is a thousands separator (``"2,800"``); a lone
comma followed by one or two digits is a decimal comma (``"2,8 x10^9/L"``).
"""

from __future__ import annotations

import math
import numbers
import re

from ._data import read_csv
from .errors import InvalidCountError

__all__ = ["check_value", "parse_count", "plausible_range"]

# Unit spelling (normalised: lower case, no spaces, micro sign as "u") -> divisor giving x10^9/L.
_UNITS: dict[str, float] = {}
for _spelling in (
    "x10^9/l", "x109/l", "10^9/l", "x10e9/l", "10e9/l", "10*9/l", "x10*9/l", "x10⁹/l",
    "10⁹/l", "g/l", "/nl", "cells/nl", "x10^3/ul", "x103/ul", "10^3/ul", "x10e3/ul", "10e3/ul",
    "10*3/ul", "x10*3/ul", "x10³/ul", "10³/ul", "k/ul", "k/mcl", "thou/ul", "thousand/ul",
    "x10^3/mm3", "10^3/mm3", "k/mm3", "x10^3/mm^3", "10^3/mm^3", "x10^3/mcl", "10^3/mcl",
):
    _UNITS[_spelling] = 1.0
for _spelling in (
    "/ul", "cells/ul", "/mcl", "cells/mcl", "/mm3", "/mm^3", "/mm³", "cells/mm3", "cells/mm^3",
    "cells/mm³", "/cmm", "cells/cmm", "percmm", "/cumm",
):
    _UNITS[_spelling] = 1e3
for _spelling in ("/l", "cells/l"):
    _UNITS[_spelling] = 1e9

_NUMBER = re.compile(
    r"^\s*(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:[.,]\d+)?(?:e[+-]?\d+)?)\s*(?P<unit>.*?)\s*$",
    re.IGNORECASE,
)


def _normalise_unit(unit: str) -> str:
    unit = unit.lower().replace("µ", "u").replace("μ", "u").replace(" ", "")
    unit = unit.replace("×", "x").replace("·", "").replace("/microliter", "/ul")
    unit = unit.replace("/microlitre", "/ul").replace("/litre", "/l").replace("/liter", "/l")
    return unit


def parse_count(value: object, *, name: str = "count") -> float:
    """Return a count in x10^9/L from a number or a string with units.

    >>> parse_count(2.8)
    2.8
    >>> parse_count("2,800/uL")
    2.8
    >>> parse_count("2800 cells/mm3")
    2.8
    >>> parse_count("2.8 x10^9/L")
    2.8
    >>> parse_count("2.8 K/uL")
    2.8

    A unit the toolkit does not know raises an error that lists the spellings it knows:

    >>> parse_count("2.8 furlongs")
    Traceback (most recent call last):
    ...
    cbc_teach.errors.InvalidCountError: The 'count' ... unit 'furlongs' is not one cbc_teach knows...
    """
    if isinstance(value, bool):
        raise InvalidCountError(
            f"The {name!r} must be a number or a string such as '2.8 x10^9/L'; got {value!r}."
        )
    if isinstance(value, numbers.Real):
        return float(value)
    if not isinstance(value, str):
        raise InvalidCountError(
            f"The {name!r} must be a number or a string such as '2.8 x10^9/L' or '2,800/uL'; "
            f"got {value!r} of type {type(value).__name__}."
        )
    match = _NUMBER.match(value)
    if not match:
        raise InvalidCountError(
            f"The {name!r} could not be read: got {value!r}. Write a number with an optional "
            "unit, such as '2.8', '2.8 x10^9/L', '2.8 K/uL' or '2,800/uL'."
        )
    text = match.group("num")
    if re.fullmatch(r"[+-]?\d+,\d{1,2}(?:e[+-]?\d+)?", text, re.IGNORECASE):
        text = text.replace(",", ".")  # a decimal comma: "2,8"
    number = float(text.replace(",", ""))
    unit = _normalise_unit(match.group("unit"))
    if unit == "":
        return number
    if unit not in _UNITS:
        raise InvalidCountError(
            f"The {name!r} {value!r}: the unit {match.group('unit')!r} is not one cbc_teach "
            "knows. Use x10^9/L (the same as x10^3/uL, K/uL, G/L or /nL), cells/uL, cells/mm3 "
            "or cells/L."
        )
    return number / _UNITS[unit]


def plausible_range(analyte: str) -> dict:
    """The plausibility row for ``analyte`` (min, max, unit, and the commonest unit mix-up).

    >>> plausible_range("wbc")["max"]
    500.0
    """
    for row in read_csv("plausibility.csv"):
        if row["analyte"] == analyte:
            return {
                "min": float(row["min"]),
                "max": float(row["max"]),
                "unit": row["unit"],
                "alt_unit": row["alt_unit"],
                "alt_factor": float(row["alt_factor"]) if row["alt_factor"] else None,
                "source": row["source"],
            }
    raise KeyError(analyte)


def _fmt(x: float) -> str:
    return f"{x:g}"


def check_value(name: str, value: object, *, analyte: str | None = None) -> float:
    """Return ``value`` as a float after checking it is a finite, plausible measurement.

    ``name`` is the argument's name for messages; ``analyte`` picks the plausibility row
    (default: the same as ``name``).

    >>> check_value("wbc", "7.5 K/uL")
    7.5
    >>> check_value("wbc", 7500)
    Traceback (most recent call last):
    ...
    cbc_teach.errors.InvalidCountError: The 'wbc' count must be in x10^9/L between 0 and 500; got 7500. Did you enter cells/uL? 7500 cells/uL is 7.5 x10^9/L.
    """
    limits = plausible_range(analyte or name)
    if limits["unit"] == "x10^9/L":
        number = parse_count(value, name=name)
        what = "count"
    else:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            if isinstance(value, str):
                try:
                    value = float(value.strip())
                except ValueError:
                    raise InvalidCountError(
                        f"The {name!r} must be a number in {limits['unit']}; got {value!r}."
                    ) from None
            else:
                raise InvalidCountError(
                    f"The {name!r} must be a number in {limits['unit']}; got {value!r}."
                )
        number = float(value)
        what = "value"
    lo, hi, unit = limits["min"], limits["max"], limits["unit"]
    if math.isnan(number):
        raise InvalidCountError(
            f"The {name!r} {what} is not a number (NaN); give a value in {unit} between "
            f"{_fmt(lo)} and {_fmt(hi)}, or leave it out (None) if it was not measured."
        )
    if math.isinf(number):
        raise InvalidCountError(
            f"The {name!r} {what} is infinite ({number}); give a value in {unit} between "
            f"{_fmt(lo)} and {_fmt(hi)}."
        )
    if number < 0:
        raise InvalidCountError(
            f"The {name!r} {what} cannot be negative; got {_fmt(number)}. Give a value in "
            f"{unit} between {_fmt(lo)} and {_fmt(hi)}."
        )
    if number < lo or number > hi:
        text = (
            f"The {name!r} {what} must be in {unit} between {_fmt(lo)} and {_fmt(hi)}; "
            f"got {_fmt(number)}."
        )
        factor = limits["alt_factor"]
        if factor and number > hi and lo <= number / factor <= hi:
            text += (
                f" Did you enter {limits['alt_unit']}? {_fmt(number)} {limits['alt_unit']} is "
                f"{_fmt(number / factor)} {unit}."
            )
        elif (analyte or name) == "temperature_c" and number > hi:
            text += f" Did you enter degrees F? {_fmt(number)} F is {_fmt(round((number - 32) * 5 / 9, 1))} C."
        raise InvalidCountError(text)
    return number
