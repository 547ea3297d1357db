"""The ``neuromem`` command line."""

from __future__ import annotations

import argparse
import os
import sys

from . import clitools
from ._version import __version__
from .demo import run_demo
from .errors import ValidationError, described
from .experiments import Experiment, load_experiment, read_results, read_run, run
from .experiments.compare import compare
from .experiments.engine import draw
from .experiments.engine.executor import usable_cores
from .registry import models, rules

__all__ = ["main"]


def _cmd_list(args: argparse.Namespace) -> int:
    for title, reg in (("models", models), ("rules", rules)):
        print(f"{title}:")
        for name in reg.names():
            origin = reg.origin(name)
            suffix = "" if origin == "neuromem" else f"  (plugin from {origin})"
            print(f"  {name}{suffix}")
    _list_experiments()
    return 0


def _list_experiments() -> None:
    found = clitools.experiments()
    from_file = clitools.experiments(from_file=True)
    width = clitools.name_width([*found, *from_file])
    for title, listed in (
        ("experiments (neuromem run NAME)", found),
        ("experiments run from a file (neuromem run FILE.toml)", from_file),
    ):
        if listed:
            print(f"{title}:")
        for name, summary in listed.items():
            print(f"  {name:<{width}}{summary}")


def _cmd_describe(args: argparse.Namespace) -> int:
    print(clitools.describe(args.name, kind=args.kind))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    out = run_demo(
        args.out, letters=args.letters, size=args.size, noise=args.noise, seed=args.seed
    )
    for ch, m in zip(out["letters"], out["overlap"], strict=True):
        print(f"  {ch}: overlap {m:+.3f}")
    print(
        f"recalled {sum(m >= 0.95 for m in out['overlap'])}/{len(out['letters'])} letters "
        f"from {args.noise:.0%} noise; figure: {out['figure']}"
    )
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from pathlib import Path

    notes: list[str] = []
    seed = 0 if args.seed is None else args.seed
    builtins = clitools.builtin_protocols()
    if args.experiment in builtins:
        exp = builtins[args.experiment].preset(quick=args.quick, seed=seed, notes=notes)
        default_out = Path("results") / args.experiment
    elif args.experiment.endswith(".toml") or Path(args.experiment).is_file():
        exp = _toml_options(load_experiment(args.experiment), args.seed, args.quick)
        default_out = Path("results") / Path(args.experiment).stem
    else:
        raise ValidationError(
            "experiment",
            args.experiment,
            "a built-in experiment (" + ", ".join(builtins) + ") or a TOML file",
        )
    exp = _protocol_options(exp, {"models": args.models, "repeats": args.repeats})
    for note in notes:
        print(f"note: {note}")
    out = Path(args.out) if args.out else default_out
    rows = run(
        exp,
        out,
        jobs=args.jobs,
        scheduler=args.scheduler,
        resume=args.resume,
        force=args.force,
        progress=False if args.quiet else None,
        info={"seed": args.seed, "quick": args.quick},
        plot=not args.no_plot,
    )
    failed = sum(1 for r in rows if r.get("error"))
    unit = "trials" if "trial" in (rows[0] if rows else {}) else "rows"
    table = getattr(exp, "main_table", "results")  # a TOML Experiment: a grid's
    print(f"{len(rows)} {unit} ({failed} failed) -> {out / (table + '.csv')}")
    if not args.no_plot:
        for path in draw(out):
            print(f"figure: {path}")
    return 0


def _protocol_options(exp, options: dict):
    """``exp`` with the options given on the command line (``--models``,
    ``--repeats``), checked by the protocol itself; an experiment that has no such
    option refuses it, naming it."""
    given = {k: v for k, v in options.items() if v is not None}
    if not given:
        return exp
    defaults = getattr(type(exp), "defaults", {})
    for key, value in given.items():
        if key not in defaults:
            raise ValidationError(
                key,
                value,
                f"an experiment with a {key!r} option (compare takes --models and "
                "--repeats, sequence and consolidation --repeats)",
            )
    return type(exp)({**exp.params, **given}, exp.seed)


def _toml_options(exp, seed: int | None, quick: bool):
    """``--seed`` replaces a TOML file's seed; ``--quick`` keeps one repeat and the
    first and last value of the load and noise axes."""
    if seed is None and not quick:
        return exp
    data = exp.to_dict()
    if seed is not None:
        data["seed"] = seed
    if quick:
        data["repeats"] = 1
        for key in ("loads", "noise"):
            data[key] = sorted({data[key][0], data[key][-1]})
    return Experiment.from_dict(data)


def _cmd_compare(args: argparse.Namespace) -> int:
    res = compare(
        args.out,
        quick=args.quick,
        jobs=args.jobs,
        scheduler=args.scheduler,
        seed=0 if args.seed is None else args.seed,
        force=args.force,
        progress=False if args.quiet else None,
        repeats=args.repeats,
        models=args.models,
        on_search=getattr(args, "on_search", None),
    )
    print(res["table"])
    for note in res["notes"]:
        print(f"note: {note}")
    print(f"report: {res['report']}")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    # Check everything before drawing: a row that does not parse or a run.json that
    # does not describe an experiment is an error, never silently skipped.
    meta = read_run(args.results)
    # A compare folder of an older neuromem names no experiment: its format says it.
    if meta is None or not (
        isinstance(meta.get("experiment"), dict) or meta.get("format") == "neuromem-compare"
    ):
        raise ValidationError(
            "results", args.results, "a results folder with a valid run.json"
        )
    if meta.get("format") == "neuromem-run":
        rows = read_results(args.results, strict=True)
        if rows and not any(r["overlap"] == r["overlap"] for r in rows):  # all NaN
            raise ValidationError(
                "results",
                described(
                    f"{args.results!r}, whose rows have no result (every trial failed)"
                ),
                "a results folder with at least one completed trial",
            )
    paths = draw(args.results)  # compare (and every protocol) checks its own tables
    for path in paths:
        print(f"figure: {path}")
    return 0


def _executor_options(p: argparse.ArgumentParser, toml: bool = True) -> None:
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes (default: NEUROMEM_JOBS, else the cores this process may use, "
        f"{usable_cores()} here, never more than the tasks; 1 runs every task in this "
        "process); the results do not depend on it",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="run on Dask: a scheduler address (tcp://host:8786) or 'local' for a "
        "local cluster (needs neuromem[dask])",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="root seed (default: 0"
        + (", or the seed of a TOML experiment file)" if toml else ")"),
    )
    p.add_argument("--quick", action="store_true", help="a small smoke run")
    p.add_argument(
        "--force", action="store_true", help="overwrite a folder holding a different run"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``neuromem`` command."""
    parser = argparse.ArgumentParser(
        prog="neuromem",
        description="Brain-memory simulation: Hopfield, Hebbian and "
        "backprop memories compared.",
    )
    parser.add_argument("--version", action="version", version=f"neuromem {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=clitools.SubcommandParser
    )
    p = sub.add_parser(
        "list", help="list registered models and rules (plugins included) and experiments"
    )
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser(
        "demo",
        help="store glyph letters in a Hopfield network and recall "
        "them from corrupted cues; writes a PNG",
    )
    p.add_argument(
        "--out", default="results/demo", help="output folder (default: %(default)s)"
    )
    p.add_argument("--letters", default="NEUROM", help="letters to store")
    p.add_argument(
        "--size", type=clitools.int_at_least(4), default=16, help="glyph side in pixels"
    )
    p.add_argument(
        "--noise", type=clitools.fraction, default=0.2, help="fraction of pixels flipped"
    )
    p.add_argument("--seed", type=clitools.int_at_least(0), default=0, help="random seed")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "run",
        # No list here: a hand-written one had fallen behind (no sequence,
        # consolidation); run --help lists every built-in from the registry.
        help="run a built-in experiment (run --help lists them) or a TOML experiment file",
        epilog=clitools.experiments_epilog(),
    )
    p.add_argument("experiment", help="built-in name or path to a .toml file")
    p.add_argument("--out", default=None, help="output folder (default: results/NAME)")
    p.add_argument(
        "--resume", action="store_true", help="keep the rows already written in --out"
    )
    p.add_argument(
        "--no-plot",
        action="store_true",
        help="do not draw the figures (compare: nor write its report, which only a run "
        "writes; neuromem plot draws the figures later)",
    )
    _compare_options(p)
    _executor_options(p)
    _quiet_option(p)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "compare",
        help="completion capacity, basins and information per synapse of every "
        "registered model, with 95%% intervals; writes a table, figures and report.html "
        "(30 to 40 s on 2 cores)",
    )
    p.add_argument(
        "--out", default="results/compare", help="output folder (default: %(default)s)"
    )
    _compare_options(p)
    _executor_options(p, toml=False)
    _quiet_option(p)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("plot", help="redraw the figures of a results folder")
    p.add_argument(
        "results",
        help="a results folder (run.json and the tables: a grid's results.csv, "
        "compare's summary.csv, ...)",
    )
    p.set_defaults(func=_cmd_plot)
    _describe_parser(sub)
    return parser


def _compare_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="compare: repeats of every search, >= 2 (default: 5; 3 with --quick)",
    )
    p.add_argument(
        "--models",
        default=None,
        help="compare: comma-separated registry names or labels to compare (default: "
        "all; 'hopfield' keeps every storage rule, 'hopfield-storkey' just that one)",
    )


def _quiet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar (terminal) and no progress lines (every few seconds "
        "when the output is not a terminal)",
    )


def _describe_parser(sub) -> None:
    p = sub.add_parser(
        "describe",
        help="a model's or rule's parameters, defaults, units, summary and references; "
        "an experiment's options",
    )
    p.add_argument(
        "name", help="a registered model, rule or experiment name (see neuromem list)"
    )
    p.add_argument(
        "--kind",
        choices=("model", "rule", "experiment"),
        default=None,
        help="describe only the model, rule or experiment of that name",
    )
    p.set_defaults(func=_cmd_describe)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors and --help: argparse has printed them
        return exc.code if isinstance(exc.code, int) else 2
    return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    """Run a command; every error is one line on stderr and a non-zero exit status.

    ``ValidationError`` (bad input) exits 2, an error of the operating system (a file
    that cannot be written) 1, Ctrl-C 130; anything else is a bug: one line that says
    so, with the traceback only when ``NEUROMEM_DEBUG`` is set.
    """

    try:
        folder = clitools.progress_folder(args)
        compare = args.command == "compare"
        with clitools.progress_lines(
            folder or ".",
            interval=clitools.PROGRESS_INTERVAL,
            enabled=clitools.wants_progress_lines(args),
            unit="searches" if compare else "trials",
        ) as lines:
            if compare:  # it writes no results.csv to count: it reports its searches
                args.on_search = lines.report
            status = args.func(args)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return status
    except BrokenPipeError:
        # `neuromem describe hopfield | head`: the reader left; stop quietly rather
        # than with a traceback (Python's recipe: no further writes to the pipe).
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass  # stdout is not a file descriptor (tests): nothing to silence
        return 1
    except ValidationError as exc:
        print(
            f"neuromem: error: {clitools.flag_message(exc, args.command)}", file=sys.stderr
        )
        return 2
    except KeyboardInterrupt:
        print("neuromem: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"neuromem: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get("NEUROMEM_DEBUG"):
            raise
        print(
            f"neuromem: internal error: {type(exc).__name__}: {exc} (set NEUROMEM_DEBUG=1 "
            "for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
