"""A rule takes the shared parameters (learning_rate, decay, bounds, soft_bounds) and
passes them to the base class: a model sets the learning rate itself, so a rule that
refuses it or drops it is caught by the kit and refused by the model, naming the rule."""

from __future__ import annotations

import pytest

import neuromem as nm
from neuromem.registry import rules
from neuromem.testing import check_rule


class Swallows(nm.LearningRule):
    """Takes the shared parameters and drops them (unless ``passes_on``)."""

    passes_on = False

    def __init__(self, beta=1.0, **shared):
        super().__init__(**(shared if self.passes_on else {}))
        self.beta = beta

    def compute(self, pre, post, w, layout, signal=None):
        return self.beta * layout.outer(post, pre)


class Passes(Swallows):
    """Passes them on."""

    passes_on = True


class NoShared(Swallows):
    """Does not take them."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha


@pytest.fixture(scope="module", autouse=True)
def _registered():
    for name, cls in (("no-shared", NoShared), ("swallows", Swallows)):
        if name not in rules:
            rules.register(name, cls)


@pytest.mark.parametrize(("cls", "why"), [(NoShared, "refuses"), (Swallows, "kept")])
def test_the_kit_builds_the_rule_as_a_model_does(cls, why):
    with pytest.raises(AssertionError, match=rf"{why}.*\*\*shared"):
        check_rule(cls())
    check_rule(Passes())


@pytest.mark.parametrize(
    ("name", "why"), [("no-shared", "takes no"), ("swallows", "drops")]
)
def test_the_model_names_the_rule_not_an_argument_never_given(name, why):
    with pytest.raises(nm.ValidationError, match=rf"{name}.*{why} learning_rate") as err:
        nm.create("hopfield", n_units=16, rule=name)
    assert err.value.param == "rule" and "**shared" in str(err.value)
