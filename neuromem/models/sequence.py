"""Sequence memory: asymmetric couplings that step the network from one pattern to the next.

``store(X)`` stores the ordered sequence ``X[0] -> X[1] -> ...``; ``recall(cues,
n_steps=T)`` runs ``T`` synchronous updates from each cue and returns the final states
with the whole trajectory (``result.trajectory["states"]``, shape ``(n_cues, T + 1, N)``).

The local field of unit ``i`` at step ``t`` is

``h_i(t) = symmetric * sum_j J^S_ij s_j(t) + transition * sum_j J^T_ij s_j(t - delay)``

where ``J^T`` maps each stored pattern to its successor and ``J^S`` holds each pattern in
place (Sompolinsky & Kanter 1986). With ``delay = 0`` and no symmetric part the network
moves one pattern per step (Amari 1972); with ``symmetric = 1``, ``transition > 1`` and
``delay = tau`` each pattern is held for ``tau + 1`` steps before the delayed synapses
push the network on: stable, slow transitions. Three ways to form the couplings:

- ``"hebbian"``: ``J^T = (1/N) sum_mu xi^(mu+1) xi^mu^T`` (the ``temporal-hebbian`` rule)
  and ``J^S = (1/N) sum_mu xi^mu xi^mu^T`` (Hebb, no self-connections). Sequence
  capacity ``alpha_c ~ 0.269`` under synchronous dynamics (During, Coolen & Sherrington
  1998).
- ``"pseudoinverse"``: ``J^T = X_next^T (X X^T)^+ X``, which maps every pattern exactly
  to its successor when the patterns are linearly independent, correlated ones included
  (Personnaz, Guyon & Dreyfus 1986); ``J^S`` is the projector onto the patterns,
  ``X^T (X X^T)^+ X``, with its diagonal set to 0 (no self-coupling, as every
  recurrent synapse here), so it is no longer exactly a projector.
- ``"dense"``: no pairwise couplings; ``h_i = sum_mu xi_i^(mu+1) F(xi^mu . s / N)`` with a
  steep ``F`` (polynomial ``x^n`` or exponential), whose sequence capacity grows like
  ``N^n / ln N`` or exponentially in ``N`` (Chaudhry, Zavatone-Veth, Krotov & Pehlevan
  2023).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np

from ..errors import ValidationError, described
from ..network import Network
from ..random import SeedLike, check_seed
from ..rules.hebbian import Hebbian
from ..rules.pseudoinverse import PseudoInverse
from ..rules.temporal import TemporalHebbian
from ..tags import ModelTags
from ..ties import decide
from ..topology import Topology, check_topology
from ..validation import (
    check_bool,
    check_choice,
    check_dtype,
    check_float,
    check_int,
    check_patterns,
)
from .base import Memory, RecallResult, check_record, not_stored
from .sequence_fields import SequenceFields
from .sequence_theory import expected_overlaps

__all__ = ["INTERACTIONS", "VARIANTS", "SequenceMemory", "expected_overlaps"]

VARIANTS = ("hebbian", "pseudoinverse", "dense")
INTERACTIONS = ("polynomial", "rectified", "exponential")
#: What ``recall(..., record=...)`` can keep (a sequence network has no energy).
SEQUENCE_RECORDABLE = ("states", "overlaps")


def _nested_ndim(value) -> int | None:
    """``np.ndim`` of nested lists; None when numpy cannot tell (ragged, sparse items)."""
    try:
        return int(np.ndim(value))
    except (TypeError, ValueError):
        return None


class SequenceMemory(SequenceFields, Memory):
    """Sequence memory of ``n_units`` +/-1 units under synchronous dynamics.

    Parameters
    ----------
    n_units : int
        Number of units ``N``.
    variant : {"hebbian", "pseudoinverse", "dense"}
        How the couplings are formed (see the module docstring).
    interaction : {"polynomial", "rectified", "exponential"}
        ``F`` of the dense variant: ``m^n``, ``max(m, 0)^n`` of the overlap
        ``m = xi . s / N``, or ``exp(beta N m)``. Ignored by the other variants.
    order : int
        The power ``n >= 2`` of the polynomial interactions.
    beta : float
        Steepness of the exponential interaction, ``> 0``.
    symmetric : float
        Weight of the symmetric part ``J^S`` (0: none), ``>= 0``.
    transition : float
        Weight of the transition part ``J^T`` (Sompolinsky & Kanter's ``lambda``),
        ``> 0``.
    delay : int
        Steps by which the transition synapses lag, ``>= 0``. Before the cue has
        travelled down them (``t < delay``) they carry nothing.
    cyclic : bool
        Default of ``store``: close every sequence into a cycle (last -> first).
    n_steps : int, optional
        Default number of steps of ``recall``; ``None``: the number of transitions of
        the longest stored sequence (one pass through it).
    topology : Topology, optional
        Connectivity of both coupling matrices (not used by ``"dense"``).
    sparse : bool, optional
        Force sparse or dense weights (default: from the topology's density).
    dtype : {"float64", "float32"}
        Weight and state dtype.
    seed : int, Generator or None
        Accepted (and validated) so that every model is built alike; storage and the
        synchronous dynamics are deterministic and draw nothing.

    Attributes
    ----------
    network_ : Network
        Populations ``"units"`` and ``"delayed"`` (the units' state ``delay`` steps
        earlier: a delay line), the transition synapse ``delayed -> units`` and, with a
        symmetric part, ``units -> units`` (not for ``"dense"``).
    patterns_ : ndarray, shape (n_stored_, N)
        Every stored pattern, sequence after sequence, in order.
    lengths_ : ndarray of int
        Length of each stored sequence.
    cyclic_ : ndarray of bool
        Whether each stored sequence was closed into a cycle.
    pre_, post_ : ndarray, shape (n_transitions, N)
        Every stored transition ``pre_[k] -> post_[k]``.

    Notes
    -----
    Several sequences are stored by passing a list of 2-D arrays (or a 3-D array) or by
    calling ``store`` again: each adds its own transitions, never one from the end of a
    sequence to the start of the next. Ties follow the project's law
    (:mod:`neuromem.ties`): a unit whose field is zero up to the rounding bound of the
    magnitudes summed into it (plus the computation error a rule declares for its
    weights, ``weight_atol_``: the pseudo-inverse's) keeps its state, and a masked
    unit (state 0) at a tie becomes +1.

    Examples
    --------
    >>> import neuromem as nm
    >>> X = nm.patterns.random_bipolar(10, 200, seed=0)
    >>> mem = nm.create("sequence", n_units=200).store(X, cyclic=True)
    >>> res = mem.recall(X[:1], n_steps=12)
    >>> res.trajectory["states"].shape
    (1, 13, 200)
    >>> int(res.trajectory["overlaps"][0, 12].argmax())  # 12 steps on: pattern 2
    2
    """

    #: ``variant`` decides how the stored couplings were formed, and ``cyclic`` (the
    #: default of ``store``) whether each stored sequence got its wrap-around
    #: transition: once something is stored, set_params refuses to change either (the
    #: couplings would silently stay those of the old value; from ``"dense"``, they
    #: would be missing: every field zero). The other sequence parameters (``order``,
    #: ``beta``, ``interaction``, ``symmetric``, ``transition``, ``delay``,
    #: ``n_steps``) are read at recall only; the symmetric couplings of a ``symmetric``
    #: set after store are built from the stored patterns when first needed.
    # Storage and recall draw nothing: the seed may change after store.
    _state_params: ClassVar[frozenset[str]] = (
        Memory._state_params | {"variant", "cyclic"}
    ) - {"seed"}

    def __neuromem_tags__(self) -> ModelTags:
        # Not an auto-associative memory: recall moves the cue along its sequence, so
        # a comparison reports it in a section of its own, not as pattern completion.
        return dataclasses.replace(
            super().__neuromem_tags__(),
            family="sequence memory",
            auto_associative=False,
            sequence=True,
            theory=("dense-sequence",) if self.variant == "dense" else ("sequence",),
        )

    def __init__(
        self,
        n_units: int,
        variant: str = "hebbian",
        interaction: str = "polynomial",
        order: int = 3,
        beta: float = 1.0,
        symmetric: float = 0.0,
        transition: float = 1.0,
        delay: int = 0,
        cyclic: bool = False,
        n_steps: int | None = None,
        topology: Topology | None = None,
        sparse: bool | None = None,
        dtype: str = "float64",
        seed: SeedLike = None,
    ):
        self.n_units = check_int(n_units, "n_units", low=1)
        self.variant = check_choice(variant, "variant", VARIANTS)
        self.interaction = check_choice(interaction, "interaction", INTERACTIONS)
        self.order = check_int(order, "order", low=2)
        self.beta = check_float(beta, "beta", low=0.0, low_inclusive=False)
        self.symmetric = check_float(symmetric, "symmetric", low=0.0)
        self.transition = check_float(
            transition, "transition", low=0.0, low_inclusive=False
        )
        self.delay = check_int(delay, "delay", low=0)
        self.cyclic = check_bool(cyclic, "cyclic")
        self.n_steps = n_steps if n_steps is None else check_int(n_steps, "n_steps", low=1)
        if check_topology(topology, self.n_units) is not None:
            if self.variant == "dense":
                raise ValidationError(
                    "topology",
                    described("a topology"),
                    "None for variant='dense' (it forms no pairwise couplings)",
                )
        self.topology = topology
        self.sparse = sparse if sparse is None else check_bool(sparse, "sparse")
        self.dtype = check_dtype(dtype).name
        self.seed = check_seed(seed)

    # -- construction -----------------------------------------------------------------
    def _build(self) -> None:
        if getattr(self, "patterns_", None) is not None:
            return
        n = self.n_units
        self.patterns_ = np.empty((0, n), dtype=self.dtype)
        self.pre_ = np.empty((0, n), dtype=self.dtype)
        self.post_ = np.empty((0, n), dtype=self.dtype)
        self.lengths_ = np.empty(0, dtype=np.int64)
        self.cyclic_ = np.empty(0, dtype=bool)
        self.n_stored_ = 0
        if self.variant == "dense":
            self.network_ = None
            return
        net = Network()
        units = net.add_population("units", n, "sign")
        delayed = net.add_population("delayed", n, "sign")
        hebb = self.variant == "hebbian"
        lr = 1.0 / n
        net.connect(
            delayed,
            units,
            topology=self.topology,
            sparse=self.sparse,
            rule=TemporalHebbian(learning_rate=lr) if hebb else PseudoInverse(False),
            dtype=self.dtype,
        )
        self.network_ = net
        if self.symmetric:
            self._connect_symmetric()

    def _connect_symmetric(self):
        """Add the symmetric synapse ``units -> units`` to the network; returns it."""
        hebb = self.variant == "hebbian"
        return self.network_.connect(
            "units",
            "units",
            topology=self.topology,
            sparse=self.sparse,
            rule=Hebbian(learning_rate=1.0 / self.n_units) if hebb else PseudoInverse(True),
            dtype=self.dtype,
        )

    @property
    def transition_synapse_(self):
        """The transition synapse ``delayed -> units`` (None for ``"dense"``)."""
        self._build()
        if self.network_ is None:
            return None
        return self.network_.synapse("delayed", "units")

    @property
    def symmetric_synapse_(self):
        """The symmetric synapse ``units -> units`` (None without a symmetric part)."""
        self._build()
        if self.network_ is None or not self.symmetric:
            return None
        if len(self.network_.synapses) > 1:  # the transition synapse is the first
            return self.network_.synapse("units", "units")
        # ``symmetric`` was 0 when the network was built and has been set since
        # (set_params). J^S depends on the stored patterns alone, and storing them all
        # at once equals storing them sequence by sequence (Hebb adds up, the
        # projection keeps every pattern): build it now rather than fail or ignore it.
        syn = self._connect_symmetric()
        if self.n_stored_:
            syn.learn(self.patterns_, self.patterns_)
        return syn

    def memory_estimate(self, work=None) -> int:
        """Bytes for ``work`` (:class:`neuromem.memory.Workload`): see
        :func:`neuromem.memory.sequence_estimate`."""
        pinv = self.variant == "pseudoinverse"
        return self._estimate(
            "sequence", work, rule=PseudoInverse if pinv else TemporalHebbian
        )

    # -- memory -----------------------------------------------------------------------
    def _sequences(self, sequence) -> list[np.ndarray]:
        if isinstance(sequence, list | tuple):
            items = list(sequence)
            if items and _nested_ndim(sequence) == 2:
                # Rows of numbers: one sequence given as nested lists (as every other
                # model accepts it), not a list of one-pattern "sequences".
                items = [sequence]
            if not items:
                raise ValidationError(
                    "sequence", described("an empty list"), "at least one sequence"
                )
        else:
            ndim = getattr(sequence, "ndim", None)
            if ndim is None and not hasattr(sequence, "toarray"):
                try:
                    ndim = np.ndim(sequence)
                except (TypeError, ValueError):
                    ndim = None  # check_patterns says what is wrong with it
            items = list(sequence) if ndim == 3 else [sequence]
            if not items:  # a 3-D array of no sequence would store nothing in silence
                raise ValidationError(
                    "sequence",
                    described(f"an empty array of shape {np.shape(sequence)}"),
                    "at least one sequence",
                )
        out = []
        for k, item in enumerate(items):
            name = "sequence" if len(items) == 1 else f"sequence[{k}]"
            x = check_patterns(
                item, name, n_units=self.n_units, encoding="bipolar", dtype=self.dtype
            )
            if len(x) < 2:
                raise ValidationError(
                    name,
                    described(f"a sequence of {len(x)} pattern"),
                    "a sequence of at least 2 patterns (one transition)",
                )
            out.append(x)
        return out

    def store(
        self, sequence, targets=None, *, cyclic: bool | None = None
    ) -> SequenceMemory:
        """Store one or several ordered sequences, adding to what is stored.

        Parameters
        ----------
        sequence : ndarray (T, n_units), list of such arrays, or ndarray (S, T, n_units)
            +/-1 patterns in the order they follow each other; a list of 2-D arrays
            (or a 3-D array) stores several sequences, each with its own transitions.
            Nested lists of numbers, ``T`` rows of ``n_units``, are one sequence.
        targets : None
            A sequence memory associates each pattern with its successor; there are no
            separate targets.
        cyclic : bool, optional
            Close each sequence into a cycle (its last pattern leads to its first);
            the model's ``cyclic`` by default.

        Returns
        -------
        SequenceMemory
            ``self``.
        """
        if targets is not None:
            raise ValidationError(
                "targets",
                described("a target set"),
                "None: each pattern of a sequence is the target of the one before",
            )
        cyclic = self.cyclic if cyclic is None else check_bool(cyclic, "cyclic")
        seqs = self._sequences(sequence)
        self._build()
        syn_t, syn_s = self.transition_synapse_, self.symmetric_synapse_
        if syn_s is None and self.network_ is not None and len(self.network_.synapses) > 1:
            # Built, but its weight set to 0 (set_params): keep it learning, so that a
            # symmetric part set back later holds every stored pattern.
            syn_s = self.network_.synapse("units", "units")
        for x in seqs:
            xc = np.concatenate([x, x[:1]]) if cyclic else x
            pre, post = xc[:-1], xc[1:]
            if syn_t is not None:
                if self.variant == "hebbian":
                    syn_t.learn(xc, xc)  # the rule pairs row t (pre) with row t + 1
                else:
                    syn_t.learn(pre, post)  # the projection keeps every pair it saw
            if syn_s is not None:
                syn_s.learn(x, x)
            self.pre_ = np.concatenate([self.pre_, pre])
            self.post_ = np.concatenate([self.post_, post])
            self.patterns_ = np.concatenate([self.patterns_, x])
            self.lengths_ = np.append(self.lengths_, len(x))
            self.cyclic_ = np.append(self.cyclic_, cyclic)
        self.n_stored_ = len(self.patterns_)
        return self

    def _fitted(self) -> None:
        if getattr(self, "patterns_", None) is None or not self.n_stored_:
            raise not_stored(self)

    def step(self, states: np.ndarray, delayed: np.ndarray | None = None) -> np.ndarray:
        """One synchronous update of states stored row-wise.

        Parameters
        ----------
        states : ndarray, shape (B, n_units)
            The states ``s(t)``.
        delayed : ndarray, shape (B, n_units), optional
            The states ``s(t - delay)`` the transition synapses carry; by default
            ``states`` itself (the step of a network without delay).

        Returns
        -------
        ndarray, shape (B, n_units)
            ``s(t + 1)``.
        """
        self._fitted()
        s = check_patterns(states, "states", n_units=self.n_units, dtype=self.dtype)
        d = (
            s
            if delayed is None
            else check_patterns(delayed, "delayed", n_units=self.n_units, dtype=self.dtype)
        )
        if d.shape != s.shape:
            raise ValidationError(
                "delayed", described(f"shape {d.shape}"), f"the shape of states, {s.shape}"
            )
        h, tol = self._field(s, d)
        return decide(h, s, tol)

    def recall(
        self,
        cues,
        *,
        n_steps: int | None = None,
        record: bool | str | tuple[str, ...] = True,
    ) -> RecallResult:
        """Run ``n_steps`` synchronous updates from each cue.

        Parameters
        ----------
        cues : ndarray, shape (B, n_units)
            Starting states: +/-1 patterns, or any finite values (0 for unknown
            units); after the first step every state is +/-1.
        n_steps : int, optional
            Number of updates ``T >= 1``; the model's ``n_steps`` by default (one pass
            through the longest stored sequence).
        record : bool, str or tuple of str
            What the trajectory keeps: ``True`` (default) for ``"states"`` and
            ``"overlaps"``, a name or names of those, or ``False`` for nothing.

        Returns
        -------
        RecallResult
            ``states``: the states after ``T`` steps. ``trajectory["states"]``
            ``(B, T + 1, N)`` (index 0 is the cue) and ``trajectory["overlaps"]``
            ``(B, T + 1, n_stored_)``, the overlap ``xi^mu . s / N`` with every stored
            pattern. ``steps`` is ``T`` for every cue; ``converged`` is True where the
            trajectory ended at a fixed point (the last ``delay + 2`` states are equal:
            the state stopped moving, which a sequence memory is meant not to do).
        """
        self._fitted()
        s = check_patterns(cues, "cues", n_units=self.n_units, dtype=self.dtype)
        if n_steps is None:
            n_steps = self.n_steps
        if n_steps is None:
            n_steps = int(np.max(self.lengths_ - 1 + self.cyclic_))
        n_steps = check_int(n_steps, "n_steps", low=1)
        keep = check_record(record, SEQUENCE_RECORDABLE)
        b, n = s.shape
        # The last delay + 2 states: the delayed input and the fixed-point test need them.
        window = self.delay + 2
        history = [s]
        traj = np.empty((b, n_steps + 1, n), dtype=s.dtype) if "states" in keep else None
        over = (
            np.empty((b, n_steps + 1, self.n_stored_), dtype=s.dtype)
            if "overlaps" in keep
            else None
        )
        x_t = np.ascontiguousarray(self.patterns_.T)
        plan = None if self.variant == "dense" else self._plan()

        def note(t, state):
            if traj is not None:
                traj[:, t] = state
            if over is not None:
                with np.errstate(over="ignore", invalid="ignore"):
                    o = (state @ x_t) / n
                    if not np.all(np.isfinite(o)):  # a huge cue: divide first
                        o = (state / n) @ x_t
                if not np.all(np.isfinite(o)):
                    raise ValidationError(
                        "cues",
                        described("a cue whose overlaps overflow " + str(s.dtype)),
                        "a cue of smaller magnitude (scale it into [-1, 1]), or "
                        "record='states'",
                    )
                over[:, t] = o

        note(0, s)
        for t in range(n_steps):  # time steps are sequential by definition
            now = history[-1]
            past = (
                now
                if self.delay == 0
                else (history[-1 - self.delay] if len(history) > self.delay else None)
            )
            h, tol = self._field(now, past, plan)
            new = decide(h, now, tol)
            history.append(new)
            if len(history) > window:
                history.pop(0)
            note(t + 1, new)
        final = history[-1]
        if n_steps + 1 >= window:
            converged = np.ones(b, dtype=bool)
            for old in history[:-1]:
                converged &= (old == final).all(axis=1)
        else:
            converged = np.zeros(b, dtype=bool)
        trajectory = None
        if keep:
            trajectory = {}
            if traj is not None:
                trajectory["states"] = traj
            if over is not None:
                trajectory["overlaps"] = over
        return RecallResult(
            final.copy(),
            np.full(b, n_steps, dtype=np.int64),
            converged,
            info={"n_steps": n_steps},
            trajectory=trajectory,
        )

    # -- persistence ------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        self._build()
        state: dict[str, Any] = {
            "patterns": self.patterns_,
            "pre": self.pre_,
            "post": self.post_,
            "lengths": self.lengths_,
            "cyclic": self.cyclic_.astype(np.int64),
            "n_stored": self.n_stored_,
        }
        for key, syn in (
            ("transition", self.transition_synapse_),
            ("symmetric", self.symmetric_synapse_),
        ):
            if syn is not None:
                state[f"{key}_weights"] = syn.weights
                state[f"{key}_rule"] = syn.rule.get_state()
        return state

    def _set_state(self, state: dict[str, Any]) -> None:
        self._build()
        self.patterns_ = np.asarray(state["patterns"], dtype=self.dtype)
        self.pre_ = np.asarray(state["pre"], dtype=self.dtype)
        self.post_ = np.asarray(state["post"], dtype=self.dtype)
        self.lengths_ = np.asarray(state["lengths"], dtype=np.int64)
        self.cyclic_ = np.asarray(state["cyclic"]).astype(bool)
        self.n_stored_ = check_int(state["n_stored"], "n_stored", low=0)
        # A file edited by hand (checksums recomputed) may hold arrays that do not fit
        # together: they would only fail at the next store or recall.
        n, pre, post = self.n_units, self.pre_, self.post_
        fits = pre.ndim == 2 and pre.shape == post.shape and pre.shape[1] == n
        fits = fits and self.patterns_.ndim == 2 and self.patterns_.shape[1] == n
        fits = (
            fits and self.lengths_.ndim == 1 and self.cyclic_.shape == self.lengths_.shape
        )
        fits = fits and int(self.lengths_.sum()) == len(self.patterns_)
        if not fits:
            raise ValidationError(
                "state",
                described(
                    f"stored sequences that do not fit together (pre {pre.shape}, post "
                    f"{post.shape}, patterns {self.patterns_.shape}, lengths "
                    f"{self.lengths_.shape}, cyclic {self.cyclic_.shape})"
                ),
                f"sequences of width n_units = {n}, one length and one cyclic flag each",
            )
        for key, syn in (
            ("transition", self.transition_synapse_),
            ("symmetric", self.symmetric_synapse_),
        ):
            if syn is None:
                continue
            w = state.get(f"{key}_weights")
            if w is None or w.shape != syn.layout.shape:
                raise ValidationError(
                    "weights",
                    described(f"stored {key} weights of shape {getattr(w, 'shape', None)}"),
                    f"weights matching the model, {syn.layout.shape}",
                )
            syn.set_weights(w)
            syn.rule.set_state(state.get(f"{key}_rule") or {})
