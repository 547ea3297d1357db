"""The base of the built-in studies: a :class:`~neuromem.experiments.engine.Protocol`
that can also run and draw itself (``study.run(out)``, ``study.draw(out)``)."""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ValidationError, described
from .engine import Protocol, read_rows
from .engine import draw as draw_folder
from .engine import run as run_protocol

__all__ = ["StudyProtocol", "read_table"]


def read_table(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows of a study table, numbers typed (``error``, ``condition`` and ``variant``
    stay strings).

    Raises
    ------
    ValidationError
        If the file is not UTF-8 CSV or a row has more or fewer fields than the
        header (a torn or edited line is refused, never skipped).
    """
    rows, _ = read_rows(path, strict=True, text_columns=("error", "condition", "variant"))
    return rows


class StudyProtocol(Protocol):
    """A built-in study: a protocol with :meth:`run` and :meth:`draw` shortcuts."""

    format = "neuromem-study"

    def run(self, out: str | os.PathLike, **options: Any) -> list[dict[str, Any]]:
        """Run the study into ``out``; the options are those of
        :func:`neuromem.experiments.engine.run` (``jobs``, ``scheduler``, ``resume``,
        ``force``, ``progress``)."""
        return run_protocol(self, out, **options)

    def draw(self, out: str | os.PathLike) -> list[Path]:
        """Draw the figures of a folder this study wrote."""
        return draw_folder(out)


def check_list(
    value: Any, name: str, kind: type, *, low: float | None = None, unique: bool = True
) -> list:
    """A non-empty list of ``kind`` values (>= ``low``), distinct unless told."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValidationError(name, value, f"a non-empty list of {kind.__name__} values")
    out = []
    for v in value:
        # numpy scalars (an element of an arange) count as numbers; bool does not.
        real = numbers.Integral if kind is int else numbers.Real
        ok = isinstance(v, real) and not isinstance(v, bool | np.bool_ | np.timedelta64)
        if not ok or (low is not None and not v >= low) or v != v:
            bound = f" >= {low}" if low is not None else ""
            raise ValidationError(name, value, f"a list of {kind.__name__} values{bound}")
        out.append(kind(v))
    if not out:
        raise ValidationError(name, described("an empty list"), "at least one value")
    if unique and len(set(out)) != len(out):
        twice = next(v for v in out if out.count(v) > 1)
        raise ValidationError(name, described(f"{twice!r} twice"), "distinct values")
    return out
