"""Model files: atomic writes, no pickle, checksums that catch truncation and tampering.

A model file is a NumPy ``.npz`` archive. Its ``__meta__`` entry is UTF-8 JSON holding
the model's registry name, its parameters, its learned scalars, a SHA-256 digest of every
array, and a digest of the whole header. Loading never unpickles: only plain numeric
arrays are read (``allow_pickle=False``) and the model is rebuilt through the registry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io as _io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .errors import ValidationError, described

__all__ = ["atomic_write", "load", "save"]

FORMAT = "neuromem-model"
FORMAT_VERSION = 1
_FILE_ALLOWED = "a neuromem model file written by Memory.save"


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[Any]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    A crash or an exception leaves any previous ``path`` untouched and no partial file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _digest(arr: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(f"{arr.dtype.str}|{arr.shape}|".encode())
    h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


class _Encoder:
    """Turns parameters and state into JSON plus named arrays, and back."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value: Any, key: str) -> Any:
        from .neurons import Neuron
        from .rules.base import LearningRule
        from .topology import Topology

        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int | float):
            return value
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.random.Generator | np.random.SeedSequence):
            return None  # a live generator cannot be written; recorded as unseeded
        if isinstance(value, np.ndarray):
            self.arrays[key] = value
            return {"$array": key}
        if sp.issparse(value):
            m = sp.csr_array(value)
            for part in ("data", "indices", "indptr"):
                self.arrays[f"{key}.{part}"] = getattr(m, part)
            return {"$sparse": key, "shape": list(m.shape)}
        if isinstance(value, LearningRule):
            return {
                "$rule": value.name,
                "params": self.encode(value.get_params(), key + ".rule"),
            }
        if isinstance(value, Topology) and value.name == "complete":
            return {
                "$topology": "complete",
                "params": self.encode(value.params, key + ".p"),
            }
        if isinstance(value, Topology):
            return {
                "$topology": value.name,
                "params": self.encode(value.params, key + ".p"),
                "adjacency": self.encode(value.adjacency.astype(np.int8), key + ".adj"),
            }
        if isinstance(value, Neuron):
            return {
                "$neuron": value.name,
                "params": self.encode(dataclasses.asdict(value), key + ".neuron"),
            }
        if isinstance(value, list | tuple):
            return [self.encode(v, f"{key}.{i}") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {str(k): self.encode(v, f"{key}.{k}") for k, v in value.items()}
        raise TypeError(
            f"cannot write {key} of type {type(value).__name__} to a model file"
        )

    @staticmethod
    def decode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
        from .neurons import get_neuron
        from .registry import create_rule
        from .topology import Topology, complete

        dec = _Encoder.decode
        if isinstance(value, list):
            return [dec(v, arrays) for v in value]
        if not isinstance(value, dict):
            return value
        if "$array" in value:
            return arrays[value["$array"]]
        if "$sparse" in value:
            k = value["$sparse"]
            return sp.csr_array(
                (arrays[f"{k}.data"], arrays[f"{k}.indices"], arrays[f"{k}.indptr"]),
                shape=tuple(value["shape"]),
            )
        if "$rule" in value:
            return create_rule(value["$rule"], **dec(value["params"], arrays))
        if value.get("$topology") == "complete":
            return complete(**dec(value["params"], arrays))
        if "$topology" in value:
            adj = sp.csr_array(dec(value["adjacency"], arrays), dtype=bool)
            return Topology(adj, value["$topology"], dec(value["params"], arrays))
        if "$neuron" in value:
            law = get_neuron(value["$neuron"])
            return type(law)(**dec(value["params"], arrays))
        return {k: dec(v, arrays) for k, v in value.items()}


def save(memory, path: str | os.PathLike) -> None:
    """Write ``memory`` to ``path`` atomically (see the module docstring)."""
    from . import __version__

    enc = _Encoder()
    params = enc.encode(memory.get_params(), "param")
    state = enc.encode(memory._get_state(), "state")
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "neuromem_version": __version__,
        "model": memory.name,
        "params": params,
        "state": state,
        "arrays": {k: _digest(np.asarray(a)) for k, a in enc.arrays.items()},
    }
    meta["digest"] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
    header = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    buf = _io.BytesIO()
    np.savez(buf, __meta__=header, **{k: np.asarray(a) for k, a in enc.arrays.items()})
    with atomic_write(path) as fh:
        fh.write(buf.getvalue())


def load(path: str | os.PathLike):
    """Read a model written by :meth:`Memory.save`; never unpickles.

    Raises
    ------
    ValidationError
        If the file is missing, truncated, not a model file, of an unknown format
        version, or altered after it was written (a checksum does not match).
    """
    from .registry import create

    shown = str(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise ValidationError("path", shown, "an existing file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ValidationError(
            "path",
            described(f"{shown!r}, unreadable ({exc})"),
            _FILE_ALLOWED + " (is it truncated or of another kind?)",
        ) from None
    header = arrays.pop("__meta__", None)
    try:
        meta = json.loads(bytes(header).decode()) if header is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValidationError(
            "path", described(f"{shown!r}, which has no neuromem header"), _FILE_ALLOWED
        )
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValidationError(
            "path",
            described(f"{shown!r} of format version {meta.get('format_version')!r}"),
            f"format version {FORMAT_VERSION}",
        )
    digest = meta.pop("digest", None)
    if digest != hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest():
        raise ValidationError(
            "path",
            described(f"{shown!r}, whose header was altered"),
            "an unmodified " + _FILE_ALLOWED,
        )
    expected = meta["arrays"]
    if set(expected) != set(arrays):
        raise ValidationError(
            "path",
            described(f"{shown!r}, whose arrays do not match its header"),
            "an unmodified " + _FILE_ALLOWED,
        )
    for k, a in arrays.items():
        if _digest(a) != expected[k]:
            raise ValidationError(
                "path",
                described(f"{shown!r}, whose array {k!r} was altered"),
                "an unmodified " + _FILE_ALLOWED,
            )
    params = _Encoder.decode(meta["params"], arrays)
    state = _Encoder.decode(meta["state"], arrays)
    memory = create(meta["model"], **params)
    memory._set_state(state)
    return memory
