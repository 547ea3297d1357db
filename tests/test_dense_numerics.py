"""Numerical trust for dense-hopfield and modern-hopfield: ties, high orders, overflow."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm

X4 = np.array([[1, 1, 1, 1], [1, 1, -1, -1]], dtype=float)


def _dense_reference_gain(x, s, i, order):
    """Plain-numpy gain of unit ``i`` for the polynomial interaction: exact integers."""
    a = [int(sum(x[mu, j] * s[j] for j in range(len(s)) if j != i)) for mu in range(len(x))]
    terms = [
        (a[mu] + int(x[mu, i])) ** order - (a[mu] - int(x[mu, i])) ** order
        for mu in range(len(x))
    ]
    return sum(terms)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("dynamics", ["sync", "async"])
@pytest.mark.parametrize("interaction", ["polynomial", "rectified", "exponential"])
def test_masked_cue_is_mapped_to_the_pattern_encoding(dynamics, interaction, dtype):
    mem = nm.create(
        "dense-hopfield",
        n_units=4,
        interaction=interaction,
        dynamics=dynamics,
        dtype=dtype,
        seed=0,
    ).store(X4)
    # Units 2 and 3 see an exact tie (the two patterns pull equally): a 0 state with a
    # tie becomes +1, and the result is the stored pattern [1, 1, 1, 1].
    assert _dense_reference_gain(X4, [1, 1, 0, 0], 2, 3) == 0
    res = mem.recall([[1, 1, 0, 0]], seed=1)
    np.testing.assert_array_equal(res.states, [[1, 1, 1, 1]])
    assert res.states.dtype == np.dtype(dtype)
    assert res.converged.tolist() == [True] and res.steps.tolist() == [2]
    # An all-zero cue: every unit ties at first; the +1 rule makes it [1, 1, 1, 1].
    res = mem.recall(np.zeros((1, 4)), seed=2)
    assert set(np.unique(res.states)) <= {-1.0, 1.0} and res.converged.all()


@pytest.mark.parametrize("cue", [[1, -1, 1, -1], [-1, 1, -1, -1], [1, -1, -1, 1]])
def test_a_tie_keeps_the_state_and_other_units_follow_the_exact_gain(cue):
    # Units 2 and 3 tie exactly (gain 0 in integers); units 0 and 1 have gains 16 or 64.
    gains = [_dense_reference_gain(X4, cue, i, 3) for i in range(4)]
    assert gains[2] == gains[3] == 0 and min(gains[:2]) > 0
    want = [np.sign(g) if g else c for c, g in zip(cue, gains, strict=True)]
    mem = nm.create("dense-hopfield", n_units=4, dynamics="sync").store(X4)
    res = mem.recall([cue], max_steps=1)
    np.testing.assert_array_equal(res.states[0], want)
    assert res.converged.tolist() == [False]  # units 0 and 1 changed


@pytest.mark.parametrize("order", [20, 30])
@pytest.mark.parametrize("dynamics", ["sync", "async"])
def test_high_order_with_tiny_gains_still_completes_a_corrupted_cue(order, dynamics):
    n = 100
    x = nm.patterns.random_bipolar(5, n, seed=0)
    cues = nm.patterns.flip(x, 0.35, seed=1)  # overlap 0.3: gains ~ 0.3^order << 1e-9
    np.testing.assert_allclose(nm.metrics.overlap(cues, x), 0.3)
    mem = nm.create("dense-hopfield", n_units=n, order=order, dynamics=dynamics, seed=0)
    res = mem.store(x).recall(cues)
    np.testing.assert_array_equal(res.states, x)  # the old fixed 1e-9 kept the cues
    assert res.converged.all()


@pytest.mark.parametrize("order", [60, 200])
def test_very_high_orders_do_not_overflow_or_underflow(order):
    # N^order overflows float64 at order 200 (100^200); the law is evaluated in the
    # log domain, so the gains stay exact in sign.
    n = 100
    x = nm.patterns.random_bipolar(4, n, seed=3)
    cues = nm.patterns.flip(x, 0.3, seed=4)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        mem = nm.create("dense-hopfield", n_units=n, order=order, dynamics="sync")
        res = mem.store(x).recall(cues)
    np.testing.assert_array_equal(res.states, x)
