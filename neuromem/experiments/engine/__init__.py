"""The experiment engine: one executor, one results folder, one table codec, protocols.

API (stable; additions only)::

    from neuromem.experiments.engine import Protocol, Output, run, draw, protocols

    class MyProtocol(Protocol):          # an experiment, described as data
        defaults = {"sizes": [50, 100]}  # declared options
        def tasks(self): ...             # -> [coordinates, ...] (JSON-able tuples)
        def task(self, i): ...           # -> JSON-able result; seed: task_seed(self.seed, *coords)
        def reduce(self, results): ...   # -> Output(tables={"results": rows}, summary, arrays)
        def figures(self, folder): ...   # -> [png paths]; report(folder) -> (html, paths)

    protocols.register("my-study", MyProtocol)   # its name (or an entry point of the
                                                 #   group "neuromem.protocols")
    rows = run(MyProtocol({"sizes": [50]}, seed=0), "out", jobs=2, scheduler=None,
               resume=False, force=False)    # -> main table rows; folder: run.json,
                                             #    results.csv, other tables, figures
    draw("out")                              # figures of any protocol's folder
    read_frame("out/results.csv")            # a table as a pandas DataFrame

Modules: :mod:`.executor` (:class:`Executor`: serial, processes, Dask;
:data:`BLAS_THREADS`), :mod:`.folder` (:class:`RunFolder`: run.json, lock, --force,
:func:`read_run`, :func:`files_that_fit`), :mod:`.table` (the codec: :func:`write_table`,
:func:`read_rows`, :func:`read_frame`), :mod:`.protocol` (:class:`Protocol`,
:data:`protocols`, :func:`task_seed`), :mod:`.run` (:func:`run`, :func:`draw`),
:mod:`.figures` (:func:`axes`, :func:`save`).
"""

from .executor import BLAS_THREADS, Executor, call_task
from .figures import axes, save
from .folder import LOCK, RUN, RunFolder, files_that_fit, read_run, versions
from .protocol import Output, Protocol, check_root_seed, protocol_of, protocols, task_seed
from .run import JOURNAL, draw, run
from .table import Appender, format_value, read_frame, read_rows, write_table

__all__ = [
    "BLAS_THREADS",
    "JOURNAL",
    "LOCK",
    "RUN",
    "Appender",
    "Executor",
    "Output",
    "Protocol",
    "RunFolder",
    "axes",
    "call_task",
    "check_root_seed",
    "draw",
    "files_that_fit",
    "format_value",
    "protocol_of",
    "protocols",
    "read_frame",
    "read_rows",
    "read_run",
    "run",
    "save",
    "task_seed",
    "versions",
    "write_table",
]
