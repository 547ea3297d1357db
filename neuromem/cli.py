"""The ``neuromem`` command line."""

from __future__ import annotations

import argparse
import sys

from .errors import ValidationError

__all__ = ["main"]


def _cmd_list(args: argparse.Namespace) -> int:
    from .registry import models, rules

    for title, reg in (("models", models), ("rules", rules)):
        print(f"{title}:")
        for name in reg.names():
            origin = reg.origin(name)
            suffix = "" if origin == "neuromem" else f"  (plugin from {origin})"
            print(f"  {name}{suffix}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    out = run_demo(
        args.out, letters=args.letters, size=args.size, noise=args.noise, seed=args.seed
    )
    for ch, m in zip(out["letters"], out["overlap"], strict=True):
        print(f"  {ch}: overlap {m:+.3f}")
    print(
        f"recalled {sum(m >= 0.95 for m in out['overlap'])}/{len(out['letters'])} letters "
        f"from {args.noise:.0%} noise; figure: {out['figure']}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``neuromem`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="neuromem",
        description="Brain-memory simulation: Hopfield, Hebbian and "
        "backprop memories compared.",
    )
    parser.add_argument("--version", action="version", version=f"neuromem {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="list registered models and rules (plugins included)")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser(
        "demo",
        help="store glyph letters in a Hopfield network and recall "
        "them from corrupted cues; writes a PNG",
    )
    p.add_argument(
        "--out", default="results/demo", help="output folder (default: %(default)s)"
    )
    p.add_argument("--letters", default="NEUROM", help="letters to store")
    p.add_argument("--size", type=int, default=16, help="glyph side in pixels")
    p.add_argument("--noise", type=float, default=0.2, help="fraction of pixels flipped")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as exc:
        print(f"neuromem: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
