"""Fast paths against their reference paths (issue 12, issue 10's crash).

Every fast path here is compared with a plain-numpy reference written in the test, on
small random cases, with the fast path forced on (block sizes and limits made small).
"""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
import neuromem.layout as layout_mod
from neuromem.layout import gram


# -- issue 10: the Gram product that never reaches the crashing BLAS syrk ---------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    ("p", "n", "block"), [(7, 53, 8), (30, 40, 40), (5, 33, 1), (1, 9, 4)]
)
def test_blocked_gram_matches_numpy(dtype, p, n, block):
    a = np.random.default_rng(p * n).standard_normal((p, n)).astype(dtype)
    ref = np.einsum("pi,pj->ij", a.astype(np.float64), a.astype(np.float64))
    out = np.full((n, n), np.nan, dtype=dtype)
    gram(a, out, block=block)
    assert out.dtype == dtype
    tol = 1e-12 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol * np.abs(ref).max())
    np.testing.assert_array_equal(out, out.T)  # the mirrored half is exact


def test_blocked_gram_of_integers_is_exact():
    # +/-1 patterns: every entry is an integer, so any summation order gives it exactly.
    a = nm.patterns.random_bipolar(20, 37, seed=0)
    out = np.empty((37, 37))
    np.testing.assert_array_equal(gram(a, out, block=6), (a.T @ a))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_hopfield_store_takes_the_blocked_path_when_large(monkeypatch, dtype):
    # Pretend every Gram matrix is "large": the store must use panels and still give
    # W = X^T X / N with a zero diagonal, as the numpy reference does.
    monkeypatch.setattr(layout_mod, "_SYRK_MAX_BYTES", 0)
    monkeypatch.setattr(layout_mod, "_GRAM_BLOCK", 7)
    n = 50
    x = nm.patterns.random_bipolar(12, n, seed=1)
    mem = nm.create("hopfield", n_units=n, dtype=dtype).store(x)
    ref = x.T @ x / n
    np.fill_diagonal(ref, 0)
    w = mem.weights_
    assert w.dtype == dtype
    tol = 1e-15 if dtype == "float64" else 1e-7
    np.testing.assert_allclose(w, ref, rtol=0, atol=tol)
    np.testing.assert_array_equal(w, w.T)
