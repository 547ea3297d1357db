"""Fuzzing the newest features (issue 19) in the style of ``test_fuzz.py``: the only
allowed outcomes are a ``ValidationError`` or a result that agrees with a plain-numpy
reference written here. Targets: the sequence model (huge, tiny and masked cues), the
0/1 threshold ("auto" and its fewest-errors start) and the helpers (metrics with mixed
encodings and shapes, ``expected_overlaps``, the trajectory plots)."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sparse_reference import auto_threshold, reference_recall, tf_reference
from test_fuzz import Wrong, arrays, expect, weird

import neuromem as nm
import neuromem.plotting as nmp
from neuromem.models.sequence import expected_overlaps
from neuromem.sparse_threshold import fewest_errors


def _settings(n: int):
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def _sign_keep(h: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The tie law on exact fields: sign(h); at h == 0 the sign of s (0 -> +1)."""
    keep = np.where(s < 0, -1.0, 1.0)
    return np.where(h > 0, 1.0, np.where(h < 0, -1.0, keep))


# -- the sequence model -------------------------------------------------------------------
SCALES = {
    # Subnormal cues (1e-310, the smallest 5e-324) ran one step late: the power of two
    # that rescales them overflowed.
    "float64": [1.0, 0.5, 3.0, 1e-300, 1e300, 1e307, 1e-310, 5e-324, 1.7e308],
    "float32": [1.0, 0.5, 3.0, 1e-30, 1e37, 1e-40, 1e-45, 3e38],
}


def target_sequence(data) -> None:
    """Recall from ``c * m`` (``m`` in {-1, 0, 1}^N, ``c`` from 1e-300 to 1e307) equals
    the plain synchronous reference ``s <- sign(J^T s)`` run on ``m`` in integers, with
    ``J^T = sum xi^(t+1) xi^t^T / N`` (the default variant, no delay, no symmetric
    part), and the recorded overlaps are finite and ``s . xi / N``."""
    n = data.draw(st.integers(2, 12), label="N")
    length = data.draw(st.integers(2, 5), label="L")
    dtype = data.draw(st.sampled_from(["float64", "float32"]), label="dtype")
    variant = data.draw(st.sampled_from(["hebbian", "pseudoinverse"]), label="variant")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    x = rng.choice([-1.0, 1.0], size=(length, n))
    m = rng.choice([-1.0, 0.0, 1.0], size=(data.draw(st.integers(1, 3)), n))
    scale = data.draw(st.sampled_from(SCALES[dtype]), label="scale")
    steps = data.draw(st.integers(1, 4), label="n_steps")
    mem = nm.create("sequence", n_units=n, variant=variant, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow, however scaled
        mem.store(x)
        res = mem.recall((scale * m).astype(dtype), n_steps=steps)
        unit = mem.recall(m.astype(dtype), n_steps=steps)
    states = res.trajectory["states"]
    expect(bool(np.all(np.abs(states[:, 1:]) == 1)), "a state that is not +/-1")
    expect(
        np.array_equal(states[:, 1:], unit.trajectory["states"][:, 1:]),
        f"a cue scaled by {scale:g} recalls differently from the unit cue",
    )
    over = res.trajectory["overlaps"]
    expect(bool(np.all(np.isfinite(over))), "non-finite overlaps")
    ref_over = np.einsum("btn,pn->btp", states[:, 1:].astype(float), x) / n
    expect(bool(np.allclose(over[:, 1:], ref_over, atol=1e-6)), "overlaps are not s.xi/N")
    # A subnormal cue's overlap is rounded to the subnormal spacing.
    tiny = float(np.finfo(dtype).smallest_subnormal) * n
    expect(
        bool(np.allclose(over[:, 0], scale * (m @ x.T) / n, rtol=1e-5, atol=tiny)),
        "the cue's own overlap is wrong",
    )
    if variant != "hebbian":
        return
    # Integer reference (exact ties): N J^T s = sum_t xi^(t+1) (xi^t . s).
    s = m.copy()
    for t in range(1, steps + 1):
        s = _sign_keep((s @ x[:-1].T) @ x[1:], s)
        expect(np.array_equal(states[:, t], s), f"step {t} differs from the reference")


# -- the 0/1 threshold --------------------------------------------------------------------
def target_threshold(data) -> None:
    """``threshold="auto"`` equals the plain reference of the retrieval scan (module
    ``test_sparse``), and recall with it equals plain synchronous 0/1 dynamics."""
    n = data.draw(st.integers(4, 24), label="N")
    p = data.draw(st.integers(1, 6), label="P")
    a = data.draw(st.sampled_from([0.1, 0.2, 0.3, 0.5]), label="a")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    x = nm.patterns.random_sparse(p, n, coding_level=a, seed=seed)
    mem = nm.create("hopfield", n_units=n, units="binary", max_steps=50).store(x)
    theta = mem.threshold_
    expect(np.isfinite(theta), "a non-finite threshold")
    if x.mean() in (0.0, 1.0):
        return  # no coding level: the weights are 0 (tests/models/test_sparse.py)
    w = tf_reference(x)
    h = x @ w.T
    ref = auto_threshold(x, w)
    expect(
        abs(theta - ref) <= 1e-9 * max(1.0, abs(ref)), f"auto {theta} != reference {ref}"
    )
    if np.min(np.abs(h - theta)) < 1e-9:
        return  # a field at the threshold: rounding decides, not the law
    cues = nm.patterns.flip(x, 0.1, seed=seed + 1)
    expect(
        np.array_equal(mem.recall(cues).states, reference_recall(x, w, theta, cues)),
        "recall differs from the plain 0/1 dynamics",
    )


def target_fewest_errors(data) -> None:
    """``fewest_errors(on, off)`` makes as few one-step errors as the best of every
    candidate threshold (each field value, each midpoint and beyond both ends)."""
    values = st.integers(-4, 4).map(lambda v: v / 2)
    on = np.array(data.draw(st.lists(values, max_size=8)), dtype=float)
    off = np.array(data.draw(st.lists(values, max_size=8)), dtype=float)
    theta = fewest_errors(on, off)

    def errors(t):
        return int(np.sum(on <= t) + np.sum(off > t))

    both = np.unique(np.concatenate([on, off]))
    cands = np.concatenate([both, (both[1:] + both[:-1]) / 2, [-1e9, 1e9]])
    expect(errors(theta) == min(errors(t) for t in cands), f"{theta} is not the fewest")


# -- helpers ----------------------------------------------------------------------------
def _reference_overlap(s: np.ndarray, x: np.ndarray) -> np.ndarray | None:
    """Plain overlap (None where the encoding is ambiguous: all-ones patterns)."""
    n = x.shape[1]
    if np.all(x == 1):
        return None
    if np.all((x == 0) | (x == 1)):  # 0/1 patterns: the sparse overlap
        k = x.sum(1)
        out = np.empty(len(x))
        for i in range(len(x)):
            if k[i] in (0, n):
                out[i] = np.mean((2 * s[i] - 1) * (2 * x[i] - 1))
            else:
                out[i] = (n * s[i] @ x[i] - k[i] * s[i].sum()) / (k[i] * (n - k[i]))
        return out
    return (s * x).sum(1) / n


def target_metrics(data) -> None:
    """``overlap`` and ``hamming`` of any arrays agree with plain numpy, and never
    score 0/1 states against +/-1 patterns (or the reverse) in silence."""
    n = data.draw(st.integers(1, 10))
    s = arrays(data.draw, n_cols=n)
    x = arrays(data.draw, n_cols=data.draw(st.sampled_from([n, n, n + 1])))
    fn = data.draw(st.sampled_from(["overlap", "hamming"]))
    out = getattr(nm.metrics, fn)(s, x)
    sa = np.atleast_2d(np.asarray(s, dtype=float))
    xa = np.atleast_2d(np.asarray(x, dtype=float))
    expect(sa.shape == xa.shape, "different shapes were accepted")
    s01 = np.all((sa == 0) | (sa == 1)) and np.any(sa == 0) and np.any(sa == 1)
    x01 = np.all((xa == 0) | (xa == 1)) and np.any(xa == 0)
    # Signed states: +/-1, or {-1, 0} (which scored 1.0 against 0/1 patterns).
    spm = np.all(np.isin(sa, [-1.0, 0.0, 1.0])) and np.any(sa == -1)
    xpm = np.all(np.abs(xa) == 1) and np.any(xa == -1)
    expect(not (s01 and xpm), "0/1 states scored against +/-1 patterns")
    expect(not (spm and x01), "signed states scored against 0/1 patterns")
    if fn == "hamming":
        expect(np.array_equal(out, (sa != xa).sum(1)), "hamming differs")
        return
    ref = _reference_overlap(sa, xa)
    if ref is not None:
        expect(bool(np.allclose(out, ref, rtol=1e-9, atol=1e-12)), "overlap differs")


def target_expected_overlaps(data) -> None:
    """``expected_overlaps`` with any states, start, cyclic and dwell agrees with a plain
    loop, or refuses."""
    n = data.draw(st.integers(1, 6))
    length = data.draw(st.integers(1, 4))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    seq = rng.choice([-1.0, 1.0], size=(length, n))
    b, t1 = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 5))
    kinds = ["good", "good", "nan", "str", "complex", "2d", "01"]
    kind = data.draw(st.sampled_from(kinds))
    states = rng.choice([-1.0, 1.0], size=(b, t1, n))
    if kind == "01":  # 0/1 states against the +/-1 sequence: refused
        states = (states > 0).astype(float)
        states.flat[:2] = [0.0, 1.0]
        if n * b * t1 < 2 or np.all(seq.ravel()[:1] == seq):
            kind = "good"  # too small to hold a 0 and a 1, or a sequence with no -1
    if kind == "nan":
        states[0, 0, 0] = np.nan
    elif kind == "str":
        states = states.astype(str)
    elif kind == "complex":
        states = states + 1j
    elif kind == "2d":
        states = states[0]
    start = data.draw(st.one_of(st.integers(-1, length), weird))
    cyclic = data.draw(st.one_of(st.booleans(), weird))
    dwell = data.draw(st.one_of(st.integers(1, 3), weird))
    out = expected_overlaps(states, seq, start=start, cyclic=cyclic, dwell=dwell)
    expect(kind == "good", f"{kind} states were accepted")
    expect(isinstance(cyclic, bool | np.bool_), f"cyclic={cyclic!r} was accepted")
    ref = np.empty((b, t1))
    for i in range(b):
        for t in range(t1):
            k = int(np.asarray(start).ravel()[i if np.size(start) > 1 else 0]) + t // dwell
            if not cyclic and k >= length:
                ref[i, t] = np.nan
            else:
                ref[i, t] = states[i, t] @ seq[k % length] / n
    expect(bool(np.allclose(out, ref, equal_nan=True)), "expected_overlaps differs")


def target_plots(data) -> None:
    """The trajectory plots with any labels, cue and top draw or refuse."""
    n = data.draw(st.integers(2, 8))
    p = data.draw(st.integers(0, 3))
    mem = nm.create("hopfield", n_units=n)
    x = nm.patterns.random_bipolar(max(p, 1), n, seed=data.draw(st.integers(0, 99)))
    if p:
        mem.store(x)
    res = mem.recall(x, record=True)
    labels = data.draw(st.one_of(weird, st.lists(st.text(max_size=3), max_size=4)))
    cue = data.draw(st.one_of(st.integers(-3, 3), weird))
    top = data.draw(st.one_of(st.integers(0, 4), weird))
    try:
        ax = nmp.overlap_trajectory(res, labels=labels, cue=cue, top=top)
        expect(labels is None or len(list(labels)) == p, "labels of another length")
        expect(ax is not None, "no axes")
    finally:
        plt.close("all")


def target_curves(data) -> None:
    """``capacity_curve``, ``basin_curve`` and ``weight_matrix`` with any switches and
    arrays draw only what is drawable (bool switches, finite values, distinct loads) or
    refuse."""
    kind = data.draw(st.sampled_from(["capacity", "basin", "weights"]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    k = data.draw(st.integers(1, 4))
    xs = data.draw(
        st.one_of(
            st.lists(st.sampled_from([0.05, 0.1, 0.2, 0.5, np.nan, 0.1]), max_size=4),
            weird,
        )
    )
    ys = data.draw(st.one_of(st.just(list(rng.random(k))), weird))
    switch = data.draw(st.one_of(st.booleans(), weird))
    try:
        if kind == "capacity":
            nmp.capacity_curve(xs, ys, theory=switch)
        elif kind == "basin":
            nmp.basin_curve(xs, ys)
        else:
            w = rng.standard_normal((k, k))
            if data.draw(st.booleans()):
                w[0, 0] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
            nmp.weight_matrix(w, colorbar=switch)
            expect(bool(np.all(np.isfinite(w))), "non-finite weights drawn")
            expect(isinstance(switch, bool | np.bool_), f"colorbar={switch!r} accepted")
            return
    finally:
        plt.close("all")
    a = np.asarray(xs, dtype=float)
    expect(a.ndim == 1 and len(a) == len(np.unique(a)), "repeated or scalar x drawn")
    expect(bool(np.all(np.isfinite(a))) and len(a) == k, "x of another length drawn")
    expect(bool(np.all(np.isfinite(np.asarray(ys, dtype=float)))), "non-finite y drawn")
    if kind == "capacity":
        expect(isinstance(switch, bool | np.bool_), f"theory={switch!r} accepted")


TARGETS = {
    "sequence": (target_sequence, 60),
    "threshold": (target_threshold, 40),
    "fewest_errors": (target_fewest_errors, 150),
    "metrics": (target_metrics, 150),
    "expected_overlaps": (target_expected_overlaps, 150),
    "plots": (target_plots, 60),
    "curves": (target_curves, 80),
}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_round3(name):
    target, examples = TARGETS[name]

    @_settings(examples)
    @given(st.data())
    def run(data):
        try:
            target(data)
        except nm.ValidationError:
            pass

    run()


def test_the_targets_can_fail():
    """A wrong result raises Wrong (the targets are not idle)."""
    with pytest.raises(Wrong):
        expect(False, "idle")
