"""neuromem: brain-memory simulation on one core.

Backprop MLP, Hebbian and Hopfield memories share one vocabulary: neuron laws
(:mod:`neuromem.neurons`), populations and synapses (:class:`Population`,
:class:`Synapse`), a networkx graph of them (:class:`Network`), learning rules
(:class:`LearningRule`) and memories (:class:`Memory`) that ``store`` and ``recall``.
Models and rules are plugins found through entry points.

>>> import neuromem as nm
>>> X = nm.patterns.random_bipolar(n_patterns=10, n_units=200, seed=0)
>>> mem = nm.create("hopfield", n_units=200, seed=0).store(X)
>>> res = mem.recall(nm.patterns.flip(X, fraction=0.1, seed=1))
>>> float(nm.metrics.overlap(res.states, X).min())
1.0
"""

import importlib

from . import analysis, metrics, neurons, patterns, topology
from ._version import __version__
from .errors import ConvergenceWarning, NeuromemWarning, PluginWarning, ValidationError
from .io import load, save
from .models.base import Memory, RecallResult
from .network import Network
from .registry import (
    create,
    create_rule,
    list_models,
    list_rules,
    register_model,
    register_rule,
)
from .rules.base import LearningRule
from .synapse import Population, Synapse
from .tags import ModelTags, RuleTags, get_tags

__all__ = [
    "ConvergenceWarning",
    "LearningRule",
    "Memory",
    "ModelTags",
    "Network",
    "NeuromemWarning",
    "PluginWarning",
    "Population",
    "RecallResult",
    "RuleTags",
    "Synapse",
    "ValidationError",
    "__version__",
    "analysis",
    "create",
    "create_rule",
    "get_tags",
    "list_models",
    "list_rules",
    "load",
    "metrics",
    "neurons",
    "patterns",
    "register_model",
    "register_rule",
    "save",
    "topology",
]


def __getattr__(name: str):
    # nm.experiments (the engine and its protocols) is imported on first use: most
    # scripts never run an experiment, and `import neuromem` stays lighter without it.
    if name == "experiments":
        return importlib.import_module(".experiments", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
