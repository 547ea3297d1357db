"""Conformance checks that every model and rule, built-in or third-party, should pass.

Like scikit-learn's ``check_estimator`` and ``parametrize_with_checks``: each check is a
function of its own that raises ``AssertionError`` saying what broke.
:func:`check_memory` and :func:`check_rule` run them all on one object;
:func:`parametrize_with_checks` makes one pytest test per check and registered model or
rule, plugins included, so a plugin author's suite runs exactly the kit neuromem's runs::

    from neuromem.testing import parametrize_with_checks

    @parametrize_with_checks(models=["my-model"], rules=["my-rule"])
    def test_conformance(obj, check):
        check(obj)

>>> import neuromem as nm
>>> from neuromem.testing import check_memory, check_rule
>>> check_rule(nm.create_rule("hebbian"))
>>> X = nm.patterns.random_bipolar(4, 64, seed=0)
>>> check_memory(nm.create("hopfield", n_units=64, seed=0), X)
"""

from .checks import (
    Sample,
    check_bad_input,
    check_clone,
    check_memory,
    check_memory_estimate,
    check_params,
    check_record,
    check_rule,
    check_rule_bad_input,
    check_rule_delta,
    check_rule_layouts,
    check_rule_params,
    check_rule_tags,
    check_save_load,
    check_seeded,
    check_set_params,
    check_store_recall,
    check_tags,
    memory_checks,
    rule_checks,
    sample_for,
)
from .parametrize import parametrize_with_checks

__all__ = [
    "Sample",
    "check_bad_input",
    "check_clone",
    "check_memory",
    "check_memory_estimate",
    "check_params",
    "check_record",
    "check_rule",
    "check_rule_bad_input",
    "check_rule_delta",
    "check_rule_layouts",
    "check_rule_params",
    "check_rule_tags",
    "check_save_load",
    "check_seeded",
    "check_set_params",
    "check_store_recall",
    "check_tags",
    "memory_checks",
    "parametrize_with_checks",
    "rule_checks",
    "sample_for",
]
