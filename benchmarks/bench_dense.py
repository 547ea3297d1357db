"""dense-hopfield recall against the previous implementation and plain numpy, same process.

Target (issue 12 section 3): recall at least 5x faster than the previous
implementation, with no compiled code. The previous implementation (a Python loop over
units building (cues x patterns) temporaries for asynchronous updates; a
(cues x patterns x units) broadcast with two powers per element for synchronous ones)
is copied below as ``previous_*``; ``numpy_*`` are plain-numpy versions of the same
law a user would write (incremental overlaps, one unit at a time; one broadcast for
all units). Prints best-of-``repeat`` times and ratios (reference / neuromem); nothing
is asserted. The patterns are random +/-1 (seed 0), the cues flipped copies (seed 1).

Issue 18: asynchronous sweeps are now compiled (numba). The last table times one
sweep of every cue compiled against the numpy sweep that every sweep took before (it
remains the path of graded cue values), on the same arrays and order.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_dense.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import neuromem as nm
from neuromem.models.dense_law import UpdateLaw

# -- the previous implementation, copied (polynomial interaction) ---------------------


def _previous_gain(plus, minus, axis, order, n_units):
    scale = 1.0 / n_units
    p, m = plus * scale, minus * scale
    return (p**order - m**order).sum(axis=axis)


def _sign_keep(h, current, tol):
    new = np.sign(h)
    new[np.abs(h) <= tol] = 0
    ties = new == 0
    new[ties] = current[ties]
    return new


def previous_sync(x, cues, order, max_steps):
    p, n = x.shape
    s = cues.copy()
    out = s.copy()
    active = np.arange(len(s))
    before = None
    block = max(1, (1 << 22) // (p * n))
    for _ in range(max_steps):
        h = np.empty_like(s)
        for start in range(0, len(s), block):
            sb = s[start : start + block]
            m = sb @ x.T
            a = m[:, :, None] - x[None, :, :] * sb[:, None, :]
            h[start : start + block] = _previous_gain(a + x[None], a - x[None], 1, order, n)
        new = _sign_keep(h, s, 1e-9)
        fixed = (new == s).all(axis=1)
        done = fixed if before is None else fixed | (new == before).all(axis=1)
        out[active[done]] = new[done]
        active, before, s = active[~done], s[~done], new[~done]
        if not len(s):
            break
    out[active] = s
    return out


def previous_async(x, cues, order, max_steps, rng):
    n = x.shape[1]
    xt = np.ascontiguousarray(x.T)
    out = cues.copy()
    work = cues.copy()
    active = np.arange(len(work))
    m = work @ x.T
    for _ in range(max_steps):
        changed = np.zeros(len(work), dtype=bool)
        for i in rng.permutation(n):
            xi = xt[i]
            a = m - xi[None, :] * work[:, i : i + 1]
            g = _previous_gain(a + xi, a - xi, 1, order, n)
            new = _sign_keep(g, work[:, i], 1e-9)
            flip = new != work[:, i]
            if flip.any():
                idx = np.flatnonzero(flip)
                m[idx] += (new[idx] - work[idx, i])[:, None] * xi[None, :]
                work[idx, i] = new[idx]
                changed[idx] = True
        done = ~changed
        out[active[done]] = work[done]
        active, work, m = active[~done], work[~done], m[~done]
        if not len(work):
            break
    out[active] = work
    return out


# -- plain numpy ------------------------------------------------------------------


def numpy_sync(x, cues, order, max_steps):
    """All units at once: one (cues x patterns x units) broadcast per sweep."""
    s = cues.copy()
    for _ in range(max_steps):
        a = (s @ x.T)[:, :, None] - x[None] * s[:, None, :]
        g = ((a + x[None]) ** order - (a - x[None]) ** order).sum(axis=1)
        new = np.where(g > 0, 1.0, np.where(g < 0, -1.0, s))
        if np.array_equal(new, s):
            break
        s = new
    return s


def numpy_async(x, cues, order, max_steps, rng):
    """One unit at a time with incrementally updated overlaps ``m = X s``."""
    s = cues.copy()
    m = s @ x.T
    for _ in range(max_steps):
        changed = False
        for i in rng.permutation(x.shape[1]):
            a = m - x[:, i] * s[:, i : i + 1]
            g = ((a + x[:, i]) ** order - (a - x[:, i]) ** order).sum(axis=1)
            new = np.where(g > 0, 1.0, np.where(g < 0, -1.0, s[:, i]))
            d = new - s[:, i]
            if d.any():
                m += d[:, None] * x[:, i]
                s[:, i] = new
                changed = True
        if not changed:
            break
    return s


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


CASES = [  # (N, P, fraction of flipped units): capacity-sweep recall and noisy cues
    (400, 80, 0.0),
    (400, 80, 0.1),
    (200, 60, 0.15),
]


SWEEP_CASES = [(200, 40, 0.2), (400, 60, 0.2), (400, 200, 0.3), (1000, 100, 0.2)]


def run_case(n, p, noise, dynamics, order, repeat):
    steps = 100
    x = nm.patterns.random_bipolar(p, n, seed=0)
    cues = nm.patterns.flip(x, noise, seed=1) if noise else x.copy()
    mem = nm.create("dense-hopfield", n_units=n, order=order, dynamics=dynamics)
    mem.store(x)

    def ours():
        return mem.recall(cues, seed=3).states

    if dynamics == "sync":

        def prev():
            return previous_sync(x, cues, order, steps)

        def plain():
            return numpy_sync(x, cues, order, steps)
    else:

        def prev():
            return previous_async(x, cues, order, steps, np.random.default_rng(3))

        def plain():
            return numpy_async(x, cues, order, steps, np.random.default_rng(3))

    same = np.array_equal(ours(), prev()) and np.array_equal(ours(), plain())
    return best_of(ours, repeat), best_of(prev, repeat), best_of(plain, repeat), same


def sweep_case(n, p, noise, order, repeat):
    """One asynchronous sweep of every cue: the compiled sweep against the numpy
    sweep (the path of graded cue values, and of every sweep before it was compiled),
    on the same arrays and order; returns both times and whether the states agree."""
    x = nm.patterns.random_bipolar(p, n, seed=0)
    cues = nm.patterns.flip(x, noise, seed=1)
    mem = nm.create("dense-hopfield", n_units=n, order=order)
    mem.store(x)
    law = UpdateLaw(x, "polynomial", order)
    sequence = np.random.default_rng(3).permutation(n)
    states = {}

    def sweep(compiled):
        def run():
            w = cues.copy()
            m_low, m_high = law.overlaps(w)
            z = law.rows(m_low + m_high)
            if compiled:
                law.sweep(w, m_low, z, sequence)
            else:
                mem._graded_sweep(w, m_low, m_high, z, sequence, law)
            states[compiled] = w

        return run

    sweep(True)()  # compiled (or loaded from numba's cache) outside the timing
    t_fast, t_numpy = best_of(sweep(True), repeat), best_of(sweep(False), repeat)
    return t_fast, t_numpy, np.array_equal(states[True], states[False])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--smoke", action="store_true", help="run every code path at a tiny size"
    )
    args = ap.parse_args()
    cases = [(40, 6, 0.1)] if args.smoke else CASES
    args.repeat = 1 if args.smoke else args.repeat
    order = 3
    print(f"order {order}, polynomial; cues = all P patterns; best of {args.repeat}")
    print(
        f"{'N':>5} {'P':>4} {'noise':>5} {'dynamics':>8} {'neuromem':>10} "
        f"{'previous':>10} {'ratio':>6} {'numpy':>10} {'ratio':>6} same"
    )
    for n, p, noise in cases:
        for dyn in ("async", "sync"):
            t_ours, t_prev, t_plain, same = run_case(n, p, noise, dyn, order, args.repeat)
            print(
                f"{n:>5} {p:>4} {noise:>5} {dyn:>8} {t_ours * 1e3:>8.1f}ms "
                f"{t_prev * 1e3:>8.1f}ms {t_prev / t_ours:>6.1f} {t_plain * 1e3:>8.1f}ms "
                f"{t_plain / t_ours:>6.1f} {same}"
            )
    print("\none asynchronous sweep of every cue (all P patterns, flipped)")
    print(
        f"{'N':>5} {'P':>4} {'noise':>5} {'compiled':>10} {'numpy':>10} {'ratio':>6} same"
    )
    sweeps = [(40, 6, 0.1)] if args.smoke else SWEEP_CASES
    for n, p, noise in sweeps:
        t_fast, t_numpy, same = sweep_case(n, p, noise, order, args.repeat)
        print(
            f"{n:>5} {p:>4} {noise:>5} {t_fast * 1e3:>8.1f}ms {t_numpy * 1e3:>8.1f}ms "
            f"{t_numpy / t_fast:>6.1f} {same}"
        )


if __name__ == "__main__":
    main()
