"""Memory estimates against traced peaks where a review found them off: rows of
another dtype than the model's, the index width of small graphs, the stores of 0/1
Hopfield units, hetero-associative targets and the sparse sequence memory."""

import warnings

import numpy as np
import pytest

import neuromem as nm
from neuromem.memory_probe import measured_peaks
from neuromem.testing import check_memory_estimate

N = 1000


def _bipolar(rng, p, n, dtype="float64"):
    return np.where(rng.random((p, n)) < 0.5, -1.0, 1.0).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("n_cues", [1, 10, 33])
def test_sparse_recall_of_cues_in_another_dtype_is_counted(dtype, directed, n_cues):
    # Cues of the other float dtype are converted: the copy sits beside the cues.
    rng = np.random.default_rng(1)
    other = "float64" if dtype == "float32" else "float32"
    topo = nm.topology.erdos_renyi(N, 8 / N, seed=1, directed=directed)
    model = nm.create("hopfield", n_units=N, topology=topo, dtype=dtype)
    check_memory_estimate(
        model, _bipolar(rng, 3, N), cues=_bipolar(rng, n_cues, N, dtype=other)
    )


@pytest.mark.parametrize("directed", [False, True])
def test_small_graphs_have_the_int32_indices_the_estimates_count(directed):
    topo = nm.topology.erdos_renyi(N, 8 / N, seed=1, directed=directed)
    assert topo.adjacency.indices.dtype == np.int32
    assert topo.adjacency.indptr.dtype == np.int32
    model = nm.create("hopfield", n_units=N, topology=topo)
    model.store(_bipolar(np.random.default_rng(0), 2, N))
    assert model.weights_.indices.dtype == np.int32


@pytest.mark.parametrize("name", ["sequence", "hopfield"])
def test_cues_that_are_not_2d_are_named_before_n_steps(name):
    # 10**12 sweeps would be refused for memory; the 1-D cue is the error to report.
    model = nm.create(name, n_units=100)
    model.store(_bipolar(np.random.default_rng(0), 2, 100))
    steps = {"n_steps": 10**12} if name == "sequence" else {"max_steps": 10**12}
    with pytest.raises(nm.ValidationError, match=r"cues.*2-D array"):
        model.recall(np.ones(100), **steps)


@pytest.mark.parametrize("directed", [False, True])
def test_graph_of_more_entries_than_int32_counts_keeps_int64_and_valid_csr(
    monkeypatch, directed
):
    # The int32 limit lowered to 100 entries: a complete graph of 30 units (870
    # entries) is then "over 2**31" and must keep int64 indices and row pointers.
    monkeypatch.setattr(
        nm.topology, "_index_dtype", lambda n: np.int32 if n < 100 else np.int64
    )
    n = 30
    adj = nm.topology.erdos_renyi(n, 1.0, seed=0, directed=directed).adjacency
    assert adj.indices.dtype == np.int64
    assert adj.indptr.dtype == np.int64
    adj.check_format(full_check=True)
    np.testing.assert_array_equal(adj.toarray(), ~np.eye(n, dtype=bool))
    small = nm.topology.erdos_renyi(8, 1.0, seed=0, directed=directed).adjacency
    assert small.indices.dtype == np.int32  # 56 entries: below the lowered limit
    small.check_format(full_check=True)


def test_sparse_sequence_store_is_not_charged_for_temporaries_it_never_makes():
    # The transition rule adds its outer products in place, as the Hebbian rule does.
    rng = np.random.default_rng(2)
    topo = nm.topology.erdos_renyi(N, 8 / N, seed=1)
    model = nm.create("sequence", n_units=N, topology=topo)
    check_memory_estimate(model, _bipolar(rng, 5, N))


@pytest.mark.parametrize("n_patterns", [3, 30])
def test_sparse_binary_store_counts_the_rule_and_the_threshold_scan(n_patterns):
    # 30 patterns: the automatic threshold's scan (fields, sorted, a recall) is the peak.
    rng = np.random.default_rng(3)
    topo = nm.topology.erdos_renyi(N, 8 / N, seed=1)
    model = nm.create("hopfield", n_units=N, topology=topo, units="binary")
    check_memory_estimate(model, (rng.random((n_patterns, N)) < 0.2).astype(float))


def test_hetero_store_counts_the_network_it_builds():
    # The first store builds the network for the values' width: a few KiB of objects
    # beside weights of 13 x N.
    rng = np.random.default_rng(4)
    model = nm.create("linear-associator", n_units=N)
    check_memory_estimate(model, _bipolar(rng, 4, N), targets=_bipolar(rng, 4, 13))


# -- many cues (the grid recalls a few): terms proportional to the cues ----------------
# A second review found estimates off only once the cues' terms dominate: the dense
# model's update law holds a dozen (cues x patterns) arrays, a dense Hopfield recall
# about ten copies of the cues, and a trained network's recall is one forward pass,
# not a training step's eight.
def _dense_cases():
    cases = []
    for kw in [
        {},
        {"interaction": "rectified"},
        {"interaction": "exponential"},
        {"order": 2},
        {"dtype": "float32"},
        {"dynamics": "sync"},
        {"dynamics": "sync", "dtype": "float32"},
    ]:
        # 10 cues: float32's tables (a float64 copy of the patterns) already count.
        counts = (10, 200, 2000) if kw.get("dtype") == "float32" else (200, 2000)
        cases += [(kw, b) for b in counts]
    return cases


@pytest.mark.parametrize(("params", "n_cues"), _dense_cases())
def test_dense_hopfield_recall_of_many_cues(params, n_cues):
    rng = np.random.default_rng(5)
    x = _bipolar(rng, 400, 100)
    model = nm.create("dense-hopfield", n_units=100, max_steps=5, seed=0, **params)
    check_memory_estimate(model, x, cues=x[:n_cues].copy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dense_weights_hopfield_recall_of_many_cues(dtype):
    # About ten copies of the cues at the peak: eight were charged (0.88 times it).
    n_cues = 2000
    rng = np.random.default_rng(6)
    model = nm.create("hopfield", n_units=400, dtype=dtype, seed=0)
    check_memory_estimate(model, _bipolar(rng, 50, 400), cues=_bipolar(rng, n_cues, 400))


@pytest.mark.parametrize(
    ("dtype", "given", "n_cues"),
    [
        ("float32", "float64", 10),
        ("float32", "float64", 200),
        ("float64", "float32", 10),
        ("float32", "float32", 10),
        ("float32", "float32", 200),
    ],
)
def test_modern_hopfield_rows_of_another_dtype(dtype, given, n_cues):
    # Patterns of the other dtype are converted at store: the copy beside the rows
    # (0.65 times the peak). Recalled, a float32 model's softmax is float32, not
    # float64 (2.1 to 2.6 times), and a scaled copy of the patterns is made.
    rng = np.random.default_rng(7)
    x = _bipolar(rng, 1000, 100, dtype=given)
    model = nm.create("modern-hopfield", n_units=100, dtype=dtype, seed=0)
    check_memory_estimate(model, x, cues=x[:n_cues].copy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hidden", [[100], [300, 50], []])
@pytest.mark.parametrize("n_cues", [200, 2000])
def test_mlp_recall_of_many_cues_is_one_forward_pass(dtype, hidden, n_cues):
    rng = np.random.default_rng(8)
    x = _bipolar(rng, 20, 800)
    # Without hidden layers the network is hetero-associative (an autoencoder of
    # no code layer only learns the identity).
    targets = None if hidden else _bipolar(rng, 20, 50)
    model = nm.create("mlp", n_units=800, hidden=hidden, dtype=dtype, epochs=2, seed=0)
    cues = _bipolar(rng, n_cues, 800)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two epochs need not store the patterns
        check_memory_estimate(model, x, targets=targets, cues=cues)


def _check_recall_with(model, x, cues, **options):
    # check_memory_estimate recalls with the defaults: the same check for a recall
    # with options, after an untraced warm-up (compiled kernels).
    warm = model.clone()
    warm.store(x)
    warm.recall(cues, **options)
    peak, estimate = measured_peaks(model.clone(), x, None, cues, **options)["recall"]
    assert peak <= estimate <= 2 * peak, (peak, estimate)


@pytest.mark.parametrize("n_cues", [200, 2000])
def test_mlp_iterated_recall_counts_the_passes_it_keeps(n_cues):
    # Iterated passes hold five arrays of the cues' size beside one pass.
    rng = np.random.default_rng(9)
    model = nm.create("mlp", n_units=800, hidden=[100], epochs=2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check_recall_with(
            model, _bipolar(rng, 20, 800), _bipolar(rng, n_cues, 800), iterate=True
        )


@pytest.mark.parametrize(("own", "asked"), [("sync", "async"), ("async", "sync")])
def test_dense_hopfield_recall_with_the_other_dynamics(own, asked):
    # The estimate follows the dynamics the recall asks for: all the cues relaxed
    # at once (async) or a block of them (sync).
    rng = np.random.default_rng(10)
    x = _bipolar(rng, 400, 100)
    model = nm.create("dense-hopfield", n_units=100, dynamics=own, max_steps=5, seed=0)
    _check_recall_with(model, x, _bipolar(rng, 2000, 100), dynamics=asked)


@pytest.mark.parametrize("n_cues", [10, 30])
def test_dense_binary_recall_counts_the_gathered_columns(n_cues):
    # A few cues: beside the transposed weights, a sweep's update gathers the
    # columns of the units that changed (0.92 to 0.96 times the peak uncounted).
    rng = np.random.default_rng(11)
    x = (rng.random((50, 400)) < 0.5).astype(float)
    cues = (rng.random((n_cues, 400)) < 0.5).astype(float)
    model = nm.create("hopfield", n_units=400, units="binary", seed=0)
    check_memory_estimate(model, x, cues=cues)


def _cues(kind, n_cues, n, dtype):
    """Noisy copies of 3 stored rows: some units masked (0), some or all graded."""
    x = nm.patterns.random_bipolar(3, n, seed=0)
    c = np.resize(nm.patterns.flip(x, 0.1, seed=1), (n_cues, n))
    if kind == "masked":
        c[:, : n // 30] = 0
    elif kind == "partly graded":
        c[:, : n // 30] *= 0.5
    else:
        c = 0.5 * c  # scaled back to +/-1 by the recall: the sign sweeps, on a copy
    return x, c.astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize(
    "kind, n_cues, degree",
    [
        ("masked", 1, 2),  # one cue: the weights dominate unless they are few
        ("masked", 10, 20),
        ("masked", 33, 20),
        ("partly graded", 1, 2),
        ("partly graded", 10, 20),
        ("partly graded", 33, 20),
        ("graded", 33, 20),
    ],
)
def test_sparse_recall_of_masked_or_graded_cues_is_counted(
    dtype, directed, kind, n_cues, degree
):
    # Cues that are not +/-1 rows (up to a scale) take the general synchronous
    # sweeps, whose arrays the sign sweeps' estimate does not count; wholly graded
    # cues take the sign sweeps on their scaled copy, which is counted beside them.
    n = 20_000
    topo = nm.topology.erdos_renyi(n, degree / n, seed=0, directed=directed)
    model = nm.create("hopfield", n_units=n, topology=topo, dtype=dtype)
    patterns, cues = _cues(kind, n_cues, n, dtype)
    check_memory_estimate(model, patterns, cues=cues)
