"""No public numeric function returns NaN or inf for finite valid input (issue 9 §4).

Each case here returned a non-finite number, or a meaningless one, without an error
before: it now returns a finite value or raises ``ValidationError`` naming the input.
"""

import numpy as np
import pytest

import neuromem as nm
from neuromem import analysis
from neuromem.errors import ValidationError
from neuromem.models.willshaw import (
    false_positive_rate,
    transinformation,
    willshaw_capacity,
)

X = nm.patterns.random_bipolar(3, 20, seed=0)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hopfield_energy_of_huge_states_is_refused(sparse, dtype):
    mem = nm.create("hopfield", n_units=20, sparse=sparse, dtype=dtype).store(X)
    big = 1e200 if dtype == "float64" else 1e30
    with pytest.raises(ValidationError, match="states"):
        mem.energy(X * big)  # was -inf
    assert np.all(np.isfinite(mem.energy(X)))


def test_binary_hopfield_energy_of_huge_states_is_refused():
    p = (X > 0).astype(float)
    mem = nm.create("hopfield", n_units=20, units="binary").store(p)
    with pytest.raises(ValidationError, match="states"):
        mem.energy(p * 1e200)


def test_energy_of_a_weight_matrix_is_finite_or_refused():
    w = np.ones((3, 3)) - np.eye(3)
    with pytest.raises(ValidationError, match="states"):
        analysis.energy(w, np.ones((2, 3)) * 1e200)  # was -inf
    assert analysis.energy(w, np.ones(3)) == -3.0


@pytest.mark.parametrize(
    ("args", "name"),
    [((float("nan"), 0.1, 0.0), "a"), ((2.0, 0.1, 0.0), "a"), ((0.1, -0.5, 0.0), "p01")],
)
def test_transinformation_refuses_what_is_not_a_probability(args, name):
    with pytest.raises(ValidationError, match=name):
        transinformation(*args)  # was NaN, or 0.47 bits for a = 2


def test_capacity_that_would_be_infinite_is_refused():
    # 99 silent outputs: at most 99 add errors per recall, below any goal >= 99.
    with pytest.raises(ValidationError, match="fidelity"):
        willshaw_capacity(1000, 100, 10, 1, fidelity=1e300)  # was inf
    assert np.isfinite(willshaw_capacity(1000, 100, 10, 1, fidelity=0.5))


def test_false_positive_rate_is_a_probability():
    for p in (2, 100, 10**6, 2**62):
        assert 0.0 <= false_positive_rate(p, 1000, 1000, 10, 10) <= 1.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("beta", [1e-300, 1e-30, 1e-12])
def test_modern_energy_at_small_beta_tends_to_its_limit(dtype, beta):
    # E = -lse(beta, X xi) + xi.xi / 2 + log(P) / beta + M^2 / 2 tends, as beta -> 0,
    # to -mean_mu(xi_mu . xi) + xi.xi / 2 + M^2 / 2 (the error is beta var(z) / 2).
    # Before: log P - log_total rounded to 0 (float64: -max instead of -mean, 0.0
    # here instead of 9.3 to 12) or, in float32, overflowed to -inf after the check.
    mem = nm.create("modern-hopfield", n_units=20, beta=beta, dtype=dtype).store(X)
    z = X @ X.T
    limit = -z.mean(axis=1) + 10 + 10  # xi.xi / 2 = M^2 / 2 = N / 2
    rtol = 1e-6 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(mem.energy(X), limit, rtol=rtol)


def test_modern_energy_matches_log_sum_exp_at_moderate_beta():
    from scipy.special import logsumexp

    for beta in (1e-6, 0.1, 1.0, 10.0):
        mem = nm.create("modern-hopfield", n_units=20, beta=beta).store(X)
        s = nm.patterns.flip(X, 0.2, seed=1)
        z = s @ X.T
        want = -logsumexp(beta * z, axis=1) / beta + 10 + np.log(3) / beta + 10
        np.testing.assert_allclose(mem.energy(s), want, rtol=1e-9)


@pytest.mark.parametrize(
    ("dtype", "theta"), [("float64", 1e308), ("float64", -1e308), ("float32", 1e300)]
)
def test_a_threshold_beyond_the_dtype_is_refused_by_name(dtype, theta):
    # Before: accepted, stored as an infinite bias W 1 - 2 theta, and reported at
    # recall as oversized "weights" (or a RuntimeWarning of the float32 cast).
    p = np.array([[0, 1, 0, 1, 0, 1, 0, 1, 0, 1], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]], float)
    with pytest.raises(ValidationError, match="threshold"):
        nm.create("hopfield", n_units=10, units="binary", threshold=theta, dtype=dtype)
    mem = nm.create("hopfield", n_units=10, units="binary", dtype=dtype).store(p)
    before = mem.threshold_
    with pytest.raises(ValidationError, match="threshold"):
        mem.set_threshold(theta)
    assert mem.threshold_ == before and mem.threshold == "auto"
    np.testing.assert_array_equal(mem.recall(p).states, p)


@pytest.mark.parametrize("rule", [None, "covariance"])
def test_an_all_active_stored_pattern_is_recalled(rule):
    # Every stored unit active: no silent field to separate from. The automatic
    # threshold was 0, the fields are 0 (W = 0), a tie, so recall returned the silent
    # state for the stored pattern. Now it lies below the active units' fields.
    p = np.ones((1, 6))
    mem = nm.create("hopfield", n_units=6, units="binary", rule=rule).store(p)
    np.testing.assert_array_equal(mem.recall(p).states, p)
    silent = nm.create("hopfield", n_units=6, units="binary", rule=rule).store(0 * p)
    np.testing.assert_array_equal(silent.recall(p).states, 0 * p)
