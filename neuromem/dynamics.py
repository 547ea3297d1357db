"""Batched attractor dynamics for binary (+/-1 and 0/1) recurrent networks.

Every function relaxes many cues at once, stored row-wise, and reports per cue how many
sweeps it took and whether it reached a fixed point.

The update law (ties, zero states, thresholds) is :mod:`neuromem.ties`, shared with
every model that updates sign units; its names are re-exported here.

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

from . import compiled, sign_sweeps
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
from .ties import all_signed as _all_signed
from .ties import decide, sign_keep, tie_tolerance, tie_tolerances
from .ties import flips as _flips

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
        # Cues stopped in a period-2 cycle: their rows, the sweep they stopped at and
        # the other state of the cycle, shown at every odd later sweep of a recording
        # so that a trace shows the cycle rather than a fixed point.
        self.cycled = np.zeros(n, dtype=bool)
        self._cycle_rows = np.empty(0, dtype=np.intp)
        self._cycle_t = np.empty(0, dtype=np.int64)
        self._cycle_other = states[:0].copy()
        if record is not None:
            record.add(self.out)

    def _view(self, t: int) -> np.ndarray:
        """The states as recorded at sweep ``t``: a stopped cycle keeps alternating."""
        odd = (t - self._cycle_t) % 2 == 1
        if not odd.any():
            return self.out
        view = self.out.copy()
        view[self._cycle_rows[odd]] = self._cycle_other[odd]
        return view

    def step(
        self,
        t: int,
        work: np.ndarray,
        finished: np.ndarray,
        fixed: np.ndarray,
        other: np.ndarray | None = None,
    ):
        """Record sweep ``t``; returns the rows of ``work`` still running.

        ``other``: the states one sweep earlier, rows aligned with ``work``; a cue that
        finished without being fixed stopped in the period-2 cycle it forms with them.
        """
        self.steps[self.active] = t
        if self.trace is not None or self.record is not None:
            self.out[self.active] = work
            view = self._view(t)
            if self.trace is not None:
                self.trace.append(self.energy(view))
            if self.record is not None:
                self.record.add(view)
        if finished.any():
            done = self.active[finished]
            self.out[done] = work[finished]
            self.converged[done] = fixed[finished]
            cyc = finished & ~fixed
            if other is not None and cyc.any():
                self.cycled[self.active[cyc]] = True
                self._cycle_rows = np.concatenate([self._cycle_rows, self.active[cyc]])
                self._cycle_t = np.concatenate(
                    [self._cycle_t, np.full(int(cyc.sum()), t, dtype=np.int64)]
                )
                self._cycle_other = np.concatenate([self._cycle_other, other[cyc]])
        if finished.any():
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
    follow_cycles: bool = False,
    overwrite: bool = False,
):
    """All units update at once under the tie law, until nothing changes.

    Where ``field`` is a sparse synapse's ``input``, the cues are +/-1 states of its
    dtype, nothing is recorded and the compiled kernels are available, the sweeps
    run in :func:`neuromem.sign_sweeps.synchronous_signs` (the states as bits, 16
    cues to a uint16 word; fields and tie law in one compiled pass, rows recomputed
    where inputs changed), with the same results. Otherwise, where ``field`` is a synapse's ``input`` (``h = S W^T +
    b``), the sweeps are event-driven (:class:`~neuromem.sweeps.EventFields`): after the first, only the
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
        Initial states (cues) in ``[-1, 1]``; not modified unless ``overwrite``.
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
    follow_cycles : bool
        Keep iterating a cue that entered a period-2 cycle instead of stopping it.
    overwrite : bool
        The final states may be written into ``states`` (which are then returned):
        a caller that holds its own copy of the cues saves one array of their size.

    Returns
    -------
    states, steps, converged, trace
        ``steps`` counts sweeps including the one that confirmed the fixed point. A cue
        caught in a period-2 cycle (possible under synchronous updates of a symmetric
        network) stops there with ``converged = False`` (its later recorded sweeps
        alternate between the two states of the cycle), unless ``follow_cycles``: then
        it keeps iterating through the cycle until ``max_steps``.
    """
    syn = getattr(field, "__self__", None)
    own = isinstance(syn, Synapse) and getattr(field, "__func__", None) is Synapse.input
    events = own and sweep_mode() == "events"
    if (
        own
        and energy is None
        and record is None
        and kernel_backend() == "numba"
        and sign_sweeps.applicable(syn, states, tol)
    ):
        return sign_sweeps.synchronous_signs(
            syn,
            states,
            max_steps,
            tol,
            binary,
            follow_cycles,
            events=sweep_mode() == "events",
            loop=lambda r: long_loop(r, "recall sweeps"),
            out=states if overwrite else None,
        )
    track = _Tracker(states, energy, record)
    work = track.out.copy()
    if events:
        field = EventFields(syn)
    h = field(work)
    before = None  # states one sweep earlier, for period-2 cycle detection
    for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
        new = decide(h, work, tol, binary)
        fixed = (new == work).all(axis=1)
        finished = fixed
        if before is not None and not follow_cycles:
            finished = fixed | (new == before).all(axis=1)
        if events and not field.exact and finished.any():
            # Settled on updated fields: confirm on fields computed in full.
            rows = np.flatnonzero(finished)
            h[rows] = field.full(work[rows])
            new[rows] = decide(h[rows], work[rows], tol, binary)
            fixed = (new == work).all(axis=1)
            finished = fixed
            if before is not None and not follow_cycles:
                finished = fixed | (new == before).all(axis=1)
        change = new - work if events else None
        before = work
        work, keep = track.step(t, new, finished, fixed, other=before)
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


def _sequential(synapse: Synapse, states, energy, tol, record):
    """What the unit-by-unit dynamics (asynchronous, Glauber) start from: the
    tracker, the working states, the per-unit tolerance, the fields, the columns of
    the weights, the compiled kernels (None on the numpy path) with their column
    arguments, and BLAS axpy for the numpy path's rank-one updates."""
    track = _Tracker(states, energy, record)
    work = track.out.copy()
    n = work.shape[1]
    tol = _unit_tol(tie_tolerances(synapse) if tol is None else tol, n, work.dtype)
    h = synapse.input(work)
    cols = columns(synapse)
    kernels = args = None
    if kernel_backend() == "numba":
        kernels = compiled.kernels()

        args = kernel_args(cols, work.dtype)
    axpy = get_blas_funcs("axpy", (h,))
    return track, work, tol, h, cols, kernels, args, axpy


def _sweep_done(track, t: int, work, changed, h):
    """End sweep ``t`` of a sequential dynamics: a cue that changed no unit is fixed.

    Returns the cues still running and their local fields.
    """
    fixed = ~changed
    work, keep = track.step(t, work, fixed, fixed)
    if keep is not None:
        h = h[keep]
    return work, h


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
    track, work, tol, h, cols, kernels, args, axpy = _sequential(
        synapse, states, energy, tol, record
    )
    n = work.shape[1]
    fast = kernels is not None
    for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
        # Uniform draws for the whole sweep at once; unit order is a fresh permutation.
        u = rng.random((n, len(work)))
        sequence = rng.permutation(n)
        with np.errstate(divide="ignore"):
            # u < 1 / (1 + exp(-2 beta h))  <=>  h > arctanh(2u - 1) / beta
            thr = np.arctanh(2.0 * u - 1.0) / beta
        changed = np.zeros(len(work), dtype=bool)
        if fast:
            kernels.glauber_sweep(h, work, sequence, thr, tol, changed, *args)
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
        work, h = _sweep_done(track, t, work, changed, h)
        if not len(work):
            break
    return track.finish(work)


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
    track, work, tol, h, cols, kernels, args, axpy = _sequential(
        synapse, states, energy, tol, record
    )
    n = work.shape[1]
    fast = kernels is not None
    for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
        sequence = rng.permutation(n) if order == "random" else np.arange(n)
        changed = np.zeros(len(work), dtype=bool)
        if fast:
            kernels.async_sweep(h, work, sequence, tol, binary, changed, *args)
        else:
            _async_sweep(h, work, sequence, tol, binary, changed, cols, axpy)
        work, h = _sweep_done(track, t, work, changed, h)
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
