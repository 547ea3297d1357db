"""The Tsodyks-Feigel'man rule: sparse 0/1 patterns centred on their coding level."""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from ..errors import ValidationError
from ..tags import RuleTags
from ..validation import check_choice, check_float
from .base import LearningRule

__all__ = ["TsodyksFeigelman"]

CENTERINGS = ("global", "unit")


def _scale(v: float) -> float:
    """Normalisation ``a (1 - a)``; 1 for a pattern set without variance (then every
    centred pattern is zero, so the weights are zero whatever the scale)."""
    return v if v > 0.0 else 1.0


class TsodyksFeigelman(LearningRule):
    """``w_ij = sum_mu (xi_i - a)(xi_j - a) / (N a (1 - a))`` for 0/1 patterns.

    The storage rule of Tsodyks & Feigel'man (1988) for sparse Hopfield networks:
    Hebb's rule on patterns centred on their coding level ``a``, the fraction of
    active units over every stored pattern and unit, and normalised so that the
    field of a stored pattern is ``xi_i - a`` plus crosstalk (``1 - a`` on its active
    units, ``-a`` on its silent ones). A memory gives it the learning rate ``1 / N``.

    Centring on one global level keeps the signal of every unit: a unit active in
    all stored patterns (or in none) still gets the weights that hold it there.
    Centring each unit on its own mean (``centering="unit"``, which is the
    ``covariance`` rule normalised alike) removes such a unit's weights entirely, so
    the patterns that need it are lost: with few patterns, or one, it cannot store
    them (one sparse pattern gives all-zero weights).

    Parameters
    ----------
    coding_level : float or None
        ``None`` (default): ``a`` is the mean activity of everything presented so far.
        The rule keeps running sums and each call adds the exact correction for the
        level (and the normalisation) having moved, so storing a set in several calls
        gives the same weights as storing it at once. The correction assumes the
        weights hold exactly what this rule added: with ``decay`` or ``bounds`` give a
        fixed level. A number in (0, 1): that level, fixed, which makes the rule
        purely local (each pattern adds ``(xi - a)(xi - a)^T / (a (1 - a))``).
    centering : {"global", "unit"}
        ``"global"``: subtract ``a`` from every unit. ``"unit"``: subtract each
        unit's own mean activity (running mode only); the normalisation stays
        ``a (1 - a)`` with the global ``a``.
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`.

    Attributes
    ----------
    count_ : int
        Presentations seen (running mode).
    sum_pre_, sum_post_ : ndarray
        Running sums of activity per unit (running mode).
    coding_level_ : float
        The coding level in use (of the presynaptic activity; for auto-association
        the coding level of the stored patterns). NaN before anything was stored.

    Notes
    -----
    With a pattern set of coding level 0 or 1 (all silent, all active) the centred
    patterns are zero and so are the weights.

    Examples
    --------
    >>> import numpy as np, neuromem as nm
    >>> x = np.array([[0, 1, 0, 1, 0, 1, 0, 1, 0, 1], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]])
    >>> mem = nm.create("hopfield", n_units=10, units="binary").store(x)
    >>> bool((mem.recall(x).states == x).all())
    True
    """

    #: Temporaries of a store, in copies of the weights (dense, sparse): the centred 0/1
    #: product (sparse: with the intp copies of the int32 indices its gathers index
    #: through; measured with tracemalloc at N = 1000, 2000, K = 8).
    store_temporaries = (1.1, 4.0)

    def __neuromem_tags__(self) -> RuleTags:
        return dataclasses.replace(
            super().__neuromem_tags__(), encodings=("binary",), theory=("sparse-tsodyks",)
        )

    def __init__(
        self,
        coding_level: float | None = None,
        centering: str = "global",
        **shared,
    ):
        super().__init__(**shared)
        if coding_level is not None:
            if not isinstance(coding_level, numbers.Real) or isinstance(coding_level, bool):
                raise ValidationError("coding_level", coding_level, "None or a number")
            coding_level = check_float(
                coding_level,
                "coding_level",
                low=0.0,
                high=1.0,
                low_inclusive=False,
                high_inclusive=False,
            )
        self.coding_level = coding_level
        self.centering = check_choice(centering, "centering", CENTERINGS)
        if coding_level is not None and self.centering == "unit":
            raise ValidationError(
                "centering",
                centering,
                "'global' when coding_level is fixed (per-unit means are running means)",
            )
        self.reset()

    def reset(self) -> None:
        self.count_ = 0
        self.sum_pre_ = None
        self.sum_post_ = None
        self.coding_level_ = (
            float("nan") if self.coding_level is None else float(self.coding_level)
        )

    def _centres(self, n, s_pre, s_post):
        """Centre vectors of pre and post and the normalisation, after ``n`` presentations."""
        a_pre = s_pre.sum() / (n * len(s_pre))
        a_post = s_post.sum() / (n * len(s_post))
        g = _scale(float(np.sqrt(a_pre * (1 - a_pre) * a_post * (1 - a_post))))
        if self.centering == "unit":
            return s_pre / n, s_post / n, g, a_pre
        return (
            np.full_like(s_pre, a_pre),
            np.full_like(s_post, a_post),
            g,
            a_pre,
        )

    def compute(self, pre, post, w, layout, signal=None):
        if self.coding_level is not None:
            a = self.coding_level
            return layout.outer(post - a, pre - a) / (a * (1.0 - a))
        # C = sum (y - c_y)(x - c_x)^T = sum y x^T - c_y S_x^T - S_y c_x^T + n c_y c_x^T
        # (S the activity sums). The change from C_old / g_old to C_new / g_new is the
        # batch's raw products and the rank-one corrections, and the old weights
        # rescaled: all in one product of stacked rows.
        n0 = self.count_
        n1 = n0 + len(pre)
        s_pre1 = pre.sum(0) if n0 == 0 else self.sum_pre_ + pre.sum(0)
        s_post1 = post.sum(0) if n0 == 0 else self.sum_post_ + post.sum(0)
        cx1, cy1, g1, a1 = self._centres(n1, s_pre1, s_post1)
        rows_post = [post, -cy1[None], -s_post1[None], n1 * cy1[None]]
        rows_pre = [pre, s_pre1[None], cx1[None], cx1[None]]
        g0 = g1
        if n0:
            cx0, cy0, g0, _ = self._centres(n0, self.sum_pre_, self.sum_post_)
            rows_post += [cy0[None], self.sum_post_[None], -n0 * cy0[None]]
            rows_pre += [self.sum_pre_[None], cx0[None], cx0[None]]
        d = layout.outer(
            np.concatenate(rows_post).astype(w.dtype, copy=False),
            np.concatenate(rows_pre).astype(w.dtype, copy=False),
        )
        d /= g1
        if g0 != g1 and self.learning_rate > 0:
            # The weights hold learning_rate * C_old / g_old: rescale them to g_new.
            d += w * ((g0 / g1 - 1.0) / self.learning_rate)
        self.count_ = n1
        self.sum_pre_, self.sum_post_ = s_pre1, s_post1
        self.coding_level_ = float(a1)
        return d
