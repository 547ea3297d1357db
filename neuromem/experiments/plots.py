"""Figures of experiment results. Each plot function takes ``ax=None`` and returns the axes.

:func:`draw` redraws every figure of a results folder from its ``results.csv`` and
``run.json`` (this is ``neuromem plot RESULTS``).
"""

from __future__ import annotations

import importlib
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ValidationError
from ..io import atomic_write
from ..theory import capacity_lines
from .estimators import critical_from_points, interval, radius_from_points
from .runner import read_results, read_run

__all__ = [
    "basin_radius",
    "critical_loads",
    "draw",
    "plot_basins",
    "plot_capacity",
    "plot_forgetting",
    "plot_noise",
    "plot_times",
    "plot_topology",
    "register_folder",
    "save_figure",
    "theory_lines",
]

#: How ``draw`` redraws a folder whose run.json names another ``format``: format ->
#: "module:function" (imported when such a folder is drawn, as an entry point is), so
#: that this module depends on none of the experiments that draw with it.
FOLDER_FORMATS: dict[str, str] = {
    "neuromem-study": "neuromem.experiments.studies:draw_study",
    "neuromem-compare": "neuromem.experiments.compare:redraw",
}


def register_folder(fmt: str, target: str) -> None:
    """Make :func:`draw` redraw folders of ``format`` ``fmt`` with ``target``
    ("module:function", called with the folder, returning the PNG paths)."""
    if not isinstance(target, str) or target.count(":") != 1:
        raise ValidationError("target", target, "'module:function'")
    FOLDER_FORMATS[fmt] = target


def _axes(ax, figsize=(6.4, 4.2)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _ok(rows):
    return [r for r in rows if not r["error"]]


def _mean_by(rows, keys, value):
    """Mean of ``value`` over rows grouped by the tuple of ``keys`` (NaN skipped)."""
    groups: dict[tuple, list[float]] = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(r[value])
    return {
        k: float(np.nanmean(v)) if not all(map(math.isnan, v)) else math.nan
        for k, v in groups.items()
    }


def theory_lines(n_units: int) -> dict[str, float]:
    """Capacities ``alpha = P/N`` of the ±1 storage rules for ``N = n_units``
    (label -> load), from :func:`neuromem.theory.capacity_lines`."""
    return {
        label: load
        for key in ("hopfield-hebbian", "perfect-recall", "storkey")
        for label, load, _ in capacity_lines(key, n_units)
    }


def plot_capacity(rows, ax=None, *, value="overlap", theory=True):
    """Recall quality (noise 0) against load, one line per model, with theory lines."""
    from scipy.special import erf

    ax = _axes(ax)
    rows_in = [r for r in rows if not r["patterns"].startswith("glyphs")]
    rows = [r for r in _ok(rows) if r["noise"] == 0.0 and r["sets"] == 1]
    rows = [r for r in rows if not r["patterns"].startswith("glyphs")]
    means = _mean_by(rows, ("model", "load"), value)
    for model in dict.fromkeys(r["model"] for r in rows):
        pts = sorted((a, v) for (m, a), v in means.items() if m == model)
        if pts:
            ax.plot(*zip(*pts, strict=True), marker="o", ms=3, label=model)
    if theory and rows:
        n = rows[0]["n_units"]
        loads = sorted({r["load"] for r in rows})
        a = np.linspace(max(min(loads), 1e-3), max(loads), 200)
        if value == "overlap":
            ax.plot(
                a,
                erf(np.sqrt(1 / (2 * a))),
                "k:",
                lw=1,
                label="one-step overlap erf(sqrt(N/2P)) (Hertz et al.)",
            )
        styles = ["--", "-.", (0, (5, 1, 1, 1))]
        for (label, x), ls in zip(theory_lines(n).items(), styles, strict=True):
            if x <= max(loads) * 1.05:
                ax.axvline(x, color="grey", ls=ls, lw=1, label=f"{label} = {x:.3f}")
    if rows_all := [r for r in _ok(rows_in) if r["noise"] == 0.1]:
        # Completion capacity (10 % flipped cues), the estimator of neuromem compare.
        for i, (model, e) in enumerate(critical_loads(rows_all).items()):
            if not math.isnan(e.value):
                y = 0.04 + 0.05 * i
                ax.errorbar(
                    [e.value],
                    [y],
                    xerr=[[e.value - e.low], [e.high - e.value]],
                    fmt="v",
                    ms=4,
                    capsize=2,
                    color=f"C{i}",
                    label=f"{model}: alpha_c from 10% flipped cues {e.text(2)}",
                )
    ax.set_xlabel("load alpha = P / N")
    ax.set_ylabel(
        {"overlap": "mean overlap", "accuracy": "fraction recalled"}.get(value, value)
        + " (clean cues)"
    )
    ax.set_title("Capacity" + (f" (N = {rows[0]['n_units']})" if rows else ""))
    ax.legend(fontsize=6, loc="lower left")
    ax.grid(alpha=0.3)
    return ax


def plot_noise(rows, ax=None, *, load=None):
    """Mean overlap against cue noise, per model and corruption (lowest load by default)."""
    ax = _axes(ax)
    rows = [r for r in _ok(rows) if not r["patterns"].startswith("glyphs")]
    if not rows:
        return ax
    load = min(r["load"] for r in rows) if load is None else load
    rows = [r for r in rows if r["load"] == load]
    means = _mean_by(rows, ("model", "corruption", "noise"), "overlap")
    colors: dict[str, str] = {}
    for model in dict.fromkeys(r["model"] for r in rows):
        for corr, ls in (("flip", "-"), ("mask", "--")):
            pts = sorted(
                (z, v) for (m, c, z), v in means.items() if m == model and c == corr
            )
            if pts:
                (line,) = ax.plot(
                    *zip(*pts, strict=True),
                    ls=ls,
                    marker="o",
                    ms=3,
                    label=f"{model} ({corr})",
                )
                colors.setdefault(model, line.get_color())
    # Basin radius (90 % recalled), the estimator of neuromem compare, on each flip line.
    for (model, _), z in basin_radius(rows).items():
        if not math.isnan(z):
            ax.axvline(z, ymax=0.06, color=colors.get(model, "k"), lw=2)
    ax.set_xlabel("fraction of cue units corrupted (ticks: basin radius, 90 % recalled)")
    ax.set_ylabel("mean overlap")
    ax.set_title(f"Noise tolerance at alpha = {load:g}")
    ax.legend(fontsize=6)
    ax.grid(alpha=0.3)
    return ax


def basin_radius(rows, criterion=0.9) -> dict[tuple[str, float], float]:
    """Basin radius per (model, load): the largest flip noise recalled.

    The estimator of :func:`neuromem.experiments.estimators.radius_from_points` (the
    one ``neuromem compare`` uses) on the grid's noise levels, with ``accuracy``
    averaged over repeats: the largest noise below the first one with fewer than
    ``criterion`` of the patterns recalled.
    """
    acc = _mean_by(
        [r for r in _ok(rows) if r["corruption"] == "flip"],
        ("model", "load", "noise"),
        "accuracy",
    )
    points: dict[tuple[str, float], list[tuple[float, float]]] = defaultdict(list)
    for (m, a, z), v in acc.items():
        points[(m, a)].append((z, v))
    return {
        key: radius_from_points(pts, max(z for z, _ in pts), criterion)[0]
        for key, pts in sorted(points.items())
    }


def critical_loads(rows, noise: float = 0.1, level: float = 0.5) -> dict[str, Any]:
    """Critical load per model from a grid of loads, with its 95 % interval.

    Per repeat, :func:`neuromem.experiments.estimators.critical_from_points` (the
    estimator of ``neuromem compare``) on the fraction recalled (``accuracy``) at flip
    noise ``noise``; then :func:`~neuromem.experiments.estimators.interval` over
    repeats. Returns ``{model: Estimate}`` (censored when recall never failed).
    """
    rows = [
        r
        for r in _ok(rows)
        if r["noise"] == noise
        and r["corruption"] == "flip"
        and r["sets"] == 1
        and not r["patterns"].startswith("glyphs")
    ]
    by: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
    for r in rows:
        by[(r["model"], r["repeat"])].append((r["load"], r["accuracy"]))
    out: dict[str, Any] = {}
    for model in dict.fromkeys(r["model"] for r in rows):
        found = [
            critical_from_points(pts, max(a for a, _ in pts), level)
            for (m, _), pts in by.items()
            if m == model
        ]
        out[model] = interval([v for v, _ in found], any(c for _, c in found))
    return out


def plot_basins(rows, ax=None, *, criterion=0.9):
    """Basin radius (largest cue noise with ``criterion`` recalled) against load."""
    ax = _axes(ax)
    radius = basin_radius(rows, criterion)
    for model in dict.fromkeys(m for m, _ in radius):
        pts = sorted((a, r) for (m, a), r in radius.items() if m == model)
        ax.plot(*zip(*pts, strict=True), marker="o", ms=3, label=model)
    ax.set_xlabel("load alpha = P / N")
    ax.set_ylabel(f"basin radius (flip noise with {criterion:.0%} recalled)")
    ax.set_title("Basins of attraction")
    ax.legend(fontsize=6)
    ax.grid(alpha=0.3)
    return ax


def plot_forgetting(rows, ax=None):
    """Recall of the oldest and newest set against the number of sets stored."""
    ax = _axes(ax)
    rows = _ok(rows)
    for value, ls in (("overlap_first", "-"), ("overlap_last", "--")):
        means = _mean_by(rows, ("model", "sets"), value)
        for i, model in enumerate(dict.fromkeys(r["model"] for r in rows)):
            pts = sorted((s, v) for (m, s), v in means.items() if m == model)
            which = "oldest set" if value == "overlap_first" else "newest set"
            ax.plot(
                *zip(*pts, strict=True),
                ls=ls,
                marker="o",
                ms=3,
                color=f"C{i}",
                label=f"{model}: {which}",
            )
    ax.set_xlabel("sets stored one after the other")
    ax.set_ylabel("mean overlap")
    ax.set_title("Forgetting")
    ax.legend(fontsize=6)
    ax.grid(alpha=0.3)
    return ax


def plot_topology(rows, experiment: dict[str, Any], ax=None):
    """Mean overlap against dilution ``p`` and against small-world rewiring ``p``."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(9, 3.8))
    ax0, ax1 = ax
    topo = {}
    for m in experiment["models"]:
        t = m.get("params", {}).get("topology")
        if isinstance(t, dict):
            topo[m.get("label") or m["name"]] = t
    means = _mean_by(_ok(rows), ("model", "load"), "overlap")
    for kind, a in (("erdos_renyi", ax0), ("small_world", ax1)):
        loads = sorted({ld for _, ld in means})
        for load in loads:
            pts = sorted(
                (topo[m]["p"], v)
                for (m, ld), v in means.items()
                if ld == load and m in topo and topo[m]["kind"] == kind
            )
            if pts:
                a.plot(*zip(*pts, strict=True), marker="o", ms=3, label=f"alpha = {load:g}")
        a.set_xlabel(
            "connection probability p"
            if kind == "erdos_renyi"
            else "rewiring probability p"
        )
        a.set_ylabel("mean overlap")
        a.set_title("Dilution" if kind == "erdos_renyi" else "Small world")
        a.grid(alpha=0.3)
        a.legend(fontsize=6)
    if any(t["kind"] == "erdos_renyi" for t in topo.values()):
        ax0.set_xscale("log")
    return ax


def plot_times(rows, ax=None):
    """Mean store and recall time per model (log scale)."""
    ax = _axes(ax)
    rows = _ok(rows)
    models = list(dict.fromkeys(r["model"] for r in rows))
    st = _mean_by(rows, ("model",), "store_time")
    rt = _mean_by(rows, ("model",), "recall_time")
    y = np.arange(len(models))
    ax.barh(y - 0.2, [st[(m,)] * 1e3 for m in models], height=0.4, label="store")
    ax.barh(y + 0.2, [rt[(m,)] * 1e3 for m in models], height=0.4, label="recall")
    ax.set_yticks(y)
    ax.set_yticklabels(models, fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("mean time per trial (ms)")
    ax.set_title("Store and recall time")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="x")
    return ax


def save_figure(ax, path: Path) -> Path:
    """Save the figure of ``ax`` (an axes, a figure, or an array of axes) as a PNG at
    ``path`` (written atomically), close it, and return ``path``."""
    import matplotlib.pyplot as plt

    fig = ax.figure if hasattr(ax, "figure") else ax[0].figure
    fig.tight_layout()
    with atomic_write(path) as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
    return path


def draw(folder: str | Path) -> list[Path]:
    """Redraw the figures of a results folder; returns the PNG paths written."""
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    meta = read_run(folder)
    fmt = meta.get("format") if isinstance(meta, dict) else None
    if fmt in FOLDER_FORMATS:
        module, function = FOLDER_FORMATS[fmt].split(":")
        return getattr(importlib.import_module(module), function)(folder)
    if meta is None or "experiment" not in meta:
        raise ValidationError(
            "results", str(folder), "a results folder with run.json and results.csv"
        )
    rows = read_results(folder)
    if not rows:
        raise ValidationError("results", str(folder), "a results folder with rows")
    exp = meta["experiment"]
    name = exp["name"]
    paths = []
    if name == "forgetting" or exp.get("kind") == "sequential":
        paths.append(save_figure(plot_forgetting(rows), folder / "forgetting.png"))
    elif name == "topology":
        paths.append(save_figure(plot_topology(rows, exp), folder / "topology.png"))
    elif name == "basins":
        paths.append(save_figure(plot_basins(rows), folder / "basins.png"))
    elif name == "noise":
        paths.append(save_figure(plot_noise(rows), folder / "noise.png"))
    else:
        if len({r["load"] for r in rows}) > 1:
            paths.append(save_figure(plot_capacity(rows), folder / "capacity.png"))
        if len({r["noise"] for r in rows}) > 1:
            paths.append(save_figure(plot_noise(rows), folder / "noise.png"))
    paths.append(save_figure(plot_times(rows), folder / "times.png"))
    return paths
