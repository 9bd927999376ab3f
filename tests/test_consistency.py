"""The rules that keep an explorer's controls a valid input (cbc_teach.widgets.consistency)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbc_teach import CBC
from cbc_teach.widgets.consistency import DIFFERENTIAL, follow_up, make_consistent, other_cells

START = {"mode": "absolute", "wbc": 6.5, "neutrophils": 3.8, "bands": 0.0, "lymphocytes": 2.0,
         "monocytes": 0.45, "eosinophils": 0.2, "basophils": 0.05}
count = st.floats(0, 20).map(lambda x: round(x, 2))


def _apply(values, changed, new):
    old = values[changed]
    values = {**values, changed: new}
    return {**values, **follow_up(values, changed, old)}


@given(moves=st.lists(st.tuples(st.sampled_from(("wbc", *DIFFERENTIAL)), count), max_size=10))
def test_any_sequence_of_moves_gives_a_valid_count(moves):
    """Whatever is moved, in whatever order, the controls describe a count the core accepts:
    the differential never exceeds the WBC."""
    values = dict(START)
    for changed, new in moves:
        if changed == "wbc" and new == 0:
            new = 0.1  # the WBC slider's lowest value
        values = _apply(values, changed, new)
        parts = sum(values[name] for name in DIFFERENTIAL)
        assert parts <= values["wbc"] + 1e-9
        CBC(values["wbc"], **{name: values[name] for name in DIFFERENTIAL})  # no error


@given(changed=st.sampled_from(DIFFERENTIAL), new=count)
def test_moving_a_cell_type_keeps_the_other_cells(changed, new):
    """Moving one cell type moves the WBC by the same amount: "other cells" stay."""
    before = other_cells({**START, "wbc": 7.0})
    after = _apply({**START, "wbc": 7.0}, changed, new)
    assert other_cells(after) == pytest.approx(before, abs=0.011)


def test_moving_the_wbc_keeps_the_percentages():
    """Halving the WBC halves every cell type (to the 0.01 of the controls, rounded down)."""
    after = _apply(START, "wbc", 3.25)
    assert after["neutrophils"] == 1.9 and after["lymphocytes"] == 1.0
    assert after["monocytes"] == 0.22  # 0.225 rounded down: the parts never exceed the WBC


def test_percent_mode_caps_a_rise_at_what_the_others_leave():
    """In percent mode a percentage cannot push the total past 100."""
    values = {**START, "mode": "percent", "neutrophils": 60.0, "lymphocytes": 30.0,
              "monocytes": 7.0, "eosinophils": 2.0, "basophils": 1.0}
    assert follow_up({**values, "bands": 10.0}, "bands", 0.0) == {"bands": 0.0}
    assert follow_up({**values, "lymphocytes": 20.0}, "lymphocytes", 30.0) == {}


def test_children_get_an_age_and_adult_ages_leave_the_childrens_intervals():
    """Choosing children with an adult's age sets 10 years; 18 or more switches to adults."""
    assert follow_up({"population": "child", "age_years": 40.0}, "population", "adult") == \
        {"age_years": 10.0}
    assert follow_up({"population": "child", "age_years": 0.5}, "population", "adult") == {}
    assert follow_up({"population": "child", "age_years": 18.0}, "age_years", 17.0) == \
        {"population": "adult"}
    assert make_consistent({"population": "child", "age_years": 40.0}) == {"age_years": 10.0}
