"""Regression tests for the second spiking review (issue 20): bounds, state types,
files, split runs and minor inputs."""

import zipfile

import numpy as np
import pytest

import neuromem as nm
from neuromem.rules.stdp import PairSTDP
from neuromem.spiking import SpikingNetwork
from neuromem.spiking import plotting as spiking_plots
from neuromem.spiking._kernel import HAVE_NUMBA
from neuromem.spiking.network import _CHUNK

BACKENDS = ["numpy"] + (["numba"] if HAVE_NUMBA else [])


def _pair(rule, w=0.8, backend="numpy"):
    net = SpikingNetwork(2, seed=0, backend=backend)
    net.connect("neurons", np.array([[0.0, w], [w, 0.0]]), rule=rule)
    return net


@pytest.mark.parametrize("backend", BACKENDS)
def test_decay_stops_at_the_rules_lower_bound(backend):
    """Quiet neurons: decay alone, 0.8 * 0.5 ** 1 = 0.4 would fall below 0.5."""
    net = _pair(PairSTDP(decay=0.5, bounds=(0.5, 1.0)), backend=backend)
    net.run(1000.0)
    np.testing.assert_array_equal(net.weights(0).data, [0.5, 0.5])
    free = _pair(PairSTDP(decay=0.5, bounds=(0.0, 1.0)), backend=backend)
    free.run(1000.0)
    np.testing.assert_allclose(free.weights(0).data, [0.4, 0.4], rtol=1e-12)


def test_weights_outside_the_rules_bounds_are_refused():
    with pytest.raises(nm.ValidationError, match=r"weights.*bounds \[0, 0\.5\]"):
        _pair(PairSTDP(bounds=(0.0, 0.5)), w=0.8)
    net = _pair(PairSTDP(bounds=(0.0, 2.0)), w=1.0)
    with pytest.raises(nm.ValidationError, match="weights"):
        net.set_weights(0, np.full((2, 2), 5.0))
    net.set_weights(0, np.full((2, 2), 2.0))  # on the bound is inside
    np.testing.assert_array_equal(net.weights(0).data, [2.0, 2.0])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["v", "ge", "gi", "i_ext"])
@pytest.mark.parametrize("kind", [list, tuple])
def test_state_given_as_a_list_or_tuple_runs_as_an_array(backend, name, kind):
    values = {"v": [-70.0, -65.0, -60.0], "ge": [0.0, 0.1, 0.2], "gi": [0.0, 0.1, 0.2]}
    values["i_ext"] = [25.0, 30.0, 35.0]

    def net(convert):
        n = SpikingNetwork(3, seed=0, backend=backend)
        n.i_ext[:] = 30.0
        setattr(n, name, convert(values[name]))
        return n

    ref, got = net(np.array), net(kind)
    want = ref.run(100.0)
    rec = got.run(100.0)
    assert len(want.times) > 0
    np.testing.assert_array_equal(rec.times, want.times)
    np.testing.assert_array_equal(rec.indices, want.indices)
    assert isinstance(getattr(got, name), np.ndarray)
    np.testing.assert_array_equal(getattr(got, name), getattr(ref, name))


@pytest.mark.parametrize(
    ("bad", "shown"), [(np.full(5, 30.0), "shape"), (np.full(3, np.nan), "NaN")]
)
def test_save_refuses_a_state_that_load_would_refuse(tmp_path, bad, shown):
    net = SpikingNetwork(3, seed=0)
    net.i_ext = bad
    with pytest.raises(nm.ValidationError, match=f"i_ext: got .*{shown}"):
        nm.save(net, tmp_path / "net.npz")
    assert not (tmp_path / "net.npz").exists()


def test_save_writes_a_list_state_as_the_array_it_runs_with(tmp_path):
    net = SpikingNetwork(3, seed=0)
    net.i_ext = [30.0, 30.0, 30.0]
    nm.save(net, tmp_path / "net.npz")
    back = nm.load(tmp_path / "net.npz")
    np.testing.assert_array_equal(back.run(50.0).times, net.run(50.0).times)


def test_an_altered_network_file_is_named_a_network_file(tmp_path):
    net = SpikingNetwork(3, seed=0)
    nm.save(net, tmp_path / "net.npz")
    with zipfile.ZipFile(tmp_path / "net.npz") as z:
        data = {k: z.read(k) for k in z.namelist()}
    b = bytearray(data["state.v.npy"])
    b[-1] ^= 1
    data["state.v.npy"] = bytes(b)
    with zipfile.ZipFile(tmp_path / "bad.npz", "w") as z:
        for k, v in data.items():
            z.writestr(k, v)
    with pytest.raises(nm.ValidationError) as err:
        nm.load(tmp_path / "bad.npz")
    assert "an unmodified neuromem network file written by neuromem.save" in str(err.value)
    assert "an unmodified a " not in str(err.value)


@pytest.mark.parametrize("drive", [-4.0, 0.0])
def test_assembly_drive_must_be_positive(drive):
    with pytest.raises(nm.ValidationError, match="drive"):
        nm.create("spiking-assembly", n_units=20, drive=drive)


def test_a_rate_bin_longer_than_the_recording_is_refused():
    net = SpikingNetwork(3, seed=0)
    rec = net.run(10.0)
    with pytest.raises(nm.ValidationError, match=r"bin_ms.*at most .*10 ms"):
        rec.population_rate(20.0)
    times, rate = rec.population_rate(10.0)  # one whole bin
    assert len(times) == len(rate) == 1


def test_assembly_weights_refuses_bipolar_patterns():
    x = np.array([[1.0, -1.0, 1.0, -1.0]])
    with pytest.raises(nm.ValidationError, match="patterns"):
        spiking_plots.assembly_weights(np.zeros((4, 4)), x)


def test_get_neuron_builds_a_law_with_parameters_or_names_the_bad_one():
    lif = nm.neurons.get_neuron("lif", tau_m=10.0)
    assert lif.tau_m == 10.0 and lif.threshold == nm.neurons.get_neuron("lif").threshold
    with pytest.raises(nm.ValidationError, match=r"neuron\.foo.*tau_m"):
        nm.neurons.get_neuron("lif", foo=1.0)
    with pytest.raises(nm.ValidationError, match=r"neuron\.tau_m"):
        nm.neurons.get_neuron(lif, tau_m=5.0)


def _driven(backend):
    net = SpikingNetwork(5, seed=3, backend=backend)
    net.add_poisson("p", np.full(20, 200.0))
    net.add_poisson("q", [50.0, 80.0])
    net.connect("p", np.ones((5, 20)) * 2.0)
    net.connect("q", np.ones((5, 2)) * 3.0)
    return net


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_run_split_at_whole_chunks_gives_the_same_spikes(backend):
    """What docs/spiking.md promises: the Poisson draws restart with each call in
    chunks of _CHUNK steps, so a split at a whole chunk changes nothing."""
    whole = _driven(backend).run(2 * _CHUNK * 0.1)
    net = _driven(backend)
    first, second = net.run(_CHUNK * 0.1), net.run(_CHUNK * 0.1)
    assert len(whole.times) > 1000
    np.testing.assert_array_equal(whole.times, np.r_[first.times, second.times])
    np.testing.assert_array_equal(whole.indices, np.r_[first.indices, second.indices])
