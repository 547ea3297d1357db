"""The linear associator: correlation-matrix memory (Anderson 1972; Kohonen 1972)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np

from ..neurons import Neuron, get_neuron
from ..random import SeedLike, check_seed
from ..rules.base import LearningRule
from ..rules.hebbian import Hebbian
from ..rules.pseudoinverse import PseudoInverse
from ..tags import ModelTags
from ..validation import (
    check_bool,
    check_dtype,
    check_float,
    check_int,
    check_pairs,
    check_patterns,
)
from .base import Memory, RecallResult, iterative_rule, transactional
from .keyvalue import KeyValueMemory

__all__ = ["LinearAssociator"]


class LinearAssociator(KeyValueMemory):
    """Correlation-matrix memory: ``W = eta * sum_mu y_mu x_mu^T``, recall ``y = f(W x)``.

    Keys ``x`` (``n_units`` wide) are mapped to values ``y`` (``n_out`` wide) through
    one feed-forward synapse set learned by the Hebbian rule. Recalling a stored key
    ``x_k`` gives its value plus crosstalk from every other pair::

        W x_k = eta |x_k|^2 y_k + eta sum_{mu != k} (x_mu . x_k) y_mu

    so orthogonal keys of equal norm are recalled exactly (with ``eta = 1 / |x|^2``,
    the default ``1 / n_units`` for +/-1 keys), and the crosstalk grows with the
    overlaps of the keys: for +/-1 keys and values it has variance
    ``sum_{mu != k} (x_mu . x_k / N)^2`` on every output unit.

    Parameters
    ----------
    n_units : int
        Width of the keys.
    n_out : int or None
        Width of the values; inferred from the first values stored (``n_units`` for
        auto-association).
    orthogonalize : bool
        Store with Kohonen's optimal linear associative memory instead,
        ``W = Y^T (X X^T)^+ X`` (the ``pseudoinverse`` rule): the keys are in effect
        orthogonalised, and every linearly independent key is recalled exactly.
    learning_rate : float or None
        Hebbian learning rate; ``None`` is ``1 / n_units``. Ignored with
        ``orthogonalize``.
    neuron : str or Neuron
        Output law ``f`` (``"linear"`` by default; ``"sign"`` cleans up +/-1 values).
    dtype : {"float64", "float32"}
        Weight dtype.
    seed : int, Generator or None
        Accepted for a uniform interface; the model is deterministic.

    Attributes
    ----------
    network_, n_out_, synapse_, weights_
        The network and its weights (see
        :class:`~neuromem.models.keyvalue.KeyValueMemory`).
    n_stored_ : int
        Number of pairs stored.
    """

    @property
    def kept_dtype(self) -> str | None:
        """For the memory estimates (:func:`neuromem.memory_rows.feedforward_estimate`):
        the dtype of the pairs kept. Hebb's rule keeps none (the weights are the
        memory); the pseudo-inverse rule keeps every pair in the weights' dtype, to
        recompute the weights at the next store."""
        return self.dtype if self.orthogonalize else None

    @property
    def recall_output_bytes(self) -> int:
        """For the memory estimates: bytes a recall holds per output value, the
        summed inputs and the output law's result in the weights' dtype and a
        boolean, and for the sign law ``np.where``'s int64 result before its copy in
        the dtype (``neurons.Sign``)."""
        itemsize = np.dtype(self.dtype).itemsize
        sign = get_neuron(self.neuron, "neuron").name == "sign"
        return 2 * itemsize + 1 + 8 * sign

    def __neuromem_tags__(self) -> ModelTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            family="Hebbian",
            encodings=("bipolar", "binary", "real"),
        )

    # The output law is applied at recall only, and nothing draws from the seed: both
    # may change after store.
    _state_params: ClassVar[frozenset[str]] = Memory._state_params - {"neuron", "seed"}

    def __init__(
        self,
        n_units: int,
        n_out: int | None = None,
        orthogonalize: bool = False,
        learning_rate: float | None = None,
        neuron: str | Neuron = "linear",
        dtype: str = "float64",
        seed: SeedLike = None,
    ):
        self.n_units = check_int(n_units, "n_units", low=1)
        self.n_out = n_out if n_out is None else check_int(n_out, "n_out", low=1)
        self.orthogonalize = check_bool(orthogonalize, "orthogonalize")
        if learning_rate is not None:
            check_float(learning_rate, "learning_rate", low=0.0)
        self.learning_rate = learning_rate
        get_neuron(neuron, "neuron")
        self.neuron = neuron
        self.dtype = check_dtype(dtype).name
        self.seed = check_seed(seed)

    def _make_rule(self) -> LearningRule:
        if self.orthogonalize:
            return PseudoInverse(zero_diagonal=False)
        lr = 1.0 / self.n_units if self.learning_rate is None else self.learning_rate
        return Hebbian(learning_rate=lr)

    def _build(self, n_out: int) -> None:
        if getattr(self, "network_", None) is not None:
            return
        self._connect(n_out, self.neuron, self._make_rule())
        self.n_stored_ = 0

    @transactional(when=iterative_rule)
    def store(self, keys, values=None) -> LinearAssociator:
        """Store ``keys -> values`` pairs (``values=None``: auto-association).

        Parameters
        ----------
        keys : ndarray, shape (P, n_units)
        values : ndarray, shape (P, n_out), optional
        """
        x, y = check_pairs(
            keys, values, n_units=self.n_units, n_out=self.n_out, dtype=self.dtype
        )
        self._learn_pairs(x, y)
        self.n_stored_ += len(x)
        return self

    def recall(self, cues) -> RecallResult:
        """One pass through the synapse: ``f(cues @ W.T)``.

        Parameters
        ----------
        cues : ndarray, shape (P, n_units)
            Keys, possibly noisy, row-wise.
        """
        s = check_patterns(cues, "cues", n_units=self.n_units, dtype=self.dtype)
        self._built_for_recall()
        # The model's current law (set_params may change it after store).
        states = get_neuron(self.neuron, "neuron")(self.synapse_.input(s))
        n = len(s)
        return RecallResult(
            np.asarray(states, dtype=self.dtype),
            np.ones(n, dtype=np.int64),
            np.ones(n, dtype=bool),
        )

    def _pair_state(self) -> dict[str, Any]:
        return {
            "n_out": self.n_out_,
            "n_stored": self.n_stored_,
            "rule": self.synapse_.rule.get_state(),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        if not state:
            return
        self._build(int(state["n_out"]))
        self.synapse_.set_weights(state["weights"])
        self.n_stored_ = int(state["n_stored"])
        self.synapse_.rule.set_state(state.get("rule") or {})
