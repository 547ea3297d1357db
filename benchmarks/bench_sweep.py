"""Speed-up of ``--jobs 2`` over a serial run on a sweep of 48 trials.

Prints the wall time of the same sweep run serially (with numpy's default BLAS threads,
and with one BLAS thread) and on 2 worker processes (one BLAS thread each), the ratios,
and checks that the three tables agree outside the timing columns.

    python benchmarks/bench_sweep.py [--jobs 2] [--n-units 1200]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from neuromem.experiments import IDENTITY_COLUMNS, Experiment, run


def sweep(n_units: int, smoke: bool = False) -> Experiment:
    # At N = 1200 a trial takes about 0.17 s: heavy enough that starting the worker
    # processes does not dominate (at N = 600, about 40 ms a trial, it does: 1.3-1.5x).
    return Experiment(
        "bench-sweep",
        models=[
            {"name": "hopfield", "params": {"dynamics": "async"}, "label": "hebb"},
            {"name": "hopfield", "params": {"rule": "pseudoinverse"}, "label": "proj"},
        ],
        patterns=[{"kind": "random_bipolar", "n_units": n_units}],
        loads=[0.1] if smoke else [0.04, 0.08, 0.12, 0.16],
        noise=[0.1] if smoke else [0.1, 0.2, 0.3],
        repeats=1 if smoke else 2,
        seed=0,
    )


def timed(exp, out, **kw):
    t0 = time.perf_counter()
    rows = run(exp, out, progress=False, **kw)
    return time.perf_counter() - t0, [tuple(r[c] for c in IDENTITY_COLUMNS) for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--n-units", type=int, default=1200)
    ap.add_argument("--smoke", action="store_true", help="a tiny sweep")
    args = ap.parse_args()
    exp = sweep(40 if args.smoke else args.n_units, smoke=args.smoke)
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t_serial, ref = timed(exp, tmp / "serial")
        with threadpool_limits(1):
            t_serial1, ref1 = timed(exp, tmp / "serial1")
        t_jobs, rows = timed(exp, tmp / "jobs", jobs=args.jobs)
    assert rows == ref == ref1, "executors disagree"
    print(f"sweep: {len(exp.trials())} trials, N = {args.n_units}, {os.cpu_count()} cores")
    # Other work on the machine takes cores from the workers: the ratio means little
    # when the load average before the run is well above zero.
    print(f"load average before / after: {load0:.2f} / {os.getloadavg()[0]:.2f}")
    print(f"serial (default BLAS threads): {t_serial:7.2f} s")
    print(f"serial (1 BLAS thread):        {t_serial1:7.2f} s")
    print(f"--jobs {args.jobs} (1 BLAS thread each): {t_jobs:7.2f} s")
    print(f"speed-up vs serial:                {t_serial / t_jobs:5.2f}x")
    print(
        f"speed-up vs serial, 1 BLAS thread: {t_serial1 / t_jobs:5.2f}x  (target >= 1.6x)"
    )
    print("identical tables (timing columns aside): yes")


if __name__ == "__main__":
    main()
