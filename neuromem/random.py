"""Seeding: every stochastic call takes ``seed``; nothing touches ``np.random``'s state.

``seed`` may be an ``int``, a :class:`numpy.random.Generator`, a
:class:`numpy.random.SeedSequence` or ``None`` (fresh entropy). Independent streams for
the parts of one computation come from :meth:`numpy.random.SeedSequence.spawn`, so that
seeding or drawing from one part never shifts another.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import ValidationError

__all__ = ["SeedLike", "as_generator", "check_seed", "derive_seed", "spawn"]

SeedLike = int | np.random.Generator | np.random.SeedSequence | None

_ALLOWED = "an int >= 0, a numpy.random.Generator, a numpy.random.SeedSequence or None"


def _seed_sequence(seed: SeedLike, name: str = "seed") -> np.random.SeedSequence:
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        # Draw the child's entropy from the generator: reproducible given its state.
        return np.random.SeedSequence(seed.integers(0, 2**63, size=4).tolist())
    # numpy counts a timedelta64 as an integer, but int() refuses it.
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool | np.timedelta64):
        if seed < 0:
            raise ValidationError(name, seed, _ALLOWED)
        return np.random.SeedSequence(int(seed))
    raise ValidationError(name, seed, _ALLOWED)


def check_seed(seed: object, name: str = "seed") -> SeedLike:
    """Check the type of ``seed`` without drawing from it; returns it unchanged."""
    if isinstance(seed, np.random.Generator):
        return seed
    _seed_sequence(seed, name)
    return seed


def as_generator(seed: SeedLike, name: str = "seed") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed``.

    A ``Generator`` is returned as is (the caller shares its stream); anything else
    starts a new one.

    Parameters
    ----------
    seed : int, Generator, SeedSequence or None
        The seed.
    name : str
        Parameter name used in the error message.

    Raises
    ------
    ValidationError
        If ``seed`` is of another type, a bool or a negative integer.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.Generator(np.random.PCG64(_seed_sequence(seed, name)))


def spawn(seed: SeedLike, n: int, name: str = "seed") -> list[np.random.Generator]:
    """Return ``n`` independent generators derived from ``seed``.

    The i-th stream depends only on ``seed`` and ``i``: adding draws to one stream
    never changes another.
    """
    children = _seed_sequence(seed, name).spawn(n)
    return [np.random.Generator(np.random.PCG64(c)) for c in children]


def derive_seed(root: int, *coordinates: object) -> int:
    """A 63-bit seed determined by a root seed and hashable coordinates.

    Used to give each trial of a sweep its own stream independent of the order in
    which trials run. The hash is computed from ``repr`` of the coordinates with a
    stable digest (not Python's salted ``hash``), so it is the same in every process.
    """
    import hashlib

    text = repr((int(root), *coordinates)).encode()
    digest = hashlib.sha256(text).digest()
    words = np.frombuffer(digest, dtype=np.uint32).tolist()
    ss = np.random.SeedSequence(words)
    return int(ss.generate_state(2, dtype=np.uint64)[0] >> np.uint64(1))
