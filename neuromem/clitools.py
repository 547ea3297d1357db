"""Helpers of the ``neuromem`` command line: ``describe``, experiment listings, argument
types that name their flag, subcommand usage on errors, and progress lines.

Kept apart from :mod:`neuromem.cli` so the parser stays a list of subcommands.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ValidationError
from .experiments.engine import protocols
from .params import Parametrized
from .registry import models, rules

__all__ = [
    "SubcommandParser",
    "builtin_protocols",
    "describe",
    "experiments",
    "experiments_epilog",
    "flag_message",
    "fraction",
    "int_at_least",
    "progress_lines",
]


# -- argparse ---------------------------------------------------------------------------
class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Every option's default after its help (unless the help already gives it, or it
    is an on/off flag or None); descriptions and epilogs keep their line breaks."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default is None
            or default is argparse.SUPPRESS
            or isinstance(default, bool)
            or not action.option_strings
        ):
            return text
        return text + " (default: %(default)s)"


class SubcommandParser(argparse.ArgumentParser):
    """A subcommand's parser: shows defaults in ``--help``, and an unknown flag is
    reported with *this* subcommand's usage (argparse would print the top level's)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        ns, extra = super().parse_known_args(args, namespace)
        if extra:
            self.error("unrecognized arguments: " + " ".join(extra))
        return ns, extra


def fraction(text: str) -> float:
    """argparse type: a number in [0, 1] (the error names the flag, not a parameter)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a fraction in [0, 1], got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1], got {text}")
    return value


def int_at_least(low: int) -> Callable[[str], int]:
    """argparse type: an integer ``>= low``."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {value}")
        return value

    convert.__name__ = f"integer >= {low}"
    return convert


#: Library parameter -> command-line flag, per subcommand, for errors raised deeper
#: than argparse's own checks (``patterns.flip`` names its ``fraction``).
FLAGS: dict[str, dict[str, str]] = {
    "demo": {"fraction": "--noise", "noise": "--noise", "text": "--letters", "size": "--size",
             "seed": "--seed", "out": "--out"},
    "run": {"jobs": "--jobs", "scheduler": "--scheduler", "seed": "--seed", "out": "--out",
            "experiment": "EXPERIMENT", "repeats": "--repeats", "models": "--models"},
    "compare": {"jobs": "--jobs", "scheduler": "--scheduler", "seed": "--seed", "out": "--out",
                "repeats": "--repeats", "models": "--models"},
    "plot": {"results": "RESULTS"},
    "describe": {"name": "NAME", "model": "NAME", "rule": "NAME"},
}  # fmt: skip


def flag_message(exc: Exception, command: str | None) -> str:
    """The error message with the library's parameter name replaced by the flag."""
    text = str(exc)
    param = getattr(exc, "param", None)
    flag = FLAGS.get(command or "", {}).get(param) if param else None
    if flag and text.startswith(f"{param}:"):
        text = f"{flag}:{text[len(param) + 1 :]}"
    return text


# -- experiments ------------------------------------------------------------------------
def _summary(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    first = doc.strip().split("\n\n")[0]
    return " ".join(first.split())


def name_width(names) -> int:
    """Width of a name column: the longest name and two spaces (a fixed width ran a
    13-letter name into its summary: ``consolidationThe ...``)."""
    return max((len(n) for n in names), default=0) + 2


def builtin_protocols() -> dict[str, type]:
    """Protocols ``neuromem run NAME`` runs (plugins included), by name."""
    found = {name: protocols.get(name) for name in protocols.names()}
    return {name: cls for name, cls in found.items() if getattr(cls, "listed", True)}


def experiments(from_file: bool = False) -> dict[str, str]:
    """The name and first paragraph of the docstring of every registered protocol that
    ``neuromem run NAME`` runs, or (``from_file``) of those only a TOML file runs."""
    found = {name: protocols.get(name) for name in protocols.names()}
    return {
        name: _summary(cls)
        for name, cls in found.items()
        if getattr(cls, "listed", True) != from_file
    }


def _how_to_run(name: str, cls: type) -> str:
    """For a protocol without a built-in configuration: how it is run."""
    return "" if getattr(cls, "listed", True) else " Run one: neuromem run FILE.toml."


def experiments_epilog() -> str:
    """The list of built-in experiments, for ``neuromem run --help``."""
    import textwrap

    lines = ["built-in experiments:"]
    found = experiments()
    width = name_width(found)
    for name, summary in found.items():
        wrapped = textwrap.wrap(summary, 78 - width) or [""]
        lines.append(f"  {name:<{width}}{wrapped[0]}")
        lines.extend(f"  {'':<{width}}{rest}" for rest in wrapped[1:])
    lines.append("\nor a path to a TOML experiment file (see docs/experiments.md).")
    return "\n".join(lines)


# -- describe ---------------------------------------------------------------------------
_SECTION = re.compile(r"^(\w[\w ]*)\n-{3,}$", re.M)
_CITE = re.compile(r"\(([^()]*?\b(?:1[89]|20)\d\d[a-z]?)\)")


def _sections(doc: str) -> dict[str, str]:
    """numpy-style docstring sections by title ("" for the text before the first)."""
    parts = _SECTION.split(doc)
    out = {"": parts[0]}
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        out[title.strip()] = body
    return out


def _param_docs(cls: type) -> dict[str, str]:
    """Description of each parameter, from the class and its bases' docstrings.

    An entry that only points elsewhere ("See ...", "As for ...", "Forwarded") gives way
    to a base class's own description.
    """
    found: dict[str, tuple[str, bool]] = {}
    for klass in cls.__mro__:
        body = _sections(inspect.getdoc(klass) or "").get("Parameters")
        if not body:
            continue
        entries = re.split(r"^(?=\S)", body, flags=re.M)
        for entry in entries:
            head, _, rest = entry.partition("\n")
            names = [n.strip() for n in head.split(":")[0].split(",") if n.strip()]
            text = " ".join(rest.split())
            for name in names:
                pointer = not text or text.startswith(("See ", "As for", "Forwarded"))
                if name not in found or (found[name][1] and not pointer):
                    found[name] = (text, pointer)
    return {k: v[0] for k, v in found.items()}


def _references(cls: type) -> list[str]:
    refs: list[str] = []
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] != "neuromem" and klass is not cls:
            continue
        module = sys.modules.get(klass.__module__)
        doc = (inspect.getdoc(klass) or "") + "\n\n" + (inspect.getdoc(module) or "")
        for m in _CITE.finditer(doc):
            for part in m.group(1).split(";"):
                part = " ".join(part.split())
                if re.search(r"\b(1[89]|20)\d\d", part) and part not in refs:
                    refs.append(part)
        body = _sections(doc).get("References")
        if body:
            for line in body.strip().splitlines():
                if line.strip() and line.strip() not in refs:
                    refs.append(line.strip())
        if klass is cls and refs:
            break
    return refs


def _options(name: str, cls: type) -> list[str]:
    """How a protocol is run, and its options (the keys of its params) with defaults."""
    how = _how_to_run(name, cls).strip() or f"Run it: neuromem run {name} [--quick]."
    options = {k: "required" for k in cls.required}
    options.update({k: f"default {v!r}" for k, v in cls.defaults.items()})
    lines = [f"  {how}"]
    if options:
        lines.append("options:")
        width = max(len(n) for n in options) + 2
        lines += [f"  {k:<{width}}{v}" for k, v in options.items()]
    elif not getattr(cls, "listed", True):
        lines.append("options: the keys of its TOML file (docs/experiments.md)")
    else:
        lines.append("options: none of its own (neuromem run --help lists the command's)")
    return lines


def _describe_one(kind: str, name: str, cls: type, origin: str) -> str:
    import textwrap

    lines = [f"{name}  ({kind} {cls.__module__}.{cls.__qualname__}, from {origin})"]
    summary = _summary(cls)
    if summary:
        lines += textwrap.wrap(summary, 88, initial_indent="  ", subsequent_indent="  ")
    params = cls._signature_params() if issubclass(cls, Parametrized) else {}
    if kind == "experiment":
        lines += _options(name, cls)
    docs = _param_docs(cls)
    if params:
        lines.append("parameters:")
        width = max(len(n) for n in params) + 2
        for pname, p in params.items():
            default = (
                "required" if p.default is inspect.Parameter.empty else repr(p.default)
            )
            lines.append(f"  {pname:<{width}}default {default}")
            text = docs.get(pname, "")  # whole: units are often in the last sentence
            if text:
                lines += textwrap.wrap(
                    text, 84, initial_indent="      ", subsequent_indent="      "
                )
    refs = _references(cls)
    lines.append(
        "references: " + ("; ".join(refs) if refs else "none cited in the docstring")
    )
    lines.append("  (full citations: docs/references.md)")
    return "\n".join(lines)


def describe(name: str, kind: str | None = None) -> str:
    """Parameters, defaults, docstring summary and references of a model, a rule or an
    experiment (a registered protocol: its options and how to run it).

    Parameters
    ----------
    name : str
        A registered model, rule or experiment name (a name that is several, like
        ``hebbian`` or ``sequence``, is described as each unless ``kind`` says which).
    kind : {"model", "rule", "experiment"}, optional

    Returns
    -------
    str
    """
    kinds = (("model", models), ("rule", rules), ("experiment", protocols))
    if kind is not None and (not isinstance(kind, str) or kind not in dict(kinds)):
        raise ValidationError("kind", kind, "'model', 'rule', 'experiment' or None")
    found = []
    for k, reg in kinds:
        # isinstance first: an unhashable name (a dict, an array) made ``in`` raise.
        if kind in (None, k) and isinstance(name, str) and name in reg.names():
            found.append(_describe_one(k, name, reg.get(name), reg.origin(name)))
    if not found:
        # Only the names of the kind asked for: "a rule name: one of ..." listing
        # models too would offer names that fail the same way.
        asked = [reg for k, reg in kinds if kind in (None, k)]
        known = sorted({n for reg in asked for n in reg.names()})
        what = f"a {kind}" if kind else "a model, rule or experiment"
        raise ValidationError("name", name, f"{what} name: one of {', '.join(known)}")
    return "\n\n".join(found)


# -- progress ---------------------------------------------------------------------------
#: Seconds between progress lines of ``neuromem run`` and ``compare``.
PROGRESS_INTERVAL = 5.0


class progress_lines:
    """Print ``trials done/total`` every ``interval`` seconds while a run writes ``out``.

    For output that is not a terminal (logs, batch jobs), where the runner's progress
    bar stays silent. The runner appends every finished trial's row to
    ``out/results.csv`` at once (flushed), and writes the number of trials to
    ``out/run.json`` first, so the counts are read from there: nothing in the run
    itself changes.
    """

    def __init__(
        self,
        out: str | Path,
        *,
        interval: float = 5.0,
        stream=None,
        enabled=True,
        unit: str = "trials",
    ):
        self.out = Path(out)
        self.unit = unit
        #: Counts reported by the command itself (:meth:`report`), for a command that
        #: writes no results.csv while it runs (``compare``); None: read the files.
        self.reported: tuple[int, int] | None = None
        self.interval = float(interval)
        self.stream = stream if stream is not None else sys.stdout
        self.enabled = bool(enabled)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    def report(self, done: int, total: int) -> None:
        """Set the counts (``compare``'s ``on_search``); called from any thread."""
        self.reported = (int(done), int(total))

    def counts(self) -> tuple[int, int] | None:
        """Trials done and in total, or None before the run has started writing."""
        if self.reported is not None:
            return self.reported
        try:
            meta = json.loads((self.out / "run.json").read_text())
            total = int(meta.get("n_tasks", meta.get("n_trials")))
            if "n_trials" not in meta and self.unit == "trials":
                self.unit = "tasks"  # a protocol other than a grid
            journal = meta.get("journal", "results.csv")
            with open(self.out / journal, "rb") as fh:
                done = sum(
                    chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 16), b"")
                )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        header = 1 if journal.endswith(".csv") else 0
        return max(done - header, 0), total

    def line(self) -> str | None:
        c = self.counts()
        if c is None:
            return None
        done, total = c
        elapsed = time.monotonic() - self._t0
        pct = 100.0 * done / total if total else 100.0
        text = f"progress: {done}/{total} {self.unit} ({pct:.0f}%), {elapsed:.0f} s elapsed"
        return text

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            text = self.line()
            if text is not None:
                print(text, file=self.stream, flush=True)

    def __enter__(self):
        self._t0 = time.monotonic()
        if self.enabled:
            self._thread = threading.Thread(target=self._loop, daemon=True, name="progress")
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def progress_folder(args: argparse.Namespace) -> Path | None:
    """The results folder a ``run`` or ``compare`` command writes, or None."""
    if args.command == "compare":
        return Path(args.out)
    if args.command == "run":
        if args.out:
            return Path(args.out)
        name = (
            args.experiment
            if args.experiment in builtin_protocols()
            else Path(args.experiment).stem
        )
        return Path("results") / name
    return None


def wants_progress_lines(args: argparse.Namespace, stream=None) -> bool:
    """Progress lines for a long command whose output is not a terminal, unless quiet."""
    stream = stream if stream is not None else sys.stdout
    if getattr(args, "quiet", False) or progress_folder(args) is None:
        return False
    isatty = getattr(stream, "isatty", None)
    return not (isatty is not None and isatty())
