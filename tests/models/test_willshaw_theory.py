"""Willshaw theory helpers: the exact add-error rate against simulation."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from neuromem.models.willshaw import (
    false_positive_rate,
    willshaw_capacity,
    willshaw_information,
)


def monte_carlo_rate(n_pairs, n_in, n_out, k, l_out, trials, seed):
    """Plain numpy: the other pairs activate the silent unit with probability
    l/n_out, each with a random k-subset key; count cues whose k units are all covered."""
    rng = np.random.default_rng(seed)
    cue = np.arange(k)  # by symmetry, the cue's active units are the first k
    active = rng.random((trials, n_pairs - 1)) < l_out / n_out
    keys = np.argsort(rng.random((trials, n_pairs - 1, n_in)), axis=2)[:, :, :k]
    hit = (keys[..., None] == cue).any(axis=2)  # (trials, P-1, k): key covers cue unit
    covered = (hit & active[..., None]).any(axis=1).all(axis=1)
    return covered.mean()


def test_exact_rate_matches_a_monte_carlo_reference():
    for n_pairs, n_in, n_out, k, l_out in ((12, 10, 8, 3, 2), (30, 16, 20, 4, 5)):
        exact = false_positive_rate(n_pairs, n_in, n_out, k, l_out)
        mc = monte_carlo_rate(n_pairs, n_in, n_out, k, l_out, 40_000, seed=0)
        se = np.sqrt(exact * (1 - exact) / 40_000)
        assert 0.02 < exact < 0.98
        assert abs(mc - exact) < 4 * se
    assert false_positive_rate(1, 10, 10, 2, 2) == 0.0  # nothing else stored


@pytest.mark.parametrize(("n", "k"), [(256, 8), (512, 9)])
def test_exact_rate_matches_simulation_at_two_sizes(n, k):
    cap = willshaw_capacity(n, n, k, k, fidelity=0.01)
    p = int(1.5 * cap)
    fired = silent = 0
    for seed in (1, 3):  # two pattern sets
        keys = nm.patterns.random_sparse(p, n, n_active=k, seed=seed)
        vals = nm.patterns.random_sparse(p, n, n_active=k, seed=seed + 1)
        out = nm.create("willshaw", n_units=n, dtype="float32").store(keys, vals)
        out = out.recall(keys).states
        fired += int(((out == 1) & (vals == 0)).sum())
        silent += int((vals == 0).sum())
    exact = false_positive_rate(p, n, n, k, k)
    # Measured / exact: 1.03 and 0.97; the old p1**k was 1.75 and 1.45 times too low.
    assert fired / silent == pytest.approx(exact, rel=0.12)
    p1 = 1 - (1 - k * k / (n * n)) ** p
    assert exact / p1**k > 1.3
    # The fidelity criterion holds at capacity: 0.01 k add errors per recall.
    lo, hi = int(cap), int(cap) + 1
    for q in (lo, hi):
        e = (n - k) * false_positive_rate(q, n, n, k, k)
        assert (e <= 0.01 * k) == (q <= cap)


def test_information_uses_the_exact_rate():
    n, k, p = 256, 8, 401
    fp = false_positive_rate(p, n, n, k, k)
    a = k / n
    p_one = (1 - a) * fp + a

    def h2(q):
        return -q * np.log2(q) - (1 - q) * np.log2(1 - q)

    bits = p * n * (h2(p_one) - (1 - a) * h2(fp)) / (n * n)
    assert willshaw_information(p, n, n, k, k) == pytest.approx(bits, rel=1e-12)
    assert willshaw_information(p, n, n, k, k) == pytest.approx(0.310, abs=0.001)


@pytest.mark.parametrize(
    ("args", "param"),
    [
        ((100, 64, 64, 0, 4), "k_in"),
        ((100, 64, 64, 4.5, 4), "k_in"),
        ((100, 64, 64, 4, 64), "l_out"),
        ((-1, 64, 64, 4, 4), "n_pairs"),
        ((100, 0, 64, 4, 4), "n_in"),
    ],
)
def test_bad_sizes_are_refused(args, param):
    with pytest.raises(nm.ValidationError) as err:
        false_positive_rate(*args)
    assert err.value.param == param
