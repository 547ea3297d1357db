"""Asynchronous recall of the classical Hopfield network: numpy and numba kernels, peer.

Issue 12 targets: one-cue async recall at N = 4000 at least 5x faster than before the
cached tolerances / columns (run this script on both commits), batched async (100 cues)
at least 3x faster per unit visit, Storkey's sequential store (kernel against the
numpy rule), and async recall at least 20x faster than the peer
``hopfieldkit`` (skipped when it is not installed). Prints times, microseconds per unit
visit (sweeps x N x cues) and ratios measured in this run; nothing is asserted.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_async.py [--repeat 5] [--quick]

The numba column needs ``pip install "neuromem[fast]"``; NEUROMEM_KERNELS selects the
path for each measurement (``numpy`` forces the reference path).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import neuromem as nm


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def with_kernels(name: str, fn):
    old = os.environ.get("NEUROMEM_KERNELS")
    os.environ["NEUROMEM_KERNELS"] = name
    try:
        return fn()
    finally:
        if old is None:
            os.environ.pop("NEUROMEM_KERNELS", None)
        else:
            os.environ["NEUROMEM_KERNELS"] = old


def numba_available() -> bool:
    try:
        from neuromem import _kernels
    except ImportError:  # an older neuromem without kernels
        return False
    return _kernels.AVAILABLE


def case(n: int, n_cues: int, repeat: int, peer: bool) -> None:
    p = max(2, int(0.05 * n))
    x = nm.patterns.random_bipolar(p, n, seed=0)
    mem = nm.create("hopfield", n_units=n, dynamics="async", seed=0).store(x)
    cues = nm.patterns.flip(x[np.arange(n_cues) % p], 0.1, seed=1)
    res = mem.recall(cues, seed=2)
    visits = int(res.steps.sum()) * n
    print(
        f"N={n}, P={p}, {n_cues} cue(s), 10% flipped, float64, seeds 0/1/2, "
        f"best of {repeat}; sweeps per cue {res.steps.min()}-{res.steps.max()}"
    )
    times = {}
    paths = ["numpy"] + (["numba"] if numba_available() else [])
    out = {}
    for path in paths:
        with_kernels(path, lambda: mem.recall(cues, seed=2))  # warm (JIT, caches)
        out[path] = with_kernels(path, lambda: mem.recall(cues, seed=2))
        times[path] = best_of(
            lambda path=path: with_kernels(path, lambda: mem.recall(cues, seed=2)), repeat
        )
    if "numba" in out:
        same = all(
            np.array_equal(getattr(out["numpy"], k), getattr(out["numba"], k))
            for k in ("states", "steps", "converged")
        )
        print(f"  numba and numpy paths identical (states, steps, converged): {same}")
    w = mem.weights_
    t_gemv = best_of(lambda: cues @ w.T, repeat)  # one field computation, for scale
    for path, t in times.items():
        print(
            f"  neuromem {path:5s}: {t * 1e3:9.2f} ms  {t / visits * 1e6:7.4f} us/visit"
            f"  = {t / t_gemv:6.2f} field products (cues @ W.T)"
        )
    if "numba" in times:
        print(f"  numba speed-up over numpy path: {times['numpy'] / times['numba']:.2f}x")
    if peer:
        try:
            import hopfieldkit
        except ImportError:
            print("  hopfieldkit: not installed (pip install hopfieldkit); skipped")
            return
        net = hopfieldkit.HopfieldNetwork(n)
        net.weights = np.array(w)  # the same weights: time recall only
        k = min(n_cues, 3)  # pure-Python loop over units: a few cues suffice
        t_peer = best_of(lambda: [net.recall(c, seed=2) for c in cues[:k]], 1) / k
        best = min(times.values()) / n_cues
        print(
            f"  hopfieldkit: {t_peer * 1e3:9.2f} ms per cue; neuromem "
            f"({min(times, key=times.get)}) is {t_peer / best:.1f}x faster per cue"
        )


def storkey(n: int, p: int, repeat: int) -> None:
    """Storkey's sequential store: the compiled kernel against the numpy rule."""
    x = nm.patterns.random_bipolar(p, n, seed=0)
    times, weights = {}, {}
    paths = ["numpy"] + (["numba"] if numba_available() else [])
    for path in paths:

        def store():
            return nm.create("hopfield", n_units=n, rule="storkey").store(x)

        weights[path] = with_kernels(path, store).weights_  # warm (JIT)
        times[path] = best_of(lambda: with_kernels(path, store), repeat)  # noqa: B023
    print(f"Storkey store N={n}, P={p}, float64, seed 0, best of {repeat}")
    for path, t in times.items():
        print(f"  neuromem {path:5s}: {t * 1e3:9.2f} ms")
    if "numba" in times:
        diff = np.abs(weights["numba"] - weights["numpy"]).max()
        print(
            f"  numba speed-up over numpy path: {times['numpy'] / times['numba']:.2f}x; "
            f"largest weight difference {diff:.1e}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="skip N = 4000 x 100 cues")
    ap.add_argument(
        "--smoke", action="store_true", help="run every code path at a tiny size"
    )
    args = ap.parse_args()
    if args.smoke:
        case(200, 1, 1, peer=True)
        case(100, 5, 1, peer=False)
        storkey(100, 5, 1)
        return
    case(4000, 1, args.repeat, peer=True)
    case(1000, 100, args.repeat, peer=True)
    if not args.quick:
        case(4000, 100, max(1, args.repeat // 2), peer=False)
    storkey(1000, 100, max(1, args.repeat // 2))


if __name__ == "__main__":
    main()
