"""The ``topology`` experiment: the same as ``neuromem run topology``.

Usage: python experiments/topology.py [--quick] [--jobs N] [--out DIR] [--resume]
"""

import sys

from neuromem.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "topology", *sys.argv[1:]]))
