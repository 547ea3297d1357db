"""A recurrent network learned online by any local rule: Hebbian memory and palimpsests."""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from typing import Any

import numpy as np

from ..errors import ValidationError
from ..random import SeedLike
from ..registry import rules
from ..rules.base import LearningRule
from ..tags import ModelTags
from ..topology import Topology
from ..validation import check_patterns
from .hopfield import Hopfield

__all__ = ["HebbianMemory"]


class HebbianMemory(Hopfield):
    """Recurrent +/-1 network whose synapses learn online, one presentation at a time.

    Each stored pattern is clamped on the units and the synapse's local rule is applied
    to it (pre = post = the pattern), one pattern after the other, in order; recall is
    the attractor dynamics of :class:`~neuromem.models.hopfield.Hopfield`.

    With the plain Hebbian rule and unbounded, non-decaying synapses this is the
    Hopfield network (``W = X^T X / N``) and, like it, it loses every pattern at once
    when the load passes ``P / N ~ 0.138``. With bounded (``bounds``) or decaying
    (``decay``) synapses it is a *palimpsest* (Parisi 1986; Nadal, Toulouse, Changeux &
    Dehaene 1986): each new pattern overwrites part of the oldest traces, so recent
    patterns stay retrievable and old ones fade, whatever the number presented.

    Parameters
    ----------
    n_units : int
        Number of units ``N``.
    rule : str
        Any registered rule name (``"hebbian"``, ``"covariance"``, ``"oja"``,
        ``"bcm"``, ``"anti-hebbian"``, ...); a rule instance is deprecated.
    rule_options : dict, optional
        The rule's parameters: ``{"decay": 0.02}``, ``{"bounds": (-0.1, 0.1)}``,
        ``{"tau": 20}`` for BCM. Without ``learning_rate`` the rule's default for
        ``N`` inputs (``1 / N`` for Hebb). The one way to configure the rule.
    learning_rate, decay, bounds, soft_bounds
        Deprecated (``DeprecationWarning``): forwarded to the rule; put them in
        ``rule_options``.
    dynamics, max_steps, order, topology, sparse, dtype, seed
        As for :class:`~neuromem.models.hopfield.Hopfield`.

    Examples
    --------
    >>> import neuromem as nm
    >>> mem = nm.create("hebbian", n_units=100, rule_options={"decay": 0.02}, seed=0)
    >>> mem.store(nm.patterns.random_bipolar(200, 100, seed=1)).n_stored_
    200
    """

    def __neuromem_tags__(self) -> ModelTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            family="Hebbian",
            per_rule=False,
            variants=(),
            theory=(),
        )

    def __init__(
        self,
        n_units: int,
        rule: str | LearningRule = "hebbian",
        learning_rate: float | None = None,
        decay: float = 0.0,
        bounds: tuple[float, float] | None = None,
        soft_bounds: bool = False,
        rule_options: dict[str, Any] | None = None,
        dynamics: str = "sync",
        max_steps: int = 100,
        order: str = "random",
        topology: Topology | None = None,
        sparse: bool | None = None,
        dtype: str = "float64",
        seed: SeedLike = None,
    ):
        self.learning_rate = learning_rate
        self.decay = decay
        self.bounds = bounds
        self.soft_bounds = soft_bounds
        forwarded = self._forwarded()
        if forwarded:
            warnings.warn(
                f"the hebbian model's {', '.join(forwarded)} (forwarded to its rule) "
                f"is deprecated: pass rule_options={forwarded!r}",
                DeprecationWarning,
                stacklevel=3,
            )
        super().__init__(
            n_units,
            rule=rule,
            rule_options=rule_options,
            dynamics=dynamics,
            max_steps=max_steps,
            order=order,
            topology=topology,
            sparse=sparse,
            dtype=dtype,
            seed=seed,
        )

    def _forwarded(self) -> dict[str, Any]:
        """The rule options set on the model (defaults are left to the rule)."""
        out = {}
        if self.learning_rate is not None:
            out["learning_rate"] = self.learning_rate
        if not (
            isinstance(self.decay, numbers.Real)
            and not isinstance(self.decay, bool)
            and self.decay == 0
        ):
            out["decay"] = self.decay
        if self.bounds is not None:
            out["bounds"] = self.bounds
        if self.soft_bounds is not False:
            out["soft_bounds"] = self.soft_bounds
        return out

    def _make_rule(self) -> LearningRule:
        forwarded = self._forwarded()
        if isinstance(self.rule, LearningRule):
            if forwarded:
                raise ValidationError(
                    next(iter(forwarded)),
                    next(iter(forwarded.values())),
                    "the default when rule is a LearningRule instance (set it on the rule)",
                )
            return super()._make_rule()
        if not isinstance(self.rule_options, dict | type(None)):
            raise ValidationError("rule_options", self.rule_options, "a dict or None")
        both = sorted(set(forwarded) & set(self.rule_options or {}))
        if both:
            raise ValidationError(
                "rule_options",
                self.rule_options,
                f"no {', '.join(both)}: given as the model's own parameter(s)",
            )
        if isinstance(self.rule, str):
            rules.get(self.rule)  # an unknown name fails here, naming "rule"
        saved = self.rule_options
        self.rule_options = {**(saved or {}), **forwarded}
        try:
            return super()._make_rule()
        finally:
            self.rule_options = saved

    def memory_estimate(self, work=None) -> int:
        """Bytes for ``work`` (:class:`neuromem.memory.Workload`): see
        :func:`neuromem.memory.recurrent_estimate`."""
        return self._estimate("recurrent", work, online=True)

    def store(self, patterns, targets=None) -> HebbianMemory:
        """Present +/-1 patterns one at a time, in order, to the learning rule.

        Parameters
        ----------
        patterns : ndarray, shape (P, n_units)
            +/-1 patterns, row-wise; row ``P - 1`` is the most recent.
        targets : None
            The network is auto-associative.
        """
        if targets is not None:
            return super().store(patterns, targets)  # refuses, naming targets
        x = check_patterns(
            patterns, "patterns", n_units=self.n_units, encoding="bipolar", dtype=self.dtype
        )
        self._build()
        syn = self.synapse_
        for p in x:  # online learning: every presentation sees the weights the last left
            syn.learn(p, p)
        self.patterns_ = np.concatenate([self.patterns_, x])
        self.n_stored_ += len(x)
        return self
