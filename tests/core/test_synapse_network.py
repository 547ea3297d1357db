"""Populations, synapses (dense and sparse) and the network graph."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import neuromem as nm
from neuromem import ties
from neuromem import topology as T


def test_population_applies_its_law_to_batches():
    pop = nm.Population(4, "relu", name="h")
    np.testing.assert_array_equal(pop.activate(np.array([[-1.0, 2, 0, 3]])), [[0, 2, 0, 3]])
    assert pop.state.shape == (4,)


def test_feedforward_input_with_bias(rng):
    a, b = nm.Population(5, name="a"), nm.Population(3, name="b")
    w = rng.standard_normal((3, 5))
    syn = nm.Synapse(a, b, weights=w, bias=np.array([1.0, 0.0, -1.0]))
    s = rng.standard_normal((4, 5))
    np.testing.assert_allclose(syn.input(s), s @ w.T + [1.0, 0.0, -1.0])
    np.testing.assert_allclose(syn.input(s[0]), w @ s[0] + [1.0, 0.0, -1.0])


def test_recurrent_default_has_zero_diagonal(rng):
    u = nm.Population(6, "sign", name="u")
    syn = nm.Synapse(u, u, weights=rng.standard_normal((6, 6)))
    assert not syn.is_sparse and np.all(np.diag(syn.weights) == 0)


def test_sparse_and_dense_synapses_agree(rng):
    u = nm.Population(300, "sign", name="u")
    topo = T.erdos_renyi(300, 0.05, seed=1)
    w = rng.standard_normal((300, 300))
    dense = nm.Synapse(u, u, topology=topo, weights=w, sparse=False)
    sparse = nm.Synapse(u, u, topology=topo, weights=w)
    assert sparse.is_sparse and isinstance(sparse.weights, sp.csr_array)
    assert sparse.weights.nnz == topo.n_connections
    np.testing.assert_allclose(sparse.weights.toarray(), dense.weights)
    s = rng.standard_normal((8, 300))
    np.testing.assert_allclose(sparse.input(s), dense.input(s), atol=1e-12)
    # Learning is restricted to the topology on both.
    for syn in (dense, sparse):
        syn.set_rule(nm.create_rule("hebbian", learning_rate=0.1))
        syn.learn(s, s)
    np.testing.assert_allclose(sparse.dense_weights(), dense.weights, atol=1e-12)
    assert np.all(dense.weights[~topo.mask()] == 0)


def test_sparse_structure_keeps_explicit_zeros():
    u = nm.Population(50, name="u")
    syn = nm.Synapse(u, u, topology=T.erdos_renyi(50, 0.1, seed=0))
    assert syn.weights.nnz == syn.n_connections and np.all(syn.values == 0)


def test_bad_synapse_input():
    a, b = nm.Population(3, name="a"), nm.Population(2, name="b")
    with pytest.raises(nm.ValidationError) as err:
        nm.Synapse(a, b, topology=T.complete(3))
    assert err.value.param == "topology"
    with pytest.raises(nm.ValidationError, match="weights"):
        nm.Synapse(a, b, weights=np.ones((3, 2)))
    with pytest.raises(nm.ValidationError, match="finite"):
        nm.Synapse(a, b, weights=np.full((2, 3), np.nan))
    with pytest.raises(nm.ValidationError, match="bias"):
        nm.Synapse(a, b, bias=np.ones(3))
    with pytest.raises(nm.ValidationError, match="rule"):
        nm.Synapse(a, b).learn(np.ones(3), np.ones(2))
    with pytest.raises(nm.ValidationError, match="pre"):
        nm.Synapse("a", b)


def test_network_graph_describes_populations_and_synapses():
    net = nm.Network()
    x = net.add_population("input", 4)
    h = net.add_population("hidden", 3, "relu")
    s1 = net.connect(x, h, bias=True)
    s2 = net.connect("hidden", "hidden")
    assert isinstance(net.graph, nx.DiGraph)
    assert set(net.graph.nodes) == {"input", "hidden"}
    assert net.graph.edges["input", "hidden"]["synapse"] is s1
    assert net.synapse("hidden", "hidden") is s2
    assert net.synapses == [s1, s2]
    units = net.to_networkx()
    assert units.number_of_nodes() == 7
    assert units.number_of_edges() == 12 + 6  # all-to-all feed-forward + no self-loops


def test_network_refuses_duplicates_and_strangers():
    net = nm.Network()
    a = net.add_population("a", 2)
    with pytest.raises(nm.ValidationError, match="already in use"):
        net.add_population("a", 3)
    net.connect(a, a)
    with pytest.raises(nm.ValidationError, match="already connected"):
        net.connect(a, a)
    with pytest.raises(nm.ValidationError, match="population of this network"):
        net.connect(a, nm.Population(2, name="b"))
    with pytest.raises(nm.ValidationError, match="connected pair"):
        net.synapse("a", "zzz")


def test_synapse_to_networkx_weights():
    u = nm.Population(3, name="u")
    w = np.array([[0, 1.0, 2.0], [1.0, 0, 3.0], [2.0, 3.0, 0]])
    g = nm.Synapse(u, u, weights=w).to_networkx()
    assert g.number_of_edges() == 6
    assert g.edges[("u", 2), ("u", 1)]["weight"] == 3.0  # pre 2 -> post 1 is w[1, 2]


def test_reads_are_pure_and_writes_drop_what_is_derived():
    u = nm.Population(12, name="u")
    syn = nm.Synapse(u, u, rule=nm.create_rule("hebbian"), bias=True)
    x = np.random.default_rng(0).choice([-1.0, 1.0], size=(3, 12))
    syn.learn(x, x)
    first = ties.tie_tolerances(syn)
    for read in (syn.weights, syn.values, syn.bias, syn.dense_weights()):
        assert not read.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            read[0] = 1.0
    assert ties.tie_tolerances(syn) is first  # the reads kept the cache
    with syn.writing() as (w, b):
        w[0, 1] += 3.0
        b[2] = 1.0
    second = ties.tie_tolerances(syn)
    assert second is not first and second[0] > first[0] and second[2] > first[2]
    syn.live_weights()[0, 1] = 0.0  # the models' weights_: writable, drops the cache
    assert ties.tie_tolerances(syn) is not second


def test_a_sparse_structure_is_shared_read_only_and_cannot_be_corrupted():
    # Synapses share their topology's index arrays (no copy): an in-place change of
    # the structure through one model's live weights raises instead of rewriting the
    # topology and every other model built from it.
    n = 3000
    topo = nm.topology.erdos_renyi(n, 10 / n, seed=0)
    x = nm.patterns.random_bipolar(2, n, seed=0)  # P = 2: half the weights are 0
    a = nm.create("hopfield", n_units=n, topology=topo, seed=0).store(x)
    b = nm.create("hopfield", n_units=n, topology=topo, seed=0).store(x)
    cue = nm.patterns.flip(x, 0.1, seed=1)
    want = b.recall(cue).states
    indices = topo.adjacency.indices.copy()
    with pytest.raises(ValueError):
        a.weights_.eliminate_zeros()
    with pytest.raises(ValueError):
        a.synapse_.weights.indices[0] = 1
    np.testing.assert_array_equal(topo.adjacency.indices, indices)
    np.testing.assert_array_equal(b.recall(cue).states, want)
    np.testing.assert_array_equal(a.recall(cue).states, want)
    # The values stay writable in place through weights_.
    a.weights_.data[:] *= 2
    np.testing.assert_array_equal(a.synapse_.weights.data, 2 * b.synapse_.weights.data)


def test_a_topology_leaves_the_callers_matrix_writable():
    adj = sp.random(50, 50, density=0.2, format="csr", random_state=0).astype(bool)
    nm.topology.Topology(adj)
    adj.indices[0] = adj.indices[0]  # still the caller's, writable
    assert adj.indptr.flags.writeable and adj.data.flags.writeable


def test_assigned_weights_keep_the_synapse_structure():
    n = 400
    topo = nm.topology.erdos_renyi(n, 20 / n, seed=0)
    net = nm.create("hopfield", n_units=n, topology=topo, dtype="float32", seed=0)
    net.store(nm.patterns.random_bipolar(3, n, seed=3))
    syn = net.synapse_
    c = sp.coo_array(syn.weights)
    keep = c.row < c.col  # the upper triangle: another structure
    other = sp.csr_array((c.data[keep], (c.row[keep], c.col[keep])), shape=(n, n))
    with pytest.raises(nm.ValidationError, match=r"weights.*another structure"):
        syn.weights = other
    with pytest.raises(nm.ValidationError, match=r"weights.*sparse matrix of shape"):
        syn.weights = syn.weights.toarray()
    doubled = syn.weights.astype(np.float64) * 2  # the same structure, another dtype
    syn.weights = doubled
    assert syn.weights.dtype == np.float32
    assert syn.weights.indices is syn.layout.indices or np.shares_memory(
        syn.weights.indices, syn.layout.indices
    )
    np.testing.assert_array_equal(syn.weights.data, doubled.data.astype(np.float32))
    syn.set_weights(other)  # set_weights keeps the values on the structure
    assert syn.weights.nnz == topo.n_connections


def test_live_weights_refuse_a_changed_structure_at_their_next_use(tmp_path):
    # weights_ hands out the matrix itself (its values writable); a change of its
    # structure, size or dtype (scipy inserts a connection the topology lacks) is
    # refused by name at the next use, not recalled, saved or loaded silently.
    import warnings

    n = 1000
    topo = nm.topology.erdos_renyi(n, 6 / n, seed=1)
    x = nm.patterns.random_bipolar(4, n, seed=0)
    net = nm.create("hopfield", n_units=n, topology=topo, dtype="float32").store(x)
    w = net.weights_
    row = w.indices[w.indptr[0] : w.indptr[1]]
    j = int(np.setdiff1d(np.arange(1, n), row)[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sp.SparseEfficiencyWarning)
        w[0, j] = 5.0
    for use in (
        lambda: net.recall(x),
        lambda: net.weights_,
        lambda: net.save(tmp_path / "m.npz"),
    ):
        with pytest.raises(nm.ValidationError, match="weights_"):
            use()
    net.synapse_.set_weights(w)  # the way back: the values kept on the connections
    assert net.recall(x).states.shape == x.shape
    net.weights_.data = np.zeros(3, np.float32)  # the wrong size
    with pytest.raises(nm.ValidationError, match="weights_"):
        net.recall(x)


@pytest.mark.parametrize(
    "make",
    [
        lambda: nm.topology.erdos_renyi(3 * 10**7, 1e-13, seed=0),
        lambda: nm.topology.small_world(10**6, 10, 0.1, seed=0),
    ],
)
def test_large_graphs_are_refused_before_they_are_drawn(make):
    from neuromem.memory import memory_limit

    with memory_limit(150_000_000), pytest.raises(nm.ValidationError, match="n: "):
        make()
