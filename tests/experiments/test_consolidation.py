"""Systems consolidation (complementary learning systems) and the study runner."""

import json

import numpy as np
import pytest
from scipy import stats

import neuromem as nm
from neuromem.cli import main
from neuromem.experiments import run, studies
from neuromem.experiments.consolidation import (
    consolidation,
    hippocampal_load_sweep,
    interval,
    summarize,
)
from neuromem.experiments.plots import draw
from neuromem.experiments.studies import Study, build_section, read_table, report_section

SMALL = {"n_items": 6, "epochs_a": 30, "epochs_b": 30, "repeats": 3}


def _final(rows, cond, value):
    last = max(r["epoch"] for r in rows)
    return np.mean(
        [r[value] for r in rows if r["condition"] == cond and r["epoch"] == last]
    )


def test_replay_retains_more_of_a_than_sequential_training():
    rows = consolidation(seed=0, **SMALL)
    assert len(rows) == 4 * 3 * 31
    ret = {c: _final(rows, c, "retention") for c in ("sequential", "interleaved", "replay")}
    ret["pseudo-rehearsal"] = _final(rows, "pseudo-rehearsal", "retention")
    # Every condition starts from the same network trained on A.
    start = {r["retention"] for r in rows if r["epoch"] == 0 and r["repeat"] == 0}
    assert len(start) == 1 and start.pop() >= 0.95
    # Catastrophic interference under sequential training; replay keeps A.
    assert ret["sequential"] < 0.85
    assert ret["replay"] > ret["sequential"] + 0.15
    assert ret["interleaved"] >= ret["replay"] - 0.05
    assert ret["pseudo-rehearsal"] > ret["sequential"]
    # Every condition learned B.
    assert all(_final(rows, c, "acquisition") > 0.6 for c in ret)
    # Replay quality is recorded for replay only, and is high at this load (16 / 128).
    q = [r["replay_quality"] for r in rows if r["condition"] == "replay" and r["epoch"]]
    assert np.mean(q) > 0.9
    assert all(np.isnan(r["replay_quality"]) for r in rows if r["condition"] != "replay")


def test_replay_quality_falls_when_the_hippocampus_is_overloaded():
    # 12 episodes of A and B in 128 units, then 52 others on top (load 0.5).
    rows = hippocampal_load_sweep((0.09375, 0.5), n_items=6, epochs_b=10, repeats=2, seed=1)
    assert sorted({r["load"] for r in rows}) == [0.09375, 0.5]
    q = {
        a: np.mean([r["replay_quality"] for r in rows if r["load"] == a])
        for a in (0.09375, 0.5)
    }
    assert q[0.09375] > 0.9 > 0.6 > q[0.5]
    # Loads that give the same hippocampus run once: rows of two repeats, not four
    # duplicated ones (an interval over 4 "repeats").
    rows = hippocampal_load_sweep((0.1, 0.101), n_items=6, epochs_b=1, repeats=2, seed=1)
    assert [(r["load"], r["repeat"]) for r in rows] == [(13 / 128, 0), (13 / 128, 1)]


def test_random_cues_and_a_modern_hopfield_hippocampus():
    rows = consolidation(
        conditions=("replay",),
        hippocampus="modern-hopfield",
        cue="random",
        n_items=4,
        epochs_a=10,
        epochs_b=3,
        repeats=1,
        seed=2,
    )
    q = [r["replay_quality"] for r in rows if r["epoch"]]
    assert len(q) == 3 and all(0.0 < v <= 1.0 for v in q)


def test_interval_is_students_t():
    v = [0.2, 0.5, 0.4, 0.9]
    mean, lo, hi = interval(v)
    half = stats.t.ppf(0.975, 3) * np.std(v, ddof=1) / 2
    assert mean == pytest.approx(0.5) and hi - mean == pytest.approx(half)
    assert mean - lo == pytest.approx(half)
    assert interval([0.3]) == (0.3, 0.3, 0.3)
    assert all(np.isnan(interval([np.nan])))
    rows = [
        {"condition": "x", "epoch": e, "retention": float(r + e)}
        for e in (0, 1)
        for r in (0, 1)
    ]
    s = summarize(rows, "retention")["x"]
    np.testing.assert_allclose(s[:, :2], [[0, 0.5], [1, 1.5]])


def test_bad_input_names_the_parameter():
    def err(**kw):
        with pytest.raises(nm.ValidationError) as info:
            consolidation(repeats=1, epochs_a=1, epochs_b=1, **kw)
        return info.value.param

    assert err(hippocampus=nm.create("hopfield", n_units=100)) == "hippocampus"
    assert err(hippocampus=3) == "hippocampus"
    assert err(conditions=("sleep",)) == "conditions"
    assert err(cue="loud") == "cue"
    assert err(cue_fraction=0.0) == "cue_fraction"
    assert err(n_items=0) == "n_items"
    # An unknown model name is refused as the parameter that was set, not "model".
    assert err(hippocampus="hippocampus-9000") == "hippocampus"
    assert err(conditions=()) == "conditions"
    # A sequence memory replays the successor of the cued episode, not the episode.
    assert err(hippocampus="sequence") == "hippocampus"
    assert err(hippocampus=nm.create("sequence", n_units=128)) == "hippocampus"
    # A single name is one condition, not its letters.
    rows = consolidation(
        conditions="replay", n_items=2, repeats=1, epochs_a=1, epochs_b=1, seed=0
    )
    assert {r["condition"] for r in rows} == {"replay"}


def test_a_study_runs_draws_and_makes_a_report_section(tmp_path, monkeypatch):
    params = {
        "n_items": 4,
        "epochs_a": 10,
        "epochs_b": 4,
        "repeats": 2,
        "loads": [0.1, 0.4],
    }
    study = Study("consolidation", params, 3, "tiny")
    out = tmp_path / "cons"
    rows = run(study, out)
    assert len(rows) == 4 * 2 * 5 and all(r["error"] == "" for r in rows)
    back = read_table(out / "results.csv")
    assert [list(r) for r in back] == [list(r) for r in rows]
    np.testing.assert_array_equal(
        [
            [
                r[k]
                for k in ("repeat", "epoch", "retention", "acquisition", "replay_quality")
            ]
            for r in back
        ],
        [
            [
                r[k]
                for k in ("repeat", "epoch", "retention", "acquisition", "replay_quality")
            ]
            for r in rows
        ],
    )
    meta = json.loads((out / "run.json").read_text())
    assert meta["format"] == "neuromem-study" and meta["complete"]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["final"]) == {
        "sequential",
        "interleaved",
        "replay",
        "pseudo-rehearsal",
    }
    paths = draw(out)
    assert [p.name for p in paths] == ["consolidation.png", "consolidation-load.png"]
    text, figs = report_section(out)
    assert text.startswith('<section id="consolidation">') and "data:image/png" in text
    assert "retention of A" in text and figs == paths
    # The same study again is recomputed to the same table; another one is refused.
    again = run(study, out, resume=True)
    assert [r["retention"] for r in again] == [r["retention"] for r in rows]
    with pytest.raises(nm.ValidationError, match=r"^out"):
        run(Study("consolidation", params, 4, "tiny"), out)
    (out / "consolidation-load.png").unlink()
    assert main(["plot", str(out)]) == 0
    assert (out / "consolidation-load.png").is_file()
    # build_section runs a study once and reuses a complete run of the same config.
    monkeypatch.setitem(
        studies.STUDIES,
        "consolidation",
        lambda quick, seed: Study("consolidation", params, seed, "tiny"),
    )
    text2, _ = build_section("consolidation", tmp_path / "b", seed=3)
    stamp = (tmp_path / "b" / "run.json").stat().st_mtime_ns
    text3, _ = build_section("consolidation", tmp_path / "b", seed=3)
    assert (tmp_path / "b" / "run.json").stat().st_mtime_ns == stamp
    assert text2 == text3 == report_section(out)[0]
    with pytest.raises(nm.ValidationError, match=r"^name"):
        build_section("dreams", tmp_path / "c")


def test_sequence_sweeps_check_their_inputs():
    from neuromem.experiments.sequences import capacity_sweep, max_length

    bad = [
        ({"sizes": (20, 20)}, "sizes"),
        ({"loads": (0.2, 0.2)}, "loads"),
        ({"sizes": 20}, "sizes"),
        ({"loads": 0.2}, "loads"),
        ({"bogus": 1}, "options"),
        ({"seed": 1.7}, "seed"),
        ({"sizes": ()}, "sizes"),
        ({"loads": [0.0]}, "loads"),
    ]
    for kw, name in bad:
        with pytest.raises(nm.ValidationError) as info:
            capacity_sweep(**{"sizes": [16], "loads": [0.2], "repeats": 1, **kw})
        assert info.value.param == name, kw
    rows = capacity_sweep(sizes=[np.int64(16)], loads=[0.2], repeats=np.int64(1), seed=0)
    assert [r["n_units"] for r in rows] == [16] and type(rows[0]["n_units"]) is int
    for kw, name in [
        ({"seed": 1.7}, "seed"),
        ({"bogus": 2}, "options"),
        ({"repeats": 0}, "repeats"),
    ]:
        with pytest.raises(nm.ValidationError) as info:
            max_length(16, **kw)
        assert info.value.param == name


def test_study_name_numpy_integers_and_description():
    from neuromem.experiments.studies import Study

    with pytest.raises(nm.ValidationError, match=r"^name:"):
        Study(["sequence"])
    sizes = list(np.array([200, 400]))  # the default loads run distinct P there
    s = Study("sequence", {"repeats": np.int64(2), "sizes": sizes})
    assert s.params["repeats"] == 2 and type(s.params["repeats"]) is int
    assert s.params["sizes"] == [200, 400] and type(s.params["sizes"][0]) is int
    c = Study("consolidation", {"repeats": np.int32(2)}, 0, "my own words")
    assert c.params["repeats"] == 2 and c.to_dict()["description"] == "my own words"
    with pytest.raises(nm.ValidationError, match=r"^repeats:"):
        Study("consolidation", {"repeats": 1.7})
