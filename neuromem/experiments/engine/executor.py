"""Where tasks run: in this process, on worker processes, or on a Dask cluster.

A task is ``fn(config, index)`` with ``fn`` a module-level function (it travels by
reference) and ``config`` plain data. Every task runs with :data:`BLAS_THREADS` BLAS
thread(s), set with threadpoolctl by the task itself (around each task of a serial run;
for the whole worker on processes and Dask, where tasks may run side by side), and
with the library's progress output off: its numbers do not depend on the executor, and nothing has to be set
up on a worker beforehand (there is no ``client.run`` step: a Dask worker lost at any
moment only gets its tasks rescheduled). Local worker processes die with the process
that started them, and one pool of them serves every stage (and sub-run) of a run.

By default a run uses the cores this process may run on (:func:`usable_cores`), or
the number in the environment variable ``NEUROMEM_JOBS`` (:func:`default_jobs`), with
no more workers than tasks; ``jobs=1`` runs every task in this process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ... import progress as _progress
from ...errors import ValidationError, described

__all__ = [
    "BLAS_THREADS",
    "DASK_TIMEOUT",
    "JOBS_ENV",
    "Executor",
    "call_task",
    "default_jobs",
    "exit_with_parent",
    "usable_cores",
]

#: BLAS threads every task runs with, on every executor (recorded in run.json).
BLAS_THREADS = 1
#: Seconds to wait for a Dask scheduler (environment variable NEUROMEM_DASK_TIMEOUT).
DASK_TIMEOUT = 10.0
#: Environment variable: the number of workers a run takes when it is given none.
JOBS_ENV = "NEUROMEM_JOBS"
_BLAS_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
_CONTROLLER: list[Any] = []
_PARENT: list[int] = []
_PINNED: list[Any] = []
_SHARED: list[Any] = []  # a worker's current map: its key and configuration


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system has one):
    the default number of workers of a run."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - no affinity (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def default_jobs() -> int:
    """The workers of a run given no ``jobs``: ``NEUROMEM_JOBS`` where it is set (a
    shared machine, a batch job's share, a test suite), else :func:`usable_cores`."""
    raw = os.environ.get(JOBS_ENV, "").strip()
    if not raw:
        return usable_cores()
    try:
        jobs = int(raw)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise ValidationError(JOBS_ENV, raw, "an integer >= 1 (workers of a run)")
    return jobs


def _controller():
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:  # finding the BLAS libraries once per process is enough
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def _pin_blas() -> None:
    """:data:`BLAS_THREADS` for the rest of this (worker) process.

    Tasks that run side by side in threads of one process must not set and restore the
    limit each around itself: one restoring the original count while another runs
    would let that one compute with more threads.
    """
    if not _PINNED:
        _PINNED.append(_controller().limit(limits=BLAS_THREADS, user_api="blas"))


def call_task(
    fn: Callable[[Any, int], Any], config: Any, index: int, scoped: bool = True
) -> Any:
    """Run one task with one BLAS thread and no progress output, on any executor.

    ``scoped``: set the BLAS limit around this task only (a serial run in the
    caller's process); otherwise for the whole worker process.
    """
    if not scoped:
        _pin_blas()
        with _progress.disabled():
            return fn(config, index)
    with (
        _controller().limit(limits=BLAS_THREADS, user_api="blas"),
        _progress.disabled(),
    ):
        return fn(config, index)


def exit_with_parent(parent: int | None = None) -> None:
    """Make this worker process die with the process that started the run.

    On Linux the kernel signals the worker when its parent dies
    (``PR_SET_PDEATHSIG``); elsewhere a daemon thread polls the parent process id. A
    worker that starts after the run died (and was adopted) exits at once.
    """
    if _PARENT:
        return
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


def _call_shared(fn: Callable[[Any, int], Any], job: tuple, blob: bytes, index: int):
    """:func:`call_task` in a worker process, with the map's configuration as pickled
    bytes, unpickled on the first task of that map this worker runs."""
    if not _SHARED or _SHARED[0] != job:
        _SHARED[:] = [job, pickle.loads(blob)]
    return call_task(fn, _SHARED[1], index, False)


#: glibc ``mallopt`` settings of a worker process: freed arrays stay mapped for the next
#: trial instead of going back to the system, whose fresh pages each fault on first
#: write (several seconds of system time in a grid of a thousand trials).
_MALLOPT = {-1: 64 << 20, -2: 16 << 20, -3: 32 << 20}  # trim, top pad, mmap threshold


def _keep_freed_memory() -> None:
    with contextlib.suppress(Exception):  # not glibc: its defaults are kept
        import ctypes

        libc = ctypes.CDLL(None)
        for option, value in _MALLOPT.items():
            libc.mallopt(option, value)


def _pool_init(parent: int) -> None:
    exit_with_parent(parent)
    _keep_freed_memory()
    for var in _BLAS_VARS:  # before numpy loads its BLAS in this worker
        os.environ[var] = str(BLAS_THREADS)


class Executor:
    """Serial, process or Dask execution of tasks (a context manager).

    Parameters
    ----------
    jobs : int, optional
        Worker processes (1: this process); with ``scheduler="local"``, the workers of
        the local Dask cluster. Default: :func:`default_jobs` (the usable cores). A map of fewer tasks
        starts no more workers than it has tasks, and one of a single task runs in this
        process.
    scheduler : str, optional
        ``"local"`` or the address of a Dask scheduler (``tcp://host:8786``). Entering
        the context connects, within :data:`DASK_TIMEOUT` seconds: an unreachable
        scheduler is a :class:`ValidationError` naming ``scheduler`` before any work.
    """

    def __init__(self, jobs: int | None = None, scheduler: str | None = None):
        if jobs is None:
            jobs = default_jobs()
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValidationError("jobs", jobs, "an integer >= 1")
        if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
            raise ValidationError("scheduler", scheduler, "'local' or a scheduler address")
        self.jobs = jobs
        self.scheduler = scheduler
        self.client = None
        self._cluster = None
        self._local_pin = False
        self._maps = 0
        self._pool = None
        self._pool_size = 0

    @property
    def kind(self) -> str:
        """``"serial"``, ``"processes"`` or ``"dask"``."""
        if self.scheduler is not None:
            return "dask"
        return "processes" if self.jobs > 1 else "serial"

    def __enter__(self) -> Executor:
        if self.scheduler is not None:
            self._connect()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
        self.client = self._cluster = None
        if self._local_pin and _PINNED:
            _PINNED.pop().restore_original_limits()
        self._local_pin = False

    def _connect(self) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ValidationError(
                "scheduler",
                self.scheduler,
                "a Dask scheduler with dask[distributed] installed "
                "(pip install 'neuromem[dask]')",
            ) from None
        if self.scheduler == "local":
            # Its workers are threads of this process: pin the limit for the run.
            self._local_pin = not _PINNED
            _pin_blas()
            self._cluster = LocalCluster(
                n_workers=self.jobs,
                threads_per_worker=1,
                processes=False,
                dashboard_address=None,
                # No dashboard, and its HTTP server on a free port of this host only:
                # by default it takes port 8787 on every interface (warning when another
                # cluster holds it).
                scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            )
            self.client = Client(self._cluster)
            return
        timeout = float(os.environ.get("NEUROMEM_DASK_TIMEOUT", DASK_TIMEOUT))
        try:
            self.client = Client(self.scheduler, timeout=timeout)
        except (OSError, ValueError, TypeError) as exc:  # TimeoutError is an OSError
            raise ValidationError(
                "scheduler",
                described(f"{self.scheduler!r}, unreachable ({type(exc).__name__}: {exc})"),
                "the address of a running Dask scheduler (tcp://host:8786) or 'local'",
            ) from None

    def map(
        self, fn: Callable[[Any, int], Any], config: Any, indices: Sequence[int]
    ) -> Iterator[tuple[int, Any]]:
        """``(index, fn(config, index))`` for every index, as each task completes."""
        indices = list(indices)
        if not indices:
            return iter(())
        if self.client is not None:
            return self._dask(fn, config, indices)
        if self.jobs > 1 and len(indices) > 1:
            return self._processes(fn, config, indices)
        return ((i, call_task(fn, config, i)) for i in indices)

    def _processes(self, fn, config, indices):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        wanted = min(self.jobs, len(indices))
        if self._pool is not None and self._pool_size < wanted:
            self._pool.shutdown(wait=True)  # a larger map than the first: more workers
            self._pool = None
        if self._pool is None:
            # Started once and kept until the context exits: a protocol's later stages
            # and the runs it starts itself (compare's study sections) pay no second
            # start-up. "spawn" never copies a parent's threads or locks, and its
            # workers are children of this process itself (not of a forkserver), so
            # they can die with it.
            self._pool = ProcessPoolExecutor(
                max_workers=wanted,
                mp_context=mp.get_context("spawn"),
                initializer=_pool_init,
                initargs=(os.getpid(),),
            )
            self._pool_size = wanted
        # The configuration is pickled once per map, not once per task (a grid's is
        # the whole experiment and its task list), and unpickled once per worker.
        self._maps += 1
        job = (os.getpid(), id(self), self._maps)
        blob = pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL)
        futures = {self._pool.submit(_call_shared, fn, job, blob, i): i for i in indices}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    def _dask(self, fn, config, indices):
        from distributed import as_completed

        # Keys unique to this call: a later call of the same run (a protocol's next
        # stage) must never be answered with a result the cluster still holds under an
        # earlier call's key (cancelling those futures is asynchronous).
        self._maps += 1
        futures = self.client.map(
            call_task,
            [fn] * len(indices),
            [config] * len(indices),
            indices,
            [False] * len(indices),
            pure=False,
            key=[
                f"neuromem-task-{os.getpid()}-{id(self)}-{self._maps}-{i}" for i in indices
            ],
        )
        where = dict(zip((f.key for f in futures), indices, strict=True))
        try:
            for fut in as_completed(futures):
                yield where[fut.key], fut.result()
        finally:
            for fut in futures:
                fut.cancel()
