"""Reading a guarded call (:func:`neuromem.memory.guarded`): the rows it is given, their
dtype, what it records, and the bytes it holds while it runs.

A recall whose recorded trajectory grows with the sweeps it takes (the Hopfield
family) is checked before it runs on its estimate with a sweep or so of the
trajectory, and again at every sweep (:class:`neuromem.sweeps.Recording`). That second
check compares the call's other arrays plus the trajectory so far with the limit: the
guard sets the former here (:func:`holding`) for the call's duration, and
:func:`held` reads it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["given_dtype", "held", "holding", "record_names", "rows_width"]

_HELD = threading.local()  # per thread: a study may recall in several threads


@contextlib.contextmanager
def holding(nbytes: int) -> Iterator[None]:
    """Declare ``nbytes`` held by the running call beside what it records."""
    before = getattr(_HELD, "n", 0)
    _HELD.n = int(nbytes)
    try:
        yield
    finally:
        _HELD.n = before


def held() -> int:
    """Bytes the running guarded call holds beside what it records (0 outside one)."""
    return getattr(_HELD, "n", 0)


def rows_width(x: Any) -> tuple[int, int | None]:
    """``(rows, width)`` of rows given to a call (``(0, None)`` when unknown)."""
    shape = getattr(x, "shape", None)
    if shape is None:
        try:
            shape = np.shape(x)
        except (ValueError, TypeError):
            return 0, None  # ragged or unknown: the model's own checks speak
    if len(shape) == 0:
        return 0, None
    if len(shape) == 1:
        return 1, int(shape[0])
    return int(shape[0]), int(shape[-1])


def given_dtype(x: Any) -> str | None:
    """Dtype of rows given to a call (a list is read as float64, as it is converted)."""
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return None if x is None else "float64"
    return np.dtype(dtype).str  # round-trips through np.dtype, strings included


def record_names(value: Any, default: frozenset) -> frozenset:
    """The names a ``record`` argument asks for (``True``: ``default``)."""
    if value is None or value is False:
        return frozenset()
    if value is True:
        return default
    if isinstance(value, str):
        return frozenset({value})
    try:
        return frozenset(str(v) for v in value)
    except TypeError:
        return frozenset()
