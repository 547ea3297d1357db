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
def _grow(a, size):
    out = np.empty(max(size, 2 * a.shape[0]), dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@_jit
def random_graph_csr(n, p, directed, seed, capacity, index_dtype_probe):
    """CSR structure ``(indptr, indices)`` of an Erdos-Renyi graph without
    self-connections: every ordered pair (``directed``) or every unordered pair
    (symmetric) is drawn with probability ``p``, by geometric gaps between
    successive connections (one draw per connection, in order, so rows come out
    sorted). Seeded by ``seed`` (numba's own generator); ``capacity`` is a first
    guess of the number of pairs drawn; ``index_dtype_probe`` (an empty array) gives
    the index dtype. Undirected: the upper triangle is drawn, then each pair is
    written into both rows in one counting pass (row ``r`` gets its lower entries in
    increasing order before its upper ones: sorted).
    """
    np.random.seed(seed)  # noqa: NPY002 - numba's own generator, seeded per call
    idx_t = index_dtype_probe.dtype
    width = n - 1 if directed else 0
    drawn = np.empty(max(capacity, 16), dtype=idx_t)
    row_count = np.zeros(n, dtype=np.int64)
    m = 0
    i = 0
    # Position of the next candidate within row i: columns 0..n-2 skipping i
    # (directed) or i+1..n-1 (upper triangle).
    col = np.random.geometric(p) - 1  # noqa: NPY002
    while i < n:
        row_len = width if directed else n - 1 - i
        if col >= row_len:
            col -= row_len
            i += 1
            continue
        j = col if not directed else (col + 1 if col >= i else col)
        if not directed:
            j = i + 1 + col
        if m == drawn.shape[0]:
            drawn = _grow(drawn, m + 1)
        drawn[m] = j
        m += 1
        row_count[i] += 1
        col += np.random.geometric(p)  # noqa: NPY002
    if directed:
        indptr = np.zeros(n + 1, dtype=idx_t)
        for r in range(n):
            indptr[r + 1] = indptr[r] + row_count[r]
        return indptr, drawn[:m].copy()
    degree = row_count.copy()
    for q in range(m):
        degree[drawn[q]] += 1
    indptr = np.zeros(n + 1, dtype=idx_t)
    for r in range(n):
        indptr[r + 1] = indptr[r] + degree[r]
    nxt = indptr[:n].astype(np.int64)
    indices = np.empty(2 * m, dtype=idx_t)
    q = 0
    for r in range(n):
        for _ in range(row_count[r]):
            j = drawn[q]
            q += 1
            indices[nxt[r]] = j
            nxt[r] += 1
            indices[nxt[j]] = r
            nxt[j] += 1
    return indptr, indices


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
