"""Explorer update times: from setting a control's value to the display holding the new result.

Each explorer is built once and warmed up; then one control after another is set to a new
value (as a slider drag or a click from the browser would) and the time until ``.value = x``
returns is recorded. Updates are synchronous, so when the assignment returns ``.state`` and
the display widgets already hold the new result. The figures leave out the browser's drawing
and the kernel's messaging, which do not depend on this package.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable

N_CHANGES = 200


def _time_changes(explorer, changes: list[tuple[str, object]], n: int = N_CHANGES) -> list[float]:
    times = []
    for name, value in itertools.islice(itertools.cycle(changes), n):
        control = explorer.controls[name]
        start = time.perf_counter()
        control.value = value
        times.append(time.perf_counter() - start)
        if explorer.state.error is not None:
            raise RuntimeError(f"benchmark change {name}={value!r} gave an error: "
                               f"{explorer.state.error}")
    return times


def _report(name: str, times: list[float], target_ms: float) -> None:
    ms = sorted(t * 1000 for t in times)
    median = statistics.median(ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(f"{name} update, median of {len(ms)} changes: {median:.2f} ms "
          f"(95th percentile {p95:.2f} ms) (target: under {target_ms:g} ms median)", flush=True)


def _build(factory: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    explorer = factory()
    return explorer, time.perf_counter() - start


def bench_cbc() -> None:
    from cbc_teach.widgets import CBCExplorer

    explorer, built = _build(CBCExplorer)
    print(f"CBCExplorer construction: {built * 1000:.0f} ms (target: none, for information)")
    changes = [("neutrophils", v) for v in (3.0, 1.4, 0.9, 0.4, 0.08, 2.2)]
    changes += [("lymphocytes", 0.7), ("population", "duffy_null"), ("wbc", 7.5),
                ("population", "adult"), ("lymphocytes", 2.0), ("wbc", 6.5),
                ("mode", "percent"), ("wbc", 5.0), ("mode", "absolute"), ("wbc", 6.5)]
    _time_changes(explorer, changes, 20)  # warm-up
    _report("CBCExplorer", _time_changes(explorer, changes), 50)
    fresh = [("neutrophils", round(0.05 + 0.01 * i, 2)) for i in range(N_CHANGES)]
    _report("CBCExplorer (new count every time)", _time_changes(explorer, fresh), 50)


def bench_case() -> None:
    from cbc_teach.widgets import CaseExplorer

    explorer, built = _build(CaseExplorer)
    print(f"CaseExplorer construction: {built * 1000:.0f} ms (target: none, for information)")
    history = [("temperature_c", 38.6), ("symptoms", ("fever",)),
               ("conditions", ("rheumatoid_arthritis", "splenomegaly")),
               ("medications", ("methotrexate",)), ("temperature_c", 36.8),
               ("exposures", ("recent_viral_illness",)), ("conditions", ()),
               ("medications", ()), ("symptoms", ()), ("exposures", ())]
    _time_changes(explorer, history, 20)
    _report("CaseExplorer", _time_changes(explorer, history), 50)
    # Every change a count never seen before: nothing comes from the engine's cache.
    fresh = [("neutrophils", round(0.2 + 0.01 * i, 2)) for i in range(N_CHANGES)]
    _report("CaseExplorer (new count every time, no cache)", _time_changes(explorer, fresh), 50)


def bench_timecourse() -> None:
    from cbc_teach.widgets import TimeCourseExplorer

    explorer, built = _build(TimeCourseExplorer)
    print(f"TimeCourseExplorer construction: {built * 1000:.0f} ms (target: none, for information)")
    changes = [("dose_fraction", v) for v in (0.9, 0.75, 0.6, 1.0)]
    changes += [("gcsf", True), ("cycles", 2), ("dose_fraction", 0.8), ("gcsf", False),
                ("cycles", 3), ("cycles", 1), ("dose_fraction", 1.0)]
    regimens = [value for _label, value in explorer.controls["regimen"].options]
    changes += [("regimen", r) for r in regimens] + [("regimen", regimens[0])]
    _time_changes(explorer, changes, 20)
    _report("TimeCourseExplorer", _time_changes(explorer, changes), 150)
    # Every change a dose never simulated before: two courses (with and without G-CSF) are
    # simulated from scratch each time.
    for cycles in (1, 6):
        explorer.set_values(cycles=cycles)
        fresh = [("dose_fraction", round(0.5 + 0.001 * i, 3)) for i in range(N_CHANGES // 4)]
        _report(f"TimeCourseExplorer ({cycles} cycle{'s' * (cycles > 1)}, new dose every time, "
                "no cache)", _time_changes(explorer, fresh, len(fresh)), 150)


def bench_population() -> None:
    from cbc_teach.widgets import PopulationExplorer

    explorer, built = _build(PopulationExplorer)
    print(f"PopulationExplorer construction (simulates the cohorts): {built * 1000:.0f} ms "
          "(target: none, for information)")
    changes = [("lower_limit", v) for v in (1.0, 1.2, 1.5, 1.8, 2.0, 2.5)]
    populations = [value for _label, value in explorer.controls["population"].options]
    changes += [("population", p) for p in populations]
    changes += [("analyte", "wbc"), ("lower_limit", 3.5), ("analyte", "neutrophils"),
                ("lower_limit", 1.5)]
    _time_changes(explorer, changes, 20)
    _report("PopulationExplorer", _time_changes(explorer, changes), 150)
    fresh = [("lower_limit", round(0.5 + 0.013 * i, 3)) for i in range(N_CHANGES)]
    _report("PopulationExplorer (new cut-off every time)", _time_changes(explorer, fresh), 150)


_LIVE_CODE = r"""
import statistics, time
from cbc_teach.widgets import CBCExplorer, CaseExplorer, PopulationExplorer, TimeCourseExplorer

def _median_ms(explorer, name, values):
    display(explorer)
    times = []
    for value in values:
        start = time.perf_counter()
        explorer.controls[name].value = value
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000

_live = {
    "CBCExplorer": (_median_ms(CBCExplorer(), "neutrophils",
                               [round(0.05 + 0.01 * i, 2) for i in range(100)]), 50),
    "CaseExplorer": (_median_ms(CaseExplorer(), "neutrophils",
                                [round(0.2 + 0.01 * i, 2) for i in range(100)]), 50),
    "TimeCourseExplorer": (_median_ms(TimeCourseExplorer(), "dose_fraction",
                                      [round(0.5 + 0.001 * i, 3) for i in range(100)]), 150),
    "PopulationExplorer": (_median_ms(PopulationExplorer(), "lower_limit",
                                      [round(0.5 + 0.013 * i, 3) for i in range(100)]), 150),
}
"""


def bench_live_kernel() -> None:
    """The same updates inside a real ipykernel, where every change also sends comm messages."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
                                                           "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(_LIVE_CODE),
                nbformat.v4.new_code_cell("for k, (v, t) in _live.items(): "
                                          "print(f'{k}|{v:.2f}|{t}')")]
    NotebookClient(nb, timeout=300).execute()
    for line in nb.cells[1].outputs[0]["text"].splitlines():
        name, value, target = line.split("|")
        print(f"{name} update in a live kernel (comm messages included), median of 100 new "
              f"values: {value} ms (target: under {target} ms median)", flush=True)


def main() -> None:
    start = time.perf_counter()
    import ipywidgets  # noqa: F401  (import time reported separately from the explorers)

    print(f"import ipywidgets: {(time.perf_counter() - start) * 1000:.0f} ms "
          "(target: none, for information)")
    for bench in (bench_cbc, bench_case, bench_timecourse, bench_population):
        bench()
    try:
        bench_live_kernel()
    except Exception as exc:  # noqa: BLE001 - no kernel here: report it, keep the other figures
        print(f"live kernel: not measured ({type(exc).__name__}: {exc})")


if __name__ == "__main__":
    main()
