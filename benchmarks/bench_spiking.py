"""Spiking networks: neuromem against Brian2 (numpy and Cython targets), in one run.

Two networks of issue 20:

- the anchor: 4000 LIF neurons (tau_m 20 ms, rest -70, threshold -50, reset -60 mV,
  refractory 5 ms), E->E with p = 0.05 and no self-connections (about 800,000 plastic
  synapses, voltage jumps, 1 ms delay), pair STDP with traces (tau 20 ms, A+ = 0.01
  w_max, A- = -0.0105 w_max, w in [0, w_max], w_max = 0.4 mV, initial w uniform), each
  neuron driven by 100 Poisson inputs at 5 Hz of 1.2 mV; dt = 0.1 ms, 1 s simulated;
- Song, Miller & Abbott (2000) as in Brian2's example: 1000 Poisson inputs at 15 Hz
  onto one conductance-based LIF neuron, additive STDP, 100 s simulated (10^6 steps).

Every measurement runs in a fresh process. "Preparation" is building the network plus
any compilation, up to the first step: "cold" with an empty compiler cache (numba's, or
Brian2's Cython cache), "warm" with the cache the cold run left. "Loop" is the simulation
of the simulated time alone. Memory is per plastic synapse (the arrays the loop holds).
Brian2 runs only when an interpreter with Brian2 is given (Brian2 2.9.0 needs
numpy < 2.4, so it lives in its own virtualenv)::

    python benchmarks/bench_spiking.py [--brian2-python /work/venvs/brian2/bin/python]
    python benchmarks/bench_spiking.py --smoke      # small sizes, no Brian2 (the tests)

Nothing is asserted; the machine's load changes every number, so compare the columns
of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ANCHOR = dict(n=4000, p=0.05, duration=1000.0, w_max=0.4, n_in=100, rate_in=5.0, w_in=1.2)
SONG = dict(n_in=1000, rate=15.0, duration=100_000.0)
SMOKE_ANCHOR = dict(ANCHOR, n=400, duration=100.0)
SMOKE_SONG = dict(SONG, duration=2000.0)


def neuromem_anchor(cfg: dict) -> dict:
    import numpy as np
    import scipy.sparse as sp

    from neuromem.rules.stdp import PairSTDP
    from neuromem.spiking import LIF, SpikingNetwork

    t0, c0 = time.perf_counter(), time.process_time()
    n, w_max = cfg["n"], cfg["w_max"]
    rng = np.random.default_rng(0)
    w = sp.random_array((n, n), density=cfg["p"], rng=rng, format="csr")
    w.setdiag(0)
    w.eliminate_zeros()
    w.data = rng.random(w.nnz) * w_max
    net = SpikingNetwork(n, LIF(), dt=0.1, seed=1)
    # 100 independent Poisson inputs at 5 Hz onto a neuron are one Poisson source at
    # 500 Hz (the same process), drawn as spikes, not per input per step.
    net.add_poisson("inputs", np.full(n, cfg["n_in"] * cfg["rate_in"]))
    net.connect("inputs", sp.identity(n, format="csr") * cfg["w_in"], target="v")
    rule = PairSTDP(a_plus=0.01 * w_max, a_minus=-0.0105 * w_max, bounds=(0.0, w_max))
    net.connect("neurons", w, target="v", delay=1.0, rule=rule)
    net.run(0.1)  # one step: builds the arrays and compiles (or loads) the loop
    prep, prep_cpu = time.perf_counter() - t0, time.process_time() - c0
    t1 = time.perf_counter()
    rec = net.run(cfg["duration"])
    loop = time.perf_counter() - t1
    return {
        "prep": prep,
        "prep_cpu": prep_cpu,
        "loop": loop,
        "rate": float(rec.rates().mean()),
        "synapses": int(w.nnz),
        "bytes_per_synapse": net.memory_per_synapse(),
    }


def neuromem_song(cfg: dict) -> dict:
    import numpy as np

    from neuromem.rules.stdp import PairSTDP
    from neuromem.spiking import LIF, SpikingNetwork

    t0 = time.perf_counter()
    gmax = 0.01
    nrn = LIF(tau_m=10.0, v_rest=-74.0, threshold=-54.0, v_reset=-60.0, t_ref=0.0)
    net = SpikingNetwork(1, nrn, dt=0.1, tau_e=5.0, exc="conductance", seed=0)
    net.add_poisson("inputs", np.full(cfg["n_in"], cfg["rate"]))
    rule = PairSTDP(a_plus=0.01 * gmax, a_minus=-0.0105 * gmax, bounds=(0.0, gmax))
    w0 = np.random.default_rng(0).random((1, cfg["n_in"])) * gmax
    net.connect("inputs", w0, target="exc", rule=rule)
    net.run(0.1)
    prep = time.perf_counter() - t0
    t1 = time.perf_counter()
    rec = net.run(cfg["duration"])
    loop = time.perf_counter() - t1
    w = net.weights(0).toarray().ravel() / gmax
    return {
        "prep": prep,
        "loop": loop,
        "rate": float(rec.rates()[0]),
        "bimodal": float(((w < 0.1) | (w > 0.9)).mean()),
        "bytes_per_synapse": net.memory_per_synapse(),
    }


BRIAN2 = r'''
import json, sys, time
import numpy as np
from brian2 import *
which, target, cache, cfg = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
prefs.codegen.target = target
if target == "cython":
    prefs.codegen.runtime.cython.cache_dir = cache
prefs.logging.file_log = False
defaultclock.dt = 0.1 * ms
seed(0)
t0, c0 = time.perf_counter(), time.process_time()
if which == "anchor":
    N = cfg["n"]; wmax = cfg["w_max"] * mV; taum = 20 * ms; El = -70 * mV
    G = NeuronGroup(N, "dv/dt = (El - v) / taum : volt (unless refractory)",
                    threshold="v > -50*mV", reset="v = -60*mV", refractory=5 * ms,
                    method="exact")
    G.v = El
    P = PoissonInput(G, "v", cfg["n_in"], cfg["rate_in"] * Hz, weight=cfg["w_in"] * mV)
    taupre = taupost = 20 * ms; Apre = 0.01 * wmax; Apost = -0.0105 * wmax
    S = Synapses(G, G, """w : volt
        dapre/dt = -apre / taupre : volt (event-driven)
        dapost/dt = -apost / taupost : volt (event-driven)""",
        on_pre="""v_post += w
        apre += Apre
        w = clip(w + apost, 0*volt, wmax)""",
        on_post="""apost += Apost
        w = clip(w + apre, 0*volt, wmax)""", delay=1 * ms)
    S.connect(condition="i != j", p=cfg["p"])
    S.w = "rand() * wmax"
    objs = [G, P, S]
else:
    N = 1; gmax = 0.01; taum = 10 * ms; Ee = 0 * mV; El = -74 * mV; taue = 5 * ms
    G = NeuronGroup(1, """dv/dt = (ge * (Ee - v) + El - v) / taum : volt
        dge/dt = -ge / taue : 1""", threshold="v > -54*mV", reset="v = -60*mV",
        method="euler")
    G.v = El
    inp = PoissonGroup(cfg["n_in"], rates=cfg["rate"] * Hz)
    taupre = taupost = 20 * ms; dApre = 0.01 * gmax; dApost = -0.0105 * gmax
    S = Synapses(inp, G, """w : 1
        dApre/dt = -Apre / taupre : 1 (event-driven)
        dApost/dt = -Apost / taupost : 1 (event-driven)""",
        on_pre="""ge += w
        Apre += dApre
        w = clip(w + Apost, 0, gmax)""",
        on_post="""Apost += dApost
        w = clip(w + Apre, 0, gmax)""")
    S.connect()
    S.w = "rand() * gmax"
    objs = [G, inp, S]
mon = SpikeMonitor(G)
net = Network(*objs, mon)
net.run(0 * ms)
import resource
children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the C compiler's time
prep = time.perf_counter() - t0
prep_cpu = time.process_time() - c0 + children.ru_utime + children.ru_stime
t1 = time.perf_counter()
net.run(cfg["duration"] * ms)
loop = time.perf_counter() - t1
n_syn = len(S)
held = 0
for name, var in S.variables.items():
    try:
        value = var.get_value()
    except Exception:
        continue
    if isinstance(value, np.ndarray) and value.size >= n_syn:
        held += value.nbytes
print(json.dumps({"prep": prep, "prep_cpu": prep_cpu, "loop": loop, "rate": mon.num_spikes / N / (cfg["duration"] / 1000),
                  "synapses": n_syn, "bytes_per_synapse": held / n_syn}))
'''


def worker(which: str, cfg: dict) -> None:
    result = neuromem_anchor(cfg) if which == "anchor" else neuromem_song(cfg)
    print(json.dumps(result))


def in_process(cmd: list[str], env: dict | None = None, timeout: float = 3600) -> dict:
    out = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def neuromem_run(which: str, cfg: dict, cache: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    cmd = [sys.executable, __file__, "--worker", which, "--config", json.dumps(cfg)]
    return in_process(cmd, env)


def brian2_run(python: str, which: str, target: str, cfg: dict, cache: str) -> dict:
    cmd = [python, "-c", BRIAN2, which, target, cache, json.dumps(cfg)]
    return in_process(cmd)


def fmt(value, unit: str = "s") -> str:
    if value is None:
        return "-"
    return f"{value:.2f} {unit}" if unit else f"{value:.1f}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="small sizes, a few seconds")
    ap.add_argument("--brian2-python", help="a Python interpreter with Brian2 installed")
    ap.add_argument(
        "--song-numpy", action="store_true", help="also Song et al. on Brian2-numpy"
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, json.loads(args.config))
        return
    anchor = SMOKE_ANCHOR if args.smoke else ANCHOR
    song = SMOKE_SONG if args.smoke else SONG
    cols: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as numba_cache, tempfile.TemporaryDirectory() as cy:
        cold = neuromem_run("anchor", anchor, numba_cache)
        warm = neuromem_run("anchor", anchor, numba_cache)
        s = neuromem_run("song", song, numba_cache)
        cols["neuromem"] = {
            "cold": cold["prep"],
            "cold_cpu": cold["prep_cpu"],
            **warm,
            "song": s["loop"],
            "song_r": s,
        }
        if args.brian2_python:
            py = args.brian2_python
            b_np = brian2_run(py, "anchor", "numpy", anchor, cy)
            cols["Brian2-numpy"] = {
                "cold": b_np["prep"],
                "cold_cpu": b_np["prep_cpu"],
                **b_np,
            }
            cols["Brian2-numpy"]["song"] = None
            if args.song_numpy:
                cols["Brian2-numpy"]["song"] = brian2_run(py, "song", "numpy", song, cy)[
                    "loop"
                ]
            b_cold = brian2_run(py, "anchor", "cython", anchor, cy)
            b_warm = brian2_run(py, "anchor", "cython", anchor, cy)
            b_song = brian2_run(py, "song", "cython", song, cy)
            cols["Brian2-Cython"] = {
                "cold": b_cold["prep"],
                "cold_cpu": b_cold["prep_cpu"],
                **b_warm,
                "song": b_song["loop"],
            }
    rows = [
        (f"anchor loop ({anchor['duration'] / 1000:g} s simulated)", "loop", "s"),
        ("anchor preparation, warm cache", "prep", "s"),
        ("anchor preparation, warm cache (CPU)", "prep_cpu", "s"),
        ("anchor preparation, cold cache", "cold", "s"),
        ("anchor preparation, cold cache (CPU)", "cold_cpu", "s"),
        ("anchor rate (Hz)", "rate", ""),
        ("bytes per plastic synapse", "bytes_per_synapse", ""),
        (f"Song et al. loop ({song['duration'] / 1000:g} s simulated)", "song", "s"),
    ]
    names = list(cols)
    print(f"anchor: {anchor['n']} LIF, {cols['neuromem']['synapses']} plastic synapses")
    print("| measure | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for label, key, unit in rows:
        cells = [fmt(cols[n].get(key), unit) for n in names]
        print(f"| {label} | " + " | ".join(cells) + " |")
    sr = cols["neuromem"]["song_r"]
    print(
        f"Song et al. (neuromem): output rate {sr['rate']:.1f} Hz over the run, "
        f"{100 * sr['bimodal']:.0f} % of the weights in the outer tenths"
    )
    if "Brian2-Cython" in cols:
        b = cols["Brian2-Cython"]
        print(
            f"ratios to Brian2-Cython: anchor loop {cols['neuromem']['loop'] / b['loop']:.2f}"
            f", Song loop {cols['neuromem']['song'] / b['song']:.2f}"
        )


if __name__ == "__main__":
    main()
