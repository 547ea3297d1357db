"""The covariance rule (Sejnowski 1977): Hebb on deviations from mean activity."""

from __future__ import annotations

import numbers

from ..errors import ValidationError
from ..validation import check_float
from .base import LearningRule

__all__ = ["Covariance"]


class Covariance(LearningRule):
    """``dw_ij = eta * (post_i - mean_post_i) * (pre_j - mean_pre_j)``.

    Subtracting mean activities lets biased (+/-1 with mean m) and sparse (0/1 with
    coding level a) patterns be stored without the crosstalk their common mean would
    otherwise add: this is the storage rule of Tsodyks & Feigel'man for sparse Hopfield
    networks, ``W = sum_mu (xi^mu - a)(xi^mu - a)^T / N``.

    Parameters
    ----------
    center : float or None
        ``None`` (default): subtract the mean activity of every unit over all
        presentations seen so far. The rule keeps running sums, and each call adds the
        exact correction for the means having moved, so storing a set in several calls
        gives the same weights as storing it at once: the covariance of everything seen.
        The correction assumes the weights hold exactly what this rule added: with
        ``decay`` or ``bounds`` the result is no longer the exact covariance (use a fixed
        ``center`` for bounded or decaying synapses).
        A number: subtract that fixed level (the coding level ``a`` of 0/1 patterns, or
        the mean ``m`` of biased +/-1 patterns), which makes the rule purely local.
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`.

    Attributes
    ----------
    count_ : int
        Presentations seen (running-mean mode).
    sum_pre_, sum_post_ : ndarray
        Running sums of activity (running-mean mode).
    """

    #: Temporaries of a store, in copies of the weights (dense, sparse): the centred
    #: activities' product and the change.
    store_temporaries = (2.1, 2.6)

    def __init__(
        self,
        center: float | None = None,
        **shared,
    ):
        super().__init__(**shared)
        if center is not None and not isinstance(center, numbers.Real):
            raise ValidationError("center", center, "None or a number")
        self.center = center if center is None else check_float(center, "center")
        self.reset()

    def reset(self) -> None:
        self.count_ = 0
        self.sum_pre_ = None
        self.sum_post_ = None

    def compute(self, pre, post, w, layout, signal=None):
        if self.center is not None:
            return layout.outer(post - self.center, pre - self.center)
        # sum (y - ybar)(x - xbar)^T = sum y x^T - n ybar xbar^T, so the change when a
        # batch arrives is its raw outer products, minus the new mean term, plus the
        # old one that the weights already hold.
        n_old = self.count_
        d = layout.outer(post, pre)
        if n_old:
            old = layout.outer(
                (self.sum_post_ / n_old)[None, :], (self.sum_pre_ / n_old)[None, :]
            )
            # Scaled in place: numpy does not reuse the temporary of ``n * float32
            # array``, which would be one more matrix at the store's peak.
            old *= n_old
            d += old
        self.count_ = n_old + len(pre)
        self.sum_pre_ = pre.sum(0) if self.sum_pre_ is None else self.sum_pre_ + pre.sum(0)
        self.sum_post_ = (
            post.sum(0) if self.sum_post_ is None else self.sum_post_ + post.sum(0)
        )
        n = self.count_
        new = layout.outer((self.sum_post_ / n)[None, :], (self.sum_pre_ / n)[None, :])
        new *= n
        d -= new
        return d
