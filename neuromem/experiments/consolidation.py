"""Systems consolidation: a fast hippocampal store teaches a slow cortical network by replay.

Complementary learning systems (McClelland, McNaughton & O'Reilly 1995): a backprop MLP
(neocortex) learns associations ``key -> value`` of a set A, then of a new set B.
Trained on B alone it forgets A (catastrophic interference, McCloskey & Cohen 1989).
Four conditions of the second phase:

- ``sequential``: B alone;
- ``interleaved``: A and B together (the upper bound);
- ``replay``: B plus episodes a Hopfield memory (hippocampus), which stored every
  episode ``[key | value]`` of A and B at once, recalls from partial or random cues;
- ``pseudo-rehearsal``: B plus the MLP's own responses, taken before B, to random keys
  (Robins 1995).

Retention of A and acquisition of B are measured after every epoch as the mean overlap
of the MLP's decoded outputs with the stored values (1: all bits right, 0: chance).
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np

from .. import metrics, patterns
from ..errors import ValidationError, described
from ..models.base import Memory
from ..random import SeedLike, as_generator, spawn
from ..registry import create, list_models
from ..tags import get_tags
from ..validation import check_choice, check_float, check_int, check_options
from .engine import axes as _axes
from .estimators import interval

__all__ = [
    "CONDITIONS",
    "consolidation",
    "hippocampal_load_sweep",
    "interval",
    "plot_consolidation",
    "plot_load_sweep",
    "summarize",
]

CONDITIONS = ("sequential", "interleaved", "replay", "pseudo-rehearsal")
CUES = ("partial", "random")


def _hippocampus(spec: Any, width: int, seed) -> Memory:
    if isinstance(spec, str):
        # Checked here so that an unknown name is refused as ``hippocampus``, the
        # parameter the caller set, not as the registry's ``model``.
        if spec not in list_models():
            raise ValidationError(
                "hippocampus",
                spec,
                f"a registered model name ({', '.join(list_models())}) or an unfitted "
                "Memory",
            )
        spec = create(spec, n_units=width, seed=seed)
        fresh = True
    else:
        fresh = False
    if isinstance(spec, Memory) and not get_tags(spec).auto_associative:
        # A sequence memory recalls the episode stored after the cued one: its
        # "replays" would pair episodes at random, not reinstate them.
        raise ValidationError(
            "hippocampus",
            described(f"the {getattr(spec, 'name', type(spec).__name__)!r} memory"),
            "an auto-associative memory, which recalls the episode it is cued with",
        )
    if fresh:
        return spec
    if isinstance(spec, Memory):
        n = getattr(spec, "n_units", None)
        if n != width:
            raise ValidationError(
                "hippocampus",
                described(f"a memory of width {n}"),
                f"a memory of width n_key + n_value = {width} (it stores whole episodes)",
            )
        return spec.clone()
    raise ValidationError("hippocampus", spec, "a model name or an unfitted Memory")


def _score(mlp, keys, values) -> float:
    out = mlp.recall(keys, decode=True).states
    return float(metrics.overlap(out, values).mean())


def _replay(hc, episodes, n, cue, cue_fraction, rng):
    """``n`` episodes the hippocampus recalls, and their overlap with the cued episode."""
    if cue == "partial":
        idx = rng.integers(0, len(episodes), n)
        cues = patterns.mask(episodes[idx], 1.0 - cue_fraction, seed=rng)
        target = episodes[idx]
    else:
        cues = np.where(rng.random((n, episodes.shape[1])) < 0.5, 1.0, -1.0)
        target = None
    states = hc.recall(cues).states
    states = np.where(states >= 0, 1.0, -1.0)  # read out in +/-1 (a 0 counts as +1)
    if target is None:  # a random cue: quality is the overlap with the nearest episode
        quality = float(np.max(states @ episodes.T / episodes.shape[1], axis=1).mean())
    else:
        quality = float(metrics.overlap(states, target).mean())
    return states, quality


def consolidation(
    *,
    conditions: tuple[str, ...] = CONDITIONS,
    n_key: int = 64,
    n_value: int = 64,
    n_items: int = 8,
    hidden: int = 16,
    learning_rate: float = 0.03,
    epochs_a: int = 30,
    epochs_b: int = 30,
    repeats: int = 5,
    hippocampus: Any = "hopfield",
    extra_episodes: int = 0,
    cue: str = "partial",
    cue_fraction: float = 0.5,
    n_replay: int | None = None,
    seed: SeedLike = 0,
) -> list[dict[str, Any]]:
    """Run the consolidation experiment; one row per condition, repeat and epoch.

    Parameters
    ----------
    conditions : str or tuple of str
        Among ``"sequential"``, ``"interleaved"``, ``"replay"``, ``"pseudo-rehearsal"``
        (at least one; a single name is one condition).
    n_key, n_value : int
        Widths of the keys (MLP inputs) and values (MLP outputs), +/-1.
    n_items : int
        Associations in each of the sets A and B.
    hidden : int
        Hidden units of the MLP (few units make interference strong).
    learning_rate : float
        Adam's step size.
    epochs_a, epochs_b : int
        Full-batch epochs on A, then in the second phase.
    repeats : int
        Independent repeats (new patterns, network and cues each).
    hippocampus : str or Memory
        The hippocampal store of the episodes ``[key | value]``: the name of an
        auto-associative model (``"hopfield"``, ``"modern-hopfield"``, ...; not
        ``"sequence"``) or an unfitted memory of width ``n_key + n_value`` (another
        width is a ValidationError naming ``hippocampus``).
    extra_episodes : int
        Other episodes the hippocampus also holds (random): its load is
        ``(2 n_items + extra_episodes) / (n_key + n_value)``.
    cue : {"partial", "random"}
        Replay cues: a random episode of A or B with a fraction ``1 - cue_fraction`` of
        its units masked (reactivation by context), or random +/-1 states
        (spontaneous replay).
    cue_fraction : float
        Fraction of an episode's units a partial cue keeps, in (0, 1].
    n_replay : int, optional
        Replayed (or pseudo-) items added to B in each epoch; ``2 n_items`` by default.
    seed : int, Generator or None
        Root seed; repeat ``r`` uses its own stream, and all conditions of one repeat
        share its patterns and the network trained on A (common random numbers).

    Returns
    -------
    list of dict
        Keys ``condition``, ``repeat``, ``epoch`` (0: end of phase A), ``retention``
        (overlap on A), ``acquisition`` (overlap on B), ``replay_quality`` (mean
        overlap of the replayed episodes with the episode cued, or with the nearest
        episode for random cues; NaN outside ``replay``), ``error`` (empty).
    """
    opts = _checked(
        conditions=conditions,
        n_key=n_key,
        n_value=n_value,
        n_items=n_items,
        hidden=hidden,
        learning_rate=learning_rate,
        epochs_a=epochs_a,
        epochs_b=epochs_b,
        hippocampus=hippocampus,
        extra_episodes=extra_episodes,
        cue=cue,
        cue_fraction=cue_fraction,
        n_replay=n_replay,
    )
    repeats = check_int(repeats, "repeats", low=1)
    rows: list[dict[str, Any]] = []
    for rep, rng in enumerate(spawn(seed, repeats)):
        rows.extend(one_repeat(rep, rng, **opts))
    return rows


def _checked(
    *,
    conditions: Any,
    n_key: Any,
    n_value: Any,
    n_items: Any,
    hidden: Any,
    learning_rate: Any,
    epochs_a: Any,
    epochs_b: Any,
    hippocampus: Any,
    extra_episodes: Any,
    cue: Any,
    cue_fraction: Any,
    n_replay: Any,
) -> dict[str, Any]:
    """The options of :func:`consolidation`, checked (ValidationError naming the key)."""
    if isinstance(conditions, str):  # one condition; iterating it would give letters
        conditions = (conditions,)
    if not isinstance(conditions, list | tuple):
        raise ValidationError(
            "conditions", conditions, f"a list of conditions among {', '.join(CONDITIONS)}"
        )
    conditions = tuple(conditions)
    if not conditions:
        raise ValidationError(
            "conditions",
            described("no condition"),
            f"at least one of {', '.join(map(repr, CONDITIONS))}",
        )
    for c in conditions:
        check_choice(c, "conditions", CONDITIONS)
    check_unique(conditions, "conditions")
    n_items = check_int(n_items, "n_items", low=1)
    width = check_int(n_key, "n_key", low=1) + check_int(n_value, "n_value", low=1)
    _hippocampus(hippocampus, width, 0)  # refuse a bad store before any training
    return {
        "conditions": conditions,
        "n_key": int(n_key),
        "n_value": int(n_value),
        "n_items": n_items,
        "hidden": check_int(hidden, "hidden", low=1),
        "learning_rate": check_float(
            learning_rate, "learning_rate", low=0.0, low_inclusive=False
        ),
        "epochs_a": check_int(epochs_a, "epochs_a", low=1),
        "epochs_b": check_int(epochs_b, "epochs_b", low=1),
        "hippocampus": hippocampus,
        "extra_episodes": check_int(extra_episodes, "extra_episodes", low=0),
        "cue": check_choice(cue, "cue", CUES),
        "cue_fraction": check_float(
            cue_fraction, "cue_fraction", low=0.0, high=1.0, low_inclusive=False
        ),
        "n_replay": 2 * n_items
        if n_replay is None
        else check_int(n_replay, "n_replay", low=1),
    }


def check_unique(values: Any, name: str) -> None:
    """Refuse a list with a value twice: it would pool one measurement twice into an
    interval and narrow it falsely."""
    seen: list[Any] = []
    for v in values:
        if v in seen:
            raise ValidationError(name, described(f"{v!r} twice"), "distinct values")
        seen.append(v)


def one_repeat(
    rep: int,
    rng: np.random.Generator,
    *,
    conditions: tuple[str, ...],
    n_key: int,
    n_value: int,
    n_items: int,
    hidden: int,
    learning_rate: float,
    epochs_a: int,
    epochs_b: int,
    hippocampus: Any,
    extra_episodes: int,
    cue: str,
    cue_fraction: float,
    n_replay: int,
) -> list[dict[str, Any]]:
    """The rows of repeat ``rep`` of :func:`consolidation` (checked options), from its
    own stream ``rng`` (repeat ``r`` of a root seed ``s`` uses ``spawn(s, R)[r]``)."""
    width = n_key + n_value
    rows: list[dict[str, Any]] = []
    data_rng, init_rng, *cond_rngs = spawn(rng, 2 + len(CONDITIONS))
    ka, kb = (patterns.random_bipolar(n_items, n_key, seed=data_rng) for _ in "ab")
    va, vb = (patterns.random_bipolar(n_items, n_value, seed=data_rng) for _ in "ab")
    cortex = create(
        "mlp",
        n_units=n_key,
        hidden=[hidden],
        epochs=1,
        batch_size=None,
        learning_rate=learning_rate,
        # A fixed schedule, one store per epoch: the curves are read in between,
        # so no early stop (and no warning that one epoch did not store it all).
        early_stopping=False,
        # Squared error on tanh outputs, the classic setting of the interference
        # studies (McCloskey & Cohen 1989), pinned so the study does not move
        # with the MLP's defaults.
        loss="mse",
        seed=init_rng,
    )
    for _ in range(epochs_a):  # one store per epoch: retention is read in between
        cortex.store(ka, va)
    episodes = np.vstack([np.hstack([ka, va]), np.hstack([kb, vb])])
    for cond in conditions:
        crng = as_generator(cond_rngs[CONDITIONS.index(cond)])
        mlp = copy.deepcopy(cortex)
        hc = None
        if cond == "replay":
            hc = _hippocampus(hippocampus, width, crng)
            store = episodes
            if extra_episodes:
                other = patterns.random_bipolar(extra_episodes, width, seed=crng)
                store = np.vstack([episodes, other])
            hc.store(store)
        if cond == "pseudo-rehearsal":
            pool_k = patterns.random_bipolar(max(8 * n_replay, 64), n_key, seed=crng)
            pool_v = mlp.recall(pool_k, decode=True).states

        def row(epoch, quality=np.nan, cond=cond, rep=rep, mlp=mlp, sets=(ka, va, kb, vb)):
            return {
                "condition": cond,
                "repeat": rep,
                "epoch": epoch,
                "retention": _score(mlp, sets[0], sets[1]),
                "acquisition": _score(mlp, sets[2], sets[3]),
                "replay_quality": quality,
                "error": "",
            }

        rows.append(row(0))
        for epoch in range(1, epochs_b + 1):
            quality = np.nan
            if cond == "sequential":
                mlp.store(kb, vb)
            elif cond == "interleaved":
                mlp.store(np.vstack([ka, kb]), np.vstack([va, vb]))
            elif cond == "replay":
                rep_x, quality = _replay(hc, episodes, n_replay, cue, cue_fraction, crng)
                mlp.store(
                    np.vstack([kb, rep_x[:, :n_key]]), np.vstack([vb, rep_x[:, n_key:]])
                )
            else:
                idx = crng.integers(0, len(pool_k), n_replay)
                mlp.store(np.vstack([kb, pool_k[idx]]), np.vstack([vb, pool_v[idx]]))
            rows.append(row(epoch, quality))
    return rows


def summarize(rows: list[dict[str, Any]], value: str) -> dict[str, np.ndarray]:
    """Per condition: epochs, mean and 95 % interval of ``value`` across repeats.

    Returns ``{condition: array (n_epochs, 4)}`` with columns epoch, mean, low, high.
    """
    out = {}
    for cond in dict.fromkeys(r["condition"] for r in rows):
        mine = [r for r in rows if r["condition"] == cond]
        epochs = sorted({r["epoch"] for r in mine})
        out[cond] = np.array(
            [
                (e, *interval([r[value] for r in mine if r["epoch"] == e], low=None))
                for e in epochs
            ]
        )
    return out


def hippocampal_load_sweep(
    loads=(0.125, 0.2, 0.3, 0.45),
    *,
    n_key: int = 64,
    n_value: int = 64,
    n_items: int = 8,
    repeats: int = 5,
    seed: SeedLike = 0,
    **options: Any,
) -> list[dict[str, Any]]:
    """Replay quality and retention of A against the hippocampal load.

    The hippocampus holds the ``2 n_items`` episodes of A and B plus random others, so
    that its load ``P / (n_key + n_value)`` is each of ``loads`` (rounded to whole
    episodes; loads that give the same hippocampus are run once). A load given twice,
    or below the load of A and B alone (``2 n_items / (n_key + n_value)``), is refused. Other options are those of :func:`consolidation`, except
    ``conditions`` (the sweep runs ``"replay"``) and ``extra_episodes`` (set by the
    load).

    Returns
    -------
    list of dict
        Keys ``load``, ``repeat``, ``retention``, ``acquisition`` (after the last
        epoch), ``replay_quality`` (mean over the epochs), ``error``.
    """
    loads = check_loads(loads)
    allowed = set(inspect.signature(consolidation).parameters) - {
        "conditions",
        "extra_episodes",
    }
    check_options(options, "hippocampal_load_sweep", sorted(allowed - {"seed", "repeats"}))
    n_key = check_int(n_key, "n_key", low=1)
    n_value = check_int(n_value, "n_value", low=1)
    n_items = check_int(n_items, "n_items", low=1)
    width = n_key + n_value
    check_load_floor(loads, width, n_items)
    rows = []
    for extra in load_extras(loads, width, n_items):
        res = consolidation(
            conditions=("replay",),
            n_key=n_key,
            n_value=n_value,
            n_items=n_items,
            repeats=repeats,
            extra_episodes=extra,
            seed=seed,
            **options,
        )
        for rep in sorted({r["repeat"] for r in res}):
            rows.append(load_row(res, rep, extra, width, n_items))
    return rows


def check_loads(loads: Any) -> list[float]:
    """Hippocampal loads: a non-empty list of distinct numbers > 0."""
    if isinstance(loads, str) or not isinstance(loads, list | tuple | np.ndarray):
        raise ValidationError("loads", loads, "a list of loads > 0 (e.g. [0.125, 0.4])")
    if not len(loads):
        raise ValidationError("loads", described("no load"), "at least one load > 0")
    out = [check_float(a, "loads", low=0.0, low_inclusive=False) for a in loads]
    check_unique(out, "loads")
    return out


def check_load_floor(loads: list[float], width: int, n_items: int) -> None:
    """Refuse a load below that of A and B alone: the hippocampus holds them at least,
    so such a load would silently run at ``2 n_items / width``."""
    floor = 2 * n_items
    low = [a for a in loads if round(a * width) < floor]
    if low:
        raise ValidationError(
            "loads",
            described(
                f"load {low[0]!r} ({round(low[0] * width)} episodes in {width} units)"
            ),
            f"loads of at least 2 n_items / (n_key + n_value) = {floor / width:g} "
            f"(the {floor} episodes of A and B)",
        )


def load_extras(loads: list[float], width: int, n_items: int) -> list[int]:
    """The extra episodes of each distinct hippocampus the loads give, in order.

    Two loads that give one hippocampus (both at or below A and B's own, or rounded to
    the same count) would run the same seeds twice: duplicated rows under one load, and
    an interval over twice the real repeats; such a hippocampus is run once.
    """
    return list(dict.fromkeys(max(0, round(a * width) - 2 * n_items) for a in loads))


def load_row(
    res: list[dict[str, Any]], rep: int, extra: int, width: int, n_items: int
) -> dict[str, Any]:
    """The load-sweep row of repeat ``rep`` from its ``replay`` rows."""
    mine = [r for r in res if r["repeat"] == rep]
    last = max(mine, key=lambda r: r["epoch"])
    return {
        "load": (2 * n_items + extra) / width,
        "repeat": rep,
        "retention": last["retention"],
        "acquisition": last["acquisition"],
        "replay_quality": float(
            np.nanmean([r["replay_quality"] for r in mine if r["epoch"]])
        ),
        "error": "",
    }


_STYLE = {
    "sequential": ("tab:red", "sequential (B alone)"),
    "interleaved": ("tab:green", "interleaved (A and B)"),
    "replay": ("tab:blue", "hippocampal replay"),
    "pseudo-rehearsal": ("tab:orange", "pseudo-rehearsal"),
}


def plot_consolidation(rows, ax=None, *, value: str = "retention"):
    """Retention of A (or acquisition of B) per epoch, one curve per condition, with
    the 95 % intervals across repeats as bands. Returns the axes."""
    ax = _axes(ax)
    for cond, arr in summarize(rows, value).items():
        color, label = _STYLE.get(cond, (None, cond))
        ax.plot(arr[:, 0], arr[:, 1], color=color, label=label)
        ax.fill_between(arr[:, 0], arr[:, 2], arr[:, 3], color=color, alpha=0.2, lw=0)
    what = "retention of A" if value == "retention" else "acquisition of B"
    ax.set_xlabel("epoch of training on B")
    ax.set_ylabel(f"{what} (overlap)")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8, loc="lower left" if value == "retention" else "lower right")
    return ax


def plot_load_sweep(rows, ax=None, *, sequential: float | None = None):
    """Replay quality and final retention of A against the hippocampal load.

    ``sequential``: the retention of A without replay, drawn as a reference line.
    """
    ax = _axes(ax)
    if sequential is not None and np.isfinite(sequential):
        ax.axhline(
            sequential,
            color="tab:red",
            ls="--",
            lw=1,
            label="retention, sequential (no replay)",
        )
    loads = sorted({r["load"] for r in rows})
    for value, color, label in (
        ("replay_quality", "tab:purple", "replay quality"),
        ("retention", "tab:blue", "retention of A (replay)"),
    ):
        stats = np.array(
            [interval([r[value] for r in rows if r["load"] == a], low=None) for a in loads]
        )
        ax.errorbar(
            loads,
            stats[:, 0],
            yerr=[stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]],
            marker="o",
            ms=4,
            capsize=3,
            color=color,
            label=label,
        )
    ax.axvline(0.138, color="gray", ls=":", lw=1, label="Hopfield alpha_c = 0.138")
    ax.set_xlabel("hippocampal load P / N")
    ax.set_ylabel("overlap")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8)
    return ax
