"""What the sweeps of :mod:`neuromem.dynamics` read and record, apart from the tie law.

* :class:`Columns` / :func:`columns`: where each unit projects, ``W[:, i]``, for the
  rank-one field updates of asynchronous and Glauber sweeps;
* :class:`EventFields`: the fields of a synapse computed in full or updated where
  states changed (event-driven synchronous sweeps, ``NEUROMEM_SWEEPS``);
* :func:`kernel_backend`: numpy or the compiled kernels (``NEUROMEM_KERNELS``);
* :class:`Recording`, :func:`recording`, :func:`stored_overlaps`: per-sweep
  measurements (``recall(record=...)``), the overlaps as one matrix product.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from . import compiled
from .errors import ValidationError
from .memory import check_memory
from .memory_calls import held
from .metrics import overlap
from .synapse import Synapse
from .validation import infer_encoding

__all__ = [
    "Columns",
    "EventFields",
    "Recording",
    "columns",
    "kernel_args",
    "kernel_backend",
    "recording",
    "stored_overlaps",
    "sweep_mode",
]

KERNEL_ENV = "NEUROMEM_KERNELS"
SWEEPS_ENV = "NEUROMEM_SWEEPS"
_BLOCK_ROWS = 1024  # row blocks of the one-off scans of the weights (bounded temporaries)


class Recording:
    """Per-sweep measurements of every cue, filled in by the dynamics (``record=``).

    After the dynamics ran, :meth:`result` stacks the measurements cue-major:
    ``(P, T + 1, ...)``, index 0 taken on the cues before the first sweep. A cue that
    stopped early is measured on its final state in later sweeps (one
    stopped in a period-2 cycle on the two states of the cycle, alternately).

    Parameters
    ----------
    measures : dict of str to callable
        Each maps the states of all cues ``(P, N)`` (in the dynamics' own encoding) to
        an array ``(P, ...)``: the states in the patterns' encoding, the overlaps with
        every stored pattern, the energies.
    """

    def __init__(self, measures: dict[str, Callable[[np.ndarray], np.ndarray]]):
        self.measures = dict(measures)
        self.sweeps: dict[str, list[np.ndarray]] = {k: [] for k in self.measures}
        self.names = tuple(self.measures)
        self.nbytes = 0

    def add(self, states: np.ndarray) -> None:
        for name, measure in self.measures.items():
            # A copy: a measure may return a view of ``states``, which keeps changing.
            self.sweeps[name].append(np.array(measure(states), copy=True))
        # The trajectory grows with the sweeps a relaxation takes, unknown in advance:
        # it is checked as it grows (twice its size: result() stacks a copy), beside
        # the call's other arrays (its estimate for one sweep, set by the guard).
        self.nbytes += sum(v[-1].nbytes for v in self.sweeps.values())
        need = held() + 2 * self.nbytes
        check_memory(need, "record", self.names, "the recall with its trajectory")

    def result(self) -> dict[str, np.ndarray]:
        return {k: np.stack(v, axis=1) for k, v in self.sweeps.items()}


def recording(names, **measures) -> Recording | None:
    """A :class:`Recording` of the ``measures`` whose names are in ``names``, or ``None``
    when nothing is recorded (the dynamics then pay nothing)."""
    chosen = {k: f for k, f in measures.items() if k in names}
    return Recording(chosen) if chosen else None


def stored_overlaps(patterns: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A measure for :class:`Recording`: overlaps ``(P, n_stored)`` of the states with
    every stored pattern, the numbers of :func:`neuromem.metrics.overlap` (0/1
    patterns get the sparse overlap) as one matrix product ``S X^T / N``.

    A pattern set whose encoding is ambiguous (a pattern of all ones) or states that
    do not fit it are measured pattern by pattern by :func:`~neuromem.metrics.overlap`
    itself, which says what is wrong.
    """
    # Prepared on the first measurement: a recall that records no overlaps builds
    # this measure too, and the float64 copy and transpose of the patterns cost two
    # (n_stored, N) arrays that such a recall must neither hold nor be charged for.
    ready: list[Callable[[np.ndarray], np.ndarray]] = []

    def measure(states: np.ndarray) -> np.ndarray:
        if not ready:
            ready.append(_overlap_measure(patterns))
        return ready[0](states)

    return measure


def _overlap_measure(patterns: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The measure of :func:`stored_overlaps`, its pattern copies made."""
    x = np.asarray(patterns, dtype=np.float64)
    n = x.shape[1] if x.ndim == 2 else 0
    k = x.sum(axis=1) if n else np.zeros(0)
    encoding = infer_encoding(x) if len(x) and n else "bipolar"
    ambiguous = bool(len(x)) and bool(np.any(np.all(x == 1, axis=1)))
    if encoding == "real":  # rows of several encodings: each row is scored in its own
        ambiguous = ambiguous or any(infer_encoding(xi) == "binary" for xi in x)
    flat = (k == 0) | (k == n)
    xt = np.ascontiguousarray(x.T)
    signed = np.ascontiguousarray((2.0 * x[flat] - 1.0).T)
    with np.errstate(over="ignore"):  # used for 0/1 patterns only, whose k is a count
        denom = np.where(flat, 1.0, k * (n - k))

    # Signed patterns are scored as they are whatever the states hold: a masked cue
    # that happens to be 0/1 is a legal start, not 0/1 states against +/-1 patterns.
    scored_as = infer_encoding(x) if len(x) and n and np.any(x < 0) else None

    def each(states: np.ndarray) -> np.ndarray:
        out = np.empty((len(states), len(x)))
        for j, xi in enumerate(x):  # one pattern at a time: no (P, K, N) temporary
            out[:, j] = overlap(
                states, np.broadcast_to(xi, states.shape), encoding=scored_as
            )
        return out

    def measure(states: np.ndarray) -> np.ndarray:
        if ambiguous or not len(x) or not n:
            return each(states)
        s = np.asarray(states, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            prod = s @ xt
            if encoding != "binary":
                m = prod / n
            else:
                if np.any(s == -1):
                    return each(states)  # +/-1 states against 0/1 patterns: refused
                # (N s.xi - k sum(s)) / (k (N - k)), exact for 0/1 states.
                m = (n * prod - s.sum(axis=1)[:, None] * k) / denom
                if flat.any():
                    m[:, flat] = ((2.0 * s - 1.0) @ signed) / n
        if not np.all(np.isfinite(m)):
            return each(states)  # an overflow: overlap() refuses it by name
        return m

    return measure


def sweep_mode() -> str:
    """``"events"`` (default) or ``"full"``: how synchronous sweeps compute the
    fields after the first (environment variable ``NEUROMEM_SWEEPS``, read at every
    call)."""
    choice = os.environ.get(SWEEPS_ENV, "events").strip().lower() or "events"
    if choice not in ("events", "full"):
        raise ValidationError(SWEEPS_ENV, choice, "'events' or 'full'")
    return choice


class EventFields:
    """Fields of a synapse's units, computed in full or updated where states changed.

    ``full(S)`` is ``S W^T + b``: for +/-1 states on a sparse synapse (compiled kernels
    available), one compiled product over the CSR rows with the states held as int8,
    the same sums in the same order as scipy's; otherwise the synapse's own
    ``input``. ``update(h, S, dS)`` adds ``dS[:, C] W[:, C]^T`` for the units ``C`` that
    changed, from the columns of ``W`` (:class:`Columns`), or recomputes in full when
    more than a quarter of the units changed (dense: in any cue; sparse: of all the
    cues' units). On a sparse synapse of symmetric structure with the compiled kernels
    (``exact``), the update recomputes the rows reached by a changed unit instead:
    exact fields, no column copy.
    """

    #: Dense: above this fraction of units changed (in any cue), a full product is
    #: cheaper than the update.
    full_fraction = 0.25
    #: Sparse: the update visits the synapses of the changed units (their columns,
    #: or for the exact update the rows they reach) in random order, several times
    #: dearer each than a full product's visit in row order (about 7x measured at
    #: N = 10^6); above this fraction of a full product's rows, the full product is
    #: cheaper.
    sparse_fraction = 0.1

    def __init__(self, synapse: Synapse):
        self.syn = synapse
        layout = synapse.layout
        self.sparse = layout.is_sparse
        self.fast = kernel_backend() == "numba"
        self.n = layout.shape[1]
        #: Sparse with a structure known to be symmetric (the units a unit reaches are
        #: its row) and compiled kernels: the rows that receive input from a changed
        #: unit are recomputed in full, in scipy's order, so every field is exact and
        #: no cue needs confirming; no column copy is made.
        self.exact = (
            self.sparse
            and self.fast
            and getattr(layout, "symmetric_structure", None) is True
            and layout.shape[0] == layout.shape[1]
        )
        self._mark = None

    def __call__(self, s: np.ndarray) -> np.ndarray:
        return self.full(s)

    #: Whether +/-1 states on a sparse synapse use the compiled int8 product (exact
    #: too). Off: on the shared 2-core machine it measured no faster than scipy's
    #: per-state product (benchmarks/bench_scale.py prints both).
    compiled = False

    def full(self, s: np.ndarray) -> np.ndarray:
        syn = self.syn
        if not (self.sparse and self.fast and self.compiled) or s.dtype != syn.dtype:
            return syn.input(s)
        _kernels = compiled.kernels()

        s_t = np.empty((s.shape[1], s.shape[0]), dtype=np.int8)
        if not _kernels.signs_t(s, s_t):
            return syn.input(s)
        w = syn._weights
        out = np.empty((w.shape[0], s.shape[0]), dtype=syn.dtype)
        _kernels.csr_field_signs(w.indptr, w.indices, w.data, s_t, out)
        h = np.ascontiguousarray(out.T)
        if syn._bias is not None:
            h += syn._bias
        return h

    def update(self, h: np.ndarray, s: np.ndarray, change: np.ndarray) -> np.ndarray:
        if not self.sparse:
            # One product over the units that changed in any cue: W[:, C] for all.
            units = np.flatnonzero(change.any(axis=0))
            if len(units) > self.full_fraction * self.n:
                return self.full(s)
            if len(units):
                h += change[:, units] @ columns(self.syn).dense[units]
            return h
        # Sparse: each change costs its column alone.
        cue, unit = np.nonzero(change)
        syn = self.syn
        exact = self.exact and s.dtype == syn.dtype == h.dtype
        per_unit = max(1.0, syn.layout.nnz / max(1, self.n))  # synapses per column
        reads = len(cue) * per_unit  # at most the rows reached
        if reads > self.sparse_fraction * change.size:
            return self.full(s)
        if exact:
            _kernels = compiled.kernels()

            if self._mark is None:
                self._mark = np.zeros(self.n, dtype=bool)
            w = syn._weights
            bias = syn._bias if syn._bias is not None else np.zeros(0, dtype=h.dtype)
            _kernels.recompute_rows(
                h, s, cue, unit, w.indptr, w.indices, w.data, bias, self._mark
            )
            return h
        cols = columns(self.syn)
        delta = change[cue, unit]
        if self.fast:
            _kernels = compiled.kernels()

            _kernels.add_changes(h, cue, unit, delta, cols.indptr, cols.indices, cols.data)
            return h
        for b in np.unique(cue):  # one sparse product per cue (numpy path)
            mine = cue == b
            sub = _column_block(cols, unit[mine])
            h[b] += delta[mine] @ sub
        return h


def _column_block(cols: Columns, units: np.ndarray):
    """Columns ``units`` of ``W`` as the rows of a CSR matrix ``(len(units), N)``."""
    n = len(cols.indptr) - 1
    t = sp.csr_array((cols.data, cols.indices, cols.indptr), shape=(n, n))
    return t[units]


class Columns:
    """Where each unit projects: ``W[:, i]`` for every unit ``i``, contiguous.

    Symmetric weights are their own transpose, so no copy is made; otherwise the
    transpose (dense) or the CSC form (sparse) is made once per change of weights.

    Attributes
    ----------
    dense : ndarray or None
        Row ``i`` is column ``i`` of ``W`` (dense synapses).
    indptr, indices, data : ndarray or None
        Column ``i`` of ``W`` is ``data[indptr[i]:indptr[i+1]]`` at rows
        ``indices[...]`` (sparse synapses).
    symmetric : bool
        Whether ``W`` equals its transpose (no copy was needed).
    """

    def __init__(self, synapse: Synapse):
        w = synapse._weights
        self.dense = self.indptr = self.indices = self.data = None
        if synapse.layout.is_sparse:
            # W^T as CSR (sorted): one copy of the weights, compared array by array
            # with W (a symmetric W is its own columns, and the copy is dropped)
            # rather than through W != W^T, whose temporaries are twice the weights.
            # (A search for each entry's reverse in place measured 3x slower at
            # N = 10^6 than this copy.)
            t = sp_csc(w)
            self.symmetric = (
                w.shape[0] == w.shape[1]
                and w.has_sorted_indices
                and np.array_equal(t.indptr, w.indptr)
                and np.array_equal(t.indices, w.indices)
                and np.array_equal(t.data, w.data)
            )
            cols = w if self.symmetric else t
            self.indptr, self.indices, self.data = cols.indptr, cols.indices, cols.data
        else:
            self.symmetric = _dense_symmetric(w)
            self.dense = w if self.symmetric else np.ascontiguousarray(w.T)

    def column(self, i: int):
        """``(where, values)`` of column ``i``: a slice (dense) or row indices."""
        if self.dense is not None:
            return slice(None), self.dense[i]
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return self.indices[lo:hi], self.data[lo:hi]


def sp_csc(w):
    """Column-compressed copy with sorted indices, as CSR arrays of ``W.T``."""
    cols = w.tocsc()
    cols.sort_indices()
    return cols


def _dense_symmetric(w: np.ndarray) -> bool:
    n_post, n_pre = w.shape
    if n_post != n_pre:
        return False
    for lo in range(0, n_post, _BLOCK_ROWS):  # bounded temporaries
        if not np.array_equal(w[lo : lo + _BLOCK_ROWS], w[:, lo : lo + _BLOCK_ROWS].T):
            return False
    return True


def columns(synapse: Synapse) -> Columns:
    """The synapse's :class:`Columns`, cached until its weights change."""
    return synapse.derived("dynamics.columns", Columns)


def kernel_backend() -> str:
    """``"numba"`` or ``"numpy"``: which kernels the sequential dynamics use now.

    Reads the environment variable ``NEUROMEM_KERNELS`` at every call: ``numpy``
    forces the numpy reference path, ``numba`` requires the compiled kernels, and
    ``auto`` (or unset) uses numba when it can be imported.
    """
    choice = os.environ.get(KERNEL_ENV, "auto").strip().lower() or "auto"
    if choice not in ("auto", "numba", "numpy"):
        raise ValidationError(KERNEL_ENV, choice, "'auto', 'numba' or 'numpy'")
    if choice == "numpy":
        return "numpy"
    # numba is imported on first use: importing neuromem stays fast.
    _kernels = compiled.kernels()

    if _kernels.AVAILABLE:
        return "numba"
    if choice == "numba":
        raise ValidationError(
            KERNEL_ENV, choice, "'auto' or 'numpy': numba is not installed"
        )
    return "numpy"


def kernel_args(cols: Columns, dtype):
    """Column arrays for a compiled kernel (empty placeholders for the unused form)."""
    if cols.dense is not None:
        empty_i = np.zeros(1, dtype=np.int32)  # the CSR index type: one compiled variant
        return True, cols.dense, empty_i, empty_i, np.zeros(1, dtype=dtype)
    dense = np.zeros((1, 1), dtype=dtype)
    return False, dense, cols.indptr, cols.indices, cols.data
