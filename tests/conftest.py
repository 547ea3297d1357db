"""Shared fixtures. Tests use fixed seeds and never the global numpy random state."""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import tomllib
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from neuromem.registry import models, rules

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
# Runs given no jobs use every core by default; the suite runs them in-process (one
# worker start-up per run would cost more than the tests' small runs): tests of the
# executors ask for their workers, and tests of the default unset this.
os.environ.setdefault("NEUROMEM_JOBS", "1")


@pytest.fixture
def rng():
    """A seeded generator for test data."""
    return np.random.default_rng(12345)


#: A page's python blocks, each with the image link that follows it (if any).
BLOCK_THEN_IMAGE = re.compile(
    r"^```python\n(.*?)^```\n(?:\n!\[[^\]]*\]\((img/[^)]+)\))?", re.S | re.M
)
DOCS = Path(__file__).resolve().parents[1] / "docs"


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    return buf.getvalue()


@pytest.fixture
def draw_page_images():
    """``draw(page)``: run ``docs/PAGE``'s python blocks in order and write the figure
    of each block followed by an image link to that image (only when its bytes
    changed); returns the page's ``(code, image)`` pairs."""
    import matplotlib.pyplot as plt

    def draw(page: str) -> list[tuple[str, str]]:
        assert matplotlib.get_backend().lower() == "agg"
        found = BLOCK_THEN_IMAGE.findall((DOCS / page).read_text())
        namespace: dict = {"__name__": f"doc_{Path(page).stem}"}
        for code, image in found:
            exec(compile(code, page, "exec"), namespace)
            if image:
                target = DOCS / image
                data = _png(plt.gcf())
                if not target.exists() or target.read_bytes() != data:
                    target.write_bytes(data)
                assert target.read_bytes() == data
            plt.close("all")
        return found

    return draw


@pytest.fixture(autouse=True)
def _global_random_state_untouched():
    """Fail any test after which numpy's global random state has changed."""
    before = np.random.get_state()[1].copy()
    yield
    assert np.array_equal(np.random.get_state()[1], before), (
        "numpy's global random state was used"
    )


# -- plugins: a site directory with installed distributions ----------------------------
PLUGIN_SRC = Path(__file__).parent / "plugin_dist"


def _install_metadata(tmp: Path, src: Path, name: str, entry_points: dict) -> None:
    """Write a ``.dist-info`` the way an installer would, next to the package."""
    dist = tmp / f"{name.replace('-', '_')}-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    lines = []
    for group, eps in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{k} = {v}" for k, v in eps.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    if src is not None:
        shutil.copytree(src, tmp / src.name)


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A fresh site directory on sys.path; registries are reloaded before and after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    models.reload()
    rules.reload()
    yield tmp_path
    for mod in [m for m in sys.modules if m.startswith("neuromem_toy_plugin")]:
        del sys.modules[mod]
    models.reload()
    rules.reload()


@pytest.fixture
def toy_plugin(site):
    meta = tomllib.loads((PLUGIN_SRC / "pyproject.toml").read_text())["project"]
    _install_metadata(
        site, PLUGIN_SRC / "neuromem_toy_plugin", meta["name"], meta["entry-points"]
    )
    return site


@pytest.fixture
def install_metadata():
    """Writes a distribution's ``.dist-info`` into a site directory."""
    return _install_metadata
