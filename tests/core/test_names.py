"""One source for a model's or rule's name: the registry key."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from neuromem.registry import models, rules
from neuromem.testing import check_rule


class MyRule(nm.LearningRule):
    """A plugin rule that sets no ``name``: Hebb's rule under another name."""

    def compute(self, pre, post, w, layout, signal=None):
        return layout.outer(post, pre)


class Unregistered(nm.LearningRule):
    def compute(self, pre, post, w, layout, signal=None):
        return layout.outer(post, pre)


@pytest.fixture
def my_rule():
    nm.register_rule("my-rule", MyRule)
    yield MyRule
    rules.reload()


def test_rule_without_name_saves_and_loads_under_its_registry_key(my_rule, tmp_path):
    check_rule(MyRule())
    assert MyRule.name == MyRule().name == "my-rule"
    x = nm.patterns.random_bipolar(3, 32, seed=0)
    mem = nm.create("hopfield", n_units=32, rule=MyRule(learning_rate=1 / 32)).store(x)
    mem.save(tmp_path / "m.npz")
    back = nm.load(tmp_path / "m.npz")
    assert type(back.rule) is MyRule and back.rule.learning_rate == 1 / 32
    cues = nm.patterns.flip(x, 0.1, seed=1)
    np.testing.assert_array_equal(back.recall(cues).states, mem.recall(cues).states)


def test_an_unregistered_rule_is_refused_when_saving_not_when_loading(tmp_path):
    mem = nm.create("hopfield", n_units=8, rule=Unregistered())
    with pytest.raises(nm.ValidationError, match="unregistered class Unregistered"):
        mem.save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()
    assert Unregistered.name == "Unregistered"  # messages still name it


def test_builtin_names_are_their_registry_keys():
    for name in models.names():
        assert models.get(name).name == name
    for name in rules.names():
        assert rules.get(name).name == name
    with pytest.raises(AttributeError, match="read-only"):
        nm.create_rule("hebbian").name = "other"
