"""The experiment engine: table codec, protocols and their registry, validation before
writing, progress, and the consolidation API's refusals (issue 19)."""

from __future__ import annotations

import json
import math
import os
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

import neuromem as nm
from neuromem import progress
from neuromem.experiments import run
from neuromem.experiments.consolidation import consolidation, hippocampal_load_sweep
from neuromem.experiments.engine import (
    JOURNAL,
    Executor,
    Output,
    Protocol,
    protocols,
    read_frame,
    read_rows,
    read_run,
    task_seed,
    write_table,
)
from neuromem.experiments.studies import Study

# -- the table codec --------------------------------------------------------------------


def test_table_round_trip_keeps_types_and_bits(tmp_path):
    rows = [
        {"i": 1, "x": 0.1 + 0.2, "b": True, "s": 'a,b "q"', "n": None, "f": math.nan},
        {"i": -7, "x": 1e-300, "b": False, "s": "", "n": 3, "f": 2.5},
    ]
    path = write_table(tmp_path / "t.csv", rows)
    back, damaged = read_rows(path)
    assert not damaged
    assert back[0]["x"] == 0.1 + 0.2 and back[1]["x"] == 1e-300  # bit for bit
    assert back[0]["b"] is True and back[1]["b"] is False
    assert back[0]["s"] == 'a,b "q"' and back[1]["i"] == -7
    assert back[0]["n"] is None and back[1]["n"] == 3
    assert math.isnan(back[0]["f"])
    frame = read_frame(path)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(rows[0])
    assert frame["i"].dtype == np.int64 and frame["x"].dtype == np.float64
    assert frame["b"].dtype == bool and str(frame["n"].dtype) == "Int64"
    assert frame["x"].tolist() == [0.1 + 0.2, 1e-300]


def test_table_damage_is_named_or_dropped(tmp_path):
    path = write_table(tmp_path / "t.csv", [{"a": 1, "b": 2.0}])
    path.write_bytes(path.read_bytes() + b"3\n4,5.0\n6,")
    with pytest.raises(nm.ValidationError, match=r"line 3 .*wrong length"):
        read_rows(path)
    rows, damaged = read_rows(path, strict=False)
    assert damaged and rows == [{"a": 1, "b": 2.0}, {"a": 4, "b": 5.0}]


# -- protocols: declared config, registry, validation before writing -------------------


class Squares(Protocol):
    """A protocol for tests: the squares of a few numbers."""

    name = "squares"
    defaults: ClassVar[dict] = {"values": [1, 2, 3]}

    def validate(self, params):
        if not all(isinstance(v, int) for v in params["values"]):
            raise nm.ValidationError("values", params["values"], "a list of integers")
        return params

    def tasks(self):
        return [(v,) for v in self.params["values"]]

    def task(self, index):
        v = self.params["values"][index]
        return {"value": v, "square": v * v}

    def reduce(self, results):
        return Output({"results": results}, {"total": sum(r["square"] for r in results)})


def test_a_protocol_runs_and_its_options_are_checked_by_key(tmp_path):
    rows = run(Squares({"values": [2, 5]}, seed=1), tmp_path / "sq")
    assert rows == [{"value": 2, "square": 4}, {"value": 5, "square": 25}]
    for bad, key in (({"valeus": [1]}, "valeus"), ({"values": ["x"]}, "values")):
        with pytest.raises(nm.ValidationError) as err:
            Squares(bad)
        assert key in str(err.value)


def test_protocol_names_are_taken_once():
    protocols.register("squares-test", Squares)
    with pytest.raises(nm.ValidationError, match="already registered"):
        protocols.register("sequence", Squares)
    assert "sequence" in protocols and "capacity" in protocols


@pytest.mark.parametrize("seed", ["abc", 1.7, -1, True, None])
def test_study_seed_must_be_a_non_negative_integer(seed):
    with pytest.raises(nm.ValidationError) as err:
        Study("consolidation", {}, seed)
    assert err.value.param == "seed"


def test_a_study_with_a_typo_writes_nothing(tmp_path):
    with pytest.raises(nm.ValidationError, match="n_itmes"):
        run(Study("consolidation", {"n_itmes": 4}, 0), tmp_path / "typo")
    assert not (tmp_path / "typo").exists()
    # A study without "loads" takes the declared default.
    study = Study("consolidation", {"repeats": 1, "epochs_a": 1, "epochs_b": 1}, 0)
    assert study.params["loads"] == [0.125, 0.2, 0.3, 0.4, 0.5]


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"conditions": ["replay", "replay"]}, "conditions"),
        ({"loads": [0.2, 0.2]}, "loads"),
        ({"loads": 0.2}, "loads"),
        ({"conditions": None}, "conditions"),
        ({"hippocampus": 3}, "hippocampus"),
        ({"repeats": 0}, "repeats"),
    ],
)
def test_study_options_name_the_key(params, key):
    with pytest.raises(nm.ValidationError) as err:
        Study("consolidation", params, 0)
    assert err.value.param == key


def test_sequence_study_refuses_duplicate_loads_and_sizes():
    for key in ("loads", "sizes"):
        value = [0.2, 0.2] if key == "loads" else [50, 50]
        with pytest.raises(nm.ValidationError) as err:
            Study("sequence", {key: value}, 0)
        assert err.value.param == key


# -- the consolidation API (issue 19) ---------------------------------------------------

TINY = {"n_items": 2, "repeats": 1, "epochs_a": 1, "epochs_b": 1}


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: consolidation(conditions=None, **TINY), "conditions"),
        (lambda: consolidation(conditions=("replay", "replay"), **TINY), "conditions"),
        (lambda: hippocampal_load_sweep(0.2, **TINY), "loads"),
        (lambda: hippocampal_load_sweep([0.2, 0.2], **TINY), "loads"),
        (lambda: hippocampal_load_sweep([0.2], extra_episodes=4, **TINY), "extra_episodes"),
        (
            lambda: hippocampal_load_sweep([0.2], conditions=("replay",), **TINY),
            "conditions",
        ),
        (lambda: hippocampal_load_sweep([0.2], cue="loud", **TINY), "cue"),
    ],
)
def test_consolidation_api_refusals_name_the_parameter(call, key):
    with pytest.raises(nm.ValidationError) as err:
        call()
    assert key in str(err.value)


def test_duplicate_conditions_no_longer_narrow_the_interval():
    # ("replay", "replay") pooled one run twice; now it is refused (above), and one
    # "replay" gives the rows of the replay condition once per repeat and epoch.
    rows = consolidation(conditions=("replay",), **TINY)
    assert len(rows) == 2 and {r["condition"] for r in rows} == {"replay"}


def test_other_sweep_options_are_those_of_consolidation():
    rows = hippocampal_load_sweep([0.2], cue="random", hidden=4, **TINY)
    assert len(rows) == 1 and rows[0]["load"] == pytest.approx(round(0.2 * 128) / 128)


# -- progress ---------------------------------------------------------------------------


def test_progress_off_a_terminal_is_lines_and_can_be_switched_off(capsys, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", -1.0)  # from the first iteration
    list(progress.steps(3, "epochs"))
    err = capsys.readouterr().err
    assert "epochs: " in err and "\r" not in err  # stderr is not a terminal here
    progress.set_enabled(False)
    try:
        list(progress.steps(3, "epochs"))
        assert capsys.readouterr().err == ""
    finally:
        progress.set_enabled(True)
    with pytest.raises(nm.ValidationError):
        progress.set_enabled("no")


def test_tasks_run_without_progress_output(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", -1.0)

    class Loops(Squares):
        def task(self, index):
            list(progress.steps(2, "inner"))
            return super().task(index)

    run(Loops({"values": [1]}), tmp_path / "loops", progress=False)
    assert "inner" not in capsys.readouterr().err


def test_no_warning_and_no_env_change_from_a_run(tmp_path):
    before = dict(os.environ)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(Squares(), tmp_path / "quiet", progress=False)
    assert dict(os.environ) == before


def test_disabling_progress_in_one_thread_leaves_the_others():
    # Tasks of a threaded executor (Dask's local cluster) disable progress side by
    # side; a global flag saved and restored by each could stay off after the run.
    import threading

    seen = []
    barrier = threading.Barrier(2)

    def task():
        with progress.disabled():
            barrier.wait()
            seen.append(progress.enabled())

    threads = [threading.Thread(target=task) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [False, False] and progress.enabled()


def test_a_report_section_replaces_an_earlier_run_of_its_study(tmp_path, monkeypatch):
    from neuromem.experiments import studies

    tiny = {
        "sizes": [40],
        "loads": [0.1],
        "repeats": 1,
        "growth": {"hebbian": {"sizes": [8]}},
        "trajectory": {"n_units": 40, "n_patterns": 3, "n_steps": 4},
    }
    out = tmp_path / "sequence"
    run(Study("sequence", {**tiny, "loads": [0.2]}, 0), out)  # another design
    monkeypatch.setitem(
        studies.STUDIES, "sequence", lambda quick, seed: Study("sequence", tiny, seed)
    )
    text, _ = studies.build_section("sequence", out)
    assert "alpha=0.1" in text and "alpha=0.2" not in text
    (tmp_path / "other").mkdir()
    run(Squares(), tmp_path / "other")  # not this study's folder: refused
    with pytest.raises(nm.ValidationError, match="different run"):
        studies.build_section("sequence", tmp_path / "other")


def test_a_grid_figure_of_several_panels_is_saved(tmp_path):
    # The topology figure is two panels (an array of axes): `neuromem run topology`
    # computed its table, then failed to draw it ('ndarray' has no 'tight_layout').
    from neuromem.experiments import Experiment
    from neuromem.experiments.engine import draw

    models = [
        {"name": "hopfield", "label": f"d{p}", "params": {"topology": topo}}
        for p, topo in (
            (1.0, {"kind": "erdos_renyi", "p": 1.0}),
            (0.5, {"kind": "small_world", "k": 4, "p": 0.5}),
        )
    ]
    exp = Experiment("topology", models=models, patterns=[{"n_units": 24}], loads=[0.1])
    run(exp, tmp_path, progress=False)
    assert sorted(p.name for p in draw(tmp_path)) == ["times.png", "topology.png"]


_TINY_SEQUENCE = {
    "sizes": [30],
    "loads": [0.1],
    "repeats": 1,
    "growth": {"hebbian": {"sizes": [8]}},
    "trajectory": {"n_units": 30, "n_patterns": 3, "n_steps": 4},
}


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"growth": {"g": {"sizes": [8], "options": {"varint": "dense"}}}}, "options"),
        ({"growth": {"g": {"sizes": [8], "options": {"order": -2}}}}, "options.order"),
        ({"trajectory": {"n_units": 30, "n_patterns": 3, "n_steps": 4.5}}, "n_steps"),
        ({"trajectory": {"n_units": -30, "n_patterns": 3, "n_steps": 4}}, "n_units"),
        ({"trajectory": {"n_units": "30", "n_patterns": 3, "n_steps": 4}}, "n_units"),
        ({"trajectory": {**_TINY_SEQUENCE["trajectory"], "extra": 1}}, "trajectory"),
        (
            {"trajectory": {**_TINY_SEQUENCE["trajectory"], "options": {"delai": 3}}},
            "trajectory.options",
        ),
    ],
)
def test_sequence_study_checks_its_nested_options_before_writing(tmp_path, change, key):
    # They were checked only when the task ran: run.json was written first, then a
    # TypeError or a late ValidationError, and the corrected run was refused there.
    with pytest.raises(nm.ValidationError) as err:
        run(Study("sequence", {**_TINY_SEQUENCE, **change}), tmp_path / "out")
    assert key in err.value.param
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("axis", "values"),
    [
        ("loads", [0.1, 0.1]),
        ("noise", [0.0, 0.2, 0.2]),
        ("corruption", ["flip", "flip"]),
        ("sets", [2, 2]),
    ],
)
def test_a_grid_refuses_a_value_given_twice(tmp_path, axis, values):
    # Accepted before: the repeated value's trials ran twice with the same seeds, and
    # the identical rows narrowed every interval over the grid (issue 19).
    from neuromem.experiments import Experiment, load_experiment

    kw = {"kind": "sequential"} if axis == "sets" else {}
    with pytest.raises(nm.ValidationError, match=rf"{axis}\[\d\]"):
        Experiment(
            "dup",
            models=[{"name": "hopfield"}],
            patterns=[{"n_units": 32}],
            **kw,
            **{axis: values},
        )
    text = ", ".join(repr(v).replace("'", '"') for v in values)
    path = tmp_path / "dup.toml"
    path.write_text(
        f'name = "dup"\n{axis} = [{text}]\n[[models]]\nname = "hopfield"\n'
        "[[patterns]]\nn_units = 32\n"
    )
    with pytest.raises(nm.ValidationError, match=rf"dup.toml, line 2: {axis}\["):
        load_experiment(path)


class _Killed(Exception):
    pass


class _Tables(Protocol):
    """Writes a table named by an option; its first task can be made to 'die'."""

    name = "tables-test"
    defaults: ClassVar[dict] = {"table": "a", "n": 2}
    die = False

    def tasks(self):
        return [(i,) for i in range(self.params["n"])]

    def task(self, index):
        if type(self).die and index == 1:
            raise _Killed
        return {"i": index}

    def reduce(self, results):
        return Output({"results": results, self.params["table"]: results})


def test_a_forced_run_killed_then_resumed_still_removes_the_old_files(tmp_path):
    # The forced run rewrote run.json (and with it the list of the old run's files)
    # at its start; killed, then resumed, it left the old run's files (issue 19:
    # growth.csv and sequence-*.png under a consolidation run) for good.
    out = tmp_path / "out"
    run(_Tables({"table": "old"}), out)
    (out / "mine.txt").write_text("mine")
    assert (out / "old.csv").exists()
    _Tables.die = True
    try:
        with pytest.raises(_Killed):
            run(_Tables({"table": "new"}), out, force=True)
    finally:
        _Tables.die = False
    run(_Tables({"table": "new"}), out, resume=True)
    assert not (out / "old.csv").exists()
    assert {p.name for p in out.iterdir()} >= {"new.csv", "results.csv", "mine.txt"}
    assert "replaces" not in json.loads((out / "run.json").read_text())


def test_figures_are_not_drawn_from_a_folder_a_run_is_writing(tmp_path):
    # `neuromem plot` drew from half a table and rewrote run.json under the run
    # still writing it (the run's own final run.json could then be lost).
    from filelock import FileLock

    from neuromem.experiments.engine import draw
    from neuromem.experiments.engine.folder import LOCK

    if "tables-test" not in protocols:
        protocols.register("tables-test", _Tables)
    run(_Tables(), tmp_path)
    before = (tmp_path / "run.json").read_text()
    with FileLock(str(tmp_path / LOCK), timeout=0):
        with pytest.raises(nm.ValidationError, match="a run is writing now"):
            draw(tmp_path)
    assert (tmp_path / "run.json").read_text() == before
    assert draw(tmp_path) == []


def test_a_folder_of_a_protocol_not_installed_says_so(tmp_path):
    # It said "expected a results folder with a valid run.json" (the folder's
    # run.json was fine: the plugin that wrote it had been uninstalled).
    from neuromem.experiments.engine import draw

    run(_Tables(), tmp_path)
    meta = json.loads((tmp_path / "run.json").read_text())
    meta["protocol"] = "uninstalled-plugin"
    (tmp_path / "run.json").write_text(json.dumps(meta))
    with pytest.raises(nm.ValidationError, match="'uninstalled-plugin', not registered"):
        draw(tmp_path)


def test_a_local_dask_run_opens_no_port_8787(tmp_path):
    # Its scheduler's HTTP server took port 8787 on every interface, and warned
    # ("Port 8787 is already in use") when another cluster on the machine held it.
    pytest.importorskip("distributed")
    import socket

    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8787))
        holder.listen()
    except OSError:
        pass  # another process holds it: the same situation
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = run(Squares({"values": [2]}), tmp_path, scheduler="local", jobs=1)
    finally:
        holder.close()
    assert rows == [{"value": 2, "square": 4}]
    assert not [w for w in caught if "8787" in str(w.message)]


def test_force_over_an_old_run_json_keeps_the_users_own_files(tmp_path):
    # A run.json without the list of files (an older neuromem's): --force removed
    # every .csv, .png, .json, ... in the folder, the user's own files included.
    run(_Tables({"table": "growth"}), tmp_path)
    meta = json.loads((tmp_path / "run.json").read_text())
    del meta["files"]
    (tmp_path / "run.json").write_text(json.dumps(meta))
    (tmp_path / "my-notes.csv").write_text("mine\n")
    (tmp_path / "settings.json").write_text("{}\n")
    run(_Tables({"table": "new"}), tmp_path, force=True)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"my-notes.csv", "settings.json", "new.csv", "results.csv"} <= names
    assert "growth.csv" not in names  # a file older runs wrote


class _Labels(Protocol):
    """A table whose text columns look like numbers and bools."""

    name = "labels-test"
    defaults: ClassVar[dict] = {}

    def tasks(self):
        return [(0,), (1,), (2,)]

    def task(self, index):
        return {
            "label": ["007", "1", "True"][index],
            "code": ["nan", "2", "3"][index],
            "n": [1, 2, 3][index],
            "x": [1, 2.5, 3][index],
        }

    def reduce(self, results):
        return Output({"results": results})


def test_a_tables_text_columns_read_back_as_text(tmp_path):
    # Typed by inference alone, "007"/"1" came back as an int column and "nan"/"2"
    # as floats: a study's or plugin's text labels changed type (and value).
    rows = run(_Labels(), tmp_path)
    frame = read_frame(tmp_path / "results.csv")
    assert frame["label"].tolist() == ["007", "1", "True"]
    assert frame["code"].tolist() == ["nan", "2", "3"]
    assert frame["n"].dtype == np.int64 and frame["x"].dtype == np.float64
    assert frame.to_dict("records") == [{**r, "x": float(r["x"])} for r in rows]


def test_an_option_of_another_kind_than_its_default_names_the_key():
    # A plugin protocol's own validate met "3" or "0.1" with a TypeError, which the
    # engine reported as "params: got options that are not JSON data", or not at all.
    class Sizes(Protocol):
        name = "sizes-test"
        defaults: ClassVar[dict] = {"sizes": [50, 100], "load": 0.1, "repeats": 3}

        def validate(self, params):
            if not 0 < params["load"] < 1:
                raise nm.ValidationError("load", params["load"], "a load in (0, 1)")
            return params

    for bad, key in (
        ({"load": "0.1"}, "load"),
        ({"repeats": "3"}, "repeats"),
        ({"repeats": 2.5}, "repeats"),
        ({"sizes": ["60"]}, "sizes[0]"),
        ({"sizes": 60}, "sizes"),
    ):
        with pytest.raises(nm.ValidationError) as err:
            Sizes(bad)
        assert err.value.param == key
    assert Sizes({"load": 1 / 4, "sizes": (8,)}).params["sizes"] == [8]


def test_no_bar_frames_in_a_log_when_only_stdout_is_a_terminal(
    tmp_path, capsys, monkeypatch
):
    # `neuromem run capacity 2> log` on a terminal: the bar was enabled by stdout
    # being a terminal and drawn on stderr, filling the log with '\r' frames.
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    run(Squares({"values": [1, 2, 3]}), tmp_path)
    assert "\r" not in capsys.readouterr().err


@pytest.mark.parametrize(("key", "value"), [("n_items", 10**9)])
def test_a_consolidation_too_large_for_memory_is_refused_before_writing(
    tmp_path, key, value
):
    # The memory check ran when a task made the patterns: after run.json was
    # written, so the corrected run was refused in that folder without --force.
    with pytest.raises(nm.ValidationError, match="fits in memory") as err:
        run(Study("consolidation", {key: value, "repeats": 1}), tmp_path / "out")
    assert err.value.param == key
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"sizes": [10**7]},
        {"trajectory": {"n_units": 10**7, "n_patterns": 3, "n_steps": 4}},
    ],
)
def test_a_sequence_study_too_large_for_memory_is_refused_before_writing(tmp_path, change):
    with pytest.raises(nm.ValidationError, match="fits in memory"):
        run(Study("sequence", {**_TINY_SEQUENCE, **change}), tmp_path / "out")
    assert not (tmp_path / "out").exists()


class TwoStages(Protocol):
    """Stage "draw": one random number per task; stage "scale": one task per draw,
    scaled by the mean of all the draws (known only once the first stage is done)."""

    name = "two-stages"
    defaults: ClassVar[dict] = {"n": 3}
    stages = ("draw", "scale")

    def stage_tasks(self, stage, earlier):
        if stage == "draw":
            return [("draw", i) for i in range(self.params["n"])]
        mean = float(np.mean(earlier["draw"]))
        return [("scale", i, mean) for i in range(self.params["n"])]

    def stage_task(self, stage, index, key):
        if stage == "draw":
            return float(np.random.default_rng(task_seed(self.seed, *key)).random())
        return (key[2] * (index + 1), key)  # a tuple: it reads back as a list

    def stage_reduce(self, results):
        rows = [
            {"i": i, "value": v[0], "kind": type(v[1]).__name__}
            for i, v in enumerate(results["scale"])
        ]
        return Output(tables={"results": rows}, summary={"keys": results["scale"]})


def test_a_later_stage_is_computed_from_the_earlier_and_resumes_in_it(tmp_path):
    draws = [np.random.default_rng(task_seed(5, "draw", i)).random() for i in range(3)]
    mean = float(np.mean(draws))
    rows = run(TwoStages(seed=5), tmp_path, progress=False)
    assert [r["value"] for r in rows] == [mean * (i + 1) for i in range(3)]
    assert {r["kind"] for r in rows} == {"list"}  # kept or fresh, the same data
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["keys"][0] == [mean, ["scale", 0, mean]]  # as the journal reads it
    meta = read_run(tmp_path)
    assert meta["n_tasks"] == 6 and meta["resumed_rows"] == 0
    table = (tmp_path / "results.csv").read_text()
    # Killed in the second stage: its first task kept, the rest (and a torn line) not.
    journal = tmp_path / JOURNAL
    lines = journal.read_text().splitlines(keepends=True)
    assert [json.loads(x)["stage"] for x in lines] == ["draw"] * 3 + ["scale"] * 3
    journal.write_text("".join(lines[:4]) + '{"task": 1, "stage": "sca')
    (tmp_path / "results.csv").unlink()
    run(TwoStages(seed=5), tmp_path, resume=True, progress=False)
    assert read_run(tmp_path)["resumed_rows"] == 4
    assert (tmp_path / "results.csv").read_text() == table
    # A table written as the tasks complete has one stage.
    bad = type("Bad", (TwoStages,), {"columns": {"i": int}})
    with pytest.raises(nm.ValidationError, match=r"^columns"):
        run(bad(), tmp_path / "bad", progress=False)


def _first(config, index):
    return ("first", index)


def _second(config, index):
    return ("second", index)


def test_dask_calls_one_after_another_get_their_own_results():
    # A protocol's stages are calls of one executor, one after another, over the same
    # task indices: the second must not meet the first's futures (cancelled, or still
    # held by the cluster) under the same keys.
    pytest.importorskip("distributed")
    with Executor(1, "local") as ex:
        for _ in range(5):
            assert sorted(ex.map(_first, None, [0, 1])) == [
                (0, ("first", 0)),
                (1, ("first", 1)),
            ]
            assert dict(ex.map(_second, None, [0, 1])) == {
                0: ("second", 0),
                1: ("second", 1),
            }
