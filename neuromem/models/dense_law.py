"""The update law of the dense Hopfield network, and its compiled asynchronous sweep.

:class:`UpdateLaw` evaluates the gains of :class:`neuromem.models.dense.DenseHopfield`
in numpy (synchronous sweeps, and any state values); :func:`async_sweep` is one
asynchronous sweep of states in {-1, 0, +1}, compiled with numba, with exactly the
same law: the gain of a +/-1 unit from the per-cue rows ``D(m -/+ 1)``, the gain of a
0 unit from the terms of its overlaps directly, the tie law of
:func:`neuromem.ties.decide`, and after a flip the exact integer update of the cue's
overlaps and the recomputation of its rows. The order (a permutation per sweep) is
drawn in Python, one sweep at a time. Sums run in another order than the numpy
products do, so gains can differ in the last bits; a unit is decided by them only
where the gain exceeds ``TIE_RTOL`` times the sum of the magnitudes of its terms, so
the states are the same.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import compiled
from ..ties import decide

__all__ = ["TIE_RTOL", "UpdateLaw", "async_sweep"]


def async_sweep(*args):
    """One compiled asynchronous sweep: :func:`neuromem.models.dense_kernels.async_sweep`
    (numba is imported on the first call)."""
    return compiled.kernels("neuromem.models.dense_kernels").async_sweep(*args)


# Largest spread of the logarithms of the terms tabulated as exponentials (far from
# exp's underflow at -745).
_EXP_RANGE = 600.0


#: A unit's gain is a tie when it is at most this fraction of the sum of the
#: magnitudes of the per-pattern terms it adds up (see ``DenseHopfield``, Notes).
#: Gains are evaluated in float64 with a relative error below about 1e-12, so a
#: computed tie is a tie of the exact law and not rounding.
TIE_RTOL = 1e-10


def _logexpm1(y: np.ndarray) -> np.ndarray:
    """``log(expm1(y))`` for ``y >= 0`` without overflow (``-inf`` at 0)."""
    with np.errstate(divide="ignore"):
        return y + np.log(-np.expm1(-y))


def _log_terms(a: np.ndarray, interaction: str, order: int):
    """``log|D(a)|`` and ``sign(D(a))`` for ``D(a) = F(a + 1) - F(a - 1)``.

    ``D`` is the energy a pattern with overlap ``a`` (the unit left out) gains when
    the unit turns from disagreeing to agreeing with it. Evaluated in the log domain
    without forming ``F``: no overflow at any order or scale, and no cancellation
    between ``F(a + 1)`` and ``F(a - 1)`` (exact up to a few ulps of the logarithm).
    The exponential's common factor ``2 sinh(1)`` is dropped.
    """
    a = np.asarray(a, dtype=np.float64)
    if interaction == "exponential":
        return a.copy(), np.ones_like(a)
    n = order
    b = np.abs(a)
    log_d = np.empty_like(b)
    with np.errstate(divide="ignore"):
        big = b > 1  # (b + 1)^n - (b - 1)^n = (b - 1)^n expm1(2 n atanh(1 / b))
        bb = b[big]
        log_d[big] = n * np.log(bb - 1.0) + _logexpm1(2.0 * n * np.arctanh(1.0 / bb))
        log_d[b == 1] = n * np.log(2.0)
        small = b < 1
        bs = b[small]
        if n % 2:  # (1 + b)^n + (1 - b)^n: two positive terms
            log_d[small] = n * np.log1p(bs) + np.log1p(((1.0 - bs) / (1.0 + bs)) ** n)
        else:  # (1 + b)^n - (1 - b)^n = (1 - b)^n expm1(2 n atanh(b)); 0 at b = 0
            log_d[small] = n * np.log1p(-bs) + _logexpm1(2.0 * n * np.arctanh(bs))
        if interaction == "rectified":
            mid = (a > -1) & (a < 1)  # only F(a + 1) is non-zero
            log_d[mid] = n * np.log1p(a[mid])
            log_d[a <= -1] = -np.inf
            sign = np.ones_like(a)
        else:  # D(-b) = (-1)^(n + 1) D(b)
            sign = np.where((a < 0) & (n % 2 == 0), -1.0, 1.0)
    return log_d, sign


class UpdateLaw:
    """The update law of one recall: tables and pattern layouts built once per call.

    For a unit ``i`` whose state is +/-1 the terms only depend on the overlaps ``m``
    (unit included): patterns agreeing with the state contribute ``s_i D(m - 1)``,
    the others ``-s_i D(m + 1)``. With ``D(m -/+ 1)`` kept per cue (normalised by the
    cue's largest term) the gains of any set of units are two products with the 0/1
    matrices of the patterns' +1 and -1 entries: no (cues x patterns x units)
    temporaries, and after a flip only the flipping cue's row is recomputed.
    """

    def __init__(self, x: np.ndarray, interaction: str, order: int):
        self.interaction, self.order = interaction, order
        self.x = np.asarray(x, dtype=np.float64)  # (P, N)
        n = self.x.shape[1]
        self.n = n
        # Every integer overlap +/- 1 of +/-1 or 0 states: a table, exact per entry.
        self.offset = n + 1
        self.table = _log_terms(np.arange(-n - 1, n + 2), interaction, order)
        log_d = self.table[0]
        finite = log_d[np.isfinite(log_d)]
        # exp(log_d - top) = exp_d[k] / exp_d[k_top] while no entry underflows.
        if finite.size and finite.max() - finite.min() < _EXP_RANGE:
            self.exp_d = np.exp(log_d - finite.max())
        else:
            self.exp_d = np.empty(0)

    # The pattern tables below are made on first use, each once: a synchronous recall
    # needs ``both`` alone, an asynchronous one ``xt`` and ``pos_t`` alone (built
    # together they held six copies of the patterns).
    @functools.cached_property
    def both(self) -> np.ndarray:
        """``(P, 2N)``: ``[+1 mask | -1 mask]`` of the patterns, float64."""
        n = self.n
        both = np.empty((len(self.x), 2 * n))
        np.greater(self.x, 0, out=both[:, :n])
        np.subtract(1.0, both[:, :n], out=both[:, n:])
        return both

    @functools.cached_property
    def xt(self) -> np.ndarray:
        """``(N, P)``: the patterns' transpose, C-contiguous."""
        return np.ascontiguousarray(self.x.T)

    @functools.cached_property
    def pos_t(self) -> np.ndarray:
        """``(N, P)``: the transpose of the +1 mask, float64."""
        pos_t = np.empty(self.xt.shape)
        np.greater(self.xt, 0, out=pos_t)
        return pos_t

    def log_terms(self, a: np.ndarray):
        if self.interaction != "exponential":
            r = np.rint(a)
            if np.array_equal(r, a) and (a.size == 0 or np.abs(a).max() <= self.n + 1):
                idx = r.astype(np.intp) + self.offset
                return self.table[0][idx], self.table[1][idx]
        return _log_terms(a, self.interaction, self.order)

    def rows(self, m: np.ndarray) -> np.ndarray:
        """``(4, B, P)``: ``D(m - 1)``, ``D(m + 1)`` and their magnitudes, per cue
        scaled so that its largest magnitude is 1 (a positive factor per cue)."""
        lo, slo = self.log_terms(m - 1.0)
        hi, shi = self.log_terms(m + 1.0)
        top = np.maximum(lo.max(axis=1, initial=-np.inf), hi.max(axis=1, initial=-np.inf))
        top = np.where(np.isfinite(top), top, 0.0)[:, None]
        out = np.empty((4, *m.shape))
        np.exp(lo - top, out=out[2])
        np.exp(hi - top, out=out[3])
        np.multiply(out[2], slo, out=out[0])
        np.multiply(out[3], shi, out=out[1])
        return out

    @staticmethod
    def split(w: np.ndarray):
        """``w = low + high``: the +/-1 and 0 values, and every other value.

        Overlaps are kept as the two sums ``low @ x.T`` (exact integers) and
        ``high @ x.T``, so leaving a unit out never subtracts a large real value from
        a sum that absorbed the small ones.
        """
        low = np.where((w == 1) | (w == -1), w, 0.0)
        return low, w - low

    def overlaps(self, w: np.ndarray):
        """``(m_low, m_high)`` of states ``w`` (see :meth:`split`), float64."""
        low, high = self.split(w.astype(np.float64))
        m_high = high @ self.x.T if high.any() else np.zeros((len(w), len(self.x)))
        return low @ self.x.T, m_high

    def general(self, m_low, m_high, s: np.ndarray, xcols: np.ndarray):
        """Gains and scales for any state values ``s`` (B, k) of units with pattern
        columns ``xcols`` (P, k): ``sum_mu x_mu D(a_mu)`` with ``a_mu`` the overlap
        without the unit, and ``sum_mu |D(a_mu)|``, ``(B, k)`` each."""
        low, high = self.split(s)
        a = m_high[:, :, None] - xcols[None, :, :] * high[:, None, :]
        a += m_low[:, :, None] - xcols[None, :, :] * low[:, None, :]
        log_d, sign = self.log_terms(a)
        top = log_d.max(axis=1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        w = np.exp(log_d - top)
        gain = np.einsum("bpk,bpk,pk->bk", w, sign, xcols)
        return gain, w.sum(axis=1)

    def gains(self, z: np.ndarray, s: np.ndarray, units: np.ndarray | None = None):
        """Gains and scales ``(B, k)`` of ``units`` (all by default) for +/-1 states
        ``s`` ``(B, k)`` of those units, from the rows ``z`` of :meth:`rows`."""
        if units is None:
            cols, k = self.both, self.n
        else:
            k = len(units)
            # The same columns as both's, from the patterns: an asynchronous sweep
            # then never makes the (P, 2N) table.
            pos = (self.x[:, units] > 0).astype(np.float64)
            cols = np.concatenate([pos, 1.0 - pos], axis=1)
        y = (z.reshape(-1, z.shape[2]) @ cols).reshape(4, len(s), 2 * k)
        up = s > 0
        gain = np.where(up, y[0, :, :k] - y[1, :, k:], y[1, :, :k] - y[0, :, k:])
        scale = np.where(up, y[2, :, :k] + y[3, :, k:], y[2, :, k:] + y[3, :, :k])
        return gain, scale

    def visit(self, i: int, m_low, m_high, z: np.ndarray, s: np.ndarray) -> np.ndarray:
        """The new state of unit ``i`` in every cue (``s``: its current values)."""
        gain, scale = self.gains(z, s[:, None], np.array([i]))
        gain, scale = gain[:, 0], scale[:, 0]
        other = np.abs(s) != 1  # 0 (masked) or any real value: evaluate directly
        if other.any():
            rows = np.flatnonzero(other)
            xcol = self.x[:, i : i + 1]
            g, sc = self.general(m_low[rows], m_high[rows], s[rows, None], xcol)
            gain[rows], scale[rows] = g[:, 0], sc[:, 0]
        return self.decide(gain, scale, s)

    def sweep(self, work, m, z, order) -> np.ndarray:
        """One compiled asynchronous sweep of states in {-1, 0, +1}, in place (``m``:
        their overlaps); returns which cues changed."""
        log_d, sign = self.table
        return async_sweep(
            work,
            m,
            z,
            order,
            self.xt,
            self.pos_t,
            log_d,
            sign,
            self.exp_d,
            self.offset,
            TIE_RTOL,
        )

    @staticmethod
    def decide(gain: np.ndarray, scale: np.ndarray, s: np.ndarray) -> np.ndarray:
        """The tie law (:func:`neuromem.ties.decide`): ``sign(gain)``; a tie, up to the
        gains' computation error ``TIE_RTOL * scale``, keeps the sign of the state
        (+1 for 0)."""
        return decide(gain, s, TIE_RTOL * scale).astype(np.float64, copy=False)
