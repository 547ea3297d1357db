"""What a reviewer of issue 17 found in the engine: text fields with line breaks,
``tasks()`` of the wrong shape, ``--no-plot`` on compare, the folder guard's message,
``neuromem plot`` of a grid with a script-registered model, and the CLI's listings."""

from __future__ import annotations

from typing import ClassVar

import pytest

import neuromem as nm
from neuromem.experiments import Experiment, read_results, run
from neuromem.experiments.engine import Output, Protocol, read_frame, read_rows, write_table
from neuromem.models.base import KeepsPatterns
from neuromem.registry import models

# -- text fields with line breaks ---------------------------------------------------------

TEXTS = ["solver failed:\n  matrix is singular", 'a "q",\r\nb', "end\n", "\n", "x\ry", ""]


def test_text_with_line_breaks_reads_back_as_written(tmp_path):
    rows = [{"i": i, "s": s, "x": i / 3} for i, s in enumerate(TEXTS)]
    path = write_table(tmp_path / "t.csv", rows)
    for strict in (True, False):
        back, damaged = read_rows(path, {"i": int, "s": str, "x": float}, strict=strict)
        assert back == rows and not damaged
    assert read_frame(path)["s"].tolist() == TEXTS


def test_a_torn_record_with_a_line_break_is_dropped_alone(tmp_path):
    rows = [{"i": 0, "s": "one\ntwo"}, {"i": 1, "s": "three"}]
    path = write_table(tmp_path / "t.csv", rows)
    whole = path.read_bytes()
    # A kill in the middle of appending a two-line record, and garbage with a quote
    # followed by a whole row.
    path.write_bytes(whole + b'2,"four\nfi')
    assert read_rows(path, strict=False) == (rows, True)
    path.write_bytes(whole + b'x,"\n3,six\n')
    assert read_rows(path, strict=False) == ([*rows, {"i": 3, "s": "six"}], True)
    with pytest.raises(nm.ValidationError, match="line 5 does not parse"):
        read_rows(path)


class _Broken(KeepsPatterns, nm.Memory):
    """A model whose store fails with a message of two lines."""

    def __init__(self, n_units: int, seed=None):
        self.n_units = n_units
        self.seed = seed

    def store(self, patterns, targets=None):
        raise RuntimeError("solver failed:\n  matrix is singular")

    def recall(self, cues, *, record=None):
        raise RuntimeError("never reached")


@pytest.fixture
def broken_model():
    nm.register_model("broken-review", _Broken)
    yield "broken-review"
    models.reload()


def test_a_multi_line_error_reads_back_whole_in_both_readers(tmp_path, broken_model):
    exp = Experiment(
        "b",
        models=[{"name": "hopfield"}, {"name": broken_model}],
        patterns=[{"n_units": 32}],
        loads=[0.1],
        seed=0,
    )
    run(exp, tmp_path, progress=False)
    frame = read_frame(tmp_path / "results.csv")
    errors = [e for e in frame["error"] if e]
    assert len(errors) == 1 and errors[0].endswith("solver failed:\n  matrix is singular")
    assert [r["error"] for r in read_results(tmp_path)] == frame["error"].tolist()
    resumed = run(exp, tmp_path, resume=True, progress=False)
    assert [r["error"] for r in resumed] == frame["error"].tolist()


# -- --no-plot ------------------------------------------------------------------------------


def test_run_compare_no_plot_draws_nothing(tmp_path, capsys, monkeypatch):
    from neuromem.cli import main
    from neuromem.experiments.compare.protocol import Compare

    def small(cls, quick=False, seed=0, notes=None):  # the preset, on two models
        return cls({"quick": quick, "repeats": 2, "models": ["hebbian", "mlp"]}, seed)

    monkeypatch.setattr(Compare, "preset", classmethod(small))
    out = tmp_path / "c"
    assert main(["run", "compare", "--quick", "--out", str(out), "--no-plot"]) == 0
    files = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    assert {"summary.csv", "evaluations.csv", "run.json"} <= files
    assert not [f for f in files if f.endswith((".png", ".html")) or "/" in f]
    assert main(["plot", str(out)]) == 0
    assert (out / "capacity.png").is_file()
    capsys.readouterr()


# -- tasks() of the wrong shape ------------------------------------------------------------


class _Tasks(Protocol):
    """A protocol whose tasks are whatever ``kind`` asks for."""

    name = "tasks-review"
    defaults: ClassVar[dict] = {"kind": "ints", "label": ""}

    def tasks(self):
        return {
            "ints": lambda: [0, 1, 2],
            "generator": lambda: ((i,) for i in range(3)),
            "objects": lambda: [(0,), (object(),)],
            "tuples": lambda: [(0,), (1,)],
        }[self.params["kind"]]()

    def task(self, index):
        return {"trial": index}

    def reduce(self, results):
        return Output({"results": results})


@pytest.mark.parametrize(
    ("kind", "param"),
    [("ints", "tasks[0]"), ("generator", "tasks"), ("objects", "tasks[1]")],
)
def test_tasks_of_the_wrong_shape_are_refused_before_writing(tmp_path, kind, param):
    out = tmp_path / "t"
    with pytest.raises(nm.ValidationError, match="a list of tuples") as err:
        run(_Tasks({"kind": kind}), out, progress=False)
    assert err.value.param == param
    assert not out.exists()
    assert run(_Tasks({"kind": "tuples"}), out, progress=False) == [
        {"trial": 0},
        {"trial": 1},
    ]


# -- the folder guard's message --------------------------------------------------------------


def test_the_folder_guard_names_what_differs(tmp_path):
    out = tmp_path / "t"
    run(_Tasks({"kind": "tuples"}, seed=0), out, progress=False)
    cases = [
        (_Tasks({"kind": "tuples"}, seed=1), "of 'tasks-review', seed: 0 there, 1 here"),
        (
            _Tasks({"kind": "tuples", "label": "x" * 50}),
            "of 'tasks-review', params.label: '' there, '" + "x" * 36 + "... here",
        ),
        (_Other({"kind": "tuples"}), "of 'tasks-review', not 'other-review'"),
    ]
    for protocol, text in cases:
        with pytest.raises(nm.ValidationError) as err:
            run(protocol, out, resume=True, progress=False)
        assert f"holds a different run ({text})" in str(err.value)


class _Other(_Tasks):
    name = "other-review"


# -- neuromem plot of a grid with a model registered by a script --------------------------


def test_plot_draws_a_grid_whose_model_is_not_registered_here(tmp_path, capsys):
    from neuromem.cli import main
    from neuromem.experiments.engine import draw

    nm.register_model("hopfield-review", type(nm.create("hopfield", n_units=8)))
    try:
        exp = Experiment(
            "h",
            models=[{"name": "hopfield"}, {"name": "hopfield-review"}],
            patterns=[{"n_units": 32}],
            loads=[0.05, 0.1],
            seed=0,
        )
        run(exp, tmp_path, progress=False)
    finally:
        models.reload()  # as in a new process: the script's model is not registered
    assert main(["plot", str(tmp_path)]) == 0
    assert "capacity.png" in capsys.readouterr().out
    assert [p.name for p in draw(tmp_path)] == ["capacity.png", "times.png"]


# -- the command line's listings ------------------------------------------------------------


def test_list_shows_every_registered_protocol(capsys):
    from neuromem.cli import main
    from neuromem.experiments.engine import protocols

    assert main(["list"]) == 0
    out = capsys.readouterr().out.split("experiments (neuromem run NAME):\n")[1]
    by_name, from_file = out.split(
        "experiments run from a file (neuromem run FILE.toml):\n"
    )
    names = [line.split()[0] for line in by_name.splitlines()]
    assert [line.split()[0] for line in from_file.splitlines()] == ["grid"]
    assert names == [n for n in protocols.names() if n != "grid"] and "compare" in names


def test_describe_an_experiment(capsys):
    from neuromem.cli import main

    assert main(["describe", "compare"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("compare  (experiment ") and "neuromem run compare" in out
    assert "  repeats  default None" in out
    assert main(["describe", "sequence", "--kind", "experiment"]) == 0
    out = capsys.readouterr().out
    assert "(experiment " in out and "(model " not in out and "  sizes" in out
    assert main(["describe", "sequence"]) == 0  # a model and an experiment
    out = capsys.readouterr().out
    assert "sequence  (model " in out and "sequence  (experiment " in out
    assert main(["describe", "nothing"]) == 2
    assert "a model, rule or experiment name" in capsys.readouterr().err


def test_compare_help_says_its_own_seed_default(capsys):
    from neuromem.cli import main

    assert main(["compare", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "root seed (default: 0)" in out and "TOML" not in out
    assert main(["run", "--help"]) == 0
    assert "seed of a TOML experiment file" in " ".join(capsys.readouterr().out.split())
