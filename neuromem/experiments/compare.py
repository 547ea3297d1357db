"""``neuromem compare``: what each registered model can really do, measured the same way.

For every registered model (built-ins and plugins; the classical network once per
registered storage rule) the comparison measures, in the model's own regime (random
+/-1 patterns, or sparse 0/1 patterns for 0/1 networks):

- **completion capacity**: the critical load ``alpha_c = P/N`` at which fewer than half
  of the stored patterns are recalled (overlap >= 0.95) from cues with 10 % of their
  units corrupted, found by an adaptive search (bracket, then bisect) in every repeat,
  with a 95 % interval over repeats; a search that reaches the stated maximum load is
  reported "≥ maximum";
- **stability**: the same search from uncorrupted cues (a network that copies its cue
  is "stable" at every load but completes nothing);
- **basin radius**: the largest fraction of corrupted cue units with >= 90 % recalled,
  at 0.25 and 0.5 of the model's own ``alpha_c`` and at one common load per regime;
- **information per synapse**: the mutual information between stored and recalled
  patterns at the critical load, in bits per synapse (per trainable parameter);
- glyph letters recalled from 10 %-flipped cues, and the cost of each model.

Every number is a function of the root seed: nothing depends on the wall clock, the
machine's load or the executor. All estimators live in
:mod:`neuromem.experiments.estimators`. The output folder receives ``summary.csv``,
``evaluations.csv`` (every store/recall the searches made), ``run.json`` (the
configuration and every model's resolved parameters), PNG figures and a self-contained
``report.html``.

Adding a report section
-----------------------
:func:`register_section` adds a section builder: a function taking the
:class:`ReportContext` and returning ``(title, html)`` (or None to add nothing). It may
draw figures with :meth:`ReportContext.figure` (saved beside the report and captioned),
cite papers with :meth:`ReportContext.cite` (listed under References) and add findings
with :meth:`ReportContext.note`. Sections appear in registration order after the
built-in figures.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import patterns
from ..errors import NeuromemWarning, ValidationError, described
from ..io import atomic_write
from ..random import derive_seed
from . import estimators as est
from .spec import ModelSpec, build_model
from .trial import _store, _to_model, _to_pattern, model_encoding

__all__ = [
    "REFERENCES",
    "SECTIONS",
    "SUMMARY_COLUMNS",
    "ReportContext",
    "compare",
    "compare_config",
    "model_entries",
    "register_section",
]

#: Fraction of cue units corrupted for the completion capacity and the glyph figure.
CUE_NOISE = 0.1
#: Fractions of each model's own alpha_c at which basins are measured.
BASIN_FRACTIONS = (0.25, 0.5)


@dataclass(frozen=True)
class Regime:
    """A pattern regime: its width, coding level and search limits."""

    name: str
    n_units: int
    coding_level: float | None
    max_load: float
    start_load: float
    common_load: float

    @property
    def encoding(self) -> str:
        return "bipolar" if self.name == "bipolar" else "binary"

    @property
    def n_active(self) -> int:
        return round(self.coding_level * self.n_units) if self.coding_level else 0

    @property
    def p_max(self) -> int:
        return round(self.max_load * self.n_units)

    @property
    def k_cue(self) -> int:
        """Units corrupted in a completion cue."""
        base = self.n_units if self.name == "bipolar" else self.n_active
        return max(1, round(CUE_NOISE * base))

    @property
    def k_max(self) -> int:
        """Most units a basin search corrupts (half the units, or every active one)."""
        return self.n_units // 2 if self.name == "bipolar" else self.n_active

    @property
    def noise_unit(self) -> int:
        """What a fraction of corruption is a fraction of."""
        return self.n_units if self.name == "bipolar" else self.n_active

    @property
    def label(self) -> str:
        if self.name == "bipolar":
            return f"random ±1, N = {self.n_units}"
        return f"sparse 0/1, N = {self.n_units}, a = {self.coding_level:g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n_units": self.n_units,
            "coding_level": self.coding_level,
            "max_load": self.max_load,
            "start_load": self.start_load,
            "common_load": self.common_load,
            "cue_corrupted_units": self.k_cue,
        }


def _regimes(quick: bool) -> dict[str, Regime]:
    if quick:
        return {
            "bipolar": Regime("bipolar", 48, None, 0.5, 0.1, 0.1),
            "sparse": Regime("sparse", 100, 0.05, 1.5, 0.25, 0.25),
        }
    return {
        "bipolar": Regime("bipolar", 100, None, 1.0, 0.05, 0.1),
        "sparse": Regime("sparse", 200, 0.05, 3.0, 0.25, 0.5),
    }


# -- which models -------------------------------------------------------------------


def _family(name: str, regime: str | None) -> str:
    from ..registry import models

    if models.origin(name) != "neuromem":
        return "plugins"
    if regime == "sparse":
        return "sparse 0/1 networks"
    return {
        "hopfield": "classical Hopfield",
        "dense-hopfield": "dense and modern Hopfield",
        "modern-hopfield": "dense and modern Hopfield",
        "hebbian": "Hebbian",
        "linear-associator": "Hebbian",
        "willshaw": "sparse 0/1 networks",
        "mlp": "backprop MLP",
    }.get(name, "other")


def _regime_of(spec: ModelSpec) -> tuple[str | None, str]:
    """The regime a model is tested in, or None with the reason it is not applicable."""
    from ..registry import models

    cls = models.get(spec.name)
    if getattr(cls, "auto_associative", True) is False:
        return None, "not applicable: not an auto-associative memory"
    try:
        mem = build_model(spec, 16, seed=0)
    except Exception as exc:  # a plugin that cannot be built is reported, not fatal
        return None, f"not applicable: cannot be created ({type(exc).__name__}: {exc})"
    encs = tuple(mem.encodings)
    if "bipolar" in encs or "real" in encs:
        regime, x = "bipolar", patterns.random_bipolar(2, 16, seed=0)
    elif "binary" in encs:
        regime, x = "sparse", patterns.random_sparse(2, 16, n_active=2, seed=0)
    else:
        return None, f"not applicable: takes {encs} patterns"
    # A model (or storage rule) that cannot store and recall two patterns at all is
    # outside what this comparison measures, not a model of capacity 0.
    src = "bipolar" if regime == "bipolar" else "binary"
    enc = model_encoding(encs, src) or src
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _store(mem, _to_model(x, src, enc))
            states = np.asarray(mem.recall(_to_model(x, src, enc)).states)
        if states.shape != x.shape:
            return None, (
                f"not applicable: recall returns states of shape {states.shape} for "
                f"{x.shape} cues (not auto-associative completion)"
            )
    except Exception as exc:  # the reason is shown in the report
        return None, f"not applicable: store/recall raise {type(exc).__name__}: {exc}"
    return regime, ""


def model_entries(models: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The models compared: every registered model, the classical network once per
    registered storage rule, 0/1 networks on sparse patterns.

    Parameters
    ----------
    models : list of str, optional
        Keep only these: a registry name keeps all of its entries (``"hopfield"`` keeps
        every rule), a label (``"hopfield-storkey"``) that entry.

    Returns
    -------
    list of dict
        ``name``, ``params``, ``label``, ``regime`` (``"bipolar"``, ``"sparse"`` or
        None) and ``status`` ("" or why the model is not applicable).
    """
    from ..registry import list_models, list_rules
    from ..registry import rules as rule_registry

    raw: list[dict[str, Any]] = []
    for name in list_models():
        if name == "hopfield":
            raw.append({"name": name, "params": {}, "label": "hopfield"})
            for rule in list_rules():
                if rule != "hebbian":
                    # A rule meant only for 0/1 patterns (Tsodyks-Feigel'man, plugins
                    # like it) runs in a network of 0/1 units, on sparse patterns: with
                    # +/-1 units it cannot even be built, and would be "not applicable"
                    # although it is the sparse Hopfield network's own rule.
                    encs = getattr(rule_registry.get(rule), "encodings", ("bipolar",))
                    params: dict[str, Any] = {"rule": rule}
                    if "bipolar" not in encs and "binary" in encs:
                        params = {"units": "binary", "rule": rule}
                    raw.append(
                        {"name": name, "params": params, "label": f"hopfield-{rule}"}
                    )
            raw.append(
                {
                    "name": name,
                    "params": {"units": "binary", "rule": "covariance"},
                    "label": "hopfield-binary",
                }
            )
        elif name == "willshaw":
            raw.append({"name": name, "params": {}, "label": "willshaw"})
            raw.append(
                {
                    "name": name,
                    "params": {"threshold": "adaptive"},
                    "label": "willshaw-adaptive",
                }
            )
        else:
            raw.append({"name": name, "params": {}, "label": name})
    if models is not None:
        known = {e["label"] for e in raw} | {e["name"] for e in raw}
        allowed = "registered model names or labels: " + ", ".join(sorted(known))
        # An empty selection (--models "" or ",,,") would compare nothing and crash
        # while formatting the empty table; a bare string or a number is no list.
        if isinstance(models, str) or not isinstance(models, Sequence | set):
            raise ValidationError("models", models, "a list of " + allowed)
        wanted = list(models)
        if not wanted:
            raise ValidationError("models", described("no model"), "one or more " + allowed)
        for w in wanted:
            if not isinstance(w, str) or w not in known:
                raise ValidationError(
                    "models",
                    w,
                    "registered model names or labels: " + ", ".join(sorted(known)),
                )
        raw = [e for e in raw if e["label"] in wanted or e["name"] in wanted]
    out = []
    for e in raw:
        regime, status = _regime_of(ModelSpec(e["name"], e["params"], e["label"]))
        out.append({**e, "regime": regime, "status": status})
    return out


def compare_config(
    quick: bool = False,
    seed: int = 0,
    repeats: int | None = None,
    models: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The configuration ``neuromem compare`` runs (JSON-ready; recorded in run.json)."""
    from ..validation import check_int

    seed = check_int(seed, "seed", low=0)
    repeats = check_int(3 if quick else 5, "repeats") if repeats is None else repeats
    repeats = check_int(repeats, "repeats", low=2)
    return {
        "format": "neuromem-compare",
        "quick": bool(quick),
        "seed": seed,
        "repeats": repeats,
        "threshold": est.THRESHOLD,
        "level": est.LEVEL,
        "basin_criterion": est.BASIN_CRITERION,
        "cue_noise": CUE_NOISE,
        "basin_fractions": list(BASIN_FRACTIONS),
        "regimes": {k: r.to_dict() for k, r in _regimes(quick).items()},
        "glyphs": {"text": "NEURO" if quick else "NEUROMAB", "size": 10 if quick else 12},
        "models_selected": list(models) if models is not None else None,
        "models": model_entries(models),
    }


def _regime(config: dict, name: str) -> Regime:
    r = dict(config["regimes"][name])
    r.pop("cue_corrupted_units", None)
    return Regime(**r)


# -- evaluating one model -----------------------------------------------------------


class _Probe:
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
        self.regime = _regime(config, entry["regime"])
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
                enc = model_encoding(tuple(mem.encodings), r.encoding) or r.encoding
                t0 = time.perf_counter()
                _store(mem, _to_model(x, r.encoding, enc))
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
                    res = mem.recall(_to_model(cues, r.encoding, enc))
                    t = time.perf_counter() - t0
                states = _to_pattern(res.states, enc, r.encoding)
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


def _capacity_task(config: dict, index: int, repeat: int) -> dict[str, Any]:
    """Completion and stability searches of model ``index``, one repeat."""
    t0, c0 = time.perf_counter(), time.process_time()
    entry = config["models"][index]
    probe = _Probe(config, entry, repeat, "completion")
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


def _basin_task(config: dict, index: int, repeat: int, loads: list[int]) -> dict[str, Any]:
    """Basin radius of model ``index`` at each number of patterns in ``loads``."""
    t0, c0 = time.perf_counter(), time.process_time()
    entry = config["models"][index]
    probe = _Probe(config, entry, repeat, "basin")
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


# -- executors ----------------------------------------------------------------------

_BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _one_blas_thread(progress_env: str | None = None) -> None:
    """Worker initialiser: one BLAS thread, and the parent's progress-bar setting (a
    forkserver started earlier would not have it in its environment)."""
    from ..progress import ENV

    if progress_env is not None:
        os.environ[ENV] = progress_env
    for var in _BLAS_VARS:
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1)


def _map(
    fn: Callable,
    calls: list[tuple],
    jobs: int,
    scheduler: str | None,
    done: Callable[[], None] | None = None,
) -> list:
    """``[fn(*c) for c in calls]``, serially, on processes or on Dask; same results.

    ``done`` is called (in this process) after each call has finished.
    """
    tick = done if done is not None else (lambda: None)
    if scheduler is not None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ValidationError(
                "scheduler",
                scheduler,
                "a Dask scheduler with dask[distributed] installed "
                "(pip install 'neuromem[dask]')",
            ) from None
        cluster = (
            LocalCluster(
                n_workers=max(1, jobs),
                threads_per_worker=1,
                processes=False,
                dashboard_address=None,
            )
            if scheduler == "local"
            else None
        )
        client = Client(cluster if cluster is not None else scheduler)
        try:
            futures = client.map(fn, *zip(*calls, strict=True), pure=False)
            for f in futures:
                f.add_done_callback(lambda _: tick())
            return client.gather(futures)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    if jobs > 1 and len(calls) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        from ..progress import ENV as progress_env

        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        saved = {v: os.environ.get(v) for v in _BLAS_VARS}
        os.environ.update(dict.fromkeys(_BLAS_VARS, "1"))
        try:
            with ProcessPoolExecutor(
                max_workers=min(jobs, len(calls)),
                mp_context=mp.get_context(method),
                initializer=_one_blas_thread,
                initargs=(os.environ.get(progress_env),),
            ) as pool:
                futures = [pool.submit(fn, *c) for c in calls]
                for f in futures:
                    f.add_done_callback(lambda _: tick())
                return [f.result() for f in futures]
        finally:
            for v, old in saved.items():
                if old is None:
                    os.environ.pop(v, None)
                else:
                    os.environ[v] = old
    from threadpoolctl import threadpool_limits

    # The workers above run with one BLAS thread; so does the serial path, so that a
    # reduction summed in another order can never make the executors disagree.
    out = []
    with threadpool_limits(1):
        for c in calls:
            out.append(fn(*c))
            tick()
    return out


# -- the summary --------------------------------------------------------------------

#: Every column of ``summary.csv``, with its definition (shown in the report).
SUMMARY_COLUMNS: dict[str, str] = {
    "model": "The model's label: registry name, or name-rule for the classical network "
    "with another storage rule (parameters under Models).",
    "family": "The panel the model is drawn in.",
    "patterns": "The pattern regime it is tested in: 'bipolar' (random ±1) or 'sparse' "
    "(random 0/1 with a fixed number of active units); 'not applicable' otherwise.",
    "status": "Empty when measured; otherwise why the model is not applicable.",
    "n_units": "Number of units N.",
    "synapses": "Synapses (trainable parameters: weights and biases for the MLP; the "
    "stored pattern matrix for dense and modern Hopfield networks) at the critical load, "
    "first repeat.",
    "alpha_c": "Completion capacity: critical load P/N at which fewer than half of the "
    "patterns are recalled (overlap ≥ 0.95) from cues with 10 % of the units (±1) or of "
    "the active units (0/1) corrupted; mean over repeats.",
    "alpha_c_low": "Lower end of the 95 % (Student-t) interval of alpha_c.",
    "alpha_c_high": "Upper end of the 95 % interval of alpha_c.",
    "alpha_c_censored": "True when a search reached the maximum load: alpha_c is a lower "
    "bound (shown '≥').",
    "stability_alpha": "Critical load from uncorrupted cues (the stored patterns "
    "themselves); mean over repeats.",
    "stability_alpha_low": "Lower end of the 95 % interval of stability_alpha.",
    "stability_alpha_high": "Upper end of the 95 % interval of stability_alpha.",
    "stability_censored": "True when a stability search reached the maximum load.",
    "radius_quarter_ac": "Basin radius (largest fraction of cue units corrupted with "
    "≥ 90 % recalled; a fraction of the active units for 0/1 patterns) at 0.25 alpha_c.",
    "radius_quarter_ac_low": "Lower end of its 95 % interval.",
    "radius_quarter_ac_high": "Upper end of its 95 % interval.",
    "radius_half_ac": "Basin radius at 0.5 alpha_c.",
    "radius_half_ac_low": "Lower end of its 95 % interval.",
    "radius_half_ac_high": "Upper end of its 95 % interval.",
    "radius_common": "Basin radius at the regime's common load (see common_load).",
    "radius_common_low": "Lower end of its 95 % interval.",
    "radius_common_high": "Upper end of its 95 % interval.",
    "common_load": "The common load P/N of the regime at which radius_common is measured.",
    "bits_per_synapse": "Information capacity: mutual information (bits) between stored "
    "and recalled patterns at the largest load still recalled, divided by synapses; mean "
    "over repeats.",
    "bits_per_synapse_low": "Lower end of its 95 % interval.",
    "bits_per_synapse_high": "Upper end of its 95 % interval.",
    "bits_per_synapse_censored": "True when bits_per_synapse is a lower bound (shown "
    "'≥'): the completion search reached the maximum load and the synapses do not grow "
    "with the load (for dense and modern networks they do, and perfect recall gives the "
    "same bits per synapse at every load).",
    "glyph_overlap": "Mean overlap of the glyph letters recalled from cues with 10 % of "
    "their pixels flipped (±1 models; the glyph figure).",
    "evaluations": "Stores and recalls the searches made (all repeats).",
    "warnings": "Evaluations whose store warned (e.g. ConvergenceWarning: training or "
    "storage did not reach its goal); the first message is under Notes.",
    "errors": "Evaluations that raised (counted as not recalled; see evaluations.csv).",
    "store_ms": "Mean wall-clock time of one store, in milliseconds.",
    "recall_ms": "Mean wall-clock time of one recall of all cues, in milliseconds.",
    "cost_s": "Wall-clock seconds of all the model's searches in this run.",
    "cpu_s": "CPU seconds of all the model's searches in this run (less sensitive to "
    "the machine's load than cost_s).",
}
#: Wall-clock columns: they differ between runs by nature.
TIMING_COLUMNS = ("store_ms", "recall_ms", "cost_s", "cpu_s")

#: Columns of ``evaluations.csv``.
EVALUATION_COLUMNS = (
    "model",
    "patterns",
    "measure",
    "repeat",
    "n_units",
    "n_patterns",
    "load",
    "corrupted_units",
    "noise",
    "recalled",
    "overlap",
    "mi_bits",
    "synapses",
    "warnings",
    "error",
    "store_ms",
    "recall_ms",
)


def _nanmean(v) -> float:
    v = [x for x in v if not (isinstance(x, float) and math.isnan(x))]
    return float(np.mean(v)) if v else math.nan


def _estimates(config, caps, basins) -> dict[str, dict[str, est.Estimate]]:
    out: dict[str, dict[str, est.Estimate]] = {}
    for i, e in enumerate(config["models"]):
        mine = [c for c in caps if c["index"] == i]
        if not mine:
            continue
        # Intervals are clipped to what each quantity can be: a load up to the largest
        # searched, a radius up to the largest corruption searched.
        reg = _regime(config, e["regime"])
        top = reg.max_load
        d = {
            "alpha_c": est.interval(
                [c["completion"] for c in mine],
                any(c["completion_censored"] for c in mine),
                high=top,
            ),
            "stability_alpha": est.interval(
                [c["stability"] for c in mine],
                any(c["stability_censored"] for c in mine),
                high=top,
            ),
            "bits_per_synapse": est.interval(
                [c["bits_per_synapse"] for c in mine],
                any(c.get("bits_censored", c["completion_censored"]) for c in mine),
            ),
        }
        b = [x for x in basins if x["index"] == i]
        for j, name in enumerate(("radius_quarter_ac", "radius_half_ac", "radius_common")):
            vals = [x["radii"][j] for x in b]
            d[name] = est.interval(
                [v for v, _ in vals],
                any(c for _, c in vals),
                high=reg.k_max / reg.noise_unit,
            )
        out[e["label"]] = d
    return out


def _summary(config, caps, basins, rows, glyphs, cost) -> list[dict[str, Any]]:
    ests = _estimates(config, caps, basins)
    out = []
    for i, e in enumerate(config["models"]):
        label = e["label"]
        regime = e["regime"]
        mine = [r for r in rows if r["model"] == label]
        row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS, math.nan)
        syn = next((c["synapses"] for c in caps if c["index"] == i), 0)
        row.update(
            model=label,
            family=_family(e["name"], regime),
            patterns=regime or "not applicable",
            status=e["status"],
            n_units=config["regimes"][regime]["n_units"] if regime else 0,
            synapses=syn,
            common_load=config["regimes"][regime]["common_load"] if regime else math.nan,
            glyph_overlap=glyphs.get(label, math.nan),
            evaluations=len(mine),
            warnings=sum(r["warnings"] > 0 for r in mine if r["measure"] != "glyphs"),
            errors=sum(bool(r["error"]) for r in mine),
            store_ms=_nanmean([r["store_ms"] for r in mine]),
            recall_ms=_nanmean([r["recall_ms"] for r in mine]),
            cost_s=cost.get(label, 0.0),
        )
        for k in ("alpha_c_censored", "stability_censored", "bits_per_synapse_censored"):
            row[k] = False
        for name, e_ in ests.get(label, {}).items():
            row[name] = e_.value
            if name == "stability_alpha":
                row["stability_censored"] = e_.censored
            if name == "alpha_c":
                row["alpha_c_censored"] = e_.censored
            if name == "bits_per_synapse":
                row["bits_per_synapse_censored"] = e_.censored
            for suffix, v in (("_low", e_.low), ("_high", e_.high)):
                if name + suffix in row:
                    row[name + suffix] = v
        out.append(row)
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return "-" if math.isnan(v) else f"{v:.4g}"
    return str(v)


#: Columns of the printed table: estimate with interval as one text.
_SHOWN = (
    ("alpha_c", "alpha_c"),
    ("stability_alpha", "stability_alpha"),
    ("radius_quarter_ac", "radius_0.25ac"),
    ("radius_half_ac", "radius_0.5ac"),
    ("radius_common", "radius_common"),
    ("bits_per_synapse", "bits_per_synapse"),
)


def _est_text(row: dict, name: str) -> str:
    v = row[name]
    if isinstance(v, float) and math.isnan(v):
        return "-"
    censored = row.get(
        {"alpha_c": "alpha_c_censored", "stability_alpha": "stability_censored"}.get(
            name, ""
        ),
        False,
    )
    if name == "bits_per_synapse":
        censored = row.get("bits_per_synapse_censored", row["alpha_c_censored"])
    if name.startswith("radius") and row["patterns"] == "bipolar" and v >= 0.5:
        censored = True
    e = est.Estimate(v, row[name + "_low"], row[name + "_high"], bool(censored))
    return e.text(2)


def _display(summary: list[dict]) -> tuple[list[str], list[list[str]]]:
    cols = ["model", "patterns", *[s for _, s in _SHOWN], "glyph_overlap", "cpu_s"]
    cells = []
    for r in summary:
        if r["status"]:
            cells.append([r["model"], r["status"]] + [""] * (len(cols) - 2))
            continue
        line = [r["model"], r["patterns"]]
        line += [_est_text(r, name) for name, _ in _SHOWN]
        line += [_fmt(r["glyph_overlap"]), f"{r['cpu_s']:.2f}"]
        cells.append(line)
    return cols, cells


def table_text(summary: list[dict]) -> str:
    """The summary as aligned text (estimates with their 95 % intervals)."""
    cols, cells = _display(summary)
    shown = [x for x in cells if x[2] != "" or not x[1].startswith("not applicable")]
    # max() of a list: with every model "not applicable" no row is shown in columns.
    widths = [max([len(c), *(len(x[i]) for x in shown)]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    for x in cells:
        if x[2] == "" and x[1].startswith("not applicable"):
            lines.append(f"{x[0].ljust(widths[0])}  {x[1]}")
            continue
        lines.append("  ".join(v.ljust(w) for v, w in zip(x, widths, strict=True)).rstrip())
    return "\n".join(lines)


# -- glyphs -------------------------------------------------------------------------


def _glyphs(config: dict) -> tuple[list[tuple[str, np.ndarray]], dict[str, float], list]:
    """Glyph letters recalled by every ±1 model from 10 %-flipped cues."""
    g = config["glyphs"]
    x = patterns.glyphs(g["text"], size=g["size"])
    cues = patterns.flip(x, CUE_NOISE, seed=derive_seed(config["seed"], "compare-glyphs"))
    grid = [("stored", x), (f"cue ({CUE_NOISE:.0%} flipped)", cues)]
    scores: dict[str, float] = {}
    rows = []
    for e in config["models"]:
        if e["regime"] != "bipolar":
            continue
        spec = ModelSpec(e["name"], e["params"], e["label"])
        seed = derive_seed(config["seed"], "compare-glyph-model", spec.key)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NeuromemWarning)
                mem = build_model(spec, x.shape[1], seed=seed)
                enc = model_encoding(tuple(mem.encodings), "bipolar") or "bipolar"
                _store(mem, _to_model(x, "bipolar", enc))
                states = _to_pattern(
                    mem.recall(_to_model(cues, "bipolar", enc)).states, enc, "bipolar"
                )
        except Exception:  # shown as a missing row; the searches report the error
            continue
        ov, _ = est.score(states, x)
        scores[e["label"]] = float(ov.mean())
        grid.append((e["label"], states))
    return grid, scores, rows


# -- the report ---------------------------------------------------------------------

#: Every paper the report may cite: key -> (short form, full reference).
REFERENCES: dict[str, tuple[str, str]] = {
    "hopfield1982": (
        "Hopfield 1982",
        "Hopfield, J. J. (1982). Neural networks and physical systems with emergent "
        "collective computational abilities. PNAS 79(8), 2554-2558.",
    ),
    "ags1985": (
        "Amit et al. 1985",
        "Amit, D. J., Gutfreund, H. & Sompolinsky, H. (1985). Storing infinite numbers "
        "of patterns in a spin-glass model of neural networks. Physical Review Letters "
        "55(14), 1530-1533.",
    ),
    "mceliece1987": (
        "McEliece et al. 1987",
        "McEliece, R. J., Posner, E. C., Rodemich, E. R. & Venkatesh, S. S. (1987). The "
        "capacity of the Hopfield associative memory. IEEE Transactions on Information "
        "Theory 33(4), 461-482.",
    ),
    "storkey1997": (
        "Storkey 1997",
        "Storkey, A. (1997). Increasing the capacity of a Hopfield network without "
        "sacrificing functionality. ICANN'97, LNCS 1327, 451-456.",
    ),
    "kanter1987": (
        "Kanter & Sompolinsky 1987",
        "Kanter, I. & Sompolinsky, H. (1987). Associative recall of memory without "
        "errors. Physical Review A 35(1), 380-392.",
    ),
    "gardner1988": (
        "Gardner 1988",
        "Gardner, E. (1988). The space of interactions in neural network models. Journal "
        "of Physics A 21(1), 257-270.",
    ),
    "willshaw1969": (
        "Willshaw et al. 1969",
        "Willshaw, D. J., Buneman, O. P. & Longuet-Higgins, H. C. (1969). "
        "Non-holographic associative memory. Nature 222, 960-962.",
    ),
    "palm1980": (
        "Palm 1980",
        "Palm, G. (1980). On associative memory. Biological Cybernetics 36, 19-31.",
    ),
    "knoblauch2010": (
        "Knoblauch et al. 2010",
        "Knoblauch, A., Palm, G. & Sommer, F. T. (2010). Memory capacities for synaptic "
        "and structural plasticity. Neural Computation 22(2), 289-341.",
    ),
    "tsodyks1988": (
        "Tsodyks & Feigel'man 1988",
        "Tsodyks, M. V. & Feigel'man, M. V. (1988). The enhanced storage capacity in "
        "neural networks with low activity level. Europhysics Letters 6(2), 101-105.",
    ),
    "krotov2016": (
        "Krotov & Hopfield 2016",
        "Krotov, D. & Hopfield, J. J. (2016). Dense associative memory for pattern "
        "recognition. Advances in Neural Information Processing Systems 29.",
    ),
    "ramsauer2021": (
        "Ramsauer et al. 2021",
        "Ramsauer, H. et al. (2021). Hopfield networks is all you need. International "
        "Conference on Learning Representations (ICLR).",
    ),
    "during1998": (
        "During et al. 1998",
        "Düring, A., Coolen, A. C. C. & Sherrington, D. (1998). Phase diagram and "
        "storage capacity of sequence processing neural networks. Journal of Physics A "
        "31(43), 8607-8621.",
    ),
    "chaudhry2023": (
        "Chaudhry et al. 2023",
        "Chaudhry, H. T., Zavatone-Veth, J. A., Krotov, D. & Pehlevan, C. (2023). Long "
        "sequence Hopfield memory. Advances in Neural Information Processing Systems 36.",
    ),
}

#: Papers the captions of each study section cite (``studies.py`` writes them as
#: "(Author Year)"); the section cites them so that they are under References.
STUDY_REFERENCES: dict[str, tuple[str, ...]] = {
    "sequence": ("during1998", "chaudhry2023"),
}


@dataclass
class ReportContext:
    """What a report section builder receives (see :func:`register_section`).

    Attributes
    ----------
    out : Path
        The output folder (figures are written there).
    config : dict
        The run's configuration (``seed``, ``quick``, ``repeats``, ``regimes``,
        ``models``).
    summary : list of dict
        One row per model (:data:`SUMMARY_COLUMNS`).
    evaluations : list of dict
        Every store/recall of the searches (columns of ``evaluations.csv``).
    figures : list of Path
        Figures written so far.
    notes : list of str
        Findings, shown under Notes.
    """

    out: Path
    config: dict[str, Any]
    summary: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    extra_references: dict[str, tuple[str, str]] = field(default_factory=dict)

    def cite(self, key: str, reference: tuple[str, str] | None = None) -> str:
        """``"[Author Year]"`` for a paper of :data:`REFERENCES` (or a new one given as
        ``(short form, full reference)``), listed under References."""
        if reference is not None:
            self.extra_references[key] = reference
        refs = {**REFERENCES, **self.extra_references}
        if key not in refs:
            raise ValidationError("key", key, "a key of REFERENCES or a new reference")
        if key not in self.cited:
            self.cited.append(key)
        return f"[{refs[key][0]}]"

    def note(self, text: str) -> None:
        """Add a finding to the Notes section."""
        self.notes.append(text)

    def figure(self, fig_or_ax, name: str, caption: str) -> str:
        """Save a figure as ``name``.png beside the report; returns captioned HTML."""
        from .plots import _save

        path = _save(fig_or_ax, self.out / f"{name}.png")
        self.figures.append(path)
        data = base64.b64encode(path.read_bytes()).decode()
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(name)}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )


SectionBuilder = Callable[[ReportContext], "tuple[str, str] | None"]
#: Report sections added after the built-in ones, in order (see :func:`register_section`).
SECTIONS: list[SectionBuilder] = []


def register_section(builder: SectionBuilder) -> SectionBuilder:
    """Add a section to every ``neuromem compare`` report (usable as a decorator).

    ``builder(ctx)`` gets the :class:`ReportContext` and returns ``(title, html)``, or
    None to add nothing. Registering the same function twice adds it once.
    """
    if builder not in SECTIONS:
        SECTIONS.append(builder)
    return builder


_FAMILY_ORDER = (
    "classical Hopfield",
    "Hebbian",
    "dense and modern Hopfield",
    "backprop MLP",
    "sparse 0/1 networks",
    "plugins",
    "other",
)


def _families(summary) -> list[str]:
    found = set(r["family"] for r in summary if not r["status"])
    return [f for f in _FAMILY_ORDER if f in found] + sorted(found - set(_FAMILY_ORDER))


def _panels(n: int, width: float = 3.6, height: float = 3.0):
    import matplotlib.pyplot as plt

    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(width * cols, height * rows), squeeze=False
    )
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _theory_loads(
    regime: dict, family: str, threshold: float = est.THRESHOLD
) -> list[tuple[str, float, str]]:
    """Theory lines (label, load P/N, citation key) for one family's capacity panel.

    ``threshold`` is the overlap at which a pattern counts as recalled: the Willshaw
    line at that criterion depends on it.
    """
    n = regime["n_units"]
    if family == "classical Hopfield":
        ln = math.log(n)
        return [
            ("AGS α_c = 0.138 (Hebb, N → ∞)", 0.138, "ags1985"),
            (
                f"P/N = 1/(2 ln N) = {1 / (2 * ln):.3f} (Hebb, no error)",
                1 / (2 * ln),
                "mceliece1987",
            ),
            (
                f"P/N = 1/√(2 ln N) = {1 / math.sqrt(2 * ln):.3f} (Storkey)",
                1 / math.sqrt(2 * ln),
                "storkey1997",
            ),
            ("P/N = 1 (projection rule limit)", 1.0, "kanter1987"),
        ]
    if family == "sparse 0/1 networks" and regime.get("coding_level"):
        from ..models.willshaw import willshaw_capacity

        a = regime["coding_level"]
        k = round(a * n)
        w = willshaw_capacity(n, n, k, k, fidelity=0.01) / n
        # The same theory at this figure's criterion: a recall with all k active units
        # and f spurious ones has sparse overlap 1 - f / (N - k), so "overlap >=
        # threshold" tolerates f <= (1 - threshold)(N - k) add errors (9.5 of 10 active
        # units at N = 200), far more than the 1 % line; from clean cues a Willshaw net
        # is "stable" up to this load, not up to the 1 % one.
        f = (1.0 - threshold) * (n - k)
        w_crit = willshaw_capacity(n, n, k, k, fidelity=f / k) / n
        return [
            (f"Willshaw P/N = {w:.2f} (1 % add errors)", w, "knoblauch2010"),
            (
                f"Willshaw P/N = {w_crit:.2f} ({f:.3g} add errors: overlap "
                f"{threshold:g}, clean cues)",
                w_crit,
                "knoblauch2010",
            ),
            (
                f"1/(2a|ln a|) = {1 / (2 * a * abs(math.log(a))):.2f} (a → 0)",
                1 / (2 * a * abs(math.log(a))),
                "tsodyks1988",
            ),
        ]
    return []


def _cue_text(regime: dict) -> str:
    """What a completion cue corrupts, in units: "10 of the 100 units", "1 of the 10
    active units" (10 % of them after rounding, at least one: 1 of 5 in --quick)."""
    n = regime["n_units"]
    k = regime.get("cue_corrupted_units")
    if regime.get("coding_level"):
        base, what = round(regime["coding_level"] * n), "active units"
    else:
        base, what = n, "units"
    if k is None:  # a run.json written before the count was recorded
        k = max(1, round(CUE_NOISE * base))
    return f"{k} of the {base} {what}"


def _draw_capacity(ctx: ReportContext) -> tuple[str, str] | None:
    summary = [r for r in ctx.summary if not r["status"]]
    fams = _families(summary)
    if not fams:
        return None
    fig, axes = _panels(
        len(fams),
        4.2,
        0.5 + 0.4 * max(sum(r["family"] == f for r in summary) for f in fams) + 2.4,
    )
    cites = set()
    for ax, fam in zip(axes, fams, strict=True):
        rows = [r for r in summary if r["family"] == fam]
        regime = ctx.config["regimes"][rows[0]["patterns"]]
        for y, r in enumerate(rows):
            for key, mk, off, name in (
                ("alpha_c", "o", 0.12, "completion (10 % corrupted cues)"),
                ("stability_alpha", "s", -0.12, "stability (clean cues)"),
            ):
                v, lo, hi = r[key], r[key + "_low"], r[key + "_high"]
                cens = r["alpha_c_censored" if key == "alpha_c" else "stability_censored"]
                color = "C0" if key == "alpha_c" else "C1"
                ax.errorbar(
                    [v],
                    [y + off],
                    xerr=[[v - lo], [hi - v]],
                    fmt=mk,
                    color=color,
                    mfc=color if key == "alpha_c" else "white",
                    ms=5,
                    capsize=2,
                    label=name if y == 0 else None,
                )
                if cens:
                    ax.annotate(
                        "≥",
                        (v, y + off),
                        xytext=(4, -3),
                        textcoords="offset points",
                        fontsize=8,
                        color=color,
                    )
        for (label, x, key), ls in zip(
            _theory_loads(regime, fam, ctx.config.get("threshold", est.THRESHOLD)),
            ["--", "-.", ":", (0, (5, 1, 1, 1))],
            strict=False,
        ):
            if x <= regime["max_load"] * 1.02:
                ax.axvline(x, color="grey", ls=ls, lw=1, label=label)
                cites.add(key)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([r["model"] for r in rows], fontsize=7)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.invert_yaxis()
        ax.set_xlim(0, regime["max_load"] * 1.08)
        ax.axvline(regime["max_load"], color="k", lw=0.6)
        ax.set_xlabel("critical load α = P / N")
        ax.set_title(f"{fam} ({rows[0]['patterns']}, N = {regime['n_units']})", fontsize=8)
        ax.legend(fontsize=5.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
        ax.grid(alpha=0.3, axis="x")
    refs = ", ".join(ctx.cite(k) for k in sorted(cites))
    reg = ctx.config["regimes"]
    cap = (
        "<b>Capacity.</b> One panel per family. Filled circles: completion capacity "
        "α<sub>c</sub>, the load P/N at which fewer than half of the patterns are "
        "recalled (overlap ≥ 0.95) from cues with "
        f"{_cue_text(reg['bipolar'])} flipped (±1) or {_cue_text(reg['sparse'])} moved "
        "(0/1); open squares: the same from uncorrupted "
        "cues (stability). Bars: 95 % intervals over "
        f"{ctx.config['repeats']} repeats of an adaptive search (bracket, then bisect to "
        "one pattern or 2 %). The thin black line is the largest load searched "
        f"(α = {reg['bipolar']['max_load']:g} for ±1, {reg['sparse']['max_load']:g} for 0/1); "
        "a point there marked ≥ never failed. Grey lines: theory, as loads P/N "
        f"({refs or 'none in range'}). The two Willshaw lines (0/1 panel) are the loads "
        "at which a clean cue brings, on average, 1 % of the active units as spurious "
        "units, and as many spurious units as the overlap criterion tolerates (the sparse "
        "overlap forgives a spurious unit far more than a missing one); the second is the "
        "one to compare with the squares. A model far to the right in squares but at 0 in "
        "circles stores by copying its cue: it completes nothing."
    )
    return "Capacity: completion and stability", ctx.figure(fig, "capacity", cap)


def _draw_curves(ctx: ReportContext) -> tuple[str, str] | None:
    from matplotlib.ticker import NullFormatter

    summary = [r for r in ctx.summary if not r["status"]]
    fams = _families(summary)
    if not fams:
        return None
    fig, axes = _panels(len(fams))
    for ax, fam in zip(axes, fams, strict=True):
        models = [r["model"] for r in summary if r["family"] == fam]
        for i, m in enumerate(models):
            pts = [
                e
                for e in ctx.evaluations
                if e["model"] == m and e["measure"] == "completion" and not e["error"]
            ]
            loads = sorted({e["load"] for e in pts})
            mean = [_nanmean([e["recalled"] for e in pts if e["load"] == a]) for a in loads]
            # Open markers, the first drawn the largest: where curves coincide (every
            # model at 1.0 at small loads) each stays visible as a ring around the next
            # instead of the last one drawn hiding the others.
            ax.plot(
                loads,
                mean,
                marker="os^vDP<>*"[i % 9],
                ms=3 + 1.2 * (len(models) - 1 - i),
                mfc="none",
                mew=0.9,
                lw=0.8,
                color=f"C{i % 10}",
                label=m,
            )
        ax.axhline(0.5, color="k", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("load α = P / N (log)")
        ax.set_ylabel("fraction recalled")
        ax.set_title(fam, fontsize=8)
        ax.legend(fontsize=5.5)
        ax.grid(alpha=0.3)
    cap = (
        "<b>The searches.</b> Fraction of patterns recalled (overlap ≥ 0.95) from cues with "
        "10 % corrupted, at every load the adaptive searches evaluated, averaged over the "
        "repeats that evaluated it (so points are means of 1 to "
        f"{ctx.config['repeats']} repeats; the repeats' own estimates are in "
        "evaluations.csv). The dotted line is the criterion 1/2: α<sub>c</sub> is where "
        "a curve crosses it. Markers and colours tell the models apart."
    )
    return "Recall against load", ctx.figure(fig, "recall_curves", cap)


def _draw_basins(ctx: ReportContext) -> tuple[str, str] | None:
    summary = [r for r in ctx.summary if not r["status"]]
    fams = _families(summary)
    if not fams:
        return None
    fig, axes = _panels(
        len(fams),
        4.2,
        0.5 + 0.4 * max(sum(r["family"] == f for r in summary) for f in fams) + 2.4,
    )
    names = (
        ("radius_quarter_ac", "at 0.25 α_c", "C0", "o"),
        ("radius_half_ac", "at 0.5 α_c", "C1", "s"),
        ("radius_common", "at the common load", "C2", "^"),
    )
    for ax, fam in zip(axes, fams, strict=True):
        rows = [r for r in summary if r["family"] == fam]
        for y, r in enumerate(rows):
            for j, (key, label, color, mk) in enumerate(names):
                v = r[key]
                if math.isnan(v):
                    continue
                ax.errorbar(
                    [v],
                    [y + 0.15 * (j - 1)],
                    xerr=[[v - r[key + "_low"]], [r[key + "_high"] - v]],
                    fmt=mk,
                    color=color,
                    ms=4,
                    capsize=2,
                    label=label if y == 0 else None,
                )
        reg = ctx.config["regimes"][rows[0]["patterns"]]
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([r["model"] for r in rows], fontsize=7)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.invert_yaxis()
        ax.set_xlim(-0.02, 0.55 if rows[0]["patterns"] == "bipolar" else 1.05)
        unit = "units flipped" if rows[0]["patterns"] == "bipolar" else "active units moved"
        ax.set_xlabel(f"basin radius (fraction of {unit})")
        ax.set_title(f"{fam} (common load α = {reg['common_load']:g})", fontsize=8)
        ax.legend(fontsize=5.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
        ax.grid(alpha=0.3, axis="x")
    cap = (
        "<b>Basins of attraction.</b> Basin radius: the largest fraction of a cue's units "
        "corrupted (±1: flipped, at most 0.5; 0/1: active units moved, at most all of them) "
        "with at least 90 % of the patterns recalled, found by bisection to one unit, at "
        "0.25 and 0.5 of each model's own α<sub>c</sub> (rounded to whole patterns, at "
        "least one) and at one common load per regime "
        f"(α = {ctx.config['regimes']['bipolar']['common_load']:g} for ±1, "
        f"{ctx.config['regimes']['sparse']['common_load']:g} for 0/1). Bars: 95 % "
        "intervals over repeats. A radius of 0 means even the uncorrupted cue fails. Where "
        "α<sub>c</sub> is censored (≥), the fractions are of the maximum load."
    )
    return "Basins of attraction", ctx.figure(fig, "basins", cap)


def _draw_information(ctx: ReportContext) -> tuple[str, str] | None:
    import matplotlib.pyplot as plt

    rows = [
        r for r in ctx.summary if not r["status"] and not math.isnan(r["bits_per_synapse"])
    ]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9.0, 1.4 + 0.28 * len(rows)))
    fams = _families(rows)
    y = 0
    ticks, labels = [], []
    for fi, fam in enumerate(fams):
        for r in [r for r in rows if r["family"] == fam]:
            v = max(r["bits_per_synapse"], 1e-4)
            lo = max(r["bits_per_synapse_low"], 1e-4)
            hi = max(r["bits_per_synapse_high"], v)
            ax.errorbar(
                [v],
                [y],
                xerr=[[v - lo], [hi - v]],
                fmt="o",
                color=f"C{fi}",
                ms=4,
                capsize=2,
            )
            if r.get("bits_per_synapse_censored", r["alpha_c_censored"]):
                ax.annotate(
                    "≥", (v, y), xytext=(4, -3), textcoords="offset points", fontsize=8
                )
            ticks.append(y)
            labels.append(f"{r['model']} ({r['patterns']})")
            y += 1
    anchors = [
        ("Hebbian Hopfield ≈ 0.14 bits/synapse", 0.138, "--", "ags1985"),
        ("Willshaw ln 2 ≈ 0.69 (N → ∞)", math.log(2), "-.", "palm1980"),
        ("Gardner bound 2 bits/synapse", 2.0, ":", "gardner1988"),
    ]
    for label, x, ls, _ in anchors:
        ax.axvline(x, color="grey", ls=ls, lw=1, label=label)
    ax.set_xscale("log")
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("information capacity (bits per synapse, log)")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.grid(alpha=0.3, axis="x")
    refs = ", ".join(ctx.cite(k) for *_, k in anchors)
    cap = (
        "<b>Information per synapse: one currency across regimes.</b> Mutual information "
        "between the stored and the recalled patterns (per unit, from the joint "
        "distribution of stored and recalled values over all units, times P N), at the "
        "largest load still recalled from 10 %-corrupted cues, divided by the number of "
        "synapses: weights (N(N−1) for the classical network, N² for hetero-associative "
        "nets), weights and biases for the MLP, the stored P × N matrix for dense and "
        "modern Hopfield networks. Bars: 95 % intervals over repeats; ≥: the search "
        f"reached its maximum load. Grey lines: theory anchors in bits per synapse ({refs}); "
        "the Willshaw value is an asymptote that small nets stay far below. A value of 0 "
        "(nothing recalled) is drawn at 1e-4."
    )
    return "Information capacity", ctx.figure(fig, "information", cap)


def _draw_glyphs(ctx: ReportContext) -> tuple[str, str] | None:
    from ..demo import glyph_grid

    grid = ctx.config.get("_glyph_grid")
    if not grid or len(grid) <= 2:
        return None
    g = ctx.config["glyphs"]
    ax = glyph_grid([(label, np.clip(x, -1, 1)) for label, x in grid], g["size"])
    # Two short lines: the grid is only a few letters wide, and a one-line title wider
    # than the figure is cut off at both edges (tight_layout cannot shrink a title).
    ax.set_title(
        f"Glyph letters recalled\nfrom cues with {CUE_NOISE:.0%} of pixels flipped",
        fontsize=9,
    )
    sparse = [r["model"] for r in ctx.summary if r["patterns"] == "sparse"]
    cap = (
        f"<b>Glyphs.</b> The letters {html.escape(g['text'])} ({g['size']} × {g['size']} "
        f"pixels, ±1) stored in each ±1 model; second row: the cues, {CUE_NOISE:.0%} of "
        "each letter's pixels flipped (the same cues for every model); below, what each "
        "model recalled (the column glyph_overlap is its mean overlap). Letters are "
        "strongly correlated (overlaps about 0.5), unlike the random patterns of the "
        "other figures. "
        + (
            "Not shown (0/1 sparse regime, glyphs are dense): "
            + html.escape(", ".join(sparse))
            + "."
            if sparse
            else ""
        )
    )
    return "Glyph letters", ctx.figure(ax, "glyphs", cap)


def _draw_cost(ctx: ReportContext) -> tuple[str, str] | None:
    import matplotlib.pyplot as plt

    rows = [r for r in ctx.summary if not r["status"]]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 0.9 + 0.25 * len(rows)))
    y = np.arange(len(rows))
    ax.barh(y, [max(r["cost_s"], 1e-4) for r in rows], color="C0")
    ax.set_yticks(y)
    ax.set_yticklabels([r["model"] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("seconds of this run spent on the model (log)")
    ax.grid(alpha=0.3, axis="x")
    cap = (
        "<b>Cost.</b> Wall-clock seconds spent on each model's searches in this run (all "
        "repeats; store_ms and recall_ms in the table are per call). Timings depend on "
        "the machine and its load; no other number in this report does."
    )
    return "Cost per model", ctx.figure(fig, "cost", cap)


#: The built-in figure sections, in order.
BUILTIN_SECTIONS: list[SectionBuilder] = [
    _draw_capacity,
    _draw_curves,
    _draw_basins,
    _draw_information,
    _draw_glyphs,
    _draw_cost,
]


def _study_section(name: str, title: str, full: bool) -> SectionBuilder:
    """A report section that runs the study ``name`` (see ``studies.py``) beside the
    comparison; ``full`` runs its whole design unless the comparison is ``--quick``."""

    def build(ctx: ReportContext) -> tuple[str, str]:
        from .studies import build_section

        quick = bool(ctx.config.get("quick")) or not full
        text, figures = build_section(
            name, ctx.out / name, quick=quick, seed=int(ctx.config.get("seed", 0))
        )
        ctx.figures.extend(figures)
        scale = "its quick design" if quick else "its full design"
        refs = [ctx.cite(k) for k in STUDY_REFERENCES.get(name, ())]
        how = (
            f"<p>Run here at {scale}; <code>neuromem run {name}</code> runs the whole "
            f"study into a folder of its own. Its tables are in <code>{name}/</code> "
            "beside this report."
            + (f" Papers its captions cite: {', '.join(refs)}." if refs else "")
            + "</p>"
        )
        return title, how + text

    build.__name__ = f"_{name}_section"
    return build


# The brain-memory phenomena that join the families: the sequence study at its quick
# design (its full design takes minutes), the consolidation study in full (seconds).
BUILTIN_SECTIONS += [
    _study_section("sequence", "Sequence memory", full=False),
    _study_section("consolidation", "Systems consolidation", full=True),
]


def _notes(ctx: ReportContext) -> None:
    """Findings computed from the results."""
    s = ctx.summary
    ok = [r for r in s if not r["status"]]
    for r in s:
        if r["status"]:
            ctx.note(f"{r['model']}: {r['status']}.")
    hebb = next((r for r in ok if r["model"] == "hopfield"), None)
    if hebb is not None and not math.isnan(hebb["alpha_c"]):
        inside = hebb["alpha_c_low"] <= 0.138 <= hebb["alpha_c_high"]
        ctx.note(
            f"Hebbian Hopfield (N = {hebb['n_units']}): α_c = {hebb['alpha_c']:.3f} "
            f"[{hebb['alpha_c_low']:.3f}, {hebb['alpha_c_high']:.3f}] from 10 % flipped "
            "cues; the N → ∞ value 0.138 "
            + ctx.cite("ags1985")
            + " is "
            + ("inside" if inside else "outside")
            + " the interval (finite N and noisy cues shift it)."
        )
    cens = [r["model"] for r in ok if r["alpha_c_censored"]]
    if cens:
        ctx.note(
            "Completion capacity at or beyond the largest load searched (reported ≥): "
            + ", ".join(cens)
            + "."
        )
    copy = [
        r["model"]
        for r in ok
        if r["stability_alpha"] >= 2 * max(r["alpha_c"], 1e-9)
        and r["stability_alpha"] > 0
        and r["alpha_c"] < 0.5 * r["stability_alpha"]
    ]
    if copy:
        ctx.note(
            "Stable from clean cues far beyond their completion capacity (stability ≥ 2 α_c; "
            "they keep what they are given more than they complete it): "
            + ", ".join(copy)
            + "."
        )
    zero = [r["model"] for r in ok if r["alpha_c"] == 0]
    if zero:
        ctx.note(
            "No completion at all (not even one pattern from 10 % corrupted cues): "
            + ", ".join(zero)
            + "."
        )
    # Models whose every per-repeat estimate agrees.
    seen: dict[tuple, str] = {}
    for r in ok:
        keys = ("alpha_c", "stability_alpha", "radius_quarter_ac", "radius_half_ac")
        key = (*(round(r[k], 12) for k in keys), r["patterns"])
        if key in seen:
            ctx.note(
                f"{r['model']} gives the same estimates as {seen[key]} "
                "(same storage and dynamics at these parameters)."
            )
        else:
            seen[key] = r["model"]
    measured = [r for r in ok if not math.isnan(r["bits_per_synapse"])]
    if measured:
        top = max(r["bits_per_synapse"] for r in measured)
        # Every model at the top is named (ties are common: 1 bit per synapse for each
        # network that keeps its patterns as synapses), each with what its value is.
        best = [r for r in measured if r["bits_per_synapse"] >= top - 5e-4]
        bound = [r["model"] for r in best if r.get("bits_per_synapse_censored")]
        grows = [
            r["model"]
            for r in best
            if r["alpha_c_censored"] and not r.get("bits_per_synapse_censored")
        ]
        plain = [r["model"] for r in best if not r["alpha_c_censored"]]
        kinds = plain[:]
        if bound:
            kinds.append(", ".join(bound) + " (a lower bound: capacity beyond the search)")
        if grows:
            kinds.append(
                ", ".join(grows)
                + " (at the largest load searched; their synapses are the stored "
                "pattern units themselves, so any load recalled without error gives "
                "the same)"
            )
        ctx.note(
            f"Most information per synapse, {top:.3g} bits per synapse: "
            + ", ".join(kinds)
            + "; the Gardner bound is 2 "
            + ctx.cite("gardner1988")
            + "."
        )
    warn = [f"{r['model']} ({r['warnings']})" for r in ok if r["warnings"]]
    if warn:
        ctx.note(
            "Evaluations whose store warned (training or storage did not reach its "
            "goal): " + ", ".join(warn) + "."
        )
    errs = [f"{r['model']} ({r['errors']})" for r in ok if r["errors"]]
    if errs:
        ctx.note(
            "Evaluations that raised (counted as not recalled; messages in "
            "evaluations.csv): " + ", ".join(errs) + "."
        )


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return repr(v)


def resolved_params(entry: dict, n_units: int) -> dict[str, Any]:
    """Every constructor parameter of ``entry``'s model, defaults filled in, and the
    parameters of its learning rule(s) after a store."""
    spec = ModelSpec(entry["name"], entry["params"], entry["label"])
    try:
        mem = build_model(spec, n_units, seed=0)
    except Exception as exc:  # a model that cannot be built says why
        return {"error": f"{type(exc).__name__}: {exc}"}
    out = _jsonable(mem.get_params())
    out["seed"] = "derived per evaluation from the root seed"
    net = getattr(mem, "network_", None)
    if net is None:
        # Learning rules are created at the first store: store one pattern to see them.
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                x = patterns.random_bipolar(1, n_units, seed=0)
                if entry.get("regime") == "sparse":
                    x = patterns.random_sparse(
                        1, n_units, n_active=max(1, n_units // 20), seed=0
                    )
                enc = (
                    model_encoding(
                        tuple(mem.encodings),
                        infer := (
                            "binary" if entry.get("regime") == "sparse" else "bipolar"
                        ),
                    )
                    or infer
                )
                _store(mem, _to_model(x, infer, enc))
            net = getattr(mem, "network_", None)
        except Exception:  # parameters are still reported
            net = None
    if net is not None:
        # Layer widths in effect: a default such as the MLP's hidden=None ("as wide as
        # the input") is recorded as the width it resolved to.
        out["populations"] = {
            name: int(getattr(pop, "n", 0)) for name, pop in net.populations.items()
        }
        opts = getattr(mem, "optimizers_", None)
        if out.get("learning_rate", 0) is None and opts:
            lr = getattr(opts[0], "learning_rate", None)
            if lr is not None:  # the optimiser's default step size, as used
                out["learning_rate"] = _jsonable(lr)
        rules = {}
        for syn in net.synapses:
            rule = getattr(syn, "rule", None)
            if rule is not None and hasattr(rule, "get_params"):
                rules[f"{syn.pre.name}->{syn.post.name}"] = {
                    "rule": type(rule).__name__,
                    **_jsonable(rule.get_params()),
                }
        if rules:
            out["learning_rules"] = rules
        if out.get("rule") is None and len(rules) == 1:
            # rule=None means "the default for the units": name the one that was used.
            rule = next(iter(net.synapses)).rule
            out["rule"] = getattr(rule, "name", None) or type(rule).__name__
    return out


def _table_html(summary: list[dict]) -> str:
    cols, cells = _display(summary)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = ""
    for x in cells:
        if x[2] == "" and x[1].startswith("not applicable"):
            body += (
                f"<tr><td>{html.escape(x[0])}</td>"
                f"<td colspan={len(cols) - 1}>{html.escape(x[1])}</td></tr>"
            )
        else:
            body += "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in x) + "</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def _report(ctx: ReportContext, elapsed: float) -> Path:
    from .runner import versions

    cfg = ctx.config
    sections: list[tuple[str, str]] = []
    for builder in [*BUILTIN_SECTIONS, *SECTIONS]:
        made = builder(ctx)
        if made:
            sections.append(made)
    _notes(ctx)
    reg = cfg["regimes"]
    vers = ", ".join(f"{k} {v}" for k, v in versions().items())
    chosen = cfg.get("models_selected")
    sel = f" --models {html.escape(','.join(chosen))}" if chosen else ""
    shown_defs = {
        "alpha_c": "alpha_c",
        "stability_alpha": "stability_alpha",
        "radius_0.25ac": "radius_quarter_ac",
        "radius_0.5ac": "radius_half_ac",
        "radius_common": "radius_common",
        "bits_per_synapse": "bits_per_synapse",
        "glyph_overlap": "glyph_overlap",
        "cpu_s": "cpu_s",
        "model": "model",
        "patterns": "patterns",
    }
    shown = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(SUMMARY_COLUMNS[v])}"
        + (
            " Shown as mean [95 % interval], or ≥ value when censored."
            if k not in ("model", "patterns", "glyph_overlap", "cpu_s")
            else ""
        )
        + "</dd>"
        for k, v in shown_defs.items()
    )
    all_defs = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>"
        for k, v in SUMMARY_COLUMNS.items()
    )
    params = "".join(
        f"<h3>{html.escape(m['label'])}</h3><p>registry name {html.escape(m['name'])}, "
        f"regime {html.escape(str(m['regime'] or 'not applicable'))}"
        + (f" ({html.escape(m['status'])})" if m["status"] else "")
        + f"</p><pre>{html.escape(json.dumps(m.get('resolved', {}), indent=1, sort_keys=True))}"
        "</pre>"
        for m in cfg["models"]
    )
    body = "".join(f"<h2>{html.escape(t)}</h2>{h}" for t, h in sections)
    note_html = "".join(f"<li>{html.escape(n)}</li>" for n in ctx.notes) or "<li>none</li>"
    refs = {**REFERENCES, **ctx.extra_references}
    ref_html = "".join(
        f"<li id='ref-{k}'>[{html.escape(refs[k][0])}] {html.escape(refs[k][1])}</li>"
        for k in ctx.cited
    )
    text = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>neuromem compare</title>
<style>body{{font-family:sans-serif;max-width:72em;margin:auto;padding:0 1em}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:2px 6px;
font-size:85%}} img{{max-width:100%}} figcaption{{font-size:90%;color:#333;
margin-bottom:1.5em}} dt{{font-family:monospace;font-weight:bold}} pre{{font-size:80%;
background:#f6f6f6;padding:4px}}</style></head><body>
<h1>neuromem compare</h1>
<p>What each registered memory model can do, measured the same way for all: how many
random patterns it completes from corrupted cues (the completion capacity
α<sub>c</sub>), how many it keeps from clean cues (stability), how far its basins of
attraction reach, and how much information it holds per synapse. ±1 models are tested
on random ±1 patterns of N = {reg["bipolar"]["n_units"]} units, 0/1 networks on sparse
0/1 patterns of N = {reg["sparse"]["n_units"]} units with
{reg["sparse"]["coding_level"]:g} N active. {cfg["repeats"]} repeats per estimate; root
seed {cfg["seed"]}{" (quick smoke run: small sizes)" if cfg["quick"] else ""};
{len(cfg["models"])} models; {len(ctx.evaluations)} store/recall evaluations;
{elapsed:.1f} s. Every number except the timings is a function of the seed alone.
Versions: {html.escape(vers)}.</p>
<p>Files: <a href="summary.csv">summary.csv</a> (this table, every column),
<a href="evaluations.csv">evaluations.csv</a> (every evaluation of the searches),
<a href="run.json">run.json</a> (configuration and resolved parameters).
Reproduce with <code>neuromem compare --seed {cfg["seed"]} --repeats {cfg["repeats"]}
{"--quick" if cfg["quick"] else ""}{sel}</code>.</p>
<h2>Summary</h2>{_table_html(ctx.summary)}
<h3>Columns</h3><dl>{shown}</dl>
{body}
<h2>Notes</h2><ul>{note_html}</ul>
<h2>Models</h2><p>Every model's constructor parameters, defaults filled in (n_units is
the regime's N; seeds are derived per evaluation from the root seed and the
evaluation's coordinates).</p>{params}
<h2>All columns of summary.csv</h2><dl>{all_defs}</dl>
<h2>References</h2><ol>{ref_html}</ol>
</body></html>
"""
    path = ctx.out / "report.html"
    with atomic_write(path, "w") as fh:
        fh.write(text)
    return path


# -- the command --------------------------------------------------------------------


def _write_csv(path: Path, rows: list[dict], cols: Sequence[str]) -> None:
    with atomic_write(path, "w") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow(
                [
                    "nan"
                    if isinstance(r[c], float) and math.isnan(r[c])
                    else (repr(r[c]) if isinstance(r[c], float) else r[c])
                    for c in cols
                ]
            )


def _check_folder(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ValidationError("out", str(out), "a folder (this is a file)")
    meta = out / "run.json"
    if not meta.is_file() or force:
        return
    try:
        fmt = json.loads(meta.read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, RecursionError, AttributeError):
        # Junk bytes (UnicodeDecodeError is a ValueError), bad or too deeply nested
        # JSON, or JSON that is not a table: all "another run", never a crash.
        fmt = None
    if fmt != "neuromem-compare":
        raise ValidationError(
            "out",
            described(f"{str(out)!r}, which holds another run"),
            "an empty folder, a compare folder, or --force (force=True) to overwrite it",
        )


def compare(
    out: str | Path = "results/compare",
    *,
    quick: bool = False,
    jobs: int = 1,
    scheduler: str | None = None,
    seed: int = 0,
    repeats: int | None = None,
    models: Sequence[str] | None = None,
    force: bool = False,
    progress: bool | None = None,
    on_search: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Measure every registered model's completion capacity, basins and information.

    Parameters
    ----------
    out : path
        Output folder (default ``results/compare``).
    quick : bool
        A smoke run (small sizes, 3 repeats): seconds, not for conclusions.
    jobs : int
        Worker processes; the results do not depend on it.
    scheduler : str, optional
        ``"local"`` or a Dask scheduler address (needs ``neuromem[dask]``).
    seed : int
        Root seed: every pattern, cue and model seed is derived from it.
    repeats : int, optional
        Repeats of every search (default 5; 3 with ``quick``); at least 2, for the
        intervals.
    models : list of str, optional
        Registry names or labels to compare (default: all).
    force : bool
        Overwrite a folder that holds another kind of run.
    progress : bool, optional
        Print one line per phase (default: when standard output is a terminal).
    on_search : callable, optional
        Called as ``on_search(done, total)`` before the first search and after every
        capacity or basin search has finished (``neuromem compare`` prints progress
        lines from it when its output is not a terminal).

    Returns
    -------
    dict
        ``summary`` (one dict per model, :data:`SUMMARY_COLUMNS`), ``table`` (text),
        ``evaluations``, ``figures``, ``report``, ``notes``, ``config``.
    """
    import sys

    import matplotlib

    from ..progress import ENV as progress_env
    from ..validation import check_bool, check_int

    matplotlib.use("Agg")
    t_start = time.perf_counter()
    jobs = check_int(jobs, "jobs", low=1)
    force = check_bool(force, "force")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise ValidationError("scheduler", scheduler, "'local' or a scheduler address")
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    out = Path(out)
    _check_folder(out, force)
    config = compare_config(quick=quick, seed=seed, repeats=repeats, models=models)
    say = sys.stdout.isatty() if progress is None else progress
    # Quiet (or not on a terminal): the late progress bars of long loops inside the
    # models (perceptron epochs, MLP training) stay off too, here and in the workers;
    # they used to write tqdm lines into logs, more of them the busier the machine.
    saved_progress = os.environ.get(progress_env)
    if not say:
        os.environ[progress_env] = "0"
    try:
        return _compare(out, config, say, jobs, scheduler, t_start, on_search)
    finally:
        if saved_progress is None:
            os.environ.pop(progress_env, None)
        else:
            os.environ[progress_env] = saved_progress


def _compare(out, config, say, jobs, scheduler, t_start, on_search=None) -> dict[str, Any]:
    """The body of :func:`compare`, after the arguments are checked."""
    from .runner import versions

    active = [i for i, e in enumerate(config["models"]) if e["regime"] is not None]
    reps = range(config["repeats"])

    total = 2 * len(active) * len(reps)  # a capacity and a basin search each
    finished = [0]

    def searched() -> None:
        finished[0] += 1
        if on_search is not None:
            on_search(finished[0], total)

    if on_search is not None:
        on_search(0, total)
    if say:
        print(f"compare: {len(active)} models x {config['repeats']} repeats: capacity")
    caps = _map(
        _capacity_task,
        [(config, i, r) for i in active for r in reps],
        jobs,
        scheduler,
        searched,
    )
    basin_calls = []
    for i in active:
        e = config["models"][i]
        reg = _regime(config, e["regime"])
        mine = [c for c in caps if c["index"] == i]
        ac = float(np.mean([c["completion"] for c in mine]))
        loads = [max(1, round(f * ac * reg.n_units)) for f in BASIN_FRACTIONS]
        loads.append(max(1, round(reg.common_load * reg.n_units)))
        e["basin_patterns"] = loads
        basin_calls += [(config, i, r, loads) for r in reps]
    if say:
        print("compare: basins")
    basins = _map(_basin_task, basin_calls, jobs, scheduler, searched)

    rows = [row for t in [*caps, *basins] for row in t["rows"]]
    cost: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for t in [*caps, *basins]:
        label = config["models"][t["index"]]["label"]
        cost[label] = cost.get(label, 0.0) + t["task_s"]
        cpu[label] = cpu.get(label, 0.0) + t["cpu_s"]
    t_glyph = time.perf_counter()
    grid, glyph_scores, _ = _glyphs(config)
    glyph_s = time.perf_counter() - t_glyph
    summary = _summary(config, caps, basins, rows, glyph_scores, cost)
    for r in summary:
        r["cpu_s"] = cpu.get(r["model"], 0.0)
    for m in config["models"]:
        m["resolved"] = resolved_params(
            m, config["regimes"][m["regime"]]["n_units"] if m["regime"] else 16
        )
    warn_text = {}
    for t in [*caps, *basins]:
        if t["warning"]:
            warn_text.setdefault(config["models"][t["index"]]["label"], t["warning"])

    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "summary.csv", summary, list(SUMMARY_COLUMNS))
    _write_csv(out / "evaluations.csv", rows, EVALUATION_COLUMNS)
    ctx = ReportContext(out, {**config, "_glyph_grid": grid}, summary, rows)
    for label, text in warn_text.items():
        ctx.note(f"{label}: first warning: {text}")
    elapsed = time.perf_counter() - t_start
    report = _report(ctx, elapsed)
    meta = {
        **config,
        "versions": versions(),
        "elapsed_s": time.perf_counter() - t_start,
        "glyphs_s": glyph_s,
        "cost_s": cost,
        "cpu_s": cpu,
        "figures": [p.name for p in ctx.figures],
    }
    with atomic_write(out / "run.json", "w") as fh:
        json.dump(_jsonable(meta), fh, indent=2, sort_keys=True)
        fh.write("\n")
    return {
        "summary": summary,
        "table": table_text(summary),
        "evaluations": rows,
        "figures": ctx.figures,
        "report": report,
        "notes": ctx.notes,
        "config": config,
    }


def _parse(value: str) -> Any:
    if value in ("True", "False"):
        return value == "True"
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def redraw(folder: str | Path) -> list[Path]:
    """Redraw the figures of a compare folder from its CSV files (``neuromem plot``).

    The glyph figure needs the recalled letters, which are not kept: it is drawn only
    by :func:`compare` itself.
    """
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    allowed = "a neuromem compare folder"
    try:
        config = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        tables = []
        for name, columns in (
            ("summary.csv", list(SUMMARY_COLUMNS)),
            ("evaluations.csv", list(EVALUATION_COLUMNS)),
        ):
            with open(folder / name, encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                # Checked, never skipped: a table with other columns, or a row with
                # too many or too few fields (a torn or edited line), is refused.
                if reader.fieldnames != columns:
                    raise ValidationError(
                        "results",
                        described(f"{str(folder / name)!r} with other columns"),
                        f"{allowed} (columns {', '.join(columns)})",
                    )
                rows = []
                for r in reader:
                    if None in r or None in r.values():
                        raise ValidationError(
                            "results",
                            described(
                                f"{str(folder / name)!r} with a row of the wrong "
                                f"length (line {reader.line_num})"
                            ),
                            allowed,
                        )
                    rows.append({k: _parse(v) for k, v in r.items()})
                tables.append(rows)
    except (OSError, csv.Error, RecursionError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise
        # ValueError: bytes that are not UTF-8, or bad JSON.
        raise ValidationError(
            "results", described(f"{str(folder)!r} ({exc})"), allowed
        ) from None
    if not isinstance(config, dict):
        raise ValidationError(
            "results", described(f"{str(folder)!r}, whose run.json is no table"), allowed
        )
    for r in tables[0]:
        r["status"] = r["status"] if isinstance(r["status"], str) else ""
    for r in tables[1]:
        r["error"] = r["error"] if isinstance(r["error"], str) else ""
    from .runner import files_that_fit

    ctx = ReportContext(folder, config, tables[0], tables[1])
    with files_that_fit(folder, allowed + " as neuromem compare wrote it"):
        for builder in BUILTIN_SECTIONS:
            if builder is not _draw_glyphs:
                builder(ctx)
    return ctx.figures
