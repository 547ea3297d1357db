"""The tables of ``neuromem compare``: column definitions, estimates and the summary."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import estimators as est
from .regimes import entry_regime, search_text

__all__ = [
    "EVALUATION_COLUMNS",
    "EVALUATION_SCHEMA",
    "SHOWN",
    "SUMMARY_COLUMNS",
    "SUMMARY_SCHEMA",
    "TIMING_COLUMNS",
    "display",
    "estimate_text",
    "estimates",
    "fmt",
    "nanmean",
    "summary_rows",
    "table_text",
]

#: Every column of ``summary.csv``, with its definition (shown in the report).
SUMMARY_COLUMNS: dict[str, str] = {
    "model": "The model's label: registry name, or name-rule for the classical network "
    "with another storage rule (parameters under Models).",
    "family": "The panel the model is drawn in.",
    "patterns": "The pattern regime it is tested in: 'bipolar' (random ±1) or 'sparse' "
    "(random 0/1 with a fixed number of active units); 'not applicable' otherwise.",
    "status": "Empty when measured; otherwise why the model is not applicable.",
    "n_units": "Number of units N: the regime's, or the size the model's tags give its "
    "searches (a dense or modern network, whose capacity at the regime's size is beyond "
    "any load searched; the table's last lines give those conditions).",
    "synapses": "Synapses (trainable parameters: weights and biases for the MLP; the "
    "stored pattern matrix for dense and modern Hopfield networks) at the critical load, "
    "first repeat.",
    "alpha_c": "Completion capacity: critical load P/N at which fewer than half of the "
    "patterns are recalled (overlap ≥ 0.95) from cues with 10 % of the units (±1) or of "
    "the active units (0/1) corrupted; mean over repeats.",
    "alpha_c_low": "Lower end of the 95 % (Student-t) interval of alpha_c.",
    "alpha_c_high": "Upper end of the 95 % interval of alpha_c.",
    "alpha_c_censored": "True when a search reached the maximum load: alpha_c is a lower "
    "bound (shown '≥').",
    "stability_alpha": "Critical load from uncorrupted cues (the stored patterns "
    "themselves); mean over repeats.",
    "stability_alpha_low": "Lower end of the 95 % interval of stability_alpha.",
    "stability_alpha_high": "Upper end of the 95 % interval of stability_alpha.",
    "stability_censored": "True when a stability search reached the maximum load.",
    "radius_quarter_ac": "Basin radius (largest fraction of cue units corrupted with "
    "≥ 90 % recalled; a fraction of the active units for 0/1 patterns) at 0.25 alpha_c.",
    "radius_quarter_ac_low": "Lower end of its 95 % interval.",
    "radius_quarter_ac_high": "Upper end of its 95 % interval.",
    "radius_half_ac": "Basin radius at 0.5 alpha_c.",
    "radius_half_ac_low": "Lower end of its 95 % interval.",
    "radius_half_ac_high": "Upper end of its 95 % interval.",
    "radius_common": "Basin radius at the regime's common load (see common_load).",
    "radius_common_low": "Lower end of its 95 % interval.",
    "radius_common_high": "Upper end of its 95 % interval.",
    "common_load": "The common load P/N of the regime at which radius_common is measured.",
    "bits_per_synapse": "Information capacity: mutual information (bits) between stored "
    "and recalled patterns at the largest load still recalled, divided by synapses; mean "
    "over repeats.",
    "bits_per_synapse_low": "Lower end of its 95 % interval.",
    "bits_per_synapse_high": "Upper end of its 95 % interval.",
    "bits_per_synapse_censored": "True when bits_per_synapse is a lower bound (shown "
    "'≥'): the completion search reached the maximum load and the synapses do not grow "
    "with the load (for dense and modern networks they do, and perfect recall gives the "
    "same bits per synapse at every load).",
    "glyph_overlap": "Mean overlap of the glyph letters recalled from cues with 10 % of "
    "their pixels flipped (±1 models; the glyph figure).",
    "evaluations": "Stores and recalls the searches made (all repeats).",
    "warnings": "Evaluations whose store warned (e.g. ConvergenceWarning: training or "
    "storage did not reach its goal); the first message is under Notes.",
    "errors": "Evaluations that raised (counted as not recalled; see evaluations.csv).",
    "store_ms": "Mean wall-clock time of one store, in milliseconds.",
    "recall_ms": "Mean wall-clock time of one recall of all cues, in milliseconds.",
    "cost_s": "Wall-clock seconds of all the model's searches in this run.",
    "cpu_s": "CPU seconds of all the model's searches in this run (less sensitive to "
    "the machine's load than cost_s).",
}
#: Wall-clock columns: they differ between runs by nature.
TIMING_COLUMNS = ("store_ms", "recall_ms", "cost_s", "cpu_s")

#: Columns of ``evaluations.csv``.
EVALUATION_COLUMNS = (
    "model",
    "patterns",
    "measure",
    "repeat",
    "n_units",
    "n_patterns",
    "load",
    "corrupted_units",
    "noise",
    "recalled",
    "overlap",
    "mi_bits",
    "synapses",
    "warnings",
    "error",
    "store_ms",
    "recall_ms",
)


_TEXT = ("model", "family", "patterns", "status", "measure", "error")
_INT = ("n_units", "synapses", "evaluations", "warnings", "errors", "repeat")
_INT_EVALUATIONS = (*_INT, "n_patterns", "corrupted_units")


def _kind(column: str, ints: tuple[str, ...]) -> type:
    if column in _TEXT:
        return str
    if column in ints:
        return int
    return bool if column.endswith("censored") else float


#: Column types of ``summary.csv`` and ``evaluations.csv`` (the engine's table codec
#: reads them back with these).
SUMMARY_SCHEMA: dict[str, type] = {c: _kind(c, _INT) for c in SUMMARY_COLUMNS}
EVALUATION_SCHEMA: dict[str, type] = {
    c: _kind(c, _INT_EVALUATIONS) for c in EVALUATION_COLUMNS
}


def nanmean(v) -> float:
    v = [x for x in v if not (isinstance(x, float) and math.isnan(x))]
    return float(np.mean(v)) if v else math.nan


def estimates(config, caps, basins) -> dict[str, dict[str, est.Estimate]]:
    out: dict[str, dict[str, est.Estimate]] = {}
    for i, e in enumerate(config["models"]):
        mine = [c for c in caps if c["index"] == i]
        if not mine:
            continue
        # Intervals are clipped to what each quantity can be: a load up to the largest
        # searched, a radius up to the largest corruption searched.
        reg = entry_regime(config, e)
        top = reg.max_load
        d = {
            "alpha_c": est.interval(
                [c["completion"] for c in mine],
                any(c["completion_censored"] for c in mine),
                high=top,
            ),
            "stability_alpha": est.interval(
                [c["stability"] for c in mine],
                any(c["stability_censored"] for c in mine),
                high=top,
            ),
            "bits_per_synapse": est.interval(
                [c["bits_per_synapse"] for c in mine],
                any(c.get("bits_censored", c["completion_censored"]) for c in mine),
            ),
        }
        b = [x for x in basins if x["index"] == i]
        for j, name in enumerate(("radius_quarter_ac", "radius_half_ac", "radius_common")):
            vals = [x["radii"][j] for x in b]
            d[name] = est.interval(
                [v for v, _ in vals],
                any(c for _, c in vals),
                high=reg.k_max / reg.noise_unit,
            )
        out[e["label"]] = d
    return out


def summary_rows(config, caps, basins, rows, glyphs, cost) -> list[dict[str, Any]]:
    ests = estimates(config, caps, basins)
    out = []
    for i, e in enumerate(config["models"]):
        label = e["label"]
        regime = e["regime"]
        mine = [r for r in rows if r["model"] == label]
        row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS, math.nan)
        syn = next((c["synapses"] for c in caps if c["index"] == i), 0)
        row.update(
            model=label,
            family=e.get("family", "other"),
            patterns=regime or "not applicable",
            status=e["status"],
            n_units=entry_regime(config, e).n_units if regime else 0,
            synapses=syn,
            common_load=config["regimes"][regime]["common_load"] if regime else math.nan,
            glyph_overlap=glyphs.get(label, math.nan),
            evaluations=len(mine),
            warnings=sum(r["warnings"] > 0 for r in mine if r["measure"] != "glyphs"),
            errors=sum(bool(r["error"]) for r in mine),
            store_ms=nanmean([r["store_ms"] for r in mine]),
            recall_ms=nanmean([r["recall_ms"] for r in mine]),
            cost_s=cost.get(label, 0.0),
        )
        for k in ("alpha_c_censored", "stability_censored", "bits_per_synapse_censored"):
            row[k] = False
        for name, e_ in ests.get(label, {}).items():
            row[name] = e_.value
            if name == "stability_alpha":
                row["stability_censored"] = e_.censored
            if name == "alpha_c":
                row["alpha_c_censored"] = e_.censored
            if name == "bits_per_synapse":
                row["bits_per_synapse_censored"] = e_.censored
            for suffix, v in (("_low", e_.low), ("_high", e_.high)):
                if name + suffix in row:
                    row[name + suffix] = v
        out.append(row)
    return out


def fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return "-" if math.isnan(v) else f"{v:.4g}"
    return str(v)


#: Columns of the printed table: estimate with interval as one text.
SHOWN = (
    ("alpha_c", "alpha_c"),
    ("stability_alpha", "stability_alpha"),
    ("radius_quarter_ac", "radius_0.25ac"),
    ("radius_half_ac", "radius_0.5ac"),
    ("radius_common", "radius_common"),
    ("bits_per_synapse", "bits_per_synapse"),
)


def estimate_text(row: dict, name: str) -> str:
    v = row[name]
    if isinstance(v, float) and math.isnan(v):
        return "-"
    censored = row.get(
        {"alpha_c": "alpha_c_censored", "stability_alpha": "stability_censored"}.get(
            name, ""
        ),
        False,
    )
    if name == "bits_per_synapse":
        censored = row.get("bits_per_synapse_censored", row["alpha_c_censored"])
    if name.startswith("radius") and row["patterns"] == "bipolar" and v >= 0.5:
        censored = True
    e = est.Estimate(v, row[name + "_low"], row[name + "_high"], bool(censored))
    return e.text(2)


def display(summary: list[dict]) -> tuple[list[str], list[list[str]]]:
    cols = ["model", "patterns", *[s for _, s in SHOWN], "glyph_overlap", "cpu_s"]
    cells = []
    for r in summary:
        if r["status"]:
            cells.append([r["model"], r["status"]] + [""] * (len(cols) - 2))
            continue
        line = [r["model"], r["patterns"]]
        line += [estimate_text(r, name) for name, _ in SHOWN]
        line += [fmt(r["glyph_overlap"]), f"{r['cpu_s']:.2f}"]
        cells.append(line)
    return cols, cells


def table_text(summary: list[dict], config: dict | None = None) -> str:
    """The summary as aligned text (estimates with their 95 % intervals); with the run's
    ``config``, one line under it per model measured at a size or up to a load of its
    own, with its conditions."""
    cols, cells = display(summary)
    shown = [x for x in cells if x[2] != "" or not x[1].startswith("not applicable")]
    # max() of a list: with every model "not applicable" no row is shown in columns.
    widths = [max([len(c), *(len(x[i]) for x in shown)]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    for x in cells:
        if x[2] == "" and x[1].startswith("not applicable"):
            lines.append(f"{x[0].ljust(widths[0])}  {x[1]}")
            continue
        lines.append("  ".join(v.ljust(w) for v, w in zip(x, widths, strict=True)).rstrip())
    measured = {r["model"] for r in summary if not r["status"]}
    for e in (config or {}).get("models", []):
        if e.get("search") and e["label"] in measured:
            lines.append(f"{e['label']}: {search_text(config, e)}")
    return "\n".join(lines)
