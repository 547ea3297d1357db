"""Critical load of 0/1 Hopfield networks (Tsodyks-Feigel'man rule), measured.

For each coding level ``a`` and seed, ``P = round(alpha N)`` random 0/1 patterns (each
unit active with probability ``a``) are stored in ``hopfield`` with ``units="binary"``
(default rule ``tsodyks-feigelman``, threshold ``"auto"``) and every pattern is
recalled from itself (synchronous dynamics, at most 50 sweeps). A pattern counts as
retrieved when its sparse overlap (``neuromem.metrics.overlap``) ends ``>= 0.95``. The
critical load ``alpha_c`` of a seed is where the retrieved fraction falls through 1/2
on the grid ``alpha = 0.05, 0.10, ...`` (linear interpolation). The table gives the
mean and the standard deviation over seeds, next to the ``a -> 0`` asymptote
``1 / (2 a ln(1/a))`` of Tsodyks & Feigel'man (1988).

Usage: python experiments/sparse_capacity.py [--n 300] [--seeds 5]
(docs/hopfield-theory.md quotes its output for N = 300 and N = 1000.)
"""

from __future__ import annotations

import argparse

import numpy as np

import neuromem as nm


def retrieved(n: int, a: float, alpha: float, seed: int) -> float:
    """Fraction of the stored patterns that stay retrieved (overlap >= 0.95)."""
    p = max(1, round(alpha * n))
    x = nm.patterns.random_sparse(p, n, coding_level=a, seed=seed)
    mem = nm.create("hopfield", n_units=n, units="binary", max_steps=50).store(x)
    return float(np.mean(nm.metrics.overlap(mem.recall(x).states, x) >= 0.95))


def critical_load(n: int, a: float, seed: int, step: float = 0.05) -> float:
    """Load at which the retrieved fraction falls through 1/2 (interpolated)."""
    alpha, before = step, retrieved(n, a, step, seed)
    if before < 0.5:
        return float("nan")  # below the grid
    while True:
        now = retrieved(n, a, alpha + step, seed)
        if now < 0.5:
            return alpha + step * (before - 0.5) / (before - now)
        alpha, before = alpha + step, now


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="number of units N")
    ap.add_argument("--seeds", type=int, default=5, help="repeats (seeds 0..S-1)")
    args = ap.parse_args(argv)
    print(f"N = {args.n}, threshold 'auto', seeds 0..{args.seeds - 1}")
    for a in (0.1, 0.05):
        caps = np.array([critical_load(args.n, a, s) for s in range(args.seeds)])
        theory = 1.0 / (2.0 * a * np.log(1.0 / a))
        print(
            f"a = {a:.2f}: alpha_c = {caps.mean():.3f} +/- {caps.std(ddof=1):.3f} "
            f"(range {caps.min():.3f}-{caps.max():.3f}; "
            f"asymptote 1/(2 a ln(1/a)) = {theory:.2f})"
        )


if __name__ == "__main__":
    main()
