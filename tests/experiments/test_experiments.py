"""The experiment engine: grids, TOML files, resumable runs, executors, compare, plots."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import neuromem as nm
from neuromem import ValidationError
from neuromem.cli import main
from neuromem.experiments import (
    IDENTITY_COLUMNS,
    TIMING_COLUMNS,
    Experiment,
    load_experiment,
    read_results,
    read_run,
    run,
)
from neuromem.experiments.builtin import BUILTINS
from neuromem.experiments.plots import draw

ROOT = Path(__file__).resolve().parents[2]

SMALL = {
    "name": "small",
    "models": [
        {"name": "hopfield", "label": "hebb"},
        {"name": "hopfield", "label": "proj", "params": {"rule": "pseudoinverse"}},
    ],
    "patterns": [{"kind": "random_bipolar", "n_units": 64}],
    "loads": [0.05, 0.2],
    "noise": [0.0, 0.2],
    "corruption": ["flip", "mask"],
    "seed": 3,
}


def identity(rows):
    """The rows without their wall-clock columns, which differ between runs by nature."""
    return [tuple(r[c] for c in IDENTITY_COLUMNS) for r in rows]


def csv_identity(folder):
    with open(Path(folder) / "results.csv", newline="") as fh:
        return [tuple(r[c] for c in IDENTITY_COLUMNS) for r in csv.DictReader(fh)]


# -- the grid -------------------------------------------------------------------------


def test_grid_order_and_trial_seeds_follow_coordinates():
    exp = Experiment.from_dict(SMALL)
    trials = exp.trials()
    assert len(trials) == 2 * 2 * 2 * 2
    assert [t.index for t in trials] == list(range(16))
    assert trials[0].coordinates() == ("hebb", "random_bipolar", 0.05, "flip", 0.0, 1, 0)
    # The seed depends on the root seed and the coordinates, not on the position.
    seeds = {t.coordinates(): t.seed(exp.seed) for t in trials}
    assert len(set(seeds.values())) == len(trials)
    reordered = Experiment.from_dict({**SMALL, "models": SMALL["models"][::-1]})
    for t in reordered.trials():
        assert t.seed(3) == seeds[t.coordinates()]
    assert Experiment.from_dict(exp.to_dict()) == exp


def test_rows_measure_recall():
    from neuromem.experiments import run_trial

    exp = Experiment.from_dict(SMALL)

    rows = [run_trial(exp, t) for t in exp.trials()]
    assert all(r["error"] == "" for r in rows)
    by = {(r["model"], r["load"], r["corruption"], r["noise"]): r for r in rows}
    # Low load: both rules recall every pattern from 20% noise in a few sweeps.
    for model in ("hebb", "proj"):
        r = by[(model, 0.05, "flip", 0.2)]
        assert r["accuracy"] == 1.0 and r["overlap"] == 1.0 and r["steps"] <= 4
        assert r["n_patterns"] == 3 and r["n_units"] == 64
    # At alpha = 0.2 (above 0.138) about half of Hebb's stored patterns relax away
    # (0.54 at N = 64), and the projection rule's are all fixed points.
    assert by[("hebb", 0.2, "flip", 0.0)]["exact"] < 0.75
    assert by[("proj", 0.2, "flip", 0.0)]["exact"] == 1.0
    assert all(r["store_time"] >= 0 and r["recall_time"] >= 0 for r in rows)


# -- resumable runs -------------------------------------------------------------------

SLOW_TOML = """
name = "slow"
loads = [0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16]
noise = [0.1, 0.3]
repeats = 3
seed = 11

[[models]]
name = "hopfield"
params = { dynamics = "async" }

[[patterns]]
kind = "random_bipolar"
n_units = 200
"""


def test_sigkill_then_resume_gives_the_uninterrupted_table(tmp_path):
    spec = tmp_path / "slow.toml"
    spec.write_text(SLOW_TOML)
    exp = load_experiment(spec)
    n_trials = len(exp.trials())
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "neuromem.cli", "run", str(spec), "--out", str(killed)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    table = killed / "results.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if table.exists() and table.read_text().count("\n") >= 6:  # header + 5 rows
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    assert read_run(killed)["complete"] is False
    before = read_results(killed)
    assert 5 <= len(before) < n_trials
    # Tear the last line, as a kill in the middle of a write would.
    with open(table, "a") as fh:
        fh.write("9999,hopfield,random_bip")

    resumed = run(exp, killed, resume=True, progress=False)
    assert read_run(killed)["complete"] is True
    assert read_run(killed)["resumed_rows"] == len(before)
    fresh = run(exp, tmp_path / "fresh", progress=False)
    assert identity(resumed) == identity(fresh)
    assert csv_identity(killed) == csv_identity(tmp_path / "fresh")
    # Rows written before the kill were kept, not recomputed: same wall-clock values.
    kept = {r["trial"]: r for r in read_results(killed)}
    for r in before:
        assert all(kept[r["trial"]][c] == r[c] for c in TIMING_COLUMNS)


# -- executors ------------------------------------------------------------------------


def test_serial_process_and_dask_executors_give_identical_tables(tmp_path):
    exp = Experiment.from_dict(SMALL)
    serial = run(exp, tmp_path / "serial", progress=False)
    procs = run(exp, tmp_path / "procs", jobs=2, progress=False)
    assert identity(procs) == identity(serial)
    assert csv_identity(tmp_path / "procs") == csv_identity(tmp_path / "serial")
    pytest.importorskip("distributed", reason="Dask's distributed scheduler is absent")
    dask = run(exp, tmp_path / "dask", scheduler="local", jobs=2, progress=False)
    assert identity(dask) == identity(serial)
    assert csv_identity(tmp_path / "dask") == csv_identity(tmp_path / "serial")


def test_run_json_records_config_seed_and_versions(tmp_path):
    exp = Experiment.from_dict(SMALL)
    run(exp, tmp_path, progress=False)
    meta = read_run(tmp_path)
    assert meta["experiment"] == exp.to_dict() and meta["seed"] == 3
    assert set(meta["versions"]) >= {"neuromem", "python", "numpy", "scipy", "networkx"}
    assert meta["complete"] is True and meta["n_trials"] == 16


# -- the output folder guard ----------------------------------------------------------


def test_a_different_run_is_not_overwritten_without_force(tmp_path, capsys):
    out = tmp_path / "out"
    run(Experiment.from_dict(SMALL), out, progress=False)
    before = (out / "results.csv").read_text()
    other = Experiment.from_dict({**SMALL, "seed": 4})
    with pytest.raises(ValidationError, match=r"^out: .*holds a different run.*force"):
        run(other, out, progress=False)
    assert (out / "results.csv").read_text() == before
    # The command line refuses too, and --force overwrites.
    spec = tmp_path / "other.toml"
    spec.write_text(
        'name = "other"\n[[models]]\nname = "hopfield"\n[[patterns]]\nn_units = 32\n'
    )
    assert main(["run", str(spec), "--out", str(out), "--no-plot"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "results.csv").read_text() == before
    assert main(["run", str(spec), "--out", str(out), "--no-plot", "--force"]) == 0
    assert read_run(out)["experiment"]["name"] == "other"
    # Running the same experiment again into its own folder is allowed.
    assert main(["run", str(spec), "--out", str(out), "--no-plot"]) == 0


# -- malformed experiment files ---------------------------------------------------

GOOD = """name = "ok"
loads = [0.05, 0.1]

[[models]]
name = "hopfield"
params = { rule = "hebbian" }

[[patterns]]
kind = "random_bipolar"
n_units = 32
"""

MALFORMED = {
    "syntax": (
        GOOD.replace("loads = [0.05, 0.1]", "loads = [0.05, 0.1"),
        r"line \d+",
        None,
    ),
    "unknown model": (
        GOOD.replace('name = "hopfield"', 'name = "hopfeld"'),
        "line 5",
        "name",
    ),
    "unknown parameter": (
        GOOD.replace('rule = "hebbian"', 'rule = "hebbian", max_step = 3'),
        "line 6",
        "params.max_step",
    ),
    "wrong type": (GOOD.replace("n_units = 32", 'n_units = "many"'), "line 10", "n_units"),
    "wrong parameter type": (
        GOOD.replace('rule = "hebbian"', 'rule = "hebbian", max_steps = "ten"'),
        "line 6",
        "params.max_steps",
    ),
    "negative load": (GOOD.replace("0.05, 0.1]", "0.05, -0.1]"), "line 2", "loads[1]"),
    "unknown key": (GOOD.replace("loads", "laods"), "line 2", "laods"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_experiment_files_name_file_line_and_key(case, tmp_path, capsys):
    text, line, key = MALFORMED[case]
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    with pytest.raises(ValidationError) as info:
        load_experiment(spec)
    msg = str(info.value)
    assert msg.startswith("bad.toml, line "), msg
    assert re.search(line, msg), msg
    if key is not None:
        assert f": {key}" in msg or f".{key}" in msg, msg
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out)]) == 2
    assert "bad.toml" in capsys.readouterr().err
    assert not out.exists(), "a malformed file must write nothing"


def test_python_declared_experiments_are_validated():
    with pytest.raises(ValidationError, match=r"^noise\[1\]: got 1.5"):
        Experiment("x", models=[{"name": "hopfield"}], patterns=[{}], noise=[0.0, 1.5])
    with pytest.raises(ValidationError, match=r"^corruption\[0\]"):
        Experiment("x", models=[{"name": "hopfield"}], patterns=[{}], corruption=["blur"])
    with pytest.raises(ValidationError, match=r"^models\[0\]\.params\.n_units"):
        Experiment(
            "x", models=[{"name": "hopfield", "params": {"n_units": 3}}], patterns=[{}]
        )
    with pytest.raises(ValidationError, match=r"^models\[1\]\.label"):
        Experiment("x", models=[{"name": "hopfield"}] * 2, patterns=[{}])
    with pytest.raises(ValidationError, match=r"^patterns\[0\]\.kind"):
        Experiment("x", models=[{"name": "hopfield"}], patterns=[{"kind": "noise"}])
    exp = Experiment("x", models=[{"name": "hopfield"}], patterns=[{"n_units": 16}])
    with pytest.raises(ValidationError, match=r"^jobs"):
        run(exp, "never-written", jobs=0)
    with pytest.raises(ValidationError, match=r"^experiment"):
        run(exp.to_dict(), "never-written")
    assert not Path("never-written").exists()


# -- compare and the built-in experiments --------------------------------------------


class NearestBinary(nm.Memory):
    """A test-only 0/1 memory: recalls the stored pattern nearest to the cue."""

    name = "nearest-binary"
    encodings = ("binary",)

    def __init__(self, n_units: int, seed=None):
        self.n_units = n_units
        self.seed = seed

    def store(self, patterns, targets=None):
        x = nm.validation.check_patterns(patterns, n_units=self.n_units, encoding="binary")
        old = getattr(self, "patterns_", np.empty((0, self.n_units)))
        self.patterns_ = np.concatenate([old, x])
        return self

    def recall(self, cues):
        c = nm.validation.check_patterns(cues, n_units=self.n_units)
        d = np.abs(c[:, None, :] - self.patterns_[None]).sum(axis=2)
        states = self.patterns_[np.argmin(d, axis=1)]
        n = len(c)
        return nm.RecallResult(states, np.ones(n, dtype=int), np.ones(n, dtype=bool))


@pytest.mark.parametrize("name", list(BUILTINS))
def test_builtin_experiments_run_quick_and_draw(name, tmp_path):
    notes: list[str] = []
    exp = BUILTINS[name](quick=True, notes=notes)
    assert all("not registered" in n for n in notes)
    rows = run(exp, tmp_path, progress=False)
    assert rows and all(r["error"] == "" for r in rows)
    paths = draw(tmp_path)
    assert all(p.is_file() for p in paths) and len(paths) >= 2


def test_plot_refuses_a_folder_without_results(tmp_path):
    with pytest.raises(ValidationError, match=r"^results"):
        draw(tmp_path)


def test_example_file_and_scripts_are_present():
    exp = load_experiment(ROOT / "experiments" / "example.toml")
    assert [m.key for m in exp.models] == ["hebb", "projection"]
    for name in BUILTINS:
        assert (ROOT / "experiments" / f"{name}.py").is_file()


class SlowNearest(NearestBinary):
    """NearestBinary that takes 100 ms to store (a slow model)."""

    name = "slow-nearest"

    def store(self, patterns, targets=None):
        time.sleep(0.1)
        return super().store(patterns, targets)


def test_a_slow_model_has_every_trial_computed(tmp_path, monkeypatch):
    # No wall-clock budget: what is computed never depends on the machine's speed or
    # load, so a slow model's trials all run and agree with a fast model's rows.
    from neuromem.registry import models

    monkeypatch.setitem(models._load(), "slow-nearest", SlowNearest)
    monkeypatch.setitem(models._load(), "nearest-binary", NearestBinary)
    exp = Experiment.from_dict(
        {**SMALL, "models": [{"name": "slow-nearest"}, {"name": "hopfield"}]}
    )
    rows = run(exp, tmp_path, progress=False)
    slow = [r for r in rows if r["model"] == "slow-nearest"]
    assert slow and all(not r["error"] for r in rows)
    fast = run(
        Experiment.from_dict({**SMALL, "models": [{"name": "nearest-binary"}]}),
        tmp_path / "fast",
        progress=False,
    )
    assert [r["overlap"] for r in slow] == [r["overlap"] for r in fast]
