"""The Friberg 2002 model of chemotherapy-induced neutropenia, and the drug concentrations it needs.

The Friberg model (Friberg LE et al., J Clin Oncol 2002;20:4713-4721) follows neutrophils
from a proliferating compartment through three transit compartments into the blood::

    dProl/dt = ktr * Prol * (1 - E) * (circ0 / Circ)**gamma - ktr * Prol
    dT1/dt   = ktr * (Prol - T1);  dT2/dt = ktr * (T1 - T2);  dT3/dt = ktr * (T2 - T3)
    dCirc/dt = ktr * (T3 - Circ),  ktr = 4 / MTT,  E = slope * concentration

Every compartment starts at ``circ0`` (the steady state). ``(circ0/Circ)**gamma`` is the
feedback that speeds up production when the count is low (the body's own G-CSF, in effect).

**How it is solved.** A classical Runge-Kutta scheme of order 4 on ``log(Prol / circ0)`` and
the four other compartments. The drug concentration is linear between the given points, so
the Runge-Kutta stages see it exactly when every given time is a step boundary; a step never
exceeds ``MTT / 80`` hours (1.1 hours for MTT = 88.7 h), and is shortened where the drug
effect is large, so that ``log(Prol)`` moves by at most about 0.2 per step. The loop runs on
plain Python floats (one patient) or numpy arrays (many patients at once). The tests compare it
with ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-10): for docetaxel the two agree to about
1e-8 (relative), far inside the 0.5 % required.
With no drug the state is exactly steady: ``Prol`` is stored as ``circ0 * exp(0)``.

>>> t = [0.0, 24.0, 48.0]
>>> friberg(t, [0.0, 0.0, 0.0], circ0=5.05, mtt_hours=88.7, gamma=0.161, slope=8.58).tolist()
[5.05, 5.05, 5.05]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError
from ._common import check_number

__all__ = ["ThreeCompartmentPK", "friberg"]

#: Largest number of internal steps one call may take (guards against absurd inputs).
_MAX_STEPS = 2_000_000
#: Largest change of log(Prol) allowed in one step where the drug effect is large.
_MAX_LOG_STEP = 0.2


@dataclass(frozen=True)
class ThreeCompartmentPK:
    """Linear three-compartment pharmacokinetics with zero-order (constant-rate) infusions.

    Rate constants per hour, central volume ``v1_l`` in litres, ``molar_mass_mg_per_umol``
    turns mg/L into umol/L. :meth:`concentration` returns the plasma concentration in uM.

    >>> pk = ThreeCompartmentPK(k10=5.2, k12=1.06, k21=1.51, k13=1.26, k31=0.084, v1_l=7.4,
    ...                         molar_mass_mg_per_umol=0.808)
    >>> round(float(pk.concentration([1.0], doses=[(0.0, 180.0, 1.0)])[0]), 2)
    4.43
    """

    k10: float
    k12: float
    k21: float
    k13: float
    k31: float
    v1_l: float
    molar_mass_mg_per_umol: float

    def _eigen(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rates = np.array(
            [
                [-(self.k10 + self.k12 + self.k13), self.k21, self.k31],
                [self.k12, -self.k21, 0.0],
                [self.k13, 0.0, -self.k31],
            ]
        )
        lam, vec = np.linalg.eig(rates)
        return lam.real, vec.real, np.linalg.inv(vec.real)

    def concentration(self, t_hours, *, doses) -> np.ndarray:
        """Plasma concentration (uM) at ``t_hours`` after ``doses``: (start_h, mg, infusion_h).

        Exact (matrix exponential through the eigenvalues); doses add up (linear kinetics).
        """
        t = np.asarray(t_hours, dtype=float)
        lam, vec, inv = self._eigen()
        total = np.zeros_like(t)
        for start, amount, duration in doses:
            if amount <= 0:
                continue
            duration = max(float(duration), 1e-9)
            rate = amount / duration
            b = inv[:, 0] * rate  # infusion enters the central compartment
            s = t - start
            during = np.clip(s, 0.0, duration)
            # Amount in compartment 1 during the infusion: V diag((e^{lam s} - 1)/lam) V^-1 R e1.
            grow = np.expm1(np.multiply.outer(during, lam)) / lam
            central = grow @ (vec[0] * b)
            after = np.clip(s - duration, 0.0, None)
            end_state = vec @ (np.expm1(lam * duration) / lam * b)
            decay = np.exp(np.multiply.outer(after, lam)) * (inv @ end_state)
            central = np.where(s > duration, decay @ vec[0], central)
            total += np.where(s > 0, central, 0.0)
        return np.clip(total, 0.0, None) / self.v1_l / self.molar_mass_mg_per_umol


def _as_grid(t_hours, concentration) -> tuple[np.ndarray, np.ndarray]:
    try:
        t = np.asarray(t_hours, dtype=float)
        c = np.asarray(concentration, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            "The 't_hours' and 'concentration' must be sequences of numbers; got "
            f"{t_hours!r} and {concentration!r}."
        ) from None
    if t.ndim != 1 or t.size == 0:
        raise InvalidParameterError(
            f"The 't_hours' must be a non-empty one-dimensional sequence of times; got shape {t.shape}."
        )
    if c.shape != t.shape:
        raise InvalidParameterError(
            f"The 'concentration' must have one value per time: 't_hours' has {t.size} values "
            f"but 'concentration' has shape {c.shape}."
        )
    if not np.isfinite(t).all():
        raise InvalidParameterError("The 't_hours' must be finite numbers; it holds NaN or infinity.")
    if t.size > 1 and not (np.diff(t) > 0).all():
        i = int(np.flatnonzero(np.diff(t) <= 0)[0])
        raise InvalidParameterError(
            f"The 't_hours' must be strictly increasing; t_hours[{i}] = {t[i]:g} is followed by "
            f"t_hours[{i + 1}] = {t[i + 1]:g}."
        )
    if not np.isfinite(c).all() or (c < 0).any():
        raise InvalidParameterError(
            "The 'concentration' must be finite numbers >= 0 (uM, or whatever unit the slope is "
            "per); it holds a negative, NaN or infinite value."
        )
    return t, c


def refine(t: np.ndarray, c: np.ndarray, *, k_max: float, e_max_per_c: float) -> tuple:
    """Split each interval into equal steps; return (times, concentrations, index of given times).

    A step is at most ``4 / (80 k)`` = MTT/80 hours and at most ``0.2 / (k (1 + E))`` where the
    drug effect E is large. The concentration stays linear inside each given interval.
    """
    if t.size == 1:
        return t.copy(), c.copy(), np.array([0])
    h = np.diff(t)
    e_top = np.maximum(c[:-1], c[1:]) * e_max_per_c
    h_max = np.minimum(1.0 / (20.0 * k_max), _MAX_LOG_STEP / (k_max * (1.0 + e_top)))
    m = np.maximum(1, np.ceil(h / h_max - 1e-9)).astype(np.int64)
    total = int(m.sum())
    if total > _MAX_STEPS:
        raise InvalidParameterError(
            f"This simulation would need {total:,} steps (more than {_MAX_STEPS:,}): the time span "
            "is too long for the mean transit time, or slope x concentration is implausibly large."
        )
    interval = np.repeat(np.arange(m.size), m)
    offsets = np.arange(total) - np.repeat(np.cumsum(m) - m, m)
    frac = offsets / m[interval]
    tt = np.append(t[interval] + h[interval] * frac, t[-1])
    cc = np.append(c[interval] + (c[interval + 1] - c[interval]) * frac, c[-1])
    given = np.concatenate([[0], np.cumsum(m)])
    return tt, cc, given


def solve_scalar(
    t: list[float],
    e: list[float],
    *,
    circ0: float,
    ktr: float,
    gamma: float,
    window: list[int] | None = None,
    window_check_t: list[float] | None = None,
    k_factor: float = 1.0,
    prolif_factor: float = 1.0,
    stop_anc: float = math.inf,
) -> list[float]:
    """Integrate one patient on the node times ``t`` with drug effect ``e`` (linear between nodes).

    ``window[i]`` (optional) is the G-CSF window the interval i belongs to (-1: none). While a
    window acts, ktr is multiplied by ``k_factor`` and proliferation by ``prolif_factor``; a
    window stops for good once the count reaches ``stop_anc`` at or after its check time.
    Returns the circulating count at every node.
    """
    exp = math.exp
    u = 0.0
    p = t1 = t2 = t3 = c = circ0
    out = [c]
    stopped = [False] * (len(window_check_t) if window_check_t else 0)
    for i in range(len(t) - 1):
        h = t[i + 1] - t[i]
        e0 = e[i]
        e1 = e[i + 1]
        em = 0.5 * (e0 + e1)
        k = ktr
        s = 1.0
        if window is not None and window[i] >= 0:
            w = window[i]
            if not stopped[w] and c >= stop_anc and t[i] >= window_check_t[w]:
                stopped[w] = True
            if not stopped[w]:
                k = ktr * k_factor
                s = prolif_factor
        hh = 0.5 * h
        fb = (circ0 / c) ** gamma
        a0 = k * (s * (1.0 - e0) * fb - 1.0)
        a1 = k * (p - t1)
        a2 = k * (t1 - t2)
        a3 = k * (t2 - t3)
        a4 = k * (t3 - c)
        x1 = t1 + hh * a1
        x2 = t2 + hh * a2
        x3 = t3 + hh * a3
        xc = c + hh * a4
        pp = circ0 * exp(u + hh * a0)
        fb = (circ0 / xc) ** gamma
        b0 = k * (s * (1.0 - em) * fb - 1.0)
        b1 = k * (pp - x1)
        b2 = k * (x1 - x2)
        b3 = k * (x2 - x3)
        b4 = k * (x3 - xc)
        x1 = t1 + hh * b1
        x2 = t2 + hh * b2
        x3 = t3 + hh * b3
        xc = c + hh * b4
        pp = circ0 * exp(u + hh * b0)
        fb = (circ0 / xc) ** gamma
        d0 = k * (s * (1.0 - em) * fb - 1.0)
        d1 = k * (pp - x1)
        d2 = k * (x1 - x2)
        d3 = k * (x2 - x3)
        d4 = k * (x3 - xc)
        x1 = t1 + h * d1
        x2 = t2 + h * d2
        x3 = t3 + h * d3
        xc = c + h * d4
        pp = circ0 * exp(u + h * d0)
        fb = (circ0 / xc) ** gamma
        g0 = k * (s * (1.0 - e1) * fb - 1.0)
        g1 = k * (pp - x1)
        g2 = k * (x1 - x2)
        g3 = k * (x2 - x3)
        g4 = k * (x3 - xc)
        h6 = h / 6.0
        u += h6 * (a0 + 2.0 * (b0 + d0) + g0)
        t1 += h6 * (a1 + 2.0 * (b1 + d1) + g1)
        t2 += h6 * (a2 + 2.0 * (b2 + d2) + g2)
        t3 += h6 * (a3 + 2.0 * (b3 + d3) + g3)
        c += h6 * (a4 + 2.0 * (b4 + d4) + g4)
        p = circ0 * exp(u)
        out.append(c)
    return out


def solve_many(
    t: np.ndarray,
    conc: np.ndarray,
    *,
    circ0: np.ndarray,
    ktr: np.ndarray,
    gamma: float,
    slope: np.ndarray,
    window: np.ndarray | None = None,
    window_check_t: list[float] | None = None,
    k_factor: float = 1.0,
    prolif_factor: float = 1.0,
    stop_anc: float = math.inf,
) -> np.ndarray:
    """The same scheme as :func:`solve_scalar` for many patients at once (numpy arrays).

    ``circ0``, ``ktr`` and ``slope`` hold one value per patient; returns (nodes, patients).
    """
    n = circ0.size
    u = np.zeros(n)
    p, t1, t2, t3, c = (circ0.copy() for _ in range(5))
    out = np.empty((t.size, n))
    out[0] = c
    n_windows = len(window_check_t) if window_check_t else 0
    stopped = np.zeros((n_windows, n), dtype=bool)
    exp = np.exp
    for i in range(t.size - 1):
        h = float(t[i + 1] - t[i])
        e0 = slope * conc[i]
        e1 = slope * conc[i + 1]
        em = 0.5 * (e0 + e1)
        k = ktr
        s = 1.0
        if window is not None and window[i] >= 0:
            w = int(window[i])
            if t[i] >= window_check_t[w]:
                stopped[w] |= c >= stop_anc
            acting = ~stopped[w]
            k = np.where(acting, ktr * k_factor, ktr)
            s = np.where(acting, prolif_factor, 1.0)
        hh = 0.5 * h
        fb = (circ0 / c) ** gamma
        a0 = k * (s * (1.0 - e0) * fb - 1.0)
        a1 = k * (p - t1)
        a2 = k * (t1 - t2)
        a3 = k * (t2 - t3)
        a4 = k * (t3 - c)
        x1 = t1 + hh * a1
        x2 = t2 + hh * a2
        x3 = t3 + hh * a3
        xc = c + hh * a4
        pp = circ0 * exp(u + hh * a0)
        fb = (circ0 / xc) ** gamma
        b0 = k * (s * (1.0 - em) * fb - 1.0)
        b1 = k * (pp - x1)
        b2 = k * (x1 - x2)
        b3 = k * (x2 - x3)
        b4 = k * (x3 - xc)
        x1 = t1 + hh * b1
        x2 = t2 + hh * b2
        x3 = t3 + hh * b3
        xc = c + hh * b4
        pp = circ0 * exp(u + hh * b0)
        fb = (circ0 / xc) ** gamma
        d0 = k * (s * (1.0 - em) * fb - 1.0)
        d1 = k * (pp - x1)
        d2 = k * (x1 - x2)
        d3 = k * (x2 - x3)
        d4 = k * (x3 - xc)
        x1 = t1 + h * d1
        x2 = t2 + h * d2
        x3 = t3 + h * d3
        xc = c + h * d4
        pp = circ0 * exp(u + h * d0)
        fb = (circ0 / xc) ** gamma
        g0 = k * (s * (1.0 - e1) * fb - 1.0)
        g1 = k * (pp - x1)
        g2 = k * (x1 - x2)
        g3 = k * (x2 - x3)
        g4 = k * (x3 - xc)
        h6 = h / 6.0
        u = u + h6 * (a0 + 2.0 * (b0 + d0) + g0)
        t1 = t1 + h6 * (a1 + 2.0 * (b1 + d1) + g1)
        t2 = t2 + h6 * (a2 + 2.0 * (b2 + d2) + g2)
        t3 = t3 + h6 * (a3 + 2.0 * (b3 + d3) + g3)
        c = c + h6 * (a4 + 2.0 * (b4 + d4) + g4)
        p = circ0 * exp(u)
        out[i + 1] = c
    return out


def friberg(
    t_hours,
    concentration,
    *,
    circ0: float,
    mtt_hours: float,
    gamma: float,
    slope: float,
) -> np.ndarray:
    """The circulating count of the Friberg 2002 model at ``t_hours``, for a drug concentration.

    ``concentration[i]`` is the drug concentration at ``t_hours[i]``, linear in between (uM when
    ``slope`` is per uM). Every compartment starts at ``circ0`` (steady state) at
    ``t_hours[0]``. ``mtt_hours`` is the mean transit time (ktr = 4 / MTT), ``gamma`` the
    feedback exponent and ``slope`` the linear drug effect (E = slope x concentration).
    Accurate to far better than 0.5 % against a tight ODE solution (see the module docstring).

    Docetaxel 100 mg/m2 over one hour in a 1.8 m2 adult, with the published parameters
    (see ``data/simulation.toml``): the nadir comes on day 7.6 at about 0.9 x10^9/L.

    >>> from cbc_teach.simulate import regimen
    >>> pk = regimen("docetaxel").pk
    >>> t = np.concatenate([np.arange(0, 6, 0.01), np.arange(6, 21 * 24 + 1, 1.0)])
    >>> anc = friberg(t, pk.concentration(t, doses=[(0, 180, 1)]),
    ...               circ0=5.05, mtt_hours=88.7, gamma=0.161, slope=8.58)
    >>> round(float(anc.min()), 2), round(float(t[anc.argmin()] / 24), 1)
    (0.9, 7.6)
    >>> friberg([0, 1], [0, 0], circ0=5, mtt_hours=-1, gamma=0.16, slope=8)
    Traceback (most recent call last):
    ...
    cbc_teach.errors.InvalidParameterError: The 'mtt_hours' must be a number greater than 0 hours; got -1.
    """
    circ0 = check_number("circ0", circ0, low=0, low_open=True, unit="x10^9/L")
    mtt = check_number("mtt_hours", mtt_hours, low=0, low_open=True, unit="hours")
    gamma = check_number("gamma", gamma, low=0)
    slope = check_number("slope", slope, low=0, unit="per concentration unit")
    t, c = _as_grid(t_hours, concentration)
    ktr = 4.0 / mtt
    tt, cc, given = refine(t, c, k_max=ktr, e_max_per_c=slope)
    out = solve_scalar(tt.tolist(), (slope * cc).tolist(), circ0=circ0, ktr=ktr, gamma=gamma)
    return np.asarray(out)[given]
