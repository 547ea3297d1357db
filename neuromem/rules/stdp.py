"""Spike-timing-dependent plasticity as learning rules: pair, triplet and inhibitory.

The activities are spike trains: row ``t`` of ``pre`` and ``post`` holds the 0/1 spikes
of step ``t`` (steps of ``dt`` ms), and the rule's formula reads the traces it forms
from them, ``x_t = x_{t-1} exp(-dt / tau) + s_t``. With ``ms`` the matrix of sums
``sum_t a_t b_t^T`` that :meth:`Layout.outer` computes on dense and sparse synapses,
pair STDP is

``dw = A+ outer(post, x) + A- outer(y^-, pre)``

where ``x`` is the presynaptic trace including this step's spike and ``y^-`` the
postsynaptic trace just before this step's spike (a presynaptic spike meets the
postsynaptic trace of earlier spikes; a postsynaptic spike meets the presynaptic trace
including a simultaneous spike). These are the orders of the compiled loop of
:class:`neuromem.spiking.SpikingNetwork`, which applies the same arithmetic
event-driven, synapse by synapse; with bounds it clips after every event, the batch
formula once at the end, so the two agree exactly while no bound is reached.

References: Song, Miller & Abbott (2000); van Rossum, Bi & Turrigiano (2000) for the
weight-dependent form; Pfister & Gerstner (2006) for the triplet rule; Vogels et al.
(2011) for inhibitory plasticity.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..errors import ValidationError, described
from ..tags import RuleTags
from ..validation import check_bool, check_float
from .base import LearningRule

__all__ = ["InhibitorySTDP", "PairSTDP", "SpikeTimingRule", "TripletSTDP"]


def _trace(s: np.ndarray, tau: float, dt: float) -> np.ndarray:
    """``x_t = x_{t-1} exp(-dt / tau) + s_t`` down the rows (a causal filter)."""
    # scipy.signal (and scipy.stats with it) takes about a second to import: loaded
    # on first use, not by every process that imports the rules.
    from scipy.signal import lfilter

    a = np.exp(-dt / tau)
    return lfilter([1.0], [1.0, -a], s, axis=0)


def _before(s: np.ndarray, tau: float, dt: float) -> np.ndarray:
    """The trace at each step just before that step's spikes."""
    x = _trace(s, tau, dt)
    out = np.zeros_like(x)
    out[1:] = x[:-1] * np.exp(-dt / tau)
    return out


def _tau(value, name):
    return check_float(value, name, low=0.0, low_inclusive=False)


class SpikeTimingRule(LearningRule):
    """Base of the STDP rules: activities are 0/1 spike trains, rows are steps of ``dt``.

    Parameters
    ----------
    dt : float
        Time between consecutive rows (ms).
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`; in a spiking network ``decay``
        is the fraction lost per second of simulated time and ``bounds`` clip after every spike event.
    """

    theory: ClassVar[tuple[str, ...]] = ()

    def __init__(self, dt: float = 0.1, **shared):
        super().__init__(**shared)
        self.dt = _tau(dt, "dt")

    def _prepare(self, pre, post, signal, layout, dtype):
        pre, post, signal = super()._prepare(pre, post, signal, layout, dtype)
        for name, s in (("pre", pre), ("post", post)):
            # Rows are spike trains: a 0.5 or a 2 would silently scale the traces.
            if np.any((s != 0) & (s != 1)):
                raise ValidationError(
                    name, described("values other than 0 and 1"), "0/1 spike trains"
                )
        return pre, post, signal

    @classmethod
    def default_learning_rate(cls, n_pre: int) -> float:
        """The amplitudes are the rule's own parameters: no rescaling by ``n_pre``."""
        return 1.0

    def __neuromem_tags__(self) -> RuleTags:
        return RuleTags(
            encodings=("binary",),
            temporal=True,
            symmetric=False,
            incremental=True,
            theory=self.theory,
        )

    def spiking_spec(self) -> tuple[str, list[float], tuple[float, ...], bool]:
        """``(kind, amplitudes, (tau_x1, tau_x2, tau_y1, tau_y2), weight_dependent)``
        for the compiled loop, amplitudes already scaled by the learning rate."""
        raise NotImplementedError


class PairSTDP(SpikeTimingRule):
    """Pair-based STDP with nearest-neighbour-free (all-to-all) traces.

    One pair at ``dt_spike = t_post - t_pre`` changes the weight by
    ``a_plus exp(-dt_spike / tau_plus)`` if ``dt_spike >= 0`` and by
    ``a_minus exp(dt_spike / tau_minus)`` otherwise (``a_minus < 0`` depresses).

    Parameters
    ----------
    a_plus, a_minus : float
        Amplitudes (weight units).
    tau_plus, tau_minus : float
        Widths of the window (ms).
    weight_dependent : bool
        Scale potentiation by ``(high - w) / (high - low)`` and depression by
        ``(w - low) / (high - low)`` (van Rossum et al. 2000); needs ``bounds``.
    dt, learning_rate, decay, bounds, soft_bounds
        See :class:`SpikeTimingRule`.
    """

    name = "pair-stdp"
    theory = ("pair-stdp", "competitive-stdp")

    def __init__(
        self,
        a_plus: float = 0.01,
        a_minus: float = -0.0105,
        tau_plus: float = 20.0,
        tau_minus: float = 20.0,
        weight_dependent: bool = False,
        **shared,
    ):
        super().__init__(**shared)
        self.a_plus = check_float(a_plus, "a_plus")
        self.a_minus = check_float(a_minus, "a_minus")
        self.tau_plus = _tau(tau_plus, "tau_plus")
        self.tau_minus = _tau(tau_minus, "tau_minus")
        self.weight_dependent = check_bool(weight_dependent, "weight_dependent")
        if self.weight_dependent and self.bounds is None:
            raise ValidationError("weight_dependent", True, "False unless bounds are given")

    def compute(self, pre, post, w, layout, signal=None):
        x = _trace(pre, self.tau_plus, self.dt)
        y = _before(post, self.tau_minus, self.dt)
        pot = layout.outer(post, x)
        dep = layout.outer(y, pre)
        if self.weight_dependent:
            low, high = self.bounds
            pot = pot * ((high - w) / (high - low))
            dep = dep * ((w - low) / (high - low))
        return self.a_plus * pot + self.a_minus * dep

    def spiking_spec(self):
        lr = self.learning_rate
        taus = (self.tau_plus, self.tau_plus, self.tau_minus, self.tau_minus)
        return "pair", [lr * self.a_plus, lr * self.a_minus], taus, self.weight_dependent


class TripletSTDP(SpikeTimingRule):
    """The triplet rule of Pfister & Gerstner (2006), all-to-all interactions.

    Traces ``r1`` (``tau_plus``), ``r2`` (``tau_x``) of presynaptic and ``o1``
    (``tau_minus``), ``o2`` (``tau_y``) of postsynaptic spikes. A presynaptic spike
    changes ``w`` by ``-o1 (a2_minus + a3_minus r2^-)``, a postsynaptic spike by
    ``r1 (a2_plus + a3_plus o2^-)`` (``^-``: before the spike's own jump). Defaults:
    their visual-cortex all-to-all fit.
    """

    name = "triplet-stdp"
    theory = ("triplet-stdp",)

    def __init__(
        self,
        a2_plus: float = 5e-10,
        a3_plus: float = 6.2e-3,
        a2_minus: float = 7e-3,
        a3_minus: float = 2.3e-4,
        tau_plus: float = 16.8,
        tau_minus: float = 33.7,
        tau_x: float = 101.0,
        tau_y: float = 125.0,
        **shared,
    ):
        super().__init__(**shared)
        self.a2_plus = check_float(a2_plus, "a2_plus", low=0.0)
        self.a3_plus = check_float(a3_plus, "a3_plus", low=0.0)
        self.a2_minus = check_float(a2_minus, "a2_minus", low=0.0)
        self.a3_minus = check_float(a3_minus, "a3_minus", low=0.0)
        self.tau_plus = _tau(tau_plus, "tau_plus")
        self.tau_minus = _tau(tau_minus, "tau_minus")
        self.tau_x = _tau(tau_x, "tau_x")
        self.tau_y = _tau(tau_y, "tau_y")

    def compute(self, pre, post, w, layout, signal=None):
        dt = self.dt
        r1 = _trace(pre, self.tau_plus, dt)
        r2 = _before(pre, self.tau_x, dt)
        o1 = _before(post, self.tau_minus, dt)
        o2 = _before(post, self.tau_y, dt)
        pot = layout.outer(post * (self.a2_plus + self.a3_plus * o2), r1)
        dep = layout.outer(o1, pre * (self.a2_minus + self.a3_minus * r2))
        return pot - dep

    def spiking_spec(self):
        lr = self.learning_rate
        amps = [
            lr * self.a2_plus,
            lr * self.a3_plus,
            lr * self.a2_minus,
            lr * self.a3_minus,
        ]
        taus = (self.tau_plus, self.tau_x, self.tau_minus, self.tau_y)
        return "triplet", amps, taus, False


class InhibitorySTDP(SpikeTimingRule):
    """Inhibitory plasticity of Vogels et al. (2011), which holds a target rate.

    A symmetric window: a presynaptic spike changes ``w`` by ``eta (y - alpha)``, a
    postsynaptic spike by ``eta x``, with traces of time constant ``tau`` and
    ``alpha = 2 target_rate tau``. Weights are inhibitory magnitudes (``w >= 0`` on an
    ``"inh"`` channel): a neuron firing above target strengthens its inhibition.
    :meth:`SpikingNetwork.connect <neuromem.spiking.SpikingNetwork.connect>` accepts it
    on ``target="inh"`` only (current or conductance), where a stronger weight lowers
    the rate; on a conductance channel it also needs bounds with a lower bound >= 0.
    """

    name = "inhibitory-stdp"
    theory = ("inhibitory-plasticity",)

    def __init__(
        self, eta: float = 1e-3, target_rate: float = 5.0, tau: float = 20.0, **shared
    ):
        super().__init__(**shared)
        self.eta = check_float(eta, "eta", low=0.0)
        self.target_rate = check_float(target_rate, "target_rate", low=0.0)
        self.tau = _tau(tau, "tau")

    @property
    def alpha(self) -> float:
        """The depression offset ``2 target_rate tau`` (rate in spikes per ms)."""
        return 2.0 * self.target_rate / 1000.0 * self.tau

    def compute(self, pre, post, w, layout, signal=None):
        x = _trace(pre, self.tau, self.dt)
        y = _before(post, self.tau, self.dt)
        return self.eta * (layout.outer(y - self.alpha, pre) + layout.outer(post, x))

    def spiking_spec(self):
        taus = (self.tau,) * 4
        return "inhibitory", [self.learning_rate * self.eta, self.alpha], taus, False
