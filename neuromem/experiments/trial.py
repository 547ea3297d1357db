"""Running one trial: make patterns, store them, recall them from corrupted cues, score.

Everything random in a trial is seeded from the root seed and the trial's coordinates
(:func:`neuromem.random.derive_seed`), never from the order in which trials run, so
serial, process and Dask executors produce identical rows. Patterns and cues depend on
the pattern coordinates only (not on the model), so every model of an experiment is
tested on the very same patterns and cues.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .. import metrics, patterns
from ..errors import ValidationError
from ..random import derive_seed
from ..tags import get_tags
from .spec import Experiment, PatternSpec, Trial, build_model

__all__ = [
    "COLUMNS",
    "IDENTITY_COLUMNS",
    "TIMING_COLUMNS",
    "model_encoding",
    "run_trial",
    "store_patterns",
    "to_model",
    "to_pattern",
]

#: Columns of the results table, in order, with their types.
COLUMNS: dict[str, type] = {
    "trial": int,
    "model": str,
    "patterns": str,
    "load": float,
    "corruption": str,
    "noise": float,
    "sets": int,
    "repeat": int,
    "seed": int,
    "n_units": int,
    "n_patterns": int,
    "overlap": float,
    "overlap_min": float,
    "overlap_first": float,
    "overlap_last": float,
    "accuracy": float,
    "exact": float,
    "steps": float,
    "converged": float,
    "store_time": float,
    "recall_time": float,
    "error": str,
}
#: Wall-clock columns: they differ between runs by nature.
TIMING_COLUMNS = ("store_time", "recall_time")
#: Columns that are identical between runs of the same experiment, on any executor.
IDENTITY_COLUMNS = tuple(c for c in COLUMNS if c not in TIMING_COLUMNS)


def model_encoding(model_encodings: tuple[str, ...], pattern_encoding: str) -> str | None:
    """The encoding a pattern set is given to a model in, or None if it cannot be."""
    if pattern_encoding in model_encodings:
        return pattern_encoding
    if "real" in model_encodings:
        return "real"
    other = {"bipolar": "binary", "binary": "bipolar"}[pattern_encoding]
    return other if other in model_encodings else None


def make_patterns(spec: PatternSpec, n_patterns: int, seed: int) -> np.ndarray:
    """The pattern set of ``spec`` (``n_patterns`` rows unless it is a glyph set)."""
    if spec.kind == "glyphs":
        return patterns.glyphs(spec.text, size=spec.size)
    if spec.kind == "random_sparse":
        return patterns.random_sparse(
            n_patterns, spec.n_units, coding_level=spec.coding_level, seed=seed
        )
    return patterns.random_bipolar(n_patterns, spec.n_units, seed=seed)


def corrupt(x: np.ndarray, corruption: str, noise: float, seed: int) -> np.ndarray:
    """Cues: ``noise`` of each pattern's units flipped, or masked (set to 0)."""
    if noise == 0:
        return x.copy()
    if corruption == "flip":
        return patterns.flip(x, noise, seed=seed)
    return patterns.mask(x, noise, seed=seed)


def to_model(x: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Patterns given in encoding ``src`` converted to the model's encoding ``dst``."""
    if src == dst or dst == "real":
        return x
    if dst == "binary":  # from +/-1; a masked (0) unit becomes inactive
        return (x > 0).astype(np.float64)
    return 2.0 * x - 1.0  # 0/1 to +/-1


def to_pattern(s: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Recalled states read out in the patterns' encoding, ready to be scored.

    Every model is scored the same way: a real-valued state (a linear associator's
    output, a modern Hopfield network's softmax average) counts as the binary pattern
    it points to (sign for +/-1, with 0 kept as "unknown"; above 0.5 for 0/1). Without
    this read-out an unnormalised output could reach an overlap above 1.
    """
    s = np.asarray(s, dtype=np.float64)
    if src == "binary" and dst == "bipolar":
        s = 2.0 * s - 1.0
    elif src == "bipolar" and dst == "binary":
        s = (s + 1.0) / 2.0
    if dst == "bipolar":
        return np.sign(s)
    if dst == "binary":
        return (s > 0.5).astype(np.float64)
    return s


def store_patterns(mem, x: np.ndarray) -> None:
    """``mem.store(x)``; a hetero-associative model that needs targets stores x -> x."""
    try:
        mem.store(x)
    except ValidationError as exc:
        # A hetero-associative model that needs targets stores the pairs x -> x.
        if not getattr(mem, "hetero", False) or "target" not in exc.param:
            raise
        mem.store(x, x)


def n_patterns_for(trial: Trial) -> int:
    """Patterns per set: ``max(1, round(load * N))`` (all letters for a glyph set)."""
    if trial.patterns.fixed_size:
        return len(trial.patterns.text)
    return max(1, round(trial.load * trial.patterns.width))


def base_row(experiment: Experiment, trial: Trial) -> dict[str, Any]:
    """The row of ``trial`` before it runs: coordinates, sizes, NaN metrics."""
    p = trial.patterns
    sets = trial.sets if experiment.kind == "sequential" else 1
    row: dict[str, Any] = {
        "trial": trial.index,
        "model": trial.model.key,
        "patterns": p.key,
        "load": trial.load,
        "corruption": trial.corruption,
        "noise": trial.noise,
        "sets": trial.sets,
        "repeat": trial.repeat,
        "seed": trial.seed(experiment.seed),
        "n_units": p.width,
        "n_patterns": n_patterns_for(trial) * sets,
    }
    nan = {k: math.nan for k in COLUMNS if k not in row and k != "error"}
    row.update(nan, error="")
    return row


def run_trial(experiment: Experiment | dict, trial: Trial | int) -> dict[str, Any]:
    """Run one trial and return its row (see :data:`COLUMNS`).

    A trial whose model raises is recorded with the error message in ``error`` and
    NaN metrics, so one broken plugin does not stop a sweep.
    """
    if isinstance(experiment, dict):
        experiment = Experiment.from_dict(experiment)
    if isinstance(trial, int):
        trial = experiment.trials()[trial]
    row = base_row(experiment, trial)
    root = experiment.seed
    p = trial.patterns
    n = p.width
    per_set = n_patterns_for(trial)
    sets = trial.sets if experiment.kind == "sequential" else 1
    pattern_coords = (p.key, trial.load, trial.sets, trial.repeat)
    x = make_patterns(p, per_set * sets, derive_seed(root, "patterns", *pattern_coords))
    cue_seed = derive_seed(root, "cues", *pattern_coords, trial.corruption, trial.noise)
    cues = corrupt(x, trial.corruption, trial.noise, cue_seed)
    try:
        mem = build_model(trial.model, n, seed=row["seed"])
        encodings = get_tags(mem).encodings
        enc = model_encoding(encodings, p.encoding)
        if enc is None:
            raise ValidationError("patterns", p.encoding, f"an encoding among {encodings}")
        xm = to_model(x, p.encoding, enc)
        t0 = time.perf_counter()
        for b in range(sets):
            store_patterns(mem, xm[b * per_set : (b + 1) * per_set])
        t1 = time.perf_counter()
        res = mem.recall(to_model(cues, p.encoding, enc))
        t2 = time.perf_counter()
    except Exception as exc:  # recorded in the row: one failing model must not stop a sweep
        row["error"] = f"{type(exc).__name__}: {exc}"
        return row
    states = to_pattern(res.states, enc, p.encoding)
    ov = metrics.overlap(states, x)
    row.update(
        overlap=float(ov.mean()),
        overlap_min=float(ov.min()),
        overlap_first=float(ov[:per_set].mean()),
        overlap_last=float(ov[-per_set:].mean()),
        accuracy=float(np.mean(ov >= experiment.threshold)),
        exact=float(np.mean(np.all(states == x, axis=1))),
        steps=float(np.mean(res.steps)),
        converged=float(np.mean(res.converged)),
        store_time=t1 - t0,
        recall_time=t2 - t1,
    )
    return row
