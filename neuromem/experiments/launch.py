"""``neuromem.experiments.run``: run an :class:`Experiment` (a grid) or any
:class:`~neuromem.experiments.engine.Protocol` on the engine."""

from __future__ import annotations

import os
from typing import Any

from .engine import Protocol
from .engine import run as run_protocol
from .grid import Grid
from .spec import Experiment

__all__ = ["as_protocol", "run"]


def as_protocol(experiment: Experiment | Protocol) -> Protocol:
    """The protocol that runs ``experiment`` (an Experiment is a :class:`Grid`)."""
    return Grid(experiment) if isinstance(experiment, Experiment) else experiment


def run(
    experiment: Experiment | Protocol, out: str | os.PathLike, **options: Any
) -> list[dict[str, Any]]:
    """Run every trial (task) of ``experiment`` and write the results folder ``out``.

    ``experiment`` is a grid of trials (:class:`Experiment`) or any protocol
    (``sequence``, ``consolidation``, a plugin's). The options are those of
    :func:`neuromem.experiments.engine.run`: ``jobs`` (worker processes, or the
    workers of a local Dask cluster), ``scheduler`` (``"local"`` or a Dask scheduler
    address), ``resume``, ``force``, ``progress``, ``info`` (recorded in
    ``run.json`` under ``"invocation"``) and ``plot`` (False: nothing is drawn). Returns the rows of the main table, in task
    (grid) order.
    """
    return run_protocol(as_protocol(experiment), out, **options)
