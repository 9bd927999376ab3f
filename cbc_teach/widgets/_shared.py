"""What the explorers' view models and HTML share (pure; no ipywidgets, no matplotlib).

Status symbols, population names, the severity bands, the badge, the checking of control
values, and the HTML building blocks (styles, the error banner, a titled section, remarks in
plain words). Each explorer's own view model and HTML live in its ``*_model`` module.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidParameterError, unknown_name_message
from ..reference import POPULATION_LABELS
from ..render import BOX_STYLE, banner, esc
from ..severity import profound_limit as _shared_profound_limit
from ..severity import severity_bands as _shared_severity_bands

__all__ = [
    "Badge",
    "error_banner",
    "plain_words",
    "population_label",
    "section",
    "severity_bands",
    "status_symbol",
]


#: Symbols shown next to every status, so that colour is never the only signal.
_STATUS_SYMBOLS = {
    "low": "▼",
    "normal": "✓",
    "high": "▲",
    "not assessed": "–",
    "none": "✓",
    "mild": "▼",
    "moderate": "▼▼",
    "severe": "▼▼▼",
}


def status_symbol(status: str) -> str:
    """The symbol shown beside a status word (colour is never the only signal).

    >>> status_symbol("low"), status_symbol("severe")
    ('▼', '▼▼▼')
    """
    return _STATUS_SYMBOLS.get(status, "•")


def population_label(population: str) -> str:
    """A population's name as a student reads it.

    >>> population_label("duffy_null")
    'adults with the Duffy-null phenotype'
    """
    return POPULATION_LABELS.get(population, population.replace("_", " "))


@functools.cache
def severity_bands() -> tuple[dict, ...]:
    """The neutropenia severity bands of ``data/severity.csv`` (ANC, x10^9/L), mildest first.

    Each band is a dict with ``grade``, ``lower``, ``upper`` (``-inf``/``inf`` when open) and
    ``source``; ``profound`` (a sub-band of ``severe``) is left out.

    >>> [(b["grade"], b["upper"]) for b in severity_bands()]
    [('mild', 1.5), ('moderate', 1.0), ('severe', 0.5)]
    """
    return tuple(dataclasses.asdict(b) for b in _shared_severity_bands())


def _profound_limit() -> float:
    return _shared_profound_limit()


def _band_upper(grade: str) -> float:
    return next(b["upper"] for b in severity_bands() if b["grade"] == grade)


@dataclass(frozen=True)
class Badge:
    """A status shown as a coloured badge whose text also says it (symbol and word)."""

    status: str  # "low", "normal", "high", "none", "mild", "moderate", "severe", "unknown"
    text: str
    detail: str = ""


def _merged(defaults: Mapping[str, Any], values: Mapping[str, Any] | None,
            overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for source in (values or {}), overrides:
        for name, value in source.items():
            if name not in defaults:
                raise InvalidParameterError(unknown_name_message("control", name, defaults))
            merged[name] = value
    return merged


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidParameterError(
            f"The {name!r} control must be one of {', '.join(map(repr, allowed))}; got {value!r}."
        )


_BOX = BOX_STYLE  # one home: cbc_teach.render
_TABLE = "border-collapse:collapse;margin:4px 0"
_TD = "padding:2px 8px;border-bottom:1px solid #ddd;vertical-align:middle"
_TH = "padding:2px 8px;border-bottom:2px solid #999;text-align:left"


# How a remark written for Python users names a setting, and how an explorer's reader finds it.
_SETTING = re.compile(r"(?:pass |use )?\b(sex|population|age_years)=(['\"]?)([\w.-]+)\2")
_SETTING_WORDS = {"sex": "the sex", "population": "the reference population",
                  "age_years": "the age"}


def plain_words(text: str) -> str:
    """A remark as an explorer's reader needs it: settings named in words, not as arguments.

    >>> plain_words("No sex was given; pass sex='male' to use 13.0 g/dL.")
    'No sex was given; choose male as the sex to use 13.0 g/dL.'
    >>> plain_words("Age 10 is under 18: population='child' uses children's intervals.")
    "Age 10 is under 18: child as the reference population uses children's intervals."
    """
    def words(match: re.Match) -> str:
        verb = "choose " if match.group(0).startswith(("pass ", "use ")) else ""
        return f"{verb}{match.group(3).replace('_', ' ')} as {_SETTING_WORDS[match.group(1)]}"

    return _SETTING.sub(words, text)


def error_banner(message: str | None) -> str:
    """The friendly message shown when the controls do not make a valid input."""
    if not message:
        return ""
    return banner(
        "error",
        "⚠ Not updated: these values do not make a valid input. The last valid result is "
        "still shown below.",
        [message],
    )


def section(title: str, body: str) -> str:
    """A titled block."""
    return f'<div style="margin:8px 0"><div style="font-weight:bold">{esc(title)}</div>{body}</div>'


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]
