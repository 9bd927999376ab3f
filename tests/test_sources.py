"""Every citation a reader meets can be followed from the repository (issue 12).

A reader of the course, the data files, the exercises or the code cannot open planning files
that live outside the repository. So no text may point to such a file ("REFERENCES.md",
"clinical/REFERENCES.md", "REFERENCES table", "the seed page"), and every file name a text
mentions must exist in the repository. Notebooks are checked on their cell sources (outputs are
generated from the same text and code).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Pointers to material that is not in the repository.
FORBIDDEN = [
    re.compile(r"\bREFERENCES(?:\.md)?\b"),
    re.compile(r"\bseed(?:[ -]patient-education)? page", re.IGNORECASE),
    re.compile(r"\bseed's\b", re.IGNORECASE),
]
#: A cited file: a name ending .md, .csv, .toml or .json, with or without folders before it.
FILE_NAME = re.compile(r"(?<![\w/.:=%-])((?:[\w.-]+/)*[\w-]+(?:\.[\w-]+)*\.(?:md|csv|toml|json))(?![\w/])")
#: A cited document (in code and instructor documentation, where example output files such as
#: "gradebook.csv" are not citations).
DOC_NAME = re.compile(r"(?<![\w/.:=%-])((?:[\w.-]+/)*[\w-]+(?:\.[\w-]+)*\.md)(?![\w/])")


def _texts() -> list[tuple[str, str, re.Pattern]]:
    """(name, text, file-name pattern) of every file a reader may read, notebooks by cell."""
    out = []
    cited = [*sorted((ROOT / "cbc_teach" / "data").glob("*")), *sorted((ROOT / "tools" / "course").glob("*.md"))]
    other = [*sorted((ROOT / "cbc_teach").rglob("*.py")), *sorted((ROOT / "docs").rglob("*.md")),
             ROOT / "README.md"]
    for paths, pattern in ((cited, FILE_NAME), (other, DOC_NAME)):
        for path in paths:
            if path.is_file():
                out.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"), pattern))
    for folder in ("notebooks", "exercises"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            for i, cell in enumerate(cells):
                source = cell["source"]
                text = source if isinstance(source, str) else "".join(source)
                pattern = FILE_NAME if cell["cell_type"] == "markdown" else DOC_NAME
                out.append((f"{path.relative_to(ROOT)} cell {i}", text, pattern))
    return out


def _repo_files() -> tuple[set[str], set[str]]:
    files = [p for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts
             and ".venv" not in p.parts]
    rel = {str(p.relative_to(ROOT)) for p in files}
    return rel, {p.name for p in files}


def _exists(name: str, rel: set[str], names: set[str]) -> bool:
    if "/" not in name:
        return name in names
    return any(path == name or path.endswith("/" + name) for path in rel)


def test_the_checker_catches_both_kinds_of_pointer():
    """The patterns find a planning-file pointer and a missing file, and pass a real file."""
    rel, names = _repo_files()
    assert any(p.search("see clinical/REFERENCES.md, correction 3") for p in FORBIDDEN)
    assert any(p.search("the seed page's lower limit") for p in FORBIDDEN)
    found = FILE_NAME.findall("rows of reference_intervals.csv and of missing_table.csv")
    assert found == ["reference_intervals.csv", "missing_table.csv"]
    assert _exists("reference_intervals.csv", rel, names)
    assert not _exists("missing_table.csv", rel, names)
    assert not FILE_NAME.findall("https://example.org/page.md")
    assert DOC_NAME.findall("writes gradebook.csv; see docs/nowhere.md") == ["docs/nowhere.md"]


def _problems() -> list[str]:
    rel, names = _repo_files()
    problems = []
    for where, text, file_name in _texts():
        for line_no, line in enumerate(text.splitlines(), 1):
            for pattern in FORBIDDEN:
                for m in pattern.finditer(line):
                    problems.append(f"{where}:{line_no}: points outside the repository: {m.group(0)!r}")
            for name in file_name.findall(line):
                if not _exists(name, rel, names):
                    problems.append(f"{where}:{line_no}: names a file not in the repository: {name!r}")
    return problems


def test_no_citation_points_outside_the_repository():
    """No text cites a planning file, and every file name mentioned exists in the repository."""
    problems = _problems()
    assert not problems, f"{len(problems)} pointer(s) a reader cannot follow:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", ["reference_intervals.csv", "neutropenia_thresholds.csv", "severity.csv",
                                  "ctcae.csv", "findings.csv", "simulation.toml"])
def test_severity_and_interval_sources_name_no_outpatient_guideline(name):
    """The bands and ANC < 1.5 are not defined by the outpatient FN guideline (JCO 36(14):1443-1453).

    That guideline manages fever; the bands come from Gibson & Berliner 2014 and the 2018
    prophylaxis guideline (JCO 36(30):3043-3054).
    """
    text = (ROOT / "cbc_teach" / "data" / name).read_text(encoding="utf-8")
    assert "1443" not in text


def test_merz_jama_is_cited_for_the_anc_only():
    """Merz, JAMA 2023 gave a Duffy-null ANC range, not a WBC range: no WBC row cites it."""
    for line in (ROOT / "cbc_teach" / "data" / "reference_intervals.csv").read_text().splitlines():
        if line.startswith("duffy_null,wbc"):
            assert "JAMA" not in line


def test_the_bibliography_lists_the_works_the_data_cite():
    """docs/references.md, shipped in the repository, lists the key primary sources."""
    text = " ".join((ROOT / "docs" / "references.md").read_text(encoding="utf-8").replace("*", "").split())
    for needle in ["Blood 2014;124:1251-1258", "2018;36(30):3043-3054", "Ann Intern Med 2007;146:486-492",
                   "J Pediatr 1979;95:89-98", "J Perinatol 2008;28:275-281", "haemoglobin cutoffs",
                   "Clin Infect Dis 2011;52:e56-e93", "Front Pharmacol 2020;11:314"]:
        assert needle in text, needle
