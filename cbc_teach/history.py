"""The patient's history: conditions, medications, exposures, symptoms and a few numbers.

Terms are matched case-insensitively, with spaces, hyphens and underscores alike, and with the
synonyms of the vocabulary in ``data/knowledge_base.toml``; :class:`History` stores canonical
terms, sorted, as tuples.

>>> h = History(age_years=34, sex="F", conditions=["lupus"], medications=["Bactrim"],
...             symptoms=["Joint pain", "rash"])
>>> h.conditions, h.medications, h.symptoms
(('systemic_lupus_erythematosus',), ('trimethoprim-sulfamethoxazole',), ('joint_pain', 'rash'))
>>> h.sex
'female'
"""

from __future__ import annotations

import dataclasses
import functools
import html
import math
import numbers
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._data import read_toml
from .errors import InvalidParameterError, UnknownTermError, close_matches
from .units import check_value

__all__ = ["FIELDS", "History", "canonical_term", "medication_classes", "vocabulary"]

#: The fields of a history that hold terms from the vocabulary.
FIELDS = ("conditions", "exposures", "symptoms", "medications")

_SINGULAR = {
    "conditions": "condition",
    "exposures": "exposure",
    "symptoms": "symptom",
    "medications": "medication",
}
_KB = "knowledge_base.toml"


def normalise(text: str) -> str:
    """The matching key of a term: lower case, apostrophes dropped, separators as one ``_``.

    >>> normalise("Graves' Disease"), normalise("co-trimoxazole"), normalise("  Interferon  alfa ")
    ('graves_disease', 'co_trimoxazole', 'interferon_alfa')
    """
    text = text.strip().lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[\s_\-]+", "_", text).strip("_")


@functools.cache
def _vocab() -> dict[str, dict[str, dict]]:
    return read_toml(_KB)["vocabulary"]


@functools.cache
def _lookup(field_name: str) -> dict[str, str]:
    """Matching key -> canonical term, for one field (terms and synonyms)."""
    table: dict[str, str] = {}
    for term, entry in _vocab()[field_name].items():
        for spelling in (term, entry.get("label", term), *entry.get("synonyms", ())):
            table.setdefault(normalise(spelling), term)
    return table


def vocabulary() -> dict[str, dict[str, tuple[str, ...]]]:
    """The known terms per field (``conditions``, ``exposures``, ``symptoms``,
    ``medications``), each with its synonyms.

    >>> v = vocabulary()
    >>> sorted(v)
    ['conditions', 'exposures', 'medications', 'symptoms']
    >>> "lupus" in v["conditions"]["systemic_lupus_erythematosus"]
    True
    >>> "Bactrim" in v["medications"]["trimethoprim-sulfamethoxazole"]
    True
    """
    return {
        name: {term: tuple(entry.get("synonyms", ())) for term, entry in _vocab()[name].items()}
        for name in FIELDS
    }


def term_label(field_name: str, term: str) -> str:
    """The plain-words label of a canonical term (the term itself when it is unknown).

    >>> term_label("conditions", "graves_disease")
    "Graves' disease"
    """
    entry = _vocab().get(field_name, {}).get(term)
    return entry.get("label", term) if entry else term


def medication_classes(medication: str) -> tuple[str, ...]:
    """The medication classes a medication belongs to (empty for an unknown medication).

    >>> medication_classes("Bactrim")
    ('idiosyncratic', 'antibiotic')
    >>> medication_classes("prednisone")
    ('glucocorticoid',)
    """
    term = _lookup("medications").get(normalise(medication))
    if term is None:
        return ()
    return tuple(_vocab()["medications"][term].get("classes", ()))


def canonical_term(field_name: str, text: str) -> str:
    """The canonical term for ``text`` in a field; an error lists the closest known terms.

    >>> canonical_term("conditions", "RA")
    'rheumatoid_arthritis'
    >>> canonical_term("exposures", "radiotherapy")
    'radiation_therapy'
    >>> canonical_term("symptoms", "feverr")
    Traceback (most recent call last):
    ...
    cbc_teach.errors.UnknownTermError: Unknown symptom 'feverr'. Did you mean 'fever'...
    """
    if field_name not in FIELDS:
        raise InvalidParameterError(
            f"The field must be one of {', '.join(FIELDS)}; got {field_name!r}."
        )
    if not isinstance(text, str):
        raise InvalidParameterError(
            f"Each {_SINGULAR[field_name]} must be a string such as "
            f"{next(iter(_vocab()[field_name]))!r}; got {text!r} of type {type(text).__name__}."
        )
    key = normalise(text)
    term = _lookup(field_name).get(key)
    if term is None:
        raise UnknownTermError(_unknown_message(field_name, text))
    return term


def _suggestions(field_name: str, text: str) -> list[str]:
    """Closest canonical terms to ``text``: by term, by synonym, then by shared words."""
    key = normalise(text)
    lookup = _lookup(field_name)
    found: list[str] = []
    for spelling in close_matches(key, list(lookup), n=5):
        term = lookup[spelling]
        if term not in found:
            found.append(term)
    if not found and key:
        words = set(key.split("_"))
        for spelling, term in lookup.items():
            if words & set(spelling.split("_")) and term not in found:
                found.append(term)
    return found[:3]


def _unknown_message(field_name: str, text: str) -> str:
    kind = _SINGULAR[field_name]
    message = f"Unknown {kind} {text!r}."
    near = _suggestions(field_name, text)
    if near:
        message += " Did you mean " + " or ".join(repr(t) for t in near) + "?"
    message += (
        f" Known {field_name}: " + ", ".join(_vocab()[field_name]) + ". "
        "cbc_teach.vocabulary() lists them with their synonyms."
    )
    return message


@functools.cache
def _limits() -> dict[str, dict]:
    return read_toml(_KB)["history_limits"]


def _check_hours_or_days(name: str, value: object) -> float | None:
    if value is None:
        return None
    lim = _limits()[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(
            f"The {name!r} must be a number of {lim['unit']} or None; got {value!r}."
        )
    number = float(value)
    if math.isnan(number) or not lim["min"] <= number <= lim["max"]:
        raise InvalidParameterError(
            f"The {name!r} must be between {lim['min']:g} and {lim['max']:g} {lim['unit']}; "
            f"got {value!r}."
        )
    return number


def _check_sex(sex: object) -> str | None:
    if sex is None:
        return None
    if isinstance(sex, str) and sex.strip().lower() in ("male", "female", "m", "f"):
        text = sex.strip().lower()
        return {"m": "male", "f": "female"}.get(text, text)
    raise InvalidParameterError(
        f"The 'sex' must be 'male', 'female' (or 'M', 'F') or None; got {sex!r}."
    )


def _as_terms(field_name: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Iterable):
        raise InvalidParameterError(
            f"The {field_name!r} must be a list of strings (or one string); got {value!r}."
        )
    return tuple(value)


@dataclass(frozen=True, kw_only=True)
class History:
    """A patient's history, with canonical terms (see :func:`vocabulary`).

    ``age_years`` and ``temperature_c`` (degrees C) are checked for plausibility,
    ``fever_hours`` is how long the temperature has been at or above 38.0 C,
    ``days_since_chemotherapy`` is the days since the last dose (giving it adds
    ``"chemotherapy"`` to the exposures), ``duffy_null`` is True, False or None (not tested).

    An unknown condition, exposure or symptom raises an error naming the closest terms; an
    unknown medication is kept, and ``.remarks`` says that the toolkit knows nothing of it.

    >>> History(medications=["clozapine", "Zyprexa"]).remarks  # doctest: +ELLIPSIS
    ("cbc_teach knows nothing about the medication 'zyprexa': it is kept in the history but ...",)
    >>> History(conditions=["lupus erythematodes"])
    Traceback (most recent call last):
    ...
    cbc_teach.errors.UnknownTermError: Unknown condition 'lupus erythematodes'. Did you mean 'systemic_lupus_erythematosus'? ...
    """

    age_years: float | None = None
    sex: str | None = None
    conditions: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    exposures: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    temperature_c: float | None = None
    fever_hours: float | None = None
    days_since_chemotherapy: float | None = None
    duffy_null: bool | None = None
    remarks: tuple[str, ...] = field(default=(), init=False, compare=False)

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        if self.age_years is not None:
            put("age_years", check_value("age_years", self.age_years))
        put("sex", _check_sex(self.sex))
        if self.temperature_c is not None:
            put("temperature_c", check_value("temperature_c", self.temperature_c))
        put("fever_hours", _check_hours_or_days("fever_hours", self.fever_hours))
        put(
            "days_since_chemotherapy",
            _check_hours_or_days("days_since_chemotherapy", self.days_since_chemotherapy),
        )
        if self.duffy_null is not None and not isinstance(self.duffy_null, bool):
            raise InvalidParameterError(
                f"The 'duffy_null' must be True, False or None (not tested); got {self.duffy_null!r}."
            )
        for name in ("conditions", "exposures", "symptoms"):
            terms = {canonical_term(name, t) for t in _as_terms(name, getattr(self, name))}
            put(name, tuple(sorted(terms)))
        if self.days_since_chemotherapy is not None and "chemotherapy" not in self.exposures:
            put("exposures", tuple(sorted((*self.exposures, "chemotherapy"))))
        remarks = []
        meds: set[str] = set()
        lookup = _lookup("medications")
        for text in _as_terms("medications", self.medications):
            if not isinstance(text, str):
                raise InvalidParameterError(
                    f"Each medication must be a string (a generic name such as 'methotrexate'); "
                    f"got {text!r} of type {type(text).__name__}."
                )
            term = lookup.get(normalise(text))
            if term is None:
                name = " ".join(text.strip().lower().split())
                if not name:
                    continue
                if name not in meds:
                    remark = (
                        f"cbc_teach knows nothing about the medication {name!r}: it is kept in "
                        "the history but not used in the reasoning."
                    )
                    near = _suggestions("medications", text)
                    if near:
                        remark += " Did you mean " + " or ".join(repr(t) for t in near) + "?"
                    remarks.append(remark)
                meds.add(name)
            else:
                meds.add(term)
        put("medications", tuple(sorted(meds)))
        put("remarks", tuple(remarks))

    # --- convenience ---------------------------------------------------------------------

    def replace(self, **changes: object) -> History:
        """A copy with some fields changed (the same checks apply).

        >>> History(conditions=["RA"]).replace(symptoms=["fever"]).symptoms
        ('fever',)
        """
        return dataclasses.replace(self, **changes)

    def add(self, **terms: object) -> History:
        """A copy with terms added to the given fields.

        >>> History(conditions=["RA"]).add(conditions=["splenomegaly"]).conditions
        ('rheumatoid_arthritis', 'splenomegaly')
        """
        changes = {}
        for name, value in terms.items():
            if name not in FIELDS:
                raise InvalidParameterError(
                    f"add() takes the fields {', '.join(FIELDS)}; got {name!r}."
                )
            changes[name] = (*getattr(self, name), *_as_terms(name, value))
        return self.replace(**changes)

    @property
    def known_medications(self) -> tuple[str, ...]:
        """The medications the vocabulary knows (unknown ones are left out).

        >>> History(medications=["MTX", "herbal tea"]).known_medications
        ('methotrexate',)
        """
        return tuple(m for m in self.medications if m in _vocab()["medications"])

    @property
    def medication_classes(self) -> frozenset[str]:
        """Every medication class of the known medications.

        >>> sorted(History(medications=["Bactrim", "prednisone"]).medication_classes)
        ['antibiotic', 'glucocorticoid', 'idiosyncratic']
        """
        classes: set[str] = set()
        for med in self.known_medications:
            classes.update(_vocab()["medications"][med].get("classes", ()))
        return frozenset(classes)

    def has(self, term: str) -> bool:
        """Whether a canonical term appears in any field.

        >>> History(conditions=["lupus"]).has("systemic_lupus_erythematosus")
        True
        """
        return any(term in getattr(self, name) for name in FIELDS)

    def is_empty(self) -> bool:
        """True when nothing at all is recorded.

        >>> History().is_empty(), History(age_years=40).is_empty()
        (True, False)
        """
        return self == History()

    def lines(self) -> list[str]:
        """The history in plain words, one item a line (for explanations).

        >>> History(age_years=70, sex="male", medications=["MTX"]).lines()
        ['Patient: age 70 years, male.', 'Medications: methotrexate.']
        """
        out = []
        who = []
        if self.age_years is not None:
            who.append(f"age {self.age_years:g} years")
        if self.sex:
            who.append(self.sex)
        if who:
            out.append("Patient: " + ", ".join(who) + ".")
        for name in FIELDS:
            terms = getattr(self, name)
            if terms:
                labels = [term_label(name, t) for t in terms]
                out.append(f"{name.capitalize()}: " + ", ".join(labels) + ".")
        if self.temperature_c is not None:
            text = f"Temperature {self.temperature_c:g} C"
            if self.fever_hours is not None:
                text += f" for {self.fever_hours:g} h"
            out.append(text + ".")
        elif self.fever_hours is not None:
            out.append(f"Fever for {self.fever_hours:g} h.")
        if self.days_since_chemotherapy is not None:
            out.append(f"Last chemotherapy {self.days_since_chemotherapy:g} days ago.")
        if self.duffy_null is not None:
            out.append("Duffy phenotype: " + ("Duffy-null." if self.duffy_null else "Duffy-positive."))
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines()) or "No history recorded."

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            if f.name == "remarks":
                continue
            value = getattr(self, f.name)
            if value not in (None, ()):
                parts.append(f"{f.name}={value!r}")
        return "History(" + ", ".join(parts) + ")"

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines())
        remarks = "".join(f"<p><i>Note:</i> {html.escape(r)}</p>" for r in self.remarks)
        body = f"<ul>{items}</ul>" if items else "<p>No history recorded.</p>"
        return f"<div class='cbct-history'><b>History</b>{body}{remarks}</div>"
