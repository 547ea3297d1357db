"""Training speed of the MLP memory against scikit-learn and a plain-numpy loop.

An autoencoder 256-512-256 (ReLU hidden, linear output, squared error) trained with
plain SGD (no momentum) on 1000 random +/-1 patterns, mini-batches of 32, 20 epochs.
Prints the time per epoch of neuromem's ``mlp``, of scikit-learn's ``MLPRegressor`` with
the same architecture, solver, batch size and epochs (skipped with a message when
scikit-learn is absent: it is the ``bench`` extra, not a dependency), and of a minimal
hand-written numpy loop, all measured in this run, and the ratios.

Run: ``python benchmarks/bench_mlp.py [--repeats 3]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import neuromem as nm

N_UNITS, HIDDEN, N_PATTERNS, BATCH, EPOCHS, LR = 256, 512, 1000, 32, 20, 0.01


def best_times(runs: dict, repeats: int) -> dict:
    """Best wall time of each run, interleaved so a load change hits them all alike."""
    best = dict.fromkeys(runs, np.inf)
    for _ in range(repeats):
        for name, fn in runs.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def run_neuromem(x: np.ndarray) -> None:
    nm.create(
        "mlp",
        n_units=N_UNITS,
        hidden=[HIDDEN],
        activation="relu",
        output_activation="linear",
        optimizer="sgd",
        learning_rate=LR,
        epochs=EPOCHS,
        batch_size=BATCH,
        early_stopping=False,  # every epoch, as the others run
        seed=0,
    ).store(x)


def run_numpy(x: np.ndarray) -> None:
    """The same training written out by hand: the floor neuromem is measured against."""
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, np.sqrt(2 / N_UNITS), (N_UNITS, HIDDEN))
    w2 = rng.uniform(-1, 1, (HIDDEN, N_UNITS)) * np.sqrt(6 / (HIDDEN + N_UNITS))
    b1, b2 = np.zeros(HIDDEN), np.zeros(N_UNITS)
    for _ in range(EPOCHS):
        order = rng.permutation(len(x))
        for start in range(0, len(x), BATCH):
            xb = x[order[start : start + BATCH]]
            z1 = xb @ w1 + b1
            h = np.maximum(z1, 0)
            y = h @ w2 + b2
            d2 = (y - xb) / len(xb)
            d1 = (d2 @ w2.T) * (z1 > 0)
            w2 -= LR * (h.T @ d2)
            b2 -= LR * d2.sum(0)
            w1 -= LR * (xb.T @ d1)
            b1 -= LR * d1.sum(0)


def run_sklearn(x: np.ndarray) -> None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    reg = MLPRegressor(
        hidden_layer_sizes=(HIDDEN,),
        activation="relu",
        solver="sgd",
        batch_size=BATCH,
        learning_rate="constant",
        learning_rate_init=LR,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        max_iter=EPOCHS,
        tol=0.0,
        n_iter_no_change=EPOCHS + 1,  # run every epoch
        shuffle=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(x, x)
    assert reg.n_iter_ == EPOCHS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="a tiny size, one repeat")
    args = parser.parse_args()
    if args.smoke:
        global N_UNITS, HIDDEN, N_PATTERNS, BATCH, EPOCHS
        N_UNITS, HIDDEN, N_PATTERNS, BATCH, EPOCHS = 16, 8, 20, 8, 2
        args.repeats = 1
    x = nm.patterns.random_bipolar(N_PATTERNS, N_UNITS, seed=0)
    print(
        f"autoencoder {N_UNITS}-{HIDDEN}-{N_UNITS}, {N_PATTERNS} patterns, batch {BATCH}, "
        f"{EPOCHS} epochs, SGD; best of {args.repeats}, interleaved"
    )
    runs = {"neuromem": lambda: run_neuromem(x), "numpy": lambda: run_numpy(x)}
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("scikit-learn is not installed (pip install 'neuromem[bench]'): skipped")
    else:
        runs["sklearn"] = lambda: run_sklearn(x)
    best = {k: v / EPOCHS for k, v in best_times(runs, args.repeats).items()}
    print(f"neuromem mlp:         {1e3 * best['neuromem']:8.2f} ms/epoch")
    print(f"plain numpy loop:     {1e3 * best['numpy']:8.2f} ms/epoch")
    if "sklearn" in best:
        print(f"sklearn MLPRegressor: {1e3 * best['sklearn']:8.2f} ms/epoch")
    print(f"ratio neuromem / numpy:   {best['neuromem'] / best['numpy']:.2f}")
    if "sklearn" in best:
        print(
            f"ratio neuromem / sklearn: {best['neuromem'] / best['sklearn']:.2f}"
            "  (below 1: neuromem is faster)"
        )


if __name__ == "__main__":
    main()
