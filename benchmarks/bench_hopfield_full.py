"""Speed of the Hopfield side against plain-numpy references measured in the same run.

Run: ``python benchmarks/bench_hopfield_full.py [--quick]``. Prints ratios; asserts
nothing (tests never assert wall-clock times).

1. Batched synchronous recall, N = 4000, 256 cues, float32: neuromem's throughput
   relative to the same synchronous loop in plain numpy (target >= 0.7x).
2. Storkey storage of P = 100 patterns at N = 1000: time (target < 1 s) and ratio to a
   plain-numpy vectorised Storkey (target within 2x).
3. Installable peers (``hopfieldnetwork``, ``hopfieldkit``): skipped with a message when
   they are not installed.
"""

from __future__ import annotations

import importlib.util
import sys
import time

import numpy as np

import neuromem as nm


def best_of(fn, repeat=3):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def numpy_sync(w, cues, max_steps):
    """Plain synchronous loop: s <- sign(s W^T) until no cue changes."""
    s = cues.copy()
    for t in range(1, max_steps + 1):
        new = np.sign(s @ w.T)
        new[new == 0] = s[new == 0]
        if np.array_equal(new, s):
            return new, t
        s = new
    return s, max_steps


def numpy_storkey(x):
    """Plain-numpy vectorised Storkey rule (zero diagonal), one pattern at a time."""
    n = x.shape[1]
    w = np.zeros((n, n))
    for xi in x:
        h = w @ xi
        hij = h[:, None] - w * xi[None, :]  # h_ij = sum_{k != i, j} w_ik xi_k
        w += (np.outer(xi, xi) - xi[:, None] * hij.T - hij * xi[None, :]) / n
        np.fill_diagonal(w, 0.0)
    return w


def bench_recall(n, n_cues, n_patterns):
    x = nm.patterns.random_bipolar(n_patterns, n, seed=0).astype(np.float32)
    cues = nm.patterns.flip(x[np.arange(n_cues) % n_patterns], 0.1, seed=1).astype(
        np.float32
    )
    mem = nm.create("hopfield", n_units=n, dtype="float32").store(x)
    w = np.asarray(mem.weights_)
    t_nm, res = best_of(lambda: mem.recall(cues))
    t_np, (ref, sweeps) = best_of(lambda: numpy_sync(w, cues, 100))
    same = np.array_equal(res.states, ref)
    print(
        f"sync recall N={n}, {n_cues} cues, float32: neuromem {t_nm * 1e3:.1f} ms "
        f"({int(res.steps.max())} sweeps), plain numpy {t_np * 1e3:.1f} ms "
        f"({sweeps} sweeps); throughput ratio {t_np / t_nm:.2f}x (target >= 0.7); "
        f"identical states: {same}"
    )


def bench_storkey(n, p):
    x = nm.patterns.random_bipolar(p, n, seed=0)

    def ours():
        return nm.create("hopfield", n_units=n, rule="storkey").store(x).weights_

    t_nm, w_nm = best_of(ours)
    t_np, w_np = best_of(lambda: numpy_storkey(x))
    err = float(np.abs(w_nm - w_np).max())
    print(
        f"Storkey storage P={p}, N={n}: neuromem {t_nm:.3f} s (target < 1 s), "
        f"plain numpy {t_np:.3f} s; neuromem / numpy time {t_nm / t_np:.2f} "
        f"(target <= 2); max weight difference {err:.1e}"
    )


def _peer_hopfieldnetwork(x, cues):
    from hopfieldnetwork import HopfieldNetwork

    net = HopfieldNetwork(N=x.shape[1])
    for xi in x:  # its API stores one pattern per call
        net.train_pattern(xi)
    out = []
    for c in cues:  # and recalls one cue per call
        net.set_initial_neurons_state(c.astype(np.int8).copy())
        net.update_neurons(1, "sync", run_max=True)
        out.append(np.asarray(net.S, dtype=float))
    return np.stack(out)


def _peer_hopfieldkit(x, cues):
    from hopfieldkit import HopfieldNetwork

    net = HopfieldNetwork(x.shape[1]).fit(x)
    return np.stack([net.recall(c, order="random", seed=i) for i, c in enumerate(cues)])


def bench_peers(n=1000, p=100, n_cues=100):
    x = nm.patterns.random_bipolar(p, n, seed=0)
    cues = nm.patterns.flip(x[:n_cues], 0.1, seed=1)

    def ours(dynamics):
        mem = nm.create("hopfield", n_units=n, dynamics=dynamics, seed=0).store(x)
        return mem.recall(cues).states

    peers = {
        "hopfieldnetwork": ("sync", _peer_hopfieldnetwork),
        "hopfieldkit": ("async", _peer_hopfieldkit),
    }
    for peer, (dynamics, run) in peers.items():
        if importlib.util.find_spec(peer) is None:
            print(f"peer {peer!r}: not installed, skipped")
            continue
        t_nm, s_nm = best_of(lambda d=dynamics: ours(d))
        t_peer, s_peer = best_of(lambda r=run: r(x, cues), repeat=1)
        acc_nm = nm.metrics.recall_accuracy(s_nm, x[:n_cues], threshold=1.0)
        acc_peer = nm.metrics.recall_accuracy(s_peer, x[:n_cues], threshold=1.0)
        print(
            f"vs {peer} (store + recall, N={n}, P={p}, {n_cues} cues, {dynamics}): "
            f"neuromem {t_nm:.3f} s, {peer} {t_peer:.3f} s, speed-up "
            f"{t_peer / t_nm:.1f}x (target >= 20); exact recall {acc_nm:.2f} vs "
            f"{acc_peer:.2f}"
        )


def main(argv):
    if "--smoke" in argv:  # every code path at a tiny size
        bench_recall(100, 8, 5)
        bench_storkey(60, 5)
        bench_peers(100, 5, 5)
        return
    quick = "--quick" in argv
    n = 1000 if quick else 4000
    bench_recall(n, 256, n // 20)
    bench_storkey(500 if quick else 1000, 50 if quick else 100)
    bench_peers()


if __name__ == "__main__":
    main(sys.argv[1:])
