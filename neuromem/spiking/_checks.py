"""Checks of a run: what it reads from the user (sampled neurons, state), what it made."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ValidationError, described
from ..validation import as_real_array
from ._kernel import RULE_CODES

__all__ = [
    "check_bounds",
    "check_diverged",
    "check_sample",
    "check_sign",
    "check_state",
    "rule_spec",
]


def check_sample(sample: Any, n: int) -> np.ndarray:
    """The sampled neurons as indices: integers, or a boolean mask of length n."""
    allowed = f"indices in [0, {n}) or a boolean mask of {n}"
    if sample is None:
        return np.zeros(0, np.int64)
    arr = as_real_array(sample, "sample", allowed)
    if arr.dtype.kind == "b":
        if arr.shape != (n,):
            raise ValidationError(
                "sample", described(f"mask of shape {arr.shape}"), allowed
            )
        return np.flatnonzero(arr).astype(np.int64)
    if (
        arr.ndim != 1
        or not np.all(np.isfinite(arr))
        or np.any(arr != np.round(arr))
        or np.any((arr < 0) | (arr >= n))
    ):
        raise ValidationError("sample", sample, allowed)
    return arr.astype(np.int64)


def check_state(net: Any) -> None:
    """``v``, ``ge``, ``gi`` and ``i_ext`` as n finite floats (the loop writes them).

    A wrong length would make the compiled loop write out of bounds and an integer
    array would truncate every step, so both are refused or converted here.
    """
    for name in ("v", "ge", "gi", "i_ext"):
        allowed = f"{net.n} finite values"
        given = getattr(net, name)
        arr = as_real_array(given, name, allowed)
        if sp.issparse(arr) or arr.shape != (net.n,):
            raise ValidationError(name, described(f"shape {np.shape(arr)}"), allowed)
        if not np.all(np.isfinite(arr)):
            raise ValidationError(name, described("NaN or inf"), allowed)
        # A list or tuple (a new array here), another dtype or a read-only view: the
        # loop writes the attribute in place, so it must be the network's own array.
        if (
            arr is not given
            or arr.dtype != np.float64
            or not arr.flags.c_contiguous
            or not arr.flags.writeable
        ):
            setattr(net, name, np.ascontiguousarray(arr, dtype=np.float64).copy())


def check_diverged(net: Any) -> None:
    """Refuse a run that made plastic weights overflow (a learning rate too large).

    Like the shared base's check: any weight beyond about ``1e154`` or non-finite,
    far beyond any change a converging rule produces.
    """
    for g, grp in enumerate(net.groups):
        if grp.rule is None:
            continue
        w = net._built["syn_w"][net._order[g]]
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.einsum("i,i->", w, w)
        if not np.isfinite(total):
            raise ValidationError(
                "learning_rate",
                grp.rule.learning_rate,
                f"a smaller learning rate: rule {grp.rule.name!r} of group {g} made "
                "the weights diverge in this run (give the rule bounds)",
            )


def check_sign(net: Any, target: str, w: np.ndarray, rule: Any) -> None:
    """Conductances are never negative: a negative one makes ``V`` diverge."""
    mode = {"exc": net.exc, "inh": net.inh}.get(target, "current")
    if mode != "conductance":
        return
    if np.any(w < 0):
        raise ValidationError(
            "weights",
            described("negative weights"),
            f">= 0 on the {target!r} conductance",
        )
    if rule is not None and (rule.bounds is None or rule.bounds[0] < 0):
        raise ValidationError(
            "rule",
            described(f"bounds {rule.bounds}"),
            f"bounds with a lower bound >= 0 on the {target!r} conductance",
        )


def rule_spec(rule: Any) -> tuple[int, np.ndarray, tuple[float, ...]]:
    """The kernel's code, parameter row and trace time constants of an STDP rule."""
    spiking = getattr(rule, "spiking_spec", None)
    if spiking is None:
        raise ValidationError(
            "rule",
            described(f"rule {getattr(rule, 'name', rule)!r}"),
            "a spike-timing rule (neuromem.rules.stdp: pair-stdp, triplet-stdp, "
            "inhibitory-stdp) or None",
        )
    if rule.soft_bounds:
        # The loop clips into the bounds; soft bounds would silently act as hard ones.
        raise ValidationError(
            "soft_bounds", True, "False for a spike-timing rule in a SpikingNetwork"
        )
    kind, amps, taus, weight_dependent = spiking()
    par = np.zeros(8)
    par[: len(amps)] = amps
    if rule.bounds is not None:
        par[4], par[5] = rule.bounds
        par[7] = 1.0
    par[6] = float(weight_dependent)
    return RULE_CODES[kind], par, taus


def check_bounds(values: np.ndarray, rule: Any) -> None:
    """Refuse weights outside a plastic group's ``bounds``: the loop keeps the weights
    inside them, and a start outside would be clipped at the first spike, silently."""
    bounds = None if rule is None else rule.bounds
    if bounds is not None and len(values):
        low, high = bounds
        if values.min() < low or values.max() > high:
            raise ValidationError(
                "weights",
                described(f"values in [{values.min():g}, {values.max():g}]"),
                f"within the rule's bounds [{low:g}, {high:g}]",
            )
