"""``neuromem compare``: every registered model, the same patterns, one report.

Stores the same pattern sets (random +/-1 patterns at several loads, and glyph letters)
in every registered model that can take them (built-ins and plugins), recalls them from
cues with several noise levels, and writes into the output folder:

- ``results.csv`` / ``run.json``: the tidy table of every trial (see
  :func:`neuromem.experiments.run`);
- ``summary.csv``: one line per model;
- ``capacity.png`` (with the theory lines), ``noise.png``, ``glyphs.png`` (cue ->
  recalled per model), ``times.png``;
- ``report.html``: a self-contained report (figures embedded as base64).
"""

from __future__ import annotations

import base64
import csv
import html
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import metrics, patterns
from ..io import atomic_write
from .plots import _save, basin_radius, plot_capacity, plot_noise, plot_times
from .runner import run, versions
from .spec import Experiment, build_model
from .trial import _store, _to_model, _to_pattern, model_encoding

__all__ = ["compare", "compare_experiment"]

GLYPH_NOISE = 0.15
#: Seconds of store and recall time shared by all models of the default comparison.
TIME_BUDGET = 40.0


def _models() -> list[dict[str, Any]]:
    from ..registry import list_models, list_rules

    out: list[dict[str, Any]] = []
    for name in list_models():
        out.append({"name": name, "label": name})
        if name == "hopfield":
            # The storage rules of the classical network are worth comparing too.
            for rule in ("storkey", "pseudoinverse"):
                if rule in list_rules():
                    out.append(
                        {"name": name, "params": {"rule": rule}, "label": f"{name}-{rule}"}
                    )
    return out


def compare_experiment(quick: bool = False, seed: int = 0) -> Experiment:
    """The grid ``neuromem compare`` runs (every registered model).

    The cost per model is fixed (a few dozen small trials), so adding models adds
    time linearly: the default run stays under a minute on 2 cores for a dozen models.
    """
    n = 64 if quick else 200
    return Experiment(
        "compare",
        models=_models(),
        patterns=[
            {"kind": "random_bipolar", "n_units": n, "label": "random"},
            {
                "kind": "glyphs",
                "text": "NEURO" if quick else "NEUROMAB",
                "size": 10 if quick else 12,
                "label": "glyphs",
            },
        ],
        loads=[0.05, 0.15] if quick else [0.03, 0.06, 0.1, 0.14, 0.2, 0.3],
        noise=[0.0, 0.2] if quick else [0.0, 0.1, 0.2, 0.3],
        corruption=["flip"],
        repeats=1 if quick else 2,
        seed=seed,
        description="Every registered model on the same random patterns and glyph letters.",
    )


def _glyph_figure(exp: Experiment, out: Path, seed: int):
    """Cue -> recalled glyphs per model (each model stores the same letters)."""
    from ..demo import glyph_grid

    spec = next(p for p in exp.patterns if p.kind == "glyphs")
    x = patterns.glyphs(spec.text, size=spec.size)
    cues = patterns.flip(x, GLYPH_NOISE, seed=seed)
    rows = [("stored", x), (f"cue ({GLYPH_NOISE:.0%} flipped)", cues)]
    scores = {}
    for m in exp.models:
        try:
            mem = build_model(m, spec.width, seed=seed)
            enc = model_encoding(tuple(mem.encodings), "bipolar")
            if enc is None:
                continue
            _store(mem, _to_model(x, "bipolar", enc))
            states = _to_pattern(
                mem.recall(_to_model(cues, "bipolar", enc)).states, enc, "bipolar"
            )
        except Exception:  # a model that fails is reported from its rows in the table
            continue
        scores[m.key] = float(metrics.overlap(states, x).mean())
        rows.append((m.key, np.clip(states, -1, 1)))
    ax = glyph_grid(rows, spec.size)
    ax.set_title(f"Glyph recall from {GLYPH_NOISE:.0%} flipped pixels")
    return _save(ax, out / "glyphs.png"), scores


def _summary(exp: Experiment, rows: list[dict]) -> list[dict[str, Any]]:
    out = []
    for m in exp.models:
        mine = [r for r in rows if r["model"] == m.key]
        ok = [r for r in mine if not r["error"]]
        rnd = [r for r in ok if r["patterns"] == "random"]
        gly = [r for r in ok if r["patterns"] == "glyphs"]

        def mean(rs, key):
            v = [r[key] for r in rs]
            return float(np.mean(v)) if v else math.nan

        # Capacity estimate: the largest load at which 90% of the patterns are recalled
        # from themselves (noise 0), averaged over repeats.
        cap = math.nan
        for a in sorted({r["load"] for r in rnd}):
            acc = mean([r for r in rnd if r["load"] == a and r["noise"] == 0.0], "accuracy")
            if acc >= 0.9:
                cap = a
        low = min((r["load"] for r in rnd), default=math.nan)
        radius = basin_radius([r for r in rnd if r["load"] == low]).get(
            (m.key, low), math.nan
        )
        out.append(
            {
                "model": m.key,
                "trials": len(mine),
                "errors": sum(
                    bool(r["error"]) and not r["error"].startswith("skip") for r in mine
                ),
                "skipped": sum(r["error"].startswith("skip") for r in mine),
                "capacity_alpha": cap,
                "basin_radius": radius,
                "glyph_overlap_noise0.2": mean(
                    [r for r in gly if r["noise"] == 0.2], "overlap"
                ),
                "store_ms": 1e3 * mean(ok, "store_time"),
                "recall_ms": 1e3 * mean(ok, "recall_time"),
                "first_error": next((r["error"] for r in mine if r["error"]), ""),
            }
        )
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "-" if math.isnan(v) else f"{v:.3g}"
    return str(v)


def _table_text(summary: list[dict[str, Any]]) -> str:
    cols = [c for c in summary[0] if c != "first_error"]
    cells = [[_fmt(r[c]) for c in cols] for r in summary]
    widths = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    for x in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(x, widths, strict=True)))
    return "\n".join(lines)


def _report(out: Path, exp: Experiment, summary, figures, notes, elapsed) -> Path:
    def img(path: Path) -> str:
        data = base64.b64encode(path.read_bytes()).decode()
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{path.stem}">'
            f"<figcaption>{html.escape(path.stem)}</figcaption></figure>"
        )

    cols = list(summary[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(r[c]))}</td>" for c in cols) + "</tr>"
        for r in summary
    )
    vers = ", ".join(f"{k} {v}" for k, v in versions().items())
    note_html = "".join(f"<li>{html.escape(n)}</li>" for n in notes) or "<li>none</li>"
    text = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>neuromem compare</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:auto}}
table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:90%}}
img{{max-width:100%}}</style></head><body>
<h1>neuromem compare</h1>
<p>{html.escape(exp.description)} {len(exp.trials())} trials, {len(exp.models)} models,
root seed {exp.seed}, {elapsed:.1f} s. Versions: {html.escape(vers)}.</p>
<p>capacity_alpha: the largest load P/N at which 90% of random patterns are recalled
(overlap &ge; {exp.threshold}) from themselves; basin_radius: the largest fraction of
flipped cue bits with 90% recalled at the lowest load.</p>
<h2>Models</h2><table><tr>{head}</tr>{body}</table>
<h2>Notes</h2><ul>{note_html}</ul>
<h2>Figures</h2>{"".join(img(p) for p in figures)}
</body></html>
"""
    path = out / "report.html"
    with atomic_write(path, "w") as fh:
        fh.write(text)
    return path


def compare(
    out: str | Path = "results/compare",
    *,
    quick: bool = False,
    jobs: int = 1,
    scheduler: str | None = None,
    seed: int = 0,
    force: bool = False,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Run the comparison of every registered model and write its report.

    Parameters
    ----------
    out : path
        Output folder (default ``results/compare``).
    quick : bool
        A small smoke run (a few seconds).
    jobs, scheduler, force, progress
        As for :func:`neuromem.experiments.run`.
    seed : int
        Root seed.

    Returns
    -------
    dict
        ``summary`` (one dict per model), ``rows``, ``figures``, ``report``, ``notes``.
    """
    import matplotlib

    matplotlib.use("Agg")
    t0 = time.perf_counter()
    out = Path(out)
    exp = compare_experiment(quick=quick, seed=seed)
    # Each model gets an equal share of the time budget (plus what faster models before
    # it left unused), so that adding models (plugins) keeps the whole comparison within
    # about a minute: a slow model's last trials (the largest loads and the glyphs) are
    # skipped, and the report says so.
    budget = TIME_BUDGET / (4 if quick else 1) / len(exp.models)
    rows = run(
        exp,
        out,
        jobs=jobs,
        scheduler=scheduler,
        force=force,
        progress=progress,
        budget=None if scheduler else budget,
    )
    notes = []
    for m in exp.models:
        mine = [r for r in rows if r["model"] == m.key]
        skipped = sum(r["error"].startswith("skipped") for r in mine)
        failed = [
            r["error"] for r in mine if r["error"] and not r["error"].startswith("skip")
        ]
        if skipped:
            notes.append(
                f"{m.key}: {skipped} of {len(mine)} trials skipped (over its time budget: "
                f"{budget:.2g} s per model plus what earlier models left unused)"
            )
        if failed:
            notes.append(f"{m.key}: {len(failed)} trials failed ({failed[0]})")
    random_rows = [r for r in rows if r["patterns"] == "random"]
    figures = [
        _save(plot_capacity(random_rows), out / "capacity.png"),
        _save(plot_noise(random_rows), out / "noise.png"),
    ]
    glyph_png, _ = _glyph_figure(exp, out, seed)
    figures += [glyph_png, _save(plot_times(rows), out / "times.png")]
    summary = _summary(exp, rows)
    with atomic_write(out / "summary.csv", "w") as fh:
        w = csv.DictWriter(fh, fieldnames=list(summary[0]), lineterminator="\n")
        w.writeheader()
        w.writerows({k: _fmt(v) for k, v in r.items()} for r in summary)
    report = _report(out, exp, summary, figures, notes, time.perf_counter() - t0)
    return {
        "summary": summary,
        "table": _table_text(summary),
        "rows": rows,
        "figures": figures,
        "report": report,
        "notes": notes,
    }
