"""The compiled asynchronous sweep of the dense Hopfield network (numba).

Loaded on first use through :func:`neuromem.compiled.kernels`, so that importing
neuromem does not import numba; :mod:`neuromem.models.dense_law` holds the law these
kernels compute and its numpy reference.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["async_sweep"]


@numba.njit(cache=True, nogil=True)
def _rows(m, z, b, log_d, sign, exp_d, offset):
    """``z[:, b, :]`` from the overlaps ``m`` of cue ``b`` (``UpdateLaw.rows``)."""
    p = m.shape[0]
    top = -np.inf
    k_top = 0
    for mu in range(p):
        for k in (int(m[mu]) - 1 + offset, int(m[mu]) + 1 + offset):
            if log_d[k] > top:
                top, k_top = log_d[k], k
    if len(exp_d):  # exp(log_d - top) as a quotient of two entries of a table
        inv = 1.0 / exp_d[k_top] if math.isfinite(top) else 1.0
        for mu in range(p):
            lo, hi = int(m[mu]) - 1 + offset, int(m[mu]) + 1 + offset
            z[2, b, mu] = exp_d[lo] * inv
            z[3, b, mu] = exp_d[hi] * inv
            z[0, b, mu] = z[2, b, mu] * sign[lo]
            z[1, b, mu] = z[3, b, mu] * sign[hi]
        return
    if not math.isfinite(top):
        top = 0.0
    for mu in range(p):
        lo, hi = int(m[mu]) - 1 + offset, int(m[mu]) + 1 + offset
        z[2, b, mu] = math.exp(log_d[lo] - top)
        z[3, b, mu] = math.exp(log_d[hi] - top)
        z[0, b, mu] = z[2, b, mu] * sign[lo]
        z[1, b, mu] = z[3, b, mu] * sign[hi]


@numba.njit(cache=True, nogil=True)
def _masked_gain(m, xi, log_d, sign, offset):
    """Gain and scale of a unit at 0 (``UpdateLaw.general``): its overlaps leave it out."""
    p = m.shape[0]
    top = -np.inf
    for mu in range(p):
        top = max(top, log_d[int(m[mu]) + offset])
    if not math.isfinite(top):
        top = 0.0
    gain = 0.0
    scale = 0.0
    for mu in range(p):
        k = int(m[mu]) + offset
        w = math.exp(log_d[k] - top)
        gain += w * sign[k] * xi[mu]
        scale += w
    return gain, scale


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def async_sweep(
    work, m, z, order, xt, pos, log_d, sign, exp_d, offset, rtol
):  # pragma: no cover - compiled; the numpy reference is tested against it
    """One asynchronous sweep of every cue, in place; returns which cues changed.

    Parameters
    ----------
    work : ndarray, shape (B, N)
        States in {-1, 0, +1} (any float dtype), updated in place.
    m : ndarray of float64, shape (B, P)
        Overlaps ``work @ x.T`` (exact integers), updated in place.
    z : ndarray of float64, shape (4, B, P)
        ``UpdateLaw.rows(m)``, updated in place.
    order : ndarray of int, shape (N,)
        The order in which the units are visited.
    xt : ndarray of float64, shape (N, P)
        The patterns, unit-major.
    pos : ndarray of float64, shape (N, P)
        ``xt > 0`` as 0/1.
    log_d, sign : ndarray of float64
        ``_log_terms`` of every integer overlap from ``-offset`` on.
    exp_d : ndarray of float64
        ``exp(log_d - max(log_d))``, or empty where that table would underflow
        (the rows then take ``exp`` of each entry).
    offset : int
        Index of overlap 0 in the tables.
    rtol : float
        ``TIE_RTOL``.
    """
    n_cues = work.shape[0]
    p = xt.shape[1]
    changed = np.zeros(n_cues, dtype=np.bool_)
    for b in range(n_cues):
        for i in order:
            xi = xt[i]
            cur = float(work[b, i])
            if cur == 0.0:
                gain, scale = _masked_gain(m[b], xi, log_d, sign, offset)
            else:
                # Sums of the rows over the patterns whose entry is +1 (pos) or
                # -1: D(m - 1) where the pattern agrees with the state, D(m + 1) where
                # it does not (``UpdateLaw.gains``). Multiplied by the 0/1 masks, not branched
                # on (the patterns' signs are random).
                agree, disagree = (0, 1) if cur > 0 else (1, 0)
                g_pos = g_neg = s_pos = s_neg = 0.0
                for mu in range(p):
                    up, down = pos[i, mu], 1.0 - pos[i, mu]
                    g_pos += z[agree, b, mu] * up
                    g_neg += z[disagree, b, mu] * down
                    s_pos += z[agree + 2, b, mu] * up
                    s_neg += z[disagree + 2, b, mu] * down
                gain, scale = g_pos - g_neg, s_pos + s_neg
            tol = rtol * scale
            if gain > tol:
                new = 1.0
            elif gain < -tol:
                new = -1.0
            else:
                new = -1.0 if cur < 0 else 1.0
            if new == cur:
                continue
            work[b, i] = new
            d = new - cur
            for mu in range(p):
                m[b, mu] += d * xi[mu]
            _rows(m[b], z, b, log_d, sign, exp_d, offset)
            changed[b] = True
    return changed
