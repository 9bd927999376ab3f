"""Entering Linux namespaces and dropping privileges, with the standard library only.

Used by the fork server (:mod:`cbc_teach.grading.forkserver`) for every sandboxed kernel. Run as
a script (``python .../namespaces.py``, no package import, so it starts in milliseconds) it checks
that this machine lets a process do what a sandboxed kernel needs (new namespaces, a tmpfs,
giving up root or capabilities) and prints ``sandbox ok``; :func:`cbc_teach.grading.sandbox.
sandbox_problem` runs it inside bwrap.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
_PR_SET_PDEATHSIG, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 1, 24, 38
#: The kernel's uid when the grader is root (nobody).
ROOT_MODE_UID = 65534
KERNEL_NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS


def libc():
    """The C library, with errno."""
    return ctypes.CDLL(None, use_errno=True)


def check(result: int, what: str) -> None:
    """Raise ``OSError`` (with errno's text) when a libc call failed."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, options: str = "") -> None:
    """mount(2)."""
    def enc(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    check(libc().mount(enc(source), target.encode(), enc(fstype), flags, options.encode() or None),
          f"mount {target}")


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent ends."""
    with contextlib.suppress(OSError, AttributeError):
        libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def enter_namespaces(root_mode: bool) -> None:
    """New mount, PID, network, IPC and UTS namespaces (and a user namespace mapping this
    process's own uid when not root); the next child forked is PID 1 of the new PID namespace."""
    uid, gid = os.getuid(), os.getgid()
    check(libc().unshare(KERNEL_NAMESPACES | (0 if root_mode else CLONE_NEWUSER)), "unshare")
    if not root_mode:
        with open("/proc/self/setgroups", "w") as fh:
            fh.write("deny")
        with open("/proc/self/uid_map", "w") as fh:
            fh.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as fh:
            fh.write(f"{gid} {gid} 1")


def drop_privileges(root_mode: bool, uid: int, gid: int) -> None:
    """Give up every capability for good (root: become ``uid``; else capset to nothing), and
    set ``no_new_privs``."""
    lib = libc()
    for cap in range(64):
        if lib.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and cap > 40:
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

        check(lib.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()), "capset")
    check(lib.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def self_check() -> str:
    """Fork a child that sets itself up like a sandboxed kernel; "ok" or what failed."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 1
        try:
            root_mode = os.getuid() == 0
            enter_namespaces(root_mode)
            inner = os.fork()
            if inner == 0:
                try:
                    mount(None, "/", None, MS_REC | MS_PRIVATE)
                    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
                    drop_privileges(root_mode, ROOT_MODE_UID if root_mode else os.getuid(),
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
    with os.fdopen(r, "rb") as fh:
        text = fh.read(400).decode(errors="replace")
    os.waitpid(pid, 0)
    return text or "the check's child ended without a word"


if __name__ == "__main__":
    result = self_check()
    print("sandbox ok" if result == "ok" else f"sandbox failed: {result}", flush=True)
    print(json.dumps({"uid": os.getuid()}))
