"""The compiled (numba) kernels against the numpy path, and the switch between them."""

from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np
import pytest

import neuromem as nm
from neuromem import _kernels, dynamics

needs_numba = pytest.mark.skipif(not _kernels.AVAILABLE, reason="numba not installed")


@contextmanager
def kernels(name):
    old = os.environ.get(dynamics.KERNEL_ENV)
    os.environ[dynamics.KERNEL_ENV] = name
    try:
        yield
    finally:
        if old is None:
            del os.environ[dynamics.KERNEL_ENV]
        else:
            os.environ[dynamics.KERNEL_ENV] = old


def test_the_environment_variable_is_read_at_every_call():
    with kernels("numpy"):
        assert dynamics.kernel_backend() == "numpy"
    with kernels("auto"):
        assert dynamics.kernel_backend() == ("numba" if _kernels.AVAILABLE else "numpy")
    with kernels("fortran"), pytest.raises(nm.ValidationError, match="NEUROMEM_KERNELS"):
        dynamics.kernel_backend()


@pytest.mark.skipif(_kernels.AVAILABLE, reason="numba is installed")
def test_forcing_numba_without_numba_is_an_error():
    with kernels("numba"), pytest.raises(nm.ValidationError, match="not installed"):
        dynamics.kernel_backend()


def _both(fn):
    with kernels("numpy"):
        a = fn()
    with kernels("numba"):
        b = fn()
    return a, b


@needs_numba
@pytest.mark.parametrize("rule", ["hebbian", "storkey"])  # symmetric / not: columns
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dyn", ["async", "glauber"])
def test_sequential_dynamics_are_identical_on_both_paths(rule, sparse, dtype, dyn):
    n = 120
    x = nm.patterns.random_bipolar(14, n, seed=0)
    topo = nm.topology.erdos_renyi(n, 0.3, seed=1) if sparse else None
    mem = nm.create(
        "hopfield", n_units=n, rule=rule, topology=topo, sparse=sparse, dtype=dtype
    )
    mem.store(x)
    cues = nm.patterns.mask(nm.patterns.flip(x, 0.25, seed=2), 0.2, seed=3)

    # Only Glauber dynamics has a temperature (refused under the others).
    hot = {"temperature": 0.2} if dyn == "glauber" else {}

    def run():
        return mem.recall(cues, dynamics=dyn, seed=4, max_steps=20, **hot)

    a, b = _both(run)
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.converged, b.converged)
    assert (a.steps > 1).any()  # the cases did run several sweeps
    for k in (0, 5):  # one cue alone: the numpy path's single-cue scan
        one_a, one_b = _both(
            lambda k=k: mem.recall(
                cues[k : k + 1], dynamics=dyn, seed=4, max_steps=20, **hot
            )
        )
        np.testing.assert_array_equal(one_a.states, one_b.states)
        np.testing.assert_array_equal(one_a.steps, one_b.steps)


@needs_numba
def test_zero_one_units_are_identical_on_both_paths():
    n = 100
    x = (np.random.default_rng(0).random((8, n)) < 0.1).astype(float)
    mem = nm.create("hopfield", n_units=n, units="binary", rule="covariance", seed=0)
    mem.store(x)
    cues = np.where(np.random.default_rng(1).random(x.shape) < 0.05, 1 - x, x)
    a, b = _both(lambda: mem.recall(cues, dynamics="async", seed=3))
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a.steps, b.steps)


@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("self_connections", [False, True])
def test_storkey_kernel_equals_the_numpy_rule(dtype, self_connections):
    n = 60
    x = nm.patterns.random_bipolar(12, n, seed=0)
    topo = nm.topology.complete(n, self_connections=True) if self_connections else None

    def store():
        mem = nm.create("hopfield", n_units=n, rule="storkey", topology=topo, dtype=dtype)
        return mem.store(x[:5]).store(x[5:]).weights_.copy()  # incremental

    a, b = _both(store)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    scale = np.abs(a).max()
    np.testing.assert_allclose(b, a, rtol=0, atol=rtol * scale)
    assert (np.diag(b) != 0).any() == self_connections


@needs_numba
def test_storkey_kernel_divergence_falls_back_and_raises():
    x = nm.patterns.random_bipolar(6, 30, seed=0)
    mem = nm.create(
        "hopfield", n_units=30, rule="storkey", rule_options={"learning_rate": 1e200}
    )
    with kernels("numba"), pytest.raises(nm.ValidationError, match="learning_rate"):
        mem.store(x)
    assert np.isfinite(mem.weights_).all()


def test_import_neuromem_does_not_import_numba():
    # numba takes seconds to import; the kernels load on first use (neuromem.compiled)
    import subprocess
    import sys

    code = "import sys, neuromem; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
