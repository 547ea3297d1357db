"""Shared validation helpers: every public entry point checks its input through these.

Each helper raises :class:`~neuromem.ValidationError` naming the parameter, what was
given and what is allowed, and returns the value in canonical form.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from .errors import ValidationError, described

__all__ = [
    "ENCODINGS",
    "as_real_array",
    "check_bool",
    "check_choice",
    "check_dtype",
    "check_float",
    "check_int",
    "check_matrix",
    "check_options",
    "check_pairs",
    "check_patterns",
    "infer_encoding",
    "sign_rows",
]

#: Pattern encodings: +/-1 ("bipolar"), 0/1 ("binary"), real-valued ("real").
ENCODINGS = ("bipolar", "binary", "real")
_DTYPES = ("float64", "float32")


def check_int(
    value: Any, name: str, *, low: int | None = None, high: int | None = None
) -> int:
    """Return ``value`` as an ``int`` within ``[low, high]``."""
    allowed = "an integer"
    if low is not None and high is not None:
        allowed += f" in [{low}, {high}]"
    elif low is not None:
        allowed += f" >= {low}"
    elif high is not None:
        allowed += f" <= {high}"
    # numpy counts a timedelta64 as an integer (a subclass of np.signedinteger), but
    # int() refuses it: refused here like any other non-number.
    if isinstance(value, bool | np.timedelta64) or not isinstance(value, numbers.Integral):
        raise ValidationError(name, value, allowed)
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValidationError(name, value, allowed)
    return value


def check_float(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite ``float`` within the given bounds."""
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_inclusive else '>'} {low}")
    if high is not None:
        parts.append(f"{'<=' if high_inclusive else '<'} {high}")
    allowed = "a finite number" + (" " + " and ".join(parts) if parts else "")
    if isinstance(value, bool | np.timedelta64) or not isinstance(value, numbers.Real):
        raise ValidationError(name, value, allowed)  # timedelta64: see check_int
    value = float(value)
    if not np.isfinite(value):
        raise ValidationError(name, value, allowed)
    if low is not None and (value < low or (not low_inclusive and value == low)):
        raise ValidationError(name, value, allowed)
    if high is not None and (value > high or (not high_inclusive and value == high)):
        raise ValidationError(name, value, allowed)
    return value


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` if it is a ``bool`` (numpy bools included)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ValidationError(name, value, "True or False")


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (the message lists them)."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValidationError(name, value, f"one of {listed}")
    return value


def check_dtype(value: Any, name: str = "dtype") -> np.dtype:
    """Return the numpy dtype for ``"float64"`` or ``"float32"``."""
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise ValidationError(name, value, "'float64' or 'float32'") from None
    if dtype.name not in _DTYPES:
        raise ValidationError(name, value, "'float64' or 'float32'")
    return dtype


def check_options(options: Mapping[str, Any], name: str, allowed: Iterable[str]) -> None:
    """Refuse keyword arguments that are not in ``allowed`` (a typo must not pass)."""
    allowed = sorted(allowed)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        listed = ", ".join(allowed) if allowed else "none"
        raise ValidationError(
            name,
            described(f"unknown keyword argument(s) {', '.join(unknown)}"),
            f"keyword arguments among: {listed}",
        )


def as_real_array(value: Any, name: str, allowed: str = "an array of real numbers"):
    """``value`` as a numpy array of real numbers (or bools), refusing lossy kinds.

    A masked array (its mask would be dropped), a complex array (its imaginary part
    would be dropped), timedelta/datetime arrays (numpy counts them as integers),
    strings and objects are refused with :class:`ValidationError`. scipy.sparse input
    is returned as it is.
    """
    if sp.issparse(value):
        return value
    if isinstance(value, np.ma.MaskedArray):
        raise ValidationError(
            name,
            described("a masked array"),
            allowed + " (fill the masked entries first: a mask would be ignored)",
        )
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(name, value, allowed) from None
    kind = arr.dtype.kind
    if kind == "c":
        raise ValidationError(
            name, described(f"a complex array ({arr.dtype})"), allowed + " (not complex)"
        )
    if kind not in "biuf":
        raise ValidationError(name, described(f"an array of dtype {arr.dtype}"), allowed)
    return arr


def infer_encoding(x: np.ndarray) -> str:
    """The encoding of a pattern set: ``"bipolar"``, ``"binary"`` or ``"real"``.

    A pattern set made only of ones is reported as ``"bipolar"``.
    """
    if np.all((x == 1) | (x == -1)):
        return "bipolar"
    if np.all((x == 0) | (x == 1)):
        return "binary"
    return "real"


def _reshape_hint(shape: tuple[int, ...], n_units: int | None) -> str:
    """The obvious fix for an array whose units are not laid out as one row each."""
    size = int(np.prod(shape))
    if len(shape) == 1:
        if n_units is None or shape[0] == n_units:
            return "; one pattern is one row: x.reshape(1, -1)"
        return ""
    if n_units is not None and size == n_units:
        return "; flatten the image to one row of n_units: x.reshape(1, -1)"
    if len(shape) > 2 and (n_units is None or int(np.prod(shape[1:])) == n_units):
        return "; flatten each pattern to one row: x.reshape(len(x), -1)"
    return ""


def check_patterns(
    patterns: Any,
    name: str = "patterns",
    *,
    n_units: int | None = None,
    encoding: str | tuple[str, ...] | None = None,
    dtype: Any = np.float64,
    allow_1d: bool = False,
) -> np.ndarray:
    """Validate a pattern (or state, or cue) set stored row-wise.

    Parameters
    ----------
    patterns : array_like
        Shape ``(n_patterns, n_units)``; with ``allow_1d`` a single pattern of shape
        ``(n_units,)`` is promoted to one row.
    name : str
        Parameter name used in error messages.
    n_units : int, optional
        Required width.
    encoding : str or tuple of str, optional
        Required encoding(s) among ``"bipolar"`` (+/-1), ``"binary"`` (0/1) and
        ``"real"`` (any finite value). ``None`` accepts anything finite.
    dtype : dtype
        Dtype of the returned array.
    allow_1d : bool
        Accept a single 1-D pattern.

    Returns
    -------
    numpy.ndarray
        A C-contiguous 2-D array of ``dtype`` (a copy when conversion was needed).
    """
    if sp.issparse(patterns):
        patterns = patterns.toarray()
    arr = as_real_array(patterns, name, "a 2-D array of real numbers")
    given = arr.shape
    if arr.ndim == 1 and allow_1d:
        arr = arr[None, :]
    if arr.ndim != 2:
        allowed = "a 2-D array (n_patterns, n_units)"
        if allow_1d:
            allowed += " or one 1-D pattern"
        raise ValidationError(
            name,
            described(f"an array of shape {given} ({arr.ndim} dimension(s))"),
            allowed + _reshape_hint(given, n_units),
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValidationError(
            name,
            described(f"an empty array of shape {arr.shape}"),
            "at least one pattern of at least one unit",
        )
    if n_units is not None and arr.shape[1] != n_units:
        raise ValidationError(
            name,
            described(f"an array of shape {given} (patterns of width {arr.shape[1]})"),
            f"patterns of width n_units = {n_units}" + _reshape_hint(given, n_units),
        )
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValidationError(
            name, described(f"{bad} NaN or infinite value(s)"), "finite values only"
        )
    if encoding is not None:
        wanted = (encoding,) if isinstance(encoding, str) else tuple(encoding)
        found = infer_encoding(arr)
        ok = found in wanted or "real" in wanted
        # An all-ones set is valid 0/1 data too.
        ok = ok or (found == "bipolar" and "binary" in wanted and np.all(arr == 1))
        if not ok:
            text = {"bipolar": "+/-1 values", "binary": "0/1 values", "real": "real values"}
            allowed = " or ".join(text[w] for w in wanted)
            raise ValidationError(name, described(f"{text[found]}"), allowed)
    return arr


def check_pairs(
    keys: Any,
    values: Any,
    *,
    n_units: int,
    n_out: int | None = None,
    encoding: str | tuple[str, ...] | None = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``keys -> values`` pairs for hetero-association (``values=None``: auto).

    Returns ``(keys, values)`` as arrays; ``values`` is ``keys`` itself when omitted.
    The values must come one per key and, if ``n_out`` is given, ``n_out`` wide.
    """
    x = check_patterns(keys, "keys", n_units=n_units, encoding=encoding, dtype=dtype)
    if values is None:
        return x, x
    y = check_patterns(values, "values", encoding=encoding, dtype=dtype)
    if len(y) != len(x):
        raise ValidationError(
            "values",
            described(f"{len(y)} values for {len(x)} keys"),
            "one value per key (as many rows as keys)",
        )
    if n_out is not None and y.shape[1] != n_out:
        raise ValidationError(
            "values",
            described(f"values of width {y.shape[1]}"),
            f"values of width n_out = {n_out}",
        )
    return x, y


def check_matrix(value: Any, name: str, shape: tuple[int, int], dtype: Any) -> Any:
    """Validate a weight matrix (dense or scipy.sparse) of the given shape, finite."""
    if sp.issparse(value):
        if value.shape != shape:
            raise ValidationError(
                name, described(f"a matrix of shape {value.shape}"), f"shape {shape}"
            )
        mat = sp.csr_array(value, dtype=dtype)
        if not np.all(np.isfinite(mat.data)):
            raise ValidationError(
                name, described("NaN or infinite entries"), "finite values only"
            )
        mat.sort_indices()
        return mat
    arr = as_real_array(value, name, "a matrix of real numbers")
    if arr.shape != shape:
        raise ValidationError(
            name, described(f"an array of shape {arr.shape}"), f"shape {shape}"
        )
    arr = np.array(arr, dtype=dtype)
    if not np.all(np.isfinite(arr)):
        raise ValidationError(
            name, described("NaN or infinite entries"), "finite values only"
        )
    return arr


def sign_rows(x: Any) -> tuple[bool | None, bool]:
    """``(signs, scaled)`` of cues ``x``: whether every row is a positive multiple of a
    +/-1 row (None: not an array of numbers), and whether some row is scaled into
    [-1, 1] first (see :class:`neuromem.memory.Workload`). Read in blocks of at most a
    thousandth of the cues: the memory check runs inside the calls it checks."""
    # Exactly an ndarray: the cues are not validated yet (a masked array, refused
    # later by name, has other reductions).
    if type(x) is not np.ndarray or x.ndim != 2 or x.dtype.kind not in "fi" or not x.size:
        return None, True
    peak = np.maximum(x.max(axis=1, initial=0), -x.min(axis=1, initial=0))
    chunk = max(1024, x.size // 1024)
    rows, cols = max(1, chunk // max(1, x.shape[1])), max(1, min(x.shape[1], chunk))

    def level(r: int, c: int) -> bool:  # every entry of the block is +/- its row's peak
        blk, p = x[r : r + rows, c : c + cols], peak[r : r + rows, None]
        return np.count_nonzero(blk == p) + np.count_nonzero(blk == -p) == blk.size

    signs = bool(np.all(peak > 0)) and all(
        level(r, c) for r in range(0, len(x), rows) for c in range(0, x.shape[1], cols)
    )
    return signs, bool(np.any((peak != 0) & (peak != 1)))
