"""Memory estimates of the recurrent models against traced peaks where a review found
them off: synchronous dense Hopfield sweeps, the dense sequence memory's recorded
overlaps, and the growth check of a recorded trajectory."""

import numpy as np
import pytest

import neuromem as nm
from neuromem.testing import check_memory_estimate


def _bipolar(rng, p, n):
    return np.where(rng.random((p, n)) < 0.5, -1.0, 1.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("n", "p", "b"), [(200, 20, 1), (1000, 50, 20), (1000, 20, 200)])
def test_synchronous_dense_hopfield_counts_its_sweep(dtype, n, p, b):
    # A synchronous sweep holds the (4, B, 2N) products of the law's rows with the
    # patterns' masks and the gains selected from them: about 15 (B, N) float64
    # arrays the estimate left out (0.4 to 0.9 times the peak).
    rng = np.random.default_rng(0)
    model = nm.create("dense-hopfield", n_units=n, dynamics="sync", dtype=dtype)
    check_memory_estimate(model, _bipolar(rng, p, n), cues=_bipolar(rng, b, n))
