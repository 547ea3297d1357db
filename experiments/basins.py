"""The ``basins`` experiment: the same as ``neuromem run basins``.

Usage: python experiments/basins.py [--quick] [--jobs N] [--out DIR] [--resume]
"""

import sys

from neuromem.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "basins", *sys.argv[1:]]))
