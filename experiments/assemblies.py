"""The ``assemblies`` experiment: the same as ``neuromem run assemblies``.

Usage: python experiments/assemblies.py [--quick] [--jobs N] [--out DIR] [--resume]
"""

import sys

from neuromem.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "assemblies", *sys.argv[1:]]))
