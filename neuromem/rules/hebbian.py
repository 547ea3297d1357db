"""Hebb's rule: ``dw_ij = eta * post_i * pre_j``."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..tags import RuleTags
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

    #: Temporaries of a store, in copies of the weights (dense, sparse): no temporary of
    #: the weights' size (dense: one product added in place; sparse: compiled, or one
    #: product of the kept entries).
    store_temporaries = (0.0, 1.0)

    def __neuromem_tags__(self) -> RuleTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            theory=("hopfield-hebbian", "one-step-error", "perfect-recall"),
        )

    def compute(self, pre, post, w, layout, signal=None):
        return layout.outer(post, pre)

    def accumulate(self, w, pre, post, layout, signal, scale, fresh=False):
        # The change does not read w: accumulate in place (one BLAS call when dense).
        self._check_outer(post, pre, scale)
        if fresh and post is pre and scale > 0 and self._exact_gram(pre, w):
            # Write the Gram matrix X^T X unscaled and scale it once. The layout's
            # fast path scales by sqrt(scale) on both sides, so a weight that cancels
            # exactly (x_i x_j summing to 0) came out as +/-1e-16 and a row of such
            # weights (a unit every pattern pair cancels on, N = 2) held fields of
            # pure rounding, which the tie tolerance (relative to sum |w|) took for
            # real ones. For +/-1 and 0/1 patterns X^T X is exact (integers).
            layout.add_outer(w, post, pre, 1.0, overwrite=True)
            w *= scale
            return
        layout.add_outer(w, post, pre, scale, overwrite=fresh)

    @staticmethod
    def _exact_gram(x, w) -> bool:
        """Whether the unscaled Gram matrix of ``x`` may be written into dense ``w``:
        its entries, at most ``B max|x|^2``, stay far inside the dtype's range."""
        if not isinstance(w, np.ndarray) or w.ndim != 2 or x.dtype != w.dtype:
            return False
        big = max(float(x.max(initial=0.0)), -float(x.min(initial=0.0)))
        return len(x) * big * big < float(np.finfo(w.dtype).max) / 4
