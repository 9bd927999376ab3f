"""Re-execute notebooks in place so they are stored executed (what nbval compares against).

    python tools/execute_notebooks.py notebooks/*.ipynb exercises/*.ipynb

Each notebook runs top to bottom in a fresh kernel with its own folder as the working folder
(nbclient), then is written back. Only outputs and execution counts change: timing metadata is
not recorded, and a run whose outputs differ only in the widgets' random ids and saved widget
state leaves the file unchanged. Files are stored exactly as JupyterLab saves them (``store``),
so opening and saving a notebook in JupyterLab without running it changes nothing. The kernel gets
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


def as_javascript_numbers(value):
    """``value`` with every float that has an integral value turned into an int, as a browser
    writes JSON (one number type: JupyterLab saves ``50.0`` as ``50``; from 1e21 on it writes an
    exponent, which reads back as a float).

    >>> as_javascript_numbers({"max": 50.0, "step": 0.1, "n": [2.0, 3]})
    {'max': 50, 'step': 0.1, 'n': [2, 3]}
    """
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {key: as_javascript_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_javascript_numbers(item) for item in value]
    return value


def _stream_text(output: dict) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else text


def merged_streams(outputs: list[dict]) -> list[dict]:
    """Consecutive stream outputs of one stream merged into one, as JupyterLab's output area
    holds them (a print flushed in two pieces otherwise changes the file on its first save).

    >>> merged_streams([{"output_type": "stream", "name": "stdout", "text": "a"},
    ...                 {"output_type": "stream", "name": "stdout", "text": ["\\n"]}])
    [{'output_type': 'stream', 'name': 'stdout', 'text': 'a\\n'}]
    """
    merged: list[dict] = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and last is not None
                and last.get("output_type") == "stream" and last.get("name") == output.get("name")):
            merged[-1] = {**last, "text": _stream_text(last) + _stream_text(output)}
        else:
            merged.append(output)
    return merged


def store(nb) -> str:
    """The text of a notebook as JupyterLab's save writes it: the browser's numbers, streams
    merged, then the server's nbformat writer (sorted keys, one-space indent, a final newline)."""
    import nbformat

    data = as_javascript_numbers(json.loads(json.dumps(nb)))
    for cell in data.get("cells", []):
        if "outputs" in cell:
            cell["outputs"] = merged_streams(cell["outputs"])
    node = nbformat.from_dict(data)
    nbformat.validate(node)
    return nbformat.writes(node) + "\n"


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
    text = store(nb)
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old is not None and _content(old) == _content(text):
        text = store(json.loads(old))  # same content: keep the stored ids, only normalise numbers
    if text != old:
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
