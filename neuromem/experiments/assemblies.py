"""The ``assemblies`` experiment: cell-assembly formation and recall in the spiking
assembly memory, against the number of assemblies stored and the fraction cued.

Tasks: one per number of assemblies ``P`` and repeat. Each stores ``P`` random sparse
patterns (``n_active`` of ``n_units`` neurons) in a
:class:`~neuromem.models.assembly.SpikingAssembly`, measures how far the assemblies
formed (mean weight inside the stored assemblies and outside them, as fractions of
``w_max``), then cues every assembly with each fraction of its neurons and records how
much of the uncued rest fires, how many other neurons fire, and whether the assembly
was recalled (at least 80 % of the uncued rest and at most one other neuron).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ValidationError
from ..models.assembly import SpikingAssembly
from ..patterns import random_sparse
from ..random import as_generator
from .engine import Output, axes, files_that_fit, save, task_seed
from .engine.protocol import fmt, summary_of
from .estimators import interval
from .study_base import StudyProtocol, check_list, read_table

__all__ = ["Assemblies", "cue_fraction", "plot_assemblies", "plot_formation", "plot_recall"]

_CAPTIONS = {
    "assemblies-recall.png": (
        "<b>Cell assemblies: recall.</b> Fraction of stored assemblies recalled (at "
        "least 80 % of the uncued neurons fire at least twice in 50 ms, at most one "
        "other neuron does) against the number of assemblies stored, one curve per "
        "fraction of each assembly cued, with Student-t 95 % intervals over repeats."
    ),
    "assemblies-formation.png": (
        "<b>Cell assemblies: formation.</b> Mean weight inside the stored assemblies "
        "and outside them (fractions of w_max): assemblies form in one presentation; "
        "past capacity the weights outside them grow too (the spreading that ends "
        "recall)."
    ),
}


def cue_fraction(x: np.ndarray, fraction: float, seed) -> np.ndarray:
    """Each 0/1 pattern with only ``round(fraction * active)`` (at least 1) of its
    active units kept, chosen at random."""
    rng = as_generator(seed)
    cues = np.zeros_like(x)
    for p, row in enumerate(x):  # one draw per pattern (tens of patterns)
        on = np.flatnonzero(row)
        keep = max(1, round(fraction * len(on)))
        cues[p, rng.choice(on, keep, replace=False)] = 1.0
    return cues


def _row(x, cues, result) -> dict[str, float]:
    rest = x - cues
    others = 1.0 - x
    hit = (result.states * rest).sum(1) / np.maximum(rest.sum(1), 1)
    spurious = (result.states * others).sum(1)
    rates = result.info["rates"]
    return {
        "completed": float(hit.mean()),
        "spurious": float(spurious.mean()),
        "recalled": float(np.mean((hit >= 0.8) & (spurious <= 1))),
        "member_rate": float((rates * rest).sum() / max(rest.sum(), 1)),
        "other_rate": float((rates * others).sum() / others.sum()),
    }


class Assemblies(StudyProtocol):
    """Assembly formation and recall against the number stored and the fraction cued.

    Full: N = 200 neurons, assemblies of 10, 5 to 60 assemblies, cues of 20 to 70 %
    of an assembly, 5 repeats. ``quick``: N = 100, a few seconds.
    """

    name = "assemblies"
    description = (
        "Spiking cell assemblies (LIF neurons, triplet STDP): formation and recall "
        "against the number of assemblies stored and the fraction of each cued."
    )
    defaults: ClassVar[dict[str, Any]] = {
        "n_units": 200,
        "n_active": 10,
        "n_assemblies": [5, 10, 20, 30, 40, 60],
        "cue_fractions": [0.2, 0.3, 0.5, 0.7],
        "repeats": 5,
        "options": {},
    }
    captions = _CAPTIONS

    @classmethod
    def preset(cls, quick: bool = False, seed: int = 0, notes: list[str] | None = None):
        if quick:
            quick_params = {
                "n_units": 100,
                "n_active": 10,
                "n_assemblies": [3, 10, 20],
                "cue_fractions": [0.25, 0.5],
                "repeats": 2,
            }
            return cls(quick_params, seed)
        return cls({}, seed)

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        n = params["n_units"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 4:
            raise ValidationError("n_units", n, "an integer >= 4")
        k = params["n_active"]
        if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k < n:
            raise ValidationError("n_active", k, f"an integer in [2, {n - 1}]")
        params["n_assemblies"] = check_list(
            params["n_assemblies"], "n_assemblies", int, low=1
        )
        fr = check_list(params["cue_fractions"], "cue_fractions", float, low=1e-9)
        # A cue that keeps every member leaves nothing to complete: completion would
        # be 0/0, so such a fraction is refused rather than scored.
        if any(max(1, round(f * k)) >= k for f in fr):
            raise ValidationError(
                "cue_fractions",
                fr,
                f"fractions that leave at least one of the {k} members uncued: below "
                f"{(k - 0.5) / k:.4g} (round(f * {k}) <= {k - 1}; {(k - 1) / k:.4g} cues "
                f"{k - 1} of {k})",
            )
        params["cue_fractions"] = fr
        r = params["repeats"]
        if isinstance(r, bool) or not isinstance(r, int) or r < 2:
            raise ValidationError("repeats", r, "an integer >= 2 (for the 95 % intervals)")
        options = params["options"]
        if not isinstance(options, dict):
            raise ValidationError("options", options, "a dict of model options")
        for key in ("n_units", "seed"):
            if key in options:
                raise ValidationError(
                    f"options.{key}",
                    options[key],
                    f"not given (set by the experiment: {key})",
                )
        SpikingAssembly(n, **options)  # refuses a bad option now, by name
        return params

    def tasks(self) -> list[tuple]:
        p = self.params
        return [(m, r) for m in p["n_assemblies"] for r in range(p["repeats"])]

    def task(self, index: int) -> Any:
        m, r = self.tasks()[index]
        p = self.params
        seed = task_seed(self.seed, "assemblies", m, r)
        x = random_sparse(m, p["n_units"], n_active=p["n_active"], seed=seed)
        mem = SpikingAssembly(p["n_units"], seed=seed, **p["options"]).store(x)
        inside = (x.T @ x) > 0
        np.fill_diagonal(inside, False)
        outside = ~inside
        np.fill_diagonal(outside, False)
        w = mem.weights_ / mem.w_max
        formed = {
            "w_inside": float(w[inside].mean()),
            "w_outside": float(w[outside].mean()),
        }
        rows = []
        for f in p["cue_fractions"]:  # a handful of fractions
            cues = cue_fraction(x, f, task_seed(seed, "cues", f))
            rows.append(
                {
                    "n_assemblies": m,
                    "cue_fraction": f,
                    "repeat": r,
                    "n_units": p["n_units"],
                    **formed,
                    **_row(x, cues, mem.recall(cues)),
                    "error": "",
                }
            )
        return rows

    def reduce(self, results: list[Any]) -> Output:
        rows = [row for task in results for row in task]
        p = self.params
        estimates = []
        for m in p["n_assemblies"]:
            for f in p["cue_fractions"]:
                sel = [r for r in rows if r["n_assemblies"] == m and r["cue_fraction"] == f]
                rec = interval([r["recalled"] for r in sel], low=0.0, high=1.0)
                comp = interval([r["completed"] for r in sel], low=0.0, high=1.0)
                w_in = interval([r["w_inside"] for r in sel], low=0.0, high=1.0)
                w_out = interval([r["w_outside"] for r in sel], low=0.0, high=1.0)
                estimates.append(
                    {
                        "n_assemblies": m,
                        "cue_fraction": f,
                        "recalled": rec.value,
                        "recalled_low": rec.low,
                        "recalled_high": rec.high,
                        "completed": comp.value,
                        "completed_low": comp.low,
                        "completed_high": comp.high,
                        "w_inside": w_in.value,
                        "w_outside": w_out.value,
                        "spurious": float(np.mean([r["spurious"] for r in sel])),
                    }
                )
        capacity = {}
        for f in p["cue_fractions"]:
            ok = [e["n_assemblies"] for e in estimates
                  if e["cue_fraction"] == f and e["recalled"] >= 0.5]  # fmt: skip
            capacity[str(f)] = max(ok) if ok else 0
        summary = {
            "capacity": capacity,
            "criterion": "recalled: >= 80 % of the uncued neurons and <= 1 other neuron "
            "fire at least twice in the recall window; capacity: the most assemblies "
            "stored with at least half of them recalled",
            "n_units": p["n_units"],
            "n_active": p["n_active"],
        }
        return Output({"results": rows, "estimates": estimates}, summary)

    def figures(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        with files_that_fit(folder, "a folder as the assemblies study wrote it"):
            est = read_table(folder / "estimates.csv")
            return [
                save(plot_recall(est), folder / "assemblies-recall.png"),
                save(plot_formation(est), folder / "assemblies-formation.png"),
            ]

    def report_items(self, folder: Path) -> list[str]:
        s = summary_of(folder)
        smallest = min(self.params["n_assemblies"])
        size = f"(N = {s['n_units']}, {s['n_active']} neurons per assembly)"
        items = []
        for f, m in s["capacity"].items():
            if m:
                items.append(
                    f"cue {fmt(float(f))} of an assembly: half or more recalled with up "
                    f"to {m} assemblies stored {size}"
                )
            else:
                items.append(
                    f"cue {fmt(float(f))} of an assembly: under half recalled already "
                    f"with {smallest} assemblies stored {size}"
                )
        return items


def _by_size(estimates, f):
    return sorted(
        (e for e in estimates if e["cue_fraction"] == f), key=lambda e: e["n_assemblies"]
    )


def plot_recall(estimates: list[dict[str, Any]], ax=None):
    """Fraction recalled against the number stored, one curve per cue fraction."""
    ax = axes(ax, figsize=(5.2, 4.0))
    for f in sorted({e["cue_fraction"] for e in estimates}):
        rows = _by_size(estimates, f)
        m = [e["n_assemblies"] for e in rows]
        v = np.array([e["recalled"] for e in rows])
        lo = v - np.array([e["recalled_low"] for e in rows])
        hi = np.array([e["recalled_high"] for e in rows]) - v
        ax.errorbar(m, v, yerr=[lo, hi], marker="o", capsize=3, label=f"cue {f:g}")
    ax.set_xlabel("assemblies stored")
    ax.set_ylabel("fraction recalled")
    ax.set_ylim(-0.05, 1.05)
    ax.legend()
    return ax


def plot_formation(estimates: list[dict[str, Any]], ax=None):
    """Mean weight inside and outside the stored assemblies against the number."""
    ax = axes(ax, figsize=(5.2, 4.0))
    rows = _by_size(estimates, max(e["cue_fraction"] for e in estimates))
    m = [e["n_assemblies"] for e in rows]
    ax.plot(m, [e["w_inside"] for e in rows], "o-", label="inside assemblies")
    ax.plot(m, [e["w_outside"] for e in rows], "s-", label="outside")
    ax.set_xlabel("assemblies stored")
    ax.set_ylabel("mean weight / w_max")
    ax.set_ylim(-0.05, 1.05)
    ax.legend()
    return ax


def plot_assemblies(estimates: list[dict[str, Any]]):
    """Both panels side by side (recall, formation); returns the recall axes."""
    import matplotlib.pyplot as plt

    _, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    plot_formation(estimates, right)
    return plot_recall(estimates, left)
