"""Experiments: protocols (grids of store/recall trials, studies, plugins) on one
engine, run serially, on processes or on Dask.

See :func:`run` to run one into a results folder, :mod:`neuromem.experiments.engine`
for the engine and the :class:`~neuromem.experiments.engine.Protocol` base class,
:mod:`neuromem.experiments.builtin` for the built-in grids and
:mod:`neuromem.experiments.compare` for ``neuromem compare``.

Examples
--------
>>> from neuromem.experiments import Experiment
>>> exp = Experiment("tiny", models=[{"name": "hopfield"}], patterns=[{"n_units": 64}])
>>> [t.coordinates() for t in exp.trials()]
[('hopfield', 'random_bipolar', 0.05, 'flip', 0.0, 1, 0)]
"""

from .engine import Protocol, read_frame, read_run, versions
from .launch import run
from .runner import read_results
from .spec import Experiment, ModelSpec, PatternSpec, Trial
from .tomlfile import load_experiment
from .trial import COLUMNS, IDENTITY_COLUMNS, TIMING_COLUMNS, run_trial

__all__ = [
    "COLUMNS",
    "IDENTITY_COLUMNS",
    "TIMING_COLUMNS",
    "Experiment",
    "ModelSpec",
    "PatternSpec",
    "Protocol",
    "Trial",
    "load_experiment",
    "read_frame",
    "read_results",
    "read_run",
    "run",
    "run_trial",
    "versions",
]
