"""Sequence memory store and recall against plain numpy, measured in the same process.

Stores a cyclic sequence of ``P`` patterns in the Hebbian sequence network and replays it
from ``B`` cues for ``T`` synchronous steps with the whole trajectory recorded, against a
plain-numpy loop (``W = X_next^T X / N``; ``s <- sign(W s)`` with ties keeping the state,
states written into a preallocated trajectory). Prints ratios (neuromem time / reference
time, best of ``--repeat``); nothing is asserted.

    python benchmarks/bench_sequence.py [--n 1000] [--patterns 200] [--cues 32] [--steps 200]
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
    xc = np.concatenate([x, x[:1]])
    return xc[1:].T @ xc[:-1] / x.shape[1]


def numpy_recall(w: np.ndarray, cues: np.ndarray, steps: int) -> np.ndarray:
    traj = np.empty((len(cues), steps + 1, cues.shape[1]))
    s = cues.copy()
    traj[:, 0] = s
    for t in range(steps):
        h = s @ w.T
        s = np.where(h > 1e-12, 1.0, np.where(h < -1e-12, -1.0, s))  # |h| <= 1e-12: a tie
        traj[:, t + 1] = s
    return traj


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--patterns", type=int, default=200)
    parser.add_argument("--cues", type=int, default=32)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a tiny size, one repeat")
    args = parser.parse_args()
    if args.smoke:
        args.n, args.patterns, args.cues, args.steps, args.repeat = 50, 5, 4, 5, 1
    n, p = args.n, args.patterns
    x = nm.patterns.random_bipolar(p, n, seed=0)
    cues = nm.patterns.flip(x[np.arange(args.cues) % p], 0.1, seed=1)

    def ours_store():
        return nm.create("sequence", n_units=n).store(x, cyclic=True)

    mem = ours_store()
    w = numpy_store(x)
    same = np.allclose(mem.transition_synapse_.weights, w, atol=1e-12)
    ref = numpy_recall(w, cues, args.steps)
    got = mem.recall(cues, n_steps=args.steps, record="states").trajectory["states"]
    t_store = best_of(ours_store, args.repeat)
    t_store_ref = best_of(lambda: numpy_store(x), args.repeat)
    t_rec = best_of(
        lambda: mem.recall(cues, n_steps=args.steps, record="states"), args.repeat
    )
    t_rec_ref = best_of(lambda: numpy_recall(w, cues, args.steps), args.repeat)
    print(f"N = {n}, P = {p}, {len(cues)} cues, {args.steps} steps")
    print(f"same weights: {same}; same trajectories: {np.array_equal(got, ref)}")
    print(
        f"store : {t_store * 1e3:8.2f} ms, numpy {t_store_ref * 1e3:8.2f} ms, "
        f"ratio {t_store / t_store_ref:.2f}"
    )
    print(
        f"recall: {t_rec * 1e3:8.2f} ms, numpy {t_rec_ref * 1e3:8.2f} ms, "
        f"ratio {t_rec / t_rec_ref:.2f}"
    )


if __name__ == "__main__":
    main()
