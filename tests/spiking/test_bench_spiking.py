"""The spiking benchmark runs (smoke mode): its table has every row, no time asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_spiking_smoke():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_spiking.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    ).stdout
    for row in ("anchor loop", "preparation, cold cache", "bytes per plastic synapse",
                "Song et al. loop"):  # fmt: skip
        assert row in out, out
    assert "| neuromem |" in out
