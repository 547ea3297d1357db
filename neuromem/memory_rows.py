"""Memory estimates of the models that compute with rows rather than a recurrent
weight matrix: layered networks (:func:`feedforward_estimate`) and the dense and
modern Hopfield networks, which compute with their patterns
(:func:`patterns_estimate`). See :mod:`neuromem.memory` for what an estimate
covers; each term below names the arrays it stands for.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from .memory import (
    NETWORK_OBJECTS,
    Workload,
    array_bytes,
    converted_bytes,
    trajectory_bytes,
)

__all__ = ["feedforward_estimate", "patterns_estimate"]

#: Cues x patterns x units the dense model's synchronous sweep handles at once: it
#: relaxes ``SYNC_BLOCK // (8 (P + 2 N))`` cues together (``models.dense`` reads it
#: here, so the estimate and the sweep share one number).
SYNC_BLOCK = 1 << 22

#: ``(B, P)`` float64 arrays the dense model's update law holds at its peak for B
#: cues: the overlaps ``m_low``, ``m_high`` and their sum, ``D(m -/+ 1)`` looked up
#: with their signs and indices, the ``(4, B, P)`` rows and one exponent
#: (``models.dense_law.UpdateLaw.rows``); after a sweep where some cues stop, the
#: six arrays of those still running are copied beside the six held. Traced: 12.0
#: to 12.1 arrays at N = 100, P = 2000 and 200 to 2000 cues; 13 charged.
LAW_ROWS = 13

#: ``(B, N)`` float64 arrays a synchronous sweep of the dense model holds at its peak
#: for a block of B +/-1 cues (``models.dense.DenseHopfield._sync_update``): the
#: block as float64, the ``(4, B, 2 N)`` products of the law's rows with the
#: patterns' masks (8 arrays), the gains and scales with the two differences each is
#: selected from (``UpdateLaw.gains``), then the tie law's tolerance and its int64
#: and float64 states (``ties.decide``). Traced: 14.4 arrays at N = 1000 and 2000,
#: P = 20, 200 cues (the sweep's states in the model's dtype apart); 15 charged.
SYNC_ROWS = 15


def _recall_passes(model: Any, work: Workload, n: int, n_out: int, dtype: Any) -> int:
    """Bytes of a trained network's recall of ``work.n_cues`` cues (one pass): the
    cues as given and their copy in the model's dtype, then the largest of their
    check (a boolean per cue value), the forward pass (summed inputs and activations
    of every layer above the input, ``models.mlp_backprop._forward``) and the
    decoding (the outputs, and ``np.where``'s float64 result or its copy in a float32
    model's dtype, ``_decode``), and what ``work.iterate`` keeps between passes."""
    rows = work.n_cues
    widths = sum(getattr(model, "widths", ()) or ())
    forward = array_bytes(rows, 2 * (widths + n_out), dtype=dtype)
    decode = array_bytes(rows, 2 * n_out, dtype="float64")
    check = array_bytes(rows, n, dtype=bool)
    cues = array_bytes(rows, n, dtype=dtype) + converted_bytes(work, n, dtype)
    # Iterated passes (auto-association: n_out = n) also hold the states and raw
    # outputs returned, the cues still running, and the previous pass's outputs
    # and states through the next forward pass (models.mlp.MLP.recall).
    passes = array_bytes(rows, 5 * n, dtype=dtype) if work.iterate else 0
    return cues + max(check, forward, decode) + passes


def feedforward_estimate(model: Any, work: Workload, widths: tuple = ()) -> int:
    """A feed-forward model ``n_units -> widths... -> n_out`` of dense layers: the
    weights (with ``copies`` of them for an optimiser's state and gradients), the
    pairs kept and the activations of the rows of the call in every layer (a trained
    network's recall: :func:`_recall_passes`)."""
    n = int(model.n_units)
    dtype = getattr(model, "dtype", "float64")
    n_out = work.n_out or getattr(model, "n_out_", None) or getattr(model, "n_out", None)
    if n_out is None and work.stage == "create" and not widths:
        return 0  # the output width is known at store (auto- or hetero-association)
    n_out = int(n_out or n)
    sizes = (n, *widths, n_out)
    params = sum(a * b + b for a, b in itertools.pairwise(sizes))
    # A model trained by an optimiser, with or without hidden layers, holds its
    # moments, gradients and a snapshot beside the weights, and a training step
    # three more copies (measured with tracemalloc without hidden layers).
    trained = getattr(model, "optimizer", None) is not None
    copies = (5 + 3 * (work.stage == "store")) if trained else 1
    stored = int(getattr(model, "n_stored_", 0) or 0) + work.n_patterns
    state = array_bytes(copies * params, dtype=dtype)
    if work.stage == "create":
        return array_bytes(params, dtype=dtype)
    # The pairs it keeps, in the dtype it keeps them (None: it keeps none).
    kept = getattr(model, "kept_dtype", dtype)
    state += 0 if kept is None else array_bytes(stored, n + n_out, dtype=kept)
    rows = work.n_patterns if work.stage == "store" else work.n_cues
    builds = callable(getattr(model, "_build", None))
    if work.stage == "store" and builds and getattr(model, "network_", None) is None:
        # The first store builds the network once the values' width is known: its
        # Network and Synapse objects (about 5 KiB traced at N = 97 to 2000).
        state += NETWORK_OBJECTS
    if trained and work.stage == "store":
        rows = min(max(rows, stored), int(getattr(model, "batch_size", None) or stored))
    acts = array_bytes((8 if trained else 2) * rows, sum(sizes), dtype=dtype)
    if trained and work.stage == "recall":
        # The eight copies of the activations are a training step's (forward and
        # backward passes): a recall is one forward pass (2.5 to 7 times less).
        acts = _recall_passes(model, work, n, n_out, dtype)
    return state + acts + trajectory_bytes(work, n, stored, dtype)


def patterns_estimate(model: Any, work: Workload, blocked: bool = False) -> int:
    """A model that computes with its pattern matrix (dense and modern Hopfield): the
    patterns, and per call the cues' similarities with every pattern (``blocked``:
    the dense model's update law, :data:`LAW_ROWS` arrays of them for the cues
    relaxed at once, its pattern tables and a block of cue x pattern x unit
    products)."""
    n = int(model.n_units)
    dtype = getattr(model, "dtype", "float64")
    stored = int(getattr(model, "n_stored_", 0) or 0) + work.n_patterns
    state = array_bytes(stored, n, dtype=dtype)
    if work.stage == "create":
        return 0
    # Rows given in another dtype (float64 patterns of a float32 model) are held
    # beside their converted copy for the whole call.
    given = converted_bytes(work, n, dtype)
    if work.stage == "store":
        return state + array_bytes(work.n_patterns, n, dtype=dtype) + given
    # The softmax of the modern model's scores (models.modern._scores), in its
    # dtype: the scores, their distances to each row's largest, the exponents and
    # their copy, the weights and the weights normalised; and a scaled copy of the
    # patterns (np.ldexp), or their magnitudes for the tolerance.
    sims = array_bytes(6 * work.n_cues * stored, dtype=dtype) + state
    cues = array_bytes(8 * work.n_cues, n, dtype=dtype) + given
    tables = 0
    if blocked:
        sync = (work.dynamics or getattr(model, "dynamics", "sync")) == "sync"
        # The law's rows: for every cue in an asynchronous sweep, for a block of
        # cues in a synchronous one (models.dense.DenseHopfield._sync_update).
        relaxed = (
            min(work.n_cues, max(1, SYNC_BLOCK // (8 * (stored + 2 * n))))
            if sync
            else work.n_cues
        )
        sims = array_bytes(LAW_ROWS * relaxed * stored, dtype="float64")
        sims += sync * array_bytes(SYNC_ROWS * relaxed * n, dtype="float64")
        # The dense model's update law (models.dense_law.UpdateLaw): the patterns as
        # float64 (a copy unless they are) and two tables of their size; graded cues
        # in a synchronous sweep add blocks of about eight temporaries of at most
        # max(P, min(2**22, P N / 16)) products (models.dense).
        tables = (2 + (np.dtype(dtype) != np.float64)) * array_bytes(stored, n)
        # Its table of the terms of every integer overlap, 2 N + 3 of them, built
        # through about a dozen temporaries of that length (dense_law._log_terms):
        # what a single cue at N = 200 fell short by.
        tables += array_bytes(12 * (2 * n + 3))
        products = float(work.n_cues) * stored * n
        cap = max(stored, min(2**22, stored * n / 16))
        tables += sync * 8 * array_bytes(min(products, cap))
    return state + sims + cues + tables + trajectory_bytes(work, n, stored, dtype)
