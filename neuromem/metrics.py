"""Row-wise measures of recall quality."""

from __future__ import annotations

import numpy as np

from .errors import ValidationError, described
from .validation import check_float, check_patterns, infer_encoding

__all__ = ["hamming", "overlap", "recall_accuracy"]


def _pair(states, patterns):
    s = check_patterns(states, "states", allow_1d=True)
    x = check_patterns(patterns, "patterns", allow_1d=True)
    if s.shape != x.shape:
        raise ValidationError(
            "states", described(f"shape {s.shape}"), f"the shape of patterns, {x.shape}"
        )
    return s, x


def overlap(states: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    """Row-wise overlap ``m = (1/N) sum_i xi_i s_i`` in [-1, 1].

    0/1 patterns (and states) are compared in their +/-1 form, so 1 means identical
    and 0 means uncorrelated in both encodings. Real-valued states (a modern Hopfield
    network's) are used as they are.

    Parameters
    ----------
    states, patterns : ndarray, shape (P, N)
        Recalled states and the patterns they should match, row by row.

    Returns
    -------
    ndarray, shape (P,)
    """
    s, x = _pair(states, patterns)
    if infer_encoding(x) == "binary" and np.any(x == 0):
        x = 2 * x - 1
        if infer_encoding(s) == "binary":
            s = 2 * s - 1
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.einsum("ij,ij->i", s, x) / s.shape[1]
    if not np.all(np.isfinite(m)):
        raise ValidationError(
            "states",
            described("values so large that the overlap overflows"),
            "values whose products with the patterns fit in float64",
        )
    return m


def hamming(
    states: np.ndarray, patterns: np.ndarray, *, normalize: bool = False
) -> np.ndarray:
    """Row-wise number (or fraction, with ``normalize``) of units that differ."""
    s, x = _pair(states, patterns)
    d = np.count_nonzero(s != x, axis=1)
    return d / s.shape[1] if normalize else d


def recall_accuracy(
    states: np.ndarray, patterns: np.ndarray, *, threshold: float = 0.95
) -> float:
    """Fraction of rows recalled: overlap with their own pattern ``>= threshold``."""
    threshold = check_float(threshold, "threshold", low=-1.0, high=1.0)
    return float(np.mean(overlap(states, patterns) >= threshold))
