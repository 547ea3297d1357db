"""The estimators of capacity and basins, shared by ``neuromem compare`` and the grids.

Every summary number of the experiments comes from here, so that the ``capacity``,
``noise`` and ``basins`` experiments and ``neuromem compare`` measure the same thing:

- **fraction recalled** (:func:`score`): the fraction of stored patterns whose recalled
  state has an overlap ``>= threshold`` (0.95) with its pattern, scored with
  :func:`neuromem.metrics.overlap` (the sparse overlap for 0/1 patterns);
- **critical load** (:func:`search_critical`, :func:`critical_from_points`): the load
  ``alpha = P/N`` at which the fraction recalled from corrupted cues falls below one
  half. The adaptive search doubles ``P`` until recall fails (bracket), then bisects
  the bracket; the grid version reads the same bracket off a fixed grid of loads. The
  estimate of one repeat is the middle of the final bracket ``[lo, hi]``, where ``lo``
  is the largest load recalled and ``hi`` the first that is not; 0 when even one
  pattern is not recalled; the stated maximum, marked *censored* (reported "≥"), when
  recall never fails up to it;
- **basin radius** (:func:`search_radius`, :func:`radius_from_points`): the largest
  fraction of corrupted cue units with ``>= 90 %`` of the patterns recalled;
- **information per synapse** (:func:`mutual_information_bits`,
  :func:`count_synapses`): the mutual information between stored and recalled units,
  times the number of stored units, divided by the number of synapses (every weight and
  bias for a backprop network; the stored pattern matrix for dense and modern Hopfield
  networks, whose memory units connect to every visible unit);
- **intervals** (:func:`interval`): the mean over repeats with a Student-t 95 % interval.

Nothing here reads a clock to decide anything: the searches are functions of the seeds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import metrics
from ..random import as_generator

__all__ = [
    "Estimate",
    "Search",
    "corrupt",
    "count_synapses",
    "critical_from_points",
    "interval",
    "mutual_information_bits",
    "radius_from_points",
    "score",
    "search_critical",
    "search_radius",
]

#: Overlap at which a pattern counts as recalled.
THRESHOLD = 0.95
#: Fraction recalled below which the load is past capacity.
LEVEL = 0.5
#: Fraction recalled that defines the basin radius.
BASIN_CRITERION = 0.9


class Estimate(tuple):
    """A mean over repeats with its 95 % interval: the tuple ``(value, low, high)``
    (so ``mean, low, high = interval(values)``), with attributes.

    Attributes
    ----------
    value : float
        Mean of the per-repeat values (NaN when there are none).
    low, high : float
        Student-t 95 % interval of the mean (equal to ``value`` for one repeat or no
        spread).
    censored : bool
        Some repeat reached the stated maximum of its search: ``value`` is a lower
        bound (shown "≥ value").
    values : tuple of float
        The per-repeat values.
    """

    value: float
    low: float
    high: float
    censored: bool
    values: tuple[float, ...]

    def __new__(
        cls,
        value: float,
        low: float,
        high: float,
        censored: bool = False,
        values: tuple[float, ...] = (),
    ):
        self = super().__new__(cls, (value, low, high))
        self.value, self.low, self.high = value, low, high
        self.censored, self.values = censored, tuple(values)
        return self

    def __repr__(self) -> str:
        return (
            f"Estimate(value={self.value!r}, low={self.low!r}, high={self.high!r}, "
            f"censored={self.censored!r})"
        )

    def text(self, digits: int = 3) -> str:
        """``"0.135 [0.128, 0.142]"``, ``"≥ 1"`` when censored, ``"-"`` for none."""
        if math.isnan(self.value):
            return "-"
        f = f"{{:.{digits}g}}"
        if self.censored:
            return "≥ " + f.format(self.value)
        if self.low == self.high:
            return f.format(self.value)
        return f"{f.format(self.value)} [{f.format(self.low)}, {f.format(self.high)}]"


def interval(
    values: Sequence[float],
    censored: bool = False,
    low: float | None = 0.0,
    high: float | None = None,
) -> Estimate:
    """Mean and Student-t 95 % interval of ``values`` (NaN values are left out).

    The interval is clipped to ``[low, high]``, the range the quantity can take (a
    load, a radius or an information are never negative).
    """
    from scipy import stats

    v = np.asarray([x for x in values if not math.isnan(x)], dtype=np.float64)
    if v.size == 0:
        return Estimate(math.nan, math.nan, math.nan, censored, tuple(values))
    mean = float(v.mean())
    if v.size == 1 or np.all(v == v[0]):
        return Estimate(mean, mean, mean, censored, tuple(float(x) for x in values))
    half = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    lo, hi = mean - half, mean + half
    if low is not None:
        lo = max(lo, low)
    if high is not None:
        hi = min(hi, high)
    return Estimate(mean, lo, hi, censored, tuple(float(x) for x in values))


# -- one evaluation -----------------------------------------------------------------


def corrupt(x: np.ndarray, n_corrupt: int, encoding: str, seed) -> np.ndarray:
    """Cues: ``n_corrupt`` units of each pattern corrupted.

    +/-1 patterns: ``n_corrupt`` units flipped. Sparse 0/1 patterns: ``n_corrupt`` of
    each pattern's active units moved to silent units, so the cue keeps the pattern's
    activity (flipping 10 % of all units of a pattern with 5 % active units would make
    a cue with more noise than signal).
    """
    x = np.asarray(x, dtype=np.float64)
    out = x.copy()
    if n_corrupt <= 0:
        return out
    rng = as_generator(seed)
    p, n = x.shape
    if encoding == "bipolar":
        idx = np.argsort(rng.random((p, n)), axis=1)[:, :n_corrupt]
        np.put_along_axis(out, idx, -np.take_along_axis(out, idx, axis=1), axis=1)
        return out
    # Random keys; active units sort first among the "off" candidates, silent units
    # first among the "on" candidates; each row moves min(k, active, silent) units.
    keys = rng.random((p, n))
    active = x > 0
    off = np.argsort(np.where(active, keys, 2.0), axis=1)
    on = np.argsort(np.where(active, 2.0, keys), axis=1)
    k = np.minimum(n_corrupt, np.minimum(active.sum(1), n - active.sum(1)))
    cols = np.arange(n)[None, :] < k[:, None]
    rows = np.broadcast_to(np.arange(p)[:, None], (p, n))
    out[rows[cols], off[cols]] = 0.0
    out[rows[cols], on[cols]] = 1.0
    return out


def score(states: np.ndarray, patterns: np.ndarray, threshold: float = THRESHOLD):
    """Overlaps of recalled states with their patterns, and the fraction recalled."""
    ov = metrics.overlap(states, patterns)
    return ov, float(np.mean(ov >= threshold))


def mutual_information_bits(stored: np.ndarray, recalled: np.ndarray) -> float:
    """Mutual information (bits) between stored and recalled patterns, summed over units.

    Each unit is a channel from the stored value to the recalled value; the joint
    distribution of (stored, recalled) is estimated from every unit of every pattern
    (values are the pattern's, plus 0 for an unknown +/-1 read-out), and the mutual
    information per unit times the number of stored units is returned. A perfect
    recall of ``P`` random +/-1 patterns of ``N`` units gives ``P N`` bits; a copy of
    the cue keeps what the cue carried.
    """
    s = np.asarray(stored, dtype=np.float64).ravel()
    r = np.asarray(recalled, dtype=np.float64).ravel()
    if s.size == 0:
        return 0.0
    sv, si = np.unique(s, return_inverse=True)
    rv, ri = np.unique(r, return_inverse=True)
    joint = np.zeros((sv.size, rv.size))
    np.add.at(joint, (si, ri), 1.0)
    joint /= s.size
    ps = joint.sum(1, keepdims=True)
    pr = joint.sum(0, keepdims=True)
    nz = joint > 0
    per_unit = float(np.sum(joint[nz] * np.log2(joint[nz] / (ps @ pr)[nz])))
    return max(per_unit, 0.0) * s.size


def count_synapses(mem) -> int:
    """Number of synapses (trainable parameters) holding what ``mem`` stored.

    Connections of every synapse set (a diluted topology counts only its edges), plus
    the biases of a network that trains them (the MLP); for memories that keep the
    pattern matrix itself (dense and modern Hopfield networks: memory units connected
    to every visible unit) the size of that matrix. 0 when nothing can be counted.
    """
    net = getattr(mem, "network_", None)
    if net is not None:
        total = 0
        # Biases are parameters where an optimiser trains them (the MLP); a Hopfield
        # network's threshold is derived from its weights, not learned.
        trains_bias = any(
            getattr(mem, a, None) is not None for a in ("optimizers_", "synapses_")
        )
        for syn in net.synapses:
            total += int(syn.n_connections)
            if trains_bias and getattr(syn, "bias", None) is not None:
                total += int(np.size(syn.bias))
        return total
    if getattr(mem, "n_synapses_", None) is not None:  # a model that counts its own
        return int(mem.n_synapses_)
    x = getattr(mem, "patterns_", None)
    return int(np.size(x)) if x is not None else 0


# -- the searches -------------------------------------------------------------------


@dataclass
class Search:
    """What an adaptive search found.

    Attributes
    ----------
    value : float
        The estimate, in the search's units (patterns for :func:`search_critical`,
        corrupted units for :func:`search_radius`).
    lo, hi : int
        Final bracket: largest passing and smallest failing point (``hi`` is -1 when
        nothing failed, ``lo`` is -1 when nothing passed).
    censored : bool
        Nothing failed up to the stated maximum: ``value`` is that maximum.
    points : list of (int, float)
        Every point evaluated, in order, with its fraction recalled.
    """

    value: float
    lo: int
    hi: int
    censored: bool
    points: list[tuple[int, float]] = field(default_factory=list)


def _bracket(points, passes) -> tuple[int, int]:
    """(largest passing point below the first failing one, first failing point)."""
    fails = sorted(x for x, f in points if not passes(f))
    hi = fails[0] if fails else -1
    ok = [x for x, f in points if passes(f) and (hi < 0 or x < hi)]
    return (max(ok) if ok else -1), hi


def critical_from_points(
    points: Sequence[tuple[float, float]], maximum: float, level: float = LEVEL
) -> tuple[float, bool]:
    """Critical load from evaluated ``(load, fraction)`` points (a grid or a search).

    Returns ``(estimate, censored)``: the middle of the bracket around the first load
    whose fraction recalled is below ``level``; 0 when the smallest load already fails
    and nothing smaller was recalled; ``maximum`` (censored) when nothing failed.
    """
    lo, hi = _bracket(points, lambda f: not f < level)
    if hi == -1:
        return float(maximum), True
    if lo == -1:
        return 0.0, False
    return (lo + hi) / 2.0, False


def radius_from_points(
    points: Sequence[tuple[float, float]],
    maximum: float,
    criterion: float = BASIN_CRITERION,
) -> tuple[float, bool]:
    """Basin radius from ``(noise, fraction)`` points: the largest noise recalled.

    Returns ``(radius, censored)``: the largest noise below the first one with fraction
    under ``criterion`` (0 when the uncorrupted cue already fails), or ``maximum``
    (censored) when nothing failed.
    """
    lo, hi = _bracket(points, lambda f: f >= criterion)
    if hi == -1:
        return float(maximum), True
    return (max(lo, 0) if lo != -1 else 0.0), False


def _narrow(ok: Callable[[int], bool], x: int, lo: int, hi: int) -> tuple[int, int]:
    """The bracket ``(lo, hi)`` (``ok(lo)``, not ``ok(hi)``) with ``x`` evaluated."""
    return (x, hi) if ok(x) else (lo, x)


def _bisect(
    ok: Callable[[int], bool], lo: int, hi: int, rel_tol: float = 0.0
) -> tuple[int, int]:
    """Halve the bracket ``(lo, hi)`` until ``hi - lo <= max(1, rel_tol * hi)``."""
    while hi - lo > max(1, int(rel_tol * hi)):
        lo, hi = _narrow(ok, (lo + hi) // 2, lo, hi)
    return lo, hi


def search_critical(
    fraction: Callable[[int], float],
    p_max: int,
    p_start: int = 1,
    *,
    level: float = LEVEL,
    rel_tol: float = 0.02,
) -> Search:
    """Adaptive search of the number of patterns at which recall falls below ``level``.

    Parameters
    ----------
    fraction : callable
        ``fraction(P)``: fraction recalled after storing ``P`` patterns.
    p_max : int
        The stated maximum: the search never stores more.
    p_start : int
        First point of the bracket; doubled until recall fails (or halved, down to 1,
        until it succeeds).
    level : float
        The fraction recalled that defines capacity.
    rel_tol : float
        Bisect until ``hi - lo <= max(1, rel_tol * hi)``.

    Returns
    -------
    Search
        ``value`` in patterns: the middle of the final bracket (see
        :func:`critical_from_points`).
    """
    pts: list[tuple[int, float]] = []
    seen: dict[int, float] = {}

    def f(p: int) -> float:
        if p not in seen:
            seen[p] = float(fraction(p))
            pts.append((p, seen[p]))
        return seen[p]

    def ok(p: int) -> bool:
        return not f(p) < level

    p = min(max(1, int(p_start)), p_max)
    if ok(p):
        lo, hi = p, -1
        while hi < 0:
            if lo >= p_max:
                return Search(float(p_max), p_max, -1, True, pts)
            lo, hi = _narrow(ok, min(2 * lo, p_max), lo, hi)
    else:
        lo, hi = -1, p
        while lo < 0:
            if hi <= 1:
                return Search(0.0, -1, 1, False, pts)
            lo, hi = _narrow(ok, max(hi // 2, 1), lo, hi)
    lo, hi = _bisect(ok, lo, hi, rel_tol)
    value, censored = critical_from_points(pts, p_max, level)
    return Search(value, lo, hi, censored, pts)


def search_radius(
    fraction: Callable[[int], float],
    k_max: int,
    *,
    criterion: float = BASIN_CRITERION,
) -> Search:
    """Adaptive search of the largest number of corrupted cue units still recalled.

    ``fraction(k)`` is the fraction recalled from cues with ``k`` units corrupted. The
    search evaluates ``k = 0`` (no basin if that fails), then ``k_max`` (censored if it
    passes), then bisects to one unit.
    """
    pts: list[tuple[int, float]] = []

    def ok(k: int) -> bool:
        v = float(fraction(k))
        pts.append((k, v))
        return v >= criterion

    if not ok(0):
        return Search(0.0, -1, 0, False, pts)
    if ok(k_max):
        return Search(float(k_max), k_max, -1, True, pts)
    lo, hi = _bisect(ok, 0, k_max)
    value, censored = radius_from_points(pts, k_max, criterion)
    return Search(value, lo, hi, censored, pts)
