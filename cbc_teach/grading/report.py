"""Statistics of a graded class: per-question difficulty and discrimination, the commonest
wrong answers, and a histogram of the totals (text and PNG).

- Difficulty: the mean share of the points earned (1.0: everyone right).
- Discrimination: the corrected item-total correlation, the Pearson correlation between the
  question's points and the total of the *other* questions (so a question does not correlate
  with itself). About 0.3 or more discriminates well; near 0 or negative deserves a look.
  Undefined (shown as ``-``) when everyone scored the same on the question or on the rest.

Only rows with status ``graded`` count; error rows are reported as a number. Only result files
the grader signed are read (:mod:`cbc_teach.grading.gradebook`); others are left out and listed.
"""

from __future__ import annotations

import csv
import io
import math
import os
import pathlib
from collections import Counter
from dataclasses import dataclass

from ..errors import GradingError
from .gradebook import key_path, read_signed, write_file

__all__ = ["QuestionStats", "Report", "report"]


@dataclass(frozen=True)
class QuestionStats:
    """Statistics of one question."""

    id: str
    max_points: float
    difficulty: float | None
    discrimination: float | None
    wrong_answers: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Report:
    """The statistics of one graded folder, and the files written."""

    exercise: str
    students: int
    errors: int
    max_points: float
    totals: tuple[float, ...]
    questions: tuple[QuestionStats, ...]
    text: str
    files: tuple[pathlib.Path, ...]


def _pearson(x: list[float], y: list[float]) -> float | None:
    n = len(x)
    if n < 3:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sum((a - mx) * (b - my) for a, b in zip(x, y)) / math.sqrt(sxx * syy)


def _histogram(totals: list[float], most: float) -> list[tuple[float, float, int]]:
    if most <= 0:
        return []
    width = max(1.0, math.ceil(most / 10))
    edges = []
    lo = 0.0
    while lo <= most:
        edges.append((lo, min(lo + width, most + 1e-9)))
        lo += width
    counts = []
    for i, (a, b) in enumerate(edges):
        last = i == len(edges) - 1
        counts.append((a, b, sum(1 for t in totals if a <= t < b or (last and t == b))))
    return counts


def report(folder: str | os.PathLike, *, png: bool = True) -> Report:
    """Read ``FOLDER/results/*.json`` (written by :func:`~cbc_teach.grading.grade`); write
    ``FOLDER/report.txt``, ``FOLDER/questions.csv`` and ``FOLDER/histogram.png``."""
    folder = pathlib.Path(folder)
    files = sorted((folder / "results").glob("*.json"))
    if not files:
        raise GradingError(f"No results in {folder / 'results'}: run 'cbc-teach grade ... --out {folder}' first.")
    records, unsigned = [], []
    for path in files:
        record, status = read_signed(path)
        if record is None:
            unsigned.append(f"{path.name} ({status})")
            continue
        record.pop("signature", None)
        records.append(record)
    if not records:
        raise GradingError(
            f"No result in {folder / 'results'} carries this grader's signature ({len(files)} "
            f"files: {', '.join(unsigned[:3])}...); run the report with the account (or "
            f"CBC_TEACH_KEY_FILE, now {key_path()}) that graded, or grade again.")
    exercises = {r.get("exercise") for r in records}
    if len(exercises) > 1:
        raise GradingError(f"{folder} holds results of several exercises: {sorted(map(str, exercises))}.")
    graded = [r for r in records if r.get("status") == "graded" and r.get("questions")]
    errors = len(records) - len(graded)
    qids = [q["id"] for q in (graded or records)[0].get("questions", [])] if records else []
    most = float(graded[0]["max"]) if graded else 0.0
    totals = [float(r["total"]) for r in graded]
    stats = []
    for qid in qids:
        items = [next(q for q in r["questions"] if q["id"] == qid) for r in graded]
        if not items:
            stats.append(QuestionStats(qid, 0, None, None, ()))
            continue
        top = float(items[0]["max"])
        points = [float(q["points"]) for q in items]
        rest = [t - p for t, p in zip(totals, points)]
        wrong = Counter(q.get("answer") if q.get("answer") not in (None, "", "...") else "(no answer)"
                        for q in items if q["status"] != "correct")
        stats.append(QuestionStats(
            qid, top, sum(points) / (len(points) * top) if top else None,
            _pearson(points, rest), tuple(wrong.most_common(3))))

    ex_id = next(iter(exercises)) or "?"
    lines = [f"Report for {ex_id}: {len(graded)} graded, {errors} with errors (not counted)."]
    if unsigned:
        lines.append(f"Left out: {len(unsigned)} result file(s) not written by this grader or "
                     f"altered since (no valid signature): {', '.join(unsigned)}.")
    if totals:
        mean = sum(totals) / len(totals)
        lines.append(f"Total: mean {mean:.2f} of {most:g}, lowest {min(totals):g}, highest {max(totals):g}.")
    lines += ["", f"{'question':<9}{'points':>7}{'difficulty':>12}{'discrimination':>16}  commonest wrong answers"]
    for s in stats:
        diff = "-" if s.difficulty is None else f"{s.difficulty:.2f}"
        disc = "-" if s.discrimination is None else f"{s.discrimination:.2f}"
        wrong = "; ".join(f"{a} (x{n})" for a, n in s.wrong_answers) or "-"
        lines.append(f"{s.id:<9}{s.max_points:>7g}{diff:>12}{disc:>16}  {wrong}")
    lines += ["", "Score histogram:"]
    hist = _histogram(totals, most)
    peak = max((c for _, _, c in hist), default=0)
    for a, b, c in hist:
        label = f"{a:g}" if b - a <= 1 + 1e-9 else f"{a:g}-<{b:g}"
        bar = "#" * (round(30 * c / peak) if peak else 0)
        lines.append(f"{label:>7} | {bar} {c}")
    text = "\n".join(lines) + "\n"

    written = [folder / "report.txt", folder / "questions.csv"]
    write_file(folder, "report.txt", text.encode("utf-8"))
    buffer = io.StringIO(newline="")
    w = csv.writer(buffer)
    w.writerow(["question", "max_points", "difficulty", "discrimination", "commonest_wrong_answers"])
    for s in stats:
        w.writerow([s.id, f"{s.max_points:g}",
                    "" if s.difficulty is None else f"{s.difficulty:.3f}",
                    "" if s.discrimination is None else f"{s.discrimination:.3f}",
                    "; ".join(f"{a} (x{n})" for a, n in s.wrong_answers)])
    write_file(folder, "questions.csv", buffer.getvalue().encode("utf-8"))
    if png:
        written.append(_plot(folder / "histogram.png", totals, most, ex_id))
    return Report(ex_id, len(graded), errors, most, tuple(totals), tuple(stats), text, tuple(written))


def _plot(path: pathlib.Path, totals: list[float], most: float, title: str) -> pathlib.Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = max(1.0, math.ceil(most / 10)) if most else 1.0
    bins = [i * width for i in range(int(most // width) + 2)] if most else 10
    ax.hist(totals, bins=bins, color="#3b6ea5", edgecolor="white")
    ax.set_xlabel("total points")
    ax.set_ylabel("students")
    ax.set_title(f"{title}: scores of {len(totals)} students")
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png")
    return write_file(path.parent, path.name, png.getvalue())
