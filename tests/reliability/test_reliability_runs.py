"""Reliability of sweeps: resume checks, torn tables, locks, CLI errors, kills, Dask."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import neuromem as nm
from neuromem.cli import main
from neuromem.experiments import (
    IDENTITY_COLUMNS,
    Experiment,
    read_results,
    read_run,
    run,
    runner,
)

TINY = {
    "name": "tiny",
    "models": [{"name": "hopfield"}, {"name": "linear-associator"}],
    "patterns": [{"n_units": 40}],
    "loads": [0.05, 0.1],
    "noise": [0.0, 0.2],
    "seed": 4,
}

SLOW_TOML = """
name = "slow"
loads = [0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16]
noise = [0.1, 0.3]
repeats = 3
seed = 11

[[models]]
name = "hopfield"
params = { dynamics = "async" }

[[patterns]]
kind = "random_bipolar"
n_units = 200
"""


def identity(rows):
    return [tuple(r[c] for c in IDENTITY_COLUMNS) for r in rows]


def _lines(folder):
    return (Path(folder) / "results.csv").read_bytes().split(b"\n")


# -- resume --------------------------------------------------------------------------


def test_resume_recomputes_rows_that_are_not_their_trial(tmp_path):
    exp = Experiment.from_dict(TINY)
    ref = run(exp, tmp_path / "ref", progress=False)
    out = tmp_path / "edited"
    run(exp, out, progress=False)
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    head = rows[0]
    rows[1][head.index("model")] = "mlp"  # another model
    rows[2][head.index("load")] = "0.5"  # another load
    rows[3][head.index("seed")] = "12345"  # another seed
    rows[4][head.index("overlap")] = "-1.0"  # a result only: cannot be detected, kept
    with open(out / "results.csv", "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    resumed = run(exp, out, resume=True, progress=False)
    assert read_run(out)["resumed_rows"] == len(ref) - 3
    assert identity(resumed[:3]) == identity(ref[:3])
    assert resumed[3]["overlap"] == -1.0


@pytest.mark.parametrize(
    "tail",
    [
        "é".encode()[:1],  # torn inside a two-byte character
        "\n1,hopfield,ré".encode()[:-1],  # a new line torn inside a character
        b'\x00\xff\xfe\x80garbage,"\n\x9c\x00\n',  # binary garbage, with newlines
    ],
    ids=["mid-char", "line-mid-char", "garbage"],
)
def test_resume_drops_torn_or_garbage_lines(tmp_path, tail):
    exp = Experiment.from_dict(TINY)
    ref = run(exp, tmp_path / "ref", progress=False)
    out = tmp_path / "torn"
    run(exp, out, progress=False)
    lines = _lines(out)
    # Keep 3 rows, then append the damage, as a kill mid-write (or a bad disk) leaves it.
    (out / "results.csv").write_bytes(b"\n".join(lines[:4]) + b"\n" + tail)
    resumed = run(exp, out, resume=True, progress=False)
    assert identity(resumed) == identity(ref)
    assert read_run(out)["resumed_rows"] == 3
    with pytest.raises(nm.ValidationError, match="line"):
        (out / "results.csv").write_bytes(b"\n".join(lines[:4]) + b"\n" + tail + b"\n")
        read_results(out, strict=True)


# -- the folder lock, user files, permissions -------------------------------------------


def test_a_folder_in_use_is_refused(tmp_path):
    from filelock import FileLock

    out = tmp_path / "busy"
    out.mkdir()
    with FileLock(str(out / runner.LOCK)):
        with pytest.raises(nm.ValidationError, match="another run") as err:
            run(Experiment.from_dict(TINY), out, progress=False)
        assert err.value.param == "out"
    run(Experiment.from_dict(TINY), out, progress=False)  # free again


def test_two_different_experiments_into_one_folder(tmp_path):
    spec = tmp_path / "slow.toml"
    spec.write_text(SLOW_TOML)
    out = tmp_path / "shared"
    proc = subprocess.Popen(
        [sys.executable, "-m", "neuromem.cli", "run", str(spec), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        table = out / "results.csv"
        while time.monotonic() < deadline and not (
            table.exists() and table.read_bytes().count(b"\n") >= 2
        ):
            time.sleep(0.02)
        assert table.exists()
        with pytest.raises(nm.ValidationError, match="another run"):
            run(Experiment.from_dict(TINY), out, progress=False, force=True)
    finally:
        proc.kill()
        proc.wait()
    # The first run's folder is untouched by the second: its own run.json, its rows.
    assert read_run(out)["experiment"]["name"] == "slow"
    assert all(r["model"] == "hopfield(dynamics=async)" for r in read_results(out))


def test_user_files_without_run_json_are_not_overwritten(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "capacity.png").write_bytes(b"my figure")
    assert main(["run", "capacity", "--quick", "--out", str(out)]) == 2
    assert "other files" in capsys.readouterr().err
    assert (out / "capacity.png").read_bytes() == b"my figure"


def test_output_files_respect_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        run(Experiment.from_dict(TINY), tmp_path / "r", progress=False)
    finally:
        os.umask(old)
    for name in ("results.csv", "run.json"):
        assert (tmp_path / "r" / name).stat().st_mode & 0o777 == 0o640


# -- the command line ----------------------------------------------------------------


def test_seed_and_quick_apply_to_toml_files(tmp_path):
    spec = tmp_path / "slow.toml"
    spec.write_text(SLOW_TOML)
    assert (
        main(
            [
                "run",
                str(spec),
                "--out",
                str(tmp_path / "a"),
                "--no-plot",
                "--seed",
                "7",
                "--quick",
            ]
        )
        == 0
    )
    meta = read_run(tmp_path / "a")
    assert meta["seed"] == 7 and meta["experiment"]["seed"] == 7
    assert meta["invocation"] == {"seed": 7, "quick": True}
    assert meta["experiment"]["repeats"] == 1
    assert meta["experiment"]["loads"] == [0.02, 0.16]
    assert meta["n_trials"] == 4 and meta["blas_threads"] == runner.BLAS_THREADS
    rows = read_results(tmp_path / "a")
    exp = Experiment.from_dict(meta["experiment"])
    assert [r["seed"] for r in rows] == [t.seed(7) for t in exp.trials()]


def _cli_error(capsys, argv, code=2):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.startswith("neuromem: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_cli_user_errors_are_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NEUROMEM_DASK_TIMEOUT", "1")
    afile = tmp_path / "file"
    afile.write_text("x")
    quick = ["run", "capacity", "--quick", "--no-plot"]
    _cli_error(capsys, [*quick, "--scheduler", "bogus", "--out", str(tmp_path / "a")])
    _cli_error(
        capsys, [*quick, "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "b")]
    )
    _cli_error(capsys, [*quick, "--out", str(afile / "x")])
    _cli_error(capsys, [*quick, "--out", str(afile)])
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if not os.access(ro, os.W_OK):  # root can write anywhere
        _cli_error(capsys, [*quick, "--out", str(ro / "x")])
    _cli_error(capsys, ["demo", "--out", str(afile)])
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "results.csv").write_bytes(os.urandom(300))
    _cli_error(capsys, ["plot", str(junk)])
    (junk / "run.json").write_text("{not json")
    _cli_error(capsys, ["plot", str(junk)])
    (junk / "run.json").write_text(json.dumps({"experiment": 5}))
    _cli_error(capsys, ["plot", str(junk)])


def test_junk_run_json_and_junk_tables_are_one_line_errors(tmp_path, capsys):
    # Bytes that are not UTF-8 (or JSON nested too deeply to parse) in run.json, and
    # junk in the tables of a compare or study folder: a user error, never a crash.
    from neuromem.experiments.compare import EVALUATION_COLUMNS, SUMMARY_COLUMNS

    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "run.json").write_bytes(b"\xfa\xfb" + os.urandom(100))
    _cli_error(capsys, ["plot", str(junk)])
    _cli_error(capsys, ["run", "capacity", "--quick", "--out", str(junk)])
    _cli_error(capsys, ["compare", "--quick", "--out", str(junk)])
    (junk / "run.json").write_text("[" * 100_000 + "]" * 100_000)
    _cli_error(capsys, ["plot", str(junk)])

    cmp = tmp_path / "cmp"
    cmp.mkdir()
    (cmp / "run.json").write_text(json.dumps({"format": "neuromem-compare"}))
    (cmp / "summary.csv").write_bytes(b"a,b\n\xfa\xfb,2\n")
    (cmp / "evaluations.csv").write_text("a,b\n1,2\n")
    _cli_error(capsys, ["plot", str(cmp)])
    (cmp / "summary.csv").write_text("a,b\n1,2\n")
    _cli_error(capsys, ["plot", str(cmp)])
    (cmp / "summary.csv").write_text(",".join(SUMMARY_COLUMNS) + "\nx\n")
    (cmp / "evaluations.csv").write_text(",".join(EVALUATION_COLUMNS) + "\n")
    assert "wrong length" in _cli_error(capsys, ["plot", str(cmp)])

    study = tmp_path / "study"
    study.mkdir()
    meta = {"format": "neuromem-study", "experiment": {"name": "consolidation"}}
    (study / "run.json").write_text(json.dumps(meta))
    (study / "results.csv").write_bytes(b"epoch,condition\n\xfa,1\n")
    _cli_error(capsys, ["plot", str(study)])
    (study / "results.csv").write_text("epoch,condition\n1\n")
    assert "wrong length" in _cli_error(capsys, ["plot", str(study)])
    (study / "results.csv").write_text("a,b\n1,2\n")
    _cli_error(capsys, ["plot", str(study)])
    (study / "run.json").write_text(json.dumps({**meta, "experiment": 5}))
    _cli_error(capsys, ["plot", str(study)])


@pytest.mark.parametrize("models", ["", ",,,", " , "])
def test_compare_with_an_empty_model_list_is_a_user_error(tmp_path, capsys, models):
    # Selected nothing: an internal error (TypeError formatting the empty table) before.
    argv = ["compare", "--quick", "--models", models, "--out", str(tmp_path / "c")]
    assert "models" in _cli_error(capsys, argv)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_out_in_proc_is_not_reported_as_a_folder_in_use(capsys):
    # filelock times out when it cannot create its file: the message said that
    # "another run is writing now".
    err = _cli_error(capsys, ["run", "capacity", "--quick", "--out", "/proc"])
    assert "cannot be written" in err and "another run" not in err


def test_plot_refuses_unparsable_rows_and_all_nan(tmp_path, capsys):
    out = tmp_path / "r"
    run(Experiment.from_dict(TINY), out, progress=False)
    good = (out / "results.csv").read_bytes()
    (out / "results.csv").write_bytes(good + b"3,garbage\n")
    assert "line" in _cli_error(capsys, ["plot", str(out)])
    (out / "results.csv").write_bytes(good)
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        for c in ("overlap", "overlap_min", "overlap_first", "overlap_last", "accuracy"):
            r[c] = "nan"
    with open(out / "results.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    assert "no result" in _cli_error(capsys, ["plot", str(out)])


# -- kills ------------------------------------------------------------------------------


def _descendants(pid):
    kids = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            out.append(k)
            todo.append(k)
    return out


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_sigkill_of_a_jobs_run_leaves_no_worker(tmp_path):
    spec = tmp_path / "slow.toml"
    spec.write_text(SLOW_TOML)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "neuromem.cli",
            "run",
            str(spec),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--no-plot",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    table = out / "results.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if table.exists() and table.read_bytes().count(b"\n") >= 3:
            break
        time.sleep(0.02)
    workers = _descendants(proc.pid)
    assert workers, "the run started no worker"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    left = [p for p in workers if _alive(p)]
    for p in left:  # never leave them behind, even when the test fails
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)
    assert not left


# -- a real Dask cluster ------------------------------------------------------------


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_dask_cluster_gives_the_serial_rows(tmp_path):
    pytest.importorskip("distributed", reason="Dask's distributed scheduler is absent")
    dask = Path(sys.executable).with_name("dask")
    if not dask.exists():
        pytest.skip("the dask command is absent")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [
        subprocess.Popen(
            [
                str(dask),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                ":0",
                "--no-show",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(dask),
                    "worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--dashboard-address",
                    ":0",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=30)
        exp = Experiment.from_dict({**TINY, "loads": [0.05, 0.15], "repeats": 2})
        serial = run(exp, tmp_path / "serial", progress=False)
        cluster = run(exp, tmp_path / "cluster", scheduler=address, progress=False)
        assert identity(cluster) == identity(serial)
        assert read_run(tmp_path / "cluster")["blas_threads"] == runner.BLAS_THREADS
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
