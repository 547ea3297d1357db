"""The ``capacity`` experiment: the same as ``neuromem run capacity``.

Usage: python experiments/capacity.py [--quick] [--jobs N] [--out DIR] [--resume]
"""

import sys

from neuromem.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "capacity", *sys.argv[1:]]))
