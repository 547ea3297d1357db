"""A multilayer perceptron trained by backpropagation, used as a memory.

The seed article's network, on the shared core: each layer is a
:class:`~neuromem.synapse.Population` with a neuron law ``f`` and a
:class:`~neuromem.synapse.Synapse` (with bias) from the layer below, held in a
:class:`~neuromem.network.Network`. The forward pass is ``a = f(W x + b)`` through
:meth:`Synapse.input`; the backward pass sends ``delta_j = dE/da_j * f'(z_j)`` down
through the same synapses (``layout.transpose_field``); each synapse's
:class:`~neuromem.rules.backprop.Backprop` rule turns its error into the change
``- delta^T x``; and an optimiser (:mod:`neuromem.optimizers`) turns changes into steps.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import metrics
from ..errors import ValidationError, described
from ..network import Network
from ..optimizers import OPTIMIZERS, Optimizer, get_optimizer
from ..progress import steps as long_loop
from ..random import SeedLike, check_seed, spawn
from ..rules.backprop import Backprop
from ..tags import ModelTags
from ..validation import (
    check_bool,
    check_choice,
    check_dtype,
    check_float,
    check_int,
    check_patterns,
    infer_encoding,
)
from .base import Memory, RecallResult, check_record, not_stored
from .mlp_backprop import Backpropagation
from .mlp_training import Training, _empty_history, interruptible

__all__ = ["ACTIVATIONS", "LOSSES", "MLP"]

#: Differentiable neuron laws a layer may use.
ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")
#: Loss functions (``"auto"`` picks one from the data at the first ``store``).
LOSSES = ("auto", "mse", "bce")
INITS = ("auto", "he", "xavier")
# The model's own default step sizes where they differ from the optimiser's: with
# mini-batches of 64 Adam at 0.01 stores the capacity sweep's loads in half the time
# of 0.005 with batches of 32, and recalls as well (benchmarks/bench_mlp_memory.py).
_DEFAULT_LR = {"adam": 0.01}


def _check_hidden(hidden: Any) -> tuple[int, ...] | None:
    if hidden is None:
        return None
    if isinstance(hidden, numbers.Integral) or isinstance(hidden, str):
        raise ValidationError("hidden", hidden, "a list of layer widths (ints >= 1)")
    try:
        widths = list(hidden)
    except TypeError:
        raise ValidationError(
            "hidden", hidden, "a list of layer widths (ints >= 1)"
        ) from None
    for w in widths:
        if isinstance(w, bool) or not isinstance(w, numbers.Integral) or w < 1:
            raise ValidationError("hidden", hidden, "a list of layer widths (ints >= 1)")
    return tuple(int(w) for w in widths)


class MLP(Backpropagation, Training, Memory):
    """Backprop-trained multilayer perceptron as an auto- or hetero-associative memory.

    ``store(X)`` trains an autoencoder ``X -> X`` (denoising when ``noise > 0``: the
    inputs are freshly corrupted copies every epoch); ``store(keys, values)`` trains
    ``keys -> values``. ``recall(cues)`` is one forward pass, or, with
    ``iterate=True``, the output fed back as the next input until it stops changing,
    which makes the autoencoder an attractor network.

    Calling ``store`` again trains on the new patterns only (plus a ``rehearsal``
    fraction of earlier ones), so catastrophic interference can be measured.

    Parameters
    ----------
    n_units : int
        Width of the input layer (the patterns' or keys' width).
    hidden : list of int, optional
        Widths of the hidden layers, bottom to top; ``[]`` for a single-layer network
        (hetero-association only). Default: one layer of ``n_units`` units.
    n_out : int, optional
        Width of the output layer. Default: ``n_units`` for auto-association, the
        targets' width for hetero-association.
    activation : {"tanh", "relu", "sigmoid", "linear"}
        Law of the hidden units. ``"tanh"`` by default: an autoencoder of +/-1
        patterns trains several times faster with it than with the seed's ReLU, whose
        units can die (see ``docs/mlp.md``).
    output_activation : {"auto", "tanh", "sigmoid", "linear", "relu"}
        Law of the output units. ``"auto"`` picks from the data at the first ``store``:
        ``"sigmoid"`` for 0/1 targets or ``loss="bce"``, ``"tanh"`` for +/-1, and
        ``"linear"`` for real values.
    loss : {"auto", "mse", "bce"}
        ``"mse"``: ``E = 1/B sum_b sum_j (a_bj - t_bj)^2 / 2`` (the seed's);
        ``"bce"``: binary cross-entropy, which needs sigmoid outputs (+/-1 targets are
        read as 0/1). ``"auto"`` (the default) picks ``"bce"`` for +/-1 and 0/1
        targets when the output law is ``"auto"`` or ``"sigmoid"``, ``"mse"``
        otherwise: with cross-entropy the output error is ``a - t`` without the
        derivative of a saturated unit, so a unit stuck at the wrong sign still
        learns, and a memory task trains in a tenth of the epochs (``docs/mlp.md``).
    optimizer : {"adam", "sgd", "momentum"}
        How changes become steps (see :mod:`neuromem.optimizers`).
    learning_rate : float, optional
        The optimiser's step size; default 0.01 for Adam, 0.05 for SGD, 0.02 for
        momentum.
    epochs : int
        Passes over the training set per ``store``.
    batch_size : int, optional
        Presentations per step (64 by default); ``None`` for the whole set
        (full-batch).
    momentum : float
        Momentum of ``optimizer="momentum"``, in [0, 1).
    init : {"auto", "he", "xavier"}
        Weight initialisation: He (normal, ``std = sqrt(2 / fan_in)``), Xavier/Glorot
        (uniform, ``limit = sqrt(6 / (fan_in + fan_out))``), or ``"auto"``: He for ReLU
        layers and Xavier for the others. Biases start at zero.
    noise : float
        Denoising auto-association: fraction of units flipped in every training input
        (+/-1 or 0/1 patterns), or the standard deviation of added Gaussian noise (real
        patterns). 0 trains on clean patterns.
    rehearsal : float
        Fraction of the earlier patterns (drawn at random) trained again with new ones.
    early_stopping : bool
        Stop ``store`` at the end of the first epoch in which every training input
        was mapped to its target and a clean forward pass reproduces every target
        (the default). With it, a ``store`` that runs all ``epochs`` without
        reproducing every pattern warns :class:`~neuromem.ConvergenceWarning`.
    max_steps : int
        Largest number of passes of an iterated recall.
    dtype : {"float64", "float32"}
        Weights and activity.
    seed : int, Generator or None
        Seeds initialisation, shuffling, corruption and rehearsal (independent streams).

    Attributes
    ----------
    network_ : Network
        Populations ``"input"``, ``"hidden1"``, ..., ``"output"`` and the synapses
        between consecutive ones.
    optimizers_ : list of Optimizer
        One per synapse set, holding its state (velocities, moments).
    patterns_, targets_ : ndarray
        Every distinct pattern stored so far, once, in the order first stored
        (``targets_``, row for row, for hetero-association; ``None`` for
        auto-association). Storing a pattern again trains on it again but does not
        add a second copy.
    history_ : dict of ndarray
        One entry per epoch, kept across ``store`` calls: ``"loss"`` (mean loss of
        the epoch, as the weights were when each mini-batch was presented),
        ``"accuracy"`` (fraction of the epoch's training inputs mapped exactly to
        their targets by those forward passes; NaN for real targets) and ``"call"``
        (0 for the epochs of the first ``store``, 1 for the second, ...).
    n_iter_ : int
        Epochs run by the latest ``store``.
    converged_ : bool or None
        Whether, after the latest ``store``, a clean forward pass reproduces every
        pattern it trained on (``None`` for real-valued targets: no exact goal).

    Notes
    -----
    Division of labour: the :class:`~neuromem.rules.backprop.Backprop` rule of each
    synapse gives the change ``- dE/dW`` from its error signal (the third factor),
    exactly as a Hebbian rule gives ``post * pre``; the model computes the errors (the
    backward pass) and the bias change ``- dE/db = - sum_b delta_b``; the optimiser
    of each synapse turns the changes into steps. A loss that becomes non-finite or
    grows ``1e4``-fold stops training with a :class:`~neuromem.ValidationError`
    naming ``learning_rate``, and the weights are put back as they were before the
    ``store`` call (never left NaN).

    Examples
    --------
    >>> import neuromem as nm
    >>> X = nm.patterns.random_bipolar(8, 64, seed=0)
    >>> mem = nm.create("mlp", n_units=64, hidden=[64], epochs=100, seed=0).store(X)
    >>> float(nm.metrics.overlap(mem.recall(X).states, X).min())
    1.0
    """

    @property
    def _state_params(self) -> frozenset[str]:  # type: ignore[override]
        """Memory's, less ``momentum`` unless the optimiser is ``"momentum"``: the
        other optimisers never read it, so a new value changes nothing stored."""
        base = Memory._state_params
        return base if self.optimizer == "momentum" else base - {"momentum"}

    def __neuromem_tags__(self) -> ModelTags:
        return dataclasses.replace(
            super().__neuromem_tags__(),
            family="backprop MLP",
            encodings=("bipolar", "binary", "real"),
            hetero_associative=True,
            theory=("catastrophic-interference",),
        )

    def __init__(
        self,
        n_units: int,
        hidden: list[int] | None = None,
        n_out: int | None = None,
        activation: str = "tanh",
        output_activation: str = "auto",
        loss: str = "auto",
        optimizer: str = "adam",
        learning_rate: float | None = None,
        epochs: int = 100,
        batch_size: int | None = 64,
        momentum: float = 0.9,
        init: str = "auto",
        noise: float = 0.0,
        rehearsal: float = 0.0,
        early_stopping: bool = True,
        max_steps: int = 20,
        dtype: str = "float64",
        seed: SeedLike = None,
    ):
        self.n_units = check_int(n_units, "n_units", low=1)
        _check_hidden(hidden)
        self.hidden = hidden
        self.n_out = n_out if n_out is None else check_int(n_out, "n_out", low=1)
        self.activation = check_choice(activation, "activation", ACTIVATIONS)
        self.output_activation = check_choice(
            output_activation, "output_activation", ("auto", *ACTIVATIONS)
        )
        self.loss = check_choice(loss, "loss", LOSSES)
        if self.loss == "bce" and self.output_activation not in ("auto", "sigmoid"):
            raise ValidationError(
                "output_activation",
                output_activation,
                "'sigmoid' or 'auto' with loss='bce' (cross-entropy needs outputs in "
                "(0, 1))",
            )
        self.optimizer = check_choice(optimizer, "optimizer", tuple(OPTIMIZERS))
        self.learning_rate = (
            None
            if learning_rate is None
            else check_float(learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        )
        self.epochs = check_int(epochs, "epochs", low=1)
        self.batch_size = (
            None if batch_size is None else check_int(batch_size, "batch_size", low=1)
        )
        self.momentum = check_float(
            momentum, "momentum", low=0.0, high=1.0, high_inclusive=False
        )
        self.init = check_choice(init, "init", INITS)
        self.noise = check_float(noise, "noise", low=0.0)
        self.rehearsal = check_float(rehearsal, "rehearsal", low=0.0, high=1.0)
        self.early_stopping = check_bool(early_stopping, "early_stopping")
        self.max_steps = check_int(max_steps, "max_steps", low=1)
        self.dtype = check_dtype(dtype).name
        self.seed = check_seed(seed)

    # -- construction -----------------------------------------------------------------
    @property
    def n_stored_(self) -> int:
        """Number of distinct patterns (or pairs) trained on (shown by ``repr``)."""
        return len(self.patterns_)

    @property
    def widths(self) -> tuple[int, ...]:
        """Hidden layer widths in effect."""
        hidden = _check_hidden(self.hidden)
        return (self.n_units,) if hidden is None else hidden

    def _make_optimizer(self) -> Optimizer:
        options = {"momentum": self.momentum} if self.optimizer == "momentum" else {}
        lr = self.learning_rate
        if lr is None:
            lr = _DEFAULT_LR.get(self.optimizer)
        return get_optimizer(self.optimizer, lr, **options)

    def _build(self, n_out: int, out_law: str, mode: str, encoding: str) -> None:
        widths = self.widths
        if mode == "auto" and not widths:
            raise ValidationError(
                "hidden",
                self.hidden,
                "at least one hidden layer for auto-association (without a hidden code "
                "layer an autoencoder only learns the identity)",
            )
        if self.n_out is not None and self.n_out != n_out:
            what = "patterns" if mode == "auto" else "targets"
            raise ValidationError(
                what,
                described(f"{what} of width {n_out}"),
                f"{what} of width n_out = {self.n_out}",
            )
        init_rng, self._train_rng, self._rehearse_rng = spawn(self._seed_source(), 3)
        net = Network()
        layer = net.add_population("input", self.n_units, "linear")
        sizes = [*widths, n_out]
        for k, width in enumerate(sizes):
            top = k == len(sizes) - 1
            law = out_law if top else self.activation
            post = net.add_population("output" if top else f"hidden{k + 1}", width, law)
            scheme = self.init
            if scheme == "auto":
                scheme = "he" if law == "relu" else "xavier"
            fan_in, fan_out = layer.n, width
            if scheme == "he":
                w = init_rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_out, fan_in))
            else:
                lim = np.sqrt(6.0 / (fan_in + fan_out))
                w = init_rng.uniform(-lim, lim, (fan_out, fan_in))
            net.connect(
                layer,
                post,
                weights=w,
                bias=True,
                rule=Backprop(learning_rate=1.0),
                sparse=False,
                dtype=self.dtype,
            )
            layer = post
        self.network_ = net
        self.synapses_ = net.synapses
        self.optimizers_ = [self._make_optimizer() for _ in self.synapses_]
        self.mode_ = mode
        self.encoding_ = encoding
        self.n_out_ = n_out
        self.patterns_ = np.empty((0, self.n_units), dtype=self.dtype)
        self.targets_ = None if mode == "auto" else np.empty((0, n_out), dtype=self.dtype)
        self.loss_ = self._loss_for(encoding)
        if self.loss_ == "bce" and out_law != "sigmoid":  # a model file's, checked
            raise ValidationError("output_activation", out_law, "'sigmoid' with loss='bce'")
        self.history_ = _empty_history()
        self.n_iter_ = 0
        self.converged_ = None

    def _require_fitted(self) -> None:
        if getattr(self, "network_", None) is None:
            raise not_stored(self)

    # -- memory -------------------------------------------------------------------------
    def memory_estimate(self, work=None) -> int:
        """Bytes for ``work`` (:class:`neuromem.memory.Workload`): see
        :func:`neuromem.memory_rows.feedforward_estimate`."""
        return self._estimate("feedforward", work, widths=self.widths)

    @interruptible
    def store(
        self,
        patterns,
        targets=None,
        *,
        epochs: int | None = None,
        callback: Callable[[int, float, float], Any] | None = None,
    ) -> MLP:
        """Train on ``patterns`` (auto-association) or ``patterns -> targets``.

        Parameters
        ----------
        patterns : ndarray, shape (P, n_units)
            Patterns (+/-1, 0/1 or real), or keys for hetero-association.
        targets : ndarray, shape (P, n_out), optional
            Values to associate with the keys.
        epochs : int, optional
            Override the model's ``epochs`` for this call.
        callback : callable, optional
            Called after every epoch as ``callback(epoch, loss, accuracy)``, with
            ``epoch`` counted across ``store`` calls (the index into ``history_``);
            returning ``True`` stops training after that epoch.

        Returns
        -------
        MLP
            ``self``.

        Warns
        -----
        ConvergenceWarning
            With ``early_stopping``, when all the epochs ran and a clean forward pass
            still does not reproduce every pattern; it names the parameter to change
            and gives the final loss and the fraction reproduced (also in
            ``converged_`` and ``history_``).
        """
        n_epochs = self.epochs if epochs is None else check_int(epochs, "epochs", low=1)
        if callback is not None and not callable(callback):
            raise ValidationError("callback", callback, "a callable or None")
        x = check_patterns(patterns, "patterns", n_units=self.n_units, dtype=self.dtype)
        mode = "auto" if targets is None else "hetero"
        if targets is None:
            t = x
        else:
            t = check_patterns(targets, "targets", dtype=self.dtype)
            if len(t) != len(x):
                raise ValidationError(
                    "targets",
                    described(f"{len(t)} targets"),
                    f"one target per pattern ({len(x)})",
                )
        encoding = infer_encoding(t)
        if getattr(self, "network_", None) is None:
            self._build(t.shape[1], self._output_law(encoding), mode, encoding)
        else:
            self._check_same_kind(mode, t, encoding)
        t_out = self._to_out(t)
        if self._sigmoid_out and (t_out.min() < 0 or t_out.max() > 1):
            raise ValidationError(
                "targets" if targets is not None else "patterns",
                described("values outside [0, 1]"),
                "values in [0, 1] for sigmoid outputs (or +/-1 / 0/1 patterns)",
            )
        train_x, train_t = x, t_out
        n_prev = len(self.patterns_)
        k = round(self.rehearsal * n_prev)
        if k:
            old = self._rehearse_rng.choice(n_prev, size=k, replace=False)
            old_t = self.patterns_[old] if mode == "auto" else self.targets_[old]
            train_x = np.concatenate([x, self.patterns_[old]])
            train_t = np.concatenate([t_out, self._to_out(old_t)])
        self._train(train_x, train_t, n_epochs, callback)
        self._keep(x, t if mode == "hetero" else None)
        self._report_convergence(n_epochs)
        return self

    # Not transactional: a recall draws from no random stream and changes nothing.
    def recall(
        self,
        cues,
        *,
        iterate: bool = False,
        max_steps: int | None = None,
        decode: bool | None = None,
        record: Any = None,
    ) -> RecallResult:
        """Recall from cues: a forward pass, or iterated passes to a fixed point.

        Parameters
        ----------
        cues : ndarray, shape (P, n_units)
            Inputs: corrupted patterns, masked patterns (0 for unknown +/-1 units), or
            keys.
        iterate : bool
            Auto-association only: feed the (decoded) output back as the next input
            until it stops changing, at most ``max_steps`` passes.
        max_steps : int, optional
            Override the model's ``max_steps``.
        decode : bool, optional
            Map outputs to the patterns' encoding (nearer of +/-1 or 0/1). Default: yes
            for auto-association, no for hetero-association (raw outputs, with +/-1
            targets learned through sigmoid units mapped back to [-1, 1]).
        record : bool, str or list of str, optional
            Keep the states pass by pass in ``trajectory``: ``"states"``
            ``(P, T + 1, n_units)`` and ``"overlaps"`` ``(P, T + 1, n_stored)`` with
            every stored pattern (:func:`neuromem.metrics.overlap`); index 0 is the
            cue, and a cue that stopped earlier repeats its final state. An MLP has
            no energy. Auto-association only; costs nothing when off.

        Returns
        -------
        RecallResult
            ``steps`` is 1 and ``converged`` True for a single pass; for an iterated
            recall, the passes taken (including the one that confirmed the fixed point)
            and whether one was reached. ``info["outputs"]`` holds the last raw
            outputs.
        """
        self._require_fitted()
        s = check_patterns(cues, "cues", n_units=self.n_units, dtype=self.dtype)
        iterate = check_bool(iterate, "iterate")
        steps_max = (
            self.max_steps
            if max_steps is None
            else check_int(max_steps, "max_steps", low=1)
        )
        if decode is None:
            decode = self.mode_ == "auto"
        decode = check_bool(decode, "decode")
        if decode and self.encoding_ == "real":
            decode = False
        if iterate and (self.mode_ != "auto"):
            raise ValidationError(
                "iterate", True, "False for hetero-association (outputs are not inputs)"
            )
        keep = check_record(record, ("states", "overlaps"))
        if keep and self.mode_ != "auto":
            raise ValidationError(
                "record", record, "None for hetero-association (outputs are not states)"
            )
        n = len(s)
        frames = [s] if keep else None
        if not iterate:
            y = self._forward(s)[1][-1]
            states = self._decode(y) if decode else self._from_out(y)
            if keep:
                frames.append(states)
            return RecallResult(
                states,
                np.ones(n, dtype=np.int64),
                np.ones(n, dtype=bool),
                info={"outputs": y},
                trajectory=self._trajectory(frames, keep),
            )
        out = s.copy()
        raw = np.empty((n, self.n_out_), dtype=s.dtype)
        steps = np.zeros(n, dtype=np.int64)
        converged = np.zeros(n, dtype=bool)
        active = np.arange(n)
        work = s
        # A loop over passes, batched over cues.
        for step in long_loop(range(1, steps_max + 1), "recall passes"):
            y = self._forward(work)[1][-1]
            new = self._decode(y) if decode else self._from_out(y)
            if decode:
                fixed = (new == work).all(axis=1)
            else:
                fixed = np.max(np.abs(new - work), axis=1) <= 1e-6 * (
                    1 + np.max(np.abs(work), axis=1)
                )
            steps[active] = step
            out[active] = new
            raw[active] = y
            converged[active[fixed]] = True
            active, work = active[~fixed], new[~fixed]
            if keep:
                frames.append(out.copy())  # stopped cues repeat their final state
            if not len(active):
                break
        return RecallResult(
            out,
            steps,
            converged,
            info={"outputs": raw},
            trajectory=self._trajectory(frames, keep),
        )

    def _trajectory(self, frames, keep) -> dict[str, np.ndarray] | None:
        if not keep:
            return None
        states = np.stack(frames, axis=1)  # (P, T + 1, N)
        out: dict[str, np.ndarray] = {}
        if "states" in keep:
            out["states"] = states
        if "overlaps" in keep:
            p, t1, n = states.shape
            stored = self.patterns_
            k = len(stored)
            flat = np.repeat(states.reshape(p * t1, n), k, axis=0)
            ref = np.tile(stored, (p * t1, 1))
            out["overlaps"] = metrics.overlap(flat, ref).reshape(p, t1, k)
        return out

    # -- persistence --------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        if getattr(self, "network_", None) is None:
            return {}  # unfitted, as every model may be saved: parameters and streams
        return {
            "mode": self.mode_,
            "encoding": self.encoding_,
            "n_out": self.n_out_,
            "output_law": self.synapses_[-1].post.neuron.name,
            "weights": [s.values for s in self.synapses_],
            "biases": [s.bias for s in self.synapses_],
            "optimizers": [o.get_state() for o in self.optimizers_],
            "patterns": self.patterns_,
            "targets": self.targets_,
            "history": self.history_,
            "loss": self.loss_,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        if not state:
            return
        self._build(
            int(state["n_out"]), state["output_law"], state["mode"], state["encoding"]
        )
        ws, bs = state["weights"], state["biases"]
        if len(ws) != len(self.synapses_):
            raise ValidationError(
                "weights",
                described(f"{len(ws)} weight matrices"),
                f"{len(self.synapses_)}, one per synapse set of this model",
            )
        for syn, w, b in zip(self.synapses_, ws, bs, strict=True):
            syn.set_weights(w)
            syn.bias = np.array(b, dtype=self.dtype)
        for opt, st in zip(self.optimizers_, state["optimizers"], strict=True):
            opt.set_state(st)
        self.patterns_ = np.asarray(state["patterns"], dtype=self.dtype)
        t = state["targets"]
        self.targets_ = None if t is None else np.asarray(t, dtype=self.dtype)
        history = {k: np.asarray(v) for k, v in state["history"].items()}
        if "call" not in history:  # files from before history was kept across calls
            history["call"] = np.zeros(len(history["loss"]), dtype=np.int64)
        self.history_ = history
        self.loss_ = str(state.get("loss", self.loss_))
