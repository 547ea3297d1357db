"""The HTML report of ``neuromem compare`` and the parameters it records."""

from __future__ import annotations

import html
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ... import patterns
from ...io import atomic_write
from ...theory import REFERENCES
from ..runner import versions
from ..spec import ModelSpec, build_model
from ..trial import model_encoding, store_patterns, to_model
from .context import SECTIONS, ReportContext, SectionBuilder
from .entries import left_out_text, model_tags
from .figures import FIGURE_SECTIONS
from .findings import STUDY_SECTIONS, notes
from .summary import SUMMARY_COLUMNS, display

__all__ = ["BUILTIN_SECTIONS", "jsonable", "resolved_params", "table_html", "write_report"]

#: The built-in sections, in order: the figures, then the studies.
BUILTIN_SECTIONS: list[SectionBuilder] = [*FIGURE_SECTIONS, *STUDY_SECTIONS]


def jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return repr(v)


def resolved_params(entry: dict, n_units: int) -> dict[str, Any]:
    """Every constructor parameter of ``entry``'s model, defaults filled in, and the
    parameters of its learning rule(s) after a store."""
    spec = ModelSpec(entry["name"], entry["params"], entry["label"])
    try:
        mem = build_model(spec, n_units, seed=0)
    except Exception as exc:  # a model that cannot be built says why
        return {"error": f"{type(exc).__name__}: {exc}"}
    out = jsonable(mem.get_params())
    out["seed"] = "derived per evaluation from the root seed"
    net = getattr(mem, "network_", None)
    if net is None:
        # Learning rules are created at the first store: store one pattern to see them.
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                x = patterns.random_bipolar(1, n_units, seed=0)
                if entry.get("regime") == "sparse":
                    x = patterns.random_sparse(
                        1, n_units, n_active=max(1, n_units // 20), seed=0
                    )
                enc = (
                    model_encoding(
                        model_tags(mem).encodings,
                        infer := (
                            "binary" if entry.get("regime") == "sparse" else "bipolar"
                        ),
                    )
                    or infer
                )
                store_patterns(mem, to_model(x, infer, enc))
            net = getattr(mem, "network_", None)
        except Exception:  # parameters are still reported
            net = None
    if net is not None:
        # Layer widths in effect: a default such as the MLP's hidden=None ("as wide as
        # the input") is recorded as the width it resolved to.
        out["populations"] = {
            name: int(getattr(pop, "n", 0)) for name, pop in net.populations.items()
        }
        opts = getattr(mem, "optimizers_", None)
        if out.get("learning_rate", 0) is None and opts:
            lr = getattr(opts[0], "learning_rate", None)
            if lr is not None:  # the optimiser's default step size, as used
                out["learning_rate"] = jsonable(lr)
        rules = {}
        for syn in net.synapses:
            rule = getattr(syn, "rule", None)
            if rule is not None and hasattr(rule, "get_params"):
                rules[f"{syn.pre.name}->{syn.post.name}"] = {
                    "rule": type(rule).__name__,
                    **jsonable(rule.get_params()),
                }
        if rules:
            out["learning_rules"] = rules
        if out.get("rule") is None and len(rules) == 1:
            # rule=None means "the default for the units": name the one that was used.
            rule = next(iter(net.synapses)).rule
            out["rule"] = getattr(rule, "name", None) or type(rule).__name__
    return out


def table_html(summary: list[dict]) -> str:
    cols, cells = display(summary)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = ""
    for x in cells:
        if x[2] == "" and x[1].startswith("not applicable"):
            body += (
                f"<tr><td>{html.escape(x[0])}</td>"
                f"<td colspan={len(cols) - 1}>{html.escape(x[1])}</td></tr>"
            )
        else:
            body += "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in x) + "</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def write_report(ctx: ReportContext, elapsed: float) -> Path:
    """Build every section, the notes and ``report.html``; returns its path."""
    cfg = ctx.config
    sections: list[tuple[str, str]] = []
    for builder in [*BUILTIN_SECTIONS, *SECTIONS]:
        made = builder(ctx)
        if made:
            sections.append(made)
    notes(ctx)
    reg = cfg["regimes"]
    vers = ", ".join(f"{k} {v}" for k, v in versions().items())
    chosen = cfg.get("models_selected")
    sel = f" --models {html.escape(','.join(chosen))}" if chosen else ""
    shown_defs = {
        "alpha_c": "alpha_c",
        "stability_alpha": "stability_alpha",
        "radius_0.25ac": "radius_quarter_ac",
        "radius_0.5ac": "radius_half_ac",
        "radius_common": "radius_common",
        "bits_per_synapse": "bits_per_synapse",
        "glyph_overlap": "glyph_overlap",
        "cpu_s": "cpu_s",
        "model": "model",
        "patterns": "patterns",
    }
    shown = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(SUMMARY_COLUMNS[v])}"
        + (
            " Shown as mean [95 % interval], or ≥ value when censored."
            if k not in ("model", "patterns", "glyph_overlap", "cpu_s")
            else ""
        )
        + "</dd>"
        for k, v in shown_defs.items()
    )
    all_defs = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>"
        for k, v in SUMMARY_COLUMNS.items()
    )
    params = "".join(
        f"<h3>{html.escape(m['label'])}</h3><p>registry name {html.escape(m['name'])}, "
        f"regime {html.escape(str(m['regime'] or 'not applicable'))}"
        + (f" ({html.escape(m['status'])})" if m["status"] else "")
        + f"</p><pre>{html.escape(json.dumps(m.get('resolved', {}), indent=1, sort_keys=True))}"
        "</pre>"
        for m in cfg["models"]
    )
    body = "".join(f"<h2>{html.escape(t)}</h2>{h}" for t, h in sections)
    left = left_out_text(cfg.get("left_out", ()))
    left_html = f"<p>{html.escape(left)}</p>" if left else ""
    note_html = "".join(f"<li>{html.escape(n)}</li>" for n in ctx.notes) or "<li>none</li>"
    refs = {**REFERENCES, **ctx.extra_references}
    ref_html = "".join(
        f"<li id='ref-{k}'>[{html.escape(refs[k][0])}] {html.escape(refs[k][1])}</li>"
        for k in ctx.cited
    )
    text = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>neuromem compare</title>
<style>body{{font-family:sans-serif;max-width:72em;margin:auto;padding:0 1em}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:2px 6px;
font-size:85%}} img{{max-width:100%}} figcaption{{font-size:90%;color:#333;
margin-bottom:1.5em}} dt{{font-family:monospace;font-weight:bold}} pre{{font-size:80%;
background:#f6f6f6;padding:4px}}</style></head><body>
<h1>neuromem compare</h1>
<p>What each registered memory model can do, measured the same way for all: how many
random patterns it completes from corrupted cues (the completion capacity
α<sub>c</sub>), how many it keeps from clean cues (stability), how far its basins of
attraction reach, and how much information it holds per synapse. ±1 models are tested
on random ±1 patterns of N = {reg["bipolar"]["n_units"]} units, 0/1 networks on sparse
0/1 patterns of N = {reg["sparse"]["n_units"]} units with
{reg["sparse"]["coding_level"]:g} N active. {cfg["repeats"]} repeats per estimate; root
seed {cfg["seed"]}{" (quick smoke run: small sizes)" if cfg["quick"] else ""};
{len(cfg["models"])} models; {len(ctx.evaluations)} store/recall evaluations;
{elapsed:.1f} s. Every number except the timings is a function of the seed alone.
Versions: {html.escape(vers)}.</p>
<p>Files: <a href="summary.csv">summary.csv</a> (this table, every column),
<a href="evaluations.csv">evaluations.csv</a> (every evaluation of the searches),
<a href="run.json">run.json</a> (configuration and resolved parameters).
Reproduce with <code>neuromem compare --seed {cfg["seed"]} --repeats {cfg["repeats"]}
{"--quick" if cfg["quick"] else ""}{sel}</code>.</p>
<h2>Summary</h2>{table_html(ctx.summary)}{left_html}
<h3>Columns</h3><dl>{shown}</dl>
{body}
<h2>Notes</h2><ul>{note_html}</ul>
<h2>Models</h2><p>Every model's constructor parameters, defaults filled in (n_units is
the regime's N; seeds are derived per evaluation from the root seed and the
evaluation's coordinates).</p>{params}
<h2>All columns of summary.csv</h2><dl>{all_defs}</dl>
<h2>References</h2><ol>{ref_html}</ol>
</body></html>
"""
    path = ctx.out / "report.html"
    with atomic_write(path, "w") as fh:
        fh.write(text)
    return path
