"""scikit-learn conventions: get_params(deep), set_params, clone, repr, _repr_html_."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from neuromem.registry import models

MODELS = nm.list_models()
RULES = nm.list_rules()


def _model(name, **params):
    return nm.create(name, n_units=16, seed=0, **params)


@pytest.mark.parametrize("name", MODELS)
def test_sklearn_clone_every_model(name):
    sklearn_base = pytest.importorskip("sklearn.base")
    mem = (
        _model(name, max_steps=7)
        if "max_steps" in models.get(name).param_names()
        else _model(name)
    )
    tags = nm.get_tags(mem)
    if not tags.hetero_associative:
        x = nm.patterns.random_bipolar(2, 16, seed=1)
        mem.store(x if "bipolar" in tags.encodings else nm.patterns.to_binary(x))
    c = sklearn_base.clone(mem)
    assert type(c) is type(mem)
    assert c.get_params() == mem.get_params()
    assert not nm.params.learned_attributes(c)  # unfitted
    assert repr(c) == repr(mem).split("  #")[0]


@pytest.mark.parametrize("name", RULES)
def test_sklearn_clone_every_rule(name):
    sklearn_base = pytest.importorskip("sklearn.base")
    rule = nm.create_rule(name, learning_rate=0.5)
    c = sklearn_base.clone(rule)
    assert type(c) is type(rule) and c is not rule
    assert c.get_params() == rule.get_params()
    assert c.get_params(deep=True) == rule.get_params(deep=True)


def test_clone_copies_mutable_parameters():
    mem = nm.create("hebbian", n_units=8, rule="bcm", rule_options={"tau": 5.0})
    c = mem.clone()
    assert c.rule_options == {"tau": 5.0} and c.rule_options is not mem.rule_options
    rule = nm.create_rule("storkey", learning_rate=0.5)
    mem = nm.create("hopfield", n_units=8, rule=rule)
    assert mem.clone().rule is not rule


def test_get_params_deep_and_nested_set_params():
    rule = nm.create_rule("storkey", learning_rate=0.5)
    mem = nm.create("hopfield", n_units=16, rule=rule, seed=0)
    shallow = mem.get_params()
    deep = mem.get_params(deep=True)
    assert "rule__learning_rate" not in shallow
    assert deep["rule__learning_rate"] == 0.5
    assert {k for k in deep if "__" not in k} == set(shallow)
    assert mem.set_params(rule__learning_rate=0.25, max_steps=5) is mem
    assert mem.rule.learning_rate == 0.25 and mem.max_steps == 5
    assert rule.learning_rate == 0.5  # the caller's rule object is not changed


def test_set_params_validates_and_leaves_the_object_unchanged():
    mem = nm.create("hopfield", n_units=16, seed=0)
    before = mem.get_params()
    with pytest.raises(nm.ValidationError, match="max_steps"):
        mem.set_params(max_steps=0, dynamics="async")
    with pytest.raises(nm.ValidationError, match="dynamics"):
        mem.set_params(dynamics="chaos")
    with pytest.raises(nm.ValidationError, match="no_such"):
        mem.set_params(no_such=1)
    with pytest.raises(nm.ValidationError, match="rule__learning_rate"):
        mem.set_params(rule__learning_rate=-0.1)  # into rule_options, validated
    assert mem.get_params() == before
    rule = nm.create_rule("hebbian")
    with pytest.raises(nm.ValidationError, match="learning_rate"):
        rule.set_params(learning_rate=-1.0)
    assert rule.learning_rate == 1.0
    assert rule.set_params() is rule


def test_set_params_after_store():
    x = nm.patterns.random_bipolar(3, 32, seed=0)
    mem = nm.create("hopfield", n_units=32, dynamics="sync", seed=0).store(x)
    cues = nm.patterns.flip(x, 0.25, seed=1)
    one = mem.set_params(max_steps=1).recall(cues)
    assert np.all(one.steps == 1)
    full = mem.set_params(max_steps=50).recall(cues)
    assert full.steps.max() > 1
    # What the stored weights depend on cannot change under them.
    for params in ({"n_units": 16}, {"rule": "storkey"}, {"dtype": "float32"}):
        with pytest.raises(nm.ValidationError, match=next(iter(params))):
            mem.set_params(**params)
    fresh = mem.clone().set_params(rule="storkey")
    assert fresh.rule == "storkey" and mem.rule is None  # None: Hebb for +/-1 units


def test_repr_shows_non_default_parameters_and_stored_count():
    mem = nm.create("hopfield", n_units=16, dynamics="async")
    assert repr(mem) == "Hopfield(n_units=16, dynamics='async')"
    mem.store(nm.patterns.random_bipolar(3, 16, seed=0))
    assert repr(mem) == "Hopfield(n_units=16, dynamics='async')  # 3 patterns stored"
    assert repr(nm.create_rule("bcm", tau=4.0)) == "BCM(tau=4.0)"
    html = mem._repr_html_()
    assert "Hopfield &mdash; 3 patterns stored" in html
    assert "<b>&#x27;async&#x27;</b>" in html and "&#x27;random&#x27;" in html


def test_parameter_grid_of_clones():
    """A scikit-learn grid over clones, as the docs show."""
    model_selection = pytest.importorskip("sklearn.model_selection")
    sklearn_base = pytest.importorskip("sklearn.base")
    x = nm.patterns.random_bipolar(4, 32, seed=0)
    base = nm.create("hopfield", n_units=32, seed=0)
    grid = model_selection.ParameterGrid(
        {"rule": ["hebbian", "storkey"], "max_steps": [1, 20]}
    )
    for params in grid:
        mem = sklearn_base.clone(base).set_params(**params).store(x)
        assert mem.rule == params["rule"] and mem.max_steps == params["max_steps"]
        assert nm.metrics.recall_accuracy(mem.recall(x).states, x) == 1.0
    assert not nm.params.learned_attributes(base)


def test_params_collected_from_the_class_hierarchy():
    class Scaled(nm.LearningRule):
        name = "scaled"

        def __init__(self, gain=2.0, **shared):
            super().__init__(**shared)
            self.gain = gain

        def compute(self, pre, post, w, layout, signal=None):
            return self.gain * layout.outer(post, pre)

    assert Scaled.param_names() == [
        "gain",
        "learning_rate",
        "decay",
        "bounds",
        "soft_bounds",
    ]
    r = Scaled(gain=3.0, decay=0.1)
    assert repr(r) == "Scaled(gain=3.0, decay=0.1)"
    assert r.clone().get_params() == r.get_params()
    with pytest.raises(TypeError, match="args"):

        class Bad(nm.LearningRule):
            def __init__(self, *args):
                super().__init__()

        Bad.param_names()


def test_nested_set_params_after_store_compares_rule_parameters():
    """A rule instance whose parameters do not change is the same value: setting a
    nested parameter to its current value after a store used to be refused (identity
    check), and a real change is refused naming the rule."""
    x = nm.patterns.random_bipolar(2, 16, seed=0)
    mem = nm.create("hopfield", n_units=16, rule=nm.create_rule("storkey")).store(x)
    assert mem.set_params(rule__learning_rate=1.0, max_steps=7).max_steps == 7
    with pytest.raises(nm.ValidationError, match="rule"):
        mem.set_params(rule__learning_rate=0.5)
    assert mem.rule.learning_rate == 1.0


def test_nested_set_params_error_names_the_nested_parameter():
    mem = nm.create("hopfield", n_units=16, rule=nm.create_rule("storkey"))
    with pytest.raises(nm.ValidationError) as err:
        mem.set_params(rule__bogus=1)
    assert err.value.param == "rule__bogus"
    with pytest.raises(nm.ValidationError) as err:
        mem.set_params(rule__learning_rate=-1.0)
    assert err.value.param == "rule__learning_rate"
