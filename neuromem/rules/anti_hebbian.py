"""The anti-Hebbian rule: correlated activity weakens the connection."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..tags import RuleTags
from .base import LearningRule

__all__ = ["AntiHebbian"]


class AntiHebbian(LearningRule):
    """``dw_ij = - eta * post_i * pre_j``.

    The sign-reversed Hebb rule. On lateral connections it decorrelates the units
    it joins (Földiák 1990); applied to states a Hopfield network reaches from random
    starts, it is the "unlearning" of Hopfield, Feinstein & Palmer (1983) that removes
    spurious attractors.

    Parameters
    ----------
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`.

    Notes
    -----
    ``sequential = False``: the change does not depend on the weights, so a batch is
    summed in one matrix product, the same as presenting it one at a time (when there
    is no decay and there are no bounds).
    """

    #: Temporaries of a store, in copies of the weights (dense, sparse): the change
    #: matrix.
    store_temporaries = (1.0, 2.5)

    def __neuromem_tags__(self) -> RuleTags:
        return dataclasses.replace(super().__neuromem_tags__(), theory=("unlearning",))

    def compute(self, pre, post, w, layout, signal=None):
        d = layout.outer(post, pre)  # a fresh array: negated in place
        return np.negative(d, out=d)
