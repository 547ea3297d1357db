"""Long loops: progress once the work turns out to be long, and clean Ctrl-C.

:func:`steps` wraps the iterations of a loop whose length a user chooses (``epochs``,
``max_steps``, ``n_dreams``, ``max_epochs``). It costs a clock read per iteration and
shows nothing for work that ends within :data:`DELAY` seconds. Past that it follows the
command line's convention: on a terminal, a tqdm bar on standard error; off a terminal
(a log, a pipe), one plain line every :data:`INTERVAL` seconds, never carriage-return
frames. One setting switches it off: :func:`set_enabled` (``set_enabled(False)``), or
the environment variable ``NEUROMEM_PROGRESS`` (``0``, ``off``, ``false`` or ``no``;
``1``, ``on``, ``true`` or ``yes`` to show it; any other value is a ValidationError),
which also reaches worker processes. Methods that run such loops are :func:`~neuromem.models.base.transactional`:
a ``KeyboardInterrupt`` leaves the model exactly as it was before the call.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from .errors import ValidationError

__all__ = ["DELAY", "INTERVAL", "disabled", "enabled", "set_enabled", "steps"]

#: Seconds a loop runs quietly before its progress appears.
DELAY = 2.0
#: Seconds between progress lines when standard error is not a terminal.
INTERVAL = 5.0
#: Environment variable that turns progress off ("0", "off", "false", "no") or on.
ENV = "NEUROMEM_PROGRESS"
#: Its accepted values (any case, surrounding spaces ignored); unset or empty is on.
_ENV_VALUES = {
    **dict.fromkeys(("1", "on", "true", "yes"), True),
    **dict.fromkeys(("0", "off", "false", "no"), False),
}
_STATE = {"enabled": True}
#: Per-thread switch of :func:`disabled` (tasks of a threaded executor run side by side).
_LOCAL = threading.local()


def set_enabled(on: bool) -> None:
    """Switch the library's progress output on or off for this process."""
    if not isinstance(on, bool):
        raise ValidationError("on", on, "True or False")
    _STATE["enabled"] = on


def enabled() -> bool:
    """Whether progress is shown (the setting and ``NEUROMEM_PROGRESS``)."""
    if getattr(_LOCAL, "off", 0) or not _STATE["enabled"]:
        return False
    value = os.environ.get(ENV, "").strip().lower()
    if not value:
        return True
    if value not in _ENV_VALUES:
        raise ValidationError(
            ENV,
            os.environ[ENV],
            "one of 1, on, true, yes (show progress) or 0, off, false, no (hide it)",
        )
    return _ENV_VALUES[value]


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """No progress output from this thread inside the block (experiment tasks run this
    way; other threads are not affected)."""
    _LOCAL.off = getattr(_LOCAL, "off", 0) + 1
    try:
        yield
    finally:
        _LOCAL.off -= 1


class _Lines:
    """Plain progress lines for a stream that is not a terminal."""

    def __init__(self, total: int | None, initial: int, desc: str, unit: str):
        self.total, self.n, self.desc, self.unit = total, initial, desc, unit
        self.last = -float("inf")
        self.update(0)

    def update(self, k: int) -> None:
        self.n += k
        now = time.monotonic()
        if now - self.last >= INTERVAL:
            self.last = now
            of = f"/{self.total}" if self.total is not None else ""
            print(f"{self.desc}: {self.n}{of} {self.unit}", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


def _bar(total: int | None, initial: int, desc: str, unit: str):
    isatty = getattr(sys.stderr, "isatty", None)
    if isatty is not None and isatty():
        from tqdm.auto import tqdm

        return tqdm(total=total, initial=initial, desc=desc, unit=unit, leave=False)
    return _Lines(total, initial, desc, unit)


def steps(iterations: int | Iterable[Any], desc: str, *, unit: str = "it") -> Iterator[Any]:
    """Iterate like ``range(iterations)`` (or over ``iterations``), with late progress.

    Parameters
    ----------
    iterations : int or sized iterable
        A count (``range(iterations)``) or the iterable itself.
    desc : str
        What is counted (``"epochs"``), shown on the bar.
    unit : str
        Unit of one iteration.
    """
    it = range(iterations) if isinstance(iterations, int) else iterations
    try:
        total = len(it)  # type: ignore[arg-type]
    except TypeError:
        total = None
    start = time.monotonic()
    bar = None
    shown = enabled()
    try:
        for i, x in enumerate(it):
            if bar is not None:
                bar.update(1)
            elif shown and time.monotonic() - start > DELAY:
                bar = _bar(total, i, desc, unit)
            yield x
    finally:
        if bar is not None:
            bar.close()
