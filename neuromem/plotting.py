"""Figures of memories at work: patterns, weights, recall sweep by sweep, capacity.

Every function takes ``ax=None`` (a new figure is made when none is given) and returns
the matplotlib axes it drew on, so figures compose with ``plt.subplots``. Nothing here
picks a backend: scripts and tests use Agg (``MPLBACKEND=Agg``).

>>> import neuromem as nm, neuromem.plotting as nmp
>>> ax = nmp.pattern_grid(nm.patterns.glyphs("AB", size=8))
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.special import erf

from .errors import ValidationError, described
from .params import Parametrized
from .plotting_inputs import (
    _axis_values,
    _cues,
    _finite,
    _label,
    _labels,
    _numbers,
    _trajectory,
)
from .validation import check_bool, check_choice, check_float, check_int

__all__ = [
    "basin_curve",
    "capacity_curve",
    "energy_trajectory",
    "overlap_trajectory",
    "pattern_grid",
    "recall_grid",
    "weight_matrix",
]

#: Hebbian storage capacity ``alpha_c = P / N`` at large N (Amit, Gutfreund & Sompolinsky).
ALPHA_C = 0.138


def _axes(ax, figsize=(5.0, 3.5)):
    import matplotlib.axes
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    elif not isinstance(ax, matplotlib.axes.Axes):
        # Anything else failed later with an AttributeError (no .plot, no .imshow).
        raise ValidationError("ax", ax, "a matplotlib Axes or None")
    return ax


def _tile_shape(n: int, shape) -> tuple[int, int]:
    """Rows and columns of one pattern's image: given, or the squarest exact factoring."""
    if shape is not None:
        try:
            h, w = (check_int(v, "shape", low=1) for v in shape)
        except (TypeError, ValueError):
            raise ValidationError("shape", shape, "a pair (rows, columns)") from None
        if h * w != n:
            raise ValidationError(
                "shape", shape, f"a pair (rows, columns) with rows * columns = {n}"
            )
        return h, w
    h = math.isqrt(n)
    while n % h:
        h -= 1
    return h, n // h


def _as_rows(x, name: str) -> np.ndarray:
    x = _numbers(x, name, "a (P, N) array")
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.size == 0:
        raise ValidationError(
            name, described(f"an array of shape {x.shape}"), "a (P, N) array"
        )
    return _finite(x, name)


def _mosaic(rows: list[np.ndarray], shape: tuple[int, int], ncols: int) -> np.ndarray:
    """Patterns as tiles of one image, separated by a NaN gap of one pixel."""
    h, w = shape
    nrows = math.ceil(len(rows) / ncols)
    img = np.full((nrows * (h + 1) - 1, ncols * (w + 1) - 1), np.nan)
    for k, r in enumerate(rows):
        i, j = divmod(k, ncols)
        img[i * (h + 1) : i * (h + 1) + h, j * (w + 1) : j * (w + 1) + w] = r.reshape(h, w)
    return img


def _show(ax, img, vmin, vmax, cmap):
    import matplotlib as mpl

    if not isinstance(cmap, str) or cmap not in mpl.colormaps:
        raise ValidationError("cmap", cmap, "a matplotlib colormap name ('gray_r', ...)")
    cm = mpl.colormaps[cmap].with_extremes(bad="white")
    im = ax.imshow(
        np.ma.masked_invalid(img), cmap=cm, vmin=vmin, vmax=vmax, interpolation="nearest"
    )
    ax.set_xticks([])
    ax.set_yticks([])
    return im


def _range(x: np.ndarray) -> tuple[float, float]:
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0.0 and hi <= 1.0:
        return 0.0, 1.0  # 0/1 patterns
    big = max(abs(lo), abs(hi), 1e-300)
    return -big, big


def pattern_grid(
    patterns,
    ax=None,
    *,
    shape: tuple[int, int] | None = None,
    ncols: int | None = None,
    titles: list[str] | None = None,
    cmap: str = "gray_r",
):
    """Patterns as a grid of images (glyphs, random or recalled patterns).

    Parameters
    ----------
    patterns : ndarray, shape (P, N) or (N,)
        +/-1, 0/1 or real patterns, row-wise.
    ax : matplotlib Axes, optional
    shape : (rows, columns), optional
        Image shape of one pattern; by default the squarest ``rows * columns = N``
        (``16 x 16`` for 256-unit glyphs).
    ncols : int, optional
        Patterns per row of the grid (all in one row by default, up to 10).
    titles : list of str, optional
        One label per pattern, written under its tile.
    cmap : str
        Colormap; ``"gray_r"`` draws +1 (ink) black.

    Returns
    -------
    matplotlib Axes
    """
    x = _as_rows(patterns, "patterns")
    hw = _tile_shape(x.shape[1], shape)
    ncols = min(len(x), 10) if ncols is None else check_int(ncols, "ncols", low=1)
    if titles is not None:
        given = titles
        try:  # any iterable of labels (a generator has no len); one string is no list
            titles = None if isinstance(titles, str) else list(titles)
        except TypeError:
            titles = None
        if titles is None:
            raise ValidationError("titles", given, "a sequence of titles, one per pattern")
    if titles is not None and len(titles) != len(x):
        raise ValidationError(
            "titles", described(f"{len(titles)} titles"), f"{len(x)}, one per pattern"
        )
    ax = _axes(
        ax, figsize=(min(1.0 * ncols, 10.0) + 0.4, 1.1 * math.ceil(len(x) / ncols) + 0.3)
    )
    vmin, vmax = _range(x)
    _show(ax, _mosaic(list(x), hw, ncols), vmin, vmax, cmap)
    if titles is not None:
        h, w = hw
        for k, t in enumerate(titles):
            i, j = divmod(k, ncols)
            ax.text(
                j * (w + 1) + w / 2 - 0.5,
                i * (h + 1) + h,
                str(t),
                ha="center",
                va="top",
                fontsize=8,
            )
    return ax


def weight_matrix(weights, ax=None, *, cmap: str = "RdBu_r", colorbar: bool = True):
    """The weight matrix as an image, zero white, symmetric colour limits.

    Parameters
    ----------
    weights : Memory, ndarray or scipy.sparse matrix
        A model with ``weights_`` (Hopfield, Hebbian, associators) or a matrix.
    ax : matplotlib Axes, optional
    cmap : str
        A diverging colormap.
    colorbar : bool
        Draw a colour bar.

    Returns
    -------
    matplotlib Axes
    """
    allowed = "a model with weights_ or a 2-D matrix"
    w = getattr(weights, "weights_", weights)
    if isinstance(w, Parametrized):  # a model without one weight matrix (dense, MLP)
        raise ValidationError(
            "weights",
            described(f"a {type(w).__name__} model, which has no weights_"),
            allowed,
        )
    if sp.issparse(w):
        w = w.toarray()
    w = _numbers(w, "weights", allowed)
    if w.ndim != 2:
        raise ValidationError(
            "weights",
            described(f"an array of shape {w.shape}"),
            allowed,
        )
    _finite(w, "weights")
    colorbar = check_bool(colorbar, "colorbar")
    ax = _axes(ax, figsize=(4.2, 3.5))
    big = float(np.max(np.abs(w))) if w.size else 1.0
    im = _show(ax, w, -big or -1.0, big or 1.0, cmap)
    ax.set_xlabel("presynaptic unit j")
    ax.set_ylabel("postsynaptic unit i")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="w_ij")
    return ax


def overlap_trajectory(result, ax=None, *, cue: int = 0, labels=None, top: int = 6):
    """Overlap of one cue's state with every stored pattern, sweep by sweep.

    Parameters
    ----------
    result : RecallResult or dict
        From ``recall(cues, record=True)`` (or with ``"overlaps"`` recorded), or its
        ``trajectory`` dict.
    ax : matplotlib Axes, optional
    cue : int
        Which cue of the batch.
    labels : list of str, optional
        Names of the stored patterns (``"pattern 0"``, ... by default).
    top : int
        Draw the ``top`` patterns of largest final |overlap| in colour, the rest in
        light grey.

    Returns
    -------
    matplotlib Axes
    """
    m = _trajectory(result, "overlaps")
    k = check_int(cue, "cue", low=-len(m), high=len(m) - 1) % len(m)  # one cue
    m = m[k]  # (T + 1, n_stored)
    top = check_int(top, "top", low=0)
    labels = _labels(labels, m.shape[1], "labels", "stored pattern")
    ax = _axes(ax)
    sweeps = np.arange(len(m))
    order = np.argsort(-np.abs(m[-1]), kind="stable")
    shown = set(order[:top].tolist())
    for mu in range(m.shape[1]):
        if mu not in shown:
            ax.plot(sweeps, m[:, mu], color="0.8", lw=0.8, zorder=1)
    for mu in order[:top]:
        name = labels[mu] if labels is not None else f"pattern {mu}"
        ax.plot(sweeps, m[:, mu], marker="o", ms=3, lw=1.5, label=name, zorder=2)
    ax.set_xlabel("sweep")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("overlap m")
    # A recall made before store has no stored pattern to overlap with: empty axes.
    low = float(m.min()) if m.size else 0.0
    ax.set_ylim(min(-0.05, low - 0.05), 1.05)
    ax.set_title(f"cue {k}" + ("" if m.shape[1] else " (nothing stored)"))
    if m.shape[1] and top:  # top=0: no line is labelled, so no legend
        ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    return ax


def energy_trajectory(result, ax=None, *, cues=None):
    """Energy of each cue's state, sweep by sweep.

    Parameters
    ----------
    result : RecallResult or dict
        From ``recall(cues, record=True)`` (or with ``"energies"`` recorded).
    ax : matplotlib Axes, optional
    cues : int or list of int, optional
        Which cues (all by default).

    Returns
    -------
    matplotlib Axes
    """
    e = _trajectory(result, "energies")
    ax = _axes(ax)
    sweeps = np.arange(e.shape[1])
    for k in _cues(cues, len(e)):
        ax.plot(sweeps, e[k], marker="o", ms=3, label=f"cue {k}")
    ax.set_xlabel("sweep")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("energy E")
    if len(e) <= 10:
        ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    return ax


def recall_grid(cues, recalled, ax=None, *, targets=None, shape=None, cmap: str = "gray_r"):
    """Cues, what was recalled from them, and optionally the targets, one row each.

    Parameters
    ----------
    cues, recalled : ndarray, shape (P, N)
        The cues and ``result.states`` (a RecallResult is accepted for ``recalled``).
    ax : matplotlib Axes, optional
    targets : ndarray, shape (P, N), optional
        The stored patterns the cues came from, drawn as a third row.
    shape : (rows, columns), optional
        Image shape of one pattern (see :func:`pattern_grid`).
    cmap : str

    Returns
    -------
    matplotlib Axes
    """
    c = _as_rows(cues, "cues")
    r = _as_rows(getattr(recalled, "states", recalled), "recalled")
    rows, names = [c, r], ["cue", "recalled"]
    if targets is not None:
        rows.append(_as_rows(targets, "targets"))
        names.append("target")
    for x, name in zip(rows[1:], ["recalled", "targets"], strict=False):
        if x.shape != c.shape:
            raise ValidationError(
                name, described(f"shape {x.shape}"), f"the shape of cues, {c.shape}"
            )
    h, w = _tile_shape(c.shape[1], shape)
    p = len(c)
    ax = _axes(ax, figsize=(min(1.0 * p, 10.0) + 0.9, 1.0 * len(rows) + 0.3))
    vmin, vmax = _range(np.concatenate(rows))
    _show(ax, _mosaic([x for row in rows for x in row], (h, w), p), vmin, vmax, cmap)
    ax.set_yticks([i * (h + 1) + h / 2 - 0.5 for i in range(len(rows))], names)
    ax.tick_params(axis="y", length=0)
    return ax


def _drawn(ax, gid: str) -> bool:
    """Whether a theory line of this id is already on the axes (an overlaid curve)."""
    return any(line.get_gid() == gid for line in ax.get_lines())


def _theory_line(ax, key: str, label: str, x, y) -> None:
    """A theory curve, labelled once however many curves are overlaid on ``ax``."""
    gid = f"neuromem-theory-{key}"
    shown = _drawn(ax, gid)
    ax.plot(x, y, "k:", lw=1, label="_nolegend_" if shown else label, gid=gid)


def _theory_vline(ax, x: float, label: str, ls: str) -> None:
    """A vertical theory line, drawn (and labelled) once per axes and position."""
    gid = f"neuromem-theory-{label}"
    if not _drawn(ax, gid):
        ax.axvline(x, color="grey", ls=ls, lw=1, label=label, gid=gid)


#: The attribute of an Axes recording what its capacity curves hold.
_CAPACITY_VALUE = "_neuromem_capacity_value"


def capacity_curve(
    loads,
    values,
    ax=None,
    *,
    n_units: int | None = None,
    label: str | None = None,
    value: str = "overlap",
    theory: bool = True,
):
    """Recall quality against the load ``alpha = P / N``, with Hebbian theory lines.

    Parameters
    ----------
    loads : sequence of float
        Loads ``P / N``.
    values : sequence of float, or array (len(loads), repeats)
        Mean overlap (or fraction recalled) at each load; with repeats, the mean is
        drawn with its standard error.
    ax : matplotlib Axes, optional
    n_units : int, optional
        ``N``; adds the perfect-recall bound ``1 / (2 ln N)`` (McEliece et al. 1987).
    label : str, optional
        Legend label of the measured curve.
    value : {"overlap", "accuracy"}
        What ``values`` hold (sets the y label; the one-step overlap
        ``erf(sqrt(N / 2P))`` of Hertz, Krogh & Palmer is drawn for overlaps):
        overlaps in [-1, 1], fractions recalled in [0, 1]. Curves overlaid on one
        ``ax`` hold the same value (a mix is a ``ValidationError``).
    theory : bool
        Draw ``alpha_c = 0.138`` (Amit, Gutfreund & Sompolinsky 1985) and the bounds
        above. Curves overlaid on one ``ax`` share them: each theory line is drawn and
        put in the legend once (the one-step curve again, unlabelled, where a later
        curve spans other loads).

    Returns
    -------
    matplotlib Axes
    """
    allowed = "a 1-D sequence of distinct loads P / N > 0"
    a = _axis_values(loads, "loads", allowed)
    if not np.all(a > 0):
        raise ValidationError("loads", loads, allowed)
    v = _numbers(values, "values", f"({len(a)},) or ({len(a)}, repeats) numbers")
    if v.shape[:1] != a.shape or v.ndim > 2:
        raise ValidationError(
            "values", described(f"shape {v.shape}"), f"({len(a)},) or ({len(a)}, repeats)"
        )
    _finite(v, "values")
    value = check_choice(value, "value", ("overlap", "accuracy"))
    low = -1.0 if value == "overlap" else 0.0
    if v.min() < low or v.max() > 1.0:
        raise ValidationError(
            "values",
            described(f"{value} values in [{v.min():g}, {v.max():g}]"),
            f"{value} values in [{low:g}, 1]",
        )
    theory = check_bool(theory, "theory")
    label = _label(label)
    n = None if n_units is None else check_int(n_units, "n_units", low=2)
    ax = _axes(ax)
    # Overlaid curves share one y axis: an overlap and a fraction recalled on it
    # would be read in one unit.
    drawn = getattr(ax, _CAPACITY_VALUE, value)
    if drawn != value:
        raise ValidationError(
            "value",
            value,
            f"{drawn!r}, the value of the capacity curves already on these axes "
            "(draw the other on axes of its own)",
        )
    setattr(ax, _CAPACITY_VALUE, value)
    if v.ndim == 2:
        mean = v.mean(axis=1)
        err = v.std(axis=1, ddof=1) / np.sqrt(v.shape[1]) if v.shape[1] > 1 else None
        ax.errorbar(
            a, mean, yerr=err, marker="o", ms=3, capsize=2, label=label or "measured"
        )
    else:
        ax.plot(a, v, marker="o", ms=3, label=label or "measured")
    if theory:
        grid = np.linspace(a.min(), a.max(), 200)
        if value == "overlap":
            _theory_line(
                ax,
                "one-step",
                "one-step overlap erf(sqrt(N/2P))",
                grid,
                erf(np.sqrt(1.0 / (2.0 * grid))),
            )
        _theory_vline(ax, ALPHA_C, f"alpha_c = {ALPHA_C}", ls="--")
        if n is not None:
            bound = 1.0 / (2.0 * math.log(n))
            _theory_vline(ax, bound, f"perfect recall 1/(2 ln N) = {bound:.3f}", ls="-.")
    ax.set_xlabel("load alpha = P / N")
    ax.set_ylabel({"overlap": "overlap", "accuracy": "fraction recalled"}.get(value, value))
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    return ax


def basin_curve(
    fractions,
    values,
    ax=None,
    *,
    labels=None,
    load: float | None = None,
    value: str = "accuracy",
):
    """Recall against the fraction of flipped cue units (the basin of attraction).

    Parameters
    ----------
    fractions : sequence of float
        Flip fractions of the cues, in [0, 1].
    values : array (len(fractions),) or (curves, len(fractions))
        Fraction recalled (as :func:`neuromem.analysis.recall_rates` returns, one row
        per pattern: pass ``rates.mean(axis=0)`` for the mean) or overlaps.
    ax : matplotlib Axes, optional
    labels : list of str, optional
        One label per curve.
    load : float, optional
        The load ``P / N``; draws the one-step overlap ``erf((1 - 2 f) / sqrt(2 alpha))``
        of a Hebbian network from a cue of overlap ``1 - 2 f`` (Hertz, Krogh & Palmer
        1991), the theory line for overlaps.
    value : {"accuracy", "overlap"}
        What ``values`` hold (sets the y label).

    Returns
    -------
    matplotlib Axes
    """
    allowed = "a 1-D sequence of distinct fractions in [0, 1]"
    f = _axis_values(fractions, "fractions", allowed)
    if not np.all((f >= 0) & (f <= 1)):
        raise ValidationError("fractions", fractions, allowed)
    v = _numbers(values, "values", f"({len(f)},) or (curves, {len(f)}) numbers")
    value = check_choice(value, "value", ("accuracy", "overlap"))
    if v.ndim == 1:
        v = v[None, :]
    if v.ndim != 2 or v.shape[1] != len(f):
        raise ValidationError(
            "values", described(f"shape {v.shape}"), f"({len(f)},) or (curves, {len(f)})"
        )
    _finite(v, "values")
    labels = _labels(labels, len(v), "labels", "curve")
    alpha = (
        None if load is None else check_float(load, "load", low=0.0, low_inclusive=False)
    )
    ax = _axes(ax)
    for k, row in enumerate(v):
        ax.plot(f, row, marker="o", ms=3, label=None if labels is None else labels[k])
    if alpha is not None:
        grid = np.linspace(f.min(), f.max(), 200)
        ax.plot(
            grid,
            erf((1.0 - 2.0 * grid) / np.sqrt(2.0 * alpha)),
            "k:",
            lw=1,
            label=f"one-step overlap, alpha = {alpha:g}",
        )
    ax.set_xlabel("fraction of cue units flipped")
    ax.set_ylabel({"overlap": "overlap", "accuracy": "fraction recalled"}.get(value, value))
    if labels is not None or load is not None:
        ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    return ax
