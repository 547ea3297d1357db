"""Perceptron storage: each unit learns its incoming weights to a margin kappa."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from ..errors import ConvergenceWarning, outside_package
from ..progress import steps as long_loop
from ..tags import RuleTags
from ..validation import check_bool, check_float, check_int
from .base import LearningRule

__all__ = ["Perceptron"]


class Perceptron(LearningRule):
    """Perceptron learning of every unit's incoming weights (Gardner 1988).

    Each postsynaptic unit ``i`` is a perceptron that must give every stored pair the
    right sign with a margin: the stability ``Delta = y_i (w_i . x) / |w_i|`` (Gardner's
    normalisation, of order one for +/-1 patterns) must reach ``kappa``. Every epoch
    adds ``learning_rate * y_i x`` for every pair and unit still below the margin (a
    batch perceptron step; from zero weights the first epoch is Hebb's rule), until all
    margins are met or ``max_epochs`` epochs have passed. Zero-margin stable fixed
    points exist up to the Gardner bound ``alpha = P / N = 2`` for any couplings, and
    the perceptron finds them whenever they exist.

    Parameters
    ----------
    kappa : float
        Margin (stability) to reach, ``>= 0``. Larger margins give larger basins and
        lower capacity (``alpha_c(kappa) < 2`` for ``kappa > 0``).
    symmetric : bool
        Keep the couplings symmetric: every step changes ``w_ij`` and ``w_ji`` by the
        same amount, ``(err_i x_j + x_i err_j) / 2`` (auto-association, square synapse).
        Symmetric couplings keep a Lyapunov energy for asynchronous recall.
    max_epochs : int
        Largest number of epochs per call of ``store``.
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`; ``learning_rate`` (``1 / N`` in
        a memory) is the step size, and decay acts once per epoch.

    Attributes
    ----------
    pre_, post_ : ndarray
        Every pair stored so far; each ``store`` trains on all of them, starting from
        the current weights, so storage is incremental.
    epochs_ : int
        Epochs the last training ran.
    converged_ : bool
        Whether the last training met every margin. When it did not, ``update`` (and
        so a memory's ``store``) warns :class:`~neuromem.ConvergenceWarning` naming
        ``max_epochs`` and the fraction of patterns stored.
    stored_fraction_ : float
        Fraction of the stored pairs whose every unit meets the margin after the last
        training (1 when it converged).

    Notes
    -----
    :meth:`delta` returns one epoch's change at fixed weights (a local rule: each
    weight's change depends on its own unit's field and norm); :meth:`update`, which a
    memory's ``store`` calls, iterates it. On diluted weights each unit learns with the
    connections it has.
    """

    #: Temporaries of a store, in copies of the weights (dense, sparse): the change
    #: matrix and the fields of an epoch.
    store_temporaries = (1.1, 4.6)
    kept_patterns = 2  # pre_ and post_, for later epochs
    #: Sparse: the row of every entry (int32), kept by the layout once a batch's
    #: products are gathered from one dense product (tracemalloc).
    layout_cache = 4

    def __neuromem_tags__(self) -> RuleTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            encodings=("bipolar",),
            symmetric=self.symmetric,
            theory=("gardner",),
        )

    def __init__(
        self,
        kappa: float = 0.0,
        symmetric: bool = False,
        max_epochs: int = 1000,
        **shared,
    ):
        super().__init__(**shared)
        self.kappa = check_float(kappa, "kappa", low=0.0)
        self.symmetric = check_bool(symmetric, "symmetric")
        self.max_epochs = check_int(max_epochs, "max_epochs", low=1)
        self.reset()

    def reset(self) -> None:
        self.pre_ = None
        self.post_ = None
        self.epochs_ = 0
        self.converged_ = False
        self.stored_fraction_ = float("nan")

    @property
    def recurrent(self) -> bool:
        """A symmetric perceptron changes w_ij and w_ji together: square synapses only."""
        return self.symmetric

    def compute(self, pre, post, w, layout, signal=None):
        h = layout.field(w, pre)
        norm = np.sqrt(layout.field(w * w, np.ones((1, layout.shape[1]), w.dtype))[0])
        # The margin is scale-free (stability, not raw field), so the step size only
        # sets how fast the weights grow relative to where they started.
        err = np.where(post * h <= self.kappa * norm, post, 0.0)
        self._violations = int(np.count_nonzero(err))
        if self.symmetric:
            return 0.5 * (layout.outer(err, pre) + layout.outer(pre, err))
        return layout.outer(err, pre)

    def update(self, w, pre, post, layout, signal=None, fresh=False):
        pre, post, _ = self._prepare(
            pre, post, signal, layout, w.dtype
        )  # signal: checked, unused
        self.pre_ = pre.copy() if self.pre_ is None else np.concatenate([self.pre_, pre])
        self.post_ = (
            post.copy() if self.post_ is None else np.concatenate([self.post_, post])
        )
        self.epochs_ = 0
        self.converged_ = False
        # ``fresh`` is not used: the perceptron's change reads the weights (no fast path).
        # Epochs: each one is a whole-matrix update.
        for _ in long_loop(self.max_epochs, "perceptron epochs"):
            self._update_one(w, self.pre_, self.post_, layout, None)
            if self._violations == 0:
                self.converged_ = True
                break
            self.epochs_ += 1
        self.stored_fraction_ = 1.0 if self.converged_ else self._stored(w, layout)
        if not self.converged_:
            p, n = self.pre_.shape
            warnings.warn(
                f"perceptron rule: after max_epochs={self.max_epochs} epochs only "
                f"{self.stored_fraction_:.1%} of the {p} stored patterns meet the margin "
                f"kappa={self.kappa:g} at every unit (converged_ is False). Raise "
                "max_epochs (rule_options={'max_epochs': ...}), lower kappa, or store "
                f"fewer patterns (alpha = P / N = {p / n:.2f}; zero-margin storage "
                "exists only below alpha = 2).",
                ConvergenceWarning,
                stacklevel=outside_package(),
            )
        return w

    def _stored(self, w, layout) -> float:
        """Fraction of the stored pairs whose every unit meets the margin."""
        h = layout.field(w, self.pre_)
        norm = np.sqrt(layout.field(w * w, np.ones((1, layout.shape[1]), w.dtype))[0])
        return float(np.mean(np.all(self.post_ * h > self.kappa * norm, axis=1)))
