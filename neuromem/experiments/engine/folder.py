"""The results folder of a run: ``run.json``, the lock, resuming, ``--force``, redraws.

A run holds a lock on its folder (``.neuromem.lock``) from before it writes anything
until it ends: a second run into the same folder is refused at once, whatever the
protocols. ``run.json`` records the protocol's name, its configuration, the root seed,
the versions and the files it wrote; ``--force`` removes the
files of the previous run that the new run does not write (never a file the previous
run did not list, so a user's own files are safe).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ...errors import ValidationError, described
from ...io import atomic_write

__all__ = ["LOCK", "RUN", "RunFolder", "files_that_fit", "read_run", "versions"]

RUN = "run.json"
LOCK = ".neuromem.lock"
#: The files a run of an older neuromem could write: removed by ``--force`` when the
#: previous run.json predates the list of files (any other file may be the user's own).
_OLD_RUN_FILES = frozenset(
    "results.csv growth.csv load.csv summary.csv evaluations.csv summary.json "
    "trajectory.npy report.html .neuromem-tasks.jsonl capacity.png noise.png "
    "basins.png forgetting.png topology.png times.png sequence-capacity.png "
    "sequence-growth.png sequence-trajectory.png consolidation.png "
    "consolidation-load.png".split()
)


def versions() -> dict[str, str]:
    """Versions of neuromem, Python and the libraries a result depends on."""
    out = {"python": platform.python_version()}
    for dist in ("neuromem", "numpy", "scipy", "networkx", "matplotlib"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover
            out[dist] = "0+unknown" if dist == "neuromem" else "absent"
    return {
        k: out[k]
        for k in ("neuromem", "python", "numpy", "scipy", "networkx", "matplotlib")
    }


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


def check_out(out: Any) -> Path:
    """``out`` as a folder path (not an existing file); nothing is written."""
    if not isinstance(out, str | os.PathLike) or not os.fspath(out):
        raise ValidationError("out", out, "a folder path")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValidationError("out", str(out), "a folder (this is a file)")
    return out


def _shown(meta: dict[str, Any]) -> str | None:
    """The name a user knows a run by: a grid's experiment (``capacity``: the protocol
    "grid" is no command), else its protocol (or format, for a folder of old)."""
    exp = meta.get("experiment")
    if meta.get("format") == "neuromem-run" and isinstance(exp, dict):
        if isinstance(exp.get("name"), str):
            return exp["name"]
    return meta.get("protocol") or meta.get("format")


def _differences(old: dict[str, Any], new: dict[str, Any], most: int = 3) -> str:
    """What makes the run in a folder (``old``) another than ``new``: its protocol, or
    the first ``most`` options (``seed``, ``params.sizes``...) whose values differ."""
    if old.get("protocol") != new.get("protocol") or old.get("format") != new.get("format"):
        return f"of {_shown(old)!r}, not {_shown(new)!r}"

    def short(value: Any) -> str:
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."

    def diff(a: Any, b: Any, path: str) -> list[str]:
        if isinstance(a, dict) and isinstance(b, dict) and path in ("", "params."):
            keys = sorted(set(a) | set(b), key=lambda k: (k in ("name", "params"), k))
            return [d for k in keys for d in diff(a.get(k), b.get(k), f"{path}{k}.")]
        if a == b:
            return []
        return [f"{path[:-1] or 'configuration'}: {short(a)} there, {short(b)} here"]

    found = diff(old.get("experiment"), new.get("experiment"), "")
    more = f"; and {len(found) - most} more" if len(found) > most else ""
    return f"of {_shown(old)!r}, " + ("; ".join(found[:most]) or "?") + more


class RunFolder:
    """A results folder held by one run (a context manager: the lock is released on
    exit).

    Parameters
    ----------
    out : path
        The folder (created if missing).
    meta : dict
        What identifies the run: ``format``, ``protocol``, ``experiment`` (the
        configuration) and ``seed``; two runs are "the same" when these are equal.
    force : bool
        Take a folder holding another run (its files are removed once this run ends).
    """

    def __init__(self, out: str | os.PathLike, meta: dict[str, Any], *, force: bool):
        self.out = check_out(out)
        self.meta = dict(meta)
        self.force = force
        #: Whether the run draws (False under ``--no-plot``): a protocol's ``finish``
        #: then writes no figure and no report that shows them.
        self.plot = True
        self.written: set[str] = set()
        self._lock = None
        self.previous: dict[str, Any] | None = None
        #: The previous run's files that this run replaces (``--force``), removed when
        #: it ends; kept in run.json as ``"replaces"`` until then, so a forced run that
        #: is killed and resumed still removes them.
        self.replaces: set[str] = set()
        #: The run's :class:`~.executor.Executor` (set by the engine while it runs): a
        #: protocol's finish hook runs the runs it starts on it, on the same workers.
        self.executor: Any = None

    # -- the lock -------------------------------------------------------------------
    def __enter__(self) -> RunFolder:
        from filelock import FileLock, Timeout

        try:
            self.out.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(self.out / LOCK), timeout=0)
            try:
                lock.acquire()
            except Timeout:
                # filelock also times out when it cannot create its file at all (a
                # folder such as /proc): only a folder that takes a new file is held.
                with tempfile.TemporaryFile(dir=self.out):  # OSError: cannot be written
                    pass
                raise ValidationError(
                    "out",
                    described(f"{str(self.out)!r}, which another run is writing now"),
                    "a folder no other run is using (wait for it, or choose another --out)",
                ) from None
        except OSError as exc:
            raise ValidationError(
                "out",
                described(
                    f"{str(self.out)!r}, which cannot be written ({exc.strerror or exc})"
                ),
                "a folder you can write to",
            ) from None
        self._lock = lock
        try:
            self._check()
        except BaseException:
            lock.release()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._lock is not None:
            self._lock.release()

    # -- what the folder holds ----------------------------------------------------
    def _identity(self, meta: dict[str, Any] | None) -> tuple:
        meta = meta or {}
        return tuple(meta.get(k) for k in ("format", "protocol", "experiment"))

    @property
    def same(self) -> bool:
        """Whether the folder holds (part of) a run of the same configuration."""
        return self.previous is not None and self._identity(self.previous) == (
            self._identity(self.meta)
        )

    def _check(self) -> None:
        old = read_run(self.out)
        self.previous = old
        entries = [e for e in os.listdir(self.out) if e != LOCK]
        if self.same or self.force or not entries:
            self.replaces = self._replaced(old, entries)
            return
        if old is not None:
            what = f"a different run ({_differences(old, self.meta)})"
        elif "results.csv" in entries:
            what = "a results.csv of unknown origin"
        else:
            what = f"other files ({', '.join(sorted(entries)[:3])}) and no run.json"
        raise ValidationError(
            "out",
            described(f"{str(self.out)!r}, which holds {what}"),
            "an empty folder, a folder of the same experiment, or --force "
            "(force=True) to overwrite it",
        )

    # -- writing ------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """The path of file ``name``, recorded as written by this run."""
        self.written.add(name)
        return self.out / name

    def write_run(self, complete: bool, **extra: Any) -> None:
        """Write ``run.json`` (atomically), with ``complete`` and ``extra``."""
        self.written.add(RUN)
        meta = {**self.meta, "versions": versions(), "complete": complete, **extra}
        meta["files"] = sorted(self.written)  # so far: a killed run lists its files too
        if self.replaces - self.written:
            meta["replaces"] = sorted(self.replaces - self.written)
        with atomic_write(self.out / RUN, "w") as fh:
            json.dump(meta, fh, indent=2, sort_keys=True)
            fh.write("\n")

    def _replaced(self, old: dict[str, Any] | None, entries: list[str]) -> set[str]:
        """Files of earlier runs this run replaces: those a forced take-over found,
        and those a killed forced run had still to remove (its ``"replaces"``)."""
        if old is None:
            return set()
        names = old.get("replaces") if isinstance(old.get("replaces"), list) else []
        if not self.same:
            listed = old.get("files")
            if isinstance(listed, list):
                names = [*names, *listed]
            else:
                names = [*names, *(e for e in entries if e in _OLD_RUN_FILES)]
        return {n for n in names if isinstance(n, str) and "/" not in n} - {
            LOCK,
            RUN,
            "..",
            ".",
            "",
        }

    def remove_stale(self) -> list[str]:
        """Remove the previous run's files that this run did not write (``--force``),
        and its sub-folders that still hold a results folder."""
        removed = []
        for name in sorted(self.replaces - self.written):
            path = self.out / name
            if path.is_dir() and not path.is_symlink():
                # A sub-folder the previous run listed (a report's study runs): removed
                # only while it is a results folder; anything else there is the user's.
                if (path / RUN).is_file():
                    shutil.rmtree(path)
                    removed.append(name)
                continue
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                path.unlink()
                removed.append(name)
        self.replaces = set()
        return removed
