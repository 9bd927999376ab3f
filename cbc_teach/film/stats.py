"""How precise a manual differential is: the exact binomial interval of a counted percentage.

A differential counted on a film is a sample: ``count`` cells of one kind among ``n`` counted.
Its 95 % interval is the exact (Clopper-Pearson, 1934) binomial interval, the interval that
Ruemke's (1979) tables list for 100, 200, 500 and 1000 cells. CLSI H20-A2 (2007) makes a
400-cell count the reference differential against which analysers are judged.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["differential_ci"]


def _binom_cdf(k: int, n: int):
    """The function p -> P(X <= k) for X ~ Binomial(n, p), summed in log space."""
    i = np.arange(k + 1, dtype=np.float64)
    lg = np.array([math.lgamma(v + 1) for v in range(n + 1)])
    logc = lg[n] - lg[: k + 1] - lg[n - np.arange(k + 1)]

    def cdf(p: float) -> float:
        if p <= 0.0:
            return 1.0
        if p >= 1.0:
            return 1.0 if k >= n else 0.0
        terms = logc + i * math.log(p) + (n - i) * math.log1p(-p)
        top = terms.max()
        return float(min(1.0, math.exp(top) * np.exp(terms - top).sum()))

    return cdf


def _solve(f, target: float) -> float:
    """The p in [0, 1] where the decreasing function ``f`` crosses ``target`` (bisection)."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if f(mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def differential_ci(count: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact binomial (Clopper-Pearson) interval of a manual differential, in percent.

    ``count`` cells of one kind were seen among ``n`` cells counted. The interval is where the
    true percentage lies with probability ``level``; it is what Ruemke's tables give (Ruemke
    1979; CLSI H20-A2, 2007).

    >>> low, high = differential_ci(50, 100)
    >>> round(low, 1), round(high, 1)
    (39.8, 60.2)
    >>> [round(v, 1) for v in differential_ci(200, 400)]
    [45.0, 55.0]
    """
    for name, value in (("count", count), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InvalidParameterError(
                f"The {name!r} of a differential must be a whole number of cells; got {value!r}."
            )
    count, n = int(count), int(n)
    if n < 1:
        raise InvalidParameterError(
            f"The number of cells counted 'n' must be at least 1; got {n}."
        )
    if not 0 <= count <= n:
        raise InvalidParameterError(
            f"The 'count' must lie between 0 and n = {n} cells; got {count}."
        )
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise InvalidParameterError(
            f"The confidence 'level' must be a number between 0 and 1 (e.g. 0.95); got {level!r}."
        )
    alpha = 1.0 - float(level)
    if count == 0:
        low = 0.0
    else:  # P(X >= count | p) = alpha / 2, i.e. 1 - cdf(count - 1) = alpha / 2
        below = _binom_cdf(count - 1, n)
        low = _solve(lambda p: below(p) - 1.0, -alpha / 2)
    # the upper limit: P(X <= count | p) = alpha / 2
    high = 1.0 if count == n else _solve(_binom_cdf(count, n), alpha / 2)
    return (100.0 * low, 100.0 * high)
