"""Editing model files in tests: a deliberate edit, with its checksums recomputed."""

import hashlib
import json

import numpy as np

from neuromem import io as nmio


def rewrite(path, edit):
    """Apply ``edit(meta, arrays)`` to the model file at ``path`` and recompute its
    checksums, so that only the edit itself can make the file fail to load."""
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays.pop("__meta__").tobytes())
    meta.pop("digest")
    edit(meta, arrays)
    meta["arrays"] = {k: nmio._digest(np.asarray(a)) for k, a in arrays.items()}
    meta["digest"] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
    header = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8)
    np.savez(path, __meta__=header, **arrays)
