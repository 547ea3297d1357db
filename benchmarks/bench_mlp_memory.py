"""The MLP as a memory in a sweep: storing 40 random patterns at N = 400 (issue 12 §4).

The capacity sweep's MLP trial at load 0.1: ``nm.create("mlp", n_units=400, seed=s)``
storing 40 random +/-1 patterns. Prints, for the defaults of this version and for the
previous defaults (squared error on tanh outputs, all 100 epochs: ``loss="mse",
early_stopping=False``), measured in this run:

- the store time (best of ``--repeats``, interleaved), and its ratio to the previous
  defaults;
- the recall quality: the fraction of patterns recalled exactly from themselves, and
  the mean overlap from cues with 10% and 25% of their units flipped;

over ``--seeds`` seeds (model and patterns). Target: <= 150 ms with the same recall.
Also prints the float32 store time.

``--threads 1`` limits BLAS to one thread (threadpoolctl): on a machine shared with
other work, two OpenBLAS threads that spin-wait for each other can make these small
products many times slower, and one thread gives the undisturbed time.

Run: ``python benchmarks/bench_mlp_memory.py [--repeats 3] [--seeds 3] [--threads 1]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import neuromem as nm

N, P = 400, 40
CONFIGS = {
    "defaults": {},
    "defaults float32": {"dtype": "float32"},
    "previous defaults": {"loss": "mse", "early_stopping": False},
}


def quality(mem, x, seed):
    exact = float(np.mean((mem.recall(x).states == x).all(axis=1)))
    m10 = nm.metrics.overlap(mem.recall(nm.patterns.flip(x, 0.1, seed=seed)).states, x)
    m25 = nm.metrics.overlap(mem.recall(nm.patterns.flip(x, 0.25, seed=seed)).states, x)
    return exact, float(m10.mean()), float(m25.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--smoke", action="store_true", help="a tiny size, one repeat")
    args = parser.parse_args()
    if args.smoke:
        global N, P
        N, P, args.repeats, args.seeds = 32, 4, 1, 1
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        print(f"BLAS limited to {args.threads} thread(s)")
    times = {k: [] for k in CONFIGS}
    quals = {k: [] for k in CONFIGS}
    epochs = {k: [] for k in CONFIGS}
    for seed in range(args.seeds):
        x = nm.patterns.random_bipolar(P, N, seed=100 + seed)
        best = dict.fromkeys(CONFIGS, np.inf)
        for _ in range(args.repeats):
            for name, opts in CONFIGS.items():
                t = time.perf_counter()
                mem = nm.create("mlp", n_units=N, seed=seed, **opts).store(x)
                best[name] = min(best[name], time.perf_counter() - t)
        for name, opts in CONFIGS.items():
            mem = nm.create("mlp", n_units=N, seed=seed, **opts).store(x)
            times[name].append(best[name])
            quals[name].append(quality(mem, x.astype(mem.dtype), seed + 1))
            epochs[name].append(mem.n_iter_)
    print(
        f"MLP memory task: N = {N}, P = {P}, seeds 0..{args.seeds - 1}, best of "
        f"{args.repeats} per seed"
    )
    print(
        f"{'':18s} {'store ms':>9s} {'epochs':>7s} {'exact':>6s} {'m(10%)':>7s} "
        f"{'m(25%)':>7s}"
    )
    for name in CONFIGS:
        q = np.mean(quals[name], axis=0)
        print(
            f"{name:18s} {1e3 * np.median(times[name]):9.1f} {np.mean(epochs[name]):7.1f} "
            f"{q[0]:6.3f} {q[1]:7.4f} {q[2]:7.4f}"
        )
    ratio = np.median(times["defaults"]) / np.median(times["previous defaults"])
    print(f"defaults / previous defaults: {ratio:.2f} (median store time over seeds)")
    print(f"target: defaults <= 150 ms: {1e3 * np.median(times['defaults']):.0f} ms")


if __name__ == "__main__":
    main()
