"""One pytest test per conformance check and registered model or rule."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import registry
from .checks import memory_checks, rule_checks

__all__ = ["parametrize_with_checks"]


def _check_id(check: Callable) -> str:
    return check.__name__.replace("check_rule_", "check_")


def parametrize_with_checks(
    models: Sequence[str] | None = None,
    rules: Sequence[str] | None = None,
    n_units: int = 16,
):
    """A ``pytest.mark.parametrize("obj, check", ...)`` over every check and registered
    model (built with ``n_units``) and rule (with defaults), one test id each:
    ``test_conformance[hopfield-check_save_load]``.

    Parameters
    ----------
    models, rules : list of str, optional
        Registry names; by default every registered model and rule, plugins included
        (``[]`` for none).
    n_units : int
        Size of the models checked (small: the kit runs in seconds).
    """
    import pytest  # only this helper needs pytest

    cases = []
    for name in registry.models.names() if models is None else models:
        for check in memory_checks():
            made = _Lazy(registry.models, name, {"n_units": n_units})
            cases.append(
                pytest.param(made, _runner(check), id=f"{name}-{_check_id(check)}")
            )
    for name in registry.rules.names() if rules is None else rules:
        for check in rule_checks():
            made = _Lazy(registry.rules, name, {})
            cases.append(
                pytest.param(made, _runner(check), id=f"{name}-{_check_id(check)}")
            )
    return pytest.mark.parametrize("obj, check", cases)


class _Lazy:
    """Creates the object by name when the test runs, not when pytest collects it (a
    plugin may be installed by a fixture)."""

    def __init__(self, kind: registry.Registry, name: str, params: dict[str, Any]):
        self.kind, self.name, self.params = kind, name, params

    def __call__(self):
        return self.kind.create(self.name, **self.params)

    def __repr__(self) -> str:
        return self.name


def _runner(check: Callable) -> Callable:
    def run(obj):
        check(obj() if isinstance(obj, _Lazy) else obj)

    run.__name__ = run.__qualname__ = check.__name__
    run.__doc__ = check.__doc__
    return run
