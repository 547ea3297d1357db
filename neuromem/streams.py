"""The random streams of a model in its file: every generator's bit-generator state.

A model file keeps them so that a loaded model draws exactly what the original would
have drawn next (an asynchronous or Glauber recall, an MLP's noisy training). States
are written as JSON, without pickle: 128-bit integers as strings, arrays as lists; only
numpy's own bit generators are restored.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

__all__ = ["restore_streams", "stream_states"]

#: Bit generators whose state a model file may restore (numpy's own).
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
#: Attribute names a restored random stream may take (``_recall_rng``, ``rng_``...).
_STREAM_NAME = re.compile(r"_?[a-z][a-z0-9_]{0,40}rng_?")


def stream_states(memory: Any) -> dict[str, Any]:
    """The model's random generators by attribute, as JSON: their bit generators'
    states (128-bit integers as strings, arrays as lists), so that a loaded model
    draws exactly what the original would have drawn next."""
    return {
        name: _state_json(gen.bit_generator.state)
        for name, gen in sorted(vars(memory).items())
        if isinstance(gen, np.random.Generator) and _STREAM_NAME.fullmatch(name)
    }


def _state_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _state_json(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"$values": value.tolist(), "dtype": value.dtype.str}
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int | np.integer):
        return {"$int": str(int(value))}
    raise TypeError(f"a bit generator state holds a {type(value).__name__}")


def _state_back(value: Any) -> Any:
    if isinstance(value, dict) and "$int" in value:
        return int(value["$int"])
    if isinstance(value, dict) and "$values" in value:
        return np.asarray(value["$values"], dtype=np.dtype(value["dtype"]))
    if isinstance(value, dict):
        return {k: _state_back(v) for k, v in value.items()}
    return value


def restore_streams(memory: Any, streams: Any) -> None:
    """Put the saved states back into the model's generators (made if absent)."""
    if not isinstance(streams, dict):
        raise TypeError("random streams are not a table")
    for name, state in streams.items():
        kind = state.get("bit_generator") if isinstance(state, dict) else None
        if not _STREAM_NAME.fullmatch(str(name)) or kind not in _BIT_GENERATORS:
            raise TypeError(f"random stream {name!r:.40} of bit generator {kind!r:.40}")
        gen = getattr(memory, name, None)
        if not (
            isinstance(gen, np.random.Generator)
            and type(gen.bit_generator).__name__ == kind
        ):
            gen = np.random.Generator(getattr(np.random, kind)())
            setattr(memory, name, gen)
        gen.bit_generator.state = _state_back(state)
