"""Shared fixtures. Tests use fixed seeds and never the global numpy random state."""

from __future__ import annotations

import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    """A seeded generator for test data."""
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _global_random_state_untouched():
    """Fail any test after which numpy's global random state has changed."""
    before = np.random.get_state()[1].copy()
    yield
    assert np.array_equal(np.random.get_state()[1], before), (
        "numpy's global random state was used"
    )
