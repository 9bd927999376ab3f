"""Running notebooks in sandboxed kernels: the instructor's reference runs, and nbval.

- :func:`run_reference` runs the instructor's source for many students' variants in one
  kernel (``%reset`` between students) and returns each code cell's outputs: the reference
  that nbval compares against.
- :func:`run_nbval` runs nbval on one graded notebook, in this process (pytest is imported
  once per worker, not once per submission), with nbval's own collector and comparison; only
  the kernel is ours (sandboxed, and noticing at once when it dies). It returns one
  :class:`CellResult` per code cell.

pytest is not thread-safe, and a Dask worker runs several tasks at once in threads of one
process: the in-process nbval run is serialised by a lock (the one lock of grading: reference
runs and the reading and deciding of other tasks go on meanwhile). The outputs nbval gathers
from a kernel are capped (:data:`MAX_OUTPUT_CHARS` per notebook): what a kernel prints beyond
it is cut, with a note.
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import queue
import threading
from dataclasses import dataclass
from typing import Any

from .kernel import get_reply, start_kernel
from .sandbox import KernelDied, Sandbox

__all__ = ["MAX_OUTPUT_CHARS", "CellResult", "run_nbval", "run_reference"]

#: The most output (characters of text, over all cells) nbval gathers from one kernel.
MAX_OUTPUT_CHARS = 1_000_000
_CUT = "\n[output cut: the notebook printed more than the grader keeps]\n"
_NBVAL_LOCK = threading.Lock()
# pytest's plugins a grading run does not need. unraisableexception runs gc.collect() twice per
# session (about 0.15 s each in a worker holding pytest, nbval and cbc_teach: 40 % of a grading);
# the others hook every test for reports the grader never reads (legacypath stays: nbval
# reads the notebook through its fspath).
_SPARE_PLUGINS = ("-p", "no:unraisableexception", "-p", "no:threadexception", "-p", "no:faulthandler",
                  "-p", "no:junitxml", "-p", "no:pastebin", "-p", "no:doctest")

SANITIZE = "regex: 0x[0-9a-f]{6,16}\nreplace: 0xADDRESS\n"
# Empties the user namespace between two students' reference runs (the instructor's trusted code
# runs in one kernel per worker). Like %reset -f, it keeps IPython's own names; unlike it, it
# skips the garbage collection and history reset that make %reset cost ~100 ms per student.
RESET = (
    "_cbct_ip = get_ipython()\n"
    "for _cbct_k in [k for k in _cbct_ip.user_ns if k not in _cbct_ip.user_ns_hidden]:\n"
    "    _cbct_ip.user_ns.pop(_cbct_k, None)\n"
)


# --- reference runs ------------------------------------------------------------------------------


def _collect(km, kc, code: str, timeout: float) -> tuple[list[dict], str | None]:
    """Run ``code``; return (outputs as nbformat 4 dicts, error text or None)."""
    msg_id = kc.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
    outputs: list[dict] = []
    error = None
    try:
        get_reply(km, kc.get_shell_msg, msg_id, timeout)
    except queue.Empty:
        km.interrupt_kernel()
        error = f"did not finish within {timeout:g} s"
    while True:
        try:
            msg = get_reply(km, kc.get_iopub_msg, msg_id, 10.0)
        except queue.Empty:
            return outputs, error or "the kernel stopped answering"
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content.get("execution_state") == "idle":
            return outputs, error
        if kind == "stream":
            if outputs and outputs[-1]["output_type"] == "stream" and outputs[-1]["name"] == content["name"]:
                outputs[-1]["text"] += content["text"]
            else:
                outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
        elif kind in ("display_data", "execute_result"):
            out = {"output_type": kind, "data": content["data"], "metadata": content.get("metadata", {})}
            if kind == "execute_result":
                out["execution_count"] = content.get("execution_count")
            outputs.append(out)
        elif kind == "error":
            outputs.append({"output_type": "error", "ename": content["ename"],
                            "evalue": content["evalue"], "traceback": content["traceback"]})
            error = error or f"{content['ename']}: {content['evalue']}"
        elif kind == "clear_output":
            outputs.clear()


def run_reference(sources: dict[str, list[str]], sandbox: Sandbox, timeout: float) -> dict[str, Any]:
    """Run each student's code cells (``{student: [source, ...]}``) in one kernel.

    Returns ``{"outputs": {student: [outputs per cell]}, "errors": {student: text}}``.
    """
    km, kc = start_kernel(sandbox)
    result: dict[str, Any] = {"outputs": {}, "errors": {}}
    try:
        for student, cells in sources.items():
            _collect(km, kc, RESET, timeout)
            outs = []
            for i, code in enumerate(cells):
                cell_out, error = _collect(km, kc, code, timeout)
                outs.append(cell_out)
                if error:
                    result["errors"][student] = f"code cell {i}: {error}"
            result["outputs"][student] = outs
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return result


# --- nbval ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellResult:
    """What nbval said about one code cell.

    ``outcome``: ``passed`` or ``failed`` (a cell missing from the results did not run);
    ``kind`` for failures: ``differs`` (outputs differ from the reference),
    ``exception``, ``timeout``, ``memory``, ``died`` (the kernel ended), ``dead`` (the kernel
    was already dead), ``kernel`` (the kernel did not start) or ``internal``.
    """

    cell: int
    outcome: str
    kind: str = ""
    message: str = ""


class _Plugin:
    """pytest plugin: nbval's options and collector, our kernel, and a record of each cell."""

    def __init__(self, sandbox: Sandbox, startup_timeout: float) -> None:
        self.sandbox = sandbox
        self.startup_timeout = startup_timeout
        self.results: dict[int, CellResult] = {}
        self.collect_error = ""

    def pytest_addoption(self, parser):
        from nbval import plugin

        plugin.pytest_addoption(parser)

    def pytest_configure(self, config):
        from nbval import plugin

        plugin.pytest_configure(config)

    def pytest_collect_file(self, file_path, parent):
        if file_path.suffix == ".ipynb":
            node = _nbfile_class().from_parent(parent, path=file_path)
            node.cbc_plugin = self
            return node
        return None

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_error = str(report.longrepr)[-2000:]

    def pytest_runtest_makereport(self, item, call):
        # A plain (non-wrapper) hook: it runs before pytest's own and returns None, so pytest
        # still builds the report; we read the outcome from ``call``.
        num = getattr(item, "cell_num", None)
        if num is None:
            return None
        if call.when == "setup" and call.excinfo is not None:
            self.results.setdefault(num, CellResult(num, "failed", "kernel", _text(call.excinfo.value)))
            return None
        if call.when != "call":
            return None
        if call.excinfo is None:
            self.results[num] = CellResult(num, "passed")
        else:
            self.results[num] = _classify_failure(num, call.excinfo.value, item)
        return None


def _text(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:500]


def _classify_failure(num: int, exc: BaseException, item) -> CellResult:
    msg = _text(exc)
    if isinstance(exc, KernelDied):
        return CellResult(num, "failed", "died", msg)
    if isinstance(exc, RuntimeError) and "Kernel dead" in msg:
        return CellResult(num, "failed", "dead", msg)
    if msg.startswith("Timeout"):
        return CellResult(num, "failed", "timeout", msg)
    if msg.startswith("Cell outputs differ"):
        return CellResult(num, "failed", "differs", msg)
    if msg.startswith("Cell execution caused an exception"):
        errors = [o for o in (getattr(item, "test_outputs", None) or []) if "ename" in o]
        ename = errors[-1]["ename"] if errors else ""
        evalue = errors[-1].get("evalue", "") if errors else ""
        if ename == "MemoryError":
            return CellResult(num, "failed", "memory", f"{ename}: {evalue}".strip(": "))
        if ename == "KeyboardInterrupt" and getattr(item.parent, "timed_out", False):
            return CellResult(num, "failed", "timeout", msg)
        return CellResult(num, "failed", "exception", f"{ename}: {evalue}"[:300] if ename else msg)
    return CellResult(num, "failed", "internal", f"{type(exc).__name__}: {msg}")


_NBFILE = None


def _nbfile_class():
    """nbval's notebook collector, with our sandboxed kernel (built once, after nbval's import)."""
    global _NBFILE
    if _NBFILE is None:
        from nbval.kernel import RunningKernel
        from nbval.plugin import IPyNbFile

        class SandboxKernel(RunningKernel):
            def __init__(self, sandbox: Sandbox, startup_timeout: float) -> None:
                self.km, self.kc = start_kernel(sandbox, startup_timeout)
                self._ensure_iopub_up()

            def await_reply(self, msg_id, timeout=None):
                msg = get_reply(self.km, self.kc.get_shell_msg, msg_id, timeout)
                if msg["content"]["status"] == "aborted":
                    raise RuntimeError("Kernel aborted execution request")

            def get_message(self, stream, timeout=None):
                get = self.kc.get_iopub_msg if stream == "iopub" else self.kc.get_shell_msg
                return _capped(self, get_reply(self.km, get, None, timeout))

        class SandboxNbFile(IPyNbFile):
            def setup(self):
                plugin = self.cbc_plugin
                self.kernel = SandboxKernel(plugin.sandbox, plugin.startup_timeout)
                self.setup_sanitize_files()

        _NBFILE = SandboxNbFile
    return _NBFILE


def _capped(kernel, msg: dict) -> dict:
    """Cut what a kernel prints once it has printed :data:`MAX_OUTPUT_CHARS` in all."""
    kind, content = msg.get("msg_type"), msg.get("content", {})
    if kind not in ("stream", "display_data", "execute_result", "error"):
        return msg
    used = getattr(kernel, "cbc_output_chars", 0)
    if kind == "stream":
        size = len(content.get("text", ""))
    else:
        size = sum(len(str(v)) for v in content.get("data", {}).values()) + \
            sum(len(str(v)) for v in content.get("traceback", []))
    kernel.cbc_output_chars = used + size
    if used + size <= MAX_OUTPUT_CHARS:
        return msg
    room = max(0, MAX_OUTPUT_CHARS - used)
    content = dict(content)
    if kind == "stream":
        content["text"] = content.get("text", "")[:room] + (_CUT if used <= MAX_OUTPUT_CHARS else "")
    elif kind == "error":
        content["traceback"] = ["[traceback cut]"]
        content["evalue"] = str(content.get("evalue", ""))[:500]
    else:
        content["data"] = {"text/plain": _CUT.strip()}
    return {**msg, "content": content}


@contextlib.contextmanager
def _environ(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_nbval(notebook: pathlib.Path, sandbox: Sandbox, *, timeout: float,
              startup_timeout: float = 60.0) -> tuple[dict[int, CellResult], str]:
    """Run nbval on ``notebook`` in this process; return ``({cell: CellResult}, problem)``.

    ``problem`` is empty unless pytest itself could not collect or run the notebook.
    """
    import pytest

    folder = sandbox.folder
    (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (folder / "sanitize.cfg").write_text(SANITIZE, encoding="utf-8")
    plugin = _Plugin(sandbox, startup_timeout)
    args = [
        str(notebook), "-c", str(folder / "pytest.ini"), "--rootdir", str(folder),
        "-p", "no:cacheprovider", "-p", "no:stepwise", *_SPARE_PLUGINS, "-q", "--no-header", "--color=no",
        "-s", "-W", "ignore", f"--nbval-cell-timeout={timeout:g}",
        f"--nbval-kernel-startup-timeout={startup_timeout:g}",
        "--nbval-sanitize-with", str(folder / "sanitize.cfg"),
    ]
    out = io.StringIO()
    with _NBVAL_LOCK, _environ(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"), contextlib.redirect_stdout(out):
        code = pytest.main(args, plugins=[plugin])
    problem = ""
    if plugin.collect_error:
        problem = "nbval could not read the graded notebook: " + plugin.collect_error
    elif int(code) not in (0, 1):
        problem = f"pytest ended with exit code {int(code)}: " + out.getvalue()[-500:]
    return plugin.results, problem
