"""The ``consolidation`` study as a protocol: four conditions of the second phase and
a hippocampal load sweep (see :mod:`neuromem.experiments.consolidation`).

Tasks: one per repeat of :func:`~neuromem.experiments.consolidation.consolidation`
(every condition of that repeat: they share its patterns and the network trained on
A), and one per distinct hippocampus and repeat of the load sweep. Repeat ``r`` draws
from ``spawn(seed, repeats)[r]``, as the function does, so the tables are the
function's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ValidationError
from ..memory import check_memory
from ..random import spawn
from ..validation import check_int
from .consolidation import (
    CONDITIONS,
    check_load_floor,
    check_loads,
    interval,
    load_extras,
    load_row,
    one_repeat,
    plot_consolidation,
    plot_load_sweep,
)
from .consolidation import _checked as check_options_of
from .engine import Output, files_that_fit, save
from .engine.protocol import fmt, summary_of
from .study_base import StudyProtocol, read_table

__all__ = ["Consolidation"]

_CAPTIONS = {
    "consolidation.png": (
        "<b>Consolidation.</b> Retention of set A (left) and acquisition of set B "
        "(right) by the cortical MLP, per epoch of training on B, for the four "
        "conditions: sequential training on B alone, interleaved A and B, hippocampal "
        "replay and pseudo-rehearsal. Mean overlap of the outputs with the stored values "
        "(1: every bit right, 0: chance) over the repeats, with 95 % intervals."
    ),
    "consolidation-load.png": (
        "<b>Replay from an overloaded hippocampus.</b> Quality of the hippocampal "
        "replays and the retention of A they buy, against the load of the Hopfield "
        "memory that replays them; as the load passes the Hopfield capacity both fall "
        "toward the sequential level."
    ),
}


def _check_size(p: dict[str, Any]) -> None:
    """The episodes (keys and values) and the hippocampus's weights of the largest
    task fit in memory: checked before anything is written, not when a task makes
    them."""
    width = p["n_key"] + p["n_value"]
    extra = max([p["extra_episodes"], *load_extras(p["loads"], width, p["n_items"])])
    episodes = 4 * p["n_items"] + extra  # A and B, keys and values, and the extras
    weights, patterns = float(width) ** 2, float(episodes) * width
    param, given = (
        ("n_key", p["n_key"]) if weights > patterns else ("n_items", p["n_items"])
    )
    check_memory(8.0 * (weights + 2 * patterns), param, given, "a repeat's network")


class Consolidation(StudyProtocol):
    """Systems consolidation: four conditions and a hippocampal load sweep.

    Full: 64 + 64-unit episodes, 8 associations per set, an MLP with 16 hidden units
    (Adam, step 0.03, full batch), 30 epochs on A then 50 in the second phase, 10
    repeats; hippocampal loads 0.125 to 0.5. ``quick``: a few seconds.
    """

    name = "consolidation"
    description = (
        "Systems consolidation: retention of A while an MLP learns B, under sequential "
        "and interleaved training, hippocampal replay and pseudo-rehearsal."
    )
    defaults: ClassVar[dict[str, Any]] = {
        "conditions": list(CONDITIONS),
        "n_key": 64,
        "n_value": 64,
        "n_items": 8,
        "hidden": 16,
        "learning_rate": 0.03,
        "epochs_a": 30,
        "epochs_b": 50,
        "repeats": 10,
        "hippocampus": "hopfield",
        "extra_episodes": 0,
        "cue": "partial",
        "cue_fraction": 0.5,
        "n_replay": None,
        "loads": [0.125, 0.2, 0.3, 0.4, 0.5],
    }
    captions = _CAPTIONS

    @classmethod
    def preset(cls, quick: bool = False, seed: int = 0, notes: list[str] | None = None):
        if not quick:
            return cls({}, seed)
        return cls({"epochs_b": 20, "repeats": 2, "loads": [0.125, 0.4]}, seed)

    def _options(self) -> dict[str, Any]:
        return {k: v for k, v in self.params.items() if k not in ("repeats", "loads")}

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(params["hippocampus"], str):
            raise ValidationError(
                "hippocampus", params["hippocampus"], "a registered model name"
            )
        checked = check_options_of(
            **{k: v for k, v in params.items() if k not in ("repeats", "loads")}
        )
        params["repeats"] = check_int(params["repeats"], "repeats", low=1)
        params["conditions"] = list(checked["conditions"])
        params["loads"] = check_loads(params["loads"])
        _check_size(params)  # first: a network too large is the fault to name
        check_load_floor(
            params["loads"],
            checked["n_key"] + checked["n_value"],
            checked["n_items"],
        )
        return params

    def _checked(self) -> dict[str, Any]:
        return check_options_of(**self._options())

    def tasks(self) -> list[tuple]:
        p = self.params
        reps = range(p["repeats"])
        out: list[tuple] = [("repeat", r) for r in reps]
        extras = load_extras(p["loads"], p["n_key"] + p["n_value"], p["n_items"])
        out += [("load", extra, r) for extra in extras for r in reps]
        return out

    def task(self, index: int) -> Any:
        kind, *coords = self.tasks()[index]
        opts = self._checked()
        rep = coords[-1]
        rng = spawn(self.seed, self.params["repeats"])[rep]
        if kind == "repeat":
            return one_repeat(rep, rng, **opts)
        extra = coords[0]
        opts.update(conditions=("replay",), extra_episodes=extra)
        rows = one_repeat(rep, rng, **opts)
        width = opts["n_key"] + opts["n_value"]
        return load_row(rows, rep, extra, width, opts["n_items"])

    def reduce(self, results: list[Any]) -> Output:
        kinds = [t[0] for t in self.tasks()]
        per_repeat = [r for k, r in zip(kinds, results, strict=True) if k == "repeat"]
        load_rows = [r for k, r in zip(kinds, results, strict=True) if k == "load"]
        # The function's order: condition by condition within each repeat.
        rows = [row for rep in per_repeat for row in rep]
        last = max(r["epoch"] for r in rows)
        final = {}
        for cond in dict.fromkeys(r["condition"] for r in rows):
            mine = [r for r in rows if r["condition"] == cond and r["epoch"] == last]
            final[cond] = {
                value: dict(
                    zip(
                        ("mean", "low", "high"),
                        interval([r[value] for r in mine], low=None),
                        strict=True,
                    )
                )
                for value in ("retention", "acquisition")
            }
        sweep = {
            f"load={a:.3g}": {
                value: interval([r[value] for r in load_rows if r["load"] == a], low=None)[
                    0
                ]
                for value in ("replay_quality", "retention")
            }
            for a in sorted({r["load"] for r in load_rows})
        }
        summary = {"final_epoch": last, "final": final, "load_sweep": sweep}
        return Output({"results": rows, "load": load_rows}, summary)

    def figures(self, folder: Path) -> list[Path]:
        import matplotlib.pyplot as plt

        folder = Path(folder)
        rows = read_table(folder / "results.csv")
        with files_that_fit(folder, "a folder as a study wrote it"):
            _, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
            plot_consolidation(rows, a1, value="retention")
            plot_consolidation(rows, a2, value="acquisition")
            paths = [save(a1, folder / "consolidation.png")]
            load = (
                read_table(folder / "load.csv") if (folder / "load.csv").is_file() else []
            )
            if load:
                last = max(r["epoch"] for r in rows)
                seq = [
                    r["retention"]
                    for r in rows
                    if r["condition"] == "sequential" and r["epoch"] == last
                ]
                ref = float(np.mean(seq)) if seq else None
                ax = plot_load_sweep(load, sequential=ref)
                paths.append(save(ax, folder / "consolidation-load.png"))
        return paths

    def report_items(self, folder: Path) -> list[str]:
        summary = summary_of(folder)
        items = []
        for cond, vals in summary["final"].items():
            r, a = vals["retention"], vals["acquisition"]
            items.append(
                f"{cond}: retention of A {fmt(r['mean'])} "
                f"[{fmt(r['low'])}, {fmt(r['high'])}], acquisition of B "
                f"{fmt(a['mean'])} (after {summary['final_epoch']} epochs on B)"
            )
        for k, v in summary["load_sweep"].items():
            items.append(
                f"hippocampal {k}: replay quality {fmt(v['replay_quality'])}, "
                f"retention {fmt(v['retention'])}"
            )
        return items
