"""The ``"auto"`` threshold of 0/1 Hopfield networks: chosen for retrieval.

Two steps, both deterministic (no random draw):

1. :func:`fewest_errors`: the threshold that separates the fields of the stored
   patterns' active units from those of their silent units with the fewest one-step
   errors, at the middle of the lowest stretch of equally good values. It is a start,
   not the answer: silent units outnumber active ones ``(1 - a) / a`` to one, so the
   fewest *errors* is not the best *recall*, least of all near capacity.
2. :func:`retrieval_threshold`: up to :data:`SAMPLE` stored patterns, spread evenly
   over all that are stored, are each recalled from themselves by synchronous dynamics
   (at most :data:`SWEEPS` sweeps). If the start retrieves all of them it is kept
   (below capacity, the usual case: one relaxation). Otherwise they are recalled at
   every threshold of a grid around the start. The
   grid is ``theta_0 + g d`` for ``g`` in :data:`GRID` (``d``: the mean field of the
   active units minus that of the silent units), refined once at a quarter of its
   step around the best point. The threshold kept retrieves the most patterns (sparse
   overlap ``>= RETRIEVED``); among equals, the one with the largest mean overlap;
   among those, the one nearest to ``theta_0``, so at low loads, where a range of
   thresholds retrieves everything, "auto" is the fewest-errors threshold.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import dynamics as dyn
from .metrics import overlap
from .synapse import Synapse

__all__ = [
    "GRID",
    "RETRIEVED",
    "SAMPLE",
    "SWEEPS",
    "TIE_RTOL",
    "fewest_errors",
    "relax_binary",
    "retrieval_threshold",
]

#: Most stored patterns recalled per candidate threshold. Near capacity the retrieved
#: fraction of a sample of 32 was off by several points, enough to pick a threshold
#: that retrieves 5 to 8 % fewer of all stored patterns than the best (N = 400,
#: a = 0.05, P = 200); 128 matched a fine scan over all of them.
SAMPLE = 128
#: Most synchronous sweeps per recall of the scan.
SWEEPS = 20
#: The coarse grid, in units of the gap ``d`` between active and silent mean fields.
GRID = np.linspace(-0.4, 0.4, 9)
#: Sparse overlap from which a pattern counts as retrieved.
RETRIEVED = 0.95
#: Fields closer than this, relative to the largest, count as equal in ``fewest_errors``.
TIE_RTOL = 1e-12


def fewest_errors(on: np.ndarray, off: np.ndarray) -> float:
    """Threshold that misclassifies fewest fields (``on`` must exceed it, ``off`` not).

    Errors are counted at every field value. The equally good thresholds may form
    several stretches that are not adjacent (a worse value lies between them): the
    threshold is the middle of the lowest such stretch (the one at the smallest
    fields, which keeps the most units active; its width plays no part), so a
    zero-error gap gets its midpoint. When only one set has fields (every
    stored unit active, or every one silent) the threshold lies a margin
    ``max(|h|, 1)`` beyond its extreme field, on the side that classifies all of them
    right; 0 when both are empty (nothing stored).
    """
    if not len(on) and not len(off):
        return 0.0
    if not len(off):
        # An all-active stored pattern (W = 0 under the global-level rule, every field
        # 0) must not sit at a tie, inactive, and be lost in silence.
        lo = float(np.min(on))
        return lo - max(abs(lo), 1.0)
    if not len(on):
        hi = float(np.max(off))
        return hi + max(abs(hi), 1.0)
    on, off = np.sort(on), np.sort(off)
    cand = np.unique(np.concatenate([on, off]))
    # Fields equal in exact arithmetic (Hebbian sums of multiples of 1 / N) differ by
    # rounding: within TIE_RTOL of the largest they count as equal, as the dynamics'
    # tie law counts a field at the threshold (inactive), whatever the summation order.
    tol = TIE_RTOL * float(np.max(np.abs(cand)))
    # theta in [cand[k], cand[k + 1]): on-units with h <= cand[k] miss, off-units
    # with h > cand[k] fire.
    errors = np.searchsorted(on, cand + tol, "right") + (
        len(off) - np.searchsorted(off, cand + tol, "right")
    )
    if len(off) < errors.min():
        # Below every field all units fire: len(off) errors, fewer than any threshold
        # at or above a field value (few silent units, active ones with low fields).
        lo = float(cand[0])
        return lo - max(abs(lo), 1.0)
    best = np.flatnonzero(errors == errors.min())
    # Each best index k is the stretch [cand[k], cand[k + 1]); only the first run of
    # adjacent ones is one stretch (the midpoint of two stretches apart can lie where
    # errors are more). The lowest keeps active units, which sparse codes need most.
    run = np.flatnonzero(np.diff(best) != 1)
    end = best[run[0]] if len(run) else best[-1]  # last index of the first run
    hi = cand[end + 1] if end + 1 < len(cand) else cand[end]
    return float(0.5 * (cand[best[0]] + hi))


def retrieval_threshold(
    patterns: np.ndarray,
    fields: np.ndarray,
    relax: Callable[[float, np.ndarray], np.ndarray],
) -> float:
    """The threshold that retrieves the most stored patterns (module docstring).

    Parameters
    ----------
    patterns : ndarray, shape (P, N)
        The stored 0/1 patterns (all of them).
    fields : ndarray, shape (P, N)
        Their local fields ``W xi`` (no threshold).
    relax : callable
        ``relax(theta, cues)`` returns the 0/1 states that synchronous dynamics with
        threshold ``theta`` reach from ``cues`` in at most :data:`SWEEPS` sweeps.

    Returns
    -------
    float
    """
    on, off = fields[patterns > 0.5], fields[patterns < 0.5]
    start = fewest_errors(on, off)
    if not len(on) or not len(off):
        return start
    gap = float(np.mean(on) - np.mean(off))
    if not np.isfinite(gap) or gap <= 0:
        return start  # nothing separates active from silent units: keep the start
    idx = np.unique(np.linspace(0, len(patterns) - 1, min(SAMPLE, len(patterns))).round())
    cues = patterns[idx.astype(int)]

    def score(theta: float) -> tuple[int, float, float]:
        m = overlap(relax(theta, cues), cues, encoding="binary")
        return int(np.sum(m >= RETRIEVED)), float(np.mean(m)), -abs(theta - start)

    first = score(start)
    if first[0] == len(cues):
        # The start retrieves every sampled pattern: nothing to gain for retrieval.
        # Most stores below capacity end here, after one relaxation.
        return start
    step = float(GRID[1] - GRID[0]) * gap
    tried = {start: first}
    tried.update({float(t): score(float(t)) for t in start + GRID * gap if t != start})
    best = max(tried, key=tried.get)
    for t in best + step * np.array([-0.75, -0.5, -0.25, 0.25, 0.5, 0.75]):
        tried.setdefault(float(t), score(float(t)))
    return max(tried, key=tried.get)


def relax_binary(
    synapse: Synapse, max_steps: int
) -> Callable[[float, np.ndarray], np.ndarray]:
    """``relax(theta, cues)`` for :func:`retrieval_threshold`: the 0/1 states that
    synchronous dynamics on ``synapse`` with threshold ``theta`` reach from 0/1 ``cues``
    (a 0/1 network is the +/-1 network with the bias ``W 1 - 2 theta``). Each call
    leaves the synapse's bias set for its ``theta``: the caller sets the final one."""
    w = synapse.layout.wrap(synapse.layout.values(synapse._weights))
    row_sums = np.asarray(w.sum(axis=1)).ravel()

    def relax(theta: float, cues: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            synapse.bias = (row_sums - 2.0 * theta).astype(synapse.dtype)
        s = (2.0 * cues - 1.0).astype(synapse.dtype)
        tol = dyn.tie_tolerances(synapse)
        states = dyn.synchronous(synapse.input, s, max_steps, tol=tol, binary=True)[0]
        return (states + 1.0) / 2.0

    return relax
