"""Where a student's code runs: its own kernel process with resource limits, a scrubbed
environment and a temporary folder.

- The kernel gets only the environment variables :func:`kernel_env` lists (no tokens, no
  credentials, ``HOME`` and ``TMPDIR`` inside the task's temporary folder).
- It starts through ``python -m cbc_teach.grading.sandbox``, which sets the limits (address
  space, CPU seconds, size of written files, no core files) on itself and then becomes an
  ordinary IPython kernel. A memory hog gets a ``MemoryError`` or dies; a CPU hog is stopped.
- Its working folder is the task's temporary folder, which holds nothing but the graded copy.

What it does not do: cut the network or hide the file system (that needs containers; run the
grader in one, e.g. a JupyterHub grading pod, if you need that too).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import queue
import sys
import time
from collections.abc import Sequence

__all__ = ["KernelDied", "Sandbox", "kernel_env", "main", "start_kernel"]

DEFAULT_MEMORY_MB = 2048
KERNEL_NAME = "cbc-teach-sandbox"


class KernelDied(RuntimeError):
    """The kernel process ended while a cell was running (it exited, crashed or was killed)."""


class Sandbox:
    """The limits and folders of one grading task (plain data, picklable)."""

    def __init__(self, folder: pathlib.Path, *, memory_mb: int = DEFAULT_MEMORY_MB,
                 cpu_seconds: int = 600, exercise_path: Sequence[str] = ()) -> None:
        self.folder = pathlib.Path(folder)
        self.memory_mb = int(memory_mb)
        self.cpu_seconds = int(cpu_seconds)
        self.exercise_path = list(exercise_path)
        self.work = self.folder / "work"
        self.home = self.folder / "home"
        self.answers = self.folder / "answers.jsonl"
        for path in (self.work, self.home, self.home / "tmp"):
            path.mkdir(parents=True, exist_ok=True)

    def argv(self) -> list[str]:
        """The kernel command line (jupyter_client fills in ``{connection_file}``)."""
        return [
            sys.executable, "-m", "cbc_teach.grading.sandbox",
            f"--memory-mb={self.memory_mb}", f"--cpu-seconds={self.cpu_seconds}", "--",
            "-f", "{connection_file}", "--HistoryManager.enabled=False",
            "--IPKernelApp.capture_fd_output=False",
        ]

    def env(self) -> dict[str, str]:
        """The kernel's whole environment."""
        return kernel_env(self.home, self.answers, self.exercise_path)


def kernel_env(home: pathlib.Path, answers: pathlib.Path | None = None,
               exercise_path: Sequence[str] = ()) -> dict[str, str]:
    """A minimal environment for a grading kernel: nothing inherited but ``PYTHONPATH``.

    >>> env = kernel_env(pathlib.Path("/tmp/x/home"))
    >>> env["HOME"], env["CBC_TEACH_GRADING"], "JUPYTERHUB_API_TOKEN" in env
    ('/tmp/x/home', '1', False)
    """
    bindir = str(pathlib.Path(sys.executable).parent)
    env = {
        "PATH": os.pathsep.join([bindir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "IPYTHONDIR": str(home / ".ipython"),
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "CBC_TEACH_GRADING": "1",
    }
    if answers is not None:
        env["CBC_TEACH_ANSWERS"] = str(answers)
    if exercise_path:
        env["CBC_TEACH_EXERCISE_PATH"] = os.pathsep.join(exercise_path)
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def start_kernel(sandbox: Sandbox, startup_timeout: float = 60.0):
    """Start a sandboxed kernel; return ``(kernel manager, blocking client)``.

    Forked from this worker's pre-warmed fork server where possible
    (:mod:`cbc_teach.grading.forkserver`), else launched the ordinary way.
    """
    from . import forkserver

    if forkserver.available():
        try:
            return forkserver.start_forked_kernel(sandbox, startup_timeout)
        except (OSError, RuntimeError, ValueError):
            pass  # fall back to an ordinary launch
    return launch_kernel(sandbox, startup_timeout)


def launch_kernel(sandbox: Sandbox, startup_timeout: float = 60.0):
    """Launch a sandboxed kernel as a new Python process (no fork server)."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = KernelSpec(argv=sandbox.argv(), display_name="cbc-teach sandbox", language="python",
                      interrupt_mode="signal", env={})

    class _OneSpec(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return spec

    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_OneSpec(),
                       connection_file=str(sandbox.folder / "connection.json"))
    log = open(sandbox.folder / "kernel-output.txt", "ab")  # noqa: SIM115 (closed with the kernel)
    try:
        km.start_kernel(env=sandbox.env(), cwd=str(sandbox.work), stdout=log, stderr=log)
    finally:
        log.close()  # the child holds its own copy of the descriptor
    kc = km.client()
    kc.start_channels()
    try:
        wait_ready(km, kc, startup_timeout)
    except RuntimeError:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        raise
    return km, kc


def wait_ready(km, kc, timeout: float) -> None:
    """Wait until the kernel answers on the shell channel and its IOPub messages reach us.

    (jupyter_client's ``wait_for_ready`` also waits a fixed 0.2 s for IOPub to fall silent.)
    """
    deadline = time.monotonic() + timeout
    while True:
        msg_id = kc.kernel_info()
        try:
            get_reply(km, kc.get_shell_msg, msg_id, 1.0)
            while True:
                msg = get_reply(km, kc.get_iopub_msg, msg_id, 0.1)
                if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                    return
        except queue.Empty:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the kernel did not answer within {timeout:g} s") from None


def get_reply(km, get, msg_id: str | None, timeout: float | None, poll: float = 0.2):
    """Wait for a message from ``get`` (a client's get_*_msg), noticing a dead kernel at once.

    Returns the first message whose parent is ``msg_id`` (any message when ``msg_id`` is None);
    raises ``queue.Empty`` after ``timeout`` seconds, :class:`KernelDied` if the kernel ends.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        step = poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic()))
        try:
            msg = get(timeout=step)
        except queue.Empty:
            if not km.is_alive():
                raise KernelDied(_ending(km)) from None
            if deadline is not None and time.monotonic() >= deadline:
                raise
            continue
        if msg_id is None or msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg


def _ending(km) -> str:
    code = getattr(getattr(getattr(km, "provisioner", None), "process", None), "returncode", None)
    if code is None:
        return "the kernel process ended"
    if code < 0:
        return f"the kernel process was killed by signal {-code}"
    return f"the kernel process exited with status {code}"


def set_limits(memory_mb: int, cpu_seconds: int, file_mb: int = 256) -> None:
    """Limit this process: address space, CPU seconds, size of files written, no core files."""
    import resource

    limits = {
        resource.RLIMIT_AS: memory_mb * 1024 * 1024,
        resource.RLIMIT_CPU: cpu_seconds,
        resource.RLIMIT_FSIZE: file_mb * 1024 * 1024,
        resource.RLIMIT_CORE: 0,
    }
    for which, value in limits.items():
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, hard if which != resource.RLIMIT_CORE else value))


def main(argv: Sequence[str] | None = None) -> None:
    """The kernel launcher: set the resource limits on this process, then run IPython's kernel."""
    parser = argparse.ArgumentParser(prog="python -m cbc_teach.grading.sandbox")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    parser.add_argument("--cpu-seconds", type=int, default=600)
    parser.add_argument("--file-mb", type=int, default=256)
    parser.add_argument("kernel_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    rest = [a for a in args.kernel_args if a != "--"]
    set_limits(args.memory_mb, args.cpu_seconds, args.file_mb)
    sys.argv = ["ipykernel_launcher", *rest]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
