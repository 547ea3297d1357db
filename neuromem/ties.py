"""The tie law: how a unit decides when its field is (numerically) zero.

One law serves every model and dynamics that updates sign units: the Hopfield family's
synchronous, asynchronous and Glauber dynamics (:mod:`neuromem.dynamics`), the sequence
network and the dense Hopfield network; dense and sparse synapses, float32 and float64.

One law serves every dynamics (synchronous, asynchronous, Glauber at ``T -> 0``), dense
and sparse synapses, float32 and float64:

* The field of unit ``i`` is a **tie** when ``|h_i| <= tol_i``, with the per-unit
  tolerance (:func:`tie_tolerances`)::

      tol_i = 2 (n_i + 1) eps (sum_j |w_ij| + |b_i|)

  ``n_i`` is the number of inputs of unit ``i`` (its connections in the topology,
  whether the weights are held dense or sparse), ``eps`` the machine epsilon of the
  weights' dtype and ``b`` the bias. With states in ``[-1, 1]`` this bounds the rounding
  error of the computed field (``gamma_n`` of a dot product of ``n`` terms, doubled), so
  an exact tie - common with Hebbian weights, which are multiples of ``1 / N`` - is
  recognised whatever the summation order (dense or sparse, batched or one unit at a
  time), while a real field, however small against ``max |w|``, is not one. A rule
  whose weights carry a larger computation error declares it (``weight_atol_``, an
  absolute bound per weight: the projection rule's ``4 N eps cond(X X^T) max|W|``) and
  ``2 n_i weight_atol_`` is added. The tolerance is
  relative to the magnitudes summed into that unit's field: scaling the weights by any
  ``c > 0`` scales every tolerance by ``c`` and leaves the dynamics unchanged. It is
  computed when the weights change (``store``, ``unlearn``, loading), not per recall.
  Being a worst-case bound it grows with ``n_i``: in float32 at ``N = 4000`` it is
  about ``1e-3 sum_j |w_ij|``.
* +/-1 units: ``s_i <- +1`` if ``h_i > tol_i``, ``-1`` if ``h_i < -tol_i``; at a tie the
  unit **keeps the sign of its state**: a +/-1 unit keeps its state, a unit whose
  state is 0 (a masked cue) becomes **+1**, and a graded cue value (say 0.5 or -0.3)
  becomes its sign. So every state is +/-1 after a unit's first visit (after the
  first sweep), whatever the cue.
* 0/1 units (a threshold ``theta``): active only when the field is strictly above the
  threshold beyond the tolerance, ``W s - theta > tol``; at a tie the unit is
  **inactive**, whatever its state.
* Glauber dynamics is the heat bath: a tie counts as a field of exactly 0, so the unit
  becomes +1 with probability 1/2 (a seeded fair coin, also at ``T -> 0``).
* ``converged = True`` means the returned state is a fixed point of this law (for
  Glauber: a whole sweep changed no unit).

Models whose fields are not dot products with a weight matrix state their own
computation error and use the same decision: the dense Hopfield network evaluates its
gains in the log domain with a relative error below ``TIE_RTOL`` of the terms summed
(see :class:`~neuromem.models.dense.DenseHopfield`), the sequence network's dense
variant sums ``P`` per-pattern terms (:func:`rounding_tolerance` of their magnitudes).
"""

from __future__ import annotations

import numpy as np

from . import compiled
from .errors import ValidationError, described
from .sweeps import kernel_backend
from .synapse import Synapse

__all__ = [
    "TIE_FACTOR",
    "all_signed",
    "decide",
    "flips",
    "rounding_tolerance",
    "sign_keep",
    "tie_tolerance",
    "tie_tolerances",
]

#: Safety factor of the tie tolerance over the rounding bound ``(n + 1) eps sum |w|``.
TIE_FACTOR = 2.0
_BLOCK_ROWS = 1024  # row blocks of the one-off scan of the weights (bounded temporaries)


def rounding_tolerance(magnitudes, n_terms, dtype, error=0.0):
    """The tie tolerance of fields that sum ``n_terms`` terms of total size ``magnitudes``.

    ``TIE_FACTOR ((n_terms + 1) eps magnitudes + error)``: the rounding bound
    ``gamma_n`` of a sum of ``n`` products, doubled, plus the absolute computation
    error ``error`` of the terms beyond rounding (a rule's ``weight_atol_`` times the
    states it multiplies). Broadcasts like numpy.
    """
    eps = np.finfo(dtype).eps
    with np.errstate(over="ignore"):
        tol = (TIE_FACTOR * eps) * (np.asarray(n_terms, dtype=dtype) + 1) * magnitudes
        if np.any(error):
            tol = tol + TIE_FACTOR * error
    return tol


def tie_tolerances(synapse: Synapse) -> np.ndarray:
    """Per-unit tie tolerances ``2 (n_i + 1) eps (sum_j |w_ij| + |b_i|)``, shape (N,).

    Cached on the synapse (see :meth:`Synapse.derived`): computed once after the
    weights or the bias change, in row blocks (no ``|W|`` temporary of full size).
    """
    return synapse.derived("ties.tolerances", _tie_tolerances)


def _tie_tolerances(synapse: Synapse) -> np.ndarray:
    layout = synapse.layout
    w = synapse.weights
    dtype = synapse.dtype
    with np.errstate(over="ignore"):  # an overflowing sum is refused below
        if layout.is_sparse:
            mags = _sparse_row_magnitudes(w, dtype)
            n_in = np.diff(w.indptr)
        else:
            n_post, n_pre = w.shape
            mags = np.empty(n_post, dtype=dtype)
            for lo in range(0, n_post, _BLOCK_ROWS):
                block = np.abs(w[lo : lo + _BLOCK_ROWS])
                block.sum(axis=1, out=mags[lo : lo + _BLOCK_ROWS])
            # A diluted topology stored dense: unit i sums only its connections (the
            # other entries are exact zeros), as its sparse layout would count them.
            mask = getattr(layout, "mask", None)
            n_in = n_pre if mask is None else np.count_nonzero(mask, axis=1)
        mags = np.asarray(mags, dtype=dtype).ravel()
        bias = synapse.bias
        if bias is not None:
            mags = mags + np.abs(bias).astype(dtype)
    n_in = np.asarray(n_in, dtype=dtype)
    # A rule whose weights carry a computation error beyond their own rounding (the
    # projection rule's pseudo-inverse) states it as an absolute bound per weight.
    atol = float(getattr(synapse.rule, "weight_atol_", 0.0) or 0.0)
    with np.errstate(over="ignore"):
        tol = rounding_tolerance(mags, n_in, dtype, n_in * atol if atol > 0 else 0.0)
    if not np.all(np.isfinite(tol)):
        # sum_j |w_ij| overflows: so could the fields. Refuse rather than let every
        # field count as a tie (or become NaN) in silence.
        raise ValidationError(
            "weights",
            described(f"weights whose sum of |w_ij| over a row reaches {mags.max():g}"),
            f"weights whose row sums of |w| stay below the {dtype} range "
            f"({np.finfo(dtype).max:g}); scale them down",
        )
    return tol.astype(dtype, copy=False)


def _sparse_row_magnitudes(w, dtype) -> np.ndarray:
    """``sum_j |w_ij|`` of every row of a CSR matrix (``abs(w).sum(axis=1)`` up to
    the order of the sums, far inside the tolerance's own factor of 2); compiled where
    numba is installed, without the copy of ``|W|`` (values and indices) scipy makes."""
    if kernel_backend() != "numba" or w.dtype != dtype:
        return np.abs(w).sum(axis=1)
    _kernels = compiled.kernels()

    out = np.zeros(w.shape[0], dtype=dtype)
    _kernels.row_abs_sums(w.indptr, w.data, out)
    return out


def tie_tolerance(values: np.ndarray, n_inputs: int) -> float:
    """One global tolerance ``n_inputs * eps * max|w|`` (the former law).

    Kept for callers outside the classical model; the Hopfield dynamics use the
    per-unit :func:`tie_tolerances`, relative to the magnitudes summed into each field.
    """
    if values.size == 0:
        return 0.0
    largest = max(float(values.max()), -float(values.min()))
    return float(n_inputs * np.finfo(values.dtype).eps * largest)


def decide(h: np.ndarray, current: np.ndarray, tol=0.0, binary: bool = False) -> np.ndarray:
    """New states under the tie law (module docstring) from fields ``h``.

    Parameters
    ----------
    h : ndarray
        Fields, any shape broadcastable with ``current``.
    current : ndarray
        Current states (+/-1, or 0 for a masked unit).
    tol : float or ndarray
        Tie tolerance, broadcast against ``h`` (per unit: shape ``(N,)``).
    binary : bool
        0/1 units in the +/-1 encoding: a tie means inactive (-1).
    """
    up = h > tol
    if binary:
        return np.where(up, 1, -1).astype(current.dtype)
    # A tie keeps the sign of the state: +/-1 stays, a masked 0 becomes +1 and a
    # graded cue value becomes its sign, so no state outside +/-1 survives a visit.
    new = np.where(current < 0, -1, 1).astype(current.dtype)
    new[np.broadcast_to(up, new.shape)] = 1
    new[np.broadcast_to(h < -tol, new.shape)] = -1
    return new


def sign_keep(h: np.ndarray, current: np.ndarray, tol=0.0) -> np.ndarray:
    """``sign(h)`` under the +/-1 tie law: at a tie the sign of ``current`` (0: +1)."""
    return decide(h, current, tol)


def all_signed(s: np.ndarray) -> bool:
    """Whether every state is +/-1 (not merely non-zero: a graded cue value such as
    0.5 must be visited even where its field agrees with it)."""
    return bool(np.all(np.abs(s) == 1))


def flips(h, s, tol, binary: bool, signed: bool) -> np.ndarray:
    """Which units the tie law would change (``tol`` broadcasts against ``h``).

    With every state +/-1 (``signed``) that is one product and one comparison.
    Otherwise a unit that is not +/-1 (masked 0 or a graded cue value) always changes:
    the law maps it to +/-1 whatever its field.
    """
    if binary:
        return (h > tol) != (s > 0)
    if signed:
        return h * s < -tol
    return (h * s < -tol) | (np.abs(s) != 1)
