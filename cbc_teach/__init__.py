"""cbc_teach: a teaching toolkit for the complete blood count.

The map of the package:

- :class:`CBC`, :func:`parse_count`: the count itself (``cbc.py``, ``units.py``).
- :func:`classify`, :func:`classify_many`: WBC status, neutropenia severity, CTCAE grades and
  findings against a population's reference intervals (``classify.py``, ``reference.py``).
- :class:`History`, :func:`vocabulary`, :func:`likely_causes`: the patient's history and the
  ranked likely causes (``history.py``, ``causes.py``).
- :func:`triage`: how urgent a count is, with febrile neutropenia (``triage.py``).
- :func:`render_cell`, :func:`make_slide` (a :class:`Slide` of :class:`Cell`),
  :func:`differential_ci`: the virtual blood film and the precision of a manual count (``film/``).
- ``cbc_teach.simulate``: healthy cohorts, simulated patients, counts over time.
- ``cbc_teach.widgets``: the interactive explorers for notebooks (imports ipywidgets).
- ``cbc_teach.exercises`` and ``cbc_teach.grading``: graded exercises; ``cbc-teach`` CLI.

Every clinical number comes from a data file in ``cbc_teach/data/`` with its source.

>>> classify(CBC("2,800/uL", neutrophils="900/uL")).summary()
'WBC 2.8 x10^9/L: low. ANC 0.9 x10^9/L: moderate neutropenia. Findings: leukopenia, neutropenia.'
"""

from .causes import (
    CauseScore,
    LikelyCauses,
    known_causes,
    likely_causes,
    next_tests,
    test_catalogue,
)
from .cbc import CBC
from .classify import Classification, classify, classify_many
from .errors import (
    CBCTeachError,
    InvalidCountError,
    InvalidDifferentialError,
    InvalidParameterError,
    MissingAgeError,
    UnknownNameError,
    UnknownPopulationError,
    UnknownTermError,
)
from .film import Cell, Slide, differential_ci, make_slide, render_cell
from .history import History, vocabulary
from .reference import populations, reference_interval
from .triage import Triage, triage
from .units import parse_count

__version__ = "0.1.0"

__all__ = [
    "CBC",
    "CBCTeachError",
    "CauseScore",
    "Cell",
    "Classification",
    "History",
    "InvalidCountError",
    "InvalidDifferentialError",
    "InvalidParameterError",
    "LikelyCauses",
    "MissingAgeError",
    "Slide",
    "Triage",
    "UnknownNameError",
    "UnknownPopulationError",
    "UnknownTermError",
    "classify",
    "classify_many",
    "differential_ci",
    "known_causes",
    "likely_causes",
    "make_slide",
    "next_tests",
    "parse_count",
    "populations",
    "reference_interval",
    "render_cell",
    "test_catalogue",
    "triage",
    "vocabulary",
]
