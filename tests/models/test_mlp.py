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
        early_stopping=False,
        seed=3,
    ).store(x, t)
    for syn in mem.synapses_:  # biases away from zero so they matter to every unit
        syn.bias = rng.uniform(-0.3, 0.3, syn.bias.shape)
    grads = mem.gradients(x, t)
    h = 1e-6
    for syn, (gw, gb) in zip(mem.synapses_, grads, strict=True):
        for analytic, param in zip((gw, gb), syn.writable(), strict=True):
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
    mem = nm.create(
        "mlp", n_units=6, hidden=[5, 4], epochs=1, early_stopping=False, seed=0
    ).store(x, t)
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
    check_memory(
        nm.create("mlp", n_units=24, hidden=[12], epochs=20, early_stopping=False, seed=0),
        x,
    )
    check_memory(
        nm.create("mlp", n_units=24, epochs=5, early_stopping=False, seed=0), x
    )  # the defaults
    check_memory(
        nm.create("mlp", n_units=24, hidden=[8], epochs=20, early_stopping=False, seed=0),
        x,
        targets=y,
    )
    check_memory(
        nm.create(
            "mlp",
            n_units=24,
            hidden=[8],
            epochs=5,
            early_stopping=False,
            optimizer="momentum",
            seed=1,
        ),
        nm.patterns.to_binary(x),
    )


def test_defaults_work_with_only_n_units_and_seed():
    x = nm.patterns.random_bipolar(10, 64, seed=0)
    mem = nm.create("mlp", n_units=64, seed=0).store(x)
    cues = nm.patterns.flip(x, 0.1, seed=1)
    assert overlap(mem.recall(cues).states, x).min() == 1.0
    # +/-1 patterns: cross-entropy on sigmoid outputs (loss="auto"), early stopping.
    assert mem.widths == (64,) and mem.synapses_[-1].post.neuron.name == "sigmoid"
    assert mem.loss_ == "bce" and mem.converged_ is True and mem.n_iter_ < mem.epochs


def test_network_is_built_from_core_parts():
    mem = nm.create("mlp", n_units=6, hidden=[5, 4], epochs=1, early_stopping=False, seed=0)
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
    he = nm.create(
        "mlp",
        n_units=400,
        hidden=[300],
        activation="relu",
        epochs=1,
        early_stopping=False,
        seed=5,
    )
    w_he = initial_weights(he, x)
    assert abs(w_he.std() - np.sqrt(2 / 400)) < 0.02 * np.sqrt(2 / 400)
    xa = nm.create(
        "mlp",
        n_units=400,
        hidden=[300],
        activation="tanh",
        epochs=1,
        early_stopping=False,
        seed=5,
    )
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
        early_stopping=False,  # the seed trains all its epochs
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
    assert m.min() == 1.0  # every letter back from a 10%-flipped cue in one pass
    it = mem.recall(cues, iterate=True)
    assert it.converged.all() and (it.steps == 2).all()
    assert overlap(it.states, letters).min() == 1.0
    # An attractor memory: every letter is a fixed point of the iterated map. Early
    # stopping ended training after 69 of the 100 default epochs, once every output
    # was at least halfway from the decision midpoint to its target.
    fixed = mem.recall(letters, iterate=True)
    np.testing.assert_array_equal(fixed.states, letters)
    assert (fixed.steps == 1).all()
    assert mem.converged_ and mem.n_iter_ == 69
    assert mem.history_["loss"][-1] < 0.01 * mem.history_["loss"][0]


def test_catastrophic_interference_and_rehearsal():
    xa = nm.patterns.random_bipolar(10, 100, seed=1)
    xb = nm.patterns.random_bipolar(10, 100, seed=2)
    # The classic protocol: a fixed training time for each set, no early stopping.
    plain = nm.create(
        "mlp", n_units=100, hidden=[20], epochs=200, early_stopping=False, seed=0
    )
    plain.store(xa)
    assert recall_accuracy(plain.recall(xa).states, xa) == 1.0
    loss_a_before = plain.loss_value(xa, xa)
    plain.store(xb)  # B only: no rehearsal
    assert recall_accuracy(plain.recall(xb).states, xb) == 1.0
    assert recall_accuracy(plain.recall(xa).states, xa) == 0.0
    assert overlap(plain.recall(xa).states, xa).mean() < 0.8  # 1.0 before B
    loss_a_plain = plain.loss_value(xa, xa)
    assert loss_a_plain > 10 * loss_a_before  # 29.1 against 1.95

    rehearsed = nm.create(
        "mlp",
        n_units=100,
        hidden=[20],
        epochs=200,
        rehearsal=0.5,
        early_stopping=False,
        seed=0,
    )
    rehearsed.store(xa).store(xb)
    loss_a_rehearsed = rehearsed.loss_value(xa, xa)
    assert loss_a_rehearsed < 0.7 * loss_a_plain  # 17.6 against 29.1
    assert recall_accuracy(rehearsed.recall(xa).states, xa) >= 0.5
    assert recall_accuracy(rehearsed.recall(xb).states, xb) >= 0.9


# -- memory behaviour ------------------------------------------------------------------
def test_history_and_early_stopping():
    x = nm.patterns.random_bipolar(8, 40, seed=0)
    full = nm.create("mlp", n_units=40, epochs=150, early_stopping=False, seed=0)
    full.store(x)
    assert full.history_["loss"].shape == (150,) and full.n_iter_ == 150
    assert full.history_["accuracy"][-1] == 1.0
    early = nm.create("mlp", n_units=40, epochs=150, seed=0).store(x)
    n = len(early.history_["loss"])
    assert n == early.n_iter_ == 25 and early.history_["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(early.recall(x).states, x)
    np.testing.assert_allclose(early.history_["loss"], full.history_["loss"][:n])


def test_denoising_training_is_seeded_and_helps():
    x = nm.patterns.random_bipolar(30, 100, seed=4)
    cues = nm.patterns.flip(x, 0.25, seed=5)
    opts = {"n_units": 100, "hidden": [50], "epochs": 200, "early_stopping": False}
    clean = nm.create("mlp", **opts, seed=0).store(x)
    noisy = nm.create("mlp", **opts, noise=0.2, seed=0)
    noisy.store(x)
    again = nm.create("mlp", **opts, noise=0.2, seed=0)
    np.testing.assert_array_equal(
        again.store(x).synapses_[0].values, noisy.synapses_[0].values
    )
    m_clean = overlap(clean.recall(cues).states, x).mean()
    m_noisy = overlap(noisy.recall(cues).states, x).mean()
    assert m_noisy > m_clean + 0.03  # 0.775 against 0.727


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
    mem = nm.create(
        "mlp", n_units=20, hidden=[10], epochs=10, early_stopping=False, seed=0
    ).store(x)
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
    _raises(
        "patterns",
        lambda: nm.create("mlp", n_units=12, epochs=1, early_stopping=False).store(x),
    )
    _raises(
        "targets",
        lambda: nm.create("mlp", n_units=10, n_out=3, epochs=1, early_stopping=False).store(
            x, x
        ),
    )
    _raises(
        "patterns",
        lambda: nm.create("mlp", n_units=10, n_out=3, epochs=1, early_stopping=False).store(
            x
        ),
    )
    mem = nm.create("mlp", n_units=10, epochs=1, early_stopping=False).store(x, x[:, :4])
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
    mem = nm.create("mlp", n_units=10, epochs=1, early_stopping=False).store(x)
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
    mem = nm.create("mlp", n_units=4, epochs=1, early_stopping=False).store(x, x[:, :2])
    _raises("iterate", lambda: mem.recall(x, iterate=True))
    _raises("mlp.recall", lambda: nm.create("mlp", n_units=4).recall(x))
    _raises(
        "targets",
        lambda: nm.create("mlp", n_units=4, output_activation="sigmoid").store(x, 3 * x),
    )


# -- training that fails says so (issue 9 §5) ------------------------------------------
def test_stalled_training_warns_naming_learning_rate():
    # Issue 9's case with the seed's squared error: Adam at learning_rate=0.1 drives
    # every tanh output into saturation; the loss stalls at 54.3 with no letter stored.
    letters = nm.patterns.glyphs("ABCDEFGHIJKLMNOPQRST", size=12)
    mem = nm.create(
        "mlp",
        n_units=144,
        hidden=[256],
        activation="tanh",
        loss="mse",
        epochs=100,
        learning_rate=0.1,
        seed=0,
    )
    with pytest.warns(nm.ConvergenceWarning, match="lower learning_rate") as rec:
        mem.store(letters)
    text = str(rec[0].message)
    assert "0% of the 20 training patterns" in text and "final loss 54.3" in text
    assert mem.converged_ is False and mem.n_iter_ == 100
    # What docs/mlp.md advises works: at the default learning rate and loss
    # (cross-entropy, whose output error does not vanish at saturation) every letter
    # is stored.
    ok = nm.create("mlp", n_units=144, hidden=[256], seed=0).store(letters)
    assert ok.converged_ is True
    np.testing.assert_array_equal(ok.recall(letters).states, letters)


def test_too_few_epochs_warns_naming_epochs_and_fixed_epochs_do_not():
    x = nm.patterns.random_bipolar(10, 40, seed=0)
    with pytest.warns(nm.ConvergenceWarning, match=r"raise epochs \(it was 3"):
        mem = nm.create("mlp", n_units=40, epochs=3, seed=0).store(x)
    assert mem.converged_ is False
    # early_stopping=False asks for exactly `epochs` epochs: no goal, no warning, but
    # converged_ still tells.
    fixed = nm.create("mlp", n_units=40, epochs=3, early_stopping=False, seed=0).store(x)
    assert fixed.converged_ is False
    real = nm.create("mlp", n_units=3, hidden=[4], epochs=2, seed=0)
    real.store(np.random.default_rng(0).standard_normal((5, 3)))
    assert real.converged_ is None  # real targets have no exact goal


# -- learning curves (issue 13 §6) ------------------------------------------------------
def test_history_is_kept_across_calls_and_a_callback_sees_every_epoch():
    x = nm.patterns.random_bipolar(6, 30, seed=0)
    seen = []
    mem = nm.create("mlp", n_units=30, hidden=[20], early_stopping=False, seed=0)
    mem.store(x, epochs=4, callback=lambda e, loss, acc: seen.append((e, loss, acc)))
    mem.store(x, epochs=3, callback=lambda e, loss, acc: seen.append((e, loss, acc)))
    h = mem.history_
    assert h["loss"].shape == h["accuracy"].shape == h["call"].shape == (7,)
    np.testing.assert_array_equal(h["call"], [0, 0, 0, 0, 1, 1, 1])
    assert [e for e, _, _ in seen] == list(range(7))
    np.testing.assert_array_equal([loss for _, loss, _ in seen], h["loss"])
    # One call of 7 epochs is the same training as 4 + 3 (same seed, same streams).
    one = nm.create("mlp", n_units=30, hidden=[20], early_stopping=False, seed=0)
    one.store(x, epochs=7)
    np.testing.assert_allclose(one.history_["loss"], h["loss"], rtol=1e-12)
    np.testing.assert_allclose(one.synapses_[0].values, mem.synapses_[0].values, rtol=1e-12)
    # A callback that returns True stops training after that epoch.
    stop = nm.create("mlp", n_units=30, hidden=[20], early_stopping=False, seed=0)
    stop.store(x, epochs=50, callback=lambda e, loss, acc: e == 2)
    assert stop.n_iter_ == 3
    with pytest.raises(nm.ValidationError, match="callback"):
        stop.store(x, callback=5)
    with pytest.raises(nm.ValidationError, match="epochs"):
        stop.store(x, epochs=0)


def test_restoring_the_same_patterns_does_not_duplicate_them():
    x = nm.patterns.random_bipolar(6, 30, seed=0)
    y = nm.patterns.random_bipolar(2, 30, seed=1)
    mem = nm.create("mlp", n_units=30, hidden=[20], epochs=2, early_stopping=False, seed=0)
    for _ in range(3):
        mem.store(x)
    np.testing.assert_array_equal(mem.patterns_, x)
    mem.store(np.concatenate([y, x[:2], y[:1]]))  # new ones once, in first-seen order
    np.testing.assert_array_equal(mem.patterns_, np.concatenate([x, y]))
    # Hetero-association: a key with a new target is a new pair.
    keys = nm.patterns.random_bipolar(3, 30, seed=2)
    vals = nm.patterns.random_bipolar(3, 4, seed=3)
    het = nm.create("mlp", n_units=30, hidden=[8], epochs=2, early_stopping=False, seed=0)
    het.store(keys, vals).store(keys, vals).store(keys[:1], -vals[:1])
    np.testing.assert_array_equal(het.patterns_, np.concatenate([keys, keys[:1]]))
    np.testing.assert_array_equal(het.targets_, np.concatenate([vals, -vals[:1]]))


# -- recording an iterated recall -------------------------------------------------------
def test_iterated_recall_records_states_and_overlaps():
    letters = nm.patterns.glyphs("ABCDEF", size=10)
    mem = nm.create("mlp", n_units=100, hidden=[60], seed=0).store(letters)
    cues = nm.patterns.flip(letters, 0.3, seed=1)
    res = mem.recall(cues, iterate=True, record=True)
    plain = mem.recall(cues, iterate=True)
    np.testing.assert_array_equal(res.states, plain.states)  # recording changes nothing
    tr = res.trajectory
    t = int(res.steps.max())
    assert set(tr) == {"states", "overlaps"}
    assert tr["states"].shape == (6, t + 1, 100)
    assert tr["overlaps"].shape == (6, t + 1, 6)
    np.testing.assert_array_equal(tr["states"][:, 0], cues)
    np.testing.assert_array_equal(tr["states"][:, -1], res.states)
    ref = tr["states"] @ letters.T / 100  # +/-1: the plain overlap
    np.testing.assert_allclose(tr["overlaps"], ref)
    for i, s in enumerate(res.steps):  # a cue that stopped repeats its final state
        np.testing.assert_array_equal(
            tr["states"][i, s:], np.repeat(res.states[i][None], t + 1 - s, 0)
        )
    one = mem.recall(cues, record="overlaps").trajectory
    assert set(one) == {"overlaps"} and one["overlaps"].shape == (6, 2, 6)
    assert mem.recall(cues).trajectory is None
    with pytest.raises(nm.ValidationError, match="record"):
        mem.recall(cues, record="energies")


def test_a_store_interrupted_by_ctrl_c_leaves_what_the_next_store_learns():
    # The rollback restores the weights, the optimiser's moments and the random
    # streams: the model then trains exactly as its never-interrupted twin does.
    x = nm.patterns.random_bipolar(6, 16, seed=1)
    y = nm.patterns.random_bipolar(4, 16, seed=2)
    opts = {"n_units": 16, "hidden": [8], "epochs": 5, "noise": 0.1, "rehearsal": 0.5}
    opts["early_stopping"] = False  # five epochs: no convergence report
    mem = nm.create("mlp", **opts, seed=0).store(x)
    twin = nm.create("mlp", **opts, seed=0).store(x)
    calls = []

    def stop(epoch, loss, acc):
        calls.append(epoch)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mem.store(y, callback=stop)
    mem.store(y)
    twin.store(y)
    for a, b in zip(mem.synapses_, twin.synapses_, strict=True):
        assert np.array_equal(a.values, b.values) and np.array_equal(a.bias, b.bias)
    assert np.array_equal(mem.history_["loss"], twin.history_["loss"])
    assert np.array_equal(mem.patterns_, twin.patterns_)
    fresh = nm.create("mlp", **opts, seed=0)
    with pytest.raises(KeyboardInterrupt):
        fresh.store(x, callback=lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    assert getattr(fresh, "network_", None) is None
    assert np.array_equal(fresh.store(x).synapses_[0].values, twin_first(opts, x))


def twin_first(opts, x):
    return nm.create("mlp", **opts, seed=0).store(x).synapses_[0].values
