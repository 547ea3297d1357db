"""Storkey's incremental, local storage rule (Storkey 1997)."""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import compiled
from ..tags import RuleTags
from .base import LearningRule

__all__ = ["Storkey"]


class Storkey(LearningRule):
    """``w_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N``, one pattern at a time.

    The local field ``h_ij = sum_{k != i, j} w_ik xi_k`` is the input unit ``i``
    receives from every unit except ``i`` and ``j``. Compared with Hebb's rule the two
    field terms subtract the crosstalk the pattern already meets, which raises the
    absolute capacity from ``N / (2 ln N)`` to ``N / sqrt(2 ln N)`` while keeping the
    rule local (it reads only ``w``, the pattern and the fields) and incremental
    (each pattern is applied to the weights the previous ones left).

    Written for auto-association: ``pre`` is the pattern that generates the fields and
    ``post`` plays ``xi_i``; the synapse must be square. The update of one pattern is
    a few rank-one products and element-wise passes over the weights, O(N^2) without a
    loop over units, and uses only the layout primitives, so it runs on dense and sparse
    (diluted) weights alike: a missing connection contributes nothing to the fields.

    Parameters
    ----------
    learning_rate, decay, bounds, soft_bounds
        See :class:`~neuromem.rules.base.LearningRule`. In a memory the learning rate
        defaults to ``1 / N``, the rule's own normalisation.

    Notes
    -----
    A batch given to :meth:`delta` is summed at fixed weights; :meth:`update` (what a
    memory's ``store`` calls) applies the patterns one after the other, as the rule is
    defined. Self-connections, where the topology has them, follow the same formula
    (``h_ii`` then excludes ``k = i`` once).
    """

    #: Temporaries of a store, in copies of the weights (dense, sparse): the local
    #: fields of a presentation and the change matrix.
    store_temporaries = (1.0, 4.0)
    #: Cached on a sparse layout, bytes per connection: the entries' rows and reverse positions.
    layout_cache = 16

    sequential = True
    recurrent = True

    def __neuromem_tags__(self) -> RuleTags:
        return dataclasses.replace(
            super().__neuromem_tags__(), encodings=("bipolar",), theory=("storkey",)
        )

    def update(self, w, pre, post, layout, signal=None, fresh=False):
        """As :meth:`LearningRule.update`; with numba, a compiled sequential kernel.

        The kernel (:func:`neuromem._kernels.storkey_sequential`) serves the common
        case: auto-association (``pre is post``) on dense weights without a mask,
        decay, bounds or trace. It computes the same formula in one pass per pattern
        (equal to the numpy path up to rounding); a result that is not finite is
        discarded and the numpy path reruns, raising on the diverging pattern.
        ``NEUROMEM_KERNELS=numpy`` forces the numpy path.
        """
        if (
            pre is post
            and signal is None
            and not layout.is_sparse
            and getattr(layout, "mask", None) is None
            and layout.shape[0] == layout.shape[1]
            and not self.decay
            and self.bounds is None
            and self._trace is None
            and w.flags.c_contiguous
        ):
            from ..dynamics import kernel_backend

            if kernel_backend() == "numba":
                _kernels = compiled.kernels()

                x, _, _ = self._prepare(pre, post, None, layout, w.dtype)
                out = _kernels.storkey_sequential(
                    w.copy(),
                    np.ascontiguousarray(x),
                    float(self.learning_rate),
                    bool(layout.zero_diagonal),
                )
                with np.errstate(over="ignore", invalid="ignore"):
                    flat = out.reshape(-1)
                    finite = np.isfinite(np.einsum("i,i->", flat, flat))
                if finite:
                    w[...] = out
                    return w
        return super().update(w, pre, post, layout, signal, fresh)

    def compute(self, pre, post, w, layout, signal=None):
        x, y = pre, post
        f = layout.field(w, x)  # f[b, i] = sum_k w_ik x_bk, every k included
        # h_ij = f_i - w_ii x_i - w_ij x_j, so the change is
        #   y x^T - y f^T - f x^T                       (rank-2 product)
        #   + w_ji (y_i x_i) + w_ij x_j^2               (the k = j / k = i exclusions)
        #   + w_jj y_i x_j + w_ii x_i x_j               (the self-couplings, if any)
        d = layout.outer(np.concatenate([y, -f]), np.concatenate([x - f, x]))
        d += layout.transposed(w) * layout.post(np.einsum("bi,bi->i", y, x))
        d += w * layout.pre(np.einsum("bj,bj->j", x, x))
        diag = layout.diagonal(w)
        if np.any(diag):
            d += layout.pre(diag) * layout.outer(y, x)
            d += layout.post(diag) * layout.outer(x, x)
            # On the diagonal k = i = j was excluded twice above; put one back.
            layout.add_diagonal(d, -diag * np.einsum("bi,bi->i", y + x, x))
        return d
