"""Connectivity as graphs, compiled once into a mask or a sparse matrix.

networkx is the topology language; numpy and scipy are the compute substrate. A
:class:`Topology` holds the boolean adjacency of one synapse set as a
``scipy.sparse.csr_array`` of shape ``(n_post, n_pre)``: entry ``(i, j)`` is the
connection from presynaptic unit ``j`` to postsynaptic unit ``i`` (weights are stored
``(n_post, n_pre)`` throughout neuromem). A synapse compiles it once into a dense mask or
into the sparsity structure of its weight matrix; nothing iterates over edges later.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from . import compiled
from .errors import ValidationError, described
from .memory import check_memory
from .random import SeedLike, as_generator
from .validation import check_bool, check_float, check_int

__all__ = [
    "SPARSE_DENSITY",
    "Topology",
    "check_topology",
    "complete",
    "erdos_renyi",
    "from_networkx",
    "small_world",
]

#: Below this density a synapse stores its weights as ``scipy.sparse`` by default.
SPARSE_DENSITY = 0.2


class Topology:
    """Which connections exist between a presynaptic and a postsynaptic population.

    Parameters
    ----------
    adjacency : scipy.sparse.csr_array of bool, shape (n_post, n_pre)
        ``adjacency[i, j]`` is True when presynaptic unit ``j`` reaches unit ``i``.
    name : str
        How the topology was made (``"complete"``, ``"erdos_renyi"``, ...).
    params : dict
        The parameters it was made with, recorded for results and files.
    symmetric : bool, optional
        Whether the adjacency is symmetric, when its maker knows (an undirected random
        graph): :attr:`symmetric` is then not computed.
    """

    def __init__(
        self,
        adjacency: sp.csr_array,
        name: str = "custom",
        params: dict[str, Any] | None = None,
        symmetric: bool | None = None,
    ):
        self._adjacency = _frozen(_narrow_indices(adjacency))
        self.name = name
        self.params = dict(params or {})
        self.known_symmetric = symmetric

    @property
    def adjacency(self) -> sp.csr_array:
        """The boolean connectivity matrix ``(n_post, n_pre)``."""
        return self._adjacency

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_post, n_pre)``."""
        return self.adjacency.shape

    @property
    def n_connections(self) -> int:
        """Number of existing connections."""
        return int(self.adjacency.nnz)

    @property
    def density(self) -> float:
        """Fraction of the ``n_post * n_pre`` possible connections that exist."""
        n_post, n_pre = self.shape
        return self.n_connections / float(n_post * n_pre)

    @property
    def symmetric(self) -> bool:
        """Whether every connection ``j -> i`` comes with ``i -> j``."""
        if self.known_symmetric is not None:
            return self.known_symmetric
        a = self.adjacency
        return a.shape[0] == a.shape[1] and (a != a.T).nnz == 0

    @property
    def is_complete(self) -> bool:
        """All-to-all, except possibly the self-connections of a square topology."""
        n_post, n_pre = self.shape
        full = n_post * n_pre
        if self.n_connections == full:
            return True
        if n_post != n_pre or self.n_connections != full - n_post:
            return False
        return not self.adjacency.diagonal().any()

    def prefers_sparse(self) -> bool:
        """True when sparse weight storage pays off (density below ``SPARSE_DENSITY``)."""
        return self.density < SPARSE_DENSITY

    def mask(self) -> np.ndarray:
        """The dense boolean mask ``(n_post, n_pre)``."""
        return self.adjacency.toarray()

    def to_networkx(self) -> nx.DiGraph | nx.Graph:
        """The topology as a networkx graph with edges pre -> post.

        A symmetric square topology becomes an undirected :class:`networkx.Graph`.
        """
        if self.symmetric:
            return nx.from_scipy_sparse_array(self.adjacency.astype(np.int8))
        # from_scipy_sparse_array reads A[u, v] as an edge u -> v, i.e. pre -> post.
        return nx.from_scipy_sparse_array(
            self.adjacency.T.tocsr().astype(np.int8), create_using=nx.DiGraph
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Topology.{self.name}({args}; {self.n_connections} connections)"


# Above this many expected connections, erdos_renyi draws positions by geometric skips
# (one draw per connection, already sorted) instead of drawing them without
# replacement and sorting; both sample the same law, but not the same graph for a
# seed, so smaller graphs keep the draws they have always had.
_SKIP_SAMPLING = 1 << 20


def check_topology(topology: Any, n_units: int) -> Topology | None:
    """A recurrent model's ``topology`` parameter: None, or a :class:`Topology` of
    ``n_units`` by ``n_units`` units; anything else is a :class:`ValidationError`."""
    if topology is None:
        return None
    if not isinstance(topology, Topology):
        raise ValidationError("topology", topology, "a neuromem.topology.Topology or None")
    if topology.shape != (n_units, n_units):
        raise ValidationError(
            "topology",
            described(f"a topology of {topology.shape[0]} units"),
            f"a topology of n_units = {n_units} units",
        )
    return topology


def _bernoulli_positions(rng: np.random.Generator, total: int, p: float) -> np.ndarray:
    """Sorted positions of the successes among ``total`` independent Bernoulli(p) trials.

    The gaps between successive successes are geometric: ``cumsum`` of geometric draws
    gives the positions in order, one draw per success (plus a small margin).
    """
    if p >= 1.0:
        return np.arange(total, dtype=np.int64)
    chunks = []
    last = -1
    while True:
        left = (total - 1 - last) * p
        size = int(left + 6.0 * np.sqrt(left) + 64)
        pos = np.cumsum(rng.geometric(p, size), dtype=np.int64)
        pos += last
        cut = int(np.searchsorted(pos, total))
        chunks.append(pos[:cut])
        if cut < size:
            break
        last = int(pos[-1])
    return np.concatenate(chunks) if len(chunks) > 1 else chunks[0]


def _narrow_indices(adj: Any) -> Any:
    """``adj`` with int32 indices and row pointers where they fit (scipy keeps the
    int64 of the pairs a small graph is built from: 4 bytes more per connection in
    every synapse compiled from it, beyond what the memory estimates count)."""
    indices = getattr(adj, "indices", None)
    indptr = getattr(adj, "indptr", None)
    if indices is None or indptr is None or indices.dtype == np.int32:
        return adj
    if _index_dtype(max(max(adj.shape), adj.nnz)) is np.int32:
        adj = type(adj)(
            (adj.data, indices.astype(np.int32), indptr.astype(np.int32)),
            shape=adj.shape,
            copy=False,
        )
    return adj


def _frozen(adj: Any) -> Any:
    """``adj`` (sorted) with arrays that cannot be written: the synapses compiled from
    a topology share its index arrays without a copy, so an in-place change through one
    of them (``eliminate_zeros()`` on a model's ``weights_``) would otherwise rewrite
    the topology and every other model built from it. The caller's matrix is left as
    it was (a new matrix of read-only views)."""
    if adj is None or not sp.issparse(adj):
        return adj
    if not adj.has_sorted_indices:
        adj = adj.sorted_indices()
    parts = []
    for a in (adj.data, adj.indices, adj.indptr):
        view = a.view()
        view.flags.writeable = False
        parts.append(view)
    out = type(adj)(tuple(parts), shape=adj.shape, copy=False)
    out.has_sorted_indices = True
    return out


def _index_dtype(n: int):
    return np.int32 if n < 2**31 - 1 else np.int64


def _csr_rows(k: np.ndarray, starts: np.ndarray, n_cols: int) -> sp.csr_array:
    """Boolean CSR from sorted linear positions ``k`` whose row ``i`` starts at
    ``starts[i]``; returns the matrix and the offset of each entry within its row."""
    n = len(starts)
    bounds = np.searchsorted(k, starts)  # first entry of every row: k is sorted
    idx = _index_dtype(max(n_cols, len(k)))
    indptr = np.empty(n + 1, dtype=idx)
    indptr[:-1] = bounds
    indptr[-1] = len(k)
    offset = k - np.repeat(starts, np.diff(indptr))
    return indptr, offset, idx


def _skip_sampled(rng, n: int, p: float, directed: bool) -> sp.csr_array:
    rows = np.arange(n, dtype=np.int64)
    if directed:
        k = _bernoulli_positions(rng, n * (n - 1), p)
        indptr, cols, idx = _csr_rows(k, rows * (n - 1), n)
        del k
        # Row i skips its own column: offsets at or beyond i move one on.
        cols += cols >= np.repeat(rows, np.diff(indptr))
        data = np.ones(len(cols), dtype=bool)
        adj = sp.csr_array((data, cols.astype(idx), indptr), shape=(n, n))
        adj.has_sorted_indices = True
        return adj
    k = _bernoulli_positions(rng, n * (n - 1) // 2, p)
    # Row i of the upper triangle holds columns i + 1 .. n - 1, from i (2n - i - 1) / 2.
    indptr, off, idx = _csr_rows(k, rows * (2 * n - rows - 1) // 2, n)
    del k
    off += np.repeat(rows + 1, np.diff(indptr))
    data = np.ones(len(off), dtype=bool)
    upper = sp.csr_array((data, off.astype(idx), indptr), shape=(n, n))
    del off
    upper.has_sorted_indices = True
    # Symmetric: the upper triangle plus its transpose (disjoint, both canonical).
    lower = sp.csr_array(upper.T)
    lower.sort_indices()
    adj = sp.csr_array(upper + lower)
    adj.sort_indices()
    return adj


def _compiled_sample(rng, n: int, p: float, directed: bool) -> sp.csr_array | None:
    """The skip-sampled graph drawn by compiled kernels, parallel over chunks of rows,
    that write the CSR arrays once at their exact sizes (int32 indices below 2**31
    entries; one temporary buffer of the pairs drawn, 4 bytes each, no int64
    temporaries of the connections' size); None when numba is not installed. Its own
    random stream, seeded from ``rng``: the same law as :func:`_skip_sampled`, not the
    same graph."""
    _kernels = compiled.kernels()

    if not _kernels.AVAILABLE:
        return None
    seed = int(rng.integers(0, 2**32))
    indptr, indices = _kernels.random_graph_csr(n, p, directed, seed)
    # One shared True: a boolean structure needs no value per connection (scipy
    # keeps the read-only broadcast view as it is).
    data = np.broadcast_to(np.True_, indices.shape)
    adj = sp.csr_array((data, indices, indptr), shape=(n, n), copy=False)
    adj.has_sorted_indices = True
    return adj


def _from_pairs(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_array:
    data = np.ones(len(rows), dtype=bool)
    adj = sp.csr_array((data, (rows, cols)), shape=shape)
    adj.sum_duplicates()
    adj.sort_indices()
    return adj


class _Complete(Topology):
    """All-to-all connectivity, known without materialising ``n_post * n_pre`` entries.

    The adjacency is built only if something asks for it (export, sparse storage);
    synapses compile a complete topology into a dense layout directly.
    """

    def __init__(self, params: dict[str, Any]):
        super().__init__(None, "complete", params)

    @property
    def adjacency(self) -> sp.csr_array:
        if self._adjacency is None:
            self._adjacency = _frozen(sp.csr_array(self.mask()))
        return self._adjacency

    @property
    def shape(self) -> tuple[int, int]:
        return (self.params["n"], self.params.get("n_pre", self.params["n"]))

    @property
    def _self_connections(self) -> bool:
        n_post, n_pre = self.shape
        return n_post != n_pre or self.params.get("self_connections", False)

    @property
    def n_connections(self) -> int:
        n_post, n_pre = self.shape
        return n_post * n_pre - (0 if self._self_connections else n_post)

    @property
    def symmetric(self) -> bool:
        return self.shape[0] == self.shape[1]

    @property
    def is_complete(self) -> bool:
        return True

    def mask(self) -> np.ndarray:
        m = np.ones(self.shape, dtype=bool)
        if not self._self_connections:
            np.fill_diagonal(m, False)
        return m


def complete(
    n: int, *, n_pre: int | None = None, self_connections: bool = False
) -> Topology:
    """All-to-all connectivity.

    Parameters
    ----------
    n : int
        Number of postsynaptic units (and of presynaptic ones unless ``n_pre`` is given).
    n_pre : int, optional
        Number of presynaptic units for a feed-forward synapse set.
    self_connections : bool
        Keep the diagonal of a square topology. Off by default: a Hopfield network's
        zero diagonal is what makes its energy decrease under asynchronous updates.
    """
    n = check_int(n, "n", low=1)
    n_pre = n if n_pre is None else check_int(n_pre, "n_pre", low=1)
    self_connections = check_bool(self_connections, "self_connections")
    params = {"n": n}
    if n_pre != n:
        params["n_pre"] = n_pre
    if self_connections:
        params["self_connections"] = True
    return _Complete(params)


def _pair_index_to_upper(k: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Map linear indices over the strict upper triangle to (row, col)."""
    # Row i holds n - 1 - i pairs; invert the cumulative count in closed form.
    i = (n - 2 - np.floor(np.sqrt(-8.0 * k + 4.0 * n * (n - 1) - 7) / 2.0 - 0.5)).astype(
        np.int64
    )
    # The square root is rounded: for large n a k at a row boundary can land one row
    # off. Row i starts at i (2n - i - 1) / 2; step back or on where that disagrees.
    start = i * (2 * n - i - 1) // 2
    i -= k < start
    i += k >= (i + 1) * (2 * n - i - 2) // 2
    j = (k + i + 1 - n * (n - 1) // 2 + (n - i) * ((n - i) - 1) // 2).astype(np.int64)
    return i, j


def erdos_renyi(
    n: int, p: float, *, directed: bool = False, seed: SeedLike = None
) -> Topology:
    """Random dilution: each possible connection exists with probability ``p``.

    Parameters
    ----------
    n : int
        Number of units.
    p : float
        Connection probability in [0, 1].
    directed : bool
        If True, ``j -> i`` and ``i -> j`` are drawn independently (the asymmetric
        dilution of Derrida, Gardner & Zippelius); if False the topology is symmetric.
    seed : int, Generator or None
        Random seed.

    Notes
    -----
    The number of connections is drawn from its binomial law and their positions
    without replacement, so the cost is proportional to the number of connections,
    not to ``n**2``. There are no self-connections. Above about a million expected
    connections the positions are drawn instead as cumulative sums of geometric gaps
    (the same law, about three times faster and already sorted, so the sparse matrix
    is built without a sort; ``benchmarks/bench_scale.py``).
    """
    n = check_int(n, "n", low=2)
    p = check_float(p, "p", low=0.0, high=1.0)
    directed = check_bool(directed, "directed")
    rng = as_generator(seed)
    n_pairs = n * (n - 1) if directed else n * (n - 1) // 2
    params = {"n": n, "p": p}
    if directed:
        params["directed"] = True
    # Refused before sampling (a raw MemoryError from inside the sampler otherwise):
    # peaks measured with tracemalloc, about 8 bytes per connection for the compiled
    # sampler of large graphs, 38 for the exact draw of small ones.
    expected = n_pairs * p * (1 if directed else 2)
    per = 9 if n_pairs * p > _SKIP_SAMPLING else 40
    # Per unit: the compiled sampler's row counts (per thread too), their sums and
    # the row pointers, about 12 bytes traced (3e7 units, 1e-13); 24 charged.
    check_memory(expected * per + 24 * (n + 1), "n", n, f"erdos_renyi(n, p={p:g})")
    if n_pairs * p > _SKIP_SAMPLING and p > 0:
        adj = _compiled_sample(rng, n, p, directed)
        if adj is None:
            adj = _skip_sampled(rng, n, p, directed)
        return Topology(adj, "erdos_renyi", params, symmetric=not directed)
    m = int(rng.binomial(n_pairs, p))
    k = np.sort(rng.choice(n_pairs, size=m, replace=False)).astype(np.int64)
    if directed:
        rows = k // (n - 1)
        cols = k % (n - 1)
        cols = cols + (cols >= rows)
    else:
        i, j = _pair_index_to_upper(k, n)
        rows = np.concatenate([i, j])
        cols = np.concatenate([j, i])
    adj = _from_pairs(rows, cols, (n, n))
    return Topology(adj, "erdos_renyi", params, symmetric=not directed)


def small_world(n: int, k: int, p: float, *, seed: SeedLike = None) -> Topology:
    """Watts–Strogatz small world: a ring lattice of degree ``k``, edges rewired with ``p``.

    Parameters
    ----------
    n : int
        Number of units.
    k : int
        Each unit is joined to its ``k`` nearest neighbours on the ring (``k`` even,
        ``2 <= k < n``).
    p : float
        Probability of rewiring each edge in [0, 1]; 0 keeps the lattice, 1 gives a
        random graph of the same number of edges.
    seed : int, Generator or None
        Random seed.

    Notes
    -----
    Uses :func:`networkx.watts_strogatz_graph` once, seeded from ``seed``; the graph is
    then compiled to a sparse matrix.
    """
    n = check_int(n, "n", low=3)
    k = check_int(k, "k", low=2, high=n - 1)
    if k % 2:
        raise ValidationError("k", k, "an even number of ring neighbours")
    p = check_float(p, "p", low=0.0, high=1.0)
    rng = as_generator(seed)
    # networkx's graph of dicts: about 260 bytes per connection (n k of them, both
    # directions) at its peak, measured with tracemalloc at n = 10^6, k = 10.
    check_memory(300 * n * k + 8 * (n + 1), "n", n, f"small_world(n, k={k})")
    graph = nx.watts_strogatz_graph(n, k, p, seed=int(rng.integers(0, 2**31 - 1)))
    topo = from_networkx(graph, nodelist=range(n))
    return Topology(topo.adjacency, "small_world", {"n": n, "k": k, "p": p})


def from_networkx(graph: nx.Graph, *, nodelist: Any = None) -> Topology:
    """Compile a user's networkx graph into a topology.

    Parameters
    ----------
    graph : networkx.Graph or networkx.DiGraph
        Nodes are units; an edge ``u -> v`` connects unit ``u`` (pre) to unit ``v``
        (post). Undirected edges connect both ways. Self-loops are kept.
    nodelist : sequence, optional
        Which node is unit 0, 1, ...; defaults to ``list(graph.nodes)``.
    """
    if not isinstance(graph, nx.Graph):
        raise ValidationError("graph", graph, "a networkx.Graph or networkx.DiGraph")
    nodes = list(graph.nodes) if nodelist is None else list(nodelist)
    if len(nodes) == 0:
        raise ValidationError(
            "graph", described("a graph with no nodes"), "at least one node"
        )
    if len(set(nodes)) != len(nodes) or set(nodes) != set(graph.nodes):
        raise ValidationError(
            "nodelist",
            described(f"{len(nodes)} node(s)"),
            "each node of the graph exactly once",
        )
    adj = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight=None, format="csr")
    # adj[u, v] is the edge u -> v, i.e. pre u, post v: transpose to (n_post, n_pre).
    adj = sp.csr_array(adj.T, dtype=bool)
    adj.sort_indices()
    return Topology(adj, "networkx", {"n": len(nodes)})
