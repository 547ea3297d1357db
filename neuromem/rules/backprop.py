"""Backpropagation as a learning rule: ``dw_ij = - eta * delta_i * x_j``."""

from __future__ import annotations

import dataclasses

from ..tags import RuleTags
from .base import LearningRule

__all__ = ["Backprop"]


class Backprop(LearningRule):
    """Gradient descent on a loss, with the backpropagated error as third factor.

    The ``signal`` of a presentation is the error of the postsynaptic units,
    ``delta_i = dE/dz_i = dE/da_i * f'(z_i)`` (``z`` the summed input, ``a = f(z)``), and
    the change is ``- sum_b delta_bi * pre_bj``: minus the gradient ``dE/dw_ij``
    summed over the batch. It is Hebb's rule with the postsynaptic activity replaced by
    the error, which makes it non-local: the error of a hidden unit has to be sent back
    through the synapses above it (see :class:`neuromem.models.mlp.MLP`, which does
    that and turns the change into a step with an optimiser).

    Written with :meth:`~neuromem.layout.Layout.outer`, so it updates dense and
    sparse synapses alike (on a sparse synapse only existing connections change).

    Parameters
    ----------
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`. Inside an MLP the rule keeps
        ``learning_rate = 1``: it supplies the descent direction and the model's
        optimiser (SGD, momentum, Adam) owns the learning rate.

    Examples
    --------
    >>> import numpy as np, neuromem as nm
    >>> rule = nm.create_rule("backprop", learning_rate=0.5)
    >>> pre = np.array([[1.0, 2.0]]); delta = np.array([[0.1, -0.2, 0.3]])
    >>> rule.delta(pre, np.zeros((1, 3)), np.zeros((3, 2)), signal=delta)
    array([[-0.05, -0.1 ],
           [ 0.1 ,  0.2 ],
           [-0.15, -0.3 ]])
    """

    uses_signal = True

    def __neuromem_tags__(self) -> RuleTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            encodings=("real", "bipolar", "binary"),
            needs_signal=True,
            symmetric=False,
            theory=("catastrophic-interference",),
        )

    def compute(self, pre, post, w, layout, signal=None):
        # post is the layer's activity; the rule reads only its error (the signal).
        # Negating the (B, n_post) error is cheaper than negating the weight-sized result.
        return layout.outer(-signal, pre)
