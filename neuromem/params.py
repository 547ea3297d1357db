"""Parameter handling shared by models and rules (scikit-learn's convention).

``__init__`` stores its keyword arguments as attributes of the same name; learned state
lives in attributes ending in ``_``. ``get_params`` reads the signature, so a class never
lists its parameters twice.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["Parametrized", "StatefulMixin", "learned_attributes"]


class Parametrized:
    """Mixin giving ``get_params``, ``clone`` and a readable ``repr``."""

    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the constructor's parameters, in signature order."""
        sig = inspect.signature(cls.__init__)
        names = []
        for p in list(sig.parameters.values())[1:]:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must not take *args or **kwargs")
            names.append(p.name)
        return names

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters this object was made with."""
        return {name: getattr(self, name) for name in self.param_names()}

    def clone(self):
        """A new, unfitted object with the same parameters."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        shown = []
        for name, value in self.get_params().items():
            default = sig.parameters[name].default
            try:
                same = value is default or bool(value == default)
            except Exception:  # arrays and other objects without a scalar ==
                same = False
            if not same:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


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
