"""Plugin registries for models and learning rules.

Models and rules are found through the entry-point groups ``neuromem.models`` and
``neuromem.rules``. neuromem registers its own built-ins there too, so a third-party
distribution extends neuromem exactly the way neuromem extends itself::

    [project.entry-points."neuromem.rules"]
    my-rule = "my_package.rules:MyRule"

A name is taken once: a second distribution claiming it is refused with a warning naming
both. A plugin that fails to import is a warning naming its distribution; everything
else keeps working. Registries load lazily, on first use.
"""

from __future__ import annotations

import importlib.metadata as metadata
import warnings
from typing import Any

from .errors import PluginWarning, ValidationError, described
from .validation import check_options

__all__ = [
    "Registry",
    "create",
    "create_rule",
    "list_models",
    "list_rules",
    "models",
    "register_model",
    "register_rule",
    "rules",
]

OWN_DISTRIBUTION = "neuromem"


class Registry:
    """Names to classes, filled from one entry-point group.

    Parameters
    ----------
    group : str
        Entry-point group (``"neuromem.models"``).
    kind : str
        What is registered, for messages (``"model"``).
    base : type
        The class every registered object must derive from (imported lazily as a
        ``"module:Class"`` string to avoid import cycles).
    """

    def __init__(self, group: str, kind: str, base: str):
        self.group = group
        self.kind = kind
        self._base_path = base
        self._entries: dict[str, type] | None = None
        self._origins: dict[str, str] = {}
        self._values: dict[str, str] = {}

    @property
    def base(self) -> type:
        module, _, attr = self._base_path.partition(":")
        return getattr(__import__(module, fromlist=[attr]), attr)

    def _load(self) -> dict[str, type]:
        if self._entries is not None:
            return self._entries
        self._entries = {}
        eps = list(metadata.entry_points(group=self.group))
        # Built-ins first: a plugin cannot take over a name neuromem itself uses.
        eps.sort(
            key=lambda ep: (_dist_name(ep) != OWN_DISTRIBUTION, _dist_name(ep), ep.name)
        )
        for ep in eps:
            dist = _dist_name(ep)
            if ep.name in self._entries:
                # The same distribution may be visible twice (an editable install seen
                # both from site-packages and the source tree): not a conflict.
                if self._values[ep.name] == ep.value:
                    continue
                warnings.warn(
                    f"{self.kind} name {ep.name!r} from distribution {dist!r} refused: "
                    f"already registered by {self._origins[ep.name]!r}",
                    PluginWarning,
                    stacklevel=3,
                )
                continue
            try:
                obj = ep.load()
            except Exception as exc:
                warnings.warn(
                    f"could not load {self.kind} plugin {ep.name!r} ({ep.value}) from "
                    f"distribution {dist!r}: {type(exc).__name__}: {exc}; the other "
                    f"{self.kind}s keep working",
                    PluginWarning,
                    stacklevel=3,
                )
                continue
            if not (isinstance(obj, type) and issubclass(obj, self.base)):
                warnings.warn(
                    f"{self.kind} plugin {ep.name!r} from distribution {dist!r} refused: "
                    f"{ep.value} is not a subclass of {self.base.__name__}",
                    PluginWarning,
                    stacklevel=3,
                )
                continue
            self._entries[ep.name] = obj
            self._origins[ep.name] = dist
            self._values[ep.name] = ep.value
        return self._entries

    def reload(self) -> None:
        """Forget what was loaded; the next use reads the entry points again."""
        self._entries = None
        self._origins = {}
        self._values = {}

    def register(self, name: str, cls: type, origin: str = "register()") -> type:
        """Register ``cls`` under ``name`` for this process (a duplicate is refused).

        The one exception: a class registered by ``register()`` is replaced by a new
        definition of itself (same module and qualified name), so that re-running the
        notebook cell that defines and registers a class works.
        """
        entries = self._load()
        if not isinstance(name, str) or not name:
            raise ValidationError("name", name, f"a non-empty {self.kind} name")
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise ValidationError("cls", cls, f"a subclass of {self.base.__name__}")
        old = entries.get(name)
        redefined = (
            old is not None
            and origin == self._origins.get(name) == "register()"
            and (old.__module__, old.__qualname__) == (cls.__module__, cls.__qualname__)
        )
        if name in entries and not redefined:
            raise ValidationError(
                "name",
                name,
                f"a {self.kind} name not already registered ({name!r} is registered by "
                f"{self._origins[name]!r})",
            )
        entries[name] = cls
        self._origins[name] = origin
        self._values[name] = f"{cls.__module__}:{cls.__qualname__}"
        return cls

    def name_of(self, obj: Any) -> str | None:
        """The name a class (or an instance's class) is registered under, or None.

        This is the one source of a model's or rule's name: model files record it and
        :func:`neuromem.load` creates the object from it. A class registered under
        several names answers the one it declares as ``name``, else the first.
        """
        cls = obj if isinstance(obj, type) else type(obj)
        keys = sorted(k for k, c in self._load().items() if c is cls)
        if not keys:
            return None
        declared = cls.__dict__.get("_declared_name")
        return declared if declared in keys else keys[0]

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._load())

    def origin(self, name: str) -> str:
        """The distribution (or ``register()``) that provided ``name``."""
        self.get(name)
        return self._origins[name]

    def get(self, name: str) -> type:
        """The class registered under ``name``; the error lists the known names."""
        entries = self._load()
        if isinstance(name, str) and name in entries:
            return entries[name]
        known = ", ".join(repr(n) for n in sorted(entries)) or "none"
        raise ValidationError(
            self.kind, name, f"a registered {self.kind} name: one of {known}"
        )

    def create(self, name: str | type, /, **params: Any):
        """Instantiate a registered class, refusing unknown parameters by name."""
        cls = (
            name
            if isinstance(name, type) and issubclass(name, self.base)
            else self.get(name)
        )
        label = name if isinstance(name, str) else cls.__name__
        check_options(params, f"{self.kind} {label!r}", cls.param_names())
        defaults = cls.param_defaults()
        missing = [n for n in cls.param_names() if n not in defaults and n not in params]
        if missing:
            raise ValidationError(
                missing[0],
                described("no value"),
                f"a value: {self.kind} {label!r} requires "
                + ", ".join(f"{n}=..." for n in missing),
            )
        obj = cls(**params)
        from .memory_probe import check_created

        check_created(obj, params, label, f"{self.kind} {label!r}")
        return obj

    def __contains__(self, name: object) -> bool:
        return name in self._load()


class RegisteredName:
    """``cls.name`` / ``obj.name``: the registry key of the class (read only).

    Falls back to the class's ``__name__`` for a class that is not registered (error
    messages still name it; saving it to a file is refused).
    """

    def __init__(self, registry: str | Registry):
        self.registry = registry  # a registry of this module by name, or any Registry

    def __get__(self, obj: Any, owner: type | None = None) -> str:
        cls = type(obj) if owner is None else owner
        reg = self.registry
        found = (globals()[reg] if isinstance(reg, str) else reg).name_of(cls)
        return cls.__dict__.get("_declared_name", cls.__name__) if found is None else found

    @staticmethod
    def take_declared(cls: type) -> None:
        """Called by ``__init_subclass__``: a class's own ``name = "..."`` cannot
        override the registry key. It is kept only to choose among several names the
        class is registered under (and to name an unregistered class in messages), and
        is removed, so that ``name`` reads the registry like every other class's."""
        declared = cls.__dict__.get("name")
        if isinstance(declared, str):
            cls._declared_name = declared
            delattr(cls, "name")

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(
            "name is read-only: it is the name the class is registered under"
        )


def _dist_name(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "an unknown distribution"


#: Registry of memory models (entry-point group ``neuromem.models``).
models = Registry("neuromem.models", "model", "neuromem.models.base:Memory")
#: Registry of learning rules (entry-point group ``neuromem.rules``).
rules = Registry("neuromem.rules", "rule", "neuromem.rules.base:LearningRule")


def list_models() -> list[str]:
    """Names of every registered memory model, plugins included."""
    return models.names()


def list_rules() -> list[str]:
    """Names of every registered learning rule, plugins included."""
    return rules.names()


def create(name: str, /, **params: Any):
    """Create a memory model by registry name.

    Parameters
    ----------
    name : str
        A name from :func:`list_models` (or a Memory subclass).
    **params
        The model's parameters; an unknown one is a :class:`ValidationError`.

    Examples
    --------
    >>> import neuromem as nm
    >>> mem = nm.create("hopfield", n_units=64, seed=0)
    """
    return models.create(name, **params)


def create_rule(name: str, /, **params: Any):
    """Create a learning rule by registry name (see :func:`list_rules`)."""
    return rules.create(name, **params)


def register_model(name: str, cls: type) -> type:
    """Register a model class under ``name`` in this process (no duplicates; a new
    definition of the same class, from a re-run notebook cell, replaces it)."""
    return models.register(name, cls)


def register_rule(name: str, cls: type) -> type:
    """Register a rule class under ``name`` in this process (no duplicates; a new
    definition of the same class, from a re-run notebook cell, replaces it)."""
    return rules.register(name, cls)
