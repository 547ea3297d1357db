"""Building a grid's models and topologies from their plain (TOML or JSON) form, and
checking that its trials fit (in number and in memory)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .. import topology
from ..errors import ValidationError, described
from ..memory import available_memory, check_memory
from ..registry import create
from ..registry import models as registry

__all__ = ["TOPOLOGY_KINDS", "build_model", "build_topology", "check_size"]

TOPOLOGY_KINDS = ("complete", "erdos_renyi", "small_world")


def build_topology(spec: Mapping[str, Any], n_units: int, seed: int):
    """Build a topology from its dict form for ``n_units`` units."""
    if not isinstance(spec, Mapping):
        raise ValidationError("topology", spec, "a table with a 'kind' key")
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind not in TOPOLOGY_KINDS:
        raise ValidationError(
            "topology.kind", kind, "one of " + ", ".join(repr(k) for k in TOPOLOGY_KINDS)
        )
    func = getattr(topology, kind)
    # Keys are checked against the builder's signature: an unknown key is named, not
    # a TypeError from deep inside the call.
    names = [n for n in inspect.signature(func).parameters if n not in ("n", "seed")]
    unknown = sorted(str(k) for k in spec if k not in names)
    if unknown:
        raise ValidationError(
            "topology",
            described(f"{kind} with unknown key(s) {', '.join(unknown)}"),
            f"keys among kind, {', '.join(names)}",
        )
    try:
        if kind == "complete":
            return func(n_units, **spec)
        return func(n_units, **spec, seed=seed)
    except TypeError as exc:
        raise ValidationError(
            "topology", described(f"{kind} with {sorted(spec)}"), str(exc)
        ) from None


def build_model(spec: Any, n_units: int, seed: int):
    """Create the model of ``spec`` for ``n_units`` units through the registry."""
    params = dict(spec.params)
    if isinstance(params.get("topology"), Mapping):
        params["topology"] = build_topology(params["topology"], n_units, seed)
    return create(spec.name, n_units=n_units, seed=seed, **params)


def check_size(
    out: dict[str, Any], where: Callable[[tuple], str], limit: int, default_loads: tuple
) -> None:
    """Refuse, before anything is written, a grid of more than ``limit`` trials or a
    trial that cannot fit in memory (``out``: the validated fields of an Experiment;
    ``where``: the name of a key path in messages)."""
    n_other = len(out.get("corruption", ("flip",))) * len(out.get("noise", (0.0,)))
    n_other *= len(out.get("sets", (1,))) * out.get("repeats", 1)
    loads = out.get("loads", default_loads)
    per_model = sum(1 if p.fixed_size else len(loads) for p in out["patterns"])
    n = len(out["models"]) * per_model * n_other
    if n > limit:
        key = (
            "repeats"
            if out.get("repeats", 1) > limit // max(1, n // out.get("repeats", 1))
            else "loads"
        )
        raise ValidationError(
            where((key,)),
            described(f"a grid of {n} trials"),
            f"at most {limit} trials (NEUROMEM_MAX_TRIALS raises the limit)",
        )
    sets = max(out.get("sets", (1,)))
    for i, p in enumerate(out["patterns"]):
        width = p.width
        # Patterns, cues and recalled states of the largest set, in float64.
        for load in (round(len(p.text) / width, 6),) if p.fixed_size else loads:
            n_pat = max(1, round(load * width))
            need = 3 * 8 * float(n_pat) * width * sets
            key = ("patterns", i, "size") if p.fixed_size else ("loads",)
            given = load if not p.fixed_size else p.size
            what = f"a trial's patterns ({float(n_pat):.4g} x {width})"
            if sets > 1:
                what = f"a trial's {sets} pattern sets of {float(n_pat):.4g} x {width}"
                limit = available_memory()
                # One set fits: the number of sets is what is too large (the
                # message named the load before, for sets = 10**9 and a tiny load).
                if limit is not None and need / sets <= limit:
                    key, given = ("sets",), sets
            check_memory(need, where(key), given, what)
        for m in out["models"]:
            try:
                obj = registry.get(m.name)
                est = obj(
                    n_units=width, **{k: v for k, v in m.params.items() if k != "topology"}
                ).memory_estimate()
            except Exception:
                continue  # the model's own checks speak in build_model
            key = ("patterns", i, "size" if p.fixed_size else "n_units")
            check_memory(
                est,
                where(key),
                p.size if p.fixed_size else p.n_units,
                f"model {m.key!r} on {width} units",
            )
