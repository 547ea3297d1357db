"""Studies: the built-in protocols ``sequence`` and ``consolidation``, and the helpers
that turn their folders into report sections.

They run on the experiment engine like every protocol (``neuromem run sequence``
takes ``--jobs``, ``--scheduler``, ``--resume``, ``--force``), through
:func:`neuromem.experiments.run`, or directly::

    from neuromem.experiments.studies import sequence
    sequence(quick=True).run("results/sequence")

A run writes into its folder ``run.json`` (``"format": "neuromem-study"``, the
configuration, the root seed, the versions), ``results.csv`` (the main table), one CSV
per further table, ``summary.json`` (the headline numbers) and the figures;
``neuromem plot`` redraws the figures from the folder. :func:`report_section` turns a
folder into an HTML section for the ``compare`` report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from .assemblies import Assemblies
from .consolidation_study import Consolidation
from .engine import Executor, draw, protocol_of, protocols, read_run
from .engine import run as run_protocol
from .sequence_study import Sequence
from .study_base import StudyProtocol, read_table

__all__ = [
    "STUDIES",
    "Study",
    "build_section",
    "consolidation",
    "draw_study",
    "read_table",
    "report_section",
    "sequence",
]

FORMAT = "neuromem-study"


def Study(
    name: str,
    params: Mapping[str, Any] | None = None,
    seed: Any = 0,
    description: str | None = None,
) -> StudyProtocol:
    """The study protocol ``name`` (``"sequence"`` or ``"consolidation"``) with
    ``params``; kept for code written before studies were protocols."""
    if not isinstance(name, str) or name not in STUDIES:
        raise ValidationError("name", name, "one of " + ", ".join(map(repr, STUDIES)))
    return protocols.get(name)(params, seed, description)


def sequence(
    quick: bool = False, seed: int = 0, notes: list[str] | None = None
) -> Sequence:
    """The ``sequence`` study: capacity crossover, dense growth, a delayed trajectory.

    Full: sizes N = 200 and 800, loads 0.15 to 0.35, 10 sequences each; the longest
    cycle retrieved for N = 16 to 128 (Hebbian, dense polynomial n = 2) and 16 to 32
    (dense n = 3). ``quick``: a few seconds.
    """
    return Sequence.preset(quick=quick, seed=seed, notes=notes)


def consolidation(
    quick: bool = False, seed: int = 0, notes: list[str] | None = None
) -> Consolidation:
    """The ``consolidation`` study: four conditions and a hippocampal load sweep.

    Full: 64 + 64-unit episodes, 8 associations per set, an MLP with 16 hidden units
    (Adam, step 0.03, full batch), 30 epochs on A then 50 in the second phase, 10
    repeats; hippocampal loads 0.125 to 0.5. ``quick``: a few seconds.
    """
    return Consolidation.preset(quick=quick, seed=seed, notes=notes)


#: The studies by name (each is also in ``builtin.BUILTINS``).
STUDIES: dict[str, Callable[..., StudyProtocol]] = {
    "sequence": sequence,
    "consolidation": consolidation,
    "assemblies": Assemblies.preset,
}


def draw_study(folder: str | Path) -> list[Path]:
    """Redraw the figures of a study's folder; returns the PNG paths written."""
    meta = read_run(folder)
    if meta is None or meta.get("format") != FORMAT:
        raise ValidationError("results", str(folder), "a folder written by a study")
    return draw(folder)


def build_section(
    name: str,
    out: str | Path,
    *,
    quick: bool = False,
    seed: int = 0,
    force: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
) -> tuple[str, list[Path]]:
    """Run the study ``name`` into ``out`` (unless a complete run of the same
    configuration is there) and return its report section: ``(html, figure paths)``.

    This is the entry point for adding ``sequence`` and ``consolidation`` to a report
    such as ``neuromem compare``'s, e.g. ``build_section("sequence", out / "sequence",
    quick=quick, seed=seed)``. ``jobs`` and ``scheduler`` are those of
    :func:`neuromem.experiments.engine.run`; ``executor``, an entered
    :class:`~neuromem.experiments.engine.Executor` to run on instead (a report's
    own run's workers).
    """
    if not isinstance(name, str) or name not in STUDIES:
        raise ValidationError("name", name, "one of " + ", ".join(map(repr, STUDIES)))
    study = STUDIES[name](quick=quick, seed=seed)
    out = Path(out)
    meta = read_run(out)
    if not (meta and meta.get("complete") and meta.get("experiment") == study.to_dict()):
        # The report's own sub-folder: an earlier run of this study (another design,
        # or one written by an older neuromem) is replaced, anything else refused.
        exp = (meta or {}).get("experiment")
        mine = meta is not None and meta.get("format") == FORMAT and isinstance(exp, dict)
        force = force or (mine and exp.get("name") == name)
        run_protocol(
            study,
            out,
            force=force,
            progress=False,
            jobs=jobs,
            scheduler=scheduler,
            executor=executor,
        )
    return report_section(out)


def report_section(folder: str | Path) -> tuple[str, list[Path]]:
    """An HTML section (``<section>`` with a heading, the headline numbers and the
    figures embedded as PNG data) for a study's folder, and the figure paths.

    Draws the figures if they are missing::

        study = sequence(quick=True); study.run(out / "sequence")
        html_text, figures = report_section(out / "sequence")
    """
    return protocol_of(folder).report(folder)
