"""What a second review of issue 17 found in the engine and in compare: numpy scalars
in a table, duplicate labels and plugin families in compare, the internal protocol name
"grid" shown to users, and the recorded model selection of compare."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

import neuromem as nm
from neuromem.experiments import Experiment, run
from neuromem.experiments.compare import Compare, model_entries
from neuromem.experiments.engine import read_frame, read_rows, write_table
from neuromem.models.base import KeepsPatterns
from neuromem.registry import models

# -- numpy scalars in a table ----------------------------------------------------------------


def test_numpy_scalars_are_written_as_plain_numbers(tmp_path):
    rows = [
        {
            "x": np.float64(1.0),
            "y": np.float64(np.nan),
            "n": np.int64(3),
            "b": np.bool_(True),
        },
        {
            "x": np.float64(0.1),
            "y": np.float64(2.5),
            "n": np.int64(-1),
            "b": np.bool_(False),
        },
    ]
    path = write_table(tmp_path / "t.csv", rows)
    assert path.read_text().splitlines()[1:] == ["1.0,nan,3,True", "0.1,2.5,-1,False"]
    frame = read_frame(path)
    assert frame["x"].tolist() == [1.0, 0.1] and frame["n"].tolist() == [3, -1]
    back, _ = read_rows(path, {"x": float, "y": float, "n": int, "b": bool})
    assert back[1] == {"x": 0.1, "y": 2.5, "n": -1, "b": False}


# -- compare: plugin labels and families ---------------------------------------------------


def _plugin(family="other", variants=()):
    class Nearest(KeepsPatterns, nm.Memory):
        def __init__(self, n_units: int, seed=None):
            self.n_units = n_units
            self.seed = seed

        def __neuromem_tags__(self):
            tags = super().__neuromem_tags__()
            return dataclasses.replace(tags, family=family, variants=variants)

        def store(self, patterns, targets=None):
            self._keep(np.asarray(patterns, dtype=float))
            return self

        def recall(self, cues, *, record=None):
            x = self._fitted()
            c = np.asarray(cues, dtype=float)
            n = len(c)
            return nm.RecallResult(
                x[np.argmax(c @ x.T, axis=1)], np.ones(n, int), np.ones(n, bool)
            )

    return Nearest


@pytest.fixture
def plugin():
    def register(**tags):
        nm.register_model("nearest-review", _plugin(**tags))
        return "nearest-review"

    yield register
    models.reload()


def test_compare_refuses_a_plugin_label_that_another_entry_has(plugin):
    name = plugin(variants=(("hopfield-storkey", {}),))
    with pytest.raises(nm.ValidationError, match=r"nearest-review.*hopfield-storkey"):
        model_entries([name])
    models.reload()
    assert [e["label"] for e in model_entries(["hopfield-storkey"])] == ["hopfield-storkey"]


@pytest.mark.parametrize(("family", "panel"), [("mine", "mine"), ("other", "plugins")])
def test_compare_draws_a_plugin_in_the_family_it_declares(plugin, family, panel):
    (entry,) = model_entries([plugin(family=family)])
    assert entry["regime"] == "bipolar" and entry["family"] == panel


# -- the internal protocol "grid" is no name a user sees ----------------------------------


def test_the_folder_guard_names_a_grid_by_its_experiment(tmp_path):
    exp = Experiment(
        "tiny", models=[{"name": "hopfield"}], patterns=[{"n_units": 16}], loads=[0.1]
    )
    run(exp, tmp_path, progress=False)
    with pytest.raises(nm.ValidationError, match="of 'tiny', not 'compare'"):
        run(Compare({"quick": True, "models": ["hopfield"]}), tmp_path, progress=False)
    with pytest.raises(nm.ValidationError, match="of 'tiny', seed: 0 there, 1 here"):
        run(dataclasses.replace(exp, seed=1), tmp_path, resume=True, progress=False)


def test_list_shows_grid_apart_from_the_experiments_run_by_name(capsys):
    from neuromem.cli import main

    assert main(["list"]) == 0
    by_name = capsys.readouterr().out.split("experiments (neuromem run NAME):\n")[1]
    by_name = by_name.split("\n\n")[0].split("experiments run from a file")[0]
    assert "capacity" in by_name and "grid" not in by_name
    assert main(["run", "--help"]) == 0
    assert "\n  grid " not in capsys.readouterr().out


# -- compare: one model selection, however written ----------------------------------------


@pytest.mark.parametrize(
    ("forms", "recorded"),
    [
        (
            [
                ["hopfield", "hopfield-storkey"],
                ["hopfield-storkey", "hopfield"],
                ["hopfield"],
            ],
            ["hopfield"],
        ),
        (
            [
                ["hopfield-binary", "hopfield-storkey"],
                ["hopfield-storkey", "hopfield-binary"],
            ],
            ["hopfield-storkey", "hopfield-binary"],
        ),
    ],
)
def test_compare_records_the_selection_normalised(forms, recorded):
    made = [Compare({"quick": True, "models": m}) for m in forms]
    assert all(p.params["models"] == recorded for p in made)
    assert all(p.config["models_selected"] == recorded for p in made)
    assert all(p.config["models"] == made[0].config["models"] for p in made)
    assert Compare({"quick": True}).params["models"] is None


# -- what the docs and the help say ------------------------------------------------------


def test_nm_experiments_is_there_after_import_neuromem():
    code = "import neuromem as nm; print(nm.experiments.run.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["run"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        nm.nothing  # noqa: B018


def test_describe_says_an_experiment_without_options_has_none(capsys):
    from neuromem.cli import main

    assert main(["describe", "capacity"]) == 0
    assert "options: none of its own (neuromem run --help" in capsys.readouterr().out
    assert main(["describe", "grid"]) == 0
    assert "options: the keys of its TOML file" in capsys.readouterr().out


def test_help_says_what_plot_reads_and_draws(capsys):
    from neuromem.cli import main

    assert main(["plot", "--help"]) == 0 and main(["run", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "compare's summary.csv" in out
    assert "nor write its report, which only a run writes" in out
