"""The compiled sweeps of +/-1 states on sparse synapses, the compiled sampler and the
compiled sparse store, against plain numpy/scipy references written here."""

import numpy as np
import pytest
import scipy.sparse as sp

import neuromem as nm
from neuromem import dynamics, sign_sweeps
from neuromem.synapse import Population, Synapse

numba = pytest.importorskip("numba")


def reference_sync(w, bias, cues, max_steps, tol, binary, follow):
    """Textbook synchronous dynamics with scipy's products, one cue at a time."""
    out = cues.copy()
    steps = np.zeros(len(cues), int)
    converged = np.zeros(len(cues), bool)
    for b in range(len(cues)):
        s, before = cues[b].copy(), None
        for t in range(1, max_steps + 1):
            h = w @ s
            if bias is not None:
                h = h + bias
            new = np.where(h > tol, 1, -1 if binary else np.where(h < -tol, -1, s))
            new = new.astype(s.dtype)
            steps[b] = t
            if np.array_equal(new, s):
                converged[b] = True
                s = new
                break
            if before is not None and not follow and np.array_equal(new, before):
                s = new
                break
            before, s = s, new
        out[b] = s
    return out, steps, converged


def _synapse(rng, n, dtype, directed, bias):
    topo = nm.topology.erdos_renyi(
        n, 8 / n, seed=int(rng.integers(1000)), directed=directed
    )
    pop = Population(n, "sign")
    w = sp.random(n, n, density=1.0, random_state=int(rng.integers(1000)), format="csr")
    # Multiples of 1/8 (exact ties happen) of either sign.
    w.data = np.round(8 * (w.data - 0.5)) / 8
    b = np.round(4 * rng.standard_normal(n)) / 8 if bias else False
    return Synapse(pop, pop, topology=topo, weights=w, bias=b, dtype=dtype)


@pytest.mark.parametrize("case", range(12))
def test_sign_sweeps_equal_the_reference_and_full_recomputation(case, monkeypatch):
    rng = np.random.default_rng(case)
    n = int(rng.integers(20, 300))
    dtype = "float32" if case % 2 else "float64"
    syn = _synapse(rng, n, dtype, directed=case % 3 == 0, bias=case % 4 == 1)
    # More than 16 cues in some cases: several groups of 16, the last one partial.
    n_cues = int(rng.integers(1, 11) if case % 4 else rng.integers(17, 40))
    cues = np.where(rng.random((n_cues, n)) < 0.5, 1, -1).astype(dtype)
    tol = dynamics.tie_tolerances(syn)
    binary = case % 5 == 2
    for follow in (False, True):
        want = reference_sync(syn.weights, syn.bias, cues, 25, tol, binary, follow)
        for mode, fraction in (("events", 0.3), ("events", 1.0), ("full", 0.3)):
            # fraction 1.0: every sweep after the first visits only the reached rows.
            monkeypatch.setattr(sign_sweeps, "EVENT_FRACTION", fraction)
            monkeypatch.setenv("NEUROMEM_SWEEPS", mode)
            assert sign_sweeps.applicable(syn, cues, tol)
            got = dynamics.synchronous(
                syn.input, cues, 25, tol=tol, binary=binary, follow_cycles=follow
            )
            for g, w in zip(got[:3], want, strict=True):
                np.testing.assert_array_equal(g, w)
            mine = cues.copy()
            own = dynamics.synchronous(
                syn.input,
                mine,
                25,
                tol=tol,
                binary=binary,
                follow_cycles=follow,
                overwrite=True,
            )
            assert own[0] is mine  # the result written into the caller's copy
            for g, w in zip(own[:3], want, strict=True):
                np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(cues, np.where(cues > 0, 1, -1))  # not modified
    new = sign_sweeps.one_sweep(syn, cues, tol, binary)
    np.testing.assert_array_equal(new, dynamics.decide(syn.input(cues), cues, tol, binary))


@pytest.mark.parametrize("given", ["float64", "float32"])
def test_sparse_recall_writes_its_result_into_its_own_copy_of_the_cues(given):
    # The result of the compiled sweeps goes into the recall's own copy of the cues:
    # one array of the cues' size (in the model's dtype) at the peak, not two, and
    # the caller's cues stay as given, even when they are already in that dtype.
    import tracemalloc

    n, n_cues = 20_000, 32
    mem = nm.create(
        "hopfield",
        n_units=n,
        topology=nm.topology.erdos_renyi(n, 10 / n, seed=0),
        dtype="float32",
    )
    x = nm.patterns.random_bipolar(3, n, seed=1)
    mem.store(x)
    cues = nm.patterns.flip(x[np.arange(n_cues) % 3], 0.1, seed=2).astype(given)
    kept = cues.copy()
    want = mem.recall(cues)  # also caches the tie tolerances
    tracemalloc.start()
    try:
        got = mem.recall(cues)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(cues, kept)
    np.testing.assert_array_equal(got.states, want.states)
    assert nm.metrics.overlap(got.states, x[np.arange(n_cues) % 3]).min() > 0.9
    assert peak < 1.5 * n_cues * n * 4, peak / (n_cues * n * 4)


def test_sign_sweeps_only_take_what_they_reproduce():
    rng = np.random.default_rng(0)
    syn = _synapse(rng, 50, "float32", directed=False, bias=False)
    tol = dynamics.tie_tolerances(syn)
    signs = np.ones((2, 50), dtype=np.float32)
    assert sign_sweeps.applicable(syn, signs, tol)
    masked = signs.copy()
    masked[0, 3] = 0  # a masked unit: the general path's law for 0 states
    assert not sign_sweeps.applicable(syn, masked, tol)
    assert not sign_sweeps.applicable(syn, signs.astype(np.float64), tol)
    assert not sign_sweeps.applicable(syn, signs, tol.astype(np.float64))


@pytest.mark.parametrize("directed", [False, True])
def test_compiled_erdos_renyi_is_a_seeded_graph_of_the_right_law(directed):
    n, k = 200_000, 12  # above the skip-sampling threshold: the compiled sampler
    a = nm.topology.erdos_renyi(n, k / n, seed=5, directed=directed).adjacency
    b = nm.topology.erdos_renyi(n, k / n, seed=5, directed=directed).adjacency
    c = nm.topology.erdos_renyi(n, k / n, seed=6, directed=directed).adjacency
    assert a.indices.dtype == np.int32 and a.indptr.dtype == np.int32
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indptr, c.indptr)
    assert not a.diagonal().any()
    rows = np.repeat(np.arange(n), np.diff(a.indptr))
    key = rows.astype(np.int64) * n + a.indices
    assert np.all(np.diff(key) > 0)  # sorted rows, no duplicate
    pairs = n * (n - 1) if directed else n * (n - 1) // 2
    drawn = a.nnz if directed else a.nnz // 2
    p = k / n
    assert abs(drawn - pairs * p) < 5 * np.sqrt(pairs * p * (1 - p))
    if not directed:
        assert (a != a.T).nnz == 0
    else:
        assert (a != a.T).nnz > 0


@pytest.mark.parametrize("directed", [False, True])
def test_compiled_erdos_renyi_does_not_depend_on_the_thread_count(directed):
    n, k = 200_000, 6
    before = numba.get_num_threads()
    graphs = []
    try:
        for threads in (1, before):
            numba.set_num_threads(threads)
            a = nm.topology.erdos_renyi(n, k / n, seed=3, directed=directed).adjacency
            graphs.append((a.indptr.copy(), a.indices.copy()))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(graphs[0][0], graphs[1][0])
    np.testing.assert_array_equal(graphs[0][1], graphs[1][1])


def test_sparse_hebbian_store_equals_the_numpy_sum():
    n = 3000
    topo = nm.topology.erdos_renyi(n, 30 / n, seed=1)
    x = nm.patterns.random_bipolar(5, n, seed=2).astype(np.float32)
    mem = nm.create("hopfield", n_units=n, topology=topo, dtype="float32").store(x)
    w = mem.synapse_.weights
    rows = np.repeat(np.arange(n), np.diff(w.indptr))
    want = x[0, rows] * x[0, w.indices]
    for p in range(1, len(x)):
        want += x[p, rows] * x[p, w.indices]
    want *= np.float32(1.0 / n)
    np.testing.assert_array_equal(w.data, want)
