"""Every ```python block of README.md and docs/*.md runs, in order, one namespace per file.

A block whose first line is ``# doc: no-run`` is shown but not run (for shell-like
snippets that need a plugin installed, say). Blocks run in a temporary working directory
so files they write do not land in the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks(page: Path) -> list[str]:
    return [b for b in BLOCK.findall(page.read_text()) if not b.startswith("# doc: no-run")]


def test_every_page_is_found():
    assert (ROOT / "docs" / "index.md") in PAGES
    assert sum(len(blocks(p)) for p in PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_code_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"doc_{page.stem}"}
    for i, code in enumerate(blocks(page)):
        try:
            exec(compile(code, f"{page.name}[block {i}]", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"{page.name}, code block {i} failed: {exc!r}\n{code}"
            ) from exc
        finally:
            plt.close("all")
