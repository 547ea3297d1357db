"""Dense associative memory (Krotov & Hopfield 2016; Demircigil et al. 2017)."""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from .. import dynamics as dyn
from ..errors import ValidationError, described
from ..progress import steps as long_loop
from ..random import SeedLike, as_generator, check_seed, spawn
from ..validation import (
    check_bool,
    check_choice,
    check_dtype,
    check_int,
    check_patterns,
)
from .base import KeepsPatterns, Memory, RecallResult, transactional

__all__ = ["DenseHopfield"]

INTERACTIONS = ("polynomial", "rectified", "exponential")
DYNAMICS = ("async", "sync")
# Cues x patterns x units handled at once by synchronous updates.
_SYNC_BLOCK = 1 << 22


class DenseHopfield(KeepsPatterns, Memory):
    """Dense associative memory: energy ``E(s) = -sum_mu F(xi_mu . s)``.

    A unit takes the sign that lowers the energy most: with ``a_mu`` the overlap of
    pattern ``mu`` with the state, unit ``i`` left out,
    ``s_i <- sign(sum_mu F(a_mu + xi_mu,i) - F(a_mu - xi_mu,i))``. ``F(x) = x^2`` is the
    classical Hopfield network; steeper interactions separate the patterns' minima and
    store far more of them.

    Parameters
    ----------
    n_units : int
        Number of +/-1 units ``N``.
    interaction : {"polynomial", "rectified", "exponential"}
        ``F(x) = x^n``, ``F(x) = max(x, 0)^n`` (Krotov & Hopfield's rectified
        polynomial), or ``F(x) = exp(x)`` (Demircigil et al.). Capacity grows as
        ``N^(n - 1)`` for the polynomials and exponentially in ``N`` for ``exp``.
    order : int
        The power ``n >= 2`` of the polynomial interactions (ignored by
        ``"exponential"``); ``n = 2`` is the classical network.
    dynamics : {"async", "sync"}
        One unit at a time in a random order (energy never rises), or all units at
        once (batched over cues and units; may enter a period-2 cycle, which is
        detected).
    max_steps : int
        Largest number of sweeps per recall.
    dtype : {"float64", "float32"}
        State and pattern dtype.
    seed : int, Generator or None
        Seed of the asynchronous update order.

    Attributes
    ----------
    patterns_ : ndarray, shape (n_stored_, N)
        The stored patterns (a dense memory keeps its patterns, not a weight matrix).
    n_stored_ : int

    Notes
    -----
    The exponential is never evaluated: the update compares two log-sum-exps and the
    energy of the exponential interaction is reported as ``-log sum_mu exp(xi_mu . s)``,
    a monotone transform of ``-sum_mu exp(xi_mu . s)`` with the same minima, so
    nothing overflows at ``N = 1000`` or beyond. The polynomials are evaluated on
    overlaps divided by ``N`` (a positive factor that changes no sign).
    """

    name = "dense-hopfield"
    encodings = ("bipolar",)

    def __init__(
        self,
        n_units: int,
        interaction: str = "polynomial",
        order: int = 3,
        dynamics: str = "async",
        max_steps: int = 100,
        dtype: str = "float64",
        seed: SeedLike = None,
    ):
        self.n_units = check_int(n_units, "n_units", low=1)
        self.interaction = check_choice(interaction, "interaction", INTERACTIONS)
        self.order = check_int(order, "order", low=2)
        self.dynamics = check_choice(dynamics, "dynamics", DYNAMICS)
        self.max_steps = check_int(max_steps, "max_steps", low=1)
        self.dtype = check_dtype(dtype).name
        self.seed = check_seed(seed)

    def _rng(self) -> np.random.Generator:
        if getattr(self, "_recall_rng", None) is None:
            (self._recall_rng,) = spawn(self.seed, 1)
        return self._recall_rng

    def store(self, patterns, targets=None) -> DenseHopfield:
        """Store +/-1 patterns, adding to those already stored."""
        if targets is not None:
            raise ValidationError(
                "targets", described("a target set"), "None: the memory is auto-associative"
            )
        x = check_patterns(
            patterns, "patterns", n_units=self.n_units, encoding="bipolar", dtype=self.dtype
        )
        self._keep(x)
        return self

    # -- the interaction --------------------------------------------------------
    def _gain(self, plus: np.ndarray, minus: np.ndarray, axis: int) -> np.ndarray:
        """``sum F(plus) - sum F(minus)`` over ``axis`` (a comparison of energies)."""
        if self.interaction == "exponential":
            return logsumexp(plus, axis=axis) - logsumexp(minus, axis=axis)
        n = self.order
        scale = 1.0 / self.n_units
        p, m = plus * scale, minus * scale
        if self.interaction == "rectified":
            p, m = np.maximum(p, 0.0), np.maximum(m, 0.0)
        return (p**n - m**n).sum(axis=axis)

    def _tol(self) -> float:
        # Gains are differences of sums of P terms of order one: below this they are
        # rounding, and the unit keeps its state.
        return 1e-9

    def energy(self, states) -> np.ndarray:
        """``E(s) = -sum_mu F(xi_mu . s)`` (``-logsumexp`` for the exponential).

        Parameters
        ----------
        states : ndarray, shape (B, n_units) or (n_units,)

        Returns
        -------
        ndarray, shape (B,) (a float for one state)
        """
        single = np.ndim(states) == 1
        s = check_patterns(
            states, "states", n_units=self.n_units, dtype=self.dtype, allow_1d=True
        )
        e = self._energy(s)
        return float(e[0]) if single else e

    def _energy(self, s: np.ndarray) -> np.ndarray:
        m = s @ self._fitted().T
        if self.interaction == "exponential":
            return -logsumexp(m, axis=1)
        if self.interaction == "rectified":
            m = np.maximum(m, 0.0)
        return -(m**self.order).sum(axis=1)

    # -- recall -----------------------------------------------------------------
    def _sync_gain(self, s: np.ndarray) -> np.ndarray:
        x = self._fitted()
        p, n = x.shape
        out = np.empty_like(s)
        block = max(1, _SYNC_BLOCK // (p * n))
        for start in range(0, len(s), block):  # blocks of cues, to bound memory
            sb = s[start : start + block]
            m = sb @ x.T
            # Overlap of every pattern with the state, unit i left out: (B, P, N).
            a = m[:, :, None] - x[None, :, :] * sb[:, None, :]
            out[start : start + block] = self._gain(a + x[None], a - x[None], axis=1)
        return out

    def _async(self, s, max_steps, rng, energy):
        x = self._fitted()
        xt = np.ascontiguousarray(x.T)  # row i: unit i of every pattern
        track = dyn._Tracker(s, energy)
        work = track.out.copy()
        m = work @ x.T
        tol = self._tol()
        for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
            changed = np.zeros(len(work), dtype=bool)
            for i in rng.permutation(self.n_units):  # sequential by definition
                xi = xt[i]
                a = m - xi[None, :] * work[:, i : i + 1]
                g = self._gain(a + xi, a - xi, axis=1)
                new = dyn.sign_keep(g, work[:, i], tol)
                flip = new != work[:, i]
                if flip.any():
                    idx = np.flatnonzero(flip)
                    m[idx] += (new[idx] - work[idx, i])[:, None] * xi[None, :]
                    work[idx, i] = new[idx]
                    changed[idx] = True
            fixed = ~changed
            work, keep = track.step(t, work, fixed, fixed)
            if keep is not None:
                m = m[keep]
            if not len(work):
                break
        return track.finish(work)

    @transactional(light=True)
    def recall(
        self,
        cues,
        *,
        dynamics: str | None = None,
        max_steps: int | None = None,
        seed: SeedLike = None,
        record_energy: bool = False,
    ) -> RecallResult:
        """Relax every cue to a minimum of the energy.

        Parameters
        ----------
        cues : ndarray, shape (B, n_units)
            Starting states (+/-1, or any finite values such as zeros for unknown
            units).
        dynamics : {"async", "sync"}, optional
            Override the model's dynamics.
        max_steps : int, optional
            Override ``max_steps``.
        seed : int, Generator or None
            Seed of the asynchronous order for this call.
        record_energy : bool
            Record the energy of every cue after each sweep.
        """
        s = check_patterns(cues, "cues", n_units=self.n_units, dtype=self.dtype)
        dynamics = self.dynamics if dynamics is None else dynamics
        dynamics = check_choice(dynamics, "dynamics", DYNAMICS)
        max_steps = self.max_steps if max_steps is None else max_steps
        max_steps = check_int(max_steps, "max_steps", low=1)
        energy = self._energy if check_bool(record_energy, "record_energy") else None
        self._fitted()
        if dynamics == "sync":
            out = dyn.synchronous(self._sync_gain, s, max_steps, energy, self._tol())
        else:
            rng = self._rng() if seed is None else as_generator(seed)
            out = self._async(s, max_steps, rng, energy)
        states, steps, converged, trace = out
        return RecallResult(states, steps, converged, trace)
