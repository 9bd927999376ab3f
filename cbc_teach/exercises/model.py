"""Questions, answers and verdicts of the graded exercises: pure Python, no notebook, no kernel.

The same :func:`judge` runs in two places: in the student's kernel (the check cell prints its
line at once) and in the grader, outside the kernel, on the answers read from the notebook. So
the two agree for an honest student, and a student who patches the kernel cannot change the
grader's decision.

>>> q = Question("q1", points=2, answer=Number(unit="x10^9/L", tolerance=0.05),
...              prompt="The ANC of patient A", hint="ANC = WBC x (neutrophils % + bands %) / 100.")
>>> judge(q, 1.2, "1,190/uL").line
'q1: correct (2/2)'
>>> judge(q, 1.2, 0.8).line
'q1: not yet (0/2). ANC = WBC x (neutrophils % + bands %) / 100.'
>>> judge(q, 1.2, ...).line
'q1: no answer yet (0/2). Replace the ... in the answer cell with a number in x10^9/L, e.g. 1.2.'
"""

from __future__ import annotations

import hashlib
import html
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidCountError, close_matches
from ..render import box
from ..units import parse_count
from .contract import full_marks_line

__all__ = [
    "AnswerFormatError",
    "Choice",
    "ExerciseDefinition",
    "Items",
    "Number",
    "Patient",
    "Question",
    "Variant",
    "Verdict",
    "judge",
    "normalise",
    "to_plain",
    "variant_seed",
]

#: The unit of counts; a count answer may be written with any unit parse_count reads.
COUNT_UNIT = "x10^9/L"


class AnswerFormatError(ValueError):
    """An answer that cannot be read as the kind of answer the question wants."""


def variant_seed(exercise_id: str, student: str) -> int:
    """The seed of a student's variant: a stable hash of (exercise id, student id).

    Stable across Python runs and machines (SHA-256, never Python's salted ``hash()``).

    >>> variant_seed("ex02_anc", "s001") == variant_seed("ex02_anc", "s001")
    True
    >>> variant_seed("ex02_anc", "s001") != variant_seed("ex02_anc", "s002")
    True
    """
    digest = hashlib.sha256(f"cbc_teach/{exercise_id}/{student}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def normalise(text: str) -> str:
    """Lower case, with spaces, hyphens and underscores treated alike.

    >>> normalise("  Profound-Neutropenia ")
    'profound_neutropenia'
    """
    out = text.strip().lower().replace("-", " ").replace("_", " ")
    return "_".join(out.split())


def to_plain(value: Any) -> Any:
    """The answer as plain JSON data (numbers, strings, lists), as the grader records it.

    Tuples and sets become lists, numpy scalars become Python numbers; ``...`` stays ``...``.
    Anything else raises :class:`AnswerFormatError`.

    >>> to_plain((1, "a"))
    [1, 'a']
    """
    if value is None or value is Ellipsis or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [to_plain(v) for v in value]
        return sorted(items, key=repr)
    raise AnswerFormatError(
        f"the answer is an object of type {type(value).__name__}; write plain data: a number, "
        "text in quotes, or a list"
    )


def _points_text(x: float) -> str:
    return f"{x:g}"


def _show(value: Any) -> str:
    if value is Ellipsis:
        return "..."
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


# --- kinds of answer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A number, right when within ``tolerance`` (absolute) of the expected value.

    With ``unit="x10^9/L"`` a string with a count unit is accepted (``"1,200/uL"``).

    >>> Number(unit="x10^9/L").read("2,800/uL")
    2.8
    """

    unit: str | None = None
    tolerance: float = 0.0
    example: str = "1.2"

    def describe(self) -> str:
        """What to write, for hints and placeholders."""
        unit = f" in {self.unit}" if self.unit else ""
        return f"a number{unit}, e.g. {self.example}"

    def read(self, value: Any) -> float:
        """The answer as a float, or :class:`AnswerFormatError`."""
        if isinstance(value, bool):
            raise AnswerFormatError(f"write {self.describe()}; got {value!r}")
        if isinstance(value, numbers.Real):
            number = float(value)
        elif isinstance(value, str):
            number = self._read_text(value)
        else:
            raise AnswerFormatError(f"write {self.describe()}; got {_show_type(value)}")
        if not math.isfinite(number):
            raise AnswerFormatError(f"write {self.describe()}; got {value!r}")
        return number

    def _read_text(self, text: str) -> float:
        if self.unit == COUNT_UNIT:
            try:
                return parse_count(text, name="answer")
            except InvalidCountError:
                raise AnswerFormatError(
                    f"write {self.describe()} (a unit such as '/uL' or 'x10^9/L' may follow "
                    f"the number); got {text!r}"
                ) from None
        cleaned = text.strip()
        if self.unit and cleaned.lower().endswith(self.unit.lower()):
            cleaned = cleaned[: -len(self.unit)].strip()
        try:
            return float(cleaned.replace(",", ""))
        except ValueError:
            raise AnswerFormatError(f"write {self.describe()}; got {text!r}") from None

    def score(self, given: float, expected: float) -> float:
        """1.0 when right, else 0.0."""
        return 1.0 if abs(given - float(expected)) <= self.tolerance + 1e-9 else 0.0

    def show(self, value: Any) -> str:
        """The read answer as text."""
        unit = f" {self.unit}" if self.unit else ""
        return f"{value:g}{unit}"


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of options (strings or integers); case, spaces and hyphens do not matter.

    >>> Choice(("low", "normal", "high")).read("Low")
    'low'
    >>> Choice((0, 1, 2, 3, 4)).read("grade 3")
    3
    """

    options: tuple
    synonyms: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """What to write, for hints and placeholders."""
        shown = [repr(o) for o in self.options]
        if len(shown) <= 1:
            return "one of " + "".join(shown)
        return "one of " + ", ".join(shown[:-1]) + " or " + shown[-1]

    def read(self, value: Any) -> Any:
        """The canonical option, or :class:`AnswerFormatError`."""
        numeric = all(isinstance(o, int) for o in self.options)
        if numeric:
            return self._read_int(value)
        if isinstance(value, bool) and "yes" in self.options:
            return "yes" if value else "no"
        if not isinstance(value, str):
            raise AnswerFormatError(f"write {self.describe()} (in quotes); got {_show_type(value)}")
        key = normalise(value)
        table = {normalise(str(o)): o for o in self.options}
        table.update({normalise(k): v for k, v in self.synonyms.items()})
        if key in table:
            return table[key]
        near = close_matches(key, table)
        extra = f" Did you mean {table[near[0]]!r}?" if near else ""
        raise AnswerFormatError(f"{value!r} is not an option: write {self.describe()}.{extra}")

    def _read_int(self, value: Any) -> int:
        number: Any = value
        if isinstance(value, str):
            text = normalise(value).replace("grade", "").replace("_", "").lstrip("g")
            try:
                number = float(text)
            except ValueError:
                number = None
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            raise AnswerFormatError(f"write {self.describe()}; got {_show_type(value)}")
        if float(number) != int(number) or int(number) not in self.options:
            raise AnswerFormatError(f"write {self.describe()}; got {value!r}")
        return int(number)

    def score(self, given: Any, expected: Any) -> float:
        """1.0 when right, else 0.0."""
        return 1.0 if given == expected else 0.0

    def show(self, value: Any) -> str:
        """The read answer as text."""
        return repr(value)


@dataclass(frozen=True)
class Items:
    """A list of names from a fixed set, in any order; partly right earns part of the points.

    Score: (right names - wrong names) / number of right names, at least 0.

    >>> kind = Items(("leukopenia", "neutropenia", "anemia"))
    >>> kind.read("Neutropenia, leukopenia")
    ('leukopenia', 'neutropenia')
    >>> kind.score(("leukopenia",), ("leukopenia", "neutropenia"))
    0.5
    """

    options: tuple[str, ...]
    synonyms: Mapping[str, str] = field(default_factory=dict)
    what: str = "names"

    def describe(self) -> str:
        """What to write, for hints and placeholders."""
        return f"a list of {self.what} in quotes, e.g. [{self.options[0]!r}, ...]"

    def read(self, value: Any) -> tuple[str, ...]:
        """The names as a sorted tuple without repeats, or :class:`AnswerFormatError`."""
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").split(",") if p.strip()]
            if len(parts) == 1 and normalise(parts[0]) == "none":
                parts = []
        elif isinstance(value, (list, tuple, set, frozenset)):
            parts = list(value)
        else:
            raise AnswerFormatError(f"write {self.describe()}; got {_show_type(value)}")
        table = {normalise(o): o for o in self.options}
        table.update({normalise(k): v for k, v in self.synonyms.items()})
        found = []
        for part in parts:
            if not isinstance(part, str):
                raise AnswerFormatError(
                    f"write {self.describe()}; {_show(part)} is not text in quotes"
                )
            key = normalise(part)
            if key not in table:
                near = close_matches(key, table)
                extra = f" Did you mean {table[near[0]]!r}?" if near else ""
                raise AnswerFormatError(f"{part!r} is not one of the {self.what} known here.{extra}")
            found.append(table[key])
        return tuple(sorted(set(found)))

    def score(self, given: Sequence[str], expected: Sequence[str]) -> float:
        """The share of the points earned (see the class docstring)."""
        want, got = set(expected), set(given)
        if not want:
            return 1.0 if not got else 0.0
        hits, extras = len(want & got), len(got - want)
        return max(0, hits - extras) / len(want)

    def show(self, value: Any) -> str:
        """The read answer as text."""
        return "[" + ", ".join(repr(v) for v in value) + "]"


def _show_type(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return f"a {type(value).__name__} {_show(value)}"
    if isinstance(value, (str, numbers.Number)) or value is None:
        return repr(value)
    return f"an object of type {type(value).__name__}"


# --- questions and verdicts --------------------------------------------------------------------

#: A diagnosis for a wrong answer: (read answer, expected answer, variant) -> hint or None.
Diagnose = Callable[[Any, Any, Any], "str | None"]


@dataclass(frozen=True)
class Question:
    """One checked question: its id (``"q1"``), points, kind of answer and hints.

    ``hint`` teaches the method without giving the answer; ``diagnose`` may return a more
    specific hint for a recognisable mistake. A ``hidden`` question's check only confirms that
    the answer was recorded (the grader shows the verdict).
    """

    id: str
    points: int
    answer: Number | Choice | Items
    prompt: str
    hint: str | Callable[[], str] = ""
    hidden: bool = False
    diagnose: Diagnose | None = None

    def hint_text(self) -> str:
        """The general hint (a callable hint is built from the data files when asked for)."""
        return self.hint() if callable(self.hint) else self.hint

    def placeholder(self) -> str:
        """The answer cell a released notebook shows: ``q1 = ...`` and what to write."""
        return f"{self.id} = ...  # {self.answer.describe()}"


@dataclass(frozen=True)
class Verdict:
    """The decision on one answer, with the one line the check cell prints."""

    question: str
    points: float
    max_points: int
    status: str  # correct, partial, wrong, unanswered, unreadable, recorded
    line: str
    answer: str = ""

    @property
    def correct(self) -> bool:
        """Full marks."""
        return self.status == "correct"


def judge(
    question: Question, expected: Any, value: Any, *, variant: Any = None, reveal: bool = True
) -> Verdict:
    """Decide one answer and build the line the check cell prints.

    ``reveal=False`` (a student's own run) turns a hidden question's verdict into "answer
    recorded"; the points are still computed, for the grader.

    >>> q = Question("q2", 1, Choice(("low", "normal", "high")), "WBC status", hidden=True)
    >>> judge(q, "low", "LOW", reveal=False).line
    'q2: answer recorded (hidden question, 1 point, marked by your instructor)'
    >>> judge(q, "low", "LOW").line
    'q2: correct (1/1)'
    """
    qid, most = question.id, question.points
    kind = question.answer
    if value is None or value is Ellipsis:
        tail = " (hidden question)" if question.hidden and not reveal else ""
        line = (
            f"{qid}: no answer yet (0/{most}){tail}. Replace the ... in the answer cell with "
            f"{kind.describe()}."
        )
        return Verdict(qid, 0.0, most, "unanswered", line, "...")
    try:
        plain = to_plain(value)
        given = kind.read(plain)
    except AnswerFormatError as exc:
        line = f"{qid}: cannot read the answer (0/{most}): {exc}"
        line = line if line.endswith((".", "?")) else line + "."
        return Verdict(qid, 0.0, most, "unreadable", line, _show_guarded(value))
    shown = kind.show(given)
    fraction = kind.score(given, expected)
    points = math.floor(fraction * most * 2 + 1e-9) / 2
    if points >= most:
        status, line = "correct", full_marks_line(qid, most)
    else:
        status = "partial" if points > 0 else "wrong"
        word = "partly right" if points > 0 else "not yet"
        hint = _hint(question, given, expected, variant)
        line = f"{qid}: {word} ({_points_text(points)}/{most}). {hint}".rstrip()
    if question.hidden and not reveal:
        plural = "point" if most == 1 else "points"
        line = f"{qid}: answer recorded (hidden question, {most} {plural}, marked by your instructor)"
    return Verdict(qid, float(points), most, status, line, shown)


def _show_guarded(value: Any) -> str:
    try:
        return _show(to_plain(value))
    except AnswerFormatError:
        return f"<{type(value).__name__}>"


def _hint(question: Question, given: Any, expected: Any, variant: Any) -> str:
    parts = []
    if isinstance(question.answer, Items):
        want, got = set(expected), set(given)
        hits, extras = len(want & got), len(got - want)
        text = f"You named {hits} of the {len(want)} that apply"
        if extras:
            text += f"; {extras} of yours {'does' if extras == 1 else 'do'} not apply"
        parts.append(text + ".")
    special = question.diagnose(given, expected, variant) if question.diagnose else None
    if special is None and isinstance(question.answer, Number):
        special = _number_slip(given, float(expected), question.answer)
    if special:
        parts.append(special)
    general = question.hint_text()
    if general:
        parts.append(general)
    return " ".join(" ".join(parts).split())


def _number_slip(given: float, expected: float, kind: Number) -> str | None:
    """Hints for the commonest numeric slips: units and percentages."""
    if expected == 0:
        return None
    for factor, text in (
        (1000.0, "That looks like cells/uL: write it with its unit ('/uL') or in x10^9/L."),
        (100.0, "Did you divide the percentage by 100?"),
    ):
        if abs(given - expected * factor) <= kind.tolerance * factor + 1e-9:
            if factor == 1000.0 and kind.unit != COUNT_UNIT:
                continue
            return text
    return None


# --- the variant: what one student sees --------------------------------------------------------


@dataclass(frozen=True)
class Patient:
    """A patient in an exercise: a count, who they are, and optionally a history and a story."""

    label: str
    cbc: Any
    population: str = "adult"
    age_years: float | None = None
    sex: str | None = None
    history: Any = None
    story: str = ""
    percentages: Mapping[str, float] | None = None
    wbc_text: str | None = None

    def describe(self) -> str:
        """The patient as one paragraph of plain text (what the student reads)."""
        who = {"adult": "adult", "duffy_null": "adult with the Duffy-null phenotype"}.get(
            self.population, "child"
        )
        if self.age_years is not None:
            who = f"{who}, {_age(self.age_years)}"
        if self.sex:
            who = f"{who}, {self.sex}"
        text = f"Patient {self.label} ({who})."
        if self.story:
            text += f" {self.story}"
        text += " " + self.count_text()
        if self.history is not None:
            text += " " + _history_text(self.history)
        return text

    def count_text(self) -> str:
        """The count as a laboratory report would show it."""
        cbc = self.cbc
        wbc = self.wbc_text or f"{cbc.wbc:g} x10^9/L"
        parts = [f"WBC {wbc}"]
        names = {"neutrophils": "segmented neutrophils", "bands": "bands", "lymphocytes":
                 "lymphocytes", "monocytes": "monocytes", "eosinophils": "eosinophils",
                 "basophils": "basophils"}
        if self.percentages is not None:
            diff = [f"{names[k]} {v:g} %" for k, v in self.percentages.items()]
            if diff:
                parts.append("differential: " + ", ".join(diff))
        else:
            for key, name in names.items():
                value = getattr(cbc, key)
                if value is not None:
                    parts.append(f"{name} {value:g}")
        text = "; ".join(parts)
        if self.percentages is None and len(parts) > 1:
            text += " (x10^9/L)"
        extra = []
        if cbc.hemoglobin is not None:
            extra.append(f"hemoglobin {cbc.hemoglobin:g} g/dL")
        if cbc.mcv is not None:
            extra.append(f"MCV {cbc.mcv:g} fL")
        if cbc.platelets is not None:
            extra.append(f"platelets {cbc.platelets:g} x10^9/L")
        if extra:
            text += "; " + ", ".join(extra)
        return text + "."


def _age(age: float) -> str:
    if age < 1:
        return f"{round(age * 12):d} months old"
    return f"{age:g} years old"


def _history_text(history: Any) -> str:
    from ..history import term_label  # the plain-words label of each term ("HIV infection")

    bits = []
    for name in ("conditions", "medications", "exposures", "symptoms"):
        terms = getattr(history, name, ()) or ()
        if terms:
            bits.append(f"{name}: " + ", ".join(term_label(name, str(t)) for t in terms))
    temp = getattr(history, "temperature_c", None)
    if temp is not None:
        fever_hours = getattr(history, "fever_hours", None)
        bits.append(f"temperature {temp:g} C" + (f" for {fever_hours:g} h" if fever_hours else ""))
    days = getattr(history, "days_since_chemotherapy", None)
    if days is not None:
        bits.append(f"last chemotherapy {days:g} days ago")
    return ("History: " + "; ".join(bits) + ".") if bits else "History: nothing of note."


@dataclass(frozen=True)
class Variant:
    """One student's variant of an exercise: the patients (and any other data) they work on."""

    exercise: str
    student: str
    patients: tuple[Patient, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def patient(self, label: str) -> Patient:
        """The patient with this label (``"A"``, ``"B"``...)."""
        for p in self.patients:
            if p.label == label:
                return p
        known = ", ".join(p.label for p in self.patients)
        raise KeyError(f"No patient {label!r} in this exercise; the patients are {known}.")

    def lines(self) -> list[str]:
        """The variant as lines of plain text."""
        out = [p.describe() for p in self.patients]
        out.extend(self.notes)
        return out


@dataclass(frozen=True)
class ExerciseDefinition:
    """What the grader needs to know about an exercise, without running any notebook.

    ``build(rng)`` makes a variant's data; ``solve(variant)`` returns the right answer of each
    question for that variant.
    """

    id: str
    title: str
    questions: tuple[Question, ...]
    build: Callable[[Any, str], Variant]
    solve: Callable[[Variant], Mapping[str, Any]]
    summary: str = ""

    def question(self, qid: str) -> Question:
        """The question with this id."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"No question {qid!r} in {self.id}; the questions are "
                       + ", ".join(q.id for q in self.questions) + ".")

    @property
    def max_points(self) -> int:
        """The total of all questions' points."""
        return sum(q.points for q in self.questions)

    def variant(self, student: str) -> Variant:
        """The variant of ``student`` (seeded by :func:`variant_seed`)."""
        import numpy as np

        rng = np.random.default_rng(variant_seed(self.id, student))
        return self.build(rng, student)

    def answers(self, variant: Variant) -> dict[str, Any]:
        """The right answer of every question for ``variant``."""
        solved = dict(self.solve(variant))
        missing = [q.id for q in self.questions if q.id not in solved]
        if missing:
            raise KeyError(f"{self.id}: solve() gave no answer for {', '.join(missing)}")
        return solved


def variant_html(variant: Variant, title: str) -> str:
    """The variant as a small HTML block (for the setup cell's display)."""
    rows = "".join(f"<li>{html.escape(line)}</li>" for line in variant.lines())
    return box(f"<p><b>{html.escape(title)}</b> (variant for {html.escape(variant.student)})</p>"
               f"<ul>{rows}</ul>", "exercise")
