"""The fields of the sequence network and their tie tolerances."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ties import rounding_tolerance, tie_tolerances


def _common_scale(now: np.ndarray, past: np.ndarray | None):
    """``now`` and ``past`` times one power of two per cue that brings max|s| into [1, 2).

    ``F = m^n`` (or ``max(m, 0)^n``) is homogeneous: scaling both states of a cue by
    ``c > 0`` scales its field by ``c^n`` and changes no sign, and a power of two
    scales exactly. Without it a real-valued cue of large magnitude overflowed
    ``m^n`` (NaN fields, every unit -1) and a tiny one underflowed to a field of 0
    (every unit a tie). +/-1 states are left as they are (the exponent is 0).

    Returns
    -------
    now, past : ndarray
        The scaled states (``past`` None when given None).
    k : ndarray of int, shape (B, 1)
        The exponent per cue: the states were multiplied by ``2**k``.
    """
    top = np.abs(now).max(axis=1)
    if past is not None:
        top = np.maximum(top, np.abs(past).max(axis=1))
    _, e = np.frexp(top)
    e = np.where(top > 0, e, 1)  # an all-zero state: nothing to scale
    k = (1 - e)[:, None].astype(np.int32)
    if not k.any():
        return now, past, k
    # ldexp scales the states themselves: the factor alone (2^1074 for the smallest
    # subnormal float64) need not be representable, and the result is exact.
    now_k = np.ldexp(now, k).astype(now.dtype, copy=False)
    past_k = None if past is None else np.ldexp(past, k).astype(now.dtype, copy=False)
    return now_k, past_k, k


class SequenceFields:
    """The fields of the sequence network and their tie tolerances."""

    # -- dynamics ---------------------------------------------------------------------
    def _dense_terms(
        self, s: np.ndarray, keys: np.ndarray, shift: np.ndarray | None, k=None
    ):
        """``F(keys . s / N)`` per cue and key; for the exponential, times ``exp(-shift)``.

        For the exponential, ``s`` and ``shift`` were scaled by ``2**k`` per cue
        (:func:`_common_scale`): the exponent is ``beta 2**-k (a - shift)``.
        """
        a = s @ keys.T
        if self.interaction == "exponential":
            # exp(beta (a - shift)): a positive factor per cue that changes no sign. The
            # difference is <= 0, so an exponent that overflows is -inf and its term 0.
            with np.errstate(over="ignore"):
                x = np.ldexp(a - shift[:, None], -k).astype(a.dtype, copy=False)
                return np.exp(self.beta * x)
        m = a / self.n_units
        if self.interaction == "rectified":
            m = np.maximum(m, 0.0)
        return m**self.order

    def _plan(self) -> list[tuple[Any, np.ndarray, float, np.ndarray, bool]]:
        """Per coupling matrix: layout, values, weight, tie tolerances, reads the past.

        The tolerances are the Hopfield network's, per unit and for states in
        ``[-1, 1]`` (:func:`neuromem.ties.tie_tolerances`, cached on the synapse
        until its weights change), the rule's declared weight error included.
        """
        plan = []
        for syn, weight, delayed in (
            (self.transition_synapse_, self.transition, True),
            (self.symmetric_synapse_, self.symmetric, False),
        ):
            if syn is not None:
                values = syn.values
                tol = tie_tolerances(syn)
                plan.append((syn.layout, values, weight, tol, delayed))
        return plan

    def _field(self, now: np.ndarray, past: np.ndarray | None, plan=None):
        """Fields and tie tolerances of the current and delayed states."""
        h = np.zeros_like(now)
        mag = np.zeros(len(now), dtype=now.dtype)
        if self.variant == "dense":
            shift = None
            now, past, k = _common_scale(now, past)
            if self.interaction == "exponential":
                # The largest exponent of each cue, so that no term overflows.
                tops = [] if past is None else [(past @ self.pre_.T).max(axis=1)]
                if self.symmetric:
                    tops.append((now @ self.patterns_.T).max(axis=1))
                shift = np.max(tops, axis=0) if tops else np.zeros(len(now))
            if past is not None:
                f = self._dense_terms(past, self.pre_, shift, k)
                h += self.transition * (f @ self.post_)
                mag += self.transition * np.abs(f).sum(axis=1)
            if self.symmetric:
                f = self._dense_terms(now, self.patterns_, shift, k)
                h += self.symmetric * (f @ self.patterns_)
                mag += self.symmetric * np.abs(f).sum(axis=1)
            n_terms = len(self.pre_) + (len(self.patterns_) if self.symmetric else 0)
            return h, rounding_tolerance(mag, n_terms, now.dtype)[:, None]
        # The tolerances include the weights' own computation error (the pseudo-inverse
        # of an ill-conditioned Gram matrix): without it a field that is zero in exact
        # arithmetic (a pattern stored with two successors maps to their mean) comes
        # out as noise and flips units the tie law keeps.
        tol = np.zeros_like(now)
        # The field is linear in (now, past): one exact power of two per cue keeps a
        # huge cue (1e307) from overflowing it and a tiny one from underflowing.
        now, past, _ = _common_scale(now, past)
        for layout, values, weight, unit_tol, delayed in plan or self._plan():
            state = past if delayed else now
            if state is None:
                continue
            field = layout.field(values, state)
            if weight != 1.0:
                field *= weight
            h += field
            # The tolerances bound the rounding for states in [-1, 1]; the field of a
            # cue scales with its largest value, and so does the bound.
            top = np.abs(state).max(axis=1)
            tol += (weight * top)[:, None] * unit_tol
        return h, tol
