"""The conformance kit over every registered model and rule, plugins included."""

from __future__ import annotations

from neuromem.testing import parametrize_with_checks


@parametrize_with_checks()
def test_conformance(obj, check):
    check(obj)


@parametrize_with_checks(models=["toy-memory"], rules=["toy-hebb"])
def test_conformance_of_the_plugin_distribution(obj, check, toy_plugin):
    """tests/plugin_dist, installed as a distribution: the same kit, the same ids."""
    check(obj)
