"""How many workers a run uses by default, the one pool of a run, its sub-runs on the
same executor, and the durable appends of tables and journals."""

from __future__ import annotations

import concurrent.futures
import os
from typing import ClassVar

import pytest

import neuromem as nm
from neuromem.cli import main
from neuromem.experiments import run
from neuromem.experiments.engine import Executor, Output, Protocol, read_rows, read_run
from neuromem.experiments.engine import executor as executor_module
from neuromem.experiments.engine import table as table_module
from neuromem.experiments.studies import build_section


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def test_default_jobs_are_the_usable_cores_or_the_environments(monkeypatch):
    monkeypatch.delenv("NEUROMEM_JOBS", raising=False)
    assert executor_module.usable_cores() == _cores()
    assert Executor().jobs == _cores()
    monkeypatch.setenv("NEUROMEM_JOBS", "3")
    assert Executor().jobs == 3
    assert Executor(1).jobs == 1  # an explicit number wins
    for bad in ("0", "two", "-1", "1.5"):
        monkeypatch.setenv("NEUROMEM_JOBS", bad)
        with pytest.raises(nm.ValidationError, match=r"^NEUROMEM_JOBS"):
            Executor()


def test_jobs_one_runs_in_this_process_and_a_single_task_too():
    with Executor(1) as ex:
        assert dict(ex.map(_pid, None, [0, 1])) == {0: os.getpid(), 1: os.getpid()}
    with Executor(2) as ex:  # one task: no worker is started for it
        assert dict(ex.map(_pid, None, [0])) == {0: os.getpid()}
        assert ex._pool is None


def _pid(config, index):
    return os.getpid()


class Pids(Protocol):
    """Two stages, each task returning the process it ran in."""

    name = "pids-for-tests"
    defaults: ClassVar[dict] = {"n": 4}
    stages = ("first", "second")

    def stage_tasks(self, stage, earlier):
        return [(stage, i) for i in range(self.params["n"])]

    def stage_task(self, stage, index, key):
        return os.getpid()

    def stage_reduce(self, results):
        rows = [{"stage": s, "pid": p} for s in self.stages for p in results[s]]
        return Output({"results": rows})


def test_one_pool_serves_every_stage_of_a_run(tmp_path, monkeypatch):
    started = []

    class Pool(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            started.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Pool)
    rows = run(Pids(), tmp_path, jobs=2, progress=False)
    pids = {r["pid"] for r in rows}
    # Both stages run on the one pool the first started (which of its two workers
    # takes which task is up to the pool).
    assert len(started) == 1 and os.getpid() not in pids and 1 <= len(pids) <= 2


def test_a_run_on_a_given_executor_uses_its_workers_and_leaves_it_open(tmp_path):
    with Executor(2) as ex:
        rows = run(Pids(), tmp_path / "a", executor=ex, progress=False)
        pool = ex._pool
        assert pool is not None and os.getpid() not in {r["pid"] for r in rows}
        # Which of the pool's workers takes which task is up to the pool: compare with
        # its workers, not with the ones the first run happened to use.
        workers = set(pool._processes)
        assert {r["pid"] for r in rows} <= workers
        again = run(Pids(), tmp_path / "b", executor=ex, progress=False)
        assert ex._pool is pool  # still open, the same workers
        assert {r["pid"] for r in again} <= workers
    assert ex._pool is None
    with pytest.raises(nm.ValidationError, match=r"^executor"):
        run(Pids(), tmp_path / "c", executor=ex, jobs=2)
    with pytest.raises(nm.ValidationError, match=r"^executor"):
        run(Pids(), tmp_path / "c", executor="serial")
    assert not (tmp_path / "c").exists()


class Counting(Executor):
    """An executor that counts the tasks it is given."""

    def __init__(self):
        super().__init__(1)
        self.tasks = 0

    def map(self, fn, config, indices):
        indices = list(indices)
        self.tasks += len(indices)
        return super().map(fn, config, indices)


def test_a_report_section_runs_its_study_on_the_given_executor(tmp_path):
    with Counting() as ex:
        html, figures = build_section(
            "consolidation", tmp_path / "c", quick=True, executor=ex
        )
    assert ex.tasks == read_run(tmp_path / "c")["n_tasks"] > 0
    assert figures and "<section" in html


def test_appends_are_flushed_at_once_and_fsynced_at_most_every_interval(
    tmp_path, monkeypatch
):
    path = tmp_path / "t.csv"
    table_module.write_table(path, [], {"a": int})
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    monkeypatch.setattr(table_module, "SYNC_INTERVAL", 3600.0)
    out = table_module.Appender(path, ["a"])
    for i in range(50):
        out.write({"a": i})
    # Every row is in the file (another process reads it) before any fsync.
    assert [r["a"] for r in read_rows(path, {"a": int})[0]] == list(range(50))
    assert synced == []
    out.close()
    assert len(synced) == 1  # on close
    monkeypatch.setattr(table_module, "SYNC_INTERVAL", 0.0)
    out = table_module.Appender(path, ["a"])
    out.write({"a": 50})
    out.write({"a": 51})
    out.close()
    assert len(synced) == 4


def test_run_compare_takes_models_and_repeats_checked_as_compare_does(capsys, tmp_path):
    args = ["run", "compare", "--quick", "--out", str(tmp_path / "c")]
    assert main([*args, "--repeats", "1"]) == 2
    assert "--repeats" in capsys.readouterr().err
    assert main([*args, "--models", "mlp,mlp"]) == 2
    assert "--models" in capsys.readouterr().err
    assert main([*args, "--models", "no-such-model"]) == 2
    assert "--models" in capsys.readouterr().err
    # An experiment without these options refuses them by name.
    for name, flag, value in (
        ("sequence", "--models", "hopfield"),
        ("capacity", "--repeats", "3"),
        ("capacity", "--models", "hopfield"),
    ):
        code = main(["run", name, "--quick", flag, value, "--out", str(tmp_path)])
        assert code == 2 and flag in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
    assert list(tmp_path.iterdir()) == []


def test_run_compare_with_models_and_repeats_runs_them(capsys, tmp_path):
    out = tmp_path / "c"
    code = main(
        ["run", "compare", "--quick", "--models", "willshaw", "--repeats", "2",
         "--out", str(out), "--jobs", "1", "--no-plot"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    meta = read_run(out)
    assert meta["experiment"]["params"]["models"] == ["willshaw"]
    assert meta["experiment"]["params"]["repeats"] == 2
    summary = read_rows(out / "summary.csv")[0]
    assert {r["model"] for r in summary} == {"willshaw", "willshaw-adaptive"}


class Logged:
    """A configuration that notes every unpickling in a file."""

    def __init__(self, path):
        self.path = str(path)

    def __setstate__(self, state):
        self.__dict__.update(state)
        with open(self.path, "a") as fh:
            fh.write(f"{os.getpid()}\n")


def _path_of(config, index):
    return (config.path, index * index)


def test_a_maps_configuration_is_unpickled_once_per_worker(tmp_path):
    log = tmp_path / "unpickled"
    with Executor(2) as ex:
        got = dict(ex.map(_path_of, Logged(log), range(12)))
        assert got == {i: (str(log), i * i) for i in range(12)}
        first = log.read_text().split()
        assert 1 <= len(first) <= 2 and len(set(first)) == len(first)
        # A second map (a later stage) sends its own configuration once more.
        assert dict(ex.map(_path_of, Logged(log), range(4))) == {
            i: (str(log), i * i) for i in range(4)
        }
        assert 2 <= len(log.read_text().split()) <= 4
