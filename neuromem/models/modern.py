"""Modern continuous Hopfield network (Ramsauer et al. 2021)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from .. import dynamics as dyn
from ..analysis import finite_energies, state_energies
from ..errors import ValidationError, described
from ..progress import steps as long_loop
from ..random import SeedLike, check_seed
from ..tags import CapacitySearch, ModelTags
from ..validation import check_dtype, check_float, check_int, check_patterns
from .attractor import Attractor
from .base import KeepsPatterns, Memory, pattern_recording

__all__ = ["ModernHopfield"]


def _exponents(a: np.ndarray, axis=None) -> np.ndarray:
    """Binary exponents ``e`` with ``|a| < 2^e`` (0 for zeros), over ``axis``."""
    return np.frexp(np.max(np.abs(a), axis=axis))[1].astype(np.int64)


def _scores(s: np.ndarray, x: np.ndarray, beta: float):
    """The softmax of ``beta * s @ x.T`` per row, never forming an overflowing number.

    States and patterns are scaled by powers of two (exact) so that their dot products
    are at most ``N``; the largest score is subtracted before ``beta`` and the scales
    multiply in, and a product beyond the dtype's range is an infinitely unlikely
    pattern (weight 0), so ``beta -> inf`` tends to the nearest pattern. Returns the
    weights, ``log sum exp(beta (z - z_max))`` and the scaled parts for the energy.
    """
    es = _exponents(s, axis=1)
    ex = int(_exponents(x))
    z = np.ldexp(s, -es[:, None]) @ np.ldexp(x, -ex).T  # the scores / 2^(es + ex)
    d = z - z.max(axis=1, keepdims=True)  # <= 0, exactly 0 at the maxima
    with np.errstate(over="ignore"):
        k = np.ldexp(float(beta), es + ex).astype(s.dtype)  # may be inf: fine below
    with np.errstate(over="ignore", invalid="ignore"):
        t = np.where(d < 0, d * k[:, None], 0).astype(s.dtype)
    w = np.exp(t)
    total = w.sum(axis=1, keepdims=True)
    return w / total, np.log(total[:, 0]), z, es, ex


class ModernHopfield(Attractor, KeepsPatterns, Memory):
    """Continuous-state Hopfield network: ``xi <- X^T softmax(beta X xi)``.

    With the stored patterns as rows of ``X`` (shape ``(P, N)``), one update replaces a
    state by a softmax-weighted average of the patterns, weighted by their raw dot
    products with the state scaled by ``beta`` (the paper's convention). The energy
    ``E = -lse(beta, X xi) + xi^T xi / 2 + log(P) / beta + M^2 / 2`` (``M`` the largest
    pattern norm) never rises under the update; a pattern well separated from the
    others is retrieved in one update, and at small ``beta`` or for similar patterns the
    state converges to a metastable average of several patterns.

    Parameters
    ----------
    n_units : int
        Dimension ``N`` of patterns and states.
    beta : float
        Inverse temperature scaling the raw dot products, ``> 0``. The default 1 suits
        +/-1 patterns: a cue's dot product with its own pattern exceeds those with
        random others by order ``N``, against ``sqrt(N log P)`` for the largest
        crosstalk, so the softmax picks one pattern. For real patterns of norm ``r``
        take ``beta`` of order ``1 / r^2`` times a few ``log P``, or larger.
    max_steps : int
        Largest number of updates per recall.
    tol : float
        A cue has converged when an update moves no component by more than ``tol``
        times the largest pattern entry.
    dtype : {"float64", "float32"}
        State and pattern dtype.
    seed : int, Generator or None
        Accepted for a uniform model interface; the dynamics are deterministic.

    Attributes
    ----------
    patterns_ : ndarray, shape (n_stored_, N)
    n_stored_ : int

    Notes
    -----
    The softmax subtracts the largest score before exponentiating and the energy uses
    log-sum-exp, so any ``beta`` (``1e6`` included) is stable. Recalled states are
    continuous; compare them with :func:`neuromem.metrics.overlap`, or take their sign
    for +/-1 patterns.
    """

    def __neuromem_tags__(self) -> ModelTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            family="dense and modern Hopfield",
            encodings=("bipolar", "real"),
            energy=True,
            theory=("modern",),
            # Capacity exponential in N: at beta = 1 and N = 100 nothing an experiment
            # can store fails; at N = 10 the completion capacity is about 65 patterns.
            capacity_search=CapacitySearch(n_units=10, max_load=64.0, conditions=("beta",)),
        )

    # Storage and recall draw nothing: the seed may change after store.
    _state_params: ClassVar[frozenset[str]] = Memory._state_params - {"seed"}

    def __init__(
        self,
        n_units: int,
        beta: float = 1.0,
        max_steps: int = 100,
        tol: float = 1e-6,
        dtype: str = "float64",
        seed: SeedLike = None,
    ):
        self.n_units = check_int(n_units, "n_units", low=1)
        self.beta = check_float(beta, "beta", low=0.0, low_inclusive=False)
        self.max_steps = check_int(max_steps, "max_steps", low=1)
        self.tol = check_float(tol, "tol", low=0.0)
        self.dtype = check_dtype(dtype).name
        self.seed = check_seed(seed)

    def memory_estimate(self, work=None) -> int:
        """Bytes for ``work`` (:class:`neuromem.memory.Workload`): see
        :func:`neuromem.memory_rows.patterns_estimate`."""
        return self._estimate("patterns", work)

    def store(self, patterns, targets=None) -> ModernHopfield:
        """Store patterns (+/-1 or real), adding to those already stored."""
        if targets is not None:
            raise ValidationError(
                "targets", described("a target set"), "None: the memory is auto-associative"
            )
        x = check_patterns(patterns, "patterns", n_units=self.n_units, dtype=self.dtype)
        self._keep(x)
        return self

    def _beta(self, beta) -> float:
        if beta is None:
            return self.beta
        return check_float(beta, "beta", low=0.0, low_inclusive=False)

    def attention(self, states, *, beta: float | None = None) -> np.ndarray:
        """``softmax(beta X xi)`` for each state: the weight of every stored pattern.

        Returns
        -------
        ndarray, shape (B, n_stored_)
        """
        s = check_patterns(
            states, "states", n_units=self.n_units, dtype=self.dtype, allow_1d=True
        )
        return _scores(s, self._fitted(), self._beta(beta))[0]

    def energy(self, states, *, beta: float | None = None) -> np.ndarray:
        """Energy of each state (see the class docstring): ``states`` and the result
        as in :func:`~neuromem.analysis.energy`.

        Raises
        ------
        ValidationError
            If an energy lies beyond the range of the dtype (states or patterns of
            norm near ``sqrt`` of the largest float): never an infinite or NaN value.
        """
        self._fitted()  # before the states: the error names energy
        return state_energies(
            states,
            self.n_units,
            lambda s: self._energy(s, self._beta(beta), "states"),
            self.dtype,
        )

    def _energy(self, s: np.ndarray, beta: float, name: str = "cues") -> np.ndarray:
        x = self._fitted()
        _, _, z, es, ex = _scores(s, x, beta)
        # -z_max + s.s / 2 + M^2 / 2, in units of 2^(2 e): all three are quadratic.
        e = np.maximum(es, ex)
        sq = np.ldexp(s, -e[:, None])
        xq = np.ldexp(x, -int(ex))
        quad = (
            -np.ldexp(z.max(axis=1), es + ex - 2 * e)
            + 0.5 * np.einsum("ij,ij->i", sq, sq)
            + 0.5 * np.ldexp(np.max(np.einsum("ij,ij->i", xq, xq)), 2 * ex - 2 * e)
        )
        # (log P - log_total) / beta = -log(mean_mu exp(t_mu)) / beta, t = beta (z -
        # z_max) <= 0. At small beta log_total rounds to log P and the difference, of
        # order mean(z_max - z), is lost (beta = 1e-300 gave -z_max for -mean z; in
        # float32 the rounding of log_total divided by beta overflowed to -inf). So
        # it is evaluated as log1p(mean(expm1(t))) / beta in float64 (expm1 is exact
        # to an ulp for tiny t and all terms share a sign), and where every |t| is
        # below 1e-150 (beta 2^(es + ex) may underflow) as its limit mean(t) / beta
        # = mean(z - z_max) 2^(es + ex), exact to a relative O(|t|).
        d = (z - z.max(axis=1, keepdims=True)).astype(np.float64)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            k = np.ldexp(float(beta), es + ex)  # may be inf (then t is -inf) or 0
            t = np.where(d < 0, d * k[:, None], 0.0)
            small = np.abs(t).max(axis=1, initial=0.0) < 1e-150
            limit = np.ldexp(d.mean(axis=1), es + ex)
            log_mean = np.log1p(np.expm1(t).mean(axis=1)) / beta
            out = np.ldexp(quad.astype(np.float64), 2 * e) - np.where(
                small, limit, log_mean
            )
            out = out.astype(s.dtype)  # checked after the cast: float32 can overflow
        return finite_energies(out, self.dtype, "states and patterns of smaller norm", name)

    recall_options = ("beta", "max_steps", "record_energy", "record")

    def _relax(self, s, max_steps, measured, *, beta: float | None = None):
        """Iterate ``xi <- X^T softmax(beta X xi)`` from every cue.

        Parameters
        ----------
        cues : ndarray, shape (B, n_units)
            Starting states (any finite values).
        beta : float, optional
            Override ``beta`` for this call.
        max_steps : int, optional
            Override ``max_steps`` (1: a single update, the attention read-out).
        record : bool, str or sequence of str, optional
            Keep ``"states"``, ``"overlaps"`` (with every stored pattern) and
            ``"energies"`` update by update in ``result.trajectory`` (see
            :class:`~neuromem.models.base.RecallResult`).

        Returns
        -------
        RecallResult
            ``steps`` counts updates including the one that confirmed convergence;
            ``info["attention"]`` holds the final softmax weights ``(B, P)``.
        """
        beta = self._beta(beta)
        x = self._fitted()
        limit = self.tol * max(1.0, float(np.max(np.abs(x))))
        rec = pattern_recording(measured, x, lambda z: self._energy(z, beta))
        track = dyn._Tracker(s, None, rec)
        work = track.out.copy()
        for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
            new = _scores(work, x, beta)[0] @ x
            fixed = np.max(np.abs(new - work), axis=1) <= limit
            work, _ = track.step(t, new, fixed, fixed)
            if not len(work):
                break
        states, steps, converged, _ = track.finish(work)
        attention = _scores(states, x, beta)[0]
        trajectory = None if rec is None else rec.result()
        return states, steps, converged, trajectory, {"attention": attention}
