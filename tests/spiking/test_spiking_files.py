"""A SpikingNetwork's file: a loaded network simulates exactly as the saved one."""

import copy
import hashlib
import json

import numpy as np
import pytest
import scipy.sparse as sp

import neuromem as nm
from neuromem.rules.stdp import InhibitorySTDP, PairSTDP, TripletSTDP
from neuromem.spiking import LIF, SpikingNetwork
from neuromem.spiking._kernel import HAVE_NUMBA

BACKENDS = ["numpy"] + (["numba"] if HAVE_NUMBA else [])


def _network(backend: str) -> SpikingNetwork:
    """Every feature a file must keep: two Poisson groups (one of unequal rates),
    recurrent plastic synapses with a delay, plastic and static input synapses on
    both channels, a refractory period, external input."""
    net = SpikingNetwork(40, LIF(t_ref=2.0), dt=0.1, seed=3, backend=backend)
    net.add_poisson("bg", np.full(60, 20.0))
    net.add_poisson("drive", np.linspace(0.0, 40.0, 30))
    rng = np.random.default_rng(0)
    rec = sp.random(40, 40, density=0.2, random_state=1, format="csr") * 3.0
    rec.setdiag(0)
    rec.eliminate_zeros()
    net.connect("neurons", rec, delay=1.5, rule=TripletSTDP(bounds=(0.0, 4.0)))
    pair = PairSTDP(a_plus=0.01, a_minus=-0.0105, bounds=(0.0, 3.0), decay=0.01)
    net.connect("bg", rng.random((40, 60)) * 3.0, target="exc", delay=0.3, rule=pair)
    vogels = InhibitorySTDP(bounds=(0.0, 5.0))
    net.connect("drive", rng.random((40, 30)), target="inh", delay=0.5, rule=vogels)
    net.i_ext[:] = 12.0
    return net


def _same(a, b, na, nb) -> None:
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.indices, b.indices)
    for g in range(len(na.groups)):
        np.testing.assert_array_equal(na.weights(g).toarray(), nb.weights(g).toarray())
    np.testing.assert_array_equal(na.v, nb.v)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_loaded_network_goes_on_exactly_as_the_saved_one(tmp_path, backend):
    net = _network(backend)
    net.run(137.3)  # stops with spikes in transit, traces and refractory neurons
    assert net._built["ring_n"].sum() > 0 and (net._ref > 0).any()
    nm.save(net, tmp_path / "net.npz")
    loaded = nm.load(tmp_path / "net.npz")
    assert isinstance(loaded, SpikingNetwork) and loaded.backend == backend
    assert loaded.neuron == LIF(t_ref=2.0) and loaded.get_params() == net.get_params()
    a, b = net.run(200.0), loaded.run(200.0)
    assert len(a.times) > 100
    _same(a, b, net, loaded)
    # A new trial from a seed is the same trial too.
    net.reset_state(seed=9)
    loaded.reset_state(seed=9)
    _same(net.run(50.0), loaded.run(50.0), net, loaded)


def test_what_the_file_keeps_matters():
    """Without the loop's state (traces, spikes in transit) or the stream, the
    continuation differs: the test above can fail."""
    net = _network("numba" if HAVE_NUMBA else "numpy")
    net.run(137.3)
    state = copy.deepcopy(net._get_state())  # the live arrays go on changing
    stream = copy.deepcopy(net._poisson_rng.bit_generator.state)
    follow = net.run(200.0)
    for drop in ("nothing", "loop", "stream"):
        other = SpikingNetwork(**net.get_params())
        other._set_state({**state, "loop": None} if drop == "loop" else state)
        if drop != "stream":
            other._poisson_rng.bit_generator.state = stream
        got = other.run(200.0)
        same = np.array_equal(got.times, follow.times) and np.array_equal(
            got.indices, follow.indices
        )
        assert same == (drop == "nothing"), drop


def test_a_network_that_never_ran_saves_and_loads(tmp_path):
    net = _network("numpy")
    nm.save(net, tmp_path / "net.npz")
    loaded = nm.load(tmp_path / "net.npz")
    assert loaded._built is None
    _same(net.run(30.0), loaded.run(30.0), net, loaded)


def test_a_bare_neuron_saves_and_loads(tmp_path):
    net = SpikingNetwork(1, dt=0.1, seed=None)
    net.i_ext[:] = 25.0
    net.run(10.0)
    nm.save(net, tmp_path / "one.npz")
    loaded = nm.load(tmp_path / "one.npz")
    _same(net.run(100.0), loaded.run(100.0), net, loaded)


@pytest.mark.parametrize(
    ("key", "value", "param"),
    [
        ("ref", np.full(40, 99), "ref"),
        ("step", -1, "step"),
        ("loop.xlast", None, "xlast"),
        ("loop.ring", None, "ring"),
        ("loop.ring_n", np.full(16, 10**6), "ring_n"),
        ("loop.ytr", np.zeros((3, 40, 1)), "ytr"),
        ("v", np.zeros(39), "v"),
    ],
)
def test_a_state_the_loop_would_misread_is_refused(key, value, param):
    """The compiled loop does not check bounds: the state is checked as it is set."""
    net = _network("numpy")
    net.run(50.0)
    state = net._get_state()
    loop = {k: v.copy() for k, v in state["loop"].items()}
    if key == "loop.xlast":
        value = loop["xlast"] + net.step + 1  # a trace from the future
    if key == "loop.ring":
        value = loop["ring"].copy()
        value[:, :] = 10**6  # rows that do not exist
        loop["ring_n"][:] = 1
    if key.startswith("loop."):
        loop[key[5:]] = value
        state = {**state, "loop": loop}
    else:
        state = {**state, key: value}
    with pytest.raises(nm.ValidationError) as err:
        SpikingNetwork(**net.get_params())._set_state(state)
    assert err.value.param == param


def test_the_file_is_checked_like_a_model_file(tmp_path):
    net = _network("numpy")
    net.run(20.0)
    nm.save(net, tmp_path / "net.npz")
    data = bytearray((tmp_path / "net.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "bad.npz").write_bytes(bytes(data))
    with pytest.raises(nm.ValidationError):
        nm.load(tmp_path / "bad.npz")


def _rewrite(path, out, change) -> None:
    """A file whose header was edited and its checksum recomputed (a deliberate edit)."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays.pop("__meta__").tobytes())
    meta.pop("digest")
    change(meta)
    meta["digest"] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
    header = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    np.savez(out, __meta__=header, **arrays)


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(object=["spiking-network"]),
        lambda m: m.update(object="other-network"),
        lambda m: m["state"].update(step=-5),
        lambda m: m["params"].update(n=39),
        lambda m: m["state"].update(poisson=7),
    ],
)
def test_an_edited_header_is_refused_by_name(tmp_path, change):
    net = _network("numpy")
    net.run(5.0)
    nm.save(net, tmp_path / "net.npz")
    _rewrite(tmp_path / "net.npz", tmp_path / "edited.npz", change)
    with pytest.raises(nm.ValidationError) as err:
        nm.load(tmp_path / "edited.npz")
    assert err.value.param == "path"
