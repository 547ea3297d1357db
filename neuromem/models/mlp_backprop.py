"""The MLP's forward pass, loss and gradients (backpropagation), and its output encodings."""

from __future__ import annotations

import numpy as np

from ..errors import ValidationError, described
from ..validation import (
    check_patterns,
)
from .mlp_training import (
    _ENC_VALUES,
)


class Backpropagation:
    """The MLP's forward pass, loss and gradients (backpropagation), and its output encodings."""

    def _loss_for(self, encoding: str) -> str:
        if self.loss != "auto":
            return self.loss
        if encoding != "real" and self.output_activation in ("auto", "sigmoid"):
            return "bce"
        return "mse"

    def _output_law(self, encoding: str) -> str:
        if self.output_activation != "auto":
            return self.output_activation
        if self._loss_for(encoding) == "bce" or encoding == "binary":
            return "sigmoid"
        return "tanh" if encoding == "bipolar" else "linear"

    # -- encodings ----------------------------------------------------------------------
    @property
    def _sigmoid_out(self) -> bool:
        return self.synapses_[-1].post.neuron.name == "sigmoid"

    def _to_out(self, t: np.ndarray) -> np.ndarray:
        """Targets in the output units' range (+/-1 read as 0/1 by sigmoid outputs)."""
        if self.encoding_ == "bipolar" and self._sigmoid_out:
            return (t + 1) / 2
        return t

    def _from_out(self, y: np.ndarray) -> np.ndarray:
        if self.encoding_ == "bipolar" and self._sigmoid_out:
            return 2 * y - 1
        return y

    def _decode(self, y: np.ndarray) -> np.ndarray:
        """Outputs to the nearer of the encoding's two values (identity for real)."""
        if self.encoding_ == "real":
            return self._from_out(y)
        lo, hi = _ENC_VALUES[self.encoding_]
        mid = self._to_out(np.asarray((lo + hi) / 2))
        # where's float64 result is fresh: converted only for a float32 model.
        return np.where(y >= mid, hi, lo).astype(y.dtype, copy=False)

    # -- forward and backward -----------------------------------------------------------
    def _forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        zs, acts = [], [x]
        for syn in self.synapses_:
            z = syn.input(acts[-1])
            zs.append(z)
            acts.append(syn.post.activate(z))
        return zs, acts

    def _loss(self, z: np.ndarray, a: np.ndarray, t: np.ndarray) -> float:
        b = len(t)
        if self.loss_ == "bce":
            # -[t log a + (1 - t) log(1 - a)] with a = sigmoid(z), without overflow.
            return float(np.sum(np.logaddexp(0.0, z) - t * z) / b)
        d = a - t
        return float(np.einsum("ij,ij->", d, d) / (2 * b))

    def _backward(self, zs, acts, t) -> list[tuple[np.ndarray, np.ndarray]]:
        """Descent directions ``(-dE/dW, -dE/db)`` of every synapse, bottom first."""
        b = len(t)
        syns = self.synapses_
        delta = acts[-1] - t
        if self.loss_ == "mse":
            delta *= syns[-1].post.neuron.derivative(zs[-1])
        # With sigmoid outputs and cross-entropy, dE/dz = a - t exactly.
        delta /= b
        out: list[tuple[np.ndarray, np.ndarray]] = [None] * len(syns)  # type: ignore[list-item]
        for k in range(len(syns) - 1, -1, -1):
            syn = syns[k]
            dw = syn.rule.compute(acts[k], acts[k + 1], syn.values, syn.layout, delta)
            out[k] = (dw, -delta.sum(axis=0))
            if k:
                delta = syn.layout.transpose_field(syn.values, delta)
                delta *= syns[k - 1].post.neuron.derivative(zs[k - 1])
        return out

    def loss_value(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        """The training loss ``E`` of the current network on ``inputs -> targets``.

        ``targets`` are in the patterns' encoding (as given to ``store``).
        """
        x, t = self._check_pair(inputs, targets)
        zs, acts = self._forward(x)
        return self._loss(zs[-1], acts[-1], self._to_out(t))

    def gradients(
        self, inputs: np.ndarray, targets: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Backpropagated ``(dE/dW, dE/db)`` of every synapse set, bottom first.

        Parameters
        ----------
        inputs : ndarray, shape (B, n_units)
        targets : ndarray, shape (B, n_out), in the patterns' encoding.
        """
        x, t = self._check_pair(inputs, targets)
        zs, acts = self._forward(x)
        return [(-dw, -db) for dw, db in self._backward(zs, acts, self._to_out(t))]

    def _check_pair(self, inputs, targets):
        self._require_fitted()
        x = check_patterns(inputs, "inputs", n_units=self.n_units, dtype=self.dtype)
        t = check_patterns(targets, "targets", n_units=self.n_out_, dtype=self.dtype)
        if len(t) != len(x):
            raise ValidationError(
                "targets", described(f"{len(t)} rows"), f"one per input ({len(x)})"
            )
        return x, t

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """The network's outputs for ``inputs``, in the output units' range.

        Parameters
        ----------
        inputs : ndarray, shape (B, n_units)

        Returns
        -------
        ndarray, shape (B, n_out)
        """
        self._require_fitted()
        x = check_patterns(inputs, "inputs", n_units=self.n_units, dtype=self.dtype)
        return self._forward(x)[1][-1]
