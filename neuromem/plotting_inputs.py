"""Checks of what the plotting functions are given: each a ValidationError naming the
argument, never numpy's or matplotlib's error (or a silent wrong figure)."""

from __future__ import annotations

import numpy as np

from .errors import ValidationError, described
from .validation import as_real_array


def _numbers(x, name: str, allowed: str) -> np.ndarray:
    """``x`` as a float array; a value numpy cannot read as numbers (a string, a model,
    a ragged list) is a :class:`ValidationError` naming ``name``, not numpy's error."""
    if isinstance(x, str):  # a string is no array of numbers (numpy reads "1" as one)
        raise ValidationError(name, x, allowed)
    # Strings, objects, complex, masked and timedelta arrays are refused there, rather
    # than an imaginary part or a mask silently dropped.
    return np.asarray(as_real_array(x, name, allowed), dtype=float)


def _finite(x: np.ndarray, name: str) -> np.ndarray:
    """Refuse NaN and inf: they would be drawn as nothing (a gap, a blank pixel)."""
    if not np.all(np.isfinite(x)):
        bad = int(np.count_nonzero(~np.isfinite(x)))
        raise ValidationError(
            name, described(f"{bad} NaN or infinite value(s)"), "finite values"
        )
    return x


def _axis_values(x, name: str, allowed: str) -> np.ndarray:
    """A 1-D, non-empty, finite sequence of distinct numbers (the x of a curve): a
    value given twice would draw one point as two, or pool two measurements."""
    a = _numbers(x, name, allowed)
    if a.ndim != 1 or len(a) == 0:
        raise ValidationError(name, x, allowed)
    _finite(a, name)
    values, counts = np.unique(a, return_counts=True)
    if np.any(counts > 1):
        raise ValidationError(
            name, described(f"{float(values[counts > 1][0])!r} twice"), "distinct values"
        )
    return a


def _label(label, name: str = "label") -> str | None:
    if label is not None and not isinstance(label, str):
        raise ValidationError(name, label, "a string or None")
    return label


def _labels(labels, n: int, name: str, what: str) -> list[str] | None:
    """``labels`` as a list of ``n`` strings (any iterable; one string is no list)."""
    if labels is None:
        return None
    given = labels
    try:  # a generator has no len; a number or one string is not a list of labels
        labels = None if isinstance(labels, str | bytes) else list(labels)
    except TypeError:
        labels = None
    if labels is None:
        raise ValidationError(name, given, f"a sequence of {n} labels, one per {what}")
    if len(labels) != n:
        raise ValidationError(
            name, described(f"{len(labels)} labels"), f"{n}, one per {what}"
        )
    return [str(t) for t in labels]


def _trajectory(result, key: str) -> np.ndarray:
    tr = result if isinstance(result, dict) else getattr(result, "trajectory", None)
    if tr is None or key not in tr:
        # Only a recall result (or a trajectory dict) is "without a recording"; an
        # array or anything else is named for what it is.
        if isinstance(result, dict) or hasattr(result, "trajectory"):
            given = described("a recall result without a recorded " + repr(key))
        elif isinstance(result, np.ndarray):
            given = described(f"an array of shape {result.shape}, not a recall result")
        else:
            given = described(f"a {type(result).__name__}, not a recall result")
        raise ValidationError(
            "result",
            given,
            f"the result of recall(cues, record=True) (or with {key!r} recorded)",
        )
    return np.asarray(tr[key])


def _cues(cues, n: int) -> list[int]:
    if cues is None:
        return list(range(n))
    idx = np.atleast_1d(np.asarray(cues))
    if (
        idx.ndim != 1
        or not np.issubdtype(idx.dtype, np.integer)
        or np.any((idx < -n) | (idx >= n))
    ):
        raise ValidationError("cues", cues, f"cue indices in [0, {n})")
    return [int(i) % n for i in idx]
