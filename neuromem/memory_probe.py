"""Checks around the memory estimates of :mod:`neuromem.memory`: the refusal at
:func:`neuromem.create` of a model that cannot fit, naming the parameter responsible,
and the peaks measured with :mod:`tracemalloc` that the conformance kit compares with
the estimates."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ValidationError
from .memory import available_memory, check_memory, workload

__all__ = ["check_created", "measured_peaks"]


def check_created(obj: Any, params: dict, label: str, what: str) -> None:
    """Refuse a model ``obj`` built from ``params`` whose estimate does not fit,
    naming the parameter responsible: the first one given, other than ``n_units``,
    whose default, or for a list of sizes (``hidden``) sizes of one, makes the model
    fit (a forced ``sparse``, layers wider than memory allows), else ``n_units``.
    ``what`` names the model in the message."""
    estimate = getattr(obj, "memory_estimate", None)
    limit = available_memory()
    if not callable(estimate) or limit is None:
        return
    need = estimate()
    if need <= limit:
        return
    param, given = "n_units", params.get("n_units", label)
    if "n_units" not in params:
        param = label
    defaults = getattr(type(obj), "param_defaults", dict)()
    for name, value in params.items():
        if name == "n_units" or name not in defaults:
            continue
        probes = [defaults[name]]
        if isinstance(value, list | tuple) and all(isinstance(v, int) for v in value):
            probes.append([1] * len(value))
        if any(_fits(obj, {**params, name: probe}, limit) for probe in probes):
            param, given = name, value
            break
    check_memory(need, param, given, what)


def _fits(obj: Any, params: dict, limit: int) -> bool:
    try:
        return type(obj)(**params).memory_estimate() <= limit
    except ValidationError:
        return False


def _nbytes(*arrays: Any) -> int:
    return sum(int(getattr(a, "nbytes", 0)) for a in arrays)


def _kept(model: Any, *arrays: Any) -> int:
    """Bytes of ``arrays`` that ``model`` keeps as its state without a copy (patterns
    stored as given): held through its recall, but allocated before tracing."""
    state = [v for v in vars(model).values() if isinstance(v, np.ndarray)]
    return sum(
        int(a.nbytes)
        for a in arrays
        if isinstance(a, np.ndarray) and any(np.may_share_memory(a, v) for v in state)
    )


def measured_peaks(model: Any, patterns, targets=None, cues=None, **recall) -> dict:
    """Peak bytes traced by :mod:`tracemalloc` while ``model`` (new, unfitted) is
    stored and recalled, beside its estimates for the same calls.

    Returns a dict with ``store`` and ``recall``, each ``(peak, estimate)``: the peak of
    building and storing (state included), and the peak of recalling (the stored state
    included, as it is held during the call: patterns kept as given too). The inputs
    exist before tracing starts and are not traced: their bytes are added.
    """
    import tracemalloc

    cues = patterns if cues is None else cues
    args = (patterns,) if targets is None else (patterns, targets)
    store_work, _, _ = workload("store", type(model).store, args, {})
    recall_work, _, _ = workload("recall", type(model).recall, (cues,), recall)
    started = tracemalloc.is_tracing()
    if not started:
        tracemalloc.start()
    try:
        tracemalloc.clear_traces()
        base = tracemalloc.get_traced_memory()[0]
        est_store = model.memory_estimate(store_work)
        model.store(*args)
        peak_store = tracemalloc.get_traced_memory()[1] - base + _nbytes(*args)
        est_recall = model.memory_estimate(recall_work)
        tracemalloc.reset_peak()
        model.recall(cues, **recall)
        peak_recall = tracemalloc.get_traced_memory()[1] - base + _nbytes(cues)
        # The stored state is held during the recall, traced or not: patterns a
        # model keeps as given count as the copy it would otherwise have made.
        peak_recall += _kept(model, *(a for a in args if a is not cues))
    finally:
        if not started:
            tracemalloc.stop()
    return {"store": (peak_store, est_store), "recall": (peak_recall, est_recall)}
