"""The BCM rule (Bienenstock, Cooper & Munro 1982): Hebb with a sliding threshold."""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from ..errors import ValidationError
from ..tags import RuleTags
from ..validation import check_float
from .base import LearningRule

__all__ = ["BCM"]


class BCM(LearningRule):
    """``dw_ij = eta * post_i * (post_i - theta_i) * pre_j``, ``theta_i`` sliding.

    Activity above a unit's threshold ``theta_i`` potentiates its active inputs,
    activity below depresses them. The threshold follows the recent mean of
    ``post_i**2``::

        theta_i <- theta_i + (post_i**2 - theta_i) / tau

    after every presentation, so it rises faster than the response it tracks: a unit
    that responds to everything raises its threshold until only one input pattern is
    above it, and becomes selective to that pattern.

    Parameters
    ----------
    tau : float
        Time constant of the threshold, in presentations (``>= 1``). It must be short
        against the weights' time scale (``1 / learning_rate``) for the selective
        states to be stable.
    theta0 : float or None
        Initial threshold of every unit; ``None`` starts it at the first
        presentation's ``post**2``.
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`.

    Attributes
    ----------
    theta_ : ndarray of shape (n_post,) or None
        The sliding thresholds (rule state, saved with a model and cleared by
        :meth:`reset`).

    Notes
    -----
    ``sequential = True``: the threshold moves after every presentation, so a batch
    given to :meth:`update` is applied one presentation at a time. :meth:`delta` on a
    batch sums the changes at the current threshold, then slides the threshold through
    the batch in order.
    """

    #: Temporaries of a store, in copies of the weights (dense, sparse): the change
    #: matrix.
    store_temporaries = (1.1, 1.9)

    sequential = True

    def __neuromem_tags__(self) -> RuleTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            encodings=("real", "binary", "bipolar"),
            symmetric=False,
            theory=("bcm",),
        )

    def __init__(
        self,
        tau: float = 10.0,
        theta0: float | None = None,
        **shared,
    ):
        super().__init__(**shared)
        self.tau = check_float(tau, "tau", low=1.0)
        if theta0 is not None and not isinstance(theta0, numbers.Real):
            raise ValidationError("theta0", theta0, "None or a finite number >= 0")
        self.theta0 = theta0 if theta0 is None else check_float(theta0, "theta0", low=0.0)
        self.reset()

    def reset(self) -> None:
        self.theta_ = None

    def compute(self, pre, post, w, layout, signal=None):
        theta = self.theta_
        if theta is None:
            theta = (
                post[0] * post[0]
                if self.theta0 is None
                else np.full(post.shape[1], self.theta0, dtype=post.dtype)
            )
        phi = post * (post - theta)
        d = layout.outer(phi, pre)
        rate = 1.0 / self.tau
        for y in post:  # a batch slides the threshold presentation by presentation
            theta = theta + rate * (y * y - theta)
        self.theta_ = theta
        return d
