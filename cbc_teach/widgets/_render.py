"""HTML for the explorers' displays, built from the view models (pure; no ipywidgets).

Each explorer's HTML lives beside its view model in its ``*_model`` module (the shared
building blocks in :mod:`~cbc_teach.widgets._shared`); this module gathers their names. Every
status is written in words and symbols as well as coloured; styles are inline so the
HTML looks the same in JupyterLab, Notebook 7 and Voila; the text is deterministic.
"""

from __future__ import annotations

from ..render import badge, banner
from ._shared import (
    error_banner,
    plain_words,
    section,
)
from .case_model import case_html, case_strip_html
from .cbc_model import (
    cbc_details_html,
    cbc_html,
    cbc_status_html,
    counts_table,
    ctcae_table,
)
from .population_model import population_html
from .timecourse_model import (
    timecourse_chart,
    timecourse_html,
)

__all__ = [
    "badge",
    "banner",
    "case_html",
    "case_strip_html",
    "cbc_details_html",
    "cbc_html",
    "cbc_status_html",
    "counts_table",
    "ctcae_table",
    "error_banner",
    "plain_words",
    "population_html",
    "section",
    "timecourse_chart",
    "timecourse_html",
]
