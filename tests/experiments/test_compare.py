"""neuromem compare and its estimators: known answers, determinism, the report."""

from __future__ import annotations

import csv
import math
import os
import re
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import neuromem as nm
from neuromem.experiments import compare as cmp
from neuromem.experiments import estimators as est
from neuromem.experiments.compare.entries import _search, left_out_text
from neuromem.experiments.compare.figures import draw_curves, draw_glyphs
from neuromem.experiments.compare.probe import basin_task, capacity_task
from neuromem.experiments.compare.regimes import (
    cue_text,
    entry_regime,
    regime_of,
    regimes,
)
from neuromem.experiments.compare.summary import estimate_text, summary_rows, table_text
from neuromem.random import derive_seed
from neuromem.theory import capacity_lines

PLUGIN_SRC = Path(__file__).parents[1] / "plugin_dist"


# -- the estimators on cases with a known answer -------------------------------------


def test_search_critical_finds_a_step_exactly_and_reports_the_edges():
    calls = []

    def step(p):
        calls.append(p)
        return 1.0 if p <= 37 else 0.2

    s = est.search_critical(step, p_max=100, p_start=5)
    assert (s.lo, s.hi, s.value, s.censored) == (37, 38, 37.5, False)
    assert len(calls) == len(set(calls)) <= 12
    # Never fails up to the maximum: censored at the maximum.
    s = est.search_critical(lambda p: 1.0, p_max=100, p_start=5)
    assert s.censored and s.value == 100 and max(p for p, _ in s.points) == 100
    # Fails already at one pattern: 0, not censored.
    s = est.search_critical(lambda p: 0.0, p_max=100, p_start=5)
    assert (s.value, s.censored) == (0.0, False) and min(p for p, _ in s.points) == 1
    # Exactly one half recalled counts as recalled (capacity is where it falls below).
    s = est.search_critical(lambda p: 0.5 if p <= 10 else 0.49, p_max=64, p_start=3)
    assert s.value == 10.5
    # A step below the start is found by halving.
    s = est.search_critical(lambda p: 1.0 if p <= 2 else 0.0, p_max=100, p_start=20)
    assert (s.lo, s.hi, s.value) == (2, 3, 2.5)


def test_grid_and_search_share_one_bracket_rule():
    pts = [(0.05, 1.0), (0.1, 0.9), (0.15, 0.3), (0.2, 0.6), (0.3, 0.0)]
    # The first failing load is 0.15; the later 0.6 does not move it.
    assert est.critical_from_points(pts, 0.3) == (pytest.approx(0.125), False)
    assert est.critical_from_points([(0.1, 1.0), (0.2, 0.7)], 0.2) == (0.2, True)
    assert est.critical_from_points([(0.1, 0.0), (0.2, 0.0)], 0.2) == (0.0, False)
    assert est.radius_from_points([(0, 1.0), (0.1, 0.95), (0.2, 0.5)], 0.5) == (0.1, False)
    assert est.radius_from_points([(0, 0.8), (0.1, 0.95)], 0.5) == (0.0, False)
    s = est.search_radius(lambda k: 1.0 if k <= 13 else 0.0, k_max=50)
    assert (s.value, s.censored) == (13, False)
    s = est.search_radius(lambda k: 0.95, k_max=50)
    assert (s.value, s.censored) == (50, True)
    assert est.search_radius(lambda k: 0.5, k_max=50).value == 0


def test_interval_is_the_student_t_interval_clipped_to_the_range():
    v = [0.12, 0.15, 0.14, 0.13, 0.16]
    e = est.interval(v)
    half = stats.t.ppf(0.975, 4) * np.std(v, ddof=1) / np.sqrt(5)
    assert e.value == pytest.approx(0.14)
    assert (e.low, e.high) == (pytest.approx(0.14 - half), pytest.approx(0.14 + half))
    assert est.interval([0.0, 0.0, 0.3]).low == 0.0  # never below the range
    assert est.interval([0.2, 0.2]).text() == "0.2"
    assert est.interval([1.0, 1.0], censored=True).text() == "≥ 1"
    assert math.isnan(est.interval([]).value) and est.interval([]).text() == "-"


def test_mutual_information_of_known_channels():
    x = np.tile(np.array([1.0, -1.0] * 50), (4, 1))  # exactly balanced bits
    assert est.mutual_information_bits(x, x) == pytest.approx(400.0)
    assert est.mutual_information_bits(x, -x) == pytest.approx(400.0)
    assert est.mutual_information_bits(x, np.ones_like(x)) == pytest.approx(0.0)
    # A binary symmetric channel flipping exactly 10 % of each value: 1 - H(0.1).
    y = x.copy()
    y[:, :10] *= -1  # 5 of each sign flipped per row
    h = -(0.1 * np.log2(0.1) + 0.9 * np.log2(0.9))
    assert est.mutual_information_bits(x, y) == pytest.approx(400 * (1 - h))
    # 0/1 patterns: perfect recall of coding level 1/4 carries H(1/4) per unit.
    s = np.tile(np.array([1.0, 0.0, 0.0, 0.0] * 10), (3, 1))
    h4 = -(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75))
    assert est.mutual_information_bits(s, s) == pytest.approx(120 * h4)


def test_corrupt_flips_or_moves_exactly_k_units():
    x = nm.patterns.random_bipolar(6, 50, seed=0)
    c = est.corrupt(x, 7, "bipolar", seed=1)
    assert np.all((c != x).sum(1) == 7)
    np.testing.assert_array_equal(est.corrupt(x, 7, "bipolar", seed=1), c)
    s = nm.patterns.random_sparse(6, 100, n_active=10, seed=0)
    c = est.corrupt(s, 3, "sparse", seed=2)
    assert np.all(c.sum(1) == 10)  # activity kept
    assert np.all(((s == 1) & (c == 0)).sum(1) == 3)  # 3 active units silenced
    assert np.all(((s == 0) & (c == 1)).sum(1) == 3)  # 3 silent units activated
    np.testing.assert_array_equal(est.corrupt(s, 0, "sparse", seed=2), s)


def test_synapses_are_counted_per_trainable_parameter():
    x = nm.patterns.random_bipolar(5, 30, seed=0)
    hop = nm.create("hopfield", n_units=30).store(x)
    assert est.count_synapses(hop) == 30 * 29  # no self-connections
    mlp = nm.create("mlp", n_units=30, hidden=[12], epochs=2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nm.NeuromemWarning)  # 2 epochs do not converge
        mlp.store(x)
    assert est.count_synapses(mlp) == 30 * 12 + 12 + 12 * 30 + 30  # weights + biases
    dense = nm.create("dense-hopfield", n_units=30).store(x)
    assert est.count_synapses(dense) == 5 * 30


# -- known answers of whole searches -------------------------------------------------


def _numpy_hebbian_fraction(x: np.ndarray, cues: np.ndarray) -> float:
    """Plain-numpy Hopfield: W = X^T X / N without self-coupling, synchronous sign
    updates, a unit whose field is exactly 0 keeps its state; fraction recalled."""
    n = x.shape[1]
    w = x.T @ x / n
    np.fill_diagonal(w, 0.0)
    s = cues.copy()
    for _ in range(100):
        h = s @ w.T
        new = np.where(np.abs(h) < 1e-9, s, np.sign(h))
        if np.array_equal(new, s):
            break
        s = new
    m = (s * x).sum(1) / n
    return float(np.mean(m >= 0.95))


def test_hebbian_critical_load_matches_a_numpy_reference_at_the_default_size():
    config = cmp.compare_config(seed=0, models=["hopfield"])
    (entry,) = [e for e in config["models"] if e["label"] == "hopfield"]
    reg = regime_of(config, "bipolar")
    n, k = reg.n_units, reg.k_cue
    assert n == 100 and k == 10 and config["repeats"] == 5
    caps = [capacity_task(config, 0, r) for r in range(config["repeats"])]
    e = est.interval([c["completion"] for c in caps])
    # The reference scans every P on a grid with the same patterns and cues and takes
    # the first P with fewer than half recalled.
    ref = []
    for r in range(config["repeats"]):
        fr = {}
        for p in range(1, 31):
            x = nm.patterns.random_bipolar(
                p, n, seed=derive_seed(0, "compare-patterns", "bipolar", r, p)
            )
            cues = est.corrupt(
                x, k, "bipolar", derive_seed(0, "compare-cues", "bipolar", r, p, k)
            )
            fr[p] = _numpy_hebbian_fraction(x, cues)
        first_fail = min(p for p in fr if fr[p] < 0.5)
        ref.append((first_fail - 0.5) / n)
    assert entry["regime"] == "bipolar"
    assert e.low <= np.mean(ref) <= e.high
    assert np.max(np.abs(np.array(ref) - [c["completion"] for c in caps])) <= 2 / n
    # Amit-Gutfreund-Sompolinsky: 0.138 for N -> infinity; at N = 100 the criterion
    # "half of the patterns within overlap 0.95" is met somewhat above it.
    assert 0.1 < e.value < 0.25


class CopyCue(nm.Memory):
    """A test-only memory with identity weights: recall returns the cue."""

    name = "copy-cue"
    encodings = ("bipolar",)

    def __init__(self, n_units: int, seed=None):
        self.n_units = n_units
        self.seed = seed

    def store(self, patterns, targets=None):
        self.patterns_ = nm.validation.check_patterns(patterns, n_units=self.n_units)
        return self

    def recall(self, cues):
        c = nm.validation.check_patterns(cues, n_units=self.n_units)
        n = len(c)
        return nm.RecallResult(c.copy(), np.ones(n, dtype=int), np.ones(n, dtype=bool))


class NeedsSteps(CopyCue):
    """A test-only memory whose recall returns a trajectory (like a sequence model)."""

    name = "needs-steps"

    def recall(self, cues, n_steps=3):
        c = nm.validation.check_patterns(cues, n_units=self.n_units)
        n = len(c)
        states = np.repeat(c[:, None, :], n_steps + 1, axis=1)
        return nm.RecallResult(states, np.ones(n, dtype=int), np.ones(n, dtype=bool))


@pytest.fixture
def extra_models(monkeypatch):
    from neuromem.registry import models

    monkeypatch.setitem(models._load(), "copy-cue", CopyCue)
    monkeypatch.setitem(models._load(), "needs-steps", NeedsSteps)
    monkeypatch.setitem(models._origins, "copy-cue", "tests")
    monkeypatch.setitem(models._origins, "needs-steps", "tests")


def test_a_network_that_copies_its_cue_completes_nothing(extra_models):
    config = cmp.compare_config(seed=0, repeats=2, models=["copy-cue", "needs-steps"])
    by = {e["label"]: e for e in config["models"]}
    assert by["needs-steps"]["regime"] is None
    assert by["needs-steps"]["status"].startswith("not applicable")
    i = [e["label"] for e in config["models"]].index("copy-cue")
    cap = capacity_task(config, i, 0)
    # From 10 % flipped cues the copy has overlap 0.8 < 0.95: nothing is completed,
    # while from clean cues it "recalls" every pattern up to the maximum load.
    assert cap["completion"] == 0.0 and not cap["completion_censored"]
    assert cap["stability"] == 1.0 and cap["stability_censored"]
    # Its basin is known exactly: k flips leave overlap 1 - 2k/N >= 0.95 up to k = 2
    # of N = 100, at every load (the basin search, end to end, on a known answer).
    basin = basin_task(config, i, 0, [1, 7, 30])
    assert basin["radii"] == [(0.02, False)] * 3


# -- the whole command: determinism and the report ------------------------------------


def _install_toy_plugin(site: Path) -> None:
    import shutil

    meta = tomllib.loads((PLUGIN_SRC / "pyproject.toml").read_text())["project"]
    dist = site / "neuromem_toy_plugin-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: 0.1.0\n"
    )
    lines = []
    for group, eps in meta["entry-points"].items():
        lines.append(f"[{group}]")
        lines += [f"{k} = {v}" for k, v in eps.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    shutil.copytree(PLUGIN_SRC / "neuromem_toy_plugin", site / "neuromem_toy_plugin")


@pytest.fixture
def toy_plugin(tmp_path, monkeypatch):
    from neuromem.registry import models, rules

    site = tmp_path / "site"
    site.mkdir()
    _install_toy_plugin(site)
    monkeypatch.syspath_prepend(str(site))
    models.reload()
    rules.reload()
    yield
    for mod in [m for m in sys.modules if m.startswith("neuromem_toy_plugin")]:
        del sys.modules[mod]
    models.reload()
    rules.reload()


def test_quick_report_names_every_model_cites_and_captions(tmp_path, toy_plugin, capsys):
    from neuromem.cli import main

    assert "toy-memory" in nm.list_models() and "toy-hebb" in nm.list_rules()
    out = tmp_path / "cmp"
    assert main(["compare", "--quick", "--out", str(out), "--repeats", "2"]) == 0
    printed = capsys.readouterr().out
    report = (out / "report.html").read_text()
    for name in nm.list_models():
        assert name in report and name in printed, name
    for rule in nm.list_rules():  # every storage rule takes part (or is marked)
        assert f"hopfield-{rule}" in report or rule == "hebbian"
    assert "hopfield-toy-hebb" in printed
    # Sparse networks in their regime; a rule that cannot store is not scored 0.
    summary = list(csv.DictReader(open(out / "summary.csv", encoding="utf-8")))
    by = {r["model"]: r for r in summary}
    assert by["willshaw-adaptive"]["patterns"] == "sparse"
    assert by["hopfield-binary"]["patterns"] == "sparse"
    assert by["hopfield"]["patterns"] == "bipolar"
    # A rule that needs a third factor, one that learns transitions and a sequence
    # memory are not rows: one line names them and says why (issue 19).
    for left in ("hopfield-backprop", "hopfield-temporal-hebbian", "sequence"):
        assert left not in by, left
    (line,) = [n for n in printed.splitlines() if n.startswith("note: Left out")]
    for left, why in (
        ("hopfield-backprop", "third factor"),
        ("hopfield-temporal-hebbian", "transitions"),
        ("sequence", "not an auto-associative memory"),
    ):
        assert re.search(rf"{left} \([^)]*{why}", line), (left, line)
    assert line[len("note: ") :] in report
    assert set(summary[0]) == set(cmp.SUMMARY_COLUMNS)
    # Every figure has a caption; every citation is in the references.
    figures = re.findall(r"<figure>.*?</figure>", report, flags=re.S)
    assert len(figures) >= 5
    assert all("<figcaption>" in f and "<b>" in f for f in figures)
    refs = re.search(r"<h2>References</h2><ol>(.*?)</ol>", report, flags=re.S)
    assert refs and refs.group(1).count("<li") >= 3
    for short in set(re.findall(r"\[([A-Z][^\]]*\d{4})\]", report)):
        assert f"[{short}]" in refs.group(1), short
    # Citations written "(Author, ... Year)" in a caption (the study sections) too.
    body = report[: report.index("<h2>References</h2>")]
    for author in set(re.findall(r"\(([A-Z][a-z]+)[ ,][^()]*?(?:19|20)\d\d\)", body)):
        assert author in refs.group(1), author
    for link in ("summary.csv", "evaluations.csv", "run.json"):
        assert f'href="{link}"' in report
    assert "<h2>Notes</h2>" in report and "<h2>Models</h2>" in report
    for col in cmp.SUMMARY_COLUMNS:
        assert f"<dt>{col}</dt>" in report
    # Glyph title and table agree on the noise.
    assert "cues, 10% of each letter" in report and cmp.CUE_NOISE == 0.1
    # run.json holds every model's resolved parameters, defaults filled in.
    meta = __import__("json").loads((out / "run.json").read_text())
    hop = next(m for m in meta["models"] if m["label"] == "hopfield")
    assert hop["resolved"]["rule"] == "hebbian" and "max_steps" in hop["resolved"]
    assert hop["resolved"]["learning_rules"]
    # neuromem plot redraws the figures of a compare folder.
    (out / "capacity.png").unlink()
    assert main(["plot", str(out)]) == 0
    assert (out / "capacity.png").is_file()


def _identity(summary):
    return [{k: v for k, v in r.items() if k not in cmp.TIMING_COLUMNS} for r in summary]


def test_same_seed_same_summary_serial_parallel_and_under_load(tmp_path):
    models = ["hopfield-storkey", "willshaw-adaptive", "mlp"]
    a = cmp.compare(tmp_path / "a", quick=True, models=models, repeats=2, seed=3)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        b = cmp.compare(
            tmp_path / "b", quick=True, models=models, repeats=2, seed=3, jobs=2
        )
    finally:
        busy.kill()
        busy.wait()
    assert _identity(a["summary"]) == _identity(b["summary"])
    drop = ("store_ms", "recall_ms")
    assert [{k: v for k, v in r.items() if k not in drop} for r in a["evaluations"]] == [
        {k: v for k, v in r.items() if k not in drop} for r in b["evaluations"]
    ]
    assert a["table"].split("\n")[0].startswith("model")
    with pytest.raises(nm.ValidationError, match=r"^models"):
        cmp.compare(tmp_path / "c", quick=True, models=["no-such-model"])
    with pytest.raises(nm.ValidationError, match=r"^repeats"):
        cmp.compare(tmp_path / "c", quick=True, repeats=1)


def test_section_builders_add_sections(tmp_path):
    import os

    seen = {}

    def extra(ctx):
        seen["progress"] = os.environ.get("NEUROMEM_PROGRESS")
        ctx.note("an extra finding")
        return (
            "Extra section",
            f"<p>{len(ctx.summary)} models {ctx.cite('hopfield1982')}</p>",
        )

    cmp.register_section(extra)
    try:
        res = cmp.compare(tmp_path, quick=True, models=["hopfield"], repeats=2)
    finally:
        cmp.SECTIONS.remove(extra)
    report = Path(res["report"]).read_text()
    assert "<h2>Extra section</h2>" in report and "an extra finding" in report
    assert "Hopfield, J. J. (1982)" in report
    # Not on a terminal: the models' own late progress bars are off during the run
    # (they wrote tqdm lines into logs), and the setting is restored after it.
    assert seen["progress"] == "0"
    assert os.environ.get("NEUROMEM_PROGRESS") is None


def test_late_progress_bars_stay_off_when_told(capsys, monkeypatch):
    from neuromem import progress

    monkeypatch.setattr(progress, "DELAY", -1.0)  # a bar from the first iteration
    list(progress.steps(3, "epochs"))
    assert "epochs" in capsys.readouterr().err
    monkeypatch.setenv(progress.ENV, "0")
    list(progress.steps(3, "epochs"))
    assert "epochs" not in capsys.readouterr().err


# -- faults found in review (each test failed before its fix) -------------------------


def test_a_rule_for_0_1_patterns_runs_in_0_1_units_on_sparse_patterns():
    # Tsodyks-Feigel'man takes only 0/1 patterns: it is the sparse network's own rule,
    # so it is compared on sparse patterns, not marked "cannot be created".
    (e,) = cmp.model_entries(["hopfield-tsodyks-feigelman"])
    assert e["params"] == {"units": "binary", "rule": "tsodyks-feigelman"}
    assert (e["regime"], e["status"]) == ("sparse", "")
    assert e["family"] == "sparse 0/1 networks"


def test_an_empty_or_inapplicable_selection_is_a_clear_error_or_a_table():
    with pytest.raises(nm.ValidationError, match=r"^models: got no model"):
        cmp.compare_config(models=[])
    # Only not-applicable models: the table still prints (it raised TypeError).
    row = dict.fromkeys(cmp.SUMMARY_COLUMNS, math.nan)
    row.update(model="sequence", patterns="not applicable", status="not applicable: x")
    text = cmp.table_text([row])
    assert text.startswith("model") and "sequence  not applicable: x" in text


def test_a_selection_with_nothing_to_compare_or_a_name_twice_exits_2(tmp_path, capsys):
    from neuromem.cli import main

    out = tmp_path / "c"
    # Only a model the comparison leaves out: exit 2 naming why, not an empty table.
    assert main(["compare", "--quick", "--models", "sequence", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--models" in err and "applies to" in err and "sequence" in err
    # A name twice would enter every interval twice: refused, not de-duplicated.
    assert main(["compare", "--quick", "--models", "mlp,mlp", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--models" in err and "mlp given twice" in err
    assert not out.exists()  # refused before anything was written
    with pytest.raises(nm.ValidationError, match=r"^models"):
        cmp.compare(out, quick=True, models=["hopfield", "hopfield"])


def _tables(folder):
    return {
        name: [{k: v for k, v in r.items() if k not in cmp.TIMING_COLUMNS} for r in rows]
        for name in ("summary.csv", "evaluations.csv")
        for rows in [list(csv.DictReader(open(folder / name, encoding="utf-8")))]
    }


def test_run_compare_resumes_redraws_and_force_removes_its_study_folders(
    tmp_path, capsys, monkeypatch
):
    from neuromem.cli import main
    from neuromem.experiments.compare.protocol import Compare
    from neuromem.experiments.engine import read_run

    def small(cls, quick=False, seed=0, notes=None):  # the preset, on two models
        return cls({"quick": quick, "repeats": 2, "models": ["hebbian", "mlp"]}, seed)

    monkeypatch.setattr(Compare, "preset", classmethod(small))
    out = tmp_path / "c"
    args = ["run", "compare", "--quick", "--out", str(out)]
    assert main(args) == 0
    assert "2 rows (0 failed)" in capsys.readouterr().out
    meta = read_run(out)
    assert meta["protocol"] == "compare" and meta["complete"] is True
    assert meta["n_tasks"] == 2 * 2 * 2 + 1  # searches, and the glyph letters
    assert {"report.html", "sequence", "consolidation"} <= set(meta["files"])
    first = _tables(out)
    # Nothing left to run: every task is kept, the tables are the same.
    assert main([*args, "--resume"]) == 0
    assert read_run(out)["resumed_rows"] == 9 and _tables(out) == first
    (out / "capacity.png").unlink()
    assert main(["plot", str(out)]) == 0  # through the engine
    assert (out / "capacity.png").is_file()
    # Another run forced into the folder removes compare's files and its study
    # sub-folders; a file and a folder of the user's are kept.
    (out / "notes.txt").write_text("mine")
    (out / "mine").mkdir()
    assert main(["run", "forgetting", "--quick", "--out", str(out), "--no-plot"]) == 2
    assert main(["run", "forgetting", "--quick", "--out", str(out), "--force"]) == 0
    left = set(os.listdir(out))
    assert not {"sequence", "consolidation", "assemblies", "report.html"} & left
    assert not {"summary.csv", "evaluations.csv", "capacity.png"} & left
    assert {"notes.txt", "mine", "results.csv", "forgetting.png"} <= left


def test_the_glyph_title_fits_in_its_figure():
    letters = nm.patterns.glyphs("NEUROMAB", size=12)
    # Long model names push the axes, and a title centred on it, to the right.
    names = ["hopfield-temporal-hebbian", "hopfield-pseudoinverse", "mlp"]
    grid = [("stored", letters), ("cue", letters)] + [(m, letters) for m in names]
    seen = {}

    class Ctx(cmp.ReportContext):
        def figure(self, ax, name, caption):
            fig = ax.figure
            fig.tight_layout()
            fig.canvas.draw()
            seen["title"] = ax.title.get_window_extent()
            seen["fig"] = fig.bbox
            return ""

    ctx = Ctx(
        Path("."), {"glyphs": {"text": "NEUROMAB", "size": 12}, "_glyph_grid": grid}, [], []
    )
    draw_glyphs(ctx)
    t, f = seen["title"], seen["fig"]
    assert f.x0 <= t.x0 and t.x1 <= f.x1 and t.y1 <= f.y1


def test_the_capacity_caption_states_the_cue_corruption_actually_used():
    # 10 % of 5 active units rounds to 0, so --quick moves 1 of 5 (20 %), not "10 %".
    quick = cmp.compare_config(quick=True, models=["hopfield"])["regimes"]
    assert cue_text(quick["sparse"]) == "1 of the 5 active units"
    assert cue_text(quick["bipolar"]) == "5 of the 48 units"
    full = cmp.compare_config(models=["hopfield"])["regimes"]
    assert cue_text(full["sparse"]) == "1 of the 10 active units"
    assert cue_text(full["bipolar"]) == "10 of the 100 units"


def test_willshaw_theory_line_at_the_overlap_criterion_of_the_figure():
    from neuromem.models.willshaw import willshaw_capacity

    reg = regimes(False)["sparse"].to_dict()
    n, k = reg["n_units"], round(reg["coding_level"] * reg["n_units"])
    # All k active units and f spurious ones: sparse overlap 1 - f / (N - k).
    x = np.zeros((1, n))
    x[0, :k] = 1
    s = x.copy()
    s[0, k : k + 9] = 1
    assert nm.metrics.overlap(s, x)[0] == pytest.approx(1 - 9 / (n - k))
    f = (1 - est.THRESHOLD) * (n - k)
    lines = capacity_lines("willshaw", n, reg["coding_level"])
    loads = [x for _, x, _ in lines]
    assert willshaw_capacity(n, n, k, k, fidelity=0.01) / n in loads
    assert willshaw_capacity(n, n, k, k, fidelity=f / k) / n in loads


def test_bits_are_a_lower_bound_only_where_the_synapses_are_fixed():
    config = cmp.compare_config(quick=True, seed=0, repeats=2, models=["dense-hopfield"])
    config["models"][0].pop("search")  # the regime's N = 48 and loads up to 0.5
    cap = capacity_task(config, 0, 0)
    # Completion never fails up to the maximum load, but the synapses (the stored
    # pattern matrix) grow with the load: 1 bit per synapse at every load, no "≥".
    assert cap["completion_censored"] and not cap["bits_censored"]
    assert cap["bits_per_synapse"] == pytest.approx(1.0, abs=0.01)
    summary = summary_rows(config, [cap, {**cap, "repeat": 1}], [], [], {}, {})
    assert summary[0]["alpha_c_censored"] and not summary[0]["bits_per_synapse_censored"]
    assert not estimate_text(summary[0], "bits_per_synapse").startswith("≥")


def test_resolved_parameters_record_the_layer_widths_in_effect():
    (e,) = cmp.model_entries(["mlp"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nm.NeuromemWarning)
        res = cmp.resolved_params(e, 16)
    assert res["hidden"] is None and res["populations"]["hidden1"] == 16
    assert res["learning_rate"] is not None  # the optimiser's default, as used


def test_coinciding_recall_curves_stay_visible():
    # Two models recalling everything at every load: both must show, not only the last.
    ev = [
        {"model": m, "measure": "completion", "error": "", "load": a, "recalled": 1.0}
        for m in ("a", "b")
        for a in (0.1, 0.2)
    ]
    rows = [
        {**dict.fromkeys(cmp.SUMMARY_COLUMNS, math.nan), "model": m, "status": ""}
        | {"family": "dense and modern Hopfield"}
        for m in ("a", "b")
    ]
    seen = {}

    class Ctx(cmp.ReportContext):
        def figure(self, fig, name, caption):
            seen["lines"] = [ln for ln in fig.axes[0].lines if ln.get_label() in ("a", "b")]
            return ""

    draw_curves(Ctx(Path("."), {"repeats": 2}, rows, ev))
    a, b = seen["lines"]
    assert a.get_markersize() > b.get_markersize()  # the first drawn rings the next
    assert a.get_markerfacecolor() == "none" and b.get_markerfacecolor() == "none"


# -- what takes part, from the tags; the package's shape (issues 17 and 19) -----------


def test_rules_and_models_that_cannot_be_compared_are_left_out_with_why():
    wanted = ["hopfield-backprop", "hopfield-temporal-hebbian", "sequence", "mlp"]
    config = cmp.compare_config(models=wanted)
    assert [e["label"] for e in config["models"]] == ["mlp"]
    why = {e["label"]: e["reason"] for e in config["left_out"]}
    assert sorted(why) == sorted(wanted[:3])
    assert "third factor" in why["hopfield-backprop"]
    assert "transitions" in why["hopfield-temporal-hebbian"]
    assert "not an auto-associative memory" in why["sequence"]
    line = left_out_text(config["left_out"])
    assert line.count("\n") == 0 and all(w in line for w in wanted[:3])
    # The full list of candidates: every other rule fits the classical network.
    labels = [e["label"] for e in cmp.model_entries()]
    assert not set(wanted[:3]) & set(labels)
    cannot = {  # rules that need a third factor or learn transitions (STDP too)
        f"hopfield-{r}"
        for r in nm.list_rules()
        if nm.get_tags(nm.create_rule(r)).needs_signal
        or nm.get_tags(nm.create_rule(r)).temporal
    }
    assert {
        "hopfield-backprop",
        "hopfield-temporal-hebbian",
        "hopfield-pair-stdp",
    } <= cannot
    # The default, hebbian, is the "hopfield" row itself.
    assert {f"hopfield-{r}" for r in nm.list_rules()} - set(labels) == {
        "hopfield-hebbian",
        *cannot,
    }


def test_entries_take_family_regime_and_theory_from_the_tags():
    by = {e["label"]: e for e in cmp.model_entries()}
    for label, e in by.items():
        mem = nm.create(e["name"], n_units=16, **e["params"])
        tags = nm.get_tags(mem)
        assert e["regime"] == tags.regime, label
        if e["regime"] == "bipolar":
            assert e["family"] == tags.family, label
        assert set(tags.theory) <= set(e["theory"]), label
    assert by["hopfield"]["theory"][0] == "hopfield-hebbian"
    assert by["hopfield-storkey"]["theory"] == ["storkey"]


COMPARE_DIR = Path(cmp.__file__).parent


def test_the_compare_package_names_no_model_and_no_theory_constant():
    import ast

    from neuromem.experiments.engine import protocols

    # "sequence" is also the name of a study (a protocol) whose section the report
    # includes, and of its theory anchor: those uses are not the model's.
    names = set(nm.list_models()) | {"hopfield-binary", "willshaw-adaptive"}
    names -= set(protocols.names())
    for path in COMPARE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value not in names, (path.name, node.value)
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                assert node.value not in (0.138, 0.14, 2 / math.pi, 0.269), path.name


def test_the_compare_package_is_small_modules_without_local_imports_or_privates():
    import ast

    for path in COMPARE_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 500, path.name
        tree = ast.parse(text)
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                for node in ast.walk(fn):
                    if isinstance(node, ast.ImportFrom):
                        # third-party imports only (matplotlib, distributed) inside
                        assert node.level == 0, (path.name, fn.name)
                        assert not (node.module or "").startswith("neuromem"), path.name
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, (path.name, private)
    # plots.py, which compare draws with, imports nothing of compare.
    plots = (COMPARE_DIR.parent / "plots.py").read_text(encoding="utf-8")
    assert "from .compare" not in plots and "import compare" not in plots


def test_a_model_is_searched_at_the_size_and_loads_its_tags_give():
    config = cmp.compare_config(quick=True, models=["modern-hopfield"], repeats=2)
    (e,) = config["models"]
    assert e["search"] == {"n_units": 10, "max_load": 64.0, "conditions": ["beta"]}
    reg = entry_regime(config, e)
    assert (reg.n_units, reg.max_load, reg.k_cue) == (10, 64.0, 1)
    assert regime_of(config, "bipolar").n_units == 48  # the regime itself is unchanged
    caps = [capacity_task(config, 0, r) for r in range(2)]
    loads = [max(1, round(f * c["completion"] * 10)) for c in caps for f in (0.25, 0.5)]
    basins = [basin_task(config, 0, r, [loads[0], loads[1], 1]) for r in range(2)]
    rows = [x for t in [*caps, *basins] for x in t["rows"]]
    assert {x["n_units"] for x in rows} == {10}
    # Recalled from cues with 1 of the 10 units flipped at a few patterns, not at 64 N:
    # the search brackets the capacity instead of stopping at the maximum.
    assert all(not c["completion_censored"] and 1 < c["completion"] < 30 for c in caps)
    (row,) = summary_rows(config, caps, basins, rows, {}, {})
    assert row["n_units"] == 10 and not row["alpha_c_censored"]
    e["resolved"] = {"beta": 1.0, "n_units": 10}
    text = table_text([{**row, "cpu_s": 0.0}], config)
    assert text.splitlines()[-1] == (
        "modern-hopfield: measured at N = 10 (cues: 1 of the 10 units flipped; loads "
        "searched up to P/N = 64), beta = 1.0"
    )
    assert "measured at" not in table_text([{**row, "cpu_s": 0.0}])


def test_capacity_search_tags_that_make_no_sense_are_refused_by_name():
    class Plugin:
        def __init__(self, search):
            self.search = search

        def __neuromem_tags__(self):
            return nm.ModelTags(capacity_search=self.search)

        def param_names(self):
            return ["beta"]

    cs = nm.tags.CapacitySearch
    assert _search(Plugin(cs()), "bipolar") == {}
    assert _search(Plugin(cs(n_units=12)), None) == {}  # not measured: nothing to say
    for bad, name in (
        (cs(n_units=2), "capacity_search.n_units"),
        (cs(max_load=0.0), "capacity_search.max_load"),
        (cs(max_load=math.inf), "capacity_search.max_load"),
        (cs(conditions=("order",)), "capacity_search.conditions"),
    ):
        with pytest.raises(nm.ValidationError, match=name):
            _search(Plugin(bad), "bipolar")
