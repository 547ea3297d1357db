"""What a spiking run records: spikes as (time, index) pairs, population counts per
step, and state variables sampled every ``k`` steps. Nothing is kept per neuron per
step, so a long run records in memory proportional to its spikes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
        Spikes of the whole population at each step.
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
    pop_count: np.ndarray
    sample_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    samples: dict[str, np.ndarray] = field(default_factory=dict)
    sampled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def duration(self) -> float:
        """Simulated time (ms)."""
        return self.t_stop - self.t_start

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
        n_bins = len(self.pop_count) // k
        counts = self.pop_count[: n_bins * k].reshape(n_bins, k).sum(1)
        times = self.t_start + np.arange(n_bins) * k * self.dt
        return times, counts / (self.n_neurons * k * self.dt / 1000.0)

    def nbytes(self) -> int:
        """Memory held by the record (bytes)."""
        arrays = [self.times, self.indices, self.pop_count, self.sample_times]
        return sum(a.nbytes for a in arrays) + sum(a.nbytes for a in self.samples.values())
