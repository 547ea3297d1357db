"""A spiking cell-assembly memory: patterns become assemblies through STDP.

``store`` presents each sparse 0/1 pattern by driving its neurons with strong Poisson
input while the triplet STDP rule (Pfister & Gerstner 2006) acts on the recurrent
excitatory synapses. Its potentiation grows with the postsynaptic rate, so synapses
among the driven neurons (about 120 Hz) grow to ``w_max`` in one presentation, while
those of neurons firing at their background rate (about 1 Hz) are depressed. ``recall`` drives the active units of a cue
for ``recall_ms`` with plasticity off and reads out which neurons fired at least
``min_spikes`` times: cueing part of an assembly makes the rest of it fire through the
strengthened synapses (pattern completion; Hebb 1949).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from .. import memory
from ..errors import ValidationError
from ..memory import check_memory
from ..random import SeedLike, as_generator, check_seed
from ..rules.stdp import TripletSTDP
from ..spiking.lif import LIF
from ..spiking.network import SpikingNetwork
from ..tags import ModelTags
from ..validation import check_dtype, check_float, check_int, check_patterns
from .base import Memory, RecallResult, check_record, not_stored

__all__ = ["SpikingAssembly"]


class SpikingAssembly(Memory):
    """Cell assemblies of LIF neurons formed by triplet STDP.

    Parameters
    ----------
    n_units : int
        Number of excitatory neurons (pattern width).
    w_max : float
        Largest recurrent weight (mV voltage jump).
    inhibition : float
        Global inhibition: each spike lowers every other neuron's potential by
        ``inhibition * w_max``.
    learning_rate : float
        Scale of the triplet rule's amplitudes, in units of ``w_max``.
    present_ms, recall_ms : float
        How long a pattern is presented, and a cue (ms).
    stim_rate, background_rate : float
        Rate (Hz) of the Poisson drive of stimulated and of other neurons.
    drive : float
        Weight of one drive spike (mV), > 0.
    min_spikes : int
        Spikes in the recall window that make a neuron's state 1.
    dt : float
        Step (ms).
    seed : int, Generator or None
        Seeds every Poisson draw; the same seed and patterns give the same spikes.
    dtype : {"float64", "float32"}
        Dtype of the stored weights and of the recalled states and rates (the
        simulation itself runs in float64).

    Attributes
    ----------
    weights_ : ndarray, shape (n_units, n_units)
        Recurrent weights (mV), zero diagonal.
    n_stored_ : int
        Patterns presented so far.
    n_synapses_ : int
        Plastic synapses (``n_units (n_units - 1)``), counted by ``compare`` for its
        bits per synapse.
    """

    name = "spiking-assembly"
    #: What the stored weights depend on (every parameter of the simulated
    #: presentations, and the seed every later stream derives from): fixed once
    #: something is stored. ``recall_ms`` and ``min_spikes`` act at recall only.
    _state_params: ClassVar[frozenset[str]] = Memory._state_params | {
        "w_max",
        "inhibition",
        "present_ms",
        "stim_rate",
        "background_rate",
        "drive",
        "dt",
    }

    def __init__(
        self,
        n_units: int,
        w_max: float = 4.0,
        inhibition: float = 0.2,
        learning_rate: float = 4.0,
        present_ms: float = 100.0,
        recall_ms: float = 50.0,
        stim_rate: float = 1000.0,
        background_rate: float = 50.0,
        drive: float = 4.0,
        min_spikes: int = 2,
        dt: float = 0.5,
        seed: SeedLike = None,
        dtype: str = "float64",
    ):
        self.n_units = check_int(n_units, "n_units", low=1)
        self.w_max = check_float(w_max, "w_max", low=0.0, low_inclusive=False)
        self.inhibition = check_float(inhibition, "inhibition", low=0.0)
        self.learning_rate = check_float(learning_rate, "learning_rate", low=0.0)
        self.present_ms = check_float(present_ms, "present_ms", low=0.0)
        self.recall_ms = check_float(recall_ms, "recall_ms", low=0.0, low_inclusive=False)
        self.stim_rate = check_float(stim_rate, "stim_rate", low=0.0)
        self.background_rate = check_float(background_rate, "background_rate", low=0.0)
        self.drive = check_float(drive, "drive", low=0.0, low_inclusive=False)
        self.min_spikes = check_int(min_spikes, "min_spikes", low=1)
        self.dt = check_float(dt, "dt", low=0.0, low_inclusive=False)
        for name in ("present_ms", "recall_ms"):
            if round(getattr(self, name) / self.dt) < 1:
                # A window shorter than one step would simulate nothing (all zeros).
                raise ValidationError(
                    name, getattr(self, name), f"at least one step (dt = {self.dt} ms)"
                )
        # The drive's Poisson events of one chunk of the loop are held at once.
        window = min(max(self.present_ms, self.recall_ms), 20_000 * self.dt) / 1000.0
        events = max(self.stim_rate, self.background_rate) * self.n_units * window
        check_memory(24.0 * events, "stim_rate", stim_rate, "the Poisson drive's events")
        self.seed = check_seed(seed)
        self.dtype = check_dtype(dtype).name

    def __neuromem_tags__(self) -> ModelTags:
        return dataclasses.replace(
            ModelTags(),
            family="spiking",
            encodings=("binary",),
            regime="sparse",
            theory=("cell-assemblies",),
        )

    @property
    def n_synapses_(self) -> int:
        """Plastic recurrent synapses holding what was stored (every ordered pair
        but self-connections); the drive and the global inhibition store nothing."""
        if getattr(self, "weights_", None) is None:
            # AttributeError, like every fitted attribute before store: hasattr says no.
            raise AttributeError("n_synapses_: nothing stored yet")
        return self.n_units * (self.n_units - 1)

    def memory_estimate(self, work: memory.Workload | None = None) -> int:
        """Bytes for ``work`` (:class:`neuromem.memory.Workload`).

        The simulation, not the ``n_units x n_units`` weights, sets the size: the
        network flattens every synapse into the arrays of its loop (weight, indices,
        the per-row and per-column tables of the plastic group), built from CSR copies
        of the weights. Measured with tracemalloc: about :data:`_PLASTIC_BYTES` per
        plastic synapse at a store (:data:`_RECURRENT_BYTES` at a recall, where nothing
        learns) and :data:`_STATIC_BYTES` per synapse of the global inhibition, plus the
        rule's trace tables, the loop's scratch, one chunk of Poisson drive events,
        the patterns and, with ``record``, the per-step state frames and spikes of
        every cue. Within 1.2 to 1.8 times the traced peak from 8 to 800 units.
        """
        work = work or memory.Workload()
        n = self.n_units
        isize = np.dtype(self.dtype).itemsize
        pairs = n * (n - 1)
        total = n * n * isize  # weights_
        if work.stage == "create":
            return int(memory.MARGIN * total)
        learning = work.stage == "store"
        total += pairs * (_PLASTIC_BYTES if learning else _RECURRENT_BYTES)
        groups = 2  # the drive and the recurrent synapses
        if self.inhibition:
            total += pairs * _STATIC_BYTES
            groups += 1
        total += _LOOP_BYTES
        window = min(max(self.present_ms, self.recall_ms), 20_000 * self.dt) / 1000.0
        total += 24.0 * max(self.stim_rate, self.background_rate) * n * window
        if learning:
            rule = TripletSTDP()
            longest = max(rule.tau_plus, rule.tau_minus, rule.tau_x, rule.tau_y)
            n_tab = int(np.ceil(40.0 * longest / self.dt)) + 2
            total += (4 * groups + 2) * n_tab * 8  # trace tables and their temporaries
            total += 8 * work.n_patterns * n  # the checked patterns
        else:
            p = work.n_cues
            total += p * n * (8 + 8 + 2 * isize)  # cues, counts, states, rates
            if work.record:
                t1 = round(self.recall_ms / self.dt) + 1
                total += p * t1 * n * isize + t1 * n * 17  # frames; hits, cumsum
                spikes = n * (self.recall_ms / max(LIF().t_ref, self.dt) + 1)
                total += 16 * p * spikes  # the kept recordings
        return int(memory.MARGIN * total)

    # -- the network ------------------------------------------------------------------
    def _network(self, plastic: bool, seed: int, stream: int) -> SpikingNetwork:
        rng = np.random.default_rng(np.random.SeedSequence([seed, stream]))
        net = SpikingNetwork(self.n_units, neuron=LIF(), dt=self.dt, seed=rng)
        n = self.n_units
        net.add_poisson("drive", np.zeros(n))
        net.connect("drive", _identity(n) * self.drive, target="v")
        rule = None
        if plastic:
            rule = TripletSTDP(
                learning_rate=self.learning_rate * self.w_max,
                bounds=(0.0, self.w_max),
                dt=self.dt,
            )
        net.connect("neurons", _off_diagonal(self.weights_), target="v", rule=rule)
        if self.inhibition:
            # Global feedback inhibition: each spike lowers every other membrane, so the
            # threshold for joining rises with the number of active neurons (as the
            # Willshaw net's threshold does with the size of the cue).
            inh = np.full((n, n), -self.inhibition * self.w_max)
            net.connect("neurons", _off_diagonal(inh), target="v")
        return net

    def _base_seed(self) -> int:
        if getattr(self, "seed_", None) is None:
            self.seed_ = int(as_generator(self._seed_source()).integers(2**62))
        return self.seed_

    def store(self, patterns, targets=None) -> SpikingAssembly:
        """Present each 0/1 pattern once, in order, with triplet STDP on.

        Parameters
        ----------
        patterns : ndarray of 0/1, shape (P, n_units)
        """
        if targets is not None:
            raise ValidationError("targets", targets, "None (an auto-associative memory)")
        x = check_patterns(patterns, "patterns", n_units=self.n_units, encoding="binary")
        seed = self._base_seed()
        if getattr(self, "weights_", None) is None:
            self.weights_ = np.zeros((self.n_units, self.n_units), dtype=self.dtype)
            self.n_stored_ = 0
        net = self._network(True, seed, self.n_stored_)
        for p, pattern in enumerate(x):  # one simulated presentation per pattern
            # Pattern k's own stream: store(a).store(b) gives what store(a + b) gives.
            net.reset_state(np.random.SeedSequence([seed, self.n_stored_ + p]))
            net.set_rates(
                "drive", np.where(pattern > 0, self.stim_rate, self.background_rate)
            )
            net.run(self.present_ms)
        self.weights_ = net.weights(1).toarray().astype(self.dtype, copy=False)
        self.n_stored_ += len(x)
        return self

    def recall(self, cues, *, record: Any = False) -> RecallResult:
        """Drive the active units of each cue for ``recall_ms``; read who fired.

        Returns
        -------
        RecallResult
            0/1 states (``min_spikes`` or more spikes); ``info["counts"]`` the spike
            counts and ``info["rates"]`` the rates (Hz) of every neuron per cue; with
            ``record=True`` (or ``"states"``) also ``trajectory["states"]``, shape
            ``(P, T + 1, n_units)`` with ``T = recall_ms / dt`` steps: frame 0 the cue,
            frame t the neurons with ``min_spikes`` spikes by step t (the last is the
            result), and ``info["recordings"]``, one :class:`Recording` per cue.
        """
        if getattr(self, "weights_", None) is None:
            raise not_stored(self, "recall")
        record = bool(check_record(record, ("states",)))
        c = check_patterns(cues, "cues", n_units=self.n_units, encoding="binary")
        seed = self._base_seed()
        net = self._network(False, seed, -1 % 2**32)
        counts = np.zeros(c.shape, dtype=np.int64)
        recordings = []
        n_steps = round(self.recall_ms / self.dt)
        frames = (
            np.zeros((len(c), n_steps + 1, self.n_units), dtype=self.dtype)
            if record
            else None
        )
        for p, cue in enumerate(c):  # one simulated trial per cue
            # A cue's own stream, from its active units: its response does not depend
            # on the other cues of the batch nor on their order.
            active = np.flatnonzero(cue)
            net.reset_state(np.random.SeedSequence([seed, 2**32 - 1, len(active), *active]))
            net.set_rates("drive", np.where(cue > 0, self.stim_rate, self.background_rate))
            rec = net.run(self.recall_ms)
            counts[p] = rec.counts()
            if record:
                recordings.append(rec)
                frames[p] = _frames(rec, cue, n_steps, self.min_spikes)
        states = (counts >= self.min_spikes).astype(self.dtype)
        info: dict[str, Any] = {
            "counts": counts,
            "rates": (counts / (self.recall_ms / 1000.0)).astype(self.dtype),
        }
        trajectory = None
        if record:
            info["recordings"] = recordings
            trajectory = {"states": frames}
        n = len(c)
        return RecallResult(
            states,
            np.ones(n, dtype=np.int64),
            np.ones(n, dtype=bool),
            info=info,
            trajectory=trajectory,
        )


#: Bytes per synapse of the built network, measured with tracemalloc (see
#: :meth:`SpikingAssembly.memory_estimate`): a plastic one carries its column tables;
#: the recurrent group at a recall also copies the dense weights to CSR.
_PLASTIC_BYTES = 145
_RECURRENT_BYTES = 120
_STATIC_BYTES = 95
#: The loop's scratch and small tables, whatever the size.
_LOOP_BYTES = 32_000


def _frames(rec, cue: np.ndarray, n_steps: int, min_spikes: int) -> np.ndarray:
    """Frame 0 the cue, frame t who had ``min_spikes`` spikes by the end of step t."""
    step = np.round((rec.times - rec.t_start) / rec.dt).astype(np.int64)
    step = np.clip(step, 0, n_steps - 1)  # every spike counted, as counts() does
    hits = np.zeros((n_steps + 1, rec.n_neurons), dtype=np.int64)
    np.add.at(hits, (step + 1, rec.indices), 1)
    out = np.cumsum(hits, axis=0) >= min_spikes
    out[0] = cue > 0
    return out


def _identity(n: int) -> sp.csr_array:
    return sp.csr_array(sp.identity(n, format="csr"))


def _off_diagonal(w: np.ndarray) -> sp.csr_array:
    """Every ordered pair but self-connections, as a CSR structure holding ``w``."""
    n = w.shape[0]
    mask = ~np.eye(n, dtype=bool)
    rows, cols = np.nonzero(mask)
    return sp.csr_array((w[rows, cols], (rows, cols)), shape=(n, n))
