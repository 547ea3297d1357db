"""One energy definition and one shape for recorded energies."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm


def _binary_net():
    x = nm.patterns.random_sparse(6, 60, n_active=6, seed=0)
    mem = nm.create("hopfield", n_units=60, units="binary", seed=1).store(x)
    cues = nm.patterns.random_sparse(4, 60, n_active=6, seed=2)
    return mem, x, cues


def test_recorded_energies_are_the_models_energy_for_01_units():
    mem, _, cues = _binary_net()
    res = mem.recall(cues, record=("states", "energies"))
    e = res.trajectory["energies"]
    assert e.shape == (4, res.steps.max() + 1)
    # Plain numpy: E(s) = -1/2 s^T W s + theta sum s on the 0/1 states of every sweep.
    w, theta = np.asarray(mem.weights_), mem.threshold_
    s = res.trajectory["states"]
    ref = -0.5 * np.einsum("ptn,mn,ptm->pt", s, w, s) + theta * s.sum(axis=2)
    np.testing.assert_allclose(e, ref, atol=1e-12)
    np.testing.assert_allclose(e[:, -1], mem.energy(res.states), atol=1e-12)


@pytest.mark.parametrize("name", ["hopfield", "dense-hopfield", "modern-hopfield"])
def test_record_energy_is_deprecated_and_the_same_numbers_transposed(name):
    x = nm.patterns.random_bipolar(4, 40, seed=0)
    cues = nm.patterns.flip(x, 0.2, seed=1)
    kw = {"seed": 3} if name != "modern-hopfield" else {}
    mem = nm.create(name, n_units=40, **kw).store(x)
    ref = mem.clone().store(x).recall(cues, record="energies")
    with pytest.warns(DeprecationWarning, match="record='energies'"):
        old = mem.recall(cues, record_energy=True)
    assert old.trajectory is None  # only what record= asked for is kept there
    np.testing.assert_array_equal(old.energy, ref.trajectory["energies"].T)


def test_record_energy_of_01_units_is_no_longer_the_pm1_equivalent():
    mem, _, cues = _binary_net()
    with pytest.warns(DeprecationWarning):
        res = mem.recall(cues, record_energy=True, record="energies")
    np.testing.assert_array_equal(res.energy, res.trajectory["energies"].T)
    np.testing.assert_allclose(res.energy[-1], mem.energy(res.states), atol=1e-12)
