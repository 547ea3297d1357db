"""Neuron laws: values, derivatives (against finite differences), vectorisation."""

import numpy as np
import pytest

import neuromem as nm
from neuromem.neurons import (
    Linear,
    ReLU,
    Sigmoid,
    Sign,
    Step,
    Tanh,
    get_neuron,
    list_neurons,
)
from neuromem.spiking import LIF


def test_values():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(Sign()(z), [-1, -1, 1, 1, 1])
    np.testing.assert_array_equal(Step()(z), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(ReLU()(z), [0, 0, 0, 0.5, 2])
    np.testing.assert_array_equal(Linear(slope=2.0)(z), 2 * z)
    np.testing.assert_allclose(Sigmoid()(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(Tanh()(z), np.tanh(z))


@pytest.mark.parametrize("law", [Linear(), Linear(slope=-0.3), ReLU(), Sigmoid(), Tanh()])
def test_derivative_matches_finite_differences(law):
    z = np.linspace(-3, 3, 61)
    z = z[np.abs(z) > 1e-3]  # ReLU has a kink at 0
    h = 1e-6
    numeric = (law(z + h) - law(z - h)) / (2 * h)
    np.testing.assert_allclose(law.derivative(z), numeric, rtol=1e-6, atol=1e-8)


def test_sigmoid_does_not_overflow():
    with np.errstate(all="raise"):
        out = Sigmoid()(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(out, [0.0, 1.0])


def test_whole_batches_at_once():
    z = np.random.default_rng(0).standard_normal((7, 11, 3))
    for name in list_neurons():
        law = get_neuron(name)
        assert law(z).shape == z.shape and law.derivative(z).shape == z.shape


def test_laws_are_frozen_parameters_only():
    law = Linear(slope=2.0)
    with pytest.raises(AttributeError):
        law.slope = 3.0
    assert Linear(slope=2.0) == law


def test_get_neuron_by_name_and_errors():
    assert isinstance(get_neuron("relu"), ReLU)
    law = Tanh()
    assert get_neuron(law) is law
    with pytest.raises(nm.ValidationError, match="'relu'") as err:
        get_neuron("rectifier", "activation")
    assert err.value.param == "activation"


def test_the_spiking_neuron_is_found_by_name_like_the_others():
    """``lif`` comes from the ``neuromem.neurons`` entry points (the spiking package)."""
    assert "lif" in list_neurons()
    law = get_neuron("lif")
    assert law == LIF() and law.name == "lif"
    np.testing.assert_allclose(law(np.array([10.0, 25.0])), [0.0, LIF()(25.0)])
    assert nm.neurons.neurons.origin("lif") == "neuromem"
