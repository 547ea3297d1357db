"""Seeding helpers: reproducible, independent streams, no global state."""

import numpy as np
import pytest

import neuromem as nm
from neuromem.random import as_generator, check_seed, derive_seed, spawn


def test_same_seed_same_stream_and_generator_passthrough():
    assert as_generator(3).random() == as_generator(3).random()
    g = np.random.default_rng(0)
    assert as_generator(g) is g
    ss = np.random.SeedSequence(9)
    assert as_generator(ss).random() == as_generator(np.random.SeedSequence(9)).random()


def test_spawned_streams_are_independent_of_each_other():
    a1, b1 = spawn(7, 2)
    a2, b2 = spawn(7, 2)
    a1.random(1000)  # drawing from one stream does not shift the other
    assert b1.random() == b2.random()
    assert a2.random() != b2.random()


def test_derive_seed_is_stable_and_coordinate_sensitive():
    s = derive_seed(0, "hopfield", 0.1, 3)
    assert s == derive_seed(0, "hopfield", 0.1, 3)
    assert s != derive_seed(0, "hopfield", 0.1, 4) != derive_seed(1, "hopfield", 0.1, 3)
    assert 0 <= s < 2**63


@pytest.mark.parametrize("bad", ["1", 1.5, -1, True, [1, 2], object()])
def test_bad_seeds(bad):
    with pytest.raises(nm.ValidationError) as err:
        as_generator(bad)
    assert err.value.param == "seed" and "Generator" in str(err.value)
    with pytest.raises(nm.ValidationError):
        check_seed(bad)
    with pytest.raises(nm.ValidationError, match="seed"):
        nm.patterns.random_bipolar(2, 3, seed=bad)
