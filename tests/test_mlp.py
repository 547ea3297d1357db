"""The backprop rule, the optimisers and the MLP memory (issue 5)."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from neuromem.metrics import overlap, recall_accuracy
from neuromem.models.mlp import ACTIVATIONS
from neuromem.optimizers import SGD, Adam, Momentum
from neuromem.testing import check_memory, check_rule

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def initial_weights(mem, x):
    """The first synapse's weights as initialised for auto-associating ``x``."""
    mem = mem.clone()
    mem._build(x.shape[1], mem._output_law("bipolar"), "auto", "bipolar")
    return mem.synapses_[0].values.copy()


# -- the rule --------------------------------------------------------------------------
def test_backprop_rule_conformance():
    check_rule(nm.create_rule("backprop"))
    check_rule(nm.create_rule("backprop", learning_rate=0.3))


def test_backprop_rule_is_minus_error_times_input():
    rng = np.random.default_rng(0)
    pre, delta = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    rule = nm.create_rule("backprop", learning_rate=0.5)
    d = rule.delta(pre, np.zeros((5, 3)), np.zeros((3, 4)), signal=delta)
    np.testing.assert_allclose(d, -0.5 * delta.T @ pre, rtol=1e-12)


def test_backprop_rule_needs_its_error():
    rule = nm.create_rule("backprop")
    with pytest.raises(nm.ValidationError, match="signal"):
        rule.delta(np.ones((1, 3)), np.ones((1, 2)), np.zeros((2, 3)))


# -- optimisers ------------------------------------------------------------------------
def test_optimisers_match_their_formulas():
    g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    p = np.zeros(2)
    SGD(0.1).step([p], [g1.copy()])
    np.testing.assert_allclose(p, 0.1 * g1)

    p, opt = np.zeros(2), Momentum(0.1, momentum=0.9)
    opt.step([p], [g1.copy()])
    opt.step([p], [g2.copy()])
    np.testing.assert_allclose(p, 0.1 * g1 + (0.9 * 0.1 * g1 + 0.1 * g2))

    p, opt = np.zeros(2), Adam(0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    opt.step([p], [g1.copy()])
    opt.step([p], [g2.copy()])
    m, v, ref = np.zeros(2), np.zeros(2), np.zeros(2)
    for t, g in enumerate([g1, g2], start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        ref += 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(p, ref, rtol=1e-12)
    assert opt.t_ == 2
    opt.reset()
    assert opt.m_ is None and opt.t_ == 0


# -- gradient check --------------------------------------------------------------------
OUTPUTS = [("mse", "linear"), ("mse", "tanh"), ("mse", "sigmoid"), ("mse", "relu")]
OUTPUTS += [("bce", "sigmoid")]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("loss", "output"), OUTPUTS)
def test_gradients_match_central_differences(activation, loss, output):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 3))
    t = rng.uniform(0.05, 0.95, (5, 2))  # valid targets for every output law and loss
    mem = nm.create(
        "mlp",
        n_units=3,
        hidden=[4, 3],
        activation=activation,
        output_activation=output,
        loss=loss,
        epochs=1,
        seed=3,
    ).store(x, t)
    for syn in mem.synapses_:  # biases away from zero so they matter to every unit
        syn.bias[:] = rng.uniform(-0.3, 0.3, syn.bias.shape)
    grads = mem.gradients(x, t)
    h = 1e-6
    for syn, (gw, gb) in zip(mem.synapses_, grads, strict=True):
        for analytic, param in ((gw, syn.values), (gb, syn.bias)):
            numeric = np.zeros_like(param)
            for i in np.ndindex(param.shape):  # a test over every single parameter
                keep = param[i]
                param[i] = keep + h
                up = mem.loss_value(x, t)
                param[i] = keep - h
                down = mem.loss_value(x, t)
                param[i] = keep
                numeric[i] = (up - down) / (2 * h)
            scale = max(np.abs(analytic).max(), np.abs(numeric).max())
            assert scale > 1e-6, "the check needs parameters that affect the loss"
            rel = np.linalg.norm(analytic - numeric) / (
                np.linalg.norm(analytic) + np.linalg.norm(numeric)
            )
            assert rel < 1e-6, f"relative error {rel:.2e}"
            assert np.abs(analytic - numeric).max() < 1e-6 * scale


def test_backward_pass_runs_on_sparse_synapses():
    # The backward pass uses only layout primitives, so a layer whose weights are a
    # scipy.sparse matrix gives the same gradients as the dense one.
    x = np.random.default_rng(0).standard_normal((4, 6))
    t = np.tanh(x[:, :3])
    mem = nm.create("mlp", n_units=6, hidden=[5, 4], epochs=1, seed=0).store(x, t)
    dense = mem.gradients(x, t)
    for k, syn in enumerate(mem.synapses_):
        topo = nm.topology.complete(syn.post.n, n_pre=syn.pre.n, self_connections=True)
        mem.synapses_[k] = nm.Synapse(
            syn.pre,
            syn.post,
            topology=topo,
            weights=syn.values,
            bias=syn.bias,
            rule=syn.rule,
            sparse=True,
        )
    assert all(s.is_sparse for s in mem.synapses_)
    sparse = mem.gradients(x, t)
    for (dw, db), (sw, sb), syn in zip(dense, sparse, mem.synapses_, strict=True):
        np.testing.assert_allclose(syn.layout.wrap(sw).toarray(), dw, rtol=1e-12)
        np.testing.assert_allclose(sb, db, rtol=1e-12)


# -- conformance -----------------------------------------------------------------------
def test_check_memory_auto_and_hetero():
    x = nm.patterns.random_bipolar(6, 24, seed=0)
    y = nm.patterns.random_sparse(6, 5, coding_level=0.5, seed=1)
    check_memory(nm.create("mlp", n_units=24, hidden=[12], epochs=20, seed=0), x)
    check_memory(nm.create("mlp", n_units=24, epochs=5, seed=0), x)  # the defaults
    check_memory(nm.create("mlp", n_units=24, hidden=[8], epochs=20, seed=0), x, targets=y)
    check_memory(
        nm.create("mlp", n_units=24, hidden=[8], epochs=5, optimizer="momentum", seed=1),
        nm.patterns.to_binary(x),
    )


def test_defaults_work_with_only_n_units_and_seed():
    x = nm.patterns.random_bipolar(10, 64, seed=0)
    mem = nm.create("mlp", n_units=64, seed=0).store(x)
    cues = nm.patterns.flip(x, 0.1, seed=1)
    assert overlap(mem.recall(cues).states, x).min() == 1.0
    assert mem.widths == (64,) and mem.synapses_[-1].post.neuron.name == "tanh"


def test_network_is_built_from_core_parts():
    mem = nm.create("mlp", n_units=6, hidden=[5, 4], epochs=1, seed=0)
    mem.store(nm.patterns.random_bipolar(3, 6, seed=0))
    assert list(mem.network_.graph.edges) == [
        ("input", "hidden1"),
        ("hidden1", "hidden2"),
        ("hidden2", "output"),
    ]
    assert [s.layout.shape for s in mem.synapses_] == [(5, 6), (4, 5), (6, 4)]
    assert all(isinstance(s.rule, nm.rules.Backprop) for s in mem.synapses_)


def test_seeded_initialisation_he_and_xavier():
    x = nm.patterns.random_bipolar(2, 400, seed=0)
    he = nm.create("mlp", n_units=400, hidden=[300], activation="relu", epochs=1, seed=5)
    w_he = initial_weights(he, x)
    assert abs(w_he.std() - np.sqrt(2 / 400)) < 0.02 * np.sqrt(2 / 400)
    xa = nm.create("mlp", n_units=400, hidden=[300], activation="tanh", epochs=1, seed=5)
    w_xa = initial_weights(xa, x)
    limit = np.sqrt(6 / 700)
    assert np.abs(w_xa).max() <= limit
    assert abs(w_xa.std() - limit / np.sqrt(3)) < 0.02 * limit
    np.testing.assert_array_equal(w_he, initial_weights(he, x))  # same seed, same weights


# -- reproductions ---------------------------------------------------------------------
def test_seed_network_2_3_1_learns_xor():
    # The seed article's shape and method: ReLU units, squared error, plain SGD.
    mem = nm.create(
        "mlp",
        n_units=2,
        hidden=[3],
        activation="relu",
        output_activation="relu",
        loss="mse",
        optimizer="sgd",
        learning_rate=0.1,
        epochs=2000,
        batch_size=None,
        seed=5,
    ).store(XOR_X, XOR_Y)
    assert mem.history_["loss"][0] > 0.1
    assert mem.loss_value(XOR_X, XOR_Y) < 1e-6
    np.testing.assert_allclose(mem.recall(XOR_X).states, XOR_Y, atol=1e-3)


def test_autoencoder_recalls_20_glyphs_from_noisy_cues():
    letters = nm.patterns.glyphs("ABCDEFGHIJKLMNOPQRST", size=16)
    mem = nm.create("mlp", n_units=256, seed=0).store(letters)
    cues = nm.patterns.flip(letters, 0.1, seed=1)
    assert overlap(cues, letters).max() == pytest.approx(1 - 2 * 26 / 256)
    res = mem.recall(cues)
    m = overlap(res.states, letters)
    assert m.min() > 0.95 and m.mean() > 0.99
    it = mem.recall(cues, iterate=True)
    assert it.converged.all() and (it.steps >= 2).all()
    assert overlap(it.states, letters).min() > 0.95
    # An attractor memory: 19 of the 20 letters are fixed points of the iterated map
    # (one pixel of one letter is still wrong after the 100 default epochs).
    fixed = mem.recall(letters, iterate=True)
    assert np.count_nonzero((fixed.states == letters).all(axis=1)) == 19
    assert np.count_nonzero(fixed.states != letters) == 1
    assert np.count_nonzero(fixed.steps == 1) == 19
    assert mem.history_["loss"][-1] < 0.05 * mem.history_["loss"][0]


def test_catastrophic_interference_and_rehearsal():
    xa = nm.patterns.random_bipolar(10, 100, seed=1)
    xb = nm.patterns.random_bipolar(10, 100, seed=2)
    plain = nm.create("mlp", n_units=100, hidden=[20], epochs=200, seed=0)
    plain.store(xa)
    assert recall_accuracy(plain.recall(xa).states, xa) == 1.0
    loss_a_before = plain.loss_value(xa, xa)
    plain.store(xb)  # B only: no rehearsal
    assert recall_accuracy(plain.recall(xb).states, xb) == 1.0
    assert recall_accuracy(plain.recall(xa).states, xa) == 0.0
    assert overlap(plain.recall(xa).states, xa).mean() < 0.8  # 1.0 before B
    loss_a_plain = plain.loss_value(xa, xa)
    assert loss_a_plain > 20 * loss_a_before

    rehearsed = nm.create(
        "mlp", n_units=100, hidden=[20], epochs=200, rehearsal=0.5, seed=0
    )
    rehearsed.store(xa).store(xb)
    loss_a_rehearsed = rehearsed.loss_value(xa, xa)
    assert loss_a_rehearsed < 0.7 * loss_a_plain
    assert recall_accuracy(rehearsed.recall(xa).states, xa) >= 0.5
    assert recall_accuracy(rehearsed.recall(xb).states, xb) >= 0.9


# -- memory behaviour ------------------------------------------------------------------
def test_history_and_early_stopping():
    x = nm.patterns.random_bipolar(8, 40, seed=0)
    full = nm.create("mlp", n_units=40, epochs=150, seed=0).store(x)
    assert full.history_["loss"].shape == (150,)
    assert full.history_["accuracy"][-1] == 1.0
    early = nm.create("mlp", n_units=40, epochs=150, early_stopping=True, seed=0).store(x)
    n = len(early.history_["loss"])
    assert n < 150 and early.history_["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(early.recall(x).states, x)
    np.testing.assert_allclose(early.history_["loss"], full.history_["loss"][:n])


def test_denoising_training_is_seeded_and_helps():
    x = nm.patterns.random_bipolar(30, 100, seed=4)
    cues = nm.patterns.flip(x, 0.25, seed=5)
    clean = nm.create("mlp", n_units=100, hidden=[50], epochs=60, seed=0).store(x)
    noisy = nm.create("mlp", n_units=100, hidden=[50], epochs=60, noise=0.2, seed=0)
    noisy.store(x)
    again = nm.create("mlp", n_units=100, hidden=[50], epochs=60, noise=0.2, seed=0)
    np.testing.assert_array_equal(
        again.store(x).synapses_[0].values, noisy.synapses_[0].values
    )
    m_clean = overlap(clean.recall(cues).states, x).mean()
    m_noisy = overlap(noisy.recall(cues).states, x).mean()
    assert m_noisy > m_clean + 0.02


def test_hetero_outputs_and_binary_targets():
    keys = nm.patterns.random_bipolar(12, 30, seed=0)
    vals = nm.patterns.random_sparse(12, 8, coding_level=0.5, seed=1)
    mem = nm.create("mlp", n_units=30, hidden=[20], loss="bce", epochs=200, seed=0)
    mem.store(keys, vals)
    out = mem.recall(keys).states
    assert out.min() > 0 and out.max() < 1  # raw sigmoid outputs
    np.testing.assert_array_equal(mem.recall(keys, decode=True).states, vals)
    assert mem.targets_.shape == (12, 8)


def test_float32_training():
    x = nm.patterns.random_bipolar(6, 32, seed=0)
    mem = nm.create("mlp", n_units=32, dtype="float32", epochs=60, seed=0).store(x)
    assert all(s.values.dtype == np.float32 for s in mem.synapses_)
    np.testing.assert_array_equal(mem.recall(x).states, x)


def test_save_load_keeps_weights_optimiser_state_and_history(tmp_path):
    x = nm.patterns.random_bipolar(5, 20, seed=0)
    mem = nm.create("mlp", n_units=20, hidden=[10], epochs=10, seed=0).store(x)
    mem.save(tmp_path / "m.npz")
    back = nm.load(tmp_path / "m.npz")
    for a, b in zip(mem.synapses_, back.synapses_, strict=True):
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.bias, b.bias)
    assert back.optimizers_[0].t_ == mem.optimizers_[0].t_
    np.testing.assert_array_equal(back.optimizers_[0].m_[0], mem.optimizers_[0].m_[0])
    np.testing.assert_array_equal(back.history_["loss"], mem.history_["loss"])


# -- bad input -------------------------------------------------------------------------
def _raises(param, fn):
    with pytest.raises(nm.ValidationError) as err:
        fn()
    assert err.value.param == param
    assert str(err.value).startswith(param)
    return str(err.value)


def test_layer_sizes_must_match_the_data():
    x = nm.patterns.random_bipolar(4, 10, seed=0)
    _raises("patterns", lambda: nm.create("mlp", n_units=12, epochs=1).store(x))
    _raises("targets", lambda: nm.create("mlp", n_units=10, n_out=3, epochs=1).store(x, x))
    _raises("patterns", lambda: nm.create("mlp", n_units=10, n_out=3, epochs=1).store(x))
    mem = nm.create("mlp", n_units=10, epochs=1).store(x, x[:, :4])
    _raises("targets", lambda: mem.store(x, x[:, :5]))
    _raises("targets", lambda: mem.store(x))
    _raises("targets", lambda: mem.store(x, x[:3, :4]))
    _raises("cues", lambda: mem.recall(x[:, :9]))
    _raises("hidden", lambda: nm.create("mlp", n_units=10, hidden=[4, 0]))
    _raises("hidden", lambda: nm.create("mlp", n_units=10, hidden=8))


def test_empty_hidden_only_where_allowed():
    x = nm.patterns.random_bipolar(4, 10, seed=0)
    msg = _raises("hidden", lambda: nm.create("mlp", n_units=10, hidden=[]).store(x))
    assert "hidden layer" in msg
    # A single-layer network is a fine hetero-associator (the delta rule).
    mem = nm.create("mlp", n_units=10, hidden=[], epochs=50, seed=0).store(x, x[:, :2])
    assert len(mem.synapses_) == 1


def test_nan_inputs_are_refused():
    x = nm.patterns.random_bipolar(4, 10, seed=0)
    bad = x.copy()
    bad[1, 2] = np.nan
    _raises("patterns", lambda: nm.create("mlp", n_units=10).store(bad))
    _raises("targets", lambda: nm.create("mlp", n_units=10).store(x, bad))
    mem = nm.create("mlp", n_units=10, epochs=1).store(x)
    _raises("cues", lambda: mem.recall(bad))
    _raises("inputs", lambda: mem.gradients(bad, x))


def test_diverging_learning_rate_names_it_and_keeps_weights_finite():
    x = nm.patterns.random_bipolar(20, 30, seed=0)
    mem = nm.create(
        "mlp",
        n_units=30,
        hidden=[30],
        activation="relu",
        output_activation="linear",
        optimizer="sgd",
        learning_rate=5.0,
        epochs=50,
        seed=0,
    )
    msg = _raises("learning_rate", lambda: mem.store(x))
    assert "diverged" in msg and "5.0" in msg
    assert all(
        np.isfinite(s.values).all() and np.isfinite(s.bias).all() for s in mem.synapses_
    )
    np.testing.assert_array_equal(mem.synapses_[0].values, initial_weights(mem, x))


def test_unknown_names_list_the_known_ones():
    msg = _raises("activation", lambda: nm.create("mlp", n_units=4, activation="relux"))
    assert all(name in msg for name in ACTIVATIONS)
    msg = _raises("loss", lambda: nm.create("mlp", n_units=4, loss="hinge"))
    assert "'mse'" in msg and "'bce'" in msg
    msg = _raises("optimizer", lambda: nm.create("mlp", n_units=4, optimizer="rmsprop"))
    assert all(f"'{o}'" in msg for o in ("sgd", "momentum", "adam"))
    msg = _raises(
        "output_activation", lambda: nm.create("mlp", n_units=4, output_activation="sign")
    )
    _raises(
        "output_activation",
        lambda: nm.create("mlp", n_units=4, loss="bce", output_activation="tanh"),
    )
    _raises("model 'mlp'", lambda: nm.create("mlp", n_units=4, hiden=[3]))


def test_other_bad_parameters():
    for kw, param in [
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"noise": -0.1}, "noise"),
        ({"rehearsal": 1.5}, "rehearsal"),
        ({"momentum": 1.0}, "momentum"),
        ({"init": "lecun"}, "init"),
        ({"dtype": "int8"}, "dtype"),
    ]:
        _raises(param, lambda kw=kw: nm.create("mlp", n_units=4, **kw))
    x = nm.patterns.random_bipolar(3, 4, seed=0)
    mem = nm.create("mlp", n_units=4, epochs=1).store(x, x[:, :2])
    _raises("iterate", lambda: mem.recall(x, iterate=True))
    _raises("mlp.recall", lambda: nm.create("mlp", n_units=4).recall(x))
    _raises(
        "targets",
        lambda: nm.create("mlp", n_units=4, output_activation="sigmoid").store(x, 3 * x),
    )
