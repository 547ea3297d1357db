"""Which models ``neuromem compare`` measures, read from their tags, and which it leaves out.

Every registered model is a candidate with its default parameters; a model whose tags
say ``per_rule`` adds one entry per registered storage rule that fits it, and every model
adds its tagged ``variants``. Nothing here knows a model by name: what a model is
(family, regime, auto-associative or not, theory anchors) and what a rule needs (a third
factor, a sequence of rows) come from :func:`neuromem.tags.get_tags`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import patterns
from ...errors import ValidationError, described
from ...registry import list_models, list_rules
from ...registry import models as model_registry
from ...registry import rules as rule_registry
from ...tags import ModelTags, RuleTags, get_tags
from ...validation import check_float, check_int
from .. import estimators as est
from ..spec import ModelSpec, build_model
from ..trial import model_encoding, store_patterns, to_model
from .regimes import BASIN_FRACTIONS, CUE_NOISE, SPARSE_PANEL, regimes

__all__ = [
    "compare_config",
    "entries_and_left_out",
    "left_out_text",
    "model_entries",
    "model_tags",
]

#: Why a candidate is left out, by the tag that rules it out.
NEEDS_SIGNAL = "its storage rule needs a third factor, an error or a modulatory signal"
TEMPORAL = "its storage rule learns transitions: a sequence memory, not patterns"
SEQUENCE = "its recall follows a sequence: not an auto-associative memory"
NOT_AUTO = "not an auto-associative memory"


def model_tags(mem: Any) -> ModelTags:
    """The model's tags; for an object that declares none (a plugin that is no
    :class:`~neuromem.Memory`), what its ``encodings`` attribute implies."""
    try:
        return get_tags(mem)
    except ValidationError:
        encs = tuple(getattr(mem, "encodings", ("bipolar",)))
        dense = "bipolar" in encs or "real" in encs
        return ModelTags(encodings=encs, regime="bipolar" if dense else "sparse")


def _encoding(regime: str) -> str:
    return "bipolar" if regime == "bipolar" else "binary"


def _rule_tags(rule: str) -> RuleTags:
    try:
        return get_tags(rule_registry.get(rule))
    except Exception:  # a plugin rule that cannot be built with defaults: no claims
        return RuleTags()


def _rule_in_use(mem: Any) -> str | None:
    """The registry name of the storage rule a stored model uses (None if unknown)."""
    net = getattr(mem, "network_", None)
    names = {
        getattr(s.rule, "name", None)
        for s in getattr(net, "synapses", ())
        if getattr(s, "rule", None) is not None
    }
    return names.pop() if len(names) == 1 else None


def _probe(spec: ModelSpec) -> tuple[Any, str | None, str]:
    """Build ``spec``, then store and recall two patterns in it.

    Returns the stored model (None if it cannot be built), the regime its tags name
    (None when not applicable) and why it is not applicable ("" when it is).
    """
    try:
        mem = build_model(spec, 16, seed=0)
    except Exception as exc:  # a plugin that cannot be built is reported, not fatal
        return (
            None,
            None,
            f"not applicable: cannot be created ({type(exc).__name__}: {exc})",
        )
    tags = model_tags(mem)
    regime = tags.regime
    src = _encoding(regime)
    encs = tuple(tags.encodings)
    enc = model_encoding(encs, src)
    if enc is None:
        return mem, None, f"not applicable: takes {encs} patterns"
    if src == "bipolar":
        x = patterns.random_bipolar(2, 16, seed=0)
    else:
        x = patterns.random_sparse(2, 16, n_active=2, seed=0)
    # A model (or storage rule) that cannot store and recall two patterns at all is
    # outside what this comparison measures, not a model of capacity 0.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store_patterns(mem, to_model(x, src, enc))
            states = np.asarray(mem.recall(to_model(x, src, enc)).states)
    except Exception as exc:  # the reason is shown in the report
        return mem, None, f"not applicable: store/recall raise {type(exc).__name__}: {exc}"
    if states.shape != x.shape:
        return (
            mem,
            None,
            (
                f"not applicable: recall returns states of shape {states.shape} for "
                f"{x.shape} cues (not auto-associative completion)"
            ),
        )
    return mem, regime, ""


def _rule_params(name: str, rule_encodings, base_regime: str, variants) -> dict[str, Any]:
    """Parameters that run a per-rule model with a rule meant for ``rule_encodings``: the
    defaults, or the first variant in a regime the rule is meant for (a rule only for 0/1
    patterns runs in the model's 0/1 variant: with +/-1 units it could not be built)."""
    if _encoding(base_regime) in rule_encodings:
        return {}
    for label, params in variants:
        try:
            mem = build_model(ModelSpec(name, dict(params), label), 16, seed=0)
        except Exception:  # a variant that cannot be built is reported as its own row
            continue
        if _encoding(model_tags(mem).regime) in rule_encodings:
            return dict(params)
    return {}


def _candidates() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every candidate entry (name, params, label) and every one left out (with why)."""
    raw: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for name in list_models():
        base = {"name": name, "params": {}, "label": name}
        try:
            tags = model_tags(build_model(ModelSpec(name, {}, name), 16, seed=0))
        except Exception:  # cannot be built: measured as "not applicable", with why
            raw.append(base)
            continue
        if not tags.auto_associative:
            out.append({**base, "reason": SEQUENCE if tags.sequence else NOT_AUTO})
            continue
        raw.append(base)
        if tags.per_rule:
            default = _rule_in_use(_probe(ModelSpec(name, {}, name))[0])
            for rule in list_rules():
                if rule == default:
                    continue
                rt = _rule_tags(rule)
                params = {
                    **_rule_params(name, rt.encodings, tags.regime, tags.variants),
                    "rule": rule,
                }
                entry = {"name": name, "params": params, "label": f"{name}-{rule}"}
                if rt.needs_signal:
                    out.append({**entry, "reason": NEEDS_SIGNAL})
                elif rt.temporal:
                    out.append({**entry, "reason": TEMPORAL})
                else:
                    raw.append(entry)
        for label, params in tags.variants:
            raw.append({"name": name, "params": dict(params), "label": label})
    _refuse_duplicate_labels([*raw, *out])
    return raw, out


def _refuse_duplicate_labels(entries: list[dict[str, Any]]) -> None:
    """Refuse two entries of one label (summary.csv would hold two rows of that name),
    naming the plugin that brought the second."""
    seen: dict[str, dict[str, Any]] = {}
    for e in entries:
        first = seen.setdefault(e["label"], e)
        if first is e:
            continue
        blame, other = (
            (e, first) if _plugin(e["name"]) or not _plugin(first["name"]) else (first, e)
        )
        raise ValidationError(
            f"label of an entry of model {blame['name']!r} in compare",
            e["label"],
            f"a label of its own (model {other['name']!r} has an entry of that label: "
            "rename the variant in the model's tags, or the model)",
        )


def _plugin(name: str) -> bool:
    return model_registry.origin(name) != "neuromem"


def _selected(raw, out, models) -> tuple[list, list]:
    known = {e["label"] for e in [*raw, *out]} | {e["name"] for e in [*raw, *out]}
    allowed = "registered model names or labels: " + ", ".join(sorted(known))
    # An empty selection (--models "" or ",,,") would compare nothing and crash while
    # formatting the empty table; a bare string or a number is no list.
    if isinstance(models, str) or not isinstance(models, Sequence | set):
        raise ValidationError("models", models, "a list of " + allowed)
    wanted = list(models)
    if not wanted:
        raise ValidationError("models", described("no model"), "one or more " + allowed)
    for w in wanted:
        if not isinstance(w, str) or w not in known:
            raise ValidationError("models", w, allowed)

    def keep(e):
        return e["label"] in wanted or e["name"] in wanted

    return [e for e in raw if keep(e)], [e for e in out if keep(e)]


def _theory(entry: dict, mem: Any) -> list[str]:
    keys = list(model_tags(mem).theory) if mem is not None else []
    rule = entry["params"].get("rule")
    if isinstance(rule, str):
        keys += [k for k in _rule_tags(rule).theory if k not in keys]
    return keys


def _family(entry: dict, mem: Any, regime: str | None) -> str:
    if _plugin(entry["name"]):
        # A plugin on +/-1 patterns is drawn in the family it declares; one that declares
        # none, or is tested on sparse patterns, beside the other plugins.
        declared = model_tags(mem).family if mem is not None else "other"
        return declared if regime == "bipolar" and declared != "other" else "plugins"
    if regime == "sparse":
        return SPARSE_PANEL
    return model_tags(mem).family if mem is not None else "other"


def _search(mem: Any, regime: str | None) -> dict[str, Any]:
    """What the model's tags change in its capacity searches (empty: nothing)."""
    if mem is None or regime is None:
        return {}
    cs = model_tags(mem).capacity_search
    out: dict[str, Any] = {}
    if cs.n_units is not None:
        out["n_units"] = check_int(cs.n_units, "capacity_search.n_units", low=4)
    if cs.max_load is not None:
        out["max_load"] = check_float(
            cs.max_load, "capacity_search.max_load", low=0, low_inclusive=False
        )
    if cs.conditions:
        names = set(mem.param_names()) if hasattr(mem, "param_names") else set()
        unknown = [c for c in cs.conditions if c not in names]
        if unknown:
            raise ValidationError(
                "capacity_search.conditions", unknown, "names of the model's parameters"
            )
        out["conditions"] = list(cs.conditions)
    return out


def entries_and_left_out(
    models: Sequence[str] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The entries compared (see :func:`model_entries`) and those left out as not
    meaningful here, each with ``name``, ``params``, ``label`` and ``reason``."""
    return _entries(models)[:2]


def _normalised(candidates: list[dict[str, Any]], kept: list[dict[str, Any]]) -> list[str]:
    """The selection that keeps ``kept``, however it was written: a registry name where
    every entry of it is kept, else the labels kept, in the candidates' order."""
    labels = {e["label"] for e in kept}
    out: list[str] = []
    for name in dict.fromkeys(e["name"] for e in candidates):
        mine = [e["label"] for e in candidates if e["name"] == name]
        if all(label in labels for label in mine):
            out.append(name)
        else:
            out.extend(label for label in mine if label in labels)
    return out


def _entries(models: Sequence[str] | None) -> tuple[list, list, list[str] | None]:
    """Entries, those left out, and the selection normalised (None: every model)."""
    raw, out = _candidates()
    selection = None
    if models is not None:
        candidates = [*raw, *out]
        raw, out = _selected(raw, out, models)
        selection = _normalised(candidates, [*raw, *out])
    entries = []
    for e in raw:
        mem, regime, status = _probe(ModelSpec(e["name"], e["params"], e["label"]))
        entries.append(
            {
                **e,
                "regime": regime,
                "status": status,
                "family": _family(e, mem, regime),
                "theory": _theory(e, mem),
            }
        )
        search = _search(mem, regime)
        if search:  # only where the tags change it: other entries stay as they were
            entries[-1]["search"] = search
    return entries, out, selection


def model_entries(models: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The models compared: every registered model, one entry per fitting storage rule
    for a model tagged ``per_rule``, and every tagged variant.

    Parameters
    ----------
    models : list of str, optional
        Keep only these: a registry name keeps all of its entries (``"hopfield"`` keeps
        every rule), a label (``"hopfield-storkey"``) that entry.

    Returns
    -------
    list of dict
        ``name``, ``params``, ``label``, ``regime`` (``"bipolar"``, ``"sparse"`` or
        None), ``status`` ("" or why the model is not applicable), ``family`` (the
        report's panel), ``theory`` (keys of :data:`neuromem.theory.ANCHORS`) and,
        where the model's tags declare a :class:`~neuromem.tags.CapacitySearch`,
        ``search`` (its ``n_units``, ``max_load`` and ``conditions``).
    """
    return entries_and_left_out(models)[0]


def left_out_text(left_out: Sequence[dict[str, Any]]) -> str:
    """One line saying which candidates were left out and why ("" if none)."""
    if not left_out:
        return ""
    return (
        "Left out, as not meaningful in this comparison: "
        + "; ".join(f"{e['label']} ({e['reason']})" for e in left_out)
        + "."
    )


def compare_config(
    quick: bool = False,
    seed: int = 0,
    repeats: int | None = None,
    models: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The configuration ``neuromem compare`` runs (JSON-ready; recorded in run.json)."""
    seed = check_int(seed, "seed", low=0)
    repeats = check_int(3 if quick else 5, "repeats") if repeats is None else repeats
    repeats = check_int(repeats, "repeats", low=2)
    entries, left_out, selection = _entries(models)
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
        "regimes": {k: r.to_dict() for k, r in regimes(quick).items()},
        "glyphs": {"text": "NEURO" if quick else "NEUROMAB", "size": 10 if quick else 12},
        # Normalised: "hopfield-storkey,hopfield" and "hopfield" are one selection.
        "models_selected": selection,
        "models": entries,
        "left_out": left_out,
    }
