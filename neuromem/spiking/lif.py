"""The leaky integrate-and-fire neuron as a :class:`~neuromem.neurons.Neuron` law.

Between spikes the membrane follows ``tau_m dV/dt = -(V - V_rest) + R I`` (plus the
synaptic terms of :class:`~neuromem.spiking.SpikingNetwork`); at ``V >= threshold`` the
neuron spikes, ``V`` is reset to ``v_reset`` and held there for ``t_ref``. As a law,
``lif(z)`` is the stationary firing rate (Hz) under a constant input ``z = R I`` (mV):

``rate = 1 / (t_ref + tau_m ln((z - v_reset') / (z - theta')))`` for ``z > theta'``,
0 otherwise, with ``theta' = threshold - v_rest`` and ``v_reset' = v_reset - v_rest``
(voltages measured from rest). Times are in ms, voltages in mV.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import ValidationError, described
from ..neurons import Neuron
from ..validation import as_real_array, check_float

__all__ = ["LIF"]


@dataclass(frozen=True)
class LIF(Neuron):
    """Leaky integrate-and-fire neuron (parameters of the issue's anchor network).

    Parameters
    ----------
    tau_m : float
        Membrane time constant (ms).
    v_rest, threshold, v_reset : float
        Resting potential, threshold and reset (mV); ``v_reset < threshold``.
    t_ref : float
        Refractory period (ms), during which ``V`` is held at ``v_reset``.
    """

    name: ClassVar[str] = "lif"
    output: ClassVar[str] = "real"
    tau_m: float = 20.0
    v_rest: float = -70.0
    threshold: float = -50.0
    v_reset: float = -60.0
    t_ref: float = 5.0

    def __post_init__(self):
        check_float(self.tau_m, "tau_m", low=0.0, low_inclusive=False)
        check_float(self.t_ref, "t_ref", low=0.0)
        for name in ("v_rest", "threshold", "v_reset"):
            check_float(getattr(self, name), name)
        if not self.v_reset < self.threshold:
            raise ValidationError(
                "v_reset", self.v_reset, f"below threshold {self.threshold}"
            )

    @property
    def rheobase(self) -> float:
        """The constant input ``R I`` (mV) below which the neuron never fires."""
        return self.threshold - self.v_rest

    def _period(self, z):
        """Which inputs are above rheobase, those inputs (a stand-in elsewhere, so
        that nothing divides by zero) and the interspike interval (ms) there."""
        z = _inputs(z)
        theta = self.rheobase
        above = z > theta
        safe = np.where(above, z, theta + 1.0)
        reset = self.v_reset - self.v_rest
        period = self.t_ref + self.tau_m * np.log1p((theta - reset) / (safe - theta))
        return above, safe, period

    def __call__(self, z):
        """Stationary rate (Hz) under the constant input ``z = R I`` (mV), element-wise."""
        above, _, period = self._period(z)
        return np.where(above, 1000.0 / period, 0.0)

    def derivative(self, z):
        """d rate / dz (Hz/mV), 0 below rheobase (and undefined at it: taken as 0)."""
        above, safe, period = self._period(z)
        reset, theta = self.v_reset - self.v_rest, self.rheobase
        dperiod = self.tau_m * (1.0 / (safe - reset) - 1.0 / (safe - theta))
        return np.where(above, -1000.0 * dperiod / period**2, 0.0)


def _inputs(z) -> np.ndarray:
    """The inputs ``z`` as floats; NaN refused (``inf`` has a limit: rate 1 / t_ref)."""
    arr = as_real_array(z, "z", "real inputs R I (mV)")
    arr = np.asarray(arr, dtype=float)
    if np.any(np.isnan(arr)):
        raise ValidationError("z", described("NaN"), "real inputs R I (mV), not NaN")
    return arr
