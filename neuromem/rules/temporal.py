"""The temporal Hebbian rule: ``dw_ij = eta * s_i(t + 1) * s_j(t)``."""

from __future__ import annotations

import dataclasses

from ..errors import ValidationError, described
from ..tags import RuleTags
from .base import LearningRule

__all__ = ["TemporalHebbian"]


class TemporalHebbian(LearningRule):
    """Hebb across one time step: the presynaptic state at ``t``, the postsynaptic at ``t + 1``.

    The rows of a batch are consecutive time steps of one trajectory, not independent
    presentations: ``dw_ij = learning_rate * sum_t post_(t+1),i * pre_t,j`` over
    ``t = 0 .. B - 2``. Stored with ``learning_rate = 1 / N`` in a recurrent synapse
    (``learn(X, X)``) this is the asymmetric sequence coupling
    ``W = (1 / N) sum_mu xi^(mu+1) xi^mu^T`` (Amari 1972; Sompolinsky & Kanter 1986),
    under which the synchronous update ``s <- sign(W s)`` steps from each pattern of
    the sequence to the next.

    A single presentation (a 1-D row, or a batch of one row) holds no transition, so
    it is refused rather than stored as nothing: present a whole sequence at once. To
    close a cycle, present the sequence with its first row appended at the end.

    Parameters
    ----------
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`.

    Examples
    --------
    >>> import numpy as np, neuromem as nm
    >>> X = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    >>> nm.create_rule("temporal-hebbian").delta(X, X, np.zeros((2, 2)))
    array([[ 0.,  2.],
           [-2.,  2.]])
    """

    #: Temporaries of a store, in copies of the weights (dense, sparse): the shifted
    #: product, added in place when dense.
    store_temporaries = (0.0, 2.0)

    def __neuromem_tags__(self) -> RuleTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            temporal=True,
            symmetric=False,
            theory=("sequence",),
        )

    @staticmethod
    def _check_transition(pre) -> None:
        if len(pre) < 2:
            raise ValidationError(
                "pre",
                described("a single row (no transition)"),
                "a batch of at least 2 consecutive states, one row per time step: the "
                "rule learns the step from row t to row t + 1, so present the whole "
                "sequence in one call",
            )

    def compute(self, pre, post, w, layout, signal=None):
        self._check_transition(pre)
        return layout.outer(post[1:], pre[:-1])

    def accumulate(self, w, pre, post, layout, signal, scale, fresh=False):
        # The change does not read w: accumulate in place (one BLAS call when dense).
        self._check_transition(pre)
        post, pre = post[1:], pre[:-1]
        self._check_outer(post, pre, scale)
        layout.add_outer(w, post, pre, scale, overwrite=fresh)
