"""Sequence capacity: how long a sequence a sequence memory replays through a whole cycle.

:func:`capacity_sweep` stores a cyclic sequence of ``P = alpha N`` random patterns in
the Hebbian sequence network, cues it with the first pattern and runs ``P`` synchronous
steps (one full cycle). The capacity of this network is ``alpha_c ~ 0.269`` (During,
Coolen & Sherrington 1998); at finite ``N`` the transition from retrieval to loss is a
crossover that sharpens as ``N`` grows. :func:`max_length` finds the longest sequence
retrieved at a given ``N``, to compare the growth of the Hebbian and dense variants.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ..errors import ValidationError, described
from ..models.sequence import SequenceMemory, expected_overlaps
from ..patterns import random_bipolar
from ..random import derive_seed
from ..validation import check_float, check_int, check_options
from .engine import axes as _axes
from .study_base import check_list

__all__ = [
    "RETRIEVED",
    "capacity_sweep",
    "check_loads",
    "check_memory_options",
    "crossover",
    "growth_exponent",
    "max_length",
    "plot_growth",
    "plot_sequence_capacity",
    "plot_trajectory",
    "retrieval",
    "sweep_row",
]

#: A cycle is retrieved when the overlap with the expected pattern never falls below this.
RETRIEVED = 0.5

#: Options of the SequenceMemory that these experiments set themselves.
_SET_HERE = ("n_units", "cyclic", "n_steps", "seed")


def check_memory_options(options: Any, name: str) -> None:
    """``SequenceMemory`` options (keys and values) checked before anything runs: a
    ValidationError naming ``name`` (or ``name.key``) for an unknown key or a bad value.
    """
    if not isinstance(options, dict):
        raise ValidationError(name, options, "options given as a dict")
    allowed = [
        k for k in inspect.signature(SequenceMemory).parameters if k not in _SET_HERE
    ]
    check_options(options, name, allowed)
    try:
        SequenceMemory(2, **options)
    except ValidationError as exc:
        raise ValidationError(f"{name}.{exc.param}", exc.given, exc.allowed) from None


def retrieval(
    n_units: int, n_patterns: int, seed: int, **options: Any
) -> tuple[float, float]:
    """Store a cyclic sequence, replay one full cycle from its first pattern.

    Returns
    -------
    (min_overlap, final_overlap)
        The smallest overlap with the expected pattern along the cycle, and the overlap
        after the last step (back at the first pattern).
    """
    x = random_bipolar(n_patterns, n_units, seed=seed)
    mem = SequenceMemory(n_units, **options).store(x, cyclic=True)
    res = mem.recall(x[:1], n_steps=n_patterns, record="states")
    m = expected_overlaps(res.trajectory["states"], x)[0]
    return float(m.min()), float(m[-1])


def capacity_sweep(
    sizes=(200, 800),
    loads=(0.15, 0.2, 0.25, 0.3, 0.35),
    repeats: int = 10,
    seed: int = 0,
    **options: Any,
) -> list[dict[str, Any]]:
    """Retrieval of whole cycles against the load ``alpha = P / N`` at several sizes.

    Returns one row per size, load and repeat: ``n_units``, ``load`` (the load run,
    ``n_patterns / n_units``: the one asked for rounded to whole patterns),
    ``n_patterns``,
    ``repeat``, ``min_overlap``, ``final_overlap``, ``retrieved`` (1.0 when the overlap
    stayed above :data:`RETRIEVED` through the whole cycle), ``error``.

    ``sizes`` and ``loads`` are non-empty lists of distinct values (a value given twice
    would pool its rows into one point); every load runs at least 2 patterns at every
    size, and no two loads round to the same number of patterns there; ``seed`` is an integer >= 0; ``options`` are
    those of :class:`~neuromem.models.sequence.SequenceMemory` but ``n_units``,
    ``cyclic``, ``n_steps`` and ``seed``. Anything else is a ValidationError naming it.
    """
    sizes = check_list(sizes, "sizes", int, low=2)
    loads = [
        check_float(a, "loads", low=0.0, low_inclusive=False)
        for a in check_list(loads, "loads", float)
    ]
    check_loads(sizes, loads)
    repeats = check_int(repeats, "repeats", low=1)
    seed = check_int(seed, "seed", low=0)
    check_memory_options(options, "options")
    rows = []
    for n in sizes:
        for load in loads:
            for r in range(repeats):
                rows.append(sweep_row(n, load, r, seed, **options))
    return rows


def n_patterns(n: int, load: float) -> int:
    """The number of patterns a sweep runs at size ``n`` and load ``load``."""
    return round(load * n)


def check_loads(sizes: list[int], loads: list[float], name: str = "loads") -> None:
    """Refuse loads that run fewer than 2 patterns (one transition) at some size, or
    that round to the same number of patterns there (two loads reported as one)."""
    for n in sizes:
        ps = [n_patterns(n, a) for a in loads]
        low = [a for a, p in zip(loads, ps, strict=True) if p < 2]
        if low:
            raise ValidationError(
                name,
                described(f"load {low[0]!r} at N = {n} ({n_patterns(n, low[0])} patterns)"),
                f"loads of at least 2 / N = {2 / n:g} (2 patterns, one transition)",
            )
        seen: dict[int, float] = {}
        for a, p in zip(loads, ps, strict=True):
            if p in seen:
                raise ValidationError(
                    name,
                    described(f"loads {seen[p]!r} and {a!r}, both P = {p} at N = {n}"),
                    "loads that run distinct numbers of patterns P = round(load * N) "
                    "at every size",
                )
            seen[p] = a


def sweep_row(
    n: int, load: float, repeat: int, seed: int, **options: Any
) -> dict[str, Any]:
    """One row of :func:`capacity_sweep`: size ``n``, load ``load``, repeat ``repeat``
    (its own seed, from the root seed and these coordinates). Its ``load`` is the load
    run, ``n_patterns / n_units`` (the one asked for, rounded to whole patterns)."""
    p = n_patterns(n, load)
    if p < 2:
        check_loads([n], [load])
    lo, last = retrieval(n, p, derive_seed(seed, "sequence", n, load, repeat), **options)
    return {
        "n_units": n,
        "load": p / n,
        "n_patterns": p,
        "repeat": repeat,
        "min_overlap": lo,
        "final_overlap": last,
        "retrieved": float(lo >= RETRIEVED),
        "error": "",
    }


def crossover(rows: list[dict[str, Any]]) -> dict[int, float]:
    """Per size, the load at which the fraction of retrieved cycles falls through 1/2.

    Linear interpolation between the loads of the sweep; NaN if it never crosses.
    """
    out = {}
    for n in sorted({r["n_units"] for r in rows}):
        loads = sorted({r["load"] for r in rows if r["n_units"] == n})
        frac = [
            np.mean([r["retrieved"] for r in rows if r["n_units"] == n and r["load"] == a])
            for a in loads
        ]
        out[n] = float("nan")
        for k in range(len(loads) - 1):
            if frac[k] >= 0.5 > frac[k + 1]:
                a0, a1, f0, f1 = loads[k], loads[k + 1], frac[k], frac[k + 1]
                out[n] = float(a0 + (f0 - 0.5) * (a1 - a0) / (f0 - f1))
                break
    return out


def max_length(
    n_units: int, repeats: int = 3, seed: int = 0, threshold: float = 0.9, **options: Any
) -> int:
    """The longest cyclic sequence most of ``repeats`` networks replay whole.

    "Whole" means the overlap with the expected pattern stays ``>= threshold`` through
    one full cycle. Found by doubling, then bisection (to 5 %). ``options`` are as in
    :func:`capacity_sweep`.
    """
    n_units = check_int(n_units, "n_units", low=2)
    repeats = check_int(repeats, "repeats", low=1)
    seed = check_int(seed, "seed", low=0)
    threshold = check_float(threshold, "threshold", low=-1.0, high=1.0)
    check_memory_options(options, "options")

    def ok(p):
        hits = sum(
            retrieval(n_units, p, derive_seed(seed, "length", n_units, p, r), **options)[0]
            >= threshold
            for r in range(repeats)
        )
        return 2 * hits > repeats

    lo, hi = 1, 2
    while ok(hi):
        lo, hi = hi, 2 * hi
    while hi - lo > max(1, lo // 20):
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def growth_exponent(points) -> float:
    """Least-squares slope of ``log(length)`` against ``log(N)`` of ``(N, length)`` pairs."""
    n, length = np.log(np.asarray(points, dtype=np.float64)).T
    if len(n) < 2:
        return float("nan")
    return float(np.polyfit(n, length, 1)[0])


def plot_sequence_capacity(rows, ax=None):
    """Fraction of whole cycles retrieved against the load, one line per size."""
    ax = _axes(ax)
    for n in sorted({r["n_units"] for r in rows}):
        loads = sorted({r["load"] for r in rows if r["n_units"] == n})
        frac = [
            np.mean([r["retrieved"] for r in rows if r["n_units"] == n and r["load"] == a])
            for a in loads
        ]
        ax.plot(loads, frac, marker="o", ms=4, label=f"N = {n}")
    ax.axvline(0.269, color="gray", ls=":", label="alpha_c = 0.269 (During et al. 1998)")
    ax.set_xlabel("load alpha = P / N")
    ax.set_ylabel("fraction of cycles retrieved")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8)
    return ax


def plot_growth(rows, ax=None):
    """Longest sequence retrieved against ``N`` per variant (log-log)."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax = _axes(ax)

    sizes = set()
    for label in dict.fromkeys(r["variant"] for r in rows):
        pts = sorted((r["n_units"], r["max_length"]) for r in rows if r["variant"] == label)
        sizes.update(n for n, _ in pts)
        slope = growth_exponent(pts)
        ax.loglog(
            *zip(*pts, strict=True), marker="o", ms=4, label=f"{label} (~N^{slope:.2g})"
        )
    ax.set_xticks(sorted(sizes))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("N")
    ax.set_ylabel("longest cycle retrieved")
    ax.legend(fontsize=8)
    return ax


def plot_trajectory(overlaps: np.ndarray, ax=None):
    """Overlaps of one trajectory with every stored pattern (steps x patterns)."""
    ax = _axes(ax)
    im = ax.imshow(
        np.asarray(overlaps).T,
        aspect="auto",
        origin="lower",
        cmap="RdBu_r",
        vmin=-1,
        vmax=1,
    )
    ax.set_xlabel("step t")
    ax.set_ylabel("stored pattern mu")
    ax.figure.colorbar(im, ax=ax, label="overlap m_mu(t)")
    return ax
