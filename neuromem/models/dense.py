"""Dense associative memory (Krotov & Hopfield 2016; Demircigil et al. 2017)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
from scipy.special import logsumexp

from .. import dynamics as dyn
from ..analysis import finite_energies, state_energies
from ..errors import ValidationError, described
from ..memory_rows import SYNC_BLOCK as _SYNC_BLOCK
from ..progress import steps as long_loop
from ..random import SeedLike, as_generator, check_seed, spawn
from ..tags import CapacitySearch, ModelTags
from ..validation import (
    check_choice,
    check_dtype,
    check_int,
    check_patterns,
)
from .attractor import Attractor
from .base import KeepsPatterns, Memory, pattern_recording
from .dense_law import TIE_RTOL, UpdateLaw

__all__ = ["TIE_RTOL", "DenseHopfield"]

INTERACTIONS = ("polynomial", "rectified", "exponential")
DYNAMICS = ("async", "sync")
# Overlaps, and the overlaps +/- 1 the law evaluates, stay finite below this.
_LARGEST = 1e306
# Largest run of units checked at once by asynchronous updates.
_ASYNC_BLOCK = 256


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


class DenseHopfield(Attractor, KeepsPatterns, Memory):
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
    synchronous updates are one matrix product per sweep. An asynchronous sweep is
        compiled (:mod:`neuromem.models.dense_law`): it keeps ``m`` and the rows per
        cue, recomputed for a cue only where it flips (from a table of the terms of
        every integer overlap); a batch with graded cue values (other than -1, 0 and
    +1) takes its first sweep in numpy.

        **Asynchronous order.** Sweep ``t`` visits the units in ``rng.permutation(N)``,
        one permutation per sweep shared by all cues, drawn while any cue still runs;
        ``rng`` is ``numpy.random.default_rng(seed)`` for an integer ``seed`` passed to
        :meth:`recall` (the model's own stream when none is).
    """

    # Storage keeps the patterns and draws nothing: the seed drives the recall stream
    # only, and may change after store (the stream restarts from it).
    _state_params: ClassVar[frozenset[str]] = Memory._state_params - {"seed"}

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

    def _reseed(self) -> None:
        """Restart the recall stream from a new ``seed`` (set_params after store)."""
        (self._recall_rng,) = spawn(self._seed_source(), 1)

    def _rng(self) -> np.random.Generator:
        if getattr(self, "_recall_rng", None) is None:
            (self._recall_rng,) = spawn(self._seed_source(), 1)
        return self._recall_rng

    def memory_estimate(self, work=None) -> int:
        """Bytes for ``work`` (:class:`neuromem.memory.Workload`): see
        :func:`neuromem.memory_rows.patterns_estimate`."""
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
        """``E(s) = -sum_mu F(xi_mu . s)`` (``-logsumexp`` for the exponential) of
        each state: ``states`` and the result as in :func:`~neuromem.analysis.energy`.

        Raises
        ------
        ValidationError
            If an energy lies beyond the range of the model's dtype (huge states or a
            very high ``order``): no infinite or NaN energy is ever returned.
        """
        self._fitted()  # before the states: the error names energy
        return state_energies(
            states, self.n_units, lambda s: self._energy(s, "states"), self.dtype
        )

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
        return finite_energies(out, self.dtype, "smaller values or a lower order", name)

    # -- recall -----------------------------------------------------------------
    def _sync_update(self, s: np.ndarray, law: UpdateLaw) -> np.ndarray:
        """The next state of every unit at once (the update law applied to ``s``)."""
        p, n = law.x.shape
        out = np.empty_like(s)
        fast = max(1, _SYNC_BLOCK // (8 * (p + 2 * n)))
        # Any values: blocks of (cues x patterns x units) products, each unit's gain
        # its own; a block of at most 1/16 of the patterns' size, as its eight or so
        # temporaries then stay within half a copy of the patterns.
        budget = max(p, min(_SYNC_BLOCK, p * n // 16))
        slow = max(1, budget // (p * n))
        for start in range(0, len(s), fast):  # blocks of cues, to bound memory
            sb = s[start : start + fast].astype(np.float64)
            m_low, m_high = law.overlaps(sb)
            if np.all(np.abs(sb) == 1):
                g, scale = law.gains(law.rows(m_low), sb)
                out[start : start + fast] = law.decide(g, scale, sb)
                continue
            for lo in range(0, len(sb), slow):
                rows = slice(lo, lo + slow)
                width = max(1, budget // (p * len(sb[rows])))
                for u in range(0, n, width):  # blocks of units, not single units
                    c = slice(u, u + width)
                    g, scale = law.general(
                        m_low[rows], m_high[rows], sb[rows, c], law.x[:, c]
                    )
                    out[start + lo : start + lo + slow, c] = law.decide(
                        g, scale, sb[rows, c]
                    )
        return out

    def _async(self, s, max_steps, rng, energy, law, record=None):
        track = dyn._Tracker(s, energy, record)
        work = track.out.copy()
        m_low, m_high = law.overlaps(work)
        z = law.rows(m_low + m_high)
        for t in long_loop(range(1, max_steps + 1), "recall sweeps"):
            sequence = rng.permutation(self.n_units)
            if np.all((work == 0) | (np.abs(work) == 1)):  # m_high is 0: compiled
                changed = law.sweep(work, m_low, z, sequence)
            else:  # graded cue values, in the first sweep only
                changed = self._graded_sweep(work, m_low, m_high, z, sequence, law)
            fixed = ~changed
            work, keep = track.step(t, work, fixed, fixed)
            if keep is not None:
                m_low, m_high, z = m_low[keep], m_high[keep], z[:, keep]
            if not len(work):
                break
        return track.finish(work)

    def _graded_sweep(self, work, m_low, m_high, z, sequence, law):
        """One asynchronous sweep in numpy, for states with values other than
        {-1, 0, +1}: every array is updated in place; returns which cues changed."""
        changed = np.zeros(len(work), dtype=bool)
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
        return changed

    recall_options = ("dynamics", "max_steps", "seed", "record_energy", "record", "cycles")

    def _relax(
        self,
        s,
        max_steps,
        measured,
        *,
        cycles: str = "stop",
        dynamics: str | None = None,
        seed: SeedLike = None,
    ):
        """Relax every cue to a minimum of the energy.

        Parameters
        ----------
        cues : ndarray, shape (B, n_units)
            Starting states (+/-1, or any finite values such as zeros for unknown
            units).
        dynamics : {"async", "sync"}, optional
            Override the model's dynamics.
        seed : int, Generator or None
            Seed of the asynchronous order for this call.
        cycles : {"stop", "follow"}
            Synchronous dynamics only: stop a cue that enters a period-2 cycle
            (``converged=False``; its later recorded sweeps alternate between the two
            states), or keep iterating it through the cycle until ``max_steps``.
        """
        x = self._fitted()
        _overlaps(s[:0], x, "cues")
        with np.errstate(over="ignore"):  # an overflowing sum is refused below
            too_large = not np.all(np.abs(s).astype(np.float64).sum(axis=1) < _LARGEST)
        if too_large:
            _overlaps(s, x, "cues")  # raises, naming the cues
        cycles = check_choice(cycles, "cycles", ("stop", "follow"))
        dynamics = self.dynamics if dynamics is None else dynamics
        dynamics = check_choice(dynamics, "dynamics", DYNAMICS)
        energy = None  # recorded by rec: one definition and shape
        law = UpdateLaw(x, self.interaction, self.order)
        rec = pattern_recording(measured, x, self._energy)
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
        return states, steps, converged, None if rec is None else rec.result(), {}
