"""The command line: ``neuromem list`` and ``neuromem demo``."""

import subprocess
import sys
from pathlib import Path

import pytest

from neuromem.cli import main


def test_list_shows_builtins(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "models:\n" in out and "  hopfield\n" in out
    assert "rules:\n" in out and "  hebbian\n" in out and "  pseudoinverse\n" in out


SCRIPT = Path(sys.executable).parent / "neuromem"


@pytest.mark.skipif(
    not SCRIPT.exists(), reason="neuromem is not installed in this environment"
)
def test_console_script_is_installed():
    out = subprocess.run([str(SCRIPT), "list"], capture_output=True, text=True, check=True)
    assert "hopfield" in out.stdout


def test_demo_writes_figure_and_recalls_letters(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "recalled 6/6 letters from 20% noise" in out
    png = tmp_path / "demo.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_errors_are_reported_not_raised(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--noise", "1.5"]) == 2
    err = capsys.readouterr().err
    assert "--noise" in err and "fraction in [0, 1]" in err


def test_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "neuromem.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("neuromem ")
