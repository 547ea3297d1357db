"""Running an experiment: executors, the results folder, resuming.

A run writes into its output folder:

- ``run.json``: the experiment's configuration, the root seed, the versions of
  neuromem, Python and its dependencies, and whether the run is complete;
- ``results.csv``: one row per trial. Each row is appended and fsync'd as soon as its
  trial completes, so a run killed at any moment loses at most the trial in flight. On
  ``resume`` the rows already written are kept (not recomputed), a torn last line is
  dropped, and the missing trials are run. At the end the table is rewritten, atomically,
  in grid order: an interrupted and resumed run ends with the same table as one that
  was never interrupted, whatever the executor. Every kept row is checked against the
  trial it claims to be (its coordinates and seed): a row that does not match is
  recomputed. Lines that are not valid UTF-8 or do not parse (a line torn inside a
  multi-byte character, garbage appended) are dropped and their trials recomputed.

While a run writes a folder it holds a lock on it (``.neuromem.lock``): a second run
into the same folder fails at once with a clear error instead of mixing its rows in.

Every trial runs with :data:`BLAS_THREADS` BLAS thread(s), in this process and in every
worker, so its numbers do not depend on the executor (a BLAS library may sum in another
order with another number of threads); ``run.json`` records it.
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
LOCK = ".neuromem.lock"
#: BLAS threads every trial runs with, on every executor (recorded in run.json).
BLAS_THREADS = 1
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


def _read_complete(path: Path, strict: bool = False) -> tuple[list[dict[str, Any]], bool]:
    """Rows of every complete line of a results file; and whether a torn tail was seen.

    The file is read line by line as bytes: a line that is not valid UTF-8 or does not
    parse as a row is dropped (``strict``: refused with :class:`ValidationError`).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            "results",
            described(f"{str(path)!r}, unreadable ({exc.strerror})"),
            "a readable results.csv",
        ) from None
    torn = bool(data) and not data.endswith(b"\n")
    if torn and not strict:  # a write cut short by a kill: the last line is incomplete
        data = data[: data.rfind(b"\n") + 1]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        return [], torn
    header = lines[0].decode("utf-8", errors="replace").rstrip("\r").split(",")
    if header != list(COLUMNS):
        raise ValidationError(
            "out",
            described(f"{str(path)!r} with columns {header[:30]}"),
            "a results.csv written by this version of neuromem",
        )
    rows = []
    for number, raw in enumerate(lines[1:], 2):
        try:
            fields = next(csv.reader([raw.decode("utf-8")]))
            if len(fields) != len(COLUMNS):
                raise ValueError(f"{len(fields)} fields")
            rows.append(_parse(dict(zip(COLUMNS, fields, strict=True))))
        except (ValueError, KeyError, TypeError, csv.Error, StopIteration) as exc:
            if strict:
                raise ValidationError(
                    "results",
                    described(f"{str(path)!r}, whose line {number} does not parse ({exc})"),
                    "a results.csv of complete rows written by neuromem",
                ) from None
            torn = True  # a line that does not parse is dropped and recomputed
    return rows, torn


def read_results(path: str | os.PathLike, *, strict: bool = False) -> list[dict[str, Any]]:
    """Rows of a results folder (or of its ``results.csv``), typed, in file order.

    Lines that do not parse are dropped; with ``strict=True`` they are a
    :class:`ValidationError` naming the line.
    """
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS
    if not path.is_file():
        raise ValidationError("results", str(path), "a results folder with results.csv")
    return _read_complete(path, strict)[0]


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
        "n_trials": experiment.n_trials,
        "blas_threads": BLAS_THREADS,
        "versions": versions(),
        "complete": complete,
        **extra,
    }
    with atomic_write(out / RUN, "w") as fh:
        json.dump(meta, fh, indent=2, sort_keys=True)
        fh.write("\n")


@contextlib.contextmanager
def files_that_fit(folder: str | Path, allowed: str) -> Iterator[None]:
    """Redraw from a results folder; its tables parsing but not fitting together (an
    edited or damaged file) is a :class:`ValidationError` naming the folder.

    Figures read the tables in too many ways to check each one up front, so the
    errors a misfit raises while drawing are turned into one clear error instead.
    """
    try:
        yield
    except ValidationError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationError(
            "results",
            described(
                f"{str(folder)!r}, whose files do not fit together "
                f"({type(exc).__name__}: {exc})"[:300]
            ),
            allowed,
        ) from None


def read_run(out: str | os.PathLike) -> dict[str, Any] | None:
    """The ``run.json`` of a results folder, or None if it has none."""
    path = Path(out) / RUN
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        # ValueError covers bytes that are not UTF-8 as well as JSON syntax errors;
        # RecursionError is what json raises on a very deeply nested file.
        return {"format": "unreadable"}
    return meta if isinstance(meta, dict) else {"format": "unreadable"}


def _matches(row: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether a kept row is the trial it claims to be (coordinates and seed)."""
    keys = ("trial", "model", "patterns", "load", "corruption", "noise", "sets")
    keys += ("repeat", "seed", "n_units", "n_patterns")
    return all(row.get(k) == expected.get(k) for k in keys if k in expected)


def _prepare(out: Path, experiment: Experiment, resume: bool, force: bool) -> dict:
    """Check the folder may be used; returns the rows to keep, by trial index."""

    config = experiment.to_dict()
    old = read_run(out)
    has_table = (out / RESULTS).exists()
    same = old is not None and old.get("experiment") == config
    others = (
        [e for e in os.listdir(out) if e != LOCK] if out.is_dir() and old is None else []
    )
    if (old is not None or has_table or others) and not same and not force:
        if old is not None:
            exp = old.get("experiment")
            name = exp.get("name", "?") if isinstance(exp, dict) else "?"
            what = f"a different run ({name!r})"
        elif has_table:
            what = "a results.csv of unknown origin"
        else:
            what = f"other files ({', '.join(sorted(others)[:3])}) and no run.json"
        raise ValidationError(
            "out",
            described(f"{str(out)!r}, which holds {what}"),
            "an empty folder, a folder of the same experiment, or --force "
            "(force=True) to overwrite it",
        )
    if resume and same and has_table:
        rows, _ = _read_complete(out / RESULTS)
        n = experiment.n_trials
        kept: dict[int, dict[str, Any]] = {}
        for r in rows:
            i = r["trial"]
            if not 0 <= i < n or i in kept:
                continue
            if _matches(r, base_row(experiment, experiment.trial(i))):
                kept[i] = r
        return kept
    return {}


# -- executors -------------------------------------------------------------------

_CACHE: dict[str, Experiment] = {}


_CONTROLLER: list[Any] = []


def _run_one(experiment: Experiment, index: int) -> dict[str, Any]:
    """Run trial ``index`` with :data:`BLAS_THREADS` BLAS threads, on any executor."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:  # finding the BLAS libraries once per process is enough
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=BLAS_THREADS, user_api="blas"):
        return run_trial(experiment, experiment.trial(index))


def _worker_trial(config: dict, index: int) -> dict[str, Any]:
    """Run trial ``index`` of the experiment ``config`` (picklable: runs in workers)."""
    key = json.dumps(config, sort_keys=True)
    exp = _CACHE.get(key)
    if exp is None:
        exp = _CACHE.setdefault(key, Experiment.from_dict(config))
    return _run_one(exp, index)


def _exit_with_parent(parent: int | None = None) -> None:
    """Make this worker process die with the process that started the run.

    A ``kill -9`` of the run leaves no pool worker (or forkserver) behind: on Linux the
    kernel signals the worker when its parent dies (``PR_SET_PDEATHSIG``); elsewhere a
    daemon thread polls the parent process id. ``parent`` is the run's process id as the
    run knew it: a worker that starts after the run died (and was adopted by another
    process) exits at once.
    """
    if _PARENT:
        return
    import threading

    parent = os.getppid() if parent is None else parent
    _PARENT.append(parent)
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
            return
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:  # pragma: no cover - non-Linux fallback
        import time

        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(1.0)

    threading.Thread(target=watch, daemon=True).start()


_PARENT: list[int] = []


def _limit_blas() -> None:
    """One BLAS thread per worker: workers sharing the cores must not oversubscribe."""
    for var in _BLAS_VARS:
        os.environ[var] = "1"
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)


def _pool_init(parent: int | None = None) -> None:
    """Initialiser of local pool workers: one BLAS thread, and die with the run."""
    _exit_with_parent(parent)
    _limit_blas()


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


def _serial(config, experiment, indices):
    for i in indices:
        yield _run_one(experiment, i)


def _processes(config, experiment, indices, jobs):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # "spawn" never copies a parent's threads or locks, and its workers are children of
    # this process itself (not of a forkserver), so they can die with it (_pool_init).
    with (
        _blas_env(),
        ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=mp.get_context("spawn"),
            initializer=_pool_init,
            initargs=(os.getpid(),),
        ) as pool,
    ):
        futures = {pool.submit(_worker_trial, config, i): i for i in indices}
        try:
            for fut in as_completed(futures):
                if fut.cancelled():
                    continue
                yield fut.result()
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
        timeout = float(os.environ.get("NEUROMEM_DASK_TIMEOUT", "10"))
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, ValueError, TypeError) as exc:  # TimeoutError is an OSError
            raise ValidationError(
                "scheduler",
                described(f"{scheduler!r}, unreachable ({type(exc).__name__}: {exc})"),
                "the address of a running Dask scheduler (tcp://host:8786) or 'local'",
            ) from None
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
    info: dict[str, Any] | None = None,
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
    info : dict, optional
        How the run was asked for (the command line's ``--seed``, ``--quick``), recorded
        in ``run.json`` under ``"invocation"``.

    Returns
    -------
    list of dict
        The rows, in grid order.
    """
    from ..validation import check_bool, check_int

    if getattr(experiment, "is_study", False):  # its own protocol: see studies.py
        return experiment.run(out, resume=resume, force=force, progress=progress)
    if not isinstance(experiment, Experiment):
        raise ValidationError("experiment", experiment, "a neuromem Experiment")
    jobs = check_int(jobs, "jobs", low=1)
    resume = check_bool(resume, "resume")
    force = check_bool(force, "force")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise ValidationError("scheduler", scheduler, "'local' or a scheduler address")
    if info is not None and not isinstance(info, dict):
        raise ValidationError("info", info, "a dict (recorded in run.json) or None")
    if not isinstance(out, str | os.PathLike) or not os.fspath(out):
        raise ValidationError("out", out, "a folder path")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValidationError("out", str(out), "a folder (this is a file)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = _lock(out)
    except OSError as exc:
        raise ValidationError(
            "out",
            described(f"{str(out)!r}, which cannot be written ({exc.strerror or exc})"),
            "a folder you can write to",
        ) from None
    try:
        return _run_locked(experiment, out, jobs, scheduler, resume, force, progress, info)
    finally:
        lock.release()


def _lock(out: Path):
    """Hold the folder for this run: a second run into it fails at once."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(out / LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        # filelock also times out when it cannot create its file at all (a folder
        # such as /proc): only a folder that takes a new file is held by another run.
        import tempfile

        with tempfile.TemporaryFile(dir=out):  # an OSError here: cannot be written
            pass
        raise ValidationError(
            "out",
            described(f"{str(out)!r}, which another run is writing now"),
            "a folder no other run is using (wait for it, or choose another --out)",
        ) from None
    return lock


def _run_locked(experiment, out, jobs, scheduler, resume, force, progress, info):
    kept = _prepare(out, experiment, resume, force)
    config = experiment.to_dict()
    extra = {"invocation": info} if info else {}
    _write_run(out, experiment, complete=False, **extra)
    # Rewrite what is kept (dropping a torn last line), then append the rest.
    _write_table(out / RESULTS, [kept[i] for i in sorted(kept)])
    n_trials = experiment.n_trials
    todo = [i for i in range(n_trials) if i not in kept]
    rows = dict(kept)
    if scheduler is not None:
        stream = _dask(config, experiment, todo, scheduler, jobs)
    elif jobs > 1 and len(todo) > 1:
        stream = _processes(config, experiment, todo, min(jobs, len(todo)))
    else:
        stream = _serial(config, experiment, todo)
    appender = _Appender(out / RESULTS)
    bar = _progress(n_trials, len(kept), progress)
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
    ordered = [rows[i] for i in range(n_trials)]
    _write_table(out / RESULTS, ordered)
    _write_run(out, experiment, complete=True, resumed_rows=len(kept), **extra)
    return ordered
