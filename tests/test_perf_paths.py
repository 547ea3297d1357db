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
    if name == "willshaw":
        return nm.patterns.random_sparse(5, n, n_active=5, seed=0)
    return nm.patterns.random_bipolar(5, n, seed=0)


_MODEL_CASES = [
    ("hopfield", {}),
    ("hopfield", {"dynamics": "async"}),
    ("hopfield", {"rule": "storkey"}),
    ("hopfield", {"rule": "pseudoinverse"}),
    ("hopfield", {"rule": "perceptron"}),
    ("hopfield", {"topology": "erdos_renyi", "connectivity": 0.5}),
    ("dense-hopfield", {}),
    ("modern-hopfield", {}),
    ("hebbian", {}),
    ("linear-associator", {}),
    ("willshaw", {}),
    ("mlp", {"epochs": 3, "early_stopping": False}),
    ("mlp", {"epochs": 3, "early_stopping": False, "optimizer": "sgd"}),
    ("mlp", {"epochs": 3, "early_stopping": False, "optimizer": "momentum", "loss": "mse"}),
]


def _make(name, params, n):
    try:
        return nm.create(name, n_units=n, dtype="float32", seed=0, **params)
    except nm.ValidationError:
        if "topology" in params:  # not every branch names these the same way
            pytest.skip(f"{name} takes no {params}")
        raise


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
    assert {m for m, _ in _MODEL_CASES} >= set(nm.list_models()) - {"sequence"}


@pytest.mark.parametrize("name", sorted(nm.list_rules()))
def test_float32_rules_stay_float32(name):
    rng = np.random.default_rng(0)
    n = 12
    rule = nm.create_rule(name, learning_rate=0.1)
    pre = np.sign(rng.standard_normal((4, n))).astype(np.float32)
    post = np.tanh(rng.standard_normal((4, n))).astype(np.float32)
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
