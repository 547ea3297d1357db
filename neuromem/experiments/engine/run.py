"""Running a protocol into a results folder: validate, connect, lock, resume, execute,
reduce, write.

Every task's result is written as soon as the task completes: for a protocol
that declares :attr:`~Protocol.columns` it is a row appended to ``results.csv``;
otherwise a line of the journal ``.neuromem-tasks.jsonl`` (each flushed at once, and
fsync'd at most every second: :class:`~.table.Appender`). On
``resume`` the results already there are kept (not recomputed) when they are the task
they claim to be; a torn or unparsable line is dropped and its task recomputed. At the
end the tables are written, atomically, in task order: an interrupted and resumed run
ends with the same tables as one that was never interrupted, on any executor.

A protocol of several :attr:`~Protocol.stages` runs them in order, each stage's tasks
computed from the results of the stages before it, as they read back from the journal:
a run killed in a later stage resumes there with the earlier results kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ValidationError, described
from ...io import atomic_write
from ...validation import check_bool
from .executor import BLAS_THREADS, Executor
from .folder import LOCK, RUN, RunFolder, check_out, read_run
from .protocol import Protocol, protocol_of
from .table import Appender, column_types, read_rows, write_table

__all__ = ["JOURNAL", "draw", "run"]

#: The journal of a protocol whose results are reduced at the end.
JOURNAL = ".neuromem-tasks.jsonl"


def _task(job: tuple, index: int) -> Any:
    protocol, stage, keys = job
    return protocol.stage_task(stage, index, keys[index])


def _plain(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} is not JSON data")


def _checked_tasks(protocol: Protocol, stage: str, earlier: dict[str, list]) -> list:
    """The task coordinates of ``stage``: a list of tuples of JSON data (the journal
    keeps them), or a ValidationError naming ``tasks`` (the method that gave them)."""
    keys = protocol.stage_tasks(stage, earlier)
    name = "tasks" if len(protocol.stages) == 1 else f"stage_tasks({stage!r})"
    expected = "a list of tuples of JSON data, one tuple of coordinates per task"
    if not isinstance(keys, list | tuple):
        raise ValidationError(name, described(f"a {type(keys).__name__}"), expected)
    for i, key in enumerate(keys):
        try:
            if not isinstance(key, tuple | list):
                raise TypeError
            json.dumps(list(key), default=_plain)
        except (TypeError, ValueError):
            raise ValidationError(f"{name}[{i}]", key, expected) from None
    return list(keys)


def _json(obj: Any) -> Any:
    """``obj`` as it reads back from the journal (tuples as lists, numpy as Python)."""
    return json.loads(json.dumps(obj, default=_plain))


class _TableJournal:
    """The main table itself, one row per task (the task index in its own column)."""

    def __init__(self, folder: RunFolder, protocol: Protocol):
        self.path = folder.path("results.csv")
        self.protocol = protocol
        self.columns = protocol.columns

    def open(self, resuming: bool, stage: str, keys: list) -> dict[int, Any]:
        """The kept results of the (only) stage; the table is rewritten with them."""
        kept = self._load(len(keys)) if resuming else {}
        write_table(self.path, [kept[i] for i in sorted(kept)], self.columns)
        self.out = Appender(self.path, self.columns)
        return kept

    def _load(self, n: int) -> dict[int, Any]:
        if not self.path.exists():
            return {}
        rows, _ = read_rows(self.path, self.columns, strict=False)
        kept: dict[int, Any] = {}
        for r in rows:
            i = r[self.protocol.index_column]
            if isinstance(i, int) and 0 <= i < n and i not in kept:
                if self.protocol.matches(r, i):
                    kept[i] = r
        return kept

    def add(self, stage: str, index: int, key: Any, result: Any) -> Any:
        self.out.write(result)
        return result

    def close(self) -> None:
        if hasattr(self, "out"):
            self.out.close()


class _JsonJournal:
    """One JSON line per completed task: its index, coordinates and result (and its
    stage, for a protocol of several stages)."""

    def __init__(self, folder: RunFolder, protocol: Protocol):
        self.path = folder.path(JOURNAL)
        self.protocol = protocol
        self.staged = len(protocol.stages) > 1
        self.fh = None
        self.old: list[dict[str, Any]] = []

    def _read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        entries = []
        for raw in self.path.read_bytes().split(b"\n"):
            try:
                entry = json.loads(raw.decode("utf-8"))
            except ValueError:
                continue  # a torn or damaged line: its task is recomputed
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def open(self, resuming: bool, stage: str, keys: list) -> dict[int, Any]:
        """The kept results of ``stage`` whose coordinates are ``keys``. The first
        call rewrites the journal with the whole lines of the previous run (every
        stage's: a later stage's are checked when that stage starts)."""
        if self.fh is None:
            self.old = self._read() if resuming else []
            with atomic_write(self.path, "w") as fh:
                for entry in self.old:
                    fh.write(json.dumps(entry) + "\n")
            self.fh = Appender(self.path)  # closed in close()
        keys = _json([list(k) for k in keys])
        kept: dict[int, Any] = {}
        for entry in self.old:
            try:
                i = entry["task"]
                if (
                    entry.get("stage") == (stage if self.staged else None)
                    and isinstance(i, int)
                    and 0 <= i < len(keys)
                    and i not in kept
                    and entry["key"] == keys[i]
                    and self.protocol.matches(entry["result"], i)
                ):
                    kept[i] = entry["result"]
            except (KeyError, TypeError):
                continue
        return kept

    def add(self, stage: str, index: int, key: Any, result: Any) -> Any:
        """Write the line of a completed task; returns the result as it reads back
        (for a protocol of several stages, the same whether it was kept or not)."""
        entry = {"task": index, "key": list(key), "result": result}
        if self.staged:
            entry["stage"] = stage
        line = json.dumps(entry, default=_plain)
        self.fh.append(line + "\n")
        return json.loads(line)["result"] if self.staged else result

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _bar(total: int, initial: int, enabled: bool | None):
    from tqdm.auto import tqdm

    if enabled is None:  # the bar is drawn on stderr: both must be terminals (a log
        # given stderr alone would fill with carriage-return frames)
        enabled = all(
            callable(getattr(s, "isatty", None)) and s.isatty()
            for s in (sys.stdout, sys.stderr)
        )
    return tqdm(
        total=total,
        initial=initial,
        disable=not enabled,
        unit="task",
        desc="tasks",
        dynamic_ncols=True,
    )


def run(
    protocol: Protocol,
    out: str | os.PathLike,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool | None = None,
    info: dict[str, Any] | None = None,
    on_task: Callable[[int, int], None] | None = None,
    plot: bool = True,
) -> list[dict[str, Any]]:
    """Run every task of ``protocol`` and write the results folder ``out``.

    Everything is checked (the protocol, the options, the scheduler's reachability)
    before anything is written to ``out``.

    Parameters
    ----------
    protocol : Protocol
        The experiment.
    out : path
        Output folder.
    jobs : int, optional
        Worker processes (1: every task in this process); with ``scheduler="local"``,
        Dask workers. Default: the usable cores
        (:func:`~neuromem.experiments.engine.executor.usable_cores`), never more
        workers than tasks. The results do not depend on it.
    scheduler : str, optional
        ``"local"`` or a Dask scheduler address (needs ``neuromem[dask]``).
    executor : Executor, optional
        An executor already entered, to run on instead of one of this run's own (with
        ``jobs`` and ``scheduler`` left unset): a protocol's finish hook runs the runs
        it starts itself on its own run's workers (:attr:`RunFolder.executor`).
    resume : bool
        Keep the results a previous (interrupted) run of the same configuration wrote
        in ``out`` and run only the missing tasks.
    force : bool
        Take a folder holding a different run; its files that this run does not
        write are removed.
    progress : bool, optional
        A progress bar on standard error (default: when standard output and
        standard error are both terminals).
    info : dict, optional
        How the run was asked for, recorded in ``run.json`` under ``"invocation"``.
    on_task : callable, optional
        Called as ``on_task(done, total)`` after every task that runs (``total``:
        the tasks known so far; a later stage's are added when it starts).
    plot : bool
        False (``--no-plot``): the run draws nothing, not even in the protocol's
        :meth:`~Protocol.finish` (compare's figures, study sections and report); the
        tables are the same, and :func:`draw` draws the figures later.

    Returns
    -------
    list of dict
        The rows of the main table (:attr:`~Protocol.main_table`), in task order.
    """
    if not isinstance(protocol, Protocol):
        raise ValidationError("experiment", protocol, "a neuromem Experiment or Protocol")
    resume = check_bool(resume, "resume")
    force = check_bool(force, "force")
    plot = check_bool(plot, "plot")
    if progress is not None:
        progress = check_bool(progress, "progress")
    if info is not None and not isinstance(info, dict):
        raise ValidationError("info", info, "a dict (recorded in run.json) or None")
    out = check_out(out)
    stages = protocol.stages
    if not stages or len(set(stages)) != len(stages):
        raise ValidationError("stages", stages, "distinct stage names")
    if len(stages) > 1 and protocol.columns is not None:
        raise ValidationError(
            "columns", protocol.columns, "None for a protocol of several stages"
        )
    meta = {
        "format": protocol.format,
        "protocol": protocol.name,
        "experiment": protocol.to_dict(),
        "seed": protocol.seed,
    }
    extra: dict[str, Any] = {"blas_threads": BLAS_THREADS}
    extra.update(protocol_meta(protocol))
    if info:
        extra["invocation"] = info
    # The first stage's tasks are checked before anything is written; a later stage's
    # depend on the earlier results.
    first = _checked_tasks(protocol, stages[0], {})
    if executor is not None and not (
        isinstance(executor, Executor) and jobs is None and scheduler is None
    ):
        raise ValidationError(
            "executor", executor, "an entered Executor, with jobs and scheduler unset"
        )
    own = (
        Executor(jobs, scheduler) if executor is None else contextlib.nullcontext(executor)
    )
    with own as executor, RunFolder(out, meta, force=force) as folder:
        folder.executor = executor
        folder.plot = plot
        journal_cls = _TableJournal if protocol.columns is not None else _JsonJournal
        journal = journal_cls(folder, protocol)
        extra["journal"] = journal.path.name
        resuming = resume and folder.same
        results: dict[str, list[Any]] = {}
        done, total, resumed = 0, 0, 0
        bar = _bar(0, 0, progress)
        try:
            for stage in stages:
                # A later stage's tasks depend on the earlier stages' results: they
                # are known (and counted in run.json) only when it starts.
                keys = (
                    first if not results else _checked_tasks(protocol, stage, dict(results))
                )
                n = len(keys)
                total += n
                extra["n_tasks"] = total
                folder.write_run(False, **extra)
                kept = journal.open(resuming, stage, keys)
                got = dict(kept)
                resumed += len(kept)
                done += len(kept)
                bar.total = total
                bar.update(len(kept))
                todo = [i for i in range(n) if i not in kept]
                for i, result in executor.map(_task, (protocol, stage, keys), todo):
                    got[i] = journal.add(stage, i, keys[i], result)
                    done += 1
                    bar.update(1)
                    if on_task is not None:
                        on_task(done, total)
                results[stage] = [got[i] for i in range(n)]
        finally:
            bar.close()
            journal.close()
        output = protocol.stage_reduce(results)
        schemas = {}
        for name, rows in output.tables.items():
            cols = (
                protocol.columns if name == "results" else protocol.table_columns.get(name)
            )
            write_table(folder.path(f"{name}.csv"), rows, cols)
            kinds = (
                {c: t.__name__ for c, t in cols.items()}
                if isinstance(cols, dict)
                else column_types(rows)
            )
            if kinds:  # read_frame reads the table back with these types
                schemas[name] = kinds
        for name, arr in output.arrays.items():
            with atomic_write(folder.path(f"{name}.npy"), "wb") as fh:
                np.save(fh, np.asarray(arr))
        if output.summary is not None:
            with atomic_write(folder.path("summary.json"), "w") as fh:
                json.dump(output.summary, fh, indent=2, sort_keys=True)
                fh.write("\n")
        extra.update(protocol.finish(folder, output))
        folder.remove_stale()
        folder.write_run(
            True,
            resumed_rows=resumed,
            tables=sorted(output.tables),
            schemas=schemas,
            **extra,
        )
    return output.tables.get(protocol.main_table, [])


def protocol_meta(protocol: Protocol) -> dict[str, Any]:
    """Extra ``run.json`` keys a protocol declares (``run_meta()``), if any."""
    hook = getattr(protocol, "run_meta", None)
    return dict(hook()) if callable(hook) else {}


def draw(folder: str | os.PathLike) -> list[Path]:
    """Redraw the figures of a results folder written by any protocol."""
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    protocol = protocol_of(folder)
    with _drawing(folder):
        paths = protocol.figures(folder)
        meta = read_run(folder)
        if isinstance(meta, dict) and isinstance(meta.get("files"), list):
            # The figures belong to the run: a later --force run removes them too.
            meta["files"] = sorted(set(meta["files"]) | {p.name for p in paths})
            with atomic_write(folder / RUN, "w") as fh:
                json.dump(meta, fh, indent=2, sort_keys=True)
                fh.write("\n")
    return paths


@contextlib.contextmanager
def _drawing(folder: Path) -> Iterator[None]:
    """The folder's lock while figures are drawn and run.json updated: a folder that a
    run is writing now (its table incomplete, its run.json about to be rewritten) is
    refused rather than drawn from half a table."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(folder / LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        with tempfile.TemporaryFile(dir=folder):  # OSError: the folder takes no file
            pass
        raise ValidationError(
            "results",
            described(f"{str(folder)!r}, which a run is writing now"),
            "a folder no run is writing (draw it when the run has ended)",
        ) from None
    try:
        yield
    finally:
        lock.release()
