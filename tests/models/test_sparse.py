"""0/1 (sparse) Hopfield networks: the Tsodyks-Feigel'man rule and the threshold."""

from __future__ import annotations

import numpy as np
import pytest
from sparse_reference import (
    auto_threshold,
    fewest_errors_threshold,
    reference_recall,
    sparse_overlap,
    tf_reference,
)

import neuromem as nm
from neuromem.rules import TsodyksFeigelman
from neuromem.sparse_threshold import fewest_errors

ISSUE_P = np.array(
    [[0, 1, 0, 1, 0, 1, 0, 1, 0, 1], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]], dtype=float
)


@pytest.mark.parametrize("dynamics", ["sync", "async"])
def test_issue_patterns_are_recalled_from_themselves(dynamics):
    mem = nm.create("hopfield", n_units=10, units="binary", dynamics=dynamics, seed=0)
    mem.store(ISSUE_P)
    np.testing.assert_array_equal(mem.recall(ISSUE_P).states, ISSUE_P)
    assert mem.synapse_.rule.name == "tsodyks-feigelman"
    np.testing.assert_allclose(mem.weights_, tf_reference(ISSUE_P), atol=1e-12)


def test_one_sparse_pattern_gives_weights_and_is_recalled():
    x = np.zeros((1, 20))
    x[0, [2, 5, 11]] = 1.0
    mem = nm.create("hopfield", n_units=20, units="binary").store(x)
    assert np.count_nonzero(mem.weights_) == 20 * 19  # no unit left without weights
    np.testing.assert_allclose(mem.weights_, tf_reference(x), atol=1e-12)
    np.testing.assert_array_equal(mem.recall(x).states, x)
    cue = x.copy()
    cue[0, 2] = 0.0  # one active unit lost: completed
    np.testing.assert_array_equal(mem.recall(cue).states, x)
    # Per-unit centring (the covariance rule's) is what loses it: all-zero weights.
    unit = nm.create(
        "hopfield", n_units=20, units="binary", rule_options={"centering": "unit"}
    ).store(x)
    assert np.count_nonzero(unit.weights_) == 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("center", ["global", "unit"])
def test_weights_match_reference_and_storage_is_incremental(dtype, center):
    x = nm.patterns.random_sparse(30, 80, coding_level=0.1, seed=3)
    opts = {"centering": center}
    kw = dict(n_units=80, units="binary", rule_options=opts, dtype=dtype)
    once = nm.create("hopfield", **kw).store(x)
    parts = nm.create("hopfield", **kw).store(x[:1]).store(x[1:12]).store(x[12:])
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(once.weights_, tf_reference(x, center), atol=tol)
    np.testing.assert_allclose(parts.weights_, tf_reference(x, center), atol=tol)
    assert parts.synapse_.rule.coding_level_ == pytest.approx(x.mean())


def test_fixed_coding_level_is_local():
    x = nm.patterns.random_sparse(10, 50, coding_level=0.2, seed=1)
    rule = TsodyksFeigelman(coding_level=0.25)
    d = rule.delta(x, x, np.zeros((50, 50)))
    c = x - 0.25
    np.testing.assert_allclose(d, c.T @ c / (0.25 * 0.75), atol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"coding_level": 0.0},
        {"coding_level": 1.0},
        {"coding_level": float("nan")},
        {"coding_level": True},
        {"coding_level": "0.1"},
        {"centering": "row"},
        {"coding_level": 0.1, "centering": "unit"},
    ],
)
def test_rule_options_are_validated(kwargs):
    with pytest.raises(nm.ValidationError) as err:
        TsodyksFeigelman(**kwargs)
    assert err.value.param in kwargs


def test_silent_and_full_pattern_sets_give_zero_weights_not_nan():
    for x in (np.zeros((2, 6)), np.ones((2, 6))):
        mem = nm.create("hopfield", n_units=6, units="binary").store(x)
        assert np.all(mem.weights_ == 0)
        assert np.isfinite(mem.threshold_)


@pytest.mark.parametrize(
    ("a", "below", "above"),
    # Critical loads from clean cues at N = 500 (experiments/sparse_capacity.py, seeds
    # 0-4, threshold "auto"): 0.40 +/- 0.01 for a = 0.1 and 0.70 +/- 0.03 for a = 0.05.
    [(0.1, 0.25, 0.5), (0.05, 0.45, 0.75)],
)
def test_model_matches_numpy_reference_and_capacity(a, below, above):
    n = 300
    fractions = {}
    for alpha in (below, above):
        x = nm.patterns.random_sparse(round(alpha * n), n, coding_level=a, seed=7)
        mem = nm.create("hopfield", n_units=n, units="binary", max_steps=50).store(x)
        w = tf_reference(x)
        assert mem.threshold_ == pytest.approx(auto_threshold(x, w), rel=1e-9)
        theta = mem.threshold_
        cues = nm.patterns.flip(x, 0.02, seed=8)
        ref = reference_recall(x, w, theta, cues)
        np.testing.assert_array_equal(mem.recall(cues).states, ref)  # no disagreement
        m = sparse_overlap(ref, x)
        np.testing.assert_allclose(nm.metrics.overlap(ref, x), m, rtol=1e-9, atol=1e-12)
        fractions[alpha] = np.mean(m >= 0.95)
    assert fractions[below] > 0.5 > fractions[above]


def one_step_errors(h, x, theta):
    return int(np.sum((h > theta) != (x > 0.5)))


def test_fewest_errors_takes_one_stretch_not_the_middle_of_two():
    # Issue 19: on = [1, 3], off = [0.5, 2]: the best values 0.5 and 2 are not
    # adjacent; their midpoint 1.75 makes 2 errors, 0.75 makes 1.
    on, off = np.array([1.0, 3.0]), np.array([0.5, 2.0])
    assert fewest_errors(on, off) == 0.75
    h, x = np.concatenate([on, off]), np.array([1, 1, 0, 0])
    assert one_step_errors(h, x, fewest_errors(on, off)) == 1
    # 40 sparse patterns at N = 150 (seed 0): 22 errors are possible, not 23.
    x = nm.patterns.random_sparse(40, 150, coding_level=0.1, seed=0)
    h = x @ tf_reference(x).T
    theta = fewest_errors(h[x > 0.5], h[x < 0.5])
    vals = np.unique(h)
    fewest = min(one_step_errors(h, x, t) for t in vals)
    assert one_step_errors(h, x, theta) == fewest
    assert theta == pytest.approx(fewest_errors_threshold(h, x), rel=1e-12)


def test_auto_threshold_retrieves_at_least_as_well_as_fewest_errors():
    # Near capacity (N = 300, a = 0.05, alpha = 0.6) the auto threshold is chosen for
    # retrieval: on the stored patterns it never does worse than the fewest-errors
    # start it improves on (which is one of the thresholds it tries).
    n, a = 300, 0.05
    x = nm.patterns.random_sparse(round(0.6 * n), n, coding_level=a, seed=3)
    mem = nm.create("hopfield", n_units=n, units="binary", max_steps=50).store(x)
    w = tf_reference(x)
    h = x @ w.T
    start = fewest_errors_threshold(h, x)
    auto = sparse_overlap(reference_recall(x, w, mem.threshold_, x), x)
    old = sparse_overlap(reference_recall(x, w, start, x), x)
    assert np.mean(auto >= 0.95) >= np.mean(old >= 0.95)
    np.testing.assert_array_equal(
        mem.recall(x).states, reference_recall(x, w, mem.threshold_, x)
    )


def test_set_threshold_fixed_and_auto():
    x = nm.patterns.random_sparse(20, 200, coding_level=0.1, seed=0)
    mem = nm.create("hopfield", n_units=200, units="binary").store(x)
    auto = mem.threshold_
    assert 0.2 < auto < 0.5  # about (1 - a) / 2 minus the removed self-coupling
    assert mem.set_threshold(10.0) is mem
    assert mem.threshold_ == 10.0
    assert mem.recall(x).states.sum() == 0  # nothing reaches it
    more = nm.patterns.random_sparse(5, 200, coding_level=0.1, seed=1)
    mem.store(more)
    assert mem.threshold_ == 10.0  # a fixed threshold is kept
    mem.set_threshold("auto")  # re-tuned on everything stored, as a fresh model would
    fresh = nm.create("hopfield", n_units=200, units="binary").store(np.vstack([x, more]))
    assert mem.threshold_ == pytest.approx(fresh.threshold_, rel=1e-12)
    np.testing.assert_array_equal(mem.recall(x).states, fresh.recall(x).states)
    for bad in (float("nan"), float("inf"), "mid", None, True, [0.1]):
        with pytest.raises(nm.ValidationError, match="threshold"):
            mem.set_threshold(bad)
    with pytest.raises(nm.ValidationError, match="units"):
        nm.create("hopfield", n_units=10).set_threshold(0.0)


# -- storage that stops short says so (perceptron) -----------------------------------
def test_perceptron_beyond_its_epochs_warns_and_reports_the_fraction_stored():
    x = nm.patterns.random_bipolar(160, 100, seed=0)  # alpha = 1.6 (issue 9)
    mem = nm.create(
        "hopfield", n_units=100, rule="perceptron", rule_options={"max_epochs": 100}
    )
    with pytest.warns(nm.ConvergenceWarning, match=r"max_epochs=100") as rec:
        mem.store(x)
    assert mem.converged_ is False
    rule = mem.synapse_.rule
    w = mem.weights_
    norm = np.sqrt((w * w).sum(1))
    stored = np.mean(np.all(x * (x @ w.T) > 0.0 * norm, axis=1))  # numpy reference
    assert rule.stored_fraction_ == pytest.approx(stored)
    assert 0.0 < stored < 0.9
    assert f"{stored:.1%}" in str(rec[0].message)
    assert rec[0].filename == __file__  # points at the caller's store


def test_converged_storage_is_silent_and_says_so():
    x = nm.patterns.random_bipolar(30, 100, seed=1)
    mem = nm.create("hopfield", n_units=100, rule="perceptron").store(x)
    assert mem.converged_ is True and mem.synapse_.rule.stored_fraction_ == 1.0
    assert np.all(x * mem.field(x) > 0)
    for rule in ("hebbian", "storkey", "pseudoinverse"):
        assert nm.create("hopfield", n_units=100, rule=rule).store(x).converged_ is True
    assert (
        nm.create("hopfield", n_units=20, units="binary")
        .store(nm.patterns.random_sparse(3, 20, coding_level=0.2, seed=0))
        .converged_
    )


def test_converged_and_threshold_survive_save_and_load(tmp_path):
    x = nm.patterns.random_sparse(10, 60, coding_level=0.2, seed=2)
    mem = nm.create("hopfield", n_units=60, units="binary").store(x).set_threshold(0.3)
    mem.save(tmp_path / "m.npz")
    back = nm.load(tmp_path / "m.npz")
    assert back.converged_ is True and back.threshold_ == 0.3 and back.threshold == 0.3
    np.testing.assert_array_equal(back.weights_, mem.weights_)
    assert back.synapse_.rule.coding_level_ == pytest.approx(x.mean())
