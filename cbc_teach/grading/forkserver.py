"""Fast kernel start: a pre-warmed process that forks a fresh kernel per submission.

Starting an IPython kernel costs most of a second of CPU, mainly imports. Each grading worker
starts one fork server (``python -m cbc_teach.grading.forkserver``) that imports ipykernel,
IPython and cbc_teach (with its exercises) once, then waits on its standard input. For each
submission the worker sends one JSON line (connection, environment, limits); the server forks,
and the child becomes a brand-new kernel process. The server never runs student code.

With isolation (the default, :mod:`cbc_teach.grading.sandbox` explains the design) the server
itself runs inside ``bwrap``, and each child first enters new namespaces of its own (mount, PID,
network, IPC, UTS, and user when the grader is not root) and forks the kernel as PID 1 of its
PID namespace, with its own tmpfs as ``/tmp``, an unprivileged uid, no capabilities and a process
limit. Without isolation the child only starts a new session with the same limits (as before).

Linux only (it uses ``fork``); without isolation, ``CBC_TEACH_FORKSERVER=0`` turns the fork
server off and kernels start the ordinary way (:mod:`cbc_teach.grading.kernel`).

This module imports :mod:`cbc_teach.grading.sandbox` and :mod:`cbc_teach.grading.namespaces`
and nothing else of the grader.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import json
import os
import pathlib
import secrets
import signal
import stat
import subprocess
import sys
import tempfile
import threading

from .namespaces import (
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    ROOT_MODE_UID,
    die_with_parent,
    drop_privileges,
    enter_namespaces,
    mount,
)
from .sandbox import (
    INSIDE_IO,
    INSIDE_TMP,
    Sandbox,
    bwrap_argv,
    kernel_env,
    privileged,
    server_setenv,
    set_limits,
)

__all__ = ["ForkedKernel", "available", "fork_kernel", "read_kernel_file", "warm_up"]

_SERVERS: dict[tuple, _Server] = {}
_LOCK = threading.RLock()
#: The kernel's ZeroMQ ports (IPC socket names ``k-1`` ... ``k-5`` under the kernel's io folder).
_IPC_PORTS = {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5}


def _debug() -> bool:
    """``CBC_TEACH_DEBUG_SANDBOX=1``: kernels' start-up errors and output go to stderr."""
    return os.environ.get("CBC_TEACH_DEBUG_SANDBOX") == "1"


def available() -> bool:
    """Whether kernels may be forked here (Linux, and not turned off by the environment)."""
    return sys.platform.startswith("linux") and os.environ.get("CBC_TEACH_FORKSERVER", "1") != "0"


def read_kernel_file(root: str, inside: str, name: str, limit: int) -> str:
    """Up to ``limit`` bytes of the regular file ``inside/name`` under ``root``, never following
    a link planted by the kernel ("" if it is not a regular file)."""
    flags = os.O_PATH | os.O_DIRECTORY
    try:
        fd = os.open(root, flags)
    except OSError:
        return ""
    try:
        for part in [p for p in inside.split("/") if p]:
            nfd = os.open(part, flags | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nfd
        ffd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
        try:
            if not stat.S_ISREG(os.fstat(ffd).st_mode):
                return ""
            return os.read(ffd, limit).decode("utf-8", errors="replace")
        finally:
            os.close(ffd)
    except OSError:
        return ""
    finally:
        os.close(fd)


def _pid_namespace(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return ""


class ForkedKernel:
    """Stands in for jupyter_client's KernelManager for a forked kernel (what nbval uses).

    ``pid`` is the kernel's process id as this process sees it; ``root`` the kernel's root
    folder as this process reaches it (``/proc/<pid>/root`` when isolated, ``/`` otherwise).
    """

    def __init__(self, pid: int, sandbox: Sandbox, root: str, isolated: bool) -> None:
        self.pid = pid
        self.sandbox = sandbox
        self.root = root
        self.isolated = isolated
        self.namespace = _pid_namespace(pid) if isolated else ""

    def _ours(self) -> bool:
        """Still our kernel (not a later process that got the same pid)?"""
        return not self.isolated or _pid_namespace(self.pid) == self.namespace != ""

    def is_alive(self) -> bool:
        """True while the kernel process exists (its parent reaps it when it ends)."""
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state not in (b"Z", b"X")

    def interrupt_kernel(self) -> None:
        """Send SIGINT (KeyboardInterrupt in the running cell)."""
        if self._ours():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGINT)

    def read_answers(self) -> str:
        """The kernel's answer records so far (size-capped, never through a link)."""
        from ..exercises.contract import MAX_RECORDS_BYTES

        return read_kernel_file(self.root, self.sandbox.io, "answers.jsonl", MAX_RECORDS_BYTES)

    def shutdown_kernel(self, now: bool = True, restart: bool = False) -> None:
        """Keep the answer records, then kill the kernel and everything it started."""
        if self.is_alive():
            self.sandbox.recorded = self.read_answers()
        if self.isolated:
            # the kernel is PID 1 of its namespace: Linux kills the rest with it
            if self._ours():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(self.pid, signal.SIGKILL)
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)

    def secure_sockets(self) -> None:
        """Root grader: take ownership of the kernel's sockets (in a sticky folder that is root's),
        so that student code cannot replace them with links."""
        if not (self.isolated and privileged()):
            return
        base = f"{self.root}{INSIDE_IO}"
        for port in _IPC_PORTS.values():
            with contextlib.suppress(OSError):
                path = f"{base}/k-{port}"
                if stat.S_ISSOCK(os.lstat(path).st_mode):
                    os.chown(path, 0, 0, follow_symlinks=False)

    @property
    def kernel_spec(self):
        """No kernel spec: the language is Python."""
        return None


_STARTER: cf.ThreadPoolExecutor | None = None


def _starter() -> cf.ThreadPoolExecutor:
    """The one thread that starts fork servers, alive as long as this process.

    bwrap's ``--die-with-parent`` (``PR_SET_PDEATHSIG``) kills the server when the *thread*
    that started it ends, not the process: a server started from a short-lived thread (a Dask
    task's, a thread pool's) would be killed under a grading that is still using it.
    """
    global _STARTER
    with _LOCK:
        if _STARTER is None:
            _STARTER = cf.ThreadPoolExecutor(1, thread_name_prefix="cbc-teach-forkserver-start")
        return _STARTER


class _ServerEnded(RuntimeError):
    """The fork server exited instead of answering a request."""


class _Server:
    def __init__(self, isolated: bool, definitions: tuple[str, ...]) -> None:
        self.isolated = isolated
        home = pathlib.Path(tempfile.mkdtemp(prefix="cbc-teach-forkserver-"))
        self.home = home
        argv = [sys.executable, "-m", "cbc_teach.grading.forkserver"]
        if isolated:
            env = kernel_env(pathlib.Path(INSIDE_TMP) / "home", tmp=pathlib.Path(INSIDE_TMP))
            argv = bwrap_argv(definitions) + server_setenv(env) + argv
            env, cwd = {"PATH": "/usr/bin:/bin"}, "/"
        else:
            env, cwd = kernel_env(home), str(home)
        self.proc = _starter().submit(
            subprocess.Popen, argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=None if _debug() else subprocess.DEVNULL,
            env=env, cwd=cwd, start_new_session=True, text=True, bufsize=1,
        ).result()
        self.ready = False  # the server imports while this process does other work
        atexit.register(self.close)

    def fork(self, request: dict) -> dict:
        if not self.ready:
            line = self.proc.stdout.readline()
            if line.strip() != "ready":
                self.proc.kill()
                raise RuntimeError("the kernel fork server did not start"
                                   + (" in its sandbox" if self.isolated else ""))
            self.ready = True
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise _ServerEnded("the kernel fork server ended")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"the sandboxed kernel could not start: {reply['error']}")
        return reply

    def host_pid(self, inner: int) -> int:
        """This process's id for the kernel that is ``inner`` in the server's PID namespace."""
        todo, seen = [self.proc.pid], 0
        while todo and seen < 200:
            pid = todo.pop()
            seen += 1
            try:
                with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                    nspid = next((ln.split()[1:] for ln in fh if ln.startswith("NSpid:")), [])
                with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
                    children = [int(c) for c in fh.read().split()]
            except (OSError, ValueError):
                continue
            if len(nspid) == 3 and nspid[1] == str(inner):
                return pid
            todo += children
        raise RuntimeError("the sandboxed kernel's process was not found")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        import shutil

        shutil.rmtree(self.home, ignore_errors=True)


def warm_up(isolated: bool = True) -> None:
    """Start this process's fork server now (it gets ready in the background)."""
    if available():
        with contextlib.suppress(OSError):
            _server(isolated, ())


def _server(isolated: bool, definitions: tuple[str, ...]) -> _Server:
    key = (isolated, definitions, privileged())
    with _LOCK:
        server = _SERVERS.get(key)
        if server is None or not server.alive():
            if isolated:  # one sandboxed server per worker: a new exercise replaces the old one
                for other in [k for k in _SERVERS if k[0] and k != key]:
                    _SERVERS.pop(other).close()
            server = _SERVERS[key] = _Server(isolated, definitions)
        return server


def fork_kernel(sandbox: Sandbox) -> tuple[ForkedKernel, dict]:
    """Fork a kernel for ``sandbox``; return it and the connection info for a client."""
    key = secrets.token_hex(16)
    if sandbox.isolated:
        kernel_side = {"transport": "ipc", "ip": f"{INSIDE_IO}/k", **_IPC_PORTS}
    else:
        from jupyter_client.connect import write_connection_file

        fname, info = write_connection_file(str(sandbox.folder / "ports.json"), ip="127.0.0.1",
                                            transport="tcp")
        kernel_side = {"transport": "tcp", "ip": "127.0.0.1",
                       **{k: info[k] for k in _IPC_PORTS}}
    kernel_side.update(key=key, signature_scheme="hmac-sha256", kernel_name="")
    request = {
        "isolated": sandbox.isolated,
        "connection": kernel_side,
        "io": sandbox.io,
        "cwd": sandbox.work,
        "env": sandbox.env(),
        **sandbox.limits(),
        "args": ["--HistoryManager.enabled=False", "--IPKernelApp.capture_fd_output=False"],
        "debug": _debug(),
    }
    with _LOCK:
        server = _server(sandbox.isolated, tuple(sandbox.definitions))
        try:
            reply = server.fork(request)
        except _ServerEnded:  # a server that died between two kernels is replaced, once
            server.close()
            for name in [k for k, v in _SERVERS.items() if v is server]:
                del _SERVERS[name]
            server = _server(sandbox.isolated, tuple(sandbox.definitions))
            reply = server.fork(request)
        pid = server.host_pid(int(reply["pid"])) if sandbox.isolated else int(reply["pid"])
    root = f"/proc/{pid}/root" if sandbox.isolated else "/"
    client_side = dict(kernel_side)
    if sandbox.isolated:
        client_side["ip"] = f"{root}{INSIDE_IO}/k"
    return ForkedKernel(pid, sandbox, root, sandbox.isolated), client_side


# --- the server process ----------------------------------------------------------------------------

def _become_kernel(request: dict, kernelapp, connection_file: str, log_fd: int) -> None:
    """The last steps of every child: session, streams, folder, environment, limits, kernel."""
    os.setsid()
    die_with_parent()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    os.close(null)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None
    set_limits(request["memory_mb"], request["cpu_seconds"],
               processes=request["processes"] if request.get("isolated") else None)
    sys.argv = ["ipykernel_launcher", "-f", connection_file, *request["args"]]
    kernelapp.launch_new_instance()


def _child(request: dict, kernelapp) -> None:
    """Without isolation, in the forked child: become a kernel (never returns)."""
    code = 1
    try:
        io = pathlib.Path(request["io"])
        connection_file = str(io / "kernel.json")
        with open(connection_file, "w", encoding="utf-8") as fh:
            json.dump(request["connection"], fh)
        log = os.open(str(io / "kernel-output.txt"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        _become_kernel(request, kernelapp, connection_file, log)
        code = 0
    finally:
        os._exit(code)


def _isolated_child(request: dict, kernelapp, report: int) -> None:
    """In the forked child: enter new namespaces, fork the kernel as their PID 1, report its pid,
    wait for it (never returns)."""
    code = 1
    try:
        die_with_parent()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        root_mode = os.getuid() == 0
        enter_namespaces(root_mode)
        pid = os.fork()
        if pid == 0:
            os.close(report)
            _kernel_in_namespaces(request, kernelapp, root_mode)
        os.write(report, json.dumps({"pid": pid}).encode())
        os.close(report)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue
        code = 0
    except BaseException as exc:  # report any failure to the server, then end
        with contextlib.suppress(OSError):
            os.write(report, json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
    finally:
        os._exit(code)


def _kernel_in_namespaces(request: dict, kernelapp, root_mode: bool) -> None:
    """PID 1 of a new namespace: its own /tmp, /dev/shm and /proc, an unprivileged user, then
    the kernel (never returns)."""
    code = 1
    try:
        os.closerange(3, 4096)
        uid = ROOT_MODE_UID if root_mode else os.getuid()
        gid = ROOT_MODE_UID if root_mode else os.getgid()
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        size = max(1, int(request["disk_mb"]))
        mount("tmpfs", INSIDE_TMP, "tmpfs", MS_NOSUID | MS_NODEV,
              f"size={size}m,nr_inodes=20000,mode=0755,uid={uid},gid={gid}")
        if os.path.isdir("/dev/shm"):
            mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  f"size=16m,mode=0700,uid={uid},gid={gid}")
        if root_mode:
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        else:  # a user namespace may not mount a new /proc here: hide the server's
            mount("tmpfs", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=4k,mode=0555")
        io = request["io"]
        os.mkdir(io)
        for name in ("home", "work"):
            os.mkdir(f"{INSIDE_TMP}/{name}", 0o700)
            os.chown(f"{INSIDE_TMP}/{name}", uid, gid)
        connection_file = f"{io}/kernel.json"
        with open(connection_file, "w", encoding="utf-8") as fh:
            json.dump(request["connection"], fh)
        answers = f"{io}/answers.jsonl"
        os.close(os.open(answers, os.O_WRONLY | os.O_CREAT, 0o600))
        log = os.open(f"{io}/kernel-output.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if request.get("debug"):  # the kernel's own output to the grader's stderr
            log = os.dup(2)
        if root_mode:  # root's sticky folder: the kernel may add sockets, not replace root's files
            os.chmod(io, 0o1777)
            os.chmod(connection_file, 0o644)
            os.chmod(answers, 0o622)
        drop_privileges(root_mode, uid, gid)
        _become_kernel(request, kernelapp, connection_file, log)
        code = 0
    except BaseException:  # the kernel never started: end (the grader sees it die)
        if request.get("debug"):
            import traceback

            traceback.print_exc()
        code = 1
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
        with contextlib.suppress(Exception):  # a broken instructor's definition fails in its task
            d = definition(ex_id)
            d.answers(d.variant("warm-up"))  # fills the data-file caches
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped at once
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("isolated"):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                _isolated_child(request, kernelapp, w)
            os.close(w)
            with os.fdopen(r, "rb") as fh:
                data = fh.read(4096)
            try:
                reply = json.loads(data) if data else {"error": "the sandboxed child ended"}
            except json.JSONDecodeError:
                reply = {"error": data.decode(errors="replace")[:300]}
        else:
            pid = os.fork()
            if pid == 0:
                _child(request, kernelapp)
            reply = {"pid": pid}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
