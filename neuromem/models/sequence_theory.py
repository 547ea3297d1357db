"""What a sequence network recalls in theory: the expected overlaps."""

from __future__ import annotations

import numpy as np

from ..errors import ValidationError, described
from ..metrics import check_mix, overlap
from ..validation import (
    as_real_array,
    check_bool,
    check_int,
    check_patterns,
    infer_encoding,
)


def expected_overlaps(
    states: np.ndarray,
    sequence: np.ndarray,
    *,
    start: int = 0,
    cyclic: bool = True,
    dwell: int = 1,
) -> np.ndarray:
    """Overlap of each step of a trajectory with the pattern it should be at.

    Step ``t`` of a cue started at ``sequence[start]`` should be at
    ``sequence[start + t // dwell]`` (modulo the length for a cyclic sequence).

    Parameters
    ----------
    states : ndarray, shape (B, T + 1, N)
        A trajectory, such as ``result.trajectory["states"]``.
    sequence : ndarray, shape (L, N)
        The stored sequence.
    start : int or array of int
        Index of each cue's starting pattern, in ``[0, L)``: one for every cue or one
        per cue.
    cyclic : bool
        Whether the sequence wraps around; if not, steps past its end are NaN.
    dwell : int
        Steps spent in each pattern (``delay + 1`` with a dominant delayed transition).

    Returns
    -------
    ndarray, shape (B, T + 1)
        The overlap of :func:`neuromem.metrics.overlap`: the +/-1 one, or the sparse
        one for a 0/1 sequence; 1 where a step is at its pattern.
    """
    # As every input: strings, complex values (their imaginary part would be
    # dropped) and NaN are refused, not converted or carried into the result.
    states = as_real_array(states, "states", "a real array (B, T + 1, N)")
    states = states.astype(np.float64, copy=False)
    x = check_patterns(sequence, "sequence")
    if states.ndim != 3 or states.shape[2] != x.shape[1]:
        raise ValidationError(
            "states",
            described(f"an array of shape {states.shape}"),
            f"shape (B, T + 1, {x.shape[1]})",
        )
    if not np.all(np.isfinite(states)):
        raise ValidationError(
            "states", described("NaN or infinite values"), "finite states only"
        )
    # States and sequence in one encoding; the overlap is metrics.overlap's (the
    # sparse one for a 0/1 sequence, so a perfect trajectory scores 1).
    check_mix(states.reshape(-1, x.shape[1]), x)
    cyclic = check_bool(cyclic, "cyclic")
    # Bounded so that the step indices stay int64 (any dwell past the last step acts
    # as this one: every step is at the start pattern).
    dwell = check_int(dwell, "dwell", low=1, high=int(np.iinfo(np.int64).max))
    b, t1, n = states.shape
    # Checked: a float was truncated, a negative index counted from the end (a
    # non-cyclic sequence then compared step 0 with its last pattern), and a
    # wrong number of starts raised numpy's broadcasting error.
    raw = np.asarray(start)
    if (
        raw.dtype == bool
        or not np.issubdtype(raw.dtype, np.integer)
        or raw.ndim > 1
        or raw.size not in (1, b)
        or raw.min(initial=0) < 0
        or raw.max(initial=0) >= len(x)
    ):
        raise ValidationError(
            "start",
            described(f"{start!r}"),
            f"an integer index in [0, {len(x)}), or one per cue ({b})",
        )
    start = np.broadcast_to(raw.astype(np.int64).ravel(), (b,))
    idx = start[:, None] + np.arange(t1)[None, :] // dwell
    if cyclic:
        idx = idx % len(x)
        valid = np.ones_like(idx, dtype=bool)
    else:
        valid = idx < len(x)
        idx = np.minimum(idx, len(x) - 1)
    # The whole sequence decides the encoding (the rows a trajectory visits could be
    # all-ones patterns, valid in both).
    enc = infer_encoding(x)
    if enc == "bipolar" and np.all(x == 1):
        enc = None
    m = overlap(states.reshape(-1, n), x[idx].reshape(-1, n), encoding=enc)
    return np.where(valid, m.reshape(b, t1), np.nan)
