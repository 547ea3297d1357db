"""The ``assemblies`` experiment on the engine: tables, intervals, figure, report, and
the same results serially and in worker processes."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import neuromem as nm
from neuromem.experiments.assemblies import Assemblies, cue_fraction
from neuromem.experiments.engine import protocols, read_rows, run


def test_cue_fraction_keeps_that_many_active_units():
    x = nm.patterns.random_sparse(4, 50, n_active=10, seed=0)
    cues = cue_fraction(x, 0.3, seed=1)
    np.testing.assert_array_equal(cues.sum(1), 3)
    assert np.all(cues <= x)


def test_assemblies_runs_on_the_engine(tmp_path):
    assert protocols.get("assemblies") is Assemblies
    proto = Assemblies(
        {"n_units": 100, "n_active": 10, "n_assemblies": [2, 12], "cue_fractions": [0.5],
         "repeats": 2},
        seed=3,
    )  # fmt: skip
    serial = run(proto, tmp_path / "a", jobs=1)
    parallel = run(proto, tmp_path / "b", jobs=2)
    strip = [{k: v for k, v in r.items() if k != "error"} for r in serial]
    assert strip == [{k: v for k, v in r.items() if k != "error"} for r in parallel]
    est, _ = read_rows(tmp_path / "a" / "estimates.csv")
    assert len(est) == 2
    for e in est:
        assert e["recalled_low"] <= e["recalled"] <= e["recalled_high"]
    few = next(e for e in est if e["n_assemblies"] == 2)
    assert few["recalled"] == 1.0 and few["w_inside"] > 0.5 > few["w_outside"]
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["capacity"]["0.5"] >= 2
    html, paths = proto.report(tmp_path / "a")
    assert [p.name for p in paths] == ["assemblies-recall.png", "assemblies-formation.png"]
    assert all(p.is_file() for p in paths)
    assert "assemblies stored" in html and "half or more recalled" in html


def test_bad_options_name_the_key():
    with pytest.raises(nm.ValidationError, match="cue_fractions"):
        Assemblies({"cue_fractions": [1.5]})
    with pytest.raises(nm.ValidationError, match="n_active"):
        Assemblies({"n_units": 10, "n_active": 10})
    with pytest.raises(nm.ValidationError, match="w_max"):
        Assemblies({"options": {"w_max": -1.0}})


def test_assemblies_gives_the_same_tables_on_dask_processes(tmp_path):
    """The same seed gives the same rows and estimates serially and on a Dask cluster
    of two worker processes (each imports neuromem and compiles or loads the loop on
    its own: what a task computes may depend on nothing but its seed)."""
    distributed = pytest.importorskip("distributed")
    proto = Assemblies(
        {"n_units": 60, "n_active": 6, "n_assemblies": [2, 4], "cue_fractions": [0.5],
         "repeats": 2},
        seed=5,
    )  # fmt: skip
    serial = run(proto, tmp_path / "a", jobs=1, progress=False)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_dask = run(
            proto, tmp_path / "b", scheduler=cluster.scheduler_address, progress=False
        )
        workers = {w.pid for w in cluster.scheduler.workers.values()}
    assert len(workers) == 2 and os.getpid() not in workers

    def strip(rows):
        kept = ({k: v for k, v in r.items() if k != "error"} for r in rows)
        return sorted(json.dumps(r, sort_keys=True) for r in kept)

    assert len(serial) == 4
    assert strip(serial) == strip(on_dask)
    est_a, _ = read_rows(tmp_path / "a" / "estimates.csv")
    est_b, _ = read_rows(tmp_path / "b" / "estimates.csv")
    assert est_a == est_b


@pytest.mark.parametrize("fractions", [[1.0], [0.5, 0.95]])
def test_a_cue_that_keeps_every_member_is_refused(fractions):
    """With 10 members, 1.0 and 0.95 keep all 10 (nothing left to complete)."""
    with pytest.raises(nm.ValidationError, match=r"cue_fractions.*below 0\.95 "):
        Assemblies({"n_active": 10, "cue_fractions": fractions})
    Assemblies({"n_active": 10, "cue_fractions": [0.94]})  # cues 9, leaves one


def test_one_repeat_is_refused_for_the_intervals():
    with pytest.raises(nm.ValidationError, match="repeats"):
        Assemblies({"repeats": 1})


@pytest.mark.parametrize("key", ["seed", "n_units"])
def test_options_the_experiment_sets_are_refused_by_name(key):
    with pytest.raises(nm.ValidationError, match=f"options.{key}.*set by the experiment"):
        Assemblies({"options": {key: 3}}, 0)
