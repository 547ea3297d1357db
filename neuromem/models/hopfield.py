"""The classical Hopfield network: binary units, symmetric synapses, attractor recall."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from .. import dynamics as dyn
from ..errors import ValidationError, described
from ..network import Network
from ..random import SeedLike, as_generator, check_seed, spawn
from ..registry import rules
from ..rules.base import LearningRule
from ..tags import ModelTags, get_tags
from ..topology import Topology, check_topology
from ..validation import (
    check_bool,
    check_choice,
    check_dtype,
    check_int,
    check_patterns,
)
from .attractor import Attractor
from .base import (
    Memory,
    deprecated_rule_instance,
    iterative_rule,
    pattern_recording,
    transactional,
)
from .hopfield_energy import DYNAMICS, EnergyLandscape
from .hopfield_threshold import (
    DEFAULT_TEMPERATURE,
    Thresholds,
    _check_stochastic,
    _check_threshold,
    _check_threshold_range,
    _check_threshold_units,
    _inverse_temperature,
)

__all__ = ["DEFAULT_TEMPERATURE", "Hopfield"]


def _unit_scale(s: np.ndarray) -> np.ndarray:
    """Cues scaled into [-1, 1] (each by its largest magnitude).

    Without a bias the sign of every field is invariant under a positive scaling of the
    state, so graded cues (any finite values) relax exactly as their scaled copies,
    and the tie tolerances, which bound the rounding for states in [-1, 1], apply.
    """
    # max |s| per cue without a temporary |s| of the cues' size (same values).
    peak = np.maximum(s.max(axis=1, initial=0.0), -s.min(axis=1, initial=0.0))
    scale = (peak != 0) & (peak != 1)
    if scale.any():
        s = s.copy()
        s[scale] /= peak[scale, None]
    return s


UNITS = ("bipolar", "binary")
ORDERS = ("random", "fixed")
CYCLES = ("stop", "follow")


class Hopfield(Attractor, Thresholds, EnergyLandscape, Memory):
    """Hopfield associative memory (Hopfield 1982) of ``n_units`` +/-1 or 0/1 units.

    One population of sign units with one recurrent synapse set. ``store`` applies the
    storage rule to the patterns; ``recall`` relaxes every cue, batched, until it reaches
    a fixed point or ``max_steps`` sweeps.

    With ``units="binary"`` the units are 0/1 with a firing threshold, for sparse
    patterns (Tsodyks & Feigel'man 1988: with their rule, the default for 0/1 units,
    the capacity grows like ``1 / (2 a ln(1/a))`` as the coding level ``a`` tends to
    0; far less at finite ``N``, see docs/hopfield-theory.md). Such a network
    is the +/-1 network ``s = (sigma + 1) / 2`` on the same weights with the bias
    ``W 1 - 2 theta``, so every dynamics serves both.

    Parameters
    ----------
    n_units : int
        Number of units ``N``.
    rule : str or None
        Storage rule: a registered name (``"hebbian"``: ``W = X^T X / N``), its
        parameters in ``rule_options``: the one way to configure a model's rule (and
        ``set_params(rule=..., rule_options=...)`` before ``store``). A rule instance
        is deprecated (``DeprecationWarning``): register its class and give its name.
        ``None`` (default): ``"hebbian"`` for +/-1 units and
        ``"tsodyks-feigelman"`` (patterns centred on their global coding level ``a``,
        ``W = sum_mu (xi - a)(xi - a)^T / (N a (1 - a))``) for 0/1 units. A rule given by name gets ``rule_options`` and, unless those set one, the
        rule's default learning rate for ``N`` inputs (``1 / N`` for Hebb).
    rule_options : dict, optional
        Parameters for a rule given by name.
    units : {"bipolar", "binary"}
        +/-1 units (the classical network) or 0/1 units with a threshold (sparse
        0/1 patterns, stored by default with the ``tsodyks-feigelman`` rule).
    threshold : float or "auto"
        Firing threshold ``theta`` of 0/1 units: unit ``i`` is active when
        ``sum_j w_ij s_j > theta``. ``"auto"`` (default) chooses it for retrieval
        after every ``store`` (:mod:`neuromem.sparse_threshold`): starting from the
        threshold with the fewest one-step errors on the stored patterns (kept when
        it already retrieves every sampled pattern, see below), it scans
        ``theta_0 + g d`` (``g = -0.4, -0.3, ..., 0.4``; ``d`` the mean field of the
        stored patterns' active units minus that of their silent units), refined at a
        quarter step around the best, and keeps the threshold under which the most of
        128 stored patterns (evenly spread over all stored) stay retrieved (sparse
        overlap ``>= 0.95``) when recalled from themselves by synchronous dynamics (at
        most 20 sweeps); ties go to the larger mean overlap, then to the threshold
        nearest ``theta_0``. Deterministic (no random draw). +/-1 units have no
        threshold: for them a number is refused.
        Change or re-tune it after ``store`` with :meth:`set_threshold`.
    dynamics : {"sync", "async", "glauber"}
        Default update scheme: all units at once, one at a time, or one at a time
        stochastically at temperature ``temperature`` (Glauber's heat bath).
    max_steps : int
        Largest number of sweeps per recall.
    order : {"random", "fixed"}
        Unit order of asynchronous sweeps (a fresh permutation per sweep, or 0..N-1).
    temperature : float, optional
        Temperature ``T > 0`` of Glauber dynamics, in units of the local field (with
        Hebbian storage the retrieval phase lies below ``T = 1``). Defaults to
        :data:`DEFAULT_TEMPERATURE` (0.1) unless ``beta`` is given. For 0/1 units it
        applies to the +/-1-equivalent field ``2 (W s - theta)``. Only Glauber dynamics
        has a temperature: with ``dynamics="sync"`` or ``"async"`` a temperature (or
        ``beta``) is refused, here and in :meth:`recall`.
    beta : float, optional
        Inverse temperature ``1 / T`` (give ``temperature`` or ``beta``, not both).
    topology : Topology, optional
        Connectivity; all-to-all without self-connections by default.
    sparse : bool, optional
        Force sparse or dense weights (default: from the topology's density).
    dtype : {"float64", "float32"}
        Weight and state dtype.
    seed : int, Generator or None
        Seed of the asynchronous update order (and of any stochastic rule).

    Attributes
    ----------
    network_ : Network
        The population ``"units"`` and its recurrent synapse.
    patterns_ : ndarray, shape (n_stored_, N)
        Every pattern stored so far, in order.
    n_stored_ : int
        Number of stored patterns.
    threshold_ : float
        The threshold in use (0/1 units only).
    converged_ : bool
        Whether the last ``store`` reached the storage rule's goal: False when an
        iterative rule (``perceptron``) stopped at its iteration limit, which it also
        warns as :class:`~neuromem.ConvergenceWarning`; True for rules that always
        store (Hebb, Storkey, pseudo-inverse, ...).

    Examples
    --------
    >>> import neuromem as nm
    >>> X = nm.patterns.random_bipolar(5, 200, seed=0)
    >>> mem = nm.create("hopfield", n_units=200).store(X)
    >>> res = mem.recall(nm.patterns.flip(X, 0.1, seed=1))
    >>> bool((nm.metrics.overlap(res.states, X) == 1).all())
    True
    """

    # Storage draws nothing (every rule is deterministic): the seed drives the recall
    # stream only, and may change after store (the stream restarts from it).
    _state_params: ClassVar[frozenset[str]] = Memory._state_params - {"seed"}
    _state_param_fixes: ClassVar[dict[str, str]] = {
        "threshold": "use set_threshold(value) to change the threshold of 0/1 units "
        "after store"
    }

    def __neuromem_tags__(self) -> ModelTags:
        # The published results depend on the storage rule (AGS for Hebb's, ...).
        return dataclasses.replace(
            super().__neuromem_tags__(),
            family="classical Hopfield",
            encodings=(self.units,),
            regime="sparse" if self.units == "binary" else "bipolar",
            energy=True,
            stochastic_recall=self.dynamics == "glauber"
            or (self.dynamics == "async" and self.order == "random"),
            per_rule=True,
            # The 0/1 network with the covariance rule: its default rule
            # (tsodyks-feigelman) is already one of the per-rule rows.
            variants=(("hopfield-binary", {"units": "binary", "rule": "covariance"}),),
            theory=get_tags(self._make_rule()).theory,
        )

    def __init__(
        self,
        n_units: int,
        rule: str | LearningRule | None = None,
        rule_options: dict[str, Any] | None = None,
        dynamics: str = "sync",
        max_steps: int = 100,
        order: str = "random",
        temperature: float | None = None,
        beta: float | None = None,
        topology: Topology | None = None,
        sparse: bool | None = None,
        dtype: str = "float64",
        seed: SeedLike = None,
        units: str = "bipolar",
        threshold: float | str = "auto",
    ):
        self.n_units = check_int(n_units, "n_units", low=1)
        if isinstance(rule, LearningRule):
            deprecated_rule_instance(rule)
        self.rule = rule
        self.rule_options = rule_options
        self.units = check_choice(units, "units", UNITS)
        self.threshold = _check_threshold(threshold)
        self.dynamics = check_choice(dynamics, "dynamics", DYNAMICS)
        self.max_steps = check_int(max_steps, "max_steps", low=1)
        self.order = check_choice(order, "order", ORDERS)
        self.temperature = temperature
        self.beta = beta
        _inverse_temperature(temperature, beta)  # validate now
        _check_stochastic(self.dynamics, temperature, beta)
        _check_threshold_units(self.units, self.threshold)
        self.topology = check_topology(topology, self.n_units)
        self.sparse = sparse if sparse is None else check_bool(sparse, "sparse")
        self.dtype = check_dtype(dtype).name
        _check_threshold_range(self.threshold, self.dtype)
        self.seed = check_seed(seed)
        self._make_rule()  # fail now on an unknown rule or option, not at store time

    # -- construction -----------------------------------------------------------------
    def _make_rule(self) -> LearningRule:
        if isinstance(self.rule, LearningRule):
            if self.rule_options:
                raise ValidationError(
                    "rule_options",
                    self.rule_options,
                    "None when rule is a LearningRule instance",
                )
            rule = self.rule.clone()
        else:
            name = self.rule
            if name is None:  # the default storage rule of the units' encoding
                name = "hebbian" if self.units == "bipolar" else "tsodyks-feigelman"
            if not isinstance(name, str):
                raise ValidationError("rule", self.rule, "a rule name or a LearningRule")
            cls = rules.get(name)
            if not isinstance(self.rule_options, dict | type(None)) or not all(
                isinstance(k, str) for k in self.rule_options or {}
            ):
                # Keys that are not strings cannot be keyword arguments of the rule.
                raise ValidationError(
                    "rule_options", self.rule_options, "a dict with str keys, or None"
                )
            options = dict(self.rule_options or {})
            options.setdefault("learning_rate", cls.default_learning_rate(self.n_units))
            # the model sets the learning rate: a rule that does not take it, or does
            # not pass it on, would refuse an argument the user never gave or drop it
            how = "(__init__(self, ..., **shared) calling super().__init__(**shared))"
            if "learning_rate" not in cls.param_names():
                raise ValidationError(
                    "rule",
                    described(f"rule {name!r}, whose __init__ takes no learning_rate"),
                    f"a rule that takes the shared parameters {how}",
                )
            rule = rules.create(name, **options)
            if rule.learning_rate != options["learning_rate"]:
                raise ValidationError(
                    "rule",
                    described(f"rule {name!r}, which drops learning_rate"),
                    f"a rule that passes the shared parameters on {how}",
                )
        tags = get_tags(rule)
        # What the rule declares decides whether it can store patterns here: a model
        # that shows it patterns (one at a time, online) cannot give it a third factor
        # or a sequence, and would report them stored with no weight changed.
        if tags.needs_signal:
            raise ValidationError(
                "rule",
                self.rule,
                "a rule that stores patterns on its own (this one needs a third factor, "
                "an error signal: train it in the 'mlp' model)",
            )
        if tags.temporal:
            raise ValidationError(
                "rule",
                self.rule,
                "a rule that stores patterns (this one learns transitions between "
                "consecutive rows: store sequences with nm.create('sequence', ...))",
            )
        encodings = tags.encodings
        if self.units not in encodings:
            what = "+/-1" if self.units == "bipolar" else "0/1"
            raise ValidationError(
                "rule",
                self.rule,
                f"a rule that stores {what} patterns (this one takes "
                f"{', '.join(encodings)})",
            )
        return rule

    def _build(self) -> None:
        if getattr(self, "network_", None) is not None:
            return
        net = Network()
        units = net.add_population("units", self.n_units, "sign")
        net.connect(
            units,
            units,
            topology=self.topology,
            sparse=self.sparse,
            rule=self._make_rule(),
            dtype=self.dtype,
        )
        self.network_ = net
        self.patterns_ = np.empty((0, self.n_units), dtype=self.dtype)
        self.n_stored_ = 0
        self._store_rng, self._recall_rng = spawn(self._seed_source(), 2)

    def _reseed(self) -> None:
        """Restart the recall stream from a new ``seed`` (set_params after store)."""
        self._store_rng, self._recall_rng = spawn(self._seed_source(), 2)

    @property
    def synapse_(self):
        """The recurrent synapse set."""
        self._build()
        return self.network_.synapse("units", "units")

    @property
    def weights_(self):
        """Weight matrix ``(N, N)``: dense ndarray or scipy.sparse CSR.

        The live matrix: a user may write into it (what the model derives from the
        weights is recomputed after each access). ``synapse_.weights`` is the pure,
        read-only view.
        """
        return self.synapse_.live_weights()

    def memory_estimate(self, work=None) -> int:
        """Bytes for ``work``: see :func:`neuromem.memory.recurrent_estimate` (a
        recorded trajectory is counted one sweep ahead: it is checked as it grows)."""
        return max(self._estimate("recurrent", work), self._threshold_scan(work))

    # -- memory -----------------------------------------------------------------------
    @transactional(when=iterative_rule)
    def store(self, patterns, targets=None) -> Hopfield:
        """Store patterns, adding to what is already stored.

        Parameters
        ----------
        patterns : ndarray, shape (P, n_units)
            +/-1 patterns row-wise (0/1 patterns with ``units="binary"``).
        targets : None
            Hopfield networks are auto-associative.
        """
        if targets is not None:
            raise ValidationError(
                "targets",
                described("a target set"),
                "None: a Hopfield network stores patterns auto-associatively",
            )
        x = check_patterns(
            patterns,
            "patterns",
            n_units=self.n_units,
            encoding=self.units,
            dtype=self.dtype,
        )
        self._build()
        self.synapse_.learn(x, x)
        # A rule that can stop short (the perceptron's) warns and says so in
        # converged_; every other rule stores by construction.
        self.converged_ = bool(getattr(self.synapse_.rule, "converged_", True))
        self.patterns_ = np.concatenate([self.patterns_, x])
        self.n_stored_ += len(x)
        if self.units == "binary":
            self._set_threshold()
        return self

    recall_options = (
        "dynamics",
        "max_steps",
        "seed",
        "record_energy",
        "temperature",
        "beta",
        "record",
        "cycles",
    )

    def _relax(
        self,
        s,
        max_steps,
        measured,
        *,
        beta: float | None = None,
        cycles: str = "stop",
        dynamics: str | None = None,
        seed: SeedLike = None,
        temperature: float | None = None,
    ):
        """Relax every cue to an attractor.

        Parameters
        ----------
        cues : ndarray, shape (P, n_units)
            Starting states: +/-1 patterns, or any finite values (a masked cue with
            zeros for unknown units); the first sweep maps them to +/-1 under the tie
            law of :mod:`neuromem.dynamics` (a tied field keeps the sign of a unit's
            state: +/-1 stays, a graded value becomes its sign and a 0 becomes +1),
            so every returned state is +/-1.
            Graded cues relax as their copies scaled into [-1, 1]. For 0/1 units,
            0/1 cues (a masked unit is inactive); states come back as 0/1, and a unit
            is active only when its field exceeds the threshold beyond the tie
            tolerance. Before any ``store`` the weights are zero: every field is a
            tie, and recall returns the cue with masked units set to +1 (all units
            inactive for 0/1 units), converged.
        dynamics : {"sync", "async", "glauber"}, optional
            Override the model's dynamics for this call.
        seed : int, Generator or None
            Seed of the asynchronous order for this call; by default the model's own
            stream (reproducible from the model's ``seed``).
        temperature, beta : float, optional
            Override the temperature of Glauber dynamics for this call.
        record : bool, str or sequence of str, optional
            Keep, sweep by sweep, ``"states"`` ``(P, T + 1, N)`` (in the units'
            encoding), ``"overlaps"`` with every stored pattern ``(P, T + 1,
            n_stored_)`` and ``"energies"`` ``(P, T + 1)`` in ``result.trajectory``
            (``True``: all three). Index 0 is the cue as given (a graded cue relaxes
            as its copy scaled into [-1, 1], so its energy changes by that scale at
            the first sweep; a graded cue of 0/1 units shows its own overlap, not
            that of the 0/1 copy the dynamics start from); see
            :class:`~neuromem.models.base.RecallResult`.
        cycles : {"stop", "follow"}
            What synchronous dynamics do with a cue that enters a period-2 cycle
            (two states that map to each other, possible even with symmetric weights):
            ``"stop"`` (default) ends it there, ``converged=False``, and its later
            recorded sweeps alternate between the two states; ``"follow"`` keeps
            iterating it through the cycle until ``max_steps``, as a textbook loop
            does. Asynchronous and Glauber dynamics have no such cycles (symmetric
            weights) and ignore it.
        """
        binary = self.units == "binary"
        if binary:
            graded = not np.all((s == 0) | (s == 1))
            given = 2.0 * s - 1.0 if graded else None  # the cue itself, for index 0
            s = 2.0 * (s > 0.5).astype(self.dtype) - 1.0  # 0/1 -> the +/-1 equivalent
            given = s if given is None else given
        else:
            given = s
        dynamics = (
            self.dynamics
            if dynamics is None
            else check_choice(dynamics, "dynamics", DYNAMICS)
        )
        cycles = check_choice(cycles, "cycles", CYCLES)
        if temperature is None and beta is None:
            inv_t = _inverse_temperature(self.temperature, self.beta)
        else:
            inv_t = _inverse_temperature(temperature, beta)
            _check_stochastic(dynamics, temperature, beta)
        self._build()
        energy = None  # recorded by rec: one definition, self.energy
        # The dynamics run 0/1 units as their +/-1 equivalents.
        rec = pattern_recording(
            measured,
            self.patterns_,
            self.energy,
            units=(lambda z: (z + 1.0) / 2.0) if binary else None,
        )
        syn = self.synapse_
        if not binary and syn.bias is None:
            s = _unit_scale(s)
        tol = dyn.tie_tolerances(syn)  # cached until the weights change
        rng = self._recall_rng if seed is None else as_generator(seed)
        if dynamics == "sync":
            out = dyn.synchronous(
                syn.input,
                s,
                max_steps,
                energy=energy,
                tol=tol,
                binary=binary,
                record=rec,
                follow_cycles=cycles == "follow",
                overwrite=True,  # s is our own copy (given is read only when recorded)
            )
        elif dynamics == "glauber":
            out = dyn.glauber(
                syn, s, max_steps, rng, inv_t, energy=energy, tol=tol, record=rec
            )
        else:
            out = dyn.asynchronous(
                syn,
                s,
                max_steps,
                rng,
                self.order,
                energy=energy,
                tol=tol,
                binary=binary,
                record=rec,
            )
        states, steps, converged, _ = out
        if binary:
            states = (states + 1.0) / 2.0
        trajectory = None if rec is None else rec.result()
        if s is not given:
            # A graded cue relaxes as its scaled (0/1 units: thresholded) copy, but
            # what is reported before the first sweep is the cue itself (its overlaps
            # and energy, not the copy's), as the dense and modern models report it.
            if trajectory is not None:
                first = rec.measures
                for name in trajectory:
                    try:
                        trajectory[name][:, 0] = first[name](given)
                    except ValidationError as err:  # the caller passed cues
                        raise ValidationError(
                            "cues", err.given, f"{err.allowed} to record {name!r}"
                        ) from None
        info = {}
        if "energies" in measured:
            info["energy_descends"] = self._energy_descends(dynamics)
        return states, steps, converged, trajectory, info

    def to_networkx(self):
        """Unit-level networkx graph of the network (for small networks)."""
        self._build()
        return self.network_.to_networkx()

    # -- persistence ------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        self._build()
        syn = self.synapse_
        return {
            "weights": syn.weights,
            "bias": syn.bias,
            "patterns": self.patterns_,
            "n_stored": self.n_stored_,
            "rule": syn.rule.get_state(),
            "threshold": getattr(self, "threshold_", None),
            "converged": getattr(self, "converged_", None),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._build()
        syn = self.synapse_
        w = state["weights"]
        if (sp.issparse(w) != syn.is_sparse) or w.shape != syn.layout.shape:
            raise ValidationError(
                "weights",
                described(f"stored weights of shape {w.shape}"),
                f"weights matching the model, {syn.layout.shape}",
            )
        bias = state["bias"]
        if bias is not None:
            # A file edited by hand (checksums recomputed) may hold any value here: a
            # scalar or a bias of the wrong length would only fail later, in energy().
            bias = np.asarray(bias)
            if bias.dtype.kind not in "biuf" or bias.shape != (self.n_units,):
                raise ValidationError(
                    "bias",
                    described(f"a stored bias of shape {bias.shape} ({bias.dtype})"),
                    f"a bias of shape ({self.n_units},)",
                )
        syn.set_weights(w)
        syn.bias = bias
        self.patterns_ = np.asarray(state["patterns"], dtype=self.dtype)
        self.n_stored_ = check_int(state["n_stored"], "n_stored", low=0)
        syn.rule.set_state(state.get("rule") or {})
        if state.get("threshold") is not None:
            self.threshold_ = float(state["threshold"])
        if state.get("converged") is not None:
            self.converged_ = bool(state["converged"])
