"""Speed of one presentation of a local rule, against plain numpy in the same run.

Targets (issue 4): on an N = 2000 dense synapse, within 2x of the plain numpy
outer-product update ``W += eta * np.outer(post, pre)``; on a sparse synapse with 1%
connectivity, faster than that dense update.

Run: ``python benchmarks/bench_hebbian.py [N]``. Prints the median time of each update
and its ratio to the numpy reference.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import neuromem as nm
from neuromem import Population, Synapse


def median_time(fn, repeat: int = 30) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main(n: int = 2000) -> None:
    gen = np.random.default_rng(0)
    eta = 1.0 / n
    x = np.where(gen.random(n) < 0.5, 1.0, -1.0)
    y = np.tanh(gen.standard_normal(n))
    w_ref = np.zeros((n, n))

    def numpy_update():
        w_ref.__iadd__(eta * np.outer(y, x))

    def numpy_oja():
        w_ref.__iadd__(eta * (np.outer(y, x) - (y * y)[:, None] * w_ref))

    ref = median_time(numpy_update)
    ref_oja = median_time(numpy_oja)
    print(f"N = {n}: numpy W += eta * outer(post, pre): {ref * 1e3:.2f} ms")
    print(
        f"        numpy Oja W += eta * (outer(post, pre) - post**2 W): "
        f"{ref_oja * 1e3:.2f} ms = {ref_oja / ref:.2f} x"
    )

    topo_sparse = nm.topology.erdos_renyi(n, 0.01, directed=True, seed=1)
    for name in ("hebbian", "anti-hebbian", "oja", "bcm", "covariance"):
        rows = []
        for label, topology, sparse in (
            ("dense", None, False),
            ("sparse 1%", topo_sparse, True),
        ):
            pop = Population(n)
            options = {"center": 0.0} if name == "covariance" else {}
            rule = nm.create_rule(name, learning_rate=eta, **options)
            syn = Synapse(pop, pop, topology=topology, sparse=sparse, rule=rule)
            t = median_time(lambda syn=syn: syn.learn(x, y))
            rows.append(f"{label} {t * 1e3:7.2f} ms = {t / ref:5.2f} x numpy")
        print(f"  {name:13s}", " | ".join(rows))
    print("target: dense <= 2 x numpy; sparse 1% < 1 x numpy")


if __name__ == "__main__":
    # python benchmarks/bench_hebbian.py [N | --smoke]  (--smoke: N = 100)
    arg = sys.argv[1] if len(sys.argv) > 1 else "2000"
    main(100 if arg == "--smoke" else int(arg))
