"""Command line: list with experiments, run --help, describe, usage errors, progress."""

from __future__ import annotations

import argparse
import io
import json
import re
import time

import pytest

from neuromem import clitools
from neuromem.cli import main
from neuromem.experiments.builtin import BUILTINS


def test_list_shows_experiments(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "experiments (neuromem run NAME):" in out
    for name in BUILTINS:
        assert f"\n  {name:<12}" in out
        assert re.search(rf"\n  {name}  +\S", out), name  # a gap before the summary


def test_run_help_lists_experiments(capsys):
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    assert "built-in experiments:" in out
    for name in BUILTINS:
        assert f"  {name:<12}" in out
        assert re.search(rf"\n  {name}  +\S", out), name  # a gap before the summary
    assert "--quiet" in out and "NEUROMEM_JOBS" in out
    assert re.search(
        r"--jobs JOBS +worker processes \(default: NEUROMEM_JOBS, else the", out
    )


def test_top_level_help_lists_no_stale_experiments(capsys):
    # It said "(capacity, noise, basins, forgetting, topology)": two were missing.
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "forgetting, topology)" not in out and "run --help lists them" in out


def test_demo_help_shows_defaults(capsys):
    assert main(["demo", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for flag, default in [("--noise", "0.2"), ("--size", "16"), ("--letters", "NEUROM"),
                          ("--seed", "0"), ("--out", "results/demo")]:  # fmt: skip
        assert f"{flag.upper()[2:]} " in out and f"(default: {default})" in out


@pytest.mark.parametrize("command", ["demo", "run", "compare", "describe"])
def test_wrong_flag_prints_the_subcommands_usage(command, capsys):
    argv = [command, "--no-such-flag"] + (["hopfield"] if command == "describe" else [])
    if command == "run":
        argv.append("capacity")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: neuromem {command} ")
    assert f"neuromem {command}: error: unrecognized arguments: --no-such-flag" in err


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["demo", "--noise", "1.5"], "--noise"),
        (["demo", "--noise", "lots"], "--noise"),
        (["demo", "--size", "2"], "--size"),
        (["demo", "--seed", "-1"], "--seed"),
    ],
)
def test_bad_values_name_the_flag(argv, flag, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"argument {flag}:" in err and "fraction:" not in err


def test_library_errors_are_translated_to_flags(tmp_path, capsys):
    # No letters fails in patterns.glyphs, which names its parameter "text".
    assert main(["demo", "--out", str(tmp_path), "--letters", ""]) == 2
    err = capsys.readouterr().err
    assert err.startswith("neuromem: error: --letters: ")
    from neuromem.errors import ValidationError

    exc = ValidationError("fraction", 1.5, "a fraction")
    assert clitools.flag_message(exc, "demo") == "--noise: got 1.5; expected a fraction"
    assert clitools.flag_message(exc, "plot") == str(exc)


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["compare", "--repeats", "1"], "--repeats"),
        (["compare", "--models", "bogus"], "--models"),
        (["plot"], "RESULTS"),
    ],
)
def test_compare_and_plot_errors_name_the_flag(argv, flag, capsys, tmp_path):
    # compare said "repeats: got 1", "models: got 'bogus'"; plot "results: got ...".
    out = tmp_path / "out"
    assert main([*argv, str(out) if argv == ["plot"] else f"--out={out}"]) == 2
    assert capsys.readouterr().err.startswith(f"neuromem: error: {flag}: ")


def test_describe_model_and_rule(capsys):
    assert main(["describe", "bcm"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("bcm  (rule neuromem.rules.bcm.BCM, from neuromem)")
    assert "  tau            default 10.0\n" in out
    assert "in presentations" in out  # the unit, from the parameter's docstring
    assert "  learning_rate  default 1.0\n" in out  # inherited, documented by the base
    assert "Scale of every change" in out
    assert "references: Bienenstock, Cooper & Munro 1982" in out
    assert main(["describe", "hopfield"]) == 0
    out = capsys.readouterr().out
    assert "  n_units" in out and "default required" in out
    assert "Hopfield 1982" in out and "in units of the local field" in out


def test_describe_a_name_that_is_both(capsys):
    assert main(["describe", "hebbian"]) == 0
    out = capsys.readouterr().out
    assert "(model neuromem.models.hebbian.HebbianMemory" in out
    assert "(rule neuromem.rules.hebbian.Hebbian" in out
    assert main(["describe", "hebbian", "--kind", "rule"]) == 0
    assert "(model " not in capsys.readouterr().out


def test_describe_unknown_name(capsys):
    assert main(["describe", "hopfeld"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("neuromem: error: NAME: got 'hopfeld'") and "hopfield" in err


def test_describe_with_kind_lists_only_that_kind(capsys):
    # The list of allowed names used to mix models into "a rule name: one of ...".
    assert main(["describe", "--kind", "rule", "hopfield"]) == 2
    err = capsys.readouterr().err
    assert "a rule name: one of" in err and "storkey" in err
    assert "hopfield" not in err.split("one of")[1] and "mlp" not in err


def test_progress_lines_count_written_rows(tmp_path):
    stream = io.StringIO()
    (tmp_path / "run.json").write_text(json.dumps({"n_trials": 4}))
    (tmp_path / "results.csv").write_text("trial,model\n0,a\n1,a\n")
    with clitools.progress_lines(tmp_path, interval=0.02, stream=stream) as p:
        deadline = time.monotonic() + 5.0
        while "progress:" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert p.counts() == (2, 4)
    assert stream.getvalue().splitlines()[0].startswith("progress: 2/4 trials (50%), ")
    quiet = io.StringIO()
    with clitools.progress_lines(tmp_path / "missing", interval=0.01, stream=quiet) as p:
        time.sleep(0.05)
        assert p.counts() is None
    assert quiet.getvalue() == ""  # nothing before the run starts writing


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_only_when_not_a_terminal_and_not_quiet(tmp_path):
    args = argparse.Namespace(command="run", experiment="capacity", out=None, quiet=False)
    assert clitools.progress_folder(args).as_posix() == "results/capacity"
    assert clitools.wants_progress_lines(args, io.StringIO())
    assert not clitools.wants_progress_lines(args, _Tty())
    args.quiet = True
    assert not clitools.wants_progress_lines(args, io.StringIO())
    demo = argparse.Namespace(command="demo", quiet=False)
    assert not clitools.wants_progress_lines(demo, io.StringIO())


def test_run_prints_progress_lines_unless_quiet(tmp_path, capsys, monkeypatch):
    spec = tmp_path / "tiny.toml"
    spec.write_text(
        'name = "tiny"\nloads = [0.05, 0.1]\nrepeats = 2\nseed = 1\n'
        '[[models]]\nname = "hopfield"\n[[patterns]]\nkind = "random_bipolar"\n'
        "n_units = 40\n"
    )
    monkeypatch.setattr(clitools, "PROGRESS_INTERVAL", 0.001)
    assert main(["run", str(spec), "--out", str(tmp_path / "a"), "--no-plot"]) == 0
    out = capsys.readouterr().out
    assert "progress: " in out and "/4 trials" in out
    assert (
        main(["run", str(spec), "--out", str(tmp_path / "b"), "--no-plot", "--quiet"]) == 0
    )
    out = capsys.readouterr().out
    assert "progress:" not in out and "4 trials (0 failed)" in out


def test_compare_prints_progress_lines_unless_quiet(tmp_path, capsys, monkeypatch):
    """compare writes no results.csv while it runs: its progress lines used to read
    nothing and print nothing; it now reports its searches."""
    monkeypatch.setattr(clitools, "PROGRESS_INTERVAL", 0.001)
    argv = ["compare", "--quick", "--models", "hopfield-storkey", "--repeats", "2"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "progress:" in ln]
    assert lines and all(re.search(r"progress: \d+/4 searches", ln) for ln in lines)
    assert main([*argv, "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert "progress:" not in capsys.readouterr().out


def test_output_into_a_closed_pipe_stops_quietly():
    """``neuromem describe hopfield | head -1`` printed a BrokenPipeError traceback."""
    import subprocess
    import sys

    code = "import sys; from neuromem.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "describe", "hebbian"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_describe_refuses_names_and_kinds_that_are_not_strings():
    # An unhashable name (a dict, a list, an array) raised TypeError or ValueError
    # inside ``name in reg.names()``.
    import numpy as np

    import neuromem as nm

    for name in ({}, [1], slice(1), np.array([1, 2])):
        with pytest.raises(nm.ValidationError):
            clitools.describe(name)
    for kind in ({}, np.array([1, 2]), "x"):
        with pytest.raises(nm.ValidationError):
            clitools.describe("hopfield", kind=kind)
