"""``neuromem compare``: what each registered model can really do, measured the same way.

For every registered model (built-ins and plugins; a model tagged ``per_rule`` once per
registered storage rule that fits it, and each tagged variant) the comparison measures,
in the model's own regime (random +/-1 patterns, or sparse 0/1 patterns for 0/1
networks, as its tags say):

- **completion capacity**: the critical load ``alpha_c = P/N`` at which fewer than half
  of the stored patterns are recalled (overlap >= 0.95) from cues with 10 % of their
  units corrupted, found by an adaptive search (bracket, then bisect) in every repeat,
  with a 95 % interval over repeats; a search that reaches the stated maximum load is
  reported "≥ maximum";
- **stability**: the same search from uncorrupted cues (a network that copies its cue
  is "stable" at every load but completes nothing);
- **basin radius**: the largest fraction of corrupted cue units with >= 90 % recalled,
  at 0.25 and 0.5 of the model's own ``alpha_c`` and at one common load per regime;
- **information per synapse**: the mutual information between stored and recalled
  patterns at the critical load, in bits per synapse (per trainable parameter);
- glyph letters recalled from 10 %-flipped cues, and the cost of each model.

Candidates that the comparison cannot measure meaningfully are left out and named in
one line: a model that is not auto-associative (a sequence memory), and a storage rule
that needs a third factor or learns transitions. Theory values come from
:mod:`neuromem.theory`.

Every number is a function of the root seed: nothing depends on the wall clock, the
machine's load or the executor. All estimators live in
:mod:`neuromem.experiments.estimators`. The output folder receives ``summary.csv``,
``evaluations.csv`` (every store/recall the searches made), ``run.json`` (the
configuration and every model's resolved parameters), PNG figures and a self-contained
``report.html``.

The modules: :mod:`.regimes` (pattern regimes), :mod:`.entries` (which models, from
their tags), :mod:`.probe` (the measurement tasks), :mod:`.summary` (columns, estimates,
the table), :mod:`.context` (report sections, and how to add one with
:func:`register_section`), :mod:`.figures`, :mod:`.findings` (notes and study sections),
:mod:`.report` (HTML), :mod:`.redraw` (``neuromem plot``), :mod:`.protocol`
(:class:`Compare`, the protocol ``neuromem run compare`` runs on the engine, in two
stages: capacity searches, then basin searches at loads from the measured capacities;
so it has ``--resume``, processes and Dask, the lock and ``--force``) and
:mod:`.command` (:func:`compare`, the same run as ``neuromem compare``).
"""

from ...theory import REFERENCES
from .command import compare
from .context import SECTIONS, ReportContext, register_section
from .entries import compare_config, model_entries
from .protocol import Compare
from .redraw import redraw
from .regimes import BASIN_FRACTIONS, CUE_NOISE
from .report import BUILTIN_SECTIONS, resolved_params
from .summary import EVALUATION_COLUMNS, SUMMARY_COLUMNS, TIMING_COLUMNS, table_text

__all__ = [
    "BASIN_FRACTIONS",
    "BUILTIN_SECTIONS",
    "CUE_NOISE",
    "EVALUATION_COLUMNS",
    "REFERENCES",
    "SECTIONS",
    "SUMMARY_COLUMNS",
    "TIMING_COLUMNS",
    "Compare",
    "ReportContext",
    "compare",
    "compare_config",
    "model_entries",
    "redraw",
    "register_section",
    "resolved_params",
    "table_text",
]
