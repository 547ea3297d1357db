"""``neuromem compare``: the command, from its arguments to the folder it writes (the
protocol :class:`~.protocol.Compare`, run by the engine)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ...progress import ENV as PROGRESS_ENV
from ...validation import check_bool, check_int
from ..engine import read_run, run
from ..engine.folder import check_out
from .protocol import Compare

__all__ = ["compare"]


def compare(
    out: str | Path = "results/compare",
    *,
    quick: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
    seed: int = 0,
    repeats: int | None = None,
    models: Sequence[str] | None = None,
    force: bool = False,
    progress: bool | None = None,
    on_search: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Measure every registered model's completion capacity, basins and information.

    Parameters
    ----------
    out : path
        Output folder (default ``results/compare``).
    quick : bool
        A smoke run (small sizes, 3 repeats): seconds, not for conclusions.
    jobs : int, optional
        Worker processes (default: the usable cores, never more than the searches; 1:
        every search in this process); the results do not depend on it. The study
        sections run on the same workers.
    scheduler : str, optional
        ``"local"`` or a Dask scheduler address (needs ``neuromem[dask]``).
    seed : int
        Root seed: every pattern, cue and model seed is derived from it.
    repeats : int, optional
        Repeats of every search (default 5; 3 with ``quick``); at least 2, for the
        intervals.
    models : list of str, optional
        Registry names or labels to compare (default: all).
    force : bool
        Overwrite a folder that holds another kind of run.
    progress : bool, optional
        Print what runs and draw the engine's progress bar (default: when standard
        output is a terminal).
    on_search : callable, optional
        Called as ``on_search(done, total)`` before the first search and after every
        capacity or basin search has finished (``neuromem compare`` prints progress
        lines from it when its output is not a terminal).

    Returns
    -------
    dict
        ``summary`` (one dict per model, :data:`SUMMARY_COLUMNS`), ``table`` (text),
        ``evaluations``, ``figures``, ``report``, ``notes``, ``config``.
    """
    import matplotlib

    matplotlib.use("Agg")
    if jobs is not None:
        jobs = check_int(jobs, "jobs", low=1)
    force = check_bool(force, "force")
    out = check_out(out)
    protocol = Compare({"quick": bool(quick), "repeats": repeats, "models": models}, seed)
    # Any earlier compare run in the folder is replaced, whatever its options (the
    # command has always rewritten its own folder); any other run needs force.
    previous = read_run(out) if out.is_dir() else None
    force = force or (previous or {}).get("format") == Compare.format
    say = sys.stdout.isatty() if progress is None else progress
    # Quiet (or not on a terminal): the late progress bars of long loops inside the
    # models (perceptron epochs, MLP training) stay off too, here and in the workers;
    # they used to write tqdm lines into logs, more of them the busier the machine.
    saved_progress = os.environ.get(PROGRESS_ENV)
    if not say:
        os.environ[PROGRESS_ENV] = "0"
    total = protocol.n_searches

    def searched(done: int, _known: int) -> None:
        if on_search is not None:  # the glyph task is no search
            on_search(min(done, total), total)

    try:
        if on_search is not None:
            on_search(0, total)
        if say:
            print(
                f"compare: {len(protocol.active)} models x {protocol.config['repeats']} "
                "repeats: capacity, then basins"
            )
        summary = run(
            protocol,
            out,
            jobs=jobs,
            scheduler=scheduler,
            force=force,
            progress=progress,
            on_task=searched,
        )
    finally:
        if saved_progress is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = saved_progress
    made = protocol.made
    return {
        "summary": summary,
        "table": made["table"],
        "evaluations": made["evaluations"],
        "figures": made["figures"],
        "report": made["report"],
        "notes": made["notes"],
        "config": protocol.config,
    }
