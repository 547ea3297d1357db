"""Model files: atomic writes, no pickle, checksums that catch truncation and tampering.

A model file is a NumPy ``.npz`` archive. Its ``__meta__`` entry is UTF-8 JSON holding
the model's registry name (for a :class:`~neuromem.spiking.SpikingNetwork`, which is no
model, its ``file_kind`` instead), its parameters, its learned scalars, a SHA-256 digest
of every array, and a digest of the whole header. Loading never unpickles: only plain numeric
arrays are read (``allow_pickle=False``) and the model is rebuilt through the registry.

The checksums protect against accidents (a truncated copy, a flipped bit, a file of
another kind), not against a deliberate edit: anyone can recompute them. So a file is
also validated as a whole before it is used: sizes before anything is decompressed,
the JSON header's nesting and keys, every array's dtype, shape and finiteness, the
parameters through the model's own checks, and the rebuilt model by one recall.
Whatever is wrong is a :class:`~neuromem.ValidationError`.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._codec import Encoder, registered
from ._version import __version__
from .errors import ValidationError, described
from .memory import MemoryShortfall, format_bytes
from .params import learned_attributes
from .registry import create, models
from .streams import restore_streams, stream_states
from .tags import get_tags

__all__ = ["atomic_write", "check_path", "load", "save"]

FORMAT = "neuromem-model"
FORMAT_VERSION = 1
_FILE_ALLOWED = "a neuromem file (a model's or a network's) written by neuromem.save"
#: Objects other than models that have a file: the ``file_kind`` a class declares and
#: the header records, and the class as "module:Class", imported on first use (the
#: spiking package pulls in numba, which ``import neuromem`` does not need).
_OBJECTS = {"spiking-network": "neuromem.spiking.network:SpikingNetwork"}


def _unmodified(meta: Any) -> str:
    """What a file whose header reads ``meta`` should have been, in an error."""
    named = isinstance(meta, dict) and meta.get("object") == "spiking-network"
    return f"an unmodified neuromem {'network' if named else 'model'} file written by " + (
        "neuromem.save" if named else "Memory.save"
    )


def _object_class(kind: str) -> type:
    module, _, attr = _OBJECTS[kind].partition(":")
    return getattr(__import__(module, fromlist=[attr]), attr)


def _umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # the only portable way to read it: set, then restore
    os.umask(mask)
    return mask


def _tmp_pattern(name: str) -> re.Pattern:
    return re.compile(rf"\.{re.escape(name)}\.(\d+)\.[A-Za-z0-9_]+\.tmp")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_stale(path: Path) -> None:
    """Remove temporary files a killed writer of ``path`` left behind.

    Temporary files carry the writer's process id: one whose process is gone can only
    be a leftover (a live writer's file is never touched).
    """
    pattern = _tmp_pattern(path.name)
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            found = pattern.fullmatch(entry.name)
            if found and not _pid_alive(int(found.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def check_path(path: Any, name: str = "path") -> Path:
    """Validate an output file path: a non-empty path whose parent can hold a file."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise ValidationError(name, path, "a non-empty file path")
    path = Path(path)
    if path.is_dir() or os.fspath(path).endswith(os.sep):
        raise ValidationError(name, str(path), "a file path (this is a folder)")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValidationError(
                    name, str(path), f"a path in a folder ({str(parent)!r} is a file)"
                )
            break
    return path


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[Any]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    A crash or an exception leaves any previous ``path`` untouched and no partial file;
    temporary files left by a writer that was killed are removed by the next write of
    the same path. The file gets the permissions the umask allows (``0o666 & ~umask``),
    like any file the user creates.

    Raises
    ------
    ValidationError
        If ``path`` is empty, a folder, below a file, or cannot be written.
    """
    path = check_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(path)
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp"
        )
    except OSError as exc:
        raise ValidationError(
            "path",
            described(f"{str(path)!r}, which cannot be written ({exc.strerror})"),
            "a path in a folder you can write to",
        ) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _digest(arr: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(f"{arr.dtype.str}|{arr.shape}|".encode())
    h.update(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))  # its bytes, no copy
    return h.hexdigest()


def save(memory, path: str | os.PathLike) -> None:
    """Write ``memory`` (a model, or a :class:`~neuromem.spiking.SpikingNetwork`) to
    ``path`` atomically (see the module docstring).

    Raises
    ------
    ValidationError
        If ``memory`` is not a memory model, or ``path`` is empty, a folder, below a
        file or cannot be written.
    """
    if not all(callable(getattr(memory, m, None)) for m in ("get_params", "_get_state")):
        raise ValidationError(
            "memory",
            described(f"a {type(memory).__name__}"),
            "a memory model (nm.create(...)) or a SpikingNetwork; other objects have "
            "no file",
        )
    check_path(path)
    kind = getattr(type(memory), "file_kind", None)
    named = {"object": kind} if kind in _OBJECTS else {}
    named = named or {"model": registered(models, memory, "model")}
    enc = Encoder()
    params = enc.encode(memory.get_params(), "param")
    state = enc.encode(memory._get_state(), "state")
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "neuromem_version": __version__,
        **named,
        "params": params,
        "state": state,
        "streams": stream_states(memory),
        "arrays": {k: _digest(np.asarray(a)) for k, a in enc.arrays.items()},
    }
    meta["digest"] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
    header = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    # Written straight into the temporary file: no whole-file buffer (nor its copy).
    with atomic_write(path) as fh:
        np.savez(fh, __meta__=header, **{k: np.asarray(a) for k, a in enc.arrays.items()})


#: Largest JSON header accepted, in bytes, and its deepest nesting.
MAX_HEADER_BYTES = 16 * 2**20
MAX_DEPTH = 32
#: Bytes read at a time from an archive entry (the only temporary of reading one).
_CHUNK = 2**22
#: Python objects of a loaded model, beside its arrays (traced: 20-40 KB).
_BASE = 2**15
#: Largest ratio of decompressed to compressed size of one entry (a zip bomb's is ~1000).
MAX_RATIO = 50


def _shortfall(shown: str, exc: MemoryShortfall, what: str) -> MemoryShortfall:
    """A refusal of ``load`` for lack of memory (the file may be sound)."""
    return MemoryShortfall(
        "path",
        described(f"{shown!r}, whose loading needs more memory than is available"),
        f"a model file that fits in memory ({what} needs about "
        f"{format_bytes(exc.needed)}; {format_bytes(exc.available)} available)",
        exc.needed,
        exc.available,
    )


def _bad(shown: str, what: str, allowed: str = _FILE_ALLOWED) -> ValidationError:
    return ValidationError("path", described(f"{shown!r}, {what}"), allowed)


def _depth(value: Any, limit: int) -> bool:
    """Whether ``value`` nests no deeper than ``limit`` (iteratively: no recursion)."""
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            return False
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return True


def _load_bytes(infos: list[zipfile.ZipInfo]) -> int:
    """What :func:`load` allocates at its peak, from the sizes of the archive's entries
    (traced at N = 2e4 and 2e5 for a sparse Hopfield network, 1e3 and 2e3 dense):

    * every entry's array, held until the model is built from them (``total``);
    * the chunk they are read through (``_CHUNK``, or the largest entry if smaller);
    * building the model beside them: its largest array (the weights) made at creation,
      the checked copy it receives, and a temporary of that check (or the check
      recall's transposed copy of them, made after the file's arrays are released):
      three times the largest entry;
    * Python objects: the parsed header (about 8 bytes per byte of JSON) and the
      model's own (``_BASE``).
    """
    sizes = [i.file_size for i in infos]
    largest = max(sizes, default=0)
    header = sum(i.file_size for i in infos if i.filename == "__meta__.npy")
    total = sum(sizes)
    return total + min(_CHUNK, largest) + 3 * largest + 8 * header + _BASE


def _read_arrays(path: Any, shown: str) -> dict[str, np.ndarray]:
    """Every entry of the archive as a numeric array, sizes checked before reading."""
    from .memory import check_memory

    fmt = np.lib.format
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        check_memory(_load_bytes(infos), "path", described(f"{shown!r}"), "loading it")
        for info in infos:
            if not info.filename.endswith(".npy") or info.is_dir():
                raise _bad(shown, f"with an entry {info.filename!r} that is no array")
            if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_RATIO * (
                info.compress_size + 1024
            ):
                raise _bad(shown, f"whose entry {info.filename!r} inflates too much")
            key = info.filename[:-4]
            with zf.open(info) as fh:
                version = fmt.read_magic(fh)
                if version == (1, 0):
                    shape, fortran, dtype = fmt.read_array_header_1_0(fh)
                elif version == (2, 0):
                    shape, fortran, dtype = fmt.read_array_header_2_0(fh)
                else:
                    raise _bad(shown, f"with an array header of version {version}")
                if dtype.hasobject or dtype.kind not in "biuf":
                    raise _bad(shown, f"whose array {key!r} has dtype {dtype}")
                count = 1
                for n in shape:
                    count *= int(n)
                # The header's claim is checked against the entry's size before any
                # allocation: a header claiming 2**40 elements is refused here.
                if count * dtype.itemsize > info.file_size:
                    raise _bad(shown, f"whose array {key!r} claims more data than it has")
                # Read in place, a chunk at a time: no second copy of the entry.
                arr = np.empty(count, dtype=dtype)
                raw = arr.view(np.uint8)
                done = 0
                while done < len(raw):
                    chunk = fh.read(min(_CHUNK, len(raw) - done))
                    if not chunk:
                        raise _bad(shown, f"whose array {key!r} is truncated")
                    raw[done : done + len(chunk)] = np.frombuffer(chunk, np.uint8)
                    done += len(chunk)
                del raw
                if fortran and len(shape) > 1:
                    arr = arr.reshape(shape, order="F").copy(order="C")
                arrays[key] = arr.reshape(shape)
    return arrays


def _check_meta(meta: Any, arrays: dict[str, np.ndarray], shown: str) -> None:
    """The header's structure: the keys and types every later step relies on."""
    altered = _unmodified(meta)
    if "object" in meta:
        if not isinstance(meta["object"], str) or meta["object"] not in _OBJECTS:
            raise _bad(shown, f"for an unknown object {meta['object']!r:.40}", altered)
    elif not isinstance(meta.get("model"), str) or meta["model"] not in models:
        raise _bad(shown, f"for an unknown model {meta.get('model')!r}", altered)
    for key in ("params", "state", "arrays"):
        if not isinstance(meta.get(key), dict):
            raise _bad(shown, f"whose header has no valid {key!r}", altered)
    if not all(isinstance(v, str) for v in meta["arrays"].values()):
        raise _bad(shown, "whose header lists arrays wrongly", altered)
    refs: list[str] = []
    stack = [meta["params"], meta["state"]]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            if "$array" in v:
                refs.append(v["$array"])
            if "$sparse" in v:
                k = v["$sparse"]
                shape = v.get("shape")
                ref = v.get("structure", k)
                ok = isinstance(k, str) and isinstance(ref, str)
                ok = ok and isinstance(shape, list) and len(shape) == 2
                ok = ok and all(
                    isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
                )
                if not ok:
                    raise _bad(shown, "with a malformed sparse matrix", altered)
                refs.extend([f"{k}.data", f"{ref}.indices", f"{ref}.indptr"])
            for tag in ("$rule", "$topology", "$neuron"):
                if tag in v and (
                    not isinstance(v[tag], str) or not isinstance(v.get("params"), dict)
                ):
                    raise _bad(shown, f"with a malformed {tag[1:]}", altered)
            stack.extend(v.values())
    for r in refs:
        if not isinstance(r, str) or r not in arrays:
            raise _bad(shown, f"whose header names a missing array {r!r}", altered)
    for k, a in arrays.items():
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise _bad(shown, f"whose array {k!r} holds NaN or infinite values", altered)


def _probe(memory, shown: str) -> None:
    """Recall one cue: a model whose state is inconsistent fails here, not later."""
    n = getattr(memory, "n_units", None)
    altered = _unmodified(None)
    # A count that is no count (a string, a list) breaks repr() and later arithmetic.
    stored = getattr(memory, "n_stored_", None)
    if stored is not None and (
        isinstance(stored, bool) or not isinstance(stored, int) or stored < 0
    ):
        raise _bad(shown, f"whose n_stored ({stored!r:.40}) is no count", altered)
    # What was stored must be as wide as the model and counted right.
    for attr in ("patterns_", "keys_"):
        x = getattr(memory, attr, None)
        if x is None:
            continue
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != n:
            raise _bad(shown, f"whose {attr[:-1]} do not fit n_units = {n}", altered)
        stored = getattr(memory, "n_stored_", None)
        if attr == "patterns_" and isinstance(stored, int) and stored != len(x):
            raise _bad(shown, f"whose n_stored ({stored}) is not its patterns'", altered)
    if not isinstance(n, int) or getattr(memory, "network_", True) is None:
        return
    if not learned_attributes(memory):  # saved before its first store: nothing to check
        return
    cue = np.zeros((1, n))
    encodings = get_tags(memory).encodings
    if "binary" in encodings and "bipolar" not in encodings:
        cue[0, 0] = 1.0
    else:
        cue[:] = 1.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = (
                memory.recall(cue, max_steps=1)
                if _takes(memory, "max_steps")
                else (memory.recall(cue))
            )
        states = np.asarray(res.states, dtype=float)
    except MemoryShortfall as exc:  # a lack of memory, not of the file
        raise _shortfall(shown, exc, "its check recall of one cue") from None
    except ValidationError as exc:
        if ".recall" in exc.param:  # stored nothing: a valid empty model
            return
        raise _bad(shown, f"whose state is inconsistent ({exc})", altered) from None
    except Exception as exc:
        raise _bad(
            shown,
            f"whose state is inconsistent ({type(exc).__name__}: {exc})",
            altered,
        ) from None
    if not np.all(np.isfinite(states)):
        raise _bad(shown, "whose state recalls NaN", altered)


def _takes(memory, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(memory.recall).parameters
    except (TypeError, ValueError):
        return False


def load(path: str | os.PathLike):
    """Read a model written by :meth:`Memory.save` (or a network by :func:`save`);
    never unpickles.

    The whole file is validated before the model is returned (see the module
    docstring): a checksum catches an accident, the structure checks catch the rest.

    Raises
    ------
    ValidationError
        If the file is missing, truncated, not a model file, of an unknown format
        version, altered after it was written (a checksum does not match), too large
        for the memory available, or inconsistent in any way.
    """
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise ValidationError("path", path, "the path of a model file")
    shown = str(path)
    if os.path.isdir(path):
        raise ValidationError("path", shown, "a model file (this is a folder)")
    try:
        arrays = _read_arrays(path, shown)
    except ValidationError:
        raise
    except FileNotFoundError:
        raise ValidationError("path", shown, "an existing file") from None
    except (
        OSError,
        ValueError,
        EOFError,
        zipfile.BadZipFile,
        KeyError,
        NotImplementedError,
        RuntimeError,
        zlib.error,
        MemoryError,
        OverflowError,
        TypeError,
        SyntaxError,
    ) as exc:
        raise ValidationError(
            "path",
            described(f"{shown!r}, unreadable ({type(exc).__name__}: {exc})"[:300]),
            _FILE_ALLOWED + " (is it truncated or of another kind?)",
        ) from None
    header = arrays.pop("__meta__", None)
    meta = None
    if header is not None and header.dtype == np.uint8 and header.size <= MAX_HEADER_BYTES:
        try:
            meta = json.loads(header.tobytes().decode())
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _bad(shown, "which has no neuromem header")
    if not _depth(meta, MAX_DEPTH):
        raise _bad(shown, f"whose header nests deeper than {MAX_DEPTH} levels")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValidationError(
            "path",
            described(f"{shown!r} of format version {meta.get('format_version')!r}"),
            f"format version {FORMAT_VERSION}",
        )
    digest = meta.pop("digest", None)
    if digest != hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest():
        raise _bad(shown, "whose header was altered", _unmodified(meta))
    expected = meta.get("arrays")
    if not isinstance(expected, dict) or set(expected) != set(arrays):
        raise _bad(shown, "whose arrays do not match its header", _unmodified(meta))
    for k, a in arrays.items():
        if _digest(a) != expected[k]:
            raise _bad(shown, f"whose array {k!r} was altered", _unmodified(meta))
    _check_meta(meta, arrays, shown)
    try:
        params = Encoder.decode(meta["params"], arrays)
        state = Encoder.decode(meta["state"], arrays)
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise TypeError("parameters are not a table")
        if "object" in meta:
            memory = _object_class(meta["object"])(**params)
        else:
            memory = create(meta["model"], **params)
        memory._set_state(state)
        restore_streams(memory, meta.get("streams", {}))  # absent in older files
    except MemoryShortfall as exc:
        raise _shortfall(shown, exc, f"building its model ({exc.param})") from None
    except ValidationError as exc:
        raise _bad(
            shown, f"with an invalid model ({exc})"[:400], _unmodified(meta)
        ) from None
    except Exception as exc:  # an edited state may break a model in any way
        raise _bad(
            shown,
            f"with an inconsistent model ({type(exc).__name__}: {exc})"[:400],
            _unmodified(meta),
        ) from None
    # What the model did not keep of the file (arrays it copied) goes before the check.
    del arrays, params, state
    # The check recall draws from the model's streams: it runs on copies of them, so
    # that the loaded model goes on exactly as the saved one would have.
    gens = [g for g in vars(memory).values() if isinstance(g, np.random.Generator)]
    saved = [(g, copy.deepcopy(g.bit_generator.state)) for g in gens]
    try:
        _probe(memory, shown)
    finally:
        for gen, state in saved:
            gen.bit_generator.state = state
    return memory
