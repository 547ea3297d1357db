"""``neuromem compare``: the command, from its arguments to the folder it writes."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...progress import ENV as PROGRESS_ENV
from ...validation import check_bool, check_int
from ..engine import Executor, RunFolder, write_table
from ..engine.folder import check_out
from .context import ReportContext
from .entries import compare_config
from .probe import basin_task, capacity_task, glyph_recall
from .regimes import BASIN_FRACTIONS, entry_regime
from .report import jsonable, resolved_params, write_report
from .summary import EVALUATION_COLUMNS, SUMMARY_COLUMNS, summary_rows, table_text

__all__ = ["compare"]


#: What identifies a compare folder to the engine's folder guard: any earlier compare
#: run in it is "the same" (rewritten), any other run needs --force.
FOLDER_META = {"format": "neuromem-compare"}


def _call(job: tuple, k: int) -> Any:
    """Task ``k`` of ``job = (fn, config, arguments)``: ``fn(config, *arguments[k])``."""
    fn, config, arguments = job
    return fn(config, *arguments[k])


def _map(ex: Executor, fn, config: dict, arguments: list[tuple], done) -> list:
    """``[fn(config, *a) for a in arguments]`` on the engine's executor, in order."""
    out: dict[int, Any] = {}
    for k, result in ex.map(_call, (fn, config, arguments), range(len(arguments))):
        out[k] = result
        done()
    return [out[k] for k in range(len(arguments))]


def compare(
    out: str | Path = "results/compare",
    *,
    quick: bool = False,
    jobs: int = 1,
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
    jobs : int
        Worker processes; the results do not depend on it.
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
        Print one line per phase (default: when standard output is a terminal).
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
    t_start = time.perf_counter()
    jobs = check_int(jobs, "jobs", low=1)
    force = check_bool(force, "force")
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    out = check_out(out)
    config = compare_config(quick=quick, seed=seed, repeats=repeats, models=models)
    say = sys.stdout.isatty() if progress is None else progress
    # Quiet (or not on a terminal): the late progress bars of long loops inside the
    # models (perceptron epochs, MLP training) stay off too, here and in the workers;
    # they used to write tqdm lines into logs, more of them the busier the machine.
    saved_progress = os.environ.get(PROGRESS_ENV)
    if not say:
        os.environ[PROGRESS_ENV] = "0"
    try:
        executor = Executor(jobs, scheduler)  # checks both before anything runs
        with RunFolder(out, FOLDER_META, force=force) as folder, executor as ex:
            return _compare(folder, config, say, ex, t_start, on_search)
    finally:
        if saved_progress is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = saved_progress


def _compare(folder, config, say, ex, t_start, on_search=None) -> dict[str, Any]:
    """The body of :func:`compare`, in its locked folder, after the arguments are
    checked."""
    out = folder.out
    active = [i for i, e in enumerate(config["models"]) if e["regime"] is not None]
    reps = range(config["repeats"])

    total = 2 * len(active) * len(reps)  # a capacity and a basin search each
    finished = [0]

    def searched() -> None:
        finished[0] += 1
        if on_search is not None:
            on_search(finished[0], total)

    if on_search is not None:
        on_search(0, total)
    if say:
        print(f"compare: {len(active)} models x {config['repeats']} repeats: capacity")
    caps = _map(ex, capacity_task, config, [(i, r) for i in active for r in reps], searched)
    basin_calls = []
    for i in active:
        e = config["models"][i]
        reg = entry_regime(config, e)
        mine = [c for c in caps if c["index"] == i]
        ac = float(np.mean([c["completion"] for c in mine]))
        loads = [max(1, round(f * ac * reg.n_units)) for f in BASIN_FRACTIONS]
        loads.append(max(1, round(reg.common_load * reg.n_units)))
        e["basin_patterns"] = loads
        basin_calls += [(i, r, loads) for r in reps]
    if say:
        print("compare: basins")
    basins = _map(ex, basin_task, config, basin_calls, searched)

    rows = [row for t in [*caps, *basins] for row in t["rows"]]
    cost: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for t in [*caps, *basins]:
        label = config["models"][t["index"]]["label"]
        cost[label] = cost.get(label, 0.0) + t["task_s"]
        cpu[label] = cpu.get(label, 0.0) + t["cpu_s"]
    t_glyph = time.perf_counter()
    grid, glyph_scores = glyph_recall(config)
    glyph_s = time.perf_counter() - t_glyph
    summary = summary_rows(config, caps, basins, rows, glyph_scores, cost)
    for r in summary:
        r["cpu_s"] = cpu.get(r["model"], 0.0)
    for m in config["models"]:
        m["resolved"] = resolved_params(
            m, entry_regime(config, m).n_units if m["regime"] else 16
        )
    warn_text = {}
    for t in [*caps, *basins]:
        if t["warning"]:
            warn_text.setdefault(config["models"][t["index"]]["label"], t["warning"])

    write_table(folder.path("summary.csv"), summary, SUMMARY_COLUMNS)
    write_table(folder.path("evaluations.csv"), rows, EVALUATION_COLUMNS)
    ctx = ReportContext(out, {**config, "_glyph_grid": grid}, summary, rows)
    for label, text in warn_text.items():
        ctx.note(f"{label}: first warning: {text}")
    elapsed = time.perf_counter() - t_start
    report = write_report(ctx, elapsed)
    # The files of this run, for the folder guard: a later --force run removes those it
    # does not write again (the study sections' files are in folders of their own).
    folder.written.update(p.name for p in [report, *ctx.figures] if p.parent == out)
    meta = {
        **config,
        "elapsed_s": time.perf_counter() - t_start,
        "glyphs_s": glyph_s,
        "cost_s": cost,
        "cpu_s": cpu,
        "figures": [p.name for p in ctx.figures],
    }
    folder.write_run(complete=True, **jsonable(meta))
    folder.remove_stale()
    return {
        "summary": summary,
        "table": table_text(summary, config),
        "evaluations": rows,
        "figures": ctx.figures,
        "report": report,
        "notes": ctx.notes,
        "config": config,
    }
