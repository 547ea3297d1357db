"""The :class:`Protocol` base class and the ``neuromem.protocols`` registry.

A protocol is an experiment described as data: its declared configuration (checked, a
:class:`~neuromem.ValidationError` naming the key), its tasks (each a pure function of
the configuration and a seed derived from the root seed and the task's coordinates),
how the task results reduce to tables, its figures and its report section. The engine
(:func:`neuromem.experiments.engine.run`) gives every protocol the executors, the
results folder, resuming, the lock and the command line.
"""

from __future__ import annotations

import copy
import html
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ...errors import ValidationError, described
from ...random import derive_seed
from ...registry import RegisteredName, Registry
from ...validation import check_options
from .folder import read_run

__all__ = [
    "Output",
    "Protocol",
    "check_like_default",
    "check_root_seed",
    "protocols",
    "task_seed",
]

#: Registry of experiment protocols (entry-point group ``neuromem.protocols``).
protocols = Registry(
    "neuromem.protocols", "protocol", "neuromem.experiments.engine.protocol:Protocol"
)


def check_root_seed(seed: Any, name: str = "seed") -> int:
    """A root seed: a non-negative integer (a bool, float or string is refused)."""
    if (
        isinstance(seed, numbers.Integral)
        and not isinstance(seed, bool | np.bool_ | np.timedelta64)
        and seed >= 0
    ):
        return int(seed)
    raise ValidationError(name, seed, "a non-negative integer")


def _kind(value: Any) -> str | None:
    """The JSON kind of ``value`` a default asks for (None: anything)."""
    if isinstance(value, bool | np.bool_):
        return "a bool"
    if isinstance(value, numbers.Integral):
        return "an integer"
    if isinstance(value, numbers.Real):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a dict"
    return None


def check_like_default(value: Any, name: str, default: Any) -> None:
    """An option of the same JSON kind as its declared default (an integer where the
    default is a number, a list or tuple for a list), and a list of the same kind of
    items as a default list whose items share one kind; a ValidationError naming the
    key otherwise (``"3"`` for ``3``), before the protocol's own ``validate``."""
    want = _kind(default)
    have = _kind(value)
    if want is None or have == want or (want, have) == ("a number", "an integer"):
        if want == "a list":
            kinds = {_kind(v) for v in default}
            if len(kinds) == 1 and None not in kinds:
                for i, v in enumerate(value):
                    check_like_default(v, f"{name}[{i}]", default[0])
        return
    raise ValidationError(name, value, f"{want} (its default is {default!r})")


def task_seed(root: int, *coordinates: object) -> int:
    """The seed of the task at ``coordinates`` (a SeedSequence over the root seed and a
    stable digest of the coordinates): independent of the order tasks run in."""
    return derive_seed(root, *coordinates)


@dataclass
class Output:
    """What a protocol's results reduce to.

    Attributes
    ----------
    tables : dict of str to list of dict
        Tables by name, written as ``NAME.csv``; ``"results"`` is the main table.
    summary : dict, optional
        Headline numbers, written as ``summary.json``.
    arrays : dict of str to ndarray
        Arrays written as ``NAME.npy``.
    """

    tables: dict[str, list[dict[str, Any]]]
    summary: dict[str, Any] | None = None
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


class Protocol:
    """An experiment on the engine. Subclass it, set :attr:`defaults`, write
    :meth:`tasks`, :meth:`task` and :meth:`reduce` (and optionally :meth:`validate`,
    :meth:`figures`, :meth:`report_items`, :meth:`preset`), and register it: its
    :attr:`name` is the key it is registered under.

    Parameters
    ----------
    params : dict, optional
        The configuration; unknown keys are refused, missing ones take
        :attr:`defaults` (keys listed in :attr:`required` have no default).
    seed : int
        Root seed.
    description : str, optional
        One line for the report (default: :attr:`description`).
    """

    #: The key the class is registered under (the command line's ``neuromem run
    #: NAME``, recorded in ``run.json``); a ``name = "..."`` in a subclass cannot
    #: override it: it only names an unregistered class.
    name = RegisteredName(protocols)
    #: One line for listings and reports.
    description: ClassVar[str] = ""
    #: The ``format`` written to ``run.json``.
    format: ClassVar[str] = "neuromem-study"
    #: Declared configuration: every key with its default.
    defaults: ClassVar[dict[str, Any]] = {}
    #: Keys that must be given.
    required: ClassVar[tuple[str, ...]] = ()
    #: Schema of the main table when every task gives one row of it, whose task index
    #: is in :attr:`index_column`: the table is then written as the tasks complete.
    #: None: task results are kept in a journal and reduced at the end.
    columns: ClassVar[dict[str, type] | None] = None
    index_column: ClassVar[str] = "trial"
    #: Schemas (column -> type) of the other tables, by name; a table not listed here
    #: takes its first row's keys.
    table_columns: ClassVar[dict[str, dict[str, type]]] = {}
    #: The table :func:`~neuromem.experiments.engine.run` returns.
    main_table: ClassVar[str] = "results"
    #: Stage names, in order. A protocol of several stages writes
    #: :meth:`stage_tasks`, :meth:`stage_task` and :meth:`stage_reduce` instead of
    #: :meth:`tasks`, :meth:`task` and :meth:`reduce`.
    stages: ClassVar[tuple[str, ...]] = ("tasks",)
    #: Figure files with their captions (HTML), in report order.
    captions: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        seed: Any = 0,
        description: str | None = None,
    ):
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise ValidationError("params", params, "a dict of options")
        self.seed = check_root_seed(seed)
        check_options(params, f"protocol {self.name!r}", [*self.defaults, *self.required])
        for key in self.required:
            if key not in params:
                raise ValidationError(
                    key, described("nothing"), f"a value for {key!r} (it is required)"
                )
        for key, value in params.items():
            check_like_default(value, key, self.defaults.get(key))
        merged = copy.deepcopy({**self.defaults, **dict(params)})
        try:  # run.json holds the configuration: it must be JSON data, read back equal
            self.params = json.loads(json.dumps(self.validate(merged), allow_nan=False))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                raise
            raise ValidationError(
                "params", described(f"options that are not JSON data ({exc})"), "JSON data"
            ) from None
        if description is not None and not isinstance(description, str):
            # str() would have written 5 or a list's repr as the study's description.
            raise ValidationError("description", description, "a string (or None)")
        self.text = type(self).description if description is None else description

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        RegisteredName.take_declared(cls)

    # -- configuration --------------------------------------------------------------
    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        """Check the option values (raise ValidationError naming the key); return them."""
        return params

    @classmethod
    def preset(cls, quick: bool = False, seed: int = 0, notes: list[str] | None = None):
        """The built-in configuration (``quick``: a smoke run of a few seconds)."""
        return cls(seed=seed)

    def to_dict(self) -> dict[str, Any]:
        """The configuration written to ``run.json`` (JSON data)."""
        return dict(
            name=self.name, params=self.params, seed=self.seed, description=self.text
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Protocol:
        """The protocol of a ``run.json`` configuration (:meth:`to_dict`)."""
        if not isinstance(data, Mapping):
            raise ValidationError("experiment", data, "a protocol configuration (dict)")
        return cls(data.get("params", {}), data.get("seed", 0), data.get("description"))

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Protocol:
        """The protocol of a written folder's ``run.json`` configuration, to draw or
        report it: :meth:`from_dict`, or, where the configuration does not validate
        here (it names a model that the script which ran it had registered), the
        configuration as recorded: the run checked it, and figures read the tables."""
        try:
            return cls.from_dict(data)
        except ValidationError:
            if not isinstance(data, Mapping):
                raise
            self = cls.__new__(cls)
            self._recorded(data)
            return self

    def _recorded(self, data: Mapping[str, Any]) -> None:
        """Take the attributes of a recorded configuration (:meth:`from_record`)."""
        self.params = dict(data.get("params", {}))
        self.seed = data.get("seed", 0)
        self.text = data.get("description") or type(self).description

    # -- tasks ----------------------------------------------------------------------
    def tasks(self) -> list[tuple]:
        """The coordinates of every task, in table order: a list of tuples of JSON data
        (anything else is a ValidationError naming ``tasks``, before the run writes)."""
        raise NotImplementedError

    def task(self, index: int) -> Any:
        """Run task ``index``: a pure function of the configuration and the seed
        :func:`task_seed` ``(self.seed, *coordinates)``. Returns JSON-able data."""
        raise NotImplementedError

    def matches(self, result: Any, index: int) -> bool:
        """Whether a kept result (on ``--resume``) is that of task ``index``."""
        return True

    def reduce(self, results: list[Any]) -> Output:
        """The tables (and summary, arrays) of the task results, in task order."""
        raise NotImplementedError

    # -- stages ---------------------------------------------------------------------
    def stage_tasks(self, stage: str, earlier: dict[str, list[Any]]) -> list[tuple]:
        """The coordinates of the tasks of ``stage``, computed from ``earlier``: the
        results of every stage before it (stage name -> results in task order, as
        JSON data). One stage: :meth:`tasks`."""
        return self.tasks()

    def stage_task(self, stage: str, index: int, key: tuple) -> Any:
        """Run task ``index`` (coordinates ``key``) of ``stage``. One stage:
        :meth:`task`."""
        return self.task(index)

    def stage_reduce(self, results: dict[str, list[Any]]) -> Output:
        """The tables of every stage's results (stage name -> results in task
        order). One stage: :meth:`reduce`."""
        return self.reduce(results[self.stages[0]])

    def finish(self, folder: Any, output: Output) -> dict[str, Any]:
        """Write what a run makes beyond its tables (a report, say) into ``folder``
        (a :class:`~neuromem.experiments.engine.RunFolder`, still locked: name each
        file through ``folder.path(name)`` so ``--force`` knows it); returns extra
        ``run.json`` keys. Under ``--no-plot`` ``folder.plot`` is False: draw nothing."""
        return {}

    # -- figures and report ---------------------------------------------------------
    def figures(self, folder: Path) -> list[Path]:
        """Draw the figures of a folder this protocol wrote; returns their paths."""
        return []

    def report_items(self, folder: Path) -> list[str]:
        """Headline sentences of the report section (plain text)."""
        return []

    def report(self, folder: str | Path) -> tuple[str, list[Path]]:
        """An HTML ``<section>`` for the folder (heading, headline numbers, figures
        embedded as PNG data, captions) and the figure paths; draws missing figures."""
        import base64

        folder = Path(folder)
        paths = [folder / f for f in self.captions]
        if not paths or not all(p.is_file() for p in paths):
            paths = self.figures(folder)
        items = self.report_items(folder)

        def img(path: Path) -> str:
            data = base64.b64encode(path.read_bytes()).decode()
            caption = self.captions.get(path.name, html.escape(path.stem))
            return (
                f'<figure><img src="data:image/png;base64,{data}" alt="{path.stem}">'
                f"<figcaption>{caption}</figcaption></figure>"
            )

        lis = "".join(f"<li>{html.escape(t)}</li>" for t in items)
        text = (
            f'<section id="{html.escape(self.name)}"><h2>{html.escape(self.name)}</h2>'
            f"<p>{html.escape(self.text)} Root seed {self.seed}.</p>"
            f"<ul>{lis}</ul>{''.join(img(p) for p in paths)}</section>"
        )
        return text, paths


def summary_of(folder: str | Path) -> dict[str, Any]:
    """The ``summary.json`` of a folder."""
    return json.loads((Path(folder) / "summary.json").read_text(encoding="utf-8"))


def fmt(v: Any) -> str:
    """A number for a report: 3 significant digits, ``nan`` for NaN."""
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.3g}"
    return str(v)


def protocol_of(folder: str | Path) -> Protocol:
    """The protocol that wrote ``folder`` (from its ``run.json``), to draw or report
    it (:meth:`Protocol.from_record`)."""
    meta = read_run(folder)
    name = (meta or {}).get("protocol")
    if name is None and isinstance(meta, dict):  # written before protocols were named
        exp = meta.get("experiment")
        if meta.get("format") == "neuromem-study" and isinstance(exp, dict):
            name = exp.get("name")
        elif meta.get("format") == "neuromem-run":
            name = "grid"
        elif meta.get("format") == "neuromem-compare":
            name, meta = "compare", {**meta, "experiment": {"seed": meta.get("seed", 0)}}
    if isinstance(name, str) and name not in protocols:
        raise ValidationError(
            "results",
            described(
                f"{str(folder)!r}, written by protocol {name!r}, not registered here"
            ),
            "a folder of a registered protocol (install the plugin that provides "
            f"{name!r}; neuromem list shows the protocols)",
        )
    if not isinstance(name, str):
        raise ValidationError(
            "results", str(folder), "a results folder with a valid run.json"
        )
    return protocols.get(name).from_record(meta.get("experiment"))
