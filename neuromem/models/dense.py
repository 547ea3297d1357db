"""Dense associative memory (Krotov & Hopfield 2016; Demircigil et al. 2017)."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.special import logsumexp

from .. import dynamics as dyn
from ..errors import ValidationError, described
from ..progress import steps as long_loop
from ..random import SeedLike, as_generator, check_seed, spawn
from ..tags import CapacitySearch, ModelTags
from ..ties import decide
from ..validation import (
    check_choice,
    check_dtype,
    check_int,
    check_patterns,
)
from .base import (
    KeepsPatterns,
    Memory,
    RecallResult,
    energy_request,
    energy_result,
    transactional,
)

__all__ = ["DenseHopfield"]

INTERACTIONS = ("polynomial", "rectified", "exponential")
DYNAMICS = ("async", "sync")
# Cues x patterns x units handled at once by synchronous updates.
_SYNC_BLOCK = 1 << 22
# Overlaps, and the overlaps +/- 1 the law evaluates, stay finite below this.
_LARGEST = 1e306
# Largest run of units checked at once by asynchronous updates.
_ASYNC_BLOCK = 256


# -- the update law ---------------------------------------------------------------
#: A unit's gain is a tie when it is at most this fraction of the sum of the
#: magnitudes of the per-pattern terms it adds up (see ``DenseHopfield``, Notes).
#: Gains are evaluated in float64 with a relative error below about 1e-12, so a
#: computed tie is a tie of the exact law and not rounding.
TIE_RTOL = 1e-10


def _logexpm1(y: np.ndarray) -> np.ndarray:
    """``log(expm1(y))`` for ``y >= 0`` without overflow (``-inf`` at 0)."""
    with np.errstate(divide="ignore"):
        return y + np.log(-np.expm1(-y))


def _log_terms(a: np.ndarray, interaction: str, order: int):
    """``log|D(a)|`` and ``sign(D(a))`` for ``D(a) = F(a + 1) - F(a - 1)``.

    ``D`` is the energy a pattern with overlap ``a`` (the unit left out) gains when
    the unit turns from disagreeing to agreeing with it. Evaluated in the log domain
    without forming ``F``: no overflow at any order or scale, and no cancellation
    between ``F(a + 1)`` and ``F(a - 1)`` (exact up to a few ulps of the logarithm).
    The exponential's common factor ``2 sinh(1)`` is dropped.
    """
    a = np.asarray(a, dtype=np.float64)
    if interaction == "exponential":
        return a.copy(), np.ones_like(a)
    n = order
    b = np.abs(a)
    log_d = np.empty_like(b)
    with np.errstate(divide="ignore"):
        big = b > 1  # (b + 1)^n - (b - 1)^n = (b - 1)^n expm1(2 n atanh(1 / b))
        bb = b[big]
        log_d[big] = n * np.log(bb - 1.0) + _logexpm1(2.0 * n * np.arctanh(1.0 / bb))
        log_d[b == 1] = n * np.log(2.0)
        small = b < 1
        bs = b[small]
        if n % 2:  # (1 + b)^n + (1 - b)^n: two positive terms
            log_d[small] = n * np.log1p(bs) + np.log1p(((1.0 - bs) / (1.0 + bs)) ** n)
        else:  # (1 + b)^n - (1 - b)^n = (1 - b)^n expm1(2 n atanh(b)); 0 at b = 0
            log_d[small] = n * np.log1p(-bs) + _logexpm1(2.0 * n * np.arctanh(bs))
        if interaction == "rectified":
            mid = (a > -1) & (a < 1)  # only F(a + 1) is non-zero
            log_d[mid] = n * np.log1p(a[mid])
            log_d[a <= -1] = -np.inf
            sign = np.ones_like(a)
        else:  # D(-b) = (-1)^(n + 1) D(b)
            sign = np.where((a < 0) & (n % 2 == 0), -1.0, 1.0)
    return log_d, sign


class _Law:
    """The update law of one recall: tables and pattern layouts built once per call.

    For a unit ``i`` whose state is +/-1 the terms only depend on the overlaps ``m``
    (unit included): patterns agreeing with the state contribute ``s_i D(m - 1)``,
    the others ``-s_i D(m + 1)``. With ``D(m -/+ 1)`` kept per cue (normalised by the
    cue's largest term) the gains of any set of units are two products with the 0/1
    matrices of the patterns' +1 and -1 entries: no (cues x patterns x units)
    temporaries, and after a flip only the flipping cue's row is recomputed.
    """

    def __init__(self, x: np.ndarray, interaction: str, order: int):
        self.interaction, self.order = interaction, order
        self.x = np.asarray(x, dtype=np.float64)  # (P, N)
        n = self.x.shape[1]
        self.n = n
        pos = (self.x > 0).astype(np.float64)
        neg = 1.0 - pos
        self.both = np.concatenate([pos, neg], axis=1)  # (P, 2N): [+1 mask | -1 mask]
        self.xt = np.ascontiguousarray(self.x.T)
        if interaction != "exponential":
            # Every integer overlap +/- 1 of +/-1 or 0 states: a table, exact per entry.
            self.offset = n + 1
            self.table = _log_terms(np.arange(-n - 1, n + 2), interaction, order)

    def log_terms(self, a: np.ndarray):
        if self.interaction != "exponential":
            r = np.rint(a)
            if np.array_equal(r, a) and (a.size == 0 or np.abs(a).max() <= self.n + 1):
                idx = r.astype(np.intp) + self.offset
                return self.table[0][idx], self.table[1][idx]
        return _log_terms(a, self.interaction, self.order)

    def rows(self, m: np.ndarray) -> np.ndarray:
        """``(4, B, P)``: ``D(m - 1)``, ``D(m + 1)`` and their magnitudes, per cue
        scaled so that its largest magnitude is 1 (a positive factor per cue)."""
        lo, slo = self.log_terms(m - 1.0)
        hi, shi = self.log_terms(m + 1.0)
        top = np.maximum(lo.max(axis=1, initial=-np.inf), hi.max(axis=1, initial=-np.inf))
        top = np.where(np.isfinite(top), top, 0.0)[:, None]
        out = np.empty((4, *m.shape))
        np.exp(lo - top, out=out[2])
        np.exp(hi - top, out=out[3])
        np.multiply(out[2], slo, out=out[0])
        np.multiply(out[3], shi, out=out[1])
        return out

    @staticmethod
    def split(w: np.ndarray):
        """``w = low + high``: the +/-1 and 0 values, and every other value.

        Overlaps are kept as the two sums ``low @ x.T`` (exact integers) and
        ``high @ x.T``, so leaving a unit out never subtracts a large real value from
        a sum that absorbed the small ones.
        """
        low = np.where((w == 1) | (w == -1), w, 0.0)
        return low, w - low

    def overlaps(self, w: np.ndarray):
        """``(m_low, m_high)`` of states ``w`` (see :meth:`split`), float64."""
        low, high = self.split(w.astype(np.float64))
        m_high = high @ self.x.T if high.any() else np.zeros((len(w), len(self.x)))
        return low @ self.x.T, m_high

    def general(self, m_low, m_high, s: np.ndarray, xcols: np.ndarray):
        """Gains and scales for any state values ``s`` (B, k) of units with pattern
        columns ``xcols`` (P, k): ``sum_mu x_mu D(a_mu)`` with ``a_mu`` the overlap
        without the unit, and ``sum_mu |D(a_mu)|``, ``(B, k)`` each."""
        low, high = self.split(s)
        a = m_high[:, :, None] - xcols[None, :, :] * high[:, None, :]
        a += m_low[:, :, None] - xcols[None, :, :] * low[:, None, :]
        log_d, sign = self.log_terms(a)
        top = log_d.max(axis=1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        w = np.exp(log_d - top)
        gain = np.einsum("bpk,bpk,pk->bk", w, sign, xcols)
        return gain, w.sum(axis=1)

    def gains(self, z: np.ndarray, s: np.ndarray, units: np.ndarray | None = None):
        """Gains and scales ``(B, k)`` of ``units`` (all by default) for +/-1 states
        ``s`` ``(B, k)`` of those units, from the rows ``z`` of :meth:`rows`."""
        if units is None:
            cols, k = self.both, self.n
        else:
            k = len(units)
            cols = self.both[:, np.concatenate([units, units + self.n])]
        y = (z.reshape(-1, z.shape[2]) @ cols).reshape(4, len(s), 2 * k)
        up = s > 0
        gain = np.where(up, y[0, :, :k] - y[1, :, k:], y[1, :, :k] - y[0, :, k:])
        scale = np.where(up, y[2, :, :k] + y[3, :, k:], y[2, :, k:] + y[3, :, :k])
        return gain, scale

    def visit(self, i: int, m_low, m_high, z: np.ndarray, s: np.ndarray) -> np.ndarray:
        """The new state of unit ``i`` in every cue (``s``: its current values)."""
        gain, scale = self.gains(z, s[:, None], np.array([i]))
        gain, scale = gain[:, 0], scale[:, 0]
        other = np.abs(s) != 1  # 0 (masked) or any real value: evaluate directly
        if other.any():
            rows = np.flatnonzero(other)
            xcol = self.x[:, i : i + 1]
            g, sc = self.general(m_low[rows], m_high[rows], s[rows, None], xcol)
            gain[rows], scale[rows] = g[:, 0], sc[:, 0]
        return self.decide(gain, scale, s)

    @staticmethod
    def decide(gain: np.ndarray, scale: np.ndarray, s: np.ndarray) -> np.ndarray:
        """The tie law (:func:`neuromem.ties.decide`): ``sign(gain)``; a tie, up to the
        gains' computation error ``TIE_RTOL * scale``, keeps the sign of the state
        (+1 for 0)."""
        return decide(gain, s, TIE_RTOL * scale).astype(np.float64, copy=False)


def _overlaps(s: np.ndarray, x: np.ndarray, name: str) -> np.ndarray:
    """``s @ x.T`` in float64, refusing states whose overlaps could overflow."""
    s64 = s.astype(np.float64, copy=False)
    with np.errstate(over="ignore"):  # an overflowing sum is refused just below
        size = np.abs(s64).sum(axis=1)
    if not np.all(size < _LARGEST):
        raise ValidationError(
            name,
            described(f"a state with sum_i |s_i| = {float(size.max()):.3g}"),
            f"states with sum_i |s_i| < {_LARGEST:.0e} (overlaps must stay finite)",
        )
    return s64 @ x.T


class DenseHopfield(KeepsPatterns, Memory):
    """Dense associative memory: energy ``E(s) = -sum_mu F(xi_mu . s)``.

    A unit takes the sign that lowers the energy most: with ``a_mu`` the overlap of
    pattern ``mu`` with the state, unit ``i`` left out,
    ``s_i <- sign(sum_mu F(a_mu + xi_mu,i) - F(a_mu - xi_mu,i))``. ``F(x) = x^2`` is the
    classical Hopfield network; steeper interactions separate the patterns' minima and
    store far more of them.

    Parameters
    ----------
    n_units : int
        Number of +/-1 units ``N``.
    interaction : {"polynomial", "rectified", "exponential"}
        ``F(x) = x^n``, ``F(x) = max(x, 0)^n`` (Krotov & Hopfield's rectified
        polynomial), or ``F(x) = exp(x)`` (Demircigil et al.). Capacity grows as
        ``N^(n - 1)`` for the polynomials and exponentially in ``N`` for ``exp``.
    order : int
        The power ``n >= 2`` of the polynomial interactions (ignored by
        ``"exponential"``); ``n = 2`` is the classical network.
    dynamics : {"async", "sync"}
        One unit at a time in a random order (energy never rises), or all units at
        once (batched over cues and units; may enter a period-2 cycle, which is
        detected).
    max_steps : int
        Largest number of sweeps per recall.
    dtype : {"float64", "float32"}
        State and pattern dtype.
    seed : int, Generator or None
        Seed of the asynchronous update order.

    Attributes
    ----------
    patterns_ : ndarray, shape (n_stored_, N)
        The stored patterns (a dense memory keeps its patterns, not a weight matrix).
    n_stored_ : int

    Notes
    -----
    **The update law.** Unit ``i`` of a state ``s`` has the gain
    ``g_i = sum_mu t_mu`` with ``t_mu = F(a_mu + x_mu,i) - F(a_mu - x_mu,i)`` and
    ``a_mu = sum_{j != i} x_mu,j s_j``: the energy it saves as +1 rather than -1. It
    becomes ``sign(g_i)``, unless ``|g_i| <= TIE_RTOL * sum_mu |t_mu|``
    (``TIE_RTOL = 1e-10``, relative to the terms summed, never an absolute number): a
    tie keeps the sign of the state, and a unit at 0 (a masked cue) becomes +1. So
    every returned state is +/-1 after the first sweep, and ``converged`` is True
    only when a whole sweep changed nothing (a true fixed point of this law). The
    same law holds for ``"sync"`` and ``"async"``, for every interaction and dtype.

    **Numerics.** ``F`` is never formed: each term is evaluated as
    ``log |F(a + 1) - F(a - 1)|`` in closed form (``expm1``/``atanh``, exact to a few
    ulps, no cancellation), scaled by the largest term of the cue, in float64
    whatever the model's dtype. No order or cue scale overflows (``order = 200`` at
    ``N = 100``, cues times 1e300); states whose overlaps could overflow float64
    (``sum_i |s_i| >= 1e306``) are refused with a ``ValidationError``. The energy of
    the exponential interaction is reported as ``-log sum_mu exp(xi_mu . s)``, a
    monotone transform with the same minima; a polynomial energy beyond the dtype's
    range raises ``ValidationError`` instead of returning ``inf``.

    **Speed.** For +/-1 states a term depends on ``m_mu -/+ 1`` only (``m = X s``,
    unit included), so the gains of any set of units are two products of per-cue
    rows ``D(m -/+ 1)`` with the 0/1 masks of the patterns' +1 and -1 entries:
    synchronous updates are one matrix product per sweep, asynchronous updates keep
    ``m`` and the rows per cue (recomputed for a cue only where it flips) and check
    runs of quiet units in one product.

    **Asynchronous order.** Sweep ``t`` visits the units in ``rng.permutation(N)``,
    one permutation per sweep shared by all cues, drawn while any cue still runs;
    ``rng`` is ``numpy.random.default_rng(seed)`` for an integer ``seed`` passed to
    :meth:`recall` (the model's own stream when none is).
    """

    def __neuromem_tags__(self) -> ModelTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            family="dense and modern Hopfield",
            energy=True,
            stochastic_recall=self.dynamics == "async",
            theory=(
                "dense-exponential"
                if self.interaction == "exponential"
                else "dense-polynomial",
            ),
            # Order 3 stores about N^2 / ln N patterns: at the comparison's N = 100 no
            # affordable load fails, at N = 32 it fails near P/N = 2 (about 70 patterns).
            capacity_search=CapacitySearch(
                n_units=32, max_load=16.0, conditions=("interaction", "order")
            ),
        )

    def __init__(
        self,
        n_units: int,
        interaction: str = "polynomial",
        order: int = 3,
        dynamics: str = "async",
        max_steps: int = 100,
        dtype: str = "float64",
        seed: SeedLike = None,
    ):
        self.n_units = check_int(n_units, "n_units", low=1)
        self.interaction = check_choice(interaction, "interaction", INTERACTIONS)
        self.order = check_int(order, "order", low=2)
        self.dynamics = check_choice(dynamics, "dynamics", DYNAMICS)
        self.max_steps = check_int(max_steps, "max_steps", low=1)
        self.dtype = check_dtype(dtype).name
        self.seed = check_seed(seed)

    def _rng(self) -> np.random.Generator:
        if getattr(self, "_recall_rng", None) is None:
            (self._recall_rng,) = spawn(self.seed, 1)
        return self._recall_rng

    def memory_estimate(self, work=None) -> int:
        """Bytes for ``work`` (:class:`neuromem.memory.Workload`): see
        :func:`neuromem.memory.patterns_estimate`."""
        return self._estimate("patterns", work, blocked=True)

    def store(self, patterns, targets=None) -> DenseHopfield:
        """Store +/-1 patterns, adding to those already stored."""
        if targets is not None:
            raise ValidationError(
                "targets", described("a target set"), "None: the memory is auto-associative"
            )
        x = check_patterns(
            patterns, "patterns", n_units=self.n_units, encoding="bipolar", dtype=self.dtype
        )
        self._keep(x)
        self._rng()  # the recall stream exists once something is stored: files keep it
        return self

    # -- energy -----------------------------------------------------------------
    def energy(self, states) -> np.ndarray:
        """``E(s) = -sum_mu F(xi_mu . s)`` (``-logsumexp`` for the exponential).

        Parameters
        ----------
        states : ndarray, shape (B, n_units) or (n_units,)

        Returns
        -------
        ndarray, shape (B,) (a float for one state)

        Raises
        ------
        ValidationError
            If an energy lies beyond the range of the model's dtype (huge states or a
            very high ``order``): no infinite or NaN energy is ever returned.
        """
        single = np.ndim(states) == 1
        s = check_patterns(
            states, "states", n_units=self.n_units, dtype=self.dtype, allow_1d=True
        )
        e = self._energy(s, "states")
        return float(e[0]) if single else e

    def _energy(self, s: np.ndarray, name: str = "cues") -> np.ndarray:
        x = self._fitted()
        m = _overlaps(s, x.astype(np.float64, copy=False), name)
        if self.interaction == "exponential":
            e = -logsumexp(m, axis=1)
        else:
            if self.interaction == "rectified":
                m = np.maximum(m, 0.0)
            with np.errstate(over="ignore", invalid="ignore"):
                e = -(m**self.order).sum(axis=1)
            bad = ~np.isfinite(e)
            if bad.any():  # a term overflowed: sum in the log domain, then scale back
                mb = m[bad]
                log_t = self.order * np.log(
                    np.abs(mb), where=mb != 0, out=np.full_like(mb, -np.inf)
                )
                sign = np.where((mb < 0) & (self.order % 2 == 1), -1.0, 1.0)
                top = log_t.max(axis=1, keepdims=True)
                top = np.where(np.isfinite(top), top, 0.0)
                with np.errstate(over="ignore", invalid="ignore"):
                    e[bad] = -(sign * np.exp(log_t - top)).sum(axis=1) * np.exp(top[:, 0])
        with np.errstate(over="ignore"):
            out = e.astype(self.dtype)
        if not np.all(np.isfinite(out)):
            raise ValidationError(
                name,
                described(f"states whose energy is beyond the {self.dtype} range"),
                f"states whose energy fits in {self.dtype}: smaller values or a lower order",
            )
        return out

    # -- recall -----------------------------------------------------------------
    def _sync_update(self, s: np.ndarray, law: _Law) -> np.ndarray:
        """The next state of every unit at once (the update law applied to ``s``)."""
        p, n = law.x.shape
        out = np.empty_like(s)
        fast = max(1, _SYNC_BLOCK // (8 * (p + 2 * n)))
        slow = max(1, _SYNC_BLOCK // (p * n))
        for start in range(0, len(s), fast):  # blocks of cues, to bound memory
            sb = s[start : start + fast].astype(np.float64)
            m_low, m_high = law.overlaps(sb)
            if np.all(np.abs(sb) == 1):
                g, scale = law.gains(law.rows(m_low), sb)
                out[start : start + fast] = law.decide(g, scale, sb)
                continue
            for lo in range(0, len(sb), slow):  # any values: (cues x patterns x units)
                rows = slice(lo, lo + slow)
                g, scale = law.general(m_low[rows], m_high[rows], sb[rows], law.x)
                out[start + lo : start + lo + slow] = law.decide(g, scale, sb[rows])
        return out

    def _async(self, s, max_steps, rng, energy, law, record=None):
        track = dyn._Tracker(s, energy, record)
        work = track.out.copy()
        m_low, m_high = law.overlaps(work)
        z = law.rows(m_low + m_high)
        for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
            changed = np.zeros(len(work), dtype=bool)
            sequence = rng.permutation(self.n_units)
            # Units are visited one after another, but a run of units that flips in
            # no cue changes nothing: such a run is checked in one product. The block
            # grows through quiet stretches and falls back to single units around
            # flips, with exactly the per-unit law (as dynamics.asynchronous does).
            pos, block = 0, 1
            while pos < self.n_units:
                if block > 1:
                    units = sequence[pos : pos + block]
                    sb = work[:, units].astype(np.float64)
                    if np.all(np.abs(sb) == 1):
                        g, scale = law.gains(z, sb, units)
                        hit = (law.decide(g, scale, sb) != sb).any(axis=0)
                        if not hit.any():
                            pos, block = pos + len(units), min(2 * block, _ASYNC_BLOCK)
                            continue
                        pos += int(np.argmax(hit))  # the first unit that flips somewhere
                    block = 1
                i = sequence[pos]
                pos += 1
                cur = work[:, i].astype(np.float64)
                new = law.visit(i, m_low, m_high, z, cur)
                flip = new != cur
                if not flip.any():
                    block = 2
                    continue
                idx = np.flatnonzero(flip)
                work[idx, i] = new[idx]
                low = np.where(np.abs(cur[idx]) == 1, cur[idx], 0.0)
                m_low[idx] += (new[idx] - low)[:, None] * law.xt[i][None, :]
                real = idx[cur[idx] != low]  # a real cue value (not 0) left
                if len(real):  # recompute its sum, never subtract from it
                    m_high[real] = law.overlaps(work[real])[1]
                z[:, idx] = law.rows(m_low[idx] + m_high[idx])
                changed[idx] = True
            fixed = ~changed
            work, keep = track.step(t, work, fixed, fixed)
            if keep is not None:
                m_low, m_high, z = m_low[keep], m_high[keep], z[:, keep]
            if not len(work):
                break
        return track.finish(work)

    @transactional(light=True)
    def recall(
        self,
        cues,
        *,
        dynamics: str | None = None,
        max_steps: int | None = None,
        seed: SeedLike = None,
        record_energy: bool = False,
        record: bool | str | tuple[str, ...] | None = None,
        cycles: str = "stop",
    ) -> RecallResult:
        """Relax every cue to a minimum of the energy.

        Parameters
        ----------
        cues : ndarray, shape (B, n_units)
            Starting states (+/-1, or any finite values such as zeros for unknown
            units).
        dynamics : {"async", "sync"}, optional
            Override the model's dynamics.
        max_steps : int, optional
            Override ``max_steps``.
        seed : int, Generator or None
            Seed of the asynchronous order for this call.
        record_energy : bool
            Deprecated: ``record="energies"`` (``result.energy`` is its transpose).
        record : bool, str or sequence of str, optional
            Keep ``"states"``, ``"overlaps"`` (with every stored pattern) and
            ``"energies"`` sweep by sweep in ``result.trajectory`` (see
            :class:`~neuromem.models.base.RecallResult`).
        cycles : {"stop", "follow"}
            Synchronous dynamics only: stop a cue that enters a period-2 cycle
            (``converged=False``; its later recorded sweeps alternate between the two
            states), or keep iterating it through the cycle until ``max_steps``.
        """
        s = check_patterns(cues, "cues", n_units=self.n_units, dtype=self.dtype)
        x = self._fitted()
        _overlaps(s[:0], x, "cues")
        with np.errstate(over="ignore"):  # an overflowing sum is refused below
            too_large = not np.all(np.abs(s).astype(np.float64).sum(axis=1) < _LARGEST)
        if too_large:
            _overlaps(s, x, "cues")  # raises, naming the cues
        names, measured, legacy = energy_request(record, record_energy)
        cycles = check_choice(cycles, "cycles", ("stop", "follow"))
        dynamics = self.dynamics if dynamics is None else dynamics
        dynamics = check_choice(dynamics, "dynamics", DYNAMICS)
        max_steps = self.max_steps if max_steps is None else max_steps
        max_steps = check_int(max_steps, "max_steps", low=1)
        energy = None  # recorded by rec: one definition and shape
        law = _Law(x, self.interaction, self.order)
        rec = dyn.recording(
            measured,
            states=lambda z: z,
            overlaps=dyn.stored_overlaps(x),
            energies=self._energy,
        )
        if dynamics == "sync":
            # The update law decides every unit (ties included) and returns +/-1
            # states; with tol = 0 sign_keep passes them through unchanged.
            out = dyn.synchronous(
                lambda w: self._sync_update(w, law),
                s,
                max_steps,
                energy,
                0.0,
                record=rec,
                follow_cycles=cycles == "follow",
            )
        else:
            rng = self._rng() if seed is None else as_generator(seed)
            out = self._async(s, max_steps, rng, energy, law, rec)
        states, steps, converged, _ = out
        trajectory = None if rec is None else rec.result()
        trajectory, trace = energy_result(trajectory, names, legacy)
        return RecallResult(states, steps, converged, trace, trajectory=trajectory)
