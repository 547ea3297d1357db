"""dense-hopfield asynchronous recall (a compiled sweep) against plain numpy.

The reference is written here from the law in ``DenseHopfield``'s docstring: unit
``i`` gets ``sign(sum_mu F(a_mu + x_mu,i) - F(a_mu - x_mu,i))`` with ``a_mu`` the
overlap without the unit, a tie (``|gain| <= TIE_RTOL * sum |terms|``) keeps the sign
of the state (0 becomes +1); sweep ``t`` visits ``rng.permutation(N)``, one
permutation per sweep shared by every cue still running. Polynomial terms of integer
overlaps are exact in float64 at these sizes, so the reference's ties are exact.
"""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from neuromem.models.dense import TIE_RTOL
from neuromem.models.dense_law import UpdateLaw


def _gain(x, s, i, interaction, order):
    a = x @ s - x[:, i] * s[i]
    if interaction == "exponential":
        t = x[:, i] * np.exp(a - a.max())
    else:
        f = (
            (lambda y: np.maximum(y, 0.0) ** order)
            if interaction == "rectified"
            else (lambda y: y**order)
        )
        t = f(a + x[:, i]) - f(a - x[:, i])
    return t.sum(), np.abs(t).sum()


def _reference(x, cues, interaction, order, max_steps, seed):
    """States, steps, converged and the recorded states ``(B, T + 1, N)``."""
    rng = np.random.default_rng(seed)
    s = cues.astype(np.float64)
    b, n = s.shape
    steps = np.zeros(b, dtype=np.int64)
    converged = np.zeros(b, dtype=bool)
    running = np.ones(b, dtype=bool)
    frames = [s.copy()]
    for t in range(1, max_steps + 1):
        order_t = rng.permutation(n)
        for c in np.flatnonzero(running):
            changed = False
            for i in order_t:
                gain, scale = _gain(x, s[c], i, interaction, order)
                if abs(gain) <= TIE_RTOL * scale:
                    new = -1.0 if s[c, i] < 0 else 1.0
                else:
                    new = 1.0 if gain > 0 else -1.0
                changed |= new != s[c, i]
                s[c, i] = new
            steps[c] = t
            if not changed:
                converged[c], running[c] = True, False
        frames.append(s.copy())
        if not running.any():
            break
    return s, steps, converged, np.stack(frames, axis=1)


CASES = [
    ("polynomial", 2, 40, 6),
    ("polynomial", 3, 30, 25),
    ("polynomial", 4, 16, 40),  # far beyond capacity: long runs of flips
    ("rectified", 3, 30, 20),
    ("exponential", 2, 30, 30),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("interaction, order, n, p", CASES)
def test_async_recall_matches_the_numpy_reference(interaction, order, n, p, dtype):
    rng = np.random.default_rng(n + p + order)
    x = rng.choice([-1.0, 1.0], size=(p, n))
    cues = x[:4].copy()
    cues[rng.random(cues.shape) < 0.3] *= -1
    cues[1, : n // 3] = 0.0  # a masked cue
    cues = np.concatenate([cues, rng.choice([-1.0, 1.0], size=(2, n))])
    mem = nm.create(
        "dense-hopfield", n_units=n, interaction=interaction, order=order, dtype=dtype
    )
    mem.store(x)
    res = mem.recall(cues, seed=7, max_steps=8, record="states")
    want, steps, converged, frames = _reference(x, cues, interaction, order, 8, 7)
    assert res.states.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(res.states, want)
    np.testing.assert_array_equal(res.steps, steps)
    np.testing.assert_array_equal(res.converged, converged)
    np.testing.assert_array_equal(res.trajectory["states"], frames)


@pytest.mark.parametrize("interaction", ["polynomial", "exponential"])
def test_compiled_sweep_equals_the_numpy_sweep(interaction):
    # The same sweep on the same arrays, compiled and in numpy (the path of graded cue
    # values): states, overlaps and rows agree, the rows to rounding.
    rng = np.random.default_rng(3)
    n, p = 24, 12
    x = rng.choice([-1.0, 1.0], size=(p, n))
    work = rng.choice([-1.0, 0.0, 1.0], size=(5, n))
    mem = nm.create("dense-hopfield", n_units=n, interaction=interaction, order=3)
    mem.store(x)
    law = UpdateLaw(x, interaction, 3)
    order = rng.permutation(n)
    runs = []
    for compiled in (True, False):
        w = work.copy()
        m_low, m_high = law.overlaps(w)
        z = law.rows(m_low + m_high)
        if compiled:
            changed = law.sweep(w, m_low, z, order)
        else:
            changed = mem._graded_sweep(w, m_low, m_high, z, order, law)
        runs.append((w, m_low, z, changed))
    (w1, m1, z1, c1), (w2, m2, z2, c2) = runs
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_array_equal(c1, c2)
    np.testing.assert_allclose(z1, z2, rtol=1e-13, atol=0)
    assert c1.any() and set(np.unique(w1)) <= {-1.0, 1.0}
