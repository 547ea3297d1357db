"""Grids of store/recall trials as protocols: :class:`Grid` (any :class:`Experiment`,
such as a TOML file's) and the built-ins ``capacity``, ``noise``, ``basins``,
``forgetting`` and ``topology`` (their configurations are in :mod:`.builtin`).

One task is one trial (:func:`~neuromem.experiments.trial.run_trial`), one row of
``results.csv``; the table is written row by row as the trials complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from . import builtin
from .engine import Output, Protocol, files_that_fit, read_rows, save
from .plots import (
    plot_basins,
    plot_capacity,
    plot_forgetting,
    plot_noise,
    plot_times,
    plot_topology,
)
from .spec import Experiment
from .trial import COLUMNS, base_row, run_trial

__all__ = ["Basins", "Capacity", "Forgetting", "Grid", "Noise", "Topology"]

#: What identifies a kept row as its trial on resume (coordinates and seed).
_IDENTITY = ("trial", "model", "patterns", "load", "corruption", "noise", "sets")
_IDENTITY += ("repeat", "seed", "n_units", "n_patterns")


class Grid(Protocol):
    """A grid of trials (an :class:`~neuromem.experiments.Experiment`) on the engine.

    Parameters
    ----------
    experiment : Experiment
        The grid (validated when it was built).
    """

    name = "grid"
    description = "A grid of store/recall trials (an Experiment or a TOML file)."
    format = "neuromem-run"
    columns = COLUMNS
    index_column = "trial"
    #: Not a built-in configuration: it needs an Experiment.
    listed = False

    def __init__(self, experiment: Experiment):
        if not isinstance(experiment, Experiment):
            raise ValidationError("experiment", experiment, "a neuromem Experiment")
        self.experiment = experiment
        self.seed = experiment.seed
        self.params = experiment.to_dict()
        self.text = experiment.description

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Grid:
        return cls(Experiment.from_dict(data))

    def _recorded(self, data: Mapping[str, Any]) -> None:
        self.experiment = None  # not buildable here: only the figures are asked for
        self.params = dict(data)
        self.seed = data.get("seed", 0)
        self.text = data.get("description", "")

    def to_dict(self) -> dict[str, Any]:
        return self.experiment.to_dict()

    def run_meta(self) -> dict[str, Any]:
        return {"n_trials": self.experiment.n_trials}

    def tasks(self) -> list[tuple]:
        return [t.coordinates() for t in self.experiment.iter_trials()]

    def task(self, index: int) -> dict[str, Any]:
        return run_trial(self.experiment, self.experiment.trial(index))

    def matches(self, result: Any, index: int) -> bool:
        expected = base_row(self.experiment, self.experiment.trial(index))
        return all(result.get(k) == expected.get(k) for k in _IDENTITY)

    def reduce(self, results: list[Any]) -> Output:
        return Output({"results": results})

    def figures(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        rows, _ = read_rows(folder / "results.csv", COLUMNS, strict=True)
        if not rows:
            raise ValidationError("results", str(folder), "a results folder with rows")
        exp = self.params  # the experiment's to_dict()
        with files_that_fit(folder, "a results folder as neuromem wrote it"):
            return [save(ax, folder / f"{stem}.png") for stem, ax in _draw(exp, rows)]


def _draw(exp: dict[str, Any], rows: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The figures of a grid, by file stem: the experiment's own, then the times."""
    name = exp["name"]
    if name == "forgetting" or exp.get("kind") == "sequential":
        out = [("forgetting", plot_forgetting(rows))]
    elif name == "topology":
        out = [("topology", plot_topology(rows, exp))]
    elif name in ("basins", "noise"):
        out = [(name, (plot_basins if name == "basins" else plot_noise)(rows))]
    else:  # capacity and any other grid: the axes that vary
        curves = (("capacity", plot_capacity, "load"), ("noise", plot_noise, "noise"))
        out = [(s, f(rows)) for s, f, axis in curves if len({r[axis] for r in rows}) > 1]
    return [*out, ("times", plot_times(rows))]


def _builtin(name: str, make: Any) -> type[Grid]:
    """The protocol class of a built-in grid: ``preset`` is ``make`` (see
    :mod:`.builtin`), its folder a plain grid's."""

    def preset(cls, quick: bool = False, seed: int = 0, notes: list[str] | None = None):
        return Grid(make(quick=quick, seed=seed, notes=notes))

    attrs = {"__doc__": make.__doc__, "name": name, "listed": True}
    attrs["preset"] = classmethod(preset)
    return type(name.capitalize(), (Grid,), attrs)


Capacity = _builtin("capacity", builtin.capacity)
Noise = _builtin("noise", builtin.noise)
Basins = _builtin("basins", builtin.basins)
Forgetting = _builtin("forgetting", builtin.forgetting)
Topology = _builtin("topology", builtin.topology)
