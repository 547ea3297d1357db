"""Error and warning types shared by the whole package."""

from __future__ import annotations

import inspect
import os
import re
import sys
from collections.abc import Callable
from typing import Any

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


def check_arguments(model: Any, fn: Callable, args: tuple, kwargs: dict) -> None:
    """A ValidationError naming the argument when ``fn`` cannot take these arguments
    (an unknown keyword such as ``cycles=``, a missing cue), instead of Python's
    TypeError; nothing when they fit (the TypeError came from inside)."""
    sig = inspect.signature(fn)
    try:
        sig.bind(model, *args, **kwargs)
    except TypeError as exc:
        accepted = [
            p.name
            for p in list(sig.parameters.values())[1:]
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        where = f"{type(model).__name__}.{fn.__name__}"
        unknown = [k for k in kwargs if k not in accepted]
        if unknown:
            raise ValidationError(
                unknown[0],
                described(f"an argument {where} does not take"),
                f"arguments among: {', '.join(accepted)}",
            ) from None
        missing = re.search(r"'(\w+)'", str(exc))
        kinds = {p.name: p.kind for p in sig.parameters.values()}
        shown = [n for n in accepted if kinds[n] != inspect.Parameter.KEYWORD_ONLY]
        if len(shown) < len(accepted):  # marked as Python writes a signature
            shown += ["*", *accepted[len(shown) :]]
        raise ValidationError(
            missing.group(1) if missing else fn.__name__,
            described(f"{len(args)} positional argument(s) to {where}: {exc}"),
            f"arguments as in {where}({', '.join(shown)})",
        ) from None
