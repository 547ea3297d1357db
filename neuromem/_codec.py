"""How a model file's parameters and state become JSON plus named arrays, and back
(the codec of :mod:`neuromem.io`; no pickle: only plain values, arrays, and the
registered rules, topologies and neurons they are made of)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import scipy.sparse as sp

from .errors import ValidationError, described
from .neurons import Neuron, get_neuron
from .registry import create_rule, rules
from .rules.base import LearningRule
from .topology import Topology, complete


class Encoder:
    """Turns parameters and state into JSON plus named arrays, and back."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.sparse: list[str] = []  # sparse matrices written with their structure

    def _structure(self, m: sp.csr_array) -> str | None:
        """A sparse matrix already written whose indices and indptr are ``m``'s."""
        for k in self.sparse:
            ptr, ind = self.arrays[f"{k}.indptr"], self.arrays[f"{k}.indices"]
            if (ptr.dtype, ind.dtype) == (m.indptr.dtype, m.indices.dtype) and (
                np.array_equal(ptr, m.indptr) and np.array_equal(ind, m.indices)
            ):
                return k
        return None

    def encode(self, value: Any, key: str) -> Any:
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
            self.arrays[f"{key}.data"] = m.data
            same = self._structure(m)
            if same is not None:
                # The structure of a matrix already written (the weights on their
                # topology's adjacency): its indices are not written twice.
                return {"$sparse": key, "shape": list(m.shape), "structure": same}
            for part in ("indices", "indptr"):
                self.arrays[f"{key}.{part}"] = getattr(m, part)
            self.sparse.append(key)
            return {"$sparse": key, "shape": list(m.shape)}
        if isinstance(value, LearningRule):
            return {
                "$rule": registered(rules, value, "rule"),
                "params": self.encode(value.get_params(), key + ".rule"),
            }
        if isinstance(value, Topology) and value.name == "complete":
            return {
                "$topology": "complete",
                "params": self.encode(value.params, key + ".p"),
            }
        if isinstance(value, Topology):
            # Whether its maker knew it symmetric: a loaded model then recalls as the
            # saved one (no transposed copy of its weights). Absent in older files.
            return {
                "$topology": value.name,
                "params": self.encode(value.params, key + ".p"),
                "adjacency": self.encode(value.adjacency.astype(np.int8), key + ".adj"),
                "symmetric": value.known_symmetric,
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
        dec = Encoder.decode
        if isinstance(value, list):
            return [dec(v, arrays) for v in value]
        if not isinstance(value, dict):
            return value
        if "$array" in value:
            return arrays[value["$array"]]
        if "$sparse" in value:
            k = value["$sparse"]
            s = value.get("structure", k)  # absent: its own (and in older files)
            return sp.csr_array(
                (arrays[f"{k}.data"], arrays[f"{s}.indices"], arrays[f"{s}.indptr"]),
                shape=tuple(value["shape"]),
            )
        if "$rule" in value:
            return create_rule(value["$rule"], **dec(value["params"], arrays))
        if value.get("$topology") == "complete":
            return complete(**dec(value["params"], arrays))
        if "$topology" in value:
            adj = sp.csr_array(dec(value["adjacency"], arrays), dtype=bool)
            sym = value.get("symmetric")
            if sym not in (None, True, False) or (sym and not _symmetric(adj)):
                raise ValueError(f"a topology wrongly marked symmetric ({sym!r:.20})")
            return Topology(adj, value["$topology"], dec(value["params"], arrays), sym)
        if "$neuron" in value:
            law = get_neuron(value["$neuron"])
            return type(law)(**dec(value["params"], arrays))
        return {k: dec(v, arrays) for k, v in value.items()}


def _symmetric(adj: sp.csr_array) -> bool:
    """Whether a canonical boolean CSR matrix equals its transpose (its columns, one
    index array, are compared with its rows)."""
    if adj.shape[0] != adj.shape[1]:
        return False
    adj.sort_indices()
    cols = adj.T.tocsr()
    cols.sort_indices()
    return np.array_equal(cols.indptr, adj.indptr) and np.array_equal(
        cols.indices, adj.indices
    )


def registered(registry: Any, obj: Any, kind: str) -> str:
    """The registry key ``obj``'s class is registered under: what the file records and
    :func:`load` creates it from (refused before anything is written if none)."""
    name = registry.name_of(obj)
    if name is None:
        raise ValidationError(
            kind,
            described(f"an instance of the unregistered class {type(obj).__name__}"),
            f"a registered {kind} (nm.register_{kind}, or an entry point), so that "
            "nm.load can create it again",
        )
    return name
