"""Model files of sparse networks: a loaded model recalls as the saved one (same path,
same memory), and load tells a lack of memory from a corrupt file."""

import hashlib
import json

import numpy as np
import pytest

import neuromem as nm
import neuromem.io as nmio
from neuromem.memory import Workload, memory_limit

N = 4000


def _sparse(tmp_path, directed=False):
    topo = nm.topology.erdos_renyi(N, 20 / N, seed=0, directed=directed)
    net = nm.create("hopfield", n_units=N, topology=topo, dtype="float32")
    net.store(nm.patterns.random_bipolar(3, N, seed=1))
    path = tmp_path / "sparse.npz"
    net.save(path)
    return path, net


def _rewrite(path, edit):
    """Edit a model file and recompute its checksums (a deliberate edit)."""
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays.pop("__meta__").tobytes())
    meta.pop("digest")
    edit(meta)
    meta["arrays"] = {k: nmio._digest(np.asarray(a)) for k, a in arrays.items()}
    meta["digest"] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
    header = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8)
    np.savez(path, __meta__=header, **arrays)


def _topology_entry(meta):
    return meta["params"]["topology"]


def test_loaded_sparse_model_keeps_its_symmetric_structure(tmp_path):
    path, net = _sparse(tmp_path)
    loaded = nm.load(path)
    assert net.synapse_.layout.symmetric_structure is True
    assert loaded.synapse_.layout.symmetric_structure is True
    assert loaded.get_params()["topology"].known_symmetric is True
    work = Workload("recall", n_cues=4)
    assert loaded.memory_estimate(work) == net.memory_estimate(work)
    cues = nm.patterns.random_bipolar(4, N, seed=2)
    a, b = net.recall(cues), loaded.recall(cues)
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a.steps, b.steps)


def test_directed_topology_stays_not_known_symmetric(tmp_path):
    path, net = _sparse(tmp_path, directed=True)
    loaded = nm.load(path)
    assert loaded.get_params()["topology"].known_symmetric is False
    cues = nm.patterns.random_bipolar(2, N, seed=2)
    np.testing.assert_array_equal(net.recall(cues).states, loaded.recall(cues).states)


def test_file_without_the_symmetry_flag_still_loads(tmp_path):
    """Files written before the flag was recorded load as before (not known)."""
    path, net = _sparse(tmp_path)
    _rewrite(path, lambda meta: _topology_entry(meta).pop("symmetric"))
    loaded = nm.load(path)
    assert loaded.get_params()["topology"].known_symmetric is None
    cues = nm.patterns.random_bipolar(2, N, seed=2)
    np.testing.assert_array_equal(net.recall(cues).states, loaded.recall(cues).states)


@pytest.mark.parametrize("flag", [True, "yes", 1.5])
def test_directed_topology_marked_symmetric_is_refused(tmp_path, flag):
    path, _ = _sparse(tmp_path, directed=True)
    _rewrite(path, lambda meta: _topology_entry(meta).update(symmetric=flag))
    with pytest.raises(nm.ValidationError, match="symmetric") as err:
        nm.load(path)
    assert err.value.param == "path"


def test_lack_of_memory_is_no_corrupt_file(tmp_path):
    """Every refusal under a tight limit names path, the bytes needed and available,
    and never calls the file inconsistent or altered."""
    path, _ = _sparse(tmp_path)
    size = path.stat().st_size
    refused = 0
    for limit in np.linspace(size // 4, 6 * size, 24).astype(int):
        with memory_limit(int(limit)):
            try:
                nm.load(path)
            except nm.ValidationError as exc:
                refused += 1
                text = str(exc)
                assert exc.param == "path", text
                assert "fits in memory" in text and "available" in text, text
                assert "inconsistent" not in text and "unmodified" not in text, text
    assert refused  # the sizes tried do reach a refusal
