"""What the memories of ``keys -> values`` pairs through one synapse set share."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import ValidationError, described
from ..network import Network
from ..neurons import Neuron
from ..rules.base import LearningRule
from ..tags import ModelTags
from ..topology import complete
from .base import Memory, not_stored

__all__ = ["KeyValueMemory"]


class KeyValueMemory(Memory):
    """Base class of the feed-forward pair memories (linear associator, Willshaw net).

    A linear ``"keys"`` population, ``n_units`` wide, projects to a ``"values"``
    population, ``n_out_`` wide, through one dense synapse set, built by the
    subclass's ``_build(n_out)`` (through :meth:`_connect`) when the first pairs are
    stored, or at ``recall`` from the ``n_out`` parameter.

    Attributes
    ----------
    network_ : Network
        Populations ``"keys"`` and ``"values"`` and the synapse between them.
    n_out_ : int
        Width of the values.
    synapse_ : Synapse
        The keys -> values synapse set.
    weights_ : ndarray, shape (n_out_, n_units)
        Its live weight matrix.
    """

    def __neuromem_tags__(self) -> ModelTags:
        return dataclasses.replace(super().__neuromem_tags__(), hetero_associative=True)

    def _connect(self, n_out: int, neuron: str | Neuron, rule: LearningRule) -> None:
        """Build ``network_``: keys -> values through ``rule``, values under ``neuron``."""
        net = Network()
        keys = net.add_population("keys", self.n_units, "linear")
        values = net.add_population("values", n_out, neuron)
        net.connect(
            keys,
            values,
            topology=complete(n_out, n_pre=self.n_units, self_connections=True),
            sparse=False,
            rule=rule,
            dtype=self.dtype,
        )
        self.network_ = net
        self.n_out_ = n_out

    def _build(self, n_out: int) -> None:
        raise NotImplementedError

    def _pair_state(self) -> dict[str, Any]:
        """What the subclass keeps of the stored pairs beside the weights."""
        raise NotImplementedError

    def _get_state(self) -> dict[str, Any]:
        if getattr(self, "network_", None) is None:
            return {}  # nothing stored, nothing built
        return {"weights": self.synapse_.weights, **self._pair_state()}

    @property
    def synapse_(self):
        """The keys -> values synapse set."""
        return self.network_.synapse("keys", "values")

    @property
    def weights_(self) -> np.ndarray:
        """The memory matrix ``(n_out, n_units)``.

        The live matrix: a user may write into it (what the model derives from the
        weights is recomputed after each access). ``synapse_.weights`` is the pure,
        read-only view.
        """
        return self.synapse_.live_weights()

    def memory_estimate(self, work: Any = None) -> int:
        """Bytes for ``work`` (:class:`neuromem.memory.Workload`): see
        :func:`neuromem.memory_rows.feedforward_estimate`."""
        return self._estimate("feedforward", work)

    def _learn_pairs(self, x: np.ndarray, y: np.ndarray) -> None:
        """Learn checked pairs, building the network for the values' width first (and
        refusing values of another width than those stored before)."""
        self._build(y.shape[1])
        if y.shape[1] != self.n_out_:
            raise ValidationError(
                "values",
                described(f"values of width {y.shape[1]}"),
                f"the width of the values stored before, {self.n_out_}",
            )
        self.synapse_.learn(x, y)

    def _built_for_recall(self) -> None:
        """Build the network from ``n_out`` when nothing was stored yet (a recall of
        the empty memory); without ``n_out`` nothing says the values' width."""
        if getattr(self, "network_", None) is None:
            if self.n_out is None:
                raise not_stored(self, "recall")
            self._build(self.n_out)
