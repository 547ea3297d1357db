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


# -- overflow and NaN ----------------------------------------------------------------


@pytest.mark.parametrize("dtype, beta", [("float32", 1e37), ("float64", 1e307)])
def test_modern_beta_beyond_the_dtype_range_gives_the_nearest_pattern(dtype, beta):
    x = nm.patterns.random_bipolar(10, 50, seed=0)
    cues = nm.patterns.flip(x, 0.2, seed=1)
    mem = nm.create("modern-hopfield", n_units=50, beta=beta, dtype=dtype).store(x)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        res = mem.recall(cues, record_energy=True)
    # beta * score overflows the dtype (was: all-NaN states); the limit is the nearest
    # pattern, one-hot attention, energy log(P) / beta + 0 at a stored pattern.
    np.testing.assert_array_equal(res.states, x)
    assert res.states.dtype == np.dtype(dtype) and res.energy.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(res.info["attention"], np.eye(10))
    assert res.converged.all() and np.all(np.isfinite(res.energy))
    np.testing.assert_allclose(res.energy[-1], np.log(10) / beta, rtol=1e-6, atol=0)


def test_modern_patterns_scaled_by_1e300():
    x = nm.patterns.random_bipolar(10, 50, seed=0)
    cues = nm.patterns.flip(x, 0.2, seed=1)
    mem = nm.create("modern-hopfield", n_units=50).store(x * 1e300)
    res = mem.recall(cues * 1e300)  # scores ~ 1e601: was all-NaN
    np.testing.assert_array_equal(res.states, x * 1e300)
    assert res.converged.all()
    # At a stored pattern the three quadratic terms cancel: E = log(P) / beta.
    np.testing.assert_allclose(mem.energy(x[:3] * 1e300), np.log(10), rtol=1e-12)
    # Far from the patterns the energy (~1e601) is beyond float64: refused, named.
    with pytest.raises(nm.ValidationError, match="states"):
        mem.energy(x[:1] * 1e300 + 1e300)
    with pytest.raises(nm.ValidationError, match="cues"):
        mem.recall(cues * 1e300, record_energy=True)


def test_modern_float32_stays_float32():
    x = nm.patterns.random_bipolar(20, 40, seed=0).astype(np.float32)
    mem = nm.create("modern-hopfield", n_units=40, beta=0.5, dtype="float32").store(x)
    res = mem.recall(nm.patterns.flip(x, 0.1, seed=1), record_energy=True)
    for a in (res.states, res.energy, res.info["attention"], mem.energy(x)):
        assert a.dtype == np.float32
    ref = nm.create("modern-hopfield", n_units=40, beta=0.5).store(x)
    np.testing.assert_allclose(mem.energy(x), ref.energy(x), rtol=1e-5)


@pytest.mark.parametrize("interaction", ["polynomial", "rectified", "exponential"])
@pytest.mark.parametrize("dynamics", ["sync", "async"])
def test_dense_cues_scaled_by_1e300(interaction, dynamics):
    x = nm.patterns.random_bipolar(10, 100, seed=0)
    cues = nm.patterns.flip(x, 0.2, seed=1)
    mem = nm.create(
        "dense-hopfield", n_units=100, interaction=interaction, dynamics=dynamics, seed=0
    ).store(x)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        res = mem.recall(cues * 1e300)  # was NaN states under sync
    np.testing.assert_array_equal(res.states, x)
    assert res.converged.all()
    if interaction == "exponential":  # -logsumexp: finite at any scale
        assert np.all(np.isfinite(mem.energy(cues * 1e300)))
    else:  # (1e302)^3: beyond float64, refused and named
        with pytest.raises(nm.ValidationError, match="states"):
            mem.energy(cues * 1e300)
    with pytest.raises(nm.ValidationError, match="cues"):
        mem.recall(np.full((1, 100), 1e305))  # overlaps themselves would overflow


def test_dense_energy_at_high_order_is_summed_without_overflow():
    x = nm.patterns.random_bipolar(3, 100, seed=0)
    mem = nm.create("dense-hopfield", n_units=100, order=150).store(x)
    e = mem.energy(x)  # 100^150 = 1e300 per term; the plain sum overflowed to -inf
    ref = np.array(
        [-sum(int(v) ** 150 for v in row) for row in x.astype(int) @ x.T.astype(int)]
    )
    np.testing.assert_allclose(e, ref.astype(float), rtol=1e-12)
    with pytest.raises(nm.ValidationError, match="states"):
        nm.create("dense-hopfield", n_units=100, order=160).store(x).energy(x)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_no_nan_or_inf_for_finite_valid_input(dtype):
    rng = np.random.default_rng(0)
    n = 24
    top = 300 if dtype == "float64" else 30
    for trial in range(12):
        kx, ks = rng.integers(-top, top + 1, size=2)
        scale_x, scale_s = 10.0**kx, 10.0**ks
        beta = float(10.0 ** rng.integers(-top, top + 1))
        x = rng.standard_normal((6, n)) * scale_x
        s = rng.standard_normal((3, n)) * scale_s
        mem = nm.create("modern-hopfield", n_units=n, beta=beta, dtype=dtype).store(x)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            res = mem.recall(s, max_steps=5)
            assert np.all(np.isfinite(res.states)), trial
            assert np.all(np.isfinite(mem.attention(s))), trial
            try:
                assert np.all(np.isfinite(mem.energy(s))), trial
            except nm.ValidationError as err:  # only a genuinely huge energy
                assert err.param == "states"
                assert 2 * max(kx, ks) > np.log10(np.finfo(dtype).max) - 3
        xb = nm.patterns.random_bipolar(6, n, seed=trial)
        cue = rng.standard_normal((3, n)) * scale_s
        for interaction in ("polynomial", "rectified", "exponential"):
            for dynamics in ("sync", "async"):
                order = int(rng.integers(2, 40))
                dense = nm.create(
                    "dense-hopfield",
                    n_units=n,
                    interaction=interaction,
                    order=order,
                    dynamics=dynamics,
                    dtype=dtype,
                    seed=0,
                ).store(xb)
                with np.errstate(over="raise", invalid="raise", divide="raise"):
                    out = dense.recall(cue, max_steps=5).states
                assert set(np.unique(out)) <= {-1.0, 1.0}, (trial, interaction)
                try:
                    assert np.all(np.isfinite(dense.energy(out))), (trial, interaction)
                except nm.ValidationError as err:  # N^order beyond the dtype
                    assert err.param == "states" and interaction != "exponential"
                    assert order * np.log10(n) > np.log10(np.finfo(dtype).max) - 1
