"""The learning-rule interface: every rule is a change of weights ``delta(pre, post, w)``.

Hebb is ``eta * post * pre``; Oja adds ``- eta * post**2 * w``; Storkey adds local-field
terms; backprop is ``- eta * delta_post * pre`` with the error as third factor. A rule
writes that formula once, in :meth:`LearningRule.compute`, against a
:class:`~neuromem.layout.Layout`; the base class turns it into updates of dense or sparse
synapses, for one presentation or a batch, and applies the shared post-processing (weight
decay, soft and hard bounds, the connectivity mask, the divergence check) exactly once.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from ..errors import ValidationError, described
from ..layout import Layout, SparseLayout, layout_for
from ..params import Parametrized, StatefulMixin
from ..registry import RegisteredName
from ..tags import RuleTags, TagAlias, declare_legacy, legacy_tags
from ..validation import as_real_array, check_bool, check_choice, check_float, check_int

__all__ = ["LearningRule", "Trace"]

#: Old class attributes of a rule, by the tag each one declared.
_RULE_ALIASES = {"encodings": "encodings"}


def _check_bounds(bounds: Any) -> tuple[float, float] | None:
    if bounds is None:
        return None
    try:
        low, high = bounds
    except (TypeError, ValueError):
        raise ValidationError("bounds", bounds, "None or a pair (low, high)") from None
    low = check_float(low, "bounds[0]")
    high = check_float(high, "bounds[1]")
    if not low < high:
        raise ValidationError("bounds", bounds, "a pair (low, high) with low < high")
    return (low, high)


def _check_activity(value: Any, name: str, dtype: Any) -> np.ndarray:
    """Activity (``pre``, ``post``, ``signal``, ``weights``) as a finite real array.

    Masked arrays (whose mask would be dropped), complex (whose imaginary part would
    be), timedelta, datetime, object and string arrays are refused, not converted;
    so are NaN and inf, and values that overflow ``dtype``.
    """
    # The lossy kinds are refused by the package's one helper for that.
    arr = as_real_array(value, name)
    with np.errstate(over="ignore"):
        arr = arr.astype(dtype, copy=False)
    if not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValidationError(
            name,
            described(f"{bad} NaN or infinite value(s) (in {np.dtype(dtype).name})"),
            "finite values only",
        )
    return arr


class LearningRule(StatefulMixin, Parametrized):
    """Base class of learning rules.

    Parameters
    ----------
    learning_rate : float
        Scale of every change, ``>= 0``.
    decay : float
        Fraction of each weight lost per presentation (``w <- (1 - decay) w``), in [0, 1).
    bounds : (low, high) or None
        Weight bounds. With ``soft_bounds=False`` weights are clipped into them after
        each update (hard bounds); otherwise potentiation is scaled by
        ``(high - w) / (high - low)`` and depression by ``(w - low) / (high - low)``.
    soft_bounds : bool
        Use multiplicative soft bounds instead of clipping.

    Notes
    -----
    To write a rule, subclass (its name is the one it is registered under), store any
    extra parameters in
    ``__init__`` and implement :meth:`compute`. An ``__init__(self, extra=1.0,
    **shared)`` that calls ``super().__init__(**shared)`` inherits ``learning_rate``,
    ``decay``, ``bounds`` and ``soft_bounds`` (they are collected from the class
    hierarchy's signatures); a model sets the learning rate of a rule it builds, so it
    refuses a rule that does not take them or pass them on. Constraints that must hold after every update go in
    :meth:`constrain`. Rules that keep state between presentations (BCM's threshold) keep it
    in attributes ending in ``_`` and reset it in :meth:`reset`.
    """

    #: The name the class is registered under (``nm.register_rule`` or an entry point).
    name = RegisteredName("rules")
    #: Weight layouts the rule can update.
    supports: ClassVar[tuple[str, ...]] = ("dense", "sparse")
    #: Deprecated alias of ``get_tags(rule).encodings``.
    encodings = TagAlias("encodings")
    #: Whether the rule reads the third factor ``signal``.
    uses_signal: ClassVar[bool] = False
    #: Whether the rule needs a square (recurrent) synapse, because it couples w_ij to
    #: w_ji. An instance may answer per its parameters by overriding this as a property.
    recurrent: ClassVar[bool] = False
    #: Whether a batch is applied one presentation at a time (the weights change
    #: between presentations, as in Storkey's or Oja's rule) instead of summed.
    sequential: ClassVar[bool] = False
    #: Temporaries of one ``update`` of a batch, in copies of the weights it changes:
    #: ``(dense, sparse)`` (a sparse copy is values and indices). Read by the memory
    #: estimates (:mod:`neuromem.memory`); a rule that declares nothing is charged
    #: two copies either way.
    store_temporaries: ClassVar[tuple[float, float]] = (2.0, 2.0)
    #: Bytes per connection a store leaves cached on a sparse layout (the row of
    #: every entry, the position of its reverse entry), held as long as the weights.
    layout_cache: ClassVar[int] = 0
    #: Copies of the stored patterns the rule keeps (the perceptron's pre and post).
    kept_patterns: ClassVar[int] = 0
    #: ``P x P`` arrays of all the stored patterns a store holds at its peak (a rule
    #: that solves with their Gram matrix; none for a local rule, whose stores of
    #: many more patterns than units need only a few copies of the patterns).
    gram_arrays: ClassVar[int] = 0
    #: The trace being recorded (see :meth:`start_trace`); not a parameter or state.
    _trace: Trace | None = None

    def __init__(
        self,
        learning_rate: float = 1.0,
        decay: float = 0.0,
        bounds: tuple[float, float] | None = None,
        soft_bounds: bool = False,
    ):
        self.learning_rate = check_float(learning_rate, "learning_rate", low=0.0)
        self.decay = check_float(decay, "decay", low=0.0, high=1.0, high_inclusive=False)
        self.bounds = _check_bounds(bounds)
        self.soft_bounds = check_bool(soft_bounds, "soft_bounds")
        if self.soft_bounds and self.bounds is None:
            raise ValidationError("soft_bounds", True, "False unless bounds are given")

    def __neuromem_tags__(self) -> RuleTags:
        """What this rule is (read with :func:`neuromem.get_tags`).

        The defaults: a symmetric, incremental rule for any encoding that needs no
        third factor unless it reads one (``uses_signal``). A subclass overrides this,
        starting from ``super().__neuromem_tags__()`` (``dataclasses.replace``).
        """
        base = RuleTags(
            encodings=("bipolar", "binary", "real"), needs_signal=bool(self.uses_signal)
        )
        return legacy_tags(type(self), base, _RULE_ALIASES)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declare_legacy(cls, _RULE_ALIASES)
        RegisteredName.take_declared(cls)

    # -- to implement ---------------------------------------------------------------
    def compute(
        self,
        pre: np.ndarray,
        post: np.ndarray,
        w: np.ndarray,
        layout: Layout,
        signal: np.ndarray | None = None,
    ) -> np.ndarray:
        """The change of weights before the learning rate and post-processing.

        Parameters
        ----------
        pre : ndarray, shape (B, n_pre)
            Presynaptic activity of ``B`` presentations.
        post : ndarray, shape (B, n_post)
            Postsynaptic activity.
        w : ndarray
            The weight values in ``layout`` (read only).
        layout : Layout
            Primitives that make the rule work on dense and sparse weights.
        signal : ndarray, optional
            Third factor (an error, a modulator), shape ``(B, n_post)``.

        Returns
        -------
        ndarray
            Values in ``layout``: summed over the ``B`` presentations.
        """
        raise NotImplementedError

    def reset(self) -> None:
        """Forget any state kept between presentations."""

    def constrain(self, w: np.ndarray, layout: Layout) -> None:
        """Per-synapse constraints, applied in place after every update (optional).

        Called by :meth:`update` after decay and bounds, with the weight values ``w``
        in ``layout``; absent connections are zeroed again afterwards. Use it for what
        must hold after each step rather than for the step itself: sign constraints
        (``np.maximum(w, 0, out=w)``; Dale's law with ``layout.pre(signs)``), clipping
        of one group of synapses, normalisation. The default does nothing and costs
        nothing. :meth:`delta` returns the raw change and does not apply it.
        """

    @classmethod
    def default_learning_rate(cls, n_pre: int) -> float:
        """The learning rate a memory gives this rule when the user sets none.

        ``1 / n_pre`` keeps the local fields of order one: with it Hebb's rule stores
        ``W = X^T X / N``. Rules that compute a target matrix directly override this.
        """
        return 1.0 / n_pre

    # -- provided -------------------------------------------------------------------
    def check_layout(self, layout: Layout) -> None:
        """Refuse a synapse whose layout (or shape) the rule does not support."""
        if self.recurrent and layout.shape[0] != layout.shape[1]:
            raise ValidationError(
                "weights",
                described(f"a synapse of shape {layout.shape}"),
                f"a recurrent (square) synapse: rule {self.name!r} couples w_ij to w_ji",
            )
        kind = "sparse" if layout.is_sparse else "dense"
        if kind not in self.supports:
            raise ValidationError(
                "rule",
                described(f"rule {self.name!r} on a {kind} synapse"),
                f"a rule that supports {kind} weights (this one supports "
                f"{', '.join(self.supports)})",
            )

    def _prepare(self, pre, post, signal, layout, dtype):
        pre = _check_activity(pre, "pre", dtype)
        post = _check_activity(post, "post", dtype)
        single = pre.ndim == 1
        if single:
            pre, post = pre[None, :], post[None, :]
        if pre.ndim == 2 and pre.shape[0] == 0:
            raise ValidationError("pre", described("an empty batch"), "at least one row")
        n_post, n_pre = layout.shape
        if pre.ndim != 2 or pre.shape[1] != n_pre:
            raise ValidationError(
                "pre",
                described(f"an array of shape {pre.shape}"),
                f"shape ({n_pre},) or (B, {n_pre})",
            )
        if post.ndim != 2 or post.shape != (pre.shape[0], n_post):
            raise ValidationError(
                "post",
                described(f"an array of shape {post.shape}"),
                f"shape ({n_post},) or ({pre.shape[0]}, {n_post})",
            )
        if signal is not None:
            signal = _check_activity(signal, "signal", dtype)
            if signal.ndim == 1:
                signal = signal[None, :]
            if signal.shape != post.shape:
                raise ValidationError(
                    "signal",
                    described(f"an array of shape {signal.shape}"),
                    f"the shape of post, {post.shape}",
                )
        elif self.uses_signal:
            raise ValidationError("signal", None, f"a third factor for rule {self.name!r}")
        return pre, post, signal

    def _change(self, pre, post, w, layout, signal):
        """``learning_rate * compute(...)`` for prepared (2-D) inputs."""
        # Overflow is reported as divergence by the caller, naming the parameter.
        with np.errstate(over="ignore", invalid="ignore"):
            d = np.asarray(self.compute(pre, post, w, layout, signal), dtype=w.dtype)
        if d.shape != w.shape:
            raise RuntimeError(
                f"rule {self.name!r} computed a change of shape {d.shape} for weights "
                f"of shape {w.shape}"
            )
        if self.learning_rate != 1.0:
            with np.errstate(over="ignore", invalid="ignore"):
                d = np.multiply(d, self.learning_rate, out=d if d is not w else None)
        return d

    def _raw(self, pre, post, w, layout, signal):
        pre, post, signal = self._prepare(pre, post, signal, layout, w.dtype)
        return self._change(pre, post, w, layout, signal)

    def accumulate(self, w, pre, post, layout, signal, scale, fresh=False) -> None:
        """Optional fast path: add ``scale * compute(...)`` into ``w`` in place.

        Override only for a rule whose change does not read ``w`` (Hebb's does not); the
        base class then skips the temporary change matrix. An override must refuse a
        diverging change before touching ``w`` (see :meth:`_check_outer`). With
        ``fresh`` the weights are known to be all zero, so the change may be written
        instead of added. The default is never called.
        """
        raise NotImplementedError

    def _check_outer(self, post, pre, scale) -> None:
        """Divergence check of ``scale * sum_b post_b pre_b^T`` from its factors alone.

        Every entry is at most ``|scale| * B * max|post| * max|pre|``, so checking that
        bound costs O(B N) instead of a pass over the weights.
        """

        def largest(a):  # max|a| without an |a| temporary
            return max(float(a.max(initial=0.0)), -float(a.min(initial=0.0)))

        big_pre = largest(pre)
        big_post = big_pre if post is pre else largest(post)
        with np.errstate(over="ignore", invalid="ignore"):
            bound = abs(scale) * len(pre) * big_post * big_pre
        self._check_finite(np.array([bound], dtype=post.dtype))

    def delta(self, pre, post, weights, signal=None):
        """The change of weights for one presentation or a batch.

        Parameters
        ----------
        pre : ndarray, shape (n_pre,) or (B, n_pre)
            Presynaptic activity.
        post : ndarray, shape (n_post,) or (B, n_post)
            Postsynaptic activity.
        weights : ndarray or scipy.sparse matrix, shape (n_post, n_pre)
            Current weights; a sparse matrix's structure is its connectivity.
        signal : ndarray, optional
            Third factor, shaped like ``post``.

        Returns
        -------
        ndarray or scipy.sparse.csr_array
            The learning-rate-scaled change (summed over a batch), in the layout of
            ``weights``. Decay and bounds are not applied: see :meth:`update`.
        """
        if sp.issparse(weights):
            weights = sp.csr_array(weights)
            _check_activity(weights.data, "weights", weights.dtype)
            weights.sort_indices()
            layout: Layout = SparseLayout(weights)
        else:
            weights = np.asarray(weights)
            _check_activity(weights, "weights", weights.dtype)
            if not np.issubdtype(weights.dtype, np.floating):
                weights = weights.astype(np.float64)
            if weights.ndim != 2:
                raise ValidationError(
                    "weights",
                    described(f"an array of shape {weights.shape}"),
                    "a 2-D array (n_post, n_pre)",
                )
            layout = layout_for(weights)
        self.check_layout(layout)
        w = layout.values(weights)
        with np.errstate(over="ignore", invalid="ignore"):
            d = self._raw(pre, post, w, layout, signal)
        if not np.all(np.isfinite(d)):
            raise ValidationError(
                "pre",
                described("activities or weights so large that the change overflows"),
                "values whose change fits in float64",
            )
        return layout.wrap(d)

    def update(self, w, pre, post, layout, signal=None, fresh=False) -> np.ndarray:
        """Apply one presentation (or batch) to the weight values ``w`` in place.

        Decay, soft or hard bounds and the connectivity restriction are applied here,
        once for every rule. Raises :class:`~neuromem.ValidationError` naming
        ``learning_rate``, before touching the weights, if a change diverges (a value
        beyond about 1e154, NaN or inf): the weights are never left non-finite.

        ``fresh`` says that ``w`` is known to be all zero (a synapse that has not been
        read or written yet): a rule's fast path may then write its change instead of
        adding it. :meth:`Synapse.learn` sets it; leave it False otherwise.

        Returns
        -------
        ndarray
            ``w`` itself, updated.
        """
        pre, post, signal = self._prepare(pre, post, signal, layout, w.dtype)
        if self.sequential:
            for b in range(pre.shape[0]):  # the rule defines each step from the last
                self._update_one(
                    w,
                    pre[b : b + 1],
                    post[b : b + 1],
                    layout,
                    None if signal is None else signal[b : b + 1],
                    fresh and b == 0,
                )
            return w
        return self._update_one(w, pre, post, layout, signal, fresh)

    def _update_one(self, w, pre, post, layout, signal, fresh=False):
        fast = type(self).accumulate is not LearningRule.accumulate
        if fast and not (self.bounds is not None and self.soft_bounds):
            # accumulate() refuses a diverging change before adding it; decay comes
            # after, with the change rescaled, so (1 - decay) w + change is unchanged
            # and a refused update leaves the weights exactly as they were.
            keep = 1.0 - self.decay
            self.accumulate(w, pre, post, layout, signal, self.learning_rate / keep, fresh)
            if self.decay:
                w *= keep
            layout.restrict(w)
        else:
            d = self._change(pre, post, w, layout, signal)
            if self.bounds is not None and self.soft_bounds:
                low, high = self.bounds
                span = high - low
                d = np.where(d > 0, d * (high - w) / span, d * (w - low) / span)
            layout.restrict(d)
            # Checked before the weights are touched: a diverging rule stops with the
            # last finite weights in place. Every change is below sqrt(max float) (about
            # 1e154), so the weights could only overflow after ~1e154 updates: checking
            # the change alone keeps them finite.
            self._check_finite(d)
            if self.decay:
                w *= 1.0 - self.decay
            w += d
        if self.bounds is not None:
            np.clip(w, self.bounds[0], self.bounds[1], out=w)
            layout.restrict(w)
        if type(self).constrain is not LearningRule.constrain:
            self.constrain(w, layout)
            layout.restrict(w)
        if self._trace is not None:
            self._trace.record(w, layout)
        return w

    def _check_finite(self, values: np.ndarray) -> None:
        """Divergence: any value beyond ``sqrt(max float)`` (or NaN / inf).

        A sum of squares is one allocation-free pass; it is non-finite exactly when
        some ``|value|`` exceeds about ``1e154`` (float64) or ``1e19`` (float32), or is
        NaN or inf, far beyond any change a converging rule produces.
        """
        flat = values.reshape(-1)
        with np.errstate(over="ignore", invalid="ignore"):
            # einsum's own loop, not BLAS: no threads to wake for one reduction.
            total = np.einsum("i,i->", flat, flat)
        if not np.isfinite(total):
            raise ValidationError(
                "learning_rate",
                self.learning_rate,
                f"a smaller learning rate: rule {self.name!r} made the weights diverge "
                "(the change overflowed; the weights were left as they were)",
            )

    # -- learning traces ------------------------------------------------------------
    def start_trace(self, record: str | Any = "stats", every: int = 1) -> Trace:
        """Record the weights (or statistics of them) after every ``every`` updates.

        Parameters
        ----------
        record : {"stats", "weights"} or callable
            ``"stats"``: mean, std, min, max and Frobenius norm of the weight values;
            ``"weights"``: a copy of the weight matrix (dense array or CSR); a callable
            ``f(weights) -> float or ndarray`` records what it returns.
        every : int
            Record one update in ``every`` (a presentation, for sequential rules).

        Returns
        -------
        Trace
            Filled as learning proceeds; also available as ``rule.trace``.

        Notes
        -----
        With no trace started, learning pays one attribute test per update.
        """
        self._trace = Trace(record, every)
        return self._trace

    def stop_trace(self) -> Trace | None:
        """Stop recording; returns the trace (or None if none was started)."""
        trace, self._trace = self._trace, None
        return trace

    @property
    def trace(self) -> Trace | None:
        """The trace being recorded, or None."""
        return self._trace


_STATS = ("mean", "std", "min", "max", "norm")


class Trace:
    """Weights or their statistics recorded during learning (see ``start_trace``).

    Attributes
    ----------
    updates : list of int
        Index (1-based) of the update after which each record was taken.
    records : list
        Dicts of statistics, weight matrices, or what the callable returned.
    """

    def __init__(self, record: str | Any = "stats", every: int = 1):
        if not callable(record):
            record = check_choice(record, "record", ("stats", "weights"))
        self.record_kind = record
        self.every = check_int(every, "every", low=1)
        self.count = 0
        self.updates: list[int] = []
        self.records: list[Any] = []

    def record(self, w: np.ndarray, layout: Layout) -> None:
        """Called by the rule after an update with the new weight values."""
        self.count += 1
        if self.count % self.every:
            return
        self.updates.append(self.count)
        kind = self.record_kind
        if kind == "stats":
            self.records.append(
                {
                    "mean": float(w.mean()),
                    "std": float(w.std()),
                    "min": float(w.min()),
                    "max": float(w.max()),
                    "norm": float(
                        np.sqrt(np.einsum("i,i->", w.reshape(-1), w.reshape(-1)))
                    ),
                }
            )
        elif kind == "weights":
            self.records.append(layout.wrap(w.copy()))
        else:
            self.records.append(kind(layout.wrap(w)))

    def __len__(self) -> int:
        return len(self.records)

    def as_arrays(self) -> dict[str, np.ndarray]:
        """The trace as arrays: ``"update"`` plus one array per statistic.

        For ``"weights"`` the snapshots are stacked densely under ``"weights"``
        (shape ``(T, n_post, n_pre)``); a callable's results under ``"value"``.
        """
        out = {"update": np.asarray(self.updates, dtype=np.int64)}
        if self.record_kind == "stats":
            for k in _STATS:
                out[k] = np.array([r[k] for r in self.records])
        elif self.record_kind == "weights":
            out["weights"] = (
                np.stack([r.toarray() if sp.issparse(r) else r for r in self.records])
                if self.records
                else np.empty((0, 0, 0))
            )
        else:
            out["value"] = np.asarray(self.records)
        return out
