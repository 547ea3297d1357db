"""Hopfield store and batched synchronous recall against plain numpy, same process.

Targets (issue 2): recall of 100 cues, N = 1000, P = 100, within 1.5x of a plain-numpy
synchronous loop; storage within 1.5x of ``X.T @ X`` plus zeroing the diagonal. Prints
ratios (neuromem time / reference time); nothing is asserted.

    python benchmarks/bench_hopfield.py [--n 1000] [--patterns 100] [--cues 100]
"""

from __future__ import annotations

import argparse
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


def numpy_store(x: np.ndarray) -> np.ndarray:
    w = x.T @ x / x.shape[1]
    np.fill_diagonal(w, 0)
    return w


def numpy_store_general(post: np.ndarray, pre: np.ndarray) -> np.ndarray:
    w = post.T @ pre / pre.shape[1]
    np.fill_diagonal(w, 0)
    return w


def numpy_sync_recall(w: np.ndarray, cues: np.ndarray, max_steps: int) -> np.ndarray:
    """The same algorithm as neuromem's: a unit on a zero field keeps its state.

    (Hebbian fields are multiples of 1/N, so ties are common; breaking them towards +1
    instead makes some cues cycle until max_steps, which is a different algorithm.)
    """
    s = cues.copy()
    for _ in range(max_steps):
        h = s @ w.T
        new = np.where(h > 0, 1.0, np.where(h < 0, -1.0, s))
        if np.array_equal(new, s):
            break
        s = new
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--patterns", type=int, default=100)
    ap.add_argument("--cues", type=int, default=100)
    ap.add_argument("--noise", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument(
        "--smoke", action="store_true", help="run every code path at a tiny size"
    )
    args = ap.parse_args()
    if args.smoke:
        args.n, args.patterns, args.cues, args.repeat = 100, 5, 5, 1

    x = nm.patterns.random_bipolar(args.patterns, args.n, seed=0)
    cues = nm.patterns.flip(x[: args.cues], args.noise, seed=1)

    t_ref_store = best_of(lambda: numpy_store(x), args.repeat)
    # X.T @ X multiplies an array by itself, which numpy hands to BLAS syrk (half the
    # flops of a general product). A learning rule sees pre and post as two operands,
    # so the like-for-like reference is the general product.
    x2 = x.copy()
    t_gemm_store = best_of(lambda: numpy_store_general(x, x2), args.repeat)
    t_nm_store = best_of(
        lambda: nm.create("hopfield", n_units=args.n).store(x), args.repeat
    )

    mem = nm.create("hopfield", n_units=args.n).store(x)
    w = numpy_store(x)
    ref_states = numpy_sync_recall(w, cues, 100)
    res = mem.recall(cues)
    same = np.array_equal(ref_states, res.states)
    t_ref_recall = best_of(lambda: numpy_sync_recall(w, cues, 100), args.repeat)
    t_nm_recall = best_of(lambda: mem.recall(cues), args.repeat)

    print(
        f"Hopfield N={args.n}, P={args.patterns}, {args.cues} cues, "
        f"{args.noise:.0%} flipped, float64, best of {args.repeat}"
    )
    print(
        f"  recall sweeps: up to {res.steps.max()}, same states as reference: {same}, "
        f"mean overlap {nm.metrics.overlap(res.states, x[: args.cues]).mean():.4f}"
    )
    print(
        f"  store : neuromem {t_nm_store * 1e3:8.2f} ms   numpy {t_ref_store * 1e3:8.2f} ms"
        f"   ratio {t_nm_store / t_ref_store:5.2f}x  (target <= 1.5x)"
    )
    print(
        f"          against the general product (two operands): numpy "
        f"{t_gemm_store * 1e3:8.2f} ms   ratio {t_nm_store / t_gemm_store:5.2f}x"
    )
    print(
        f"  recall: neuromem {t_nm_recall * 1e3:8.2f} ms   numpy {t_ref_recall * 1e3:8.2f} ms"
        f"   ratio {t_nm_recall / t_ref_recall:5.2f}x  (target <= 1.5x)"
    )


if __name__ == "__main__":
    main()
