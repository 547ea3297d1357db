"""``neuromem plot`` for a compare folder: the figures again, from its tables."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ...errors import ValidationError, described
from ..runner import files_that_fit
from .context import ReportContext
from .figures import FIGURE_SECTIONS, draw_glyphs
from .summary import EVALUATION_COLUMNS, SUMMARY_COLUMNS

__all__ = ["redraw"]


def _parse(value: str) -> Any:
    if value in ("True", "False"):
        return value == "True"
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def redraw(folder: str | Path) -> list[Path]:
    """Redraw the figures of a compare folder from its CSV files (``neuromem plot``).

    The glyph figure needs the recalled letters, which are not kept: it is drawn only
    by :func:`compare` itself.
    """
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    allowed = "a neuromem compare folder"
    try:
        config = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        tables = []
        for name, columns in (
            ("summary.csv", list(SUMMARY_COLUMNS)),
            ("evaluations.csv", list(EVALUATION_COLUMNS)),
        ):
            with open(folder / name, encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                # Checked, never skipped: a table with other columns, or a row with
                # too many or too few fields (a torn or edited line), is refused.
                if reader.fieldnames != columns:
                    raise ValidationError(
                        "results",
                        described(f"{str(folder / name)!r} with other columns"),
                        f"{allowed} (columns {', '.join(columns)})",
                    )
                rows = []
                for r in reader:
                    if None in r or None in r.values():
                        raise ValidationError(
                            "results",
                            described(
                                f"{str(folder / name)!r} with a row of the wrong "
                                f"length (line {reader.line_num})"
                            ),
                            allowed,
                        )
                    rows.append({k: _parse(v) for k, v in r.items()})
                tables.append(rows)
    except (OSError, csv.Error, RecursionError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise
        # ValueError: bytes that are not UTF-8, or bad JSON.
        raise ValidationError(
            "results", described(f"{str(folder)!r} ({exc})"), allowed
        ) from None
    if not isinstance(config, dict):
        raise ValidationError(
            "results", described(f"{str(folder)!r}, whose run.json is no table"), allowed
        )
    for r in tables[0]:
        r["status"] = r["status"] if isinstance(r["status"], str) else ""
    for r in tables[1]:
        r["error"] = r["error"] if isinstance(r["error"], str) else ""
    ctx = ReportContext(folder, config, tables[0], tables[1])
    with files_that_fit(folder, allowed + " as neuromem compare wrote it"):
        for builder in FIGURE_SECTIONS:
            if builder is not draw_glyphs:
                builder(ctx)
    return ctx.figures
