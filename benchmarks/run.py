"""Run every benchmark (benchmarks/bench_*.py) in its own process and print its figures.

Usage: python benchmarks/run.py [NAME ...]   (NAME: e.g. core, simulate, widgets, grading)
Benchmarks report; they never fail on a target (targets are printed beside the figures).
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if wanted:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
    failures = 0
    for script in scripts:
        print(f"== {script.stem.removeprefix('bench_')} ==", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        if result.returncode:
            failures += 1
            print(f"   (benchmark exited with {result.returncode})")
        print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
