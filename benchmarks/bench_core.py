"""Core benchmarks: classify_many against a classify loop, and the import time of cbc_teach."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np


def _rows(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    wbc = rng.uniform(0.5, 20, n).round(2)
    frac = rng.dirichlet([6, 3, 1, 0.5, 0.2], n)
    names = ["neutrophils", "lymphocytes", "monocytes", "eosinophils", "basophils"]
    out = {"wbc": wbc}
    out.update({name: (wbc * frac[:, i]).round(3) for i, name in enumerate(names)})
    return out


def bench_classify(n: int = 100_000) -> None:
    from cbc_teach import CBC, classify, classify_many

    rows = _rows(n)
    classify_many(**{k: v[:10] for k, v in rows.items()})  # warm the data caches
    times = []
    for _ in range(5):
        start = time.perf_counter()
        classify_many(**rows)
        times.append(time.perf_counter() - start)
    vec = statistics.median(times)
    loop_n = 20_000  # the loop is timed on a sample and scaled: it is linear in n
    start = time.perf_counter()
    for i in range(loop_n):
        classify(CBC(rows["wbc"][i], **{k: v[i] for k, v in rows.items() if k != "wbc"}))
    loop = (time.perf_counter() - start) * n / loop_n
    print(f"classify_many, {n:,} rows: {vec * 1000:.1f} ms")
    print(f"classify loop, {n:,} rows (CBC + classify, scaled from {loop_n:,}): {loop:.2f} s")
    print(f"classify_many speed-up: {loop / vec:.0f}x (target: at least 50x)")


def bench_import(repeats: int = 7) -> None:
    code = "import time; t = time.perf_counter(); import cbc_teach; print(time.perf_counter() - t)"
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(out.stdout))
    print(f"import cbc_teach in a fresh process: {statistics.median(times) * 1000:.0f} ms median of {repeats} (target: under 300 ms)")


def main() -> None:
    bench_classify()
    bench_import()


if __name__ == "__main__":
    main()
