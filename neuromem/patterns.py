"""Pattern sets to store and cues to recall from, row-wise: ``(n_patterns, n_units)``.

Two encodings are used throughout: bipolar (+/-1) and binary (0/1).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .errors import ValidationError, described
from .memory import check_memory
from .random import SeedLike, as_generator
from .validation import check_float, check_int, check_patterns, infer_encoding

__all__ = [
    "flip",
    "glyphs",
    "mask",
    "random_bipolar",
    "random_sparse",
    "to_binary",
    "to_bipolar",
]


def random_bipolar(
    n_patterns: int, n_units: int, *, bias: float = 0.0, seed: SeedLike = None
) -> np.ndarray:
    """Random +/-1 patterns, each unit +1 with probability ``(1 + bias) / 2``.

    Parameters
    ----------
    n_patterns, n_units : int
        Shape of the set.
    bias : float
        Mean activity in (-1, 1); 0 gives the unbiased patterns of Hopfield theory.
    seed : int, Generator or None
        Random seed.

    Returns
    -------
    ndarray of float64, shape (n_patterns, n_units)
    """
    n_patterns, n_units = _check_shape(n_patterns, n_units)
    bias = check_float(
        bias, "bias", low=-1.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    rng = as_generator(seed)
    return np.where(rng.random((n_patterns, n_units)) < (1 + bias) / 2, 1.0, -1.0)


def _check_shape(n_patterns, n_units) -> tuple[int, int]:
    """Check a set's shape; the set (and the random draws that make it) must fit in
    memory.

    Returns
    -------
    n_patterns, n_units : int
    """
    n_patterns = check_int(n_patterns, "n_patterns", low=1)
    n_units = check_int(n_units, "n_units", low=1)
    check_memory(
        16.0 * n_patterns * n_units,
        "n_patterns",
        n_patterns,
        f"a set of {n_patterns} x {n_units} patterns",
    )
    return n_patterns, n_units


def _choose_per_row(
    rng: np.random.Generator, n_rows: int, n_cols: int, k: int
) -> np.ndarray:
    """Indices of ``k`` distinct columns in each row, ``(n_rows, k)``, uniformly."""
    if k == 0:
        return np.empty((n_rows, 0), dtype=np.int64)
    keys = rng.random((n_rows, n_cols))
    return np.argpartition(keys, k - 1, axis=1)[:, :k]


def random_sparse(
    n_patterns: int,
    n_units: int,
    *,
    coding_level: float | None = None,
    n_active: int | None = None,
    seed: SeedLike = None,
) -> np.ndarray:
    """Random 0/1 patterns with a given coding level.

    Give exactly one of ``coding_level`` (each unit active with that probability) or
    ``n_active`` (exactly that many active units per pattern, as in Willshaw memories).

    Returns
    -------
    ndarray of float64, shape (n_patterns, n_units)
    """
    n_patterns, n_units = _check_shape(n_patterns, n_units)
    if (coding_level is None) == (n_active is None):
        raise ValidationError(
            "coding_level, n_active", (coding_level, n_active), "exactly one of the two"
        )
    rng = as_generator(seed)
    if coding_level is not None:
        a = check_float(coding_level, "coding_level", low=0.0, high=1.0)
        return (rng.random((n_patterns, n_units)) < a).astype(np.float64)
    k = check_int(n_active, "n_active", low=0, high=n_units)
    out = np.zeros((n_patterns, n_units))
    np.put_along_axis(out, _choose_per_row(rng, n_patterns, n_units, k), 1.0, axis=1)
    return out


def to_bipolar(patterns: np.ndarray) -> np.ndarray:
    """0/1 patterns to +/-1 (``2 x - 1``)."""
    x = check_patterns(patterns, "patterns", encoding="binary", allow_1d=True)
    return (2 * x - 1).reshape(np.shape(patterns))


def to_binary(patterns: np.ndarray) -> np.ndarray:
    """+/-1 patterns to 0/1 (``(x + 1) / 2``)."""
    x = check_patterns(patterns, "patterns", encoding="bipolar", allow_1d=True)
    return ((x + 1) / 2).reshape(np.shape(patterns))


def _n_corrupt(fraction: float, n_units: int) -> int:
    fraction = check_float(fraction, "fraction", low=0.0, high=1.0)
    return round(fraction * n_units)


def flip(patterns: np.ndarray, fraction: float, *, seed: SeedLike = None) -> np.ndarray:
    """Corrupt each pattern by flipping exactly ``round(fraction * n_units)`` units.

    +/-1 units change sign; 0/1 units swap. The flipped units are chosen independently
    and uniformly for every row.

    Parameters
    ----------
    patterns : ndarray, shape (P, N)
        +/-1 or 0/1 patterns.
    fraction : float
        Fraction of units to flip, in [0, 1].
    seed : int, Generator or None
        Random seed.

    Returns
    -------
    ndarray
        A corrupted copy.
    """
    x = check_patterns(patterns, "patterns", encoding=("bipolar", "binary"))
    k = _n_corrupt(fraction, x.shape[1])
    rng = as_generator(seed)
    idx = _choose_per_row(rng, x.shape[0], x.shape[1], k)
    out = x.copy()
    picked = np.take_along_axis(out, idx, axis=1)
    binary = infer_encoding(x) == "binary"
    np.put_along_axis(out, idx, (1 - picked) if binary else -picked, axis=1)
    return out


def mask(
    patterns: np.ndarray, fraction: float, *, value: float = 0.0, seed: SeedLike = None
) -> np.ndarray:
    """Hide exactly ``round(fraction * n_units)`` units of each pattern.

    Hidden units are set to ``value`` (0 by default: "unknown" for +/-1 patterns, and
    "inactive" for 0/1 patterns, so a masked sparse cue is a partial cue).

    Returns
    -------
    ndarray
        A masked copy.
    """
    x = check_patterns(patterns, "patterns")
    value = check_float(value, "value")
    k = _n_corrupt(fraction, x.shape[1])
    rng = as_generator(seed)
    out = x.copy()
    np.put_along_axis(out, _choose_per_row(rng, x.shape[0], x.shape[1], k), value, axis=1)
    return out


@lru_cache(maxsize=8)
def _font(family: str, weight: str):
    from matplotlib.font_manager import FontProperties, findfont

    prop = FontProperties(family=family, weight=weight)
    findfont(prop, fallback_to_default=True)
    return prop


@lru_cache(maxsize=4096)
def _glyph(ch: str, size: int, family: str, weight: str) -> np.ndarray:
    from matplotlib.path import Path
    from matplotlib.textpath import TextPath

    out = np.zeros((size, size), dtype=bool)
    if ch.isspace():
        return out
    prop = _font(family, weight)
    # One vertical frame for every character (from "Hg": cap height and descender), so
    # letters keep their relative heights and baselines; each is centred horizontally.
    frame = np.concatenate(TextPath((0, 0), "Hg", size=1.0, prop=prop).to_polygons())
    y0, y1 = frame[:, 1].min(), frame[:, 1].max()
    polys = TextPath((0, 0), ch, size=1.0, prop=prop).to_polygons(closed_only=True)
    if not polys:
        return out
    xs = np.concatenate(polys)[:, 0]
    x_mid = (xs.min() + xs.max()) / 2
    height = y1 - y0
    width = xs.max() - xs.min()
    scale = 0.86 * size / max(height, width)  # a margin of about one pixel at size 16
    ss = 4  # supersampling per pixel side
    grid = (np.arange(size * ss) + 0.5) / ss - size / 2
    gx, gy = np.meshgrid(grid, grid[::-1])
    pts = np.column_stack([gx.ravel() / scale + x_mid, gy.ravel() / scale + (y0 + y1) / 2])
    inside = np.zeros(len(pts), dtype=bool)
    for poly in polys:  # even-odd rule: holes (the inside of "O") are contours too
        inside ^= Path(poly).contains_points(pts)
    coverage = inside.reshape(size, ss, size, ss).mean(axis=(1, 3))
    return coverage >= 0.5


def glyphs(
    text: str, size: int = 16, *, family: str = "DejaVu Sans", weight: str = "bold"
) -> np.ndarray:
    """Characters rasterised into +/-1 patterns, with the font matplotlib ships.

    Each character is drawn from its outline (no rendering backend, no download) into
    a ``size x size`` grid, supersampled, and a pixel is +1 (ink) when at least half of
    it is covered.

    Parameters
    ----------
    text : str
        One pattern per character.
    size : int
        Side of the square grid in pixels (>= 4).
    family, weight : str
        Font (DejaVu Sans ships with matplotlib).

    Returns
    -------
    ndarray of float64, shape (len(text), size * size)
        Row-major pixels, top row first.
    """
    if not isinstance(text, str) or not text:
        raise ValidationError("text", text, "a non-empty string")
    size = check_int(size, "size", low=4)
    # Supersampled points (16 per pixel, a few float64 arrays of them) per glyph.
    check_memory(
        800.0 * size * size + 8.0 * len(text) * size * size,
        "size",
        size,
        "rasterising the glyphs",
    )
    rows = [_glyph(ch, size, family, weight).ravel() for ch in text]
    out = np.where(np.array(rows), 1.0, -1.0)
    blank = ~(out > 0).any(axis=1)
    if blank.any() and not all(text[i].isspace() for i in np.flatnonzero(blank)):
        bad = [text[i] for i in np.flatnonzero(blank) if not text[i].isspace()]
        raise ValidationError(
            "text",
            described(f"characters {bad!r} with no outline in {family}"),
            "characters the font can draw",
        )
    return out
