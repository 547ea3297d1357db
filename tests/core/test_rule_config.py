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
