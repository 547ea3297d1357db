"""Benchmarks that cannot rot: every script in benchmarks/ runs its code paths in
``--smoke`` mode (a tiny size), so a benchmark that breaks or is refused fails here.
Times are printed by the scripts, never asserted."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import neuromem as nm

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py"))


def test_every_benchmark_is_listed():
    assert "bench_scale.py" in SCRIPTS and len(SCRIPTS) >= 10


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_smoke(script):
    env = dict(os.environ, NEUROMEM_PROGRESS="0", OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=BENCH.parent,
    )
    assert proc.returncode == 0, f"{script} --smoke failed:\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip(), f"{script} --smoke printed nothing"


def test_sparse_network_of_a_hundred_thousand_units_builds_stores_and_recalls():
    # Runs in a few seconds (benchmarks/bench_scale.py measures the times; tests do
    # not assert them).
    n, k = 10**5, 20
    topo = nm.topology.erdos_renyi(n, k / n, seed=0)
    mem = nm.create("hopfield", n_units=n, topology=topo, dtype="float32")
    x = nm.patterns.random_bipolar(3, n, seed=1)
    mem.store(x)
    cues = nm.patterns.flip(x, 0.1, seed=2)
    out = mem.recall(cues)
    assert mem.synapse_.is_sparse
    # 3 patterns at K = 20 are far below capacity: every cue comes back.
    # (Synchronous sweeps of a diluted network may end in a period-2 cycle of a few
    # units: converged is not asserted.)
    assert np.all(nm.metrics.overlap(out.states, x) > 0.95)
