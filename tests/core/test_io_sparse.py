"""Model files of sparse networks: a loaded model recalls as the saved one (same path,
same memory), and load tells a lack of memory from a corrupt file."""

import numpy as np
import pytest
from model_files import rewrite as _rewrite

import neuromem as nm
from neuromem.memory import Workload, memory_limit

N = 4000


def _sparse(tmp_path, directed=False):
    topo = nm.topology.erdos_renyi(N, 20 / N, seed=0, directed=directed)
    net = nm.create("hopfield", n_units=N, topology=topo, dtype="float32")
    net.store(nm.patterns.random_bipolar(3, N, seed=1))
    path = tmp_path / "sparse.npz"
    net.save(path)
    return path, net


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
    _rewrite(path, lambda meta, _: _topology_entry(meta).pop("symmetric"))
    loaded = nm.load(path)
    assert loaded.get_params()["topology"].known_symmetric is None
    cues = nm.patterns.random_bipolar(2, N, seed=2)
    np.testing.assert_array_equal(net.recall(cues).states, loaded.recall(cues).states)


@pytest.mark.parametrize("flag", [True, "yes", 1.5])
def test_directed_topology_marked_symmetric_is_refused(tmp_path, flag):
    path, _ = _sparse(tmp_path, directed=True)
    _rewrite(path, lambda meta, _: _topology_entry(meta).update(symmetric=flag))
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


def _traced_load(path):
    """The traced peak of ``nm.load(path)`` and the first estimate it checks."""
    import neuromem.memory as mm

    nm.load(path)  # imports and compilations of first use are not the file's
    seen = []
    check = mm.check_memory

    def spy(nbytes, *args, **kwargs):
        seen.append(int(nbytes))
        return check(nbytes, *args, **kwargs)

    mm.check_memory = spy
    try:
        peak = _peak(lambda: nm.load(path))
    finally:
        mm.check_memory = check
    return peak, seen[0]


def _peak(call):
    """The peak that tracemalloc traces while ``call()`` runs."""
    import tracemalloc

    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _model(kind):
    x = nm.patterns.random_bipolar(20, 1000, seed=0)
    if kind == "sparse":
        topo = nm.topology.erdos_renyi(20000, 20 / 20000, seed=0)
        net = nm.create("hopfield", n_units=20000, topology=topo, dtype="float32")
        return net.store(nm.patterns.random_bipolar(3, 20000, seed=1))
    if kind == "dense":
        return nm.create("hopfield", n_units=1000).store(x)
    if kind == "pseudoinverse":
        return nm.create("hopfield", n_units=1000, rule="pseudoinverse").store(x)
    if kind == "hebbian":
        return nm.create("hebbian", n_units=1000).store(x)
    if kind == "tiny":
        return nm.create("hopfield", n_units=16).store(x[:2, :16])
    sparse = nm.patterns.random_sparse(20, 1000, coding_level=0.05, seed=0)
    return nm.create(kind, n_units=1000).store(sparse)


@pytest.mark.parametrize(
    "kind", ["sparse", "dense", "pseudoinverse", "tiny", "willshaw", "hebbian"]
)
def test_load_estimate_bounds_its_traced_peak(tmp_path, kind):
    """Load's estimate, checked before any array is read, is never below what load
    allocates (traced) and at most twice it."""
    path = tmp_path / "m.npz"
    _model(kind).save(path)
    peak, estimate = _traced_load(path)
    assert peak <= estimate <= 2 * peak, (peak, estimate)


def test_loaded_sparse_model_holds_no_more_than_the_built_one(tmp_path):
    """The loaded weights share the structure's indices (no row index array)."""
    path, _ = _sparse(tmp_path)
    loaded = nm.load(path)
    assert loaded.synapse_.layout._rows is None
    assert np.shares_memory(loaded.weights_.indices, loaded.synapse_.layout.indices)


def test_save_builds_no_whole_file_in_memory(tmp_path):
    """The archive is written straight to its file: saving allocates less than the
    file's size (a buffer of the whole file, then its copy, took 1.6 times it)."""
    path, net = _sparse(tmp_path)
    net.save(tmp_path / "warm.npz")
    peak = _peak(lambda: net.save(path))
    assert peak < path.stat().st_size
    np.testing.assert_array_equal(nm.load(path).weights_.data, net.weights_.data)


def _weights_entry(meta):
    return meta["state"]["weights"]


def test_weights_indices_are_written_once(tmp_path):
    """The weights lie on their topology's adjacency: its indices are not repeated."""
    path, net = _sparse(tmp_path)
    with np.load(path) as npz:
        names = set(npz.files)
    assert not any(k.startswith("state.weights.ind") for k in names), names
    loaded = nm.load(path)
    np.testing.assert_array_equal(loaded.weights_.indices, net.weights_.indices)
    np.testing.assert_array_equal(loaded.weights_.data, net.weights_.data)


def test_file_with_repeated_weights_indices_still_loads(tmp_path):
    """Older files wrote the weights' indices beside the topology's."""
    path, net = _sparse(tmp_path)

    def repeat(meta, arrays):
        ref = _weights_entry(meta).pop("structure")
        for part in ("indices", "indptr"):
            arrays[f"state.weights.{part}"] = arrays[f"{ref}.{part}"].copy()

    _rewrite(path, repeat)
    loaded = nm.load(path)
    cues = nm.patterns.random_bipolar(2, N, seed=2)
    np.testing.assert_array_equal(net.recall(cues).states, loaded.recall(cues).states)


@pytest.mark.parametrize("ref", ["nowhere", 3])
def test_weights_structure_naming_no_array_is_refused(tmp_path, ref):
    path, _ = _sparse(tmp_path)
    _rewrite(path, lambda meta, _: _weights_entry(meta).update(structure=ref))
    with pytest.raises(nm.ValidationError) as err:
        nm.load(path)
    assert err.value.param == "path"
