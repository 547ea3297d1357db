"""Conformance checks that every model and rule, built-in or third-party, should pass.

Like scikit-learn's ``check_estimator``: a plugin author calls these from their own
tests. Each check raises ``AssertionError`` with a message saying what broke.

>>> import neuromem as nm
>>> from neuromem.testing import check_memory, check_rule
>>> check_rule(nm.create_rule("hebbian"))
>>> X = nm.patterns.random_bipolar(4, 64, seed=0)
>>> check_memory(nm.create("hopfield", n_units=64, seed=0), X)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .errors import ValidationError
from .memory import measured_peaks
from .models.base import Memory, RecallResult
from .params import learned_attributes
from .rules.base import LearningRule

__all__ = ["check_memory", "check_rule"]


def _raises_validation(fn, what: str) -> None:
    try:
        fn()
    except ValidationError:
        return
    except Exception as exc:
        raise AssertionError(
            f"{what}: raised {type(exc).__name__}: {exc}, expected neuromem.ValidationError"
        ) from exc
    raise AssertionError(f"{what}: no error raised, expected neuromem.ValidationError")


def _sample(encoding: str, shape, rng) -> np.ndarray:
    if encoding == "binary":
        return (rng.random(shape) < 0.3).astype(float)
    if encoding == "bipolar":
        return np.where(rng.random(shape) < 0.5, 1.0, -1.0)
    return rng.standard_normal(shape)


def check_rule(
    rule: LearningRule, *, n_pre: int = 7, n_post: int = 5, seed: int = 0
) -> None:
    """Check a learning rule against the :class:`LearningRule` contract.

    A rule that declares ``recurrent`` (it needs a square synapse) is checked on an
    ``n_post x n_post`` synapse.

    - parameters: ``get_params`` matches the attributes, ``clone`` reproduces them;
    - ``delta`` for one presentation equals the batch of one, and has the weights' shape;
    - the same change on dense weights and on a sparse matrix holding every connection;
    - on a sparse topology, the change equals the dense change at the existing entries;
    - bad input (wrong shapes) is a ValidationError; the global numpy state is untouched.
    """
    assert isinstance(rule, LearningRule), f"{rule!r} is not a LearningRule"
    params = rule.get_params()
    for k, v in params.items():
        assert getattr(rule, k) is v, f"__init__ must store parameter {k!r} unchanged"
    clone = rule.clone()
    assert type(clone) is type(rule) and repr(clone) == repr(rule), "clone() differs"

    if rule.recurrent:
        n_pre = n_post
    global_state = np.random.get_state()[1].copy()
    rng = np.random.default_rng(seed)
    enc = rule.encodings[0]
    pre = _sample(enc, (3, n_pre), rng)
    post = _sample(enc, (3, n_post), rng)
    signal = rng.standard_normal((3, n_post)) if rule.uses_signal else None
    w = 0.1 * rng.standard_normal((n_post, n_pre))

    def fresh():
        r = rule.clone()
        return r

    one = fresh().delta(pre[0], post[0], w, None if signal is None else signal[0])
    batch1 = fresh().delta(pre[:1], post[:1], w, None if signal is None else signal[:1])
    assert np.shape(one) == w.shape, f"delta has shape {np.shape(one)}, weights {w.shape}"
    np.testing.assert_allclose(
        one, batch1, rtol=1e-12, atol=1e-12, err_msg="single presentation != batch of one"
    )
    if "sparse" in rule.supports and "dense" in rule.supports:
        dense = fresh().delta(pre, post, w, signal)
        full = fresh().delta(pre, post, sp.csr_array(np.where(w == 0, 1e-300, w)), signal)
        np.testing.assert_allclose(
            full.toarray(),
            dense,
            rtol=1e-9,
            atol=1e-12,
            err_msg="dense and sparse (all connections) differ",
        )
        keep = rng.random(w.shape) < 0.4
        wm = np.where(keep, w, 0.0)
        structure = sp.csr_array(np.where(keep, np.where(wm == 0, 1e-300, wm), 0.0))
        restricted = fresh().delta(pre, post, structure, signal)
        dense_m = fresh().delta(pre, post, wm, signal)
        np.testing.assert_allclose(
            restricted.toarray(),
            np.where(keep, dense_m, 0.0),
            rtol=1e-9,
            atol=1e-12,
            err_msg="sparse topology != dense change at its entries",
        )
    _raises_validation(
        lambda: fresh().delta(pre[:, :-1], post, w, signal),
        "delta with pre of the wrong width",
    )
    _raises_validation(
        lambda: fresh().delta(pre, post[:-1], w, signal),
        "delta with post of another batch size",
    )
    assert np.array_equal(np.random.get_state()[1], global_state), (
        "the rule touched numpy's global random state"
    )


def check_memory(
    memory: Memory,
    patterns: np.ndarray,
    *,
    targets: np.ndarray | None = None,
    cues: np.ndarray | None = None,
) -> None:
    """Check a memory model against the :class:`Memory` contract.

    Parameters
    ----------
    memory : Memory
        A new, unfitted instance (it is cloned, never modified).
    patterns : ndarray
        Patterns the model can store (and recall reasonably).
    targets : ndarray, optional
        Values for a hetero-associative check.
    cues : ndarray, optional
        Cues for recall; ``patterns`` by default.

    Notes
    -----
    Checks: parameters are stored as given and ``clone`` reproduces them; ``store``
    returns the model; ``recall`` returns a :class:`RecallResult` of the right shapes and
    types; the same seed gives the same result; a saved and loaded model recalls the
    same; bad input (NaN, wrong width, wrong dimensions, empty) is a ValidationError;
    the global numpy random state is untouched.
    """
    assert isinstance(memory, Memory), f"{memory!r} is not a Memory"
    for k, v in memory.get_params().items():
        assert getattr(memory, k) is v or np.all(getattr(memory, k) == v), (
            f"__init__ must store parameter {k!r} as given"
        )
    assert not learned_attributes(memory), (
        "__init__ must not create learned attributes (names ending in '_')"
    )
    global_state = np.random.get_state()[1].copy()
    cues = patterns if cues is None else cues
    m1 = memory.clone()
    out = m1.store(patterns) if targets is None else m1.store(patterns, targets)
    assert out is m1, "store() must return the model itself"
    r1 = m1.recall(cues)
    assert isinstance(r1, RecallResult), "recall() must return a RecallResult"
    n_out = (patterns if targets is None else targets).shape[1]
    assert r1.states.shape == (len(cues), n_out), f"states shape {r1.states.shape}"
    assert r1.steps.shape == (len(cues),) and np.issubdtype(r1.steps.dtype, np.integer)
    assert r1.converged.shape == (len(cues),) and r1.converged.dtype == bool
    assert np.all(r1.steps >= 1), "steps must count at least the sweep that confirmed"
    assert np.all(np.isfinite(r1.states)), "recalled states must be finite"

    m2 = memory.clone()
    m2.store(patterns) if targets is None else m2.store(patterns, targets)
    r2 = m2.recall(cues)
    if not isinstance(memory.get_params().get("seed"), np.random.Generator):
        np.testing.assert_array_equal(
            r1.states, r2.states, err_msg="same parameters and seed, different recall"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        m3 = memory.clone()
        m3.store(patterns) if targets is None else m3.store(patterns, targets)
        expected = m3.recall(cues).states
        m3.save(path)
        from .io import load

        loaded = load(path)
        assert type(loaded) is type(memory), "load() returned another type"
        np.testing.assert_array_equal(
            loaded.recall(cues).states,
            expected,
            err_msg="a loaded model recalls differently",
        )

    bad = cues.copy()
    bad[0, 0] = np.nan
    _raises_validation(lambda: m1.recall(bad), "recall with NaN in the cues")
    _raises_validation(
        lambda: m1.recall(cues[:, :-1]), "recall with cues of the wrong width"
    )
    _raises_validation(
        lambda: m1.recall(cues[0][None, None]), "recall with a 3-D cue array"
    )
    pbad = patterns.copy()
    pbad[0, 0] = np.inf
    args = (pbad,) if targets is None else (pbad, targets)
    _raises_validation(
        lambda: memory.clone().store(*args), "store with inf in the patterns"
    )
    args = (patterns[:0],) if targets is None else (patterns[:0], targets[:0])
    _raises_validation(lambda: memory.clone().store(*args), "store of an empty pattern set")
    assert np.array_equal(np.random.get_state()[1], global_state), (
        "the model touched numpy's global random state"
    )


def check_memory_estimate(
    memory: Memory,
    patterns: np.ndarray,
    *,
    targets: np.ndarray | None = None,
    cues: np.ndarray | None = None,
    slack: float = 2.0,
) -> dict:
    """Check a model's ``memory_estimate`` against the peak traced by tracemalloc.

    A clone of ``memory`` stores and recalls once untraced (compiled kernels and caches
    are made then), then another clone is traced: the estimate of each call
    (:func:`neuromem.memory.measured_peaks`) must be at least the peak and at most
    ``slack`` times it. Returns the measurements.
    """
    args = (patterns,) if targets is None else (patterns, targets)
    warm = memory.clone()
    warm.store(*args)
    warm.recall(patterns if cues is None else cues)
    out = measured_peaks(memory.clone(), patterns, targets, cues)
    for call, (peak, estimate) in out.items():
        assert peak <= estimate <= slack * peak, (
            f"{memory.name}.{call}: estimate {estimate} bytes, traced peak {peak} bytes "
            f"(expected between 1 and {slack} times the peak)"
        )
    return out
