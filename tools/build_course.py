"""Build the course notebooks (notebooks/NN_name.ipynb) from their text sources.

Each notebook is written as a plain text file in ``tools/course/NN_name.md``: cells are
separated by marker lines

    %% markdown
    %% code
    %% code hide        (a self-check: the source is collapsed so the answer is not in view)

and everything up to the next marker is the cell's source (surrounding blank lines dropped).
The script writes each notebook with the python3 kernelspec and stable cell ids, then runs it
in place so that it is stored executed (as nbval needs). Usage::

    .venv/bin/python tools/build_course.py              # build and execute all nine
    .venv/bin/python tools/build_course.py 03 05        # only notebooks whose name starts so
    .venv/bin/python tools/build_course.py --no-execute # write the cells only
    .venv/bin/python tools/build_course.py --check      # exit 1 if a notebook's cells differ
                                                        # from its source (nothing written)

Execution uses ``tools/execute_notebooks.py`` (the same runner as ``make notebooks``), which
also stores each notebook exactly as JupyterLab saves it.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tools" / "course"
NOTEBOOKS = ROOT / "notebooks"
RUNNER = ROOT / "tools" / "execute_notebooks.py"
MARKER = re.compile(r"^%% (markdown|code)( hide)?\s*$")

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}


def parse_source(text: str) -> list[dict]:
    """The cells of a source text: dicts with ``cell_type``, ``source`` and ``hide``.

    >>> cells = parse_source("%% markdown\\n# Title\\n\\n%% code hide\\nx = 1\\n")
    >>> [(c["cell_type"], c["source"], c["hide"]) for c in cells]
    [('markdown', '# Title', False), ('code', 'x = 1', True)]
    """
    cells: list[dict] = []
    current: dict | None = None
    for number, line in enumerate(text.splitlines(), 1):
        match = MARKER.match(line)
        if match:
            current = {"cell_type": match.group(1), "lines": [], "hide": bool(match.group(2))}
            cells.append(current)
        elif current is None:
            if line.strip():
                raise ValueError(f"line {number}: text before the first '%% markdown' or "
                                 f"'%% code' marker: {line!r}")
        else:
            current["lines"].append(line)
    for cell in cells:
        cell["source"] = "\n".join(cell.pop("lines")).strip("\n")
        if not cell["source"].strip():
            raise ValueError(f"an empty {cell['cell_type']} cell in the source")
    return cells


def source_files(prefixes: list[str] | None = None) -> list[pathlib.Path]:
    """The course's source files, in order, optionally only those whose name starts so."""
    files = sorted(SOURCES.glob("[0-9][0-9]_*.md"))
    if prefixes:
        files = [f for f in files if any(f.stem.startswith(p) for p in prefixes)]
    return files


def build_notebook(path: pathlib.Path):
    """The (unexecuted) notebook for one source file."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    for index, cell in enumerate(parse_source(path.read_text(encoding="utf-8"))):
        cell_id = f"{path.stem[:2]}-{index:03d}"
        if cell["cell_type"] == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(cell["source"], id=cell_id))
        else:
            metadata = {"jupyter": {"source_hidden": True}, "tags": ["selfcheck"]} \
                if cell["hide"] else {}
            nb.cells.append(nbformat.v4.new_code_cell(cell["source"], id=cell_id,
                                                      metadata=metadata))
    return nb


def differs(path: pathlib.Path) -> bool:
    """True when the stored notebook's cells are not the ones its source describes."""
    import nbformat

    target = NOTEBOOKS / f"{path.stem}.ipynb"
    if not target.exists():
        return True
    stored = nbformat.read(target, as_version=4)
    wanted = build_notebook(path)
    pairs = [(c.cell_type, c.source) for c in stored.cells]
    return pairs != [(c.cell_type, c.source) for c in wanted.cells]


def execute(paths: list[pathlib.Path]) -> None:
    """Run notebooks in place with the team's runner, which also stores them exactly as
    JupyterLab saves them (so opening and saving one changes nothing)."""
    subprocess.run([sys.executable, str(RUNNER), *map(str, paths)], check=True, cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    """Build (and by default execute) the course notebooks; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts so")
    parser.add_argument("--no-execute", action="store_true", help="write the cells only")
    parser.add_argument("--check", action="store_true",
                        help="report notebooks whose cells differ from their source")
    parser.add_argument("--all", action="store_true",
                        help="rebuild every notebook, not only those whose source changed")
    args = parser.parse_args(argv)
    files = source_files(args.prefixes)
    if not files:
        parser.error(f"no source files in {SOURCES} match {args.prefixes}")
    if args.check:
        stale = [f.stem for f in files if differs(f)]
        for name in stale:
            print(f"{name}: notebook differs from tools/course/{name}.md; rebuild it")
        return 1 if stale else 0

    import nbformat

    NOTEBOOKS.mkdir(exist_ok=True)
    written = []
    for path in files:
        target = NOTEBOOKS / f"{path.stem}.ipynb"
        if target.exists() and not args.all and not differs(path):
            continue  # unchanged source: keep the stored notebook (no churn in version control)
        nbformat.write(build_notebook(path), target)
        written.append(target)
        print(f"wrote {target.relative_to(ROOT)}")
    if not written:
        print("every notebook matches its source; nothing to rebuild (--all forces it)")
    elif not args.no_execute:
        execute(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
