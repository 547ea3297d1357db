"""The one tie law (neuromem.ties), against plain-numpy references."""

from __future__ import annotations

import numpy as np

import neuromem as nm
from neuromem import dynamics, ties
from neuromem.models import dense_law, sequence


def test_decide_matches_the_written_law():
    rng = np.random.default_rng(0)
    h = rng.choice([-2.0, -1e-14, 0.0, 1e-14, 2.0], size=(50, 7))
    s = rng.choice([-1.0, 0.0, 0.5, -0.3, 1.0], size=(50, 7))
    tol = 1e-12
    ref = np.where(h > tol, 1.0, np.where(h < -tol, -1.0, np.where(s < 0, -1.0, 1.0)))
    np.testing.assert_array_equal(ties.decide(h, s, tol), ref)
    # 0/1 units: a tie is inactive whatever the state.
    ref01 = np.where(h > tol, 1.0, -1.0)
    np.testing.assert_array_equal(ties.decide(h, s, tol, binary=True), ref01)


def test_rounding_tolerance_is_gamma_n_doubled():
    mags = np.array([1.0, 3.0, 0.0])
    eps = np.finfo(np.float32).eps
    got = ties.rounding_tolerance(mags, 9, np.float32, error=np.array([0, 1e-3, 0]))
    ref = 2 * (10 * eps * mags + np.array([0, 1e-3, 0]))
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_one_law_everywhere():
    """The dynamics, the sequence network and the dense network decide with it."""
    assert dynamics.decide is ties.decide
    assert dynamics.tie_tolerances is ties.tie_tolerances
    assert sequence.decide is ties.decide
    # The dense network's compiled sweep inlines the law: tests/models/test_dense_async.py
    assert dense_law.decide is ties.decide
    assert not hasattr(sequence, "_TIE_ULPS")


def test_sequence_tolerance_is_the_hopfield_tolerance_of_its_synapse():
    x = nm.patterns.random_bipolar(6, 40, seed=3)
    mem = nm.create("sequence", n_units=40).store(x)
    cue = x[:2].copy()
    cue[:, :5] = 0.0  # masked units: the largest value of each cue is still 1
    h, tol = mem._field(cue, cue)
    unit = ties.tie_tolerances(mem.transition_synapse_)
    np.testing.assert_allclose(tol, mem.transition * np.tile(unit, (2, 1)))
    w = mem.transition_synapse_.weights
    np.testing.assert_allclose(h, cue @ np.asarray(w).T, atol=1e-12)


def test_a_diluted_topology_counts_its_connections_dense_or_sparse():
    """``n_i`` is the number of connections of unit ``i``, however the weights are held:
    a dense matrix of a diluted topology (zeros outside it) gets the sparse layout's
    tolerances, so the same weights recall the same states."""
    n = 500
    topo = nm.topology.erdos_renyi(n, 30 / n, seed=1)
    x = nm.patterns.random_bipolar(60, n, seed=2)
    cues = nm.patterns.flip(x, 0.2, seed=3)
    mems = [
        nm.create(
            "hopfield",
            n_units=n,
            rule="pseudoinverse",
            topology=topo,
            dtype="float32",
            sparse=sparse,
        ).store(x)
        for sparse in (True, False)
    ]
    # The law written out in numpy: 2 (n_i + 1) eps sum_j |w_ij| + 2 n_i weight_atol_.
    dense = mems[1]
    w = np.asarray(dense.synapse_.weights, dtype=np.float64)
    n_in = np.diff(topo.adjacency.indptr)
    eps = np.finfo(np.float32).eps
    atol = dense.synapse_.rule.weight_atol_
    ref = 2 * (n_in + 1) * eps * np.abs(w).sum(axis=1) + 2 * n_in * atol
    for mem in mems:
        np.testing.assert_allclose(ties.tie_tolerances(mem.synapse_), ref, rtol=1e-4)
    sparse_res, dense_res = (mem.recall(cues) for mem in mems)
    np.testing.assert_array_equal(dense_res.states, sparse_res.states)
    np.testing.assert_array_equal(dense_res.steps, sparse_res.steps)
    np.testing.assert_array_equal(dense_res.converged, sparse_res.converged)
    # Counted as n_pre = 500 inputs, most fields were ties: the dense recall stopped at
    # the cue, "converged", after a few sweeps.
    assert (dense_res.states != cues).mean() > 0.2
