"""Where a student's code runs: a bubblewrap sandbox, one fresh set of namespaces per kernel.

Design (Linux; measured on a 2-core machine: the sandbox adds about 10 ms per kernel)
------------------------------------------------------------------------------------------
Each grading worker starts one **fork server** (:mod:`cbc_teach.grading.forkserver`) inside
``bwrap`` (bubblewrap, Debian package ``bubblewrap``): :func:`bwrap_argv`. That outer sandbox
has its own PID, network (no interface but a down loopback), IPC and UTS namespaces, a cleared
environment, ``--die-with-parent``, a minimal ``/dev``, its own ``/proc`` and, read-only, only
what Python and cbc_teach need: ``/usr``, a few files of ``/etc`` (the dynamic linker's cache,
fonts, time zone), the Python installation and virtual environment, and the ``cbc_teach``
package folder itself (never the folder around it, so not the instructor's ``exercises/``).
An instructor's own exercise definition (``<id>.py``) is shown as that one file. The server
imports IPython, ipykernel and cbc_teach once; it never runs student code.

For every kernel the server forks a child that enters **new namespaces of its own** (mount, PID,
network, IPC, UTS; and a user namespace when the grader is not root) and forks the kernel as
PID 1 of its new PID namespace. Before any student code runs the kernel:

- mounts a fresh ``tmpfs`` of ``disk_mb`` on ``/tmp``: its only writable folder (home, working
  folder, temporary files, the answer records), a total disk quota that vanishes with it; and a
  small one on ``/dev/shm``;
- mounts its own ``/proc`` (root grader) or hides ``/proc`` (otherwise): it sees no process but
  its own, never the grader's environment or command line;
- becomes an unprivileged user (uid 65534 when the grader is root; otherwise the grader's uid
  mapped into the new user namespace), drops every capability and sets ``no_new_privs``;
- sets limits: address space, CPU seconds, size of a written file, no core files, and a process
  count (``RLIMIT_NPROC``);
- gets a scrubbed environment (:func:`kernel_env`).

Everything the kernel starts (threads, ``setsid`` daemons, double forks) lives in the kernel's
PID namespace and is killed by Linux when the kernel (its PID 1) ends, which the grader causes
at the end of every task. Nothing survives from one submission to the next.

The kernel talks to the grader over ZeroMQ **IPC sockets** (Unix sockets, not TCP: there is no
shared network) in its own ``/tmp/.cbc-teach``, which the grader reaches through
``/proc/<kernel pid>/root``. When the grader is root that folder is root's and sticky, and the
grader takes ownership of the sockets once the kernel is up, so student code cannot swap them for
links. The answer records are read with ``O_NOFOLLOW`` through directory descriptors, size-capped.

The reference outputs never reach the kernel: nbval compares in the grader. The graded notebook,
the submissions, the output folder and the instructor's notebooks stay outside the sandbox.

Without the sandbox (``cbc-teach grade --no-sandbox``, or ``grade(..., sandbox=False)``) kernels
run as before: their own process, the same limits, a scrubbed environment and a temporary folder,
but the grader's user, file system and network. :func:`sandbox_problem` says why the sandbox
cannot be used on a machine (``bwrap`` missing, namespaces refused).
"""

from __future__ import annotations

import argparse
import functools
import os
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import GradingError
from ..exercises.contract import ANSWERS_ENV, EXERCISE_PATH_ENV, GRADING_ENV

__all__ = [
    "DEFAULT_DISK_MB",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_PROCESSES",
    "KernelDied",
    "Sandbox",
    "SandboxUnavailable",
    "bwrap_argv",
    "kernel_env",
    "main",
    "require_sandbox",
    "sandbox_problem",
    "set_limits",
]

DEFAULT_MEMORY_MB = 2048
DEFAULT_DISK_MB = 256
DEFAULT_PROCESSES = 64
KERNEL_NAME = "cbc-teach-sandbox"
#: Inside the sandbox: the kernel's writable tmpfs, and its folder for sockets and records.
INSIDE_TMP = "/tmp"
INSIDE_IO = "/tmp/.cbc-teach"
INSIDE_DEFINITIONS = "/opt/cbc-teach-exercises"
#: The fork server's uid inside bwrap when the grader is not root.
USER_MODE_UID = 1000


class KernelDied(RuntimeError):
    """The kernel process ended while a cell was running (it exited, crashed or was killed)."""


class SandboxUnavailable(GradingError):
    """The bubblewrap sandbox cannot run on this machine (the message says why and what to do)."""


@dataclass
class Sandbox:
    """The limits and folders of one grading task (plain data).

    ``folder`` is the grader's own temporary folder for the task (never shown to the kernel
    when ``isolated``). ``definitions``: an instructor's exercise definition files the kernel
    needs (shown read-only, one file each). ``recorded`` is filled with the kernel's answer
    records when its kernel stops.
    """

    folder: pathlib.Path
    memory_mb: int = DEFAULT_MEMORY_MB
    cpu_seconds: int = 600
    disk_mb: int = DEFAULT_DISK_MB
    processes: int = DEFAULT_PROCESSES
    isolated: bool = True
    definitions: tuple[str, ...] = ()
    recorded: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self.folder = pathlib.Path(self.folder)
        if not self.isolated:
            for path in (self.host_work, self.host_home / "tmp", self.host_io):
                path.mkdir(parents=True, exist_ok=True)

    # the kernel's folders, as the kernel sees them
    @property
    def host_work(self) -> pathlib.Path:
        return self.folder / "work"

    @property
    def host_home(self) -> pathlib.Path:
        return self.folder / "home"

    @property
    def host_io(self) -> pathlib.Path:
        return self.folder / "io"

    @property
    def work(self) -> str:
        """The kernel's working folder."""
        return f"{INSIDE_TMP}/work" if self.isolated else str(self.host_work)

    @property
    def io(self) -> str:
        """The kernel's folder for its sockets, its log and its answer records."""
        return INSIDE_IO if self.isolated else str(self.host_io)

    def env(self) -> dict[str, str]:
        """The kernel's whole environment."""
        if self.isolated:
            home = pathlib.Path(INSIDE_TMP) / "home"
            search = [INSIDE_DEFINITIONS] if self.definitions else []
            return kernel_env(home, pathlib.Path(INSIDE_IO) / "answers.jsonl", search,
                              tmp=pathlib.Path(INSIDE_TMP))
        search = sorted({str(pathlib.Path(d).parent) for d in self.definitions})
        return kernel_env(self.host_home, self.host_io / "answers.jsonl", search)

    def limits(self) -> dict[str, int]:
        """The kernel's resource limits (for the fork server)."""
        return {"memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds,
                "disk_mb": self.disk_mb, "processes": self.processes}

    def argv(self) -> list[str]:
        """The kernel command line without the fork server (jupyter_client fills in
        ``{connection_file}``); only without isolation."""
        return [
            sys.executable, "-m", "cbc_teach.grading.sandbox",
            f"--memory-mb={self.memory_mb}", f"--cpu-seconds={self.cpu_seconds}", "--",
            "-f", "{connection_file}", "--HistoryManager.enabled=False",
            "--IPKernelApp.capture_fd_output=False",
        ]


def kernel_env(home: pathlib.Path, answers: pathlib.Path | None = None,
               exercise_path: Sequence[str] = (), tmp: pathlib.Path | None = None) -> dict[str, str]:
    """A minimal environment for a grading kernel: nothing inherited but ``PYTHONPATH``.

    >>> env = kernel_env(pathlib.Path("/tmp/x/home"))
    >>> env["HOME"], env["CBC_TEACH_GRADING"], "JUPYTERHUB_API_TOKEN" in env
    ('/tmp/x/home', '1', False)
    """
    bindir = str(pathlib.Path(sys.executable).parent)
    env = {
        "PATH": os.pathsep.join([bindir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(home),
        "TMPDIR": str(tmp or home / "tmp"),
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
        GRADING_ENV: "1",
    }
    if answers is not None:
        env[ANSWERS_ENV] = str(answers)
    if exercise_path:
        env[EXERCISE_PATH_ENV] = os.pathsep.join(exercise_path)
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


# --- the outer sandbox -------------------------------------------------------------------------

_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/fonts",
        "/etc/localtime", "/etc/mime.types")


def _package_folder() -> pathlib.Path:
    return pathlib.Path(__file__).resolve().parent.parent


def _python_folders() -> list[str]:
    """The folders Python needs: its installations and the site-packages folders on sys.path."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    prefixes.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    package = str(_package_folder())
    for entry in sys.path:
        real = os.path.realpath(entry or ".")
        inside = any(real == p or real.startswith(p + os.sep) for p in prefixes)
        # a site folder elsewhere (e.g. a user's --user site) is shown; a source tree is not
        if not inside and os.path.isdir(real) and os.path.basename(real) in ("site-packages", "dist-packages") \
                and not package.startswith(real + os.sep):
            prefixes.add(real)
    keep = sorted(p for p in prefixes if os.path.isdir(p) and p != "/")
    # a folder inside another one shown already adds nothing
    return [p for p in keep if not any(p != q and p.startswith(q + os.sep) for q in keep)]


def privileged() -> bool:
    """Whether the grader runs as root (then kernels become uid 65534 inside the sandbox).

    ``CBC_TEACH_SANDBOX_USERNS=1`` makes a root grader use the user-namespace mode of other
    users instead (for testing that mode).
    """
    return os.geteuid() == 0 and os.environ.get("CBC_TEACH_SANDBOX_USERNS") != "1"


def bwrap_argv(definitions: Sequence[str] = (), bwrap: str | None = None) -> list[str]:
    """The ``bwrap`` command line that wraps a fork server (see the module docstring).

    ``definitions``: exercise definition files to show at ``/opt/cbc-teach-exercises/``.
    """
    argv = [bwrap or shutil.which("bwrap") or "bwrap",
            "--die-with-parent", "--new-session", "--clearenv",
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "cbc-teach-sandbox"]
    if privileged():
        # the fork server (never student code) may create namespaces and switch users
        for cap in ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_CHOWN"):
            argv += ["--cap-add", cap]
    else:
        argv += ["--unshare-user", "--uid", str(USER_MODE_UID), "--gid", str(USER_MODE_UID)]
    for name in ("bin", "lib", "lib64", "sbin"):
        path = f"/{name}"
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    argv += ["--ro-bind", "/usr", "/usr"]
    for path in _ETC:
        argv += ["--ro-bind-try", path, path]
    binds = [(p, p) for p in _python_folders() if not p.startswith("/usr/")]
    package = str(_package_folder())
    binds.append((package, package))
    binds += [(str(p), f"{INSIDE_DEFINITIONS}/{pathlib.Path(p).name}") for p in definitions]
    made: set[str] = set()
    for source, dest in binds:
        # folders on the way are created readable (bwrap's default is 0700: unusable for nobody)
        for parent in reversed(pathlib.PurePosixPath(dest).parents[:-1]):
            if str(parent) not in made and str(parent) not in ("/usr", "/tmp"):
                made.add(str(parent))
                argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", source, dest]
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(1 << 20), "--tmpfs", "/tmp", "--chdir", "/tmp"]
    return argv


@functools.cache
def sandbox_problem() -> str:
    """Why the bubblewrap sandbox cannot run here ("" when it can): tried once per process by
    running :mod:`cbc_teach.grading.namespaces` in bwrap (it sets up one sandboxed child)."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (this is {sys.platform})"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap (bubblewrap) is not installed"
    hidden = [p for p in (*_python_folders(), str(_package_folder()))
              if p == "/tmp" or p.startswith("/tmp/")]
    if hidden:
        return (f"Python or cbc_teach is installed under /tmp ({hidden[0]}), which the sandbox "
                "replaces with each kernel's own empty /tmp; install the environment elsewhere")
    script = str(pathlib.Path(__file__).with_name("namespaces.py"))
    argv = bwrap_argv(bwrap=bwrap) + [sys.executable, "-I", "-S", script]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                              env=_server_env(), cwd="/")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not be run ({exc})"
    if done.returncode != 0 or "sandbox ok" not in done.stdout:
        text = " ".join((done.stderr or done.stdout).split())[-300:]
        return f"bwrap cannot create the namespaces it needs here ({text or f'exit {done.returncode}'})"
    return ""


def _server_env() -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def server_setenv(env: dict[str, str]) -> list[str]:
    """``--setenv`` options for bwrap (it starts from a cleared environment)."""
    out: list[str] = []
    for key, value in env.items():
        out += ["--setenv", key, value]
    return out


def require_sandbox() -> None:
    """Raise :class:`SandboxUnavailable` (naming the package and ``--no-sandbox``) if the
    sandbox cannot run here."""
    problem = sandbox_problem()
    if problem:
        raise SandboxUnavailable(
            f"Grading runs every kernel in a bubblewrap sandbox, but {problem}. Install the "
            "Debian package 'bubblewrap' (apt-get install bubblewrap) on a machine or container "
            "that allows user namespaces, or grade without the sandbox: cbc-teach grade "
            "--no-sandbox (grade(..., sandbox=False)); the run summary then says so."
        )


# --- limits and the launcher without a fork server ----------------------------------------------


def set_limits(memory_mb: int, cpu_seconds: int, file_mb: int = 256,
               processes: int | None = None) -> None:
    """Limit this process: address space, CPU seconds, size of files written, no core files,
    and (when given) the number of processes of its user."""
    import resource

    limits = {
        resource.RLIMIT_AS: memory_mb * 1024 * 1024,
        resource.RLIMIT_CPU: cpu_seconds,
        resource.RLIMIT_FSIZE: file_mb * 1024 * 1024,
        resource.RLIMIT_CORE: 0,
    }
    if processes is not None:
        limits[resource.RLIMIT_NPROC] = processes
    for which, value in limits.items():
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value if which in (resource.RLIMIT_CORE, resource.RLIMIT_NPROC)
                                   else hard))


def main(argv: Sequence[str] | None = None) -> None:
    """The kernel launcher without a fork server (no isolation): set the resource limits on this
    process, then run IPython's kernel."""
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
