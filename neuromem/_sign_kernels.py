"""Compiled (numba) sweeps of +/-1 states held as bits, 16 cues a unit.

Loaded on first use through :func:`neuromem.compiled.kernels` (it imports numba);
:mod:`neuromem.sign_sweeps` holds the dynamics these kernels serve.

The states of up to 16 cues of a unit are the bits of one ``uint16`` (bit ``b`` set:
cue ``b`` is at -1), so a connection reads the states of all cues in one 2-byte
gather from an array of ``2 N`` bytes (2 MB at a million units: it stays in cache).
The fields of the 16 cues are summed in two vector registers: :func:`_sign_row`
writes the loop in LLVM vector instructions, because numba's auto-vectoriser keeps
16 scalar accumulators scalar (measured 4.7 s against 0.26 s for one sweep of 10
cues at N = 10^6, K = 50). Each lane is one cue's sum ``sum_p data[p] s_j`` over the
row in CSR order, from 0, in the dtype of ``data`` (no reassociation, no fused
multiply-add), and ``data[p] * (+/-1)`` is a flip of the sign bit, exact: the fields
are those of scipy's ``W @ s``, bit for bit, and so are the decisions.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = [
    "LANES",
    "all_signs",
    "changes",
    "pack_signs",
    "select_cues",
    "sign_sweep",
    "unpack_signs",
]

#: Cues per unit word (the bits of a ``uint16``).
LANES = 16


def _jit(fn):
    return numba.njit(cache=True, nogil=True)(fn)


def _splat(builder, value, vec_type):
    """``value`` in every lane of ``vec_type``."""
    one = builder.insert_element(
        ir.Constant(vec_type, ir.Undefined), value, ir.Constant(ir.IntType(32), 0)
    )
    mask = ir.Constant(ir.VectorType(ir.IntType(32), vec_type.count), [0] * vec_type.count)
    return builder.shuffle_vector(one, ir.Constant(vec_type, ir.Undefined), mask)


@intrinsic
def _sign_row(typingctx, indices, data, cur, start, stop, extra, tol, binary, state):
    """The new bits of one unit: its 16 fields ``sum_p data[p] s_{indices[p]}`` over
    ``p`` in ``[start, stop)`` (states from the bits of ``cur``) plus ``extra`` (the
    bias, added after the sum), decided by the tie law against ``tol`` from the
    unit's own bits ``state`` (``binary``: 0/1 units, a tie is inactive)."""
    if not (
        isinstance(data, types.Array)
        and data.dtype in (types.float32, types.float64)
        and isinstance(indices, types.Array)
        and isinstance(indices.dtype, types.Integer)
        and isinstance(cur, types.Array)
        and cur.dtype == types.uint16
        # The loop steps through raw pointers: unit strides only.
        and indices.layout == data.layout == cur.layout == "C"
    ):
        return None
    sig = types.uint16(indices, data, cur, start, stop, extra, tol, binary, state)

    def codegen(context, builder, signature, args):
        tys = signature.args
        ind = context.make_array(tys[0])(context, builder, args[0]).data
        dat = context.make_array(tys[1])(context, builder, args[1]).data
        bits = context.make_array(tys[2])(context, builder, args[2]).data
        lo = context.cast(builder, args[3], tys[3], types.intp)
        hi = context.cast(builder, args[4], tys[4], types.intp)
        fdt = tys[1].dtype
        extra_v = context.cast(builder, args[5], tys[5], fdt)
        tol_v = context.cast(builder, args[6], tys[6], fdt)
        is_binary = context.cast(builder, args[7], tys[7], types.boolean)
        own = context.cast(builder, args[8], tys[8], types.uint16)
        fty = context.get_value_type(fdt)
        width = 32 if fdt == types.float32 else 64
        ity = ir.IntType(width)
        vf = ir.VectorType(fty, LANES)
        vi = ir.VectorType(ity, LANES)
        intp = context.get_value_type(types.intp)
        # Bit b of a unit's word moved to the sign bit of lane b: the sign of -w.
        shifts = ir.Constant(vi, [width - 1 - b for b in range(LANES)])
        sign_bit = ir.Constant(vi, [1 << (width - 1)] * LANES)
        acc = cgutils.alloca_once(builder, vf)  # promoted to registers by LLVM
        builder.store(ir.Constant(vf, [0.0] * LANES), acc)
        with cgutils.for_range_slice(builder, lo, hi, ir.Constant(intp, 1)) as (p, _):
            j = builder.load(builder.gep(ind, [p]))
            if j.type.width < intp.width:
                j = builder.sext(j, intp)
            word = builder.zext(builder.load(builder.gep(bits, [j])), ity)
            flip = builder.and_(builder.shl(_splat(builder, word, vi), shifts), sign_bit)
            w = builder.bitcast(builder.load(builder.gep(dat, [p])), ity)
            term = builder.bitcast(builder.xor(_splat(builder, w, vi), flip), vf)
            builder.store(builder.fadd(builder.load(acc), term), acc)
        h = builder.fadd(builder.load(acc), _splat(builder, extra_v, vf))
        up = builder.fcmp_ordered(">", h, _splat(builder, tol_v, vf))
        down = builder.fcmp_ordered("<", h, _splat(builder, builder.fneg(tol_v), vf))
        i16 = ir.IntType(16)
        v16 = ir.VectorType(i16, LANES)
        lane_bits = ir.Constant(v16, [1 << b for b in range(LANES)])
        was_neg = builder.icmp_unsigned(
            "!=", builder.and_(_splat(builder, own, v16), lane_bits), ir.Constant(v16, 0)
        )
        not_up = builder.not_(up)
        keep_or_down = builder.or_(down, builder.and_(not_up, was_neg))
        neg = builder.select(is_binary, not_up, keep_or_down)
        return builder.bitcast(neg, i16)

    return sig, codegen


@numba.njit(cache=True, nogil=True, parallel=True)
def sign_sweep(
    indptr, indices, data, bias, tol, binary, cur, new, rows, n_rows, zero, lanes
):
    """One synchronous sweep of the (up to) 16 cues whose states are the bits of
    ``cur`` (``(N,)`` uint16): ``new[i]`` gets the decisions of unit ``i`` on its
    fields over CSR row ``i`` (+ ``bias[i]`` when ``bias`` has N entries) under the
    tie law with tolerance ``tol[i]``, in the bits ``lanes`` (the cues in use; the
    others stay clear, +1, and so never count as changes). Rows visited:
    ``rows[:n_rows]``, or every row when ``n_rows < 0``; the others of ``new`` are
    left as they are. ``zero`` is 0 in the dtype of ``data``. Rows are shared among
    threads."""
    n = cur.shape[0]
    args = (indptr, indices, data, bias, bias.shape[0] == n, tol, binary, cur, zero)
    if n_rows < 0:
        for i in numba.prange(n):
            new[i] = _row(i, *args) & lanes
    else:
        for k in numba.prange(n_rows):
            i = rows[k]
            new[i] = _row(i, *args) & lanes


@_jit
def _row(i, indptr, indices, data, bias, has_bias, tol, binary, cur, zero):
    extra = bias[i] if has_bias else zero  # added after the sum, as Synapse.input does
    start, stop = indptr[i], indptr[i + 1]
    return _sign_row(indices, data, cur, start, stop, extra, tol[i], binary, cur[i])


@_jit
def all_signs(states):
    """Whether every entry of the 2-d ``states`` is exactly +1 or -1."""
    for b in range(states.shape[0]):
        row = states[b]
        for i in range(row.shape[0]):
            v = row[i]
            if v != 1 and v != -1:
                return False
    return True


@_jit
def pack_signs(states, out):
    """The +/-1 ``states (B, N)`` as bits ``out (G, N)`` (uint16, ``G = ceil(B /
    16)``): cue ``b`` is bit ``b % 16`` of group ``b // 16``, set where the state is
    -1; the bits past ``B`` are clear (+1)."""
    out[:] = 0
    for b in range(states.shape[0]):
        g = out[b // LANES]
        bit = np.uint16(1 << (b % LANES))
        row = states[b]
        for i in range(row.shape[0]):
            if row[i] < 0:
                g[i] |= bit


@_jit
def unpack_signs(bits, cues, out, rows):
    """``out[rows[r]] = `` the +/-1 states of cue ``cues[r]`` of ``bits (G, N)``."""
    for r in range(cues.shape[0]):
        c = cues[r]
        g = bits[c // LANES]
        shift = c % LANES
        row = out[rows[r]]
        for i in range(row.shape[0]):
            row[i] = -1 if (g[i] >> shift) & 1 else 1


@_jit
def select_cues(bits, cues, out):
    """``out (G', N)``: the cues ``cues`` of ``bits (G, N)``, renumbered 0, 1, ..."""
    out[:] = 0
    for r in range(cues.shape[0]):
        c = cues[r]
        g = bits[c // LANES]
        shift = c % LANES
        dest = out[r // LANES]
        lane = r % LANES
        for i in range(dest.shape[0]):
            dest[i] |= ((g[i] >> shift) & 1) << lane


@_jit
def changes(new, cur, before, changed_units):
    """Which cues of ``new (G, N)`` differ from ``cur`` and from ``before`` (an empty
    ``before``: no earlier sweep), as bit masks per group ``(moved, other)``;
    ``changed_units[i]`` (uint8) is set where unit ``i`` changed in any cue."""
    n_groups, n = new.shape
    moved = np.zeros(n_groups, dtype=np.int64)
    other = np.zeros(n_groups, dtype=np.int64)
    has_before = before.shape[0] == n_groups and before.shape[1] == n
    changed_units[:] = 0
    for g in range(n_groups):
        a = new[g]
        c = cur[g]
        m = 0
        for i in range(n):
            d = a[i] ^ c[i]
            m |= d
            if d:
                changed_units[i] = 1
        moved[g] = m
        if has_before:
            e = before[g]
            o = 0
            for i in range(n):
                o |= a[i] ^ e[i]
            other[g] = o
    return moved, other
