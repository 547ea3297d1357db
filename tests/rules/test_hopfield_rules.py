"""Storage rules and dynamics of the classical Hopfield network (issue 3)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import brentq

import neuromem as nm
from neuromem.rules.base import LearningRule
from neuromem.testing import check_memory, check_rule


def stable(mem, x):
    """Patterns that are strict fixed points: every unit's field has its sign."""
    return int(np.sum(np.all(mem.field(x) * x > 0, axis=1)))


# -- conformance ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "rule",
    [
        nm.create_rule("storkey"),
        nm.create_rule("perceptron"),
        nm.create_rule("perceptron", kappa=0.5, symmetric=True, max_epochs=5),
    ],
    ids=repr,
)
def test_rules_conform(rule):
    check_rule(rule, n_pre=8, n_post=8)


def test_asymmetric_perceptron_conforms_on_rectangular_weights():
    check_rule(nm.create_rule("perceptron"))


@pytest.mark.parametrize(
    "options",
    [
        {"rule": "storkey"},
        {"rule": "perceptron"},
        {"rule": "pseudoinverse"},
        {"dynamics": "glauber", "temperature": 0.05},
        {"rule": "storkey", "topology": nm.topology.erdos_renyi(64, 0.5, seed=1)},
    ],
    ids=lambda o: "-".join(str(v) for v in o.values())[:30],
)
def test_hopfield_variants_conform(options):
    x = nm.patterns.random_bipolar(4, 64, seed=0)
    check_memory(nm.create("hopfield", n_units=64, seed=0, **options), x)


def test_storkey_matches_the_literal_formula():
    # w_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N, h_ij = sum_{k != i, j} w_ik xi_k,
    # written out with loops on a small network with a non-zero diagonal.
    rng = np.random.default_rng(0)
    n = 9
    w = rng.standard_normal((n, n))
    xi = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    expected = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ks = [k for k in range(n) if k not in (i, j)]
            h_ij = sum(w[i, k] * xi[k] for k in ks)
            h_ji = sum(w[j, k] * xi[k] for k in ks)
            expected[i, j] = (xi[i] * xi[j] - xi[i] * h_ji - h_ij * xi[j]) / n
    rule = nm.create_rule("storkey", learning_rate=1 / n)
    np.testing.assert_allclose(rule.delta(xi, xi, w), expected, atol=1e-13)
    np.testing.assert_allclose(rule.delta(xi, xi, sp.csr_array(w)).toarray(), expected)


def test_storkey_is_incremental_and_masked_like_dense():
    n = 60
    x = nm.patterns.random_bipolar(8, n, seed=1)
    topo = nm.topology.erdos_renyi(n, 0.3, directed=True, seed=2)
    dense = nm.create("hopfield", n_units=n, rule="storkey", topology=topo, sparse=False)
    sparse = nm.create("hopfield", n_units=n, rule="storkey", topology=topo, sparse=True)
    dense.store(x[:3]).store(x[3:])
    sparse.store(x)
    assert sparse.synapse_.is_sparse and not dense.synapse_.is_sparse
    np.testing.assert_allclose(sparse.weights_.toarray(), dense.weights_, atol=1e-13)
    assert not np.any(dense.weights_[~topo.mask()])


# -- reproductions --------------------------------------------------------------------
def test_storkey_recalls_at_a_load_where_hebb_fails():
    # alpha = 0.2 > 0.138, cues with 10% of the bits flipped.
    n, p = 200, 40
    x = nm.patterns.random_bipolar(p, n, seed=1)
    cues = nm.patterns.flip(x, 0.1, seed=2)
    acc = {
        rule: nm.metrics.recall_accuracy(
            nm.create("hopfield", n_units=n, rule=rule).store(x).recall(cues).states,
            x,
            threshold=1.0,
        )
        for rule in ("hebbian", "storkey")
    }
    assert acc["storkey"] >= 0.95  # measured 1.0
    assert acc["hebbian"] <= 0.3  # measured 0.125


def test_pseudoinverse_fixed_points_to_alpha_near_one_with_shrinking_basins():
    n = 200
    basins = []
    for alpha in (0.1, 0.3, 0.6, 0.9):
        x = nm.patterns.random_bipolar(int(alpha * n), n, seed=3)
        mem = nm.create("hopfield", n_units=n, rule="pseudoinverse").store(x)
        assert stable(mem, x) == len(x), alpha  # every pattern a strict fixed point
        b = nm.analysis.basin_size(
            mem, x[:10], fractions=np.linspace(0, 0.4, 17), n_trials=4, seed=0
        )
        basins.append(float(np.mean(b)))
    # measured mean basins 0.35, 0.24, 0.025, 0.0
    assert basins[0] >= 0.25
    assert basins[0] > basins[1] > basins[2] >= basins[3]
    assert basins[3] <= 0.025


def test_pseudoinverse_dependent_patterns_least_squares_fallback():
    n = 50
    x = nm.patterns.random_bipolar(6, n, seed=4)
    dep = np.concatenate([x, x[:2], -x[3:4]])  # repeated and negated: rank 6 of 9
    mem = nm.create("hopfield", n_units=n, rule="pseudoinverse").store(dep)
    assert np.all(np.isfinite(mem.weights_))
    assert stable(mem, dep) == len(dep)


def test_perceptron_exceeds_hebb_storkey_and_pseudoinverse_in_stable_patterns():
    # alpha = 1.5: beyond the pseudo-inverse's alpha = 1, below Gardner's bound 2.
    n, p = 100, 150
    x = nm.patterns.random_bipolar(p, n, seed=4)
    counts = {
        rule: stable(nm.create("hopfield", n_units=n, rule=rule).store(x), x)
        for rule in ("hebbian", "storkey", "pseudoinverse", "perceptron")
    }
    assert counts["perceptron"] == p  # measured 150 (converged in 434 epochs)
    assert max(counts["hebbian"], counts["storkey"], counts["pseudoinverse"]) <= 15
    # measured: Hebb 0, Storkey 5, pseudo-inverse 0


def test_perceptron_margin_is_met_and_symmetric_option_is_symmetric():
    n, p = 80, 20
    x = nm.patterns.random_bipolar(p, n, seed=5)
    mem = nm.create(
        "hopfield", n_units=n, rule="perceptron", rule_options={"kappa": 1.0}
    ).store(x)
    w = mem.weights_
    stability = mem.field(x) * x / np.linalg.norm(w, axis=1)
    assert mem.synapse_.rule.converged_
    assert stability.min() >= 1.0
    sym = nm.create(
        "hopfield", n_units=n, rule="perceptron", rule_options={"symmetric": True}
    ).store(x)
    np.testing.assert_allclose(sym.weights_, sym.weights_.T, atol=1e-14)
    assert stable(sym, x) == p


def test_glauber_magnetisation_matches_mean_field():
    # One stored pattern (the Mattis / Curie-Weiss case): m = tanh(m / T).
    n = 400
    x = nm.patterns.random_bipolar(1, n, seed=0)
    mem = nm.create("hopfield", n_units=n, dynamics="glauber", seed=0).store(x)
    cues = np.repeat(x, 40, axis=0)
    for t, tol in ((0.5, 0.01), (0.8, 0.04)):
        m = nm.metrics.overlap(mem.recall(cues, temperature=t, max_steps=15).states, cues)
        theory = brentq(lambda v, t=t: v - np.tanh(v / t), 1e-3, 1.0)
        assert abs(m.mean() - theory) < tol, (t, m.mean(), theory)
    # Above T = 1 the network forgets: the overlap decays to ~ 1/sqrt(N).
    m = nm.metrics.overlap(mem.recall(cues, beta=0.5, max_steps=15).states, cues)
    assert abs(m.mean()) < 0.05


def test_glauber_is_seeded():
    x = nm.patterns.random_bipolar(3, 80, seed=0)
    mem = nm.create("hopfield", n_units=80, dynamics="glauber", temperature=0.7)
    mem.store(x)
    a = mem.recall(x, seed=3, max_steps=5).states
    b = mem.recall(x, seed=3, max_steps=5).states
    c = mem.recall(x, seed=4, max_steps=5).states
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_diluted_and_small_world_networks_retrieve_with_every_rule():
    n = 400
    x = nm.patterns.random_bipolar(4, n, seed=8)
    cues = nm.patterns.flip(x, 0.1, seed=9)
    topologies = [
        nm.topology.erdos_renyi(n, 0.1, seed=1),
        nm.topology.erdos_renyi(n, 0.1, directed=True, seed=1),
        nm.topology.small_world(n, 40, 0.2, seed=1),
    ]
    for topo in topologies:
        for rule in ("hebbian", "storkey", "pseudoinverse", "perceptron"):
            mem = nm.create("hopfield", n_units=n, topology=topo, rule=rule).store(x)
            assert mem.synapse_.is_sparse
            ov = nm.metrics.overlap(mem.recall(cues).states, x)
            assert ov.min() >= 0.98, (topo.name, rule, ov)


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudoinverse"])
def test_networkx_complete_graph_equals_dense_default_exactly(rule):
    n = 120
    x = nm.patterns.random_bipolar(15, n, seed=2)
    cues = nm.patterns.flip(x, 0.15, seed=3)
    topo = nm.topology.from_networkx(nx.complete_graph(n))
    default = nm.create("hopfield", n_units=n, rule=rule).store(x)
    graph = nm.create("hopfield", n_units=n, rule=rule, topology=topo).store(x)
    np.testing.assert_array_equal(graph.weights_, default.weights_)
    np.testing.assert_array_equal(graph.recall(cues).states, default.recall(cues).states)
    # Forced sparse storage of the same graph: same weights up to rounding, same recall.
    sparse = nm.create("hopfield", n_units=n, rule=rule, topology=topo, sparse=True)
    sparse.store(x)
    np.testing.assert_allclose(sparse.weights_.toarray(), default.weights_, atol=1e-12)
    np.testing.assert_array_equal(sparse.recall(cues).states, default.recall(cues).states)


# -- bad input ------------------------------------------------------------------------
class BinaryOnly(LearningRule):
    name = "binary-only"
    encodings = ("binary",)

    def compute(self, pre, post, w, layout, signal=None):
        return layout.outer(post, pre)


def _raises(param, fn):
    with pytest.raises(nm.ValidationError) as info:
        fn()
    assert param in str(info.value)
    return info.value


def test_bad_input():
    x = nm.patterns.random_bipolar(3, 20, seed=0)
    _raises("rule", lambda: nm.create("hopfield", n_units=20, rule=BinaryOnly()))
    binary = nm.patterns.to_binary(x)
    for rule in ("storkey", "perceptron", "pseudoinverse"):
        mem = nm.create("hopfield", n_units=20, rule=rule)
        _raises("patterns", lambda mem=mem: mem.store(binary))
    _raises(
        "weights",
        lambda: nm.create_rule("storkey").delta(x[0][:5], x[0], np.zeros((20, 5))),
    )
    _raises("temperature", lambda: nm.create("hopfield", n_units=20, temperature=0.0))
    _raises("beta", lambda: nm.create("hopfield", n_units=20, beta=-1.0))
    _raises("beta", lambda: nm.create("hopfield", n_units=20, temperature=1.0, beta=1.0))
    mem = nm.create("hopfield", n_units=20, dynamics="glauber").store(x)
    _raises("temperature", lambda: mem.recall(x, temperature=-0.5))
    bad = x.copy()
    bad[1, 3] = np.nan
    for dynamics in ("sync", "async", "glauber"):
        _raises("cues", lambda d=dynamics: mem.recall(bad, dynamics=d))
    _raises(
        "topology",
        lambda: nm.create("hopfield", n_units=20, topology=nm.topology.complete(21)),
    )
    _raises("kappa", lambda: nm.create_rule("perceptron", kappa=-1.0))
    _raises("epsilon", lambda: mem.unlearn(5, epsilon=0.0))
