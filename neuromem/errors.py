"""Error and warning types shared by the whole package."""

from __future__ import annotations

import os
import sys

__all__ = ["ConvergenceWarning", "NeuromemWarning", "PluginWarning", "ValidationError"]


def outside_package() -> int:
    """``stacklevel`` for a warning issued by the caller of this function: that of the
    first frame outside neuromem (the user's line), however deep the package's calls."""
    root = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(2), 2  # the caller of the function that warns
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(root):
        frame, level = frame.f_back, level + 1
    return level


def _short(value: object, limit: int = 80) -> str:
    """A repr of ``value`` short enough for an error message."""
    # A class (np.int64 itself) has descriptors, not values, for shape and ndim.
    shape = None if isinstance(value, type) else getattr(value, "shape", None)
    ndim = getattr(value, "ndim", 0) if shape is not None else 0
    if isinstance(ndim, int) and ndim > 0 and isinstance(shape, tuple):
        dtype = getattr(value, "dtype", "")
        return f"array of shape {tuple(shape)} ({dtype})"
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ValidationError(ValueError):
    """Bad input: names the parameter, what was given and what is allowed.

    Parameters
    ----------
    param : str
        Name of the offending parameter (``"patterns"``, ``"n_units"``, ...).
    given : object
        What the caller passed, or a short description of it.
    allowed : str
        What would have been accepted.

    Examples
    --------
    >>> raise ValidationError("n_units", -3, "an integer >= 1")
    Traceback (most recent call last):
    ...
    neuromem.errors.ValidationError: n_units: got -3; expected an integer >= 1
    """

    def __init__(self, param: str, given: object, allowed: str):
        self.param = param
        self.given = given
        self.allowed = allowed
        given_text = given if isinstance(given, _Described) else _short(given)
        super().__init__(f"{param}: got {given_text}; expected {allowed}")


class _Described(str):
    """A ``given`` that is already a description, printed without quotes."""


def described(text: str) -> _Described:
    """Mark ``text`` as a description of the given value rather than the value."""
    return _Described(text)


class NeuromemWarning(UserWarning):
    """Base class of every warning neuromem issues."""


class PluginWarning(NeuromemWarning):
    """A plugin could not be loaded or registered; the rest keep working."""


class ConvergenceWarning(NeuromemWarning):
    """Training or storage stopped before reaching its goal.

    Raised (as a warning) when a learning loop ends at its iteration limit with patterns
    still not stored or reproduced. The message names the parameter to change (for
    example ``epochs`` or ``max_epochs``) and the final loss or fraction stored; the
    model's ``converged_`` attribute records the same outcome.
    """
