"""neuromem.spiking: LIF rate, numpy twin, seeds, recording, STDP rules against
plain-numpy references written here, Song et al. (2000), Vogels et al. (2011)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import neuromem as nm
from neuromem.rules.stdp import InhibitorySTDP, PairSTDP, TripletSTDP
from neuromem.spiking import HAVE_NUMBA, LIF, SpikingNetwork
from neuromem.testing import check_rule

BACKENDS = ["numba", "numpy"] if HAVE_NUMBA else ["numpy"]


def analytic_rate(ri, tau_m=20.0, theta=20.0, reset=10.0, t_ref=5.0):
    """1 / (t_ref + tau_m ln((RI - V_reset) / (RI - theta))), voltages from rest, Hz."""
    ri = np.asarray(ri, dtype=float)
    out = np.zeros_like(ri)
    above = ri > theta
    out[above] = 1000.0 / (
        t_ref + tau_m * np.log((ri[above] - reset) / (ri[above] - theta))
    )
    return out


def test_lif_rate_matches_the_analytic_rate_within_one_percent():
    inputs = np.array([20.5, 21.0, 23.0, 25.0, 30.0, 40.0, 60.0, 80.0])
    net = SpikingNetwork(len(inputs) + 3, dt=0.01, seed=0)
    net.i_ext[:] = np.r_[inputs, 20.0, 19.0, 5.0]  # rheobase and below at the end
    rec = net.run(3000.0)
    rates = []
    for i in range(len(inputs)):
        t = rec.times[rec.indices == i]
        rates.append(1000.0 / np.diff(t).mean())  # from the interspike interval
    np.testing.assert_allclose(rates, analytic_rate(inputs), rtol=0.01)
    assert rec.counts()[len(inputs) :].sum() == 0  # silent at and below rheobase
    # The law itself is the same formula, element-wise.
    np.testing.assert_allclose(LIF()(net.i_ext), analytic_rate(net.i_ext), rtol=1e-12)
    z = np.linspace(21, 60, 9)
    np.testing.assert_allclose(
        LIF().derivative(z), (LIF()(z + 1e-6) - LIF()(z - 1e-6)) / 2e-6, rtol=1e-5
    )


def _mixed_network(backend, seed=3):
    """Every feature at once: Poisson groups, delays, jumps, currents, conductances,
    and all three rules."""
    rng = np.random.default_rng(0)
    n = 40
    net = SpikingNetwork(n, dt=0.1, inh="conductance", seed=seed, backend=backend)
    net.add_poisson("drive", np.full(n, 900.0))
    net.add_poisson("extra", rng.uniform(5, 30, size=60))
    net.connect("drive", sp.identity(n, format="csr") * 2.5, target="v")
    rec = sp.random_array((n, n), density=0.2, random_state=1, format="csr") * 1.5
    rec.setdiag(0)
    rec.eliminate_zeros()
    net.connect("neurons", rec, target="v", delay=1.0, rule=PairSTDP(bounds=(0, 2.0)))
    w_x = sp.random_array((n, 60), density=0.3, random_state=2, format="csr") * 0.5
    net.connect("extra", w_x, target="exc", delay=0.5, rule=TripletSTDP(bounds=(0, 1.0)))
    w_i = sp.random_array((n, n), density=0.1, random_state=3, format="csr") * 0.05
    net.connect(
        "neurons",
        w_i,
        target="inh",
        delay=2.0,
        rule=InhibitorySTDP(eta=0.01, bounds=(0, 1.0)),
    )
    return net


@pytest.mark.skipif(not HAVE_NUMBA, reason="needs numba")
def test_numpy_twin_gives_the_same_spikes_and_weights():
    out = {}
    for backend in ("numba", "numpy"):
        net = _mixed_network(backend)
        rec = net.run(300.0, sample=[0, 5], every=7)
        out[backend] = (rec, [net.weights(g) for g in range(4)])
    (ra, wa), (rb, wb) = out["numba"], out["numpy"]
    assert len(ra.times) > 200
    np.testing.assert_array_equal(ra.times, rb.times)
    np.testing.assert_array_equal(ra.indices, rb.indices)
    for a, b in zip(wa, wb, strict=True):
        np.testing.assert_allclose(a.toarray(), b.toarray(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ra.samples["v"], rb.samples["v"], rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_seed_same_spikes(backend):
    runs = [_mixed_network(backend, seed=s).run(100.0) for s in (7, 7, 8)]
    np.testing.assert_array_equal(runs[0].times, runs[1].times)
    np.testing.assert_array_equal(runs[0].indices, runs[1].indices)
    assert len(runs[0].times) != len(runs[2].times) or not np.array_equal(
        runs[0].indices, runs[2].indices
    )


def test_recording_is_compact_and_consistent():
    net = _mixed_network(BACKENDS[0])
    rec = net.run(200.0, sample=[1, 2, 3], every=10)
    assert rec.samples["v"].shape == (200, 3)
    np.testing.assert_allclose(rec.sample_times, np.arange(200) * 1.0)
    assert rec.pop_count.sum() == len(rec.times)
    t, rate = rec.population_rate(10.0)
    assert len(t) == 20
    np.testing.assert_allclose(rate.mean(), rec.rates().mean())
    # Nothing is held per neuron per step: far less than a dense (steps, n) record.
    assert rec.nbytes() < 2000 * 40 * 8 / 4
    # The sample of neuron 1 at t = 0 is the resting potential, before any input.
    assert rec.samples["v"][0, 0] == net.neuron.v_rest


def test_delay_is_exact():
    """A spike at step t arrives at step t + delay / dt (one neuron drives another)."""
    net = SpikingNetwork(2, dt=0.1, seed=0)
    net.i_ext[:] = [25.0, 0.0]
    w = sp.csr_array(([30.0], ([1], [0])), shape=(2, 2))
    net.connect("neurons", w, target="v", delay=1.3)
    rec = net.run(100.0)
    t0 = rec.times[rec.indices == 0]
    t1 = rec.times[rec.indices == 1]
    # Neuron 1 crosses threshold one step after the jump arrives (it is integrated first).
    np.testing.assert_allclose(t1, t0[: len(t1)] + 1.3 + 0.1)


def spike_rows(times_steps, n_steps):
    s = np.zeros((n_steps, 1))
    s[list(times_steps), 0] = 1.0
    return s


def test_pair_stdp_window():
    rule = PairSTDP(a_plus=0.01, a_minus=-0.012, tau_plus=17.0, tau_minus=34.0, dt=0.1)
    for lag in range(-500, 501, 25):  # steps of 0.1 ms: -50 .. 50 ms
        pre = spike_rows([600], 1200)
        post = spike_rows([600 + lag], 1200)
        dw = rule.delta(pre, post, np.zeros((1, 1)))[0, 0]
        d = lag * 0.1
        want = 0.01 * np.exp(-d / 17.0) if d >= 0 else -0.012 * np.exp(d / 34.0)
        np.testing.assert_allclose(dw, want, rtol=1e-9)


def test_triplet_potentiation_grows_with_pairing_frequency():
    """60 pairings at +10 ms and -10 ms (Sjostrom et al. 2001 protocol, fit of Pfister
    & Gerstner 2006): potentiation grows with frequency; at -10 ms depression at low
    frequency (up to 20 Hz) turns into potentiation at 40 and 50 Hz."""
    rule = TripletSTDP(dt=1.0)
    out = {}
    for lag in (10, -10):
        out[lag] = []
        for rho in (1.0, 10.0, 20.0, 40.0, 50.0):
            period = round(1000.0 / rho)
            pre_t = 20 + period * np.arange(60)
            n = int(pre_t[-1]) + 200
            pre, post = spike_rows(pre_t, n), spike_rows(pre_t + lag, n)
            out[lag].append(rule.delta(pre, post, np.zeros((1, 1)))[0, 0])
    assert np.all(np.diff(out[10]) > 0)
    assert out[-10][0] < 0 and out[-10][2] < 0 < out[-10][3] < out[-10][4]


@pytest.mark.parametrize(
    "rule",
    [
        PairSTDP(a_plus=0.002, a_minus=-0.0021),
        PairSTDP(a_plus=0.002, a_minus=-0.0021, weight_dependent=True, bounds=(-5, 5)),
        TripletSTDP(),
        InhibitorySTDP(eta=0.001),
    ],
    ids=["pair", "pair-weight-dependent", "triplet", "inhibitory"],
)
def test_compiled_loop_applies_the_rule_event_driven(rule):
    """The loop's weights after a run equal ``rule.delta`` of the recorded spike rows."""
    n, dt = 30, 0.1
    net = SpikingNetwork(n, dt=dt, seed=4, backend=BACKENDS[0])
    net.add_poisson("drive", np.full(n, 600.0))
    net.connect("drive", sp.identity(n, format="csr") * 4.0, target="v")
    w0 = sp.random_array((n, n), density=0.3, random_state=5, format="csr") * 0.5
    # Vogels' rule is refused on excitatory targets: it holds a rate only by inhibiting.
    target = "inh" if isinstance(rule, InhibitorySTDP) else "v"
    net.connect("neurons", w0, target=target, rule=rule)
    rec = net.run(200.0)
    spikes = np.zeros((len(rec.pop_count), n))
    spikes[np.round(rec.times / dt).astype(int), rec.indices] = 1.0
    assert spikes.sum() > 300
    want = w0.toarray() + rule.delta(spikes, spikes, w0).toarray()
    got = net.weights(1).toarray()
    # Exact for additive rules; the weight-dependent one reads w at each event, the
    # batch formula w at the start: they differ at second order in the amplitudes.
    change = np.abs(want - w0.toarray()).max()
    assert change > 1e-3
    if getattr(rule, "weight_dependent", False):
        np.testing.assert_allclose(got, want, rtol=0, atol=0.01 * change)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def _song(duration, seed=0):
    """Brian2's example of Song, Miller & Abbott (2000): 1000 Poisson inputs at 15 Hz
    onto one conductance-based LIF neuron, additive pair STDP."""
    gmax = 0.01
    nrn = LIF(tau_m=10.0, v_rest=-74.0, threshold=-54.0, v_reset=-60.0, t_ref=0.0)
    net = SpikingNetwork(1, nrn, dt=0.1, tau_e=5.0, exc="conductance", seed=seed)
    net.add_poisson("inputs", np.full(1000, 15.0))
    rule = PairSTDP(a_plus=0.01 * gmax, a_minus=-0.0105 * gmax, bounds=(0.0, gmax), dt=0.1)
    w0 = np.random.default_rng(seed).random((1, 1000)) * gmax
    net.connect("inputs", w0, target="exc", rule=rule)
    first = net.run(2000.0).rates()[0]
    net.run(duration - 4000.0)
    last = net.run(2000.0).rates()[0]
    return first, last, net.weights(0).toarray().ravel() / gmax


def test_song_miller_abbott_weights_become_u_shaped_and_the_rate_falls():
    first, last, w = _song(100_000.0)
    assert last < 0.6 * first
    # Started uniform (0.1 of the weights in each tenth of [0, w_max]); now U-shaped:
    # each outer tenth holds more than twice what a tenth of the middle does.
    tenths = np.histogram(w, bins=10, range=(0.0, 1.0))[0] / len(w)
    middle = tenths[2:8].mean()
    assert tenths[0] > 2 * middle and tenths[-1] > 2 * middle, tenths
    assert tenths[0] + tenths[-1] > 0.3, tenths


def test_inhibitory_plasticity_holds_the_target_rate():
    """Vogels et al. (2011): ten neurons, each with 400 excitatory and 200 plastic
    inhibitory Poisson inputs, start far above 5 Hz and settle within 10 % of it."""
    n, ne, ni = 10, 400, 200
    net = SpikingNetwork(
        n, dt=0.1, tau_e=5.0, tau_i=10.0, exc="conductance", inh="conductance", seed=1
    )
    net.add_poisson("e", np.full(n * ne, 10.0))
    net.add_poisson("i", np.full(n * ni, 10.0))

    def block(m):
        return sp.csr_array(sp.kron(sp.identity(n), np.ones((1, m))))

    net.connect("e", block(ne) * 0.03, target="exc")
    rule = InhibitorySTDP(eta=0.002, target_rate=5.0, tau=20.0, bounds=(0.0, 1.0))
    net.connect("i", block(ni) * 0.0005, target="inh", rule=rule)
    start = net.run(1000.0).rates().mean()
    net.run(20_000.0)
    end = net.run(20_000.0).rates().mean()
    assert start > 20.0
    assert abs(end - 5.0) < 0.5, end


@pytest.mark.parametrize(
    "rule",
    [PairSTDP(), PairSTDP(weight_dependent=True, bounds=(-1, 1)), TripletSTDP(),
     InhibitorySTDP()],
)  # fmt: skip
def test_rules_conform_and_are_registered(rule):
    check_rule(rule)
    made = nm.create_rule(rule.name)
    assert type(made) is type(rule)
    tags = nm.tags.get_tags(rule)
    assert tags.encodings == ("binary",) and tags.temporal


def test_bad_input_names_the_parameter():
    with pytest.raises(nm.ValidationError, match="weight_dependent"):
        PairSTDP(weight_dependent=True)
    with pytest.raises(nm.ValidationError, match="v_reset"):
        LIF(v_reset=-40.0)
    net = SpikingNetwork(3)
    with pytest.raises(nm.ValidationError, match="pre"):
        net.connect("nothing", np.ones((3, 3)))
    with pytest.raises(nm.ValidationError, match="weights"):
        net.connect("neurons", np.ones((3, 2)))
    with pytest.raises(nm.ValidationError, match="rule"):
        net.connect("neurons", np.ones((3, 3)), rule=nm.create_rule("hebbian"))
    with pytest.raises(nm.ValidationError, match="rates"):
        net.add_poisson("p", [-1.0])
    with pytest.raises(nm.ValidationError, match="target"):
        net.connect("neurons", np.ones((3, 3)), target="x")


def test_plots_draw_what_was_recorded():
    import matplotlib.pyplot as plt

    import neuromem.spiking.plotting as nsp

    net = _mixed_network(BACKENDS[0])
    rec = net.run(100.0, sample=[0, 1], every=5)
    ax = nsp.raster(rec)
    x, y = ax.lines[0].get_data()
    np.testing.assert_array_equal(x, rec.times)
    np.testing.assert_array_equal(y, rec.indices)
    assert nsp.raster(rec, ax=ax, neurons=10).lines[-1].get_ydata().max() < 10
    ax = nsp.population_rate(rec, bin_ms=10.0)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), rec.population_rate(10.0)[1])
    ax = nsp.membrane_traces(rec)
    assert len(ax.lines) == 2
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), rec.samples["v"][:, 1])
    w = net.weights(1)
    ax = nsp.weight_histogram(w, w_max=2.0)
    assert sum(p.get_height() for p in ax.patches) == w.nnz
    x = np.zeros((2, 40))
    x[0, 30:] = 1
    x[1, 10:20] = 1
    ax = nsp.assembly_weights(net.weights(1), x)
    img = ax.images[0].get_array()
    order = np.r_[30:40, 10:20, 0:10, 20:30]
    np.testing.assert_array_equal(img, net.weights(1).toarray()[np.ix_(order, order)])
    plt.close("all")
    with pytest.raises(nm.ValidationError, match="variable"):
        nsp.membrane_traces(net.run(10.0))
    with pytest.raises(nm.ValidationError, match="recording"):
        nsp.raster("spikes")
    with pytest.raises(nm.ValidationError, match="patterns"):
        nsp.assembly_weights(np.ones((3, 3)), np.ones((2, 4)))


def test_weights_round_trip_in_the_order_of_the_structure():
    net = _mixed_network(BACKENDS[0])
    for g, grp in enumerate(net.groups):
        np.testing.assert_array_equal(net.weights(g).toarray(), grp.weights.toarray())
    new = net.groups[1].weights.toarray() * 0.5 + 0.25 * (
        net.groups[1].weights.toarray() > 0
    )
    net.set_weights(1, new)
    np.testing.assert_array_equal(net.weights(1).toarray(), new)
    with pytest.raises(nm.ValidationError, match="weights"):
        net.set_weights(1, np.ones((3, 3)))
    net.run(20.0)
    net.reset_state()
    assert np.all(net.v == net.neuron.v_rest) and not net.ge.any()
