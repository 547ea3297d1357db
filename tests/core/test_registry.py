"""The plugin registry: entry points, a real plugin distribution, duplicates, failures."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from neuromem.registry import models, rules
from neuromem.testing import check_memory, check_rule, check_rule_params


def test_builtins_come_from_entry_points():
    assert {"hopfield"} <= set(nm.list_models())
    assert {"hebbian", "covariance", "pseudoinverse"} <= set(nm.list_rules())
    assert models.origin("hopfield") == "neuromem"
    assert rules.origin("hebbian") == "neuromem"


def test_real_plugin_distribution_appears_and_runs(toy_plugin):
    assert "toy-memory" in nm.list_models()
    assert "toy-hebb" in nm.list_rules()
    assert models.origin("toy-memory") == "neuromem-toy-plugin"
    x = nm.patterns.random_bipolar(5, 40, seed=0)
    mem = nm.create("toy-memory", n_units=40).store(x)
    res = mem.recall(nm.patterns.flip(x, 0.2, seed=1))
    np.testing.assert_array_equal(res.states, x)
    check_memory(nm.create("toy-memory", n_units=40), x)
    # The plugin's rule drives a built-in model, exactly like a built-in rule.
    hop = nm.create("hopfield", n_units=40, rule="toy-hebb").store(x[:2])
    assert nm.metrics.overlap(hop.recall(x[:2]).states, x[:2]).min() == 1.0
    check_rule(nm.create_rule("toy-hebb"))


def test_plugin_shows_in_command_line_list(toy_plugin, capsys):
    from neuromem.cli import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "toy-memory  (plugin from neuromem-toy-plugin)" in out
    assert "hopfield" in out


def test_broken_plugin_warns_with_its_distribution_and_rest_work(site, install_metadata):
    install_metadata(
        site,
        None,
        "broken-plugin",
        {"neuromem.models": {"broken": "no_such_module_xyz:Model"}},
    )
    with pytest.warns(nm.PluginWarning, match="broken-plugin") as rec:
        names = nm.list_models()
    assert "could not load model plugin 'broken'" in str(rec[0].message)
    assert "broken" not in names and "hopfield" in names
    nm.create("hopfield", n_units=10)


def test_plugin_that_is_not_a_model_is_refused(site, install_metadata):
    install_metadata(
        site,
        None,
        "wrong-plugin",
        {"neuromem.rules": {"not-a-rule": "collections:OrderedDict"}},
    )
    with pytest.warns(nm.PluginWarning, match="not a subclass of LearningRule"):
        assert "not-a-rule" not in nm.list_rules()


def test_duplicate_name_from_plugin_is_refused(site, install_metadata):
    install_metadata(
        site, None, "copycat", {"neuromem.models": {"hopfield": "collections:OrderedDict"}}
    )
    with pytest.warns(
        nm.PluginWarning, match="'hopfield' from distribution 'copycat' refused"
    ):
        nm.list_models()
    assert nm.registry.models.get("hopfield").__name__ == "Hopfield"


def test_register_refuses_duplicates():
    from neuromem.rules.hebbian import Hebbian

    with pytest.raises(nm.ValidationError, match="already registered"):
        nm.register_rule("hebbian", Hebbian)
    with pytest.raises(nm.ValidationError, match="subclass of Memory"):
        nm.register_model("thing", dict)


def test_register_in_process_then_reload_forgets(site):
    class Twice(nm.LearningRule):
        name = "twice"

        def compute(self, pre, post, w, layout, signal=None):
            return 2 * layout.outer(post, pre)

    nm.register_rule("twice", Twice)
    assert (
        nm.create_rule("twice", learning_rate=0.5).delta([1.0], [1.0], [[0.0]])[0, 0] == 1.0
    )
    rules.reload()
    assert "twice" not in nm.list_rules()


def test_rerun_notebook_cell_replaces_its_own_registration(site):
    """Re-running the cell that defines and registers a rule used to be refused as a
    duplicate; a new definition of the same class now replaces the old one, and any
    other class under that name is still refused."""

    def cell(factor):
        class Scaled(nm.LearningRule):
            name = "scaled"

            def compute(self, pre, post, w, layout, signal=None):
                return factor * layout.outer(post, pre)

        return nm.register_rule("scaled", Scaled)

    cell(2.0)
    second = cell(3.0)
    assert nm.registry.rules.get("scaled") is second
    assert nm.create_rule("scaled").delta([1.0], [1.0], [[0.0]])[0, 0] == 3.0

    class Other(nm.LearningRule):
        def compute(self, pre, post, w, layout, signal=None):
            return layout.outer(post, pre)

    with pytest.raises(nm.ValidationError, match="already registered"):
        nm.register_rule("scaled", Other)


def test_unknown_names_list_the_known_ones():
    with pytest.raises(nm.ValidationError) as err:
        nm.create("hopfeld", n_units=10)
    assert err.value.param == "model" and "'hopfield'" in str(err.value)
    with pytest.raises(nm.ValidationError) as err:
        nm.create_rule("storky")
    assert err.value.param == "rule" and "'hebbian'" in str(err.value)


def test_unknown_keyword_is_refused_not_ignored():
    with pytest.raises(nm.ValidationError) as err:
        nm.create("hopfield", n_units=10, max_step=5)
    assert "max_step" in str(err.value) and "max_steps" in str(err.value)
    with pytest.raises(nm.ValidationError, match="learning_rat"):
        nm.create_rule("hebbian", learning_rat=0.1)
    with pytest.raises(nm.ValidationError, match="typo"):
        nm.create("hopfield", n_units=10, rule_options={"typo": 1})


def test_a_class_attribute_cannot_override_the_registered_name(monkeypatch):
    """One source for a name: the registry key, whatever the class statement says."""

    class Named(nm.LearningRule):
        name = "storkey"

        def compute(self, pre, post, w, layout, signal=None):
            return layout.outer(post, pre)

    class NamedModel(nm.Memory):
        name = "hopfield"

        def __init__(self, n_units: int = 4):
            self.n_units = n_units

    monkeypatch.setitem(rules._load(), "named-rule", Named)
    monkeypatch.setitem(models._load(), "named-model", NamedModel)
    assert nm.create_rule("named-rule").name == Named.name == "named-rule"
    assert nm.create("named-model").name == "named-model"
    assert nm.create_rule("storkey").name == "storkey"
    check_rule_params(Named())
    # Assigned after the class statement, past the registry: the kit says so.
    monkeypatch.setattr(Named, "name", "storkey")
    with pytest.raises(AssertionError, match="registered under"):
        check_rule_params(Named())
