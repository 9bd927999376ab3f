"""How urgent is a count? Febrile neutropenia (IDSA) and the warning signs of a low count.

Levels, most urgent first (thresholds in ``data/knowledge_base.toml``, section ``triage``):

- ``"emergency"``: febrile neutropenia as the IDSA guideline defines it (Freifeld AG et al.,
  Clin Infect Dis 2011;52:e56-e93): a single temperature >= 38.3 C, or >= 38.0 C for at least
  an hour, with an ANC < 0.5, or an ANC < 1.0 expected to fall below 0.5 (here: chemotherapy
  within the last 14 days).
- ``"urgent"``: a low count (leukopenia or neutropenia) with any of the seven warning signs
  of the seed page (fever, difficulty breathing, extreme fatigue, severe diarrhoea, nausea and
  vomiting, abdominal pain, confusion), or with low blood pressure.
- ``"routine"``: a low count alone.
- ``"none"``: otherwise.

>>> t = triage(CBC(1.2, neutrophils=0.3), History(temperature_c=38.4))
>>> t.level, t.febrile_neutropenia
('emergency', True)
>>> triage(CBC(2.8, neutrophils=1.2), History(symptoms=["confusion"])).level
'urgent'
>>> triage(CBC(2.8, neutrophils=1.2)).level
'routine'
>>> triage(CBC(6.0, neutrophils=3.5)).level
'none'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from ._data import read_toml
from .cbc import CBC
from .classify import Classification, classify
from .errors import InvalidParameterError
from .history import History, term_label

__all__ = ["LEVELS", "Triage", "triage", "warning_signs"]

#: The triage levels, most urgent first.
LEVELS = ("emergency", "urgent", "routine", "none")


@functools.cache
def _rules() -> dict:
    return read_toml("knowledge_base.toml")["triage"]


def warning_signs() -> tuple[str, ...]:
    """The seven symptoms a patient with a low count must act on at once (seed page).

    >>> warning_signs()
    ('fever', 'difficulty_breathing', 'extreme_fatigue', 'severe_diarrhea', 'nausea_vomiting', 'abdominal_pain', 'confusion')
    """
    return tuple(_rules()["warning_signs"]["symptoms"])


_ADVICE = {
    "emergency": (
        "Go to an emergency department now, or call an ambulance. Say that you have a low "
        "white-cell count and a fever: you need antibiotics within an hour. Do not wait until "
        "tomorrow."
    ),
    "urgent": (
        "Call your doctor or your treatment team now, today, and describe your symptoms. If you "
        "cannot reach them, go to an emergency department."
    ),
    "routine": (
        "Your white-cell count is low. Make an appointment with your doctor to talk about it. "
        "Call a doctor at once if you get a fever, difficulty breathing, extreme tiredness, "
        "severe diarrhoea, nausea and vomiting, stomach pain or confusion."
    ),
    "none": "Nothing in this blood count needs action.",
}
_DISCLAIMER = "This is education, not medical advice."


@dataclass(frozen=True, eq=False)
class Triage:
    """The result of :func:`triage`.

    ``level`` is one of :data:`LEVELS`; ``reasons`` explain it in words for a student (with
    the numbers and the rule); ``patient_advice`` says what to do in words for a patient.
    """

    level: str
    febrile_neutropenia: bool
    reasons: list[str]
    patient_advice: str
    low_count: bool = False
    warning_signs: tuple[str, ...] = ()
    anc: float | None = None
    temperature_c: float | None = None
    classification: Classification | None = field(default=None, repr=False)
    sources: tuple[str, ...] = field(default=(), repr=False)

    @property
    def urgent(self) -> bool:
        """True for "emergency" and "urgent"."""
        return self.level in ("emergency", "urgent")

    def explain(self) -> str:
        """Plain text: the level, the reasons, the advice for the patient and the sources.

        >>> print(triage(CBC(2.8, neutrophils=1.2)).explain())  # doctest: +ELLIPSIS
        Triage: ROUTINE
        - The count is low: ...
        """
        lines = [f"Triage: {self.level.upper()}"]
        lines += [f"- {r}" for r in self.reasons]
        lines.append(f"For the patient: {self.patient_advice}")
        if self.sources:
            lines.append("Sources: " + "; ".join(self.sources))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()

    def _repr_html_(self) -> str:
        from .render import triage_html

        return triage_html(self, sources=True)


def triage(cbc: CBC, history: History | None = None, *, population: str = "adult") -> Triage:
    """How urgent a count is, given the history (temperature, symptoms, chemotherapy timing).

    "Low count" means leukopenia or neutropenia against the population's intervals
    (``population`` as in :func:`cbc_teach.classify`; ``"child"`` takes the age from the
    history; ``History(duffy_null=True)`` selects the Duffy-null intervals). The boundaries follow the IDSA wording: a single 38.3 C qualifies, 38.0 C needs
    ``fever_hours >= 1``; an ANC of exactly 0.5 is not below 0.5; day 14 after chemotherapy is
    still "within 14 days".

    >>> triage(CBC(1.5, neutrophils=0.8), History(temperature_c=38.0, fever_hours=1,
    ...        days_since_chemotherapy=10)).febrile_neutropenia
    True
    >>> triage(CBC(1.5, neutrophils=0.8), History(temperature_c=38.0, fever_hours=0.5,
    ...        days_since_chemotherapy=10)).level
    'urgent'
    """
    if not isinstance(cbc, CBC):
        raise InvalidParameterError(
            "triage() needs a CBC as its first argument, e.g. triage(CBC(1.2, neutrophils=0.3)); "
            f"got {type(cbc).__name__}."
        )
    if history is None:
        history = History()
    if not isinstance(history, History):
        raise InvalidParameterError(
            "The 'history' must be a History (e.g. History(temperature_c=38.5)) or None; "
            f"got {type(history).__name__}."
        )
    rules = _rules()
    fever_rule, neut_rule = rules["fever"], rules["neutropenia"]
    if population == "adult" and history.duffy_null is True:
        population = "duffy_null"  # her own population defines what is low
    cls = classify(cbc, population=population,
                   age_years=history.age_years if population == "child" else None,
                   sex=history.sex)
    anc = cbc.anc
    reasons: list[str] = []
    sources: list[str] = []

    low = cls.wbc_status == "low" or "neutropenia" in cls.findings
    if low:
        reasons.append("The count is low: " + cls.summary())
    else:
        reasons.append("The count is not low: " + cls.summary())

    # fever, as IDSA defines it
    t, hours = history.temperature_c, history.fever_hours
    single, sustained = fever_rule["single_reading_c"], fever_rule["sustained_c"]
    idsa_fever = False
    if t is not None:
        if t >= single:
            idsa_fever = True
            fever_text = f"temperature {t:g} C (a single reading of {single:g} C or more)"
        elif t >= sustained and hours is not None and hours >= fever_rule["sustained_hours"]:
            idsa_fever = True
            fever_text = (f"temperature {t:g} C for {hours:g} h ({sustained:g} C or more for at "
                          f"least {fever_rule['sustained_hours']:g} h)")
        elif t >= sustained:
            held = "for an unknown time" if hours is None else f"for {hours:g} h"
            reasons.append(
                f"Temperature {t:g} C {held}: at or above {sustained:g} C but not yet the IDSA "
                f"fever (a single {single:g} C, or {sustained:g} C for at least "
                f"{fever_rule['sustained_hours']:g} h); measure again within the hour."
            )
    elif "fever" in history.symptoms:
        reasons.append("A fever is reported but no temperature is recorded: measure it (the IDSA "
                       f"rule needs {single:g} C once, or {sustained:g} C for an hour).")

    # neutropenia, as IDSA defines it
    days = history.days_since_chemotherapy
    neutropenic = expected = False
    if anc is None:
        if low:
            reasons.append("The ANC is unknown (no differential): febrile neutropenia cannot be "
                           "judged; get a differential at once if there is a fever.")
    elif anc < neut_rule["anc_below"]:
        neutropenic = True
        neut_text = f"ANC {anc:g} x10^9/L (below {neut_rule['anc_below']:g})"
    elif (anc < neut_rule["expected_to_fall_anc_below"] and days is not None
          and days <= neut_rule["chemotherapy_within_days"]):
        expected = True
        neut_text = (f"ANC {anc:g} x10^9/L (below {neut_rule['expected_to_fall_anc_below']:g}) "
                     f"{days:g} days after chemotherapy, so expected to fall below "
                     f"{neut_rule['anc_below']:g} (chemotherapy within "
                     f"{neut_rule['chemotherapy_within_days']:g} days)")

    febrile_neutropenia = idsa_fever and (neutropenic or expected)
    if febrile_neutropenia:
        reasons.append(
            f"Febrile neutropenia (IDSA): {fever_text} with {neut_text}. A medical emergency: "
            "blood cultures and empirical antibiotics within an hour of arrival."
        )
        sources.extend([fever_rule["source"], neut_rule["source"]])
    elif idsa_fever and low:
        reasons.append(
            f"Fever ({fever_text}) with a low count, but the ANC is not below "
            f"{neut_rule['anc_below']:g} and no fall is expected, so this is not febrile "
            "neutropenia by the IDSA rule."
        )
        sources.append(fever_rule["source"])

    # warning signs
    signs = [s for s in warning_signs() if s in history.symptoms]
    fever_sign = _fever_sign(history, sustained)
    if fever_sign and "fever" not in signs:
        signs.insert(0, "fever")
    extra = [s for s in rules["extra_urgent_signs"]["symptoms"] if s in history.symptoms]
    names = [term_label("symptoms", s) for s in signs + extra]

    if febrile_neutropenia:
        level = "emergency"
        others = [n for s, n in zip(signs + extra, names) if s != "fever"]
        if others:
            reasons.append("Other warning signs: " + ", ".join(others) + ".")
    elif low and (signs or extra):
        level = "urgent"
        text = "Warning sign" + ("s" if len(names) > 1 else "") + " with a low count: "
        reasons.append(text + ", ".join(names) + ". The patient should call a doctor at once.")
        sources.append(rules["warning_signs"]["source"])
        if extra:
            sources.append(rules["extra_urgent_signs"]["source"])
    elif low:
        level = "routine"
        reasons.append("A low count with no warning sign: see a doctor at a routine visit, and "
                       "act at once if a warning sign appears.")
        sources.append(rules["warning_signs"]["source"])
    else:
        level = "none"
        if names:
            reasons.append("The symptoms (" + ", ".join(names) + ") still deserve ordinary "
                           "medical judgement; this triage only covers low counts.")
        else:
            reasons.append("No low count and no warning sign: nothing urgent in this count.")

    advice = _ADVICE[level]
    if level == "none" and names:
        advice += " If you feel unwell, see a doctor as you usually would."
    advice += " " + _DISCLAIMER
    return Triage(
        level=level,
        febrile_neutropenia=febrile_neutropenia,
        reasons=reasons,
        patient_advice=advice,
        low_count=low,
        warning_signs=tuple(signs + extra),
        anc=anc,
        temperature_c=t,
        classification=cls,
        sources=tuple(dict.fromkeys(sources)),
    )


def _fever_sign(history: History, threshold: float) -> bool:
    """True when the history shows a fever: the symptom, or a temperature at the threshold."""
    if "fever" in history.symptoms:
        return True
    return history.temperature_c is not None and history.temperature_c >= threshold
