"""Writing what grading produces: ``gradebook.csv``, one result JSON and one feedback page each.

The gradebook's columns: ``student_id``, one per question id (in notebook order), ``total``,
``max``, ``status`` (``graded`` or ``error``) and ``reason``.

Only the grader writes these files, and never through a link a submission may have planted:
each file is written under a temporary name in its folder (opened with ``O_NOFOLLOW``,
``O_EXCL``) and renamed over the old one, so a symbolic link at ``results/<student>.json`` or
``gradebook.csv`` is replaced, never followed. Result records are signed (HMAC-SHA256) with a
key kept outside the output folder (:func:`key_path`); a re-run reuses only records whose
signature holds.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import hmac
import html
import io
import json
import os
import pathlib
import re
import secrets
import stat
from collections.abc import Sequence

from ..errors import GradingError

__all__ = [
    "OddOutput",
    "feedback_html",
    "file_name",
    "key_path",
    "kind_of",
    "output_folder",
    "read_regular",
    "read_signed",
    "sign",
    "write_file",
    "write_gradebook",
    "write_result",
]

_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")


def file_name(student: str) -> str:
    """A file-name-safe form of a student id.

    >>> file_name("ann.lee@uni")
    'ann.lee@uni'
    >>> file_name("../../etc")
    '___.._etc'
    """
    name = _SAFE.sub("_", student) or "_"
    return re.sub(r"^\.+", lambda m: "_" * len(m.group()), name)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


# --- files written only by the grader -------------------------------------------------------------


class OddOutput(OSError):
    """An output path holds something the grader will not replace (a folder where a file goes)."""


def kind_of(mode: int) -> str:
    """What a file-system entry is, in words (from ``os.lstat(path).st_mode``).

    >>> kind_of(os.lstat(".").st_mode)
    'a folder'
    """
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def output_folder(path: pathlib.Path) -> list[str]:
    """Make ``path`` a real folder (not a link); return what had to be replaced, in words.

    A symbolic link where the folder goes (planted to redirect the grader's files) is removed,
    not followed, and a real folder made in its place; anything else that is not a folder is a
    :class:`~cbc_teach.errors.GradingError`.
    """
    replaced = []
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        path.mkdir(parents=True)
        return replaced
    if stat.S_ISLNK(st.st_mode):
        os.unlink(path)
        path.mkdir()
        replaced.append(f"{path} was a symbolic link; it was replaced by a folder")
    elif not stat.S_ISDIR(st.st_mode):
        raise GradingError(f"The output folder {str(path)!r} is {kind_of(st.st_mode)}, not a "
                           "folder; move it away or choose another --out.")
    return replaced


def write_file(folder: pathlib.Path, name: str, data: bytes) -> pathlib.Path:
    """Write ``folder/name`` atomically, never through a symbolic link.

    The data goes to a new temporary file in ``folder`` (``O_EXCL | O_NOFOLLOW``) that is then
    renamed over ``name``: a link at ``name`` is replaced, not followed, and a reader sees the
    old file or the new one, never a part. ``folder`` itself must not be a link (``ELOOP``).
    Raises :class:`OddOutput` if ``name`` is a folder.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    dfd = os.open(folder, flags)
    tmp = f".{name}.{secrets.token_hex(6)}.tmp"
    try:
        try:
            old = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except FileNotFoundError:
            old = None
        if old is not None and stat.S_ISDIR(old.st_mode):
            raise OddOutput(f"{folder / name} is a folder, not a file: the grader does not "
                            "replace it (remove it and grade again)")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | getattr(os, "O_CLOEXEC", 0), 0o644, dir_fd=dfd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.rename(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dfd)
        raise
    finally:
        os.close(dfd)
    return folder / name


def read_regular(path: pathlib.Path) -> bytes:
    """The bytes of a regular file, refusing links, pipes and devices without blocking."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OddOutput(f"{path} is {kind_of(st.st_mode)}, not a file")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


# --- signatures ------------------------------------------------------------------------------------


def key_path() -> pathlib.Path:
    """Where the signing key of result records lives: ``$CBC_TEACH_KEY_FILE``, else
    ``$XDG_CONFIG_HOME/cbc_teach/grading.key`` (``~/.config/...``), outside any output folder."""
    named = os.environ.get("CBC_TEACH_KEY_FILE")
    if named:
        return pathlib.Path(named)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return pathlib.Path(base) / "cbc_teach" / "grading.key"


def _key() -> bytes | None:
    """The signing key (made on first use, readable by its owner only); None if unavailable."""
    path = key_path()
    try:
        key = read_regular(path)
        if len(key) >= 32:
            return key
        return None
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # another grader made it just now
        with contextlib.suppress(OSError):
            key = read_regular(path)
            return key if len(key) >= 32 else None
        return None
    except OSError:
        return None
    key = secrets.token_bytes(32)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    return key


def _digest(key: bytes, payload: dict) -> str:
    body = {k: v for k, v in payload.items() if k != "signature"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, text.encode("ascii"), hashlib.sha256).hexdigest()


def sign(payload: dict) -> dict:
    """``payload`` with a ``signature`` field (unsigned if no key can be kept)."""
    key = _key()
    body = {k: v for k, v in payload.items() if k != "signature"}
    if key is not None:
        body["signature"] = _digest(key, body)
    return body


def read_signed(path: pathlib.Path) -> tuple[dict | None, str]:
    """Read a record the grader wrote: ``(record, "ok")``, or ``(None, why)`` where ``why`` is
    ``"absent"``, ``"odd"`` (not a regular file, e.g. a folder or a link), ``"unreadable"`` or
    ``"forged"`` (no valid signature: not written by this grader, or altered since)."""
    try:
        data = read_regular(path)
    except FileNotFoundError:
        return None, "absent"
    except OddOutput:
        return None, "odd"
    except OSError as exc:
        return None, "odd" if exc.errno == errno.ELOOP else "unreadable"  # ELOOP: a link
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None, "forged"
    key = _key()
    if not isinstance(record, dict) or key is None or not isinstance(record.get("signature"), str):
        return None, "forged"
    if not hmac.compare_digest(record["signature"], _digest(key, record)):
        return None, "forged"
    return record, "ok"


# --- the gradebook and each student's files -------------------------------------------------------


def write_gradebook(path: pathlib.Path, records: Sequence[dict], questions: Sequence[str]) -> None:
    """Write ``gradebook.csv`` (one row per record, in the order given), atomically."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["student_id", *questions, "total", "max", "status", "reason"])
    for r in records:
        scores = r.get("scores", {})
        writer.writerow([r["student_id"], *(_num(scores.get(q)) for q in questions),
                         _num(r.get("total")), _num(r.get("max")), r["status"], r["reason"]])
    write_file(path.parent, path.name, buffer.getvalue().encode("utf-8", errors="replace"))


def write_result(folder: pathlib.Path, name: str, record: dict, title: str) -> None:
    """Write ``results/<name>.json`` (signed) and ``feedback/<name>.html`` for one record,
    atomically and never through a link (:func:`write_file`)."""
    for sub in ("results", "feedback"):
        output_folder(folder / sub)
    signed = sign(record)
    write_file(folder / "results", f"{name}.json",
               (json.dumps(signed, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    write_file(folder / "feedback", f"{name}.html",
               feedback_html(record, title).encode("utf-8", errors="replace"))


_STYLE = """body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.35rem .5rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}.ok{color:#1b6e20}.no{color:#b3261e}.part{color:#8a4b00}.note{background:#fff6e0;padding:.5rem;border-left:4px solid #e0a000}
code{background:#f3f3f3;padding:0 .2rem}"""


def feedback_html(record: dict, title: str) -> str:
    """A self-contained feedback page for one student (everything from the submission escaped)."""
    e = html.escape
    total, most = record.get("total", 0), record.get("max", 0)
    head = (f"<h1>{e(title)}</h1><p>Student <b>{e(record['student_id'])}</b>: "
            f"<b>{_num(total)}</b> of {_num(most)} points.</p>")
    parts = [head]
    if record["status"] == "error":
        parts.append(f"<p class='note'><b>This submission could not be graded normally:</b> "
                     f"{e(record['reason'])}. Your instructor will look at it.</p>")
    elif record.get("notes"):
        parts.append("<p class='note'>" + e("; ".join(record["notes"])) + "</p>")
    if record.get("questions"):
        rows = []
        for q in record["questions"]:
            cls = {"correct": "ok", "partial": "part"}.get(q["status"], "no")
            rows.append(
                f"<tr><td>{e(q['id'])}</td><td>{e(q.get('prompt', ''))}</td>"
                f"<td><code>{e(q.get('answer', ''))}</code></td>"
                f"<td class='{cls}'>{_num(q['points'])}/{q['max']}</td><td>{e(q['line'])}</td></tr>")
        parts.append("<table><thead><tr><th>Question</th><th>Asked</th><th>Your answer</th>"
                     "<th>Points</th><th>Feedback</th></tr></thead><tbody>" + "".join(rows)
                     + "</tbody></table>")
    parts.append("<p><small>Graded by cbc-teach: your answer cells were run with the "
                 "instructor's own setup and check cells, and each answer was also checked "
                 "outside the notebook.</small></p>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{e(title)}: {e(record['student_id'])}</title><style>{_STYLE}</style></head>"
            "<body>" + "".join(parts) + "</body></html>\n")
