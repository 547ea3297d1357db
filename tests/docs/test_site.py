"""The documentation site builds strictly (warnings are errors) with every page and module.

Needs MkDocs and mkdocstrings (in the ``test`` extra); skipped without them. The build
takes a few seconds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_no_hand_written_nav():
    """Pages are auto-discovered: a nav listing pages would miss the next new one."""
    config = (ROOT / "mkdocs.yml").read_text()
    assert not any(line.startswith("nav:") for line in config.splitlines())


def test_strict_site_build(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for page in (ROOT / "docs").glob("*.md"):
        out = site / ("index.html" if page.stem == "index" else f"{page.stem}/index.html")
        assert out.exists(), f"{page.name} is not in the site"
        if page.stem != "references":
            assert 'href="../references/"' in out.read_text() or (
                page.stem == "index" and 'href="references/"' in out.read_text()
            ), f"{page.name} does not link to the references"
    sys.path.insert(0, str(ROOT))
    try:
        from docs_hooks import modules
    finally:
        sys.path.remove(str(ROOT))
    for name in modules():
        html = (site / "api" / name / "index.html").read_text()
        assert f"<code>{name}</code>" in html
    # The reference is rendered from the docstrings, parameters included.
    html = (site / "api" / "neuromem.models.hopfield" / "index.html").read_text()
    assert "Hopfield associative memory" in html and "record_energy" in html


def test_hook_adds_the_references_link():
    sys.path.insert(0, str(ROOT))
    try:
        from docs_hooks import on_page_markdown
    finally:
        sys.path.remove(str(ROOT))

    class File:
        def __init__(self, src):
            self.src_uri = src

    class Page:
        def __init__(self, src):
            self.file = File(src)

    out = on_page_markdown("# New page\n\ntext\n", Page("new.md"), None, None)
    assert out.endswith("References: [references](references.md).\n")
    same = "# Page\n\nSee [references](references.md).\n"
    assert on_page_markdown(same, Page("old.md"), None, None) == same
    assert on_page_markdown("# x\n", Page("api/neuromem.md"), None, None) == "# x\n"
