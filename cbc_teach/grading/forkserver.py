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

This module imports :mod:`cbc_teach.grading.sandbox` and nothing else of the grader.
"""

from __future__ import annotations

import atexit
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

from .sandbox import (
    INSIDE_IO,
    INSIDE_TMP,
    ROOT_MODE_UID,
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
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None if os.environ.get("CBC_TEACH_DEBUG_SANDBOX") else subprocess.DEVNULL,
            env=env, cwd=cwd, start_new_session=True, text=True, bufsize=1,
        )
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
            raise RuntimeError("the kernel fork server ended")
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
    key = (isolated, definitions)
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
    }
    with _LOCK:
        server = _server(sandbox.isolated, tuple(sandbox.definitions))
        reply = server.fork(request)
        pid = server.host_pid(int(reply["pid"])) if sandbox.isolated else int(reply["pid"])
    root = f"/proc/{pid}/root" if sandbox.isolated else "/"
    client_side = dict(kernel_side)
    if sandbox.isolated:
        client_side["ip"] = f"{root}{INSIDE_IO}/k"
    return ForkedKernel(pid, sandbox, root, sandbox.isolated), client_side


# --- the server process ----------------------------------------------------------------------------

_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REC, _MS_PRIVATE = 0x4000, 1 << 18
_PR_SET_PDEATHSIG, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 1, 24, 38


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        import ctypes

        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent ends."""
    with contextlib.suppress(OSError, AttributeError):
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _become_kernel(request: dict, kernelapp, connection_file: str, log_fd: int) -> None:
    """The last steps of every child: session, streams, folder, environment, limits, kernel."""
    os.setsid()
    _die_with_parent()
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


def _map_user(uid: int, gid: int) -> None:
    with open("/proc/self/setgroups", "w") as fh:
        fh.write("deny")
    with open("/proc/self/uid_map", "w") as fh:
        fh.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as fh:
        fh.write(f"{gid} {gid} 1")


def _isolated_child(request: dict, kernelapp, report: int) -> None:
    """In the forked child: enter new namespaces, fork the kernel as their PID 1, report its pid,
    wait for it (never returns)."""
    code = 1
    try:
        _die_with_parent()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        root_mode = os.getuid() == 0
        uid, gid = os.getuid(), os.getgid()
        flags = _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS
        _check(_libc().unshare(flags | (0 if root_mode else _CLONE_NEWUSER)), "unshare")
        if not root_mode:
            _map_user(uid, gid)
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


def _drop_privileges(root_mode: bool, uid: int, gid: int) -> None:
    import ctypes

    libc = _libc()
    for cap in range(64):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and cap > 40:
            break
    if root_mode:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)  # a uid change from 0 clears every capability
    else:
        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

        class Data(ctypes.Structure):
            _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                        ("inheritable", ctypes.c_uint32)]

        _check(libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()), "capset")
    _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _kernel_in_namespaces(request: dict, kernelapp, root_mode: bool) -> None:
    """PID 1 of a new namespace: its own /tmp, /dev/shm and /proc, an unprivileged user, then
    the kernel (never returns)."""
    code = 1
    try:
        os.closerange(3, 4096)
        libc = _libc()
        uid = ROOT_MODE_UID if root_mode else os.getuid()
        gid = ROOT_MODE_UID if root_mode else os.getgid()
        _check(libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "mount private")
        size = max(1, int(request["disk_mb"]))
        opts = f"size={size}m,nr_inodes=20000,mode=0755,uid={uid},gid={gid}".encode()
        _check(libc.mount(b"tmpfs", INSIDE_TMP.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, opts),
               "mount /tmp")
        if os.path.isdir("/dev/shm"):
            _check(libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                              f"size=16m,mode=0700,uid={uid},gid={gid}".encode()), "mount /dev/shm")
        if root_mode:
            _check(libc.mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None),
                   "mount /proc")
        else:  # a user namespace may not mount a new /proc here: hide the server's
            _check(libc.mount(b"tmpfs", b"/proc", b"tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV
                              | _MS_NOEXEC, b"size=4k,mode=0555"), "hide /proc")
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
        if request["env"].get("CBC_TEACH_DEBUG_SANDBOX"):
            log = os.dup(2)
        if root_mode:  # root's sticky folder: the kernel may add sockets, not replace root's files
            os.chmod(io, 0o1777)
            os.chmod(connection_file, 0o644)
            os.chmod(answers, 0o622)
        _drop_privileges(root_mode, uid, gid)
        _become_kernel(request, kernelapp, connection_file, log)
        code = 0
    except BaseException:  # the kernel never started: end (the grader sees it die)
        if os.environ.get("CBC_TEACH_DEBUG_SANDBOX") or request["env"].get("CBC_TEACH_DEBUG_SANDBOX"):
            import traceback

            traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _check_sandbox() -> None:
    """``--check``: fork one isolated child that only sets itself up, and say whether it worked."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 1
        try:
            root_mode = os.getuid() == 0
            flags = _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS
            _check(_libc().unshare(flags | (0 if root_mode else _CLONE_NEWUSER)), "unshare")
            if not root_mode:
                _map_user(os.getuid(), os.getgid())
            inner = os.fork()
            if inner == 0:
                try:
                    _check(_libc().mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "private")
                    _check(_libc().mount(b"tmpfs", b"/tmp", b"tmpfs", 0, b"size=1m"), "tmpfs")
                    _drop_privileges(root_mode, ROOT_MODE_UID if root_mode else os.getuid(),
                                     ROOT_MODE_UID if root_mode else os.getgid())
                    os.write(w, b"ok")
                except BaseException as exc:
                    os.write(w, f"{exc}".encode()[:300])
                finally:
                    os._exit(0)
            os.waitpid(inner, 0)
            code = 0
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.write(w, f"{exc}".encode()[:300])
        finally:
            os._exit(code)
    os.close(w)
    text = os.read(r, 400).decode(errors="replace")
    os.waitpid(pid, 0)
    print("sandbox ok" if text == "ok" else f"sandbox failed: {text}", flush=True)


def serve() -> None:
    """Import what every kernel needs, then fork one kernel per request line on stdin."""
    if "--check" in sys.argv[1:]:
        _check_sandbox()
        return
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
