"""Lazy, cached access to the data files in ``cbc_teach/data/``.

Nothing is read at import time. CSV files may start with ``#`` comment lines, which document
the file; the first other line is the header. Empty cells become ``None``.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import tomllib
from importlib import resources

__all__ = ["data_text", "read_csv", "read_json", "read_toml"]


def data_text(name: str) -> str:
    """Return the text of ``cbc_teach/data/<name>``."""
    return resources.files("cbc_teach").joinpath("data", name).read_text(encoding="utf-8")


@functools.cache
def read_csv(name: str) -> tuple[dict[str, str | None], ...]:
    """Rows of a data CSV as dicts (comment lines skipped, empty cells as None)."""
    lines = [line for line in data_text(name).splitlines() if not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    rows = []
    for row in reader:
        rows.append({k: (v if v not in ("", None) else None) for k, v in row.items()})
    return tuple(rows)


@functools.cache
def read_toml(name: str) -> dict:
    """A data TOML file as a dict."""
    return tomllib.loads(data_text(name))


@functools.cache
def read_json(name: str) -> dict:
    """A data JSON file as a dict."""
    return json.loads(data_text(name))
