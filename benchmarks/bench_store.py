"""Speed of a first Hebbian store against plain numpy, float64 and float32 (issue 12 §1).

Targets:

- the first Hebbian store of a ``hopfield`` model (``create`` + ``store``), N = 1000,
  P = 100, float64: <= 1.5x numpy's ``W = X.T @ X`` (unscaled) plus zeroing the diagonal;
- the same in float32 at N = 8000, P = 500: <= 1.2x numpy's float32 product.

With ``--big`` it also stores P = 200 patterns at N = 20,000 in float64 (issue 10: numpy's
``a.T @ a`` goes to OpenBLAS syrk, which segfaults at that size with two threads) in a
subprocess and prints its exit status, time and peak RSS.

Every time is the best of ``--repeats`` runs, the model and numpy interleaved.

Run: ``python benchmarks/bench_store.py [--repeats 5] [--big]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

import neuromem as nm


def best(fns: dict, repeats: int) -> dict:
    out = dict.fromkeys(fns, np.inf)
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            out[name] = min(out[name], time.perf_counter() - t)
    return out


def case(n: int, p: int, dtype: str, repeats: int) -> float:
    x = nm.patterns.random_bipolar(p, n, seed=0).astype(dtype)

    def numpy_store():
        w = x.T @ x  # the model also scales by 1 / N: numpy is spared that pass
        np.fill_diagonal(w, 0)
        return w

    def model_store():
        return nm.create("hopfield", n_units=n, dtype=dtype).store(x)

    w_ref = numpy_store()
    w = model_store().weights_
    if w.dtype != np.dtype(dtype):
        raise SystemExit(f"the model's weights are {w.dtype}, not {dtype}")
    err = float(np.max(np.abs(w - w_ref / n)))
    t = best({"numpy": numpy_store, "neuromem": model_store}, repeats)
    ratio = t["neuromem"] / t["numpy"]
    print(
        f"N = {n:5d}, P = {p:3d}, {dtype}: numpy {1e3 * t['numpy']:8.2f} ms, "
        f"neuromem {1e3 * t['neuromem']:8.2f} ms, ratio {ratio:.2f} (max |dW| {err:.1e})"
    )
    return ratio


BIG = """
import resource, time
import neuromem as nm
x = nm.patterns.random_bipolar(200, 20000, seed=0)
t = time.perf_counter()
m = nm.create("hopfield", n_units=20000).store(x)
print(f"N = 20000, P = 200, float64 store: {time.perf_counter() - t:.1f} s, "
      f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--big", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="every case at a tiny size")
    args = parser.parse_args()
    small = args.smoke
    r1 = case(100 if small else 1000, 10 if small else 100, "float64", args.repeats)
    r2 = case(200 if small else 8000, 20 if small else 500, "float32", 2)
    big = BIG.replace("200, 20000", "5, 200").replace("=20000", "=200") if small else BIG
    args.big = args.big or small
    print(f"first Hebbian store, N = 1000: {r1:.2f} x numpy (target <= 1.5)")
    print(f"float32 store, N = 8000:       {r2:.2f} x numpy float32 (target <= 1.2)")
    if args.big:
        proc = subprocess.run([sys.executable, "-c", big], capture_output=True, text=True)
        print(proc.stdout.strip() or proc.stderr.strip()[-500:])
        print(f"exit status {proc.returncode} (a segfault is -11)")


if __name__ == "__main__":
    main()
