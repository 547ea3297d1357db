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
    experiment: Experiment | Protocol,
    out: str | os.PathLike,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool | None = None,
    info: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run every trial (task) of ``experiment`` and write the results folder ``out``.

    Parameters
    ----------
    experiment : Experiment or Protocol
        A grid of trials, or any protocol (``sequence``, ``consolidation``, a plugin's).
    out : path
        Output folder: ``run.json``, ``results.csv`` (and a protocol's other tables).
    jobs : int
        Worker processes (1: run in this process). With a Dask scheduler, the number of
        workers of a local cluster.
    scheduler : str, optional
        ``"local"`` for a local Dask cluster, or the address of a Dask scheduler
        (``"tcp://host:8786"``). Needs the ``neuromem[dask]`` extra.
    resume : bool
        Keep the results a previous (interrupted) run of the same configuration wrote
        in ``out`` and run only the missing tasks.
    force : bool
        Overwrite a folder holding a different run (refused otherwise); the previous
        run's files that this run does not write are removed.
    progress : bool, optional
        Show a progress bar; by default only when standard output is a terminal.
    info : dict, optional
        How the run was asked for (the command line's ``--seed``, ``--quick``), recorded
        in ``run.json`` under ``"invocation"``.

    Returns
    -------
    list of dict
        The rows of the main table, in task (grid) order.
    """
    return run_protocol(
        as_protocol(experiment),
        out,
        jobs=jobs,
        scheduler=scheduler,
        resume=resume,
        force=force,
        progress=progress,
        info=info,
    )
