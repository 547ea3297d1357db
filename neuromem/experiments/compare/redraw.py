"""``neuromem plot`` for a compare folder: the figures again, from its tables."""

from __future__ import annotations

from pathlib import Path

from ...errors import ValidationError, described
from ..engine import files_that_fit, read_rows, read_run
from .context import ReportContext
from .figures import FIGURE_SECTIONS, draw_glyphs
from .summary import EVALUATION_SCHEMA, SUMMARY_SCHEMA

__all__ = ["redraw"]


def redraw(folder: str | Path) -> list[Path]:
    """Redraw the figures of a compare folder from its CSV files (``neuromem plot``).

    The tables are read with the engine's codec and their column types: a table with
    other columns, or a row that does not parse (a torn or edited line), is refused.
    The glyph figure needs the recalled letters, which are not kept: it is drawn only
    by :func:`~neuromem.experiments.compare.compare` itself.
    """
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    allowed = "a neuromem compare folder"
    config = read_run(folder)
    if config is None or config.get("format") != "neuromem-compare":
        raise ValidationError(
            "results",
            described(f"{str(folder)!r}, whose run.json is not a compare run's"),
            allowed,
        )
    summary, _ = read_rows(folder / "summary.csv", SUMMARY_SCHEMA)
    evaluations, _ = read_rows(folder / "evaluations.csv", EVALUATION_SCHEMA)
    ctx = ReportContext(folder, config, summary, evaluations)
    with files_that_fit(folder, allowed + " as neuromem compare wrote it"):
        for builder in FIGURE_SECTIONS:
            if builder is not draw_glyphs:
                builder(ctx)
    return ctx.figures
