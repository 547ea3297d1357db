"""``neuromem compare``: the command, from its arguments to the folder it writes."""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ValidationError, described
from ...io import atomic_write
from ...progress import ENV as PROGRESS_ENV
from ...validation import check_bool, check_int
from ..runner import versions
from .context import ReportContext
from .entries import compare_config
from .executor import map_tasks
from .probe import basin_task, capacity_task, glyph_recall
from .regimes import BASIN_FRACTIONS, regime_of
from .report import jsonable, resolved_params, write_report
from .summary import EVALUATION_COLUMNS, SUMMARY_COLUMNS, summary_rows, table_text

__all__ = ["compare"]


def _write_csv(path: Path, rows: list[dict], cols: Sequence[str]) -> None:
    with atomic_write(path, "w") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow(
                [
                    "nan"
                    if isinstance(r[c], float) and math.isnan(r[c])
                    else (repr(r[c]) if isinstance(r[c], float) else r[c])
                    for c in cols
                ]
            )


def _check_folder(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ValidationError("out", str(out), "a folder (this is a file)")
    meta = out / "run.json"
    if not meta.is_file() or force:
        return
    try:
        fmt = json.loads(meta.read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, RecursionError, AttributeError):
        # Junk bytes (UnicodeDecodeError is a ValueError), bad or too deeply nested
        # JSON, or JSON that is not a table: all "another run", never a crash.
        fmt = None
    if fmt != "neuromem-compare":
        raise ValidationError(
            "out",
            described(f"{str(out)!r}, which holds another run"),
            "an empty folder, a compare folder, or --force (force=True) to overwrite it",
        )


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
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise ValidationError("scheduler", scheduler, "'local' or a scheduler address")
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    out = Path(out)
    _check_folder(out, force)
    config = compare_config(quick=quick, seed=seed, repeats=repeats, models=models)
    say = sys.stdout.isatty() if progress is None else progress
    # Quiet (or not on a terminal): the late progress bars of long loops inside the
    # models (perceptron epochs, MLP training) stay off too, here and in the workers;
    # they used to write tqdm lines into logs, more of them the busier the machine.
    saved_progress = os.environ.get(PROGRESS_ENV)
    if not say:
        os.environ[PROGRESS_ENV] = "0"
    try:
        return _compare(out, config, say, jobs, scheduler, t_start, on_search)
    finally:
        if saved_progress is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = saved_progress


def _compare(out, config, say, jobs, scheduler, t_start, on_search=None) -> dict[str, Any]:
    """The body of :func:`compare`, after the arguments are checked."""
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
    caps = map_tasks(
        capacity_task,
        [(config, i, r) for i in active for r in reps],
        jobs,
        scheduler,
        searched,
    )
    basin_calls = []
    for i in active:
        e = config["models"][i]
        reg = regime_of(config, e["regime"])
        mine = [c for c in caps if c["index"] == i]
        ac = float(np.mean([c["completion"] for c in mine]))
        loads = [max(1, round(f * ac * reg.n_units)) for f in BASIN_FRACTIONS]
        loads.append(max(1, round(reg.common_load * reg.n_units)))
        e["basin_patterns"] = loads
        basin_calls += [(config, i, r, loads) for r in reps]
    if say:
        print("compare: basins")
    basins = map_tasks(basin_task, basin_calls, jobs, scheduler, searched)

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
            m, config["regimes"][m["regime"]]["n_units"] if m["regime"] else 16
        )
    warn_text = {}
    for t in [*caps, *basins]:
        if t["warning"]:
            warn_text.setdefault(config["models"][t["index"]]["label"], t["warning"])

    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "summary.csv", summary, list(SUMMARY_COLUMNS))
    _write_csv(out / "evaluations.csv", rows, EVALUATION_COLUMNS)
    ctx = ReportContext(out, {**config, "_glyph_grid": grid}, summary, rows)
    for label, text in warn_text.items():
        ctx.note(f"{label}: first warning: {text}")
    elapsed = time.perf_counter() - t_start
    report = write_report(ctx, elapsed)
    meta = {
        **config,
        "versions": versions(),
        "elapsed_s": time.perf_counter() - t_start,
        "glyphs_s": glyph_s,
        "cost_s": cost,
        "cpu_s": cpu,
        "figures": [p.name for p in ctx.figures],
    }
    with atomic_write(out / "run.json", "w") as fh:
        json.dump(jsonable(meta), fh, indent=2, sort_keys=True)
        fh.write("\n")
    return {
        "summary": summary,
        "table": table_text(summary),
        "evaluations": rows,
        "figures": ctx.figures,
        "report": report,
        "notes": ctx.notes,
        "config": config,
    }
