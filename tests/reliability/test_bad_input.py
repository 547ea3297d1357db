"""Every bad-input case of the foundation: a ValidationError naming the parameter."""

import numpy as np
import pytest

import neuromem as nm

X = nm.patterns.random_bipolar(4, 20, seed=0)


@pytest.fixture
def mem():
    return nm.create("hopfield", n_units=20).store(X)


def _err(call):
    with pytest.raises(nm.ValidationError) as err:
        call()
    return err.value


def test_patterns_not_2d(mem):
    e = _err(lambda: mem.store(X[0]))
    assert e.param == "patterns" and "2-D" in str(e)
    e = _err(lambda: mem.recall(X[None]))
    assert e.param == "cues" and "3 dimension" in str(e)


def test_wrong_width(mem):
    e = _err(lambda: mem.store(X[:, :10]))
    assert e.param == "patterns" and "width 10" in str(e) and "n_units = 20" in str(e)
    assert _err(lambda: mem.recall(X[:, :19])).param == "cues"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf(mem, bad):
    y = X.copy()
    y[1, 3] = bad
    e = _err(lambda: mem.store(y))
    assert e.param == "patterns" and "NaN or infinite" in str(e)
    assert _err(lambda: mem.recall(y)).param == "cues"


def test_not_bipolar(mem):
    e = _err(lambda: mem.store(nm.patterns.to_binary(X)))
    assert "0/1 values" in str(e) and "+/-1" in str(e)
    e = _err(lambda: mem.store(X * 0.5))
    assert "real values" in str(e)


def test_empty_pattern_set(mem):
    e = _err(lambda: mem.store(np.empty((0, 20))))
    assert e.param == "patterns" and "empty" in str(e)


def test_non_numeric_patterns(mem):
    assert _err(lambda: mem.store([["a"] * 20])).param == "patterns"


@pytest.mark.parametrize("n", [0, -5, 2.5, "10", None, True])
def test_bad_sizes(n):
    e = _err(lambda: nm.create("hopfield", n_units=n))
    assert e.param == "n_units" and "integer" in str(e)
    assert _err(lambda: nm.patterns.random_bipolar(n, 10)).param == "n_patterns"


def test_unknown_model_and_rule_names_list_known_ones():
    e = _err(lambda: nm.create("hopfeild", n_units=10))
    assert "'hopfield'" in str(e)
    e = _err(lambda: nm.create("hopfield", n_units=10, rule="hebian"))
    assert e.param == "rule" and "'hebbian'" in str(e)


def test_unknown_keyword_arguments():
    e = _err(lambda: nm.create("hopfield", n_units=10, dynamic="sync"))
    assert "dynamic" in str(e) and "dynamics" in str(e)


@pytest.mark.parametrize("seed", ["0", 1.0, -3, [1]])
def test_seed_of_the_wrong_type(seed):
    assert _err(lambda: nm.create("hopfield", n_units=10, seed=seed)).param == "seed"
    assert _err(lambda: nm.patterns.flip(X, 0.1, seed=seed)).param == "seed"


@pytest.mark.parametrize(
    "kwargs, param",
    [
        ({"dynamics": "parallel"}, "dynamics"),
        ({"max_steps": 0}, "max_steps"),
        ({"order": "sorted"}, "order"),
        ({"dtype": "int8"}, "dtype"),
        ({"topology": nm.topology.complete(7)}, "topology"),
        ({"topology": "complete"}, "topology"),
        ({"sparse": "yes"}, "sparse"),
        ({"rule": 3}, "rule"),
        ({"rule_options": {"learning_rate": -1}}, "learning_rate"),
    ],
)
def test_bad_model_options(kwargs, param):
    assert _err(lambda: nm.create("hopfield", n_units=10, **kwargs)).param == param


def test_recall_options(mem):
    assert _err(lambda: mem.recall(X, dynamics="fast")).param == "dynamics"
    assert _err(lambda: mem.recall(X, max_steps=-1)).param == "max_steps"
    assert _err(lambda: mem.store(X, X)).param == "targets"


def test_messages_say_what_was_given_and_what_is_allowed():
    e = _err(lambda: nm.create("hopfield", n_units=-3))
    assert str(e) == "n_units: got -3; expected an integer >= 1"
    assert (e.param, e.given, e.allowed) == ("n_units", -3, "an integer >= 1")
    assert isinstance(e, ValueError)
