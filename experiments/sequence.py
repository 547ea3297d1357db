"""The ``sequence`` experiment: the same as ``neuromem run sequence``.

Usage: python experiments/sequence.py [--quick] [--jobs N] [--out DIR] [--resume]
"""

import sys

from neuromem.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "sequence", *sys.argv[1:]]))
