"""Oja's rule: Hebb with a decay that keeps each weight vector at unit norm."""

from __future__ import annotations

import dataclasses

from ..tags import RuleTags
from .base import LearningRule

__all__ = ["Oja"]


class Oja(LearningRule):
    """``dw_ij = eta * post_i * (pre_j - post_i * w_ij)`` (Oja 1982).

    For a linear neuron, ``post = w . pre``, the weight vector converges to the
    unit-norm principal eigenvector of the input covariance (the input's correlation
    matrix for inputs that are not centred): Hebbian growth along the direction of
    largest variance, held at norm one by the ``- post**2 * w`` term.

    Parameters
    ----------
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`. The learning rate must be small
        against ``1 / lambda_max`` (the largest input eigenvalue) for convergence; much
        larger ones make the weights diverge, which is detected and reported.

    Notes
    -----
    ``sequential = True``: the decay term reads the current weights, so a batch given
    to :meth:`update` (and :meth:`Synapse.learn`) is applied one presentation at a
    time, exactly as an online neuron would learn it. :meth:`delta` on a batch returns
    the sum of the changes at the current weights (the batch-gradient form). The rule
    uses ``post`` as given: for the eigenvector result, compute it from the current
    weights before each presentation (``post = synapse.input(pre)``).
    """

    #: Temporaries of a store, in copies of the weights (dense, sparse): the decay term
    #: ``post**2 * w``; sparse, also the gathers of one presentation, each indexed
    #: through an intp copy of the int32 row or column indices.
    store_temporaries = (1.0, 1.2)

    sequential = True

    def __neuromem_tags__(self) -> RuleTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            encodings=("real", "bipolar", "binary"),
            symmetric=False,
            theory=("oja",),
        )

    def compute(self, pre, post, w, layout, signal=None):
        if len(pre) == 1:
            # One presentation, as update() applies it: y_i (x_j - y_i w_ij) built in
            # a single temporary, which keeps the rule close to a bare outer product.
            y = post[0]
            d = layout.post(-y) * w
            d += layout.pre(pre[0])
            d *= layout.post(y)
            return d
        d = layout.outer(post, pre)
        d -= layout.post((post * post).sum(0)) * w
        return d
