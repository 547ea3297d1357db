"""dense-hopfield against a unit-by-unit reference of its update law (hypothesis).

The reference is written here from the law in ``DenseHopfield``'s docstring, in plain
Python: for the polynomial and rectified interactions it is *exact* (rational
arithmetic with ``fractions.Fraction``, so a tie is a tie of the exact gains, not of
rounding); for the exponential it uses float64 with the largest overlap subtracted.

Asynchronous order: ``recall(..., seed=s)`` draws one ``rng.permutation(N)`` per sweep
from ``rng = numpy.random.default_rng(s)``, shared by all cues of the batch, while any
cue is still running. A cue that stops at sweep ``t`` has seen permutations ``1..t``
of that stream, so the reference replays each cue alone with a fresh generator.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuromem as nm
from neuromem.models.dense import TIE_RTOL

RTOL = Fraction(TIE_RTOL)


def _terms(x, s, i, interaction, order):
    """Per-pattern terms ``F(a + x_i) - F(a - x_i)`` of unit ``i`` and their sum."""
    p, n = len(x), len(x[0])
    overlaps = [sum(x[mu][j] * s[j] for j in range(n) if j != i) for mu in range(p)]
    if interaction == "exponential":
        a = [float(v) for v in overlaps]
        top = max(a)
        terms = [x[mu][i] * math.exp(a[mu] - top) for mu in range(p)]
        return math.fsum(terms), math.fsum(abs(t) for t in terms)

    def f(y):
        if interaction == "rectified":
            y = max(y, Fraction(0))
        return y**order

    terms = [f(overlaps[mu] + x[mu][i]) - f(overlaps[mu] - x[mu][i]) for mu in range(p)]
    return sum(terms), sum(abs(t) for t in terms)


def _decide(x, s, i, interaction, order):
    gain, scale = _terms(x, s, i, interaction, order)
    if interaction == "exponential":
        tie = abs(gain) <= TIE_RTOL * scale
    else:
        tie = abs(gain) <= RTOL * scale
    if tie:
        return -1 if s[i] < 0 else 1
    return 1 if gain > 0 else -1


def _reference_sync(x, cue, interaction, order, max_steps):
    s, before = list(cue), None
    for _ in range(max_steps):
        new = [_decide(x, s, i, interaction, order) for i in range(len(s))]
        if new == s:
            return new, True
        if before is not None and new == before:
            return new, False  # period-2 cycle
        before, s = s, new
    return s, False


def _reference_async(x, cue, interaction, order, max_steps, seed):
    rng = np.random.default_rng(seed)
    s = list(cue)
    for _ in range(max_steps):
        changed = False
        for i in rng.permutation(len(s)):
            new = _decide(x, s, int(i), interaction, order)
            if new != s[i]:
                s[i], changed = new, True
        if not changed:
            return s, True
    return s, False


@st.composite
def _cases(draw):
    n = draw(st.integers(2, 7))
    p = draw(st.integers(1, 4))
    bits = st.lists(st.sampled_from([-1, 1]), min_size=n, max_size=n)
    x = draw(st.lists(bits, min_size=p, max_size=p))  # duplicates and ties allowed
    b = draw(st.integers(1, 3))
    cue_values = st.sampled_from([-1, 0, 1])
    cues = draw(
        st.lists(st.lists(cue_values, min_size=n, max_size=n), min_size=b, max_size=b)
    )
    dtype = draw(st.sampled_from(["float64", "float32"]))
    top = 100 if dtype == "float32" else 990
    # Tiny and huge scales are powers of two, so cue values and overlaps are exact.
    exps = st.sampled_from([0, 0, 0, -top, top, -20, 20])
    scales = [2.0 ** draw(exps) for _ in range(b)]
    interaction = draw(st.sampled_from(["polynomial", "rectified", "exponential"]))
    order = draw(st.sampled_from([2, 3, 4, 5, 8, 13, 20, 30]))
    seed = draw(st.integers(0, 2**16))
    return x, cues, scales, dtype, interaction, order, seed


def _run(case, dynamics):
    x, cues, scales, dtype, interaction, order, seed = case
    n = len(x[0])
    mem = nm.create(
        "dense-hopfield", n_units=n, interaction=interaction, order=order, dtype=dtype
    )
    mem.store(np.array(x, dtype=float))
    cue_arr = np.array(cues, dtype=float) * np.array(scales)[:, None]
    res = mem.recall(cue_arr, dynamics=dynamics, max_steps=6, seed=seed)
    assert res.states.dtype == np.dtype(dtype)
    for b, cue in enumerate(cue_arr.astype(dtype)):
        start = [Fraction(float(v)) for v in cue]
        if dynamics == "sync":
            want, conv = _reference_sync(x, start, interaction, order, 6)
        else:
            want, conv = _reference_async(x, start, interaction, order, 6, seed)
        assert res.states[b].tolist() == [float(v) for v in want], (b, want)
        assert bool(res.converged[b]) == conv, b
        assert set(np.unique(res.states[b])) <= {-1.0, 1.0}


_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("dynamics", ["sync", "async"])
def test_dense_matches_unit_by_unit_reference(dynamics):
    @_SETTINGS
    @given(_cases())
    def check(case):
        _run(case, dynamics)

    check()


def test_async_order_is_one_permutation_per_sweep_from_the_seed():
    # Documented contract: sweep t visits rng.permutation(N), rng = default_rng(seed).
    assert np.array_equal(
        nm.random.as_generator(5).permutation(9), np.random.default_rng(5).permutation(9)
    )


@pytest.mark.parametrize(
    "interaction, order", [("polynomial", 3), ("rectified", 6), ("exponential", 2)]
)
@pytest.mark.parametrize("dynamics", ["sync", "async"])
def test_dense_matches_reference_on_a_larger_network(dynamics, interaction, order):
    # Long quiet runs of units: asynchronous recall checks them in blocks (up to 256
    # units in one product); the result must still be the unit-by-unit law.
    n, p = 32, 8
    x = nm.patterns.random_bipolar(p, n, seed=4).astype(int).tolist()
    cues = nm.patterns.flip(np.array(x[:3], dtype=float), 0.25, seed=5)
    cues[1, :12] = 0  # a masked cue
    case = (x, cues.astype(int).tolist(), [1.0, 1.0, 1.0], "float64", interaction, order, 9)
    _run(case, dynamics)
