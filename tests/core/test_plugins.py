"""Plugin friction: inherited rule parameters, the constrain hook, the docs' plugin size."""

from __future__ import annotations

import inspect
import pydoc
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import neuromem as nm
from neuromem.layout import layout_for
from neuromem.registry import rules

ROOT = Path(__file__).resolve().parents[2]


class Gain(nm.LearningRule):
    """Hebb times a gain: the smallest rule with a parameter of its own."""

    name = "gain-hebb"

    def __init__(self, gain=2.0, **shared):
        super().__init__(**shared)
        self.gain = gain

    def compute(self, pre, post, w, layout, signal=None):
        return self.gain * layout.outer(post, pre)


class NonNegative(nm.LearningRule):
    name = "non-negative"

    def compute(self, pre, post, w, layout, signal=None):
        return layout.outer(post, pre)

    def constrain(self, w, layout):
        np.maximum(w, 0.0, out=w)


@pytest.fixture
def registered():
    # Registered for this test only: the registry is process-wide.
    rules.register("gain-hebb", Gain)
    try:
        yield
    finally:
        rules._load().pop("gain-hebb", None)
        rules._origins.pop("gain-hebb", None)
        rules._values.pop("gain-hebb", None)


def test_rule_subclass_inherits_shared_parameters(registered):
    x = nm.patterns.random_bipolar(4, 40, seed=0)
    mem = nm.create("hopfield", n_units=40, rule="gain-hebb", rule_options={"gain": 3.0})
    mem.store(x)
    ref = 3.0 * (x.T @ x) / 40  # the default learning rate 1/N reached the rule
    np.fill_diagonal(ref, 0.0)
    np.testing.assert_allclose(mem.weights_, ref, rtol=1e-12)
    r = nm.create_rule("gain-hebb", gain=0.5, decay=0.1, bounds=(-1, 1))
    assert (r.gain, r.decay, r.bounds) == (0.5, 0.1, (-1.0, 1.0))
    with pytest.raises(nm.ValidationError, match="decay"):
        nm.create_rule("gain-hebb", decay=2.0)
    with pytest.raises(nm.ValidationError, match="gian"):
        nm.create_rule("gain-hebb", gian=2.0)  # a misspelt parameter is refused
    # The online model forwards its own learning_rate/decay to a plugin rule too.
    heb = nm.create("hebbian", n_units=40, rule="gain-hebb", learning_rate=0.1,
                    decay=0.5, rule_options={"gain": 1.0})  # fmt: skip
    heb.store(x[:2])
    ref = 0.5 * 0.1 * np.outer(x[0], x[0]) + 0.1 * np.outer(x[1], x[1])
    np.fill_diagonal(ref, 0.0)
    np.testing.assert_allclose(heb.weights_, ref, rtol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_constrain_runs_after_every_update(sparse):
    rng = np.random.default_rng(0)
    w0 = np.where(rng.random((6, 6)) < 0.5, 0.0, 0.1)  # some connections absent
    pre = np.where(rng.random((5, 6)) < 0.5, 1.0, -1.0)
    rule = NonNegative(learning_rate=0.5, decay=0.1)
    if sparse:
        weights = sp.csr_array(w0)
        weights.sort_indices()
        layout = layout_for(weights)
        values = layout.values(weights).copy()
        present = weights.toarray() != 0
    else:
        layout = layout_for(w0)
        values = w0.copy()
        present = np.ones_like(w0, dtype=bool)
    ref = w0.copy()
    for p in pre:  # plain numpy: decay, Hebb, clip at 0, one presentation at a time
        ref = np.maximum(0.9 * ref + 0.5 * np.outer(p, p) * present, 0.0)
        rule.update(values, p, p, layout)
    got = layout.wrap(values)
    got = got.toarray() if sparse else got
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)
    # delta() is the raw change: no constraint.
    d = rule.delta(pre[0], pre[0], w0)
    assert (np.asarray(d.toarray() if sp.issparse(d) else d) < 0).any()


def test_constrain_then_connectivity_mask():
    """A constraint that writes every entry cannot create absent connections."""

    class Fill(NonNegative):
        def constrain(self, w, layout):
            w += 1.0

    mem = nm.create("hopfield", n_units=10, rule=Fill(learning_rate=0.1))
    mem.store(nm.patterns.random_bipolar(2, 10, seed=0))
    assert np.all(np.diag(mem.weights_) == 0)
    assert np.all(mem.weights_[~np.eye(10, dtype=bool)] > 0)


def _code_lines(block: str) -> int:
    return sum(
        1
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith("#")
    )


def test_smallest_rule_plugin_fits_in_twenty_lines():
    text = (ROOT / "docs" / "plugins.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    (rule,) = [b for b in blocks if "class DaleHebb" in b]
    n = _code_lines(rule)
    assert n <= 20
    assert f"{n} lines of Python" in text  # the number the page quotes
    entry = re.search(r'\[project.entry-points."neuromem.rules"\]\n(.*?)\n', text).group(1)
    assert entry == 'dale-hebb = "my_package:DaleHebb"'


def test_signature_shows_the_parameters_passed_on_to_the_base_class():
    class Fixed(Gain):  # an explicit __init__ again: its own signature
        def __init__(self, gain=1.0):
            super().__init__(gain)

    sig = inspect.signature(Gain)
    assert list(sig.parameters) == Gain.param_names()
    assert sig.parameters["gain"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert sig.parameters["decay"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["decay"].default == 0.0
    # help() shows the same (Python 3.13 wraps a long signature over several lines).
    shown = re.sub(r"[\s|]", "", pydoc.render_doc(Gain, renderer=pydoc.plaintext))
    assert "Gain(gain=2.0,*,learning_rate:'float'=1.0,decay:'float'=0.0" in shown
    assert list(inspect.signature(Fixed).parameters) == ["gain"]


@pytest.mark.parametrize(
    ("name", "own"),
    [
        ("bcm", ["tau", "theta0"]),
        ("covariance", ["center"]),
        ("perceptron", ["kappa", "symmetric", "max_epochs"]),
        ("pseudoinverse", ["zero_diagonal"]),
        ("tsodyks-feigelman", ["coding_level", "centering"]),
    ],
)
def test_rules_take_the_shared_parameters_from_the_base_class(name, own):
    cls = rules.get(name)
    shared = ["learning_rate", "decay", "bounds", "soft_bounds"]
    assert cls.param_names() == [*own, *shared]
    assert list(inspect.signature(cls).parameters) == [*own, *shared]
    rule = cls(learning_rate=0.5, decay=0.1, bounds=(-1.0, 1.0), soft_bounds=True)
    given = {"learning_rate": 0.5, "decay": 0.1, "bounds": (-1.0, 1.0), "soft_bounds": True}
    assert {k: rule.get_params()[k] for k in shared} == given
    assert rule.clone().get_params() == rule.get_params()
    with pytest.raises(nm.ValidationError, match="decay"):
        cls(decay=1.5)
