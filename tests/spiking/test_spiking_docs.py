"""docs/spiking.md: its blocks run in order and draw the images the page shows."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

from neuromem.experiments.assemblies import Assemblies
from neuromem.experiments.engine import read_rows, run
from neuromem.spiking import network

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "spiking.md"


def test_docs_images(capsys, draw_page_images):
    """Run the page's blocks; write each image a block draws (only when it changed)."""
    found = draw_page_images("spiking.md")
    text = PAGE.read_text()
    assert sum(1 for _, img in found if img) == 5
    printed = capsys.readouterr().out
    # What the page says the blocks show.
    assert "uncued half of assembly 0 firing: 5 of 5" in printed, printed
    assert "other neurons firing: 0" in printed, printed
    assert "loaded network goes on identically: True" in printed, printed
    linked = set(re.findall(r"\]\((img/[^)]+)\)", text))
    assert linked == {img for _, img in found if img}


def _table_row(text: str, header: str, first: str) -> list[str]:
    """The cells of the row starting with ``first`` in the table under ``header``."""
    table = text[text.index(header) :]
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == first:
            return cells[1:]
    raise AssertionError(f"no row {first!r} under {header!r}")


def test_docs_tables_are_what_the_code_gives_now(tmp_path):
    """The page's rows for 5 assemblies, rerun: a task's seed depends only on the root
    seed and its coordinates, so the full design's rows come back on their own."""
    proto = Assemblies({"n_assemblies": [5]}, seed=0)
    run(proto, tmp_path, progress=False)
    est, _ = read_rows(tmp_path / "estimates.csv")
    by_cue = {e["cue_fraction"]: e for e in est}
    text = PAGE.read_text()
    half = by_cue[0.5]
    failure = [
        f"{half['completed']:.2f}",
        f"{half['spurious']:.1f}",
        f"{half['recalled']:.2f}",
    ]
    assert _table_row(text, "| assemblies stored |", "5") == failure
    recalled = [
        f"{e['recalled']:.2f} [{e['recalled_low']:.2f}, {e['recalled_high']:.2f}]"
        for e in (by_cue[f] for f in (0.2, 0.3, 0.5, 0.7))
    ]
    weights = f"{half['w_inside']:.2f} / {half['w_outside']:.3f}"
    assert _table_row(text, "| assemblies | recalled,", "5") == [*recalled, weights]


def test_the_network_module_example_holds():
    """The module docstring's example (no doctest run covers the package)."""
    failed, tried = doctest.testmod(network, optionflags=doctest.ELLIPSIS)
    assert tried >= 5 and failed == 0
