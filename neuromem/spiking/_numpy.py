"""The numpy twin of the compiled loop (see :mod:`neuromem.spiking._kernel`).

Same arguments, same arithmetic in the same order, vectorised over neurons and synapses
within a step; the steps themselves are a Python loop, so this path is the reference the
tests hold the compiled one to, and the fallback where numba is missing, not the fast
path.
"""

from __future__ import annotations

import numpy as np

from ._kernel import (
    COND_E,
    COND_I,
    DEC_E,
    DEC_I,
    DEC_M,
    DT,
    E_E,
    E_I,
    EVERY,
    N_REF,
    RING,
    TAU_M,
    V_RESET,
    V_REST,
    V_TH,
)

__all__ = ["run_numpy"]


def _ranges(ptr: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(ptr[i], ptr[i + 1])`` for each ``i`` in ``items``."""
    starts = ptr[items]
    lengths = ptr[items + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)


def _pre_dw(code, par, w, y1, x2):
    """Vectorised :func:`_kernel._pre_dw`; ``code`` and ``par`` per synapse."""
    dw = np.empty_like(w)
    m = code == 1
    if m.any():
        p = par[m]
        d = p[:, 1] * y1[m]
        dep = p[:, 6] != 0.0
        d = np.where(dep, d * ((w[m] - p[:, 4]) / (p[:, 5] - p[:, 4])), d)
        dw[m] = d
    m = code == 2
    if m.any():
        p = par[m]
        dw[m] = -(y1[m] * (p[:, 2] + p[:, 3] * x2[m]))
    m = code == 3
    if m.any():
        p = par[m]
        dw[m] = p[:, 0] * (y1[m] - p[:, 1])
    return dw


def _post_dw(code, par, w, x1, y2):
    dw = np.empty_like(w)
    m = code == 1
    if m.any():
        p = par[m]
        d = p[:, 0] * x1[m]
        dep = p[:, 6] != 0.0
        d = np.where(dep, d * ((p[:, 5] - w[m]) / (p[:, 5] - p[:, 4])), d)
        dw[m] = d
    m = code == 2
    if m.any():
        p = par[m]
        dw[m] = x1[m] * (p[:, 0] + p[:, 1] * y2[m])
    m = code == 3
    if m.any():
        dw[m] = par[m][:, 0] * x1[m]
    return dw


def _clip(w, par):
    clipped = np.minimum(np.maximum(w, par[:, 4]), par[:, 5])
    return np.where(par[:, 7] != 0.0, clipped, w)


def _occurrence(rows: np.ndarray) -> np.ndarray:
    """For each entry, how many equal entries come before it."""
    order = np.argsort(rows, kind="stable")
    srt = rows[order]
    first = np.r_[True, srt[1:] != srt[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(srt)), 0))
    occ = np.empty(len(rows), dtype=np.int64)
    occ[order] = np.arange(len(srt)) - start
    return occ


def run_numpy(
    fp, ip, t0, n_steps, v, ge, gi, i_ext, ref,
    src_ptr, src_rows, row_delay, row_group, row_ptr, syn_post, syn_w,
    g_target, g_rule, g_par, x_tab, y_dec, xtr, xlast, ytr,
    col_ptr, col_syn, col_row, plastic, ring, ring_n, ev_ptr, ev_src,
    spk_t, spk_i, counters, pop_count, s_idx, s_out,
):  # fmt: skip
    """Advance the network ``n_steps`` steps; returns the number of steps done."""
    n = v.shape[0]
    n_tab = x_tab.shape[2]
    ce, ci = ip[COND_E] != 0, ip[COND_I] != 0
    depth = int(ip[RING])
    for s in range(n_steps):  # the reference path: steps in Python by design
        t = t0 + s
        if counters[0] + n > spk_t.shape[0]:
            return s
        # 1. membranes and channels
        free = ref == 0
        ref[~free] -= 1
        a = ge * fp[E_E] if ce else ge
        # A current-based inhibitory channel hyperpolarises: it subtracts.
        b = gi * fp[E_I] if ci else -gi
        num = fp[V_REST] + i_ext + a + b
        if ce or ci:
            big = 1.0 + (ge if ce else 0.0) + (gi if ci else 0.0)
            vinf = num / big
            f = np.exp(-fp[DT] * big / fp[TAU_M])
        else:
            vinf = num
            f = fp[DEC_M]
        v[:] = np.where(free, vinf + (v - vinf) * f, v)
        ge *= fp[DEC_E]
        gi *= fp[DEC_I]
        # 2. threshold and reset
        spiking = np.flatnonzero(v >= fp[V_TH])
        cnt = len(spiking)
        v[spiking] = fp[V_RESET]
        ref[spiking] = ip[N_REF]
        c0 = counters[0]
        spk_t[c0 : c0 + cnt] = t
        spk_i[c0 : c0 + cnt] = spiking
        counters[0] += cnt
        pop_count[s] = cnt
        # 3. schedule Poisson events, then neuron spikes
        sources = np.concatenate([ev_src[ev_ptr[s] : ev_ptr[s + 1]], spiking])
        rows = src_rows[_ranges(src_ptr, sources)]
        slots = (t + row_delay[rows]) % depth
        for slot in np.unique(slots):  # at most the ring's depth
            new = rows[slots == slot]
            m = ring_n[slot]
            ring[slot, m : m + len(new)] = new
            ring_n[slot] += len(new)
        # 4. arrivals, in waves of distinct rows (a row can arrive twice in a step)
        slot = t % depth
        arrived = ring[slot, : ring_n[slot]].copy()
        ring_n[slot] = 0
        occ = _occurrence(arrived)
        for wave in range(int(occ.max(initial=-1)) + 1):
            rws = arrived[occ == wave]
            ks = _ranges(row_ptr, rws)
            owner = np.repeat(rws, row_ptr[rws + 1] - row_ptr[rws])
            g = row_group[owner]
            post = syn_post[ks]
            w = syn_w[ks]
            tgt = g_target[g]
            m0 = (tgt == 0) & (ref[post] == 0)
            np.add.at(v, post[m0], w[m0])
            np.add.at(ge, post[tgt == 1], w[tgt == 1])
            np.add.at(gi, post[tgt == 2], w[tgt == 2])
            code = g_rule[g]
            pl = code != 0
            rg = row_group[rws]
            lag = np.minimum(t - xlast[rws], n_tab - 1)
            x1r = xtr[rws, 0] * x_tab[rg, 0, lag]
            x2r = xtr[rws, 1] * x_tab[rg, 1, lag]
            if pl.any():
                kp, gp, pp = ks[pl], g[pl], post[pl]
                par = g_par[gp]
                x2 = np.repeat(x2r, row_ptr[rws + 1] - row_ptr[rws])[pl]
                dw = _pre_dw(code[pl], par, w[pl], ytr[gp, pp, 0], x2)
                syn_w[kp] = _clip(w[pl] + dw, par)
            rp = g_rule[rg] != 0
            xtr[rws[rp], 0] = x1r[rp] + 1.0
            tp = g_rule[rg] == 2  # the second trace serves the triplet rule only
            xtr[rws[tp], 1] = x2r[tp] + 1.0
            xlast[rws[rp]] = t
        # 5. postsynaptic half of the rules
        for g in plastic:  # a handful of plastic groups
            cols = spiking + g * n
            qs = _ranges(col_ptr, cols)
            if len(qs):
                post = np.repeat(spiking, col_ptr[cols + 1] - col_ptr[cols])
                k, r = col_syn[qs], col_row[qs]
                lag = np.minimum(t - xlast[r], n_tab - 1)
                x1 = xtr[r, 0] * x_tab[g, 0, lag]
                par = np.broadcast_to(g_par[g], (len(k), g_par.shape[1]))
                code = np.full(len(k), g_rule[g])
                dw = _post_dw(code, par, syn_w[k], x1, ytr[g, post, 1])
                syn_w[k] = _clip(syn_w[k] + dw, par)
            ytr[g, spiking, 0] += 1.0
            if g_rule[g] == 2:
                ytr[g, spiking, 1] += 1.0
        # 6. postsynaptic traces (the second only for the triplet rule)
        for g in plastic:
            ytr[g, :, 0] *= y_dec[g, 0]
            if g_rule[g] == 2:
                ytr[g, :, 1] *= y_dec[g, 1]
        if t % ip[EVERY] == 0 and s_out.shape[1] > 0:
            m = counters[1]
            s_out[m, :, 0] = v[s_idx]
            s_out[m, :, 1] = ge[s_idx]
            s_out[m, :, 2] = gi[s_idx]
            counters[1] += 1
    return n_steps
