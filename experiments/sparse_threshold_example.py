"""Issue 19's example of the 0/1 threshold: the fewest-errors threshold against "auto".

``a = 0.05``, ``N = 2000``, ``alpha = 0.9`` (1800 random 0/1 patterns, seed 0, default
rule); the first 100 stored patterns are recalled from themselves by synchronous
dynamics (at most 50 sweeps), and a pattern counts as retrieved when its sparse
overlap ends above 0.9. Printed: the retrieved fraction at "auto", at the fewest-errors
threshold (its start) and on a coarse scan ``theta_auto + g d``, ``g = -0.3 ... 0.3``.

Usage: python experiments/sparse_threshold_example.py  (about 2 minutes on one core;
docs/hopfield-theory.md quotes its output)
"""

from __future__ import annotations

import numpy as np

import neuromem as nm
from neuromem.sparse_threshold import fewest_errors


def main() -> None:
    n, a = 2000, 0.05
    x = nm.patterns.random_sparse(round(0.9 * n), n, coding_level=a, seed=0)
    mem = nm.create("hopfield", n_units=n, units="binary", max_steps=50).store(x)
    auto = mem.threshold_
    h = x @ np.asarray(mem.weights_).T
    start = fewest_errors(h[x > 0.5], h[x < 0.5])
    gap = h[x > 0.5].mean() - h[x < 0.5].mean()
    cues = x[:100]

    def retrieved(theta: float) -> float:
        mem.set_threshold(float(theta))
        m = nm.metrics.overlap(mem.recall(cues).states, cues)
        return float(np.mean(m > 0.9))

    print(f"auto {auto:.4f}: {retrieved(auto):.2f} retrieved")
    print(f"fewest errors {start:.4f}: {retrieved(start):.2f} retrieved")
    for g in np.linspace(-0.3, 0.3, 7):
        print(f"theta {auto + g * gap:.4f}: {retrieved(auto + g * gap):.2f} retrieved")


if __name__ == "__main__":
    main()
