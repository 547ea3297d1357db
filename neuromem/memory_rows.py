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
    rule_of,
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


#: Arrays of the parameters' size an optimiser keeps beside them (its state and
#: scratch space) and how many of them a store's snapshot copies
#: (``neuromem.optimizers``: momentum's velocities; Adam's two moments and a
#: scratch array that is not saved). Unknown optimisers are charged Adam's.
OPTIMIZER_ARRAYS = {"sgd": (0, 0), "momentum": (1, 1), "adam": (3, 2)}


def _recall_passes(model: Any, work: Workload, n: int, n_out: int, dtype: Any) -> int:
    """Bytes of a trained network's recall of ``work.n_cues`` cues (one pass): the
    cues as given and their copy in the model's dtype, then the largest of their
    check (a boolean per cue value), the forward pass (summed inputs and activations
    of every layer above the input, ``models.mlp_backprop._forward``) and the
    outputs with what is made of them (``np.where``'s float64 result and its copy in
    a float32 model's dtype, ``_decode``; or ``2 y - 1`` and its temporary for +/-1
    targets of sigmoid units, ``_from_out``), and what ``work.iterate`` keeps between
    passes."""
    rows = work.n_cues
    widths = sum(getattr(model, "widths", ()) or ())
    forward = array_bytes(rows, 2 * (widths + n_out), dtype=dtype)
    decode = array_bytes(rows, n_out, dtype=dtype) + array_bytes(rows, 2 * n_out)
    check = array_bytes(rows, n, dtype=bool)
    cues = array_bytes(rows, n, dtype=dtype) + converted_bytes(work, n, dtype)
    # Iterated passes (auto-association: n_out = n) also hold the states and raw
    # outputs returned, the cues still running, and the previous pass's outputs
    # and states through the next forward pass (models.mlp.MLP.recall).
    passes = array_bytes(rows, 5 * n, dtype=dtype) if work.iterate else 0
    return cues + max(check, forward, decode) + passes


def _training_rows(
    model: Any, work: Workload, n: int, n_out: int, widths: tuple, dtype: Any
) -> tuple[int, int, int]:
    """Bytes a trained network's store holds for all its rows, ``(held, check,
    keep)``: ``held`` through the whole store, the others at two of its steps.

    Held: the patterns (and targets) as given, their copy in the model's dtype
    when given in another, the targets in the output units' range
    (``models.mlp_backprop._to_out``: a copy for +/-1 targets of sigmoid units),
    the old pairs rehearsed with them (``rehearsal``) and a corrupted copy of the
    inputs per epoch (``noise``, ``models.mlp_training._corrupt``: the random
    draws and the copy). ``check``: the clean forward pass over every training row
    (``_reproduced``: every layer's sums and activations, then both decodings in
    float64). ``keep``: which pairs are new (``Training._keep``: the rows of every
    pair stored, with ``np.unique``'s flattened, sorted and unique copies, traced
    at three copies; a hetero store first joins keys and targets, old and new)."""
    p = work.n_patterns
    hetero = work.n_out is not None or getattr(model, "mode_", None) == "hetero"
    width = n + n_out * hetero
    old = int(getattr(model, "n_stored_", 0) or 0)
    rows = p + round(float(getattr(model, "rehearsal", 0.0) or 0.0) * old)
    held = array_bytes(p, width, dtype=work.given or dtype)
    held += array_bytes(p, width, dtype=dtype) if converted_bytes(work, 1, dtype) else 0
    held += array_bytes(p, n_out, dtype=dtype)
    if rows > p:
        held += array_bytes(rows, n + n_out, dtype=dtype)
    if float(getattr(model, "noise", 0.0) or 0.0) > 0 and not hetero:
        held += array_bytes(rows, n) + array_bytes(rows, n, dtype=dtype)
    check = array_bytes(rows, 2 * (sum(widths) + n_out), dtype=dtype)
    check += array_bytes(rows, 2 * n_out)
    keep = array_bytes((4 + hetero) * (old + p), width, dtype=dtype)
    return held, check, keep


def feedforward_estimate(model: Any, work: Workload, widths: tuple = ()) -> int:
    """A feed-forward model ``n_units -> widths... -> n_out`` of dense layers: the
    weights (with the arrays an optimiser keeps beside them, and a store's
    snapshots and gradients, or the temporaries of a pair memory's rule), the pairs
    kept and the rows of the call in every layer (a trained network's recall:
    :func:`_recall_passes`; its store: :func:`_training_rows` and a training step's
    activations)."""
    n = int(model.n_units)
    dtype = getattr(model, "dtype", "float64")
    n_out = work.n_out or getattr(model, "n_out_", None) or getattr(model, "n_out", None)
    if n_out is None and work.stage == "create" and not widths:
        return 0  # the output width is known at store (auto- or hetero-association)
    n_out = int(n_out or n)
    sizes = (n, *widths, n_out)
    params = sum(a * b + b for a, b in itertools.pairwise(sizes))
    if work.stage == "create":
        return array_bytes(params, dtype=dtype)
    store = work.stage == "store"
    built = getattr(model, "network_", None) is not None
    trained = getattr(model, "optimizer", None) is not None
    rule = None if trained else rule_of(model)
    if trained:
        kept_arrays, saved = OPTIMIZER_ARRAYS.get(model.optimizer, OPTIMIZER_ARRAYS["adam"])
        # A later store also snapshots the weights and the optimisers' saved state
        # for Ctrl-C, held through the store (models.mlp_training.interruptible).
        copies = 1 + kept_arrays + (store and built) * (1 + saved)
    else:
        # The rule's change of the weights (the pseudo-inverse's target matrix and
        # its difference with the weights: two copies; none for Hebb's rule).
        copies = 1 + store * getattr(rule, "store_temporaries", (2.0, 2.0))[0]
    stored = int(getattr(model, "n_stored_", 0) or 0) + work.n_patterns
    state = array_bytes(copies * params, dtype=dtype)
    # The pairs it keeps, in the dtype it keeps them (None: it keeps none).
    kept = getattr(model, "kept_dtype", dtype)
    state += 0 if kept is None else array_bytes(stored, n + n_out, dtype=kept)
    rows = work.n_patterns if store else work.n_cues
    if callable(getattr(model, "_build", None)):
        # The network, built by the first store once the values' width is known, and
        # held from then on: its Network and Synapse objects (about 5 KiB traced at
        # N = 97 to 2000; part of the state a recall traced from the store holds).
        state += NETWORK_OBJECTS
    if trained and store:
        held, check, keep = _training_rows(model, work, n, n_out, widths, dtype)
        old = int(getattr(model, "n_stored_", 0) or 0)
        rows += round(float(getattr(model, "rehearsal", 0.0) or 0.0) * old)
        batch = min(rows, int(getattr(model, "batch_size", None) or rows))
        # Training (models.mlp_training.Training._train) holds a snapshot of the
        # weights to restore if it diverges; a step, the gradients and a temporary
        # of the weights' size (2.8 copies in all, measured without hidden layers),
        # and for its batch the inputs and targets, every layer's sums and
        # activations (twice), the loss's and decodings' temporaries and the deltas.
        weights = array_bytes(params, dtype=dtype)
        step = array_bytes(batch, n + 2 * sum(widths) + 6 * n_out, dtype=dtype)
        acts = held + max(3 * weights + step, weights + check, keep)
    elif trained:
        acts = _recall_passes(model, work, n, n_out, dtype)
    elif store:
        # The keys and values (the values are the keys themselves in an
        # auto-associative store) and the rule's batch of them, and the rows as given
        # when given in another dtype (converted copies beside them).
        width = n + n_out * (work.n_out is not None)
        acts = array_bytes(2 * rows, width, dtype=dtype)
        acts += converted_bytes(work, width, dtype)
        # The Gram matrices of the keys a rule solves with, in the weights' dtype.
        acts += getattr(rule, "gram_arrays", 0) * array_bytes(stored, stored, dtype=dtype)
    else:
        # The cues in the model's dtype (those given, or their copy beside them when
        # given in another dtype), then their check (a few booleans per value) or the
        # outputs: the bytes the model's recall holds per output value
        # (``recall_output_bytes``), by default the summed inputs, the output
        # law's result and a boolean.
        acts = array_bytes(rows, n, dtype=dtype) + converted_bytes(work, n, dtype)
        per_output = getattr(model, "recall_output_bytes", None)
        if per_output is None:
            per_output = 2 * np.dtype(dtype).itemsize + 1
        outputs = array_bytes(rows, n_out, per_output, dtype="uint8")
        acts += max(array_bytes(rows, 3 * n, dtype=bool), outputs)
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
