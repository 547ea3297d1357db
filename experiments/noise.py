"""The ``noise`` experiment: the same as ``neuromem run noise``.

Usage: python experiments/noise.py [--quick] [--jobs N] [--out DIR] [--resume]
"""

import sys

from neuromem.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "noise", *sys.argv[1:]]))
