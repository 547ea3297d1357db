"""The ``consolidation`` experiment: the same as ``neuromem run consolidation``.

Usage: python experiments/consolidation.py [--quick] [--jobs N] [--out DIR] [--resume]
"""

import sys

from neuromem.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "consolidation", *sys.argv[1:]]))
