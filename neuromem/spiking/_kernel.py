"""The simulation loop of a spiking network: one compiled kernel and its numpy twin.

Both functions take the same arrays (built by :class:`~neuromem.spiking.SpikingNetwork`)
and advance the network by ``n_steps`` steps of ``dt``, in this order per step:

1. integrate every non-refractory membrane exactly over the step with the synaptic
   currents or conductances held constant (exponential Euler), then decay the channels;
2. threshold, reset, refractory period; the spikes are recorded;
3. this step's Poisson events and neuron spikes are put in the delay ring buffer, one
   entry per synapse row (a presynaptic source in one synapse group);
4. the rows arriving now are delivered (voltage jump, current or conductance) and their
   synapses updated by the presynaptic half of the group's STDP rule, event-driven: only
   the synapses of the rows that arrive are touched (CSR rows);
5. the synapses onto the neurons that spiked are updated by the postsynaptic half;
6. the postsynaptic traces decay by one step.

Presynaptic traces decay lazily (value and step of the last update, decay looked up in a
table), so a step costs nothing for the thousands of inputs that did not spike.

The numpy twin runs the same arithmetic in the same order with a Python loop over the
steps (vectorised over neurons and synapses within a step): it is the reference that the
tests compare the compiled loop with, and the fallback where numba is missing.
"""

from __future__ import annotations

import numpy as np

try:  # numba is a dependency; the fallback keeps a broken numba install usable.
    from numba import njit

    HAVE_NUMBA = True
    _inline = njit(cache=True)
    _compiled = njit(cache=True, nogil=True)
except ImportError:  # pragma: no cover - exercised only without numba
    HAVE_NUMBA = False

    def _inline(fn):
        return fn

    _compiled = _inline

__all__ = ["HAVE_NUMBA", "RULE_CODES", "run_numba"]

#: Rule codes of the kernel (0: static synapses).
RULE_CODES = {"pair": 1, "triplet": 2, "inhibitory": 3}
# Indices into the float parameter vector ``fp``.
V_REST, V_TH, V_RESET, DEC_M, TAU_M, DT, DEC_E, DEC_I, E_E, E_I = range(10)
# Indices into the int parameter vector ``ip``.
N_REF, COND_E, COND_I, RING, EVERY = range(5)


@_inline
def _pre_dw(code, par, w, y1, y2, x2):
    """Change of one synapse at a presynaptic arrival (before the traces jump)."""
    if code == 1:
        dw = par[1] * y1
        if par[6] != 0.0:
            dw = dw * ((w - par[4]) / (par[5] - par[4]))
    elif code == 2:
        dw = -(y1 * (par[2] + par[3] * x2))
    else:
        dw = par[0] * (y1 - par[1])
    return dw


@_inline
def _post_dw(code, par, w, x1, y2):
    """Change of one synapse at a postsynaptic spike (before the traces jump)."""
    if code == 1:
        dw = par[0] * x1
        if par[6] != 0.0:
            dw = dw * ((par[5] - w) / (par[5] - par[4]))
    elif code == 2:
        dw = x1 * (par[0] + par[1] * y2)
    else:
        dw = par[0] * x1
    return dw


@_inline
def _clip(w, par):
    if par[7] != 0.0:
        if w < par[4]:
            w = par[4]
        elif w > par[5]:
            w = par[5]
    return w


@_compiled
def run_numba(
    fp, ip, t0, n_steps, v, ge, gi, i_ext, ref,
    src_ptr, src_rows, row_delay, row_group, row_ptr, syn_post, syn_w,
    g_target, g_rule, g_par, x_tab, y_dec, xtr, xlast, ytr,
    col_ptr, col_syn, col_row, plastic, ring, ring_n, ev_ptr, ev_src,
    spk_t, spk_i, counters, pop_count, s_idx, s_out,
):  # fmt: skip
    n = v.shape[0]
    n_tab = x_tab.shape[2]
    ce = ip[COND_E] != 0
    ci = ip[COND_I] != 0
    depth = ip[RING]
    spiking = np.empty(n, np.int64)
    for s in range(n_steps):
        t = t0 + s
        if counters[0] + n > spk_t.shape[0]:
            return s
        # 1. membranes and channels
        for i in range(n):
            if ref[i] > 0:
                ref[i] -= 1
            else:
                a = ge[i] * fp[E_E] if ce else ge[i]
                b = gi[i] * fp[E_I] if ci else gi[i]
                num = fp[V_REST] + i_ext[i] + a + b
                if ce or ci:
                    big = 1.0 + (ge[i] if ce else 0.0) + (gi[i] if ci else 0.0)
                    vinf = num / big
                    f = np.exp(-fp[DT] * big / fp[TAU_M])
                else:
                    vinf = num
                    f = fp[DEC_M]
                v[i] = vinf + (v[i] - vinf) * f
            ge[i] *= fp[DEC_E]
            gi[i] *= fp[DEC_I]
        # 2. threshold and reset
        cnt = 0
        for i in range(n):
            if v[i] >= fp[V_TH]:
                v[i] = fp[V_RESET]
                ref[i] = ip[N_REF]
                spk_t[counters[0]] = t
                spk_i[counters[0]] = i
                counters[0] += 1
                spiking[cnt] = i
                cnt += 1
        pop_count[s] = cnt
        # 3. schedule Poisson events, then neuron spikes
        for e in range(ev_ptr[s], ev_ptr[s + 1]):
            src = ev_src[e]
            for q in range(src_ptr[src], src_ptr[src + 1]):
                r = src_rows[q]
                slot = (t + row_delay[r]) % depth
                ring[slot, ring_n[slot]] = r
                ring_n[slot] += 1
        for c in range(cnt):
            src = spiking[c]
            for q in range(src_ptr[src], src_ptr[src + 1]):
                r = src_rows[q]
                slot = (t + row_delay[r]) % depth
                ring[slot, ring_n[slot]] = r
                ring_n[slot] += 1
        # 4. arrivals
        slot = t % depth
        for j in range(ring_n[slot]):
            r = ring[slot, j]
            g = row_group[r]
            tgt = g_target[g]
            code = g_rule[g]
            x1 = 0.0
            x2 = 0.0
            if code != 0:
                lag = min(t - xlast[r], n_tab - 1)
                x1 = xtr[r, 0] * x_tab[g, 0, lag]
                x2 = xtr[r, 1] * x_tab[g, 1, lag]
            for k in range(row_ptr[r], row_ptr[r + 1]):
                i = syn_post[k]
                w = syn_w[k]
                if tgt == 0:
                    if ref[i] == 0:
                        v[i] += w
                elif tgt == 1:
                    ge[i] += w
                else:
                    gi[i] += w
                if code != 0:
                    dw = _pre_dw(code, g_par[g], w, ytr[g, i, 0], ytr[g, i, 1], x2)
                    syn_w[k] = _clip(w + dw, g_par[g])
            if code != 0:
                xtr[r, 0] = x1 + 1.0
                xtr[r, 1] = x2 + 1.0
                xlast[r] = t
        ring_n[slot] = 0
        # 5. postsynaptic half of the rules
        for c in range(cnt):
            i = spiking[c]
            for pg in range(plastic.shape[0]):
                g = plastic[pg]
                code = g_rule[g]
                y2 = ytr[g, i, 1]
                for q in range(col_ptr[g * n + i], col_ptr[g * n + i + 1]):
                    k = col_syn[q]
                    r = col_row[q]
                    lag = min(t - xlast[r], n_tab - 1)
                    x1 = xtr[r, 0] * x_tab[g, 0, lag]
                    dw = _post_dw(code, g_par[g], syn_w[k], x1, y2)
                    syn_w[k] = _clip(syn_w[k] + dw, g_par[g])
                ytr[g, i, 0] += 1.0
                ytr[g, i, 1] += 1.0
        # 6. postsynaptic traces
        for pg in range(plastic.shape[0]):
            g = plastic[pg]
            for i in range(n):
                ytr[g, i, 0] *= y_dec[g, 0]
                ytr[g, i, 1] *= y_dec[g, 1]
        if t % ip[EVERY] == 0 and s_out.shape[1] > 0:
            m = counters[1]
            for j in range(s_idx.shape[0]):
                s_out[m, j, 0] = v[s_idx[j]]
                s_out[m, j, 1] = ge[s_idx[j]]
                s_out[m, j, 2] = gi[s_idx[j]]
            counters[1] += 1
    return n_steps
