"""What a report section of ``neuromem compare`` receives, and how sections are added.

:func:`register_section` adds a section builder: a function taking the
:class:`ReportContext` and returning ``(title, html)`` (or None to add nothing). It may
draw figures with :meth:`ReportContext.figure` (saved beside the report and captioned),
cite papers with :meth:`ReportContext.cite` (listed under References) and add findings
with :meth:`ReportContext.note`. Sections appear in registration order after the
built-in ones.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import ValidationError
from ...theory import REFERENCES
from ..plots import save_figure

__all__ = ["SECTIONS", "ReportContext", "SectionBuilder", "register_section"]


@dataclass
class ReportContext:
    """What a report section builder receives (see :func:`register_section`).

    Attributes
    ----------
    out : Path
        The output folder (figures are written there).
    config : dict
        The run's configuration (``seed``, ``quick``, ``repeats``, ``regimes``,
        ``models``).
    summary : list of dict
        One row per model (``SUMMARY_COLUMNS``).
    evaluations : list of dict
        Every store/recall of the searches (columns of ``evaluations.csv``).
    figures : list of Path
        Figures written so far.
    notes : list of str
        Findings, shown under Notes.
    executor : Executor, optional
        The run's executor (:class:`neuromem.experiments.engine.Executor`, entered): a
        section that runs experiments of its own runs them there, on the run's workers.
    """

    out: Path
    config: dict[str, Any]
    summary: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    extra_references: dict[str, tuple[str, str]] = field(default_factory=dict)
    executor: Any = None

    def cite(self, key: str, reference: tuple[str, str] | None = None) -> str:
        """``"[Author Year]"`` for a paper of :data:`neuromem.theory.REFERENCES` (or a
        new one given as ``(short form, full reference)``), listed under References."""
        if reference is not None:
            self.extra_references[key] = reference
        refs = {**REFERENCES, **self.extra_references}
        if key not in refs:
            raise ValidationError("key", key, "a key of REFERENCES or a new reference")
        if key not in self.cited:
            self.cited.append(key)
        return f"[{refs[key][0]}]"

    def note(self, text: str) -> None:
        """Add a finding to the Notes section."""
        self.notes.append(text)

    def figure(self, fig_or_ax, name: str, caption: str) -> str:
        """Save a figure as ``name``.png beside the report; returns captioned HTML."""
        path = save_figure(fig_or_ax, self.out / f"{name}.png")
        self.figures.append(path)
        data = base64.b64encode(path.read_bytes()).decode()
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(name)}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )


SectionBuilder = Callable[[ReportContext], "tuple[str, str] | None"]
#: Report sections added after the built-in ones, in order (see :func:`register_section`).
SECTIONS: list[SectionBuilder] = []


def register_section(builder: SectionBuilder) -> SectionBuilder:
    """Add a section to every ``neuromem compare`` report (usable as a decorator).

    ``builder(ctx)`` gets the :class:`ReportContext` and returns ``(title, html)``, or
    None to add nothing. Registering the same function twice adds it once.
    """
    if builder not in SECTIONS:
        SECTIONS.append(builder)
    return builder
