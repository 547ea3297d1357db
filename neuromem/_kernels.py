"""Compiled (numba) kernels for the sequential paths; optional (``neuromem[fast]``).

Each kernel does exactly the arithmetic of its numpy reference in
:mod:`neuromem.dynamics` (or :mod:`neuromem.rules.storkey`), unit by unit: the same
comparisons against the same tolerances, and field corrections ``h += d * w`` with
``d`` in {+/-1, +/-2}, which are exact products, so the fields, and with them the
states, steps and convergence, are identical bit for bit. The random draws stay in
Python (the caller's Generator), one sweep at a time.

``AVAILABLE`` is False when numba cannot be imported; nothing else here is then usable.
"""

from __future__ import annotations

import math

import numpy as np

try:  # pragma: no cover - depends on the environment
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover
    numba = None
    AVAILABLE = False

__all__ = [
    "AVAILABLE",
    "add_changes",
    "async_sweep",
    "csr_field_signs",
    "gathered",
    "glauber_sweep",
    "mark_reached",
    "recompute_rows",
    "row_abs_sums",
    "signs_t",
    "storkey_sequential",
]


def _jit(fn):
    if not AVAILABLE:
        return fn
    return numba.njit(cache=True, nogil=True)(fn)


def _pjit(fn):
    """Compiled with the rows of the outer ``prange`` loop shared among threads."""
    if not AVAILABLE:
        return fn
    return numba.njit(cache=True, nogil=True, parallel=True)(fn)


if AVAILABLE:  # pragma: no cover - depends on the environment
    _prange = numba.prange
else:  # pragma: no cover
    _prange = range


@_jit
def signs_t(states, out):
    """``out[i, b] = states[b, i]`` as int8 when every state is exactly +/-1; returns
    False (``out`` partly written) as soon as one is not."""
    n_cues, n = states.shape
    for b in range(n_cues):
        row = states[b]
        for i in range(n):
            v = row[i]
            if v == 1.0:
                out[i, b] = 1
            elif v == -1.0:
                out[i, b] = -1
            else:
                return False
    return True


@_pjit
def csr_field_signs(indptr, indices, data, s_t, out):
    """``out[i, b] = sum_p data[p] s_t[indices[p], b]`` over row ``i`` of a CSR matrix,
    for +/-1 states ``s_t`` (int8, unit-major: the ``B`` states of a unit are one
    cache line, so each connection reads them in one gather).

    Each sum runs over the row in CSR order in the dtype of ``out``, as scipy's
    ``csr_matvec`` does, and ``data[p] * (+/-1)`` is exact: the fields are the same,
    bit for bit, as ``W @ s`` of each state.
    """
    n, n_cues = out.shape
    for i in _prange(n):
        row = out[i]
        for b in range(n_cues):
            row[b] = 0
        for p in range(indptr[i], indptr[i + 1]):
            w = data[p]
            s = s_t[indices[p]]
            for b in range(n_cues):
                row[b] += w * s[b]


@_jit
def add_changes(h, cue, unit, delta, indptr, indices, data):
    """``h[cue[k]] += delta[k] * W[:, unit[k]]`` for every change ``k``: the columns of
    ``W`` as CSR rows of its transpose (``indptr``, ``indices``, ``data``)."""
    for k in range(cue.shape[0]):
        row = h[cue[k]]
        d = delta[k]
        j = unit[k]
        for p in range(indptr[j], indptr[j + 1]):
            row[indices[p]] += d * data[p]


@_jit
def _add_column(h, b, i, d, is_dense, dense, indptr, indices, data):
    if is_dense:
        col = dense[i]
        row = h[b]
        for j in range(row.shape[0]):
            row[j] += d * col[j]
    else:
        for p in range(indptr[i], indptr[i + 1]):
            h[b, indices[p]] += d * data[p]


@_jit
def _flip(h, work, changed, b, i, new, d, is_dense, dense, indptr, indices, data):
    """Unit ``i`` of cue ``b`` takes the state ``new``: its column is added to the
    fields, scaled by the change (computed in the fields' dtype, in ``d``)."""
    d[0] = new - work[b, i]
    work[b, i] = new
    _add_column(h, b, i, d[0], is_dense, dense, indptr, indices, data)
    changed[b] = True


@_jit
def async_sweep(
    h, work, sequence, tol, binary, changed, is_dense, dense, indptr, indices, data
):
    """One asynchronous sweep of every cue (rows of ``work``), in place."""
    n_cues = work.shape[0]
    d = np.zeros(1, dtype=h.dtype)  # the change in the fields' dtype (exact: +/-1, 2)
    for k in range(sequence.shape[0]):
        i = sequence[k]
        t = tol[i]
        for b in range(n_cues):
            hi = h[b, i]
            s = work[b, i]
            if hi > t:
                new = 1.0
            elif binary:
                new = -1.0
            elif hi < -t:
                new = -1.0
            elif s < 0:  # a tie: the sign of the state (a graded value too)
                new = -1.0
            else:  # a tie: +1 stays, a masked 0 or a graded positive value becomes +1
                new = 1.0
            if new != s:
                _flip(
                    h, work, changed, b, i, new, d, is_dense, dense, indptr, indices, data
                )


@_jit
def glauber_sweep(
    h, work, sequence, thr, tol, changed, is_dense, dense, indptr, indices, data
):
    """One Glauber sweep of every cue with the thresholds ``thr[k, b]``, in place."""
    n_cues = work.shape[0]
    d = np.zeros(1, dtype=h.dtype)
    for k in range(sequence.shape[0]):
        i = sequence[k]
        t = tol[i]
        for b in range(n_cues):
            hi = h[b, i]
            if abs(hi) <= t:
                hi = 0.0 * hi
            new = 1.0 if hi > thr[k, b] else -1.0
            s = work[b, i]
            if new != s:
                _flip(
                    h, work, changed, b, i, new, d, is_dense, dense, indptr, indices, data
                )


@_jit
def storkey_sequential(w, x, lr, zero_diagonal):
    """Storkey's rule applied to the rows of ``x`` one after another, dense ``w``.

    ``w_ij += lr (x_i x_j - x_i h_ji - h_ij x_j)`` with
    ``h_ij = sum_{k != i, j} w_ik x_k``, for a synapse without self-connections
    (``zero_diagonal``; the diagonal stays 0) or with them (the same formula, ``h_ii``
    excluding ``k = i`` once). Per pattern: one field pass, then one pass over the
    pairs ``(i, j), (j, i)`` in square tiles (both halves in cache), all from the
    weights before that pattern (the old diagonal is kept aside).
    """
    n = w.shape[0]
    tile = 64
    f = np.empty(n, dtype=np.float64)
    dg = np.empty(n, dtype=np.float64)
    for p in range(x.shape[0]):
        xp = x[p]
        for i in range(n):
            acc = 0.0
            row = w[i]
            for k in range(n):
                acc += row[k] * xp[k]
            f[i] = acc
            dg[i] = w[i, i]
        for ib in range(0, n, tile):
            ie = min(ib + tile, n)
            for jb in range(ib, n, tile):
                je = min(jb + tile, n)
                for i in range(ib, ie):
                    xi = xp[i]
                    base_i = f[i] - dg[i] * xi
                    for j in range(max(jb, i), je):
                        if i == j:
                            if not zero_diagonal:
                                h_ii = f[i] - dg[i] * xi
                                w[i, i] = dg[i] + lr * (xi * xi - 2.0 * xi * h_ii)
                            continue
                        xj = xp[j]
                        wij = w[i, j]
                        wji = w[j, i]
                        h_ij = base_i - wij * xj
                        h_ji = f[j] - dg[j] * xj - wji * xi
                        w[i, j] = wij + lr * (xi * xj - xi * h_ji - h_ij * xj)
                        w[j, i] = wji + lr * (xj * xi - xj * h_ij - h_ji * xi)
    return w


@_jit
def recompute_rows(h, s, cue, unit, indptr, indices, data, bias, mark):
    """Recompute ``h[b, i] = sum_p data[p] s[b, indices[p]] (+ bias[i])`` over CSR row
    ``i`` for every unit ``i`` connected to a unit that changed in cue ``b`` (changes
    ``(cue[k], unit[k])`` sorted by cue; a symmetric structure, so the units a unit
    reaches are its row). Each sum runs in CSR order in the dtype of ``h`` from 0, as
    scipy's product does: the fields are those of a full product, bit for bit.
    ``mark`` is a boolean work array of N falses, left all false.
    """
    k = 0
    n_changes = cue.shape[0]
    has_bias = bias.shape[0] == h.shape[1]
    while k < n_changes:
        b = cue[k]
        start = k
        while k < n_changes and cue[k] == b:
            j = unit[k]
            for p in range(indptr[j], indptr[j + 1]):
                mark[indices[p]] = True
            k += 1
        row = h[b]
        state = s[b]
        for q in range(start, k):
            j = unit[q]
            for p in range(indptr[j], indptr[j + 1]):
                i = indices[p]
                if mark[i]:
                    mark[i] = False
                    row[i] = 0
                    for r in range(indptr[i], indptr[i + 1]):
                        row[i] += data[r] * state[indices[r]]
                    if has_bias:
                        row[i] += bias[i]


@_jit
def mark_reached(units, indptr, indices, mark):
    """``mark[i] = 1`` for every unit ``i`` in CSR row ``u`` of a unit ``u`` in
    ``units`` (the structure's rows are where each unit projects); returns how
    many entries were read."""
    reads = 0
    for k in range(units.shape[0]):
        u = units[k]
        for p in range(indptr[u], indptr[u + 1]):
            mark[indices[p]] = 1
        reads += indptr[u + 1] - indptr[u]
    return reads


@_pjit
def row_abs_sums(indptr, data, out):
    """``out[i] = sum_p |data[p]|`` over CSR row ``i``, in row order, in the dtype of
    ``out`` (scipy's ``abs(W).sum(axis=1)`` without the copy of ``|W|``)."""
    for i in _prange(out.shape[0]):
        acc = out[i] * 0
        for p in range(indptr[i], indptr[i + 1]):
            acc += abs(data[p])
        out[i] = acc


@_jit
def _walk(n, p, directed, seed, r0, r1, up, low, buf, start, stop):
    """Draw the connections of rows ``r0 .. r1 - 1`` (one chunk) by geometric gaps
    between successive candidates, from the generator seeded with ``seed`` (numba's
    own, per thread): their columns go to ``buf[start:stop]`` in order, ``up[r]``
    counts those of row ``r`` and ``low[j]`` the symmetric pairs ``(r, j)``. Returns
    how many were drawn (more than ``stop - start``: the excess was not kept)."""
    np.random.seed(seed)  # noqa: NPY002 - numba's own generator, per thread
    log_q = math.log(1.0 - p)
    q = start
    r = r0
    # Position of the next candidate within row r: columns 0..n-2 skipping r
    # (directed) or r+1..n-1 (upper triangle).
    col = _geometric(log_q) - 1
    while r < r1:
        row_len = n - 1 if directed else n - 1 - r
        if col >= row_len:
            col -= row_len
            r += 1
            continue
        if directed:
            j = col + 1 if col >= r else col
        else:
            j = r + 1 + col
            low[j] += 1
        if q < stop:
            buf[q] = j
        q += 1
        up[r] += 1
        col += _geometric(log_q)
    return q - start


@_jit
def _geometric(log_q):
    """A geometric draw (trials up to the first success, >= 1) by inversion, with
    ``log_q = log(1 - p)`` computed once (numba's ``np.random.geometric`` takes two
    logarithms a draw)."""
    u = np.random.random()  # noqa: NPY002
    return int(math.log(1.0 - u) / log_q) + 1


@_pjit
def _draw_chunks(n, p, directed, seeds, bounds, up, low_t, buf, starts, drawn):
    """:func:`_walk` of every chunk ``c`` (rows ``bounds[c] .. bounds[c + 1] - 1``,
    seed ``seeds[c]``, its columns to ``buf[starts[c]:starts[c + 1]]``, how many in
    ``drawn[c]``), chunks shared among threads, each thread counting the symmetric
    pairs in its own row of ``low_t``."""
    for c in _prange(seeds.shape[0]):
        low = low_t[numba.get_thread_id()]
        drawn[c] = _walk(
            n,
            p,
            directed,
            seeds[c],
            bounds[c],
            bounds[c + 1],
            up,
            low,
            buf,
            starts[c],
            starts[c + 1],
        )


@_pjit
def _place(bounds, starts, buf, up, low, indptr, indices):
    """Each chunk's drawn columns to their rows in ``indices``, after the ``low[r]``
    slots of row ``r``'s lower entries."""
    for c in _prange(bounds.shape[0] - 1):
        q = starts[c]
        for r in range(bounds[c], bounds[c + 1]):
            at = indptr[r] + low[r]
            for k in range(up[r]):
                indices[at + k] = buf[q]
                q += 1


@_pjit
def _mirror(indptr, indices, low, parts):
    """The lower entries of a symmetric structure whose rows hold their upper
    entries after ``low[r]`` free slots: ``r`` into row ``j`` for each upper ``(r, j)``,
    rows ``r`` in increasing order (so rows come out sorted). Destination rows are
    split into the blocks ``parts``, one per thread: each scans the upper entries."""
    n = low.shape[0]
    for t in _prange(parts.shape[0] - 1):
        a, b = parts[t], parts[t + 1]
        nxt = np.empty(b - a, dtype=np.int64)
        for j in range(a, b):
            nxt[j - a] = indptr[j]
        for r in range(min(b, n)):
            for q in range(indptr[r] + low[r], indptr[r + 1]):
                j = indices[q]
                if a <= j < b:
                    indices[nxt[j - a]] = r
                    nxt[j - a] += 1


def random_graph_csr(n, p, directed, seed, n_chunks=64):
    """CSR structure ``(indptr, indices)`` of an Erdos-Renyi graph without
    self-connections: every ordered pair (``directed``) or every unordered pair
    (symmetric) is drawn with probability ``p``, by geometric gaps between successive
    connections, in ``n_chunks`` chunks of rows with their own seeds (derived from
    ``seed``: the graph depends on the seed, not on the number of threads), parallel
    over chunks. The columns drawn (the upper triangle when symmetric) are counted
    and kept in one buffer with room for each chunk's expected number plus 6
    standard deviations (one more draw of the same chunks with twice the room in the
    rare case it overflows: the same graph), then written once into ``indices``
    (int32 below ``2**31`` entries) allocated at its exact size; a symmetric graph
    then mirrors its upper triangle into the lower one. Rows come out sorted."""
    seeds = np.random.SeedSequence(seed).generate_state(n_chunks, dtype=np.uint32)
    bounds = _chunk_bounds(n, directed, n_chunks)
    rows = np.diff(bounds).astype(np.float64)
    if directed:
        pairs = rows * (n - 1)
    else:  # rows r of the upper triangle hold n - 1 - r candidates
        pairs = (
            rows * (n - 1)
            - (bounds[1:] * (bounds[1:] - 1) - bounds[:-1] * (bounds[:-1] - 1)) / 2.0
        )
    room = (pairs * p + 6.0 * np.sqrt(pairs * p) + 64).astype(np.int64)
    threads = numba.get_num_threads()
    while True:
        starts = np.zeros(n_chunks + 1, dtype=np.int64)
        np.cumsum(room, out=starts[1:])
        buf = np.empty(int(starts[-1]), dtype=np.int32 if n < 2**31 else np.int64)
        up = np.zeros(n, dtype=np.int32)
        low_t = np.zeros((threads, 0 if directed else n), dtype=np.int32)
        drawn = np.zeros(n_chunks, dtype=np.int64)
        _draw_chunks(n, p, directed, seeds, bounds, up, low_t, buf, starts, drawn)
        if np.all(drawn <= room):
            break
        room = np.maximum(2 * room, drawn)
        del buf
    low = low_t.sum(axis=0, dtype=np.int64) if not directed else np.zeros(n, np.int64)
    del low_t
    m = int(drawn.sum()) * (1 if directed else 2)
    idx = np.int32 if max(n, m) < 2**31 - 1 else np.int64
    indptr = np.zeros(n + 1, dtype=idx)
    np.cumsum(up + low, out=indptr[1:])
    indices = np.empty(m, dtype=idx)
    _place(bounds, starts, buf, up, low, indptr, indices)
    del buf
    if not directed and m:
        # Blocks of destination rows with about equal numbers of lower entries.
        cum = np.cumsum(low)
        targets = cum[-1] * np.arange(1, threads) / threads
        parts = np.concatenate([[0], np.searchsorted(cum, targets), [n]])
        _mirror(indptr, indices, low, parts.astype(np.int64))
    return indptr, indices


def _chunk_bounds(n, directed, n_chunks):
    """Row bounds of ``n_chunks`` chunks with about equal numbers of candidate pairs
    (rows ``r`` of the upper triangle hold ``n - 1 - r``)."""
    frac = np.arange(n_chunks + 1) / n_chunks
    if directed:
        r = frac * n
    else:
        # Pairs before row r: r (2n - r - 1) / 2 = f n (n - 1) / 2.
        c = n - 0.5
        r = c - np.sqrt(np.maximum(c * c - frac * n * (n - 1), 0.0))
    bounds = np.clip(np.round(r), 0, n).astype(np.int64)
    bounds[0], bounds[-1] = 0, n
    return np.maximum.accumulate(bounds)


def gathered(x: np.ndarray) -> np.ndarray:
    """``x.T`` (``(N, B)``, C-contiguous) for a kernel that gathers its rows: as int8
    when every value is +/-1 (a quarter of the bytes of float32, so the random reads
    stay in cache; the products, converted to the other factor's dtype, are the
    same), else in ``x``'s dtype."""
    out = np.empty((x.shape[1], x.shape[0]), dtype=np.int8)
    if x.ndim == 2 and signs_t(x, out):
        return out
    return np.ascontiguousarray(x.T)


@_pjit
def sparse_outer(indptr, indices, post_t, pre_t, scale, scaled, overwrite, values):
    """``values[q] (+)= scale * sum_b post[b, i] pre[b, j]`` at every CSR entry ``q``
    (row ``i``, column ``indices[q]``), from ``post_t`` ``(n_post, B)`` and
    ``pre_t`` ``(n_pre, B)`` (``post_t`` in the values' dtype, ``pre_t`` in it or
    int8 +/-1 from :func:`gathered`): the arithmetic of ``SparseLayout.add_outer`` (the
    products summed over ``b`` in order, then scaled when ``scaled``) in one pass
    over the entries, without temporaries of the connections' size."""
    n_rows = indptr.shape[0] - 1
    batch = post_t.shape[1]
    for i in _prange(n_rows):
        for q in range(indptr[i], indptr[i + 1]):
            j = indices[q]
            acc = post_t[i, 0] * pre_t[j, 0]
            for b in range(1, batch):
                acc += post_t[i, b] * pre_t[j, b]
            if scaled:
                acc *= scale
            if overwrite:
                values[q] = acc
            else:
                values[q] += acc
