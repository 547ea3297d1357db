"""Populations of units and the synapse sets that connect them."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .errors import ValidationError, described
from .layout import DenseLayout, Layout, SparseLayout
from .neurons import Neuron, get_neuron
from .rules.base import LearningRule
from .topology import Topology, complete
from .validation import check_dtype, check_int, check_matrix

__all__ = ["Population", "Synapse"]


class Population:
    """``n`` units that follow one :class:`~neuromem.neurons.Neuron` law.

    Parameters
    ----------
    n : int
        Number of units.
    neuron : str or Neuron
        The law ``f`` (``"sign"``, ``"relu"``, ... or an instance).
    name : str, optional
        Name of the population in its network's graph.

    Attributes
    ----------
    state : ndarray, shape (n,) or (B, n)
        Current activity; a batch of states is stored row-wise.
    """

    def __init__(self, n: int, neuron: str | Neuron = "linear", name: str | None = None):
        self.n = check_int(n, "n", low=1)
        self.neuron = get_neuron(neuron, "neuron")
        self.name = name
        self.state = np.zeros(self.n)

    def activate(self, z: np.ndarray) -> np.ndarray:
        """Apply the population's law to summed inputs ``z`` (any leading batch shape)."""
        return self.neuron(z)

    def __repr__(self) -> str:
        return f"Population(n={self.n}, neuron={self.neuron.name!r}, name={self.name!r})"


class Synapse:
    """All connections from one population to another, or to itself.

    The weights are one matrix of shape ``(n_post, n_pre)``: a dense ndarray, or a
    ``scipy.sparse.csr_array`` whose structure is the topology when the topology is
    sparse. The input a batch of presynaptic states ``S`` (row-wise) sends is
    ``S @ W.T + bias``.

    Parameters
    ----------
    pre, post : Population
        Presynaptic and postsynaptic populations (the same object for recurrence).
    topology : Topology, optional
        Which connections exist. Defaults to all-to-all, without self-connections when
        ``pre is post``.
    weights : array_like or sparse, optional
        Initial weights (zeros by default); entries outside the topology are dropped.
    bias : bool or array_like
        ``True`` for a zero bias vector that learning may change, ``False`` for none, or
        an initial bias of shape ``(n_post,)``.
    rule : LearningRule, optional
        The rule :meth:`learn` applies.
    sparse : bool, optional
        Force sparse (True) or dense (False) storage; by default sparse when the
        topology's density is below :data:`neuromem.topology.SPARSE_DENSITY`.
    dtype : str
        ``"float64"`` or ``"float32"``.
    """

    def __init__(
        self,
        pre: Population,
        post: Population,
        *,
        topology: Topology | None = None,
        weights: Any = None,
        bias: bool | Any = False,
        rule: LearningRule | None = None,
        sparse: bool | None = None,
        dtype: Any = "float64",
    ):
        if not isinstance(pre, Population):
            raise ValidationError("pre", pre, "a neuromem Population")
        if not isinstance(post, Population):
            raise ValidationError("post", post, "a neuromem Population")
        self.pre = pre
        self.post = post
        self.dtype = check_dtype(dtype)
        shape = (post.n, pre.n)
        if topology is None:
            topology = (
                complete(post.n, n_pre=pre.n)
                if pre is post
                else complete(post.n, n_pre=pre.n, self_connections=True)
            )
        if not isinstance(topology, Topology):
            raise ValidationError("topology", topology, "a neuromem.topology.Topology")
        if topology.shape != shape:
            raise ValidationError(
                "topology",
                described(f"a topology of shape {topology.shape}"),
                f"shape (n_post, n_pre) = {shape} to match the populations",
            )
        self.topology = topology
        if sparse is None:
            sparse = topology.prefers_sparse()
        self.layout: Layout = self._compile(topology, bool(sparse))
        # Whether the matrix was handed out writable (live_weights): it is then
        # checked, in O(1), at every use (see _weights).
        self._live = False
        self._weights = self.layout.wrap(self.layout.empty(self.dtype))
        # Known to be all zero: nobody has read or written the weights yet. The first
        # learn() may then write its change instead of adding it (see LearningRule.update).
        self._fresh = True
        # Quantities derived from the weights (tie tolerances, transposes), computed on
        # first use and dropped whenever the weights or the bias may change.
        self._derived: dict[str, Any] = {}
        if weights is not None:
            self.set_weights(weights)
        if bias is True:
            self.bias = np.zeros(post.n, dtype=self.dtype)
        elif bias is False or bias is None:
            self.bias = None
        else:
            b = np.asarray(bias, dtype=self.dtype)
            if b.shape != (post.n,) or not np.all(np.isfinite(b)):
                raise ValidationError("bias", bias, f"a finite array of shape ({post.n},)")
            self.bias = b.copy()
        self.rule = None
        if rule is not None:
            self.set_rule(rule)

    @staticmethod
    def _compile(topology: Topology, sparse: bool) -> Layout:
        if sparse:
            return SparseLayout(topology.adjacency, topology.known_symmetric)
        if topology.is_complete:
            n_post, n_pre = topology.shape
            square_no_self = n_post == n_pre and topology.n_connections < n_post * n_pre
            return DenseLayout(topology.shape, zero_diagonal=square_no_self)
        return DenseLayout(topology.shape, mask=topology.mask())

    # -- properties --------------------------------------------------------------
    @property
    def _weights(self):
        """The weight matrix; once handed out writable, checked at every use that
        only its values changed (not its structure, size or dtype)."""
        w = self._matrix
        if self._live and not self._intact(w):
            raise ValidationError(
                "weights_",
                described("a weight matrix whose structure, size or dtype was changed"),
                "changes of the values of the existing connections only (assign "
                "synapse_.weights or call set_weights to change more)",
            )
        return w

    @_weights.setter
    def _weights(self, value) -> None:
        self._matrix = value

    def _intact(self, w) -> bool:
        """Whether ``w`` still has the layout's shape, dtype and (sparse) structure."""
        layout = self.layout
        if not layout.is_sparse:
            return (
                isinstance(w, np.ndarray)
                and w.shape == layout.shape
                and (w.dtype == self.dtype)
            )
        return (
            sp.issparse(w)
            and _same(w.indices, layout.indices)
            and _same(w.indptr, layout.indptr)
            and isinstance(w.data, np.ndarray)
            and w.data.shape == (layout.nnz,)
            and w.data.dtype == self.dtype
        )

    @property
    def is_sparse(self) -> bool:
        """Whether the weights are a scipy.sparse matrix."""
        return self.layout.is_sparse

    @property
    def weights(self):
        """The weight matrix ``(n_post, n_pre)``: an ndarray, or a CSR matrix.

        A read-only view: reading has no side effect. Change the weights by assigning
        this attribute, with :meth:`set_weights`, or in place inside :meth:`writing`.
        """
        return _read_only(self._weights)

    @weights.setter
    def weights(self, value) -> None:
        self._weights = self._conformed(value)
        self._fresh = False
        self._derived.clear()

    def _conformed(self, value):
        """``value`` as this synapse's weights: its layout's shape and kind, and for a
        sparse synapse its fixed structure (shared, not copied), in its dtype."""
        layout = self.layout
        ok = sp.issparse(value) if layout.is_sparse else isinstance(value, np.ndarray)
        if not ok or value.shape != layout.shape:
            kind = "sparse" if layout.is_sparse else "dense"
            raise ValidationError(
                "weights",
                described(
                    f"a value of type {type(value).__name__}, shape "
                    f"{getattr(value, 'shape', None)}"
                ),
                f"a {kind} matrix of shape {layout.shape} (set_weights converts one)",
            )
        if not layout.is_sparse:
            return value
        csr = sp.csr_array(value)
        if not layout.holds(csr):
            raise ValidationError(
                "weights",
                described(f"a sparse matrix of {csr.nnz} entries in another structure"),
                f"the synapse's {layout.nnz} connections (its topology's), in CSR order; "
                "set_weights keeps a matrix's values on them",
            )
        return layout.wrap(np.asarray(csr.data, dtype=self.dtype))

    @property
    def values(self) -> np.ndarray:
        """The weight values in the synapse's layout (the dense array, or CSR data),
        read only (see :attr:`weights`)."""
        return _read_only(self.layout.values(self._weights))

    @property
    def bias(self):
        """Bias ``(n_post,)`` added to the input, or None; read only (assign it, or
        change it in place inside :meth:`writing`)."""
        return None if self._bias is None else _read_only(self._bias)

    @bias.setter
    def bias(self, value) -> None:
        self._bias = value
        self._derived.clear()

    def writable(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The weight values (in the layout) and the bias, writable in place.

        Drops everything derived from them now; prefer :meth:`writing`, which drops it
        again when the block ends (what is derived in between would be stale). For a
        loop that writes many times and derives nothing (an optimiser's steps).
        """
        self._fresh = False
        self._derived.clear()
        return self.layout.values(self._weights), self._bias

    def live_weights(self):
        """The weight matrix itself, its values writable in place (what a model's
        ``weights_`` gives its user). Drops everything derived from the weights now,
        as :meth:`writable` does; the pure read is :attr:`weights`. A sparse synapse's
        structure is its topology's, shared and read only: an in-place change of it
        (``eliminate_zeros()``) raises; assign :attr:`weights` or use
        :meth:`set_weights` instead."""
        self._fresh = False
        self._derived.clear()
        w = self._weights
        self._live = True
        return w

    @contextlib.contextmanager
    def writing(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """``with syn.writing() as (values, bias):`` change the weights in place.

        Caches derived from the weights (tie tolerances, transposes) are dropped
        when the block ends.
        """
        try:
            yield self.writable()
        finally:
            self._derived.clear()

    def derived(self, key: str, compute):
        """``compute(self)``, cached until the weights or the bias change.

        Reads (:attr:`weights`, :attr:`values`, :attr:`bias`) are pure and keep it;
        assigning them, :meth:`writable`, :meth:`writing` and :meth:`learn` drop it.
        """
        if key not in self._derived:
            self._derived[key] = compute(self)
        return self._derived[key]

    @property
    def n_connections(self) -> int:
        """Number of connections (the topology's edges)."""
        return self.topology.n_connections

    # -- weights -----------------------------------------------------------------
    def set_weights(self, weights: Any) -> None:
        """Replace the weights; entries outside the topology are set to zero."""
        shape = self.layout.shape
        if self.is_sparse:
            mat = check_matrix(weights, "weights", shape, self.dtype)
            lay = self.layout
            if sp.issparse(mat) and mat.format == "csr" and lay.holds(mat):
                # Already on the structure (a loaded model's weights): its values, in
                # order, without the row index array and the gather of the general case.
                self.weights = lay.wrap(np.array(mat.data, dtype=self.dtype))
                return
            dense_rows = mat if sp.issparse(mat) else sp.csr_array(mat)
            vals = np.asarray(dense_rows[lay.rows, lay.cols]).ravel()
            self.weights = lay.wrap(vals.astype(self.dtype))
        else:
            mat = check_matrix(weights, "weights", shape, self.dtype)
            arr = mat.toarray() if sp.issparse(mat) else mat
            self.weights = self.layout.restrict(np.array(arr, dtype=self.dtype))

    def dense_weights(self) -> np.ndarray:
        """The weights as a dense ndarray (a copy for sparse synapses; read only for
        dense ones)."""
        return self.weights.toarray() if self.is_sparse else self.weights

    # -- simulation --------------------------------------------------------------
    def input(self, states: np.ndarray) -> np.ndarray:
        """Summed input ``states @ W.T + bias`` for one state ``(n_pre,)`` or a batch."""
        states = np.asarray(states, dtype=self.dtype)
        single = states.ndim == 1
        s2 = states[None, :] if single else states
        out = self.layout.field(self.layout.values(self._weights), s2)
        if self._bias is not None:
            out += self._bias
        return out[0] if single else out

    def set_rule(self, rule: LearningRule) -> None:
        """Attach the rule that :meth:`learn` applies, checking it supports the layout."""
        if not isinstance(rule, LearningRule):
            raise ValidationError("rule", rule, "a neuromem LearningRule")
        rule.check_layout(self.layout)
        self.rule = rule

    def learn(self, pre: np.ndarray, post: np.ndarray, signal: np.ndarray | None = None):
        """Apply the synapse's rule to one presentation or a batch, in place."""
        if self.rule is None:
            raise ValidationError("rule", None, "a learning rule attached with set_rule()")
        fresh, self._fresh = self._fresh, False
        self._derived.clear()
        self.rule.update(
            self.layout.values(self._weights), pre, post, self.layout, signal, fresh=fresh
        )

    def to_networkx(self) -> nx.DiGraph:
        """Unit-level graph with one edge per connection, weight as ``weight``.

        Nodes are ``(population name, index)``. Meant for small networks.
        """
        if self.is_sparse:
            rows, cols, w = self.layout.rows, self.layout.cols, self.values
        else:
            conn = sp.coo_array(self.topology.adjacency)
            rows, cols = conn.row, conn.col
            w = self.weights[rows, cols]
        graph = nx.DiGraph()
        graph.add_nodes_from(
            ((self.pre.name, j) for j in range(self.pre.n)), population=self.pre.name
        )
        graph.add_nodes_from(
            ((self.post.name, i) for i in range(self.post.n)), population=self.post.name
        )
        graph.add_weighted_edges_from(
            zip(
                ((self.pre.name, int(j)) for j in cols),
                ((self.post.name, int(i)) for i in rows),
                w.tolist(),
                strict=True,
            )
        )
        return graph

    def __repr__(self) -> str:
        kind = "sparse" if self.is_sparse else "dense"
        return (
            f"Synapse({self.pre.name!r} -> {self.post.name!r}, {self.layout.shape}, "
            f"{kind}, {self.n_connections} connections)"
        )


def _same(a, b) -> bool:
    """Whether ``a`` is ``b`` or a view of all of it (O(1))."""
    return a is b or (
        isinstance(a, np.ndarray)
        and a.shape == b.shape
        and a.dtype == b.dtype
        and a.ctypes.data == b.ctypes.data
    )


def _read_only(a):
    """A view of ``a`` (an ndarray, or a CSR matrix's data) that cannot be written."""
    if sp.issparse(a):
        # A shallow copy shares the index arrays themselves (no check, no copy).
        view = copy.copy(a)
        view.data = _read_only(a.data)
        return view
    view = a.view()
    view.flags.writeable = False
    return view
