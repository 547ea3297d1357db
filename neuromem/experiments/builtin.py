"""Built-in experiments: ``capacity``, ``noise``, ``basins``, ``forgetting``, ``topology``.

Each is a function returning an :class:`~neuromem.experiments.Experiment`, written
against registry names: a model that is not registered (a model family that is not
installed) is left out with a note, so every experiment runs with whatever models
exist. ``quick=True`` gives a small version for smoke runs and tests.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..registry import models as model_registry
from ..registry import rules as rule_registry
from .spec import Experiment

__all__ = ["BUILTINS", "available", "basins", "capacity", "forgetting", "noise", "topology"]


def available(models: list[dict], notes: list[str] | None = None) -> list[dict]:
    """The model entries whose model (and rule, if named) is registered.

    The others are left out, with a line appended to ``notes`` saying why.
    """
    out = []
    for m in models:
        missing = None
        if m["name"] not in model_registry:
            missing = f"model {m['name']!r}"
        rule = m.get("params", {}).get("rule")
        if missing is None and isinstance(rule, str) and rule not in rule_registry:
            missing = f"rule {rule!r}"
        if missing is None:
            out.append(m)
        elif notes is not None:
            label = m.get("label", m["name"])
            notes.append(f"skipped {label}: {missing} is not registered")
    return out


def _hopfield(rule: str, **options) -> dict:
    params: dict = {"rule": rule}
    if options:
        params["rule_options"] = options
    return {"name": "hopfield", "params": params, "label": f"hopfield-{rule}"}


def _family_models() -> list[dict]:
    """One representative of each family, at its defaults (where registered)."""
    return [
        _hopfield("hebbian"),
        _hopfield("storkey"),
        _hopfield("pseudoinverse"),
        {"name": "dense-hopfield"},
        {"name": "modern-hopfield"},
        {"name": "hebbian"},
        {"name": "linear-associator"},
        {"name": "willshaw"},
        {"name": "mlp"},
    ]


def capacity(quick: bool = False, seed: int = 0, notes: list[str] | None = None):
    """Recall against the load ``alpha = P/N``, from the stored patterns themselves
    (stability) and from cues with 10 % of the units flipped (completion).

    Drawn with the theory lines of THEORY.md: Amit-Gutfreund-Sompolinsky's
    ``alpha_c = 0.138`` for Hebb, McEliece et al.'s ``1 / (2 ln N)``, Storkey's
    ``1 / sqrt(2 ln N)`` and the one-step overlap ``erf(sqrt(1 / (2 alpha)))``, and
    each model's completion capacity with its 95 % interval, by the estimator of
    ``neuromem compare`` (:func:`neuromem.experiments.plots.critical_loads`).
    """
    n = 100 if quick else 400
    loads = (
        [0.05, 0.1, 0.15, 0.25] if quick else [*np.round(np.arange(0.02, 0.42, 0.02), 2)]
    )
    return Experiment(
        "capacity",
        models=available(_family_models(), notes),
        patterns=[{"kind": "random_bipolar", "n_units": n}],
        loads=[float(a) for a in loads],
        noise=[0.0, 0.1],
        repeats=1 if quick else 3,
        seed=seed,
        description="Recall against the load alpha = P/N, from clean and 10% flipped cues.",
    )


def noise(quick: bool = False, seed: int = 0, notes: list[str] | None = None):
    """Recall against the fraction of each cue flipped or masked, at two loads."""
    n = 100 if quick else 400
    levels = [0.0, 0.2, 0.4] if quick else [*np.round(np.arange(0.0, 0.51, 0.05), 2)]
    return Experiment(
        "noise",
        models=available(_family_models(), notes),
        patterns=[{"kind": "random_bipolar", "n_units": n}],
        loads=[0.05] if quick else [0.05, 0.1],
        noise=[float(z) for z in levels],
        corruption=["flip", "mask"],
        repeats=1 if quick else 2,
        seed=seed,
        description="Recall against cue corruption: flipped and masked (unknown) bits.",
    )


def basins(quick: bool = False, seed: int = 0, notes: list[str] | None = None):
    """Basin radius: the largest fraction of flipped bits still recalled, per load."""
    n = 100 if quick else 400
    levels = (
        [0.0, 0.1, 0.2, 0.3, 0.4] if quick else [*np.round(np.arange(0, 0.5, 0.025), 3)]
    )
    return Experiment(
        "basins",
        models=available(_family_models(), notes),
        patterns=[{"kind": "random_bipolar", "n_units": n}],
        loads=[0.05, 0.1] if quick else [0.02, 0.05, 0.08, 0.11, 0.14, 0.2],
        noise=[float(z) for z in levels],
        corruption=["flip"],
        repeats=1 if quick else 2,
        seed=seed,
        description="Basin radius: the largest cue noise with 90% of patterns recalled.",
    )


def forgetting(quick: bool = False, seed: int = 0, notes: list[str] | None = None):
    """Sets of patterns stored one after the other; recall of the oldest and newest.

    Hebbian Hopfield storage overloads (blackout: everything is lost past the critical
    load); bounded synapses forget gracefully (a palimpsest: the newest sets stay
    retrievable); a backprop network trained set after set forgets the earlier sets.
    """
    n = 100 if quick else 200
    bound = 4.0 / n
    models = [
        _hopfield("hebbian"),
        {
            "name": "hopfield",
            "params": {"rule": "hebbian", "rule_options": {"bounds": [-bound, bound]}},
            "label": "hopfield-bounded",
        },
        {"name": "hebbian"},
        {"name": "willshaw"},
        {"name": "mlp"},
    ]
    return Experiment(
        "forgetting",
        kind="sequential",
        models=available(models, notes),
        patterns=[{"kind": "random_bipolar", "n_units": n}],
        loads=[0.05],
        noise=[0.0],
        sets=[1, 2, 4, 6] if quick else list(range(1, 11)),
        repeats=1 if quick else 3,
        seed=seed,
        description="Sequential storage: overload, palimpsest and interference.",
    )


def topology(quick: bool = False, seed: int = 0, notes: list[str] | None = None):
    """Hebbian Hopfield recall on diluted (Erdos-Renyi) and small-world connectivity."""
    n = 200 if quick else 400
    dil = [1.0, 0.3, 0.1] if quick else [1.0, 0.5, 0.3, 0.2, 0.1, 0.05]
    rew = [0.0, 1.0] if quick else [0.0, 0.05, 0.1, 0.2, 0.5, 1.0]
    k = 20 if quick else 40
    models = [
        {
            "name": "hopfield",
            "params": {"topology": {"kind": "erdos_renyi", "p": p}},
            "label": f"dilution p={p}",
        }
        for p in dil
    ] + [
        {
            "name": "hopfield",
            "params": {"topology": {"kind": "small_world", "k": k, "p": p}},
            "label": f"small-world k={k} p={p}",
        }
        for p in rew
    ]
    return Experiment(
        "topology",
        models=available(models, notes),
        patterns=[{"kind": "random_bipolar", "n_units": n}],
        loads=[0.01, 0.03] if quick else [0.01, 0.02, 0.04, 0.06],
        noise=[0.1],
        repeats=1 if quick else 2,
        seed=seed,
        description="Recall against dilution and small-world rewiring of the connections.",
    )


#: Built-in experiments by name.
BUILTINS: dict[str, Callable[..., Experiment]] = {
    "capacity": capacity,
    "noise": noise,
    "basins": basins,
    "forgetting": forgetting,
    "topology": topology,
}
# Studies with their own protocol (sequence memory, consolidation): see studies.py.
from .studies import STUDIES  # noqa: E402

BUILTINS.update(STUDIES)
