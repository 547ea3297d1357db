"""Training the MLP memory: what it keeps to rehearse, epochs, early stopping, divergence and convergence reports."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ConvergenceWarning, ValidationError, described
from ..progress import steps as long_loop

_ENC_VALUES = {"bipolar": (-1.0, 1.0), "binary": (0.0, 1.0)}

# Early stopping waits until every output is this fraction of the way from the
# decision midpoint to its target: stopping at the first exact reproduction leaves
# margins so thin that a few flipped cue units change the answer.
_MARGIN = 0.5

# A loss this many times its value at the start of training (or non-finite) is taken
# as divergence: a learning rate that is too large, not a hard problem.
_BLOWUP = 1e4


def _empty_history() -> dict[str, np.ndarray]:
    return {
        "loss": np.empty(0),
        "accuracy": np.empty(0),
        "call": np.empty(0, dtype=np.int64),
    }


def interruptible(store: Callable) -> Callable:
    """The MLP's ``store`` made all-or-nothing under Ctrl-C (``KeyboardInterrupt``),
    as :func:`~neuromem.models.base.transactional` makes other models', from a snapshot
    of only what a store changes (:meth:`Training._transaction`)."""

    @functools.wraps(store)
    def wrapper(self, *args: Any, **kwargs: Any):
        saved = self._transaction()
        try:
            return store(self, *args, **kwargs)
        except KeyboardInterrupt:
            self._rollback(saved)
            raise

    return wrapper


def _copy_state(state: dict) -> dict:
    def cp(v):
        if isinstance(v, np.ndarray):
            return v.copy()
        if isinstance(v, list):
            return [cp(u) for u in v]
        return v

    return {k: cp(v) for k, v in state.items()}


class Training:
    """Training the MLP memory: what it keeps to rehearse, epochs, early stopping, divergence and convergence reports."""

    def _keep(self, x: np.ndarray, t: np.ndarray | None) -> None:
        """Add the pairs not stored yet to ``patterns_`` (and ``targets_``), once each."""
        rows = x if t is None else np.concatenate([x, t], axis=1)
        old = (
            self.patterns_
            if t is None
            else np.concatenate([self.patterns_, self.targets_], axis=1)
        )
        # Rows compared as raw bytes (a void view): one hash per pattern, no loop over
        # units; +0.0 and -0.0 are made one value first.
        both = np.ascontiguousarray(np.concatenate([old, rows]) + 0.0)
        keys = both.view(np.dtype((np.void, both.dtype.itemsize * both.shape[1])))[:, 0]
        _, first = np.unique(keys, return_index=True)
        new = np.sort(first[first >= len(old)]) - len(old)
        if len(new) == 0:
            return
        self.patterns_ = np.concatenate([self.patterns_, x[new]])
        if t is not None:
            self.targets_ = np.concatenate([self.targets_, t[new]])

    def _report_convergence(self, n_epochs: int) -> None:
        if self.converged_ is not False or not self.early_stopping:
            return
        loss = float(self.history_["loss"][-1])
        frac = self._fraction_reproduced
        calls = self.history_["call"]
        losses = self.history_["loss"][calls == calls[-1]]
        # Which parameter to change, read from the loss curve of this call: a loss
        # that rose well above its best, or stopped falling, points at the step size
        # (or a network too small); one still falling at the end, at the epochs.
        tail = losses[-max(2, len(losses) // 5) :]
        lr = self.optimizers_[0].learning_rate
        if loss > 1.1 * float(losses.min()):
            advice = f"lower learning_rate (it was {lr:g}; the loss rose again)"
        elif len(losses) > 1 and tail[-1] > 0.99 * tail[0]:
            advice = (
                f"lower learning_rate (it was {lr:g}; the loss had stalled at its "
                "value), or widen hidden"
            )
        else:
            advice = (
                f"raise epochs (it was {n_epochs}; the loss was still falling), or "
                f"lower learning_rate (it was {lr:g}) if it falls only slowly"
            )
        warnings.warn(
            f"mlp did not store every pattern: after {len(losses)} epochs a clean "
            f"forward pass reproduces {frac:.0%} of the {self._n_trained} training "
            f"patterns (final loss {loss:.4g}); {advice}. See docs/mlp.md, "
            "'When training fails'.",
            ConvergenceWarning,
            stacklevel=3,
        )

    def _check_same_kind(self, mode: str, t: np.ndarray, encoding: str) -> None:
        if mode != self.mode_:
            raise ValidationError(
                "targets",
                described("targets" if mode == "hetero" else "no targets"),
                f"{'no targets' if self.mode_ == 'auto' else 'targets'}: this model "
                f"stored {'auto' if self.mode_ == 'auto' else 'hetero'}-associatively",
            )
        what = "patterns" if mode == "auto" else "targets"
        if t.shape[1] != self.n_out_:
            raise ValidationError(
                what,
                described(f"{what} of width {t.shape[1]}"),
                f"{what} of width {self.n_out_}, as stored before",
            )
        same = encoding == self.encoding_ or (
            self.encoding_ == "binary" and np.all(t == 1)  # all ones is 0/1 data too
        )
        if self.encoding_ != "real" and not same:
            text = {"bipolar": "+/-1 values", "binary": "0/1 values", "real": "real values"}
            raise ValidationError(
                what, described(text[encoding]), f"{text[self.encoding_]}, as before"
            )

    def _corrupt(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.encoding_ == "real":
            return x + rng.normal(0.0, self.noise, x.shape).astype(x.dtype)
        flip = rng.random(x.shape) < self.noise
        if self.encoding_ == "binary":
            return np.where(flip, 1 - x, x)
        return np.where(flip, -x, x)

    def _transaction(self):
        """What a store changes, saved for :func:`interruptible`: the attributes (a
        store rebinds them, or builds the network on its first call), and what it
        changes in place: the weights, the optimisers' states and the random streams.
        A deep copy of the whole model, its network graph included, made every store
        of a few epochs half again as long."""
        attrs = dict(vars(self))
        streams = [
            (g, g.bit_generator.state)  # the property returns a new dict
            for g in attrs.values()
            if isinstance(g, np.random.Generator)
        ]
        built = getattr(self, "synapses_", None) is not None
        return attrs, streams, self._snapshot() if built else None

    def _rollback(self, saved) -> None:
        attrs, streams, params = saved
        vars(self).clear()
        vars(self).update(attrs)
        for g, state in streams:
            g.bit_generator.state = state
        if params is not None:
            self._restore(params)

    def _snapshot(self):
        return (
            [(s.values.copy(), s.bias.copy()) for s in self.synapses_],
            [_copy_state(o.get_state()) for o in self.optimizers_],
        )

    def _restore(self, snap) -> None:
        params, states = snap
        for syn, (w, b) in zip(self.synapses_, params, strict=True):
            with syn.writing() as (values, bias):
                values[...] = w
                bias[...] = b
        for opt, st in zip(self.optimizers_, states, strict=True):
            opt.set_state(st)

    def _train(self, x, t, n_epochs: int, callback=None) -> None:
        rng = self._train_rng
        n = len(x)
        bs = n if self.batch_size is None else min(self.batch_size, n)
        discrete = self.encoding_ != "real"
        denoise = self.noise > 0 and self.mode_ == "auto"
        snap = self._snapshot()
        # The optimisers change the parameters in place, step after step; nothing is
        # derived from the MLP's weights, so they are taken writable once.
        params = [list(s.writable()) for s in self.synapses_]
        losses, accs = [], []
        reference = None
        start_epoch = len(self.history_["loss"])
        reproduced = None
        for epoch in long_loop(range(n_epochs), "epochs"):
            order = rng.permutation(n)
            inputs = self._corrupt(x, rng) if denoise else x
            total, hits = 0.0, 0
            for start in range(0, n, bs):
                idx = order[start : start + bs]
                xb, tb = inputs[idx], t[idx]
                zs, acts = self._forward(xb)
                batch_loss = self._loss(zs[-1], acts[-1], tb)
                if not np.isfinite(batch_loss):
                    self._diverged(snap, batch_loss)
                total += batch_loss * len(idx)
                if discrete:
                    dec = self._decode(acts[-1])
                    hits += int(np.count_nonzero((dec == self._decode(tb)).all(axis=1)))
                for opt, prm, (dw, db) in zip(
                    self.optimizers_, params, self._backward(zs, acts, tb), strict=True
                ):
                    opt.step(prm, [dw, db])
                # Bound to the loop's names, the last layer's gradients would be held
                # through the next step's backward pass: a second copy at the peak.
                del dw, db
            epoch_loss = total / n
            if reference is None:
                reference = max(epoch_loss, 1e-3)
            if not np.isfinite(epoch_loss) or epoch_loss > _BLOWUP * reference:
                self._diverged(snap, epoch_loss)
            losses.append(epoch_loss)
            accs.append(hits / n if discrete else np.nan)
            reproduced = None
            if self.early_stopping and discrete and hits == n:
                if self._reproduced(x, t, _MARGIN).all():
                    reproduced = np.ones(len(x), dtype=bool)
                    break
            if callback is not None and callback(start_epoch + epoch, epoch_loss, accs[-1]):
                break
        if not all(np.all(np.isfinite(p)) for prm in params for p in prm):
            self._diverged(snap, np.nan)
        h = self.history_
        self.history_ = {
            "loss": np.concatenate([h["loss"], losses]),
            "accuracy": np.concatenate([h["accuracy"], accs]),
            "call": np.concatenate(
                [
                    h["call"],
                    np.full(len(losses), h["call"][-1] + 1 if len(h["call"]) else 0),
                ]
            ),
        }
        self.n_iter_ = len(losses)
        self._n_trained = n
        if discrete:
            if reproduced is None:
                reproduced = self._reproduced(x, t)
            self._fraction_reproduced = float(reproduced.mean())
            self.converged_ = bool(reproduced.all())
        else:
            self.converged_ = None

    def _reproduced(self, x: np.ndarray, t: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Which training pairs a clean forward pass maps to their target exactly.

        With ``margin`` every output must also lie that fraction of the way from the
        decision midpoint to its target value (0: on the right side is enough).
        """
        y = self._forward(x)[1][-1]
        ok = (self._decode(y) == self._decode(t)).all(axis=1)
        if margin:
            mid = float(self._to_out(np.asarray(sum(_ENC_VALUES[self.encoding_]) / 2)))
            ok &= ((y - mid) * (t - mid) >= margin * (t - mid) ** 2).all(axis=1)
        return ok

    def _diverged(self, snap, value) -> None:
        self._restore(snap)
        raise ValidationError(
            "learning_rate",
            self.learning_rate
            if self.learning_rate is not None
            else self.optimizers_[0].learning_rate,
            f"a smaller learning rate: training diverged (loss reached {value:.3g}); the "
            "weights were restored to their values before this store() call",
        )
