"""The projection (pseudo-inverse) storage rule of Personnaz, Guyon & Dreyfus."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..tags import RuleTags
from ..validation import check_bool
from .base import LearningRule

__all__ = ["PseudoInverse"]


class PseudoInverse(LearningRule):
    """Projection rule: ``W = X^T (X X^T)^+ X``, the projector onto the stored patterns.

    For hetero-association (``post`` differs from ``pre``) it is the optimal linear
    associative memory of Kohonen, ``W = Y^T (X X^T)^+ X``, which maps every key to its
    value exactly when the keys are linearly independent.

    Every stored pattern ``xi`` satisfies ``W xi = xi``, so any linearly independent set
    (up to ``P = N``, load 1) is a set of fixed points, correlated patterns included:
    this is the rule for glyphs, whose pixels overlap far more than random patterns'.

    Parameters
    ----------
    zero_diagonal : bool
        Remove self-connections (default True). The projector's diagonal ``W_ii``
        grows like ``P / N`` and acts as a self-coupling that holds each unit in its
        current state: with it, many corrupted cues are already "fixed points" and the
        basins of attraction shrink; without it, stored patterns stay fixed points (the
        field becomes ``(1 - W_ii) xi_i``) and basins are large at small load (Kanter &
        Sompolinsky 1987). With False, the network must be given a topology with
        self-connections (``topology.complete(n, self_connections=True)``).
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`; the learning rate defaults to 1
        in a memory (the rule computes its target matrix directly).

    Notes
    -----
    The rule keeps every pair it was given (``pre_``, ``post_``) and recomputes the
    projector, so ``store`` can be called again: the result equals storing all patterns
    at once. Linearly dependent patterns are allowed: the Moore–Penrose pseudo-inverse
    gives the projector onto their span (a least-squares fallback), in which each of
    them is still a fixed point. On a diluted topology the projector is restricted to
    the existing connections. The cost per call is ``O(P^2 N + P N^2)``.
    """

    #: Temporaries of a store, in copies of the weights (dense, sparse): the
    #: projection's product and the change (its Gram matrix is counted apart).
    store_temporaries = (2.0, 2.8)
    #: Cached on a sparse layout, bytes per connection: the entries' rows.
    layout_cache = 8
    #: The Gram matrix of the patterns and its pseudo-inverse's eigendecomposition:
    #: five ``P x P`` arrays at the store's peak (tracemalloc).
    gram_arrays = 5

    def __neuromem_tags__(self) -> RuleTags:
        return dataclasses.replace(
            super().__neuromem_tags__(), incremental=False, theory=("pseudoinverse",)
        )

    def __init__(
        self,
        zero_diagonal: bool = True,
        **shared,
    ):
        super().__init__(**shared)
        self.zero_diagonal = check_bool(zero_diagonal, "zero_diagonal")
        self.pre_ = None
        self.post_ = None

    @classmethod
    def default_learning_rate(cls, n_pre: int) -> float:
        return 1.0

    def reset(self) -> None:
        self.pre_ = None
        self.post_ = None

    def compute(self, pre, post, w, layout, signal=None):
        x = pre if self.pre_ is None else np.concatenate([self.pre_, pre])
        y = post if self.post_ is None else np.concatenate([self.post_, post])
        self.pre_, self.post_ = x, y
        gram = x @ x.T
        gram_inv = np.linalg.pinv(gram, hermitian=True)
        # W = y^T G x = sum_mu (G y)_mu^T x_mu: evaluated only at existing connections.
        gy = gram_inv @ y
        target = layout.outer(gy, x)
        scale = float(np.abs(target).max()) if target.size else 0.0  # diagonal included
        if layout.shape[0] == layout.shape[1] and len(x):
            # The diagonal of the full projector, also where the layout holds no
            # self-connection (a sparse complete topology): without it the scale of a
            # full-rank set (W = I, every stored off-diagonal weight pure rounding of
            # about 1e-15) was that rounding itself, and the fields it left flipped
            # stored patterns.
            diag = np.einsum("mi,mi->i", gy, x)
            scale = max(scale, float(np.abs(diag).max()))
        if self.zero_diagonal and layout.shape[0] == layout.shape[1]:
            if layout.is_sparse:
                target[layout.rows == layout.cols] = 0
            else:
                np.fill_diagonal(target, 0)
        # Rounding error of the computed weights, absolute: about eps cond(G) times
        # their scale. A field that is exactly zero in exact arithmetic (a unit that
        # the stored patterns determine completely, every unit at P = N) comes out as
        # the sum of such errors; the dynamics count it as a tie (weight_atol_ is read
        # by neuromem.dynamics.tie_tolerances) instead of flipping a stored pattern.
        ev = np.abs(np.linalg.eigvalsh(gram))
        eps = np.finfo(target.dtype).eps
        kept = ev[ev > ev.max() * len(ev) * eps] if ev.size and ev.max() > 0 else ev
        cond = float(kept.max() / kept.min()) if kept.size else 1.0
        self.weight_atol_ = 4.0 * x.shape[1] * eps * cond * scale * abs(self.learning_rate)
        return target - w
