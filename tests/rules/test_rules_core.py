"""The rule base (shared options, divergence, layouts) and the core rules."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import neuromem as nm
from neuromem.layout import DenseLayout, SparseLayout
from neuromem.testing import check_rule


@pytest.mark.parametrize("name", ["hebbian", "covariance", "pseudoinverse"])
def test_core_rules_conform(name):
    check_rule(nm.create_rule(name))


def test_every_registered_rule_conforms():
    # Run on whatever is registered, so a new rule is checked without a new test.
    for name in nm.list_rules():
        check_rule(nm.create_rule(name))


def test_hebbian_single_and_batch():
    rule = nm.create_rule("hebbian", learning_rate=0.5)
    d = rule.delta(np.array([1.0, -1.0, 0.0]), np.array([2.0, 1.0]), np.zeros((2, 3)))
    np.testing.assert_allclose(d, 0.5 * np.outer([2.0, 1.0], [1.0, -1.0, 0.0]))
    pre = np.array([[1.0, 0, 1], [0, 1, 1]])
    post = np.array([[1.0, 1], [1, -1]])
    np.testing.assert_allclose(rule.delta(pre, post, np.zeros((2, 3))), 0.5 * post.T @ pre)


finite = st.floats(-3, 3, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    pre=arrays(float, (4, 6), elements=finite),
    post=arrays(float, (4, 5), elements=finite),
    lr=st.floats(0.0, 2.0),
)
def test_hebbian_properties(pre, post, lr):
    rule = nm.create_rule("hebbian", learning_rate=lr)
    w = np.zeros((5, 6))
    d = rule.delta(pre, post, w)
    # A batch is the sum of its presentations, and the change scales with the rate.
    np.testing.assert_allclose(
        d, sum(rule.delta(pre[b], post[b], w) for b in range(4)), atol=1e-9
    )
    np.testing.assert_allclose(d, lr * post.T @ pre, atol=1e-9)


def _layout(n_post, n_pre):
    return DenseLayout((n_post, n_pre))


def test_decay_and_hard_bounds():
    rule = nm.create_rule("hebbian", learning_rate=1.0, decay=0.5, bounds=(-1.0, 1.0))
    w = np.array([[0.8, -0.8]])
    rule.update(w, np.array([1.0, 1.0]), np.array([1.0]), _layout(1, 2))
    # (1 - 0.5) * w + 1, then clipped into [-1, 1].
    np.testing.assert_allclose(w, [[1.0, 0.6]])


def test_soft_bounds_approach_but_never_cross():
    rule = nm.create_rule("hebbian", learning_rate=0.5, bounds=(0.0, 1.0), soft_bounds=True)
    w = np.array([[0.5]])
    for _ in range(50):
        rule.update(w, np.array([1.0]), np.array([1.0]), _layout(1, 1))
        assert 0.0 <= w[0, 0] < 1.0
    assert w[0, 0] > 0.99
    for _ in range(50):
        rule.update(w, np.array([-1.0]), np.array([1.0]), _layout(1, 1))
        assert 0.0 < w[0, 0] <= 1.0
    assert w[0, 0] < 0.01


def test_divergence_is_an_error_naming_the_learning_rate():
    rule = nm.create_rule("hebbian", learning_rate=1e300)
    w = np.ones((3, 3))
    with pytest.raises(nm.ValidationError) as err:
        for _ in range(5):
            rule.update(w, np.full(3, 1e10), np.full(3, 1e10), _layout(3, 3))
    assert err.value.param == "learning_rate" and "diverge" in str(err.value)


@pytest.mark.parametrize(
    "kwargs, param",
    [
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"decay": 1.0}, "decay"),
        ({"bounds": (1.0, -1.0)}, "bounds"),
        ({"bounds": 3.0}, "bounds"),
        ({"soft_bounds": True}, "soft_bounds"),
    ],
)
def test_bad_rule_options(kwargs, param):
    with pytest.raises(nm.ValidationError) as err:
        nm.create_rule("hebbian", **kwargs)
    assert err.value.param == param


def test_rule_refuses_unsupported_layout():
    class DenseOnly(nm.LearningRule):
        name = "dense-only"
        supports = ("dense",)

        def compute(self, pre, post, w, layout, signal=None):
            return layout.outer(post, pre)

    with pytest.raises(nm.ValidationError, match="sparse synapse") as err:
        DenseOnly().delta(np.ones(3), np.ones(3), sp.csr_array(np.eye(3)))
    assert err.value.param == "rule"
    u = nm.Population(100, name="u")
    syn = nm.Synapse(u, u, topology=nm.topology.erdos_renyi(100, 0.05, seed=0))
    with pytest.raises(nm.ValidationError, match="supports dense"):
        syn.set_rule(DenseOnly())


def test_signal_rules_require_the_third_factor():
    class ThreeFactor(nm.LearningRule):
        name = "three"
        uses_signal = True

        def compute(self, pre, post, w, layout, signal=None):
            return layout.outer(post * signal, pre)

    with pytest.raises(nm.ValidationError, match="signal"):
        ThreeFactor().delta(np.ones(2), np.ones(2), np.zeros((2, 2)))
    d = ThreeFactor().delta(
        np.ones(2), np.ones(2), np.zeros((2, 2)), signal=np.array([2.0, 0])
    )
    np.testing.assert_allclose(d, [[2, 2], [0, 0]])


def test_sparse_outer_uses_gather_and_elementwise_paths_consistently(rng):
    structure = sp.random(60, 80, density=0.1, random_state=1, format="csr") != 0
    lay = SparseLayout(sp.csr_array(structure))
    for batch in (1, 3, 2000):  # small batches multiply element-wise, big ones gather
        post = rng.standard_normal((batch, 60))
        pre = rng.standard_normal((batch, 80))
        np.testing.assert_allclose(
            lay.outer(post, pre), (post.T @ pre)[lay.rows, lay.cols], rtol=1e-10
        )


def test_covariance_is_exact_when_stored_in_parts():
    x = nm.patterns.random_sparse(40, 60, coding_level=0.2, seed=0)
    c = (x - x.mean(0)).T @ (x - x.mean(0))
    rule = nm.create_rule("covariance")
    w = np.zeros((60, 60))
    for part in (x[:7], x[7:8], x[8:]):
        rule.update(w, part, part, _layout(60, 60))
    np.testing.assert_allclose(w, c, atol=1e-10)
    fixed = nm.create_rule("covariance", center=0.2)
    np.testing.assert_allclose(
        fixed.delta(x, x, np.zeros((60, 60))), (x - 0.2).T @ (x - 0.2), atol=1e-10
    )


def test_pseudoinverse_projects_and_maps_keys_to_values(rng):
    x = nm.patterns.random_bipolar(30, 100, seed=2)
    rule = nm.create_rule("pseudoinverse", zero_diagonal=False)
    w = rule.delta(x, x, np.zeros((100, 100)))
    np.testing.assert_allclose(w @ x.T, x.T, atol=1e-9)  # every pattern is a fixed point
    np.testing.assert_allclose(w @ w, w, atol=1e-9)  # a projector
    keys = rng.standard_normal((10, 40))
    values = rng.standard_normal((10, 7))
    olam = nm.create_rule("pseudoinverse").delta(keys, values, np.zeros((7, 40)))
    np.testing.assert_allclose(keys @ olam.T, values, atol=1e-9)


def test_pseudoinverse_of_dependent_patterns_falls_back_to_the_span():
    x = nm.patterns.random_bipolar(5, 50, seed=3)
    dependent = np.vstack([x, x[0:1]])  # a pattern twice: X X^T is singular
    w = nm.create_rule("pseudoinverse", zero_diagonal=False).delta(
        dependent, dependent, np.zeros((50, 50))
    )
    np.testing.assert_allclose(w @ x.T, x.T, atol=1e-9)
    assert np.isfinite(w).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_first_update_of_a_fresh_synapse_writes_the_same_weights(dtype, rng):
    # A new synapse's first Hebbian update is written, not added (syrk for
    # auto-association): the result must equal adding into touched zero weights.
    x = rng.choice([-1.0, 1.0], size=(30, 80))
    y = rng.choice([-1.0, 1.0], size=(30, 50))
    topo = nm.topology.erdos_renyi(80, 0.5, seed=0)
    for pre, post, kw in (
        (x, x, {}),
        (x, y, {}),
        (x, x, {"topology": topo, "sparse": False}),
    ):
        a, b = nm.Population(pre.shape[1], name="a"), nm.Population(post.shape[1], name="b")
        pops = (a, a) if post is pre else (a, b)
        fresh = nm.Synapse(
            *pops, rule=nm.create_rule("hebbian", learning_rate=0.1), dtype=dtype, **kw
        )
        touched = nm.Synapse(
            *pops, rule=nm.create_rule("hebbian", learning_rate=0.1), dtype=dtype, **kw
        )
        touched.writable()  # taking the weights writable makes them "not fresh"
        fresh.learn(pre, post)
        touched.learn(pre, post)
        np.testing.assert_allclose(fresh.values, touched.values, rtol=1e-5, atol=1e-6)


def test_weights_changed_by_hand_before_learning_are_added_to(rng):
    u = nm.Population(20, name="u")
    syn = nm.Synapse(u, u, rule=nm.create_rule("hebbian"))
    with syn.writing() as (w, _):  # a write in place, through the public method
        w[0, 1] = 5.0
    x = rng.choice([-1.0, 1.0], size=(3, 20))
    syn.learn(x, x)
    assert syn.weights[0, 1] == pytest.approx(5.0 + x[:, 0] @ x[:, 1])
