"""Early memory checks: refuse, before any allocation, what cannot fit in memory.

A model or a sweep estimates the bytes it will need; :func:`check_memory` compares them
with the memory available (read once per process from ``/proc/meminfo`` or
``os.sysconf``) and raises :class:`~neuromem.ValidationError` naming the parameter, the
bytes needed and the bytes available. The limit can be set explicitly with the
environment variable ``NEUROMEM_MEMORY_LIMIT`` (bytes; ``0`` turns the check off) or,
for one block of code, with :func:`memory_limit`.

Every model declares what it needs through ``memory_estimate(work)``: its state and the
temporaries of one call described by a :class:`Workload` (the stage, the rows stored or
recalled, the output width, the sweeps and what they record), computed from its real
structure by the estimators here (:func:`recurrent_estimate` for the Hopfield and
sequence networks, dense or sparse from their topology;
:func:`neuromem.memory_rows.feedforward_estimate` for layered models and
:func:`neuromem.memory_rows.patterns_estimate` for models that compute with their
patterns). :func:`neuromem.create` checks the model as built, and every ``store`` and
``recall`` is checked before it runs (:func:`guarded`, installed on every model class).
:func:`neuromem.memory_probe.measured_peaks` measures the same calls with
:mod:`tracemalloc`; the conformance kit (:func:`neuromem.testing.check_memory_estimate`)
keeps each estimate between the peak and twice it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import inspect
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ValidationError, check_arguments
from .memory_calls import given_dtype, holding, record_names, rows_width
from .validation import check_int, sign_rows

__all__ = [
    "Workload",
    "array_bytes",
    "available_memory",
    "check_memory",
    "check_model",
    "converted_bytes",
    "format_bytes",
    "guarded",
    "memory_limit",
    "synapse_bytes",
    "trajectory_bytes",
]

_AVAILABLE: list[int | None] = []  # read once, lazily
_OVERRIDE: list[int | None] = []


def _read_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None  # unknown: no check


def available_memory() -> int | None:
    """Bytes of memory the checks allow (None: unknown, nothing is refused).

    ``NEUROMEM_MEMORY_LIMIT`` (bytes) wins over the machine's available memory, which
    is read once per process.
    """
    if _OVERRIDE:
        return _OVERRIDE[-1]
    env = os.environ.get("NEUROMEM_MEMORY_LIMIT")
    if env and env.strip():
        try:
            number = float(env)
            value = int(number)
        except (ValueError, OverflowError):
            number, value = -1.0, -1
        if value < 0 or value != number:
            # A limit that does not parse ("1GB"), a negative or fractional one was
            # ignored in silence: every check was off, or the machine's memory used.
            raise ValidationError(
                "NEUROMEM_MEMORY_LIMIT", env, "a whole number of bytes (0: no check)"
            )
        return value if value > 0 else None
    if not _AVAILABLE:
        _AVAILABLE.append(_read_available())
    return _AVAILABLE[0]


@contextlib.contextmanager
def memory_limit(nbytes: int | None) -> Iterator[None]:
    """Use ``nbytes`` as the available memory inside the block (None or 0: no check)."""
    _OVERRIDE.append(None if nbytes is None else check_int(nbytes, "nbytes", low=0) or None)
    try:
        yield
    finally:
        _OVERRIDE.pop()


def format_bytes(n: float) -> str:
    """``1.5 GiB`` style."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            # Three significant digits, but never an exponent (1000 to 1023 of a unit).
            return f"{n:.3g} {unit}" if abs(n) < 1000 else f"{n:,.0f} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def check_memory(nbytes: float, param: str, given: Any, what: str = "") -> None:
    """Raise :class:`ValidationError` if ``nbytes`` exceed the memory available.

    Parameters
    ----------
    nbytes : float
        Estimated bytes needed.
    param, given : str, object
        The parameter responsible and its value, for the message.
    what : str
        What needs the memory (``"the weight matrix"``), for the message.
    """
    limit = available_memory()
    if limit is None or nbytes <= limit:
        return
    need = (
        f"{what} needs about {format_bytes(nbytes)}"
        if what
        else (f"about {format_bytes(nbytes)} needed")
    )
    raise MemoryShortfall(
        param,
        given,
        f"a value that fits in memory ({need}; {format_bytes(limit)} available)",
        needed=int(nbytes),
        available=int(limit),
    )


class MemoryShortfall(ValidationError):
    """A :class:`ValidationError` of :func:`check_memory`: the call would not fit in
    memory (``needed`` bytes, ``available`` bytes), whatever its input's quality."""

    def __init__(self, param: str, given: Any, allowed: str, needed: int, available: int):
        super().__init__(param, given, allowed)
        self.needed = needed
        self.available = available


# -- what a model needs -------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    """The sizes of one call, which a model's ``memory_estimate(work)`` is asked about.

    Attributes
    ----------
    stage : {"create", "store", "recall"}
        The call: building the model, storing, recalling.
    n_patterns : int
        Rows stored by this call (``store``), added to those already stored.
    n_out : int or None
        Width of the targets of a hetero-associative ``store`` (None: the model's own).
    n_cues : int
        Cues relaxed by this call (``recall``).
    n_steps : int or None
        Sweeps (steps) of the call; None: the model's default.
    record : frozenset of str
        What the call keeps sweep by sweep (``"states"``, ``"overlaps"``,
        ``"energies"``): a trajectory of ``n_steps + 1`` frames each.
    given : str or None
        Dtype of the rows given (patterns or cues; None: the model's own). Rows of
        another dtype are converted: a copy beside the rows given.
    dynamics : str or None
        The ``dynamics`` a recall asks for (None: the model's own), where the
        synchronous and asynchronous sweeps hold different temporaries.
    iterate : bool
        Whether a recall feeds its outputs back as inputs (an MLP's ``iterate``).
    signs : bool or None
        Whether every cue is a positive multiple of a +/-1 row (the states the
        compiled sign sweeps take once graded cues are scaled; None: not known).
    scaled : bool
        Whether some cue is first scaled into [-1, 1] (a copy; None signs: True).
    """

    stage: str = "create"
    n_patterns: int = 0
    n_out: int | None = None
    n_cues: int = 0
    n_steps: int | None = None
    record: frozenset = frozenset()
    given: str | None = None
    dynamics: str | None = None
    iterate: bool = False
    signs: bool | None = None
    scaled: bool = True


def converted_bytes(work: Workload, n_units: int, dtype: Any) -> int:
    """Bytes of the rows of ``work`` held beside their copy in ``dtype``, when they
    were given in another dtype (float64 cues of a float32 model): estimators count
    the converted copy in ``dtype`` among their temporaries, this counts the rows as
    given."""
    if work.given is None or np.dtype(work.given) == np.dtype(dtype):
        return 0
    rows = work.n_patterns if work.stage == "store" else work.n_cues
    return array_bytes(rows, n_units, dtype=work.given)


def array_bytes(*shape: float, dtype: Any = "float64") -> int:
    """Bytes of an array of ``shape`` and ``dtype`` (sizes may be floats: estimates)."""
    n = 1.0
    for d in shape:
        n *= max(0.0, float(d))
    return int(n * np.dtype(dtype).itemsize)


def index_width(n: float) -> int:
    """Bytes of one sparse index: scipy uses int32 below 2**31 entries, else int64."""
    return 4 if n < 2**31 else 8


def synapse_bytes(
    n_post: int, n_pre: int, dtype: Any, topology: Any = None, sparse: bool | None = None
) -> int:
    """Bytes of a weight matrix ``(n_post, n_pre)`` compiled from ``topology``.

    Dense: ``n_post * n_pre`` values. Sparse (``sparse=True``, or a topology below
    :data:`neuromem.topology.SPARSE_DENSITY`): one value and one index per connection
    and one row pointer per unit (CSR).
    """
    nnz = float(n_post) * float(n_pre)
    if topology is not None:
        nnz = float(topology.n_connections)
        if sparse is None:
            sparse = topology.prefers_sparse()
    if not sparse:
        return array_bytes(n_post, n_pre, dtype=dtype)
    width = index_width(nnz)
    return int(nnz * (np.dtype(dtype).itemsize + width) + (n_post + 1) * width)


def trajectory_bytes(
    work: Workload, n_units: int, n_stored: int, dtype: Any, stacked: int = 2
) -> int:
    """Bytes of what ``record`` keeps over ``work.n_steps`` sweeps of ``work.n_cues``:
    states ``(B, T + 1, N)``, overlaps ``(B, T + 1, n_stored)``, energies ``(B, T + 1)``,
    ``stacked`` times (2: the frames, then their stacked copy)."""
    if not work.record:
        return 0
    frames = float(work.n_cues) * (float(work.n_steps or 1) + 1)
    per = 0.0
    if "states" in work.record:
        per += n_units
    if "overlaps" in work.record:
        per += n_stored
    if "energies" in work.record:
        per += 1
    return stacked * array_bytes(frames, per, dtype=dtype)


def check_model(model: Any, work: Workload, param: str, given: Any) -> None:
    """Refuse ``work`` on ``model`` when its ``memory_estimate(work)`` does not fit."""
    estimate = getattr(model, "memory_estimate", None)
    if not callable(estimate):
        return
    if available_memory() is None:
        return
    check_memory(estimate(work), param, given, f"{model.name}.{work.stage}")


#: Bytes of the Python objects of a network built at a store (traced, rounded up).
NETWORK_OBJECTS = 8 * 1024

#: Margin of every estimate over the arrays it counts (small objects, allocator slack).
MARGIN = 1.05


_DEPTH = threading.local()  # nested guarded calls (a subclass calling super) check once


#: A guarded method's signature, computed once: inspect takes longer than a small
#: store, and a study stores and recalls thousands of times.
_signature = functools.lru_cache(maxsize=None)(inspect.signature)


def workload(method: str, fn: Callable, args: tuple, kwargs: dict) -> tuple:
    """``(Workload, param, given)`` of a call ``fn(self, *args, **kwargs)``."""
    sig = _signature(fn)
    try:
        bound = sig.bind(None, *args, **kwargs)
    except TypeError:
        return None, None, None  # the method itself reports the bad call
    values = dict(bound.arguments)
    names = list(sig.parameters)[1:]
    first = values.get(names[0]) if names else None
    if getattr(first, "ndim", 2) != 2:
        # No model stores or recalls rows that are not 2-D: its own check names the
        # shape before anything is allocated, rather than a refusal of n_steps.
        return None, None, None
    if method == "store":
        rows, width = rows_width(first)
        target = values.get(names[1]) if len(names) > 1 else None
        n_out = None if target is None else rows_width(target)[1]
        param = names[0] if target is None or n_out is None else names[1]
        given = (rows, width) if param == names[0] else (rows, n_out)
        work = Workload("store", n_patterns=rows, n_out=n_out, given=given_dtype(first))
        return work, param, given
    rows, width = rows_width(first)
    signs, scaled = sign_rows(first)
    steps = values.get("n_steps", values.get("max_steps"))
    record = sig.parameters.get("record")
    default = frozenset({"states", "overlaps", "energies"})
    if record is not None and record.default is True:
        default = frozenset({"states", "overlaps"})  # the sequence model's default
    chosen = values.get("record", record.default if record is not None else None)
    kept = record_names(chosen, default)
    param = "n_steps" if "n_steps" in sig.parameters else names[0]
    if kept and "max_steps" in sig.parameters:
        param = "record"
    work = Workload(
        "recall",
        n_cues=rows,
        n_steps=int(steps) if isinstance(steps, (int, np.integer)) else None,
        record=kept,
        given=given_dtype(first),
        dynamics=values["dynamics"] if isinstance(values.get("dynamics"), str) else None,
        iterate=bool(
            isinstance(values.get("iterate"), (bool, np.bool_)) and values["iterate"]
        ),
        signs=signs,
        scaled=scaled,
    )
    if param == names[0]:
        return work, param, (rows, width)  # the cues' shape, not the record's value
    return work, param, steps if param == "n_steps" else chosen


def _responsible(model, fn, args, kwargs, work, param, given) -> tuple:
    """The cues, rather than ``n_steps`` or ``record``, when a recall would not fit
    even with one sweep and nothing recorded (a huge batch of cues, a few steps)."""
    if work.stage != "recall" or param not in ("n_steps", "record"):
        return param, given
    estimate = getattr(model, "memory_estimate", None)
    limit = available_memory()
    if not callable(estimate) or limit is None:
        return param, given
    lean = dataclasses.replace(work, n_steps=1, record=frozenset())
    if estimate(lean) <= limit:
        return param, given
    sig = inspect.signature(fn)
    try:
        bound = sig.bind(None, *args, **kwargs)
    except TypeError:
        return param, given
    name = list(sig.parameters)[1]
    return name, rows_width(bound.arguments.get(name))


def _held(model: Any, work: Workload) -> int:
    """What a recall that records holds beside its trajectory, which is checked as it
    grows (:mod:`neuromem.memory_calls`): its estimate for one sweep."""
    estimate = getattr(model, "memory_estimate", None)
    if work.stage != "recall" or not work.record or not callable(estimate):
        return 0
    return int(estimate(dataclasses.replace(work, n_steps=1)))


def guarded(method: str, fn: Callable) -> Callable:
    """``fn`` (a model's ``store`` or ``recall``) preceded by :func:`check_model`."""

    @functools.wraps(fn)
    def call(self, *args, **kwargs):
        depth, base = getattr(_DEPTH, "n", 0), 0
        if depth == 0 and available_memory() is not None:
            work, param, given = workload(method, fn, args, kwargs)
            if work is not None:
                param, given = _responsible(self, fn, args, kwargs, work, param, given)
                check_model(self, work, param, given)
                base = _held(self, work)
        _DEPTH.n = depth + 1
        try:
            with holding(base) if depth == 0 else contextlib.nullcontext():
                return fn(self, *args, **kwargs)
        except TypeError:
            check_arguments(self, fn, args, kwargs)  # the call itself did not fit
            raise
        finally:
            _DEPTH.n = depth

    call.__neuromem_guarded__ = True
    return call


def default_estimate(model: Any, work: Workload) -> int:
    """A model with one dense ``n_units x n_out`` matrix that keeps its patterns."""
    n = int(getattr(model, "n_units", 0) or 0)
    dtype = getattr(model, "dtype", "float64")
    n_out = work.n_out or getattr(model, "n_out_", None) or n
    stored = getattr(model, "n_stored_", 0) + work.n_patterns
    state = array_bytes(n, n_out, dtype=dtype) + array_bytes(stored, n + n_out, dtype=dtype)
    calls = array_bytes(3 * (work.n_patterns + work.n_cues), n + n_out, dtype=dtype)
    return state + calls + trajectory_bytes(work, n, stored, dtype)


#: Whether the compiled kernels (numba) can run: a sparse Hebbian store then makes
#: no temporaries of the connections' size. Found without importing numba.
_COMPILED = importlib.util.find_spec("numba") is not None


#: Rules whose store is one ``layout.add_outer`` (the sequence memory's transition rule
#: too): compiled, a sparse store of theirs makes no temporaries of the weights' size.
_ADD_OUTER = frozenset({"hebbian", "temporal-hebbian"})


def rule_of(model: Any) -> Any:
    """The rule a recurrent model stores with: its synapse's once built, else the one
    it would make (None when that fails: the store itself reports why)."""
    net = getattr(model, "network_", None)
    if net is not None and net.synapses:
        return net.synapses[0].rule
    make = getattr(model, "_make_rule", None)
    try:
        return make() if callable(make) else None
    except ValidationError:
        return None


def recurrent_estimate(
    model: Any,
    work: Workload,
    n_synapses: int = 1,
    kept: int = 1,
    steps: int = 1,
    stacked: int = 2,
    online: bool = False,
    scan: bool = True,
    rule: Any = None,
    stored_overlaps: bool = True,
) -> int:
    """A recurrent model of ``n_synapses`` ``N x N`` synapses (dense, or sparse from its
    topology) that keeps ``kept`` copies of its patterns: the Hopfield and sequence
    networks.

    Store: the weights, the patterns kept and the rule's temporaries. Recall: the
    weights and patterns, a few copies of the cues, one block of the tie scan (or a
    copy of the sparse values), a column copy for asynchronous sweeps and a
    trajectory of ``steps`` sweeps where one is recorded (``stacked`` times: see
    :func:`trajectory_bytes`). ``online``: patterns presented one at a time, each
    with a temporary outer product of the weights' size. ``scan``: the recall
    computes the tie tolerances of :mod:`neuromem.dynamics` (in row blocks).
    ``rule``: the rule class of a model that has no ``_make_rule`` (the sequence
    memory's, from its variant); its declared ``store_temporaries``, ``layout_cache``
    and ``kept_patterns`` are charged. ``stored_overlaps``: recorded overlaps are read
    through :func:`neuromem.sweeps.stored_overlaps` (its pattern copies charged).
    """
    n = int(model.n_units)
    dtype = getattr(model, "dtype", "float64")
    topo = getattr(model, "topology", None)
    w = synapse_bytes(n, n, dtype, topo, getattr(model, "sparse", None))
    stored = int(getattr(model, "n_stored_", 0) or 0) + work.n_patterns
    weights = n_synapses * w
    if work.stage == "create":
        return weights
    dense = w == array_bytes(n, n, dtype=dtype)
    rule = rule_of(model) if rule is None or getattr(model, "network_", None) else rule
    nnz = float(n) * n if topo is None else float(topo.n_connections)
    cache = 0 if dense else getattr(rule, "layout_cache", 0) * nnz
    kept += n_synapses * getattr(rule, "kept_patterns", 0)
    state = weights + int(n_synapses * cache) + kept * array_bytes(stored, n, dtype=dtype)
    rows = work.n_patterns if work.stage == "store" else work.n_cues
    # A recall over dense weights (dynamics.synchronous, traced at N = 800 and 2000
    # cues): the cues, the recall's, the tracker's and the sweep's copies, the
    # fields, the next states, and ties.decide's int64 np.where (two arrays of a
    # float32 model's) with its copy in the dtype: 9.1 to 10.3 arrays, eleven charged.
    copies = 2 if work.stage == "store" else (11 if dense else 8)
    calls = copies * array_bytes(rows, n, dtype=dtype)
    calls += converted_bytes(work, n, dtype)
    if work.stage == "store":
        name = getattr(rule, "name", None)
        temporaries = getattr(rule, "store_temporaries", (2.0, 2.0))
        temps = (temporaries[not dense] + online) * w * n_synapses
        if not dense and name in _ADD_OUTER and _COMPILED:
            # One compiled pass over the entries (layout.SparseLayout.add_outer):
            # a transposed copy of the patterns instead of blocks of products, for a
            # batch or for patterns presented one at a time.
            temps = array_bytes(rows, n, dtype=dtype)
        gram = getattr(rule, "gram_arrays", 0) * array_bytes(stored, stored)
        return state + int(temps) + gram + calls
    # The tie scan holds two blocks of 1024 rows (dynamics.tie_tolerances).
    block = array_bytes(min(n, 2048), n, dtype=dtype) if dense else w
    block *= scan
    cols = w  # columns of W (a transposed copy, or the symmetry check of a sparse W)
    if dense:
        # Beside the transposed copy, a sweep's update gathers the columns of the
        # units that changed (sweeps.EventFields.update: at most a quarter of them).
        cols += w // 4
    binary = getattr(model, "units", None) == "binary"
    if (
        not dense
        and _COMPILED
        and not work.record
        and getattr(model, "dynamics", None) == "sync"
    ):
        # The compiled sweeps of sign_sweeps: tolerances summed row by row without a
        # copy of |W|, the states as bits (2 bytes a unit per 16 cues): the recall's
        # own copy of the cues in the model's dtype, which receives the result, and
        # a scaled copy of graded cues; columns only for a structure not known
        # symmetric.
        block = scan * 4 * array_bytes(n, dtype=dtype)
        cols = 0 if getattr(topo, "known_symmetric", None) is True else w
        # Cues scaled into +/-1 (hopfield._unit_scale): the copy and the rows
        # indexed for the division (1.8 to 1.9 arrays traced).
        copies = 2 + 2 * (work.scaled and not binary)
        calls = copies * array_bytes(rows, n, dtype=dtype) + converted_bytes(work, n, dtype)
        if not binary and work.signs is not True:
            # Masked or graded units: dynamics.synchronous, same tolerances and
            # columns. The cues, the recall's and _unit_scale's copies, the tracker's,
            # the fields, the next states, the changes with their np.nonzero int64
            # indices, ties.decide's np.where: 8.8 to 10.5 arrays (float64), 11
            # (float32) traced at N = 2000, 20000 and 1 to 33 cues; 12 charged, and
            # two int64 unit arrays building the columns (short by 3% at degree 1).
            calls = 12 * array_bytes(rows, n, dtype=dtype)
            calls += converted_bytes(work, n, dtype)
            calls += 2 * array_bytes(n, dtype="int64") * (cols > 0)
        if binary:
            # 0/1 units relax as +/-1 states: the +/-1 copy of the cues (with its
            # temporaries) beside the 0/1 copy, and the 0/1 states returned.
            calls += 3 * array_bytes(rows, n, dtype=dtype)
    trail = trajectory_bytes(
        Workload("recall", n_cues=work.n_cues, n_steps=steps, record=work.record),
        n,
        stored,
        dtype,
        stacked,
    )
    # Recorded overlaps: a float64 copy of the patterns, its transpose and the
    # temporaries of reading their encoding (sweeps.stored_overlaps, made only when
    # overlaps are recorded).
    if "overlaps" in work.record and stored_overlaps:
        trail += 3 * array_bytes(stored, n, dtype="float64")
    return state + n_synapses * max(block, cols) + calls + trail


def sequence_estimate(model: Any, work: Workload, rule: Any = None) -> int:
    """The sequence memory: its transition synapse (and a symmetric one), the patterns
    kept three times (patterns, pre- and post-transition rows) and a trajectory
    allocated up front for ``n_steps`` steps (:func:`recurrent_estimate`)."""
    pairwise = getattr(model, "variant", "hebbian") != "dense"
    n_syn = (1 + bool(getattr(model, "symmetric", 0))) if pairwise else 0
    steps = work.n_steps or getattr(model, "n_steps", None)
    if steps is None:
        lengths = getattr(model, "lengths_", None)
        steps = int(np.max(lengths)) if lengths is not None and len(lengths) else 1
    options = {"kept": 3, "steps": steps, "stacked": 1, "scan": False, "rule": rule}
    est = recurrent_estimate(model, work, n_syn, stored_overlaps=False, **options)
    # Its recall reads the overlaps of every step (recorded or not) through one
    # transpose of the patterns in its dtype, not stored_overlaps' float64 copies.
    stored = int(getattr(model, "n_stored_", 0) or 0)
    x_t = array_bytes(stored, model.n_units, dtype=getattr(model, "dtype", "float64"))
    return est + x_t * (work.stage == "recall")
