"""Keep an explorer's controls a valid input after every move (pure; no ipywidgets).

A control that moves can make the other controls disagree with it: a WBC lowered below the
sum of its differential, percentages that add up to more than 100, an adult's age with the
children's reference intervals. Instead of reporting such input afterwards, the explorers ask
:func:`follow_up` which other controls must move with it, and move them, so that every state
the controls can show is a valid count. The rules, as the explorers explain them on screen
(:data:`WBC_RULE`):

- absolute mode: the WBC is the sum of the differential plus "other cells" (cells the
  differential does not list). Moving one cell type changes the WBC by the same amount;
  moving the WBC scales every cell type with it (the percentages stay the same).
- percent mode: a cell type can rise only as far as the others leave room for (100 % in all).
- children: choosing the children's intervals with an adult's age sets a child's age
  (:data:`CHILD_DEFAULT_AGE`); typing an age at or above
  :func:`~cbc_teach.reference.adult_age` switches to the adults' intervals.

>>> base = {"mode": "absolute", "wbc": 6.5, "neutrophils": 3.8, "bands": 0.0,
...         "lymphocytes": 2.0, "monocytes": 0.45, "eosinophils": 0.2, "basophils": 0.05}
>>> follow_up({**base, "neutrophils": 0.4}, "neutrophils", 3.8)
{'wbc': 3.1}
>>> follow_up({**base, "wbc": 3.25}, "wbc", 6.5)["neutrophils"]
1.9
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..cbc import PERCENT_TOLERANCE
from ..errors import CBCTeachError
from ..reference import adult_age, check_population

__all__ = ["CHILD_DEFAULT_AGE", "DIFFERENTIAL", "PERCENT_RULE", "WBC_RULE", "follow_up",
           "make_consistent", "other_cells"]

#: The differential's controls, in the order a laboratory report lists them.
DIFFERENTIAL = ("neutrophils", "bands", "lymphocytes", "monocytes", "eosinophils", "basophils")
#: The age set when the children's intervals are chosen for someone of adult age: a
#: school-age child, inside the widest children's age band (a teaching choice, not a norm).
CHILD_DEFAULT_AGE = 10.0
#: What the explorers say about the link between the WBC and the differential.
WBC_RULE = ("The WBC is the sum of the cell types below plus “other cells” that the "
            "differential does not list. Moving one cell type changes the WBC by the same "
            "amount; moving the WBC scales every cell type with it (their percentages stay).")
PERCENT_RULE = ("The percentages add up to at most 100 %: a cell type can rise only as far as "
                "the others leave room for; the rest are “other cells”.")
_CENT = 100  # counts are kept to 0.01 x10^9/L, percentages to 0.1 %


def _down(x: float, per: int) -> float:
    """``x`` rounded down to 1/``per`` (so that scaled parts never exceed their whole)."""
    return math.floor(x * per + 1e-6) / per


def _near(x: float, per: int) -> float:
    return round(x * per) / per


def other_cells(values: Mapping[str, Any]) -> float:
    """The white cells the differential does not list: WBC minus the differential (x10^9/L).

    >>> other_cells({"mode": "absolute", "wbc": 7.0, "neutrophils": 4.0, "bands": 0,
    ...              "lymphocytes": 2.0, "monocytes": 0.5, "eosinophils": 0.2, "basophils": 0.1})
    0.2
    """
    parts = sum(float(values[name]) for name in DIFFERENTIAL)
    if values.get("mode", "absolute") == "percent":
        return _near(float(values["wbc"]) * max(0.0, 100 - parts) / 100, _CENT)
    return _near(float(values["wbc"]) - parts, _CENT)


def follow_up(values: Mapping[str, Any], changed: str, old: Any) -> dict[str, Any]:
    """The other controls' new values after ``changed`` moved from ``old`` to its value now.

    ``values`` holds every control's current value (``changed`` already at its new value).
    The result holds only the controls that must move (possibly ``changed`` itself, when the
    controls cannot show its value: a percentage beyond what the others leave room for).

    >>> base = {"mode": "percent", "wbc": 6.5, "neutrophils": 60.0, "bands": 0.0,
    ...         "lymphocytes": 30.0, "monocytes": 7.0, "eosinophils": 2.0, "basophils": 1.0}
    >>> follow_up({**base, "lymphocytes": 45.0}, "lymphocytes", 30.0)
    {'lymphocytes': 30.0}
    >>> follow_up({"population": "child", "age_years": 40.0}, "population", "adult")
    {'age_years': 10.0}
    >>> follow_up({"population": "child", "age_years": 19.0}, "age_years", 9.0)
    {'population': 'adult'}
    """
    updates: dict[str, Any] = {}
    mode = values.get("mode", "absolute")
    if changed in DIFFERENTIAL and mode == "absolute":
        delta = float(values[changed]) - float(old)
        wbc = _near(float(values["wbc"]) + delta, _CENT)
        parts = sum(float(values[name]) for name in DIFFERENTIAL)
        updates["wbc"] = max(wbc, _near(parts, _CENT))
    elif changed in DIFFERENTIAL:  # percent mode
        room = 100 - sum(float(values[name]) for name in DIFFERENTIAL if name != changed)
        if float(values[changed]) > room + 1e-9:
            updates[changed] = _down(max(room, 0.0), 10)
    elif changed == "wbc" and mode == "absolute":
        old_wbc, new_wbc = float(old), float(values["wbc"])
        if old_wbc > 0:
            scale = new_wbc / old_wbc
            updates = {name: _down(float(values[name]) * scale, _CENT) for name in DIFFERENTIAL}
        else:  # nothing to scale from: the whole new WBC is "other cells"
            updates = {name: 0.0 for name in DIFFERENTIAL}
    elif changed in ("population", "age_years") and "population" in values \
            and "age_years" in values:
        updates.update(_age_follow_up(values, changed))
    return {name: value for name, value in updates.items() if values.get(name) != value}


def _age_follow_up(values: Mapping[str, Any], changed: str) -> dict[str, Any]:
    population, age = values["population"], values.get("age_years")
    try:
        check_population(population, age)
    except (ValueError, CBCTeachError):
        pass
    else:
        return {}
    if changed == "population":
        return {"age_years": CHILD_DEFAULT_AGE}
    if population == "child" and age is not None and age >= adult_age():
        return {"population": "adult"}
    return {}


def make_consistent(values: Mapping[str, Any], given: Iterable[str] = ()) -> dict[str, Any]:
    """Updates that make a whole set of values valid (after several were set at once).

    ``given`` names the controls that were set: a WBC given alone scales the differential
    with it (as moving the WBC does); otherwise a differential larger than the WBC raises
    the WBC to its sum. Percentages over 100 are scaled down to 100; the children's intervals
    with an adult's age take a child's age. Rounding within the core's tolerance is left be.

    >>> counts = {"mode": "absolute", "wbc": 2.0, "neutrophils": 3.8, "bands": 0.0,
    ...           "lymphocytes": 2.0, "monocytes": 0.45, "eosinophils": 0.2, "basophils": 0.05}
    >>> make_consistent(counts)
    {'wbc': 6.5}
    >>> make_consistent(counts, given=["wbc"])["neutrophils"]
    1.16
    """
    updates: dict[str, Any] = {}
    given = set(given)
    if all(name in values for name in ("wbc", *DIFFERENTIAL)):
        parts = sum(float(values[name]) for name in DIFFERENTIAL)
        wbc = float(values["wbc"])
        if values.get("mode", "absolute") == "absolute":
            if parts > wbc * (1 + PERCENT_TOLERANCE / 100) + 1e-9:
                if "wbc" in given and not given & set(DIFFERENTIAL):
                    updates.update({name: _down(float(values[name]) * wbc / parts, _CENT)
                                    for name in DIFFERENTIAL})
                else:
                    updates["wbc"] = _near(parts, _CENT)
        elif parts > 100 + PERCENT_TOLERANCE + 1e-9:
            updates.update({name: _down(float(values[name]) * 100 / parts, 10)
                            for name in DIFFERENTIAL})
    if "population" in values and "age_years" in values:
        updates.update(_age_follow_up(values, "population"))
    return {name: value for name, value in updates.items() if values.get(name) != value}
