"""Weight layouts: how one rule, written once, updates dense and sparse synapses.

A learning rule computes its change of weights with a handful of layout primitives
(:meth:`Layout.outer`, :meth:`Layout.post`, :meth:`Layout.pre`) and the weight *values*
of the layout: the full ``(n_post, n_pre)`` array for a dense synapse, the ``data`` vector
of the CSR matrix for a sparse one. The same rule code therefore runs on both, and a
sparse update costs O(connections), not O(n_post * n_pre).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.sparse as sp
from scipy.linalg.blas import get_blas_funcs

from . import compiled

__all__ = ["DenseLayout", "Layout", "SparseLayout", "layout_for"]

# Sparse outer products over a batch: past this many (presentations x connections)
# products, one dense GEMM followed by a gather is faster than element-wise products.
_GATHER_LIMIT = 1 << 22

# From this many connections on, a sparse field is computed one state at a time.
_MATVEC_PER_STATE = 1 << 16

# numpy sends ``a.T @ a`` to BLAS syrk. OpenBLAS 0.3.31's syrk kills the interpreter
# (SIGSEGV) for a float64 result of N = 20,000 (P = 200, two threads; a 3.2 GB result),
# so a Gram matrix bigger than this is computed in panels (see :func:`gram`) whose syrk
# and gemm calls stay far below the sizes that crash.
_SYRK_MAX_BYTES = 1 << 30
# Width of the column panels of a blocked Gram product.
_GRAM_BLOCK = 2048


def gram(a: np.ndarray, out: np.ndarray, block: int | None = None) -> np.ndarray:
    """``out[...] = a.T @ a`` for ``a`` of shape ``(P, N)``, never crashing BLAS.

    Up to :data:`_SYRK_MAX_BYTES` of result this is numpy's own product (BLAS syrk: half
    the flops of a gemm). Larger results (or any result when ``block`` is given) are
    computed in column panels of width ``block``: for every panel, its diagonal block
    by syrk, the part right of it by one gemm written straight into ``out``, and the
    part below it as the transpose of that (the product is symmetric). The numbers
    agree with ``a.T @ a`` up to rounding order.

    Parameters
    ----------
    a : ndarray, shape (P, N)
    out : ndarray, shape (N, N), C-contiguous, of ``a``'s dtype
        Overwritten.
    block : int, optional
        Force the panel path with this width (tests use a small one).
    """
    n = a.shape[1]
    if block is None:
        if out.nbytes <= _SYRK_MAX_BYTES:
            np.matmul(a.T, a, out=out)
            return out
        block = _GRAM_BLOCK
    a = np.ascontiguousarray(a)
    for i0 in range(0, n, block):
        i1 = min(i0 + block, n)
        panel = a[:, i0:i1]
        np.matmul(panel.T, panel, out=out[i0:i1, i0:i1])
        if i1 < n:
            np.matmul(panel.T, a[:, i1:], out=out[i0:i1, i1:])
            out[i1:, i0:i1] = out[i0:i1, i1:].T
    return out


class Layout:
    """Base class of weight layouts; see the module docstring."""

    is_sparse: bool = False

    def __init__(self, shape: tuple[int, int]):
        self.shape = (int(shape[0]), int(shape[1]))

    def values(self, weights):
        """The layout's value array for ``weights`` (a view, not a copy)."""
        raise NotImplementedError

    def wrap(self, values):
        """A weight matrix (ndarray or CSR) holding ``values``."""
        raise NotImplementedError

    def outer(self, post: np.ndarray, pre: np.ndarray) -> np.ndarray:
        """``sum_b post[b, i] * pre[b, j]`` at every connection ``(i, j)``.

        ``post`` is ``(B, n_post)`` and ``pre`` is ``(B, n_pre)``.
        """
        raise NotImplementedError

    def post(self, v: np.ndarray) -> np.ndarray:
        """Broadcast a per-postsynaptic-unit vector ``(n_post,)`` to the layout."""
        raise NotImplementedError

    def pre(self, v: np.ndarray) -> np.ndarray:
        """Broadcast a per-presynaptic-unit vector ``(n_pre,)`` to the layout."""
        raise NotImplementedError

    def restrict(self, values: np.ndarray) -> np.ndarray:
        """Zero the entries of ``values`` that are not connections (in place)."""
        return values

    def add_outer(
        self,
        values: np.ndarray,
        post: np.ndarray,
        pre: np.ndarray,
        scale: float,
        overwrite: bool = False,
    ) -> None:
        """``values += scale * outer(post, pre)`` in place (entries outside the
        connectivity may be touched; call :meth:`restrict` afterwards). With
        ``overwrite`` the values are known to be zero and are replaced instead."""
        if overwrite:
            values[...] = scale * self.outer(post, pre)
        else:
            values += scale * self.outer(post, pre)

    def field(self, values: np.ndarray, states: np.ndarray) -> np.ndarray:
        """``states @ W.T``: the input each postsynaptic unit receives, row-wise."""
        raise NotImplementedError

    def transpose_field(self, values: np.ndarray, states: np.ndarray) -> np.ndarray:
        """``states @ W``: a postsynaptic quantity sent back to the presynaptic units."""
        raise NotImplementedError

    def empty(self, dtype) -> np.ndarray:
        """Zero values of the layout."""
        raise NotImplementedError

    def transposed(self, values: np.ndarray) -> np.ndarray:
        """The values of ``W.T`` at the layout's entries (square layouts only).

        Entry ``(i, j)`` gets ``w_ji``, or 0 where the connection ``j -> i`` has no
        reverse. Rules that couple a weight to its reverse (Storkey's, a symmetric
        perceptron) use it.
        """
        raise NotImplementedError

    def diagonal(self, values: np.ndarray) -> np.ndarray:
        """The self-connection weights ``w_ii`` as a vector (square layouts only)."""
        raise NotImplementedError

    def add_diagonal(self, values: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Add ``v[i]`` to every existing self-connection ``w_ii`` (in place)."""
        raise NotImplementedError


class DenseLayout(Layout):
    """Weights as one ``(n_post, n_pre)`` ndarray, optionally restricted by a mask.

    Parameters
    ----------
    shape : tuple
        ``(n_post, n_pre)``.
    mask : ndarray of bool, optional
        Allowed connections; ``None`` allows all.
    zero_diagonal : bool
        Cheaper equivalent of a mask that forbids only self-connections.
    """

    def __init__(self, shape, mask: np.ndarray | None = None, zero_diagonal: bool = False):
        super().__init__(shape)
        self.mask = mask
        self.zero_diagonal = zero_diagonal

    def values(self, weights):
        return weights

    def wrap(self, values):
        return values

    def outer(self, post, pre):
        if post.shape[0] == 1:
            # One presentation: a broadcast product is the same numbers without a
            # BLAS call, whose threads cost more than a rank-one update of this size.
            return np.multiply(post[0][:, None], pre[0][None, :])
        if post is pre:
            return gram(pre, np.empty(self.shape, dtype=pre.dtype))
        return post.T @ pre

    def post(self, v):
        return np.asarray(v)[:, None]

    def pre(self, v):
        return np.asarray(v)[None, :]

    def restrict(self, values):
        if self.zero_diagonal:
            np.fill_diagonal(values, 0)
        if self.mask is not None:
            np.multiply(values, self.mask, out=values)
        return values

    def add_outer(self, values, post, pre, scale, overwrite=False):
        if (
            overwrite
            and values.flags.c_contiguous
            and values.dtype == pre.dtype == post.dtype
        ):
            # Zero weights are written, not added to. For auto-association (the same
            # array on both sides) scaling by sqrt(scale) keeps the product of an array
            # with itself, which numpy hands to BLAS syrk: half the flops of a gemm.
            if post is pre and scale >= 0:
                # math.sqrt: a Python float keeps a float32 array float32 (numpy 2's
                # promotion turns float32 * np.float64 into float64).
                a = pre * math.sqrt(scale) if scale != 1 else pre
                gram(a, values)
            else:
                np.matmul(post.T, pre * scale, out=values)
            return
        if post.shape[0] == 1:
            # One presentation: a broadcast product, no BLAS threads to wake.
            values += np.multiply((scale * post[0])[:, None], pre[0][None, :])
            return
        # One BLAS gemm with beta = 1 accumulates straight into the weights: no N x N
        # temporary, no separate scaling and addition passes. W is C-ordered, so its
        # transpose is the Fortran-ordered matrix gemm can overwrite: W^T += s pre^T post.
        if values.flags.c_contiguous and values.dtype == post.dtype == pre.dtype:
            gemm = get_blas_funcs("gemm", (values,))
            out = gemm(scale, pre.T, post, beta=1.0, c=values.T, overwrite_c=True)
            if np.shares_memory(out, values):
                return
        values += scale * self.outer(post, pre)

    def field(self, values, states):
        return states @ values.T

    def transpose_field(self, values, states):
        return states @ values

    def empty(self, dtype):
        # malloc + fill, not calloc: freed weight matrices are recycled already mapped,
        # where np.zeros hands back fresh pages that each fault on first write (three
        # times slower when many models are built, as in a sweep).
        values = np.empty(self.shape, dtype=dtype)
        values.fill(0)
        return values

    def transposed(self, values):
        return values.T

    def diagonal(self, values):
        return np.diagonal(values).copy()

    def add_diagonal(self, values, v):
        idx = np.arange(min(self.shape))
        values[idx, idx] += v
        return values


class SparseLayout(Layout):
    """Weights as a CSR matrix whose structure is the connectivity.

    The structure is fixed (explicit zeros are kept), so the value vector lines up with
    ``rows`` and ``cols`` for the synapse's whole life.
    """

    is_sparse = True

    def __init__(self, structure: sp.csr_array, symmetric: bool | None = None):
        super().__init__(structure.shape)
        #: Whether the structure (not the values) is symmetric; None: not known.
        self.symmetric_structure = symmetric
        structure = sp.csr_array(structure)
        structure.sort_indices()
        self.indptr = structure.indptr
        self.indices = structure.indices
        self.cols = self.indices
        self.nnz = len(self.indices)
        self._rows = None

    @property
    def rows(self) -> np.ndarray:
        """Row (postsynaptic unit) of every entry, made on first use.

        The hot paths do without it (a row's entries are a slice of the values), so a
        large synapse does not pay a second index array for it.
        """
        if self._rows is None:
            n = self.shape[0]
            dtype = (
                self.indices.dtype if n <= np.iinfo(self.indices.dtype).max else np.int64
            )
            self._rows = np.repeat(np.arange(n, dtype=dtype), np.diff(self.indptr))
        return self._rows

    def _row_blocks(self, batch: int):
        """Row ranges ``(r0, r1, s0, s1)`` whose entries ``s0:s1`` number about
        ``_GATHER_LIMIT / batch``: temporaries stay small whatever the synapse's size."""
        per = max(1, _GATHER_LIMIT // max(batch, 1))
        n = self.shape[0]
        if self.nnz <= per:
            yield 0, n, 0, self.nnz
            return
        bounds = np.searchsorted(self.indptr, np.arange(0, self.nnz, per), side="right") - 1
        bounds = np.unique(np.concatenate([bounds, [n]]))
        for r0, r1 in itertools.pairwise(bounds):
            yield int(r0), int(r1), int(self.indptr[r0]), int(self.indptr[r1])

    def _block_outer(self, post, pre, r0, r1, s0, s1):
        """``sum_b post[b, i] pre[b, j]`` at the entries ``s0:s1`` (rows ``r0:r1``)."""
        counts = np.diff(self.indptr[r0 : r1 + 1])
        cols = self.indices[s0:s1]
        out = np.repeat(post[0, r0:r1], counts) * pre[0].take(cols)
        for b in range(1, post.shape[0]):  # a loop over presentations, not units
            out += np.repeat(post[b, r0:r1], counts) * pre[b].take(cols)
        return out

    def values(self, weights):
        return weights.data

    def wrap(self, values):
        return sp.csr_array(
            (values, self.indices, self.indptr), shape=self.shape, copy=False
        )

    def holds(self, matrix) -> bool:
        """Whether the sparse ``matrix`` has this structure (its entries in CSR order)."""
        m = sp.csr_array(matrix)
        if m.indices is self.indices and m.indptr is self.indptr:
            return True
        return (
            m.nnz == self.nnz
            and np.array_equal(m.indptr, self.indptr)
            and np.array_equal(m.indices, self.indices)
        )

    def _dense_gather(self, batch: int) -> bool:
        # Many presentations on a synapse whose dense product is affordable: one GEMM
        # and a gather beat a product per presentation.
        return (
            batch * self.nnz > _GATHER_LIMIT and self.shape[0] * self.shape[1] <= 50_000_000
        )

    def outer(self, post, pre):
        batch = post.shape[0]
        if self._dense_gather(batch):
            return (post.T @ pre)[self.rows, self.cols]
        dtype = np.result_type(post, pre)
        if batch == 0:
            return np.zeros(self.nnz, dtype=dtype)
        out = np.empty(self.nnz, dtype=dtype)
        for r0, r1, s0, s1 in self._row_blocks(1):
            out[s0:s1] = self._block_outer(post, pre, r0, r1, s0, s1)
        return out

    def add_outer(self, values, post, pre, scale, overwrite=False):
        batch = post.shape[0]
        if self._dense_gather(batch) or batch == 0:
            super().add_outer(values, post, pre, scale, overwrite)
            return
        scale = float(scale)
        if self._compiled_outer(values, post, pre, scale, overwrite):
            return
        # Block by block, in place: no temporary the size of the synapse.
        for r0, r1, s0, s1 in self._row_blocks(1):
            block = self._block_outer(post, pre, r0, r1, s0, s1)
            if scale != 1.0:
                block *= scale
            if overwrite:
                values[s0:s1] = block
            else:
                values[s0:s1] += block

    def _compiled_outer(self, values, post, pre, scale, overwrite) -> bool:
        """:meth:`add_outer` in one compiled pass over the entries (the same numbers:
        the same products, sums and scaling in the same dtype and order), where numba
        is installed and the arrays share the values' dtype; False otherwise."""
        _kernels = compiled.kernels()

        dtype = values.dtype
        if not _kernels.AVAILABLE or post.dtype != dtype or pre.dtype != dtype:
            return False
        post_t = np.ascontiguousarray(post.T)
        pre_t = _kernels.gathered(pre)  # int8 where +/-1: gathers stay in cache
        factor = np.array(scale, dtype=dtype)[()]  # numpy scales by the values' dtype
        _kernels.sparse_outer(
            self.indptr,
            self.indices,
            post_t,
            pre_t,
            factor,
            scale != 1.0,
            overwrite,
            values,
        )
        return True

    def post(self, v):
        return np.repeat(np.asarray(v), np.diff(self.indptr))

    def pre(self, v):
        return np.asarray(v)[self.cols]

    def field(self, values, states):
        w = self.wrap(values)
        if self.nnz >= _MATVEC_PER_STATE and states.shape[0] > 1:
            # One sparse matrix-vector product per state (a loop over cues, not
            # units): each reads one state vector, which stays in cache, where
            # scipy's multi-vector product reads a row of all the states at every
            # connection (2-3x slower on a large random graph). Same sums, same order.
            out = np.empty(
                (states.shape[0], self.shape[0]), dtype=np.result_type(w, states)
            )
            for b in range(states.shape[0]):
                out[b] = w @ states[b]
            return out
        # scipy's multi-vector product wants the vectors C-ordered as columns.
        return (w @ np.ascontiguousarray(states.T)).T

    def transpose_field(self, values, states):
        return (self.wrap(values).T @ states.T).T

    def empty(self, dtype):
        return np.zeros(self.nnz, dtype=dtype)

    def _reverse(self):
        # Position in ``values`` of the reverse connection of every entry (-1: none).
        # CSR entries with sorted indices are sorted by (row, col), so one binary
        # search per entry finds its reverse; computed once per layout.
        rev = getattr(self, "_reverse_index", None)
        if rev is None:
            n = self.shape[1]
            keys = self.rows.astype(np.int64) * n + self.cols
            tkeys = self.cols.astype(np.int64) * n + self.rows
            pos = np.minimum(np.searchsorted(keys, tkeys), max(self.nnz - 1, 0))
            rev = np.where(keys[pos] == tkeys, pos, -1) if self.nnz else pos
            self._reverse_index = rev
        return rev

    def transposed(self, values):
        rev = self._reverse()
        out = values[np.maximum(rev, 0)]
        out[rev < 0] = 0
        return out

    def _diag_entries(self):
        d = getattr(self, "_diag_index", None)
        if d is None:
            d = np.flatnonzero(self.rows == self.cols)
            self._diag_index = d
        return d

    def diagonal(self, values):
        out = np.zeros(min(self.shape), dtype=values.dtype)
        d = self._diag_entries()
        out[self.rows[d]] = values[d]
        return out

    def add_diagonal(self, values, v):
        d = self._diag_entries()
        values[d] += np.asarray(v)[self.rows[d]]
        return values


def layout_for(weights) -> Layout:
    """The natural layout of a weight matrix: sparse structure, or dense without mask."""
    if sp.issparse(weights):
        return SparseLayout(sp.csr_array(weights))
    return DenseLayout(np.shape(weights))
