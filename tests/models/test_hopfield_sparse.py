"""0/1 units with a threshold: sparse patterns (Tsodyks & Feigel'man 1988)."""

import numpy as np
import pytest

import neuromem as nm
from neuromem.testing import check_memory


def test_binary_network_equals_a_plain_threshold_network():
    # s_i <- 1 if sum_j w_ij s_j > theta, else 0 (a tie is inactive, the documented
    # 0/1 law of neuromem.dynamics): run naively. Exact ties do occur here (a field of
    # -7e-18 that is 0 in exact arithmetic), so the law at a tie is tested too.
    x = nm.patterns.random_sparse(30, 200, coding_level=0.1, seed=0)
    mem = nm.create("hopfield", n_units=200, units="binary", rule="covariance").store(x)
    w, theta = mem.weights_, mem.threshold_
    cues = nm.patterns.flip(x, 0.05, seed=1)
    res = mem.recall(cues)
    for b in range(len(cues)):
        s, before = cues[b].copy(), None
        for _ in range(100):
            h = w @ s - theta
            new = np.where(h > 1e-12, 1.0, 0.0)
            if np.array_equal(new, s) or (
                before is not None and np.array_equal(new, before)
            ):
                break  # a fixed point, or a period-2 cycle (synchronous updates)
            s, before = new, s
        np.testing.assert_array_equal(res.states[b], new)
        assert res.converged[b] == np.array_equal(new, s)
    assert set(np.unique(res.states)) <= {0.0, 1.0}


def _overlap_at(a, alpha, n=600):
    x = nm.patterns.random_sparse(round(alpha * n), n, coding_level=a, seed=0)
    mem = nm.create("hopfield", n_units=n, units="binary").store(x)  # tsodyks-feigelman
    return nm.metrics.overlap(
        mem.recall(nm.patterns.flip(x, 0.01, seed=1)).states, x
    ).mean()


def test_sparse_patterns_are_stored_far_beyond_the_dense_capacity():
    # The critical load grows as the coding level a falls (at N = 500 about 0.70 at
    # a = 0.05 and 0.40 at a = 0.1, experiments/sparse_capacity.py; the a -> 0 asymptote
    # 1 / (2 a ln(1/a)) is far above both); +/-1 Hebbian storage stops near 0.14.
    # Overlaps are the sparse overlap of metrics.overlap.
    sparse_005 = _overlap_at(0.05, 0.4)
    sparse_010 = _overlap_at(0.10, 0.4)
    x = nm.patterns.random_bipolar(180, 600, seed=0)
    dense = nm.create("hopfield", n_units=600).store(x)
    dense_overlap = nm.metrics.overlap(
        dense.recall(nm.patterns.flip(x, 0.01, seed=1)).states, x
    ).mean()
    assert sparse_005 > 0.85  # measured 0.879
    # measured 0.73 (0.58 with the former fewest-errors threshold): at alpha 0.4 the
    # denser code is at its critical load (0.40 at N = 500), the sparser far below it.
    assert sparse_010 < 0.8
    assert sparse_005 - sparse_010 > 0.1
    assert dense_overlap < 0.6  # measured about 0.4, past alpha_c = 0.138
    assert _overlap_at(0.10, 0.14) > 0.97  # the a = 0.1 network still works at 0.14


def test_auto_threshold_sits_between_active_and_inactive_fields():
    x = nm.patterns.random_sparse(40, 400, coding_level=0.1, seed=2)
    mem = nm.create("hopfield", n_units=400, units="binary", rule="covariance").store(x)
    h = x @ mem.weights_.T
    assert h[x == 0].mean() < mem.threshold_ < h[x == 1].mean()
    fixed = nm.create(
        "hopfield", n_units=400, units="binary", rule="covariance", threshold=0.5
    ).store(x)
    assert fixed.threshold_ == 0.5
    # A threshold above every field silences the network.
    assert fixed.recall(x).states.sum() == 0


def test_masked_sparse_cues_are_completed():
    x = nm.patterns.random_sparse(20, 400, n_active=40, seed=0)
    mem = nm.create("hopfield", n_units=400, units="binary", rule="covariance").store(x)
    partial = nm.patterns.mask(x, 0.2, seed=1)  # a fifth of the units unknown -> off
    assert nm.metrics.overlap(mem.recall(partial).states, x).min() == 1.0


def test_energy_of_0_1_states_never_rises_under_async_updates():
    x = nm.patterns.random_sparse(80, 200, coding_level=0.1, seed=0)
    mem = nm.create(
        "hopfield", n_units=200, units="binary", rule="covariance", dynamics="async", seed=0
    ).store(x)
    cues = nm.patterns.random_sparse(10, 200, coding_level=0.1, seed=3)
    res = mem.recall(cues)
    e0, e1 = mem.energy(cues), mem.energy(res.states)
    assert np.all(e1 <= e0 + 1e-12)
    s = res.states[0]
    assert mem.energy(s) == pytest.approx(
        -0.5 * s @ mem.weights_ @ s + mem.threshold_ * s.sum()
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"dynamics": "async"},
        {"threshold": 0.02},
        {"topology": nm.topology.erdos_renyi(100, 0.2, seed=0)},
    ],
)
def test_conformance(options):
    x = nm.patterns.random_sparse(6, 100, coding_level=0.1, seed=0)
    check_memory(
        nm.create(
            "hopfield", n_units=100, units="binary", rule="covariance", seed=0, **options
        ),
        x,
    )


def test_bad_input_for_binary_units():
    with pytest.raises(nm.ValidationError, match="units"):
        nm.create("hopfield", n_units=10, units="ternary")
    with pytest.raises(nm.ValidationError, match="stores 0/1 patterns") as err:
        nm.create("hopfield", n_units=10, units="binary", rule="storkey")
    assert err.value.param == "rule"
    with pytest.raises(nm.ValidationError, match="threshold"):
        nm.create("hopfield", n_units=10, units="binary", threshold="high")
    with pytest.raises(nm.ValidationError, match="threshold"):
        nm.create("hopfield", n_units=10, units="binary", threshold=float("nan"))
    mem = nm.create("hopfield", n_units=10, units="binary", rule="covariance")
    with pytest.raises(nm.ValidationError, match="0/1 values"):
        mem.store(nm.patterns.random_bipolar(2, 10, seed=0))
    with pytest.raises(nm.ValidationError, match="units"):
        mem.store(nm.patterns.random_sparse(2, 10, n_active=3, seed=0)).unlearn(5)


def test_save_and_load_keep_the_threshold(tmp_path):
    x = nm.patterns.random_sparse(10, 100, coding_level=0.1, seed=0)
    mem = nm.create("hopfield", n_units=100, units="binary", rule="covariance").store(x)
    mem.save(tmp_path / "m.npz")
    back = nm.load(tmp_path / "m.npz")
    assert back.threshold_ == mem.threshold_ and back.units == "binary"
    cues = nm.patterns.flip(x, 0.05, seed=1)
    np.testing.assert_array_equal(back.recall(cues).states, mem.recall(cues).states)
