"""Compiled synchronous sweeps of +/-1 states on a sparse synapse.

The fast path of :func:`neuromem.dynamics.synchronous` for the common large case: a
sparse synapse's fields, states that are all +/-1, compiled kernels, nothing
recorded. The states are held as int8 in groups of four cues, unit-major within a
group (``(G, N, 4)``), so that a connection reads the states of four cues in one
gather from an array a quarter the size of one float32 state vector per cue, and
one compiled pass per group, parallel over rows, computes the fields and applies
the tie law (:func:`neuromem._kernels.sign_sweep`): no field array is kept.

Event-driven sweeps: with +/-1 states, a unit whose field did not change keeps its
state (it already is the decision on that field), so after the first sweep only the
units that receive input from a unit that changed need a decision; their fields are
recomputed in full over their rows, in CSR order, so every decision is the one a
full sweep makes, bit for bit. Where the changed units reach more than
:data:`EVENT_FRACTION` of the synapses, a full sweep is cheaper.
"""

from __future__ import annotations

import numpy as np

from . import compiled
from .sweeps import columns
from .synapse import Synapse

__all__ = ["EVENT_FRACTION", "applicable", "one_sweep", "synchronous_signs"]

#: Above this fraction of the synapses read to find and recompute the reached rows,
#: a full sweep (rows in order, no marking) is cheaper.
EVENT_FRACTION = 0.3
_LANES = 4  # the kernel's cue group
_NO_ROWS = np.zeros(0, dtype=np.intp)


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
    return bool(np.all(np.abs(states) == 1))


def _lanes(states: np.ndarray) -> np.ndarray:
    """``(G, N, 4)`` int8 copy of +/-1 ``states (B, N)``: cue ``b`` is lane ``b % 4``
    of group ``b // 4`` (lanes past ``B`` hold +1)."""
    n_cues, n = states.shape
    groups = -(-n_cues // _LANES)
    out = np.ones((groups * _LANES, n), dtype=np.int8)
    out[:n_cues] = states
    return np.ascontiguousarray(out.reshape(groups, _LANES, n).transpose(0, 2, 1))


def _unlanes(lanes: np.ndarray, n_cues: int) -> np.ndarray:
    """The ``(B, N)`` states of the first ``n_cues`` cues of ``lanes``."""
    return lanes.transpose(0, 2, 1).reshape(-1, lanes.shape[1])[:n_cues]


def _keep(lanes: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The cues ``keep`` (boolean over the running cues) of ``lanes``, regrouped."""
    return _lanes(_unlanes(lanes, len(keep))[keep])


def _arrays(syn: Synapse, n: int, tol):
    """The kernel's arguments taken from the synapse: CSR arrays, bias, tolerances."""
    w = syn._weights
    dtype = syn.dtype
    tol_v = np.ascontiguousarray(np.broadcast_to(np.asarray(tol, dtype=dtype), (n,)))
    bias = syn._bias if syn._bias is not None else np.zeros(0, dtype=dtype)
    return w, tol_v, np.asarray(bias, dtype=dtype), np.zeros(1, dtype=dtype)[0]


def _sweep(syn_arrays, cur, new, binary, rows, n_rows) -> None:
    """One compiled sweep of every group of ``cur`` into ``new``."""
    _kernels = compiled.kernels()

    w, tol_v, bias, zero = syn_arrays
    for g in range(len(cur)):
        _kernels.sign_sweep(
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
        )


def one_sweep(syn: Synapse, states: np.ndarray, tol, binary: bool = False):
    """One full synchronous sweep of +/-1 ``states (B, N)``: the new states, those of
    ``decide(syn.input(states), states, tol, binary)`` (:func:`applicable` says
    when)."""
    cur = _lanes(states)
    new = np.empty_like(cur)
    _sweep(_arrays(syn, states.shape[1], tol), cur, new, binary, _NO_ROWS, -1)
    return _unlanes(new, len(states)).astype(states.dtype)


def synchronous_signs(
    syn: Synapse,
    states: np.ndarray,
    max_steps: int,
    tol,
    binary: bool,
    follow_cycles: bool,
    events: bool,
    loop=range,
):
    """Synchronous dynamics of +/-1 ``states (P, N)`` on the sparse ``syn`` (see the
    module docstring; :func:`applicable` says when).

    Returns ``states, steps, converged, None`` as :func:`neuromem.dynamics.synchronous`
    does. ``events``: recompute only the rows reached by units that changed; ``loop``
    wraps the range of sweeps (progress).
    """
    _kernels = compiled.kernels()

    n_cues, n = states.shape
    arrays = _arrays(syn, n, tol)
    w = arrays[0]
    if getattr(syn.layout, "symmetric_structure", None) is True:
        reach = (w.indptr, w.indices)  # a unit's row is where it projects
    else:
        cols = columns(syn)
        reach = (cols.indptr, cols.indices)
    out = states.copy()
    steps = np.zeros(n_cues, dtype=np.int64)
    converged = np.zeros(n_cues, dtype=bool)
    active = np.arange(n_cues)
    cur = _lanes(states)
    before = np.zeros((0, 0, _LANES), dtype=np.int8)
    changed = np.zeros(n, dtype=np.uint8)
    rows = _NO_ROWS
    n_rows = -1  # every row
    nnz = max(1, int(w.nnz))
    for t in loop(range(1, max_steps + 1)):
        new = np.empty_like(cur) if n_rows < 0 else cur.copy()
        _sweep(arrays, cur, new, binary, rows, n_rows)
        moved, other = _kernels.compare_lanes(new, cur, before, len(active), changed)
        fixed = ~moved
        finished = fixed.copy()
        if before.shape[1] and not follow_cycles:
            finished |= ~other
        steps[active] = t
        if finished.any():
            done = active[finished]
            out[done] = _unlanes(new, len(active))[finished]
            converged[done] = fixed[finished]
            keep = ~finished
            active = active[keep]
            if not len(active):
                return out, steps, converged, None
            new = _keep(new, keep)
            cur = _keep(cur, keep)
        before, cur = cur, new
        n_rows = -1
        if events:
            units = np.flatnonzero(changed)
            deg = reach[0][units + 1] - reach[0][units]
            if int(deg.sum()) <= EVENT_FRACTION * nnz:
                mark = np.zeros(n, dtype=np.uint8)
                _kernels.mark_reached(units, reach[0], reach[1], mark)
                rows = np.flatnonzero(mark)
                n_rows = len(rows)
    out[active] = _unlanes(cur, len(active))
    return out, steps, converged, None
