"""The Hopfield network's energy landscape: fields, energies and unlearning (dreaming)."""

from __future__ import annotations

import warnings

import numpy as np

from .. import dynamics as dyn
from ..analysis import state_energies
from ..errors import NeuromemWarning, ValidationError
from ..progress import steps as long_loop
from ..random import SeedLike, spawn
from ..validation import (
    check_choice,
    check_float,
    check_int,
)
from .base import (
    transactional,
)

#: Update schemes of the Hopfield network.
DYNAMICS = ("sync", "async", "glauber")


class EnergyLandscape:
    """The Hopfield network's energy landscape: fields, energies and unlearning (dreaming)."""

    def field(self, states: np.ndarray) -> np.ndarray:
        """Local fields ``h = S @ W.T + b`` of states stored row-wise."""
        return self.synapse_.input(states)

    def energy(self, states: np.ndarray) -> np.ndarray:
        """Energy ``E(s) = -1/2 s^T W s - b^T s`` of each state: ``states`` and the
        result as in :func:`~neuromem.analysis.energy`.

        For 0/1 units, of 0/1 states: ``E(s) = -1/2 s^T W s + theta sum_i s_i``.

        Raises
        ------
        ValidationError
            If an energy lies beyond the range of the model's dtype (states of huge
            magnitude, any finite values being accepted): no infinite or NaN energy
            is returned.
        """
        return state_energies(states, self.n_units, self._encoded_energy, self.dtype)

    def _encoded_energy(self, s: np.ndarray) -> np.ndarray:
        """Energies of states in the units' encoding (0/1 states for 0/1 units)."""
        if self.units != "binary":
            return self._energy(s)
        syn = self.synapse_
        e = -0.5 * np.einsum("ij,ij->i", syn.layout.field(syn.values, s), s)
        return e + getattr(self, "threshold_", 0.0) * s.sum(axis=1)

    def _energy(self, s: np.ndarray) -> np.ndarray:
        """Energy of +/-1 states (for 0/1 units: of their +/-1 equivalents, which is
        the 0/1 energy times 4 plus a constant, so it orders states alike)."""
        syn = self.synapse_
        e = -0.5 * np.einsum("ij,ij->i", syn.layout.field(syn.values, s), s)
        if syn.bias is not None:
            e -= s @ syn.bias
        return e

    def _energy_descends(self, dynamics: str) -> bool:
        """Whether the energy is a Lyapunov function of ``dynamics`` on these weights.

        Only asynchronous updates with symmetric weights and a zero diagonal never
        raise it (Hopfield 1982). Asymmetric storage (perceptron, BCM, Oja) breaks
        that: the recorded energy may rise, and a warning says so.
        """
        if dynamics != "async":
            return False
        syn = self.synapse_
        w = syn.weights
        ok = not np.any(w.diagonal())
        if ok and not dyn.columns(syn).symmetric:
            # Symmetric up to rounding (Storkey's and the projection rule's weights
            # are symmetric in exact arithmetic): the descent holds up to that rounding.
            gap = abs(w - w.T).max()
            ok = gap <= 8 * self.n_units * np.finfo(w.dtype).eps * abs(w).max()
        if not ok:
            warnings.warn(
                f"the weights (rule {type(syn.rule).__name__}) are not symmetric with "
                "a zero diagonal: under asynchronous dynamics the recorded energy is "
                "no Lyapunov function and may rise (result.info['energy_descends'] "
                "is False)",
                NeuromemWarning,
                stacklevel=4,
            )
        return bool(ok)

    @transactional
    def unlearn(
        self,
        n_dreams: int = 100,
        epsilon: float = 0.01,
        *,
        batch: int = 10,
        dynamics: str | None = None,
        max_steps: int | None = None,
        seed: SeedLike = None,
    ) -> EnergyLandscape:
        """Unlearning ("dreaming", Hopfield, Feinstein & Palmer 1983).

        Each dream starts from a random +/-1 state, relaxes to the attractor the
        current weights lead it to, and weakens that attractor with a small
        anti-Hebbian step ``W <- W - (epsilon / N) s s^T`` (self-connections and absent
        connections stay zero). Spurious attractors have larger basins than the stored
        patterns' above the Hebbian capacity, so they are reached, and removed, more
        often: repeated dreams clean the energy landscape and raise recall.

        Parameters
        ----------
        n_dreams : int
            Number of dreams.
        epsilon : float
            Strength of each anti-Hebbian step, ``> 0`` (in units of a Hebbian pattern:
            1 would remove a stored pattern entirely).
        batch : int
            Dreams relaxed together with the same weights before their steps are
            applied (1 is the original, strictly sequential procedure; a small batch is
            much faster and, with ``epsilon * batch`` small, equivalent).
        dynamics : {"sync", "async"}, optional
            Dynamics of the relaxation (the model's by default; Glauber is not used).
        max_steps : int, optional
            Sweeps per relaxation (the model's ``max_steps`` by default).
        seed : int, Generator or None
            Seed of the random starting states and update orders.

        Returns
        -------
        Hopfield
            ``self``, with its weights changed.
        """
        if self.units != "bipolar":
            raise ValidationError(
                "units", self.units, "'bipolar': unlearning is defined for +/-1 units"
            )
        n_dreams = check_int(n_dreams, "n_dreams", low=1)
        epsilon = check_float(epsilon, "epsilon", low=0.0, low_inclusive=False)
        batch = check_int(batch, "batch", low=1)
        dynamics = self.dynamics if dynamics is None else dynamics
        dynamics = check_choice(dynamics, "dynamics", DYNAMICS)
        if dynamics == "glauber":
            dynamics = "async"
        if max_steps is None:
            max_steps = self.max_steps
        max_steps = check_int(max_steps, "max_steps", low=1)
        start_rng, order_rng = spawn(seed, 2)
        self._build()
        syn = self.synapse_
        # Kept to restore on divergence: the weights are left as they were before the
        # call, as a learning rule leaves them.
        before = syn.values.copy()
        for done in long_loop(range(0, n_dreams, batch), "dream batches"):
            b = min(batch, n_dreams - done)
            starts = np.where(start_rng.random((b, self.n_units)) < 0.5, 1.0, -1.0)
            reached = self.recall(
                starts.astype(self.dtype),
                dynamics=dynamics,
                max_steps=max_steps,
                seed=order_rng,
            ).states
            with np.errstate(over="ignore", invalid="ignore"):
                step = (epsilon / self.n_units) * syn.layout.outer(reached, reached)
                syn.layout.restrict(step)
                flat = step.reshape(-1)
                # The learning rules' divergence test: every change below sqrt(max
                # float) (about 1e154 in float64), so the weights stay finite.
                total = np.einsum("i,i->", flat, flat)
            if not np.isfinite(total):
                with syn.writing() as (w, _):
                    w[...] = before
                raise ValidationError(
                    "epsilon",
                    epsilon,
                    "a smaller epsilon: the unlearning step overflowed (the weights "
                    "were left as they were before the call)",
                )
            with syn.writing() as (w, _):
                w -= step
        return self
