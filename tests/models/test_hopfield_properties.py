"""Property tests: every dynamics of ``hopfield`` against a plain unit-by-unit reference.

Random small networks (N = 2..12): Hebbian weights of random patterns (exact ties at
even N), or random integer weights (symmetric or not, so that the transposed-column
path runs too); dense and CSR-sparse; float32 and float64; weight scales 1, tiny and
huge; +/-1 units with zero (masked) cues, and 0/1 units with thresholds. The reference
below is written from the law in the docstring of ``neuromem.dynamics`` alone: a fresh
dot product per unit visit, the documented tolerance, the documented random draws.
Both kernel paths (numpy; numba when installed), and for synchronous sweeps both the
full recomputation and the event-driven updates of the fields, must agree with it
exactly: states, steps and ``converged``.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuromem as nm
from neuromem import _kernels
from neuromem import dynamics as dyn

BACKENDS = [
    "numpy",
    pytest.param(
        "numba",
        marks=pytest.mark.skipif(not _kernels.AVAILABLE, reason="numba not installed"),
    ),
]
SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
MAX_STEPS = 12


@contextmanager
def backend(name):
    old = os.environ.get("NEUROMEM_KERNELS")
    os.environ["NEUROMEM_KERNELS"] = name
    try:
        yield
    finally:
        if old is None:
            del os.environ["NEUROMEM_KERNELS"]
        else:
            os.environ["NEUROMEM_KERNELS"] = old


@st.composite
def networks(draw):
    """A model with its weights (and threshold), and cues, as (mem, cues, case)."""
    n = draw(st.integers(2, 12))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    sparse = draw(st.booleans())
    binary = draw(st.booleans())
    kind = draw(st.sampled_from(["hebbian", "symmetric", "asymmetric"]))
    tiny, huge = (1e-30, 1e30) if dtype == "float32" else (1e-300, 1e300)
    scale = draw(st.sampled_from([1.0, tiny, huge]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    if kind == "hebbian":
        x = np.where(rng.random((int(rng.integers(1, 5)), n)) < 0.5, 1.0, -1.0)
        # Multiples of 1/N, as Hebb stores them: a cancelling sum is an exact tie that
        # rounds to about +/-1e-17 in some summation orders.
        w = x.T @ x / n
    else:
        w = rng.integers(-3, 4, size=(n, n)) / 10  # 0.1 is inexact: rounded ties
        if kind == "symmetric":
            w = np.triu(w, 1) + np.triu(w, 1).T
    np.fill_diagonal(w, 0)
    if binary:
        mem = nm.create(
            "hopfield",
            n_units=n,
            units="binary",
            rule="covariance",
            threshold=float(rng.integers(-4, 5)) / 2 * scale,
            sparse=sparse,
            dtype=dtype,
            seed=0,
        )
        mem._build()
        mem.synapse_.set_weights(w * scale)
        mem._set_threshold()
        cues = (rng.random((int(rng.integers(1, 5)), n)) < 0.5).astype(float)
    else:
        mem = nm.create("hopfield", n_units=n, sparse=sparse, dtype=dtype, seed=0)
        mem._build()
        mem.synapse_.set_weights(w * scale)
        cues = rng.integers(-1, 2, size=(int(rng.integers(1, 5)), n)).astype(float)
        if draw(st.booleans()):
            cues[0] = 0  # a fully masked cue
    return mem, cues


def reference_setup(mem, cues):
    """Dense weights, bias, per-unit tolerances and +/-1 states, from the docs alone."""
    syn = mem.synapse_
    w = syn.dense_weights()
    dtype = w.dtype
    n = w.shape[0]
    b = np.zeros(n, dtype=dtype) if syn.bias is None else syn.bias.astype(dtype)
    n_in = np.diff(syn.weights.indptr) if syn.is_sparse else np.full(n, n)
    eps = np.finfo(dtype).eps
    tol = (2 * eps * (n_in + 1) * (np.abs(w).sum(axis=1) + np.abs(b))).astype(dtype)
    s = np.asarray(cues, dtype=dtype)
    binary = mem.units == "binary"
    if binary:
        s = np.where(s > 0.5, 1.0, -1.0).astype(dtype)
    return w, b, tol, s, binary


def law(h, s, tol, binary):
    if h > tol:
        return 1.0
    if binary or h < -tol:
        return -1.0
    return s if s != 0 else 1.0


def reference_sync(mem, cues):
    w, b, tol, s, binary = reference_setup(mem, cues)
    out, steps, conv = s.copy(), np.zeros(len(s), int), np.zeros(len(s), bool)
    for c in range(len(s)):
        cur, before = s[c].copy(), None
        for t in range(1, MAX_STEPS + 1):
            new = np.array(
                [law(w[i] @ cur + b[i], cur[i], tol[i], binary) for i in range(len(cur))],
                dtype=s.dtype,
            )
            steps[c] = t
            if np.array_equal(new, cur):
                conv[c] = True
                break
            if before is not None and np.array_equal(new, before):
                cur = new
                break
            before, cur = cur, new
        out[c] = cur
    return out, steps, conv, binary


def reference_sequential(mem, cues, rng, beta=None, fixed=False):
    """Asynchronous (beta None) or Glauber dynamics, one cue and one unit at a time."""
    w, b, tol, s, binary = reference_setup(mem, cues)
    n = w.shape[0]
    out, steps, conv = s.copy(), np.zeros(len(s), int), np.zeros(len(s), bool)
    active = list(range(len(s)))
    for t in range(1, MAX_STEPS + 1):
        if beta is None:
            order = np.arange(n) if fixed else rng.permutation(n)
        else:
            u = rng.random((n, len(active)))
            order = rng.permutation(n)
            with np.errstate(divide="ignore"):
                thr = np.arctanh(2.0 * u - 1.0) / beta
        still = []
        for a, c in enumerate(active):
            changed = False
            for k, i in enumerate(order):
                h = w[i] @ out[c] + b[i]
                if beta is None:
                    new = law(h, out[c, i], tol[i], binary)
                else:
                    new = 1.0 if (0.0 if abs(h) <= tol[i] else h) > thr[k, a] else -1.0
                if new != out[c, i]:
                    out[c, i] = new
                    changed = True
            steps[c] = t
            if changed:
                still.append(c)
            else:
                conv[c] = True
        active = still
        if not active:
            break
    return out, steps, conv, binary


def check(got, want):
    states, steps, conv, binary = want
    if binary:
        states = (states + 1) / 2
    np.testing.assert_array_equal(got.states, states)
    np.testing.assert_array_equal(got.converged, conv)
    np.testing.assert_array_equal(got.steps, steps)
    assert set(np.unique(got.states)) <= ({0.0, 1.0} if binary else {-1.0, 1.0})


@contextmanager
def sweeps(mode):
    """Full recomputation, or event-driven updates (``"events-always"``: updated even
    where most units changed, so that the small networks here exercise the update)."""
    old = os.environ.get("NEUROMEM_SWEEPS")
    os.environ["NEUROMEM_SWEEPS"] = "full" if mode == "full" else "events"
    fractions = dyn.EventFields.full_fraction, dyn.EventFields.sparse_fraction
    if mode == "events-always":
        dyn.EventFields.full_fraction = dyn.EventFields.sparse_fraction = np.inf
    try:
        yield
    finally:
        dyn.EventFields.full_fraction, dyn.EventFields.sparse_fraction = fractions
        if old is None:
            del os.environ["NEUROMEM_SWEEPS"]
        else:
            os.environ["NEUROMEM_SWEEPS"] = old


@pytest.mark.parametrize("kernels", BACKENDS)
@pytest.mark.parametrize("mode", ["full", "events", "events-always"])
@given(networks())
@SETTINGS
def test_synchronous_matches_the_reference(kernels, mode, case):
    mem, cues = case
    with backend(kernels), sweeps(mode):
        got = mem.recall(cues, dynamics="sync", max_steps=MAX_STEPS)
    check(got, reference_sync(mem, cues))


@pytest.mark.parametrize("kernels", BACKENDS)
@given(case=networks(), seed=st.integers(0, 1000), fixed=st.booleans())
@SETTINGS
def test_asynchronous_matches_the_reference(kernels, case, seed, fixed):
    mem, cues = case
    mem.order = "fixed" if fixed else "random"
    with backend(kernels):
        got = mem.recall(cues, dynamics="async", max_steps=MAX_STEPS, seed=seed)
    want = reference_sequential(mem, cues, np.random.default_rng(seed), fixed=fixed)
    check(got, want)


@pytest.mark.parametrize("kernels", BACKENDS)
@given(case=networks(), seed=st.integers(0, 1000))
@SETTINGS
def test_glauber_at_zero_temperature_matches_the_reference(kernels, case, seed):
    mem, cues = case
    w = mem.synapse_.dense_weights()
    scale = float(np.abs(w).max()) or 1.0
    beta = 1e6 / scale  # T far below every non-tied field (integer multiples of scale)
    with backend(kernels):
        got = mem.recall(
            cues, dynamics="glauber", max_steps=MAX_STEPS, seed=seed, beta=beta
        )
    check(got, reference_sequential(mem, cues, np.random.default_rng(seed), beta=beta))
