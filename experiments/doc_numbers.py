"""Every number docs/experiments.md quotes, with N, seeds, repeats and the spread.

Usage: python experiments/doc_numbers.py [--repeats R]

Runs small versions of the built-in ``capacity``, ``noise``, ``basins`` and ``topology``
grids (only the models and points the page quotes, N = 400, root seed 0) and prints each
quoted number as ``mean (min-max over R repeats)``. Basin radii and critical loads are
computed by :mod:`neuromem.experiments.estimators`, the estimators of
``neuromem compare``.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict

import numpy as np

from neuromem.experiments import Experiment, run
from neuromem.experiments.estimators import interval, radius_from_points

N = 400
SEED = 0


def _spread(values) -> str:
    v = np.asarray(values, dtype=float)
    return f"{v.mean():.3f} ({v.min():.3f}-{v.max():.3f})"


def _rows(exp: Experiment):
    with tempfile.TemporaryDirectory() as tmp:
        return run(exp, tmp, progress=False)


def main(repeats: int = 3) -> None:
    hebb = {"name": "hopfield", "label": "hebb"}
    proj = {"name": "hopfield", "label": "projection", "params": {"rule": "pseudoinverse"}}
    print(f"N = {N}, root seed {SEED}, {repeats} repeats; mean (min-max over repeats)")

    cap = Experiment(
        "capacity",
        models=[hebb, proj],
        patterns=[{"n_units": N}],
        loads=[0.1, 0.14, 0.18, 0.22],
        noise=[0.0],
        repeats=repeats,
        seed=SEED,
    )
    by = defaultdict(list)
    for r in _rows(cap):
        by[(r["model"], r["load"])].append(r["overlap"])
    for (m, a), v in sorted(by.items()):
        print(f"capacity  {m:10s} alpha={a:.2f}  overlap {_spread(v)}")

    noise = Experiment(
        "noise",
        models=[hebb],
        patterns=[{"n_units": N}],
        loads=[0.1],
        noise=[0.3, 0.4],
        corruption=["flip", "mask"],
        repeats=repeats,
        seed=SEED,
    )
    by = defaultdict(list)
    for r in _rows(noise):
        by[(r["corruption"], r["noise"])].append(r["overlap"])
    for (c, z), v in sorted(by.items()):
        print(f"noise     hebb       alpha=0.10  {c} {z:.1f}  overlap {_spread(v)}")

    levels = [float(z) for z in np.round(np.arange(0, 0.5, 0.025), 3)]
    basins = Experiment(
        "basins",
        models=[hebb, proj],
        patterns=[{"n_units": N}],
        loads=[0.02, 0.08, 0.11, 0.14, 0.2],
        noise=levels,
        repeats=repeats,
        seed=SEED,
    )
    pts = defaultdict(list)
    for r in _rows(basins):
        pts[(r["model"], r["load"], r["repeat"])].append((r["noise"], r["accuracy"]))
    radii = defaultdict(list)
    for (m, a, _), p in pts.items():
        radii[(m, a)].append(radius_from_points(p, max(levels))[0])
    for (m, a), v in sorted(radii.items()):
        e = interval(v)
        print(
            f"basins    {m:10s} alpha={a:.2f}  radius {_spread(v)}  "
            f"95% interval {e.text(3)}"
        )

    topo = Experiment(
        "topology",
        models=[
            {
                "name": "hopfield",
                "label": f"p={p}",
                "params": {"topology": {"kind": "erdos_renyi", "p": p}},
            }
            for p in (1.0, 0.1, 0.05)
        ]
        + [
            {
                "name": "hopfield",
                "label": f"ring p={p}",
                "params": {"topology": {"kind": "small_world", "k": 40, "p": p}},
            }
            for p in (0.0, 1.0)
        ],
        patterns=[{"n_units": N}],
        loads=[0.04],
        noise=[0.1],
        repeats=repeats,
        seed=SEED,
    )
    by = defaultdict(list)
    for r in _rows(topo):
        by[r["model"]].append(r["overlap"])
    for m, v in by.items():
        print(f"topology  {m:12s} alpha=0.04 noise 0.1  overlap {_spread(v)}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    main(ap.parse_args().repeats)
