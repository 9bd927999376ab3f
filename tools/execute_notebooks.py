"""Re-execute notebooks in place so they are stored executed (what nbval compares against).

    python tools/execute_notebooks.py notebooks/*.ipynb exercises/*.ipynb

Each notebook runs top to bottom in a fresh kernel with its own folder as the working folder
(nbclient), then is written back. Only outputs and execution counts change: timing metadata is
not recorded, and a run whose outputs differ only in the widgets' random ids and saved widget
state leaves the file unchanged. The kernel gets
PYTHONHASHSEED=0 and no JUPYTERHUB_USER / CBC_TEACH_* variables, so exercise notebooks show
the "default" variant in student mode. A notebook that raises stops the run with its name and
the cell (exit status 1); the others already written stay written.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import sys
import time

SCRUB = ("JUPYTERHUB_USER", "CBC_TEACH_GRADING", "CBC_TEACH_ANSWERS", "CBC_TEACH_EXERCISE_PATH")


_MODEL_ID = re.compile(r'"(model_id|IPY_MODEL_)[^"]*"|IPY_MODEL_[0-9a-f]{32}|"[0-9a-f]{32}"')


def _content(text: str) -> str:
    """A notebook's text without what changes on every run although nothing changed: the saved
    widget state and the widgets' random model ids. A re-run whose content is the same leaves the
    file alone, so the notebooks do not churn in version control."""
    data = json.loads(text)
    data.get("metadata", {}).pop("widgets", None)
    return _MODEL_ID.sub('"ID"', json.dumps(data, sort_keys=True))


def execute(path: pathlib.Path, timeout: int, kernel: str) -> float:
    """Execute one notebook in place; return the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    start = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel,
        record_timing=False,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.validate(nb)
    text = nbformat.writes(nb) + "\n"
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old is None or _content(old) != _content(text):
        path.write_text(text, encoding="utf-8")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Command line: execute every notebook named, in order."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path, help="notebooks to execute")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    parser.add_argument("--kernel", default="python3", help="kernel name (default python3)")
    args = parser.parse_args(argv)
    for name in SCRUB:
        os.environ.pop(name, None)
    os.environ["PYTHONHASHSEED"] = "0"
    paths = [p for p in args.notebooks if p.suffix == ".ipynb" and ".ipynb_checkpoints" not in p.parts]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print("not found: " + ", ".join(map(str, missing)), file=sys.stderr)
        return 2
    from nbclient.exceptions import CellExecutionError

    for path in paths:
        try:
            seconds = execute(path, args.timeout, args.kernel)
        except CellExecutionError as exc:
            print(f"FAILED {path}:\n{exc}", file=sys.stderr)
            return 1
        print(f"executed {path} ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
