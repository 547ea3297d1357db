"""Running an experiment: executors, the results folder, resuming.

A run writes into its output folder:

- ``run.json``: the experiment's configuration, the root seed, the versions of
  neuromem, Python and its dependencies, and whether the run is complete;
- ``results.csv``: one row per trial. Each row is appended and fsync'd as soon as its
  trial completes, so a run killed at any moment loses at most the trial in flight. On
  ``resume`` the rows already written are kept (not recomputed), a torn last line is
  dropped, and the missing trials are run. At the end the table is rewritten, atomically,
  in grid order: an interrupted and resumed run ends with the same table as one that
  was never interrupted, whatever the executor.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import platform
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ValidationError, described
from ..io import atomic_write
from .spec import Experiment
from .trial import COLUMNS, base_row, run_trial

__all__ = ["read_results", "read_run", "run", "versions"]

RESULTS = "results.csv"
RUN = "run.json"
_BLAS_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def versions() -> dict[str, str]:
    """Versions of neuromem, Python and the libraries a result depends on."""
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    out = {"neuromem": __version__, "python": platform.python_version()}
    for dist in ("numpy", "scipy", "networkx", "matplotlib"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover
            out[dist] = "absent"
    return out


# -- the table ---------------------------------------------------------------------


def _format(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return str(value)


def _line(row: dict[str, Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([_format(row[c]) for c in COLUMNS])
    return buf.getvalue()


def _parse(row: dict[str, str]) -> dict[str, Any]:
    return {c: (t(row[c]) if t is not str else row[c]) for c, t in COLUMNS.items()}


def _read_complete(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """Rows of every complete line of a results file; and whether a torn tail was seen."""
    text = path.read_text(encoding="utf-8")
    torn = bool(text) and not text.endswith("\n")
    if torn:  # a write cut short by a kill: the last line is incomplete
        text = text[: text.rfind("\n") + 1]
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is not None and list(reader.fieldnames) != list(COLUMNS):
        raise ValidationError(
            "out",
            described(f"{str(path)!r} with columns {reader.fieldnames}"),
            "a results.csv written by this version of neuromem",
        )
    rows = []
    for raw in reader:
        try:
            rows.append(_parse(raw))
        except (ValueError, KeyError, TypeError):
            torn = True  # a line that does not parse is dropped and recomputed
    return rows, torn


def read_results(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows of a results folder (or of its ``results.csv``), typed, in file order."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS
    if not path.is_file():
        raise ValidationError("results", str(path), "a results folder with results.csv")
    return _read_complete(path)[0]


class _Appender:
    """Appends one line per row and fsyncs it, so a kill loses at most one trial."""

    def __init__(self, path: Path):
        self.fh = open(path, "a", encoding="utf-8")  # closed in close()

    def write(self, row: dict[str, Any]) -> None:
        self.fh.write(_line(row))
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


def _write_table(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with atomic_write(path, "w") as fh:
        fh.write(",".join(COLUMNS) + "\n")
        for row in rows:
            fh.write(_line(row))


def _write_run(out: Path, experiment: Experiment, complete: bool, **extra) -> None:
    meta = {
        "format": "neuromem-run",
        "experiment": experiment.to_dict(),
        "seed": experiment.seed,
        "n_trials": len(experiment.trials()),
        "versions": versions(),
        "complete": complete,
        **extra,
    }
    with atomic_write(out / RUN, "w") as fh:
        json.dump(meta, fh, indent=2, sort_keys=True)
        fh.write("\n")


def read_run(out: str | os.PathLike) -> dict[str, Any] | None:
    """The ``run.json`` of a results folder, or None if it has none."""
    path = Path(out) / RUN
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"format": "unreadable"}
    return meta if isinstance(meta, dict) else {"format": "unreadable"}


def _prepare(out: Path, experiment: Experiment, resume: bool, force: bool) -> dict:
    """Check the folder may be used; returns the rows to keep, by trial index."""
    config = experiment.to_dict()
    old = read_run(out)
    has_table = (out / RESULTS).exists()
    same = old is not None and old.get("experiment") == config
    if (old is not None or has_table) and not same and not force:
        what = (
            f"a different run ({old.get('experiment', {}).get('name', '?')!r})"
            if old is not None
            else "a results.csv of unknown origin"
        )
        raise ValidationError(
            "out",
            described(f"{str(out)!r}, which holds {what}"),
            "an empty folder, a folder of the same experiment, or --force "
            "(force=True) to overwrite it",
        )
    if resume and same and has_table:
        rows, _ = _read_complete(out / RESULTS)
        n = len(experiment.trials())
        return {r["trial"]: r for r in rows if 0 <= r["trial"] < n}
    return {}


# -- executors -------------------------------------------------------------------

_CACHE: dict[str, Experiment] = {}


def _worker_trial(config: dict, index: int) -> dict[str, Any]:
    """Run trial ``index`` of the experiment ``config`` (picklable: runs in workers)."""
    key = json.dumps(config, sort_keys=True)
    exp = _CACHE.get(key)
    if exp is None:
        exp = _CACHE.setdefault(key, Experiment.from_dict(config))
    return run_trial(exp, exp.trials()[index])


def _limit_blas() -> None:
    """One BLAS thread per worker: workers sharing the cores must not oversubscribe."""
    for var in _BLAS_VARS:
        os.environ[var] = "1"
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)


@contextlib.contextmanager
def _blas_env() -> Iterator[None]:
    """Set the BLAS thread variables for the children started inside the block."""
    saved = {v: os.environ.get(v) for v in _BLAS_VARS}
    os.environ.update(dict.fromkeys(_BLAS_VARS, "1"))
    try:
        yield
    finally:
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old


class _Budget:
    """Seconds of store and recall time each model may spend (None: no limit).

    Time a model leaves unused carries over to the models after it (trials run model by
    model): model ``j`` may spend ``(j + 1) * seconds`` minus what models ``0..j-1``
    spent. A slow model late in the list is then not cut short while the run as a whole
    is still within ``len(models) * seconds``.
    """

    def __init__(self, experiment: Experiment, seconds: float | None):
        self.seconds = seconds
        self.trials = experiment.trials()
        self.experiment = experiment
        self.spent: dict[str, float] = {}
        self.order = list(dict.fromkeys(m.key for m in experiment.models))

    def add(self, row: dict[str, Any]) -> None:
        t = row["store_time"] + row["recall_time"]
        if not math.isnan(t):
            self.spent[row["model"]] = self.spent.get(row["model"], 0.0) + t

    def allowance(self, model: str) -> float:
        """Seconds ``model`` may spend: its share plus what earlier models left."""
        j = self.order.index(model)
        earlier = sum(self.spent.get(k, 0.0) for k in self.order[:j])
        return self.seconds * (j + 1) - earlier

    def over(self, index: int) -> bool:
        if self.seconds is None:
            return False
        model = self.trials[index].model.key
        return self.spent.get(model, 0.0) > self.allowance(model)

    def skipped(self, index: int) -> dict[str, Any]:
        row = base_row(self.experiment, self.trials[index])
        row["error"] = (
            f"skipped: time budget spent ({self.seconds:.3g} s per model, plus what "
            "earlier models left unused)"
        )
        return row


def _serial(config, experiment, indices, budget):
    for i in indices:
        if budget.over(i):
            yield budget.skipped(i)
            continue
        row = run_trial(experiment, experiment.trials()[i])
        budget.add(row)
        yield row


def _processes(config, experiment, indices, jobs, budget):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # "spawn"/"forkserver" never copy a parent's threads or locks; the worker function
    # is importable and takes only plain data, so any start method works.
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    with (
        _blas_env(),
        ProcessPoolExecutor(
            max_workers=jobs, mp_context=mp.get_context(method), initializer=_limit_blas
        ) as pool,
    ):
        futures = {pool.submit(_worker_trial, config, i): i for i in indices}
        try:
            for fut in as_completed(futures):
                if fut.cancelled():
                    continue
                row = fut.result()
                budget.add(row)
                yield row
                if budget.seconds is None:
                    continue
                # Trials of a model over its budget that have not started are skipped.
                for other, i in futures.items():
                    if budget.over(i) and not other.done() and other.cancel():
                        yield budget.skipped(i)
        finally:
            for fut in futures:
                fut.cancel()


def _dask(config, experiment, indices, scheduler, jobs):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ValidationError(
            "scheduler",
            scheduler,
            "a Dask scheduler with dask[distributed] installed "
            "(pip install 'neuromem[dask]')",
        ) from None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=max(1, jobs),
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        cluster = None
        client = Client(scheduler)
    try:
        client.run(_limit_blas)
        futures = client.map(_worker_trial, [config] * len(indices), indices, pure=False)
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _progress(total: int, initial: int, enabled: bool | None):
    from tqdm.auto import tqdm

    if enabled is None:
        enabled = sys.stdout.isatty()
    return tqdm(
        total=total,
        initial=initial,
        disable=not enabled,
        unit="trial",
        desc="trials",
        dynamic_ncols=True,
    )


def run(
    experiment: Experiment,
    out: str | os.PathLike,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool | None = None,
    budget: float | None = None,
) -> list[dict[str, Any]]:
    """Run every trial of ``experiment`` and write the results folder ``out``.

    Parameters
    ----------
    experiment : Experiment
        The grid of trials.
    out : path
        Output folder: ``results.csv`` and ``run.json`` are written there.
    jobs : int
        Worker processes (1: run in this process). With a Dask scheduler, the number of
        workers of a local cluster.
    scheduler : str, optional
        ``"local"`` for a local Dask cluster, or the address of a Dask scheduler
        (``"tcp://host:8786"``). Needs the ``neuromem[dask]`` extra.
    resume : bool
        Keep the rows a previous (interrupted) run of the same experiment wrote in
        ``out`` and run only the missing trials.
    force : bool
        Overwrite a folder holding a different run (refused otherwise).
    progress : bool, optional
        Show a progress bar (trials done, rate, time left); by default only when
        standard output is a terminal.
    budget : float, optional
        Seconds of store and recall time each model may spend (serial and process
        executors). Once a model has spent them, its trials that have not started are
        recorded as skipped (``error`` says so, metrics are NaN). Which trials are
        skipped depends on the machine's speed, so a run with a budget is not
        reproducible row for row; ``neuromem compare`` uses it to bound its run time.

    Returns
    -------
    list of dict
        The rows, in grid order.
    """
    from ..validation import check_bool, check_float, check_int

    if getattr(experiment, "is_study", False):  # its own protocol: see studies.py
        return experiment.run(out, resume=resume, force=force, progress=progress)
    if not isinstance(experiment, Experiment):
        raise ValidationError("experiment", experiment, "a neuromem Experiment")
    jobs = check_int(jobs, "jobs", low=1)
    resume = check_bool(resume, "resume")
    force = check_bool(force, "force")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise ValidationError("scheduler", scheduler, "'local' or a scheduler address")
    if budget is not None:
        budget = check_float(budget, "budget", low=0.0, low_inclusive=False)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValidationError("out", str(out), "a folder (this is a file)")
    kept = _prepare(out, experiment, resume, force)

    out.mkdir(parents=True, exist_ok=True)
    trials = experiment.trials()
    config = experiment.to_dict()
    _write_run(out, experiment, complete=False)
    # Rewrite what is kept (dropping a torn last line), then append the rest.
    _write_table(out / RESULTS, [kept[i] for i in sorted(kept)])
    todo = [t.index for t in trials if t.index not in kept]
    rows = dict(kept)
    limit = _Budget(experiment, budget)
    if scheduler is not None:
        stream = _dask(config, experiment, todo, scheduler, jobs)
    elif jobs > 1 and len(todo) > 1:
        stream = _processes(config, experiment, todo, min(jobs, len(todo)), limit)
    else:
        stream = _serial(config, experiment, todo, limit)
    appender = _Appender(out / RESULTS)
    bar = _progress(len(trials), len(kept), progress)
    try:
        for row in stream:
            appender.write(row)
            rows[row["trial"]] = row
            bar.update(1)
    finally:
        bar.close()
        appender.close()
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    ordered = [rows[t.index] for t in trials]
    _write_table(out / RESULTS, ordered)
    _write_run(out, experiment, complete=True, resumed_rows=len(kept))
    return ordered
