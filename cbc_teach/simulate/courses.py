"""Counts over time: chemotherapy courses (Friberg model, with or without G-CSF) and viral illness.

:func:`chemo_course` gives one patient's ANC over a course of chemotherapy as a
:class:`TimeCourse`; :func:`chemo_cohort` gives a class of simulated patients at once;
:func:`viral_course` gives the transient dip of WBC, ANC and lymphocytes of a viral illness.
Parameters, each with its source, are in ``data/simulation.toml``.

>>> course = chemo_course("docetaxel")
>>> round(course.nadir_day, 1), round(course.nadir_anc, 2), round(course.recovery_day, 1)
(7.6, 0.9, 10.3)
>>> print(course.summary())  # doctest: +NORMALIZE_WHITESPACE
Docetaxel 100 mg/m2, 1-hour infusion (Friberg 2002 model); 1 cycle of 21 days; typical
patient; no G-CSF. ANC nadir 0.90 x10^9/L on day 7.6 (moderate neutropenia). Time with ANC
< 0.5: 0 days; < 1.0: 2.2 days; < 1.5: 5.2 days. Back to ANC >= 1.5 on day 10.3.
"""

from __future__ import annotations

import functools
import html
import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidParameterError
from ..severity import anc_severity, neutropenia_threshold, severity_bands
from ._common import check_choice, check_int, check_number, make_rng, params
from .pkpd import ThreeCompartmentPK, refine, solve_many, solve_scalar

__all__ = [
    "ChemoCohort",
    "Regimen",
    "TimeCourse",
    "chemo_cohort",
    "chemo_course",
    "gcsf_start_day",
    "regimen",
    "regimens",
    "viral_course",
    "viral_kinds",
]

#: Hours between the samples of a course (the resolution of days_below and of the nadir day).
SAMPLE_HOURS = 1.0


def _recovery_anc() -> float:
    """The ANC a chemotherapy course must climb back to: the adult neutropenia threshold (1.5).

    The docetaxel label gives the next cycle only once neutrophils are back to at least 1.5.
    """
    return neutropenia_threshold("adult").value


# --------------------------------------------------------------------------------------------
# Regimens
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Regimen:
    """A chemotherapy regimen with its published PK and Friberg parameters (see ``regimen()``)."""

    name: str
    label: str
    drug: str
    dose_mg: float
    infusion_hours: float
    expected_nadir_day: float
    pk: ThreeCompartmentPK
    circ0: float
    mtt_hours: float
    gamma: float
    slope_per_um: float
    sd_log_circ0: float
    sd_log_mtt: float
    sd_log_slope: float
    source: str


def regimens() -> tuple[str, ...]:
    """The names of the regimens in ``data/simulation.toml``.

    >>> regimens()
    ('docetaxel', 'docetaxel_kloft2006')
    """
    return tuple(sorted(params()["regimens"]))


def regimen(name: str = "docetaxel") -> Regimen:
    """The regimen called ``name``, with its parameters and sources.

    >>> regimen("docetaxel").mtt_hours
    88.7
    >>> regimen("paclitaxel")
    Traceback (most recent call last):
    ...
    cbc_teach.errors.UnknownNameError: Unknown regimen 'paclitaxel'. Did you mean 'docetaxel'? Known: docetaxel, docetaxel_kloft2006.
    """
    return _regimen(check_choice("regimen", name, regimens()))


@functools.cache
def _regimen(name: str) -> Regimen:
    spec = params()["regimens"][name]
    pk, pd, var = spec["pk"], spec["pd"], spec["variability"]
    return Regimen(
        name=name,
        label=spec["label"],
        drug=spec["drug"],
        dose_mg=spec["dose_mg_per_m2"] * spec["body_surface_m2"],
        infusion_hours=spec["infusion_hours"],
        expected_nadir_day=spec["expected_nadir_day"],
        pk=ThreeCompartmentPK(
            k10=pk["k10_per_h"], k12=pk["k12_per_h"], k21=pk["k21_per_h"], k13=pk["k13_per_h"],
            k31=pk["k31_per_h"], v1_l=pk["v1_l"],
            molar_mass_mg_per_umol=pk["molar_mass_mg_per_umol"],
        ),
        circ0=pd["circ0"],
        mtt_hours=pd["mtt_hours"],
        gamma=pd["gamma"],
        slope_per_um=pd["slope_per_um"],
        sd_log_circ0=var["sd_log_circ0"],
        sd_log_mtt=var["sd_log_mtt"],
        sd_log_slope=var["sd_log_slope"],
        source=spec.get("source", "")
        + f". PK: {pk['source']}. PD: {pd['source']}. Variability: {var['source']}.",
    )


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
def _frozen(array) -> np.ndarray:
    out = np.array(array, dtype=float)
    out.setflags(write=False)
    return out


def _time_below(days: np.ndarray, values: np.ndarray, x: float) -> np.ndarray:
    """Time (days) with values < x, for the linear interpolant between samples (any leading axes)."""
    y0, y1 = values[..., :-1], values[..., 1:]
    dt = np.diff(days)
    b0, b1 = y0 < x, y1 < x
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = np.where(y0 != y1, (x - y0) / (y1 - y0), 0.0)
    frac = np.where(b0 & b1, 1.0, np.where(b0 & ~b1, cross, np.where(~b0 & b1, 1.0 - cross, 0.0)))
    return (frac * dt).sum(axis=-1)


def _crossing_up(days: np.ndarray, values: np.ndarray, start: int, level: float) -> float | None:
    """The first time after index ``start`` when values climb back to >= level (interpolated)."""
    above = np.flatnonzero(values[start:] >= level)
    if above.size == 0:
        return None
    j = start + int(above[0])
    if j == 0 or values[j - 1] >= level:
        return float(days[j])
    y0, y1 = values[j - 1], values[j]
    return float(days[j - 1] + (level - y0) / (y1 - y0) * (days[j] - days[j - 1]))


def _severity_bands() -> tuple[tuple[str, float, float], ...]:
    """(grade, lower, upper) of the severity bands, mildest first (lower 0 for the open band)."""
    return tuple((b.grade, max(b.lower, 0.0), b.upper) for b in severity_bands())


def _severity_word(anc: float, level: float) -> str:
    grade = anc_severity(anc, level)
    return "no neutropenia" if grade == "none" else f"{grade} neutropenia"


def _fmt_days(x: float) -> str:
    """'0 days', '1 day', '2.2 days' (one decimal)."""
    text = f"{x:.1f}".removesuffix(".0")
    return f"{text} day" + ("" if text == "1" else "s")


def _fmt_count(x: float) -> str:
    """A count as a report prints it: 0.90, 0.58, 2.1, 22.6."""
    return f"{x:.2f}" if x < 1 else f"{x:.1f}"


@dataclass(frozen=True, eq=False)
class TimeCourse:
    """Counts over time for one simulated patient (chemotherapy or viral illness).

    ``days`` and ``anc`` (x10^9/L) are read-only numpy arrays sampled every hour; viral courses
    also carry ``wbc`` and ``lymphocytes``. Day 0 is the first dose (chemotherapy) or the onset
    of symptoms (viral illness).

    - ``nadir_day``, ``nadir_anc``: the lowest ANC of the whole course and when it happens.
    - ``days_below(x)``: the time, in days, with ANC < x (linear between the hourly samples).
    - ``recovery_day``: the first day after the nadir when the ANC is back at or above
      ``recovery_level`` (chemotherapy: 1.5 x10^9/L, the adult lower limit; viral illness: 90 %
      of the patient's own baseline; both from the data files); None if the ANC never fell below that level, or had not
      recovered by the end.
    """

    days: np.ndarray
    anc: np.ndarray
    label: str
    kind: str
    recovery_level: float
    recovery_rule: str
    regimen: str | None = None
    gcsf: bool = False
    dose_fraction: float = 1.0
    cycles: int = 0
    cycle_days: float = 0.0
    dose_days: tuple[float, ...] = ()
    gcsf_periods: tuple[tuple[float, float], ...] = ()
    wbc: np.ndarray | None = None
    lymphocytes: np.ndarray | None = None
    patient: str = "typical patient"
    parameters: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    source: str = ""

    @property
    def nadir_day(self) -> float:
        """The day of the lowest ANC (to the hour)."""
        return float(self.days[int(np.argmin(self.anc))])

    @property
    def nadir_anc(self) -> float:
        """The lowest ANC of the course (x10^9/L)."""
        return float(np.min(self.anc))

    @property
    def recovery_day(self) -> float | None:
        """First day after the nadir with ANC >= ``recovery_level`` (None: never fell, or not yet)."""
        if self.nadir_anc >= self.recovery_level:
            return None
        return _crossing_up(self.days, self.anc, int(np.argmin(self.anc)), self.recovery_level)

    def days_below(self, x: float) -> float:
        """Days with ANC < ``x`` x10^9/L over the whole course (linear between hourly samples).

        >>> round(chemo_course("docetaxel").days_below(1.0), 1)
        2.2
        """
        x = check_number("x", x, low=0, unit="x10^9/L")
        return float(_time_below(self.days, self.anc, x))

    def cycle_nadirs(self) -> list[tuple[float, float]]:
        """(day, ANC) of the lowest ANC in each cycle (chemotherapy) or of the whole course."""
        if not self.dose_days:
            return [(self.nadir_day, self.nadir_anc)]
        edges = [*self.dose_days, float(self.days[-1]) + 1.0]
        out = []
        for start, end in zip(edges[:-1], edges[1:]):
            mask = (self.days >= start) & (self.days < end)
            if mask.any():
                i = np.flatnonzero(mask)[int(np.argmin(self.anc[mask]))]
                out.append((float(self.days[i]), float(self.anc[i])))
        return out

    def _lines(self) -> list[str]:
        head = self.label
        if self.kind == "chemotherapy":
            cycles = f"{self.cycles} cycle{'s' if self.cycles != 1 else ''} of {self.cycle_days:g} days"
            if self.dose_fraction != 1.0:
                cycles += f" at {self.dose_fraction:.0%} of the dose"
            head += f"; {cycles}; {self.patient}; {'with G-CSF' if self.gcsf else 'no G-CSF'}."
            levels = tuple(high for _, _, high in reversed(_severity_bands()))  # 0.5, 1.0, 1.5
        else:
            head += f"; {self.patient}."
            levels = tuple(high for _, _, high in reversed(_severity_bands()))[1:]
        nadir = (
            f"ANC nadir {_fmt_count(self.nadir_anc)} x10^9/L on day {self.nadir_day:.1f} "
            f"({_severity_word(self.nadir_anc, _recovery_anc())})."
        )
        below = "Time with ANC " + "; ".join(
            f"< {x:.1f}: {_fmt_days(self.days_below(x))}" for x in levels
        ) + "."
        rec = self.recovery_day
        if rec is not None:
            recovery = f"Back to {self.recovery_rule} on day {rec:.1f}."
        elif self.nadir_anc >= self.recovery_level:
            recovery = f"Never below {self.recovery_rule.replace('ANC >= ', '')}."
        else:
            recovery = f"Not back to {self.recovery_rule} by day {self.days[-1]:.0f}."
        lines = [head, nadir, below, recovery]
        if self.kind == "chemotherapy" and self.cycles > 1:
            lines.append(
                "Cycle nadirs: "
                + ", ".join(f"{_fmt_count(a)} on day {d:.1f}" for d, a in self.cycle_nadirs())
                + "."
            )
        if self.wbc is not None and self.lymphocytes is not None:
            lines.append(
                f"Lowest WBC {_fmt_count(float(np.min(self.wbc)))} on day "
                f"{self.days[int(np.argmin(self.wbc))]:.1f}; lowest lymphocytes "
                f"{_fmt_count(float(np.min(self.lymphocytes)))} on day "
                f"{self.days[int(np.argmin(self.lymphocytes))]:.1f}."
            )
        return lines

    def summary(self) -> str:
        """A plain-text summary a student can read (deterministic)."""
        return " ".join(self._lines())

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"<TimeCourse {self.kind}: {self.label!r}, {len(self.days)} samples over "
            f"{self.days[-1]:g} days, nadir {self.nadir_anc:.2g} on day {self.nadir_day:.1f}>"
        )

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self._lines()[1:])
        notes = "".join(f"<li><i>{html.escape(n)}</i></li>" for n in self.notes)
        return (
            f"<div class='cbct-course'><b>{html.escape(self._lines()[0])}</b>"
            f"<ul>{items}{notes}</ul></div>"
        )

    def plot(self, ax=None, *, compare: TimeCourse | None = None, log_scale: bool = True,
             marks=None):
        """The course's chart: the same accessible SVG the TimeCourseExplorer draws.

        The ANC on the severity bands with the nadir, the days below 0.5, the recovery, the
        doses and any G-CSF; ``compare`` (another course) is drawn dashed; ``marks`` (a dict
        day -> words) adds labelled vertical lines. Returns a
        :class:`~cbc_teach.simulate.course_chart.CourseChart`, which displays itself in a
        notebook (its ``.alt`` is the text alternative; its ``.svg`` the picture).

        >>> chart = chemo_course("docetaxel").plot(marks={8: "seen on day 8"})
        >>> "seen on day 8" in chart.svg and "nadir 0.90, day 7.6" in chart.svg
        True

        The chart is not drawn with matplotlib: to draw your own, plot ``course.days``
        against ``course.anc``.
        """
        from .course_chart import course_chart

        if ax is not None:
            raise InvalidParameterError(
                "TimeCourse.plot() draws the explorer's chart (an accessible SVG) and takes no "
                f"matplotlib axes; got ax={ax!r}. Display the result, or draw your own with "
                "ax.plot(course.days, course.anc)."
            )
        if compare is not None and not isinstance(compare, TimeCourse):
            raise InvalidParameterError(
                f"'compare' must be another TimeCourse (e.g. the same course with gcsf=True); "
                f"got {compare!r}."
            )
        if not isinstance(log_scale, bool):
            raise InvalidParameterError(f"'log_scale' must be True or False; got {log_scale!r}.")
        return course_chart(self, compare, log_scale=log_scale, marks=marks)


# --------------------------------------------------------------------------------------------
# Chemotherapy
# --------------------------------------------------------------------------------------------
def _check_course(regimen_name, cycles, cycle_days, dose_fraction, days) -> tuple:
    reg = regimen(check_choice("regimen", regimen_name, regimens()))
    cycles = check_int("cycles", cycles, low=1, high=12)
    cycle_days = check_number("cycle_days", cycle_days, low=7, high=56, unit="days")
    dose_fraction = check_number("dose_fraction", dose_fraction, low=0, high=2)
    if days is None:
        days = cycles * cycle_days
    days = check_number("days", days, low=1, high=400, unit="days")
    return reg, cycles, cycle_days, dose_fraction, days


def _course_grid(reg: Regimen, dose_days: list[float], days: float, windows: list) -> tuple:
    """Node times (h), index of the hourly samples, and the concentration at the nodes (uM)."""
    end = days * 24.0
    base = np.arange(0.0, end + 1e-9, SAMPLE_HOURS)
    # Fine nodes where the concentration changes fast: through the infusion, then widening.
    inf = reg.infusion_hours
    during = np.linspace(0.0, inf, max(2, int(round(inf / 0.01)) + 1))
    after = inf + 0.01 * (1.1 ** np.arange(0, 60) - 1) / 0.1
    fine = np.concatenate([during, after[after < 48.0]])
    extra = [d * 24.0 + fine for d in dose_days]
    edges = [np.array([s * 24.0, e * 24.0]) for s, e, _ in windows]
    t = np.unique(np.concatenate([base, *extra, *edges]))
    t = t[t <= end + 1e-9]
    sample = np.searchsorted(t, base)
    doses = [(d * 24.0, reg.dose_mg, reg.infusion_hours) for d in dose_days]
    return t, sample, doses


def gcsf_start_day() -> float:
    """The day after each dose on which the simulated G-CSF starts (``data/simulation.toml``).

    >>> gcsf_start_day()
    3.0
    """
    return float(params()["gcsf"]["start_day"])


def _gcsf_windows(reg: Regimen, dose_days: list[float], cycle_days: float, days: float) -> list:
    """(start_day, end_day, check_day) of each planned G-CSF period."""
    spec = params()["gcsf"]
    out = []
    for i, d in enumerate(dose_days):
        start = d + spec["start_day"]
        stop = d + spec["start_day"] + spec["max_days"]
        if i + 1 < len(dose_days):
            stop = min(stop, dose_days[i + 1] - spec["days_clear_before_next_dose"])
        stop = min(stop, days)
        if start < stop:
            out.append((start, stop, d + reg.expected_nadir_day))
    return out


def _window_index(t: np.ndarray, windows: list) -> np.ndarray:
    mid = 0.5 * (t[:-1] + t[1:]) / 24.0
    index = np.full(mid.size, -1, dtype=np.int64)
    for w, (start, stop, _) in enumerate(windows):
        index[(mid >= start) & (mid < stop)] = w
    return index


def _gcsf_periods(days: np.ndarray, anc: np.ndarray, windows: list, stop_anc: float) -> tuple:
    """The periods G-CSF actually acted (it stops once ANC >= stop_anc after the check day)."""
    out = []
    for start, stop, check in windows:
        hit = np.flatnonzero((days >= max(start, check)) & (days < stop) & (anc >= stop_anc))
        end = float(days[hit[0]]) if hit.size else stop
        out.append((start, end))
    return tuple(out)


def _patient_parameters(reg: Regimen, rng: np.random.Generator | None, n: int) -> tuple:
    if rng is None:
        return (np.full(n, reg.circ0), np.full(n, reg.mtt_hours), np.full(n, reg.slope_per_um))
    z = rng.standard_normal((3, n))
    return (
        reg.circ0 * np.exp(reg.sd_log_circ0 * z[0]),
        reg.mtt_hours * np.exp(reg.sd_log_mtt * z[1]),
        reg.slope_per_um * np.exp(reg.sd_log_slope * z[2]),
    )


def _simulate(reg, cycles, cycle_days, dose_fraction, gcsf, days, circ0, mtt, slope):
    """Run the model on the course grid for arrays of patients; return (days, anc, windows)."""
    dose_days = [i * cycle_days for i in range(cycles) if i * cycle_days < days]
    windows = _gcsf_windows(reg, dose_days, cycle_days, days) if gcsf else []
    t, sample, doses = _course_grid(reg, dose_days, days, windows)
    doses = [(s, amount * dose_fraction, dur) for s, amount, dur in doses]
    conc = reg.pk.concentration(t, doses=doses)
    ktr = 4.0 / mtt
    spec = params()["gcsf"]
    k_max = float(ktr.max()) / (spec["mtt_factor"] if windows else 1.0)
    tt, cc, given = refine(t, conc, k_max=k_max, e_max_per_c=float(slope.max()))
    gkw = {}
    if windows:
        gkw = dict(
            window=_window_index(tt, windows),
            window_check_t=[w[2] * 24.0 for w in windows],
            k_factor=1.0 / spec["mtt_factor"],
            prolif_factor=spec["proliferation_factor"],
            stop_anc=spec["stop_anc"],
        )
    if circ0.size == 1:
        if "window" in gkw:
            gkw["window"] = gkw["window"].tolist()
        out = solve_scalar(
            tt.tolist(), (float(slope[0]) * cc).tolist(), circ0=float(circ0[0]),
            ktr=float(ktr[0]), gamma=reg.gamma, **gkw,
        )
        anc = np.asarray(out)[given][sample][None, :]
    else:
        anc = solve_many(tt, cc, circ0=circ0, ktr=ktr, gamma=reg.gamma, slope=slope, **gkw)
        anc = anc[given][sample].T
    sample_days = t[sample] / 24.0
    return sample_days, anc, dose_days, windows


def _varies(seed, variability) -> bool:
    if variability is None:
        return seed is not None
    if not isinstance(variability, bool):
        raise InvalidParameterError(
            f"The 'variability' must be True, False or None (vary only when a seed is given); "
            f"got {variability!r}."
        )
    return variability


def chemo_course(
    regimen: str = "docetaxel",
    *,
    cycles: int = 1,
    cycle_days: float = 21,
    dose_fraction: float = 1.0,
    gcsf: bool = False,
    days: float | None = None,
    seed: int | np.random.Generator | None = None,
    variability: bool | None = None,
) -> TimeCourse:
    """The ANC of one patient through a course of chemotherapy, as a :class:`TimeCourse`.

    ``regimen`` is one of :func:`regimens` (published PK and Friberg parameters, cited in
    ``data/simulation.toml``); a dose every ``cycle_days`` days, ``cycles`` times, at
    ``dose_fraction`` of the standard dose (0.75: the label's reduction to 75 mg/m2).
    ``gcsf=True`` adds filgrastim from day 3 after each dose (a teaching approximation,
    calibrated to Crawford 1991; see :mod:`cbc_teach.simulate`). ``days`` defaults to
    ``cycles * cycle_days``.

    Without a seed the patient is the typical one (the published typical values). With a
    ``seed``, the patient's baseline ANC, transit time and sensitivity are drawn from the
    published between-patient variability, so each seed is a different member of a class
    (``variability=False`` keeps the typical patient; ``variability=True`` without a seed
    draws an unrepeatable patient).

    >>> chemo_course("docetaxel", seed=3).patient
    'patient drawn with seed 3'
    >>> chemo_course("docetaxel", dose_fraction=0.75).nadir_anc > chemo_course("docetaxel").nadir_anc
    True
    >>> chemo_course("vincristine")
    Traceback (most recent call last):
    ...
    cbc_teach.errors.UnknownNameError: Unknown regimen 'vincristine'. Known: docetaxel, docetaxel_kloft2006.
    """
    reg, cycles, cycle_days, dose_fraction, days = _check_course(
        regimen, cycles, cycle_days, dose_fraction, days
    )
    if not isinstance(gcsf, bool):
        raise InvalidParameterError(f"The 'gcsf' must be True or False; got {gcsf!r}.")
    vary = _varies(seed, variability)
    rng = make_rng(seed) if vary else None
    circ0, mtt, slope = _patient_parameters(reg, rng, 1)
    sample_days, anc, dose_days, windows = _simulate(
        reg, cycles, cycle_days, dose_fraction, gcsf, days, circ0, mtt, slope
    )
    spec = params()["gcsf"]
    anc = anc[0]
    if not vary:
        who = "typical patient"
    elif seed is None or isinstance(seed, np.random.Generator):
        who = "randomly drawn patient"
    else:
        who = f"patient drawn with seed {seed}"
    notes = [
        "The Friberg model follows neutrophils only; the typical patient's values are the "
        "published population estimates.",
    ]
    if gcsf:
        notes.append(
            "G-CSF here is a teaching approximation (faster maturation and more proliferation "
            "while it is given), calibrated to the effect size of Crawford 1991; it is not a "
            "published pharmacological model."
        )
    return TimeCourse(
        days=_frozen(sample_days),
        anc=_frozen(anc),
        label=reg.label,
        kind="chemotherapy",
        recovery_level=_recovery_anc(),
        recovery_rule=f"ANC >= {_recovery_anc():g}",
        regimen=reg.name,
        gcsf=gcsf,
        dose_fraction=dose_fraction,
        cycles=cycles,
        cycle_days=cycle_days,
        dose_days=tuple(float(d) for d in dose_days),
        gcsf_periods=_gcsf_periods(sample_days, anc, windows, spec["stop_anc"]),
        patient=who,
        parameters={
            "circ0": float(circ0[0]), "mtt_hours": float(mtt[0]), "gamma": reg.gamma,
            "slope_per_um": float(slope[0]), "dose_mg": reg.dose_mg * dose_fraction,
        },
        notes=tuple(notes),
        source=reg.source,
    )


@dataclass(frozen=True, eq=False)
class ChemoCohort:
    """ANC over time for a class of simulated patients (rows) on the same regimen.

    ``anc`` has one row per patient, sampled at ``days`` (hourly). ``parameters`` holds each
    patient's ``circ0``, ``mtt_hours`` and ``slope_per_um``.

    >>> c = chemo_cohort("docetaxel", 50, seed=2)
    >>> c.anc.shape, c.days_below(0.5).shape
    ((50, 505), (50,))
    """

    days: np.ndarray
    anc: np.ndarray
    label: str
    regimen: str
    gcsf: bool
    dose_fraction: float
    cycles: int
    cycle_days: float
    dose_days: tuple[float, ...]
    parameters: dict

    @property
    def n(self) -> int:
        """The number of patients."""
        return int(self.anc.shape[0])

    def nadir_anc(self) -> np.ndarray:
        """Each patient's lowest ANC."""
        return self.anc.min(axis=1)

    def nadir_day(self) -> np.ndarray:
        """The day of each patient's lowest ANC."""
        return self.days[self.anc.argmin(axis=1)]

    def days_below(self, x: float) -> np.ndarray:
        """Each patient's time (days) with ANC < x."""
        x = check_number("x", x, low=0, unit="x10^9/L")
        return _time_below(self.days, self.anc, x)

    def share_below(self, x: float) -> float:
        """The share of patients whose ANC ever falls below ``x``."""
        x = check_number("x", x, low=0, unit="x10^9/L")
        return float(np.mean(self.nadir_anc() < x))

    def summary(self) -> str:
        """A plain-text summary of the class."""
        below = self.days_below(0.5)
        hit = below[below > 0]
        med = f"{np.median(hit):.1f} days" if hit.size else "-"
        return (
            f"{self.label}; {self.n} simulated patients; "
            f"{'with' if self.gcsf else 'no'} G-CSF. Median nadir {np.median(self.nadir_anc()):.2g} "
            f"x10^9/L on day {np.median(self.nadir_day()):.1f}. ANC < 0.5 in "
            f"{self.share_below(0.5):.0%} (median time below 0.5 among them: {med}); "
            f"ANC < 1.0 in {self.share_below(1.0):.0%}."
        )

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<div class='cbct-cohort'>{html.escape(self.summary())}</div>"


def chemo_cohort(
    regimen: str = "docetaxel",
    n: int = 200,
    *,
    cycles: int = 1,
    cycle_days: float = 21,
    dose_fraction: float = 1.0,
    gcsf: bool = False,
    days: float | None = None,
    seed: int | np.random.Generator | None = None,
) -> ChemoCohort:
    """``n`` simulated patients on the same course, drawn with the published variability.

    The same seed gives the same patients with and without G-CSF, so the two can be compared
    patient by patient.

    >>> c = chemo_cohort("docetaxel", 300, seed=1)
    >>> 0.2 < c.share_below(0.5) < 0.4
    True
    """
    reg, cycles, cycle_days, dose_fraction, days = _check_course(
        regimen, cycles, cycle_days, dose_fraction, days
    )
    n = check_int("n", n, low=1, high=20_000)
    if not isinstance(gcsf, bool):
        raise InvalidParameterError(f"The 'gcsf' must be True or False; got {gcsf!r}.")
    circ0, mtt, slope = _patient_parameters(reg, make_rng(seed), n)
    if n == 1:  # keep the vectorised path (the scalar one is for single courses)
        circ0, mtt, slope = (np.repeat(a, 2) for a in (circ0, mtt, slope))
    sample_days, anc, dose_days, _ = _simulate(
        reg, cycles, cycle_days, dose_fraction, gcsf, days, circ0, mtt, slope
    )
    anc = anc[:n]
    return ChemoCohort(
        days=_frozen(sample_days),
        anc=_frozen(anc),
        label=reg.label,
        regimen=reg.name,
        gcsf=gcsf,
        dose_fraction=dose_fraction,
        cycles=cycles,
        cycle_days=cycle_days,
        dose_days=tuple(float(d) for d in dose_days),
        parameters={"circ0": circ0[:n], "mtt_hours": mtt[:n], "slope_per_um": slope[:n]},
    )


# --------------------------------------------------------------------------------------------
# Viral illness
# --------------------------------------------------------------------------------------------
def viral_kinds() -> tuple[str, ...]:
    """The viral illnesses :func:`viral_course` knows.

    >>> viral_kinds()
    ('covid19', 'dengue', 'influenza')
    """
    return tuple(sorted(params()["viral"]))


def _bump(days: np.ndarray, onset, nadir, recovery) -> np.ndarray:
    """0 before onset, rising to 1 at the nadir day, back to 0 at the recovery day (cosine)."""
    days = np.asarray(days)[None, :]
    onset, nadir, recovery = (np.asarray(x, float)[:, None] for x in (onset, nadir, recovery))
    rise = 0.5 * (1 - np.cos(np.pi * np.clip((days - onset) / (nadir - onset), 0, 1)))
    fall = 0.5 * (1 + np.cos(np.pi * np.clip((days - nadir) / (recovery - nadir), 0, 1)))
    return np.where(days <= nadir, rise, fall)


def viral_profiles(kind: str, days: np.ndarray, baseline: dict, rng, n: int) -> dict:
    """Counts over ``days`` for ``n`` patients (rows) with a viral illness of ``kind``.

    ``baseline`` maps each white cell to an array of n baseline counts. Each cell's count is
    ``baseline * ratio ** bump(t)``: on the log scale a smooth dip (or rise) from the onset to
    the nadir day and back by the recovery day. With ``rng`` the ratios and the timing vary
    between patients; without it every patient is typical.
    """
    from .cohorts import PARTS

    spec = params()["viral"][kind]
    jitter = rng.standard_normal(n) * spec["sd_nadir_day"] if rng is not None else np.zeros(n)
    nadir = np.clip(spec["nadir_day"] + jitter, spec["onset_day"] + 0.5, None)
    recovery = spec["recovery_day"] + (nadir - spec["nadir_day"])
    bump = _bump(days, np.full(n, spec["onset_day"]), nadir, recovery)
    shared = rng.standard_normal(n) if rng is not None else np.zeros(n)
    out = {}
    for cell in PARTS:
        # The depth (log of the ratio) varies log-normally, so a dip stays a dip.
        log_ratio = math.log(spec["nadir_ratio"].get(cell, 1.0)) * np.exp(
            spec["sd_log_depth"] * shared
        )
        out[cell] = baseline[cell][:, None] * np.exp(log_ratio[:, None] * bump)
    out["wbc"] = sum(out[cell] for cell in PARTS)
    return out


def viral_course(
    kind: str = "influenza",
    *,
    days: float = 21,
    seed: int | np.random.Generator | None = None,
    variability: bool | None = None,
    population: str = "adult",
) -> TimeCourse:
    """A transient dip of WBC, ANC and lymphocytes during a viral illness, with recovery.

    ``kind`` is one of :func:`viral_kinds`. Day 0 is the onset of symptoms. ``population``
    (``"adult"`` or ``"duffy_null"``) gives the healthy baseline: the typical patient
    starts from the population's median counts; with a ``seed`` the baseline counts, the depth
    and the timing vary (as in :func:`chemo_course`). Magnitudes and timing come from the
    sources in ``data/simulation.toml`` (influenza: up to a third leukopenic; COVID-19:
    lymphopenia in most admitted patients; dengue: leukopenia from about day 2 to day 6).

    >>> flu = viral_course("influenza")
    >>> flu.nadir_day < 5 < flu.recovery_day < 14
    True
    >>> round(float(flu.wbc[0] - (flu.anc[0] + flu.lymphocytes[0])), 2)  # monocytes etc.
    0.58
    """
    kind = check_choice("viral illness", kind, viral_kinds())
    days = check_number("days", days, low=1, high=120, unit="days")
    from ..reference import populations as _pops
    from .cohorts import PARTS, cohort

    check_choice("population", population, [p for p in _pops() if p != "child"])
    vary = _varies(seed, variability)
    rng = make_rng(seed) if vary else None
    if rng is None:
        from .cohorts import _adult_model

        model = _adult_model(population)
        baseline = {cell: np.exp(model["mu"][i]) for i, cell in enumerate(PARTS)}
        who = "typical patient (median counts)"
    else:
        people = cohort(1, population=population, seed=rng)
        baseline = {cell: people[cell] for cell in PARTS}
        who = (
            f"patient drawn with seed {seed}"
            if isinstance(seed, int) and not isinstance(seed, bool)
            else "randomly drawn patient"
        )
    grid = np.arange(0.0, days + 1e-9, SAMPLE_HOURS / 24.0)
    counts = viral_profiles(kind, grid, baseline, rng, 1)
    spec = params()["viral"][kind]
    fraction = params()["recovery"]["viral_fraction_of_baseline"]
    anc = counts["neutrophils"][0]
    return TimeCourse(
        days=_frozen(grid),
        anc=_frozen(anc),
        wbc=_frozen(counts["wbc"][0]),
        lymphocytes=_frozen(counts["lymphocytes"][0]),
        label=spec["label"],
        kind="viral illness",
        recovery_level=fraction * float(anc[0]),
        recovery_rule=f"{fraction:.0%} of the patient's own baseline ANC".replace("%", " %"),
        patient=who,
        parameters={"kind": kind, "population": population},
        notes=(spec["note"],),
        source=spec["source"],
    )
