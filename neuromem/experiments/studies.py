"""Studies: built-in experiments with their own protocol (not a grid of store/recall trials).

``sequence`` (sequence capacity of the Hebbian sequence network, dense variant growth,
an example trajectory) and ``consolidation`` (complementary learning systems) run as
``neuromem run sequence`` / ``neuromem run consolidation``, through
:func:`neuromem.experiments.run`, or directly::

    from neuromem.experiments.studies import sequence
    sequence(quick=True).run("results/sequence")

A run writes into its folder ``run.json`` (``"format": "neuromem-study"``, the
configuration, the root seed, the versions), ``results.csv`` (the main table), one CSV per
further table, ``summary.json`` (the headline numbers) and the figures; ``neuromem plot``
redraws the figures from the folder. Every number depends only on the configuration and
the root seed, so a run that is resumed (or repeated) is recomputed to the same tables.
:func:`report_section` turns a folder into an HTML section for the ``compare`` report.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ValidationError, described
from ..io import atomic_write
from ..validation import check_bool

__all__ = [
    "STUDIES",
    "Study",
    "build_section",
    "consolidation",
    "draw_study",
    "read_table",
    "report_section",
    "sequence",
]

FORMAT = "neuromem-study"


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    cols = list(rows[0]) if rows else ["error"]
    with atomic_write(path, "w") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in r.items()})


def _value(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def read_table(path: Path) -> list[dict[str, Any]]:
    """Rows of a study table, numbers typed (``error`` stays a string).

    Raises
    ------
    ValidationError
        If the file is not UTF-8 CSV or a row has more or fewer fields than the
        header (a torn or edited line is refused, never skipped).
    """
    rows = []
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            for r in reader:
                if None in r or None in r.values():
                    raise ValidationError(
                        "results",
                        described(
                            f"{str(path)!r} with a row of the wrong length "
                            f"(line {reader.line_num})"
                        ),
                        "a table written by a study",
                    )
                rows.append(
                    {
                        k: (v if k in ("error", "condition", "variant") else _value(v))
                        for k, v in r.items()
                    }
                )
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError(
            "results", described(f"{str(path)!r}, unreadable ({exc})"), "a UTF-8 CSV table"
        ) from None
    return rows


def _save(ax, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig = ax.figure
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


class Study:
    """A built-in experiment with its own protocol.

    Parameters
    ----------
    name : str
        ``"sequence"`` or ``"consolidation"``.
    params : dict
        Keyword arguments of the study's compute function (JSON-serialisable).
    seed : int
        Root seed.
    description : str
        One line for the report.
    """

    #: Marks a study for :func:`neuromem.experiments.run` (which hands it its folder).
    is_study = True

    def __init__(self, name: str, params: dict[str, Any], seed: int, description: str):
        if name not in _COMPUTE:
            raise ValidationError("name", name, "one of " + ", ".join(map(repr, _COMPUTE)))
        self.name = name
        self.params = dict(params)
        self.seed = int(seed)
        self.description = description

    def to_dict(self) -> dict[str, Any]:
        """The configuration written to ``run.json``."""
        return {
            "name": self.name,
            "params": self.params,
            "seed": self.seed,
            "description": self.description,
        }

    def compute(self) -> dict[str, Any]:
        """Run the study in memory: ``{"tables": {name: rows}, "summary": {...},
        "arrays": {name: ndarray}}``; ``tables["results"]`` is the main table."""
        return _COMPUTE[self.name](seed=self.seed, **self.params)

    def run(
        self,
        out: str | Path,
        *,
        resume: bool = False,
        force: bool = False,
        progress: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Compute the study and write its folder; returns the main table's rows.

        ``resume`` recomputes (the tables depend only on the configuration and seed);
        ``force`` overwrites a folder holding another run (refused otherwise).
        ``progress`` is accepted for the runner's signature and not used.
        """
        from .runner import read_run, versions

        check_bool(resume, "resume")
        force = check_bool(force, "force")
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise ValidationError("out", str(out), "a folder (this is a file)")
        old = read_run(out)
        if (old is not None or (out / "results.csv").exists()) and not force:
            if old is None or old.get("experiment") != self.to_dict():
                raise ValidationError(
                    "out",
                    described(f"{str(out)!r}, which holds another run"),
                    "an empty folder, a folder of the same study, or --force "
                    "(force=True) to overwrite it",
                )
        out.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "experiment": self.to_dict(),
            "seed": self.seed,
            "versions": versions(),
            "complete": False,
        }

        def write_meta():
            with atomic_write(out / "run.json", "w") as fh:
                json.dump(meta, fh, indent=2, sort_keys=True)
                fh.write("\n")

        write_meta()
        result = self.compute()
        for name, rows in result["tables"].items():
            _write_csv(out / f"{name}.csv", rows)
        for name, arr in result.get("arrays", {}).items():
            with atomic_write(out / f"{name}.npy", "wb") as fh:
                np.save(fh, arr)
        with atomic_write(out / "summary.json", "w") as fh:
            json.dump(result["summary"], fh, indent=2, sort_keys=True)
            fh.write("\n")
        meta["complete"] = True
        meta["tables"] = sorted(result["tables"])
        write_meta()
        return result["tables"]["results"]

    def draw(self, out: str | Path) -> list[Path]:
        """Draw the figures of a folder this study wrote."""
        return draw_study(out)


# -- sequence ----------------------------------------------------------------------


def _sequence_compute(
    seed: int,
    sizes: list[int],
    loads: list[float],
    repeats: int,
    growth: dict[str, dict[str, Any]],
    trajectory: dict[str, Any],
) -> dict[str, Any]:
    from ..models.sequence import SequenceMemory
    from ..patterns import random_bipolar
    from .sequences import capacity_sweep, crossover, growth_exponent, max_length

    rows = capacity_sweep(sizes=sizes, loads=loads, repeats=repeats, seed=seed)
    cross = crossover(rows)
    frac = {
        f"N={n} alpha={a}": float(
            np.mean([r["retrieved"] for r in rows if r["n_units"] == n and r["load"] == a])
        )
        for n in sizes
        for a in loads
    }
    grow = []
    for label, spec in growth.items():
        options = spec.get("options", {})
        for n in spec["sizes"]:
            grow.append(
                {
                    "variant": label,
                    "n_units": n,
                    "max_length": max_length(n, repeats=3, seed=seed, **options),
                    "error": "",
                }
            )
    # An example: a slow, stable replay with a symmetric part and delayed synapses.
    t = trajectory
    x = random_bipolar(t["n_patterns"], t["n_units"], seed=seed)
    mem = SequenceMemory(t["n_units"], **t.get("options", {})).store(x, cyclic=True)
    res = mem.recall(x[:1], n_steps=t["n_steps"], record="overlaps")
    summary = {
        "alpha_c_crossover": {str(k): v for k, v in cross.items()},
        "retrieved_fraction": frac,
        "max_length": {f"{r['variant']} N={r['n_units']}": r["max_length"] for r in grow},
        "growth_exponent": {
            label: growth_exponent(
                [(r["n_units"], r["max_length"]) for r in grow if r["variant"] == label]
            )
            for label in growth
        },
        "criterion": "a cycle is retrieved when its overlap with the expected pattern "
        "stays >= 0.5 for one full cycle (P steps) from the first pattern",
    }
    return {
        "tables": {"results": rows, "growth": grow},
        "summary": summary,
        "arrays": {"trajectory": res.trajectory["overlaps"][0]},
    }


def sequence(quick: bool = False, seed: int = 0, notes: list[str] | None = None) -> Study:
    """The ``sequence`` study: capacity crossover, dense growth, a delayed trajectory.

    Full: sizes N = 200 and 800, loads 0.15 to 0.35, 10 sequences each; the longest
    cycle retrieved for N = 16 to 128 (Hebbian, dense polynomial n = 2) and 16 to 32
    (dense n = 3). ``quick``: a few seconds.
    """
    if quick:
        params = {
            "sizes": [100, 200],
            # Loads between 0.15 and 0.35 too: from those two alone the crossover was
            # their midpoint, 0.25 whatever the network did, and the compare report
            # (which runs this design) quoted it as measured.
            "loads": [0.15, 0.2, 0.25, 0.275, 0.3, 0.35],
            "repeats": 4,
            "growth": {
                "hebbian": {"sizes": [16, 32]},
                "dense n=2": {
                    "sizes": [16, 32],
                    "options": {"variant": "dense", "order": 2},
                },
            },
        }
    else:
        params = {
            "sizes": [200, 800],
            "loads": [0.15, 0.2, 0.225, 0.2375, 0.25, 0.2625, 0.275, 0.2875, 0.3, 0.35],
            "repeats": 10,
            "growth": {
                "hebbian": {"sizes": [16, 32, 64, 128]},
                "dense n=2": {
                    "sizes": [16, 32, 64, 128],
                    "options": {"variant": "dense", "order": 2},
                },
                "dense n=3": {
                    "sizes": [16, 24, 32],
                    "options": {"variant": "dense", "order": 3},
                },
            },
        }
    params["trajectory"] = {
        "n_units": 400,
        "n_patterns": 8,
        "n_steps": 40,
        "options": {"symmetric": 1.0, "transition": 2.0, "delay": 3},
    }
    return Study(
        "sequence",
        params,
        seed,
        "Sequence memory: whole-cycle retrieval against the load at two sizes "
        "(alpha_c ~ 0.269), longest cycle against N (Hebbian and dense), and a "
        "slow replay with delayed synapses.",
    )


def _sequence_draw(folder: Path) -> list[Path]:
    from .sequences import plot_growth, plot_sequence_capacity, plot_trajectory

    rows = read_table(folder / "results.csv")
    paths = [_save(plot_sequence_capacity(rows), folder / "sequence-capacity.png")]
    grow = read_table(folder / "growth.csv")
    if grow:
        paths.append(_save(plot_growth(grow), folder / "sequence-growth.png"))
    traj = folder / "trajectory.npy"
    if traj.is_file():
        ax = plot_trajectory(np.load(traj))
        ax.set_title("symmetric 1, transition 2, delay 3: each pattern held 4 steps")
        paths.append(_save(ax, folder / "sequence-trajectory.png"))
    return paths


# -- consolidation -----------------------------------------------------------------


def _consolidation_compute(seed: int, loads: list[float], **options: Any) -> dict[str, Any]:
    from .consolidation import consolidation as run_cons
    from .consolidation import hippocampal_load_sweep, interval

    rows = run_cons(seed=seed, **options)
    sweep_opts = {k: v for k, v in options.items() if k != "conditions"}
    load_rows = hippocampal_load_sweep(loads, seed=seed, **sweep_opts)
    last = max(r["epoch"] for r in rows)
    final = {}
    for cond in dict.fromkeys(r["condition"] for r in rows):
        mine = [r for r in rows if r["condition"] == cond and r["epoch"] == last]
        final[cond] = {
            value: dict(
                zip(
                    ("mean", "low", "high"), interval([r[value] for r in mine]), strict=True
                )
            )
            for value in ("retention", "acquisition")
        }
    sweep = {
        f"load={a:.3g}": {
            value: interval([r[value] for r in load_rows if r["load"] == a])[0]
            for value in ("replay_quality", "retention")
        }
        for a in sorted({r["load"] for r in load_rows})
    }
    return {
        "tables": {"results": rows, "load": load_rows},
        "summary": {"final_epoch": last, "final": final, "load_sweep": sweep},
    }


def consolidation(
    quick: bool = False, seed: int = 0, notes: list[str] | None = None
) -> Study:
    """The ``consolidation`` study: four conditions and a hippocampal load sweep.

    Full: 64 + 64-unit episodes, 8 associations per set, an MLP with 16 hidden units
    (Adam, step 0.03, full batch), 30 epochs on A then 50 in the second phase, 10
    repeats; hippocampal loads 0.125 to 0.5. ``quick``: a few seconds.
    """
    params: dict[str, Any] = {
        "n_items": 8,
        "hidden": 16,
        "learning_rate": 0.03,
        "epochs_a": 30,
        "epochs_b": 50 if not quick else 20,
        "repeats": 10 if not quick else 2,
        "loads": [0.125, 0.2, 0.3, 0.4, 0.5] if not quick else [0.125, 0.4],
    }
    return Study(
        "consolidation",
        params,
        seed,
        "Systems consolidation: retention of A while an MLP learns B, under sequential "
        "and interleaved training, hippocampal replay and pseudo-rehearsal.",
    )


def _consolidation_draw(folder: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    from .consolidation import plot_consolidation, plot_load_sweep

    rows = read_table(folder / "results.csv")
    _, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    plot_consolidation(rows, a1, value="retention")
    plot_consolidation(rows, a2, value="acquisition")
    paths = [_save(a1, folder / "consolidation.png")]
    load = read_table(folder / "load.csv")
    if load:
        last = max(r["epoch"] for r in rows)
        seq = [
            r["retention"]
            for r in rows
            if r["condition"] == "sequential" and r["epoch"] == last
        ]
        ref = float(np.mean(seq)) if seq else None
        ax = plot_load_sweep(load, sequential=ref)
        paths.append(_save(ax, folder / "consolidation-load.png"))
    return paths


_COMPUTE: dict[str, Callable[..., dict[str, Any]]] = {
    "sequence": _sequence_compute,
    "consolidation": _consolidation_compute,
}
_DRAW: dict[str, Callable[[Path], list[Path]]] = {
    "sequence": _sequence_draw,
    "consolidation": _consolidation_draw,
}
_FIGURES = {
    "sequence": ("sequence-capacity.png", "sequence-growth.png", "sequence-trajectory.png"),
    "consolidation": ("consolidation.png", "consolidation-load.png"),
}
#: What each figure shows and how to read it (HTML), for report sections.
_CAPTIONS = {
    "sequence-capacity.png": (
        "<b>Sequence capacity.</b> Fraction of stored cyclic sequences retrieved whole "
        "(overlap with the expected pattern at least 0.5 at every step of one cycle, "
        "started from the first pattern) against the load alpha = P/N, Hebbian "
        "sequence network, synchronous updates, one curve per size N. The vertical line "
        "is the N -> infinity capacity 0.269 (During, Coolen & Sherrington 1998); the "
        "fall sharpens as N grows, the finite-size crossover."
    ),
    "sequence-growth.png": (
        "<b>Capacity growth.</b> Longest cycle that most networks replay whole (overlap "
        "at least 0.9 at every step) against N, log-log: Hebbian couplings against dense "
        "polynomial interactions (Chaudhry et al. 2023). A steeper line is a capacity "
        "that grows faster with N; the fitted exponents are listed above."
    ),
    "sequence-trajectory.png": (
        "<b>A recalled sequence.</b> Overlap of the network state with every stored "
        "pattern, step by step, from a cue at the first pattern: each pattern in turn "
        "comes up to overlap 1 and hands over to the next, in the stored order."
    ),
    "consolidation.png": (
        "<b>Consolidation.</b> Retention of set A (left) and acquisition of set B "
        "(right) by the cortical MLP, per epoch of training on B, for the four "
        "conditions: sequential training on B alone, interleaved A and B, hippocampal "
        "replay and pseudo-rehearsal. Mean overlap of the outputs with the stored values "
        "(1: every bit right, 0: chance) over the repeats, with 95 % intervals."
    ),
    "consolidation-load.png": (
        "<b>Replay from an overloaded hippocampus.</b> Quality of the hippocampal "
        "replays and the retention of A they buy, against the load of the Hopfield "
        "memory that replays them; as the load passes the Hopfield capacity both fall "
        "toward the sequential level."
    ),
}
#: The studies by name (each is also in ``builtin.BUILTINS``).
STUDIES: dict[str, Callable[..., Study]] = {
    "sequence": sequence,
    "consolidation": consolidation,
}


def draw_study(folder: str | Path) -> list[Path]:
    """Redraw the figures of a study's folder; returns the PNG paths written."""
    import matplotlib

    matplotlib.use("Agg")
    from .runner import read_run

    folder = Path(folder)
    meta = read_run(folder)
    exp = (meta or {}).get("experiment")
    name = exp.get("name") if isinstance(exp, dict) else None
    if meta is None or meta.get("format") != FORMAT or name not in _DRAW:
        raise ValidationError("results", str(folder), "a folder written by a study")
    if not (folder / "results.csv").is_file():
        raise ValidationError("results", str(folder), "a study folder with results.csv")
    from .runner import files_that_fit

    with files_that_fit(folder, "a folder as a study wrote it"):
        return _DRAW[name](folder)


def build_section(
    name: str,
    out: str | Path,
    *,
    quick: bool = False,
    seed: int = 0,
    force: bool = False,
) -> tuple[str, list[Path]]:
    """Run the study ``name`` into ``out`` (unless a complete run of the same
    configuration is there) and return its report section: ``(html, figure paths)``.

    This is the entry point for adding ``sequence`` and ``consolidation`` to a report
    such as ``neuromem compare``'s, e.g. ``build_section("sequence", out / "sequence",
    quick=quick, seed=seed)``.
    """
    from .runner import read_run

    if name not in STUDIES:
        raise ValidationError("name", name, "one of " + ", ".join(map(repr, STUDIES)))
    study = STUDIES[name](quick=quick, seed=seed)
    out = Path(out)
    meta = read_run(out)
    if not (meta and meta.get("complete") and meta.get("experiment") == study.to_dict()):
        study.run(out, force=force)
    return report_section(out)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.3g}"
    return str(v)


def report_section(folder: str | Path) -> tuple[str, list[Path]]:
    """An HTML section (``<section>`` with a heading, the headline numbers and the
    figures embedded as PNG data) for a study's folder, and the figure paths.

    Draws the figures if they are missing. Use it to add the ``sequence`` and
    ``consolidation`` studies to the ``compare`` report::

        study = sequence(quick=True); study.run(out / "sequence")
        html_text, figures = report_section(out / "sequence")
    """
    from .runner import read_run

    folder = Path(folder)
    meta = read_run(folder) or {}
    exp = meta.get("experiment", {})
    paths = [folder / f for f in _FIGURES.get(exp.get("name"), ())]
    if not paths or not all(p.is_file() for p in paths):
        paths = draw_study(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    items = []
    if exp["name"] == "sequence":
        for n, a in summary["alpha_c_crossover"].items():
            items.append(f"N = {n}: crossover alpha_c = {_fmt(a)} (theory 0.269)")
        for k, v in summary["retrieved_fraction"].items():
            items.append(f"{k}: {_fmt(v)} of the cycles retrieved")
        for k, v in summary["max_length"].items():
            items.append(f"{k}: longest cycle retrieved {v}")
        for k, v in summary.get("growth_exponent", {}).items():
            items.append(f"{k}: longest cycle grows like N^{_fmt(v)}")
    else:
        for cond, vals in summary["final"].items():
            r, a = vals["retention"], vals["acquisition"]
            items.append(
                f"{cond}: retention of A {_fmt(r['mean'])} "
                f"[{_fmt(r['low'])}, {_fmt(r['high'])}], acquisition of B "
                f"{_fmt(a['mean'])} (after {summary['final_epoch']} epochs on B)"
            )
        for k, v in summary["load_sweep"].items():
            items.append(
                f"hippocampal {k}: replay quality {_fmt(v['replay_quality'])}, "
                f"retention {_fmt(v['retention'])}"
            )

    def img(path: Path) -> str:
        data = base64.b64encode(path.read_bytes()).decode()
        caption = _CAPTIONS.get(path.name, html.escape(path.stem))
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{path.stem}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )

    lis = "".join(f"<li>{html.escape(t)}</li>" for t in items)
    text = (
        f'<section id="{exp["name"]}"><h2>{html.escape(exp["name"])}</h2>'
        f"<p>{html.escape(exp['description'])} Root seed {exp['seed']}.</p>"
        f"<ul>{lis}</ul>{''.join(img(p) for p in paths)}</section>"
    )
    return text, paths
