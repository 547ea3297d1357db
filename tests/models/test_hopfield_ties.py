"""Ties, zero states and thresholds of the classical Hopfield dynamics (issue 9 section 1).

The law (neuromem.dynamics): a tied field keeps a +/-1 unit's state, a 0 state with a
tied field becomes +1 (a graded value its sign), a 0/1 unit is active only when its field is above the threshold
beyond the per-unit tie tolerance; converged only at a fixed point of that law.
"""

import numpy as np
import pytest

import neuromem as nm
from neuromem import dynamics

X = np.array([[1, 1, 1, 1], [1, 1, -1, -1]], dtype=float)
DETERMINISTIC = ["sync", "async"]
LAYOUTS = [False, True]  # dense, CSR sparse
DTYPES = ["float32", "float64"]


@pytest.mark.parametrize("dyn", DETERMINISTIC)
@pytest.mark.parametrize("sparse", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("model", ["hopfield", "hebbian"])
def test_a_masked_cue_is_mapped_to_the_pattern_encoding(dyn, sparse, dtype, model):
    # W = X^T X / 4 without diagonal: units 2 and 3 receive exactly zero from [1,1,0,0],
    # a tie, so their 0 states become +1; [1,1,1,1] is then a fixed point.
    mem = nm.create(model, n_units=4, sparse=sparse, dtype=dtype, seed=0).store(X)
    res = mem.recall([[1, 1, 0, 0]], dynamics=dyn)
    np.testing.assert_array_equal(res.states, [[1, 1, 1, 1]])
    assert res.converged.tolist() == [True]
    assert res.steps.tolist() == [2]  # one sweep to map, one to confirm


@pytest.mark.parametrize("dyn", DETERMINISTIC)
@pytest.mark.parametrize("sparse", LAYOUTS)
def test_the_all_zero_cue_becomes_all_plus_one(dyn, sparse):
    mem = nm.create("hopfield", n_units=4, sparse=sparse, seed=0).store(X)
    res = mem.recall(np.zeros((1, 4)), dynamics=dyn)
    np.testing.assert_array_equal(res.states, [[1, 1, 1, 1]])
    assert res.converged.all()


@pytest.mark.parametrize("dyn", DETERMINISTIC)
@pytest.mark.parametrize("sparse", LAYOUTS)
def test_recall_before_store_maps_zeros_to_plus_one(dyn, sparse):
    # Nothing stored: W = 0, every field is a tie; the cue comes back in +/-1.
    mem = nm.create("hopfield", n_units=4, sparse=sparse, seed=0)
    res = mem.recall([[1, -1, 0, 0], [0, 0, 0, -1]], dynamics=dyn)
    np.testing.assert_array_equal(res.states, [[1, -1, 1, 1], [1, 1, 1, -1]])
    assert res.converged.all() and (res.steps == 2).all()
    binary = nm.create("hopfield", n_units=4, units="binary", threshold=0.0, seed=0)
    res = binary.recall([[1, 0, 1, 1]], dynamics=dyn)
    np.testing.assert_array_equal(res.states, [[0, 0, 0, 0]])  # a tie is inactive
    assert res.converged.all()


@pytest.mark.parametrize("kernels", ["numpy", "numba"])
@pytest.mark.parametrize("dyn", DETERMINISTIC)
@pytest.mark.parametrize("sparse", LAYOUTS)
def test_graded_cue_values_become_their_signs(kernels, dyn, sparse, monkeypatch):
    # A graded value (not +/-1, not 0) at a tie takes its sign; one whose field agrees
    # with it becomes +/-1 too. Before, the numpy asynchronous path skipped a unit at
    # 0.5 whose field was positive and returned 0.5 with converged=True, the compiled
    # kernel kept graded values at ties, and the synchronous law kept them at ties.
    if kernels == "numba" and not nm._kernels.AVAILABLE:
        pytest.skip("numba not installed")
    monkeypatch.setenv("NEUROMEM_KERNELS", kernels)
    empty = nm.create("hopfield", n_units=3, sparse=sparse, seed=0)
    res = empty.recall([[1, 0.5, -0.25]], dynamics=dyn)  # every field a tie
    np.testing.assert_array_equal(res.states, [[1, 1, -1]])
    assert res.converged.tolist() == [True]
    mem = nm.create("hopfield", n_units=4, sparse=sparse, seed=0).store(X)
    cues = [[1, 1, 0.5, 0.5], [1, 0.5, 0.5, 0.5], [0.3, -0.2, 0, 0]]
    res = mem.recall(cues, dynamics=dyn, seed=1)
    assert set(np.unique(res.states)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(res.states[:2], [[1, 1, 1, 1], [1, 1, 1, 1]])


@pytest.mark.parametrize("dyn", DETERMINISTIC)
@pytest.mark.parametrize("sparse", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_hebbian_weights_that_cancel_are_exactly_zero(dyn, sparse, dtype):
    # x_i x_j sums to 0 over these patterns for every j != 0 (N = 2, 3: rows of pure
    # cancellation). The dense first store scaled by sqrt(1/N) on both sides and left
    # +/-4e-17; a row of such weights holds only rounding, its tolerance (relative to
    # sum |w|) is as small, and the "field" flipped cue [1, -1] to [-1, 1].
    for x, cue in (
        ([[1, 1], [-1, 1]], [[1, -1], [-1, 1]]),
        ([[1, 1, 1], [1, -1, -1]], [[-1, 1, 1], [1, 1, -1]]),
    ):
        x = np.array(x, dtype=float)
        opts = {"n_units": len(x[0]), "sparse": sparse, "dtype": dtype}
        for mem in (
            nm.create("hopfield", **opts).store(x),
            nm.create("hopfield", **opts).store(x[:1]).store(x[1:]),
        ):
            w = mem.weights_.toarray() if sparse else mem.weights_
            assert not w[0].any() and not w[:, 0].any()
            res = mem.recall(cue, dynamics=dyn, seed=0)
            assert res.states[:, 0].tolist() == [c[0] for c in cue]  # a tie keeps it


def test_a_temperature_whose_beta_is_infinite_is_refused():
    # 1 / 1e-320 overflows: beta = inf turned every tie into -1 (no fair coin).
    with pytest.raises(nm.ValidationError, match="temperature"):
        nm.create("hopfield", n_units=10, dynamics="glauber", temperature=1e-320)
    mem = nm.create("hopfield", n_units=10, dynamics="glauber", seed=0)
    with pytest.raises(nm.ValidationError, match="temperature"):
        mem.recall(np.zeros((1, 10)), temperature=1e-320)


def test_glauber_at_zero_temperature_draws_a_fair_coin_at_ties():
    mem = nm.create("hopfield", n_units=200, dynamics="glauber", seed=0)
    res = mem.recall(np.zeros((4, 200)), beta=1e12, max_steps=1, seed=3)
    assert set(np.unique(res.states)) == {-1.0, 1.0}  # never 0
    assert abs(res.states.mean()) < 0.1  # 800 fair coins: sd 0.035
    rng = np.random.default_rng(3)  # the documented draws: u, then the order
    u = rng.random((200, 4))
    order = rng.permutation(200)
    want = np.empty((4, 200))
    want[:, order] = np.where(u < 0.5, 1.0, -1.0).T
    np.testing.assert_array_equal(res.states, want)


def _projection_cases():
    for seed in range(60):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(3, 9))
        p = int(rng.integers(2, n + 1))
        yield np.where(rng.random((p, n)) < 0.5, 1.0, -1.0)


@pytest.mark.parametrize("dyn", DETERMINISTIC)
@pytest.mark.parametrize("sparse", LAYOUTS)
def test_rounding_noise_never_flips_a_stored_pattern_of_the_projection_rule(dyn, sparse):
    # At P = N (and for units the patterns determine) the exact field is 0 and the
    # computed one about 1e-15: the weight error the rule declares makes it a tie.
    # Sparse: the layout holds no diagonal, which the rule's error scale must still
    # count (a full-rank set has W = I, so every stored weight is rounding).
    seen_noise = 0
    for x in _projection_cases():
        mem = nm.create(
            "hopfield", n_units=x.shape[1], rule="pseudoinverse", sparse=sparse, seed=0
        )
        mem.store(x)
        h = mem.field(x)
        seen_noise += int(((np.abs(h) > 0) & (np.abs(h) < 1e-12)).any())
        res = mem.recall(x, dynamics=dyn)
        np.testing.assert_array_equal(res.states, x)
        assert res.converged.all()
    assert seen_noise > 10  # the cases do exercise fields of rounding size


def test_the_rule_declares_its_weight_error_and_the_tolerance_uses_it():
    x = np.array([[1, -1, 1, -1.0], [1, 1, -1, -1], [1, 1, 1, 1], [1, -1, -1, 1]])
    mem = nm.create("hopfield", n_units=4, rule="pseudoinverse").store(x)  # P = N
    atol = mem.synapse_.rule.weight_atol_
    assert 0 < atol < 1e-12
    tol = dynamics.tie_tolerances(mem.synapse_)
    assert np.all(tol >= 2 * 4 * atol) and np.all(np.abs(mem.field(x)) <= tol)


@pytest.mark.parametrize("sparse", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_dynamics_do_not_depend_on_the_scale_of_the_weights(sparse, dtype):
    x = nm.patterns.random_bipolar(6, 40, seed=1)  # even N: many exact ties
    cues = nm.patterns.mask(nm.patterns.flip(x, 0.3, seed=2), 0.3, seed=3)
    base = nm.create("hopfield", n_units=40, sparse=sparse, dtype=dtype, seed=0).store(x)
    w = base.synapse_.dense_weights().astype(np.float64)
    tiny, huge = (1e-30, 1e30) if dtype == "float32" else (1e-300, 1e300)
    for dyn in DETERMINISTIC:
        want = base.recall(cues, dynamics=dyn, seed=5)
        for scale in (tiny, huge):
            mem = nm.create("hopfield", n_units=40, sparse=sparse, dtype=dtype, seed=0)
            mem.store(x)
            mem.synapse_.set_weights(w * scale)
            got = mem.recall(cues, dynamics=dyn, seed=5)
            np.testing.assert_array_equal(got.states, want.states)
            np.testing.assert_array_equal(got.converged, want.converged)
            np.testing.assert_array_equal(got.steps, want.steps)


def test_graded_cues_relax_as_their_signs_scaled():
    x = nm.patterns.random_bipolar(3, 30, seed=0)
    mem = nm.create("hopfield", n_units=30, seed=0).store(x)
    cues = nm.patterns.flip(x, 0.2, seed=1)
    for c in (1e-300, 0.37, 5.0, 1e300):
        a = mem.recall(cues * c, dynamics="sync")
        b = mem.recall(cues, dynamics="sync")
        np.testing.assert_array_equal(a.states, b.states)


@pytest.mark.parametrize("dyn", DETERMINISTIC)
@pytest.mark.parametrize("sparse", LAYOUTS)
def test_zero_one_units_at_the_threshold_are_inactive(dyn, sparse):
    # Unit 2 receives w_20 + w_21 = 1 from [1, 1, 0] and the threshold is 1: a tie,
    # so it is inactive (and so are units 0 and 1, whose field 0.5 is below 1).
    w = np.array([[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    mem = nm.create(
        "hopfield",
        n_units=3,
        units="binary",
        rule="covariance",
        threshold=1.0,
        sparse=sparse,
        seed=0,
    )
    mem.store(np.array([[1.0, 1.0, 0.0]]))  # builds the network; weights replaced
    mem.synapse_.set_weights(w)
    mem._set_threshold()
    res = mem.recall([[1, 1, 0]], dynamics=dyn)
    np.testing.assert_array_equal(res.states, [[0, 0, 0]])
    assert res.converged.all()
    mem.threshold = 0.999  # just below the field: active
    mem._set_threshold()
    res = mem.recall([[1, 1, 1]], dynamics=dyn)
    np.testing.assert_array_equal(res.states, [[1, 1, 1]])


@pytest.mark.parametrize("sparse", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_unlearning_that_overflows_is_refused_and_leaves_the_weights(sparse, dtype):
    x = nm.patterns.random_bipolar(5, 50, seed=0)
    mem = nm.create("hopfield", n_units=50, sparse=sparse, dtype=dtype).store(x)
    before = mem.synapse_.dense_weights().copy()
    big = 1e308 if dtype == "float64" else 1e38
    with pytest.raises(nm.ValidationError, match="epsilon"):
        mem.unlearn(n_dreams=50, epsilon=big, seed=0)
    np.testing.assert_array_equal(mem.synapse_.dense_weights(), before)
    assert np.isfinite(mem.synapse_.dense_weights()).all()
    mem.unlearn(n_dreams=5, epsilon=0.01, seed=0)  # still usable afterwards
    assert np.isfinite(mem.synapse_.dense_weights()).all()


def _documented_tolerance(w):
    return 2 * (w.shape[1] + 1) * np.finfo(w.dtype).eps * np.abs(w).sum(axis=1)


def test_derived_quantities_follow_the_weights():
    x = nm.patterns.random_bipolar(3, 20, seed=0)
    mem = nm.create("hopfield", n_units=20).store(x)
    want = _documented_tolerance(mem.weights_)  # reading weights_ drops the cache
    first = dynamics.tie_tolerances(mem.synapse_)
    np.testing.assert_allclose(first, want, rtol=1e-12)
    assert dynamics.tie_tolerances(mem.synapse_) is first  # cached
    mem.recall(x, dynamics="async")
    assert dynamics.tie_tolerances(mem.synapse_) is first  # recall keeps it
    mem.store(nm.patterns.random_bipolar(2, 20, seed=1))
    second = dynamics.tie_tolerances(mem.synapse_)
    assert second is not first
    np.testing.assert_allclose(second, _documented_tolerance(mem.weights_), rtol=1e-12)
    mem.weights_[0, 1] += 1.0  # a user may write into the weights
    third = dynamics.tie_tolerances(mem.synapse_)
    np.testing.assert_allclose(third, _documented_tolerance(mem.weights_), rtol=1e-12)
    assert third[0] > second[0]


@pytest.mark.parametrize("sparse", LAYOUTS)
def test_weights_whose_fields_could_overflow_are_refused(sparse):
    mem = nm.create("hopfield", n_units=40, sparse=sparse, seed=0)
    mem._build()
    w = np.full((40, 40), 1e307)
    np.fill_diagonal(w, 0)
    mem.synapse_.set_weights(w)  # every row sums to 3.9e308: beyond float64
    with pytest.raises(nm.ValidationError, match="weights"):
        mem.recall(np.ones((1, 40)))


@pytest.mark.parametrize("sparse", LAYOUTS)
def test_symmetric_weights_need_no_transposed_copy(sparse):
    x = nm.patterns.random_bipolar(4, 30, seed=0)
    hebb = nm.create("hopfield", n_units=30, sparse=sparse, dynamics="async").store(x)
    hebb.recall(x)
    cols = dynamics.columns(hebb.synapse_)
    assert cols.symmetric
    if sparse:
        assert cols.data is hebb.synapse_._weights.data
    else:
        assert cols.dense is hebb.synapse_._weights
    assert dynamics.columns(hebb.synapse_) is cols  # cached across recalls
    storkey = nm.create("hopfield", n_units=30, rule="storkey", sparse=sparse).store(x)
    cols = dynamics.columns(storkey.synapse_)
    assert not cols.symmetric  # Storkey's weights are not symmetric: one copy, cached
    w = storkey.synapse_.dense_weights()
    for i in (0, 7, 29):
        where, values = cols.column(i)
        col = np.zeros(30)
        col[where] = values
        np.testing.assert_array_equal(col, w[:, i])
