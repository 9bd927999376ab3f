"""Every number with clinical meaning comes from a data file row that carries its provenance."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import resources

import pytest

from cbc_teach._data import read_csv

DATA = resources.files("cbc_teach").joinpath("data")
CSV_FILES = sorted(p.name for p in DATA.iterdir() if p.name.endswith(".csv"))
STRUCTURED = sorted(p.name for p in DATA.iterdir() if p.name.endswith((".toml", ".json")))
PROVENANCE_KEYS = {"source", "sources", "rationale"}
FORMAT_KEYS = {"format_version", "version", "schema_version"}  # describe the file, not clinical


def test_there_are_data_files():
    """The core's tables are present."""
    assert {"reference_intervals.csv", "severity.csv", "ctcae.csv", "plausibility.csv",
            "findings.csv"} <= set(CSV_FILES)


@pytest.mark.parametrize("name", CSV_FILES)
def test_every_csv_row_has_a_source_and_a_unit(name):
    """No row lacks a source; no row lacks a unit."""
    rows = read_csv(name)
    assert rows, f"{name} has no rows"
    for i, row in enumerate(rows):
        assert row.get("source"), f"{name} row {i} has no source: {row}"
        assert "unit" in row, f"{name} has no unit column"
        assert row["unit"], f"{name} row {i} has no unit: {row}"


def _walk(node, path, inherited, problems):
    if isinstance(node, dict):
        has = inherited or any(node.get(k) for k in PROVENANCE_KEYS)
        numbers = [
            k for k, v in node.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in FORMAT_KEYS
        ]
        if numbers and not has:
            problems.append(f"{path or '<top>'}: numbers {numbers} without a source or rationale")
        for key, value in node.items():
            _walk(value, f"{path}.{key}" if path else str(key), has, problems)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, f"{path}[{i}]", inherited, problems)


@pytest.mark.parametrize("name", STRUCTURED)
def test_every_number_in_structured_files_has_provenance(name):
    """In TOML/JSON data, every table holding numbers has a source or rationale (or inherits one)."""
    text = DATA.joinpath(name).read_text(encoding="utf-8")
    data = tomllib.loads(text) if name.endswith(".toml") else json.loads(text)
    problems: list[str] = []
    _walk(data, "", False, problems)
    assert not problems, "\n".join(problems[:20])


def test_reference_rows_are_ordered_intervals():
    """Each reference interval has low < high where both are given."""
    for row in read_csv("reference_intervals.csv"):
        if row["low"] and row["high"]:
            assert float(row["low"]) < float(row["high"]), row


def test_data_is_loaded_lazily():
    """Importing cbc_teach reads no data file; the first classify() does."""
    code = (
        "import cbc_teach\n"
        "from cbc_teach._data import read_csv\n"
        "assert read_csv.cache_info().currsize == 0, 'data read at import'\n"
        "cbc_teach.classify(cbc_teach.CBC(5.0))\n"
        "assert read_csv.cache_info().currsize > 0\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_population_has_a_neutropenia_threshold_at_every_age():
    """neutropenia_thresholds.csv covers each population, and children from birth to 18 without gaps."""
    from cbc_teach.reference import adult_age, populations
    from cbc_teach.severity import neutropenia_threshold

    for population in populations():
        if population == "child":
            for days in (0, 0.25, 0.5, 1, 2, 3, 7, 14, 21, 28, 60, 200, 365.25, 1000, 6000):
                if days / 365.25 < adult_age():
                    assert neutropenia_threshold("child", age_years=days / 365.25).value > 0
        else:
            assert neutropenia_threshold(population).value > 0


def test_the_adult_threshold_lies_below_the_adult_reference_limit():
    """Definition (1.5, Gibson & Berliner 2014) below the statistical limit (about 1.8-2.0)."""
    from cbc_teach import reference_interval
    from cbc_teach.severity import neutropenia_threshold

    assert neutropenia_threshold("adult").value == 1.5
    assert 1.8 <= reference_interval("neutrophils", "adult").low <= 2.0


def test_severity_csv_is_read_in_one_place_only():
    """One rule, one home: only cbc_teach/severity.py opens severity.csv (issue 12)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "cbc_teach"
    readers = [str(p.relative_to(root)) for p in root.rglob("*.py")
               if 'read_csv("severity.csv")' in p.read_text(encoding="utf-8")
               or "read_csv('severity.csv')" in p.read_text(encoding="utf-8")]
    assert readers == ["severity.py"]


def test_the_adult_age_is_written_in_one_place_only():
    """No module compares an age with a typed-in 18: they call reference.adult_age()."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "cbc_teach"
    pattern = re.compile(r"age(?:_years)?\s*[<>]=?\s*18\b|_ADULT_AGE\s*=")
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
