"""Plain-numpy references of the 0/1 (Tsodyks-Feigelman) Hopfield network, shared by
the model tests and the fuzz tests (``tests/`` is on ``sys.path`` through its
conftest)."""

from __future__ import annotations

import numpy as np


def tf_reference(x, center="global"):
    """Plain numpy: w_ij = sum_mu (xi_i - a)(xi_j - a) / (N a (1 - a)), w_ii = 0."""
    n = x.shape[1]
    a = x.mean()
    c = x - (x.mean(0) if center == "unit" else a)
    w = c.T @ c / (n * a * (1 - a))
    np.fill_diagonal(w, 0.0)
    return w


def reference_recall(x, w, theta, cues, max_steps=50, tol=1e-9):
    """Synchronous 0/1 dynamics: s_i <- 1 if sum_j w_ij s_j > theta + tol else 0 (a
    field at the threshold, up to rounding, is a tie: inactive), per cue until a fixed
    point or a period-2 cycle (which stops on its newer state)."""
    out = cues.copy()
    for k, s in enumerate(cues):
        before = None
        for _ in range(max_steps):
            new = (w @ s - theta > tol).astype(float)
            done = np.array_equal(new, s) or (
                before is not None and np.array_equal(new, before)
            )
            before, s = s, new
            if done:
                break
        out[k] = s
    return out


def fewest_errors_threshold(h, x):
    """The "auto" threshold: fewest one-step errors (active at or below, silent above),
    the middle of the best stretch of field values. Sort fields with their labels and
    count errors left to right."""
    order = np.argsort(h, axis=None, kind="stable")
    hs, on = h.ravel()[order], x.ravel()[order] > 0.5
    vals = np.unique(hs)
    tol = 1e-12 * np.abs(vals).max()  # fields equal up to rounding count as equal
    # errors with theta = vals[k]: actives with h <= vals[k] + silents with h > vals[k]
    right = np.searchsorted(hs, vals + tol, "right")
    act_below = np.concatenate([[0], np.cumsum(on)])[right]
    sil_above = (~on).sum() - np.concatenate([[0], np.cumsum(~on)])[right]
    err = act_below + sil_above
    if (~on).sum() < err.min():  # below every field (all fire) is strictly best
        return vals[0] - max(abs(vals[0]), 1.0)
    best = np.flatnonzero(err == err.min())
    end = best[0]
    while end + 1 in best:  # the first run of adjacent best values only
        end += 1
    last = end + 1 if end + 1 < len(vals) else end
    return 0.5 * (vals[best[0]] + vals[last])


def auto_threshold(x, w):
    """The "auto" threshold, chosen for retrieval: the fewest-errors start if it
    retrieves all 128 sampled patterns; else, from it, the grid start + g d (g = -0.4, -0.3, ..., 0.4; d = mean active field - mean silent
    field), then six points at a quarter step around the best; score = (number of 128
    evenly spread stored patterns retrieved from themselves in <= 20 synchronous sweeps
    with sparse overlap >= 0.95, their mean overlap, -|theta - start|)."""
    h = x @ w.T
    start = fewest_errors_threshold(h, x)
    gap = h[x > 0.5].mean() - h[x < 0.5].mean()
    cues = x[np.unique(np.linspace(0, len(x) - 1, min(128, len(x))).round()).astype(int)]

    def score(t):
        m = sparse_overlap(reference_recall(cues, w, t, cues, max_steps=20), cues)
        return (int(np.sum(m >= 0.95)), float(np.mean(m)), -abs(t - start))

    if score(start)[0] == len(cues):  # the start retrieves every sampled pattern
        return start
    tried = [(score(t), t) for t in start + np.linspace(-0.4, 0.4, 9) * gap]
    best = max(tried, key=lambda st: st[0])[1]
    tried += [(score(t), t) for t in best + 0.1 * gap * np.array([-3, -2, -1, 1, 2, 3]) / 4]
    return max(tried, key=lambda st: st[0])[1]


def sparse_overlap(s, x):
    """The sparse overlap; a row without variance (all silent or all active) gets the
    +/-1 overlap 1 - 2 d / N, as documented for metrics.overlap."""
    a = x.mean(1)
    flat = (a == 0) | (a == 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = ((x - a[:, None]) * s).sum(1) / (x.shape[1] * a * (1 - a))
    return np.where(flat, ((2 * s - 1) * (2 * x - 1)).mean(1), m)
