"""recall(cues, record=...): per-sweep states, overlaps and energies of attractor models."""

import numpy as np
import pytest

import neuromem as nm
from neuromem.models.base import RECORDABLE

N, P = 64, 4


def _patterns(seed=0, p=P, n=N):
    return np.where(np.random.default_rng(seed).random((p, n)) < 0.5, 1.0, -1.0)


def _cues(x, flip=0.2, seed=1, mask=False):
    rng = np.random.default_rng(seed)
    c = x * np.where(rng.random(x.shape) < flip, -1.0, 1.0)
    if mask:
        c[:, : x.shape[1] // 4] = 0.0  # unknown units
    return c


MODELS = [
    ("hopfield", {"dynamics": "sync"}),
    ("hopfield", {"dynamics": "async"}),
    ("hopfield", {"dynamics": "glauber", "temperature": 0.05}),
    ("hebbian", {"dynamics": "async"}),
    ("dense-hopfield", {"dynamics": "async"}),
    ("dense-hopfield", {"dynamics": "sync"}),
    ("modern-hopfield", {"beta": 0.2}),
]


@pytest.mark.parametrize(("name", "options"), MODELS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_trajectory_shapes_and_ends(name, options, dtype):
    x = _patterns()
    mem = nm.create(name, n_units=N, dtype=dtype, seed=3, **options).store(x)
    cues = _cues(x, mask=True).astype(dtype)
    res = mem.recall(cues, record=True)
    tr = res.trajectory
    assert set(tr) == set(RECORDABLE)
    t1 = int(res.steps.max()) + 1
    assert tr["states"].shape == (P, t1, N)
    assert tr["overlaps"].shape == (P, t1, P)
    assert tr["energies"].shape == (P, t1)
    np.testing.assert_array_equal(tr["states"][:, 0], cues)
    np.testing.assert_array_equal(tr["states"][:, -1], res.states)
    # A cue that stopped early repeats its final state.
    for k, steps in enumerate(res.steps):
        np.testing.assert_array_equal(
            tr["states"][k, steps:], np.repeat(res.states[k : k + 1], t1 - steps, 0)
        )
    # Overlaps against a plain-numpy reference (bipolar patterns: s . xi / N).
    ref = np.einsum("ptn,kn->ptk", tr["states"].astype(np.float64), x) / N
    np.testing.assert_allclose(tr["overlaps"], ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        tr["energies"][:, -1], mem.energy(res.states), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(tr["energies"][:, 0], mem.energy(cues), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("rule", ["hebbian", "pseudoinverse", "storkey"])
def test_async_energy_never_rises(rule):
    x = _patterns(seed=5, p=6)
    mem = nm.create("hopfield", n_units=N, rule=rule, dynamics="async", seed=0).store(x)
    res = mem.recall(_cues(x, flip=0.35, seed=2), record="energies")
    e = res.trajectory["energies"]
    assert set(res.trajectory) == {"energies"}
    assert e.shape[1] >= 2
    # Hebbian and projection weights are symmetric with a zero diagonal; Storkey's
    # need not be symmetric.
    if rule != "storkey":
        w = mem.weights_
        np.testing.assert_allclose(w, w.T, atol=1e-12)
        assert np.all(np.diff(e, axis=1) <= 1e-9 * np.abs(e).max())
    # The trajectory agrees with the older record_energy trace, transposed.
    res2 = mem.recall(_cues(x, flip=0.35, seed=2), record_energy=True, seed=7)
    res3 = mem.recall(_cues(x, flip=0.35, seed=2), record=("energies",), seed=7)
    np.testing.assert_allclose(res2.energy.T, res3.trajectory["energies"], rtol=1e-12)


def test_binary_units_record_01_states_and_sparse_overlaps():
    rng = np.random.default_rng(0)
    n, a = 200, 0.1
    x = (rng.random((5, n)) < a).astype(float)
    mem = nm.create("hopfield", n_units=n, units="binary", rule="covariance", seed=0)
    mem.store(x)
    cues = x.copy()
    cues[:, :20] = 0.0
    res = mem.recall(cues, record=["states", "overlaps"])
    s = res.trajectory["states"]
    assert set(np.unique(s)) <= {0.0, 1.0}
    np.testing.assert_array_equal(s[:, 0], cues)
    np.testing.assert_array_equal(s[:, -1], res.states)
    ref = np.stack(
        [
            [nm.metrics.overlap(s[:, t], np.broadcast_to(xi, s[:, t].shape)) for xi in x]
            for t in range(s.shape[1])
        ]
    ).transpose(2, 0, 1)
    np.testing.assert_allclose(res.trajectory["overlaps"], ref)


def test_off_by_default_and_validated():
    x = _patterns()
    mem = nm.create("hopfield", n_units=N, seed=0).store(x)
    assert mem.recall(x).trajectory is None
    assert mem.recall(x, record=False).trajectory is None
    with pytest.raises(nm.ValidationError, match="record"):
        mem.recall(x, record="weights")
    with pytest.raises(nm.ValidationError, match="record"):
        nm.create("modern-hopfield", n_units=N).store(x).recall(x, record=3)


def test_fixed_point_cue_has_one_sweep():
    x = _patterns(p=2)
    mem = nm.create("hopfield", n_units=N, dynamics="sync").store(x)
    res = mem.recall(x, record="overlaps")
    assert res.trajectory["overlaps"].shape == (2, 2, 2)
    np.testing.assert_allclose(np.diagonal(res.trajectory["overlaps"][:, 0], 0, 0, 1), 1.0)


def test_energies_match_a_numpy_reference():
    x = _patterns(seed=8, p=5)
    mem = nm.create("hopfield", n_units=N, dynamics="async", seed=1).store(x)
    res = mem.recall(_cues(x, flip=0.3, seed=3, mask=True), record=True)
    s = res.trajectory["states"]
    w = (x.T @ x) / N
    np.fill_diagonal(w, 0.0)
    ref = -0.5 * np.einsum("pti,ij,ptj->pt", s, w, s)
    np.testing.assert_allclose(res.trajectory["energies"], ref, rtol=1e-10, atol=1e-12)
    assert np.all(s[:, 0, : N // 4] == 0)  # index 0 is the masked cue itself


@pytest.mark.parametrize("dynamics", ["sync", "async", "glauber"])
def test_graded_cue_is_reported_as_given(dynamics):
    """Index 0 used to be the cue's copy scaled into [-1, 1]: overlaps and energy of a
    0.3-scaled cue came out as those of the unscaled cue."""
    x = _patterns()
    mem = nm.create("hopfield", n_units=N, dynamics=dynamics, seed=0).store(x)
    cues = 0.3 * _cues(x)
    res = mem.recall(cues, record=True, record_energy=True)
    tr = res.trajectory
    np.testing.assert_array_equal(tr["states"][:, 0], cues)
    np.testing.assert_allclose(tr["overlaps"][:, 0], cues @ x.T / N)
    np.testing.assert_allclose(tr["energies"][:, 0], mem.energy(cues))
    np.testing.assert_allclose(res.energy[0], mem.energy(cues))
    # The dynamics are those of the scaled copy: the same states afterwards.
    scaled = mem.recall(cues / 0.3, record=True, seed=5)
    again = mem.recall(cues, record=True, seed=5)
    np.testing.assert_array_equal(
        again.trajectory["states"][:, 1:], scaled.trajectory["states"][:, 1:]
    )
