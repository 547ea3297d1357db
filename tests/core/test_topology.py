"""Topologies: construction, orientation, statistics, networkx round trips."""

import networkx as nx
import numpy as np
import pytest

import neuromem as nm
from neuromem import topology as T


def test_complete_has_no_self_connections_by_default():
    t = T.complete(6)
    assert t.n_connections == 30 and t.is_complete and t.symmetric
    assert not t.adjacency.diagonal().any()
    assert T.complete(6, self_connections=True).n_connections == 36
    ff = T.complete(3, n_pre=5)
    assert ff.shape == (3, 5) and ff.n_connections == 15


def test_erdos_renyi_statistics_and_symmetry():
    t = T.erdos_renyi(400, 0.1, seed=0)
    n_pairs = 400 * 399
    # Binomial standard deviation of the density is about 0.0007; allow 5 sigma.
    assert abs(t.n_connections / n_pairs - 0.1) < 0.0035
    assert t.symmetric and not t.adjacency.diagonal().any()
    d = T.erdos_renyi(400, 0.1, directed=True, seed=0)
    assert not d.symmetric and not d.adjacency.diagonal().any()
    assert abs(d.n_connections / n_pairs - 0.1) < 0.0035
    # Reciprocity of an independent directed graph is about p.
    a = d.adjacency
    recip = a.multiply(a.T).nnz / a.nnz
    assert 0.07 < recip < 0.13


def test_erdos_renyi_is_seeded():
    a = T.erdos_renyi(100, 0.2, seed=5).adjacency
    b = T.erdos_renyi(100, 0.2, seed=5).adjacency
    c = T.erdos_renyi(100, 0.2, seed=6).adjacency
    assert (a != b).nnz == 0 and (a != c).nnz > 0


def test_pair_index_mapping_covers_upper_triangle():
    n = 9
    i, j = T._pair_index_to_upper(np.arange(n * (n - 1) // 2), n)
    ri, rj = np.triu_indices(n, 1)
    np.testing.assert_array_equal(i, ri)
    np.testing.assert_array_equal(j, rj)


def test_small_world_lattice_and_rewiring():
    lattice = T.small_world(50, 4, 0.0, seed=0)
    deg = np.asarray(lattice.adjacency.sum(axis=1)).ravel()
    assert (deg == 4).all() and lattice.symmetric
    assert lattice.adjacency[0, 1] and lattice.adjacency[0, 2] and lattice.adjacency[0, 49]
    rewired = T.small_world(50, 4, 0.5, seed=0)
    assert rewired.n_connections == lattice.n_connections  # rewiring keeps the edge count
    assert (rewired.adjacency != lattice.adjacency).nnz > 0


def test_from_networkx_orientation_is_pre_to_post():
    g = nx.DiGraph([(0, 1), (1, 2)])
    t = T.from_networkx(g)
    # Edge 0 -> 1: unit 0 is presynaptic to unit 1, so weights[1, 0] exists.
    assert t.adjacency[1, 0] and not t.adjacency[0, 1] and t.adjacency[2, 1]
    back = t.to_networkx()
    assert set(back.edges) == {(0, 1), (1, 2)}


def test_complete_graph_from_networkx_equals_default():
    t = T.from_networkx(nx.complete_graph(12))
    assert t.is_complete and (t.adjacency != T.complete(12).adjacency).nnz == 0


def test_nodelist_orders_units():
    g = nx.Graph([("a", "b"), ("b", "c")])
    t = T.from_networkx(g, nodelist=["c", "b", "a"])
    assert t.adjacency[0, 1] and t.adjacency[1, 2] and not t.adjacency[0, 2]


@pytest.mark.parametrize(
    "call, param",
    [
        (lambda: T.complete(0), "n"),
        (lambda: T.erdos_renyi(10, 1.5), "p"),
        (lambda: T.erdos_renyi(10, float("nan")), "p"),
        (lambda: T.small_world(10, 3, 0.1), "k"),
        (lambda: T.small_world(10, 10, 0.1), "k"),
        (lambda: T.from_networkx("not a graph"), "graph"),
        (lambda: T.from_networkx(nx.Graph()), "graph"),
        (lambda: T.from_networkx(nx.path_graph(3), nodelist=[0, 1]), "nodelist"),
        (lambda: T.erdos_renyi(10, 0.1, seed="x"), "seed"),
    ],
)
def test_bad_input(call, param):
    with pytest.raises(nm.ValidationError) as err:
        call()
    assert err.value.param == param
