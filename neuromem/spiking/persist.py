"""What the file of a :class:`~neuromem.spiking.SpikingNetwork` holds, and its checks.

``neuromem.save(net, path)`` writes a network the way it writes a model (atomic, no
pickle, checksums: see :mod:`neuromem.io`): the constructor's parameters, then the
whole state, so that the loaded network simulates exactly as the saved one would
have: the Poisson groups (in order: it fixes the sources' indices), the synapse groups
with their current weights, delays and rules, the membranes, channels and refractory
counters, the clock, the presynaptic and postsynaptic traces, the spikes in transit in
the delay ring and, through :mod:`neuromem.streams`, the Poisson stream's state.

A file is checked before the loop reads it: the compiled loop indexes with these arrays
and does not check bounds, so a shape or an index out of range is refused here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ValidationError, described
from ._checks import check_state

__all__ = ["network_params", "network_state", "restore_state"]

#: The loop's arrays that hold state between runs (the rest is built from the groups).
_LOOP_STATE = ("xtr", "xlast", "ytr", "ring", "ring_n")


def network_params(net: Any) -> dict[str, Any]:
    """The constructor's arguments of ``net``."""
    names = ("n", "neuron", "dt", "tau_e", "tau_i", "exc", "inh", "e_exc", "e_inh")
    return {**{k: getattr(net, k) for k in names}, "seed": net.seed, "backend": net.backend}


def network_state(net: Any) -> dict[str, Any]:
    """Everything a run reads besides the parameters and the random stream.

    The state is checked as a run checks it (a list becomes the network's array, a
    wrong length or a NaN is refused by name): a file is written only if it loads.
    """
    check_state(net)
    built = net._built is not None
    groups = [
        {
            "pre": grp.pre,
            "weights": net.weights(g) if built else grp.weights,
            "target": grp.target,
            "delay": grp.delay,
            "rule": grp.rule,
        }
        for g, grp in enumerate(net.groups)
    ]
    return {
        "v": net.v,
        "ge": net.ge,
        "gi": net.gi,
        "i_ext": net.i_ext,
        "ref": net._ref,
        "step": net.step,
        # A list, not a table: the groups' order fixes the sources' indices.
        "poisson": [[name, rates] for name, rates in net.poisson.items()],
        "groups": groups,
        "loop": {k: net._built[k] for k in _LOOP_STATE} if built else None,
    }


def restore_state(net: Any, state: dict[str, Any]) -> None:
    """Put a saved state into a new network built with the saved parameters."""
    if net.poisson or net.groups:
        raise ValidationError(
            "state", described("a network already connected"), "a new one"
        )
    for name, rates in state["poisson"]:
        net.add_poisson(name, rates)
    for grp in state["groups"]:
        net.connect(grp["pre"], grp["weights"], grp["target"], grp["delay"], grp["rule"])
    for name in ("v", "ge", "gi", "i_ext"):
        setattr(net, name, state[name])
    check_state(net)
    n_ref = round(net.neuron.t_ref / net.dt)
    ref = _ints(state["ref"], "ref", (net.n,), 0, n_ref)
    step = state["step"]
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValidationError("step", step, "a step count >= 0")
    net._ref[:] = ref
    net.step = step
    loop = state["loop"]
    if loop is None:
        return
    net.build()
    b = net._built
    n_rows = len(b["xlast"])
    b["xtr"][...] = _floats(loop["xtr"], "xtr", b["xtr"].shape)
    b["ytr"][...] = _floats(loop["ytr"], "ytr", b["ytr"].shape)
    # A trace's age t - xlast indexes a table: it must lie in [0, step].
    b["xlast"][:] = _ints(loop["xlast"], "xlast", (n_rows,), 0, step)
    ring = np.asarray(loop["ring"])
    if ring.ndim != 2 or ring.shape[0] != b["depth"]:
        raise ValidationError("ring", described(f"shape {ring.shape}"), "the delay ring")
    ring_n = _ints(loop["ring_n"], "ring_n", (b["depth"],), 0, ring.shape[1])
    for slot, count in enumerate(ring_n):  # at most the delay in steps
        _ints(ring[slot, :count], "ring", (count,), 0, n_rows - 1)
    b["ring"] = ring.astype(np.int64)
    b["ring_n"][:] = ring_n


def _floats(value: Any, name: str, shape: tuple) -> np.ndarray:
    arr = np.asarray(value)
    if arr.shape != shape or arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)):
        raise ValidationError(name, described(f"shape {arr.shape}"), f"shape {shape}")
    return arr


def _ints(value: Any, name: str, shape: tuple, low: int, high: int) -> np.ndarray:
    arr = np.asarray(value)
    if (
        arr.shape != shape
        or arr.dtype.kind not in "iu"
        or np.any(arr < low)
        or np.any(arr > high)
    ):
        raise ValidationError(
            name, described(f"shape {arr.shape}"), f"integers in [{low}, {high}], {shape}"
        )
    return arr.astype(np.int64)
