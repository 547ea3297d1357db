"""One documented way to configure a model's rule: a name and rule_options."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import neuromem as nm


def test_the_documented_way_warns_nothing_and_set_params_follows_it():
    x = nm.patterns.random_bipolar(5, 40, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mem = nm.create("hebbian", n_units=40, rule="hebbian", rule_options={"decay": 0.1})
        mem.set_params(rule_options={"decay": 0.2, "learning_rate": 0.5})
        mem.store(x)
        hop = nm.create("hopfield", n_units=40, rule="storkey").store(x)
    assert mem.synapse_.rule.decay == 0.2 and mem.synapse_.rule.learning_rate == 0.5
    assert type(hop.synapse_.rule).name == "storkey"


def test_the_other_ways_are_deprecated_and_give_the_same_network():
    x = nm.patterns.random_bipolar(5, 40, seed=0)
    ref = nm.create("hebbian", n_units=40, rule_options={"decay": 0.1}).store(x)
    with pytest.warns(DeprecationWarning, match="rule_options"):
        forwarded = nm.create("hebbian", n_units=40, decay=0.1).store(x)
    with pytest.warns(DeprecationWarning, match="rule='hebbian'"):
        instance = nm.create(
            "hebbian",
            n_units=40,
            rule=nm.create_rule("hebbian", decay=0.1, learning_rate=1 / 40),
        ).store(x)
    for other in (forwarded, instance):
        np.testing.assert_allclose(other.weights_, ref.weights_, atol=1e-15)


@pytest.mark.parametrize("model", ["hopfield", "hebbian"])
def test_nested_rule_keys_work_with_the_documented_form(model):
    """``rule__x`` with a rule given by name sets ``rule_options``; get_params(deep=True)
    shows the parameters of the rule the model builds."""
    x = nm.patterns.random_bipolar(5, 40, seed=0)
    mem = nm.create(model, n_units=40, rule="hebbian", rule_options={"decay": 0.1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mem.set_params(rule__learning_rate=0.3) is mem
    assert mem.rule_options == {"decay": 0.1, "learning_rate": 0.3}
    deep = mem.get_params(deep=True)
    assert deep["rule__learning_rate"] == 0.3 and deep["rule__decay"] == 0.1
    assert deep["rule"] == "hebbian" and "rule__learning_rate" not in mem.get_params()
    ref = nm.create(model, n_units=40, rule_options={"decay": 0.1, "learning_rate": 0.3})
    np.testing.assert_array_equal(mem.store(x).weights_, ref.store(x).weights_)
    with pytest.raises(nm.ValidationError, match=r"^rule__bogus"):
        mem.clone().set_params(rule__bogus=1)
    with pytest.raises(nm.ValidationError, match=r"^rule__decay"):
        mem.clone().set_params(rule__decay=2.0)
    with pytest.raises(nm.ValidationError, match=r"^rule_options"):
        mem.set_params(rule__learning_rate=0.5)  # stored: it shapes the weights


class Unregistered(nm.rules.Hebbian):
    """A rule class nobody registered."""


@pytest.mark.parametrize("make", [nm.create, nm.models.Hopfield, nm.models.HebbianMemory])
def test_the_instance_warning_points_at_the_callers_line(make):
    args = ("hopfield",) if make is nm.create else ()
    with pytest.warns(DeprecationWarning, match="rule='hebbian'") as caught:
        make(*args, n_units=8, rule=nm.create_rule("hebbian"))
    with pytest.warns(DeprecationWarning, match=r"nm\.register_rule\('NAME', Unreg") as un:
        make(*args, n_units=8, rule=Unregistered())
    assert caught[0].filename == un[0].filename == __file__
    assert "rule='Unregistered'" not in str(un[0].message)


def test_options_kept_from_the_former_rule_say_how_to_drop_them():
    mem = nm.create("hopfield", n_units=16, rule="bcm", rule_options={"tau": 5})
    with pytest.raises(nm.ValidationError, match=r"tau.*pass rule_options=None"):
        mem.set_params(rule="hebbian")
    with pytest.raises(nm.ValidationError) as err:
        mem.set_params(rule="bogus")  # the name is wrong, not the options
    assert "rule_options" not in str(err.value)
    assert mem.set_params(rule="hebbian", rule_options=None).rule == "hebbian"
