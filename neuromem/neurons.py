"""Neuron laws: the ``f`` of ``a_j = f(sum_i w_ij x_i + b_j)`` and its derivative.

A law is a small frozen object holding parameters only. ``law(z)`` and
``law.derivative(z)`` act element-wise on arrays of any shape, so one call updates a
whole population (or a batch of populations).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import expit

from .errors import ValidationError
from .registry import Registry

__all__ = [
    "Linear",
    "Neuron",
    "ReLU",
    "Sigmoid",
    "Sign",
    "Step",
    "Tanh",
    "get_neuron",
    "list_neurons",
    "neurons",
]


@dataclass(frozen=True)
class Neuron:
    """Base class of neuron laws.

    Subclasses set ``name`` and implement :meth:`__call__` and :meth:`derivative`, both
    element-wise and vectorised.
    """

    name: ClassVar[str] = "neuron"
    #: Values the law's output can take: "bipolar", "binary" or "real".
    output: ClassVar[str] = "real"

    def __call__(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, z: np.ndarray) -> np.ndarray:
        """``f'(z)``, element-wise."""
        raise NotImplementedError


@dataclass(frozen=True)
class Sign(Neuron):
    """+1 where ``z >= 0``, -1 elsewhere. Its derivative is zero almost everywhere.

    Attractor models that must keep a unit's state on a zero field handle that tie
    themselves (see :mod:`neuromem.models.hopfield`).
    """

    name: ClassVar[str] = "sign"
    output: ClassVar[str] = "bipolar"

    def __call__(self, z):
        z = np.asarray(z)
        return np.where(z >= 0, 1, -1).astype(np.result_type(z.dtype, np.float32))

    def derivative(self, z):
        return np.zeros_like(np.asarray(z, dtype=float))


@dataclass(frozen=True)
class Step(Neuron):
    """1 where ``z > 0``, 0 elsewhere (Heaviside with H(0) = 0)."""

    name: ClassVar[str] = "step"
    output: ClassVar[str] = "binary"

    def __call__(self, z):
        z = np.asarray(z)
        return (z > 0).astype(np.result_type(z.dtype, np.float32))

    def derivative(self, z):
        return np.zeros_like(np.asarray(z, dtype=float))


@dataclass(frozen=True)
class Linear(Neuron):
    """``f(z) = slope * z``."""

    name: ClassVar[str] = "linear"
    slope: float = 1.0

    def __call__(self, z):
        return self.slope * np.asarray(z)

    def derivative(self, z):
        return np.full_like(np.asarray(z, dtype=float), self.slope)


@dataclass(frozen=True)
class ReLU(Neuron):
    """``f(z) = max(z, 0)``; ``f'(0)`` is taken as 0."""

    name: ClassVar[str] = "relu"

    def __call__(self, z):
        z = np.asarray(z)
        return np.maximum(z, 0)

    def derivative(self, z):
        z = np.asarray(z)
        return (z > 0).astype(np.result_type(z.dtype, np.float32))


@dataclass(frozen=True)
class Sigmoid(Neuron):
    """Logistic ``f(z) = 1 / (1 + exp(-z))``, computed without overflow."""

    name: ClassVar[str] = "sigmoid"

    def __call__(self, z):
        return expit(z)

    def derivative(self, z):
        s = expit(z)
        return s * (1 - s)


@dataclass(frozen=True)
class Tanh(Neuron):
    """``f(z) = tanh(z)``."""

    name: ClassVar[str] = "tanh"
    output: ClassVar[str] = "real"

    def __call__(self, z):
        return np.tanh(z)

    def derivative(self, z):
        t = np.tanh(z)
        return 1 - t * t


_LAWS: dict[str, type[Neuron]] = {
    cls.name: cls for cls in (Sign, Step, Linear, ReLU, Sigmoid, Tanh)
}
#: Neuron laws registered through the entry-point group ``neuromem.neurons``: the
#: spiking package's ``lif`` and any plugin's. The built-ins above come first and are
#: found without loading it (loading imports the spiking package, and with it numba).
neurons = Registry("neuromem.neurons", "neuron", "neuromem.neurons:Neuron")


def list_neurons() -> list[str]:
    """Names of the neuron laws: the built-ins and the registered ones."""
    return sorted(set(_LAWS) | set(neurons.names()))


def get_neuron(law: str | Neuron, name: str = "neuron", **params) -> Neuron:
    """Return a neuron law given by name (``"relu"``, ``"lif"``...) or as an instance.

    A name is looked up among the built-ins, then in the ``neuromem.neurons``
    registry; the law is built with ``params`` (its defaults for the rest), e.g.
    ``get_neuron("lif", tau_m=10.0)``. An instance comes back as it is (parameters
    with it are refused: they would be ignored).
    """
    if isinstance(law, Neuron):
        if params:
            raise ValidationError(
                f"{name}.{next(iter(params))}",
                params[next(iter(params))],
                "no parameters with a neuron instance (set them on the instance)",
            )
        return law
    if isinstance(law, str) and (law in _LAWS or law in neurons):
        cls = _LAWS[law] if law in _LAWS else neurons.get(law)
        known = inspect.signature(cls).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in known.values())
        for key, value in params.items():
            if key not in known and not takes_any:
                raise ValidationError(
                    f"{name}.{key}",
                    value,
                    f"a parameter of {law!r}: one of {sorted(known)}"
                    if known
                    else f"no parameters ({law!r} takes none)",
                )
        return cls(**params)
    raise ValidationError(
        name,
        law,
        "one of "
        + ", ".join(repr(n) for n in list_neurons())
        + " or a neuromem.neurons.Neuron instance",
    )
