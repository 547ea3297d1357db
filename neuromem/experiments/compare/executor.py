"""How ``neuromem compare`` runs its tasks: serially, on processes or on Dask."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from threadpoolctl import threadpool_limits

from ...errors import ValidationError
from ...progress import ENV as PROGRESS_ENV

__all__ = ["map_tasks"]

_BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _one_blas_thread(progress_env: str | None = None) -> None:
    """Worker initialiser: one BLAS thread, and the parent's progress-bar setting (a
    forkserver started earlier would not have it in its environment)."""
    if progress_env is not None:
        os.environ[PROGRESS_ENV] = progress_env
    for var in _BLAS_VARS:
        os.environ[var] = "1"
    threadpool_limits(1)


def _on_dask(fn, calls, jobs, scheduler, tick) -> list:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValidationError(
            "scheduler",
            scheduler,
            "a Dask scheduler with dask[distributed] installed "
            "(pip install 'neuromem[dask]')",
        ) from None
    cluster = (
        LocalCluster(
            n_workers=max(1, jobs),
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        )
        if scheduler == "local"
        else None
    )
    client = Client(cluster if cluster is not None else scheduler)
    try:
        futures = client.map(fn, *zip(*calls, strict=True), pure=False)
        for f in futures:
            f.add_done_callback(lambda _: tick())
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _on_processes(fn, calls, jobs, tick) -> list:
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    saved = {v: os.environ.get(v) for v in _BLAS_VARS}
    os.environ.update(dict.fromkeys(_BLAS_VARS, "1"))
    try:
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(calls)),
            mp_context=mp.get_context(method),
            initializer=_one_blas_thread,
            initargs=(os.environ.get(PROGRESS_ENV),),
        ) as pool:
            futures = [pool.submit(fn, *c) for c in calls]
            for f in futures:
                f.add_done_callback(lambda _: tick())
            return [f.result() for f in futures]
    finally:
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old


def map_tasks(
    fn: Callable,
    calls: list[tuple],
    jobs: int,
    scheduler: str | None,
    done: Callable[[], None] | None = None,
) -> list:
    """``[fn(*c) for c in calls]``, serially, on processes or on Dask; same results.

    ``done`` is called (in this process) after each call has finished.
    """
    tick = done if done is not None else (lambda: None)
    if scheduler is not None:
        return _on_dask(fn, calls, jobs, scheduler, tick)
    if jobs > 1 and len(calls) > 1:
        return _on_processes(fn, calls, jobs, tick)
    # The workers above run with one BLAS thread; so does the serial path, so that a
    # reduction summed in another order can never make the executors disagree.
    out = []
    with threadpool_limits(1):
        for c in calls:
            out.append(fn(*c))
            tick()
    return out
