"""Likely causes of a low white count: a transparent engine driven by ``data/knowledge_base.toml``.

Each cause starts from a prior (its share of low counts in the population) and is multiplied
by a likelihood ratio for every piece of evidence that applies: a history term, a medication
class, an age band, a count pattern. The products are normalised over all causes, so the
probabilities sum to 1 (naive Bayes; see the knowledge base's header). Every factor is kept,
so each ranking explains itself line by line.

>>> causes = likely_causes(CBC(1.4, neutrophils=0.05, lymphocytes=1.1, monocytes=0.2,
...                            hemoglobin=13.0, platelets=250),
...                        History(age_years=38, sex="female", medications=["methimazole"]))
>>> causes[0].id
'drug_induced'
>>> causes[0].next_tests[0]
'Medication review: stop the suspect drug'
>>> round(sum(c.probability for c in causes), 9)
1.0

A normal count with no relevant history is not given an invented cause:

>>> likely_causes(CBC(6.5, neutrophils=3.9, lymphocytes=1.9))[0].id
'no_low_count'
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._data import read_toml
from .cbc import CBC
from .classify import FINDINGS, Classification, classify
from .errors import InvalidParameterError, UnknownNameError, unknown_name_message
from .film.catalogue import check_finding, film_data
from .history import History, _vocab, term_label
from .reference import adult_age, check_population, reference_interval

__all__ = [
    "NO_CAUSE",
    "CauseScore",
    "Evidence",
    "LikelyCauses",
    "known_causes",
    "likely_causes",
    "next_tests",
    "test_catalogue",
]

_KB = "knowledge_base.toml"

#: The id of the pseudo-cause that stands for "the white count is not low: nothing to explain".
NO_CAUSE = "no_low_count"

_FINDING_ANALYTES = {
    "leukopenia": ("wbc",),
    "leukocytosis": ("wbc",),
    "neutropenia": ("neutrophils",),
    "profound_neutropenia": ("neutrophils",),
    "neutrophilia": ("neutrophils",),
    "lymphopenia": ("lymphocytes",),
    "lymphocytosis": ("lymphocytes",),
    "monocytopenia": ("monocytes",),
    "monocytosis": ("monocytes",),
    "eosinophilia": ("eosinophils",),
    "basophilia": ("basophils",),
    "anemia": ("hemoglobin",),
    "macrocytosis": ("mcv",),
    "microcytosis": ("mcv",),
    "thrombocytopenia": ("platelets",),
    "thrombocytosis": ("platelets",),
    "bicytopenia": ("wbc", "hemoglobin", "platelets"),
    "pancytopenia": ("wbc", "hemoglobin", "platelets"),
}
_VALUE_TEXT = {
    "wbc": ("WBC", "x10^9/L"),
    "neutrophils": ("ANC", "x10^9/L"),
    "lymphocytes": ("lymphocytes", "x10^9/L"),
    "monocytes": ("monocytes", "x10^9/L"),
    "eosinophils": ("eosinophils", "x10^9/L"),
    "basophils": ("basophils", "x10^9/L"),
    "hemoglobin": ("Hb", "g/dL"),
    "mcv": ("MCV", "fL"),
    "platelets": ("platelets", "x10^9/L"),
}


# --- the knowledge base -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    when: tuple[str, ...]
    lr: float
    lr_absent: float | None
    reason: str
    reason_absent: str
    source: str


@dataclass(frozen=True)
class _Test:
    id: str
    when: tuple[str, ...] = ()  # empty: always shown; else only when all features are present


@dataclass(frozen=True)
class _Cause:
    id: str
    name: str
    category: str
    prior: dict[str, float]
    prior_rationale: str
    note: str
    next_tests: tuple[_Test, ...]
    evidence: tuple[_Row, ...]


@dataclass(frozen=True)
class _Knowledge:
    causes: tuple[_Cause, ...]
    tests: dict[str, dict]
    classes: dict[str, dict]
    patterns: dict[str, dict]
    derived: dict[str, dict]
    timing: dict[str, dict]
    age_bands: dict[str, dict]
    signs: dict[str, dict]
    remarks: tuple[dict, ...]
    prior_populations: dict[str, str]


_PREFIXES = (
    "condition", "exposure", "symptom", "medication", "medication_class", "age", "sex", "duffy",
    "timing", "sign", "derived", "pattern", "finding", "severity", "film",
)
_FIELD_OF = {"condition": "conditions", "exposure": "exposures", "symptom": "symptoms",
             "medication": "medications"}


def _check_feature(feature: str, raw: dict, where: str) -> None:
    """Fail loudly (for authors of the data file) on a feature the engine cannot evaluate."""
    name = feature.lstrip("!")
    prefix, _, value = name.partition(":")
    known: Iterable[str]
    if prefix in _FIELD_OF:
        known = raw["vocabulary"][_FIELD_OF[prefix]]
    elif prefix == "medication_class":
        known = raw["medication_classes"]
    elif prefix == "age":
        known = raw["age_bands"]
    elif prefix == "sex":
        known = ("female", "male")
    elif prefix == "duffy":
        known = ("null",)
    elif prefix in ("timing", "sign", "derived", "pattern"):
        known = raw[{"timing": "timing", "sign": "signs", "derived": "derived",
                     "pattern": "patterns"}[prefix]]
    elif prefix == "finding":
        known = FINDINGS
    elif prefix == "severity":
        known = ("mild", "moderate", "severe")
    elif prefix == "film":
        known = film_data()["findings"]
    else:
        raise ValueError(f"knowledge_base.toml, {where}: unknown feature prefix in {feature!r}; "
                         f"use one of {', '.join(_PREFIXES)}.")
    if value not in known:
        raise ValueError(f"knowledge_base.toml, {where}: {feature!r} names an unknown {prefix}.")


def _film_rows(cause_id: str, raw: dict) -> list[_Row]:
    """The evidence of film findings for one cause, from film.toml's [[evidence]] rows."""
    rows = []
    for i, ev in enumerate(film_data().get("evidence", ())):
        if ev["cause"] != cause_id:
            continue
        feature = f"film:{ev['finding']}"
        _check_feature(feature, raw, f"film.toml evidence[{i}]")
        rows.append(_Row(
            when=(feature,),
            lr=float(ev["lr"]),
            lr_absent=float(ev["lr_absent"]) if "lr_absent" in ev else None,
            reason=ev.get("reason", ""),
            reason_absent=ev.get("reason_absent", ""),
            source=ev.get("source") or ev.get("rationale", ""),
        ))
    return rows


def _read_test(item: object, raw: dict, cid: str) -> _Test:
    """One entry of a cause's next_tests: a test id, or {test = id, when = feature(s)}."""
    where = f"causes.{cid}.next_tests"
    if isinstance(item, dict):
        if set(item) != {"test", "when"}:
            raise ValueError(f"knowledge_base.toml, {where}: a conditional test needs exactly "
                             f"'test' and 'when'; got {sorted(item)}.")
        when = item["when"]
        when = (when,) if isinstance(when, str) else tuple(when)
        for feature in when:
            _check_feature(feature, raw, where)
        test = _Test(item["test"], when)
    else:
        test = _Test(str(item))
    if test.id not in raw["tests"]:
        raise ValueError(f"knowledge_base.toml, {where}: unknown test {test.id!r}.")
    return test


@functools.cache
def _knowledge() -> _Knowledge:
    raw = read_toml(_KB)
    causes = []
    for cid, entry in raw["causes"].items():
        rows = []
        for i, ev in enumerate(entry.get("evidence", ())):
            when = ev["when"]
            when = (when,) if isinstance(when, str) else tuple(when)
            for feature in when:
                _check_feature(feature, raw, f"causes.{cid}.evidence[{i}]")
            if len(when) > 1 and "lr_absent" in ev:
                raise ValueError(f"knowledge_base.toml, causes.{cid}.evidence[{i}]: a list of "
                                 "features cannot have lr_absent.")
            rows.append(_Row(
                when=when,
                lr=float(ev.get("lr", 1.0)),
                lr_absent=float(ev["lr_absent"]) if "lr_absent" in ev else None,
                reason=ev.get("reason", ""),
                reason_absent=ev.get("reason_absent", ""),
                source=ev.get("source") or ev.get("rationale", ""),
            ))
        rows.extend(_film_rows(cid, raw))
        tests = tuple(_read_test(item, raw, cid) for item in entry["next_tests"])
        causes.append(_Cause(
            id=cid,
            name=entry["name"],
            category=entry["category"],
            prior={k: float(entry["prior"][k]) for k in ("adult", "child")},
            prior_rationale=entry["prior"].get("rationale", ""),
            note=entry.get("note", ""),
            next_tests=tests,
            evidence=tuple(rows),
        ))
    for name, entry in raw["derived"].items():
        for feature in entry["any_of"]:
            _check_feature(feature, raw, f"derived.{name}")
    for i, remark in enumerate(raw.get("remarks", ())):
        for feature in remark["when"]:
            _check_feature(feature, raw, f"remarks[{i}]")
    return _Knowledge(
        causes=tuple(causes),
        tests=raw["tests"],
        classes=raw["medication_classes"],
        patterns=raw["patterns"],
        derived=raw["derived"],
        timing=raw["timing"],
        age_bands=raw["age_bands"],
        signs=raw["signs"],
        remarks=tuple(raw.get("remarks", ())),
        prior_populations=raw["prior_populations"],
    )


def known_causes() -> dict[str, str]:
    """The cause ids the engine ranks, with their names (the pseudo-cause ``no_low_count`` left out).

    >>> causes = known_causes()
    >>> causes["duffy_null"]
    'Duffy-null associated neutrophil count'
    >>> "no_low_count" in causes, len(causes) >= 23
    (False, True)
    """
    return {c.id: c.name for c in _knowledge().causes if c.id != NO_CAUSE}


def test_catalogue() -> dict[str, str]:
    """The catalogue of next tests: id -> plain name.

    >>> test_catalogue()["duffy_phenotype"]
    'Duffy phenotype (Fy a/b)'
    """
    return {tid: entry["name"] for tid, entry in _knowledge().tests.items()}


test_catalogue.__test__ = False  # not a pytest test, despite its name


def _cause(cause_id: str) -> _Cause:
    for cause in _knowledge().causes:
        if cause.id == cause_id:
            return cause
    raise UnknownNameError(
        unknown_name_message("cause", cause_id, [c.id for c in _knowledge().causes])
    )


def next_tests(cause_id: str) -> tuple[str, ...]:
    """The next tests for a cause, in plain words, most useful first.

    Without a patient every test is listed, including those the data make conditional (blood
    cultures only with fever, TPMT only for a thiopurine); ``likely_causes`` keeps only the
    ones that apply to its patient.

    >>> next_tests("copper_deficiency")
    ('Copper and ceruloplasmin', 'Serum zinc', 'Peripheral blood smear')
    >>> next_tests("lupus")
    Traceback (most recent call last):
    ...
    cbc_teach.errors.UnknownNameError: Unknown cause 'lupus'. ...
    """
    tests = _knowledge().tests
    return tuple(tests[t.id]["name"] for t in _cause(cause_id).next_tests)


# --- the result objects -----------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One line of the reasoning: a feature, the factor it applied, the text and the source."""

    feature: str
    factor: float
    text: str
    source: str

    @property
    def supports(self) -> bool:
        """True when the factor raises the cause's odds."""
        return self.factor > 1


@dataclass(frozen=True)
class CauseScore:
    """One ranked cause: its probability and the reasons for and against it.

    ``why`` and ``against`` are sentences, each tied to a finding in the count or the history,
    with the likelihood ratio (LR) it applied; ``evidence`` keeps the same lines with their
    sources; ``next_tests`` are plain names from the test catalogue.
    """

    id: str
    name: str
    category: str
    probability: float
    why: tuple[str, ...]
    against: tuple[str, ...]
    next_tests: tuple[str, ...]
    prior: float = 0.0
    note: str = ""
    evidence: tuple[Evidence, ...] = field(default=(), repr=False)
    next_test_ids: tuple[str, ...] = field(default=(), repr=False)

    @property
    def log_odds_change(self) -> float:
        """The sum of the log likelihood ratios applied (natural log)."""
        return sum(math.log(e.factor) for e in self.evidence)

    def explain(self) -> str:
        """Plain text: probability, prior, reasons for and against, next tests.

        >>> c = likely_causes(CBC(2.0, neutrophils=0.6), History(medications=["clozapine"]))[0]
        >>> print(c.explain())  # doctest: +ELLIPSIS
        Drug-induced neutropenia or marrow suppression: ...
          prior ...
          for: ...clozapine...
        """
        lines = [f"{self.name}: {self.probability:.1%}",
                 f"  prior {self.prior:g} (share of low counts in the population)"]
        lines += [f"  for: {w}" for w in self.why]
        lines += [f"  against: {a}" for a in self.against]
        if self.next_tests:
            lines.append("  next tests: " + "; ".join(self.next_tests))
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return LikelyCauses([self])._repr_html_()


class LikelyCauses(list):
    """The ranked list returned by :func:`likely_causes` (a ``list`` of :class:`CauseScore`).

    It also carries the ``classification`` of the count, the ``history``, the ``population``
    and ``remarks`` (caveats: steroids, unknown medications, ambiguity, a normal count), and
    explains itself with ``explain()`` and in notebooks as a ranked table with bars.
    """

    def __init__(
        self,
        scores: Iterable[CauseScore] = (),
        *,
        classification: Classification | None = None,
        history: History | None = None,
        population: str = "adult",
        remarks: tuple[str, ...] = (),
    ) -> None:
        super().__init__(scores)
        self.classification = classification
        self.history = history
        self.population = population
        self.remarks = tuple(remarks)

    @property
    def ids(self) -> list[str]:
        """The cause ids, most likely first.

        >>> likely_causes(CBC(1.0, neutrophils=0.3), History(exposures=["chemo"]), top=1).ids
        ['chemotherapy']
        """
        return [c.id for c in self]

    def get(self, cause_id: str) -> CauseScore:
        """The score of one cause (an error if it is not in this list).

        >>> likely_causes(CBC(2.8, neutrophils=0.9)).get("sepsis").name
        'Sepsis (overwhelming infection)'
        """
        for c in self:
            if c.id == cause_id:
                return c
        raise UnknownNameError(unknown_name_message("cause in this list", cause_id, self.ids))

    def probability(self, cause_id: str) -> float:
        """The probability of one cause.

        >>> likely_causes(CBC(6.5, neutrophils=3.9)).probability("no_low_count") > 0.9
        True
        """
        return self.get(cause_id).probability

    def rank(self, cause_id: str) -> int:
        """The rank of a cause, 1 for the most likely.

        >>> likely_causes(CBC(2.9, neutrophils=1.2), History(conditions=["flu"])).rank(
        ...     "viral_infection")
        1
        """
        return self.ids.index(self.get(cause_id).id) + 1

    @property
    def normal(self) -> bool:
        """True when the most likely answer is that there is no low white count to explain.

        >>> likely_causes(CBC(6.5, neutrophils=3.9)).normal
        True
        """
        return bool(self) and self[0].id == NO_CAUSE

    def next_tests(self, top: int = 3) -> list[str]:
        """The next tests of the ``top`` most likely causes, without repeats, in rank order.

        >>> likely_causes(CBC(3.1, neutrophils=1.3), History(duffy_null=True)).next_tests(1)
        ['Duffy phenotype (Fy a/b)', 'Repeat CBC with differential', 'Peripheral blood smear']
        """
        out: list[str] = []
        for c in self[:top]:
            for t in c.next_tests:
                if t not in out:
                    out.append(t)
        return out

    def explain(self) -> str:
        """The whole ranking in plain text, with every reason and remark.

        >>> print(likely_causes(CBC(6.5, neutrophils=3.9)).explain())  # doctest: +ELLIPSIS
        Likely causes for: WBC 6.5 x10^9/L: normal. ...
        1. No low white count to explain ...
        """
        lines = []
        if self.classification is not None:
            lines.append("Likely causes for: " + self.classification.summary())
        if self.history is not None and not self.history.is_empty():
            lines.append("History: " + " ".join(self.history.lines()))
        elif self.history is not None:
            lines.append("History: none recorded.")
        for i, c in enumerate(self, 1):
            bar = "#" * max(0, round(c.probability * 20))
            lines.append(f"{i}. {c.name} [{c.id}] {c.probability:.1%} {bar}")
            lines += [f"     for: {w}" for w in c.why]
            lines += [f"     against: {a}" for a in c.against]
            if c.next_tests:
                lines.append("     next tests: " + "; ".join(c.next_tests))
        if self.remarks:
            lines.append("Remarks:")
            lines += [f"- {r}" for r in self.remarks]
        lines.append(_METHOD)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()

    def __repr__(self) -> str:
        inner = ", ".join(f"{c.id}={c.probability:.3f}" for c in self)
        return f"LikelyCauses({inner})"

    def _repr_html_(self) -> str:
        rows = []
        for i, c in enumerate(self, 1):
            width = max(0.0, min(100.0, c.probability * 100))
            why = "".join(f"<li>{html.escape(w)}</li>" for w in c.why)
            against = "".join(f"<li>{html.escape(a)}</li>" for a in c.against)
            reasons = ""
            if why:
                reasons += f"<div><b>for</b><ul style='margin:0'>{why}</ul></div>"
            if against:
                reasons += f"<div><b>against</b><ul style='margin:0'>{against}</ul></div>"
            tests = html.escape("; ".join(c.next_tests)) or "&ndash;"
            rows.append(
                f"<tr><td style='text-align:right;vertical-align:top'>{i}</td>"
                f"<td style='vertical-align:top'><b>{html.escape(c.name)}</b><br>"
                f"<code>{html.escape(c.id)}</code></td>"
                f"<td style='vertical-align:top;min-width:9em'>"
                f"<div style='background:#e8eef7;width:8em;height:0.9em;display:inline-block'>"
                f"<div style='background:#2f5d9e;width:{width:.1f}%;height:100%'></div></div>"
                f" {c.probability:.1%}</td>"
                f"<td style='vertical-align:top;text-align:left'>{reasons}</td>"
                f"<td style='vertical-align:top;text-align:left'>{tests}</td></tr>"
            )
        head = ""
        if self.classification is not None:
            head = f"<p><b>Likely causes</b> for: {html.escape(self.classification.summary())}</p>"
        remarks = "".join(f"<li>{html.escape(r)}</li>" for r in self.remarks)
        return (
            "<div class='cbct-likely-causes'>" + head
            + "<table><thead><tr><th>#</th><th>Cause</th><th>Probability</th>"
            "<th>Reasons</th><th>Next tests</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>"
            + (f"<p><b>Remarks</b></p><ul>{remarks}</ul>" if remarks else "")
            + f"<p style='font-size:smaller'>{html.escape(_METHOD)}</p></div>"
        )


_METHOD = (
    "How: each cause starts from its prior and is multiplied by a likelihood ratio (LR) for every "
    "finding that applies; LR > 1 supports it, LR < 1 argues against it. The results are "
    "normalised to sum to 1 (naive Bayes, a teaching model: the weights are mostly teaching "
    "estimates, see cbc_teach/data/knowledge_base.toml). Education, not medical advice."
)


# --- evaluating features ----------------------------------------------------------------------


def _all(*states: bool | None) -> bool | None:
    if any(s is False for s in states):
        return False
    if all(s is True for s in states):
        return True
    return None


class _Context:
    """The facts of one patient, and the three-valued state (True/False/None) of each feature."""

    def __init__(self, cbc: CBC, history: History, population: str, cls: Classification,
                 film: tuple[str, ...] | None = None) -> None:
        self.kb = _knowledge()
        self.film = film
        self.cbc = cbc
        self.history = history
        self.population = population
        self.cls = cls
        self.status = {c.analyte: c.status for c in cls.comparisons}
        self.classes = history.medication_classes
        self._memo: dict[str, bool | None] = {}

    # values
    def value(self, analyte: str) -> float | None:
        if analyte == "neutrophils":
            return self.cbc.anc
        return getattr(self.cbc, analyte)

    def finding(self, name: str) -> bool | None:
        if name in self.cls.findings:
            return True
        needed = _FINDING_ANALYTES.get(name, ())
        if all(self.status.get(a) in ("low", "normal", "high") for a in needed):
            return False
        return None

    def state(self, feature: str) -> bool | None:
        if feature not in self._memo:
            self._memo[feature] = self._state(feature)
        return self._memo[feature]

    def _state(self, feature: str) -> bool | None:
        if feature.startswith("!"):
            s = self.state(feature[1:])
            return None if s is None else not s
        prefix, _, name = feature.partition(":")
        h = self.history
        if prefix in _FIELD_OF:
            present = name in getattr(h, _FIELD_OF[prefix])
            if prefix == "symptom" and name == "fever" and not present:
                return bool(self.state("sign:fever"))
            return present
        if prefix == "medication_class":
            return name in self.classes
        if prefix == "age":
            if h.age_years is None:
                return None
            band = self.kb.age_bands[name]
            return band["min_years"] <= h.age_years < band["max_years"]
        if prefix == "sex":
            return None if h.sex is None else h.sex == name
        if prefix == "duffy":
            if h.duffy_null is True or self.population == "duffy_null":
                return True
            return False if h.duffy_null is False else None
        if prefix == "timing":
            d = h.days_since_chemotherapy
            if d is None:
                return None
            window = self.kb.timing[name]
            return window["min_days"] <= d <= window["max_days"]
        if prefix == "sign":
            t = h.temperature_c
            if t is None:
                return False  # no temperature recorded: no sign, like an unticked symptom
            sign = self.kb.signs[name]
            if "min_c" in sign:
                return t >= sign["min_c"]
            return t < sign["max_c"]
        if prefix == "derived":
            return _any(self.state(f) for f in self.kb.derived[name]["any_of"])
        if prefix == "pattern":
            return self._pattern(name, self.kb.patterns[name])
        if prefix == "finding":
            return self.finding(name)
        if prefix == "severity":
            sev = self.cls.anc_severity
            return None if sev is None else sev == name
        if prefix == "film":  # unknown unless a film was read
            return None if self.film is None else name in self.film
        raise ValueError(f"Unknown feature {feature!r}")  # guarded by _check_feature

    def _pattern(self, name: str, p: dict) -> bool | None:
        cbc, f = self.cbc, self.finding
        anc = cbc.anc
        if name == "no_low_white_count":
            lows = [f("leukopenia"), f("neutropenia"), f("lymphopenia")]
            return not any(s is True for s in lows)
        if name == "isolated_neutropenia":
            return _all(f("neutropenia"), _not(f("anemia")), _not(f("thrombocytopenia")))
        if name == "mild_isolated_neutropenia":
            mild = None if self.cls.anc_severity is None else self.cls.anc_severity == "mild"
            return _all(mild, self._pattern("isolated_neutropenia", {}))
        if name == "lymphopenia_without_neutropenia":
            return _all(f("lymphopenia"), _not(f("neutropenia")))
        if name == "neutropenia_and_lymphopenia":
            return _all(f("neutropenia"), f("lymphopenia"))
        if name == "severe_lymphopenia":
            ly = cbc.lymphocytes
            return None if ly is None else ly < p["lymphocytes_below"]
        if name == "very_severe_neutropenia":
            return None if anc is None else anc < p["anc_below"]
        if name == "marked_macrocytosis":
            return None if cbc.mcv is None else cbc.mcv > p["mcv_above"]
        if name == "monocytes_high":
            return None if cbc.monocytes is None else cbc.monocytes > p["monocytes_above"]
        if name == "left_shift":
            if cbc.bands is None or cbc.wbc <= 0:
                return None
            return cbc.bands / cbc.wbc >= p["band_fraction_at_least"]
        if name == "platelets_most_affected":
            plt = None if cbc.platelets is None else cbc.platelets < p["platelets_below"]
            enough_anc = None if anc is None else anc >= p["anc_at_least"]
            return _all(plt, enough_anc)
        if name == "severe_pancytopenia":
            low_anc = None if anc is None else anc < p["anc_below"]
            plt = None if cbc.platelets is None else cbc.platelets < p["platelets_below"]
            return _all(low_anc, plt, f("anemia"))
        if name == "within_duffy_null_interval":
            if anc is None:
                return None
            anc_iv = reference_interval("neutrophils", "duffy_null")
            wbc_iv = reference_interval("wbc", "duffy_null")
            return anc_iv.low <= anc <= anc_iv.high and wbc_iv.low <= cbc.wbc <= wbc_iv.high
        if name == "eosinopenia":
            eos = cbc.eosinophils
            return None if eos is None else eos < p["eosinophils_below"]
        if name == "anc_above_duffy_null_interval":
            if anc is None:
                return None
            return anc > reference_interval("neutrophils", "duffy_null").high
        if name == "anc_below_lowest_duffy_null_limit":
            return None if anc is None else anc < p["anc_below"]
        if name == "anemia_and_neutropenia_platelets_normal":
            return _all(f("anemia"), f("neutropenia"), _not(f("thrombocytopenia")))
        raise ValueError(f"knowledge_base.toml names pattern {name!r}, which the engine lacks.")

    # words
    def label(self, feature: str) -> str:
        prefix, _, name = feature.partition(":")
        h = self.history
        if prefix in _FIELD_OF:
            if prefix == "symptom" and name == "fever" and "fever" not in h.symptoms:
                return f"temperature {h.temperature_c:g} C"
            return term_label(_FIELD_OF[prefix], name)
        if prefix == "medication_class":
            meds = [m for m in h.known_medications
                    if name in _vocab()["medications"][m].get("classes", ())]
            return ", ".join(meds) + f" ({self.kb.classes[name]['name']})"
        if prefix == "age":
            return f"age {h.age_years:g} ({self.kb.age_bands[name]['label']})"
        if prefix == "sex":
            return name
        if prefix == "duffy":
            return ("Duffy-null population" if self.population == "duffy_null" and not h.duffy_null
                    else "Duffy-null phenotype")
        if prefix == "timing":
            return f"last chemotherapy {h.days_since_chemotherapy:g} days ago"
        if prefix == "sign":
            return f"temperature {h.temperature_c:g} C"
        if prefix == "derived":
            present = [f for f in self.kb.derived[name]["any_of"] if self.state(f)]
            return ", ".join(self.label(f) for f in present) or self.kb.derived[name]["label"]
        if prefix == "pattern":
            return self.kb.patterns[name]["label"]
        if prefix == "finding":
            analytes = _FINDING_ANALYTES.get(name, ())
            if len(analytes) == 1 and self.value(analytes[0]) is not None:
                what, unit = _VALUE_TEXT[analytes[0]]
                return f"{name} ({what} {self.value(analytes[0]):g} {unit})"
            return name
        if prefix == "severity":
            return f"{name} neutropenia (ANC {self.cbc.anc:g})"
        if prefix == "film":
            return f"film: {film_data()['findings'][name]['label'].lower()}"
        return feature


def _not(state: bool | None) -> bool | None:
    return None if state is None else not state


def _any(states: Iterable[bool | None]) -> bool | None:
    states = list(states)
    if any(s is True for s in states):
        return True
    if all(s is False for s in states):
        return False
    return None


def _fmt_lr(x: float) -> str:
    return f"{x:.4g}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


# --- the engine -------------------------------------------------------------------------------


def _check_inputs(cbc: object, history: object, population: str, top: object) -> History:
    if not isinstance(cbc, CBC):
        raise InvalidParameterError(
            "likely_causes() needs a CBC as its first argument, e.g. "
            f"likely_causes(CBC(2.8, neutrophils=0.9)); got {type(cbc).__name__}."
        )
    if history is None:
        history = History()
    if not isinstance(history, History):
        raise InvalidParameterError(
            "The 'history' must be a History (e.g. History(conditions=['RA'])) or None; "
            f"got {type(history).__name__}."
        )
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise InvalidParameterError(
            f"The 'top' must be a whole number of causes (1 or more) or None for all; got {top!r}."
        )
    return history


def _check_film(film: object) -> tuple[str, ...] | None:
    """The film's findings as a sorted tuple; None when no film was read."""
    if film is None:
        return None
    findings = getattr(film, "findings", film)  # a cbc_teach.film.Slide, or names
    if isinstance(findings, str):
        findings = (findings,)
    try:
        names = [check_finding(f) for f in findings]
    except TypeError:
        raise InvalidParameterError(
            "The 'film' must be a list of film findings (e.g. ['toxic_granulation']), a Slide "
            f"from cbc_teach.make_slide, or None; got {type(film).__name__}."
        ) from None
    return tuple(sorted(set(names)))


def likely_causes(
    cbc: CBC, history: History | None = None, *, population: str = "adult", top: int | None = None,
    film: object = None,
) -> LikelyCauses:
    """Rank the likely causes of a low white count, most likely first.

    ``population`` is ``"adult"``, ``"duffy_null"`` (the same as ``History(duffy_null=True)``)
    or ``"child"`` (needs ``History(age_years=...)``); a history age under 18 also selects the
    children's intervals and priors. The count's patterns are read against the usual adult (or
    child) intervals, because those are the limits that flag a count as low.
    Probabilities are over every cause in the knowledge base and sum to 1; ``top`` keeps only
    the first few (their probabilities are unchanged). A history term that is not given counts
    as absent. Deterministic, and cached for repeated calls.

    ``film`` is what a blood film showed: a list of film findings (names from
    ``cbc_teach.film.findings()``, e.g. ``["toxic_granulation", "dohle_bodies"]``; an empty
    list means a film was read and showed none of them) or a :class:`~cbc_teach.film.Slide`
    (its findings). ``None`` (the default) means no film was read: film evidence is then
    unknown and weighs nothing. The likelihood ratios are in ``film.toml`` (``[[evidence]]``).

    >>> cbc = CBC(2.5, neutrophils=0.6, lymphocytes=1.5, hemoglobin=11.5, platelets=180)
    >>> likely_causes(cbc, History(conditions=["RA", "splenomegaly"]), top=2).ids
    ['rheumatoid_arthritis', 'hypersplenism']
    >>> likely_causes(cbc, History(conditions=["RA"], medications=["methotrexate"]))[0].id
    'drug_induced'
    >>> likely_causes(CBC(1.9, neutrophils=0.7), film=["neutrophil_clumps"])[0].next_tests[0]
    'Repeat the count on blood taken into citrate'
    """
    history = _check_inputs(cbc, history, population, top)
    scores, cls, remarks = _rank(cbc, history, population, _check_film(film))
    shown = scores if top is None else scores[:top]
    return LikelyCauses(shown, classification=cls, history=history, population=population,
                        remarks=remarks)


@functools.lru_cache(maxsize=4096)
def _rank(cbc: CBC, history: History, population: str, film: tuple[str, ...] | None = None):
    check_population(population, history.age_years if population == "child" else None)
    kb = _knowledge()
    age = history.age_years
    child = population == "child" or (age is not None and age < adult_age())
    table = "child" if child else "adult"
    cls = classify(cbc, population=table, age_years=age if child else None, sex=history.sex)
    ctx = _Context(cbc, history, population, cls, film)
    logits = []
    all_evidence = []
    for cause in kb.causes:
        logit = math.log(cause.prior[table])
        evidence = []
        for row in cause.evidence:
            state = _all(*(ctx.state(f) for f in row.when))
            if state is True:
                factor, reason = row.lr, row.reason
                label = " and ".join(ctx.label(f) for f in row.when)
                text = f"{_sentence(label)}: {reason} (LR {_fmt_lr(factor)})"
            elif state is False and row.lr_absent is not None:
                factor, reason = row.lr_absent, row.reason_absent
                text = f"{_sentence(reason)} (LR {_fmt_lr(factor)})"
            else:
                continue
            if factor == 1:
                continue
            evidence.append(Evidence("+".join(row.when) if state else "!" + row.when[0],
                                     factor, text, row.source))
            logit += math.log(factor)
        logits.append(logit)
        all_evidence.append(evidence)
    peak = max(logits)
    weights = [math.exp(v - peak) for v in logits]
    total = sum(weights)
    tests = kb.tests
    scores = []
    for cause, w, evidence in zip(kb.causes, weights, all_evidence):
        test_ids = tuple(t.id for t in cause.next_tests
                         if all(ctx.state(f) is True for f in t.when))
        why = tuple(e.text for e in sorted(evidence, key=lambda e: -e.factor) if e.factor > 1)
        against = tuple(e.text for e in sorted(evidence, key=lambda e: e.factor) if e.factor < 1)
        scores.append(CauseScore(
            id=cause.id,
            name=cause.name,
            category=cause.category,
            probability=w / total,
            why=why,
            against=against,
            next_tests=tuple(tests[t]["name"] for t in test_ids),
            prior=cause.prior[table],
            note=cause.note,
            evidence=tuple(evidence),
            next_test_ids=test_ids,
        ))
    order = {c.id: i for i, c in enumerate(kb.causes)}
    scores.sort(key=lambda s: (-s.probability, order[s.id]))
    remarks = _remarks(ctx, scores)
    if child and population != "child":
        remarks += (f"Age {age:g} is under {adult_age():g}: the children's reference intervals "
                    "and the childhood priors were used.",)
    return tuple(scores), cls, remarks


def _remarks(ctx: _Context, scores: list[CauseScore]) -> tuple[str, ...]:
    out: list[str] = list(ctx.history.remarks)
    for remark in ctx.kb.remarks:
        if all(ctx.state(f) is True for f in remark["when"]) and remark["text"] not in out:
            out.append(remark["text"])
    top = scores[0]
    if top.id == NO_CAUSE:
        others = [f for f in ("anemia", "thrombocytopenia", "macrocytosis", "leukocytosis",
                              "neutrophilia", "lymphocytosis", "monocytosis", "eosinophilia")
                  if f in ctx.cls.findings]
        text = ("The WBC, ANC and lymphocytes are not low, so there is no low white count to "
                "explain; the causes below are listed only for completeness.")
        if others:
            text += (" Other findings (" + ", ".join(others) + ") are outside what this "
                     "ranking explains.")
        out.append(text)
        watch = [s for s in scores[1:4] if s.probability >= 0.01
                 and any(e.supports and not e.feature.startswith(("pattern:", "finding:",
                                                                   "severity:"))
                         for e in s.evidence)]
        if watch:
            out.append("The history still points to " + " and ".join(s.name for s in watch)
                       + ": repeat the count if it is expected to fall.")
    else:
        real = [s for s in scores if s.id != NO_CAUSE]
        if real[0].probability < 0.5:
            share = sum(s.probability for s in real[:3])
            out.append(
                f"No single cause stands out (the most likely has {real[0].probability:.0%}); "
                f"the top three together hold {share:.0%}. Keep them all in view: their next "
                "tests separate them."
            )
    if ctx.history.is_empty():
        out.append("No history was given: the ranking rests on the count and the priors alone; "
                   "add the history to sharpen it.")
    out.extend(r for r in ctx.cls.remarks if "CTCAE" not in r)
    return tuple(out)
