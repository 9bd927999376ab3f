"""Simulated patients whose low count has a known cause, for exercises and for testing the engine.

Each cause id of the specification has a typical presentation in ``data/cases.toml`` (age,
sex, history terms with their probabilities, the count pattern), each with its source. A
patient starts from a healthy person of the right population (:func:`cohort`), then the
cause's pattern is applied: some counts are set within a range, others scaled from the
person's own baseline. So cases vary with the seed, but the cause stays recognisable.

>>> cbc, history = case("drug_induced", seed=3)
>>> cbc.anc < 1.5, len(history.medications) >= 1
(True, True)
>>> case("drug_induced", seed=3) == case("drug_induced", seed=3)
True
"""

from __future__ import annotations

import functools
import math
import numbers
import zlib

import numpy as np

from .._data import read_toml
from ..cbc import CBC
from ._common import check_choice, make_rng
from .cohorts import PARTS, cohort

__all__ = ["case", "case_ids"]

_FIELDS = {
    "condition": "conditions",
    "exposure": "exposures",
    "symptom": "symptoms",
    "medication": "medications",
}
#: Counts drawn log-uniformly from a range (the others, hemoglobin and MCV, uniformly).
_LOG_SCALE = {*PARTS, "bands", "platelets"}
_DECIMALS = {"hemoglobin": 1, "mcv": 0, "platelets": 0}


@functools.cache
def _table() -> dict:
    return read_toml("cases.toml")


def case_ids() -> tuple[str, ...]:
    """The cause ids :func:`case` can simulate (every cause id of the specification, and the
    four causes added by issue 12).

    >>> len(case_ids()), "duffy_null" in case_ids(), "lgl_leukemia" in case_ids()
    (27, True, True)
    """
    return tuple(sorted(_table()["cases"]))


def _split(term: str) -> tuple[str, str]:
    field, _, name = term.partition(":")
    return _FIELDS[field], name


def _pick(rng: np.random.Generator, options: list, weights: list | None = None):
    if weights is None:
        return options[int(rng.integers(len(options)))]
    p = np.asarray(weights, float)
    return options[int(rng.choice(len(options), p=p / p.sum()))]


def _case_rng(cause_id: str, seed: object) -> np.random.Generator:
    """The generator of one case: an int seed is mixed with the cause id, so that two causes
    with the same seed are different people (a Generator or None is used as it is)."""
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and int(seed) >= 0:
        return np.random.default_rng([int(seed), zlib.crc32(cause_id.encode())])
    return make_rng(seed)


def _draw_count(rng, analyte: str, rule: dict, baseline: float | None) -> float:
    if "range" in rule:
        low, high = rule["range"]
        if analyte in _LOG_SCALE:
            return float(math.exp(rng.uniform(math.log(low), math.log(high))))
        return float(rng.uniform(low, high))
    low, high = rule["factor"]
    return float(baseline * rng.uniform(low, high))


def case(cause_id: str, *, seed: int | np.random.Generator | None = None):
    """A plausible patient, ``(CBC, History)``, whose low count is due to ``cause_id``.

    ``cause_id`` is one of :func:`case_ids`. The same seed always gives the same patient;
    different seeds vary the age, sex, history details and counts within the cause's typical
    presentation (``data/cases.toml``).

    >>> cbc, history = case("b12_folate_deficiency", seed=1)
    >>> cbc.mcv > 100
    True
    >>> case("the_flu")
    Traceback (most recent call last):
    ...
    cbc_teach.errors.UnknownNameError: Unknown cause id 'the_flu'. Known: alcohol, ...
    """
    from ..history import History

    check_choice("cause id", cause_id, case_ids())
    spec = _table()["cases"][cause_id]
    defaults = _table()["defaults"]
    rng = _case_rng(cause_id, seed)

    band = _pick(rng, spec["age"], [b[2] for b in spec["age"]])
    age = float(rng.uniform(band[0], band[1]))
    age = round(age, 2) if age < 2 else float(int(age))
    sex = "female" if rng.random() < spec["female"] else "male"
    population = spec.get("population", "adult")
    if age < 18:
        population = "child"
    person = cohort(
        1, population=population, seed=rng, sex=sex,
        age_years=age if population == "child" else None,
    )
    values = {name: float(person[name][0]) for name in (*PARTS, "hemoglobin", "platelets")}
    values["mcv"] = float(rng.uniform(*defaults["mcv"]))

    terms: dict[str, list[str]] = {field: [] for field in _FIELDS.values()}
    rules = dict(spec.get("counts", {}))
    temperature = spec.get("temperature_c")
    temperature_c = None
    if "scenarios" in spec:
        scenario = _pick(rng, spec["scenarios"], [s["weight"] for s in spec["scenarios"]])
        for term in scenario["terms"]:
            field, name = _split(term)
            terms[field].append(name)
        rules.update(scenario.get("counts", {}))
        if "temperature_c" in scenario:
            temperature = {"p": 1.0, "range": scenario["temperature_c"]}
    for item in spec.get("history", []):
        if rng.random() < item["p"]:
            field, name = _split(_pick(rng, item["pick"], item.get("weights")))
            if name not in terms[field]:
                terms[field].append(name)
    if temperature is not None and rng.random() < temperature["p"]:
        temperature_c = round(float(rng.uniform(*temperature["range"])), 1)
    days_since = None
    if "days_since_chemotherapy" in spec:
        low, high = spec["days_since_chemotherapy"]
        days_since = int(rng.integers(low, high + 1))
    duffy = None
    if "duffy_null" in spec and rng.random() < spec["duffy_null"]["p"]:
        duffy = bool(spec["duffy_null"]["value"])

    for analyte in sorted(rules):
        values[analyte] = _draw_count(rng, analyte, rules[analyte], values.get(analyte))
    counts = {
        name: round(values[name], _DECIMALS.get(name, 2))
        for name in (*PARTS, "bands", "hemoglobin", "mcv", "platelets")
        if name in values
    }
    wbc = round(sum(counts[name] for name in (*PARTS, "bands") if name in counts), 2)
    cbc = CBC(wbc, **counts)
    history = History(
        age_years=age,
        sex=sex,
        conditions=tuple(terms["conditions"]),
        medications=tuple(terms["medications"]),
        exposures=tuple(terms["exposures"]),
        symptoms=tuple(terms["symptoms"]),
        temperature_c=temperature_c,
        days_since_chemotherapy=days_since,
        duffy_null=duffy,
    )
    return cbc, history
