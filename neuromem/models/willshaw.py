"""The Willshaw net: binary clipped Hebbian synapses for sparse 0/1 patterns."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np

from ..errors import ValidationError, described
from ..random import SeedLike, check_seed
from ..rules.hebbian import Hebbian
from ..tags import ModelTags
from ..validation import (
    check_choice,
    check_dtype,
    check_float,
    check_int,
    check_pairs,
    check_patterns,
)
from .base import Memory, RecallResult, not_stored
from .keyvalue import KeyValueMemory

__all__ = [
    "Willshaw",
    "false_positive_rate",
    "transinformation",
    "willshaw_capacity",
    "willshaw_information",
]

THRESHOLDS = ("cue", "adaptive")


def _h2(p: np.ndarray | float) -> np.ndarray:
    """Binary entropy in bits (0 at p = 0 and p = 1)."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -p * np.log2(p) - (1 - p) * np.log2(1 - p)
    return np.nan_to_num(out)


def transinformation(a: float, p01: float, p10: float) -> float:
    """Mutual information (bits) between a target bit and its recalled value.

    Parameters
    ----------
    a : float
        Probability that the target bit is 1 (the coding level of the values).
    p01 : float
        Probability of recalling 1 where the target is 0 (add error).
    p10 : float
        Probability of recalling 0 where the target is 1 (miss error).

    Raises
    ------
    ValidationError
        If a probability is not a number in [0, 1] (a NaN gave NaN, and a value
        outside [0, 1] a meaningless number, before).
    """
    a = check_float(a, "a", low=0.0, high=1.0)
    p01 = check_float(p01, "p01", low=0.0, high=1.0)
    p10 = check_float(p10, "p10", low=0.0, high=1.0)
    p_one = (1 - a) * p01 + a * (1 - p10)
    return float(_h2(p_one) - (1 - a) * _h2(p01) - a * _h2(p10))


def _p1(n_pairs, n_in, n_out, k_in, l_out):
    """Fraction of synapses set to 1 after storing ``n_pairs`` random pairs."""
    return 1.0 - (1.0 - k_in * l_out / (n_in * n_out)) ** n_pairs


def _check_sizes(n_in, n_out, k_in, l_out):
    n_in = check_int(n_in, "n_in", low=1)
    n_out = check_int(n_out, "n_out", low=1)
    k_in = check_int(k_in, "k_in", low=1, high=n_in)
    l_out = check_int(l_out, "l_out", low=1, high=n_out - 1)
    return n_in, n_out, k_in, l_out


def false_positive_rate(
    n_pairs: int, n_in: int, n_out: int, k_in: int, l_out: int
) -> float:
    """Exact probability that a silent output unit fires for a stored key (full cue).

    Keys have exactly ``k_in`` of ``n_in`` active units and values ``l_out`` of
    ``n_out``, all drawn at random. An output unit that is silent in the recalled pair
    fires when all ``k_in`` of its synapses from the key are set. Each of the other
    ``n_pairs - 1`` pairs makes that unit active with probability ``l_out / n_out``
    and then sets its synapses from that pair's key; the number of the cue's ``k_in``
    synapses covered so far is a Markov chain (each new key covers a hypergeometric
    number of the uncovered ones), so the rate is an entry of the ``n_pairs - 1``-th
    power of a ``(k_in + 1)``-square transition matrix.

    The product ``p1**k_in`` of the fraction ``p1`` of set synapses assumes that the
    ``k_in`` synapses are set independently; they are not (all of them are set only
    through the patterns in which the output unit was active, whose number
    fluctuates), and near capacity ``p1**k_in`` underestimates the rate 1.4 to 2 times.

    Parameters
    ----------
    n_pairs : int
        Stored pairs ``P`` (the recalled one included).
    n_in, n_out : int
        Widths of keys and values.
    k_in, l_out : int
        Active units per key and per value.
    """
    n_pairs = check_int(n_pairs, "n_pairs", low=0)
    n_in, n_out, k_in, l_out = _check_sizes(n_in, n_out, k_in, l_out)
    if n_pairs <= 1:
        return 0.0
    # scipy.stats takes about a second to import: loaded here, not with the model
    # (every process of a run imports the models, few call this).
    from scipy.stats import hypergeom

    c = np.arange(k_in + 1)
    # t[c, c + h]: a key covers h of the k_in - c uncovered synapses.
    t = np.zeros((k_in + 1, k_in + 1))
    for h in range(k_in + 1):  # k_in + 1 diagonals, each one vectorised over c
        rows = c[c + h <= k_in]
        t[rows, rows + h] = hypergeom.pmf(h, n_in, k_in - rows, k_in)
    q = l_out / n_out
    step = (1.0 - q) * np.eye(k_in + 1) + q * t
    rate = float(np.linalg.matrix_power(step, n_pairs - 1)[0, k_in])
    return min(max(rate, 0.0), 1.0)  # a probability, also after rounding


def willshaw_capacity(
    n_in: int, n_out: int, k_in: int, l_out: int, fidelity: float = 0.01
) -> float:
    """Theoretical number of pairs a Willshaw net stores at a given fidelity.

    With ``k_in`` active units per key, a silent output unit fires by mistake when all
    ``k_in`` of its synapses from the cue are set (:func:`false_positive_rate`, exact
    for random keys and values of exactly ``k_in`` and ``l_out`` active units). The
    capacity is the ``P`` at which the expected number of such add errors per
    recalled pattern, ``(n_out - l_out) * false_positive_rate(P)``, reaches
    ``fidelity * l_out`` (the high-fidelity criterion of Knoblauch & Palm), linearly
    interpolated between the integers around it; below it recall is (almost always)
    error-free.

    Parameters
    ----------
    n_in, n_out : int
        Widths of keys and values.
    k_in, l_out : int
        Active units per key and per value.
    fidelity : float
        Tolerated add errors per recall, as a fraction of ``l_out``; below
        ``(n_out - l_out) / l_out`` (a ``ValidationError`` otherwise, where the
        capacity would be infinite).
    """
    n_in, n_out, k_in, l_out = _check_sizes(n_in, n_out, k_in, l_out)
    fidelity = check_float(fidelity, "fidelity", low=0.0, low_inclusive=False)
    goal = fidelity * l_out
    if goal >= n_out - l_out:
        # At most n_out - l_out add errors can happen: every P meets such a goal and
        # the capacity would be infinite. Refuse rather than return inf.
        raise ValidationError(
            "fidelity",
            fidelity,
            f"a fidelity below (n_out - l_out) / l_out = {(n_out - l_out) / l_out:g} "
            "(more add errors than silent outputs can never happen)",
        )

    def errors(p):
        return (n_out - l_out) * false_positive_rate(p, n_in, n_out, k_in, l_out)

    if errors(2) > goal:
        return 1.0
    hi = 2
    while errors(hi) <= goal:  # the errors grow with P: bracket, then bisect
        hi *= 2
        if hi > 2**60:  # the goal is within rounding of the largest error count
            raise ValidationError(
                "fidelity", fidelity, "a fidelity that some number of pairs reaches"
            )
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if errors(mid) <= goal else (lo, mid)
    e_lo, e_hi = errors(lo), errors(hi)
    return float(lo + (goal - e_lo) / (e_hi - e_lo))


def willshaw_information(
    n_pairs: int, n_in: int, n_out: int, k_in: int, l_out: int
) -> float:
    """Bits per synapse that theory predicts for ``n_pairs`` pairs (full cues).

    Uses the exact add-error rate :func:`false_positive_rate` (misses cannot happen
    with a full cue and the threshold at ``k_in``). As ``n_in``, ``n_out`` grow with
    ``k_in, l_out ~ log2 n`` and half the synapses set, this tends to
    ``ln 2 ~ 0.69`` (Willshaw et al. 1969).
    """
    n_pairs = check_int(n_pairs, "n_pairs", low=1)
    p01 = false_positive_rate(n_pairs, n_in, n_out, k_in, l_out)
    return n_pairs * n_out * transinformation(l_out / n_out, p01, 0.0) / (n_in * n_out)


class Willshaw(KeyValueMemory):
    """Willshaw, Buneman & Longuet-Higgins (1969) associative net.

    Synapses are binary: ``W_ij = 1`` if output ``i`` and input ``j`` were ever active
    together, ``0`` otherwise. This is the Hebbian rule clipped to ``[0, 1]`` by the
    rule base's hard bounds (``Hebbian(learning_rate=1, bounds=(0, 1))``), one rule
    for every memory. Recall is one pass: output ``i`` fires when its input
    ``h_i = sum_j W_ij c_j`` reaches the threshold.

    Parameters
    ----------
    n_units : int
        Width of the keys (and values, for auto-association).
    n_out : int or None
        Width of the values; inferred from the first values stored.
    threshold : {"cue", "adaptive"}
        ``"cue"``: the number of active units in the cue (a stored key's outputs then
        all fire: no misses from a complete cue). ``"adaptive"``: per cue, the
        ``l_out``-th largest input, ``l_out`` the mean number of active units of the
        stored values (a k-winners-take-all that also completes partial or noisy cues).
    dtype : {"float64", "float32"}
        Weight dtype (weights are 0/1; float32 is exact and faster).
    seed : int, Generator or None
        Accepted for a uniform interface; the model is deterministic.

    Attributes
    ----------
    keys_, values_ : ndarray of bool
        The stored pairs (for :meth:`bits_per_synapse`).
    network_, n_out_, synapse_, weights_
        The network and its 0/1 weights (see
        :class:`~neuromem.models.keyvalue.KeyValueMemory`).
    """

    #: For the memory estimates (:func:`neuromem.memory_rows.feedforward_estimate`): it
    #: keeps its pairs as bool (``keys_``, ``values_``).
    kept_dtype = "bool"

    @property
    def recall_output_bytes(self) -> int:
        """For the memory estimates: bytes a recall holds per output value, in the
        weights' dtype the summed inputs, and either their negation and its
        partition (an adaptive threshold, which a recall may ask for) or the states,
        with the comparison's boolean."""
        return 3 * np.dtype(self.dtype).itemsize + 1

    def __neuromem_tags__(self) -> ModelTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            family="sparse 0/1 networks",
            encodings=("binary",),
            regime="sparse",
            variants=(("willshaw-adaptive", {"threshold": "adaptive"}),),
            theory=("willshaw",),
        )

    # The threshold is read at recall only, and nothing draws from the seed: both may
    # change after store.
    _state_params: ClassVar[frozenset[str]] = Memory._state_params - {"threshold", "seed"}

    def __init__(
        self,
        n_units: int,
        n_out: int | None = None,
        threshold: str = "cue",
        dtype: str = "float64",
        seed: SeedLike = None,
    ):
        self.n_units = check_int(n_units, "n_units", low=1)
        self.n_out = n_out if n_out is None else check_int(n_out, "n_out", low=1)
        self.threshold = check_choice(threshold, "threshold", THRESHOLDS)
        self.dtype = check_dtype(dtype).name
        self.seed = check_seed(seed)

    def _make_rule(self) -> Hebbian:
        """Clipped Hebbian learning: a synapse is set by any pair that activates both
        its units (read by the memory estimates before the network is built)."""
        return Hebbian(learning_rate=1.0, bounds=(0.0, 1.0))

    def _build(self, n_out: int) -> None:
        if getattr(self, "network_", None) is not None:
            return
        self._connect(n_out, "step", self._make_rule())
        self.keys_ = np.zeros((0, self.n_units), dtype=bool)
        self.values_ = np.zeros((0, n_out), dtype=bool)

    @property
    def n_stored_(self) -> int:
        """Number of pairs stored (shown by ``repr``)."""
        return len(self.keys_)

    @property
    def load_(self) -> float:
        """Fraction of synapses set to 1 (``p1``; information peaks near 1/2)."""
        return float(np.mean(self.synapse_.weights))

    def store(self, keys, values=None) -> Willshaw:
        """Store 0/1 ``keys -> values`` pairs (``values=None``: auto-association).

        Parameters
        ----------
        keys : ndarray of 0/1, shape (P, n_units)
        values : ndarray of 0/1, shape (P, n_out), optional
        """
        x, y = check_pairs(
            keys,
            values,
            n_units=self.n_units,
            n_out=self.n_out,
            encoding="binary",
            dtype=self.dtype,
        )
        self._learn_pairs(x, y)
        self.keys_ = np.concatenate([self.keys_, x.astype(bool)])
        self.values_ = np.concatenate([self.values_, y.astype(bool)])
        return self

    def recall(self, cues, *, threshold: str | None = None) -> RecallResult:
        """One-step retrieval of the values of 0/1 cues.

        Parameters
        ----------
        cues : ndarray of 0/1, shape (P, n_units)
        threshold : {"cue", "adaptive"}, optional
            Override the model's threshold for this call.

        Returns
        -------
        RecallResult
            0/1 states; ``info["threshold"]`` holds each cue's threshold.
        """
        c = check_patterns(
            cues, "cues", n_units=self.n_units, encoding="binary", dtype=self.dtype
        )
        mode = (
            self.threshold
            if threshold is None
            else check_choice(threshold, "threshold", THRESHOLDS)
        )
        self._built_for_recall()
        h = self.synapse_.input(c)
        if mode == "cue":
            theta = c.sum(1)
        else:
            n_active = self.values_.sum(1).mean() if len(self.values_) else 1.0
            l_out = int(np.clip(round(float(n_active)), 1, self.n_out_))
            theta = -np.partition(-h, l_out - 1, axis=1)[:, l_out - 1]
        # Inputs are integer counts: half a unit of margin makes ">=" exact.
        states = (h >= theta[:, None] - 0.5).astype(self.dtype)
        n = len(c)
        return RecallResult(
            states,
            np.ones(n, dtype=np.int64),
            np.ones(n, dtype=bool),
            info={"threshold": theta},
        )

    def bits_per_synapse(self, keys=None, values=None) -> float:
        """Information the net holds about its values, in bits per synapse.

        Every key is recalled (with the model's threshold) and compared with its value;
        the add- and miss-error rates give the mutual information per output bit
        (:func:`transinformation`), times ``P * n_out``, over the
        ``n_units * n_out`` synapses. By default the stored pairs are used.
        """
        if keys is None and values is None:
            if getattr(self, "network_", None) is None or not len(self.keys_):
                raise not_stored(self, "bits_per_synapse")
            x, y = self.keys_, self.values_
        else:
            x = check_patterns(keys, "keys", n_units=self.n_units, encoding="binary")
            y = check_patterns(values, "values", n_units=self.n_out_, encoding="binary")
            if len(x) != len(y):
                raise ValidationError(
                    "values",
                    described(f"{len(y)} values for {len(x)} keys"),
                    "one value per key",
                )
        out = self.recall(x).states.astype(bool)
        y = y.astype(bool)
        a = float(y.mean())
        p01 = float((out & ~y).sum() / max((~y).sum(), 1))
        p10 = float((~out & y).sum() / max(y.sum(), 1))
        return len(x) * transinformation(a, p01, p10) / self.n_units

    def capacity(self, fidelity: float = 0.01) -> float:
        """Theoretical number of pairs at ``fidelity`` for the stored activity levels.

        See :func:`willshaw_capacity`; ``k_in`` and ``l_out`` are the numbers of
        active units of the stored keys and values (the theory is exact for patterns
        of one activity each; where the stored activities vary, their rounded means
        are used and the result is an approximation).
        """
        fidelity = check_float(fidelity, "fidelity", low=0.0, low_inclusive=False)
        if getattr(self, "network_", None) is None or not len(self.keys_):
            raise not_stored(self, "capacity")
        k_mean = float(self.keys_.sum(1).mean())
        l_mean = float(self.values_.sum(1).mean())
        if not (k_mean > 0 and 0 < l_mean < self.n_out_):
            raise ValidationError(
                "patterns",
                described(
                    f"stored pairs with {k_mean:g} active key and {l_mean:g} active "
                    "value units on average"
                ),
                "keys with active units and values neither silent nor all active",
            )
        # The exact theory takes whole activities: the mean, rounded (approximate
        # when the activities vary from pair to pair).
        k_in = max(1, round(k_mean))
        l_out = min(max(1, round(l_mean)), self.n_out_ - 1)
        return willshaw_capacity(self.n_units, self.n_out_, k_in, l_out, fidelity)

    def _pair_state(self) -> dict[str, Any]:
        return {"keys": self.keys_, "values": self.values_}

    def _set_state(self, state: dict[str, Any]) -> None:
        if not state:
            return
        keys, values = np.asarray(state["keys"]), np.asarray(state["values"])
        # A file edited by hand (checksums recomputed) may pair keys and values that
        # do not fit: they would only fail at the next store or bits_per_synapse().
        if not (
            keys.ndim == 2
            and values.ndim == 2
            and len(keys) == len(values)
            and keys.shape[1] == self.n_units
        ):
            raise ValidationError(
                "state",
                described(f"stored keys {keys.shape} and values {values.shape}"),
                f"one value per key, keys of width n_units = {self.n_units}",
            )
        self._build(values.shape[1])
        self.synapse_.set_weights(state["weights"])
        self.keys_ = keys.astype(bool)
        self.values_ = values.astype(bool)
