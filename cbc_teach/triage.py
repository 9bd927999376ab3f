"""How urgent is a count? A rule table (``data/triage_rules.toml``) read by one small engine.

Levels, most urgent first (defined, with the advice for each, in the data file):

- ``"emergency"``: now, an emergency department (or an ambulance);
- ``"urgent"``: the same day, the doctor or the treatment team today;
- ``"routine"``: a planned review;
- ``"none"``: nothing in the count needs action.

Each rule has an id, a condition made of *facts* about the count and the history, a level, the
reason shown to a student, the advice for the patient and a source. The highest level among the
matched rules wins, and every matched reason is listed. The rules cover febrile neutropenia
(IDSA: Freifeld AG et al., Clin Infect Dis 2011;52(4):e56-e93), signs of sepsis or shock with a
low count with or without fever (a temperature below 36 C included), a new severe neutropenia
(agranulocytosis until proven otherwise) and drugs known for agranulocytosis, severe
thrombocytopenia and anemia with and without bleeding, pancytopenia, hyperleukocytosis, the
warning signs of the patient-education lists, and the expected chemotherapy nadir of a well,
afebrile patient.

The facts (computed here, with the thresholds of the data file): ``low_white`` (leukopenia or
neutropenia for the population), ``anemia``, ``thrombocytopenia``, ``pancytopenia``,
``any_low_count``, ``anc_known``, ``anc_unknown``, ``severe_neutropenia`` (ANC below the IDSA
0.5), ``expected_to_fall``, ``expected_nadir`` (chemotherapy within the nadir window),
``idsa_fever``, ``fever`` (reported, or 38.0 C or more), ``fever_measured`` (a measured
38.0 C or more), ``fever_below_idsa``, ``rigors`` (chills or rigors),
``fever_reported_unmeasured``, ``febrile_neutropenia``, ``hypothermia``, ``sepsis_sign``,
``two_sepsis_signs``, ``warning_sign``, ``infection_sign``, ``agranulocytosis_symptom``,
``agranulocytosis_drug``, ``drug_neutropenia``, ``bleeding``, ``bruising``,
``platelets_unknown``, ``severe_thrombocytopenia``, ``platelets_below_bleeding``,
``severe_anemia``, ``hyperleukocytosis`` (a WBC above 100) and ``any_symptom``.

>>> t = triage(CBC(1.2, neutrophils=0.3), History(temperature_c=38.4))
>>> t.level, t.febrile_neutropenia
('emergency', True)
>>> triage(CBC(2.8, neutrophils=1.2), History(symptoms=["severe diarrhoea"])).level
'urgent'
>>> triage(CBC(0.9, neutrophils=0.05)).level  # a new, unexplained ANC of 0.05
'urgent'
>>> triage(CBC(2.8, neutrophils=1.2)).level
'routine'
>>> triage(CBC(6.0, neutrophils=3.5)).level
'none'
>>> [r.id for r in triage(CBC(2.0, neutrophils=0.2), History(days_since_chemotherapy=9,
...                                                          temperature_c=35.4)).rules]
['sepsis_signs_low_count', 'low_count']
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from ._data import read_toml
from .cbc import CBC
from .classify import Classification, classify
from .errors import CBCTeachError, InvalidParameterError
from .history import History, term_label

__all__ = ["LEVELS", "Rule", "Triage", "infection_signs", "levels", "rules", "thresholds",
           "triage", "warning_signs"]

#: The triage levels, most urgent first (the data file defines them; a test checks they agree).
LEVELS = ("emergency", "urgent", "routine", "none")

_FILE = "triage_rules.toml"
_DISCLAIMER = "This is education, not medical advice."
_FACTS = frozenset({
    "low_white", "anemia", "thrombocytopenia", "pancytopenia", "any_low_count", "anc_known",
    "anc_unknown", "severe_neutropenia", "expected_to_fall", "expected_nadir", "idsa_fever",
    "fever", "fever_measured", "fever_below_idsa", "fever_reported_unmeasured", "rigors",
    "febrile_neutropenia",
    "hypothermia", "sepsis_sign", "two_sepsis_signs", "warning_sign", "infection_sign",
    "agranulocytosis_symptom", "agranulocytosis_drug", "drug_neutropenia", "bleeding",
    "bruising", "platelets_unknown", "severe_thrombocytopenia", "platelets_below_bleeding",
    "severe_anemia", "any_symptom", "hyperleukocytosis", "neutropenic", "hypothermia_alone",
})


@dataclass(frozen=True)
class Rule:
    """One row of the rule table: a condition on facts, a level, texts and its sources.

    ``level`` is None for a note (an explanation that never changes the level); ``cite`` is the
    short form shown after each reason, ``sources`` the full references.

    >>> r = rules()[0]
    >>> r.id, r.level, r.cite
    ('febrile_neutropenia', 'emergency', 'Freifeld 2011')
    >>> r.sources[0][:60]
    'Freifeld AG, Bow EJ, Sepkowitz KA, et al. Clinical practice '
    """

    id: str
    level: str | None
    all: tuple[str, ...]
    any: tuple[str, ...]
    none: tuple[str, ...]
    reason: str
    advice: str
    cite: str
    sources: tuple[str, ...]

    @property
    def source(self) -> str:
        """The full references as one text."""
        return " | ".join(self.sources)

    def matches(self, facts: dict[str, bool]) -> bool:
        """True when every ``all`` fact, at least one ``any`` fact and no ``none`` fact holds."""
        return (all(facts[f] for f in self.all)
                and (not self.any or any(facts[f] for f in self.any))
                and not any(facts[f] for f in self.none))


@functools.cache
def _table() -> dict:
    table = read_toml(_FILE)
    names = [n for n, v in table["levels"].items() if isinstance(v, dict)]
    ranked = tuple(sorted(names, key=lambda n: -table["levels"][n]["rank"]))
    if ranked != LEVELS:
        raise CBCTeachError(f"{_FILE}: the levels must be {LEVELS}; found {ranked}.")
    return table


def _make_rule(row: dict, *, note: bool, references: dict | None = None) -> Rule:
    refs = _table()["references"] if references is None else references
    keys = tuple(row.get("sources", ()))
    missing = [k for k in keys if k not in refs]
    if missing or not keys:
        raise CBCTeachError(
            f"{_FILE}: rule {row['id']!r} needs sources from [references]; unknown: {missing}."
        )
    rule = Rule(
        id=row["id"], level=None if note else row["level"],
        all=tuple(row.get("all", ())), any=tuple(row.get("any", ())),
        none=tuple(row.get("none", ())), reason=row["reason"], advice=row.get("advice", ""),
        cite="; ".join(refs[k]["cite"] for k in keys),
        sources=tuple(refs[k]["text"] for k in keys),
    )
    unknown = [f for f in (*rule.all, *rule.any, *rule.none) if f not in _FACTS]
    if unknown or (not note and rule.level not in LEVELS):
        raise CBCTeachError(
            f"{_FILE}: rule {rule.id!r} uses unknown facts {unknown} or an unknown level "
            f"{rule.level!r}; the facts are {sorted(_FACTS)}, the levels {LEVELS}."
        )
    return rule


@functools.cache
def rules() -> tuple[Rule, ...]:
    """The rules of the table, in the order of the data file (most urgent first).

    >>> [r.id for r in rules()][:3]
    ['febrile_neutropenia', 'fever_after_chemotherapy_anc_unknown', 'temperature_38_neutropenic']
    """
    return tuple(_make_rule(row, note=False) for row in _table()["rules"])


@functools.cache
def _notes() -> tuple[Rule, ...]:
    return tuple(_make_rule(row, note=True) for row in _table().get("notes", ()))


def levels() -> dict[str, str]:
    """What each level means, most urgent first.

    >>> levels()["urgent"]
    'the same day: the doctor or treatment team today'
    """
    return {name: _table()["levels"][name]["meaning"] for name in LEVELS}


def thresholds() -> dict[str, dict]:
    """The numbers the rules use, by group, each group with its source (a copy).

    >>> th = thresholds()
    >>> th["fever"]["single_reading_c"], th["neutropenia"]["anc_below"]
    (38.3, 0.5)
    """
    return {name: dict(group) for name, group in _table()["thresholds"].items()}


def warning_signs() -> tuple[str, ...]:
    """The seven symptoms a patient with a low count must act on at once.

    >>> warning_signs()
    ('fever', 'difficulty_breathing', 'extreme_fatigue', 'severe_diarrhea', 'nausea_vomiting', 'abdominal_pain', 'confusion')
    """
    return tuple(_table()["signs"]["warning"]["symptoms"])


def infection_signs() -> tuple[str, ...]:
    """The further signs of an infection that patient-education lists add to the seven.

    >>> infection_signs()
    ('chills', 'sore_throat', 'mouth_ulcers', 'cough', 'dysuria', 'line_site_infection')
    """
    return tuple(_table()["signs"]["infection"]["symptoms"])


@dataclass(frozen=True, eq=False)
class Triage:
    """The result of :func:`triage`.

    ``level`` is one of :data:`LEVELS`; ``reasons`` explain it in words for a student (with the
    numbers, the rule and its source); ``patient_advice`` says what to do in words for a patient
    (``advice`` holds the same sentences one by one); ``rules`` are the matched
    :class:`Rule` rows, most urgent first, and ``sources`` their full references.
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
    advice: tuple[str, ...] = field(default=(), repr=False)
    rules: tuple[Rule, ...] = field(default=(), repr=False)

    @property
    def urgent(self) -> bool:
        """True for "emergency" and "urgent"."""
        return self.level in ("emergency", "urgent")

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of the matched rules, most urgent first."""
        return tuple(r.id for r in self.rules)

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
            lines.append("Sources:")
            lines += [f"  {s}" for s in self.sources]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()

    def _repr_html_(self) -> str:
        from .render import triage_html

        return triage_html(self, sources=True)


def triage(cbc: CBC, history: History | None = None, *, population: str = "adult") -> Triage:
    """How urgent a count is, given the history (temperature, symptoms, medicines, chemotherapy).

    "Low" follows the population's intervals (``population`` as in :func:`cbc_teach.classify`;
    ``"child"`` takes the age from the history; ``History(duffy_null=True)`` selects the
    Duffy-null intervals). The IDSA boundaries hold as written: a single 38.3 C qualifies,
    38.0 C needs ``fever_hours >= 1``; an ANC of exactly 0.5 is not below 0.5; day 14 after
    chemotherapy is still "within 14 days". Below the IDSA fever, 38.0 C or more within the
    nadir window with an ANC below 0.5 (or expected to fall below it) is an emergency all the
    same (NICE CG151; CDC), under its own rule: the patient is not told to wait at home.

    >>> triage(CBC(1.5, neutrophils=0.8), History(temperature_c=38.0, fever_hours=1,
    ...        days_since_chemotherapy=10)).febrile_neutropenia
    True
    >>> t = triage(CBC(1.5, neutrophils=0.8), History(temperature_c=38.0, fever_hours=0.5,
    ...            days_since_chemotherapy=10))
    >>> t.febrile_neutropenia, t.level, t.rule_ids[0]
    (False, 'emergency', 'temperature_38_neutropenic')
    >>> triage(CBC(2.0, neutrophils=0.1), History(medications=["clozapine"])).rule_ids
    ('severe_neutropenia', 'agranulocytosis_drug', 'low_count')
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
    if population == "adult" and history.duffy_null is True:
        population = "duffy_null"  # her own population defines what is low
    cls = classify(cbc, population=population,
                   age_years=history.age_years if population == "child" else None,
                   sex=history.sex)
    facts, context = _facts(cbc, history, cls)

    matched = [r for r in rules() if r.matches(facts)]
    rank = {name: i for i, name in enumerate(LEVELS)}
    matched.sort(key=lambda r: rank[r.level])  # stable: the file's order within a level
    level = matched[0].level if matched else "none"

    reasons = [("The count is low: " if facts["any_low_count"] else "The count is not low: ")
               + cls.summary()]
    for rule in matched:
        if rule.id == "normal_count" and len(matched) > 1:
            continue
        reasons.append(f"{_fill(rule.reason, context)} [rule {rule.id}; {rule.cite}]")
    reasons += [f"{_fill(n.reason, context)} [{n.cite}]" for n in _notes() if n.matches(facts)]

    advice = [_table()["levels"][level]["advice"]]
    for rule in matched:
        if rule.level != level:
            continue  # the advice of the winning level only: one clear instruction
        text = _fill(rule.advice, context)
        if text and text not in advice:
            advice.append(text)
    if level == "none" and facts["any_symptom"]:
        advice.append("If you feel unwell, see a doctor as you usually would.")
    advice.append(_DISCLAIMER)
    return Triage(
        level=level,
        febrile_neutropenia=facts["febrile_neutropenia"],
        reasons=reasons,
        patient_advice=" ".join(advice),
        low_count=facts["low_white"],
        warning_signs=context["signs"],
        anc=cbc.anc,
        temperature_c=history.temperature_c,
        classification=cls,
        sources=tuple(dict.fromkeys(s for r in matched for s in r.sources)),
        advice=tuple(advice),
        rules=tuple(matched),
    )


def _fill(text: str, context: dict) -> str:
    return text.format_map(context)


def _labels(terms) -> str:
    return ", ".join(term_label("symptoms", t) for t in terms)


def _facts(cbc: CBC, history: History, cls: Classification) -> tuple[dict[str, bool], dict]:
    """The facts the rules test, and the words and numbers their texts use."""
    table = _table()
    th, signs = table["thresholds"], table["signs"]
    fever_th, neut_th = th["fever"], th["neutropenia"]
    anc, t, hours = cbc.anc, history.temperature_c, history.fever_hours
    days = history.days_since_chemotherapy
    symptoms = set(history.symptoms)
    f: dict[str, bool] = {}
    c: dict = {"th": th}

    f["low_white"] = cls.wbc_status == "low" or "neutropenia" in cls.findings
    f["anemia"] = "anemia" in cls.findings
    f["thrombocytopenia"] = "thrombocytopenia" in cls.findings
    f["pancytopenia"] = "pancytopenia" in cls.findings
    f["any_low_count"] = f["low_white"] or f["anemia"] or f["thrombocytopenia"]
    f["anc_known"], f["anc_unknown"] = anc is not None, anc is None
    f["severe_neutropenia"] = anc is not None and anc < neut_th["anc_below"]
    f["expected_nadir"] = days is not None and days <= neut_th["chemotherapy_within_days"]
    f["expected_to_fall"] = (anc is not None and not f["severe_neutropenia"]
                             and anc < neut_th["expected_to_fall_anc_below"]
                             and f["expected_nadir"])

    # fever, as IDSA defines it
    single, sustained = fever_th["single_reading_c"], fever_th["sustained_c"]
    f["idsa_fever"] = t is not None and (
        t >= single or (t >= sustained and hours is not None
                        and hours >= fever_th["sustained_hours"]))
    f["fever_measured"] = t is not None and t >= sustained
    f["fever_below_idsa"] = f["fever_measured"] and not f["idsa_fever"]
    f["fever_reported_unmeasured"] = t is None and "fever" in symptoms
    f["rigors"] = "chills" in symptoms
    f["fever"] = "fever" in symptoms or (t is not None and t >= sustained)
    f["febrile_neutropenia"] = f["idsa_fever"] and (f["severe_neutropenia"] or f["expected_to_fall"])
    f["hypothermia"] = t is not None and t < th["hypothermia"]["below_c"]
    c["temperature"] = "" if t is None else f"{t:g}"
    c["held"] = "for an unknown time" if hours is None else f"for {hours:g} h"
    if t is not None and t >= single:
        c["fever_text"] = f"temperature {t:g} C (a single reading of {single:g} C or more)"
    elif f["idsa_fever"]:
        c["fever_text"] = (f"temperature {t:g} C for {hours:g} h ({sustained:g} C or more for "
                           f"at least {fever_th['sustained_hours']:g} h)")
    elif f["fever_below_idsa"]:
        c["fever_text"] = (f"temperature {t:g} C {c['held']}, {sustained:g} C or more but not yet "
                           "the IDSA fever")
    else:
        c["fever_text"] = ""
    if f["severe_neutropenia"]:
        c["neutropenia_text"] = f"ANC {anc:g} x10^9/L (below {neut_th['anc_below']:g})"
    elif f["expected_to_fall"]:
        c["neutropenia_text"] = (
            f"ANC {anc:g} x10^9/L (below {neut_th['expected_to_fall_anc_below']:g}) {days:g} days "
            f"after chemotherapy, so expected to fall below {neut_th['anc_below']:g} "
            f"(chemotherapy within {neut_th['chemotherapy_within_days']:g} days)")
    else:
        c["neutropenia_text"] = ""

    # symptoms
    sepsis = [s for s in signs["sepsis"]["symptoms"] if s in symptoms]
    sepsis_words = [term_label("symptoms", s) for s in sepsis]
    # Below 36 C is a sign of sepsis on its own only in a neutropenic patient (Taplitz 2018);
    # otherwise only beside another sign (SIRS counts two criteria): in healthy adults a
    # reading under the arm, or by mouth, is often below 36 C (Geneva 2019).
    f["neutropenic"] = ("neutropenia" in cls.findings or f["severe_neutropenia"]
                        or (anc is None and f["low_white"]))
    f["hypothermia_alone"] = f["hypothermia"] and not f["neutropenic"] and not sepsis
    if f["hypothermia"]:
        sepsis_words.append(f"a temperature of {t:g} C, below {th['hypothermia']['below_c']:g} C")
    f["sepsis_sign"] = bool(sepsis_words) and not f["hypothermia_alone"]
    f["two_sepsis_signs"] = len(sepsis_words) >= 2
    c["sepsis_signs"] = ", ".join(sepsis_words)

    warning = [s for s in warning_signs() if s in symptoms]
    if f["fever"] and "fever" not in warning:
        warning.insert(0, "fever")
    infection = [s for s in infection_signs() if s in symptoms]
    f["warning_sign"], f["infection_sign"] = bool(warning), bool(infection)
    found = warning + [s for s in infection if s not in warning]
    c["warning_signs_found"] = _labels(found)
    c["warning_plural"] = "s" if len(found) > 1 else ""
    extra = [s for s in signs["sepsis"]["symptoms"] if s in symptoms and s not in found]
    c["signs"] = tuple(found + extra)

    agran = [s for s in signs["agranulocytosis"]["symptoms"]
             if s in symptoms or (s == "fever" and f["fever"])]
    f["agranulocytosis_symptom"] = bool(agran)
    c["agranulocytosis_symptoms"] = _labels(agran)

    drugs = [m for m in signs["agranulocytosis_drugs"]["medications"] if m in history.medications]
    # the clozapine label's lower limit in benign ethnic (Duffy-null) neutropenia is clozapine's
    relaxed = history.duffy_null is True and bool(drugs) and all(
        d in th["agranulocytosis_drug"]["duffy_null_drugs"] for d in drugs)
    limit = th["agranulocytosis_drug"]["duffy_null_anc_below" if relaxed else "anc_below"]
    f["agranulocytosis_drug"] = bool(drugs)
    f["drug_neutropenia"] = bool(drugs) and (
        (anc is not None and anc < limit) or (anc is None and f["low_white"]))
    c["drugs"] = " and ".join(drugs)
    c["drug_anc_limit"] = limit

    bleeding = [s for s in (*signs["bleeding"]["symptoms"], *signs["bruising"]["symptoms"])
                if s in symptoms]
    f["bleeding"] = any(s in symptoms for s in signs["bleeding"]["symptoms"])
    f["bruising"] = any(s in symptoms for s in signs["bruising"]["symptoms"])
    c["bleeding_signs"] = _labels(bleeding)

    plt, hb = cbc.platelets, cbc.hemoglobin
    f["platelets_unknown"] = plt is None
    f["severe_thrombocytopenia"] = plt is not None and plt < th["platelets"]["severe_below"]
    f["platelets_below_bleeding"] = plt is not None and plt < th["platelets"]["bleeding_below"]
    f["severe_anemia"] = hb is not None and hb < th["hemoglobin"]["severe_below_g_dl"]
    f["any_symptom"] = bool(symptoms)
    f["hyperleukocytosis"] = cbc.wbc > th["hyperleukocytosis"]["wbc_above"]
    c["wbc"] = f"{cbc.wbc:g}"
    c["anc"] = "unknown" if anc is None else f"{anc:g}"
    c["anc_or_unknown"] = "unknown (no differential)" if anc is None else f"{anc:g} x10^9/L"
    c["platelets"] = "" if plt is None else f"{plt:g}"
    c["hemoglobin"] = "" if hb is None else f"{hb:g}"
    c["days_text"] = "" if days is None else f"{days:g} days"
    c["symptoms_found"] = _labels(sorted(symptoms))
    return f, c
