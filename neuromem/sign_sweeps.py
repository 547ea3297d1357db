"""Compiled synchronous sweeps of +/-1 states on a sparse synapse.

The fast path of :func:`neuromem.dynamics.synchronous` for the common large case: a
sparse synapse's fields, states that are all +/-1, compiled kernels, nothing
recorded. The states of 16 cues of a unit are the bits of one ``uint16``
(:mod:`neuromem._sign_kernels`; groups of 16 cues, ``(G, N)``), so one pass over the
matrix serves all the cues of a group: each connection reads their states in one
2-byte gather from an array of ``2 N`` bytes, which stays in cache, and the 16 fields
are summed in vector registers and decided under the tie law in the same pass
(:func:`neuromem._sign_kernels.sign_sweep`, parallel over rows): no field array is
kept. The sums run in CSR order in the weights' dtype, as scipy's product does: the
decisions are those of ``decide(W @ s)``, bit for bit.

Event-driven sweeps: with +/-1 states, a unit whose field did not change keeps its
state (it already is the decision on that field), so after the first sweep only the
units that receive input from a unit that changed need a decision; their fields are
recomputed in full over their rows, in CSR order, so every decision is the one a
full sweep makes, bit for bit. Where the changed units reach more than
:data:`EVENT_FRACTION` of the synapses or (estimated) of the rows, a full sweep is
cheaper.
"""

from __future__ import annotations

import numpy as np

from . import compiled
from .sweeps import columns
from .synapse import Synapse

__all__ = ["EVENT_FRACTION", "applicable", "one_sweep", "synchronous_signs"]

#: Above this fraction of the synapses read to find the reached rows, or of the rows
#: reached (estimated), a full sweep (rows in order, no marking) is cheaper.
EVENT_FRACTION = 0.3
_LANES = 16  # cues per uint16 word (neuromem._sign_kernels.LANES)
_NO_ROWS = np.zeros(0, dtype=np.intp)


def _signs():
    return compiled.kernels("neuromem._sign_kernels")


def applicable(syn: Synapse, states: np.ndarray, tol) -> bool:
    """Whether :func:`synchronous_signs` gives the states, steps and convergence of
    the reference sweeps for these arguments (a sparse synapse, +/-1 states of the
    synapse's dtype, a tolerance exact in that dtype)."""
    if not syn.layout.is_sparse or states.dtype != syn.dtype or states.ndim != 2:
        return False
    if syn.layout.shape[0] != syn.layout.shape[1] or not states.shape[0]:
        return False
    t = np.asarray(tol)
    if t.ndim == 0:
        if t.astype(syn.dtype) != t:
            return False
    elif t.shape != (states.shape[1],) or t.dtype != syn.dtype:
        return False
    return bool(_signs().all_signs(states))


def _pack(states: np.ndarray) -> np.ndarray:
    """``(G, N)`` uint16 bits of +/-1 ``states (B, N)`` (set: -1)."""
    out = np.empty((-(-len(states) // _LANES), states.shape[1]), dtype=np.uint16)
    _signs().pack_signs(states, out)
    return out


def _unpack(bits: np.ndarray, cues: np.ndarray, out: np.ndarray, rows) -> None:
    """``out[rows] = `` the +/-1 states of the cues ``cues`` of ``bits``, in place."""
    as_int = np.int64
    _signs().unpack_signs(bits, np.asarray(cues, as_int), out, np.asarray(rows, as_int))


def _select(bits: np.ndarray, cues: np.ndarray) -> np.ndarray:
    """The cues ``cues`` of ``bits``, renumbered from 0 (regrouped)."""
    out = np.empty((-(-len(cues) // _LANES), bits.shape[1]), dtype=np.uint16)
    _signs().select_cues(bits, cues.astype(np.int64), out)
    return out


def _lane_masks(n_cues: int) -> list[int]:
    """The bits in use of each group of ``n_cues`` cues."""
    return [
        (1 << min(_LANES, n_cues - g * _LANES)) - 1 for g in range(-(-n_cues // _LANES))
    ]


def _arrays(syn: Synapse, n: int, tol):
    """The kernel's arguments taken from the synapse: CSR arrays, bias, tolerances."""
    w = syn._weights
    dtype = syn.dtype
    tol_v = np.ascontiguousarray(np.broadcast_to(np.asarray(tol, dtype=dtype), (n,)))
    bias = syn._bias if syn._bias is not None else np.zeros(0, dtype=dtype)
    return w, tol_v, np.asarray(bias, dtype=dtype), np.zeros(1, dtype=dtype)[0]


def _sweep(syn_arrays, cur, new, binary, rows, n_rows, masks) -> None:
    """One compiled sweep of every group of ``cur`` into ``new``."""
    kernel = _signs().sign_sweep
    w, tol_v, bias, zero = syn_arrays
    for g in range(len(cur)):
        kernel(
            w.indptr,
            w.indices,
            w.data,
            bias,
            tol_v,
            binary,
            cur[g],
            new[g],
            rows,
            n_rows,
            zero,
            np.uint16(masks[g]),
        )


def one_sweep(syn: Synapse, states: np.ndarray, tol, binary: bool = False):
    """One full synchronous sweep of +/-1 ``states (B, N)``: the new states, those of
    ``decide(syn.input(states), states, tol, binary)`` (:func:`applicable` says
    when)."""
    cur = _pack(states)
    new = np.empty_like(cur)
    masks = _lane_masks(len(states))
    _sweep(_arrays(syn, states.shape[1], tol), cur, new, binary, _NO_ROWS, -1, masks)
    out = np.empty_like(states)
    every = np.arange(len(states))
    _unpack(new, every, out, every)
    return out


def _cue_flags(masks: np.ndarray, n_cues: int) -> np.ndarray:
    """Per cue, bit ``b % 16`` of ``masks[b // 16]``, as booleans."""
    b = np.arange(n_cues)
    return ((masks[b // _LANES] >> (b % _LANES)) & 1).astype(bool)


def synchronous_signs(
    syn: Synapse,
    states: np.ndarray,
    max_steps: int,
    tol,
    binary: bool,
    follow_cycles: bool,
    events: bool,
    loop=range,
    out: np.ndarray | None = None,
):
    """Synchronous dynamics of +/-1 ``states (P, N)`` on the sparse ``syn`` (see the
    module docstring; :func:`applicable` says when).

    Returns ``states, steps, converged, None`` as :func:`neuromem.dynamics.synchronous`
    does. ``events``: recompute only the rows reached by units that changed; ``loop``
    wraps the range of sweeps (progress); ``out``: where the final states are
    written (``states`` itself may be given: they are read once, at the start).
    """
    _kernels = compiled.kernels()
    signs = _signs()

    n_cues, n = states.shape
    arrays = _arrays(syn, n, tol)
    w = arrays[0]
    if getattr(syn.layout, "symmetric_structure", None) is True:
        reach = (w.indptr, w.indices)  # a unit's row is where it projects
    else:
        cols = columns(syn)
        reach = (cols.indptr, cols.indices)
    cur = _pack(states)  # from here on the states are these bits
    if out is None:
        out = np.empty_like(states)  # every cue is written when it stops, or at the end
    steps = np.zeros(n_cues, dtype=np.int64)
    converged = np.zeros(n_cues, dtype=bool)
    active = np.arange(n_cues)
    masks = _lane_masks(n_cues)
    before = np.zeros((0, 0), dtype=np.uint16)
    changed = np.zeros(n, dtype=np.uint8)
    rows = _NO_ROWS
    n_rows = -1  # every row
    nnz = max(1, int(w.nnz))
    for t in loop(range(1, max_steps + 1)):
        # A partial sweep leaves the rows it does not visit: they keep their states.
        new = np.empty_like(cur) if n_rows < 0 else cur.copy()
        _sweep(arrays, cur, new, binary, rows, n_rows, masks)
        moved, other = signs.changes(new, cur, before, changed)
        fixed = ~_cue_flags(moved, len(active))
        finished = fixed.copy()
        if before.shape[1] and not follow_cycles:
            finished |= ~_cue_flags(other, len(active))
        steps[active] = t
        if finished.any():
            done = np.flatnonzero(finished)
            _unpack(new, done, out, active[done])
            converged[active[done]] = fixed[finished]
            keep = np.flatnonzero(~finished)
            active = active[keep]
            if not len(active):
                return out, steps, converged, None
            new = _select(new, keep)
            cur = _select(cur, keep)
            masks = _lane_masks(len(active))
        before, cur = cur, new
        n_rows = -1
        if events:
            units = np.flatnonzero(changed)
            deg = int((reach[0][units + 1] - reach[0][units]).sum())
            # Rows reached by deg random connections: about n (1 - exp(-deg / n)).
            # Where that is most rows, marking them costs more than it saves.
            reached = n * -np.expm1(-deg / n)
            if deg <= EVENT_FRACTION * nnz and reached <= EVENT_FRACTION * n:
                mark = np.zeros(n, dtype=np.uint8)
                _kernels.mark_reached(units, reach[0], reach[1], mark)
                rows = np.flatnonzero(mark)
                n_rows = len(rows)
    _unpack(cur, np.arange(len(active)), out, active)
    return out, steps, converged, None
