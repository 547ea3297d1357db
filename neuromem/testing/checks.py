"""The conformance checks: one function per check, for models and for rules."""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import patterns as pat
from .. import registry
from .._codec import Encoder
from ..errors import ValidationError
from ..io import load
from ..memory_probe import measured_peaks
from ..models.base import Memory, RecallResult
from ..params import learned_attributes
from ..rules.base import LearningRule
from ..tags import ENCODINGS, REGIMES, ModelTags, RuleTags, get_tags
from ..theory import ANCHORS

__all__ = [
    "Sample",
    "check_memory",
    "check_memory_estimate",
    "check_rule",
    "memory_checks",
    "rule_checks",
    "sample_for",
]


# -- helpers ---------------------------------------------------------------------------
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


def _takes(fn: Callable, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class _GlobalState:
    """Asserts that numpy's global random state is untouched."""

    def __enter__(self):
        self.before = np.random.get_state()[1].copy()

    def __exit__(self, *exc):
        if exc[0] is None:
            assert np.array_equal(np.random.get_state()[1], self.before), (
                "numpy's global random state was touched"
            )


@dataclass(frozen=True)
class Sample:
    """Data a model check stores and recalls: ``patterns`` (or keys), optional
    ``targets`` (hetero-association) and ``cues`` (``patterns`` by default)."""

    patterns: np.ndarray
    targets: np.ndarray | None = None
    cues: np.ndarray | None = None

    @property
    def recall_cues(self) -> np.ndarray:
        return self.patterns if self.cues is None else self.cues

    def store(self, memory: Memory, patterns: np.ndarray | None = None) -> Memory:
        x = self.patterns if patterns is None else patterns
        return memory.store(x) if self.targets is None else memory.store(x, self.targets)


def _encoded(encoding: str, n_patterns: int, n: int, seed: int) -> np.ndarray:
    if encoding == "binary":
        return pat.random_sparse(n_patterns, n, n_active=max(2, n // 6), seed=seed)
    if encoding == "real":
        return np.random.default_rng(seed).standard_normal((n_patterns, n))
    return pat.random_bipolar(n_patterns, n, seed=seed)


def sample_for(memory: Memory, n_patterns: int = 4, seed: int = 0) -> Sample:
    """Patterns a model can store, in the first encoding its tags declare (+/-1
    first), and cues far from them (so that an update order, a random stream, shows):
    auto-association unless the model is only hetero-associative."""
    tags = get_tags(memory)
    n = int(memory.n_units)
    enc = next(e for e in ("bipolar", "binary", "real") if e in tags.encodings)
    x = _encoded(enc, n_patterns, n, seed)
    cues = _encoded(enc, n_patterns, n, seed + 2)
    if tags.auto_associative or tags.sequence or not tags.hetero_associative:
        return Sample(x, cues=cues)
    return Sample(x, _encoded(enc, n_patterns, max(2, n // 2), seed + 1), cues)


def _stored(memory: Memory, sample: Sample) -> Memory:
    return sample.store(memory.clone())


def _unseeded(memory: Memory) -> Memory:
    m = memory.clone()
    return m.set_params(seed=None) if "seed" in m.param_names() else m


def _same_learned(a: Memory, b: Memory, what: str) -> None:
    la, lb = learned_attributes(a), learned_attributes(b)
    assert la.keys() == lb.keys(), f"{what}: learned attributes differ"
    for k, v in la.items():
        w = lb[k]
        if sp.issparse(v):
            v, w = v.toarray(), w.toarray()
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(v, w, err_msg=f"{what}: {k} differs")


#: The model and rule checks, in the order they run: each one joins its list where it
#: is defined (``@_check``), so a new check cannot be left out of the kit.
_CHECKS: dict[str, list[Callable[..., None]]] = {"memory": [], "rule": []}


def _check(kind: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        _CHECKS[kind].append(fn)
        return fn

    return register


# -- model checks ----------------------------------------------------------------------
@_check("memory")
def check_params(memory: Memory, sample: Sample | None = None) -> None:
    """``__init__`` stores the parameters as given and learns nothing; ``clone``
    reproduces them."""
    for k, v in memory.get_params().items():
        assert getattr(memory, k) is v or np.all(getattr(memory, k) == v), (
            f"__init__ must store parameter {k!r} as given"
        )
    assert not learned_attributes(memory), (
        "__init__ must not create learned attributes (names ending in '_')"
    )
    c = memory.clone()
    assert type(c) is type(memory) and repr(c) == repr(memory), "clone() differs"
    _one_name(memory, registry.models)


@_check("memory")
def check_tags(memory: Memory, sample: Sample | None = None) -> None:
    """The tags are a :class:`ModelTags` of known values (checked by ``get_tags``), with
    theory anchors that :data:`neuromem.theory.ANCHORS` holds; every variant builds."""
    tags = get_tags(memory)
    assert isinstance(tags, ModelTags), f"__neuromem_tags__ returned {tags!r}"
    assert tags.encodings and set(tags.encodings) <= set(ENCODINGS), tags.encodings
    assert tags.regime in REGIMES, f"regime {tags.regime!r} is not one of {REGIMES}"
    _known_anchors(tags)
    size = {"n_units": memory.n_units} if "n_units" in memory.param_names() else {}
    for label, params in tags.variants:  # parameter sets for the class's defaults
        assert isinstance(label, str) and isinstance(params, dict), (label, params)
        type(memory)(**size, **params)


def _one_name(obj: Any, kind: registry.Registry) -> None:
    key = kind.name_of(obj)
    assert key is None or obj.name == key, (
        f"{type(obj).__name__}.name is {obj.name!r}, not {key!r}, the name it is "
        "registered under (the one source of its name)"
    )


def _known_anchors(tags: ModelTags | RuleTags) -> None:
    unknown = [t for t in tags.theory if t not in ANCHORS]
    assert not unknown, f"theory anchors {unknown} are not keys of theory.ANCHORS"


@_check("memory")
def check_store_recall(memory: Memory, sample: Sample | None = None) -> None:
    """``store`` returns the model; ``recall`` a :class:`RecallResult` of the right
    shapes, finite states in the patterns' encoding; every declared encoding stores."""
    sample = sample or sample_for(memory)
    cues = sample.recall_cues
    with _GlobalState():
        m = memory.clone()
        assert sample.store(m) is m, "store() must return the model itself"
        r = m.recall(cues)
    assert isinstance(r, RecallResult), "recall() must return a RecallResult"
    n_out = (sample.patterns if sample.targets is None else sample.targets).shape[1]
    assert r.states.shape == (len(cues), n_out), f"states shape {r.states.shape}"
    assert r.steps.shape == (len(cues),) and np.issubdtype(r.steps.dtype, np.integer)
    assert r.converged.shape == (len(cues),) and r.converged.dtype == bool
    assert np.all(r.steps >= 1), "steps must count at least the sweep that confirmed"
    assert np.all(np.isfinite(r.states)), "recalled states must be finite"
    tags = get_tags(memory)
    given = sample.patterns if sample.targets is None else sample.targets
    if "real" not in tags.encodings:
        allowed = (0.0, 1.0) if set(np.unique(given)) <= {0.0, 1.0} else (-1.0, 1.0)
        assert np.isin(r.states, allowed).all(), f"states outside {allowed}"
    if sample.targets is None and tags.auto_associative:
        for enc in tags.encodings:
            x = _encoded(enc, 3, int(memory.n_units), 5)
            memory.clone().store(x).recall(x)


@_check("memory")
def check_seeded(memory: Memory, sample: Sample | None = None) -> None:
    """The same parameters and integer seed give the same recall."""
    if "seed" not in memory.param_names():
        return
    sample = sample or sample_for(memory)
    seeded = memory.clone().set_params(seed=7)
    a = _stored(seeded, sample).recall(sample.recall_cues)
    b = _stored(seeded, sample).recall(sample.recall_cues)
    np.testing.assert_array_equal(a.states, b.states, err_msg="same seed, other recall")


@_check("memory")
def check_save_load(memory: Memory, sample: Sample | None = None) -> None:
    """Saved and loaded (unseeded streams; before the first store, and after a recall
    drew from them), the model recalls and trains exactly as the original goes on to."""
    assert registry.models.name_of(memory) is not None, (
        f"{type(memory).__name__} is not registered: nm.load finds a model by its "
        "registry name (nm.register_model)"
    )
    sample = sample or sample_for(memory)
    cues = sample.recall_cues
    # Saved before its first store: the file keeps what its streams will be drawn from.
    original = _unseeded(memory)
    loaded = _saved_and_loaded(original)
    _trained_alike(original, loaded, sample, cues, "an unfitted save, load and store")
    original = _stored(_unseeded(memory), sample)
    original.recall(cues)
    loaded = _saved_and_loaded(original)
    a, b = original.recall(cues), loaded.recall(cues)
    np.testing.assert_array_equal(b.states, a.states, err_msg="recall after load")
    np.testing.assert_array_equal(b.steps, a.steps, err_msg="steps after load")
    # The next training step: the same patterns again, in reverse order.
    t = None if sample.targets is None else sample.targets[::-1].copy()
    more = Sample(sample.patterns[::-1].copy(), t)
    _trained_alike(original, loaded, more, cues, "load and training")


def _saved_and_loaded(memory: Memory) -> Memory:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        memory.save(path)
        loaded = load(path)
    assert type(loaded) is type(memory), "load() returned another type"
    return loaded


def _trained_alike(original: Memory, loaded: Memory, sample: Sample, cues, what: str):
    sample.store(original), sample.store(loaded)
    _same_learned(original, loaded, what)
    np.testing.assert_array_equal(
        loaded.recall(cues).states,
        original.recall(cues).states,
        err_msg=f"recall after {what}",
    )


@_check("memory")
def check_clone(memory: Memory, sample: Sample | None = None) -> None:
    """``clone`` of a fitted model is unfitted, with equal parameters."""
    sample = sample or sample_for(memory)
    fitted = _stored(memory, sample)
    c = fitted.clone()
    assert type(c) is type(memory) and not learned_attributes(c), "clone() is fitted"
    assert repr(c) == repr(memory), "clone() changed the parameters"


@_check("memory")
def check_set_params(memory: Memory, sample: Sample | None = None) -> None:
    """``set_params`` with the current values changes nothing and returns the model;
    an unknown name, and a state-shaping change after ``store``, are refused."""
    m = memory.clone()
    assert m.set_params(**m.get_params()) is m, "set_params() must return the model"
    assert repr(m) == repr(memory), "set_params(current values) changed the model"
    _raises_validation(lambda: m.set_params(no_such_parameter=1), "an unknown parameter")
    if "n_units" in m.param_names():
        sample = sample or sample_for(memory)
        fitted = _stored(memory, sample)
        _raises_validation(
            lambda: fitted.set_params(n_units=fitted.n_units + 1),
            "changing n_units after store",
        )


@_check("memory")
def check_record(memory: Memory, sample: Sample | None = None) -> None:
    """``recall(record=True)``: cue-major trajectories ``(P, T + 1, ...)``, the last
    the result; energies (the model's ``energy``) when the tags declare one."""
    if not _takes(memory.recall, "record"):
        return
    sample = sample or sample_for(memory)
    if sample.targets is not None:
        return
    m = _stored(memory.clone().set_params(seed=3) if "seed" in memory.param_names()
                else memory, sample)  # fmt: skip
    cues = sample.recall_cues
    r = m.recall(cues, record=True)
    got = set(r.trajectory or ())
    assert "states" in got, f"record=True kept {sorted(got)}, not the states"
    if get_tags(memory).energy:
        assert "energies" in got, "tagged energy=True, but no energies recorded"
    states = r.trajectory["states"]
    p, t1, n = states.shape
    assert (p, n) == cues.shape and t1 >= 2, f"trajectory states {states.shape}"
    np.testing.assert_array_equal(states[:, -1], r.states, err_msg="last != result")
    for name in got - {"states"}:
        assert r.trajectory[name].shape[:2] == (p, t1), f"{name} not (P, T + 1, ...)"
    if "energies" in got:
        e = r.trajectory["energies"]
        assert e.shape == (p, t1), f"energies {e.shape}, expected {(p, t1)}"
        np.testing.assert_allclose(e[:, -1], m.energy(r.states), rtol=1e-9, atol=1e-9)
    _raises_validation(lambda: m.recall(cues, record="bogus"), "record='bogus'")


@_check("memory")
def check_bad_input(memory: Memory, sample: Sample | None = None) -> None:
    """NaN, inf, the wrong width or dimensions, an empty set: ``ValidationError``."""
    sample = sample or sample_for(memory)
    cues = sample.recall_cues
    with _GlobalState():
        m = _stored(memory, sample)
        bad = cues.copy()
        bad[0, 0] = np.nan
        _raises_validation(lambda: m.recall(bad), "recall with NaN in the cues")
        _raises_validation(lambda: m.recall(cues[:, :-1]), "recall with cues too narrow")
        _raises_validation(lambda: m.recall(cues[0][None, None]), "recall of a 3-D cue")
        x = sample.patterns.copy()
        x[0, 0] = np.inf
        _raises_validation(lambda: sample.store(memory.clone(), x), "store with inf")
        t = None if sample.targets is None else sample.targets[:0]
        _raises_validation(
            lambda: Sample(sample.patterns[:0], t).store(memory.clone()),
            "store of an empty pattern set",
        )


def memory_checks() -> tuple[Callable[..., None], ...]:
    """Every model check, each ``check(memory, sample=None)``."""
    return tuple(_CHECKS["memory"])


def check_memory(
    memory: Memory,
    patterns: np.ndarray | None = None,
    *,
    targets: np.ndarray | None = None,
    cues: np.ndarray | None = None,
) -> None:
    """Run every model check (:func:`memory_checks`) on ``memory``.

    Parameters
    ----------
    memory : Memory
        A new, unfitted instance (it is cloned, never modified), of a registered class.
    patterns : ndarray, optional
        Patterns the model can store; by default drawn from its tags (:func:`sample_for`).
    targets : ndarray, optional
        Values for a hetero-associative check.
    cues : ndarray, optional
        Cues for recall; ``patterns`` by default.
    """
    assert isinstance(memory, Memory), f"{memory!r} is not a Memory"
    sample = None if patterns is None else Sample(patterns, targets, cues)
    for check in memory_checks():
        check(memory, sample)


# -- rule checks -----------------------------------------------------------------------
def _rule_data(rule: LearningRule, n_pre: int = 7, n_post: int = 5, seed: int = 0):
    if rule.recurrent:
        n_pre = n_post
    rng = np.random.default_rng(seed)
    enc = get_tags(rule).encodings[0]
    pre = _sample(enc, (3, n_pre), rng)
    post = _sample(enc, (3, n_post), rng)
    signal = rng.standard_normal((3, n_post)) if get_tags(rule).needs_signal else None
    w = 0.1 * rng.standard_normal((n_post, n_pre))
    return rng, pre, post, signal, w


@_check("rule")
def check_rule_params(rule: LearningRule, **_: Any) -> None:
    """Parameters stored unchanged, ``clone`` reproduces them; the shared parameters
    reach the base class when a model gives them (it sets ``learning_rate``); a
    registered rule is written to a model file under its registry name and read back
    the same."""
    for k, v in rule.get_params().items():
        assert getattr(rule, k) is v, f"__init__ must store parameter {k!r} unchanged"
    shared = {"learning_rate": 0.25, "decay": 0.125}
    how = "write __init__(self, ..., **shared) and call super().__init__(**shared)"
    try:
        built = type(rule)(**{**rule.get_params(), **shared})
    except (TypeError, ValidationError) as exc:
        raise AssertionError(
            f"{type(rule).__name__} refuses the shared parameters ({exc}); {how}"
        ) from exc
    for k, v in shared.items():
        kept = getattr(built, k)
        assert kept == v, f"{k}={v} given to {type(rule).__name__}, {kept} kept; {how}"
    clone = rule.clone()
    assert type(clone) is type(rule) and repr(clone) == repr(rule), "clone() differs"
    _one_name(rule, registry.rules)
    if registry.rules.name_of(rule) is not None:
        enc = Encoder()
        back = Encoder.decode(enc.encode(rule, "rule"), enc.arrays)
        assert type(back) is type(rule) and repr(back) == repr(rule), (
            f"a model file gives back {back!r} for {rule!r}"
        )


@_check("rule")
def check_rule_tags(rule: LearningRule, **_: Any) -> None:
    """The tags are a :class:`RuleTags`; ``symmetric`` is what ``delta`` does: a rule
    tagged symmetric keeps symmetric weights symmetric (on activity it is meant for)."""
    tags = get_tags(rule)
    assert isinstance(tags, RuleTags), f"__neuromem_tags__ returned {tags!r}"
    assert tags.encodings and set(tags.encodings) <= set(ENCODINGS), tags.encodings
    _known_anchors(tags)
    if tags.needs_signal or tags.temporal or not tags.symmetric:
        return  # asymmetry may need particular activity to show: not asserted
    if "dense" not in rule.supports:
        return
    rng = np.random.default_rng(1)
    x = _sample(tags.encodings[0], (4, 6), rng)
    w = rng.standard_normal((6, 6))
    w = w + w.T
    np.fill_diagonal(w, 0.0)
    d = rule.clone().delta(x, x, w)
    np.testing.assert_allclose(d, d.T, atol=1e-9, err_msg="tagged symmetric, is not")


@_check("rule")
def check_rule_delta(rule: LearningRule, **kw: Any) -> None:
    """``delta`` of one presentation equals the batch of one, in the weights' shape; a
    rule that needs several rows (a transition) refuses both alike."""
    with _GlobalState():
        _, pre, post, signal, w = _rule_data(rule, **kw)
        s1 = None if signal is None else signal[:1]
        try:
            one = rule.clone().delta(
                pre[0], post[0], w, None if signal is None else signal[0]
            )
        except ValidationError as exc:
            try:
                rule.clone().delta(pre[:1], post[:1], w, s1)
            except ValidationError as exc1:
                assert exc1.param == exc.param, "one row and a batch of one refused apart"
                return
            raise AssertionError("one row refused, a batch of one accepted") from exc
        batch1 = rule.clone().delta(pre[:1], post[:1], w, s1)
    assert np.shape(one) == w.shape, f"delta has shape {np.shape(one)}, weights {w.shape}"
    np.testing.assert_allclose(
        one, batch1, rtol=1e-12, atol=1e-12, err_msg="single presentation != batch of one"
    )


@_check("rule")
def check_rule_layouts(rule: LearningRule, **kw: Any) -> None:
    """The same change on dense weights and on a sparse matrix of every connection; on
    a sparse topology, the dense change at its entries."""
    if not ("sparse" in rule.supports and "dense" in rule.supports):
        return
    rng, pre, post, signal, w = _rule_data(rule, **kw)
    dense = rule.clone().delta(pre, post, w, signal)
    full = rule.clone().delta(pre, post, sp.csr_array(np.where(w == 0, 1e-300, w)), signal)
    np.testing.assert_allclose(
        full.toarray(), dense, rtol=1e-9, atol=1e-12, err_msg="dense and sparse differ"
    )
    keep = rng.random(w.shape) < 0.4
    wm = np.where(keep, w, 0.0)
    structure = sp.csr_array(np.where(keep, np.where(wm == 0, 1e-300, wm), 0.0))
    restricted = rule.clone().delta(pre, post, structure, signal)
    np.testing.assert_allclose(
        restricted.toarray(),
        np.where(keep, rule.clone().delta(pre, post, wm, signal), 0.0),
        rtol=1e-9,
        atol=1e-12,
        err_msg="sparse topology != dense change at its entries",
    )


@_check("rule")
def check_rule_bad_input(rule: LearningRule, **kw: Any) -> None:
    """Activity of the wrong width or batch size: ``ValidationError``."""
    with _GlobalState():
        _, pre, post, signal, w = _rule_data(rule, **kw)
        _raises_validation(
            lambda: rule.clone().delta(pre[:, :-1], post, w, signal), "pre too narrow"
        )
        _raises_validation(
            lambda: rule.clone().delta(pre, post[:-1], w, signal), "post of another batch"
        )


def rule_checks() -> tuple[Callable[..., None], ...]:
    """Every rule check, each ``check(rule, n_pre=7, n_post=5, seed=0)``."""
    return tuple(_CHECKS["rule"])


def check_rule(
    rule: LearningRule, *, n_pre: int = 7, n_post: int = 5, seed: int = 0
) -> None:
    """Run every rule check (:func:`rule_checks`) on ``rule``.

    A rule that declares ``recurrent`` (it needs a square synapse) is checked on an
    ``n_post x n_post`` synapse.
    """
    assert isinstance(rule, LearningRule), f"{rule!r} is not a LearningRule"
    for check in rule_checks():
        if check in (check_rule_params, check_rule_tags):
            check(rule)
        else:
            check(rule, n_pre=n_pre, n_post=n_post, seed=seed)


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
    (:func:`neuromem.memory_probe.measured_peaks`) must be at least the peak and at most
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
