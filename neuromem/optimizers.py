"""Optimisers: how a learning rule's change of weights becomes a step.

A :class:`~neuromem.rules.backprop.Backprop` rule computes, for one synapse set, the
descent direction ``g = - dE/dW`` (and the model adds ``- dE/db`` for the bias). An
optimiser turns the directions of its parameters into steps and applies them in place:

- :class:`SGD` (the seed article's): ``p += lr * g``;
- :class:`Momentum` (heavy ball, as scikit-learn's non-Nesterov momentum):
  ``v = mu * v + lr * g; p += v``;
- :class:`Adam` (Kingma & Ba 2015): bias-corrected running means of ``g`` and ``g**2``,
  ``p += lr * m_hat / (sqrt(v_hat) + eps)``.

Each synapse set gets its own optimiser instance, so the state (velocities, moments,
step count) lives beside the weights it belongs to and is saved with the model. State
is kept in attributes ending in ``_``, cleared by :meth:`Optimizer.reset`.

Steps work in place, using the direction (a fresh array the caller no longer needs) as
the only work space, with Python-float scalars: a float32 model's step stays in float32
(a numpy float64 scalar would promote it) and allocates nothing. (scipy's BLAS
``axpy`` would fuse more, but it is a second OpenBLAS with its own threads, which fight
numpy's on a busy machine: ten times slower, measured.)
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from .errors import ValidationError
from .params import Parametrized, StatefulMixin
from .validation import check_choice, check_float

__all__ = ["OPTIMIZERS", "SGD", "Adam", "Momentum", "Optimizer", "get_optimizer"]


class Optimizer(StatefulMixin, Parametrized):
    """Base class: ``step(params, directions)`` updates ``params`` in place.

    Parameters
    ----------
    learning_rate : float
        Step size, ``> 0``.
    """

    name: ClassVar[str] = "optimizer"
    #: Learning rate used when the user gives none.
    default_learning_rate: ClassVar[float] = 0.01

    def __init__(self, learning_rate: float = 0.01):
        self.learning_rate = check_float(
            learning_rate, "learning_rate", low=0.0, low_inclusive=False
        )
        self.reset()

    def reset(self) -> None:
        """Forget the state kept between steps."""

    def step(self, params: list[np.ndarray], directions: list[np.ndarray]) -> None:
        """Apply one step to every array of ``params`` (in place).

        Parameters
        ----------
        params : list of ndarray
            The parameters (weight values, biases) of one synapse set.
        directions : list of ndarray
            The descent direction of each, ``-dE/dp`` (the rule's change).
        """
        raise NotImplementedError


class SGD(Optimizer):
    """Plain stochastic gradient descent, ``p += learning_rate * g``."""

    name = "sgd"
    default_learning_rate = 0.05

    def step(self, params, directions):
        lr = float(self.learning_rate)
        for p, g in zip(params, directions, strict=True):
            if lr != 1.0:
                g *= lr
            p += g


class Momentum(Optimizer):
    """Heavy-ball momentum: ``v = momentum * v + learning_rate * g``; ``p += v``.

    Parameters
    ----------
    learning_rate : float
        Step size.
    momentum : float
        Fraction of the previous step kept, in [0, 1).
    """

    name = "momentum"
    default_learning_rate = 0.02

    def __init__(self, learning_rate: float = 0.02, momentum: float = 0.9):
        self.momentum = check_float(
            momentum, "momentum", low=0.0, high=1.0, high_inclusive=False
        )
        super().__init__(learning_rate)

    def reset(self):
        self.velocity_ = None

    def step(self, params, directions):
        if self.velocity_ is None:
            self.velocity_ = [np.zeros_like(p) for p in params]
        mu, lr = float(self.momentum), float(self.learning_rate)
        for p, g, v in zip(params, directions, self.velocity_, strict=True):
            v *= mu
            g *= lr
            v += g
            p += v


class Adam(Optimizer):
    """Adam: steps scaled by running estimates of the gradient's first two moments.

    Parameters
    ----------
    learning_rate : float
        Step size (the largest change of a parameter per step, roughly).
    beta1, beta2 : float
        Decay rates of the first and second moment estimates, in [0, 1).
    eps : float
        Added to the root of the second moment, ``> 0``.
    """

    name = "adam"
    default_learning_rate = 0.005

    def __init__(
        self,
        learning_rate: float = 0.005,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ):
        self.beta1 = check_float(beta1, "beta1", low=0.0, high=1.0, high_inclusive=False)
        self.beta2 = check_float(beta2, "beta2", low=0.0, high=1.0, high_inclusive=False)
        self.eps = check_float(eps, "eps", low=0.0, low_inclusive=False)
        super().__init__(learning_rate)

    def reset(self):
        self.m_ = None
        self.v_ = None
        self.t_ = 0

    def step(self, params, directions):
        if self.m_ is None:
            self.m_ = [np.zeros_like(p) for p in params]
            self.v_ = [np.zeros_like(p) for p in params]
        self.t_ += 1
        b1, b2 = float(self.beta1), float(self.beta2)
        # Bias corrections folded into one scalar step size and one epsilon, as Python
        # floats: numpy float64 scalars would run a float32 model's step in float64.
        root = math.sqrt(1.0 - b2**self.t_)
        lr = float(self.learning_rate) * root / (1.0 - b1**self.t_)
        eps = float(self.eps) * root
        work = getattr(self, "_work", None)
        if (
            work is None
            or len(work) != len(params)
            or any(
                w.shape != p.shape or w.dtype != p.dtype
                for w, p in zip(work, params, strict=True)
            )
        ):
            # Scratch space, kept between steps (not state: never saved).
            work = self._work = [np.empty_like(p) for p in params]
        for p, g, m, v, w in zip(params, directions, self.m_, self.v_, work, strict=True):
            np.multiply(g, g, out=w)
            w *= 1.0 - b2
            v *= b2
            v += w  # v = b2 v + (1 - b2) g^2
            g *= 1.0 - b1
            m *= b1
            m += g  # m = b1 m + (1 - b1) g
            np.sqrt(v, out=g)
            g += eps
            np.divide(m, g, out=g)
            g *= lr
            p += g  # p += lr m / (sqrt(v) + eps)


#: Optimiser names and classes.
OPTIMIZERS: dict[str, type[Optimizer]] = {c.name: c for c in (SGD, Momentum, Adam)}


def get_optimizer(name: str, learning_rate: float | None = None, **options) -> Optimizer:
    """An optimiser by name (``"sgd"``, ``"momentum"``, ``"adam"``).

    ``learning_rate=None`` takes the optimiser's default.
    """
    name = check_choice(name, "optimizer", tuple(OPTIMIZERS))
    cls = OPTIMIZERS[name]
    if learning_rate is None:
        learning_rate = cls.default_learning_rate
    try:
        return cls(learning_rate=learning_rate, **options)
    except TypeError as exc:  # an option the optimiser does not take
        raise ValidationError("optimizer_options", options, f"options of {name}") from exc
