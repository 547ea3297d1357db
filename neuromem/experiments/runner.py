"""Names kept for code written before the experiment engine (:mod:`.engine`).

:func:`read_results` reads a grid's ``results.csv`` as typed rows; the rest are the
engine's own (:func:`~.engine.read_run`, :func:`~.engine.versions`,
:func:`~.engine.files_that_fit`, :data:`~.engine.LOCK`, :data:`~.engine.BLAS_THREADS`).
Running is :func:`neuromem.experiments.run`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from .engine import BLAS_THREADS, LOCK, RUN, files_that_fit, read_rows, read_run, versions
from .trial import COLUMNS

__all__ = [
    "BLAS_THREADS",
    "LOCK",
    "RESULTS",
    "RUN",
    "files_that_fit",
    "read_results",
    "read_run",
    "versions",
]

RESULTS = "results.csv"


def read_results(path: str | os.PathLike, *, strict: bool = False) -> list[dict[str, Any]]:
    """Rows of a grid's results folder (or of its ``results.csv``), typed, in file
    order. Lines that do not parse are dropped; with ``strict=True`` they are a
    :class:`ValidationError` naming the line. For a DataFrame, see
    :func:`neuromem.experiments.engine.read_frame`.
    """
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS
    if not path.is_file():
        raise ValidationError("results", str(path), "a results folder with results.csv")
    return read_rows(path, COLUMNS, strict=strict)[0]
