"""The causes engine: time per likely_causes and triage call, and accuracy on cases whose weights
were not tuned on them (the held-out vignettes and simulated cases)."""

from __future__ import annotations

import pathlib
import statistics
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _time_calls() -> None:
    from cbc_teach import CBC, History, likely_causes, triage
    from cbc_teach.causes import _rank

    history = History(age_years=34, sex="female", medications=("methimazole",),
                      symptoms=("sore throat", "fever"), temperature_c=38.4)
    counts = [CBC(2.0 + i / 100, neutrophils=0.5 + i / 200, lymphocytes=1.3) for i in range(300)]
    likely_causes(counts[0], history)  # load the knowledge base
    _rank.cache_clear()
    times = []
    for cbc in counts:  # each count is new: no cached result
        start = time.perf_counter()
        likely_causes(cbc, history)
        times.append(time.perf_counter() - start)
    print(f"likely_causes, new count each call: {statistics.median(times) * 1000:.2f} ms median "
          "(budget inside the 50 ms CaseExplorer update)")
    times = []
    for cbc in counts:
        start = time.perf_counter()
        triage(cbc, history)
        times.append(time.perf_counter() - start)
    print(f"triage: {statistics.median(times) * 1000:.3f} ms median")


def _accuracy(cases) -> tuple[int, int, int]:
    from cbc_teach import likely_causes

    top1 = top3 = 0
    for cbc, history, population, expected in cases:
        ids = [c.id for c in likely_causes(cbc, history, population=population)]
        top1 += ids[0] == expected
        top3 += expected in ids[:3]
    return top1, top3, len(cases)


def _heldout_cases():
    from cbc_teach import CBC, History

    data = tomllib.loads((ROOT / "tests" / "data" / "vignettes_heldout.toml").read_text())
    for v in data["vignette"]:
        yield (CBC(**v["cbc"]), History(**v.get("history", {})), v.get("population", "adult"),
               v["expected"])


def _simulated_cases(seeds: int = 20):
    from cbc_teach.simulate import case, case_ids

    for cause in case_ids():
        for seed in range(seeds):
            cbc, history = case(cause, seed=seed)
            yield cbc, history, "adult", cause


def main() -> None:
    _time_calls()
    for name, cases in (("held-out vignettes", list(_heldout_cases())),
                        ("simulated cases (case(), 20 seeds per cause)", list(_simulated_cases()))):
        top1, top3, n = _accuracy(cases)
        print(f"accuracy on {name}: top-1 {top1}/{n} ({top1 / n:.0%}), top-3 {top3}/{n} ({top3 / n:.0%})")


if __name__ == "__main__":
    main()
