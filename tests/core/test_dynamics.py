"""The batched dynamics against plain, one-unit-at-a-time reference implementations."""

import numpy as np
import pytest

import neuromem as nm
from neuromem import dynamics


def reference_async(w, cues, max_steps, rng, order, tol):
    """Textbook asynchronous dynamics, one cue and one unit at a time."""
    n = w.shape[0]
    out = cues.copy()
    steps = np.zeros(len(cues), int)
    converged = np.zeros(len(cues), bool)
    active = list(range(len(cues)))
    for t in range(1, max_steps + 1):
        sequence = rng.permutation(n) if order == "random" else np.arange(n)
        still = []
        for b in active:
            changed = False
            for i in sequence:
                h = w[i] @ out[b]
                new = 1.0 if h > tol[i] else -1.0 if h < -tol[i] else out[b, i] or 1.0
                if new != out[b, i]:
                    out[b, i] = new
                    changed = True
            steps[b] = t
            if changed:
                still.append(b)
            else:
                converged[b] = True
        active = still
        if not active:
            break
    return out, steps, converged


@pytest.mark.parametrize("case", range(8))
def test_asynchronous_equals_the_unit_by_unit_reference(case):
    rng = np.random.default_rng(case)
    n = int(rng.integers(30, 120))
    x = nm.patterns.random_bipolar(int(rng.integers(2, n // 3)), n, seed=case)
    topo = nm.topology.erdos_renyi(n, 0.2, seed=case) if case % 2 else None
    mem = nm.create("hopfield", n_units=n, topology=topo, seed=0).store(x)
    cues = nm.patterns.random_bipolar(12, n, seed=50 + case)
    if case % 4 == 3:
        cues = nm.patterns.mask(cues, 0.3, seed=case)  # 0 states until visited
    syn = mem.synapse_
    tol = dynamics.tie_tolerances(syn)
    order = "fixed" if case == 4 else "random"
    got = dynamics.asynchronous(syn, cues, 30, np.random.default_rng(7), order, tol=tol)
    want = reference_async(
        syn.dense_weights(), cues, 30, np.random.default_rng(7), order, tol
    )
    for g, w in zip(got[:3], want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_synchronous_equals_the_plain_loop():
    x = nm.patterns.random_bipolar(30, 150, seed=0)
    mem = nm.create("hopfield", n_units=150).store(x)
    w = mem.weights_
    cues = nm.patterns.flip(x, 0.2, seed=1)
    # Hebbian fields here are even multiples of 1/N: exact ties are common, and without
    # the tolerance a batched and a one-cue product round them differently.
    tol = dynamics.tie_tolerances(mem.synapse_)
    states, steps, converged, _ = dynamics.synchronous(mem.field, cues, 50, tol=tol)
    cycles = 0
    for b in range(len(cues)):
        s, before = cues[b].copy(), None
        for t in range(1, 51):  # noqa: B007 - t is the sweep count read below
            h = w @ s
            new = np.where(h > tol, 1.0, np.where(h < -tol, -1.0, s))
            new[new == 0] = 1.0
            if np.array_equal(new, s) or (
                before is not None and np.array_equal(new, before)
            ):
                break
            s, before = new, s
        if np.array_equal(new, s):  # a fixed point: the same state, sweep and verdict
            np.testing.assert_array_equal(states[b], s)
            assert steps[b] == t and converged[b]
        else:  # a period-2 cycle: stopped there, not converged
            np.testing.assert_array_equal(states[b], new)
            assert steps[b] == t and not converged[b]
            cycles += 1
    assert 0 < cycles < len(cues)  # this load exercises both outcomes
