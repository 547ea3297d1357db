"""The memory interface shared by every model: ``store`` and ``recall``."""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .. import memory, memory_rows, sweeps
from ..errors import ValidationError, described, outside_package
from ..params import Parametrized, learned_attributes
from ..registry import RegisteredName, rules
from ..tags import ModelTags, TagAlias, declare_legacy, legacy_tags

__all__ = [
    "RECORDABLE",
    "KeepsPatterns",
    "Memory",
    "RecallResult",
    "check_record",
    "not_stored",
    "transactional",
]


@dataclass(frozen=True)
class RecallResult:
    """What a memory returns for a batch of cues.

    Attributes
    ----------
    states : ndarray, shape (P, N)
        Recalled states, row-wise, in the patterns' encoding.
    steps : ndarray of int, shape (P,)
        Update sweeps each cue took, including the sweep that confirmed the fixed
        point (1 for a feed-forward pass).
    converged : ndarray of bool, shape (P,)
        Whether each cue reached a fixed point.
    energy : ndarray, shape (T + 1, P), optional
        Deprecated (``recall(record_energy=True)``): ``trajectory["energies"]``
        transposed. Ask for ``record="energies"`` instead.
    trajectory : dict of str to ndarray, optional
        What ``recall(..., record=...)`` kept, sweep by sweep, cue-major: ``"states"``
        of shape ``(P, T + 1, N)``, ``"overlaps"`` with every stored pattern
        ``(P, T + 1, n_stored)`` and ``"energies"`` ``(P, T + 1)`` (the model's
        ``energy(states)`` of each recorded state), where ``T`` is the
        largest number of sweeps any cue took. Index 0 is the cue itself; a cue that
        stopped earlier repeats its final state (one stopped in a period-2 cycle
        alternates between the two states of the cycle). ``None`` when nothing was recorded.
    info : dict
        Model-specific extras.
    """

    states: np.ndarray
    steps: np.ndarray
    converged: np.ndarray
    energy: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)
    trajectory: dict[str, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.states)


#: What ``recall(..., record=...)`` can keep per sweep.
RECORDABLE = ("states", "overlaps", "energies")


def check_record(record: Any, available: tuple[str, ...] = RECORDABLE) -> frozenset[str]:
    """Validate a ``record`` argument of ``recall``; returns the set of names to keep.

    ``None`` or ``False`` keeps nothing, ``True`` everything in ``available``, a name or
    an iterable of names just those.
    """
    allowed = f"a bool or names from {list(available)}"
    if record is None or record is False:
        return frozenset()
    if record is True:
        return frozenset(available)
    names = (record,) if isinstance(record, str) else record
    try:
        chosen = frozenset(names)
    except TypeError:
        raise ValidationError("record", record, allowed) from None
    if not chosen or not all(isinstance(n, str) and n in available for n in chosen):
        raise ValidationError("record", record, allowed)
    return chosen


def pattern_recording(
    names: frozenset[str],
    patterns: np.ndarray,
    energies: Callable[[np.ndarray], np.ndarray],
    units: Callable[[np.ndarray], np.ndarray] | None = None,
) -> sweeps.Recording | None:
    """What ``recall(record=names)`` measures, sweep by sweep, in a memory of
    ``patterns``: the states, their overlaps with every stored pattern and their
    ``energies``; ``None`` when nothing is recorded.

    ``units`` maps the states the dynamics run on to the model's encoding (0/1 units
    that run as their +/-1 equivalents); every measure reads the mapped states.
    """
    overlaps = sweeps.stored_overlaps(patterns)
    if units is None:
        return sweeps.recording(
            names, states=lambda z: z, overlaps=overlaps, energies=energies
        )
    return sweeps.recording(
        names,
        states=units,
        overlaps=lambda z: overlaps(units(z)),
        energies=lambda z: energies(units(z)),
    )


def deprecated_rule_instance(rule: Any) -> None:
    """Warn that ``rule=<instance>`` is deprecated (one way: a name and its options),
    at the user's line."""
    cls, name = type(rule).__name__, rules.name_of(rule)
    how = (
        f"pass the registered name and its parameters, rule={name!r}"
        if name
        else f"register the class, nm.register_rule('NAME', {cls}), and pass rule='NAME'"
    )
    warnings.warn(
        f"rule={cls}(...) is deprecated: {how}, rule_options={{...}}",
        DeprecationWarning,
        stacklevel=outside_package(),
    )


def _generators(obj: Any) -> list[np.random.Generator]:
    return [v for v in vars(obj).values() if isinstance(v, np.random.Generator)]


def transactional(
    method: Callable | None = None, *, light: bool = False, when: Callable | None = None
):
    """Make a model method all-or-nothing under Ctrl-C (``KeyboardInterrupt``).

    The model's attributes are deep-copied before the call and put back if the call is
    interrupted, so an interrupted ``store`` (or ``unlearn``) leaves the model exactly
    as it was. ``light=True`` (for ``recall``, which changes no learned state) saves and
    restores only the states of the model's random generators. ``when(self)`` returning
    False skips the snapshot (a store that cannot run long need not pay for a copy).
    Other exceptions propagate unchanged (the methods validate before they change
    anything).
    """

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(self, *args: Any, **kwargs: Any):
            if when is not None and not when(self):
                return fn(self, *args, **kwargs)
            if light:
                saved = [
                    (g, copy.deepcopy(g.bit_generator.state)) for g in _generators(self)
                ]
            else:
                saved = copy.deepcopy(vars(self))
            try:
                return fn(self, *args, **kwargs)
            except KeyboardInterrupt:
                if light:
                    for g, state in saved:
                        g.bit_generator.state = state
                else:
                    vars(self).clear()
                    vars(self).update(saved)
                raise

        return wrapper

    return wrap(method) if method is not None else wrap


def iterative_rule(model: Any) -> bool:
    """Whether ``model.rule`` learns in a loop of its own (it has ``max_epochs``)."""
    rule = getattr(model, "rule", None)
    if isinstance(rule, str):
        try:
            return "max_epochs" in rules.get(rule).param_names()
        except Exception:
            return False
    return hasattr(rule, "max_epochs")


def not_stored(model: Any, method: str | None = None):
    """The error every model raises when ``method`` needs what ``store`` learns.

    One wording for every model: ``"<model>.<method>: got a call before anything was
    stored; expected store() called first"``. (The Hopfield network is the exception by
    design: before ``store`` its couplings are zero, a valid empty network that recalls
    every cue as it is.)
    """
    if method is None:  # the public method that was called: the first without a "_"
        import sys

        frame = sys._getframe(1)
        method = "recall"
        for _ in range(6):
            if frame is None:
                break
            if not frame.f_code.co_name.startswith("_"):
                method = frame.f_code.co_name
                break
            frame = frame.f_back
    name = getattr(model, "name", type(model).__name__)
    return ValidationError(
        f"{name}.{method}",
        described("a call before anything was stored"),
        "store() called first",
    )


#: Old class attributes of a model, by the tag each one declared.
_MODEL_ALIASES = {
    "encodings": "encodings",
    "hetero": "hetero_associative",
    "auto_associative": "auto_associative",
}


class Memory(Parametrized):
    """Base class of memory models.

    Subclasses follow scikit-learn's convention: ``__init__`` stores (and validates) its
    parameters and builds nothing; learned state lives in attributes ending in ``_``,
    created by :meth:`store`. They implement :meth:`store` and :meth:`recall`, and
    :meth:`_get_state` / :meth:`_set_state` if their learned state is not a set of
    arrays in attributes ending in ``_``.
    """

    #: The name the class is registered under (``nm.register_model`` or an entry point).
    name = RegisteredName("models")
    #: Deprecated aliases of the tags (read ``get_tags(mem)``).
    encodings = TagAlias("encodings")
    hetero = TagAlias("hetero_associative")
    auto_associative = TagAlias("auto_associative")
    #: Parameters read when the network is built or patterns are stored: once
    #: something is stored, ``set_params`` refuses to change them (a new value would
    #: otherwise be silently ignored by the learned state).
    _state_params: ClassVar[frozenset[str]] = frozenset(
        {
            "n_units", "n_out", "hidden", "activation", "output_activation", "loss",
            "optimizer", "learning_rate", "momentum", "init", "neuron", "orthogonalize",
            "decay", "bounds", "soft_bounds", "units", "threshold", "rule",
            "rule_options", "topology", "sparse", "dtype", "seed",
        }
    )  # fmt: skip

    def __new__(cls, *args: Any, **kwargs: Any) -> Memory:
        self = super().__new__(cls)
        # Drawn when the model is made, not at its first store: a file keeps it with
        # the other streams, so a model saved unfitted and loaded draws as the original.
        self._entropy_rng = np.random.default_rng()
        return self

    def _seed_source(self) -> Any:
        """What the model's random streams are drawn from: ``seed``, or for
        ``seed=None`` the model's own entropy stream, which its files keep (use
        ``spawn(self._seed_source(), n)``, never ``spawn(None, n)``)."""
        seed = getattr(self, "seed", None)
        if seed is not None:
            return seed
        if getattr(self, "_entropy_rng", None) is None:  # built without Memory.__new__
            self._entropy_rng = np.random.default_rng()
        return self._entropy_rng

    def __neuromem_tags__(self) -> ModelTags:
        """What this model is (read with :func:`neuromem.get_tags`).

        The defaults: an auto-associative memory of +/-1 patterns, family "other". A
        subclass overrides this, starting from ``super().__neuromem_tags__()`` and
        replacing what differs (``dataclasses.replace``).
        """
        return legacy_tags(type(self), ModelTags(), _MODEL_ALIASES)

    def store(self, patterns: np.ndarray, targets: np.ndarray | None = None) -> Memory:
        """Store patterns (auto-association) or ``patterns -> targets`` pairs.

        Calling ``store`` again adds to what is stored wherever the learning rule allows.

        Returns
        -------
        Memory
            ``self``, so calls can be chained.
        """
        raise NotImplementedError

    def recall(self, cues: np.ndarray, **options: Any) -> RecallResult:
        """Recall from cues stored row-wise; returns a :class:`RecallResult`."""
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every store and recall is checked against the memory available, from the
        # sizes of the call (memory.guarded), before it allocates anything.
        super().__init_subclass__(**kwargs)
        declare_legacy(cls, _MODEL_ALIASES)
        RegisteredName.take_declared(cls)
        for method in ("store", "recall"):
            fn = cls.__dict__.get(method)
            if callable(fn) and not getattr(fn, "__neuromem_guarded__", False):
                setattr(cls, method, memory.guarded(method, fn))

    def memory_estimate(self, work: memory.Workload | None = None) -> int:
        """Bytes this model needs for ``work`` (its state and the call's temporaries).

        Checked by :func:`neuromem.create` (``work=None``: the model as built) and
        before every ``store`` and ``recall`` (see :mod:`neuromem.memory`). The default
        counts one dense ``n_units x n_out`` matrix, the stored patterns and a few
        copies of the call's arrays; a model with another structure overrides it.
        """
        return self._estimate("default", work)

    def _estimate(self, kind: str, work: memory.Workload | None, **options: Any) -> int:
        """``<kind>_estimate(self, work, **options)`` of :mod:`neuromem.memory` or
        :mod:`neuromem.memory_rows`."""
        name = f"{kind}_estimate"
        estimate = getattr(memory, name, None) or getattr(memory_rows, name)
        return int(memory.MARGIN * estimate(self, work or memory.Workload(), **options))

    # -- persistence ---------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        """Learned state: arrays, scipy.sparse matrices or JSON scalars, by name."""
        return learned_attributes(self)

    def _set_state(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def save(self, path) -> None:
        """Write the model (parameters and learned state) to ``path`` atomically.

        The file is a NumPy ``.npz`` archive with a JSON header and a checksum; it is
        read back with :func:`neuromem.load` without pickle.
        """
        from ..io import save

        save(self, path)


class KeepsPatterns:
    """For memories whose learned state is the stored patterns themselves.

    Dense and modern Hopfield networks compute with the pattern matrix directly (their
    couplings are never formed): storing appends to ``patterns_``.
    """

    def _keep(self, x: np.ndarray) -> None:
        old = getattr(self, "patterns_", None)
        self.patterns_ = x if old is None else np.concatenate([old, x])
        self.n_stored_ = len(self.patterns_)

    def _fitted(self) -> np.ndarray:
        x = getattr(self, "patterns_", None)
        if x is None:
            raise not_stored(self)
        return x
