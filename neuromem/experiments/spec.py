"""Declaring an experiment: a grid of trials, in Python or in a TOML file.

An :class:`Experiment` crosses models (with their parameters) x pattern sets x loads x
cue corruption x noise levels x number of sequentially stored sets x repeats. Each point
of the grid is one :class:`Trial`; each trial becomes one row of the results table.

Validation happens here, before anything is written: a bad value raises
:class:`~neuromem.ValidationError` naming the key (and, for a TOML file, the file and
the line).
"""

from __future__ import annotations

import itertools
import json
import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ValidationError, described
from ..random import derive_seed
from ..registry import models as registry
from .building import build_model, build_topology, check_size

__all__ = ["CORRUPTIONS", "KINDS", "PATTERN_KINDS", "Experiment", "ModelSpec"]
__all__ += ["PatternSpec", "Trial", "build_model", "build_topology"]

PATTERN_KINDS = ("random_bipolar", "random_sparse", "glyphs")
CORRUPTIONS = ("flip", "mask")
KINDS = ("recall", "sequential")
#: Largest grid accepted (trials); raise it (``spec.MAX_TRIALS = ...``) or set the
#: environment variable ``NEUROMEM_MAX_TRIALS`` for a bigger sweep.
MAX_TRIALS = 1_000_000
#: Model parameters the engine sets itself for every trial.
RESERVED = ("n_units", "seed")

Where = Callable[[tuple], str]


def _plain_where(path: tuple) -> str:
    return _key_text(path)


def _key_text(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _err(where: Where, path: tuple, given: Any, allowed: str) -> ValidationError:
    return ValidationError(where(path), given, allowed)


def _is_number(v: Any) -> bool:
    # numpy counts a timedelta64 as an integer, but int() and float() refuse it.
    return isinstance(v, numbers.Real) and not isinstance(v, bool | np.timedelta64)


def _float_list(
    value: Any,
    path: tuple,
    where: Where,
    *,
    low: float,
    high: float | None,
    low_open: bool,
    what: str,
) -> tuple[float, ...]:
    if _is_number(value):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise _err(where, path, value, f"a non-empty list of {what}")
    for i, v in enumerate(value):
        bad = not _is_number(v) or not math.isfinite(float(v))
        if not bad:
            v = float(v)
            bad = v < low or (low_open and v == low) or (high is not None and v > high)
        if bad:
            raise _err(where, (*path, i), v, what)
    return tuple(float(v) for v in value)


def _str(value: Any, path: tuple, where: Where, choices: Sequence[str] | None = None):
    if not isinstance(value, str) or not value or (choices and value not in choices):
        allowed = "one of " + ", ".join(repr(c) for c in choices) if choices else "a string"
        raise _err(where, path, value, allowed)
    return value


def _int(value: Any, path: tuple, where: Where, low: int) -> int:
    if (
        isinstance(value, bool | np.timedelta64)
        or not isinstance(value, numbers.Integral)
        or value < low
    ):
        raise _err(where, path, value, f"an integer >= {low}")
    return int(value)


def _check_keys(data: Mapping, path: tuple, where: Where, allowed: Sequence[str]):
    if not isinstance(data, Mapping):
        raise _err(where, path, data, "a table (mapping)")
    for key in data:
        if key not in allowed:
            raise _err(
                where,
                (*path, key),
                described(f"unknown key {key!r}"),
                "one of the keys " + ", ".join(allowed),
            )


@dataclass(frozen=True)
class ModelSpec:
    """A model of the registry with its parameters.

    Parameters
    ----------
    name : str
        Registry name (see :func:`neuromem.list_models`).
    params : dict
        Constructor parameters other than ``n_units`` and ``seed`` (the engine sets
        those per trial). A ``topology`` parameter is given as a dict,
        ``{"kind": "erdos_renyi", "p": 0.1}`` or ``{"kind": "small_world", "k": 10,
        "p": 0.2}``, and is built per trial for the trial's ``n_units`` and seed.
    label : str, optional
        Name of the model in the results; by default the name plus its parameters.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    label: str | None = None

    @property
    def key(self) -> str:
        """The label used in the table (unique within an experiment)."""
        if self.label:
            return self.label
        if not self.params:
            return self.name
        inner = ", ".join(f"{k}={_short(v)}" for k, v in sorted(self.params.items()))
        return f"{self.name}({inner})"

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "params": dict(self.params)}
        if self.label:
            out["label"] = self.label
        return out


def _short(v: Any) -> str:
    if isinstance(v, Mapping):
        return "{" + ",".join(f"{k}={_short(x)}" for k, x in sorted(v.items())) + "}"
    return str(v)


@dataclass(frozen=True)
class PatternSpec:
    """A family of pattern sets.

    Parameters
    ----------
    kind : {"random_bipolar", "random_sparse", "glyphs"}
        :func:`neuromem.patterns.random_bipolar`, ``random_sparse`` or ``glyphs``.
    n_units : int
        Width of random patterns (glyphs are ``size * size`` wide).
    coding_level : float
        Fraction of active units of ``random_sparse`` patterns.
    text : str
        The letters of ``glyphs`` (their number fixes the set size: the load axis does
        not apply to a glyph set, whose load is ``len(text) / size**2``).
    size : int
        Glyph side in pixels.
    label : str, optional
        Name in the results (default: ``kind``, or ``glyphs:TEXT``).
    """

    kind: str = "random_bipolar"
    n_units: int = 200
    coding_level: float = 0.1
    text: str = "NEUROM"
    size: int = 12
    label: str | None = None

    @property
    def key(self) -> str:
        if self.label:
            return self.label
        if self.kind == "glyphs":
            return f"glyphs:{self.text}"
        return self.kind

    @property
    def width(self) -> int:
        return self.size * self.size if self.kind == "glyphs" else self.n_units

    @property
    def encoding(self) -> str:
        return "binary" if self.kind == "random_sparse" else "bipolar"

    @property
    def fixed_size(self) -> bool:
        return self.kind == "glyphs"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "glyphs":
            out.update(text=self.text, size=self.size)
        else:
            out["n_units"] = self.n_units
        if self.kind == "random_sparse":
            out["coding_level"] = self.coding_level
        if self.label:
            out["label"] = self.label
        return out


@dataclass(frozen=True)
class Trial:
    """One point of the grid: its index in grid order and its coordinates."""

    index: int
    model: ModelSpec
    patterns: PatternSpec
    load: float
    corruption: str
    noise: float
    sets: int
    repeat: int

    def coordinates(self) -> tuple:
        """The coordinates that name the trial (and seed it)."""
        return (
            self.model.key,
            self.patterns.key,
            self.load,
            self.corruption,
            self.noise,
            self.sets,
            self.repeat,
        )

    def seed(self, root: int) -> int:
        """The trial's seed: a function of the root seed and the coordinates only."""
        return derive_seed(root, *self.coordinates())


@dataclass(frozen=True)
class Experiment:
    """A grid of trials.

    Parameters
    ----------
    name : str
        Name of the experiment (recorded in ``run.json``; it picks the figure drawn for
        the built-in experiments).
    models : list of ModelSpec (or dicts with ``name``, ``params``, ``label``)
        The models compared.
    patterns : list of PatternSpec (or dicts)
        The pattern sets.
    loads : list of float
        Loads ``alpha = P / N`` (``P = max(1, round(alpha * N))`` patterns per set).
    noise : list of float
        Fractions of each cue corrupted, in [0, 1].
    corruption : list of {"flip", "mask"}
        Flipped units, or masked (unknown) units.
    sets : list of int
        Number of pattern sets stored one after the other (kind ``"sequential"``).
    repeats : int
        Independent repetitions of every grid point.
    seed : int
        Root seed; every trial's seed is derived from it and the trial's coordinates.
    kind : {"recall", "sequential"}
        ``"recall"``: store one set, recall it from corrupted cues. ``"sequential"``:
        store ``sets`` sets one after the other, recall all of them; the row reports the
        oldest set (``overlap_first``), the newest (``overlap_last``) and all.
    threshold : float
        Overlap at which a pattern counts as recalled (``accuracy``).
    description : str
        Free text for reports.

    Examples
    --------
    >>> from neuromem.experiments import Experiment
    >>> exp = Experiment(
    ...     "tiny", models=[{"name": "hopfield"}], patterns=[{"n_units": 64}],
    ...     loads=[0.05, 0.1], noise=[0.0, 0.1],
    ... )
    >>> len(exp.trials())
    4
    """

    name: str
    models: tuple[ModelSpec, ...]
    patterns: tuple[PatternSpec, ...]
    loads: tuple[float, ...] = (0.05,)
    noise: tuple[float, ...] = (0.0,)
    corruption: tuple[str, ...] = ("flip",)
    sets: tuple[int, ...] = (1,)
    repeats: int = 1
    seed: int = 0
    kind: str = "recall"
    threshold: float = 0.95
    description: str = ""

    def __post_init__(self):
        # Normalise and validate in place (the dataclass is frozen: use object.__setattr__).
        data = {k: getattr(self, k) for k in _FIELDS}
        data["models"] = [
            m.to_dict() if isinstance(m, ModelSpec) else m for m in data["models"]
        ]
        data["patterns"] = [
            p.to_dict() if isinstance(p, PatternSpec) else p for p in data["patterns"]
        ]
        clean = _validate(data, _plain_where)
        for k, v in clean.items():
            object.__setattr__(self, k, v)

    # -- construction -------------------------------------------------------------
    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, where: Where | None = None
    ) -> Experiment:
        """Build from a plain mapping (the shape of a TOML file, or of ``to_dict``)."""
        where = where or _plain_where
        _check_keys(data, (), where, _FIELDS)
        for key in ("name", "models", "patterns"):
            if key not in data:
                raise _err(where, (key,), described("nothing"), f"a value for {key!r}")
        clean = _validate(dict(data), where)
        self = object.__new__(cls)
        for k in _FIELDS:
            object.__setattr__(self, k, clean[k] if k in clean else _DEFAULTS[k])
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description; ``Experiment.from_dict(e.to_dict()) == e``."""
        out = {k: getattr(self, k) for k in _FIELDS}
        out["models"] = [m.to_dict() for m in self.models]
        out["patterns"] = [p.to_dict() for p in self.patterns]
        for k in ("loads", "noise", "corruption", "sets"):
            out[k] = list(out[k])
        return json.loads(json.dumps(out))

    # -- the grid -----------------------------------------------------------------
    def _axes(self) -> list[tuple[ModelSpec, PatternSpec, tuple[float, ...]]]:
        out = []
        for m, p in itertools.product(self.models, self.patterns):
            loads = (round(len(p.text) / p.width, 6),) if p.fixed_size else self.loads
            out.append((m, p, loads))
        return out

    @property
    def n_trials(self) -> int:
        """Number of trials, computed without building the grid."""
        inner = len(self.corruption) * len(self.noise) * len(self.sets) * int(self.repeats)
        return sum(len(loads) for _, _, loads in self._axes()) * inner

    def trial(self, index: int) -> Trial:
        """Trial ``index`` of the grid, found without building the others."""
        if isinstance(index, bool | np.timedelta64) or not isinstance(
            index, numbers.Integral
        ):
            raise ValidationError("index", index, "an integer trial index")
        index = int(index)
        if not 0 <= index < self.n_trials:
            raise ValidationError("index", index, f"an index in [0, {self.n_trials - 1}]")
        inner = (self.corruption, self.noise, self.sets, range(self.repeats))
        size = math.prod(len(a) for a in inner)
        rest = index
        for m, p, loads in self._axes():
            block = len(loads) * size
            if rest < block:
                li, k = divmod(rest, size)
                coords = []
                for axis in reversed(inner):
                    k, j = divmod(k, len(axis))
                    coords.append(axis[j])
                r, n_sets, z, c = coords
                return Trial(index, m, p, loads[li], c, z, n_sets, r)
            rest -= block
        raise AssertionError("unreachable")  # pragma: no cover

    def iter_trials(self) -> Iterator[Trial]:
        """Every trial in grid order, built one at a time."""
        i = 0
        for m, p, loads in self._axes():
            for load, c, z, s, r in itertools.product(
                loads, self.corruption, self.noise, self.sets, range(self.repeats)
            ):
                yield Trial(i, m, p, load, c, z, s, r)
                i += 1

    def trials(self) -> list[Trial]:
        """Every trial, in grid order (model, patterns, load, corruption, noise, sets,
        repeat)."""
        return list(self.iter_trials())

    def without_models(self, names: Sequence[str]) -> Experiment:
        """A copy without the models whose registry name is in ``names``."""
        data = self.to_dict()
        data["models"] = [m for m in data["models"] if m["name"] not in names]
        return Experiment.from_dict(data)


_FIELDS = (
    "name",
    "models",
    "patterns",
    "loads",
    "noise",
    "corruption",
    "sets",
    "repeats",
    "seed",
    "kind",
    "threshold",
    "description",
)
_DEFAULTS = {
    "loads": (0.05,),
    "noise": (0.0,),
    "corruption": ("flip",),
    "sets": (1,),
    "repeats": 1,
    "seed": 0,
    "kind": "recall",
    "threshold": 0.95,
    "description": "",
}


#: The grid's axes: (upper bound, whether 0 is excluded, what a value is).
_AXES: dict[str, tuple[float | None, bool, str]] = {
    "loads": (None, True, "a load alpha = P/N > 0"),
    "noise": (1.0, False, "a fraction of corrupted units in [0, 1]"),
}


def _validate(data: dict[str, Any], where: Where) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["name"] = _str(data["name"], ("name",), where)
    if "kind" in data:
        out["kind"] = _str(data["kind"], ("kind",), where, KINDS)
    if "description" in data and not isinstance(data["description"], str):
        raise _err(where, ("description",), data["description"], "a string")
    if "description" in data:
        out["description"] = data["description"]
    for key, (high, low_open, what) in _AXES.items():
        if key in data:
            out[key] = _float_list(
                data[key], (key,), where, low=0.0, high=high, low_open=low_open, what=what
            )
    if "corruption" in data:
        c = data["corruption"]
        c = [c] if isinstance(c, str) else c
        if not isinstance(c, list | tuple) or not c:
            raise _err(where, ("corruption",), c, "a non-empty list of 'flip', 'mask'")
        out["corruption"] = tuple(
            _str(v, ("corruption", i), where, CORRUPTIONS) for i, v in enumerate(c)
        )
    if "sets" in data:
        s = data["sets"]
        s = [s] if _is_number(s) else s
        if not isinstance(s, list | tuple) or not s:
            raise _err(where, ("sets",), s, "a non-empty list of integers >= 1")
        out["sets"] = tuple(_int(v, ("sets", i), where, 1) for i, v in enumerate(s))
    for key in ("loads", "noise", "corruption", "sets"):
        _unique(list(out.get(key, ())), key, where, label=False)
    if "repeats" in data:
        out["repeats"] = _int(data["repeats"], ("repeats",), where, 1)
    if "seed" in data:
        out["seed"] = _int(data["seed"], ("seed",), where, 0)
    if "threshold" in data:
        t = data["threshold"]
        if not _is_number(t) or not -1.0 <= float(t) <= 1.0:
            raise _err(where, ("threshold",), t, "a number in [-1, 1]")
        out["threshold"] = float(t)

    pats = data["patterns"]
    if not isinstance(pats, list | tuple) or not pats:
        raise _err(where, ("patterns",), pats, "a non-empty list of pattern sets")
    out["patterns"] = tuple(_pattern(p, ("patterns", i), where) for i, p in enumerate(pats))
    _unique([p.key for p in out["patterns"]], "patterns", where)

    models = data["models"]
    if not isinstance(models, list | tuple) or not models:
        raise _err(where, ("models",), models, "a non-empty list of models")
    width = out["patterns"][0].width
    out["models"] = tuple(
        _model(m, ("models", i), where, width) for i, m in enumerate(models)
    )
    _unique([m.key for m in out["models"]], "models", where)
    check_size(out, where, _max_trials(), _DEFAULTS["loads"])
    return out


def _max_trials() -> int:
    import os

    env = os.environ.get("NEUROMEM_MAX_TRIALS")
    try:
        return int(env) if env else MAX_TRIALS
    except ValueError:
        return MAX_TRIALS


def _unique(keys: list, section: str, where: Where, label: bool = True) -> None:
    for i, k in enumerate(keys):
        if k in keys[:i]:  # a value given twice would count its trials twice
            path, what = (
                ((section, i, "label"), "a label") if label else ((section, i), "a value")
            )
            raise _err(where, path, k, f"{what} not used by another of {section}")


def _pattern(p: Any, path: tuple, where: Where) -> PatternSpec:
    _check_keys(
        p, path, where, ("kind", "n_units", "coding_level", "text", "size", "label")
    )
    kw: dict[str, Any] = {}
    if "kind" in p:
        kw["kind"] = _str(p["kind"], (*path, "kind"), where, PATTERN_KINDS)
    if "n_units" in p:
        kw["n_units"] = _int(p["n_units"], (*path, "n_units"), where, 2)
    if "size" in p:
        kw["size"] = _int(p["size"], (*path, "size"), where, 4)
    if "text" in p:
        kw["text"] = _str(p["text"], (*path, "text"), where)
    if "label" in p:
        kw["label"] = _str(p["label"], (*path, "label"), where)
    if "coding_level" in p:
        a = p["coding_level"]
        if not _is_number(a) or not 0.0 < float(a) < 1.0:
            raise _err(where, (*path, "coding_level"), a, "a number in (0, 1)")
        kw["coding_level"] = float(a)
    kind = kw.get("kind", "random_bipolar")
    used = {"glyphs": ("text", "size"), "random_sparse": ("n_units", "coding_level")}
    for key in ("n_units", "coding_level", "text", "size"):
        if key in kw and key not in used.get(kind, ("n_units",)):
            # A key the kind does not use would be dropped from run.json: refuse it.
            raise _err(
                where, (*path, key), kw[key], f"no {key!r}: it does not apply to {kind!r}"
            )
    return PatternSpec(**kw)


def _model(m: Any, path: tuple, where: Where, n_units: int) -> ModelSpec:
    _check_keys(m, path, where, ("name", "params", "label"))
    if "name" not in m:
        raise _err(where, (*path, "name"), described("nothing"), "a registered model name")
    name = m["name"]
    if not isinstance(name, str) or name not in registry:
        known = ", ".join(registry.names()) or "none"
        raise _err(where, (*path, "name"), name, f"a registered model name: one of {known}")
    params = m.get("params", {})
    _check_keys(params, (*path, "params"), where, _param_names(registry.get(name)))
    label = _str(m["label"], (*path, "label"), where) if m.get("label") else None
    spec = ModelSpec(name, dict(params), label)
    # Build one instance now, so that a parameter of the wrong type fails before
    # anything is written rather than in every trial.
    try:
        build_model(spec, n_units, seed=0)
    except ValidationError as exc:
        key = exc.param.split(".")[-1].split("[")[0].strip()
        sub = (*path, "params", key) if key in params else (*path, "params")
        if exc.param == "n_units":  # the width comes from the first pattern set
            sub = ("patterns", 0)
        raise _err(where, sub, exc.given, exc.allowed) from None
    return spec


def _param_names(cls: type) -> list[str]:
    return [n for n in cls.param_names() if n not in RESERVED]
