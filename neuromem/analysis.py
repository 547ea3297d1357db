"""Analysis of attractor memories: what a recalled state is, basins, energies.

>>> import neuromem as nm
>>> from neuromem import analysis
>>> X = nm.patterns.random_bipolar(3, 100, seed=0)
>>> analysis.classify_states(-X, X).labels.tolist()
['negative', 'negative', 'negative']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import erfc

from .errors import ValidationError, described
from .patterns import flip
from .random import SeedLike, spawn
from .validation import check_float, check_int, check_patterns

__all__ = [
    "Classification",
    "basin_size",
    "classify_states",
    "energy",
    "one_step_error",
    "recall_rates",
]

LABELS = ("pattern", "negative", "mixture", "spurious")


@dataclass(frozen=True)
class Classification:
    """What each recalled state is.

    Attributes
    ----------
    labels : ndarray of str, shape (B,)
        ``"pattern"`` (a stored pattern), ``"negative"`` (a stored pattern's negative,
        also an attractor of a symmetric network), ``"mixture"`` (the sign of a signed
        sum of three stored patterns, the best known spurious states) or
        ``"spurious"`` (anything else).
    index : ndarray of int, shape (B,)
        The pattern for ``"pattern"`` and ``"negative"``, else -1.
    components : ndarray of int, shape (B, 3)
        The three patterns of a ``"mixture"``, else -1.
    """

    labels: np.ndarray
    index: np.ndarray
    components: np.ndarray

    def counts(self) -> dict[str, int]:
        """Number of states of each kind."""
        return {k: int(np.count_nonzero(self.labels == k)) for k in LABELS}


def classify_states(states, patterns, *, tolerance: float = 0.02) -> Classification:
    """Classify +/-1 states as stored patterns, negatives, 3-mixtures or spurious.

    Parameters
    ----------
    states : ndarray, shape (B, N)
        Recalled +/-1 states.
    patterns : ndarray, shape (P, N)
        The stored +/-1 patterns.
    tolerance : float
        Fraction of units that may differ from the candidate (a retrieval state near
        the Hebbian capacity carries a few wrong bits): 0 asks for exact equality.

    Returns
    -------
    Classification

    Notes
    -----
    The candidate mixture of a state is ``sign(+/-xi_a +/- xi_b +/- xi_c)`` for the
    three patterns with the largest ``|overlap|`` (each component of a symmetric
    3-mixture has overlap 1/2), signs taken from the overlaps; a state is a mixture
    when it lies within ``tolerance`` of it. The cost is one ``(B, P)`` product.
    """
    s = check_patterns(states, "states", encoding="bipolar", allow_1d=True)
    x = check_patterns(patterns, "patterns", n_units=s.shape[1], encoding="bipolar")
    tolerance = check_float(tolerance, "tolerance", low=0.0, high=0.5)
    n = s.shape[1]
    m = s @ x.T / n
    limit = 1.0 - 2.0 * tolerance  # overlap of a state `tolerance` away
    best = np.argmax(np.abs(m), axis=1)
    mb = m[np.arange(len(s)), best]
    labels = np.full(len(s), "spurious", dtype=object)
    index = np.full(len(s), -1)
    components = np.full((len(s), 3), -1)
    labels[mb >= limit] = "pattern"
    labels[mb <= -limit] = "negative"
    hit = np.abs(mb) >= limit
    index[hit] = best[hit]
    if x.shape[0] >= 3:
        rest = np.flatnonzero(~hit)
        if len(rest):
            top = np.argsort(-np.abs(m[rest]), axis=1)[:, :3]
            signs = np.sign(np.take_along_axis(m[rest], top, axis=1))
            signs[signs == 0] = 1
            mix = np.sign(np.einsum("bk,bkn->bn", signs, x[top]))
            close = np.einsum("bn,bn->b", mix, s[rest]) / n >= limit
            labels[rest[close]] = "mixture"
            components[rest[close]] = top[close]
    return Classification(labels.astype(str), index, components)


def recall_rates(
    memory,
    patterns,
    fractions,
    *,
    n_trials: int = 10,
    threshold: float = 1.0,
    seed: SeedLike = None,
) -> np.ndarray:
    """Fraction of noisy cues from which each pattern is recalled, per noise level.

    Parameters
    ----------
    memory : Memory
        A model that stores ``patterns`` already.
    patterns : ndarray, shape (P, N)
        +/-1 patterns to test.
    fractions : sequence of float
        Fractions of flipped units, each in [0, 1].
    n_trials : int
        Independent cues per pattern and fraction (each from its own seed stream).
    threshold : float
        Overlap with the pattern that counts as recalled (1: exactly).
    seed : int, Generator or None
        Seed of the cue noise.

    Returns
    -------
    ndarray, shape (P, len(fractions))
        Fraction of the ``n_trials`` cues recalled. All cues are recalled in one
        batched call.
    """
    x = check_patterns(patterns, "patterns", encoding="bipolar")
    fractions = [check_float(f, "fractions", low=0.0, high=1.0) for f in fractions]
    if not fractions:
        raise ValidationError("fractions", described("an empty list"), "a fraction")
    n_trials = check_int(n_trials, "n_trials", low=1)
    threshold = check_float(threshold, "threshold", low=-1.0, high=1.0)
    streams = spawn(seed, len(fractions) * n_trials)
    cues = np.concatenate(
        [
            flip(x, f, seed=streams[k * n_trials + t])
            for k, f in enumerate(fractions)
            for t in range(n_trials)
        ]
    )
    states = memory.recall(cues).states
    ok = np.einsum("ij,ij->i", np.sign(states), np.tile(x, (len(cues) // len(x), 1)))
    ok = ok / x.shape[1] >= threshold - 1e-12
    return ok.reshape(len(fractions), n_trials, len(x)).mean(axis=1).T


def basin_size(
    memory,
    patterns,
    *,
    fractions=None,
    n_trials: int = 10,
    min_success: float = 0.9,
    threshold: float = 1.0,
    seed: SeedLike = None,
) -> np.ndarray:
    """Basin size of each pattern: the largest flip fraction it is still recalled from.

    A pattern's basin size is the largest fraction ``f`` on the grid such that, at
    ``f`` and at every smaller grid fraction, at least ``min_success`` of ``n_trials``
    cues with ``round(f N)`` flipped units are recalled (overlap ``>= threshold``). A
    pattern not recalled even from itself gets ``nan``.

    Parameters
    ----------
    memory : Memory
        A model that stores ``patterns``.
    patterns : ndarray, shape (P, N)
    fractions : sequence of float, optional
        Grid of flip fractions, increasing; ``0, 0.025, ..., 0.5`` by default.
    n_trials, threshold, seed
        See :func:`recall_rates`.
    min_success : float
        Fraction of trials that must succeed, in (0, 1].

    Returns
    -------
    ndarray, shape (P,)
    """
    if fractions is None:
        fractions = np.linspace(0.0, 0.5, 21)
    fractions = np.asarray(fractions, dtype=float)
    if fractions.ndim != 1 or len(fractions) == 0 or np.any(np.diff(fractions) <= 0):
        raise ValidationError("fractions", fractions, "an increasing 1-D grid")
    min_success = check_float(
        min_success, "min_success", low=0.0, high=1.0, low_inclusive=False
    )
    rates = recall_rates(
        memory, patterns, fractions, n_trials=n_trials, threshold=threshold, seed=seed
    )
    good = np.cumprod(rates >= min_success, axis=1).astype(bool)
    n_good = good.sum(axis=1)
    out = np.full(len(rates), np.nan)
    out[n_good > 0] = fractions[n_good[n_good > 0] - 1]
    return out


def state_energies(
    states,
    n_units: int,
    compute: Callable[[np.ndarray], np.ndarray],
    dtype: str = "float64",
    remedy: str = "smaller values",
):
    """``compute(S)`` of checked states: what every ``energy(states)`` accepts.

    Parameters
    ----------
    states : ndarray, shape (B, n_units) or (n_units,)
        States row-wise, or one state.
    n_units : int
    compute : callable
        Energies ``(B,)`` of checked states ``S`` of shape ``(B, n_units)``.
    dtype : str
        The dtype the states are checked into (the model's).
    remedy : str
        What the error suggests when an energy is not finite.

    Returns
    -------
    ndarray or float
        ``compute(S)``; for one state its single value, as a float.

    Raises
    ------
    ValidationError
        If an energy is not finite (finite states and weights can still overflow
        ``s^T W s``): no infinite or NaN energy is ever returned.
    """
    single = np.ndim(states) == 1
    s = check_patterns(states, "states", n_units=n_units, dtype=dtype, allow_1d=True)
    with np.errstate(over="ignore", invalid="ignore"):
        e = compute(s)
    e = finite_energies(e, dtype, remedy)
    return float(e[0]) if single else e


def finite_energies(e: np.ndarray, dtype, remedy: str, name: str = "states"):
    """``e`` when every energy in it is finite; otherwise a ValidationError naming
    ``name`` that says what to do (``remedy``)."""
    if not np.all(np.isfinite(e)):
        raise ValidationError(
            name,
            described(f"states whose energy is beyond the {dtype} range"),
            f"states whose energy fits in {dtype}: {remedy}",
        )
    return e


def energy(memory, states) -> np.ndarray:
    """Energy of arbitrary states under a memory that defines one.

    Parameters
    ----------
    memory : Memory or ndarray or scipy.sparse matrix
        A model with an ``energy`` method (``hopfield``, ``dense-hopfield``,
        ``modern-hopfield``), or a symmetric weight matrix ``W``, for which
        ``E(s) = -1/2 s^T W s``.
    states : ndarray, shape (B, N) or (N,)

    Returns
    -------
    ndarray, shape (B,) (a float for one state)

    Raises
    ------
    ValidationError
        If an energy is not finite (huge states or weights, or NaN weights).
    """
    fn = getattr(memory, "energy", None)
    if callable(fn):
        return fn(states)
    if not (sp.issparse(memory) or isinstance(memory, np.ndarray)):
        raise ValidationError(
            "memory", memory, "a model with an energy() method or a square weight matrix"
        )
    w = memory
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValidationError(
            "memory", described(f"a matrix of shape {w.shape}"), "a square matrix"
        )

    return state_energies(
        states,
        w.shape[0],
        lambda s: -0.5 * np.einsum("ij,ij->i", np.asarray((w @ s.T).T), s),
        remedy="smaller states and finite weights",
    )


def one_step_error(n_units: int, n_patterns: int) -> float:
    """Hebbian one-step error rate ``0.5 * erfc(sqrt(N / (2 P)))`` (Hertz et al. 1991).

    The probability that a unit of a stored pattern flips in the first synchronous
    update: its crosstalk is a sum of ``N P`` random +/-1 terms of variance
    ``P / N`` against a signal of 1.
    """
    n = check_int(n_units, "n_units", low=1)
    p = check_int(n_patterns, "n_patterns", low=1)
    return float(0.5 * erfc(np.sqrt(n / (2.0 * p))))
