"""Grade a class on a real Dask cluster (run as a script by tests/test_grading_run.py).

    python tests/grade_on_dask.py CLASS_FOLDER OUT_FOLDER

A ``distributed.LocalCluster`` of 2 worker processes with 2 threads each (the default of
``dask worker`` is several threads), started in another folder than the one the paths are
relative to: the grader must send absolute paths, and two gradings in one worker process must
not collide. Dask's ``LocalCluster(processes=True)`` needs this ``__main__`` guard (it cannot
run from standard input).
"""

from __future__ import annotations

import os
import pathlib
import sys


def main(class_folder: str, out: str) -> int:
    from distributed import Client, LocalCluster

    from cbc_teach.grading import grade

    class_folder, out = os.path.abspath(class_folder), os.path.abspath(out)
    workers_home = pathlib.Path(out).parent / "dask-workers"
    workers_home.mkdir(exist_ok=True)
    os.chdir(workers_home)  # the workers start here...
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None,
                      local_directory=str(workers_home)) as cluster, Client(cluster) as client:
        os.chdir(class_folder)  # ...and the paths below are relative to another folder
        run = grade("ex02_anc", ["submissions"], out=os.path.relpath(out), timeout=20,
                    memory_mb=1024, executor=client.get_executor(), progress=False)
    print(run.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
