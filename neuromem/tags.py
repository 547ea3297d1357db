"""What a model or a learning rule is, declared in one structure.

Experiments, the comparison and the conformance kit read these tags; they never test a
model's or a rule's name. The model is scikit-learn's ``__sklearn_tags__``: a class
declares its tags by overriding ``__neuromem_tags__`` (an instance method, because some
tags follow the parameters, e.g. a Hopfield network with ``units="binary"`` works in the
sparse regime), starting from the base class's tags and replacing what differs::

    def __neuromem_tags__(self) -> ModelTags:
        return dataclasses.replace(super().__neuromem_tags__(), family="my family")

:func:`get_tags` is the one way to read them.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any

from .errors import ValidationError
from .registry import models, rules
from .validation import ENCODINGS

__all__ = [
    "ENCODINGS",
    "CapacitySearch",
    "ModelTags",
    "RuleTags",
    "TagAlias",
    "declare_legacy",
    "get_tags",
    "legacy_tags",
]

#: Pattern regimes a comparison tests a model in: dense +/-1 patterns, or sparse 0/1.
REGIMES = ("bipolar", "sparse")


@dataclass(frozen=True)
class CapacitySearch:
    """Where a comparison can measure a model's capacity, when its regime's size cannot.

    A model whose capacity grows fast with N (a dense network of order n: about
    N^(n-1) patterns; a modern network: exponentially many) never fails at any load a
    comparison can afford at the regime's size, so its capacity would only be a lower
    bound. It declares a smaller network and a larger load range, and which of its
    parameters the measured value depends on, so that reports state them.

    Attributes
    ----------
    n_units : int, optional
        Network size N of its capacity and basin searches (None: the regime's).
    max_load : float, optional
        Largest load P/N a capacity search stores (None: the regime's maximum).
    conditions : tuple of str
        Names of the parameters the measured capacity depends on (``("order",)``),
        reported with their values beside it.
    """

    n_units: int | None = None
    max_load: float | None = None
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelTags:
    """Capabilities of a memory model.

    Attributes
    ----------
    family : str
        The family it belongs to, as reports group it ("classical Hopfield", ...).
    encodings : tuple of str
        Pattern encodings ``store`` accepts (see ``ENCODINGS``).
    regime : str
        The pattern regime it is compared in: ``"bipolar"`` or ``"sparse"``.
    auto_associative : bool
        ``store(X)`` then ``recall(cues)`` completes patterns.
    hetero_associative : bool
        ``store(keys, values)`` is supported.
    sequence : bool
        ``recall`` follows a trajectory through stored transitions.
    energy : bool
        An energy is defined (``energy(states)``, ``record="energies"``).
    stochastic_recall : bool
        ``recall`` draws from the model's random stream.
    theory : tuple of str
        Keys of :data:`neuromem.theory.ANCHORS` that give its published results.
    variants : tuple of (str, dict)
        Extra labelled parameter sets that a comparison runs as rows of their own,
        e.g. ``("willshaw-adaptive", {"threshold": "adaptive"})``.
    per_rule : bool
        Its ``rule`` parameter takes any storage rule, and a comparison runs one row
        per registered rule whose :class:`RuleTags` fit it (``"hopfield-storkey"``...).
    capacity_search : CapacitySearch
        Size, load range and conditions of its capacity searches in a comparison
        (by default the regime's).
    """

    family: str = "other"
    encodings: tuple[str, ...] = ("bipolar",)
    regime: str = "bipolar"
    auto_associative: bool = True
    hetero_associative: bool = False
    sequence: bool = False
    energy: bool = False
    stochastic_recall: bool = False
    theory: tuple[str, ...] = ()
    variants: tuple[tuple[str, dict[str, Any]], ...] = field(default=())
    per_rule: bool = False
    capacity_search: CapacitySearch = field(default_factory=CapacitySearch)


@dataclass(frozen=True)
class RuleTags:
    """Capabilities of a learning rule.

    Attributes
    ----------
    encodings : tuple of str
        Activity encodings the rule is meant for.
    needs_signal : bool
        ``delta`` needs a third factor (an error, a modulator): it cannot store
        patterns on its own.
    temporal : bool
        It learns transitions between consecutive rows (``pre`` at t, ``post`` at
        t + 1), so it needs at least two rows at once and makes a sequence memory.
    symmetric : bool
        It keeps a recurrent weight matrix symmetric, so asynchronous dynamics never
        raise the energy.
    incremental : bool
        A second ``store`` adds to what is there (rather than recomputing from all).
    theory : tuple of str
        Keys of :data:`neuromem.theory.ANCHORS` for its published results.
    """

    encodings: tuple[str, ...] = ("bipolar",)
    needs_signal: bool = False
    temporal: bool = False
    symmetric: bool = True
    incremental: bool = True
    theory: tuple[str, ...] = ()


def get_tags(obj: Any) -> ModelTags | RuleTags:
    """Return the tags of a model or rule (an instance, or a class built with defaults).

    A class is built with its defaults, and ``n_units=8`` when it requires a size.

    Parameters
    ----------
    obj : Memory or LearningRule, instance or class, or a registered name
        A name is looked up in the models' and the rules' registries; ``"hebbian"``,
        which names both, is refused (pass ``nm.create_rule("hebbian")`` or the
        model).

    Returns
    -------
    ModelTags or RuleTags
    """
    if isinstance(obj, str):
        obj = _registered(obj)
    if isinstance(obj, type):
        obj = _example(obj)
    tags = getattr(obj, "__neuromem_tags__", None)
    if tags is None:
        raise ValidationError("obj", obj, "a neuromem Memory or LearningRule")
    return _checked(tags(), type(obj).__name__)


#: Regimes and the encodings in which a model can be given their patterns.
_REGIME_ENCODINGS = {"bipolar": ("bipolar", "real"), "sparse": ("binary", "real")}


def _checked(tags: Any, owner: str) -> ModelTags | RuleTags:
    """``tags`` if every tag has its type and known values (not the theory anchors,
    which :mod:`neuromem.theory` holds: the conformance kit checks those)."""
    where = f"{owner}.__neuromem_tags__()"
    if not isinstance(tags, ModelTags | RuleTags):
        raise ValidationError(where, tags, "a ModelTags or RuleTags")
    for f in dataclasses.fields(tags):
        value = getattr(tags, f.name)
        if f.type == "bool" and not isinstance(value, bool):
            raise ValidationError(f"{where}.{f.name}", value, "a bool")
        if f.type == "str" and not isinstance(value, str):
            raise ValidationError(f"{where}.{f.name}", value, "a str")
    enc, theory = tags.encodings, tags.theory
    if not (isinstance(enc, tuple) and enc and set(enc) <= set(ENCODINGS)):
        raise ValidationError(f"{where}.encodings", enc, f"a tuple of {ENCODINGS}")
    if not (isinstance(theory, tuple) and all(isinstance(t, str) for t in theory)):
        raise ValidationError(f"{where}.theory", theory, "a tuple of anchor keys")
    if isinstance(tags, RuleTags):
        return tags
    if tags.regime not in REGIMES:
        raise ValidationError(f"{where}.regime", tags.regime, f"one of {REGIMES}")
    if not set(_REGIME_ENCODINGS[tags.regime]) & set(enc):
        raise ValidationError(
            f"{where}.regime",
            tags.regime,
            f"a regime whose patterns it stores (its encodings are {enc})",
        )
    variants = tags.variants
    if not (
        isinstance(variants, tuple)
        and all(
            isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str)
            and isinstance(v[1], dict) for v in variants
        )
    ):  # fmt: skip
        raise ValidationError(f"{where}.variants", variants, "a tuple of (label, dict)")
    if not isinstance(tags.capacity_search, CapacitySearch):
        raise ValidationError(
            f"{where}.capacity_search", tags.capacity_search, "a CapacitySearch"
        )
    return tags


def _registered(name: str) -> type:
    """The model or rule class registered under ``name``."""
    found = [r.get(name) for r in (models, rules) if name in r]
    if len(found) == 1:
        return found[0]
    if found:
        raise ValidationError(
            "obj",
            name,
            "a name of one kind: it names a model and a rule (pass "
            f"nm.create({name!r}, n_units=...) or nm.create_rule({name!r}))",
        )
    raise ValidationError(
        "obj",
        name,
        "a neuromem Memory or LearningRule, or a registered name "
        "(nm.list_models(), nm.list_rules())",
    )


#: Values for required constructor parameters when tags are read from a class.
_REQUIRED = {"n_units": 8}


def _example(cls: type) -> Any:
    names = getattr(cls, "param_names", None)
    defaults = getattr(cls, "param_defaults", None)
    if names is None or defaults is None:
        raise ValidationError("obj", cls, "a neuromem Memory or LearningRule")
    missing = [n for n in names() if n not in defaults()]
    return cls(**{n: _REQUIRED[n] for n in missing if n in _REQUIRED})


class TagAlias:
    """A deprecated read-only alias of one tag (``mem.encodings`` for
    ``get_tags(mem).encodings``), kept for code written before the tags.

    Read on a class, it answers for an instance built with defaults (see
    :func:`~neuromem.tags.get_tags`). A subclass that still *assigns* the old class
    attribute declares that tag that way (see :func:`legacy_tags`).
    """

    def __init__(self, tag: str):
        self.tag = tag

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(
            f"{self.name!r} is read-only: declare tags by overriding __neuromem_tags__"
        )

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        warnings.warn(
            f"{self.name!r} is deprecated: read get_tags(obj).{self.tag} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        if obj is None:
            try:
                obj = _example(owner)
            except Exception as exc:  # a class that cannot be built with defaults
                raise AttributeError(
                    f"{owner.__name__}.{self.name}: build an instance to read its tags"
                ) from exc
        return getattr(get_tags(obj), self.tag)


def declare_legacy(cls: type, aliases: dict[str, str]) -> None:
    """Take the tags a new class declares as old class attributes (``__init_subclass__``
    of models and rules calls it).

    ``aliases`` maps an old attribute name to its tag. Each one declared warns (a
    ``DeprecationWarning``), is kept for :func:`legacy_tags` and is replaced by its
    :class:`TagAlias`, so that reading it warns too, as on any model.
    """
    declared = {}
    for attr, tag in aliases.items():
        value = cls.__dict__.get(attr)
        if value is None or isinstance(value, TagAlias | property):
            continue
        declared[tag] = tuple(value) if isinstance(value, list) else value
        alias = TagAlias(tag)
        alias.__set_name__(cls, attr)
        setattr(cls, attr, alias)
    if declared:
        warnings.warn(
            f"{cls.__name__} declares tags as class attributes "
            f"({', '.join(a for a in aliases if aliases[a] in declared)}): deprecated, "
            "override __neuromem_tags__ instead",
            DeprecationWarning,
            stacklevel=3,  # declare_legacy <- __init_subclass__ <- the class statement
        )
        # A subclass inherits what its bases declared, and overrides it.
        cls._legacy_tags = {**getattr(cls, "_legacy_tags", {}), **declared}


def legacy_tags(cls: type, base: ModelTags | RuleTags, aliases: dict[str, str]):
    """``base`` with the tags that ``cls`` still declares as old class attributes
    (collected by :func:`declare_legacy`).

    A plugin written before the tags (``encodings = ("binary",)`` on the class) keeps
    working; one that declares nothing inherits ``base``.
    """
    changes = {
        tag: value
        for tag, value in getattr(cls, "_legacy_tags", {}).items()
        if tag in aliases.values()
    }
    regime = getattr(base, "regime", None)
    if "encodings" in changes and regime in _REGIME_ENCODINGS:
        # Old classes had no regime: the first one their encodings allow.
        fits = [r for r in REGIMES if set(_REGIME_ENCODINGS[r]) & set(changes["encodings"])]
        if fits and regime not in fits:
            changes["regime"] = fits[0]
    return dataclasses.replace(base, **changes) if changes else base
