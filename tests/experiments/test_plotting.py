"""neuromem.plotting: every function draws on the axes it is given, and the docs images."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import neuromem as nm
import neuromem.plotting as nmp

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "plotting.md"


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _recall(record=True):
    x = nm.patterns.glyphs("AB", size=8)
    mem = nm.create("hopfield", n_units=64, dynamics="async", seed=0).store(x)
    cues = nm.patterns.flip(x, 0.2, seed=1)
    return x, cues, mem, mem.recall(cues, record=record)


def test_pattern_grid_draws_the_patterns():
    x = nm.patterns.glyphs("AB", size=8)
    _, ax = plt.subplots()
    assert nmp.pattern_grid(x, ax=ax, titles=["A", "B"]) is ax
    img = ax.images[0].get_array()
    assert img.shape == (8, 17)  # two 8 x 8 tiles and a one-pixel gap
    np.testing.assert_array_equal(img[:, :8].filled(np.nan), x[0].reshape(8, 8))
    np.testing.assert_array_equal(img[:, 9:].filled(np.nan), x[1].reshape(8, 8))
    assert img.mask[:, 8].all()
    assert [t.get_text() for t in ax.texts] == ["A", "B"]


def test_pattern_grid_shapes_and_errors():
    x = nm.patterns.random_bipolar(5, 12, seed=0)
    ax = nmp.pattern_grid(x, ncols=2)
    assert ax.images[0].get_array().shape == (3 * 4 - 1, 2 * 5 - 1)  # 3 x 4 tiles
    ax = nmp.pattern_grid(x[0], shape=(2, 6))
    assert ax.images[0].get_array().shape == (2, 6)
    with pytest.raises(nm.ValidationError, match="shape"):
        nmp.pattern_grid(x, shape=(5, 5))
    with pytest.raises(nm.ValidationError, match="titles"):
        nmp.pattern_grid(x, titles=["a"])
    with pytest.raises(nm.ValidationError, match="patterns"):
        nmp.pattern_grid(np.full((2, 4), np.nan))
    assert nmp.pattern_grid(np.arange(7.0)).images[0].get_array().shape == (1, 7)  # prime N


def test_weight_matrix_symmetric_limits():
    x, _, mem, _ = _recall()
    ax = nmp.weight_matrix(mem)
    im = ax.images[0]
    np.testing.assert_allclose(im.get_array(), mem.weights_)
    lo, hi = im.get_clim()
    assert lo == -hi == -np.abs(mem.weights_).max()
    assert len(ax.figure.axes) == 2  # the colour bar
    sparse = nm.create("hopfield", n_units=64, sparse=True).store(x)
    ax = nmp.weight_matrix(sparse.weights_, colorbar=False)
    np.testing.assert_allclose(ax.images[0].get_array(), sparse.weights_.toarray())
    with pytest.raises(nm.ValidationError, match="weights"):
        nmp.weight_matrix(np.zeros(3))


def test_trajectory_plots_draw_the_recorded_numbers():
    _, _, _, res = _recall()
    ax = nmp.overlap_trajectory(res, cue=1, labels=["A", "B"])
    lines = {ln.get_label(): ln for ln in ax.lines}
    np.testing.assert_allclose(lines["B"].get_ydata(), res.trajectory["overlaps"][1, :, 1])
    ax = nmp.energy_trajectory(res, cues=[0])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), res.trajectory["energies"][0])
    _, _, _, plain = _recall(record=False)
    with pytest.raises(nm.ValidationError, match="record"):
        nmp.overlap_trajectory(plain)
    with pytest.raises(nm.ValidationError, match="cues"):
        nmp.energy_trajectory(res, cues=[5])


def test_recall_grid_rows():
    x, cues, _, res = _recall()
    ax = nmp.recall_grid(cues, res, targets=x)
    img = ax.images[0].get_array().filled(np.nan)
    assert img.shape == (3 * 9 - 1, 2 * 9 - 1)
    np.testing.assert_array_equal(img[9:17, 9:17], res.states[1].reshape(8, 8))
    np.testing.assert_array_equal(img[18:, :8], x[0].reshape(8, 8))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cue", "recalled", "target"]
    with pytest.raises(nm.ValidationError, match="targets"):
        nmp.recall_grid(cues, res, targets=x[:1])


def test_capacity_and_basin_curves():
    ax = nmp.capacity_curve([0.05, 0.1, 0.2], [[1, 1], [0.99, 1], [0.6, 0.7]], n_units=100)
    labels = [ln.get_label() for ln in ax.lines]
    assert any("0.138" in s for s in labels)
    assert any("1/(2 ln N) = 0.109" in s for s in labels)
    with pytest.raises(nm.ValidationError, match="values"):
        nmp.capacity_curve([0.1, 0.2], [1.0])
    ax = nmp.basin_curve([0.0, 0.2, 0.4], [1.0, 0.9, 0.1], load=0.1)
    theory = ax.lines[-1]
    from scipy.special import erf

    np.testing.assert_allclose(
        theory.get_ydata(), erf((1 - 2 * theory.get_xdata()) / np.sqrt(0.2))
    )
    with pytest.raises(nm.ValidationError, match="fractions"):
        nmp.basin_curve([0.0, 1.5], [1.0, 0.0])


def test_docs_images(draw_page_images):
    """Run docs/plotting.md's blocks in order; write the figure of each block followed
    by an image link to that image (only when its bytes changed)."""
    found = draw_page_images("plotting.md")
    text = PAGE.read_text()
    assert sum(1 for _, img in found if img) >= 7
    # Every image the page links to is drawn by a block.
    linked = set(re.findall(r"\]\((img/[^)]+)\)", text))
    assert linked == {img for _, img in found if img}


def test_bad_input_is_a_validation_error():
    """Models without one weight matrix, non-numbers, a list of cues for ``cue``,
    NaN loads and unknown ``value`` names are refused naming the argument (they used
    to escape as TypeError, ValueError, or be drawn silently)."""
    x = nm.patterns.glyphs("AB", size=8)
    for name in ("dense-hopfield", "modern-hopfield"):
        with pytest.raises(nm.ValidationError, match="weights"):
            nmp.weight_matrix(nm.create(name, n_units=64).store(x))
    with pytest.raises(nm.ValidationError, match="weights"):
        nmp.weight_matrix("abc")
    with pytest.raises(nm.ValidationError, match="patterns"):
        nmp.pattern_grid("abc")
    _, _, _, res = _recall()
    with pytest.raises(nm.ValidationError, match="cue"):
        nmp.overlap_trajectory(res, cue=[0, 1])
    assert nmp.overlap_trajectory(res, cue=-1).get_title() == "cue 1"
    with pytest.raises(nm.ValidationError, match="values"):
        nmp.capacity_curve([0.1, 0.2], [[0.9, 0.8], [1.0]])
    with pytest.raises(nm.ValidationError, match="loads"):
        nmp.capacity_curve([0.1, np.nan], [0.9, 0.8])
    with pytest.raises(nm.ValidationError, match="fractions"):
        nmp.basin_curve([0.0, np.nan], [1.0, 0.9])
    with pytest.raises(nm.ValidationError, match="value"):
        nmp.capacity_curve([0.1, 0.2], [0.9, 0.8], value="bogus")
    with pytest.raises(nm.ValidationError, match="value"):
        nmp.basin_curve([0.0, 0.1], [1.0, 0.9], value="bogus")


def test_top_zero_draws_without_a_legend_warning(recwarn):
    _, _, _, res = _recall()
    ax = nmp.overlap_trajectory(res, top=0)
    assert ax.get_legend() is None
    assert not [w for w in recwarn if "legend" in str(w.message)]


def test_cmap_and_titles_inputs():
    """A bad colormap escaped as matplotlib's KeyError; titles from an iterator as a
    TypeError."""
    x = nm.patterns.glyphs("AB", size=8)
    with pytest.raises(nm.ValidationError, match="cmap"):
        nmp.pattern_grid(x, cmap="nope")
    ax = nmp.pattern_grid(x, titles=iter("AB"))
    assert [t.get_text() for t in ax.texts] == ["A", "B"]


def test_plotting_refuses_junk_arguments_with_validation_errors():
    # Each of these raised ValueError, TypeError, KeyError or AttributeError from numpy
    # or matplotlib (or silently dropped an imaginary part).
    import numpy as np

    import neuromem as nm
    from neuromem import plotting

    x = nm.patterns.random_bipolar(2, 16, seed=0)
    bad = [
        lambda: plotting.capacity_curve(["a", "b"], [1.0, 2.0]),
        lambda: plotting.capacity_curve([0.1, 0.2], "random"),
        lambda: plotting.basin_curve([0.1, 0.2], [1.0 + 1j, 1.0]),
        lambda: plotting.pattern_grid(x.astype(str)),
        lambda: plotting.pattern_grid(x, titles=1j),
        lambda: plotting.pattern_grid(x, cmap="no-such-map"),
        lambda: plotting.weight_matrix(np.ones((3, 3)), cmap=None),
        lambda: plotting.weight_matrix(np.ones((3, 3), dtype=object)),
        lambda: plotting.capacity_curve([0.1, 0.2], [1.0, 1.0], ax=[1]),
    ]
    for fn in bad:
        with pytest.raises(nm.ValidationError):
            fn()


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: nmp.capacity_curve([0.1, 0.2], [1.0, 0.5], theory="no"), "theory"),
        (lambda: nmp.capacity_curve([0.1, 0.2], [1.0, 0.5], label=3), "label"),
        (lambda: nmp.capacity_curve([0.1, 0.1], [1.0, 0.5]), "loads"),
        (lambda: nmp.capacity_curve(5, 5), "loads"),
        (lambda: nmp.capacity_curve([0.1, 0.2], [1.0, np.nan]), "values"),
        (
            lambda: nmp.capacity_curve([0.1, 0.2], [1, 0.5], n_units=2.5, theory=False),
            "n_units",
        ),
        (lambda: nmp.weight_matrix(np.eye(3), colorbar="no"), "colorbar"),
        (lambda: nmp.weight_matrix(np.full((3, 3), np.nan)), "weights"),
        (lambda: nmp.weight_matrix(np.diag([1.0, np.inf, 0.0])), "weights"),
        (lambda: nmp.basin_curve([0.1, 0.1], [1.0, 1.0]), "fractions"),
        (lambda: nmp.basin_curve(0.1, 1.0), "fractions"),
        (lambda: nmp.basin_curve([0.1, 0.2], [1.0, np.inf]), "values"),
        (lambda: nmp.basin_curve([0.1, 0.2], [1.0, 1.0], load="x"), "load"),
        (lambda: nmp.pattern_grid(np.ones((2, 4)), cmap=3), "cmap"),
        (lambda: nmp.pattern_grid(np.ones((2, 4)), ncols=1.5), "ncols"),
        (lambda: nmp.recall_grid(np.ones((2, 4)), np.full((2, 4), np.nan)), "recalled"),
    ],
)
def test_plotting_refuses_junk_naming_the_parameter(call, name):
    """Issue 19: junk switches, NaN weights and duplicate loads were drawn; a scalar
    load raised TypeError."""
    with pytest.raises(nm.ValidationError) as info:
        call()
    assert info.value.param == name
    plt.close("all")
