"""docs/spiking.md: its blocks run in order and draw the images the page shows."""

from __future__ import annotations

import io
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "spiking.md"
BLOCK_THEN_IMAGE = re.compile(
    r"^```python\n(.*?)^```\n(?:\n!\[[^\]]*\]\((img/[^)]+)\))?", re.S | re.M
)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    return buf.getvalue()


def test_docs_images(capsys):
    """Run the page's blocks; write each image a block draws (only when it changed)."""
    assert matplotlib.get_backend().lower() == "agg"
    text = PAGE.read_text()
    found = BLOCK_THEN_IMAGE.findall(text)
    assert sum(1 for _, img in found if img) == 5
    namespace: dict = {"__name__": "doc_spiking"}
    for code, image in found:
        exec(compile(code, "spiking.md", "exec"), namespace)
        if image:
            target = ROOT / "docs" / image
            data = _png(plt.gcf())
            if not target.exists() or target.read_bytes() != data:
                target.write_bytes(data)
            assert target.read_bytes() == data
        plt.close("all")
    printed = capsys.readouterr().out
    # What the page says the blocks show.
    assert "uncued half of assembly 0 firing: 5 of 5" in printed, printed
    assert "other neurons firing: 0" in printed, printed
    linked = set(re.findall(r"\]\((img/[^)]+)\)", text))
    assert linked == {img for _, img in found if img}
