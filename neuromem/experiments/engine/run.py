"""Running a protocol into a results folder: validate, connect, lock, resume, execute,
reduce, write.

Every task's result is made durable as soon as the task completes: for a protocol
that declares :attr:`~Protocol.columns` it is a row appended (and fsync'd) to
``results.csv``; otherwise a line of the journal ``.neuromem-tasks.jsonl``. On
``resume`` the results already there are kept (not recomputed) when they are the task
they claim to be; a torn or unparsable line is dropped and its task recomputed. At the
end the tables are written, atomically, in task order: an interrupted and resumed run
ends with the same tables as one that was never interrupted, on any executor.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
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


def _task(protocol: Protocol, index: int) -> Any:
    return protocol.task(index)


def _plain(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} is not JSON data")


class _TableJournal:
    """The main table itself, one row per task (the task index in its own column)."""

    def __init__(self, folder: RunFolder, protocol: Protocol):
        self.path = folder.path("results.csv")
        self.protocol = protocol
        self.columns = protocol.columns

    def load(self, n: int) -> dict[int, Any]:
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

    def start(self, kept: dict[int, Any]) -> None:
        write_table(self.path, [kept[i] for i in sorted(kept)], self.columns)
        self.out = Appender(self.path, self.columns)

    def add(self, index: int, result: Any) -> None:
        self.out.write(result)

    def close(self) -> None:
        self.out.close()


class _JsonJournal:
    """One JSON line per completed task: its index, coordinates and result."""

    def __init__(self, folder: RunFolder, protocol: Protocol):
        self.path = folder.path(JOURNAL)
        self.keys = [
            json.loads(json.dumps(list(k), default=_plain)) for k in protocol.tasks()
        ]
        self.protocol = protocol

    def load(self, n: int) -> dict[int, Any]:
        if not self.path.exists():
            return {}
        kept: dict[int, Any] = {}
        for raw in self.path.read_bytes().split(b"\n"):
            try:
                entry = json.loads(raw.decode("utf-8"))
                i = entry["task"]
                if (
                    isinstance(i, int)
                    and 0 <= i < n
                    and i not in kept
                    and entry["key"] == self.keys[i]
                    and self.protocol.matches(entry["result"], i)
                ):
                    kept[i] = entry["result"]
            except (ValueError, KeyError, TypeError, IndexError):
                continue  # a torn or damaged line: its task is recomputed
        return kept

    def start(self, kept: dict[int, Any]) -> None:
        with atomic_write(self.path, "w") as fh:
            for i in sorted(kept):
                fh.write(self._line(i, kept[i]))
        self.fh = open(self.path, "a", encoding="utf-8")  # closed in close()

    def _line(self, i: int, result: Any) -> str:
        entry = {"task": i, "key": self.keys[i], "result": result}
        return json.dumps(entry, default=_plain) + "\n"

    def add(self, index: int, result: Any) -> None:
        self.fh.write(self._line(index, result))
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
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
    jobs: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool | None = None,
    info: dict[str, Any] | None = None,
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
    jobs : int
        Worker processes (1: this process); with ``scheduler="local"``, Dask workers.
    scheduler : str, optional
        ``"local"`` or a Dask scheduler address (needs ``neuromem[dask]``).
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

    Returns
    -------
    list of dict
        The rows of the main table, in task order.
    """
    if not isinstance(protocol, Protocol):
        raise ValidationError("experiment", protocol, "a neuromem Experiment or Protocol")
    resume = check_bool(resume, "resume")
    force = check_bool(force, "force")
    if progress is not None:
        progress = check_bool(progress, "progress")
    if info is not None and not isinstance(info, dict):
        raise ValidationError("info", info, "a dict (recorded in run.json) or None")
    out = check_out(out)
    tasks = protocol.tasks()
    n = len(tasks)
    meta = {
        "format": protocol.format,
        "protocol": protocol.name,
        "experiment": protocol.to_dict(),
        "seed": protocol.seed,
    }
    extra: dict[str, Any] = {"n_tasks": n, "blas_threads": BLAS_THREADS}
    extra.update(protocol_meta(protocol))
    if info:
        extra["invocation"] = info
    with Executor(jobs, scheduler) as executor, RunFolder(out, meta, force=force) as folder:
        journal_cls = _TableJournal if protocol.columns is not None else _JsonJournal
        journal = journal_cls(folder, protocol)
        kept = journal.load(n) if resume and folder.same else {}
        extra["journal"] = journal.path.name
        folder.write_run(False, **extra)
        journal.start(kept)
        results = dict(kept)
        bar = _bar(n, len(kept), progress)
        try:
            for i, result in executor.map(
                _task, protocol, [i for i in range(n) if i not in kept]
            ):
                journal.add(i, result)
                results[i] = result
                bar.update(1)
        finally:
            bar.close()
            journal.close()
        output = protocol.reduce([results[i] for i in range(n)])
        schemas = {}
        for name, rows in output.tables.items():
            cols = protocol.columns if name == "results" else None
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
        folder.remove_stale()
        folder.write_run(
            True,
            resumed_rows=len(kept),
            tables=sorted(output.tables),
            schemas=schemas,
            **extra,
        )
    return output.tables.get("results", [])


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
