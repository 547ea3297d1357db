"""metrics.overlap and recall_accuracy for 0/1 patterns: the sparse overlap."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm


def reference(s, x):
    """m = sum_i (xi_i - a) s_i / (N a (1 - a)), a the pattern's coding level."""
    a = x.mean(1)
    return ((x - a[:, None]) * s).sum(1) / (x.shape[1] * a * (1 - a))


@pytest.fixture(scope="module")
def sparse():
    return nm.patterns.random_sparse(200, 1000, coding_level=0.05, seed=0)


def test_issue_states_score_what_they_are(sparse):
    x = sparse
    silent = np.zeros_like(x)
    random_same = nm.patterns.random_sparse(200, 1000, coding_level=0.05, seed=1)
    half = x.copy()
    for row in half:  # half of every pattern's active units lost
        on = np.flatnonzero(row)
        row[on[: len(on) // 2]] = 0.0
    # The +/-1 form scored these 0.90, 0.81 (1 - 4 a (1 - a); the issue saw 0.83) and
    # 0.95 (so half counted as recalled).
    pm = [((2 * s - 1) * (2 * x - 1)).mean() for s in (silent, random_same, half)]
    np.testing.assert_allclose(pm, [0.90, 0.81, 0.95], atol=0.01)
    for s, expected, tol in (
        (silent, 0.0, 0.0),
        (random_same, 0.0, 0.01),
        (half, 0.5, 0.02),
    ):
        m = nm.metrics.overlap(s, x)
        np.testing.assert_allclose(m, reference(s, x), rtol=1e-12, atol=1e-12)
        assert m.mean() == pytest.approx(expected, abs=tol)
        assert nm.metrics.recall_accuracy(s, x) == 0.0
    # -0.0026 and 0.505 here: random states of the same activity average to 0.
    assert nm.metrics.overlap(random_same, x).std() < 0.1
    assert np.all(nm.metrics.overlap(x, x) == 1.0)  # exactly, so threshold=1.0 works
    assert nm.metrics.recall_accuracy(x, x, threshold=1.0) == 1.0
    np.testing.assert_array_equal(nm.metrics.overlap(1 - x, x), -1.0)
    np.testing.assert_array_equal(nm.metrics.overlap(np.ones_like(x), x), 0.0)


def test_float32_and_real_states(sparse):
    x = sparse[:20]
    s = nm.patterns.flip(x, 0.03, seed=4)
    ref = reference(s, x)
    np.testing.assert_allclose(
        nm.metrics.overlap(s.astype(np.float32), x.astype(np.float32)), ref, rtol=1e-12
    )
    soft = 0.8 * x + 0.1  # real-valued states (a modern network's) are used as they are
    np.testing.assert_allclose(nm.metrics.overlap(soft, x), reference(soft, x), rtol=1e-12)


def test_constant_and_ambiguous_patterns_are_documented_values_not_nan():
    x = np.array([[0, 0, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]], dtype=float)
    s = np.array([[0, 0, 0, 0], [1, 1, 0, 1], [1, 0, 0, 0]], dtype=float)
    # Rows without variance get the +/-1 overlap 1 - 2 d / N.
    np.testing.assert_array_equal(nm.metrics.overlap(s, x), [1.0, 0.5, 1.0])
    # All-ones patterns: the states decide (0/1 states with a 0 -> binary).
    ones = np.ones((1, 4))
    assert nm.metrics.overlap([[1, 1, 0, 1]], ones)[0] == 0.5  # 1 - 2/4
    assert nm.metrics.overlap([[1, 1, -1, 1]], ones)[0] == 0.5  # +/-1: (1+1-1+1)/4
    assert nm.metrics.overlap(ones, ones)[0] == 1.0
    assert nm.metrics.overlap([[1, 1, 0, 1]], ones, encoding="bipolar")[0] == 0.75
    for row in nm.metrics.overlap(np.zeros((3, 4)), x):
        assert np.isfinite(row)


def test_bipolar_unchanged_and_encoding_checked():
    x = nm.patterns.random_bipolar(5, 50, seed=0)
    s = nm.patterns.flip(x, 0.1, seed=1)
    np.testing.assert_allclose(nm.metrics.overlap(s, x), (s * x).sum(1) / 50)
    b = nm.patterns.random_sparse(3, 50, coding_level=0.2, seed=2)
    with pytest.raises(nm.ValidationError, match="states"):
        nm.metrics.overlap(2 * b - 1, b)  # +/-1 states against 0/1 patterns
    with pytest.raises(nm.ValidationError, match="encoding"):
        nm.metrics.overlap(b, b, encoding="sparse")
    with pytest.raises(nm.ValidationError, match="patterns"):
        nm.metrics.overlap(x, x, encoding="binary")
    with pytest.raises(nm.ValidationError, match="patterns"):
        nm.metrics.recall_accuracy(b, b + 0.5, encoding="binary")


def test_sparse_hopfield_recall_scored_with_sparse_overlap():
    x = nm.patterns.random_sparse(30, 300, coding_level=0.05, seed=5)
    mem = nm.create("hopfield", n_units=300, units="binary").store(x)
    cues = x.copy()
    cues[:, :] = 0.0  # silent cues stay silent: nothing recalled
    assert nm.metrics.recall_accuracy(mem.recall(cues).states, x) == 0.0
    assert nm.metrics.recall_accuracy(mem.recall(x).states, x) == 1.0
