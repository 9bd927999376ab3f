"""What the film knows: the kinds of leukocyte, the features and the findings (``film.toml``).

Read lazily from ``cbc_teach/data/film.toml``; every check of a kind, feature or finding name
lives here, so the drawing, the slide, the explorer and the exercises agree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

from .._data import read_toml
from ..errors import UnknownNameError, unknown_name_message

__all__ = [
    "KINDS",
    "check_features",
    "check_finding",
    "check_kind",
    "film_data",
    "finding_info",
    "key_map",
    "kind_info",
    "source_text",
]

#: The kinds of leukocyte in counting order (the order of the tally and the key map).
KINDS = ("neutrophil", "band", "lymphocyte", "monocyte", "eosinophil", "basophil", "blast")


@functools.cache
def film_data() -> MappingProxyType:
    """The parsed ``film.toml`` (read once)."""
    return MappingProxyType(read_toml("film.toml"))


def kind_info(kind: str) -> dict[str, Any]:
    """The row of ``kind`` in ``film.toml``: label, key, diameter_um, description, source."""
    return film_data()["kinds"][check_kind(kind)]


def finding_info(finding: str) -> dict[str, Any]:
    """The row of a film finding: label, definition, feature, kinds, share, sources."""
    return film_data()["findings"][check_finding(finding)]


def source_text(source_id: str) -> str:
    """The full citation of a source id used in ``film.toml``."""
    return film_data()["sources"][source_id]["citation"]


def key_map() -> dict[str, str]:
    """Key (upper case) -> kind, as shown on screen by the explorer.

    >>> key_map()["N"], key_map()["S"], key_map()["X"]
    ('neutrophil', 'basophil', 'blast')
    """
    return {film_data()["kinds"][k]["key"]: k for k in KINDS}


def check_kind(kind: object) -> str:
    """Return ``kind`` if it is a known leukocyte kind, else raise an error listing them."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise UnknownNameError(unknown_name_message("cell kind", kind, KINDS))
    return kind


def check_finding(finding: object) -> str:
    """Return ``finding`` if it is a known film finding, else raise an error listing them."""
    known = film_data()["findings"]
    if not isinstance(finding, str) or finding not in known:
        raise UnknownNameError(unknown_name_message("film finding", finding, known))
    return finding


def check_features(kind: str, features: Iterable[str]) -> frozenset[str]:
    """Validate ``features`` for a cell of ``kind``: known names, allowed on that kind."""
    if isinstance(features, str):
        features = (features,)
    known = film_data()["features"]
    out = set()
    for feature in features:
        if feature not in known:
            raise UnknownNameError(unknown_name_message("cell feature", feature, known))
        allowed = known[feature]["kinds"]
        if kind not in allowed:
            raise UnknownNameError(
                f"The feature {feature!r} is not drawn on a {kind}; it is drawn on: "
                + ", ".join(allowed) + "."
            )
        out.add(feature)
    return frozenset(out)
