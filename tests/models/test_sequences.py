"""Sequence memory: the temporal-hebbian rule, the ``sequence`` model, its capacity."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import neuromem as nm
from neuromem import topology
from neuromem.experiments.sequences import crossover, max_length
from neuromem.models.sequence import SequenceMemory, expected_overlaps
from neuromem.testing import check_memory, check_rule


def _err(fn):
    with pytest.raises(nm.ValidationError) as info:
        fn()
    return info.value


# -- plain-numpy references -----------------------------------------------------------


def ref_weights(x, cyclic):
    """W = (1/N) sum_mu xi^(mu+1) xi^mu^T, self-connections included."""
    xc = np.concatenate([x, x[:1]]) if cyclic else x
    return xc[1:].T @ xc[:-1] / x.shape[1]


def ref_run(w, cue, n_steps):
    """Synchronous s <- sign(W s), a zero field keeping the state; (T + 1, N) states."""
    out = [cue.astype(np.float64)]
    for _ in range(n_steps):
        h = w @ out[-1]
        out.append(np.where(h > 1e-12, 1.0, np.where(h < -1e-12, -1.0, out[-1])))
    return np.array(out)


# -- the rule -------------------------------------------------------------------------


def test_temporal_hebbian_conforms_and_matches_numpy_dense_and_sparse():
    check_rule(nm.create_rule("temporal-hebbian"))
    rng = np.random.default_rng(0)
    x = np.where(rng.random((6, 9)) < 0.5, 1.0, -1.0)
    rule = nm.create_rule("temporal-hebbian", learning_rate=0.25)
    expect = 0.25 * x[1:].T @ x[:-1]
    np.testing.assert_allclose(rule.delta(x, x, np.zeros((9, 9))), expect, rtol=1e-12)
    # Hetero shapes: post rows t + 1 against pre rows t.
    y = rng.standard_normal((6, 4))
    np.testing.assert_allclose(
        rule.delta(x, y, np.zeros((4, 9))), 0.25 * y[1:].T @ x[:-1], rtol=1e-12
    )
    keep = rng.random((9, 9)) < 0.4
    structure = sp.csr_array(np.where(keep, 1.0, 0.0))
    d = rule.delta(x, x, structure).toarray()
    np.testing.assert_allclose(d, np.where(keep, expect, 0.0), rtol=1e-12, atol=1e-15)
    # One time step holds no transition: refused, not stored as nothing.
    for one in (x[:1], x[0]):
        with pytest.raises(nm.ValidationError, match=r"^pre:.*2 consecutive"):
            rule.delta(one, one, np.zeros((9, 9)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("sparse", [False, True])
def test_stored_weights_match_numpy(dtype, sparse):
    n = 60
    x = nm.patterns.random_bipolar(7, n, seed=1)
    mem = nm.create("sequence", n_units=n, sparse=sparse, dtype=dtype)
    mem.store(x, cyclic=True)
    w = mem.transition_synapse_.weights
    w = w.toarray() if sp.issparse(w) else w
    assert w.dtype == np.dtype(dtype)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(w, ref_weights(x, True), atol=tol)
    # Symmetric part: Hebb without self-connections.
    mem = nm.create("sequence", n_units=n, symmetric=1.0, dtype=dtype).store(x)
    ws = x.T @ x / n
    np.fill_diagonal(ws, 0)
    np.testing.assert_allclose(mem.symmetric_synapse_.weights, ws, atol=tol)
    np.testing.assert_allclose(
        mem.transition_synapse_.weights, ref_weights(x, False), atol=tol
    )


def test_several_sequences_list_or_calls_and_no_transition_between_them():
    n = 80
    a = nm.patterns.random_bipolar(5, n, seed=2)
    b = nm.patterns.random_bipolar(4, n, seed=3)
    m1 = nm.create("sequence", n_units=n).store([a, b])
    m2 = nm.create("sequence", n_units=n).store(a).store(b)
    m3 = nm.create("sequence", n_units=n).store(np.stack([a[:4], b]))
    np.testing.assert_allclose(
        m1.transition_synapse_.weights, m2.transition_synapse_.weights
    )
    expect = ref_weights(a, False) + ref_weights(b, False)
    np.testing.assert_allclose(m1.transition_synapse_.weights, expect, atol=1e-12)
    assert m1.n_stored_ == 9 and list(m1.lengths_) == [5, 4]
    assert m3.n_stored_ == 8 and len(m3.pre_) == 6
    # Nested lists of numbers are one sequence (they were taken for a list of
    # one-pattern sequences and refused); nested lists of sequences are several.
    m4 = nm.create("sequence", n_units=n).store(a.tolist())
    assert list(m4.lengths_) == [5]
    np.testing.assert_allclose(
        m4.transition_synapse_.weights, ref_weights(a, False), atol=1e-12
    )
    m5 = nm.create("sequence", n_units=n).store([a.tolist(), b.tolist()])
    assert list(m5.lengths_) == [5, 4]
    # From the end of a, nothing leads to the start of b.
    r = m1.recall(a[-1:], n_steps=1)
    assert abs(r.trajectory["overlaps"][0, 1, 5]) < 0.5


# -- the capacity crossover against the numpy reference -------------------------------


def test_capacity_crossover_at_two_sizes_against_numpy_reference():
    # alpha = 0.15 is retrieved through a whole cycle at both sizes, alpha = 0.35 is
    # lost (alpha_c ~ 0.269, During, Coolen & Sherrington 1998). Every trajectory equals
    # the plain-numpy reference step for step.
    rows = []
    for n in (200, 400):
        for load in (0.15, 0.35):
            p = round(load * n)
            for seed in range(3):
                x = nm.patterns.random_bipolar(
                    p, n, seed=1000 * n + 10 * seed + int(load * 100)
                )
                mem = nm.create("sequence", n_units=n).store(x, cyclic=True)
                res = mem.recall(x[:1], n_steps=p)
                traj = res.trajectory["states"]
                ref = ref_run(ref_weights(x, True), x[0], p)
                np.testing.assert_array_equal(traj[0], ref)
                np.testing.assert_array_equal(res.states[0], ref[-1])
                m = expected_overlaps(traj, x)[0]
                m_ref = (ref * x[np.arange(p + 1) % p]).mean(axis=1)
                np.testing.assert_allclose(m, m_ref, atol=1e-12)
                rows.append(
                    {"n_units": n, "load": load, "retrieved": float(m.min() >= 0.5)}
                )
                if load == 0.15:
                    assert m.min() >= 0.8 and m[-1] >= 0.9, (n, seed, m.min())
                else:
                    assert abs(m[-1]) < 0.3, (n, seed, m[-1])
    # Both sizes cross between the two loads.
    cross = crossover(rows)
    assert set(cross) == {200, 400}
    assert all(0.15 < a < 0.35 for a in cross.values())


def test_dense_variant_capacity_grows_much_faster_with_n():
    hebb = [max_length(n, repeats=3, seed=0) for n in (16, 32)]
    dense = [max_length(n, repeats=3, seed=0, variant="dense", order=2) for n in (16, 32)]
    # Hebb grows about linearly (4 -> 6 here), the n = 2 dense network about as N^2.
    assert dense[1] / dense[0] > 2.5 > hebb[1] / hebb[0]
    assert dense[1] > 5 * hebb[1]


def test_dense_step_matches_numpy():
    n, p = 40, 30
    x = nm.patterns.random_bipolar(p, n, seed=4)
    cue = nm.patterns.flip(x[:3], 0.2, seed=5)
    xn = np.roll(x, -1, axis=0)
    for interaction, f in (
        ("polynomial", lambda a: (a / n) ** 3),
        ("rectified", lambda a: np.maximum(a / n, 0) ** 3),
        ("exponential", lambda a: np.exp(0.5 * (a - a.max(axis=1, keepdims=True)))),
    ):
        mem = SequenceMemory(n, variant="dense", interaction=interaction, beta=0.5)
        mem.store(x, cyclic=True)
        h = f(cue @ x.T) @ xn
        expect = np.where(h > 0, 1.0, np.where(h < 0, -1.0, cue))
        np.testing.assert_array_equal(mem.step(cue), expect)
        np.testing.assert_array_equal(mem.recall(cue, n_steps=1).states, expect)


# -- trajectories follow the stored order ---------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"variant": "pseudoinverse"},
        {"variant": "dense"},
        {"variant": "dense", "interaction": "exponential"},
        {"sparse": True},
    ],
)
def test_trajectories_follow_the_stored_order(options):
    n, p = 200, 12
    x = nm.patterns.random_bipolar(p, n, seed=6)
    mem = nm.create("sequence", n_units=n, cyclic=True, **options).store(x)
    starts = np.array([0, 5, 11])
    cues = nm.patterns.flip(x[starts], 0.1, seed=7)
    res = mem.recall(cues, n_steps=2 * p)
    over = res.trajectory["overlaps"]
    assert over.shape == (3, 2 * p + 1, p)
    assert res.trajectory["states"].shape == (3, 2 * p + 1, n)
    got = over[:, 1:].argmax(axis=2)
    want = (starts[:, None] + np.arange(1, 2 * p + 1)[None, :]) % p
    np.testing.assert_array_equal(got, want)
    assert over[:, 1:].max(axis=2).min() >= 0.95
    assert not res.converged.any() and np.all(res.steps == 2 * p)
    np.testing.assert_array_equal(res.states, res.trajectory["states"][:, -1])


@pytest.mark.parametrize("variant", ["hebbian", "pseudoinverse", "dense"])
@pytest.mark.parametrize("delay", [1, 3])
def test_delayed_synapses_hold_each_pattern_delay_plus_one_steps(variant, delay):
    # Sompolinsky & Kanter (1986): symmetric part 1, transition 2, delay tau.
    n, p = 300, 6
    x = nm.patterns.random_bipolar(p, n, seed=8)
    mem = nm.create(
        "sequence", n_units=n, variant=variant, symmetric=1.0, transition=2.0, delay=delay
    ).store(x, cyclic=True)
    t = 3 * p * (delay + 1)
    res = mem.recall(x[:1], n_steps=t)
    m = expected_overlaps(res.trajectory["states"], x, dwell=delay + 1)
    assert m.min() >= 0.95


def test_non_cyclic_end_is_a_fixed_point_with_a_symmetric_part():
    n = 200
    x = nm.patterns.random_bipolar(5, n, seed=9)
    mem = nm.create("sequence", n_units=n, symmetric=1.0, transition=0.5).store(x)
    res = mem.recall(x[-1:], n_steps=4)
    assert res.converged[0]
    np.testing.assert_array_equal(res.states[0], x[-1])
    m = expected_overlaps(res.trajectory["states"], x, start=4, cyclic=False)
    assert m[0, 0] == 1.0 and np.isnan(m[0, 1])


def test_pseudoinverse_follows_correlated_patterns_hebb_does_not():
    rng = np.random.default_rng(10)
    n, p = 200, 20
    proto = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    x = np.where(rng.random((p, n)) < 0.25, -proto, proto)  # pairwise overlap ~0.25
    cue = x[:1]
    over = {}
    for variant in ("hebbian", "pseudoinverse"):
        mem = nm.create("sequence", n_units=n, variant=variant, cyclic=True).store(x)
        res = mem.recall(cue, n_steps=p)
        over[variant] = expected_overlaps(res.trajectory["states"], x)[0].min()
    assert over["pseudoinverse"] == 1.0
    assert over["hebbian"] < 0.6


# -- the tie law, masked cues, dtypes -------------------------------------------------


def test_tie_law_keeps_a_state_and_turns_a_masked_tie_to_plus_one():
    n = 50
    x = nm.patterns.random_bipolar(4, n, seed=11)
    mem = nm.create("sequence", n_units=n, delay=2).store(x)
    # Before the cue has travelled down the delayed synapses the field is 0: ties.
    cue = x[:1].copy()
    cue[0, :10] = 0.0
    res = mem.recall(cue, n_steps=2)
    traj = res.trajectory["states"][0]
    np.testing.assert_array_equal(traj[1, 10:], x[0, 10:])
    assert np.all(traj[1, :10] == 1.0) and np.all(traj[2] == traj[1])
    # After the delay the network steps on.
    res = mem.recall(x[:1], n_steps=3)
    assert res.trajectory["overlaps"][0, 3].argmax() == 1
    # Real-valued cues at a tie keep their sign: every state is +/-1 after one step.
    soft = np.where(x[:1] > 0, 0.3, -0.7)
    soft[0, :5] = 0.0
    first = mem.recall(soft, n_steps=1).states[0]
    np.testing.assert_array_equal(first[5:], x[0, 5:])
    assert np.all(first[:5] == 1.0)
    # An all-zero cue without delay: every field is an exact tie, every unit +1.
    zero = nm.create("sequence", n_units=n).store(x).recall(np.zeros((1, n)), n_steps=1)
    assert np.all(zero.states == 1.0)


def test_float32_and_tiny_or_huge_cues_give_the_float64_trajectory():
    n, p = 200, 20
    x = nm.patterns.random_bipolar(p, n, seed=12)
    cues = nm.patterns.flip(x[:4], 0.15, seed=13)
    ref = nm.create("sequence", n_units=n, cyclic=True).store(x).recall(cues, n_steps=p)
    mem32 = nm.create("sequence", n_units=n, cyclic=True, dtype="float32").store(x)
    r32 = mem32.recall(cues, n_steps=p)
    assert r32.states.dtype == np.float32
    np.testing.assert_array_equal(r32.trajectory["states"], ref.trajectory["states"])
    for scale in (1e-200, 1e200):
        big = (
            nm.create("sequence", n_units=n, cyclic=True)
            .store(x)
            .recall(cues * scale, n_steps=p)
        )
        np.testing.assert_array_equal(
            big.trajectory["states"][:, 1:], ref.trajectory["states"][:, 1:]
        )


def test_record_options():
    n = 64
    x = nm.patterns.random_bipolar(5, n, seed=14)
    mem = nm.create("sequence", n_units=n).store(x)
    assert mem.recall(x[:2], record=False).trajectory is None
    r = mem.recall(x[:2], record="overlaps")
    assert set(r.trajectory) == {"overlaps"} and r.trajectory["overlaps"].shape == (2, 5, 5)
    # Default n_steps: one pass through the longest sequence (4 transitions).
    assert np.all(mem.recall(x[:1]).steps == 4)
    assert _err(lambda: mem.recall(x[:1], record="energies")).param == "record"


@pytest.mark.parametrize("variant", ["hebbian", "pseudoinverse", "dense"])
def test_sequence_model_conforms(variant):
    x = nm.patterns.random_bipolar(6, 64, seed=15)
    check_memory(
        nm.create("sequence", n_units=64, variant=variant, symmetric=0.5, delay=1), x
    )
    check_memory(
        nm.create("sequence", n_units=64, topology=topology.erdos_renyi(64, 0.5, seed=1)),
        x,
    )


# -- bad input --------------------------------------------------------------------------


def test_bad_input_names_the_parameter():
    n = 32
    x = nm.patterns.random_bipolar(4, n, seed=16)
    mem = nm.create("sequence", n_units=n)
    assert _err(lambda: mem.recall(x)).param == "sequence.recall"  # nothing stored
    assert _err(lambda: mem.store(x[:1])).param == "sequence"
    assert _err(lambda: mem.store([x, x[:1]])).param == "sequence[1]"
    assert _err(lambda: mem.store([])).param == "sequence"
    assert _err(lambda: mem.store(np.empty((0, 3, n)))).param == "sequence"
    assert _err(lambda: mem.store(x, x)).param == "targets"
    assert _err(lambda: mem.store(x[:, :-1])).param == "sequence"
    assert _err(lambda: mem.store(x * 0.5)).param == "sequence"
    mem.store(x)
    assert _err(lambda: mem.recall(x[:, :-1])).param == "cues"
    assert _err(lambda: mem.recall(x, n_steps=0)).param == "n_steps"
    assert _err(lambda: mem.recall(x, n_steps=1.5)).param == "n_steps"
    for kwargs, param in (
        ({"variant": "storkey"}, "variant"),
        ({"delay": -1}, "delay"),
        ({"transition": 0.0}, "transition"),
        ({"symmetric": -1.0}, "symmetric"),
        ({"n_steps": 0}, "n_steps"),
        ({"order": 1}, "order"),
        ({"variant": "dense", "topology": topology.complete(n)}, "topology"),
    ):
        assert _err(lambda kw=kwargs: nm.create("sequence", n_units=n, **kw)).param == param
    # expected_overlaps: a start outside the sequence, a float, or one start per cue
    # of the wrong count (was: counted from the end, truncated, numpy's error).
    traj = mem.recall(x[:2], n_steps=3).trajectory["states"]
    for start in (-1, 4, 1.5, [0, 1, 2], True):
        e = _err(lambda s=start: expected_overlaps(traj, x, start=s, cyclic=False))
        assert e.param == "start", start
    assert expected_overlaps(traj, x, start=[0, 1]).shape == (2, 4)
    e = _err(lambda: mem.recall(x, n_steps=0))
    assert "n_steps" in str(e) and ">= 1" in str(e)


def test_pseudoinverse_branch_is_a_tie_that_keeps_the_state():
    # A pattern stored with two successors (C0 -> C1 and C0 -> C7) is mapped by the
    # projection to their mean: where C1 and C7 differ the field is zero in exact
    # arithmetic, and the tie law keeps C0's state. The Gram matrix of correlated
    # patterns is ill-conditioned, so the computed field there is the weights'
    # computation error (the rule's weight_atol_), not a sign to follow.
    for n, p, flip in ((100, 90, 0.05), (300, 200, 0.05), (64, 60, 0.02)):
        rng = np.random.default_rng(4)
        proto = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        c = np.where(rng.random((p, n)) < flip, -proto, proto)
        x = np.concatenate([c, c[:1], c[7:8]])
        mem = nm.create("sequence", n_units=n, variant="pseudoinverse").store(x)
        first = mem.recall(c[:1], n_steps=1).states[0]
        expect = np.where(c[1] != c[7], c[0], c[1])
        np.testing.assert_array_equal(first, expect, err_msg=f"n={n}, p={p}")


@pytest.mark.parametrize("interaction", ["polynomial", "rectified"])
def test_dense_polynomial_real_cues_of_any_magnitude(interaction):
    # F = m^n is homogeneous: a cue scaled by c > 0 has its field scaled by c^n and
    # follows the same trajectory. m^n overflowed for large cues (NaN fields, every
    # unit -1) and underflowed to 0 for tiny ones (every unit a tie).
    n, p = 100, 10
    x = nm.patterns.random_bipolar(p, n, seed=17)
    cues = nm.patterns.flip(x[:2], 0.1, seed=18)
    mem = SequenceMemory(n, variant="dense", interaction=interaction, cyclic=True)
    mem.store(x)
    ref = mem.recall(cues, n_steps=p).trajectory["states"]
    # Overflow and NaN raise; the underflow of a tiny cue's overlaps is harmless.
    with np.errstate(over="raise", invalid="raise"):
        for scale in (1e-300, 1e-200, 1e150, 1e300):
            got = mem.recall(cues * scale, n_steps=p).trajectory["states"]
            np.testing.assert_array_equal(got[:, 1:], ref[:, 1:], err_msg=str(scale))
        # float32, subnormal cues included (their factor, 2^133, exceeds float32).
        m32 = SequenceMemory(
            n, variant="dense", interaction=interaction, cyclic=True, dtype="float32"
        ).store(x)
        for scale in (1e-44, 1e-40, 1e30):
            got = m32.recall(cues * scale, n_steps=p).trajectory["states"]
            np.testing.assert_array_equal(got[:, 1:], ref[:, 1:], err_msg=str(scale))
        # A delayed cue of large magnitude against the +/-1 state: finite fields.
        slow = SequenceMemory(
            n, variant="dense", interaction=interaction, symmetric=1.0, delay=1
        ).store(x, cyclic=True)
        states = slow.recall(cues * 1e200, n_steps=4).states
        assert np.all(np.abs(states) == 1.0)


@pytest.mark.parametrize("variant", ["hebbian", "pseudoinverse"])
def test_set_params_after_store_adds_the_symmetric_part_and_refuses_a_new_variant(
    variant, tmp_path
):
    # Adding a symmetric part after storing failed with an error naming "pre, post";
    # changing the variant silently kept the old couplings (from "dense": none at all).
    n = 64
    x = nm.patterns.random_bipolar(6, n, seed=19)
    y = nm.patterns.random_bipolar(4, n, seed=20)
    later = nm.create("sequence", n_units=n, variant=variant).store(x, cyclic=True)
    later.store(y).set_params(symmetric=1.0, transition=2.0, delay=2)
    built = nm.create(
        "sequence", n_units=n, variant=variant, symmetric=1.0, transition=2.0, delay=2
    ).store(x, cyclic=True)
    built.store(y)
    np.testing.assert_allclose(
        later.symmetric_synapse_.weights, built.symmetric_synapse_.weights, atol=1e-12
    )
    cues = nm.patterns.flip(x[:2], 0.1, seed=21)
    want = built.recall(cues, n_steps=20).trajectory["states"]
    np.testing.assert_array_equal(later.recall(cues, n_steps=20).trajectory["states"], want)
    later.save(tmp_path / "m.npz")
    again = nm.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(again.recall(cues, n_steps=20).trajectory["states"], want)
    # Switched off, then stores more, then switched on again: J^S holds everything.
    z = nm.patterns.random_bipolar(3, n, seed=22)
    later.set_params(symmetric=0.0).store(z).set_params(symmetric=1.0)
    built.store(z)
    np.testing.assert_allclose(
        later.symmetric_synapse_.weights, built.symmetric_synapse_.weights, atol=1e-12
    )
    for other in ("dense", "hebbian" if variant != "hebbian" else "pseudoinverse"):
        assert _err(lambda o=other: later.set_params(variant=o)).param == "variant"
    dense = nm.create("sequence", n_units=n, variant="dense").store(x)
    assert _err(lambda: dense.set_params(variant=variant)).param == "variant"


def test_quick_sequence_study_measures_its_crossover():
    # The compare report runs the quick design. With loads 0.15 and 0.35 alone (all
    # retrieved, all lost) the interpolated crossover was their midpoint, 0.25,
    # whatever the network did: the quick grid needs loads in between.
    from neuromem.experiments.studies import sequence

    loads = sequence(quick=True).params["loads"]
    assert sum(0.15 < a < 0.35 for a in loads) >= 3
    rows = [{"n_units": 100, "load": a, "retrieved": float(a < 0.22)} for a in (0.15, 0.35)]
    assert crossover(rows)[100] == 0.25  # the midpoint: a grid without loads between


@pytest.mark.parametrize(
    ("dtype", "scale"),
    [
        ("float64", 1e-310),
        ("float64", 1e307),
        ("float64", 5e-324),
        ("float64", 1.7e308),
        ("float32", 1e-40),
        ("float32", 1e37),
        ("float32", 1e-45),
        ("float32", 3e38),
    ],
)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"variant": "pseudoinverse"},
        {"variant": "dense"},
        {"variant": "dense", "interaction": "rectified", "order": 3},
    ],
)
def test_recall_of_a_subnormal_or_huge_cue_follows_the_unit_cue(dtype, scale, options):
    """A subnormal float64 cue (1e-310) ran one step late: the power of two that
    rescales it (2^1030) overflowed. The field is homogeneous in the cue, so every
    scale must give the unit cue's trajectory, with no warning."""
    x = nm.patterns.random_bipolar(6, 64, seed=0)
    mem = SequenceMemory(64, dtype=dtype, **options).store(x)
    graded = np.where(np.random.default_rng(1).random((1, 64)) < 0.5, 1.0, 0.3)
    cue = (x[:1] * graded).astype(dtype)
    ref = mem.recall(cue, n_steps=5).trajectory["states"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = mem.recall((cue * np.asarray(scale, dtype)).astype(dtype), n_steps=5)
    np.testing.assert_array_equal(got.trajectory["states"][:, 1:], ref[:, 1:])
    np.testing.assert_array_equal(got.states, x[5:6])  # on time: step 5, pattern 5


@pytest.mark.parametrize("scale", [1e307, 1.7e308])
def test_exponential_interaction_copes_with_a_huge_cue(scale):
    """exp(beta N m) of a huge cue is the hardest softmax: it picks the best match."""
    x = nm.patterns.random_bipolar(6, 64, seed=0)
    mem = SequenceMemory(64, variant="dense", interaction="exponential", beta=0.1)
    mem.store(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mem.recall(x[:1] * scale, n_steps=5)
    np.testing.assert_array_equal(res.states, x[5:6])
