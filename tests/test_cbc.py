"""The CBC record: immutability, the ANC, percentages, and input errors."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbc_teach import CBC, InvalidCountError, InvalidDifferentialError


def test_cbc_is_immutable():
    """A CBC cannot be changed after it is made; replace() gives a new one."""
    cbc = CBC(5.0, neutrophils=3.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cbc.wbc = 2.0
    assert cbc.replace(wbc=4.0).wbc == 4.0
    assert cbc.wbc == 5.0


def test_strings_with_units_are_accepted_everywhere():
    """Counts may be given with units; hemoglobin in g/dL and MCV in fL as numbers."""
    cbc = CBC("4,200/uL", neutrophils="1.9 K/uL", lymphocytes="1800 cells/mm3",
              platelets="210 x10^9/L", hemoglobin=13.1, mcv=92)
    assert (cbc.wbc, cbc.neutrophils, cbc.lymphocytes, cbc.platelets) == (4.2, 1.9, 1.8, 210.0)


def test_anc_is_neutrophils_plus_bands():
    """ANC = segmented neutrophils + bands; unknown when neutrophils are unknown."""
    assert CBC(6.0, neutrophils=2.0, bands=0.3).anc == pytest.approx(2.3)
    assert CBC(6.0, neutrophils=2.0).anc == 2.0
    assert CBC(6.0).anc is None
    assert CBC(6.0, bands=0.3).anc is None


def test_anc_from_percentages_matches_the_textbook_formula():
    """ANC = WBC x (segs % + bands %) / 100 (REFERENCES.md)."""
    cbc = CBC.from_percentages(3.0, neutrophils=30, bands=5, lymphocytes=55, monocytes=8,
                               eosinophils=1, basophils=1)
    assert cbc.anc == pytest.approx(3.0 * 35 / 100)


@given(
    wbc=st.floats(0.1, 100).map(lambda x: round(x, 2)),
    split=st.lists(st.integers(0, 100), min_size=5, max_size=5).filter(lambda v: sum(v) > 0),
)
def test_percentages_and_absolute_counts_agree(wbc, split):
    """A CBC from percentages equals the CBC of WBC x fraction, and percentages() inverts it."""
    total = sum(split)
    pct = [100 * s / total for s in split]
    names = ["neutrophils", "lymphocytes", "monocytes", "eosinophils", "basophils"]
    from_pct = CBC.from_percentages(wbc, **dict(zip(names, pct)))
    absolute = CBC(wbc, **{n: wbc * p / 100 for n, p in zip(names, pct)})
    for name, p in zip(names, pct):
        assert getattr(from_pct, name) == pytest.approx(getattr(absolute, name), abs=1e-9)
        assert from_pct.percentages()[name] == pytest.approx(p, abs=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"wbc": -2}, "cannot be negative"),
        ({"wbc": math.nan}, "not a number"),
        ({"wbc": math.inf}, "infinite"),
        ({"wbc": 7500}, "7500 cells/uL is 7.5 x10^9/L"),
        ({"wbc": 5, "neutrophils": -0.1}, "'neutrophils'"),
        ({"wbc": 5, "platelets": 300000}, "300000 cells/uL is 300 x10^9/L"),
        ({"wbc": 5, "hemoglobin": 140}, "140 g/L is 14 g/dL"),
        ({"wbc": None}, "'wbc' count is required"),
    ],
)
def test_bad_counts_raise_clear_errors(kwargs, fragment):
    """Negative, NaN, infinite and implausible values are refused with a useful message."""
    wbc = kwargs.pop("wbc")
    with pytest.raises(InvalidCountError, match=re.escape(fragment)):
        CBC(wbc, **kwargs)


def test_differential_may_exceed_wbc_by_two_percent_only():
    """Parts up to 2 % over the WBC are rounding; more is an error naming the parts."""
    CBC(5.0, neutrophils=3.0, lymphocytes=2.1)  # 5.1 = +2 %: accepted
    with pytest.raises(InvalidDifferentialError, match=r"adds up to 5.2.*neutrophils 3 \+ lymphocytes 2.2.*'wbc' of 5"):
        CBC(5.0, neutrophils=3.0, lymphocytes=2.2)


@pytest.mark.parametrize("total", [97.9, 102.1, 80, 120])
def test_percentages_must_add_to_100_within_2(total):
    """With all five main cells given, the percentages must sum to 100 +/- 2."""
    with pytest.raises(InvalidDifferentialError, match="100 \\+/- 2"):
        CBC.from_percentages(5.0, neutrophils=total - 40, lymphocytes=30, monocytes=8,
                             eosinophils=1, basophils=1)


@pytest.mark.parametrize("total", [98.0, 100, 102.0])
def test_percentages_within_tolerance_are_accepted(total):
    """Sums of 98 to 102 are accepted (rounding on lab reports)."""
    CBC.from_percentages(5.0, neutrophils=total - 40, lymphocytes=30, monocytes=8,
                         eosinophils=1, basophils=1)


def test_partial_percentages_may_not_exceed_100():
    """With only some cells given the sum can be below 100 but not above 102."""
    assert CBC.from_percentages(5.0, neutrophils=50).neutrophils == 2.5
    with pytest.raises(InvalidDifferentialError):
        CBC.from_percentages(5.0, neutrophils=80, lymphocytes=30)


@pytest.mark.parametrize("bad", [-5, 120, math.nan, "lots"])
def test_a_percentage_outside_0_100_names_the_cell(bad):
    """Each percentage must be 0-100; the message names the cell type."""
    with pytest.raises(InvalidCountError, match="'lymphocytes' percentage"):
        CBC.from_percentages(5.0, neutrophils=50, lymphocytes=bad)


def test_str_reads_like_a_report():
    """The plain-text form lists the values with units."""
    text = str(CBC(4.0, neutrophils=2.0, hemoglobin=12.5, platelets=200))
    assert text == "CBC: WBC 4, neutrophils 2 x10^9/L; Hb 12.5 g/dL, platelets 200 x10^9/L"
