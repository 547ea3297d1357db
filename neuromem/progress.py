"""Long loops: a progress bar once the work turns out to be long, and clean Ctrl-C.

:func:`steps` wraps the iterations of a loop whose length a user chooses (``epochs``,
``max_steps``, ``n_dreams``, ``max_epochs``). It costs a clock read per iteration and
shows nothing for work that ends within :data:`DELAY` seconds; past that, a tqdm bar
on standard error says how far the loop is. Methods that run
such loops are :func:`~neuromem.models.base.transactional`: a ``KeyboardInterrupt``
leaves the model exactly as it was before the call.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["DELAY", "steps"]

#: Seconds a loop runs quietly before its progress bar appears.
DELAY = 2.0


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
    try:
        for i, x in enumerate(it):
            if bar is not None:
                bar.update(1)
            elif time.monotonic() - start > DELAY:
                from tqdm.auto import tqdm

                bar = tqdm(total=total, initial=i, desc=desc, unit=unit, leave=False)
            yield x
    finally:
        if bar is not None:
            bar.close()
