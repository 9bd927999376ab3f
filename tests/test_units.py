"""parse_count and value checks: every documented unit spelling, and clear errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbc_teach import InvalidCountError, parse_count
from cbc_teach.units import check_value

# (spelling, how many x10^9/L one unit of it is): written from the module's documentation.
PER_LITRE_9 = ["x10^9/L", "x 10^9/L", "10^9/L", "x10e9/L", "10*9/L", "G/L", "/nL"]
PER_MICROLITRE_3 = ["x10^3/uL", "10^3/uL", "10*3/uL", "K/uL", "K/mcL", "thou/uL", "x10^3/µL"]
PER_MICROLITRE = ["/uL", "cells/uL", "/mcL", "/mm3", "cells/mm3", "/cmm", "/µL", "cells/mm^3"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2,800/uL", 2.8),
        ("2800 cells/mm3", 2.8),
        ("2.8 x10^9/L", 2.8),
        ("2.8 K/uL", 2.8),
        ("2.8", 2.8),
        ("  2.8  ", 2.8),
        ("2,8 x10^9/L", 2.8),
        ("12,345/uL", 12.345),
        ("2.8e9/L", 2.8),
        ("0/uL", 0.0),
    ],
)
def test_parse_count_examples(text, expected):
    """The SPEC's examples and the documented edge cases give x10^9/L."""
    assert parse_count(text) == pytest.approx(expected, rel=1e-12)


def test_parse_count_numbers_pass_through():
    """Numbers are already x10^9/L."""
    assert parse_count(3) == 3.0
    assert parse_count(2.5) == 2.5


@given(st.floats(min_value=0, max_value=400, allow_nan=False).map(lambda x: round(x, 3)))
def test_every_documented_spelling_round_trips(value):
    """Any count written in any documented unit parses back to the same x10^9/L."""
    for unit in PER_LITRE_9 + PER_MICROLITRE_3:
        assert parse_count(f"{value} {unit}") == pytest.approx(value, rel=1e-12, abs=1e-12)
        if not unit[0].isdigit():  # "2.810^9/L" would be ambiguous: no-space only for letters
            assert parse_count(f"{value}{unit}") == pytest.approx(value, rel=1e-12, abs=1e-12)
    for unit in PER_MICROLITRE:
        assert parse_count(f"{value * 1000:.3f} {unit}") == pytest.approx(value, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("bad", ["abc", "2.8 furlongs", "", "--3", True, None, [2.8]])
def test_parse_count_rejects_garbage_with_a_clear_message(bad):
    """Unreadable values raise InvalidCountError (a ValueError) naming what was received."""
    with pytest.raises(InvalidCountError) as info:
        parse_count(bad, name="wbc")
    assert "'wbc'" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_unit_lists_known_units():
    """An unknown unit names the unit and the spellings that work."""
    with pytest.raises(InvalidCountError, match=r"furlongs.*x10\^9/L.*cells/uL"):
        parse_count("2 furlongs")


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("wbc", -1, "cannot be negative"),
        ("wbc", math.nan, "not a number"),
        ("wbc", math.inf, "infinite"),
        ("wbc", 7500, "Did you enter cells/uL? 7500 cells/uL is 7.5 x10^9/L"),
        ("platelets", 250000, "250000 cells/uL is 250 x10^9/L"),
        ("hemoglobin", 135, "Did you enter g/L? 135 g/L is 13.5 g/dL"),
        ("temperature_c", 101.3, "Did you enter degrees F"),
    ],
)
def test_check_value_messages(name, value, fragment):
    """Each error names the argument, the value and the allowed range, with unit hints."""
    with pytest.raises(InvalidCountError) as info:
        check_value(name, value)
    message = str(info.value)
    assert f"'{name}'" in message
    assert fragment in message
