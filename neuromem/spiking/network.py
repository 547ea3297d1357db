"""A population of LIF neurons with Poisson sources, delayed synapses and STDP.

>>> import numpy as np, scipy.sparse as sp
>>> from neuromem.spiking import SpikingNetwork
>>> net = SpikingNetwork(1, dt=0.1, seed=0)
>>> net.i_ext[:] = 25.0                      # constant input R I = 25 mV
>>> rec = net.run(1000.0)
>>> float(round(1000.0 / np.diff(rec.times).mean(), 1))  # analytic: 37.08 Hz
37.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ValidationError, described
from ..memory import check_memory
from ..random import SeedLike, as_generator, check_seed
from ..rules.base import LearningRule
from ..validation import as_real_array, check_choice, check_float, check_int
from . import _kernel
from ._checks import (
    check_bounds,
    check_diverged,
    check_sample,
    check_sign,
    check_state,
    rule_spec,
)
from ._kernel import HAVE_NUMBA
from ._numpy import run_numpy
from .lif import LIF
from .persist import network_params, network_state, restore_state
from .recording import Recording

__all__ = ["SpikingNetwork", "SynapseGroup"]

TARGETS = {"v": 0, "exc": 1, "inh": 2}
CHANNELS = ("current", "conductance")
BACKENDS = ("auto", "numba", "numpy")
# What the loop holds for its synapses, their traces and the delay ring.
_HELD = ("syn_w", "syn_post", "col_syn", "col_row", "row_ptr", "col_ptr", "src_rows",
         "row_delay", "row_group", "xtr", "xlast", "ytr", "ring", "ring_n")  # fmt: skip
_CHUNK = 20_000  # steps per call of the loop: bounds the Poisson events held at once


@dataclass
class SynapseGroup:
    """One set of synapses from a source (``"neurons"`` or a Poisson group) onto the
    population. ``weights`` is the CSR structure ``(n_neurons, n_pre)`` it was built
    from; the current values are read with :meth:`SpikingNetwork.weights`."""

    pre: str
    weights: sp.csr_array
    target: str
    delay: float
    rule: LearningRule | None


class SpikingNetwork:
    """A population of LIF neurons simulated in steps of ``dt`` (event-driven synapses).

    Parameters
    ----------
    n : int
        Number of neurons.
    neuron : LIF
        The neuron law (all neurons share it).
    dt : float
        Step (ms).
    tau_e, tau_i : float
        Decay (ms) of the excitatory and inhibitory synaptic channels.
    exc, inh : {"current", "conductance"}
        How each channel acts: a current (mV, added to ``R I``) or a conductance in
        units of the leak conductance, driving ``V`` towards ``e_exc`` / ``e_inh``.
    e_exc, e_inh : float
        Reversal potentials (mV) of conductance channels.
    seed : int, Generator or None
        Seeds the Poisson sources.
    backend : {"auto", "numba", "numpy"}
        The compiled loop (numba), or the numpy reference; ``"auto"``: numba when
        importable.

    Attributes
    ----------
    v : ndarray
        Membrane potentials (mV), initially at rest.
    i_ext : ndarray
        Constant external input ``R I`` (mV) of each neuron; may be changed between runs.
    groups : list of SynapseGroup
        The synapse groups, in the order they were connected.
    """

    def __init__(
        self,
        n: int,
        neuron: LIF | None = None,
        dt: float = 0.1,
        tau_e: float = 5.0,
        tau_i: float = 10.0,
        exc: str = "current",
        inh: str = "current",
        e_exc: float = 0.0,
        e_inh: float = -80.0,
        seed: SeedLike = None,
        backend: str = "auto",
    ):
        self.n = check_int(n, "n", low=1)
        self.neuron = LIF() if neuron is None else neuron
        if not isinstance(self.neuron, LIF):
            raise ValidationError("neuron", neuron, "a neuromem.spiking.LIF")
        # Four float and one int arrays of n, and more as soon as anything connects.
        check_memory(40.0 * self.n, "n", n, "the neurons' state")
        self.dt = check_float(dt, "dt", low=0.0, low_inclusive=False)
        t_ref = self.neuron.t_ref
        if t_ref > 0 and abs(round(t_ref / self.dt) * self.dt - t_ref) > 0.01 * t_ref:
            # The loop holds a neuron for whole steps: a coarser rounding would change
            # the rate law (dt = 10 would make t_ref = 5 ms no refractory period at all).
            raise ValidationError(
                "dt",
                dt,
                f"a step that makes the refractory period t_ref = {t_ref} ms whole "
                "steps (within 1 %)",
            )
        self.tau_e = check_float(tau_e, "tau_e", low=0.0, low_inclusive=False)
        self.tau_i = check_float(tau_i, "tau_i", low=0.0, low_inclusive=False)
        self.exc = check_choice(exc, "exc", CHANNELS)
        self.inh = check_choice(inh, "inh", CHANNELS)
        self.e_exc = check_float(e_exc, "e_exc")
        self.e_inh = check_float(e_inh, "e_inh")
        self.seed = check_seed(seed)
        backend = check_choice(backend, "backend", BACKENDS)
        if backend == "numba" and not HAVE_NUMBA:
            raise ValidationError("backend", backend, "'numpy' or 'auto': numba is missing")
        auto = "numba" if HAVE_NUMBA else "numpy"
        self.backend = auto if backend == "auto" else backend
        self._poisson_rng = as_generator(seed)
        self.v = np.full(self.n, self.neuron.v_rest)
        self.ge = np.zeros(self.n)
        self.gi = np.zeros(self.n)
        self.i_ext = np.zeros(self.n)
        self._ref = np.zeros(self.n, dtype=np.int64)
        self.step = 0
        self.poisson: dict[str, np.ndarray] = {}
        self.groups: list[SynapseGroup] = []
        self._built: dict[str, Any] | None = None

    # -- building ---------------------------------------------------------------------
    def add_poisson(self, name: str, rates) -> str:
        """Add a group of independent Poisson sources (rates in Hz, one per source).

        The spikes are drawn as events (see :meth:`_events`), not as one random number
        per source per step. Change the rates between runs
        with :meth:`set_rates`.
        """
        if not isinstance(name, str) or name == "neurons" or name in self.poisson:
            raise ValidationError("name", name, "a new name other than 'neurons'")
        self.poisson[name] = self._rates(rates, None)
        self._rebuild()
        return name

    def _rates(self, rates, size) -> np.ndarray:
        r = as_real_array(rates, "rates").astype(float)
        if r.ndim > 1:  # a matrix would be flattened silently
            raise ValidationError("rates", described(f"shape {r.shape}"), "a 1-D array")
        r = r.reshape(-1)
        if size is not None and len(r) == 1:
            r = np.full(size, r[0])
        want = "at least one rate" if size is None else f"{size} rates (or one)"
        if (size is not None and len(r) != size) or len(r) == 0:
            raise ValidationError("rates", described(f"{len(r)} rates"), want)
        if not np.all(np.isfinite(r)) or np.any(r < 0):
            raise ValidationError(
                "rates", described("negative or non-finite rates"), ">= 0"
            )
        return r

    def set_rates(self, name: str, rates) -> None:
        """Set the rates (Hz) of a Poisson group (a scalar sets them all)."""
        if name not in self.poisson:
            raise ValidationError("name", name, f"one of {sorted(self.poisson)}")
        self.poisson[name] = self._rates(rates, len(self.poisson[name]))

    def connect(
        self,
        pre: str,
        weights,
        target: str = "v",
        delay: float = 0.0,
        rule: LearningRule | None = None,
    ) -> int:
        """Add synapses from ``pre`` onto the population; returns the group's index.

        Parameters
        ----------
        pre : str
            ``"neurons"`` (recurrent) or the name of a Poisson group.
        weights : ndarray or scipy.sparse matrix, shape (n, n_pre)
            Initial weights; a sparse matrix's stored entries are the synapses (a stored
            zero is a synapse of weight 0), a dense array's nonzero entries (its zeros,
            a zero diagonal included, are no synapse: pass a sparse structure for
            synapses that start at 0).
        target : {"v", "exc", "inh"}
            A voltage jump (mV), or an increment of the excitatory or inhibitory channel.
        delay : float
            Transmission delay (ms), rounded to whole steps.
        rule : LearningRule, optional
            A spike-timing rule (``pair-stdp``, ``triplet-stdp``, ``inhibitory-stdp``)
            that makes the synapses plastic.
        """
        n_pre = self.n if pre == "neurons" else len(self.poisson.get(pre, ()))
        if pre != "neurons" and pre not in self.poisson:
            raise ValidationError("pre", pre, f"'neurons' or one of {sorted(self.poisson)}")
        target = check_choice(target, "target", tuple(TARGETS))
        delay = check_float(delay, "delay", low=0.0)
        w = sp.csr_array(weights) if sp.issparse(weights) else None
        if w is None:
            dense = as_real_array(weights, "weights").astype(float)
            if dense.ndim != 2:
                raise ValidationError("weights", described(f"shape {dense.shape}"), "2-D")
            # A dense array's zeros are no synapse (as in its sparse twin): they would
            # otherwise be plastic synapses, self-connections included.
            w = sp.csr_array(dense)
        w = w.astype(float)
        w.sort_indices()
        if w.shape != (self.n, n_pre):
            raise ValidationError(
                "weights", described(f"shape {w.shape}"), f"shape ({self.n}, {n_pre})"
            )
        if not np.all(np.isfinite(w.data)):
            raise ValidationError("weights", described("NaN or inf"), "finite weights")
        if rule is not None:
            rule_spec(rule)
            if abs(rule.dt - self.dt) > 1e-9 * self.dt:
                # The loop steps by the network's dt; rule.delta by the rule's.
                raise ValidationError(
                    "rule", described(f"rule dt {rule.dt}"), f"dt {self.dt}"
                )
            if getattr(rule, "name", "") == "inhibitory-stdp" and target != "inh":
                # Vogels' rule strengthens synapses onto neurons above the target rate:
                # only on an inhibitory channel does that lower the rate.
                raise ValidationError("target", target, "'inh' for inhibitory-stdp")
        check_sign(self, target, w.data, rule)
        check_bounds(w.data, rule)
        steps = round(delay / self.dt) + 1
        check_memory(16.0 * steps * (w.nnz + self.n + 1), "delay", delay, "the delay line")
        self._rebuild()
        self.groups.append(SynapseGroup(pre, w, target, delay, rule))
        return len(self.groups) - 1

    def _rebuild(self) -> None:
        """Drop the loop's arrays after a change of structure, keeping the weights.

        The groups' structures take the current (learned or set) weights, so that
        the next build starts from them; traces and spikes in transit restart at 0.
        """
        if self._built is not None:
            for g, grp in enumerate(self.groups):
                grp.weights = self.weights(g)
        self._built = None

    def _source_offset(self, pre: str) -> int:
        if pre == "neurons":
            return 0
        offset = self.n
        for name, rates in self.poisson.items():
            if name == pre:
                return offset
            offset += len(rates)
        raise AssertionError(pre)

    def build(self) -> None:
        """Flatten the groups into the arrays of the loop (done by :meth:`run`)."""
        if self._built is not None:
            return
        n, dt = self.n, self.dt
        n_src = self.n + sum(len(r) for r in self.poisson.values())
        g_n = len(self.groups)
        row_group, row_src, row_len, syn_post, syn_w = [], [], [], [], []
        g_target = np.zeros(g_n, dtype=np.int64)
        g_rule = np.zeros(g_n, dtype=np.int64)
        g_par = np.zeros((max(g_n, 1), 8))
        taus = np.ones((max(g_n, 1), 4))
        delays = np.zeros(g_n, dtype=np.int64)
        for g, grp in enumerate(self.groups):
            by_pre = grp.weights.T.tocsr()  # rows = presynaptic sources
            by_pre.sort_indices()
            n_pre = by_pre.shape[0]
            row_group.append(np.full(n_pre, g))
            row_src.append(self._source_offset(grp.pre) + np.arange(n_pre))
            row_len.append(np.diff(by_pre.indptr))
            syn_post.append(by_pre.indices.astype(np.int64))
            syn_w.append(by_pre.data.astype(float))
            g_target[g] = TARGETS[grp.target]
            delays[g] = round(grp.delay / dt)
            if grp.rule is not None:
                g_rule[g], g_par[g], taus[g] = rule_spec(grp.rule)
        cat = np.concatenate
        row_group = cat(row_group) if g_n else np.zeros(0, np.int64)
        row_src = cat(row_src) if g_n else np.zeros(0, np.int64)
        row_len = cat(row_len) if g_n else np.zeros(0, np.int64)
        row_ptr = np.r_[0, np.cumsum(row_len)].astype(np.int64)
        syn_post = cat(syn_post) if g_n else np.zeros(0, np.int64)
        syn_w = cat(syn_w) if g_n else np.zeros(0)
        if len(syn_w) >= 2**31 or len(row_len) >= 2**31:
            raise ValidationError(
                "weights", described(f"{len(syn_w)} synapses"), "fewer than 2**31 synapses"
            )
        src_rows = np.argsort(row_src, kind="stable").astype(np.int64)
        src_ptr = np.r_[0, np.cumsum(np.bincount(row_src, minlength=n_src))].astype(
            np.int64
        )
        syn_row = np.repeat(np.arange(len(row_len)), row_len)
        key = row_group[syn_row] * n + syn_post
        plastic_syn = g_rule[row_group[syn_row]] != 0 if g_n else np.zeros(0, bool)
        col_syn = np.flatnonzero(plastic_syn)
        col_syn = col_syn[np.argsort(key[col_syn], kind="stable")]
        col_ptr = np.r_[0, np.cumsum(np.bincount(key[col_syn], minlength=max(g_n, 1) * n))]
        longest = max(float(taus[g_rule != 0].max(initial=1.0)), 1.0)
        n_tab = int(min(np.ceil(40.0 * longest / dt), 2**20)) + 2
        lags = np.arange(n_tab) * dt
        x_tab = np.exp(-lags[None, None, :] / taus[:, :2, None])
        x_tab[:, :, -1] = 0.0  # beyond 40 time constants the trace is taken as 0
        n_rows = len(row_len)
        self._built = {
            "src_ptr": src_ptr,
            "src_rows": src_rows,
            "row_delay": delays[row_group] if g_n else np.zeros(0, np.int64),
            "row_group": row_group.astype(np.int64),
            "row_ptr": row_ptr,
            # 32-bit synapse indices: less memory per synapse and less to stream.
            "syn_post": syn_post.astype(np.int32),
            "syn_w": syn_w,
            "g_target": g_target,
            "g_rule": g_rule,
            "g_par": g_par,
            "x_tab": x_tab,
            "y_dec": np.exp(-dt / taus[:, 2:]),
            "xtr": np.zeros((n_rows, 2)),
            "xlast": np.zeros(n_rows, dtype=np.int64),
            "ytr": np.zeros((max(g_n, 1), n, 2)),
            "col_ptr": col_ptr.astype(np.int64),
            "col_syn": col_syn.astype(np.int32),
            "col_row": syn_row[col_syn].astype(np.int32),
            "plastic": np.flatnonzero(g_rule).astype(np.int64),
            "depth": int(delays.max(initial=0)) + 1,
            "src_rows_max": int(np.diff(src_ptr).max(initial=0)),
            "neuron_rows": int(np.diff(src_ptr)[:n].sum()),
            "group_of_syn": row_group[syn_row],
            "ring": np.zeros((int(delays.max(initial=0)) + 1, 0), dtype=np.int64),
            "ring_n": np.zeros(int(delays.max(initial=0)) + 1, dtype=np.int64),
        }
        # Group g's synapses, in the order of its CSR (n, n_pre) structure.
        self._order = []
        for g, grp in enumerate(self.groups):
            idx = np.flatnonzero(self._built["group_of_syn"] == g)
            by_pre = grp.weights.T.tocsr()
            by_pre.sort_indices()
            coo = sp.coo_array(by_pre)
            back = np.lexsort((coo.row, coo.col))  # post-major (CSR of weights) order
            self._order.append(idx[back])

    # -- state ------------------------------------------------------------------------
    def _group(self, group: Any) -> int:
        if not self.groups:
            raise ValidationError("group", group, "a group index once connect() has run")
        return check_int(group, "group", low=0, high=len(self.groups) - 1)

    def weights(self, group: int = 0) -> sp.csr_array:
        """Current weights of a synapse group as a CSR matrix ``(n, n_pre)``."""
        group = self._group(group)
        self.build()
        w = self.groups[group].weights.copy()
        w.data = self._built["syn_w"][self._order[group]].copy()
        return w

    def set_weights(self, group: int, weights) -> None:
        """Overwrite the values of a group's synapses (same structure)."""
        group = self._group(group)
        self.build()
        old = self.groups[group].weights
        if sp.issparse(weights):
            weights = sp.csr_array(weights).toarray()
        dense = as_real_array(weights, "weights").astype(float)
        if dense.shape != old.shape or not np.all(np.isfinite(dense)):
            raise ValidationError(
                "weights", described(f"shape {dense.shape}"), f"finite, shape {old.shape}"
            )
        values = dense[_entries(old)]
        check_sign(self, self.groups[group].target, values, None)
        check_bounds(values, self.groups[group].rule)
        self._built["syn_w"][self._order[group]] = values

    def reset_state(self, seed: SeedLike = None) -> None:
        """Membranes to rest, channels, traces and delay lines to zero (weights kept).

        With ``seed``, a new trial: the Poisson sources restart from that seed and the
        clock from 0, so the trial's spikes depend on nothing run before it.
        """
        if seed is not None:
            self._poisson_rng = as_generator(check_seed(seed))
            self.step = 0
        self.v[:] = self.neuron.v_rest
        self.ge[:] = 0.0
        self.gi[:] = 0.0
        self._ref[:] = 0
        if self._built is not None:
            for k in ("xtr", "ytr", "ring_n"):
                self._built[k][...] = 0
            self._built["xlast"][:] = self.step

    # -- running ----------------------------------------------------------------------
    def _events(self, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Poisson events of the next ``n_steps`` steps: CSR by step of source indices.

        A group's sources together are one Poisson process of the summed rate (their
        superposition): a Poisson number of events per step, each given to a source
        with probability proportional to its rate. Exact, and it costs per event, not
        per source per step.
        """
        counts, srcs = [], []
        offset = self.n
        for rates in self.poisson.values():
            total_rate = float(rates.sum())
            per_step = self._poisson_rng.poisson(
                total_rate * self.dt / 1000.0, size=n_steps
            )
            total = int(per_step.sum())
            if np.all(rates == rates[0]):
                who = self._poisson_rng.integers(0, len(rates), size=total)
            else:
                u = self._poisson_rng.random(total) * total_rate
                who = np.minimum(
                    np.searchsorted(np.cumsum(rates), u, side="right"), len(rates) - 1
                )
            counts.append(per_step)
            srcs.append(who + offset)
            offset += len(rates)
        if not srcs:
            return np.zeros(n_steps + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
        ptr = np.r_[0, np.cumsum(np.sum(counts, axis=0))].astype(np.int64)
        src = np.concatenate(srcs)
        if len(srcs) > 1:  # interleave the groups' events step by step
            steps = np.concatenate([np.repeat(np.arange(n_steps), c) for c in counts])
            src = src[np.argsort(steps, kind="stable")]
        return ptr, src.astype(np.int64)

    def run(self, duration: float, sample: Any = None, every: int = 10) -> Recording:
        """Simulate ``duration`` ms; returns what was recorded.

        Parameters
        ----------
        duration : float
            Simulated time (ms), rounded to whole steps.
        sample : array of int, optional
            Neurons whose ``v``, ``ge`` and ``gi`` are sampled every ``every`` steps.
        every : int
            Sampling interval in steps.

        Notes
        -----
        Poisson events are drawn per call, in 20,000-step chunks from its start: same
        seed and calls, same spikes; ``run(50); run(50)`` redraws ``run(100)``.
        """
        duration = check_float(duration, "duration", low=0.0)
        total = round(duration / self.dt)
        if total < 1:
            raise ValidationError(
                "duration", duration, f"at least one step (dt = {self.dt} ms)"
            )
        every = check_int(every, "every", low=1)
        idx = check_sample(sample, self.n)
        check_state(self)
        if self.poisson:
            # The Poisson events of one chunk are held at once (source and step each).
            events = sum(float(r.sum()) for r in self.poisson.values())
            events *= self.dt / 1000.0 * min(total, _CHUNK)
            check_memory(
                24.0 * events, "rates", described(f"{events:.3g} events per chunk")
            )
        self.build()
        b, nrn = self._built, self.neuron
        fp = np.array(
            [
                nrn.v_rest, nrn.threshold, nrn.v_reset, np.exp(-self.dt / nrn.tau_m),
                nrn.tau_m, self.dt, np.exp(-self.dt / self.tau_e),
                np.exp(-self.dt / self.tau_i), self.e_exc, self.e_inh,
            ]
        )  # fmt: skip
        ip = np.array(
            [
                round(nrn.t_ref / self.dt), self.exc == "conductance",
                self.inh == "conductance", b["depth"], every,
            ],
            dtype=np.int64,
        )  # fmt: skip
        loop = _kernel.run_numba if self.backend == "numba" else run_numpy
        t_start = self.step
        times, indices, stimes, souts = [], [], [], []
        done = 0
        while done < total:
            n_chunk = min(_CHUNK, total - done)
            ev_ptr, ev_src = self._events(n_chunk)
            busiest = int(np.diff(ev_ptr).max(initial=0))
            cap = b["neuron_rows"] + busiest * b["src_rows_max"] * b["depth"] + 1
            if b["ring"].shape[1] < cap:
                ring = np.zeros((b["depth"], 2 * cap), dtype=np.int64)
                ring[:, : b["ring"].shape[1]] = b["ring"]
                b["ring"] = ring
            pop = np.zeros(n_chunk, dtype=np.int32)  # scratch of one chunk: not recorded
            t0 = self.step
            n_samp = len(range(-t0 % every, n_chunk, every)) if len(idx) else 0
            s_out = np.zeros((n_samp, len(idx), 3))
            counters = np.zeros(2, dtype=np.int64)
            cap_s = self.n + max(1024, int(self.n * n_chunk * self.dt / 1000.0 * 40))
            start = 0
            while start < n_chunk:
                spk_t = np.zeros(cap_s, dtype=np.int64)
                spk_i = np.zeros(cap_s, dtype=np.int64)
                counters[0] = 0
                got = loop(
                    fp, ip, t0 + start, n_chunk - start, self.v, self.ge, self.gi,
                    self.i_ext.astype(float), self._ref, b["src_ptr"], b["src_rows"],
                    b["row_delay"], b["row_group"], b["row_ptr"], b["syn_post"],
                    b["syn_w"], b["g_target"], b["g_rule"], b["g_par"], b["x_tab"],
                    b["y_dec"], b["xtr"], b["xlast"], b["ytr"], b["col_ptr"],
                    b["col_syn"], b["col_row"], b["plastic"], b["ring"], b["ring_n"],
                    ev_ptr[start:], ev_src, spk_t, spk_i, counters, pop[start:], idx,
                    s_out,
                )  # fmt: skip
                times.append(spk_t[: counters[0]])
                indices.append(spk_i[: counters[0]])
                start += int(got)
                cap_s *= 2
            self.step += n_chunk
            done += n_chunk
            stimes.append(np.arange(-t0 % every, n_chunk, every)[:n_samp] + t0)
            souts.append(s_out)
        self._decay(total * self.dt / 1000.0)
        check_diverged(self)
        dt = self.dt
        cat = np.concatenate
        s_all = cat(souts) if souts else np.zeros((0, len(idx), 3))
        return Recording(
            times=cat(times) * dt if times else np.zeros(0),
            indices=cat(indices) if indices else np.zeros(0, np.int64),
            n_neurons=self.n,
            dt=dt,
            t_start=t_start * dt,
            t_stop=self.step * dt,
            sample_times=(cat(stimes) * dt) if stimes else np.zeros(0),
            samples={"v": s_all[:, :, 0], "ge": s_all[:, :, 1], "gi": s_all[:, :, 2]},
            sampled=idx,
        )

    # -- files (neuromem.save / neuromem.load) ------------------------------------------
    #: What ``neuromem.save`` records this object as (see :mod:`neuromem.io`).
    file_kind = "spiking-network"

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments (what a file records besides the state)."""
        return network_params(self)

    def _get_state(self) -> dict[str, Any]:
        return network_state(self)

    def _set_state(self, state: dict[str, Any]) -> None:
        restore_state(self, state)

    def _decay(self, seconds: float) -> None:
        """Each rule's ``decay`` as a fraction lost per second of simulated time.

        ``w <- (1 - decay) ** seconds w``, clipped into the rule's ``bounds`` as the
        shared base does: the result does not depend on how a run is split.
        """
        for g, grp in enumerate(self.groups):
            rule = grp.rule
            if rule is not None and rule.decay:
                at, (low, high) = self._order[g], rule.bounds or (-np.inf, np.inf)
                w = self._built["syn_w"][at] * (1.0 - rule.decay) ** seconds
                self._built["syn_w"][at] = np.clip(w, low, high)

    def memory_per_synapse(self) -> float:
        """Bytes the loop holds per plastic synapse: every synapse's arrays (static
        inputs included), the rows' and neurons' traces and the delay ring, divided by
        the plastic synapses (by all synapses when none is plastic)."""
        self.build()
        b = self._built
        held = sum(b[k].nbytes for k in _HELD)
        return held / max(len(b["col_syn"]) or len(b["syn_w"]), 1)


def _entries(csr: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each stored entry, in CSR order."""
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    return rows, csr.indices
