"""Event-driven synchronous sweeps and the compiled sparse field, against full
recomputation on networks larger than the property tests' (where the updates are
partial: few units change after the first sweep)."""

import os
from contextlib import contextmanager

import numpy as np
import pytest

import neuromem as nm
from neuromem import _kernels, sweeps
from neuromem import dynamics as dyn


@contextmanager
def env(name, value):
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


def _recall(mem, cues, mode, kernels="auto", **kw):
    with env("NEUROMEM_SWEEPS", mode), env("NEUROMEM_KERNELS", kernels):
        return mem.recall(cues, **kw)


KERNELS = ["numpy"] + (["numba"] if _kernels.AVAILABLE else [])


@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sparse", [False, True])
def test_events_give_the_full_recomputation(kernels, dtype, sparse):
    n = 1500
    topo = nm.topology.erdos_renyi(n, 30 / n, seed=3) if sparse else None
    mem = nm.create("hopfield", n_units=n, topology=topo, dtype=dtype)
    x = nm.patterns.random_bipolar(4 if sparse else 150, n, seed=1)
    mem.store(x)
    cues = nm.patterns.flip(x[np.arange(12) % len(x)], 0.2, seed=2)
    cues[0, :40] = 0.0  # a masked cue
    full = _recall(mem, cues, "full", kernels, record="overlaps", record_energy=True)
    ev = _recall(mem, cues, "events", kernels, record="overlaps", record_energy=True)
    fractions = sweeps.EventFields.full_fraction, sweeps.EventFields.sparse_fraction
    try:  # the updates on every sweep after the first, however many units changed
        sweeps.EventFields.full_fraction = sweeps.EventFields.sparse_fraction = np.inf
        always = _recall(mem, cues, "events", kernels, record="overlaps")
    finally:
        sweeps.EventFields.full_fraction, sweeps.EventFields.sparse_fraction = fractions
    np.testing.assert_array_equal(always.states, full.states)
    np.testing.assert_array_equal(always.steps, full.steps)
    np.testing.assert_array_equal(always.converged, full.converged)
    np.testing.assert_array_equal(
        always.trajectory["overlaps"], full.trajectory["overlaps"]
    )
    assert full.steps.max() >= 3  # several sweeps: the updates ran
    # An undirected random graph is known to be symmetric: exact row updates.
    with env("NEUROMEM_KERNELS", kernels):
        fields = sweeps.EventFields(mem.synapse_)
    assert fields.exact == (sparse and kernels == "numba")
    np.testing.assert_array_equal(ev.states, full.states)
    np.testing.assert_array_equal(ev.steps, full.steps)
    np.testing.assert_array_equal(ev.converged, full.converged)
    np.testing.assert_array_equal(ev.energy, full.energy)
    np.testing.assert_array_equal(ev.trajectory["overlaps"], full.trajectory["overlaps"])


@pytest.mark.skipif(not _kernels.AVAILABLE, reason="numba not installed")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_sparse_field_is_scipys_bit_for_bit(dtype):
    n = 3000
    topo = nm.topology.erdos_renyi(n, 40 / n, seed=0)
    mem = nm.create("hopfield", n_units=n, topology=topo, dtype=dtype)
    mem.store(nm.patterns.random_bipolar(5, n, seed=1))
    s = nm.patterns.random_bipolar(7, n, seed=2).astype(dtype)
    syn = mem.synapse_
    want = syn.input(s)
    fields = dyn.EventFields(syn)
    fields.compiled = True
    got = fields.full(s)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    # Graded states are not +/-1: the synapse's own product.
    s[0, 0] = 0.5
    np.testing.assert_array_equal(fields.full(s), syn.input(s))


def test_sweeps_mode_is_validated():
    with env("NEUROMEM_SWEEPS", "bogus"), pytest.raises(nm.ValidationError):
        dyn.sweep_mode()


@pytest.mark.parametrize("kind", ["bipolar", "binary", "real", "flat"])
def test_stored_overlaps_is_one_product_with_overlaps_numbers(kind):
    rng = np.random.default_rng(5)
    n = 200
    if kind == "bipolar":
        x = np.where(rng.random((6, n)) < 0.5, -1.0, 1.0)
        s = np.where(rng.random((9, n)) < 0.5, -1.0, 1.0)
        s[0] = 0.3  # a graded state
    elif kind in ("binary", "flat"):
        x = (rng.random((6, n)) < 0.1).astype(float)
        s = (rng.random((9, n)) < 0.2).astype(float)
        if kind == "flat":
            x[2] = 0.0  # all silent: the +/-1 overlap
    else:
        x = rng.standard_normal((6, n))
        s = rng.standard_normal((9, n))
    got = dyn.stored_overlaps(x)(s)
    want = np.stack([nm.metrics.overlap(s, np.broadcast_to(xi, s.shape)) for xi in x], 1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    if kind != "real":
        np.testing.assert_array_equal(got[1:], want[1:])  # integer sums: exact


def test_stored_overlaps_refuses_what_overlap_refuses():
    x = (np.random.default_rng(0).random((3, 50)) < 0.2).astype(float)
    with pytest.raises(nm.ValidationError):
        dyn.stored_overlaps(x)(-np.ones((2, 50)))


@pytest.mark.parametrize("kernels", KERNELS)
def test_sparse_columns_know_a_symmetric_matrix(kernels):
    n = 400
    topo = nm.topology.erdos_renyi(n, 0.05, seed=0)
    mem = nm.create("hopfield", n_units=n, topology=topo)
    mem.store(nm.patterns.random_bipolar(3, n, seed=1))
    with env("NEUROMEM_KERNELS", kernels):
        cols = sweeps.Columns(mem.synapse_)
        assert cols.symmetric and cols.indices is mem.synapse_.weights.indices
        w = mem.synapse_._weights
        w.data[5] += 1.0  # one weight without its twin
        mem.synapse_._derived.clear()
        cols = sweeps.Columns(mem.synapse_)
    assert not cols.symmetric
    t = w.T.tocsr()
    t.sort_indices()
    np.testing.assert_array_equal(cols.indices, t.indices)
    np.testing.assert_array_equal(cols.data, t.data)
