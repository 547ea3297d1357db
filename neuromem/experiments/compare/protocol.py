"""``compare`` as a protocol on the experiment engine, in two stages.

Stage ``capacity``: the completion and stability searches of every model and repeat
(and the glyph letters, which depend on nothing measured). Stage ``basins``: the basin
searches, at loads that are fractions of each model's measured ``alpha_c``, so their
tasks are computed from the first stage's results. The engine gives it the executors,
the journal and ``--resume``, the lock and ``--force``; :meth:`Compare.finish` writes
the figures and ``report.html`` beside the tables.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ...errors import ValidationError
from ...validation import check_int
from ..engine import Output, Protocol
from .context import ReportContext
from .entries import compare_config, left_out_text
from .findings import STUDY_FOLDERS
from .probe import basin_task, capacity_task, glyph_recall
from .redraw import redraw
from .regimes import BASIN_FRACTIONS, entry_regime
from .report import jsonable, resolved_params, write_report
from .summary import EVALUATION_SCHEMA, SUMMARY_SCHEMA, summary_rows, table_text

__all__ = ["Compare", "check_models"]


def check_models(models: Any) -> list[str] | None:
    """``models`` as a list of names (a comma-separated string is split), or None; a
    name given twice is refused: its repeats would enter the intervals twice."""
    if models is None:
        return None
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    if not isinstance(models, list | tuple) or not all(isinstance(m, str) for m in models):
        raise ValidationError("models", models, "a list of registry names or labels")
    twice = sorted(m for m, k in Counter(models).items() if k > 1)
    if twice:
        raise ValidationError(
            "models", ",".join(models), f"each name once ({', '.join(twice)} given twice)"
        )
    return list(models)


class Compare(Protocol):
    """Every registered model's completion capacity, stability, basin radii and
    information per synapse, with 95 % intervals over repeats (``neuromem compare``).

    Options: ``quick`` (small sizes), ``repeats`` (default 5, 3 with ``quick``; at
    least 2) and ``models`` (registry names or labels; default all).
    """

    name = "compare"
    description = (
        "Every registered model's completion capacity, stability, basin radii and "
        "information per synapse, with 95 % intervals; a table, figures and report.html."
    )
    format = "neuromem-compare"
    defaults: ClassVar[dict[str, Any]] = {"quick": False, "repeats": None, "models": None}
    stages = ("capacity", "basins")
    main_table = "summary"
    table_columns: ClassVar[dict[str, dict[str, type]]] = {
        "summary": SUMMARY_SCHEMA,
        "evaluations": EVALUATION_SCHEMA,
    }

    @classmethod
    def preset(cls, quick: bool = False, seed: int = 0, notes: list[str] | None = None):
        return cls({"quick": bool(quick)}, seed)

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        params["models"] = check_models(params["models"])
        if params["repeats"] is not None:
            params["repeats"] = check_int(params["repeats"], "repeats", low=2)
        config = compare_config(
            quick=params["quick"],
            seed=self.seed,
            repeats=params["repeats"],
            models=params["models"],
        )
        params["repeats"] = config["repeats"]
        params["models"] = config["models_selected"]
        #: The resolved configuration (regimes, model entries): what the tasks read.
        self.config = config
        self.active = [i for i, e in enumerate(config["models"]) if e["regime"]]
        if not self.active:
            left = left_out_text(config["left_out"]) or "no model was selected."
            raise ValidationError(
                "models",
                ",".join(params["models"] or []) or "all",
                f"at least one model the comparison applies to ({left})",
            )
        return params

    @property
    def n_searches(self) -> int:
        """Capacity and basin searches of a run (one task each)."""
        return 2 * len(self.active) * self.config["repeats"]

    # -- tasks ----------------------------------------------------------------------
    def stage_tasks(self, stage: str, earlier: dict[str, list[Any]]) -> list[tuple]:
        reps = range(self.config["repeats"])
        label = [e["label"] for e in self.config["models"]]
        if stage == "capacity":
            self._t0 = time.perf_counter()
            tasks = [("capacity", label[i], i, r) for i in self.active for r in reps]
            return [*tasks, ("glyphs",)]
        loads = self.basin_loads(earlier["capacity"])
        return [("basins", label[i], i, r, loads[i]) for i in self.active for r in reps]

    def stage_task(self, stage: str, index: int, key: tuple) -> Any:
        kind, *coords = key
        if kind == "glyphs":
            t0 = time.perf_counter()
            grid, scores = glyph_recall(self.config)
            return {"grid": grid, "scores": scores, "glyphs_s": time.perf_counter() - t0}
        if kind == "capacity":
            _, i, r = coords
            return capacity_task(self.config, i, r)
        _, i, r, loads = coords
        return basin_task(self.config, i, r, loads)

    def basin_loads(self, caps: list[dict[str, Any]]) -> dict[int, list[int]]:
        """The basin searches' numbers of patterns of every model: fractions of its
        mean measured ``alpha_c``, and the regime's common load."""
        out = {}
        for i in self.active:
            reg = entry_regime(self.config, self.config["models"][i])
            ac = float(np.mean([c["completion"] for c in caps if c.get("index") == i]))
            loads = [max(1, round(f * ac * reg.n_units)) for f in BASIN_FRACTIONS]
            loads.append(max(1, round(reg.common_load * reg.n_units)))
            out[i] = loads
        return out

    def stage_reduce(self, results: dict[str, list[Any]]) -> Output:
        *caps, glyphs = results["capacity"]
        basins = results["basins"]
        config = self.config
        for i, loads in self.basin_loads(caps).items():
            config["models"][i]["basin_patterns"] = loads
        rows = [row for t in [*caps, *basins] for row in t["rows"]]
        cost: dict[str, float] = {}
        cpu: dict[str, float] = {}
        warn: dict[str, str] = {}
        for t in [*caps, *basins]:
            label = config["models"][t["index"]]["label"]
            cost[label] = cost.get(label, 0.0) + t["task_s"]
            cpu[label] = cpu.get(label, 0.0) + t["cpu_s"]
            if t["warning"]:
                warn.setdefault(label, t["warning"])
        summary = summary_rows(config, caps, basins, rows, glyphs["scores"], cost)
        for r in summary:
            r["cpu_s"] = cpu.get(r["model"], 0.0)
        for m in config["models"]:
            m["resolved"] = resolved_params(
                m, entry_regime(config, m).n_units if m["regime"] else 16
            )
        self.made = {
            "grid": glyphs["grid"],
            "warnings": warn,
            "meta": {"glyphs_s": glyphs["glyphs_s"], "cost_s": cost, "cpu_s": cpu},
        }
        return Output(tables={"summary": summary, "evaluations": rows})

    # -- report ---------------------------------------------------------------------
    def finish(self, folder: Any, output: Output) -> dict[str, Any]:
        """Draw the figures, run the study sections and write ``report.html`` (none of
        them under ``--no-plot``: the study sections are part of the report)."""
        out = folder.out
        summary = output.tables["summary"]
        rows = output.tables["evaluations"]
        if not folder.plot:
            table = table_text(summary, self.config)
            self.made.update(
                report=None, figures=[], notes=[], table=table, evaluations=rows
            )
            elapsed = time.perf_counter() - self._t0
            return jsonable({**self.config, **self.made["meta"], "elapsed_s": elapsed})
        grid = [(label, np.asarray(x)) for label, x in self.made["grid"]]
        ctx = ReportContext(out, {**self.config, "_glyph_grid": grid}, summary, rows)
        ctx.executor = folder.executor  # the study sections run on the same workers
        for label, text in self.made["warnings"].items():
            ctx.note(f"{label}: first warning: {text}")
        report = write_report(ctx, time.perf_counter() - self._t0)
        # The files of this run, for --force: a later run of another kind removes
        # them, the study sections' sub-folders included (they hold runs of their own).
        folder.written.update(p.name for p in [report, *ctx.figures] if p.parent == out)
        folder.written.update(name for name in STUDY_FOLDERS if (out / name).is_dir())
        self.made.update(
            report=report,
            figures=ctx.figures,
            notes=ctx.notes,
            table=table_text(summary, self.config),
            evaluations=rows,
        )
        return jsonable(
            {
                **self.config,
                **self.made["meta"],
                "elapsed_s": time.perf_counter() - self._t0,
                "figures": [p.name for p in ctx.figures],
            }
        )

    def figures(self, folder: Path) -> list[Path]:
        return redraw(folder)
