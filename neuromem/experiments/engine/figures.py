"""Figure helpers shared by every protocol: axes on demand, saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["axes", "save"]


def axes(ax: Any = None, figsize: tuple[float, float] = (6.4, 4.2)):
    """``ax``, or new axes on a new figure of ``figsize`` when it is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def save(ax: Any, path: str | Path, dpi: int = 110) -> Path:
    """Save the figure of ``ax`` (axes or a figure) to ``path`` and close it."""
    import matplotlib.pyplot as plt

    fig = getattr(ax, "figure", ax)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return Path(path)
