"""Figures of spiking runs: raster, population rate, weights, membrane traces.

Every function takes ``ax=None`` (a new figure when none is given) and returns the axes.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ValidationError, described
from ..plotting import _axes
from ..validation import as_real_array, check_float, check_int
from .recording import Recording

__all__ = [
    "assembly_weights",
    "membrane_traces",
    "population_rate",
    "raster",
    "weight_histogram",
]


def _record(rec) -> Recording:
    if not isinstance(rec, Recording):
        raise ValidationError("recording", rec, "a neuromem.spiking.Recording")
    return rec


def raster(recording: Recording, ax=None, *, neurons=None, markersize: float = 2.0):
    """Spike raster: one dot per spike at (time, neuron).

    Parameters
    ----------
    neurons : int, optional
        Show only neurons ``0 .. neurons - 1``.
    """
    rec = _record(recording)
    ax = _axes(ax)
    keep = np.ones(len(rec.indices), bool)
    if neurons is not None:
        keep = rec.indices < check_int(neurons, "neurons", low=1)
    ax.plot(rec.times[keep], rec.indices[keep], "|", color="k", markersize=markersize)
    ax.set_xlim(rec.t_start, rec.t_stop)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    return ax


def population_rate(recording: Recording, ax=None, *, bin_ms: float = 5.0):
    """Population rate (Hz per neuron) in bins of ``bin_ms``."""
    rec = _record(recording)
    ax = _axes(ax)
    t, rate = rec.population_rate(
        check_float(bin_ms, "bin_ms", low=0.0, low_inclusive=False)
    )
    ax.step(t, rate, where="post", color="C0")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    return ax


def _values(weights) -> np.ndarray:
    if sp.issparse(weights):
        return np.asarray(sp.csr_array(weights).data, dtype=float)
    return as_real_array(weights, "weights").astype(float).reshape(-1)


def weight_histogram(weights, ax=None, *, w_max: float | None = None, bins: int = 40):
    """Distribution of synaptic weights (a sparse matrix's stored entries only).

    Parameters
    ----------
    w_max : float, optional
        Show weights as fractions of ``w_max``.
    """
    w = _values(weights)
    if len(w) == 0 or not np.all(np.isfinite(w)):
        raise ValidationError("weights", described("no or non-finite weights"), "finite")
    ax = _axes(ax)
    if w_max is not None:
        w = w / check_float(w_max, "w_max", low=0.0, low_inclusive=False)
    ax.hist(w, bins=check_int(bins, "bins", low=1), color="C0")
    ax.set_xlabel("w / w_max" if w_max is not None else "w")
    ax.set_ylabel("synapses")
    return ax


def assembly_weights(weights, patterns, ax=None, *, cmap: str = "viridis"):
    """Weight matrix with the neurons sorted by the first pattern they belong to.

    Assemblies then show as blocks on the diagonal; neurons in no pattern come last.
    """
    w = weights.toarray() if sp.issparse(weights) else as_real_array(weights, "weights")
    x = as_real_array(patterns, "patterns")
    if w.ndim != 2 or w.shape[0] != w.shape[1] or x.ndim != 2 or x.shape[1] != len(w):
        raise ValidationError(
            "patterns",
            described(f"patterns {x.shape} for weights {w.shape}"),
            "a square weight matrix and patterns of its width",
        )
    if not np.all((x == 0) | (x == 1)):
        # A +-1 pattern would make every neuron a member of every assembly.
        raise ValidationError("patterns", described("values other than 0 and 1"), "0/1")
    member = x > 0
    first = np.where(member.any(0), member.argmax(0), len(x))
    order = np.argsort(first, kind="stable")
    ax = _axes(ax, figsize=(4.5, 4.0))
    im = ax.imshow(w[np.ix_(order, order)], cmap=cmap, interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, label="w")
    ax.set_xlabel("presynaptic neuron (sorted by assembly)")
    ax.set_ylabel("postsynaptic neuron")
    return ax


def membrane_traces(recording: Recording, ax=None, *, variable: str = "v"):
    """The sampled ``v`` (or ``ge``, ``gi``) of every sampled neuron against time."""
    rec = _record(recording)
    if variable not in rec.samples or rec.samples[variable].shape[1] == 0:
        raise ValidationError(
            "variable", variable, "a variable sampled in the run (run(..., sample=[...]))"
        )
    ax = _axes(ax)
    data = rec.samples[variable]
    for j, neuron in enumerate(rec.sampled):
        ax.plot(rec.sample_times, data[:, j], lw=0.8, label=f"neuron {neuron}")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel({"v": "V (mV)"}.get(variable, variable))
    if len(rec.sampled) <= 6:
        ax.legend(fontsize="small")
    return ax
