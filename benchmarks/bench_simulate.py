"""Simulation benchmarks: cohort rows per second, one chemotherapy course, the Friberg solver.

Also reports the Friberg accuracy against scipy (when scipy is installed) and how often the
causes engine ranks the true cause first on simulated cases (informational).
"""

from __future__ import annotations

import statistics
import time

import numpy as np


def _median_time(fn, repeats: int) -> float:
    fn()  # warm caches (data files, eigenvalues)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_cohort(n: int = 1_000_000) -> None:
    from cbc_teach.simulate import cohort

    for population in ("adult", "duffy_null", "child"):
        seconds = _median_time(lambda p=population: cohort(n, population=p, seed=1), 5)
        print(f"cohort {population}, {n:,} rows: {n / seconds / 1e6:.2f} million rows/s "
              f"({seconds * 1000:.0f} ms median of 5) (target: 1,000,000 rows in under 1 s)")


def bench_courses() -> None:
    from cbc_teach.simulate import chemo_cohort, chemo_course, friberg, regimen

    seconds = _median_time(lambda: chemo_course("docetaxel", cycles=3), 15)
    print(f"chemo_course docetaxel, 3 cycles / 63 days: {seconds * 1000:.1f} ms median of 15 "
          "(target: under 20 ms)")
    seconds = _median_time(lambda: chemo_course("docetaxel", cycles=3, gcsf=True, seed=4), 15)
    print(f"chemo_course docetaxel with G-CSF, 3 cycles: {seconds * 1000:.1f} ms median of 15 "
          "(target: under 20 ms)")
    pk = regimen("docetaxel").pk
    t = np.concatenate([np.arange(0, 6, 0.02), np.arange(6, 63 * 24 + 1, 1.0)])
    conc = pk.concentration(t, doses=[(0, 180, 1), (504, 180, 1), (1008, 180, 1)])
    seconds = _median_time(
        lambda: friberg(t, conc, circ0=5.05, mtt_hours=88.7, gamma=0.161, slope=8.58), 15
    )
    print(f"friberg, 63 days on {t.size:,} given points: {seconds * 1000:.1f} ms median of 15 "
          "(target: under 20 ms)")
    seconds = _median_time(lambda: chemo_cohort("docetaxel", 1000, seed=1), 3)
    print(f"chemo_cohort docetaxel, 1,000 patients, 21 days: {seconds * 1000:.0f} ms median of 3 "
          "(target: none, for notebooks)")


def bench_accuracy() -> None:
    try:
        from scipy.integrate import solve_ivp
    except ImportError:  # pragma: no cover - scipy is a test dependency
        print("friberg accuracy: scipy not installed, skipped")
        return
    from cbc_teach.simulate import friberg, regimen

    p = {"circ0": 5.05, "mtt_hours": 88.7, "gamma": 0.161, "slope": 8.58}
    t = np.concatenate([np.arange(0, 6, 0.02), np.arange(6, 21 * 24 + 1, 1.0)])
    conc = regimen("docetaxel").pk.concentration(t, doses=[(0, 180, 1)])
    k = 4 / p["mtt_hours"]

    def rhs(s, y, i):
        c = conc[i] + (conc[i + 1] - conc[i]) * (s - t[i]) / (t[i + 1] - t[i])
        fb = (p["circ0"] / y[4]) ** p["gamma"]
        return [k * y[0] * (1 - p["slope"] * c) * fb - k * y[0], k * (y[0] - y[1]),
                k * (y[1] - y[2]), k * (y[2] - y[3]), k * (y[3] - y[4])]

    y, ref = [p["circ0"]] * 5, [p["circ0"]]
    for i in range(t.size - 1):
        y = solve_ivp(rhs, (t[i], t[i + 1]), y, method="DOP853", rtol=1e-10, atol=1e-12,
                      args=(i,)).y[:, -1]
        ref.append(y[4])
    err = np.abs(friberg(t, conc, **p) / np.array(ref) - 1).max()
    print(f"friberg max relative error vs solve_ivp(DOP853, rtol 1e-10): {err:.1e} "
          "(target: under 5e-3)")


def bench_cases() -> None:
    from cbc_teach.simulate import case, case_ids

    ids = case_ids()
    seconds = _median_time(lambda: [case(c, seed=1) for c in ids], 5) / len(ids)
    print(f"case(), one patient: {seconds * 1e6:.0f} us median (target: none)")
    try:
        from cbc_teach.causes import likely_causes
    except ImportError:  # pragma: no cover - the engine is another module
        return
    seeds = range(20)
    top1 = top3 = 0
    for cause in ids:
        for seed in seeds:
            cbc, history = case(cause, seed=seed)
            ranked = [c.id for c in likely_causes(cbc, history)]
            top1 += ranked[0] == cause
            top3 += cause in ranked[:3]
    total = len(ids) * len(seeds)
    print(f"likely_causes on {total} simulated cases: true cause first in {top1 / total:.0%}, "
          f"in the top 3 in {top3 / total:.0%} (informational, no target)")


def main() -> None:
    bench_cohort()
    bench_courses()
    bench_accuracy()
    bench_cases()


if __name__ == "__main__":
    main()
