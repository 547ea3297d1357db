"""Memory estimates of the recurrent models against traced peaks where a review found
them off: synchronous dense Hopfield sweeps, the dense sequence memory's recorded
overlaps, and the growth check of a recorded trajectory."""

import numpy as np
import pytest

import neuromem as nm
from neuromem.memory import MemoryShortfall, Workload, memory_limit
from neuromem.memory_probe import measured_peaks
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


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("record", [False, "states", "overlaps"])
def test_dense_sequence_recall_counts_the_transpose_it_reads_overlaps_through(
    dtype, record
):
    # The recall reads every step's overlaps through one transpose of the patterns in
    # the model's dtype (it was left out: 0.87 times the peak), not the three float64
    # copies of sweeps.stored_overlaps charged when overlaps were recorded (2.2 times).
    rng = np.random.default_rng(0)
    model = nm.create("sequence", n_units=2000, variant="dense", dtype=dtype)
    x, cues = _bipolar(rng, 50, 2000), _bipolar(rng, 3, 2000)
    warm = model.clone().store(x)
    warm.recall(cues, n_steps=10, record=record)
    out = measured_peaks(model.clone(), x, None, cues, n_steps=10, record=record)
    for call, (peak, estimate) in out.items():
        assert peak <= estimate <= 2 * peak, (call, peak, estimate)


def _recorded_recall(limit):
    """A Hopfield recall recording its states under ``limit`` bytes: the traced peak
    (cues added) and the refusal, if any."""
    import tracemalloc

    rng = np.random.default_rng(0)
    model = nm.create("hopfield", n_units=1000).store(_bipolar(rng, 30, 1000))
    cues = _bipolar(rng, 50, 1000)
    model.recall(cues[:1], record="states")
    tracemalloc.start()
    try:
        with memory_limit(limit):
            try:
                result = model.recall(cues, record="states")
            except MemoryShortfall as error:
                result = error
        peak = tracemalloc.get_traced_memory()[1] + cues.nbytes
    finally:
        tracemalloc.stop()
    return model, cues, peak, result


def test_a_growing_trajectory_is_checked_beside_the_calls_other_arrays():
    # The growth check compared the trajectory alone (twice it: result() stacks a
    # copy) with the limit: under twice the whole trajectory plus 1 MiB the recall ran
    # to the end, about 25 MB of other arrays over the limit.
    _, _, _, full = _recorded_recall(None)
    limit = 2 * full.trajectory["states"].nbytes + (1 << 20)
    _, _, peak, result = _recorded_recall(limit)
    assert isinstance(result, MemoryShortfall) and result.param == "record"
    assert peak <= limit


def test_a_trajectory_that_fits_beside_the_call_is_not_refused():
    # 80 sweeps of 50 cues: the estimate for one sweep and twice the whole trajectory.
    model, cues, _, full = _recorded_recall(None)
    trajectory = full.trajectory["states"].nbytes
    work = Workload("recall", n_cues=len(cues), record=frozenset({"states"}))
    limit = model.memory_estimate(work) + 2 * trajectory + (1 << 20)
    _, _, _, result = _recorded_recall(limit)
    assert not isinstance(result, MemoryShortfall)
    np.testing.assert_array_equal(result.states, full.states)
