"""Fast kernel start: a pre-warmed process that forks a fresh sandboxed kernel per submission.

Starting an IPython kernel costs most of a second of CPU, mainly imports. Each grading worker
starts one fork server (``python -m cbc_teach.grading.forkserver``) that imports ipykernel,
IPython and cbc_teach (with its exercises) once, then waits on its standard input. For each
submission the worker sends one JSON line (connection file, folder, environment, limits); the
server forks, and the child becomes a brand-new kernel process: its own session and process
group, the task's scrubbed environment and working folder, its resource limits, standard
streams to the task's log. Nothing of one submission's kernel survives into the next: every
kernel is a separate process forked from the same clean parent, which never runs student code.

Linux only (it uses ``fork``); elsewhere, or with ``CBC_TEACH_FORKSERVER=0``, kernels start
the ordinary way (:func:`cbc_teach.grading.sandbox.start_kernel`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pathlib
import secrets
import signal
import subprocess
import sys
import tempfile
import threading

__all__ = ["ForkedKernel", "available", "start_forked_kernel"]

_SERVER = None
_LOCK = threading.RLock()


def available() -> bool:
    """Whether kernels may be forked here (Linux, and not turned off by the environment)."""
    return sys.platform.startswith("linux") and os.environ.get("CBC_TEACH_FORKSERVER", "1") != "0"


class ForkedKernel:
    """Stands in for jupyter_client's KernelManager for a forked kernel (what nbval uses)."""

    def __init__(self, pid: int, connection_file: str) -> None:
        self.pid = pid
        self.connection_file = connection_file

    def is_alive(self) -> bool:
        """True while the kernel process exists (the server reaps it when it ends)."""
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state not in (b"Z", b"X")

    def interrupt_kernel(self) -> None:
        """Send SIGINT (KeyboardInterrupt in the running cell)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGINT)

    def shutdown_kernel(self, now: bool = True, restart: bool = False) -> None:
        """Kill the kernel's whole process group (the kernel and anything it started)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.unlink(self.connection_file)

    @property
    def kernel_spec(self):
        """No kernel spec: the language is Python."""
        return None


class _Server:
    def __init__(self) -> None:
        from .sandbox import kernel_env

        home = pathlib.Path(tempfile.mkdtemp(prefix="cbc-teach-forkserver-"))
        env = kernel_env(home)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cbc_teach.grading.forkserver"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, cwd=str(home), start_new_session=True, text=True, bufsize=1,
        )
        self.ready = False  # the server imports while this process does other work
        atexit.register(self.close)

    def fork(self, request: dict) -> int:
        if not self.ready:
            line = self.proc.stdout.readline()
            if line.strip() != "ready":
                self.proc.kill()
                raise RuntimeError("the kernel fork server did not start")
            self.ready = True
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        return int(reply["pid"])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


def warm_up() -> None:
    """Start this process's fork server now (it gets ready in the background)."""
    if available():
        with contextlib.suppress(OSError):
            _server()


def _server() -> _Server:
    global _SERVER
    with _LOCK:
        if _SERVER is None or not _SERVER.alive():
            _SERVER = _Server()
        return _SERVER


_CONTEXT = None


def _client_context():
    """A ZeroMQ context whose sockets retry a refused connection every 5 ms, not every 100 ms:
    the client connects while the freshly forked kernel is still binding its ports."""
    global _CONTEXT
    import zmq

    with _LOCK:
        if _CONTEXT is None:
            _CONTEXT = zmq.Context()
            _CONTEXT.setsockopt(zmq.RECONNECT_IVL, 5)
        return _CONTEXT


def start_forked_kernel(sandbox, startup_timeout: float = 60.0):
    """Fork a sandboxed kernel; return ``(ForkedKernel, blocking client)``."""
    from jupyter_client.blocking import BlockingKernelClient
    from jupyter_client.connect import write_connection_file

    from .sandbox import wait_ready

    fname = str(sandbox.folder / "connection.json")
    write_connection_file(fname, ip="127.0.0.1", transport="tcp",
                          key=secrets.token_hex(16).encode(), signature_scheme="hmac-sha256")
    request = {
        "connection_file": fname,
        "cwd": str(sandbox.work),
        "env": sandbox.env(),
        "log": str(sandbox.folder / "kernel-output.txt"),
        "memory_mb": sandbox.memory_mb,
        "cpu_seconds": sandbox.cpu_seconds,
        "args": ["-f", fname, "--HistoryManager.enabled=False",
                 "--IPKernelApp.capture_fd_output=False"],
    }
    with _LOCK:
        pid = _server().fork(request)
    km = ForkedKernel(pid, fname)
    kc = BlockingKernelClient(context=_client_context())
    kc.load_connection_file(fname)
    kc.start_channels()
    try:
        wait_ready(km, kc, startup_timeout)
    except RuntimeError:
        kc.stop_channels()
        km.shutdown_kernel()
        raise
    return km, kc


# --- the server process ----------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Ask Linux to kill this kernel when the fork server ends (it ends with its worker)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _child(request: dict, kernelapp) -> None:
    """In the forked child: become a sandboxed kernel (never returns)."""
    code = 1
    try:
        os.setsid()
        _die_with_parent()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import tempfile as _tempfile

        _tempfile.tempdir = None
        from .sandbox import set_limits

        set_limits(request["memory_mb"], request["cpu_seconds"])
        sys.argv = ["ipykernel_launcher", *request["args"]]
        kernelapp.launch_new_instance()
        code = 0
    finally:
        os._exit(code)


def serve() -> None:
    """Import what every kernel needs, then fork one kernel per request line on stdin."""
    import importlib

    from ipykernel import kernelapp

    import cbc_teach  # noqa: F401

    # what IPKernelApp.initialize() would import in every child (the debugger among them)
    for name in ("ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "debugpy",
                 "pdb", "pydoc", "psutil", "gzip", "xmlrpc.client", "http.server",
                 "matplotlib_inline.backend_inline"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from cbc_teach.exercises import definition, exercise_ids

    for ex_id in exercise_ids():
        d = definition(ex_id)
        d.answers(d.variant("warm-up"))  # fills the data-file caches
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped at once
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request, kernelapp)
        sys.stdout.write(json.dumps({"pid": pid}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
