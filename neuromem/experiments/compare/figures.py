"""The figures of ``neuromem compare``: one report section each, drawn from the tables."""

from __future__ import annotations

import html
import math

import numpy as np

from ...demo import glyph_grid
from ...theory import ANCHORS, capacity_lines
from .. import estimators as est
from .context import ReportContext, SectionBuilder
from .regimes import CUE_NOISE, SPARSE_PANEL, cue_text, search_regime, search_text
from .summary import nanmean

__all__ = [
    "FIGURE_SECTIONS",
    "draw_basins",
    "draw_capacity",
    "draw_cost",
    "draw_curves",
    "draw_glyphs",
    "draw_information",
    "families",
    "measured",
    "model_axis",
    "panel_theory",
    "panels",
    "row_panels",
]


def families(summary) -> list[str]:
    """The panels of the measured rows, in order of first appearance; the sparse
    regime's panel, plugins and anything unnamed come last."""
    found = list(dict.fromkeys(r["family"] for r in summary if not r["status"]))
    last = [SPARSE_PANEL, "plugins", "other"]
    return [f for f in found if f not in last] + [f for f in last if f in found]


def panels(n: int, width: float = 3.6, height: float = 3.0):
    import matplotlib.pyplot as plt

    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(width * cols, height * rows), squeeze=False
    )
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def measured(ctx: ReportContext) -> tuple[list[dict], list[str]]:
    """The measured rows of the summary and their panels."""
    summary = [r for r in ctx.summary if not r["status"]]
    return summary, families(summary)


def row_panels(summary: list[dict], fams: list[str]):
    """One panel per family with one row per model, tall enough for the fullest."""
    tallest = max(sum(r["family"] == f for r in summary) for f in fams)
    return panels(len(fams), 4.2, 0.5 + 0.4 * tallest + 2.4)


def model_axis(ax, labels: list[str]) -> None:
    """One labelled row per model, top down; the legend under the axes."""
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.invert_yaxis()
    ax.legend(fontsize=5.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
    ax.grid(alpha=0.3, axis="x")


def panel_theory(ctx: ReportContext, rows: list[dict]) -> list[str]:
    """Theory anchors of the models in one panel (their tags' ``theory``), in the order
    of :data:`neuromem.theory.ANCHORS`."""
    labels = {r["model"] for r in rows}
    keys = {
        k
        for e in ctx.config.get("models", [])
        if e.get("label") in labels
        for k in e.get("theory", ())
    }
    return [k for k in ANCHORS if k in keys]


def draw_capacity(ctx: ReportContext) -> tuple[str, str] | None:
    summary, fams = measured(ctx)
    if not fams:
        return None
    fig, axes = row_panels(summary, fams)
    cites = set()
    for ax, fam in zip(axes, fams, strict=True):
        rows = [r for r in summary if r["family"] == fam]
        regime = ctx.config["regimes"][rows[0]["patterns"]]
        own = [search_regime(ctx.config, r["model"]) for r in rows]
        for y, r in enumerate(rows):
            for key, mk, off, name in (
                ("alpha_c", "o", 0.12, "completion (10 % corrupted cues)"),
                ("stability_alpha", "s", -0.12, "stability (clean cues)"),
            ):
                v, lo, hi = r[key], r[key + "_low"], r[key + "_high"]
                cens = r["alpha_c_censored" if key == "alpha_c" else "stability_censored"]
                color = "C0" if key == "alpha_c" else "C1"
                ax.errorbar(
                    [v],
                    [y + off],
                    xerr=[[v - lo], [hi - v]],
                    fmt=mk,
                    color=color,
                    mfc=color if key == "alpha_c" else "white",
                    ms=5,
                    capsize=2,
                    label=name if y == 0 else None,
                )
                if cens:
                    ax.annotate(
                        "≥",
                        (v, y + off),
                        xytext=(4, -3),
                        textcoords="offset points",
                        fontsize=8,
                        color=color,
                    )
        lines = _theory_lines(ctx, rows, own)
        for r, o in zip(rows, own, strict=True):
            if o is not None and math.isfinite(r["alpha_c"]):
                theory = "; ".join(
                    f"{label} {ctx.cite(key)}"
                    for label, _, key in _row_lines(ctx, r, o, panel_theory(ctx, [r]))
                )
                ctx.note(
                    f"{r['model']}: α_c = {r['alpha_c']:.3g} [{r['alpha_c_low']:.3g}, "
                    f"{r['alpha_c_high']:.3g}], stability "
                    f"{r['stability_alpha']:.3g} [{r['stability_alpha_low']:.3g}, "
                    f"{r['stability_alpha_high']:.3g}], "
                    + search_text(ctx.config, _entry(ctx, r["model"]))
                    + (f"; theory at these conditions: {theory}" if theory else "")
                    + "."
                )
        top = regime["max_load"]
        if any(o is not None for o in own):  # searched at sizes and loads of their own
            ends = [r[k + "_high"] for r in rows for k in ("alpha_c", "stability_alpha")]
            ends += [x for _, x, _ in lines]
            top = 1.15 * max([v for v in ends if math.isfinite(v)] or [top])
        for (label, x, key), ls in zip(
            lines,
            ["--", "-.", ":", (0, (5, 1, 1, 1))],
            strict=False,
        ):
            if x <= top * 1.02:
                ax.axvline(x, color="grey", ls=ls, lw=1, label=label)
                cites.add(key)
        model_axis(
            ax,
            [
                r["model"] + ("" if o is None else f" (N = {o.n_units})")
                for r, o in zip(rows, own, strict=True)
            ],
        )
        ax.set_xlim(0, top * 1.08)
        if all(o is None for o in own):
            ax.axvline(regime["max_load"], color="k", lw=0.6)
        ax.set_xlabel("critical load α = P / N")
        sizes = sorted({r["n_units"] for r in rows}, reverse=True)
        size = ", ".join(str(n) for n in sizes)
        ax.set_title(f"{fam} ({rows[0]['patterns']}, N = {size})", fontsize=8)
    refs = html.escape(", ".join(ctx.cite(k) for k in sorted(cites)))
    reg = ctx.config["regimes"]
    cap = (
        "<b>Capacity.</b> One panel per family. Filled circles: completion capacity "
        "α<sub>c</sub>, the load P/N at which fewer than half of the patterns are "
        "recalled (overlap ≥ 0.95) from cues with "
        f"{cue_text(reg['bipolar'])} flipped (±1) or {cue_text(reg['sparse'])} moved "
        "(0/1); open squares: the same from uncorrupted "
        "cues (stability). Bars: 95 % intervals over "
        f"{ctx.config['repeats']} repeats of an adaptive search (bracket, then bisect to "
        "one pattern or 2 %). The thin black line is the largest load searched "
        f"(α = {reg['bipolar']['max_load']:g} for ±1, {reg['sparse']['max_load']:g} for 0/1); "
        "a point there marked ≥ never failed. "
        + "".join(f"{html.escape(t)} " for t in search_texts(ctx))
        + "Grey lines: theory, as loads P/N "
        f"({refs or 'none in range'}). The two Willshaw lines (0/1 panel) are the loads "
        "at which a clean cue brings, on average, 1 % of the active units as spurious "
        "units, and as many spurious units as the overlap criterion tolerates (the sparse "
        "overlap forgives a spurious unit far more than a missing one); the second is the "
        "one to compare with the squares. A model far to the right in squares but at 0 in "
        "circles stores by copying its cue: it completes nothing."
    )
    return "Capacity: completion and stability", ctx.figure(fig, "capacity", cap)


def _entry(ctx: ReportContext, label: str) -> dict:
    return next(e for e in ctx.config["models"] if e["label"] == label)


def _theory_lines(ctx: ReportContext, rows: list[dict], own: list) -> list[tuple]:
    """The theory lines of a panel: the loads its models' anchors predict, each at the
    size (and with the parameters and cue) it was measured with; one line per label."""
    found: dict[str, tuple] = {}
    keys = panel_theory(ctx, rows)
    for r, o in zip(rows, own, strict=True):
        for line in _row_lines(ctx, r, o, keys):
            found.setdefault(line[0], line)
    return list(found.values())


def _row_lines(ctx: ReportContext, row: dict, own, keys: list[str]) -> list[tuple]:
    """Theory lines for one row: a row searched in its regime takes every key of its
    panel at the regime's size; one searched at a size of its own (``own``) its own
    keys at that size, with its parameters and cue."""
    regime = ctx.config["regimes"][row["patterns"]]
    threshold = ctx.config.get("threshold", est.THRESHOLD)
    if own is None:
        n, extra = regime["n_units"], {}
    else:
        entry = _entry(ctx, row["model"])
        keys = [k for k in keys if k in entry.get("theory", ())]
        n, extra = own.n_units, {"params": entry.get("resolved"), "cue_units": own.k_cue}
    return [
        line
        for key in keys
        for line in capacity_lines(key, n, regime.get("coding_level"), threshold, **extra)
    ]


def search_texts(ctx: ReportContext) -> list[str]:
    """One sentence per model searched at a size or up to a load of its own (its tags'
    :class:`~neuromem.tags.CapacitySearch`): its N, cue, load range and conditions."""
    out = []
    for e in ctx.config.get("models", []):
        if e.get("search") and e.get("regime"):
            out.append(f"{e['label']}: {search_text(ctx.config, e)}.")
    return out


def draw_curves(ctx: ReportContext) -> tuple[str, str] | None:
    from matplotlib.ticker import NullFormatter

    summary, fams = measured(ctx)
    if not fams:
        return None
    fig, axes = panels(len(fams))
    for ax, fam in zip(axes, fams, strict=True):
        models = [r["model"] for r in summary if r["family"] == fam]
        for i, m in enumerate(models):
            pts = [
                e
                for e in ctx.evaluations
                if e["model"] == m and e["measure"] == "completion" and not e["error"]
            ]
            loads = sorted({e["load"] for e in pts})
            mean = [nanmean([e["recalled"] for e in pts if e["load"] == a]) for a in loads]
            # Open markers, the first drawn the largest: where curves coincide (every
            # model at 1.0 at small loads) each stays visible as a ring around the next
            # instead of the last one drawn hiding the others.
            ax.plot(
                loads,
                mean,
                marker="os^vDP<>*"[i % 9],
                ms=3 + 1.2 * (len(models) - 1 - i),
                mfc="none",
                mew=0.9,
                lw=0.8,
                color=f"C{i % 10}",
                label=m,
            )
        ax.axhline(0.5, color="k", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("load α = P / N (log)")
        ax.set_ylabel("fraction recalled")
        ax.set_title(fam, fontsize=8)
        ax.legend(fontsize=5.5)
        ax.grid(alpha=0.3)
    cap = (
        "<b>The searches.</b> Fraction of patterns recalled (overlap ≥ 0.95) from cues with "
        "10 % corrupted, at every load the adaptive searches evaluated, averaged over the "
        "repeats that evaluated it (so points are means of 1 to "
        f"{ctx.config['repeats']} repeats; the repeats' own estimates are in "
        "evaluations.csv). The dotted line is the criterion 1/2: α<sub>c</sub> is where "
        "a curve crosses it. Markers and colours tell the models apart."
    )
    return "Recall against load", ctx.figure(fig, "recall_curves", cap)


def draw_basins(ctx: ReportContext) -> tuple[str, str] | None:
    summary, fams = measured(ctx)
    if not fams:
        return None
    fig, axes = row_panels(summary, fams)
    names = (
        ("radius_quarter_ac", "at 0.25 α_c", "C0", "o"),
        ("radius_half_ac", "at 0.5 α_c", "C1", "s"),
        ("radius_common", "at the common load", "C2", "^"),
    )
    for ax, fam in zip(axes, fams, strict=True):
        rows = [r for r in summary if r["family"] == fam]
        for y, r in enumerate(rows):
            for j, (key, label, color, mk) in enumerate(names):
                v = r[key]
                if math.isnan(v):
                    continue
                ax.errorbar(
                    [v],
                    [y + 0.15 * (j - 1)],
                    xerr=[[v - r[key + "_low"]], [r[key + "_high"] - v]],
                    fmt=mk,
                    color=color,
                    ms=4,
                    capsize=2,
                    label=label if y == 0 else None,
                )
        reg = ctx.config["regimes"][rows[0]["patterns"]]
        model_axis(ax, [r["model"] for r in rows])
        ax.set_xlim(-0.02, 0.55 if rows[0]["patterns"] == "bipolar" else 1.05)
        unit = "units flipped" if rows[0]["patterns"] == "bipolar" else "active units moved"
        ax.set_xlabel(f"basin radius (fraction of {unit})")
        ax.set_title(f"{fam} (common load α = {reg['common_load']:g})", fontsize=8)
    cap = (
        "<b>Basins of attraction.</b> Basin radius: the largest fraction of a cue's units "
        "corrupted (±1: flipped, at most 0.5; 0/1: active units moved, at most all of them) "
        "with at least 90 % of the patterns recalled, found by bisection to one unit, at "
        "0.25 and 0.5 of each model's own α<sub>c</sub> (rounded to whole patterns, at "
        "least one) and at one common load per regime "
        f"(α = {ctx.config['regimes']['bipolar']['common_load']:g} for ±1, "
        f"{ctx.config['regimes']['sparse']['common_load']:g} for 0/1). Bars: 95 % "
        "intervals over repeats. A radius of 0 means even the uncorrupted cue fails. Where "
        "α<sub>c</sub> is censored (≥), the fractions are of the maximum load."
    )
    return "Basins of attraction", ctx.figure(fig, "basins", cap)


def draw_information(ctx: ReportContext) -> tuple[str, str] | None:
    import matplotlib.pyplot as plt

    rows = [
        r for r in ctx.summary if not r["status"] and not math.isnan(r["bits_per_synapse"])
    ]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9.0, 1.4 + 0.28 * len(rows)))
    fams = families(rows)
    y = 0
    ticks, labels = [], []
    for fi, fam in enumerate(fams):
        for r in [r for r in rows if r["family"] == fam]:
            v = max(r["bits_per_synapse"], 1e-4)
            lo = max(r["bits_per_synapse_low"], 1e-4)
            hi = max(r["bits_per_synapse_high"], v)
            ax.errorbar(
                [v],
                [y],
                xerr=[[v - lo], [hi - v]],
                fmt="o",
                color=f"C{fi}",
                ms=4,
                capsize=2,
            )
            if r.get("bits_per_synapse_censored", r["alpha_c_censored"]):
                ax.annotate(
                    "≥", (v, y), xytext=(4, -3), textcoords="offset points", fontsize=8
                )
            ticks.append(y)
            labels.append(f"{r['model']} ({r['patterns']})")
            y += 1
    info = ANCHORS["information-per-synapse"].value
    anchors = [
        (f"{key}: {x:.2g} bits/synapse", x, ls, ANCHORS[key].cite)
        for (key, x), ls in zip(info.items(), ["--", "-.", ":"], strict=False)
    ]
    for label, x, ls, _ in anchors:
        ax.axvline(x, color="grey", ls=ls, lw=1, label=label)
    ax.set_xscale("log")
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("information capacity (bits per synapse, log)")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.grid(alpha=0.3, axis="x")
    refs = ", ".join(ctx.cite(k) for *_, k in anchors)
    cap = (
        "<b>Information per synapse: one currency across regimes.</b> Mutual information "
        "between the stored and the recalled patterns (per unit, from the joint "
        "distribution of stored and recalled values over all units, times P N), at the "
        "largest load still recalled from 10 %-corrupted cues, divided by the number of "
        "synapses: weights (N(N−1) for the classical network, N² for hetero-associative "
        "nets), weights and biases for the MLP, the stored P × N matrix for dense and "
        "modern Hopfield networks. Bars: 95 % intervals over repeats; ≥: the search "
        f"reached its maximum load. Grey lines: theory anchors in bits per synapse ({refs}); "
        "the Willshaw value is an asymptote that small nets stay far below. A value of 0 "
        "(nothing recalled) is drawn at 1e-4."
    )
    return "Information capacity", ctx.figure(fig, "information", cap)


def draw_glyphs(ctx: ReportContext) -> tuple[str, str] | None:
    grid = ctx.config.get("_glyph_grid")
    if not grid or len(grid) <= 2:
        return None
    g = ctx.config["glyphs"]
    ax = glyph_grid([(label, np.clip(x, -1, 1)) for label, x in grid], g["size"])
    # Two short lines: the grid is only a few letters wide, and a one-line title wider
    # than the figure is cut off at both edges (tight_layout cannot shrink a title).
    ax.set_title(
        f"Glyph letters recalled\nfrom cues with {CUE_NOISE:.0%} of pixels flipped",
        fontsize=9,
    )
    sparse = [r["model"] for r in ctx.summary if r["patterns"] == "sparse"]
    cap = (
        f"<b>Glyphs.</b> The letters {html.escape(g['text'])} ({g['size']} × {g['size']} "
        f"pixels, ±1) stored in each ±1 model; second row: the cues, {CUE_NOISE:.0%} of "
        "each letter's pixels flipped (the same cues for every model); below, what each "
        "model recalled (the column glyph_overlap is its mean overlap). Letters are "
        "strongly correlated (overlaps about 0.5), unlike the random patterns of the "
        "other figures. "
        + (
            "Not shown (0/1 sparse regime, glyphs are dense): "
            + html.escape(", ".join(sparse))
            + "."
            if sparse
            else ""
        )
    )
    return "Glyph letters", ctx.figure(ax, "glyphs", cap)


def draw_cost(ctx: ReportContext) -> tuple[str, str] | None:
    import matplotlib.pyplot as plt

    rows = [r for r in ctx.summary if not r["status"]]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 0.9 + 0.25 * len(rows)))
    y = np.arange(len(rows))
    ax.barh(y, [max(r["cost_s"], 1e-4) for r in rows], color="C0")
    ax.set_yticks(y)
    ax.set_yticklabels([r["model"] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("seconds of this run spent on the model (log)")
    ax.grid(alpha=0.3, axis="x")
    cap = (
        "<b>Cost.</b> Wall-clock seconds spent on each model's searches in this run (all "
        "repeats; store_ms and recall_ms in the table are per call). Timings depend on "
        "the machine and its load; no other number in this report does."
    )
    return "Cost per model", ctx.figure(fig, "cost", cap)


#: The built-in figure sections, in order.
FIGURE_SECTIONS: list[SectionBuilder] = [
    draw_capacity,
    draw_curves,
    draw_basins,
    draw_information,
    draw_glyphs,
    draw_cost,
]
