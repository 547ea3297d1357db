"""The recall front of the Hopfield family (classical, dense and modern networks).

One ``recall`` for the three: its signature, its docstring, the checks of the cues,
``max_steps`` and ``record``, and the assembly of the :class:`RecallResult`. A model
supplies only its update, :meth:`Attractor._relax`, whose keyword-only parameters are
the model's own options of ``recall`` and whose docstring holds the summary and the
entries of ``recall``'s documentation that are the model's own.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from typing import Any, ClassVar

import numpy as np

from ..validation import check_bool, check_int, check_patterns
from .base import RecallResult, check_record, transactional

__all__ = ["Attractor"]

_KW = inspect.Parameter.KEYWORD_ONLY
#: The options every model of the family takes, with their documentation.
SHARED = {
    "max_steps": (
        inspect.Parameter("max_steps", _KW, default=None, annotation="int | None"),
        "max_steps : int, optional\n    Override ``max_steps``.",
    ),
    "record_energy": (
        inspect.Parameter("record_energy", _KW, default=False, annotation="bool"),
        'record_energy : bool\n    Deprecated: ``record="energies"`` '
        "(``result.energy`` is its transpose).",
    ),
    "record": (
        inspect.Parameter(
            "record", _KW, default=None, annotation="bool | str | tuple[str, ...] | None"
        ),
        "record : bool, str or sequence of str, optional\n"
        '    Keep ``"states"``, ``"overlaps"`` (with every stored pattern) and\n'
        '    ``"energies"`` sweep by sweep in ``result.trajectory`` (see\n'
        "    :class:`~neuromem.models.base.RecallResult`).",
    ),
}
_HEAD = (
    inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    inspect.Parameter("cues", inspect.Parameter.POSITIONAL_OR_KEYWORD),
)


def energy_request(
    record: Any, record_energy: Any
) -> tuple[frozenset[str], frozenset[str], bool]:
    """Validate ``record`` and the deprecated ``record_energy`` of ``recall``.

    Returns the names asked for, the names to measure (``"energies"`` added for
    ``record_energy=True``, which warns) and whether ``result.energy`` is wanted.
    """
    names = check_record(record)
    if not check_bool(record_energy, "record_energy"):
        return names, names, False
    warnings.warn(
        "recall(record_energy=True) is deprecated: pass record='energies' and read "
        "result.trajectory['energies'], shape (P, T + 1)",
        DeprecationWarning,
        # energy_request <- _recall <- recall <- transactional's and the memory
        # check's wrappers <- the caller
        stacklevel=6,
    )
    return names, names | {"energies"}, True


def energy_result(
    trajectory: dict[str, np.ndarray] | None, names: frozenset[str], legacy: bool
) -> tuple[dict[str, np.ndarray] | None, np.ndarray | None]:
    """Split what :func:`energy_request` measured into ``(trajectory, energy)``: the
    recorded energies go to ``result.energy`` too (transposed, ``(T + 1, P)``) when
    the deprecated ``record_energy`` asked, and stay in the trajectory if asked for."""
    if not legacy or trajectory is None:
        return trajectory, None
    energy = np.ascontiguousarray(trajectory["energies"].T)
    if "energies" not in names:
        trajectory = {k: v for k, v in trajectory.items() if k != "energies"} or None
    return trajectory, energy


def _sections(doc: str) -> tuple[str, dict[str, str], str]:
    """A numpy-style docstring as (summary, parameter entries by name, the rest);
    a ValueError when it has no ``Parameters`` section."""
    lines = inspect.cleandoc(doc).splitlines()
    start = lines.index("Parameters")
    entries: dict[str, list[str]] = {}
    end = len(lines)
    for i in range(start + 2, len(lines)):
        line = lines[i]
        if line and not line.startswith(" "):
            if i + 1 < len(lines) and set(lines[i + 1]) == {"-"}:  # the next section
                end = i
                break
            entries[line.split(" :")[0]] = [line]  # "a, b : ..." documents a and b
        elif entries:
            entries[list(entries)[-1]].append(line)
    summary = "\n".join(lines[:start]).rstrip()
    rest = "\n".join(lines[end:])
    return summary, {k: "\n".join(v).rstrip() for k, v in entries.items()}, rest


def _document(cls: type, own: dict[str, inspect.Parameter]) -> str:
    """``cls.recall``'s docstring, made of ``cls._relax``'s and :data:`SHARED`'s."""
    needed = ["cues", *own]
    try:
        summary, entries, rest = _sections(cls._relax.__doc__ or "")
    except ValueError:
        entries = {}
    by_name = {n: text for names, text in entries.items() for n in names.split(", ")}
    if missing := [n for n in needed if n not in by_name]:
        raise TypeError(
            f"{cls.__name__}._relax: its docstring documents no {', '.join(missing)}; "
            "expected a numpy-style docstring (a summary, then a 'Parameters' section) "
            f"with an entry for each of: {', '.join(needed)} (it becomes the "
            "documentation of recall)"
        )
    docs = [by_name["cues"]]
    for name in cls.recall_options:
        doc = by_name.get(name) or SHARED[name][1]
        if doc not in docs:  # an entry of several names stands once
            docs.append(doc)
    text = "\n".join([summary, "", "Parameters", "----------", *docs, "", rest])
    return text.rstrip()


def _front(cls: type) -> Any:
    """``cls.recall``: :meth:`Attractor._recall` under the signature and docstring
    made of ``cls.recall_options``, ``cls._relax`` and :data:`SHARED`."""
    own = {
        name: p
        for name, p in inspect.signature(cls._relax).parameters.items()
        if p.kind == p.KEYWORD_ONLY
    }
    declared = set(cls.recall_options)
    if declared - set(own) - set(SHARED) or set(own) - declared:
        raise TypeError(
            f"{cls.__name__}: recall_options {tuple(cls.recall_options)} must list the "
            f"keyword-only parameters of _relax ({', '.join(sorted(own)) or 'none'}) "
            f"and names among {sorted(SHARED)}"
        )
    params = list(_HEAD)
    params += [own.get(name) or SHARED[name][0] for name in cls.recall_options]
    sig = inspect.Signature(params, return_annotation="RecallResult")
    text = _document(cls, own) if sys.flags.optimize < 2 else None

    def recall(self, cues, **options):
        bound = sig.bind(self, cues, **options)  # a TypeError names an unknown option
        bound.apply_defaults()
        return self._recall(**{k: v for k, v in bound.arguments.items() if k != "self"})

    recall.__signature__ = sig
    recall.__doc__ = text
    recall.__qualname__ = f"{cls.__qualname__}.recall"
    recall.__module__ = cls.__module__
    return transactional(recall, light=True)


class Attractor:
    """Mixin giving a Hopfield-family memory its ``recall`` (see the module docstring).

    A subclass, a :class:`~neuromem.models.base.Memory` with ``n_units``, ``dtype``
    and ``max_steps`` parameters, sets :attr:`recall_options` and writes
    :meth:`_relax`, whose numpy-style docstring documents ``cues`` and each of its
    keyword-only parameters (a ``TypeError`` at class definition says what is
    missing). A subclass that writes ``recall`` itself keeps it.
    """

    #: ``recall``'s keyword options, in the order of its signature: those of
    #: :data:`SHARED` and the keyword-only parameters of :meth:`_relax` (which lists
    #: them in alphabetical order: the signature's order is declared here).
    recall_options: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # before Memory wraps recall in its memory check; a recall the class writes
        # itself is kept (it may call the generated one through super())
        own_front = "_relax" in cls.__dict__ or "recall_options" in cls.__dict__
        if own_front and "recall" not in cls.__dict__:
            cls.recall = _front(cls)
        super().__init_subclass__(**kwargs)

    def _recall(self, cues, *, max_steps=None, record=None, record_energy=False, **own):
        s = check_patterns(cues, "cues", n_units=self.n_units, dtype=self.dtype)
        if s is cues or not s.flags.owndata:
            s = s.copy()  # _relax may write into s: the caller's cues stay as given
        names, measured, legacy = energy_request(record, record_energy)
        steps = self.max_steps if max_steps is None else max_steps
        steps = check_int(steps, "max_steps", low=1)
        states, steps, converged, trajectory, info = self._relax(s, steps, measured, **own)
        trajectory, trace = energy_result(trajectory, names, legacy)
        return RecallResult(states, steps, converged, trace, info, trajectory)

    def _relax(
        self, s: np.ndarray, max_steps: int, measured: frozenset[str], **own: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict | None, dict[str, Any]]:
        """Relax the checked cues ``s``: ``(states, steps, converged, trajectory,
        info)``, where ``trajectory`` holds what ``measured`` names, sweep by sweep.
        ``s`` is the model's own copy of the cues (C-contiguous, in its dtype): it may
        be overwritten, or returned as the states.

        Parameters
        ----------
        cues : ndarray, shape (B, n_units)
            Starting states.
        """
        raise NotImplementedError
