"""Faults on the experiment engine, for every built-in protocol: a Dask worker killed
during set-up or mid-run, a killed client followed by ``--resume`` (for ``compare``,
killed in its second stage), two runs into one folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import neuromem as nm
from neuromem.cli import main
from neuromem.experiments import Experiment, run
from neuromem.experiments.compare import TIMING_COLUMNS
from neuromem.experiments.compare.protocol import Compare
from neuromem.experiments.consolidation_study import Consolidation
from neuromem.experiments.engine import JOURNAL, LOCK, read_run
from neuromem.experiments.grid import Grid
from neuromem.experiments.sequence_study import Sequence

# Small, but with tasks of a tenth of a second or more, so a kill lands mid-run.
CONFIGS = {
    "grid": {
        "name": "slow",
        "models": [{"name": "hopfield", "params": {"dynamics": "async"}}],
        "patterns": [{"n_units": 300}],
        "loads": [0.05, 0.1, 0.14],
        "noise": [0.1, 0.3],
        "repeats": 2,
        "seed": 4,
    },
    "sequence": {
        "sizes": [300, 400],
        "loads": [0.15, 0.3],
        "repeats": 2,
        "growth": {"hebbian": {"sizes": [16, 24]}},
        "trajectory": {"n_units": 100, "n_patterns": 4, "n_steps": 8},
    },
    "consolidation": {
        "n_key": 32,
        "n_value": 32,
        "n_items": 4,
        "hidden": 8,
        "epochs_a": 8,
        "epochs_b": 8,
        "repeats": 3,
        "loads": [0.2, 0.4],
    },
    # Stage 1: 2 x 2 capacity searches and the glyph letters; stage 2: 4 basin searches.
    "compare": {"quick": True, "repeats": 2, "models": ["hebbian", "hopfield-storkey"]},
}
NAMES = list(CONFIGS)
#: Journal lines (after the header) before the client is killed: for compare, one
#: into its second stage.
KILL_AT = {"compare": 6}


class FastCompare(Compare):
    """compare's two stages and tables, without its report (figures and study
    sections: seconds each, and not what a fault on the engine is about)."""

    def finish(self, folder, output):
        return {}


def make(name):
    if name == "grid":
        return Grid(Experiment.from_dict(CONFIGS["grid"]))
    kinds = {"sequence": Sequence, "consolidation": Consolidation, "compare": FastCompare}
    return kinds[name](CONFIGS[name], 3)


def tables(folder):
    """Every CSV of a folder without its timing columns, and the arrays."""
    import numpy as np

    out = {}
    for path in sorted(Path(folder).glob("*.csv")):
        lines = path.read_text().splitlines()
        head = lines[0].split(",")
        keep = [
            i
            for i, c in enumerate(head)
            if not c.endswith("_time") and c not in TIMING_COLUMNS
        ]
        out[path.name] = [[line.split(",")[i] for i in keep] for line in lines]
    for path in sorted(Path(folder).glob("*.npy")):
        out[path.name] = np.load(path).tolist()
    return out


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The serial run of every protocol: the reference tables."""
    base = tmp_path_factory.mktemp("serial")
    for name in NAMES:
        run(make(name), base / name, progress=False)
    return {name: tables(base / name) for name in NAMES}


@pytest.fixture
def cluster():
    """A local Dask cluster of two worker processes (each under a nanny, which starts
    a new worker when one is killed). The test reads the scheduler's state directly:
    the run's own client is the only one. One cluster per test: on a loaded machine a
    nanny has been seen never to bring its killed worker back, and every later test
    then waited for it in vain."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c


def _wait_for_workers(cluster, n):
    # A nanny starts a new worker after a kill; on a loaded machine it takes a while.
    deadline = time.monotonic() + 180
    while len(cluster.scheduler.workers) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(cluster.scheduler.workers) >= n


def _kill_a_worker(cluster, when):
    """SIGKILL a worker process that holds a task, once ``when()`` is true."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        busy = {a for a, ws in list(cluster.scheduler.workers.items()) if ws.processing}
        if busy and when():
            for nanny in list(cluster.workers.values()):
                if nanny.worker_address in busy:
                    os.kill(nanny.process.process.pid, signal.SIGKILL)
                    return True
        time.sleep(0.005)
    return False


def _journal_lines(out):
    meta = read_run(out) or {}
    path = Path(out) / meta.get("journal", JOURNAL)
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


@pytest.mark.parametrize("moment", ["set-up", "mid-run"])
@pytest.mark.parametrize("name", NAMES)
def test_a_dask_worker_killed_gives_the_serial_rows(
    name, moment, tmp_path, cluster, serial
):
    _wait_for_workers(cluster, 2)
    out = tmp_path / name
    header = 1 if name == "grid" else 0
    when = {
        # Set-up: a worker holds its first task, no task has completed yet.
        "set-up": lambda: _journal_lines(out) <= header,
        "mid-run": lambda: _journal_lines(out) >= header + 2,
    }[moment]
    killed = []
    killer = threading.Thread(target=lambda: killed.append(_kill_a_worker(cluster, when)))
    killer.start()
    try:
        run(make(name), out, scheduler=cluster.scheduler_address, progress=False)
    finally:
        killer.join()
    assert killed == [True], "no worker was killed while the run was on"
    assert read_run(out)["complete"] is True
    assert tables(out) == serial[name]


_CLIENT = """
import sys
from tests.experiments.test_engine_faults import make
from neuromem.experiments import run
run(make(sys.argv[1]), sys.argv[2], progress=False)
"""


@pytest.mark.parametrize("name", NAMES)
def test_a_killed_run_resumes_to_the_same_tables(name, tmp_path, serial):
    out = tmp_path / name
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLIENT, name, str(out)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    header = 1 if name == "grid" else 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if _journal_lines(out) >= header + KILL_AT.get(name, 2):
            break
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    assert read_run(out)["complete"] is False
    done = _journal_lines(out) - header
    meta = read_run(out)
    with open(out / meta["journal"], "a") as fh:  # a line torn by the kill
        fh.write('{"task": 1, "key": [')
    run(make(name), out, resume=True, progress=False)
    meta = read_run(out)
    assert meta["complete"] is True and meta["resumed_rows"] == done
    assert tables(out) == serial[name]


@pytest.mark.parametrize("name", NAMES)
def test_two_runs_into_one_folder_are_refused(name, tmp_path):
    from filelock import FileLock

    out = tmp_path / name
    out.mkdir()
    with FileLock(str(out / LOCK)):
        for force in (False, True):
            with pytest.raises(nm.ValidationError, match="another run") as err:
                run(make(name), out, force=force, progress=False)
            assert err.value.param == "out"
    assert os.listdir(out) == [LOCK]  # nothing was written


@pytest.mark.parametrize("name", ["sequence", "consolidation"])
def test_cli_refuses_a_busy_folder_bad_jobs_and_an_unreachable_scheduler(
    name, tmp_path, capsys, monkeypatch
):
    from filelock import FileLock

    out = tmp_path / name
    args = ["run", name, "--quick", "--out", str(out), "--no-plot"]
    assert main([*args, "--jobs", "0"]) == 2
    assert "--jobs" in capsys.readouterr().err
    monkeypatch.setenv("NEUROMEM_DASK_TIMEOUT", "0.5")
    assert main([*args, "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "--scheduler" in capsys.readouterr().err
    assert not out.exists()  # checked before anything was written
    out.mkdir()
    with FileLock(str(out / LOCK)):
        assert main([*args, "--force"]) == 2
    assert "another run" in capsys.readouterr().err


def test_force_removes_the_files_of_the_previous_run(tmp_path):
    out = tmp_path / "f"
    run(make("sequence"), out, progress=False)
    nm.experiments.engine.draw(out)
    assert (out / "growth.csv").is_file() and (out / "sequence-capacity.png").is_file()
    (out / "notes.txt").write_text("mine")  # not the run's: kept
    with pytest.raises(nm.ValidationError, match="different run"):
        run(make("consolidation"), out, progress=False)
    run(make("consolidation"), out, force=True, progress=False)
    left = set(os.listdir(out))
    assert not {"growth.csv", "trajectory.npy", "sequence-capacity.png"} & left
    assert {"results.csv", "load.csv", "summary.json", "notes.txt"} <= left
    files = json.loads((out / "run.json").read_text())["files"]
    assert "load.csv" in files and "growth.csv" not in files


def test_processes_give_the_serial_tables(tmp_path, serial):
    for name in ("sequence", "consolidation", "compare"):
        run(make(name), tmp_path / name, jobs=2, progress=False)
        assert tables(tmp_path / name) == serial[name]
