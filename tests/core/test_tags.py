"""The capability tags of every built-in model and rule, and of plugins."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pytest

import neuromem as nm
from neuromem.registry import models, rules


def tags(name, **params):
    return nm.get_tags(nm.create(name, n_units=8, **params))


def test_hopfield_tags_follow_units_dynamics_and_rule():
    t = tags("hopfield")
    assert (t.family, t.encodings, t.regime) == (
        "classical Hopfield",
        ("bipolar",),
        "bipolar",
    )
    assert t.energy and t.per_rule and not t.stochastic_recall
    assert t.variants == (("hopfield-binary", {"units": "binary", "rule": "covariance"}),)
    assert t.theory == ("hopfield-hebbian", "one-step-error", "perfect-recall")
    b = tags("hopfield", units="binary")
    assert (b.encodings, b.regime, b.theory) == (("binary",), "sparse", ("sparse-tsodyks",))
    assert tags("hopfield", rule="storkey").theory == ("storkey",)
    assert tags("hopfield", rule="pseudoinverse").theory == ("pseudoinverse",)
    assert tags("hopfield", dynamics="async").stochastic_recall
    assert tags("hopfield", dynamics="glauber").stochastic_recall
    assert not tags("hopfield", dynamics="async", order="fixed").stochastic_recall


def test_model_families_and_capabilities():
    assert tags("dense-hopfield").family == "dense and modern Hopfield"
    assert tags("dense-hopfield").theory == ("dense-polynomial",)
    assert tags("dense-hopfield", interaction="exponential").theory == (
        "dense-exponential",
    )
    assert tags("modern-hopfield").theory == ("modern",)
    assert tags("hebbian").family == tags("linear-associator").family == "Hebbian"
    assert not tags("hebbian").per_rule and tags("hebbian").variants == ()
    w = tags("willshaw")
    assert (w.family, w.regime, w.hetero_associative) == (
        "sparse 0/1 networks",
        "sparse",
        True,
    )
    assert w.variants == (("willshaw-adaptive", {"threshold": "adaptive"}),)
    assert w.theory == ("willshaw",)
    m = tags("mlp")
    assert (m.family, m.hetero_associative) == ("backprop MLP", True)
    assert m.theory == ("catastrophic-interference",)
    s = tags("sequence")
    assert (s.auto_associative, s.sequence, s.theory) == (False, True, ("sequence",))


def test_rule_tags():
    assert nm.get_tags(rules.get("backprop")).needs_signal
    assert nm.get_tags(rules.get("temporal-hebbian")).temporal
    assert nm.get_tags(rules.get("tsodyks-feigelman")).encodings == ("binary",)
    assert not nm.get_tags(rules.get("pseudoinverse")).incremental
    assert nm.get_tags(nm.create_rule("perceptron", symmetric=True)).symmetric


@pytest.mark.parametrize("name", sorted(set(rules.names()) - {"backprop"}))
def test_symmetric_tag_is_what_the_rule_does(name):
    """A rule tagged symmetric keeps symmetric couplings symmetric; one tagged
    asymmetric breaks the symmetry (on real activity where it takes it: Oja's and BCM's
    terms in ``post**2`` are constant on +/-1 activity)."""
    rule = nm.create_rule(name, learning_rate=0.1)
    t = nm.get_tags(rule)
    rng = np.random.default_rng(0)
    if "real" in t.encodings:
        x = rng.standard_normal((6, 12))
    elif "bipolar" in t.encodings:
        x = np.where(rng.random((6, 12)) < 0.5, 1.0, -1.0)
    else:
        x = np.where(rng.random((6, 12)) < 0.3, 1.0, 0.0)
    w = rng.standard_normal((12, 12))
    w = w + w.T
    np.fill_diagonal(w, 0.0)
    d = rule.delta(x, x, w)
    assert np.allclose(d, d.T, atol=1e-10) == t.symmetric


class Legacy(nm.Memory):
    """A plugin written before the tags: class attributes, no ``__neuromem_tags__``."""

    encodings = ("binary",)
    hetero = True

    def __init__(self, n_units: int = 4):
        self.n_units = n_units


class Plain(nm.Memory):
    def __init__(self, n_units: int = 4):
        self.n_units = n_units


class PlainRule(nm.LearningRule):
    def compute(self, pre, post, w, layout, signal=None):
        return layout.outer(post, pre)


def test_plugins_inherit_defaults_and_legacy_attributes_still_count():
    assert nm.get_tags(Plain) == nm.ModelTags()
    assert nm.get_tags(PlainRule).encodings == ("bipolar", "binary", "real")
    legacy = nm.get_tags(Legacy)
    assert legacy == dataclasses.replace(  # the regime its 0/1 patterns give
        nm.ModelTags(), encodings=("binary",), hetero_associative=True, regime="sparse"
    )


def test_old_attributes_are_deprecated_read_only_aliases():
    mem = nm.create("willshaw", n_units=8)
    with pytest.warns(DeprecationWarning, match="get_tags"):
        assert mem.hetero is True
    with pytest.warns(DeprecationWarning):
        assert models.get("sequence").auto_associative is False
    with pytest.warns(DeprecationWarning):
        assert nm.create_rule("storkey").encodings == ("bipolar",)
    with pytest.raises(AttributeError, match="read-only"):
        mem.encodings = ("real",)


def test_a_plugin_declaring_old_attributes_is_warned_when_defined_and_read():
    with pytest.warns(DeprecationWarning, match="OldStyle declares tags as class attr"):

        class OldStyle(nm.Memory):
            encodings = ("binary",)
            hetero = True

            def __init__(self, n_units: int = 4):
                self.n_units = n_units

    with pytest.warns(DeprecationWarning, match="OldRule declares tags as class attr"):

        class OldRule(nm.LearningRule):
            encodings = ("real",)

    with pytest.warns(DeprecationWarning, match=r"get_tags\(obj\)\.encodings"):
        assert OldStyle().encodings == ("binary",)
    with pytest.warns(DeprecationWarning, match=r"get_tags\(obj\)\.hetero"):
        assert OldStyle().hetero is True
    with pytest.warns(DeprecationWarning, match=r"get_tags\(obj\)\.encodings"):
        assert OldRule().encodings == ("real",)
    # What the old attributes declared still counts, and is inherited.
    child = type("Child", (OldStyle,), {})
    assert nm.get_tags(child).encodings == ("binary",)
    assert nm.get_tags(child).hetero_associative is True
    assert nm.get_tags(OldRule).encodings == ("real",)


class Declares(nm.Memory):
    """A plugin whose tags are whatever ``over`` replaces."""

    over: ClassVar[dict] = {}

    def __init__(self, n_units: int = 4):
        self.n_units = n_units

    def __neuromem_tags__(self):
        return dataclasses.replace(super().__neuromem_tags__(), **self.over)


@pytest.mark.parametrize(
    ("over", "tag"),
    [
        ({"regime": "sparse"}, "regime"),  # sparse patterns, bipolar encodings only
        ({"regime": "dense"}, "regime"),
        ({"encodings": ("ternary",)}, "encodings"),
        ({"encodings": ()}, "encodings"),
        ({"encodings": "bipolar"}, "encodings"),
        ({"family": 3}, "family"),
        ({"energy": "yes"}, "energy"),
        ({"theory": "hopfield"}, "theory"),
        ({"variants": (("x",),)}, "variants"),
        ({"capacity_search": None}, "capacity_search"),
    ],
    ids=str,
)
def test_get_tags_refuses_contradictory_or_mistyped_tags(over, tag, monkeypatch):
    from neuromem.testing import check_tags

    monkeypatch.setattr(Declares, "over", over)
    with pytest.raises(nm.ValidationError, match=rf"__neuromem_tags__\(\)\.{tag}:"):
        nm.get_tags(Declares())
    with pytest.raises(nm.ValidationError):
        check_tags(Declares())


def test_the_kit_refuses_unknown_theory_anchors(monkeypatch):
    from neuromem.testing import check_rule_tags, check_tags

    monkeypatch.setattr(Declares, "over", {"theory": ("no-such-anchor",)})
    with pytest.raises(AssertionError, match="no-such-anchor"):
        check_tags(Declares())
    monkeypatch.setattr(Declares, "over", {"regime": "sparse", "encodings": ("binary",)})
    check_tags(Declares())  # consistent: passes

    class Anchored(nm.LearningRule):
        def __neuromem_tags__(self):
            return dataclasses.replace(super().__neuromem_tags__(), theory=("nope",))

        def compute(self, pre, post, w, layout, signal=None):
            return layout.outer(post, pre)

    with pytest.raises(AssertionError, match="nope"):
        check_rule_tags(Anchored())


def test_get_tags_refuses_other_objects():
    with pytest.raises(nm.ValidationError, match="obj"):
        nm.get_tags(object())


def test_capacity_search_defaults_to_the_regime_and_names_real_parameters():
    assert tags("hopfield").capacity_search == nm.tags.CapacitySearch()
    for name, size in (("dense-hopfield", 32), ("modern-hopfield", 10)):
        m = nm.create(name, n_units=8)
        cs = nm.get_tags(m).capacity_search
        assert cs.n_units == size and cs.max_load > 1, name
        assert cs.conditions and set(cs.conditions) <= set(m.param_names()), name
