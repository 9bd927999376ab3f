"""Writing what grading produces: ``gradebook.csv``, one result JSON and one feedback page each.

The gradebook's columns: ``student_id``, one per question id (in notebook order), ``total``,
``max``, ``status`` (``graded`` or ``error``) and ``reason``.
"""

from __future__ import annotations

import csv
import html
import json
import pathlib
import re
from collections.abc import Sequence

__all__ = ["feedback_html", "file_name", "write_gradebook", "write_result"]

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


def write_gradebook(path: pathlib.Path, records: Sequence[dict], questions: Sequence[str]) -> None:
    """Write ``gradebook.csv`` (one row per record, in the order given)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_id", *questions, "total", "max", "status", "reason"])
        for r in records:
            scores = r.get("scores", {})
            writer.writerow([r["student_id"], *(_num(scores.get(q)) for q in questions),
                             _num(r.get("total")), _num(r.get("max")), r["status"], r["reason"]])


def write_result(folder: pathlib.Path, name: str, record: dict, title: str) -> None:
    """Write ``results/<name>.json`` and ``feedback/<name>.html`` for one record."""
    (folder / "results").mkdir(parents=True, exist_ok=True)
    (folder / "feedback").mkdir(parents=True, exist_ok=True)
    (folder / "results" / f"{name}.json").write_text(
        json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (folder / "feedback" / f"{name}.html").write_text(feedback_html(record, title), encoding="utf-8")


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
