"""Batched attractor dynamics for binary (+/-1 and 0/1) recurrent networks.

Every function relaxes many cues at once, stored row-wise, and reports per cue how many
sweeps it took and whether it reached a fixed point.

The update law (ties, zero states, thresholds)
----------------------------------------------
One law serves every dynamics (synchronous, asynchronous, Glauber at ``T -> 0``), dense
and sparse synapses, float32 and float64:

* The field of unit ``i`` is a **tie** when ``|h_i| <= tol_i``, with the per-unit
  tolerance (:func:`tie_tolerances`)::

      tol_i = 2 (n_i + 1) eps (sum_j |w_ij| + |b_i|)

  ``n_i`` is the number of inputs of unit ``i``, ``eps`` the machine epsilon of the
  weights' dtype and ``b`` the bias. With states in ``[-1, 1]`` this bounds the rounding
  error of the computed field (``gamma_n`` of a dot product of ``n`` terms, doubled), so
  an exact tie - common with Hebbian weights, which are multiples of ``1 / N`` - is
  recognised whatever the summation order (dense or sparse, batched or one unit at a
  time), while a real field, however small against ``max |w|``, is not one. A rule
  whose weights carry a larger computation error declares it (``weight_atol_``, an
  absolute bound per weight: the projection rule's ``4 N eps cond(X X^T) max|W|``) and
  ``2 n_i weight_atol_`` is added. The tolerance is
  relative to the magnitudes summed into that unit's field: scaling the weights by any
  ``c > 0`` scales every tolerance by ``c`` and leaves the dynamics unchanged. It is
  computed when the weights change (``store``, ``unlearn``, loading), not per recall.
  Being a worst-case bound it grows with ``n_i``: in float32 at ``N = 4000`` it is
  about ``1e-3 sum_j |w_ij|``.
* +/-1 units: ``s_i <- +1`` if ``h_i > tol_i``, ``-1`` if ``h_i < -tol_i``; at a tie the
  unit **keeps the sign of its state**: a +/-1 unit keeps its state, a unit whose
  state is 0 (a masked cue) becomes **+1**, and a graded cue value (say 0.5 or -0.3)
  becomes its sign. So every state is +/-1 after a unit's first visit (after the
  first sweep), whatever the cue.
* 0/1 units (a threshold ``theta``): active only when the field is strictly above the
  threshold beyond the tolerance, ``W s - theta > tol``; at a tie the unit is
  **inactive**, whatever its state.
* Glauber dynamics is the heat bath: a tie counts as a field of exactly 0, so the unit
  becomes +1 with probability 1/2 (a seeded fair coin, also at ``T -> 0``).
* ``converged = True`` means the returned state is a fixed point of this law (for
  Glauber: a whole sweep changed no unit).

Random streams (so that a reference can reproduce a run from the seed's Generator):
asynchronous dynamics with ``order="random"`` draws ``rng.permutation(N)`` once per
sweep, shared by the cues of the batch; Glauber draws, per sweep, ``u = rng.random((N,
B))`` for the ``B`` cues still running and then ``order = rng.permutation(N)``; unit
``order[k]`` of the ``b``-th running cue becomes +1 iff ``h > arctanh(2 u[k, b] - 1) /
beta`` (equivalently ``u < 1 / (1 + exp(-2 beta h))``), with a tie's ``h`` taken as 0.

Kernels: where numba is installed (``pip install "neuromem[fast]"``), the asynchronous
and Glauber sweeps run in compiled kernels (:mod:`neuromem._kernels`) that give the
same states, steps and convergence as the numpy path; set the environment variable
``NEUROMEM_KERNELS=numpy`` to force the numpy path (read at every call).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.linalg.blas import get_blas_funcs

from .errors import ValidationError, described
from .memory import check_memory
from .progress import steps as long_loop
from .synapse import Synapse

__all__ = [
    "Recording",
    "asynchronous",
    "decide",
    "glauber",
    "kernel_backend",
    "recording",
    "sign_keep",
    "stored_overlaps",
    "sweep_mode",
    "synchronous",
    "tie_tolerance",
    "tie_tolerances",
]

Field = Callable[[np.ndarray], np.ndarray]
Energy = Callable[[np.ndarray], np.ndarray]

#: Safety factor of the tie tolerance over the rounding bound ``(n + 1) eps sum |w|``.
TIE_FACTOR = 2.0
KERNEL_ENV = "NEUROMEM_KERNELS"
SWEEPS_ENV = "NEUROMEM_SWEEPS"
_BLOCK_ROWS = 1024  # row blocks of the one-off scans of the weights (bounded temporaries)


def tie_tolerances(synapse: Synapse) -> np.ndarray:
    """Per-unit tie tolerances ``2 (n_i + 1) eps (sum_j |w_ij| + |b_i|)``, shape (N,).

    Cached on the synapse (see :meth:`Synapse.derived`): computed once after the
    weights or the bias change, in row blocks (no ``|W|`` temporary of full size).
    """
    return synapse.derived("dynamics.tie", _tie_tolerances)


def _tie_tolerances(synapse: Synapse) -> np.ndarray:
    layout = synapse.layout
    w = synapse._weights
    dtype = synapse.dtype
    with np.errstate(over="ignore"):  # an overflowing sum is refused below
        if layout.is_sparse:
            mags = np.abs(w).sum(axis=1)
            n_in = np.diff(w.indptr)
        else:
            n_post, n_pre = w.shape
            mags = np.empty(n_post, dtype=dtype)
            for lo in range(0, n_post, _BLOCK_ROWS):
                block = np.abs(w[lo : lo + _BLOCK_ROWS])
                block.sum(axis=1, out=mags[lo : lo + _BLOCK_ROWS])
            n_in = n_pre
        mags = np.asarray(mags, dtype=dtype).ravel()
        if synapse._bias is not None:
            mags = mags + np.abs(synapse._bias).astype(dtype)
    eps = np.finfo(dtype).eps
    n_in = np.asarray(n_in, dtype=dtype)
    with np.errstate(over="ignore"):
        tol = (TIE_FACTOR * eps) * (n_in + 1) * mags
        # A rule whose weights carry a computation error beyond their own rounding (the
        # projection rule's pseudo-inverse) states it as an absolute bound per weight.
        atol = float(getattr(synapse.rule, "weight_atol_", 0.0) or 0.0)
        if atol > 0:
            tol = tol + TIE_FACTOR * n_in * atol
    if not np.all(np.isfinite(tol)):
        # sum_j |w_ij| overflows: so could the fields. Refuse rather than let every
        # field count as a tie (or become NaN) in silence.
        raise ValidationError(
            "weights",
            described(f"weights whose sum of |w_ij| over a row reaches {mags.max():g}"),
            f"weights whose row sums of |w| stay below the {dtype} range "
            f"({np.finfo(dtype).max:g}); scale them down",
        )
    return tol.astype(dtype, copy=False)


def tie_tolerance(values: np.ndarray, n_inputs: int) -> float:
    """One global tolerance ``n_inputs * eps * max|w|`` (the former law).

    Kept for callers outside the classical model; the Hopfield dynamics use the
    per-unit :func:`tie_tolerances`, relative to the magnitudes summed into each field.
    """
    if values.size == 0:
        return 0.0
    largest = max(float(values.max()), -float(values.min()))
    return float(n_inputs * np.finfo(values.dtype).eps * largest)


def decide(h: np.ndarray, current: np.ndarray, tol=0.0, binary: bool = False) -> np.ndarray:
    """New states under the tie law (module docstring) from fields ``h``.

    Parameters
    ----------
    h : ndarray
        Fields, any shape broadcastable with ``current``.
    current : ndarray
        Current states (+/-1, or 0 for a masked unit).
    tol : float or ndarray
        Tie tolerance, broadcast against ``h`` (per unit: shape ``(N,)``).
    binary : bool
        0/1 units in the +/-1 encoding: a tie means inactive (-1).
    """
    up = h > tol
    if binary:
        return np.where(up, 1, -1).astype(current.dtype)
    # A tie keeps the sign of the state: +/-1 stays, a masked 0 becomes +1 and a
    # graded cue value becomes its sign, so no state outside +/-1 survives a visit.
    new = np.where(current < 0, -1, 1).astype(current.dtype)
    new[np.broadcast_to(up, new.shape)] = 1
    new[np.broadcast_to(h < -tol, new.shape)] = -1
    return new


def sign_keep(h: np.ndarray, current: np.ndarray, tol=0.0) -> np.ndarray:
    """``sign(h)`` under the +/-1 tie law: at a tie the sign of ``current`` (0: +1)."""
    return decide(h, current, tol)


class Recording:
    """Per-sweep measurements of every cue, filled in by the dynamics (``record=``).

    After the dynamics ran, :meth:`result` stacks the measurements cue-major:
    ``(P, T + 1, ...)``, index 0 taken on the cues before the first sweep. A cue that
    stopped early is measured on its final state in later sweeps.

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
        # it is checked as it grows (twice its size: result() stacks a copy).
        self.nbytes += sum(v[-1].nbytes for v in self.sweeps.values())
        check_memory(2 * self.nbytes, "record", self.names, "the recorded trajectory")

    def result(self) -> dict[str, np.ndarray]:
        return {k: np.stack(v, axis=1) for k, v in self.sweeps.items()}


def recording(names, **measures) -> Recording | None:
    """A :class:`Recording` of the ``measures`` whose names are in ``names``, or ``None``
    when nothing is recorded (the dynamics then pay nothing)."""
    chosen = {k: f for k, f in measures.items() if k in names}
    return Recording(chosen) if chosen else None


def stored_overlaps(patterns: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A measure for :class:`Recording`: overlaps ``(P, n_stored)`` of the states with
    every stored pattern, each from :func:`neuromem.metrics.overlap` (so 0/1 patterns
    get the sparse overlap)."""
    from .metrics import overlap

    def measure(states: np.ndarray) -> np.ndarray:
        out = np.empty((len(states), len(patterns)))
        for k, xi in enumerate(patterns):  # one pattern at a time: no (P, K, N) temporary
            out[:, k] = overlap(states, np.broadcast_to(xi, states.shape))
        return out

    return measure


class _Tracker:
    """Bookkeeping shared by the dynamics: which cues are still running."""

    def __init__(
        self, states: np.ndarray, energy: Energy | None, record: Recording | None = None
    ):
        self.out = states.copy()
        n = len(states)
        self.steps = np.zeros(n, dtype=np.int64)
        self.converged = np.zeros(n, dtype=bool)
        self.active = np.arange(n)
        self.energy = energy
        self.trace = [energy(self.out)] if energy is not None else None
        self.record = record
        if record is not None:
            record.add(self.out)

    def step(self, t: int, work: np.ndarray, finished: np.ndarray, fixed: np.ndarray):
        """Record sweep ``t``; returns the rows of ``work`` still running."""
        self.steps[self.active] = t
        if self.trace is not None or self.record is not None:
            self.out[self.active] = work
            if self.trace is not None:
                self.trace.append(self.energy(self.out))
            if self.record is not None:
                self.record.add(self.out)
        if finished.any():
            done = self.active[finished]
            self.out[done] = work[finished]
            self.converged[done] = fixed[finished]
            keep = ~finished
            self.active = self.active[keep]
            return work[keep], keep
        return work, None

    def finish(self, work: np.ndarray):
        self.out[self.active] = work
        trace = None if self.trace is None else np.stack(self.trace)
        return self.out, self.steps, self.converged, trace


def _unit_tol(tol, n: int, dtype) -> np.ndarray:
    """The tolerance as a per-unit vector of the states' dtype."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(tol, dtype=dtype), (n,)))


def synchronous(
    field: Field,
    states: np.ndarray,
    max_steps: int,
    energy: Energy | None = None,
    tol=0.0,
    binary: bool = False,
    record: Recording | None = None,
):
    """All units update at once under the tie law, until nothing changes.

    Where ``field`` is a synapse's ``input`` (``h = S W^T + b``), the sweeps are
    event-driven (:func:`_event_fields`): after the first, only the fields of units
    that receive input from units that changed are updated, ``dh = W[:, changed]
    ds``, and a cue that looks settled is confirmed on fields recomputed in full, so
    the states, steps and convergence are those of full recomputation. Set the
    environment variable ``NEUROMEM_SWEEPS=full`` to recompute every field at every
    sweep (read at every call).

    Parameters
    ----------
    field : callable
        Maps states ``(B, N)`` to local fields ``(B, N)``.
    states : ndarray, shape (P, N)
        Initial states (cues) in ``[-1, 1]``; not modified.
    max_steps : int
        Largest number of sweeps.
    energy : callable, optional
        Maps states to energies ``(P,)``; if given, a trace is recorded.
    tol : float or ndarray, shape (N,)
        Tie tolerance (see :func:`tie_tolerances`).
    binary : bool
        0/1 units in the +/-1 encoding (a tie means inactive).
    record : Recording, optional
        Filled with per-sweep measurements of every cue (see :class:`Recording`).

    Returns
    -------
    states, steps, converged, trace
        ``steps`` counts sweeps including the one that confirmed the fixed point. A cue
        caught in a period-2 cycle (possible under synchronous updates of a symmetric
        network) stops there with ``converged = False``.
    """
    track = _Tracker(states, energy, record)
    work = track.out.copy()
    syn = getattr(field, "__self__", None)
    events = (
        isinstance(syn, Synapse)
        and getattr(field, "__func__", None) is Synapse.input
        and sweep_mode() == "events"
    )
    if events:
        field = _EventFields(syn)
    h = field(work)
    before = None  # states one sweep earlier, for period-2 cycle detection
    for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
        new = decide(h, work, tol, binary)
        fixed = (new == work).all(axis=1)
        finished = fixed
        if before is not None:
            finished = fixed | (new == before).all(axis=1)
        if events and finished.any():
            # Settled on updated fields: confirm on fields computed in full.
            rows = np.flatnonzero(finished)
            h[rows] = field.full(work[rows])
            new[rows] = decide(h[rows], work[rows], tol, binary)
            fixed = (new == work).all(axis=1)
            finished = fixed if before is None else fixed | (new == before).all(axis=1)
        change = new - work if events else None
        before = work
        work, keep = track.step(t, new, finished, fixed)
        if keep is not None:
            before = before[keep]
            h = h[keep]
            change = None if change is None else change[keep]
        if not len(work):
            break
        h = field(work) if not events else field.update(h, work, change)
    return track.finish(work)


def sweep_mode() -> str:
    """``"events"`` (default) or ``"full"``: how synchronous sweeps compute the
    fields after the first (environment variable ``NEUROMEM_SWEEPS``, read at every
    call)."""
    choice = os.environ.get(SWEEPS_ENV, "events").strip().lower() or "events"
    if choice not in ("events", "full"):
        raise ValidationError(SWEEPS_ENV, choice, "'events' or 'full'")
    return choice


class _EventFields:
    """Fields of a synapse's units, computed in full or updated where states changed.

    ``full(S)`` is ``S W^T + b``: for +/-1 states on a sparse synapse (compiled kernels
    available), one compiled product over the CSR rows with the states held as int8,
    the same sums in the same order as scipy's; otherwise the synapse's own
    ``input``. ``update(h, S, dS)`` adds ``dS[:, C] W[:, C]^T`` for the units ``C`` that
    changed, from the columns of ``W`` (:class:`Columns`), or recomputes in full when
    more than a quarter of the units changed (dense: in any cue; sparse: of all the
    cues' units).
    """

    #: Above this fraction of units changed, a full product is cheaper than the update.
    full_fraction = 0.25

    def __init__(self, synapse: Synapse):
        self.syn = synapse
        self.sparse = synapse.layout.is_sparse
        self.fast = kernel_backend() == "numba"
        self.n = synapse.layout.shape[1]

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
        from . import _kernels

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
        if len(cue) > self.full_fraction * change.size:
            return self.full(s)
        cols = columns(self.syn)
        delta = change[cue, unit]
        if self.fast:
            from . import _kernels

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
            self.symmetric = w.shape[0] == w.shape[1] and (w != w.T).nnz == 0
            cols = w if self.symmetric else sp_csc(w)
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
    from . import _kernels

    if _kernels.AVAILABLE:
        return "numba"
    if choice == "numba":
        raise ValidationError(
            KERNEL_ENV, choice, "'auto' or 'numpy': numba is not installed"
        )
    return "numpy"


def _add_columns(h, idx, delta, where, col, axpy) -> None:
    """Fields of cues ``idx`` after their unit (column ``col``) changed by ``delta``.

    Dense: one in-place BLAS axpy per cue, two to four times faster than a
    fancy-indexed gather, add and scatter for the few cues that flip at a unit.
    ``delta`` is +/-1 or +/-2, so ``delta * w`` is exact and the fields come out the
    same, bit for bit, as in the compiled kernels.
    """
    if isinstance(where, slice):
        for b, d in zip(idx.tolist(), delta.tolist(), strict=True):
            axpy(col, h[b], a=d)
    else:
        h[np.ix_(idx, where)] += delta[:, None] * col


def _kernel_args(cols: Columns, dtype):
    """Column arrays for a compiled kernel (empty placeholders for the unused form)."""
    if cols.dense is not None:
        empty_i = np.zeros(1, dtype=np.int32)  # the CSR index type: one compiled variant
        return True, cols.dense, empty_i, empty_i, np.zeros(1, dtype=dtype)
    dense = np.zeros((1, 1), dtype=dtype)
    return False, dense, cols.indptr, cols.indices, cols.data


def glauber(
    synapse: Synapse,
    states: np.ndarray,
    max_steps: int,
    rng: np.random.Generator,
    beta: float,
    energy: Energy | None = None,
    tol=None,
    record: Recording | None = None,
):
    """Stochastic asynchronous (Glauber) dynamics at inverse temperature ``beta``.

    Units are visited one at a time in a fresh random order each sweep; unit ``i`` of
    every cue becomes +1 with probability ``1 / (1 + exp(-2 beta h_i))``, the heat-bath
    rule whose stationary law is ``exp(-beta E)``; a tied field (``|h_i| <= tol_i``)
    counts as 0. The draws are described in the module docstring. Fields are kept and
    corrected by a rank-one update where a unit flips, as in :func:`asynchronous`.

    Returns
    -------
    states, steps, converged, trace
        A cue stops early when a whole sweep flips no unit (``converged = True``: at low
        temperature it has frozen in a minimum); otherwise it runs ``max_steps``
        sweeps and ``converged`` is False.
    """
    track = _Tracker(states, energy, record)
    work = track.out.copy()
    n = work.shape[1]
    tol = _unit_tol(tie_tolerances(synapse) if tol is None else tol, n, work.dtype)
    h = synapse.input(work)
    cols = columns(synapse)
    fast = kernel_backend() == "numba"
    if fast:
        from . import _kernels

        args = _kernel_args(cols, work.dtype)
    axpy = get_blas_funcs("axpy", (h,))
    for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
        # Uniform draws for the whole sweep at once; unit order is a fresh permutation.
        u = rng.random((n, len(work)))
        sequence = rng.permutation(n)
        with np.errstate(divide="ignore"):
            # u < 1 / (1 + exp(-2 beta h))  <=>  h > arctanh(2u - 1) / beta
            thr = np.arctanh(2.0 * u - 1.0) / beta
        changed = np.zeros(len(work), dtype=bool)
        if fast:
            _kernels.glauber_sweep(h, work, sequence, thr, tol, changed, *args)
        else:
            for k, i in enumerate(sequence):  # sequential by definition
                hi = h[:, i]
                eff = np.where(np.abs(hi) <= tol[i], 0, hi)
                new = np.where(eff > thr[k], 1, -1).astype(work.dtype)
                cur = work[:, i]
                flip = new != cur
                if flip.any():
                    idx = np.flatnonzero(flip)
                    delta = new[idx] - cur[idx]
                    work[idx, i] = new[idx]
                    _add_columns(h, idx, delta, *cols.column(i), axpy)
                    changed[idx] = True
        fixed = ~changed
        work, keep = track.step(t, work, fixed, fixed)
        if keep is not None:
            h = h[keep]
        if not len(work):
            break
    return track.finish(work)


def _all_signed(s: np.ndarray) -> bool:
    """Whether every state is +/-1 (not merely non-zero: a graded cue value such as
    0.5 must be visited even where its field agrees with it)."""
    return bool(np.all(np.abs(s) == 1))


def _flips(h, s, tol, binary: bool, signed: bool) -> np.ndarray:
    """Which units the tie law would change (``tol`` broadcasts against ``h``).

    With every state +/-1 (``signed``) that is one product and one comparison.
    Otherwise a unit that is not +/-1 (masked 0 or a graded cue value) always changes:
    the law maps it to +/-1 whatever its field.
    """
    if binary:
        return (h > tol) != (s > 0)
    if signed:
        return h * s < -tol
    return (h * s < -tol) | (np.abs(s) != 1)


def asynchronous(
    synapse: Synapse,
    states: np.ndarray,
    max_steps: int,
    rng: np.random.Generator,
    order: str = "random",
    energy: Energy | None = None,
    tol=None,
    binary: bool = False,
    record: Recording | None = None,
):
    """One unit at a time under the tie law, in a random (fresh each sweep) or fixed
    order.

    The local fields of all cues are kept and corrected by a rank-one update only where
    a unit flips, so a sweep costs ``O(N * B)`` plus ``O(N)`` per flip instead of
    ``O(N^2 * B)``. The sweep order is shared by the cues of a batch; each cue still
    follows genuine sequential dynamics. Energy never rises for symmetric weights with
    a zero diagonal.

    Parameters
    ----------
    tol : float or ndarray, optional
        Tie tolerance; by default :func:`tie_tolerances` of the synapse.
    binary : bool
        0/1 units in the +/-1 encoding (a tie means inactive).

    Returns
    -------
    states, steps, converged, trace
        As :func:`synchronous`; ``steps`` counts sweeps through all units.
    """
    track = _Tracker(states, energy, record)
    work = track.out.copy()
    n = work.shape[1]
    tol = _unit_tol(tie_tolerances(synapse) if tol is None else tol, n, work.dtype)
    h = synapse.input(work)
    cols = columns(synapse)
    fast = kernel_backend() == "numba"
    if fast:
        from . import _kernels

        args = _kernel_args(cols, work.dtype)
    axpy = get_blas_funcs("axpy", (h,))
    for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
        sequence = rng.permutation(n) if order == "random" else np.arange(n)
        changed = np.zeros(len(work), dtype=bool)
        if fast:
            _kernels.async_sweep(h, work, sequence, tol, binary, changed, *args)
        else:
            _async_sweep(h, work, sequence, tol, binary, changed, cols, axpy)
        fixed = ~changed
        work, keep = track.step(t, work, fixed, fixed)
        if keep is not None:
            h = h[keep]
        if not len(work):
            break
    return track.finish(work)


def _async_sweep_one(h, work, sequence, tol, binary, changed, cols, axpy) -> None:
    """One asynchronous sweep of a single cue in numpy.

    The next unit to flip is the first, in sweep order, whose field opposes it: one
    vectorised scan of the rest of the sweep per flip (a few array operations), rather
    than a Python step per unit or the growing blocks a batch needs.
    """
    h1, s1 = h[0], work[0]
    signed = _all_signed(s1)
    tol_seq = tol[sequence]
    pos, n = 0, len(sequence)
    while pos < n:
        rest = sequence[pos:]
        hit = _flips(h1[rest], s1[rest], tol_seq[pos:], binary, signed)
        k = int(np.argmax(hit))
        if not hit[k]:
            return
        pos += k
        i = sequence[pos]
        new = decide(h1[i : i + 1], s1[i : i + 1], tol[i], binary)
        delta = new - s1[i : i + 1]
        s1[i] = new[0]
        _add_columns(h, np.zeros(1, dtype=np.intp), delta, *cols.column(i), axpy)
        changed[0] = True
        pos += 1


def _async_sweep(h, work, sequence, tol, binary, changed, cols, axpy) -> None:
    """One asynchronous sweep in numpy (the reference path of the compiled kernel)."""
    if len(work) == 1:
        _async_sweep_one(h, work, sequence, tol, binary, changed, cols, axpy)
        return
    n = len(sequence)
    # Units are visited one after another, but a unit that flips in no cue changes
    # nothing: a run of such units is checked in one block. The block grows through
    # quiet stretches and falls back to single units around flips, so late sweeps
    # (few flips) cost a few array operations instead of N, with exactly the
    # per-unit result. Masked cues hold 0 states until their units are visited.
    signed = _all_signed(work)
    pos, block = 0, 1
    while pos < n:
        if block == 1:
            i = sequence[pos]
            hi, cur = h[:, i], work[:, i]  # views: the cheapest single-unit check
            flips = _flips(hi, cur, tol[i], binary, signed)
            if not flips.any():
                pos, block = pos + 1, 2
                continue
        else:
            units = sequence[pos : pos + block]
            hit = _flips(h[:, units], work[:, units], tol[units], binary, signed)
            hit = hit.any(axis=0)
            if not hit.any():
                pos, block = pos + len(units), min(2 * block, 512)
                continue
            k = int(np.argmax(hit))  # the first unit, in order, that flips somewhere
            pos, block = pos + k, 1
            continue  # visit it as a single unit
        idx = np.flatnonzero(flips)
        new_i = decide(hi[idx], cur[idx], tol[i], binary)
        delta = new_i - cur[idx]
        work[idx, i] = new_i
        _add_columns(h, idx, delta, *cols.column(i), axpy)
        changed[idx] = True
        pos += 1
