"""Batched attractor dynamics for binary (+/-1) recurrent networks.

Every function relaxes many cues at once, stored row-wise, and reports per cue how many
sweeps it took and whether it reached a fixed point. A unit whose local field is
exactly zero keeps its state (the usual convention; it makes stored patterns of an
empty network fixed points instead of flipping them to +1).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg.blas import get_blas_funcs

from .progress import steps as long_loop
from .synapse import Synapse

__all__ = ["asynchronous", "glauber", "sign_keep", "synchronous", "tie_tolerance"]

Field = Callable[[np.ndarray], np.ndarray]
Energy = Callable[[np.ndarray], np.ndarray]


def tie_tolerance(values: np.ndarray, n_inputs: int) -> float:
    """Fields smaller than the rounding error of their own sum count as exact ties.

    Hebbian fields are multiples of ``1 / N``, so exact zeros are common; summed in a
    different order (sparse against dense storage, say) they come out as +/-1e-17.
    Treating ``|h| <= n_inputs * eps * max|w|`` as zero makes the dynamics independent
    of the summation order while staying far below any real field.
    """
    if values.size == 0:
        return 0.0
    # max|w| without an |w| temporary the size of the weights.
    largest = max(float(values.max()), -float(values.min()))
    return float(n_inputs * np.finfo(values.dtype).eps * largest)


def sign_keep(h: np.ndarray, current: np.ndarray, tol: float = 0.0) -> np.ndarray:
    """``sign(h)``, keeping ``current`` where ``|h| <= tol``."""
    new = np.sign(h)
    if tol:
        new[np.abs(h) <= tol] = 0
    ties = new == 0
    if ties.any():
        new[ties] = current[ties]
    return new


class _Tracker:
    """Bookkeeping shared by the dynamics: which cues are still running."""

    def __init__(self, states: np.ndarray, energy: Energy | None):
        self.out = states.copy()
        n = len(states)
        self.steps = np.zeros(n, dtype=np.int64)
        self.converged = np.zeros(n, dtype=bool)
        self.active = np.arange(n)
        self.energy = energy
        self.trace = [energy(self.out)] if energy is not None else None

    def step(self, t: int, work: np.ndarray, finished: np.ndarray, fixed: np.ndarray):
        """Record sweep ``t``; returns the rows of ``work`` still running."""
        self.steps[self.active] = t
        if self.trace is not None:
            self.out[self.active] = work
            self.trace.append(self.energy(self.out))
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


def _flips(h: np.ndarray, s: np.ndarray, tol: float, signed: bool) -> np.ndarray:
    """Which units would change: the field beats the tie tolerance and opposes the state.

    With every state +/-1 (``signed``) that is one product and one comparison.
    """
    if signed:
        return h * s < -tol
    return (np.abs(h) > tol) & (np.sign(h) != s)


def synchronous(
    field: Field,
    states: np.ndarray,
    max_steps: int,
    energy: Energy | None = None,
    tol: float = 0.0,
):
    """All units update at once: ``s <- sign(h(s))``, until nothing changes.

    Parameters
    ----------
    field : callable
        Maps states ``(B, N)`` to local fields ``(B, N)``.
    states : ndarray, shape (P, N)
        Initial states (cues); not modified.
    max_steps : int
        Largest number of sweeps.
    energy : callable, optional
        Maps states to energies ``(P,)``; if given, a trace is recorded.
    tol : float
        Fields with ``|h| <= tol`` are ties (see :func:`tie_tolerance`).

    Returns
    -------
    states, steps, converged, trace
        ``steps`` counts sweeps including the one that confirmed the fixed point. A cue
        caught in a period-2 cycle (possible under synchronous updates of a symmetric
        network) stops there with ``converged = False``.
    """
    track = _Tracker(states, energy)
    work = track.out.copy()
    before = None  # states one sweep earlier, for period-2 cycle detection
    for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
        new = sign_keep(field(work), work, tol)
        fixed = (new == work).all(axis=1)
        finished = fixed
        if before is not None:
            finished = fixed | (new == before).all(axis=1)
        before = work
        work, keep = track.step(t, new, finished, fixed)
        if keep is not None:
            before = before[keep]
        if not len(work):
            break
    return track.finish(work)


def _columns(synapse: Synapse):
    """``column(i)``: where unit ``i`` projects and with which weights.

    The transposed copy is made on the first call, so a recall in which no unit flips
    (cues that are already fixed points) never pays for it.
    """
    cache = []

    if synapse.is_sparse:

        def column(i):
            if not cache:
                cols = synapse.weights.tocsc()
                cols.sort_indices()
                cache.append(cols)
            cols = cache[0]
            lo, hi = cols.indptr[i], cols.indptr[i + 1]
            return cols.indices[lo:hi], cols.data[lo:hi]
    else:

        def column(i):
            if not cache:  # row i of the copy = the effect of unit i, contiguous
                cache.append(np.ascontiguousarray(synapse.weights.T))
            return slice(None), cache[0][i]

    return column


def _add_columns(h, idx, delta, where, col, axpy) -> None:
    """Fields of cues ``idx`` after their unit (column ``col``) changed by ``delta``.

    Dense: one in-place BLAS axpy per cue, two to four times faster than a
    fancy-indexed gather, add and scatter for the few cues that flip at a unit.
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
):
    """Stochastic asynchronous (Glauber) dynamics at inverse temperature ``beta``.

    Units are visited one at a time in a fresh random order each sweep; unit ``i`` of
    every cue becomes +1 with probability ``1 / (1 + exp(-2 beta h_i))``, the heat-bath
    rule whose stationary law is ``exp(-beta E)``. Fields are kept and corrected by a
    rank-one update where a unit flips, as in :func:`asynchronous`.

    Returns
    -------
    states, steps, converged, trace
        A cue stops early when a whole sweep flips no unit (``converged = True``: at low
        temperature it has frozen in a minimum); otherwise it runs ``max_steps``
        sweeps and ``converged`` is False.
    """
    track = _Tracker(states, energy)
    work = track.out.copy()
    n = work.shape[1]
    h = synapse.input(work)
    column = _columns(synapse)
    axpy = get_blas_funcs("axpy", (h,))
    for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
        changed = np.zeros(len(work), dtype=bool)
        # Uniform draws for the whole sweep at once; unit order is a fresh permutation.
        u = rng.random((n, len(work)))
        for k, i in enumerate(rng.permutation(n)):  # sequential by definition
            p_up = 0.5 * (1.0 + np.tanh(beta * h[:, i]))  # = 1 / (1 + exp(-2 beta h))
            new = np.where(u[k] < p_up, 1.0, -1.0).astype(work.dtype)
            cur = work[:, i]
            flip = new != cur
            if flip.any():
                idx = np.flatnonzero(flip)
                delta = new[idx] - cur[idx]
                work[idx, i] = new[idx]
                _add_columns(h, idx, delta, *column(i), axpy)
                changed[idx] = True
        fixed = ~changed
        work, keep = track.step(t, work, fixed, fixed)
        if keep is not None:
            h = h[keep]
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
    tol: float = 0.0,
):
    """One unit at a time, in a random (fresh each sweep) or fixed order.

    The local fields of all cues are kept and corrected by a rank-one update only where
    a unit flips, so a sweep costs ``O(N * B)`` plus ``O(N)`` per flip instead of
    ``O(N^2 * B)``. The sweep order is shared by the cues of a batch; each cue still
    follows genuine sequential dynamics. Energy never rises for symmetric weights with
    a zero diagonal.

    Returns
    -------
    states, steps, converged, trace
        As :func:`synchronous`; ``steps`` counts sweeps through all units.
    """
    track = _Tracker(states, energy)
    work = track.out.copy()
    n = work.shape[1]
    h = synapse.input(work)
    column = _columns(synapse)
    axpy = get_blas_funcs("axpy", (h,))
    for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
        sequence = rng.permutation(n) if order == "random" else np.arange(n)
        changed = np.zeros(len(work), dtype=bool)
        # Units are visited one after another, but a unit that flips in no cue changes
        # nothing: a run of such units is checked in one block. The block grows through
        # quiet stretches and falls back to single units around flips, so late sweeps
        # (few flips) cost a few array operations instead of N, with exactly the
        # per-unit result. Masked cues hold 0 states until their units are visited.
        signed = bool(np.all(work))
        pos, block = 0, 1
        while pos < n:
            if block == 1:
                i = sequence[pos]
                hi, cur = h[:, i], work[:, i]  # views: the cheapest single-unit check
                flips = _flips(hi, cur, tol, signed)
                if not flips.any():
                    pos, block = pos + 1, 2
                    continue
            else:
                units = sequence[pos : pos + block]
                hit = _flips(h[:, units], work[:, units], tol, signed).any(axis=0)
                if not hit.any():
                    pos, block = pos + len(units), min(2 * block, 512)
                    continue
                k = int(np.argmax(hit))  # the first unit, in order, that flips somewhere
                pos, block = pos + k, 1
                continue  # visit it as a single unit
            idx = np.flatnonzero(flips)
            new_i = np.sign(hi[idx])
            delta = new_i - cur[idx]
            work[idx, i] = new_i
            _add_columns(h, idx, delta, *column(i), axpy)
            changed[idx] = True
            pos += 1
        fixed = ~changed
        work, keep = track.step(t, work, fixed, fixed)
        if keep is not None:
            h = h[keep]
        if not len(work):
            break
    return track.finish(work)
