"""What a model or a learning rule is, declared in one structure.

Experiments, the comparison and the conformance kit read these tags; they never test a
model's or a rule's name. The model is scikit-learn's ``__sklearn_tags__``: a class
declares its tags by overriding ``__neuromem_tags__`` (an instance method, because some
tags follow the parameters, e.g. a Hopfield network with ``units="binary"`` works in the
sparse regime), starting from the base class's tags and replacing what differs::

    def __neuromem_tags__(self) -> ModelTags:
        return dataclasses.replace(super().__neuromem_tags__(), family="my family")

:func:`get_tags` is the one way to read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import ValidationError

__all__ = ["ModelTags", "RuleTags", "get_tags"]

#: Pattern encodings: +/-1 ("bipolar"), 0/1 ("binary"), real-valued ("real").
ENCODINGS = ("bipolar", "binary", "real")
#: Pattern regimes a comparison tests a model in: dense +/-1 patterns, or sparse 0/1.
REGIMES = ("bipolar", "sparse")


@dataclass(frozen=True)
class ModelTags:
    """Capabilities of a memory model.

    Attributes
    ----------
    family : str
        The family it belongs to, as reports group it ("classical Hopfield", ...).
    encodings : tuple of str
        Pattern encodings ``store`` accepts (see ``ENCODINGS``).
    regime : str
        The pattern regime it is compared in: ``"bipolar"`` or ``"sparse"``.
    auto_associative : bool
        ``store(X)`` then ``recall(cues)`` completes patterns.
    hetero_associative : bool
        ``store(keys, values)`` is supported.
    sequence : bool
        ``recall`` follows a trajectory through stored transitions.
    energy : bool
        An energy is defined (``energy(states)``, ``record="energies"``).
    stochastic_recall : bool
        ``recall`` draws from the model's random stream.
    theory : tuple of str
        Keys of :data:`neuromem.theory.ANCHORS` that give its published results.
    variants : tuple of (str, dict)
        Extra labelled parameter sets that a comparison runs as rows of their own,
        e.g. ``("willshaw-adaptive", {"threshold": "adaptive"})``.
    per_rule : bool
        Its ``rule`` parameter takes any storage rule, and a comparison runs one row
        per registered rule whose :class:`RuleTags` fit it (``"hopfield-storkey"``...).
    """

    family: str = "other"
    encodings: tuple[str, ...] = ("bipolar",)
    regime: str = "bipolar"
    auto_associative: bool = True
    hetero_associative: bool = False
    sequence: bool = False
    energy: bool = False
    stochastic_recall: bool = False
    theory: tuple[str, ...] = ()
    variants: tuple[tuple[str, dict[str, Any]], ...] = field(default=())
    per_rule: bool = False


@dataclass(frozen=True)
class RuleTags:
    """Capabilities of a learning rule.

    Attributes
    ----------
    encodings : tuple of str
        Activity encodings the rule is meant for.
    needs_signal : bool
        ``delta`` needs a third factor (an error, a modulator): it cannot store
        patterns on its own.
    temporal : bool
        It learns transitions between consecutive rows (``pre`` at t, ``post`` at
        t + 1), so it needs at least two rows at once and makes a sequence memory.
    symmetric : bool
        It keeps a recurrent weight matrix symmetric, so asynchronous dynamics never
        raise the energy.
    incremental : bool
        A second ``store`` adds to what is there (rather than recomputing from all).
    theory : tuple of str
        Keys of :data:`neuromem.theory.ANCHORS` for its published results.
    """

    encodings: tuple[str, ...] = ("bipolar",)
    needs_signal: bool = False
    temporal: bool = False
    symmetric: bool = True
    incremental: bool = True
    theory: tuple[str, ...] = ()


def get_tags(obj: Any) -> ModelTags | RuleTags:
    """Return the tags of a model or rule (an instance, or a class built with defaults).

    Parameters
    ----------
    obj : Memory or LearningRule, instance or class

    Returns
    -------
    ModelTags or RuleTags
    """
    if isinstance(obj, type):
        obj = obj()
    tags = getattr(obj, "__neuromem_tags__", None)
    if tags is None:
        raise ValidationError("obj", obj, "a neuromem Memory or LearningRule")
    return tags()
