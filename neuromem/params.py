"""Parameter handling shared by models and rules (scikit-learn's convention).

``__init__`` stores its keyword arguments as attributes of the same name; learned state
lives in attributes ending in ``_``. ``get_params`` reads the signature, so a class never
lists its parameters twice. An ``__init__`` that takes ``**kwargs`` and forwards them to
``super().__init__`` inherits its base classes' parameters: a subclass declares only what
it adds.
"""

from __future__ import annotations

import copy
import html
import inspect
from typing import Any, ClassVar

__all__ = ["Parametrized", "StatefulMixin", "learned_attributes"]

_EMPTY = inspect.Parameter.empty


class Parametrized:
    """Mixin giving scikit-learn's ``get_params`` / ``set_params``, ``clone`` (also
    through :func:`sklearn.base.clone`) and a readable ``repr`` / ``_repr_html_``."""

    #: Parameters that shape the learned state: ``set_params`` refuses to change them
    #: once something has been learned (clone first). Names a class does not take are
    #: ignored.
    _state_params: ClassVar[frozenset[str]] = frozenset()
    #: For a parameter of ``_state_params``: how to change it on a stored model.
    _state_param_fixes: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        own = inspect.signature(init).parameters.values()
        if not any(p.kind == p.VAR_KEYWORD for p in own):
            cls.__signature__ = None  # the ordinary signature (not a base class's)
            return
        # help() and inspect.signature show the parameters **kwargs passes on to the
        # base classes (keyword-only there), rather than "**kwargs".
        params = list(cls._signature_params().values())
        named = {p.name for p in own}
        cls.__signature__ = inspect.Signature(
            [p if p.name in named else p.replace(kind=p.KEYWORD_ONLY) for p in params]
        )

    @classmethod
    def _signature_params(cls) -> dict[str, inspect.Parameter]:
        """Constructor parameters by name, in order, collected up the class hierarchy.

        An ``__init__`` with ``**kwargs`` passes them on to its base class, so the next
        ``__init__`` in the method resolution order contributes its parameters too
        (those not already named).
        """
        out: dict[str, inspect.Parameter] = {}
        seen = set()
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None or init in seen or klass is object:
                continue
            seen.add(init)
            more = False
            for p in list(inspect.signature(init).parameters.values())[1:]:
                if p.kind == p.VAR_POSITIONAL:
                    raise TypeError(f"{cls.__name__}.__init__ must not take *args")
                if p.kind == p.VAR_KEYWORD:
                    more = True
                elif p.name not in out:
                    out[p.name] = p
            if not more:
                return out
        return out

    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the constructor's parameters, in signature order (own first, then
        those inherited through ``**kwargs``)."""
        return list(cls._signature_params())

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """Default of every parameter that has one."""
        return {
            n: p.default
            for n, p in cls._signature_params().items()
            if p.default is not _EMPTY
        }

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The constructor parameters this object was made with.

        Parameters
        ----------
        deep : bool
            Also return the parameters of parameters that have ``get_params`` (a rule
            instance given to a model), as ``"rule__learning_rate"`` (scikit-learn's
            convention); for a rule given by name with ``rule_options``, those of the
            rule the model builds from them. Off by default, unlike scikit-learn, so that
            ``type(obj)(**obj.get_params())`` rebuilds the object (model files rely on
            it); scikit-learn always passes ``deep`` explicitly.
        """
        out = {name: getattr(self, name) for name in self.param_names()}
        if deep:
            for name, value in list(out.items()):
                if _by_name(self, name, value):
                    value = getattr(self, f"_make_{name}")()
                if hasattr(value, "get_params") and not isinstance(value, type):
                    for sub, v in value.get_params(deep=True).items():
                        out[f"{name}__{sub}"] = v
        return out

    def set_params(self, **params: Any):
        """Set parameters (``rule__learning_rate`` for a parameter's own); returns self.

        For a rule given by name, ``rule__x`` sets ``x`` in ``rule_options``.

        The new values are validated exactly as the constructor validates them (a
        :class:`~neuromem.ValidationError` names the parameter and leaves the object
        unchanged). Learned state is kept; a parameter that shapes it (``n_units``,
        ``rule``, ``dtype``, ...) cannot change once something is stored: use
        ``clone().set_params(...)``.
        """
        from .errors import ValidationError, described

        if not params:
            return self
        names = self.param_names()
        own: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in names:
                raise ValidationError(
                    key,
                    described(f"a parameter of {type(self).__name__}"),
                    f"one of {names}",
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                own[name] = value
        current = {name: getattr(self, name) for name in names}
        merged = {**current, **own}
        spelled: dict[str, str] = {}  # an option's name as the caller spelled it
        for name, subs in nested.items():
            inner = merged[name]
            if _by_name(self, name, inner) and isinstance(
                merged[f"{name}_options"], dict | None
            ):
                known = _built_params(self, name, merged)
                for sub in subs:
                    if known is not None and sub not in known:
                        raise ValidationError(
                            f"{name}__{sub}",
                            described(f"a parameter of {name}={inner!r}"),
                            f"one of {known}",
                        )
                merged[f"{name}_options"] = {**(merged[f"{name}_options"] or {}), **subs}
                spelled.update({sub: f"{name}__{sub}" for sub in subs})
                continue
            if not hasattr(inner, "set_params"):
                raise ValidationError(
                    f"{name}__{next(iter(subs))}",
                    described(f"a parameter of {name}={inner!r}"),
                    f"a parameter of an object with set_params ({name} has none)",
                )
            inner = inner.clone() if hasattr(inner, "clone") else copy.deepcopy(inner)
            try:
                merged[name] = inner.set_params(**subs)
            except ValidationError as exc:
                # Name the parameter as the caller spelled it (rule__bogus), not as
                # the inner object knows it (bogus).
                if exc.param in subs:
                    raise ValidationError(
                        f"{name}__{exc.param}", exc.given, exc.allowed
                    ) from None
                raise
        # Validated first: a value refused before store is refused with the same
        # message after it (not as a parameter that shapes what is stored).
        try:
            fresh = type(self)(**merged)  # validates every value as __init__ does
        except ValidationError as exc:
            if exc.param in spelled:
                raise ValidationError(spelled[exc.param], exc.given, exc.allowed) from None
            for name in own:  # options kept from the former rule that the new one refuses
                kept = merged.get(f"{name}_options") if f"{name}_options" in names else None
                if (
                    kept
                    and f"{name}_options" not in own
                    and exc.param.startswith(f"{name} ")
                ):
                    raise ValidationError(
                        exc.param,
                        exc.given,
                        f"{exc.allowed} ({name}_options={kept!r} are kept from "
                        f"{name}={current[name]!r}: pass {name}_options=None, or the "
                        f"options of {name}={own[name]!r}, with it)",
                    ) from None
            raise
        if learned_attributes(self):
            changed = [
                n
                for n in self._state_params
                if n in merged and not _same(merged[n], current[n])
            ]
            if changed:
                name = changed[0]
                # A parameter with a method of its own that changes it on a stored
                # model (a 0/1 Hopfield network's set_threshold) points to it.
                fix = self._state_param_fixes.get(
                    name, "use clone().set_params(...) for a new model"
                )
                raise ValidationError(
                    name,
                    merged[name],
                    f"the current value {current[name]!r}: it shapes what is "
                    f"already stored ({fix})",
                )
        reseed = "seed" in own and not _same(merged["seed"], current.get("seed"))
        for name in names:
            setattr(self, name, getattr(fresh, name))
        if reseed and learned_attributes(self) and hasattr(self, "_reseed"):
            # A seed that drives only the recall streams: they restart from it, as
            # those of a model built with it.
            self._reseed()
        return self

    def clone(self):
        """A new, unfitted object with the same parameters (copied, not shared)."""
        params = {}
        for name, value in self.get_params(deep=False).items():
            if isinstance(value, Parametrized):
                value = value.clone()
            elif not isinstance(value, type):
                value = copy.deepcopy(value)
            params[name] = value
        return type(self)(**params)

    def __sklearn_clone__(self):
        # sklearn.base.clone asks the object itself (scikit-learn >= 1.3): validated
        # constructors store parameters in canonical form, which sklearn's generic
        # identity check would refuse.
        return self.clone()

    def _non_default(self) -> dict[str, Any]:
        defaults = self.param_defaults()
        shown = {}
        for name, value in self.get_params(deep=False).items():
            if name in defaults and _same(value, defaults[name]):
                continue
            shown[name] = value
        return shown

    def _stored_note(self) -> str:
        n = getattr(self, "n_stored_", None)
        if n is None:
            return ""
        return f"{int(n)} pattern{'s' if int(n) != 1 else ''} stored"

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._non_default().items())
        note = self._stored_note()
        return f"{type(self).__name__}({args})" + (f"  # {note}" if note else "")

    def _repr_html_(self) -> str:
        """A table of the parameters for notebooks (non-default ones in bold)."""
        shown = self._non_default()
        rows = []
        for name, value in self.get_params(deep=False).items():
            cell = html.escape(repr(value))
            if name in shown:
                cell = f"<b>{cell}</b>"
            rows.append(
                f"<tr><td style='text-align:left'>{html.escape(name)}</td>"
                f"<td style='text-align:left'>{cell}</td></tr>"
            )
        note = self._stored_note()
        caption = html.escape(type(self).__name__) + (
            f" &mdash; {html.escape(note)}" if note else ""
        )
        return (
            f"<table><caption style='text-align:left'><code>{caption}</code></caption>"
            "<tr><th>parameter</th><th>value</th></tr>" + "".join(rows) + "</table>"
        )


def _by_name(obj: Any, name: str, value: Any) -> bool:
    """Whether parameter ``name`` is given by name (or None, a default) with its own
    parameters in ``<name>_options``, built by ``_make_<name>()`` (a model's rule)."""
    return (
        (value is None or isinstance(value, str))
        and f"{name}_options" in obj.param_names()
        and callable(getattr(obj, f"_make_{name}", None))
    )


def _built_params(obj: Any, name: str, params: dict[str, Any]) -> list[str] | None:
    """Parameter names of what ``obj`` with ``params`` builds for ``name`` (without its
    options), or None if it builds nothing valid (the constructor then says why)."""
    probe = copy.copy(obj)
    vars(probe).update({**params, f"{name}_options": None})
    try:
        return list(getattr(probe, f"_make_{name}")().param_names())
    except Exception:
        return None


def _same(a: Any, b: Any) -> bool:
    """Equal for display and change detection (arrays and odd objects: identity)."""
    if a is b:
        return True
    if isinstance(a, Parametrized) and type(a) is type(b):
        # Rule instances: equal parameters are the same value. Identity alone refused
        # ``set_params(rule__learning_rate=<its current value>)`` after a store, with
        # "got Storkey(); expected the current value Storkey()".
        pa, pb = a.get_params(), b.get_params()
        return pa.keys() == pb.keys() and all(_same(pa[k], pb[k]) for k in pa)
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # arrays and other objects without a scalar ==
        return False


def learned_attributes(obj: object) -> dict[str, Any]:
    """Public attributes ending in ``_``: what an object learned (scikit-learn's rule)."""
    return {k: v for k, v in vars(obj).items() if k.endswith("_") and not k.startswith("_")}


class StatefulMixin:
    """``get_state`` / ``set_state`` over the learned attributes (names ending in ``_``).

    Used by learning rules and optimisers, whose state between presentations or steps
    (BCM's threshold, Adam's moments) is saved with the model that owns them.
    """

    def get_state(self) -> dict[str, Any]:
        """State kept between updates: attributes ending in ``_``."""
        return learned_attributes(self)

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned (used when a model file is loaded)."""
        for k, v in state.items():
            setattr(self, k, v)
