"""The Hopfield slice of the foundation: Hebbian storage, sync/async recall, energy."""

import numpy as np
import pytest

import neuromem as nm
from neuromem.testing import check_memory

N = 400


@pytest.fixture(scope="module")
def stored():
    x = nm.patterns.random_bipolar(20, N, seed=0)  # alpha = 0.05
    return x, nm.create("hopfield", n_units=N, seed=0).store(x)


def test_weights_are_the_hebbian_outer_product_with_zero_diagonal(stored):
    x, mem = stored
    expected = x.T @ x / N
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(mem.weights_, expected, atol=1e-12)
    assert mem.weights_.shape == (N, N)  # (n_post, n_pre)
    assert mem.n_stored_ == 20


def test_storage_is_incremental(stored):
    x, mem = stored
    parts = nm.create("hopfield", n_units=N).store(x[:5]).store(x[5:12]).store(x[12:])
    np.testing.assert_allclose(parts.weights_, mem.weights_, atol=1e-12)
    np.testing.assert_array_equal(parts.patterns_, x)


@pytest.mark.parametrize("dynamics", ["sync", "async"])
def test_stored_patterns_are_fixed_points_at_alpha_005(stored, dynamics):
    x, mem = stored
    res = mem.recall(x, dynamics=dynamics)
    np.testing.assert_array_equal(res.states, x)
    assert res.converged.all() and (res.steps == 1).all()  # one confirming sweep


@pytest.mark.parametrize("dynamics", ["sync", "async"])
def test_noisy_cues_are_completed_at_alpha_005(stored, dynamics):
    x, mem = stored
    cues = nm.patterns.flip(x, 0.1, seed=1)
    res = mem.recall(cues, dynamics=dynamics)
    assert nm.metrics.overlap(res.states, x).min() > 0.99
    assert res.converged.all() and (res.steps >= 2).all()


def test_energy_never_rises_under_asynchronous_updates():
    x = nm.patterns.random_bipolar(60, 200, seed=3)  # overloaded: long, rugged descents
    mem = nm.create("hopfield", n_units=200, dynamics="async", seed=0).store(x)
    cues = nm.patterns.random_bipolar(30, 200, seed=4)
    res = mem.recall(cues, record_energy=True)
    assert res.energy.shape == (res.steps.max() + 1, 30)
    assert np.all(np.diff(res.energy, axis=0) <= 1e-12)
    assert np.all(res.energy[-1] < res.energy[0])
    np.testing.assert_allclose(res.energy[-1], mem.energy(res.states))


def test_energy_formula(stored):
    x, mem = stored
    s = x[0]
    assert mem.energy(s) == pytest.approx(-0.5 * s @ mem.weights_ @ s)
    assert mem.energy(x).shape == (20,)


def test_batched_recall_equals_one_cue_at_a_time(stored):
    x, mem = stored
    cues = nm.patterns.flip(x[:6], 0.3, seed=5)
    batch = mem.recall(cues).states
    single = np.vstack([mem.recall(c[None]).states for c in cues])
    np.testing.assert_array_equal(batch, single)


def test_synchronous_two_cycle_is_detected():
    # Two units that inhibit each other: (1, 1) -> (-1, -1) -> (1, 1) -> ...
    mem = nm.create("hopfield", n_units=2)
    mem.synapse_.set_weights(np.array([[0.0, -1.0], [-1.0, 0.0]]))
    res = mem.recall(np.array([[1.0, 1.0], [1.0, -1.0]]))
    assert list(res.converged) == [False, True]
    assert res.steps[0] == 2 and res.steps[1] == 1


def test_max_steps_caps_the_sweeps():
    x = nm.patterns.random_bipolar(80, 200, seed=0)
    mem = nm.create("hopfield", n_units=200, max_steps=2).store(x)
    res = mem.recall(nm.patterns.random_bipolar(20, 200, seed=1))
    assert res.steps.max() <= 2


def test_async_recall_is_reproducible_from_the_seed():
    x = nm.patterns.random_bipolar(30, 200, seed=0)
    cues = nm.patterns.flip(x, 0.3, seed=1)
    a = nm.create("hopfield", n_units=200, dynamics="async", seed=9).store(x).recall(cues)
    b = nm.create("hopfield", n_units=200, dynamics="async", seed=9).store(x).recall(cues)
    np.testing.assert_array_equal(a.states, b.states)
    c = nm.create("hopfield", n_units=200, dynamics="async", seed=9).store(x)
    np.testing.assert_array_equal(
        c.recall(cues, seed=4).states, c.recall(cues, seed=4).states
    )


def test_float32_gives_the_same_recall(stored):
    x, mem = stored
    m32 = nm.create("hopfield", n_units=N, dtype="float32").store(x)
    assert m32.weights_.dtype == np.float32
    cues = nm.patterns.flip(x, 0.1, seed=1)
    res = m32.recall(cues)
    assert res.states.dtype == np.float32
    np.testing.assert_array_equal(res.states, mem.recall(cues).states)


def test_masked_cues_are_completed(stored):
    x, mem = stored
    res = mem.recall(nm.patterns.mask(x, 0.3, seed=2))
    assert nm.metrics.overlap(res.states, x).min() == 1.0


def test_empty_network_keeps_every_cue():
    cues = nm.patterns.random_bipolar(3, 10, seed=0)
    res = nm.create("hopfield", n_units=10).recall(cues)
    np.testing.assert_array_equal(res.states, cues)
    assert res.converged.all()


def test_pseudoinverse_recalls_correlated_glyphs():
    g = nm.patterns.glyphs("NEUROM", size=16)
    mem = nm.create(
        "hopfield", n_units=256, rule="pseudoinverse", dynamics="async", seed=0
    ).store(g)
    res = mem.recall(nm.patterns.flip(g, 0.2, seed=1))
    assert nm.metrics.overlap(res.states, g).min() == 1.0
    hebb = nm.create("hopfield", n_units=256, dynamics="async", seed=0).store(g)
    # Glyphs overlap about 0.55 with each other, which defeats Hebb's rule.
    assert nm.metrics.overlap(hebb.recall(g).states, g).min() < 0.9


def test_sparse_topology_matches_dense_masked_weights():
    x = nm.patterns.random_bipolar(10, 300, seed=0)
    topo = nm.topology.erdos_renyi(300, 0.15, seed=1)
    cues = nm.patterns.flip(x, 0.1, seed=2)
    results = []
    for sparse in (True, False):
        mem = nm.create("hopfield", n_units=300, topology=topo, sparse=sparse, seed=0)
        mem.store(x)
        results.append([mem.recall(cues, dynamics=d).states for d in ("sync", "async")])
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)
    assert nm.metrics.overlap(results[0][0], x).mean() > 0.95


def test_graph_of_the_model():
    mem = nm.create("hopfield", n_units=5).store(nm.patterns.random_bipolar(1, 5, seed=0))
    assert list(mem.network_.graph.edges) == [("units", "units")]
    g = mem.to_networkx()
    assert g.number_of_nodes() == 5 and g.number_of_edges() == 20


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"dynamics": "async"},
        {"rule": "pseudoinverse"},
        {"rule": "covariance"},
        {"topology": nm.topology.erdos_renyi(64, 0.1, seed=0)},
        {"dtype": "float32"},
    ],
)
def test_conformance(options):
    check_memory(
        nm.create("hopfield", n_units=64, seed=0, **options),
        nm.patterns.random_bipolar(4, 64, seed=1),
    )
