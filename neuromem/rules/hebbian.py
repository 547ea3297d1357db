"""Hebb's rule: ``dw_ij = eta * post_i * pre_j``."""

from __future__ import annotations

from .base import LearningRule

__all__ = ["Hebbian"]


class Hebbian(LearningRule):
    """Hebbian learning, "cells that fire together wire together".

    ``dw_ij = learning_rate * sum_b post_bi * pre_bj``. Stored in a Hopfield network
    with ``learning_rate = 1 / N`` and no self-connections this is
    ``W = X^T X / N`` with a zero diagonal, accumulated across calls of ``store``.

    Parameters
    ----------
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`.
    """

    name = "hebbian"

    def compute(self, pre, post, w, layout, signal=None):
        return layout.outer(post, pre)

    def accumulate(self, w, pre, post, layout, signal, scale, fresh=False):
        # The change does not read w: accumulate in place (one BLAS call when dense).
        self._check_outer(post, pre, scale)
        layout.add_outer(w, post, pre, scale, overwrite=fresh)
