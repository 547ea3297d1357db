"""Dense (Krotov-Hopfield) and modern (Ramsauer et al.) Hopfield networks."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from neuromem.testing import check_memory


@pytest.mark.parametrize(
    "name, options",
    [
        ("dense-hopfield", {}),
        ("dense-hopfield", {"interaction": "rectified", "dynamics": "sync"}),
        ("dense-hopfield", {"interaction": "exponential"}),
        ("modern-hopfield", {}),
    ],
    ids=lambda v: str(v),
)
def test_models_conform(name, options):
    x = nm.patterns.random_bipolar(10, 100, seed=0)
    cues = nm.patterns.flip(x, 0.2, seed=3)
    check_memory(nm.create(name, n_units=100, seed=1, **options), x, cues=cues)


def test_modern_accepts_real_patterns():
    x = np.random.default_rng(0).standard_normal((6, 32))
    check_memory(nm.create("modern-hopfield", n_units=32, beta=2.0, seed=0), x)


@pytest.mark.parametrize("name", ["hopfield", "dense-hopfield", "modern-hopfield"])
def test_every_model_is_constructible_with_defaults(name):
    n = 120
    x = nm.patterns.random_bipolar(6, n, seed=1)
    mem = nm.create(name, n_units=n, seed=2).store(x)
    states = mem.recall(nm.patterns.flip(x, 0.1, seed=3)).states
    assert nm.metrics.overlap(states, x).min() > 0.99


@pytest.mark.parametrize("dynamics", ["async", "sync"])
def test_dense_polynomial_order_3_stores_far_beyond_014_n(dynamics):
    n, p = 200, 60  # alpha = 0.3, twice the Hebbian capacity
    x = nm.patterns.random_bipolar(p, n, seed=0)
    cues = nm.patterns.flip(x, 0.15, seed=1)
    mem = nm.create("dense-hopfield", n_units=n, order=3, dynamics=dynamics, seed=0)
    acc = nm.metrics.recall_accuracy(mem.store(x).recall(cues).states, x, threshold=1.0)
    assert acc == 1.0  # measured 1.0; Hebbian storage of the same set: 0.0
    hebb = nm.create("hopfield", n_units=n).store(x).recall(cues).states
    assert nm.metrics.recall_accuracy(hebb, x, threshold=1.0) < 0.1


def test_dense_exponential_stores_more_patterns_than_units():
    n, p = 200, 400  # alpha = 2
    x = nm.patterns.random_bipolar(p, n, seed=0)
    cues = nm.patterns.flip(x[:60], 0.2, seed=1)
    mem = nm.create("dense-hopfield", n_units=n, interaction="exponential", seed=0)
    states = mem.store(x).recall(cues).states
    assert nm.metrics.recall_accuracy(states, x[:60], threshold=1.0) == 1.0


def test_dense_order_2_is_the_classical_network():
    # F(x) = x^2 gives the Hebbian field (up to the self-coupling, which cancels).
    n = 100
    x = nm.patterns.random_bipolar(20, n, seed=5)
    cues = nm.patterns.flip(x, 0.2, seed=6)
    dense = nm.create("dense-hopfield", n_units=n, order=2, dynamics="sync").store(x)
    hebb = nm.create("hopfield", n_units=n).store(x)
    np.testing.assert_array_equal(
        dense.recall(cues, max_steps=1).states, hebb.recall(cues, max_steps=1).states
    )


def test_dense_exponential_does_not_overflow_at_n_1000():
    n = 1000
    x = nm.patterns.random_bipolar(50, n, seed=0)
    cues = nm.patterns.flip(x[:10], 0.3, seed=1)
    mem = nm.create("dense-hopfield", n_units=n, interaction="exponential", seed=0)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        res = mem.store(x).recall(cues, dynamics="sync", record_energy=True)
        assert np.all(np.isfinite(mem.energy(x)))
    np.testing.assert_array_equal(res.states, x[:10])
    assert np.all(np.isfinite(res.energy))
    # A naive sum of exponentials would overflow: exp(1000) is inf in float64.
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(x @ x[0])).any()


def test_dense_async_energy_never_rises():
    n = 100
    x = nm.patterns.random_bipolar(40, n, seed=2)
    starts = nm.patterns.random_bipolar(20, n, seed=3)
    for interaction in ("polynomial", "rectified", "exponential"):
        mem = nm.create("dense-hopfield", n_units=n, interaction=interaction, seed=0)
        trace = mem.store(x).recall(starts, record_energy=True).energy
        scale = np.abs(trace).max()
        assert np.all(np.diff(trace, axis=0) <= 1e-9 * scale), interaction


def test_modern_retrieves_in_one_update_at_p_5n():
    n, p = 100, 500
    x = nm.patterns.random_bipolar(p, n, seed=2)
    cues = nm.patterns.flip(x, 0.1, seed=3)
    mem = nm.create("modern-hopfield", n_units=n).store(x)
    one = mem.recall(cues, max_steps=1)
    assert np.abs(one.states - x).max() < 1e-9  # measured 4e-16
    full = mem.recall(cues)
    assert np.all(full.converged) and np.all(full.steps == 2)  # update + confirmation


def test_modern_small_beta_gives_metastable_averages():
    n = 100
    x = nm.patterns.random_bipolar(50, n, seed=2)
    cues = nm.patterns.flip(x[:10], 0.1, seed=3)
    mem = nm.create("modern-hopfield", n_units=n).store(x)
    # beta -> 0: every pattern weighs the same; the fixed point is their mean.
    res = mem.recall(cues, beta=1e-4)
    np.testing.assert_allclose(res.states, np.tile(x.mean(0), (10, 1)), atol=1e-3)
    assert np.abs(nm.metrics.overlap(res.states, x[:10])).max() < 0.05
    # A cluster of similar patterns: moderate beta averages the cluster, not one member.
    base = nm.patterns.random_bipolar(1, n, seed=5)
    cluster = nm.patterns.flip(np.repeat(base, 5, axis=0), 0.05, seed=6)
    xc = np.concatenate([cluster, nm.patterns.random_bipolar(20, n, seed=7)])
    mc = nm.create("modern-hopfield", n_units=n, beta=0.05).store(xc)
    res = mc.recall(cluster[:1])
    weights = res.info["attention"][0]
    assert np.all((weights[:5] > 0.15) & (weights[:5] < 0.25))  # measured 0.17-0.19
    assert weights[5:].sum() < 0.1
    np.testing.assert_allclose(res.states[0], weights @ xc, atol=1e-5)
    assert nm.metrics.overlap(res.states, cluster[:1])[0] < 0.9


def test_modern_energy_decreases_and_large_beta_is_stable():
    n = 64
    x = np.random.default_rng(1).standard_normal((30, n))
    starts = np.random.default_rng(2).standard_normal((8, n))
    mem = nm.create("modern-hopfield", n_units=n, beta=0.3).store(x)
    trace = mem.recall(starts, record_energy=True).energy
    assert np.all(np.diff(trace, axis=0) <= 1e-9)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        res = mem.recall(starts, beta=1e6, record_energy=True)
    assert np.all(np.isfinite(res.states)) and np.all(np.isfinite(res.energy))
    nearest = np.argmax(starts @ x.T, axis=1)
    np.testing.assert_allclose(res.states, x[nearest], atol=1e-9)


def _raises(param, fn):
    with pytest.raises(nm.ValidationError) as info:
        fn()
    assert param in str(info.value)


def test_bad_input():
    x = nm.patterns.random_bipolar(5, 30, seed=0)
    _raises("beta", lambda: nm.create("modern-hopfield", n_units=30, beta=0.0))
    _raises("beta", lambda: nm.create("modern-hopfield", n_units=30, beta=-2.0))
    mem = nm.create("modern-hopfield", n_units=30).store(x)
    _raises("beta", lambda: mem.recall(x, beta=0))
    _raises("order", lambda: nm.create("dense-hopfield", n_units=30, order=1))
    _raises("interaction", lambda: nm.create("dense-hopfield", n_units=30, interaction="x"))
    dense = nm.create("dense-hopfield", n_units=30).store(x)
    _raises(
        "dense-hopfield.recall", lambda: nm.create("dense-hopfield", n_units=30).recall(x)
    )
    _raises("patterns", lambda: dense.store(nm.patterns.to_binary(x)))
    bad = x.copy()
    bad[0, 0] = np.nan
    for m in (mem, dense):
        _raises("cues", lambda m=m: m.recall(bad))
    _raises("cues", lambda: dense.recall(bad, dynamics="sync"))
