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

from collections.abc import Callable

import numpy as np
from scipy.linalg.blas import get_blas_funcs

from .errors import ValidationError, described
from .progress import steps as long_loop
from .sweeps import (
    KERNEL_ENV,
    SWEEPS_ENV,
    Columns,
    EventFields,
    Recording,
    columns,
    kernel_args,
    kernel_backend,
    recording,
    stored_overlaps,
    sweep_mode,
)
from .synapse import Synapse

__all__ = [
    "KERNEL_ENV",
    "SWEEPS_ENV",
    "Columns",
    "Recording",
    "asynchronous",
    "columns",
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
    event-driven (:class:`~neuromem.sweeps.EventFields`): after the first, only the
    fields of units that receive input from units that changed are updated, ``dh =
    W[:, changed] ds`` (on a sparse synapse of symmetric structure, with the compiled
    kernels, their rows are recomputed instead: exact fields), and a cue that looks
    settled on updated fields is confirmed on fields recomputed in full, so the
    states, steps and convergence are those of full recomputation. Set the
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
        field = EventFields(syn)
    h = field(work)
    before = None  # states one sweep earlier, for period-2 cycle detection
    for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
        new = decide(h, work, tol, binary)
        fixed = (new == work).all(axis=1)
        finished = fixed
        if before is not None:
            finished = fixed | (new == before).all(axis=1)
        if events and not field.exact and finished.any():
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

        args = kernel_args(cols, work.dtype)
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

        args = kernel_args(cols, work.dtype)
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
