"""The prose of the ``neuromem compare`` report: findings, and the study sections."""

from __future__ import annotations

import html
import math

from ...theory import ANCHORS
from ..studies import build_section
from .context import ReportContext, SectionBuilder
from .entries import left_out_text

__all__ = ["STUDY_FOLDERS", "STUDY_SECTIONS", "STUDY_THEORY", "notes", "study_section"]

#: Theory anchors of each study section (its captions cite their papers as "(Author
#: Year)"; the section cites them so that they are under References).
STUDY_THEORY: dict[str, tuple[str, ...]] = {
    "sequence": ("sequence", "dense-sequence"),
    "assemblies": ("cell-assemblies", "pair-stdp", "triplet-stdp"),
}


def study_section(name: str, title: str, full: bool) -> SectionBuilder:
    """A report section that runs the study ``name`` (see ``studies.py``) beside the
    comparison; ``full`` runs its whole design unless the comparison is ``--quick``."""

    def build(ctx: ReportContext) -> tuple[str, str]:
        quick = bool(ctx.config.get("quick")) or not full
        text, figures = build_section(
            name,
            ctx.out / name,
            quick=quick,
            seed=int(ctx.config.get("seed", 0)),
            executor=ctx.executor,
        )
        ctx.figures.extend(figures)
        scale = "its quick design" if quick else "its full design"
        refs = [html.escape(ctx.cite(ANCHORS[k].cite)) for k in STUDY_THEORY.get(name, ())]
        how = (
            f"<p>Run here at {scale}; <code>neuromem run {name}</code> runs the whole "
            f"study into a folder of its own. Its tables are in <code>{name}/</code> "
            "beside this report."
            + (f" Papers its captions cite: {', '.join(refs)}." if refs else "")
            + "</p>"
        )
        return title, how + text

    build.__name__ = f"_{name}_section"
    return build


#: The brain-memory phenomena that join the families: the sequence study at its quick
#: design (its full design takes minutes), the consolidation study in full (seconds),
#: the spiking assemblies at their quick design.
_STUDIES = (
    ("sequence", "Sequence memory", False),
    ("consolidation", "Systems consolidation", True),
    ("assemblies", "Spiking cell assemblies", False),
)
STUDY_SECTIONS: list[SectionBuilder] = [study_section(*s) for s in _STUDIES]
#: The sub-folders of the report folder that the study sections run into.
STUDY_FOLDERS: tuple[str, ...] = tuple(name for name, _, _ in _STUDIES)


def notes(ctx: ReportContext) -> None:
    """Findings computed from the results."""
    s = ctx.summary
    ok = [r for r in s if not r["status"]]
    left = left_out_text(ctx.config.get("left_out", ()))
    if left:
        ctx.note(left)
    for r in s:
        if r["status"]:
            ctx.note(f"{r['model']}: {r['status']}.")
    theory = {e["label"]: e.get("theory", ()) for e in ctx.config.get("models", [])}
    for r in ok:
        if math.isnan(r["alpha_c"]):
            continue
        for key in theory.get(r["model"], ()):
            value = ANCHORS[key].value.get("alpha_c") if key in ANCHORS else None
            if value is None:
                continue
            inside = r["alpha_c_low"] <= value <= r["alpha_c_high"]
            ctx.note(
                f"{r['model']} (N = {r['n_units']}): α_c = {r['alpha_c']:.3f} "
                f"[{r['alpha_c_low']:.3f}, {r['alpha_c_high']:.3f}] from 10 % flipped "
                f"cues; the N → ∞ value {value:g} "
                + ctx.cite(ANCHORS[key].cite)
                + " is "
                + ("inside" if inside else "outside")
                + " the interval (finite N and noisy cues shift it)."
            )
    cens = [r["model"] for r in ok if r["alpha_c_censored"]]
    if cens:
        ctx.note(
            "Completion capacity at or beyond the largest load searched (reported ≥): "
            + ", ".join(cens)
            + "."
        )
    copy = [
        r["model"]
        for r in ok
        if r["stability_alpha"] >= 2 * max(r["alpha_c"], 1e-9)
        and r["stability_alpha"] > 0
        and r["alpha_c"] < 0.5 * r["stability_alpha"]
    ]
    if copy:
        ctx.note(
            "Stable from clean cues far beyond their completion capacity (stability ≥ 2 α_c; "
            "they keep what they are given more than they complete it): "
            + ", ".join(copy)
            + "."
        )
    zero = [r["model"] for r in ok if r["alpha_c"] == 0]
    if zero:
        ctx.note(
            "No completion at all (not even one pattern from 10 % corrupted cues): "
            + ", ".join(zero)
            + "."
        )
    # Models whose every per-repeat estimate agrees.
    seen: dict[tuple, str] = {}
    for r in ok:
        keys = ("alpha_c", "stability_alpha", "radius_quarter_ac", "radius_half_ac")
        key = (*(round(r[k], 12) for k in keys), r["patterns"])
        if key in seen:
            ctx.note(
                f"{r['model']} gives the same estimates as {seen[key]} "
                "(same storage and dynamics at these parameters)."
            )
        else:
            seen[key] = r["model"]
    measured = [r for r in ok if not math.isnan(r["bits_per_synapse"])]
    if measured:
        top = max(r["bits_per_synapse"] for r in measured)
        # Every model at the top is named (ties are common: 1 bit per synapse for each
        # network that keeps its patterns as synapses), each with what its value is.
        best = [r for r in measured if r["bits_per_synapse"] >= top - 5e-4]
        bound = [r["model"] for r in best if r.get("bits_per_synapse_censored")]
        grows = [
            r["model"]
            for r in best
            if r["alpha_c_censored"] and not r.get("bits_per_synapse_censored")
        ]
        plain = [r["model"] for r in best if not r["alpha_c_censored"]]
        kinds = plain[:]
        if bound:
            kinds.append(", ".join(bound) + " (a lower bound: capacity beyond the search)")
        if grows:
            kinds.append(
                ", ".join(grows)
                + " (at the largest load searched; their synapses are the stored "
                "pattern units themselves, so any load recalled without error gives "
                "the same)"
            )
        gardner = ANCHORS["gardner"]
        ctx.note(
            f"Most information per synapse, {top:.3g} bits per synapse: "
            + ", ".join(kinds)
            + f"; the Gardner bound is {gardner.value['bits_per_synapse']:g} "
            + ctx.cite(gardner.cite)
            + "."
        )
    warn = [f"{r['model']} ({r['warnings']})" for r in ok if r["warnings"]]
    if warn:
        ctx.note(
            "Evaluations whose store warned (training or storage did not reach its "
            "goal): " + ", ".join(warn) + "."
        )
    errs = [f"{r['model']} ({r['errors']})" for r in ok if r["errors"]]
    if errs:
        ctx.note(
            "Evaluations that raised (counted as not recalled; messages in "
            "evaluations.csv): " + ", ".join(errs) + "."
        )
