"""The numpy twin of the compiled loop (see :mod:`neuromem.spiking._kernel`).

Same arguments, same arithmetic in the same order, vectorised over neurons and synapses
within a step; the steps themselves are a Python loop, so this path is the reference the
tests hold the compiled one to, and the fallback where numba is missing, not the fast
path.
"""

from __future__ import annotations

from collections import namedtuple

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
    LOOP_ARGS,
    N_REF,
    RING,
    TAU_M,
    V_RESET,
    V_REST,
    V_TH,
)

__all__ = ["run_numpy"]

_Loop = namedtuple("_Loop", LOOP_ARGS)


def _ranges(ptr: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(ptr[i], ptr[i + 1])`` for each ``i`` in ``items``."""
    starts = ptr[items]
    lengths = ptr[items + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)


def _scaled(p, d, room):
    """Pair STDP's change ``d``, scaled by the ``room`` left to the bound where the
    rule is weight-dependent (``p[:, 6]``), as the compiled loop does."""
    return np.where(p[:, 6] != 0.0, d * (room / (p[:, 5] - p[:, 4])), d)


def _pre_dw(code, par, w, y1, x2):
    """Vectorised :func:`_kernel._pre_dw`; ``code`` and ``par`` per synapse."""
    dw = np.empty_like(w)
    m = code == 1
    if m.any():
        p = par[m]
        dw[m] = _scaled(p, p[:, 1] * y1[m], w[m] - p[:, 4])
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
        dw[m] = _scaled(p, p[:, 0] * x1[m], p[:, 5] - w[m])
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


def run_numpy(*args):
    """Advance the network ``n_steps`` steps; returns the number of steps done.

    The arguments are the compiled loop's, in its order (``_kernel.LOOP_ARGS``).
    """
    st = _Loop(*args)
    n = st.v.shape[0]
    n_tab = st.x_tab.shape[2]
    ce, ci = st.ip[COND_E] != 0, st.ip[COND_I] != 0
    depth = int(st.ip[RING])
    for s in range(st.n_steps):  # the reference path: steps in Python by design
        t = st.t0 + s
        if st.counters[0] + n > st.spk_t.shape[0]:
            return s
        # 1. membranes and channels
        free = st.ref == 0
        st.ref[~free] -= 1
        a = st.ge * st.fp[E_E] if ce else st.ge
        # A current-based inhibitory channel hyperpolarises: it subtracts.
        b = st.gi * st.fp[E_I] if ci else -st.gi
        num = st.fp[V_REST] + st.i_ext + a + b
        if ce or ci:
            big = 1.0 + (st.ge if ce else 0.0) + (st.gi if ci else 0.0)
            vinf = num / big
            f = np.exp(-st.fp[DT] * big / st.fp[TAU_M])
        else:
            vinf = num
            f = st.fp[DEC_M]
        st.v[:] = np.where(free, vinf + (st.v - vinf) * f, st.v)
        st.ge[:] *= st.fp[DEC_E]
        st.gi[:] *= st.fp[DEC_I]
        # 2. threshold and reset
        spiking = np.flatnonzero(st.v >= st.fp[V_TH])
        cnt = len(spiking)
        st.v[spiking] = st.fp[V_RESET]
        st.ref[spiking] = st.ip[N_REF]
        c0 = st.counters[0]
        st.spk_t[c0 : c0 + cnt] = t
        st.spk_i[c0 : c0 + cnt] = spiking
        st.counters[0] += cnt
        st.pop_count[s] = cnt
        # 3. schedule Poisson events, then neuron spikes
        sources = np.concatenate([st.ev_src[st.ev_ptr[s] : st.ev_ptr[s + 1]], spiking])
        rows = st.src_rows[_ranges(st.src_ptr, sources)]
        slots = (t + st.row_delay[rows]) % depth
        for slot in np.unique(slots):  # at most the ring's depth
            new = rows[slots == slot]
            m = st.ring_n[slot]
            st.ring[slot, m : m + len(new)] = new
            st.ring_n[slot] += len(new)
        # 4. arrivals, in waves of distinct rows (a row can arrive twice in a step)
        slot = t % depth
        arrived = st.ring[slot, : st.ring_n[slot]].copy()
        st.ring_n[slot] = 0
        occ = _occurrence(arrived)
        for wave in range(int(occ.max(initial=-1)) + 1):
            rws = arrived[occ == wave]
            ks = _ranges(st.row_ptr, rws)
            owner = np.repeat(rws, st.row_ptr[rws + 1] - st.row_ptr[rws])
            g = st.row_group[owner]
            post = st.syn_post[ks]
            w = st.syn_w[ks]
            tgt = st.g_target[g]
            m0 = (tgt == 0) & (st.ref[post] == 0)
            np.add.at(st.v, post[m0], w[m0])
            np.add.at(st.ge, post[tgt == 1], w[tgt == 1])
            np.add.at(st.gi, post[tgt == 2], w[tgt == 2])
            code = st.g_rule[g]
            pl = code != 0
            rg = st.row_group[rws]
            lag = np.minimum(t - st.xlast[rws], n_tab - 1)
            x1r = st.xtr[rws, 0] * st.x_tab[rg, 0, lag]
            x2r = st.xtr[rws, 1] * st.x_tab[rg, 1, lag]
            if pl.any():
                kp, gp, pp = ks[pl], g[pl], post[pl]
                par = st.g_par[gp]
                x2 = np.repeat(x2r, st.row_ptr[rws + 1] - st.row_ptr[rws])[pl]
                dw = _pre_dw(code[pl], par, w[pl], st.ytr[gp, pp, 0], x2)
                st.syn_w[kp] = _clip(w[pl] + dw, par)
            rp = st.g_rule[rg] != 0
            st.xtr[rws[rp], 0] = x1r[rp] + 1.0
            tp = st.g_rule[rg] == 2  # the second trace serves the triplet rule only
            st.xtr[rws[tp], 1] = x2r[tp] + 1.0
            st.xlast[rws[rp]] = t
        # 5. postsynaptic half of the rules
        for g in st.plastic:  # a handful of plastic groups
            cols = spiking + g * n
            qs = _ranges(st.col_ptr, cols)
            if len(qs):
                post = np.repeat(spiking, st.col_ptr[cols + 1] - st.col_ptr[cols])
                k, r = st.col_syn[qs], st.col_row[qs]
                lag = np.minimum(t - st.xlast[r], n_tab - 1)
                x1 = st.xtr[r, 0] * st.x_tab[g, 0, lag]
                par = np.broadcast_to(st.g_par[g], (len(k), st.g_par.shape[1]))
                code = np.full(len(k), st.g_rule[g])
                dw = _post_dw(code, par, st.syn_w[k], x1, st.ytr[g, post, 1])
                st.syn_w[k] = _clip(st.syn_w[k] + dw, par)
            st.ytr[g, spiking, 0] += 1.0
            if st.g_rule[g] == 2:
                st.ytr[g, spiking, 1] += 1.0
        # 6. postsynaptic traces (the second only for the triplet rule)
        for g in st.plastic:
            st.ytr[g, :, 0] *= st.y_dec[g, 0]
            if st.g_rule[g] == 2:
                st.ytr[g, :, 1] *= st.y_dec[g, 1]
        if t % st.ip[EVERY] == 0 and st.s_out.shape[1] > 0:
            m = st.counters[1]
            st.s_out[m, :, 0] = st.v[st.s_idx]
            st.s_out[m, :, 1] = st.ge[st.s_idx]
            st.s_out[m, :, 2] = st.gi[st.s_idx]
            st.counters[1] += 1
    return st.n_steps
