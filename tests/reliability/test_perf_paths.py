"""Fast paths against their reference paths (issue 12, issue 10's crash).

Every fast path here is compared with a plain-numpy reference written in the test, on
small random cases, with the fast path forced on (block sizes and limits made small).
"""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
import neuromem.layout as layout_mod
from neuromem.layout import gram


# -- issue 10: the Gram product that never reaches the crashing BLAS syrk ---------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    ("p", "n", "block"), [(7, 53, 8), (30, 40, 40), (5, 33, 1), (1, 9, 4)]
)
def test_blocked_gram_matches_numpy(dtype, p, n, block):
    a = np.random.default_rng(p * n).standard_normal((p, n)).astype(dtype)
    ref = np.einsum("pi,pj->ij", a.astype(np.float64), a.astype(np.float64))
    out = np.full((n, n), np.nan, dtype=dtype)
    gram(a, out, block=block)
    assert out.dtype == dtype
    tol = 1e-12 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol * np.abs(ref).max())
    np.testing.assert_array_equal(out, out.T)  # the mirrored half is exact


def test_blocked_gram_of_integers_is_exact():
    # +/-1 patterns: every entry is an integer, so any summation order gives it exactly.
    a = nm.patterns.random_bipolar(20, 37, seed=0)
    out = np.empty((37, 37))
    np.testing.assert_array_equal(gram(a, out, block=6), (a.T @ a))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_hopfield_store_takes_the_blocked_path_when_large(monkeypatch, dtype):
    # Pretend every Gram matrix is "large": the store must use panels and still give
    # W = X^T X / N with a zero diagonal, as the numpy reference does.
    monkeypatch.setattr(layout_mod, "_SYRK_MAX_BYTES", 0)
    monkeypatch.setattr(layout_mod, "_GRAM_BLOCK", 7)
    n = 50
    x = nm.patterns.random_bipolar(12, n, seed=1)
    mem = nm.create("hopfield", n_units=n, dtype=dtype).store(x)
    ref = x.T @ x / n
    np.fill_diagonal(ref, 0)
    w = mem.weights_
    assert w.dtype == dtype
    tol = 1e-15 if dtype == "float64" else 1e-7
    np.testing.assert_allclose(w, ref, rtol=0, atol=tol)
    np.testing.assert_array_equal(w, w.T)


# -- issue 12 §1: float32 models stay float32 end to end --------------------------------
def _float_arrays(obj, path="model", seen=None):
    """Every floating ndarray reachable from ``obj``'s attributes (and lists, dicts)."""
    import scipy.sparse as sp

    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc":
            yield path, obj
        return
    if sp.issparse(obj):
        if obj.dtype.kind in "fc":
            yield path, obj.data
        return
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("neuromem"):
        items = vars(obj).items()
    else:
        return
    for k, v in items:
        yield from _float_arrays(v, f"{path}.{k}", seen)


# Arrays that are not model numerics: measurements of training kept in float64, and
# the populations' initial states (a Population has no dtype; nothing reads them here).
_NOT_NUMERICS = ("history_", ".pre.state", ".post.state", "populations")


def _assert_float32(obj, what):
    bad = [
        f"{p}: {a.dtype}"
        for p, a in _float_arrays(obj, what)
        if a.dtype != np.float32 and not any(s in p for s in _NOT_NUMERICS)
    ]
    assert not bad, "silent promotion to another dtype: " + ", ".join(bad)


def _data_for(name, n):
    from neuromem.registry import models

    if name == "willshaw" or "bipolar" not in nm.get_tags(models.get(name)).encodings:
        return nm.patterns.random_sparse(5, n, n_active=5, seed=0)
    return nm.patterns.random_bipolar(5, n, seed=0)


_MODEL_CASES = [
    ("hopfield", {}),
    ("hopfield", {"dynamics": "async"}),
    ("hopfield", {"rule": "storkey"}),
    ("hopfield", {"rule": "pseudoinverse"}),
    ("hopfield", {"rule": "perceptron"}),
    ("hopfield", {"topology": nm.topology.erdos_renyi(24, 0.5, seed=0)}),
    ("dense-hopfield", {}),
    ("modern-hopfield", {}),
    ("hebbian", {}),
    ("linear-associator", {}),
    ("willshaw", {}),
    ("mlp", {"epochs": 3, "early_stopping": False}),
    ("mlp", {"epochs": 3, "early_stopping": False, "optimizer": "sgd"}),
    ("mlp", {"epochs": 3, "early_stopping": False, "optimizer": "momentum", "loss": "mse"}),
    ("spiking-assembly", {"present_ms": 20.0, "recall_ms": 10.0}),
]


def _make(name, params, n):
    return nm.create(name, n_units=n, dtype="float32", seed=0, **params)


@pytest.mark.parametrize(("name", "params"), _MODEL_CASES)
def test_float32_models_stay_float32(name, params):
    n = 24
    mem = _make(name, params, n)
    x = _data_for(name, n)
    mem.store(x)
    cues = x.copy()
    cues[:, :3] = x[::-1, :3]
    res = mem.recall(cues)
    _assert_float32(res.states, "recall.states")
    _assert_float32(res.info, "recall.info")
    _assert_float32(mem, name)
    mem.store(_data_for(name, n)[::-1].copy())  # a second store adds to float32 weights
    _assert_float32(mem, name)


def test_every_registered_model_is_covered_by_the_float32_test():
    from neuromem.registry import models

    # The package's own models (plugins and models other tests register are not ours).
    ours = {m for m in nm.list_models() if models.get(m).__module__.startswith("neuromem.")}
    assert {m for m, _ in _MODEL_CASES} >= ours - {"sequence"}


@pytest.mark.parametrize("name", sorted(nm.list_rules()))
def test_float32_rules_stay_float32(name):
    rng = np.random.default_rng(0)
    n = 12
    rule = nm.create_rule(name, learning_rate=0.1)
    # Activities in the rule's declared encodings: spike-train rules take 0/1 only.
    encodings = nm.get_tags(rule).encodings
    pre = np.sign(rng.standard_normal((4, n))).astype(np.float32)
    post = np.tanh(rng.standard_normal((4, n))).astype(np.float32)
    if "bipolar" not in encodings:
        pre = (pre > 0).astype(np.float32)
    if "real" not in encodings:
        post = pre[::-1].copy() if "bipolar" not in encodings else np.sign(post)
    w = (0.1 * rng.standard_normal((n, n))).astype(np.float32)
    signal = post if rule.uses_signal else None
    d = rule.delta(pre, post, w, signal=signal)
    assert d.dtype == np.float32, f"{name}.delta returned {d.dtype}"
    pop = nm.Population(n)
    syn = nm.Synapse(pop, pop, rule=rule, weights=w, dtype="float32")
    syn.learn(pre, post, signal)
    _assert_float32(syn, f"synapse({name})")
    _assert_float32(rule, name)


def _store_peak(rule, dtype, n=400, p=10):
    import tracemalloc

    x = nm.patterns.random_bipolar(p, n, seed=0).astype(dtype)
    mem = nm.create("hopfield", n_units=n, dtype=dtype, rule=rule)
    tracemalloc.start()
    try:
        mem.store(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert mem.weights_.dtype == dtype
    return peak, x.nbytes


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudoinverse", "perceptron"])
def test_float32_store_allocates_no_float64_matrix(rule):
    # A float64 intermediate the size of the weights (numpy 2 promotes float32 * a
    # float64 scalar to float64, and a float64 product written into float32 weights
    # goes through a float64 temporary) shows in the memory a store needs; tracemalloc
    # sees numpy's allocations, so the peak betrays any such promotion: a float32
    # store must need about half the bytes of the same store in float64.
    peak32, _ = _store_peak(rule, "float32")
    peak64, _ = _store_peak(rule, "float64")
    assert peak32 <= 0.6 * peak64, (peak32, peak64)


def test_first_hebbian_store_needs_only_the_weights():
    # Issue 12 §5: a dense float32 store needs the weight matrix plus the patterns,
    # no second matrix (the Gram product is written straight into the weights).
    n = 400
    peak, x_bytes = _store_peak("hebbian", "float32", n=n)
    assert peak <= 1.1 * n * n * 4 + 10 * x_bytes, peak


# -- issue 12 §5: sparse synapses at scale ----------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch", [1, 3, 40])
def test_sparse_outer_in_row_blocks_matches_the_dense_reference(monkeypatch, dtype, batch):
    # Blocks of a few entries (and no dense-gather shortcut) against the dense product
    # read at the connections.
    monkeypatch.setattr(layout_mod, "_GATHER_LIMIT", 7)
    rng = np.random.default_rng(batch)
    n = 37
    topo = nm.topology.erdos_renyi(n, 0.2, directed=True, seed=batch)
    lay = layout_mod.SparseLayout(topo.adjacency)
    post = rng.standard_normal((batch, n)).astype(dtype)
    pre = rng.standard_normal((batch, n)).astype(dtype)
    dense = post.T.astype(np.float64) @ pre.astype(np.float64)
    rows, cols = topo.adjacency.nonzero()
    ref = dense[rows, cols]
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(lay.outer(post, pre), ref, rtol=tol, atol=tol)
    w = rng.standard_normal(lay.nnz).astype(dtype)
    w0 = w.copy()
    lay.add_outer(w, post, pre, 0.5)
    np.testing.assert_allclose(w, w0 + 0.5 * ref, rtol=tol, atol=tol)
    lay.add_outer(w, post, pre, 0.25, overwrite=True)
    np.testing.assert_allclose(w, 0.25 * ref, rtol=tol, atol=tol)
    assert w.dtype == dtype
    v = rng.standard_normal(n)
    np.testing.assert_array_equal(lay.post(v), v[rows])
    np.testing.assert_array_equal(lay.rows, rows)


def test_sparse_hopfield_store_and_recall_match_the_dense_network(monkeypatch):
    # The same diluted network stored sparse (in small blocks) and dense (masked):
    # identical weights, states and convergence.
    monkeypatch.setattr(layout_mod, "_GATHER_LIMIT", 50)
    n = 60
    topo = nm.topology.erdos_renyi(n, 0.3, seed=4)
    x = nm.patterns.random_bipolar(5, n, seed=5)
    cues = nm.patterns.flip(x, 0.15, seed=6)
    sparse = nm.create("hopfield", n_units=n, topology=topo, sparse=True).store(x)
    dense = nm.create("hopfield", n_units=n, topology=topo, sparse=False).store(x)
    np.testing.assert_allclose(sparse.weights_.toarray(), dense.weights_, atol=1e-15)
    a, b = sparse.recall(cues), dense.recall(cues)
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a.converged, b.converged)


@pytest.mark.parametrize("directed", [False, True])
def test_skip_sampled_erdos_renyi_is_the_same_law(monkeypatch, directed):
    import neuromem.topology as topo_mod

    monkeypatch.setattr(topo_mod, "_SKIP_SAMPLING", 0)
    n, p = 400, 0.05
    adj = nm.topology.erdos_renyi(n, p, directed=directed, seed=3).adjacency
    assert adj.shape == (n, n) and adj.dtype == bool and adj.has_sorted_indices
    assert not adj.diagonal().any()
    pairs = n * (n - 1) if directed else n * (n - 1) // 2
    m = adj.nnz if directed else adj.nnz // 2
    assert abs(m - p * pairs) < 4 * np.sqrt(p * (1 - p) * pairs)  # binomial count
    if not directed:
        assert (adj != adj.T).nnz == 0
    # Every pair equally likely: the row degrees follow Binomial(n - 1, p).
    deg = np.diff(adj.indptr)
    assert abs(deg.mean() - p * (n - 1)) < 4 * np.sqrt(p * (n - 1) / n)
    again = nm.topology.erdos_renyi(n, p, directed=directed, seed=3).adjacency
    assert (adj != again).nnz == 0  # seeded
    # The pair-index inverse is exact at every row boundary, even for large n.
    big = 3 * 10**6 + 7
    i = np.arange(0, big - 1, 997, dtype=np.int64)
    start = i * (2 * big - i - 1) // 2
    k = np.concatenate([start, start + 1, np.maximum(start - 1, 0)])
    r, c = topo_mod._pair_index_to_upper(k, big)
    np.testing.assert_array_equal(r * (2 * big - r - 1) // 2 + (c - r - 1), k)
    assert (r < c).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sparse_field_one_state_at_a_time_is_the_multivector_product(monkeypatch, dtype):
    rng = np.random.default_rng(0)
    n = 80
    lay = layout_mod.SparseLayout(nm.topology.erdos_renyi(n, 0.2, seed=1).adjacency)
    w = rng.standard_normal(lay.nnz).astype(dtype)
    s = np.sign(rng.standard_normal((7, n))).astype(dtype)
    monkeypatch.setattr(layout_mod, "_MATVEC_PER_STATE", 0)
    per_state = lay.field(w, s)
    monkeypatch.setattr(layout_mod, "_MATVEC_PER_STATE", 1 << 62)
    together = lay.field(w, s)
    np.testing.assert_array_equal(per_state, together)
    np.testing.assert_allclose(per_state, s @ lay.wrap(w).toarray().T, rtol=1e-5, atol=1e-5)
    assert per_state.dtype == dtype
