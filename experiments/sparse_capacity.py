"""Critical load of 0/1 Hopfield networks at the "auto" and at the best threshold.

For each coding level ``a``, seed and load ``alpha``, ``P = round(alpha N)`` random 0/1
patterns (each unit active with probability ``a``) are stored in ``hopfield`` with
``units="binary"`` (default rule ``tsodyks-feigelman``) and every pattern is recalled
by synchronous dynamics (at most 50 sweeps) from two cues: the pattern itself
("clean") and the pattern with a fraction ``--noise`` of its units flipped, drawn
afresh per repeat ("corrupted"). A pattern counts as retrieved when its sparse overlap
(``neuromem.metrics.overlap``) ends ``>= 0.95``.

Three thresholds are compared at every load:

- ``auto``: the model's ``threshold="auto"`` (chosen for retrieval, see
  ``neuromem.sparse_threshold``);
- ``fewest-errors``: the threshold with the fewest one-step errors on the stored
  patterns (``neuromem.sparse_threshold.fewest_errors``; "auto" before it was chosen for
  retrieval, and where its scan starts);
- ``best``: the best of a scan of ``--grid`` thresholds, evenly spaced over
  ``theta_auto +/- 0.5 d`` (``d``: mean field of the active units minus that of the
  silent ones), chosen separately for each cue type, load and seed (an oracle: it sees
  the score it maximises).

The critical load of a seed is where the retrieved fraction falls through 1/2 on the
grid ``alpha = start, start + step, ...`` (linear interpolation). The table gives the mean and
the standard deviation over the seeds, next to the ``a -> 0`` asymptote
``1 / (2 a ln(1/a))`` of Tsodyks & Feigel'man (1988).

Usage: python experiments/sparse_capacity.py [--n 500] [--a 0.05 0.1] [--seeds 5]
[--repeats 1] [--noise 0.02] [--grid 11] [--step 0.05] [--start 0.3]
(docs/hopfield-theory.md quotes its output.)
"""

from __future__ import annotations

import argparse

import numpy as np

import neuromem as nm
from neuromem.sparse_threshold import fewest_errors

RETRIEVED = 0.95
CUES = ("clean", "corrupted")


def fractions(n, a, alpha, seed, repeats, noise, grid):
    """Retrieved fractions ``{(threshold, cue): f}`` at one load and seed."""
    p = max(1, round(alpha * n))
    x = nm.patterns.random_sparse(p, n, coding_level=a, seed=seed)
    mem = nm.create("hopfield", n_units=n, units="binary", max_steps=50).store(x)
    auto = mem.threshold_
    h = x @ np.asarray(mem.weights_).T
    gap = h[x > 0.5].mean() - h[x < 0.5].mean()
    cues = [x] + [
        nm.patterns.flip(x, noise, seed=1000 * seed + r + 1) for r in range(repeats)
    ]
    batch = np.concatenate(cues)

    def score(theta):
        mem.set_threshold(float(theta))
        ok = nm.metrics.overlap(mem.recall(batch).states, np.tile(x, (len(cues), 1)))
        ok = ok >= RETRIEVED
        return ok[:p].mean(), ok[p:].mean()

    out = dict(zip([("auto", c) for c in CUES], score(auto), strict=True))
    start = fewest_errors(h[x > 0.5], h[x < 0.5])  # the former "auto"
    out.update(zip([("fewest-errors", c) for c in CUES], score(start), strict=True))
    scan = np.array([score(t) for t in auto + gap * np.linspace(-0.5, 0.5, grid)])
    for k, c in enumerate(CUES):
        out[("best", c)] = max(
            scan[:, k].max(), out[("auto", c)], out[("fewest-errors", c)]
        )
    return out


def critical_loads(n, a, seed, repeats, noise, grid, step, start, top=4.0):
    """Load at which each retrieved fraction falls through 1/2 (interpolated)."""
    alpha, before = start, fractions(n, a, start, seed, repeats, noise, grid)
    # NaN: below the load grid (already under 1/2 at the first load) or beyond ``top``.
    caps = {k: np.nan for k in before}
    running = {k for k in before if before[k] >= 0.5}
    while running and alpha < top:
        now = fractions(n, a, alpha + step, seed, repeats, noise, grid)
        for k in list(running):
            if now[k] < 0.5:
                caps[k] = alpha + step * (before[k] - 0.5) / (before[k] - now[k])
                running.discard(k)
        alpha, before = alpha + step, now
    return caps


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500, help="number of units N")
    ap.add_argument("--a", type=float, nargs="+", default=[0.05, 0.1], help="coding levels")
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0..S-1")
    ap.add_argument("--repeats", type=int, default=1, help="corrupted cues per pattern")
    ap.add_argument("--noise", type=float, default=0.02, help="fraction of units flipped")
    ap.add_argument("--grid", type=int, default=11, help="thresholds scanned for 'best'")
    ap.add_argument("--step", type=float, default=0.05, help="load grid step")
    ap.add_argument("--start", type=float, default=0.3, help="first load of the grid")
    args = ap.parse_args(argv)
    print(
        f"N = {args.n}, seeds 0..{args.seeds - 1}, {args.repeats} corrupted cue(s) per "
        f"pattern (flip {args.noise}), best of {args.grid} thresholds, load step "
        f"{args.step} from {args.start}; alpha_c mean +/- sd over seeds"
    )
    for a in args.a:
        rows = [
            critical_loads(
                args.n, a, s, args.repeats, args.noise, args.grid, args.step, args.start
            )
            for s in range(args.seeds)
        ]
        theory = 1.0 / (2.0 * a * np.log(1.0 / a))
        for key in rows[0]:
            caps = np.array([r[key] for r in rows])
            sd = caps.std(ddof=1) if len(caps) > 1 else 0.0
            print(
                f"a = {a:.2f} {key[0]:>13} threshold, {key[1]:>9} cues: "
                f"alpha_c = {caps.mean():.3f} +/- {sd:.3f} "
                f"(asymptote 1/(2 a ln(1/a)) = {theory:.2f})"
            )


if __name__ == "__main__":
    main()
