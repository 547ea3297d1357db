"""Early memory checks: refuse, before any allocation, what cannot fit in memory.

A model or a sweep estimates the bytes it will need; :func:`check_memory` compares them
with the memory available (read once per process from ``/proc/meminfo`` or
``os.sysconf``) and raises :class:`~neuromem.ValidationError` naming the parameter, the
bytes needed and the bytes available. The limit can be set explicitly with the
environment variable ``NEUROMEM_MEMORY_LIMIT`` (bytes; ``0`` turns the check off) or,
for one block of code, with :func:`memory_limit`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from .errors import ValidationError

__all__ = ["available_memory", "check_memory", "format_bytes", "memory_limit"]

_AVAILABLE: list[int | None] = []  # read once, lazily
_OVERRIDE: list[int | None] = []


def _read_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None  # unknown: no check


def available_memory() -> int | None:
    """Bytes of memory the checks allow (None: unknown, nothing is refused).

    ``NEUROMEM_MEMORY_LIMIT`` (bytes) wins over the machine's available memory, which
    is read once per process.
    """
    if _OVERRIDE:
        return _OVERRIDE[-1]
    env = os.environ.get("NEUROMEM_MEMORY_LIMIT")
    if env:
        with contextlib.suppress(ValueError):
            value = int(float(env))
            return value if value > 0 else None
    if not _AVAILABLE:
        _AVAILABLE.append(_read_available())
    return _AVAILABLE[0]


@contextlib.contextmanager
def memory_limit(nbytes: int | None) -> Iterator[None]:
    """Use ``nbytes`` as the available memory inside the block (None: no check)."""
    _OVERRIDE.append(None if nbytes is None else int(nbytes))
    try:
        yield
    finally:
        _OVERRIDE.pop()


def format_bytes(n: float) -> str:
    """``1.5 GiB`` style."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def check_memory(nbytes: float, param: str, given: Any, what: str = "") -> None:
    """Raise :class:`ValidationError` if ``nbytes`` exceed the memory available.

    Parameters
    ----------
    nbytes : float
        Estimated bytes needed.
    param, given : str, object
        The parameter responsible and its value, for the message.
    what : str
        What needs the memory (``"the weight matrix"``), for the message.
    """
    limit = available_memory()
    if limit is None or nbytes <= limit:
        return
    need = (
        f"{what} needs about {format_bytes(nbytes)}"
        if what
        else (f"about {format_bytes(nbytes)} needed")
    )
    raise ValidationError(
        param,
        given,
        f"a value that fits in memory ({need}; {format_bytes(limit)} available)",
    )
