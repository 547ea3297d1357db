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

import inspect

import numpy as np

try:  # numba is a dependency; the fallback keeps a broken numba install usable.
    from numba import njit

    HAVE_NUMBA = True
    _compiled = njit(cache=True, nogil=True)
except ImportError:  # pragma: no cover - exercised only without numba
    HAVE_NUMBA = False

    def _compiled(fn):
        return fn


__all__ = ["HAVE_NUMBA", "LOOP_ARGS", "RULE_CODES", "run_numba"]

#: Rule codes of the kernel (0: static synapses).
RULE_CODES = {"pair": 1, "triplet": 2, "inhibitory": 3}
# Indices into the float parameter vector ``fp``.
V_REST, V_TH, V_RESET, DEC_M, TAU_M, DT, DEC_E, DEC_I, E_E, E_I = range(10)
# Indices into the int parameter vector ``ip``.
N_REF, COND_E, COND_I, RING, EVERY = range(5)


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
                # A current-based inhibitory channel hyperpolarises: it subtracts.
                b = gi[i] * fp[E_I] if ci else -gi[i]
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
        n_ev = ev_ptr[s + 1] - ev_ptr[s]
        for c in range(n_ev + cnt):
            src = ev_src[ev_ptr[s] + c] if c < n_ev else spiking[c - n_ev]
            for q in range(src_ptr[src], src_ptr[src + 1]):
                r = src_rows[q]
                slot = (t + row_delay[r]) % depth
                ring[slot, ring_n[slot]] = r
                ring_n[slot] += 1
        # 4. arrivals (a row's parameters read once; the rule's branch is per row)
        slot = t % depth
        for j in range(ring_n[slot]):
            r = ring[slot, j]
            g = row_group[r]
            tgt = g_target[g]
            code = g_rule[g]
            if code == 0:
                for k in range(row_ptr[r], row_ptr[r + 1]):
                    i = syn_post[k]
                    if tgt == 0:
                        if ref[i] == 0:
                            v[i] += syn_w[k]
                    elif tgt == 1:
                        ge[i] += syn_w[k]
                    else:
                        gi[i] += syn_w[k]
                continue
            p0, p1, p2, p3 = g_par[g, 0], g_par[g, 1], g_par[g, 2], g_par[g, 3]
            lo, hi, dep, clip = g_par[g, 4], g_par[g, 5], g_par[g, 6] != 0, g_par[g, 7] != 0
            lag = min(t - xlast[r], n_tab - 1)
            x1 = xtr[r, 0] * x_tab[g, 0, lag]
            x2 = xtr[r, 1] * x_tab[g, 1, lag] if code == 2 else 0.0
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
                y1 = ytr[g, i, 0]
                if code == 1:
                    dw = p1 * y1
                    if dep:
                        dw = dw * ((w - lo) / (hi - lo))
                elif code == 2:
                    dw = -(y1 * (p2 + p3 * x2))
                else:
                    dw = p0 * (y1 - p1)
                w = w + dw
                if clip:
                    w = min(max(w, lo), hi)
                syn_w[k] = w
            xtr[r, 0] = x1 + 1.0
            if code == 2:
                xtr[r, 1] = x2 + 1.0
            xlast[r] = t
        ring_n[slot] = 0
        # 5. postsynaptic half of the rules
        for pg in range(plastic.shape[0]):
            g = plastic[pg]
            code = g_rule[g]
            p0, p1 = g_par[g, 0], g_par[g, 1]
            lo, hi, dep, clip = g_par[g, 4], g_par[g, 5], g_par[g, 6] != 0, g_par[g, 7] != 0
            for c in range(cnt):
                i = spiking[c]
                y2 = ytr[g, i, 1]
                for q in range(col_ptr[g * n + i], col_ptr[g * n + i + 1]):
                    k = col_syn[q]
                    r = col_row[q]
                    lag = min(t - xlast[r], n_tab - 1)
                    x1 = xtr[r, 0] * x_tab[g, 0, lag]
                    w = syn_w[k]
                    if code == 1:
                        dw = p0 * x1
                        if dep:
                            dw = dw * ((hi - w) / (hi - lo))
                    elif code == 2:
                        dw = x1 * (p0 + p1 * y2)
                    else:
                        dw = p0 * x1
                    w = w + dw
                    if clip:
                        w = min(max(w, lo), hi)
                    syn_w[k] = w
                ytr[g, i, 0] += 1.0
                if code == 2:
                    ytr[g, i, 1] += 1.0
        # 6. postsynaptic traces (the second only for the triplet rule)
        for pg in range(plastic.shape[0]):
            g = plastic[pg]
            d0 = y_dec[g, 0]
            for i in range(n):
                ytr[g, i, 0] *= d0
            if g_rule[g] == 2:
                d1 = y_dec[g, 1]
                for i in range(n):
                    ytr[g, i, 1] *= d1
        if t % ip[EVERY] == 0 and s_out.shape[1] > 0:
            m = counters[1]
            for j in range(s_idx.shape[0]):
                s_out[m, j, 0] = v[s_idx[j]]
                s_out[m, j, 1] = ge[s_idx[j]]
                s_out[m, j, 2] = gi[s_idx[j]]
            counters[1] += 1
    return n_steps


#: The loop's arguments, in order: the numpy twin takes the same ones.
LOOP_ARGS = tuple(inspect.signature(getattr(run_numba, "py_func", run_numba)).parameters)
