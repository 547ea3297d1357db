"""Model files keep the random streams: a loaded model goes on as the original would."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
import neuromem.io
from neuromem.params import learned_attributes
from neuromem.testing import check_save_load, sample_for

STOCHASTIC = [
    ("hopfield", {"dynamics": "async"}),
    ("hopfield", {"dynamics": "glauber", "temperature": 0.5}),
    ("hopfield", {"dynamics": "async", "units": "binary"}),
    ("hebbian", {"dynamics": "async"}),
    ("dense-hopfield", {}),
    ("mlp", {"noise": 0.2, "batch_size": 2, "epochs": 5}),
]
#: Five epochs store nothing: the MLP says so, which is not what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore::neuromem.ConvergenceWarning")


@pytest.mark.parametrize(("name", "params"), STOCHASTIC, ids=lambda v: str(v))
def test_loaded_model_recalls_and_trains_as_the_original(name, params):
    mem = nm.create(name, n_units=64, **params)
    check_save_load(mem, sample_for(mem, n_patterns=12))


@pytest.mark.parametrize(("name", "params"), STOCHASTIC, ids=lambda v: str(v))
def test_the_check_fails_without_the_streams(name, params, monkeypatch):
    """The check above can fail: with the streams dropped, every case does."""
    monkeypatch.setattr(neuromem.io, "restore_streams", lambda memory, streams: None)
    mem = nm.create(name, n_units=64, **params)
    with pytest.raises(AssertionError):  # 12 cues far from 12 patterns: order shows
        check_save_load(mem, sample_for(mem, n_patterns=12))


def test_streams_of_other_bit_generators(tmp_path):
    x = nm.patterns.random_bipolar(3, 20, seed=0)
    mem = nm.create("hopfield", n_units=20, dynamics="async").store(x)
    mem._recall_rng = np.random.Generator(np.random.MT19937(5))
    mem.recall(x)
    mem.save(tmp_path / "m.npz")
    back = nm.load(tmp_path / "m.npz")
    assert type(back._recall_rng.bit_generator).__name__ == "MT19937"
    cues = nm.patterns.flip(x, 0.4, seed=1)
    np.testing.assert_array_equal(back.recall(cues).states, mem.recall(cues).states)


@pytest.mark.parametrize("name", nm.list_models())
def test_a_model_saved_before_its_first_store_goes_on_as_the_original(name, tmp_path):
    """One file loaded twice gives two copies of the original, unseeded, for every
    model: the streams a first store draws are in the file too."""
    mem = nm.create(name, n_units=32)
    sample = sample_for(mem, n_patterns=6)
    nm.save(mem, tmp_path / "m.npz")
    copies = [nm.load(tmp_path / "m.npz") for _ in range(2)]
    cues = sample.recall_cues
    expected = sample.store(mem).recall(cues).states
    for copy in copies:
        np.testing.assert_array_equal(sample.store(copy).recall(cues).states, expected)
        for key, value in learned_attributes(mem).items():
            got = getattr(copy, key)
            if hasattr(value, "toarray"):
                value, got = value.toarray(), got.toarray()
            if isinstance(value, np.ndarray | int | float):  # weights, seed_, counts
                np.testing.assert_array_equal(np.asarray(got), value, key)
