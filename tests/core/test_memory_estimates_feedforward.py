"""Memory estimates of the feed-forward models against traced peaks where a review
found them off: the pseudo-inverse store of the linear associator, MLP stores of many
patterns, rows given in another dtype than the model's, and the optimisers' state."""

import warnings

import numpy as np
import pytest

import neuromem as nm
from neuromem.testing import check_memory_estimate


def _bipolar(rng, p, n, dtype="float64"):
    return np.where(rng.random((p, n)) < 0.5, -1.0, 1.0).astype(dtype)


def _binary(rng, p, n, dtype="float64"):
    return (rng.random((p, n)) < 0.2).astype(dtype)


def _check_mlp(model, x, targets=None, cues=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch need not store the patterns
        check_memory_estimate(model, x, targets=targets, cues=cues)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pseudo_inverse_associator_store_counts_its_target_and_change(dtype):
    # W, the rule's target matrix and its difference with W: three copies of the
    # weights at the peak (the estimate counted one: 0.36 times the peak).
    rng = np.random.default_rng(0)
    keys, values = _bipolar(rng, 20, 200, dtype), _bipolar(rng, 20, 4000, dtype)
    model = nm.create("linear-associator", n_units=200, orthogonalize=True, dtype=dtype)
    check_memory_estimate(model, keys, targets=values)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("batch_size", [1, 64])
def test_mlp_store_of_many_patterns_counts_their_copies(optimizer, batch_size):
    # Beside the patterns: their targets for sigmoid units, the clean forward pass
    # over all of them and np.unique's copies finding the new ones (0.4 to 0.5
    # times the peak when only a batch was counted).
    rng = np.random.default_rng(1)
    model = nm.create(
        "mlp",
        n_units=200,
        hidden=[16],
        optimizer=optimizer,
        batch_size=batch_size,
        epochs=1,
        seed=0,
    )
    _check_mlp(model, _bipolar(rng, 1500, 200))


@pytest.mark.parametrize("name", ["linear-associator", "willshaw"])
def test_float64_cues_of_a_float32_model_are_counted(name):
    # The cues as given beside their float32 copy (0.63 to 0.68 times the peak).
    rng = np.random.default_rng(2)
    rows = _binary if name == "willshaw" else _bipolar
    keys, values = rows(rng, 20, 500, "float32"), rows(rng, 20, 20, "float32")
    model = nm.create(name, n_units=500, dtype="float32")
    check_memory_estimate(model, keys, targets=values, cues=rows(rng, 5000, 500))


@pytest.mark.parametrize("name", ["linear-associator", "willshaw"])
def test_float64_values_stored_in_a_float32_model_are_counted(name):
    # Keys and values as given beside their float32 copies (the values are the
    # wide ones here: 0.74 times the peak of a linear associator).
    rng = np.random.default_rng(3)
    rows = _binary if name == "willshaw" else _bipolar
    model = nm.create(name, n_units=100, dtype="float32")
    check_memory_estimate(model, rows(rng, 300, 100), targets=rows(rng, 300, 3000))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_mlp_is_charged_for_its_own_optimiser_state(optimizer):
    # SGD keeps nothing beside the weights, momentum a velocity, Adam two moments
    # and a scratch array; a recall holds none of a store's snapshots or gradients
    # (an SGD network was estimated at 2.05 and 2.79 times its peaks).
    rng = np.random.default_rng(4)
    model = nm.create(
        "mlp", n_units=2000, hidden=[64], optimizer=optimizer, batch_size=1, epochs=1
    )
    _check_mlp(model, _bipolar(rng, 20, 2000))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_mlp_steps_do_not_hold_the_last_gradient_through_the_next(optimizer):
    # One batch after another: the gradients of the last step stayed bound to the
    # loop's names through the next backward pass, one more copy of the weights of
    # a network without hidden layers (0.9 times the estimate's count).
    rng = np.random.default_rng(5)
    model = nm.create(
        "mlp", n_units=300, hidden=[], optimizer=optimizer, batch_size=1, epochs=1
    )
    _check_mlp(model, _bipolar(rng, 20, 300), targets=_bipolar(rng, 20, 40))
