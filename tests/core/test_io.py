"""Model files: round trips, atomic writes, no pickle, truncated and tampered files."""

import json
import zipfile

import numpy as np
import pytest

import neuromem as nm
from neuromem.io import atomic_write
from neuromem.spiking import SpikingNetwork


@pytest.fixture
def model_file(tmp_path):
    x = nm.patterns.random_bipolar(10, 100, seed=0)
    mem = nm.create(
        "hopfield", n_units=100, rule="pseudoinverse", dynamics="async", seed=3
    ).store(x)
    path = tmp_path / "model.npz"
    mem.save(path)
    return path, mem, x


def test_round_trip(model_file):
    path, mem, x = model_file
    loaded = nm.load(path)
    assert loaded.get_params()["rule"] == "pseudoinverse"
    np.testing.assert_array_equal(loaded.weights_, mem.weights_)
    cues = nm.patterns.flip(x, 0.1, seed=1)
    np.testing.assert_array_equal(loaded.recall(cues).states, mem.recall(cues).states)
    # The rule's state came back too: storing more equals storing everything at once.
    more = nm.patterns.random_bipolar(5, 100, seed=9)
    loaded.store(more)
    fresh = nm.create("hopfield", n_units=100, rule="pseudoinverse").store(
        np.vstack([x, more])
    )
    np.testing.assert_allclose(loaded.weights_, fresh.weights_, atol=1e-10)


def test_round_trip_sparse_topology_and_rule_instance(tmp_path):
    topo = nm.topology.small_world(80, 6, 0.2, seed=0)
    rule = nm.create_rule("hebbian", learning_rate=0.5, bounds=(-1.0, 1.0))
    mem = nm.create("hopfield", n_units=80, topology=topo, rule=rule)
    mem.store(nm.patterns.random_bipolar(3, 80, seed=0))
    mem.save(tmp_path / "m.npz")
    back = nm.load(tmp_path / "m.npz")
    assert back.weights_.nnz == topo.n_connections
    np.testing.assert_array_equal(back.weights_.toarray(), mem.weights_.toarray())
    assert back.rule.bounds == (-1.0, 1.0)


def test_files_hold_no_pickles(model_file):
    path, *_ = model_file
    with np.load(path, allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)


def test_truncated_file(model_file, tmp_path):
    path, *_ = model_file
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(nm.ValidationError, match="truncated") as err:
        nm.load(cut)
    assert err.value.param == "path"


def test_tampered_array(model_file, tmp_path):
    path, *_ = model_file
    bad = tmp_path / "bad.npz"
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    key = next(k for k in arrays if k != "__meta__" and arrays[k].size)
    arrays[key] = arrays[key].copy()
    arrays[key].flat[0] += 1
    np.savez(bad, **arrays)
    with pytest.raises(nm.ValidationError, match="altered"):
        nm.load(bad)


def test_tampered_header(model_file, tmp_path):
    path, *_ = model_file
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(bytes(arrays["__meta__"]).decode())
    meta["params"]["max_steps"] = 1
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(nm.ValidationError, match="header was altered"):
        nm.load(bad)


def test_other_files(tmp_path):
    with pytest.raises(nm.ValidationError, match="an existing file"):
        nm.load(tmp_path / "missing.npz")
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(nm.ValidationError, match="path"):
        nm.load(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(3))
    with pytest.raises(nm.ValidationError, match="no neuromem header"):
        nm.load(plain)


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write(b"partial")
        raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_save_is_a_valid_zip_even_without_npz_suffix(tmp_path, model_file):
    _, mem, _ = model_file
    mem.save(tmp_path / "model.bin")
    assert zipfile.is_zipfile(tmp_path / "model.bin")
    assert isinstance(nm.load(tmp_path / "model.bin"), type(mem))


def test_save_of_an_object_that_is_no_memory_model_is_named(tmp_path):
    """Any object that is no model (nor a SpikingNetwork, which has a file:
    tests/spiking/test_spiking_files.py) raised AttributeError from inside save."""
    for obj in (object(), None, [SpikingNetwork(3, seed=0)]):
        with pytest.raises(nm.ValidationError) as err:
            nm.save(obj, tmp_path / "m.npz")
        assert err.value.param == "memory"
    assert not list(tmp_path.iterdir())
