"""Regression tests for the spiking review's findings (one test or more per item)."""

import numpy as np
import pytest
import scipy.sparse as sp

import neuromem as nm
from neuromem.rules.stdp import InhibitorySTDP, PairSTDP, TripletSTDP
from neuromem.spiking import SpikingNetwork
from neuromem.spiking._kernel import HAVE_NUMBA

BACKENDS = ["numpy"] + (["numba"] if HAVE_NUMBA else [])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["v", "ge", "gi", "i_ext"])
@pytest.mark.parametrize("bad", [np.zeros(3), np.full(5, np.nan), "abc", np.zeros((5, 1))])
def test_state_of_wrong_shape_or_kind_is_named(backend, name, bad):
    net = SpikingNetwork(5, backend=backend, seed=0)
    setattr(net, name, bad)
    with pytest.raises(nm.ValidationError, match=name):
        net.run(1.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_membranes_are_not_truncated(backend):
    ref = SpikingNetwork(2, backend=backend, seed=0)
    ref.i_ext[:] = 25.0
    ref.v = np.array([-70.0, -70.0])
    net = SpikingNetwork(2, backend=backend, seed=0)
    net.i_ext[:] = 25.0
    net.v = np.array([-70, -70])
    a, b = ref.run(3.0, sample=[0], every=1), net.run(3.0, sample=[0], every=1)
    np.testing.assert_array_equal(a.samples["v"], b.samples["v"])
    assert net.v.dtype == np.float64


@pytest.mark.parametrize("backend", BACKENDS)
def test_current_inhibition_lowers_the_membrane(backend):
    net = SpikingNetwork(1, inh="current", seed=0, backend=backend)
    net.add_poisson("i", [2000.0])
    net.connect("i", [[2.0]], target="inh")
    rec = net.run(50.0, sample=[0], every=10)
    assert rec.samples["v"][-1, 0] < net.neuron.v_rest - 1.0


def test_inhibitory_stdp_in_current_mode_lowers_the_rate():
    n = 5
    net = SpikingNetwork(n, dt=0.1, seed=1, inh="current")
    net.add_poisson("e", np.full(400, 10.0))
    net.add_poisson("i", np.full(200, 10.0))
    rng = np.random.default_rng(0)
    net.connect("e", (rng.random((n, 400)) < 0.5) * 3.0, target="exc")
    rule = InhibitorySTDP(eta=1e-2, target_rate=5.0, bounds=(0, 100.0))
    net.connect("i", np.full((n, 200), 0.01), target="inh", rule=rule)
    start = net.run(1000.0).rates().mean()
    net.run(5000.0)
    end = net.run(2000.0).rates().mean()
    assert end < 0.5 * start, (start, end)


def test_inhibitory_stdp_refuses_excitatory_targets():
    net = SpikingNetwork(2, seed=0)
    with pytest.raises(nm.ValidationError, match="target"):
        net.connect("neurons", np.ones((2, 2)), target="exc", rule=InhibitorySTDP())


def test_adding_groups_after_a_run_keeps_learned_and_set_weights():
    net = SpikingNetwork(4, seed=0)
    net.add_poisson("p", np.full(4, 200.0))
    rule = PairSTDP(bounds=(0.0, 30.0))
    net.connect("p", sp.csr_array(np.eye(4) * 25.0), target="v", rule=rule)
    net.run(200.0)
    learned = net.weights(0).toarray()
    assert not np.allclose(learned, np.eye(4) * 25.0)
    net.add_poisson("q", [1.0])
    np.testing.assert_array_equal(net.weights(0).toarray(), learned)
    net.set_weights(0, np.eye(4) * 3.0)
    net.connect("q", np.ones((4, 1)), target="v")
    np.testing.assert_array_equal(net.weights(0).toarray(), np.eye(4) * 3.0)


def test_soft_bounds_are_refused_not_clipped():
    net = SpikingNetwork(2, seed=0)
    rule = PairSTDP(bounds=(0.0, 1.0), soft_bounds=True)
    with pytest.raises(nm.ValidationError, match="soft_bounds"):
        net.connect("neurons", np.ones((2, 2)) * 0.5, rule=rule)


def test_negative_conductance_weights_are_refused():
    net = SpikingNetwork(2, exc="conductance", seed=0)
    with pytest.raises(nm.ValidationError, match="weights"):
        net.connect("neurons", -np.ones((2, 2)), target="exc")
    with pytest.raises(nm.ValidationError, match="rule"):
        net.connect("neurons", np.ones((2, 2)), target="exc", rule=PairSTDP())
    g = net.connect("neurons", np.ones((2, 2)), target="exc")
    with pytest.raises(nm.ValidationError, match="weights"):
        net.set_weights(g, -np.ones((2, 2)))


def test_steps_that_round_durations_away_are_refused():
    with pytest.raises(nm.ValidationError, match="dt"):
        SpikingNetwork(2, dt=10.0)
    net = SpikingNetwork(2, dt=0.1)
    for d in (0.0, 0.01):
        with pytest.raises(nm.ValidationError, match="duration"):
            net.run(d)


def test_sizes_that_cannot_fit_are_named():
    with pytest.raises(nm.ValidationError, match="n"):
        SpikingNetwork(10**13)
    net = SpikingNetwork(2, seed=0)
    with pytest.raises(nm.ValidationError, match="delay"):
        net.connect("neurons", np.ones((2, 2)), delay=1e12)
    net.add_poisson("p", [1e18, 1e18])
    with pytest.raises(nm.ValidationError, match="rates"):
        net.run(1.0)


@pytest.mark.parametrize("sample", [["a"], [1.7], [[0]], [5]])
def test_bad_samples_are_named(sample):
    with pytest.raises(nm.ValidationError, match="sample"):
        SpikingNetwork(3, seed=0).run(1.0, sample=sample)


def test_a_boolean_sample_is_a_mask():
    rec = SpikingNetwork(3, seed=0).run(1.0, sample=np.array([False, True, True]))
    np.testing.assert_array_equal(rec.sampled, [1, 2])


def test_a_diverging_rule_is_named():
    net = SpikingNetwork(4, seed=0)
    net.add_poisson("p", np.full(4, 200.0))
    net.connect("p", sp.csr_array(np.eye(4) * 25.0), target="v")
    net.connect("neurons", np.ones((4, 4)) * 0.1, rule=TripletSTDP(learning_rate=1e200))
    with pytest.raises(nm.ValidationError, match="learning_rate"):
        net.run(200.0)


def test_decay_does_not_depend_on_how_a_run_is_split():
    def final(pieces):
        net = SpikingNetwork(2, seed=0)
        net.connect("neurons", np.ones((2, 2)) * 0.5, rule=PairSTDP(decay=0.5))
        for d in pieces:
            net.run(d)
        return net.weights(0).toarray()

    np.testing.assert_allclose(final([100.0]), final([20.0] * 5), rtol=1e-12)
    np.testing.assert_allclose(final([1000.0]), np.ones((2, 2)) * 0.25, rtol=1e-12)


def _assembly(**kw):
    return nm.create("spiking-assembly", n_units=40, seed=3, **kw)


def _patterns():
    x = np.zeros((3, 40))
    for k in range(3):
        x[k, k * 10 : k * 10 + 8] = 1
    return x


def test_compare_counts_the_assemblys_synapses():
    from neuromem.experiments.estimators import count_synapses

    mem = _assembly().store(_patterns()[:1])
    assert count_synapses(mem) == 40 * 39
    assert not hasattr(_assembly(), "n_synapses_")


def test_a_cues_recall_does_not_depend_on_the_batch():
    x = _patterns()
    cues = x.copy()
    cues[:, ::2] = 0
    mem = _assembly().store(x)
    together = mem.recall(cues).info["counts"]
    for k in range(3):
        alone = mem.recall(cues[k : k + 1]).info["counts"][0]
        np.testing.assert_array_equal(alone, together[k])
    reversed_ = mem.recall(cues[::-1]).info["counts"][::-1]
    np.testing.assert_array_equal(reversed_, together)
    recs = mem.recall(cues, record=True).info["recordings"]
    assert [r.t_start for r in recs] == [0.0, 0.0, 0.0]


def test_storing_in_two_calls_equals_storing_at_once():
    x = _patterns()
    a = _assembly().store(x[:1]).store(x[1:])
    b = _assembly().store(x)
    np.testing.assert_array_equal(a.weights_, b.weights_)


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"recall_ms": 0.1}, "recall_ms"),
        ({"present_ms": 0.0}, "present_ms"),
        ({"stim_rate": 1e15}, "stim_rate"),
    ],
)
def test_assembly_windows_and_rates_are_checked(kw, name):
    with pytest.raises(nm.ValidationError, match=name):
        _assembly(**kw)


def test_assembly_refuses_targets_and_non_bool_record():
    mem = _assembly()
    with pytest.raises(nm.ValidationError, match="targets"):
        mem.store(_patterns(), targets=_patterns())
    mem.store(_patterns()[:1])
    with pytest.raises(nm.ValidationError, match="record"):
        mem.recall(_patterns()[:1], record="yes")


def test_dense_zeros_are_no_synapses():
    w = np.array([[0.0, 0.3], [0.0, 0.0]])
    dense = SpikingNetwork(2, seed=0)
    dense.connect("neurons", w, rule=PairSTDP(bounds=(0.0, 1.0)))
    sparse = SpikingNetwork(2, seed=0)
    sparse.connect("neurons", sp.csr_array(w), rule=PairSTDP(bounds=(0.0, 1.0)))
    assert dense.weights(0).nnz == sparse.weights(0).nnz == 1


def test_lif_law_inputs():
    lif = nm.spiking.LIF()
    with pytest.raises(nm.ValidationError, match="z"):
        lif("a")
    with pytest.raises(nm.ValidationError, match="z"):
        lif(np.nan)
    with np.errstate(all="raise"):
        assert lif(np.inf) == pytest.approx(1000.0 / lif.t_ref)


def test_a_long_quiet_run_records_in_memory_of_its_spikes():
    net = SpikingNetwork(1, dt=0.1, seed=0)
    net.i_ext[:] = 21.0  # just above rheobase: a few spikes over 10 s
    rec = net.run(10_000.0)
    assert 0 < len(rec.times) < 1000
    assert rec.nbytes() <= 16 * len(rec.times) + 64
    assert rec.pop_count.sum() == len(rec.times) and len(rec.pop_count) == 100_000


def test_population_rate_bins_are_whole_steps():
    rec = SpikingNetwork(2, dt=0.1, seed=0).run(10.0)
    with pytest.raises(nm.ValidationError, match="bin_ms"):
        rec.population_rate(0.15)
    times, rate = rec.population_rate(0.5)
    assert len(times) == len(rate) == 20


def test_memory_per_synapse_counts_everything_per_plastic_synapse():
    net = SpikingNetwork(3, seed=0)
    net.add_poisson("p", np.full(3, 10.0))
    net.connect("p", sp.csr_array(np.eye(3)), target="v")  # static
    net.connect("neurons", np.ones((3, 3)) - np.eye(3), rule=PairSTDP(bounds=(0, 1)))
    net.run(1.0)
    b = net._built
    held = sum(a.nbytes for k, a in b.items() if k in ("ring", "xtr", "ytr", "syn_w"))
    assert net.memory_per_synapse() * 6 >= held


def test_minor_inputs_are_named():
    net = SpikingNetwork(3, seed=0)
    with pytest.raises(nm.ValidationError, match="rates"):
        net.add_poisson("p", np.ones((3, 2)))
    with pytest.raises(nm.ValidationError, match="at least one rate"):
        net.add_poisson("q", [])
    with pytest.raises(nm.ValidationError, match="connect"):
        net.weights(0)
    with pytest.raises(nm.ValidationError, match="rule"):
        net.connect("neurons", np.ones((3, 3)), rule=PairSTDP(dt=0.5))
    with pytest.raises(nm.ValidationError, match="pre"):
        PairSTDP().delta(np.full((4, 3), 0.5), np.zeros((4, 3)), np.zeros((3, 3)))
