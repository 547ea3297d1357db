"""The measurements of ``neuromem compare``: one task per (model, repeat) and search.

A task is a plain function of the run's configuration and its coordinates, so that any
executor (serial, processes, Dask) gives the same result.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np

from ... import patterns
from ...errors import NeuromemWarning
from ...random import derive_seed
from .. import estimators as est
from ..spec import ModelSpec, build_model
from ..trial import model_encoding, store_patterns, to_model, to_pattern
from .entries import model_tags
from .regimes import CUE_NOISE, entry_regime

__all__ = ["Probe", "basin_task", "capacity_task", "glyph_recall"]


class Probe:
    """Stores pattern sets in fresh models of one entry, one repeat; scores recall.

    Patterns depend on (regime, repeat, P) only and cues on (regime, repeat, P, k), so
    every model sees the same patterns and cues; the model's seed adds its label. A
    stored model is kept per P, so the searches at the same load share one store.
    """

    def __init__(self, config: dict, entry: dict, repeat: int, measure: str):
        self.root = config["seed"]
        self.threshold = config["threshold"]
        self.entry = entry
        self.spec = ModelSpec(entry["name"], entry["params"], entry["label"])
        self.regime = entry_regime(config, entry)
        self.repeat = repeat
        self.measure = measure
        self.rows: list[dict[str, Any]] = []
        self._stored: dict[int, tuple[Any, np.ndarray, str, float, int, str]] = {}
        self.warning_text = ""

    def _patterns(self, p: int) -> np.ndarray:
        r = self.regime
        seed = derive_seed(self.root, "compare-patterns", r.name, self.repeat, p)
        if r.name == "bipolar":
            return patterns.random_bipolar(p, r.n_units, seed=seed)
        return patterns.random_sparse(p, r.n_units, n_active=r.n_active, seed=seed)

    def _store(self, p: int):
        if p in self._stored:
            return self._stored[p]
        r = self.regime
        x = self._patterns(p)
        seed = derive_seed(
            self.root, "compare-model", self.spec.key, r.name, self.repeat, p
        )
        err, n_warn, t = "", 0, math.nan
        mem, enc = None, r.encoding
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                mem = build_model(self.spec, r.n_units, seed=seed)
                enc = model_encoding(model_tags(mem).encodings, r.encoding) or r.encoding
                t0 = time.perf_counter()
                store_patterns(mem, to_model(x, r.encoding, enc))
                t = time.perf_counter() - t0
            except Exception as exc:  # recorded: a failing store must not stop the run
                err = f"{type(exc).__name__}: {exc}"
        mine = [w for w in caught if issubclass(w.category, NeuromemWarning)]
        n_warn = len(mine)
        if mine and not self.warning_text:
            self.warning_text = f"{mine[0].category.__name__}: {mine[0].message}"
        self._stored[p] = (mem, x, enc, t, n_warn, err)
        return self._stored[p]

    def fraction(self, p: int, k: int) -> float:
        """Fraction recalled after storing ``p`` patterns, from cues with ``k`` corrupted."""
        r = self.regime
        mem, x, enc, t_store, n_warn, err = self._store(p)
        row: dict[str, Any] = {
            "model": self.spec.key,
            "patterns": r.name,
            "measure": self.measure,
            "repeat": self.repeat,
            "n_units": r.n_units,
            "n_patterns": p,
            "load": p / r.n_units,
            "corrupted_units": k,
            "noise": k / r.noise_unit,
            "recalled": math.nan,
            "overlap": math.nan,
            "mi_bits": math.nan,
            "synapses": 0,
            "warnings": n_warn,
            "error": err,
            "store_ms": 1e3 * t_store,
            "recall_ms": math.nan,
        }
        frac = 0.0
        if not err:
            cue_seed = derive_seed(self.root, "compare-cues", r.name, self.repeat, p, k)
            cues = est.corrupt(x, k, r.encoding, cue_seed)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", NeuromemWarning)
                    t0 = time.perf_counter()
                    res = mem.recall(to_model(cues, r.encoding, enc))
                    t = time.perf_counter() - t0
                states = to_pattern(res.states, enc, r.encoding)
                ov, frac = est.score(states, x, self.threshold)
                row.update(
                    recalled=frac,
                    overlap=float(ov.mean()),
                    mi_bits=est.mutual_information_bits(x, states),
                    synapses=est.count_synapses(mem),
                    recall_ms=1e3 * t,
                )
            except Exception as exc:  # recorded in the row; counts as not recalled
                row["error"] = f"{type(exc).__name__}: {exc}"
                frac = 0.0
        self.rows.append(row)
        return frac


def capacity_task(config: dict, index: int, repeat: int) -> dict[str, Any]:
    """Completion and stability searches of model ``index``, one repeat."""
    t0, c0 = time.perf_counter(), time.process_time()
    entry = config["models"][index]
    probe = Probe(config, entry, repeat, "completion")
    r = probe.regime
    p_start = max(1, round(r.start_load * r.n_units))
    comp = est.search_critical(lambda p: probe.fraction(p, r.k_cue), r.p_max, p_start)
    # Information at the critical load: at the largest load still recalled (the
    # smallest evaluated when none was).
    at = comp.lo if comp.lo > 0 else min(p for p, _ in comp.points)
    row = next(
        x for x in probe.rows if x["n_patterns"] == at and x["corrupted_units"] == r.k_cue
    )
    bits = row["mi_bits"] / row["synapses"] if row["synapses"] else math.nan
    # A censored search makes the information a lower bound only where the synapses are
    # fixed (more patterns, same synapses). Where they grow with the load (dense and
    # modern networks: one synapse per stored pattern unit) perfect recall gives the
    # same bits per synapse at every load, so nothing beyond the maximum could raise it.
    counts = {x["synapses"] for x in probe.rows if not x["error"] and x["synapses"]}
    bits_censored = comp.censored and len(counts) <= 1
    probe.measure = "stability"
    stab = est.search_critical(lambda p: probe.fraction(p, 0), r.p_max, p_start)
    return {
        "index": index,
        "repeat": repeat,
        "completion": comp.value / r.n_units,
        "completion_censored": comp.censored,
        "bits_censored": bits_censored,
        "stability": stab.value / r.n_units,
        "stability_censored": stab.censored,
        "bits_per_synapse": bits,
        "synapses": row["synapses"],
        "rows": probe.rows,
        "warning": probe.warning_text,
        "task_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
    }


def basin_task(config: dict, index: int, repeat: int, loads: list[int]) -> dict[str, Any]:
    """Basin radius of model ``index`` at each number of patterns in ``loads``."""
    t0, c0 = time.perf_counter(), time.process_time()
    entry = config["models"][index]
    probe = Probe(config, entry, repeat, "basin")
    r = probe.regime
    radii = []
    for p in loads:
        s = est.search_radius(lambda k, p=p: probe.fraction(p, k), r.k_max)
        radii.append((s.value / r.noise_unit, s.censored))
    return {
        "index": index,
        "repeat": repeat,
        "radii": radii,
        "rows": probe.rows,
        "warning": probe.warning_text,
        "task_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
    }


def glyph_recall(config: dict) -> tuple[list[tuple[str, np.ndarray]], dict[str, float]]:
    """Glyph letters recalled by every ±1 model from 10 %-flipped cues: the figure's
    grid (stored, cues, then one row per model) and each model's mean overlap."""
    g = config["glyphs"]
    x = patterns.glyphs(g["text"], size=g["size"])
    cues = patterns.flip(x, CUE_NOISE, seed=derive_seed(config["seed"], "compare-glyphs"))
    grid = [("stored", x), (f"cue ({CUE_NOISE:.0%} flipped)", cues)]
    scores: dict[str, float] = {}
    for e in config["models"]:
        if e["regime"] != "bipolar":
            continue
        spec = ModelSpec(e["name"], e["params"], e["label"])
        seed = derive_seed(config["seed"], "compare-glyph-model", spec.key)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NeuromemWarning)
                mem = build_model(spec, x.shape[1], seed=seed)
                enc = model_encoding(model_tags(mem).encodings, "bipolar") or "bipolar"
                store_patterns(mem, to_model(x, "bipolar", enc))
                states = to_pattern(
                    mem.recall(to_model(cues, "bipolar", enc)).states, enc, "bipolar"
                )
        except Exception:  # shown as a missing row; the searches report the error
            continue
        ov, _ = est.score(states, x)
        scores[e["label"]] = float(ov.mean())
        grid.append((e["label"], states))
    return grid, scores
