"""Simulation: healthy and sick populations, simulated patients, and counts over time.

Everything is numpy, seeded (``seed``: an int, a ``numpy.random.Generator`` or None, always
through ``numpy.random.default_rng``) and reproducible; every number comes from
``data/simulation.toml`` or ``data/cases.toml`` with its source.

- :func:`cohort`: healthy people of a population (adults, Duffy-null adults, children by age),
  with correlated, positive counts whose 2.5th-97.5th percentiles match
  ``reference_intervals.csv``; the WBC is the sum of its parts.
- :func:`estimate_interval`, :func:`cohort_interval`, :func:`share_called_low`: reference
  intervals from healthy people, and how many of each population a single cut-off calls low.
- :func:`case`, :func:`case_ids`: a patient (``CBC``, ``History``) whose low count has a known
  cause.
- :func:`friberg`: the Friberg 2002 model of chemotherapy-induced neutropenia.
- :func:`chemo_course`, :func:`chemo_cohort`, :func:`regimen`, :func:`regimens`: the ANC
  through a course of chemotherapy (published PK and Friberg parameters), with or without
  G-CSF, for the typical patient or for simulated patients drawn from the published
  between-patient variability.
- :func:`viral_course`, :func:`viral_kinds`: the transient dip of a viral illness.

**G-CSF is a teaching approximation.** While filgrastim is given (from day 3 after each dose,
for up to 14 days, stopping once the ANC passes 10 after the expected nadir), the model's mean
transit time is shortened (x 0.45, as measured in healthy volunteers) and proliferation raised
(x 1.3, calibrated so that the time below 0.5 falls by about as much as in Crawford 1991).
Quartino 2014's mechanistic model is not implemented.

>>> course = chemo_course("docetaxel", cycles=3)
>>> [round(anc, 2) for _, anc in course.cycle_nadirs()]
[0.9, 0.95, 0.95]
>>> cbc, history = case("viral_infection", seed=1)
>>> sorted(cohort(2, seed=1))[:3]
['basophils', 'eosinophils', 'hemoglobin']
"""

from .cases import case, case_ids
from .cohorts import cohort
from .courses import (
    ChemoCohort,
    Regimen,
    TimeCourse,
    chemo_cohort,
    chemo_course,
    gcsf_start_day,
    regimen,
    regimens,
    viral_course,
    viral_kinds,
)
from .intervals import cohort_interval, estimate_interval, share_called_low
from .pkpd import ThreeCompartmentPK, friberg

__all__ = [
    "ChemoCohort",
    "Regimen",
    "ThreeCompartmentPK",
    "TimeCourse",
    "case",
    "case_ids",
    "chemo_cohort",
    "chemo_course",
    "cohort",
    "cohort_interval",
    "estimate_interval",
    "friberg",
    "gcsf_start_day",
    "regimen",
    "regimens",
    "share_called_low",
    "viral_course",
    "viral_kinds",
]
