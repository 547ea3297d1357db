"""The ``sequence`` study as a protocol: whole-cycle retrieval against the load at
several sizes, the longest cycle against N (Hebbian and dense), one delayed replay.

Tasks: one per size, load and repeat of the capacity sweep
(:func:`~neuromem.experiments.sequences.sweep_row`), one per variant and size of the
growth (:func:`~neuromem.experiments.sequences.max_length`), one for the trajectory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ValidationError
from ..memory import check_memory
from ..models.sequence import SequenceMemory
from ..patterns import random_bipolar
from ..validation import check_int
from .engine import Output, files_that_fit, save
from .engine.protocol import fmt, summary_of
from .sequences import (
    check_loads,
    check_memory_options,
    crossover,
    growth_exponent,
    max_length,
    n_patterns,
    plot_growth,
    plot_sequence_capacity,
    plot_trajectory,
    sweep_row,
)
from .study_base import StudyProtocol, check_list, read_table

__all__ = ["Sequence"]

_CAPTIONS = {
    "sequence-capacity.png": (
        "<b>Sequence capacity.</b> Fraction of stored cyclic sequences retrieved whole "
        "(overlap with the expected pattern at least 0.5 at every step of one cycle, "
        "started from the first pattern) against the load alpha = P/N, Hebbian "
        "sequence network, synchronous updates, one curve per size N. The vertical line "
        "is the N -> infinity capacity 0.269 (During, Coolen & Sherrington 1998); the "
        "fall sharpens as N grows, the finite-size crossover."
    ),
    "sequence-growth.png": (
        "<b>Capacity growth.</b> Longest cycle that most networks replay whole (overlap "
        "at least 0.9 at every step) against N, log-log: Hebbian couplings against dense "
        "polynomial interactions (Chaudhry et al. 2023). A steeper line is a capacity "
        "that grows faster with N; the fitted exponents are listed above."
    ),
    "sequence-trajectory.png": (
        "<b>A recalled sequence.</b> Overlap of the network state with every stored "
        "pattern, step by step, from a cue at the first pattern: each pattern in turn "
        "comes up to overlap 1 and hands over to the next, in the stored order."
    ),
}

_QUICK = {
    "sizes": [100, 200],
    # Loads between 0.15 and 0.35 too: from those two alone the crossover was their
    # midpoint, 0.25 whatever the network did.
    "loads": [0.15, 0.2, 0.25, 0.275, 0.3, 0.35],
    "repeats": 4,
    "growth": {
        "hebbian": {"sizes": [16, 32]},
        "dense n=2": {"sizes": [16, 32], "options": {"variant": "dense", "order": 2}},
    },
}


class Sequence(StudyProtocol):
    """Sequence memory: whole-cycle retrieval against the load at two sizes (alpha_c
    ~ 0.269), longest cycle against N (Hebbian and dense), and a slow replay with
    delayed synapses.

    Full: sizes N = 200 and 800, loads 0.15 to 0.35, 10 sequences each; the longest
    cycle retrieved for N = 16 to 128 (Hebbian, dense polynomial n = 2) and 16 to 32
    (dense n = 3). ``quick``: a few seconds.
    """

    name = "sequence"
    description = (
        "Sequence memory: whole-cycle retrieval against the load at two sizes "
        "(alpha_c ~ 0.269), longest cycle against N (Hebbian and dense), and a "
        "slow replay with delayed synapses."
    )
    defaults: ClassVar[dict[str, Any]] = {
        "sizes": [200, 800],
        "loads": [0.15, 0.2, 0.225, 0.2375, 0.25, 0.2625, 0.275, 0.2875, 0.3, 0.35],
        "repeats": 10,
        "growth": {
            "hebbian": {"sizes": [16, 32, 64, 128]},
            "dense n=2": {
                "sizes": [16, 32, 64, 128],
                "options": {"variant": "dense", "order": 2},
            },
            "dense n=3": {
                "sizes": [16, 24, 32],
                "options": {"variant": "dense", "order": 3},
            },
        },
        "trajectory": {
            "n_units": 400,
            "n_patterns": 8,
            "n_steps": 40,
            "options": {"symmetric": 1.0, "transition": 2.0, "delay": 3},
        },
    }
    captions = _CAPTIONS

    @classmethod
    def preset(cls, quick: bool = False, seed: int = 0, notes: list[str] | None = None):
        return cls(dict(_QUICK) if quick else {}, seed)

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        params["sizes"] = check_list(params["sizes"], "sizes", int, low=2)
        params["loads"] = check_list(params["loads"], "loads", float, low=1e-300)
        check_loads(params["sizes"], params["loads"])
        params["repeats"] = check_int(params["repeats"], "repeats", low=1)
        growth = params["growth"]
        if not isinstance(growth, dict):
            raise ValidationError("growth", growth, "a dict: label -> {sizes, options}")
        for label, spec in growth.items():
            if not isinstance(spec, dict) or set(spec) - {"sizes", "options"}:
                raise ValidationError(
                    "growth", {label: spec}, "{'sizes': [...], 'options': {...}}"
                )
            spec["sizes"] = check_list(spec.get("sizes"), "growth", int, low=2)
            check_memory_options(spec.get("options", {}), f"growth[{label!r}].options")
        t = params["trajectory"]
        keys = {"n_units", "n_patterns", "n_steps"}
        if not isinstance(t, dict) or not keys <= set(t) or set(t) - keys - {"options"}:
            raise ValidationError(
                "trajectory", t, "a dict with n_units, n_patterns, n_steps (and options)"
            )
        for key in sorted(keys):
            t[key] = check_int(t[key], f"trajectory.{key}", low=1)
        check_memory_options(t.get("options", {}), "trajectory.options")
        sizes = [("sizes", n, {}) for n in params["sizes"]]
        sizes += [("trajectory.n_units", t["n_units"], t.get("options", {}))]
        for name, n, options in sizes:  # a network's weights, before anything is written
            if options.get("variant", "hebbian") == "hebbian":
                check_memory(8.0 * n * n, name, n, f"a network of {n} units")
        return params

    def tasks(self) -> list[tuple]:
        p = self.params
        out: list[tuple] = [
            ("capacity", n, a, r)
            for n in p["sizes"]
            for a in p["loads"]
            for r in range(p["repeats"])
        ]
        out += [("growth", g, n) for g, spec in p["growth"].items() for n in spec["sizes"]]
        out.append(("trajectory",))
        return out

    def task(self, index: int) -> Any:
        kind, *coords = self.tasks()[index]
        if kind == "capacity":
            n, load, r = coords
            return sweep_row(n, load, r, self.seed)
        if kind == "growth":
            label, n = coords
            options = self.params["growth"][label].get("options", {})
            length = max_length(n, repeats=3, seed=self.seed, **options)
            return {"variant": label, "n_units": n, "max_length": length, "error": ""}
        # An example: a slow, stable replay with a symmetric part and delayed synapses.
        t = self.params["trajectory"]
        x = random_bipolar(t["n_patterns"], t["n_units"], seed=self.seed)
        mem = SequenceMemory(t["n_units"], **t.get("options", {})).store(x, cyclic=True)
        res = mem.recall(x[:1], n_steps=t["n_steps"], record="overlaps")
        return res.trajectory["overlaps"][0]

    def reduce(self, results: list[Any]) -> Output:
        kinds = [t[0] for t in self.tasks()]
        rows = [r for k, r in zip(kinds, results, strict=True) if k == "capacity"]
        grow = [r for k, r in zip(kinds, results, strict=True) if k == "growth"]
        traj = np.asarray(results[-1], dtype=np.float64)
        p = self.params
        # Keyed by the load run (P / N): the one asked for, rounded to whole patterns.
        frac = {
            f"N={n} alpha={n_patterns(n, a) / n}": float(
                np.mean(
                    [
                        r["retrieved"]
                        for r in rows
                        if r["n_units"] == n and r["n_patterns"] == n_patterns(n, a)
                    ]
                )
            )
            for n in p["sizes"]
            for a in p["loads"]
        }
        summary = {
            "alpha_c_crossover": {str(k): v for k, v in crossover(rows).items()},
            "retrieved_fraction": frac,
            "max_length": {
                f"{r['variant']} N={r['n_units']}": r["max_length"] for r in grow
            },
            "growth_exponent": {
                label: growth_exponent(
                    [(r["n_units"], r["max_length"]) for r in grow if r["variant"] == label]
                )
                for label in p["growth"]
            },
            "criterion": "a cycle is retrieved when its overlap with the expected pattern "
            "stays >= 0.5 for one full cycle (P steps) from the first pattern",
        }
        return Output({"results": rows, "growth": grow}, summary, {"trajectory": traj})

    def figures(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        rows = read_table(folder / "results.csv")
        with files_that_fit(folder, "a folder as a study wrote it"):
            paths = [save(plot_sequence_capacity(rows), folder / "sequence-capacity.png")]
            grow = (
                read_table(folder / "growth.csv")
                if (folder / "growth.csv").is_file()
                else []
            )
            if grow:
                paths.append(save(plot_growth(grow), folder / "sequence-growth.png"))
            traj = folder / "trajectory.npy"
            if traj.is_file():
                ax = plot_trajectory(np.load(traj))
                ax.set_title(
                    "symmetric 1, transition 2, delay 3: each pattern held 4 steps"
                )
                paths.append(save(ax, folder / "sequence-trajectory.png"))
        return paths

    def report_items(self, folder: Path) -> list[str]:
        summary = summary_of(folder)
        items = [
            f"N = {n}: crossover alpha_c = {fmt(a)} (theory 0.269)"
            for n, a in summary["alpha_c_crossover"].items()
        ]
        items += [
            f"{k}: {fmt(v)} of the cycles retrieved"
            for k, v in summary["retrieved_fraction"].items()
        ]
        items += [
            f"{k}: longest cycle retrieved {v}" for k, v in summary["max_length"].items()
        ]
        items += [
            f"{k}: longest cycle grows like N^{fmt(v)}"
            for k, v in summary.get("growth_exponent", {}).items()
        ]
        return items
