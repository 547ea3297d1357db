"""What a spiking run records: spikes as (time, index) pairs and state variables
sampled every ``k`` steps. Nothing is kept per step (population counts are derived from
the spikes), so a long run records in memory proportional to its spikes and samples."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ValidationError
from ..validation import check_float

__all__ = ["Recording"]


@dataclass
class Recording:
    """The record of one :meth:`SpikingNetwork.run` call.

    Attributes
    ----------
    times : ndarray of float, shape (S,)
        Spike times (ms, from the network's start), in order.
    indices : ndarray of int, shape (S,)
        Index of the neuron of each spike.
    n_neurons : int
        Size of the population.
    dt : float
        Step (ms).
    t_start, t_stop : float
        The simulated interval (ms).
    pop_count : ndarray of int, shape (T,)
        Spikes of the whole population at each step (computed from the spikes when
        read, not stored).
    sample_times : ndarray, shape (M,)
        Times (ms) at which the sampled variables were read.
    samples : dict of str to ndarray, shape (M, n_sampled)
        ``"v"`` (mV), ``"ge"``, ``"gi"`` of the sampled neurons ``sampled``.
    sampled : ndarray of int
        The neurons whose state was sampled.
    """

    times: np.ndarray
    indices: np.ndarray
    n_neurons: int
    dt: float
    t_start: float
    t_stop: float
    sample_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    samples: dict[str, np.ndarray] = field(default_factory=dict)
    sampled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def duration(self) -> float:
        """Simulated time (ms)."""
        return self.t_stop - self.t_start

    @property
    def n_steps(self) -> int:
        """Steps simulated."""
        return round(self.duration / self.dt)

    @property
    def pop_count(self) -> np.ndarray:
        """Spikes of the whole population at each step, shape ``(n_steps,)``."""
        return self._binned(1)

    def _binned(self, k: int) -> np.ndarray:
        """Spikes of the population per bin of ``k`` steps (whole bins only)."""
        n_bins = self.n_steps // k
        step = np.round((self.times - self.t_start) / self.dt).astype(np.int64)
        step = step[step < n_bins * k]
        return np.bincount(step // k, minlength=n_bins)[:n_bins]

    def counts(self) -> np.ndarray:
        """Spikes per neuron, shape ``(n_neurons,)``."""
        return np.bincount(self.indices, minlength=self.n_neurons)

    def rates(self) -> np.ndarray:
        """Mean firing rate of each neuron over the run (Hz)."""
        return self.counts() / (self.duration / 1000.0)

    def population_rate(self, bin_ms: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Population rate (Hz per neuron) in bins of ``bin_ms`` (default: one step).

        Returns
        -------
        times : ndarray
            Start of each bin (ms).
        rate : ndarray
            Spikes in the bin / (neurons * bin length), in Hz.
        """
        bin_ms = self.dt if bin_ms is None else check_float(bin_ms, "bin_ms", low=self.dt)
        k = max(1, round(bin_ms / self.dt))
        if abs(k * self.dt - bin_ms) > 1e-6 * bin_ms:
            # Bins of whole steps only: 0.15 ms at dt = 0.1 would silently be 0.1 ms.
            raise ValidationError(
                "bin_ms", bin_ms, f"a multiple of the step dt = {self.dt}"
            )
        if k > self.n_steps:
            # No whole bin fits: the rate would be two empty arrays.
            raise ValidationError(
                "bin_ms",
                bin_ms,
                f"at most the recording's length ({self.n_steps * self.dt:g} ms)",
            )
        counts = self._binned(k)
        n_bins = len(counts)
        times = self.t_start + np.arange(n_bins) * k * self.dt
        return times, counts / (self.n_neurons * k * self.dt / 1000.0)

    def nbytes(self) -> int:
        """Memory held by the record (bytes)."""
        arrays = [self.times, self.indices, self.sample_times]
        return sum(a.nbytes for a in arrays) + sum(a.nbytes for a in self.samples.values())
