"""Starting and talking to a grading kernel (what :mod:`cbc_teach.grading.runner` uses).

- :func:`start_kernel`: a kernel for one task, forked by this worker's pre-warmed fork server
  (:mod:`cbc_teach.grading.forkserver`) inside the bubblewrap sandbox
  (:mod:`cbc_teach.grading.sandbox`); without isolation it may also be launched the ordinary way.
- :func:`get_reply` and :func:`wait_ready`: waiting for messages while noticing a dead kernel.

The client caps the size of one ZeroMQ message (:data:`MAX_MESSAGE_BYTES`): a kernel that
prints hundreds of megabytes at once loses its connection instead of filling the worker's memory.
"""

from __future__ import annotations

import queue
import threading
import time

from .sandbox import KERNEL_NAME, KernelDied, Sandbox

__all__ = ["MAX_MESSAGE_BYTES", "get_reply", "launch_kernel", "start_kernel", "wait_ready"]

#: The largest ZeroMQ message the grader accepts from a kernel.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024

_CONTEXT = None
_LOCK = threading.Lock()


def _client_context():
    """A ZeroMQ context whose sockets retry a refused connection every 5 ms, not every 100 ms
    (the client connects while the freshly forked kernel is still binding), and refuse messages
    over :data:`MAX_MESSAGE_BYTES`."""
    global _CONTEXT
    import zmq

    with _LOCK:
        if _CONTEXT is None:
            _CONTEXT = zmq.Context()
            _CONTEXT.setsockopt(zmq.RECONNECT_IVL, 5)
            _CONTEXT.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        return _CONTEXT


def start_kernel(sandbox: Sandbox, startup_timeout: float = 60.0):
    """Start a kernel for ``sandbox``; return ``(kernel manager, blocking client)``.

    An isolated sandbox always uses the fork server in bubblewrap (an error if it cannot: never
    a silent fallback to an unsandboxed kernel).
    """
    from . import forkserver

    if sandbox.isolated:
        return _start_forked(sandbox, startup_timeout)
    if forkserver.available():
        try:
            return _start_forked(sandbox, startup_timeout)
        except (OSError, RuntimeError, ValueError):
            pass  # fall back to an ordinary launch
    return launch_kernel(sandbox, startup_timeout)


def _start_forked(sandbox: Sandbox, startup_timeout: float):
    from jupyter_client.blocking import BlockingKernelClient

    from .forkserver import fork_kernel

    km, info = fork_kernel(sandbox)
    kc = BlockingKernelClient(context=_client_context())
    kc.load_connection_info(info)
    kc.start_channels()
    try:
        wait_ready(km, kc, startup_timeout)
    except RuntimeError:
        kc.stop_channels()
        km.shutdown_kernel()
        raise
    km.secure_sockets()
    return km, kc


def launch_kernel(sandbox: Sandbox, startup_timeout: float = 60.0):
    """Launch a kernel as a new Python process (no fork server, no isolation)."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    if sandbox.isolated:
        raise ValueError("an isolated kernel is started by the fork server, not launched")
    spec = KernelSpec(argv=sandbox.argv(), display_name="cbc-teach sandbox", language="python",
                      interrupt_mode="signal", env={})

    class _OneSpec(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return spec

    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_OneSpec(),
                       connection_file=str(sandbox.folder / "connection.json"))
    log = open(sandbox.folder / "kernel-output.txt", "ab")  # noqa: SIM115 (closed with the kernel)
    try:
        km.start_kernel(env=sandbox.env(), cwd=sandbox.work, stdout=log, stderr=log)
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
        except KernelDied as exc:
            raise RuntimeError(f"the kernel did not start ({exc})") from None


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
