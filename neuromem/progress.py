"""Long loops: a progress bar once the work turns out to be long, and clean Ctrl-C.

:func:`steps` wraps the iterations of a loop whose length a user chooses (``epochs``,
``max_steps``, ``n_dreams``, ``max_epochs``). It costs a clock read per iteration and
shows nothing for work that ends within :data:`DELAY` seconds; past that, a tqdm bar
on standard error says how far the loop is (never while the environment variable
``NEUROMEM_PROGRESS`` is ``"0"``). Methods that run
such loops are :func:`~neuromem.models.base.transactional`: a ``KeyboardInterrupt``
leaves the model exactly as it was before the call.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["DELAY", "steps"]

#: Seconds a loop runs quietly before its progress bar appears.
DELAY = 2.0
#: Environment variable that turns the bars off when set to "0" (``neuromem compare
#: --quiet`` or output to a file sets it: an environment variable also reaches its
#: worker processes, which a module flag would not).
ENV = "NEUROMEM_PROGRESS"


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
    shown = os.environ.get(ENV, "1") != "0"
    try:
        for i, x in enumerate(it):
            if bar is not None:
                bar.update(1)
            elif shown and time.monotonic() - start > DELAY:
                from tqdm.auto import tqdm

                bar = tqdm(total=total, initial=i, desc=desc, unit=unit, leave=False)
            yield x
    finally:
        if bar is not None:
            bar.close()
