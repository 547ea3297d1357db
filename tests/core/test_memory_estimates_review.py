"""Memory estimates against traced peaks where a review found them off: rows of
another dtype than the model's, the index width of small graphs, the stores of 0/1
Hopfield units, hetero-associative targets and the sparse sequence memory."""

import numpy as np
import pytest

import neuromem as nm
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
